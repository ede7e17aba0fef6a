//! tf_keras `BatchNormalization(virtual_batch_size=…)` ("ghost" batch
//! normalization) at inference.
//!
//! tf_keras (`tf_keras/src/layers/normalization/batch_normalization.py`)
//! computes a virtual-batch layer on the reshape `[-1, 1, d1, …, dn]` of its
//! rank-`n+1` input `[batch, d1, …, dn]` (at inference; in training
//! `[virtual_batch_size, -1, d1, …]`), and `build` records that: every axis
//! (made non-negative first) moves up by one, and the weights take the
//! full-rank shape of the reshape with 1 outside the axes (`[1, 1, C]` for
//! `axis=-1` on `[batch, C]`, saved as `axis: [2]`). At inference the layer
//! normalizes with its moving statistics, which is plain batch
//! normalization over the input axes `axis - 1` with the same numbers.
//!
//! Saved configs come from built layers, so non-negative axes here count in
//! the reshape (axis 1 is its inserted axis, never normalized); a negative
//! axis means the same axis in the reshape and in the input.

use super::super::common::*;
use crate::Result;

/// The input axes (sorted, non-negative) a virtual-batch layer with saved
/// `axes` normalizes on a rank-`rank` input.
pub(super) fn input_axes(base: &Base, axes: &[i64], rank: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let input_axis = if a < 0 {
            a
        } else if (2..=rank as i64).contains(&a) {
            a - 1
        } else {
            return Err(base.err(format!(
                "axis {a} with virtual_batch_size: tf_keras saves the axes of its virtual-batch \
                 reshape [batch, 1, …] of a rank-{rank} input, which are 2..={rank} (axis 0 is \
                 the batch and axis 1 the inserted virtual-batch axis)"
            )));
        };
        out.push(input_axis);
    }
    super::sorted_axes(base, &out, rank, || {
        format!("duplicate axes in {axes:?} (input axes {out:?} with virtual_batch_size)")
    })
}

/// The weights' shape tf_keras builds: the virtual-batch reshape's rank
/// `rank + 1`, the input axes' sizes `dims` one place up, 1 elsewhere.
pub(super) fn param_shape(axes: &[usize], dims: &[usize], rank: usize) -> Vec<usize> {
    let mut shape = vec![1; rank + 1];
    for (&a, &d) in axes.iter().zip(dims) {
        shape[a + 1] = d;
    }
    shape
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Base {
        Base {
            name: "bn".into(),
            trainable: true,
            batch_input_shape: None,
            dtype: None,
            policy: Default::default(),
        }
    }

    #[test]
    fn saved_axes_count_in_the_reshape() {
        assert_eq!(input_axes(&base(), &[2], 2).unwrap(), [1]);
        assert_eq!(input_axes(&base(), &[4], 4).unwrap(), [3]);
        assert_eq!(input_axes(&base(), &[2, 3], 3).unwrap(), [1, 2]);
        assert_eq!(input_axes(&base(), &[-1], 3).unwrap(), [2]);
        assert_eq!(param_shape(&[1], &[4], 2), [1, 1, 4]);
        assert_eq!(param_shape(&[1, 2], &[3, 4], 3), [1, 1, 3, 4]);
    }

    #[test]
    fn the_inserted_axis_and_out_of_range_axes_are_refused() {
        for (axes, rank) in [
            (&[1][..], 2),
            (&[0][..], 2),
            (&[3][..], 2),
            (&[2, -2][..], 3),
            (&[-2][..], 2),
        ] {
            let e = input_axes(&base(), axes, rank).unwrap_err().to_string();
            assert!(e.contains("bn"), "{e}");
        }
    }
}

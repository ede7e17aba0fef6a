//! Rotations and sequence reversals that move values without arithmetic:
//!
//! - Keras 3's `ops.rot90(x, k, axes)` (numpy's: `k` quarter turns in the
//!   plane of `axes`, from the first axis towards the second; negative `k`
//!   turns the other way) and Keras 2's `tf.image.rot90(image, k)` (the
//!   same in the height / width plane of `[batch, h, w, c]` or `[h, w, c]`
//!   images, counter-clockwise): one quarter turn puts `x[.., j, W-1-i, ..]`
//!   at `[.., i, j, ..]` (the two axes swap sizes). Keras 3.15's TensorFlow
//!   backend turns the plane (moved last) once, then, for `k` = 2, reads
//!   the turned `[W, H]` plane's values as `[H, W]` before the second turn:
//!   a half turn of a non-square plane scrambles it there, and so does the
//!   engine for `ops.rot90` (`tf.image.rot90` turns correctly);
//! - Keras 2's `tf.reverse_sequence(x, seq_lengths, seq_axis, batch_axis)`:
//!   along `seq_axis`, the first `seq_lengths[b]` values of each batch
//!   entry `b` (along `batch_axis`) reversed, the rest kept; the lengths
//!   are the second input (or constants); a length above the axis' size is
//!   an error, as in TensorFlow.

use super::super::common::f32s;
use super::super::tf_ops::{axis_of, constant_array};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

type Out<T> = std::result::Result<T, String>;

/// Moves an output coordinate to the input coordinate it reads.
type Remap = dyn Fn(&mut [usize]) -> Out<()>;

#[derive(Debug, Clone)]
pub(crate) enum Rot90 {
    Rotate {
        /// Quarter turns, 0..4.
        k: u8,
        axes: [i64; 2],
        /// Keras 3's reading of the once-turned plane as `[H, W]` (see
        /// the module's note).
        keras3: bool,
    },
    ReverseSequence {
        seq_axis: i64,
        batch_axis: i64,
        /// Constant lengths; `None`: the second input.
        lengths: Option<Vec<i64>>,
    },
}

impl Rot90 {
    /// The Keras 3 operation `op` (`None`: not `Rot90`).
    pub(crate) fn from_config(op: &str, c: &ConfigReader<'_>) -> Option<Result<Rot90>> {
        (op == "Rot90").then(|| {
            let k = c.i64_or("k", 1)?;
            let axes = match super::int_list(c.get("axes")).as_deref() {
                None => [0, 1],
                Some(&[a, b]) => [a, b],
                Some(_) => return Err(c.err("axes", "expected two axes")),
            };
            Ok(Rot90::Rotate {
                k: k.rem_euclid(4) as u8,
                axes,
                keras3: true,
            })
        })
    }

    /// The `tf.<function>` (`None`: not one of these).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<Rot90>> {
        let get = |k: &str| kwargs.get(k).filter(|v| !v.is_null());
        match function {
            "image.rot90" => Some((|| {
                let k = match get("k") {
                    None => 1,
                    Some(v) => v.as_i64().ok_or("k: expected a constant integer")?,
                };
                // Height and width: the axes before the channels (rank 3
                // images have no batch axis: `Rot90::shapes` checks).
                Ok(Rot90::Rotate {
                    k: k.rem_euclid(4) as u8,
                    axes: [-3, -2],
                    keras3: false,
                })
            })()),
            "reverse_sequence" | "compat.v1.reverse_sequence" => Some((|| {
                let int = |k: &str, d: i64| match get(k) {
                    None => Ok(d),
                    Some(v) => v.as_i64().ok_or(format!("{k}: expected an integer")),
                };
                let seq_axis = match get("seq_axis").or_else(|| get("seq_dim")) {
                    Some(v) => v.as_i64().ok_or("seq_axis: expected an integer")?,
                    None => return Err("seq_axis is missing".into()),
                };
                let batch_axis = match get("batch_axis") {
                    Some(_) => int("batch_axis", 0)?,
                    None => int("batch_dim", 0)?,
                };
                let lengths = match get("seq_lengths") {
                    Some(v) if crate::topology::kwarg_tensor(v).is_some() => None,
                    Some(v) => Some(
                        constant_array(v)
                            .filter(|t| t.rank() == 1)
                            .map(|t| f32s(&t).iter().map(|&f| f as i64).collect())
                            .ok_or("seq_lengths: expected a tensor or constant integers")?,
                    ),
                    None => return Err("seq_lengths is missing".into()),
                };
                Ok(Rot90::ReverseSequence {
                    seq_axis,
                    batch_axis,
                    lengths,
                })
            })()),
            _ => None,
        }
    }

    fn plane(axes: [i64; 2], rank: usize) -> Out<[usize; 2]> {
        let a = axis_of(axes[0], rank, 0)?;
        let b = axis_of(axes[1], rank, 0)?;
        if a == b {
            return Err(format!("axes {axes:?} must differ"));
        }
        Ok([a, b])
    }

    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        match self {
            Rot90::Rotate { k, axes, .. } => {
                if x.len() < 2 {
                    return Err(format!(
                        "rotates arrays of rank 2 and up, got rank {}",
                        x.len()
                    ));
                }
                let [a, b] = Self::plane(*axes, x.len())?;
                let mut s = x.clone();
                if k % 2 == 1 {
                    s.swap(a, b);
                }
                Ok(s)
            }
            Rot90::ReverseSequence {
                seq_axis,
                batch_axis,
                ..
            } => {
                let (s, b) = (
                    axis_of(*seq_axis, x.len(), 0)?,
                    axis_of(*batch_axis, x.len(), 0)?,
                );
                if s == b {
                    return Err("seq_axis and batch_axis must differ".into());
                }
                Ok(x.clone())
            }
        }
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Tensor> {
        let x = inputs.first().ok_or("needs an input")?;
        let shape = x.shape().to_vec();
        let rank = shape.len();
        let sym: Shape = shape.iter().map(|&d| Some(d)).collect();
        let out_shape: Vec<usize> = self.shape(&sym)?.into_iter().flatten().collect();
        let data = f32s(x);
        if let Rot90::Rotate { k, axes, keras3 } = self {
            return rotate(
                &data,
                &shape,
                *k,
                Self::plane(*axes, rank)?,
                *keras3,
                out_shape,
            );
        }
        let mut in_strides = vec![1usize; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            in_strides[d] = in_strides[d + 1] * shape[d + 1];
        }
        // The input coordinate of each output coordinate.
        let source: Box<Remap> = match self {
            Rot90::Rotate { .. } => unreachable!("rotations return above"),
            Rot90::ReverseSequence {
                seq_axis,
                batch_axis,
                lengths,
            } => {
                let (s, b) = (axis_of(*seq_axis, rank, 0)?, axis_of(*batch_axis, rank, 0)?);
                let lengths: Vec<i64> = match lengths {
                    Some(l) => l.clone(),
                    None => {
                        let t = inputs.get(1).ok_or("seq_lengths is missing")?;
                        f32s(t).iter().map(|&f| f as i64).collect()
                    }
                };
                if lengths.len() != shape[b] {
                    return Err(format!(
                        "{} seq_lengths for a batch axis of {}",
                        lengths.len(),
                        shape[b]
                    ));
                }
                if let Some(bad) = lengths.iter().find(|&&l| l < 0 || l as usize > shape[s]) {
                    return Err(format!(
                        "seq_lengths {bad} is outside [0, {}] (the sequence axis' size)",
                        shape[s]
                    ));
                }
                Box::new(move |c: &mut [usize]| {
                    let l = lengths[c[b]] as usize;
                    if c[s] < l {
                        c[s] = l - 1 - c[s];
                    }
                    Ok(())
                })
            }
        };
        let total: usize = out_shape.iter().product();
        let mut out = Vec::with_capacity(total);
        let mut coord = vec![0usize; rank];
        for i in 0..total {
            let mut rest = i;
            for d in (0..rank).rev() {
                coord[d] = rest % out_shape[d];
                rest /= out_shape[d];
            }
            source(&mut coord)?;
            let at: usize = coord.iter().zip(&in_strides).map(|(c, s)| c * s).sum();
            out.push(data[at]);
        }
        Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())
    }
}

/// `k` quarter turns of the plane `[a, b]` of `data` (shape `shape`), as
/// Keras's TensorFlow backend writes them: the plane moved last, turned
/// once (`out[i, j] = in[j, w-1-i]`), then (`keras3`) read as `[fh, fw]`
/// (the final sizes) before the other turns; the plane moved back.
fn rotate(
    data: &[f32],
    shape: &[usize],
    k: u8,
    [a, b]: [usize; 2],
    keras3: bool,
    out_shape: Vec<usize>,
) -> Out<Tensor> {
    if k == 0 {
        return Tensor::from_f32(out_shape, data.to_vec()).map_err(|e| e.to_string());
    }
    let rank = shape.len();
    let mut perm: Vec<usize> = (0..rank).filter(|&d| d != a && d != b).collect();
    perm.extend([a, b]);
    let mut planes = super::super::common::transpose(data, shape, &perm);
    let (mut h, mut w) = (shape[a], shape[b]);
    let turn = |p: &[f32], h: usize, w: usize| -> Vec<f32> {
        let mut out = Vec::with_capacity(p.len());
        for plane in p.chunks(h * w) {
            for i in 0..w {
                for j in 0..h {
                    out.push(plane[j * w + (w - 1 - i)]);
                }
            }
        }
        out
    };
    if !planes.is_empty() && h * w > 0 {
        planes = turn(&planes, h, w);
        (h, w) = (w, h);
        if keras3 && k > 1 {
            // Read as the final [fh, fw] (the input's sizes for even k).
            if k.is_multiple_of(2) {
                (h, w) = (shape[a], shape[b]);
            }
        }
        for _ in 1..k {
            planes = turn(&planes, h, w);
            (h, w) = (w, h);
        }
    }
    // The final sizes (Keras 3 reads its result as them too).
    let (h, w) = if k % 2 == 1 {
        (shape[b], shape[a])
    } else {
        (shape[a], shape[b])
    };
    // The moved layout's shape, then the plane's axes back in place.
    let mut moved: Vec<usize> = perm[..rank - 2].iter().map(|&d| shape[d]).collect();
    moved.extend([h, w]);
    let mut inverse = vec![0usize; rank];
    for (i, &p) in perm.iter().enumerate() {
        inverse[p] = i;
    }
    let out = super::super::common::transpose(&planes, &moved, &inverse);
    Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())
}

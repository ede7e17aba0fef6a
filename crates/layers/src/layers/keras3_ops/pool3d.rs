//! Keras 2's `tf.nn.max_pool3d` / `tf.nn.avg_pool3d` of `[batch, depth,
//! height, width, channels]` volumes (`ksize`, `strides`: an int, three
//! or five numbers; `"SAME"` / `"VALID"`; `"NDHWC"` only), on the
//! engine's 3-D pooling kernels (TensorFlow's semantics, as the
//! `MaxPooling3D` / `AveragePooling3D` layers: a `"SAME"` average counts
//! only the cells inside the volume).

use super::super::common::f32s;
use crate::{Shape, Tensor};
use serde_json::{Map, Value};
use tfjs_kernels::{Padding, Pool3dParams};

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct Pool3d {
    max: bool,
    window: [usize; 3],
    strides: [usize; 3],
    padding: Padding,
}

/// An int, `[d, h, w]` or `[1, d, h, w, 1]`.
fn triple(v: Option<&Value>, what: &str) -> Out<[usize; 3]> {
    let ints: Option<Vec<u64>> = match v.filter(|v| !v.is_null()) {
        None => None,
        Some(Value::Array(a)) => a.iter().map(Value::as_u64).collect(),
        Some(v) => v.as_u64().map(|n| vec![n]),
    };
    let ok = |n: u64| (1..=1 << 16).contains(&n).then_some(n as usize);
    match ints.as_deref() {
        Some(&[n]) => ok(n).map(|n| [n; 3]),
        Some(&[d, h, w]) | Some(&[1, d, h, w, 1]) => match (ok(d), ok(h), ok(w)) {
            (Some(d), Some(h), Some(w)) => Some([d, h, w]),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| format!("{what}: expected an int, [d, h, w] or [1, d, h, w, 1], got {v:?}"))
}

impl Pool3d {
    /// The `tf.<function>` (`None`: not one of these).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<Pool3d>> {
        let max = match function {
            "nn.max_pool3d" => true,
            "nn.avg_pool3d" => false,
            _ => return None,
        };
        Some((|| {
            match kwargs.get("data_format").and_then(Value::as_str) {
                None | Some("NDHWC") => {}
                Some(f) => return Err(format!("data_format {f}: only NDHWC is supported")),
            }
            let padding = match kwargs.get("padding").and_then(Value::as_str) {
                Some("SAME") => Padding::Same,
                Some("VALID") => Padding::Valid,
                other => return Err(format!("padding: expected SAME or VALID, got {other:?}")),
            };
            Ok(Pool3d {
                max,
                window: triple(kwargs.get("ksize"), "ksize")?,
                strides: triple(kwargs.get("strides"), "strides")?,
                padding,
            })
        })())
    }

    fn params(&self, batch: usize, dhw: [usize; 3], c: usize) -> Out<Pool3dParams> {
        Pool3dParams::new(batch, dhw, c, self.window, self.strides, self.padding)
            .map_err(|e| e.to_string())
    }

    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        let [b, Some(d), Some(h), Some(w), Some(c)] = x[..] else {
            return Err(format!(
                "expects [batch, depth, height, width, channels] of known size, got {x:?}"
            ));
        };
        let p = self.params(1, [d, h, w], c)?;
        Ok(vec![
            b,
            Some(p.out_d),
            Some(p.out_h),
            Some(p.out_w),
            Some(c),
        ])
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        let [b, d, h, w, c] = x.shape()[..] else {
            return Err(format!(
                "expects a rank-5 volume, got shape {:?}",
                x.shape()
            ));
        };
        let p = self.params(b, [d, h, w], c)?;
        let mut out = vec![0f32; b * p.out_d * p.out_h * p.out_w * c];
        let input = f32s(x);
        if self.max {
            tfjs_kernels::max_pool3d(&input, &p, &mut out);
        } else {
            tfjs_kernels::avg_pool3d(&input, &p, &mut out);
        }
        Tensor::from_f32(vec![b, p.out_d, p.out_h, p.out_w, c], out).map_err(|e| e.to_string())
    }
}

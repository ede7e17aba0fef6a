//! Keras 2's `tf.signal.dct(x, type, n, axis=-1, norm)` and
//! `tf.signal.idct`: the discrete cosine transforms of types 1 to 4 along
//! the last axis, as TensorFlow defines them (scipy's), with `n` cutting
//! or zero-padding the input first and `norm="ortho"` scaling to an
//! orthonormal basis (not for type 1). Computed directly in float64 (N²
//! products; TensorFlow goes through an FFT in float32) and rounded once.
//! `idct(x, type, n, norm)` is `dct` of the inverse type (2 ↔ 3, 1 and 4
//! their own), unscaled: without `norm` TensorFlow leaves the `1 / (2N)`
//! of a true inverse to the caller.

use super::super::common::f32s;
use crate::{Shape, Tensor};
use serde_json::{Map, Value};
use std::f64::consts::PI;

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct Dct {
    kind: u8,
    n: Option<usize>,
    ortho: bool,
}

impl Dct {
    /// The `tf.<function>` (`None`: not one of these).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<Dct>> {
        let inverse = match function {
            "signal.dct" => false,
            "signal.idct" => true,
            _ => return None,
        };
        let get = |k: &str| kwargs.get(k).filter(|v| !v.is_null());
        Some((|| {
            let kind = match get("type") {
                None => 2,
                Some(v) => v
                    .as_u64()
                    .filter(|t| (1..=4).contains(t))
                    .ok_or("type: expected 1, 2, 3 or 4")? as u8,
            };
            let ortho = match get("norm").map(|v| v.as_str()) {
                None => false,
                Some(Some("ortho")) => true,
                Some(_) => return Err("norm: expected None or \"ortho\"".into()),
            };
            if ortho && kind == 1 {
                return Err("norm \"ortho\" with type 1 (TensorFlow refuses it too)".into());
            }
            if get("axis").is_some_and(|a| a.as_i64() != Some(-1)) {
                return Err("axis: only -1 (TensorFlow's only axis)".into());
            }
            let n = match get("n") {
                None => None,
                Some(v) => Some(
                    v.as_u64()
                        .filter(|&n| (1..=1 << 16).contains(&n))
                        .ok_or("n: expected a positive integer")? as usize,
                ),
            };
            // idct: the inverse type.
            let kind = match (inverse, kind) {
                (true, 2) => 3,
                (true, 3) => 2,
                (_, k) => k,
            };
            Ok(Dct { kind, n, ortho })
        })())
    }

    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        let mut s = x.clone();
        let last = s.last_mut().ok_or("expects a signal axis")?;
        if let Some(n) = self.n {
            *last = Some(n);
        }
        if self.kind == 1 && last.is_some_and(|n| n < 2) {
            return Err("a type-1 DCT needs at least 2 samples".into());
        }
        Ok(s)
    }

    /// The weight of input sample `j` in output `k` of an `n`-point DCT.
    fn weight(&self, k: usize, j: usize, n: usize) -> f64 {
        let (kf, jf, nf) = (k as f64, j as f64, n as f64);
        match self.kind {
            1 => {
                if j == 0 {
                    1.0
                } else if j == n - 1 {
                    if k.is_multiple_of(2) {
                        1.0
                    } else {
                        -1.0
                    }
                } else {
                    2.0 * (PI * kf * jf / (nf - 1.0)).cos()
                }
            }
            2 => {
                let w = 2.0 * (PI * kf * (2.0 * jf + 1.0) / (2.0 * nf)).cos();
                match (self.ortho, k) {
                    (false, _) => w,
                    (true, 0) => w * (1.0 / (4.0 * nf)).sqrt(),
                    (true, _) => w * (1.0 / (2.0 * nf)).sqrt(),
                }
            }
            3 => {
                let c = (PI * jf * (2.0 * kf + 1.0) / (2.0 * nf)).cos();
                match (self.ortho, j) {
                    (false, 0) => 1.0,
                    (false, _) => 2.0 * c,
                    (true, 0) => 1.0 / nf.sqrt(),
                    (true, _) => (2.0 / nf).sqrt() * c,
                }
            }
            _ => {
                let w = 2.0 * (PI * (2.0 * jf + 1.0) * (2.0 * kf + 1.0) / (4.0 * nf)).cos();
                if self.ortho {
                    w * (1.0 / (2.0 * nf)).sqrt()
                } else {
                    w
                }
            }
        }
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        let shape = x.shape().to_vec();
        let len = *shape.last().ok_or("expects a signal axis")?;
        let n = self.n.unwrap_or(len);
        if self.kind == 1 && n < 2 {
            return Err("a type-1 DCT needs at least 2 samples".into());
        }
        let data = f32s(x);
        let rows = data.len() / len.max(1);
        // One basis row at a time (the weights of each input sample for
        // output k): memory O(n) whatever `n` the config asks for.
        let used = n.min(len);
        let mut out = vec![0f32; rows * n];
        let mut weights = vec![0f64; used];
        for k in 0..n {
            for (j, w) in weights.iter_mut().enumerate() {
                *w = self.weight(k, j, n);
            }
            for r in 0..rows {
                let row = &data[r * len..r * len + used];
                let s: f64 = weights
                    .iter()
                    .zip(row)
                    .map(|(w, x)| w * f64::from(*x))
                    .sum();
                out[r * n + k] = s as f32;
            }
        }
        let mut out_shape = shape;
        *out_shape.last_mut().expect("checked above") = n;
        Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())
    }
}

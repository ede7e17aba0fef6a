//! Softmax, LogSoftmax and inference-time FusedBatchNorm.

use super::{one, Ctx, OpFn, Value};
use crate::tensor::Tensor;
use crate::Result;

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("Softmax", |c| softmax(c, false)),
    ("LogSoftmax", |c| softmax(c, true)),
    ("FusedBatchNorm", batch_norm),
    ("FusedBatchNormV2", batch_norm),
    ("FusedBatchNormV3", batch_norm),
    ("LRN", lrn),
];

/// Local response normalization across channels (TF.js cpu `LRN`):
/// `x / (bias + alpha * Σ x²)^beta` over `[d - r, d + r]`.
fn lrn(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let ch = *t.shape().last().ok_or_else(|| c.err("needs rank >= 1"))?;
    let r = c.attr_i("depth_radius", 5).max(0) as usize;
    let bias = c.attr_f("bias", 1.0) as f64;
    let alpha = c.attr_f("alpha", 1.0) as f64;
    let beta = c.attr_f("beta", 0.5) as f64;
    let x = t.to_f32();
    let mut out = vec![0.0f32; x.len()];
    if ch > 0 {
        for (row, o) in x.chunks(ch).zip(out.chunks_mut(ch)) {
            for d in 0..ch {
                let lo = d.saturating_sub(r);
                let hi = (d + r).min(ch - 1);
                let sum: f64 = row[lo..=hi].iter().map(|&v| (v as f64) * (v as f64)).sum();
                o[d] = (row[d] as f64 * (bias + alpha * sum).powf(-beta)) as f32;
            }
        }
    }
    one(Tensor::f32(t.shape().to_vec(), out)?)
}

/// Over the last axis, step by step as TF.js's cpu `softmax` does
/// (`exp(x - max) / sum`, each step rounded to float32).
fn softmax(c: &Ctx, log: bool) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let n = *t.shape().last().ok_or_else(|| c.err("needs rank >= 1"))?;
    let mut v = t.to_f32();
    if n > 0 {
        for row in v.chunks_mut(n) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            if log {
                let shifted: Vec<f32> = row.iter().map(|&x| x - max).collect();
                let sum = shifted
                    .iter()
                    .map(|&x| (x as f64).exp() as f32 as f64)
                    .sum::<f64>() as f32;
                let ls = (sum as f64).ln() as f32;
                for (o, s) in row.iter_mut().zip(shifted) {
                    *o = s - ls;
                }
            } else {
                for x in row.iter_mut() {
                    *x = ((*x - max) as f64).exp() as f32;
                }
                let sum = row.iter().map(|&x| x as f64).sum::<f64>() as f32;
                for x in row.iter_mut() {
                    *x /= sum;
                }
            }
        }
    }
    one(Tensor::f32(t.shape().to_vec(), v)?)
}

fn batch_norm(c: &Ctx) -> Result<Vec<Value>> {
    if c.attr_b("is_training", false) {
        return Err(c.err("training-mode batch normalization is not supported"));
    }
    if c.node.attr_s("data_format").is_some_and(|f| f != "NHWC") {
        return Err(c.err("only data_format NHWC is supported"));
    }
    let x = c.t(0)?;
    let ch = *x.shape().last().ok_or_else(|| c.err("needs rank >= 1"))?;
    let vec_of = |i: usize, what: &str| -> Result<Vec<f32>> {
        let v = c.t(i)?.to_f32();
        if v.len() != ch && v.len() != 1 {
            return Err(c.err(format!(
                "{what} has {} values, the input has {ch} channels",
                v.len()
            )));
        }
        Ok(if v.len() == 1 { vec![v[0]; ch] } else { v })
    };
    let scale = vec_of(1, "scale")?;
    let offset = vec_of(2, "offset")?;
    let mean = vec_of(3, "mean")?;
    let var = vec_of(4, "variance")?;
    let eps = c.attr_f("epsilon", 0.001);
    let mut v = x.to_f32();
    if ch > 0 {
        for row in v.chunks_mut(ch) {
            for (k, o) in row.iter_mut().enumerate() {
                *o = offset[k] + (*o - mean[k]) * scale[k] / (var[k] + eps).sqrt();
            }
        }
    }
    let y = Value::t(Tensor::f32(x.shape().to_vec(), v)?);
    Ok(vec![y, c.inputs[3].clone(), c.inputs[4].clone()])
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::run1;
    use crate::tensor::Tensor;

    #[test]
    fn softmax_and_batch_norm() {
        let x = Tensor::f32(vec![1, 3], vec![1.0, 2.0, 3.0]).unwrap();
        let s = run1("Softmax", std::slice::from_ref(&x), "{}").to_f32();
        let e: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|v| v.exp()).collect();
        let z: f64 = e.iter().sum();
        for (a, b) in s.iter().zip(&e) {
            assert!((*a as f64 - b / z).abs() < 1e-7);
        }
        let l = run1("LogSoftmax", std::slice::from_ref(&x), "{}").to_f32();
        assert!((l[2] as f64 - (e[2] / z).ln()).abs() < 1e-6);
        let one = |v: f32| Tensor::f32(vec![1], vec![v]).unwrap();
        let y = run1(
            "FusedBatchNormV3",
            &[
                Tensor::f32(vec![2, 1], vec![3.0, 5.0]).unwrap(),
                one(2.0),
                one(1.0),
                one(1.0),
                one(4.0),
            ],
            r#"{"epsilon": {"f": 0}}"#,
        );
        assert_eq!(y.to_f32(), vec![3.0, 5.0]);
        let l = run1(
            "LRN",
            &[Tensor::f32(vec![1, 2], vec![1.0, 2.0]).unwrap()],
            r#"{"depth_radius": {"i": "1"}, "bias": {"f": 1}, "alpha": {"f": 1}, "beta": {"f": 1}}"#,
        );
        assert_eq!(l.to_f32(), vec![1.0 / 6.0, 2.0 / 6.0]);
    }
}

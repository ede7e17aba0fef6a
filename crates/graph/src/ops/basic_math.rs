//! Elementwise unary math and activations.
//!
//! Transcendental functions are evaluated in f64 and rounded to f32, as TF.js's
//! cpu backend does with `Math.*` on Float32Array values.

use super::{one, Ctx, OpFn, Value};
use crate::tensor::{DType, Data, Tensor};
use crate::Result;

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("Abs", abs),
    ("Acos", |c| float(c, f64::acos)),
    ("Acosh", |c| float(c, f64::acosh)),
    ("Asin", |c| float(c, f64::asin)),
    ("Asinh", |c| float(c, f64::asinh)),
    ("Atan", |c| float(c, f64::atan)),
    ("Atanh", |c| float(c, f64::atanh)),
    ("Ceil", |c| same(c, f32::ceil, |x| x)),
    ("Floor", |c| same(c, f32::floor, |x| x)),
    ("Round", |c| same(c, round_half_even, |x| x)),
    ("Cos", |c| float(c, f64::cos)),
    ("Cosh", |c| float(c, f64::cosh)),
    ("Sin", |c| float(c, f64::sin)),
    ("Sinh", |c| float(c, f64::sinh)),
    ("Tan", |c| float(c, f64::tan)),
    ("Tanh", |c| float(c, f64::tanh)),
    ("Exp", |c| float(c, f64::exp)),
    ("Expm1", |c| float(c, f64::exp_m1)),
    ("Log", |c| float(c, f64::ln)),
    ("Log1p", |c| float(c, f64::ln_1p)),
    ("Sqrt", |c| float(c, f64::sqrt)),
    ("Rsqrt", |c| float(c, |x| 1.0 / x.sqrt())),
    ("Reciprocal", |c| float(c, |x| 1.0 / x)),
    ("Sigmoid", |c| float(c, sigmoid)),
    ("Softplus", |c| float(c, softplus)),
    ("Softsign", |c| float(c, |x| x / (1.0 + x.abs()))),
    ("Erf", |c| float(c, erf)),
    ("Elu", |c| {
        float(c, |x| if x >= 0.0 { x } else { x.exp() - 1.0 })
    }),
    ("Selu", |c| float(c, selu)),
    ("Neg", |c| same(c, |x| -x, i32::wrapping_neg)),
    ("Square", |c| same(c, |x| x * x, |x| x.wrapping_mul(x))),
    ("Sign", |c| same(c, sign, i32::signum)),
    ("Relu", |c| same(c, relu, |x| x.max(0))),
    ("Relu6", |c| {
        same(c, |x| relu(x).min(6.0), |x| x.clamp(0, 6))
    }),
    ("LeakyRelu", leaky_relu),
    ("Prelu", prelu),
    ("ClipByValue", clip_by_value),
    ("IsNan", |c| predicate(c, f32::is_nan)),
    ("IsInf", |c| predicate(c, f32::is_infinite)),
    ("IsFinite", |c| predicate(c, f32::is_finite)),
];

/// `1 / (1 + e^-x)` in double precision (TF.js cpu `sigmoid`).
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// TF.js cpu `softplus` with its float32 thresholds.
fn softplus(x: f64) -> f64 {
    let epsilon = 1.192_092_895_507_812_5e-7f64;
    let threshold = epsilon.ln() + 2.0;
    if x > -threshold {
        x
    } else if x < threshold {
        x.exp()
    } else {
        x.exp().ln_1p()
    }
}

fn selu(x: f64) -> f64 {
    let alpha = 1.673_263_192_176_818_8;
    let scale = 1.050_700_987_355_480_5;
    if x >= 0.0 {
        scale * x
    } else {
        scale * alpha * (x.exp() - 1.0)
    }
}

/// TF.js cpu `erf` (Abramowitz & Stegun 7.1.26).
fn erf(x: f64) -> f64 {
    let (p, a1, a2, a3, a4, a5) = (
        0.327_591_1,
        0.254_829_592,
        -0.284_496_736,
        1.421_413_741,
        -1.453_152_027,
        1.061_405_429,
    );
    let s = x.signum();
    let v = x.abs();
    let t = 1.0 / (1.0 + p * v);
    s * (1.0 - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * (-v * v).exp())
}

fn relu(x: f32) -> f32 {
    if x < 0.0 {
        0.0
    } else {
        x
    }
}

fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x * 0.0
    }
}

/// Round half to even, exactly TF.js cpu `round`.
pub fn round_half_even(x: f32) -> f32 {
    let base = x.floor();
    let frac = x - base;
    if frac < 0.5 {
        base
    } else if frac > 0.5 {
        x.ceil()
    } else if base % 2.0 == 0.0 {
        base
    } else {
        base + 1.0
    }
}

/// A float op: int inputs are converted to float32 first.
pub fn float(c: &Ctx, f: impl Fn(f64) -> f64) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let v: Vec<f32> = match t.as_f32() {
        Some(v) => v.iter().map(|&x| f(x as f64) as f32).collect(),
        None => t.to_f32().iter().map(|&x| f(x as f64) as f32).collect(),
    };
    one(Tensor::f32(t.shape().to_vec(), v)?)
}

/// An op that keeps int32 as int32.
fn same(c: &Ctx, ff: impl Fn(f32) -> f32, fi: impl Fn(i32) -> i32) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let data = match t.data() {
        Data::F32(v) => Data::F32(v.iter().map(|&x| ff(x)).collect()),
        d => Data::I32(d.to_i32().into_iter().map(fi).collect()),
    };
    one(Tensor::new(t.shape().to_vec(), data)?)
}

fn abs(c: &Ctx) -> Result<Vec<Value>> {
    same(c, f32::abs, i32::wrapping_abs)
}

fn predicate(c: &Ctx, f: impl Fn(f32) -> bool) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    one(Tensor::bool(
        t.shape().to_vec(),
        t.to_f32().into_iter().map(f).collect(),
    )?)
}

fn leaky_relu(c: &Ctx) -> Result<Vec<Value>> {
    let alpha = c.attr_f("alpha", 0.2);
    same(
        c,
        |x| if x < 0.0 { alpha * x } else { x },
        |x| {
            if x < 0 {
                (alpha * x as f32) as i32
            } else {
                x
            }
        },
    )
}

fn prelu(c: &Ctx) -> Result<Vec<Value>> {
    let t = super::arithmetic::binary_with(
        c,
        c.t(0)?,
        c.t(1)?,
        |x, a| if x < 0.0 { a * x } else { x },
        |x, a| if x < 0 { a.wrapping_mul(x) } else { x },
    )?;
    one(t)
}

fn clip_by_value(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let lo = c.t(1)?.to_f32();
    let hi = c.t(2)?.to_f32();
    let (lo, hi) = match (lo.as_slice(), hi.as_slice()) {
        ([l], [h]) => (*l, *h),
        _ => return Err(c.err("clip bounds must be scalars")),
    };
    let data = match t.dtype() {
        DType::F32 => Data::F32(
            t.to_f32()
                .into_iter()
                .map(|x| {
                    if x.is_nan() {
                        x
                    } else {
                        x.clamp(lo.min(hi), hi)
                    }
                })
                .collect(),
        ),
        _ => Data::I32(
            t.to_i32()
                .into_iter()
                .map(|x| (x as f32).clamp(lo.min(hi), hi) as i32)
                .collect(),
        ),
    };
    one(Tensor::new(t.shape().to_vec(), data)?)
}

/// Apply a TF.js fused activation (`applyActivation`) in place.
pub fn apply_activation(
    c: &Ctx,
    x: Tensor,
    activation: &str,
    prelu_alpha: Option<&Tensor>,
    leaky_alpha: f32,
) -> Result<Tensor> {
    let (shape, data) = x.into_parts();
    let Data::F32(mut v) = data else {
        return Err(c.err("fused activations need float32 values"));
    };
    match activation {
        "" | "linear" => {}
        "relu" => v.iter_mut().for_each(|x| *x = relu(*x)),
        "relu6" => v.iter_mut().for_each(|x| *x = relu(*x).min(6.0)),
        "elu" => v.iter_mut().for_each(|x| {
            *x = if *x >= 0.0 {
                *x
            } else {
                ((*x as f64).exp() - 1.0) as f32
            }
        }),
        "sigmoid" => v.iter_mut().for_each(|x| *x = sigmoid(*x as f64) as f32),
        "leakyrelu" => v
            .iter_mut()
            .for_each(|x| *x = if *x < 0.0 { leaky_alpha * *x } else { *x }),
        "prelu" => {
            let alpha =
                prelu_alpha.ok_or_else(|| c.err("Prelu activation needs an alpha argument"))?;
            let t = Tensor::f32(shape, v)?;
            return super::arithmetic::binary_with(
                c,
                &t,
                alpha,
                |x, a| if x < 0.0 { a * x } else { x },
                |x, _| x,
            );
        }
        other => return Err(c.err(format!("unsupported fused activation `{other}`"))),
    }
    Tensor::f32(shape, v)
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::run1;
    use crate::tensor::Tensor;

    #[test]
    fn unary_math_matches_hand_values() {
        let x = Tensor::f32(vec![4], vec![-2.0, -0.5, 0.0, 3.0]).unwrap();
        assert_eq!(
            run1(
                "Relu6",
                &[Tensor::f32(vec![2], vec![7.0, -1.0]).unwrap()],
                "{}"
            )
            .to_f32(),
            vec![6.0, 0.0]
        );
        assert_eq!(
            run1("Relu", std::slice::from_ref(&x), "{}").to_f32(),
            vec![0.0, 0.0, 0.0, 3.0]
        );
        assert_eq!(
            run1("Abs", std::slice::from_ref(&x), "{}").to_f32(),
            vec![2.0, 0.5, 0.0, 3.0]
        );
        let s = run1("Sigmoid", std::slice::from_ref(&x), "{}").to_f32();
        assert!((s[2] - 0.5).abs() < 1e-7 && (s[3] - 0.952_574_1).abs() < 1e-6);
        let l = run1(
            "LeakyRelu",
            std::slice::from_ref(&x),
            r#"{"alpha": {"f": 0.1}}"#,
        )
        .to_f32();
        assert_eq!(l, vec![-0.2, -0.05, 0.0, 3.0]);
        let alpha = Tensor::f32(vec![1], vec![0.25]).unwrap();
        assert_eq!(
            run1("Prelu", &[x.clone(), alpha], "{}").to_f32(),
            vec![-0.5, -0.125, 0.0, 3.0]
        );
        let r = Tensor::f32(vec![5], vec![0.5, 1.5, 2.5, -0.5, 2.6]).unwrap();
        assert_eq!(
            run1("Round", &[r], "{}").to_f32(),
            vec![0.0, 2.0, 2.0, -0.0, 3.0]
        );
        let i = Tensor::i32(vec![2], vec![-3, 4]).unwrap();
        assert_eq!(
            run1("Square", std::slice::from_ref(&i), "{}").to_i32(),
            vec![9, 16]
        );
        assert_eq!(
            run1("Sqrt", &[Tensor::f32(vec![1], vec![9.0]).unwrap()], "{}").to_f32(),
            vec![3.0]
        );
    }
}

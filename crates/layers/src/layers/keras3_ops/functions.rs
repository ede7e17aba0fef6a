//! The elementwise functions of Keras 3 operations by class name: the
//! binary and unary math, and which binary ones with a scalar operand are
//! kernel steps ([`tfjs_kernels::PointOp`]).

use super::*;

/// The kernel step of [`binary`]'s `op` with a scalar operand `s` (first
/// when `scalar_first`), when it has one with the same arithmetic.
pub(super) fn scalar_step(op: &str, s: f32, scalar_first: bool) -> Option<tfjs_kernels::PointOp> {
    use tfjs_kernels::PointOp;
    Some(match (op, scalar_first) {
        // `s + x` and `s * x` round as `x + s` and `x * s`.
        ("Add", _) => PointOp::Add(s),
        ("Multiply", _) => PointOp::Mul(s),
        ("Subtract", false) => PointOp::Sub(s),
        ("Subtract", true) => PointOp::SubFrom(s),
        ("TrueDivide" | "Divide", false) => PointOp::Div(s),
        ("TrueDivide" | "Divide", true) => PointOp::DivInto(s),
        ("Maximum", false) => PointOp::Max(s),
        ("Minimum", false) => PointOp::Min(s),
        _ => return None,
    })
}

pub(super) fn binary(op: &str) -> Option<fn(f32, f32) -> f32> {
    Some(match op {
        "Add" => |a, b| a + b,
        "Subtract" => |a, b| a - b,
        "Multiply" => |a, b| a * b,
        "TrueDivide" | "Divide" => |a, b| a / b,
        "Maximum" => f32::max,
        "Minimum" => f32::min,
        "Arctan2" => f32::atan2,
        "Hypot" => f32::hypot,
        "Power" => f32::powf,
        "NotEqual" => |a, b| if a != b { 1.0 } else { 0.0 },
        "Equal" => |a, b| if a == b { 1.0 } else { 0.0 },
        "Greater" => |a, b| if a > b { 1.0 } else { 0.0 },
        "GreaterEqual" => |a, b| if a >= b { 1.0 } else { 0.0 },
        "Less" => |a, b| if a < b { 1.0 } else { 0.0 },
        "LessEqual" => |a, b| if a <= b { 1.0 } else { 0.0 },
        "LogicalOr" => |a, b| if a != 0.0 || b != 0.0 { 1.0 } else { 0.0 },
        "LogicalAnd" => |a, b| if a != 0.0 && b != 0.0 { 1.0 } else { 0.0 },
        "LogicalXor" => |a, b| if (a != 0.0) != (b != 0.0) { 1.0 } else { 0.0 },
        // numpy's mod: the remainder takes the divisor's sign.
        "Mod" => |a, b| a - (a / b).floor() * b,
        "FloorDivide" => |a, b| (a / b).floor(),
        // 0 below zero, `b` at zero, 1 above.
        "Heaviside" => |a, b| {
            if a < 0.0 {
                0.0
            } else if a > 0.0 {
                1.0
            } else {
                b
            }
        },
        // NaN-ignoring maximum / minimum (numpy's fmax / fmin): Rust's.
        "Fmax" => f32::max,
        "Fmin" => f32::min,
        // C's fmod (the dividend's sign): Keras's TensorFlow backend,
        // `sign(a) * floormod(|a|, |b|)`.
        "Fmod" => |a, b| crate::layers::tf_ops::sign(a) * (a.abs() % b.abs()),
        // `tf.math.divide_no_nan`: 0 where the divisor is 0.
        "DivideNoNan" => |a, b| if b == 0.0 { 0.0 } else { a / b },
        // log2(2^a + 2^b), Keras's formula: a + b where a - b is NaN, else
        // max + log1p(exp(-|a - b| ln 2)) / ln 2.
        "Logaddexp2" => |a, b| {
            let d = a - b;
            if d.is_nan() {
                a + b
            } else {
                let ln2 = std::f32::consts::LN_2;
                a.max(b) + (-d.abs() * ln2).exp().ln_1p() / ln2
            }
        },
        // log(e^a + e^b) without overflow.
        "Logaddexp" => |a, b| {
            let m = a.max(b);
            if m == f32::NEG_INFINITY {
                m
            } else {
                m + (-(a - b).abs()).exp().ln_1p()
            }
        },
        // Integer bitwise / gcd / lcm / ldexp (`keras3_ops/more_ops.rs`).
        op => return super::more_ops::binary(op),
    })
}

pub(super) fn unary(op: &str) -> Option<fn(f32) -> f32> {
    Some(match op {
        "Relu" => |x| x.max(0.0),
        // The modified Bessel function of order 0 (`keras3_ops/gamma.rs`).
        "I0" => super::gamma::bessel_i0,
        "Relu6" => |x| x.clamp(0.0, 6.0),
        "Sigmoid" => sigmoid,
        "Tanh" => f32::tanh,
        "Exp" => f32::exp,
        "Log" => f32::ln,
        "Log1p" => f32::ln_1p,
        "Abs" | "Absolute" | "Fabs" => f32::abs,
        "Negative" => |x| -x,
        "Sqrt" => f32::sqrt,
        "Rsqrt" => |x| 1.0 / x.sqrt(),
        "Square" => |x| x * x,
        "Silu" | "Swish" => |x| x * sigmoid(x),
        "Softplus" => |x| Activation::Softplus.scalar(x),
        "Selu" => |x| Activation::Selu.scalar(x),
        "HardSigmoid" => |x| (x / 6.0 + 0.5).clamp(0.0, 1.0),
        "HardSilu" | "HardSwish" => |x| Activation::HardSilu.scalar(x),
        "LogicalNot" => |x| if x == 0.0 { 1.0 } else { 0.0 },
        "Floor" => f32::floor,
        "Trunc" => f32::trunc,
        "Isnan" => |x| if x.is_nan() { 1.0 } else { 0.0 },
        "Isinf" => |x| if x.is_infinite() { 1.0 } else { 0.0 },
        "Isfinite" => |x| if x.is_finite() { 1.0 } else { 0.0 },
        "Erf" => crate::activations::erf,
        "Erfc" => |x| 1.0 - crate::activations::erf(x),
        "Erfinv" => erfinv,
        // sin(πx) / (πx), 1 at 0 (Keras's formula in float32).
        "Sinc" => |x| {
            if x == 0.0 {
                1.0
            } else {
                let px = x * std::f32::consts::PI;
                px.sin() / px
            }
        },
        "Isneginf" => |x| f32::from(x == f32::NEG_INFINITY),
        "Isposinf" => |x| f32::from(x == f32::INFINITY),
        "TanhShrink" => |x| Activation::TanhShrink.scalar(x),
        "SparseSigmoid" => |x| Activation::SparseSigmoid.scalar(x),
        "Arctan" => f32::atan,
        "LogSigmoid" => |x| -Activation::Softplus.scalar(-x),
        "Round" => f32::round_ties_even,
        "HardTanh" => |x| x.clamp(-1.0, 1.0),
        // 0 up to -1, x from 1, `(x + 1)² / 4` between (Keras's formula).
        "SparsePlus" => |x| {
            if x <= -1.0 {
                0.0
            } else if x >= 1.0 {
                x
            } else {
                0.25 * (x + 1.0) * (x + 1.0)
            }
        },
        "Sign" => crate::layers::tf_ops::sign,
        "Ceil" => f32::ceil,
        "Softsign" => |x| x / (1.0 + x.abs()),
        "Sin" => f32::sin,
        "Cos" => f32::cos,
        "Reciprocal" => |x| 1.0 / x,
        "Expm1" => f32::exp_m1,
        "Log2" => f32::log2,
        "Log10" => f32::log10,
        "Sinh" => f32::sinh,
        "Cosh" => f32::cosh,
        "Tan" => f32::tan,
        "Arcsin" => f32::asin,
        "Arccos" => f32::acos,
        "Arcsinh" => f32::asinh,
        "Arccosh" => f32::acosh,
        "Arctanh" => f32::atanh,
        // Keras's formula: sign(x) * |x|^(1/3).
        "Cbrt" => |x| crate::layers::tf_ops::sign(x) * x.abs().powf(1.0 / 3.0),
        "Exp2" => |x| 2f32.powf(x),
        // The sign bit (true for -0.0), as Keras reads it.
        "Signbit" => |x| f32::from(x.is_sign_negative()),
        "Deg2rad" => |x| x * (std::f64::consts::PI / 180.0) as f32,
        "Rad2deg" => |x| x * (180.0 / std::f64::consts::PI) as f32,
        // Identities and complex parts of a real tensor, bitwise inversion
        // (`keras3_ops/more_ops.rs`).
        op => return super::more_ops::unary(op),
    })
}

/// The inverse error function (`ops.erfinv`, `tf.math.erfinv`): Giles'
/// single-precision approximation ("Approximating the erfinv function",
/// 2010), relative error about 1e-7; ±∞ at ±1, NaN outside [-1, 1].
pub(crate) fn erfinv(x: f32) -> f32 {
    if x.is_nan() || x.abs() > 1.0 {
        return f32::NAN;
    }
    if x.abs() == 1.0 {
        return x * f32::INFINITY;
    }
    let x64 = f64::from(x);
    let w = -((1.0 - x64) * (1.0 + x64)).ln();
    let p = if w < 5.0 {
        let w = w - 2.5;
        [
            3.432_739_39e-7,
            -3.523_387_7e-6,
            -4.391_506_54e-6,
            0.000_218_580_87,
            -0.001_253_725_03,
            -0.004_177_681_64,
            0.246_640_727,
            1.501_409_41,
        ]
        .iter()
        .fold(2.810_226_36e-8, |p, &c| c + p * w)
    } else {
        let w = w.sqrt() - 3.0;
        [
            0.000_100_950_558,
            0.001_349_343_22,
            -0.003_673_428_44,
            0.005_739_507_73,
            -0.007_622_461_3,
            0.009_438_870_47,
            1.001_674_06,
            2.832_976_82,
        ]
        .iter()
        .fold(-0.000_200_214_257, |p, &c| c + p * w)
    };
    (p * x64) as f32
}

/// `tf.math.polyval(coeffs, x)`: `coeffs[0]·xⁿ⁻¹ + … + coeffs[n-1]` by
/// Horner's rule in TensorFlow's order (`p = c0; p = c + p·x` for each
/// next `c`), so it rounds as TensorFlow does; no coefficients give 0.
pub(crate) fn polyval(coeffs: &[f32], x: f32) -> f32 {
    let Some((&first, rest)) = coeffs.split_first() else {
        return 0.0;
    };
    rest.iter().fold(first, |p, &c| c + p * x)
}

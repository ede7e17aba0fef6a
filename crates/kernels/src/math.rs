//! Vectorizable transcendental activations (exp, sigmoid, tanh) over slices.
//!
//! Polynomial approximations after Cephes `expf` / `tanhf` (relative error
//! around 1e-7, far inside the 1e-5 budget against TensorFlow.js), written as
//! branch-free loops so they vectorize (AVX2 when the CPU has it). NaN in
//! gives NaN out; ±inf saturate.

use crate::simd::dispatch;

const EXP_HI: f32 = 88.0;
const EXP_LO: f32 = -87.0;

#[inline(always)]
fn exp1(x: f32) -> f32 {
    let xc = x.clamp(EXP_LO, EXP_HI);
    let n = (xc * std::f32::consts::LOG2_E + 0.5).floor();
    // r = x - n ln 2, in two parts for accuracy.
    let r = xc - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5e-1;
    let y = p * r * r + r + 1.0;
    // 2^n without a (scalarizing) float→int cast: n + 127 sits in the low
    // mantissa bits of n + 127 + 2^23; shift it into the exponent field.
    let scale = f32::from_bits((n + (127.0 + 8_388_608.0)).to_bits() << 23);
    let v = y * scale;
    if x.is_nan() {
        x
    } else {
        v
    }
}

#[inline(always)]
fn tanh1(x: f32) -> f32 {
    let a = x.abs();
    // Small |x|: odd polynomial.
    let z = x * x;
    let p = -5.704_988_7e-3f32;
    let p = p * z + 2.063_909e-2;
    let p = p * z - 5.373_971_6e-2;
    let p = p * z + 1.333_144_2e-1;
    let p = p * z - 3.333_328e-1;
    let small = p * z * x + x;
    // Large |x|: 1 - 2 / (exp(2|x|) + 1), sign restored.
    let big = 1.0 - 2.0 / (exp1(2.0 * a) + 1.0);
    let big = if x < 0.0 { -big } else { big };
    let v = if a < 0.625 { small } else { big };
    if x.is_nan() {
        x
    } else {
        v
    }
}

dispatch!(fn exp_d(x: &mut [f32]) => exp_impl);
dispatch!(fn sigmoid_d(x: &mut [f32]) => sigmoid_impl);
dispatch!(fn tanh_d(x: &mut [f32]) => tanh_impl);
dispatch!(fn silu_d(x: &mut [f32]) => silu_impl);

#[inline(always)]
fn exp_impl<const FMA: bool>(x: &mut [f32]) {
    for v in x {
        *v = exp1(*v);
    }
}
#[inline(always)]
fn sigmoid_impl<const FMA: bool>(x: &mut [f32]) {
    for v in x {
        *v = 1.0 / (1.0 + exp1(-*v));
    }
}
#[inline(always)]
fn silu_impl<const FMA: bool>(x: &mut [f32]) {
    for v in x {
        *v = *v / (1.0 + exp1(-*v));
    }
}
#[inline(always)]
fn tanh_impl<const FMA: bool>(x: &mut [f32]) {
    for v in x {
        *v = tanh1(*v);
    }
}

/// `x = exp(x)` elementwise (overflows to ~1.6e38 above 88, underflows to ~1.6e-38 below -87).
///
/// ```
/// let mut x = [0.0f32, 1.0];
/// tfjs_kernels::exp_inplace(&mut x);
/// assert!((x[1] - std::f32::consts::E).abs() < 1e-6);
/// ```
pub fn exp_inplace(x: &mut [f32]) {
    exp_d(x)
}

/// `x = 1 / (1 + exp(-x))` elementwise (TensorFlow.js `sigmoid`).
///
/// ```
/// let mut x = [0.0f32];
/// tfjs_kernels::sigmoid_inplace(&mut x);
/// assert_eq!(x, [0.5]);
/// ```
pub fn sigmoid_inplace(x: &mut [f32]) {
    sigmoid_d(x)
}

/// `x = x * sigmoid(x)` elementwise (Keras `swish` / `silu`).
///
/// ```
/// let mut x = [0.0f32, 30.0];
/// tfjs_kernels::silu_inplace(&mut x);
/// assert_eq!(x, [0.0, 30.0]);
/// ```
pub fn silu_inplace(x: &mut [f32]) {
    silu_d(x)
}

/// `x = tanh(x)` elementwise.
///
/// ```
/// let mut x = [0.0f32, 20.0];
/// tfjs_kernels::tanh_inplace(&mut x);
/// assert_eq!(x, [0.0, 1.0]);
/// ```
pub fn tanh_inplace(x: &mut [f32]) {
    tanh_d(x)
}

//! Vectorizable transcendental activations (exp, sigmoid, tanh, erf, gelu)
//! over slices.
//!
//! Polynomial approximations after Cephes `expf` / `tanhf` (relative error
//! around 1e-7, far inside the 1e-5 budget against TensorFlow.js), written as
//! branch-free loops so they vectorize (AVX2 when the CPU has it). NaN in
//! gives NaN out; ±inf saturate.

use crate::simd::{dispatch, madd};

const EXP_HI: f32 = 88.0;
const EXP_LO: f32 = -87.0;

/// `exp(x)`; with `FMA` the products and sums of the range reduction and
/// the polynomial are fused (1.6× the speed of separate ones, within 2 ulp
/// of them), without it they are the separate operations.
#[inline(always)]
fn exp1<const FMA: bool>(x: f32) -> f32 {
    let xc = x.clamp(EXP_LO, EXP_HI);
    let n = madd::<FMA>(xc, std::f32::consts::LOG2_E, 0.5).floor();
    // r = x - n ln 2, in two parts for accuracy.
    let r = madd::<FMA>(n, -0.693_359_4, xc);
    let r = madd::<FMA>(n, 2.121_944_4e-4, r);
    let p = 1.987_569_1e-4f32;
    let p = madd::<FMA>(p, r, 1.398_199_9e-3);
    let p = madd::<FMA>(p, r, 8.333_452e-3);
    let p = madd::<FMA>(p, r, 4.166_579_6e-2);
    let p = madd::<FMA>(p, r, 1.666_666_5e-1);
    let p = madd::<FMA>(p, r, 5e-1);
    let y = madd::<FMA>(p * r, r, r) + 1.0;
    // 2^n without a (scalarizing) float→int cast: n + 127 sits in the low
    // mantissa bits of n + 127 + 2^23; shift it into the exponent field.
    let scale = f32::from_bits((n + (127.0 + 8_388_608.0)).to_bits() << 23);
    let v = y * scale;
    // `xc` (NaN when `x` is) rather than `x`: see `tanh1`.
    if x.is_nan() {
        xc
    } else {
        v
    }
}

/// tanh for f32: the 13/6-degree rational interpolant `x·P(x²)/Q(x²)` of
/// Eigen's `generic_fast_tanh_float`, which TensorFlow's CPU kernels (and so
/// Keras's `tanh` and its recurrent layers) and ONNX Runtime use: one
/// division and no `exp`, twice the speed of `1 - 2 / (exp(2x) + 1)`, within
/// 4e-7 relative of the true tanh (crates/kernels/tests/reference.rs).
/// Clamped to where it reaches ±1 (with or without fused multiply-adds, as
/// Eigen), and `x` itself below 0.0004.
#[inline(always)]
fn tanh1<const FMA: bool>(x: f32) -> f32 {
    let clamp = if FMA { 7.998_811_7 } else { 7.905_311 };
    // Comparisons that are false for NaN, so NaN passes through (`f32::clamp`
    // does too, but its two selects kept the loop from vectorizing cleanly).
    let xc = if x > clamp { clamp } else { x };
    let xc = if xc < -clamp { -clamp } else { xc };
    let x2 = xc * xc;
    let p = madd::<FMA>(x2, -2.760_768_5e-16, 2.000_188e-13);
    let p = madd::<FMA>(x2, p, -8.604_672e-11);
    let p = madd::<FMA>(x2, p, 5.122_297e-8);
    let p = madd::<FMA>(x2, p, 1.485_722_4e-5);
    let p = madd::<FMA>(x2, p, 6.372_619_3e-4);
    let p = madd::<FMA>(x2, p, 4.893_524_6e-3);
    let p = p * xc;
    let q = madd::<FMA>(x2, 1.198_258_4e-6, 1.185_347_1e-4);
    let q = madd::<FMA>(x2, q, 2.268_434_6e-3);
    let q = madd::<FMA>(x2, q, 4.893_525e-3);
    let v = p / q;
    // NaN: the clamp passes it through, so `v` is NaN too. (`xc`, equal to `x`
    // there, rather than `x`: a select of the slot's own value became a masked
    // store, `vmaskmovps`, which halved the loop's speed on Zen 2.)
    if x.abs() < 0.0004 {
        xc
    } else {
        v
    }
}

/// The logistic function `1 / (1 + exp(-x))` as Eigen's `scalar_logistic_op<float>`
/// computes it (ONNX Runtime's MLAS uses the same rational form): the shifted
/// logistic `x·P(x²)/Q(x²) + 0.5`, one division and no `exp`, with `x` lowered to
/// where it reaches 1 (with or without fused multiply-adds, as Eigen). Its error
/// is absolute, within 1e-7 (an ulp of 0.5), so it is relatively coarse for small
/// results: below -9, where the result is under 1.3e-4, [`sigmoid_inplace`]
/// computes `e / (1 + e)` with `e = exp(x)` instead, and only for the 8-value
/// blocks that hold such an `x`. (Eigen takes `exp(x)` alone there; TensorFlow
/// 2.21's CPU sigmoid, TensorFlow.js's `1 / (1 + exp(-x))` and this agree there.)
#[inline(always)]
fn logistic_rational<const FMA: bool>(x: f32) -> f32 {
    let cutoff = if FMA { 15.724_383 } else { 15.643_771 };
    // `x > cutoff` is false for NaN, so NaN passes through to the result.
    let x = if x > cutoff { cutoff } else { x };
    let x2 = x * x;
    let p = madd::<FMA>(x2, 4.370_31e-11, 1.156_273_2e-7);
    let p = madd::<FMA>(x2, p, 6.085_749e-5);
    let p = madd::<FMA>(x2, p, 8.513_771e-3);
    let p = madd::<FMA>(x2, p, 2.482_879_5e-1);
    let p = p * x;
    let q = madd::<FMA>(x2, 6.102_473_7e-13, 5.761_021_4e-9);
    let q = madd::<FMA>(x2, q, 6.291_068e-6);
    let q = madd::<FMA>(x2, q, 1.701_988_2e-3);
    let q = madd::<FMA>(x2, q, 1.168_176_5e-1);
    let q = madd::<FMA>(x2, q, 9.931_519e-1);
    p / q + 0.5
}

/// Below this the logistic is `exp(x)` (see [`logistic_rational`]).
const LOGISTIC_EXP_BELOW: f32 = -9.0;

/// `x = sigmoid(x)` over 8 values at a time: the rational form, and `exp` only
/// in blocks that hold a value below -9 (a `select` of both would cost the
/// `exp` everywhere).
#[inline(always)]
fn sigmoid_blocks<const FMA: bool>(x: &mut [f32]) {
    #[inline(always)]
    fn block<const FMA: bool>(b: &mut [f32]) {
        if b.iter()
            .fold(false, |any, &v| any | (v < LOGISTIC_EXP_BELOW))
        {
            for v in b.iter_mut() {
                *v = if *v < LOGISTIC_EXP_BELOW {
                    let e = exp1::<FMA>(*v);
                    e / (1.0 + e)
                } else {
                    logistic_rational::<FMA>(*v)
                };
            }
        } else {
            for v in b.iter_mut() {
                *v = logistic_rational::<FMA>(*v);
            }
        }
    }
    let mut blocks = x.chunks_exact_mut(8);
    for b in &mut blocks {
        block::<FMA>(b);
    }
    block::<FMA>(blocks.into_remainder());
}

/// `x = 1 / (1 + exp(-x))` elementwise (Keras's and TensorFlow.js's `sigmoid`)
/// through [`logistic_rational`]: within 1e-7 absolute and 3e-7 relative of the
/// true logistic (crates/kernels/tests/reference.rs), 1.6× the speed of
/// `1 / (1 + exp(-x))` with the vectorized `exp`.
///
/// ```
/// let mut x = [0.0f32, 20.0];
/// tfjs_kernels::sigmoid_inplace(&mut x);
/// assert_eq!(x, [0.5, 1.0]);
/// ```
pub fn sigmoid_inplace(x: &mut [f32]) {
    dispatch!(fn run(x: &mut [f32]) => sigmoid_blocks);
    run(x)
}

/// erf for f32: the rational approximation of Eigen's `generic_fast_erf_float`,
/// which TensorFlow's CPU kernels (and so Keras's `gelu`) use: x·P(x²)/Q(x²)
/// with x clamped to [-4, 4]. Beyond |x| = 3.92 the true erf rounds to ±1 in
/// f32 while the approximation stays an ulp or two short, so it saturates
/// there. Branch-free (the select is a blend), so a loop of it vectorizes,
/// within a few ulps of the true erf (crates/kernels/tests/reference.rs).
#[inline(always)]
fn erf1(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = -2.726_142_3e-10f32;
    let p = p * x2 + 2.770_681_4e-8;
    let p = p * x2 - 2.101_024e-6;
    let p = p * x2 - 5.692_506_4e-5;
    let p = p * x2 - 7.349_906_3e-4;
    let p = p * x2 - 2.954_6e-3;
    let p = p * x2 - 1.609_603_3e-2;
    let q = -1.456_607_2e-5f32;
    let q = q * x2 - 2.133_740_6e-4;
    let q = q * x2 - 1.682_827e-3;
    let q = q * x2 - 7.373_329e-3;
    let q = q * x2 - 1.426_473_9e-2;
    if x.abs() >= 3.92 {
        1.0f32.copysign(x)
    } else {
        x * p / q
    }
}

/// Keras `gelu` (approximate=False): `0.5 x (1 + erf(x / √2))`.
#[inline(always)]
fn gelu1(x: f32) -> f32 {
    0.5 * x * (1.0 + erf1(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The tanh form (Keras `gelu(approximate=True)`, TF.js `gelu_new`):
/// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
#[inline(always)]
fn gelu_tanh1<const FMA: bool>(x: f32) -> f32 {
    const C: f32 = 0.797_884_6; // √(2/π)
    0.5 * x * (1.0 + tanh1::<FMA>(C * (x + 0.044_715 * x * x * x)))
}

/// `x · sigmoid(x)`, as `x / (1 + exp(-x))`.
#[inline(always)]
fn silu1<const FMA: bool>(x: f32) -> f32 {
    x / (1.0 + exp1::<FMA>(-x))
}

/// `pub fn $name(x: &mut [f32])` setting every `x` to `$f(x)` (`$fma` is
/// the `const FMA: bool` that `$f` may use), the loop built for the CPU's
/// vector width by [`dispatch!`](crate::simd::dispatch).
macro_rules! elementwise {
    ($($(#[$doc:meta])* $name:ident, <$fma:ident> |$v:ident| $f:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name(x: &mut [f32]) {
            #[inline(always)]
            fn each<const $fma: bool>(x: &mut [f32]) {
                // Blocks of 32, whose loop LLVM unrolls into four independent
                // vectors (the latency of one polynomial's chain overlapped):
                // tanh, erf and silu ran 1.5-1.9x faster than a plain loop
                // over the slice. (Blocks of 8 were worse: LLVM vectorized
                // across blocks, transposing them in and out.)
                let mut blocks = x.chunks_exact_mut(32);
                for block in &mut blocks {
                    for slot in block {
                        let $v = *slot;
                        *slot = $f;
                    }
                }
                for slot in blocks.into_remainder() {
                    let $v = *slot;
                    *slot = $f;
                }
            }
            dispatch!(fn run(x: &mut [f32]) => each);
            run(x)
        }
    )*};
}

/// erf of one number (the same approximation as [`erf_inplace`]).
///
/// ```
/// assert!((tfjs_kernels::erf(0.5) - 0.520_499_9).abs() < 1e-6);
/// ```
pub fn erf(x: f32) -> f32 {
    erf1(x)
}

elementwise! {
    /// `x = exp(x)` elementwise (overflows to ~1.6e38 above 88, underflows to ~1.6e-38 below -87).
    ///
    /// ```
    /// let mut x = [0.0f32, 1.0];
    /// tfjs_kernels::exp_inplace(&mut x);
    /// assert!((x[1] - std::f32::consts::E).abs() < 1e-6);
    /// ```
    exp_inplace, <FMA> |v| exp1::<FMA>(v);

    /// `x = x * sigmoid(x)` elementwise (Keras `swish` / `silu`).
    ///
    /// ```
    /// let mut x = [0.0f32, 30.0];
    /// tfjs_kernels::silu_inplace(&mut x);
    /// assert_eq!(x, [0.0, 30.0]);
    /// ```
    silu_inplace, <FMA> |v| silu1::<FMA>(v);

    /// `x = erf(x)` elementwise (Eigen's approximation, as TensorFlow's CPU kernels).
    ///
    /// ```
    /// let mut x = [0.0f32, 10.0, -10.0];
    /// tfjs_kernels::erf_inplace(&mut x);
    /// assert_eq!(x, [0.0, 1.0, -1.0]);
    /// ```
    erf_inplace, <FMA> |v| erf1(v);

    /// `x = 0.5 x (1 + erf(x / √2))` elementwise (Keras `gelu`, approximate=False).
    ///
    /// ```
    /// let mut x = [0.0f32, 10.0];
    /// tfjs_kernels::gelu_inplace(&mut x);
    /// assert_eq!(x, [0.0, 10.0]);
    /// ```
    gelu_inplace, <FMA> |v| gelu1(v);

    /// `x = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))` elementwise (Keras
    /// `gelu(approximate=True)`, TF.js `gelu_new`).
    ///
    /// ```
    /// let mut x = [0.0f32, 10.0];
    /// tfjs_kernels::gelu_tanh_inplace(&mut x);
    /// assert_eq!(x, [0.0, 10.0]);
    /// ```
    gelu_tanh_inplace, <FMA> |v| gelu_tanh1::<FMA>(v);

    /// `x = tanh(x)` elementwise.
    ///
    /// ```
    /// let mut x = [0.0f32, 20.0];
    /// tfjs_kernels::tanh_inplace(&mut x);
    /// assert_eq!(x, [0.0, 1.0]);
    /// ```
    tanh_inplace, <FMA> |v| tanh1::<FMA>(v);
}

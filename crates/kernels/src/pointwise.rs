//! Per-channel affine maps with an activation ([`channel_affine`]: a
//! BatchNormalization on its own and the ReLU after it), and chains of
//! elementwise steps with a scalar (`x + 3`, `min(max(x, 0), 6)`,
//! `x * (1/6)`, …) run as one pass over the values, on the CPU's widest
//! vectors: each block of [`BLOCK`] values goes through every step while it
//! is in L1, instead of one pass over the tensor per layer. Every step is
//! the exact IEEE operation the layer it stands for computes (one rounding
//! each, in the same order), so the numbers are those of running the layers
//! one by one, whatever the vector width.

use crate::simd::dispatch;
use crate::FusedActivation;

/// One elementwise step with a scalar operand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PointOp {
    /// `x + s`.
    Add(f32),
    /// `x - s`.
    Sub(f32),
    /// `s - x`.
    SubFrom(f32),
    /// `x * s`.
    Mul(f32),
    /// `x / s`.
    Div(f32),
    /// `s / x`.
    DivInto(f32),
    /// `x.max(s)` (IEEE maxNum: a NaN `x` gives `s`).
    Max(f32),
    /// `x.min(s)` (a NaN `x` gives `s`).
    Min(f32),
    /// `x.clamp(lo, hi)` (a NaN `x` stays NaN; never panics).
    Clamp(f32, f32),
}

/// Values per block: 1 KiB, in L1 across all the steps, a multiple of every
/// vector width.
const BLOCK: usize = 256;

#[inline(always)]
fn step(op: PointOp, x: &mut [f32]) {
    match op {
        PointOp::Add(s) => x.iter_mut().for_each(|v| *v += s),
        PointOp::Sub(s) => x.iter_mut().for_each(|v| *v -= s),
        PointOp::SubFrom(s) => x.iter_mut().for_each(|v| *v = s - *v),
        PointOp::Mul(s) => x.iter_mut().for_each(|v| *v *= s),
        PointOp::Div(s) => x.iter_mut().for_each(|v| *v /= s),
        PointOp::DivInto(s) => x.iter_mut().for_each(|v| *v = s / *v),
        PointOp::Max(s) => x.iter_mut().for_each(|v| *v = v.max(s)),
        PointOp::Min(s) => x.iter_mut().for_each(|v| *v = v.min(s)),
        // `f32::clamp`'s arithmetic, without its panic on `lo > hi`.
        PointOp::Clamp(lo, hi) => x.iter_mut().for_each(|v| {
            let mut y = *v;
            if y < lo {
                y = lo;
            }
            if y > hi {
                y = hi;
            }
            *v = y
        }),
    }
}

#[inline(always)]
fn apply_impl<const FMA: bool>(x: &mut [f32], ops: &[PointOp]) {
    for block in x.chunks_mut(BLOCK) {
        for &op in ops {
            step(op, block);
        }
    }
}

#[inline(always)]
fn gate_impl<const FMA: bool>(y: &mut [f32], ops: &[PointOp]) {
    let mut g = [0f32; BLOCK];
    for block in y.chunks_mut(BLOCK) {
        let g = &mut g[..block.len()];
        g.copy_from_slice(block);
        for &op in ops {
            step(op, g);
        }
        block.iter_mut().zip(g.iter()).for_each(|(v, g)| *v *= *g);
    }
}

dispatch!(fn apply_dispatch(x: &mut [f32], ops: &[PointOp]) => apply_impl);
dispatch!(fn gate_dispatch(y: &mut [f32], ops: &[PointOp]) => gate_impl);

/// `x = ops(x)` in place: each step in order, block by block.
///
/// ```
/// use tfjs_kernels::{apply_point_ops, PointOp};
/// let mut x = [-5.0f32, 0.0, 9.0];
/// apply_point_ops(&mut x, &[PointOp::Add(3.0), PointOp::Clamp(0.0, 6.0), PointOp::Mul(0.5)]);
/// assert_eq!(x, [0.0, 1.5, 3.0]);
/// ```
pub fn apply_point_ops(x: &mut [f32], ops: &[PointOp]) {
    if !ops.is_empty() {
        apply_dispatch(x, ops)
    }
}

/// `y = y * ops(y)` in place (a gate: hard-swish is `x * relu6(x + 3) / 6`
/// written as `Multiply([x, g(x)])`).
///
/// ```
/// use tfjs_kernels::{gate_point_ops, PointOp};
/// let mut y = [-4.0f32, 1.0, 4.0];
/// gate_point_ops(&mut y, &[PointOp::Add(3.0), PointOp::Clamp(0.0, 6.0), PointOp::Mul(0.25)]);
/// assert_eq!(y, [-0.0, 1.0, 6.0]);
/// ```
pub fn gate_point_ops(y: &mut [f32], ops: &[PointOp]) {
    gate_dispatch(y, ops)
}

#[inline(always)]
fn affine_impl<const FMA: bool>(
    x: &[f32],
    scale: &[f32],
    shift: &[f32],
    act: FusedActivation,
    out: &mut [f32],
) {
    let c = scale.len();
    for (o, i) in out.chunks_exact_mut(c).zip(x.chunks_exact(c)) {
        for (((o, i), s), t) in o.iter_mut().zip(i).zip(scale).zip(shift) {
            *o = i * s + t;
        }
        act.apply_block(o);
    }
}

#[inline(always)]
fn affine_inplace_impl<const FMA: bool>(
    scale: &[f32],
    shift: &[f32],
    act: FusedActivation,
    out: &mut [f32],
) {
    for o in out.chunks_exact_mut(scale.len()) {
        for ((o, s), t) in o.iter_mut().zip(scale).zip(shift) {
            *o = *o * s + t;
        }
        act.apply_block(o);
    }
}

dispatch!(fn affine_dispatch(x: &[f32], scale: &[f32], shift: &[f32], act: FusedActivation, out: &mut [f32]) => affine_impl);
dispatch!(fn affine_inplace_dispatch(scale: &[f32], shift: &[f32], act: FusedActivation, out: &mut [f32]) => affine_inplace_impl);

/// `out = act(x * scale + shift)` per channel of the last axis (`scale` and
/// `shift` hold one value per channel): an inference-time
/// BatchNormalization and the ReLU after it in one pass, each value
/// rounded as the two layers round it (a product, then a sum; no fused
/// multiply-add). [`channel_affine_inplace`] is the same on `out`'s own
/// values.
///
/// # Panics
/// If `scale` and `shift` differ in length, or `x` and `out` are not the
/// same whole number of rows of that length.
///
/// ```
/// use tfjs_kernels::{channel_affine, FusedActivation};
/// let mut out = [0.0f32; 4];
/// channel_affine(&[1.0, 2.0, -3.0, 4.0], &[2.0, 0.5], &[0.0, 1.0], FusedActivation::Relu, &mut out);
/// assert_eq!(out, [2.0, 2.0, 0.0, 3.0]);
/// ```
pub fn channel_affine(
    x: &[f32],
    scale: &[f32],
    shift: &[f32],
    act: FusedActivation,
    out: &mut [f32],
) {
    check_affine(x.len(), scale, shift, out.len());
    if scale.is_empty() {
        return;
    }
    affine_dispatch(x, scale, shift, act, out);
    act.apply_after_store(out);
}

/// [`channel_affine`] with `x` read from and written to `out`.
pub fn channel_affine_inplace(scale: &[f32], shift: &[f32], act: FusedActivation, out: &mut [f32]) {
    check_affine(out.len(), scale, shift, out.len());
    if scale.is_empty() {
        return;
    }
    affine_inplace_dispatch(scale, shift, act, out);
    act.apply_after_store(out);
}

#[inline(always)]
fn scale_impl<const FMA: bool>(x: &[f32], scale: &[f32], out: &mut [f32]) {
    let c = scale.len();
    for (o, i) in out.chunks_exact_mut(c).zip(x.chunks_exact(c)) {
        for ((o, i), s) in o.iter_mut().zip(i).zip(scale) {
            *o = i * s;
        }
    }
}

#[inline(always)]
fn scale_inplace_impl<const FMA: bool>(scale: &[f32], out: &mut [f32]) {
    for o in out.chunks_exact_mut(scale.len()) {
        for (o, s) in o.iter_mut().zip(scale) {
            *o *= s;
        }
    }
}

dispatch!(fn scale_dispatch(x: &[f32], scale: &[f32], out: &mut [f32]) => scale_impl);
dispatch!(fn scale_inplace_dispatch(scale: &[f32], out: &mut [f32]) => scale_inplace_impl);

/// [`channel_scale`] on `out`'s own values.
pub fn channel_scale_inplace(scale: &[f32], out: &mut [f32]) {
    let c = scale.len();
    assert!(
        out.len().is_multiple_of(c.max(1)) && (c > 0 || out.is_empty()),
        "channel_scale_inplace: {} values, {c} scales",
        out.len()
    );
    if c > 0 {
        scale_inplace_dispatch(scale, out);
    }
}

/// `out = x * scale` per channel of the last axis (a squeeze-and-excite
/// gate: `Multiply([x, s])` with `s` of shape `[batch, 1, 1, channels]`,
/// one image at a time).
///
/// # Panics
/// If `x` and `out` are not the same whole number of rows of
/// `scale.len()` values.
///
/// ```
/// let mut out = [0.0f32; 4];
/// tfjs_kernels::channel_scale(&[1.0, 2.0, 3.0, 4.0], &[2.0, -1.0], &mut out);
/// assert_eq!(out, [2.0, -2.0, 6.0, -4.0]);
/// ```
pub fn channel_scale(x: &[f32], scale: &[f32], out: &mut [f32]) {
    let c = scale.len();
    assert!(
        x.len() == out.len() && x.len().is_multiple_of(c.max(1)) && (c > 0 || x.is_empty()),
        "channel_scale: {} values in, {} out, {c} scales",
        x.len(),
        out.len()
    );
    if c > 0 {
        scale_dispatch(x, scale, out);
    }
}

fn check_affine(x: usize, scale: &[f32], shift: &[f32], out: usize) {
    let c = scale.len();
    assert!(
        shift.len() == c && x == out && x.is_multiple_of(c),
        "channel_affine: {x} values in, {out} out, {c} scales, {} shifts",
        shift.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: each step as a separate pass of scalar operations.
    fn naive(x: &[f32], ops: &[PointOp]) -> Vec<f32> {
        let mut y = x.to_vec();
        for op in ops {
            for v in y.iter_mut() {
                *v = match *op {
                    PointOp::Add(s) => *v + s,
                    PointOp::Sub(s) => *v - s,
                    PointOp::SubFrom(s) => s - *v,
                    PointOp::Mul(s) => *v * s,
                    PointOp::Div(s) => *v / s,
                    PointOp::DivInto(s) => s / *v,
                    PointOp::Max(s) => v.max(s),
                    PointOp::Min(s) => v.min(s),
                    PointOp::Clamp(lo, hi) => v.clamp(lo, hi),
                };
            }
        }
        y
    }

    /// Bit for bit the two layers' arithmetic (product, sum, then the
    /// activation), channel counts around the vector widths, in place too.
    #[test]
    fn channel_affine_matches_the_product_the_sum_and_the_activation() {
        for c in [1, 3, 16, 17, 64, 300] {
            for rows in [0, 1, 5, 40] {
                let x = values(c * rows);
                let scale: Vec<f32> = (0..c).map(|i| 0.5 + i as f32 / 7.0).collect();
                let shift: Vec<f32> = (0..c).map(|i| i as f32 / 3.0 - 4.0).collect();
                for act in [
                    FusedActivation::Linear,
                    FusedActivation::Relu,
                    FusedActivation::Relu6,
                    FusedActivation::Silu,
                ] {
                    let mut want: Vec<f32> = x
                        .iter()
                        .enumerate()
                        .map(|(i, v)| v * scale[i % c] + shift[i % c])
                        .collect();
                    act.apply(&mut want);
                    let mut got = vec![f32::NAN; x.len()];
                    channel_affine(&x, &scale, &shift, act, &mut got);
                    assert!(same_bits(&got, &want), "c={c} rows={rows} {act:?}");
                    let mut inplace = x.clone();
                    channel_affine_inplace(&scale, &shift, act, &mut inplace);
                    assert!(
                        same_bits(&inplace, &want),
                        "in place c={c} rows={rows} {act:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn channel_scale_matches_the_product() {
        for c in [1, 5, 16, 33, 200] {
            for rows in [0, 1, 7] {
                let x = values(c * rows);
                let s: Vec<f32> = (0..c).map(|i| i as f32 / 5.0 - 1.3).collect();
                let want: Vec<f32> = x.iter().enumerate().map(|(i, v)| v * s[i % c]).collect();
                let mut got = vec![f32::NAN; x.len()];
                channel_scale(&x, &s, &mut got);
                assert!(same_bits(&got, &want), "c={c} rows={rows}");
                let mut inplace = x.clone();
                channel_scale_inplace(&s, &mut inplace);
                assert!(same_bits(&inplace, &want), "in place c={c} rows={rows}");
            }
        }
    }

    fn values(n: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 / 37.0 - 13.0)
            .collect();
        // NaN, infinities, signed zeros go through every step too.
        for (i, s) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0]
            .into_iter()
            .enumerate()
        {
            if i * 3 < n {
                v[i * 3] = s;
            }
        }
        v
    }

    fn same_bits(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    /// Bit for bit the separate passes, for every step, block sizes that
    /// are not multiples of the vector width, and the gate form.
    #[test]
    fn one_pass_matches_separate_passes_bit_for_bit() {
        let all = [
            PointOp::Add(3.0),
            PointOp::Sub(0.7),
            PointOp::SubFrom(2.5),
            PointOp::Mul(1.0 / 6.0),
            PointOp::Div(3.0),
            PointOp::DivInto(1.5),
            PointOp::Max(0.0),
            PointOp::Min(6.0),
            PointOp::Clamp(0.0, 6.0),
        ];
        for n in [0, 1, 15, 17, 255, 256, 257, 1000] {
            let x = values(n);
            for k in 0..all.len() {
                let ops = &all[k..(k + 3).min(all.len())];
                let mut y = x.clone();
                apply_point_ops(&mut y, ops);
                assert!(same_bits(&y, &naive(&x, ops)), "apply {ops:?} n={n}");
                let mut gated = x.clone();
                gate_point_ops(&mut gated, ops);
                let want: Vec<f32> = x.iter().zip(naive(&x, ops)).map(|(a, g)| a * g).collect();
                assert!(same_bits(&gated, &want), "gate {ops:?} n={n}");
            }
        }
    }
}

//! TensorFlow's (Python's, not TensorFlow.js's) image resize filters as
//! separable 1-D weights: `tf.image.resize` with `bicubic` (the
//! `ResizeBicubic` kernel with half-pixel centers: Keys' cubic, a = -0.5,
//! looked up in its 1024-step table, taps outside the image dropped and
//! the rest renormalized), `area` (`ResizeArea`: box overlaps) and
//! `lanczos3` / `lanczos5` / `gaussian` / `mitchellcubic`
//! (`ScaleAndTranslate` without antialiasing; the last two only tf_keras
//! offers), and `antialias=True` ([`ResizeFilter::Antialiased`]: every
//! method but `nearest` and `area` through `ScaleAndTranslate`, bilinear
//! as its triangle kernel and bicubic as its Keys cubic, each widened by
//! the downscale factor).
//! Keras 3's `Resizing` and `UpSampling2D` (TensorFlow backend) compute
//! these. Every filter is one `[out, n]` matrix per axis, so a resize is
//! two small matrix products ([`resize_separable`]); the TF.js rebuild
//! writes the same matrices as `Dense` kernels.

use crate::image::ImageShape;

/// A resize filter of `tf.image.resize` other than bilinear / nearest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeFilter {
    /// `bicubic`.
    Bicubic,
    /// `area`.
    Area,
    /// `lanczos3`.
    Lanczos3,
    /// `lanczos5`.
    Lanczos5,
    /// `gaussian` (radius 1.5, sigma 0.5).
    Gaussian,
    /// `mitchellcubic` (Mitchell–Netravali, B = C = 1/3).
    MitchellCubic,
    /// `tf.image.resize(..., antialias=True)` of a method other than
    /// `nearest` / `area` (which ignore the flag).
    Antialiased(AntialiasKernel),
}

/// `ScaleAndTranslate`'s kernels as `tf.image.resize(antialias=True)`
/// picks them (`resize_with_scale_and_translate` in TensorFlow's
/// `image_ops_impl.py`): downscaling by `s` widens the kernel `s` times
/// (`kernel_scale = max(1 / scale, 1)`), a low-pass filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AntialiasKernel {
    /// `bilinear`: the triangle `max(1 - |x|, 0)`, radius 1.
    Triangle,
    /// `bicubic`: Keys' cubic (a = -0.5) computed, radius 2.
    KeysCubic,
    /// `lanczos3`.
    Lanczos3,
    /// `lanczos5`.
    Lanczos5,
    /// `gaussian`.
    Gaussian,
    /// `mitchellcubic`.
    MitchellCubic,
}

impl AntialiasKernel {
    /// The kernel `tf.image.resize` method `name` antialiases with
    /// (`None`: `nearest`, `area`, or not a method).
    pub fn for_method(name: &str) -> Option<Self> {
        Some(match name {
            "bilinear" => Self::Triangle,
            "bicubic" => Self::KeysCubic,
            "lanczos3" => Self::Lanczos3,
            "lanczos5" => Self::Lanczos5,
            "gaussian" => Self::Gaussian,
            "mitchellcubic" => Self::MitchellCubic,
            _ => return None,
        })
    }

    /// The method's name.
    pub fn method(self) -> &'static str {
        match self {
            Self::Triangle => "bilinear",
            Self::KeysCubic => "bicubic",
            Self::Lanczos3 => "lanczos3",
            Self::Lanczos5 => "lanczos5",
            Self::Gaussian => "gaussian",
            Self::MitchellCubic => "mitchellcubic",
        }
    }
}

impl ResizeFilter {
    /// The filter Keras / TensorFlow name `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "bicubic" => Self::Bicubic,
            "area" => Self::Area,
            "lanczos3" => Self::Lanczos3,
            "lanczos5" => Self::Lanczos5,
            "gaussian" => Self::Gaussian,
            "mitchellcubic" => Self::MitchellCubic,
            _ => return None,
        })
    }
}

/// The `[out, n]` (row-major) weights resizing `n` samples to `out` with
/// `filter`: output `o` is `Σ_i w[o·n + i] · x[i]`.
///
/// # Panics
/// If `n` or `out` is zero.
pub fn resize_weights(filter: ResizeFilter, n: usize, out: usize) -> Vec<f32> {
    assert!(n > 0 && out > 0, "resize_weights: empty axis");
    let mut w = vec![0f32; out * n];
    for o in 0..out {
        let row = &mut w[o * n..(o + 1) * n];
        match filter {
            ResizeFilter::Bicubic => bicubic_row(o, n, out, row),
            ResizeFilter::Area => area_row(o, n, out, row),
            ResizeFilter::Lanczos3 => kernel_row(3.0, |x| lanczos(3.0, x), o, n, out, false, row),
            ResizeFilter::Lanczos5 => kernel_row(5.0, |x| lanczos(5.0, x), o, n, out, false, row),
            ResizeFilter::Gaussian => kernel_row(1.5, gaussian, o, n, out, false, row),
            ResizeFilter::MitchellCubic => kernel_row(2.0, mitchell_cubic, o, n, out, false, row),
            ResizeFilter::Antialiased(k) => {
                let (radius, kernel): (f32, fn(f32) -> f32) = match k {
                    AntialiasKernel::Triangle => (1.0, triangle),
                    AntialiasKernel::KeysCubic => (2.0, keys_cubic),
                    AntialiasKernel::Lanczos3 => (3.0, |x| lanczos(3.0, x)),
                    AntialiasKernel::Lanczos5 => (5.0, |x| lanczos(5.0, x)),
                    AntialiasKernel::Gaussian => (1.5, gaussian),
                    AntialiasKernel::MitchellCubic => (2.0, mitchell_cubic),
                };
                kernel_row(radius, kernel, o, n, out, true, row)
            }
        }
    }
    w
}

/// TensorFlow's cubic coefficient table (`GetCoeffsTable`, Keys' a = -0.5):
/// entry `2i` weighs a tap at distance `i/1024`, `2i + 1` one at `1 + i/1024`.
const TABLE_SIZE: usize = 1024;

fn keys_coefficient(i: usize, far: bool) -> f32 {
    const A: f32 = -0.5;
    let mut x = i as f32 / TABLE_SIZE as f32;
    if !far {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else {
        x += 1.0;
        ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    }
}

fn bicubic_row(o: usize, n: usize, out: usize, row: &mut [f32]) {
    let scale = n as f32 / out as f32;
    let in_f = (o as f32 + 0.5) * scale - 0.5;
    let base = in_f.floor();
    let offset = ((in_f - base) * TABLE_SIZE as f32).round_ties_even() as usize;
    let base = base as i64;
    let taps = [
        (base - 1, keys_coefficient(offset, true)),
        (base, keys_coefficient(offset, false)),
        (base + 1, keys_coefficient(TABLE_SIZE - offset, false)),
        (base + 2, keys_coefficient(TABLE_SIZE - offset, true)),
    ];
    let inside = |i: i64| i >= 0 && (i as usize) < n;
    let sum: f32 = taps
        .iter()
        .filter(|(i, _)| inside(*i))
        .map(|(_, w)| w)
        .sum();
    let norm = if sum.abs() >= 1000.0 * f32::MIN_POSITIVE {
        1.0 / sum
    } else {
        1.0
    };
    for (i, w) in taps {
        if inside(i) {
            row[i as usize] += w * norm;
        }
    }
}

fn area_row(o: usize, n: usize, out: usize, row: &mut [f32]) {
    let scale = n as f32 / out as f32;
    let (lo, hi) = (o as f32 * scale, (o + 1) as f32 * scale);
    let start = lo.floor() as usize;
    let end = (hi.ceil() as usize).max(start + 1);
    for i in start..end {
        let overlap = (i as f32 + 1.0).min(hi) - (i as f32).max(lo);
        row[i.min(n - 1)] += overlap / scale;
    }
}

fn lanczos(radius: f32, x: f32) -> f32 {
    // TensorFlow's 3.14159265359 as a float is exactly this.
    use std::f32::consts::PI;
    let x = x.abs();
    if x > radius {
        return 0.0;
    }
    if x <= 1e-3 {
        return 1.0;
    }
    radius * (PI * x).sin() * (PI * x / radius).sin() / (PI * PI * x * x)
}

/// TensorFlow's `GaussianKernelFunc` (radius 1.5, sigma = radius / 3; the
/// exponent in double precision, as its `2.0` literal makes it).
fn gaussian(x: f32) -> f32 {
    const RADIUS: f32 = 1.5;
    let sigma = RADIUS / 3.0;
    let x = x.abs();
    if x >= RADIUS {
        return 0.0;
    }
    (-(x * x) as f64 / (2.0 * sigma as f64 * sigma as f64)).exp() as f32
}

/// TensorFlow's `MitchellCubicKernelFunc`.
fn mitchell_cubic(x: f32) -> f32 {
    let x = x.abs();
    if x >= 2.0 {
        0.0
    } else if x >= 1.0 {
        (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    } else {
        (((7.0 / 6.0) * x - 2.0) * x) * x + 8.0 / 9.0
    }
}

/// TensorFlow's `TriangleKernelFunc`.
fn triangle(x: f32) -> f32 {
    let x = x.abs();
    if x < 1.0 {
        1.0 - x
    } else {
        0.0
    }
}

/// TensorFlow's `KeysCubicKernelFunc` (a = -0.5, computed, not tabled).
fn keys_cubic(x: f32) -> f32 {
    let x = x.abs();
    if x >= 2.0 {
        0.0
    } else if x >= 1.0 {
        ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    } else {
        ((1.5 * x - 2.5) * x) * x + 1.0
    }
}

/// One output sample's weights by `ScaleAndTranslate`'s rule
/// (`ComputeSpansCore`): the taps within `radius` of the sample, weighed
/// by `kernel`, normalized to sum to one; with `antialias`, a downscale
/// by `s` widens the radius and the kernel `s` times.
fn kernel_row(
    radius: f32,
    kernel: impl Fn(f32) -> f32,
    o: usize,
    n: usize,
    out: usize,
    antialias: bool,
    row: &mut [f32],
) {
    let inv_scale = 1.0 / (out as f32 / n as f32);
    let kernel_scale = if antialias { inv_scale.max(1.0) } else { 1.0 };
    let sample = (o as f32 + 0.5) * inv_scale;
    if sample < 0.0 || sample > n as f32 {
        return;
    }
    let last = n as i64 - 1;
    let reach = radius * kernel_scale;
    let start = ((sample - reach - 0.5).ceil() as i64).clamp(0, last) as usize;
    let end = ((sample + reach - 0.5).floor() as i64).clamp(0, last) as usize + 1;
    let one_over = 1.0 / kernel_scale;
    let weights: Vec<f32> = (start..end)
        .map(|i| kernel(((i as f32 + 0.5 - sample) * one_over).abs()))
        .collect();
    let sum: f32 = weights.iter().sum();
    if sum.abs() < 1000.0 * f32::MIN_POSITIVE {
        return;
    }
    for (k, w) in weights.into_iter().enumerate() {
        row[start + k] = w * (1.0 / sum);
    }
}

/// Resize an NHWC batch to `out_hw` with per-axis weights (`[oh, h]`,
/// `[ow, w]`, from [`resize_weights`]): rows first, then columns.
///
/// # Panics
/// If `input` or a weight matrix does not match the shapes.
pub fn resize_separable(
    input: &[f32],
    shape: ImageShape,
    [oh, ow]: [usize; 2],
    wh: &[f32],
    ww: &[f32],
) -> Vec<f32> {
    let ImageShape {
        batch,
        height: h,
        width: w,
        channels: c,
    } = shape;
    assert_eq!(input.len(), shape.len(), "resize_separable: input length");
    assert_eq!(wh.len(), oh * h, "resize_separable: row weights");
    assert_eq!(ww.len(), ow * w, "resize_separable: column weights");
    let mut rows = vec![0f32; oh * w * c];
    let mut out = vec![0f32; batch * oh * ow * c];
    for b in 0..batch {
        let img = &input[b * h * w * c..(b + 1) * h * w * c];
        rows.iter_mut().for_each(|v| *v = 0.0);
        for y in 0..oh {
            let dst = &mut rows[y * w * c..(y + 1) * w * c];
            for (i, &wt) in wh[y * h..(y + 1) * h].iter().enumerate() {
                if wt != 0.0 {
                    let src = &img[i * w * c..(i + 1) * w * c];
                    dst.iter_mut().zip(src).for_each(|(d, s)| *d += wt * s);
                }
            }
        }
        let o = &mut out[b * oh * ow * c..(b + 1) * oh * ow * c];
        for y in 0..oh {
            for x in 0..ow {
                let dst = &mut o[(y * ow + x) * c..(y * ow + x + 1) * c];
                for (j, &wt) in ww[x * w..(x + 1) * w].iter().enumerate() {
                    if wt != 0.0 {
                        let src = &rows[(y * w + j) * c..(y * w + j + 1) * c];
                        dst.iter_mut().zip(src).for_each(|(d, s)| *d += wt * s);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every filter keeps a constant image constant (rows sum to 1).
    #[test]
    fn rows_sum_to_one() {
        for f in [
            ResizeFilter::Bicubic,
            ResizeFilter::Area,
            ResizeFilter::Lanczos3,
            ResizeFilter::Lanczos5,
            ResizeFilter::Gaussian,
            ResizeFilter::MitchellCubic,
            ResizeFilter::Antialiased(AntialiasKernel::Triangle),
            ResizeFilter::Antialiased(AntialiasKernel::KeysCubic),
        ] {
            for (n, out) in [(6, 12), (7, 3), (5, 5), (1, 4), (9, 2)] {
                let w = resize_weights(f, n, out);
                for o in 0..out {
                    let s: f32 = w[o * n..(o + 1) * n].iter().sum();
                    assert!((s - 1.0).abs() < 1e-5, "{f:?} {n}->{out} row {o}: {s}");
                }
            }
        }
    }

    /// An integer upscale by area is nearest-neighbour; an integer
    /// downscale averages each block.
    #[test]
    fn area_is_box_averaging() {
        let w = resize_weights(ResizeFilter::Area, 3, 6);
        for o in 0..6 {
            assert_eq!(&w[o * 3..(o + 1) * 3], &{
                let mut r = [0.0; 3];
                r[o / 2] = 1.0;
                r
            });
        }
        let w = resize_weights(ResizeFilter::Area, 4, 2);
        assert_eq!(w, [0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5]);
    }

    /// Separable application equals the naive double sum.
    #[test]
    fn separable_matches_naive() {
        let shape = ImageShape {
            batch: 2,
            height: 3,
            width: 4,
            channels: 2,
        };
        let x: Vec<f32> = (0..shape.len())
            .map(|i| ((i * 7) % 11) as f32 - 5.0)
            .collect();
        let (oh, ow) = (5, 3);
        let wh = resize_weights(ResizeFilter::Bicubic, 3, oh);
        let ww = resize_weights(ResizeFilter::Lanczos3, 4, ow);
        let got = resize_separable(&x, shape, [oh, ow], &wh, &ww);
        for b in 0..2 {
            for y in 0..oh {
                for xx in 0..ow {
                    for c in 0..2 {
                        let mut want = 0.0f64;
                        for i in 0..3 {
                            for j in 0..4 {
                                want += (wh[y * 3 + i] * ww[xx * 4 + j]) as f64
                                    * x[((b * 3 + i) * 4 + j) * 2 + c] as f64;
                            }
                        }
                        let g = got[((b * oh + y) * ow + xx) * 2 + c] as f64;
                        assert!((g - want).abs() < 1e-4, "{g} vs {want}");
                    }
                }
            }
        }
    }
}

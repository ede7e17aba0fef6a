//! Spectral kernels: the real-input DFT and the short-time Fourier
//! transform as TensorFlow's `tf.signal` computes them (`rfft`, `stft`,
//! `hann_window` / `hamming_window`, `frame`), for Keras's audio layers.
//!
//! The transforms run in `f64` (through [`rustfft`]) and round once to
//! `f32`: TensorFlow's `float32` FFT differs from the exact transform by
//! its own rounding, and the exact one is the closest common reference.

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// A planned real-input DFT of length `n` (`tf.signal.rfft` with
/// `fft_length = n`): `n / 2 + 1` complex bins.
#[derive(Clone)]
pub struct RealFft {
    n: usize,
    plan: Arc<dyn Fft<f64>>,
}

impl std::fmt::Debug for RealFft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealFft").field("n", &self.n).finish()
    }
}

impl RealFft {
    /// Plan a transform of length `n` (at least 1).
    pub fn new(n: usize) -> Self {
        let n = n.max(1);
        RealFft {
            n,
            plan: FftPlanner::<f64>::new().plan_fft_forward(n),
        }
    }

    /// The transform length.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Never: a transform has at least one point.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The number of bins written: `n / 2 + 1`.
    pub fn bins(&self) -> usize {
        self.n / 2 + 1
    }

    /// The DFT `X[k] = Σ x[t] e^{-2πi kt/n}` of `input` cut or zero-padded
    /// to `n` points (as `rfft` with `fft_length = n`), bins `0..=n/2`
    /// written to `re` and `im` (each [`RealFft::bins`] long).
    ///
    /// # Panics
    /// If `re` or `im` is not [`RealFft::bins`] long.
    pub fn forward(&self, input: &[f32], re: &mut [f32], im: &mut [f32]) {
        let bins = self.bins();
        assert!(re.len() == bins && im.len() == bins, "rfft: output length");
        let mut buf: Vec<Complex<f64>> = (0..self.n)
            .map(|t| Complex::new(input.get(t).map_or(0.0, |&v| f64::from(v)), 0.0))
            .collect();
        self.plan.process(&mut buf);
        for (k, c) in buf.iter().take(bins).enumerate() {
            re[k] = c.re as f32;
            im[k] = c.im as f32;
        }
    }
}

/// A raised-cosine window of `tf.signal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// `hann_window`: `0.5 - 0.5 cos(2πt / m)`.
    Hann,
    /// `hamming_window`: `0.54 - 0.46 cos(2πt / m)`.
    Hamming,
}

/// `tf.signal.hann_window` / `hamming_window(len, periodic)` in float32,
/// as TensorFlow computes it: `m = len - 1`, plus one when `periodic` and
/// `len` is even (TensorFlow's periodic window of an odd length is the
/// symmetric one); a window of length 1 is `[1]`.
pub fn window(kind: Window, len: usize, periodic: bool) -> Vec<f32> {
    if len == 1 {
        return vec![1.0];
    }
    let (a, b) = match kind {
        Window::Hann => (0.5f32, 0.5f32),
        Window::Hamming => (0.54f32, 0.46f32),
    };
    let even = usize::from(len.is_multiple_of(2));
    let m = (len + usize::from(periodic) * even - 1) as f32;
    let two_pi = (2.0 * std::f64::consts::PI) as f32;
    (0..len)
        .map(|t| a - b * (two_pi * t as f32 / m).cos())
        .collect()
}

/// The number of whole frames `tf.signal.frame(pad_end=False)` takes from
/// `len` samples: `1 + (len - frame_length) / step`, or 0 when the signal
/// is shorter than one frame.
pub fn frame_count(len: usize, frame_length: usize, step: usize) -> usize {
    if len < frame_length || step == 0 {
        0
    } else {
        1 + (len - frame_length) / step
    }
}

/// `x` with `pad` samples mirrored on each side, the edge sample not
/// repeated (`tf.pad(mode="REFLECT")`, NumPy's `reflect`).
///
/// # Panics
/// If `pad >= x.len()` (TensorFlow rejects that padding too; check first).
pub fn reflect_pad(x: &[f32], pad: usize) -> Vec<f32> {
    let n = x.len();
    assert!(pad < n, "reflect_pad: pad {pad} of a signal of {n}");
    let mut out = Vec::with_capacity(n + 2 * pad);
    out.extend((1..=pad).rev().map(|i| x[i]));
    out.extend_from_slice(x);
    out.extend((1..=pad).map(|i| x[n - 1 - i]));
    out
}

/// `tf.signal.stft(x, frame_length, frame_step, fft_length, window)` of one
/// signal, without centering: frames of `frame_length` samples every
/// `frame_step` (the last partial frame dropped), each multiplied by
/// `window` (`frame_length` values; `None`: no window) and transformed by
/// `fft` (its length is `fft_length`). Writes `[frames, fft.bins()]` real
/// and imaginary parts, frame by frame.
///
/// # Panics
/// If `window` is not `frame_length` long, or `re` / `im` are not
/// `frame_count(..) * fft.bins()` long.
pub fn stft(
    x: &[f32],
    frame_length: usize,
    frame_step: usize,
    window: Option<&[f32]>,
    fft: &RealFft,
    re: &mut [f32],
    im: &mut [f32],
) {
    let frames = frame_count(x.len(), frame_length, frame_step);
    let bins = fft.bins();
    assert!(
        re.len() == frames * bins && im.len() == frames * bins,
        "stft: output length"
    );
    if let Some(w) = window {
        assert_eq!(w.len(), frame_length, "stft: window length");
    }
    let mut frame = vec![0f32; frame_length];
    for f in 0..frames {
        let src = &x[f * frame_step..][..frame_length];
        match window {
            Some(w) => frame
                .iter_mut()
                .zip(src.iter().zip(w))
                .for_each(|(o, (v, w))| *o = v * w),
            None => frame.copy_from_slice(src),
        }
        fft.forward(
            &frame,
            &mut re[f * bins..][..bins],
            &mut im[f * bins..][..bins],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DFT by its definition, in f64.
    fn naive_dft(x: &[f32], n: usize) -> Vec<(f64, f64)> {
        (0..=n / 2)
            .map(|k| {
                (0..n).fold((0.0, 0.0), |(r, i), t| {
                    let v = x.get(t).map_or(0.0, |&v| f64::from(v));
                    let a = -2.0 * std::f64::consts::PI * (k * t) as f64 / n as f64;
                    (r + v * a.cos(), i + v * a.sin())
                })
            })
            .collect()
    }

    fn signal(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 % 17) as f32 - 8.0) / 5.0 + (i as f32 * 0.3).sin())
            .collect()
    }

    #[test]
    fn rfft_matches_the_naive_dft_on_odd_and_power_of_two_lengths() {
        for n in [1usize, 2, 3, 5, 8, 15, 16, 33, 64, 100, 127, 256] {
            // Shorter, equal and longer inputs (zero-padded, cut).
            for len in [n.saturating_sub(3).max(1), n, n + 4] {
                let x = signal(len);
                let fft = RealFft::new(n);
                let (mut re, mut im) = (vec![0f32; fft.bins()], vec![0f32; fft.bins()]);
                fft.forward(&x, &mut re, &mut im);
                for (k, (r, i)) in naive_dft(&x, n).into_iter().enumerate() {
                    let tol = 1e-5 * (1.0 + n as f64);
                    assert!(
                        (f64::from(re[k]) - r).abs() < tol && (f64::from(im[k]) - i).abs() < tol,
                        "n={n} len={len} bin {k}: ({}, {}) vs ({r}, {i})",
                        re[k],
                        im[k]
                    );
                }
            }
        }
    }

    #[test]
    fn windows_follow_tensorflow_including_its_odd_periodic_window() {
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        assert!(close(&window(Window::Hann, 4, true), &[0.0, 0.5, 1.0, 0.5]));
        // TensorFlow: a periodic window of odd length is the symmetric one.
        assert!(close(
            &window(Window::Hann, 5, true),
            &[0.0, 0.5, 1.0, 0.5, 0.0]
        ));
        assert!(close(
            &window(Window::Hann, 4, false),
            &[0.0, 0.75, 0.75, 0.0]
        ));
        assert!(close(
            &window(Window::Hamming, 4, true),
            &[0.08, 0.54, 1.0, 0.54]
        ));
        assert_eq!(window(Window::Hamming, 1, true), vec![1.0]);
    }

    #[test]
    fn reflect_pad_mirrors_without_repeating_the_edge() {
        assert_eq!(
            reflect_pad(&[1.0, 2.0, 3.0, 4.0], 2),
            vec![3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]
        );
        assert_eq!(reflect_pad(&[5.0], 0), vec![5.0]);
    }

    #[test]
    fn stft_is_the_dft_of_each_windowed_frame() {
        let x = signal(50);
        let (fl, step, n) = (12, 5, 16);
        let w = window(Window::Hann, fl, true);
        let fft = RealFft::new(n);
        let frames = frame_count(x.len(), fl, step);
        assert_eq!(frames, 1 + (50 - 12) / 5);
        let bins = fft.bins();
        let (mut re, mut im) = (vec![0f32; frames * bins], vec![0f32; frames * bins]);
        stft(&x, fl, step, Some(&w), &fft, &mut re, &mut im);
        for f in 0..frames {
            let frame: Vec<f32> = (0..fl).map(|t| x[f * step + t] * w[t]).collect();
            for (k, (r, i)) in naive_dft(&frame, n).into_iter().enumerate() {
                assert!(
                    (f64::from(re[f * bins + k]) - r).abs() < 1e-4,
                    "frame {f} bin {k}"
                );
                assert!(
                    (f64::from(im[f * bins + k]) - i).abs() < 1e-4,
                    "frame {f} bin {k}"
                );
            }
        }
        assert_eq!(frame_count(3, 4, 1), 0);
    }
}

//! Keras 3's `ops.stft(x, sequence_length, sequence_stride, fft_length,
//! window="hann", center=True)`, the `(real, imag)` pair of a short-time
//! Fourier transform (a keyword-spotting model's log-mel front end written
//! in keras.ops), as Keras's TensorFlow backend computes it:
//!
//! - `center`: the last axis reflect-padded by `fft_length // 2` on each
//!   side (`tf.pad(mode="reflect")`, so it must be longer than that);
//! - the window (`"hann"` / `"hamming"`: TensorFlow's periodic windows of
//!   `sequence_length`; a list of `sequence_length` values; `None`: none)
//!   zero-padded to `fft_length`, the smaller half first;
//! - `tf.signal.stft` with frames of `fft_length` samples every
//!   `sequence_stride` (the last partial frame dropped), each transformed
//!   to its `fft_length // 2 + 1` non-negative frequencies: outputs
//!   `[..., frames, fft_length // 2 + 1]`, real and imaginary parts.
//!
//! The frames and the transform are the kernels' (`tfjs_kernels::spectral`,
//! shared with `MelSpectrogram`).
//!
//! And its inverse, `ops.istft((real, imag), sequence_length,
//! sequence_stride, fft_length, length=None, window="hann", center=True)`
//! (a speech enhancer's mask applied between the two), as
//! `tf.signal.inverse_stft` computes it: each frame's inverse real DFT of
//! length `fft_length` (the first `fft_length // 2 + 1` terms, the
//! imaginary parts of the zero and Nyquist terms ignored), multiplied by
//! the window divided by the sum of the squared window over the frames
//! that overlap each position (`inverse_stft_window_fn`; no window: frames
//! as they are), overlap-added every `sequence_stride` samples, then cut to
//! `[start, end)`: `start = fft_length // 2` when centered, else 0; `end =
//! start + length` when `length` is given, else `fft_length // 2` from the
//! end when centered, else the whole signal (Python's slice bounds).

use super::super::audio::{length_opt, padded_window};
use super::super::common::*;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use tfjs_kernels::spectral::{self, RealFft};

type Out<T> = std::result::Result<T, String>;

/// `ops.stft`'s parameters.
#[derive(Debug, Clone)]
pub(crate) struct Stft {
    fft: RealFft,
    stride: usize,
    /// The window padded to `fft_length`; `None`: frames unwindowed.
    window: Option<Vec<f32>>,
    center: bool,
}

impl Stft {
    /// The operation `op` (`STFT`) from its config (`None`: not this one).
    pub(crate) fn from_class(op: &str, c: &ConfigReader<'_>) -> Option<Result<Stft>> {
        (op == "STFT").then(|| Stft::from_config(c))
    }

    fn from_config(c: &ConfigReader<'_>) -> Result<Stft> {
        let required = |key: &str| -> Result<usize> {
            length_opt(c, key)?.ok_or_else(|| c.err(key, "must be a positive integer"))
        };
        let seq_len = required("sequence_length")?;
        let stride = required("sequence_stride")?;
        let fft_length = required("fft_length")?;
        if fft_length < seq_len {
            return Err(c.err(
                "fft_length",
                format!("{fft_length} must not be less than sequence_length ({seq_len})"),
            ));
        }
        Ok(Stft {
            fft: RealFft::new(fft_length),
            stride,
            window: padded_window(c, seq_len, fft_length)?,
            center: c.bool_or("center", true)?,
        })
    }

    /// The reflect padding on each side.
    fn pad(&self) -> usize {
        if self.center {
            self.fft.len() / 2
        } else {
            0
        }
    }

    /// Frames of a signal of `len` samples.
    fn frames(&self, len: usize) -> Out<usize> {
        if self.center && self.pad() >= len {
            return Err(format!(
                "a signal of {len} samples is too short to reflect-pad by {} (fft_length / 2): \
                 it needs more than that",
                self.pad()
            ));
        }
        Ok(spectral::frame_count(
            len + 2 * self.pad(),
            self.fft.len(),
            self.stride,
        ))
    }

    /// The `(real, imag)` output shapes.
    pub(crate) fn shapes(&self, inputs: &[Shape]) -> Out<Vec<Shape>> {
        let x = inputs.first().ok_or("needs an input")?;
        let Some((&len, lead)) = x.split_last() else {
            return Err("expects a signal [..., samples], got a scalar".into());
        };
        let mut out = lead.to_vec();
        out.push(len.map(|n| self.frames(n)).transpose()?);
        out.push(Some(self.fft.bins()));
        Ok(vec![out.clone(), out])
    }

    /// The `(real, imag)` outputs.
    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Vec<Tensor>> {
        let x = inputs.first().ok_or("needs an input")?;
        let Some((&len, lead)) = x.shape().split_last() else {
            return Err("expects a signal [..., samples], got a scalar".into());
        };
        let frames = self.frames(len)?;
        let bins = self.fft.bins();
        let signals: usize = lead.iter().product();
        let data = f32s(x);
        let mut re = vec![0f32; signals * frames * bins];
        let mut im = vec![0f32; signals * frames * bins];
        for s in 0..signals {
            let signal = &data[s * len..][..len];
            let padded;
            let signal = if self.center {
                padded = spectral::reflect_pad(signal, self.pad());
                &padded[..]
            } else {
                signal
            };
            let at = s * frames * bins..(s + 1) * frames * bins;
            spectral::stft(
                signal,
                self.fft.len(),
                self.stride,
                self.window.as_deref(),
                &self.fft,
                &mut re[at.clone()],
                &mut im[at],
            );
        }
        let mut shape = lead.to_vec();
        shape.extend([frames, bins]);
        let out = |v: Vec<f32>| Tensor::from_f32(shape.clone(), v).map_err(|e| e.to_string());
        Ok(vec![out(re)?, out(im)?])
    }
}

/// `ops.istft`'s parameters.
#[derive(Debug, Clone)]
pub(crate) struct Istft {
    fft_length: usize,
    stride: usize,
    /// The window padded to `fft_length` and divided by its overlapping
    /// squares; `None`: frames unwindowed.
    window: Option<Vec<f32>>,
    center: bool,
    length: Option<usize>,
}

impl Istft {
    /// The operation `op` (`ISTFT`) from its config (`None`: not this one).
    pub(crate) fn from_class(op: &str, c: &ConfigReader<'_>) -> Option<Result<Istft>> {
        (op == "ISTFT").then(|| Istft::from_config(c))
    }

    fn from_config(c: &ConfigReader<'_>) -> Result<Istft> {
        let stft = Stft::from_config(c)?;
        let (fft_length, stride) = (stft.fft.len(), stft.stride);
        // `tf.signal.inverse_stft_window_fn`: the window over the sum of its
        // squares at the positions `stride` apart.
        let window = stft.window.map(|w| {
            let mut denom = vec![0f32; stride.min(fft_length)];
            for (i, v) in w.iter().enumerate() {
                denom[i % stride.min(fft_length)] += v * v;
            }
            w.iter()
                .enumerate()
                .map(|(i, v)| v / denom[i % stride.min(fft_length)])
                .collect()
        });
        let length = match c.get("length") {
            None | Some(serde_json::Value::Null) => None,
            Some(_) => Some(
                length_opt(c, "length")?
                    .ok_or_else(|| c.err("length", "must be a positive integer or null"))?,
            ),
        };
        Ok(Istft {
            fft_length,
            stride,
            window,
            center: stft.center,
            length,
        })
    }

    /// The samples kept of `total` overlap-added ones: `[start, end)`.
    fn kept(&self, total: usize) -> (usize, usize) {
        let start = if self.center { self.fft_length / 2 } else { 0 };
        let end = match (self.length, self.center) {
            (Some(n), _) => start + n,
            (None, true) => total.saturating_sub(self.fft_length / 2),
            (None, false) => total,
        };
        let start = start.min(total);
        (start, end.clamp(start, total))
    }

    /// Overlap-added samples of `frames` frames.
    fn total(&self, frames: usize) -> usize {
        match frames {
            0 => 0,
            f => (f - 1) * self.stride + self.fft_length,
        }
    }

    /// The signal's shape.
    pub(crate) fn shapes(&self, inputs: &[Shape]) -> Out<Vec<Shape>> {
        let x = inputs.first().ok_or("needs the real part")?;
        let imag = inputs
            .get(1)
            .ok_or("needs the imaginary part, a second input (the call's `(real, imag)`)")?;
        if x.len() < 2 || imag.len() != x.len() {
            return Err(format!(
                "expects real and imaginary parts [..., frames, bins] of one shape, got {} and {}",
                shape_str(x),
                shape_str(imag)
            ));
        }
        let mut out = x[..x.len() - 2].to_vec();
        out.push(x[x.len() - 2].map(|f| {
            let (a, b) = self.kept(self.total(f));
            b - a
        }));
        Ok(vec![out])
    }

    /// The signal.
    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Vec<Tensor>> {
        let (re, im) = match inputs {
            [re, im, ..] => (re, im),
            _ => return Err("needs the real and imaginary parts".into()),
        };
        let shape = re.shape();
        if shape.len() < 2 || im.shape() != shape {
            return Err(format!(
                "expects real and imaginary parts [..., frames, bins] of one shape, got {shape:?} and {:?}",
                im.shape()
            ));
        }
        let (frames, bins) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let signals: usize = shape[..shape.len() - 2].iter().product();
        let n = self.fft_length;
        let total = self.total(frames);
        let (start, end) = self.kept(total);
        let (re, im) = (f32s(re), f32s(im));
        // The terms an inverse real DFT of length n reads: k < n / 2 + 1,
        // zero past the input's bins.
        let terms = n / 2 + 1;
        let twiddle: Vec<(f64, f64)> = (0..n)
            .map(|m| {
                let a = 2.0 * std::f64::consts::PI * m as f64 / n as f64;
                (a.cos(), a.sin())
            })
            .collect();
        let mut out = Vec::with_capacity(signals * (end - start));
        let mut signal = vec![0f64; total];
        let mut frame = vec![0f64; n];
        for s in 0..signals {
            signal.iter_mut().for_each(|v| *v = 0.0);
            for f in 0..frames {
                let at = (s * frames + f) * bins;
                let term = |k: usize| -> (f64, f64) {
                    if k < bins {
                        (f64::from(re[at + k]), f64::from(im[at + k]))
                    } else {
                        (0.0, 0.0)
                    }
                };
                for (t, v) in frame.iter_mut().enumerate() {
                    // X_0 and (n even) X_{n/2} count once and real; the
                    // others twice (their conjugates are the upper half).
                    let mut sum = term(0).0;
                    for k in 1..terms {
                        let (xr, xi) = term(k);
                        let (c, si) = twiddle[(k * t) % n];
                        if 2 * k == n {
                            sum += xr * c;
                        } else {
                            sum += 2.0 * (xr * c - xi * si);
                        }
                    }
                    *v = sum / n as f64;
                }
                if let Some(w) = &self.window {
                    frame
                        .iter_mut()
                        .zip(w)
                        .for_each(|(v, w)| *v *= f64::from(*w));
                }
                for (i, v) in frame.iter().enumerate() {
                    signal[f * self.stride + i] += v;
                }
            }
            out.extend(signal[start..end].iter().map(|&v| v as f32));
        }
        let mut out_shape = shape[..shape.len() - 2].to_vec();
        out_shape.push(end - start);
        Ok(vec![
            Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())?
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn stft(config: Value) -> Result<Stft> {
        let map = config.as_object().expect("an object").clone();
        Stft::from_config(&ConfigReader::new("stft", &map))
    }

    #[test]
    fn an_uncentered_unwindowed_frame_is_its_rfft() {
        // numpy: np.fft.rfft([1, 2, 3, 4]) = [10, -2+2j, -2]; frames at 0, 2
        // of a 6-sample signal: [1, 2, 3, 4] and [3, 4, 5, 6].
        let s = stft(
            json!({"sequence_length": 4, "sequence_stride": 2, "fft_length": 4,
                            "window": null, "center": false}),
        )
        .unwrap();
        let x = Tensor::from_f32(vec![1, 6], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let out = s.call(&[x]).unwrap();
        assert_eq!(out[0].shape(), &[1, 2, 3]);
        let (re, im) = (f32s(&out[0]), f32s(&out[1]));
        for (got, want) in re.iter().zip([10.0, -2.0, -2.0, 18.0, -2.0, -2.0]) {
            assert!((got - want).abs() < 1e-5, "{re:?}");
        }
        for (got, want) in im.iter().zip([0.0, 2.0, 0.0, 0.0, 2.0, 0.0]) {
            assert!((got - want).abs() < 1e-5, "{im:?}");
        }
        let shapes = s.shapes(&[vec![None, Some(6)]]).unwrap();
        assert_eq!(shapes[0], vec![None, Some(2), Some(3)]);
    }

    #[test]
    fn centering_needs_a_signal_longer_than_half_the_fft() {
        let s = stft(json!({"sequence_length": 8, "sequence_stride": 4, "fft_length": 8})).unwrap();
        let short = Tensor::from_f32(vec![1, 4], vec![0.0; 4]).unwrap();
        assert!(s.call(&[short]).unwrap_err().contains("too short"));
        // 5 samples padded to 13: frames at 0, 4 (of 8 samples).
        let ok = Tensor::from_f32(vec![1, 5], vec![1.0; 5]).unwrap();
        assert_eq!(s.call(&[ok]).unwrap()[0].shape(), &[1, 2, 5]);
    }

    #[test]
    fn istft_inverts_a_centered_hann_stft() {
        // Hann frames of 8 every 2 overlap so their squares sum to a
        // constant: the round trip returns the signal where four frames
        // cover it (samples 2..=16 of 20; the edges are covered by fewer,
        // which TensorFlow's window normalization does not account for).
        let c = json!({"sequence_length": 8, "sequence_stride": 2, "fft_length": 8,
                       "window": "hann", "center": true, "length": 20});
        let map = c.as_object().unwrap().clone();
        let r = ConfigReader::new("istft", &map);
        let (fwd, inv) = (
            Stft::from_config(&r).unwrap(),
            Istft::from_config(&r).unwrap(),
        );
        let x: Vec<f32> = (0..20).map(|i| ((i * 7 % 11) as f32 - 5.0) / 4.0).collect();
        let spec = fwd
            .call(&[Tensor::from_f32(vec![1, 20], x.clone()).unwrap()])
            .unwrap();
        let back = inv.call(&spec).unwrap();
        assert_eq!(back[0].shape(), &[1, 20]);
        let got = f32s(&back[0]);
        for i in 2..=16 {
            assert!((got[i] - x[i]).abs() < 1e-5, "{i}: {} vs {}", got[i], x[i]);
        }
        assert!((got[0] - x[0]).abs() > 1e-3, "the edge is not normalized");
        let spec_shape = vec![None, Some(11), Some(5)];
        let shapes = inv.shapes(&[spec_shape.clone(), spec_shape]).unwrap();
        assert_eq!(shapes[0], vec![None, Some(20)]);
    }

    #[test]
    fn bad_configs_are_errors_naming_the_field() {
        let e = stft(json!({"sequence_length": 8, "sequence_stride": 4, "fft_length": 4}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fft_length"), "{e}");
        let e = stft(
            json!({"sequence_length": 4, "sequence_stride": 2, "fft_length": 4,
                            "window": "kaiser"}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("window"), "{e}");
        let e = stft(json!({"sequence_length": 4, "fft_length": 4}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sequence_stride"), "{e}");
    }
}

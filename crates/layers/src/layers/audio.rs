//! Keras 3's audio front ends at inference (TensorFlow backend):
//! `STFTSpectrogram` (a strided convolution with its stored DFT kernels)
//! and `MelSpectrogram` (`tf.signal.stft` with reflect centering, a mel
//! filterbank, decibels). Neither exists in TensorFlow.js 4.22.
//!
//! Both keep their config as Keras wrote it (read here, written back
//! unchanged), so exports hand Keras its own values.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::{Map, Value};
use tfjs_kernels::spectral::{self, RealFft, Window};
use tfjs_kernels::{conv2d_packed, Conv2dParams, FusedActivation, Padding};

/// Register the audio classes.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["STFTSpectrogram"], StftSpectrogram::from_config);
    register_layer(registry, &["MelSpectrogram"], MelSpectrogram::from_config);
}

/// The longest frame / FFT either layer accepts from a config (Keras's
/// defaults are 256 and 2048): larger ones are corrupt configs.
const MAX_FFT_LENGTH: usize = 1 << 20;

/// Keras `backend.epsilon()`.
const EPSILON: f32 = 1e-7;

/// A positive length field no longer than [`MAX_FFT_LENGTH`]; `None` when
/// absent, `null` or 0 (Keras's `x or default`).
pub(crate) fn length_opt(c: &ConfigReader<'_>, key: &str) -> Result<Option<usize>> {
    let Some(v) = c.get(key) else { return Ok(None) };
    let n = v
        .as_u64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        })
        .ok_or_else(|| c.err(key, format!("expected a positive integer, got {v}")))?;
    if n > MAX_FFT_LENGTH as u64 {
        return Err(c.err(key, format!("{n} is over {MAX_FFT_LENGTH}")));
    }
    Ok((n > 0).then_some(n as usize))
}

/// A signal's window as a config names it: `hann`, `hamming`, a list of
/// `len` numbers, or `null` (none).
fn window_values(c: &ConfigReader<'_>, len: usize, periodic: bool) -> Result<Option<Vec<f32>>> {
    match c.get("window") {
        None => Ok(None),
        Some(Value::String(s)) => {
            let kind = match s.as_str() {
                "hann" => Window::Hann,
                "hamming" => Window::Hamming,
                other => {
                    return Err(c.err(
                        "window",
                        format!("expected \"hann\", \"hamming\", a list of numbers or null, got \"{other}\""),
                    ))
                }
            };
            Ok(Some(spectral::window(kind, len, periodic)))
        }
        Some(Value::Array(a)) => {
            let w: Option<Vec<f32>> = a.iter().map(|v| v.as_f64().map(|f| f as f32)).collect();
            let w = w.ok_or_else(|| c.err("window", "expected a list of numbers"))?;
            if w.len() != len {
                return Err(c.err(
                    "window",
                    format!(
                        "has {} values; it must have {len} (the frame length)",
                        w.len()
                    ),
                ));
            }
            Ok(Some(w))
        }
        Some(v) => Err(c.err(
            "window",
            format!("expected \"hann\", \"hamming\", a list of numbers or null, got {v}"),
        )),
    }
}

/// `ops.stft`'s window (`MelSpectrogram`'s too): `window` of
/// `sequence_length` values (periodic, as TensorFlow's stft window is),
/// zero-padded to `fft_length` with the smaller half first; `None`: frames
/// unwindowed.
pub(crate) fn padded_window(
    c: &ConfigReader<'_>,
    seq_len: usize,
    fft_length: usize,
) -> Result<Option<Vec<f32>>> {
    Ok(window_values(c, seq_len, true)?.map(|w| {
        let l_pad = (fft_length - seq_len) / 2;
        let mut padded = vec![0f32; fft_length];
        padded[l_pad..l_pad + seq_len].copy_from_slice(&w);
        padded
    }))
}

/// What `STFTSpectrogram` outputs from the real and imaginary parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StftMode {
    Log,
    Magnitude,
    Psd,
    Real,
    Imag,
    Angle,
    Stft,
}

impl StftMode {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "log" => Self::Log,
            "magnitude" => Self::Magnitude,
            "psd" => Self::Psd,
            "real" => Self::Real,
            "imag" => Self::Imag,
            "angle" => Self::Angle,
            "stft" => Self::Stft,
            _ => return None,
        })
    }
    fn uses_real(self) -> bool {
        self != Self::Imag
    }
    fn uses_imag(self) -> bool {
        self != Self::Real
    }
}

/// `STFTSpectrogram`: each input channel convolved (stride `frame_step`,
/// `valid` / `same` padding) with the stored `real_kernel` / `imag_kernel`
/// (`[frame_length, 1, fft_length / 2 + 1]`, in that order, each only
/// when the mode uses it), combined by `mode`:
/// `log` = `ln(max(sqrt(max(re² + im², ε)), ε))`, `magnitude` = the
/// square root alone, `psd` = `re² + im²` with the bins between the first
/// and the last doubled, `real`, `imag`, `angle` = `atan2(im, re)`,
/// `stft` = the real bins then the imaginary ones. Output (channels_last)
/// `[batch, frames, channels · bins]`, or with `expand_dims`
/// `[batch, frames, bins, channels]`; channels_first `[batch, channels ·
/// bins, frames]` / `[batch, channels, frames, bins]`.
#[derive(Debug)]
pub struct StftSpectrogram {
    base: Base,
    config: Map<String, Value>,
    mode: StftMode,
    frame_length: usize,
    frame_step: usize,
    /// Frequency bins per kernel: `fft_length / 2 + 1`.
    bins: usize,
    padding: Padding,
    expand_dims: bool,
    channels_first: bool,
    params: Params,
}

impl StftSpectrogram {
    /// Build from a config (Keras's checks and defaults).
    pub fn from_config(c: &ConfigReader<'_>) -> Result<StftSpectrogram> {
        let mode_name = c.str_or("mode", "log")?;
        let mode = StftMode::from_name(mode_name).ok_or_else(|| {
            c.err(
                "mode",
                format!(
                    "expected log, magnitude, psd, real, imag, angle or stft, got \"{mode_name}\""
                ),
            )
        })?;
        let frame_length = match c.get("frame_length") {
            None => 256,
            Some(_) => length_opt(c, "frame_length")?
                .ok_or_else(|| c.err("frame_length", "must be a positive integer"))?,
        };
        let frame_step = match length_opt(c, "frame_step")? {
            Some(s) if s <= frame_length => s,
            Some(s) => {
                return Err(c.err(
                    "frame_step",
                    format!("{s} must not be greater than frame_length ({frame_length})"),
                ))
            }
            None if c.get("frame_step").is_some() => {
                return Err(c.err("frame_step", "must be a positive integer"))
            }
            None => frame_length / 2,
        };
        if frame_step == 0 {
            return Err(c.err(
                "frame_step",
                "defaults to frame_length / 2, which is 0 for a frame of 1 sample: give a positive step",
            ));
        }
        let fft_length = match length_opt(c, "fft_length")? {
            Some(n) if n >= frame_length => n,
            Some(n) => {
                return Err(c.err(
                    "fft_length",
                    format!("{n} must not be less than frame_length ({frame_length})"),
                ))
            }
            None => frame_length.next_power_of_two(),
        };
        if let Some(s) = c.get("scaling") {
            if !matches!(s.as_str(), Some("density" | "spectrum")) {
                return Err(c.err(
                    "scaling",
                    format!("expected \"density\", \"spectrum\" or null, got {s}"),
                ));
            }
        }
        // The window only made the stored kernels; checked as Keras does.
        window_values(c, frame_length, c.bool_or("periodic", false)?)?;
        let padding = valid_or_same(c)?;
        let channels_first = channels_first(c)?;
        let bins = fft_length / 2 + 1;
        if mode == StftMode::Psd && bins < 2 {
            return Err(c.err(
                "fft_length",
                "mode \"psd\" needs at least 2 frequency bins (fft_length >= 2)",
            ));
        }
        let mut layer = StftSpectrogram {
            base: Base::parse(c)?,
            config: Base::rest_of(c),
            mode,
            frame_length,
            frame_step,
            bins,
            padding,
            expand_dims: c.bool_or("expand_dims", false)?,
            channels_first,
            params: Params::default(),
        };
        // The kernels' shapes depend on the config alone.
        layer.build(&[])?;
        Ok(layer)
    }

    /// `(time axis, channel axis)` of a rank-3 input.
    fn axes(&self) -> (usize, usize) {
        if self.channels_first {
            (2, 1)
        } else {
            (1, 2)
        }
    }

    /// Bins per channel in the output (`stft` stacks the real and
    /// imaginary ones).
    fn out_bins(&self) -> usize {
        if self.mode == StftMode::Stft {
            2 * self.bins
        } else {
            self.bins
        }
    }

    fn frames(&self, time: usize) -> Result<usize> {
        tfjs_kernels::conv_output_size(time, self.frame_length, self.frame_step, 1, self.padding)
            .map(|(n, _)| n)
            .map_err(|e| {
                self.base.err(format!(
                    "a signal of {time} samples cannot be framed (frame_length {}, frame_step {}): {e}",
                    self.frame_length, self.frame_step
                ))
            })
    }

    /// `[batch, channels, out_bins, frames]` (before Keras's
    /// `_adjust_shapes`) to the output layout.
    fn out_shape<T: Copy>(&self, batch: T, channels: T, frames: T, bins: T) -> Vec<T> {
        match (self.channels_first, self.expand_dims) {
            (false, true) => vec![batch, frames, bins, channels],
            (true, true) => vec![batch, channels, frames, bins],
            // channels · bins is computed by the caller.
            (false, false) => vec![batch, frames, channels],
            (true, false) => vec![batch, channels, frames],
        }
    }
}

impl Layer for StftSpectrogram {
    layer_flags!(per_sample);
    layer_common!(names "STFTSpectrogram");
    layer_common!(weights);
    fn config(&self) -> Map<String, Value> {
        self.base.with_rest(&self.config)
    }
    fn build(&mut self, _input_shapes: &[Shape]) -> Result<()> {
        self.params.clear();
        let shape = vec![self.frame_length, 1, self.bins];
        if self.mode.uses_real() {
            self.params.add("real_kernel", shape.clone(), true, 0.0)?;
        }
        if self.mode.uses_imag() {
            self.params.add("imag_kernel", shape, true, 0.0)?;
        }
        Ok(())
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        check_rank(
            &self.base,
            s.len(),
            3,
            "[batch, time, channels] (channels_first: [batch, channels, time])",
        )?;
        let (ta, ca) = self.axes();
        let frames = s[ta].map(|t| self.frames(t)).transpose()?;
        let bins = self.out_bins();
        if self.expand_dims {
            return Ok(vec![self.out_shape(s[0], s[ca], frames, Some(bins))]);
        }
        let merged = match s[ca] {
            Some(c) => Some(c.checked_mul(bins).ok_or_else(|| {
                self.base
                    .err(format!("{c} channels of {bins} bins overflow"))
            })?),
            None => None,
        };
        Ok(vec![self.out_shape(s[0], merged, frames, Some(bins))])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        require_built(&self.base, &self.params)?;
        let x = one_input(&self.base, inputs)?;
        let &[batch, a1, a2] = x.shape() else {
            return Err(input_err(
                &self.base.name,
                format!(
                    "expects [batch, time, channels] (channels_first: [batch, channels, time]), got {:?}",
                    x.shape()
                ),
            ));
        };
        let (time, channels) = if self.channels_first {
            (a2, a1)
        } else {
            (a1, a2)
        };
        let data = f32s(x);
        // One signal per (sample, channel), as Keras's transpose + reshape.
        let signals = batch * channels;
        let mut sig = Vec::with_capacity(data.len());
        if self.channels_first {
            sig.extend_from_slice(&data);
        } else {
            for b in 0..batch {
                for c in 0..channels {
                    sig.extend((0..time).map(|t| data[(b * time + t) * channels + c]));
                }
            }
        }
        let (fl, bins) = (self.frame_length, self.bins);
        let p = Conv2dParams::conv1d(signals, time, 1, bins, fl, self.frame_step, 1, self.padding)
            .map_err(|e| input_err(&self.base.name, e))?;
        let frames = p.out_w;
        // [signals, frames, bins] per kernel.
        let conv = |index: usize| -> Vec<f32> {
            let mut out = vec![0f32; signals * frames * bins];
            if signals * frames > 0 {
                conv2d_packed(
                    &sig,
                    self.params.packed(index, None, fl, bins),
                    FusedActivation::Linear,
                    &p,
                    &mut out,
                );
            }
            out
        };
        let re = self.mode.uses_real().then(|| conv(0));
        let im = self
            .mode
            .uses_imag()
            .then(|| conv(usize::from(self.mode.uses_real())));
        let power = |i: usize| -> f32 {
            let (r, m) = (
                re.as_ref().map_or(0.0, |v| v[i]),
                im.as_ref().map_or(0.0, |v| v[i]),
            );
            r * r + m * m
        };
        let ob = self.out_bins();
        // value(s, f, k): output bin k of frame f of signal s.
        let value = |s: usize, f: usize, k: usize| -> f32 {
            let i = (s * frames + f) * bins + k % bins;
            match self.mode {
                StftMode::Real => re.as_ref().map_or(0.0, |v| v[i]),
                StftMode::Imag => im.as_ref().map_or(0.0, |v| v[i]),
                StftMode::Angle => {
                    let (r, m) = (
                        re.as_ref().map_or(0.0, |v| v[i]),
                        im.as_ref().map_or(0.0, |v| v[i]),
                    );
                    m.atan2(r)
                }
                StftMode::Stft => {
                    let v = if k < bins { &re } else { &im };
                    v.as_ref().map_or(0.0, |v| v[i])
                }
                StftMode::Psd => {
                    let p = power(i);
                    if k > 0 && k + 1 < bins {
                        p + p
                    } else {
                        p
                    }
                }
                StftMode::Magnitude => power(i).max(EPSILON).sqrt(),
                StftMode::Log => power(i).max(EPSILON).sqrt().max(EPSILON).ln(),
            }
        };
        let mut out = Vec::with_capacity(signals * frames * ob);
        match (self.channels_first, self.expand_dims) {
            // [batch, frames, channels · bins] / [batch, frames, bins, channels]
            (false, expand) => {
                for b in 0..batch {
                    for f in 0..frames {
                        if expand {
                            for k in 0..ob {
                                out.extend((0..channels).map(|c| value(b * channels + c, f, k)));
                            }
                        } else {
                            for c in 0..channels {
                                out.extend((0..ob).map(|k| value(b * channels + c, f, k)));
                            }
                        }
                    }
                }
            }
            // [batch, channels, frames, bins]
            (true, true) => {
                for s in 0..signals {
                    for f in 0..frames {
                        out.extend((0..ob).map(|k| value(s, f, k)));
                    }
                }
            }
            // [batch, channels · bins, frames]
            (true, false) => {
                for s in 0..signals {
                    for k in 0..ob {
                        out.extend((0..frames).map(|f| value(s, f, k)));
                    }
                }
            }
        }
        let shape = if self.expand_dims {
            self.out_shape(batch, channels, frames, ob)
        } else {
            self.out_shape(batch, channels * ob, frames, ob)
        };
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
}

/// Keras's mel scale (HTK): `1127 ln(1 + f / 700)`, in float32.
fn hertz_to_mel(f: f32) -> f32 {
    1127.0f32 * (1.0f32 + f / 700.0f32).ln()
}

/// `tf.linspace(start, stop, num)` in float32: the end points exact, the
/// points between `start + i · (stop - start) / (num - 1)`.
fn linspace(start: f32, stop: f32, num: usize) -> Vec<f32> {
    let delta = (stop - start) / (num.saturating_sub(1).max(1) as f32);
    (0..num)
        .map(|i| match i {
            0 => start,
            i if i + 1 == num => stop,
            i => start + delta * i as f32,
        })
        .collect()
}

/// `MelSpectrogram.linear_to_mel_weight_matrix` as Keras computes it in
/// float32 (`[bins, mel_bins]`, row-major): triangles over the mel scale
/// between `lower_hz` and `upper_hz`, each peaking at 1, the DC row zero.
fn mel_weight_matrix(
    mel_bins: usize,
    bins: usize,
    rate: f32,
    lower_hz: f32,
    upper_hz: f32,
) -> Vec<f32> {
    let nyquist = rate / 2.0;
    let bin_mel: Vec<f32> = linspace(0.0, nyquist, bins)
        .into_iter()
        .skip(1)
        .map(hertz_to_mel)
        .collect();
    let edges = linspace(hertz_to_mel(lower_hz), hertz_to_mel(upper_hz), mel_bins + 2);
    let mut m = vec![0f32; bins * mel_bins];
    for (k, &mel) in bin_mel.iter().enumerate() {
        for j in 0..mel_bins {
            let (lo, center, hi) = (edges[j], edges[j + 1], edges[j + 2]);
            let lower = (mel - lo) / (center - lo);
            let upper = (hi - mel) / (hi - center);
            m[(k + 1) * mel_bins + j] = lower.min(upper).max(0.0);
        }
    }
    m
}

/// `MelSpectrogram`: the power (`|stft|^mag_exp`) of `tf.signal.stft` over
/// the signal reflect-padded by `fft_length / 2` on each side (frames of
/// `fft_length` every `sequence_stride`, the `sequence_length` window
/// centered in the frame), projected on `num_mel_bins` mel triangles, then
/// (`power_to_db`) `10 log10(max(S, min_power) / max(|ref_power|,
/// min_power))` floored at the batch's maximum minus `top_db`. Input
/// `[..., samples]`, output `[..., num_mel_bins, frames]`.
#[derive(Debug)]
pub struct MelSpectrogram {
    base: Base,
    config: Map<String, Value>,
    fft: RealFft,
    stride: usize,
    /// The window padded to `fft_length`; `None`: frames unwindowed.
    window: Option<Vec<f32>>,
    mel_bins: usize,
    /// `[fft_length / 2 + 1, mel_bins]`.
    mel_matrix: Vec<f32>,
    mag_exp: f32,
    /// `(min_power, 10 log10(max(|ref_power|, min_power)), top_db)`.
    db: Option<(f32, f32, f32)>,
}

/// Most mel filterbank weights (bins × mel bins) a config may ask for.
const MAX_MEL_WEIGHTS: usize = 1 << 26;

impl MelSpectrogram {
    /// Build from a config (Keras's defaults and checks).
    pub fn from_config(c: &ConfigReader<'_>) -> Result<MelSpectrogram> {
        let fft_length = match c.get("fft_length") {
            None => 2048,
            Some(_) => length_opt(c, "fft_length")?
                .ok_or_else(|| c.err("fft_length", "must be a positive integer"))?,
        };
        let stride = match c.get("sequence_stride") {
            None => 512,
            Some(_) => length_opt(c, "sequence_stride")?
                .ok_or_else(|| c.err("sequence_stride", "must be a positive integer"))?,
        };
        let seq_len = length_opt(c, "sequence_length")?.unwrap_or(fft_length);
        if seq_len > fft_length {
            return Err(c.err(
                "sequence_length",
                format!("{seq_len} must not be greater than fft_length ({fft_length})"),
            ));
        }
        let window = padded_window(c, seq_len, fft_length)?;
        let rate = c.f64_or("sampling_rate", 16000.0)?;
        let mel_bins = c.usize_or("num_mel_bins", 128)?;
        let bins = fft_length / 2 + 1;
        if mel_bins == 0
            || mel_bins
                .checked_mul(bins)
                .is_none_or(|n| n > MAX_MEL_WEIGHTS)
        {
            return Err(c.err(
                "num_mel_bins",
                format!("{mel_bins} mel bins of {bins} frequency bins: must be 1 to {MAX_MEL_WEIGHTS} weights"),
            ));
        }
        let min_freq = c.f64_or("min_freq", 20.0)?;
        // Keras: `max_freq or int(sampling_rate / 2)`.
        let max_freq = match c.f64_opt("max_freq")? {
            Some(f) if f != 0.0 => f,
            _ => (rate / 2.0).trunc(),
        };
        let mag_exp = c.f64_or("mag_exp", 2.0)? as f32;
        let db = if c.bool_or("power_to_db", true)? {
            let top_db = match c.map.get("top_db") {
                None => 80.0,
                Some(Value::Null) => {
                    return Err(c.err(
                        "top_db",
                        "must be a number when power_to_db is true (Keras subtracts it)",
                    ))
                }
                Some(_) => c.f64_or("top_db", 80.0)? as f32,
            };
            let min_power = c.f64_or("min_power", 1e-10)? as f32;
            let ref_power = (c.f64_or("ref_power", 1.0)? as f32).abs();
            Some((min_power, to_db(ref_power.max(min_power)), top_db))
        } else {
            None
        };
        Ok(MelSpectrogram {
            base: Base::parse(c)?,
            config: Base::rest_of(c),
            fft: RealFft::new(fft_length),
            stride,
            window,
            mel_bins,
            mel_matrix: mel_weight_matrix(
                mel_bins,
                bins,
                rate as f32,
                min_freq as f32,
                max_freq as f32,
            ),
            mag_exp,
            db,
        })
    }

    fn pad(&self) -> usize {
        self.fft.len() / 2
    }

    /// Frames of a signal of `len` samples (after centering).
    fn frames(&self, len: usize) -> Result<usize> {
        if self.pad() >= len {
            return Err(self.base.err(format!(
                "a signal of {len} samples is too short to reflect-pad by {} (fft_length / 2): it needs more than that",
                self.pad()
            )));
        }
        Ok(spectral::frame_count(
            len + 2 * self.pad(),
            self.fft.len(),
            self.stride,
        ))
    }
}

/// `10 log10(x)` as Keras computes it in float32: `10 (ln x / ln 10)`.
fn to_db(x: f32) -> f32 {
    10.0 * (x.ln() / 10f32.ln())
}

impl Layer for MelSpectrogram {
    layer_common!(names "MelSpectrogram");
    fn per_sample(&self) -> bool {
        // The decibel floor is relative to the whole batch's maximum.
        self.db.is_none()
    }
    fn config(&self) -> Map<String, Value> {
        self.base.with_rest(&self.config)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        let Some((&len, lead)) = s.split_last() else {
            return Err(self
                .base
                .err("expects a signal [..., samples], got a scalar"));
        };
        let mut out = lead.to_vec();
        out.push(Some(self.mel_bins));
        out.push(len.map(|n| self.frames(n)).transpose()?);
        Ok(vec![out])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let Some((&len, lead)) = x.shape().split_last() else {
            return Err(input_err(
                &self.base.name,
                "expects a signal [..., samples], got a scalar",
            ));
        };
        let frames = self.frames(len)?;
        let signals: usize = lead.iter().product();
        let data = f32s(x);
        let (n, bins, mel) = (self.fft.len(), self.fft.bins(), self.mel_bins);
        let mut out = vec![0f32; signals * mel * frames];
        let (mut re, mut im) = (vec![0f32; bins], vec![0f32; bins]);
        let mut spec = vec![0f32; bins];
        let mut frame = vec![0f32; n];
        for s in 0..signals {
            let padded = spectral::reflect_pad(&data[s * len..][..len], self.pad());
            let o = &mut out[s * mel * frames..][..mel * frames];
            for f in 0..frames {
                let src = &padded[f * self.stride..][..n];
                match &self.window {
                    Some(w) => frame
                        .iter_mut()
                        .zip(src.iter().zip(w))
                        .for_each(|(o, (v, w))| *o = v * w),
                    None => frame.copy_from_slice(src),
                }
                self.fft.forward(&frame, &mut re, &mut im);
                for ((p, r), i) in spec.iter_mut().zip(&re).zip(&im) {
                    *p = (r * r + i * i).sqrt().powf(self.mag_exp);
                }
                // [frames, bins] · [bins, mel], written transposed.
                for j in 0..mel {
                    let v: f32 = spec
                        .iter()
                        .enumerate()
                        .map(|(k, p)| p * self.mel_matrix[k * mel + j])
                        .sum();
                    o[j * frames + f] = v;
                }
            }
        }
        if let Some((min_power, ref_db, top_db)) = self.db {
            out.iter_mut()
                .for_each(|v| *v = to_db(v.max(min_power)) - ref_db);
            let top = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let floor = top - top_db;
            out.iter_mut().for_each(|v| *v = v.max(floor));
        }
        let mut shape = lead.to_vec();
        shape.extend([mel, frames]);
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config_error(build: fn(&ConfigReader<'_>) -> Result<()>, config: Value) -> String {
        let map = config.as_object().expect("an object").clone();
        match build(&ConfigReader::new("spec", &map)) {
            Ok(()) => panic!("{config} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    fn stft(c: &ConfigReader<'_>) -> Result<()> {
        StftSpectrogram::from_config(c).map(drop)
    }

    fn mel(c: &ConfigReader<'_>) -> Result<()> {
        MelSpectrogram::from_config(c).map(drop)
    }

    #[test]
    fn bad_configs_are_errors_naming_the_field() {
        for (config, field) in [
            (json!({"mode": "power"}), "mode"),
            (json!({"frame_length": 16, "frame_step": 17}), "frame_step"),
            (json!({"frame_length": 1}), "frame_step"),
            (json!({"frame_length": 32, "fft_length": 16}), "fft_length"),
            (json!({"frame_length": 1u64 << 40}), "frame_length"),
            (json!({"padding": "causal"}), "padding"),
            (json!({"scaling": "loud"}), "scaling"),
            (json!({"frame_length": 4, "window": [1, 2]}), "window"),
            (
                json!({"frame_length": 1, "frame_step": 1, "mode": "psd"}),
                "fft_length",
            ),
        ] {
            let e = config_error(stft, config.clone());
            assert!(e.contains(&format!("`{field}`")), "{config}: {e}");
        }
        for (config, field) in [
            (json!({"fft_length": 1u64 << 40}), "fft_length"),
            (
                json!({"fft_length": 64, "sequence_length": 65}),
                "sequence_length",
            ),
            (json!({"window": "blackman"}), "window"),
            (json!({"num_mel_bins": 0}), "num_mel_bins"),
            (
                json!({"fft_length": 1 << 20, "num_mel_bins": 1 << 20}),
                "num_mel_bins",
            ),
            (json!({"top_db": null}), "top_db"),
        ] {
            let e = config_error(mel, config.clone());
            assert!(e.contains(&format!("`{field}`")), "{config}: {e}");
        }
    }

    #[test]
    fn a_signal_too_short_to_center_is_an_error() {
        let map = json!({"name": "mel", "fft_length": 64})
            .as_object()
            .unwrap()
            .clone();
        let layer = MelSpectrogram::from_config(&ConfigReader::new("mel", &map)).unwrap();
        let x = Tensor::from_f32(vec![1, 32], vec![0.5; 32]).unwrap();
        let e = layer.call(&[x], &[None]).unwrap_err().to_string();
        assert!(e.contains("too short"), "{e}");
        assert!(layer.output_shapes(&[vec![None, Some(10)]]).is_err());
    }

    #[test]
    fn linspace_keeps_its_end_points() {
        assert_eq!(linspace(1.0, 3.0, 5), vec![1.0, 1.5, 2.0, 2.5, 3.0]);
        assert_eq!(linspace(2.0, 7.0, 1), vec![2.0]);
        assert_eq!(linspace(2.0, 7.0, 2), vec![2.0, 7.0]);
    }

    #[test]
    fn mel_triangles_peak_at_one_and_skip_dc() {
        let m = mel_weight_matrix(4, 33, 8000.0, 20.0, 4000.0);
        assert!(m[..4].iter().all(|&v| v == 0.0), "the DC row is zero");
        for j in 0..4 {
            let col: Vec<f32> = (0..33).map(|k| m[k * 4 + j]).collect();
            let peak = col.iter().copied().fold(0f32, f32::max);
            assert!(peak > 0.5 && peak <= 1.0, "band {j}: peak {peak}");
            assert!(col.iter().all(|&v| (0.0..=1.0).contains(&v)));
        }
    }
}

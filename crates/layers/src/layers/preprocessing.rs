//! Image and categorical preprocessing layers, at inference:
//! `Rescaling`, `Resizing`, `CenterCrop`, `CategoryEncoding`, and the random
//! augmentation layers (identity at inference).
//!
//! Where TensorFlow.js 4.22 computes something other than Keras we follow
//! Keras, whose semantics the saved models were trained with:
//! * `Resizing` and `CenterCrop`'s up-size path use TensorFlow's
//!   `tf.image.resize` (half-pixel centers); TensorFlow.js's
//!   `resizeBilinear` uses corner-aligned sampling without half-pixel
//!   centers and so shifts the image by half a pixel.
//! * `CenterCrop` crops exactly `(in - out) / 2` pixels from the top/left;
//!   TensorFlow.js uses `cropAndResize` with nearest sampling and turns a
//!   width offset of 0 into 1, which is not a crop. When the input is smaller
//!   than the target, Keras' `smart_resize` (crop to the aspect ratio, then
//!   bilinear resize) is used.
//! * `RandomWidth` (registered by TensorFlow.js, which resizes randomly even
//!   at inference, making predictions non-deterministic) and Keras'
//!   other augmentation layers ([`INFERENCE_IDENTITY`]) are the identity at
//!   inference, as in Keras; `RandomCrop` is tf_keras's `smart_resize` (the
//!   identity in Keras 3).

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor, TensorData};
use serde_json::{Map, Value};
use tfjs_kernels::resample::{self, ResizeFilter};
use tfjs_kernels::PointOp;

/// Register the preprocessing classes.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["Rescaling"], Rescaling::from_config);
    register_layer(registry, &["Resizing"], Resizing::from_config);
    register_layer(registry, &["CenterCrop"], CenterCrop::from_config);
    register_layer(
        registry,
        &["CategoryEncoding"],
        CategoryEncoding::from_config,
    );
    register_layer(registry, &["RandomCrop"], RandomCrop::from_config);
    for &class in INFERENCE_IDENTITY {
        register_simple(registry, &[class], move |c| {
            boxed_layer(RandomIdentity::from_config(class, c))
        });
    }
}

/// Keras's random augmentation layers that are the identity at inference
/// (one list with the Keras exporter's, in `tfjs_format`).
pub use tfjs_format::topology::INFERENCE_IDENTITY_LAYERS as INFERENCE_IDENTITY;

fn image_dims(layer: &str, shape: &[usize]) -> Result<(usize, usize, usize, usize)> {
    match shape {
        [h, w, c] => Ok((1, *h, *w, *c)),
        [b, h, w, c] => Ok((*b, *h, *w, *c)),
        _ => Err(input_err(
            layer,
            format!("expects an image [batch, height, width, channels] or [height, width, channels], got {shape:?}"),
        )),
    }
}

fn with_hw(shape: &[usize], h: usize, w: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    let n = s.len();
    s[n - 3] = h;
    s[n - 2] = w;
    s
}

/// A `tf.image.resize` method, as Keras's `Resizing` and `UpSampling2D`
/// name it in `interpolation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interpolation {
    Bilinear,
    Nearest,
    /// `bicubic`, `area`, `lanczos3`, `lanczos5`, `gaussian`,
    /// `mitchellcubic`: one 1-D filter per axis.
    Filter(ResizeFilter),
}

impl Interpolation {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "bilinear" => Some(Self::Bilinear),
            "nearest" => Some(Self::Nearest),
            other => ResizeFilter::from_name(other).map(Self::Filter),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Bilinear => "bilinear",
            Self::Nearest => "nearest",
            Self::Filter(ResizeFilter::Bicubic) => "bicubic",
            Self::Filter(ResizeFilter::Area) => "area",
            Self::Filter(ResizeFilter::Lanczos3) => "lanczos3",
            Self::Filter(ResizeFilter::Lanczos5) => "lanczos5",
            Self::Filter(ResizeFilter::Gaussian) => "gaussian",
            Self::Filter(ResizeFilter::MitchellCubic) => "mitchellcubic",
            Self::Filter(ResizeFilter::Antialiased(k)) => k.method(),
        }
    }

    /// This method with `antialias=True`, as `tf.image.resize` computes it:
    /// `nearest` and `area` ignore the flag, the others run through
    /// `ScaleAndTranslate` ([`ResizeFilter::Antialiased`]).
    pub(crate) fn antialiased(self) -> Self {
        match resample::AntialiasKernel::for_method(self.name()) {
            Some(k) => Self::Filter(ResizeFilter::Antialiased(k)),
            None => self,
        }
    }

    /// Whether this is an antialiased method (its config says
    /// `antialias: true` beside the method's name).
    pub(crate) fn is_antialiased(self) -> bool {
        matches!(self, Self::Filter(ResizeFilter::Antialiased(_)))
    }

    /// `interpolation` of config `c` (default `default`), with
    /// `antialias` when the config sets it; the error names the methods
    /// read.
    pub(crate) fn read(c: &ConfigReader<'_>, default: &str) -> Result<Self> {
        let name = c.str_or("interpolation", default)?;
        let method = Self::from_name(name).ok_or_else(|| {
            c.err(
                "interpolation",
                format!(
                    "expected bilinear, nearest, bicubic, area, lanczos3, lanczos5, gaussian or \
                     mitchellcubic, got \"{name}\""
                ),
            )
        })?;
        Ok(if c.bool_or("antialias", false)? {
            method.antialiased()
        } else {
            method
        })
    }
}

/// Resize `[b, h, w, c]` to `[b, oh, ow, c]` as `tf.image.resize` does
/// (half-pixel centers; antialiasing as the method says).
pub(crate) fn resize(
    x: &[f32],
    (b, h, w, c): (usize, usize, usize, usize),
    (oh, ow): (usize, usize),
    interpolation: Interpolation,
) -> Vec<f32> {
    let nearest = match interpolation {
        Interpolation::Bilinear => false,
        Interpolation::Nearest => true,
        Interpolation::Filter(f) => {
            let shape = tfjs_kernels::image::ImageShape {
                batch: b,
                height: h,
                width: w,
                channels: c,
            };
            let wh = resample::resize_weights(f, h, oh);
            let ww = resample::resize_weights(f, w, ow);
            return resample::resize_separable(x, shape, [oh, ow], &wh, &ww);
        }
    };
    let mut out = vec![0f32; b * oh * ow * c];
    let sy = h as f32 / oh as f32;
    let sx = w as f32 / ow as f32;
    let coord = |o: usize, scale: f32, n: usize| -> (usize, usize, f32) {
        if nearest {
            let i = (((o as f32 + 0.5) * scale).floor() as usize).min(n - 1);
            (i, i, 0.0)
        } else {
            let f = (o as f32 + 0.5) * scale - 0.5;
            let lo_f = f.floor();
            let lo = lo_f.max(0.0) as usize;
            let hi = (f.ceil().max(0.0) as usize).min(n - 1);
            (lo.min(n - 1), hi, f - lo_f)
        }
    };
    for bi in 0..b {
        let img = &x[bi * h * w * c..][..h * w * c];
        for oy in 0..oh {
            let (y0, y1, fy) = coord(oy, sy, h);
            for ox in 0..ow {
                let (x0, x1, fx) = coord(ox, sx, w);
                let o = &mut out[((bi * oh + oy) * ow + ox) * c..][..c];
                for ch in 0..c {
                    let p = |y: usize, xx: usize| img[(y * w + xx) * c + ch];
                    let top = p(y0, x0) + (p(y0, x1) - p(y0, x0)) * fx;
                    let bot = p(y1, x0) + (p(y1, x1) - p(y1, x0)) * fx;
                    o[ch] = top + (bot - top) * fy;
                }
            }
        }
    }
    out
}

/// Keras's `smart_resize`: crop the largest centered window of the
/// target's aspect ratio, then resize it to `th × tw`.
fn smart_resize(
    x: &[f32],
    dims: (usize, usize, usize, usize),
    (th, tw): (usize, usize),
    interpolation: Interpolation,
) -> Vec<f32> {
    let (b, h, w, c) = dims;
    let win = aspect_window(h, w, th, tw);
    let cropped = crop(x, dims, win);
    resize(&cropped, (b, win.2, win.3, c), (th, tw), interpolation)
}

/// Crop `[b, h, w, c]` to the window at `(top, left)` of size `ch × cw`.
fn crop(
    x: &[f32],
    (b, h, w, c): (usize, usize, usize, usize),
    (top, left, chh, cww): (usize, usize, usize, usize),
) -> Vec<f32> {
    let mut out = Vec::with_capacity(b * chh * cww * c);
    for bi in 0..b {
        for y in top..top + chh {
            let row = ((bi * h + y) * w + left) * c;
            out.extend_from_slice(&x[row..row + cww * c]);
        }
    }
    out
}

/// Keras `smart_resize`'s crop window: the largest centred window with the
/// target aspect ratio.
fn aspect_window(h: usize, w: usize, th: usize, tw: usize) -> (usize, usize, usize, usize) {
    let ch = ((w as f64 * th as f64 / tw as f64) as usize).min(h).max(1);
    let cw = ((h as f64 * tw as f64 / th as f64) as usize).min(w).max(1);
    ((h - ch) / 2, (w - cw) / 2, ch, cw)
}

/// `Rescaling(scale, offset)`: `x * scale + offset` (float32 output).
/// `scale`/`offset` may also be lists, broadcast along the last axis.
#[derive(Debug)]
pub struct Rescaling {
    base: Base,
    scale: Vec<f32>,
    offset: Vec<f32>,
    scale_json: Value,
    offset_json: Value,
    /// Keras 2's `Rescaling` does not support masking: it drops its input's
    /// mask (Keras 3's passes it on).
    drops_mask: bool,
}

fn number_or_list(c: &ConfigReader<'_>, key: &str, default: f64) -> Result<(Vec<f32>, Value)> {
    match c.get(key) {
        None => Ok((vec![default as f32], num(default))),
        Some(Value::Array(a)) => {
            let v: Option<Vec<f32>> = a.iter().map(|x| x.as_f64().map(|f| f as f32)).collect();
            let v = v.ok_or_else(|| c.err(key, "expected a number or a list of numbers"))?;
            if v.is_empty() {
                return Err(c.err(key, "empty list"));
            }
            Ok((
                v,
                Value::Array(a.iter().map(|x| num(x.as_f64().unwrap_or(0.0))).collect()),
            ))
        }
        Some(v) => {
            let f = v
                .as_f64()
                .ok_or_else(|| c.err(key, format!("expected a number, got {v}")))?;
            Ok((vec![f as f32], num(f)))
        }
    }
}

impl Rescaling {
    /// Build from a config (`scale` required, `offset` default 0).
    pub fn from_config(c: &ConfigReader<'_>) -> Result<Rescaling> {
        c.required("scale")?;
        let (scale, scale_json) = number_or_list(c, "scale", 1.0)?;
        let (offset, offset_json) = number_or_list(c, "offset", 0.0)?;
        Ok(Rescaling {
            base: Base::parse(c)?,
            scale,
            offset,
            scale_json,
            offset_json,
            drops_mask: c.dialect.preprocessing_drops_masks(),
        })
    }
}

impl Layer for Rescaling {
    layer_flags!(per_sample);
    layer_common!(names "Rescaling");
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("scale".into(), self.scale_json.clone());
        m.insert("offset".into(), self.offset_json.clone());
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![first_shape(&self.base.name, inputs)?.clone()])
    }
    fn pointwise(&self) -> Option<crate::Pointwise> {
        // Scalar scale and offset only (per-channel ones depend on the axis).
        let (&[s], &[o]) = (self.scale.as_slice(), self.offset.as_slice()) else {
            return None;
        };
        // `x * s + o`: two roundings, as `call` computes it.
        Some(crate::Pointwise::Ops(vec![
            PointOp::Mul(s),
            PointOp::Add(o),
        ]))
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = first_input(&self.base.name, inputs)?;
        let last = x.shape().last().copied().unwrap_or(1);
        for (what, v) in [("scale", &self.scale), ("offset", &self.offset)] {
            if v.len() != 1 && v.len() != last {
                return Err(input_err(
                    &self.base.name,
                    format!("{what} has {} values but the last axis has {last}", v.len()),
                ));
            }
        }
        let data = x.to_f32();
        let mut out: Vec<f32> = Vec::with_capacity(data.len());
        // Per-channel values repeat along the last axis; scalars broadcast.
        let per = |v: &[f32]| -> Vec<f32> {
            if v.len() == 1 {
                vec![v[0]; last.max(1)]
            } else {
                v.to_vec()
            }
        };
        let (scale, offset) = (per(&self.scale), per(&self.offset));
        for row in data.chunks(last.max(1)) {
            out.extend(
                row.iter()
                    .zip(&scale)
                    .zip(&offset)
                    .map(|((v, s), o)| v * s + o),
            );
        }
        Ok(vec![Tensor::from_f32(x.shape().to_vec(), out)?])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(preprocessing_mask(self.drops_mask, masks))
    }
}

fn hw_config(c: &ConfigReader<'_>) -> Result<(usize, usize)> {
    let h = c.usize_req("height")?;
    let w = c.usize_req("width")?;
    if h == 0 || w == 0 || h > 1 << 16 || w > 1 << 16 {
        return Err(c.err("height", "height and width must be between 1 and 65536"));
    }
    Ok((h, w))
}

fn image_out_shape(layer: &str, s: &Shape, h: usize, w: usize) -> Result<Shape> {
    if s.len() != 3 && s.len() != 4 {
        return Err(input_err(
            layer,
            format!("expects an image [batch, height, width, channels], got {s:?}"),
        ));
    }
    let mut o = s.clone();
    let n = o.len();
    o[n - 3] = Some(h);
    o[n - 2] = Some(w);
    Ok(o)
}

/// Keras 3's `data_format` of an image layer: `true` for channels_first.
fn reads_channels_first(c: &ConfigReader<'_>) -> Result<bool> {
    match c.str_or("data_format", "channels_last")? {
        "channels_last" => Ok(false),
        "channels_first" => Ok(true),
        other => Err(c.err(
            "data_format",
            format!("expected channels_last or channels_first, got \"{other}\""),
        )),
    }
}

/// [`image_out_shape`] for channels_first images (`[batch, channels,
/// height, width]`) when `channels_first`.
fn image_out_shape_in(
    layer: &str,
    s: &Shape,
    h: usize,
    w: usize,
    channels_first: bool,
) -> Result<Shape> {
    if !channels_first {
        return image_out_shape(layer, s, h, w);
    }
    if s.len() != 3 && s.len() != 4 {
        return Err(input_err(
            layer,
            format!("expects an image [batch, channels, height, width], got {s:?}"),
        ));
    }
    let mut o = s.clone();
    let n = o.len();
    o[n - 2] = Some(h);
    o[n - 1] = Some(w);
    Ok(o)
}

/// `f` run on channels-last images: a channels_first `x` (rank 4, or rank 3
/// for one image) moves its channels last, and the result moves them back,
/// as Keras 3's image layers do.
fn on_channels_last(
    x: &Tensor,
    channels_first: bool,
    f: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let (to_last, to_first): (&[usize], &[usize]) = match (channels_first, x.rank()) {
        (true, 4) => (&[0, 2, 3, 1], &[0, 3, 1, 2]),
        (true, 3) => (&[1, 2, 0], &[2, 0, 1]),
        // Not channels_first, or a rank `f` refuses by name.
        _ => return f(x),
    };
    let y = f(&transpose_tensor(x, to_last))?;
    Ok(transpose_tensor(&y, to_first))
}

/// `Resizing(height, width, interpolation, crop_to_aspect_ratio,
/// antialias)`: channels-last images to `height × width` (any
/// `tf.image.resize` method Keras offers).
#[derive(Debug)]
pub struct Resizing {
    base: Base,
    height: usize,
    width: usize,
    interpolation: Interpolation,
    crop_to_aspect_ratio: bool,
    /// Keras 3's `pad_to_aspect_ratio`: the border's value, when set.
    pad_to_aspect_ratio: Option<f32>,
    /// Keras 3's `data_format: channels_first`.
    channels_first: bool,
}

impl Resizing {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<Resizing> {
        let (height, width) = hw_config(c)?;
        let interpolation = Interpolation::read(c, "bilinear")?;
        let channels_first = reads_channels_first(c)?;
        let crop_to_aspect_ratio = c.bool_or("crop_to_aspect_ratio", false)?;
        let pad_to_aspect_ratio = match c.bool_or("pad_to_aspect_ratio", false)? {
            false => None,
            true if crop_to_aspect_ratio => {
                return Err(c.err(
                    "pad_to_aspect_ratio",
                    "only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be true",
                ))
            }
            true => Some(c.f64_opt("fill_value")?.unwrap_or(0.0) as f32),
        };
        Ok(Resizing {
            base: Base::parse(c)?,
            height,
            width,
            interpolation,
            crop_to_aspect_ratio,
            pad_to_aspect_ratio,
            channels_first,
        })
    }
}

/// How Keras 3's `image.resize` (and `Resizing`) meets the target's
/// aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AspectFit {
    /// Resize to the target as is.
    Stretch,
    /// `crop_to_aspect_ratio`: the largest central window of the target's
    /// aspect ratio, resized.
    Crop,
    /// `pad_to_aspect_ratio`: padded with the value to the target's aspect
    /// ratio, then resized.
    Pad(f32),
}

/// Channels-last images `x` of `dims` resized to `target` with `fit`.
pub(crate) fn resize_fitted(
    x: &[f32],
    dims: (usize, usize, usize, usize),
    target: (usize, usize),
    interpolation: Interpolation,
    fit: AspectFit,
) -> Vec<f32> {
    match fit {
        AspectFit::Crop => smart_resize(x, dims, target, interpolation),
        AspectFit::Pad(fill) => {
            let (padded, dims) = pad_to_aspect_ratio(x, dims, target, fill);
            resize(&padded, dims, target, interpolation)
        }
        AspectFit::Stretch => resize(x, dims, target, interpolation),
    }
}

/// Keras 3's `pad_to_aspect_ratio`: `x` with `fill` rows (or columns) added
/// evenly on both sides up to the aspect ratio of `th × tw`, and its
/// dimensions (`keras.src.backend.tensorflow.image.resize`: the sizes in
/// float32, truncated).
fn pad_to_aspect_ratio(
    x: &[f32],
    (b, h, w, c): (usize, usize, usize, usize),
    (th, tw): (usize, usize),
    fill: f32,
) -> (Vec<f32>, (usize, usize, usize, usize)) {
    let pad_h = h.max(((w * th) as f32 / tw as f32) as usize);
    let pad_w = w.max(((h * tw) as f32 / th as f32) as usize);
    let top = ((pad_h - h) as f32 / 2.0) as usize;
    let left = ((pad_w - w) as f32 / 2.0) as usize;
    let (oh, ow) = (h + 2 * top, w + 2 * left);
    let mut out = vec![fill; b * oh * ow * c];
    for bi in 0..b {
        for r in 0..h {
            let src = &x[((bi * h + r) * w) * c..][..w * c];
            out[((bi * oh + r + top) * ow + left) * c..][..w * c].copy_from_slice(src);
        }
    }
    (out, (b, oh, ow, c))
}

impl Layer for Resizing {
    layer_common!(names "Resizing");
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("height".into(), Value::from(self.height as u64));
        m.insert("width".into(), Value::from(self.width as u64));
        m.insert(
            "interpolation".into(),
            Value::String(self.interpolation.name().into()),
        );
        m.insert(
            "crop_to_aspect_ratio".into(),
            Value::Bool(self.crop_to_aspect_ratio),
        );
        // Keras 3 only (TensorFlow.js has no such keys): written when set.
        if self.interpolation.is_antialiased() {
            m.insert("antialias".into(), Value::Bool(true));
        }
        if let Some(fill) = self.pad_to_aspect_ratio {
            m.insert("pad_to_aspect_ratio".into(), Value::Bool(true));
            m.insert("fill_value".into(), Value::from(fill as f64));
        }
        if self.channels_first {
            m.insert("data_format".into(), Value::String("channels_first".into()));
        }
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = first_shape(&self.base.name, inputs)?;
        Ok(vec![image_out_shape_in(
            &self.base.name,
            s,
            self.height,
            self.width,
            self.channels_first,
        )?])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = first_input(&self.base.name, inputs)?;
        Ok(vec![on_channels_last(x, self.channels_first, |x| {
            self.resize_channels_last(x)
        })?])
    }
}

impl Resizing {
    /// The resize of channels-last images.
    fn resize_channels_last(&self, x: &Tensor) -> Result<Tensor> {
        let dims = image_dims(&self.base.name, x.shape())?;
        let (_, h, w, _) = dims;
        let data = x.to_f32();
        if h == 0 || w == 0 {
            return Err(input_err(&self.base.name, "cannot resize an empty image"));
        }
        let target = (self.height, self.width);
        let fit = match (self.crop_to_aspect_ratio, self.pad_to_aspect_ratio) {
            (true, _) => AspectFit::Crop,
            (false, Some(fill)) => AspectFit::Pad(fill),
            (false, None) => AspectFit::Stretch,
        };
        let out = resize_fitted(&data, dims, target, self.interpolation, fit);
        Tensor::from_f32(with_hw(x.shape(), self.height, self.width), out)
    }
}

/// `CenterCrop(height, width)`: the central `height × width` window of
/// channels-last images (resized as Keras does when the image is smaller).
#[derive(Debug)]
pub struct CenterCrop {
    base: Base,
    cfg: CenterCropConfig,
    /// Keras 3's `data_format: channels_first`.
    channels_first: bool,
}

keras_config! {
    /// `CenterCrop`'s config.
    pub(crate) struct CenterCropConfig |cx| {
        height: usize,
        width: usize,
    }
}

impl CenterCrop {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<CenterCrop> {
        hw_config(c)?;
        Ok(CenterCrop {
            base: Base::parse(c)?,
            cfg: CenterCropConfig::read(&Cx::new(c))?,
            channels_first: reads_channels_first(c)?,
        })
    }

    /// The crop of channels-last images.
    fn crop_channels_last(&self, x: &Tensor) -> Result<Tensor> {
        let dims = image_dims(&self.base.name, x.shape())?;
        let (_, h, w, _) = dims;
        if h == 0 || w == 0 {
            return Err(input_err(&self.base.name, "cannot crop an empty image"));
        }
        let data = x.to_f32();
        let (th, tw) = (self.cfg.height, self.cfg.width);
        let out = if h >= th && w >= tw {
            crop(&data, dims, ((h - th) / 2, (w - tw) / 2, th, tw))
        } else {
            smart_resize(&data, dims, (th, tw), Interpolation::Bilinear)
        };
        let shape = with_hw(x.shape(), th, tw);
        match x.data() {
            TensorData::I32(_) => Tensor::from_i32(shape, out.iter().map(|v| *v as i32).collect()),
            _ => Tensor::from_f32(shape, out),
        }
    }
}

impl Layer for CenterCrop {
    layer_common!(names "CenterCrop");
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.cfg.write(&mut m);
        if self.channels_first {
            m.insert("data_format".into(), Value::String("channels_first".into()));
        }
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = first_shape(&self.base.name, inputs)?;
        Ok(vec![image_out_shape_in(
            &self.base.name,
            s,
            self.cfg.height,
            self.cfg.width,
            self.channels_first,
        )?])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = first_input(&self.base.name, inputs)?;
        Ok(vec![on_channels_last(x, self.channels_first, |x| {
            self.crop_channels_last(x)
        })?])
    }
}

/// `RandomCrop(height, width)` at inference. tf_keras: Keras's
/// `smart_resize` to `height × width`, i.e. [`Resizing`] with
/// `crop_to_aspect_ratio` (crop to the target's aspect ratio, bilinear
/// resize). Keras 3 (3.15): the identity, whatever the declared output
/// size (see [`crate::Dialect`]; a TF.js-era file has no `RandomCrop`, so
/// anything but Keras 3 follows tf_keras).
#[derive(Debug)]
pub struct RandomCrop {
    base: Base,
    config: Map<String, Value>,
    /// `None`: the identity (Keras 3).
    resize: Option<Resizing>,
}

impl RandomCrop {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<RandomCrop> {
        let (height, width) = hw_config(c)?;
        // Keras 3's (the identity at inference) takes either layout;
        // tf_keras's has no data_format.
        if reads_channels_first(c)? && !c.dialect.is_keras3() {
            return Err(c.err("data_format", "only channels_last images are supported"));
        }
        let base = Base::parse(c)?;
        let resize = (!c.dialect.is_keras3()).then(|| Resizing {
            base: base.clone(),
            height,
            width,
            interpolation: Interpolation::Bilinear,
            crop_to_aspect_ratio: true,
            pad_to_aspect_ratio: None,
            channels_first: false,
        });
        Ok(RandomCrop {
            base,
            config: Base::rest_of(c),
            resize,
        })
    }
}

impl Layer for RandomCrop {
    layer_common!(names "RandomCrop");
    fn config(&self) -> Map<String, Value> {
        self.base.with_rest(&self.config)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        match &self.resize {
            Some(r) => r.output_shapes(inputs),
            None => Ok(vec![first_shape(&self.base.name, inputs)?.clone()]),
        }
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        match &self.resize {
            Some(r) => r.call(inputs, masks),
            None => Ok(vec![first_input(&self.base.name, inputs)?.clone()]),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EncodeMode {
    OneHot,
    MultiHot,
    Count,
}

/// `CategoryEncoding(num_tokens, output_mode)`: integer ids in
/// `[0, num_tokens)` to `one_hot`, `multi_hot` (default) or `count` vectors.
/// Inputs of rank 1 or 2. A rank-1 input is one id per sample in `one_hot`
/// mode (`[batch, num_tokens]`) but one bag of ids in `multi_hot` / `count`
/// mode: the whole batch gives one `[num_tokens]` vector (Keras's
/// `bincount` of a rank-1 tensor, also tf_keras's and TF.js 4.22's). Ids out
/// of range are an error in tf_keras and TF.js (their `Assert` / check);
/// Keras 3 (TensorFlow backend) drops ids `>= num_tokens` (its `bincount`'s
/// `maxlength`, and `one_hot`'s zero rows, which also drop negative ids;
/// a negative id in `multi_hot` / `count` mode is its `bincount`'s error). A call given
/// `count_weights=w` (a tensor of the ids' shape, the call's second input)
/// counts each id with its weight, as Keras's weighted `bincount` (`count`
/// mode only, as in Keras).
#[derive(Debug)]
pub struct CategoryEncoding {
    base: Base,
    num_tokens: usize,
    mode: EncodeMode,
    /// Keras 3: ids past the range are dropped, not refused.
    drops_out_of_range: bool,
}

impl CategoryEncoding {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<CategoryEncoding> {
        let num_tokens = c.usize_req("num_tokens")?;
        if num_tokens == 0 || num_tokens > 1 << 24 {
            return Err(c.err("num_tokens", "must be between 1 and 16777216"));
        }
        let mode = match c.str_or("output_mode", "multi_hot")? {
            "one_hot" | "oneHot" => EncodeMode::OneHot,
            "multi_hot" | "multiHot" => EncodeMode::MultiHot,
            "count" => EncodeMode::Count,
            other => {
                return Err(c.err(
                    "output_mode",
                    format!("expected one_hot, multi_hot or count, got \"{other}\""),
                ))
            }
        };
        Ok(CategoryEncoding {
            base: Base::parse(c)?,
            num_tokens,
            mode,
            drops_out_of_range: c.dialect.is_keras3(),
        })
    }

    /// A rank-1 input encoded as one bag of ids (see the type's docs).
    fn bags_the_batch(&self, rank: usize) -> bool {
        rank == 1 && self.mode != EncodeMode::OneHot
    }
}

impl Layer for CategoryEncoding {
    layer_common!(names "CategoryEncoding");
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("num_tokens".into(), Value::from(self.num_tokens as u64));
        m.insert(
            "output_mode".into(),
            Value::String(
                match self.mode {
                    EncodeMode::OneHot => "one_hot",
                    EncodeMode::MultiHot => "multi_hot",
                    EncodeMode::Count => "count",
                }
                .into(),
            ),
        );
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = first_shape(&self.base.name, inputs)?;
        let n = Some(self.num_tokens);
        Ok(vec![match (s.len(), self.mode) {
            (1, EncodeMode::OneHot) => vec![s[0], n],
            (1, _) => vec![n],
            (2, EncodeMode::OneHot) if s[1] != Some(1) => vec![s[0], s[1], n],
            (2, _) => vec![s[0], n],
            _ => {
                return Err(input_err(
                    &self.base.name,
                    format!("CategoryEncoding supports inputs of rank 1 or 2, got {s:?}"),
                ))
            }
        }])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let name = &self.base.name;
        let x = first_input(name, inputs)?;
        let weights = match inputs.get(1) {
            None => None,
            Some(_) if self.mode != EncodeMode::Count => {
                return Err(input_err(
                    name,
                    "count_weights is only used with output_mode \"count\"",
                ))
            }
            Some(w) if w.shape() != x.shape() => {
                return Err(input_err(
                    name,
                    format!(
                        "count_weights of shape {:?} do not match the ids' shape {:?}",
                        w.shape(),
                        x.shape()
                    ),
                ))
            }
            Some(w) => Some(w.to_f32()),
        };
        let (b, per) = match x.shape() {
            [b] if self.bags_the_batch(1) => (1, *b),
            [b] => (*b, 1),
            [b, n] => (*b, *n),
            s => {
                return Err(input_err(
                    name,
                    format!("CategoryEncoding supports inputs of rank 1 or 2, got {s:?}"),
                ))
            }
        };
        let nt = self.num_tokens;
        let ids: Vec<i64> = match x.data() {
            TensorData::I32(v) => v.iter().map(|&i| i as i64).collect(),
            _ => x
                .to_f32()
                .iter()
                .map(|&f| if f.is_finite() { f as i64 } else { -1 })
                .collect(),
        };
        let dropped = |id: i64| {
            self.drops_out_of_range
                && (id >= nt as i64 || (id < 0 && self.mode == EncodeMode::OneHot))
        };
        if let Some((pos, id)) = ids
            .iter()
            .enumerate()
            .find(|(_, &id)| (id < 0 || id >= nt as i64) && !dropped(id))
        {
            return Err(input_err(
                name,
                format!(
                    "input value {id} at flat position {pos} is out of range: values must be \
                     in [0, {nt}) (num_tokens)"
                ),
            ));
        }
        let one_hot_seq = self.mode == EncodeMode::OneHot && x.rank() == 2 && per != 1;
        let (shape, mut out) = if one_hot_seq {
            (vec![b, per, nt], vec![0f32; b * per * nt])
        } else if self.bags_the_batch(x.rank()) {
            (vec![nt], vec![0f32; nt])
        } else {
            (vec![b, nt], vec![0f32; b * nt])
        };
        for (i, &id) in ids.iter().enumerate() {
            if dropped(id) {
                continue;
            }
            let id = id as usize;
            if one_hot_seq {
                out[i * nt + id] = 1.0;
            } else {
                let row = &mut out[(i / per) * nt..][..nt];
                match (self.mode, &weights) {
                    (EncodeMode::Count, Some(w)) => row[id] += w[i],
                    (EncodeMode::Count, None) => row[id] += 1.0,
                    _ => row[id] = 1.0,
                }
            }
        }
        Ok(vec![Tensor::from_f32(shape, out)?])
    }
}

/// tf_keras's `RandomWidth` / `RandomHeight` interpolations (its
/// `image_utils.get_interpolation`: `tf.image.ResizeMethod`'s names).
const RANDOM_RESIZE_INTERPOLATIONS: &[&str] = &[
    "area",
    "bicubic",
    "bilinear",
    "gaussian",
    "lanczos3",
    "lanczos5",
    "mitchellcubic",
    "nearest",
];

/// A random augmentation layer: the identity at inference. Its config is
/// written back as read (TensorFlow.js's order for `RandomWidth`).
#[derive(Debug)]
pub struct RandomIdentity {
    class: &'static str,
    base: Base,
    config: Map<String, Value>,
}

impl RandomIdentity {
    fn from_config(class: &'static str, c: &ConfigReader<'_>) -> Result<RandomIdentity> {
        let base = Base::parse(c)?;
        let mut m = Map::new();
        if class == "RandomWidth" {
            let factor = c.required("factor")?.clone();
            let interp = c.str_or("interpolation", "bilinear")?;
            // TensorFlow.js resizes (even at inference) and implements two
            // methods; tf_keras's layer is the identity at inference and
            // takes every `tf.image.resize` method.
            let known: &[&str] = if c.dialect.is_keras() {
                RANDOM_RESIZE_INTERPOLATIONS
            } else {
                &["bilinear", "nearest"]
            };
            if !known.contains(&interp) {
                return Err(c.err(
                    "interpolation",
                    format!(
                        "Invalid interpolation parameter: {interp} is not implemented (expected \
                         one of {})",
                        known.join(", ")
                    ),
                ));
            }
            m.insert("factor".into(), factor);
            m.insert("interpolation".into(), Value::String(interp.into()));
            m.insert("seed".into(), c.get("seed").cloned().unwrap_or(Value::Null));
        } else {
            m = Base::rest_of(c);
        }
        Ok(RandomIdentity {
            class,
            base,
            config: m,
        })
    }
}

impl Layer for RandomIdentity {
    layer_common!(names self.class);
    fn config(&self) -> Map<String, Value> {
        self.base.with_rest(&self.config)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![first_shape(&self.base.name, inputs)?.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        Ok(vec![first_input(&self.base.name, inputs)?.clone()])
    }
    same_as_input!(mask);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::common::test_util::assert_mask_dropped_only_by_keras2;

    /// Keras 2's `Rescaling` does not support masking (a masked sequence
    /// reaches the next RNN unmasked); Keras 3's and TensorFlow.js's pass
    /// the mask on.
    fn image_layer<L>(
        config: serde_json::Value,
        dialect: &str,
        from: impl Fn(&ConfigReader<'_>) -> Result<L>,
    ) -> Result<L> {
        let map = config.as_object().unwrap().clone();
        let d = crate::Dialect::from_keras_version(Some(dialect));
        from(&ConfigReader::new("img", &map).in_dialect(d))
    }

    fn encoder(mode: &str, dialect: &str) -> CategoryEncoding {
        let c = serde_json::json!({"name": "enc", "num_tokens": 4, "output_mode": mode});
        image_layer(c, dialect, CategoryEncoding::from_config).unwrap()
    }

    fn encode(layer: &CategoryEncoding, shape: Vec<usize>, ids: Vec<i32>) -> Result<Tensor> {
        let x = Tensor::from_i32(shape, ids).unwrap();
        Ok(layer.call(&[x], &[])?.remove(0))
    }

    /// A rank-1 input is one id per sample in `one_hot` mode but one bag
    /// of ids in `multi_hot` / `count` mode, in every dialect (TF.js 4.22's
    /// `encodeCategoricalInputs` bincounts a rank-1 tensor the same way).
    /// Values from (both `keras` 3.15 and `tf_keras` 2.21):
    ///   for m in ["multi_hot", "count", "one_hot"]:
    ///       print(K.layers.CategoryEncoding(4, output_mode=m)(np.array([0, 1, 1, 3])))
    ///   # [1, 1, 0, 1]; [1, 2, 0, 1]; one_hot rows [1,0,0,0] [0,1,0,0] [0,1,0,0] [0,0,0,1]
    ///   K.layers.CategoryEncoding(4)(K.Input(shape=(), dtype="int32")).shape  # (4,)
    #[test]
    fn category_encoding_bags_a_rank1_batch() {
        for dialect in ["3.15.1", "2.21.0", "tfjs-layers 4.22.0"] {
            for (mode, want) in [("multi_hot", [1., 1., 0., 1.]), ("count", [1., 2., 0., 1.])] {
                let l = encoder(mode, dialect);
                let y = encode(&l, vec![4], vec![0, 1, 1, 3]).unwrap();
                assert_eq!(y.shape(), &[4], "{mode} in {dialect}");
                assert_eq!(y.as_f32().unwrap(), want, "{mode} in {dialect}");
                assert_eq!(l.output_shapes(&[vec![None]]).unwrap(), vec![vec![Some(4)]]);
            }
            let l = encoder("one_hot", dialect);
            let y = encode(&l, vec![4], vec![0, 1, 1, 3]).unwrap();
            assert_eq!(y.shape(), &[4, 4]);
            let want = [
                1., 0., 0., 0., 0., 1., 0., 0., 0., 1., 0., 0., 0., 0., 0., 1.,
            ];
            assert_eq!(y.as_f32().unwrap(), want);
            assert_eq!(
                l.output_shapes(&[vec![None]]).unwrap(),
                vec![vec![None, Some(4)]]
            );
        }
    }

    /// Keras 3 (TensorFlow backend) drops ids `>= num_tokens` (and, in
    /// `one_hot` mode, negative ids); a negative id is its `bincount`'s
    /// error in the other modes. tf_keras and TF.js 4.22 refuse any id out
    /// of range. Values from
    ///   for m in ["multi_hot", "count", "one_hot"]:
    ///       keras.layers.CategoryEncoding(4, output_mode=m)(np.array([[0, 5], [1, 4]]))
    ///   # multi_hot and count: [[1, 0, 0, 0], [0, 1, 0, 0]]; one_hot: the out-of-range rows zero
    ///   keras.layers.CategoryEncoding(4, output_mode="one_hot")(np.array([[0, -1], [1, 2]]))
    ///   # [[[1,0,0,0],[0,0,0,0]], [[0,1,0,0],[0,0,1,0]]]
    ///   keras.layers.CategoryEncoding(4)(np.array([[0, -1], [1, 2]]))   # InvalidArgumentError
    ///   tf_keras.layers.CategoryEncoding(4)(np.array([[0, 5], [1, 4]])) # InvalidArgumentError
    #[test]
    fn category_encoding_out_of_range_ids_follow_the_dialect() {
        for mode in ["multi_hot", "count"] {
            let y = encode(&encoder(mode, "3.15.1"), vec![2, 2], vec![0, 5, 1, 4]).unwrap();
            assert_eq!(y.as_f32().unwrap(), [1., 0., 0., 0., 0., 1., 0., 0.]);
            let e = encode(&encoder(mode, "3.15.1"), vec![2, 2], vec![0, -1, 1, 2]).unwrap_err();
            assert!(e.to_string().contains("input value -1"), "{e}");
        }
        let y = encode(&encoder("one_hot", "3.15.1"), vec![2, 2], vec![0, 5, 1, 4]).unwrap();
        assert_eq!(
            y.as_f32().unwrap(),
            [1., 0., 0., 0., 0., 0., 0., 0., 0., 1., 0., 0., 0., 0., 0., 0.]
        );
        let y = encode(&encoder("one_hot", "3.15.1"), vec![2, 2], vec![0, -1, 1, 2]).unwrap();
        assert_eq!(
            y.as_f32().unwrap(),
            [1., 0., 0., 0., 0., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1., 0.]
        );
        for dialect in ["2.21.0", "tfjs-layers 4.22.0"] {
            for mode in ["multi_hot", "count", "one_hot"] {
                let e = encode(&encoder(mode, dialect), vec![2, 2], vec![0, 5, 1, 4]).unwrap_err();
                assert!(e.to_string().contains("out of range"), "{e}");
            }
        }
    }

    /// Keras 3's CenterCrop / Resizing with `data_format: channels_first`
    /// crop and resize the last two axes (CenterCrop read the channels as
    /// the height before). Values from
    ///   img = np.arange(48, dtype="float32").reshape(2, 2, 3, 4)
    ///   keras.layers.CenterCrop(2, 2, data_format="channels_first")(img)
    ///   keras.layers.CenterCrop(4, 3, data_format="channels_first")(img[:1, :1])
    ///   keras.layers.Resizing(2, 3, data_format="channels_first")(img[:1])
    #[test]
    fn center_crop_and_resizing_take_channels_first() {
        let img = |shape: Vec<usize>| {
            let n = shape.iter().product::<usize>();
            Tensor::from_f32(shape, (0..n).map(|i| i as f32).collect()).unwrap()
        };
        let cf = |h: usize, w: usize| {
            serde_json::json!({"name": "img", "height": h, "width": w,
                               "data_format": "channels_first"})
        };
        let crop = image_layer(cf(2, 2), "3.15.1", CenterCrop::from_config).unwrap();
        let y = crop.call(&[img(vec![2, 2, 3, 4])], &[]).unwrap();
        assert_eq!(y[0].shape(), &[2, 2, 2, 2]);
        let want = [
            1., 2., 5., 6., 13., 14., 17., 18., 25., 26., 29., 30., 37., 38., 41., 42.,
        ];
        assert_eq!(y[0].to_f32().as_ref(), &want);
        let up = image_layer(cf(4, 3), "3.15.1", CenterCrop::from_config).unwrap();
        let y = up.call(&[img(vec![1, 1, 3, 4])], &[]).unwrap();
        assert_eq!(y[0].shape(), &[1, 1, 4, 3]);
        let want = [1.0, 1.5, 2.0, 3.5, 4.0, 4.5, 6.5, 7.0, 7.5, 9.0, 9.5, 10.0];
        assert_eq!(y[0].to_f32().as_ref(), &want);
        assert_eq!(
            up.output_shapes(&[vec![None, Some(1), Some(3), Some(4)]])
                .unwrap()[0],
            vec![None, Some(1), Some(4), Some(3)]
        );
        assert_eq!(up.config()["data_format"], "channels_first");
        let resize = image_layer(cf(2, 3), "3.15.1", Resizing::from_config).unwrap();
        let y = resize.call(&[img(vec![1, 2, 3, 4])], &[]).unwrap();
        assert_eq!(y[0].shape(), &[1, 2, 2, 3]);
        let want = [
            1.16667, 2.5, 3.83333, 7.16667, 8.5, 9.83333, 13.16667, 14.5, 15.83333, 19.16667, 20.5,
            21.83334,
        ];
        for (g, w) in y[0].to_f32().iter().zip(want) {
            assert!((g - w).abs() < 1e-4, "{g} vs {w}");
        }
        let bad = serde_json::json!({"name": "img", "height": 2, "width": 2,
                                     "data_format": "nhwc"});
        let e = image_layer(bad, "3.15.1", CenterCrop::from_config)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("data_format") && e.contains("channels_first"),
            "{e}"
        );
    }

    /// tf_keras's RandomWidth (the identity at inference) takes every
    /// `tf.image.resize` method (`tf_keras.layers.RandomWidth(0.2,
    /// interpolation="bicubic")` builds); TensorFlow.js's only bilinear and
    /// nearest.
    #[test]
    fn random_width_interpolations_follow_the_dialect() {
        let config = serde_json::json!({"name": "img", "factor": 0.2, "interpolation": "bicubic"});
        let k2 = image_layer(config.clone(), "2.21.0", |c| {
            RandomIdentity::from_config("RandomWidth", c)
        })
        .unwrap();
        let x = Tensor::from_f32(vec![1, 1, 2, 1], vec![3.0, 4.0]).unwrap();
        assert_eq!(
            k2.call(&[x], &[]).unwrap()[0].to_f32().as_ref(),
            &[3.0, 4.0]
        );
        let map = config.as_object().unwrap().clone();
        let e = RandomIdentity::from_config("RandomWidth", &ConfigReader::new("img", &map))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bicubic is not implemented"), "{e}");
        let odd = serde_json::json!({"name": "img", "factor": 0.2, "interpolation": "cubic"});
        let e = image_layer(odd, "2.21.0", |c| {
            RandomIdentity::from_config("RandomWidth", c)
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("interpolation") && e.contains("mitchellcubic"),
            "{e}"
        );
    }

    #[test]
    fn rescaling_mask_follows_the_dialect() {
        let config = serde_json::json!({"name": "r", "scale": 2.0});
        assert_mask_dropped_only_by_keras2(config, Rescaling::from_config);
    }
}

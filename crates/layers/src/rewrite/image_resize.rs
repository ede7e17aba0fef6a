//! `Resizing`, `CenterCrop` and (in a Keras ≥ 2.4 model, see
//! [`crate::Dialect`]) bilinear `UpSampling2D`, which TensorFlow.js 4.22
//! has but computes differently from Keras (corner-aligned
//! `resizeBilinear`; `cropAndResize` that is not a crop), → layers that
//! compute Keras's numbers:
//!
//! - a crop (`CenterCrop` of a larger image, `crop_to_aspect_ratio`'s
//!   window) → `Cropping2D`;
//! - a resize (`tf.image.resize`, half-pixel centers, bilinear or nearest)
//!   is separable: along each spatial axis it is a fixed linear map, so →
//!   `Permute` + `Dense` (no bias; kernel = the interpolation weights) per
//!   axis + `Permute` back.
//!
//! `CenterCrop` of a smaller image and tf_keras's `RandomCrop` at inference
//! (Keras's `smart_resize`) are a crop of the aspect window then a resize,
//! the same way; Keras 3's `RandomCrop` is the identity at inference.

use super::{f32_weight, zero_dense, Outcome, Site, Step, Target};
use serde_json::{json, Value};
use tfjs_format::codec::DecodedWeight;
use tfjs_kernels::resample::{self, ResizeFilter};

/// The rule: applies to `Resizing`, `CenterCrop`, and bilinear
/// `UpSampling2D` of a model whose dialect samples at half-pixel centers.
pub fn rule(site: &Site<'_>) -> Outcome {
    let result = match site.class_name {
        "Resizing" if site.field("pad_to_aspect_ratio", Value::as_bool) == Some(true) => Err(
            "pad_to_aspect_ratio (a border of fill_value before the resize) has no \
                 TensorFlow.js 4.22 equivalent"
                .into(),
        ),
        "Resizing" | "CenterCrop" | "RandomCrop" => rewrite(site),
        "UpSampling2D"
            if site.dialect.half_pixel_upsampling()
                && site.field("interpolation", Value::as_str) == Some("bilinear") =>
        {
            upsampling(site, Sampling::Bilinear)
        }
        // Keras's other methods, which TF.js's UpSampling2D lacks.
        "UpSampling2D" => match site
            .field("interpolation", Value::as_str)
            .and_then(ResizeFilter::from_name)
        {
            Some(f) => upsampling(site, Sampling::Filter(f)),
            None => return Outcome::Skip,
        },
        _ => return Outcome::Skip,
    };
    result.unwrap_or_else(Outcome::Cannot)
}

/// Keras 3's `ops.image.resize` (`ops.Resize`, channels last; its
/// config is `Resizing`'s with `size` for `height` / `width`) as the
/// `Resizing` rewrite's layers. Asked before the Keras 3 operations' rule.
pub fn ops_rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "ops.Resize" {
        return Outcome::Skip;
    }
    let refused = |why: String| Outcome::Cannot(format!("keras.ops Resize: {why}"));
    if site.field("pad_to_aspect_ratio", Value::as_bool) == Some(true) {
        return refused("pad_to_aspect_ratio has no TensorFlow.js 4.22 equivalent".into());
    }
    if site.field("data_format", Value::as_str) == Some("channels_first") {
        return refused("channels_first images are not rewritten".into());
    }
    rewrite(site).unwrap_or_else(refused)
}

/// For a Keras export: `RandomCrop` at inference is `smart_resize` in
/// tf_keras and the identity in Keras 3, so a model of one writes it as
/// the other's equivalent (`Resizing(crop_to_aspect_ratio)` for Keras 3,
/// an identity `Activation` for tf_keras).
///
/// Bilinear `UpSampling2D` of a model that samples without half-pixel
/// centers (saved by TensorFlow.js, or by Keras before 2.4) becomes the
/// layers computing that sampling: Keras (≥ 2.4) would sample its own way.
pub fn keras_rule(site: &Site<'_>) -> Outcome {
    if site.class_name == "UpSampling2D"
        && !site.dialect.half_pixel_upsampling()
        && site.field("interpolation", Value::as_str) == Some("bilinear")
    {
        return upsampling(site, Sampling::BilinearAsymmetric).unwrap_or_else(Outcome::Cannot);
    }
    if site.class_name != "RandomCrop" {
        return Outcome::Skip;
    }
    match (site.target, site.dialect.is_keras3()) {
        (Target::Keras3, false) => {
            let mut config = site.config.clone();
            config.retain(|k, _| matches!(k.as_str(), "name" | "trainable" | "height" | "width"));
            config.insert("interpolation".into(), json!("bilinear"));
            config.insert("crop_to_aspect_ratio".into(), json!(true));
            site.as_one("Resizing", Value::Object(config), Vec::new())
        }
        (Target::TfKeras, true) => site.as_identity(),
        _ => Outcome::Skip,
    }
}

/// The `[h, w]` of a rank-4 input with known spatial size, in the layer's
/// `data_format` (channels last unless it says channels_first).
fn image_size_in(site: &Site<'_>) -> Result<(usize, usize), String> {
    let shape = site
        .shapes
        .and_then(|s| s.inputs.first())
        .ok_or("its input shape is unknown")?;
    let channels_first = site.field("data_format", Value::as_str) == Some("channels_first");
    match (channels_first, shape.as_slice()) {
        (false, [_, Some(h), Some(w), Some(_)]) | (true, [_, Some(_), Some(h), Some(w)])
            if *h > 0 && *w > 0 =>
        {
            Ok((*h, *w))
        }
        _ => Err(format!(
            "only rank-4 inputs with known, non-empty height and width are rewritten, got \
             {shape:?}"
        )),
    }
}

/// Bilinear `UpSampling2D`: Keras's is `tf.image.resize` to `size` times
/// the input (half-pixel centers), TF.js's `resizeBilinear` without
/// half-pixel centers ([`Sampling::BilinearAsymmetric`]).
fn upsampling(site: &Site<'_>, sampling: Sampling) -> Result<Outcome, String> {
    let channels_first = site.field("data_format", Value::as_str) == Some("channels_first");
    let (h, w) = image_size_in(site)?;
    let size: Vec<usize> = match site.config.get("size") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_u64().map(|n| n as usize))
            .collect::<Option<_>>()
            .ok_or("size must hold two integers")?,
        Some(v) => vec![v.as_u64().ok_or("size must be an integer or a pair")? as usize; 2],
        None => vec![2, 2],
    };
    let [sh, sw] = size[..] else {
        return Err("size must hold two integers".into());
    };
    let target = (
        h.checked_mul(sh).ok_or("size is too large")?,
        w.checked_mul(sw).ok_or("size is too large")?,
    );
    let node = site.single_call("its rewrite needs several layers")?;
    let (layers, weights) = chain(
        site.name,
        node,
        (h, w),
        target,
        sampling,
        None,
        channels_first,
    );
    Ok(Outcome::Replace { layers, weights })
}

/// Keras `smart_resize`'s crop window (as the engine computes it).
fn aspect_window(h: usize, w: usize, th: usize, tw: usize) -> (usize, usize, usize, usize) {
    let ch = ((w as f64 * th as f64 / tw as f64) as usize).min(h).max(1);
    let cw = ((h as f64 * tw as f64 / th as f64) as usize).min(w).max(1);
    ((h - ch) / 2, (w - cw) / 2, ch, cw)
}

/// How a 1-D resize takes its source samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sampling {
    /// `tf.image.resize(method="nearest")` (half-pixel centers).
    Nearest,
    /// `tf.image.resize(method="bilinear")` (half-pixel centers).
    Bilinear,
    /// `resizeBilinear` with neither `alignCorners` nor `halfPixelCenters`
    /// (TF.js's `UpSampling2D`): output `o` samples the input at
    /// `o · n / out`.
    BilinearAsymmetric,
    /// TF 1's `align_corners`: output `o` samples the input at `o · (n -
    /// 1) / (out - 1)`, bilinear or the nearest (halves rounded up).
    BilinearCorners,
    NearestCorners,
    /// TF 1's nearest without `align_corners`: `floor(o · n / out)`.
    NearestAsymmetric,
    /// `tf.image.resize`'s `bicubic`, `area`, `lanczos3`, `lanczos5`.
    Filter(ResizeFilter),
}

impl Sampling {
    /// This method with `antialias=True` (`tf.image.resize`'s rule:
    /// `nearest` and `area` ignore it, the others are `ScaleAndTranslate`
    /// kernels widened by the downscale factor).
    pub(super) fn antialiased(self) -> Self {
        let name = match self {
            Sampling::Bilinear => "bilinear",
            Sampling::Filter(ResizeFilter::Bicubic) => "bicubic",
            Sampling::Filter(ResizeFilter::Lanczos3) => "lanczos3",
            Sampling::Filter(ResizeFilter::Lanczos5) => "lanczos5",
            Sampling::Filter(ResizeFilter::Gaussian) => "gaussian",
            Sampling::Filter(ResizeFilter::MitchellCubic) => "mitchellcubic",
            other => return other,
        };
        resample::AntialiasKernel::for_method(name)
            .map_or(self, |k| Sampling::Filter(ResizeFilter::Antialiased(k)))
    }

    /// TF 1's resize functions' sampling.
    pub(super) fn tf1(v1: crate::layers::tf_ops::V1Resize) -> Self {
        match (v1.nearest, v1.corners) {
            (false, None) => Sampling::Bilinear,
            (true, None) => Sampling::Nearest,
            (false, Some(true)) => Sampling::BilinearCorners,
            (false, Some(false)) => Sampling::BilinearAsymmetric,
            (true, Some(true)) => Sampling::NearestCorners,
            (true, Some(false)) => Sampling::NearestAsymmetric,
        }
    }

    /// Keras's `interpolation` name, for `Resizing` / `UpSampling2D`
    /// (`tf.image.resize`'s `method`).
    pub(super) fn from_name(name: &str) -> Option<Self> {
        match name {
            "bilinear" => Some(Sampling::Bilinear),
            "nearest" => Some(Sampling::Nearest),
            other => ResizeFilter::from_name(other).map(Sampling::Filter),
        }
    }
}

/// The `[n, out]` kernel of a 1-D resize from `n` to `out` samples.
fn interpolation(n: usize, out: usize, sampling: Sampling) -> Vec<f32> {
    let scale = n as f64 / out as f64;
    // TF 1's `align_corners` scale (an output of one samples the first).
    let corners = if out > 1 {
        (n - 1) as f64 / (out - 1) as f64
    } else {
        scale
    };
    let mut k = vec![0f32; n * out];
    if let Sampling::Filter(f) = sampling {
        // The kernels' `[out, n]` weights, transposed for a Dense kernel.
        let w = resample::resize_weights(f, n, out);
        for o in 0..out {
            for i in 0..n {
                k[i * out + o] = w[o * n + i];
            }
        }
        return k;
    }
    for o in 0..out {
        let f = match sampling {
            Sampling::Filter(_) => unreachable!("handled above"),
            Sampling::Nearest | Sampling::NearestAsymmetric | Sampling::NearestCorners => {
                let i = match sampling {
                    Sampling::Nearest => ((o as f64 + 0.5) * scale).floor(),
                    Sampling::NearestCorners => (o as f64 * corners + 0.5).floor(),
                    _ => (o as f64 * scale).floor(),
                };
                k[(i as usize).min(n - 1) * out + o] = 1.0;
                continue;
            }
            Sampling::Bilinear => (o as f64 + 0.5) * scale - 0.5,
            Sampling::BilinearAsymmetric => o as f64 * scale,
            Sampling::BilinearCorners => o as f64 * corners,
        };
        let lo_f = f.floor();
        let lo = (lo_f.max(0.0) as usize).min(n - 1);
        let hi = (f.ceil().max(0.0) as usize).min(n - 1);
        let frac = (f - lo_f) as f32;
        k[lo * out + o] += 1.0 - frac;
        k[hi * out + o] += frac;
    }
    k
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    if site.class_name == "RandomCrop" && site.dialect.is_keras3() {
        // Keras 3's RandomCrop is the identity at inference, whatever its
        // data_format and input size.
        return Ok(site.as_identity());
    }
    // Keras 3's `data_format: channels_first` (Resizing, CenterCrop).
    let channels_first = site.class_name != "ops.Resize"
        && site.field("data_format", Value::as_str) == Some("channels_first");
    let (h, w) = image_size_in(site)?;
    let c = site.config;
    let (th, tw) = match c.get("size").and_then(Value::as_array).map(Vec::as_slice) {
        // `ops.Resize`.
        Some([th, tw]) => (
            th.as_u64().ok_or("size is not [height, width]")? as usize,
            tw.as_u64().ok_or("size is not [height, width]")? as usize,
        ),
        _ => (
            c.get("height").and_then(Value::as_u64).ok_or("no height")? as usize,
            c.get("width").and_then(Value::as_u64).ok_or("no width")? as usize,
        ),
    };
    if th == 0 || tw == 0 {
        return Err("an empty target".into());
    }
    let sampling = match c.get("interpolation").and_then(Value::as_str) {
        None => Sampling::Bilinear,
        Some(name) => Sampling::from_name(name)
            .ok_or_else(|| format!("{name} interpolation has no exact rewrite"))?,
    };
    let sampling = if c.get("antialias").and_then(Value::as_bool) == Some(true) {
        sampling.antialiased()
    } else {
        sampling
    };
    // The crop window, then the resize from it.
    let window = if site.class_name == "CenterCrop" {
        if h >= th && w >= tw {
            Some(((h - th) / 2, (w - tw) / 2, th, tw))
        } else {
            Some(aspect_window(h, w, th, tw))
        }
    } else if site.class_name == "RandomCrop"
        || c.get("crop_to_aspect_ratio").and_then(Value::as_bool) == Some(true)
    {
        Some(aspect_window(h, w, th, tw))
    } else {
        None
    };
    let name = site.name;
    let (_, node) = site.first_input("its rewrite needs several layers")?;
    let (layers, weights) = chain(
        name,
        &node,
        (h, w),
        (th, tw),
        sampling,
        window,
        channels_first,
    );
    Ok(Outcome::Replace { layers, weights })
}

/// Appends the bias-free `Dense` `{name}_resize_{axis}` (and its kernel)
/// that resamples the last axis from `from` to `to` values.
fn resize_last_axis(
    name: &str,
    axis: &str,
    from: usize,
    to: usize,
    sampling: Sampling,
    steps: &mut Vec<Step>,
    weights: &mut Vec<DecodedWeight>,
) {
    let resize = format!("{name}_resize_{axis}");
    weights.push(f32_weight(
        format!("{resize}/kernel"),
        vec![from, to],
        interpolation(from, to, sampling),
    ));
    steps.push((resize, "Dense", zero_dense(to, false)));
}

/// The layers (the last named `name`, the first fed by `node`) and
/// weights cropping `window` (top, left, height, width) out of an `h × w`
/// image, if any, then resizing it to `th × tw` with `sampling`; of
/// `[batch, channels, h, w]` images when `channels_first`.
pub(super) fn chain(
    name: &str,
    node: &Value,
    (h, w): (usize, usize),
    (th, tw): (usize, usize),
    sampling: Sampling,
    window: Option<(usize, usize, usize, usize)>,
    channels_first: bool,
) -> (Vec<Value>, Vec<DecodedWeight>) {
    let mut steps: Vec<Step> = Vec::new();
    let mut weights: Vec<DecodedWeight> = Vec::new();
    let (mut ih, mut iw) = (h, w);
    if let Some((top, left, ch, cw)) = window {
        if (ch, cw) != (h, w) {
            steps.push((
                format!("{name}_crop"),
                "Cropping2D",
                json!({"cropping": [[top, h - top - ch], [left, w - left - cw]],
                       "data_format": if channels_first { "channels_first" } else {
                           "channels_last" }}),
            ));
        }
        (ih, iw) = (ch, cw);
    }
    if (ih, iw) != (th, tw) && channels_first {
        // [c, h, w] -> resize w -> [c, w', h] -> resize h -> [c, h', w']
        for (axis, from, to) in [("w", iw, tw), ("h", ih, th)] {
            resize_last_axis(name, axis, from, to, sampling, &mut steps, &mut weights);
            steps.push((
                format!("{name}_{}", if axis == "w" { "h_last" } else { "back" }),
                "Permute",
                json!({"dims": [1, 3, 2]}),
            ));
        }
    } else if (ih, iw) != (th, tw) {
        // [h, w, c] -> [h, c, w] -> resize w -> [w', c, h] -> resize h -> [h', w', c]
        for (axis, dims, from, to) in [("w", [1, 3, 2], iw, tw), ("h", [3, 2, 1], ih, th)] {
            steps.push((
                format!("{name}_{axis}_last"),
                "Permute",
                json!({ "dims": dims }),
            ));
            resize_last_axis(name, axis, from, to, sampling, &mut steps, &mut weights);
        }
        steps.push((
            format!("{name}_back"),
            "Permute",
            json!({"dims": [3, 1, 2]}),
        ));
    }
    if steps.is_empty() {
        steps.push((
            name.to_string(),
            "Activation",
            json!({"activation": "linear"}),
        ));
    }
    if let Some(last) = steps.last_mut() {
        last.0 = name.to_string();
    }
    let layers = super::chain_entries(node, steps);
    (layers, weights)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn keras_bilinear_upsampling_computes_kerass_numbers() {
        let layers = || {
            vec![entry_on(
                "up",
                "UpSampling2D",
                json!({"size": [2, 3], "interpolation": "bilinear"}),
                "x",
            )]
        };
        for version in ["2.21.0", "3.15.1"] {
            assert_rewrites_from(
                Some(version),
                &[2, 3, 4, 2],
                layers(),
                3,
                1e-5,
                "up (UpSampling2D) -> Permute + Dense",
            );
        }
        // TF.js's own UpSampling2D (and Keras before 2.4) stays as it is.
        for version in [None, Some("2.2.4")] {
            let model = functional_from(&[3, 4, 2], layers(), 3, version);
            let out = super::super::rewrite_for_tfjs(&model).unwrap();
            assert!(out.notes.is_empty(), "{:?}", out.notes);
        }
    }

    #[test]
    fn tfjs_bilinear_upsampling_exports_to_keras_as_the_sampling_it_computes() {
        // TF.js's UpSampling2D samples without half-pixel centers; Keras's
        // own would not: an export writes layers computing TF.js's numbers.
        let layers = vec![entry_on(
            "up",
            "UpSampling2D",
            json!({"size": [2, 3], "interpolation": "bilinear"}),
            "x",
        )];
        let model = functional_from(&[3, 4, 2], layers, 3, None);
        let x = input(&[2, 3, 4, 2]);
        let want = model.predict(std::slice::from_ref(&x)).unwrap();
        for target in [super::super::Target::TfKeras, super::super::Target::Keras3] {
            let out = super::super::rewrite_for(&model, target).unwrap();
            assert_note(&out, "up (UpSampling2D) -> Permute + Dense");
            let back = crate::Model::from_artifacts(&out.artifacts, &Default::default()).unwrap();
            let got = back.predict(std::slice::from_ref(&x)).unwrap();
            let (w, g) = (want[0].as_f32().unwrap(), got[0].as_f32().unwrap());
            assert_eq!(want[0].shape(), got[0].shape());
            for (a, b) in w.iter().zip(g) {
                assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn random_crop_is_smart_resize_in_tf_keras_and_the_identity_in_keras_3() {
        let layers = || {
            vec![entry_on(
                "crop",
                "RandomCrop",
                json!({"height": 3, "width": 5}),
                "x",
            )]
        };
        assert_rewrites_from(
            Some("2.21.0"),
            &[2, 6, 4, 2],
            layers(),
            3,
            1e-5,
            "crop (RandomCrop) -> Cropping2D + Permute + Dense",
        );
        assert_rewrites_from(
            Some("3.15.1"),
            &[2, 6, 4, 2],
            layers(),
            3,
            0.0,
            "crop (RandomCrop) -> Activation",
        );
    }

    #[test]
    fn tensorflow_resize_filters_become_dense_kernels() {
        // Keras 3's bicubic / area / lanczos methods (the engine computes
        // them with tfjs_kernels::resample, checked against Keras by the
        // corpus's keras3zip_upsample_interpolations).
        let layers = chain(
            "x",
            json!([
                ["cubic", "UpSampling2D", {"size": [2, 3], "interpolation": "bicubic"}],
                ["area", "Resizing", {"height": 4, "width": 5, "interpolation": "area"}],
                ["lanczos", "Resizing", {"height": 7, "width": 3, "interpolation": "lanczos5"}]
            ]),
        );
        let model = functional_from(&[3, 4, 2], layers, 3, Some("3.15.1"));
        let out = assert_same(&model, &input(&[2, 3, 4, 2]), 1e-5);
        assert_note(&out, "cubic (UpSampling2D) -> Permute + Dense");
        assert_note(&out, "lanczos (Resizing) -> Permute + Dense");
    }

    #[test]
    fn keras3_resize_operations_become_dense_kernels() {
        let resize = |name: &str, from: &str, size: [usize; 2], method: &str| {
            super::super::probes::op(
                name,
                "Resize",
                json!({"size": size, "interpolation": method, "antialias": false,
                       "crop_to_aspect_ratio": false, "pad_to_aspect_ratio": false,
                       "data_format": null}),
                json!([[from, 0, 0]]),
            )
        };
        let layers = vec![
            resize("down", "x", [5, 3], "bilinear"),
            resize("up", "down", [9, 7], "nearest"),
        ];
        assert_rewrites(
            &[2, 8, 6, 2],
            layers,
            3,
            1e-5,
            "up (ops.Resize) -> Permute + Dense",
        );
    }

    /// TF 1's resizes, corner-aligned or from the top-left corner, as the
    /// engine computes them (checked against TensorFlow by the corpus's
    /// deeplab_legacy_resize).
    #[test]
    fn tf1_resizes_become_dense_kernels() {
        use super::super::probes::tf;
        let layers = vec![
            tf(
                "a",
                "compat.v1.image.resize_bilinear",
                "x",
                json!({"size": [7, 5], "align_corners": true}),
            ),
            tf(
                "b",
                "compat.v1.image.resize_images",
                "a",
                json!({"size": [4, 9], "method": "nearest", "align_corners": true}),
            ),
            tf(
                "c",
                "compat.v1.image.resize_images",
                "b",
                json!({"size": [6, 4], "method": 0}),
            ),
            tf(
                "d",
                "compat.v1.image.resize_nearest_neighbor",
                "c",
                json!({"size": [5, 7]}),
            ),
        ];
        let model = functional(&[3, 4, 2], layers, 3);
        let out = assert_same(&model, &input(&[2, 3, 4, 2]), 1e-5);
        assert_note(&out, "a (TFOpLambda) -> Permute + Dense");
        assert_note(&out, "d (TFOpLambda) -> Permute + Dense");
    }

    /// Keras 3's Resizing / CenterCrop with `data_format:
    /// "channels_first"` (the engine's numbers are checked against Keras by
    /// the corpus's keras3zip_k3_nchw_preprocess), and a channels_first
    /// RandomCrop, the identity at inference.
    #[test]
    fn channels_first_resizing_and_center_crop_compute_kerass_numbers() {
        let cf = "channels_first";
        let layers = chain(
            "x",
            json!([
                ["down", "Resizing", {"height": 5, "width": 3, "data_format": cf}],
                ["crop", "CenterCrop", {"height": 4, "width": 2, "data_format": cf}],
                ["grow", "CenterCrop", {"height": 6, "width": 5, "data_format": cf}],
                ["rand", "RandomCrop", {"height": 2, "width": 2, "data_format": cf}],
                ["aspect", "Resizing", {"height": 3, "width": 4, "crop_to_aspect_ratio": true,
                                        "interpolation": "nearest", "data_format": cf}],
                ["up", "UpSampling2D", {"size": [2, 3], "interpolation": "lanczos3",
                                        "data_format": cf}],
                ["up2", "UpSampling2D", {"size": 2, "interpolation": "bilinear",
                                         "data_format": cf}]
            ]),
        );
        assert_rewrites_from(
            Some(crate::dialect::KERAS3_VERSION),
            &[2, 2, 8, 6],
            layers,
            3,
            1e-5,
            "crop (CenterCrop) -> Cropping2D",
        );
    }

    #[test]
    fn resizing_and_center_crop_compute_kerass_numbers() {
        let layers = chain(
            "x",
            json!([
                ["down", "Resizing", {"height": 5, "width": 3, "interpolation": "bilinear"}],
                ["up", "Resizing", {"height": 9, "width": 7, "interpolation": "nearest"}],
                ["crop", "CenterCrop", {"height": 6, "width": 6}],
                ["aspect", "Resizing", {"height": 4, "width": 2, "crop_to_aspect_ratio": true}],
                ["grow", "CenterCrop", {"height": 5, "width": 3}]
            ]),
        );
        assert_rewrites(
            &[2, 8, 6, 2],
            layers,
            3,
            1e-5,
            "crop (CenterCrop) -> Cropping2D",
        );
    }
}

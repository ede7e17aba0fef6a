//! Images as model inputs: decode (PNG, JPEG, WebP), resize like Keras,
//! normalize with one of Keras' `imagenet_utils.preprocess_input` modes,
//! and read the top-k classes of a classifier's output.
//!
//! Belongs in a small `tfjs-vision` crate (or `tfjs-layers`) later; it
//! depends only on `image` and the engine's `Tensor`.

use anyhow::{anyhow, bail, Context};
use std::path::Path;
use tfjs_layers::Tensor;

/// The most bytes an image file may hold (a 16k×16k PNG is far less).
pub const MAX_IMAGE_FILE_BYTES: u64 = 1 << 30;

/// How pixel values (0..255, RGB) become model inputs; Keras'
/// `keras.applications.imagenet_utils.preprocess_input` modes, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preprocess {
    /// Raw pixel values 0..255 (the model rescales them itself).
    None,
    /// `x / 255` (0..1).
    Scale01,
    /// Keras mode `tf` (MobileNet, Inception, …): `x / 127.5 - 1` (-1..1).
    Mobilenet,
    /// Keras mode `caffe` (VGG, ResNet50): RGB→BGR, then minus the ImageNet
    /// BGR means [103.939, 116.779, 123.68]; no scaling.
    Caffe,
    /// Keras mode `torch` (DenseNet): `x / 255`, then
    /// `(x - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]`.
    Torch,
}

/// An image as float32 pixels, row-major `height x width x channels`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pixels {
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    pub data: Vec<f32>,
}

/// Decode PNG / JPEG / WebP bytes into `channels` channels (1 = grayscale,
/// 3 = RGB, 4 = RGBA). `source` names the file in errors.
pub fn decode(bytes: &[u8], channels: usize, source: &str) -> anyhow::Result<Pixels> {
    let img = image::load_from_memory(bytes).with_context(|| {
        format!("{source}: cannot decode the image (PNG, JPEG and WebP are supported)")
    })?;
    let (width, height) = (img.width() as usize, img.height() as usize);
    let raw: Vec<u8> = match channels {
        1 => img.to_luma8().into_raw(),
        3 => img.to_rgb8().into_raw(),
        4 => img.to_rgba8().into_raw(),
        n => bail!("{source}: the model wants {n} channels per pixel; images give 1, 3 or 4"),
    };
    Ok(Pixels {
        height,
        width,
        channels,
        data: raw.into_iter().map(f32::from).collect(),
    })
}

/// Decode an image file (see [`decode`]).
pub fn read(path: &Path, channels: usize) -> anyhow::Result<Pixels> {
    let bytes = tfjs_io::file::read_regular_file(path, "image file", MAX_IMAGE_FILE_BYTES)
        .with_context(|| format!("cannot read {}", path.display()))?;
    decode(&bytes, channels, &path.display().to_string())
}

/// Source coordinates of one output row/column: `(lower, upper, lerp)`,
/// computed as TensorFlow's `compute_interpolation_weights` with
/// `half_pixel_centers` does, in float32.
fn weights(out_size: usize, in_size: usize) -> Vec<(usize, usize, f32)> {
    let scale = in_size as f32 / out_size as f32;
    (0..out_size)
        .map(|i| {
            let x = (i as f32 + 0.5) * scale - 0.5;
            let floor = x.floor();
            let lower = (floor.max(0.0) as usize).min(in_size - 1);
            let upper = (x.ceil().max(0.0) as usize).min(in_size - 1);
            (lower, upper, x - floor)
        })
        .collect()
}

/// Bilinear resize with half-pixel centers and no antialiasing:
/// `tf.image.resize(x, (height, width))` (method `bilinear`,
/// `antialias=False`), which Keras' image utilities use.
pub fn resize_bilinear(p: &Pixels, height: usize, width: usize) -> anyhow::Result<Pixels> {
    if height == 0 || width == 0 || p.height == 0 || p.width == 0 {
        bail!(
            "cannot resize a {}x{} image to {width}x{height}",
            p.width,
            p.height
        );
    }
    let n = height
        .checked_mul(width)
        .and_then(|n| n.checked_mul(p.channels))
        .filter(|&n| n <= 1 << 30)
        .ok_or_else(|| anyhow!("resize target {width}x{height} is too large"))?;
    if (height, width) == (p.height, p.width) {
        return Ok(p.clone());
    }
    let ys = weights(height, p.height);
    let xs = weights(width, p.width);
    let c = p.channels;
    let at = |y: usize, x: usize, k: usize| p.data[(y * p.width + x) * c + k];
    let mut data = Vec::with_capacity(n);
    for &(y0, y1, ly) in &ys {
        for &(x0, x1, lx) in &xs {
            for k in 0..c {
                let top_left = at(y0, x0, k);
                let top_right = at(y0, x1, k);
                let bottom_left = at(y1, x0, k);
                let bottom_right = at(y1, x1, k);
                let top = top_left + (top_right - top_left) * lx;
                let bottom = bottom_left + (bottom_right - bottom_left) * lx;
                data.push(top + (bottom - top) * ly);
            }
        }
    }
    Ok(Pixels {
        height,
        width,
        channels: c,
        data,
    })
}

/// Apply a Keras preprocessing mode in place (float32 arithmetic in the
/// order Keras uses, so the results are bit-identical).
pub fn preprocess(p: &mut Pixels, mode: Preprocess) -> anyhow::Result<()> {
    let c = p.channels;
    let need_rgb = matches!(mode, Preprocess::Caffe | Preprocess::Torch);
    if need_rgb && c != 3 {
        bail!("--preprocess {mode:?} needs 3-channel (RGB) inputs, the model takes {c}");
    }
    match mode {
        Preprocess::None => {}
        Preprocess::Scale01 => p.data.iter_mut().for_each(|x| *x /= 255.0),
        Preprocess::Mobilenet => p.data.iter_mut().for_each(|x| {
            *x /= 127.5;
            *x -= 1.0;
        }),
        Preprocess::Caffe => {
            const MEAN_BGR: [f32; 3] = [103.939, 116.779, 123.68];
            for px in p.data.chunks_exact_mut(3) {
                px.swap(0, 2);
                for (v, m) in px.iter_mut().zip(MEAN_BGR) {
                    *v -= m;
                }
            }
        }
        Preprocess::Torch => {
            const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
            const STD: [f32; 3] = [0.229, 0.224, 0.225];
            for px in p.data.chunks_exact_mut(3) {
                for ((v, m), s) in px.iter_mut().zip(MEAN).zip(STD) {
                    *v /= 255.0;
                    *v -= m;
                    *v /= s;
                }
            }
        }
    }
    Ok(())
}

/// Parse `--resize WxH`.
pub fn parse_size(s: &str) -> anyhow::Result<(usize, usize)> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| anyhow!("--resize `{s}`: expected WIDTHxHEIGHT, e.g. 224x224"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0 && n <= 1 << 15)
            .ok_or_else(|| anyhow!("--resize `{s}`: `{v}` is not a size in 1..=32768"))
    };
    Ok((parse(w)?, parse(h)?))
}

/// A batch tensor `[n, height, width, channels]` from image files: each is
/// decoded, resized to `height x width` (bilinear, half-pixel centers) and
/// preprocessed. `int32` gives integer pixels (rounded), for models that
/// take raw 0..255 ints.
pub fn image_batch(
    paths: &[impl AsRef<Path>],
    height: usize,
    width: usize,
    channels: usize,
    mode: Preprocess,
    dtype: &str,
) -> anyhow::Result<Tensor> {
    let mut data = Vec::new();
    for path in paths {
        let mut p = resize_bilinear(&read(path.as_ref(), channels)?, height, width)?;
        preprocess(&mut p, mode)?;
        data.extend_from_slice(&p.data);
    }
    let shape = vec![paths.len(), height, width, channels];
    Ok(if dtype == "int32" {
        Tensor::from_i32(shape, data.iter().map(|x| x.round() as i32).collect())?
    } else {
        Tensor::from_f32(shape, data)?
    })
}

/// Class labels: one per line, or a JSON list of names, or Keras'
/// `imagenet_class_index.json` (`{"0": ["n01440764", "tench"], …}`).
pub fn read_labels(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(trimmed)
            .with_context(|| format!("{}: invalid JSON", path.display()))?;
        let name = |x: &serde_json::Value| match x {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(a) => a.last().and_then(|s| s.as_str()).map(String::from),
            _ => None,
        };
        return match v {
            serde_json::Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    name(x).ok_or_else(|| anyhow!("{}: entry {i} is not a name", path.display()))
                })
                .collect(),
            serde_json::Value::Object(o) => {
                let mut out = vec![String::new(); o.len()];
                for (k, x) in &o {
                    let i: usize = k.parse().ok().filter(|&i| i < o.len()).ok_or_else(|| {
                        anyhow!(
                            "{}: key `{k}` is not a class index below {}",
                            path.display(),
                            o.len()
                        )
                    })?;
                    out[i] = name(x)
                        .ok_or_else(|| anyhow!("{}: entry `{k}` is not a name", path.display()))?;
                }
                Ok(out)
            }
            _ => unreachable!("checked the first character"),
        };
    }
    Ok(text.lines().map(|l| l.trim().to_string()).collect())
}

/// The `k` largest scores of one row, best first: `(class index, score)`.
/// NaNs sort last; ties keep the lower index first.
pub fn top_k(scores: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (scores[a], scores[b]);
        match (x.is_nan(), y.is_nan()) {
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ => y.total_cmp(&x),
        }
        .then(a.cmp(&b))
    });
    idx.into_iter().take(k).map(|i| (i, scores[i])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_by_score_then_index() {
        let t = top_k(&[0.1, 0.7, f32::NAN, 0.7, 0.05], 3);
        assert_eq!(t, vec![(1, 0.7), (3, 0.7), (0, 0.1)]);
    }

    #[test]
    fn parse_size_reads_width_then_height() {
        assert_eq!(parse_size("224x160").unwrap(), (224, 160));
        assert!(parse_size("224").is_err());
        assert!(parse_size("0x5").is_err());
    }

    #[test]
    fn resize_to_same_size_is_identity_and_upsampling_interpolates() {
        let p = Pixels {
            height: 1,
            width: 2,
            channels: 1,
            data: vec![0.0, 100.0],
        };
        assert_eq!(resize_bilinear(&p, 1, 2).unwrap(), p);
        // Half-pixel centers: output x = 0..4 maps to source -0.25, 0.25,
        // 0.75, 1.25 → 0 (clamped), 25, 75, 100 (clamped).
        let up = resize_bilinear(&p, 1, 4).unwrap();
        assert_eq!(up.data, vec![0.0, 25.0, 75.0, 100.0]);
    }
}

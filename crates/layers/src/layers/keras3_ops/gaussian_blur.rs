//! Keras 3's `ops.image.gaussian_blur(images, kernel_size, sigma)` of NHWC
//! images, as its TensorFlow backend computes it: per axis a float32
//! kernel `exp(-0.5 · ((i - (size - 1) / 2) / sigma)²)` normalized to sum
//! 1, the outer product of the second axis's kernel by the first's (a
//! `[size₁, size₀]` array laid out as `[size₀, size₁]`, as Keras reshapes
//! it), one copy per channel, and a depthwise convolution with `"SAME"`
//! padding (`keras3_ops/const_conv.rs`). With `data_format="channels_first"`
//! the images are transposed to NHWC, blurred and transposed back (Keras
//! 3.15's TensorFlow backend). Single images (rank 3) are refused when the
//! model is built.

use super::const_conv::ConstConv;
use crate::config::ConfigReader;
use crate::layers::common::tensor_ops::transpose_tensor;
use crate::{Shape, Tensor};
use serde_json::Value;

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct GaussianBlur {
    /// `kernel_size` as Keras reshapes the kernel: `[height, width]`.
    size: [usize; 2],
    /// The outer product of the two 1-D kernels, row-major.
    kernel: Vec<f32>,
    /// `data_format="channels_first"`: NCHW images.
    channels_first: bool,
}

/// A float32 pair from `v` (a list of two numbers).
fn pair(v: Option<&Value>, what: &str) -> Out<[f64; 2]> {
    match v.and_then(Value::as_array).map(Vec::as_slice) {
        Some([a, b]) => a
            .as_f64()
            .zip(b.as_f64())
            .map(|(a, b)| [a, b])
            .ok_or_else(|| format!("{what}: expected two numbers, got {v:?}")),
        _ => Err(format!("{what}: expected two numbers, got {v:?}")),
    }
}

/// Keras's `_get_gaussian_kernel1d(size, sigma)` in float32.
fn kernel_1d(size: usize, sigma: f32) -> Vec<f32> {
    let center = (size as f32 - 1.0) / 2.0;
    let k: Vec<f32> = (0..size)
        .map(|i| {
            let t = (i as f32 - center) / sigma;
            (-0.5 * (t * t)).exp()
        })
        .collect();
    let sum: f32 = k.iter().sum();
    k.into_iter().map(|v| v / sum).collect()
}

impl GaussianBlur {
    /// The Keras 3 operation `op` (`None`: not `GaussianBlur`).
    pub(crate) fn from_keras3(op: &str, c: &ConfigReader<'_>) -> Option<Out<Self>> {
        (op == "GaussianBlur").then(|| {
            let channels_first = match c.get("data_format").and_then(Value::as_str) {
                None | Some("channels_last") => false,
                Some("channels_first") => true,
                Some(f) => {
                    return Err(format!(
                        "data_format {f}: expected channels_last or channels_first"
                    ))
                }
            };
            let size = pair(c.get("kernel_size"), "kernel_size")?;
            let sigma = pair(c.get("sigma"), "sigma")?;
            let ok =
                |s: f64| (s.fract() == 0.0 && (1.0..=1024.0).contains(&s)).then_some(s as usize);
            let (Some(s0), Some(s1)) = (ok(size[0]), ok(size[1])) else {
                return Err(format!(
                    "kernel_size: expected positive integers, got {size:?}"
                ));
            };
            let (kx, ky) = (
                kernel_1d(s0, sigma[0] as f32),
                kernel_1d(s1, sigma[1] as f32),
            );
            let kernel = ky
                .iter()
                .flat_map(|&y| kx.iter().map(move |&x| y * x))
                .collect();
            Ok(GaussianBlur {
                size: [s0, s1],
                kernel,
                channels_first,
            })
        })
    }

    /// `data_format="channels_first"` (the rewrite's depthwise convolution
    /// is NHWC).
    pub(crate) fn channels_first(&self) -> bool {
        self.channels_first
    }

    /// The depthwise convolution for `channels` channels.
    pub(crate) fn conv(&self, channels: usize) -> Out<ConstConv> {
        let kernel = self
            .kernel
            .iter()
            .flat_map(|&k| std::iter::repeat_n(k, channels))
            .collect();
        let kernel = Tensor::from_f32(vec![self.size[0], self.size[1], channels, 1], kernel)
            .map_err(|e| e.to_string())?;
        Ok(ConstConv::depthwise_same(kernel))
    }

    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        let layout = if self.channels_first { "NCHW" } else { "NHWC" };
        let nhwc = match (&x[..], self.channels_first) {
            (&[b, Some(c), h, w], true) => vec![b, h, w, Some(c)],
            (&[_, _, _, Some(_)], false) => x.clone(),
            _ => {
                return Err(format!(
                    "expects a batch of {layout} images with known channels"
                ))
            }
        };
        let c = nhwc[3].unwrap_or_default();
        let out = self.conv(c)?.shape(&nhwc, None)?;
        Ok(if self.channels_first {
            vec![out[0], out[3], out[1], out[2]]
        } else {
            out
        })
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        let layout = if self.channels_first { "NCHW" } else { "NHWC" };
        if x.shape().len() != 4 {
            return Err(format!(
                "expects {layout} images, got shape {:?}",
                x.shape()
            ));
        }
        if !self.channels_first {
            return self.conv(x.shape()[3])?.call(x, None);
        }
        let nhwc = transpose_tensor(x, &[0, 2, 3, 1]);
        let out = self.conv(x.shape()[1])?.call(&nhwc, None)?;
        Ok(transpose_tensor(&out, &[0, 3, 1, 2]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn channels_first_blurs_each_channel_plane() {
        // x = np.arange(24, dtype="float32").reshape(1, 2, 3, 4) * 0.5;
        // x[0, 1] = x[0, 1] ** 2 / 10;
        // keras.ops.image.gaussian_blur(x, kernel_size=(3, 3), sigma=(0.8, 1.3),
        //     data_format="channels_first")  (Keras 3.15, TensorFlow backend)
        let map = json!({"kernel_size": [3, 3], "sigma": [0.8, 1.3],
                         "data_format": "channels_first"});
        let map = map.as_object().unwrap();
        let blur = GaussianBlur::from_keras3("GaussianBlur", &ConfigReader::new("blur", map))
            .unwrap()
            .unwrap();
        let mut x: Vec<f32> = (0..24).map(|i| i as f32 * 0.5).collect();
        for v in &mut x[12..] {
            *v = *v * *v / 10.0;
        }
        let x = Tensor::from_f32(vec![1, 2, 3, 4], x).unwrap();
        assert_eq!(
            blur.shape(&vec![None, Some(2), Some(3), Some(4)]).unwrap(),
            vec![None, Some(2), Some(3), Some(4)]
        );
        let y = blur.call(&x).unwrap();
        assert_eq!(y.shape(), &[1, 2, 3, 4]);
        let want = [
            0.538_874_3,
            0.948_527_2,
            1.299_018_1,
            1.171_520_6,
            1.641_508_7,
            2.5,
            3.0,
            2.544_023,
            1.762_461_5,
            2.556_382_7,
            2.906_873_5,
            2.395_107_7,
            2.676_576_6,
            3.867_079_7,
            4.400_046_3,
            3.638_596_3,
            5.249_651,
            7.476_165,
            8.351_165,
            6.829_051_5,
            4.672_743,
            6.600_434,
            7.294_186,
            5.924_985_4,
        ];
        for (got, want) in y.as_f32().unwrap().iter().zip(want) {
            assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        }
    }
}

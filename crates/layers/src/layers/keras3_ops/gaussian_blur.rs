//! Keras 3's `ops.image.gaussian_blur(images, kernel_size, sigma)` of NHWC
//! images, as its TensorFlow backend computes it: per axis a float32
//! kernel `exp(-0.5 · ((i - (size - 1) / 2) / sigma)²)` normalized to sum
//! 1, the outer product of the second axis's kernel by the first's (a
//! `[size₁, size₀]` array laid out as `[size₀, size₁]`, as Keras reshapes
//! it), one copy per channel, and a depthwise convolution with `"SAME"`
//! padding (`keras3_ops/const_conv.rs`). `channels_first` and single
//! images (rank 3) are refused when the model is built.

use super::const_conv::ConstConv;
use crate::config::ConfigReader;
use crate::{Shape, Tensor};
use serde_json::Value;

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct GaussianBlur {
    /// `kernel_size` as Keras reshapes the kernel: `[height, width]`.
    size: [usize; 2],
    /// The outer product of the two 1-D kernels, row-major.
    kernel: Vec<f32>,
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
            match c.get("data_format").and_then(Value::as_str) {
                None | Some("channels_last") => {}
                Some(f) => return Err(format!("data_format {f}: only channels_last is supported")),
            }
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
            })
        })
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
        let c = match x[..] {
            [_, _, _, Some(c)] => c,
            _ => return Err("expects a batch of NHWC images with known channels".into()),
        };
        self.conv(c)?.shape(x, None)
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        let c = match x.shape()[..] {
            [_, _, _, c] => c,
            _ => return Err(format!("expects NHWC images, got shape {:?}", x.shape())),
        };
        self.conv(c)?.call(x, None)
    }
}

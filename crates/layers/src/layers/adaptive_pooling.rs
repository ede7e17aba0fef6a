//! Keras 3's adaptive pooling (`AdaptiveAveragePooling1D/2D/3D`,
//! `AdaptiveMaxPooling1D/2D/3D`): a fixed `output_size`, whatever the
//! input's; output position `i` of an axis of `n` inputs and `m` outputs
//! reads a window starting at `floor(i·n/m)`.
//!
//! The window lengths follow Keras's TensorFlow backend ("two-pool
//! gather"): `small = ceil(n/m)`; a window whose `[floor(i·n/m),
//! ceil((i+1)·n/m))` span is `small + 1` long takes `small + 1` values,
//! every other one `small` (PyTorch's bins wherever those agree). Axes are
//! pooled one after another (depth, height, width), as Keras does.
//! Keras 3's `ops.nn.adaptive_average_pool` / `adaptive_max_pool`
//! operations (the same config) run as these layers. TensorFlow.js has no
//! such layer.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};

keras_config! {
    /// Every adaptive pooling layer's config.
    pub(crate) struct AdaptivePoolingConfig |cx| {
        output_size: Ints,
        data_format: DataFormat = DataFormat::ChannelsLast,
    }
}

/// One adaptive pooling layer.
#[derive(Debug, Clone)]
pub struct AdaptivePooling {
    class: &'static str,
    base: Base,
    cfg: AdaptivePoolingConfig,
    is_max: bool,
    rank: usize,
}

impl AdaptivePooling {
    fn from_config(
        class: &'static str,
        cfg: &ConfigReader<'_>,
        is_max: bool,
        rank: usize,
    ) -> Result<Self> {
        let read = AdaptivePoolingConfig::read(&Cx::spatial(cfg, rank))?;
        if read.output_size.contains(&0) {
            return Err(cfg.err("output_size", "sizes must be positive"));
        }
        Ok(AdaptivePooling {
            class,
            base: Base::parse(cfg)?,
            cfg: read,
            is_max,
            rank,
        })
    }

    fn channels_first(&self) -> bool {
        self.cfg.data_format == DataFormat::ChannelsFirst
    }
}

/// The windows `(start, length)` over an axis of `n` values for `m`
/// outputs, as Keras's TensorFlow backend computes them (in float32).
fn keras_windows(n: usize, m: usize) -> Vec<(usize, usize)> {
    let small = n.div_ceil(m);
    (0..m)
        .map(|i| {
            let (nf, mf) = (n as f32, m as f32);
            let start = ((i as f32 * nf) / mf).floor() as usize;
            let end = (((i + 1) as f32 * nf) / mf).ceil() as usize;
            let (start, end) = (start.min(n - 1), end.min(n));
            let len = if end.saturating_sub(start) == small + 1 {
                small + 1
            } else {
                small
            };
            (start, len.min(n - start))
        })
        .collect()
}

/// Pool `[outer, n, inner]` along its middle axis into `m` windows.
fn pool_axis(x: &[f32], [outer, n, inner]: [usize; 3], m: usize, is_max: bool) -> Vec<f32> {
    let windows = keras_windows(n, m);
    let mut out = vec![0f32; outer * m * inner];
    for o in 0..outer {
        let src = &x[o * n * inner..][..n * inner];
        for (i, &(start, len)) in windows.iter().enumerate() {
            let dst = &mut out[(o * m + i) * inner..][..inner];
            dst.copy_from_slice(&src[start * inner..][..inner]);
            for k in start + 1..start + len {
                let row = &src[k * inner..][..inner];
                if is_max {
                    dst.iter_mut().zip(row).for_each(|(d, &v)| *d = d.max(v));
                } else {
                    dst.iter_mut().zip(row).for_each(|(d, &v)| *d += v);
                }
            }
            if !is_max {
                let scale = 1.0 / len as f32;
                dst.iter_mut().for_each(|d| *d *= scale);
            }
        }
    }
    out
}

impl Layer for AdaptivePooling {
    layer_flags!(per_sample);
    layer_common!(self.class);
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let cf = self.channels_first();
        let s = spatial_input(&self.base, inputs, self.rank, cf)?;
        let mut out = vec![s[0]];
        out.extend(self.cfg.output_size.iter().map(|&m| Some(m)));
        out.push(s[self.rank + 1]);
        Ok(vec![shape_from_cl(out, cf)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        check_rank(
            &self.base,
            x.rank(),
            self.rank + 2,
            "batch, spatial dims, channels",
        )?;
        let cf = self.channels_first();
        let xl = to_channels_last(x, cf);
        let mut shape = xl.shape.clone();
        if shape[1..=self.rank].contains(&0) {
            return Err(self
                .base
                .err(format!("input {:?} has an empty spatial axis", x.shape())));
        }
        // Axis by axis, the intermediate results may outgrow the output (an
        // axis grown before another shrinks): each is checked first.
        let mut sizes = shape.clone();
        for (a, &m) in self.cfg.output_size.iter().enumerate() {
            sizes[a + 1] = m;
            let n = sizes.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
            if n.is_none_or(|n| n > crate::model::MAX_OUTPUT_ELEMENTS) {
                return Err(self.base.err(format!(
                    "pooling {:?} to {:?} goes through {sizes:?}, over {} elements",
                    x.shape(),
                    &*self.cfg.output_size,
                    crate::model::MAX_OUTPUT_ELEMENTS
                )));
            }
        }
        let mut data = xl.data.into_owned();
        for (a, &m) in self.cfg.output_size.iter().enumerate() {
            let outer: usize = shape[..=a].iter().product();
            let inner: usize = shape[a + 2..].iter().product();
            data = pool_axis(&data, [outer, shape[a + 1], inner], m, self.is_max);
            shape[a + 1] = m;
        }
        Ok(vec![from_channels_last(&self.base, shape, data, cf)?])
    }
}

/// Register the six adaptive pooling classes.
pub fn register(registry: &mut LayerRegistry) {
    for (is_max, classes) in [
        (
            false,
            [
                "AdaptiveAveragePooling1D",
                "AdaptiveAveragePooling2D",
                "AdaptiveAveragePooling3D",
            ],
        ),
        (
            true,
            [
                "AdaptiveMaxPooling1D",
                "AdaptiveMaxPooling2D",
                "AdaptiveMaxPooling3D",
            ],
        ),
    ] {
        for (rank, class) in (1..=3).zip(classes) {
            register_simple(registry, &[class], move |c| {
                boxed_layer(AdaptivePooling::from_config(class, c, is_max, rank))
            });
        }
    }
    // Keras 3's `ops.nn.adaptive_average_pool` / `adaptive_max_pool`
    // operations: the same config; the rank is `output_size`'s length.
    for (is_max, class) in [
        (false, "ops.AdaptiveAveragePool"),
        (true, "ops.AdaptiveMaxPool"),
    ] {
        register_simple(registry, &[class], move |c| {
            let rank = match c.get("output_size") {
                Some(serde_json::Value::Array(a)) if (1..=3).contains(&a.len()) => a.len(),
                _ => {
                    return Err(c.err(
                        "output_size",
                        "expected a list of 1 to 3 sizes (an int leaves the rank to the \
                         input, which the operation does not record)",
                    ))
                }
            };
            boxed_layer(AdaptivePooling::from_config(class, c, is_max, rank))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_keras_two_pool_gather() {
        // 6 → 4: PyTorch's bins [0,2) [1,3) [3,5) [4,6).
        assert_eq!(keras_windows(6, 4), [(0, 2), (1, 2), (3, 2), (4, 2)]);
        // 5 → 3: the middle span is small + 1 long.
        assert_eq!(keras_windows(5, 3), [(0, 2), (1, 3), (3, 2)]);
        // Upsampling 2 → 4: each value twice.
        assert_eq!(keras_windows(2, 4), [(0, 1), (0, 1), (1, 1), (1, 1)]);
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(pool_axis(&x, [1, 5, 1], 3, false), [1.5, 3.0, 4.5]);
        assert_eq!(pool_axis(&x, [1, 5, 1], 3, true), [2.0, 4.0, 5.0]);
    }

    #[test]
    fn an_intermediate_larger_than_any_output_is_refused_before_allocating() {
        // Growing the first axis a million-fold before the second shrinks.
        let config = serde_json::json!({"name": "ap", "output_size": [1_000_000, 1]});
        let map = config.as_object().expect("object").clone();
        let layer = AdaptivePooling::from_config(
            "AdaptiveMaxPooling2D",
            &ConfigReader::new("ap", &map),
            true,
            2,
        )
        .unwrap();
        let x = Tensor::from_f32(vec![1, 2, 100_000, 1], vec![0.0; 200_000]).unwrap();
        let e = layer.call(&[x], &[None]).unwrap_err().to_string();
        assert!(e.contains("ap") && e.contains("over"), "{e}");
    }
}

//! `SpectralNormalization(layer)` (Keras 3, tf_keras): at inference the
//! wrapped layer as it is. Training divides the wrapped kernel by its
//! largest singular value (power iteration with `vector_u`) and stores the
//! result in the kernel, so the saved kernel is already normalized: Keras's
//! `call(training=False)` is `self.layer(inputs)`.
//!
//! Weights: the wrapped layer's (`sn/kernel`, `sn/bias`; tf_keras writes
//! them as `sn/dense/kernel`), then `vector_u` (kept, unused at inference).
//! Keras 3's `.keras` holds the wrapped layer's under `layer/vars/<i>` and
//! its own `vars/0` (the wrapper's reference to the same kernel) and
//! `vars/1` (`vector_u`): the copy at `vars/0` carries nothing new.

use super::common::*;
use crate::config::ConfigReader;
use crate::{BuildContext, Layer, LayerRegistry, LayerWeight, LayersError, Result, Shape, Tensor};
use serde_json::{json, Map, Value};

/// Register `SpectralNormalization`.
pub fn register(registry: &mut LayerRegistry) {
    registry.register("SpectralNormalization", |c, ctx| {
        Ok(Box::new(SpectralNormalization::from_config(c, ctx)?) as Box<dyn Layer>)
    });
}

/// `SpectralNormalization`: the wrapped layer plus its `vector_u`.
#[derive(Debug)]
pub struct SpectralNormalization {
    base: Base,
    inner: Box<dyn Layer>,
    power_iterations: Value,
    vector_u: Option<Tensor>,
}

impl SpectralNormalization {
    /// Build from a config whose `layer` is a nested `{class_name, config}`.
    pub fn from_config(
        c: &ConfigReader<'_>,
        ctx: &BuildContext<'_>,
    ) -> Result<SpectralNormalization> {
        let base = Base::parse(c)?;
        let inner = ctx.build_nested(c.required("layer")?, c.layer)?;
        let power_iterations = c.get("power_iterations").cloned().unwrap_or(json!(1));
        Ok(SpectralNormalization {
            base,
            inner,
            power_iterations,
            vector_u: None,
        })
    }

    /// The wrapped kernel's last dimension (`vector_u` is `[1, units]`).
    /// Keras 3 names a depthwise convolution's kernel `kernel` too (the
    /// engine, as TF.js, `depthwise_kernel`).
    fn units(&self) -> Result<usize> {
        let w = self.inner.weights();
        let depthwise = self.inner.class_name().starts_with("DepthwiseConv");
        let kernel = w
            .iter()
            .find(|w| match w.name.as_str() {
                "kernel" | "embeddings" => true,
                "depthwise_kernel" => depthwise,
                _ => false,
            })
            .ok_or_else(|| {
                LayersError::config(
                    &self.base.name,
                    format!(
                        "the wrapped {} has no kernel or embeddings to normalize",
                        self.inner.class_name()
                    ),
                )
            })?;
        Ok(kernel.shape.last().copied().unwrap_or(1))
    }
}

impl Layer for SpectralNormalization {
    layer_common!(names "SpectralNormalization");

    fn config(&self) -> Map<String, Value> {
        let mut own = Map::new();
        own.insert("power_iterations".into(), self.power_iterations.clone());
        super::wrappers::wrapper_config(&self.base, self.inner.as_ref(), own)
    }

    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        self.inner.build(input_shapes)?;
        let units = self.units()?;
        self.vector_u = Some(Tensor::from_f32(vec![1, units], vec![0.0; units])?);
        Ok(())
    }

    fn weights(&self) -> Vec<LayerWeight> {
        let mut w = self.inner.weights();
        if !self.base.trainable {
            w.iter_mut().for_each(|w| w.trainable = false);
        }
        if let Some(u) = &self.vector_u {
            w.push(LayerWeight {
                name: "vector_u".into(),
                shape: u.shape().to_vec(),
                trainable: false,
            });
        }
        w
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        let mut v = self.inner.weight_values();
        v.extend(self.vector_u.as_ref());
        v
    }

    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        let n = self.inner.weights().len();
        if index < n {
            self.inner.set_weight(index, value)
        } else if index == n && self.vector_u.is_some() {
            self.vector_u = Some(value);
            Ok(())
        } else {
            Err(LayersError::config(
                &self.base.name,
                format!("layer has no weight #{index}"),
            ))
        }
    }

    /// The wrapped layer's under `layer/`, `vector_u` at the wrapper's own
    /// index 1.
    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        let n = self.inner.weights().len();
        let inner = self
            .inner
            .keras3_weight_keys()
            .unwrap_or_else(|| (0..n).map(|i| i.to_string()).collect());
        let mut keys: Vec<String> = inner.into_iter().map(|k| format!("layer/{k}")).collect();
        keys.push("1".into());
        Some(keys)
    }

    fn keras3_ignored_keys(&self) -> Vec<String> {
        vec!["0".into()]
    }

    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        self.inner.output_shapes(inputs)
    }

    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        self.inner.call(inputs, masks)
    }
}

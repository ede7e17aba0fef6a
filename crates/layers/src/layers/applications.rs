//! Layers that `keras.applications` defines for its own models and that
//! its saved models therefore name: ConvNeXt's `LayerScale`
//! (`x * gamma`, one learned scale per channel) and InceptionResNetV2's
//! `CustomScaleLayer` (`x + r * scale`, its residual blocks' sum).

use super::common::*;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};

/// Register the applications' layers.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["LayerScale"], LayerScale::from_config);
    register_layer(
        registry,
        // tf_keras registers it under its default package, `Custom>`.
        &["CustomScaleLayer", "Custom>CustomScaleLayer"],
        CustomScaleLayer::from_config,
    );
}

keras_config! {
    /// `LayerScale`'s config.
    pub(crate) struct LayerScaleConfig |cx| {
        init_values: f64 = 1e-6,
        projection_dim: Positive,
    }
}

declared_layer! {
    /// `LayerScale(init_values, projection_dim)`: `x * gamma`, `gamma` of shape
    /// `[projection_dim]` over the last axis (Keras 2 names the weight `gamma`,
    /// Keras 3's legacy HDF5 writer `variable`).
    pub struct LayerScale(LayerScaleConfig, params: Params);
}

impl Layer for LayerScale {
    layer_common!("LayerScale", weights);
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        let d = self.cfg.projection_dim.0;
        if let Some(Some(c)) = s.last() {
            if *c != d {
                return Err(self.base.err(format!(
                    "projection_dim {d} differs from the input's last dimension {c}"
                )));
            }
        }
        self.params.clear();
        self.params
            .add("gamma", vec![d], true, self.cfg.init_values as f32)
    }
    same_as_input!(shape);
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        let d = self.cfg.projection_dim.0;
        if x.shape().last() != Some(&d) {
            return Err(input_err(
                &self.base.name,
                format!("the input {:?} must end in projection_dim {d}", x.shape()),
            ));
        }
        let gamma = self.params.get(0);
        let out: Vec<f32> = f32s(x)
            .iter()
            .enumerate()
            .map(|(i, v)| v * gamma[i % d])
            .collect();
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), out)?])
    }
}

keras_config! {
    /// `CustomScaleLayer`'s config.
    pub(crate) struct CustomScaleConfig |cx| {
        scale: f64,
    }
}

declared_layer! {
    /// `CustomScaleLayer(scale)` on `[x, r]`: `x + r * scale` (the same
    /// shapes), as tf_keras's and Keras 3's InceptionResNetV2 define it.
    pub struct CustomScaleLayer(CustomScaleConfig);
}

impl Layer for CustomScaleLayer {
    layer_flags!(per_sample);
    layer_common!("CustomScaleLayer");
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        match inputs {
            [x, r] if x.len() == r.len() => {
                Ok(vec![x.iter().zip(r).map(|(a, b)| a.or(*b)).collect()])
            }
            _ => Err(self.base.err(format!(
                "expects two inputs [x, residual] of the same rank, got {}",
                inputs.len()
            ))),
        }
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let [x, r] = inputs else {
            return Err(input_err(
                &self.base.name,
                format!("expects two inputs [x, residual], got {}", inputs.len()),
            ));
        };
        if x.shape() != r.shape() {
            return Err(input_err(
                &self.base.name,
                format!(
                    "x {:?} and the residual {:?} must have the same shape",
                    x.shape(),
                    r.shape()
                ),
            ));
        }
        let scale = self.cfg.scale as f32;
        let out = f32s(x)
            .iter()
            .zip(f32s(r).iter())
            .map(|(a, b)| a + b * scale)
            .collect();
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), out)?])
    }
}

//! Layers that `keras.applications` defines for its own models and that
//! its saved models therefore name: ConvNeXt's `LayerScale`
//! (`x * gamma`, one learned scale per channel).

use super::common::*;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};

/// Register the applications' layers.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["LayerScale"], LayerScale::from_config);
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

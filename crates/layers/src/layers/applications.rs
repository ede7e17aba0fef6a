//! Layers that `keras.applications` defines for its own models and that
//! its saved models therefore name: ConvNeXt's `LayerScale`
//! (`x * gamma`, one learned scale per channel).

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, LayerWeight, Result, Shape, Tensor};
use serde_json::{Map, Value};

/// Register the applications' layers.
pub fn register(registry: &mut LayerRegistry) {
    registry.register("LayerScale", |c, _| {
        Ok(Box::new(LayerScale::from_config(c)?) as Box<dyn Layer>)
    });
}

/// `LayerScale(init_values, projection_dim)`: `x * gamma`, `gamma` of shape
/// `[projection_dim]` over the last axis (Keras 2 names the weight `gamma`,
/// Keras 3's legacy HDF5 writer `variable`).
#[derive(Debug)]
pub struct LayerScale {
    base: Base,
    init_values: f64,
    projection_dim: usize,
    params: Params,
}

impl LayerScale {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<LayerScale> {
        let projection_dim = c.usize_req("projection_dim")?;
        if projection_dim == 0 {
            return Err(c.err("projection_dim", "must be a positive integer"));
        }
        Ok(LayerScale {
            base: Base::parse(c)?,
            init_values: c.f64_or("init_values", 1e-6)?,
            projection_dim,
            params: Params::default(),
        })
    }
}

impl Layer for LayerScale {
    fn class_name(&self) -> &str {
        "LayerScale"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.base.write(&mut m);
        m.insert("init_values".into(), num(self.init_values));
        m.insert("projection_dim".into(), Value::from(self.projection_dim));
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        if let Some(Some(c)) = s.last() {
            if *c != self.projection_dim {
                return Err(self.base.err(format!(
                    "projection_dim {} differs from the input's last dimension {c}",
                    self.projection_dim
                )));
            }
        }
        self.params.clear();
        self.params.add(
            "gamma",
            vec![self.projection_dim],
            true,
            self.init_values as f32,
        )
    }
    fn weights(&self) -> Vec<LayerWeight> {
        self.params.weights(self.base.trainable)
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.params.values()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.params.set(&self.base.name, index, value)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![one_shape(&self.base, inputs)?.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        let d = self.projection_dim;
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

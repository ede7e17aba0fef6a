//! `Embedding`: integer ids → rows of the `embeddings` matrix.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, LayerWeight, LayersError, Result, Shape, Tensor, TensorData};
use serde_json::{json, Map, Value};

/// Register `Embedding`.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["Embedding"], Embedding::from_config);
}

/// `Embedding(input_dim, output_dim)`: looks up each id (int32, or float
/// truncated to an integer as TensorFlow.js casts it) in the
/// `[input_dim, output_dim]` table; the output shape is the input shape plus
/// `output_dim`. With `mask_zero`, id 0 is masked (the mask is the input's
/// shape, 1 where the id is non-zero). Ids outside `[0, input_dim)` are an
/// error naming the layer, the id and its position.
///
/// ```
/// use tfjs_layers::{config::ConfigReader, layers::embedding::Embedding, Layer, Tensor};
/// let cfg = serde_json::json!({"name": "emb", "input_dim": 3, "output_dim": 2, "mask_zero": true});
/// let mut e = Embedding::from_config(&ConfigReader::new("emb", cfg.as_object().unwrap())).unwrap();
/// e.set_weight(0, Tensor::from_f32(vec![3, 2], vec![0., 0., 1., 2., 3., 4.]).unwrap()).unwrap();
/// let ids = Tensor::from_i32(vec![1, 2], vec![2, 0]).unwrap();
/// let y = e.call(&[ids.clone()], &[None]).unwrap();
/// assert_eq!(y[0].as_f32().unwrap(), &[3., 4., 0., 0.]);
/// let m = e.compute_mask(&[ids], &[None]).unwrap();
/// assert_eq!(m[0].as_ref().unwrap().as_f32().unwrap(), &[1., 0.]);
/// ```
#[derive(Debug)]
pub struct Embedding {
    base: Base,
    input_dim: usize,
    output_dim: usize,
    mask_zero: bool,
    /// Config fields before `name`, in TensorFlow.js's order.
    fields: Vec<(String, Value)>,
    /// `batch_input_shape` TensorFlow.js derives from `input_length` when no
    /// input shape was given.
    implied_shape: Vec<Value>,
    embeddings: Tensor,
}

impl Embedding {
    /// Build from a Keras / TensorFlow.js config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<Embedding> {
        let mut base = Base::parse(c)?;
        if c.dtype().is_none() {
            // TensorFlow.js derives an Embedding's batch_input_shape from
            // input_length without a dtype; reloading such a file in
            // TensorFlow.js would add `"dtype": "float32"` on the next save.
            // We keep the file as it was (same meaning, byte-stable).
            base.dtype = None;
        }
        let input_dim = c.usize_req("input_dim")?;
        let output_dim = c.usize_req("output_dim")?;
        if input_dim == 0 || output_dim == 0 {
            return Err(c.err("input_dim", "input_dim and output_dim must be positive"));
        }
        let mask_zero = c.bool_or("mask_zero", false)?;
        let input_length = c.get("input_length").cloned().unwrap_or(Value::Null);
        let fields = vec![
            ("input_dim".to_string(), Value::from(input_dim as u64)),
            ("output_dim".to_string(), Value::from(output_dim as u64)),
            (
                "embeddings_initializer".to_string(),
                initializer(c, "embeddings_initializer", || {
                    json!({"class_name": "RandomUniform",
                           "config": {"minval": -0.05, "maxval": 0.05, "seed": null}})
                }),
            ),
            (
                "embeddings_regularizer".to_string(),
                passthrough(c, "embeddings_regularizer"),
            ),
            (
                "activity_regularizer".to_string(),
                passthrough(c, "activity_regularizer"),
            ),
            (
                "embeddings_constraint".to_string(),
                passthrough(c, "embeddings_constraint"),
            ),
            ("mask_zero".to_string(), passthrough(c, "mask_zero")),
            ("input_length".to_string(), input_length.clone()),
        ];
        let batch = c.get("batch_size").cloned().unwrap_or(Value::Null);
        let mut implied_shape = vec![batch];
        match input_length {
            Value::Array(a) => implied_shape.extend(a),
            other => implied_shape.push(other),
        }
        let embeddings = alloc_zeros(&base.name, vec![input_dim, output_dim])?;
        Ok(Embedding {
            base,
            input_dim,
            output_dim,
            mask_zero,
            fields,
            implied_shape,
            embeddings,
        })
    }
}

impl Layer for Embedding {
    layer_flags!(per_sample);
    layer_common!(names "Embedding");

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        self.base.write_name(&mut m);
        if self.base.batch_input_shape.is_some() {
            self.base.write_input_shape(&mut m);
        } else {
            m.insert(
                "batch_input_shape".into(),
                Value::Array(self.implied_shape.clone()),
            );
        }
        m
    }

    fn weights(&self) -> Vec<LayerWeight> {
        vec![LayerWeight {
            name: "embeddings".into(),
            shape: vec![self.input_dim, self.output_dim],
            trainable: self.base.trainable,
        }]
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        vec![&self.embeddings]
    }

    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        if index != 0 {
            return Err(LayersError::config(
                &self.base.name,
                format!("layer has no weight #{index}"),
            ));
        }
        put_weight(&self.base.name, "embeddings", &mut self.embeddings, value)
    }

    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = inputs
            .first()
            .ok_or_else(|| input_err(&self.base.name, "expected one input"))?;
        let mut out = s.clone();
        out.push(Some(self.output_dim));
        Ok(vec![out])
    }

    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let name = &self.base.name;
        let ids = inputs
            .first()
            .ok_or_else(|| input_err(name, "expected one input"))?;
        let table = self.embeddings.as_f32().unwrap_or(&[]);
        let d = self.output_dim;
        let n = ids.len();
        let mut out = Vec::with_capacity(n * d);
        let bad = |pos: usize, id: String| {
            input_err(
                name,
                format!(
                    "id {id} at flat position {pos} is out of range [0, {}) (input_dim)",
                    self.input_dim
                ),
            )
        };
        let mut push = |pos: usize, id: i64, shown: String| -> Result<()> {
            if id < 0 || id as u64 >= self.input_dim as u64 {
                return Err(bad(pos, shown));
            }
            let r = id as usize * d;
            out.extend_from_slice(&table[r..r + d]);
            Ok(())
        };
        match ids.data() {
            TensorData::I32(v) => {
                for (pos, &id) in v.iter().enumerate() {
                    push(pos, id as i64, id.to_string())?;
                }
            }
            TensorData::F32(v) => {
                for (pos, &id) in v.iter().enumerate() {
                    if !id.is_finite() {
                        return Err(bad(pos, id.to_string()));
                    }
                    // TensorFlow.js casts float ids to int32 (truncation).
                    push(pos, id.trunc() as i64, id.to_string())?;
                }
            }
            TensorData::Str(_) => return Err(strings_need_lookup(name)),
        }
        let mut shape = ids.shape().to_vec();
        shape.push(d);
        Ok(vec![Tensor::from_f32(shape, out)?])
    }

    fn compute_mask(
        &self,
        inputs: &[Tensor],
        _masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        if !self.mask_zero {
            return Ok(vec![None]);
        }
        let ids = inputs
            .first()
            .ok_or_else(|| input_err(&self.base.name, "expected one input"))?;
        let m: Vec<f32> = match ids.data() {
            TensorData::I32(v) => v.iter().map(|&x| f32::from(u8::from(x != 0))).collect(),
            TensorData::F32(v) => v.iter().map(|&x| f32::from(u8::from(x != 0.0))).collect(),
            TensorData::Str(_) => return Err(strings_need_lookup(&self.base.name)),
        };
        Ok(vec![Some(Tensor::from_f32(ids.shape().to_vec(), m)?)])
    }
}

/// Embedding ids must be integers: strings go through a `StringLookup` first.
fn strings_need_lookup(layer: &str) -> crate::LayersError {
    input_err(
        layer,
        "got string ids; map strings to integer ids with a StringLookup layer first",
    )
}

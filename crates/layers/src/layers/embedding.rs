//! `Embedding`: integer ids → rows of the `embeddings` matrix.

use super::common::quantized::{dequantize_row_grouped, int_values, Quantization};
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
    /// Keras 3's quantized table (`int8`, `int4` policies): `embeddings`
    /// holds the integers (int4: two per byte), `scales` Keras's weights
    /// after it, in its saving order.
    quant: Option<Quantization>,
    scales: Vec<(LayerWeight, Tensor)>,
}

impl Embedding {
    /// Build from a Keras / TensorFlow.js config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<Embedding> {
        let mut base = Base::parse_quantizable(c)?;
        let quant = Quantization::read(c, &base, "Embedding", false)?;
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
        let (embeddings, scales) = match &quant {
            None => (
                alloc_zeros(&base.name, vec![input_dim, output_dim])?,
                Vec::new(),
            ),
            Some(q) => quantized_weights(&base.name, q, input_dim, output_dim)?,
        };
        Ok(Embedding {
            base,
            input_dim,
            output_dim,
            mask_zero,
            fields,
            implied_shape,
            embeddings,
            quant,
            scales,
        })
    }

    /// Row `id` of the table, dequantized as Keras 3's `_int8_call` /
    /// `_int4_call` do for a quantized one, appended to `out`.
    fn push_row(&self, id: usize, out: &mut Vec<f32>) -> Result<()> {
        let d = self.output_dim;
        let Some(q) = &self.quant else {
            let table = self.embeddings.as_f32().unwrap_or(&[]);
            out.extend_from_slice(&table[id * d..(id + 1) * d]);
            return Ok(());
        };
        let packed = int_values(&self.embeddings);
        let row: Vec<i32> = match q.mode {
            QuantMode::Int8 => packed[id * d..(id + 1) * d].to_vec(),
            _ => {
                let w = d.div_ceil(2);
                tfjs_kernels::quant::unpack_int4(&packed[id * w..(id + 1) * w], 1, d)
            }
        };
        let scale = self.scales[0].1.to_f32();
        match q.block_size {
            None => {
                let s = scale[id];
                out.extend(row.iter().map(|&v| v as f32 / s));
            }
            Some(_) => {
                let groups = scale.len() / self.input_dim;
                let zero: Vec<f32> = int_values(&self.scales[1].1)[id * groups..(id + 1) * groups]
                    .iter()
                    .map(|&v| v as f32)
                    .collect();
                // Groups run along the row here (Keras's group axis -1).
                let g_idx = self.scales[2].1.to_f32();
                let scale = &scale[id * groups..(id + 1) * groups];
                dequantize_row_grouped(&self.base.name, &row, (scale, &zero), &g_idx, out)?;
            }
        }
        Ok(())
    }
}

/// A quantized table and the weights Keras saves after it (`int8`:
/// `embeddings_scale` per row; `int4`: per row, or per row and group of
/// `block_size` columns with `embeddings_zero` and `g_idx`).
fn quantized_weights(
    layer: &str,
    q: &Quantization,
    input_dim: usize,
    output_dim: usize,
) -> Result<(Tensor, Vec<(LayerWeight, Tensor)>)> {
    let spec = |name: &str, shape: &[usize]| LayerWeight {
        name: name.into(),
        shape: shape.to_vec(),
        trainable: false,
    };
    // Sizes come from the config: checked as `alloc_zeros` checks them.
    let size = |shape: &[usize]| -> Result<usize> {
        shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= MAX_WEIGHT_ELEMENTS)
            .ok_or_else(|| {
                LayersError::config(
                    layer,
                    format!(
                        "weight shape {shape:?} is too large (over {MAX_WEIGHT_ELEMENTS} elements)"
                    ),
                )
            })
    };
    let ints = |shape: Vec<usize>| -> Result<Tensor> {
        let n = size(&shape)?;
        Tensor::from_i32(shape, vec![0; n])
    };
    let ones = |shape: Vec<usize>| -> Result<Tensor> {
        let n = size(&shape)?;
        Tensor::from_f32(shape, vec![1.0; n])
    };
    Ok(match (&q.mode, q.block_size) {
        (QuantMode::Int8, _) => (
            ints(vec![input_dim, output_dim])?,
            vec![(
                spec("embeddings_scale", &[input_dim]),
                ones(vec![input_dim])?,
            )],
        ),
        (_, None) => (
            ints(vec![input_dim, output_dim.div_ceil(2)])?,
            vec![(
                spec("embeddings_scale", &[input_dim]),
                ones(vec![input_dim])?,
            )],
        ),
        (_, Some(block)) => {
            let groups = [input_dim, output_dim.div_ceil(block)];
            let g_idx: Vec<f32> = (0..output_dim).map(|c| (c / block) as f32).collect();
            (
                ints(vec![input_dim, output_dim.div_ceil(2)])?,
                vec![
                    (spec("embeddings_scale", &groups), ones(groups.to_vec())?),
                    (spec("embeddings_zero", &groups), ints(groups.to_vec())?),
                    (
                        spec("g_idx", &[output_dim]),
                        Tensor::from_f32(vec![output_dim], g_idx)?,
                    ),
                ],
            )
        }
    })
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
        if let Some(q) = &self.quant {
            q.write(&mut m);
        }
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
        let mut out = vec![LayerWeight {
            name: "embeddings".into(),
            shape: self.embeddings.shape().to_vec(),
            trainable: self.base.trainable && self.quant.is_none(),
        }];
        out.extend(self.scales.iter().map(|(w, _)| w.clone()));
        out
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        let mut out = vec![&self.embeddings];
        out.extend(self.scales.iter().map(|(_, t)| t));
        out
    }

    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        let name = &self.base.name;
        match index {
            0 if self.quant.is_some() => {
                put_int_weight(name, "embeddings", &mut self.embeddings, value)
            }
            0 => put_weight(name, "embeddings", &mut self.embeddings, value),
            i => match self.scales.get_mut(i - 1) {
                Some((w, slot)) if matches!(slot.data(), TensorData::I32(_)) => {
                    put_int_weight(name, &w.name, slot, value)
                }
                Some((w, slot)) => put_weight(name, &w.name, slot, value),
                None => Err(LayersError::config(
                    name,
                    format!("layer has no weight #{index}"),
                )),
            },
        }
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
        // `shown` (the id as the input holds it) is formatted only for an
        // error: formatting every id took 2% of a small ViT's predict.
        let mut push = |pos: usize, id: i64, shown: &dyn Fn() -> String| -> Result<()> {
            if id < 0 || id as u64 >= self.input_dim as u64 {
                return Err(bad(pos, shown()));
            }
            self.push_row(id as usize, &mut out)
        };
        match ids.data() {
            TensorData::I32(v) => {
                for (pos, &id) in v.iter().enumerate() {
                    push(pos, id as i64, &|| id.to_string())?;
                }
            }
            TensorData::F32(v) => {
                for (pos, &id) in v.iter().enumerate() {
                    if !id.is_finite() {
                        return Err(bad(pos, id.to_string()));
                    }
                    // TensorFlow.js casts float ids to int32 (truncation).
                    push(pos, id.trunc() as i64, &|| id.to_string())?;
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

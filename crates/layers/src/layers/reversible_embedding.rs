//! Keras 3's `ReversibleEmbedding`: an `Embedding` that a language model
//! calls a second time, with `reverse=True`, to project hidden states back
//! to logits over the vocabulary.
//!
//! Called plainly it looks ids up in `embeddings` (`[input_dim,
//! output_dim]`), as `Embedding` does (with `mask_zero`, id 0 is masked).
//! Called with `reverse=True` (a second node of the same layer, its
//! `kwargs` recording the flag; the engine hands each call its kwargs) it
//! computes `inputs · embeddingsᵀ` (tied weights, the default) or `inputs ·
//! reverse_embeddings` (`tie_weights=False`: its own `[output_dim,
//! input_dim]` matrix), then, with `logit_soft_cap`, `tanh(logits / cap) ·
//! cap`; the last axis of the input (`output_dim`) becomes `input_dim`, and
//! no mask goes out. TensorFlow.js has no such layer.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor, TensorData};
use serde_json::{Map, Value};

/// Register `ReversibleEmbedding`.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(
        registry,
        &["ReversibleEmbedding"],
        ReversibleEmbedding::from_config,
    );
}

/// `ReversibleEmbedding` (see the module docs). The config is written back
/// as read.
#[derive(Debug, Clone)]
pub struct ReversibleEmbedding {
    base: Base,
    raw: Map<String, Value>,
    input_dim: usize,
    output_dim: usize,
    mask_zero: bool,
    tie_weights: bool,
    logit_soft_cap: Option<f32>,
    /// `embeddings`, then (untied) `reverse_embeddings`.
    params: Params,
}

impl ReversibleEmbedding {
    /// Build from a Keras 3 config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<ReversibleEmbedding> {
        let input_dim = c.usize_req("input_dim")?;
        let output_dim = c.usize_req("output_dim")?;
        if input_dim == 0 || output_dim == 0 {
            return Err(c.err("input_dim", "input_dim and output_dim must be positive"));
        }
        // The logits are computed in the layer's float32 unless
        // `reverse_dtype` says otherwise; another precision would change
        // every logit.
        match c.get("reverse_dtype") {
            None | Some(Value::Null) => {}
            Some(Value::String(d)) if d == "float32" => {}
            Some(v) => {
                return Err(c.err(
                    "reverse_dtype",
                    format!(
                        "{} is not supported (null and \"float32\" are: the engine computes in float32)",
                        crate::error::short_json(v, 40)
                    ),
                ))
            }
        }
        // A quantized layer holds int8 / int4 variables and their scales,
        // not `embeddings`.
        if !matches!(c.get("quantization_config"), None | Some(Value::Null)) {
            return Err(c.err(
                "quantization_config",
                "a quantized ReversibleEmbedding (int8 / int4 variables) is not supported",
            ));
        }
        let logit_soft_cap = match c.get("logit_soft_cap") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_f64()
                    .ok_or_else(|| c.err("logit_soft_cap", "expected a number or null"))?
                    as f32,
            ),
        };
        let tie_weights = c.bool_or("tie_weights", true)?;
        let mut params = Params::default();
        params.add("embeddings", vec![input_dim, output_dim], true, 0.0)?;
        if !tie_weights {
            params.add("reverse_embeddings", vec![output_dim, input_dim], true, 0.0)?;
        }
        Ok(ReversibleEmbedding {
            raw: c.map.clone(),
            input_dim,
            output_dim,
            mask_zero: c.bool_or("mask_zero", false)?,
            tie_weights,
            logit_soft_cap,
            params,
            base: Base::parse(c)?,
        })
    }

    /// Whether a call's recorded kwargs ask for the reverse projection.
    fn reverse(&self, kwargs: &Value) -> Result<bool> {
        match kwargs.get("reverse") {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.base.err(format!(
                "the call's `reverse` must be true or false, got {}",
                crate::error::short_json(v, 40)
            ))),
        }
    }

    /// The ids of `x` (int32, or float32 truncated as Keras casts them),
    /// each checked against `input_dim`.
    fn ids(&self, x: &Tensor) -> Result<Vec<usize>> {
        let check = |pos: usize, id: i64, shown: &dyn std::fmt::Display| {
            usize::try_from(id)
                .ok()
                .filter(|&i| i < self.input_dim)
                .ok_or_else(|| {
                    input_err(
                        &self.base.name,
                        format!(
                            "id {shown} at flat position {pos} is out of range [0, {}) (input_dim)",
                            self.input_dim
                        ),
                    )
                })
        };
        match x.data() {
            TensorData::I32(v) => v
                .iter()
                .enumerate()
                .map(|(pos, &id)| check(pos, i64::from(id), &id))
                .collect(),
            TensorData::F32(v) => v
                .iter()
                .enumerate()
                .map(|(pos, &id)| {
                    let whole = if id.is_finite() {
                        id.trunc() as i64
                    } else {
                        -1
                    };
                    check(pos, whole, &id)
                })
                .collect(),
            TensorData::Str(_) => Err(input_err(
                &self.base.name,
                "got string ids; map strings to integer ids with a StringLookup layer first",
            )),
        }
    }

    /// The plain call: rows of `embeddings`.
    fn embed(&self, x: &Tensor) -> Result<Tensor> {
        let ids = self.ids(x)?;
        let table = self.params.get(0);
        let d = self.output_dim;
        let mut out = Vec::with_capacity(ids.len() * d);
        for id in ids {
            out.extend_from_slice(&table[id * d..(id + 1) * d]);
        }
        let mut shape = x.shape().to_vec();
        shape.push(d);
        make_tensor(&self.base, shape, out)
    }

    /// The reverse call: logits over the vocabulary, soft-capped.
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let last = x.shape().last().copied();
        if last != Some(self.output_dim) {
            return Err(input_err(
                &self.base.name,
                format!(
                    "the reverse call takes vectors of output_dim = {} values, got shape {:?}",
                    self.output_dim,
                    x.shape()
                ),
            ));
        }
        let xs = f32s(x);
        let (k, n) = (self.output_dim, self.input_dim);
        let m = xs.len() / k;
        let mut out = vec![0f32; m * n];
        if self.tie_weights {
            // `embeddings` is `[n × k]`: the product with its transpose.
            tfjs_kernels::matmul_bt(&xs, self.params.get(0), m, k, n, &mut out, false);
        } else {
            tfjs_kernels::matmul(&xs, self.params.get(1), m, k, n, &mut out, false);
        }
        if let Some(cap) = self.logit_soft_cap {
            // As Keras computes it: tanh(logits / cap) * cap, in float32.
            for v in &mut out {
                *v = (*v / cap).tanh() * cap;
            }
        }
        let mut shape = x.shape().to_vec();
        *shape.last_mut().expect("rank ≥ 1") = n;
        make_tensor(&self.base, shape, out)
    }
}

impl Layer for ReversibleEmbedding {
    layer_flags!(per_sample);
    layer_common!(names "ReversibleEmbedding");
    layer_common!(weights);

    fn config(&self) -> Map<String, Value> {
        let mut m = self.raw.clone();
        self.base.write(&mut m);
        m
    }

    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        self.node_output_shapes(inputs, &Value::Null)
    }

    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        self.node_call(inputs, masks, &Value::Null)
    }

    fn compute_mask(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        self.node_compute_mask(inputs, masks, &Value::Null)
    }

    fn node_output_shapes(&self, inputs: &[Shape], kwargs: &Value) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        let mut out = s.clone();
        if self.reverse(kwargs)? {
            match out.last_mut() {
                Some(d) if d.is_none_or(|d| d == self.output_dim) => *d = Some(self.input_dim),
                _ => {
                    return Err(self.base.err(format!(
                        "the reverse call takes vectors of output_dim = {} values, got shape {}",
                        self.output_dim,
                        shape_str(s)
                    )))
                }
            }
        } else {
            out.push(Some(self.output_dim));
        }
        Ok(vec![out])
    }

    fn node_call(
        &self,
        inputs: &[Tensor],
        _masks: &[Option<Tensor>],
        kwargs: &Value,
    ) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        Ok(vec![if self.reverse(kwargs)? {
            self.logits(x)?
        } else {
            self.embed(x)?
        }])
    }

    fn node_compute_mask(
        &self,
        inputs: &[Tensor],
        _masks: &[Option<Tensor>],
        kwargs: &Value,
    ) -> Result<Vec<Option<Tensor>>> {
        // Keras sets the mask on the plain call's result (`mask_zero`); the
        // reverse call's logits carry none.
        if !self.mask_zero || self.reverse(kwargs)? {
            return Ok(vec![None]);
        }
        let x = one_input(&self.base, inputs)?;
        let m: Vec<f32> = match x.data() {
            TensorData::I32(v) => v.iter().map(|&i| f32::from(u8::from(i != 0))).collect(),
            // `not_equal(inputs, 0)` on the ids as given.
            TensorData::F32(v) => v.iter().map(|&i| f32::from(u8::from(i != 0.0))).collect(),
            TensorData::Str(_) => return Ok(vec![None]),
        };
        Ok(vec![Some(Tensor::from_f32(x.shape().to_vec(), m)?)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layer(config: Value) -> ReversibleEmbedding {
        let map = config.as_object().expect("object").clone();
        ReversibleEmbedding::from_config(&ConfigReader::new("rev", &map)).unwrap()
    }

    /// Both directions against the naive products, tied and untied, with
    /// the soft cap.
    #[test]
    fn reverse_projects_onto_the_tied_or_untied_matrix() {
        let mut tied = layer(json!({"name": "rev", "input_dim": 3, "output_dim": 2,
                                    "logit_soft_cap": 2.0}));
        let e = [0.5, -1.0, 2.0, 0.25, -0.75, 1.5];
        tied.set_weight(0, Tensor::from_f32(vec![3, 2], e.to_vec()).unwrap())
            .unwrap();
        let ids = Tensor::from_i32(vec![1, 2], vec![2, 0]).unwrap();
        let y = tied.node_call(&[ids], &[None], &json!({})).unwrap();
        assert_eq!(y[0].shape(), [1, 2, 2]);
        assert_eq!(y[0].as_f32().unwrap(), &[-0.75, 1.5, 0.5, -1.0]);
        let h = Tensor::from_f32(vec![1, 2], vec![1.0, 2.0]).unwrap();
        let rev = json!({"reverse": true});
        let logits = tied
            .node_call(std::slice::from_ref(&h), &[None], &rev)
            .unwrap();
        let want: Vec<f32> = (0..3)
            .map(|v| {
                let l: f32 = e[v * 2] + 2.0 * e[v * 2 + 1];
                (l / 2.0).tanh() * 2.0
            })
            .collect();
        assert_eq!(logits[0].shape(), [1, 3]);
        assert_eq!(logits[0].as_f32().unwrap(), want.as_slice());
        assert_eq!(
            tied.node_output_shapes(&[vec![None, Some(2)]], &rev)
                .unwrap(),
            vec![vec![None, Some(3)]]
        );

        let mut untied = layer(json!({"name": "rev", "input_dim": 3, "output_dim": 2,
                                      "tie_weights": false, "mask_zero": true}));
        assert_eq!(untied.weights().len(), 2);
        let r = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // [2, 3]
        untied
            .set_weight(1, Tensor::from_f32(vec![2, 3], r.to_vec()).unwrap())
            .unwrap();
        let logits = untied.node_call(&[h], &[None], &rev).unwrap();
        assert_eq!(logits[0].as_f32().unwrap(), &[9.0, 12.0, 15.0]);
        let ids = Tensor::from_i32(vec![1, 2], vec![0, 2]).unwrap();
        let m = untied
            .node_compute_mask(std::slice::from_ref(&ids), &[None], &json!({}))
            .unwrap();
        assert_eq!(m[0].as_ref().unwrap().as_f32().unwrap(), &[0.0, 1.0]);
        assert!(untied.node_compute_mask(&[ids], &[None], &rev).unwrap()[0].is_none());
    }

    #[test]
    fn bad_configs_and_calls_name_the_field() {
        let map =
            json!({"name": "rev", "input_dim": 3, "output_dim": 2, "reverse_dtype": "float16"});
        let e =
            ReversibleEmbedding::from_config(&ConfigReader::new("rev", map.as_object().unwrap()))
                .unwrap_err()
                .to_string();
        assert!(e.contains("reverse_dtype"), "{e}");
        let l = layer(json!({"name": "rev", "input_dim": 3, "output_dim": 2}));
        let ids = Tensor::from_i32(vec![1], vec![3]).unwrap();
        let e = l
            .node_call(&[ids], &[None], &json!({}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("out of range"), "{e}");
        let h = Tensor::from_f32(vec![1, 3], vec![0.0; 3]).unwrap();
        let e = l
            .node_call(&[h], &[None], &json!({"reverse": true}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("output_dim"), "{e}");
    }
}

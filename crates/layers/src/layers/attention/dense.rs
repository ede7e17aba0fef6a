//! `Attention` (dot-product, Luong) and `AdditiveAttention` (Bahdanau).

use super::*;

/// Keras `Attention` (dot-product; `score_mode` `dot` or `concat`,
/// `use_scale`) and `AdditiveAttention` (`use_scale`): inputs
/// `[query [b, Tq, d], value [b, Tv, d], key?]`, output `[b, Tq, d]`.
/// Masked values get `-1e9` scores; masked query rows are zeroed.
#[derive(Debug)]
pub struct DenseAttention {
    additive: bool,
    base: Base,
    raw: Map<String, Value>,
    use_scale: bool,
    concat: bool,
    dim: Option<usize>,
    /// `scale` (if `use_scale`), then `concat_score_weight` (if concat).
    w: Vec<Tensor>,
    /// `use_causal_mask=True` in the call: query `i` sees values `j <= i`.
    causal: bool,
    /// `return_attention_scores=True` in the call: a second output, the
    /// softmax weights `[b, Tq, Tv]` (not zeroed at masked query rows: Keras
    /// masks only the result).
    return_scores: bool,
}

impl DenseAttention {
    /// The call's recorded kwargs: `use_causal_mask`, `return_attention_scores`.
    pub(super) fn with_call_kwargs(mut self, kwargs: Option<&Value>) -> Result<Self> {
        let Some(Value::Object(kw)) = kwargs else {
            return Ok(self);
        };
        self.return_scores =
            kw.get("return_attention_scores").and_then(Value::as_bool) == Some(true);
        self.causal = kw.get("use_causal_mask").and_then(Value::as_bool) == Some(true);
        Ok(self)
    }

    pub(super) fn from_config(additive: bool, c: &ConfigReader<'_>) -> Result<DenseAttention> {
        let concat = if additive {
            false
        } else {
            match c.str_or("score_mode", "dot")? {
                "dot" => false,
                "concat" => true,
                other => {
                    return Err(c.err(
                        "score_mode",
                        format!("expected dot or concat, got \"{other}\""),
                    ))
                }
            }
        };
        if c.bool_or("causal", false)? {
            return Err(c.err("causal", "causal attention is not supported"));
        }
        let mut layer = DenseAttention {
            additive,
            base: Base::parse(c)?,
            raw: c.map.clone(),
            use_scale: c.bool_or("use_scale", additive)?,
            concat,
            dim: None,
            w: Vec::new(),
            causal: false,
            return_scores: false,
        };
        if !additive {
            layer.allocate(0)?;
        }
        Ok(layer)
    }

    fn shapes(&self) -> Vec<(String, Vec<usize>)> {
        let mut s = Vec::new();
        if self.use_scale {
            let shape = if self.additive {
                vec![self.dim.unwrap_or(0)]
            } else {
                vec![]
            };
            s.push(("scale".to_string(), shape));
        }
        if self.concat {
            s.push(("concat_score_weight".to_string(), vec![]));
        }
        s
    }

    fn allocate(&mut self, dim: usize) -> Result<()> {
        self.dim = Some(dim);
        self.w = self
            .shapes()
            .into_iter()
            .map(|(_, s)| {
                let mut t = alloc_zeros(&self.base.name, s)?;
                // Keras initializes `scale` / `concat_score_weight` to ones.
                t.as_f32_mut().into_iter().flatten().for_each(|x| *x = 1.0);
                Ok(t)
            })
            .collect::<Result<_>>()?;
        Ok(())
    }
}

impl Layer for DenseAttention {
    fn class_name(&self) -> &str {
        if self.additive {
            "AdditiveAttention"
        } else {
            "Attention"
        }
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        echo_config(&self.base, &self.raw)
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        if self.additive {
            let d = input_shapes
                .get(1)
                .or(input_shapes.first())
                .and_then(|s| s.last().copied().flatten())
                .ok_or_else(|| input_err(&self.base.name, "the feature dimension must be known"))?;
            if self.dim != Some(d) {
                self.allocate(d)?;
            }
        }
        Ok(())
    }
    fn weights(&self) -> Vec<LayerWeight> {
        listed_weights(self.shapes(), self.base.trainable)
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.w.iter().collect()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        let shapes = self.shapes();
        set_listed(&self.base.name, &mut self.w, &shapes, index, value, "")
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let q = first_shape(&self.base.name, inputs)?;
        let v = inputs.get(1).unwrap_or(q);
        let mut o = q.clone();
        if let (Some(l), Some(vl)) = (o.last_mut(), v.last()) {
            *l = *vl;
        }
        if !self.return_scores {
            return Ok(vec![o]);
        }
        let (tq, tv) = (q.get(1).copied().flatten(), v.get(1).copied().flatten());
        Ok(vec![o, vec![q[0], tq, tv]])
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let name = &self.base.name;
        if inputs.len() < 2 || inputs.len() > 3 {
            return Err(input_err(
                name,
                format!(
                    "expects inputs [query, value] or [query, value, key], got {}",
                    inputs.len()
                ),
            ));
        }
        let (key, [(b, tq, d), (bv, tv, dv), (bk, tk, dk)]) = query_value_key(name, inputs)?;
        if bv != b || bk != b || tk != tv || dk != d || (self.additive && self.dim != Some(d)) {
            return Err(input_err(
                name,
                format!("incompatible inputs {}", shapes(inputs, key)),
            ));
        }
        let (q, k, v) = (inputs[0].to_f32(), key.to_f32(), inputs[1].to_f32());
        let wi = |i: usize| self.w[i].as_f32().unwrap_or(&[]);
        let scale_vec: Option<&[f32]> = self.use_scale.then(|| wi(0));
        let concat_w = if self.concat {
            wi(usize::from(self.use_scale))[0]
        } else {
            1.0
        };
        let qmask = flat_mask(name, masks, 0, b, tq)?;
        let vmask = kv_mask(name, masks, b, tv, inputs.len() > 2)?;
        let mut out = vec![0f32; b * tq * dv];
        let mut all_scores = vec![0f32; if self.return_scores { b * tq * tv } else { 0 }];
        let mut scores = vec![0f32; tv];
        for bi in 0..b {
            for i in 0..tq {
                let qv = &q[(bi * tq + i) * d..][..d];
                for (j, s) in scores.iter_mut().enumerate() {
                    let kv = &k[(bi * tv + j) * d..][..d];
                    let mut sc = if self.additive {
                        qv.iter()
                            .zip(kv)
                            .enumerate()
                            .map(|(e, (a, b))| scale_vec.map_or(1.0, |s| s[e]) * (a + b).tanh())
                            .sum()
                    } else if self.concat {
                        let sv = scale_vec.map_or(1.0, |s| s[0]);
                        concat_w
                            * qv.iter()
                                .zip(kv)
                                .map(|(a, b)| (sv * (a + b)).tanh())
                                .sum::<f32>()
                    } else {
                        let dot: f32 = qv.iter().zip(kv).map(|(a, b)| a * b).sum();
                        dot * scale_vec.map_or(1.0, |s| s[0])
                    };
                    // Keras ANDs the value mask and the causal mask, then
                    // subtracts 1e9 where the result is false.
                    let mut m = vmask.as_ref().map_or(1.0, |m| m[bi * tv + j]);
                    if self.causal && j > i {
                        m = 0.0;
                    }
                    sc -= MASK_NEG * (1.0 - m);
                    *s = sc;
                }
                softmax_row(&mut scores);
                if self.return_scores {
                    all_scores[(bi * tq + i) * tv..][..tv].copy_from_slice(&scores);
                }
                let qm = qmask.as_ref().map_or(1.0, |m| m[bi * tq + i]);
                let o = &mut out[(bi * tq + i) * dv..][..dv];
                for (j, &p) in scores.iter().enumerate() {
                    let vv = &v[(bi * tv + j) * dv..][..dv];
                    for (x, y) in o.iter_mut().zip(vv) {
                        *x += p * y * qm;
                    }
                }
            }
        }
        let mut shape = inputs[0].shape().to_vec();
        if let Some(l) = shape.last_mut() {
            *l = dv;
        }
        let out = Tensor::from_f32(shape, out)?;
        if self.return_scores {
            return Ok(vec![out, Tensor::from_f32(vec![b, tq, tv], all_scores)?]);
        }
        Ok(vec![out])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        // Keras sets the query's mask on the first output only.
        let mut out = pass_mask(masks);
        if self.return_scores {
            out.push(None);
        }
        Ok(out)
    }
}

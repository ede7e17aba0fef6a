//! `MultiHeadAttention` and Keras 3's `GroupQueryAttention`.

use super::*;

/// Keras `MultiHeadAttention`: `query`, `key`, `value` and
/// `attention_output` EinsumDense projections with kernels `[d, heads,
/// key_dim]` (`[d, heads, value_dim]` for value) and `[heads, value_dim,
/// out]`, scaled dot-product attention over all axes between batch and
/// features (the default `attention_axes`).
///
/// Keras 3's `GroupQueryAttention` is the same with fewer key/value heads
/// (`[d, kv_heads, head_dim]` kernels), each shared by `heads / kv_heads`
/// consecutive query heads.
#[derive(Debug)]
pub struct MultiHeadAttention {
    class: &'static str,
    base: Base,
    raw: Map<String, Value>,
    heads: usize,
    /// Key/value heads: `heads`, or fewer for `GroupQueryAttention`.
    kv_heads: usize,
    key_dim: usize,
    value_dim: usize,
    use_bias: bool,
    output_dim: Option<usize>,
    /// query, key, value, output dims once built.
    dims: Option<(usize, usize, usize, usize)>,
    w: Vec<Tensor>,
    /// The projection kernels (with their biases) packed for the kernels,
    /// replaced whenever a weight changes.
    packed: PackedCache,
    /// Names of the call's tensor keyword arguments (`value`, `key`,
    /// `attention_mask`), in the order they follow the positional inputs.
    tensor_kwargs: Vec<String>,
    /// `use_causal_mask=True` in the call.
    causal: bool,
    /// `return_attention_scores=True` in the call: a second output, the
    /// softmax scores `[batch, heads, Tq, Tv]`.
    return_scores: bool,
    /// `attention_axes` as configured (checked against the query's rank
    /// when the layer is built).
    attention_axes: Option<Vec<i64>>,
    /// `sliding_window`: a query attends only to keys less than this many
    /// steps away.
    sliding_window: Option<usize>,
    /// Keras 3.15's `use_gate`: the attention output is multiplied by
    /// `sigmoid(query · W_gate + b_gate)` (per head and value dimension)
    /// before the output projection; the `gate` weights come after `key`'s.
    gate: bool,
}

/// Only the default attention axes are supported: every axis between the
/// batch and the features (`[1]` for sequences, `[1, 2]` for images), in
/// any spelling (negative indices count from the end).
fn check_attention_axes(layer: &str, axes: &[i64], rank: usize) -> Result<()> {
    let want: Vec<i64> = (1..rank as i64 - 1).collect();
    let got: Vec<i64> = axes
        .iter()
        .map(|&a| if a < 0 { a + rank as i64 } else { a })
        .collect();
    if got != want {
        return Err(crate::LayersError::config(
            layer,
            format!(
                "config field `attention_axes`: only the default attention axes {want:?} \
                 (all between batch and features for a rank-{rank} query) are supported, got {axes:?}"
            ),
        ));
    }
    Ok(())
}

/// `sliding_window` (a positive integer, or none).
fn sliding_window(c: &ConfigReader<'_>) -> Result<Option<usize>> {
    match c.get("sliding_window") {
        None => Ok(None),
        Some(_) => match c.usize_req("sliding_window")? {
            0 => Err(c.err("sliding_window", "expected a positive integer")),
            w => Ok(Some(w)),
        },
    }
}

/// Where each argument of a `MultiHeadAttention` call is among its inputs.
struct CallSlots {
    query: usize,
    value: usize,
    key: Option<usize>,
    attention_mask: Option<usize>,
}

impl MultiHeadAttention {
    /// Read the call's keyword arguments (Keras writes `value`, `key`,
    /// `attention_mask` and `use_causal_mask` there; their tensors are
    /// wired as inputs after the positional ones, in the same order).
    pub(super) fn with_call_kwargs(mut self, kwargs: Option<&Value>) -> Result<Self> {
        let Some(Value::Object(kw)) = kwargs else {
            return Ok(self);
        };
        for (k, v) in kw {
            if k == "mask" {
                continue;
            }
            if crate::topology::kwarg_tensor(v).is_some() {
                if !matches!(k.as_str(), "value" | "key" | "attention_mask") {
                    return Err(self.base.err(format!(
                        "call argument `{k}` is a tensor; MultiHeadAttention takes value, key and attention_mask"
                    )));
                }
                self.tensor_kwargs.push(k.clone());
            }
        }
        self.causal = kw.get("use_causal_mask").and_then(Value::as_bool) == Some(true);
        self.return_scores =
            kw.get("return_attention_scores").and_then(Value::as_bool) == Some(true);
        Ok(self)
    }

    /// Positional `[query, value, key]` first, then the tensor kwargs.
    fn slots(&self, n: usize) -> Result<CallSlots> {
        let positional = n.checked_sub(self.tensor_kwargs.len()).filter(|&p| p >= 1);
        let Some(positional) = positional else {
            return Err(input_err(
                &self.base.name,
                format!("expects a query and a value, got {n} input(s)"),
            ));
        };
        let kw = |name: &str| {
            self.tensor_kwargs
                .iter()
                .position(|k| k == name)
                .map(|i| positional + i)
        };
        let value = if positional > 1 { Some(1) } else { kw("value") };
        let value =
            value.ok_or_else(|| input_err(&self.base.name, "the call has no `value` tensor"))?;
        Ok(CallSlots {
            query: 0,
            value,
            key: if positional > 2 { Some(2) } else { kw("key") },
            attention_mask: kw("attention_mask"),
        })
    }

    /// Build from a Keras config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<MultiHeadAttention> {
        let heads = c.usize_req("num_heads")?;
        let key_dim = c.usize_req("key_dim")?;
        let value_dim = match c.get("value_dim") {
            None => key_dim,
            Some(_) => c.usize_req("value_dim")?,
        };
        if heads == 0 || key_dim == 0 || value_dim == 0 {
            return Err(c.err(
                "num_heads",
                "num_heads, key_dim and value_dim must be positive",
            ));
        }
        let output_dim = match c.get("output_shape") {
            None => None,
            Some(Value::Array(a)) if a.len() == 1 => Some(c.tuple_req("output_shape", 1)?[0]),
            Some(v) if v.is_number() => Some(c.usize_req("output_shape")?),
            Some(v) => {
                return Err(c.err(
                    "output_shape",
                    format!("only an integer output_shape is supported, got {v}"),
                ))
            }
        };
        let attention_axes = match c.get("attention_axes") {
            None => None,
            Some(Value::Array(axes)) => Some(
                axes.iter()
                    .map(Value::as_i64)
                    .collect::<Option<Vec<i64>>>()
                    .ok_or_else(|| c.err("attention_axes", "expected a list of integers"))?,
            ),
            Some(v) if v.is_i64() => Some(vec![v.as_i64().unwrap_or(1)]),
            Some(v) => {
                return Err(c.err(
                    "attention_axes",
                    format!("expected a list of integers, got {v}"),
                ))
            }
        };
        if let (Some(axes), Some(q)) = (&attention_axes, c.shape_opt("query_shape")?) {
            check_attention_axes(c.layer, axes, q.len())?;
        }
        let heads = [heads, heads, key_dim, value_dim];
        Self::assemble("MultiHeadAttention", c, heads, output_dim, attention_axes)
    }

    /// The layer of `class` from its config `c`, with `[query heads,
    /// key/value heads, key_dim, value_dim]`, the output size (`None`: the
    /// query's) and the attention axes read.
    fn assemble(
        class: &'static str,
        c: &ConfigReader<'_>,
        [heads, kv_heads, key_dim, value_dim]: [usize; 4],
        output_dim: Option<usize>,
        attention_axes: Option<Vec<i64>>,
    ) -> Result<MultiHeadAttention> {
        let layer = MultiHeadAttention {
            class,
            base: Base::parse(c)?,
            raw: c.map.clone(),
            heads,
            kv_heads,
            key_dim,
            value_dim,
            use_bias: c.bool_or("use_bias", true)?,
            output_dim,
            dims: None,
            w: Vec::new(),
            packed: PackedCache::default(),
            tensor_kwargs: Vec::new(),
            causal: false,
            return_scores: false,
            attention_axes,
            sliding_window: sliding_window(c)?,
            gate: c.bool_or("use_gate", false)?,
        };
        layer.allocated_from(c)
    }

    /// Build Keras 3's `GroupQueryAttention` (`class` as the config names it).
    pub fn from_group_query_config(
        class: &'static str,
        c: &ConfigReader<'_>,
    ) -> Result<MultiHeadAttention> {
        let head_dim = c.usize_req("head_dim")?;
        let heads = c.usize_req("num_query_heads")?;
        let kv_heads = c.usize_req("num_key_value_heads")?;
        if head_dim == 0 || kv_heads == 0 || heads % kv_heads != 0 {
            return Err(c.err(
                "num_key_value_heads",
                format!(
                    "{kv_heads} must be positive and divide num_query_heads ({heads}), \
                     with a positive head_dim ({head_dim})"
                ),
            ));
        }
        let heads = [heads, kv_heads, head_dim, head_dim];
        Self::assemble(class, c, heads, None, None)
    }

    /// With its weights allocated when the config records the input
    /// shapes (Keras 2's `query_shape`, …).
    fn allocated_from(mut self, c: &ConfigReader<'_>) -> Result<MultiHeadAttention> {
        let last = |k: &str| -> Result<Option<usize>> {
            Ok(c.shape_opt(k)?.and_then(|s| s.last().copied().flatten()))
        };
        if let (Some(q), Some(v)) = (last("query_shape")?, last("value_shape")?) {
            let k = last("key_shape")?.unwrap_or(v);
            self.allocate(q, k, v)?;
        }
        Ok(self)
    }

    fn shapes(&self) -> Vec<(String, Vec<usize>)> {
        let (q, k, v, o) = self.dims.unwrap_or((0, 0, 0, 0));
        let (h, kd, vd) = (self.heads, self.key_dim, self.value_dim);
        let mut s = Vec::new();
        let mut projections = vec![("query", q, h, kd), ("key", k, self.kv_heads, kd)];
        if self.gate {
            projections.push(("gate", q, h, vd));
        }
        projections.push(("value", v, self.kv_heads, vd));
        for (name, d, h, e) in projections {
            s.push((format!("{name}/kernel"), vec![d, h, e]));
            if self.use_bias {
                s.push((format!("{name}/bias"), vec![h, e]));
            }
        }
        s.push(("attention_output/kernel".into(), vec![h, vd, o]));
        if self.use_bias {
            s.push(("attention_output/bias".into(), vec![o]));
        }
        s
    }

    fn allocate(&mut self, q: usize, k: usize, v: usize) -> Result<()> {
        let o = self.output_dim.unwrap_or(q);
        if self.dims == Some((q, k, v, o)) {
            return Ok(());
        }
        self.dims = Some((q, k, v, o));
        self.w = self
            .shapes()
            .into_iter()
            .map(|(_, s)| alloc_zeros(&self.base.name, s))
            .collect::<Result<_>>()?;
        self.packed = PackedCache::sized(self.w.len());
        Ok(())
    }

    /// Project `x` `[n, d]` with kernel index `ki` (bias at `ki + 1` when
    /// `use_bias`) to `[n, cols]`; the kernel and bias are packed once.
    fn project(&self, x: &[f32], n: usize, d: usize, ki: usize, cols: usize) -> Vec<f32> {
        let mut out = vec![0f32; n * cols];
        let f32_of = |i: usize| self.w[i].as_f32().unwrap_or(&[]);
        let kernel = self.packed.get_or_pack(ki, || {
            tfjs_kernels::PackedMatrix::new(
                f32_of(ki),
                d,
                cols,
                self.use_bias.then(|| f32_of(ki + 1)),
            )
        });
        tfjs_kernels::dense_packed(
            x,
            n,
            kernel,
            tfjs_kernels::FusedActivation::Linear,
            &mut out,
        );
        out
    }
}

impl Layer for MultiHeadAttention {
    layer_flags!(per_sample);
    layer_common!(names self.class);
    fn config(&self) -> Map<String, Value> {
        echo_config(&self.base, &self.raw)
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let slots = self.slots(input_shapes.len())?;
        let feat = |i: usize, what: &str| -> Result<usize> {
            input_shapes
                .get(i)
                .and_then(|s| s.last().copied().flatten())
                .ok_or_else(|| {
                    input_err(
                        &self.base.name,
                        format!("the {what} (input {i}) needs a known feature dimension"),
                    )
                })
        };
        if let (Some(axes), Some(shape)) = (&self.attention_axes, input_shapes.get(slots.query)) {
            check_attention_axes(&self.base.name, axes, shape.len())?;
        }
        let q = feat(slots.query, "query")?;
        let v = feat(slots.value, "value")?;
        let k = match slots.key {
            Some(i) => feat(i, "key")?,
            None => v,
        };
        self.allocate(q, k, v)
    }
    fn weights(&self) -> Vec<LayerWeight> {
        listed_weights(self.shapes(), self.base.trainable)
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.w.iter().collect()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.packed = PackedCache::sized(self.w.len());
        let shapes = self.shapes();
        set_listed(
            &self.base.name,
            &mut self.w,
            &shapes,
            index,
            value,
            " (is it built?)",
        )
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let q = first_shape(&self.base.name, inputs)?;
        let mut o = q.clone();
        if let Some(last) = o.last_mut() {
            *last = self.output_dim.map(Some).unwrap_or(*last);
        }
        if !self.return_scores {
            return Ok(vec![o]);
        }
        let value = inputs.get(1).unwrap_or(q);
        let (tq, tv) = (q.get(1).copied().flatten(), value.get(1).copied().flatten());
        Ok(vec![o, vec![q[0], Some(self.heads), tq, tv]])
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let name = &self.base.name;
        let slots = self.slots(inputs.len())?;
        let attention_mask = slots.attention_mask.map(|i| &inputs[i]);
        // Inputs and their Keras masks in [query, value, key] order.
        let mut order = vec![slots.query, slots.value];
        order.extend(slots.key);
        let masks: Vec<Option<Tensor>> = order
            .iter()
            .map(|&i| masks.get(i).cloned().flatten())
            .collect();
        let inputs: Vec<Tensor> = order.iter().map(|&i| inputs[i].clone()).collect();
        let inputs = inputs.as_slice();
        let masks = masks.as_slice();
        let Some((dq, dk, dv, dout)) = self.dims else {
            return Err(input_err(name, "layer is not built"));
        };
        let (key, [(b, tq, fq), (bv, tv, fv), (bk, tk, fk)]) = query_value_key(name, inputs)?;
        if (fq, fk, fv) != (dq, dk, dv) || bv != b || bk != b || tk != tv {
            return Err(input_err(
                name,
                format!(
                    "inputs {} do not match the weights (query {dq}, key {dk}, value {dv} features)",
                    shapes(inputs, key)
                ),
            ));
        }
        let (h, kd, vd) = (self.heads, self.key_dim, self.value_dim);
        // Query head `hi` reads key/value head `hi / per_kv`.
        let (kvh, per_kv) = (self.kv_heads, self.heads / self.kv_heads);
        let step = if self.use_bias { 2 } else { 1 };
        let mut qp = self.project(&inputs[0].to_f32(), b * tq, dq, 0, h * kd);
        let kp = self.project(&key.to_f32(), b * tv, dk, step, kvh * kd);
        // With a gate its weights come before value's: the gate is
        // `sigmoid` of the query's own projection.
        let g = usize::from(self.gate);
        let gate = self.gate.then(|| {
            let mut gp = self.project(&inputs[0].to_f32(), b * tq, dq, 2 * step, h * vd);
            gp.iter_mut()
                .for_each(|x| *x = crate::activations::sigmoid(*x));
            gp
        });
        let vp = self.project(&inputs[1].to_f32(), b * tv, dv, (2 + g) * step, kvh * vd);
        let scale = 1.0 / (kd as f32).sqrt();
        qp.iter_mut().for_each(|x| *x *= scale);
        let qmask = flat_mask(name, masks, 0, b, tq)?;
        let vmask = kv_mask(name, masks, b, tv, inputs.len() > 2)?;
        // `attention_mask` [b, tq, tv] (or [b, 1, tv]), 0/1 or booleans.
        let amask = match attention_mask {
            None => None,
            Some(m) if m.len() == b * tq * tv => Some((m.to_f32().into_owned(), tq)),
            Some(m) if m.len() == b * tv => Some((m.to_f32().into_owned(), 1)),
            Some(m) => {
                return Err(input_err(
                    name,
                    format!(
                        "attention_mask has shape {:?}; expected [{b}, {tq}, {tv}]",
                        m.shape()
                    ),
                ))
            }
        };
        // Attention per (batch, head).
        let mut ctx = vec![0f32; b * tq * h * vd];
        let mut all_scores = if self.return_scores {
            vec![0f32; b * h * tq * tv]
        } else {
            Vec::new()
        };
        let mut scores = vec![0f32; tq * tv];
        let mut keys_t = vec![0f32; kd * tv];
        let rows = tv.max(1);
        // Without masks every score keeps its dot product (the masked branch
        // would add exactly 0), so the per-score mask lookups are skipped.
        let masked = qmask.is_some()
            || vmask.is_some()
            || amask.is_some()
            || self.causal
            || self.sliding_window.is_some();
        for bi in 0..b {
            for hi in 0..h {
                let kh = hi / per_kv;
                // This head's keys as [kd, tv]: a query's scores are then kd
                // axpys over tv, which vectorize, and each score is still the
                // dot product summed in the same order.
                for j in 0..tv {
                    let kv = &kp[((bi * tv + j) * kvh + kh) * kd..][..kd];
                    for (d, &k) in kv.iter().enumerate() {
                        keys_t[d * tv + j] = k;
                    }
                }
                tfjs_kernels::attention_scores(
                    &qp[(bi * tq * h + hi) * kd..],
                    h * kd,
                    kd,
                    &keys_t,
                    rows,
                    &mut scores,
                );
                for (i, row) in scores.chunks_exact_mut(rows).enumerate() {
                    if !masked {
                        break;
                    }
                    for (j, s) in row.iter_mut().enumerate() {
                        let mut m = qmask.as_ref().map_or(1.0, |m| m[bi * tq + i])
                            * vmask.as_ref().map_or(1.0, |m| m[bi * tv + j]);
                        if let Some((am, rows)) = &amask {
                            let r = if *rows == 1 { 0 } else { i };
                            m *= if am[(bi * rows + r) * tv + j] != 0.0 {
                                1.0
                            } else {
                                0.0
                            };
                        }
                        if self.causal && j > i {
                            m = 0.0;
                        }
                        if self.sliding_window.is_some_and(|w| i.abs_diff(j) >= w) {
                            m = 0.0;
                        }
                        *s += (1.0 - m) * -MASK_NEG;
                    }
                }
                softmax_rows(&mut scores, rows);
                if self.return_scores {
                    all_scores[(bi * h + hi) * tq * tv..][..tq * tv].copy_from_slice(&scores);
                }
                tfjs_kernels::attention_context(
                    &scores,
                    rows,
                    &vp[(bi * tv * kvh + kh) * vd..],
                    kvh * vd,
                    vd,
                    &mut ctx[(bi * tq * h + hi) * vd..],
                    h * vd,
                );
            }
        }
        if let Some(gate) = &gate {
            ctx.iter_mut().zip(gate).for_each(|(c, g)| *c *= g);
        }
        let out = self.project(&ctx, b * tq, h * vd, (3 + g) * step, dout);
        let mut shape = inputs[0].shape().to_vec();
        if let Some(l) = shape.last_mut() {
            *l = dout;
        }
        let out = Tensor::from_f32(shape, out)?;
        if self.return_scores {
            return Ok(vec![out, Tensor::from_f32(vec![b, h, tq, tv], all_scores)?]);
        }
        Ok(vec![out])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let mut out = vec![masks.first().cloned().flatten()];
        if self.return_scores {
            out.push(None);
        }
        Ok(out)
    }
}

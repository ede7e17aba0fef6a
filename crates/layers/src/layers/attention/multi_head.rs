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
    /// A tuple `output_shape` of more than one axis (`output_dim` is their
    /// product): the output projection's kernel is `[heads, value_dim,
    /// …dims]`, its bias `[…dims]`, and the output's last axis becomes
    /// these. Empty otherwise.
    output_dims: Vec<usize>,
    /// query, key, value, output dims once built.
    dims: Option<(usize, usize, usize, usize)>,
    w: Vec<Tensor>,
    /// The projection kernels (with their biases) packed for the kernels,
    /// replaced whenever a weight changes.
    packed: PackedCache,
    /// Names of the call's tensor keyword arguments (`query`, `value`,
    /// `key`, `attention_mask` and Keras 3's `query_mask` / `value_mask` /
    /// `key_mask`), in the order they follow the positional inputs.
    tensor_kwargs: Vec<String>,
    /// An `attention_mask` given as a constant array in the call (a NumPy
    /// array in Keras 3, a nested list in Keras 2: `1 - eye(n)`, a fixed
    /// band), used as a tensor one would be.
    constant_mask: Option<std::sync::Arc<Tensor>>,
    /// `use_causal_mask=True` in the call.
    causal: bool,
    /// `return_attention_scores=True` in the call: a second output, the
    /// softmax scores `[batch, heads, Tq, Tv]`.
    return_scores: bool,
    /// `attention_axes` as configured (checked against the query's rank
    /// when the layer is built).
    attention_axes: Option<Vec<i64>>,
    /// tf_keras's reading of negative `attention_axes` (see
    /// [`attention_axes_for`]).
    projected_negatives: bool,
    /// The query's rank, once built.
    query_rank: Option<usize>,
    /// `sliding_window`: a query attends only to keys less than this many
    /// steps away.
    sliding_window: Option<usize>,
    /// Keras 3.15's `use_gate`: the attention output is multiplied by
    /// `sigmoid(query · W_gate + b_gate)` (per head and value dimension)
    /// before the output projection; the `gate` weights come after `key`'s.
    gate: bool,
    /// Keras 3's masked softmax (`None` for tf_keras and TensorFlow.js,
    /// which add `-1e9` to the masked scores): masked scores are replaced
    /// by a large negative number, so that a query row masked at every
    /// key is exactly uniform, and with `dropout > 0` (the `Softmax`
    /// layer's path rather than `ops.dot_product_attention`'s) the masked
    /// weights are then zeroed (`Some(true)`), so such a row is 0.
    keras3_masked_softmax: Option<bool>,
    /// Keras 3's `MultiHeadAttention` (not `GroupQueryAttention`, not
    /// tf_keras): its call removes the Keras masks of its query, value and
    /// key tensors (see [`Layer::node_cleared_masks`]).
    clears_masks: bool,
}

/// `attention_axes` normalized for a rank-`rank` query, checked to lie
/// strictly between the batch and the features, without repeats. Keras 3
/// counts a negative axis from the query's end (`rank + axis`); tf_keras
/// indexes the projected `[batch, …, heads, dim]` tensor with it, one rank
/// longer (`projected_negatives`).
fn attention_axes_for(
    layer: &str,
    axes: &[i64],
    rank: usize,
    projected_negatives: bool,
) -> Result<Vec<usize>> {
    let mut got = Vec::with_capacity(axes.len());
    let end = rank as i64 + i64::from(projected_negatives);
    for &a in axes {
        let n = if a < 0 { a + end } else { a };
        if n < 1 || n >= rank as i64 - 1 || got.contains(&(n as usize)) {
            return Err(crate::LayersError::config(
                layer,
                format!(
                    "config field `attention_axes`: {axes:?} must name distinct axes between \
                     the batch and the features of a rank-{rank} query (1..={})",
                    rank.saturating_sub(2)
                ),
            ));
        }
        got.push(n as usize);
    }
    Ok(got)
}

/// How inputs with attention over some of their inner axes become the
/// `[batch', steps, features]` the attention computes on: Keras treats the
/// other inner axes as batch axes (`_build_attention_equation`) and
/// normalizes the scores over all attention axes at once, which is the
/// softmax over their flattened product. So the axes are permuted to
/// `[batch, other…, attention…, features]` and folded.
struct AxisFold {
    perm: Vec<usize>,
    /// Leading axes of the permuted layout that act as batch axes (the
    /// batch and the inner axes without attention).
    outer_axes: usize,
    /// The permuted query's shape without its features.
    query_dims: Vec<usize>,
}

impl AxisFold {
    /// `None` for the default axes (every inner axis, in any order).
    fn new(attention: &[usize], rank: usize) -> Option<AxisFold> {
        if attention.len() == rank - 2 {
            return None;
        }
        let mut attn = attention.to_vec();
        attn.sort_unstable();
        let mut perm = vec![0];
        perm.extend((1..rank - 1).filter(|a| !attn.contains(a)));
        let outer_axes = perm.len();
        perm.extend(attn);
        perm.push(rank - 1);
        Some(AxisFold {
            perm,
            outer_axes,
            query_dims: Vec::new(),
        })
    }

    /// Fold one input (`what`; the query first) to `[batch · other axes,
    /// attention axes, features]`; its batch and other axes must be the
    /// query's.
    fn fold(&mut self, layer: &str, what: &str, t: &Tensor) -> Result<Tensor> {
        let rank = self.perm.len();
        if t.rank() != rank {
            return Err(input_err(
                layer,
                format!(
                    "{what} has shape {:?}; with attention_axes it must have the query's rank {rank}",
                    t.shape()
                ),
            ));
        }
        let moved = transpose_tensor(t, &self.perm);
        let s = moved.shape().to_vec();
        let outer = self.outer_axes;
        if self.query_dims.is_empty() {
            self.query_dims = s[..rank - 1].to_vec();
        } else if s[..outer] != self.query_dims[..outer] {
            return Err(input_err(
                layer,
                format!(
                    "{what} has shape {:?}; its batch and non-attention axes must be the query's",
                    t.shape()
                ),
            ));
        }
        let rows: usize = s[..outer].iter().product();
        let steps: usize = s[outer..rank - 1].iter().product();
        moved.reshape(vec![rows, steps, s[rank - 1]])
    }

    /// The folded output `[batch', steps, out]` back in the query's layout.
    fn unfold(&self, out: Tensor) -> Result<Tensor> {
        let dout = *out.shape().last().unwrap_or(&0);
        let mut shape = self.query_dims.clone();
        shape.push(dout);
        let out = out.reshape(shape)?;
        let mut inverse = vec![0; self.perm.len()];
        for (i, &p) in self.perm.iter().enumerate() {
            inverse[p] = i;
        }
        Ok(transpose_tensor(&out, &inverse))
    }
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
    /// Keras 3's `query_mask` / `value_mask` / `key_mask` call arguments
    /// (`[batch, T]` / `[batch, S]` padding masks).
    query_mask: Option<usize>,
    value_mask: Option<usize>,
    key_mask: Option<usize>,
}

/// The tensor arguments of a `MultiHeadAttention` call. Keras 3 also takes
/// `query_mask`, `value_mask` and `key_mask`; its `MultiHeadAttention`
/// replaces `query_mask` by the query's own Keras mask (`query_mask =
/// backend.get_keras_mask(query)`, keras/src/layers/attention/
/// multi_head_attention.py), so there a `query_mask` argument is read and
/// has no effect, as in Keras; `GroupQueryAttention` applies it.
const TENSOR_ARGUMENTS: [&str; 7] = [
    "query",
    "value",
    "key",
    "attention_mask",
    "query_mask",
    "value_mask",
    "key_mask",
];

impl MultiHeadAttention {
    /// Read the call's keyword arguments (Keras writes `value`, `key`,
    /// `attention_mask` and `use_causal_mask` there, Keras 3 every argument
    /// of a call written with keywords, `query` included; their tensors are
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
                if !TENSOR_ARGUMENTS.contains(&k.as_str()) {
                    return Err(self.base.err(format!(
                        "call argument `{k}` is a tensor; MultiHeadAttention takes {}",
                        TENSOR_ARGUMENTS.join(", ")
                    )));
                }
                self.tensor_kwargs.push(k.clone());
            } else if k == "attention_mask" && !v.is_null() {
                self.constant_mask = Some(std::sync::Arc::new(
                    crate::layers::tf_ops::constant_argument(v).ok_or_else(|| {
                        self.base.err(
                            "call argument `attention_mask` is neither a tensor nor a constant \
                             array of booleans or numbers"
                                .to_string(),
                        )
                    })?,
                ));
            }
        }
        self.causal = kw.get("use_causal_mask").and_then(Value::as_bool) == Some(true);
        self.return_scores =
            kw.get("return_attention_scores").and_then(Value::as_bool) == Some(true);
        Ok(self)
    }

    /// Positional `[query, value, key]` first, then the tensor kwargs.
    fn slots(&self, n: usize) -> Result<CallSlots> {
        let has_query = self.tensor_kwargs.iter().any(|k| k == "query");
        let positional = n
            .checked_sub(self.tensor_kwargs.len())
            .filter(|&p| p >= 1 || has_query);
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
        let query = if positional > 0 { Some(0) } else { kw("query") };
        let query =
            query.ok_or_else(|| input_err(&self.base.name, "the call has no `query` tensor"))?;
        let value = if positional > 1 { Some(1) } else { kw("value") };
        let value =
            value.ok_or_else(|| input_err(&self.base.name, "the call has no `value` tensor"))?;
        Ok(CallSlots {
            query,
            value,
            key: if positional > 2 { Some(2) } else { kw("key") },
            attention_mask: kw("attention_mask"),
            query_mask: kw("query_mask"),
            value_mask: kw("value_mask"),
            key_mask: kw("key_mask"),
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
        let output_dims = match c.get("output_shape") {
            None => Vec::new(),
            Some(Value::Array(a)) => c.tuple_req("output_shape", a.len())?,
            Some(v) if v.is_number() => vec![c.usize_req("output_shape")?],
            Some(v) => {
                return Err(c.err(
                    "output_shape",
                    format!("expected an integer or a list of integers, got {v}"),
                ))
            }
        };
        if output_dims.contains(&0) || c.get("output_shape") == Some(&Value::Array(Vec::new())) {
            return Err(c.err(
                "output_shape",
                format!("expected positive sizes, got {output_dims:?}"),
            ));
        }
        let output_dim = (!output_dims.is_empty()).then(|| output_dims.iter().product());
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
            attention_axes_for(c.layer, axes, q.len(), !c.dialect.is_keras3())?;
        }
        let heads = [heads, heads, key_dim, value_dim];
        let mut layer = Self::assemble("MultiHeadAttention", c, heads, output_dim, attention_axes)?;
        if output_dims.len() > 1 {
            layer.output_dims = output_dims;
            layer.dims = None;
            layer = layer.allocated_from(c)?;
        }
        Ok(layer)
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
            output_dims: Vec::new(),
            dims: None,
            w: Vec::new(),
            packed: PackedCache::default(),
            tensor_kwargs: Vec::new(),
            constant_mask: None,
            causal: false,
            return_scores: false,
            attention_axes,
            projected_negatives: !c.dialect.is_keras3(),
            query_rank: c.shape_opt("query_shape")?.map(|q| q.len()),
            sliding_window: sliding_window(c)?,
            gate: c.bool_or("use_gate", false)?,
            clears_masks: class == "MultiHeadAttention" && c.dialect.is_keras3(),
            keras3_masked_softmax: c
                .dialect
                .is_keras3()
                .then(|| c.map.get("dropout").and_then(serde_json::Value::as_f64))
                .map(|d| d.unwrap_or(0.0) > 0.0),
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
        let out = if self.output_dims.is_empty() {
            vec![o]
        } else {
            self.output_dims.clone()
        };
        s.push((
            "attention_output/kernel".into(),
            [vec![h, vd], out.clone()].concat(),
        ));
        if self.use_bias {
            s.push(("attention_output/bias".into(), out));
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
        let mut m = echo_config(&self.base, &self.raw);
        // Negative attention axes mean other axes in Keras 3 and tf_keras
        // (see `attention_axes_for`): once the query's rank is known they
        // are written as the axes they are, so both read the same model.
        if let (Some(axes), Some(rank)) = (&self.attention_axes, self.query_rank) {
            if axes.iter().any(|&a| a < 0) {
                if let Ok(axes) =
                    attention_axes_for(&self.base.name, axes, rank, self.projected_negatives)
                {
                    m.insert("attention_axes".into(), serde_json::json!(axes));
                }
            }
        }
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let slots = self.slots(input_shapes.len())?;
        self.query_rank = input_shapes.get(slots.query).map(Vec::len);
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
            attention_axes_for(&self.base.name, axes, shape.len(), self.projected_negatives)?;
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
        let slots = self.slots(inputs.len())?;
        let q = inputs
            .get(slots.query)
            .ok_or_else(|| input_err(&self.base.name, "the call has no `query` tensor"))?;
        let mut o = q.clone();
        if let Some(last) = o.last_mut() {
            *last = self.output_dim.map(Some).unwrap_or(*last);
        }
        if self.output_dims.len() > 1 {
            o.pop();
            o.extend(self.output_dims.iter().map(|&d| Some(d)));
        }
        if !self.return_scores {
            return Ok(vec![o]);
        }
        let value = inputs.get(slots.value).unwrap_or(q);
        let (tq, tv) = (q.get(1).copied().flatten(), value.get(1).copied().flatten());
        Ok(vec![o, vec![q[0], Some(self.heads), tq, tv]])
    }
    fn node_cleared_masks(&self, n_inputs: usize, _kwargs: &Value) -> Vec<usize> {
        // `backend.set_keras_mask(query / value / key, None)` in Keras 3's
        // `MultiHeadAttention.call` (`key` defaults to `value`).
        match self.slots(n_inputs) {
            Ok(s) if self.clears_masks => [Some(s.query), Some(s.value), s.key]
                .into_iter()
                .flatten()
                .collect(),
            _ => Vec::new(),
        }
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let query = self.slots(masks.len()).map_or(0, |s| s.query);
        let mut out = vec![masks.get(query).cloned().flatten()];
        if self.return_scores {
            out.push(None);
        }
        Ok(out)
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let mut out = self.call_flat(inputs, masks)?;
        if self.output_dims.len() > 1 {
            if let Some(first) = out.first_mut() {
                let mut shape = first.shape().to_vec();
                shape.pop();
                shape.extend(&self.output_dims);
                *first = first.clone().reshape(shape)?;
            }
        }
        Ok(out)
    }
}

impl MultiHeadAttention {
    /// The call with the output's last axis `output_dim` wide (a tuple
    /// `output_shape` flattened).
    fn call_flat(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let name = &self.base.name;
        let slots = self.slots(inputs.len())?;
        let attention_mask = slots
            .attention_mask
            .map(|i| &inputs[i])
            .or(self.constant_mask.as_deref());
        // Inputs in [query, value, key] order, and their masks: the Keras
        // masks the tensors carry, or Keras 3's `value_mask` / `key_mask`
        // arguments where given (Keras fills those arguments from the
        // tensors' masks only when they are not given), and
        // `GroupQueryAttention`'s `query_mask` (see [`TENSOR_ARGUMENTS`]).
        // A `key_mask` applies with or without a `key` tensor.
        let mut order = vec![slots.query, slots.value];
        order.extend(slots.key);
        let own = |i: Option<usize>| i.and_then(|i| masks.get(i).cloned().flatten());
        let query_mask = match slots.query_mask {
            Some(i) if self.class != "MultiHeadAttention" => Some(inputs[i].clone()),
            _ => own(Some(slots.query)),
        };
        let masks = vec![
            query_mask,
            slots
                .value_mask
                .map(|i| Some(inputs[i].clone()))
                .unwrap_or_else(|| own(Some(slots.value))),
            slots
                .key_mask
                .map(|i| Some(inputs[i].clone()))
                .unwrap_or_else(|| own(slots.key)),
        ];
        let inputs: Vec<Tensor> = order.iter().map(|&i| inputs[i].clone()).collect();
        let fold = match &self.attention_axes {
            Some(axes) => {
                let rank = inputs[0].rank();
                let axes = attention_axes_for(name, axes, rank, self.projected_negatives)?;
                AxisFold::new(&axes, rank)
            }
            None => None,
        };
        let Some(mut fold) = fold else {
            return self.attend(&inputs, &masks, attention_mask);
        };
        let masked = masks.iter().any(Option::is_some) || attention_mask.is_some();
        if masked || self.causal || self.return_scores || self.sliding_window.is_some() {
            return Err(input_err(
                name,
                format!(
                    "attention over some axes ({:?}) with masks, use_causal_mask, sliding_window \
                     or return_attention_scores is not supported",
                    self.attention_axes.as_deref().unwrap_or_default()
                ),
            ));
        }
        let what = ["query", "value", "key"];
        let folded = inputs
            .iter()
            .zip(what)
            .map(|(t, w)| fold.fold(name, w, t))
            .collect::<Result<Vec<_>>>()?;
        // (No scores output here: return_attention_scores is refused above.)
        let out = self.attend(&folded, &[None, None, None], None)?;
        let out = out
            .into_iter()
            .next()
            .ok_or_else(|| input_err(name, "no output"))?;
        Ok(vec![fold.unfold(out)?])
    }
}

impl MultiHeadAttention {
    /// Attention over `[batch, steps, features]` inputs `[query, value, key?]`
    /// (any inner axes flattened into the steps), with their Keras masks.
    fn attend(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
        attention_mask: Option<&Tensor>,
    ) -> Result<Vec<Tensor>> {
        let name = &self.base.name;
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
        let vmask = kv_mask(name, masks, b, tv, masks.len() > 2)?;
        // `attention_mask` [b, tq, tv], 0/1 or booleans, broadcast as Keras
        // adds it to the [b, heads, tq, tv] scores: each axis its size or 1
        // (`[1, tq, tv]`: one causal mask for the batch; `[b, 1, tv]`; a
        // rank-2 `[tq, tv]`).
        let amask = match attention_mask {
            None => None,
            Some(m) => {
                let s = m.shape();
                let dims: Option<[usize; 3]> = (s.len() <= 3)
                    .then(|| {
                        let mut d = [1usize; 3];
                        d[3 - s.len()..].copy_from_slice(s);
                        d
                    })
                    .filter(|d| {
                        d.iter()
                            .zip([b, tq, tv])
                            .all(|(&have, want)| have == want || have == 1)
                    });
                let Some(dims) = dims else {
                    return Err(input_err(
                        name,
                        format!(
                            "attention_mask has shape {:?}; expected [{b}, {tq}, {tv}] (each axis its size or 1)",
                            m.shape()
                        ),
                    ));
                };
                Some((m.to_f32().into_owned(), dims))
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
        let mut keep = vec![true; tq * tv];
        let zero_masked = self.keras3_masked_softmax == Some(true)
            || (self.keras3_masked_softmax.is_some() && self.return_scores);
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
                        if let Some((am, [mb, mq, mv])) = &amask {
                            let at = |k: usize, n: usize| if n == 1 { 0 } else { k };
                            let idx = (at(bi, *mb) * mq + at(i, *mq)) * mv + at(j, *mv);
                            m *= if am[idx] != 0.0 { 1.0 } else { 0.0 };
                        }
                        if self.causal && j > i {
                            m = 0.0;
                        }
                        if self.sliding_window.is_some_and(|w| i.abs_diff(j) >= w) {
                            m = 0.0;
                        }
                        if self.keras3_masked_softmax.is_some() {
                            // Keras 3: `where(mask, scores, large negative)`.
                            if m == 0.0 {
                                *s = -MASK_NEG;
                            }
                            keep[i * rows + j] = m != 0.0;
                        } else {
                            *s += (1.0 - m) * -MASK_NEG;
                        }
                    }
                }
                softmax_rows(&mut scores, rows);
                // Keras 3's `Softmax` layer (dropout or returned scores)
                // zeroes the masked weights: a fully masked row is 0.
                if masked && zero_masked {
                    scores
                        .iter_mut()
                        .zip(&keep)
                        .filter(|(_, &k)| !k)
                        .for_each(|(s, _)| *s = 0.0);
                }
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
}

#[cfg(test)]
mod tests {
    use crate::{LayerRegistry, Model, Tensor};
    use serde_json::{json, Value};

    fn kt(layer: &str, shape: Value) -> Value {
        json!({"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": "float32",
               "keras_history": [layer, 0, 0]}})
    }

    fn input(name: &str, shape: Value) -> Value {
        json!({"name": name, "class_name": "InputLayer", "inbound_nodes": [],
               "config": {"name": name, "batch_shape": shape, "dtype": "float32"}})
    }

    /// A Keras 3 model of one MultiHeadAttention call `node` on inputs
    /// `q` [2, 3], `v` [4, 3] and `m` (of `mask_shape`).
    fn model(node: Value, mask_shape: Value) -> Model {
        let topology = json!({"class_name": "Functional", "keras_version": "3.15.1",
            "config": {"name": "m", "layers": [
                input("q", json!([null, 2, 3])),
                input("v", json!([null, 4, 3])),
                input("m", mask_shape),
                {"name": "mha", "class_name": "MultiHeadAttention", "inbound_nodes": [node],
                 "config": {"name": "mha", "trainable": true, "num_heads": 2, "key_dim": 2},
                 "build_config": {"shapes_dict": {"query_shape": [null, 2, 3],
                     "value_shape": [null, 4, 3], "key_shape": [null, 4, 3]}}},
            ],
            "input_layers": [["q", 0, 0], ["v", 0, 0], ["m", 0, 0]],
            "output_layers": [["mha", 0, 0]]}});
        Model::from_topology(&topology, &LayerRegistry::with_builtins(), 5).unwrap()
    }

    #[test]
    fn keyword_calls_and_keras3_padding_masks() {
        // keras.io's Transformer decoder calls
        // `mha(query=x, value=e, key=e, query_mask=..., key_mask=...)`.
        // Keras 3.15's MultiHeadAttention overwrites `query_mask` with the
        // query's own Keras mask and ANDs `key_mask` in as [B, 1, S]:
        // the same as `attention_mask=key_mask[:, None, :]`, checked in
        // Keras 3.15 (`mha(x, x, query_mask=m)` equals `mha(x, x)`,
        // `mha(x, x, key_mask=m)` does not).
        let (q, v) = (kt("q", json!([null, 2, 3])), kt("v", json!([null, 4, 3])));
        let by_keyword = model(
            json!({"args": [], "kwargs": {"query": q, "value": v, "key": v,
                   "query_mask": kt("m", json!([null, 4])),
                   "key_mask": kt("m", json!([null, 4]))}}),
            json!([null, 4]),
        );
        let by_attention_mask = model(
            json!({"args": [q, v], "kwargs": {"attention_mask": kt("m", json!([null, 1, 4]))}}),
            json!([null, 1, 4]),
        );
        let xs = |m: Vec<usize>| {
            vec![
                crate::rewrite::test_util::input(&[2, 2, 3]),
                crate::rewrite::test_util::input(&[2, 4, 3]),
                Tensor::from_f32(m, vec![1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0]).unwrap(),
            ]
        };
        let a = by_keyword.predict(&xs(vec![2, 4])).unwrap();
        let b = by_attention_mask.predict(&xs(vec![2, 1, 4])).unwrap();
        assert_eq!(a[0].shape(), &[2, 2, 3]);
        assert_eq!(a[0].to_f32(), b[0].to_f32());
        // And the mask matters.
        let mut ones = xs(vec![2, 4]);
        ones[2] = Tensor::from_f32(vec![2, 4], vec![1.0; 8]).unwrap();
        assert_ne!(
            by_keyword.predict(&ones).unwrap()[0].to_f32(),
            a[0].to_f32()
        );
    }
}

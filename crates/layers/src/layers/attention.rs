//! Keras attention layers (TensorFlow.js 4.22 registers none of them; they
//! appear in Keras-converted models): `MultiHeadAttention`, Keras 3's
//! `GroupQueryAttention`, `Attention` (dot-product, Luong) and
//! `AdditiveAttention` (Bahdanau), at inference.
//!
//! Inputs are `[query, value]` or `[query, value, key]` (key defaults to
//! value). Masks on the query / value / key inputs are combined as Keras
//! does; masked scores get `-1e9` before the softmax. Call-time arguments
//! of `MultiHeadAttention` (`attention_mask`, `use_causal_mask`,
//! `return_attention_scores`) come from the call's recorded kwargs; the
//! other layers' call arguments are not supported. Configs are written back
//! as read (Keras key order).

use super::common::*;
use crate::activations::{softmax_row, softmax_rows};
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, LayerWeight, LayersError, Result, Shape, Tensor};
use serde_json::{Map, Value};

/// Register `MultiHeadAttention`, `GroupQueryAttention`, `Attention` and
/// `AdditiveAttention`.
pub fn register(registry: &mut LayerRegistry) {
    registry.register("MultiHeadAttention", |c, ctx| {
        Ok(
            Box::new(MultiHeadAttention::from_config(c)?.with_call_kwargs(ctx.call_kwargs)?)
                as Box<dyn Layer>,
        )
    });
    // `.keras` configs name it by its export name, the legacy HDF5 writer by
    // its Python class.
    for class in ["GroupQueryAttention", "GroupedQueryAttention"] {
        registry.register(class, move |c, ctx| {
            let layer = MultiHeadAttention::from_group_query_config(class, c)?;
            Ok(Box::new(layer.with_call_kwargs(ctx.call_kwargs)?) as Box<dyn Layer>)
        });
    }
    registry.register("Attention", |c, ctx| {
        Ok(
            Box::new(DenseAttention::from_config(false, c)?.with_call_kwargs(ctx.call_kwargs)?)
                as Box<dyn Layer>,
        )
    });
    registry.register("AdditiveAttention", |c, ctx| {
        Ok(
            Box::new(DenseAttention::from_config(true, c)?.with_call_kwargs(ctx.call_kwargs)?)
                as Box<dyn Layer>,
        )
    });
}

const MASK_NEG: f32 = 1.0e9;

/// The config as read, with name/trainable refreshed.
fn echo_config(base: &Base, raw: &Map<String, Value>) -> Map<String, Value> {
    let mut m = raw.clone();
    m.insert("name".into(), Value::String(base.name.clone()));
    m.insert("trainable".into(), Value::Bool(base.trainable));
    m
}

/// `(batch, steps, features)` of a sequence input.
type Seq3 = (usize, usize, usize);

/// Flatten `[b, ..., d]` into `(b, seq, d)`.
fn seq3(layer: &str, what: &str, t: &Tensor) -> Result<Seq3> {
    let s = t.shape();
    if s.len() < 3 {
        return Err(input_err(
            layer,
            format!("{what} must have shape [batch, ..., features] (rank >= 3), got {s:?}"),
        ));
    }
    Ok((s[0], s[1..s.len() - 1].iter().product(), s[s.len() - 1]))
}

/// The key of inputs `[query, value]` or `[query, value, key]` (the value
/// when there is no key), and the query's, value's and key's
/// `(batch, steps, features)` by [`seq3`].
fn query_value_key<'t>(layer: &str, inputs: &'t [Tensor]) -> Result<(&'t Tensor, [Seq3; 3])> {
    let q = seq3(layer, "query", &inputs[0])?;
    let v = seq3(layer, "value", &inputs[1])?;
    let key = inputs.get(2).unwrap_or(&inputs[1]);
    Ok((key, [q, v, seq3(layer, "key", key)?]))
}

/// The shapes of `[query, value]` inputs and their `key`, for errors.
fn shapes(inputs: &[Tensor], key: &Tensor) -> String {
    format!(
        "{:?}, {:?}, {:?}",
        inputs[0].shape(),
        inputs[1].shape(),
        key.shape()
    )
}

/// Flattened 0/1 mask `[b, seq]` of input `i`, if any.
fn flat_mask(
    layer: &str,
    masks: &[Option<Tensor>],
    i: usize,
    b: usize,
    seq: usize,
) -> Result<Option<Vec<f32>>> {
    match masks.get(i).and_then(Option::as_ref) {
        None => Ok(None),
        Some(m) => {
            if m.len() != b * seq {
                return Err(input_err(
                    layer,
                    format!(
                        "mask of input {i} has shape {:?}, expected {b}×{seq} values",
                        m.shape()
                    ),
                ));
            }
            Ok(Some(m.to_f32().into_owned()))
        }
    }
}

/// Combined value/key padding mask per (b, j).
fn kv_mask(
    layer: &str,
    masks: &[Option<Tensor>],
    b: usize,
    tv: usize,
    has_key: bool,
) -> Result<Option<Vec<f32>>> {
    let v = flat_mask(layer, masks, 1, b, tv)?;
    let k = if has_key {
        flat_mask(layer, masks, 2, b, tv)?
    } else {
        None
    };
    Ok(match (v, k) {
        (Some(v), Some(k)) => Some(v.iter().zip(&k).map(|(a, b)| a * b).collect()),
        (v, k) => v.or(k),
    })
}

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
    fn with_call_kwargs(mut self, kwargs: Option<&Value>) -> Result<Self> {
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
        if c.bool_or("use_gate", false)? {
            return Err(c.err(
                "use_gate",
                "gated attention (Keras 3.15's use_gate: true) is not supported",
            ));
        }
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
        let projections = [
            ("query", q, h, kd),
            ("key", k, self.kv_heads, kd),
            ("value", v, self.kv_heads, vd),
        ];
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
        let vp = self.project(&inputs[1].to_f32(), b * tv, dv, 2 * step, kvh * vd);
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
        let out = self.project(&ctx, b * tq, h * vd, 3 * step, dout);
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
}

impl DenseAttention {
    /// The call's recorded kwargs: `use_causal_mask`; `return_attention_scores`
    /// (a second output) is refused.
    fn with_call_kwargs(mut self, kwargs: Option<&Value>) -> Result<Self> {
        let Some(Value::Object(kw)) = kwargs else {
            return Ok(self);
        };
        if kw.get("return_attention_scores").and_then(Value::as_bool) == Some(true) {
            return Err(self.base.err(
                "call argument `return_attention_scores=True` is not supported for Attention / AdditiveAttention",
            ));
        }
        self.causal = kw.get("use_causal_mask").and_then(Value::as_bool) == Some(true);
        Ok(self)
    }

    fn from_config(additive: bool, c: &ConfigReader<'_>) -> Result<DenseAttention> {
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
        Ok(vec![o])
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
        Ok(vec![Tensor::from_f32(shape, out)?])
    }
    same_as_input!(mask);
}

/// `weights()` of a layer whose weights are listed as (name, shape).
fn listed_weights(shapes: Vec<(String, Vec<usize>)>, trainable: bool) -> Vec<LayerWeight> {
    shapes
        .into_iter()
        .map(|(name, shape)| LayerWeight {
            name,
            shape,
            trainable,
        })
        .collect()
}

/// `set_weight` of such a layer: slot `index` of `w`, named by `shapes`
/// (`hint` ends the error when there is no such slot).
fn set_listed(
    layer: &str,
    w: &mut [Tensor],
    shapes: &[(String, Vec<usize>)],
    index: usize,
    value: Tensor,
    hint: &str,
) -> Result<()> {
    match (w.get_mut(index), shapes.get(index)) {
        (Some(slot), Some((wname, _))) => put_weight(layer, wname, slot, value),
        _ => Err(LayersError::config(
            layer,
            format!("layer has no weight #{index}{hint}"),
        )),
    }
}

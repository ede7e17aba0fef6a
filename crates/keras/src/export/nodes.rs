//! Call sites the engine saves in a form only it reads back, rewritten for
//! each Keras.
//!
//! The engine saves every call as a list of `[layer, node, tensor, kwargs]`
//! references with the call's keyword arguments on the first one; tensors
//! passed as keyword arguments (`y=` of a `tf.*` function, `value=` of
//! `MultiHeadAttention`) are listed again after the positional ones, and
//! Keras 3 operation nodes (`ops.Add`, …) keep their positional arguments
//! in `_args` (a tensor as `[layer, node, tensor]`).
//!
//! - tf_keras (`.h5`): `TFOpLambda` / `SlicingOpLambda` / `MultiHeadAttention`
//!   calls get Keras 2's own form back (positional tensors only, a constant
//!   first argument as `_CONSTANT_VALUE`); Keras 3 operations become the
//!   `TFOpLambda` (or `SlicingOpLambda`, `Dot`) tf_keras writes for the same
//!   math.
//! - Keras 3 (`.keras`): those calls become Keras 3's dict-form nodes
//!   (`{"args": …, "kwargs": …}` with `__keras_tensor__` arguments); Keras 3
//!   has no `TFOpLambda`, so each `tf.*` function becomes the `keras.ops`
//!   operation node Keras 3 itself saves for the same math.
//!
//! A call with no equivalent is an error naming the layer and why.

use crate::{KerasError, Result};
use serde_json::{json, Map, Value};

/// The engine's class prefix of Keras 3 operation nodes.
const OPS_PREFIX: &str = "ops.";

/// A class with no weights that Keras 3 does not count among the model's
/// layers once exported: Keras 3 operations and `tf.*` functions.
pub(super) fn is_operation(class: &str) -> bool {
    class.starts_with(OPS_PREFIX) || matches!(class, "TFOpLambda" | "SlicingOpLambda")
}

/// `[layer, node, tensor]`: a tensor reference in kwargs or `_args`.
fn is_tensor(v: &Value) -> bool {
    matches!(v.as_array(), Some(a) if a.len() == 3
        && a[0].is_string() && a[1].is_u64() && a[2].is_u64())
}

/// `v` with every Keras 3 `__keras_tensor__` (kept as is inside lists
/// by the engine) as `[layer, node, tensor]`.
fn spelled(v: &Value) -> Value {
    match v {
        Value::Object(o)
            if o.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") =>
        {
            o.get("config")
                .and_then(|c| c.get("keras_history"))
                .map(triple)
                .unwrap_or(Value::Null)
        }
        Value::Array(a) => Value::Array(a.iter().map(spelled).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), spelled(v))).collect()),
        other => other.clone(),
    }
}

/// The triple of a reference `[layer, node, tensor(, kwargs)]`.
fn triple(r: &Value) -> Value {
    match r.as_array() {
        Some(a) if a.len() >= 3 => Value::Array(a[..3].to_vec()),
        _ => r.clone(),
    }
}

/// One call as the engine saved it.
struct Call {
    /// Every tensor reference, `[layer, node, tensor]`.
    refs: Vec<Value>,
    /// The call's keyword arguments (on the first reference).
    kwargs: Map<String, Value>,
}

fn parse_call(node: &Value) -> Call {
    let refs: Vec<Value> = match node.as_array() {
        Some(a) if a.first().is_some_and(Value::is_string) => vec![node.clone()],
        Some(a) => a.clone(),
        None => Vec::new(),
    };
    let kwargs = refs
        .first()
        .and_then(|r| r.get(3))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Call {
        refs: refs.iter().map(triple).collect(),
        kwargs,
    }
}

impl Call {
    /// The positional tensors: the references before the kwargs' tensors.
    fn positional(&self) -> Vec<Value> {
        let n = self
            .kwargs
            .iter()
            .filter(|(k, v)| !k.starts_with('_') && is_tensor(v))
            .count();
        let keep = if self.refs.len() > n {
            self.refs.len() - n
        } else {
            self.refs.len().min(1)
        };
        self.refs[..keep].to_vec()
    }

    /// The call's kwargs without the engine's own (`_args`, …).
    fn plain_kwargs(&self) -> Map<String, Value> {
        self.kwargs
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .map(|(k, v)| (k.clone(), spelled(v)))
            .collect()
    }

    /// A Keras 3 call's positional arguments, every tensor as `[layer,
    /// node, tensor]`. `_args` keeps them as the file spelled them, but a
    /// nested model's node index there is Keras 3's (counted from 0); the
    /// call's references, which list the same tensors in the same order,
    /// are the engine's (Keras 2's, from 1), like every other reference
    /// here: the tensors are taken from those.
    fn op_args(&self) -> Vec<Value> {
        fn from_refs(v: Value, refs: &[Value], k: &mut usize) -> Value {
            if is_tensor(&v) {
                let r = refs.get(*k).cloned().unwrap_or(v);
                *k += 1;
                return r;
            }
            match v {
                Value::Array(a) => {
                    Value::Array(a.into_iter().map(|x| from_refs(x, refs, k)).collect())
                }
                other => other,
            }
        }
        match self.kwargs.get("_args") {
            Some(Value::Array(a)) => {
                let mut k = 0;
                a.iter()
                    .map(|v| from_refs(spelled(v), &self.refs, &mut k))
                    .collect()
            }
            _ => self.refs.clone(),
        }
    }
}

fn err(layer: &str, class: &str, msg: impl std::fmt::Display) -> KerasError {
    KerasError::msg(format!("layer `{layer}` ({class}): {msg}"))
}

/// A layer's call as Keras 2 writes it: each input `[layer, node, tensor,
/// kwargs]` with the call's kwargs, without the engine's own (`_args`,
/// kept from a Keras 3 call). tf_keras takes the kwargs of the last input,
/// so a Keras 3 `Attention([q, v], use_causal_mask=True)` the engine saved
/// with its kwargs on the first input only would lose its mask.
fn layer_node_keras2(node: &Value) -> Value {
    if !node.is_array() {
        return node.clone();
    }
    let call = parse_call(node);
    let kw = call.plain_kwargs();
    Value::Array(
        call.positional()
            .iter()
            .map(|t| with_kwargs(t, &kw))
            .collect(),
    )
}

/// `[layer, node, tensor, kwargs]`.
fn with_kwargs(t: &Value, kw: &Map<String, Value>) -> Value {
    let mut a = t.as_array().cloned().unwrap_or_default();
    a.truncate(3);
    a.push(Value::Object(kw.clone()));
    Value::Array(a)
}

/// Applies `f` to every layer entry of a functional config, nested
/// functional models included.
fn each_layer(
    config: &mut Value,
    f: &mut dyn FnMut(&mut Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let Some(Value::Array(layers)) = config.get_mut("layers") else {
        return Ok(());
    };
    for l in layers {
        let Value::Object(entry) = l else { continue };
        if let Some(inner) = entry.get_mut("config") {
            if inner.get("layers").is_some() {
                each_layer(inner, f)?;
            }
        }
        f(entry)?;
    }
    Ok(())
}

fn entry_name(entry: &Map<String, Value>) -> String {
    entry
        .get("name")
        .or_else(|| entry.get("config").and_then(|c| c.get("name")))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn entry_class(entry: &Map<String, Value>) -> String {
    entry
        .get("class_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn nodes_of(entry: &Map<String, Value>) -> Vec<Value> {
    entry
        .get("inbound_nodes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

// ---------------------------------------------------------------- tf_keras

/// Rewrites the calls of `config` (a functional model's config) for
/// tf_keras.
pub(super) fn for_tf_keras(config: &mut Value) -> Result<()> {
    each_layer(config, &mut |entry| {
        let class = entry_class(entry);
        let name = entry_name(entry);
        let nodes = nodes_of(entry);
        if let Some(op) = class.strip_prefix(OPS_PREFIX) {
            let op = op.to_string();
            let mut new_nodes = Vec::new();
            let mut target = None;
            for node in &nodes {
                let (cls, function, node) =
                    op_for_tf_keras(&name, &op, entry.get("config"), &parse_call(node))?;
                target = Some((cls, function));
                new_nodes.push(node);
            }
            let (cls, function) = target.unwrap_or(("TFOpLambda", String::new()));
            let mut config = json!({"name": name, "trainable": true, "dtype": "float32"});
            match cls {
                "Dot" => {
                    config["axes"] = serde_json::from_str(&function).unwrap_or(Value::Null);
                    config["normalize"] = false.into();
                }
                _ => config["function"] = function.into(),
            }
            entry.insert("class_name".into(), cls.into());
            entry.insert("config".into(), config);
            entry.insert("inbound_nodes".into(), Value::Array(new_nodes));
            return Ok(());
        }
        let nodes = match class.as_str() {
            "TFOpLambda" | "SlicingOpLambda" => nodes
                .iter()
                .map(|n| tf_op_node_keras2(&parse_call(n)))
                .collect(),
            "MultiHeadAttention" => {
                // tf_keras's from_config pops the build shapes (Keras 3
                // has none): null builds on the first call.
                if let Some(Value::Object(c)) = entry.get_mut("config") {
                    for k in ["query_shape", "key_shape", "value_shape"] {
                        c.entry(k).or_insert(Value::Null);
                    }
                }
                nodes
                    .iter()
                    .map(|n| attention_node_keras2(&parse_call(n)))
                    .collect()
            }
            _ => nodes.iter().map(layer_node_keras2).collect(),
        };
        entry.insert("inbound_nodes".into(), Value::Array(nodes));
        Ok(())
    })
}

/// A `TFOpLambda` call in Keras 2's form: one positional tensor flat
/// (`["x", 0, 0, {"y": 2.0}]`), several as a list (each with the kwargs),
/// a constant first argument as `["_CONSTANT_VALUE", -1, c, kwargs]`.
fn tf_op_node_keras2(call: &Call) -> Value {
    let kw = call.plain_kwargs();
    if let Some(c) = call.kwargs.get("_CONSTANT_VALUE") {
        return json!(["_CONSTANT_VALUE", -1, c, kw]);
    }
    let pos = call.positional();
    match pos.as_slice() {
        [one] => with_kwargs(one, &kw),
        many => Value::Array(many.iter().map(|t| with_kwargs(t, &kw)).collect()),
    }
}

/// A `MultiHeadAttention` call in Keras 2's form: the query positional,
/// `value` / `key` / `attention_mask` as kwargs.
fn attention_node_keras2(call: &Call) -> Value {
    let mut kw = call.plain_kwargs();
    let pos = match call.kwargs.get("_args") {
        Some(Value::Array(_)) => call.op_args(),
        _ => call.positional(),
    };
    for (i, key) in ["value", "key"].iter().enumerate() {
        if let Some(t) = pos.get(i + 1) {
            kw.insert((*key).into(), t.clone());
        }
    }
    let query = pos.first().cloned().unwrap_or(Value::Null);
    json!([with_kwargs(&query, &kw)])
}

/// tf_keras's function for a Keras 3 elementwise binary operation.
fn tf_binary(op: &str) -> Option<&'static str> {
    Some(match op {
        "Add" => "math.add",
        "Subtract" => "math.subtract",
        "Multiply" => "math.multiply",
        "TrueDivide" | "Divide" => "math.truediv",
        "Maximum" => "math.maximum",
        "Minimum" => "math.minimum",
        "Power" => "math.pow",
        "NotEqual" => "math.not_equal",
        "Equal" => "math.equal",
        "Greater" => "math.greater",
        "GreaterEqual" => "math.greater_equal",
        "Less" => "math.less",
        "LessEqual" => "math.less_equal",
        "LogicalOr" => "math.logical_or",
        "LogicalAnd" => "math.logical_and",
        _ => return None,
    })
}

/// tf_keras's function for a Keras 3 elementwise unary operation.
fn tf_unary(op: &str) -> Option<&'static str> {
    Some(match op {
        "Relu" => "nn.relu",
        "Relu6" => "nn.relu6",
        "Sigmoid" => "math.sigmoid",
        "Tanh" => "math.tanh",
        "Exp" => "math.exp",
        "Log" => "math.log",
        "Log1p" => "math.log1p",
        "Abs" | "Absolute" => "math.abs",
        "Negative" => "math.negative",
        "Sqrt" => "math.sqrt",
        "Rsqrt" => "math.rsqrt",
        "Square" => "math.square",
        "Silu" | "Swish" => "nn.silu",
        "Softplus" => "math.softplus",
        "Softsign" => "nn.softsign",
        "Elu" => "nn.elu",
        "Selu" => "nn.selu",
        "Floor" => "math.floor",
        "Ceil" => "math.ceil",
        "LogicalNot" => "math.logical_not",
        _ => return None,
    })
}

fn tf_reduction(op: &str) -> Option<&'static str> {
    Some(match op {
        "Mean" => "math.reduce_mean",
        "Max" => "math.reduce_max",
        "Min" => "math.reduce_min",
        "Sum" => "math.reduce_sum",
        "Any" => "math.reduce_any",
        "All" => "math.reduce_all",
        "Var" => "math.reduce_variance",
        "Std" => "math.reduce_std",
        _ => return None,
    })
}

/// `(class, function, node)` of the tf_keras layer computing Keras 3
/// operation `op` (for `Dot`, `function` is its `axes` as JSON).
fn op_for_tf_keras(
    name: &str,
    op: &str,
    config: Option<&Value>,
    call: &Call,
) -> Result<(&'static str, String, Value)> {
    let class = format!("{OPS_PREFIX}{op}");
    let e = |msg: &str| err(name, &class, msg);
    let cfg = |k: &str| config.and_then(|c| c.get(k)).cloned();
    let args: Vec<Value> = call.op_args().into_iter().map(plain_constant).collect();
    let first = || -> Result<Value> {
        args.first()
            .filter(|a| is_tensor(a))
            .cloned()
            .ok_or_else(|| e("its first argument is not a tensor"))
    };
    let unary_node = |f: &str, kw: Map<String, Value>| -> Result<(&'static str, String, Value)> {
        Ok(("TFOpLambda", f.to_string(), with_kwargs(&first()?, &kw)))
    };
    if let Some(f) = tf_binary(op) {
        let (a, b) = match args.as_slice() {
            [a, b] => (a, b),
            _ => return Err(e("expected two arguments")),
        };
        let node = if is_tensor(a) {
            with_kwargs(a, json!({"y": b, "name": null}).as_object().unwrap())
        } else if is_tensor(b) {
            json!(["_CONSTANT_VALUE", -1, a, {"y": b, "name": null}])
        } else {
            return Err(e("no tensor argument"));
        };
        return Ok(("TFOpLambda", f.to_string(), node));
    }
    if let Some(f) = tf_unary(op) {
        return unary_node(f, Map::new());
    }
    if let Some(f) = tf_reduction(op) {
        let kw = json!({"axis": cfg("axis").unwrap_or(Value::Null),
                        "keepdims": cfg("keepdims").unwrap_or(false.into())});
        return unary_node(f, kw.as_object().cloned().unwrap_or_default());
    }
    let obj = |v: Value| v.as_object().cloned().unwrap_or_default();
    match op {
        "Gelu" => unary_node(
            "nn.gelu",
            obj(json!({"approximate": cfg("approximate").unwrap_or(true.into())})),
        ),
        "Softmax" => unary_node(
            "nn.softmax",
            obj(json!({"axis": cfg("axis").unwrap_or((-1).into())})),
        ),
        "Transpose" => unary_node(
            "compat.v1.transpose",
            obj(json!({"perm": cfg("axes").unwrap_or(Value::Null)})),
        ),
        "Reshape" => unary_node(
            "reshape",
            obj(json!({"shape": cfg("newshape").or_else(|| cfg("new_shape"))})),
        ),
        "Concatenate" => {
            let list = args
                .first()
                .and_then(Value::as_array)
                .filter(|l| l.iter().all(is_tensor))
                .ok_or_else(|| e("expected a list of tensors"))?;
            let kw = obj(json!({"axis": cfg("axis").unwrap_or(0.into())}));
            let node = Value::Array(list.iter().map(|t| with_kwargs(t, &kw)).collect());
            Ok(("TFOpLambda", "concat".into(), node))
        }
        "Matmul" => match args.as_slice() {
            [a, b] if is_tensor(a) && is_tensor(b) => Ok((
                "TFOpLambda",
                "linalg.matmul".into(),
                with_kwargs(a, &obj(json!({"b": b}))),
            )),
            _ => Err(e("expected two tensors")),
        },
        "GetItem" => {
            let key = args.get(1).ok_or_else(|| e("no key"))?;
            let spec = keras2_slice_spec(key);
            let node = with_kwargs(&first()?, &obj(json!({"slice_spec": spec})));
            Ok(("SlicingOpLambda", "__operators__.getitem".into(), node))
        }
        "Einsum" => {
            let eq = cfg("subscripts")
                .and_then(|s| s.as_str().map(str::to_string))
                .unwrap_or_default();
            let axes = einsum_as_dot(&eq).ok_or_else(|| {
                e(&format!(
                    "einsum {eq:?} has no tf_keras equivalent (tf_keras cannot load tf.einsum \
                     calls: their operands are not saved; only batched two-operand \
                     contractions over one axis export, as a Dot layer)"
                ))
            })?;
            match args.as_slice() {
                [a, b] if is_tensor(a) && is_tensor(b) => Ok((
                    "Dot",
                    json!(axes).to_string(),
                    json!([with_kwargs(a, &Map::new()), with_kwargs(b, &Map::new())]),
                )),
                _ => Err(e("expected two tensors")),
            }
        }
        "Stack" => {
            let list = args
                .first()
                .and_then(Value::as_array)
                .filter(|l| l.iter().all(is_tensor))
                .ok_or_else(|| e("expected a list of tensors"))?;
            let kw = obj(json!({"axis": cfg("axis").unwrap_or(0.into())}));
            let node = Value::Array(list.iter().map(|t| with_kwargs(t, &kw)).collect());
            Ok(("TFOpLambda", "stack".into(), node))
        }
        "ExpandDims" => match cfg("axis") {
            Some(Value::Array(a)) if a.len() != 1 => Err(e("tf.expand_dims takes one axis")),
            Some(Value::Array(a)) => unary_node("expand_dims", obj(json!({"axis": a[0]}))),
            axis => unary_node("expand_dims", obj(json!({"axis": axis}))),
        },
        "Cast" => unary_node("cast", obj(json!({"dtype": cfg("dtype")}))),
        "ConvertToTensor" => match cfg("dtype").filter(|d| !d.is_null()) {
            Some(dtype) => unary_node("cast", obj(json!({"dtype": dtype}))),
            None => unary_node("identity", Map::new()),
        },
        "ZerosLike" | "OnesLike" => {
            let f = if op == "ZerosLike" {
                "zeros_like"
            } else {
                "ones_like"
            };
            unary_node(
                f,
                obj(json!({"dtype": cfg("dtype").unwrap_or(Value::Null)})),
            )
        }
        "Logsumexp" => unary_node(
            "math.reduce_logsumexp",
            obj(json!({"axis": cfg("axis").unwrap_or(Value::Null),
                       "keepdims": cfg("keepdims").unwrap_or(false.into())})),
        ),
        "Cumsum" => match cfg("axis").filter(|a| !a.is_null()) {
            Some(axis) => unary_node("math.cumsum", obj(json!({"axis": axis}))),
            None => Err(e(
                "a cumulative sum over the flattened tensor (axis=None) has no \
                           tf.math.cumsum equivalent",
            )),
        },
        "Clip" => unary_node(
            "clip_by_value",
            obj(json!({"clip_value_min": cfg("x_min"), "clip_value_max": cfg("x_max")})),
        ),
        "Take" => {
            let axis = cfg("axis").filter(|a| !a.is_null()).ok_or_else(|| {
                e("taking from the flattened tensor (axis=None) has no tf.gather equivalent")
            })?;
            let indices = args.get(1).cloned().ok_or_else(|| e("no indices"))?;
            unary_node("gather", obj(json!({"indices": indices, "axis": axis})))
        }
        "Where" => match args.as_slice() {
            [c, a, b] if is_tensor(c) => Ok((
                "TFOpLambda",
                "where".into(),
                with_kwargs(c, &obj(json!({"x": a, "y": b, "name": null}))),
            )),
            _ => Err(e("expected a condition tensor and two values")),
        },
        "Split" => match cfg("indices_or_sections") {
            Some(n @ Value::Number(_)) => unary_node(
                "split",
                obj(json!({"num_or_size_splits": n, "axis": cfg("axis").unwrap_or(0.into())})),
            ),
            _ => Err(e(
                "split indices (not a number of equal sections) have no tf.split \
                        equivalent without the axis's size",
            )),
        },
        "HardSigmoid" | "HardSilu" | "HardSwish" => Err(e(
            "tf_keras has no tf.* function for it (no hard_sigmoid/hard_silu in TensorFlow); \
             export to .keras instead",
        )),
        _ => Err(e("this operation has no tf_keras equivalent here")),
    }
}

/// Keras 3 `__slice__` objects → Keras 2 `{start, stop, step}`.
fn keras2_slice_spec(key: &Value) -> Value {
    match key {
        Value::Array(a) => Value::Array(a.iter().map(keras2_slice_spec).collect()),
        Value::Object(o) if o.get("class_name").and_then(Value::as_str) == Some("__slice__") => {
            o.get("config").cloned().unwrap_or(Value::Null)
        }
        other => other.clone(),
    }
}

/// `[axis_a, axis_b]` of a `Dot` computing `eq` (`bij,bkj->bik`): two
/// operands sharing their first (batch) letter, one contracted letter, the
/// output the batch letter then the other letters of each operand in order.
fn einsum_as_dot(eq: &str) -> Option<[usize; 2]> {
    let (lhs, out) = eq
        .replace(' ', "")
        .split_once("->")
        .map(|(a, b)| (a.to_string(), b.to_string()))?;
    let (a, b) = lhs.split_once(',')?;
    let (a, b, out): (Vec<char>, Vec<char>, Vec<char>) = (
        a.chars().collect(),
        b.chars().collect(),
        out.chars().collect(),
    );
    if a.len() < 2 || b.len() < 2 || a[0] != b[0] || out.first() != Some(&a[0]) {
        return None;
    }
    let shared: Vec<char> = a[1..]
        .iter()
        .filter(|c| b[1..].contains(c))
        .copied()
        .collect();
    let [c] = shared.as_slice() else { return None };
    let ia = a.iter().position(|x| x == c)?;
    let ib = b.iter().position(|x| x == c)?;
    let mut want = vec![a[0]];
    want.extend(a[1..].iter().filter(|x| *x != c));
    want.extend(b[1..].iter().filter(|x| *x != c));
    (want == out).then_some([ia, ib])
}

// ---------------------------------------------------------------- Keras 3

/// A Keras 3 `__keras_tensor__` for `[layer, node, tensor]` (its shape and
/// dtype are placeholders: Keras replaces it with the tensor it names).
fn keras_tensor(t: &Value) -> Value {
    json!({"class_name": "__keras_tensor__",
           "config": {"shape": [], "dtype": "float32", "keras_history": t}})
}

/// Every tensor reference in `v` as a `__keras_tensor__`.
fn keras3_value(v: &Value) -> Value {
    if is_tensor(v) {
        return keras_tensor(v);
    }
    match v {
        Value::Array(a) => Value::Array(a.iter().map(keras3_value).collect()),
        other => other.clone(),
    }
}

fn keras3_node(args: &[Value], kwargs: &Map<String, Value>) -> Value {
    let kwargs: Map<String, Value> = kwargs
        .iter()
        .map(|(k, v)| (k.clone(), keras3_value(v)))
        .collect();
    json!({"args": args.iter().map(keras3_value).collect::<Vec<_>>(), "kwargs": kwargs})
}

/// Rewrites the calls of `config` (a functional model's config) for Keras 3.
pub(super) fn for_keras3(config: &mut Value) -> Result<()> {
    each_layer(config, &mut |entry| {
        let class = entry_class(entry);
        let name = entry_name(entry);
        let nodes = nodes_of(entry);
        if let Some(op) = class.strip_prefix(OPS_PREFIX) {
            let op = op.to_string();
            let module = keras3_module(&op)
                .ok_or_else(|| err(&name, &class, "Keras 3 has no operation of this name"))?;
            let op = match op.as_str() {
                "Swish" => "Silu".to_string(),
                "HardSwish" => "HardSilu".to_string(),
                _ => op,
            };
            let mut config = match entry.get("config") {
                Some(Value::Object(c)) => c.clone(),
                _ => Map::new(),
            };
            config.insert("name".into(), name.clone().into());
            let new_nodes = nodes
                .iter()
                .map(|n| {
                    let call = parse_call(n);
                    keras3_node(&call.op_args(), &call.plain_kwargs())
                })
                .collect();
            set_operation(entry, module, &op, config, new_nodes);
            return Ok(());
        }
        match class.as_str() {
            "TFOpLambda" | "SlicingOpLambda" => {
                let function = entry
                    .get("config")
                    .and_then(|c| c.get("function"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let mut target = None;
                let mut new_nodes = Vec::new();
                for n in &nodes {
                    let op = tf_op_for_keras3(&name, &class, &function, &parse_call(n))?;
                    new_nodes.push(keras3_node(&op.args, &op.kwargs));
                    target = Some(op);
                }
                let Some(op) = target else { return Ok(()) };
                let mut config = op.config;
                config.insert("name".into(), name.clone().into());
                if op.module == "keras.layers" {
                    entry.insert("class_name".into(), op.class.into());
                    config.insert("trainable".into(), true.into());
                    config.insert("dtype".into(), "float32".into());
                    entry.insert("config".into(), Value::Object(config));
                    entry.insert("inbound_nodes".into(), Value::Array(new_nodes));
                } else {
                    set_operation(entry, op.module, op.class, config, new_nodes);
                }
                Ok(())
            }
            "MultiHeadAttention" => {
                let new_nodes = nodes
                    .iter()
                    .map(|n| {
                        let call = parse_call(n);
                        let args = match call.kwargs.get("_args") {
                            Some(Value::Array(_)) => call.op_args(),
                            _ => call.positional(),
                        };
                        keras3_node(&args, &call.plain_kwargs())
                    })
                    .collect();
                entry.insert("inbound_nodes".into(), Value::Array(new_nodes));
                Ok(())
            }
            _ => {
                let new_nodes = nodes
                    .iter()
                    .map(|n| layer_call_for_keras3(&class, n))
                    .collect();
                entry.insert("inbound_nodes".into(), Value::Array(new_nodes));
                Ok(())
            }
        }
    })
}

/// Layers whose extra inputs are initial states (`initial_state=` in Keras 3,
/// positional after the sequence in Keras 2's node lists).
const RECURRENT: &[&str] = &[
    "LSTM",
    "GRU",
    "SimpleRNN",
    "RNN",
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
];

/// A layer's call in Keras 3's form: one input as the only argument,
/// several as one list (`Add()([a, b])`), a recurrent layer's states as
/// `initial_state`. A node already in that form is kept.
fn layer_call_for_keras3(class: &str, node: &Value) -> Value {
    if node.is_object() {
        return node.clone();
    }
    let call = parse_call(node);
    let mut kwargs = call.plain_kwargs();
    let inputs = call.positional();
    let args = match inputs.as_slice() {
        [] => Vec::new(),
        [one] => vec![one.clone()],
        [first, states @ ..] if RECURRENT.contains(&class) => {
            kwargs.insert("initial_state".into(), Value::Array(states.to_vec()));
            vec![first.clone()]
        }
        many => vec![Value::Array(many.to_vec())],
    };
    keras3_node(&args, &kwargs)
}

fn set_operation(
    entry: &mut Map<String, Value>,
    module: &str,
    class: &str,
    config: Map<String, Value>,
    nodes: Vec<Value>,
) {
    entry.insert("module".into(), module.into());
    entry.insert("class_name".into(), class.into());
    entry.insert("registered_name".into(), class.into());
    entry.insert("config".into(), Value::Object(config));
    entry.insert("inbound_nodes".into(), Value::Array(nodes));
}

/// The `keras.src.ops` module defining Keras 3 operation class `op`.
fn keras3_module(op: &str) -> Option<&'static str> {
    const NN: &[&str] = &[
        "Relu",
        "Relu6",
        "Sigmoid",
        "Silu",
        "Swish",
        "Softplus",
        "Softsign",
        "Elu",
        "Selu",
        "HardSigmoid",
        "HardSilu",
        "HardSwish",
        "Gelu",
        "Softmax",
        "LogSoftmax",
        "LeakyRelu",
        "MaxPool",
        "AveragePool",
        "Normalize",
    ];
    const NUMPY: &[&str] = &[
        "Add",
        "Subtract",
        "Multiply",
        "TrueDivide",
        "Divide",
        "Maximum",
        "Minimum",
        "Power",
        "NotEqual",
        "Equal",
        "Greater",
        "GreaterEqual",
        "Less",
        "LessEqual",
        "LogicalOr",
        "LogicalAnd",
        "LogicalNot",
        "Tanh",
        "Exp",
        "Log",
        "Log1p",
        "Abs",
        "Absolute",
        "Negative",
        "Sqrt",
        "Square",
        "Floor",
        "Ceil",
        "Mean",
        "Max",
        "Min",
        "Sum",
        "Any",
        "All",
        "Transpose",
        "Var",
        "Std",
        "Reshape",
        "Concatenate",
        "Matmul",
        "GetItem",
        "Einsum",
        "Clip",
        "ExpandDims",
        "Squeeze",
        "Stack",
        "Tile",
        "Pad",
        "Split",
        "Round",
        "Sin",
        "Cos",
        "Reciprocal",
        "ZerosLike",
        "OnesLike",
        "Where",
        "Cumsum",
        "Take",
    ];
    if NN.contains(&op) {
        Some("keras.src.ops.nn")
    } else if NUMPY.contains(&op) {
        Some("keras.src.ops.numpy")
    } else if matches!(op, "Cast" | "ConvertToTensor") {
        Some("keras.src.ops.core")
    } else if matches!(op, "Rsqrt" | "Logsumexp") {
        Some("keras.src.ops.math")
    } else if op == "Resize" {
        Some("keras.src.ops.image")
    } else {
        None
    }
}

/// A Keras 3 operation (or layer, module `keras.layers`) and its call.
struct Keras3Op {
    module: &'static str,
    class: &'static str,
    config: Map<String, Value>,
    args: Vec<Value>,
    kwargs: Map<String, Value>,
}

/// A list of numbers as the NumPy array Keras 3 saves for it
/// (`{"class_name": "__numpy__", …}`): its element-wise operations take
/// arrays, not Python lists ("Invalid dtype: list"). Anything else as is.
fn numpy_array(v: Value) -> Value {
    fn numbers(v: &Value, ints: &mut bool) -> bool {
        match v {
            Value::Number(n) => {
                *ints &= !n.is_f64();
                true
            }
            Value::Array(a) => a.iter().all(|x| numbers(x, ints)),
            _ => false,
        }
    }
    let mut ints = true;
    if !v.is_array() || !numbers(&v, &mut ints) {
        return v;
    }
    let dtype = if ints { "int32" } else { "float32" };
    json!({"class_name": "__numpy__", "config": {"value": v, "dtype": dtype}})
}

/// A constant as tf_keras's `TFOpLambda` takes it: the value of a Keras 3
/// array (`__numpy__` / `__tensor__`), anything else as is.
fn plain_constant(v: Value) -> Value {
    let is_array = matches!(
        v.get("class_name").and_then(Value::as_str),
        Some("__numpy__" | "__tensor__")
    );
    match v.pointer("/config/value") {
        Some(value) if is_array => value.clone(),
        _ => v,
    }
}

fn keras3_binary(function: &str) -> Option<&'static str> {
    Some(match function {
        "__operators__.add" | "math.add" | "add" => "Add",
        "math.subtract" | "subtract" | "__operators__.sub" => "Subtract",
        "math.multiply" | "multiply" | "__operators__.mul" => "Multiply",
        "math.truediv" | "math.divide" | "truediv" | "__operators__.truediv" => "TrueDivide",
        "math.maximum" | "maximum" => "Maximum",
        "math.minimum" | "minimum" => "Minimum",
        "math.pow" | "pow" | "__operators__.pow" => "Power",
        "math.not_equal" => "NotEqual",
        "math.equal" => "Equal",
        "math.greater" => "Greater",
        "math.greater_equal" => "GreaterEqual",
        "math.less" => "Less",
        "math.less_equal" => "LessEqual",
        "math.logical_or" => "LogicalOr",
        "math.logical_and" => "LogicalAnd",
        _ => return None,
    })
}

fn keras3_unary(function: &str) -> Option<&'static str> {
    Some(match function {
        "math.abs" | "abs" => "Absolute",
        "math.negative" | "negative" | "__operators__.neg" => "Negative",
        "math.exp" | "exp" => "Exp",
        "math.log" | "log" => "Log",
        "math.log1p" => "Log1p",
        "math.sqrt" | "sqrt" => "Sqrt",
        "math.rsqrt" => "Rsqrt",
        "math.square" | "square" => "Square",
        "math.reciprocal" => "Reciprocal",
        "math.sigmoid" | "nn.sigmoid" | "sigmoid" => "Sigmoid",
        "math.tanh" | "nn.tanh" | "tanh" => "Tanh",
        "math.softplus" | "nn.softplus" => "Softplus",
        "math.softsign" | "nn.softsign" => "Softsign",
        "nn.relu" | "math.relu" => "Relu",
        "nn.relu6" => "Relu6",
        "nn.silu" | "nn.swish" | "math.silu" => "Silu",
        "nn.elu" => "Elu",
        "nn.selu" => "Selu",
        "math.floor" | "floor" => "Floor",
        "math.ceil" => "Ceil",
        "math.round" => "Round",
        "math.sin" => "Sin",
        "math.cos" => "Cos",
        "math.logical_not" => "LogicalNot",
        _ => return None,
    })
}

fn keras3_reduction(function: &str) -> Option<&'static str> {
    Some(match function {
        "math.reduce_mean" | "reduce_mean" => "Mean",
        "math.reduce_sum" | "reduce_sum" => "Sum",
        "math.reduce_max" | "reduce_max" => "Max",
        "math.reduce_min" | "reduce_min" => "Min",
        "math.reduce_std" => "Std",
        "math.reduce_variance" => "Var",
        "math.reduce_any" | "reduce_any" => "Any",
        "math.reduce_all" | "reduce_all" => "All",
        _ => return None,
    })
}

/// The Keras 3 operation computing `tf.<function>` of a `TFOpLambda` call.
fn tf_op_for_keras3(name: &str, class: &str, function: &str, call: &Call) -> Result<Keras3Op> {
    let e = |msg: String| err(name, class, format!("tf.{function}: {msg}"));
    let kw = call.plain_kwargs();
    let get = |k: &str| kw.get(k).filter(|v| !v.is_null()).cloned();
    let pos = call.positional();
    // The first argument: a constant (`1.0 / x`) or the positional tensor.
    let x = match call.kwargs.get("_CONSTANT_VALUE") {
        Some(c) => c.clone(),
        None => pos
            .first()
            .cloned()
            .ok_or_else(|| e("the call has no tensor".into()))?,
    };
    let obj = |v: Value| v.as_object().cloned().unwrap_or_default();
    let op = |module: &'static str, class: &'static str, config: Value, args: Vec<Value>| {
        Ok(Keras3Op {
            module,
            class,
            config: obj(config),
            args,
            kwargs: Map::new(),
        })
    };
    let numpy = "keras.src.ops.numpy";
    let nn = "keras.src.ops.nn";
    if let Some(c) = keras3_binary(function) {
        let y = get("y").ok_or_else(|| e("no `y` argument".into()))?;
        return op(numpy, c, json!({}), vec![numpy_array(x), numpy_array(y)]);
    }
    if let Some(c) = keras3_unary(function) {
        let module = keras3_module(c).unwrap_or(numpy);
        let config = match c {
            "Elu" => json!({"alpha": 1.0}),
            "Round" => json!({"decimals": 0}),
            _ => json!({}),
        };
        return op(module, c, config, vec![x]);
    }
    if let Some(c) = keras3_reduction(function) {
        let keepdims = get("keepdims").unwrap_or(false.into());
        let config = json!({"axis": get("axis"), "keepdims": keepdims});
        return op(numpy, c, config, vec![x]);
    }
    // A list of the positional tensors (`tf.concat([a, b], axis)`).
    let list = || Value::Array(pos.clone());
    let axis = |default: i64| get("axis").unwrap_or(default.into());
    match function {
        "identity" => op("keras.layers", "Identity", json!({}), vec![x]),
        "nn.gelu" => op(
            nn,
            "Gelu",
            json!({"approximate": get("approximate").unwrap_or(false.into())}),
            vec![x],
        ),
        "nn.leaky_relu" => op(
            nn,
            "LeakyRelu",
            json!({"negative_slope": get("alpha").unwrap_or(0.2.into())}),
            vec![x],
        ),
        "nn.softmax" | "math.softmax" => op(nn, "Softmax", json!({"axis": axis(-1)}), vec![x]),
        "nn.log_softmax" | "math.log_softmax" => {
            op(nn, "LogSoftmax", json!({"axis": axis(-1)}), vec![x])
        }
        "clip_by_value" => {
            let (lo, hi) = (get("clip_value_min"), get("clip_value_max"));
            if lo.as_ref().is_some_and(is_tensor) || hi.as_ref().is_some_and(is_tensor) {
                return Err(e("tensor clip bounds have no Keras 3 equivalent here".into()));
            }
            op(numpy, "Clip", json!({"x_min": lo, "x_max": hi}), vec![x])
        }
        "math.l2_normalize" | "nn.l2_normalize" | "linalg.l2_normalize" => op(
            nn,
            "Normalize",
            json!({"axis": axis(-1), "order": 2,
                   "epsilon": get("epsilon").unwrap_or(1e-12.into())}),
            vec![x],
        ),
        "concat" => op(numpy, "Concatenate", json!({"axis": axis(0)}), vec![list()]),
        "stack" => op(numpy, "Stack", json!({"axis": axis(0)}), vec![list()]),
        "nn.max_pool2d" | "nn.max_pool" | "nn.avg_pool2d" | "nn.avg_pool" => {
            let spatial = |v: Option<Value>| match v {
                Some(Value::Array(a)) if a.len() == 4 => Value::Array(a[1..3].to_vec()),
                Some(v) => v,
                None => Value::Null,
            };
            let padding = get("padding")
                .and_then(|p| p.as_str().map(str::to_lowercase))
                .unwrap_or("valid".into());
            let class = if function.contains("max") {
                "MaxPool"
            } else {
                "AveragePool"
            };
            op(
                nn,
                class,
                json!({"pool_size": spatial(get("ksize")), "strides": spatial(get("strides")),
                       "padding": padding, "data_format": "channels_last"}),
                vec![x],
            )
        }
        "image.resize" => {
            if get("preserve_aspect_ratio") == Some(true.into()) {
                return Err(e("preserve_aspect_ratio has no Keras 3 equivalent".into()));
            }
            let method = get("method")
                .and_then(|m| m.as_str().map(str::to_string))
                .unwrap_or("bilinear".into());
            op(
                "keras.src.ops.image",
                "Resize",
                json!({"size": get("size"), "interpolation": method,
                       "antialias": get("antialias").unwrap_or(false.into()),
                       "data_format": "channels_last"}),
                vec![x],
            )
        }
        "reshape" | "compat.v1.reshape" => {
            op(numpy, "Reshape", json!({"newshape": get("shape")}), vec![x])
        }
        "transpose" | "compat.v1.transpose" => {
            if get("conjugate") == Some(true.into()) {
                return Err(e("conjugate=True has no Keras 3 equivalent".into()));
            }
            op(numpy, "Transpose", json!({"axes": get("perm")}), vec![x])
        }
        "linalg.matmul" | "matmul" => {
            for flag in ["transpose_a", "transpose_b", "adjoint_a", "adjoint_b"] {
                if get(flag) == Some(true.into()) {
                    return Err(e(format!("{flag}=True has no Keras 3 equivalent here")));
                }
            }
            let b = get("b")
                .or_else(|| pos.get(1).cloned())
                .ok_or_else(|| e("no `b` argument".into()))?;
            op(numpy, "Matmul", json!({}), vec![x, b])
        }
        "__operators__.getitem" => {
            let spec = get("slice_spec").ok_or_else(|| e("no slice_spec".into()))?;
            op(numpy, "GetItem", json!({}), vec![x, keras3_slice_key(&spec)])
        }
        "cast" | "dtypes.cast" => op(
            "keras.src.ops.core",
            "Cast",
            json!({"dtype": get("dtype")}),
            vec![x],
        ),
        "where" | "where_v2" => {
            let (a, b) = (
                get("x").or_else(|| pos.get(1).cloned()),
                get("y").or_else(|| pos.get(2).cloned()),
            );
            let (Some(a), Some(b)) = (a, b) else {
                return Err(e("tf.where without x and y (the indices of true \
                              elements) has no Keras 3 equivalent"
                    .into()));
            };
            op(numpy, "Where", json!({}), vec![x, numpy_array(a), numpy_array(b)])
        }
        "math.reduce_logsumexp" | "reduce_logsumexp" => {
            let keepdims = get("keepdims").unwrap_or(false.into());
            op(
                "keras.src.ops.math",
                "Logsumexp",
                json!({"axis": get("axis"), "keepdims": keepdims}),
                vec![x],
            )
        }
        "math.cumsum" | "cumsum" => {
            for flag in ["exclusive", "reverse"] {
                if get(flag) == Some(true.into()) {
                    return Err(e(format!("{flag}=True has no Keras 3 equivalent")));
                }
            }
            op(numpy, "Cumsum", json!({"axis": axis(0), "dtype": null}), vec![x])
        }
        "gather" | "compat.v1.gather" => {
            if get("batch_dims").is_some_and(|b| b.as_i64() != Some(0)) {
                return Err(e("batch_dims has no Keras 3 equivalent".into()));
            }
            let indices = get("indices")
                .or_else(|| pos.get(1).cloned())
                .ok_or_else(|| e("no `indices` argument".into()))?;
            op(numpy, "Take", json!({"axis": axis(0)}), vec![x, indices])
        }
        "expand_dims" | "compat.v1.expand_dims" => {
            op(numpy, "ExpandDims", json!({"axis": get("axis")}), vec![x])
        }
        "squeeze" | "compat.v1.squeeze" => {
            op(numpy, "Squeeze", json!({"axis": get("axis")}), vec![x])
        }
        "tile" => op(numpy, "Tile", json!({"repeats": get("multiples")}), vec![x]),
        "pad" | "compat.v1.pad" => {
            let mode = get("mode")
                .and_then(|m| m.as_str().map(str::to_lowercase))
                .unwrap_or("constant".into());
            let mut o = op(
                numpy,
                "Pad",
                json!({"pad_width": get("paddings"), "mode": mode}),
                vec![x],
            )?;
            if let Some(c) = get("constant_values").filter(|c| c.as_f64() != Some(0.0)) {
                o.kwargs.insert("constant_values".into(), c);
            }
            Ok(o)
        }
        "split" => {
            let sections = match get("num_or_size_splits") {
                Some(Value::Array(sizes)) => {
                    // tf.split takes sizes; Keras 3 (numpy) the split indices.
                    let mut at = 0i64;
                    let mut idx = Vec::new();
                    for s in &sizes[..sizes.len().saturating_sub(1)] {
                        at += s.as_i64().ok_or_else(|| e("sizes must be integers".into()))?;
                        idx.push(at);
                    }
                    json!(idx)
                }
                Some(v) => v,
                None => return Err(e("no num_or_size_splits".into())),
            };
            op(
                numpy,
                "Split",
                json!({"indices_or_sections": sections, "axis": axis(0)}),
                vec![x],
            )
        }
        _ => Err(e(
            "Keras 3 has no TFOpLambda and this export maps no keras.ops operation to this function"
                .into(),
        )),
    }
}

/// Keras 2 `slice_spec` (`{start, stop, step}` dicts, integers) → the
/// Keras 3 `GetItem` key (`__slice__` objects).
fn keras3_slice_key(spec: &Value) -> Value {
    match spec {
        Value::Array(a) => Value::Array(a.iter().map(keras3_slice_key).collect()),
        Value::Object(o)
            if o.contains_key("start") || o.contains_key("stop") || o.contains_key("step") =>
        {
            json!({"class_name": "__slice__", "config": {
                "start": o.get("start").cloned().unwrap_or(Value::Null),
                "stop": o.get("stop").cloned().unwrap_or(Value::Null),
                "step": o.get("step").cloned().unwrap_or(Value::Null)}})
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn einsum_batch_contractions_are_dots() {
        assert_eq!(einsum_as_dot("bij,bkj->bik"), Some([2, 2]));
        assert_eq!(einsum_as_dot("bij,bjk->bik"), Some([2, 1]));
        assert_eq!(einsum_as_dot("bij,bjk->bki"), None);
        assert_eq!(einsum_as_dot("ij,jk->ik"), None);
    }
}

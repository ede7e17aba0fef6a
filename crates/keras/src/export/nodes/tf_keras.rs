//! Calls for tf_keras (`.h5`): Keras 2's own node form, Keras 3 operations
//! as the `TFOpLambda` / `SlicingOpLambda` / `Dot` layers tf_keras writes.

use super::*;

/// Rewrites the calls of `config` (a functional model's config) for
/// tf_keras.
pub(in crate::export) fn for_tf_keras(config: &mut Value) -> Result<()> {
    each_layer(config, &mut |entry, layer| {
        let Layer { class, name, nodes } = layer;
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
            _ => nodes
                .iter()
                .map(|n| layer_node_keras2(&name, &class, entry, n))
                .collect::<Result<Vec<_>>>()?,
        };
        entry.insert("inbound_nodes".into(), Value::Array(nodes));
        Ok(())
    })
}

/// A call of layer `name` (entry `entry`) as Keras 2 writes it: each
/// input `[layer, node, tensor, kwargs]` with the call's kwargs, without
/// the engine's own (`_args`, kept from a Keras 3 call). tf_keras takes
/// the kwargs of the last input, so a Keras 3 `Attention([q, v],
/// use_causal_mask=True)` the engine saved with its kwargs on the first
/// input only would lose its mask. An RNN over stacked cells gets its
/// initial states one list per cell (`[x, h1, [h2, c2]]`).
fn layer_node_keras2(
    name: &str,
    class: &str,
    entry: &Map<String, Value>,
    node: &Value,
) -> Result<Value> {
    if !node.is_array() {
        return Ok(node.clone());
    }
    let call = parse_call(node);
    let kw = call.plain_kwargs();
    let inputs: Vec<Value> = call
        .positional()
        .iter()
        .map(|t| with_kwargs(t, &kw))
        .collect();
    Ok(Value::Array(match inputs.split_first() {
        Some((first, states)) => std::iter::once(first.clone())
            .chain(states_per_cell(name, class, entry, states)?)
            .collect(),
        None => inputs,
    }))
}

/// A `TFOpLambda` call in Keras 2's form: one positional tensor flat
/// (`["x", 0, 0, {"y": 2.0}]`), several as a list (each with the kwargs),
/// a constant first argument as `["_CONSTANT_VALUE", -1, c, kwargs]`, a
/// list first argument mixing tensors and constants element by element.
fn tf_op_node_keras2(call: &Call) -> Value {
    let kw = call.plain_kwargs();
    if let Some(c) = call.kwargs.get("_CONSTANT_VALUE") {
        return json!(["_CONSTANT_VALUE", -1, c, kw]);
    }
    if let Some(Value::Array(list)) = call.kwargs.get(tfjs_format::topology::FIRST_ARG_KWARG) {
        return list
            .iter()
            .map(|v| match is_tensor(v) {
                true => with_kwargs(v, &kw),
                false => json!(["_CONSTANT_VALUE", -1, v, kw]),
            })
            .collect();
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
        // numpy's mod and TensorFlow's floormod: the divisor's sign.
        "Mod" => "math.floormod",
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
        "Sin" => "math.sin",
        "Cos" => "math.cos",
        "Reciprocal" => "math.reciprocal",
        "Erf" => "math.erf",
        "Sign" => "math.sign",
        "Arctan" => "math.atan",
        "LogSigmoid" => "math.log_sigmoid",
        // Both round half to even.
        "Round" => "math.round",
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
        "Prod" => "math.reduce_prod",
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
    // Parameters the tf.* function has no argument for.
    let set =
        |k: &str, default: f64| cfg(k).filter(|v| !v.is_null() && v.as_f64() != Some(default));
    let unmapped = match op {
        "Elu" => set("alpha", 1.0).map(|v| format!("alpha {v} (tf.nn.elu has none)")),
        "Round" => set("decimals", 0.0).map(|v| format!("decimals {v} (tf.math.round has none)")),
        "Max" | "Min" => cfg("initial")
            .filter(|v| !v.is_null())
            .map(|v| format!("initial {v} (tf.math.reduce_max / reduce_min have none)")),
        _ => None,
    };
    if let Some(why) = unmapped {
        return Err(e(&format!("its {why} has no tf_keras equivalent here")));
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
        "Concatenate" | "Stack" => {
            let list = args
                .first()
                .and_then(Value::as_array)
                .filter(|l| l.iter().all(is_tensor))
                .ok_or_else(|| e("expected a list of tensors"))?;
            let kw = obj(json!({"axis": cfg("axis").unwrap_or(0.into())}));
            let node = Value::Array(list.iter().map(|t| with_kwargs(t, &kw)).collect());
            let f = if op == "Stack" { "stack" } else { "concat" };
            Ok(("TFOpLambda", f.into(), node))
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
        "Norm" => match (cfg("ord").filter(|o| !o.is_null()), cfg("axis")) {
            (None, Some(axis))
                if axis.is_i64() || axis.as_array().is_some_and(|a| a.len() == 1) =>
            {
                unary_node(
                    "math.reduce_euclidean_norm",
                    obj(json!({"axis": axis, "keepdims": cfg("keepdims").unwrap_or(false.into())})),
                )
            }
            _ => Err(e(
                "only a 2-norm over one axis has a tf_keras equivalent here",
            )),
        },
        "Squeeze" => unary_node("squeeze", obj(json!({"axis": cfg("axis")}))),
        "Pad" => {
            let mode = cfg("mode")
                .and_then(|m| m.as_str().map(str::to_uppercase))
                .unwrap_or("CONSTANT".into());
            unary_node(
                "pad",
                obj(json!({"paddings": cfg("pad_width"), "mode": mode,
                           "constant_values": call.plain_kwargs().get("constant_values")
                               .filter(|v| !v.is_null()).cloned().unwrap_or(0.into())})),
            )
        }
        "Repeat" => match cfg("axis").filter(|a| !a.is_null()) {
            Some(axis) => unary_node(
                "repeat",
                obj(json!({"repeats": cfg("repeats"), "axis": axis})),
            ),
            None => Err(e(
                "repeating the flattened tensor (axis=None) has no tf.repeat \
                           equivalent here",
            )),
        },
        "Flip" => match cfg("axis").filter(|a| !a.is_null()) {
            Some(Value::Array(axes)) => unary_node("reverse", obj(json!({"axis": axes}))),
            Some(axis) => unary_node("reverse", obj(json!({"axis": [axis]}))),
            None => Err(e(
                "flipping every axis (axis=None) has no tf.reverse equivalent \
                           without the tensor's rank",
            )),
        },
        "Tile" => unary_node("tile", obj(json!({"multiples": cfg("repeats")}))),
        "HardTanh" => unary_node(
            "clip_by_value",
            obj(json!({"clip_value_min": -1.0, "clip_value_max": 1.0})),
        ),
        "Argmax" => {
            if cfg("keepdims") == Some(true.into()) {
                return Err(e("keepdims=True has no tf.math.argmax equivalent"));
            }
            match cfg("axis").filter(|a| !a.is_null()) {
                Some(axis) => unary_node("math.argmax", obj(json!({"axis": axis}))),
                None => Err(e("an argmax over the flattened tensor (axis=None) has no \
                               tf.math.argmax equivalent")),
            }
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
        "Sort" => unary_node(
            "sort",
            obj(json!({"axis": cfg("axis").unwrap_or((-1).into()), "direction": "ASCENDING"})),
        ),
        "TopK" => unary_node(
            "math.top_k",
            obj(json!({"k": cfg("k"), "sorted": cfg("sorted").unwrap_or(true.into())})),
        ),
        // tril(k) keeps j - i <= k, triu(k) keeps j - i >= k: band_part
        // with a negative count for the unbounded side.
        "Tril" | "Triu" => {
            let k = cfg("k").and_then(|k| k.as_i64()).unwrap_or(0);
            let (lower, upper) = if op == "Tril" { (-1, k) } else { (-k, -1) };
            if lower < -1 || upper < -1 || (op == "Tril" && k < 0) || (op == "Triu" && k > 0) {
                return Err(e(&format!(
                    "{}(k={k}) cuts into the diagonal band's far side, which \
                     tf.linalg.band_part cannot express",
                    op.to_lowercase()
                )));
            }
            unary_node(
                "linalg.band_part",
                obj(json!({"num_lower": lower, "num_upper": upper})),
            )
        }
        "Moveaxis" => unary_node(
            "experimental.numpy.moveaxis",
            obj(json!({"source": cfg("source"), "destination": cfg("destination")})),
        ),
        "OneHot" => {
            if cfg("axis").and_then(|a| a.as_i64()).unwrap_or(-1) != -1 {
                return Err(e(
                    "one_hot along an axis other than the last is not exported",
                ));
            }
            unary_node(
                "one_hot",
                obj(
                    json!({"depth": cfg("num_classes"), "on_value": 1.0, "off_value": 0.0,
                           "dtype": cfg("dtype").unwrap_or("float32".into())}),
                ),
            )
        }
        "Resize" => {
            for key in ["crop_to_aspect_ratio", "pad_to_aspect_ratio"] {
                if cfg(key) == Some(true.into()) {
                    return Err(e(&format!("{key}=True is not exported")));
                }
            }
            if cfg("data_format") == Some("channels_first".into()) {
                return Err(e("channels_first has no tf.image.resize equivalent"));
            }
            unary_node(
                "image.resize",
                obj(json!({"size": cfg("size"),
                           "method": cfg("interpolation").unwrap_or("bilinear".into()),
                           "antialias": cfg("antialias").unwrap_or(false.into())})),
            )
        }
        "CountNonzero" => unary_node(
            "math.count_nonzero",
            obj(json!({"axis": cfg("axis").unwrap_or(Value::Null), "dtype": "int32"})),
        ),
        "Diagonal" => {
            let axis = |k: &str, d: i64| cfg(k).and_then(|a| a.as_i64()).unwrap_or(d);
            if (axis("axis1", 0), axis("axis2", 1)) != (-2, -1) {
                return Err(e(
                    "only a diagonal of the last two axes (axis1=-2, axis2=-1) has a \
                     tf.linalg.diag_part equivalent here",
                ));
            }
            unary_node(
                "linalg.diag_part",
                obj(json!({"k": cfg("offset").unwrap_or(0.into())})),
            )
        }
        "SegmentSum" | "SegmentMax" | "SegmentMin" | "SegmentProd" => {
            let ids = args.get(1).cloned().ok_or_else(|| e("no segment_ids"))?;
            let how = op["Segment".len()..].to_lowercase();
            if cfg("sorted") == Some(true.into()) {
                let f = format!("math.segment_{how}");
                return unary_node(&f, obj(json!({"segment_ids": ids})));
            }
            let n = cfg("num_segments")
                .filter(|n| !n.is_null())
                .ok_or_else(|| {
                    e("num_segments=None has no tf.math.unsorted_segment_* equivalent")
                })?;
            let f = format!("math.unsorted_segment_{how}");
            unary_node(&f, obj(json!({"segment_ids": ids, "num_segments": n})))
        }
        "Median" | "Quantile" => Err(e(
            "TensorFlow has no median or quantile function tf_keras saves (only \
             tensorflow_probability's); export to .keras instead",
        )),
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

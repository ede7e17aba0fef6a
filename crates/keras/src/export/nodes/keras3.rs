//! Calls for Keras 3 (`.keras`): its `{args, kwargs}` node form, `tf.*`
//! functions as the `keras.ops` operations Keras 3 saves for the same math.

use super::*;
use tfjs_format::topology::RECURRENT_CLASSES as RECURRENT;

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
pub(in crate::export) fn for_keras3(config: &mut Value) -> Result<()> {
    each_layer(config, &mut |entry, layer| {
        let Layer { class, name, nodes } = layer;
        if class == "HashedCrossing" && nodes.iter().any(|n| parse_call(n).positional().len() > 2) {
            return Err(err(
                &name,
                &class,
                "Keras 3's HashedCrossing crosses exactly two features (tf_keras any number); export to .h5 instead",
            ));
        }
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
            "MultiHeadAttention" | "GroupQueryAttention" | "GroupedQueryAttention" => {
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
                    .map(|n| layer_call_for_keras3(&name, &class, entry, n))
                    .collect::<Result<Vec<_>>>()?;
                entry.insert("inbound_nodes".into(), Value::Array(new_nodes));
                Ok(())
            }
        }
    })
}

/// A call of layer `name` (entry `entry`) in Keras 3's form: one input as
/// the only argument, several as one list (`Add()([a, b])`), a recurrent
/// layer's states as `initial_state` (one list per cell over stacked
/// cells). A node already in that form is kept.
fn layer_call_for_keras3(
    name: &str,
    class: &str,
    entry: &Map<String, Value>,
    node: &Value,
) -> Result<Value> {
    if node.is_object() {
        return Ok(node.clone());
    }
    let call = parse_call(node);
    let mut kwargs = call.plain_kwargs();
    // tf_keras records `constants: None` on recurrent calls (a
    // `Bidirectional`'s too); Keras 3's have no such argument.
    if RECURRENT.contains(&class) && kwargs.get("constants").is_some_and(Value::is_null) {
        kwargs.remove("constants");
    }
    let inputs = call.positional();
    let args = match inputs.as_slice() {
        [] => Vec::new(),
        [one] => vec![one.clone()],
        [first, states @ ..] if RECURRENT.contains(&class) => {
            let states = states_per_cell(name, class, entry, states)?;
            kwargs.insert("initial_state".into(), Value::Array(states));
            vec![first.clone()]
        }
        many => vec![Value::Array(many.to_vec())],
    };
    Ok(keras3_node(&args, &kwargs))
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
    tfjs_format::topology::keras3_operation(op).map(|o| o.module)
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
        "math.floormod" | "math.mod" | "floormod" => "Mod",
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
        "math.erf" | "erf" => "Erf",
        "math.sign" | "sign" => "Sign",
        "math.atan" | "atan" => "Arctan",
        "math.log_sigmoid" => "LogSigmoid",
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
        "math.reduce_prod" | "reduce_prod" => "Prod",
        _ => return None,
    })
}

/// Keras 3's segment operation for `tf.math.(unsorted_)segment_*`, and
/// whether it is sorted (Keras has no mean or sqrt_n).
fn keras3_segment(function: &str) -> Option<(&'static str, bool)> {
    let (sorted, how) = match function.strip_prefix("math.unsorted_segment_") {
        Some(how) => (false, how),
        None => (true, function.strip_prefix("math.segment_")?),
    };
    let class = match how {
        "sum" => "SegmentSum",
        "max" => "SegmentMax",
        "min" => "SegmentMin",
        "prod" => "SegmentProd",
        _ => return None,
    };
    Some((class, sorted))
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
        "math.count_nonzero" => {
            if get("keepdims") == Some(true.into()) {
                return Err(e("keepdims=True has no Keras 3 equivalent".into()));
            }
            op(numpy, "CountNonzero", json!({"axis": get("axis")}), vec![x])
        }
        "linalg.diag_part" => match get("k").unwrap_or(0.into()) {
            k if k.is_i64() => op(
                numpy,
                "Diagonal",
                json!({"offset": k, "axis1": -2, "axis2": -1}),
                vec![x],
            ),
            _ => Err(e("a band of diagonals (k a pair) has no Keras 3 equivalent".into())),
        },
        f if keras3_segment(f).is_some() => {
            let (class, sorted) = keras3_segment(f).expect("checked");
            let ids = get("segment_ids").ok_or_else(|| e("no segment_ids".into()))?;
            // Keras 3 takes 1-D ids only (tf.math's may cover several
            // leading axes); a tensor's rank is not known here.
            if is_tensor(&ids) || ids.as_array().is_none_or(|a| a.iter().any(Value::is_array)) {
                return Err(e(
                    "Keras 3's segment operations take constant 1-D segment ids only (this \
                     export cannot tell a tensor's rank)"
                        .into(),
                ));
            }
            let config = json!({"num_segments": get("num_segments"), "sorted": sorted});
            op("keras.src.ops.math", class, config, vec![x, numpy_array(ids)])
        }
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
        "zeros_like" | "ones_like" => {
            let class = if function == "zeros_like" { "ZerosLike" } else { "OnesLike" };
            op(numpy, class, json!({"dtype": get("dtype")}), vec![x])
        }
        "math.reduce_euclidean_norm" => {
            let keepdims = get("keepdims").unwrap_or(false.into());
            op(
                "keras.src.ops.linalg",
                "Norm",
                json!({"ord": null, "axis": get("axis"), "keepdims": keepdims}),
                vec![x],
            )
        }
        "reverse" | "reverse_v2" => op(numpy, "Flip", json!({"axis": get("axis")}), vec![x]),
        "math.argmax" | "argmax" => {
            if get("output_type").is_some_and(|t| t != "int64") {
                return Err(e("output_type other than int64 has no Keras 3 equivalent".into()));
            }
            op(numpy, "Argmax", json!({"axis": axis(0), "keepdims": false}), vec![x])
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
        "sort" => {
            if get("direction").is_some_and(|d| d != "ASCENDING") {
                return Err(e("a descending sort has no Keras 3 operation".into()));
            }
            op(numpy, "Sort", json!({"axis": axis(-1)}), vec![x])
        }
        "math.top_k" | "nn.top_k" => op(
            "keras.src.ops.math",
            "TopK",
            json!({"k": get("k").unwrap_or(1.into()), "sorted": get("sorted").unwrap_or(true.into())}),
            vec![x],
        ),
        "linalg.band_part" | "matrix_band_part" => {
            let count = |k: &str| get(k).and_then(|v| v.as_i64());
            match (count("num_lower"), count("num_upper")) {
                (Some(l), Some(u)) if l < 0 && u >= 0 => {
                    op(numpy, "Tril", json!({"k": u}), vec![x])
                }
                (Some(l), Some(u)) if l >= 0 && u < 0 => {
                    op(numpy, "Triu", json!({"k": -l}), vec![x])
                }
                (Some(l), Some(u)) if l < 0 && u < 0 => {
                    op("keras.layers", "Identity", json!({}), vec![x])
                }
                _ => Err(e(
                    "a band bounded on both sides needs tril and triu (two operations); \
                     only one-sided bands export"
                        .into(),
                )),
            }
        }
        "one_hot" => {
            let on_off = (get("on_value"), get("off_value"));
            let plain = |v: Option<Value>, d: f64| v.is_none_or(|v| v.as_f64() == Some(d));
            if !plain(on_off.0, 1.0) || !plain(on_off.1, 0.0) {
                return Err(e("on_value/off_value other than 1/0 have no Keras 3 equivalent".into()));
            }
            op(
                nn,
                "OneHot",
                json!({"num_classes": get("depth"), "axis": axis(-1),
                       "dtype": get("dtype").unwrap_or("float32".into()), "sparse": false}),
                vec![x],
            )
        }
        "experimental.numpy.moveaxis" => op(
            numpy,
            "Moveaxis",
            json!({"source": get("source"), "destination": get("destination")}),
            vec![x],
        ),
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

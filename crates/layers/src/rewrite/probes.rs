//! Models exercising the `TFOpLambda` ([`super::tf_op_lambda`]) and Keras 3
//! operation ([`super::keras3_ops`]) rules: every function they map,
//! chained on one input `x` (functional-form layer entries, the last one
//! the output). The rules' tests check that the rewrite predicts what the
//! model does; the TensorFlow.js end-to-end export
//! (`examples/e2e_export.rs`) checks that TF.js does too.

use super::{entry, entry_on};
use serde_json::{json, Value};

/// The tensor references (`[layer, node, index]`) in a call's arguments
/// `v`, depth first.
fn tensor_refs(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) if a.len() == 3 && a[0].is_string() && a[1..].iter().all(Value::is_u64) => {
            vec![v.clone()]
        }
        Value::Array(a) => a.iter().flat_map(tensor_refs).collect(),
        Value::Object(m) => m.values().flat_map(tensor_refs).collect(),
        _ => Vec::new(),
    }
}

/// An inbound node on `first` (its `[layer, node, index]`) carrying
/// `kwargs`, then the `others` tensors, as Keras saves a call whose
/// arguments name more tensors than the first.
fn call_node(first: &Value, kwargs: Value, others: &[Value]) -> Value {
    let mut node = vec![json!([first[0], first[1], first[2], kwargs])];
    node.extend(others.iter().map(|t| json!([t[0], t[1], t[2], {}])));
    Value::Array(node)
}

/// `tf.<function>` (a `TFOpLambda`) called with the inbound node `node`.
pub fn tf_node(name: &str, function: &str, node: Value) -> Value {
    entry(
        name,
        "TFOpLambda",
        json!({ "function": function }),
        vec![node],
    )
}

/// The inbound node of a call on `x` with `kwargs` as Keras 2 saves it:
/// the tensors among the kwargs are inputs too.
pub fn keras2_call(x: &str, kwargs: Value) -> Value {
    call_node(&json!([x, 0, 0]), kwargs.clone(), &tensor_refs(&kwargs))
}

/// The inbound node of a call with positional `args` as Keras 3 saves it:
/// the tensors among them are the inputs, the first carrying the arguments.
pub fn keras3_call(args: Value) -> Value {
    let tensors = tensor_refs(&args);
    call_node(&tensors[0], json!({ "_args": args }), &tensors[1..])
}

/// `tf.<function>` called on `x` with `kwargs` ([`keras2_call`]).
pub fn tf(name: &str, function: &str, x: &str, kwargs: Value) -> Value {
    tf_node(name, function, keras2_call(x, kwargs))
}

/// A Keras 3 operation layer `ops.<class>` called with `args`
/// ([`keras3_call`]).
pub fn op(name: &str, class: &str, config: Value, args: Value) -> Value {
    entry(
        name,
        &format!("ops.{class}"),
        config,
        vec![keras3_call(args)],
    )
}

/// [`tf`] of each row `[name, function, x, kwargs]` of `rows` (a JSON
/// array).
pub fn tf_rows(rows: Value) -> Vec<Value> {
    let rows = rows.as_array().expect("tf rows are an array");
    rows.iter()
        .map(|row| {
            let text = |i: usize| row[i].as_str().expect("a tf row's name, function or x");
            tf(text(0), text(1), text(2), row[3].clone())
        })
        .collect()
}

/// `tf.*` arithmetic and activations on `x` of shape `[5]`.
pub fn tf_arith() -> Vec<Value> {
    let mut layers = vec![entry_on("d", "Dense", json!({"units": 6}), "x")];
    layers.extend(tf_rows(json!([
        ["add", "__operators__.add", "d", {"y": 3.0, "name": null}],
        ["relu6", "nn.relu6", "add", {}],
        ["mul", "math.multiply", "relu6", {"y": 0.16666666666666666}],
        ["hswish", "math.multiply", "d", {"y": ["mul", 0, 0]}],
        ["sub", "math.subtract", "hswish", {"y": 0.5}],
        ["rsub", "math.subtract", "sub", {"y": ["sub", 0, 0], "_CONSTANT_VALUE": 2.0}],
        ["div", "math.truediv", "rsub", {"y": 4.0}],
        ["diff", "math.subtract", "div", {"y": ["d", 0, 0]}],
        ["neg", "math.negative", "diff", {}],
        ["mx", "math.maximum", "neg", {"y": ["d", 0, 0]}],
        ["mn", "math.minimum", "mx", {"y": ["div", 0, 0]}],
        ["relu", "math.maximum", "mn", {"y": 0.0}],
        ["sum", "__operators__.add", "relu", {"y": ["neg", 0, 0]}],
        ["sig", "math.sigmoid", "sum", {}],
        ["tanh", "math.tanh", "sig", {}],
        ["silu", "nn.silu", "sum", {}],
        ["gelu", "nn.gelu", "silu", {}],
        ["elu", "nn.elu", "gelu", {}],
        ["selu", "nn.selu", "elu", {}],
        ["sp", "math.softplus", "selu", {}],
        ["ss", "nn.softsign", "sp", {}],
        ["lrelu", "nn.leaky_relu", "sum", {"alpha": 0.1}],
        ["clip", "clip_by_value", "lrelu", {"clip_value_min": 0.0, "clip_value_max": 1.5}],
        ["sq", "math.square", "clip", {}]
    ])));
    layers.push(tf_node(
            "cat",
            "concat",
            json!([["tanh", 0, 0, {"axis": -1}], ["ss", 0, 0, {"axis": -1}], ["sq", 0, 0, {"axis": -1}]]),
        ));
    layers.push(tf("sm", "nn.softmax", "cat", json!({})));
    layers
}

/// `tf.*` reshapes, transposes and reductions on `x` of shape `[4, 3]`, a
/// `tf.nn.crelu`, a kept sum tiled, flattened and cast to float32.
pub fn tf_shapes() -> Vec<Value> {
    vec![
        tf(
            "t",
            "compat.v1.transpose",
            "x",
            json!({"perm": [0, 2, 1], "name": "transpose"}),
        ),
        tf("r", "reshape", "t", json!({"shape": [-1, 12]})),
        tf("e", "expand_dims", "r", json!({"axis": 1})),
        tf("s", "compat.v1.squeeze", "e", json!({"axis": 1})),
        tf("r3", "reshape", "s", json!({"shape": [-1, 6, 2]})),
        tf("mean", "math.reduce_mean", "r3", json!({"axis": 1})),
        // [batch, 6, 2] @ [batch, 6, 2]ᵀ.
        tf(
            "mm",
            "linalg.matmul",
            "r3",
            json!({"b": ["r3", 0, 0], "transpose_b": true}),
        ),
        tf("max", "math.reduce_max", "mm", json!({"axis": -2})),
        tf_node(
            "cat",
            "concat",
            json!([["mean", 0, 0, {"axis": -1}], ["max", 0, 0, {"axis": -1}]]),
        ),
        tf("sq", "math.square", "cat", json!({})),
        tf("crelu", "nn.crelu", "sq", json!({"axis": -1})),
        // A sum kept as [1, 2], tiled to [3, 2], flattened, cast to float32.
        tf(
            "sum",
            "math.reduce_sum",
            "r3",
            json!({"axis": [1], "keepdims": true}),
        ),
        tf("tiled", "tile", "sum", json!({"multiples": [1, 3, 1]})),
        tf("flat", "reshape", "tiled", json!({"shape": [-1, 6]})),
        tf("f32", "cast", "flat", json!({"dtype": "float32"})),
        // A mean over every non-batch axis ([batch]), made [batch, 1] again.
        tf("m1", "math.reduce_mean", "r3", json!({"axis": [1, 2]})),
        tf("m1e", "expand_dims", "m1", json!({"axis": -1})),
        tf_node(
            "all",
            "concat",
            json!([
                ["crelu", 0, 0, {"axis": -1}],
                ["f32", 0, 0, {"axis": -1}],
                ["m1e", 0, 0, {"axis": -1}]
            ]),
        ),
    ]
}

/// `tf.nn` pooling, a squeeze-and-excite style product, `tf.image.resize`,
/// `central_crop` and `resize_with_crop_or_pad`
/// on `x` of shape `[6, 6, 2]`.
pub fn tf_pooling() -> Vec<Value> {
    vec![
        tf(
            "mp_same",
            "nn.max_pool2d",
            "x",
            json!({"ksize": 2, "strides": 1, "padding": "SAME"}),
        ),
        tf(
            "mp",
            "nn.max_pool2d",
            "mp_same",
            json!({"ksize": 2, "strides": 2, "padding": "VALID"}),
        ),
        tf(
            "ap_same",
            "nn.avg_pool2d",
            "mp",
            json!({"ksize": [1, 3, 3, 1], "strides": [1, 1], "padding": "SAME"}),
        ),
        tf(
            "ap",
            "nn.avg_pool2d",
            "ap_same",
            json!({"ksize": [1, 3, 3, 1], "strides": [1, 2, 2, 1], "padding": "SAME"}),
        ),
        tf(
            "se",
            "math.reduce_mean",
            "ap",
            json!({"axis": [1, 2], "keepdims": true}),
        ),
        tf("scaled", "math.multiply", "ap", json!({"y": ["se", 0, 0]})),
        tf(
            "up",
            "image.resize",
            "scaled",
            json!({"size": [5, 4], "method": "bilinear"}),
        ),
        tf(
            "cc",
            "image.central_crop",
            "up",
            json!({"central_fraction": 0.6}),
        ),
        tf(
            "cp",
            "image.resize_with_crop_or_pad",
            "cc",
            json!({"target_height": 2, "target_width": 6}),
        ),
        tf(
            "down",
            "image.resize",
            "cp",
            json!({"size": [2, 3], "method": "nearest"}),
        ),
    ]
}

/// Keras 3 operation layers on `x` of shape `[5]`.
pub fn keras3_ops() -> Vec<Value> {
    vec![
        entry_on("d", "Dense", json!({"units": 6}), "x"),
        op("add", "Add", json!({}), json!([["d", 0, 0], 3])),
        op("r6", "Relu6", json!({}), json!([["add", 0, 0]])),
        op(
            "mul",
            "Multiply",
            json!({}),
            json!([["r6", 0, 0], 0.16666666666666666]),
        ),
        op(
            "hs",
            "Multiply",
            json!({}),
            json!([["d", 0, 0], ["mul", 0, 0]]),
        ),
        op(
            "sub",
            "Subtract",
            json!({}),
            json!([["hs", 0, 0], ["d", 0, 0]]),
        ),
        op("rsub", "Subtract", json!({}), json!([1.5, ["sub", 0, 0]])),
        op("div", "TrueDivide", json!({}), json!([["rsub", 0, 0], 3])),
        op("sig", "Sigmoid", json!({}), json!([["div", 0, 0]])),
        op("silu", "Silu", json!({}), json!([["sig", 0, 0]])),
        op(
            "mx",
            "Maximum",
            json!({}),
            json!([["silu", 0, 0], ["d", 0, 0]]),
        ),
        op(
            "r",
            "Reshape",
            json!({"newshape": [-1, 3, 2]}),
            json!([["mx", 0, 0]]),
        ),
        op(
            "t",
            "Transpose",
            json!({"axes": [0, 2, 1]}),
            json!([["r", 0, 0]]),
        ),
        op("ed", "ExpandDims", json!({"axis": 1}), json!([["t", 0, 0]])),
        op(
            "sq",
            "Squeeze",
            json!({"axis": [-3]}),
            json!([["ed", 0, 0]]),
        ),
        // The features 1:3 of [batch, 2, 3] (`x[..., 1:3]`).
        op(
            "fs",
            "GetItem",
            json!({}),
            json!([
                ["sq", 0, 0],
                [
                    {"class_name": "__ellipsis__", "config": {}},
                    {"class_name": "__slice__", "config": {"start": 1, "stop": 3, "step": null}}
                ]
            ]),
        ),
        // Its two halves of the features, swapped.
        op(
            "halves",
            "Split",
            json!({"indices_or_sections": 2, "axis": -1}),
            json!([["fs", 0, 0]]),
        ),
        op(
            "swapped",
            "Concatenate",
            json!({"axis": -1}),
            json!([[["halves", 0, 1], ["halves", 0, 0]]]),
        ),
        op(
            "mean",
            "Mean",
            json!({"axis": 1, "keepdims": false}),
            json!([["swapped", 0, 0]]),
        ),
        // [batch, 3, 2] @ [batch, 2, 3].
        op("mm", "Matmul", json!({}), json!([["r", 0, 0], ["t", 0, 0]])),
        op(
            "max",
            "Max",
            json!({"axis": -2, "keepdims": false, "initial": null}),
            json!([["mm", 0, 0]]),
        ),
        op(
            "cat",
            "Concatenate",
            json!({"axis": -1}),
            json!([[["mean", 0, 0], ["max", 0, 0]]]),
        ),
        op("sm", "Softmax", json!({"axis": -1}), json!([["cat", 0, 0]])),
    ]
}

//! `TFOpLambda` (Keras 2's `tf.*` calls on Keras tensors) → TF.js layers.
//!
//! | function | rewrite |
//! |---|---|
//! | `x + c`, `x - c`, `c - x`, `x * c`, `x / c`, `-x` (scalar `c`) | `Rescaling(scale, offset)` |
//! | `x + y`, `x * y`, `maximum(x, y)`, `minimum(x, y)` | `Add`, `Multiply`, `Maximum`, `Minimum` |
//! | `x - y` | `Rescaling(-1)` on `y`, then `Add` (`x + (-y)` is `x - y` exactly) |
//! | `maximum(x, 0)`, `relu`, `relu6`, `clip_by_value(x, 0, m)` | `ReLU(max_value)` |
//! | `sigmoid`, `tanh`, `softplus`, `softsign`, `elu`, `selu`, `silu`/`swish`, `gelu`, `identity` | `Activation` |
//! | `leaky_relu(alpha)` | `LeakyReLU(alpha)` |
//! | `softmax(axis)` | `Softmax(axis)` |
//! | `concat(axis)` | `Concatenate(axis)` |
//! | `reshape([-1, …])`, `expand_dims`, `squeeze` | `Reshape` |
//! | `transpose(perm)` with `perm[0] == 0` | `Permute` |
//!
//! Everything else (`abs`, `exp`, `x / y`, `c / x`, reductions, slicing,
//! …) has no exact TF.js layer and is refused, naming the function.

use super::{entry, Outcome, Site};
use serde_json::{json, Map, Value};

/// The rule: applies to `TFOpLambda` / `SlicingOpLambda` layers.
pub fn rule(site: &Site<'_>) -> Outcome {
    if !matches!(site.class_name, "TFOpLambda" | "SlicingOpLambda") {
        return Outcome::Skip;
    }
    let function = site
        .config
        .get("function")
        .and_then(Value::as_str)
        .unwrap_or("?");
    match rewrite(site, function) {
        Ok(layers) => Outcome::Replace {
            layers,
            weights: Vec::new(),
        },
        Err(why) => Outcome::Cannot(format!("tf.{function}: {why}")),
    }
}

/// A tensor reference `[layer, node, index]` as an inbound-node entry.
fn tensor_ref(v: &Value) -> Option<Value> {
    let a = v.as_array()?;
    if a.len() < 3 || !a[0].is_string() || !a[1].is_i64() || !a[2].is_i64() {
        return None;
    }
    Some(json!([a[0], a[1], a[2], {}]))
}

fn scalar(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Array(a) if a.len() == 1 => scalar(&a[0]),
        _ => None,
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    v?.as_i64()
}

fn rewrite(site: &Site<'_>, function: &str) -> Result<Vec<Value>, String> {
    let nodes = site
        .inbound_nodes
        .ok_or("a TFOpLambda outside a functional model")?;
    let [node] = nodes else {
        return Err(format!(
            "the layer is called {} times; a rewrite handles one call",
            nodes.len()
        ));
    };
    let refs = node.as_array().ok_or("malformed inbound node")?;
    let first = refs.first().ok_or("the call has no inputs")?;
    let x = tensor_ref(first).ok_or("malformed inbound node")?;
    let empty = Map::new();
    let kwargs = first.get(3).and_then(Value::as_object).unwrap_or(&empty);
    let name = site.name;
    let one = |class: &str, config: Value| Ok(vec![entry(name, class, config, vec![json!([x])])]);
    let rescaling =
        |scale: f64, offset: f64| one("Rescaling", json!({"scale": scale, "offset": offset}));
    let activation = |a: &str| one("Activation", json!({"activation": a}));
    let relu = |max: Option<f64>| {
        one(
            "ReLU",
            json!({"max_value": max, "negative_slope": 0.0, "threshold": 0.0}),
        )
    };
    let out_shape = || -> Result<Vec<usize>, String> {
        let s = site
            .shapes
            .and_then(|s| s.outputs.first())
            .ok_or("its output shape is unknown")?;
        s.iter()
            .skip(1)
            .map(|d| d.ok_or_else(|| "its output shape is not fully known".to_string()))
            .collect()
    };
    // `c op x`: Keras writes the constant as `_CONSTANT_VALUE` and the
    // tensor as `y` (our saved form keeps the tensor first).
    let reversed = kwargs.get("_CONSTANT_VALUE");
    let y = if reversed.is_some() {
        reversed
    } else {
        kwargs.get("y")
    };
    let binary = match function {
        "__operators__.add" | "math.add" | "add" => Some("add"),
        "math.subtract" | "subtract" | "__operators__.sub" => Some("sub"),
        "math.multiply" | "multiply" | "__operators__.mul" => Some("mul"),
        "math.truediv" | "math.divide" | "truediv" | "__operators__.truediv" => Some("div"),
        "math.maximum" | "maximum" => Some("max"),
        "math.minimum" | "minimum" => Some("min"),
        _ => None,
    };
    if let Some(op) = binary {
        let y = y.ok_or("the second operand is missing")?;
        if let Some(c) = scalar(y) {
            return match (op, reversed.is_some()) {
                ("add", _) => rescaling(1.0, c),
                ("mul", _) => rescaling(c, 0.0),
                ("sub", false) => rescaling(1.0, -c),
                ("sub", true) => rescaling(-1.0, c),
                ("div", false) if c != 0.0 => rescaling(1.0 / c, 0.0),
                ("max", _) if c == 0.0 => relu(None),
                ("div", true) => Err("a constant divided by a tensor has no TF.js layer".into()),
                _ => Err(format!(
                    "{op} with the constant {c} has no exact TF.js layer"
                )),
            };
        }
        if reversed.is_some() {
            return Err("a non-scalar constant operand has no TF.js layer".into());
        }
        let Some(yref) = tensor_ref(y) else {
            return Err("a non-scalar constant operand has no TF.js layer".into());
        };
        let merge = |class: &str| Ok(vec![entry(name, class, json!({}), vec![json!([x, yref])])]);
        return match op {
            "add" => merge("Add"),
            "mul" => merge("Multiply"),
            "max" => merge("Maximum"),
            "min" => merge("Minimum"),
            "sub" => {
                let neg = format!("{name}_negated");
                Ok(vec![
                    entry(
                        &neg,
                        "Rescaling",
                        json!({"scale": -1.0, "offset": 0.0}),
                        vec![json!([yref])],
                    ),
                    entry(name, "Add", json!({}), vec![json!([x, [neg, 0, 0, {}]])]),
                ])
            }
            _ => Err("dividing by a tensor has no TF.js layer".into()),
        };
    }
    match function {
        "math.negative" | "negative" | "__operators__.neg" => rescaling(-1.0, 0.0),
        "nn.relu" | "math.relu" => relu(None),
        "nn.relu6" => relu(Some(6.0)),
        "clip_by_value" => {
            let lo = kwargs.get("clip_value_min").and_then(scalar);
            let hi = kwargs.get("clip_value_max").and_then(scalar);
            match (lo, hi) {
                (Some(lo), Some(hi)) if lo == 0.0 && hi >= 0.0 => relu(Some(hi)),
                _ => Err("only clip_by_value(x, 0, max) has an exact TF.js layer (ReLU)".into()),
            }
        }
        "math.sigmoid" | "nn.sigmoid" | "sigmoid" => activation("sigmoid"),
        "math.tanh" | "nn.tanh" | "tanh" => activation("tanh"),
        "math.softplus" | "nn.softplus" => activation("softplus"),
        "math.softsign" | "nn.softsign" => activation("softsign"),
        "nn.elu" => activation("elu"),
        "nn.selu" => activation("selu"),
        "nn.silu" | "nn.swish" | "math.silu" => activation("swish"),
        "nn.gelu" => {
            if kwargs.get("approximate").and_then(Value::as_bool) == Some(true) {
                Err("the tanh-approximated gelu has no TF.js activation".into())
            } else {
                activation("gelu")
            }
        }
        "identity" => activation("linear"),
        "nn.leaky_relu" => {
            let alpha = kwargs.get("alpha").and_then(scalar).unwrap_or(0.2);
            one("LeakyReLU", json!({"alpha": alpha}))
        }
        "nn.softmax" | "math.softmax" => {
            let axis = match kwargs.get("axis") {
                None | Some(Value::Null) => -1,
                v => int(v).ok_or("softmax over several axes has no TF.js layer")?,
            };
            one("Softmax", json!({"axis": axis}))
        }
        "concat" => {
            let axis = int(kwargs.get("axis")).ok_or("concat needs an integer axis")?;
            let inputs: Vec<Value> = refs
                .iter()
                .map(tensor_ref)
                .collect::<Option<_>>()
                .ok_or("malformed inbound node")?;
            Ok(vec![entry(
                name,
                "Concatenate",
                json!({"axis": axis}),
                vec![Value::Array(inputs)],
            )])
        }
        "reshape" => {
            let shape = kwargs
                .get("shape")
                .and_then(Value::as_array)
                .ok_or("reshape needs a constant shape")?;
            let batch = shape.first().and_then(Value::as_i64);
            let target: Option<Vec<i64>> = shape.iter().skip(1).map(Value::as_i64).collect();
            match (batch, target) {
                (Some(-1), Some(t)) if !t.contains(&-1) => {
                    one("Reshape", json!({"target_shape": t}))
                }
                _ => {
                    // Fall back on the shape the engine computed.
                    one("Reshape", json!({"target_shape": out_shape()?}))
                }
            }
        }
        "expand_dims" | "squeeze" | "compat.v1.squeeze" => {
            one("Reshape", json!({"target_shape": out_shape()?}))
        }
        "transpose" | "compat.v1.transpose" => {
            let perm: Vec<i64> = kwargs
                .get("perm")
                .and_then(Value::as_array)
                .and_then(|p| p.iter().map(Value::as_i64).collect())
                .ok_or("transpose needs a constant perm")?;
            if perm.first() != Some(&0) {
                return Err("a transpose that moves the batch axis has no TF.js layer".into());
            }
            one("Permute", json!({"dims": perm[1..].to_vec()}))
        }
        other => Err(format!(
            "TensorFlow.js 4.22 has no layer computing tf.{other} exactly"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{entry, rewrite_for_tfjs};
    use serde_json::{json, Value};

    fn op(name: &str, function: &str, node: Value) -> Value {
        entry(
            name,
            "TFOpLambda",
            json!({"function": function}),
            vec![node],
        )
    }

    #[test]
    fn tf_op_lambda_arithmetic_becomes_tfjs_layers() {
        let layers = vec![
            entry(
                "d",
                "Dense",
                json!({"units": 6}),
                vec![json!([["x", 0, 0, {}]])],
            ),
            op(
                "add",
                "__operators__.add",
                json!([["d", 0, 0, {"y": 3.0, "name": null}]]),
            ),
            op("relu6", "nn.relu6", json!([["add", 0, 0, {}]])),
            op(
                "mul",
                "math.multiply",
                json!([["relu6", 0, 0, {"y": 0.16666666666666666}]]),
            ),
            op(
                "hswish",
                "math.multiply",
                json!([["d", 0, 0, {"y": ["mul", 0, 0]}], ["mul", 0, 0, {}]]),
            ),
            op(
                "sub",
                "math.subtract",
                json!([["hswish", 0, 0, {"y": 0.5}]]),
            ),
            op(
                "rsub",
                "math.subtract",
                json!([["sub", 0, 0, {"y": ["sub", 0, 0], "_CONSTANT_VALUE": 2.0}], ["sub", 0, 0, {}]]),
            ),
            op("div", "math.truediv", json!([["rsub", 0, 0, {"y": 4.0}]])),
            op(
                "diff",
                "math.subtract",
                json!([["div", 0, 0, {"y": ["d", 0, 0]}], ["d", 0, 0, {}]]),
            ),
            op("neg", "math.negative", json!([["diff", 0, 0, {}]])),
            op(
                "mx",
                "math.maximum",
                json!([["neg", 0, 0, {"y": ["d", 0, 0]}], ["d", 0, 0, {}]]),
            ),
            op(
                "mn",
                "math.minimum",
                json!([["mx", 0, 0, {"y": ["div", 0, 0]}], ["div", 0, 0, {}]]),
            ),
            op("relu", "math.maximum", json!([["mn", 0, 0, {"y": 0.0}]])),
            op(
                "sum",
                "__operators__.add",
                json!([["relu", 0, 0, {"y": ["neg", 0, 0]}], ["neg", 0, 0, {}]]),
            ),
            op("sig", "math.sigmoid", json!([["sum", 0, 0, {}]])),
            op("tanh", "math.tanh", json!([["sig", 0, 0, {}]])),
            op("silu", "nn.silu", json!([["sum", 0, 0, {}]])),
            op("gelu", "nn.gelu", json!([["silu", 0, 0, {}]])),
            op("elu", "nn.elu", json!([["gelu", 0, 0, {}]])),
            op("selu", "nn.selu", json!([["elu", 0, 0, {}]])),
            op("sp", "math.softplus", json!([["selu", 0, 0, {}]])),
            op("ss", "nn.softsign", json!([["sp", 0, 0, {}]])),
            op(
                "lrelu",
                "nn.leaky_relu",
                json!([["sum", 0, 0, {"alpha": 0.1}]]),
            ),
            op(
                "clip",
                "clip_by_value",
                json!([["lrelu", 0, 0, {"clip_value_min": 0.0, "clip_value_max": 1.5}]]),
            ),
            op(
                "cat",
                "concat",
                json!([["tanh", 0, 0, {"axis": -1}], ["ss", 0, 0, {"axis": -1}], ["clip", 0, 0, {"axis": -1}]]),
            ),
            op("sm", "nn.softmax", json!([["cat", 0, 0, {}]])),
        ];
        let model = functional(&[5], layers, 7);
        let out = assert_same(&model, &input(&[3, 5]), 1e-5);
        assert!(out
            .notes
            .iter()
            .any(|n| n.contains("diff (TFOpLambda) -> Rescaling + Add")));
    }

    #[test]
    fn tf_op_lambda_shapes_become_reshape_and_permute() {
        let layers = vec![
            op(
                "t",
                "compat.v1.transpose",
                json!([["x", 0, 0, {"perm": [0, 2, 1], "name": "transpose"}]]),
            ),
            op("r", "reshape", json!([["t", 0, 0, {"shape": [-1, 12]}]])),
            op("e", "expand_dims", json!([["r", 0, 0, {"axis": 1}]])),
            op("s", "compat.v1.squeeze", json!([["e", 0, 0, {"axis": 1}]])),
        ];
        let model = functional(&[4, 3], layers, 7);
        assert_same(&model, &input(&[2, 4, 3]), 0.0);
    }

    #[test]
    fn tf_op_lambda_without_a_tfjs_layer_is_refused() {
        let layers = vec![
            op("a", "math.abs", json!([["x", 0, 0, {}]])),
            op(
                "q",
                "math.truediv",
                json!([["a", 0, 0, {"y": ["x", 0, 0]}], ["x", 0, 0, {}]]),
            ),
            op("m", "math.reduce_mean", json!([["q", 0, 0, {"axis": 1}]])),
        ];
        let model = functional(&[4], layers, 7);
        let err = rewrite_for_tfjs(&model).unwrap_err().to_string();
        assert!(err.contains("3 layers"), "{err}");
        assert!(
            err.contains("`a` (TFOpLambda): tf.math.abs: TensorFlow.js 4.22 has no layer"),
            "{err}"
        );
        assert!(
            err.contains("`q` (TFOpLambda): tf.math.truediv: dividing by a tensor"),
            "{err}"
        );
        assert!(
            err.contains("`m` (TFOpLambda): tf.math.reduce_mean"),
            "{err}"
        );
    }
}

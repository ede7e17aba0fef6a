//! Which tensors of a saved topology hold integers, as far as the layers'
//! configs tell (there are no dtypes on tensors in a topology): an input
//! of an integer or `bool` dtype, a comparison or logical operation (a
//! `bool`: 0 or 1), a cast to an integer dtype or `bool` (of anything),
//! `argmax` / `argmin`, a lookup or encoding layer's indices, counts and
//! indicators; and, from integers, a cast to `float32` / `float64`, a shape
//! operation (`Reshape`, `Permute`, slicing, `expand_dims`, …), a max /
//! min, and the sums, differences and products of integers and integer
//! constants. Anything else (a `Dense` output, a division, a `float16`
//! cast) may be fractional.
//!
//! The comparison rules ([`super::integer_compare`]) rewrite only
//! functions of such tensors: for integers, `x > c` is `min(relu(x - ⌊c⌋),
//! 1)` exactly (the integer arithmetic is exact in float32 below 2²⁴).

use serde_json::{Map, Value};
use std::collections::HashMap;
use tfjs_format::topology::{layer_entry_class, layer_entry_name};

/// What a tensor is known to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Integers (of any dtype: int32 ids, an int cast to float32).
    Int,
    /// 0 or 1 only (a `bool`, or the float cast of one).
    Bool,
}

/// Per layer of `layers` (one model config's, in order): the kinds of
/// the tensors of its first call, in its inbound node's order (`None`: may
/// be fractional, or unknown).
pub fn input_kinds(layers: &[Value]) -> HashMap<String, Vec<Option<Kind>>> {
    let mut known: HashMap<(String, u64, u64), Kind> = HashMap::new();
    let kind_of = |known: &HashMap<(String, u64, u64), Kind>, r: &Value| -> Option<Kind> {
        let a = r.as_array()?;
        let key = (
            a.first()?.as_str()?.to_string(),
            a.get(1)?.as_u64()?,
            a.get(2)?.as_u64()?,
        );
        known.get(&key).copied()
    };
    // The topology is in call order but for nested reuse: a few passes.
    for _ in 0..3 {
        let before = known.len();
        for l in layers {
            let Some(name) = layer_entry_name(l) else {
                continue;
            };
            let class = layer_entry_class(l);
            let empty = Map::new();
            let config = l.get("config").and_then(Value::as_object).unwrap_or(&empty);
            if class == "InputLayer" {
                if let Some(k) = dtype_kind(config.get("dtype")) {
                    known.insert((name.to_string(), 0, 0), k);
                }
                continue;
            }
            let nodes = l.get("inbound_nodes").and_then(Value::as_array);
            for (n, node) in nodes.into_iter().flatten().enumerate() {
                let refs: &[Value] = node.as_array().map_or(&[], Vec::as_slice);
                let kinds: Vec<Option<Kind>> = refs.iter().map(|r| kind_of(&known, r)).collect();
                let kwargs = refs
                    .first()
                    .and_then(|r| r.get(3))
                    .and_then(Value::as_object)
                    .unwrap_or(&empty);
                if let Some(k) = output_kind(class, config, kwargs, &kinds) {
                    known.insert((name.to_string(), n as u64, 0), k);
                }
            }
        }
        if known.len() == before {
            break;
        }
    }
    layers
        .iter()
        .filter_map(|l| {
            let name = layer_entry_name(l)?;
            let node = l.get("inbound_nodes")?.as_array()?.first()?.as_array()?;
            Some((
                name.to_string(),
                node.iter().map(|r| kind_of(&known, r)).collect(),
            ))
        })
        .collect()
}

/// The kind of a value of `dtype` (a string, or a Keras 3 `DTypePolicy`).
pub fn dtype_kind(dtype: Option<&Value>) -> Option<Kind> {
    let d = dtype?;
    let d = d
        .as_str()
        .or_else(|| d.pointer("/config/name").and_then(Value::as_str))?;
    match d {
        "bool" => Some(Kind::Bool),
        _ if d.starts_with("int") || d.starts_with("uint") => Some(Kind::Int),
        _ => None,
    }
}

/// Whether `v` is an integer constant (a number, or a list of them).
fn integer_constant(v: &Value) -> bool {
    match v {
        Value::Number(n) => n
            .as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.abs() < 16777216.0),
        Value::Bool(_) => true,
        Value::Array(a) => !a.is_empty() && a.iter().all(integer_constant),
        _ => false,
    }
}

/// Whether `v` is a tensor reference `[layer, node, index, …]`.
fn is_ref(v: &Value) -> bool {
    matches!(v.as_array().map(Vec::as_slice), Some([Value::String(_), n, i, ..]) if n.is_u64() && i.is_u64())
}

/// The least of the call's tensors' kinds (`None` if one may be
/// fractional).
fn all_of(kinds: &[Option<Kind>]) -> Option<Kind> {
    if kinds.is_empty() {
        return None;
    }
    kinds
        .iter()
        .copied()
        .try_fold(Kind::Bool, |a, k| k.map(|k| a.min(k)))
}

/// The kind of a call's output: `class` with `config`, the first input's
/// kwargs (a `TFOpLambda`'s constants, a Keras 3 operation's `_args`) and
/// its inputs' kinds.
fn output_kind(
    class: &str,
    config: &Map<String, Value>,
    kwargs: &Map<String, Value>,
    kinds: &[Option<Kind>],
) -> Option<Kind> {
    // The constants a call combines its tensors with.
    let constants_integer = || {
        let mut consts: Vec<&Value> = Vec::new();
        if let Some(args) = kwargs.get("_args").and_then(Value::as_array) {
            consts.extend(args.iter().filter(|a| !is_ref(a)));
        }
        for k in ["y", "_CONSTANT_VALUE"] {
            if let Some(v) = kwargs.get(k).filter(|v| !is_ref(v) && !v.is_null()) {
                consts.push(v);
            }
        }
        consts.into_iter().all(integer_constant)
    };
    let arithmetic = |keeps_bool: bool| {
        let k = all_of(kinds)?;
        if !constants_integer() {
            return None;
        }
        let has_constants = kwargs
            .get("_args")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| !is_ref(v)))
            || kwargs.contains_key("y") && !kwargs.get("y").is_some_and(is_ref)
            || kwargs.contains_key("_CONSTANT_VALUE");
        Some(if keeps_bool && !has_constants {
            k
        } else {
            Kind::Int
        })
    };
    let cast = |to: Option<&Value>| -> Option<Kind> {
        match to.and_then(Value::as_str) {
            Some("float32" | "float64") => all_of(&kinds[..kinds.len().min(1)]),
            other => dtype_kind(other.map(|s| Value::String(s.into())).as_ref()),
        }
    };
    if class == "TFOpLambda" || class == "SlicingOpLambda" {
        let f = config.get("function").and_then(Value::as_str)?;
        let f = f.strip_prefix("math.").unwrap_or(f);
        return match f {
            "equal" | "not_equal" | "greater" | "greater_equal" | "less" | "less_equal"
            | "logical_and" | "logical_or" | "logical_not" | "logical_xor" | "is_nan"
            | "is_inf" | "is_finite" | "reduce_any" | "reduce_all" => Some(Kind::Bool),
            "cast" | "dtypes.cast" => cast(kwargs.get("dtype")),
            "argmax" | "argmin" | "count_nonzero" => Some(Kind::Int),
            "reshape"
            | "expand_dims"
            | "squeeze"
            | "transpose"
            | "__operators__.getitem"
            | "compat.v1.gather"
            | "gather"
            | "tile"
            | "concat"
            | "stack"
            | "identity"
            | "repeat"
            | "reverse"
            | "roll"
            | "reduce_max"
            | "reduce_min" => all_of(kinds),
            "__operators__.add" | "add" | "subtract" | "__operators__.sub" | "negative" | "abs"
            | "reduce_sum" | "cumsum" | "square" => arithmetic(false),
            "multiply" | "__operators__.mul" | "maximum" | "minimum" => arithmetic(true),
            _ => None,
        };
    }
    if let Some(op) = class.strip_prefix("ops.") {
        return match op {
            "Equal" | "NotEqual" | "Greater" | "GreaterEqual" | "Less" | "LessEqual"
            | "LogicalAnd" | "LogicalOr" | "LogicalNot" | "LogicalXor" | "Isnan" | "Isinf"
            | "Isfinite" | "Any" | "All" => Some(Kind::Bool),
            "Cast" => cast(config.get("dtype")),
            "Argmax" | "Argmin" | "CountNonzero" => Some(Kind::Int),
            "Reshape" | "ExpandDims" | "Squeeze" | "Transpose" | "GetItem" | "Take" | "Tile"
            | "Repeat" | "Concatenate" | "Stack" | "Flip" | "Max" | "Min" | "Amax" | "Amin"
            | "Roll" | "Moveaxis" | "Swapaxes" => all_of(kinds),
            "Add" | "Subtract" | "Negative" | "Absolute" | "Sum" | "Cumsum" | "Square" => {
                arithmetic(false)
            }
            "Multiply" | "Maximum" | "Minimum" => arithmetic(true),
            _ => None,
        };
    }
    let first = || all_of(&kinds[..kinds.len().min(1)]);
    let mode = config.get("output_mode").and_then(Value::as_str);
    match class {
        "Reshape" | "Permute" | "Flatten" | "RepeatVector" | "Cropping1D" | "Cropping2D"
        | "Cropping3D" | "ZeroPadding1D" | "ZeroPadding2D" | "ZeroPadding3D" | "Dropout"
        | "SpatialDropout1D" | "SpatialDropout2D" | "SpatialDropout3D" | "Identity"
        | "GlobalMaxPooling1D" | "GlobalMaxPooling2D" | "GlobalMaxPooling3D" | "MaxPooling1D"
        | "MaxPooling2D" | "MaxPooling3D" | "UpSampling1D" => first(),
        "Activation" if config.get("activation").and_then(Value::as_str) == Some("linear") => {
            first()
        }
        "Concatenate" => all_of(kinds),
        "Add" | "Subtract" => all_of(kinds).map(|_| Kind::Int),
        "Multiply" | "Maximum" | "Minimum" => all_of(kinds),
        "ReLU"
            if config
                .get("max_value")
                .is_none_or(|m| m.is_null() || integer_constant(m))
                && config
                    .get("threshold")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0)
                    == 0.0
                && config
                    .get("negative_slope")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0)
                    == 0.0 =>
        {
            first().map(|_| Kind::Int)
        }
        "Rescaling" => {
            let (s, o) = (config.get("scale")?, config.get("offset")?);
            if s.as_f64() == Some(1.0) && o.as_f64() == Some(0.0) {
                first()
            } else if integer_constant(s) && integer_constant(o) {
                first().map(|_| Kind::Int)
            } else {
                None
            }
        }
        "CategoryEncoding" | "IntegerLookup" | "StringLookup" | "Hashing" | "Discretization" => {
            match mode {
                Some("one_hot" | "multi_hot") => Some(Kind::Bool),
                Some("int" | "count") | None => Some(Kind::Int),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layer(name: &str, class: &str, config: Value, node: Value) -> Value {
        json!({"name": name, "class_name": class, "config": config, "inbound_nodes": [node]})
    }

    #[test]
    fn integers_flow_from_int_inputs_comparisons_and_casts() {
        let layers = vec![
            json!({"name": "ids", "class_name": "InputLayer",
                   "config": {"dtype": "int32"}, "inbound_nodes": []}),
            json!({"name": "x", "class_name": "InputLayer",
                   "config": {"dtype": "float32"}, "inbound_nodes": []}),
            layer(
                "gt",
                "TFOpLambda",
                json!({"function": "math.greater"}),
                json!([["ids", 0, 0, {"y": 0}]]),
            ),
            layer(
                "f",
                "TFOpLambda",
                json!({"function": "cast"}),
                json!([["gt", 0, 0, {"dtype": "float32"}]]),
            ),
            layer(
                "plus",
                "TFOpLambda",
                json!({"function": "__operators__.add"}),
                json!([["ids", 0, 0, {"y": 0.5}]]),
            ),
            layer("dense", "Dense", json!({}), json!([["x", 0, 0, {}]])),
            layer(
                "trunc",
                "ops.Cast",
                json!({"dtype": "int32"}),
                json!([["dense", 0, 0, {}]]),
            ),
            layer(
                "use",
                "Concatenate",
                json!({}),
                json!([
                    ["f", 0, 0, {}],
                    ["plus", 0, 0, {}],
                    ["trunc", 0, 0, {}],
                    ["ids", 0, 0, {}],
                    ["x", 0, 0, {}]
                ]),
            ),
        ];
        let kinds = input_kinds(&layers);
        assert_eq!(
            kinds["use"],
            vec![
                Some(Kind::Bool),
                None,
                Some(Kind::Int),
                Some(Kind::Int),
                None
            ]
        );
    }
}

//! Comparisons, logical operations, `where` and integer / `bool` casts of
//! integer-valued tensors ([`super::integer_valued`]: int inputs, casts to
//! integers, comparison results, integer arithmetic of them), which
//! TensorFlow.js 4.22 has no layer for but computes exactly as `Rescaling`,
//! `ReLU(max_value 1)`, `Minimum`, `Maximum`, `Multiply` and `Add`:
//!
//! | function | rewrite (`x` an integer, `k` an integer) |
//! |---|---|
//! | `x >= k` (`x > c`: `k = ⌊c⌋ + 1`; `x >= c`: `k = ⌈c⌉`) | `ReLU(max 1)(x - k + 1)` |
//! | `x <= k` (`x < c`: `k = ⌈c⌉ - 1`; `x <= c`: `k = ⌊c⌋`) | `ReLU(max 1)(k - x + 1)` |
//! | `x == k` | `ReLU(Minimum(x - k + 1, k - x + 1))` (`1 - |x - k|`, floored at 0) |
//! | `x != k` | `1 - (x == k)` (`Rescaling(-1, 1)`) |
//! | `x == c`, `x != c` for a fractional `c` | `Rescaling(0, 0 / 1)` (never / always) |
//! | `x op y` (two integer tensors) | the same of `x - y` against 0 (`Rescaling(-1)` + `Add`) |
//! | `logical_and`, `logical_or`, `logical_not`, `logical_xor` of 0/1 tensors | `Multiply`, `Maximum`, `Rescaling(-1, 1)`, `(a - b)²` |
//! | `where(cond, a, b)` (cond 0/1, or an integer read as `!= 0`) | `cond·a + (1 - cond)·b`: `Multiply` / `Rescaling` terms, `Add` |
//! | `cast(x, int)` of an integer, `cast(b, any int / bool)` of a 0/1 | identity (`Activation("linear")`) |
//! | `cast(x, bool)` of an integer | `x != 0` |
//!
//! Every step is integer arithmetic on values below 2²⁴ in magnitude
//! (exact in float32); `where` selects exactly (`a·1 + b·0` is `a`) for
//! finite operands (an infinite value in the branch not taken gives NaN,
//! `0·inf`). The results are float32 0/1 where TF's are `bool`: a cast to
//! float32 reads them unchanged. An operand that may be fractional (a
//! `Dense` output, a division) is refused by name: `x > 0.5` of a float has
//! no exact layer composition. Bounds beyond 2²⁴ are refused too.

use super::integer_valued::Kind;
use super::tf_op_lambda::{scalar, tensor_ref};
use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// What a call combines.
#[derive(Clone)]
enum Arg {
    /// A tensor (`[layer, node, index, {}]`) and what it is known to hold.
    Tensor(Value, Option<Kind>),
    Scalar(f64),
    Other,
}

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some((f, what)) = find(site) else {
        return Outcome::Skip;
    };
    match rewrite(site, f) {
        Ok(Some(layers)) => {
            site.note(NOTE);
            Outcome::weightless(layers)
        }
        Ok(None) => Outcome::Skip,
        Err(why) => Outcome::Cannot(format!("{what}: {why}")),
    }
}

const NOTE: &str = "integer comparison / logic as Rescaling, ReLU(max 1), Minimum, Maximum, \
                    Multiply, Add (exact for integers below 2^24)";

fn find(site: &Site<'_>) -> Option<(&'static str, String)> {
    let table: &[(&'static str, &str, &str)] = &[
        ("equal", "math.equal", "ops.Equal"),
        ("not_equal", "math.not_equal", "ops.NotEqual"),
        ("greater", "math.greater", "ops.Greater"),
        ("greater_equal", "math.greater_equal", "ops.GreaterEqual"),
        ("less", "math.less", "ops.Less"),
        ("less_equal", "math.less_equal", "ops.LessEqual"),
        ("logical_and", "math.logical_and", "ops.LogicalAnd"),
        ("logical_or", "math.logical_or", "ops.LogicalOr"),
        ("logical_xor", "math.logical_xor", "ops.LogicalXor"),
        ("logical_not", "math.logical_not", "ops.LogicalNot"),
        ("where", "where", "ops.Where"),
        ("cast", "cast", "ops.Cast"),
    ];
    table.iter().find_map(|&(name, tf, op)| {
        let bare = tf.strip_prefix("math.").unwrap_or(tf);
        site.function_named(&[tf, bare], &[op])
            .map(|what| (name, what))
    })
}

/// The call's arguments in order: a `TFOpLambda`'s first tensor then its
/// keyword operands `keys` (`_CONSTANT_VALUE` first for `c op x`), a Keras
/// 3 operation's `_args`.
fn arguments(site: &Site<'_>, keys: &[&str]) -> Result<Vec<Arg>, String> {
    let node = site.single_call("outside a functional model")?;
    let refs = node.as_array().ok_or("malformed inbound node")?;
    let first = refs.first().ok_or("the call has no inputs")?;
    let kinds = site.shapes.map_or(&[][..], |s| s.integer_inputs.as_slice());
    let kind = |i: usize| kinds.get(i).copied().flatten();
    let empty = serde_json::Map::new();
    let kwargs = first.get(3).and_then(Value::as_object).unwrap_or(&empty);
    // A tensor argument: the call's input of the same layer and index.
    let tensor = |v: &Value, from: usize| -> Arg {
        let at = refs
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, r)| r.get(0) == v.get(0) && r.get(2) == v.get(2));
        match at {
            Some((i, r)) => tensor_ref(r).map_or(Arg::Other, |t| Arg::Tensor(t, kind(i))),
            None => tensor_ref(v).map_or(Arg::Other, |t| Arg::Tensor(t, None)),
        }
    };
    let of = |v: &Value, from: usize| -> Arg {
        if let Some(c) = scalar(v) {
            Arg::Scalar(c)
        } else if tensor_ref(v).is_some() {
            tensor(v, from)
        } else {
            Arg::Other
        }
    };
    if site.class_name.starts_with("ops.") {
        let args = kwargs
            .get("_args")
            .and_then(Value::as_array)
            .ok_or("the call's arguments are not recorded")?;
        let mut next = 0;
        return Ok(args
            .iter()
            .map(|v| {
                if scalar(v).is_some() || tensor_ref(v).is_none() {
                    return of(v, 0);
                }
                let i = next;
                next += 1;
                refs.get(i)
                    .and_then(tensor_ref)
                    .map_or(Arg::Other, |t| Arg::Tensor(t, kind(i)))
            })
            .collect());
    }
    let x = Arg::Tensor(tensor_ref(first).ok_or("malformed inbound node")?, kind(0));
    let mut out = Vec::new();
    if let Some(c) = kwargs.get("_CONSTANT_VALUE") {
        out.push(of(c, 1));
        out.push(x);
        return Ok(out);
    }
    out.push(x);
    for k in keys {
        out.push(kwargs.get(*k).map_or(Arg::Other, |v| of(v, 1)));
    }
    Ok(out)
}

/// `None`: a cast this rule leaves to others (to a float, or of a
/// fractional tensor).
fn rewrite(site: &Site<'_>, f: &str) -> Result<Option<Vec<Value>>, String> {
    let name = site.name;
    // TF broadcasts tensors of other ranks aligned on the last axis, TF.js's
    // merge layers by inserting axes after the batch: only equal ranks
    // broadcast alike.
    if let Some(s) = site.shapes.filter(|_| f != "cast") {
        if s.inputs.iter().any(|i| i.len() != s.inputs[0].len()) {
            let ranks: Vec<usize> = s.inputs.iter().map(Vec::len).collect();
            return Err(format!(
                "its tensor operands have ranks {ranks:?}: TF.js's merge layers broadcast \
                 tensors of other ranks otherwise than TF"
            ));
        }
    }
    match f {
        "cast" => {
            let to = if site.class_name == "ops.Cast" {
                site.field("dtype", Value::as_str)
            } else {
                site.single_call("outside a functional model")
                    .ok()
                    .and_then(|n| n.pointer("/0/3/dtype"))
                    .and_then(Value::as_str)
            };
            let Some(to) =
                to.filter(|t| super::integer_valued::dtype_kind(Some(&json!(t))).is_some())
            else {
                return Ok(None);
            };
            let Some(Arg::Tensor(x, Some(kind))) = arguments(site, &[])?.into_iter().next() else {
                return Ok(None);
            };
            let narrow = !matches!(to, "int32" | "int64" | "bool");
            return Ok(match (kind, to) {
                (Kind::Bool, _) => Some(vec![identity(name, &x)]),
                (Kind::Int, "bool") => Some(compare(name, "not_equal", x, 0.0)?),
                (Kind::Int, _) if !narrow => Some(vec![identity(name, &x)]),
                _ => None,
            });
        }
        "logical_not" => {
            let x = zero_one(arguments(site, &[])?.first(), "x")?;
            return Ok(Some(vec![rescaling(name, &x, -1.0, 1.0)]));
        }
        "logical_and" | "logical_or" | "logical_xor" => {
            let args = arguments(site, &["y"])?;
            let a = zero_one(args.first(), "x")?;
            let b = zero_one(args.get(1), "y")?;
            return Ok(Some(match f {
                "logical_and" => vec![entry(name, "Multiply", json!({}), vec![json!([a, b])])],
                "logical_or" => vec![entry(name, "Maximum", json!({}), vec![json!([a, b])])],
                _ => {
                    let mut l = difference(name, a, b);
                    let d = json!([format!("{name}_diff"), 0, 0, {}]);
                    l.push(entry(
                        name,
                        "Multiply",
                        json!({}),
                        vec![json!([d.clone(), d])],
                    ));
                    l
                }
            }));
        }
        "where" => return where_(site).map(Some),
        _ => {}
    }
    let args = arguments(site, &["y"])?;
    let (x, y) = (args.first().cloned(), args.get(1).cloned());
    let integer = |a: &Option<Arg>, which: &str| -> Result<(Value, Kind), String> {
        match a {
            Some(Arg::Tensor(t, Some(k))) => Ok((t.clone(), *k)),
            Some(Arg::Tensor(t, None)) => Err(format!(
                "its operand {which} ({}) may be fractional: only integer-valued tensors (an \
                 integer or bool input, a cast to an integer, argmax, a comparison, their integer \
                 arithmetic) compare exactly with TF.js layers",
                t.get(0).and_then(Value::as_str).unwrap_or("?")
            )),
            _ => Err(format!("its operand {which} is not a tensor or a number")),
        }
    };
    Ok(Some(match (&x, &y) {
        (Some(Arg::Tensor(..)), Some(Arg::Scalar(c))) => {
            let (t, _) = integer(&x, "x")?;
            compare(name, f, t, *c)?
        }
        (Some(Arg::Scalar(c)), Some(Arg::Tensor(..))) => {
            let (t, _) = integer(&y, "y")?;
            compare(name, flipped(f), t, *c)?
        }
        (Some(Arg::Tensor(..)), Some(Arg::Tensor(..))) => {
            let (a, _) = integer(&x, "x")?;
            let (b, _) = integer(&y, "y")?;
            let mut l = difference(name, a, b);
            l.extend(compare(
                name,
                f,
                json!([format!("{name}_diff"), 0, 0, {}]),
                0.0,
            )?);
            l
        }
        _ => {
            return Err(
                "only a tensor against a scalar number or two tensors is rewritten (not a \
                 constant array)"
                    .into(),
            )
        }
    }))
}

/// `c op x` as `x op' c`.
fn flipped(f: &str) -> &str {
    match f {
        "greater" => "less",
        "less" => "greater",
        "greater_equal" => "less_equal",
        "less_equal" => "greater_equal",
        other => other,
    }
}

/// A 0/1 operand of a logical operation.
fn zero_one(a: Option<&Arg>, which: &str) -> Result<Value, String> {
    match a {
        Some(Arg::Tensor(t, Some(Kind::Bool))) => Ok(t.clone()),
        Some(Arg::Tensor(t, _)) => Err(format!(
            "its operand {which} ({}) is not known to be a bool (a comparison, a bool input or \
             cast)",
            t.get(0).and_then(Value::as_str).unwrap_or("?")
        )),
        _ => Err(format!("its operand {which} is not a tensor")),
    }
}

fn rescaling(name: &str, x: &Value, scale: f64, offset: f64) -> Value {
    entry(
        name,
        "Rescaling",
        json!({"scale": scale, "offset": offset}),
        vec![json!([x])],
    )
}

fn identity(name: &str, x: &Value) -> Value {
    entry(
        name,
        "Activation",
        json!({"activation": "linear"}),
        vec![json!([x])],
    )
}

fn relu(name: &str, from: &str, max: Option<f64>) -> Value {
    entry(
        name,
        "ReLU",
        json!({"max_value": max, "negative_slope": 0.0, "threshold": 0.0}),
        vec![json!([[from, 0, 0, {}]])],
    )
}

/// `a - b` as `<name>_neg` (`Rescaling(-1)` of `b`) + `<name>_diff`
/// (`Add`): exact for integers.
fn difference(name: &str, a: Value, b: Value) -> Vec<Value> {
    let neg = format!("{name}_neg");
    vec![
        rescaling(&neg, &b, -1.0, 0.0),
        entry(
            &format!("{name}_diff"),
            "Add",
            json!({}),
            vec![json!([a, [neg, 0, 0, {}]])],
        ),
    ]
}

const EXACT: f64 = 16777216.0;

/// `x f c` for an integer-valued `x`, the last layer named `name`.
fn compare(name: &str, f: &str, x: Value, c: f64) -> Result<Vec<Value>, String> {
    if !c.is_finite() || c.abs() >= EXACT {
        return Err(format!(
            "the bound {c} is not a finite number below 2^24 in magnitude"
        ));
    }
    let integral = c.fract() == 0.0;
    let shift = format!("{name}_shift");
    // `x >= k`: ReLU(max 1)(x - k + 1); `x <= k`: ReLU(max 1)(k - x + 1).
    let at_least = |k: f64| {
        vec![
            rescaling(&shift, &x, 1.0, 1.0 - k),
            relu(name, &shift, Some(1.0)),
        ]
    };
    let at_most = |k: f64| {
        vec![
            rescaling(&shift, &x, -1.0, k + 1.0),
            relu(name, &shift, Some(1.0)),
        ]
    };
    let equal = |last: &str| {
        let (up, down, near) = (
            format!("{name}_up"),
            format!("{name}_down"),
            format!("{name}_near"),
        );
        vec![
            rescaling(&up, &x, 1.0, 1.0 - c),
            rescaling(&down, &x, -1.0, 1.0 + c),
            entry(
                &near,
                "Minimum",
                json!({}),
                vec![json!([[up, 0, 0, {}], [down, 0, 0, {}]])],
            ),
            relu(last, &near, None),
        ]
    };
    Ok(match f {
        "greater" => at_least(c.floor() + 1.0),
        "greater_equal" => at_least(c.ceil()),
        "less" => at_most(c.ceil() - 1.0),
        "less_equal" => at_most(c.floor()),
        "equal" if integral => equal(name),
        "not_equal" if integral => {
            let eq = format!("{name}_eq");
            let mut l = equal(&eq);
            l.push(rescaling(name, &json!([eq, 0, 0, {}]), -1.0, 1.0));
            l
        }
        "equal" => vec![rescaling(name, &x, 0.0, 0.0)],
        "not_equal" => vec![rescaling(name, &x, 0.0, 1.0)],
        _ => return Err(format!("internal: no comparison {f}")),
    })
}

/// `where(cond, a, b)` as `cond·a + (1 - cond)·b`.
fn where_(site: &Site<'_>) -> Result<Vec<Value>, String> {
    let name = site.name;
    let args = arguments(site, &["x", "y"])?;
    let [cond, a, b] = args.as_slice() else {
        return Err("only where(condition, x, y) with both branches is rewritten".into());
    };
    let mut layers = Vec::new();
    let cond = match cond {
        Arg::Tensor(t, Some(Kind::Bool)) => t.clone(),
        Arg::Tensor(t, Some(Kind::Int)) => {
            let nz = format!("{name}_cond");
            layers.extend(compare(&nz, "not_equal", t.clone(), 0.0)?);
            json!([nz, 0, 0, {}])
        }
        Arg::Tensor(t, None) => {
            return Err(format!(
                "its condition ({}) is not known to be a bool (a comparison, a bool input or cast)",
                t.get(0).and_then(Value::as_str).unwrap_or("?")
            ))
        }
        _ => return Err("its condition is not a tensor".into()),
    };
    let finite = |c: f64| {
        if c.is_finite() {
            Ok(c)
        } else {
            Err(format!("the constant {c} is not finite (0·{c} is NaN)"))
        }
    };
    let (taken, other) = (format!("{name}_taken"), format!("{name}_other"));
    match a {
        Arg::Tensor(t, _) => layers.push(entry(
            &taken,
            "Multiply",
            json!({}),
            vec![json!([cond.clone(), t])],
        )),
        Arg::Scalar(c) => layers.push(rescaling(&taken, &cond, finite(*c)?, 0.0)),
        Arg::Other => return Err("its x is not a tensor or a number".into()),
    }
    match b {
        Arg::Tensor(t, _) => {
            let not = format!("{name}_not");
            layers.push(rescaling(&not, &cond, -1.0, 1.0));
            layers.push(entry(
                &other,
                "Multiply",
                json!({}),
                vec![json!([[not, 0, 0, {}], t])],
            ));
        }
        Arg::Scalar(c) => {
            let c = finite(*c)?;
            layers.push(rescaling(&other, &cond, -c, c));
        }
        Arg::Other => return Err("its y is not a tensor or a number".into()),
    }
    layers.push(entry(
        name,
        "Add",
        json!({}),
        vec![json!([[taken, 0, 0, {}], [other, 0, 0, {}]])],
    ));
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::rewrite_for_tfjs;
    use super::super::test_util::*;
    use crate::{LayerRegistry, LoadOptions, Model, Tensor};
    use serde_json::Value;

    /// A Keras `keras_version` model with int32 inputs `x`, `y` of shape
    /// `[batch, 6]` and `layers`, its output the Concatenate of the float32
    /// casts of `outputs`.
    fn int_model(keras_version: &str, layers: Vec<Value>, outputs: &[&str]) -> Model {
        let input = |n: &str| {
            json!({"name": n, "class_name": "InputLayer", "inbound_nodes": [],
                   "config": {"batch_input_shape": [null, 6], "dtype": "int32",
                              "sparse": false, "name": n}})
        };
        let mut all = vec![input("x"), input("y")];
        all.extend(layers);
        let mut refs = Vec::new();
        for o in outputs {
            let f = format!("{o}_f");
            all.push(op(
                &f,
                "Cast",
                json!({"dtype": "float32"}),
                json!([[o, 0, 0]]),
            ));
            refs.push(json!([f, 0, 0, {}]));
        }
        all.push(entry(
            "out",
            "Concatenate",
            json!({"axis": -1}),
            vec![Value::Array(refs)],
        ));
        let topology = json!({"class_name": "Functional", "keras_version": keras_version,
            "config": {"name": "m", "layers": all,
                       "input_layers": [["x", 0, 0], ["y", 0, 0]],
                       "output_layers": [["out", 0, 0]]}});
        Model::from_topology(&topology, &LayerRegistry::with_builtins(), 1).unwrap()
    }

    /// The rewrite's output on `x`, `y` (one row each): TF.js classes only.
    fn rewritten(model: &Model) -> Vec<f32> {
        let out = rewrite_for_tfjs(model).unwrap();
        assert_note(&out, "integer comparison");
        let back = Model::from_artifacts(&out.artifacts, &LoadOptions::default()).unwrap();
        let x = Tensor::from_i32(vec![1, 6], vec![-2, 0, 1, 2, 3, 7]).unwrap();
        let y = Tensor::from_i32(vec![1, 6], vec![3, 0, 2, 2, -1, 7]).unwrap();
        back.predict(&[x, y]).unwrap()[0].as_f32().unwrap().to_vec()
    }

    fn rows(rows: &[[i32; 6]]) -> Vec<f32> {
        rows.iter().flatten().map(|&v| v as f32).collect()
    }

    /// Keras 3's comparisons with constants (fractional ones too) and of
    /// two int tensors. From TF 2.21 / Keras 3.15:
    /// `x = np.array([[-2,0,1,2,3,7]], np.int32); y = np.array([[3,0,2,2,-1,7]], np.int32)`;
    /// `ops.cast(ops.greater(x, 2.5), 'float32')` → 0 0 0 0 1 1, `greater_equal(x, 2.5)` →
    /// 0 0 0 0 1 1, `less(x, 1)` → 1 1 0 0 0 0, `less_equal(x, -0.5)` → 1 0 0 0 0 0,
    /// `equal(x, 2)` → 0 0 0 1 0 0, `not_equal(x, 0)` → 1 0 1 1 1 1, `equal(x, 1.5)` → all 0,
    /// `not_equal(x, 1.5)` → all 1, `greater(x, y)` → 0 0 0 0 1 0, `equal(x, y)` →
    /// 0 1 0 1 0 1, `less_equal(x, y)` → 1 1 1 1 0 1.
    #[test]
    fn keras3_comparisons_of_integers_are_exact() {
        let layers = vec![
            op("gt", "Greater", json!({}), json!([["x", 0, 0], 2.5])),
            op("ge", "GreaterEqual", json!({}), json!([["x", 0, 0], 2.5])),
            op("lt", "Less", json!({}), json!([["x", 0, 0], 1])),
            op("le", "LessEqual", json!({}), json!([["x", 0, 0], -0.5])),
            op("eq", "Equal", json!({}), json!([["x", 0, 0], 2])),
            op("ne", "NotEqual", json!({}), json!([["x", 0, 0], 0])),
            op("eqf", "Equal", json!({}), json!([["x", 0, 0], 1.5])),
            op("nef", "NotEqual", json!({}), json!([["x", 0, 0], 1.5])),
            op(
                "gxy",
                "Greater",
                json!({}),
                json!([["x", 0, 0], ["y", 0, 0]]),
            ),
            op("exy", "Equal", json!({}), json!([["x", 0, 0], ["y", 0, 0]])),
            op(
                "lxy",
                "LessEqual",
                json!({}),
                json!([["x", 0, 0], ["y", 0, 0]]),
            ),
        ];
        let names = [
            "gt", "ge", "lt", "le", "eq", "ne", "eqf", "nef", "gxy", "exy", "lxy",
        ];
        let got = rewritten(&int_model("3.15.0", layers, &names));
        let want = rows(&[
            [0, 0, 0, 0, 1, 1],
            [0, 0, 0, 0, 1, 1],
            [1, 1, 0, 0, 0, 0],
            [1, 0, 0, 0, 0, 0],
            [0, 0, 0, 1, 0, 0],
            [1, 0, 1, 1, 1, 1],
            [0, 0, 0, 0, 0, 0],
            [1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 1, 0],
            [0, 1, 0, 1, 0, 1],
            [1, 1, 1, 1, 0, 1],
        ]);
        assert_eq!(got, want);
    }

    /// Logical operations, `where` and casts. From TF 2.21 / Keras 3.15
    /// (`x`, `h` as below): `a = ops.greater(x, 0); b = ops.less(x, 3)`;
    /// `logical_and(a, b)` → 0 0 1 1 0 0, `logical_or(equal(x, -2), equal(x, 7))` →
    /// 1 0 0 0 0 1, `logical_xor(a, b)` → 1 1 0 0 1 1, `logical_not(a)` → 1 1 0 0 0 0,
    /// `ops.cast(x, 'bool')` → 1 0 1 1 1 1; `h = [[0.5,-1.25,2.0,3.5,-0.75,1.0]]`:
    /// `ops.where(ops.not_equal(x, 0), h, -1e9)` → 0.5 -1e9 2 3.5 -0.75 1,
    /// `ops.where(x, h, 2 * h)` (an int condition) → 0.5 -2.5 2 3.5 -0.75 1.
    #[test]
    fn logic_where_and_casts_of_integers_are_exact() {
        let layers = vec![
            op("a", "Greater", json!({}), json!([["x", 0, 0], 0])),
            op("b", "Less", json!({}), json!([["x", 0, 0], 3])),
            op(
                "and",
                "LogicalAnd",
                json!({}),
                json!([["a", 0, 0], ["b", 0, 0]]),
            ),
            op("e1", "Equal", json!({}), json!([["x", 0, 0], -2])),
            op("e2", "Equal", json!({}), json!([["x", 0, 0], 7])),
            op(
                "or",
                "LogicalOr",
                json!({}),
                json!([["e1", 0, 0], ["e2", 0, 0]]),
            ),
            op(
                "xor",
                "LogicalXor",
                json!({}),
                json!([["a", 0, 0], ["b", 0, 0]]),
            ),
            op("not", "LogicalNot", json!({}), json!([["a", 0, 0]])),
            op("nz", "Cast", json!({"dtype": "bool"}), json!([["x", 0, 0]])),
            op(
                "same",
                "Cast",
                json!({"dtype": "int32"}),
                json!([["x", 0, 0]]),
            ),
        ];
        let names = ["and", "or", "xor", "not", "nz", "same"];
        let got = rewritten(&int_model("3.15.0", layers, &names));
        let want = rows(&[
            [0, 0, 1, 1, 0, 0],
            [1, 0, 0, 0, 0, 1],
            [1, 1, 0, 0, 1, 1],
            [1, 1, 0, 0, 0, 0],
            [1, 0, 1, 1, 1, 1],
            [-2, 0, 1, 2, 3, 7],
        ]);
        assert_eq!(got, want);

        // `where` with a fractional branch `h = x·0.25 + 1`:
        // `h = ops.cast(x, 'float32') * 0.25 + 1`;
        // `ops.where(ops.not_equal(x, 0), h, -1e9)` → 0.5 -1e9 1.25 1.5 1.75 2.75,
        // `ops.where(x, h, 2 * h)` → 0.5 2 1.25 1.5 1.75 2.75 (TF 2.21 / Keras 3.15).
        let layers = vec![
            op(
                "xf",
                "Cast",
                json!({"dtype": "float32"}),
                json!([["x", 0, 0]]),
            ),
            entry_on(
                "h",
                "Rescaling",
                json!({"scale": 0.25, "offset": 1.0}),
                "xf",
            ),
            op("c", "NotEqual", json!({}), json!([["x", 0, 0], 0])),
            op(
                "w1",
                "Where",
                json!({}),
                json!([["c", 0, 0], ["h", 0, 0], -1e9]),
            ),
            entry_on("h2", "Rescaling", json!({"scale": 2.0, "offset": 0.0}), "h"),
            op(
                "w2",
                "Where",
                json!({}),
                json!([["x", 0, 0], ["h", 0, 0], ["h2", 0, 0]]),
            ),
        ];
        let got = rewritten(&int_model("3.15.0", layers, &["w1", "w2"]));
        assert_eq!(
            got,
            vec![0.5, -1e9, 1.25, 1.5, 1.75, 2.75, 0.5, 2.0, 1.25, 1.5, 1.75, 2.75]
        );
    }

    /// tf_keras's `TFOpLambda` forms: `tf.cast(tf.math.greater(x, 2),
    /// tf.float32)` → 0 0 0 0 1 1 and `tf.cast(tf.cast(x, tf.bool), tf.float32)`
    /// → 1 0 1 1 1 1 (TF 2.21, `x` as above); `tf.math.logical_not`.
    #[test]
    fn tf_keras_comparisons_of_integers_are_exact() {
        let layers = vec![
            tf("gt", "math.greater", "x", json!({"y": 2})),
            tf("nz", "cast", "x", json!({"dtype": "bool"})),
            tf("le", "math.logical_not", "gt", json!({})),
        ];
        let got = rewritten(&int_model("2.21.0", layers, &["gt", "nz", "le"]));
        let want = rows(&[[0, 0, 0, 0, 1, 1], [1, 0, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]);
        assert_eq!(got, want);
    }

    /// A comparison of a float tensor is refused by name, as is a logical
    /// operation of integers that are not bools.
    #[test]
    fn fractional_operands_are_refused() {
        let layers = vec![
            entry_on("d", "Dense", json!({"units": 6}), "x"),
            tf("gt", "math.greater", "d", json!({"y": 0.0})),
        ];
        assert_refused(
            &functional_from(&[6], layers, 1, Some("2.21.0")),
            &[
                "`gt` (TFOpLambda)",
                "tf.math.greater: its operand x (d) may be fractional",
            ],
        );
        let layers = vec![
            entry_on("r", "Reshape", json!({"target_shape": [6, 1]}), "x"),
            tf("w", "where", "x", json!({"x": ["r", 0, 0], "y": 0.0})),
        ];
        assert_refused(
            &functional_from(&[6], layers, 1, Some("2.21.0")),
            &["tf.where: its tensor operands have ranks [2, 3]"],
        );
        let layers = vec![
            op(
                "and",
                "LogicalAnd",
                json!({}),
                json!([["x", 0, 0], ["y", 0, 0]]),
            ),
            op("ne", "NotEqual", json!({}), json!([["x", 0, 0], 0])),
        ];
        let err = rewrite_for_tfjs(&int_model("3.15.0", layers, &["and", "ne"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("keras.ops LogicalAnd: its operand x (x) is not known to be a bool"),
            "{err}"
        );
    }
}

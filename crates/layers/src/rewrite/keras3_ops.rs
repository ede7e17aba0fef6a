//! Keras 3 operation layers (`ops.Add`, `ops.Relu`, … — `keras.ops.*`
//! called on symbolic tensors) → TF.js layers, with the math of the
//! `TFOpLambda` rule ([`super::tf_op_lambda`]): scalar affine ops as
//! `Rescaling`, tensor-tensor ops as merge layers, activations as
//! `Activation`/`ReLU`/`Softmax`, `Reshape`, `Transpose` (as `Permute`),
//! `Concatenate` (and `Hstack` / `Dstack` / `Append`), `Stack` as `Reshape`s and
//! `Concatenate`, `Mean`/`Max` as global pooling (other non-batch axes: `Permute`,
//! `Reshape`s and 1-D global pooling, [`super::reduce_axes`]), `Min` / `Amin` as
//! `-max(-x)`, `Clip` / `HardTanh` and `Maximum` / `Minimum` with a scalar as
//! [`super::clip`]'s chain, `LogSoftmax` and `LogSigmoid` as TF.js's `log_softmax`
//! activation and `-softplus(-x)`, `Moveaxis` and `Swapaxes`
//! (keeping the batch axis) as `Permute`, `ExpandDims` / `Squeeze` of explicit axes
//! other than the batch as `Reshape` to the static output shape,
//! `LayerNorm` (`ops.layer_normalization` with constant or no `gamma` /
//! `beta`) as `LayerNormalization` over the same axes (sorted: the order
//! Keras broadcasts `gamma` in) with those weights and Keras's
//! `backend.epsilon()` for a `None` epsilon. Other operations are
//! refused, naming the operation.

use super::tf_op_lambda::{
    binary, inner_axis_softmax, min_over, permute, reduce_over, reverse_all_axes, sum_over, unary,
    Operand,
};
use super::{concatenate_entry, entry, f32_weight, Outcome, Site};
use serde_json::{json, Value};
use tfjs_format::codec::DecodedWeight;

/// The rule: applies to `ops.*` layers.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(op) = site.class_name.strip_prefix("ops.") else {
        return Outcome::Skip;
    };
    let mut weights = Vec::new();
    match rewrite(site, op, &mut weights) {
        Ok(layers) => Outcome::Replace { layers, weights },
        Err(why) => Outcome::Cannot(format!("keras.ops {op}: {why}")),
    }
}

fn rewrite(
    site: &Site<'_>,
    op: &str,
    weights: &mut Vec<DecodedWeight>,
) -> Result<Vec<Value>, String> {
    let node = site.single_call("an operation layer outside a functional model")?;
    let refs = node.as_array().ok_or("malformed inbound node")?;
    let first = refs.first().ok_or("the call has no inputs")?;
    let args = first
        .get(3)
        .and_then(|k| k.get("_args"))
        .and_then(Value::as_array)
        .ok_or("the call's arguments are not recorded")?;
    // Tensor arguments in order are the call's saved inputs (node indices
    // as saved); constants stay constants.
    let mut inputs = refs.iter().map(|r| {
        r.as_array()
            .filter(|a| a.len() >= 3)
            .map(|a| json!([a[0], a[1], a[2], {}]))
    });
    let operands: Vec<Operand> = args
        .iter()
        .map(|v| match Operand::of(v) {
            Operand::Tensor(_) => inputs
                .next()
                .flatten()
                .map_or(Operand::Other, Operand::Tensor),
            other => other,
        })
        .collect();
    let name = site.name;
    let c = site.config;
    let x = || -> Result<Value, String> {
        match operands.first() {
            Some(Operand::Tensor(t)) => Ok(t.clone()),
            _ => Err("its first argument is not a tensor".into()),
        }
    };
    let binary_op = match op {
        "Add" => Some("add"),
        "Subtract" => Some("sub"),
        "Multiply" => Some("mul"),
        "TrueDivide" | "Divide" => Some("div"),
        "Maximum" => Some("max"),
        "Minimum" => Some("min"),
        _ => None,
    };
    if let Some(bop) = binary_op {
        let [a, b] = operands.as_slice() else {
            return Err(format!("expected 2 arguments, got {}", args.len()));
        };
        return binary(site, bop, a.clone(), b.clone(), weights);
    }
    let canonical = match op {
        "Negative" => Some("negative"),
        "Relu" => Some("relu"),
        "Relu6" => Some("relu6"),
        "Sigmoid" => Some("sigmoid"),
        "Tanh" => Some("tanh"),
        "Softplus" => Some("softplus"),
        "Softsign" => Some("softsign"),
        "Elu" if c.get("alpha").and_then(Value::as_f64).unwrap_or(1.0) == 1.0 => Some("elu"),
        "Selu" => Some("selu"),
        "Silu" | "Swish" => Some("silu"),
        "Gelu" if c.get("approximate").and_then(Value::as_bool) == Some(false) => Some("gelu"),
        "LeakyRelu" => Some("leaky_relu"),
        "Softmax" => Some("softmax"),
        "LogSoftmax" => Some("log_softmax"),
        _ => None,
    };
    if let Some(f) = canonical {
        let param = match f {
            "leaky_relu" => c.get("negative_slope").and_then(Value::as_f64),
            "softmax" | "log_softmax" => match c.get("axis") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_i64()
                        .ok_or("a softmax over several axes has no TF.js layer")?
                        as f64,
                ),
            },
            _ => None,
        };
        // Over an inner axis: TF.js's kernel takes only the last one.
        if let Some(layers) = inner_axis_softmax(site, name, &x()?, f, param) {
            return Ok(layers);
        }
        return unary(name, x()?, f, param)
            .map(|l| vec![l])
            .ok_or_else(|| format!("internal: no rewrite for {f}"));
    }
    match op {
        "Reshape" => {
            let shape: Option<Vec<i64>> = c
                .get("newshape")
                .or_else(|| c.get("new_shape"))
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(Value::as_i64).collect());
            match shape.as_deref() {
                Some([-1, rest @ ..]) if !rest.contains(&-1) => Ok(vec![entry(
                    name,
                    "Reshape",
                    json!({"target_shape": rest}),
                    vec![json!([x()?])],
                )]),
                _ => Err("only a reshape to [-1, fixed dims…] has a TF.js layer".into()),
            }
        }
        "Transpose" => {
            let perm: Vec<i64> = match c.get("axes") {
                None | Some(Value::Null) => return reverse_all_axes(site, name, x()?),
                Some(a) => a
                    .as_array()
                    .and_then(|a| a.iter().map(Value::as_i64).collect())
                    .ok_or("a transpose needs constant axes")?,
            };
            permute(name, x()?, &perm)
        }
        "Stack" => {
            let axis = c.get("axis").and_then(Value::as_i64).unwrap_or(0);
            let all = call_refs(refs)?;
            stack_layers(site, name, axis, all)
        }
        "Concatenate" | "Hstack" | "Dstack" | "Append" => {
            // numpy's hstack / dstack join along axis 1 / 2, append along
            // its axis (the engine's).
            let axis = match op {
                "Hstack" => 1,
                "Dstack" => 2,
                "Append" => c
                    .get("axis")
                    .and_then(Value::as_i64)
                    .ok_or("append without an axis flattens its operands")?,
                _ => c.get("axis").and_then(Value::as_i64).unwrap_or(0),
            };
            if axis == 0 {
                return Err("concatenating along the batch axis has no TF.js layer".into());
            }
            let all = call_refs(refs)?;
            Ok(vec![concatenate_entry(name, axis, all)])
        }
        "Mean" | "Max" | "Amax" | "Sum" | "Min" | "Amin" => {
            let max = matches!(op, "Max" | "Amax" | "Min" | "Amin");
            let keep = if c.get("keepdims").and_then(Value::as_bool) == Some(true) {
                let s = site
                    .shapes
                    .and_then(|s| s.outputs.first())
                    .ok_or("its output shape is unknown")?;
                Some(
                    s.iter()
                        .skip(1)
                        .map(|d| d.ok_or("its output shape is not fully known"))
                        .collect::<Result<Vec<usize>, _>>()?,
                )
            } else {
                None
            };
            if max && !c.get("initial").is_none_or(Value::is_null) {
                return Err("a max with an initial value has no TF.js layer".into());
            }
            if op == "Sum" {
                return sum_over(site, name, x()?, c.get("axis"), keep);
            }
            if matches!(op, "Min" | "Amin") {
                return min_over(site, name, x()?, c.get("axis"), keep);
            }
            reduce_over(site, name, x()?, max, c.get("axis"), keep)
        }
        "ExpandDims" | "Squeeze" => {
            let out = batch_kept_shape(site, op == "ExpandDims", c.get("axis"))?;
            Ok(vec![entry(
                name,
                "Reshape",
                json!({ "target_shape": out }),
                vec![json!([x()?])],
            )])
        }
        // `Swapaxes` moves each of its two axes to the other's place.
        "Moveaxis" | "Swapaxes" => {
            let rank = site
                .shapes
                .and_then(|s| s.inputs.first())
                .map(Vec::len)
                .ok_or("its input shape is unknown")?;
            let axes = |k: &str| -> Result<Vec<i64>, String> {
                match c.get(k) {
                    Some(Value::Array(a)) => a.iter().map(Value::as_i64).collect(),
                    Some(v) => v.as_i64().map(|a| vec![a]),
                    None => None,
                }
                .ok_or_else(|| format!("{k} is not a list of axes"))
            };
            let (source, destination) = if op == "Moveaxis" {
                (axes("source")?, axes("destination")?)
            } else {
                let (a, b) = (axes("axis1")?, axes("axis2")?);
                ([&a[..], &b[..]].concat(), [&b[..], &a[..]].concat())
            };
            let perm = crate::layers::keras3_ops::move_perm(&source, &destination, rank)?;
            permute(
                name,
                x()?,
                &perm.iter().map(|&p| p as i64).collect::<Vec<_>>(),
            )
        }
        "LayerNorm" => layer_norm(site, x()?, args, weights).map(|l| vec![l]),
        "HardTanh" => super::clip::bounded(name, x()?, Some(-1.0), Some(1.0)),
        "LogSigmoid" => Ok(super::activations::log_sigmoid_chain(name, x()?)),
        // `ops.clip(x, lo, hi)` is `tf.clip_by_value`: ReLU(max_value)
        // between shifts ([`super::clip`]).
        "Clip" => {
            let lo = c.get("x_min").and_then(Value::as_f64);
            let hi = c.get("x_max").and_then(Value::as_f64);
            match (lo, hi) {
                (Some(lo), Some(hi)) => super::clip::bounded(name, x()?, Some(lo), Some(hi)),
                _ => Err("only constant scalar bounds have TF.js layers".into()),
            }
        }
        "DepthToSpace" | "SpaceToDepth" => {
            if c.get("data_format")
                .and_then(Value::as_str)
                .is_some_and(|f| f != "channels_last")
            {
                return Err("only channels_last is rewritten".into());
            }
            let b = c
                .get("block_size")
                .and_then(Value::as_u64)
                .filter(|&b| b >= 2)
                .ok_or("block_size is not an integer of at least 2")? as usize;
            super::depth_space::steps(site, json!([x()?]), b, op == "DepthToSpace")
        }
        other => Err(format!(
            "TensorFlow.js 4.22 has no layer computing keras.ops.{} exactly",
            other.to_lowercase()
        )),
    }
}

/// `ops.layer_normalization(x, gamma, beta, axis, epsilon)` as a
/// `LayerNormalization` layer named after the operation; its constant
/// `gamma` / `beta` (positional arguments 1 and 2) become its weights.
fn layer_norm(
    site: &Site<'_>,
    x: Value,
    args: &[Value],
    weights: &mut Vec<DecodedWeight>,
) -> Result<Value, String> {
    let c = site.config;
    if c.get("rms_scaling").and_then(Value::as_bool) == Some(true) {
        return Err(
            "rms_scaling (TensorFlow.js 4.22's LayerNormalization ignores it and subtracts \
             the mean)"
                .into(),
        );
    }
    let dims = site.static_input()?;
    let rank = dims.len() as i64 + 1;
    let given: Vec<i64> = match c.get("axis") {
        None | Some(Value::Null) => Some(vec![-1]),
        Some(Value::Array(a)) => a.iter().map(Value::as_i64).collect(),
        Some(v) => v.as_i64().map(|a| vec![a]),
    }
    .ok_or("its axis is not an integer or a list of integers")?;
    let mut axes: Vec<usize> = Vec::with_capacity(given.len());
    for a in given {
        let at = if a < 0 { a + rank } else { a };
        if at < 1 || at >= rank || axes.contains(&(at as usize)) {
            return Err(format!(
                "axis {a} of a rank-{rank} input is not a feature axis (or is repeated)"
            ));
        }
        axes.push(at as usize);
    }
    axes.sort_unstable();
    let pshape: Vec<usize> = axes.iter().map(|&a| dims[a - 1]).collect();
    let n: usize = pshape.iter().product();
    let param = |i: usize, short: &str| -> Result<Option<Vec<f32>>, String> {
        let v = match args.get(i) {
            None | Some(Value::Null) => return Ok(None),
            Some(v) => v,
        };
        if crate::topology::kwarg_tensor(v).is_some() {
            return Err(format!(
                "its {short} is a tensor of the model's (a constant becomes a weight)"
            ));
        }
        let values: Vec<f32> = match v.as_f64() {
            Some(f) => vec![f as f32],
            None => crate::layers::tf_ops::constant_array(v.pointer("/config/value").unwrap_or(v))
                .ok_or_else(|| format!("its {short} is not a constant array"))?
                .to_f32()
                .into_owned(),
        };
        match values.len() {
            1 => Ok(Some(vec![values[0]; n])),
            k if k == n => Ok(Some(values)),
            k => Err(format!(
                "its {short} has {k} values for {n} normalized elements"
            )),
        }
    };
    let (gamma, beta) = (param(1, "gamma")?, param(2, "beta")?);
    let name = site.name;
    let config = json!({
        "axis": axes,
        // Keras's backend.epsilon() when None.
        "epsilon": c.get("epsilon").and_then(Value::as_f64).unwrap_or(1e-7),
        "center": beta.is_some(),
        "scale": gamma.is_some(),
        "beta_initializer": {"class_name": "Zeros", "config": {}},
        "gamma_initializer": {"class_name": "Ones", "config": {}},
        "beta_regularizer": null,
        "gamma_regularizer": null,
    });
    for (short, values) in [("gamma", gamma), ("beta", beta)] {
        if let Some(v) = values {
            weights.push(f32_weight(format!("{name}/{short}"), pshape.clone(), v));
        }
    }
    Ok(entry(name, "LayerNormalization", config, vec![json!([x])]))
}

/// Every input of a call (its inbound node's references, without kwargs).
fn call_refs(refs: &[Value]) -> Result<Vec<Value>, String> {
    refs.iter()
        .map(|r| {
            r.as_array()
                .filter(|a| a.len() >= 3)
                .map(|a| json!([a[0], a[1], a[2], {}]))
        })
        .collect::<Option<_>>()
        .ok_or_else(|| "malformed inbound node".to_string())
}

/// `stack(inputs, axis)` (`ops.stack`, `tf.stack`) as TF.js layers: each
/// input `Reshape`d to the output's static shape with a 1 at the stacked
/// axis, then `Concatenate` along it (exact: the values are only moved).
/// The batch axis (0) cannot be stacked along. Keras 3's operations and
/// tf_keras's `TFOpLambda` both rewrite through this.
pub(super) fn stack_layers(
    site: &Site<'_>,
    name: &str,
    axis: i64,
    inputs: Vec<Value>,
) -> Result<Vec<Value>, String> {
    let out = site
        .shapes
        .and_then(|s| s.outputs.first())
        .ok_or("its output shape is unknown")?;
    let rank = out.len() as i64;
    let at = if axis < 0 { axis + rank } else { axis };
    if at <= 0 || at >= rank {
        return Err(format!(
            "stacking along axis {axis} (the batch axis or out of range) has no TF.js layer"
        ));
    }
    let mut target: Vec<usize> = out
        .iter()
        .skip(1)
        .map(|d| d.ok_or_else(|| "its output shape is not fully known".to_string()))
        .collect::<Result<_, _>>()?;
    target[at as usize - 1] = 1;
    let mut layers = Vec::new();
    let mut parts = Vec::new();
    for (i, x) in inputs.into_iter().enumerate() {
        let part = format!("{name}_part{i}");
        layers.push(entry(
            &part,
            "Reshape",
            json!({ "target_shape": target }),
            vec![json!([x])],
        ));
        parts.push(json!([part, 0, 0, {}]));
    }
    layers.push(concatenate_entry(name, at, parts));
    Ok(layers)
}

/// The static output shape (batch left out) of `expand_dims` (`expand`)
/// or `squeeze` of `axis`, for a `Reshape`, when the batch axis stays
/// first and whole: an axis counted from the front of the output (expand)
/// or input (squeeze) that is not 0, and explicit (a squeeze of every
/// 1-sized axis would take a batch of one too). Keras 3's operations and
/// tf_keras's `TFOpLambda` both rewrite through this.
pub(super) fn batch_kept_shape(
    site: &Site<'_>,
    expand: bool,
    axis: Option<&Value>,
) -> Result<Vec<usize>, String> {
    let shapes = site.shapes.ok_or("its shapes are unknown")?;
    let counted = if expand {
        &shapes.outputs
    } else {
        &shapes.inputs
    };
    let rank = counted.first().ok_or("its shapes are unknown")?.len() as i64;
    let axes: Vec<i64> = match axis {
        Some(Value::Array(a)) => a.iter().map(Value::as_i64).collect(),
        Some(v) => v.as_i64().map(|a| vec![a]),
        None => None,
    }
    .ok_or("only explicit axes have a TF.js layer (a batch of one would be squeezed)")?;
    if axes.iter().any(|&a| a == 0 || a == -rank) {
        return Err("an axis before the batch has no TF.js layer".into());
    }
    shapes
        .outputs
        .first()
        .ok_or("its output shape is unknown")?
        .iter()
        .skip(1)
        .map(|d| d.ok_or_else(|| "its output shape is not fully known".to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::probes::{self, op};
    use super::super::test_util::*;

    #[test]
    fn keras3_operation_layers_become_tfjs_layers() {
        let layers = probes::keras3_ops();
        assert_rewrites(&[3, 5], layers, 9, 1e-6, "t (ops.Transpose) -> Permute");
        let layers = probes::keras3_ops();
        assert_rewrites(&[3, 5], layers, 9, 1e-6, "sq (ops.Squeeze) -> Reshape");
        let layers = probes::keras3_ops();
        assert_rewrites(&[3, 5], layers, 9, 1e-6, "ed (ops.ExpandDims) -> Reshape");
        let layers = probes::keras3_ops();
        assert_rewrites(&[3, 5], layers, 9, 1e-6, "mm (ops.Matmul) -> Dot");
        let layers = probes::keras3_ops();
        assert_rewrites(&[3, 5], layers, 9, 1e-6, "halves (ops.Split) -> Reshape");
    }

    /// `ops.stack` after the batch axis is a `Reshape` per input and a
    /// `Concatenate`; `ops.hstack` / `ops.append` are a `Concatenate`;
    /// stacking along the batch has no TF.js layer.
    #[test]
    fn stacks_become_reshapes_and_concatenate() {
        let two = || json!([[["x", 0, 0], ["x", 0, 0]]]);
        for (class, config, args, note) in [
            (
                "Stack",
                json!({"axis": 1}),
                two(),
                "st (ops.Stack) -> Reshape",
            ),
            (
                "Stack",
                json!({"axis": -1}),
                two(),
                "st (ops.Stack) -> Reshape",
            ),
            ("Hstack", json!({}), two(), "st (ops.Hstack) -> Concatenate"),
            (
                "Append",
                json!({"axis": 2}),
                json!([["x", 0, 0], ["x", 0, 0]]),
                "st (ops.Append) -> Concatenate",
            ),
        ] {
            let layers = vec![op("st", class, config, args)];
            assert_rewrites(&[2, 3, 4], layers, 9, 0.0, note);
        }
        let model = functional(
            &[3, 4],
            vec![op("st", "Stack", json!({"axis": 0}), two())],
            9,
        );
        assert_refused(&model, &["`st` (ops.Stack)", "the batch axis"]);
    }

    /// `ops.swapaxes` of two axes after the batch is a `Permute`; moving
    /// the batch axis has no TF.js layer.
    #[test]
    fn swapaxes_becomes_permute() {
        let swap = |a: i64, b: i64| {
            vec![op(
                "sw",
                "Swapaxes",
                json!({"axis1": a, "axis2": b}),
                json!([["x", 0, 0]]),
            )]
        };
        assert_rewrites(
            &[2, 3, 4, 5],
            swap(1, -1),
            9,
            0.0,
            "sw (ops.Swapaxes) -> Permute",
        );
        let model = functional(&[3, 4], swap(0, 1), 9);
        assert_refused(&model, &["`sw` (ops.Swapaxes)"]);
    }

    /// `ops.clip(x, 0, max)` is a `ReLU(max_value)` (Keras 3 saves
    /// `x_min` / `x_max` in the config); other lower bounds shift it.
    /// `ops.nn.depth_to_space` / `space_to_depth` (channels_last) are the
    /// `tf.nn` functions' Reshape + Permute + Reshape.
    #[test]
    fn clip_and_pixel_shuffle_operations_become_layers() {
        let clip = |lo: f64| {
            vec![op(
                "cl",
                "Clip",
                json!({"x_min": lo, "x_max": 0.5}),
                json!([["x", 0, 0]]),
            )]
        };
        assert_rewrites(&[2, 3, 4], clip(0.0), 9, 0.0, "cl (ops.Clip) -> ReLU");
        let note = "cl (ops.Clip) -> Rescaling + ReLU + Rescaling";
        assert_rewrites(&[2, 3, 4], clip(-1.0), 9, 1e-6, note);
        for (class, shape, block) in [
            ("DepthToSpace", [2, 3, 2, 8], 2),
            ("SpaceToDepth", [2, 6, 9, 2], 3),
        ] {
            let layers = vec![op(
                "p",
                class,
                json!({"block_size": block, "data_format": "channels_last"}),
                json!([["x", 0, 0]]),
            )];
            assert_rewrites(
                &shape,
                layers,
                4,
                0.0,
                &format!("p (ops.{class}) -> Reshape + Permute + Reshape"),
            );
        }
    }

    /// `ops.softmax(x, axis=1)` of a rank-3 tensor: TF.js's kernel takes
    /// only the last axis, so the axis is permuted last and back.
    #[test]
    fn softmax_operations_over_an_inner_axis_are_permuted() {
        let layers = vec![op(
            "sm",
            "Softmax",
            json!({"axis": 1}),
            json!([["x", 0, 0]]),
        )];
        assert_rewrites(
            &[2, 5, 3],
            layers,
            9,
            1e-6,
            "sm (ops.Softmax) -> Permute + Softmax + Permute",
        );
    }

    #[test]
    fn layer_normalization_operations_become_the_layer() {
        let numpy =
            |v: serde_json::Value| json!({"class_name": "__numpy__", "config": {"value": v}});
        for (config, args, note) in [
            (
                json!({"axis": -1, "epsilon": null, "rms_scaling": false}),
                json!([["d", 0, 0], null, null]),
                "ln (ops.LayerNorm) -> LayerNormalization",
            ),
            (
                json!({"axis": [2, 1], "epsilon": 0.001, "rms_scaling": false}),
                json!([
                    ["d", 0, 0],
                    numpy(json!([[0.5, 1.5], [1.0, 2.0], [0.25, 1.0]])),
                    0.5
                ]),
                "ln (ops.LayerNorm) -> LayerNormalization",
            ),
        ] {
            let layers = vec![dense("d", 2, "x"), op("ln", "LayerNorm", config, args)];
            assert_rewrites(&[2, 3, 2], layers, 9, 1e-5, note);
        }
        let layers = vec![op(
            "ln",
            "LayerNorm",
            json!({"axis": -1, "epsilon": null, "rms_scaling": true}),
            json!([["x", 0, 0], null, null]),
        )];
        assert_refused(
            &functional(&[3, 2], layers, 9),
            &["`ln` (ops.LayerNorm)", "rms_scaling"],
        );
    }

    #[test]
    fn squeezes_and_expansions_of_the_batch_are_refused() {
        for (class, config) in [
            ("ExpandDims", json!({"axis": 0})),
            ("Squeeze", json!({"axis": null})),
        ] {
            let layers = vec![
                entry_on("r", "Reshape", json!({"target_shape": [1, 4]}), "x"),
                op("o", class, config, json!([["r", 0, 0]])),
            ];
            let model = functional(&[4], layers, 9);
            assert_refused(&model, &[&format!("`o` (ops.{class})")]);
        }
    }

    #[test]
    fn keras3_operations_without_a_tfjs_layer_are_refused() {
        let layers = vec![
            op("ne", "NotEqual", json!({}), json!([["x", 0, 0], 0])),
            op("e", "Exp", json!({}), json!([["ne", 0, 0]])),
        ];
        let model = functional(&[4], layers, 9);
        assert_refused(
            &model,
            &[
                "2 layers",
                "`ne` (ops.NotEqual): keras.ops NotEqual: its operand x (x) may be fractional",
                "`e` (ops.Exp)",
            ],
        );
    }
}

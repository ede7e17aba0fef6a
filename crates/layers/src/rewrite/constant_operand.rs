//! `x + c`, `x - c`, `c - x` and `x * c` with a non-scalar constant `c`
//! (a learned position embedding Keras folds into a constant,
//! `x + Embedding(n, d)(tf.range(n))`, `x + ops.arange(…)`-based terms),
//! which no TF.js layer takes as an operand: `x` (flattened by a static
//! `Reshape` when its rank is above 2) through a `BatchNormalization`
//! over the last axis with `epsilon: 0`, `moving_mean` 0 and
//! `moving_variance` 1, and `c` broadcast to `x`'s shape as its `beta`
//! (add, subtract) and/or `gamma` (multiply, `-1` for `c - x`), then a
//! `Reshape` back. A constant along the last axis only (a per-channel
//! mean, scale or bias: `keras.applications` `preprocess_input`) keeps
//! its `C` values, the `BatchNormalization` over the last axis of `x` as
//! it is. TensorFlow.js 4.22's cpu backend computes `offset +
//! (x - mean) * scale / Math.sqrt(variance + epsilon)` in doubles stored
//! as float32: `c + x·1/1`, `c + x·(-1)/1` and `0 + x·c/1` are one
//! float32 add or multiply rounded through a double, which is float32's
//! own result (53 ≥ 2·24 + 2 bits). `x / c` puts `c²` in `moving_variance`
//! and `sign(c)` in `gamma`: exact when float32 holds every `c²`, within
//! one float32 rounding otherwise ([`super::constant_divide`]).

use super::{entry, entry_on, f32_weight, Site};
use serde_json::{json, Value};
use tfjs_format::codec::DecodedWeight;

/// The values and shape of a non-scalar numeric constant: a nested list,
/// or Keras 3's `{"class_name": "__tensor__" / "__numpy__", "config":
/// {"value": …}}`.
pub(super) fn constant(v: &Value) -> Option<(Vec<usize>, Vec<f64>)> {
    if matches!(
        v.get("class_name").and_then(Value::as_str),
        Some("__tensor__" | "__numpy__")
    ) {
        return constant(v.pointer("/config/value")?);
    }
    fn walk(v: &Value, depth: usize, shape: &mut Vec<usize>, out: &mut Vec<f64>) -> Option<()> {
        match v {
            Value::Number(n) => (depth == shape.len()).then(|| out.push(n.as_f64().unwrap_or(0.0))),
            Value::Array(a) => {
                if depth == shape.len() {
                    shape.push(a.len());
                } else if shape.get(depth) != Some(&a.len()) {
                    return None;
                }
                a.iter().try_for_each(|e| walk(e, depth + 1, shape, out))
            }
            _ => None,
        }
    }
    let (mut shape, mut values) = (Vec::new(), Vec::new());
    walk(v, 0, &mut shape, &mut values)?;
    (!shape.is_empty() && values.len() > 1).then_some((shape, values))
}

/// `values` of `shape` broadcast to `dims` (numpy's rules; a leading
/// batch axis of 1 is dropped), or why not.
fn broadcast(shape: &[usize], values: &[f64], dims: &[usize]) -> Result<Vec<f32>, String> {
    let mut shape = shape.to_vec();
    if shape.len() == dims.len() + 1 && shape[0] == 1 {
        shape.remove(0);
    }
    if shape.len() > dims.len()
        || shape
            .iter()
            .rev()
            .zip(dims.iter().rev())
            .any(|(&c, &d)| c != d && c != 1)
    {
        return Err(format!(
            "the constant of shape {shape:?} does not broadcast to the tensor's {dims:?} \
             (a rewrite keeps the tensor's shape)"
        ));
    }
    let pad = dims.len() - shape.len();
    let n: usize = dims.iter().product();
    let mut out = Vec::with_capacity(n);
    for flat in 0..n {
        let (mut rest, mut src, mut stride) = (flat, 0, 1);
        for axis in (0..dims.len()).rev() {
            let i = rest % dims[axis];
            rest /= dims[axis];
            if axis >= pad {
                let c = shape[axis - pad];
                src += if c == 1 { 0 } else { i * stride };
                stride *= c;
            }
        }
        out.push(values[src] as f32);
    }
    Ok(out)
}

/// `x op c` (`constant_first`: `c op x`) for `op` in add, sub, mul as the
/// layers named after `site` (the last one keeps its name), their
/// weights added to `weights`.
pub(super) fn affine(
    site: &Site<'_>,
    op: &str,
    x: Value,
    c: &Value,
    constant_first: bool,
    weights: &mut Vec<DecodedWeight>,
) -> Result<Vec<Value>, String> {
    let (shape, values) = constant(c).ok_or("a constant operand that is not a numeric array")?;
    let io = site.shapes.ok_or("its input shape is unknown")?;
    if let Some(k) = grows_last_axis(io, &shape) {
        return along_new_axis(site, op, x, &values, constant_first, k, weights);
    }
    let dims: Vec<usize> = io
        .outputs
        .first()
        .filter(|out| io.inputs.first() == Some(*out))
        .ok_or(
            "the constant broadcasts its tensor operand to another shape (the rewrite keeps it)",
        )?
        .iter()
        .skip(1)
        .map(|d| d.ok_or("its tensor operand's shape is not fully known"))
        .collect::<Result<_, _>>()?;
    if dims.is_empty() {
        return Err("its tensor operand has no axis besides the batch".into());
    }
    // A constant along the last axis only (`[C]`, `[1, …, 1, C]`: a
    // per-channel mean or bias) stays `C` values over that axis, at any
    // rank; any other is broadcast to the whole tensor, flattened.
    let ones = shape.iter().take_while(|&&d| d == 1).count();
    let per_channel = shape.len() - ones == 1 && shape.last() == dims.last();
    let c = if per_channel {
        values.iter().map(|&v| v as f32).collect()
    } else {
        broadcast(&shape, &values, &dims)?
    };
    let n = c.len();
    let mut variance = vec![1.0; n];
    let (gamma, beta) = match (op, constant_first) {
        ("add", _) => (None, Some(c)),
        ("sub", false) => (None, Some(c.iter().map(|v| -v).collect())),
        ("sub", true) => (Some(vec![-1.0; n]), Some(c)),
        ("mul", _) => (Some(c), None),
        ("div", false) => {
            let division = super::constant_divide::divisors(&values)
                .map_err(|why| format!("div with a non-scalar constant: {why}"))?;
            site.note(division.note());
            let (sign, square) = super::constant_divide::sign_and_square(&c);
            variance = square;
            (Some(sign), None)
        }
        _ => {
            return Err(format!(
                "{op} with a non-scalar constant has no exact TF.js layer"
            ))
        }
    };
    let name = site.name;
    let flat = dims.len() > 1 && !per_channel;
    let bn = if flat {
        format!("{name}_affine")
    } else {
        name.to_string()
    };
    let w = |short: &str, v: Vec<f32>| f32_weight(format!("{bn}/{short}"), vec![n], v);
    let (center, scale) = (beta.is_some(), gamma.is_some());
    weights.extend(gamma.map(|g| w("gamma", g)));
    weights.extend(beta.map(|b| w("beta", b)));
    weights.push(w("moving_mean", vec![0.0; n]));
    weights.push(w("moving_variance", variance));
    let config = super::normalization::fixed_batch_norm_config(site, -1, center, scale);
    if !flat {
        return Ok(vec![entry(
            &bn,
            "BatchNormalization",
            config,
            vec![json!([x])],
        )]);
    }
    let flatten = format!("{name}_flat");
    Ok(vec![
        entry(
            &flatten,
            "Reshape",
            json!({"target_shape": [n]}),
            vec![json!([x])],
        ),
        entry_on(&bn, "BatchNormalization", config, &flatten),
        entry_on(name, "Reshape", json!({"target_shape": dims}), &bn),
    ])
}

/// `k` when the tensor operand's last axis is 1 and the constant is `k`
/// values along it (`[k]`, `[1, …, 1, k]`, no more axes than the tensor),
/// the output the tensor with that axis grown to `k` (a time `t` of
/// `[batch, 1]` times `k` frequencies, `t - changepoints`).
fn grows_last_axis(io: &super::LayerShapes, shape: &[usize]) -> Option<usize> {
    let (input, output) = (io.inputs.first()?, io.outputs.first()?);
    let k = *shape.last()?;
    let ones = shape.iter().take_while(|&&d| d == 1).count();
    let grown = input.len() == output.len()
        && shape.len() <= input.len()
        && ones == shape.len() - 1
        && k > 1
        && input.last() == Some(&Some(1))
        && output.last() == Some(&Some(k))
        && input[..input.len() - 1] == output[..output.len() - 1];
    grown.then_some(k)
}

/// `x op c` for a tensor `x` whose last axis is 1 and a constant `c` of
/// `k` values along it ([`grows_last_axis`]): a `Dense(k)` over that
/// axis, each output one product `x·c_j` (multiply: no bias) or `±x`
/// plus one bias `±c_j` (add, subtract), the float32 operation Keras
/// computes. Division is refused (`x · (1/c)` rounds otherwise).
fn along_new_axis(
    site: &Site<'_>,
    op: &str,
    x: Value,
    values: &[f64],
    constant_first: bool,
    k: usize,
    weights: &mut Vec<DecodedWeight>,
) -> Result<Vec<Value>, String> {
    let c: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    let (kernel, bias) = match (op, constant_first) {
        ("mul", _) => (c, None),
        ("add", _) => (vec![1.0; k], Some(c)),
        ("sub", false) => (vec![1.0; k], Some(c.iter().map(|v| -v).collect())),
        ("sub", true) => (vec![-1.0; k], Some(c)),
        _ => {
            return Err(format!(
                "{op} with a constant that grows the tensor's last axis has no exact TF.js layer"
            ))
        }
    };
    let name = site.name;
    weights.push(f32_weight(format!("{name}/kernel"), vec![1, k], kernel));
    let use_bias = bias.is_some();
    weights.extend(bias.map(|b| f32_weight(format!("{name}/bias"), vec![k], b)));
    Ok(vec![entry(
        name,
        "Dense",
        super::site::zero_dense(k, use_bias),
        vec![json!([x])],
    )])
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn op_lambda(function: &str, kwargs: serde_json::Value) -> serde_json::Value {
        entry(
            "op",
            "TFOpLambda",
            json!({"function": function}),
            vec![json!([["x", 0, 0, kwargs]])],
        )
    }

    #[test]
    fn a_position_table_added_to_a_sequence_is_a_batch_normalization_beta() {
        let pos = json!([[0.5, -1.25, 3.0], [2.0, 0.125, -0.75]]);
        let model = functional(
            &[2, 3],
            vec![op_lambda("__operators__.add", json!({"y": pos}))],
            1,
        );
        let out = assert_same(&model, &input(&[2, 2, 3]), 0.0);
        assert_note(
            &out,
            "op (TFOpLambda) -> Reshape + BatchNormalization + Reshape",
        );
    }

    #[test]
    fn a_broadcast_row_multiplied_and_subtracted() {
        let row = json!([[1.5, -2.0, 0.25]]);
        for (function, kwargs) in [
            ("math.multiply", json!({"y": row})),
            ("math.subtract", json!({"y": row})),
        ] {
            let model = functional(&[2, 3], vec![op_lambda(function, kwargs)], 1);
            assert_same(&model, &input(&[2, 2, 3]), 0.0);
        }
    }

    #[test]
    fn a_constant_along_a_last_axis_of_one_grows_it_as_a_dense() {
        // Prophet's `t * scales`, `t - changepoints`, `t + offsets` on a
        // time `[batch, 1]` (and on `[batch, 2, 1]`), `changepoints - t`:
        // each output one float32 product or sum, as Keras's.
        let row = json!([0.2, -1.5, 0.375, 3.0]);
        let rsub = entry(
            "op",
            "TFOpLambda",
            json!({"function": "math.subtract"}),
            vec![json!(["_CONSTANT_VALUE", -1, row.clone(), {"y": ["x", 0, 0]}])],
        );
        for shape in [vec![1], vec![2, 1]] {
            for layer in [
                op_lambda("math.multiply", json!({"y": row.clone()})),
                op_lambda("math.subtract", json!({"y": row.clone()})),
                op_lambda("__operators__.add", json!({"y": [[0.125, -0.375]]})),
                rsub.clone(),
            ] {
                let model = functional(&shape, vec![layer], 1);
                let mut x_shape = vec![3];
                x_shape.extend(&shape);
                let out = assert_same(&model, &input(&x_shape), 0.0);
                assert_note(&out, "op (TFOpLambda) -> Dense");
            }
        }
        // Keras 3's `ops.multiply(t, c)`; a division is refused.
        let c = json!({"class_name": "__numpy__", "config": {"value": row, "dtype": "float32"}});
        let k3 = super::super::probes::op("op", "Multiply", json!({}), json!([["x", 0, 0], c]));
        let model = functional_from(&[1], vec![k3], 1, Some("3.15.0"));
        assert_same(&model, &input(&[3, 1]), 0.0);
        let div = op_lambda("math.truediv", json!({"y": [2.0, 4.0, 8.0]}));
        let model = functional(&[1], vec![div], 1);
        assert_refused(
            &model,
            &["`op` (TFOpLambda)", "grows the tensor's last axis"],
        );
    }

    #[test]
    fn a_keras_3_scalar_tensor_operand_is_a_scalar() {
        // `x / ops.sqrt(4.0)`: Keras 3 saves the eager result as a tensor.
        let two = json!({"class_name": "__tensor__", "config": {"value": 2.0, "dtype": "float32"}});
        let div =
            super::super::probes::op("op", "TrueDivide", json!({}), json!([["x", 0, 0], two]));
        let model = functional_from(&[3], vec![div], 1, Some("3.15.0"));
        let out = assert_same(&model, &input(&[2, 3]), 0.0);
        assert_note(&out, "-> Rescaling");
    }

    #[test]
    fn a_constant_that_would_grow_the_tensor_or_divide_by_zero_is_refused() {
        let grow = op_lambda(
            "__operators__.add",
            json!({"y": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}),
        );
        let model = functional(&[1, 3], vec![grow], 1);
        assert_refused(&model, &["op", "to another shape"]);
        let div = op_lambda("math.truediv", json!({"y": [[2.0, 0.0, 3.0]]}));
        let model = functional(&[2, 3], vec![div], 1);
        assert_refused(
            &model,
            &[
                "`op` (TFOpLambda)",
                "div with a non-scalar constant",
                "element 1 (0) is 0",
            ],
        );
        let rdiv = entry(
            "op",
            "TFOpLambda",
            json!({"function": "math.truediv"}),
            vec![json!(["_CONSTANT_VALUE", -1, [[2.0, 4.0, 8.0]], {"y": ["x", 0, 0]}])],
        );
        let model = functional(&[2, 3], vec![rdiv], 1);
        assert_refused(
            &model,
            &[
                "`op` (TFOpLambda)",
                "div with a non-scalar constant has no exact",
            ],
        );
    }

    #[test]
    fn a_table_of_exact_divisors_and_a_constant_minus_a_tensor() {
        // `x / c` as gamma sign(c), variance c²; our engine folds that to
        // x · (1/|c|) (one rounding apart from x / c: TF.js's kernel, which
        // divides, is exact, see `constant_divide`); `c - x` as gamma -1,
        // beta c.
        let scales = json!([[2.0, 0.5, -4.0], [1.5, 127.5, -0.25]]);
        let div = op_lambda("math.truediv", json!({"y": scales}));
        let rsub = entry(
            "rsub",
            "TFOpLambda",
            json!({"function": "math.subtract"}),
            vec![json!(["_CONSTANT_VALUE", -1, [0.1, -0.2, 0.3], {"y": ["op", 0, 0]}])],
        );
        let model = functional(&[2, 3], vec![div, rsub], 1);
        let out = assert_same(&model, &input(&[2, 2, 3]), 1e-7);
        assert_note(
            &out,
            "op (TFOpLambda) -> Reshape + BatchNormalization + Reshape (x / c exact",
        );
        // [0.1, -0.2, 0.3] lies along the last axis: no flattening.
        assert_note(&out, "rsub (TFOpLambda) -> BatchNormalization");
    }

    #[test]
    fn imagenet_normalization_divides_within_one_float32_rounding() {
        // (x - mean) / std over the channels: std's squares are rounded in
        // float32 (see `constant_divide` for the bound in TF.js).
        let sub = op_lambda("math.subtract", json!({"y": [0.485, 0.456, 0.406]}));
        let div = entry(
            "div",
            "TFOpLambda",
            json!({"function": "math.truediv"}),
            vec![json!([["op", 0, 0, {"y": [0.229, 0.224, 0.225]}]])],
        );
        let model = functional(&[2, 2, 3], vec![sub, div], 1);
        let out = assert_same(&model, &input(&[2, 2, 2, 3]), 1e-6);
        assert_note(&out, "op (TFOpLambda) -> BatchNormalization");
        assert_note(
            &out,
            "div (TFOpLambda) -> BatchNormalization (x / c within one \
             float32 rounding (c² is rounded in float32, first at element 0 (0.229)))",
        );
    }
}

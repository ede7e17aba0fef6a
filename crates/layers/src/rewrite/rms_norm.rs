//! RMS normalization, which TensorFlow.js 4.22 has no layer for: Keras 3's
//! `RMSNormalization` layer and `ops.rms_normalization` (an `RMSNorm`
//! operation with a constant or no `scale`), both
//! `x · rsqrt(mean(x²) + epsilon) · scale` over their axes → over a run
//! of axes ending with the last (a `Reshape` to `[positions, N]` first
//! when there are several), `x` and `-x` joined through
//! `LayerNormalization` ([`super::l2_normalize::pair_norm`]: the pair's
//! mean is 0 and its variance `mean(x²)`, `gamma` the scale twice,
//! Keras's `epsilon`), the first half cropped and reshaped back: within a
//! few float32 roundings (TF.js subtracts the pair's rounded mean, ~0, and
//! divides by `√(var + epsilon)` as Keras multiplies by its `rsqrt`).
//! Other axes (not ending with the last) stay refused by name. Keras 3's
//! `LayerNormalization(rms_scaling=True)` is not this: it scales `x` by
//! `rsqrt(var(x) + epsilon)` (the centred variance) without centring `x`,
//! which no TF.js layer composition computes ([`super::tfjs_limits`]
//! refuses it).

use super::{Outcome, Site};
use serde_json::Value;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(&[], &["RMSNormalization", "ops.RMSNorm"]) else {
        return Outcome::Skip;
    };
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (first, node) = site.first_input("a layer outside a functional model")?;
    let dims = site.static_input()?;
    let rank = dims.len() as i64 + 1;
    let c = site.config;
    let given: Vec<i64> = match c.get("axis") {
        None | Some(Value::Null) => Some(vec![-1]),
        Some(Value::Array(a)) => a.iter().map(Value::as_i64).collect(),
        Some(v) => v.as_i64().map(|a| vec![a]),
    }
    .ok_or("its axis is not an integer or a list of integers")?;
    let mut axes: Vec<i64> = given
        .iter()
        .map(|&a| if a < 0 { a + rank } else { a })
        .collect();
    axes.sort_unstable();
    axes.dedup();
    let from = *axes.first().ok_or("no axis")?;
    if from < 1 || axes != (from..rank).collect::<Vec<_>>() {
        return Err(format!(
            "axis {given:?}: only a run of feature axes ending with the last is rewritten"
        ));
    }
    let n: usize = dims[from as usize - 1..].iter().product();
    if n == 0 {
        return Err("an empty normalized row".into());
    }
    let operation = site.class_name == "ops.RMSNorm";
    // The layer's default epsilon is in its config; the operation's
    // `None` is Keras's backend.epsilon().
    let epsilon = c.get("epsilon").and_then(Value::as_f64).unwrap_or(1e-7);
    let scale: Vec<f32> = if operation {
        let kwargs = first.get(3);
        let v = kwargs
            .and_then(|k| k.get("_args"))
            .and_then(|a| a.get(1))
            .or_else(|| kwargs.and_then(|k| k.get("scale")));
        match v {
            None | Some(Value::Null) => vec![1.0; n],
            Some(v) if crate::topology::kwarg_tensor(v).is_some() => {
                return Err("its scale is a tensor of the model's (a constant is rewritten)".into())
            }
            Some(v) => {
                let values: Vec<f32> = match v.as_f64() {
                    Some(f) => vec![f as f32],
                    None => crate::layers::tf_ops::constant_array(
                        v.pointer("/config/value").unwrap_or(v),
                    )
                    .ok_or("its scale is not a constant array")?
                    .to_f32()
                    .into_owned(),
                };
                match values.len() {
                    1 => vec![values[0]; n],
                    k if k == n => values,
                    k => return Err(format!("its scale has {k} values for rows of {n}")),
                }
            }
        }
    } else {
        let (shape, values) = site.f32_weight("scale")?;
        if values.len() != n {
            return Err(format!(
                "its scale has shape {shape:?} for rows of {n} elements"
            ));
        }
        values.to_vec()
    };
    let gamma = [scale.as_slice(), scale.as_slice()].concat();
    let name = site.name;
    let mut layers = Vec::new();
    let x = if from as usize == dims.len() {
        node[0].clone()
    } else {
        let rows = format!("{name}_rows");
        let positions: usize = dims[..from as usize - 1].iter().product();
        layers.push(super::entry(
            &rows,
            "Reshape",
            serde_json::json!({"target_shape": [positions, n]}),
            vec![node],
        ));
        serde_json::json!([rows, 0, 0, {}])
    };
    let (chain, weight) = super::l2_normalize::pair_norm(name, x, &dims, n, epsilon, gamma);
    layers.extend(chain);
    site.note("RMS normalization as x and -x through LayerNormalization (within float32 rounding)");
    Ok(Outcome::Replace {
        layers,
        weights: vec![weight],
    })
}

#[cfg(test)]
mod tests {
    use super::super::probes::op;
    use super::super::test_util::*;

    /// RMSNormalization over the last axis and over two axes, and
    /// `ops.rms_normalization` with a constant scale, match the engine's
    /// Keras-valued normalization within float32 rounding.
    #[test]
    fn rms_normalization_becomes_a_layer_normalization_of_x_and_minus_x() {
        let layers = vec![
            dense("d", 4, "x"),
            entry_on(
                "rms",
                "RMSNormalization",
                json!({"axis": -1, "epsilon": 1e-6}),
                "d",
            ),
            entry_on(
                "rms2",
                "RMSNormalization",
                json!({"axis": [1, 2], "epsilon": 1e-5}),
                "rms",
            ),
            op(
                "rn",
                "RMSNorm",
                json!({"axis": -1, "epsilon": null}),
                json!([["rms2", 0, 0], {"class_name": "__numpy__",
                    "config": {"value": [0.5, 1.0, 1.5, 2.0], "dtype": "float32"}}]),
            ),
        ];
        assert_rewrites_from(
            Some("3.15.0"),
            &[2, 3, 4],
            layers,
            5,
            1e-5,
            "rms (RMSNormalization) -> Rescaling + Concatenate + LayerNormalization",
        );
    }

    #[test]
    fn rms_normalization_over_an_inner_axis_is_refused() {
        let layers = vec![entry_on(
            "rms",
            "RMSNormalization",
            json!({"axis": 1, "epsilon": 1e-6}),
            "x",
        )];
        let model = functional_from(&[3, 4], layers, 1, Some("3.15.0"));
        assert_refused(
            &model,
            &["`rms` (RMSNormalization)", "ending with the last"],
        );
    }
}

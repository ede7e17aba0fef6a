//! `ELU` with `alpha` other than 1 (TensorFlow.js 4.22's layer refuses it)
//! → `(1 − α)·ReLU(x) + α·ELU₁(x)`: for `x > 0` that is
//! `(1 − α)·x + α·x = x`, for `x ≤ 0` it is `α·(eˣ − 1)`, Keras's ELU
//! (`Rescaling` for the factors, `Add` for the sum; equal up to float
//! rounding of the positive part).

use super::{entry, entry_on, entry_on_all, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "ELU" {
        return Outcome::Skip;
    }
    let alpha = site.field("alpha", Value::as_f64).unwrap_or(1.0);
    if alpha == 1.0 {
        return Outcome::Skip;
    }
    let node = match site.single_call("its rewrite needs several layers") {
        Ok(n) => n,
        Err(why) => {
            return Outcome::Cannot(format!(
                "alpha {alpha} (TensorFlow.js 4.22's ELU supports only 1): {why}"
            ))
        }
    };
    let name = site.name;
    let [relu, relu_scaled, elu, elu_scaled] =
        ["relu", "relu_scaled", "elu1", "elu1_scaled"].map(|s| format!("{name}_{s}"));
    Outcome::weightless(vec![
        entry(&relu, "ReLU", json!({}), vec![node.clone()]),
        entry_on(
            &relu_scaled,
            "Rescaling",
            json!({"scale": 1.0 - alpha, "offset": 0.0}),
            &relu,
        ),
        entry(&elu, "ELU", json!({"alpha": 1.0}), vec![node.clone()]),
        entry_on(
            &elu_scaled,
            "Rescaling",
            json!({"scale": alpha, "offset": 0.0}),
            &elu,
        ),
        entry_on_all(name, "Add", json!({}), &[relu_scaled, elu_scaled]),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn elu_with_alpha_is_a_sum_of_scaled_relu_and_elu() {
        for alpha in [0.5, 2.0, 0.0] {
            let layers = vec![entry_on("elu", "ELU", json!({ "alpha": alpha }), "x")];
            assert_rewrites(
                &[2, 4, 3],
                layers,
                1,
                1e-6,
                "elu (ELU) -> ReLU + Rescaling + ELU + Rescaling + Add",
            );
        }
    }
}

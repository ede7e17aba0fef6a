//! A grouped convolution (`Conv1D`/`Conv2D`/`Conv3D` with `groups > 1`, which
//! TensorFlow.js 4.22 ignores, then fails on the kernel's shape) → the
//! same convolution with `groups: 1` and a block-diagonal kernel: each
//! output channel's weights on the input channels outside its group are
//! zero, so it sums exactly the products the grouped convolution does.

use super::{f32_weight, Outcome, Site};
use serde_json::Value;
use tfjs_format::codec::TensorValues;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if !matches!(site.class_name, "Conv1D" | "Conv2D" | "Conv3D") {
        return Outcome::Skip;
    }
    let groups = site.field("groups", Value::as_u64).unwrap_or(1);
    if groups <= 1 {
        return Outcome::Skip;
    }
    if let Some(why) = super::activations::kept_activation_problem(site) {
        return Outcome::Cannot(format!("groups {groups}: {why}"));
    }
    let g = groups as usize;
    let Some(kernel) = site.weight("kernel") else {
        return Outcome::Cannot("its kernel weight is missing".into());
    };
    let TensorValues::Float32(k) = &kernel.values else {
        return Outcome::Cannot("its kernel is not float32".into());
    };
    let shape = &kernel.shape;
    let [spatial @ .., cin_g, cout] = shape.as_slice() else {
        return Outcome::Cannot("its kernel has no channel dimensions".into());
    };
    let (cin_g, cout) = (*cin_g, *cout);
    if cout % g != 0 {
        return Outcome::Cannot(format!("{cout} filters do not split into {g} groups"));
    }
    let s: usize = spatial.iter().product();
    let cin = cin_g * g;
    let cout_g = cout / g;
    let mut full = vec![0.0f32; s * cin * cout];
    for p in 0..s {
        for i in 0..cin_g {
            for o in 0..cout {
                let gi = o / cout_g;
                full[(p * cin + gi * cin_g + i) * cout + o] = k[(p * cin_g + i) * cout + o];
            }
        }
    }
    let mut new_shape = spatial.to_vec();
    new_shape.extend([cin, cout]);
    let mut weights: Vec<_> = site.weights.iter().map(|w| (*w).clone()).collect();
    for w in &mut weights {
        if w.name == kernel.name {
            *w = f32_weight(w.name.clone(), new_shape.clone(), full.clone());
        }
    }
    site.as_one(
        site.class_name,
        site.config_with("groups", Value::from(1)),
        weights,
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn grouped_convolutions_become_block_diagonal_ones() {
        let layers = vec![
            entry_on(
                "c2",
                "Conv2D",
                json!({"filters": 6, "kernel_size": [3, 3], "groups": 2, "padding": "same"}),
                "x",
            ),
            entry_on("r", "Reshape", json!({"target_shape": [20, 6]}), "c2"),
            entry_on(
                "c1",
                "Conv1D",
                json!({"filters": 9, "kernel_size": 2, "groups": 3}),
                "r",
            ),
        ];
        let model = functional(&[4, 5, 4], layers, 4);
        let out = assert_same(&model, &input(&[2, 4, 5, 4]), 1e-5);
        let layers = &out.artifacts.model_topology.as_ref().unwrap()["config"]["layers"];
        assert_eq!(layers[1]["config"]["groups"], 1);
        assert_eq!(layers[3]["config"]["groups"], 1);
    }
}

//! tf_keras `BatchNormalization(virtual_batch_size=…)` → a plain
//! `BatchNormalization` over the input's axes with its weights squeezed
//! (for TensorFlow.js, tf_keras and Keras 3 alike). Exact: at inference
//! ghost batch normalization uses the moving statistics, as plain batch
//! normalization does; the virtual batches only change training.
//!
//! tf_keras saves such a layer as built on its virtual-batch reshape
//! `[batch, 1, d1, …]`: `axis` one up (`[2]` for the last axis of a rank-2
//! input) and weights `[1, 1, C]` (see
//! `crate::layers::normalization`). Nothing loads that back: TensorFlow.js
//! has no `virtual_batch_size`, Keras 3 neither, and tf_keras 2.21 itself
//! rejects the saved axis (`Expected 0 <= axis < inputs.rank`). The
//! replacement normalizes axis `a - 1` with weights `[C]` (one axis) or
//! the input's full-rank shape (several, as tf_keras builds them). For
//! TensorFlow.js the plain layer then goes through the other
//! `BatchNormalization` rules (rank 5, `renorm`).

use super::{Outcome, Site, Target};
use serde_json::{json, Map, Value};
use tfjs_format::codec::DecodedWeight;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "BatchNormalization"
        || matches!(
            site.config.get("virtual_batch_size"),
            None | Some(Value::Null)
        )
    {
        return Outcome::Skip;
    }
    match plain(site) {
        Ok((config, weights)) => {
            if site.target == Target::Tfjs {
                let inner = Site {
                    config: &config,
                    weights: weights.iter().collect(),
                    ..*site
                };
                for rule in [super::batch_norm_rank5::rule, super::normalization::rule] {
                    let outcome = rule(&inner);
                    if !matches!(outcome, Outcome::Skip) {
                        return outcome;
                    }
                }
            }
            site.as_one("BatchNormalization", Value::Object(config), weights)
        }
        Err(why) => Outcome::Cannot(format!("virtual_batch_size: {why}")),
    }
}

/// The plain layer's config and weights.
fn plain(site: &Site<'_>) -> Result<(Map<String, Value>, Vec<DecodedWeight>), String> {
    let saved: Vec<i64> = match site.config.get("axis") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_i64()
                    .ok_or_else(|| format!("axis {v} is not an integer"))
            })
            .collect::<Result<_, _>>()?,
        Some(v) => vec![v
            .as_i64()
            .ok_or_else(|| format!("axis {v} is not an integer"))?],
        None => vec![-1],
    };
    // Every weight has the reshape's rank, one more than the input's.
    let rank = site
        .weights
        .first()
        .map(|w| w.shape.len())
        .ok_or("the layer has no weights")?
        .checked_sub(1)
        .filter(|&r| r >= 2)
        .ok_or("its weights do not have the [1, 1, …] shape of tf_keras's virtual-batch reshape")?;
    let axes: Vec<i64> = saved
        .iter()
        .map(|&a| match a {
            a if a < 0 => Ok(a),
            a if (2..=rank as i64).contains(&a) => Ok(a - 1),
            a => Err(format!(
                "axis {a} is not an axis 2..={rank} of the virtual-batch reshape"
            )),
        })
        .collect::<Result<_, _>>()?;
    let mut weights = Vec::with_capacity(site.weights.len());
    for w in &site.weights {
        if w.shape.len() != rank + 1 || w.shape[..2] != [1, 1] {
            return Err(format!(
                "weight {} has shape {:?}, not the [1, 1, …] of a rank-{rank} input's \
                 virtual-batch reshape",
                w.name, w.shape
            ));
        }
        let shape = if axes.len() == 1 {
            vec![w.shape.iter().product()]
        } else {
            w.shape[1..].to_vec()
        };
        weights.push(DecodedWeight {
            shape,
            ..(*w).clone()
        });
    }
    let mut config = site.config.clone();
    config.remove("virtual_batch_size");
    config.insert(
        "axis".into(),
        match axes[..] {
            [a] => json!(a),
            _ => json!(axes),
        },
    );
    Ok((config, weights))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{rewrite_for, Target};

    fn virtual_bn(axis: serde_json::Value) -> Vec<serde_json::Value> {
        vec![entry_on(
            "bn",
            "BatchNormalization",
            json!({"axis": axis, "virtual_batch_size": 2, "epsilon": 0.01}),
            "x",
        )]
    }

    #[test]
    fn virtual_batch_norm_becomes_a_plain_one() {
        let model = functional(&[5], virtual_bn(json!([2])), 52);
        let out = assert_same(&model, &input(&[2, 5]), 0.0);
        let layers = &out.artifacts.model_topology.as_ref().unwrap()["config"]["layers"];
        assert!(layers[1]["config"].get("virtual_batch_size").is_none());
        assert_eq!(layers[1]["config"]["axis"], json!(1));
        assert!(out.artifacts.weight_specs.iter().all(|w| w.shape == [5]));
    }

    #[test]
    fn inner_and_several_axes_map_back() {
        let model = functional(&[3, 4], virtual_bn(json!([2])), 53);
        assert_same(&model, &input(&[2, 3, 4]), 0.0);
        // A rank-5 input also goes through the rank-5 rule.
        let model = functional(&[2, 2, 2, 3], virtual_bn(json!([5])), 54);
        assert_same(&model, &input(&[2, 2, 2, 2, 3]), 0.0);
        // Several axes: weights of the input's full rank, for Keras.
        let model = functional(&[3, 4], virtual_bn(json!([2, 3])), 55);
        let out = rewrite_for(&model, Target::TfKeras).unwrap();
        let specs = &out.artifacts.weight_specs;
        assert!(specs.iter().all(|w| w.shape == [1, 3, 4]), "{specs:?}");
    }
}

//! Keras 2 `BatchNormalization(renorm=True)` → a plain `BatchNormalization`
//! (TensorFlow.js 4.22 has no `renorm` and would refuse the layer's extra
//! `moving_stddev` / `renorm_mean` / `renorm_stddev` weights). Exact:
//! batch renormalization only changes training; inference uses the moving
//! mean and variance as plain batch normalization does.

use super::{entry, f32_weight, Outcome, Site};
use serde_json::Value;

/// The rule: applies to `BatchNormalization` with `renorm: true`.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "BatchNormalization" || site.field("renorm", Value::as_bool) != Some(true)
    {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(Outcome::Cannot)
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let node = site.single_call("it is rewritten as a functional layer")?;
    let mut config = site.config.clone();
    for key in ["renorm", "renorm_clipping", "renorm_momentum"] {
        config.remove(key);
    }
    let flag = |k: &str| config.get(k).and_then(Value::as_bool).unwrap_or(true);
    let mut weights = Vec::new();
    let shorts = [("gamma", flag("scale")), ("beta", flag("center"))];
    for (short, kept) in shorts
        .into_iter()
        .chain([("moving_mean", true), ("moving_variance", true)])
    {
        if kept {
            let (shape, v) = site.f32_weight(short)?;
            weights.push(f32_weight(
                format!("{}/{short}", site.name),
                shape.to_vec(),
                v.to_vec(),
            ));
        }
    }
    Ok(Outcome::Replace {
        layers: vec![entry(
            site.name,
            "BatchNormalization",
            Value::Object(config),
            vec![node.clone()],
        )],
        weights,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn renorm_batch_normalization_becomes_a_plain_one() {
        let layers = vec![entry_on(
            "bn",
            "BatchNormalization",
            json!({"renorm": true, "renorm_momentum": 0.9, "renorm_clipping": {}, "center": false}),
            "x",
        )];
        let model = functional(&[5], layers, 51);
        let out = assert_same(&model, &input(&[2, 5]), 0.0);
        let layers = &out.artifacts.model_topology.as_ref().unwrap()["config"]["layers"];
        assert!(layers[1]["config"].get("renorm").is_none(), "{}", layers[1]);
        assert_eq!(out.artifacts.weight_specs.len(), 3);
    }
}

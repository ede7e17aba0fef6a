//! `GlobalAveragePooling1D` under the mask of an `Embedding(mask_zero)`
//! of the same model (TF.js 4.22's layer ignores masks; Keras averages the
//! unmasked steps: `Σ x·m / Σ m`) → the mask as weights: `Rescaling` (the
//! ids as float) + `ReLU(max_value=1)` (Keras's `ids != 0` as 0 / 1 for
//! the non-negative integer ids an Embedding takes) + `Rescaling(1e9,
//! -1e9)` (0 where kept, -1e9 where masked) + `Activation("softmax")`
//! (`m / Σ m`: exp(-1e9) is 0 in float32) + `Reshape([T, 1])` + `Dot(axes [1, 1])`
//! with the sequence + `Reshape` to the pooled shape. Within float32
//! rounding of Keras (a product by `1/n` against a division by `n`); a
//! sequence masked at every step, which Keras turns into `0/0`, averages
//! every step instead. Other masks stay refused ([`super::tfjs_limits`]).

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "GlobalAveragePooling1D" || site.target != super::Target::Tfjs {
        return Outcome::Skip;
    }
    let Some(ids) = site
        .shapes
        .filter(|s| !s.masked_calls.is_empty())
        .and_then(|s| s.mask_ids.clone())
    else {
        return Outcome::Skip;
    };
    rewrite(site, ids).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "Keras averages only the unmasked steps (TensorFlow.js 4.22's \
             GlobalAveragePooling1D ignores the mask) and the masked-average rewrite does not \
             cover {why}"
        ))
    })
}

fn rewrite(site: &Site<'_>, ids: Value) -> Result<Outcome, String> {
    if site.field("data_format", Value::as_str) == Some("channels_first") {
        return Err("data_format channels_first".into());
    }
    let (_, node) = site.first_input("a layer outside a functional model")?;
    let dims = site.static_input()?;
    let [steps, channels] = dims[..] else {
        return Err(format!("an input of shape {dims:?}"));
    };
    let keepdims = site.field("keepdims", Value::as_bool) == Some(true);
    let name = site.name;
    let s = |part: &str| format!("{name}_{part}");
    let on = |from: &str| vec![json!([[from, 0, 0, {}]])];
    let x = node[0].clone();
    let mut layers = super::site::mask_from_ids(&s("mask"), &ids).to_vec();
    layers.extend([
        entry(
            &s("mask_logits"),
            "Rescaling",
            json!({"scale": 1e9, "offset": -1e9}),
            on(&s("mask")),
        ),
        // An `Activation`, not a `Softmax` layer: TF.js's executor hands
        // the model's Keras mask to every later layer's call once one has
        // appeared, and its `Softmax` layer would apply it.
        entry(
            &s("weights"),
            "Activation",
            json!({"activation": "softmax"}),
            on(&s("mask_logits")),
        ),
        entry(
            &s("weights_col"),
            "Reshape",
            json!({"target_shape": [steps, 1]}),
            on(&s("weights")),
        ),
        entry(
            &s("sum"),
            "Dot",
            json!({"axes": [1, 1], "normalize": false}),
            vec![json!([[s("weights_col"), 0, 0, {}], x])],
        ),
        entry(
            name,
            "Reshape",
            json!({"target_shape": if keepdims { json!([1, channels]) } else { json!([channels]) }}),
            on(&s("sum")),
        ),
    ]);
    site.note("the mask as softmax weights; within float32 rounding of Keras");
    Ok(Outcome::weightless(layers))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn a_masked_average_becomes_softmax_weights_and_a_dot() {
        let x = padded_ids();
        for keepdims in [false, true] {
            for version in ["2.21.0", "3.15.0"] {
                let layers = vec![
                    mask_zero_embedding("emb", "x"),
                    entry_on("d", "Dense", json!({"units": 4}), "emb"),
                    entry_on(
                        "gap",
                        "GlobalAveragePooling1D",
                        json!({"keepdims": keepdims}),
                        "d",
                    ),
                ];
                let model = functional_from(&[6], layers, 3, Some(version));
                let out = assert_same(&model, &x, 1e-5);
                assert_note(&out, "the mask as softmax weights");
            }
        }
    }

    #[test]
    fn a_masking_layers_mask_stays_refused() {
        let layers = vec![
            entry_on("m", "Masking", json!({"mask_value": 0.0}), "x"),
            entry_on("gap", "GlobalAveragePooling1D", json!({}), "m"),
        ];
        assert_refused(
            &functional(&[5, 2], layers, 1),
            &["`gap` (GlobalAveragePooling1D)"],
        );
    }
}

//! `GlobalMaxPooling1D` / `GlobalAveragePooling1D` with `data_format:
//! "channels_first"` (`[batch, channels, steps]`, pooled over the steps):
//! TensorFlow.js 4.22 ignores the field and pools over axis 1, another
//! shape and other numbers. Rewritten as `Permute([2, 1])` to channels-last
//! and the same pooling on that (`keepdims` adds a `Reshape` to
//! `[channels, 1]`). Refused where a mask may reach the layer (the
//! `Permute` would drop it).

use super::{Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if !matches!(
        site.class_name,
        "GlobalMaxPooling1D" | "GlobalAveragePooling1D"
    ) || site.field("data_format", Value::as_str) != Some("channels_first")
    {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!(
            "TensorFlow.js 4.22 pools {} over axis 1 whatever its data_format; the channels_first rewrite needs {why}",
            site.class_name
        )))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    if site.masks_possible {
        return Err("no mask to reach it".into());
    }
    let dims = site.static_input()?;
    let [c, _steps] = dims[..] else {
        return Err(format!("a [batch, channels, steps] input, not {dims:?}"));
    };
    super::global_pooling_3d::view_then_pool(
        site,
        ("channels_last", "Permute", json!({"dims": [2, 1]})),
        (site.class_name, json!({"data_format": "channels_last"})),
        json!([c, 1]),
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn channels_first_1d_pooling_pools_the_steps() {
        let layers = vec![
            entry_on(
                "gmp",
                "GlobalMaxPooling1D",
                json!({"data_format": "channels_first"}),
                "x",
            ),
            entry_on(
                "gap",
                "GlobalAveragePooling1D",
                json!({"data_format": "channels_first", "keepdims": true}),
                "x",
            ),
            entry_on("flat", "Flatten", json!({}), "gap"),
            entry_on_all("sum", "Add", json!({}), &["gmp", "flat"]),
        ];
        let model = functional(&[3, 5], layers, 41);
        let out = assert_same(&model, &input(&[2, 3, 5]), 0.0);
        assert_eq!(out.notes.len(), 2, "{:?}", out.notes);
    }
}

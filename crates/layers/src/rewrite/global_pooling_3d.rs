//! `GlobalMaxPooling3D` / `GlobalAveragePooling3D` (TensorFlow.js 4.22
//! has neither) → `Reshape` of the `[depth, height, width, channels]`
//! input to `[depth·height·width, channels]` and the `GlobalMaxPooling1D` /
//! `GlobalAveragePooling1D` of that: the same values pooled per channel
//! (`keepdims` adds a `Reshape` to `[1, 1, 1, channels]`). Channels-first
//! 1-D global pooling: [`super::global_pooling_1d_cf`].

use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let pool = match site.class_name {
        "GlobalMaxPooling3D" => "GlobalMaxPooling1D",
        "GlobalAveragePooling3D" => "GlobalAveragePooling1D",
        _ => return super::global_pooling_1d_cf::rule(site),
    };
    rewrite(site, pool).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "TensorFlow.js 4.22 has no {} and the rewrite into {pool} needs {why}",
            site.class_name
        ))
    })
}

fn rewrite(site: &Site<'_>, pool: &str) -> Result<Outcome, String> {
    if site.field("data_format", Value::as_str) == Some("channels_first") {
        return Err("channels_last data".into());
    }
    let dims = site.static_input()?;
    let [d, h, w, c] = dims[..] else {
        return Err(format!("a rank-5 input, not {dims:?}"));
    };
    view_then_pool(
        site,
        ("flat", "Reshape", json!({"target_shape": [d * h * w, c]})),
        (pool, json!({})),
        json!([1, 1, 1, c]),
    )
}

/// The layer as `view` of its input (`(suffix, class, config)`, named
/// `<layer>_<suffix>`), then the `pool` layer (`(class, config)`) of that,
/// and with `keepdims` a `Reshape` to `kept_shape`; the last one takes the
/// layer's name.
pub(super) fn view_then_pool(
    site: &Site<'_>,
    view: (&str, &str, Value),
    pool: (&str, Value),
    kept_shape: Value,
) -> Result<Outcome, String> {
    let node = site.single_call("several layers")?;
    let name = site.name;
    let keepdims = site.field("keepdims", Value::as_bool) == Some(true);
    let viewed = format!("{name}_{}", view.0);
    let pooled = if keepdims {
        format!("{name}_pooled")
    } else {
        name.to_string()
    };
    let mut layers = vec![
        entry(&viewed, view.1, view.2, vec![node.clone()]),
        entry_on(&pooled, pool.0, pool.1, &viewed),
    ];
    if keepdims {
        layers.push(entry_on(
            name,
            "Reshape",
            json!({ "target_shape": kept_shape }),
            &pooled,
        ));
    }
    Ok(Outcome::weightless(layers))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn global_3d_pooling_becomes_1d_pooling_of_a_reshape() {
        for (class, keepdims) in [
            ("GlobalMaxPooling3D", false),
            ("GlobalAveragePooling3D", false),
            ("GlobalAveragePooling3D", true),
        ] {
            let layers = vec![entry_on("gp", class, json!({ "keepdims": keepdims }), "x")];
            assert_rewrites(
                &[2, 2, 3, 4, 5],
                layers,
                1,
                1e-6,
                &format!("gp ({class}) -> Reshape + Global"),
            );
        }
    }
}

//! `ZeroPadding1D` / `Cropping1D` (TensorFlow.js 4.22 has neither) →
//! `ZeroPadding2D` / `Cropping2D` of the steps on a `[steps, 1, channels]`
//! view (static `Reshape`s in and out, so TF.js knows every dimension).

use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let (class, field, default) = match site.class_name {
        "ZeroPadding1D" => ("ZeroPadding2D", "padding", 1),
        "Cropping1D" => ("Cropping2D", "cropping", 1),
        _ => return Outcome::Skip,
    };
    rewrite(site, class, field, default).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "TensorFlow.js 4.22 has no {} and the rewrite into {class} needs {why}",
            site.class_name
        ))
    })
}

fn rewrite(site: &Site<'_>, class: &str, field: &str, default: u64) -> Result<Outcome, String> {
    let (before, after) = match site.config.get(field) {
        None | Some(Value::Null) => (default, default),
        Some(Value::Array(a)) if a.len() == 2 => match (a[0].as_u64(), a[1].as_u64()) {
            (Some(x), Some(y)) => (x, y),
            _ => return Err(format!("{field} as two integers")),
        },
        Some(v) => {
            let n = v.as_u64().ok_or_else(|| format!("{field} as an integer"))?;
            (n, n)
        }
    };
    let node = site.single_call("several layers")?.clone();
    on_steps_view(site, node, class, field, (before, after))
}

/// `class` (`ZeroPadding2D` / `Cropping2D`) of `before` / `after` steps
/// applied to the layer's `[batch, steps, channels]` input, called by
/// `node`, on a `[steps, 1, channels]` view; the last layer keeps the
/// layer's name.
pub(super) fn on_steps_view(
    site: &Site<'_>,
    node: Value,
    class: &str,
    field: &str,
    (before, after): (u64, u64),
) -> Result<Outcome, String> {
    let dims = site.static_input()?;
    let [steps, c] = dims[..] else {
        return Err(format!("a [batch, steps, channels] input, not {dims:?}"));
    };
    let steps = steps as u64;
    let out_steps = if class == "ZeroPadding2D" {
        steps + before + after
    } else {
        steps
            .checked_sub(before + after)
            .filter(|&n| n > 0)
            .ok_or("a cropping smaller than the steps")?
    };
    let name = site.name;
    let (view, inner) = (format!("{name}_as_2d"), format!("{name}_2d"));
    Ok(Outcome::weightless(vec![
        entry(
            &view,
            "Reshape",
            json!({"target_shape": [steps, 1, c]}),
            vec![node],
        ),
        entry_on(
            &inner,
            class,
            json!({ field: [[before, after], [0, 0]], "data_format": "channels_last" }),
            &view,
        ),
        entry_on(
            name,
            "Reshape",
            json!({"target_shape": [out_steps, c]}),
            &inner,
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn one_d_padding_and_cropping_become_two_d_on_a_view() {
        let layers = vec![
            entry_on("pad", "ZeroPadding1D", json!({"padding": [1, 2]}), "x"),
            entry_on("pad2", "ZeroPadding1D", json!({"padding": 1}), "pad"),
            entry_on("crop", "Cropping1D", json!({"cropping": [2, 1]}), "pad2"),
        ];
        let model = functional(&[5, 3], layers, 1);
        let out = assert_same(&model, &input(&[2, 5, 3]), 0.0);
        assert_note(
            &out,
            "pad (ZeroPadding1D) -> Reshape + ZeroPadding2D + Reshape",
        );
        assert_note(&out, "crop (Cropping1D) -> Reshape + Cropping2D + Reshape");
    }
}

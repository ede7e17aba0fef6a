//! `repeat` along one axis by one count (tf_keras's `tf.repeat` as a
//! `TFOpLambda`, Keras 3's `ops.repeat`) → `Reshape` to `[rows, 1,
//! rest]` (the axis and those before it as rows, those after it as
//! channels) + nearest `UpSampling2D(size=[count, 1])`, which repeats each
//! row `count` times in place, + `Reshape` to the output. Per-element
//! counts and a repeat of the flattened input (which crosses the batch)
//! have no TF.js layer and are refused.

use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let function = site.field("function", Value::as_str);
    let tf = matches!(site.class_name, "TFOpLambda") && function == Some("repeat");
    if !tf && site.class_name != "ops.Repeat" {
        return Outcome::Skip;
    }
    let what = if tf { "tf.repeat" } else { "keras.ops.repeat" };
    match rewrite(site, tf) {
        Ok(o) => o,
        Err(why) => Outcome::Cannot(format!("{what}: {why}")),
    }
}

fn rewrite(site: &Site<'_>, tf: bool) -> Result<Outcome, String> {
    let (first, input) = site.first_input("several layers")?;
    let args = if tf {
        first.get(3).and_then(Value::as_object)
    } else {
        Some(site.config)
    }
    .ok_or("its arguments are not recorded")?;
    let count = match args.get("repeats") {
        Some(Value::Array(a)) if a.len() == 1 => a[0].as_u64(),
        Some(v) => v.as_u64(),
        None => None,
    }
    .filter(|&n| n >= 1)
    .ok_or("per-element (or zero) counts have no TensorFlow.js 4.22 layer")?;
    let dims = site.static_input()?;
    let axis = match args.get("axis") {
        None | Some(Value::Null) => {
            return Err(
                "without an axis it repeats the flattened input, batch included, which \
                        no TensorFlow.js 4.22 layer does"
                    .into(),
            )
        }
        Some(v) => v.as_i64().ok_or("axis: expected an integer")?,
    };
    let rank = dims.len() as i64 + 1;
    let axis = if axis < 0 { axis + rank } else { axis };
    if !(1..rank).contains(&axis) {
        return Err(format!("axis {axis} is the batch axis or out of range"));
    }
    let k = axis as usize - 1;
    let rows: usize = dims[..=k].iter().product();
    let rest: usize = dims[k + 1..].iter().product();
    let mut out = dims.clone();
    out[k] *= count as usize;
    let name = site.name;
    let (view, up) = (format!("{name}_rows"), format!("{name}_up"));
    Ok(Outcome::weightless(vec![
        entry(
            &view,
            "Reshape",
            json!({"target_shape": [rows, 1, rest]}),
            vec![input],
        ),
        entry_on(
            &up,
            "UpSampling2D",
            json!({"size": [count, 1], "interpolation": "nearest", "data_format": "channels_last"}),
            &view,
        ),
        entry_on(name, "Reshape", json!({ "target_shape": out }), &up),
    ]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use serde_json::Value;

    fn tf_repeat(name: &str, kwargs: Value) -> Value {
        entry(
            name,
            "TFOpLambda",
            json!({"function": "repeat"}),
            vec![json!([["x", 0, 0, kwargs]])],
        )
    }

    #[test]
    fn repeat_along_an_axis_becomes_upsampling_on_a_view() {
        for (axis, shape) in [(1, [2, 3, 3, 2]), (2, [2, 3, 4, 2]), (-1, [2, 3, 2, 4])] {
            let layers = vec![tf_repeat("rep", json!({"repeats": 2, "axis": axis}))];
            let model = functional(&shape[1..], layers, 1);
            let out = assert_same(&model, &input(&shape), 0.0);
            assert_note(&out, "rep (TFOpLambda) -> Reshape + UpSampling2D + Reshape");
        }
        let layers = vec![tf_repeat("r1", json!({"repeats": [1, 2, 0], "axis": 1}))];
        assert_refused(
            &functional(&[3, 2], layers, 1),
            &["`r1` (TFOpLambda): tf.repeat: per-element"],
        );
        let layers = vec![tf_repeat("r2", json!({"repeats": 2}))];
        assert_refused(
            &functional(&[3, 2], layers, 1),
            &["`r2` (TFOpLambda): tf.repeat: without an axis"],
        );
    }
}

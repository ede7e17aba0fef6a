//! `ZeroPadding3D`, `Cropping3D`, `UpSampling3D` (TensorFlow.js 4.22 has
//! none) → their 2-D counterparts on two static `Reshape` views of the
//! channels-last `[d, h, w, c]` input: first on `[d·h, w, c]` (the width
//! axis, rows untouched), then on `[d, h, w′·c]` (depth and height
//! together), then `Reshape` to the 3-D result. Each view keeps every
//! (depth, height) row or (width, channel) block contiguous, so padding,
//! cropping and nearest repeats act on whole rows/blocks: the values are
//! those of the 3-D layer, exactly.

use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let (class, field) = match site.class_name {
        "ZeroPadding3D" => ("ZeroPadding2D", "padding"),
        "Cropping3D" => ("Cropping2D", "cropping"),
        "UpSampling3D" => ("UpSampling2D", "size"),
        _ => return Outcome::Skip,
    };
    rewrite(site, class, field).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "TensorFlow.js 4.22 has no {} and the rewrite into {class} needs {why}",
            site.class_name
        ))
    })
}

/// `[[before, after]; 3]` (padding, cropping) or `[[size, 0]; 3]` (size)
/// from an int, three ints or three pairs.
fn per_axis(v: Option<&Value>, default: u64, pairs: bool) -> Result<[[u64; 2]; 3], String> {
    let one = |v: &Value| -> Option<[u64; 2]> {
        match v {
            Value::Array(p) if pairs && p.len() == 2 => Some([p[0].as_u64()?, p[1].as_u64()?]),
            v => v.as_u64().map(|n| [n, if pairs { n } else { 0 }]),
        }
    };
    let bad = || "integers, three integers or three pairs".to_string();
    match v {
        None | Some(Value::Null) => Ok([[default, if pairs { default } else { 0 }]; 3]),
        Some(Value::Array(a)) if a.len() == 3 => {
            let axes: Option<Vec<[u64; 2]>> = a.iter().map(one).collect();
            let axes = axes.ok_or_else(bad)?;
            Ok([axes[0], axes[1], axes[2]])
        }
        Some(v) => one(v).map(|p| [p; 3]).ok_or_else(bad),
    }
}

fn rewrite(site: &Site<'_>, class: &str, field: &str) -> Result<Outcome, String> {
    if site.field("data_format", Value::as_str) == Some("channels_first") {
        return Err("channels_last data".into());
    }
    let upsampling = class == "UpSampling2D";
    let [d, h, w] = per_axis(
        site.config.get(field),
        if upsampling { 2 } else { 1 },
        !upsampling,
    )?;
    let dims = site.static_input()?;
    let [dd, hh, ww, c] = dims[..] else {
        return Err(format!("a rank-5 input, not {dims:?}"));
    };
    let (dd, hh, ww, c) = (dd as u64, hh as u64, ww as u64, c as u64);
    let size = |n: u64, [a, b]: [u64; 2]| -> Option<u64> {
        match class {
            "ZeroPadding2D" => Some(n + a + b),
            "Cropping2D" => n.checked_sub(a + b).filter(|&m| m > 0),
            _ => Some(n * a),
        }
    };
    let (Some(d2), Some(h2), Some(w2)) = (size(dd, d), size(hh, h), size(ww, w)) else {
        return Err("a cropping smaller than the input".into());
    };
    let arg = |rows: [u64; 2], cols: [u64; 2]| {
        if upsampling {
            json!([rows[0], cols[0]])
        } else {
            json!([rows, cols])
        }
    };
    let (keep, keep_size) = ([0, 0], [1, 0]);
    let node = site.single_call("several layers")?;
    let name = site.name;
    let [rows, width, planes, depth_height] =
        ["rows", "width", "planes", "depth_height"].map(|s| format!("{name}_{s}"));
    let options = |a: Value| {
        let mut o = json!({ "data_format": "channels_last" });
        o[field] = a;
        if upsampling {
            o["interpolation"] = json!("nearest");
        }
        o
    };
    Ok(Outcome::weightless(vec![
        entry(
            &rows,
            "Reshape",
            json!({"target_shape": [dd * hh, ww, c]}),
            vec![node.clone()],
        ),
        entry_on(
            &width,
            class,
            options(arg(if upsampling { keep_size } else { keep }, w)),
            &rows,
        ),
        entry_on(
            &planes,
            "Reshape",
            json!({"target_shape": [dd, hh, w2 * c]}),
            &width,
        ),
        entry_on(&depth_height, class, options(arg(d, h)), &planes),
        entry_on(
            name,
            "Reshape",
            json!({"target_shape": [d2, h2, w2, c]}),
            &depth_height,
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn three_d_padding_cropping_upsampling_become_two_d_on_views() {
        let layers = vec![
            entry_on(
                "pad",
                "ZeroPadding3D",
                json!({"padding": [[1, 0], [0, 2], [1, 1]]}),
                "x",
            ),
            entry_on(
                "crop",
                "Cropping3D",
                json!({"cropping": [[0, 1], [1, 0], [2, 0]]}),
                "pad",
            ),
            entry_on("up", "UpSampling3D", json!({"size": [2, 1, 3]}), "crop"),
            entry_on("pad2", "ZeroPadding3D", json!({"padding": 1}), "up"),
        ];
        let model = functional(&[2, 3, 4, 2], layers, 1);
        let out = assert_same(&model, &input(&[2, 2, 3, 4, 2]), 0.0);
        for (layer, class) in [
            ("pad", "ZeroPadding"),
            ("crop", "Cropping"),
            ("up", "UpSampling"),
        ] {
            assert_note(
                &out,
                &format!(
                    "{layer} ({class}3D) -> Reshape + {class}2D + Reshape + {class}2D + Reshape"
                ),
            );
        }
    }
}

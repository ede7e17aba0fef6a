//! `Conv2DTranspose` with `output_padding`: TensorFlow.js 4.22 ignores the
//! field and sizes the output by its `deconvLength` (`valid`:
//! `in·s + max(k − s, 0)`; `same`: `in·s`), where Keras uses
//! `(in − 1)·s + k − 2·pad + output_padding` (`pad` = `k / 2` for `same`,
//! 0 for `valid`), so TF.js's output has another size and alignment.
//!
//! Both are windows of the same full transposed convolution `y` (length
//! `F = (in − 1)·s + k`; positions past `F` get no input and hold the bias):
//! an output of length `L` starts at `pad_before = max(F − L, 0) / 2` for
//! `same` (TensorFlow's padding for that output size) and at 0 for
//! `valid`. The rewrite picks, per spatial dim, how many zero rows to add
//! after the input (`ZeroPadding2D`; zero rows only extend `y` with
//! positions that get no input, as Keras's extra positions do) so that
//! TF.js's window covers Keras's, and crops the difference
//! (`Cropping2D`). A geometry with no such cover is refused, and so is
//! `Conv3DTranspose` with `output_padding` (TF.js has no 3-D cropping).

use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if !matches!(site.class_name, "Conv2DTranspose" | "Conv3DTranspose") {
        return Outcome::Skip;
    }
    let Some(output_padding) = site.config.get("output_padding").filter(|v| !v.is_null()) else {
        return Outcome::Skip;
    };
    if site.class_name == "Conv3DTranspose" {
        return Outcome::Cannot(
            "output_padding (TensorFlow.js 4.22 ignores it and computes another output size, \
             and has no Cropping3D/ZeroPadding3D to correct it)"
                .into(),
        );
    }
    if let Some(why) = super::activations::kept_activation_problem(site) {
        return Outcome::Cannot(format!("output_padding: {why}"));
    }
    rewrite(site, output_padding).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "output_padding (TensorFlow.js 4.22 ignores it and computes another output size) \
             and no exact rewrite: {why}"
        ))
    })
}

fn pair(v: Option<&Value>, field: &str) -> Result<[usize; 2], String> {
    let as_usize = |x: &Value| x.as_u64().map(|n| n as usize);
    match v {
        Some(Value::Array(a)) if a.len() == 2 => match (as_usize(&a[0]), as_usize(&a[1])) {
            (Some(x), Some(y)) => Ok([x, y]),
            _ => Err(format!("{field} is not two integers")),
        },
        Some(x) => as_usize(x)
            .map(|n| [n, n])
            .ok_or_else(|| format!("{field} is not an integer")),
        None => Err(format!("{field} is missing")),
    }
}

/// Per spatial dim: (zero rows added after the input, crop before, crop
/// after) turning TF.js's output into Keras's, if any.
pub(crate) fn plan(
    input: usize,
    k: usize,
    s: usize,
    same: bool,
    output_padding: usize,
) -> Option<(usize, usize, usize)> {
    let full = |n: usize| (n - 1) * s + k;
    let start = |n: usize, len: usize| {
        if same {
            full(n).saturating_sub(len) / 2
        } else {
            0
        }
    };
    let keras_len =
        (full(input) + output_padding).checked_sub(if same { 2 * (k / 2) } else { 0 })?;
    let keras_start = start(input, keras_len);
    (0..=2).find_map(|extra| {
        let n = input + extra;
        let len = if same {
            n * s
        } else {
            n * s + k.saturating_sub(s)
        };
        let begin = start(n, len);
        let end = begin + len;
        (begin <= keras_start && end >= keras_start + keras_len)
            .then(|| (extra, keras_start - begin, end - keras_start - keras_len))
    })
}

fn rewrite(site: &Site<'_>, output_padding: &Value) -> Result<Outcome, String> {
    let c = site.config;
    if c.get("data_format").and_then(Value::as_str) == Some("channels_first") {
        return Err("channels_first is not rewritten".into());
    }
    let op = pair(Some(output_padding), "output_padding")?;
    let k = pair(c.get("kernel_size"), "kernel_size")?;
    let s = pair(c.get("strides").or(Some(&json!(1))), "strides")?;
    let d = pair(c.get("dilation_rate").or(Some(&json!(1))), "dilation_rate")?;
    if d != [1, 1] {
        return Err("a dilated transposed convolution is not rewritten".into());
    }
    let same = match c.get("padding").and_then(Value::as_str).unwrap_or("valid") {
        "same" => true,
        "valid" => false,
        p => return Err(format!("padding {p:?}")),
    };
    let shape = site
        .shapes
        .and_then(|s| s.inputs.first())
        .ok_or("its input shape is unknown")?;
    let [_, Some(h), Some(w), _] = shape.as_slice() else {
        return Err(format!(
            "expected a static [batch, height, width, channels] input, got {shape:?}"
        ));
    };
    let mut plans = Vec::new();
    for (i, input) in [*h, *w].into_iter().enumerate() {
        plans.push(plan(input, k[i], s[i], same, op[i]).ok_or_else(|| {
            format!(
                "no window of TensorFlow.js's output matches Keras's (input {input}, kernel {}, \
                 stride {}, output_padding {})",
                k[i], s[i], op[i]
            )
        })?);
    }
    let name = site.name;
    let node = site.single_call("its rewrite needs several layers")?;
    let mut layers = Vec::new();
    let mut from = node.clone();
    if plans.iter().any(|p| p.0 > 0) {
        let padded = format!("{name}_pad");
        layers.push(entry(
            &padded,
            "ZeroPadding2D",
            json!({"padding": [[0, plans[0].0], [0, plans[1].0]], "data_format": "channels_last"}),
            vec![from],
        ));
        from = json!([[padded, 0, 0, {}]]);
    }
    let inner = format!("{name}_tfjs");
    let mut config = c.clone();
    config.remove("output_padding");
    layers.push(entry(
        &inner,
        "Conv2DTranspose",
        Value::Object(config),
        vec![from],
    ));
    layers.push(entry_on(
        name,
        "Cropping2D",
        json!({"cropping": [[plans[0].1, plans[0].2], [plans[1].1, plans[1].2]],
               "data_format": "channels_last"}),
        &inner,
    ));
    let weights = site.weights_under(&inner);
    Ok(Outcome::Replace { layers, weights })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::plan;

    #[test]
    fn tfjs_windows_cover_keras_output_padding() {
        // conv_autoencoder's decoder: `same`, k 3, s 2, output_padding 0 on
        // 4 rows is 7 rows in Keras, 8 in TF.js (the first one extra).
        assert_eq!(plan(4, 3, 2, true, 0), Some((0, 1, 0)));
        // `valid`, k 3, s 2, output_padding 1 on 7 rows is 16 rows in
        // Keras, the last one past the input: one zero row more in TF.js.
        assert_eq!(plan(7, 3, 2, false, 1), Some((1, 0, 1)));
    }

    #[test]
    fn output_padding_becomes_padding_and_cropping() {
        let mut layers = Vec::new();
        let mut from = "x".to_string();
        for (i, (padding, op, k, s)) in [
            ("same", [0, 1], [3, 3], [2, 2]),
            ("valid", [1, 0], [3, 2], [2, 3]),
            ("same", [2, 1], [4, 5], [3, 2]),
            ("valid", [0, 2], [1, 2], [2, 3]),
        ]
        .into_iter()
        .enumerate()
        {
            let name = format!("up{i}");
            layers.push(entry_on(
                &name,
                "Conv2DTranspose",
                json!({"filters": 2, "kernel_size": k, "strides": s, "padding": padding,
                       "output_padding": op, "activation": "relu"}),
                &from,
            ));
            from = name;
        }
        let model = functional(&[4, 3, 2], layers, 9);
        let out = assert_same(&model, &input(&[2, 4, 3, 2]), 1e-5);
        assert_note(
            &out,
            "up0 (Conv2DTranspose) -> Conv2DTranspose + Cropping2D",
        );
        assert_note(
            &out,
            "up1 (Conv2DTranspose) -> ZeroPadding2D + Conv2DTranspose + Cropping2D",
        );
    }
}

//! Functions saved under another name than the one the engine computes
//! them by, with their arguments in another spelling: TF 1's
//! `tf.compat.v1` forms (`dim` for `axis`, `squeeze_dims`, `ksizes`,
//! `box_ind`, `[1, k, k, 1]` windows), `tf.nn.pool` / `tf.nn.convolution`
//! (the pooling or convolution of their rank) and TF 1's area / bicubic
//! resizes. Each resolves to the function and keyword arguments of the
//! same computation in the engine's table; arguments that would change
//! the numbers and have no equivalent are refused by name.

use serde_json::{Map, Value};

type Out<T> = std::result::Result<T, String>;

/// The function the engine looks `function` up as, for the check of
/// unsupported functions before a model is built (the arguments decide
/// between equivalents later).
pub(super) fn name(function: &str) -> &str {
    match function {
        "compat.v1.nn.pool" | "nn.pool" => "nn.max_pool2d",
        "compat.v1.image.resize_area" | "compat.v1.image.resize_bicubic" => "image.resize",
        "compat.v1.image.extract_image_patches" => "image.extract_patches",
        "compat.v1.image.crop_and_resize" => "image.crop_and_resize",
        "compat.v1.batch_gather" => "gather",
        "nn.convolution" | "compat.v1.nn.convolution" => "nn.conv2d",
        f => f,
    }
}

/// `kwargs` with `from` renamed `to` (in place, keeping the order) unless
/// `to` is already given.
fn rename(kwargs: &Map<String, Value>, from: &str, to: &str) -> Map<String, Value> {
    let given = kwargs.get(to).is_some_and(|v| !v.is_null());
    kwargs
        .iter()
        .filter(|(k, _)| {
            if given {
                k.as_str() != from
            } else {
                k.as_str() != to
            }
        })
        .map(|(k, v)| {
            let k = if k == from { to.to_string() } else { k.clone() };
            (k, v.clone())
        })
        .collect()
}

/// The function and keyword arguments `function(kwargs)` is computed as
/// (`None`: as saved).
pub(crate) fn resolve(
    function: &str,
    kwargs: &Map<String, Value>,
) -> Out<Option<(&'static str, Map<String, Value>)>> {
    let flag = |k: &str| kwargs.get(k).and_then(Value::as_bool) == Some(true);
    Ok(Some(match function {
        "compat.v1.nn.softmax" => ("nn.softmax", rename(kwargs, "dim", "axis")),
        "compat.v1.nn.log_softmax" => ("nn.log_softmax", rename(kwargs, "dim", "axis")),
        "compat.v1.squeeze" => ("compat.v1.squeeze", rename(kwargs, "squeeze_dims", "axis")),
        // `dim`, the deprecated spelling TensorFlow 2 still takes (and
        // tf_keras saves as given).
        "math.l2_normalize" => ("math.l2_normalize", rename(kwargs, "dim", "axis")),
        "nn.l2_normalize" => ("nn.l2_normalize", rename(kwargs, "dim", "axis")),
        "linalg.l2_normalize" => ("linalg.l2_normalize", rename(kwargs, "dim", "axis")),
        "compat.v1.norm" => ("compat.v1.norm", rename(kwargs, "keep_dims", "keepdims")),
        // TF 1's `resize_images` with `ResizeMethodV1.AREA` (3): TF 2's
        // area kernel unless corner-aligned.
        "compat.v1.image.resize_images" | "compat.v1.image.resize"
            if kwargs
                .get("method")
                .is_some_and(|m| m == "area" || m.as_i64() == Some(3)) =>
        {
            if flag("align_corners") {
                return Err("align_corners=True (corner-aligned sampling) is not supported".into());
            }
            if flag("preserve_aspect_ratio") {
                return Err("preserve_aspect_ratio=True is not supported".into());
            }
            let mut k = Map::new();
            k.insert(
                "size".into(),
                kwargs.get("size").cloned().unwrap_or(Value::Null),
            );
            k.insert("method".into(), Value::from("area"));
            ("image.resize", k)
        }
        "compat.v1.math.scalar_mul" | "math.scalar_mul" => {
            ("math.multiply", rename(kwargs, "x", "y"))
        }
        "compat.v1.image.extract_image_patches" => {
            ("image.extract_patches", rename(kwargs, "ksizes", "sizes"))
        }
        "compat.v1.image.crop_and_resize" => (
            "image.crop_and_resize",
            rename(kwargs, "box_ind", "box_indices"),
        ),
        // `batch_gather(params, indices)`: a gather with as many batch
        // axes as `indices` has before its last.
        "compat.v1.batch_gather" => {
            let mut k = kwargs.clone();
            k.insert("batch_dims".into(), Value::from(-1));
            ("gather", k)
        }
        "compat.v1.image.resize_area" | "compat.v1.image.resize_bicubic" => {
            let area = function.ends_with("area");
            if flag("align_corners") {
                return Err("align_corners=True (corner-aligned sampling) is not supported".into());
            }
            if !area && !flag("half_pixel_centers") {
                return Err(
                    "TF 1's bicubic sampling (half_pixel_centers=False) is not supported; \
                     half_pixel_centers=True is tf.image.resize's bicubic"
                        .into(),
                );
            }
            // TF 2's area and bicubic resizes are these kernels.
            let mut k = Map::new();
            k.insert(
                "size".into(),
                kwargs.get("size").cloned().unwrap_or(Value::Null),
            );
            k.insert(
                "method".into(),
                Value::from(if area { "area" } else { "bicubic" }),
            );
            ("image.resize", k)
        }
        "compat.v1.nn.pool" | "nn.pool" => pool(kwargs)?,
        "nn.convolution" | "compat.v1.nn.convolution" => convolution(kwargs)?,
        _ => return Ok(None),
    }))
}

/// Ints of an int or a list.
fn ints(v: Option<&Value>) -> Option<Vec<i64>> {
    match v? {
        Value::Array(a) => a.iter().map(Value::as_i64).collect(),
        v => v.as_i64().map(|i| vec![i]),
    }
}

/// `tf.nn.pool(input, window_shape, pooling_type, strides, padding,
/// data_format, dilations)` (saved as `compat.v1.nn.pool`, `dilation_rate`):
/// the 1-D or 2-D max / average pooling.
fn pool(kwargs: &Map<String, Value>) -> Out<(&'static str, Map<String, Value>)> {
    let window = ints(kwargs.get("window_shape"))
        .filter(|w| matches!(w.len(), 1 | 2) && w.iter().all(|&k| k >= 1))
        .ok_or("window_shape: expected 1 or 2 positive sizes")?;
    let max = match kwargs.get("pooling_type").and_then(Value::as_str) {
        Some("MAX") => true,
        Some("AVG") => false,
        other => return Err(format!("pooling_type: expected MAX or AVG, got {other:?}")),
    };
    for k in ["dilation_rate", "dilations"] {
        if let Some(d) = kwargs.get(k).filter(|v| !v.is_null()) {
            if !ints(Some(d)).is_some_and(|d| d.iter().all(|&r| r == 1)) {
                return Err(format!("{k} {d}: dilated pooling is not supported"));
            }
        }
    }
    let strides = match kwargs.get("strides").filter(|v| !v.is_null()) {
        None => vec![1; window.len()],
        Some(s) => ints(Some(s))
            .filter(|s| s.len() == window.len() && s.iter().all(|&k| k >= 1))
            .ok_or("strides: expected one positive stride per window axis")?,
    };
    let one_d = window.len() == 1;
    match kwargs.get("data_format").and_then(Value::as_str) {
        None => {}
        Some("NWC") if one_d => {}
        Some("NHWC") if !one_d => {}
        Some(f) => return Err(format!("data_format {f}: only channels-last is supported")),
    }
    let mut k = Map::new();
    k.insert("ksize".into(), Value::from(window));
    k.insert("strides".into(), Value::from(strides));
    let padding = kwargs
        .get("padding")
        .cloned()
        .unwrap_or(Value::from("VALID"));
    k.insert("padding".into(), padding);
    Ok((
        match (max, one_d) {
            (true, true) => "nn.max_pool1d",
            (true, false) => "nn.max_pool2d",
            (false, true) => "nn.avg_pool1d",
            (false, false) => "nn.avg_pool2d",
        },
        k,
    ))
}

/// `tf.nn.convolution(input, filters, strides, padding, data_format,
/// dilations)` and TF 1's `compat.v1.nn.convolution(input, filter,
/// padding, strides, dilation_rate, data_format)` (what
/// `tf.keras.backend.conv2d` saves) with a constant kernel: `nn.conv2d`
/// for a `[h, w, in, out]` kernel, `nn.conv1d` for `[w, in, out]`.
fn convolution(kwargs: &Map<String, Value>) -> Out<(&'static str, Map<String, Value>)> {
    let filters = kwargs
        .get("filters")
        .or_else(|| kwargs.get("filter"))
        .ok_or("the kernel (filters) is missing")?;
    let rank = super::constant_array(filters).map(|t| t.rank()).ok_or(
        "filters: expected a constant kernel (a kernel the model computes is not supported)",
    )?;
    let given = |k: &str| kwargs.get(k).filter(|v| !v.is_null()).cloned();
    let dilations = given("dilations").or_else(|| given("dilation_rate"));
    let strides = given("strides");
    let mut k = Map::new();
    k.insert("filters".into(), filters.clone());
    k.insert(
        "padding".into(),
        kwargs
            .get("padding")
            .cloned()
            .unwrap_or(Value::from("VALID")),
    );
    if let Some(f) = given("data_format") {
        k.insert("data_format".into(), f);
    }
    match rank {
        4 => {
            k.insert("strides".into(), strides.unwrap_or(Value::from(1)));
            if let Some(d) = dilations {
                k.insert("dilations".into(), d);
            }
            Ok(("nn.conv2d", k))
        }
        3 => {
            k.insert("stride".into(), strides.unwrap_or(Value::from(1)));
            if let Some(d) = dilations {
                k.insert("dilations".into(), d);
            }
            Ok(("nn.conv1d", k))
        }
        r => Err(format!(
            "a rank-{r} kernel: only 1-D and 2-D convolutions are supported"
        )),
    }
}

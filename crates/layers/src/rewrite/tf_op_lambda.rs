//! `TFOpLambda` (Keras 2's `tf.*` calls on Keras tensors) → TF.js layers.
//!
//! | function | rewrite |
//! |---|---|
//! | `x + c`, `x - c`, `c - x`, `x * c`, `x / c`, `-x` (scalar `c`) | `Rescaling(scale, offset)` |
//! | `x + y`, `x * y`, `maximum(x, y)`, `minimum(x, y)` | `Add`, `Multiply`, `Maximum`, `Minimum` |
//! | `x - y` | `Rescaling(-1)` on `y`, then `Add` (`x + (-y)` is `x - y` exactly) |
//! | `math.squared_difference(x, y)` (`y` a tensor or scalar) | the difference as above (or `Rescaling`), then `Multiply` of it by itself (TF's `(x - y)·(x - y)`: exact) |
//! | `maximum(x, 0)`, `relu`, `relu6`, `clip_by_value(x, 0, m)` | `ReLU(max_value)` |
//! | `clip_by_value(x, lo, hi)`, `maximum(x, c)`, `minimum(x, c)` (scalar bounds) | `Rescaling` + `ReLU(max_value)` + `Rescaling` ([`super::clip`]: within two float32 roundings; exact for a bound of 0) |
//! | `sigmoid`, `tanh`, `softplus`, `softsign`, `elu`, `selu`, `silu`/`swish` (`beta` 1), `gelu`, `identity` (`math.conj`, `keras.backend.print_tensor` / `cast_to_floatx`) | `Activation` |
//! | `image.transpose`, `keras.backend.batch_flatten` | `Permute`, `Flatten` |
//! | `leaky_relu(alpha)` | `LeakyReLU(alpha)` |
//! | `softmax(axis)` (TF 1's `dim`) | `Softmax(axis)` |
//! | `nn.log_softmax(axis)` (TF 1's `dim`) | `Activation("log_softmax")` (TF.js's `logSoftmax`: the same formula, within the float32 rounding of `exp` / `log`), between `Permute`s for an inner axis |
//! | `concat(axis)` | `Concatenate(axis)` |
//! | `reshape([-1, …])`, `expand_dims`, `squeeze` | `Reshape` |
//! | `transpose(perm)` with `perm[0] == 0` | `Permute` |
//! | `reduce_mean`/`reduce_max` over axis 1 (rank 3) or 1-2 (rank 4) | global pooling (+ `Reshape` for `keepdims`) |
//! | `reduce_min` (any non-batch axes, `keepdims` too) | `Rescaling(-1)` + the `reduce_max` layers + `Rescaling(-1)` (`-max(-x)`: exact) |
//! | `math.log_sigmoid` | `Rescaling(-1)` + `Activation("softplus")` + `Rescaling(-1)` (TF's `-softplus(-x)`) |
//! | `reduce_mean`/`reduce_max` over other non-batch axes | `Permute` + `Reshape` + 1-D global pooling + `Reshape` ([`super::reduce_axes`]) |
//! | `nn.max_pool2d`, `nn.avg_pool2d`, TF 1's `nn.max_pool` / `avg_pool`, 2-D `nn.pool` (NHWC) | `MaxPooling2D`, `AveragePooling2D` |
//! | `image.resize` (bilinear, nearest), TF 1's `compat.v1.image.resize*` (`align_corners`) | the `Resizing` rewrite ([`super::image_resize`]) |
//! | `image.central_crop`, `image.resize_with_crop_or_pad` | `ZeroPadding2D` and / or `Cropping2D` |
//!
//! `square` and `abs` have rules of their own ([`super::square`],
//! [`super::absolute`]). Everything else (`exp`, `x / y`, `c / x`, reductions, slicing,
//! other reductions, …) has no exact TF.js layer and is refused, naming the function.

use super::{concatenate_entry, entry, entry_on, Outcome, Site};
use serde_json::{json, Map, Value};
use tfjs_format::codec::DecodedWeight;

/// The rule: applies to `TFOpLambda` / `SlicingOpLambda` layers.
pub fn rule(site: &Site<'_>) -> Outcome {
    if !matches!(site.class_name, "TFOpLambda" | "SlicingOpLambda") {
        return Outcome::Skip;
    }
    let function = site.field("function", Value::as_str).unwrap_or("?");
    if function == "image.resize" || function.starts_with("compat.v1.image.resize") {
        return image_resize(site, function)
            .unwrap_or_else(|why| Outcome::Cannot(format!("tf.{function}: {why}")));
    }
    if matches!(
        function,
        "image.central_crop" | "image.resize_with_crop_or_pad"
    ) {
        return center_window(site, function)
            .unwrap_or_else(|why| Outcome::Cannot(format!("tf.{function}: {why}")));
    }
    let mut weights = Vec::new();
    match rewrite(site, function, &mut weights) {
        Ok(layers) => Outcome::Replace { layers, weights },
        Err(why) => Outcome::Cannot(format!("tf.{function}: {why}")),
    }
}

/// The tensor a one-call `TFOpLambda` is applied to and the call's
/// keyword arguments.
fn first_call(site: &Site<'_>) -> Result<(Value, Map<String, Value>), String> {
    let node = site.single_call("outside a functional model")?;
    let first = node
        .as_array()
        .and_then(|r| r.first())
        .ok_or("malformed inbound node")?;
    let x = tensor_ref(first).ok_or("malformed inbound node")?;
    let kwargs = first.get(3).and_then(Value::as_object).cloned();
    Ok((x, kwargs.unwrap_or_default()))
}

/// The height and width of the call's NHWC input, which must be known.
fn image_size(site: &Site<'_>) -> Result<(usize, usize), String> {
    let shape = site
        .shapes
        .and_then(|s| s.inputs.first())
        .ok_or("its input shape is unknown")?;
    let [_, Some(h), Some(w), Some(_)] = shape.as_slice() else {
        return Err(format!(
            "only rank-4 NHWC inputs of known height and width are rewritten, got {shape:?}"
        ));
    };
    Ok((*h, *w))
}

/// `tf.image.resize(x, size, method, antialias)` (no aspect preservation)
/// as the `Resizing` rewrite's layers.
fn image_resize(site: &Site<'_>, function: &str) -> Result<Outcome, String> {
    let (x, kwargs) = first_call(site)?;
    // TF 1's `resize_area`, half-pixel `resize_bicubic` and
    // `resize_images(method=AREA)` are TF 2's kernels (the engine refuses
    // their other samplings).
    let (function, kwargs) = match crate::layers::tf_ops::resolve_alias(function, &kwargs)? {
        Some((f, k)) => (f, k),
        None => (function, kwargs),
    };
    let kwargs = &kwargs;
    if kwargs.get("preserve_aspect_ratio").and_then(Value::as_bool) == Some(true) {
        return Err("preserve_aspect_ratio: true is not rewritten".into());
    }
    let method = kwargs
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("bilinear");
    let sampling = if function.starts_with("compat.v1.") {
        // TF 1's `align_corners` / top-left sampling.
        crate::layers::tf_ops::V1Resize::from_tf(function, kwargs)
            .map(super::image_resize::Sampling::tf1)
            .map_err(|(k, what)| format!("{k}: expected {what}"))?
    } else {
        super::image_resize::Sampling::from_name(method)
            .ok_or_else(|| format!("method {method:?} has no exact rewrite"))?
    };
    let sampling = if kwargs.get("antialias").and_then(Value::as_bool) == Some(true) {
        sampling.antialiased()
    } else {
        sampling
    };
    let size: Vec<usize> = kwargs
        .get("size")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|v| v.as_u64().map(|u| u as usize)).collect())
        .ok_or("size is not a constant [height, width]")?;
    let [th, tw] = size[..] else {
        return Err("size is not [height, width]".into());
    };
    let (h, w) = image_size(site)?;
    if h == 0 || w == 0 || th == 0 || tw == 0 {
        return Err("an empty image or size".into());
    }
    let (layers, weights) = super::image_resize::chain(
        site.name,
        &json!([x]),
        (h, w),
        (th, tw),
        sampling,
        None,
        false,
    );
    Ok(Outcome::Replace { layers, weights })
}

/// `tf.image.central_crop` / `resize_with_crop_or_pad` of NHWC images of
/// known height and width: the window as `ZeroPadding2D` (rows added) and
/// / or `Cropping2D` (rows removed), both exact.
fn center_window(site: &Site<'_>, function: &str) -> Result<Outcome, String> {
    let (x, kwargs) = first_call(site)?;
    let window = crate::layers::keras3_ops::CenterWindow::from_tf(function, &kwargs)
        .ok_or("not a centered window")??;
    let (h, w) = image_size(site)?;
    let (pad_h, crop_h) = window.pad_crop(0, h);
    let (pad_w, crop_w) = window.pad_crop(1, w);
    let mut steps: Vec<super::Step<'_>> = Vec::new();
    if pad_h != [0, 0] || pad_w != [0, 0] {
        steps.push((
            format!("{}_pad", site.name),
            "ZeroPadding2D",
            json!({"padding": [pad_h, pad_w], "data_format": "channels_last"}),
        ));
    }
    if crop_h != [0, 0] || crop_w != [0, 0] || steps.is_empty() {
        steps.push((
            format!("{}_crop", site.name),
            "Cropping2D",
            json!({"cropping": [crop_h, crop_w], "data_format": "channels_last"}),
        ));
    }
    super::end_chain(&mut steps, site.name, "linear");
    Ok(Outcome::Replace {
        layers: super::chain_entries(&json!([x]), steps),
        weights: Vec::new(),
    })
}

/// A tensor reference `[layer, node, index]` as an inbound-node entry.
pub(super) fn tensor_ref(v: &Value) -> Option<Value> {
    let a = v.as_array()?;
    if a.len() < 3 || !a[0].is_string() || !a[1].is_i64() || !a[2].is_i64() {
        return None;
    }
    Some(json!([a[0], a[1], a[2], {}]))
}

/// A scalar constant operand: a number, a boolean (0 / 1), a one-element
/// list, Keras 3's eager scalar tensor.
pub(super) fn scalar(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Array(a) if a.len() == 1 => scalar(&a[0]),
        // Keras 3's eager scalar tensor (`x / ops.sqrt(4.0)`).
        Value::Object(o)
            if matches!(
                o.get("class_name").and_then(Value::as_str),
                Some("__tensor__" | "__numpy__")
            ) =>
        {
            v.pointer("/config/value").and_then(Value::as_f64)
        }
        _ => None,
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    v?.as_i64()
}

/// An operand of a binary function.
#[derive(Clone)]
pub(super) enum Operand {
    /// A tensor, as an inbound-node entry `[layer, node, index, {}]`.
    Tensor(Value),
    Scalar(f64),
    /// A non-scalar numeric constant (see [`super::constant_operand`]).
    Constant(Value),
    /// A constant TF.js layers cannot take (a string, …).
    Other,
}

impl Operand {
    pub(super) fn of(v: &Value) -> Operand {
        if let Some(c) = scalar(v) {
            Operand::Scalar(c)
        } else if let Some(r) = tensor_ref(v) {
            Operand::Tensor(r)
        } else if super::constant_operand::constant(v).is_some() {
            Operand::Constant(v.clone())
        } else {
            Operand::Other
        }
    }
}

/// `a op b` for `op` in add, sub, mul, div, max, min, sqdiff (`(a - b)²`), as TF.js layers,
/// the last one named after `site`; the weights they need (a non-scalar
/// constant's) are added to `weights`.
pub(super) fn binary(
    site: &Site<'_>,
    op: &str,
    a: Operand,
    b: Operand,
    weights: &mut Vec<DecodedWeight>,
) -> Result<Vec<Value>, String> {
    if op == "sqdiff" {
        // `(a - b)²`: TF's kernel squares the rounded difference, as
        // `Multiply` does the `Add` of `-b` (exact).
        if matches!(a, Operand::Constant(_)) || matches!(b, Operand::Constant(_)) {
            return Err("a squared difference with a non-scalar constant is not rewritten".into());
        }
        let diff = format!("{}_diff", site.name);
        let mut layers = binary_as(site, &diff, "sub", a, b, weights)?;
        let d = json!([diff, 0, 0, {}]);
        layers.push(entry(
            site.name,
            "Multiply",
            json!({}),
            vec![json!([d.clone(), d])],
        ));
        return Ok(layers);
    }
    binary_as(site, site.name, op, a, b, weights)
}

/// [`binary`] with its last layer named `name`.
fn binary_as(
    site: &Site<'_>,
    name: &str,
    op: &str,
    a: Operand,
    b: Operand,
    weights: &mut Vec<DecodedWeight>,
) -> Result<Vec<Value>, String> {
    let rescaling = |x: Value, scale: f64, offset: f64| {
        Ok(vec![entry(
            name,
            "Rescaling",
            json!({"scale": scale, "offset": offset}),
            vec![json!([x])],
        )])
    };
    match (a, b) {
        (Operand::Tensor(x), Operand::Scalar(c)) => match op {
            "add" => rescaling(x, 1.0, c),
            "mul" => rescaling(x, c, 0.0),
            "sub" => rescaling(x, 1.0, -c),
            "div" if c != 0.0 => rescaling(x, 1.0 / c, 0.0),
            "max" => super::clip::bounded(name, x, Some(c), None),
            "min" => super::clip::bounded(name, x, None, Some(c)),
            _ => Err(format!(
                "{op} with the constant {c} has no exact TF.js layer"
            )),
        },
        (Operand::Scalar(c), Operand::Tensor(x)) => match op {
            "add" => rescaling(x, 1.0, c),
            "mul" => rescaling(x, c, 0.0),
            "sub" => rescaling(x, -1.0, c),
            "max" => super::clip::bounded(name, x, Some(c), None),
            "min" => super::clip::bounded(name, x, None, Some(c)),
            "div" => Err("a constant divided by a tensor has no TF.js layer".into()),
            _ => Err(format!(
                "{op} with the constant {c} has no exact TF.js layer"
            )),
        },
        (Operand::Tensor(x), Operand::Tensor(y)) => {
            let merge = |class: &str| Ok(vec![entry(name, class, json!({}), vec![json!([x, y])])]);
            match op {
                "add" => merge("Add"),
                "mul" => merge("Multiply"),
                "max" => merge("Maximum"),
                "min" => merge("Minimum"),
                "sub" => {
                    let neg = format!("{name}_negated");
                    Ok(vec![
                        entry(
                            &neg,
                            "Rescaling",
                            json!({"scale": -1.0, "offset": 0.0}),
                            vec![json!([y])],
                        ),
                        entry(name, "Add", json!({}), vec![json!([x, [neg, 0, 0, {}]])]),
                    ])
                }
                _ => Err("dividing by a tensor has no TF.js layer".into()),
            }
        }
        (Operand::Tensor(x), Operand::Constant(c)) => {
            super::constant_operand::affine(site, op, x, &c, false, weights)
        }
        (Operand::Constant(c), Operand::Tensor(x)) => {
            super::constant_operand::affine(site, op, x, &c, true, weights)
        }
        _ => Err("a constant operand TF.js layers cannot take".into()),
    }
}

/// A one-input function (canonical name: `relu`, `relu6`, `sigmoid`,
/// `tanh`, `softplus`, `softsign`, `elu`, `selu`, `silu`, `gelu`,
/// `identity`, `negative`, `leaky_relu` (`param` alpha), `softmax`
/// (`param` axis)) as one TF.js layer named `name`; `None` if unknown.
pub(super) fn unary(name: &str, x: Value, f: &str, param: Option<f64>) -> Option<Value> {
    let (class, config) = match f {
        "negative" => ("Rescaling", json!({"scale": -1.0, "offset": 0.0})),
        "relu" => (
            "ReLU",
            json!({"max_value": null, "negative_slope": 0.0, "threshold": 0.0}),
        ),
        "relu6" => (
            "ReLU",
            json!({"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}),
        ),
        "sigmoid" | "tanh" | "softplus" | "softsign" | "elu" | "selu" | "gelu" => {
            ("Activation", json!({"activation": f}))
        }
        "silu" => ("Activation", json!({"activation": "swish"})),
        "identity" => ("Activation", json!({"activation": "linear"})),
        "leaky_relu" => ("LeakyReLU", json!({"alpha": param.unwrap_or(0.2)})),
        "softmax" => ("Softmax", json!({"axis": param.unwrap_or(-1.0) as i64})),
        // TF.js's `logSoftmax` activation (over the last axis): `x - max -
        // log(Σ exp(x - max))`, TF's and Keras's formula (within the
        // float32 rounding of exp / log).
        "log_softmax" => ("Activation", json!({"activation": "log_softmax"})),
        _ => return None,
    };
    Some(entry(name, class, config, vec![json!([x])]))
}

/// `softmax` / `log_softmax` (`f`) over an inner `axis` of the site's
/// input: the last-axis layer between `Permute`s; `None` for other
/// functions and for the last axis.
pub(super) fn inner_axis_softmax(
    site: &Site<'_>,
    name: &str,
    x: &Value,
    f: &str,
    axis: Option<f64>,
) -> Option<Vec<Value>> {
    let (axis, rank) = axis
        .filter(|_| matches!(f, "softmax" | "log_softmax"))
        .and_then(|a| super::softmax_axis::inner_axis_of(site, a as i64))?;
    let node = json!([x.clone()]);
    Some(if f == "softmax" {
        super::softmax_axis::chain(name, node, axis, rank)
    } else {
        let config = json!({"activation": "log_softmax"});
        super::softmax_axis::chain_of(name, node, axis, rank, "Activation", config)
    })
}

/// A reduction (`mean`/`max`) over `axes` of an input of `rank`, without
/// kept dims, as global pooling: axis 1 of rank 3, axes 1-2 of rank 4.
///
/// With `keep` (the output shape without the batch axis, for
/// `keepdims: true`), the pooling is followed by a `Reshape` to it.
/// [`reduce`] over the `axis` argument of a call (an integer or a list;
/// absent means all axes, which has no TF.js layer) of the site's input.
pub(super) fn reduce_over(
    site: &Site<'_>,
    name: &str,
    x: Value,
    max: bool,
    axis: Option<&Value>,
    keep: Option<Vec<usize>>,
) -> Result<Vec<Value>, String> {
    let axes: Vec<i64> = match axis {
        Some(Value::Array(a)) => a.iter().map(Value::as_i64).collect::<Option<_>>(),
        Some(v) => v.as_i64().map(|a| vec![a]),
        None => None,
    }
    .ok_or("a reduction over all axes has no TF.js layer")?;
    let shape = site
        .shapes
        .and_then(|s| s.inputs.first())
        .ok_or("its input shape is unknown")?;
    reduce(name, x, max, &axes, shape, keep)
}

/// A sum over the `axis` argument: [`reduce_over`]'s mean (`<name>_mean`)
/// times the count of reduced elements (`Rescaling`): TF.js's mean is the
/// sum divided by the count, so this is the sum within one float32
/// rounding.
pub(super) fn sum_over(
    site: &Site<'_>,
    name: &str,
    x: Value,
    axis: Option<&Value>,
    keep: Option<Vec<usize>>,
) -> Result<Vec<Value>, String> {
    let shape = site
        .shapes
        .and_then(|s| s.inputs.first())
        .ok_or("its input shape is unknown")?;
    let rank = shape.len() as i64;
    let axes: Vec<i64> = match axis {
        Some(Value::Array(a)) => a.iter().map(Value::as_i64).collect::<Option<_>>(),
        Some(v) => v.as_i64().map(|a| vec![a]),
        None => None,
    }
    .ok_or("a reduction over all axes has no TF.js layer")?;
    let mut count = 1usize;
    for a in &axes {
        let a = if *a < 0 { a + rank } else { *a };
        let d = shape
            .get(a as usize)
            .copied()
            .flatten()
            .filter(|_| a > 0)
            .ok_or("a sum over an axis of unknown size (or the batch)")?;
        count *= d;
    }
    let mean = format!("{name}_mean");
    let mut layers = reduce_over(site, &mean, x, false, axis, keep)?;
    layers.push(entry_on(
        name,
        "Rescaling",
        json!({"scale": count as f64, "offset": 0.0}),
        &mean,
    ));
    site.note("a sum as the mean times the count (within one float32 rounding)");
    Ok(layers)
}

/// A minimum over the `axis` argument: `-max(-x)`, [`reduce_over`]'s max
/// (`<name>_max`) between two `Rescaling(-1)`s (exact: negation is).
pub(super) fn min_over(
    site: &Site<'_>,
    name: &str,
    x: Value,
    axis: Option<&Value>,
    keep: Option<Vec<usize>>,
) -> Result<Vec<Value>, String> {
    let (neg, max) = (format!("{name}_neg"), format!("{name}_max"));
    let negate = json!({"scale": -1.0, "offset": 0.0});
    let mut layers = vec![entry(&neg, "Rescaling", negate.clone(), vec![json!([x])])];
    layers.extend(reduce_over(
        site,
        &max,
        json!([neg, 0, 0, {}]),
        true,
        axis,
        keep,
    )?);
    layers.push(entry_on(name, "Rescaling", negate, &max));
    Ok(layers)
}

/// Global pooling (and a `Reshape` to `keep`, the output's non-batch
/// shape, for `keepdims`); other axes: [`super::reduce_axes`].
pub(super) fn reduce(
    name: &str,
    x: Value,
    max: bool,
    axes: &[i64],
    shape: &[Option<usize>],
    keep: Option<Vec<usize>>,
) -> Result<Vec<Value>, String> {
    let rank = shape.len();
    let mut axes: Vec<i64> = axes
        .iter()
        .map(|&a| if a < 0 { a + rank as i64 } else { a })
        .collect();
    axes.sort_unstable();
    let class = match (rank, axes.as_slice(), max) {
        (3, [1], false) => "GlobalAveragePooling1D",
        (3, [1], true) => "GlobalMaxPooling1D",
        (4, [1, 2], false) => "GlobalAveragePooling2D",
        (4, [1, 2], true) => "GlobalMaxPooling2D",
        _ => {
            axes.dedup();
            return super::reduce_axes::reduce_layers(name, x, max, &axes, shape, keep.is_some());
        }
    };
    let Some(target) = keep else {
        return Ok(vec![entry(
            name,
            class,
            json!({"data_format": "channels_last"}),
            vec![json!([x])],
        )]);
    };
    let pool = format!("{name}_pool");
    Ok(vec![
        entry(
            &pool,
            class,
            json!({"data_format": "channels_last"}),
            vec![json!([x])],
        ),
        entry_on(name, "Reshape", json!({"target_shape": target}), &pool),
    ])
}

fn rewrite(
    site: &Site<'_>,
    function: &str,
    weights: &mut Vec<DecodedWeight>,
) -> Result<Vec<Value>, String> {
    let node = site.single_call("a TFOpLambda outside a functional model")?;
    let refs = node.as_array().ok_or("malformed inbound node")?;
    let first = refs.first().ok_or("the call has no inputs")?;
    let x = tensor_ref(first).ok_or("malformed inbound node")?;
    let empty = Map::new();
    let kwargs = first.get(3).and_then(Value::as_object).unwrap_or(&empty);
    // `tf.concat([tf.shape(x)[:1], [3, 8]], 0)`: the call's one tensor is
    // not all it reads.
    if kwargs.contains_key(tfjs_format::topology::FIRST_ARG_KWARG) {
        return Err("a list argument mixing tensors and constants has no TF.js layer".into());
    }
    let name = site.name;
    let one = |class: &str, config: Value| Ok(vec![entry(name, class, config, vec![json!([x])])]);
    let out_shape = || -> Result<Vec<usize>, String> {
        let s = site
            .shapes
            .and_then(|s| s.outputs.first())
            .ok_or("its output shape is unknown")?;
        s.iter()
            .skip(1)
            .map(|d| d.ok_or_else(|| "its output shape is not fully known".to_string()))
            .collect()
    };
    let binary_op = match function {
        "__operators__.add" | "math.add" | "add" => Some("add"),
        "math.subtract" | "subtract" | "__operators__.sub" => Some("sub"),
        "math.multiply" | "multiply" | "__operators__.mul" => Some("mul"),
        "math.truediv" | "math.divide" | "truediv" | "__operators__.truediv" => Some("div"),
        "math.maximum" | "maximum" => Some("max"),
        "math.minimum" | "minimum" => Some("min"),
        "math.squared_difference" | "squared_difference" => Some("sqdiff"),
        _ => None,
    };
    if let Some(op) = binary_op {
        // `c op x`: Keras writes the constant as `_CONSTANT_VALUE` and the
        // tensor as `y`; our saved form keeps the tensor first. A tensor
        // `y` is also the call's second input (with the node index as
        // saved, which a nested model's output shifts).
        let tensor_y = || match refs.get(1).and_then(tensor_ref) {
            Some(r) => Operand::Tensor(r),
            None => kwargs.get("y").map_or(Operand::Other, Operand::of),
        };
        return match kwargs.get("_CONSTANT_VALUE") {
            Some(c) => binary(
                site,
                op,
                Operand::of(c),
                Operand::Tensor(x.clone()),
                weights,
            ),
            None => {
                let y = kwargs.get("y").ok_or("the second operand is missing")?;
                let y = match Operand::of(y) {
                    Operand::Tensor(_) => tensor_y(),
                    other => other,
                };
                binary(site, op, Operand::Tensor(x.clone()), y, weights)
            }
        };
    }
    let canonical = match function {
        "math.negative" | "negative" | "__operators__.neg" => Some("negative"),
        "nn.relu" | "math.relu" => Some("relu"),
        "nn.relu6" => Some("relu6"),
        "math.sigmoid" | "nn.sigmoid" | "sigmoid" => Some("sigmoid"),
        "math.tanh" | "nn.tanh" | "tanh" => Some("tanh"),
        "math.softplus" | "nn.softplus" => Some("softplus"),
        "math.softsign" | "nn.softsign" => Some("softsign"),
        "nn.elu" => Some("elu"),
        "nn.selu" => Some("selu"),
        // TF.js's `swish` is `x · sigmoid(x)`: `beta` other than 1 has no
        // activation.
        "nn.silu" | "nn.swish" | "math.silu"
            if kwargs
                .get("beta")
                .and_then(scalar)
                .is_some_and(|b| b != 1.0) =>
        {
            return Err("silu with beta other than 1 has no TF.js activation".into())
        }
        "nn.silu" | "nn.swish" | "math.silu" => Some("silu"),
        // (`tf.convert_to_tensor` of a float dtype; others are refused
        // when the model is built.)
        "identity" | "ensure_shape" | "convert_to_tensor" => Some("identity"),
        // A real tensor's conjugate, tf_keras's `print_tensor` and
        // `cast_to_floatx` of a float tensor: the tensor itself.
        "math.conj"
        | "guarantee_const"
        | "keras.backend.print_tensor"
        | "keras.backend.cast_to_floatx" => Some("identity"),
        "nn.gelu" if kwargs.get("approximate").and_then(Value::as_bool) == Some(true) => {
            return Err("the tanh-approximated gelu has no TF.js activation".into())
        }
        "nn.gelu" => Some("gelu"),
        "nn.leaky_relu" => Some("leaky_relu"),
        "nn.softmax" | "math.softmax" | "compat.v1.nn.softmax" => Some("softmax"),
        "nn.log_softmax" | "math.log_softmax" | "compat.v1.nn.log_softmax" => Some("log_softmax"),
        _ => None,
    };
    if let Some(f) = canonical {
        let param = match f {
            "leaky_relu" => kwargs.get("alpha").and_then(scalar),
            // (TF 1 spells the axis `dim`.)
            "softmax" | "log_softmax" => match kwargs.get("axis").or_else(|| kwargs.get("dim")) {
                None | Some(Value::Null) => None,
                v => Some(int(v).ok_or("a softmax over several axes has no TF.js layer")? as f64),
            },
            _ => None,
        };
        // Over an inner axis: TF.js's kernel takes only the last one.
        if let Some(layers) = inner_axis_softmax(site, name, &x, f, param) {
            return Ok(layers);
        }
        return unary(name, x.clone(), f, param)
            .map(|l| vec![l])
            .ok_or_else(|| format!("internal: no rewrite for {f}"));
    }
    match function {
        "clip_by_value" => {
            let lo = kwargs.get("clip_value_min").and_then(scalar);
            let hi = kwargs.get("clip_value_max").and_then(scalar);
            match (lo, hi) {
                (Some(lo), Some(hi)) => super::clip::bounded(name, x.clone(), Some(lo), Some(hi)),
                _ => Err("only constant scalar bounds have TF.js layers".into()),
            }
        }
        "math.log_sigmoid" => Ok(super::activations::log_sigmoid_chain(name, x.clone())),
        "math.reduce_min" | "reduce_min" => {
            let keep = if kwargs.get("keepdims").and_then(Value::as_bool) == Some(true) {
                Some(out_shape()?)
            } else {
                None
            };
            min_over(site, name, x.clone(), kwargs.get("axis"), keep)
        }
        "math.reduce_sum" | "reduce_sum" => {
            let keep = if kwargs.get("keepdims").and_then(Value::as_bool) == Some(true) {
                Some(out_shape()?)
            } else {
                None
            };
            sum_over(site, name, x.clone(), kwargs.get("axis"), keep)
        }
        "math.reduce_mean" | "reduce_mean" | "math.reduce_max" | "reduce_max" => {
            let keep = if kwargs.get("keepdims").and_then(Value::as_bool) == Some(true) {
                Some(out_shape()?)
            } else {
                None
            };
            reduce_over(
                site,
                name,
                x.clone(),
                function.ends_with("max"),
                kwargs.get("axis"),
                keep,
            )
        }
        "nn.max_pool2d"
        | "nn.max_pool"
        | "nn.avg_pool2d"
        | "nn.avg_pool"
        | "compat.v1.nn.max_pool"
        | "compat.v1.nn.avg_pool" => {
            let (class, config) = pooling(function, kwargs)?;
            one(class, config)
        }
        // `tf.nn.pool`: the 2-D max / average pooling it is.
        "compat.v1.nn.pool" | "nn.pool" => {
            let (f, k) = crate::layers::tf_ops::resolve_alias(function, kwargs)?
                .ok_or("internal: tf.nn.pool has no alias")?;
            if f.ends_with("1d") {
                return Err("a 1-D tf.nn.pool is not rewritten".into());
            }
            let (class, config) = pooling(f, &k)?;
            one(class, config)
        }
        "concat" => {
            let axis = int(kwargs.get("axis")).ok_or("concat needs an integer axis")?;
            let inputs: Vec<Value> = refs
                .iter()
                .map(tensor_ref)
                .collect::<Option<_>>()
                .ok_or("malformed inbound node")?;
            Ok(vec![concatenate_entry(name, axis, inputs)])
        }
        // The one channel three times.
        "image.grayscale_to_rgb" => Ok(vec![concatenate_entry(name, -1, vec![x.clone(); 3])]),
        // YUV / YIQ: the channels times TensorFlow's constant 3x3 kernel,
        // a bias-free `Dense(3)` (the same matrix product).
        f if crate::layers::keras3_ops::color_kernel(f).is_some() => {
            let k = crate::layers::keras3_ops::color_kernel(f).expect("checked above");
            weights.push(super::f32_weight(
                format!("{name}/kernel"),
                vec![3, 3],
                k.to_vec(),
            ));
            one("Dense", super::zero_dense(3, false))
        }
        "stack" => {
            let axis = match kwargs.get("axis") {
                None | Some(Value::Null) => 0,
                v => int(v).ok_or("stack needs an integer axis")?,
            };
            let inputs: Vec<Value> = refs
                .iter()
                .map(tensor_ref)
                .collect::<Option<_>>()
                .ok_or("malformed inbound node")?;
            super::keras3_ops::stack_layers(site, name, axis, inputs)
        }
        "reshape" => {
            let shape = kwargs
                .get("shape")
                .and_then(Value::as_array)
                .ok_or("reshape needs a constant shape")?;
            let batch = shape.first().and_then(Value::as_i64);
            let target: Option<Vec<i64>> = shape.iter().skip(1).map(Value::as_i64).collect();
            match (batch, target) {
                (Some(-1), Some(t)) if !t.contains(&-1) => {
                    one("Reshape", json!({"target_shape": t}))
                }
                // Fall back on the shape the engine computed.
                _ => one("Reshape", json!({"target_shape": out_shape()?})),
            }
        }
        "expand_dims" | "squeeze" | "compat.v1.squeeze" => {
            // `axis` (`squeeze_dims` / `dim` in TF 1's spelling).
            let axis = ["axis", "squeeze_dims", "dim"]
                .iter()
                .find_map(|k| kwargs.get(*k).filter(|v| !v.is_null()));
            let expand = function == "expand_dims";
            let out = super::keras3_ops::batch_kept_shape(site, expand, axis)?;
            one("Reshape", json!({ "target_shape": out }))
        }
        // `[batch, height, width, channels]` → `[batch, width, height, channels]`.
        "image.transpose" => {
            let rank = site
                .shapes
                .and_then(|s| s.inputs.first())
                .map(Vec::len)
                .ok_or("its input shape is unknown")?;
            if rank != 4 {
                return Err(format!(
                    "a rank-{rank} image is not rewritten (rank 4 only)"
                ));
            }
            permute(name, x.clone(), &[0, 2, 1, 3])
        }
        // `[batch, …]` → `[batch, product]`: Flatten.
        "keras.backend.batch_flatten" => one("Flatten", json!({"data_format": "channels_last"})),
        "transpose" | "compat.v1.transpose" => {
            let perm: Vec<i64> = match kwargs.get("perm") {
                None | Some(Value::Null) => return reverse_all_axes(site, name, x.clone()),
                Some(p) => p
                    .as_array()
                    .and_then(|p| p.iter().map(Value::as_i64).collect())
                    .ok_or("transpose needs a constant perm")?,
            };
            permute(name, x.clone(), &perm)
        }
        // The last two axes swapped.
        "linalg.matrix_transpose" | "linalg.transpose" | "linalg.adjoint" => {
            let rank = site
                .shapes
                .and_then(|s| s.inputs.first())
                .map(Vec::len)
                .filter(|&r| r >= 3)
                .ok_or("a matrix transpose needs an input of known rank >= 3")?;
            let mut perm: Vec<i64> = (0..rank as i64).collect();
            perm.swap(rank - 2, rank - 1);
            permute(name, x.clone(), &perm)
        }
        other => Err(format!(
            "TensorFlow.js 4.22 has no layer computing tf.{other} exactly"
        )),
    }
}

/// A transpose keeping the batch axis first, as `Permute`.
/// A transpose without a permutation (`tf.transpose(x)`, `ops.transpose(x)`):
/// every axis reversed, the batch axis among them, which is the identity
/// of a rank-1 tensor only (a linear `Activation`); refused otherwise.
/// `tf.nn.max_pool2d` / `avg_pool2d` (and TF 1's `max_pool` / `avg_pool`)
/// of NHWC images: the `MaxPooling2D` / `AveragePooling2D` config.
fn pooling(function: &str, kwargs: &Map<String, Value>) -> Result<(&'static str, Value), String> {
    // ksize / strides: an int, [h, w] or NHWC [1, h, w, 1].
    let hw = |key: &str| -> Result<[i64; 2], String> {
        let v = kwargs.get(key).ok_or(format!("{key} is missing"))?;
        let ints: Vec<i64> = match v {
            Value::Array(a) => a.iter().map(Value::as_i64).collect::<Option<_>>(),
            v => v.as_i64().map(|i| vec![i]),
        }
        .ok_or(format!("{key} is not constant integers"))?;
        match ints.as_slice() {
            [k] => Ok([*k, *k]),
            [h, w] => Ok([*h, *w]),
            [1, h, w, 1] => Ok([*h, *w]),
            _ => Err(format!("{key} {ints:?} is not a 2-D window")),
        }
    };
    if kwargs
        .get("data_format")
        .and_then(Value::as_str)
        .is_some_and(|f| f != "NHWC")
    {
        return Err("only NHWC pooling is rewritten".into());
    }
    let padding = match kwargs.get("padding").and_then(Value::as_str) {
        Some("VALID") | Some("valid") => "valid",
        Some("SAME") | Some("same") => "same",
        other => return Err(format!("padding {other:?} is not VALID or SAME")),
    };
    let class = if function.contains("max_pool") {
        "MaxPooling2D"
    } else {
        "AveragePooling2D"
    };
    Ok((
        class,
        json!({"pool_size": hw("ksize")?, "strides": hw("strides")?,
               "padding": padding, "data_format": "channels_last"}),
    ))
}

pub(super) fn reverse_all_axes(
    site: &Site<'_>,
    name: &str,
    x: Value,
) -> Result<Vec<Value>, String> {
    let rank = site
        .shapes
        .and_then(|s| s.inputs.first())
        .map(Vec::len)
        .ok_or("its input shape is unknown")?;
    if rank != 1 {
        return Err(format!(
            "without a permutation it reverses every axis of its rank-{rank} input, moving the \
             batch axis last: no TF.js layer moves the batch axis"
        ));
    }
    Ok(vec![entry(
        name,
        "Activation",
        json!({"activation": "linear"}),
        vec![json!([x])],
    )])
}

pub(super) fn permute(name: &str, x: Value, perm: &[i64]) -> Result<Vec<Value>, String> {
    if perm.first() != Some(&0) {
        return Err("a transpose that moves the batch axis has no TF.js layer".into());
    }
    Ok(vec![entry(
        name,
        "Permute",
        json!({"dims": perm[1..].to_vec()}),
        vec![json!([x])],
    )])
}

#[cfg(test)]
mod tests {
    use super::super::probes::{self, tf};
    use super::super::test_util::*;

    /// `tf.image.grayscale_to_rgb` is a `Concatenate` of the channel three
    /// times, the YUV / YIQ conversions a bias-free `Dense(3)` of
    /// TensorFlow's kernel, `tf.ensure_shape` the identity.
    #[test]
    fn image_color_functions_become_tfjs_layers() {
        let gray = vec![tf("rgb", "image.grayscale_to_rgb", "x", json!({}))];
        assert_rewrites(
            &[2, 3, 4, 1],
            gray,
            7,
            0.0,
            "rgb (TFOpLambda) -> Concatenate",
        );
        for (function, note) in [
            ("image.rgb_to_yuv", "c (TFOpLambda) -> Dense"),
            ("image.yiq_to_rgb", "c (TFOpLambda) -> Dense"),
            ("ensure_shape", "c (TFOpLambda) -> Activation"),
        ] {
            let kwargs = if function == "ensure_shape" {
                json!({"shape": [null, 3, 4, 3]})
            } else {
                json!({})
            };
            let layers = vec![tf("c", function, "x", kwargs)];
            assert_rewrites(&[2, 3, 4, 3], layers, 7, 1e-6, note);
        }
    }

    #[test]
    fn tf_op_lambda_arithmetic_becomes_tfjs_layers() {
        assert_rewrites(
            &[3, 5],
            probes::tf_arith(),
            7,
            1e-5,
            "diff (TFOpLambda) -> Rescaling + Add",
        );
    }

    #[test]
    fn tf_op_lambda_shapes_become_reshape_and_permute() {
        let model = functional(&[4, 3], probes::tf_shapes(), 7);
        assert_same(&model, &input(&[2, 4, 3]), 1e-6);
    }

    /// `tf.linalg.matrix_transpose` (MLP-Mixer's token mixing) swaps the
    /// last two axes: a `Permute`.
    /// `tf.convert_to_tensor` of a float tensor is the identity.
    #[test]
    fn convert_to_tensor_becomes_a_linear_activation() {
        let layers = vec![tf(
            "c",
            "convert_to_tensor",
            "x",
            json!({"dtype": null, "dtype_hint": "float32"}),
        )];
        assert_rewrites(&[2, 3, 4], layers, 7, 0.0, "c (TFOpLambda) -> Activation");
    }

    #[test]
    fn matrix_transpose_becomes_permute() {
        let layers = vec![tf("mt", "linalg.matrix_transpose", "x", json!({}))];
        assert_rewrites(&[2, 3, 4, 5], layers, 7, 0.0, "mt (TFOpLambda) -> Permute");
    }

    #[test]
    fn tf1_and_backend_spellings_become_tfjs_layers() {
        // (tfa_v1_rebuildable, heldout33: these rewrites load and match
        // Keras in TensorFlow.js 4.22.)
        let layers = vec![
            tf(
                "mp",
                "compat.v1.nn.max_pool",
                "x",
                json!({"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"}),
            ),
            tf(
                "pool",
                "compat.v1.nn.pool",
                "mp",
                json!({"window_shape": [2, 2], "pooling_type": "AVG", "padding": "SAME",
                       "dilation_rate": null, "strides": [1, 1], "data_format": null}),
            ),
            tf("t", "image.transpose", "pool", json!({})),
            tf(
                "id",
                "keras.backend.print_tensor",
                "t",
                json!({"message": "t"}),
            ),
            tf("sm", "compat.v1.nn.softmax", "id", json!({"dim": -1})),
            tf("flat", "keras.backend.batch_flatten", "sm", json!({})),
        ];
        assert_rewrites(
            &[2, 6, 4, 2],
            layers,
            5,
            1e-6,
            "pool (TFOpLambda) -> AveragePooling2D",
        );
    }

    #[test]
    fn tf_op_lambda_pooling_and_resize_become_tfjs_layers() {
        assert_rewrites(
            &[2, 6, 6, 2],
            probes::tf_pooling(),
            7,
            1e-6,
            "se (TFOpLambda) -> GlobalAveragePooling2D + Reshape",
        );
    }

    /// `tf.expand_dims` / `tf.squeeze` keep the batch axis first and whole
    /// or are refused, as Keras 3's operations (one rule).
    #[test]
    fn squeezes_and_expansions_of_the_batch_are_refused() {
        let layers = vec![tf("e", "expand_dims", "x", json!({"axis": 1}))];
        assert_rewrites(&[3, 4], layers, 7, 0.0, "e (TFOpLambda) -> Reshape");
        for kwargs in [json!({"axis": 0}), json!({"axis": -3})] {
            let layers = vec![tf("e", "expand_dims", "x", kwargs)];
            let model = functional(&[4], layers, 7);
            assert_refused(
                &model,
                &["`e` (TFOpLambda): tf.expand_dims: an axis before the batch"],
            );
        }
        let layers = vec![
            tf("e", "expand_dims", "x", json!({"axis": -1})),
            tf("s", "squeeze", "e", json!({"axis": null})),
        ];
        let model = functional(&[4], layers, 7);
        assert_refused(
            &model,
            &["`s` (TFOpLambda): tf.squeeze: only explicit axes"],
        );
    }

    /// `tf.math.squared_difference` of two tensors (broadcast) and of a
    /// tensor and a scalar: TF's `(x - y)·(x - y)`, exactly.
    #[test]
    fn squared_difference_becomes_subtract_and_multiply() {
        let layers = vec![
            tf(
                "m",
                "math.reduce_mean",
                "x",
                json!({"axis": 1, "keepdims": true}),
            ),
            tf(
                "sd",
                "math.squared_difference",
                "x",
                json!({"y": ["m", 0, 0]}),
            ),
            tf("sc", "math.squared_difference", "sd", json!({"y": 0.5})),
        ];
        assert_rewrites(
            &[2, 4, 3],
            layers,
            5,
            0.0,
            "sd (TFOpLambda) -> Rescaling + Add + Multiply",
        );
    }

    #[test]
    fn tf_op_lambda_without_a_tfjs_layer_is_refused() {
        let layers = vec![
            tf("a", "math.exp", "x", json!({})),
            tf("q", "math.truediv", "a", json!({"y": ["x", 0, 0]})),
            tf("m", "math.reduce_std", "q", json!({"axis": 1})),
        ];
        let model = functional(&[4], layers, 7);
        assert_refused(
            &model,
            &[
                "3 layers",
                "`a` (TFOpLambda): tf.math.exp: TensorFlow.js 4.22 has no layer",
                "`q` (TFOpLambda): tf.math.truediv: dividing by a tensor",
                "`m` (TFOpLambda): tf.math.reduce_std",
            ],
        );
    }
}

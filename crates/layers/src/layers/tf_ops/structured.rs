//! `tf.*` functions with arguments of their own, each computed here whole:
//!
//! - losses a model exports per sample: `tf.nn.softmax_cross_entropy_with_logits`
//!   (and TF 1's `_v2`), `sparse_softmax_cross_entropy_with_logits`,
//!   `weighted_cross_entropy_with_logits`, `log_poisson_loss`, and
//!   tf_keras's `keras.backend.binary_crossentropy` /
//!   `categorical_crossentropy` / `sparse_categorical_crossentropy`
//!   (probabilities clipped to `[ε, 1 − ε]`, ε = 1e-7, or logits);
//! - `keras.backend.batch_flatten`, TF 1's `nn.xw_plus_b` / `relu_layer`
//!   with constant weights;
//! - `tf.signal.mfccs_from_log_mel_spectrograms` (the unnormalized DCT-II
//!   scaled by `1/√(2N)`), `fftshift` / `ifftshift`, `overlap_and_add`;
//! - `space_to_batch_nd` / `batch_to_space` (and TF 1's forms),
//!   `nn.max_pool_with_argmax` (two outputs: values and flat indices),
//!   `nn.dilation2d` / `erosion2d` (grey-scale morphology by a constant
//!   structuring element);
//! - `image.convert_image_dtype` of a float image, `saturate_cast`;
//! - `nn.separable_conv2d` with constant filters, `image.ssim`.
//!
//! Functions a deployed model cannot compute from its inputs (random ops,
//! `nn.dropout`, string ops, Python callbacks) are refused by name here
//! too ([`refusal`]).

use super::*;
use std::sync::Arc;

type Out<T> = std::result::Result<T, String>;

/// Keras 2's `backend.epsilon()`.
use tfjs_kernels::losses::{self, KERAS_EPSILON};

/// A tensor argument: the `k`-th tensor kwarg (the first argument is the
/// call's first input).
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    Kwarg(usize),
}

#[derive(Debug, Clone)]
pub(super) enum Op {
    /// `-Σ labels · log_softmax(logits)` over `axis` (gone).
    SoftmaxCe {
        logits: Slot,
        axis: i64,
    },
    /// `-log_softmax(logits)[label]` over the last axis; the labels'
    /// shape. `probabilities`: the scores are Keras's clipped
    /// probabilities (their log is the logits).
    SparseCe {
        logits: Slot,
        probabilities: bool,
    },
    /// `(1 − z) x + (1 + (w − 1) z)(log1p(e^−|x|) + max(−x, 0))`.
    WeightedCe {
        logits: Slot,
        pos_weight: f32,
    },
    /// `e^l − l t`, plus Stirling's `t log t − t + ½ log 2πt` where `t > 1`
    /// (`compute_full_loss`).
    LogPoisson {
        log_input: Slot,
        full: bool,
    },
    /// Keras's binary crossentropy of probabilities (`from_logits`: the
    /// sigmoid cross-entropy).
    KerasBce {
        output: Slot,
        from_logits: bool,
    },
    /// Keras's categorical crossentropy of probabilities over `axis`
    /// (rescaled to sum 1, clipped), or of logits.
    KerasCce {
        output: Slot,
        from_logits: bool,
        axis: i64,
    },
    BatchFlatten,
    /// `x · w + b` (`relu`: then the ReLU), `x` of rank 2.
    XwPlusB {
        w: Arc<Tensor>,
        b: Arc<Tensor>,
        relu: bool,
    },
    Mfcc,
    /// A roll by half of each axis (`inverse`: the other way for odd
    /// sizes); `None`: every axis.
    FftShift {
        axes: Option<Vec<i64>>,
        inverse: bool,
    },
    OverlapAdd {
        step: usize,
    },
    SpaceToBatch {
        block: Vec<usize>,
        pads: Vec<[usize; 2]>,
    },
    BatchToSpace {
        block: Vec<usize>,
        crops: Vec<[usize; 2]>,
    },
    MaxPoolArgmax {
        k: [usize; 2],
        s: [usize; 2],
        same: bool,
        with_batch: bool,
    },
    Morphology(Arc<Morphology>),
    /// A float image to a float dtype: the values as they are.
    ConvertFloat,
    /// `tf.saturate_cast` to an integer dtype: clamped to `[lo, hi]`, then
    /// truncated; to a float dtype the values as they are.
    Saturate {
        lo: f32,
        hi: f32,
        trunc: bool,
    },
    /// `tf.nn.separable_conv2d`: a depthwise convolution by `[kh, kw, in,
    /// mult]` then a `[1, 1, in·mult, out]` pointwise one.
    Separable(Arc<Separable>),
    /// `tf.image.ssim(img1, img2, max_val, …)`.
    Ssim(Arc<Ssim>),
}

/// `tf.nn.separable_conv2d`'s constant filters and geometry.
#[derive(Debug)]
pub(super) struct Separable {
    depthwise: Tensor,
    pointwise: Tensor,
    strides: [usize; 2],
    rates: [usize; 2],
    same: bool,
}

/// `tf.image.ssim`'s arguments.
#[derive(Debug)]
pub(super) struct Ssim {
    img2: Slot,
    max_val: f32,
    /// The normalized Gaussian window, `size × size`.
    window: Vec<f64>,
    size: usize,
    k1: f32,
    k2: f32,
    index_map: bool,
}

/// `tf.nn.dilation2d` / `erosion2d`'s structuring element and geometry.
#[derive(Debug)]
pub(super) struct Morphology {
    /// `[kh, kw, channels]`.
    filter: Tensor,
    strides: [usize; 2],
    rates: [usize; 2],
    same: bool,
    erosion: bool,
}

/// The functions this file computes.
pub(super) fn handles(f: &str) -> bool {
    matches!(
        f,
        "nn.softmax_cross_entropy_with_logits"
            | "compat.v1.nn.softmax_cross_entropy_with_logits_v2"
            | "nn.sparse_softmax_cross_entropy_with_logits"
            | "compat.v1.nn.sparse_softmax_cross_entropy_with_logits"
            | "nn.weighted_cross_entropy_with_logits"
            | "compat.v1.nn.weighted_cross_entropy_with_logits"
            | "nn.log_poisson_loss"
            | "keras.backend.binary_crossentropy"
            | "keras.backend.categorical_crossentropy"
            | "keras.backend.sparse_categorical_crossentropy"
            | "keras.backend.batch_flatten"
            | "compat.v1.nn.xw_plus_b"
            | "compat.v1.nn.relu_layer"
            | "signal.mfccs_from_log_mel_spectrograms"
            | "signal.fftshift"
            | "signal.ifftshift"
            | "signal.overlap_and_add"
            | "space_to_batch_nd"
            | "space_to_batch"
            | "compat.v1.space_to_batch"
            | "compat.v1.space_to_batch_nd"
            | "compat.v1.nn.space_to_batch"
            | "batch_to_space"
            | "batch_to_space_nd"
            | "compat.v1.batch_to_space"
            | "compat.v1.batch_to_space_nd"
            | "compat.v1.nn.batch_to_space"
            | "nn.max_pool_with_argmax"
            | "compat.v1.nn.max_pool_with_argmax"
            | "nn.dilation2d"
            | "nn.erosion2d"
            | "image.convert_image_dtype"
            | "dtypes.saturate_cast"
            | "saturate_cast"
            | "nn.separable_conv2d"
            | "compat.v1.nn.separable_conv2d"
            | "image.ssim"
    )
}

/// Why a function no deployed model can compute is refused (`None`: not
/// one of those).
pub(crate) fn refusal(f: &str) -> Option<&'static str> {
    let random = f.starts_with("random.")
        || f.starts_with("compat.v1.random")
        || f.starts_with("image.random_")
        || f.starts_with("image.stateless_random_")
        || f.starts_with("image.sample_distorted")
        || f.starts_with("image.stateless_sample_distorted")
        || matches!(
            f,
            "nn.dropout"
                | "compat.v1.nn.dropout"
                | "nn.fractional_max_pool"
                | "nn.fractional_avg_pool"
                | "compat.v1.multinomial"
                | "random_index_shuffle"
        );
    Some(if random {
        "it draws random numbers at every call (Keras's Dropout / random layers are the \
         inference-aware forms)"
    } else if f.starts_with("strings.") || f.starts_with("compat.v1.string") {
        "string functions are not computed by this engine"
    } else if matches!(
        f,
        "py_function" | "numpy_function" | "compat.v1.py_func" | "print" | "compat.v1.Print"
    ) {
        "it calls Python code (or prints) that the file does not hold"
    } else if matches!(
        f,
        "unique"
            | "unique_with_counts"
            | "compat.v1.setdiff1d"
            | "dynamic_partition"
            | "image.non_max_suppression"
            | "image.non_max_suppression_with_scores"
            | "image.non_max_suppression_overlaps"
            | "boolean_mask_v2"
    ) {
        "its output size depends on the values (use a fixed-size form: \
         image.combined_non_max_suppression, tf.where(cond, x, y))"
    } else if f.starts_with("signal.")
        && matches!(
            &f["signal.".len()..],
            "fft"
                | "ifft"
                | "fft2d"
                | "ifft2d"
                | "fft3d"
                | "ifft3d"
                | "rfft"
                | "irfft"
                | "rfft2d"
                | "irfft2d"
                | "rfft3d"
                | "irfft3d"
                | "stft"
                | "inverse_stft"
                | "mdct"
                | "inverse_mdct"
                | "fftnd"
                | "ifftnd"
                | "rfftnd"
                | "irfftnd"
        )
    {
        "it makes complex tensors, which this engine does not have (Keras 3's ops.fft / \
         ops.stft on (real, imaginary) pairs run)"
    } else {
        return None;
    })
}

/// The index among the tensor kwargs of the tensor kwarg `name` (the
/// extra inputs follow the positional ones in the kwargs' order).
fn slot(kwargs: &Map<String, Value>, name: &str) -> Out<Slot> {
    let mut k = 0;
    for (key, v) in kwargs {
        let held = crate::topology::kwarg_tensors([(key, v)]).len();
        if key == name {
            return match crate::topology::kwarg_tensor(v) {
                Some(_) => Ok(Slot::Kwarg(k)),
                None => Err(format!(
                    "argument {name}: expected a tensor, got {}",
                    short(v)
                )),
            };
        }
        k += held;
    }
    Err(format!("argument {name} is missing"))
}

fn int_of(kwargs: &Map<String, Value>, k: &str, default: i64) -> Out<i64> {
    match kwargs.get(k) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_i64()
            .ok_or_else(|| format!("argument {k}: expected an integer, got {v}")),
    }
}

fn flag(kwargs: &Map<String, Value>, k: &str) -> bool {
    kwargs.get(k).and_then(Value::as_bool) == Some(true)
}

fn ints(v: Option<&Value>) -> Option<Vec<i64>> {
    match v? {
        Value::Array(a) => a.iter().map(Value::as_i64).collect(),
        v => v.as_i64().map(|i| vec![i]),
    }
}

/// `[[before, after], …]`, non-negative.
fn pairs(v: Option<&Value>, what: &str) -> Out<Vec<[usize; 2]>> {
    v.and_then(Value::as_array)
        .and_then(|rows| {
            rows.iter()
                .map(|r| {
                    let r = r.as_array().filter(|r| r.len() == 2)?;
                    let (a, b) = (r[0].as_u64()?, r[1].as_u64()?);
                    (a <= 1 << 20 && b <= 1 << 20).then_some([a as usize, b as usize])
                })
                .collect()
        })
        .ok_or_else(|| format!("{what}: expected constant [[before, after], …] per block axis"))
}

/// An int, `[k]`, `[h, w]` or `[1, h, w, 1]` as `[h, w]`.
fn window(v: Option<&Value>, what: &str) -> Out<[usize; 2]> {
    let ok = |n: i64| (1..=1 << 16).contains(&n).then_some(n as usize);
    match ints(v).as_deref() {
        Some(&[k]) => ok(k).map(|k| [k, k]),
        Some(&[h, w]) | Some(&[1, h, w, 1]) => ok(h).zip(ok(w)).map(|(h, w)| [h, w]),
        _ => None,
    }
    .ok_or_else(|| format!("{what}: expected positive [height, width] (or [1, h, w, 1])"))
}

fn same(v: Option<&Value>) -> Out<bool> {
    match v.and_then(Value::as_str) {
        Some("SAME") => Ok(true),
        Some("VALID") => Ok(false),
        _ => Err(format!(
            "padding: expected \"SAME\" or \"VALID\", got {v:?}"
        )),
    }
}

impl Op {
    pub(super) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Out<Op> {
        let axis_of = |k: &str| int_of(kwargs, k, -1);
        Ok(match function {
            "nn.softmax_cross_entropy_with_logits"
            | "compat.v1.nn.softmax_cross_entropy_with_logits_v2" => Op::SoftmaxCe {
                logits: slot(kwargs, "logits")?,
                axis: match kwargs.get("dim") {
                    Some(v) if !v.is_null() => axis_of("dim")?,
                    _ => axis_of("axis")?,
                },
            },
            "nn.sparse_softmax_cross_entropy_with_logits"
            | "compat.v1.nn.sparse_softmax_cross_entropy_with_logits" => Op::SparseCe {
                logits: slot(kwargs, "logits")?,
                probabilities: false,
            },
            "nn.weighted_cross_entropy_with_logits"
            | "compat.v1.nn.weighted_cross_entropy_with_logits" => Op::WeightedCe {
                logits: slot(kwargs, "logits")?,
                pos_weight: kwargs
                    .get("pos_weight")
                    .and_then(number)
                    .ok_or("pos_weight: expected a constant number")?,
            },
            "nn.log_poisson_loss" => Op::LogPoisson {
                log_input: slot(kwargs, "log_input")?,
                full: flag(kwargs, "compute_full_loss"),
            },
            "keras.backend.binary_crossentropy" => Op::KerasBce {
                output: slot(kwargs, "output")?,
                from_logits: flag(kwargs, "from_logits"),
            },
            "keras.backend.categorical_crossentropy" => Op::KerasCce {
                output: slot(kwargs, "output")?,
                from_logits: flag(kwargs, "from_logits"),
                axis: axis_of("axis")?,
            },
            "keras.backend.sparse_categorical_crossentropy" => {
                if kwargs.get("ignore_class").is_some_and(|v| !v.is_null()) {
                    return Err("ignore_class is not supported".into());
                }
                if axis_of("axis")? != -1 {
                    return Err("only axis=-1 (classes last) is supported".into());
                }
                Op::SparseCe {
                    logits: slot(kwargs, "output")?,
                    probabilities: !flag(kwargs, "from_logits"),
                }
            }
            "keras.backend.batch_flatten" => Op::BatchFlatten,
            "compat.v1.nn.xw_plus_b" | "compat.v1.nn.relu_layer" => {
                let constant = |k: &str, rank: usize| {
                    kwargs
                        .get(k)
                        .and_then(constant_array)
                        .filter(|t| t.rank() == rank)
                        .map(Arc::new)
                        .ok_or_else(|| {
                            format!(
                                "{k}: expected a constant rank-{rank} array (the exported weights)"
                            )
                        })
                };
                let (w, b) = (constant("weights", 2)?, constant("biases", 1)?);
                if w.shape()[1] != b.shape()[0] {
                    return Err(format!(
                        "weights {:?} and biases {:?} do not match",
                        w.shape(),
                        b.shape()
                    ));
                }
                Op::XwPlusB {
                    w,
                    b,
                    relu: function.ends_with("relu_layer"),
                }
            }
            "signal.mfccs_from_log_mel_spectrograms" => Op::Mfcc,
            "signal.fftshift" | "signal.ifftshift" => Op::FftShift {
                axes: match kwargs.get("axes") {
                    None | Some(Value::Null) => None,
                    v => Some(ints(v).ok_or("axes: expected an integer or a list")?),
                },
                inverse: function == "signal.ifftshift",
            },
            "signal.overlap_and_add" => Op::OverlapAdd {
                step: kwargs
                    .get("frame_step")
                    .and_then(Value::as_u64)
                    .filter(|&s| (1..=1 << 20).contains(&s))
                    .ok_or("frame_step: expected a positive constant integer")?
                    as usize,
            },
            f if f.contains("space_to_batch") || f.contains("batch_to_space") => {
                let to_batch = f.contains("space_to_batch");
                let pads_key = if to_batch { "paddings" } else { "crops" };
                let pads = pairs(kwargs.get(pads_key), pads_key)?;
                let block: Vec<usize> = match (kwargs.get("block_shape"), kwargs.get("block_size"))
                {
                    (Some(b), _) if !b.is_null() => ints(Some(b))
                        .filter(|b| b.iter().all(|&k| (1..=1 << 10).contains(&k)))
                        .map(|b| b.into_iter().map(|k| k as usize).collect())
                        .ok_or("block_shape: expected constant positive sizes")?,
                    // TF 1's 2-D form: one block size.
                    (_, Some(s)) => {
                        let s = s
                            .as_u64()
                            .filter(|&s| (2..=1 << 10).contains(&s))
                            .ok_or("block_size: expected an integer of at least 2")?;
                        vec![s as usize; 2]
                    }
                    _ => return Err("block_shape is missing".into()),
                };
                if block.len() != pads.len() || block.is_empty() {
                    return Err(format!(
                        "{} block sizes and {} rows of {pads_key}: expected one row per block axis",
                        block.len(),
                        pads.len()
                    ));
                }
                if to_batch {
                    Op::SpaceToBatch { block, pads }
                } else {
                    Op::BatchToSpace { block, crops: pads }
                }
            }
            "nn.max_pool_with_argmax" | "compat.v1.nn.max_pool_with_argmax" => {
                match kwargs.get("data_format").and_then(Value::as_str) {
                    None | Some("NHWC") => {}
                    Some(f) => return Err(format!("data_format {f}: only NHWC is supported")),
                }
                Op::MaxPoolArgmax {
                    k: window(kwargs.get("ksize"), "ksize")?,
                    s: window(kwargs.get("strides"), "strides")?,
                    same: same(kwargs.get("padding"))?,
                    with_batch: flag(kwargs, "include_batch_in_index"),
                }
            }
            "nn.dilation2d" | "nn.erosion2d" => {
                match kwargs.get("data_format").and_then(Value::as_str) {
                    None | Some("NHWC") => {}
                    Some(f) => return Err(format!("data_format {f}: only NHWC is supported")),
                }
                let filter = kwargs
                    .get("filters")
                    .or_else(|| kwargs.get("filter"))
                    .and_then(constant_array)
                    .filter(|t| t.rank() == 3 && !t.is_empty())
                    .ok_or("filters: expected a constant [height, width, channels] array")?;
                let four = |k: &str| -> Out<[usize; 2]> {
                    match ints(kwargs.get(k)).as_deref() {
                        None => Ok([1, 1]),
                        Some(&[1, h, w, 1]) if h >= 1 && w >= 1 => Ok([h as usize, w as usize]),
                        _ => Err(format!("{k}: expected [1, height, width, 1]")),
                    }
                };
                Op::Morphology(Arc::new(Morphology {
                    filter,
                    strides: four("strides")?,
                    rates: four(if kwargs.contains_key("dilations") {
                        "dilations"
                    } else {
                        "rates"
                    })?,
                    same: same(kwargs.get("padding"))?,
                    erosion: function == "nn.erosion2d",
                }))
            }
            "image.convert_image_dtype" => match kwargs.get("dtype").and_then(Value::as_str) {
                Some("float16" | "float32" | "float64" | "bfloat16") => Op::ConvertFloat,
                other => {
                    return Err(format!(
                        "dtype {other:?}: only a float dtype is supported (integer images \
                         are scaled by their dtype's range, which the engine's tensors do not keep)"
                    ))
                }
            },
            "dtypes.saturate_cast" | "saturate_cast" => {
                let (lo, hi, trunc) = match kwargs.get("dtype").and_then(Value::as_str) {
                    Some("float16" | "float32" | "float64" | "bfloat16") => {
                        (f32::NEG_INFINITY, f32::INFINITY, false)
                    }
                    Some("uint8") => (0.0, 255.0, true),
                    Some("int8") => (-128.0, 127.0, true),
                    Some("uint16") => (0.0, 65535.0, true),
                    Some("int16") => (-32768.0, 32767.0, true),
                    Some("int32") => (-2147483648.0, 2147483647.0, true),
                    Some("uint32") => (0.0, 4294967295.0, true),
                    Some("int64") => (-9.223372e18, 9.223372e18, true),
                    Some("uint64") => (0.0, 1.8446744e19, true),
                    other => {
                        return Err(format!(
                            "dtype {other:?}: expected a float or integer dtype"
                        ))
                    }
                };
                Op::Saturate { lo, hi, trunc }
            }
            "nn.separable_conv2d" | "compat.v1.nn.separable_conv2d" => {
                match kwargs.get("data_format").and_then(Value::as_str) {
                    None | Some("NHWC") => {}
                    Some(f) => return Err(format!("data_format {f}: only NHWC is supported")),
                }
                let filter = |k: &str| {
                    kwargs
                        .get(k)
                        .and_then(constant_array)
                        .filter(|t| t.rank() == 4 && !t.is_empty())
                        .ok_or_else(|| format!("{k}: expected a constant rank-4 kernel"))
                };
                let (depthwise, pointwise) =
                    (filter("depthwise_filter")?, filter("pointwise_filter")?);
                let (d, p) = (depthwise.shape(), pointwise.shape());
                if p[0] != 1 || p[1] != 1 || p[2] != d[2] * d[3] {
                    return Err(format!(
                        "pointwise_filter {p:?}: expected [1, 1, {}, out] after depthwise_filter {d:?}",
                        d[2] * d[3]
                    ));
                }
                let rates = kwargs
                    .get("dilations")
                    .filter(|v| !v.is_null())
                    .or_else(|| kwargs.get("rate").filter(|v| !v.is_null()));
                Op::Separable(Arc::new(Separable {
                    depthwise,
                    pointwise,
                    strides: window(kwargs.get("strides"), "strides")?,
                    rates: match rates {
                        None => [1, 1],
                        r => window(r, "dilations")?,
                    },
                    same: same(kwargs.get("padding"))?,
                }))
            }
            "image.ssim" => {
                let num = |k: &str, d: f32| match kwargs.get(k) {
                    None | Some(Value::Null) => Ok(d),
                    Some(v) => number(v).ok_or_else(|| format!("{k}: expected a constant number")),
                };
                let size = int_of(kwargs, "filter_size", 11)?;
                if !(1..=64).contains(&size) {
                    return Err(format!("filter_size {size}: expected 1 to 64"));
                }
                let size = size as usize;
                let sigma = f64::from(num("filter_sigma", 1.5)?);
                // TensorFlow's `_fspecial_gauss`: softmax of
                // -((i - c)² + (j - c)²) / 2σ² over the window.
                let c = (size as f64 - 1.0) / 2.0;
                let g: Vec<f64> = (0..size * size)
                    .map(|ij| {
                        let (i, j) = ((ij / size) as f64 - c, (ij % size) as f64 - c);
                        -0.5 * (i * i + j * j) / (sigma * sigma)
                    })
                    .collect();
                let m = g.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = g.iter().map(|v| (v - m).exp()).collect();
                let total: f64 = e.iter().sum();
                Op::Ssim(Arc::new(Ssim {
                    img2: slot(kwargs, "img2")?,
                    max_val: num("max_val", f32::NAN)
                        .ok()
                        .filter(|v| !v.is_nan())
                        .ok_or("max_val: expected a constant number")?,
                    window: e.iter().map(|v| v / total).collect(),
                    size,
                    k1: num("k1", 0.01)?,
                    k2: num("k2", 0.03)?,
                    index_map: flag(kwargs, "return_index_map"),
                }))
            }
            f => return Err(format!("internal: {f} is not a structured function")),
        })
    }

    pub(super) fn per_sample(&self) -> bool {
        match self {
            Op::SoftmaxCe { axis, .. } | Op::KerasCce { axis, .. } => *axis != 0,
            Op::FftShift { axes, .. } => axes
                .as_ref()
                .is_some_and(|a| !a.is_empty() && a.iter().all(|&a| a > 0)),
            Op::SpaceToBatch { .. } | Op::BatchToSpace { .. } => false,
            // The flat indices count the batch.
            Op::MaxPoolArgmax { with_batch, .. } => !with_batch,
            _ => true,
        }
    }

    fn tensor(inputs: &[Tensor], tensor_kwargs: usize, s: Slot) -> Out<&Tensor> {
        let Slot::Kwarg(k) = s;
        let i = inputs.len() - tensor_kwargs + k;
        inputs
            .get(i)
            .ok_or_else(|| "a tensor argument is missing".into())
    }

    fn shape_of(inputs: &[Shape], tensor_kwargs: usize, s: Slot) -> Out<&Shape> {
        let Slot::Kwarg(k) = s;
        let i = inputs.len() - tensor_kwargs + k;
        inputs
            .get(i)
            .ok_or_else(|| "a tensor argument is missing".into())
    }

    pub(super) fn output_shapes(&self, inputs: &[Shape], tensor_kwargs: usize) -> Out<Vec<Shape>> {
        let x = inputs.first().ok_or("needs a tensor argument")?;
        let same_as = |other: Slot| -> Out<Shape> {
            let y = Self::shape_of(inputs, tensor_kwargs, other)?;
            broadcast_symbolic(x, y).ok_or_else(|| {
                format!(
                    "shapes {} and {} do not broadcast",
                    shape_str(x),
                    shape_str(y)
                )
            })
        };
        let without = |s: &Shape, axis: i64| -> Out<Shape> {
            let a = axis_of(axis, s.len(), 0)?;
            let mut o = s.clone();
            o.remove(a);
            Ok(o)
        };
        Ok(vec![match self {
            Op::SoftmaxCe { logits, axis } => without(&same_as(*logits)?, *axis)?,
            Op::KerasCce { output, axis, .. } => without(&same_as(*output)?, *axis)?,
            Op::SparseCe { logits, .. } => {
                let l = Self::shape_of(inputs, tensor_kwargs, *logits)?;
                if l.is_empty() {
                    return Err("the logits need a class axis".into());
                }
                l[..l.len() - 1].to_vec()
            }
            Op::WeightedCe { logits: s, .. }
            | Op::LogPoisson { log_input: s, .. }
            | Op::KerasBce { output: s, .. } => same_as(*s)?,
            Op::BatchFlatten => {
                let rest = x[1..].iter().try_fold(1usize, |a, d| d.map(|d| a * d));
                vec![x.first().copied().flatten(), rest]
            }
            Op::XwPlusB { w, .. } => {
                if x.len() != 2 || x[1].is_some_and(|d| d != w.shape()[0]) {
                    return Err(format!(
                        "x {}: expected [batch, {}]",
                        shape_str(x),
                        w.shape()[0]
                    ));
                }
                vec![x[0], Some(w.shape()[1])]
            }
            Op::Mfcc | Op::FftShift { .. } | Op::ConvertFloat | Op::Saturate { .. } => x.clone(),
            Op::Separable(sp) => {
                let (d, p) = (sp.depthwise.shape(), sp.pointwise.shape());
                if x.len() != 4 || x[3].is_some_and(|c| c != d[2]) {
                    return Err(format!(
                        "input {}: expected [batch, height, width, {}]",
                        shape_str(x),
                        d[2]
                    ));
                }
                let mut o = x.clone();
                for i in 0..2 {
                    o[i + 1] = match x[i + 1] {
                        None => None,
                        Some(n) => {
                            Some(pool_geometry(n, d[i], sp.strides[i], sp.rates[i], sp.same)?.0)
                        }
                    };
                }
                o[3] = Some(p[3]);
                o
            }
            Op::Ssim(m) => {
                if x.len() != 4 {
                    return Err(format!(
                        "img1 {}: expected [batch, height, width, channels]",
                        shape_str(x)
                    ));
                }
                for d in [x[1], x[2]].into_iter().flatten() {
                    if d < m.size {
                        return Err(format!(
                            "an image side of {d} is below filter_size {}",
                            m.size
                        ));
                    }
                }
                if m.index_map {
                    vec![
                        x[0],
                        x[1].map(|h| h + 1 - m.size),
                        x[2].map(|w| w + 1 - m.size),
                    ]
                } else {
                    vec![x[0]]
                }
            }
            Op::OverlapAdd { step } => {
                if x.len() < 2 {
                    return Err("expected [..., frames, frame_length]".into());
                }
                let n = x.len();
                let len = match (x[n - 2], x[n - 1]) {
                    (Some(f), Some(l)) => Some(f.saturating_sub(1) * step + l),
                    _ => None,
                };
                let mut o = x[..n - 2].to_vec();
                o.push(len);
                o
            }
            Op::SpaceToBatch { block, pads } => {
                let m = block.len();
                if x.len() < m + 1 {
                    return Err(format!("{} block axes need rank {} or more", m, m + 1));
                }
                let p: usize = block.iter().product();
                let mut o = x.clone();
                o[0] = x[0].map(|b| b * p);
                for j in 0..m {
                    o[j + 1] = match x[j + 1] {
                        None => None,
                        Some(d) => {
                            let padded = d + pads[j][0] + pads[j][1];
                            if !padded.is_multiple_of(block[j]) {
                                return Err(format!(
                                    "axis {}: padded size {padded} is not a multiple of the block size {}",
                                    j + 1,
                                    block[j]
                                ));
                            }
                            Some(padded / block[j])
                        }
                    };
                }
                o
            }
            Op::BatchToSpace { block, crops } => {
                let m = block.len();
                if x.len() < m + 1 {
                    return Err(format!("{} block axes need rank {} or more", m, m + 1));
                }
                let p: usize = block.iter().product();
                let mut o = x.clone();
                o[0] = x[0].map(|b| b / p);
                for j in 0..m {
                    o[j + 1] = match x[j + 1] {
                        None => None,
                        Some(d) => Some(
                            (d * block[j])
                                .checked_sub(crops[j][0] + crops[j][1])
                                .ok_or_else(|| {
                                    format!("axis {}: crops larger than the size", j + 1)
                                })?,
                        ),
                    };
                }
                o
            }
            Op::MaxPoolArgmax { k, s, same, .. } => {
                if x.len() != 4 {
                    return Err(format!(
                        "input {}: expected [batch, height, width, channels]",
                        shape_str(x)
                    ));
                }
                let mut o = x.clone();
                for i in 0..2 {
                    o[i + 1] = match x[i + 1] {
                        None => None,
                        Some(n) => Some(pool_geometry(n, k[i], s[i], 1, *same)?.0),
                    };
                }
                return Ok(vec![o.clone(), o]);
            }
            Op::Morphology(m) => {
                if x.len() != 4 || x[3].is_some_and(|c| c != m.filter.shape()[2]) {
                    return Err(format!(
                        "input {}: expected [batch, height, width, {}]",
                        shape_str(x),
                        m.filter.shape()[2]
                    ));
                }
                let mut o = x.clone();
                for i in 0..2 {
                    o[i + 1] = match x[i + 1] {
                        None => None,
                        Some(n) => Some(
                            pool_geometry(
                                n,
                                m.filter.shape()[i],
                                m.strides[i],
                                m.rates[i],
                                m.same,
                            )?
                            .0,
                        ),
                    };
                }
                o
            }
        }])
    }

    pub(super) fn call(&self, inputs: &[Tensor], tensor_kwargs: usize) -> Out<Vec<Tensor>> {
        let x = inputs.first().ok_or("needs a tensor argument")?;
        let xs = f32s(x);
        let shape = x.shape().to_vec();
        let tensor = |s: Slot| Self::tensor(inputs, tensor_kwargs, s);
        let make =
            |shape: Vec<usize>, v: Vec<f32>| Tensor::from_f32(shape, v).map_err(|e| e.to_string());
        // Two operands broadcast together, then `f` element by element.
        let zip = |other: Slot, f: &dyn Fn(f32, f32) -> f32| -> Out<Vec<Tensor>> {
            let y = tensor(other)?;
            let (s, v) =
                broadcast_zip((&xs, &shape), (&f32s(y), y.shape()), f).ok_or_else(|| {
                    format!("shapes {:?} and {:?} do not broadcast", shape, y.shape())
                })?;
            Ok(vec![make(s, v)?])
        };
        // Rows along `axis` (moved last): `f(labels row, scores row)`.
        let along =
            |other: Slot, axis: i64, f: &dyn Fn(&[f32], &[f32]) -> f32| -> Out<Vec<Tensor>> {
                let y = tensor(other)?;
                let ys = f32s(y);
                let (s, a) =
                    broadcast_zip((&xs, &shape), (&ys, y.shape()), |a, _| a).ok_or_else(|| {
                        format!("shapes {:?} and {:?} do not broadcast", shape, y.shape())
                    })?;
                let (_, b) =
                    broadcast_zip((&xs, &shape), (&ys, y.shape()), |_, b| b).expect("broadcasts");
                let ax = axis_of(axis, s.len(), 0)?;
                let n = s[ax];
                let inner: usize = s[ax + 1..].iter().product();
                let outer: usize = s[..ax].iter().product();
                let mut out = Vec::with_capacity(outer * inner);
                let (mut ra, mut rb) = (vec![0f32; n], vec![0f32; n]);
                for o in 0..outer {
                    for i in 0..inner {
                        for j in 0..n {
                            let at = (o * n + j) * inner + i;
                            ra[j] = a[at];
                            rb[j] = b[at];
                        }
                        out.push(f(&ra, &rb));
                    }
                }
                let mut os = s.clone();
                os.remove(ax);
                Ok(vec![make(os, out)?])
            };
        match self {
            Op::SoftmaxCe { logits, axis } => {
                along(*logits, *axis, &losses::softmax_ce_with_logits)
            }
            Op::KerasCce {
                output,
                from_logits: true,
                axis,
            } => Op::SoftmaxCe {
                logits: *output,
                axis: *axis,
            }
            .call(inputs, tensor_kwargs),
            Op::KerasCce { output, axis, .. } => {
                along(*output, *axis, &losses::categorical_ce_from_probs)
            }
            Op::SparseCe {
                logits,
                probabilities,
            } => {
                let l = tensor(*logits)?;
                let ls = f32s(l);
                let n = *l.shape().last().ok_or("the logits need a class axis")?;
                let rows = ls.len().checked_div(n).unwrap_or(0);
                if xs.len() != rows {
                    return Err(format!(
                        "labels {:?} and scores {:?}: expected one label per row of scores",
                        shape,
                        l.shape()
                    ));
                }
                let out = (0..rows)
                    .map(|r| losses::sparse_ce(&ls[r * n..(r + 1) * n], xs[r], *probabilities))
                    .collect();
                Ok(vec![make(l.shape()[..l.shape().len() - 1].to_vec(), out)?])
            }
            Op::WeightedCe { logits, pos_weight } => {
                let w = *pos_weight;
                zip(*logits, &|z, x| {
                    (1.0 - z) * x
                        + (1.0 + (w - 1.0) * z) * ((-x.abs()).exp().ln_1p() + (-x).max(0.0))
                })
            }
            Op::LogPoisson { log_input, full } => {
                let full = *full;
                zip(*log_input, &move |t, l| {
                    let loss = l.exp() - l * t;
                    if full && !(0.0..=1.0).contains(&t) {
                        let two_pi = 2.0 * std::f32::consts::PI;
                        loss + (t * t.ln() - t + 0.5 * (two_pi * t).ln())
                    } else {
                        loss
                    }
                })
            }
            Op::KerasBce {
                output,
                from_logits,
            } => {
                if *from_logits {
                    zip(*output, &losses::sigmoid_ce_with_logits)
                } else {
                    zip(*output, &|t, o| {
                        let o = o.clamp(KERAS_EPSILON, 1.0 - KERAS_EPSILON);
                        -(t * (o + KERAS_EPSILON).ln() + (1.0 - t) * (1.0 - o + KERAS_EPSILON).ln())
                    })
                }
            }
            Op::BatchFlatten => {
                let b = shape.first().copied().unwrap_or(1);
                let rest = xs.len().checked_div(b).unwrap_or(0);
                Ok(vec![make(vec![b, rest], xs.into_owned())?])
            }
            Op::XwPlusB { w, b, relu } => {
                let (n_in, n_out) = (w.shape()[0], w.shape()[1]);
                if shape.len() != 2 || shape[1] != n_in {
                    return Err(format!("x {shape:?}: expected [batch, {n_in}]"));
                }
                let (ws, bs) = (f32s(w), f32s(b));
                let mut out = Vec::with_capacity(shape[0] * n_out);
                for r in 0..shape[0] {
                    let row = &xs[r * n_in..(r + 1) * n_in];
                    for o in 0..n_out {
                        let mut acc = 0f32;
                        for (i, &v) in row.iter().enumerate() {
                            acc += v * ws[i * n_out + o];
                        }
                        let v = acc + bs[o];
                        out.push(if *relu { v.max(0.0) } else { v });
                    }
                }
                Ok(vec![make(vec![shape[0], n_out], out)?])
            }
            Op::Mfcc => {
                let n = *shape.last().ok_or("expected [..., num_mel_bins]")?;
                if n == 0 {
                    return Err("num_mel_bins is 0".into());
                }
                // 2 Σ x[i] cos(π k (2i + 1) / 2N), scaled by 1 / √(2N).
                let scale = 2.0 / (2.0 * n as f64).sqrt();
                let cos: Vec<f64> = (0..n * n)
                    .map(|ki| {
                        let (k, i) = (ki / n, ki % n);
                        (std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2 * n) as f64)
                            .cos()
                    })
                    .collect();
                let mut out = Vec::with_capacity(xs.len());
                for row in xs.chunks(n) {
                    for k in 0..n {
                        let s: f64 = row
                            .iter()
                            .enumerate()
                            .map(|(i, &v)| f64::from(v) * cos[k * n + i])
                            .sum();
                        out.push((s * scale) as f32);
                    }
                }
                Ok(vec![make(shape, out)?])
            }
            Op::FftShift { axes, inverse } => {
                let rank = shape.len();
                let axes: Vec<usize> = match axes {
                    None => (0..rank).collect(),
                    Some(a) => a.iter().map(|&a| axis_of(a, rank, 0)).collect::<Out<_>>()?,
                };
                let shifts: Vec<i64> = axes
                    .iter()
                    .map(|&a| {
                        let h = (shape[a] / 2) as i64;
                        if *inverse {
                            -h
                        } else {
                            h
                        }
                    })
                    .collect();
                let strides = row_major_strides(&shape);
                let mut out = vec![0f32; xs.len()];
                for (i, &v) in xs.iter().enumerate() {
                    let mut j = i;
                    for (&a, &s) in axes.iter().zip(&shifts) {
                        let n = shape[a] as i64;
                        let c = (i / strides[a]) % shape[a];
                        let to = (c as i64 + s).rem_euclid(n) as usize;
                        j = j - c * strides[a] + to * strides[a];
                    }
                    out[j] = v;
                }
                Ok(vec![make(shape, out)?])
            }
            Op::OverlapAdd { step } => {
                let r = shape.len();
                if r < 2 {
                    return Err("expected [..., frames, frame_length]".into());
                }
                let (frames, len) = (shape[r - 2], shape[r - 1]);
                let out_len = if frames == 0 {
                    0
                } else {
                    (frames - 1) * step + len
                };
                let outer: usize = shape[..r - 2].iter().product();
                let mut out = vec![0f32; outer * out_len];
                for o in 0..outer {
                    for f in 0..frames {
                        for i in 0..len {
                            out[o * out_len + f * step + i] += xs[(o * frames + f) * len + i];
                        }
                    }
                }
                let mut os = shape[..r - 2].to_vec();
                os.push(out_len);
                Ok(vec![make(os, out)?])
            }
            Op::SpaceToBatch { block, pads } => space_batch(&xs, &shape, block, pads, true),
            Op::BatchToSpace { block, crops } => space_batch(&xs, &shape, block, crops, false),
            Op::MaxPoolArgmax {
                k,
                s,
                same,
                with_batch,
            } => {
                let [b, h, w, c] = shape[..] else {
                    return Err(format!(
                        "input {shape:?}: expected [batch, height, width, channels]"
                    ));
                };
                let (oh, pt) = pool_geometry(h, k[0], s[0], 1, *same)?;
                let (ow, pl) = pool_geometry(w, k[1], s[1], 1, *same)?;
                let mut vals = Vec::with_capacity(b * oh * ow * c);
                let mut idx = Vec::with_capacity(b * oh * ow * c);
                for n in 0..b {
                    for y in 0..oh {
                        for xo in 0..ow {
                            for ch in 0..c {
                                let (mut best, mut at) = (f32::NEG_INFINITY, None);
                                for dy in 0..k[0] {
                                    let iy = (y * s[0] + dy) as i64 - pt as i64;
                                    if iy < 0 || iy >= h as i64 {
                                        continue;
                                    }
                                    for dx in 0..k[1] {
                                        let ix = (xo * s[1] + dx) as i64 - pl as i64;
                                        if ix < 0 || ix >= w as i64 {
                                            continue;
                                        }
                                        let flat = ((iy as usize) * w + ix as usize) * c + ch;
                                        let v = xs[n * h * w * c + flat];
                                        if at.is_none() || v > best {
                                            best = v;
                                            at = Some(flat);
                                        }
                                    }
                                }
                                let flat = at.unwrap_or(0);
                                vals.push(best);
                                idx.push(if *with_batch {
                                    n * h * w * c + flat
                                } else {
                                    flat
                                } as f32);
                            }
                        }
                    }
                }
                let os = vec![b, oh, ow, c];
                Ok(vec![make(os.clone(), vals)?, make(os, idx)?])
            }
            Op::Morphology(m) => {
                let [b, h, w, c] = shape[..] else {
                    return Err(format!(
                        "input {shape:?}: expected [batch, height, width, channels]"
                    ));
                };
                let [kh, kw, kc] = m.filter.shape()[..] else {
                    return Err("the filter is not rank 3".into());
                };
                if kc != c {
                    return Err(format!("input has {c} channels, the filter {kc}"));
                }
                let f = f32s(&m.filter);
                let (oh, pt) = pool_geometry(h, kh, m.strides[0], m.rates[0], m.same)?;
                let (ow, pl) = pool_geometry(w, kw, m.strides[1], m.rates[1], m.same)?;
                let mut out = Vec::with_capacity(b * oh * ow * c);
                for n in 0..b {
                    for y in 0..oh {
                        for xo in 0..ow {
                            for ch in 0..c {
                                // Erosion: −dilation(−x) by the filter reflected.
                                let mut best = f32::MIN;
                                for dy in 0..kh {
                                    let iy =
                                        (y * m.strides[0] + dy * m.rates[0]) as i64 - pt as i64;
                                    if iy < 0 || iy >= h as i64 {
                                        continue;
                                    }
                                    for dx in 0..kw {
                                        let ix = (xo * m.strides[1] + dx * m.rates[1]) as i64
                                            - pl as i64;
                                        if ix < 0 || ix >= w as i64 {
                                            continue;
                                        }
                                        let v =
                                            xs[((n * h + iy as usize) * w + ix as usize) * c + ch];
                                        let v = if m.erosion {
                                            -v + f[((kh - 1 - dy) * kw + (kw - 1 - dx)) * c + ch]
                                        } else {
                                            v + f[(dy * kw + dx) * c + ch]
                                        };
                                        best = best.max(v);
                                    }
                                }
                                out.push(if m.erosion { -best } else { best });
                            }
                        }
                    }
                }
                Ok(vec![make(vec![b, oh, ow, c], out)?])
            }
            Op::ConvertFloat => {
                if x.dtype() != "float32" {
                    return Err(format!(
                        "an {} image: the range of its integer dtype (uint8, int32, …) is not known here",
                        x.dtype()
                    ));
                }
                Ok(vec![x.clone()])
            }
            Op::Saturate { lo, hi, trunc } => {
                let out = xs
                    .iter()
                    .map(|&v| {
                        let v = v.clamp(*lo, *hi);
                        if *trunc {
                            v.trunc()
                        } else {
                            v
                        }
                    })
                    .collect();
                Ok(vec![make(shape, out)?])
            }
            Op::Separable(sp) => {
                let [b, h, w, c] = shape[..] else {
                    return Err(format!(
                        "input {shape:?}: expected [batch, height, width, channels]"
                    ));
                };
                let (d, p) = (sp.depthwise.shape(), sp.pointwise.shape());
                let (kh, kw, mult, out_c) = (d[0], d[1], d[3], p[3]);
                if d[2] != c {
                    return Err(format!("input has {c} channels, depthwise_filter {}", d[2]));
                }
                let (df, pf) = (f32s(&sp.depthwise), f32s(&sp.pointwise));
                let (oh, pt) = pool_geometry(h, kh, sp.strides[0], sp.rates[0], sp.same)?;
                let (ow, pl) = pool_geometry(w, kw, sp.strides[1], sp.rates[1], sp.same)?;
                let mid = c * mult;
                let mut dw = vec![0f32; mid];
                let mut out = Vec::with_capacity(b * oh * ow * out_c);
                for n in 0..b {
                    for y in 0..oh {
                        for xo in 0..ow {
                            dw.iter_mut().for_each(|v| *v = 0.0);
                            for dy in 0..kh {
                                let iy = (y * sp.strides[0] + dy * sp.rates[0]) as i64 - pt as i64;
                                if iy < 0 || iy >= h as i64 {
                                    continue;
                                }
                                for dx in 0..kw {
                                    let ix =
                                        (xo * sp.strides[1] + dx * sp.rates[1]) as i64 - pl as i64;
                                    if ix < 0 || ix >= w as i64 {
                                        continue;
                                    }
                                    let at = ((n * h + iy as usize) * w + ix as usize) * c;
                                    for ch in 0..c {
                                        let v = xs[at + ch];
                                        for m in 0..mult {
                                            dw[ch * mult + m] +=
                                                v * df[((dy * kw + dx) * c + ch) * mult + m];
                                        }
                                    }
                                }
                            }
                            for o in 0..out_c {
                                let mut acc = 0f32;
                                for (i, &v) in dw.iter().enumerate() {
                                    acc += v * pf[i * out_c + o];
                                }
                                out.push(acc);
                            }
                        }
                    }
                }
                Ok(vec![make(vec![b, oh, ow, out_c], out)?])
            }
            Op::Ssim(m) => {
                let y = tensor(m.img2)?;
                if y.shape() != shape.as_slice() {
                    return Err(format!(
                        "img1 {:?} and img2 {:?}: expected one shape",
                        shape,
                        y.shape()
                    ));
                }
                let [b, h, w, c] = shape[..] else {
                    return Err(format!(
                        "img1 {shape:?}: expected [batch, height, width, channels]"
                    ));
                };
                if h < m.size || w < m.size {
                    return Err(format!(
                        "images of {h}x{w} are smaller than filter_size {}",
                        m.size
                    ));
                }
                let ys = f32s(y);
                let (oh, ow, k) = (h + 1 - m.size, w + 1 - m.size, m.size);
                let c1 = (f64::from(m.k1) * f64::from(m.max_val)).powi(2);
                let c2 = (f64::from(m.k2) * f64::from(m.max_val)).powi(2);
                let mut out = Vec::new();
                for n in 0..b {
                    let mut total = 0f64;
                    for oy in 0..oh {
                        for ox in 0..ow {
                            let mut per_pixel = 0f64;
                            for ch in 0..c {
                                let (mut mx, mut my, mut mxy, mut mq) = (0f64, 0f64, 0f64, 0f64);
                                for dy in 0..k {
                                    for dx in 0..k {
                                        let g = m.window[dy * k + dx];
                                        let at = ((n * h + oy + dy) * w + ox + dx) * c + ch;
                                        let (a, bv) = (f64::from(xs[at]), f64::from(ys[at]));
                                        mx += g * a;
                                        my += g * bv;
                                        mxy += g * a * bv;
                                        mq += g * (a * a + bv * bv);
                                    }
                                }
                                let num0 = 2.0 * mx * my;
                                let den0 = mx * mx + my * my;
                                let lum = (num0 + c1) / (den0 + c1);
                                let cs = (2.0 * mxy - num0 + c2) / (mq - den0 + c2);
                                per_pixel += lum * cs;
                            }
                            let v = per_pixel / c as f64;
                            if m.index_map {
                                out.push(v as f32);
                            }
                            total += v;
                        }
                    }
                    if !m.index_map {
                        out.push((total / (oh * ow) as f64) as f32);
                    }
                }
                let os = if m.index_map {
                    vec![b, oh, ow]
                } else {
                    vec![b]
                };
                Ok(vec![make(os, out)?])
            }
        }
    }
}

/// Output size and padding before for a window of `k` taps `rate` apart
/// moved by `stride` over `n` (TensorFlow's SAME / VALID).
fn pool_geometry(
    n: usize,
    k: usize,
    stride: usize,
    rate: usize,
    same: bool,
) -> Out<(usize, usize)> {
    let eff = (k - 1) * rate + 1;
    if same {
        let out = n.div_ceil(stride);
        let total = ((out.max(1) - 1) * stride + eff).saturating_sub(n);
        Ok((out, total / 2))
    } else {
        if n < eff {
            return Err(format!(
                "a window of {eff} is larger than the size {n} (VALID)"
            ));
        }
        Ok(((n - eff) / stride + 1, 0))
    }
}

fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// `space_to_batch_nd` (`to_batch`: pads, then block offsets become batch
/// blocks, the offset slowest) and its inverse `batch_to_space_nd` (then
/// `pads` are the crops).
fn space_batch(
    xs: &[f32],
    shape: &[usize],
    block: &[usize],
    pads: &[[usize; 2]],
    to_batch: bool,
) -> Out<Vec<Tensor>> {
    let m = block.len();
    if shape.len() < m + 1 {
        return Err(format!("{m} block axes need rank {} or more", m + 1));
    }
    let p: usize = block.iter().product();
    let inner: usize = shape[m + 1..].iter().product();
    // Spatial sizes of the space side (padded, before cropping) and of the
    // batch side.
    let (batch, space, blocked): (usize, Vec<usize>, Vec<usize>) = if to_batch {
        let space: Vec<usize> = (0..m)
            .map(|j| shape[j + 1] + pads[j][0] + pads[j][1])
            .collect();
        for j in 0..m {
            if !space[j].is_multiple_of(block[j]) {
                return Err(format!(
                    "axis {}: padded size {} is not a multiple of the block size {}",
                    j + 1,
                    space[j],
                    block[j]
                ));
            }
        }
        let blocked = (0..m).map(|j| space[j] / block[j]).collect();
        (shape[0], space, blocked)
    } else {
        if !shape[0].is_multiple_of(p) {
            return Err(format!(
                "batch {} is not a multiple of the block count {p}",
                shape[0]
            ));
        }
        let space: Vec<usize> = (0..m).map(|j| shape[j + 1] * block[j]).collect();
        for j in 0..m {
            if pads[j][0] + pads[j][1] > space[j] {
                return Err(format!("axis {}: crops larger than the size", j + 1));
            }
        }
        (shape[0] / p, space, shape[1..=m].to_vec())
    };
    // The unpadded / cropped sizes.
    let plain: Vec<usize> = (0..m).map(|j| space[j] - pads[j][0] - pads[j][1]).collect();
    let (out_shape, n_out) = if to_batch {
        let mut s = vec![batch * p];
        s.extend(&blocked);
        s.extend(&shape[m + 1..]);
        let n = s.iter().product();
        (s, n)
    } else {
        let mut s = vec![batch];
        s.extend(&plain);
        s.extend(&shape[m + 1..]);
        let n = s.iter().product();
        (s, n)
    };
    let mut out = vec![0f32; n_out];
    let blocked_n: usize = blocked.iter().product();
    let plain_strides = row_major_strides(&plain);
    // Walk the batch side: (offset block, sample, blocked coords).
    let mut coords = vec![0usize; m];
    let mut offs = vec![0usize; m];
    for blk in 0..p {
        let mut r = blk;
        for j in (0..m).rev() {
            offs[j] = r % block[j];
            r /= block[j];
        }
        for b in 0..batch {
            for cell in 0..blocked_n {
                let mut r = cell;
                for j in (0..m).rev() {
                    coords[j] = r % blocked[j];
                    r /= blocked[j];
                }
                // The position in the plain (unpadded / cropped) space.
                let mut at = Some(0usize);
                for j in 0..m {
                    let q = (coords[j] * block[j] + offs[j]) as i64 - pads[j][0] as i64;
                    at = match at {
                        Some(a) if q >= 0 && (q as usize) < plain[j] => {
                            Some(a + q as usize * plain_strides[j])
                        }
                        _ => None,
                    };
                }
                let batch_side = ((blk * batch + b) * blocked_n + cell) * inner;
                if let Some(a) = at {
                    let space_side = (b * plain.iter().product::<usize>() + a) * inner;
                    if to_batch {
                        out[batch_side..batch_side + inner]
                            .copy_from_slice(&xs[space_side..space_side + inner]);
                    } else {
                        out[space_side..space_side + inner]
                            .copy_from_slice(&xs[batch_side..batch_side + inner]);
                    }
                }
            }
        }
    }
    Ok(vec![
        Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())?
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_to_batch_and_back_follow_tensorflow() {
        // TensorFlow 2.21: x = np.arange(12.).reshape(1, 2, 3, 2);
        // tf.space_to_batch_nd(x, [2, 1], [[1, 1], [0, 0]]) is, flat,
        // [0]*6 + [6..12) + [0..6) + [0]*6 (shape [2, 2, 3, 2]).
        let xs: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let out = space_batch(&xs, &[1, 2, 3, 2], &[2, 1], &[[1, 1], [0, 0]], true).unwrap();
        assert_eq!(out[0].shape(), &[2, 2, 3, 2]);
        let mut want = vec![0f32; 6];
        want.extend((6..12).map(|v| v as f32));
        want.extend((0..6).map(|v| v as f32));
        want.extend([0f32; 6]);
        assert_eq!(f32s(&out[0]).to_vec(), want);
        // y = np.arange(8.).reshape(4, 1, 2, 1);
        // tf.batch_to_space(y, [2, 2], [[0, 1], [1, 0]]) == [[[[2], [1], [3]]]].
        let ys: Vec<f32> = (0..8).map(|v| v as f32).collect();
        let out = space_batch(&ys, &[4, 1, 2, 1], &[2, 2], &[[0, 1], [1, 0]], false).unwrap();
        assert_eq!(out[0].shape(), &[1, 1, 3, 1]);
        assert_eq!(f32s(&out[0]).to_vec(), vec![2.0, 1.0, 3.0]);
    }

    #[test]
    fn functions_no_model_can_compute_are_refused_with_the_reason() {
        assert!(refusal("nn.dropout").unwrap().contains("random"));
        assert!(refusal("random.uniform").unwrap().contains("random"));
        assert!(refusal("image.stateless_random_flip_left_right").is_some());
        assert!(refusal("strings.length").unwrap().contains("string"));
        assert!(refusal("unique").unwrap().contains("depends on the values"));
        assert!(refusal("signal.rfft").unwrap().contains("complex"));
        assert_eq!(refusal("math.add"), None);
        let c: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"function": "nn.dropout"})).unwrap();
        let f = super::super::unsupported_function("TFOpLambda", &c).unwrap();
        assert!(f.starts_with("nn.dropout (it draws random numbers"), "{f}");
    }
}

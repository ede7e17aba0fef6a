//! Counting, quantiles, diagonals and segment reductions: the Keras 3
//! operations `ops.count_nonzero`, `ops.median`, `ops.quantile`,
//! `ops.diagonal`, `ops.diff` (`diff.rs`), `ops.fft` / `fft2` / `ifft2` /
//! `rfft` (`fft.rs`), `ops.stft` / `istft` (`stft.rs`), `ops.nn.moments`, `ops.segment_sum` / `segment_max` / `segment_min` /
//! `segment_prod`, and the tf_keras functions with the same math
//! (`tf.math.count_nonzero`, `tf.linalg.diag_part`,
//! `tf.math.unsorted_segment_*`, `tf.math.segment_*`; `tf.linalg.diag` /
//! `set_diag` / `normalize`: `linalg_diag.rs`; `tf.gather_nd`:
//! `gather_nd.rs`; convolutions by a constant kernel: `const_conv.rs`), as
//! Keras's
//! TensorFlow backend computes them:
//!
//! - count_nonzero: values other than 0 (NaN counts) over `axis`, int32;
//! - moments: the mean, and the mean of squared differences from it;
//! - quantile: the reduced axes flattened and sorted; `(d - 1) · q` (in
//!   float64) floored (`lower`), ceiled (`higher`), rounded half to even
//!   (`nearest`), both averaged (`midpoint`) or interpolated (`linear`,
//!   tfp's formula, the fraction rounded to float32); a row holding a NaN
//!   gives NaN; a 1-D `q` puts its axis first; median is `q = 0.5`,
//!   linear. Keras 3.15's `Quantile` operation drops its `method` when a
//!   saved graph runs (linear whatever the config says), and so does the
//!   engine for files of Keras 3 up to 3.15;
//! - diagonal: numpy's (`axis1`, `axis2` removed, the diagonal appended;
//!   an offset past the matrix gives an empty diagonal); `diag_part(k)` the
//!   same over the last two axes;
//! - segments: rows of `data` (its leading axes, as many as `segment_ids`
//!   has) added, maxed, … into `num_segments` rows. Unsorted: a negative
//!   id drops its row, an id past `num_segments` is an error (TensorFlow's
//!   CPU kernels), an empty segment is 0 (sum, mean), the lowest / highest
//!   float32 (max / min) or 1 (prod); mean divides by the count, sqrt_n by
//!   its square root. Sorted: ids rising from 0, `last + 1` segments, an
//!   empty one 0 (1 for prod);
//! - boolean_mask (`tf.boolean_mask(x, mask, axis)`): the values of `x`
//!   where `mask` (covering axes `axis..axis + rank(mask)`) is true, those
//!   axes flattened into one. A constant mask gives a known size; a tensor
//!   mask (with the batch axis: `axis` 0) one read at run time, at most
//!   the input's size.
//!
//! Sizes otherwise come from the file (never from the data):
//! `num_segments` must be a constant and is capped.

use super::super::common::*;
use super::super::tf_ops::axis_of;
use super::reduce::reduce_layout;
use super::segment::{
    boolean_mask, bools_as_ints, const_ids, mask_axes, segment_call, segment_count, segment_rows,
    Ids, SegmentHow, MAX_SEGMENTS,
};
use super::{int_list, move_perm};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

/// How `quantile` picks between the two values around `(d - 1) · q`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Method {
    Linear,
    Lower,
    Higher,
    Midpoint,
    Nearest,
}

#[derive(Debug, Clone)]
pub(crate) enum StatOp {
    CountNonzero {
        axes: Option<Vec<i64>>,
        keepdims: bool,
    },
    Quantile {
        q: Vec<f64>,
        /// A 1-D `q` (its axis first in the output), not a scalar.
        vector: bool,
        axes: Option<Vec<i64>>,
        method: Method,
        keepdims: bool,
    },
    Diagonal {
        offset: i64,
        axis1: i64,
        axis2: i64,
    },
    /// The sums of this [`StatOp::Diagonal`].
    Trace(Box<StatOp>),
    Segment {
        how: SegmentHow,
        ids: Ids,
        /// Unsorted: the number of segments; sorted: `None` (the last id
        /// + 1).
        segments: Option<usize>,
    },
    /// `tf.boolean_mask`: the mask (non-zero: true) as [`Ids`] (constant
    /// or the second input) over axes `axis..`.
    BooleanMask {
        mask: Ids,
        axis: i64,
    },
    /// `ops.nn.moments`: the mean and the (population) variance over
    /// `axes`, two outputs.
    Moments {
        axes: Option<Vec<i64>>,
        keepdims: bool,
    },
    /// `tf.linalg.diag`, `tf.linalg.set_diag` (the diagonal: the second
    /// input) and `tf.linalg.normalize` (two outputs)
    /// (`keras3_ops/linalg_diag.rs`).
    MatrixDiag,
    SetDiag,
    /// `tf.gather_nd` by a tensor of indices (the second input) or by
    /// constant ones (`indices`) (`keras3_ops/gather_nd.rs`).
    GatherNd {
        batch_dims: usize,
        indices: Option<std::sync::Arc<Tensor>>,
    },
    Normalize {
        axes: Option<Vec<i64>>,
    },
    /// A convolution by a constant kernel (`keras3_ops/const_conv.rs`).
    ConstConv(super::const_conv::ConstConv),
    /// `ops.image.affine_transform` (`keras3_ops/affine_transform.rs`).
    AffineTransform(super::affine_transform::AffineTransform),
    /// `ops.image.gaussian_blur` (`keras3_ops/gaussian_blur.rs`).
    GaussianBlur(super::gaussian_blur::GaussianBlur),
    /// `ops.diff` (`keras3_ops/diff.rs`).
    Diff {
        n: usize,
        axis: i64,
    },
    /// `ops.fft` / `fft2` / `ifft2` / `rfft` (`keras3_ops/fft.rs`).
    Fft(super::fft::Fft),
    /// `ops.stft` and `ops.istft` (`keras3_ops/stft.rs`).
    Stft(super::stft::Stft),
    Istft(super::stft::Istft),
}

type Out<T> = std::result::Result<T, String>;

fn method(name: &str) -> Out<Method> {
    Ok(match name {
        "linear" => Method::Linear,
        "lower" => Method::Lower,
        "higher" => Method::Higher,
        "midpoint" => Method::Midpoint,
        "nearest" => Method::Nearest,
        other => {
            return Err(format!(
                "method {other:?}: expected linear, lower, higher, midpoint or nearest"
            ))
        }
    })
}

/// `q` (a number or a 1-D list / array of numbers in [0, 1]) and whether it
/// is 1-D.
fn quantiles(v: Option<&Value>) -> Out<(Vec<f64>, bool)> {
    let v = v.ok_or("q is missing")?;
    let v = v.pointer("/config/value").unwrap_or(v);
    let (q, vector) = match v {
        Value::Array(a) => (
            a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>(),
            true,
        ),
        v => (v.as_f64().map(|q| vec![q]), false),
    };
    let q = q
        .filter(|q| !q.is_empty() && q.len() <= MAX_SEGMENTS)
        .ok_or_else(|| format!("q: expected a number or a list of numbers, got {v}"))?;
    if let Some(bad) = q.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        return Err(format!("q = {bad} is outside [0, 1]"));
    }
    Ok((q, vector))
}

impl StatOp {
    /// The Keras 3 operation `op` from its config and positional `args`
    /// (`None`: not one of these).
    pub(crate) fn from_config(
        op: &str,
        c: &ConfigReader<'_>,
        args: &[Value],
    ) -> Option<Result<StatOp>> {
        if let Some(conv) = super::const_conv::ConstConv::from_keras3(op, c, args) {
            return Some(conv.map(StatOp::ConstConv).map_err(|e| c.err("args", e)));
        }
        if let Some(t) = super::affine_transform::AffineTransform::from_keras3(op, c, args) {
            return Some(
                t.map(StatOp::AffineTransform)
                    .map_err(|e| c.err("config", e)),
            );
        }
        if let Some(blur) = super::gaussian_blur::GaussianBlur::from_keras3(op, c) {
            return Some(
                blur.map(StatOp::GaussianBlur)
                    .map_err(|e| c.err("config", e)),
            );
        }
        if let Some(stft) = super::stft::Stft::from_class(op, c) {
            return Some(stft.map(StatOp::Stft));
        }
        if let Some(istft) = super::stft::Istft::from_class(op, c) {
            return Some(istft.map(StatOp::Istft));
        }
        let fft_length = c.get("fft_length").and_then(Value::as_i64);
        if let Some(fft) = super::fft::Fft::from_class(op, fft_length) {
            return Some(fft.map(StatOp::Fft).map_err(|e| c.err("fft_length", e)));
        }
        let how = match op {
            "SegmentSum" => Some(SegmentHow::Sum),
            "SegmentMax" => Some(SegmentHow::Max),
            "SegmentMin" => Some(SegmentHow::Min),
            "SegmentProd" => Some(SegmentHow::Prod),
            "CountNonzero" | "Median" | "Quantile" | "Percentile" | "Diagonal" | "Trace"
            | "Diff" | "Moments" => None,
            _ => return None,
        };
        let axes = |c: &ConfigReader<'_>| -> Result<Option<Vec<i64>>> {
            match c.get("axis") {
                None | Some(Value::Null) => Ok(None),
                v => int_list(v).map(Some).ok_or_else(|| {
                    c.err("axis", "expected an integer, a list of integers or null")
                }),
            }
        };
        Some((|| {
            Ok(match op {
                "CountNonzero" => StatOp::CountNonzero {
                    axes: axes(c)?,
                    keepdims: false,
                },
                "Median" => StatOp::Quantile {
                    q: vec![0.5],
                    vector: false,
                    axes: axes(c)?,
                    method: Method::Linear,
                    keepdims: c.bool_or("keepdims", false)?,
                },
                "Quantile" => {
                    let (q, vector) = quantiles(args.get(1)).map_err(|e| c.err("args", e))?;
                    let method =
                        method(c.str_or("method", "linear")?).map_err(|e| c.err("method", e))?;
                    StatOp::Quantile {
                        q,
                        vector,
                        axes: axes(c)?,
                        // Keras 3.15 drops `method` when a saved graph runs
                        // (the dialect is kept on a re-save).
                        method: if c.dialect.quantile_ignores_method() {
                            Method::Linear
                        } else {
                            method
                        },
                        keepdims: c.bool_or("keepdims", false)?,
                    }
                }
                // `percentile(x, q)`: `quantile(x, q / 100)`, `q` cast to
                // float32 and divided there; unlike `Quantile`, Keras 3.15's
                // `Percentile` operation passes its `method` on.
                "Percentile" => {
                    let (q, vector) = quantiles(
                        args.get(1)
                            .map(|v| {
                                let q = v.pointer("/config/value").unwrap_or(v);
                                let pct =
                                    |p: &Value| p.as_f64().map(|p| ((p as f32) / 100.0) as f64);
                                match q {
                                    Value::Array(a) => {
                                        Value::from(a.iter().map(pct).collect::<Vec<_>>())
                                    }
                                    q => Value::from(pct(q)),
                                }
                            })
                            .as_ref(),
                    )
                    .map_err(|e| c.err("args", format!("{e} (after dividing by 100)")))?;
                    StatOp::Quantile {
                        q,
                        vector,
                        axes: axes(c)?,
                        method: method(c.str_or("method", "linear")?)
                            .map_err(|e| c.err("method", e))?,
                        keepdims: c.bool_or("keepdims", false)?,
                    }
                }
                "Moments" => StatOp::Moments {
                    axes: Some(
                        int_list(c.get("axes"))
                            .ok_or_else(|| c.err("axes", "expected a list of integers"))?,
                    ),
                    keepdims: c.bool_or("keepdims", false)?,
                },
                "Diff" => StatOp::Diff {
                    n: usize::try_from(c.i64_or("n", 1)?)
                        .ok()
                        .filter(|&n| n <= MAX_SEGMENTS)
                        .ok_or_else(|| c.err("n", "expected a count of at least 0"))?,
                    axis: c.i64_or("axis", -1)?,
                },
                "Diagonal" => StatOp::Diagonal {
                    offset: c.i64_or("offset", 0)?,
                    axis1: c.i64_or("axis1", 0)?,
                    axis2: c.i64_or("axis2", 1)?,
                },
                "Trace" => StatOp::Trace(Box::new(StatOp::Diagonal {
                    offset: c.i64_or("offset", 0)?,
                    axis1: c.i64_or("axis1", 0)?,
                    axis2: c.i64_or("axis2", 1)?,
                })),
                _ => {
                    let how = how.expect("a segment operation");
                    let sorted = c.bool_or("sorted", false)?;
                    let count = c.get("num_segments").filter(|v| !v.is_null());
                    let ids = match args.get(1) {
                        Some(a) if crate::topology::kwarg_tensor(a).is_some() => Ids::Input,
                        Some(a) => const_ids(a).ok_or_else(|| {
                            c.err(
                                "args",
                                "segment_ids: expected a tensor or constant integers",
                            )
                        })?,
                        None => return Err(c.err("args", "segment_ids is missing")),
                    };
                    let segments = match (sorted, count, &ids) {
                        (true, Some(_), _) => {
                            return Err(c.err(
                                "num_segments",
                                "cannot be set when sorted is True (Keras's TensorFlow \
                                 backend refuses it)",
                            ))
                        }
                        (true, None, _) => None,
                        (false, Some(n), _) => {
                            Some(segment_count(n).map_err(|e| c.err("num_segments", e))?)
                        }
                        // Keras's TensorFlow backend: the number of distinct
                        // ids for a sum, the largest id + 1 otherwise.
                        (false, None, Ids::Const(v, _)) => {
                            let n = if how == SegmentHow::Sum {
                                let mut u = v.clone();
                                u.sort_unstable();
                                u.dedup();
                                u.len() as i64
                            } else {
                                v.iter().max().map_or(0, |m| m + 1)
                            };
                            Some(
                                segment_count(&Value::from(n))
                                    .map_err(|e| c.err("num_segments", e))?,
                            )
                        }
                        (false, None, Ids::Input) => {
                            return Err(c.err(
                                "num_segments",
                                "is required when segment_ids is a tensor (otherwise the \
                                 output size depends on the data)",
                            ))
                        }
                    };
                    let op = StatOp::Segment { how, ids, segments };
                    op.check_const_ids().map_err(|e| c.err("args", e))?;
                    op
                }
            })
        })())
    }

    /// The `tf.<function>` with this math, from its call's kwargs (`None`:
    /// not one of these).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<StatOp>> {
        if let Some(conv) = super::const_conv::ConstConv::from_tf(function, kwargs) {
            return Some(conv.map(StatOp::ConstConv));
        }
        let get = |k: &str| kwargs.get(k).filter(|v| !v.is_null());
        let how = match function {
            "math.unsorted_segment_sum" | "math.segment_sum" => SegmentHow::Sum,
            "math.unsorted_segment_max" | "math.segment_max" => SegmentHow::Max,
            "math.unsorted_segment_min" | "math.segment_min" => SegmentHow::Min,
            "math.unsorted_segment_prod" | "math.segment_prod" => SegmentHow::Prod,
            "math.unsorted_segment_mean" | "math.segment_mean" => SegmentHow::Mean,
            "math.unsorted_segment_sqrt_n" => SegmentHow::SqrtN,
            "math.count_nonzero" => {
                return Some((|| {
                    Ok(StatOp::CountNonzero {
                        axes: match get("axis") {
                            None => None,
                            v => Some(int_list(v).ok_or("axis: expected integers")?),
                        },
                        keepdims: get("keepdims").and_then(Value::as_bool).unwrap_or(false),
                    })
                })())
            }
            "linalg.diag_part" => {
                return Some((|| {
                    if get("padding_value").is_some_and(|v| v.as_f64() != Some(0.0)) {
                        return Err("padding_value: only 0 is supported".into());
                    }
                    let offset = match get("k") {
                        None => 0,
                        Some(v) => match int_list(Some(v)).as_deref() {
                            Some(&[k]) => k,
                            Some(&[lo, hi]) if lo == hi => lo,
                            _ => {
                                return Err("k: one diagonal (a band of several is not \
                                            supported)"
                                    .into())
                            }
                        },
                    };
                    Ok(StatOp::Diagonal {
                        offset,
                        axis1: -2,
                        axis2: -1,
                    })
                })())
            }
            "linalg.trace" => {
                return Some(Ok(StatOp::Trace(Box::new(StatOp::Diagonal {
                    offset: 0,
                    axis1: -2,
                    axis2: -1,
                }))))
            }
            "linalg.diag" | "linalg.set_diag" => {
                return Some((|| {
                    // The main diagonal of square matrices only.
                    let zero = |k: &str, ok: &[f64]| match get(k) {
                        None => Ok(()),
                        Some(v) if v.as_f64().is_some_and(|f| ok.contains(&f)) => Ok(()),
                        Some(v) => Err(format!("{k} = {v}: only the main diagonal is supported")),
                    };
                    zero("k", &[0.0])?;
                    zero("padding_value", &[0.0])?;
                    zero("num_rows", &[-1.0])?;
                    zero("num_cols", &[-1.0])?;
                    if function == "linalg.diag" {
                        return Ok(StatOp::MatrixDiag);
                    }
                    match get("diagonal") {
                        Some(v) if crate::topology::kwarg_tensor(v).is_some() => {
                            Ok(StatOp::SetDiag)
                        }
                        _ => Err("diagonal: expected a tensor".into()),
                    }
                })());
            }
            "gather_nd" | "compat.v1.gather_nd" => {
                return Some((|| {
                    let indices = match get("indices") {
                        Some(v) if crate::topology::kwarg_tensor(v).is_some() => None,
                        // Constant indices: nested lists of ints.
                        Some(v) => Some(std::sync::Arc::new(
                            super::super::tf_ops::constant_array(v)
                                .filter(|t| t.rank() >= 1 && t.len() <= 1 << 20)
                                .ok_or("indices: expected a tensor or constant int indices")?,
                        )),
                        None => return Err("indices is missing".into()),
                    };
                    let batch_dims = match get("batch_dims") {
                        None => 0,
                        Some(v) => v
                            .as_u64()
                            .ok_or("batch_dims: expected a non-negative integer")?
                            as usize,
                    };
                    Ok(StatOp::GatherNd {
                        batch_dims,
                        indices,
                    })
                })());
            }
            "linalg.normalize" => {
                return Some((|| {
                    if get("ord").is_some_and(|o| !(o == "euclidean" || o.as_f64() == Some(2.0))) {
                        return Err("ord: only the Euclidean norm is supported".into());
                    }
                    let axes = int_list(get("axis"))
                        .ok_or("axis: expected the normalized axes (without: the batch too)")?;
                    Ok(StatOp::Normalize { axes: Some(axes) })
                })())
            }
            "boolean_mask" | "compat.v1.boolean_mask" => {
                return Some((|| {
                    let mask = match get("mask") {
                        Some(v) if crate::topology::kwarg_tensor(v).is_some() => Ids::Input,
                        Some(v) => const_ids(&bools_as_ints(v))
                            .ok_or("mask: expected a tensor or constant booleans")?,
                        None => return Err("mask is missing".into()),
                    };
                    let axis = match get("axis") {
                        None => 0,
                        Some(v) => v.as_i64().ok_or("axis: expected an integer")?,
                    };
                    Ok(StatOp::BooleanMask { mask, axis })
                })())
            }
            _ => return None,
        };
        let sorted = !function.contains("unsorted");
        Some((|| {
            let ids = match get("segment_ids") {
                Some(v) if crate::topology::kwarg_tensor(v).is_some() => Ids::Input,
                Some(v) => const_ids(v).ok_or("segment_ids: expected a tensor or integers")?,
                None => return Err("segment_ids is missing".into()),
            };
            let segments = if sorted {
                if matches!(ids, Ids::Input) {
                    return Err(
                        "sorted segment ids from a tensor make the output size depend \
                                on the data (use tf.math.unsorted_segment_* with num_segments)"
                            .into(),
                    );
                }
                None
            } else {
                let n = get("num_segments").ok_or("num_segments is missing")?;
                if crate::topology::kwarg_tensor(n).is_some() {
                    return Err("num_segments must be a constant, not a tensor".into());
                }
                Some(segment_count(n)?)
            };
            let op = StatOp::Segment { how, ids, segments };
            op.check_const_ids()?;
            Ok(op)
        })())
    }

    /// Constant ids checked once: in range (unsorted), rising from 0
    /// (sorted).
    fn check_const_ids(&self) -> Out<()> {
        if let StatOp::Segment {
            ids: Ids::Const(ids, shape),
            segments,
            ..
        } = self
        {
            if segments.is_none() && shape.len() != 1 {
                return Err(format!(
                    "sorted segment ids must be 1-D, got shape {shape:?}"
                ));
            }
            segment_rows(ids, *segments)?;
        }
        Ok(())
    }

    /// Output shapes for input shapes `inputs`.
    ///
    /// `tf.boolean_mask` with a tensor mask has a size read at run time
    /// (`None` here).
    pub(crate) fn shapes(&self, inputs: &[Shape]) -> Out<Vec<Shape>> {
        let x = inputs.first().ok_or("needs an input")?;
        let rank = x.len();
        Ok(vec![match self {
            StatOp::CountNonzero { axes, keepdims } => super::reduce_shape(x, axes, *keepdims)?,
            StatOp::Quantile {
                q,
                vector,
                axes,
                keepdims,
                ..
            } => {
                let mut s = super::reduce_shape(x, axes, *keepdims)?;
                if *vector {
                    s.insert(0, Some(q.len()));
                }
                s
            }
            StatOp::Diagonal {
                offset,
                axis1,
                axis2,
            } => {
                let perm = diagonal_perm(*axis1, *axis2, rank)?;
                let mut s: Shape = perm[..rank - 2].iter().map(|&p| x[p]).collect();
                s.push(match (x[perm[rank - 2]], x[perm[rank - 1]]) {
                    (Some(m), Some(n)) => Some(diagonal_len(m, n, *offset)),
                    _ => None,
                });
                s
            }
            StatOp::Trace(diagonal) => {
                let mut s = diagonal.shapes(inputs)?.remove(0);
                s.pop();
                s
            }
            StatOp::Segment { ids, segments, .. } => {
                let k = match ids {
                    Ids::Const(_, shape) => shape.len(),
                    Ids::Input => inputs.get(1).ok_or("segment_ids is missing")?.len(),
                };
                if k == 0 || k > rank {
                    return Err(format!(
                        "segment_ids of rank {k} must have a rank between 1 and data's {}",
                        shape_str(x)
                    ));
                }
                if let Ids::Const(_, shape) = ids {
                    if x[..k]
                        .iter()
                        .zip(shape)
                        .any(|(d, n)| d.is_some_and(|d| d != *n))
                    {
                        return Err(format!(
                            "segment_ids of shape {shape:?} do not match the leading axes of {}",
                            shape_str(x)
                        ));
                    }
                }
                let n = match (segments, ids) {
                    (Some(n), _) => *n,
                    (None, Ids::Const(v, _)) => segment_rows(v, None)?,
                    (None, Ids::Input) => return Err("sorted tensor ids: unknown size".into()),
                };
                let mut s = vec![Some(n)];
                s.extend(x[k..].iter().copied());
                s
            }
            StatOp::Diff { n, axis } => super::diff::diff_shape(x, *n, *axis)?,
            StatOp::MatrixDiag => super::linalg_diag::diag_shape(x)?,
            StatOp::ConstConv(conv) => conv.shape(x, inputs.get(1))?,
            StatOp::GaussianBlur(blur) => blur.shape(x)?,
            StatOp::AffineTransform(t) => t.shape(x)?,
            StatOp::SetDiag => x.clone(),
            StatOp::GatherNd {
                batch_dims,
                indices: Some(t),
            } => {
                let known: Shape = t.shape().iter().map(|&d| Some(d)).collect();
                super::gather_nd::gather_nd_shape(x, &known, *batch_dims)?
            }
            StatOp::GatherNd {
                batch_dims,
                indices: None,
            } => {
                let indices = inputs.get(1).ok_or("the indices are missing")?;
                super::gather_nd::gather_nd_shape(x, indices, *batch_dims)?
            }
            StatOp::Normalize { axes } => {
                if axes.iter().flatten().any(|&a| axis_of(a, rank, 0) == Ok(0)) {
                    return Err("normalizing over the batch axis".into());
                }
                return Ok(vec![x.clone(), super::reduce_shape(x, axes, true)?]);
            }
            StatOp::Moments { axes, keepdims } => {
                let s = super::reduce_shape(x, axes, *keepdims)?;
                return Ok(vec![s.clone(), s]);
            }
            StatOp::Fft(f) => return f.shapes(inputs),
            StatOp::Stft(f) => return f.shapes(inputs),
            StatOp::Istft(f) => return f.shapes(inputs),
            StatOp::BooleanMask { mask, axis } => {
                let (k, kept) = match mask {
                    Ids::Const(v, shape) => {
                        (shape.len(), Some(v.iter().filter(|&&m| m != 0).count()))
                    }
                    Ids::Input => (inputs.get(1).ok_or("mask is missing")?.len(), None),
                };
                let a = mask_axes(*axis, k, rank)?;
                if let Ids::Const(_, shape) = mask {
                    if x[a..a + k]
                        .iter()
                        .zip(shape)
                        .any(|(d, n)| d.is_some_and(|d| d != *n))
                    {
                        return Err(format!(
                            "mask of shape {shape:?} does not match axes {a}.. of {}",
                            shape_str(x)
                        ));
                    }
                }
                let mut s = x[..a].to_vec();
                s.push(kept);
                s.extend(x[a + k..].iter().copied());
                s
            }
        }])
    }

    /// The outputs for `inputs`.
    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Vec<Tensor>> {
        let x = inputs.first().ok_or("needs an input")?;
        let e = |r: Result<Tensor>| r.map_err(|e| e.to_string());
        Ok(vec![match self {
            StatOp::CountNonzero { axes, keepdims } => {
                let nonzero: Vec<f32> = f32s(x).iter().map(|&v| f32::from(v != 0.0)).collect();
                let t = e(Tensor::from_f32(x.shape().to_vec(), nonzero))?;
                let sum = super::reduce(&t, super::Reduce::Sum, axes, *keepdims)?;
                let counts = f32s(&sum).iter().map(|&v| v as i32).collect();
                e(Tensor::from_i32(sum.shape().to_vec(), counts))?
            }
            StatOp::Quantile {
                q,
                vector,
                axes,
                method,
                keepdims,
            } => {
                let (rows, d, mut shape) = reduced_rows(x, axes, *keepdims)?;
                let mut out = vec![0f32; q.len() * rows.len() / d.max(1)];
                let n_rows = rows.len() / d.max(1);
                for (r, row) in rows.chunks(d.max(1)).enumerate().take(n_rows) {
                    let mut sorted = row.to_vec();
                    sorted.sort_by(f32::total_cmp);
                    let nan = row.iter().any(|v| v.is_nan());
                    for (k, &q) in q.iter().enumerate() {
                        out[k * n_rows + r] = if nan {
                            f32::NAN
                        } else {
                            quantile_of(&sorted, q, *method)
                        };
                    }
                }
                if *vector {
                    shape.insert(0, q.len());
                }
                e(Tensor::from_f32(shape, out))?
            }
            StatOp::Diagonal {
                offset,
                axis1,
                axis2,
            } => {
                let s = x.shape();
                let rank = s.len();
                let perm = diagonal_perm(*axis1, *axis2, rank)?;
                let moved: Vec<usize> = perm.iter().map(|&p| s[p]).collect();
                let data = transpose(&f32s(x), s, &perm);
                let (m, n) = (moved[rank - 2], moved[rank - 1]);
                let len = diagonal_len(m, n, *offset);
                let (r0, c0) = (
                    offset.saturating_neg().max(0) as usize,
                    (*offset).max(0) as usize,
                );
                let outer: usize = moved[..rank - 2].iter().product();
                let mut out = Vec::with_capacity(outer * len);
                for o in 0..outer {
                    for i in 0..len {
                        out.push(data[(o * m + r0 + i) * n + c0 + i]);
                    }
                }
                let mut shape = moved[..rank - 2].to_vec();
                shape.push(len);
                e(Tensor::from_f32(shape, out))?
            }
            StatOp::Trace(diagonal) => {
                let diagonal = diagonal.call(inputs)?.remove(0);
                let mut shape = diagonal.shape().to_vec();
                let len = shape.pop().unwrap_or(0);
                let d = f32s(&diagonal);
                let sums = (0..shape.iter().product::<usize>())
                    .map(|o| d[o * len..(o + 1) * len].iter().sum())
                    .collect();
                e(Tensor::from_f32(shape, sums))?
            }
            StatOp::Segment { how, ids, segments } => segment_call(*how, ids, *segments, inputs)?,
            StatOp::BooleanMask { mask, axis } => boolean_mask(mask, *axis, inputs)?,
            StatOp::Diff { n, axis } => super::diff::diff_call(x, *n, *axis)?,
            StatOp::MatrixDiag => super::linalg_diag::diag(x)?,
            StatOp::ConstConv(conv) => conv.call(x, inputs.get(1))?,
            StatOp::GaussianBlur(blur) => blur.call(x)?,
            StatOp::AffineTransform(t) => t.call(x, inputs.get(1))?,
            StatOp::SetDiag => {
                let d = inputs.get(1).ok_or("the diagonal is missing")?;
                super::linalg_diag::set_diag(x, d)?
            }
            StatOp::Normalize { axes } => return super::linalg_diag::normalize(x, axes),
            StatOp::GatherNd {
                batch_dims,
                indices,
            } => {
                let indices = match indices {
                    Some(t) => t,
                    None => inputs.get(1).ok_or("the indices are missing")?,
                };
                super::gather_nd::gather_nd(x, indices, *batch_dims)?
            }
            StatOp::Moments { axes, keepdims } => {
                return Ok(vec![
                    super::reduce(x, super::Reduce::Mean, axes, *keepdims)?,
                    super::reduce(x, super::Reduce::Variance, axes, *keepdims)?,
                ]);
            }
            StatOp::Fft(f) => return f.call(inputs),
            StatOp::Stft(f) => return f.call(inputs),
            StatOp::Istft(f) => return f.call(inputs),
        }])
    }
}

/// The permutation moving `axis1`, `axis2` last (numpy's `moveaxis`).
fn diagonal_perm(axis1: i64, axis2: i64, rank: usize) -> Out<Vec<usize>> {
    if rank < 2 {
        return Err(format!("diagonal needs a rank >= 2 input, got rank {rank}"));
    }
    let (a, b) = (axis_of(axis1, rank, 0)?, axis_of(axis2, rank, 0)?);
    if a == b {
        return Err(format!("axis1 {axis1} and axis2 {axis2} are the same axis"));
    }
    move_perm(
        &[a as i64, b as i64],
        &[rank as i64 - 2, rank as i64 - 1],
        rank,
    )
}

/// The length of diagonal `offset` of an `m × n` matrix (0 past it).
fn diagonal_len(m: usize, n: usize, offset: i64) -> usize {
    let (m, n) = (m as i64, n as i64);
    let len = if offset >= 0 {
        m.min(n.saturating_sub(offset))
    } else {
        m.saturating_add(offset).min(n)
    };
    len.max(0) as usize
}

/// `x`'s values with `axes` moved last and flattened: the rows, their
/// length and the output shape (without a quantile axis).
fn reduced_rows(
    x: &Tensor,
    axes: &Option<Vec<i64>>,
    keepdims: bool,
) -> Out<(Vec<f32>, usize, Vec<usize>)> {
    let s = x.shape();
    let (ax, mut perm, shape) = reduce_layout(s, axes, keepdims)?;
    perm.extend(&ax);
    let d: usize = ax.iter().map(|&a| s[a]).product();
    if d == 0 {
        return Err("a quantile of an empty axis".into());
    }
    Ok((transpose(&f32s(x), s, &perm), d, shape))
}

/// Quantile `q` of the ascending values `y`, as Keras's TensorFlow
/// backend computes it (indices in float64).
fn quantile_of(y: &[f32], q: f64, method: Method) -> f32 {
    let d = y.len();
    let exact = (d as f64 - 1.0) * q;
    let at = |i: f64| (i as i64).clamp(0, d as i64 - 1) as usize;
    match method {
        Method::Lower => y[at(exact.floor())],
        Method::Higher => y[at(exact.ceil())],
        Method::Nearest => y[at(exact.round_ties_even())],
        Method::Midpoint => 0.5 * (y[at(exact.floor())] + y[at(exact.ceil())]),
        Method::Linear => {
            let larger = at(exact.ceil());
            let smaller = larger.saturating_sub(1);
            let larger = (smaller + 1).min(d - 1);
            let fraction = (larger as f64 - exact) as f32;
            y[larger] * (1.0 - fraction) + y[smaller] * fraction
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// numpy.quantile of small rows (its definitions agree with Keras's
    /// for these methods).
    #[test]
    fn quantiles_follow_numpy() {
        let y = [1.0f32, 2.0, 4.0, 7.0, 11.0];
        // (q, method, numpy.quantile([1, 2, 4, 7, 11], q, method=…))
        for (q, m, want) in [
            (0.3, Method::Linear, 2.4f32),
            (0.3, Method::Lower, 2.0),
            (0.3, Method::Higher, 4.0),
            (0.3, Method::Midpoint, 3.0),
            (0.3, Method::Nearest, 2.0),
            (0.625, Method::Nearest, 4.0), // 2.5 rounds half to even
            (0.0, Method::Linear, 1.0),
            (1.0, Method::Linear, 11.0),
            (0.5, Method::Linear, 4.0),
        ] {
            let got = quantile_of(&y, q, m);
            assert!((got - want).abs() < 1e-6, "{q} {m:?}: {got} != {want}");
        }
        assert!(quantiles(Some(&Value::from(1.5))).is_err());
        assert!(quantiles(Some(&serde_json::json!([0.2, -0.1]))).is_err());
    }

    #[test]
    fn diagonals_follow_numpy() {
        // np.diagonal(np.arange(24).reshape(2, 3, 4), offset=1, axis1=1, axis2=2)
        let x = Tensor::from_f32(vec![2, 3, 4], (0..24).map(|v| v as f32).collect()).unwrap();
        let op = StatOp::Diagonal {
            offset: 1,
            axis1: 1,
            axis2: 2,
        };
        let out = op.call(std::slice::from_ref(&x)).unwrap();
        assert_eq!(out[0].shape(), [2, 3]);
        assert_eq!(f32s(&out[0]).as_ref(), [1.0, 6.0, 11.0, 13.0, 18.0, 23.0]);
        // axis1=0, axis2=2, offset=-1: x[i+1, :, i] -> shape (3, 1).
        let op = StatOp::Diagonal {
            offset: -1,
            axis1: 0,
            axis2: 2,
        };
        let out = op.call(std::slice::from_ref(&x)).unwrap();
        assert_eq!(out[0].shape(), [3, 1]);
        assert_eq!(f32s(&out[0]).as_ref(), [12.0, 16.0, 20.0]);
        // Past the matrix: empty.
        let op = StatOp::Diagonal {
            offset: 5,
            axis1: 1,
            axis2: 2,
        };
        assert_eq!(
            op.call(std::slice::from_ref(&x)).unwrap()[0].shape(),
            [2, 0]
        );
        // np.trace(x, offset, axis1, axis2): the diagonals' sums, 0 past the matrix.
        for (offset, axis1, axis2, want) in [
            (1, 1, 2, vec![18.0, 54.0]),
            (-1, 0, 2, vec![12.0, 16.0, 20.0]),
            (5, 1, 2, vec![0.0, 0.0]),
        ] {
            let op = StatOp::Trace(Box::new(StatOp::Diagonal {
                offset,
                axis1,
                axis2,
            }));
            let out = op.call(std::slice::from_ref(&x)).unwrap();
            assert_eq!(f32s(&out[0]).as_ref(), want.as_slice());
        }
    }
}

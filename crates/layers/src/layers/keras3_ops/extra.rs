//! Sorting, band masks, axis moves, one-hot and image resizing: the Keras 3
//! operations `ops.sort`, `ops.top_k`, `ops.tril` / `ops.triu`,
//! `ops.moveaxis`, `ops.one_hot`, `ops.image.resize`, and the Keras 2
//! `tf.*` functions with the same math (`tf.sort`, `tf.math.top_k`,
//! `tf.linalg.band_part`), as TensorFlow computes them:
//!
//! - sort: along `axis`, ascending (`tf.sort`'s `direction="DESCENDING"`
//!   descending); only the values, so ties cannot be told apart;
//! - argsort: the indices (int32) that sort along `axis` ascending; equal
//!   values keep their order (TensorFlow sorts ascending as `top_k` of the
//!   negated values, which keeps the lower index first); `tf.argsort`'s
//!   `direction="DESCENDING"` is `top_k` of the values (largest first,
//!   equal values still by the lower index);
//! - top_k: the `k` largest along the last axis, largest first, and their
//!   indices (int32; the second output); equal values keep their order
//!   (the lower index first), as `tf.math.top_k` documents. `sorted=False`
//!   (an unspecified order) is refused;
//! - band: of the last two axes `[.., i, j]`, zero outside
//!   `min <= j - i <= max` (`tf.linalg.band_part(x, lower, upper)`: `min =
//!   -lower`, `max = upper`, a negative count is no bound; `tril(k)`: `max =
//!   k`; `triu(k)`: `min = k`);
//! - moveaxis: numpy's `moveaxis` (a transpose);
//! - one_hot: TensorFlow's backend casts the indices to integers
//!   (truncating) and gives a row of zeros for an index outside
//!   `[0, num_classes)`; the class axis goes at `axis`;
//! - multi_hot: `[batch, n]` integer ids → `[batch, num_classes]`, 1 for
//!   each class among a row's ids (TensorFlow's backend: the maximum over
//!   the ids' axis of their one-hot rows; ids truncated, out of range
//!   ones count for nothing);
//! - bincount: `[batch, n]` non-negative integer ids → `[batch, depth]`
//!   int32 counts, `depth = max(minlength, largest id in the batch + 1)`
//!   (`tf.math.bincount(x, minlength, axis=-1)`: the width depends on the
//!   values); a negative id is an error, as in TensorFlow. Keras 2's
//!   `tf.math.bincount(axis=-1)` also takes `maxlength` (ids from it on
//!   are not counted and the width is at most it: fixed when `minlength ==
//!   maxlength`), `binary_output` and a float `dtype`; `weights` and the
//!   whole-batch count (`axis=None`) are refused;
//! - resize: `tf.image.resize`, antialiased when asked (the engine's
//!   `Resizing`), channels last or first;
//! - depth_to_space / space_to_depth (`ops.nn.*`, channels last or first): see
//!   `depth_space.rs`;
//! - unravel_index: flat indices into `shape` → one coordinate tensor per
//!   axis, each of the indices' shape and dtype. `tf.unravel_index` (0-D
//!   or 1-D indices in `[0, size)`, else an error as in TensorFlow) stacks
//!   them along a new first axis; `ops.unravel_index` returns them apart,
//!   and Keras's TensorFlow backend computes row-major coordinates only for
//!   1-D indices: for others it takes `index % d`, then `index // d`, over
//!   the dims from the first, and returns those in reverse order (for
//!   `shape=(4, 5)`: `((i // 4) % 5, i % 4)`, not numpy's `(i // 5, i %
//!   5)`), which is what a saved model computes.

use super::super::common::*;
use super::super::preprocessing::{resize_fitted, AspectFit, Interpolation};
use super::super::tf_ops::axis_of;
use super::int_list;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub(crate) enum ExtraOp {
    Sort {
        axis: i64,
        descending: bool,
    },
    TopK {
        k: usize,
    },
    Argsort {
        axis: i64,
        /// `tf.argsort(direction="DESCENDING")`: largest first, equal
        /// values still by the lower index (TensorFlow's `top_k`).
        descending: bool,
    },
    /// Keep `[.., i, j]` where `min <= j - i <= max` (`None`: no bound).
    Band {
        min: Option<i64>,
        max: Option<i64>,
    },
    MoveAxis {
        source: Vec<i64>,
        destination: Vec<i64>,
    },
    OneHot {
        classes: usize,
        axis: i64,
    },
    MultiHot {
        classes: usize,
    },
    Bincount {
        minlength: usize,
        /// `tf.math.bincount`'s `maxlength`: ids at or above it are not
        /// counted, and the width is at most it.
        maxlength: Option<usize>,
        /// `binary_output`: 1 where an id occurs (else its count).
        binary: bool,
        /// The counts as float32 (`tf.math.bincount(dtype=tf.float32)`).
        float: bool,
    },
    Resize {
        size: [usize; 2],
        interpolation: Interpolation,
        channels_first: bool,
        /// `crop_to_aspect_ratio` / `pad_to_aspect_ratio` (with `fill_value`).
        fit: AspectFit,
    },
    /// `ops.nn.depth_to_space` (`to_space`) / `space_to_depth`
    /// (`channels_first`: NCHW, transposed to NHWC and back, as Keras 3.15's
    /// TensorFlow backend does).
    DepthSpace {
        block: usize,
        to_space: bool,
        channels_first: bool,
    },
    /// `ops.unravel_index` (`stacked`: `tf.unravel_index`).
    UnravelIndex {
        dims: Vec<usize>,
        stacked: bool,
    },
}

/// The most classes / output pixels read from a config.
const MAX_SIZE: u64 = 1 << 20;

impl ExtraOp {
    /// The Keras 3 operation `op` from its config (`None`: not one of these).
    pub(crate) fn from_config(op: &str, c: &ConfigReader<'_>) -> Option<Result<ExtraOp>> {
        if !matches!(
            op,
            "Sort"
                | "Argsort"
                | "TopK"
                | "Tril"
                | "Triu"
                | "Moveaxis"
                | "Swapaxes"
                | "OneHot"
                | "MultiHot"
                | "Bincount"
                | "Resize"
                | "DepthToSpace"
                | "SpaceToDepth"
                | "UnravelIndex"
        ) {
            return None;
        }
        // One-hot, multi-hot and counts: a dense result only.
        let dense = || -> Result<()> {
            if c.bool_or("sparse", false)? {
                return Err(c.err("sparse", "true (a sparse result) is not supported"));
            }
            Ok(())
        };
        let dense_classes = || -> Result<usize> {
            dense()?;
            let classes = c
                .get("num_classes")
                .and_then(Value::as_u64)
                .filter(|n| (1..=MAX_SIZE).contains(n))
                .ok_or_else(|| c.err("num_classes", "expected a positive integer"))?;
            Ok(classes as usize)
        };
        Some((|| {
            Ok(match op {
                "UnravelIndex" => ExtraOp::UnravelIndex {
                    dims: unravel_dims(c.get("shape"))
                        .map_err(|m| c.err("shape", format!("{m} (the shape to unravel into)")))?,
                    stacked: false,
                },
                "DepthToSpace" | "SpaceToDepth" => {
                    let channels_first = match c.str_or("data_format", "channels_last")? {
                        "channels_last" => false,
                        "channels_first" => true,
                        other => {
                            return Err(c.err(
                                "data_format",
                                format!("expected channels_last or channels_first, got {other}"),
                            ))
                        }
                    };
                    ExtraOp::DepthSpace {
                        channels_first,
                        block: c
                            .get("block_size")
                            .and_then(Value::as_u64)
                            .filter(|b| (2..=1 << 10).contains(b))
                            .ok_or_else(|| {
                                c.err("block_size", "expected an integer of at least 2")
                            })? as usize,
                        to_space: op == "DepthToSpace",
                    }
                }
                "Sort" => ExtraOp::Sort {
                    axis: c.i64_or("axis", -1)?,
                    descending: false,
                },
                "Argsort" => ExtraOp::Argsort {
                    axis: c.get("axis").and_then(Value::as_i64).ok_or_else(|| {
                        c.err(
                            "axis",
                            "expected an integer (None, flattening, is not supported)",
                        )
                    })?,
                    descending: false,
                },
                "TopK" => {
                    if !c.bool_or("sorted", true)? {
                        return Err(c.err(
                            "sorted",
                            "false (an unspecified order of the k values) is not supported",
                        ));
                    }
                    ExtraOp::TopK {
                        k: top_k(c.get("k").unwrap_or(&Value::Null))
                            .ok_or_else(|| c.err("k", "expected a positive integer"))?,
                    }
                }
                "Tril" => ExtraOp::Band {
                    min: None,
                    max: Some(c.i64_or("k", 0)?),
                },
                "Triu" => ExtraOp::Band {
                    min: Some(c.i64_or("k", 0)?),
                    max: None,
                },
                "Moveaxis" => {
                    let read = |k: &str| {
                        int_list(c.get(k))
                            .ok_or_else(|| c.err(k, "expected an integer or a list of integers"))
                    };
                    let (source, destination) = (read("source")?, read("destination")?);
                    if source.len() != destination.len() {
                        return Err(c.err(
                            "destination",
                            format!("{destination:?} must name as many axes as source {source:?}"),
                        ));
                    }
                    ExtraOp::MoveAxis {
                        source,
                        destination,
                    }
                }
                // Moving each of two axes to the other's place swaps them.
                "Swapaxes" => {
                    let axis = |k: &str| {
                        c.get(k)
                            .and_then(Value::as_i64)
                            .ok_or_else(|| c.err(k, "expected an integer"))
                    };
                    let (a, b) = (axis("axis1")?, axis("axis2")?);
                    ExtraOp::MoveAxis {
                        source: vec![a, b],
                        destination: vec![b, a],
                    }
                }
                "MultiHot" => {
                    if !matches!(c.get("axis").and_then(Value::as_i64), None | Some(-1)) {
                        return Err(c.err("axis", "only -1 (classes last) is supported"));
                    }
                    ExtraOp::MultiHot {
                        classes: dense_classes()?,
                    }
                }
                "Bincount" => {
                    dense()?;
                    if !c.get("weights").is_none_or(Value::is_null) {
                        return Err(c.err("weights", "weighted counts are not supported"));
                    }
                    let minlength = c
                        .get("minlength")
                        .and_then(Value::as_u64)
                        .filter(|&n| n <= MAX_SIZE)
                        .ok_or_else(|| c.err("minlength", "expected a non-negative integer"))?;
                    ExtraOp::Bincount {
                        minlength: minlength as usize,
                        maxlength: None,
                        binary: false,
                        float: false,
                    }
                }
                "OneHot" => ExtraOp::OneHot {
                    classes: dense_classes()?,
                    axis: c.i64_or("axis", -1)?,
                },
                _ => {
                    let fit = match (
                        c.bool_or("crop_to_aspect_ratio", false)?,
                        c.bool_or("pad_to_aspect_ratio", false)?,
                    ) {
                        (false, false) => AspectFit::Stretch,
                        (true, false) => AspectFit::Crop,
                        (false, true) => {
                            if !matches!(
                                c.get("fill_mode").and_then(Value::as_str),
                                None | Some("constant")
                            ) {
                                return Err(c.err("fill_mode", "only \"constant\" is supported"));
                            }
                            AspectFit::Pad(c.f64_opt("fill_value")?.unwrap_or(0.0) as f32)
                        }
                        (true, true) => return Err(c.err(
                            "pad_to_aspect_ratio",
                            "only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be true",
                        )),
                    };
                    let size = int_list(c.get("size"))
                        .and_then(|s| match s[..] {
                            [h, w] if h >= 1 && w >= 1 => Some([h as usize, w as usize]),
                            _ => None,
                        })
                        .filter(|s| (s[0] as u64) * (s[1] as u64) <= MAX_SIZE)
                        .ok_or_else(|| c.err("size", "expected [height, width]"))?;
                    let channels_first = match c.get("data_format").and_then(Value::as_str) {
                        None | Some("channels_last") => false,
                        Some("channels_first") => true,
                        Some(other) => {
                            return Err(c.err(
                                "data_format",
                                format!("expected channels_last or channels_first, got {other}"),
                            ))
                        }
                    };
                    ExtraOp::Resize {
                        size,
                        interpolation: Interpolation::read(c, "bilinear")?,
                        channels_first,
                        fit,
                    }
                }
            })
        })())
    }

    /// The `tf.<function>` with this math, from its call's kwargs (`None`:
    /// not one of these).
    pub(crate) fn from_tf(
        function: &str,
        kwargs: &Map<String, Value>,
    ) -> Option<std::result::Result<ExtraOp, String>> {
        let get = |k: &str| kwargs.get(k).filter(|v| !v.is_null());
        Some(match function {
            "sort" => (|| {
                let axis = match get("axis") {
                    None => -1,
                    Some(v) => v.as_i64().ok_or("axis: expected an integer")?,
                };
                let descending = match get("direction").map(Value::as_str) {
                    None | Some(Some("ASCENDING")) => false,
                    Some(Some("DESCENDING")) => true,
                    Some(_) => return Err("direction: expected ASCENDING or DESCENDING".into()),
                };
                Ok(ExtraOp::Sort { axis, descending })
            })(),
            "argsort" => (|| {
                let axis = match get("axis") {
                    None => -1,
                    Some(v) => v.as_i64().ok_or("axis: expected an integer")?,
                };
                let descending = match get("direction").map(Value::as_str) {
                    None | Some(Some("ASCENDING")) => false,
                    Some(Some("DESCENDING")) => true,
                    Some(_) => return Err("direction: expected ASCENDING or DESCENDING".into()),
                };
                Ok(ExtraOp::Argsort { axis, descending })
            })(),
            "math.top_k" | "nn.top_k" => (|| {
                if get("sorted").and_then(Value::as_bool) == Some(false) {
                    return Err(
                        "sorted: False (an unspecified order of the k values) is not supported"
                            .into(),
                    );
                }
                let k = match get("k") {
                    None => 1,
                    Some(v) => top_k(v).ok_or("k: expected a positive integer")?,
                };
                Ok(ExtraOp::TopK { k })
            })(),
            "linalg.band_part" | "matrix_band_part" => (|| {
                let count = |k: &str| -> std::result::Result<Option<i64>, String> {
                    let n = get(k)
                        .and_then(Value::as_i64)
                        .ok_or(format!("{k}: expected an integer"))?;
                    Ok((n >= 0).then_some(n))
                };
                Ok(ExtraOp::Band {
                    min: count("num_lower")?.map(|n| -n),
                    max: count("num_upper")?,
                })
            })(),
            // The last two axes swapped (a real tensor's adjoint is its
            // transpose); `conjugate` changes nothing for real values.
            "linalg.matrix_transpose" | "linalg.transpose" | "linalg.adjoint" => {
                Ok(ExtraOp::MoveAxis {
                    source: vec![-2, -1],
                    destination: vec![-1, -2],
                })
            }
            "experimental.numpy.moveaxis" => (|| {
                let read = |k: &str| int_list(get(k)).ok_or(format!("{k}: expected axes"));
                let (source, destination) = (read("source")?, read("destination")?);
                if source.len() != destination.len() {
                    return Err("source and destination name different numbers of axes".into());
                }
                Ok(ExtraOp::MoveAxis {
                    source,
                    destination,
                })
            })(),
            "math.bincount" | "bincount" => (|| {
                // Counts per row (`axis=-1`) of constant-free ids; the
                // whole-input form (`axis=None`) mixes the batch.
                if get("axis").and_then(Value::as_i64) != Some(-1) {
                    return Err("axis: only -1 (counts per row) is supported".into());
                }
                if get("weights").is_some() {
                    return Err("weights: weighted counts are not supported".into());
                }
                let length = |k: &str| -> std::result::Result<Option<usize>, String> {
                    match get(k) {
                        None => Ok(None),
                        Some(v) => v
                            .as_u64()
                            .filter(|&n| n <= MAX_SIZE)
                            .map(|n| Some(n as usize))
                            .ok_or(format!("{k}: expected a non-negative integer")),
                    }
                };
                let float = match get("dtype").and_then(Value::as_str) {
                    None | Some("int32" | "int64") => false,
                    Some("float32" | "float64") => true,
                    Some(d) => return Err(format!("dtype: {d} is not supported")),
                };
                Ok(ExtraOp::Bincount {
                    minlength: length("minlength")?.unwrap_or(0),
                    maxlength: length("maxlength")?,
                    binary: get("binary_output").and_then(Value::as_bool) == Some(true),
                    float,
                })
            })(),
            "unravel_index" => unravel_dims(get("dims"))
                .map(|dims| ExtraOp::UnravelIndex {
                    dims,
                    stacked: true,
                })
                .map_err(|m| format!("dims: {m}")),
            _ => return None,
        })
    }

    /// Output shapes for input shape `x`.
    pub(crate) fn shapes(&self, x: &Shape) -> std::result::Result<Vec<Shape>, String> {
        let rank = x.len();
        Ok(match self {
            ExtraOp::Sort { axis, .. } | ExtraOp::Argsort { axis, .. } => {
                axis_of(*axis, rank, 0)?;
                vec![x.clone()]
            }
            ExtraOp::TopK { k } => {
                let last = x.last().ok_or("top_k of a scalar")?;
                if last.is_some_and(|n| n < *k) {
                    return Err(format!(
                        "k = {k} is more than the last axis' {}",
                        shape_str(x)
                    ));
                }
                let mut s = x.clone();
                *s.last_mut().expect("rank >= 1") = Some(*k);
                vec![s.clone(), s]
            }
            ExtraOp::Band { .. } => {
                if rank < 2 {
                    return Err(format!("expects a rank >= 2 input, got {}", shape_str(x)));
                }
                vec![x.clone()]
            }
            ExtraOp::MoveAxis {
                source,
                destination,
            } => {
                let perm = move_perm(source, destination, rank)?;
                vec![perm.iter().map(|&p| x[p]).collect()]
            }
            ExtraOp::DepthSpace {
                block,
                to_space,
                channels_first,
            } => {
                if !*channels_first {
                    vec![super::depth_space_shape(x, *block, *to_space)?]
                } else if let [b, c, h, w] = x[..] {
                    let o = super::depth_space_shape(&vec![b, h, w, c], *block, *to_space)?;
                    vec![vec![o[0], o[3], o[1], o[2]]]
                } else {
                    return Err(format!(
                        "expects NCHW images (rank 4), got {}",
                        shape_str(x)
                    ));
                }
            }
            ExtraOp::UnravelIndex { dims, stacked } => {
                if !*stacked {
                    vec![x.clone(); dims.len()]
                } else if rank > 1 {
                    return Err(format!(
                        "tf.unravel_index takes 0-D or 1-D indices, got {}",
                        shape_str(x)
                    ));
                } else {
                    let mut s = vec![Some(dims.len())];
                    s.extend(x.iter().copied());
                    vec![s]
                }
            }
            ExtraOp::OneHot { classes, axis } => {
                let at = axis_of(*axis, rank, 1)?;
                let mut s = x.clone();
                s.insert(at, Some(*classes));
                vec![s]
            }
            ExtraOp::MultiHot { classes } => {
                if rank != 2 {
                    return Err(format!(
                        "expects [batch, ids] (rank 2), got {}",
                        shape_str(x)
                    ));
                }
                vec![vec![x[0], Some(*classes)]]
            }
            ExtraOp::Bincount {
                minlength,
                maxlength,
                ..
            } => {
                if rank != 2 {
                    return Err(format!(
                        "expects [batch, ids] (rank 2), got {}",
                        shape_str(x)
                    ));
                }
                // A fixed width when `minlength == maxlength`, else the ids decide.
                vec![vec![x[0], maxlength.filter(|m| m == minlength)]]
            }
            ExtraOp::Resize {
                size,
                channels_first,
                ..
            } => {
                if rank != 4 {
                    return Err(format!(
                        "expects a batch of images (rank 4), got {}",
                        shape_str(x)
                    ));
                }
                let mut s = x.clone();
                let h = if *channels_first { 2 } else { 1 };
                s[h] = Some(size[0]);
                s[h + 1] = Some(size[1]);
                vec![s]
            }
        })
    }

    /// The outputs for input `x`.
    pub(crate) fn call(&self, x: &Tensor) -> std::result::Result<Vec<Tensor>, String> {
        let shape = x.shape().to_vec();
        let rank = shape.len();
        let data = f32s(x);
        let e = |r: Result<Tensor>| r.map_err(|e| e.to_string());
        Ok(match self {
            ExtraOp::Sort { axis, descending } => {
                let a = axis_of(*axis, rank, 0)?;
                let mut out = data.into_owned();
                along(&shape, a, |idx| {
                    let mut v: Vec<f32> = idx.iter().map(|&i| out[i]).collect();
                    v.sort_by(f32::total_cmp);
                    if *descending {
                        v.reverse();
                    }
                    for (&i, v) in idx.iter().zip(v) {
                        out[i] = v;
                    }
                });
                vec![e(Tensor::from_f32(shape, out))?]
            }
            ExtraOp::Argsort { axis, descending } => {
                let a = axis_of(*axis, rank, 0)?;
                let mut out = vec![0i32; data.len()];
                along(&shape, a, |idx| {
                    let mut order: Vec<usize> = (0..idx.len()).collect();
                    // Stable: equal values keep the lower index first.
                    order.sort_by(|&i, &j| {
                        let (x, y) = (data[idx[i]], data[idx[j]]);
                        if *descending {
                            y.total_cmp(&x)
                        } else {
                            x.total_cmp(&y)
                        }
                    });
                    for (&slot, k) in idx.iter().zip(order) {
                        out[slot] = k as i32;
                    }
                });
                vec![e(Tensor::from_i32(shape, out))?]
            }
            ExtraOp::TopK { k } => {
                let n = *shape.last().ok_or("top_k of a scalar")?;
                if n < *k {
                    return Err(format!("k = {k} is more than the last axis' {shape:?}"));
                }
                let rows = data.len().checked_div(n).unwrap_or(0);
                let mut values = Vec::with_capacity(rows * k);
                let mut indices = Vec::with_capacity(rows * k);
                for row in data.chunks(n.max(1)).take(rows) {
                    let mut order: Vec<usize> = (0..n).collect();
                    // Stable: equal values keep the lower index first.
                    order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
                    for &i in &order[..*k] {
                        values.push(row[i]);
                        indices.push(i as i32);
                    }
                }
                let mut out_shape = shape.clone();
                *out_shape.last_mut().expect("rank >= 1") = *k;
                vec![
                    e(Tensor::from_f32(out_shape.clone(), values))?,
                    e(Tensor::from_i32(out_shape, indices))?,
                ]
            }
            ExtraOp::Band { min, max } => {
                if rank < 2 {
                    return Err(format!("expects a rank >= 2 input, got {shape:?}"));
                }
                let (m, n) = (shape[rank - 2], shape[rank - 1]);
                let mut out = data.into_owned();
                for (p, v) in out.iter_mut().enumerate() {
                    let (i, j) = ((p / n.max(1)) % m.max(1), p % n.max(1));
                    let d = j as i64 - i as i64;
                    if min.is_some_and(|lo| d < lo) || max.is_some_and(|hi| d > hi) {
                        *v = 0.0;
                    }
                }
                vec![e(Tensor::from_f32(shape, out))?]
            }
            ExtraOp::DepthSpace {
                block,
                to_space,
                channels_first,
            } => {
                if !*channels_first {
                    vec![super::depth_space(x, *block, *to_space)?]
                } else if rank == 4 {
                    let nhwc = transpose_tensor(x, &[0, 2, 3, 1]);
                    let out = super::depth_space(&nhwc, *block, *to_space)?;
                    vec![transpose_tensor(&out, &[0, 3, 1, 2])]
                } else {
                    return Err(format!("expects NCHW images (rank 4), got {shape:?}"));
                }
            }
            ExtraOp::UnravelIndex { dims, stacked } => {
                let coords = unravel(&data, dims, *stacked || rank == 1, *stacked)?;
                let int = x.dtype() == "int32";
                let make = |shape: Vec<usize>, v: Vec<f32>| {
                    e(if int {
                        Tensor::from_i32(shape, v.into_iter().map(|c| c as i32).collect())
                    } else {
                        Tensor::from_f32(shape, v)
                    })
                };
                if *stacked {
                    if rank > 1 {
                        return Err(format!(
                            "tf.unravel_index takes 0-D or 1-D indices, got {shape:?}"
                        ));
                    }
                    let mut s = vec![dims.len()];
                    s.extend(&shape);
                    vec![make(s, coords.concat())?]
                } else {
                    coords
                        .into_iter()
                        .map(|v| make(shape.clone(), v))
                        .collect::<std::result::Result<_, _>>()?
                }
            }
            ExtraOp::MoveAxis {
                source,
                destination,
            } => {
                let perm = move_perm(source, destination, rank)?;
                let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
                vec![e(Tensor::from_f32(
                    out_shape,
                    transpose(&data, &shape, &perm),
                ))?]
            }
            ExtraOp::MultiHot { classes } => {
                if rank != 2 {
                    return Err(format!("expects [batch, ids] (rank 2), got {shape:?}"));
                }
                let mut out = vec![0.0f32; shape[0] * classes];
                for (r, row) in data.chunks(shape[1].max(1)).enumerate() {
                    for &v in row {
                        let c = v.trunc();
                        if c >= 0.0 && (c as usize) < *classes {
                            out[r * classes + c as usize] = 1.0;
                        }
                    }
                }
                vec![e(Tensor::from_f32(vec![shape[0], *classes], out))?]
            }
            ExtraOp::Bincount {
                minlength,
                maxlength,
                binary,
                float,
            } => {
                if rank != 2 {
                    return Err(format!("expects [batch, ids] (rank 2), got {shape:?}"));
                }
                if data.iter().any(|&v| v < 0.0 || v.fract() != 0.0) {
                    return Err("bincount needs non-negative integer ids".into());
                }
                let largest = data.iter().fold(-1.0f32, |m, &v| m.max(v));
                let mut depth = (*minlength).max((largest + 1.0) as usize);
                if let Some(m) = maxlength {
                    depth = depth.min(*m);
                }
                if depth as u64 > MAX_SIZE {
                    return Err(format!("an id of {largest} makes too many bins"));
                }
                let mut out = vec![0i32; shape[0] * depth];
                for (r, row) in data.chunks(shape[1].max(1)).enumerate() {
                    for &v in row.iter().filter(|&&v| (v as usize) < depth) {
                        let at = &mut out[r * depth + v as usize];
                        *at = if *binary { 1 } else { *at + 1 };
                    }
                }
                let shape = vec![shape[0], depth];
                vec![e(if *float {
                    Tensor::from_f32(shape, out.iter().map(|&n| n as f32).collect())
                } else {
                    Tensor::from_i32(shape, out)
                })?]
            }
            ExtraOp::OneHot { classes, axis } => {
                let at = axis_of(*axis, rank, 1)?;
                // Output [outer…, classes, inner…] with `inner` the input
                // axes from `at` on.
                let inner: usize = shape[at..].iter().product();
                let mut out = vec![0.0f32; data.len() * classes];
                for (p, &v) in data.iter().enumerate() {
                    let c = v.trunc();
                    if c >= 0.0 && (c as usize) < *classes {
                        let (o, i) = (p / inner.max(1), p % inner.max(1));
                        out[(o * classes + c as usize) * inner + i] = 1.0;
                    }
                }
                let mut out_shape = shape.clone();
                out_shape.insert(at, *classes);
                vec![e(Tensor::from_f32(out_shape, out))?]
            }
            ExtraOp::Resize {
                size,
                interpolation,
                channels_first,
                fit,
            } => {
                if rank != 4 {
                    return Err(format!("expects a batch of images (rank 4), got {shape:?}"));
                }
                let [oh, ow] = *size;
                if *channels_first {
                    let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
                    let last = transpose(&data, &shape, &[0, 2, 3, 1]);
                    let r = resize_fitted(&last, (b, h, w, c), (oh, ow), *interpolation, *fit);
                    let back = transpose(&r, &[b, oh, ow, c], &[0, 3, 1, 2]);
                    vec![e(Tensor::from_f32(vec![b, c, oh, ow], back))?]
                } else {
                    let (b, h, w, c) = (shape[0], shape[1], shape[2], shape[3]);
                    let r = resize_fitted(&data, (b, h, w, c), (oh, ow), *interpolation, *fit);
                    vec![e(Tensor::from_f32(vec![b, oh, ow, c], r))?]
                }
            }
        })
    }
}

/// The dims of an unravel_index: positive integers whose product fits.
fn unravel_dims(v: Option<&Value>) -> std::result::Result<Vec<usize>, String> {
    let dims = int_list(v).ok_or("expected a list of integers")?;
    if dims.is_empty() || dims.iter().any(|&d| d < 1) {
        return Err(format!("{dims:?}: expected positive sizes"));
    }
    dims.iter()
        .try_fold(1u64, |n, &d| {
            n.checked_mul(d as u64).filter(|&n| n <= 1 << 40)
        })
        .ok_or(format!("{dims:?}: too large"))?;
    Ok(dims.into_iter().map(|d| d as usize).collect())
}

/// One coordinate list per dim for the flat `indices` (see the module's
/// notes): row-major (`row_major`; `checked`: an index outside `[0,
/// size)` is an error, as `tf.unravel_index` has it) or Keras's TensorFlow
/// backend's form for indices of other ranks (floored `%` and `//`).
fn unravel(
    indices: &[f32],
    dims: &[usize],
    row_major: bool,
    checked: bool,
) -> std::result::Result<Vec<Vec<f32>>, String> {
    let size: i64 = dims.iter().map(|&d| d as i64).product();
    let mut coords = vec![Vec::with_capacity(indices.len()); dims.len()];
    for &v in indices {
        let mut i = v as i64;
        if checked && !(0..size).contains(&i) {
            return Err(format!("index {i} is not in [0, {size}) (dims {dims:?})"));
        }
        if row_major {
            for (k, &d) in dims.iter().enumerate().rev() {
                coords[k].push(i.rem_euclid(d as i64) as f32);
                i = i.div_euclid(d as i64);
            }
        } else {
            for (k, &d) in dims.iter().enumerate() {
                coords[dims.len() - 1 - k].push(i.rem_euclid(d as i64) as f32);
                i = i.div_euclid(d as i64);
            }
        }
    }
    Ok(coords)
}

/// `k` of top_k: a positive integer.
fn top_k(v: &Value) -> Option<usize> {
    v.as_u64()
        .filter(|k| (1..=MAX_SIZE).contains(k))
        .map(|k| k as usize)
}

/// `axes` of a rank-`rank` tensor counted from 0 (negative: from the
/// end), each at most once.
pub(crate) fn distinct_axes(axes: &[i64], rank: usize) -> std::result::Result<Vec<usize>, String> {
    let out: Vec<usize> = axes
        .iter()
        .map(|&a| axis_of(a, rank, 0))
        .collect::<std::result::Result<_, _>>()?;
    let mut sorted = out.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != out.len() {
        return Err(format!("repeated axis in {axes:?}"));
    }
    Ok(out)
}

/// numpy's `moveaxis` as a permutation (`out[d] = in[perm[d]]`).
pub(crate) fn move_perm(
    source: &[i64],
    destination: &[i64],
    rank: usize,
) -> std::result::Result<Vec<usize>, String> {
    let (src, dst) = (
        distinct_axes(source, rank)?,
        distinct_axes(destination, rank)?,
    );
    let mut perm = vec![usize::MAX; rank];
    for (&s, &d) in src.iter().zip(&dst) {
        perm[d] = s;
    }
    let mut rest = (0..rank).filter(|a| !src.contains(a));
    for p in perm.iter_mut().filter(|p| **p == usize::MAX) {
        *p = rest.next().ok_or("inconsistent axes")?;
    }
    Ok(perm)
}

/// Call `f` with the flat indices of every line along axis `a` of `shape`.
fn along(shape: &[usize], a: usize, mut f: impl FnMut(&[usize])) {
    let n = shape[a];
    let inner: usize = shape[a + 1..].iter().product();
    let outer: usize = shape[..a].iter().product();
    let mut idx = vec![0usize; n];
    for o in 0..outer {
        for i in 0..inner {
            for (j, slot) in idx.iter_mut().enumerate() {
                *slot = (o * n + j) * inner + i;
            }
            f(&idx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_first_depth_space_follows_keras() {
        // Keras 3.15 (TensorFlow backend): x = np.arange(16, dtype="float32")
        // .reshape(1, 4, 2, 2); keras.ops.nn.depth_to_space(x, 2,
        // data_format="channels_first").flatten() == [0, 4, 1, 5, 8, 12, 9, 13,
        // 2, 6, 3, 7, 10, 14, 11, 15] (shape [1, 1, 4, 4]);
        // space_to_depth(x, 2, data_format="channels_first") == [0, 4, 8, 12,
        // 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15] (shape [1, 16, 1, 1]).
        let x = Tensor::from_f32(vec![1, 4, 2, 2], (0..16).map(|v| v as f32).collect()).unwrap();
        let run = |op: &str, shape: Vec<usize>| {
            let map = serde_json::json!({"block_size": 2, "data_format": "channels_first"});
            let map = map.as_object().unwrap().clone();
            let op = ExtraOp::from_config(op, &ConfigReader::new("d2s", &map))
                .unwrap()
                .unwrap();
            let sym: Shape = x.shape().iter().map(|&d| Some(d)).collect();
            let want: Shape = shape.iter().map(|&d| Some(d)).collect();
            assert_eq!(op.shapes(&sym).unwrap(), vec![want]);
            let out = op.call(&x).unwrap().remove(0);
            assert_eq!(out.shape(), &shape[..]);
            f32s(&out).to_vec()
        };
        let d2s = [
            0., 4., 1., 5., 8., 12., 9., 13., 2., 6., 3., 7., 10., 14., 11., 15.,
        ];
        assert_eq!(run("DepthToSpace", vec![1, 1, 4, 4]), d2s);
        let s2d = [
            0., 4., 8., 12., 1., 5., 9., 13., 2., 6., 10., 14., 3., 7., 11., 15.,
        ];
        assert_eq!(run("SpaceToDepth", vec![1, 16, 1, 1]), s2d);
    }

    #[test]
    fn tf_bincount_and_descending_argsort_follow_tensorflow() {
        // TensorFlow 2.21: x = [[1, 2, 2, 7], [3, 0, 0, 0]];
        // tf.math.bincount(x, minlength=2, maxlength=3, axis=-1) ==
        // [[0, 1, 2], [3, 0, 0]] (ids from maxlength on are not counted).
        let x = Tensor::from_i32(vec![2, 4], vec![1, 2, 2, 7, 3, 0, 0, 0]).unwrap();
        let kw = |v: Value| v.as_object().unwrap().clone();
        let op = |v: Value| ExtraOp::from_tf("math.bincount", &kw(v)).unwrap();
        let capped = op(serde_json::json!({"minlength": 2, "maxlength": 3, "axis": -1})).unwrap();
        let out = capped.call(&x).unwrap();
        assert_eq!(out[0].shape(), [2, 3]);
        assert_eq!(f32s(&out[0]).as_ref(), [0.0, 1.0, 2.0, 3.0, 0.0, 0.0]);
        // binary_output, minlength == maxlength == 5: [[0, 1, 1, 0, 0], [1, 0, 0, 1, 0]].
        let binary = op(serde_json::json!({
            "minlength": 5, "maxlength": 5, "axis": -1, "binary_output": true
        }))
        .unwrap();
        let out = binary.call(&x).unwrap();
        assert_eq!(
            f32s(&out[0]).as_ref(),
            [0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]
        );
        assert_eq!(
            binary.shapes(&vec![None, Some(4)]).unwrap()[0],
            [None, Some(5)]
        );
        // axis=None (the whole batch) and weights are refused by name.
        assert!(op(serde_json::json!({"minlength": 2})).is_err());
        assert!(op(serde_json::json!({"axis": -1, "weights": [1.0]})).is_err());
        // tf.argsort([0.5, 2, 0.5, -1], direction="DESCENDING") == [1, 0, 2, 3].
        let v = Tensor::from_f32(vec![4], vec![0.5, 2.0, 0.5, -1.0]).unwrap();
        let desc = ExtraOp::from_tf(
            "argsort",
            &kw(serde_json::json!({"direction": "DESCENDING"})),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            f32s(&desc.call(&v).unwrap()[0]).as_ref(),
            [1.0, 0.0, 2.0, 3.0]
        );
    }

    #[test]
    fn moveaxis_follows_numpy() {
        // np.moveaxis(np.zeros((2, 3, 4, 5)), [1, 3], [3, 0]).shape == (5, 2, 4, 3)
        let perm = move_perm(&[1, 3], &[3, 0], 4).unwrap();
        let dims = [2, 3, 4, 5];
        assert_eq!(
            perm.iter().map(|&p| dims[p]).collect::<Vec<_>>(),
            [5, 2, 4, 3]
        );
        assert!(move_perm(&[1, 1], &[0, 2], 3).is_err());
    }

    #[test]
    fn unravel_index_follows_tensorflow_and_keras() {
        // np.unravel_index([7, 19], (4, 5)) == ([1, 3], [2, 4]).
        let flat = Tensor::from_i32(vec![2], vec![7, 19]).unwrap();
        let op = |stacked| ExtraOp::UnravelIndex {
            dims: vec![4, 5],
            stacked,
        };
        let out = op(false).call(&flat).unwrap();
        assert_eq!(f32s(&out[0]).as_ref(), [1.0, 3.0]);
        assert_eq!(f32s(&out[1]).as_ref(), [2.0, 4.0]);
        assert_eq!(out[0].dtype(), "int32");
        let out = op(true).call(&flat).unwrap();
        assert_eq!(out[0].shape(), [2, 2]);
        assert_eq!(f32s(&out[0]).as_ref(), [1.0, 3.0, 2.0, 4.0]);
        assert!(op(true)
            .call(&Tensor::from_i32(vec![1], vec![20]).unwrap())
            .is_err());
        // Keras's TensorFlow backend for [batch, n] indices: ((i // 4) % 5, i % 4).
        let rows = Tensor::from_i32(vec![1, 2], vec![7, 19]).unwrap();
        let out = op(false).call(&rows).unwrap();
        assert_eq!(f32s(&out[0]).as_ref(), [1.0, 4.0]);
        assert_eq!(f32s(&out[1]).as_ref(), [3.0, 3.0]);
    }

    #[test]
    fn top_k_keeps_the_lower_index_first_among_ties() {
        let x = Tensor::from_f32(vec![1, 5], vec![1.0, 3.0, 2.0, 3.0, 0.0]).unwrap();
        let out = ExtraOp::TopK { k: 3 }.call(&x).unwrap();
        assert_eq!(f32s(&out[0]).as_ref(), [3.0, 3.0, 2.0]);
        assert_eq!(f32s(&out[1]).as_ref(), [1.0, 3.0, 2.0]);
        assert!(ExtraOp::TopK { k: 6 }.call(&x).is_err());
    }

    #[test]
    fn argsort_keeps_the_lower_index_first_among_ties() {
        let x = Tensor::from_f32(vec![2, 3], vec![1.0, 3.0, 1.0, 0.0, -2.0, 5.0]).unwrap();
        let out = ExtraOp::Argsort {
            axis: -1,
            descending: false,
        }
        .call(&x)
        .unwrap();
        assert_eq!(f32s(&out[0]).as_ref(), [0.0, 2.0, 1.0, 1.0, 0.0, 2.0]);
        let out = ExtraOp::Argsort {
            axis: 0,
            descending: false,
        }
        .call(&x)
        .unwrap();
        assert_eq!(f32s(&out[0]).as_ref(), [1.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    }
}

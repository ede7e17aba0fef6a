//! Sizes a Keras 2 model computes when it runs: `tf.shape(x)` and the
//! calls that read it (`tf.reshape(x, [tf.shape(x)[0], -1, 4])`,
//! `tf.ones([tf.shape(x)[0], 1, 8])`, `x[:, :tf.shape(x)[1] // 2]`,
//! `tf.tile(latents, [tf.shape(x)[0], 1, 1])`, a BERT's positions
//! `tf.range(tf.shape(ids)[1])`, an FCN decoder's `tf.image.resize(x,
//! tf.shape(skip)[1:3])`, a U-Net's output padded back to its input's size
//! `tf.pad(x, [[0, 0], [0, tf.shape(a)[1] - tf.shape(x)[1]], …])`, whose sizes `StructuredArgs::size_from` holds).
//!
//! Keras 2 writes such a size where a constant would be, as the tensor
//! `["layer", node, tensor]` (wired as an extra input, see
//! [`crate::topology::kwarg_tensors`]); a list first argument mixing
//! tensors and constants arrives as the kwarg
//! [`FIRST_ARG_KWARG`](crate::topology::FIRST_ARG_KWARG). The values are
//! read when the model runs; when it is built those sizes are unknown.

use super::super::keras3_ops::{get_item, get_item_shape, parse_key, Kind, Operation};
use super::*;
use crate::topology::{kwarg_tensor, kwarg_tensors, FIRST_ARG_KWARG};

/// Results whose errors the layer prefixes with its name and function.
type Out<T> = std::result::Result<T, String>;

/// The most elements a size computed at run time may ask for (a
/// `tf.ones` / `tf.fill` output): 2^28 float32 values, 1 GiB.
const MAX_DYNAMIC_ELEMENTS: usize = 1 << 28;

/// A call whose sizes are read at run time.
#[derive(Debug, Clone)]
pub(super) enum Dynamic {
    /// `tf.shape(x)`: the input's shape, as int32.
    ShapeOf,
    /// `tf.size(x)`: the input's element count, a scalar (int32 as
    /// TensorFlow's `out_type` default; int64 is the same number here).
    SizeOf,
    /// `tf.reshape(x, shape)` with sizes computed at run time.
    Reshape(Dims),
    /// `tf.ones` / `tf.zeros` / `tf.fill(dims, value)`.
    Fill { dims: Dims, value: f32 },
    /// `x[key]` with a bound computed at run time: the slice spec as
    /// written; its tensors are the tensor kwargs from `first` on.
    GetItem { spec: Value, first: usize },
    /// `tf.tile(x, multiples)` with multiples computed at run time; `x` a
    /// tensor or the call's constant first argument (an array Keras 2
    /// computed when the model was built, such as a Perceiver's latents).
    Tile {
        multiples: Dims,
        constant: Option<Tensor>,
    },
    /// `tf.stack([tf.shape(x)[0], 24])` / `tf.concat([tf.shape(x)[:1], [3,
    /// 8]], 0)`: a vector of sizes (int32) built from scalars or vectors
    /// read at run time and constants, a reshape's target.
    Sizes { parts: Vec<Part>, stack: bool },
    /// `tf.broadcast_to(x, shape)` (`shape` constants or read at run time:
    /// `tf.shape(y)`), Keras 3's `ops.broadcast_to` rule.
    BroadcastTo(Dims),
    /// `tf.pad(x, paddings, mode, constant_values)` with widths computed at
    /// run time: `[before, after]` per axis, in order.
    Pad { widths: Dims, mode: PadMode },
    /// `tf.strided_slice(x, begin, end, strides, *_mask)` (a constant `x`,
    /// such as a positional table sliced to `tf.shape(ids)[1]`, or a
    /// tensor): TensorFlow's masks read as Python's `x[...]` key.
    StridedSlice {
        begin: Dims,
        end: Dims,
        strides: Option<Dims>,
        masks: SliceMasks,
        constant: Option<Tensor>,
    },
    /// `tf.range(start, limit, delta)` (`tf.range(limit)` with one
    /// argument) with a bound computed at run time; int32, or float32 with
    /// `dtype` float.
    Range {
        start: Dim,
        limit: Dim,
        delta: Dim,
        float: bool,
    },
}

/// The call's constant first argument (`_CONSTANT_VALUE`: a table tf_keras
/// saved in the node), if it has one.
fn constant_first_arg(kwargs: &Map<String, Value>) -> Out<Option<Tensor>> {
    match kwargs.get("_CONSTANT_VALUE") {
        None => Ok(None),
        Some(v) => constant_array(v).map(Some).ok_or_else(|| {
            format!(
                "the constant first argument must be an array of numbers, got {}",
                short(v)
            )
        }),
    }
}

/// `tf.strided_slice`'s bit masks, bit `i` for entry `i` of `begin`.
#[derive(Debug, Clone, Copy)]
pub(super) struct SliceMasks {
    begin: i64,
    end: i64,
    ellipsis: i64,
    new_axis: i64,
    shrink_axis: i64,
}

impl SliceMasks {
    /// The key `x[...]` that `tf.strided_slice` with these masks reads
    /// (TensorFlow's `_slice_helper` in reverse).
    fn key(
        &self,
        begin: &[i64],
        end: &[i64],
        strides: Option<&[i64]>,
    ) -> Out<Vec<super::super::keras3_ops::Index>> {
        use super::super::keras3_ops::Index;
        if begin.len() != end.len() || strides.is_some_and(|s| s.len() != begin.len()) {
            return Err(format!(
                "begin, end and strides must have one entry per sliced axis, got {}, {} and {}",
                begin.len(),
                end.len(),
                strides.map_or(begin.len(), <[i64]>::len)
            ));
        }
        if self.ellipsis.count_ones() > 1 {
            return Err("ellipsis_mask: at most one ellipsis".into());
        }
        let bit = |m: i64, i: usize| i < 63 && (m >> i) & 1 == 1;
        Ok((0..begin.len())
            .map(|i| {
                let step = strides.map_or(1, |s| s[i]);
                if bit(self.ellipsis, i) {
                    Index::Ellipsis
                } else if bit(self.new_axis, i) {
                    Index::NewAxis
                } else if bit(self.shrink_axis, i) {
                    Index::At(begin[i])
                } else {
                    Index::Slice(
                        (!bit(self.begin, i)).then_some(begin[i]),
                        (!bit(self.end, i)).then_some(end[i]),
                        Some(step),
                    )
                }
            })
            .collect())
    }
}

/// A list of sizes.
#[derive(Debug, Clone)]
pub(super) enum Dims {
    /// Constants and scalar tensors (`[tf.shape(x)[0], -1, 4]`).
    List(Vec<Dim>),
    /// Every value of one tensor kwarg (`tf.reshape(x, tf.shape(y))`).
    Tensor(usize),
    /// Every value of the positional tensors, in order (`tf.ones(s)`,
    /// `tf.ones([a, b])`).
    Positional,
}

/// One element of a list of sizes: constants, or the `k`-th tensor kwarg
/// (a scalar for `tf.stack`, a vector for `tf.concat`).
#[derive(Debug, Clone)]
pub(super) enum Part {
    Const(Vec<i64>),
    Tensor(usize),
}

/// One size: a constant, a scalar tensor kwarg, or the call's first
/// (positional) tensor (`tf.range(tf.shape(x)[1])`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Dim {
    Const(i64),
    Tensor(usize),
    First,
}

/// Whether `v` holds a tensor reference at any depth.
pub(super) fn holds_tensor(v: &Value) -> bool {
    let key = String::new();
    !tfjs_format::topology::kwarg_tensor_refs([(&key, v)]).is_empty()
}

/// The number of tensors the kwargs before `key` hold (the index of the
/// first tensor under `key`).
fn tensors_before(kwargs: &Map<String, Value>, key: &str) -> usize {
    kwarg_tensors(kwargs.iter().take_while(|(k, _)| *k != key)).len()
}

impl Dim {
    /// One size under `key`: an integer or a scalar tensor kwarg (`None`
    /// when the call does not give `key`).
    fn parse(kwargs: &Map<String, Value>, key: &str) -> Out<Option<Dim>> {
        match kwargs.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) if kwarg_tensor(v).is_some() => {
                Ok(Some(Dim::Tensor(tensors_before(kwargs, key))))
            }
            Some(v) => v.as_i64().map(|c| Some(Dim::Const(c))).ok_or_else(|| {
                format!(
                    "argument {key}: expected an integer or a scalar tensor, got {}",
                    short(v)
                )
            }),
        }
    }

    /// Its value when the model runs.
    fn value(self, inputs: &[Tensor], positional: usize) -> Out<i64> {
        Dims::List(vec![self])
            .values(inputs, positional)
            .map(|v| v[0])
    }
}

impl Dims {
    /// Sizes under `key`: a list of numbers and tensors, or one tensor.
    pub(super) fn parse(kwargs: &Map<String, Value>, key: &str) -> Out<Dims> {
        let first = tensors_before(kwargs, key);
        let v = kwargs
            .get(key)
            .ok_or_else(|| format!("argument {key} is missing"))?;
        if kwarg_tensor(v).is_some() {
            return Ok(Dims::Tensor(first));
        }
        let items = v
            .as_array()
            .ok_or_else(|| format!("argument {key}: expected a list of sizes, got {}", short(v)))?;
        let mut k = first;
        let dims = items
            .iter()
            .map(|d| {
                if kwarg_tensor(d).is_some() {
                    k += 1;
                    Ok(Dim::Tensor(k - 1))
                } else {
                    d.as_i64().map(Dim::Const).ok_or_else(|| {
                        format!(
                            "argument {key}: expected sizes or scalar tensors, got {}",
                            short(d)
                        )
                    })
                }
            })
            .collect::<Out<_>>()?;
        Ok(Dims::List(dims))
    }

    /// The sizes as known when the model is built (`None` for a size read
    /// at run time).
    pub(super) fn shape(&self, inputs: &[Shape], positional: usize) -> Out<Shape> {
        let count = |s: &Shape| -> Out<usize> {
            match s.as_slice() {
                [] => Ok(1),
                [Some(n)] => Ok(*n),
                _ => Err(format!(
                    "sizes must be a scalar or a vector of known length, got {}",
                    shape_str(s)
                )),
            }
        };
        Ok(match self {
            Dims::List(d) => d
                .iter()
                .map(|d| match d {
                    Dim::Const(c) if *c >= 0 => Some(*c as usize),
                    _ => None,
                })
                .collect(),
            Dims::Tensor(k) => {
                let s = inputs
                    .get(positional + k)
                    .ok_or("a size tensor is missing")?;
                vec![None; count(s)?]
            }
            Dims::Positional => {
                let n = inputs[..positional].iter().map(count).sum::<Out<usize>>()?;
                vec![None; n]
            }
        })
    }

    /// The sizes' values when the model runs.
    pub(super) fn values(&self, inputs: &[Tensor], positional: usize) -> Out<Vec<i64>> {
        let tensor = |k: usize| -> Out<&Tensor> {
            inputs
                .get(positional + k)
                .ok_or_else(|| "a size tensor is missing".to_string())
        };
        match self {
            Dims::List(d) => d
                .iter()
                .map(|d| match d {
                    Dim::Const(c) => Ok(*c),
                    Dim::Tensor(k) => match as_ints(tensor(*k)?)?.as_slice() {
                        [v] => Ok(*v),
                        other => Err(format!("a size must be one number, got {other:?}")),
                    },
                    Dim::First => match as_ints(&inputs[0])?.as_slice() {
                        [v] => Ok(*v),
                        other => Err(format!("a size must be one number, got {other:?}")),
                    },
                })
                .collect(),
            Dims::Tensor(k) => as_ints(tensor(*k)?),
            Dims::Positional => {
                let mut out = Vec::new();
                for t in &inputs[..positional] {
                    out.extend(as_ints(t)?);
                }
                Ok(out)
            }
        }
    }
}

/// A tensor's values as integers (sizes travel as int32 or float32).
fn as_ints(t: &Tensor) -> Out<Vec<i64>> {
    f32s(t)
        .iter()
        .map(|&v| {
            (v.is_finite() && v.fract() == 0.0 && v.abs() < (1u64 << 40) as f32)
                .then_some(v as i64)
                .ok_or_else(|| format!("a size must be an integer, got {v}"))
        })
        .collect()
}

/// Which part of a slice spec a tensor stands for.
#[derive(Clone, Copy)]
enum Role {
    Index,
    Start,
    Stop,
    Step,
}

/// `spec` with each tensor replaced by `value(role)`, depth first.
fn substitute(spec: &Value, role: Role, value: &mut dyn FnMut(Role) -> Out<i64>) -> Out<Value> {
    if kwarg_tensor(spec).is_some() {
        return Ok(Value::from(value(role)?));
    }
    Ok(match spec {
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| substitute(x, role, value))
                .collect::<std::result::Result<_, _>>()?,
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let role = match k.as_str() {
                        "start" => Role::Start,
                        "stop" => Role::Stop,
                        "step" => Role::Step,
                        _ => role,
                    };
                    Ok((k.clone(), substitute(x, role, value)?))
                })
                .collect::<Out<_>>()?,
        ),
        other => other.clone(),
    })
}

fn slice_key(spec: &Value) -> Out<Vec<super::super::keras3_ops::Index>> {
    parse_key(spec).ok_or_else(|| {
        format!(
            "slice_spec: expected integers, slices and one Ellipsis, got {}",
            short(spec)
        )
    })
}

impl Dynamic {
    /// The dynamic form of `function`'s call, if it has one: `tf.shape`,
    /// `tf.ones` / `zeros` / `fill`, and a `tf.reshape` or slice whose sizes
    /// hold tensors.
    pub(super) fn parse(function: &str, kwargs: &Map<String, Value>) -> Out<Option<Dynamic>> {
        let dims_of_first_arg = || -> Out<Dims> {
            if kwargs.contains_key(FIRST_ARG_KWARG) {
                Dims::parse(kwargs, FIRST_ARG_KWARG)
            } else {
                Ok(Dims::Positional)
            }
        };
        let dynamic = match function {
            "shape" | "compat.v1.shape" => Dynamic::ShapeOf,
            "size" | "compat.v1.size" => Dynamic::SizeOf,
            "ones" => Dynamic::Fill {
                dims: dims_of_first_arg()?,
                value: 1.0,
            },
            "zeros" => Dynamic::Fill {
                dims: dims_of_first_arg()?,
                value: 0.0,
            },
            "fill" => Dynamic::Fill {
                dims: dims_of_first_arg()?,
                value: kwargs
                    .get("value")
                    .and_then(number)
                    .ok_or("argument value: expected a number")?,
            },
            "reshape" | "compat.v1.reshape" if kwargs.get("shape").is_some_and(holds_tensor) => {
                Dynamic::Reshape(Dims::parse(kwargs, "shape")?)
            }
            "tile" if kwargs.get("multiples").is_some_and(holds_tensor) => Dynamic::Tile {
                multiples: Dims::parse(kwargs, "multiples")?,
                constant: constant_first_arg(kwargs)?,
            },
            "broadcast_to" => Dynamic::BroadcastTo(Dims::parse(kwargs, "shape")?),
            "stack" | "concat" if kwargs.contains_key(FIRST_ARG_KWARG) => {
                if kwargs.get("axis").and_then(Value::as_i64).unwrap_or(0) != 0 {
                    return Err(
                        "a list mixing tensors and constants is supported along axis 0 only (a vector of sizes)"
                            .into(),
                    );
                }
                let stack = function == "stack";
                let mut k = tensors_before(kwargs, FIRST_ARG_KWARG);
                let items = kwargs[FIRST_ARG_KWARG]
                    .as_array()
                    .ok_or("expected a list")?;
                let parts = items
                    .iter()
                    .map(|v| {
                        if kwarg_tensor(v).is_some() {
                            k += 1;
                            return Ok(Part::Tensor(k - 1));
                        }
                        let ints = match v {
                            Value::Array(a) if !stack => a.iter().map(Value::as_i64).collect(),
                            v => v.as_i64().map(|i| vec![i]),
                        };
                        ints.map(Part::Const).ok_or_else(|| {
                            format!(
                                "a list mixing tensors and constants is computed as a vector of sizes only: expected integers and {} tensors, got {}",
                                if stack { "scalar" } else { "vector" },
                                short(v)
                            )
                        })
                    })
                    .collect::<Out<Vec<Part>>>()?;
                Dynamic::Sizes { parts, stack }
            }
            "pad" | "compat.v1.pad" if kwargs.get("paddings").is_some_and(holds_tensor) => {
                // `[[before, after], …]` with constants and scalar tensors
                // (one tensor for all of them is not supported).
                let rows = kwargs["paddings"]
                    .as_array()
                    .filter(|r| {
                        r.iter()
                            .all(|r| r.as_array().is_some_and(|r| r.len() == 2))
                    })
                    .ok_or_else(|| {
                        format!(
                            "argument paddings: expected [[before, after], …] per axis (integers or scalar tensors), got {}",
                            short(&kwargs["paddings"])
                        )
                    })?;
                let mut flat = kwargs.clone();
                flat.insert(
                    "paddings".into(),
                    Value::Array(
                        rows.iter()
                            .flat_map(|r| r.as_array().unwrap().clone())
                            .collect(),
                    ),
                );
                let widths = Dims::parse(&flat, "paddings")?;
                let value = match kwargs.get("constant_values") {
                    None | Some(Value::Null) => 0.0,
                    Some(v) => number(v).ok_or_else(|| {
                        format!(
                            "argument constant_values: expected a number, got {}",
                            short(v)
                        )
                    })?,
                };
                let mode = kwargs
                    .get("mode")
                    .and_then(Value::as_str)
                    .unwrap_or("CONSTANT");
                let mode = PadMode::parse(mode, value)
                    .filter(|m| *m != PadMode::Edge)
                    .ok_or_else(|| {
                        format!("argument mode: expected \"CONSTANT\", \"REFLECT\" or \"SYMMETRIC\", got {mode:?}")
                    })?;
                Dynamic::Pad { widths, mode }
            }
            "strided_slice" => {
                let mask = |k: &str| -> Out<i64> {
                    match kwargs.get(k) {
                        None | Some(Value::Null) => Ok(0),
                        Some(v) => v.as_i64().filter(|&m| m >= 0).ok_or_else(|| {
                            format!(
                                "argument {k}: expected a bit mask (an integer ≥ 0), got {}",
                                short(v)
                            )
                        }),
                    }
                };
                Dynamic::StridedSlice {
                    begin: Dims::parse(kwargs, "begin")?,
                    end: Dims::parse(kwargs, "end")?,
                    strides: match kwargs.get("strides") {
                        None | Some(Value::Null) => None,
                        Some(_) => Some(Dims::parse(kwargs, "strides")?),
                    },
                    masks: SliceMasks {
                        begin: mask("begin_mask")?,
                        end: mask("end_mask")?,
                        ellipsis: mask("ellipsis_mask")?,
                        new_axis: mask("new_axis_mask")?,
                        shrink_axis: mask("shrink_axis_mask")?,
                    },
                    constant: constant_first_arg(kwargs)?,
                }
            }
            "range" => {
                let float = match kwargs.get("dtype") {
                    None | Some(Value::Null) => false,
                    Some(Value::String(d)) if d.starts_with("int") => false,
                    Some(Value::String(d)) if d.starts_with("float") => true,
                    Some(other) => {
                        return Err(format!("dtype {other} is not supported (int or float)"))
                    }
                };
                // The first argument: a constant (`tf.range(1, n)`), or the
                // call's positional tensor, which comes first.
                let first = match kwargs.get("_CONSTANT_VALUE") {
                    Some(v) => Dim::Const(v.as_i64().ok_or_else(|| {
                        format!("argument start: expected an integer, got {}", short(v))
                    })?),
                    None => Dim::First,
                };
                let limit = Dim::parse(kwargs, "limit")?;
                let start = Dim::parse(kwargs, "start")?;
                let (start, limit) = match (start, limit) {
                    (Some(s), Some(l)) => (s, l),
                    (None, Some(l)) => (first, l),
                    (Some(s), None) => (s, first),
                    // `tf.range(limit)`.
                    (None, None) => (Dim::Const(0), first),
                };
                Dynamic::Range {
                    start,
                    limit,
                    delta: Dim::parse(kwargs, "delta")?.unwrap_or(Dim::Const(1)),
                    float,
                }
            }
            "__operators__.getitem" if kwargs.get("slice_spec").is_some_and(holds_tensor) => {
                let spec = kwargs["slice_spec"].clone();
                // The spec must parse once its tensors are numbers.
                slice_key(&substitute(&spec, Role::Index, &mut |_| Ok(0))?)?;
                Dynamic::GetItem {
                    spec,
                    first: tensors_before(kwargs, "slice_spec"),
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(dynamic))
    }

    /// The output shape when the model is built; `positional` inputs come
    /// before the tensor kwargs.
    pub(super) fn output_shape(&self, inputs: &[Shape], positional: usize) -> Out<Shape> {
        let x = inputs.first().ok_or("needs a tensor argument")?;
        match self {
            Dynamic::ShapeOf => Ok(vec![Some(x.len())]),
            Dynamic::SizeOf => Ok(Vec::new()),
            Dynamic::Fill { dims, .. } => dims.shape(inputs, positional),
            Dynamic::Reshape(dims) => {
                let mut out = dims.shape(inputs, positional)?;
                // `-1` is known when everything else is.
                if let Dims::List(d) = dims {
                    let known_in = x.iter().try_fold(1usize, |a, d| d.map(|d| a * d));
                    let rest = d.iter().try_fold(1usize, |a, d| match d {
                        Dim::Const(c) if *c >= 0 => Some(a * *c as usize),
                        Dim::Const(_) => Some(a),
                        Dim::Tensor(_) | Dim::First => None,
                    });
                    if let (Some(i), Some(n), Some(r)) = (
                        d.iter().position(|d| matches!(d, Dim::Const(-1))),
                        known_in,
                        rest,
                    ) {
                        out[i] = (r > 0).then(|| n / r);
                    }
                }
                Ok(out)
            }
            Dynamic::Tile {
                multiples,
                constant,
            } => {
                let x: Shape = match constant {
                    Some(c) => c.shape().iter().map(|&d| Some(d)).collect(),
                    None => x.clone(),
                };
                let m = multiples.shape(inputs, positional)?;
                if m.len() != x.len() {
                    return Err(format!("{} multiples for rank {}", m.len(), x.len()));
                }
                Ok(x.iter()
                    .zip(&m)
                    .map(|(d, m)| d.zip(*m).map(|(d, m)| d * m))
                    .collect())
            }
            Dynamic::Sizes { parts, stack } => {
                let mut n = Some(0usize);
                for p in parts {
                    let len = match p {
                        Part::Const(c) => Some(c.len()),
                        Part::Tensor(k) => match inputs
                            .get(positional + k)
                            .ok_or("a size tensor is missing")?
                            .as_slice()
                        {
                            [] => Some(1),
                            [d] if !stack => *d,
                            other => {
                                return Err(format!(
                                    "a list mixing tensors and constants is computed as a vector of sizes only: sizes must be {}, got {}",
                                    if *stack {
                                        "scalars"
                                    } else {
                                        "scalars or vectors"
                                    },
                                    shape_str(&other.to_vec())
                                ))
                            }
                        },
                    };
                    n = n.zip(len).map(|(a, b)| a + b);
                }
                Ok(vec![n])
            }
            Dynamic::BroadcastTo(dims) => {
                let to = dims.shape(inputs, positional)?;
                match broadcast_symbolic(x, &to) {
                    Some(s) if s.len() == to.len() => {
                        Ok(s.iter().zip(&to).map(|(a, b)| b.or(*a)).collect())
                    }
                    _ => Err(format!(
                        "{} does not broadcast to {}",
                        shape_str(x),
                        shape_str(&to)
                    )),
                }
            }
            Dynamic::StridedSlice {
                begin,
                end,
                strides,
                masks,
                constant,
            } => {
                let x: Shape = match constant {
                    Some(c) => c.shape().iter().map(|&d| Some(d)).collect(),
                    None => x.clone(),
                };
                // The shape under two different values of every entry read
                // at run time: an axis they change is unknown until then.
                let shape_with = |alt: i64| -> Out<Shape> {
                    let vals = |d: &Dims, base: i64| -> Out<Vec<i64>> {
                        Ok(match d {
                            Dims::List(l) => l
                                .iter()
                                .map(|d| match d {
                                    Dim::Const(c) => *c,
                                    _ => base + alt,
                                })
                                .collect(),
                            other => vec![base + alt; other.shape(inputs, positional)?.len()],
                        })
                    };
                    let strides = strides.as_ref().map(|s| vals(s, 1)).transpose()?;
                    let key = masks.key(&vals(begin, 0)?, &vals(end, 0)?, strides.as_deref())?;
                    get_item_shape(&x, &key)
                };
                let (a, b) = (shape_with(0)?, shape_with(1)?);
                Ok(a.iter()
                    .zip(&b)
                    .map(|(a, b)| if a == b { *a } else { None })
                    .collect())
            }
            Dynamic::Pad { widths, .. } => {
                let w = widths.shape(inputs, positional)?;
                if w.len() != 2 * x.len() {
                    return Err(format!("{} paddings for rank {}", w.len() / 2, x.len()));
                }
                Ok(x.iter()
                    .zip(w.chunks(2))
                    .map(|(d, w)| Some(d.as_ref()? + w[0]? + w[1]?))
                    .collect())
            }
            Dynamic::Range {
                start,
                limit,
                delta,
                ..
            } => Ok(vec![match (start, limit, delta) {
                (Dim::Const(a), Dim::Const(b), Dim::Const(d)) => Some(range_len(*a, *b, *d)?),
                _ => None,
            }]),
            Dynamic::GetItem { spec, .. } => {
                // The shape under two different values of every bound: an
                // axis they change is unknown until run time.
                let shape_with = |alt: bool| -> Out<Shape> {
                    let spec = substitute(spec, Role::Index, &mut |role| {
                        Ok(match role {
                            Role::Index => 0,
                            Role::Start | Role::Stop => i64::from(alt),
                            Role::Step => 1 + i64::from(alt),
                        })
                    })?;
                    get_item_shape(x, &slice_key(&spec)?)
                };
                let (a, b) = (shape_with(false)?, shape_with(true)?);
                Ok(a.iter()
                    .zip(&b)
                    .map(|(a, b)| if a == b { *a } else { None })
                    .collect())
            }
        }
    }

    /// The output when the model runs.
    pub(super) fn call(&self, name: &str, inputs: &[Tensor], positional: usize) -> Out<Tensor> {
        let x = inputs.first().ok_or("needs a tensor argument")?;
        match self {
            Dynamic::ShapeOf => {
                let dims = x
                    .shape()
                    .iter()
                    .map(|&d| i32::try_from(d).map_err(|_| format!("size {d} exceeds int32")))
                    .collect::<Out<Vec<i32>>>()?;
                Tensor::from_i32(vec![dims.len()], dims).map_err(|e| e.to_string())
            }
            Dynamic::SizeOf => {
                let n = x.shape().iter().product::<usize>();
                let n = i32::try_from(n).map_err(|_| format!("size {n} exceeds int32"))?;
                Tensor::from_i32(Vec::new(), vec![n]).map_err(|e| e.to_string())
            }
            Dynamic::Fill { dims, value } => {
                let sizes = dims.values(inputs, positional)?;
                let shape = sizes
                    .iter()
                    .map(|&d| usize::try_from(d).map_err(|_| format!("negative size in {sizes:?}")))
                    .collect::<Out<Vec<usize>>>()?;
                let n = shape
                    .iter()
                    .try_fold(1usize, |a, &d| a.checked_mul(d))
                    .filter(|&n| n <= MAX_DYNAMIC_ELEMENTS)
                    .ok_or_else(|| {
                        format!("sizes {sizes:?} ask for more than {MAX_DYNAMIC_ELEMENTS} values")
                    })?;
                Tensor::from_f32(shape, vec![*value; n]).map_err(|e| e.to_string())
            }
            Dynamic::Reshape(dims) => {
                let sizes = dims.values(inputs, positional)?;
                if sizes.iter().any(|&d| d < -1) || sizes.iter().filter(|&&d| d == -1).count() > 1 {
                    return Err(format!(
                        "shape {sizes:?}: sizes must be ≥ 0, with at most one -1"
                    ));
                }
                let op = Operation::with_kind("tf function", name, Kind::Reshape(sizes));
                let mut out = op.call(&inputs[..1], &[]).map_err(|e| e.to_string())?;
                out.pop().ok_or_else(|| "reshape returned nothing".into())
            }
            Dynamic::Tile {
                multiples,
                constant,
            } => {
                let m = multiples.values(inputs, positional)?;
                let x = constant.as_ref().unwrap_or(x);
                x.shape()
                    .iter()
                    .zip(&m)
                    .try_fold(1usize, |a, (&d, &m)| {
                        a.checked_mul(d)?.checked_mul(usize::try_from(m).ok()?)
                    })
                    .filter(|&n| n <= MAX_DYNAMIC_ELEMENTS)
                    .ok_or_else(|| {
                        format!("multiples {m:?} ask for more than {MAX_DYNAMIC_ELEMENTS} values or are negative")
                    })?;
                super::shape_fns::tile(x, &m)
            }
            Dynamic::Sizes { parts, .. } => {
                let mut out = Vec::new();
                for p in parts {
                    match p {
                        Part::Const(c) => out.extend(c.iter().copied()),
                        Part::Tensor(k) => out.extend(as_ints(
                            inputs
                                .get(positional + k)
                                .ok_or("a size tensor is missing")?,
                        )?),
                    }
                }
                let ints = out
                    .iter()
                    .map(|&v| i32::try_from(v).map_err(|_| format!("{v} exceeds int32")))
                    .collect::<Out<Vec<i32>>>()?;
                Tensor::from_i32(vec![ints.len()], ints).map_err(|e| e.to_string())
            }
            Dynamic::BroadcastTo(dims) => {
                let sizes = dims.values(inputs, positional)?;
                let to = sizes
                    .iter()
                    .map(|&d| usize::try_from(d).ok())
                    .collect::<Option<Vec<usize>>>()
                    .filter(|to| {
                        to.iter()
                            .try_fold(1usize, |a, &d| a.checked_mul(d))
                            .is_some_and(|n| n <= MAX_DYNAMIC_ELEMENTS)
                    })
                    .ok_or_else(|| {
                        format!("shape {sizes:?}: expected sizes ≥ 0 of at most {MAX_DYNAMIC_ELEMENTS} values")
                    })?;
                super::super::keras3_ops::ShapeOp::BroadcastTo(to).call(x)
            }
            Dynamic::StridedSlice {
                begin,
                end,
                strides,
                masks,
                constant,
            } => {
                let x = constant.as_ref().unwrap_or(x);
                let strides = strides
                    .as_ref()
                    .map(|s| s.values(inputs, positional))
                    .transpose()?;
                let key = masks.key(
                    &begin.values(inputs, positional)?,
                    &end.values(inputs, positional)?,
                    strides.as_deref(),
                )?;
                let (shape, values) = get_item(x, &key)?;
                Tensor::from_f32(shape, values).map_err(|e| e.to_string())
            }
            Dynamic::Pad { widths, mode } => {
                let w = widths.values(inputs, positional)?;
                let paddings = w
                    .chunks(2)
                    .map(|p| {
                        let side = |v: i64| usize::try_from(v).ok().filter(|&v| v <= 1 << 20);
                        Some([side(p[0])?, side(p[1])?])
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("paddings {w:?}: expected widths from 0 to 2^20"))?;
                super::shape_fns::pad(x, &paddings, *mode)
            }
            Dynamic::Range {
                start,
                limit,
                delta,
                float,
            } => {
                let (a, b, d) = (
                    start.value(inputs, positional)?,
                    limit.value(inputs, positional)?,
                    delta.value(inputs, positional)?,
                );
                let n = range_len(a, b, d)?;
                let values = (0..n as i64).map(|i| a + i * d);
                if *float {
                    Tensor::from_f32(vec![n], values.map(|v| v as f32).collect())
                } else {
                    let ints = values
                        .map(|v| i32::try_from(v).map_err(|_| format!("{v} exceeds int32")))
                        .collect::<Out<Vec<i32>>>()?;
                    Tensor::from_i32(vec![n], ints)
                }
                .map_err(|e| e.to_string())
            }
            Dynamic::GetItem { spec, first } => {
                let mut k = *first;
                let spec = substitute(spec, Role::Index, &mut |_| {
                    let t = inputs
                        .get(positional + k)
                        .ok_or("a slice bound tensor is missing")?;
                    k += 1;
                    match as_ints(t)?.as_slice() {
                        [v] => Ok(*v),
                        other => Err(format!("a slice bound must be one number, got {other:?}")),
                    }
                })?;
                let (shape, values) = get_item(x, &slice_key(&spec)?)?;
                Tensor::from_f32(shape, values).map_err(|e| e.to_string())
            }
        }
    }
}

/// The length of `tf.range(start, limit, delta)`: `ceil((limit - start) /
/// delta)`, at least 0.
fn range_len(start: i64, limit: i64, delta: i64) -> Out<usize> {
    if delta == 0 {
        return Err("delta must not be 0".into());
    }
    let span = limit - start;
    let n = if (span > 0) != (delta > 0) || span == 0 {
        0
    } else {
        (span.abs() + delta.abs() - 1) / delta.abs()
    };
    usize::try_from(n)
        .ok()
        .filter(|&n| n <= MAX_DYNAMIC_ELEMENTS)
        .ok_or_else(|| format!("tf.range({start}, {limit}, {delta}) asks for more than {MAX_DYNAMIC_ELEMENTS} values"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_slice_masks_follow_tensorflow() {
        // TensorFlow 2.21, x = np.arange(24, dtype=np.float32).reshape(2, 3, 4):
        // tf.strided_slice(x, [0,1,0], [0,0,0], [1,2,1], begin_mask=5, end_mask=7)
        //   -> (2, 1, 4) [4, 5, 6, 7, 16, 17, 18, 19]
        // tf.strided_slice(x, [1,-1,3], [0,0,0], [1,1,-2], end_mask=4, shrink_axis_mask=3)
        //   -> (2,) [23, 21]
        // tf.strided_slice(x, [0,0], [1,2], [1,1], begin_mask=1, new_axis_mask=1)
        //   -> (1, 2, 3, 4) [0, …, 23]
        // tf.strided_slice(x, [0,1], [0,2], [1,1], ellipsis_mask=1) -> (2, 3, 1) [1, 5, …, 21]
        let x = Tensor::from_f32(vec![2, 3, 4], (0..24).map(|v| v as f32).collect()).unwrap();
        let masks = |begin, end, ellipsis, new_axis, shrink_axis| SliceMasks {
            begin,
            end,
            ellipsis,
            new_axis,
            shrink_axis,
        };
        let run = |m: SliceMasks, b: &[i64], e: &[i64], s: &[i64]| {
            let key = m.key(b, e, Some(s)).unwrap();
            let shape =
                get_item_shape(&x.shape().iter().map(|&d| Some(d)).collect(), &key).unwrap();
            let (out_shape, values) = get_item(&x, &key).unwrap();
            assert_eq!(shape, out_shape.iter().map(|&d| Some(d)).collect::<Shape>());
            (out_shape, values)
        };
        let (s, v) = run(masks(5, 7, 0, 0, 0), &[0, 1, 0], &[0, 0, 0], &[1, 2, 1]);
        assert_eq!(s, [2, 1, 4]);
        assert_eq!(v, [4.0, 5.0, 6.0, 7.0, 16.0, 17.0, 18.0, 19.0]);
        let (s, v) = run(masks(0, 4, 0, 0, 3), &[1, -1, 3], &[0, 0, 0], &[1, 1, -2]);
        assert_eq!((s, v), (vec![2], vec![23.0, 21.0]));
        let (s, v) = run(masks(1, 0, 0, 1, 0), &[0, 0], &[1, 2], &[1, 1]);
        assert_eq!(s, [1, 2, 3, 4]);
        assert_eq!(v, (0..24).map(|v| v as f32).collect::<Vec<_>>());
        let (s, v) = run(masks(0, 0, 1, 0, 0), &[0, 1], &[0, 2], &[1, 1]);
        assert_eq!(
            (s, v),
            (vec![2, 3, 1], vec![1.0, 5.0, 9.0, 13.0, 17.0, 21.0])
        );
        assert!(masks(0, 0, 3, 0, 0).key(&[0, 0], &[0, 0], None).is_err());
        assert!(masks(0, 0, 0, 0, 0).key(&[0], &[0, 0], None).is_err());
    }
}

//! Keras 2's `TFOpLambda` (and `SlicingOpLambda`): a `tf.*` function
//! applied to Keras tensors in a functional model (`x + 3.0`,
//! `tf.nn.relu6(x)`, `tf.math.multiply(x, y)`), saved with the function's
//! name in `config.function` and its arguments in the call's kwargs
//! (`["x", 0, 0, {"y": 3.0}]`; a tensor argument is `["layer", 0, 0]`,
//! wired by the topology parser as an extra input after the positional
//! ones). TensorFlow.js 4.22 cannot load these layers.
//!
//! One table, `elementwise::lookup`, maps each supported function to its math;
//! adding a function is one entry. Elementwise functions with numpy
//! broadcasting are supported here; an unknown function is refused when
//! the model is built, naming the layer and the function.

mod elementwise;
mod shape_fns;

pub(crate) use elementwise::{broadcast, broadcast_index, broadcast_symbolic, sign};
use elementwise::{lookup, BinOp, Operand};
pub(crate) use shape_fns::{axis_of, cumsum, gather, reverse, split};

use super::common::*;
use super::keras3_ops::{concat, concat_shape, reduce, reduce_shape, Reduce};
use crate::activations::{sigmoid, Activation};
use crate::config::ConfigReader;
use crate::registry::BuildContext;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::{Map, Value};

/// The `tf.*` function of a `TFOpLambda` / `SlicingOpLambda` config when
/// this engine does not implement it (`None` for other classes).
pub fn unsupported_function(class_name: &str, config: &Map<String, Value>) -> Option<String> {
    if !matches!(class_name, "TFOpLambda" | "SlicingOpLambda") {
        return None;
    }
    let f = config.get("function").and_then(Value::as_str)?;
    lookup(f).is_none().then(|| f.to_string())
}

/// Register `TFOpLambda` and `SlicingOpLambda`.
pub fn register(registry: &mut LayerRegistry) {
    for class in ["TFOpLambda", "SlicingOpLambda"] {
        registry.register(class, move |c, ctx| {
            Ok(Box::new(TfOpLambda::from_config(class, c, ctx)?) as Box<dyn Layer>)
        });
    }
}

/// What a supported function computes.
#[derive(Debug, Clone, Copy)]
enum Func {
    Unary(fn(f32) -> f32),
    /// An elementwise activation (gelu, exact or tanh-approximated).
    Act(Activation),
    /// An activation over the last axis (softmax).
    Rowwise(Activation),
    Binary(BinOp),
    /// `tf.nn.leaky_relu(x, alpha)`.
    LeakyRelu(f32),
    /// `tf.clip_by_value(x, min, max)`.
    Clip(f32, f32),
    /// `tf.math.reduce_*` (axis, keepdims).
    Reduce(Reduce),
    /// `tf.math.l2_normalize` (axis, epsilon).
    L2Normalize,
    /// `tf.concat` (axis).
    Concat,
    /// `tf.nn.max_pool2d` / `avg_pool2d` (NHWC; ksize, strides, padding).
    Pool {
        max: bool,
    },
    /// `tf.image.resize` (size, method bilinear or nearest).
    Resize,
    /// Functions with a Keras 3 operation's math (reshape, transpose,
    /// matmul, slicing): built into `inner`.
    Op,
    /// `tf.expand_dims`, `tf.squeeze`, `tf.stack`, `tf.tile`, `tf.pad`,
    /// `tf.split`.
    Shape(ShapeFn),
    /// `tf.where(condition, x, y)`: `x` where the condition is non-zero,
    /// else `y` (broadcast).
    Where,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ShapeFn {
    ExpandDims,
    Squeeze,
    Stack,
    Tile,
    Pad,
    Split,
    /// `tf.gather` with constant indices along one axis.
    Gather,
    /// `tf.math.cumsum` (`exclusive`, `reverse`).
    Cumsum,
    /// `tf.reverse` (axes).
    Reverse,
    /// `tf.nn.depth_to_space` / `space_to_depth` (NHWC, `block_size`).
    DepthToSpace,
    SpaceToDepth,
    /// `tf.one_hot` (`depth`, `on_value`, `off_value`; a new last axis).
    OneHot,
}

/// The kwargs a function reads (everything else, `name` included, is
/// ignored as TensorFlow does at inference).
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Scalar(f32),
    /// The `k`-th tensor kwarg (extra input `positional + k`).
    Tensor(usize),
    /// An array the file holds as nested lists (a NumPy array or an eager
    /// tensor at model-building time, e.g. ImageNet's mean and std).
    Const(Tensor),
}

/// A constant array written as nested lists of numbers: its tensor, or
/// `None` if the lists are ragged or hold anything else.
pub(crate) fn constant_array(v: &Value) -> Option<Tensor> {
    let mut shape = Vec::new();
    let mut level = v;
    while let Value::Array(items) = level {
        shape.push(items.len());
        level = items.first()?;
    }
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_CONSTANT_ELEMENTS)?;
    let mut values = Vec::with_capacity(n);
    fn flatten(v: &Value, shape: &[usize], out: &mut Vec<f32>) -> Option<()> {
        match (v, shape) {
            (Value::Array(items), [d, rest @ ..]) if items.len() == *d => {
                items.iter().try_for_each(|i| flatten(i, rest, out))
            }
            (v, []) => {
                out.push(v.as_f64()? as f32);
                Some(())
            }
            _ => None,
        }
    }
    flatten(v, &shape, &mut values)?;
    Tensor::from_f32(shape, values).ok()
}

/// `v` for an error message, cut to 120 characters.
fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// The most elements a constant array in a config may have (what the file
/// holds is parsed already, but a config should not become a weight).
const MAX_CONSTANT_ELEMENTS: usize = 1 << 24;

/// `TFOpLambda`: one `tf.*` function.
#[derive(Debug)]
pub struct TfOpLambda {
    class: &'static str,
    base: Base,
    function: String,
    func: Func,
    /// The second operand of a binary function (`y`).
    y: Option<Arg>,
    /// `tf.where`'s `x` (its `y` is `y`).
    x: Option<Arg>,
    /// Number of tensor kwargs (extra inputs at the end).
    tensor_kwargs: usize,
    /// A constant first argument (`1.0 / y`); the first input is then
    /// only the call's anchor and is not read.
    x_const: Option<f32>,
    /// The structured functions' arguments, as read from the kwargs.
    args: StructuredArgs,
    /// `Func::Op`: the Keras 3 operation computing it.
    inner: Option<super::keras3_ops::Operation>,
}

/// Arguments of the reduction, concat, pooling and resize functions.
#[derive(Debug, Clone, Default)]
struct StructuredArgs {
    axes: Option<Vec<i64>>,
    keepdims: bool,
    epsilon: f32,
    /// Pooling window and strides `[h, w]`, and `"SAME"` padding.
    ksize: [usize; 2],
    strides: [usize; 2],
    same: bool,
    /// Resize target `[h, w]` and nearest-neighbour sampling.
    size: [usize; 2],
    nearest: bool,
    /// `tf.tile` multiples / `tf.split` sizes (or one count).
    ints: Vec<i64>,
    /// `tf.pad` paddings `[before, after]` per axis and its value.
    paddings: Vec<[usize; 2]>,
    pad_value: f32,
    /// `tf.math.cumsum`'s `exclusive` and `reverse`.
    exclusive: bool,
    reverse: bool,
    /// `tf.one_hot`'s `[on_value, off_value]`.
    on_off: [f32; 2],
}

/// An int or a list of 1, 2 or 4 ints (`[1, h, w, 1]`) as `[h, w]`.
fn hw(v: Option<&Value>) -> Option<[usize; 2]> {
    let ints: Vec<usize> = match v? {
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_u64().map(|u| u as usize))
            .collect::<Option<_>>()?,
        x => vec![x.as_u64()? as usize],
    };
    let out = match ints.as_slice() {
        [k] => [*k, *k],
        [h, w] => [*h, *w],
        [1, h, w, 1] => [*h, *w],
        _ => return None,
    };
    out.iter().all(|&d| d >= 1).then_some(out)
}

fn number(v: &Value) -> Option<f32> {
    v.as_f64().map(|f| f as f32)
}

impl TfOpLambda {
    /// The shape of an operand given as a kwarg (a number is rank 0).
    fn arg_shape(&self, arg: &Arg, inputs: &[Shape]) -> Result<Shape> {
        Ok(match arg {
            Arg::Scalar(_) => Vec::new(),
            Arg::Const(t) => t.shape().iter().map(|&d| Some(d)).collect(),
            Arg::Tensor(k) => inputs
                .get(inputs.len() - self.tensor_kwargs + k)
                .ok_or_else(|| self.base.err("a tensor argument is missing"))?
                .clone(),
        })
    }

    /// The values and shape of an operand given as a kwarg.
    fn arg_values<'a>(
        &'a self,
        arg: &'a Arg,
        inputs: &'a [Tensor],
    ) -> Result<(std::borrow::Cow<'a, [f32]>, Vec<usize>)> {
        Ok(match arg {
            Arg::Scalar(v) => (std::borrow::Cow::Owned(vec![*v]), Vec::new()),
            Arg::Const(t) => (f32s(t), t.shape().to_vec()),
            Arg::Tensor(k) => {
                let t = inputs
                    .get(inputs.len() - self.tensor_kwargs + k)
                    .ok_or_else(|| input_err(&self.base.name, "a tensor argument is missing"))?;
                (f32s(t), t.shape().to_vec())
            }
        })
    }

    /// The broadcast of `x` and `y` (a binary function's output shape).
    fn broadcast_shapes(&self, x: &Shape, y: &Shape) -> Result<Shape> {
        broadcast_symbolic(x, y).ok_or_else(|| {
            self.base.err(format!(
                "tf.{}: shapes {} and {} do not broadcast",
                self.function,
                shape_str(x),
                shape_str(y)
            ))
        })
    }

    fn from_config(
        class: &'static str,
        c: &ConfigReader<'_>,
        ctx: &BuildContext<'_>,
    ) -> Result<Self> {
        let function = c
            .get("function")
            .and_then(Value::as_str)
            .ok_or_else(|| c.err("function", "expected the tf.* function's name (a string)"))?
            .to_string();
        let mut func = lookup(&function).ok_or_else(|| {
            c.err(
                "function",
                format!(
                    "tf.{function} is not supported yet (see the function table in crates/layers/src/layers/tf_ops/elementwise.rs)"
                ),
            )
        })?;
        let empty = Map::new();
        let kwargs = ctx.call_kwargs.and_then(Value::as_object).unwrap_or(&empty);
        let mut tensor_kwargs = 0;
        let (mut x, mut y) = (None, None);
        for (k, v) in kwargs {
            let is_tensor = crate::topology::kwarg_tensor(v).is_some();
            if k == "y" || (k == "x" && function == "where") {
                let slot = if k == "y" { &mut y } else { &mut x };
                *slot = Some(if is_tensor {
                    Arg::Tensor(tensor_kwargs)
                } else if let Some(n) = number(v) {
                    Arg::Scalar(n)
                } else {
                    Arg::Const(constant_array(v).ok_or_else(|| {
                        c.err(
                            "function",
                            format!(
                                "tf.{function}: argument {k} must be a number, a tensor or an array of numbers, got {}",
                                short(v)
                            ),
                        )
                    })?)
                });
            }
            if is_tensor {
                tensor_kwargs += 1;
            }
        }
        let arg = |k: &str, default: f32| -> Result<f32> {
            match kwargs.get(k) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => number(v).ok_or_else(|| {
                    c.err(
                        "function",
                        format!("tf.{function}: argument {k} must be a number, got {v}"),
                    )
                }),
            }
        };
        // Functions whose math depends on their scalar arguments.
        match function.as_str() {
            "nn.gelu" if kwargs.get("approximate").and_then(Value::as_bool) == Some(true) => {
                func = Func::Act(Activation::GeluNew)
            }
            "nn.leaky_relu" => func = Func::LeakyRelu(arg("alpha", 0.2)?),
            "cast" | "dtypes.cast" => {
                func = match kwargs.get("dtype").and_then(Value::as_str) {
                    Some("float16" | "float32" | "float64" | "bfloat16") => Func::Unary(|x| x),
                    // Values stay float32 in the engine; the cast truncates.
                    Some("int8" | "int16" | "int32" | "int64" | "uint8" | "uint16") => {
                        Func::Unary(f32::trunc)
                    }
                    Some("bool") => Func::Unary(|x| f32::from(x != 0.0)),
                    other => {
                        return Err(c.err(
                            "function",
                            format!(
                                "tf.cast: dtype {other:?} is not supported (float, int or bool)"
                            ),
                        ))
                    }
                }
            }
            "clip_by_value" => {
                func = Func::Clip(
                    arg("clip_value_min", f32::NEG_INFINITY)?,
                    arg("clip_value_max", f32::INFINITY)?,
                )
            }
            _ => {}
        }
        let mut sargs = StructuredArgs {
            epsilon: 1e-12,
            ..Default::default()
        };
        let fail = |k: &str, what: &str| {
            c.err(
                "function",
                format!(
                    "tf.{function}: argument {k}: expected {what}, got {}",
                    kwargs.get(k).unwrap_or(&Value::Null)
                ),
            )
        };
        match func {
            Func::Reduce(_) | Func::L2Normalize | Func::Concat | Func::Rowwise(_) => {
                sargs.axes = match kwargs.get("axis") {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(a)) => Some(
                        a.iter()
                            .map(Value::as_i64)
                            .collect::<Option<Vec<i64>>>()
                            .ok_or_else(|| fail("axis", "an integer or a list of integers"))?,
                    ),
                    Some(v) => Some(vec![v
                        .as_i64()
                        .ok_or_else(|| fail("axis", "an integer"))?]),
                };
                sargs.keepdims = kwargs
                    .get("keepdims")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                sargs.epsilon = arg("epsilon", 1e-12)?;
                if matches!(func, Func::Concat) && sargs.axes.as_ref().is_none_or(|a| a.len() != 1)
                {
                    return Err(fail("axis", "one integer"));
                }
            }
            Func::Pool { .. } => {
                sargs.ksize = hw(kwargs.get("ksize"))
                    .ok_or_else(|| fail("ksize", "an int or [h, w] / [1, h, w, 1]"))?;
                sargs.strides = hw(kwargs.get("strides"))
                    .ok_or_else(|| fail("strides", "an int or [h, w] / [1, h, w, 1]"))?;
                sargs.same = match kwargs.get("padding").and_then(Value::as_str) {
                    Some("SAME") => true,
                    Some("VALID") => false,
                    _ => return Err(fail("padding", "\"VALID\" or \"SAME\"")),
                };
                if kwargs
                    .get("data_format")
                    .and_then(Value::as_str)
                    .is_some_and(|f| f != "NHWC")
                {
                    return Err(fail("data_format", "\"NHWC\""));
                }
            }
            Func::Resize => {
                sargs.size =
                    hw(kwargs.get("size")).ok_or_else(|| fail("size", "[height, width]"))?;
                sargs.nearest = match kwargs
                    .get("method")
                    .and_then(Value::as_str)
                    .unwrap_or("bilinear")
                {
                    "bilinear" => false,
                    "nearest" => true,
                    _ => return Err(fail("method", "\"bilinear\" or \"nearest\"")),
                };
                if kwargs.get("antialias").and_then(Value::as_bool) == Some(true)
                    || kwargs.get("preserve_aspect_ratio").and_then(Value::as_bool) == Some(true)
                {
                    return Err(fail("antialias", "false (and preserve_aspect_ratio false)"));
                }
            }
            Func::Shape(f) => {
                let ints = |k: &str| -> Option<Vec<i64>> {
                    match kwargs.get(k)? {
                        Value::Array(a) => a.iter().map(Value::as_i64).collect(),
                        v => v.as_i64().map(|i| vec![i]),
                    }
                };
                match f {
                    ShapeFn::ExpandDims | ShapeFn::Stack => {
                        sargs.axes = Some(
                            ints("axis")
                                .filter(|a| a.len() == 1)
                                .ok_or_else(|| fail("axis", "one integer"))?,
                        );
                    }
                    ShapeFn::Squeeze => sargs.axes = ints("axis"),
                    ShapeFn::Gather => {
                        if kwargs
                            .get("batch_dims")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)
                            != 0
                        {
                            return Err(fail("batch_dims", "0"));
                        }
                        sargs.ints = ints("indices")
                            .filter(|i| !i.is_empty() && i.len() <= 1 << 20)
                            .ok_or_else(|| fail("indices", "a constant list of integers"))?;
                        sargs.axes = Some(vec![kwargs
                            .get("axis")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)]);
                    }
                    ShapeFn::Cumsum => {
                        sargs.axes = Some(vec![kwargs
                            .get("axis")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)]);
                        sargs.exclusive =
                            kwargs.get("exclusive").and_then(Value::as_bool) == Some(true);
                        sargs.reverse =
                            kwargs.get("reverse").and_then(Value::as_bool) == Some(true);
                    }
                    ShapeFn::Reverse => {
                        sargs.axes = Some(
                            ints("axis")
                                .filter(|a| !a.is_empty())
                                .ok_or_else(|| fail("axis", "a list of axes"))?,
                        );
                    }
                    ShapeFn::OneHot => {
                        sargs.ints = ints("depth")
                            .filter(|d| d.len() == 1 && (1..=1 << 20).contains(&d[0]))
                            .ok_or_else(|| fail("depth", "a positive integer"))?;
                        if kwargs.get("axis").and_then(Value::as_i64).unwrap_or(-1) != -1 {
                            return Err(fail("axis", "-1 (a new last axis)"));
                        }
                        sargs.on_off = [arg("on_value", 1.0)?, arg("off_value", 0.0)?];
                    }
                    ShapeFn::DepthToSpace | ShapeFn::SpaceToDepth => {
                        sargs.ints = ints("block_size")
                            .filter(|b| b.len() == 1 && (2..=1 << 10).contains(&b[0]))
                            .ok_or_else(|| fail("block_size", "an integer of at least 2"))?;
                        if kwargs
                            .get("data_format")
                            .and_then(Value::as_str)
                            .is_some_and(|f| f != "NHWC")
                        {
                            return Err(fail("data_format", "\"NHWC\""));
                        }
                    }
                    ShapeFn::Tile => {
                        sargs.ints = ints("multiples")
                            .filter(|m| m.iter().all(|&x| (1..=1 << 20).contains(&x)))
                            .ok_or_else(|| fail("multiples", "a list of positive integers"))?;
                    }
                    ShapeFn::Split => {
                        sargs.ints = ints("num_or_size_splits")
                            .filter(|m| !m.is_empty() && m.iter().all(|&x| x >= 0))
                            .ok_or_else(|| {
                                fail("num_or_size_splits", "a count or a list of sizes")
                            })?;
                        sargs.axes = Some(vec![kwargs
                            .get("axis")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)]);
                    }
                    ShapeFn::Pad => {
                        if kwargs
                            .get("mode")
                            .and_then(Value::as_str)
                            .is_some_and(|m| !m.eq_ignore_ascii_case("constant"))
                        {
                            return Err(fail("mode", "\"CONSTANT\""));
                        }
                        sargs.paddings = kwargs
                            .get("paddings")
                            .and_then(Value::as_array)
                            .and_then(|rows| {
                                rows.iter()
                                    .map(|r| {
                                        let r = r.as_array()?;
                                        let (a, b) = (r.first()?.as_u64()?, r.get(1)?.as_u64()?);
                                        (r.len() == 2 && a <= 1 << 20 && b <= 1 << 20)
                                            .then_some([a as usize, b as usize])
                                    })
                                    .collect::<Option<Vec<_>>>()
                            })
                            .ok_or_else(|| fail("paddings", "[[before, after], …] per axis"))?;
                        sargs.pad_value = arg("constant_values", 0.0)?;
                    }
                }
            }
            _ => {}
        }
        let inner = match (&func, function.as_str()) {
            (Func::Op, "reshape" | "compat.v1.reshape") => {
                let shape = match kwargs.get("shape") {
                    Some(Value::Array(a)) => {
                        a.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>()
                    }
                    _ => None,
                }
                .filter(|s| {
                    s.iter().filter(|&&d| d == -1).count() <= 1 && s.iter().all(|&d| d >= -1)
                })
                .ok_or_else(|| fail("shape", "a list of sizes with at most one -1"))?;
                Some(super::keras3_ops::Kind::Reshape(shape))
            }
            (Func::Op, "transpose" | "compat.v1.transpose") => {
                let perm = match kwargs.get("perm").or_else(|| kwargs.get("a")) {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(a)) => Some(
                        a.iter()
                            .map(|x| x.as_u64().map(|u| u as usize))
                            .collect::<Option<Vec<usize>>>()
                            .ok_or_else(|| fail("perm", "a list of axes"))?,
                    ),
                    Some(_) => return Err(fail("perm", "a list of axes")),
                };
                if kwargs.get("conjugate").and_then(Value::as_bool) == Some(true) {
                    return Err(fail("conjugate", "false"));
                }
                Some(super::keras3_ops::Kind::Transpose(perm))
            }
            (Func::Op, "linalg.matmul" | "matmul") => {
                let flag = |k: &str| kwargs.get(k).and_then(Value::as_bool) == Some(true);
                if kwargs
                    .get("b")
                    .is_none_or(|b| crate::topology::kwarg_tensor(b).is_none())
                {
                    return Err(fail("b", "a tensor"));
                }
                // Real tensors: an adjoint is the transpose.
                Some(super::keras3_ops::Kind::Matmul {
                    transpose_a: flag("transpose_a") || flag("adjoint_a"),
                    transpose_b: flag("transpose_b") || flag("adjoint_b"),
                })
            }
            (Func::Op, _) => {
                let key = kwargs
                    .get("slice_spec")
                    .and_then(super::keras3_ops::parse_key)
                    .ok_or_else(|| {
                        fail(
                            "slice_spec",
                            "integers, slices and one Ellipsis (no tf.newaxis)",
                        )
                    })?;
                Some(super::keras3_ops::Kind::GetItem(key))
            }
            _ => None,
        }
        .map(|k| super::keras3_ops::Operation::with_kind("tf function", c.name(), k));
        let x_const = match kwargs.get("_CONSTANT_VALUE") {
            None => None,
            Some(v) => Some(number(v).ok_or_else(|| {
                c.err(
                    "function",
                    format!("tf.{function}: constant argument {v} is not a number"),
                )
            })?),
        };
        if x_const.is_some() && !matches!(y, Some(Arg::Tensor(_))) {
            return Err(c.err(
                "function",
                format!("tf.{function}: a constant first argument needs a tensor `y`"),
            ));
        }
        if matches!(func, Func::Where) && (x.is_none() || y.is_none()) {
            return Err(c.err(
                "function",
                "tf.where needs both x and y (the one-argument form returns indices, whose count depends on the data)",
            ));
        }
        if matches!(func, Func::Binary(_)) && y.is_none() {
            return Err(c.err(
                "function",
                format!("tf.{function} needs a second operand `y` in the call's kwargs"),
            ));
        }
        Ok(TfOpLambda {
            class,
            base: Base::parse(c)?,
            function,
            func,
            y,
            x,
            tensor_kwargs,
            x_const,
            args: sargs,
            inner,
        })
    }
}

impl Layer for TfOpLambda {
    fn per_sample(&self) -> bool {
        // Elementwise functions (with scalar or same-batch tensor operands)
        // never read across the batch; reductions, reshapes and the other
        // structured functions may, so they keep the batch whole.
        matches!(
            self.func,
            Func::Unary(_) | Func::Act(_) | Func::Binary(_) | Func::LeakyRelu(_) | Func::Clip(..)
        )
    }
    fn class_name(&self) -> &str {
        self.class
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.base.write(&mut m);
        m.insert("function".into(), Value::String(self.function.clone()));
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let x = inputs.first().ok_or_else(|| {
            self.base
                .err(format!("tf.{} needs a tensor argument", self.function))
        })?;
        if let Some(op) = &self.inner {
            return op.output_shapes(inputs);
        }
        if let Func::Shape(f) = self.func {
            let positional = &inputs[..inputs.len() - self.tensor_kwargs];
            return self
                .shape_fn_shapes(f, positional)
                .map_err(|e| self.base.err(format!("tf.{}: {e}", self.function)));
        }
        let out = match (&self.func, &self.y) {
            (Func::Binary(_), Some(Arg::Tensor(k))) if self.x_const.is_some() => inputs
                .get(inputs.len() - self.tensor_kwargs + k)
                .ok_or_else(|| self.base.err("the tensor argument y is missing"))?
                .clone(),
            (Func::Binary(_), Some(Arg::Tensor(k))) => {
                let y = inputs
                    .get(inputs.len() - self.tensor_kwargs + k)
                    .ok_or_else(|| self.base.err("the tensor argument y is missing"))?;
                self.broadcast_shapes(x, y)?
            }
            (Func::Binary(_), Some(Arg::Const(t))) => {
                let y: Shape = t.shape().iter().map(|&d| Some(d)).collect();
                self.broadcast_shapes(x, &y)?
            }
            (Func::Where, _) => {
                let mut out = x.clone();
                for arg in [&self.x, &self.y].into_iter().flatten() {
                    let s = self.arg_shape(arg, inputs)?;
                    out = self.broadcast_shapes(&out, &s)?;
                }
                out
            }
            (Func::Reduce(_), _) => reduce_shape(x, &self.args.axes, self.args.keepdims)
                .map_err(|e| self.base.err(format!("tf.{}: {e}", self.function)))?,
            (Func::Concat, _) => {
                let axis = self.args.axes.as_ref().map_or(0, |a| a[0]);
                concat_shape(&inputs[..inputs.len() - self.tensor_kwargs], axis)
                    .map_err(|e| self.base.err(format!("tf.concat: {e}")))?
            }
            (Func::Pool { .. }, _) => {
                check_rank(&self.base, x.len(), 4, "[batch, height, width, channels]")?;
                let mut o = x.clone();
                for i in 0..2 {
                    o[i + 1] = match x[i + 1] {
                        None => None,
                        Some(n) => Some(self.pool_dim(n, i)?),
                    };
                }
                o
            }
            (Func::Resize, _) => {
                check_rank(&self.base, x.len(), 4, "[batch, height, width, channels]")?;
                vec![x[0], Some(self.args.size[0]), Some(self.args.size[1]), x[3]]
            }
            _ => x.clone(),
        };
        Ok(vec![out])
    }
    fn pointwise(&self) -> Option<crate::Pointwise> {
        use std::sync::Arc;
        if self.inner.is_some() || self.tensor_kwargs != 0 || self.x_const.is_some() {
            return None;
        }
        // The same arithmetic as `call`, value by value.
        Some(match (self.func, &self.y) {
            (Func::Unary(f), _) => {
                Arc::new(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = f(*v)))
            }
            (Func::Act(a), _) => {
                Arc::new(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = a.scalar(*v)))
            }
            (Func::LeakyRelu(alpha), _) => Arc::new(move |x: &mut [f32]| {
                x.iter_mut()
                    .for_each(|v| *v = if *v >= 0.0 { *v } else { alpha * *v })
            }),
            (Func::Clip(lo, hi), _) => {
                Arc::new(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = v.max(lo).min(hi)))
            }
            (Func::Binary(op), Some(Arg::Scalar(s))) => {
                let s = *s;
                Arc::new(move |x: &mut [f32]| op.scalar_inplace(x, s))
            }
            _ => return None,
        })
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = inputs.first().ok_or_else(|| {
            input_err(
                &self.base.name,
                format!("tf.{} needs a tensor argument", self.function),
            )
        })?;
        let xs = f32s(x);
        let shape = x.shape().to_vec();
        if let Some(op) = &self.inner {
            return op.call(inputs, _masks);
        }
        if let Func::Shape(f) = self.func {
            let positional = &inputs[..inputs.len() - self.tensor_kwargs];
            return self
                .shape_fn(f, positional)
                .map_err(|e| input_err(&self.base.name, format!("tf.{}: {e}", self.function)));
        }
        match (&self.func, &self.y) {
            (Func::Op, _) | (Func::Shape(_), _) => {
                Err(input_err(&self.base.name, "internal: not built"))
            }
            (Func::Unary(f), _) => {
                let out = xs.iter().map(|&v| f(v)).collect();
                Ok(vec![make_tensor(&self.base, shape, out)?])
            }
            (Func::Act(a), _) => {
                let out = xs.iter().map(|&v| a.scalar(v)).collect();
                Ok(vec![make_tensor(&self.base, shape, out)?])
            }
            (Func::LeakyRelu(alpha), _) => {
                let out = xs
                    .iter()
                    .map(|&v| if v >= 0.0 { v } else { alpha * v })
                    .collect();
                Ok(vec![make_tensor(&self.base, shape, out)?])
            }
            (Func::Clip(lo, hi), _) => {
                let out = xs.iter().map(|v| v.max(*lo).min(*hi)).collect();
                Ok(vec![make_tensor(&self.base, shape, out)?])
            }
            (Func::Rowwise(a), _) => {
                // Over `axis` (default the last): moved last and back.
                let rank = shape.len();
                let axis = match self.args.axes.as_deref() {
                    None => rank.saturating_sub(1),
                    Some([a]) => shape_fns::axis_of(*a, rank, 0).map_err(|e| {
                        input_err(&self.base.name, format!("tf.{}: {e}", self.function))
                    })?,
                    Some(a) => {
                        return Err(input_err(
                            &self.base.name,
                            format!("tf.{}: one axis expected, got {a:?}", self.function),
                        ))
                    }
                };
                let out = apply_along(*a, &xs, &shape, axis);
                Ok(vec![make_tensor(&self.base, shape, out)?])
            }
            (Func::Reduce(how), _) => {
                Ok(vec![reduce(x, *how, &self.args.axes, self.args.keepdims)
                    .map_err(|e| {
                    input_err(&self.base.name, format!("tf.{}: {e}", self.function))
                })?])
            }
            (Func::L2Normalize, _) => {
                let sq = Tensor::from_f32(shape.clone(), xs.iter().map(|v| v * v).collect())?;
                let sum = reduce(&sq, Reduce::Sum, &self.args.axes, true).map_err(|e| {
                    input_err(&self.base.name, format!("tf.{}: {e}", self.function))
                })?;
                let (ss, sum_shape) = (f32s(&sum), sum.shape().to_vec());
                let eps = self.args.epsilon;
                let out = xs
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v / ss[broadcast_index(i, &shape, &sum_shape)].max(eps).sqrt())
                    .collect();
                Ok(vec![make_tensor(&self.base, shape, out)?])
            }
            (Func::Concat, _) => {
                let axis = self.args.axes.as_ref().map_or(0, |a| a[0]);
                Ok(vec![concat(
                    &inputs[..inputs.len() - self.tensor_kwargs],
                    axis,
                )
                .map_err(|e| {
                    input_err(&self.base.name, format!("tf.concat: {e}"))
                })?])
            }
            (Func::Pool { max }, _) => {
                check_rank(
                    &self.base,
                    shape.len(),
                    4,
                    "[batch, height, width, channels]",
                )?;
                let padding = if self.args.same {
                    tfjs_kernels::Padding::Same
                } else {
                    tfjs_kernels::Padding::Valid
                };
                let p = tfjs_kernels::Pool2dParams::new(
                    shape[0],
                    [shape[1], shape[2]],
                    shape[3],
                    self.args.ksize,
                    self.args.strides,
                    padding,
                )
                .map_err(|e| input_err(&self.base.name, format!("tf.{}: {e}", self.function)))?;
                let mut out = vec![0f32; p.batch * p.out_h * p.out_w * p.channels];
                if *max {
                    tfjs_kernels::max_pool2d(&xs, &p, &mut out);
                } else {
                    tfjs_kernels::avg_pool2d(&xs, &p, &mut out);
                }
                Ok(vec![make_tensor(
                    &self.base,
                    vec![p.batch, p.out_h, p.out_w, p.channels],
                    out,
                )?])
            }
            (Func::Resize, _) => {
                check_rank(
                    &self.base,
                    shape.len(),
                    4,
                    "[batch, height, width, channels]",
                )?;
                let [oh, ow] = self.args.size;
                let out = super::preprocessing::resize(
                    &xs,
                    (shape[0], shape[1], shape[2], shape[3]),
                    (oh, ow),
                    self.args.nearest,
                );
                Ok(vec![make_tensor(
                    &self.base,
                    vec![shape[0], oh, ow, shape[3]],
                    out,
                )?])
            }
            (Func::Binary(f), Some(Arg::Tensor(k))) if self.x_const.is_some() => {
                let c = self.x_const.unwrap_or(0.0);
                let y = inputs
                    .get(inputs.len() - self.tensor_kwargs + k)
                    .ok_or_else(|| {
                        input_err(&self.base.name, "the tensor argument y is missing")
                    })?;
                let out = f.zip(&f32s(y), Operand::ScalarFirst(c));
                Ok(vec![make_tensor(&self.base, y.shape().to_vec(), out)?])
            }
            (Func::Binary(f), Some(y)) => {
                let y = match y {
                    Arg::Scalar(s) => {
                        let out = f.zip(&xs, Operand::Scalar(*s));
                        return Ok(vec![make_tensor(&self.base, shape, out)?]);
                    }
                    Arg::Const(t) => t,
                    Arg::Tensor(k) => inputs
                        .get(inputs.len() - self.tensor_kwargs + k)
                        .ok_or_else(|| {
                            input_err(&self.base.name, "the tensor argument y is missing")
                        })?,
                };
                let ys = f32s(y);
                let out_shape = broadcast(&shape, y.shape()).ok_or_else(|| {
                    input_err(
                        &self.base.name,
                        format!(
                            "tf.{}: shapes {:?} and {:?} do not broadcast",
                            self.function,
                            shape,
                            y.shape()
                        ),
                    )
                })?;
                let n: usize = out_shape.iter().product();
                let out = if out_shape == shape && y.shape() == shape.as_slice() {
                    f.zip(&xs, Operand::Same(&ys))
                } else {
                    (0..n)
                        .map(|i| {
                            f.apply(
                                xs[broadcast_index(i, &out_shape, &shape)],
                                ys[broadcast_index(i, &out_shape, y.shape())],
                            )
                        })
                        .collect()
                };
                Ok(vec![make_tensor(&self.base, out_shape, out)?])
            }
            (Func::Binary(_), None) => Err(input_err(&self.base.name, "missing operand y")),
            (Func::Where, _) => {
                let (Some(xa), Some(ya)) = (&self.x, &self.y) else {
                    return Err(input_err(&self.base.name, "tf.where needs x and y"));
                };
                let (xv, xs_shape) = self.arg_values(xa, inputs)?;
                let (yv, ys_shape) = self.arg_values(ya, inputs)?;
                let out_shape = broadcast(&shape, &xs_shape)
                    .and_then(|s| broadcast(&s, &ys_shape))
                    .ok_or_else(|| {
                        input_err(
                            &self.base.name,
                            format!(
                                "tf.where: shapes {shape:?}, {xs_shape:?} and {ys_shape:?} do not broadcast"
                            ),
                        )
                    })?;
                let n: usize = out_shape.iter().product();
                let out = (0..n)
                    .map(|i| {
                        if xs[broadcast_index(i, &out_shape, &shape)] != 0.0 {
                            xv[broadcast_index(i, &out_shape, &xs_shape)]
                        } else {
                            yv[broadcast_index(i, &out_shape, &ys_shape)]
                        }
                    })
                    .collect();
                Ok(vec![make_tensor(&self.base, out_shape, out)?])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast(&[2, 3], &[3]), Some(vec![2, 3]));
        assert_eq!(broadcast(&[2, 1, 4], &[3, 1]), Some(vec![2, 3, 4]));
        assert_eq!(broadcast(&[2, 3], &[2]), None);
        // [2,3] + [3]: element (1, 2) reads y[2].
        assert_eq!(broadcast_index(5, &[2, 3], &[3]), 2);
        assert_eq!(broadcast_index(5, &[2, 3], &[2, 1]), 1);
    }
}

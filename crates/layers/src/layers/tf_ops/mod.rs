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

mod aliases;
mod build;
mod crelu;
pub(crate) use aliases::resolve as resolve_alias;
pub(crate) use build::V1Resize;
mod dynamic;
mod elementwise;
mod resize_fit;
mod shape_fns;
mod structured;

pub(crate) use elementwise::{
    broadcast_index, broadcast_symbolic, broadcast_where, broadcast_zip, sign,
};
use elementwise::{lookup, BinOp, Operand};
pub(crate) use shape_fns::{
    axis_of, cumulative, gather, pad, reverse, split, tile, unstack, PadMode, Running,
};

use super::common::*;
use super::keras3_ops::{concat, concat_shape, reduce, reduce_shape, scale_by_norm, Reduce};
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
    if let Some(why) = structured::refusal(f) {
        return Some(format!("{f} ({why})"));
    }
    lookup(aliases::name(f)).is_none().then(|| f.to_string())
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
    /// `tf.nn.silu(x, beta)`: `x · sigmoid(beta · x)`.
    Silu(f32),
    /// Functions with arguments of their own: `structured.rs`.
    Structured,
    /// `tf.clip_by_value(x, min, max)`.
    Clip(f32, f32),
    /// `tf.math.reduce_*` (axis, keepdims).
    Reduce(Reduce),
    /// `tf.math.l2_normalize` (axis, epsilon).
    L2Normalize,
    /// `tf.clip_by_norm` (clip_norm, axes): `t * clip / max(‖t‖, clip)`.
    ClipByNorm,
    /// `tf.concat` (axis).
    Concat,
    /// `tf.math.add_n([a, b, …])`: the sum of tensors of one shape.
    AddN,
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
    /// Sizes read at run time (`tf.shape`, `tf.ones`): see `dynamic.rs`.
    Dynamic,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ShapeFn {
    ExpandDims,
    Squeeze,
    Stack,
    Tile,
    Pad,
    Split,
    /// `tf.unstack`: one output per element along the axis, the axis gone.
    Unstack,
    /// `tf.gather` with constant indices along one axis.
    Gather,
    /// `tf.math.cumsum` / `cumprod` (`exclusive`, `reverse`).
    Cumulative(Running),
    /// `tf.reverse` (axes).
    Reverse,
    /// `tf.nn.depth_to_space` / `space_to_depth` (NHWC, `block_size`).
    DepthToSpace,
    SpaceToDepth,
    /// `tf.one_hot` (`depth`, `on_value`, `off_value`; a new axis at
    /// `axis`, the last by default).
    OneHot,
    /// `tf.nn.crelu` (axis): `crelu.rs`.
    Crelu,
    /// `tf.sequence_mask(lengths, maxlen)`: a new last axis of `maxlen`,
    /// 1 where its index is below the length.
    SequenceMask,
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

/// A constant array argument of a call: Keras 3's `__numpy__` /
/// `__tensor__` (its `config.value`) or Keras 2's nested lists (numbers or
/// booleans); `None` for anything else.
pub(crate) fn constant_argument(v: &Value) -> Option<Tensor> {
    let value = match v.get("class_name").and_then(Value::as_str) {
        Some("__numpy__" | "__tensor__") => v.pointer("/config/value")?,
        Some(_) => return None,
        None => v,
    };
    constant_array(value)
}

/// A constant array written as nested lists of numbers (or booleans, as
/// 0 / 1): its tensor, or `None` if the lists are ragged or hold anything
/// else.
pub(crate) fn constant_array(v: &Value) -> Option<Tensor> {
    if v.is_boolean() {
        // A flag, not an array (booleans are read inside arrays only).
        return None;
    }
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
                // Booleans (a constant mask) as 0 / 1.
                out.push(match v {
                    Value::Bool(b) => f32::from(*b),
                    v => v.as_f64()? as f32,
                });
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
    crate::error::short_json(v, 120)
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
    /// A constant first argument (`1.0 / y`, or an array: `c - y`), a
    /// [`Arg::Scalar`] or [`Arg::Const`]; the first input is then only the
    /// call's anchor and is not read.
    x_const: Option<Arg>,
    /// The structured functions' arguments, as read from the kwargs.
    args: StructuredArgs,
    /// `Func::Op`: the Keras 3 operation computing it.
    inner: Option<super::keras3_ops::Operation>,
    /// A call whose sizes are read at run time (`tf.shape(x)[0]`).
    dynamic: Option<dynamic::Dynamic>,
    /// `Func::Structured`: the function and its arguments.
    structured: Option<structured::Op>,
    /// A convolution or max pooling given explicit padding: the first
    /// input padded before the function runs with VALID padding.
    pre_pad: Option<PrePad>,
}

/// Widths `[before, after]` per axis and the value padded in.
#[derive(Debug, Clone)]
struct PrePad {
    pads: Vec<[usize; 2]>,
    fill: f32,
}

/// Arguments of the reduction, concat, pooling and resize functions.
#[derive(Debug, Clone, Default)]
struct StructuredArgs {
    axes: Option<Vec<i64>>,
    keepdims: bool,
    /// `tf.math.l2_normalize`'s epsilon.
    epsilon: f32,
    /// `tf.clip_by_norm`'s clip_norm.
    clip_norm: f32,
    /// Pooling window and strides `[h, w]`, and `"SAME"` padding.
    ksize: [usize; 2],
    strides: [usize; 2],
    same: bool,
    /// `nn.max_pool1d` / `nn.avg_pool1d` on `[batch, steps, channels]`.
    pool_1d: bool,
    /// Resize target `[h, w]` and method (`None`: bilinear).
    size: [usize; 2],
    /// A resize target read when the model runs (`tf.shape(skip)[1:3]`).
    size_from: Option<dynamic::Dims>,
    resize_method: Option<super::preprocessing::Interpolation>,
    /// TF 1's sampling (`tf.compat.v1.image.resize*` without
    /// `half_pixel_centers`): `Some(align_corners)`.
    resize_v1_corners: Option<bool>,
    /// How the resize fits `size` (`resize_fit.rs`).
    resize_fit: resize_fit::Fit,
    /// `tf.tile` multiples / `tf.split` sizes (or one count).
    ints: Vec<i64>,
    /// `tf.pad` paddings `[before, after]` per axis and its mode.
    paddings: Vec<[usize; 2]>,
    pad_mode: PadMode,
    /// `tf.math.cumsum` / `cumprod`'s `exclusive` and `reverse`.
    exclusive: bool,
    reverse: bool,
    /// `tf.one_hot`'s `[on_value, off_value]`.
    on_off: [f32; 2],
    /// TF 1's `tf.compat.v1.where`: a rank-1 condition picks rows.
    where_rows: bool,
}

/// An int or a list of 1, 2 or 4 ints (`[1, h, w, 1]`) as `[h, w]`.
/// A 1-D window or stride (`k`, `[k]` or `[1, k, 1]`) as the `[k, 1]` of a
/// one-column image.
fn steps(v: Option<&Value>) -> Option<[usize; 2]> {
    let k = match v? {
        Value::Array(a) => match a.iter().map(Value::as_u64).collect::<Option<Vec<_>>>()?[..] {
            [k] | [1, k, 1] => k,
            _ => return None,
        },
        x => x.as_u64()?,
    };
    (k >= 1).then_some([k as usize, 1])
}

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
    /// `f(a, b)` with `a` and `b` (values, shape) broadcast to one shape
    /// (NumPy's rules), or an error naming both shapes.
    fn broadcast_apply(
        &self,
        f: BinOp,
        a: (&[f32], &[usize]),
        b: (&[f32], &[usize]),
    ) -> Result<(Vec<usize>, Vec<f32>)> {
        broadcast_zip(a, b, |x, y| f.apply(x, y)).ok_or_else(|| {
            input_err(
                &self.base.name,
                format!(
                    "tf.{}: shapes {:?} and {:?} do not broadcast",
                    self.function, a.1, b.1
                ),
            )
        })
    }

    /// Whether this is `x + y` (`Some(true)`) or `x * y` (`Some(false)`) of
    /// two tensors (`tf.__operators__.add`, `tf.math.multiply`, …), which
    /// the convolution fusion takes as a residual `Add` or a gate.
    pub(crate) fn sum_or_product(&self) -> Option<bool> {
        if self.inner.is_some() || self.x_const.is_some() || self.tensor_kwargs != 1 {
            return None;
        }
        match (self.func, &self.y) {
            (Func::Binary(BinOp::Add), Some(Arg::Tensor(0))) => Some(true),
            (Func::Binary(BinOp::Mul), Some(Arg::Tensor(0))) => Some(false),
            _ => None,
        }
    }
}

impl Layer for TfOpLambda {
    layer_flags!(downcast);
    fn per_sample(&self) -> bool {
        // Elementwise functions (with scalar or same-batch tensor operands)
        // never read across the batch; reductions, reshapes and the other
        // structured functions may, so they keep the batch whole.
        // Functions along given axes counted from 1 on never read across
        // the batch either (a negative axis may be the batch axis of a
        // rank-1 tensor); Keras 3 operations say for themselves.
        let from_one = |axes: &Option<Vec<i64>>| {
            axes.as_ref()
                .is_some_and(|a| !a.is_empty() && a.iter().all(|&a| a > 0))
        };
        match self.func {
            Func::Unary(_)
            | Func::Act(_)
            | Func::Binary(_)
            | Func::LeakyRelu(_)
            | Func::Silu(_)
            | Func::Clip(..) => true,
            Func::Structured => self.structured.as_ref().is_some_and(|s| s.per_sample()),
            Func::Shape(ShapeFn::Cumulative(_)) | Func::Reduce(_) | Func::Concat => {
                from_one(&self.args.axes)
            }
            Func::Op => self.inner.as_ref().is_some_and(|op| op.per_sample()),
            _ => false,
        }
    }
    layer_common!(names self.class);
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.base.write(&mut m);
        m.insert("function".into(), Value::String(self.function.clone()));
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        if let Some(p) = &self.pre_pad {
            let mut inputs = inputs.to_vec();
            let x = inputs
                .first_mut()
                .ok_or_else(|| self.base.err("needs an input"))?;
            if x.len() != p.pads.len() {
                return Err(self.base.err(format!(
                    "tf.{}: explicit padding of {} axes for an input of rank {}",
                    self.function,
                    p.pads.len(),
                    x.len()
                )));
            }
            for (d, w) in x.iter_mut().zip(&p.pads) {
                *d = d.map(|d| d + w[0] + w[1]);
            }
            return self.padded_output_shapes(&inputs);
        }
        self.padded_output_shapes(inputs)
    }
    fn pointwise(&self) -> Option<crate::Pointwise> {
        if self.pre_pad.is_some() {
            return None;
        }
        self.pointwise_fn()
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        if let Some(p) = &self.pre_pad {
            let mut inputs = inputs.to_vec();
            let x = inputs
                .first_mut()
                .ok_or_else(|| input_err(&self.base.name, "needs an input"))?;
            *x = pad(x, &p.pads, PadMode::Constant(p.fill))
                .map_err(|e| input_err(&self.base.name, format!("tf.{}: {e}", self.function)))?;
            return self.padded_call(&inputs, masks);
        }
        self.padded_call(inputs, masks)
    }
}

impl TfOpLambda {
    fn padded_output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let x = inputs.first().ok_or_else(|| {
            self.base
                .err(format!("tf.{} needs a tensor argument", self.function))
        })?;
        if let Some(d) = &self.dynamic {
            let positional = inputs.len() - self.tensor_kwargs;
            let out = d
                .output_shape(inputs, positional)
                .map_err(|e| self.base.err(format!("tf.{}: {e}", self.function)))?;
            return Ok(vec![out]);
        }
        if let Some(op) = &self.inner {
            return op.output_shapes(inputs);
        }
        if let Some(op) = &self.structured {
            return op
                .output_shapes(inputs, self.tensor_kwargs)
                .map_err(|e| self.base.err(format!("tf.{}: {e}", self.function)));
        }
        if let Func::Shape(f) = self.func {
            let positional = &inputs[..inputs.len() - self.tensor_kwargs];
            return self
                .shape_fn_shapes(f, positional)
                .map_err(|e| self.base.err(format!("tf.{}: {e}", self.function)));
        }
        let out = match (&self.func, &self.y) {
            (Func::Binary(_), Some(Arg::Tensor(k))) if self.x_const.is_some() => {
                let y = inputs
                    .get(inputs.len() - self.tensor_kwargs + k)
                    .ok_or_else(|| self.base.err("the tensor argument y is missing"))?;
                match &self.x_const {
                    Some(Arg::Const(t)) => {
                        let c: Shape = t.shape().iter().map(|&d| Some(d)).collect();
                        self.broadcast_shapes(&c, y)?
                    }
                    _ => y.clone(),
                }
            }
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
                if self.args.where_rows && x.len() == 1 {
                    // TF 1: a condition vector picks rows.
                    if let Some(xa) = &self.x {
                        let rank = self.arg_shape(xa, inputs)?.len().max(1);
                        out.resize(rank, Some(1));
                    }
                }
                for arg in [&self.x, &self.y].into_iter().flatten() {
                    let s = self.arg_shape(arg, inputs)?;
                    out = self.broadcast_shapes(&out, &s)?;
                }
                out
            }
            (Func::Reduce(_), _) => reduce_shape(x, &self.args.axes, self.args.keepdims)
                .map_err(|e| self.base.err(format!("tf.{}: {e}", self.function)))?,
            (Func::AddN, _) => {
                // One shape (a size known in one input and not another is taken).
                let mut out = x.clone();
                for s in &inputs[..inputs.len() - self.tensor_kwargs] {
                    let same = s.len() == out.len()
                        && out
                            .iter()
                            .zip(s)
                            .all(|(a, b)| a.is_none() || b.is_none() || a == b);
                    if !same {
                        return Err(self.base.err(format!(
                            "tf.math.add_n: inputs of shapes {} and {}",
                            shape_str(x),
                            shape_str(s)
                        )));
                    }
                    for (o, d) in out.iter_mut().zip(s) {
                        *o = o.or(*d);
                    }
                }
                out
            }
            (Func::Concat, _) => {
                let axis = self.args.axes.as_ref().map_or(0, |a| a[0]);
                concat_shape(&inputs[..inputs.len() - self.tensor_kwargs], axis)
                    .map_err(|e| self.base.err(format!("tf.concat: {e}")))?
            }
            (Func::Pool { .. }, _) => {
                // `nn.*_pool1d`: a sequence pools as a one-column image.
                let rank = if self.args.pool_1d { 3 } else { 4 };
                check_rank(
                    &self.base,
                    x.len(),
                    rank,
                    "[batch, height, width, channels]",
                )?;
                let mut o = x.clone();
                for i in 0..rank - 2 {
                    o[i + 1] = match x[i + 1] {
                        None => None,
                        Some(n) => Some(self.pool_dim(n, i)?),
                    };
                }
                o
            }
            (Func::Resize, _) => {
                check_rank(&self.base, x.len(), 4, "[batch, height, width, channels]")?;
                let [h, w] = match &self.args.size_from {
                    None => [Some(self.args.size[0]), Some(self.args.size[1])],
                    Some(dims) => {
                        let positional = inputs.len() - self.tensor_kwargs;
                        match dims.shape(inputs, positional).map_err(|e| {
                            self.base.err(format!("tf.{}: size: {e}", self.function))
                        })?[..]
                        {
                            [h, w] => [h, w],
                            ref other => {
                                return Err(self.base.err(format!(
                                    "tf.{}: size has {} values, expected [height, width]",
                                    self.function,
                                    other.len()
                                )))
                            }
                        }
                    }
                };
                match (self.args.resize_fit, x[1], x[2], h, w) {
                    (resize_fit::Fit::Exact, ..) => vec![x[0], h, w, x[3]],
                    (fit, Some(ih), Some(iw), Some(th), Some(tw)) => {
                        let [oh, ow] = fit.plan([th, tw], ih, iw).out;
                        vec![x[0], Some(oh), Some(ow), x[3]]
                    }
                    _ => {
                        return Err(self.base.err(format!(
                            "tf.{}: keeping the aspect ratio needs a known height and width",
                            self.function
                        )))
                    }
                }
            }
            _ => x.clone(),
        };
        Ok(vec![out])
    }
    fn pointwise_fn(&self) -> Option<crate::Pointwise> {
        use crate::Pointwise;
        use tfjs_kernels::PointOp;
        if self.inner.is_some() || self.tensor_kwargs != 0 || self.x_const.is_some() {
            return None;
        }
        // The same arithmetic as `call`, value by value.
        Some(match (self.func, &self.y) {
            (Func::Unary(f), _) => {
                Pointwise::func(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = f(*v)))
            }
            (Func::Act(a), _) => {
                Pointwise::func(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = a.scalar(*v)))
            }
            (Func::Silu(beta), _) => Pointwise::func(move |x: &mut [f32]| {
                x.iter_mut().for_each(|v| *v *= sigmoid(beta * *v))
            }),
            (Func::LeakyRelu(alpha), _) => Pointwise::func(move |x: &mut [f32]| {
                x.iter_mut()
                    .for_each(|v| *v = if *v >= 0.0 { *v } else { alpha * *v })
            }),
            // `max(x, lo)` then `min(·, hi)`, as `call` computes it.
            (Func::Clip(lo, hi), _) => Pointwise::Ops(vec![PointOp::Max(lo), PointOp::Min(hi)]),
            (Func::Binary(op), Some(Arg::Scalar(s))) => {
                let s = *s;
                match op.point_op(s) {
                    Some(p) => Pointwise::Ops(vec![p]),
                    None => Pointwise::func(move |x: &mut [f32]| op.scalar_inplace(x, s)),
                }
            }
            _ => return None,
        })
    }
    fn padded_call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = inputs.first().ok_or_else(|| {
            input_err(
                &self.base.name,
                format!("tf.{} needs a tensor argument", self.function),
            )
        })?;
        if let Some(d) = &self.dynamic {
            let positional = inputs.len() - self.tensor_kwargs;
            let out = d
                .call(&self.base.name, inputs, positional)
                .map_err(|e| input_err(&self.base.name, format!("tf.{}: {e}", self.function)))?;
            return Ok(vec![out]);
        }
        let xs = f32s(x);
        let shape = x.shape().to_vec();
        if let Some(op) = &self.inner {
            return op.call(inputs, _masks);
        }
        if let Some(op) = &self.structured {
            return op
                .call(inputs, self.tensor_kwargs)
                .map_err(|e| input_err(&self.base.name, format!("tf.{}: {e}", self.function)));
        }
        if let Func::Shape(f) = self.func {
            let positional = &inputs[..inputs.len() - self.tensor_kwargs];
            return self
                .shape_fn(f, positional)
                .map_err(|e| input_err(&self.base.name, format!("tf.{}: {e}", self.function)));
        }
        match (&self.func, &self.y) {
            (Func::Op, _) | (Func::Shape(_), _) | (Func::Dynamic, _) | (Func::Structured, _) => {
                Err(input_err(&self.base.name, "internal: not built"))
            }
            (Func::Silu(beta), _) => {
                let out = xs.iter().map(|&v| v * sigmoid(beta * v)).collect();
                Ok(vec![make_tensor(&self.base, shape, out)?])
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
            (Func::L2Normalize | Func::ClipByNorm, _) => {
                let (eps, clip) = (self.args.epsilon, self.args.clip_norm);
                let scaled = if matches!(self.func, Func::ClipByNorm) {
                    scale_by_norm(x, &self.args.axes, |v, sq| v * clip / sq.sqrt().max(clip))
                } else {
                    scale_by_norm(x, &self.args.axes, |v, sq| v / sq.max(eps).sqrt())
                };
                Ok(vec![scaled.map_err(|e| {
                    input_err(&self.base.name, format!("tf.{}: {e}", self.function))
                })?])
            }
            (Func::AddN, _) => {
                let all = &inputs[..inputs.len() - self.tensor_kwargs];
                let mut sum = f32s(&all[0]).into_owned();
                for t in &all[1..] {
                    if t.shape() != all[0].shape() {
                        return Err(input_err(
                            &self.base.name,
                            format!(
                                "tf.math.add_n: inputs of shapes {:?} and {:?}",
                                all[0].shape(),
                                t.shape()
                            ),
                        ));
                    }
                    sum.iter_mut()
                        .zip(f32s(t).iter())
                        .for_each(|(a, b)| *a += b);
                }
                Ok(vec![Tensor::from_f32(all[0].shape().to_vec(), sum)?])
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
                let shape: Vec<usize> = if self.args.pool_1d {
                    check_rank(&self.base, shape.len(), 3, "[batch, steps, channels]")?;
                    vec![shape[0], shape[1], 1, shape[2]]
                } else {
                    check_rank(
                        &self.base,
                        shape.len(),
                        4,
                        "[batch, height, width, channels]",
                    )?;
                    shape.to_vec()
                };
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
                let out_shape = if self.args.pool_1d {
                    vec![p.batch, p.out_h, p.channels]
                } else {
                    vec![p.batch, p.out_h, p.out_w, p.channels]
                };
                Ok(vec![make_tensor(&self.base, out_shape, out)?])
            }
            (Func::Resize, _) => {
                check_rank(
                    &self.base,
                    shape.len(),
                    4,
                    "[batch, height, width, channels]",
                )?;
                let [oh, ow] = match &self.args.size_from {
                    None => self.args.size,
                    Some(dims) => {
                        let positional = inputs.len() - self.tensor_kwargs;
                        let size = dims.values(inputs, positional).map_err(|e| {
                            input_err(&self.base.name, format!("tf.{}: size: {e}", self.function))
                        })?;
                        match size[..] {
                            [h, w] if (1..=1 << 20).contains(&h) && (1..=1 << 20).contains(&w) => {
                                [h as usize, w as usize]
                            }
                            _ => {
                                return Err(input_err(
                                    &self.base.name,
                                    format!(
                                    "tf.{}: size {size:?}: expected [height, width] from 1 to 2^20",
                                    self.function
                                ),
                                ))
                            }
                        }
                    }
                };
                if let Some(align_corners) = self.args.resize_v1_corners {
                    let method = match self.args.resize_method {
                        Some(super::preprocessing::Interpolation::Nearest) => {
                            tfjs_kernels::image::ResizeMethod::Nearest
                        }
                        _ => tfjs_kernels::image::ResizeMethod::Bilinear,
                    };
                    let image = tfjs_kernels::image::ImageShape {
                        batch: shape[0],
                        height: shape[1],
                        width: shape[2],
                        channels: shape[3],
                    };
                    let out = tfjs_kernels::image::resize(
                        &xs,
                        image,
                        [oh, ow],
                        method,
                        align_corners,
                        false,
                    );
                    let out_shape = vec![shape[0], oh, ow, shape[3]];
                    return Ok(vec![make_tensor(&self.base, out_shape, out)?]);
                }
                let plan = self.args.resize_fit.plan([oh, ow], shape[1], shape[2]);
                let [rh, rw] = plan.resized;
                let out = super::preprocessing::resize(
                    &xs,
                    (shape[0], shape[1], shape[2], shape[3]),
                    (rh, rw),
                    self.args
                        .resize_method
                        .unwrap_or(super::preprocessing::Interpolation::Bilinear),
                );
                let out = resize_fit::place(&out, shape[0], shape[3], &plan);
                Ok(vec![make_tensor(
                    &self.base,
                    vec![shape[0], plan.out[0], plan.out[1], shape[3]],
                    out,
                )?])
            }
            (Func::Binary(f), Some(Arg::Tensor(k))) if self.x_const.is_some() => {
                let y = inputs
                    .get(inputs.len() - self.tensor_kwargs + k)
                    .ok_or_else(|| {
                        input_err(&self.base.name, "the tensor argument y is missing")
                    })?;
                let (out_shape, out) = match &self.x_const {
                    Some(Arg::Const(c)) => {
                        self.broadcast_apply(*f, (&f32s(c), c.shape()), (&f32s(y), y.shape()))?
                    }
                    c => {
                        let c = match c {
                            Some(Arg::Scalar(c)) => *c,
                            _ => 0.0,
                        };
                        let out = f.zip(&f32s(y), Operand::ScalarFirst(c));
                        (y.shape().to_vec(), out)
                    }
                };
                Ok(vec![make_tensor(&self.base, out_shape, out)?])
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
                // Same shapes take the vectorized path; others broadcast.
                let (out_shape, out) = if y.shape() == shape.as_slice() {
                    (shape, f.zip(&xs, Operand::Same(&ys)))
                } else {
                    self.broadcast_apply(*f, (&xs, &shape), (&ys, y.shape()))?
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
                // TF 1: a condition vector picks rows of `x` / `y`.
                let shape = if self.args.where_rows && shape.len() == 1 && xs_shape.len() > 1 {
                    let mut s = vec![1; xs_shape.len()];
                    s[0] = shape[0];
                    s
                } else {
                    shape
                };
                let (out_shape, out) =
                    broadcast_where((&xs, &shape), (&xv, &xs_shape), (&yv, &ys_shape))
                        .ok_or_else(|| {
                            input_err(
                                &self.base.name,
                                format!(
                                    "tf.where: shapes {shape:?}, {xs_shape:?} and {ys_shape:?} do not broadcast"
                                ),
                            )
                        })?;
                Ok(vec![make_tensor(&self.base, out_shape, out)?])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::elementwise::broadcast;
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

    #[test]
    fn cumulative_logsumexp_follows_tensorflow() {
        // TensorFlow 2.21: tf.math.cumulative_logsumexp([1., 2., 3.]) ==
        // [1, 2.3132617, 3.4076061]; exclusive: [-inf, 1, 2.3132617];
        // exclusive and reverse: [3.3132617, 3, -inf].
        let x = Tensor::from_f32(vec![1, 3], vec![1.0, 2.0, 3.0]).unwrap();
        let run = |flags| f32s(&cumulative(&x, 1, Running::LogSumExp, flags).unwrap()).to_vec();
        let close = |a: Vec<f32>, b: [f32; 3]| {
            a.iter()
                .zip(b)
                .all(|(x, y)| x == &y || (x - y).abs() <= 1e-6 * y.abs())
        };
        assert!(close(run([false, false]), [1.0, 2.3132617, 3.4076061]));
        assert!(close(
            run([true, false]),
            [f32::NEG_INFINITY, 1.0, 2.3132617]
        ));
        assert!(close(
            run([true, true]),
            [3.3132617, 3.0, f32::NEG_INFINITY]
        ));
    }
}

//! Keras 3 operation nodes: `keras.ops` functions called on symbolic
//! tensors in a functional model (`x + 3.0`, `ops.relu(x)`,
//! `ops.not_equal(tokens, 0)` for masks, `ops.mean(x, axis=1)`), saved as
//! nodes named by the operation's class (`Add`, `Relu`, `NotEqual`, `Mean`)
//! with a config holding only the operation's own arguments. The topology
//! parser builds them as `ops.<class>` (so `Add` here is `ops.add`, not
//! the merge layer) and hands the call's arguments over in
//! `BuildContext::call_kwargs` (`_args`: positional arguments, a tensor
//! as `[layer, node, tensor]`, which are the layer's inputs in order).
//!
//! Booleans are float32 0/1, as the engine's tensors are float32.
//! One table per kind (elementwise binary, unary, reductions); an
//! operation not listed is refused when the model is built.

use super::common::*;
use super::tf_ops::{
    axis_of, broadcast_symbolic, broadcast_where, broadcast_zip, constant_array, cumulative,
    gather, split, unstack, Running,
};
use crate::activations::{sigmoid, Activation};
use crate::config::ConfigReader;
use crate::registry::BuildContext;
use crate::topology::KERAS3_OPERATION_PREFIX;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::{Map, Value};

mod adjust;
mod affine_transform;
mod batch_norm;
mod build;
mod center_window;
mod combined_nms;
mod const_conv;
mod crop_resize;
mod cross;
mod ctc;
mod dct;
mod depth_space;
mod diff;
mod dot_attention;
mod extra;
mod fft;
mod frame;
mod functions;
mod gamma;
mod gather;
mod gather_nd;
mod gaussian_blur;
mod hsv;
mod hue;
mod image;
mod index;
mod linalg_diag;
mod linalg_lu;
mod map_coordinates;
mod more_ops;
mod nan_reduce;
mod norm;
mod norm_ord;
mod numerics;
mod numpy_fns;
mod patches;
mod pool3d;
mod psnr;
mod reduce;
mod refused;
mod repeat;
mod rot90;
mod searchsorted;
mod segment;
mod select;
mod shape;
mod stats;
mod stft;
mod take_along;
mod tensordot;
mod update;
pub(crate) use tensordot::{contracted_axes, Tensordot};

pub(crate) use center_window::CenterWindow;
pub(crate) use combined_nms::CombinedNmsOp;
pub(crate) use const_conv::ConstConv;
pub(crate) use crop_resize::CropResize;
pub(crate) use cross::Cross;
pub(crate) use depth_space::{depth_space, depth_space_shape};
pub(crate) use dot_attention::MASKED as DOT_ATTENTION_MASKED;
pub(crate) use extra::{move_perm, ExtraOp};
pub(crate) use frame::Frame;
pub(crate) use functions::erfinv;
use functions::{binary, scalar_step, unary};
pub(crate) use gamma::{bessel_i0, bessel_i0e, digamma, igamma, igammac, lgamma};
pub(crate) use gather::Gather;
pub(crate) use gaussian_blur::GaussianBlur;
pub(crate) use image::{color_kernel, ImageOp};
pub(crate) use index::parse_einsum;
use index::{einsum, einsum_shape};
pub(crate) use index::{
    expand_ellipsis, get_item, get_item_shape, parse_key, slice_key, slice_range, strides_of,
    Einsum, Index,
};
pub(crate) use norm_ord::OrdNorm;
pub(crate) use numerics::NumericOp;
pub(crate) use patches::Patches;
pub(crate) use reduce::{
    concat, concat_shape, reduce, reduce_shape, scale_by_norm, weights_like, Reduce,
};
pub(crate) use repeat::Repeat;
pub(crate) use shape::ShapeOp;
pub(crate) use stats::StatOp;

/// An int or a list of ints (a Keras 3 operation's axes, sizes, repeats).
fn int_list(v: Option<&Value>) -> Option<Vec<i64>> {
    match v? {
        Value::Array(a) => a.iter().map(Value::as_i64).collect(),
        v => v.as_i64().map(|i| vec![i]),
    }
}

fn reduction(op: &str) -> Option<Reduce> {
    Some(match op {
        "Mean" => Reduce::Mean,
        // `amax` / `amin` are numpy's names of `max` / `min`.
        "Max" | "Amax" => Reduce::Max,
        "Min" | "Amin" => Reduce::Min,
        "Sum" => Reduce::Sum,
        "Any" => Reduce::Any,
        "All" => Reduce::All,
        "Var" => Reduce::Variance,
        "Std" => Reduce::Std,
        "Logsumexp" => Reduce::LogSumExp,
        "Norm" => Reduce::Norm,
        "Prod" => Reduce::Prod,
        "Argmax" => Reduce::ArgMax,
        "Argmin" => Reduce::ArgMin,
        // `average(x, axis)` without weights is the mean (with them:
        // `Kind::WeightedAverage`).
        "Average" => Reduce::Mean,
        _ => return None,
    })
}

/// Register `ops.<class>` for every supported operation.
/// Whether `class` (`ops.<Class>`) is a Keras 3 operation the engine
/// recognises only to refuse it by name (`refused.rs`): `tfjs layers`
/// does not list those as supported.
pub fn is_refused_operation(class: &str) -> bool {
    class
        .strip_prefix(crate::topology::KERAS3_OPERATION_PREFIX)
        .is_some_and(|c| refused::REFUSED.iter().any(|(r, _)| *r == c))
}

pub fn register(registry: &mut LayerRegistry) {
    // One table of Keras 3 operations (`tfjs_format::topology`); the ones
    // the engine computes are each handled by a function below.
    for op in tfjs_format::topology::KERAS3_OPERATIONS
        .iter()
        .filter(|o| o.computed)
    {
        let op = op.class;
        registry.register(&format!("{KERAS3_OPERATION_PREFIX}{op}"), move |c, ctx| {
            Ok(Box::new(Operation::from_config(op, c, ctx)?) as Box<dyn Layer>)
        });
    }
    refused::register(registry);
}

/// One argument of the call.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    /// The `k`-th input.
    Input(usize),
    Scalar(f32),
    /// An array the file holds (`__numpy__` / `__tensor__`: a NumPy array
    /// or an eager tensor at model-building time).
    Const(std::sync::Arc<Tensor>),
}

impl Operand {
    /// The two operands of a binary operation `op` (cloned), or why not.
    pub(crate) fn pair(
        op: &str,
        operands: &[Operand],
    ) -> std::result::Result<[Operand; 2], String> {
        match operands {
            [a, b] => Ok([a.clone(), b.clone()]),
            _ => Err(format!("{op} takes two operands, got {}", operands.len())),
        }
    }

    /// The operand's values and shape.
    fn values<'a>(
        &'a self,
        inputs: &'a [Tensor],
        err: impl Fn(String) -> crate::LayersError,
    ) -> Result<(std::borrow::Cow<'a, [f32]>, Vec<usize>)> {
        Ok(match self {
            Operand::Input(i) => {
                let t = inputs
                    .get(*i)
                    .ok_or_else(|| err(format!("needs input {i}, has {}", inputs.len())))?;
                (f32s(t), t.shape().to_vec())
            }
            Operand::Scalar(v) => (std::borrow::Cow::Owned(vec![*v]), Vec::new()),
            Operand::Const(t) => (f32s(t), t.shape().to_vec()),
        })
    }

    /// The operand's symbolic shape (`None`: an input not given).
    fn shape(&self, inputs: &[Shape]) -> Option<Shape> {
        match self {
            Operand::Input(i) => inputs.get(*i).cloned(),
            Operand::Scalar(_) => Some(Vec::new()),
            Operand::Const(t) => Some(t.shape().iter().map(|&d| Some(d)).collect()),
        }
    }
}

/// A constant argument (`{"class_name": "__numpy__" | "__tensor__",
/// "config": {"value": …}}`) as a tensor.
fn constant_operand(a: &Value) -> Option<Tensor> {
    let class = a.get("class_name").and_then(Value::as_str)?;
    if !matches!(class, "__numpy__" | "__tensor__") {
        return None;
    }
    let value = a.pointer("/config/value")?;
    match value.as_f64() {
        Some(v) => Tensor::from_f32(Vec::new(), vec![v as f32]).ok(),
        None => constant_array(value),
    }
}

/// `ops.split`'s `indices_or_sections`.
#[derive(Debug, Clone)]
pub(crate) enum SplitAt {
    /// Equal parts.
    Sections(usize),
    /// `array_split`'s parts: as equal as may be, the first `n % k` one
    /// larger (numpy's rule, which Keras's TensorFlow backend follows).
    Uneven(usize),
    /// Split points (numpy's indices).
    Indices(Vec<usize>),
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Binary(fn(f32, f32) -> f32, Operand, Operand),
    Unary(fn(f32) -> f32),
    /// `where(condition, x, y)`.
    Where(Operand, Operand, Operand),
    /// `clip(x, min, max)`.
    Clip(f32, f32),
    /// `cumsum(x, axis)` / `cumprod(x, axis)`.
    Cumulative(Running, i64),
    /// `split(x, indices_or_sections, axis)`: several outputs.
    Split(SplitAt, i64),
    /// `unstack(x, axis)`: one output per element along the axis.
    Unstack(i64),
    /// `take_along_axis(x, indices, axis)` (`keras3_ops/take_along.rs`).
    TakeAlongAxis(i64),
    /// `take(x, indices, axis)` with constant 1-D indices.
    Take(Vec<i64>, i64),
    /// `tf.gather` / `take` with a tensor of indices, the second input
    /// (`keras3_ops/gather.rs`).
    Gather(Gather),
    /// `stack([...], axis)`.
    Stack(i64),
    Act(Activation),
    /// `nn.leaky_relu(x, negative_slope)`.
    LeakyRelu(f32),
    /// `nn.elu(x, alpha)`: `x` above 0, else `alpha · (exp(x) - 1)`.
    Elu(f32),
    /// `nn.squareplus(x, b)` with `b` other than 4: `(x + sqrt(x² + b)) / 2`.
    Squareplus(f32),
    /// `round(x, decimals)` with `decimals` ≠ 0, as Keras's TensorFlow
    /// backend computes it: `round(x · f) / f` with `f = 10^decimals` in
    /// float32 (half to even).
    RoundTo(f32),
    /// `nn.glu(x, axis)`: the first half times the sigmoid of the second.
    Glu(i64),
    /// `nn.normalize(x, axis, order=2, epsilon)`: `x · min(1/‖x‖, 1/ε)`.
    Normalize {
        axis: i64,
        epsilon: f32,
    },
    /// `nan_to_num(x, nan, posinf, neginf)`.
    NanToNum([f32; 3]),
    /// `nn.max_pool` / `nn.average_pool` of NHWC images.
    Pool {
        max: bool,
        window: [usize; 2],
        strides: [usize; 2],
        padding: tfjs_kernels::Padding,
    },
    /// `nn.softmax` / `log_softmax` / `sparsemax` along `axis`.
    Softmax {
        how: Activation,
        axis: i64,
    },
    Reduce {
        how: Reduce,
        axes: Option<Vec<i64>>,
        keepdims: bool,
        /// `max` / `min`'s `initial`: the result is at least / most it
        /// (Keras's TensorFlow backend: `maximum(reduce_max(x), initial)`).
        initial: Option<f32>,
    },
    /// `average(x, axis, weights)` with constant weights: one per element
    /// along `axis` (a 1-D array) or one per element of `x`.
    WeightedAverage {
        axis: Option<i64>,
        weights: std::sync::Arc<Tensor>,
    },
    Transpose(Option<Vec<usize>>),
    /// The whole new shape, batch included; one `-1`.
    Reshape(Vec<i64>),
    Concatenate(i64),
    /// `a · b` over leading batch dimensions, either operand's last two
    /// dimensions transposed first (`tf.linalg.matmul`'s `transpose_a/b`).
    Matmul {
        transpose_a: bool,
        transpose_b: bool,
    },
    GetItem(Vec<Index>),
    /// The equation and the call's operands (tensor inputs and constants).
    Einsum(Einsum, Vec<Operand>),
    /// Insert a size-1 axis at this position (negative: from the end of
    /// the output shape, as `numpy.expand_dims`).
    ExpandDims(i64),
    /// `zeros_like` / `ones_like`: the fill value, the input's shape.
    Fill(f32),
    /// flip, squeeze, pad, tile (`keras3_ops/shape.rs`).
    Shape(ShapeOp),
    /// repeat (`keras3_ops/repeat.rs`).
    Repeat(Repeat),
    /// sort, top_k, tril/triu (band), moveaxis, one_hot, image.resize
    /// (`keras3_ops/extra.rs`).
    Extra(ExtraOp),
    /// image.rgb_to_grayscale, pad_images, crop_images,
    /// per_image_standardization (`keras3_ops/image.rs`).
    Image(ImageOp),
    /// count_nonzero, median / quantile, diagonal, segment reductions
    /// (`keras3_ops/stats.rs`).
    Stat(StatOp),
    /// `ops.nn.ctc_decode` (greedy).
    Ctc(ctc::CtcGreedy),
    /// `tensordot` (`keras3_ops/tensordot.rs`).
    Tensordot(tensordot::Tensordot),
    /// Keras 2's `tf.signal.frame` (`keras3_ops/frame.rs`).
    Frame(Frame),
    /// `nn.dot_product_attention` (`keras3_ops/dot_attention.rs`).
    DotAttention(dot_attention::DotAttention),
    /// `cross` (`keras3_ops/cross.rs`).
    Cross(Cross),
    /// `nn.layer_normalization` / `nn.rms_normalization`
    /// (`keras3_ops/norm.rs`).
    Norm(norm::NormOp),
    /// `norm(x, ord, axis)` with an explicit `ord` (`keras3_ops/norm_ord.rs`).
    OrdNorm(norm_ord::OrdNorm),
    /// `normalize(x, axis, order)` with an order other than 2: `x /
    /// maximum(norm(x, order, axis, keepdims=True), epsilon)`.
    OrdNormalize(norm_ord::OrdNorm, f32),
    /// Matrix algebra, NaN reductions, searchsorted, updates, rotations,
    /// cosine transforms, 3-D pools, hue (`keras3_ops/numerics.rs`).
    Numeric(numerics::NumericOp),
    /// `digitize(x, bins)` with constant bins: each value's bucket
    /// (`lookup::bucket`), int32.
    Digitize(std::sync::Arc<[f64]>),
    /// `tf.gather` with constant indices and `batch_dims`
    /// (`keras3_ops/gather.rs`).
    GatherConst(Gather, std::sync::Arc<Tensor>),
    /// Rows of a constant table by a tensor of indices, the input
    /// (`tf.nn.embedding_lookup(table, ids)`, `ops.take(table, ids,
    /// axis)`; `keras3_ops/gather.rs`).
    GatherTable(Gather, std::sync::Arc<Tensor>),
    /// `ops.nn.batch_normalization` with constant statistics
    /// (`keras3_ops/batch_norm.rs`).
    BatchNorm(batch_norm::BatchNormOp),
    /// `tf.image.crop_and_resize` with constant boxes
    /// (`keras3_ops/crop_resize.rs`).
    CropResize(CropResize),
    /// `tf.image.combined_non_max_suppression` (`keras3_ops/combined_nms.rs`).
    CombinedNms(CombinedNmsOp),
    /// Round 32's audit: saturate_cast, NaN-ignoring running totals and
    /// argmax, size, vdot, diag, cdist, cross-entropies, sobel_edges
    /// (`keras3_ops/more_ops.rs`).
    More(more_ops::MoreOp),
    /// `tf.math.polyval(coeffs, x)` with constant coefficients, highest
    /// power first ([`functions::polyval`]).
    Polyval(std::sync::Arc<[f32]>),
}

/// A Keras 3 operation node.
#[derive(Debug)]
pub struct Operation {
    op: &'static str,
    /// `ops.<op>`: the class it is saved under, so a re-saved model (TF.js
    /// layout) loads back as an operation, not as a same-named layer.
    class: String,
    base_name: String,
    config: Map<String, Value>,
    kind: Kind,
}

fn axes_of(v: Option<&Value>) -> Option<Option<Vec<i64>>> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(Value::as_i64)
            .collect::<Option<Vec<i64>>>()
            .map(Some),
        Some(v) => v.as_i64().map(|a| Some(vec![a])),
    }
}

/// The part sizes of `ops.split` along a dimension of `n` (unknown: each
/// part's size unknown unless sections are equal parts of a known size).
fn split_sizes(at: &SplitAt, n: Option<usize>) -> std::result::Result<Vec<Option<usize>>, String> {
    match at {
        SplitAt::Sections(k) => match n {
            Some(n) if n % k != 0 => Err(format!("{n} does not split into {k} equal parts")),
            n => Ok(vec![n.map(|n| n / k); *k]),
        },
        SplitAt::Uneven(k) => Ok((0..*k)
            .map(|i| n.map(|n| n / k + usize::from(i < n % k)))
            .collect()),
        SplitAt::Indices(points) => {
            let mut bounds = vec![0];
            bounds.extend(points.iter().copied());
            if bounds.windows(2).any(|w| w[1] < w[0])
                || n.is_some_and(|n| bounds.last().is_some_and(|&b| b > n))
            {
                return Err(format!(
                    "split points {points:?} must rise and stay within {n:?}"
                ));
            }
            let mut sizes: Vec<Option<usize>> =
                bounds.windows(2).map(|w| Some(w[1] - w[0])).collect();
            sizes.push(n.map(|n| n - bounds.last().copied().unwrap_or(0)));
            Ok(sizes)
        }
    }
}

/// Where `expand_dims(x, axis)` inserts the new axis into a rank-`rank`
/// shape (`axis` counts in the output's rank + 1 positions).
fn expand_position(axis: i64, rank: usize) -> std::result::Result<usize, String> {
    let out_rank = rank as i64 + 1;
    let at = if axis < 0 { axis + out_rank } else { axis };
    if (0..out_rank).contains(&at) {
        Ok(at as usize)
    } else {
        Err(format!("axis {axis} is out of range for rank {rank}"))
    }
}

impl Operation {
    /// `Some(true)` for `x + y`, `Some(false)` for `x * y` of two tensors:
    /// the operations a fused step applies to a convolution's output in
    /// place (as the `Add` / `Multiply` layers).
    pub(crate) fn sum_or_product(&self) -> Option<bool> {
        match (&self.kind, self.op) {
            (Kind::Binary(_, Operand::Input(0), Operand::Input(1)), "Add") => Some(true),
            (Kind::Binary(_, Operand::Input(0), Operand::Input(1)), "Multiply") => Some(false),
            _ => None,
        }
    }
}

impl Layer for Operation {
    layer_flags!(downcast);
    /// Elementwise operations of inputs and scalars, and operations along
    /// axes counted from 1 on (never the batch axis, whatever the rank),
    /// read each sample alone; a negative axis (the batch axis of a rank-1
    /// tensor), a constant operand (it may broadcast along the batch) and
    /// everything else keep the batch whole.
    fn per_sample(&self) -> bool {
        let plain = |o: &Operand| matches!(o, Operand::Input(_) | Operand::Scalar(_));
        match &self.kind {
            Kind::Unary(_)
            | Kind::Act(_)
            | Kind::Clip(..)
            | Kind::LeakyRelu(_)
            | Kind::Elu(_)
            | Kind::Squareplus(_)
            | Kind::RoundTo(_)
            | Kind::NanToNum(_)
            | Kind::Digitize(_)
            | Kind::GatherTable(..)
            | Kind::Polyval(_)
            | Kind::Fill(_) => true,
            Kind::Norm(n) => n.per_sample(),
            Kind::OrdNorm(n) | Kind::OrdNormalize(n, _) => n.per_sample(),
            Kind::Numeric(n) => n.per_sample(),
            Kind::BatchNorm(n) => n.per_sample(),
            Kind::More(m) => m.per_sample(),
            Kind::Binary(_, a, b) => plain(a) && plain(b),
            Kind::Where(c, a, b) => plain(c) && plain(a) && plain(b),
            Kind::Cumulative(_, axis)
            | Kind::Softmax { axis, .. }
            | Kind::Glu(axis)
            | Kind::Normalize { axis, .. }
            | Kind::Concatenate(axis)
            | Kind::Stack(axis)
            | Kind::Split(_, axis)
            | Kind::Unstack(axis)
            | Kind::Take(_, axis)
            | Kind::ExpandDims(axis) => *axis > 0,
            Kind::Reduce {
                axes: Some(axes), ..
            } => !axes.is_empty() && axes.iter().all(|&a| a > 0),
            Kind::Transpose(Some(perm)) => perm.first() == Some(&0),
            // The batch axis whole: `x[:, …]`.
            Kind::GetItem(key) => matches!(
                key.first(),
                Some(index::Index::Slice(None, None, None | Some(1)))
            ),
            _ => false,
        }
    }
    fn pointwise(&self) -> Option<crate::Pointwise> {
        use crate::Pointwise;
        // The same arithmetic as `call`, value by value (a scalar operand
        // broadcasts to every value); the plain arithmetic ones as kernel
        // steps.
        Some(match self.kind {
            Kind::Unary(f) => {
                Pointwise::func(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = f(*v)))
            }
            Kind::Act(a) => {
                Pointwise::func(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = a.scalar(*v)))
            }
            Kind::Binary(f, Operand::Input(0), Operand::Scalar(s)) => {
                match scalar_step(self.op, s, false) {
                    Some(p) => Pointwise::Ops(vec![p]),
                    None => Pointwise::func(move |x: &mut [f32]| {
                        x.iter_mut().for_each(|v| *v = f(*v, s))
                    }),
                }
            }
            Kind::Binary(f, Operand::Scalar(s), Operand::Input(0)) => {
                match scalar_step(self.op, s, true) {
                    Some(p) => Pointwise::Ops(vec![p]),
                    None => Pointwise::func(move |x: &mut [f32]| {
                        x.iter_mut().for_each(|v| *v = f(s, *v))
                    }),
                }
            }
            _ => return None,
        })
    }
    fn class_name(&self) -> &str {
        &self.class
    }
    fn name(&self) -> &str {
        &self.base_name
    }
    fn config(&self) -> Map<String, Value> {
        self.config.clone()
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let input = |k: usize| {
            inputs
                .get(k)
                .ok_or_else(|| self.err(format!("needs input {k}, has {}", inputs.len())))
        };
        let operand_shape = |o: &Operand| {
            o.shape(inputs)
                .ok_or_else(|| self.err(format!("needs {o:?}, has {} input(s)", inputs.len())))
        };
        let broadcast_all = |ops: &[&Operand]| -> Result<Shape> {
            ops.iter().try_fold(Vec::new(), |acc: Shape, o| {
                broadcast_symbolic(&acc, &operand_shape(o)?)
                    .ok_or_else(|| self.err("operand shapes do not broadcast"))
            })
        };
        let axis =
            |a: i64, rank: usize, extra: usize| axis_of(a, rank, extra).map_err(|e| self.err(e));
        let out = match &self.kind {
            Kind::Binary(_, a, b) => broadcast_all(&[a, b])?,
            Kind::Where(c, x, y) => broadcast_all(&[c, x, y])?,
            Kind::Clip(..) | Kind::Cumulative(..) => input(0)?.clone(),
            Kind::Take(indices, a) => {
                let mut s = input(0)?.clone();
                let i = axis(*a, s.len(), 0)?;
                s[i] = Some(indices.len());
                s
            }
            Kind::Stack(a) => {
                let mut s = input(0)?.clone();
                let i = axis(*a, s.len(), 1)?;
                s.insert(i, Some(inputs.len()));
                s
            }
            Kind::TakeAlongAxis(a) => {
                take_along::take_along_shape(input(0)?, input(1)?, *a).map_err(|e| self.err(e))?
            }
            Kind::Gather(g) => g.shape(input(0)?, input(1)?).map_err(|e| self.err(e))?,
            Kind::Unstack(a) => {
                let x = input(0)?;
                let i = axis(*a, x.len(), 0)?;
                let n = x[i].ok_or_else(|| self.err("unstack along an axis of unknown size"))?;
                let mut s = x.clone();
                s.remove(i);
                return Ok(vec![s; n]);
            }
            Kind::Split(at, a) => {
                let x = input(0)?;
                let i = axis(*a, x.len(), 0)?;
                let sizes = split_sizes(at, x[i]).map_err(|e| self.err(e))?;
                return Ok(sizes
                    .into_iter()
                    .map(|d| {
                        let mut s = x.clone();
                        s[i] = d;
                        s
                    })
                    .collect());
            }
            Kind::Unary(_)
            | Kind::Act(_)
            | Kind::LeakyRelu(_)
            | Kind::Polyval(_)
            | Kind::Elu(_)
            | Kind::Squareplus(_)
            | Kind::RoundTo(_)
            | Kind::Softmax { .. }
            | Kind::Normalize { .. }
            | Kind::OrdNormalize(..)
            | Kind::NanToNum(_)
            | Kind::Fill(_) => input(0)?.clone(),
            Kind::Glu(a) => {
                let mut s = input(0)?.clone();
                let i = axis(*a, s.len(), 0)?;
                s[i] = s[i].map(|d| d / 2);
                s
            }
            Kind::Pool {
                window,
                strides,
                padding,
                ..
            } => {
                let mut s = input(0)?.clone();
                if !matches!(s.len(), 3 | 4) {
                    return Err(self.err(format!(
                        "pools [batch, steps, channels] or NHWC inputs, got a rank-{} input",
                        s.len()
                    )));
                }
                for d in 0..s.len() - 2 {
                    if let Some(n) = s[1 + d] {
                        let (out, _) =
                            tfjs_kernels::conv_output_size(n, window[d], strides[d], 1, *padding)
                                .map_err(|e| self.err(e.to_string()))?;
                        s[1 + d] = Some(out);
                    }
                }
                s
            }
            Kind::ExpandDims(axis) => {
                let mut s = input(0)?.clone();
                let at = expand_position(*axis, s.len()).map_err(|e| self.err(e))?;
                s.insert(at, Some(1));
                s
            }
            Kind::Reduce { axes, keepdims, .. } => {
                reduce_shape(input(0)?, axes, *keepdims).map_err(|e| self.err(e))?
            }
            Kind::WeightedAverage { axis, .. } => {
                reduce_shape(input(0)?, &axis.map(|a| vec![a]), false).map_err(|e| self.err(e))?
            }
            Kind::Transpose(perm) => {
                let s = input(0)?;
                let perm: Vec<usize> = perm.clone().unwrap_or_else(|| (0..s.len()).rev().collect());
                if perm.len() != s.len() || perm.iter().any(|&p| p >= s.len()) {
                    return Err(self.err(format!("axes {perm:?} do not fit {}", shape_str(s))));
                }
                perm.iter().map(|&p| s[p]).collect()
            }
            Kind::Reshape(shape) => {
                let s = input(0)?;
                let known: Option<usize> = s
                    .iter()
                    .try_fold(1usize, |a, d| d.and_then(|d| a.checked_mul(d)));
                let rest: usize = shape
                    .iter()
                    .filter(|&&d| d >= 0)
                    .map(|&d| d as usize)
                    .product();
                shape
                    .iter()
                    .map(|&d| {
                        if d >= 0 {
                            Some(d as usize)
                        } else {
                            known.and_then(|k| (rest > 0).then(|| k / rest))
                        }
                    })
                    .collect()
            }
            Kind::Concatenate(axis) => concat_shape(inputs, *axis).map_err(|e| self.err(e))?,
            Kind::Matmul {
                transpose_a,
                transpose_b,
            } => {
                let (a, b) = (input(0)?, input(1)?);
                if a.len() < 2 || b.len() < 2 {
                    return Err(self.err("matmul of tensors of rank < 2 is not supported"));
                }
                let (ra, rb) = (a.len(), b.len());
                let mut out = a[..ra - 2].to_vec();
                out.push(a[if *transpose_a { ra - 1 } else { ra - 2 }]);
                out.push(b[if *transpose_b { rb - 2 } else { rb - 1 }]);
                out
            }
            Kind::GetItem(key) => get_item_shape(input(0)?, key).map_err(|e| self.err(e))?,
            Kind::Shape(op) => op.shape(input(0)?).map_err(|e| self.err(e))?,
            Kind::Repeat(op) => op.shape(input(0)?).map_err(|e| self.err(e))?,
            Kind::Einsum(e, args) => einsum_shape(e, args, inputs).map_err(|e| self.err(e))?,
            Kind::Extra(op) => return op.shapes(input(0)?).map_err(|e| self.err(e)),
            Kind::Image(op) => return op.shapes(input(0)?).map_err(|e| self.err(e)),
            Kind::Stat(op) => return op.shapes(inputs).map_err(|e| self.err(e)),
            Kind::Numeric(op) => return op.shapes(inputs).map_err(|e| self.err(e)),
            Kind::Ctc(op) => return op.shapes(inputs).map_err(|e| self.err(e)),
            Kind::Tensordot(op) => op.shape(inputs).map_err(|e| self.err(e))?,
            Kind::Frame(op) => op.shape(input(0)?).map_err(|e| self.err(e))?,
            Kind::CropResize(op) => op.shape(input(0)?).map_err(|e| self.err(e))?,
            Kind::CombinedNms(op) => return op.shapes(inputs).map_err(|e| self.err(e)),
            Kind::DotAttention(op) => op.shape(inputs).map_err(|e| self.err(e))?,
            Kind::Cross(op) => op.shape(inputs).map_err(|e| self.err(e))?,
            Kind::Norm(op) => op.shape(input(0)?).map_err(|e| self.err(e))?,
            Kind::OrdNorm(op) => op.shape(input(0)?).map_err(|e| self.err(e))?,
            Kind::BatchNorm(op) => op.shape(input(0)?).map_err(|e| self.err(e))?,
            Kind::Digitize(_) => input(0)?.clone(),
            Kind::More(op) => op.shape(inputs).map_err(|e| self.err(e))?,
            Kind::GatherConst(g, indices) => {
                let known: Shape = indices.shape().iter().map(|&d| Some(d)).collect();
                g.shape(input(0)?, &known).map_err(|e| self.err(e))?
            }
            Kind::GatherTable(g, table) => {
                let known: Shape = table.shape().iter().map(|&d| Some(d)).collect();
                g.shape(&known, input(0)?).map_err(|e| self.err(e))?
            }
        };
        Ok(vec![out])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let input = |k: usize| {
            inputs
                .get(k)
                .ok_or_else(|| self.err(format!("needs input {k}, has {}", inputs.len())))
        };
        let tensor =
            |shape: Vec<usize>, data: Vec<f32>| -> Result<Tensor> { Tensor::from_f32(shape, data) };
        let err = |m: String| self.err(m);
        let axis =
            |a: i64, rank: usize, extra: usize| axis_of(a, rank, extra).map_err(|e| self.err(e));
        match &self.kind {
            Kind::Where(c, x, y) => {
                let (vc, sc) = c.values(inputs, err)?;
                let (vx, sx) = x.values(inputs, err)?;
                let (vy, sy) = y.values(inputs, err)?;
                let (out_shape, out) = broadcast_where((&vc, &sc), (&vx, &sx), (&vy, &sy))
                    .ok_or_else(|| {
                        self.err(format!("shapes {sc:?}, {sx:?} and {sy:?} do not broadcast"))
                    })?;
                Ok(vec![tensor(out_shape, out)?])
            }
            Kind::Clip(lo, hi) => {
                let x = input(0)?;
                Ok(vec![tensor(
                    x.shape().to_vec(),
                    f32s(x).iter().map(|v| v.max(*lo).min(*hi)).collect(),
                )?])
            }
            Kind::Cumulative(running, a) => {
                let x = input(0)?;
                let i = axis(*a, x.rank(), 0)?;
                Ok(vec![cumulative(x, i, *running, [false; 2]).map_err(err)?])
            }
            Kind::Take(indices, a) => {
                let x = input(0)?;
                let i = axis(*a, x.rank(), 0)?;
                let n = x.shape()[i] as i64;
                // numpy's take wraps negative indices.
                let wrapped: Vec<i64> = indices
                    .iter()
                    .map(|&k| if k < 0 { k + n } else { k })
                    .collect();
                Ok(vec![gather(x, &wrapped, i).map_err(err)?])
            }
            Kind::Stack(a) => {
                let i = axis(*a, input(0)?.rank(), 1)?;
                let expanded = inputs
                    .iter()
                    .map(|t| {
                        let mut s = t.shape().to_vec();
                        s.insert(i, 1);
                        tensor(s, f32s(t).into_owned())
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(vec![concat(&expanded, i as i64).map_err(err)?])
            }
            Kind::TakeAlongAxis(a) => Ok(vec![
                take_along::take_along(input(0)?, input(1)?, *a).map_err(err)?
            ]),
            Kind::Gather(g) => Ok(vec![g.call(input(0)?, input(1)?).map_err(err)?]),
            Kind::Unstack(a) => {
                let x = input(0)?;
                let i = axis(*a, x.rank(), 0)?;
                unstack(x, i).map_err(err)
            }
            Kind::Split(at, a) => {
                let x = input(0)?;
                let i = axis(*a, x.rank(), 0)?;
                let sizes: Vec<i64> = split_sizes(at, Some(x.shape()[i]))
                    .map_err(err)?
                    .into_iter()
                    .map(|d| d.unwrap_or(0) as i64)
                    .collect();
                split(x, &sizes, i).map_err(err)
            }
            Kind::Binary(f, a, b) => {
                let (va, sa) = a.values(inputs, err)?;
                let (vb, sb) = b.values(inputs, err)?;
                let (out_shape, out) =
                    broadcast_zip((&va, &sa), (&vb, &sb), f).ok_or_else(|| {
                        self.err(format!("shapes {sa:?} and {sb:?} do not broadcast"))
                    })?;
                Ok(vec![tensor(out_shape, out)?])
            }
            Kind::Unary(f) => {
                let x = input(0)?;
                Ok(vec![tensor(
                    x.shape().to_vec(),
                    f32s(x).iter().map(|&v| f(v)).collect(),
                )?])
            }
            Kind::Polyval(coeffs) => {
                let x = input(0)?;
                Ok(vec![tensor(
                    x.shape().to_vec(),
                    f32s(x)
                        .iter()
                        .map(|&v| functions::polyval(coeffs, v))
                        .collect(),
                )?])
            }
            Kind::Fill(v) => {
                let x = input(0)?;
                Ok(vec![tensor(x.shape().to_vec(), vec![*v; x.len()])?])
            }
            Kind::ExpandDims(axis) => {
                let x = input(0)?;
                let mut s = x.shape().to_vec();
                let at = expand_position(*axis, s.len()).map_err(|e| self.err(e))?;
                s.insert(at, 1);
                Ok(vec![tensor(s, f32s(x).into_owned())?])
            }
            Kind::Act(a) => {
                let x = input(0)?;
                Ok(vec![tensor(
                    x.shape().to_vec(),
                    f32s(x).iter().map(|&v| a.scalar(v)).collect(),
                )?])
            }
            Kind::Softmax { how, axis } => {
                let x = input(0)?;
                let i = axis_of(*axis, x.rank(), 0).map_err(err)?;
                let out = apply_along(*how, &f32s(x), x.shape(), i);
                Ok(vec![tensor(x.shape().to_vec(), out)?])
            }
            Kind::Glu(a) => {
                let x = input(0)?;
                let s = x.shape();
                let i = axis_of(*a, x.rank(), 0).map_err(err)?;
                if s[i] % 2 != 0 {
                    return Err(self.err(format!("glu splits axis {i} of {s:?} in halves")));
                }
                let (outer, half, inner) = (
                    s[..i].iter().product::<usize>(),
                    s[i] / 2,
                    s[i + 1..].iter().product::<usize>(),
                );
                let xs = f32s(x);
                let mut out = Vec::with_capacity(xs.len() / 2);
                for o in 0..outer {
                    let base = o * 2 * half * inner;
                    for k in 0..half * inner {
                        let (a, b) = (xs[base + k], xs[base + half * inner + k]);
                        out.push(a * sigmoid(b));
                    }
                }
                let mut shape = s.to_vec();
                shape[i] = half;
                Ok(vec![tensor(shape, out)?])
            }
            Kind::Normalize { axis: a, epsilon } => {
                let scale = |v: f32, sq: f32| v * (1.0 / sq.sqrt()).min(1.0 / epsilon);
                Ok(vec![
                    scale_by_norm(input(0)?, &Some(vec![*a]), scale).map_err(err)?
                ])
            }
            Kind::NanToNum([nan, pos, neg]) => {
                let x = input(0)?;
                let out = (f32s(x).iter())
                    .map(|&v| match v {
                        v if v.is_nan() => *nan,
                        f32::INFINITY => *pos,
                        f32::NEG_INFINITY => *neg,
                        v => v,
                    })
                    .collect();
                Ok(vec![tensor(x.shape().to_vec(), out)?])
            }
            Kind::Pool {
                max,
                window,
                strides,
                padding,
            } => {
                let x = input(0)?;
                // A sequence `[b, steps, c]` pools as a one-column image.
                let (b, h, w, c, window, strides) = match x.shape()[..] {
                    [b, h, w, c] => (b, h, w, c, *window, *strides),
                    [b, h, c] => (b, h, 1, c, [window[0], 1], [strides[0], 1]),
                    _ => {
                        return Err(self.err(format!(
                            "pools [batch, steps, channels] or NHWC inputs, got {:?}",
                            x.shape()
                        )))
                    }
                };
                let p = tfjs_kernels::Pool2dParams::new(b, [h, w], c, window, strides, *padding)
                    .map_err(|e| self.err(e.to_string()))?;
                let mut out = vec![0f32; p.output_len()];
                if *max {
                    tfjs_kernels::max_pool2d(&f32s(x), &p, &mut out);
                } else {
                    tfjs_kernels::avg_pool2d(&f32s(x), &p, &mut out);
                }
                let shape = if x.rank() == 3 {
                    vec![b, p.out_h, c]
                } else {
                    vec![b, p.out_h, p.out_w, c]
                };
                Ok(vec![tensor(shape, out)?])
            }
            // Elementwise with a parameter.
            Kind::LeakyRelu(_) | Kind::RoundTo(_) | Kind::Elu(_) | Kind::Squareplus(_) => {
                let x = input(0)?;
                let kind = &self.kind;
                let out = f32s(x)
                    .iter()
                    .map(|&v| match *kind {
                        Kind::LeakyRelu(slope) if v < 0.0 => v * slope,
                        Kind::RoundTo(factor) => (v * factor).round_ties_even() / factor,
                        Kind::Elu(alpha) if v <= 0.0 => alpha * Activation::Elu.scalar(v),
                        Kind::Squareplus(b) => (v + (v * v + b).sqrt()) / 2.0,
                        _ => v,
                    })
                    .collect();
                Ok(vec![tensor(x.shape().to_vec(), out)?])
            }
            Kind::Reduce {
                how,
                axes,
                keepdims,
                initial,
            } => {
                let r = reduce(input(0)?, *how, axes, *keepdims).map_err(|e| self.err(e))?;
                Ok(vec![match initial {
                    None => r,
                    Some(init) => {
                        let bound = |v: f32| match how {
                            Reduce::Max => v.max(*init),
                            _ => v.min(*init),
                        };
                        tensor(
                            r.shape().to_vec(),
                            f32s(&r).iter().map(|&v| bound(v)).collect(),
                        )?
                    }
                }])
            }
            Kind::WeightedAverage { axis, weights } => {
                let x = input(0)?;
                let w = weights_like(x.shape(), *axis, weights).map_err(|e| self.err(e))?;
                let xw: Vec<f32> = f32s(x).iter().zip(&w).map(|(a, b)| a * b).collect();
                let axes = axis.map(|a| vec![a]);
                let sum = |v: Vec<f32>| -> Result<Tensor> {
                    let t = tensor(x.shape().to_vec(), v)?;
                    reduce(&t, Reduce::Sum, &axes, false).map_err(|e| self.err(e))
                };
                let (num, den) = (sum(xw)?, sum(w)?);
                let out: Vec<f32> = f32s(&num)
                    .iter()
                    .zip(f32s(&den).iter())
                    .map(|(n, d)| n / d)
                    .collect();
                Ok(vec![tensor(num.shape().to_vec(), out)?])
            }
            Kind::Transpose(perm) => {
                let x = input(0)?;
                let s = x.shape();
                let perm: Vec<usize> = perm.clone().unwrap_or_else(|| (0..s.len()).rev().collect());
                if perm.len() != s.len() || perm.iter().any(|&p| p >= s.len()) {
                    return Err(self.err(format!("axes {perm:?} do not fit {s:?}")));
                }
                let out_shape: Vec<usize> = perm.iter().map(|&p| s[p]).collect();
                let out = transpose(&f32s(x), s, &perm);
                Ok(vec![tensor(out_shape, out)?])
            }
            Kind::Reshape(shape) => {
                let x = input(0)?;
                let total = x.len();
                let rest: usize = shape
                    .iter()
                    .filter(|&&d| d >= 0)
                    .map(|&d| d as usize)
                    .product();
                let out_shape: Vec<usize> = shape
                    .iter()
                    .map(|&d| {
                        if d >= 0 {
                            d as usize
                        } else {
                            total / rest.max(1)
                        }
                    })
                    .collect();
                if out_shape.iter().product::<usize>() != total {
                    return Err(self.err(format!("cannot reshape {:?} to {shape:?}", x.shape())));
                }
                Ok(vec![tensor(out_shape, f32s(x).into_owned())?])
            }
            Kind::Concatenate(axis) => Ok(vec![concat(inputs, *axis).map_err(|e| self.err(e))?]),
            Kind::Matmul {
                transpose_a,
                transpose_b,
            } => {
                let (a, b) = (input(0)?, input(1)?);
                // Swap the last two dimensions where asked, then multiply.
                let swapped = |t: &Tensor| -> Result<Tensor> {
                    let s = t.shape();
                    let r = s.len();
                    if r < 2 {
                        return Err(self.err("matmul of tensors of rank < 2 is not supported"));
                    }
                    let mut perm: Vec<usize> = (0..r).collect();
                    perm.swap(r - 2, r - 1);
                    let shape: Vec<usize> = perm.iter().map(|&p| s[p]).collect();
                    tensor(shape, transpose(&f32s(t), s, &perm))
                };
                let (ta, tb);
                let a = if *transpose_a {
                    ta = swapped(a)?;
                    &ta
                } else {
                    a
                };
                let b = if *transpose_b {
                    tb = swapped(b)?;
                    &tb
                } else {
                    b
                };
                let (sa, sb) = (a.shape(), b.shape());
                if sa.len() < 2
                    || sb.len() < 2
                    || sa[..sa.len() - 2] != sb[..sb.len() - 2]
                    || sa[sa.len() - 1] != sb[sb.len() - 2]
                {
                    return Err(self.err(format!("cannot multiply {sa:?} by {sb:?}")));
                }
                let (m, k, n) = (sa[sa.len() - 2], sa[sa.len() - 1], sb[sb.len() - 1]);
                let batch: usize = sa[..sa.len() - 2].iter().product();
                let (va, vb) = (f32s(a), f32s(b));
                let mut out = vec![0f32; batch * m * n];
                for bi in 0..batch {
                    tfjs_kernels::matmul(
                        &va[bi * m * k..][..m * k],
                        &vb[bi * k * n..][..k * n],
                        m,
                        k,
                        n,
                        &mut out[bi * m * n..][..m * n],
                        false,
                    );
                }
                let mut shape = sa[..sa.len() - 1].to_vec();
                shape.push(n);
                Ok(vec![tensor(shape, out)?])
            }
            Kind::GetItem(key) => {
                let (shape, out) = get_item(input(0)?, key).map_err(|e| self.err(e))?;
                Ok(vec![tensor(shape, out)?])
            }
            Kind::Einsum(e, args) => {
                let (shape, out) = einsum(e, args, inputs).map_err(|e| self.err(e))?;
                Ok(vec![tensor(shape, out)?])
            }
            Kind::Shape(op) => Ok(vec![op.call(input(0)?).map_err(err)?]),
            Kind::Repeat(op) => Ok(vec![op.call(input(0)?).map_err(err)?]),
            Kind::Extra(op) => op.call(input(0)?).map_err(err),
            Kind::Image(op) => op.call(input(0)?).map_err(err),
            Kind::Stat(op) => op.call(inputs).map_err(err),
            Kind::Numeric(op) => op.call(inputs).map_err(err),
            Kind::Ctc(op) => op.call(inputs).map_err(err),
            Kind::Tensordot(op) => Ok(vec![op.call(inputs).map_err(err)?]),
            Kind::Frame(op) => Ok(vec![op.call(input(0)?).map_err(err)?]),
            Kind::CropResize(op) => Ok(vec![op.call(input(0)?).map_err(err)?]),
            Kind::CombinedNms(op) => op.call(inputs).map_err(err),
            Kind::DotAttention(op) => Ok(vec![op.call(inputs).map_err(err)?]),
            Kind::Cross(op) => Ok(vec![op.call(inputs).map_err(err)?]),
            Kind::Norm(op) => Ok(vec![op.call(input(0)?).map_err(err)?]),
            Kind::OrdNorm(op) => Ok(vec![op.call(input(0)?).map_err(err)?]),
            Kind::OrdNormalize(op, epsilon) => {
                let x = input(0)?;
                let n = op.call(x).map_err(err)?;
                let (shape, out) =
                    broadcast_zip((&f32s(x), x.shape()), (&f32s(&n), n.shape()), |v, n| {
                        v / n.max(*epsilon)
                    })
                    .ok_or_else(|| self.err("the norm does not broadcast to the input"))?;
                Ok(vec![tensor(shape, out)?])
            }
            Kind::BatchNorm(op) => Ok(vec![op.call(input(0)?).map_err(err)?]),
            Kind::Digitize(bins) => {
                let x = input(0)?;
                let ids = (f32s(x).iter())
                    .map(|&v| super::lookup::bucket(bins, v) as i32)
                    .collect();
                Ok(vec![Tensor::from_i32(x.shape().to_vec(), ids)?])
            }
            Kind::GatherConst(g, indices) => Ok(vec![g.call(input(0)?, indices).map_err(err)?]),
            Kind::More(op) => Ok(vec![op.call(inputs).map_err(err)?]),
            Kind::GatherTable(g, table) => Ok(vec![g.call(table, input(0)?).map_err(err)?]),
        }
    }
}

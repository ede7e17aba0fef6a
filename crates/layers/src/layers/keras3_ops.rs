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
use super::tf_ops::{broadcast, broadcast_index, broadcast_symbolic};
use crate::activations::{sigmoid, Activation};
use crate::config::ConfigReader;
use crate::registry::BuildContext;
use crate::topology::KERAS3_OPERATION_PREFIX;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::{Map, Value};

mod index;
mod reduce;

use index::{einsum, einsum_shape, get_item, get_item_shape, parse_einsum};
pub(crate) use index::{parse_key, Einsum, Index};
pub(crate) use reduce::{concat, concat_shape, reduce, reduce_shape, Reduce};

fn binary(op: &str) -> Option<fn(f32, f32) -> f32> {
    Some(match op {
        "Add" => |a, b| a + b,
        "Subtract" => |a, b| a - b,
        "Multiply" => |a, b| a * b,
        "TrueDivide" | "Divide" => |a, b| a / b,
        "Maximum" => f32::max,
        "Minimum" => f32::min,
        "Power" => f32::powf,
        "NotEqual" => |a, b| if a != b { 1.0 } else { 0.0 },
        "Equal" => |a, b| if a == b { 1.0 } else { 0.0 },
        "Greater" => |a, b| if a > b { 1.0 } else { 0.0 },
        "GreaterEqual" => |a, b| if a >= b { 1.0 } else { 0.0 },
        "Less" => |a, b| if a < b { 1.0 } else { 0.0 },
        "LessEqual" => |a, b| if a <= b { 1.0 } else { 0.0 },
        "LogicalOr" => |a, b| if a != 0.0 || b != 0.0 { 1.0 } else { 0.0 },
        "LogicalAnd" => |a, b| if a != 0.0 && b != 0.0 { 1.0 } else { 0.0 },
        _ => return None,
    })
}

fn unary(op: &str) -> Option<fn(f32) -> f32> {
    Some(match op {
        "Relu" => |x| x.max(0.0),
        "Relu6" => |x| x.clamp(0.0, 6.0),
        "Sigmoid" => sigmoid,
        "Tanh" => f32::tanh,
        "Exp" => f32::exp,
        "Log" => f32::ln,
        "Log1p" => f32::ln_1p,
        "Abs" | "Absolute" => f32::abs,
        "Negative" => |x| -x,
        "Sqrt" => f32::sqrt,
        "Rsqrt" => |x| 1.0 / x.sqrt(),
        "Square" => |x| x * x,
        "Silu" | "Swish" => |x| x * sigmoid(x),
        "Softplus" => |x| Activation::Softplus.scalar(x),
        "Elu" => |x| Activation::Elu.scalar(x),
        "Selu" => |x| Activation::Selu.scalar(x),
        "HardSigmoid" => |x| (x / 6.0 + 0.5).clamp(0.0, 1.0),
        "HardSilu" | "HardSwish" => |x| Activation::HardSilu.scalar(x),
        "LogicalNot" => |x| if x == 0.0 { 1.0 } else { 0.0 },
        "Floor" => f32::floor,
        "Ceil" => f32::ceil,
        _ => return None,
    })
}

fn reduction(op: &str) -> Option<Reduce> {
    Some(match op {
        "Mean" => Reduce::Mean,
        "Max" => Reduce::Max,
        "Min" => Reduce::Min,
        "Sum" => Reduce::Sum,
        "Any" => Reduce::Any,
        "All" => Reduce::All,
        "Var" => Reduce::Variance,
        "Std" => Reduce::Std,
        _ => return None,
    })
}

/// Every supported operation class.
const OPERATIONS: &[&str] = &[
    "Add",
    "Subtract",
    "Multiply",
    "TrueDivide",
    "Divide",
    "Maximum",
    "Minimum",
    "Power",
    "NotEqual",
    "Equal",
    "Greater",
    "GreaterEqual",
    "Less",
    "LessEqual",
    "LogicalOr",
    "LogicalAnd",
    "Relu",
    "Relu6",
    "Sigmoid",
    "Tanh",
    "Exp",
    "Log",
    "Log1p",
    "Abs",
    "Absolute",
    "Negative",
    "Sqrt",
    "Rsqrt",
    "Square",
    "Silu",
    "Swish",
    "Softplus",
    "Elu",
    "Selu",
    "HardSigmoid",
    "HardSilu",
    "HardSwish",
    "LogicalNot",
    "Floor",
    "Ceil",
    "Gelu",
    "Softmax",
    "Mean",
    "Max",
    "Min",
    "Sum",
    "Any",
    "All",
    "Transpose",
    "Var",
    "Std",
    "Reshape",
    "Concatenate",
    "Matmul",
    "GetItem",
    "Einsum",
    "ExpandDims",
    "ZerosLike",
    "OnesLike",
    "ConvertToTensor",
];

/// Register `ops.<class>` for every supported operation.
pub fn register(registry: &mut LayerRegistry) {
    for &op in OPERATIONS {
        registry.register(&format!("{KERAS3_OPERATION_PREFIX}{op}"), move |c, ctx| {
            Ok(Box::new(Operation::from_config(op, c, ctx)?) as Box<dyn Layer>)
        });
    }
}

/// One argument of the call.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operand {
    /// The `k`-th input.
    Input(usize),
    Scalar(f32),
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Binary(fn(f32, f32) -> f32, Operand, Operand),
    Unary(fn(f32) -> f32),
    Act(Activation),
    Softmax {
        axis: i64,
    },
    Reduce {
        how: Reduce,
        axes: Option<Vec<i64>>,
        keepdims: bool,
    },
    Transpose(Option<Vec<usize>>),
    /// The whole new shape, batch included; one `-1`.
    Reshape(Vec<i64>),
    Concatenate(i64),
    Matmul,
    GetItem(Vec<Index>),
    Einsum(Einsum),
    /// Insert a size-1 axis at this position (negative: from the end of
    /// the output shape, as `numpy.expand_dims`).
    ExpandDims(i64),
    /// `zeros_like` / `ones_like`: the fill value, the input's shape.
    Fill(f32),
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

impl Operation {
    /// An operation outside a Keras 3 node (a Keras 2 `TFOpLambda`
    /// function with the same math): `op` names it in errors.
    pub(crate) fn with_kind(op: &'static str, name: &str, kind: Kind) -> Operation {
        Operation {
            op,
            class: op.to_string(),
            base_name: name.to_string(),
            config: Map::new(),
            kind,
        }
    }

    fn from_config(op: &'static str, c: &ConfigReader<'_>, ctx: &BuildContext<'_>) -> Result<Self> {
        let name = c.name().to_string();
        let empty = Vec::new();
        let args = ctx
            .call_kwargs
            .and_then(|k| k.get("_args"))
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        // Tensors are the inputs in argument order; numbers are scalars.
        let mut next = 0;
        let mut operands = Vec::new();
        for a in args {
            if crate::topology::kwarg_tensor(a).is_some() {
                operands.push(Operand::Input(next));
                next += 1;
            } else if let Some(f) = a.as_f64() {
                operands.push(Operand::Scalar(f as f32));
            } else if let Some(b) = a.as_bool() {
                operands.push(Operand::Scalar(if b { 1.0 } else { 0.0 }));
            }
        }
        let bad = |msg: String| c.err("args", format!("operation {op}: {msg}"));
        let kind = if let Some(f) = binary(op) {
            match operands.as_slice() {
                [a, b] => Kind::Binary(f, *a, *b),
                [] => Kind::Binary(f, Operand::Input(0), Operand::Input(1)),
                other => return Err(bad(format!("expected two operands, got {}", other.len()))),
            }
        } else if let Some(f) = unary(op) {
            Kind::Unary(f)
        } else if op == "Gelu" {
            let approx = c.bool_or("approximate", true)?;
            Kind::Act(if approx {
                Activation::GeluNew
            } else {
                Activation::Gelu
            })
        } else if op == "Softmax" {
            Kind::Softmax {
                axis: c.i64_or("axis", -1)?,
            }
        } else if let Some(how) = reduction(op) {
            let axes = axes_of(c.get("axis"))
                .ok_or_else(|| c.err("axis", "expected an integer, a list of integers or null"))?;
            Kind::Reduce {
                how,
                axes,
                keepdims: c.bool_or("keepdims", false)?,
            }
        } else if op == "Transpose" {
            let axes = match c.get("axes") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_array()
                        .and_then(|a| {
                            a.iter()
                                .map(|x| x.as_u64().map(|u| u as usize))
                                .collect::<Option<Vec<usize>>>()
                        })
                        .ok_or_else(|| c.err("axes", "expected a list of axes"))?,
                ),
            };
            Kind::Transpose(axes)
        } else if op == "Reshape" {
            let v = c.get("newshape").or_else(|| c.get("new_shape"));
            let shape = v
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>())
                .ok_or_else(|| c.err("newshape", "expected a list of integers"))?;
            if shape.iter().filter(|&&d| d == -1).count() > 1 || shape.iter().any(|&d| d < -1) {
                return Err(c.err(
                    "newshape",
                    format!("{shape:?}: at most one -1 and no other negative size"),
                ));
            }
            Kind::Reshape(shape)
        } else if op == "Concatenate" {
            Kind::Concatenate(c.i64_or("axis", 0)?)
        } else if op == "Matmul" {
            Kind::Matmul
        } else if op == "GetItem" {
            let key = args
                .get(1)
                .and_then(parse_key)
                .ok_or_else(|| bad("expected a key of integers and slices".into()))?;
            Kind::GetItem(key)
        } else if op == "ExpandDims" {
            let axis = match c.get("axis") {
                Some(Value::Array(a)) if a.len() == 1 => a[0].as_i64(),
                Some(v) => v.as_i64(),
                None => None,
            };
            Kind::ExpandDims(axis.ok_or_else(|| c.err("axis", "expected one integer axis"))?)
        } else if op == "ZerosLike" || op == "OnesLike" {
            Kind::Fill(if op == "ZerosLike" { 0.0 } else { 1.0 })
        } else if op == "ConvertToTensor" {
            // Masks reach here as float 0/1 already; a `bool` dtype makes any
            // non-zero value 1, other dtypes keep the values.
            match c.get("dtype").and_then(Value::as_str) {
                Some("bool") => Kind::Unary(|x| if x != 0.0 { 1.0 } else { 0.0 }),
                _ => Kind::Unary(|x| x),
            }
        } else if op == "Einsum" {
            let eq = c.str_or("subscripts", "")?;
            Kind::Einsum(parse_einsum(eq).ok_or_else(|| {
                c.err(
                    "subscripts",
                    format!("{eq:?} is not a supported equation (letters, no ellipsis)"),
                )
            })?)
        } else {
            return Err(bad("not supported".into()));
        };
        Ok(Operation {
            op,
            class: format!("{KERAS3_OPERATION_PREFIX}{op}"),
            base_name: name,
            config: c.map.clone(),
            kind,
        })
    }

    fn err(&self, msg: impl std::fmt::Display) -> crate::LayersError {
        input_err(&self.base_name, format!("operation {}: {msg}", self.op))
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
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
    fn pointwise(&self) -> Option<crate::Pointwise> {
        use std::sync::Arc;
        // The same arithmetic as `call`, value by value (a scalar operand
        // broadcasts to every value).
        Some(match self.kind {
            Kind::Unary(f) => Arc::new(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = f(*v))),
            Kind::Act(a) => {
                Arc::new(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = a.scalar(*v)))
            }
            Kind::Binary(f, Operand::Input(0), Operand::Scalar(s)) => {
                Arc::new(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = f(*v, s)))
            }
            Kind::Binary(f, Operand::Scalar(s), Operand::Input(0)) => {
                Arc::new(move |x: &mut [f32]| x.iter_mut().for_each(|v| *v = f(s, *v)))
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
        let out = match &self.kind {
            Kind::Binary(_, a, b) => match (a, b) {
                (Operand::Input(i), Operand::Input(j)) => {
                    broadcast_symbolic(input(*i)?, input(*j)?)
                        .ok_or_else(|| self.err("operand shapes do not broadcast"))?
                }
                (Operand::Input(i), _) | (_, Operand::Input(i)) => input(*i)?.clone(),
                _ => return Err(self.err("has no tensor operand")),
            },
            Kind::Unary(_) | Kind::Act(_) | Kind::Softmax { .. } | Kind::Fill(_) => {
                input(0)?.clone()
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
            Kind::Matmul => {
                let (a, b) = (input(0)?, input(1)?);
                if a.len() < 2 || b.len() < 2 {
                    return Err(self.err("matmul of tensors of rank < 2 is not supported"));
                }
                let mut out = a[..a.len() - 1].to_vec();
                out.push(b[b.len() - 1]);
                out
            }
            Kind::GetItem(key) => get_item_shape(input(0)?, key).map_err(|e| self.err(e))?,
            Kind::Einsum(e) => einsum_shape(e, inputs).map_err(|e| self.err(e))?,
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
        match &self.kind {
            Kind::Binary(f, a, b) => {
                let (sa, va) = match a {
                    Operand::Input(i) => {
                        (input(*i)?.shape().to_vec(), f32s(input(*i)?).into_owned())
                    }
                    Operand::Scalar(s) => (vec![], vec![*s]),
                };
                let (sb, vb) = match b {
                    Operand::Input(i) => {
                        (input(*i)?.shape().to_vec(), f32s(input(*i)?).into_owned())
                    }
                    Operand::Scalar(s) => (vec![], vec![*s]),
                };
                let out_shape = broadcast(&sa, &sb).ok_or_else(|| {
                    self.err(format!("shapes {sa:?} and {sb:?} do not broadcast"))
                })?;
                let n: usize = out_shape.iter().product();
                let out = (0..n)
                    .map(|i| {
                        f(
                            va[broadcast_index(i, &out_shape, &sa)],
                            vb[broadcast_index(i, &out_shape, &sb)],
                        )
                    })
                    .collect();
                Ok(vec![tensor(out_shape, out)?])
            }
            Kind::Unary(f) => {
                let x = input(0)?;
                Ok(vec![tensor(
                    x.shape().to_vec(),
                    f32s(x).iter().map(|&v| f(v)).collect(),
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
            Kind::Softmax { axis } => {
                let x = input(0)?;
                if *axis != -1 && *axis != x.rank() as i64 - 1 {
                    return Err(
                        self.err("softmax over an axis other than the last is not supported")
                    );
                }
                let mut out = f32s(x).into_owned();
                Activation::Softmax.apply(&mut out, x.shape().last().copied().unwrap_or(1));
                Ok(vec![tensor(x.shape().to_vec(), out)?])
            }
            Kind::Reduce {
                how,
                axes,
                keepdims,
            } => Ok(vec![
                reduce(input(0)?, *how, axes, *keepdims).map_err(|e| self.err(e))?
            ]),
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
            Kind::Matmul => {
                let (a, b) = (input(0)?, input(1)?);
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
            Kind::Einsum(e) => {
                let (shape, out) = einsum(e, inputs).map_err(|e| self.err(e))?;
                Ok(vec![tensor(shape, out)?])
            }
        }
    }
}

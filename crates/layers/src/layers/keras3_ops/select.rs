//! Keras 3's `ops.select(condlist, choicelist, default)` (a `Select`
//! node), as its TensorFlow backend computes it
//! (`tf.experimental.numpy.select`): starting from `default`, each
//! condition from the last to the first replaces the output by its choice
//! where it holds (`where(cond, choice, output)`), so the first condition
//! that holds wins; every operand broadcast. Conditions and choices are
//! tensors, numbers or constant arrays.

use super::super::tf_ops::{broadcast_symbolic, broadcast_where};
use super::{constant_operand, Operand};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;
use std::borrow::Cow;

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct Select {
    /// `(condition, choice)` in the call's order.
    cases: Vec<(Operand, Operand)>,
    default: Operand,
}

/// One argument: the `next` input for a tensor (a list's tensors stay
/// `__keras_tensor__` objects in the node's arguments), a number, a
/// constant.
fn operand(a: &Value, next: &mut usize) -> Option<Operand> {
    if crate::topology::kwarg_tensor(a).is_some()
        || a.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__")
    {
        *next += 1;
        return Some(Operand::Input(*next - 1));
    }
    if let Some(f) = a.as_f64() {
        return Some(Operand::Scalar(f as f32));
    }
    if let Some(b) = a.as_bool() {
        return Some(Operand::Scalar(f32::from(u8::from(b))));
    }
    constant_operand(a).map(|t| Operand::Const(std::sync::Arc::new(t)))
}

impl Select {
    /// From the node's positional `args` (`[condlist, choicelist,
    /// default]`: Keras 3 writes `default` there even when the call
    /// names it).
    pub(crate) fn from_config(
        op: &str,
        c: &ConfigReader<'_>,
        args: &[Value],
    ) -> Option<Result<Select>> {
        (op == "Select").then(|| {
            let mut next = 0;
            let mut list = |k: usize, what: &str| -> Result<Vec<Operand>> {
                args.get(k)
                    .and_then(Value::as_array)
                    .and_then(|l| l.iter().map(|a| operand(a, &mut next)).collect())
                    .ok_or_else(|| {
                        c.err(
                            "args",
                            format!("select: {what} must be a list of tensors, numbers or constant arrays"),
                        )
                    })
            };
            let conds = list(0, "condlist")?;
            let choices = list(1, "choicelist")?;
            if conds.len() != choices.len() || conds.is_empty() {
                return Err(c.err(
                    "args",
                    format!(
                        "select: {} conditions and {} choices (one choice per condition, at least one)",
                        conds.len(),
                        choices.len()
                    ),
                ));
            }
            let default = match args.get(2) {
                None | Some(Value::Null) => Operand::Scalar(0.0),
                Some(a) => operand(a, &mut next).ok_or_else(|| {
                    c.err("args", "select: default must be a tensor, a number or a constant array")
                })?,
            };
            Ok(Select {
                cases: conds.into_iter().zip(choices).collect(),
                default,
            })
        })
    }

    /// Tensors only broadcast with each other (a constant may broadcast
    /// along the batch axis).
    pub(crate) fn per_sample(&self) -> bool {
        let plain = |o: &Operand| matches!(o, Operand::Input(_) | Operand::Scalar(_));
        plain(&self.default) && self.cases.iter().all(|(c, x)| plain(c) && plain(x))
    }

    fn operands(&self) -> impl Iterator<Item = &Operand> {
        self.cases
            .iter()
            .flat_map(|(c, x)| [c, x])
            .chain(std::iter::once(&self.default))
    }

    pub(crate) fn shape(&self, inputs: &[Shape]) -> Out<Shape> {
        self.operands().try_fold(Vec::new(), |acc: Shape, o| {
            let s = o
                .shape(inputs)
                .ok_or_else(|| format!("needs {o:?}, has {} input(s)", inputs.len()))?;
            broadcast_symbolic(&acc, &s)
                .ok_or_else(|| "operand shapes do not broadcast".to_string())
        })
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Tensor> {
        fn values<'a>(o: &'a Operand, inputs: &'a [Tensor]) -> Out<(Cow<'a, [f32]>, Vec<usize>)> {
            o.values(inputs, |message| crate::LayersError::Topology { message })
                .map_err(|e| e.to_string())
        }
        let values = |o| values(o, inputs);
        let (d, ds) = values(&self.default)?;
        let (mut out_shape, mut out) = (ds, d.into_owned());
        for (c, x) in self.cases.iter().rev() {
            let ((vc, sc), (vx, sx)) = (values(c)?, values(x)?);
            (out_shape, out) = broadcast_where((&vc, &sc), (&vx, &sx), (&out, &out_shape))
                .ok_or_else(|| {
                    format!("shapes {sc:?}, {sx:?} and {out_shape:?} do not broadcast")
                })?;
        }
        Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())
    }
}

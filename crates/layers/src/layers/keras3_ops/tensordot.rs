//! Keras 3's `ops.tensordot(x1, x2, axes)` (a `Tensordot` node; either
//! operand a tensor or a constant array): the sum of products over `axes`,
//! an integer `n` (the last `n` axes of `x1` with the first `n` of `x2`) or
//! a pair of axis lists. The output's axes are `x1`'s others, then `x2`'s.
//! numpy's `ops.dot(x1, x2)` (`Dot`) is the same with `x1`'s last axis and
//! `x2`'s second-last (its only one when 1-D; a scalar operand multiplies),
//! `ops.outer(x1, x2)` (`Outer`) the product of every pair of elements of
//! the two operands flattened, `[size(x1), size(x2)]` (Keras's TensorFlow
//! backend: `reshape(x1, [-1, 1]) * reshape(x2, [-1])`). `ops.matmul(x,
//! w)` / `tf.matmul(x, w)` of a tensor and a constant matrix is the
//! tensordot of `x`'s last axis (second-last with `transpose_a`) with `w`'s
//! first (second with `transpose_b`): the same sums, in `x`'s axis order.

use super::super::common::*;
use super::{int_list, Operand};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;

/// One `ops.tensordot` call.
#[derive(Debug, Clone)]
pub(crate) struct Tensordot {
    x1: Operand,
    x2: Operand,
    axes: Axes,
}

#[derive(Debug, Clone)]
enum Axes {
    /// The last `n` axes of `x1` with the first `n` of `x2`.
    Count(usize),
    /// These axes of `x1` with these of `x2`, pairwise.
    Pairs(Vec<i64>, Vec<i64>),
    /// `ops.dot`: `x1`'s last axis with `x2`'s second-last (last when 1-D);
    /// none when either is a scalar.
    Dot,
    /// `ops.outer`: nothing contracted, both operands flattened.
    Outer,
}

impl Axes {
    /// `axes` as a config holds it (absent: 2).
    fn read(v: Option<&Value>) -> std::result::Result<Axes, &'static str> {
        const WHAT: &str = "expected an integer or a pair of axis lists of the same length";
        match v {
            None => Ok(Axes::Count(2)),
            Some(Value::Array(pair)) => match &pair[..] {
                [a, b] => match (int_list(Some(a)), int_list(Some(b))) {
                    (Some(a), Some(b)) if a.len() == b.len() => Ok(Axes::Pairs(a, b)),
                    _ => Err(WHAT),
                },
                _ => Err(WHAT),
            },
            Some(v) => v.as_u64().map(|n| Axes::Count(n as usize)).ok_or(WHAT),
        }
    }

    /// The contracted axes of `x1` and `x2` for their ranks.
    fn contracted(
        &self,
        r1: usize,
        r2: usize,
    ) -> std::result::Result<(Vec<usize>, Vec<usize>), String> {
        match self {
            Axes::Count(n) => {
                if *n > r1 || *n > r2 {
                    return Err(format!("axes={n} for operands of ranks {r1} and {r2}"));
                }
                Ok(((r1 - n..r1).collect(), (0..*n).collect()))
            }
            Axes::Pairs(a, b) => Ok((
                super::extra::distinct_axes(a, r1)?,
                super::extra::distinct_axes(b, r2)?,
            )),
            Axes::Dot if r1 == 0 || r2 == 0 => Ok((Vec::new(), Vec::new())),
            Axes::Dot => Ok((vec![r1 - 1], vec![r2.saturating_sub(2)])),
            Axes::Outer => Ok((Vec::new(), Vec::new())),
        }
    }
}

/// The axes a `Tensordot` config's `axes` contracts in operands of ranks
/// `r1` and `r2` (what `--rebuild` rewrites it with).
pub(crate) fn contracted_axes(
    axes: Option<&Value>,
    r1: usize,
    r2: usize,
) -> std::result::Result<(Vec<usize>, Vec<usize>), String> {
    Axes::read(axes)?.contracted(r1, r2)
}

impl Tensordot {
    /// The node's math from its config (`axes`, default 2) and its two
    /// operands.
    pub(crate) fn from_config(c: &ConfigReader<'_>, operands: &[Operand]) -> Result<Tensordot> {
        let [x1, x2] = Operand::pair("tensordot", operands).map_err(|e| c.err("args", e))?;
        let axes = Axes::read(c.get("axes")).map_err(|e| c.err("axes", e))?;
        Ok(Tensordot { x1, x2, axes })
    }

    /// Keras 3's `Dot` / `Outer` node (`None`: another operation) from its
    /// two operands.
    pub(crate) fn numpy(
        op: &str,
        operands: &[Operand],
    ) -> Option<std::result::Result<Tensordot, String>> {
        let axes = match op {
            "Dot" => Axes::Dot,
            "Outer" => Axes::Outer,
            // numpy's inner: the last axes of both contracted.
            "Inner" => Axes::Pairs(vec![-1], vec![-1]),
            _ => return None,
        };
        Some(Operand::pair(op, operands).map(|[x1, x2]| Tensordot { x1, x2, axes }))
    }

    /// `matmul(x, w)` of a tensor `x` and a constant matrix `w` (`None`:
    /// `w` is not a rank-2 constant; the product of two tensors or of a
    /// constant with a tensor is another operation).
    pub(crate) fn matmul_constant(
        x: &Operand,
        w: &Operand,
        transpose_a: bool,
        transpose_b: bool,
    ) -> Option<Tensordot> {
        match (x, w) {
            (Operand::Input(_), Operand::Const(t)) if t.rank() == 2 => Some(Tensordot {
                x1: x.clone(),
                x2: w.clone(),
                axes: Axes::Pairs(
                    vec![if transpose_a { -2 } else { -1 }],
                    vec![i64::from(transpose_b)],
                ),
            }),
            _ => None,
        }
    }

    /// Keras 2's `tf.tensordot(a, b, axes)`: `a` the call's tensor, `b` a
    /// constant array or a second tensor (the call's next input).
    pub(crate) fn from_tf(
        kwargs: &serde_json::Map<String, Value>,
    ) -> std::result::Result<Tensordot, String> {
        let b = kwargs.get("b").ok_or("b: missing")?;
        let x2 = if b.get(0).is_some_and(Value::is_string) {
            Operand::Input(1)
        } else {
            let t = crate::layers::tf_ops::constant_array(b)
                .ok_or("b: expected a tensor or a constant array")?;
            Operand::Const(std::sync::Arc::new(t))
        };
        let axes = match kwargs.get("axes") {
            None | Some(Value::Null) => return Err("axes: missing".into()),
            v => Axes::read(v).map_err(|e| format!("axes: {e}"))?,
        };
        Ok(Tensordot {
            x1: Operand::Input(0),
            x2,
            axes,
        })
    }

    /// The output shape for the node's inputs' shapes.
    pub(crate) fn shape(&self, inputs: &[Shape]) -> std::result::Result<Shape, String> {
        let s1 = self
            .x1
            .shape(inputs)
            .ok_or("the first operand is missing")?;
        let s2 = self
            .x2
            .shape(inputs)
            .ok_or("the second operand is missing")?;
        let (a, b) = self.axes.contracted(s1.len(), s2.len())?;
        for (&i, &j) in a.iter().zip(&b) {
            if let (Some(m), Some(n)) = (s1[i], s2[j]) {
                if m != n {
                    return Err(format!(
                        "axis {i} of {} and axis {j} of {} differ",
                        shape_str(&s1),
                        shape_str(&s2)
                    ));
                }
            }
        }
        if matches!(self.axes, Axes::Outer) {
            let size = |s: &Shape| s.iter().try_fold(1, |n, d| d.map(|d| n * d));
            return Ok(vec![size(&s1), size(&s2)]);
        }
        let mut out: Shape = (0..s1.len())
            .filter(|i| !a.contains(i))
            .map(|i| s1[i])
            .collect();
        out.extend((0..s2.len()).filter(|j| !b.contains(j)).map(|j| s2[j]));
        Ok(out)
    }

    /// The values for the node's inputs.
    pub(crate) fn call(&self, inputs: &[Tensor]) -> std::result::Result<Tensor, String> {
        let err = |m: String| crate::LayersError::Input { message: m };
        let (v1, s1) = self.x1.values(inputs, err).map_err(|e| e.to_string())?;
        let (v2, s2) = self.x2.values(inputs, err).map_err(|e| e.to_string())?;
        let (a, b) = self.axes.contracted(s1.len(), s2.len())?;
        if a.iter().zip(&b).any(|(&i, &j)| s1[i] != s2[j]) {
            return Err(format!(
                "cannot contract {s1:?} with {s2:?} over {a:?} and {b:?}"
            ));
        }
        // x1 as [free, contracted], x2 as [contracted, free]: one matmul.
        let free1: Vec<usize> = (0..s1.len()).filter(|i| !a.contains(i)).collect();
        let free2: Vec<usize> = (0..s2.len()).filter(|j| !b.contains(j)).collect();
        let perm1: Vec<usize> = free1.iter().chain(&a).copied().collect();
        let perm2: Vec<usize> = b.iter().chain(&free2).copied().collect();
        let m: usize = free1.iter().map(|&i| s1[i]).product();
        let k: usize = a.iter().map(|&i| s1[i]).product();
        let n: usize = free2.iter().map(|&j| s2[j]).product();
        let t1 = transpose(&v1, &s1, &perm1);
        let t2 = transpose(&v2, &s2, &perm2);
        let mut out = vec![0f32; m * n];
        if m * n > 0 {
            tfjs_kernels::matmul(&t1, &t2, m, k, n, &mut out, false);
        }
        let shape: Vec<usize> = if matches!(self.axes, Axes::Outer) {
            vec![m, n]
        } else {
            free1
                .iter()
                .map(|&i| s1[i])
                .chain(free2.iter().map(|&j| s2[j]))
                .collect()
        };
        Tensor::from_f32(shape, out).map_err(|e| e.to_string())
    }
}

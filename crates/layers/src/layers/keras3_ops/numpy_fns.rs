//! Small numpy-style Keras 3 operations, as Keras's TensorFlow backend
//! writes them:
//!
//! - `nn.threshold(x, threshold, default_value)`: `x` where `x >
//!   threshold`, else the default (NaN too);
//! - `isclose(x1, x2, rtol, atol, equal_nan)`: `|x1 - x2| <= atol + rtol ·
//!   |x2|` (broadcast), boolean (0 / 1);
//! - `nextafter(x1, x2)`: both cast to float64, TensorFlow's float64
//!   `nextafter`, the result cast back to float32 (so `x1` itself unless
//!   `x1` is not a float32 value);
//! - `vander(x, N, increasing)`: a new last axis of `N` powers of `x`
//!   (`x^(N-1) … x^0`, or rising), `pow` in float32;
//! - `in_top_k(targets, predictions, k)`: per row, whether the target
//!   class's prediction has fewer than `k` predictions strictly above it
//!   (`tf.math.in_top_k`: ties count for the target; an out-of-range
//!   target or a non-finite prediction in the row gives false);
//! - `ptp(x, axis, keepdims)`: the maximum minus the minimum;
//! - `trapezoid(y, dx, axis)` with `x=None`: `Σ 0.5 · (y[i+1] + y[i]) ·
//!   dx` along `axis`;
//! - `meshgrid(*xs, indexing)`: 1-D tensors spread over a grid (`"xy"`:
//!   the first two axes swapped), one output each.

use super::super::common::f32s;
use super::super::tf_ops::{axis_of, broadcast_symbolic, broadcast_zip};
use super::{reduce, reduce_shape, Reduce};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) enum NumpyFn {
    Threshold {
        threshold: f32,
        default: f32,
    },
    Isclose {
        rtol: f32,
        atol: f32,
        equal_nan: bool,
    },
    Nextafter,
    Vander {
        n: usize,
        increasing: bool,
    },
    InTopK {
        k: usize,
    },
    Ptp {
        axes: Option<Vec<i64>>,
        keepdims: bool,
    },
    Trapezoid {
        dx: f32,
        axis: i64,
    },
    Meshgrid {
        ij: bool,
    },
}

/// The most columns `vander` makes.
const MAX_N: u64 = 1 << 16;

impl NumpyFn {
    /// The Keras 3 operation `op` from its config and positional `args`
    /// (`None`: not one of these).
    pub(crate) fn from_config(
        op: &str,
        c: &ConfigReader<'_>,
        args: &[Value],
    ) -> Option<Result<NumpyFn>> {
        if !matches!(
            op,
            "Threshold"
                | "Isclose"
                | "Nextafter"
                | "Vander"
                | "InTopK"
                | "Ptp"
                | "Trapezoid"
                | "Meshgrid"
        ) {
            return None;
        }
        let number = |i: usize, k: &str, d: f64| -> Result<f32> {
            match args.get(i).or_else(|| c.get(k)) {
                None | Some(Value::Null) => Ok(d as f32),
                Some(v) => v
                    .as_f64()
                    .map(|f| f as f32)
                    .ok_or_else(|| c.err(k, "expected a constant number")),
            }
        };
        let axes = || -> Result<Option<Vec<i64>>> {
            match c.get("axis") {
                None | Some(Value::Null) => Ok(None),
                v => super::int_list(v).map(Some).ok_or_else(|| {
                    c.err("axis", "expected an integer, a list of integers or null")
                }),
            }
        };
        Some((|| {
            Ok(match op {
                "Threshold" => NumpyFn::Threshold {
                    threshold: number(1, "threshold", f64::NAN)?,
                    default: number(2, "default_value", f64::NAN)?,
                },
                "Isclose" => NumpyFn::Isclose {
                    rtol: number(2, "rtol", 1e-5)?,
                    atol: number(3, "atol", 1e-8)?,
                    equal_nan: c.bool_or("equal_nan", false)?,
                },
                "Nextafter" => NumpyFn::Nextafter,
                "Vander" => NumpyFn::Vander {
                    n: c.get("N")
                        .and_then(Value::as_u64)
                        .filter(|n| (1..=MAX_N).contains(n))
                        .ok_or_else(|| {
                            c.err("N", "expected a positive column count (None: the input's length, not supported)")
                        })? as usize,
                    increasing: c.bool_or("increasing", false)?,
                },
                "InTopK" => NumpyFn::InTopK {
                    k: c.get("k")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| c.err("k", "expected a non-negative integer"))?
                        as usize,
                },
                "Ptp" => NumpyFn::Ptp {
                    axes: axes()?,
                    keepdims: c.bool_or("keepdims", false)?,
                },
                "Trapezoid" => {
                    if !c.get("x").is_none_or(Value::is_null) {
                        return Err(c.err("x", "sample points (a tensor) are not supported; dx is"));
                    }
                    NumpyFn::Trapezoid {
                        dx: c.f64_opt("dx")?.unwrap_or(1.0) as f32,
                        axis: c.i64_or("axis", -1)?,
                    }
                }
                "Meshgrid" => NumpyFn::Meshgrid {
                    ij: match c.str_or("indexing", "xy")? {
                        "xy" => false,
                        "ij" => true,
                        other => return Err(c.err("indexing", format!("\"{other}\": xy or ij"))),
                    },
                },
                _ => unreachable!("checked above"),
            })
        })())
    }

    pub(crate) fn shapes(&self, inputs: &[Shape]) -> Out<Vec<Shape>> {
        let x = inputs.first().ok_or("needs an input")?;
        let second = || inputs.get(1).ok_or("needs a second input");
        Ok(vec![match self {
            NumpyFn::Threshold { .. } => x.clone(),
            NumpyFn::Isclose { .. } | NumpyFn::Nextafter => {
                broadcast_symbolic(x, second()?).ok_or("the operands do not broadcast")?
            }
            NumpyFn::Vander { n, .. } => {
                let mut s = x.clone();
                s.push(Some(*n));
                s
            }
            NumpyFn::InTopK { .. } => {
                let p = second()?;
                if p.len() != 2 || x.len() != 1 {
                    return Err(
                        "in_top_k takes [batch] targets and [batch, classes] predictions".into(),
                    );
                }
                x.clone()
            }
            NumpyFn::Ptp { axes, keepdims } => reduce_shape(x, axes, *keepdims)?,
            NumpyFn::Trapezoid { axis, .. } => {
                let i = axis_of(*axis, x.len(), 0)?;
                let mut s = x.clone();
                s.remove(i);
                s
            }
            NumpyFn::Meshgrid { ij } => {
                if inputs.iter().any(|s| s.len() != 1) {
                    return Err("meshgrid takes 1-D tensors".into());
                }
                let mut grid: Shape = inputs.iter().map(|s| s[0]).collect();
                if !ij && grid.len() >= 2 {
                    grid.swap(0, 1);
                }
                return Ok(vec![grid; inputs.len()]);
            }
        }])
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Vec<Tensor>> {
        let x = inputs.first().ok_or("needs an input")?;
        let t = |s: Vec<usize>, v: Vec<f32>| Tensor::from_f32(s, v).map_err(|e| e.to_string());
        let zip = |f: &dyn Fn(f32, f32) -> f32| -> Out<Tensor> {
            let y = inputs.get(1).ok_or("needs a second input")?;
            let (a, b) = (f32s(x), f32s(y));
            let (s, v) = broadcast_zip((&a, x.shape()), (&b, y.shape()), f)
                .ok_or("the operands do not broadcast")?;
            t(s, v)
        };
        Ok(vec![match *self {
            NumpyFn::Threshold { threshold, default } => t(
                x.shape().to_vec(),
                f32s(x)
                    .iter()
                    .map(|&v| if v > threshold { v } else { default })
                    .collect(),
            )?,
            NumpyFn::Isclose {
                rtol,
                atol,
                equal_nan,
            } => zip(&|a, b| {
                let close = (a - b).abs() <= atol + rtol * b.abs();
                f32::from(close || equal_nan && a.is_nan() && b.is_nan())
            })?,
            NumpyFn::Nextafter => zip(&|a, b| next_after(f64::from(a), f64::from(b)) as f32)?,
            NumpyFn::Vander { n, increasing } => {
                let mut out = Vec::with_capacity(x.len() * n);
                for &v in f32s(x).iter() {
                    for j in 0..n {
                        let p = if increasing { j } else { n - 1 - j };
                        out.push(v.powf(p as f32));
                    }
                }
                let mut s = x.shape().to_vec();
                s.push(n);
                t(s, out)?
            }
            NumpyFn::InTopK { k } => {
                let p = inputs.get(1).ok_or("the predictions are missing")?;
                let [rows, classes] = p.shape()[..] else {
                    return Err("in_top_k: predictions must be [batch, classes]".into());
                };
                let (targets, preds) = (f32s(x), f32s(p));
                if targets.len() != rows {
                    return Err(format!("{} targets for {rows} rows", targets.len()));
                }
                let out = (0..rows)
                    .map(|r| {
                        let row = &preds[r * classes..(r + 1) * classes];
                        let target = targets[r];
                        if target < 0.0
                            || target as usize >= classes
                            || row.iter().any(|v| !v.is_finite())
                        {
                            return 0.0;
                        }
                        let mine = row[target as usize];
                        let above = row.iter().filter(|&&v| v > mine).count();
                        f32::from(above < k)
                    })
                    .collect();
                t(vec![rows], out)?
            }
            NumpyFn::Ptp { ref axes, keepdims } => {
                let max = reduce(x, Reduce::Max, axes, keepdims)?;
                let min = reduce(x, Reduce::Min, axes, keepdims)?;
                let v = f32s(&max)
                    .iter()
                    .zip(f32s(&min).iter())
                    .map(|(a, b)| a - b)
                    .collect();
                t(max.shape().to_vec(), v)?
            }
            NumpyFn::Trapezoid { dx, axis } => {
                let s = x.shape().to_vec();
                let i = axis_of(axis, s.len(), 0)?;
                let (outer, n, inner) = (
                    s[..i].iter().product::<usize>(),
                    s[i],
                    s[i + 1..].iter().product::<usize>(),
                );
                let v = f32s(x);
                let mut out = Vec::with_capacity(outer * inner);
                for o in 0..outer {
                    for q in 0..inner {
                        let at = |j: usize| v[(o * n + j) * inner + q];
                        let mut sum = 0f32;
                        for j in 0..n.saturating_sub(1) {
                            sum += 0.5 * (at(j + 1) + at(j)) * dx;
                        }
                        out.push(sum);
                    }
                }
                let mut shape = s;
                shape.remove(i);
                t(shape, out)?
            }
            NumpyFn::Meshgrid { ij } => {
                let lens: Vec<usize> = inputs.iter().map(Tensor::len).collect();
                let mut grid = lens.clone();
                if !ij && grid.len() >= 2 {
                    grid.swap(0, 1);
                }
                let total: usize = grid.iter().product();
                let mut outs = Vec::with_capacity(inputs.len());
                for (k, input) in inputs.iter().enumerate() {
                    // The grid axis of input k.
                    let axis = match (ij, k) {
                        (false, 0) if lens.len() >= 2 => 1,
                        (false, 1) => 0,
                        _ => k,
                    };
                    let stride: usize = grid[axis + 1..].iter().product();
                    let vals = f32s(input);
                    let out = (0..total)
                        .map(|i| vals[(i / stride) % grid[axis]])
                        .collect();
                    outs.push(t(grid.clone(), out)?);
                }
                return Ok(outs);
            }
        }])
    }
}

/// C's `nextafter` in float64: the next representable value after `a`
/// towards `b`.
fn next_after(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == b {
        return b;
    }
    if a == 0.0 {
        let tiny = f64::from_bits(1);
        return if b > 0.0 { tiny } else { -tiny };
    }
    let bits = a.to_bits();
    let up = (b > a) == (a > 0.0);
    f64::from_bits(if up { bits + 1 } else { bits - 1 })
}

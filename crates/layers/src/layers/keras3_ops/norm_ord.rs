//! Keras 3's `ops.norm(x, ord, axis, keepdims)` with an explicit `ord` (a
//! `Norm` node; `ord=None` is the plain Euclidean / Frobenius reduction,
//! `Reduce::Norm`), as Keras's TensorFlow backend computes it: over one
//! axis the vector norms (`2`, `0`: the count of non-zeros, any other
//! number `p`: `sum(|x|^p)^(1/p)`), over two axes the matrix norms
//! (`"fro"`, `1` / `-1`: the largest / smallest column sum of `|x|`). The
//! matrix norms computed from singular values (`2`, `-2`, `"nuc"`) are
//! refused by name. `inf` / `-inf` (the largest / smallest `|x|`; over two
//! axes the largest / smallest row sum of `|x|`) are the strings
//! `"Infinity"` / `"-Infinity"`: Keras writes the bare tokens Python's
//! `json` reads, which the Keras file reader quotes. Keras 2's `tf.norm` with such an `ord` computes the
//! same norms, read here too (`OrdNorm::from_tf`).

use super::super::common::f32s;
use super::extra::distinct_axes;
use super::{reduce, reduce_shape, Reduce};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Which {
    /// `sqrt(sum(x²))`: vector `2`, matrix `"fro"`.
    Euclid,
    /// Vector `0`: the count of non-zero values.
    Count,
    /// Vector `p`: `sum(|x|^p)^(1/p)`.
    Power(f32),
    /// Vector `inf` (`max`) / `-inf` (`min`) of `|x|`.
    AbsExtreme { max: bool },
    /// Matrix `1` / `-1` (`rows: false`: the column sums of `|x|`, summed
    /// over the first axis) and `inf` / `-inf` (`rows: true`: the row sums,
    /// over the second axis), their largest (`max`) or smallest.
    LineSum { max: bool, rows: bool },
}

/// `Some(true)` for `inf` (the string `"Infinity"`), `Some(false)` for
/// `-inf`.
fn infinity(ord: &Value) -> Option<bool> {
    match ord.as_str()? {
        "Infinity" => Some(true),
        "-Infinity" => Some(false),
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub(crate) struct OrdNorm {
    ord: Which,
    axes: Option<Vec<i64>>,
    keepdims: bool,
}

impl OrdNorm {
    /// A `Norm` with an `ord` other than None (`None`: not one).
    pub(crate) fn from_config(op: &str, c: &ConfigReader<'_>) -> Option<Result<OrdNorm>> {
        let ord = match c.get("ord") {
            _ if op != "Norm" => return None,
            None | Some(Value::Null) => return None,
            Some(v) => v,
        };
        Some((|| {
            let keepdims = c.bool_or("keepdims", false)?;
            OrdNorm::parse(ord, c.get("axis"), keepdims).map_err(|(field, why)| c.err(field, why))
        })())
    }

    /// Keras 2's `tf.norm(tensor, ord, axis, keepdims)` with an `ord`
    /// other than the default, from the call's kwargs: the same norms
    /// (TensorFlow takes no vector `ord` 0 or below and no matrix `ord`
    /// -1, so a Keras 2 model holds none).
    pub(crate) fn from_tf(kwargs: &Map<String, Value>) -> std::result::Result<OrdNorm, String> {
        let ord = kwargs.get("ord").unwrap_or(&Value::Null);
        let keepdims = kwargs
            .get("keepdims")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        OrdNorm::parse(ord, kwargs.get("axis"), keepdims)
            .map_err(|(field, why)| format!("{field}: {why}"))
    }

    /// The norm `ord` over `axis`, or the field at fault and why.
    pub(crate) fn parse(
        ord: &Value,
        axis: Option<&Value>,
        keepdims: bool,
    ) -> std::result::Result<OrdNorm, (&'static str, String)> {
        let axes: Option<Vec<i64>> = match axis {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .map(|a| vec![a])
                    .or_else(|| {
                        v.as_array()
                            .and_then(|a| a.iter().map(Value::as_i64).collect())
                    })
                    .ok_or((
                        "axis",
                        "expected an integer, a list of integers or null".to_string(),
                    ))?,
            ),
        };
        let ord = match (axes.as_ref().map(Vec::len), ord) {
            (None, _) => {
                return Err((
                    "axis",
                    format!("ord={ord} needs an axis (None: the rank decides between a vector and a matrix norm)"),
                ))
            }
            (Some(1), v) if infinity(v).is_some() => Which::AbsExtreme {
                max: infinity(v) == Some(true),
            },
            (Some(2), v) if infinity(v).is_some() => Which::LineSum {
                max: infinity(v) == Some(true),
                rows: true,
            },
            (Some(1), Value::Number(n)) => match n.as_f64() {
                Some(2.0) => Which::Euclid,
                Some(0.0) => Which::Count,
                Some(p) => Which::Power(p as f32),
                None => return Err(("ord", format!("unreadable number {n}"))),
            },
            (Some(2), Value::String(s)) if s == "fro" => Which::Euclid,
            (Some(2), Value::Number(n)) if n.as_f64() == Some(1.0) => Which::LineSum {
                max: true,
                rows: false,
            },
            (Some(2), Value::Number(n)) if n.as_f64() == Some(-1.0) => Which::LineSum {
                max: false,
                rows: false,
            },
            (Some(2), _) => {
                return Err((
                    "ord",
                    format!("the matrix norm ord={ord} is not supported (\"fro\", 1, -1, inf and -inf are; 2, -2 and \"nuc\" need singular values)"),
                ))
            }
            (Some(1), _) => {
                return Err(("ord", format!("invalid vector norm ord={ord} (Keras refuses it too)")))
            }
            (Some(n), _) => {
                return Err(("axis", format!("a norm over {n} axes (Keras takes one or two)")))
            }
        };
        Ok(OrdNorm {
            ord,
            axes,
            keepdims,
        })
    }

    /// The reduced axes are all after the batch axis.
    pub(crate) fn per_sample(&self) -> bool {
        self.axes.as_ref().is_some_and(|a| a.iter().all(|&x| x > 0))
    }

    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        if let Some(axes) = &self.axes {
            distinct_axes(axes, x.len())?;
        }
        reduce_shape(x, &self.axes, self.keepdims)
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        let abs = |t: &Tensor, f: &dyn Fn(f32) -> f32| -> Out<Tensor> {
            Tensor::from_f32(t.shape().to_vec(), f32s(t).iter().map(|&v| f(v)).collect())
                .map_err(|e| e.to_string())
        };
        let keep = self.keepdims;
        match self.ord {
            Which::Euclid => reduce(x, Reduce::Norm, &self.axes, keep),
            Which::Count => reduce(
                &abs(x, &|v| f32::from(v != 0.0))?,
                Reduce::Sum,
                &self.axes,
                keep,
            ),
            Which::Power(p) => {
                let s = reduce(
                    &abs(x, &|v| v.abs().powf(p))?,
                    Reduce::Sum,
                    &self.axes,
                    keep,
                )?;
                abs(&s, &|v| v.powf(1.0 / p))
            }
            Which::AbsExtreme { max } => {
                let how = if max { Reduce::Max } else { Reduce::Min };
                reduce(&abs(x, &f32::abs)?, how, &self.axes, keep)
            }
            Which::LineSum { max, rows } => {
                let axes = distinct_axes(self.axes.as_deref().unwrap_or(&[]), x.shape().len())?;
                // Summed over one axis, the extreme over the other.
                let (summed, mut then) = if rows {
                    (axes[1], axes[0])
                } else {
                    (axes[0], axes[1])
                };
                if !keep && then > summed {
                    then -= 1;
                }
                let sums = reduce(
                    &abs(x, &f32::abs)?,
                    Reduce::Sum,
                    &Some(vec![summed as i64]),
                    keep,
                )?;
                let how = if max { Reduce::Max } else { Reduce::Min };
                reduce(&sums, how, &Some(vec![then as i64]), keep)
            }
        }
    }
}

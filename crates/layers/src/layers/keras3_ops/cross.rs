//! Keras 3's `ops.cross(x1, x2, axisa, axisb, axisc, axis)` (a `Cross`
//! node), as its TensorFlow backend computes it: the vectors along `axisa`
//! of `x1` and `axisb` of `x2` (2 or 3 components; a 2-vector gets a zero
//! third one) moved last, the other axes broadcast, `tf.linalg.cross`
//! (`[a1·b2 − a2·b1, a2·b0 − a0·b2, a0·b1 − a1·b0]`), the result's vector
//! axis moved to `axisc`; when both operands are 2-vectors, only the third
//! component, without a vector axis. `axis` overrides the other three.
//!
//! Keras 2's `tf.linalg.cross(a, b)` is the same product of two tensors'
//! last axes (3-vectors).

use super::super::common::*;
use super::super::tf_ops::{axis_of, broadcast_index, broadcast_symbolic};
use super::{move_perm, Operand};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;

#[derive(Debug, Clone)]
pub(crate) struct Cross {
    x1: Operand,
    x2: Operand,
    axisa: i64,
    axisb: i64,
    axisc: i64,
}

type Out<T> = std::result::Result<T, String>;

/// A vector axis' size: 2 or 3 (`None` unknown).
fn components(d: Option<usize>, which: &str) -> Out<Option<usize>> {
    match d {
        Some(2 | 3) | None => Ok(d),
        Some(n) => Err(format!(
            "{which}'s vectors have {n} components (2 or 3 are supported)"
        )),
    }
}

impl Cross {
    /// `tf.linalg.cross(a, b)`: two tensors (`a` the first input, `b` the
    /// tensor kwarg), the vectors along their last axes.
    pub(crate) fn from_tf(kwargs: &serde_json::Map<String, Value>) -> Out<Cross> {
        if kwargs.contains_key("_CONSTANT_VALUE")
            || kwargs
                .get("b")
                .is_none_or(|b| crate::topology::kwarg_tensor(b).is_none())
        {
            return Err("a and b must both be tensors".into());
        }
        Ok(Cross {
            x1: Operand::Input(0),
            x2: Operand::Input(1),
            axisa: -1,
            axisb: -1,
            axisc: -1,
        })
    }

    pub(crate) fn from_config(c: &ConfigReader<'_>, operands: &[Operand]) -> Result<Cross> {
        let [x1, x2] = Operand::pair("cross", operands).map_err(|e| c.err("args", e))?;
        let (axisa, axisb, axisc) = match c.get("axis") {
            None | Some(Value::Null) => (
                c.i64_or("axisa", -1)?,
                c.i64_or("axisb", -1)?,
                c.i64_or("axisc", -1)?,
            ),
            Some(v) => {
                let a = v
                    .as_i64()
                    .ok_or_else(|| c.err("axis", "expected an integer or null"))?;
                (a, a, a)
            }
        };
        Ok(Cross {
            x1,
            x2,
            axisa,
            axisb,
            axisc,
        })
    }

    /// The operands' other axes broadcast, and each one's vector size.
    fn layout(&self, s1: &Shape, s2: &Shape) -> Out<(Shape, [Option<usize>; 2])> {
        let split = |s: &Shape, axis: i64, which: &str| -> Out<(Shape, Option<usize>)> {
            let a = axis_of(axis, s.len(), 0)?;
            let mut rest = s.clone();
            let d = rest.remove(a);
            Ok((rest, components(d, which)?))
        };
        let (r1, d1) = split(s1, self.axisa, "x1")?;
        let (r2, d2) = split(s2, self.axisb, "x2")?;
        let lead = broadcast_symbolic(&r1, &r2)
            .ok_or_else(|| format!("{} and {} do not broadcast", shape_str(&r1), shape_str(&r2)))?;
        Ok((lead, [d1, d2]))
    }

    /// Where the vector axis goes in an output of rank `rank`.
    fn output_axis(&self, rank: usize) -> Out<usize> {
        axis_of(self.axisc, rank, 0)
    }

    pub(crate) fn shape(&self, inputs: &[Shape]) -> Out<Shape> {
        let missing = || "an operand is missing".to_string();
        let s1 = self.x1.shape(inputs).ok_or_else(missing)?;
        let s2 = self.x2.shape(inputs).ok_or_else(missing)?;
        let (mut lead, dims) = self.layout(&s1, &s2)?;
        match dims {
            [Some(2), Some(2)] => Ok(lead),
            [None, _] | [_, None] => {
                Err("vectors of unknown size (2 or 3 decides the output's rank)".into())
            }
            _ => {
                let at = self.output_axis(lead.len() + 1)?;
                lead.insert(at, Some(3));
                Ok(lead)
            }
        }
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Tensor> {
        let err = |m: String| crate::LayersError::Input { message: m };
        let (v1, s1) = self.x1.values(inputs, err).map_err(|e| e.to_string())?;
        let (v2, s2) = self.x2.values(inputs, err).map_err(|e| e.to_string())?;
        let known = |s: &[usize]| s.iter().map(|&d| Some(d)).collect::<Shape>();
        let (lead, _) = self.layout(&known(&s1), &known(&s2))?;
        let lead: Vec<usize> = lead.into_iter().map(|d| d.unwrap_or(0)).collect();
        // Each operand with its vector axis last: [rest, d].
        let last = |v: &[f32], s: &[usize], axis: i64| -> Out<(Vec<f32>, Vec<usize>, usize)> {
            let a = axis_of(axis, s.len(), 0)?;
            let perm = move_perm(&[a as i64], &[s.len() as i64 - 1], s.len())?;
            let rest: Vec<usize> = perm[..s.len() - 1].iter().map(|&p| s[p]).collect();
            Ok((transpose(v, s, &perm), rest, s[a]))
        };
        let (a, ra, da) = last(&v1, &s1, self.axisa)?;
        let (b, rb, db) = last(&v2, &s2, self.axisb)?;
        let n: usize = lead.iter().product();
        let component = |v: &[f32], rest: &[usize], d: usize, i: usize, k: usize| {
            let row = broadcast_index(i, &lead, rest);
            if k < d {
                v[row * d + k]
            } else {
                0.0
            }
        };
        let both_2d = da == 2 && db == 2;
        let mut c = Vec::with_capacity(n * 3);
        for i in 0..n {
            let x = |k| component(&a, &ra, da, i, k);
            let y = |k| component(&b, &rb, db, i, k);
            let z = x(0) * y(1) - x(1) * y(0);
            if both_2d {
                c.push(z);
            } else {
                c.extend([x(1) * y(2) - x(2) * y(1), x(2) * y(0) - x(0) * y(2), z]);
            }
        }
        if both_2d {
            return Tensor::from_f32(lead, c).map_err(|e| e.to_string());
        }
        let mut shape = lead.clone();
        shape.push(3);
        let at = self.output_axis(shape.len())?;
        let perm = move_perm(&[shape.len() as i64 - 1], &[at as i64], shape.len())?;
        let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
        Tensor::from_f32(out_shape, transpose(&c, &shape, &perm)).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_products_follow_numpy() {
        // a = np.arange(12).reshape(2, 3, 2) - 5, b = np.arange(12).reshape(2, 3, 2) % 5 - 1:
        // np.cross(a, b, axis=1).
        let a = Tensor::from_f32(vec![2, 3, 2], (0..12).map(|v| v as f32 - 5.0).collect()).unwrap();
        let b = Tensor::from_f32(
            vec![2, 3, 2],
            (0..12).map(|v| (v % 5) as f32 - 1.0).collect(),
        )
        .unwrap();
        let cross = Cross {
            x1: Operand::Input(0),
            x2: Operand::Input(1),
            axisa: 1,
            axisb: 1,
            axisc: 1,
        };
        let y = cross.call(&[a, b]).unwrap();
        assert_eq!(y.shape(), [2, 3, 2]);
        assert_eq!(
            f32s(&y).as_ref(),
            [-8.0, 2.0, 16.0, -4.0, -8.0, -8.0, -13.0, -18.0, 1.0, 6.0, 2.0, 2.0]
        );
        let s = |v: &[usize]| v.iter().map(|&d| Some(d)).collect::<Shape>();
        assert_eq!(
            cross.shape(&[s(&[2, 3, 2]), s(&[2, 3, 2])]).unwrap(),
            s(&[2, 3, 2])
        );
        // Vectors of 4 components are refused.
        assert!(cross.shape(&[s(&[2, 4, 2]), s(&[2, 3, 2])]).is_err());
    }
}

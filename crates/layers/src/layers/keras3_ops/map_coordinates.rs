//! Keras 3's `ops.image.map_coordinates(inputs, coordinates, order,
//! fill_mode, fill_value)`, as Keras's TensorFlow backend writes it: the
//! input (rank `r`, batch axis included) sampled at `coordinates`
//! (`[r, …]`, the second input: one coordinate per input axis; the output
//! has their shape less the first axis). Per axis, `order=0` takes the
//! rounded coordinate (half to even), `order=1` the two neighbours
//! `floor(c)` and `floor(c) + 1` weighted `1 - f` and `f`; every
//! combination of the axes' neighbours is a gathered value times the
//! product of its weights, summed. An index outside the axis is, by
//! `fill_mode`: `"constant"` clipped into it, the combination taking
//! `fill_value` instead (any of its indices outside); `"nearest"`
//! clipped; `"wrap"` taken modulo the size; `"mirror"` / `"reflect"`
//! Keras's folds (`|i| mod 2n`, then `2n - m` above `n`, less 1 for
//! reflect). A fold landing outside the axis is an error, as TensorFlow's
//! `gather_nd` makes it.

use super::super::common::f32s;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fill {
    Constant(f32),
    Nearest,
    Wrap,
    Mirror,
    Reflect,
}

#[derive(Debug, Clone)]
pub(crate) struct MapCoordinates {
    linear: bool,
    fill: Fill,
}

impl MapCoordinates {
    /// The Keras 3 operation `op` (`None`: not `MapCoordinates`).
    pub(crate) fn from_config(op: &str, c: &ConfigReader<'_>) -> Option<Result<MapCoordinates>> {
        (op == "MapCoordinates").then(|| {
            let linear = match c.i64_or("order", 1)? {
                0 => false,
                1 => true,
                other => {
                    return Err(c.err(
                        "order",
                        format!("{other}: 0 or 1 (Keras's TensorFlow backend takes no other)"),
                    ))
                }
            };
            let fill = match c.str_or("fill_mode", "constant")? {
                "constant" => Fill::Constant(c.f64_opt("fill_value")?.unwrap_or(0.0) as f32),
                "nearest" => Fill::Nearest,
                "wrap" => Fill::Wrap,
                "mirror" => Fill::Mirror,
                "reflect" => Fill::Reflect,
                other => {
                    return Err(c.err(
                        "fill_mode",
                        format!("\"{other}\": constant, nearest, wrap, mirror or reflect"),
                    ))
                }
            };
            Ok(MapCoordinates { linear, fill })
        })
    }

    pub(crate) fn shape(&self, x: &Shape, coordinates: Option<&Shape>) -> Out<Shape> {
        let c = coordinates.ok_or("the coordinates (its second input) are missing")?;
        match c.first() {
            Some(Some(r)) if *r == x.len() && c.len() >= 2 => Ok(c[1..].to_vec()),
            _ => Err(format!(
                "coordinates of shape {c:?}: expected [{}, …] (one per input axis)",
                x.len()
            )),
        }
    }

    /// The index `i` on an axis of `n`, and whether it counts (constant
    /// fill), or why not.
    fn place(&self, i: i64, n: usize) -> Out<(usize, bool)> {
        let n = n as i64;
        let (i, valid) = match self.fill {
            Fill::Constant(_) => (i.clamp(0, n - 1), (0..n).contains(&i)),
            Fill::Nearest => (i.clamp(0, n - 1), true),
            Fill::Wrap => (i.rem_euclid(n), true),
            Fill::Mirror | Fill::Reflect => {
                let m = i.abs() % (2 * n);
                let folded = if m < n { m } else { 2 * n - m };
                let folded = if self.fill == Fill::Reflect && m >= n {
                    folded - 1
                } else {
                    folded
                };
                (folded, true)
            }
        };
        if !(0..n).contains(&i) {
            return Err(format!(
                "index {i} is outside an axis of {n} (TensorFlow's gather_nd refuses it too)"
            ));
        }
        Ok((i as usize, valid))
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Tensor> {
        let x = inputs.first().ok_or("needs an input")?;
        let coords = inputs.get(1).ok_or("the coordinates are missing")?;
        let shape = x.shape().to_vec();
        let sym: Shape = coords.shape().iter().map(|&d| Some(d)).collect();
        let xs: Shape = shape.iter().map(|&d| Some(d)).collect();
        let out_shape: Vec<usize> = self.shape(&xs, Some(&sym))?.into_iter().flatten().collect();
        if shape.contains(&0) {
            return Err("an empty input axis".into());
        }
        let r = shape.len();
        let points: usize = out_shape.iter().product();
        let (data, cv) = (f32s(x), f32s(coords));
        let mut strides = vec![1usize; r];
        for d in (0..r.saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1];
        }
        let taps: usize = if self.linear { 2 } else { 1 };
        let combos = taps.pow(r as u32);
        let mut out = Vec::with_capacity(points);
        for p in 0..points {
            // Per axis: its taps' (index, weight).
            let mut nodes = Vec::with_capacity(r);
            for d in 0..r {
                let c = cv[d * points + p];
                nodes.push(if self.linear {
                    let lower = c.floor();
                    let upper_w = c - lower;
                    let i = lower as i64;
                    vec![(i, 1.0 - upper_w), (i + 1, upper_w)]
                } else {
                    vec![(c.round_ties_even() as i64, 1.0f32)]
                });
            }
            let mut sum = 0f32;
            // In `itertools.product`'s order (the last axis fastest), the
            // weights multiplied first axis first, as Keras sums them.
            let mut pick = vec![0usize; r];
            for combo in 0..combos {
                let mut rest = combo;
                for d in (0..r).rev() {
                    pick[d] = rest % taps;
                    rest /= taps;
                }
                let (mut at, mut weight, mut valid) = (0usize, 1f32, true);
                for (d, node) in nodes.iter().enumerate() {
                    let (i, w) = node[pick[d]];
                    let (i, ok) = self.place(i, shape[d])?;
                    at += i * strides[d];
                    weight *= w;
                    valid &= ok;
                }
                let v = match self.fill {
                    Fill::Constant(f) if !valid => f,
                    _ => data[at],
                };
                sum += weight * v;
            }
            out.push(sum);
        }
        Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())
    }
}

//! The Keras 3 operations that move values without arithmetic: `ops.flip`,
//! `ops.roll`, `ops.squeeze`, `ops.pad` (constant), `ops.tile`,
//! `ops.broadcast_to` (numpy's broadcasting to the whole shape, batch
//! included, as the config gives it): their
//! configs, output shapes and values (`ops.repeat`: `repeat.rs`).

use super::super::common::*;
use super::super::tf_ops::{
    axis_of, broadcast_index, broadcast_symbolic, pad, reverse, tile, PadMode,
};
use super::int_list;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;

#[derive(Debug, Clone)]
pub(crate) enum ShapeOp {
    /// Reverse these axes (`None`: all of them).
    Flip(Option<Vec<i64>>),
    /// Drop these size-1 axes (`None`: every size-1 axis).
    Squeeze(Option<Vec<i64>>),
    /// `[before, after]` per axis, and the fill value.
    Pad(Vec<[usize; 2]>, PadMode),
    /// Repeat the whole tensor this many times per axis.
    Tile(Vec<usize>),
    /// Shift elements along axes, wrapping around (`None`: the flattened
    /// tensor, by one shift).
    Roll(Vec<i64>, Option<Vec<i64>>),
    /// numpy's broadcasting to this shape.
    BroadcastTo(Vec<usize>),
}

/// The most an axis may grow by (pads, tiles read from a config).
const MAX_GROWTH: u64 = 1 << 20;

impl ShapeOp {
    /// The operation `op` from its config (`None`: not one of these).
    pub(crate) fn from_config(
        op: &str,
        c: &ConfigReader<'_>,
        call_kwargs: Option<&Value>,
    ) -> Option<Result<ShapeOp>> {
        if !matches!(
            op,
            "Flip" | "Fliplr" | "Flipud" | "Roll" | "Squeeze" | "Tile" | "Pad" | "BroadcastTo"
        ) {
            return None;
        }
        let axes = |k: &str| -> Result<Option<Vec<i64>>> {
            match c.get(k) {
                None | Some(Value::Null) => Ok(None),
                v => int_list(v)
                    .map(Some)
                    .ok_or_else(|| c.err(k, "expected an integer or a list of integers")),
            }
        };
        let counts = |k: &str| -> Result<Vec<usize>> {
            int_list(c.get(k))
                .filter(|r| r.iter().all(|&n| (1..=MAX_GROWTH as i64).contains(&n)))
                .map(|r| r.into_iter().map(|n| n as usize).collect())
                .ok_or_else(|| c.err(k, "expected positive counts"))
        };
        Some((|| {
            Ok(match op {
                "Flip" => ShapeOp::Flip(axes("axis")?),
                // numpy's fliplr / flipud: axis 1 / axis 0 (the batch).
                "Fliplr" => ShapeOp::Flip(Some(vec![1])),
                "Flipud" => ShapeOp::Flip(Some(vec![0])),
                "Roll" => {
                    let shift = int_list(c.get("shift")).ok_or_else(|| {
                        c.err("shift", "expected an integer or a list of integers")
                    })?;
                    let axis = axes("axis")?;
                    let fits = match &axis {
                        None => shift.len() == 1,
                        Some(a) => a.len() == shift.len() || shift.len() == 1,
                    };
                    if !fits {
                        return Err(c.err("shift", "expected one shift, or one per axis"));
                    }
                    ShapeOp::Roll(shift, axis)
                }
                "Squeeze" => ShapeOp::Squeeze(axes("axis")?),
                "BroadcastTo" => ShapeOp::BroadcastTo(
                    int_list(c.get("shape"))
                        .filter(|s| s.iter().all(|&d| (0..=MAX_GROWTH as i64).contains(&d)))
                        .filter(|s| {
                            s.iter()
                                .try_fold(1u64, |n, &d| n.checked_mul(d as u64))
                                .is_some_and(|n| n <= 1 << 28)
                        })
                        .map(|s| s.into_iter().map(|d| d as usize).collect())
                        .ok_or_else(|| {
                            c.err("shape", "expected a list of sizes of at most 2^28 elements")
                        })?,
                ),
                "Tile" => ShapeOp::Tile(counts("repeats")?),
                "Pad" => {
                    let widths = c
                        .get("pad_width")
                        .and_then(Value::as_array)
                        .and_then(|rows| {
                            rows.iter()
                                .map(|r| {
                                    let r = r.as_array().filter(|r| r.len() == 2)?;
                                    let (a, b) = (r[0].as_u64()?, r[1].as_u64()?);
                                    (a <= MAX_GROWTH && b <= MAX_GROWTH)
                                        .then_some([a as usize, b as usize])
                                })
                                .collect::<Option<Vec<_>>>()
                        })
                        .ok_or_else(|| {
                            c.err("pad_width", "expected [[before, after], …] per axis")
                        })?;
                    let value = call_kwargs
                        .and_then(|k| k.get("constant_values"))
                        .and_then(Value::as_f64)
                        .unwrap_or(0.0);
                    let mode = c.str_or("mode", "constant")?;
                    let mode = PadMode::parse(mode, value as f32).ok_or_else(|| {
                        c.err(
                            "mode",
                            format!(
                                "\"{mode}\": constant, reflect, symmetric or edge is supported"
                            ),
                        )
                    })?;
                    ShapeOp::Pad(widths, mode)
                }
                _ => unreachable!("checked above"),
            })
        })())
    }

    fn axes(a: &Option<Vec<i64>>, rank: usize) -> std::result::Result<Vec<usize>, String> {
        match a {
            None => Ok((0..rank).collect()),
            Some(a) => a.iter().map(|&i| axis_of(i, rank, 0)).collect(),
        }
    }

    /// The output shape for input shape `x`.
    pub(crate) fn shape(&self, x: &Shape) -> std::result::Result<Shape, String> {
        let rank = x.len();
        Ok(match self {
            ShapeOp::Flip(a) | ShapeOp::Roll(_, a) => {
                Self::axes(a, rank)?;
                x.clone()
            }
            ShapeOp::Squeeze(a) => {
                let drop: Vec<usize> = match a {
                    None => (0..rank).filter(|&i| x[i] == Some(1)).collect(),
                    Some(_) => Self::axes(a, rank)?,
                };
                if let Some(&i) = drop.iter().find(|&&i| x[i].is_some_and(|d| d != 1)) {
                    return Err(format!("cannot squeeze axis {i} of size {:?}", x[i]));
                }
                (0..rank)
                    .filter(|i| !drop.contains(i))
                    .map(|i| x[i])
                    .collect()
            }
            ShapeOp::BroadcastTo(to) => {
                let to: Shape = to.iter().map(|&d| Some(d)).collect();
                match broadcast_symbolic(x, &to) {
                    Some(s)
                        if s.len() == to.len()
                            && s.iter().zip(&to).all(|(a, b)| a.is_none() || a == b) =>
                    {
                        to
                    }
                    _ => {
                        return Err(format!(
                            "{} does not broadcast to {}",
                            shape_str(x),
                            shape_str(&to)
                        ))
                    }
                }
            }
            ShapeOp::Pad(..) | ShapeOp::Tile(_) => {
                let factor = self.per_axis(rank)?;
                x.iter()
                    .zip(&factor)
                    .map(|(d, &(mul, add))| d.map(|d| d * mul + add))
                    .collect()
            }
        })
    }

    /// Each axis's new size as `old * mul + add`.
    fn per_axis(&self, rank: usize) -> std::result::Result<Vec<(usize, usize)>, String> {
        let mut f = vec![(1, 0); rank];
        match self {
            ShapeOp::Pad(w, _) => {
                if w.len() != rank {
                    return Err(format!("pad_width has {} rows for rank {rank}", w.len()));
                }
                for (f, p) in f.iter_mut().zip(w) {
                    f.1 = p[0] + p[1];
                }
            }
            ShapeOp::Tile(r) => {
                // numpy's tile: fewer repeats than axes apply to the last axes.
                if r.len() > rank {
                    return Err(format!("{} repeats for rank {rank}", r.len()));
                }
                for (f, &n) in f[rank - r.len()..].iter_mut().zip(r) {
                    f.0 = n;
                }
            }
            ShapeOp::Flip(_)
            | ShapeOp::Squeeze(_)
            | ShapeOp::Roll(..)
            | ShapeOp::BroadcastTo(_) => {}
        }
        Ok(f)
    }

    /// The values for input `x`.
    pub(crate) fn call(&self, x: &Tensor) -> std::result::Result<Tensor, String> {
        let s = x.shape().to_vec();
        let rank = s.len();
        let out_shape: Vec<usize> = self
            .shape(&s.iter().map(|&d| Some(d)).collect())?
            .into_iter()
            .map(|d| d.unwrap_or(0))
            .collect();
        let xs = f32s(x);
        let t =
            |data: Vec<f32>| Tensor::from_f32(out_shape.clone(), data).map_err(|e| e.to_string());
        match self {
            ShapeOp::Flip(a) => reverse(x, &Self::axes(a, rank)?),
            ShapeOp::Roll(shift, axis) => {
                // A flattened roll is a roll of the one axis of the
                // flattened tensor.
                let (dims, pairs): (Vec<usize>, Vec<(usize, i64)>) = match axis {
                    None => (vec![s.iter().product()], vec![(0, shift[0])]),
                    Some(a) => {
                        let axes = Self::axes(axis, rank)?;
                        let by = |i: usize| shift[if shift.len() == 1 { 0 } else { i }];
                        (s.clone(), (0..a.len()).map(|i| (axes[i], by(i))).collect())
                    }
                };
                // Net shift per axis (numpy adds repeated axes' shifts).
                let mut net = vec![0i64; dims.len()];
                for (a, sh) in pairs {
                    net[a] += sh;
                }
                let n: usize = dims.iter().product();
                let out = (0..n)
                    .map(|k| {
                        let (mut rem, mut src, mut stride) = (k, 0, 1);
                        for d in (0..dims.len()).rev() {
                            let c = rem % dims[d];
                            rem /= dims[d];
                            let from = (c as i64 - net[d]).rem_euclid(dims[d].max(1) as i64);
                            src += from as usize * stride;
                            stride *= dims[d];
                        }
                        xs[src]
                    })
                    .collect();
                t(out)
            }
            ShapeOp::Squeeze(_) => t(xs.into_owned()),
            ShapeOp::BroadcastTo(_) => {
                let n: usize = out_shape.iter().product();
                t((0..n)
                    .map(|i| xs[broadcast_index(i, &out_shape, &s)])
                    .collect())
            }
            ShapeOp::Pad(w, mode) => pad(x, w, *mode),
            ShapeOp::Tile(_) => {
                // numpy's tile: the repeats per axis, 1 for the leading axes.
                let multiples: Vec<i64> = self
                    .per_axis(rank)?
                    .iter()
                    .map(|&(mul, _)| mul as i64)
                    .collect();
                tile(x, &multiples)
            }
        }
    }
}

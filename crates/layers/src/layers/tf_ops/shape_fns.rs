//! The shape functions (`tf.expand_dims`, `tf.squeeze`, `tf.stack`,
//! `tf.tile`, `tf.pad`, `tf.split`, `tf.gather` with constant indices,
//! `tf.math.cumsum` / `cumprod`, `tf.reverse`, `tf.nn.depth_to_space` /
//! `space_to_depth`) and pooling geometry: output shapes and values.

use super::super::keras3_ops::{depth_space, depth_space_shape, strides_of};
use super::crelu;
use super::*;

/// `axis` (negative from the end) of a rank-`rank` tensor; `extra` 1 for
/// an axis that may be one past the end (expand_dims, stack).
pub(crate) fn axis_of(axis: i64, rank: usize, extra: usize) -> std::result::Result<usize, String> {
    let n = (rank + extra) as i64;
    let a = if axis < 0 { axis + n } else { axis };
    (0..n)
        .contains(&a)
        .then_some(a as usize)
        .ok_or_else(|| format!("axis {axis} is out of range for rank {rank}"))
}

/// `tf.gather` indices into a dimension of `n` (negative ones are an
/// error, as TensorFlow's CPU kernel makes them).
pub(super) fn gather_indices(ints: &[i64], n: usize) -> std::result::Result<Vec<usize>, String> {
    ints.iter()
        .map(|&i| {
            usize::try_from(i)
                .ok()
                .filter(|&i| i < n)
                .ok_or_else(|| format!("index {i} is out of range for a dimension of {n}"))
        })
        .collect()
}

/// `x` at `indices` along `axis` (`tf.gather`, `ops.take`).
pub(crate) fn gather(
    x: &Tensor,
    indices: &[i64],
    axis: usize,
) -> std::result::Result<Tensor, String> {
    let s = x.shape();
    let picks = gather_indices(indices, s[axis])?;
    let outer: usize = s[..axis].iter().product();
    let inner: usize = s[axis + 1..].iter().product();
    let xs = f32s(x);
    let mut out = Vec::with_capacity(outer * picks.len() * inner);
    for o in 0..outer {
        for &p in &picks {
            let base = (o * s[axis] + p) * inner;
            out.extend_from_slice(&xs[base..base + inner]);
        }
    }
    let mut shape = s.to_vec();
    shape[axis] = picks.len();
    Tensor::from_f32(shape, out).map_err(|e| e.to_string())
}

/// How `tf.pad` / `keras.ops.pad` fill the border.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PadMode {
    /// This value (TensorFlow's `CONSTANT`).
    Constant(f32),
    /// Mirrored without the edge value (`REFLECT`: `3 2 | 1 2 3 | 2 1`).
    Reflect,
    /// Mirrored with the edge value (`SYMMETRIC`: `2 1 | 1 2 3 | 3 2`).
    Symmetric,
    /// The edge value repeated (NumPy's `edge`).
    Edge,
}

impl Default for PadMode {
    fn default() -> Self {
        PadMode::Constant(0.0)
    }
}

impl PadMode {
    /// TensorFlow's or NumPy's name of a mode (any case); `value` fills
    /// `constant`.
    pub(crate) fn parse(mode: &str, value: f32) -> Option<PadMode> {
        Some(match mode.to_ascii_lowercase().as_str() {
            "constant" => PadMode::Constant(value),
            "reflect" => PadMode::Reflect,
            "symmetric" => PadMode::Symmetric,
            "edge" => PadMode::Edge,
            _ => return None,
        })
    }

    /// The widths `[before, after]` per axis, against the input's `shape`:
    /// mirrors reach at most across the input once (TensorFlow's rule).
    pub(crate) fn check(
        self,
        widths: &[[usize; 2]],
        shape: &[usize],
    ) -> std::result::Result<(), String> {
        for (w, &len) in widths.iter().zip(shape) {
            let fits = match self {
                PadMode::Constant(_) => true,
                PadMode::Reflect => w[0] < len && w[1] < len,
                PadMode::Symmetric => w[0] <= len && w[1] <= len,
                PadMode::Edge => len > 0 || w == &[0, 0],
            };
            if !fits {
                return Err(format!(
                    "{self:?} padding {w:?} does not fit an axis of {len} (at most {} a side)",
                    if self == PadMode::Reflect {
                        "len - 1"
                    } else {
                        "len"
                    }
                ));
            }
        }
        Ok(())
    }

    /// The input index that output index `c` of an axis of `len` values
    /// padded by `before` reads; `None` for the fill value.
    pub(crate) fn source(self, c: usize, before: usize, len: usize) -> Option<usize> {
        let (i, n) = (c as i64 - before as i64, len as i64);
        let j = match self {
            _ if (0..n).contains(&i) => i,
            PadMode::Constant(_) => return None,
            PadMode::Reflect if i < 0 => -i,
            PadMode::Reflect => 2 * (n - 1) - i,
            PadMode::Symmetric if i < 0 => -i - 1,
            PadMode::Symmetric => 2 * n - 1 - i,
            PadMode::Edge => i.clamp(0, n - 1),
        };
        usize::try_from(j).ok().filter(|&j| j < len)
    }

    /// The value outside the input.
    pub(crate) fn fill(self) -> f32 {
        match self {
            PadMode::Constant(v) => v,
            _ => 0.0,
        }
    }
}

/// What a running total accumulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Running {
    /// `cumsum`.
    Sum,
    /// `cumprod`.
    Product,
    /// `tf.math.cumulative_logsumexp`: `log(cumsum(exp(x)))`, accumulated
    /// as TensorFlow's kernel does (`max + log1p(exp(min - max))`, from
    /// `-inf`).
    LogSumExp,
}

/// The running sum or product of `x` along `axis` (`exclusive`: each
/// position leaves itself out; `reverse`: from the end).
pub(crate) fn cumulative(
    x: &Tensor,
    axis: usize,
    running: Running,
    [exclusive, reverse]: [bool; 2],
) -> std::result::Result<Tensor, String> {
    let s = x.shape();
    let outer: usize = s[..axis].iter().product();
    let inner: usize = s[axis + 1..].iter().product();
    let mut out = f32s(x).into_owned();
    let (start, step): (f32, fn(f32, f32) -> f32) = match running {
        Running::Sum => (0.0, |a, v| a + v),
        Running::Product => (1.0, |a, v| a * v),
        Running::LogSumExp => (f32::NEG_INFINITY, |a, v| {
            let (lo, hi) = (a.min(v), a.max(v));
            if hi < f32::MIN {
                hi
            } else {
                hi + (lo - hi).exp().ln_1p()
            }
        }),
    };
    for o in 0..outer {
        for k in 0..inner {
            let at = |j: usize| (o * s[axis] + j) * inner + k;
            let mut acc = start;
            for n in 0..s[axis] {
                let j = if reverse { s[axis] - 1 - n } else { n };
                let v = out[at(j)];
                out[at(j)] = if exclusive { acc } else { step(acc, v) };
                acc = step(acc, v);
            }
        }
    }
    Tensor::from_f32(s.to_vec(), out).map_err(|e| e.to_string())
}

/// `x` split along `axis` into `sizes` (one count: equal parts).
pub(crate) fn split(
    x: &Tensor,
    sizes: &[i64],
    axis: usize,
) -> std::result::Result<Vec<Tensor>, String> {
    let s = x.shape();
    let sizes: Vec<usize> = split_sizes(sizes, Some(s[axis]))?
        .into_iter()
        .map(|d| d.unwrap_or(0))
        .collect();
    if sizes.iter().sum::<usize>() != s[axis] {
        return Err(format!("sizes {sizes:?} do not add up to {}", s[axis]));
    }
    let outer: usize = s[..axis].iter().product();
    let inner: usize = s[axis + 1..].iter().product();
    let xs = f32s(x);
    let mut start = 0;
    let mut outs = Vec::with_capacity(sizes.len());
    for &len in &sizes {
        let mut out = Vec::with_capacity(outer * len * inner);
        for o in 0..outer {
            let base = (o * s[axis] + start) * inner;
            out.extend_from_slice(&xs[base..base + len * inner]);
        }
        let mut shape = s.to_vec();
        shape[axis] = len;
        outs.push(Tensor::from_f32(shape, out).map_err(|e| e.to_string())?);
        start += len;
    }
    Ok(outs)
}

/// `x` unstacked along `axis` (`tf.unstack`, `ops.unstack`): one tensor per
/// element of the axis, without it.
pub(crate) fn unstack(x: &Tensor, axis: usize) -> std::result::Result<Vec<Tensor>, String> {
    let n = x.shape()[axis];
    let mut shape = x.shape().to_vec();
    shape.remove(axis);
    split(x, &vec![1; n], axis)?
        .into_iter()
        .map(|t| t.reshape(shape.clone()).map_err(|e| e.to_string()))
        .collect()
}

/// `x` with each of `axes` reversed (`tf.reverse`, `ops.flip`).
pub(crate) fn reverse(x: &Tensor, axes: &[usize]) -> std::result::Result<Tensor, String> {
    let s = x.shape();
    let xs = f32s(x);
    let st = strides_of(s);
    let out = (0..xs.len())
        .map(|k| {
            let (mut rem, mut src) = (k, 0);
            for d in (0..s.len()).rev() {
                let c = rem % s[d];
                rem /= s[d];
                src += if axes.contains(&d) { s[d] - 1 - c } else { c } * st[d];
            }
            xs[src]
        })
        .collect();
    Tensor::from_f32(s.to_vec(), out).map_err(|e| e.to_string())
}

/// `tf.split` sizes along a dimension of `n`: a count of equal parts, or
/// the sizes, one of which may be -1 (the rest of the axis).
pub(super) fn split_sizes(
    ints: &[i64],
    n: Option<usize>,
) -> std::result::Result<Vec<Option<usize>>, String> {
    if let &[k] = ints {
        let k = usize::try_from(k).map_err(|_| format!("num_or_size_splits {k}"))?;
        if k == 0 {
            return Err("num_or_size_splits 0".into());
        }
        return match n {
            Some(n) if n % k != 0 => Err(format!("{n} does not split into {k} equal parts")),
            n => Ok(vec![n.map(|n| n / k); k]),
        };
    }
    let known: i64 = ints.iter().filter(|&&d| d >= 0).sum();
    match ints.iter().filter(|&&d| d == -1).count() {
        0 => Ok(ints.iter().map(|&d| Some(d as usize)).collect()),
        1 => {
            let rest = match n {
                None => None,
                Some(n) => Some(
                    usize::try_from(n as i64 - known)
                        .map_err(|_| format!("sizes {ints:?} ask for more than the axis' {n}"))?,
                ),
            };
            Ok(ints
                .iter()
                .map(|&d| if d == -1 { rest } else { Some(d as usize) })
                .collect())
        }
        _ => Err(format!("sizes {ints:?}: at most one -1")),
    }
}

impl TfOpLambda {
    pub(super) fn shape_fn_shapes(
        &self,
        f: ShapeFn,
        inputs: &[Shape],
    ) -> std::result::Result<Vec<Shape>, String> {
        let x = inputs.first().ok_or("no tensor argument")?;
        let a = &self.args;
        Ok(match f {
            ShapeFn::ExpandDims => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), x.len(), 1)?;
                let mut o = x.clone();
                o.insert(i, Some(1));
                vec![o]
            }
            ShapeFn::Squeeze => {
                let drop = self.squeezed(x.len(), |i| x[i])?;
                vec![x
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !drop.contains(i))
                    .map(|(_, d)| *d)
                    .collect()]
            }
            ShapeFn::Stack => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), x.len(), 1)?;
                let mut o = x.clone();
                o.insert(i, Some(inputs.len()));
                vec![o]
            }
            ShapeFn::Tile => {
                if a.ints.len() != x.len() {
                    return Err(format!("multiples {:?} for rank {}", a.ints, x.len()));
                }
                vec![x
                    .iter()
                    .zip(&a.ints)
                    .map(|(d, &m)| d.map(|d| d * m as usize))
                    .collect()]
            }
            ShapeFn::Pad => {
                if a.paddings.len() != x.len() {
                    return Err(format!(
                        "{} paddings for rank {}",
                        a.paddings.len(),
                        x.len()
                    ));
                }
                vec![x
                    .iter()
                    .zip(&a.paddings)
                    .map(|(d, p)| d.map(|d| d + p[0] + p[1]))
                    .collect()]
            }
            ShapeFn::Gather => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), x.len(), 0)?;
                if let Some(n) = x[i] {
                    gather_indices(&a.ints, n)?;
                }
                let mut o = x.clone();
                o[i] = Some(a.ints.len());
                vec![o]
            }
            ShapeFn::Cumulative(_) => {
                axis_of(a.axes.as_ref().map_or(0, |v| v[0]), x.len(), 0)?;
                vec![x.clone()]
            }
            ShapeFn::Reverse => {
                self.reversed_axes(x.len())?;
                vec![x.clone()]
            }
            ShapeFn::OneHot => {
                let mut o = x.clone();
                o.insert(self.one_hot_axis(x.len())?, Some(a.ints[0] as usize));
                vec![o]
            }
            ShapeFn::Crelu => vec![crelu::crelu_shape(x, self.crelu_axis())?],
            ShapeFn::SequenceMask => {
                let mut o = x.clone();
                o.push(Some(a.ints[0] as usize));
                vec![o]
            }
            ShapeFn::DepthToSpace | ShapeFn::SpaceToDepth => vec![depth_space_shape(
                x,
                a.ints[0] as usize,
                f == ShapeFn::DepthToSpace,
            )?],
            ShapeFn::Unstack => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), x.len(), 0)?;
                let n = x[i].ok_or("unstack along an axis of unknown size")?;
                let mut o = x.clone();
                o.remove(i);
                vec![o; n]
            }
            ShapeFn::Split => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), x.len(), 0)?;
                split_sizes(&a.ints, x[i])?
                    .into_iter()
                    .map(|d| {
                        let mut o = x.clone();
                        o[i] = d;
                        o
                    })
                    .collect()
            }
        })
    }

    /// The output shape of single-output shape function `f` on a concrete
    /// input shape `s`.
    fn concrete_shape(&self, f: ShapeFn, s: &[usize]) -> std::result::Result<Vec<usize>, String> {
        let sym: Shape = s.iter().map(|&d| Some(d)).collect();
        Ok(self.shape_fn_shapes(f, &[sym])?[0]
            .iter()
            .map(|d| d.unwrap_or(1))
            .collect())
    }

    /// Where `tf.one_hot` puts its new axis in the output of an input of
    /// rank `rank`: -1 at the end, else the position given.
    fn one_hot_axis(&self, rank: usize) -> std::result::Result<usize, String> {
        match self.args.axes.as_deref() {
            None | Some([-1]) => Ok(rank),
            Some(&[a]) => axis_of(a, rank, 1),
            Some(a) => Err(format!("one axis expected, got {a:?}")),
        }
    }

    /// The axis `tf.nn.crelu` doubles (-1 by default).
    fn crelu_axis(&self) -> i64 {
        self.args.axes.as_deref().map_or(-1, |a| a[0])
    }

    /// The axes `tf.reverse` flips, each in range.
    fn reversed_axes(&self, rank: usize) -> std::result::Result<Vec<usize>, String> {
        let axes = self.args.axes.as_deref().unwrap_or_default();
        axes.iter().map(|&a| axis_of(a, rank, 0)).collect()
    }

    /// The axes `tf.squeeze` removes (`dim(i)` gives each size).
    pub(super) fn squeezed(
        &self,
        rank: usize,
        dim: impl Fn(usize) -> Option<usize>,
    ) -> std::result::Result<Vec<usize>, String> {
        match &self.args.axes {
            None => Ok((0..rank).filter(|&i| dim(i) == Some(1)).collect()),
            Some(ax) => ax
                .iter()
                .map(|&a| {
                    let i = axis_of(a, rank, 0)?;
                    match dim(i) {
                        Some(1) | None => Ok(i),
                        Some(d) => Err(format!("cannot squeeze axis {a} of size {d}")),
                    }
                })
                .collect(),
        }
    }

    pub(super) fn shape_fn(
        &self,
        f: ShapeFn,
        inputs: &[Tensor],
    ) -> std::result::Result<Vec<Tensor>, String> {
        let x = inputs.first().ok_or("no tensor argument")?;
        let s = x.shape().to_vec();
        let a = &self.args;
        let err = |e: crate::LayersError| e.to_string();
        Ok(match f {
            ShapeFn::ExpandDims | ShapeFn::Squeeze => {
                let o = self.concrete_shape(f, &s)?;
                vec![Tensor::from_f32(o, f32s(x).into_owned()).map_err(err)?]
            }
            ShapeFn::Stack => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), s.len(), 1)?;
                let expanded = inputs
                    .iter()
                    .map(|t| {
                        let mut o = t.shape().to_vec();
                        o.insert(i, 1);
                        Tensor::from_f32(o, f32s(t).into_owned())
                    })
                    .collect::<Result<Vec<Tensor>>>()
                    .map_err(err)?;
                vec![concat(&expanded, i as i64)?]
            }
            ShapeFn::Tile => vec![tile(x, &a.ints)?],
            ShapeFn::Pad => vec![pad(x, &a.paddings, a.pad_mode)?],
            ShapeFn::Gather => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), s.len(), 0)?;
                vec![gather(x, &a.ints, i)?]
            }
            ShapeFn::Cumulative(running) => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), s.len(), 0)?;
                vec![cumulative(x, i, running, [a.exclusive, a.reverse])?]
            }
            ShapeFn::Split => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), s.len(), 0)?;
                split(x, &a.ints, i)?
            }
            ShapeFn::Unstack => {
                let i = axis_of(a.axes.as_ref().map_or(0, |v| v[0]), s.len(), 0)?;
                unstack(x, i)?
            }
            ShapeFn::Reverse => vec![reverse(x, &self.reversed_axes(s.len())?)?],
            ShapeFn::OneHot => {
                let (depth, [on, off]) = (a.ints[0] as usize, a.on_off);
                // Output [outer…, depth, inner…], `inner` the input's axes
                // from the new axis on.
                let inner: usize = s[self.one_hot_axis(s.len())?..].iter().product();
                let inner = inner.max(1);
                let mut out = vec![off; x.len() * depth];
                for (i, &v) in f32s(x).iter().enumerate() {
                    // An index out of [0, depth) gives a row of off values.
                    if v >= 0.0 && (v as usize) < depth {
                        out[((i / inner) * depth + v as usize) * inner + i % inner] = on;
                    }
                }
                vec![Tensor::from_f32(self.concrete_shape(f, &s)?, out).map_err(err)?]
            }
            ShapeFn::Crelu => vec![crelu::crelu(x, self.crelu_axis())?],
            ShapeFn::SequenceMask => {
                let n = a.ints[0] as usize;
                let out = f32s(x)
                    .iter()
                    .flat_map(|&len| (0..n).map(move |j| f32::from((j as f32) < len)))
                    .collect();
                vec![Tensor::from_f32(self.concrete_shape(f, &s)?, out).map_err(err)?]
            }
            ShapeFn::DepthToSpace | ShapeFn::SpaceToDepth => {
                vec![depth_space(
                    x,
                    a.ints[0] as usize,
                    f == ShapeFn::DepthToSpace,
                )?]
            }
        })
    }

    /// Output size of pooled spatial dim `i` of length `n`.
    pub(super) fn pool_dim(&self, n: usize, i: usize) -> Result<usize> {
        let padding = if self.args.same {
            tfjs_kernels::Padding::Same
        } else {
            tfjs_kernels::Padding::Valid
        };
        tfjs_kernels::conv_output_size(n, self.args.ksize[i], self.args.strides[i], 1, padding)
            .map(|(o, _)| o)
            .map_err(|e| self.base.err(format!("tf.{}: {e}", self.function)))
    }
}

/// `tf.pad(x, paddings, mode)` (and `keras.ops.pad`): `paddings`
/// `[before, after]` per axis.
pub(crate) fn pad(
    x: &Tensor,
    paddings: &[[usize; 2]],
    mode: PadMode,
) -> std::result::Result<Tensor, String> {
    let s = x.shape().to_vec();
    if paddings.len() != s.len() {
        return Err(format!("{} paddings for {s:?}", paddings.len()));
    }
    let o: Vec<usize> = s
        .iter()
        .zip(paddings)
        .map(|(d, p)| d + p[0] + p[1])
        .collect();
    mode.check(paddings, &s)?;
    let st = strides_of(&s);
    let xs = f32s(x);
    let n: usize = o.iter().product();
    let out = (0..n)
        .map(|k| {
            let (mut rem, mut src, mut inside) = (k, 0, true);
            for d in (0..o.len()).rev() {
                let c = rem % o[d];
                rem /= o[d];
                match mode.source(c, paddings[d][0], s[d]) {
                    Some(c) => src += c * st[d],
                    None => inside = false,
                }
            }
            if inside {
                xs[src]
            } else {
                mode.fill()
            }
        })
        .collect();
    Tensor::from_f32(o, out).map_err(|e| e.to_string())
}

/// `tf.tile(x, multiples)` (and `keras.ops.tile`): `x` repeated
/// `multiples[d]` times along each axis `d` (the multiples known when the
/// model is built, or read when it runs: `tf.tile(x, [tf.shape(y)[0], 1, 1])`).
pub(crate) fn tile(x: &Tensor, multiples: &[i64]) -> std::result::Result<Tensor, String> {
    let s = x.shape();
    if multiples.len() != s.len() || multiples.iter().any(|&m| m < 0) {
        return Err(format!("multiples {multiples:?} for {s:?}"));
    }
    let o: Vec<usize> = s
        .iter()
        .zip(multiples)
        .map(|(d, &m)| d * m as usize)
        .collect();
    let st = strides_of(s);
    let xs = f32s(x);
    let n: usize = o.iter().product();
    let out = (0..n)
        .map(|k| {
            let (mut rem, mut src) = (k, 0);
            for d in (0..o.len()).rev() {
                let c = rem % o[d];
                rem /= o[d];
                src += (c % s[d]) * st[d];
            }
            xs[src]
        })
        .collect();
    Tensor::from_f32(o, out).map_err(|e| e.to_string())
}

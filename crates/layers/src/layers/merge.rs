//! Merge layers: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`,
//! `Minimum` (Keras broadcasting: lower-rank inputs get size-1 axes inserted
//! after the batch axis), `Concatenate` and `Dot`, with Keras mask merging.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Add => "Add",
            Op::Subtract => "Subtract",
            Op::Multiply => "Multiply",
            Op::Average => "Average",
            Op::Maximum => "Maximum",
            Op::Minimum => "Minimum",
        }
    }
    #[inline]
    fn apply(self, a: f32, b: f32) -> f32 {
        with_op!(self, f => f(a, b))
    }
}

/// `$body` with `$f` bound to `op`'s function (`Average` sums), a closure of
/// its own type per operation, so that a loop over values is compiled (and
/// vectorized) once per operation instead of matching on it per value.
macro_rules! with_op {
    ($op:expr, $f:ident => $body:expr) => {
        match $op {
            Op::Add | Op::Average => {
                let $f = |a: f32, b: f32| a + b;
                $body
            }
            Op::Subtract => {
                let $f = |a: f32, b: f32| a - b;
                $body
            }
            Op::Multiply => {
                let $f = |a: f32, b: f32| a * b;
                $body
            }
            Op::Maximum => {
                let $f = |a: f32, b: f32| a.max(b);
                $body
            }
            Op::Minimum => {
                let $f = |a: f32, b: f32| a.min(b);
                $body
            }
        }
    };
}
use with_op;

fn check_count(base: &Base, n: usize, op: Op) -> Result<()> {
    if op == Op::Subtract && n != 2 {
        return Err(base.err(format!(
            "a Subtract layer expects exactly 2 inputs, got {n}"
        )));
    }
    if n < 1 || (n < 2 && op != Op::Subtract) {
        return Err(base.err(format!(
            "a merge layer should be called on a list of at least 2 inputs, got {n}"
        )));
    }
    Ok(())
}

/// Keras mask merging for elementwise merges. Keras 2 (and TensorFlow.js):
/// the AND of the given masks. Keras 3 (`Merge.compute_mask`): the OR of
/// the masks when every input has one, else no mask.
fn merge_masks(base: &Base, masks: &[Option<Tensor>], keras3: bool) -> Result<Option<Tensor>> {
    if keras3 && masks.iter().any(Option::is_none) {
        return Ok(None);
    }
    let given: Vec<&Tensor> = masks.iter().flatten().collect();
    let Some(first) = given.first() else {
        return Ok(None);
    };
    let mut out = first.to_f32().into_owned();
    for m in &given[1..] {
        if m.shape() != first.shape() {
            return Err(base.err(format!(
                "cannot merge masks of shapes {:?} and {:?}",
                first.shape(),
                m.shape()
            )));
        }
        for (o, v) in out.iter_mut().zip(m.to_f32().iter()) {
            let on = if keras3 {
                *o != 0.0 || *v != 0.0
            } else {
                *o != 0.0 && *v != 0.0
            };
            *o = if on { 1.0 } else { 0.0 };
        }
    }
    Ok(Some(make_tensor(base, first.shape().to_vec(), out)?))
}

/// Broadcast the non-batch dims of `shapes` (right-aligned, as Keras'
/// expand-at-axis-1 does).
fn broadcast_dims(base: &Base, shapes: &[Vec<Option<usize>>]) -> Result<Shape> {
    let rank = shapes.iter().map(Vec::len).max().unwrap_or(0);
    if shapes.iter().any(|s| s.is_empty()) {
        return Err(base.err("merge inputs must have a batch axis"));
    }
    let mut out: Shape = vec![Some(1); rank];
    // batch
    let mut batch: Option<usize> = None;
    let mut batch_unknown = false;
    for s in shapes {
        match s[0] {
            None => batch_unknown = true,
            Some(b) => match batch {
                None => batch = Some(b),
                Some(x) if x == b => {}
                Some(1) => batch = Some(b),
                Some(_) if b == 1 => {}
                Some(x) => {
                    return Err(
                        base.err(format!("inputs have incompatible batch sizes {x} and {b}"))
                    )
                }
            },
        }
    }
    out[0] = if batch_unknown && batch.is_none_or(|b| b == 1) {
        None
    } else {
        batch
    };
    for s in shapes {
        let off = rank - s.len();
        for (i, d) in s.iter().enumerate().skip(1) {
            let o = &mut out[off + i];
            *o = match (*o, *d) {
                (None, _) | (_, None) => None,
                (Some(1), Some(x)) => Some(x),
                (Some(x), Some(1)) => Some(x),
                (Some(x), Some(y)) if x == y => Some(x),
                (Some(x), Some(y)) => {
                    return Err(base.err(format!(
                        "operands could not be broadcast together with shapes {} (dimension {x} vs {y})",
                        shapes.iter().map(shape_str).collect::<Vec<_>>().join(" ")
                    )))
                }
            };
        }
    }
    Ok(out)
}

/// Strides of `shape` aligned to `out_rank` (insert 1s after batch), with 0
/// on broadcast axes.
fn aligned_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let rank = out.len();
    let off = rank - shape.len();
    let mut full = vec![1usize; rank];
    full[0] = shape[0];
    full[off + 1..].copy_from_slice(&shape[1..]);
    let mut strides = vec![0usize; rank];
    let mut acc = 1;
    for i in (0..rank).rev() {
        strides[i] = if full[i] == 1 && out[i] != 1 { 0 } else { acc };
        acc *= full[i];
    }
    strides
}

/// `out (op)= x` with broadcasting of `x` to `out_shape`.
fn accumulate(op: Op, out: &mut [f32], out_shape: &[usize], x: &[f32], x_shape: &[usize]) {
    if x_shape == out_shape {
        with_op!(op, f => out.iter_mut().zip(x).for_each(|(o, v)| *o = f(*o, *v)));
        return;
    }
    let strides = aligned_strides(x_shape, out_shape);
    let rank = out_shape.len();
    let inner = out_shape[rank - 1];
    let istride = strides[rank - 1];
    let mut idx = vec![0usize; rank - 1];
    for row in out.chunks_mut(inner.max(1)) {
        let base: usize = idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
        // The last axis is either x's own (a squeeze-excite gate's
        // channels) or broadcast (one value per row): both one loop.
        match istride {
            1 => {
                let xs = &x[base..base + row.len()];
                with_op!(op, f => row.iter_mut().zip(xs).for_each(|(o, v)| *o = f(*o, *v)));
            }
            0 => {
                let v = x[base];
                with_op!(op, f => row.iter_mut().for_each(|o| *o = f(*o, v)));
            }
            _ => {
                for (j, o) in row.iter_mut().enumerate() {
                    *o = op.apply(*o, x[base + j * istride]);
                }
            }
        }
        for d in (0..rank - 1).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

impl Merge {
    /// A squeeze-and-excite gate, `Multiply` of a tensor and one value per
    /// channel of each sample (`[batch, 1, …, 1, channels]`, either order),
    /// in one pass per sample ([`tfjs_kernels::channel_scale`]); `None`
    /// for anything else.
    fn channel_gate(&self, inputs: &[Tensor], out_shape: &[usize]) -> Option<Vec<f32>> {
        let (Op::Multiply, [a, b]) = (self.op, inputs) else {
            return None;
        };
        let (x, s) = if a.shape() == out_shape {
            (a, b)
        } else {
            (b, a)
        };
        let (xs, ss, sh) = (x.as_f32()?, s.as_f32()?, s.shape());
        let rank = out_shape.len();
        let (&batch, &c) = (out_shape.first()?, out_shape.last()?);
        let gate = x.shape() == out_shape
            && rank >= 2
            && sh.len() == rank
            && sh[0] == batch
            && sh[rank - 1] == c
            && sh[1..rank - 1].iter().all(|&d| d == 1)
            && c > 0;
        if !gate {
            return None;
        }
        let per = xs.len() / batch.max(1);
        let mut out = vec![0.0f32; xs.len()];
        for ((o, x), s) in out
            .chunks_mut(per.max(1))
            .zip(xs.chunks(per.max(1)))
            .zip(ss.chunks(c))
        {
            tfjs_kernels::channel_scale(x, s, o);
        }
        Some(out)
    }
}

/// `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`.
#[derive(Debug, Clone)]
pub struct Merge {
    base: Base,
    cfg: NoFields,
    op: Op,
    /// Keras 3's masked merges (see [`merge_masks`], [`Merge::keras3_masked`]).
    keras3: bool,
}

impl Merge {
    fn from_config(cfg: &ConfigReader<'_>, op: Op) -> Result<Self> {
        Ok(Merge {
            base: Base::parse(cfg)?,
            cfg: NoFields::read(&Cx::new(cfg))?,
            op,
            keras3: cfg.dialect.is_keras3(),
        })
    }

    /// Keras 3's `Multiply`, `Maximum` and `Minimum` of inputs of which
    /// some carry a mask (`Multiply._merge_function`,
    /// `Merge._apply_merge_op_and_or_mask`): a product takes 1 for a masked
    /// input's masked-out values (and is 0 where every input is masked
    /// out, when all have masks); a maximum / minimum takes the other
    /// operand there. Every input and mask broadcast to `out_shape`.
    fn keras3_masked(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
        out_shape: &[usize],
    ) -> Result<Vec<f32>> {
        let n: usize = out_shape.iter().product();
        let spread = |v: &[f32], shape: &[usize]| {
            let mut o = vec![0.0f32; n];
            accumulate(Op::Add, &mut o, out_shape, v, shape);
            o
        };
        let mut vals = Vec::with_capacity(inputs.len());
        let mut on: Vec<Option<Vec<bool>>> = Vec::with_capacity(inputs.len());
        for (i, x) in inputs.iter().enumerate() {
            vals.push(spread(&x.to_f32(), x.shape()));
            let Some(m) = masks.get(i).and_then(Option::as_ref) else {
                on.push(None);
                continue;
            };
            // The mask with a last axis of 1 (`expand_dims(mask, -1)`),
            // broadcast to the input's shape, then to the output's.
            let mut ms = m.shape().to_vec();
            ms.push(1);
            let fits =
                ms.len() == x.rank() && ms.iter().zip(x.shape()).all(|(&a, &b)| a == b || a == 1);
            if !fits {
                return Err(self.base.err(format!(
                    "cannot apply a mask of shape {:?} to an input of shape {:?}",
                    m.shape(),
                    x.shape()
                )));
            }
            let own = {
                let mut o = vec![0.0f32; x.len()];
                accumulate(Op::Add, &mut o, x.shape(), &m.to_f32(), &ms);
                o
            };
            on.push(Some(
                spread(&own, x.shape()).iter().map(|&v| v != 0.0).collect(),
            ));
        }
        let mut out = vals[0].clone();
        let mut out_on = on[0].clone();
        let all_masked = on.iter().all(Option::is_some);
        if self.op == Op::Multiply {
            if let Some(m) = &on[0] {
                out.iter_mut()
                    .zip(m)
                    .filter(|(_, &k)| !k)
                    .for_each(|(o, _)| *o = 1.0);
            }
        }
        for (v, m) in vals.iter().zip(&on).skip(1) {
            let mut x = v.clone();
            match self.op {
                Op::Multiply => {
                    if let Some(m) = m {
                        x.iter_mut()
                            .zip(m)
                            .filter(|(_, &k)| !k)
                            .for_each(|(v, _)| *v = 1.0);
                    }
                }
                _ => {
                    if let Some(m) = m {
                        for ((v, &k), &o) in x.iter_mut().zip(m).zip(&out) {
                            if !k {
                                *v = o;
                            }
                        }
                    }
                    if let Some(om) = &out_on {
                        for ((o, &k), &v) in out.iter_mut().zip(om).zip(&x) {
                            if !k {
                                *o = v;
                            }
                        }
                    }
                }
            }
            out_on = match (out_on, m) {
                (Some(a), Some(b)) => Some(a.iter().zip(b).map(|(&a, &b)| a || b).collect()),
                _ => None,
            };
            let op = self.op;
            with_op!(op, f => out.iter_mut().zip(&x).for_each(|(o, v)| *o = f(*o, *v)));
        }
        if let (Op::Multiply, true, Some(om)) = (self.op, all_masked, &out_on) {
            out.iter_mut()
                .zip(om)
                .filter(|(_, &k)| !k)
                .for_each(|(o, _)| *o = 0.0);
        }
        Ok(out)
    }
}

impl Merge {
    /// `Some(true)` for `Add`, `Some(false)` for `Multiply`: the merges a
    /// fused step applies to a convolution's output in place.
    pub(crate) fn sum_or_product(&self) -> Option<bool> {
        match self.op {
            Op::Add => Some(true),
            Op::Multiply => Some(false),
            _ => None,
        }
    }
}

impl Layer for Merge {
    layer_flags!(per_sample, downcast);
    fn class_name(&self) -> &str {
        self.op.name()
    }
    layer_common!(_);
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        check_count(&self.base, inputs.len(), self.op)?;
        Ok(vec![broadcast_dims(&self.base, inputs)?])
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        check_count(&self.base, inputs.len(), self.op)?;
        let shapes: Vec<Shape> = inputs
            .iter()
            .map(|t| t.shape().iter().map(|&d| Some(d)).collect())
            .collect();
        let out_shape: Vec<usize> = broadcast_dims(&self.base, &shapes)?
            .into_iter()
            .map(|d| d.unwrap_or(1))
            .collect();
        let masked = self.keras3
            && matches!(self.op, Op::Multiply | Op::Maximum | Op::Minimum)
            && masks.iter().any(Option::is_some);
        if masked {
            let out = self.keras3_masked(inputs, masks, &out_shape)?;
            return Ok(vec![make_tensor(&self.base, out_shape, out)?]);
        }
        if let Some(out) = self.channel_gate(inputs, &out_shape) {
            return Ok(vec![make_tensor(&self.base, out_shape, out)?]);
        }
        let n: usize = out_shape.iter().product();
        let first = &inputs[0];
        let same = inputs.iter().all(|t| t.shape() == out_shape.as_slice());
        let op = self.op;
        let mut rest = &inputs[1..];
        let mut out = if same && inputs.len() >= 2 {
            // One fused pass over the first two inputs (the common case).
            rest = &inputs[2..];
            with_op!(op, f => zip_new(&first.to_f32(), &inputs[1].to_f32(), f))
        } else if first.shape() == out_shape.as_slice() {
            first.to_f32().into_owned()
        } else {
            let mut o = vec![0.0f32; n];
            accumulate(Op::Add, &mut o, &out_shape, &first.to_f32(), first.shape());
            o
        };
        for x in rest {
            accumulate(self.op, &mut out, &out_shape, &x.to_f32(), x.shape());
        }
        if self.op == Op::Average {
            let k = 1.0 / inputs.len() as f32;
            out.iter_mut().for_each(|v| *v *= k);
        }
        Ok(vec![make_tensor(&self.base, out_shape, out)?])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![merge_masks(&self.base, masks, self.keras3)?])
    }
}

// ---------------------------------------------------------------------------
// Concatenate
// ---------------------------------------------------------------------------

keras_config! {
    /// `Concatenate`'s config.
    pub(crate) struct ConcatenateConfig |cx| {
        axis: i64 = -1,
    }
}

/// `Concatenate` along `axis`; also Keras 3's `TFDConcat`, the
/// concatenation `FeatureSpace(output_mode="concat")` puts in the models it
/// builds (`keras/src/layers/preprocessing/feature_space.py`:
/// `numpy.concatenate(xs, axis)`, no masks, the inputs' common dtype: int32
/// when every input is int32).
#[derive(Debug, Clone)]
pub struct Concatenate {
    /// `Concatenate` or `TFDConcat`.
    class: &'static str,
    base: Base,
    cfg: ConcatenateConfig,
    /// Keras 3 merges the masks of a concatenation along the features with
    /// `any` (an unmasked input, all ones, then unmasks every step);
    /// Keras 2 with `all`.
    keras3: bool,
}

impl Concatenate {
    fn from_config(class: &'static str, cfg: &ConfigReader<'_>) -> Result<Self> {
        Ok(Concatenate {
            class,
            base: Base::parse(cfg)?,
            cfg: ConcatenateConfig::read(&Cx::new(cfg))?,
            keras3: cfg.dialect.is_keras3(),
        })
    }
    fn check(&self, shapes: &[Shape]) -> Result<usize> {
        if shapes.len() < 2 {
            return Err(self.base.err(format!(
                "a Concatenate layer should be called on a list of at least 2 inputs, got {}",
                shapes.len()
            )));
        }
        let rank = shapes[0].len();
        if shapes.iter().any(|s| s.len() != rank) {
            return Err(self.base.err(format!(
                "inputs must have the same rank, got shapes {}",
                shapes.iter().map(shape_str).collect::<Vec<_>>().join(" ")
            )));
        }
        let a = norm_axis(&self.base, self.cfg.axis, rank)?;
        for s in &shapes[1..] {
            for d in 0..rank {
                if d != a {
                    if let (Some(x), Some(y)) = (shapes[0][d], s[d]) {
                        if x != y {
                            return Err(self.base.err(format!(
                                "a Concatenate layer requires inputs with matching shapes except for the concat axis; got shapes {}",
                                shapes.iter().map(shape_str).collect::<Vec<_>>().join(" ")
                            )));
                        }
                    }
                }
            }
        }
        Ok(a)
    }
}

impl Layer for Concatenate {
    fn per_sample(&self) -> bool {
        // -1 or a positive axis never joins along the batch axis.
        self.cfg.axis > 0 || self.cfg.axis == -1
    }
    layer_common!(self.class);
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let a = self.check(inputs)?;
        let mut out = inputs[0].clone();
        for (d, o) in out.iter_mut().enumerate() {
            if d == a {
                *o = inputs
                    .iter()
                    .try_fold(0usize, |acc, s| s[d].map(|x| acc + x));
            } else {
                *o = inputs.iter().find_map(|s| s[d]);
            }
        }
        Ok(vec![out])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let shapes: Vec<Shape> = inputs
            .iter()
            .map(|t| t.shape().iter().map(|&d| Some(d)).collect())
            .collect();
        let a = self.check(&shapes)?;
        let outer: usize = inputs[0].shape()[..a].iter().product();
        let chunks: Vec<usize> = inputs
            .iter()
            .map(|t| t.shape()[a..].iter().product())
            .collect();
        let total: usize = chunks.iter().sum();
        let datas: Vec<_> = inputs.iter().map(|t| t.to_f32()).collect();
        let parts: Vec<&[f32]> = datas.iter().map(|d| &d[..]).collect();
        let mut out = vec![0.0; outer * total];
        tfjs_kernels::concat_chunks(&parts, &chunks, &mut out);
        let mut shape = inputs[0].shape().to_vec();
        shape[a] = inputs.iter().map(|t| t.shape()[a]).sum();
        if self.class == "TFDConcat" && inputs.iter().all(|t| t.dtype() == "int32") {
            // (Integer ids: exact in f32 up to 2^24.)
            let ints = out.iter().map(|&x| x as i32).collect();
            return Ok(vec![Tensor::from_i32(shape, ints)?]);
        }
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
    fn compute_mask(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        // TFDConcat does not support masking: Keras drops the masks.
        if masks.iter().all(Option::is_none) || inputs.is_empty() || self.class == "TFDConcat" {
            return Ok(vec![None]);
        }
        let rank = inputs[0].rank();
        let a = norm_axis(&self.base, self.cfg.axis, rank)?;
        // Masks are [batch, time]; a missing one is all ones.
        let mask_shape = |i: usize| -> Vec<usize> {
            masks
                .iter()
                .flatten()
                .next()
                .map(|m| {
                    let mut s = m.shape().to_vec();
                    if a < s.len() && a >= 1 {
                        s[a] = inputs[i].shape()[a];
                    }
                    s
                })
                .unwrap_or_default()
        };
        let filled: Vec<Tensor> = masks
            .iter()
            .enumerate()
            .map(|(i, m)| match m {
                Some(m) => m.clone(),
                None => {
                    let s = mask_shape(i);
                    let n = s.iter().product();
                    Tensor::from_f32(s, vec![1.0; n]).expect("length matches")
                }
            })
            .collect();
        let mrank = filled[0].rank();
        if a < mrank && mrank < rank {
            // Concatenating along a masked (time) axis: concatenate the masks.
            let outer: usize = filled[0].shape()[..a].iter().product();
            let mut out = Vec::new();
            for o in 0..outer {
                for m in &filled {
                    let c: usize = m.shape()[a..].iter().product();
                    out.extend_from_slice(&m.to_f32()[o * c..(o + 1) * c]);
                }
            }
            let mut s = filled[0].shape().to_vec();
            s[a] = filled.iter().map(|m| m.shape()[a]).sum();
            return Ok(vec![Some(make_tensor(&self.base, s, out)?)]);
        }
        let opts: Vec<Option<Tensor>> = filled.into_iter().map(Some).collect();
        Ok(vec![merge_masks(&self.base, &opts, self.keras3)?])
    }
}

// ---------------------------------------------------------------------------
// Dot
// ---------------------------------------------------------------------------

keras_config! {
    /// `Dot`'s config: `axes` is an int or a pair of ints.
    pub(crate) struct DotConfig |cx| {
        axes: Axes,
        normalize: bool = false,
    }
}

/// `Dot`: batched dot product over one axis of each input.
#[derive(Debug, Clone)]
pub struct Dot {
    base: Base,
    cfg: DotConfig,
    axes: (i64, i64),
}

impl Dot {
    fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let c = DotConfig::read(&Cx::new(cfg))?;
        let axes = match c.axes.list[..] {
            [a] => (a, a),
            [a, b] => (a, b),
            _ => {
                return Err(cfg.err(
                    "axes",
                    format!(
                        "expected an int or a pair of ints, got {}",
                        c.axes.to_value().unwrap_or_default()
                    ),
                ))
            }
        };
        Ok(Dot {
            base: Base::parse(cfg)?,
            cfg: c,
            axes,
        })
    }

    fn resolve(&self, r1: usize, r2: usize) -> Result<(usize, usize)> {
        let a = norm_axis(&self.base, self.axes.0, r1)?;
        let b = norm_axis(&self.base, self.axes.1, r2)?;
        if a == 0 || b == 0 {
            return Err(self
                .base
                .err("cannot take a dot product over the batch axis"));
        }
        Ok((a, b))
    }

    /// The layer's two inputs (shapes or tensors), or why not.
    fn two<'a, T>(&self, inputs: &'a [T]) -> Result<(&'a T, &'a T)> {
        match inputs {
            [x, y] => Ok((x, y)),
            _ => Err(self.base.err(format!(
                "a Dot layer expects exactly 2 inputs, got {}",
                inputs.len()
            ))),
        }
    }
}

/// The dims of `shape` a `Dot` result keeps: all but the batch axis and
/// the contracted `axis`.
fn kept_dims<T: Copy>(shape: &[T], axis: usize) -> impl Iterator<Item = T> + '_ {
    shape
        .iter()
        .enumerate()
        .skip(1)
        .filter(move |(i, _)| *i != axis)
        .map(|(_, d)| *d)
}

/// A `Dot` result's shape (symbolic or concrete): `batch`, then the kept
/// dims of `x` (contracted over `a`) and of `y` (over `b`); a lone batch
/// dim gets a trailing `one`, as TensorFlow.js keeps the result rank 2.
fn dot_shape<T: Copy>(batch: T, x: &[T], a: usize, y: &[T], b: usize, one: T) -> Vec<T> {
    let mut out = vec![batch];
    out.extend(kept_dims(x, a));
    out.extend(kept_dims(y, b));
    if out.len() == 1 {
        out.push(one);
    }
    out
}

fn l2_normalize(data: &mut [f32], shape: &[usize], axis: usize) {
    let inner: usize = shape[axis + 1..].iter().product();
    let n = shape[axis];
    let outer: usize = shape[..axis].iter().product();
    for o in 0..outer {
        for i in 0..inner {
            let base = o * n * inner + i;
            let ss: f32 = (0..n).map(|k| data[base + k * inner].powi(2)).sum();
            let inv = 1.0 / ss.max(1e-12).sqrt();
            for k in 0..n {
                data[base + k * inner] *= inv;
            }
        }
    }
}

impl Layer for Dot {
    layer_common!("Dot");
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let (x, y) = self.two(inputs)?;
        let (a, b) = self.resolve(x.len(), y.len())?;
        if let (Some(p), Some(q)) = (x[a], y[b]) {
            if p != q {
                return Err(self.base.err(format!(
                    "dimension incompatibility: {p} (axis {a} of {}) != {q} (axis {b} of {})",
                    shape_str(x),
                    shape_str(y)
                )));
            }
        }
        Ok(vec![dot_shape(x[0].or(y[0]), x, a, y, b, Some(1))])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let (x, y) = self.two(inputs)?;
        let (a, b) = self.resolve(x.rank(), y.rank())?;
        let (xs, ys) = (x.shape(), y.shape());
        if xs[a] != ys[b] || xs[0] != ys[0] {
            return Err(self.base.err(format!(
                "cannot take the dot product of shapes {xs:?} (axis {a}) and {ys:?} (axis {b})"
            )));
        }
        let mut xd = x.to_f32().into_owned();
        let mut yd = y.to_f32().into_owned();
        if self.cfg.normalize {
            l2_normalize(&mut xd, xs, a);
            l2_normalize(&mut yd, ys, b);
        }
        // x → [B, Mx, K], y → [B, K, My].
        let px: Vec<usize> = (0..xs.len()).filter(|&i| i != a).chain([a]).collect();
        let py: Vec<usize> = [0, b]
            .into_iter()
            .chain((1..ys.len()).filter(|&i| i != b))
            .collect();
        let xt = transpose(&xd, xs, &px);
        let yt = transpose(&yd, ys, &py);
        let batch = xs[0];
        let k = xs[a];
        let mx: usize = kept_dims(xs, a).product();
        let my: usize = kept_dims(ys, b).product();
        let mut out = vec![0.0f32; batch * mx * my];
        for bi in 0..batch {
            let o = &mut out[bi * mx * my..(bi + 1) * mx * my];
            if mx * my > 0 {
                tfjs_kernels::matmul(
                    &xt[bi * mx * k..(bi + 1) * mx * k],
                    &yt[bi * k * my..(bi + 1) * k * my],
                    mx,
                    k,
                    my,
                    o,
                    false,
                );
            }
        }
        let shape = dot_shape(batch, xs, a, ys, b, 1);
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
}

/// Register the merge classes.
pub fn register(registry: &mut LayerRegistry) {
    for op in [
        Op::Add,
        Op::Subtract,
        Op::Multiply,
        Op::Average,
        Op::Maximum,
        Op::Minimum,
    ] {
        register_simple(registry, &[op.name()], move |c| {
            boxed_layer(Merge::from_config(c, op))
        });
    }
    register_layer(registry, &["Concatenate"], |c| {
        Concatenate::from_config("Concatenate", c)
    });
    register_layer(registry, &["TFDConcat"], |c| {
        Concatenate::from_config("TFDConcat", c)
    });
    register_layer(registry, &["Dot"], Dot::from_config);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dialect;
    use serde_json::{json, Map, Value};

    fn config() -> Map<String, Value> {
        json!({"name": "m"})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    fn t(values: &[f32]) -> Tensor {
        Tensor::from_f32(vec![1, values.len(), 1], values.to_vec()).unwrap()
    }

    fn mask(values: &[f32]) -> Option<Tensor> {
        Some(Tensor::from_f32(vec![1, values.len()], values.to_vec()).unwrap())
    }

    fn merge(op: Op, dialect: Dialect) -> Merge {
        let map = config();
        Merge::from_config(&ConfigReader::new("m", &map).in_dialect(dialect), op).unwrap()
    }

    /// Values and mask of `layer` on `xs` with masks `ms`.
    fn run(
        layer: &dyn Layer,
        xs: &[Tensor],
        ms: &[Option<Tensor>],
    ) -> (Vec<f32>, Option<Vec<f32>>) {
        let y = layer.call(xs, ms).unwrap().remove(0);
        let m = layer.compute_mask(xs, ms).unwrap().remove(0);
        (y.to_f32().into_owned(), m.map(|m| m.to_f32().into_owned()))
    }

    /// Keras 3 (`Multiply._merge_function`,
    /// `Merge._apply_merge_op_and_or_mask`, `Merge.compute_mask`): a
    /// masked-out value counts as 1 in a product (0 where every input is
    /// masked out), as the other operand in a maximum; the output mask is
    /// the OR of the masks when all inputs have one, else none. Keras 2
    /// multiplies the values and ANDs the masks given.
    #[test]
    fn keras3_merges_of_masked_inputs() {
        let k3 = Dialect::from_keras_version(Some("3.15.1"));
        let k2 = Dialect::from_keras_version(Some("2.21.0"));
        let (a, b) = (t(&[2.0, 3.0, 4.0]), t(&[5.0, 6.0, 7.0]));
        let xs = [a.clone(), b.clone()];
        let one = [mask(&[1.0, 0.0, 1.0]), None];
        let mul3 = merge(Op::Multiply, k3);
        assert_eq!(run(&mul3, &xs, &one), (vec![10.0, 6.0, 28.0], None));
        let mul2 = merge(Op::Multiply, k2);
        let expected = (vec![10.0, 18.0, 28.0], Some(vec![1.0, 0.0, 1.0]));
        assert_eq!(run(&mul2, &xs, &one), expected);
        let both = [mask(&[1.0, 0.0, 0.0]), mask(&[1.0, 1.0, 0.0])];
        let expected = (vec![10.0, 6.0, 0.0], Some(vec![1.0, 1.0, 0.0]));
        assert_eq!(run(&mul3, &xs, &both), expected);
        let max_xs = [a.clone(), t(&[5.0, 1.0, 7.0])];
        let expected = (vec![5.0, 1.0, 4.0], Some(vec![1.0, 1.0, 0.0]));
        assert_eq!(run(&merge(Op::Maximum, k3), &max_xs, &both), expected);
        let add3 = merge(Op::Add, k3);
        assert_eq!(run(&add3, &xs, &one), (vec![7.0, 9.0, 11.0], None));
        let expected = (vec![7.0, 9.0, 11.0], Some(vec![1.0, 1.0, 0.0]));
        assert_eq!(run(&add3, &xs, &both), expected);
        let expected = (vec![7.0, 9.0, 11.0], Some(vec![1.0, 0.0, 0.0]));
        assert_eq!(run(&merge(Op::Add, k2), &xs, &both), expected);
        // Concatenating features with an unmasked input: Keras 3 `any`
        // (every step kept), Keras 2 `all`.
        let map = config();
        let cat = |d| {
            Concatenate::from_config("Concatenate", &ConfigReader::new("c", &map).in_dialect(d))
                .unwrap()
        };
        assert_eq!(run(&cat(k3), &xs, &one).1, Some(vec![1.0, 1.0, 1.0]));
        assert_eq!(run(&cat(k2), &xs, &one).1, Some(vec![1.0, 0.0, 1.0]));
    }
}

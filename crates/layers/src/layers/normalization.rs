//! Normalization layers: `BatchNormalization` (moving statistics, i.e.
//! inference mode), `LayerNormalization`, Keras' `GroupNormalization` and
//! `UnitNormalization`.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use rayon::prelude::*;
use serde_json::{json, Map, Value};

mod virtual_batch;

/// Normalize and sort a list of axes against `rank`, rejecting duplicates.
fn norm_axes(base: &Base, axes: &[i64], rank: usize) -> Result<Vec<usize>> {
    sorted_axes(base, axes, rank, || format!("duplicate axes in {axes:?}"))
}

/// [`norm_axes`] with `duplicate()` the error message when two axes are one.
fn sorted_axes(
    base: &Base,
    axes: &[i64],
    rank: usize,
    duplicate: impl FnOnce() -> String,
) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = axes
        .iter()
        .map(|&a| norm_axis(base, a, rank))
        .collect::<Result<_>>()?;
    out.sort_unstable();
    out.dedup();
    if out.len() != axes.len() {
        return Err(base.err(duplicate()));
    }
    if out.contains(&0) {
        return Err(base.err("cannot normalize over the batch axis 0"));
    }
    Ok(out)
}

/// The sizes of build shape `s` at `axes` (in that order), which must be
/// known to make the parameters.
fn known_dims(base: &Base, s: &Shape, axes: &[usize]) -> Result<Vec<usize>> {
    axes.iter()
        .map(|&a| {
            s[a].ok_or_else(|| {
                base.err(format!(
                    "axis {a} of input shape {} must be known to build the layer",
                    shape_str(s)
                ))
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// BatchNormalization
// ---------------------------------------------------------------------------

keras_config! {
    /// `BatchNormalization`'s config, in TensorFlow.js's key order.
    pub(crate) struct BatchNormalizationConfig |cx| {
        axis: Axes = Axes::one(-1),
        momentum: f64 = 0.99,
        epsilon: f64 = 0.001,
        center: bool = true,
        scale: bool = true,
        beta_initializer: Init = Init::zeros(),
        gamma_initializer: Init = Init::ones(),
        moving_mean_initializer: Init = Init::zeros(),
        moving_variance_initializer: Init = Init::ones(),
        beta_regularizer: Reg,
        gamma_regularizer: Reg,
        beta_constraint: Cons,
        gamma_constraint: Cons,
        renorm: IfSet<bool>,
        renorm_clipping: IfSet<Raw>,
        renorm_momentum: IfSet<f64>,
        virtual_batch_size: IfSet<Positive>,
    }
}

/// `BatchNormalization` at inference:
/// `(x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta`.
/// With Keras 2's `renorm` the layer also holds `moving_stddev`,
/// `renorm_mean` and `renorm_stddev` (batch renormalization's training
/// statistics), loaded and saved but unused at inference.
#[derive(Debug, Clone)]
pub struct BatchNormalization {
    base: Base,
    cfg: BatchNormalizationConfig,
    params: Params,
    /// Normalized axes of the build shape, and its rank.
    built_axes: Vec<usize>,
    built_rank: usize,
}

/// A normalization's declared config `C` and base, read from `cfg`, with
/// the checks the normalizations share: `epsilon` (where the layer has
/// one) is a non-negative number and `axis` names at least one axis
/// (`checked` gives both of the config).
fn read_checked<C: ConfigFields>(
    cfg: &ConfigReader<'_>,
    checked: impl FnOnce(&C) -> (Option<f64>, &[i64]),
) -> Result<(Base, C)> {
    let c = C::read(&Cx::new(cfg))?;
    let (epsilon, axes) = checked(&c);
    if epsilon.is_some_and(|e| e.is_nan() || e < 0.0) {
        return Err(cfg.err("epsilon", "must be a non-negative number"));
    }
    if axes.is_empty() {
        return Err(cfg.err("axis", "must name at least one axis"));
    }
    Ok((Base::parse(cfg)?, c))
}

impl BatchNormalization {
    fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let (base, cfg) = read_checked(cfg, |c: &BatchNormalizationConfig| {
            (Some(c.epsilon), &c.axis.list)
        })?;
        let bn = BatchNormalization {
            base,
            cfg,
            params: Params::default(),
            built_axes: Vec::new(),
            built_rank: 0,
        };
        Ok(built_if_possible(bn, |l| (&l.base, &mut l.params)))
    }

    /// (scale, shift) per parameter element.
    fn folded(&self) -> (Vec<f32>, Vec<f32>) {
        let mut i = 0;
        let gamma = if self.cfg.scale {
            i += 1;
            Some(self.params.get(i - 1))
        } else {
            None
        };
        let beta = if self.cfg.center {
            i += 1;
            Some(self.params.get(i - 1))
        } else {
            None
        };
        let mean = self.params.get(i);
        let var = self.params.get(i + 1);
        let eps = self.cfg.epsilon as f32;
        let n = mean.len();
        let mut scale = vec![0.0f32; n];
        let mut shift = vec![0.0f32; n];
        for c in 0..n {
            let inv = 1.0 / (var[c] + eps).sqrt();
            let s = inv * gamma.map_or(1.0, |g| g[c]);
            scale[c] = s;
            shift[c] = beta.map_or(0.0, |b| b[c]) - mean[c] * s;
        }
        (scale, shift)
    }
}

impl BatchNormalization {
    /// Per-channel `(scale, shift)` when this layer normalizes the last
    /// axis of a rank-4 input with `channels` channels (what a preceding
    /// channels-last convolution can absorb), computed exactly as `call`.
    pub(crate) fn channel_affine(&self, channels: usize) -> Option<(Vec<f32>, Vec<f32>)> {
        if self.built_rank != 4 || self.built_axes != [3] || !self.params.is_built() {
            return None;
        }
        let (scale, shift) = self.folded();
        (scale.len() == channels).then_some((scale, shift))
    }
}

impl BatchNormalization {
    /// Per-channel `(scale, shift)` and the input rank when this layer
    /// normalizes the last axis (`call`'s one-pass case), computed exactly
    /// as `call`.
    pub(crate) fn last_axis_affine(&self) -> Option<(Vec<f32>, Vec<f32>, usize)> {
        let last = self.built_rank.checked_sub(1)?;
        if self.built_axes != [last] || !self.params.is_built() {
            return None;
        }
        let (scale, shift) = self.folded();
        Some((scale, shift, self.built_rank))
    }
}

impl Layer for BatchNormalization {
    layer_flags!(per_sample, downcast);
    layer_common!("BatchNormalization", weights);
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        let virtual_batch = self.cfg.virtual_batch_size.0.is_some();
        let axes = if virtual_batch {
            virtual_batch::input_axes(&self.base, &self.cfg.axis.list, s.len())?
        } else {
            norm_axes(&self.base, &self.cfg.axis.list, s.len())?
        };
        let dims = known_dims(&self.base, s, &axes)?;
        // Keras 2: a single axis gives [C]; several give a full-rank shape
        // with 1 on the other axes; with `virtual_batch_size`, the
        // full-rank shape of the virtual-batch reshape ([1, 1, …]).
        let pshape = if virtual_batch {
            virtual_batch::param_shape(&axes, &dims, s.len())
        } else if axes.len() == 1 {
            dims.clone()
        } else {
            (0..s.len())
                .map(|i| axes.iter().position(|&a| a == i).map_or(1, |j| dims[j]))
                .collect()
        };
        self.params.clear();
        self.params
            .add_gamma_beta(pshape.clone(), self.cfg.scale, self.cfg.center)?;
        self.params.add("moving_mean", pshape.clone(), false, 0.0)?;
        self.params
            .add("moving_variance", pshape.clone(), false, 1.0)?;
        if self.cfg.renorm.0 == Some(true) {
            self.params
                .add("moving_stddev", pshape.clone(), false, 1.0)?;
            self.params.add("renorm_mean", pshape.clone(), false, 0.0)?;
            self.params.add("renorm_stddev", pshape, false, 1.0)?;
        }
        self.built_axes = axes;
        self.built_rank = s.len();
        Ok(())
    }
    same_as_input!(shape, mask);
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        if x.rank() != self.built_rank {
            return Err(self.base.err(format!(
                "expects a rank-{} input, got shape {:?}",
                self.built_rank,
                x.shape()
            )));
        }
        let axes = &self.built_axes;
        let (scale, shift) = self.folded();
        let shape = x.shape();
        if axes.len() == 1 && shape[axes[0]] == scale.len() && axes[0] + 1 == shape.len() {
            // Channels last: one fused pass from input to output.
            let c = scale.len().max(1);
            let xd = x.to_f32();
            let mut out = vec![0.0f32; xd.len()];
            let blk = c * (4096 / c).max(1);
            let f = |(o, i): (&mut [f32], &[f32])| {
                for (orow, irow) in o.chunks_mut(c).zip(i.chunks(c)) {
                    for (((ov, iv), s), t) in orow.iter_mut().zip(irow).zip(&scale).zip(&shift) {
                        *ov = iv * s + t;
                    }
                }
            };
            if xd.len() >= 1 << 16 {
                out.par_chunks_mut(blk).zip(xd.par_chunks(blk)).for_each(f);
            } else {
                out.chunks_mut(blk).zip(xd.chunks(blk)).for_each(f);
            }
            return Ok(vec![make_tensor(&self.base, shape.to_vec(), out)?]);
        }
        let mut data = x.to_f32().into_owned();
        if axes.len() == 1 {
            let a = axes[0];
            let c = shape[a];
            if c != scale.len() {
                return Err(self.base.err(format!(
                    "expects {} features on axis {a}, got input shape {shape:?}",
                    scale.len()
                )));
            }
            let inner: usize = shape[a + 1..].iter().product();
            if inner == 1 {
                let f = |row: &mut [f32]| {
                    for ((v, s), t) in row.iter_mut().zip(&scale).zip(&shift) {
                        *v = *v * s + t;
                    }
                };
                if data.len() >= 1 << 16 {
                    data.par_chunks_mut(c.max(1)).for_each(f);
                } else {
                    data.chunks_mut(c.max(1)).for_each(f);
                }
            } else {
                for (i, block) in data.chunks_mut(inner.max(1)).enumerate() {
                    let ch = i % c;
                    let (s, t) = (scale[ch], shift[ch]);
                    block.iter_mut().for_each(|v| *v = *v * s + t);
                }
            }
        } else {
            // Full-rank parameter shape with 1 outside `axes`.
            let rank = shape.len();
            let mut pstrides = vec![0usize; rank];
            let mut acc = 1;
            for i in (0..rank).rev() {
                if axes.contains(&i) {
                    pstrides[i] = acc;
                    acc *= shape[i];
                }
            }
            if acc != scale.len() {
                return Err(self.base.err(format!(
                    "input shape {shape:?} does not match the layer's {} parameters",
                    scale.len()
                )));
            }
            let mut idx = vec![0usize; rank];
            for v in data.iter_mut() {
                let p: usize = idx.iter().zip(&pstrides).map(|(i, s)| i * s).sum();
                *v = *v * scale[p] + shift[p];
                for d in (0..rank).rev() {
                    idx[d] += 1;
                    if idx[d] < shape[d] {
                        break;
                    }
                    idx[d] = 0;
                }
            }
        }
        Ok(vec![make_tensor(&self.base, shape.to_vec(), data)?])
    }
}

// ---------------------------------------------------------------------------
// LayerNormalization / UnitNormalization (row-wise over trailing axes)
// ---------------------------------------------------------------------------

/// Move `axes` (sorted) to the end: (permutation, inverse permutation),
/// or `None` when they already are the trailing axes.
fn trailing_perm(axes: &[usize], rank: usize) -> Option<(Vec<usize>, Vec<usize>)> {
    if axes
        .iter()
        .enumerate()
        .all(|(i, &a)| a == rank - axes.len() + i)
    {
        return None;
    }
    let mut perm: Vec<usize> = (0..rank).filter(|i| !axes.contains(i)).collect();
    perm.extend(axes);
    let mut inv = vec![0; rank];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    Some((perm, inv))
}

/// Run `f` on every row of `row` elements after moving `axes` last.
fn rowwise<F: Fn(&mut [f32]) + Sync + Send>(x: &Tensor, axes: &[usize], f: F) -> Vec<f32> {
    let shape = x.shape();
    let rank = shape.len();
    let row: usize = axes.iter().map(|&a| shape[a]).product();
    let perm = trailing_perm(axes, rank);
    let mut data = match &perm {
        None => x.to_f32().into_owned(),
        Some((p, _)) => transpose(&x.to_f32(), shape, p),
    };
    if row > 0 {
        if data.len() >= 1 << 15 {
            data.par_chunks_mut(row).for_each(&f);
        } else {
            data.chunks_mut(row).for_each(&f);
        }
    }
    match perm {
        None => data,
        Some((p, inv)) => {
            let tshape: Vec<usize> = p.iter().map(|&i| shape[i]).collect();
            transpose(&data, &tshape, &inv)
        }
    }
}

/// Keras's layer normalization of `x` over `axes` (sorted, as
/// [`norm_axes`] gives them): each row less its mean, times
/// `rsqrt(variance + epsilon)`, times `gamma`, plus `beta` (one value per
/// row element, in sorted-axis order). `rms_scaling` (Keras 3): the mean
/// is subtracted from the variance only, and there is no `beta`. The
/// `LayerNormalization` layer and `ops.layer_normalization`.
pub(crate) fn layer_norm(
    x: &Tensor,
    axes: &[usize],
    epsilon: f32,
    rms_scaling: bool,
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
) -> Vec<f32> {
    rowwise(x, axes, |r: &mut [f32]| {
        let n = r.len() as f32;
        let mean = r.iter().sum::<f32>() / n;
        let var = r.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let inv = 1.0 / (var + epsilon).sqrt();
        let shift = if rms_scaling { 0.0 } else { mean };
        r.iter_mut().for_each(|v| *v = (*v - shift) * inv);
        // Scale and offset as separate passes, so each loop vectorizes.
        if let Some(g) = gamma {
            r.iter_mut().zip(g).for_each(|(v, g)| *v *= g);
        }
        if let Some(b) = beta {
            r.iter_mut().zip(b).for_each(|(v, b)| *v += b);
        }
    })
}

/// Keras 3's RMS normalization of `x` over `axes` (sorted): `x ·
/// rsqrt(mean(x²) + epsilon) · scale` (one value per row element, in
/// sorted-axis order). The `RMSNormalization` layer and
/// `ops.rms_normalization`.
pub(crate) fn rms_norm(
    x: &Tensor,
    axes: &[usize],
    epsilon: f32,
    scale: Option<&[f32]>,
) -> Vec<f32> {
    rowwise(x, axes, |r: &mut [f32]| {
        let ms = r.iter().map(|v| v * v).sum::<f32>() / r.len() as f32;
        let inv = 1.0 / (ms + epsilon).sqrt();
        match scale {
            Some(g) => r.iter_mut().zip(g).for_each(|(v, g)| *v *= inv * g),
            None => r.iter_mut().for_each(|v| *v *= inv),
        }
    })
}

keras_config! {
    /// `LayerNormalization`'s config, in TensorFlow.js's key order (TF.js
    /// writes no constraints for it).
    pub(crate) struct LayerNormalizationConfig |cx| {
        axis: Axes = Axes::one(-1),
        epsilon: f64 = 0.001,
        center: bool = true,
        scale: bool = true,
        beta_initializer: Init = Init::zeros(),
        gamma_initializer: Init = Init::ones(),
        beta_regularizer: Reg,
        gamma_regularizer: Reg,
    }
}

/// `LayerNormalization`.
#[derive(Debug, Clone)]
pub struct LayerNormalization {
    base: Base,
    cfg: LayerNormalizationConfig,
    /// Keras 3 `rms_scaling` (written after the base keys, when set): the
    /// input times `rsqrt(variance + epsilon)` (the mean is not subtracted
    /// from the input, but it is from the variance), times gamma; Keras
    /// then always has a gamma and never a beta, whatever `scale` / `center`.
    rms_scaling: bool,
    params: Params,
    built_axes: Vec<usize>,
}

impl LayerNormalization {
    fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let (base, c) = read_checked(cfg, |c: &LayerNormalizationConfig| {
            (Some(c.epsilon), &c.axis.list)
        })?;
        let l = LayerNormalization {
            base,
            cfg: c,
            rms_scaling: cfg.bool_or("rms_scaling", false)?,
            params: Params::default(),
            built_axes: Vec::new(),
        };
        Ok(built_if_possible(l, |l| (&l.base, &mut l.params)))
    }
}

impl LayerNormalization {
    fn has_gamma(&self) -> bool {
        self.cfg.scale || self.rms_scaling
    }
    fn has_beta(&self) -> bool {
        self.cfg.center && !self.rms_scaling
    }
}

impl Layer for LayerNormalization {
    layer_flags!(per_sample);
    layer_common!(names "LayerNormalization");
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.cfg.write(&mut m);
        self.base.write(&mut m);
        if self.rms_scaling {
            m.insert("rms_scaling".into(), json!(true));
        }
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        let axes = norm_axes(&self.base, &self.cfg.axis.list, s.len())?;
        // TF.js/Keras parameter shape: the input dims at `axis`, in the given
        // order (every axis is valid: `norm_axes` checked them).
        let given: Vec<usize> = self
            .cfg
            .axis
            .list
            .iter()
            .map(|&a| norm_axis(&self.base, a, s.len()))
            .collect::<Result<_>>()?;
        let pshape = known_dims(&self.base, s, &given)?;
        self.params.clear();
        self.params
            .add_gamma_beta(pshape, self.has_gamma(), self.has_beta())?;
        self.built_axes = axes;
        Ok(())
    }
    layer_common!(weights);
    same_as_input!(shape, mask);
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let axes = if self.built_axes.is_empty() {
            norm_axes(&self.base, &self.cfg.axis.list, x.rank())?
        } else {
            self.built_axes.clone()
        };
        if axes.iter().any(|&a| a >= x.rank()) {
            return Err(self.base.err(format!(
                "axes {axes:?} out of range for input shape {:?}",
                x.shape()
            )));
        }
        let row: usize = axes.iter().map(|&a| x.shape()[a]).product();
        let gamma = self.has_gamma().then(|| self.params.get(0));
        let beta = self
            .has_beta()
            .then(|| self.params.get(usize::from(self.has_gamma())));
        // Parameters are stored in `axis` order; bring them to sorted-axis order.
        let reorder = |p: &[f32]| -> Vec<f32> {
            let order: Vec<usize> = {
                let mut idx: Vec<usize> = (0..self.cfg.axis.list.len()).collect();
                let norm: Vec<usize> = self
                    .cfg
                    .axis
                    .list
                    .iter()
                    .map(|&a| {
                        if a < 0 {
                            (a + x.rank() as i64) as usize
                        } else {
                            a as usize
                        }
                    })
                    .collect();
                idx.sort_by_key(|&i| norm[i]);
                idx
            };
            let pshape: Vec<usize> = self
                .cfg
                .axis
                .list
                .iter()
                .map(|&a| {
                    x.shape()[if a < 0 {
                        (a + x.rank() as i64) as usize
                    } else {
                        a as usize
                    }]
                })
                .collect();
            transpose(p, &pshape, &order)
        };
        let gamma = gamma.map(reorder);
        let beta = beta.map(reorder);
        for p in [&gamma, &beta].into_iter().flatten() {
            if p.len() != row {
                return Err(self.base.err(format!(
                    "expects {} values over axes {:?}, got input shape {:?}",
                    p.len(),
                    self.cfg.axis.list,
                    x.shape()
                )));
            }
        }
        let out = layer_norm(
            x,
            &axes,
            self.cfg.epsilon as f32,
            self.rms_scaling,
            gamma.as_deref(),
            beta.as_deref(),
        );
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), out)?])
    }
}

keras_config! {
    /// `UnitNormalization`'s config.
    pub(crate) struct UnitNormalizationConfig |cx| {
        axis: Axes = Axes::one(-1),
    }
}

/// Keras `UnitNormalization`: `x / sqrt(max(sum(x²), 1e-12))` over `axis`.
#[derive(Debug, Clone)]
pub struct UnitNormalization {
    base: Base,
    cfg: UnitNormalizationConfig,
}

impl UnitNormalization {
    fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let (base, cfg) = read_checked(cfg, |c: &UnitNormalizationConfig| (None, &c.axis.list))?;
        Ok(UnitNormalization { base, cfg })
    }
}

impl Layer for UnitNormalization {
    layer_common!("UnitNormalization");
    same_as_input!(shape, mask);
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let axes = norm_axes(&self.base, &self.cfg.axis.list, x.rank())?;
        let out = rowwise(x, &axes, |r: &mut [f32]| {
            let ss: f32 = r.iter().map(|v| v * v).sum();
            let inv = 1.0 / ss.max(1e-12).sqrt();
            r.iter_mut().for_each(|v| *v *= inv);
        });
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), out)?])
    }
}

// ---------------------------------------------------------------------------
// GroupNormalization
// ---------------------------------------------------------------------------

keras_config! {
    /// Keras `GroupNormalization`'s config.
    pub(crate) struct GroupNormalizationConfig |cx| {
        groups: Positive = Positive(32),
        axis: i64 = -1,
        epsilon: f64 = 0.001,
        center: bool = true,
        scale: bool = true,
        beta_initializer: Init = Init::zeros(),
        gamma_initializer: Init = Init::ones(),
        beta_regularizer: Reg,
        gamma_regularizer: Reg,
        beta_constraint: Cons,
        gamma_constraint: Cons,
    }
}

declared_layer! {
    /// Keras `GroupNormalization`: statistics per (sample, channel group).
    pub struct GroupNormalization(GroupNormalizationConfig, params: Params);
}

impl Layer for GroupNormalization {
    layer_common!("GroupNormalization", weights);
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        let a = norm_axis(&self.base, self.cfg.axis, s.len())?;
        let c = known_dims(&self.base, s, &[a])?[0];
        if c % self.cfg.groups.0 != 0 {
            return Err(self.base.err(format!(
                "number of groups ({}) must divide the number of channels ({c})",
                self.cfg.groups.0
            )));
        }
        self.params.clear();
        self.params
            .add_gamma_beta(vec![c], self.cfg.scale, self.cfg.center)?;
        Ok(())
    }
    same_as_input!(shape, mask);
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        if x.rank() < 2 {
            return Err(self.base.err("expects an input of rank >= 2"));
        }
        let a = norm_axis(&self.base, self.cfg.axis, x.rank())?;
        let rank = x.rank();
        // Channels last.
        let perm: Vec<usize> = (0..rank).filter(|&i| i != a).chain([a]).collect();
        let moved = a != rank - 1;
        let data = if moved {
            transpose(&x.to_f32(), x.shape(), &perm)
        } else {
            x.to_f32().into_owned()
        };
        let c = x.shape()[a];
        let g = self.cfg.groups.0;
        if c % g != 0 {
            return Err(self
                .base
                .err(format!("groups ({g}) must divide the channels ({c})")));
        }
        let cg = c / g;
        let b = x.shape()[0];
        let spatial = data.len().checked_div(b * c).unwrap_or(0);
        let gamma = self.cfg.scale.then(|| self.params.get(0));
        let beta = self
            .cfg
            .center
            .then(|| self.params.get(usize::from(self.cfg.scale)));
        if gamma.is_some_and(|p| p.len() != c) || beta.is_some_and(|p| p.len() != c) {
            return Err(self
                .base
                .err(format!("expects {c} channels to match its weights")));
        }
        let mut out = data;
        let eps = self.cfg.epsilon as f32;
        for bi in 0..b {
            let sample = &mut out[bi * spatial * c..(bi + 1) * spatial * c];
            for gi in 0..g {
                let n = (spatial * cg) as f32;
                let mut sum = 0.0f32;
                for p in 0..spatial {
                    sum += sample[p * c + gi * cg..p * c + (gi + 1) * cg]
                        .iter()
                        .sum::<f32>();
                }
                let mean = sum / n;
                let mut var = 0.0f32;
                for p in 0..spatial {
                    var += sample[p * c + gi * cg..p * c + (gi + 1) * cg]
                        .iter()
                        .map(|v| (v - mean) * (v - mean))
                        .sum::<f32>();
                }
                let inv = 1.0 / (var / n + eps).sqrt();
                for p in 0..spatial {
                    for ci in gi * cg..(gi + 1) * cg {
                        let v = &mut sample[p * c + ci];
                        let mut y = (*v - mean) * inv;
                        if let Some(gm) = gamma {
                            y *= gm[ci];
                        }
                        if let Some(bt) = beta {
                            y += bt[ci];
                        }
                        *v = y;
                    }
                }
            }
        }
        let out = if moved {
            let tshape: Vec<usize> = perm.iter().map(|&i| x.shape()[i]).collect();
            let mut inv = vec![0; rank];
            for (i, &p) in perm.iter().enumerate() {
                inv[p] = i;
            }
            transpose(&out, &tshape, &inv)
        } else {
            out
        };
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), out)?])
    }
}

// ---------------------------------------------------------------------------
// RMSNormalization (Keras 3)
// ---------------------------------------------------------------------------

/// Keras 3 `RMSNormalization`: `x * rsqrt(mean(x², axis) + epsilon) *
/// scale`, one `scale` weight over the `axis` dims (in sorted axis order,
/// as Keras builds it). The config is written back as read.
#[derive(Debug, Clone)]
pub struct RmsNormalization {
    base: Base,
    raw: Map<String, Value>,
    /// As Keras sorts them (the `scale` weight's dim order).
    axis: Vec<i64>,
    epsilon: f32,
    params: Params,
}

impl RmsNormalization {
    fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let mut axis: Vec<i64> = match cfg.get("axis") {
            None | Some(Value::Null) => vec![-1],
            Some(Value::Array(a)) => a
                .iter()
                .map(Value::as_i64)
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| cfg.err("axis", "expected an integer or a list of integers"))?,
            Some(v) => vec![v
                .as_i64()
                .ok_or_else(|| cfg.err("axis", "expected an integer or a list of integers"))?],
        };
        if axis.is_empty() {
            return Err(cfg.err("axis", "must name at least one axis"));
        }
        if axis.iter().any(|&a| a < 0) && axis.iter().any(|&a| a >= 0) {
            return Err(cfg.err(
                "axis",
                format!("{axis:?}: mixing negative and non-negative axes is not supported"),
            ));
        }
        axis.sort_unstable();
        let epsilon = match cfg.get("epsilon") {
            None | Some(Value::Null) => 1e-6,
            Some(v) => v
                .as_f64()
                .filter(|e| *e >= 0.0)
                .ok_or_else(|| cfg.err("epsilon", "must be a non-negative number"))?,
        };
        let l = RmsNormalization {
            base: Base::parse(cfg)?,
            raw: cfg.map.clone(),
            axis,
            epsilon: epsilon as f32,
            params: Params::default(),
        };
        Ok(built_if_possible(l, |l| (&l.base, &mut l.params)))
    }
}

impl Layer for RmsNormalization {
    layer_flags!(per_sample);
    layer_common!(names "RMSNormalization");
    fn config(&self) -> Map<String, Value> {
        let mut m = self.raw.clone();
        m.insert("name".into(), Value::String(self.base.name.clone()));
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        let axes = norm_axes(&self.base, &self.axis, s.len())?;
        let pshape = known_dims(&self.base, s, &axes)?;
        self.params.clear();
        self.params.add("scale", pshape, true, 1.0)?;
        Ok(())
    }
    layer_common!(weights);
    same_as_input!(shape, mask);
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let axes = norm_axes(&self.base, &self.axis, x.rank())?;
        let row: usize = axes.iter().map(|&a| x.shape()[a]).product();
        let scale = self.params.get(0);
        if scale.len() != row {
            return Err(self.base.err(format!(
                "expects {} scale values over axes {:?}, got input shape {:?}",
                scale.len(),
                self.axis,
                x.shape()
            )));
        }
        let out = rms_norm(x, &axes, self.epsilon, Some(scale));
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), out)?])
    }
}

/// Register the normalization classes.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(
        registry,
        &["RMSNormalization"],
        RmsNormalization::from_config,
    );
    register_layer(
        registry,
        &[
            "BatchNormalization",
            "BatchNormalizationV1",
            "BatchNormalizationV2",
            // tf_keras's multi-GPU variant: the same layer at inference
            // (it only synchronizes the batch statistics of training).
            "SyncBatchNormalization",
        ],
        BatchNormalization::from_config,
    );
    register_layer(
        registry,
        &["LayerNormalization"],
        LayerNormalization::from_config,
    );
    register_layer(
        registry,
        &["UnitNormalization"],
        UnitNormalization::from_config,
    );
    register_layer(
        registry,
        &["GroupNormalization"],
        GroupNormalization::from_config,
    );
}

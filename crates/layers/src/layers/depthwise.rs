//! Depthwise and separable convolutions: `DepthwiseConv2D` (and Keras'
//! `DepthwiseConv1D`), `SeparableConv1D/2D`, channels-last on
//! `tfjs-kernels` like [`super::conv`].

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::{json, Map, Value};
use tfjs_kernels::Padding;

// ---------------------------------------------------------------------------
// DepthwiseConv2D, SeparableConv1D/2D
// ---------------------------------------------------------------------------

/// Depthwise convolution of channels-last `x` (`[b, sp..., c]`, 1 or 2
/// spatial dims) with `kernel [k..., c, mult]`.
#[allow(clippy::too_many_arguments)]
fn depthwise(
    x: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    b: usize,
    sp: &[usize],
    c: usize,
    mult: usize,
    k: &[usize],
    s: &[usize],
    d: &[usize],
    geo: &[(usize, usize)],
) -> Vec<f32> {
    let out_px: usize = geo.iter().map(|g| g.0).product();
    let mut out = vec![0.0f32; b * out_px * c * mult];
    let axes = window_axes(sp, [k, s, d], geo);
    let p = tfjs_kernels::Conv2dParams::from_axes(b, [c, c * mult], &axes);
    let linear = tfjs_kernels::FusedActivation::Linear;
    tfjs_kernels::depthwise_conv2d(x, kernel, bias, linear, &p, &mut out);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DwKind {
    Depthwise2D,
    Depthwise1D,
    Separable1D,
    Separable2D,
}

/// `DepthwiseConv2D`, Keras' `DepthwiseConv1D`, `SeparableConv1D`, `SeparableConv2D`.
#[derive(Debug, Clone)]
pub struct DepthwiseSeparable {
    base: Base,
    kind: DwKind,
    spec: ConvSpec,
    depth_multiplier: usize,
    /// `Some` for separable convolutions.
    filters: Option<usize>,
    extras: Extras,
    params: Params,
}

impl DepthwiseSeparable {
    fn from_config(cfg: &ConfigReader<'_>, kind: DwKind) -> Result<Self> {
        let n = match kind {
            DwKind::Depthwise1D | DwKind::Separable1D => 1,
            _ => 2,
        };
        let separable = matches!(kind, DwKind::Separable1D | DwKind::Separable2D);
        let filters = separable.then(|| positive_filters(cfg)).transpose()?;
        let window = conv_window(cfg, n)?;
        let depth_multiplier = cfg.usize_or("depth_multiplier", 1)?;
        if depth_multiplier == 0 {
            return Err(cfg.err("depth_multiplier", "must be at least 1"));
        }
        let padding = padding_field(cfg)?;
        if padding == Padding::Causal && n != 1 {
            return Err(cfg.err(
                "padding",
                "\"causal\" padding is only supported by 1-D convolutions",
            ));
        }
        let mut extras = Extras::default();
        if separable {
            extras.weight(cfg, "depthwise", glorot_uniform_default);
            extras.weight(cfg, "pointwise", glorot_uniform_default);
        } else {
            extras.weight(cfg, "depthwise", glorot_normal_default);
        }
        let base = Base::parse(cfg)?;
        let spec = ConvSpec::read(cfg, window, padding, &mut extras)?;
        let layer = DepthwiseSeparable {
            base,
            kind,
            spec,
            depth_multiplier,
            filters,
            extras,
            params: Params::default(),
        };
        built_from_declared(layer, |l| l.spec.declared_input(&l.base))
    }

    fn rank(&self) -> usize {
        self.spec.kernel_size.len()
    }

    fn out_channels(&self, c: usize) -> usize {
        self.filters.unwrap_or(c * self.depth_multiplier)
    }

    /// What the conv + BatchNormalization + ReLU fusion needs, for a
    /// channels-last, built `DepthwiseConv2D`.
    pub(crate) fn fusion_spec(&self) -> Option<FusableConv<'_>> {
        if self.kind != DwKind::Depthwise2D {
            return None;
        }
        FusableConv::new(true, &self.spec, &self.params)
    }

    /// A channels-last, built `SeparableConv2D` for the fusion: its
    /// depthwise half, and its pointwise half as a 1×1 convolution with the
    /// layer's bias and activation (what BatchNormalization and ReLU fold into).
    pub(crate) fn separable_fusion_spec(&self) -> Option<SeparableParts<'_>> {
        if self.kind != DwKind::Separable2D || self.spec.cf {
            return None;
        }
        let shapes: Vec<Vec<usize>> = self
            .params
            .weights(true)
            .into_iter()
            .map(|w| w.shape)
            .collect();
        let (dw_shape, pw_shape) = (shapes.first()?.clone(), shapes.get(1)?.clone());
        Some(SeparableParts {
            spec: &self.spec,
            depthwise: self.params.get(0),
            depthwise_shape: dw_shape,
            pointwise: self.params.get(1),
            pointwise_shape: pw_shape,
            bias: self.spec.use_bias.then(|| self.params.get(2)),
        })
    }
}

/// The halves of a `SeparableConv2D` (see
/// [`DepthwiseSeparable::separable_fusion_spec`]).
pub(crate) struct SeparableParts<'a> {
    pub spec: &'a ConvSpec,
    /// `[kh, kw, c, depth_multiplier]`.
    pub depthwise: &'a [f32],
    pub depthwise_shape: Vec<usize>,
    /// `[1, 1, c * depth_multiplier, filters]`.
    pub pointwise: &'a [f32],
    pub pointwise_shape: Vec<usize>,
    pub bias: Option<&'a [f32]>,
}

impl Layer for DepthwiseSeparable {
    layer_flags!(per_sample, downcast);
    fn class_name(&self) -> &str {
        match self.kind {
            DwKind::Depthwise2D => "DepthwiseConv2D",
            DwKind::Depthwise1D => "DepthwiseConv1D",
            DwKind::Separable1D => "SeparableConv1D",
            DwKind::Separable2D => "SeparableConv2D",
        }
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(f) = self.filters {
            m.insert("filters".into(), json!(f));
        }
        self.spec.write(&mut m, &self.extras, true, true);
        self.base.write(&mut m);
        match self.kind {
            DwKind::Depthwise2D | DwKind::Depthwise1D => {
                m.insert("depth_multiplier".into(), json!(self.depth_multiplier));
                for k in [
                    "depthwise_initializer",
                    "depthwise_regularizer",
                    "depthwise_constraint",
                ] {
                    self.extras.put(&mut m, k);
                }
            }
            DwKind::Separable1D | DwKind::Separable2D => {
                for k in [
                    "depthwise_initializer",
                    "pointwise_initializer",
                    "depthwise_regularizer",
                    "pointwise_regularizer",
                    "depthwise_constraint",
                    "pointwise_constraint",
                ] {
                    self.extras.put(&mut m, k);
                }
                // TF.js 4.22 never writes depth_multiplier, so a saved
                // multiplier ≠ 1 cannot be reloaded (weight shape mismatch).
                // We write it whenever it is not the default (TF.js reads it).
                if self.depth_multiplier != 1 || self.kind == DwKind::Separable1D {
                    m.insert("depth_multiplier".into(), json!(self.depth_multiplier));
                }
            }
        }
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let n = self.rank();
        let s = spatial_input(&self.base, input_shapes, n, self.spec.cf)?;
        let c = known_channels(&self.base, &s)?;
        let mut dk = self.spec.kernel_size.clone();
        dk.extend([c, self.depth_multiplier]);
        self.params.clear();
        // Always TF.js's name: Keras 3 files call it `kernel`, which the
        // weight matcher maps to `depthwise_kernel` on load (weights.rs).
        self.params.add("depthwise_kernel", dk, true, 0.0)?;
        if let Some(f) = self.filters {
            let mut pk = vec![1; n];
            pk.extend([c * self.depth_multiplier, f]);
            self.params.add("pointwise_kernel", pk, true, 0.0)?;
        }
        if self.spec.use_bias {
            self.params
                .add("bias", vec![self.out_channels(c)], true, 0.0)?;
        }
        Ok(())
    }
    layer_common!(weights);
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.rank();
        let s = spatial_input(&self.base, inputs, n, self.spec.cf)?;
        let channels = match self.filters {
            Some(f) => Some(f),
            None => s[n + 1].map(|c| c * self.depth_multiplier),
        };
        let out = spatial_output(&s, channels, |i, len| {
            Ok(self.spec.dim(&self.base, i, len)?.0)
        })?;
        Ok(vec![self.spec.output_shape(&self.base, out)?])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.rank();
        let xl = built_spatial_input(&self.base, &self.params, inputs, n, self.spec.cf, || {
            self.params.weights(true)[0].shape[n]
        })?;
        let (b, sp, c) = xl.dims();
        let geo = conv_geometry(&self.base, sp, self.spec.window(), self.spec.padding)?;
        let separable = self.filters.is_some();
        let bias_index = if separable { 2 } else { 1 };
        let bias = self.spec.use_bias.then(|| self.params.get(bias_index));
        let mid = c * self.depth_multiplier;
        let dw = depthwise(
            &xl.data,
            self.params.get(0),
            if separable { None } else { bias },
            b,
            sp,
            c,
            self.depth_multiplier,
            &self.spec.kernel_size,
            &self.spec.strides,
            &self.spec.dilation,
            &geo,
        );
        let oc = self.out_channels(c);
        let out = match self.filters {
            Some(f) => {
                let m = dw.len() / mid.max(1);
                let mut o = vec![0.0f32; m * f];
                tfjs_kernels::dense(&dw, self.params.get(1), bias, m, mid, f, &mut o);
                o
            }
            None => dw,
        };
        let y = self.spec.output(&self.base, b, &geo, oc, out)?;
        Ok(vec![y])
    }
}

/// Register the depthwise and separable convolution classes.
pub fn register(registry: &mut LayerRegistry) {
    for (names, kind) in [
        (&["DepthwiseConv2D"][..], DwKind::Depthwise2D),
        (&["DepthwiseConv1D"][..], DwKind::Depthwise1D),
        (
            &["SeparableConv1D", "SeparableConvolution1D"][..],
            DwKind::Separable1D,
        ),
        (
            &["SeparableConv2D", "SeparableConvolution2D"][..],
            DwKind::Separable2D,
        ),
    ] {
        register_simple(registry, names, move |c| {
            boxed_layer(DepthwiseSeparable::from_config(c, kind))
        });
    }
}

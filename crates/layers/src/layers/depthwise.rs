//! Depthwise and separable convolutions: `DepthwiseConv2D` (and Keras'
//! `DepthwiseConv1D`), `SeparableConv1D/2D`, channels-last on
//! `tfjs-kernels` like [`super::conv`].

use super::common::*;
use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::{json, Map, Value};
use tfjs_kernels::{Conv2dParams, Padding};

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
    let (in_h, k_h, s_h, d_h, out_h, pad_top) = if sp.len() == 2 {
        (sp[0], k[0], s[0], d[0], geo[0].0, geo[0].1)
    } else {
        (1, 1, 1, 1, 1, 0)
    };
    let l = sp.len() - 1;
    let p = Conv2dParams {
        batch: b,
        in_h,
        in_w: sp[l],
        in_c: c,
        out_c: c * mult,
        k_h,
        k_w: k[l],
        stride_h: s_h,
        stride_w: s[l],
        dil_h: d_h,
        dil_w: d[l],
        pad_top,
        pad_left: geo[l].1,
        out_h,
        out_w: geo[l].0,
    };
    tfjs_kernels::depthwise_conv2d(x, kernel, bias, &p, &mut out);
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
    /// `Some` for separable convolutions.
    filters: Option<usize>,
    kernel_size: Vec<usize>,
    strides: Vec<usize>,
    padding: Padding,
    cf: bool,
    dilation: Vec<usize>,
    depth_multiplier: usize,
    activation: Activation,
    use_bias: bool,
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
        let filters = if separable {
            let f = cfg.usize_req("filters")?;
            if f == 0 {
                return Err(cfg.err("filters", "must be a positive integer"));
            }
            Some(f)
        } else {
            None
        };
        let kernel_size = cfg.tuple_req("kernel_size", n)?;
        let strides = cfg.tuple_or("strides", n, 1)?;
        let dilation = cfg.tuple_or("dilation_rate", n, 1)?;
        for (k, v) in [
            ("kernel_size", &kernel_size),
            ("strides", &strides),
            ("dilation_rate", &dilation),
        ] {
            if v.contains(&0) {
                return Err(cfg.err(k, "values must be at least 1"));
            }
        }
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
            extras.init(cfg, "depthwise_initializer", glorot_uniform_default);
            extras.init(cfg, "pointwise_initializer", glorot_uniform_default);
            for k in ["depthwise_regularizer", "pointwise_regularizer"] {
                extras.reg(cfg, k);
            }
            for k in ["depthwise_constraint", "pointwise_constraint"] {
                extras.cons(cfg, k);
            }
        } else {
            extras.init(cfg, "depthwise_initializer", glorot_normal_default);
            extras.reg(cfg, "depthwise_regularizer");
            extras.cons(cfg, "depthwise_constraint");
        }
        extras.init(cfg, "bias_initializer", zeros_init);
        extras.reg(cfg, "bias_regularizer");
        extras.reg(cfg, "activity_regularizer");
        extras.cons(cfg, "bias_constraint");
        let mut l = DepthwiseSeparable {
            base: Base::parse(cfg)?,
            kind,
            filters,
            kernel_size,
            strides,
            padding,
            cf: channels_first(cfg)?,
            dilation,
            depth_multiplier,
            activation: activation_field(cfg, "activation")?,
            use_bias: cfg.bool_or("use_bias", true)?,
            extras,
            params: Params::default(),
        };
        if let Some(s) = l.base.batch_input_shape.clone() {
            let cl = shape_cl(&s, l.cf);
            if cl.len() == n + 2 && cl[n + 1].is_some() {
                l.build(&[s])?;
            }
        }
        Ok(l)
    }

    fn rank(&self) -> usize {
        self.kernel_size.len()
    }

    fn out_channels(&self, c: usize) -> usize {
        self.filters.unwrap_or(c * self.depth_multiplier)
    }
}

impl DepthwiseSeparable {
    /// What the conv + BatchNormalization + ReLU fusion needs, for a
    /// channels-last, built `DepthwiseConv2D`.
    pub(crate) fn fusion_spec(&self) -> Option<FusableConv<'_>> {
        if self.kind != DwKind::Depthwise2D || self.cf {
            return None;
        }
        FusableConv::new(
            true,
            &self.kernel_size,
            &self.strides,
            &self.dilation,
            self.padding,
            self.activation,
            &self.params,
            self.use_bias,
        )
    }
}

impl Layer for DepthwiseSeparable {
    fn per_sample(&self) -> bool {
        true
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
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
        m.insert("kernel_size".into(), ints(&self.kernel_size));
        m.insert("strides".into(), ints(&self.strides));
        m.insert("padding".into(), json!(padding_name(self.padding)));
        m.insert("data_format".into(), data_format_value(self.cf));
        m.insert("dilation_rate".into(), ints(&self.dilation));
        m.insert("activation".into(), json!(self.activation.name()));
        m.insert("use_bias".into(), json!(self.use_bias));
        for k in [
            "bias_initializer",
            "bias_regularizer",
            "activity_regularizer",
            "bias_constraint",
        ] {
            self.extras.put(&mut m, k);
        }
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
        let s = spatial_input(&self.base, input_shapes, n, self.cf)?;
        let c = known_channels(&self.base, &s)?;
        let mut dk = self.kernel_size.clone();
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
        if self.use_bias {
            self.params
                .add("bias", vec![self.out_channels(c)], true, 0.0)?;
        }
        Ok(())
    }
    layer_common!(weights);
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.rank();
        let s = spatial_input(&self.base, inputs, n, self.cf)?;
        let channels = match self.filters {
            Some(f) => Some(f),
            None => s[n + 1].map(|c| c * self.depth_multiplier),
        };
        let out = spatial_output(&s, channels, |i, len| {
            let (k, st, d) = (self.kernel_size[i], self.strides[i], self.dilation[i]);
            Ok(conv_dim(&self.base, len, k, st, d, self.padding)?.0)
        })?;
        Ok(vec![shape_from_cl(out, self.cf)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.rank();
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        check_rank(&self.base, x.rank(), n + 2, "batch, spatial dims, channels")?;
        let xl = to_channels_last(x, self.cf);
        let c = xl.shape[n + 1];
        let want = self.params.weights(true)[0].shape[n];
        if c != want {
            return Err(self.base.err(format!(
                "expects {want} input channels, got input shape {:?}",
                x.shape()
            )));
        }
        let b = xl.shape[0];
        let sp = &xl.shape[1..=n];
        let geo: Vec<(usize, usize)> = (0..n)
            .map(|i| {
                conv_dim(
                    &self.base,
                    sp[i],
                    self.kernel_size[i],
                    self.strides[i],
                    self.dilation[i],
                    self.padding,
                )
            })
            .collect::<Result<_>>()?;
        let separable = self.filters.is_some();
        let bias_index = if separable { 2 } else { 1 };
        let bias = self.use_bias.then(|| self.params.get(bias_index));
        let mid = c * self.depth_multiplier;
        let dw = depthwise(
            &xl.data,
            self.params.get(0),
            if separable { None } else { bias },
            b,
            sp,
            c,
            self.depth_multiplier,
            &self.kernel_size,
            &self.strides,
            &self.dilation,
            &geo,
        );
        let oc = self.out_channels(c);
        let mut out = match self.filters {
            Some(f) => {
                let m = dw.len() / mid.max(1);
                let mut o = vec![0.0f32; m * f];
                tfjs_kernels::dense(&dw, self.params.get(1), bias, m, mid, f, &mut o);
                o
            }
            None => dw,
        };
        apply_activation(self.activation, &mut out, oc);
        let mut shape = vec![b];
        shape.extend(geo.iter().map(|g| g.0));
        shape.push(oc);
        Ok(vec![from_channels_last(&self.base, shape, out, self.cf)?])
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

//! Convolutional layers: `Conv1D/2D/3D`, their transposes, `DepthwiseConv2D`,
//! `SeparableConv1D/2D`, and the shape layers `Cropping*`, `ZeroPadding*`,
//! `UpSampling*`.
//!
//! Everything runs channels-last (NWC / NHWC / NDHWC) on `tfjs-kernels`;
//! `data_format: channels_first` inputs are transposed in and out.

use super::core::{
    activation_field, apply_activation, boxed_layer, channels_first, check_rank, data_format_value,
    glorot_normal_default, glorot_uniform_default, ints, make_tensor, one_input, one_shape,
    perm_to_channels_first, perm_to_channels_last, permute_shape, register_simple, require_built,
    shape_str, transpose, zeros_init, Base, Extras, Params,
};
use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, LayerWeight, Result, Shape, Tensor};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use tfjs_kernels::{Conv2dParams, Conv3dParams, Padding};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

pub(crate) fn padding_field(cfg: &ConfigReader<'_>) -> Result<Padding> {
    let s = cfg.str_or("padding", "valid")?;
    Padding::parse(s).map_err(|e| cfg.err("padding", e.to_string()))
}

pub(crate) fn padding_name(p: Padding) -> &'static str {
    match p {
        Padding::Valid => "valid",
        Padding::Same => "same",
        Padding::Causal => "causal",
    }
}

/// An input in channels-last layout: (`shape`, data).
pub(crate) struct ChannelsLast<'a> {
    pub shape: Vec<usize>,
    pub data: Cow<'a, [f32]>,
}

pub(crate) fn to_channels_last<'a>(x: &'a Tensor, cf: bool) -> ChannelsLast<'a> {
    let data = x.to_f32();
    if cf && x.rank() >= 3 {
        let perm = perm_to_channels_last(x.rank());
        let shape = perm.iter().map(|&p| x.shape()[p]).collect();
        ChannelsLast {
            data: Cow::Owned(transpose(&data, x.shape(), &perm)),
            shape,
        }
    } else {
        ChannelsLast {
            shape: x.shape().to_vec(),
            data,
        }
    }
}

/// Build the output tensor from channels-last `shape`/`data`.
pub(crate) fn from_channels_last(
    base: &Base,
    shape: Vec<usize>,
    data: Vec<f32>,
    cf: bool,
) -> Result<Tensor> {
    if cf && shape.len() >= 3 {
        let perm = perm_to_channels_first(shape.len());
        let out_shape = perm.iter().map(|&p| shape[p]).collect();
        make_tensor(base, out_shape, transpose(&data, &shape, &perm))
    } else {
        make_tensor(base, shape, data)
    }
}

/// Symbolic shape in channels-last order.
pub(crate) fn shape_cl(s: &Shape, cf: bool) -> Shape {
    if cf && s.len() >= 3 {
        permute_shape(s, &perm_to_channels_last(s.len()))
    } else {
        s.clone()
    }
}

/// Symbolic channels-last shape back to the layer's data format.
pub(crate) fn shape_from_cl(s: Shape, cf: bool) -> Shape {
    if cf && s.len() >= 3 {
        permute_shape(&s, &perm_to_channels_first(s.len()))
    } else {
        s
    }
}

fn kernel_err(base: &Base, e: tfjs_kernels::KernelError) -> crate::LayersError {
    base.err(e.to_string())
}

/// (out, pad_before) of a forward convolution dim.
pub(crate) fn conv_dim(
    base: &Base,
    input: usize,
    k: usize,
    s: usize,
    d: usize,
    p: Padding,
) -> Result<(usize, usize)> {
    tfjs_kernels::conv_output_size(input, k, s, d, p).map_err(|e| kernel_err(base, e))
}

/// (out, pad_before) of a transposed convolution dim (Keras
/// `deconv_output_length`, with optional `output_padding`).
fn deconv_dim(
    base: &Base,
    input: usize,
    k: usize,
    s: usize,
    d: usize,
    p: Padding,
    output_padding: Option<usize>,
) -> Result<(usize, usize)> {
    let Some(op) = output_padding else {
        return tfjs_kernels::deconv_output_size(input, k, s, d, p)
            .map_err(|e| kernel_err(base, e));
    };
    if input == 0 || k == 0 || s == 0 || d == 0 {
        return Err(base.err("input size, kernel size, stride and dilation must all be at least 1"));
    }
    if op >= s {
        return Err(base.err(format!(
            "output_padding {op} must be smaller than the stride {s}"
        )));
    }
    let eff = (k - 1) * d + 1;
    let pad = match p {
        Padding::Valid => 0,
        Padding::Same => eff / 2,
        Padding::Causal => {
            return Err(base.err("causal padding is not defined for transposed convolutions"))
        }
    };
    let out = ((input - 1) * s + eff + op)
        .checked_sub(2 * pad)
        .filter(|&o| o > 0)
        .ok_or_else(|| base.err("transposed convolution output would be empty"))?;
    let before = match p {
        Padding::Same => ((input - 1) * s + eff).saturating_sub(out) / 2,
        _ => 0,
    };
    Ok((out, before))
}

// ---------------------------------------------------------------------------
// Conv1D/2D/3D and transposes
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConvKind {
    Conv1D,
    Conv2D,
    Conv3D,
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
}

impl ConvKind {
    fn rank(self) -> usize {
        match self {
            ConvKind::Conv1D | ConvKind::Conv1DTranspose => 1,
            ConvKind::Conv2D | ConvKind::Conv2DTranspose => 2,
            ConvKind::Conv3D | ConvKind::Conv3DTranspose => 3,
        }
    }
    fn transposed(self) -> bool {
        matches!(
            self,
            ConvKind::Conv1DTranspose | ConvKind::Conv2DTranspose | ConvKind::Conv3DTranspose
        )
    }
    fn name(self) -> &'static str {
        match self {
            ConvKind::Conv1D => "Conv1D",
            ConvKind::Conv2D => "Conv2D",
            ConvKind::Conv3D => "Conv3D",
            ConvKind::Conv1DTranspose => "Conv1DTranspose",
            ConvKind::Conv2DTranspose => "Conv2DTranspose",
            ConvKind::Conv3DTranspose => "Conv3DTranspose",
        }
    }
}

/// `Conv1D`, `Conv2D`, `Conv3D`, `Conv1DTranspose`, `Conv2DTranspose`,
/// `Conv3DTranspose`.
#[derive(Debug, Clone)]
pub struct Conv {
    base: Base,
    kind: ConvKind,
    filters: usize,
    kernel_size: Vec<usize>,
    strides: Vec<usize>,
    padding: Padding,
    cf: bool,
    dilation: Vec<usize>,
    activation: Activation,
    use_bias: bool,
    groups: usize,
    output_padding: Option<Vec<usize>>,
    extras: Extras,
    params: Params,
}

impl Conv {
    fn from_config(cfg: &ConfigReader<'_>, kind: ConvKind) -> Result<Self> {
        let n = kind.rank();
        let base = Base::parse(cfg)?;
        let filters = cfg.usize_req("filters")?;
        if filters == 0 {
            return Err(cfg.err("filters", "must be a positive integer"));
        }
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
        let padding = padding_field(cfg)?;
        if padding == Padding::Causal && kind != ConvKind::Conv1D {
            return Err(cfg.err("padding", "\"causal\" padding is only supported by Conv1D"));
        }
        let groups = cfg.usize_or("groups", 1)?;
        if groups == 0 || filters % groups != 0 {
            return Err(cfg.err(
                "groups",
                format!("must be a positive divisor of filters ({filters}), got {groups}"),
            ));
        }
        if groups != 1 && kind.transposed() {
            return Err(cfg.err(
                "groups",
                "grouped transposed convolutions are not supported",
            ));
        }
        let output_padding = if kind.transposed() && cfg.get("output_padding").is_some() {
            Some(cfg.tuple_req("output_padding", n)?)
        } else {
            None
        };
        let mut extras = Extras::default();
        extras.init(cfg, "kernel_initializer", glorot_normal_default);
        extras.init(cfg, "bias_initializer", zeros_init);
        for k in [
            "kernel_regularizer",
            "bias_regularizer",
            "activity_regularizer",
        ] {
            extras.reg(cfg, k);
        }
        for k in ["kernel_constraint", "bias_constraint"] {
            extras.cons(cfg, k);
        }
        let mut c = Conv {
            base,
            kind,
            filters,
            kernel_size,
            strides,
            padding,
            cf: channels_first(cfg)?,
            dilation,
            activation: activation_field(cfg, "activation")?,
            use_bias: cfg.bool_or("use_bias", true)?,
            groups,
            output_padding,
            extras,
            params: Params::default(),
        };
        if let Some(s) = c.base.batch_input_shape.clone() {
            let cl = shape_cl(&s, c.cf);
            if cl.len() == n + 2 && cl[n + 1].is_some() {
                c.build(&[s])?;
            }
        }
        Ok(c)
    }

    fn in_channels(&self) -> usize {
        self.params.weights(true).first().map_or(0, |w| {
            if self.kind.transposed() {
                w.shape[self.kind.rank() + 1]
            } else {
                w.shape[self.kind.rank()] * self.groups
            }
        })
    }

    /// (out, pad_before) per spatial dim.
    fn geometry(&self, sp: &[usize]) -> Result<Vec<(usize, usize)>> {
        (0..sp.len())
            .map(|i| {
                if self.kind.transposed() {
                    deconv_dim(
                        &self.base,
                        sp[i],
                        self.kernel_size[i],
                        self.strides[i],
                        self.dilation[i],
                        self.padding,
                        self.output_padding.as_ref().map(|o| o[i]),
                    )
                } else {
                    conv_dim(
                        &self.base,
                        sp[i],
                        self.kernel_size[i],
                        self.strides[i],
                        self.dilation[i],
                        self.padding,
                    )
                }
            })
            .collect()
    }

    /// Forward (non-transposed) convolution of channels-last `x`.
    fn forward(
        &self,
        x: &[f32],
        b: usize,
        sp: &[usize],
        c: usize,
        geo: &[(usize, usize)],
    ) -> Result<Vec<f32>> {
        let f = self.filters;
        let kernel = self.params.get(0);
        let bias = self.use_bias.then(|| self.params.get(1));
        let out_px: usize = geo.iter().map(|g| g.0).product();
        let mut out = vec![0.0f32; b * out_px * f];
        if self.groups == 1 {
            self.run_conv(x, kernel, bias, b, sp, c, f, geo, &mut out)?;
            return Ok(out);
        }
        // Grouped: slice channels, convolve each group, scatter the filters.
        let g = self.groups;
        let (cg, fg) = (c / g, f / g);
        let in_px: usize = sp.iter().product();
        let taps: usize = self.kernel_size.iter().product();
        for gi in 0..g {
            let xg: Vec<f32> = x
                .chunks(c)
                .take(b * in_px)
                .flat_map(|row| row[gi * cg..(gi + 1) * cg].iter().copied())
                .collect();
            let kg: Vec<f32> = kernel
                .chunks(f)
                .take(taps * cg)
                .flat_map(|row| row[gi * fg..(gi + 1) * fg].iter().copied())
                .collect();
            let bg = bias.map(|bb| &bb[gi * fg..(gi + 1) * fg]);
            let mut og = vec![0.0f32; b * out_px * fg];
            self.run_conv(&xg, &kg, bg, b, sp, cg, fg, geo, &mut og)?;
            for (dst, src) in out.chunks_mut(f).zip(og.chunks(fg)) {
                dst[gi * fg..(gi + 1) * fg].copy_from_slice(src);
            }
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_conv(
        &self,
        x: &[f32],
        kernel: &[f32],
        bias: Option<&[f32]>,
        b: usize,
        sp: &[usize],
        c: usize,
        f: usize,
        geo: &[(usize, usize)],
        out: &mut [f32],
    ) -> Result<()> {
        let (k, s, d) = (&self.kernel_size, &self.strides, &self.dilation);
        match sp.len() {
            1 | 2 => {
                let p = conv2d_params(b, sp, c, f, [k, s, d], geo);
                tfjs_kernels::conv2d(x, kernel, bias, &p, out);
            }
            3 => {
                let p = Conv3dParams {
                    batch: b,
                    in_d: sp[0],
                    in_h: sp[1],
                    in_w: sp[2],
                    in_c: c,
                    out_c: f,
                    k_d: k[0],
                    k_h: k[1],
                    k_w: k[2],
                    stride_d: s[0],
                    stride_h: s[1],
                    stride_w: s[2],
                    dil_d: d[0],
                    dil_h: d[1],
                    dil_w: d[2],
                    pad_front: geo[0].1,
                    pad_top: geo[1].1,
                    pad_left: geo[2].1,
                    out_d: geo[0].0,
                    out_h: geo[1].0,
                    out_w: geo[2].0,
                };
                tfjs_kernels::conv3d(x, kernel, bias, &p, out);
            }
            _ => return Err(self.base.err("unsupported convolution rank")),
        }
        Ok(())
    }

    /// Transposed convolution of channels-last `x`.
    fn backward(
        &self,
        x: &[f32],
        b: usize,
        sp: &[usize],
        c: usize,
        geo: &[(usize, usize)],
    ) -> Vec<f32> {
        let f = self.filters;
        let kernel = self.params.get(0);
        let bias = self.use_bias.then(|| self.params.get(1));
        let out_px: usize = geo.iter().map(|g| g.0).product();
        let mut out = vec![0.0f32; b * out_px * f];
        let (k, s, d) = (&self.kernel_size, &self.strides, &self.dilation);
        if sp.len() <= 2 {
            let p = conv2d_params(b, sp, c, f, [k, s, d], geo);
            tfjs_kernels::conv2d_transpose(x, kernel, bias, &p, &mut out);
            return out;
        }
        // 3-D: scatter each input pixel through the kernel [kd, kh, kw, F, C].
        let in_px: usize = sp.iter().product();
        let os = [geo[0].0, geo[1].0, geo[2].0];
        let img_out = out_px * f;
        out.par_chunks_mut(img_out.max(1))
            .enumerate()
            .for_each(|(bi, o)| {
                if let Some(bias) = bias {
                    for row in o.chunks_mut(f) {
                        row.copy_from_slice(bias);
                    }
                }
                for ip in 0..in_px {
                    let idx = [ip / (sp[1] * sp[2]), (ip / sp[2]) % sp[1], ip % sp[2]];
                    let xr = &x[(bi * in_px + ip) * c..(bi * in_px + ip + 1) * c];
                    for kd in 0..k[0] {
                        let od = (idx[0] * s[0] + kd * d[0]) as isize - geo[0].1 as isize;
                        if od < 0 || od as usize >= os[0] {
                            continue;
                        }
                        for kh in 0..k[1] {
                            let oh = (idx[1] * s[1] + kh * d[1]) as isize - geo[1].1 as isize;
                            if oh < 0 || oh as usize >= os[1] {
                                continue;
                            }
                            for kw in 0..k[2] {
                                let ow = (idx[2] * s[2] + kw * d[2]) as isize - geo[2].1 as isize;
                                if ow < 0 || ow as usize >= os[2] {
                                    continue;
                                }
                                let opix =
                                    (od as usize * os[1] + oh as usize) * os[2] + ow as usize;
                                let orow = &mut o[opix * f..(opix + 1) * f];
                                let kbase = ((kd * k[1] + kh) * k[2] + kw) * f * c;
                                for (fi, ov) in orow.iter_mut().enumerate() {
                                    let kr = &kernel[kbase + fi * c..kbase + (fi + 1) * c];
                                    *ov += kr.iter().zip(xr).map(|(a, b)| a * b).sum::<f32>();
                                }
                            }
                        }
                    }
                }
            });
        out
    }
}

impl Layer for Conv {
    fn class_name(&self) -> &str {
        self.kind.name()
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("filters".into(), json!(self.filters));
        for k in [
            "kernel_initializer",
            "kernel_regularizer",
            "kernel_constraint",
        ] {
            self.extras.put(&mut m, k);
        }
        m.insert("kernel_size".into(), ints(&self.kernel_size));
        m.insert("strides".into(), ints(&self.strides));
        m.insert("padding".into(), json!(padding_name(self.padding)));
        if self.kind != ConvKind::Conv1D {
            m.insert("data_format".into(), data_format_value(self.cf));
        }
        if !self.kind.transposed() {
            m.insert("dilation_rate".into(), ints(&self.dilation));
        }
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
        // Keras fields TF.js does not write, only when they change the result.
        if self.kind == ConvKind::Conv1D && self.cf {
            m.insert("data_format".into(), data_format_value(true));
        }
        if self.kind.transposed() && self.dilation.iter().any(|&d| d != 1) {
            m.insert("dilation_rate".into(), ints(&self.dilation));
        }
        if let Some(op) = &self.output_padding {
            m.insert("output_padding".into(), ints(op));
        }
        if self.groups != 1 {
            m.insert("groups".into(), json!(self.groups));
        }
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let n = self.kind.rank();
        let s = shape_cl(one_shape(&self.base, input_shapes)?, self.cf);
        check_rank(&self.base, s.len(), n + 2, "batch, spatial dims, channels")?;
        let c = s[n + 1].ok_or_else(|| {
            self.base.err(format!(
                "the channel dimension of the input {} must be known to build the layer",
                shape_str(&s)
            ))
        })?;
        let mut kshape = self.kernel_size.clone();
        if self.kind.transposed() {
            kshape.extend([self.filters, c]);
        } else {
            if c % self.groups != 0 {
                return Err(self.base.err(format!(
                    "input channels ({c}) must be divisible by groups ({})",
                    self.groups
                )));
            }
            kshape.extend([c / self.groups, self.filters]);
        }
        self.params.clear();
        self.params.add("kernel", kshape, true, 0.0)?;
        if self.use_bias {
            self.params.add("bias", vec![self.filters], true, 0.0)?;
        }
        Ok(())
    }
    fn weights(&self) -> Vec<LayerWeight> {
        self.params.weights(self.base.trainable)
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.params.values()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.params.set(&self.base.name, index, value)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.kind.rank();
        let s = shape_cl(one_shape(&self.base, inputs)?, self.cf);
        check_rank(&self.base, s.len(), n + 2, "batch, spatial dims, channels")?;
        let mut out = vec![s[0]];
        for i in 0..n {
            out.push(match s[i + 1] {
                None => None,
                Some(len) => Some(if self.kind.transposed() {
                    deconv_dim(
                        &self.base,
                        len,
                        self.kernel_size[i],
                        self.strides[i],
                        self.dilation[i],
                        self.padding,
                        self.output_padding.as_ref().map(|o| o[i]),
                    )?
                    .0
                } else {
                    conv_dim(
                        &self.base,
                        len,
                        self.kernel_size[i],
                        self.strides[i],
                        self.dilation[i],
                        self.padding,
                    )?
                    .0
                }),
            });
        }
        out.push(Some(self.filters));
        Ok(vec![shape_from_cl(out, self.cf)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.kind.rank();
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        check_rank(&self.base, x.rank(), n + 2, "batch, spatial dims, channels")?;
        let xl = to_channels_last(x, self.cf);
        let c = xl.shape[n + 1];
        let want = self.in_channels();
        if c != want {
            return Err(self.base.err(format!(
                "expects {want} input channels, got input shape {:?}",
                x.shape()
            )));
        }
        let b = xl.shape[0];
        let sp = &xl.shape[1..=n];
        let geo = self.geometry(sp)?;
        let mut out = if self.kind.transposed() {
            self.backward(&xl.data, b, sp, c, &geo)
        } else {
            self.forward(&xl.data, b, sp, c, &geo)?
        };
        apply_activation(self.activation, &mut out, self.filters);
        let mut shape = vec![b];
        shape.extend(geo.iter().map(|g| g.0));
        shape.push(self.filters);
        Ok(vec![from_channels_last(&self.base, shape, out, self.cf)?])
    }
}

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

impl Layer for DepthwiseSeparable {
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
        let s = shape_cl(one_shape(&self.base, input_shapes)?, self.cf);
        check_rank(&self.base, s.len(), n + 2, "batch, spatial dims, channels")?;
        let c = s[n + 1].ok_or_else(|| {
            self.base.err(format!(
                "the channel dimension of the input {} must be known to build the layer",
                shape_str(&s)
            ))
        })?;
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
    fn weights(&self) -> Vec<LayerWeight> {
        self.params.weights(self.base.trainable)
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.params.values()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.params.set(&self.base.name, index, value)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.rank();
        let s = shape_cl(one_shape(&self.base, inputs)?, self.cf);
        check_rank(&self.base, s.len(), n + 2, "batch, spatial dims, channels")?;
        let mut out = vec![s[0]];
        for i in 0..n {
            out.push(match s[i + 1] {
                None => None,
                Some(len) => Some(
                    conv_dim(
                        &self.base,
                        len,
                        self.kernel_size[i],
                        self.strides[i],
                        self.dilation[i],
                        self.padding,
                    )?
                    .0,
                ),
            });
        }
        out.push(match self.filters {
            Some(f) => Some(f),
            None => s[n + 1].map(|c| c * self.depth_multiplier),
        });
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

// ---------------------------------------------------------------------------
// Cropping / ZeroPadding
// ---------------------------------------------------------------------------

/// Copy a channels-last region: `out[b, o..., :] = x[b, o + shift..., :]`
/// when in range, else 0.
fn shift_copy(
    x: &[f32],
    b: usize,
    in_sp: &[usize],
    c: usize,
    out_sp: &[usize],
    shift: &[isize],
) -> Vec<f32> {
    let n = in_sp.len();
    let in_px: usize = in_sp.iter().product();
    let out_px: usize = out_sp.iter().product();
    let mut out = vec![0.0f32; b * out_px * c];
    if c == 0 {
        return out;
    }
    let mut idx = vec![0usize; n];
    for op in 0..out_px {
        // in-range check and input pixel index
        let mut ip = 0usize;
        let mut ok = true;
        for d in 0..n {
            let i = idx[d] as isize + shift[d];
            if i < 0 || i as usize >= in_sp[d] {
                ok = false;
                break;
            }
            ip = ip * in_sp[d] + i as usize;
        }
        if ok {
            for bi in 0..b {
                let src = &x[(bi * in_px + ip) * c..(bi * in_px + ip + 1) * c];
                out[(bi * out_px + op) * c..(bi * out_px + op + 1) * c].copy_from_slice(src);
            }
        }
        for d in (0..n).rev() {
            idx[d] += 1;
            if idx[d] < out_sp[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Parse `cropping` / `padding` of an n-D layer into (before, after) pairs:
/// an int, `n` ints (symmetric per dim), or `n` pairs. For 1-D a pair is
/// `[before, after]`.
fn pairs_field(
    cfg: &ConfigReader<'_>,
    key: &str,
    n: usize,
    default: usize,
) -> Result<Vec<(usize, usize)>> {
    let to_u = |v: &Value| -> Option<usize> {
        v.as_u64().map(|x| x as usize).or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as usize)
        })
    };
    let bad = |v: &Value| {
        cfg.err(
            key,
            format!("expected an int, a list of {n} ints or a list of {n} [before, after] pairs, got {v}"),
        )
    };
    let Some(v) = cfg.get(key) else {
        return Ok(vec![(default, default); n]);
    };
    if let Some(x) = to_u(v) {
        return Ok(vec![(x, x); n]);
    }
    let arr = v.as_array().ok_or_else(|| bad(v))?;
    if n == 1 {
        return match arr.as_slice() {
            [a] => to_u(a).map(|a| vec![(a, a)]).ok_or_else(|| bad(v)),
            [a, b] => match (to_u(a), to_u(b)) {
                (Some(a), Some(b)) => Ok(vec![(a, b)]),
                _ => Err(bad(v)),
            },
            _ => Err(bad(v)),
        };
    }
    if arr.len() != n {
        return Err(bad(v));
    }
    arr.iter()
        .map(|e| {
            if let Some(x) = to_u(e) {
                return Ok((x, x));
            }
            match e.as_array().map(Vec::as_slice) {
                Some([a, b]) => match (to_u(a), to_u(b)) {
                    (Some(a), Some(b)) => Ok((a, b)),
                    _ => Err(bad(v)),
                },
                _ => Err(bad(v)),
            }
        })
        .collect()
}

fn pairs_value(p: &[(usize, usize)]) -> Value {
    if p.len() == 1 {
        return json!([p[0].0, p[0].1]);
    }
    Value::Array(p.iter().map(|&(a, b)| json!([a, b])).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PadKind {
    Crop,
    Pad,
}

/// `Cropping1D/2D/3D` and `ZeroPadding1D/2D/3D`.
#[derive(Debug, Clone)]
pub struct CropPad {
    base: Base,
    kind: PadKind,
    pairs: Vec<(usize, usize)>,
    cf: bool,
}

impl CropPad {
    fn from_config(cfg: &ConfigReader<'_>, kind: PadKind, n: usize) -> Result<Self> {
        let key = match kind {
            PadKind::Crop => "cropping",
            PadKind::Pad => "padding",
        };
        let default = match kind {
            PadKind::Crop => 0,
            PadKind::Pad => 1,
        };
        Ok(CropPad {
            base: Base::parse(cfg)?,
            kind,
            pairs: pairs_field(cfg, key, n, default)?,
            cf: if n == 1 { false } else { channels_first(cfg)? },
        })
    }

    fn out_len(&self, d: usize, len: usize) -> Result<usize> {
        let (a, b) = self.pairs[d];
        match self.kind {
            PadKind::Pad => Ok(len + a + b),
            PadKind::Crop => len.checked_sub(a + b).ok_or_else(|| {
                self.base.err(format!(
                    "cropping ({a}, {b}) is larger than the input dimension {len}"
                ))
            }),
        }
    }
}

impl Layer for CropPad {
    fn class_name(&self) -> &str {
        match (self.kind, self.pairs.len()) {
            (PadKind::Crop, 1) => "Cropping1D",
            (PadKind::Crop, 2) => "Cropping2D",
            (PadKind::Crop, _) => "Cropping3D",
            (PadKind::Pad, 1) => "ZeroPadding1D",
            (PadKind::Pad, 2) => "ZeroPadding2D",
            (PadKind::Pad, _) => "ZeroPadding3D",
        }
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let key = match self.kind {
            PadKind::Crop => "cropping",
            PadKind::Pad => "padding",
        };
        m.insert(key.into(), pairs_value(&self.pairs));
        if self.pairs.len() > 1 {
            m.insert("data_format".into(), data_format_value(self.cf));
        }
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.pairs.len();
        let s = shape_cl(one_shape(&self.base, inputs)?, self.cf);
        check_rank(&self.base, s.len(), n + 2, "batch, spatial dims, channels")?;
        let mut out = s.clone();
        for d in 0..n {
            out[d + 1] = match s[d + 1] {
                Some(len) => Some(self.out_len(d, len)?),
                None => None,
            };
        }
        Ok(vec![shape_from_cl(out, self.cf)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.pairs.len();
        let x = one_input(&self.base, inputs)?;
        check_rank(&self.base, x.rank(), n + 2, "batch, spatial dims, channels")?;
        let xl = to_channels_last(x, self.cf);
        let sp = &xl.shape[1..=n];
        let out_sp: Vec<usize> = (0..n)
            .map(|d| self.out_len(d, sp[d]))
            .collect::<Result<_>>()?;
        let shift: Vec<isize> = self
            .pairs
            .iter()
            .map(|&(a, _)| match self.kind {
                PadKind::Crop => a as isize,
                PadKind::Pad => -(a as isize),
            })
            .collect();
        let c = xl.shape[n + 1];
        let out = shift_copy(&xl.data, xl.shape[0], sp, c, &out_sp, &shift);
        let mut shape = vec![xl.shape[0]];
        shape.extend(&out_sp);
        shape.push(c);
        Ok(vec![from_channels_last(&self.base, shape, out, self.cf)?])
    }
}

// ---------------------------------------------------------------------------
// UpSampling
// ---------------------------------------------------------------------------

/// `UpSampling1D/2D/3D` (nearest; 2-D also bilinear).
#[derive(Debug, Clone)]
pub struct UpSampling {
    base: Base,
    size: Vec<usize>,
    cf: bool,
    bilinear: bool,
}

impl UpSampling {
    fn from_config(cfg: &ConfigReader<'_>, n: usize) -> Result<Self> {
        let size = cfg.tuple_or("size", n, 2)?;
        if size.contains(&0) {
            return Err(cfg.err("size", "values must be at least 1"));
        }
        let bilinear = match cfg.str_or("interpolation", "nearest")? {
            "nearest" => false,
            "bilinear" if n == 2 => true,
            other => {
                return Err(cfg.err(
                    "interpolation",
                    format!("expected \"nearest\" or \"bilinear\", got {other:?}"),
                ))
            }
        };
        Ok(UpSampling {
            base: Base::parse(cfg)?,
            size,
            cf: if n == 1 { false } else { channels_first(cfg)? },
            bilinear,
        })
    }
}

impl Layer for UpSampling {
    fn class_name(&self) -> &str {
        match self.size.len() {
            1 => "UpSampling1D",
            2 => "UpSampling2D",
            _ => "UpSampling3D",
        }
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self.size.len() {
            1 => {
                m.insert("size".into(), json!(self.size[0]));
            }
            2 => {
                m.insert("size".into(), ints(&self.size));
                m.insert("data_format".into(), data_format_value(self.cf));
                m.insert(
                    "interpolation".into(),
                    json!(if self.bilinear { "bilinear" } else { "nearest" }),
                );
            }
            _ => {
                m.insert("size".into(), ints(&self.size));
                m.insert("data_format".into(), data_format_value(self.cf));
            }
        }
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.size.len();
        let s = shape_cl(one_shape(&self.base, inputs)?, self.cf);
        check_rank(&self.base, s.len(), n + 2, "batch, spatial dims, channels")?;
        let mut out = s.clone();
        for d in 0..n {
            out[d + 1] = s[d + 1].map(|l| l * self.size[d]);
        }
        Ok(vec![shape_from_cl(out, self.cf)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.size.len();
        let x = one_input(&self.base, inputs)?;
        check_rank(&self.base, x.rank(), n + 2, "batch, spatial dims, channels")?;
        let xl = to_channels_last(x, self.cf);
        let b = xl.shape[0];
        let sp = &xl.shape[1..=n];
        let c = xl.shape[n + 1];
        let out_sp: Vec<usize> = sp.iter().zip(&self.size).map(|(l, s)| l * s).collect();
        let out = if self.bilinear {
            resize_bilinear(&xl.data, b, sp[0], sp[1], c, out_sp[0], out_sp[1])
        } else {
            let in_px: usize = sp.iter().product();
            let out_px: usize = out_sp.iter().product();
            let mut out = vec![0.0f32; b * out_px * c];
            let mut idx = vec![0usize; n];
            for op in 0..out_px {
                let mut ip = 0;
                for d in 0..n {
                    ip = ip * sp[d] + idx[d] / self.size[d];
                }
                for bi in 0..b {
                    out[(bi * out_px + op) * c..(bi * out_px + op + 1) * c].copy_from_slice(
                        &xl.data[(bi * in_px + ip) * c..(bi * in_px + ip + 1) * c],
                    );
                }
                for d in (0..n).rev() {
                    idx[d] += 1;
                    if idx[d] < out_sp[d] {
                        break;
                    }
                    idx[d] = 0;
                }
            }
            out
        };
        let mut shape = vec![b];
        shape.extend(&out_sp);
        shape.push(c);
        Ok(vec![from_channels_last(&self.base, shape, out, self.cf)?])
    }
}

/// TF.js `resizeBilinear` with `alignCorners = false`,
/// `halfPixelCenters = false` (what TF.js's UpSampling2D calls).
fn resize_bilinear(
    x: &[f32],
    b: usize,
    h: usize,
    w: usize,
    c: usize,
    oh: usize,
    ow: usize,
) -> Vec<f32> {
    let mut out = vec![0.0f32; b * oh * ow * c];
    let sy = h as f32 / oh as f32;
    let sx = w as f32 / ow as f32;
    for bi in 0..b {
        for y in 0..oh {
            let fy = y as f32 * sy;
            let y0 = (fy.floor() as usize).min(h - 1);
            let y1 = (y0 + 1).min(h - 1);
            let dy = fy - y0 as f32;
            for xo in 0..ow {
                let fx = xo as f32 * sx;
                let x0 = (fx.floor() as usize).min(w - 1);
                let x1 = (x0 + 1).min(w - 1);
                let dx = fx - x0 as f32;
                let at = |yy: usize, xx: usize, ch: usize| x[((bi * h + yy) * w + xx) * c + ch];
                let o = &mut out[((bi * oh + y) * ow + xo) * c..((bi * oh + y) * ow + xo + 1) * c];
                for (ch, ov) in o.iter_mut().enumerate() {
                    let top = at(y0, x0, ch) + (at(y0, x1, ch) - at(y0, x0, ch)) * dx;
                    let bot = at(y1, x0, ch) + (at(y1, x1, ch) - at(y1, x0, ch)) * dx;
                    *ov = top + (bot - top) * dy;
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------

/// Register the convolutional classes.
pub fn register(registry: &mut LayerRegistry) {
    for (names, kind) in [
        (&["Conv1D", "Convolution1D"][..], ConvKind::Conv1D),
        (&["Conv2D", "Convolution2D"][..], ConvKind::Conv2D),
        (&["Conv3D", "Convolution3D"][..], ConvKind::Conv3D),
        (
            &["Conv1DTranspose", "Convolution1DTranspose"][..],
            ConvKind::Conv1DTranspose,
        ),
        (
            &[
                "Conv2DTranspose",
                "Convolution2DTranspose",
                "Deconvolution2D",
            ][..],
            ConvKind::Conv2DTranspose,
        ),
        (
            &[
                "Conv3DTranspose",
                "Convolution3DTranspose",
                "Deconvolution3D",
            ][..],
            ConvKind::Conv3DTranspose,
        ),
    ] {
        register_simple(registry, names, move |c| {
            boxed_layer(Conv::from_config(c, kind))
        });
    }
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
    for (name, kind, n) in [
        ("Cropping1D", PadKind::Crop, 1),
        ("Cropping2D", PadKind::Crop, 2),
        ("Cropping3D", PadKind::Crop, 3),
        ("ZeroPadding1D", PadKind::Pad, 1),
        ("ZeroPadding2D", PadKind::Pad, 2),
        ("ZeroPadding3D", PadKind::Pad, 3),
    ] {
        register_simple(registry, &[name], move |c| {
            boxed_layer(CropPad::from_config(c, kind, n))
        });
    }
    for (name, n) in [
        ("UpSampling1D", 1),
        ("UpSampling2D", 2),
        ("UpSampling3D", 3),
    ] {
        register_simple(registry, &[name], move |c| {
            boxed_layer(UpSampling::from_config(c, n))
        });
    }
}

/// Kernel parameters for a 1-D (as height 1) or 2-D convolution, from the
/// spatial input dims `sp`, `[kernel_size, strides, dilation]` and the
/// per-dim `(output size, leading pad)` geometry.
fn conv2d_params(
    batch: usize,
    sp: &[usize],
    in_c: usize,
    out_c: usize,
    [k, s, d]: [&[usize]; 3],
    geo: &[(usize, usize)],
) -> Conv2dParams {
    let (in_h, k_h, stride_h, dil_h, out_h, pad_top) = if sp.len() == 2 {
        (sp[0], k[0], s[0], d[0], geo[0].0, geo[0].1)
    } else {
        (1, 1, 1, 1, 1, 0)
    };
    let l = sp.len() - 1;
    Conv2dParams {
        batch,
        in_h,
        in_w: sp[l],
        in_c,
        out_c,
        k_h,
        k_w: k[l],
        stride_h,
        stride_w: s[l],
        dil_h,
        dil_w: d[l],
        pad_top,
        pad_left: geo[l].1,
        out_h,
        out_w: geo[l].0,
    }
}

//! The spatial spec shared by convolutions, poolings and ConvLSTM2D:
//! `padding`, data formats (channels-first inputs are transposed to
//! channels-last and back), and output geometry per spatial dim.

use super::base::{check_rank, one_input, one_shape, require_built, shape_str};
use super::{
    make_tensor, perm_to_channels_first, perm_to_channels_last, permute_shape, transpose, Base,
    Params,
};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use tfjs_kernels::{Padding, WindowAxis};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `padding` of a layer that takes only `valid` (the default) or `same`.
pub(crate) fn valid_or_same(cfg: &ConfigReader<'_>) -> Result<Padding> {
    match cfg.str_or("padding", "valid")? {
        "valid" => Ok(Padding::Valid),
        "same" => Ok(Padding::Same),
        other => Err(cfg.err(
            "padding",
            format!("expected \"valid\" or \"same\", got \"{other}\""),
        )),
    }
}

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

/// `kernel_size`, `strides` and `dilation_rate` of a convolution over `n`
/// spatial dims (strides and dilation default to 1), each value at least 1.
pub(crate) fn conv_window(cfg: &ConfigReader<'_>, n: usize) -> Result<[Vec<usize>; 3]> {
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
    Ok([kernel_size, strides, dilation])
}

/// The one input of a built layer over `n` spatial dims (a convolution), in
/// channels-last layout, checked to have the channel count its kernel was
/// built for (`in_channels`, asked once the layer is known to be built).
pub(crate) fn built_spatial_input<'a>(
    base: &Base,
    params: &Params,
    inputs: &'a [Tensor],
    n: usize,
    cf: bool,
    in_channels: impl FnOnce() -> usize,
) -> Result<ChannelsLast<'a>> {
    let x = one_input(base, inputs)?;
    require_built(base, params)?;
    check_rank(base, x.rank(), n + 2, "batch, spatial dims, channels")?;
    let xl = to_channels_last(x, cf);
    let want = in_channels();
    if xl.shape[n + 1] != want {
        return Err(base.err(format!(
            "expects {want} input channels, got input shape {:?}",
            x.shape()
        )));
    }
    Ok(xl)
}

/// The one input of a layer over `n` spatial dims, checked to be `[batch,
/// spatial…, channels]`, in channels-last layout.
pub(crate) fn spatial_input_tensor<'a>(
    base: &Base,
    inputs: &'a [Tensor],
    n: usize,
    cf: bool,
) -> Result<ChannelsLast<'a>> {
    let x = one_input(base, inputs)?;
    check_rank(base, x.rank(), n + 2, "batch, spatial dims, channels")?;
    Ok(to_channels_last(x, cf))
}

/// The output tensor, in the layer's data format, of channels-last `data`
/// of shape `[batch, out_sp…, channels]`.
pub(crate) fn spatial_result(
    base: &Base,
    batch: usize,
    out_sp: impl IntoIterator<Item = usize>,
    channels: usize,
    data: Vec<f32>,
    cf: bool,
) -> Result<Tensor> {
    let mut shape = vec![batch];
    shape.extend(out_sp);
    shape.push(channels);
    from_channels_last(base, shape, data, cf)
}

/// `layer`, built from the input shape it declares (`declared`, see
/// [`ConvSpec::declared_input`]) when there is one, as Keras builds such a
/// layer while it loads.
pub(crate) fn built_from_declared<L: crate::Layer>(
    mut layer: L,
    declared: impl FnOnce(&L) -> Option<Shape>,
) -> Result<L> {
    if let Some(s) = declared(&layer) {
        layer.build(&[s])?;
    }
    Ok(layer)
}

/// A convolution's `filters`: a positive integer.
pub(crate) fn positive_filters(cfg: &ConfigReader<'_>) -> Result<usize> {
    let filters = cfg.usize_req("filters")?;
    if filters == 0 {
        return Err(cfg.err("filters", "must be a positive integer"));
    }
    Ok(filters)
}

/// An input in channels-last layout: (`shape`, data).
pub(crate) struct ChannelsLast<'a> {
    pub shape: Vec<usize>,
    pub data: Cow<'a, [f32]>,
}

impl ChannelsLast<'_> {
    /// `(batch, spatial dims, channels)` of a `[batch, spatial…, channels]`
    /// input.
    pub(crate) fn dims(&self) -> (usize, &[usize], usize) {
        let n = self.shape.len() - 2;
        (self.shape[0], &self.shape[1..=n], self.shape[n + 1])
    }
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

/// The one input shape of a layer over `n` spatial dims (conv, pooling),
/// in channels-last order, checked to be `[batch, spatial…, channels]`.
pub(crate) fn spatial_input(base: &Base, shapes: &[Shape], n: usize, cf: bool) -> Result<Shape> {
    let s = shape_cl(one_shape(base, shapes)?, cf);
    check_rank(base, s.len(), n + 2, "batch, spatial dims, channels")?;
    Ok(s)
}

/// The channel count of a channels-last [`spatial_input`] shape, which
/// must be known to build the layer's weights.
pub(crate) fn known_channels(base: &Base, s: &Shape) -> Result<usize> {
    s.last().copied().flatten().ok_or_else(|| {
        base.err(format!(
            "the channel dimension of the input {} must be known to build the layer",
            shape_str(s)
        ))
    })
}

/// `[batch, out(0, len0), …, channels]`: a channels-last output shape whose
/// known spatial dims are mapped by `out` (dim index, input length).
pub(crate) fn spatial_output(
    s: &Shape,
    channels: Option<usize>,
    out: impl Fn(usize, usize) -> Result<usize>,
) -> Result<Shape> {
    let n = s.len().saturating_sub(2);
    let mut shape = vec![s.first().copied().flatten()];
    for i in 0..n {
        shape.push(match s[i + 1] {
            None => None,
            Some(len) => Some(out(i, len)?),
        });
    }
    shape.push(channels);
    Ok(shape)
}

pub(crate) fn kernel_err(base: &Base, e: tfjs_kernels::KernelError) -> crate::LayersError {
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

/// (out, pad_before) of every spatial dim `sp` of a forward convolution
/// (or pooling, with dilation 1).
pub(crate) fn conv_geometry(
    base: &Base,
    sp: &[usize],
    [k, s, d]: [&[usize]; 3],
    p: Padding,
) -> Result<Vec<(usize, usize)>> {
    sp.iter()
        .enumerate()
        .map(|(i, &len)| conv_dim(base, len, k[i], s[i], d[i], p))
        .collect()
}

/// The kernels' description of a window over the spatial input dims `sp`
/// (at most three), from `[kernel_size, strides, dilation]` and the per-dim
/// `(output size, leading pad)` geometry. Built on every call of a layer,
/// so without an allocation.
pub(crate) fn window_axes(
    sp: &[usize],
    [k, s, d]: [&[usize]; 3],
    geo: &[(usize, usize)],
) -> WindowAxes {
    let unit = WindowAxis {
        input: 1,
        kernel: 1,
        stride: 1,
        dilation: 1,
        pad_before: 0,
        output: 1,
    };
    let mut axes = WindowAxes {
        axes: [unit; 3],
        len: sp.len().min(3),
    };
    for (i, a) in axes.axes[..axes.len].iter_mut().enumerate() {
        *a = WindowAxis {
            input: sp[i],
            kernel: k[i],
            stride: s[i],
            dilation: d[i],
            pad_before: geo[i].1,
            output: geo[i].0,
        };
    }
    axes
}

/// Up to three [`WindowAxis`], by value.
pub(crate) struct WindowAxes {
    axes: [WindowAxis; 3],
    len: usize,
}

impl std::ops::Deref for WindowAxes {
    type Target = [WindowAxis];
    fn deref(&self) -> &[WindowAxis] {
        &self.axes[..self.len]
    }
}

/// A pooling window (size `k`, stride `s`, no dilation) over an `input`-long
/// dim with geometry `(out, pad_before)`, clipped to the cells it can
/// reach: returns `(k', pad_before')` such that every output's window covers
/// exactly the same input cells, with `k' <= 2 * input`. (With "same"
/// padding a huge `pool_size` is valid and means "the whole input"; the
/// kernels allocate per window tap.)
pub(crate) fn clip_window(
    k: usize,
    input: usize,
    (out, pad): (usize, usize),
    s: usize,
) -> (usize, usize) {
    // Every window starting left of the input starts at cell 0 either way.
    let last_start = out.saturating_sub(1).saturating_mul(s);
    let pad2 = pad.min(last_start);
    // Windows reaching past the input end at its last cell either way.
    let k2 = (k - (pad - pad2)).min(input + pad2);
    (k2.max(1), pad2)
}

/// What every convolution (`Conv*`, `DepthwiseConv*`, `SeparableConv*`)
/// reads from its config besides its filters: the window, padding, data
/// format, activation and whether it has a bias.
#[derive(Debug, Clone)]
pub(crate) struct ConvSpec {
    pub kernel_size: Vec<usize>,
    pub strides: Vec<usize>,
    pub padding: Padding,
    /// `data_format: channels_first`.
    pub cf: bool,
    pub dilation: Vec<usize>,
    pub activation: crate::activations::Activation,
    pub use_bias: bool,
}

impl ConvSpec {
    /// The spec of a convolution whose window (from [`conv_window`]) and
    /// padding are read: reads the data format, activation and `use_bias`,
    /// and into `extras` the bias fields [`ConvSpec::write`] writes.
    pub(crate) fn read(
        cfg: &ConfigReader<'_>,
        [kernel_size, strides, dilation]: [Vec<usize>; 3],
        padding: Padding,
        extras: &mut super::Extras,
    ) -> Result<Self> {
        extras.init(cfg, "bias_initializer", super::zeros_init);
        extras.reg(cfg, "bias_regularizer");
        extras.reg(cfg, "activity_regularizer");
        extras.cons(cfg, "bias_constraint");
        Ok(ConvSpec {
            kernel_size,
            strides,
            padding,
            cf: super::channels_first(cfg)?,
            dilation,
            activation: super::activation_field(cfg, "activation")?,
            use_bias: cfg.bool_or("use_bias", true)?,
        })
    }
}

impl ConvSpec {
    /// The declared input shape of the layer (`base`) when it is `[batch,
    /// spatial…, channels]` with known channels: enough to build its
    /// weights.
    pub(crate) fn declared_input(&self, base: &Base) -> Option<Shape> {
        let n = self.kernel_size.len();
        let s = base.batch_input_shape.clone()?;
        let cl = shape_cl(&s, self.cf);
        (cl.len() == n + 2 && cl[n + 1].is_some()).then_some(s)
    }

    /// `[kernel_size, strides, dilation]`.
    pub(crate) fn window(&self) -> [&[usize]; 3] {
        [&self.kernel_size, &self.strides, &self.dilation]
    }

    /// (out, pad_before) of forward-convolving spatial dim `i`, `len` long.
    pub(crate) fn dim(&self, base: &Base, i: usize, len: usize) -> Result<(usize, usize)> {
        let [k, s, d] = self.window();
        conv_dim(base, len, k[i], s[i], d[i], self.padding)
    }

    /// (out, pad_before) of transposed-convolving spatial dim `i`, `input`
    /// long (Keras `deconv_output_length`, with optional `output_padding`).
    pub(crate) fn deconv_dim(
        &self,
        base: &Base,
        i: usize,
        input: usize,
        output_padding: Option<usize>,
    ) -> Result<(usize, usize)> {
        let (k, s, d, p) = (
            self.kernel_size[i],
            self.strides[i],
            self.dilation[i],
            self.padding,
        );
        let Some(op) = output_padding else {
            return tfjs_kernels::deconv_output_size(input, k, s, d, p)
                .map_err(|e| kernel_err(base, e));
        };
        if input == 0 || k == 0 || s == 0 || d == 0 {
            return Err(
                base.err("input size, kernel size, stride and dilation must all be at least 1")
            );
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

    /// The layer's output shape from its channels-last shape `out_cl`: in
    /// the layer's data format, after its activation (`glu` halves the
    /// last axis).
    pub(crate) fn output_shape(&self, base: &Base, out_cl: Shape) -> Result<Shape> {
        super::activated_shape(base, self.activation, shape_from_cl(out_cl, self.cf))
    }

    /// The layer's output from the channels-last convolution result `data`
    /// (`[batch, out…, channels]`): activated, in the layer's data format.
    pub(crate) fn output(
        &self,
        base: &Base,
        batch: usize,
        geo: &[(usize, usize)],
        channels: usize,
        mut data: Vec<f32>,
    ) -> Result<Tensor> {
        let out_sp = geo.iter().map(|g| g.0);
        if self.cf && self.activation.per_row() {
            // Keras applies softmax-like activations (and glu) along the
            // output's last axis, which channels_first makes the last
            // spatial one.
            let y = spatial_result(base, batch, out_sp, channels, data, self.cf)?;
            let mut shape = y.shape().to_vec();
            let mut data = y.to_f32().into_owned();
            super::apply_activation(base, self.activation, &mut data, &mut shape)?;
            return make_tensor(base, shape, data);
        }
        let mut channels = [channels];
        super::apply_activation(base, self.activation, &mut data, &mut channels)?;
        spatial_result(base, batch, out_sp, channels[0], data, self.cf)
    }

    /// Write the spec in TF.js's key order (after `filters`): the window,
    /// `padding`, `data_format` and `dilation_rate` unless the TF.js class
    /// omits them, `activation`, `use_bias`, then the bias fields kept in
    /// `extras`.
    pub(crate) fn write(
        &self,
        m: &mut Map<String, Value>,
        extras: &super::Extras,
        with_data_format: bool,
        with_dilation: bool,
    ) {
        m.insert("kernel_size".into(), super::ints(&self.kernel_size));
        m.insert("strides".into(), super::ints(&self.strides));
        m.insert("padding".into(), json!(padding_name(self.padding)));
        if with_data_format {
            m.insert("data_format".into(), super::data_format_value(self.cf));
        }
        if with_dilation {
            m.insert("dilation_rate".into(), super::ints(&self.dilation));
        }
        m.insert("activation".into(), self.activation.to_json());
        m.insert("use_bias".into(), json!(self.use_bias));
        for k in [
            "bias_initializer",
            "bias_regularizer",
            "activity_regularizer",
            "bias_constraint",
        ] {
            extras.put(m, k);
        }
    }
}

/// A built 2-D convolution (or depthwise convolution) as the engine's
/// conv + BatchNormalization + ReLU fusion sees it: geometry, activation
/// and current weights (`kernel` `[kh, kw, in, out]`, or `[kh, kw, in,
/// multiplier]` when depthwise).
#[derive(Debug)]
pub(crate) struct FusableConv<'a> {
    pub depthwise: bool,
    pub kernel_size: &'a [usize],
    pub strides: &'a [usize],
    pub dilation: &'a [usize],
    pub padding: Padding,
    pub activation: crate::activations::Activation,
    pub kernel_shape: Vec<usize>,
    /// Borrowed from the layer, or owned when the layer rewrote it (a
    /// grouped convolution's block-diagonal kernel).
    pub kernel: std::borrow::Cow<'a, [f32]>,
    pub bias: Option<&'a [f32]>,
}

impl<'a> FusableConv<'a> {
    /// The spec of a built convolution whose weights are `params`
    /// (`kernel` first, then `bias` when `use_bias`); `None` when it is
    /// channels-first (the fusion runs channels-last only) or not built.
    pub(crate) fn new(
        depthwise: bool,
        spec: &'a ConvSpec,
        params: &'a super::Params,
    ) -> Option<Self> {
        if spec.cf {
            return None;
        }
        let kernel_shape = params.weights(true).first()?.shape.clone();
        let values: Vec<&'a crate::Tensor> = params.values();
        Some(FusableConv {
            depthwise,
            kernel_size: &spec.kernel_size,
            strides: &spec.strides,
            dilation: &spec.dilation,
            padding: spec.padding,
            activation: spec.activation,
            kernel_shape,
            kernel: std::borrow::Cow::Borrowed(values.first().copied()?.as_f32()?),
            bias: if spec.use_bias {
                values.get(1).copied()?.as_f32()
            } else {
                None
            },
        })
    }
}

//! The spatial spec shared by convolutions, poolings and ConvLSTM2D:
//! `padding`, data formats (channels-first inputs are transposed to
//! channels-last and back), and output geometry per spatial dim.

use super::base::{check_rank, one_shape, shape_str};
use super::{
    make_tensor, perm_to_channels_first, perm_to_channels_last, permute_shape, transpose, Base,
};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use std::borrow::Cow;
use tfjs_kernels::{Conv2dParams, Padding};

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

/// (out, pad_before) of a transposed convolution dim (Keras
/// `deconv_output_length`, with optional `output_padding`).
pub(crate) fn deconv_dim(
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

/// Kernel parameters for a 1-D (as height 1) or 2-D convolution, from the
/// spatial input dims `sp`, `[kernel_size, strides, dilation]` and the
/// per-dim `(output size, leading pad)` geometry.
pub(crate) fn conv2d_params(
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
    pub kernel: &'a [f32],
    pub bias: Option<&'a [f32]>,
}

impl<'a> FusableConv<'a> {
    /// The spec of a built convolution whose weights are `params`
    /// (`kernel` first, then `bias` when `use_bias`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        depthwise: bool,
        kernel_size: &'a [usize],
        strides: &'a [usize],
        dilation: &'a [usize],
        padding: Padding,
        activation: crate::activations::Activation,
        params: &'a super::Params,
        use_bias: bool,
    ) -> Option<Self> {
        let kernel_shape = params.weights(true).first()?.shape.clone();
        let values: Vec<&'a crate::Tensor> = params.values();
        Some(FusableConv {
            depthwise,
            kernel_size,
            strides,
            dilation,
            padding,
            activation,
            kernel_shape,
            kernel: values.first().copied()?.as_f32()?,
            bias: if use_bias {
                values.get(1).copied()?.as_f32()
            } else {
                None
            },
        })
    }
}

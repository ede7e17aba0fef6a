//! Convolutions and pooling, on the same kernels as the layers engine:
//! Conv2D, `_FusedConv2D`, DepthwiseConv2dNative, FusedDepthwiseConv2dNative,
//! Conv2DBackpropInput, MaxPool, AvgPool.

use super::basic_math::apply_activation;
use super::{one, Ctx, OpFn, Value};
use crate::tensor::Tensor;
use crate::Result;
use std::sync::Arc;
use tfjs_kernels::{
    conv_output_size, Conv2dParams, FusedActivation, PackedMatrix, Padding, Pool2dParams,
    WindowAxis,
};

/// A convolution filter (and bias) packed for the kernels, with the
/// tensors it was packed from (kept alive so that pointer equality means
/// "the same tensor").
struct PackedFilter {
    filter: Arc<Tensor>,
    bias: Option<Arc<Tensor>>,
    packed: PackedMatrix,
}

/// Input `i` as the shared tensor it is (`None` for lists or absent inputs).
fn tensor_arc<'a>(c: &Ctx<'a>, i: usize) -> Option<&'a Arc<Tensor>> {
    match c.inputs.get(i) {
        Some(Value::Tensor(t)) => Some(t),
        _ => None,
    }
}

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("Conv2D", |c| conv(c, false, false)),
    ("_FusedConv2D", |c| conv(c, false, true)),
    ("DepthwiseConv2dNative", |c| conv(c, true, false)),
    ("DepthwiseConv2d", |c| conv(c, true, false)),
    ("FusedDepthwiseConv2dNative", |c| conv(c, true, true)),
    ("Conv2DBackpropInput", conv2d_backprop_input),
    ("MaxPool", |c| pool(c, true)),
    ("AvgPool", |c| pool(c, false)),
    ("Conv3D", conv3d),
    ("MaxPool3D", |c| pool3d(c, true)),
    ("AvgPool3D", |c| pool3d(c, false)),
];

/// `[d, h, w]` from a 5-entry NDHWC list attribute (default 1s).
fn dhw(c: &Ctx, key: &str) -> Result<[usize; 3]> {
    let v = c.node.attr_list_i(key).unwrap_or_default();
    match v.as_slice() {
        [] => Ok([1, 1, 1]),
        [_, d, h, w, _] if *d > 0 && *h > 0 && *w > 0 => {
            Ok([*d as usize, *h as usize, *w as usize])
        }
        _ => Err(c.err(format!(
            "attribute `{key}` must be 5 positive values, got {v:?}"
        ))),
    }
}

/// Float32 NDHWC input `i` with its five dimensions.
fn ndhwc<'a>(c: &'a Ctx<'a>, i: usize) -> Result<(std::borrow::Cow<'a, [f32]>, [usize; 5])> {
    let t = c.t(i)?;
    if t.rank() != 5 {
        return Err(c.err(format!(
            "input {i} must be rank 5 (NDHWC), got shape {:?}",
            t.shape()
        )));
    }
    let s = [
        t.shape()[0],
        t.shape()[1],
        t.shape()[2],
        t.shape()[3],
        t.shape()[4],
    ];
    let v = match t.as_f32() {
        Some(v) => std::borrow::Cow::Borrowed(v),
        None => std::borrow::Cow::Owned(t.to_f32()),
    };
    Ok((v, s))
}

fn std_padding(c: &Ctx) -> Result<Padding> {
    match padding(c)? {
        Pad::Std(p) => Ok(p),
        Pad::Explicit(_) => Err(c.err("EXPLICIT padding is not supported here")),
    }
}

fn conv3d(c: &Ctx) -> Result<Vec<Value>> {
    if c.node.attr_s("data_format").is_some_and(|f| f != "NDHWC") {
        return Err(c.err("only data_format NDHWC is supported"));
    }
    let (x, xs) = ndhwc(c, 0)?;
    let (w, ws) = ndhwc(c, 1)?;
    if ws[3] != xs[4] {
        return Err(c.err(format!(
            "filter {ws:?} expects {} input channels, the input has {}",
            ws[3], xs[4]
        )));
    }
    let p = tfjs_kernels::Conv3dParams::new(
        xs[0],
        [xs[1], xs[2], xs[3]],
        xs[4],
        ws[4],
        [ws[0], ws[1], ws[2]],
        dhw(c, "strides")?,
        dhw(c, "dilations")?,
        std_padding(c)?,
    )
    .map_err(|e| c.err(e.to_string()))?;
    let shape = vec![xs[0], p.out_d, p.out_h, p.out_w, ws[4]];
    run_f32(shape, p.output_len(), |out| {
        tfjs_kernels::conv3d(&x, &w, None, &p, out)
    })
}

fn pool3d(c: &Ctx, max: bool) -> Result<Vec<Value>> {
    let (x, xs) = ndhwc(c, 0)?;
    let p = tfjs_kernels::Pool3dParams::new(
        xs[0],
        [xs[1], xs[2], xs[3]],
        xs[4],
        dhw(c, "ksize")?,
        dhw(c, "strides")?,
        std_padding(c)?,
    )
    .map_err(|e| c.err(e.to_string()))?;
    let pool = if max {
        tfjs_kernels::max_pool3d
    } else {
        tfjs_kernels::avg_pool3d
    };
    let shape = vec![xs[0], p.out_d, p.out_h, p.out_w, xs[4]];
    run_f32(shape, p.output_len(), |out| pool(&x, &p, out))
}

/// The f32 tensor of `shape` that `kernel` writes (`len` values).
fn run_f32(shape: Vec<usize>, len: usize, kernel: impl FnOnce(&mut [f32])) -> Result<Vec<Value>> {
    let mut out = vec![0.0f32; len];
    kernel(&mut out);
    one(Tensor::f32(shape, out)?)
}

/// Float32 NHWC input `i` with its four dimensions.
pub fn nhwc<'a>(c: &'a Ctx<'a>, i: usize) -> Result<(std::borrow::Cow<'a, [f32]>, [usize; 4])> {
    let t = c.t(i)?;
    if t.rank() != 4 {
        return Err(c.err(format!(
            "input {i} must be rank 4 (NHWC), got shape {:?}",
            t.shape()
        )));
    }
    let s = [t.shape()[0], t.shape()[1], t.shape()[2], t.shape()[3]];
    let v = match t.as_f32() {
        Some(v) => std::borrow::Cow::Borrowed(v),
        None => std::borrow::Cow::Owned(t.to_f32()),
    };
    Ok((v, s))
}

fn check_nhwc(c: &Ctx) -> Result<()> {
    match c.node.attr_s("data_format") {
        Some(f) if f != "NHWC" => Err(c.err(format!(
            "data_format {f} is not supported (TF.js cpu runs NHWC only)"
        ))),
        _ => Ok(()),
    }
}

/// `[h, w]` from a 4-entry NHWC list attribute (default 1s).
fn hw(c: &Ctx, key: &str) -> Result<[usize; 2]> {
    let v = c.node.attr_list_i(key).unwrap_or_default();
    match v.as_slice() {
        [] => Ok([1, 1]),
        [_, h, w, _] if *h > 0 && *w > 0 => Ok([*h as usize, *w as usize]),
        [h, w] if *h > 0 && *w > 0 => Ok([*h as usize, *w as usize]),
        _ => Err(c.err(format!(
            "attribute `{key}` must be 4 positive values, got {v:?}"
        ))),
    }
}

enum Pad {
    Std(Padding),
    /// top, bottom, left, right
    Explicit([usize; 4]),
}

fn padding(c: &Ctx) -> Result<Pad> {
    let p = c.attr_s("padding")?;
    if p == "EXPLICIT" {
        let e = c.node.attr_list_i("explicit_paddings").unwrap_or_default();
        if e.len() != 8 || e.iter().any(|&x| x < 0) {
            return Err(c.err(format!(
                "explicit_paddings must be 8 non-negative values, got {e:?}"
            )));
        }
        return Ok(Pad::Explicit([
            e[2] as usize,
            e[3] as usize,
            e[4] as usize,
            e[5] as usize,
        ]));
    }
    Padding::parse(&p)
        .map(Pad::Std)
        .map_err(|e| c.err(e.to_string()))
}

fn explicit_out(
    c: &Ctx,
    input: usize,
    k: usize,
    s: usize,
    d: usize,
    before: usize,
    after: usize,
) -> Result<usize> {
    let eff = (k - 1) * d + 1;
    let padded = input + before + after;
    if padded < eff {
        return Err(c.err(format!(
            "window {eff} is larger than the padded input {padded}"
        )));
    }
    Ok((padded - eff) / s + 1)
}

/// Geometry of a 2-D convolution node.
fn conv_params(
    c: &Ctx,
    x: [usize; 4],
    kernel_hw: [usize; 2],
    out_c: usize,
) -> Result<Conv2dParams> {
    let strides = hw(c, "strides")?;
    let dil = hw(c, "dilations")?;
    match padding(c)? {
        Pad::Std(p) => {
            Conv2dParams::new(x[0], [x[1], x[2]], x[3], out_c, kernel_hw, strides, dil, p)
                .map_err(|e| c.err(e.to_string()))
        }
        Pad::Explicit([t, b, l, r]) => {
            let axis = |i: usize, [before, after]: [usize; 2]| -> Result<WindowAxis> {
                let (input, kernel, stride, dilation) =
                    (x[1 + i], kernel_hw[i], strides[i], dil[i]);
                Ok(WindowAxis {
                    input,
                    kernel,
                    stride,
                    dilation,
                    pad_before: before,
                    output: explicit_out(c, input, kernel, stride, dilation, before, after)?,
                })
            };
            let axes = [axis(0, [t, b])?, axis(1, [l, r])?];
            Ok(Conv2dParams::from_axes(x[0], [x[3], out_c], &axes))
        }
    }
}

/// `fused_ops`, `args` and activation settings of a fused node, as TF.js
/// reads them (`fusedConvAndDepthWiseParams`).
pub struct Fused {
    /// Bias argument.
    pub bias: Option<Tensor>,
    /// Prelu alpha argument.
    pub prelu: Option<Tensor>,
    /// Activation name, lower case ("" for none).
    pub activation: String,
    /// LeakyRelu alpha.
    pub leaky_alpha: f32,
}

/// Read the fused-op settings; `first_arg` is the index of `args[0]`.
pub fn fused(c: &Ctx, first_arg: usize) -> Result<Fused> {
    let ops: Vec<String> = c
        .node
        .attr_list_s("fused_ops")
        .unwrap_or_default()
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let extra = ops.first().map(String::as_str).unwrap_or("");
    let activation = ops.get(1).cloned().unwrap_or_default();
    let num_args = c.attr_i("num_args", (c.n() - first_arg) as i64);
    if extra == "fusedbatchnorm" {
        return Err(c.err(
            "FusedConv2d and DepthwiseConv2d with FusedBatchNorm is not supported (as in TF.js)",
        ));
    }
    let is_bias = extra == "biasadd";
    let is_prelu = activation == "prelu";
    if is_bias && is_prelu && num_args != 2 {
        return Err(c.err("BiasAdd and Prelu need two extra arguments: bias and alpha"));
    }
    if is_bias && !is_prelu && num_args != 1 {
        return Err(c.err("BiasAdd needs one extra argument: bias"));
    }
    let arg = |i: usize| -> Result<Option<Tensor>> {
        if first_arg + i < c.n() {
            Ok(Some(
                c.t(first_arg + i)?.clone().cast(crate::tensor::DType::F32),
            ))
        } else {
            Ok(None)
        }
    };
    let (mut bias, mut prelu) = (arg(0)?, arg(1)?);
    let activation = if is_bias || extra.is_empty() {
        activation
    } else {
        // A single fused op is the activation itself (no bias).
        extra.to_string()
    };
    if !is_bias {
        prelu = bias.take();
    }
    Ok(Fused {
        bias,
        prelu,
        activation,
        leaky_alpha: c.attr_f("leakyrelu_alpha", 0.2),
    })
}

fn conv(c: &Ctx, depthwise: bool, is_fused: bool) -> Result<Vec<Value>> {
    check_nhwc(c)?;
    let (x, xs) = nhwc(c, 0)?;
    let (w, ws) = nhwc(c, 1).map_err(|_| c.err("the filter must be rank 4"))?;
    let out_c = if depthwise { ws[2] * ws[3] } else { ws[3] };
    if ws[2] != xs[3] {
        return Err(c.err(format!(
            "filter {ws:?} expects {} input channels, the input has {}",
            ws[2], xs[3]
        )));
    }
    let p = conv_params(c, xs, [ws[0], ws[1]], out_c)?;
    let f = if is_fused {
        fused(c, 2)?
    } else {
        Fused {
            bias: None,
            prelu: None,
            activation: String::new(),
            leaky_alpha: 0.2,
        }
    };
    let bias = match &f.bias {
        Some(b) if b.len() == out_c => Some(b.to_f32()),
        Some(b) => {
            return Err(c.err(format!(
                "bias has {} values, the output has {out_c} channels",
                b.len()
            )))
        }
        None => None,
    };
    let kernel_act = match f.activation.as_str() {
        "relu" => FusedActivation::Relu,
        "relu6" => FusedActivation::Relu6,
        _ => FusedActivation::Linear,
    };
    let mut out = vec![0.0f32; p.output_len()];
    if depthwise {
        tfjs_kernels::depthwise_conv2d(&x, &w, bias.as_deref(), kernel_act, &p, &mut out);
    } else {
        let pack = || {
            let k = ws[0] * ws[1] * ws[2];
            PackedMatrix::new(&w, k, out_c, bias.as_deref())
        };
        match (c.cache, tensor_arc(c, 1)) {
            // The filter (and bias) are the same tensors as last run, weights
            // in practice: pack them once, as the layers engine does at load.
            (Some(cache), Some(filter)) => {
                let bias_arc = if f.bias.is_some() {
                    tensor_arc(c, 2)
                } else {
                    None
                };
                let packed = cache.get_or(
                    |e: &PackedFilter| {
                        Arc::ptr_eq(&e.filter, filter)
                            && match (&e.bias, bias_arc) {
                                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                                (None, None) => true,
                                _ => false,
                            }
                    },
                    || PackedFilter {
                        filter: filter.clone(),
                        bias: bias_arc.cloned(),
                        packed: pack(),
                    },
                );
                tfjs_kernels::conv2d_packed(&x, &packed.packed, kernel_act, &p, &mut out);
            }
            _ => tfjs_kernels::conv2d_packed(&x, &pack(), kernel_act, &p, &mut out),
        }
    }
    let t = Tensor::f32(vec![p.batch, p.out_h, p.out_w, out_c], out)?;
    if kernel_act != FusedActivation::Linear || f.activation.is_empty() {
        return one(t);
    }
    one(apply_activation(
        c,
        t,
        &f.activation,
        f.prelu.as_ref(),
        f.leaky_alpha,
    )?)
}

fn conv2d_backprop_input(c: &Ctx) -> Result<Vec<Value>> {
    check_nhwc(c)?;
    let sizes = c.ints(0)?;
    let (w, ws) = nhwc(c, 1)?;
    let (dy, ds) = nhwc(c, 2)?;
    let [n, oh, ow, oc] = match sizes.as_slice() {
        [a, b, d, e] if [a, b, d, e].iter().all(|&&v| v > 0) => {
            [*a as usize, *b as usize, *d as usize, *e as usize]
        }
        _ => {
            return Err(c.err(format!(
                "input_sizes must be 4 positive values, got {sizes:?}"
            )))
        }
    };
    if n != ds[0] || oc != ws[2] || ds[3] != ws[3] {
        return Err(c.err(format!(
            "input_sizes {sizes:?}, filter {ws:?} and out_backprop {ds:?} disagree"
        )));
    }
    let strides = hw(c, "strides")?;
    let dil = hw(c, "dilations")?;
    let (pt, pl, fh, fw) = match padding(c)? {
        Pad::Std(p) => {
            let e = |x: tfjs_kernels::KernelError| c.err(x.to_string());
            let (fh, pt) = conv_output_size(oh, ws[0], strides[0], dil[0], p).map_err(e)?;
            let (fw, pl) = conv_output_size(ow, ws[1], strides[1], dil[1], p).map_err(e)?;
            (pt, pl, fh, fw)
        }
        Pad::Explicit([t, b, l, r]) => (
            t,
            l,
            explicit_out(c, oh, ws[0], strides[0], dil[0], t, b)?,
            explicit_out(c, ow, ws[1], strides[1], dil[1], l, r)?,
        ),
    };
    if (fh, fw) != (ds[1], ds[2]) {
        return Err(c.err(format!(
            "out_backprop is {}x{}, a convolution of input_sizes {sizes:?} gives {fh}x{fw}",
            ds[1], ds[2]
        )));
    }
    // The forward convolution of the input (oh x ow) to out_backprop, run
    // backwards.
    let axis = |i: usize, pad_before: usize, output: usize| WindowAxis {
        input: ds[1 + i],
        kernel: ws[i],
        stride: strides[i],
        dilation: dil[i],
        pad_before,
        output,
    };
    let p = Conv2dParams::from_axes(n, [ds[3], oc], &[axis(0, pt, oh), axis(1, pl, ow)]);
    run_f32(vec![n, oh, ow, oc], p.output_len(), |out| {
        tfjs_kernels::conv2d_transpose(&dy, &w, None, &p, out)
    })
}

fn pool(c: &Ctx, max: bool) -> Result<Vec<Value>> {
    check_nhwc(c)?;
    let (x, xs) = nhwc(c, 0)?;
    let k = hw(c, "ksize")?;
    let s = hw(c, "strides")?;
    let p = match padding(c)? {
        Pad::Std(p) => p,
        Pad::Explicit(_) => return Err(c.err("EXPLICIT padding is not supported for pooling")),
    };
    let params = Pool2dParams::new(xs[0], [xs[1], xs[2]], xs[3], k, s, p)
        .map_err(|e| c.err(e.to_string()))?;
    let pool = if max {
        tfjs_kernels::max_pool2d
    } else {
        tfjs_kernels::avg_pool2d
    };
    let shape = vec![xs[0], params.out_h, params.out_w, xs[3]];
    run_f32(shape, params.output_len(), |out| pool(&x, &params, out))
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::run1;
    use crate::tensor::Tensor;

    /// A node's packed filter is reused while its filter and bias inputs are
    /// the same tensors, and re-packed when either changes: every run equals
    /// the same convolution computed without a cache.
    #[test]
    fn packed_filters_are_cached_per_node_and_follow_their_tensors() {
        use crate::graph::Node;
        use crate::ops::{Ctx, NodeCache, Value};
        let node = Node {
            name: "conv".into(),
            op: "_FusedConv2D".into(),
            inputs: vec![],
            control: vec![],
            attr: serde_json::from_str(&attrs(
                SAME,
                r#", "fused_ops": {"list": {"s": ["Qmlhc0FkZA=="]}}, "num_args": {"i": "1"}"#,
            ))
            .unwrap(),
        };
        let x = Value::t(
            Tensor::f32(vec![1, 3, 3, 2], (0..18).map(|v| v as f32 * 0.1).collect()).unwrap(),
        );
        let filter = |k: f32| {
            Value::t(
                Tensor::f32(
                    vec![2, 2, 2, 3],
                    (0..24).map(|v| (v as f32 - k) * 0.05).collect(),
                )
                .unwrap(),
            )
        };
        let bias = |b: f32| Value::t(Tensor::f32(vec![3], vec![b, -b, 0.5]).unwrap());
        let run = |inputs: &[Value], cache: Option<&NodeCache>| {
            let out = super::conv(
                &Ctx {
                    node: &node,
                    inputs,
                    cache,
                },
                false,
                true,
            )
            .unwrap();
            match &out[0] {
                Value::Tensor(t) => t.to_f32(),
                _ => unreachable!(),
            }
        };
        let cache = NodeCache::default();
        let (f1, f2, b1, b2) = (filter(3.0), filter(11.0), bias(1.0), bias(-2.0));
        for inputs in [
            [x.clone(), f1.clone(), b1.clone()],
            [x.clone(), f1.clone(), b1.clone()],
            [x.clone(), f2.clone(), b1.clone()],
            [x.clone(), f2.clone(), b2.clone()],
            [x.clone(), f1.clone(), b2.clone()],
        ] {
            assert_eq!(run(&inputs, Some(&cache)), run(&inputs, None));
        }
        assert_ne!(
            run(&[x.clone(), f1, b1.clone()], Some(&cache)),
            run(&[x, f2, b1], Some(&cache))
        );
    }

    const SAME: &str = "U0FNRQ=="; // "SAME"
    const VALID: &str = "VkFMSUQ="; // "VALID"

    fn attrs(padding: &str, extra: &str) -> String {
        format!(
            r#"{{"padding": {{"s": "{padding}"}}, "strides": {{"list": {{"i": ["1", "1", "1", "1"]}}}}{extra}}}"#
        )
    }

    #[test]
    fn fused_conv_bias_and_activations() {
        // 1x2x2x1 input, 1x1 kernel of 2, bias -3: [2-3, 4-3, 6-3, 8-3]
        let x = Tensor::f32(vec![1, 2, 2, 1], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let w = Tensor::f32(vec![1, 1, 1, 1], vec![2.0]).unwrap();
        let b = Tensor::f32(vec![1], vec![-3.0]).unwrap();
        let relu = r#", "fused_ops": {"list": {"s": ["Qmlhc0FkZA==", "UmVsdQ=="]}}, "num_args": {"i": "1"}"#;
        let r = run1(
            "_FusedConv2D",
            &[x.clone(), w.clone(), b.clone()],
            &attrs(VALID, relu),
        );
        assert_eq!(r.to_f32(), vec![0.0, 1.0, 3.0, 5.0]);
        let prelu = r#", "fused_ops": {"list": {"s": ["Qmlhc0FkZA==", "UHJlbHU="]}}, "num_args": {"i": "2"}"#;
        let alpha = Tensor::f32(vec![1], vec![0.5]).unwrap();
        let r = run1(
            "_FusedConv2D",
            &[x.clone(), w.clone(), b.clone(), alpha],
            &attrs(VALID, prelu),
        );
        assert_eq!(r.to_f32(), vec![-0.5, 1.0, 3.0, 5.0]);
        let leaky = r#", "fused_ops": {"list": {"s": ["Qmlhc0FkZA==", "TGVha3lSZWx1"]}}, "num_args": {"i": "1"}, "leakyrelu_alpha": {"f": 0.1}"#;
        let r = run1(
            "_FusedConv2D",
            &[x.clone(), w.clone(), b.clone()],
            &attrs(VALID, leaky),
        );
        assert!((r.to_f32()[0] + 0.1).abs() < 1e-7);
        // 2x2 box filter, SAME padding
        let w = Tensor::f32(vec![2, 2, 1, 1], vec![1.0; 4]).unwrap();
        let r = run1("Conv2D", &[x.clone(), w], &attrs(SAME, ""));
        assert_eq!(r.to_f32(), vec![10.0, 6.0, 7.0, 4.0]);
        // depthwise, multiplier 2
        let w = Tensor::f32(vec![1, 1, 1, 2], vec![1.0, -1.0]).unwrap();
        let r = run1("DepthwiseConv2dNative", &[x.clone(), w], &attrs(VALID, ""));
        assert_eq!(r.shape(), &[1, 2, 2, 2]);
        assert_eq!(r.to_f32()[..4], [1.0, -1.0, 2.0, -2.0]);
    }

    #[test]
    fn backprop_input_and_pooling() {
        // stride-2 transpose of a 1x1x1x1 input with a 2x2 kernel
        let dy = Tensor::f32(vec![1, 1, 1, 1], vec![2.0]).unwrap();
        let w = Tensor::f32(vec![2, 2, 1, 1], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let a =
            r#"{"padding": {"s": "U0FNRQ=="}, "strides": {"list": {"i": ["1", "2", "2", "1"]}}}"#;
        let r = run1(
            "Conv2DBackpropInput",
            &[Tensor::vec_i32(vec![1, 2, 2, 1]), w, dy],
            a,
        );
        assert_eq!(r.to_f32(), vec![2.0, 4.0, 6.0, 8.0]);
        let x = Tensor::f32(vec![1, 2, 2, 1], vec![1.0, 5.0, 3.0, 4.0]).unwrap();
        let k = r#"{"padding": {"s": "VkFMSUQ="}, "strides": {"list": {"i": ["1", "2", "2", "1"]}}, "ksize": {"list": {"i": ["1", "2", "2", "1"]}}}"#;
        assert_eq!(
            run1("MaxPool", std::slice::from_ref(&x), k).to_f32(),
            vec![5.0]
        );
        assert_eq!(run1("AvgPool", &[x], k).to_f32(), vec![3.25]);
        // 3-D: a 2x1x1 window over depth 2
        let x3 = Tensor::f32(vec![1, 2, 1, 1, 1], vec![2.0, 6.0]).unwrap();
        let k3 = r#"{"padding": {"s": "VkFMSUQ="}, "strides": {"list": {"i": ["1", "1", "1", "1", "1"]}}, "ksize": {"list": {"i": ["1", "2", "1", "1", "1"]}}}"#;
        assert_eq!(
            run1("MaxPool3D", std::slice::from_ref(&x3), k3).to_f32(),
            vec![6.0]
        );
        assert_eq!(
            run1("AvgPool3D", std::slice::from_ref(&x3), k3).to_f32(),
            vec![4.0]
        );
        let w3 = Tensor::f32(vec![2, 1, 1, 1, 1], vec![1.0, -1.0]).unwrap();
        let c3 = r#"{"padding": {"s": "VkFMSUQ="}, "strides": {"list": {"i": ["1", "1", "1", "1", "1"]}}}"#;
        assert_eq!(run1("Conv3D", &[x3, w3], c3).to_f32(), vec![-4.0]);
    }
}

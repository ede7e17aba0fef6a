//! Convolutions by a constant kernel written as functions: Keras 2's
//! `tf.nn.conv2d` / `tf.nn.depthwise_conv2d` (and their `compat.v1`
//! names) and Keras 3's `ops.nn.conv` / `ops.nn.depthwise_conv` of NHWC
//! images, a fixed filter the file holds (a Laplacian, a box blur, a
//! Sobel kernel): TensorFlow's convolution with `"SAME"` / `"VALID"`
//! padding, strides and dilations, on the engine's `Conv2D` /
//! `DepthwiseConv2D` kernels. Keras 2's `tf.nn.depthwise_conv2d` /
//! `conv2d` may also take a kernel the model computes (a tensor:
//! `tf.image.sobel_edges` tiles its constant filters by the channel count
//! read with `tf.shape`), read from the op's second input at run time.
//! Keras 2's `tf.nn.conv1d` (`[batch, width, channels]` by a constant
//! `[width, in, out]` kernel; `stride`, `dilations`, `"NWC"`) runs as the
//! 2-D convolution of height 1. Other layouts and ranks are refused when
//! the model is built.

use super::super::common::*;
use super::super::tf_ops::constant_array;
use crate::config::ConfigReader;
use crate::{Shape, Tensor};
use serde_json::{Map, Value};
use tfjs_kernels::{Conv2dParams, FusedActivation, Padding};

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct ConstConv {
    /// `[k_h, k_w, in_c, out_c]` (depthwise: `[k_h, k_w, in_c, multiplier]`);
    /// empty when [`ConstConv::kernel_input`].
    pub(crate) kernel: Tensor,
    /// The kernel is a tensor the model computes: the op's second input.
    pub(crate) kernel_input: bool,
    pub(crate) strides: [usize; 2],
    pub(crate) dilations: [usize; 2],
    pub(crate) same: bool,
    pub(crate) depthwise: bool,
    /// `tf.nn.conv1d`: `[batch, width, channels]` in and out, the kernel
    /// `[1, k, in, out]` (height 1).
    pub(crate) one_d: bool,
}

/// An int, `[n]`, `[h, w]` or `[1, h, w, 1]` as `[h, w]` (absent: 1).
fn pair(v: Option<&Value>, what: &str) -> Out<[usize; 2]> {
    let ints: Option<Vec<u64>> = match v {
        None | Some(Value::Null) => return Ok([1, 1]),
        Some(Value::Array(a)) => a.iter().map(Value::as_u64).collect(),
        Some(v) => v.as_u64().map(|n| vec![n]),
    };
    let ok = |n: u64| (1..=1 << 16).contains(&n).then_some(n as usize);
    match ints.as_deref() {
        Some(&[n]) => ok(n).map(|n| [n, n]),
        Some(&[h, w]) | Some(&[1, h, w, 1]) => ok(h).zip(ok(w)).map(|(h, w)| [h, w]),
        _ => None,
    }
    .ok_or_else(|| format!("{what}: expected positive integers for height and width, got {v:?}"))
}

/// `"SAME"` (true) or `"VALID"` (false), either case.
fn same_padding(padding: Option<&Value>) -> Out<bool> {
    match padding.and_then(Value::as_str).map(str::to_ascii_lowercase) {
        Some(p) if p == "same" => Ok(true),
        Some(p) if p == "valid" => Ok(false),
        _ => Err(format!("padding: expected SAME or VALID, got {padding:?}")),
    }
}

impl ConstConv {
    fn new(kernel: Option<&Value>, depthwise: bool, padding: Option<&Value>) -> Out<Self> {
        let kernel = kernel.ok_or("the kernel is missing")?;
        let kernel_input = crate::topology::kwarg_tensor(kernel).is_some();
        let kernel = if kernel_input {
            Tensor::from_f32(vec![0], Vec::new()).map_err(|e| e.to_string())?
        } else {
            constant_array(kernel.pointer("/config/value").unwrap_or(kernel))
                .filter(|k| k.shape().len() == 4 && k.shape().iter().all(|&d| d > 0))
                .ok_or("the kernel: expected a constant [height, width, in, out] array")?
        };
        let same = same_padding(padding)?;
        Ok(ConstConv {
            kernel,
            kernel_input,
            strides: [1, 1],
            dilations: [1, 1],
            same,
            depthwise,
            one_d: false,
        })
    }

    /// A depthwise convolution by `kernel` with `"SAME"` padding, stride
    /// and dilation 1.
    pub(crate) fn depthwise_same(kernel: Tensor) -> Self {
        ConstConv {
            kernel,
            kernel_input: false,
            strides: [1, 1],
            dilations: [1, 1],
            same: true,
            depthwise: true,
            one_d: false,
        }
    }

    /// The `tf.<function>` (`None`: not one of these).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<Self>> {
        if matches!(function, "nn.conv1d" | "compat.v1.nn.conv1d") {
            return Some(Self::conv1d(kwargs));
        }
        let depthwise = match function {
            "nn.conv2d" | "compat.v1.nn.conv2d" => false,
            "nn.depthwise_conv2d" | "compat.v1.nn.depthwise_conv2d" => true,
            _ => return None,
        };
        Some((|| {
            match kwargs.get("data_format").and_then(Value::as_str) {
                None | Some("NHWC") => {}
                Some(f) => return Err(format!("data_format {f}: only NHWC is supported")),
            }
            let kernel = kwargs.get("filter").or_else(|| kwargs.get("filters"));
            let mut conv = ConstConv::new(kernel, depthwise, kwargs.get("padding"))?;
            conv.strides = pair(kwargs.get("strides"), "strides")?;
            let dilations = kwargs.get("dilations").filter(|v| !v.is_null());
            conv.dilations = pair(dilations.or_else(|| kwargs.get("rate")), "dilations")?;
            Ok(conv)
        })())
    }

    /// `tf.nn.conv1d(input, filters, stride, padding, data_format,
    /// dilations)` with constant filters.
    fn conv1d(kwargs: &Map<String, Value>) -> Out<Self> {
        match kwargs.get("data_format").and_then(Value::as_str) {
            None | Some("NWC" | "NHWC") => {}
            Some(f) => return Err(format!("data_format {f}: only NWC is supported")),
        }
        let filters = kwargs
            .get("filters")
            .or_else(|| kwargs.get("filter"))
            .ok_or("the kernel (filters) is missing")?;
        if crate::topology::kwarg_tensor(filters).is_some() {
            return Err(
                "filters: a kernel computed by the model (a tensor) is not supported".into(),
            );
        }
        let k = constant_array(filters)
            .filter(|k| k.shape().len() == 3 && k.shape().iter().all(|&d| d > 0))
            .ok_or("filters: expected a constant [width, in, out] array")?;
        let mut shape = vec![1];
        shape.extend_from_slice(k.shape());
        let kernel = Tensor::from_f32(shape, f32s(&k).into_owned()).map_err(|e| e.to_string())?;
        // An int, `[s]` or `[1, s, 1]`.
        let width = |v: Option<&Value>, what: &str| -> Out<usize> {
            let ints: Option<Vec<u64>> = match v.filter(|v| !v.is_null()) {
                None => return Ok(1),
                Some(Value::Array(a)) => a.iter().map(Value::as_u64).collect(),
                Some(v) => v.as_u64().map(|n| vec![n]),
            };
            match ints.as_deref() {
                Some(&[n]) | Some(&[1, n, 1]) if (1..=1 << 16).contains(&n) => Ok(n as usize),
                _ => Err(format!("{what}: expected a positive integer, got {v:?}")),
            }
        };
        Ok(ConstConv {
            kernel,
            kernel_input: false,
            strides: [1, width(kwargs.get("stride"), "stride")?],
            dilations: [1, width(kwargs.get("dilations"), "dilations")?],
            same: same_padding(kwargs.get("padding"))?,
            depthwise: false,
            one_d: true,
        })
    }

    /// The Keras 3 operation `op` (`None`: not one of these).
    pub(crate) fn from_keras3(
        op: &str,
        config: &ConfigReader<'_>,
        args: &[Value],
    ) -> Option<Out<Self>> {
        let depthwise = match op {
            "Conv" => false,
            "DepthwiseConv" => true,
            _ => return None,
        };
        Some((|| {
            match config.get("data_format").and_then(Value::as_str) {
                None | Some("channels_last") => {}
                Some(f) => return Err(format!("data_format {f}: only channels_last is supported")),
            }
            let mut conv = ConstConv::new(args.get(1), depthwise, config.get("padding"))?;
            if conv.kernel_input {
                return Err("a kernel computed by the model (a tensor) is not supported".into());
            }
            conv.strides = pair(config.get("strides"), "strides")?;
            conv.dilations = pair(config.get("dilation_rate"), "dilation_rate")?;
            Ok(conv)
        })())
    }

    fn params(&self, kernel: &[usize], batch: usize, x: [usize; 3]) -> Out<Conv2dParams> {
        let [kh, kw, kin, kout] = kernel[..] else {
            return Err("the kernel is not rank 4".into());
        };
        let [h, w, c] = x;
        if kin != c {
            return Err(format!("a kernel for {kin} input channels on {c} channels"));
        }
        let out_c = if self.depthwise { c * kout } else { kout };
        let padding = if self.same {
            Padding::Same
        } else {
            Padding::Valid
        };
        Conv2dParams::new(
            batch,
            [h, w],
            c,
            out_c,
            [kh, kw],
            self.strides,
            self.dilations,
            padding,
        )
        .map_err(|e| e.to_string())
    }

    /// The output shape for images `x` (and the kernel's shape, when it
    /// is the op's second input).
    pub(crate) fn shape(&self, x: &Shape, kernel: Option<&Shape>) -> Out<Shape> {
        if self.one_d {
            let [b, w, c] = x[..] else {
                return Err(format!(
                    "tf.nn.conv1d expects [batch, width, channels], got {}",
                    shape_str(x)
                ));
            };
            let mut s = ConstConv {
                one_d: false,
                ..self.clone()
            }
            .shape(&vec![b, Some(1), w, c], kernel)?;
            s.remove(1);
            return Ok(s);
        }
        let [b, Some(h), Some(w), Some(c)] = x[..] else {
            return Err(format!(
                "expects NHWC images of known size, got {}",
                shape_str(x)
            ));
        };
        let k = if self.kernel_input {
            match kernel.map(Vec::as_slice) {
                // Its input channels are checked when it runs.
                Some(&[Some(kh), Some(kw), _, Some(out)]) => vec![kh, kw, c, out],
                k => {
                    return Err(format!(
                        "the kernel: expected a [height, width, in, out] tensor of known \
                         height, width and out, got {k:?}"
                    ))
                }
            }
        } else {
            self.kernel.shape().to_vec()
        };
        let p = self.params(&k, 1, [h, w, c])?;
        Ok(vec![b, Some(p.out_h), Some(p.out_w), Some(p.out_c)])
    }

    /// The convolution of images `x` (by `kernel`, the op's second input,
    /// when the kernel is one).
    pub(crate) fn call(&self, x: &Tensor, kernel: Option<&Tensor>) -> Out<Tensor> {
        if self.one_d {
            let [b, w, c] = x.shape()[..] else {
                return Err(format!(
                    "tf.nn.conv1d expects [batch, width, channels], got shape {:?}",
                    x.shape()
                ));
            };
            let x4 = Tensor::from_f32(vec![b, 1, w, c], f32s(x).into_owned())
                .map_err(|e| e.to_string())?;
            let y = ConstConv {
                one_d: false,
                ..self.clone()
            }
            .call(&x4, kernel)?;
            let s = y.shape().to_vec();
            return Tensor::from_f32(vec![s[0], s[2], s[3]], f32s(&y).into_owned())
                .map_err(|e| e.to_string());
        }
        let [b, h, w, c] = x.shape()[..] else {
            return Err(format!("expects NHWC images, got shape {:?}", x.shape()));
        };
        let kernel = match (self.kernel_input, kernel) {
            (false, _) => &self.kernel,
            (true, Some(k)) => k,
            (true, None) => return Err("the kernel (its second input) is missing".into()),
        };
        let p = self.params(kernel.shape(), b, [h, w, c])?;
        let mut out = vec![0f32; b * p.out_h * p.out_w * p.out_c];
        let (input, kernel) = (f32s(x), f32s(kernel));
        let (input, kernel) = (&input[..], &kernel[..]);
        if self.depthwise {
            tfjs_kernels::depthwise_conv2d(
                input,
                kernel,
                None,
                FusedActivation::Linear,
                &p,
                &mut out,
            );
        } else {
            tfjs_kernels::conv2d(input, kernel, None, FusedActivation::Linear, &p, &mut out);
        }
        Tensor::from_f32(vec![b, p.out_h, p.out_w, p.out_c], out).map_err(|e| e.to_string())
    }
}

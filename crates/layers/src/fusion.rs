//! Inference-time fusion: an execution plan over the model's nodes that
//! runs `Conv2D`/`DepthwiseConv2D` (+ `BatchNormalization`) (+ ReLU/ReLU6)
//! chains as one fused kernel call. The layers themselves (configs and
//! weights, which are what gets saved) are untouched.

use crate::model::{Model, ModelLayer};
use crate::{Layer, Tensor, TensorData};
use serde_json::{Map, Value};
use tfjs_kernels::{Conv2dParams, FusedActivation, Padding};

/// What to do at one exec position.
#[derive(Debug)]
pub(crate) enum Step {
    Run,
    /// Computed by an earlier fused step.
    Skip,
    Fused(Box<FusedConv>),
}

/// The plan: one step per exec position.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    steps: Vec<Step>,
}

/// A convolution with folded BatchNormalization and fused activation.
#[derive(Debug)]
pub(crate) struct FusedConv {
    /// Exec positions covered (conv first).
    pub chain: Vec<usize>,
    depthwise: bool,
    kernel_hw: [usize; 2],
    strides: [usize; 2],
    dilations: [usize; 2],
    padding: Padding,
    in_c: usize,
    out_c: usize,
    kernel: Vec<f32>,
    bias: Option<Vec<f32>>,
    act: FusedActivation,
    input: usize,
    output: usize,
}

fn str_of<'a>(cfg: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    cfg.get(key).and_then(Value::as_str)
}

fn pair(cfg: &Map<String, Value>, key: &str, default: usize) -> Option<[usize; 2]> {
    match cfg.get(key) {
        None | Some(Value::Null) => Some([default; 2]),
        Some(Value::Number(n)) => {
            let v = n.as_u64()? as usize;
            Some([v, v])
        }
        Some(Value::Array(a)) if a.len() == 2 => {
            Some([a[0].as_u64()? as usize, a[1].as_u64()? as usize])
        }
        _ => None,
    }
}

fn num(cfg: &Map<String, Value>, key: &str) -> Option<f64> {
    cfg.get(key).and_then(Value::as_f64)
}

/// An activation name that a kernel can fuse.
fn act_by_name(name: &str) -> Option<FusedActivation> {
    match name {
        "linear" => Some(FusedActivation::Linear),
        "relu" => Some(FusedActivation::Relu),
        "relu6" => Some(FusedActivation::Relu6),
        _ => None,
    }
}

/// The fused activation an activation layer computes, if any.
fn activation_layer(layer: &dyn Layer) -> Option<FusedActivation> {
    let cfg = layer.config();
    match layer.class_name() {
        "Activation" => act_by_name(str_of(&cfg, "activation")?),
        "ReLU" => {
            let zero = |k: &str| match cfg.get(k) {
                None | Some(Value::Null) => true,
                Some(v) => v.as_f64() == Some(0.0),
            };
            if !zero("negative_slope") || !zero("threshold") {
                return None;
            }
            match cfg.get("max_value") {
                None | Some(Value::Null) => Some(FusedActivation::Relu),
                Some(v) if v.as_f64() == Some(6.0) => Some(FusedActivation::Relu6),
                _ => None,
            }
        }
        _ => None,
    }
}

fn weight<'a>(layer: &'a dyn Layer, name: &str) -> Option<&'a [f32]> {
    let idx = layer.weights().iter().position(|w| w.name == name)?;
    layer.weight_values().get(idx)?.as_f32()
}

/// Per-channel `(scale, shift)` of a channels-last BatchNormalization,
/// computed exactly as the layer does.
fn batch_norm(layer: &dyn Layer, channels: usize) -> Option<(Vec<f32>, Vec<f32>)> {
    if layer.class_name() != "BatchNormalization" {
        return None;
    }
    let cfg = layer.config();
    let axis_ok = |v: &Value| matches!(v.as_i64(), Some(-1) | Some(3));
    match cfg.get("axis")? {
        Value::Array(a) if a.len() == 1 && axis_ok(&a[0]) => {}
        v if axis_ok(v) => {}
        _ => return None,
    }
    let eps = num(&cfg, "epsilon")? as f32;
    let mean = weight(layer, "moving_mean")?;
    let var = weight(layer, "moving_variance")?;
    let gamma = weight(layer, "gamma");
    let beta = weight(layer, "beta");
    if mean.len() != channels
        || var.len() != channels
        || gamma.is_some_and(|g| g.len() != channels)
        || beta.is_some_and(|b| b.len() != channels)
    {
        return None;
    }
    let mut scale = vec![0.0f32; channels];
    let mut shift = vec![0.0f32; channels];
    for c in 0..channels {
        let inv = 1.0 / (var[c] + eps).sqrt();
        let s = inv * gamma.map_or(1.0, |g| g[c]);
        scale[c] = s;
        shift[c] = beta.map_or(0.0, |b| b[c]) - mean[c] * s;
    }
    Some((scale, shift))
}

impl Plan {
    /// The step at exec position `pos`.
    pub(crate) fn step(&self, pos: usize) -> &Step {
        self.steps.get(pos).unwrap_or(&Step::Run)
    }

    /// Find fusable chains in `model`.
    pub(crate) fn build(model: &Model) -> Plan {
        let n = model.exec.len();
        let mut uses = vec![0usize; model.tensors.len()];
        let mut consumer = vec![usize::MAX; model.tensors.len()];
        for (pos, &(l, c)) in model.exec.iter().enumerate() {
            for &t in &model.calls[l][c].inputs {
                uses[t] += 1;
                consumer[t] = pos;
            }
        }
        for &t in &model.outputs {
            uses[t] += 1;
        }
        // The single-input, single-output leaf layer at `pos`.
        let simple = |pos: usize| -> Option<(&dyn Layer, usize, usize)> {
            let (l, c) = model.exec[pos];
            let call = &model.calls[l][c];
            match &model.layers[l] {
                ModelLayer::Layer(layer) if call.inputs.len() == 1 && call.outputs.len() == 1 => {
                    Some((layer.as_ref(), call.inputs[0], call.outputs[0]))
                }
                _ => None,
            }
        };
        // The only consumer of tensor `t`, when `t` has exactly one use.
        let next = |t: usize| (uses[t] == 1 && consumer[t] != usize::MAX).then(|| consumer[t]);
        let mut steps: Vec<Step> = (0..n).map(|_| Step::Run).collect();
        for pos in 0..n {
            if !matches!(steps[pos], Step::Run) {
                continue;
            }
            let Some((layer, input, out)) = simple(pos) else {
                continue;
            };
            let Some(mut f) = FusedConv::from_layer(layer, input, out) else {
                continue;
            };
            f.chain.push(pos);
            if f.act == FusedActivation::Linear {
                // + BatchNormalization
                if let Some(p) = next(f.output) {
                    if let Some((bn, _, bn_out)) = simple(p) {
                        if let Some((scale, shift)) = batch_norm(bn, f.out_c) {
                            f.fold(&scale, &shift);
                            f.output = bn_out;
                            f.chain.push(p);
                        }
                    }
                }
                // + ReLU / ReLU6
                if let Some(p) = next(f.output) {
                    if let Some((a, _, a_out)) = simple(p) {
                        if let Some(act) = activation_layer(a) {
                            f.act = act;
                            f.output = a_out;
                            f.chain.push(p);
                        }
                    }
                }
            }
            for &p in &f.chain[1..] {
                steps[p] = Step::Skip;
            }
            steps[pos] = Step::Fused(Box::new(f));
        }
        Plan { steps }
    }
}

impl FusedConv {
    fn from_layer(layer: &dyn Layer, input: usize, output: usize) -> Option<FusedConv> {
        let depthwise = match layer.class_name() {
            "Conv2D" => false,
            "DepthwiseConv2D" => true,
            _ => return None,
        };
        let cfg = layer.config();
        if str_of(&cfg, "data_format").unwrap_or("channels_last") != "channels_last" {
            return None;
        }
        if !depthwise
            && !matches!(cfg.get("groups"), None | Some(Value::Null))
            && cfg.get("groups").and_then(Value::as_u64) != Some(1)
        {
            return None;
        }
        let act = act_by_name(str_of(&cfg, "activation").unwrap_or("linear"))?;
        let padding = match str_of(&cfg, "padding").unwrap_or("valid") {
            "same" => Padding::Same,
            "valid" => Padding::Valid,
            _ => return None,
        };
        let kernel_hw = pair(&cfg, "kernel_size", 1)?;
        let strides = pair(&cfg, "strides", 1)?;
        let dilations = pair(&cfg, "dilation_rate", 1)?;
        if strides != [1, 1] && dilations != [1, 1] {
            return None;
        }
        let kname = if depthwise {
            "depthwise_kernel"
        } else {
            "kernel"
        };
        let kidx = layer.weights().iter().position(|w| w.name == kname)?;
        let kshape = layer.weights()[kidx].shape.clone();
        let kernel = layer.weight_values().get(kidx)?.as_f32()?.to_vec();
        if kshape.len() != 4 || kshape[0] != kernel_hw[0] || kshape[1] != kernel_hw[1] {
            return None;
        }
        let in_c = kshape[2];
        let out_c = if depthwise {
            kshape[2] * kshape[3]
        } else {
            kshape[3]
        };
        let bias = weight(layer, "bias").map(<[f32]>::to_vec);
        if bias.as_ref().is_some_and(|b| b.len() != out_c) || kernel.len() % out_c.max(1) != 0 {
            return None;
        }
        Some(FusedConv {
            chain: Vec::new(),
            depthwise,
            kernel_hw,
            strides,
            dilations,
            padding,
            in_c,
            out_c,
            kernel,
            bias,
            act,
            input,
            output,
        })
    }

    /// Fold `y * scale + shift` (per output channel) into kernel and bias.
    fn fold(&mut self, scale: &[f32], shift: &[f32]) {
        for row in self.kernel.chunks_mut(self.out_c) {
            for (k, s) in row.iter_mut().zip(scale) {
                *k *= s;
            }
        }
        let bias = self.bias.get_or_insert_with(|| vec![0.0; self.out_c]);
        for ((b, s), t) in bias.iter_mut().zip(scale).zip(shift) {
            *b = *b * s + t;
        }
    }

    /// Run the chain at exec position `pos`. Returns false (touching
    /// nothing) when the input is not what the fused kernel expects.
    pub(crate) fn run(
        &self,
        model: &Model,
        pos: usize,
        slots: &mut [Option<Tensor>],
        mask_slots: &mut [Option<Tensor>],
    ) -> bool {
        let Some(x) = slots[self.input].as_ref() else {
            return false;
        };
        let (TensorData::F32(xd), [b, h, w, c]) = (x.data(), x.shape()) else {
            return false;
        };
        if *c != self.in_c {
            return false;
        }
        let Ok(p) = Conv2dParams::new(
            *b,
            [*h, *w],
            self.in_c,
            self.out_c,
            self.kernel_hw,
            self.strides,
            self.dilations,
            self.padding,
        ) else {
            return false;
        };
        let mut out = vec![0.0f32; p.output_len()];
        let bias = self.bias.as_deref();
        if self.depthwise {
            tfjs_kernels::depthwise_conv2d_fused(xd, &self.kernel, bias, self.act, &p, &mut out);
        } else {
            tfjs_kernels::conv2d_fused(xd, &self.kernel, bias, self.act, &p, &mut out);
        }
        let shape = vec![*b, p.out_h, p.out_w, self.out_c];
        let Ok(y) = Tensor::from_f32(shape, out) else {
            return false;
        };
        if model.last_use[self.input] == pos {
            slots[self.input] = None;
            mask_slots[self.input] = None;
        }
        slots[self.output] = Some(y);
        mask_slots[self.output] = None;
        true
    }
}

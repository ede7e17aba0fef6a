//! Inference-time fusion: an execution plan over the model's nodes that
//! runs (`ZeroPadding2D` +) `Conv2D`/`DepthwiseConv2D` (+ `BatchNormalization`)
//! (+ ReLU/ReLU6) chains as one fused kernel call (the padding becomes the
//! convolution's own zero border, so the padded copy is never made),
//! followed by an epilogue applied in place to the output while it is in
//! cache, chunk by chunk: pointwise layers ([`Layer::pointwise`]: swish,
//! `x + 3`, ReLU6, `x * (1/6)`, …), gates `Multiply([y, g(y)])` with `g` a
//! chain of them (hard-swish as Keras 2 writes it) and a residual
//! `Add([y, skip])`; and `ZeroPadding2D` + a `valid` `MaxPooling2D` as one
//! pooling step ([`PaddedMaxPool`]); a `BatchNormalization` that no
//! convolution absorbs, with its activation, as one pass ([`AffineAct`]);
//! a squeeze-and-excite `Multiply` in place ([`ChannelGate`]).
//! Every value is computed with the
//! layers' own arithmetic, so the numbers do not change. The layers
//! themselves (configs and weights, which are what gets saved) are
//! untouched.

//!
//! Chains are found on typed layers (downcast through [`Layer::as_any`]):
//! a new or renamed layer class cannot silently drop out through a config
//! spelling.

use crate::activations::Activation;
use crate::layers::advanced_activations::ElementwiseActivation;
use crate::layers::conv::Conv;
use crate::layers::core::ActivationLayer;
use crate::layers::depthwise::{DepthwiseSeparable, SeparableParts};
use crate::layers::keras3_ops::Operation;
use crate::layers::merge::Merge;
use crate::layers::normalization::BatchNormalization;
use crate::layers::spatial_shape::CropPad;
use crate::layers::tf_ops::TfOpLambda;
use crate::model::{Model, ModelLayer};
use crate::{Layer, Pointwise, Tensor, TensorData};
use tfjs_kernels::{Conv2dParams, FusedActivation, PackedMatrix, Padding, PointOp};

mod affine;
mod buffer_pool;
mod channel_gate;
mod padded_pool;
mod repeats;
pub(crate) use affine::AffineAct;
pub(crate) use buffer_pool::BufferPool;
pub(crate) use channel_gate::ChannelGate;
pub(crate) use padded_pool::PaddedMaxPool;
pub(crate) use repeats::Repeats;

/// What to do at one exec position.
#[derive(Debug)]
pub(crate) enum Step {
    Run,
    /// Computed by an earlier fused step.
    Skip,
    Fused(Box<FusedConv>),
    /// `ZeroPadding2D` + `MaxPooling2D` ([`PaddedMaxPool`]).
    PaddedPool(Box<PaddedMaxPool>),
    /// `BatchNormalization` (+ activation) on its own ([`AffineAct`]).
    Affine(Box<AffineAct>),
    /// A squeeze-and-excite `Multiply` ([`ChannelGate`]).
    Gate(Box<ChannelGate>),
}

impl Step {
    /// The exec positions a fused step covers (`None` for the others).
    pub(crate) fn chain(&self) -> Option<&[usize]> {
        match self {
            Step::Fused(f) => Some(&f.chain),
            Step::PaddedPool(f) => Some(&f.chain),
            Step::Affine(f) => Some(&f.chain),
            Step::Gate(f) => Some(&f.chain),
            Step::Run | Step::Skip => None,
        }
    }

    /// Run a fused step; `false` (nothing done) when its input is not what
    /// it expects, and the executor runs its layers one by one (their own
    /// checks report the problem).
    pub(crate) fn run_fused(&self, io: &mut StepIo<'_>) -> bool {
        match self {
            Step::Fused(f) => f.run(io),
            Step::PaddedPool(f) => f.run(io),
            Step::Affine(f) => f.run(io),
            Step::Gate(f) => f.run(io),
            Step::Run | Step::Skip => false,
        }
    }
}

/// What a fused step reads and writes: the executor's tensor and mask
/// slots, its buffer pool and its count of live bytes.
pub(crate) struct StepIo<'a> {
    pub slots: &'a mut [Option<Tensor>],
    pub mask_slots: &'a mut [Option<Tensor>],
    pub pool: &'a mut BufferPool,
    pub live: &'a mut u64,
    /// Per tensor: the exec position of its last read ([`Repeats::last_use`]).
    pub last_use: &'a [usize],
}

impl StepIo<'_> {
    /// The end of a fused step: the tensors in `released` (read for the
    /// last time) go back to the pool, and its output `y` into slot
    /// `output`.
    fn finish(&mut self, released: impl Iterator<Item = usize>, output: usize, y: Tensor) {
        for t in released {
            if let Some(x) = self.slots[t].take() {
                *self.live = self.live.saturating_sub(x.len() as u64 * 4);
                self.pool.give(x);
            }
            self.mask_slots[t] = None;
        }
        *self.live += y.len() as u64 * 4;
        self.slots[output] = Some(y);
        self.mask_slots[output] = None;
    }
}

/// The plan: one step per exec position, over the graph with its repeated
/// calls merged.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    steps: Vec<Step>,
    pub repeats: Repeats,
}

/// A convolution with folded BatchNormalization and fused activation.
#[derive(Debug)]
pub(crate) struct FusedConv {
    /// Exec positions covered (conv first).
    pub chain: Vec<usize>,
    /// Where the chain runs: its first position, or its residual `Add`'s
    /// when the residual is computed after the convolution (Xception's
    /// strided 1×1 shortcut, added to a later pooling's output).
    run_at: usize,
    depthwise: bool,
    kernel_hw: [usize; 2],
    /// `[(top, bottom), (left, right)]` of a fused `ZeroPadding2D` before the
    /// convolution, or before its depthwise half (NASNet pads before its strided
    /// separable convolutions).
    pre_pad: [(usize, usize); 2],
    strides: [usize; 2],
    dilations: [usize; 2],
    padding: Padding,
    in_c: usize,
    out_c: usize,
    /// Folded kernel and bias; for a (non-depthwise) convolution they are
    /// moved into `packed` once the chain is complete.
    kernel: Vec<f32>,
    bias: Option<Vec<f32>>,
    packed: Option<PackedMatrix>,
    act: FusedActivation,
    /// Applied to the kernel's output, in order.
    epilogue: Vec<Epilogue>,
    input: usize,
    output: usize,
    /// Residuals (`AddTensor`) read by no layer outside the chain, freed
    /// once it has run.
    release: Vec<usize>,
    /// A `SeparableConv2D`'s depthwise half, run before the (pointwise)
    /// product that the rest of the chain folds into.
    pre_depthwise: Option<PreDepthwise>,
    /// The windows for the first input height and width seen, at batch 1
    /// (the batch is set per call): working them out again on every
    /// predict was 3% of a small model's time at batch 1.
    windows: std::sync::OnceLock<([usize; 2], Windows)>,
}

/// The depthwise half's window (a separable convolution) and the
/// convolution's, for one input height and width.
type Windows = (Option<Conv2dParams>, Conv2dParams);

/// The depthwise half of a fused `SeparableConv2D`.
#[derive(Debug)]
struct PreDepthwise {
    /// `[kh, kw, in_c, mult]`.
    kernel: Vec<f32>,
    kernel_hw: [usize; 2],
    strides: [usize; 2],
    dilations: [usize; 2],
    padding: Padding,
    in_c: usize,
}

/// One step of a fused convolution's epilogue.
enum Epilogue {
    /// A pointwise layer (consecutive kernel steps joined into one).
    Map(Pointwise),
    /// `Multiply([y, g(y)])`, `g` a chain of pointwise layers.
    Gate(Vec<Pointwise>),
    /// A gate whose chain is all kernel steps, run in one pass.
    GateOps(Vec<PointOp>),
    /// `Add([y, t])` with tensor `t` of the output's shape, computed before
    /// the convolution (a residual connection).
    AddTensor(usize),
}

impl std::fmt::Debug for Epilogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Epilogue::Map(p) => write!(f, "Map({p:?})"),
            Epilogue::Gate(g) => write!(f, "Gate({})", g.len()),
            Epilogue::GateOps(ops) => write!(f, "GateOps({ops:?})"),
            Epilogue::AddTensor(t) => write!(f, "AddTensor({t})"),
        }
    }
}

/// Values per epilogue chunk: small enough to stay in L1 across the steps,
/// a multiple of every SIMD width (vectorized functions see the same lanes
/// as in one pass over the tensor).
const EPILOGUE_CHUNK: usize = 1024;

/// The fused form of an activation, when a kernel can fuse it.
fn fusable(act: Activation) -> Option<FusedActivation> {
    match act {
        Activation::Linear => Some(FusedActivation::Linear),
        Activation::Relu => Some(FusedActivation::Relu),
        Activation::Relu6 => Some(FusedActivation::Relu6),
        Activation::Swish => Some(FusedActivation::Silu),
        _ => None,
    }
}

/// The fused activation an activation layer computes, if any.
fn activation_layer(layer: &dyn Layer) -> Option<FusedActivation> {
    let any = layer.as_any()?;
    if let Some(a) = any.downcast_ref::<ActivationLayer>() {
        return fusable(a.activation());
    }
    match any
        .downcast_ref::<ElementwiseActivation>()?
        .plain_relu_max()?
    {
        None => Some(FusedActivation::Relu),
        Some(6.0) => Some(FusedActivation::Relu6),
        Some(_) => None,
    }
}

/// Whether `layer` is `Add` (`Some(true)`) or `Multiply` (`Some(false)`)
/// of two tensors: the layers, Keras 3's `x + y` / `x * y` or Keras 2's
/// `TFOpLambda` of them.
fn sum_or_product(layer: &dyn Layer) -> Option<bool> {
    let any = layer.as_any()?;
    if let Some(m) = any.downcast_ref::<Merge>() {
        return m.sum_or_product();
    }
    if let Some(t) = any.downcast_ref::<TfOpLambda>() {
        return t.sum_or_product();
    }
    any.downcast_ref::<Operation>()?.sum_or_product()
}

/// The `[(top, bottom), (left, right)]` of a channels-last `ZeroPadding2D`.
fn zero_padding(layer: &dyn Layer) -> Option<[(usize, usize); 2]> {
    layer.as_any()?.downcast_ref::<CropPad>()?.zero_padding_2d()
}

/// `(s, o)` when `ops` compute `x * s + o` up to rounding (multiplications,
/// divisions, additions and subtractions by scalars), as a Rescaling does.
fn scalar_affine(map: &Pointwise) -> Option<(f32, f32)> {
    let Pointwise::Ops(ops) = map else {
        return None;
    };
    ops.iter()
        .try_fold((1.0f32, 0.0f32), |(s, o), op| match *op {
            PointOp::Mul(c) => Some((s * c, o * c)),
            PointOp::Div(c) => Some((s / c, o / c)),
            PointOp::Add(c) => Some((s, o + c)),
            PointOp::Sub(c) => Some((s, o - c)),
            _ => None,
        })
}

/// Per-channel `(scale, shift)` of a channels-last BatchNormalization over
/// `channels` channels, computed exactly as the layer does.
fn batch_norm(layer: &dyn Layer, channels: usize) -> Option<(Vec<f32>, Vec<f32>)> {
    layer
        .as_any()?
        .downcast_ref::<BatchNormalization>()?
        .channel_affine(channels)
}

impl Plan {
    /// The step at exec position `pos`.
    pub(crate) fn step(&self, pos: usize) -> &Step {
        self.steps.get(pos).unwrap_or(&Step::Run)
    }

    /// Find fusable chains in `model`.
    pub(crate) fn build(model: &Model) -> Plan {
        Self::build_with(model, true)
    }

    /// Every layer run on its own, nothing merged (tests compare plans
    /// with it).
    pub(crate) fn unfused(model: &Model) -> Plan {
        Plan {
            steps: (0..model.exec.len()).map(|_| Step::Run).collect(),
            repeats: Repeats::none(model),
        }
    }

    /// [`Plan::build`], with or without epilogues (tests compare the two).
    fn build_with(model: &Model, epilogues: bool) -> Plan {
        let n = model.exec.len();
        // Layers computing in float16 / bfloat16 run one at a time: the
        // executor rounds around each (model::precision).
        // So do models with a call given an explicit mask (a tensor the
        // chains would not see read).
        let explicit_masks = model.calls.iter().flatten().any(|c| c.masks.is_some());
        if explicit_masks || model.precision.iter().any(|p| !p.is_f32()) {
            return Plan::unfused(model);
        }
        let repeats = Repeats::find(model);
        let inputs_of = |pos: usize| repeats.inputs_at(model, pos);
        let last_use = &repeats.last_use;
        let mut uses = vec![0usize; model.tensors.len()];
        let mut consumer = vec![usize::MAX; model.tensors.len()];
        let mut consumers = vec![Vec::new(); model.tensors.len()];
        // Exec position producing each tensor (model inputs: none, 0).
        let mut produced_at = vec![0usize; model.tensors.len()];
        for (pos, &(l, c)) in model.exec.iter().enumerate() {
            if repeats.repeated[pos] {
                continue;
            }
            for &t in inputs_of(pos) {
                uses[t] += 1;
                consumer[t] = pos;
                consumers[t].push(pos);
            }
            for &t in &model.calls[l][c].outputs {
                produced_at[t] = pos;
            }
        }
        for &t in &model.outputs {
            uses[repeats.holder(t)] += 1;
        }
        // The single-input, single-output leaf layer at `pos`.
        let simple = |pos: usize| -> Option<(&dyn Layer, usize, usize)> {
            let (l, c) = model.exec[pos];
            let call = &model.calls[l][c];
            match (&model.layers[l], inputs_of(pos)) {
                (ModelLayer::Layer(layer), &[input]) if call.outputs.len() == 1 => {
                    Some((layer.as_ref(), input, call.outputs[0]))
                }
                _ => None,
            }
        };
        // The only consumer of tensor `t`, when `t` has exactly one use.
        let next = |t: usize| (uses[t] == 1 && consumer[t] != usize::MAX).then(|| consumer[t]);
        let mut steps: Vec<Step> = (0..n)
            .map(|pos| match repeats.repeated[pos] {
                true => Step::Skip,
                false => Step::Run,
            })
            .collect();
        for pos in 0..n {
            if !matches!(steps[pos], Step::Run) {
                continue;
            }
            // A product no chain took: a squeeze-and-excite gate when its
            // shapes say so at run time.
            if let Some(g) = epilogues
                .then(|| ChannelGate::new(model, pos, inputs_of(pos)))
                .flatten()
            {
                steps[pos] = Step::Gate(Box::new(g));
                continue;
            }
            let Some((layer, input, out)) = simple(pos) else {
                continue;
            };
            let fused = match zero_padding(layer) {
                // ZeroPadding2D whose only consumer is a convolution.
                Some(pad) => next(out).and_then(|q| {
                    let (conv, _, conv_out) = simple(q)?;
                    let mut f = FusedConv::from_layer(conv, input, conv_out)?;
                    f.pre_pad = pad;
                    f.chain.extend([pos, q]);
                    Some(f)
                }),
                None => FusedConv::from_layer(layer, input, out).map(|mut f| {
                    f.chain.push(pos);
                    f
                }),
            };
            let Some(mut f) = fused else {
                // ZeroPadding2D whose only consumer is a max pooling.
                let padded_pool = zero_padding(layer).and_then(|pad| {
                    let q = next(out)?;
                    let (pool, _, pool_out) = simple(q)?;
                    PaddedMaxPool::new(pool, pad, input, pool_out, [pos, q])
                });
                if let Some(pp) = padded_pool {
                    steps[pp.chain[1]] = Step::Skip;
                    steps[pos] = Step::PaddedPool(Box::new(pp));
                    continue;
                }
                // A BatchNormalization no convolution absorbed (+ ReLU).
                let affine = epilogues
                    .then(|| AffineAct::new(layer, pos, input, out))
                    .flatten();
                if let Some(mut a) = affine {
                    if let Some((q, (act, _, act_out))) =
                        next(out).and_then(|q| Some((q, simple(q)?)))
                    {
                        if a.absorb_activation(act, q, act_out) {
                            steps[q] = Step::Skip;
                        }
                    }
                    steps[pos] = Step::Affine(Box::new(a));
                }
                continue;
            };
            if !epilogues && !f.epilogue.is_empty() {
                continue;
            }
            f.run_at = pos;
            // A scalar affine map whose only reader is the chain (Rescaling,
            // Keras 2's `x / 127.5 - 1`): folded into the kernel and bias,
            // and the chain runs at its position, on its input.
            let producer = Some(produced_at[f.input]).filter(|_| {
                epilogues
                    && uses[f.input] == 1
                    && !matches!(
                        model.layers[model.tensors[f.input].layer],
                        ModelLayer::Input(_)
                    )
            });
            if let Some((r, (map, r_in, _))) =
                producer.and_then(|r| Some((r, simple(r).filter(|s| s.2 == f.input)?)))
            {
                let affine = map.pointwise().as_ref().and_then(scalar_affine);
                if matches!(steps[r], Step::Run) && affine.is_some_and(|a| f.fold_input(a)) {
                    f.input = r_in;
                    f.chain.insert(0, r);
                    f.run_at = r;
                }
            }
            // A convolution's own epilogue (its unfused activation) comes
            // before anything folded into its kernel could.
            if f.act == FusedActivation::Linear && f.epilogue.is_empty() {
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
            // The epilogue: as long as the output feeds a pointwise layer, a
            // gate or a residual Add.
            loop {
                if !epilogues {
                    break;
                }
                let y = f.output;
                if let Some(p) = next(y) {
                    if let Some(pw) = simple(p).and_then(|(l, _, o)| Some((l.pointwise()?, o))) {
                        f.push_map(pw.0);
                        f.output = pw.1;
                        f.chain.push(p);
                        continue;
                    }
                    // Add([y, skip]), the skip computed before the convolution.
                    let (l, c) = model.exec[p];
                    let call = &model.calls[l][c];
                    if let (ModelLayer::Layer(add), [a, b], [out]) =
                        (&model.layers[l], inputs_of(p), call.outputs.as_slice())
                    {
                        let other = if *a == y { *b } else { *a };
                        let before = matches!(
                            model.layers[model.tensors[other].layer],
                            ModelLayer::Input(_)
                        ) || produced_at[other] < f.run_at;
                        // A residual computed later: the chain can run at the
                        // Add instead when no one reads its input after its
                        // first position (so the input is still there) and it
                        // has no residual or gate yet (whose releases were
                        // decided for where it runs now).
                        let deferred = !before
                            && produced_at[other] < p
                            && last_use[f.input] == f.chain[0]
                            && f.epilogue.iter().all(|e| matches!(e, Epilogue::Map(_)));
                        // (An Add already taken by a chain deferred to it
                        // stays there: ResNet's shortcut and main branch
                        // both end at it.)
                        if sum_or_product(add.as_ref()) == Some(true)
                            && other != y
                            && (before || deferred)
                            && matches!(steps[p], Step::Run)
                        {
                            if deferred {
                                f.run_at = p;
                            }
                            f.epilogue.push(Epilogue::AddTensor(other));
                            // Freed after the chain only when no layer outside
                            // it still reads the residual: the chain runs at
                            // `run_at`, before consumers that sit between it
                            // and the Add in the original order.
                            let outside = consumers[other].iter().any(|&q| q >= f.run_at && q != p);
                            if !outside && last_use[other] == p {
                                f.release.push(other);
                            }
                            f.output = *out;
                            f.chain.push(p);
                            continue;
                        }
                    }
                }
                // Multiply([y, g(y)]): y's two uses are a pointwise chain and
                // the Multiply of y with the chain's end.
                if uses[y] == 2 && consumers[y].len() == 2 {
                    let gate = consumers[y].iter().find_map(|&m| {
                        let (l, c) = model.exec[m];
                        let call = &model.calls[l][c];
                        let ModelLayer::Layer(mul) = &model.layers[l] else {
                            return None;
                        };
                        let ([a, b], [out]) = (inputs_of(m), call.outputs.as_slice()) else {
                            return None;
                        };
                        if sum_or_product(mul.as_ref()) != Some(false) || a == b {
                            return None;
                        }
                        let end = if *a == y { *b } else { *a };
                        // Walk the chain from y's other consumer to `end`.
                        let mut p = *consumers[y].iter().find(|&&q| q != m)?;
                        let mut fs = Vec::new();
                        let mut positions = Vec::new();
                        loop {
                            let (layer, _, o) = simple(p)?;
                            fs.push(layer.pointwise()?);
                            positions.push(p);
                            if o == end {
                                break;
                            }
                            p = next(o)?;
                        }
                        (uses[end] == 1).then_some((fs, positions, m, *out))
                    });
                    if let Some((fs, positions, m, out)) = gate {
                        f.push_gate(fs);
                        f.chain.extend(positions);
                        f.chain.push(m);
                        f.output = out;
                        continue;
                    }
                }
                break;
            }
            f.pack();
            for &p in &f.chain {
                steps[p] = Step::Skip;
            }
            let at = f.run_at;
            steps[at] = Step::Fused(Box::new(f));
        }
        Plan { steps, repeats }
    }
}

impl FusedConv {
    fn from_layer(layer: &dyn Layer, input: usize, output: usize) -> Option<FusedConv> {
        let any = layer.as_any()?;
        if let Some(sep) = any
            .downcast_ref::<DepthwiseSeparable>()
            .and_then(DepthwiseSeparable::separable_fusion_spec)
        {
            return Self::from_separable(&sep, input, output);
        }
        let spec = match any.downcast_ref::<Conv>() {
            Some(c) => c.fusion_spec()?,
            None => any.downcast_ref::<DepthwiseSeparable>()?.fusion_spec()?,
        };
        // An activation no kernel fuses (sigmoid, tanh, …) runs as the first
        // epilogue step, on the output while it is in cache, with the same
        // per-value function the layer applies (softmax is per row: no).
        let (act, post) = match fusable(spec.activation) {
            Some(act) => (act, None),
            None if !spec.activation.per_row() => {
                let f = spec.activation;
                let map = Pointwise::func(move |x: &mut [f32]| f.apply(x, 1));
                (FusedActivation::Linear, Some(Epilogue::Map(map)))
            }
            None => return None,
        };
        let padding = match spec.padding {
            Padding::Same | Padding::Valid => spec.padding,
            Padding::Causal => return None,
        };
        let pair = |v: &[usize]| -> Option<[usize; 2]> { Some([*v.first()?, *v.get(1)?]) };
        let kernel_hw = pair(spec.kernel_size)?;
        let strides = pair(spec.strides)?;
        let dilations = pair(spec.dilation)?;
        if strides != [1, 1] && dilations != [1, 1] {
            return None;
        }
        let kshape = &spec.kernel_shape;
        if kshape.len() != 4 || kshape[0] != kernel_hw[0] || kshape[1] != kernel_hw[1] {
            return None;
        }
        let in_c = kshape[2];
        let out_c = if spec.depthwise {
            kshape[2] * kshape[3]
        } else {
            kshape[3]
        };
        let bias = spec.bias.map(<[f32]>::to_vec);
        if bias.as_ref().is_some_and(|b| b.len() != out_c) || spec.kernel.len() % out_c.max(1) != 0
        {
            return None;
        }
        Some(FusedConv {
            depthwise: spec.depthwise,
            kernel_hw,
            strides,
            dilations,
            padding,
            in_c,
            out_c,
            kernel: spec.kernel.to_vec(),
            bias,
            epilogue: post.into_iter().collect(),
            ..FusedConv::unchained(act, input, output)
        })
    }

    /// The fields every new chain starts with: no padding folded in, nothing
    /// packed, no epilogue, no depthwise half (the rest is the layer's).
    fn unchained(act: FusedActivation, input: usize, output: usize) -> FusedConv {
        FusedConv {
            chain: Vec::new(),
            run_at: 0,
            depthwise: false,
            kernel_hw: [1, 1],
            pre_pad: [(0, 0); 2],
            strides: [1, 1],
            dilations: [1, 1],
            padding: Padding::Valid,
            in_c: 0,
            out_c: 0,
            kernel: Vec::new(),
            bias: None,
            packed: None,
            act,
            epilogue: Vec::new(),
            input,
            output,
            release: Vec::new(),
            pre_depthwise: None,
            windows: std::sync::OnceLock::new(),
        }
    }

    /// A `SeparableConv2D` as its depthwise half followed by a 1×1
    /// convolution (its pointwise half, bias and activation).
    fn from_separable(sep: &SeparableParts<'_>, input: usize, output: usize) -> Option<FusedConv> {
        let act = fusable(sep.spec.activation)?;
        let pair = |v: &[usize]| -> Option<[usize; 2]> { Some([*v.first()?, *v.get(1)?]) };
        let kernel_hw = pair(&sep.spec.kernel_size)?;
        let strides = pair(&sep.spec.strides)?;
        let dilations = pair(&sep.spec.dilation)?;
        if strides != [1, 1] && dilations != [1, 1] || sep.spec.padding == Padding::Causal {
            return None;
        }
        let [kh, kw, in_c, mult] = <[usize; 4]>::try_from(sep.depthwise_shape.as_slice()).ok()?;
        let [1, 1, mid, out_c] = <[usize; 4]>::try_from(sep.pointwise_shape.as_slice()).ok()?
        else {
            return None;
        };
        let fits = [kh, kw] == kernel_hw
            && mid == in_c * mult
            && sep.depthwise.len() == kh * kw * mid
            && sep.pointwise.len() == mid * out_c
            && sep.bias.is_none_or(|b| b.len() == out_c);
        if !fits {
            return None;
        }
        // The pointwise half: a 1×1 product over the depthwise output.
        Some(FusedConv {
            in_c: mid,
            out_c,
            kernel: sep.pointwise.to_vec(),
            bias: sep.bias.map(<[f32]>::to_vec),
            pre_depthwise: Some(PreDepthwise {
                kernel: sep.depthwise.to_vec(),
                kernel_hw,
                strides,
                dilations,
                padding: sep.spec.padding,
                in_c,
            }),
            ..FusedConv::unchained(act, input, output)
        })
    }

    /// Append a pointwise layer to the epilogue, joining its kernel steps
    /// to the previous layer's (one pass over the values for both).
    fn push_map(&mut self, p: Pointwise) {
        if matches!(&p, Pointwise::Ops(ops) if ops.is_empty()) {
            return;
        }
        if let (Some(Epilogue::Map(Pointwise::Ops(before))), Pointwise::Ops(ops)) =
            (self.epilogue.last_mut(), &p)
        {
            before.extend_from_slice(ops);
            return;
        }
        self.epilogue.push(Epilogue::Map(p));
    }

    /// Append a gate; one of kernel steps only runs as one pass.
    fn push_gate(&mut self, fs: Vec<Pointwise>) {
        let mut ops = Vec::new();
        for f in &fs {
            match f {
                Pointwise::Ops(o) => ops.extend_from_slice(o),
                Pointwise::Func(_) => return self.epilogue.push(Epilogue::Gate(fs)),
            }
        }
        self.epilogue.push(Epilogue::GateOps(ops));
    }

    /// Pack a convolution's folded weights for the kernels' matrix product
    /// (once per plan, not per predict).
    fn pack(&mut self) {
        if !self.depthwise {
            let k = self.kernel.len() / self.out_c.max(1);
            let kernel = std::mem::take(&mut self.kernel);
            let bias = self.bias.take();
            self.packed = Some(PackedMatrix::new(&kernel, k, self.out_c, bias.as_deref()));
        }
    }

    /// Fold an input map `x * s + o` into kernel and bias (before any
    /// BatchNormalization is folded): `Σ w·(s·x + o) = Σ (w·s)·x + o·Σ w`.
    /// An offset only where every tap reads the input (no padding, which
    /// the layers add after the map, as zeros); not for a separable
    /// convolution's depthwise half. `false` (nothing changed) otherwise.
    fn fold_input(&mut self, (s, o): (f32, f32)) -> bool {
        let unpadded = self.padding == Padding::Valid && self.pre_pad == [(0, 0); 2];
        if self.pre_depthwise.is_some()
            || !s.is_finite()
            || !o.is_finite()
            || (o != 0.0 && !unpadded)
        {
            return false;
        }
        if o != 0.0 {
            let mut sums = vec![0.0f32; self.out_c];
            for row in self.kernel.chunks(self.out_c) {
                sums.iter_mut().zip(row).for_each(|(t, w)| *t += w);
            }
            let bias = self.bias.get_or_insert_with(|| vec![0.0; self.out_c]);
            bias.iter_mut().zip(&sums).for_each(|(b, t)| *b += o * t);
        }
        self.kernel.iter_mut().for_each(|w| *w *= s);
        true
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

    /// The windows of the depthwise half (if any) and of the convolution
    /// over a `[1, h, w, _]` input; `None` if they do not fit.
    fn windows_for(&self, h: usize, w: usize) -> Option<Windows> {
        let [(top, bottom), (left, right)] = self.pre_pad;
        // The geometry of the first convolution over the padded input,
        // reading the padding as zeros outside the real one.
        let unpadded = |mut q: Conv2dParams| {
            (q.in_h, q.in_w) = (h, w);
            q.pad_top += top;
            q.pad_left += left;
            q
        };
        let padded_hw = [h + top + bottom, w + left + right];
        let (pre, hw) = match &self.pre_depthwise {
            None => (None, padded_hw),
            Some(pd) => {
                let q = Conv2dParams::new(
                    1,
                    padded_hw,
                    pd.in_c,
                    self.in_c,
                    pd.kernel_hw,
                    pd.strides,
                    pd.dilations,
                    pd.padding,
                )
                .ok()?;
                (Some(unpadded(q)), [q.out_h, q.out_w])
            }
        };
        let p = Conv2dParams::new(
            1,
            hw,
            self.in_c,
            self.out_c,
            self.kernel_hw,
            self.strides,
            self.dilations,
            self.padding,
        )
        .ok()?;
        Some(match pre {
            None => (None, unpadded(p)),
            Some(q) => (Some(q), p),
        })
    }

    /// Run the chain (at its `run_at`). Returns false (touching
    /// nothing) when the input is not what the fused kernel expects.
    fn run(&self, io: &mut StepIo<'_>) -> bool {
        let Some(x) = io.slots[self.input].as_ref() else {
            return false;
        };
        let (TensorData::F32(xd), [b, h, w, c]) = (x.data(), x.shape()) else {
            return false;
        };
        let (b, h, w, c) = (*b, *h, *w, *c);
        if c != self.pre_depthwise.as_ref().map_or(self.in_c, |pd| pd.in_c) {
            return false;
        }
        let (pre, mut p) = match self.windows.get() {
            Some((hw, windows)) if *hw == [h, w] => *windows,
            _ => {
                let Some(windows) = self.windows_for(h, w) else {
                    return false;
                };
                let _ = self.windows.set(([h, w], windows));
                windows
            }
        };
        // The output must have an addressable length at this batch.
        let per_image = (p.out_h * p.out_w * p.out_c).max(p.in_h * p.in_w * p.in_c);
        if b.checked_mul(per_image)
            .is_none_or(|n| n > isize::MAX as usize / 4)
        {
            return false;
        }
        p.batch = b;
        // A separable convolution's depthwise half first, into a pooled
        // buffer that the pointwise product below reads.
        let mut mid = None;
        let xd = match (&self.pre_depthwise, pre) {
            (Some(pd), Some(mut q)) => {
                q.batch = b;
                let mut y = io.pool.take(q.output_len());
                let act = FusedActivation::Linear;
                tfjs_kernels::depthwise_conv2d(xd, &pd.kernel, None, act, &q, &mut y);
                &mid.insert(y)[..]
            }
            _ => &xd[..],
        };
        let shape = vec![b, p.out_h, p.out_w, self.out_c];
        // A residual must be there, float32, of the output's shape and
        // without a Keras mask; otherwise the layers run one by one.
        for e in &self.epilogue {
            if let Epilogue::AddTensor(t) = e {
                let ok = io.slots[*t]
                    .as_ref()
                    .is_some_and(|r| r.shape() == shape.as_slice() && r.as_f32().is_some());
                if !ok || io.mask_slots[*t].is_some() {
                    return false;
                }
            }
        }
        let mut out = io.pool.take(p.output_len());
        match &self.packed {
            Some(packed) if packed.k() == p.k_h * p.k_w * p.in_c => {
                tfjs_kernels::conv2d_packed(xd, packed, self.act, &p, &mut out)
            }
            Some(_) => return false,
            None => {
                let bias = self.bias.as_deref();
                tfjs_kernels::depthwise_conv2d(xd, &self.kernel, bias, self.act, &p, &mut out)
            }
        }
        if let Some(m) = mid {
            io.pool.give_buffer(m);
        }
        self.apply_epilogue(&mut out, io.slots);
        let Ok(y) = Tensor::from_f32(shape, out) else {
            return false;
        };
        // The input's last reader is the chain's first layer (wherever the
        // chain runs); residuals whose last use was the chain's Add.
        let input_done = io.last_use[self.input] == self.chain[0];
        let released = input_done.then_some(self.input).into_iter();
        let released = released.chain(self.release.iter().copied());
        io.finish(released, self.output, y);
        true
    }
}

impl FusedConv {
    /// The epilogue over `out`, chunk by chunk (in parallel on large
    /// outputs). Residual tensors were checked by [`FusedConv::run`].
    fn apply_epilogue(&self, out: &mut [f32], slots: &[Option<Tensor>]) {
        if self.epilogue.is_empty() {
            return;
        }
        let residual = |t: usize| slots[t].as_ref().and_then(Tensor::as_f32).unwrap_or(&[]);
        let chunk = |start: usize, y: &mut [f32], gate: &mut [f32]| {
            for e in &self.epilogue {
                match e {
                    Epilogue::Map(f) => f.apply(y),
                    Epilogue::Gate(fs) => {
                        let g = &mut gate[..y.len()];
                        g.copy_from_slice(y);
                        for f in fs {
                            f.apply(g);
                        }
                        y.iter_mut().zip(g.iter()).for_each(|(v, g)| *v *= *g);
                    }
                    Epilogue::GateOps(ops) => tfjs_kernels::gate_point_ops(y, ops),
                    Epilogue::AddTensor(t) => {
                        let r = &residual(*t)[start..start + y.len()];
                        y.iter_mut().zip(r).for_each(|(v, r)| *v += *r);
                    }
                }
            }
        };
        // Only a gate needs the scratch chunk.
        let gated = self.epilogue.iter().any(|e| matches!(e, Epilogue::Gate(_)));
        let run = |start: usize, block: &mut [f32]| {
            // (Zeroed once per block, not per chunk: that was 2% of
            // MobileNetV3's time at batch 1; not at all without a gate.)
            let mut scratch;
            let gate: &mut [f32] = if gated {
                scratch = [0f32; EPILOGUE_CHUNK];
                &mut scratch
            } else {
                &mut []
            };
            for (k, y) in block.chunks_mut(EPILOGUE_CHUNK).enumerate() {
                chunk(start + k * EPILOGUE_CHUNK, y, gate);
            }
        };
        const BLOCK: usize = 16 * EPILOGUE_CHUNK;
        if out.len() >= 4 * BLOCK {
            use rayon::prelude::*;
            out.par_chunks_mut(BLOCK)
                .enumerate()
                .for_each(|(i, block)| run(i * BLOCK, block));
        } else {
            run(0, out);
        }
    }
}

#[cfg(test)]
mod tests;

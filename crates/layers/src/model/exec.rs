//! Running a built model: predict (whole, or as parallel batch slices),
//! the profile, and the checks of the inputs a caller gives.

use super::memory::check_output_size;
use super::*;
use crate::layers::common::run_pointwise;
use crate::{Tensor, TensorData};

impl Model {
    /// Run the model on `inputs` (one per model input, in
    /// [`Model::input_names`] order); returns one tensor per output.
    ///
    /// float32 inputs accept int32 tensors (converted); int32 inputs accept
    /// f32 tensors holding integers. Any batch size works.
    pub fn predict(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let ins = self.inputs();
        if inputs.len() != ins.len() {
            let want: Vec<String> = ins
                .iter()
                .map(|i| format!("`{}` {} {}", i.name, shape_str(&i.batch_shape), i.dtype))
                .collect();
            return Err(LayersError::Input {
                message: format!(
                    "model `{}` expects {} input(s) ({}), got {}",
                    self.name,
                    ins.len(),
                    want.join(", "),
                    inputs.len()
                ),
            });
        }
        let mut converted = Vec::with_capacity(inputs.len());
        for (spec, t) in ins.iter().zip(inputs) {
            converted.push(checked_input(spec, t)?);
        }
        let masks = vec![None; converted.len()];
        Ok(self.run_batch(converted, masks)?.0)
    }

    /// Bytes of the largest layer output per sample, when every output's
    /// sample shape is known.
    fn largest_sample_bytes(&self) -> Option<usize> {
        self.tensors
            .iter()
            .map(|t| {
                t.shape
                    .get(1..)?
                    .iter()
                    .try_fold(4usize, |acc, d| acc.checked_mul((*d)?))
            })
            .try_fold(0usize, |m, b| Some(m.max(b?)))
    }

    /// Whether every layer (and nested model) is per-sample.
    fn is_per_sample(&self) -> bool {
        *self.per_sample.get_or_init(|| {
            self.layers.iter().all(|l| match l {
                ModelLayer::Input(_) => true,
                ModelLayer::Layer(layer) => layer.per_sample(),
                ModelLayer::Model(m) => m.is_per_sample(),
            })
        })
    }

    /// [`Model::run`], as parallel batch slices when the model is
    /// per-sample and the batch is large: each thread then takes its
    /// samples through the whole network with activations that stay in its
    /// cache, and no layer waits for the others. Every sample is computed
    /// exactly as in one run, so the numbers do not change. Whether a batch
    /// size is sliced is learned from its first predicts
    /// ([`learned_way`]): on some machines slicing a small model's batch
    /// costs more than it gains.
    fn run_batch(
        &self,
        inputs: Vec<std::borrow::Cow<'_, Tensor>>,
        masks: Vec<Option<Tensor>>,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        let threads = rayon::current_num_threads();
        let batch = inputs.first().and_then(|t| t.shape().first().copied());
        let splittable = |b: usize| {
            threads > 1
                && b >= 2 * threads
                && inputs.iter().all(|t| t.shape().first() == Some(&b))
                && masks.iter().all(Option::is_none)
                && self.is_per_sample()
        };
        let Some(batch) = batch.filter(|&b| splittable(b)) else {
            let owned = inputs
                .into_iter()
                .map(std::borrow::Cow::into_owned)
                .collect();
            // Layer after layer on this thread: the kernels split their
            // work over the spinning team (waking rayon's sleeping workers
            // for each layer cost more than a small batch's layers take),
            // as finely as this machine rewards ([`learned_way`]).
            let size = batch.unwrap_or(0);
            let choice = match learned_way::forced_team_grain() {
                Some(fine) => learned_way::Choice::Settled(fine),
                None if threads > 1 => self.team_grain.choose(size),
                None => learned_way::Choice::Settled(false),
            };
            let started = std::time::Instant::now();
            let out = tfjs_kernels::with_team(grain(choice.sliced()), || self.run(owned, masks));
            if let (learned_way::Choice::Trial(fine), Ok(_)) = (choice, &out) {
                self.team_grain.record(size, fine, started.elapsed());
            }
            return out;
        };
        // Whole batches are tried only where a layer output of the whole
        // batch stays small (the models whose slices can cost more than
        // they save); larger ones are always sliced, which also bounds a
        // predict's memory as before.
        let small = self
            .largest_sample_bytes()
            .and_then(|b| b.checked_mul(batch))
            .is_some_and(|b| b <= WHOLE_BATCH_BYTES);
        let choice = match learned_way::forced_batch_split() {
            Some(sliced) => learned_way::Choice::Settled(sliced),
            None if small => self.batch_split.choose(batch),
            None => learned_way::Choice::Settled(true),
        };
        // The slices' size, once the batch is settled on slices and the two
        // sizes cut it differently ([`learned_way`]: the small slices won
        // on MobileNet v1 at 128×128, 8.1 -> 6.9 ms at batch 32, and lost
        // on the small corpus models, whose per-layer costs then count
        // twice, 1.36 -> 1.53 ms for the ResNet-style one).
        let cuts = |small: bool| self.slice_parts(batch, threads, small);
        let slicing = match choice {
            learned_way::Choice::Settled(true) if cuts(false) != cuts(true) => {
                match learned_way::forced_slice_size() {
                    Some(small) => learned_way::Choice::Settled(small),
                    None => self.slice_size.choose(batch),
                }
            }
            _ => learned_way::Choice::Settled(false),
        };
        let started = std::time::Instant::now();
        let out = if choice.sliced() {
            self.run_slices(batch, cuts(slicing.sliced()), &inputs)
        } else {
            let owned = inputs
                .into_iter()
                .map(std::borrow::Cow::into_owned)
                .collect();
            self.run(owned, masks)
        };
        if let (learned_way::Choice::Trial(sliced), Ok(_)) = (choice, &out) {
            self.batch_split.record(batch, sliced, started.elapsed());
        }
        if let (learned_way::Choice::Trial(small), Ok(_)) = (slicing, &out) {
            self.slice_size.record(batch, small, started.elapsed());
        }
        out
    }

    /// [`Model::run`] of a batch of per-sample layers as parallel slices.
    /// How many slices a batch is cut into: about [`SLICE_BYTES`] of
    /// activations each, or [`SMALL_SLICE_BYTES`] when `small` (a core's
    /// L2 on the benchmarks' machine), at least one per thread and a whole
    /// number per thread (3 slices on 2 threads took as long as 4).
    fn slice_parts(&self, batch: usize, threads: usize, small: bool) -> usize {
        let target = if small {
            SMALL_SLICE_BYTES
        } else {
            SLICE_BYTES
        };
        let per_slice = match self.largest_sample_bytes() {
            Some(bytes) => (target / bytes.max(1)).clamp(1, batch.div_ceil(threads)),
            None => batch.div_ceil(threads),
        };
        batch
            .div_ceil(per_slice)
            .max(threads)
            .next_multiple_of(threads)
            .min(batch)
    }

    fn run_slices(
        &self,
        batch: usize,
        parts: usize,
        inputs: &[std::borrow::Cow<'_, Tensor>],
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        let bounds: Vec<(usize, usize)> = (0..parts)
            .map(|i| (batch * i / parts, batch * (i + 1) / parts))
            .collect();
        use rayon::prelude::*;
        // On a rayon worker, so that the slices and each kernel's own
        // parallel split fork inside the pool (work stealing, spinning
        // latches). A small batch stays on the calling thread: handing a
        // whole predict to the pool costs more than it saves there. Each
        // worker copies out its own slice: the copies run in parallel and
        // leave the slice in the cache of the core that runs it.
        // The kernels' spinning helpers (tfjs_kernels::team) would take
        // the cores the slices run on.
        tfjs_kernels::park_helpers();
        let parts: Vec<Vec<Tensor>> = in_pool(|| {
            bounds
                .into_par_iter()
                .map(|(a, b)| {
                    let x = inputs
                        .iter()
                        .map(|t| batch_slice(t, a, b))
                        .collect::<Result<Vec<_>>>()?;
                    let n = x.len();
                    self.run(x, vec![None; n]).map(|(ys, _)| ys)
                })
                .collect::<Result<_>>()
        })?;
        let outputs = (0..self.outputs.len())
            .map(|k| concat_batch(parts.iter().map(|p| &p[k])))
            .collect::<Result<Vec<_>>>()?;
        let n = outputs.len();
        Ok((outputs, vec![None; n]))
    }

    /// Whether predicts at this batch size are still timing two ways of
    /// running (whole or sliced, the slices' size, the kernels' grain:
    /// the first 10–30 calls at a size; see `learned_way`). A benchmark
    /// warms up until this is false for two calls in a row (the next
    /// choice is made by the next call).
    pub fn learning(&self, batch: usize) -> bool {
        self.batch_split.learning(batch)
            || self.slice_size.learning(batch)
            || self.team_grain.learning(batch)
    }

    /// [`Model::predict`], timing each step of the execution plan: one
    /// entry per step that ran, in order, naming its layers (a fused chain
    /// such as `conv1+conv1_bn+conv1_relu` is one step). The batch runs
    /// whole on the calling thread (never as parallel slices), so each
    /// step's time is its own.
    pub fn profile(&self, inputs: &[Tensor]) -> Result<Vec<StepTime>> {
        let ins = self.inputs();
        if inputs.len() != ins.len() {
            // predict's error names what the model expects.
            return self.predict(inputs).map(|_| Vec::new());
        }
        let mut converted = Vec::with_capacity(inputs.len());
        for (spec, t) in ins.iter().zip(inputs) {
            converted.push(check_input(spec, t)?);
        }
        let masks = vec![None; converted.len()];
        let mut times = Vec::new();
        // Kernels split as in a predict of a batch too small to slice, at
        // the grain predict settled on for this batch size (coarse before).
        let size = converted.first().and_then(|t| t.shape().first().copied());
        let fine = learned_way::forced_team_grain()
            .unwrap_or_else(|| self.team_grain.settled(size.unwrap_or(0)));
        tfjs_kernels::with_team(grain(fine), || {
            self.run_timed(converted, masks, Some(&mut times))
        })?;
        let plan = self.plan.get_or_init(|| fusion::Plan::build(self));
        Ok(times
            .into_iter()
            .map(|(pos, elapsed)| {
                let chain = match plan.step(pos).chain() {
                    Some(chain) => chain.to_vec(),
                    None => vec![pos],
                };
                let name = |p: usize| self.layers[self.exec[p].0].name().to_string();
                let class = |p: usize| match &self.layers[self.exec[p].0] {
                    ModelLayer::Layer(l) => l.class_name().to_string(),
                    ModelLayer::Model(_) => "Model".to_string(),
                    ModelLayer::Input(_) => "InputLayer".to_string(),
                };
                StepTime {
                    layers: chain.iter().map(|&p| name(p)).collect::<Vec<_>>().join("+"),
                    classes: chain
                        .iter()
                        .map(|&p| class(p))
                        .collect::<Vec<_>>()
                        .join("+"),
                    elapsed,
                }
            })
            .collect())
    }

    /// Run with input masks; returns outputs and output masks.
    pub(crate) fn run(
        &self,
        inputs: Vec<Tensor>,
        masks: Vec<Option<Tensor>>,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        self.run_timed(inputs, masks, None)
    }

    /// [`Model::run`], recording `(exec position, time)` per step when asked.
    fn run_timed(
        &self,
        inputs: Vec<Tensor>,
        masks: Vec<Option<Tensor>>,
        mut times: Option<&mut Vec<(usize, std::time::Duration)>>,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        let mut slots: Vec<Option<Tensor>> = vec![None; self.tensors.len()];
        let mut mask_slots: Vec<Option<Tensor>> = vec![None; self.tensors.len()];
        // Bytes held in `slots`, kept up to date by every step (the memory
        // check needs it per layer; summing the slots each time is quadratic).
        let mut live: u64 = 0;
        for ((&t, x), m) in self.inputs.iter().zip(inputs).zip(masks) {
            live += x.len() as u64 * 4;
            slots[t] = Some(x);
            mask_slots[t] = m;
        }
        let plan = self.plan.get_or_init(|| fusion::Plan::build(self));
        // Concurrent runs (batch slices, or callers sharing the model) each
        // take a pool of their own.
        let mut pool = self
            .buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        for pos in 0..self.exec.len() {
            let started = times.is_some().then(std::time::Instant::now);
            match plan.step(pos) {
                fusion::Step::Run => self.run_node(
                    pos,
                    &plan.repeats,
                    &mut slots,
                    &mut mask_slots,
                    &mut pool,
                    &mut live,
                )?,
                fusion::Step::Skip => continue,
                fused => {
                    let mut io = fusion::StepIo {
                        slots: &mut slots,
                        mask_slots: &mut mask_slots,
                        pool: &mut pool,
                        live: &mut live,
                        last_use: &plan.repeats.last_use,
                    };
                    if !fused.run_fused(&mut io) {
                        // Unexpected input: run the layers one by one (their
                        // own checks report the problem).
                        for &p in fused.chain().unwrap_or_default() {
                            self.run_node(
                                p,
                                &plan.repeats,
                                &mut slots,
                                &mut mask_slots,
                                &mut pool,
                                &mut live,
                            )?;
                        }
                    }
                }
            }
            if let (Some(times), Some(t0)) = (times.as_deref_mut(), started) {
                times.push((pos, t0.elapsed()));
            }
        }
        pool.end_run();
        self.buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(pool);
        let mut outs = Vec::with_capacity(self.outputs.len());
        let mut out_masks = Vec::with_capacity(self.outputs.len());
        // (An output a repeated call made is its first call's.)
        let outputs: Vec<usize> = self
            .outputs
            .iter()
            .map(|&t| plan.repeats.holder(t))
            .collect();
        for (k, &t) in outputs.iter().enumerate() {
            let again = outputs[k + 1..].contains(&t);
            let missing = || topo_err(format!("internal: output tensor {t} not computed"));
            if again {
                outs.push(slots[t].clone().ok_or_else(missing)?);
                out_masks.push(mask_slots[t].clone());
            } else {
                outs.push(slots[t].take().ok_or_else(missing)?);
                out_masks.push(mask_slots[t].take());
            }
        }
        Ok((outs, out_masks))
    }
}

impl Model {
    /// Cap the bytes of tensors alive at once during one predict (layer
    /// outputs not yet consumed plus the one being computed); a layer whose
    /// output would cross it fails with an error naming it. `None` (the
    /// default) is [`max_live_bytes`]: what the host has available.
    pub fn set_memory_limit(&mut self, bytes: Option<u64>) {
        self.memory_limit = bytes;
    }

    /// Forget the inference plan (weights or layers may change).
    pub(crate) fn invalidate_plan(&mut self) {
        self.plan = std::sync::OnceLock::new();
        for twin in self.twins.iter().flatten() {
            twin.invalidate();
        }
    }

    /// Execute the node at exec position `pos` unfused.
    /// A layer that only reshapes ([`Layer::reshaped`]) its one unmasked
    /// input, read here for the last time: the input's buffer moves into
    /// the output (no copy, nothing allocated). `false` when it is not
    /// such a node.
    fn move_reshaped(
        &self,
        pos: usize,
        repeats: &fusion::Repeats,
        slots: &mut [Option<Tensor>],
        mask_slots: &mut [Option<Tensor>],
    ) -> Result<bool> {
        let (l, c) = self.exec[pos];
        let call = &self.calls[l][c];
        let (ModelLayer::Layer(layer), &[t], &[o]) = (
            &self.layers[l],
            repeats.inputs_at(self, pos),
            call.outputs.as_slice(),
        ) else {
            return Ok(false);
        };
        if repeats.last_use[t] != pos
            || mask_slots[t].is_some()
            || call.masks.is_some()
            || !self.precision[l].is_f32()
        {
            return Ok(false);
        }
        let Some(shape) = slots[t].as_ref().and_then(|x| layer.reshaped(x.shape())) else {
            return Ok(false);
        };
        let lname = layer.name();
        let shape = shape.map_err(|e| in_layer(lname, e))?;
        let x = slots[t]
            .take()
            .ok_or_else(|| topo_err(format!("internal: tensor {t} not computed")))?;
        slots[o] = Some(x.reshape(shape).map_err(|e| in_layer(lname, e))?);
        mask_slots[o] = None;
        Ok(true)
    }

    /// `repeats`: the plan's inputs and last reads.
    fn run_node(
        &self,
        pos: usize,
        repeats: &fusion::Repeats,
        slots: &mut [Option<Tensor>],
        mask_slots: &mut [Option<Tensor>],
        pool: &mut fusion::BufferPool,
        live: &mut u64,
    ) -> Result<()> {
        let (l, c) = self.exec[pos];
        let call = &self.calls[l][c];
        let inputs = repeats.inputs_at(self, pos);
        let last_use = &repeats.last_use;
        let precision = self.precision[l];
        if self.move_reshaped(pos, repeats, slots, mask_slots)? {
            return Ok(());
        }
        // Inputs rounded to a mixed-precision layer's compute type are its
        // own copies.
        let rounds_inputs = !precision.is_f32() && precision.autocast;
        // A layer (not a nested model, and not one computing in place)
        // only reads its inputs: those that later layers still read are
        // lent to it and put back afterwards instead of copied (a copy per
        // reader was most of a DenseNet's Concatenate time).
        let reads_only = match &self.layers[l] {
            ModelLayer::Layer(layer) => {
                !rounds_inputs && (layer.pointwise().is_none() || inputs.len() != 1)
            }
            _ => false,
        };
        // An explicit mask (`mask=` a tensor) is read before the inputs
        // are taken (it may be one of them).
        let explicit = match &call.masks {
            Some(masks) => Some(self.explicit_masks(pos, masks, last_use, slots, live)?),
            None => None,
        };
        let mut xs = Vec::with_capacity(inputs.len());
        let mut ms = Vec::with_capacity(inputs.len());
        let mut lent = Vec::new();
        for (k, &t) in inputs.iter().enumerate() {
            let again = inputs[k + 1..].contains(&t);
            let last = last_use[t] == pos && !again;
            let missing = || topo_err(format!("internal: tensor {t} not computed"));
            if last {
                let x = slots[t].take().ok_or_else(missing)?;
                *live = live.saturating_sub(x.len() as u64 * 4);
                xs.push(x);
                ms.push(mask_slots[t].take());
            } else if reads_only && !again {
                xs.push(slots[t].take().ok_or_else(missing)?);
                // The slot's own mask goes back with the tensor (the call
                // may see another: cleared, or an explicit one).
                let m = mask_slots[t].take();
                ms.push(m.clone());
                lent.push((k, m));
            } else {
                xs.push(slots[t].clone().ok_or_else(missing)?);
                ms.push(mask_slots[t].clone());
            }
        }
        // Masks Keras removed from these tensors before this call (Keras
        // 3's MultiHeadAttention, run earlier in Keras's order).
        for &k in &call.masks_cleared {
            if let Some(m) = ms.get_mut(k) {
                *m = None;
            }
        }
        if let Some(explicit) = explicit {
            let n = ms.len();
            ms = explicit;
            ms.resize(n, None);
        }
        let lname = self.layers[l].name();
        let (ys, ym) = match &self.layers[l] {
            ModelLayer::Input(_) => unreachable!("inputs are not executed"),
            ModelLayer::Layer(layer) => {
                if !layer.takes_strings() && xs.iter().any(|x| x.as_strings().is_some()) {
                    return Err(LayersError::config(
                        lname,
                        format!(
                            "{} cannot take strings; only StringLookup and Hashing do",
                            layer.class_name()
                        ),
                    ));
                }
                let live = *live + xs.iter().map(|t| t.len() as u64 * 4).sum::<u64>();
                let limit = self.memory_limit.unwrap_or_else(max_live_bytes);
                let kwargs = node_kwargs(&call.kwargs);
                check_output_size(layer.as_ref(), &xs, kwargs, live, limit)
                    .map_err(|e| in_layer(lname, e))?;
                let ym = layer
                    .node_compute_mask(&xs, &ms, kwargs)
                    .map_err(|e| in_layer(lname, e))?;
                if rounds_inputs {
                    xs.iter_mut().for_each(|x| precision.round(x));
                }
                // A mixed-precision layer computes with its weights rounded:
                // its twin holds them (see `precision`).
                let twin = match &self.twins[l] {
                    Some(t) => Some(
                        t.get(layer.as_ref(), precision.compute)
                            .map_err(|e| in_layer(lname, e))?,
                    ),
                    None => None,
                };
                let layer: &dyn Layer = match &twin {
                    Some(t) => t.as_ref(),
                    None => layer.as_ref(),
                };
                // A pointwise layer computes in place on its input, which is
                // this node's own (taken at its last use, or copied).
                let pointwise = match (layer.pointwise(), xs.as_mut_slice()) {
                    (Some(f), [x]) => x.as_f32_mut().map(|data| run_pointwise(&f, data)),
                    _ => None,
                };
                let mut ys = match pointwise {
                    Some(()) => std::mem::take(&mut xs),
                    None => layer
                        .node_call(&xs, &ms, kwargs)
                        .map_err(|e| in_layer(lname, e))?,
                };
                if !precision.is_f32() && precision.rounds_outputs {
                    ys.iter_mut().for_each(|y| precision.round(y));
                }
                // Lent inputs go back to their slots; the others are this
                // node's own (taken at their last use, or copied).
                drop(ms);
                for (k, x) in xs.into_iter().enumerate() {
                    match lent.iter_mut().find(|(j, _)| *j == k) {
                        Some((_, m)) => {
                            let t = inputs[k];
                            slots[t] = Some(x);
                            mask_slots[t] = m.take();
                        }
                        None => pool.give(x),
                    }
                }
                (ys, ym)
            }
            ModelLayer::Model(m) => m.run(xs, ms).map_err(|e| in_layer(lname, e))?,
        };
        if ys.len() != call.outputs.len() {
            return Err(LayersError::config(
                lname,
                format!(
                    "call returned {} tensor(s), its output_shapes promised {}",
                    ys.len(),
                    call.outputs.len()
                ),
            ));
        }
        let mut ym = ym.into_iter();
        for (&t, y) in call.outputs.iter().zip(ys) {
            *live += y.len() as u64 * 4;
            slots[t] = Some(y);
            mask_slots[t] = ym.next().flatten();
        }
        Ok(())
    }
}

impl Model {
    /// The masks given explicitly to the call at exec position `pos`
    /// (`masks`: tensors or none, per input) as 0/1 masks, as Keras reads
    /// them (nonzero is kept); a tensor read here for the last time (and
    /// not also an input of the call) is freed.
    fn explicit_masks(
        &self,
        pos: usize,
        masks: &[Option<usize>],
        last_use: &[usize],
        slots: &mut [Option<Tensor>],
        live: &mut u64,
    ) -> Result<Vec<Option<Tensor>>> {
        let (l, c) = self.exec[pos];
        let call = &self.calls[l][c];
        let lname = self.layers[l].name();
        let mut out = Vec::with_capacity(masks.len());
        for (k, t) in masks.iter().enumerate() {
            let Some(t) = *t else {
                out.push(None);
                continue;
            };
            let m = slots[t]
                .as_ref()
                .ok_or_else(|| topo_err(format!("internal: tensor {t} not computed")))?;
            let kept: Vec<f32> = match m.data() {
                TensorData::F32(v) => v.iter().map(|&x| f32::from(u8::from(x != 0.0))).collect(),
                TensorData::I32(v) => v.iter().map(|&x| f32::from(u8::from(x != 0))).collect(),
                TensorData::Str(_) => {
                    return Err(LayersError::config(
                        lname,
                        format!("its mask= (for input {k}) is a string tensor"),
                    ))
                }
            };
            out.push(Some(Tensor::from_f32(m.shape().to_vec(), kept)?));
            let done = last_use[t] == pos
                && !call.inputs.contains(&t)
                && !masks[k + 1..].contains(&Some(t));
            if done {
                if let Some(x) = slots[t].take() {
                    *live = live.saturating_sub(x.len() as u64 * 4);
                }
            }
        }
        Ok(out)
    }
}

/// The team grain of a learned choice (`true`: fine).
fn grain(fine: bool) -> tfjs_kernels::TeamGrain {
    if fine {
        tfjs_kernels::TeamGrain::Fine
    } else {
        tfjs_kernels::TeamGrain::Coarse
    }
}

/// Target bytes of a batch slice's largest activation (slices of ~4
/// samples beat one slice per thread by ~1.5x on MobileNet v1/v2 at batch
/// 32 when this was chosen).
const SLICE_BYTES: usize = 2 << 20;
/// The smaller slices a model may learn to use (`Model::slice_size`).
const SMALL_SLICE_BYTES: usize = 512 << 10;
/// Largest activation of a whole batch up to which running it unsliced is
/// tried ([`learned_way`]).
const WHOLE_BATCH_BYTES: usize = 16 << 20;

/// Samples `a..b` of `t` (its first axis).
fn batch_slice(t: &Tensor, a: usize, b: usize) -> Result<Tensor> {
    let per: usize = t.shape()[1..].iter().product();
    let mut shape = t.shape().to_vec();
    shape[0] = b - a;
    match t.data() {
        TensorData::F32(v) => Tensor::from_f32(shape, v[a * per..b * per].to_vec()),
        TensorData::I32(v) => Tensor::from_i32(shape, v[a * per..b * per].to_vec()),
        TensorData::Str(v) => Tensor::from_strings(shape, v[a * per..b * per].to_vec()),
    }
}

/// The tensors joined along their first axis (same dtype and sample shape).
fn concat_batch<'a>(parts: impl Iterator<Item = &'a Tensor> + Clone) -> Result<Tensor> {
    let first = parts
        .clone()
        .next()
        .ok_or_else(|| topo_err("internal: no batch slices"))?;
    let mut shape = first.shape().to_vec();
    shape[0] = parts.clone().map(|t| t.shape()[0]).sum();
    let mixed = || topo_err("internal: mixed slice dtypes");
    match first.data() {
        TensorData::F32(_) => {
            let mut data = Vec::new();
            for t in parts {
                data.extend_from_slice(t.as_f32().ok_or_else(mixed)?);
            }
            Tensor::from_f32(shape, data)
        }
        TensorData::I32(_) => {
            let mut data = Vec::new();
            for t in parts {
                let TensorData::I32(v) = t.data() else {
                    return Err(mixed());
                };
                data.extend_from_slice(v);
            }
            Tensor::from_i32(shape, data)
        }
        TensorData::Str(_) => {
            let mut data = Vec::new();
            for t in parts {
                data.extend_from_slice(t.as_strings().ok_or_else(mixed)?);
            }
            Tensor::from_strings(shape, data)
        }
    }
}

/// Run `f` on a thread of rayon's global pool (inline when already on one).
fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() || rayon::current_num_threads() == 1 {
        return f();
    }
    let mut result = None;
    rayon::scope(|_| result = Some(f()));
    result.expect("the scope ran its body")
}

/// One step of [`Model::profile`].
#[derive(Debug, Clone)]
pub struct StepTime {
    /// The layer names the step ran, `+`-joined (a fused chain is one step).
    pub layers: String,
    /// Their classes, `+`-joined.
    pub classes: String,
    /// Wall time of the step.
    pub elapsed: std::time::Duration,
}

/// Validate one predict input against its input layer; convert dtypes.
fn check_input(spec: &InputLayer, t: &Tensor) -> Result<Tensor> {
    Ok(checked_input(spec, t)?.into_owned())
}

/// [`check_input`] without copying an input that needs no conversion.
fn checked_input<'t>(spec: &InputLayer, t: &'t Tensor) -> Result<std::borrow::Cow<'t, Tensor>> {
    use std::borrow::Cow;
    let err = |m: String| LayersError::Input {
        message: format!("input `{}`: {m}", spec.name),
    };
    if t.rank() != spec.batch_shape.len() {
        return Err(err(format!(
            "expected rank {} (shape {}), got shape {:?}",
            spec.batch_shape.len(),
            shape_str(&spec.batch_shape),
            t.shape()
        )));
    }
    for (axis, (want, &got)) in spec.batch_shape.iter().zip(t.shape()).enumerate() {
        if let Some(w) = want {
            if *w != got {
                return Err(err(format!(
                    "expected shape {}, got {:?} (dimension {axis} is {got}, expected {w})",
                    shape_str(&spec.batch_shape),
                    t.shape()
                )));
            }
        }
    }
    match (spec.dtype.as_str(), t.data()) {
        ("string", TensorData::Str(_)) => Ok(Cow::Borrowed(t)),
        ("string", _) => Err(err(format!("expected strings, got {} values", t.dtype()))),
        (_, TensorData::Str(_)) => Err(err(format!("expected {} values, got strings", spec.dtype))),
        ("int32", TensorData::F32(v)) => {
            if let Some((i, x)) = v
                .iter()
                .enumerate()
                .find(|(_, x)| x.fract() != 0.0 || x.abs() > 2147483647.0)
            {
                return Err(err(format!(
                    "expected int32 values, got float32 value {x} at flat index {i} that is not an integer"
                )));
            }
            Tensor::from_i32(t.shape().to_vec(), v.iter().map(|&x| x as i32).collect())
                .map(Cow::Owned)
        }
        (_, TensorData::I32(v)) if spec.dtype != "int32" => {
            Tensor::from_f32(t.shape().to_vec(), v.iter().map(|&x| x as f32).collect())
                .map(Cow::Owned)
        }
        _ => Ok(Cow::Borrowed(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::Model;
    use crate::LayerRegistry;
    use serde_json::json;

    /// Batch slicing is only for models whose every layer says it is
    /// per-sample; a layer that does not say so (the default) keeps the
    /// batch whole.
    #[test]
    fn only_models_of_per_sample_layers_are_sliced() {
        let model = |layers: serde_json::Value| {
            let topo =
                json!({"class_name": "Sequential", "config": {"name": "m", "layers": layers}});
            Model::from_topology(&topo, &LayerRegistry::with_builtins(), 1).unwrap()
        };
        let dense = json!({"class_name": "Dense", "config": {"name": "d", "units": 3,
            "batch_input_shape": [null, 5, 4]}});
        let reshape =
            json!({"class_name": "Reshape", "config": {"name": "r", "target_shape": [15, 1]}});
        // Recurrent layers are per-sample (their states start at zero in
        // every predict, `stateful` or not); EinsumDense does not say it is
        // (an equation may mix the batch).
        let lstm = json!({"class_name": "LSTM", "config": {"name": "l", "units": 2}});
        let einsum = json!({"class_name": "EinsumDense", "config": {"name": "e",
            "equation": "abc,cd->abd", "output_shape": [5, 2]}});
        assert!(model(json!([dense, reshape])).is_per_sample());
        assert!(model(json!([dense, lstm])).is_per_sample());
        assert!(!model(json!([dense, einsum])).is_per_sample());
    }
}

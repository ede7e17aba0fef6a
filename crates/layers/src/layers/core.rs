//! Core layers: `InputLayer`, `Dense`, `Activation`, `Flatten`, `Reshape`,
//! `Permute`, `RepeatVector` and `Masking`. (The dropouts, which are the
//! identity at inference, live in [`super::noise`].)
//!
//! Each layer declares its config once with
//! [`keras_config!`](super::common::declare); see `layers/README.md`.

use super::common::quantized::{
    add_calibrated_weights, add_float8_scales, add_int4_scales, dequantize_calibrated_at,
    dequantize_grouped, float8_qdq, int_values, Quantization,
};
use super::common::*;
use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, LayersError, Result, Shape, Tensor};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// InputLayer
// ---------------------------------------------------------------------------

/// `InputLayer`: the model's entry point (identity).
#[derive(Debug, Clone)]
pub struct InputLayer {
    name: String,
    batch_input_shape: Shape,
    dtype: String,
    sparse: bool,
}

impl InputLayer {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let base = Base::parse(cfg)?;
        let batch_input_shape = base.batch_input_shape.clone().ok_or_else(|| {
            cfg.err(
                "batch_input_shape",
                "an InputLayer needs batch_input_shape (or batch_shape / input_shape)",
            )
        })?;
        let dtype = base.dtype.clone().unwrap_or_else(|| "float32".into());
        match dtype.as_str() {
            "float32" | "int32" | "bool" | "string" | "float16" | "float64" | "int64" | "uint8"
            | "int8" | "int16" | "uint16" | "complex64" => {}
            other => return Err(cfg.err("dtype", format!("unknown dtype {other:?}"))),
        }
        Ok(InputLayer {
            name: base.name,
            batch_input_shape,
            dtype,
            sparse: cfg.bool_or("sparse", false)?,
        })
    }
    /// The declared input shape (batch dim first).
    pub fn batch_input_shape(&self) -> &Shape {
        &self.batch_input_shape
    }
    /// The declared dtype.
    pub fn dtype(&self) -> &str {
        &self.dtype
    }
}

impl Layer for InputLayer {
    layer_common!(names "InputLayer", name in self.name);
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "batch_input_shape".into(),
            shape_value(&self.batch_input_shape),
        );
        m.insert("dtype".into(), json!(self.dtype));
        m.insert("sparse".into(), json!(self.sparse));
        m.insert("name".into(), json!(self.name));
        m
    }
    fn output_shapes(&self, _inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![self.batch_input_shape.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        match inputs {
            [t] => Ok(vec![t.clone()]),
            _ => Err(LayersError::config(
                &self.name,
                format!("expects exactly 1 input, got {}", inputs.len()),
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// Dense
// ---------------------------------------------------------------------------

keras_config! {
    /// `Dense`'s config, in TensorFlow.js's key order.
    pub(crate) struct DenseConfig |cx| {
        units: Positive,
        activation: Activation = Activation::Linear,
        use_bias: bool = true,
        kernel_initializer: Init = Init::glorot_normal(),
        bias_initializer: Init = Init::zeros(),
        kernel_regularizer: Reg,
        bias_regularizer: Reg,
        activity_regularizer: Reg,
        kernel_constraint: Cons,
        bias_constraint: Cons,
    }
}

/// `Dense`: `activation(x · kernel + bias)` on the last axis of any-rank input.
///
/// Keras 3's quantized Dense (`int8`, `int4`, `float8` policies, see
/// [`quantized`](super::common::quantized)) holds its kernel quantized and
/// computes as Keras does; its weights are Keras's, in its saving order
/// (`kernel`, `bias`, then the scales). A GPTQ / AWQ Dense (`gptq/…`,
/// `awq/…` policies) holds `bias` first, as Keras saves it, then its
/// quantized kernel and scales; it is weight-only, so its kernel is
/// dequantized once (at the first call after its weights change) and it
/// runs as a float Dense.
#[derive(Debug, Clone)]
pub struct Dense {
    base: Base,
    cfg: DenseConfig,
    params: Params,
    quant: Option<Quantization>,
}

impl Dense {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let mut base = Base::parse_quantizable(cfg)?;
        let quant = Quantization::read(cfg, &base, "Dense", true)?;
        if base.batch_input_shape.is_none() && cfg.get("input_dim").is_some() {
            let batch = match cfg.get("batch_size") {
                Some(_) => Some(cfg.usize_req("batch_size")?),
                None => None,
            };
            base.batch_input_shape = Some(vec![batch, Some(cfg.usize_req("input_dim")?)]);
            base.dtype.get_or_insert_with(|| "float32".into());
        }
        let mut d = Dense {
            base,
            cfg: DenseConfig::read(&Cx::new(cfg))?,
            params: Params::default(),
            quant,
        };
        if let Some(s) = d.base.batch_input_shape.clone() {
            if s.last().copied().flatten().is_some() {
                d.build(&[s])?;
            }
        }
        Ok(d)
    }

    fn units(&self) -> usize {
        self.cfg.units.0
    }

    /// Keras's quantized weights after the kernel and bias, in its saving
    /// order (`variable_serialization_spec`).
    fn build_quantized(&mut self, q: &Quantization, input_dim: usize) -> Result<()> {
        let units = self.units();
        match (&q.mode, q.block_size) {
            (QuantMode::Int8, _) => self.params.add("kernel_scale", vec![units], false, 1.0),
            (QuantMode::Int4 { .. }, block) => {
                add_int4_scales(&mut self.params, &self.base.name, input_dim, units, block)
            }
            (
                QuantMode::Float8 {
                    amax_history_length,
                },
                _,
            ) => add_float8_scales(&mut self.params, *amax_history_length),
            (
                QuantMode::Calibrated {
                    method,
                    bits,
                    group_size,
                },
                _,
            ) => add_calibrated_weights(
                &mut self.params,
                "Dense",
                (input_dim, units),
                *method,
                *bits,
                *group_size,
            ),
        }
    }

    /// Whether the layer holds GPTQ / AWQ weights (its bias, when it has
    /// one, saved first).
    fn calibrated(&self) -> bool {
        matches!(
            self.quant.as_ref().map(|q| &q.mode),
            Some(QuantMode::Calibrated { .. })
        )
    }

    /// The input dimension the layer was built for.
    fn input_dim(&self) -> usize {
        let shapes = self.params.weights(true);
        if self.calibrated() {
            // `g_idx`, one per input row, comes last.
            shapes.last().map_or(0, |w| w.shape[0])
        } else {
            shapes[0].shape[0]
        }
    }

    /// A GPTQ / AWQ Dense's float kernel (`k` inputs) with its bias, packed:
    /// dequantized once per change of its weights.
    fn calibrated_kernel(&self, k: usize) -> Result<&tfjs_kernels::PackedMatrix> {
        let Some(q) = &self.quant else {
            return Err(self.base.err("not a GPTQ / AWQ layer"));
        };
        let n = self.units();
        let bias = self.cfg.use_bias.then_some(0);
        let at = usize::from(self.cfg.use_bias);
        self.params.packed_derived(at, bias, (k, n), || {
            dequantize_calibrated_at(&self.base.name, &self.params.values(), at, &q.mode, (k, n))
        })
    }

    /// `x · kernel` (no bias, no activation) of a quantized Dense, as
    /// Keras's `_int8_call` / `_int4_call` / `_float8_call` compute it, for
    /// `m` rows of `k` inputs. Under `int8_from_mixed_bfloat16` (and int4)
    /// each of Keras's ops rounds its result to bfloat16 (`r`), and the
    /// float weights are used rounded (Keras casts them).
    fn quantized_product(
        &self,
        q: &Quantization,
        x: &[f32],
        m: usize,
        k: usize,
    ) -> Result<Vec<f32>> {
        let n = self.units();
        let w = self.params.values();
        let r = |v: f32| q.compute.round_one(v);
        let rounded = |t: &crate::Tensor| {
            let mut v = t.to_f32().into_owned();
            q.compute.round(&mut v);
            v
        };
        // Keras saves the bias second when there is one.
        let after = 1 + usize::from(self.cfg.use_bias);
        let mut out = vec![0f32; m * n];
        match (&q.mode, q.block_size) {
            (QuantMode::Int8, _) | (QuantMode::Int4 { .. }, None) => {
                let kernel = match q.mode {
                    QuantMode::Int8 => int_values(w[0]).into_owned(),
                    _ => tfjs_kernels::quant::unpack_int4(&int_values(w[0]), k, n),
                };
                let kernel_scale = rounded(w[after]);
                match &q.inputs {
                    Some(quantizer) => {
                        let (xq, xs) = quantizer.quantize(x, &[m, k], &[1], q.compute);
                        let xq: Vec<i32> = xq.iter().map(|&v| v as i32).collect();
                        out = tfjs_kernels::quant::matmul_int(&xq, &kernel, m, k, n);
                        for (row, s) in out.chunks_exact_mut(n).zip(&xs) {
                            for (y, ks) in row.iter_mut().zip(kernel_scale.iter()) {
                                *y = r(r(*y) / r(ks * s));
                            }
                        }
                    }
                    None => {
                        let kf: Vec<f32> = kernel.iter().map(|&v| v as f32).collect();
                        tfjs_kernels::matmul(x, &kf, m, k, n, &mut out, false);
                        for row in out.chunks_exact_mut(n) {
                            for (y, ks) in row.iter_mut().zip(kernel_scale.iter()) {
                                *y = r(r(*y) / ks);
                            }
                        }
                    }
                }
            }
            (QuantMode::Int4 { .. }, Some(_)) => {
                let kernel = tfjs_kernels::quant::unpack_int4(&int_values(w[0]), k, n);
                let zero: Vec<f32> = int_values(w[after + 1]).iter().map(|&v| v as f32).collect();
                let mut kf = dequantize_grouped(
                    &self.base.name,
                    &kernel,
                    (k, n),
                    &rounded(w[after]),
                    &zero,
                    &rounded(w[after + 2]),
                )?;
                q.compute.round(&mut kf);
                tfjs_kernels::matmul(x, &kf, m, k, n, &mut out, false);
                q.compute.round(&mut out);
            }
            (QuantMode::Float8 { .. }, _) => {
                let scalar = |i: usize| w[i].to_f32().first().copied().unwrap_or(1.0);
                let mut xq = x.to_vec();
                float8_qdq(&mut xq, scalar(after));
                let mut kq = w[0].to_f32().into_owned();
                float8_qdq(&mut kq, scalar(after + 2));
                tfjs_kernels::matmul(&xq, &kq, m, k, n, &mut out, false);
            }
            // (Run as a float Dense by `call`.)
            (QuantMode::Calibrated { .. }, _) => {
                return Err(self
                    .base
                    .err("a GPTQ / AWQ kernel has no quantized product"))
            }
        }
        Ok(out)
    }
}

impl Layer for Dense {
    layer_flags!(per_sample);
    layer_common!(weights);
    layer_common!(names "Dense");
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.cfg.write(&mut m);
        self.base.write(&mut m);
        if let Some(q) = &self.quant {
            q.write(&mut m);
        }
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        if s.is_empty() {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let input_dim = known_dim(&self.base, s, s.len() - 1, "last")?;
        self.params.clear();
        let units = self.units();
        if self.calibrated() {
            if self.cfg.use_bias {
                self.params.add("bias", vec![units], true, 0.0)?;
            }
            return match self.quant.clone() {
                Some(q) => self.build_quantized(&q, input_dim),
                None => Ok(()),
            };
        }
        match self.quant.as_ref().map(|q| &q.mode) {
            None | Some(QuantMode::Float8 { .. }) => {
                self.params
                    .add("kernel", vec![input_dim, units], true, 0.0)?
            }
            Some(QuantMode::Int8) => {
                self.params
                    .add_int("kernel", vec![input_dim, units], false)?
            }
            // Two int4 values per byte along the units.
            Some(_) => self
                .params
                .add_int("kernel", vec![input_dim, units.div_ceil(2)], false)?,
        }
        if self.cfg.use_bias {
            self.params.add("bias", vec![units], true, 0.0)?;
        }
        if let Some(q) = self.quant.clone() {
            self.build_quantized(&q, input_dim)?;
        }
        Ok(())
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        if s.is_empty() {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let mut out = s.clone();
        *out.last_mut().expect("rank >= 1") = Some(self.units());
        Ok(vec![activated_shape(&self.base, self.cfg.activation, out)?])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        let k = self.input_dim();
        if x.rank() == 0 || x.shape()[x.rank() - 1] != k {
            return Err(self.base.err(format!(
                "expects the input's last dimension to be {k}, got input shape {:?}",
                x.shape()
            )));
        }
        let units = self.units();
        let m = x.len() / k.max(1);
        let data = x.to_f32();
        let mut out = match &self.quant {
            Some(q) if !self.calibrated() => {
                let mut out = self.quantized_product(q, &data, m, k)?;
                if self.cfg.use_bias {
                    let mut bias = self.params.get(1).to_vec();
                    if matches!(q.mode, QuantMode::Float8 { .. }) {
                        // Keras rounds a float32 layer's bias to bfloat16
                        // (for TensorFlow's fused bias add).
                        Precision::BF16.round(&mut bias);
                    }
                    q.compute.round(&mut bias);
                    for row in out.chunks_exact_mut(units) {
                        row.iter_mut()
                            .zip(&bias)
                            .for_each(|(y, b)| *y = q.compute.round_one(*y + b));
                    }
                }
                out
            }
            // A float product: the kernel and bias packed once (kept until
            // the weights change), or a GPTQ / AWQ kernel dequantized once.
            quant => {
                let kernel = match quant {
                    Some(_) => self.calibrated_kernel(k)?,
                    None => self
                        .params
                        .packed(0, self.cfg.use_bias.then_some(1), k, units),
                };
                let mut out = vec![0.0f32; m * units];
                tfjs_kernels::dense_packed(
                    &data,
                    m,
                    kernel,
                    tfjs_kernels::FusedActivation::Linear,
                    &mut out,
                );
                out
            }
        };
        let mut shape = x.shape().to_vec();
        *shape.last_mut().expect("rank >= 1") = units;
        apply_activation(&self.base, self.cfg.activation, &mut out, &mut shape)?;
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
    same_as_input!(mask);
}

// ---------------------------------------------------------------------------
// Activation
// ---------------------------------------------------------------------------

keras_config! {
    /// `Activation`'s config.
    pub(crate) struct ActivationConfig |cx| {
        activation: Activation,
    }
}

declared_layer! {
    /// `Activation`: apply a named activation.
    pub struct ActivationLayer(ActivationConfig);
}

impl ActivationLayer {
    /// The activation applied.
    pub(crate) fn activation(&self) -> Activation {
        self.cfg.activation
    }
}

impl Layer for ActivationLayer {
    layer_flags!(per_sample, downcast);
    layer_common!("Activation");
    same_as_input!(mask);
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        Ok(vec![activated_shape(
            &self.base,
            self.cfg.activation,
            s.clone(),
        )?])
    }
    fn pointwise(&self) -> Option<crate::Pointwise> {
        let act = self.cfg.activation;
        // Softmax, log-softmax and glu are per row, not per value.
        (!act.per_row()).then(|| crate::Pointwise::func(move |x: &mut [f32]| act.apply(x, 1)))
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let mut data = x.to_f32().into_owned();
        let mut shape = x.shape().to_vec();
        apply_activation(&self.base, self.cfg.activation, &mut data, &mut shape)?;
        Ok(vec![make_tensor(&self.base, shape, data)?])
    }
}

// ---------------------------------------------------------------------------
// Flatten
// ---------------------------------------------------------------------------

keras_config! {
    /// `Flatten`'s config (`data_format` only written when given).
    pub(crate) struct FlattenConfig |cx| {
        data_format: IfSet<DataFormat>,
    }
}

declared_layer! {
    /// `Flatten`: `[batch, ...] → [batch, prod(...)]`.
    pub struct Flatten(FlattenConfig);
}

impl Flatten {
    /// Whether a channels-first input of rank `rank` is moved to channels
    /// last first (as Keras flattens it).
    fn transposes(&self, rank: usize) -> bool {
        self.cfg.data_format.0 == Some(DataFormat::ChannelsFirst) && rank >= 3
    }
}

impl Layer for Flatten {
    layer_flags!(per_sample);
    layer_common!("Flatten");
    fn reshaped(&self, input: &[usize]) -> Option<Result<Vec<usize>>> {
        match input.split_first() {
            None => Some(Err(self.base.err("expects an input of rank >= 1"))),
            Some(_) if self.transposes(input.len()) => None,
            Some((&b, rest)) => Some(Ok(vec![b, rest.iter().product()])),
        }
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        if s.is_empty() {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let rest = s[1..].iter().try_fold(1usize, |acc, d| d.map(|d| acc * d));
        Ok(vec![vec![s[0], rest]])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        if x.rank() == 0 {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let b = x.shape()[0];
        let rest: usize = x.shape()[1..].iter().product();
        let t = if self.transposes(x.rank()) {
            transpose_tensor(x, &perm_to_channels_last(x.rank()))
        } else {
            x.clone()
        };
        Ok(vec![t.reshape(vec![b, rest])?])
    }
}

// ---------------------------------------------------------------------------
// Reshape
// ---------------------------------------------------------------------------

/// A `target_shape`: `None` is `-1`/`null` (inferred; at most one), written
/// back as `null`, as TF.js does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetShape(Vec<Option<usize>>);

impl KerasValue for TargetShape {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        let arr = v
            .as_array()
            .ok_or_else(|| cx.cfg.err(key, "expected a list of integers"))?;
        let mut target = Vec::with_capacity(arr.len());
        for d in arr {
            match i64::parse(cx, key, d).ok() {
                // TF.js stores an unknown dim as null (and writes null); Keras writes -1.
                None if d.is_null() => target.push(None),
                Some(-1) => target.push(None),
                Some(x) if x >= 0 => target.push(Some(x as usize)),
                _ => {
                    return Err(cx.cfg.err(
                        key,
                        format!("dimensions must be non-negative integers, -1 or null, got {d}"),
                    ))
                }
            }
        }
        if target.iter().filter(|d| d.is_none()).count() > 1 {
            return Err(cx
                .cfg
                .err(key, "can only specify one unknown dimension (-1)"));
        }
        Ok(TargetShape(target))
    }
    fn to_value(&self) -> Option<Value> {
        Some(shape_value(&self.0))
    }
}

keras_config! {
    /// `Reshape`'s config.
    pub(crate) struct ReshapeConfig |cx| {
        target_shape: TargetShape,
    }
}

declared_layer! {
    /// `Reshape`: reshape the non-batch dims to `target_shape` (one `-1` allowed).
    pub struct Reshape(ReshapeConfig);
}

impl Reshape {
    fn resolve(&self, total: usize) -> Result<Vec<usize>> {
        let target = &self.cfg.target_shape.0;
        let known: usize = target.iter().flatten().product();
        let unknown = target.iter().any(|d| d.is_none());
        if (unknown && (known == 0 || !total.is_multiple_of(known))) || (!unknown && known != total)
        {
            return Err(self.base.err(format!(
                "total size of new array must be unchanged: input has {total} values per sample, target_shape is {}",
                shape_value(target)
            )));
        }
        Ok(target
            .iter()
            .map(|d| d.unwrap_or(total.checked_div(known).unwrap_or(0)))
            .collect())
    }
}

impl Layer for Reshape {
    layer_flags!(per_sample);
    layer_common!("Reshape");
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        if s.is_empty() {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let total = s[1..].iter().try_fold(1usize, |a, d| d.map(|d| a * d));
        let mut out = vec![s[0]];
        match total {
            Some(t) => out.extend(self.resolve(t)?.into_iter().map(Some)),
            None => out.extend(self.cfg.target_shape.0.iter().copied()),
        }
        Ok(vec![out])
    }
    fn reshaped(&self, input: &[usize]) -> Option<Result<Vec<usize>>> {
        let Some((&b, rest)) = input.split_first() else {
            return Some(Err(self.base.err("expects an input of rank >= 1")));
        };
        let total: usize = rest.iter().product();
        Some(self.resolve(total).map(|dims| {
            let mut shape = vec![b];
            shape.extend(dims);
            shape
        }))
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let shape = self
            .reshaped(x.shape())
            .unwrap_or_else(|| Err(self.base.err("expects an input of rank >= 1")))?;
        Ok(vec![x.clone().reshape(shape)?])
    }
}

// ---------------------------------------------------------------------------
// Permute
// ---------------------------------------------------------------------------

/// Permute's `dims`: a permutation of `1..=n` (1-based, batch excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Permutation(Vec<usize>);

impl KerasValue for Permutation {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        let arr = v
            .as_array()
            .ok_or_else(|| cx.cfg.err(key, "expected a list of integers"))?;
        let dims = arr
            .iter()
            .map(|d| usize::parse(cx, key, d))
            .collect::<Result<Vec<_>>>()
            .map_err(|_| {
                cx.cfg
                    .err(key, format!("expected positive integers, got {v}"))
            })?;
        let mut sorted = dims.clone();
        sorted.sort_unstable();
        if sorted != (1..=dims.len()).collect::<Vec<_>>() {
            return Err(cx.cfg.err(
                key,
                format!("must be a permutation of 1..={}, got {v}", dims.len()),
            ));
        }
        Ok(Permutation(dims))
    }
    fn to_value(&self) -> Option<Value> {
        Some(ints(&self.0))
    }
}

keras_config! {
    /// `Permute`'s config.
    pub(crate) struct PermuteConfig |cx| {
        dims: Permutation,
    }
}

declared_layer! {
    /// `Permute`: permute the non-batch dims (`dims` are 1-based).
    pub struct Permute(PermuteConfig);
}

impl Permute {
    fn perm(&self) -> Vec<usize> {
        let mut p = vec![0];
        p.extend(self.cfg.dims.0.iter().copied());
        p
    }
}

impl Layer for Permute {
    layer_flags!(per_sample);
    layer_common!("Permute");
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        check_rank(
            &self.base,
            s.len(),
            self.cfg.dims.0.len() + 1,
            "batch + dims",
        )?;
        Ok(vec![permute_shape(s, &self.perm())])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        check_rank(
            &self.base,
            x.rank(),
            self.cfg.dims.0.len() + 1,
            "batch + dims",
        )?;
        Ok(vec![transpose_tensor(x, &self.perm())])
    }
}

// ---------------------------------------------------------------------------
// RepeatVector
// ---------------------------------------------------------------------------

keras_config! {
    /// `RepeatVector`'s config.
    pub(crate) struct RepeatVectorConfig |cx| {
        n: usize,
    }
}

declared_layer! {
    /// `RepeatVector`: `[batch, f] → [batch, n, f]`.
    pub struct RepeatVector(RepeatVectorConfig);
}

impl Layer for RepeatVector {
    layer_flags!(per_sample);
    layer_common!("RepeatVector");
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        check_rank(&self.base, s.len(), 2, "[batch, features]")?;
        Ok(vec![vec![s[0], Some(self.cfg.n), s[1]]])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        check_rank(&self.base, x.rank(), 2, "[batch, features]")?;
        let (b, f, n) = (x.shape()[0], x.shape()[1], self.cfg.n);
        let data = x.to_f32();
        let mut out = Vec::with_capacity(b * n * f);
        for row in data.chunks(f.max(1)).take(b) {
            for _ in 0..n {
                out.extend_from_slice(row);
            }
        }
        out.resize(b * n * f, 0.0);
        Ok(vec![make_tensor(&self.base, vec![b, n, f], out)?])
    }
}

// ---------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------

keras_config! {
    /// `Masking`'s config.
    pub(crate) struct MaskingConfig |cx| {
        mask_value: f64 = 0.0,
    }
}

declared_layer! {
    /// `Masking`: time steps whose features all equal `mask_value` are masked
    /// (and zeroed).
    pub struct Masking(MaskingConfig);
}

impl Masking {
    /// `[batch, time]` (for rank ≥ 3 inputs, all leading dims but the last)
    /// 0/1 flags: 1 where any feature differs from `mask_value`.
    fn flags(&self, x: &Tensor) -> Result<(Vec<usize>, Vec<f32>)> {
        if x.rank() < 2 {
            return Err(self.base.err("expects an input of rank >= 2"));
        }
        let f = *x.shape().last().expect("rank >= 2");
        let data = x.to_f32();
        let mv = self.cfg.mask_value as f32;
        let flags: Vec<f32> = data
            .chunks(f.max(1))
            .map(|row| {
                if row.iter().any(|&v| v != mv) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        Ok((x.shape()[..x.rank() - 1].to_vec(), flags))
    }
}

impl Layer for Masking {
    layer_common!("Masking");
    same_as_input!(shape);
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let (_, flags) = self.flags(x)?;
        let f = *x.shape().last().expect("rank >= 2");
        let mut data = x.to_f32().into_owned();
        for (row, &keep) in data.chunks_mut(f.max(1)).zip(&flags) {
            if keep == 0.0 {
                row.iter_mut().for_each(|v| *v = 0.0);
            }
        }
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), data)?])
    }
    fn compute_mask(
        &self,
        inputs: &[Tensor],
        _masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let x = one_input(&self.base, inputs)?;
        let (shape, flags) = self.flags(x)?;
        Ok(vec![Some(make_tensor(&self.base, shape, flags)?)])
    }
}

// ---------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------

/// Register the core classes.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["InputLayer"], InputLayer::from_config);
    register_layer(registry, &["Dense"], Dense::from_config);
    register_layer(registry, &["Activation"], ActivationLayer::from_config);
    register_layer(registry, &["Flatten"], Flatten::from_config);
    register_layer(registry, &["Reshape"], Reshape::from_config);
    register_layer(registry, &["Permute"], Permute::from_config);
    register_layer(registry, &["RepeatVector"], RepeatVector::from_config);
    register_layer(registry, &["Masking"], Masking::from_config);
}

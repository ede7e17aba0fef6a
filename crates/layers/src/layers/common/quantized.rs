//! What Keras 3's quantized layers (`Dense`, `EinsumDense`, `Embedding`
//! after `model.quantize(mode)`) share: how their weights are quantized
//! (the dtype policy's mode), the quantizer of their inputs (the
//! `quantization_config`'s `activation_quantizer`), and the int4
//! sub-channel dequantization.
//!
//! The math follows Keras 3.15's TensorFlow backend (`layers/core/dense.py`
//! `_int8_call` / `_int4_call`, `quantizers/quantizers.py`):
//!
//! - `int8`: int8 weights and a float32 scale per output channel; the
//!   inputs are quantized on every call by an `AbsMaxQuantizer` (per row,
//!   `scale = 127 / (max |x| + 1e-7)`, rounded half to even) unless the
//!   config has none, the product is summed exactly in int32, and each
//!   output divided by `kernel_scale * inputs_scale`.
//! - `int4/-1`: two int4 values per byte, a scale per output channel, the
//!   same computation (inputs quantized only when configured).
//! - `int4/<block>`: a scale and an int zero point per group of `block`
//!   input rows; the kernel is dequantized (`(q - zero) * scale`) and
//!   multiplied in float32.
//! - `float8`: float32 weights; inputs and kernel rounded to float8 e4m3
//!   through their saved scales, the bias to bfloat16.
//! - `gptq/<bits>/<group>`, `awq/4/<group>` (Dense and EinsumDense,
//!   `_gptq_call` / `_awq_call`): a `[units, in]` kernel of unsigned
//!   integers (4-bit: packed two per byte along the units, low nibble
//!   first), dequantized as `(q - zero) * scale` by each input row's group
//!   (`g_idx`), transposed, and for AWQ divided by the row's `awq_scales`
//!   (an EinsumDense's `[in, units]` view of its kernel then reshaped to
//!   the kernel's shape); then a float32 matmul / einsum: weight-only, so
//!   the engine dequantizes once ([`dequantize_calibrated`]) and runs the
//!   float layer.
//!
//! A layer quantized from `mixed_bfloat16` (int8, int4) or `mixed_float16`
//! (int4) computes each of those ops in its compute type, as TensorFlow
//! does: the input quantizer's scale and products, the int32 sums cast,
//! the kernel scales (Keras casts them), the dequantized int4 kernel, each
//! quotient and the bias add are rounded ([`Quantization::compute`]).

use super::dtype::{Calibration, Precision, QuantMode};
use super::{Base, Params};
use crate::config::ConfigReader;
use crate::{LayersError, Result};
use serde_json::{Map, Value};

/// Keras's `AbsMaxQuantizer` as an input quantizer: values scaled into
/// `[lo, hi]` by `hi / (max |x| + epsilon)` and rounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AbsMax {
    pub lo: f32,
    pub hi: f32,
    pub epsilon: f32,
}

impl Default for AbsMax {
    /// `AbsMaxQuantizer()`: `value_range=(-127, 127)`, `epsilon=1e-7`.
    fn default() -> Self {
        AbsMax {
            lo: -127.0,
            hi: 127.0,
            epsilon: 1e-7,
        }
    }
}

impl AbsMax {
    /// Quantize `x` (of `shape`) over the axes `reduced`, computing in
    /// `compute` (Keras quantizes the inputs in the layer's compute
    /// dtype): the integer values (as f32) and the scales (`shape` with
    /// the reduced axes of size 1).
    pub fn quantize(
        &self,
        x: &[f32],
        shape: &[usize],
        reduced: &[usize],
        compute: Precision,
    ) -> (Vec<f32>, Vec<f32>) {
        let range = (self.lo, self.hi);
        tfjs_kernels::quant::abs_max_quantize_in(x, shape, reduced, range, self.epsilon, |v| {
            compute.round_one(v)
        })
    }

    /// An `AbsMaxQuantizer`'s serialized config.
    fn read(v: &Value) -> std::result::Result<AbsMax, String> {
        let class = v.get("class_name").and_then(Value::as_str).unwrap_or("");
        if class != "AbsMaxQuantizer" {
            return Err(format!(
                "activation_quantizer {v}: only Keras's AbsMaxQuantizer is supported"
            ));
        }
        let c = v.get("config").and_then(Value::as_object);
        let num = |k: &str| c.and_then(|c| c.get(k)).and_then(Value::as_f64);
        let mut q = AbsMax::default();
        if let Some(r) = c.and_then(|c| c.get("value_range")) {
            match r
                .as_array()
                .map(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<_>>>())
            {
                Some(Some(r))
                    if r.len() == 2 && r[0] < r[1] && r[0] >= -32768.0 && r[1] <= 32767.0 =>
                {
                    (q.lo, q.hi) = (r[0] as f32, r[1] as f32)
                }
                _ => {
                    return Err(format!(
                    "AbsMaxQuantizer value_range {r}: expected [low, high] integers, low < high"
                ))
                }
            }
        }
        if let Some(e) = num("epsilon") {
            if !(e.is_finite() && e >= 0.0) {
                return Err(format!(
                    "AbsMaxQuantizer epsilon {e}: expected a non-negative number"
                ));
            }
            q.epsilon = e as f32;
        }
        Ok(q)
    }
}

/// A quantized layer's setup: its policy's mode, its input quantizer and
/// (int4) block size, and its `quantization_config` as read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quantization {
    pub mode: QuantMode,
    /// Quantizes the inputs on every call (`int8`, and `int4` when its
    /// config gives one).
    pub inputs: Option<AbsMax>,
    /// `int4`'s group of input rows sharing a scale and zero point; `None`:
    /// a scale per output channel.
    pub block_size: Option<usize>,
    /// The float type the layer computes in (`int8_from_mixed_bfloat16`:
    /// bfloat16, `int4/…_from_mixed_float16`: float16); each op of Keras's
    /// quantized call rounds to it.
    pub compute: Precision,
    /// `quantization_config` as read (written back with the layer).
    config: Value,
}

impl Quantization {
    /// The quantization of a layer of class `class` whose base is `base`
    /// (`None` for a float layer). `float8` says whether the layer has a
    /// float8 mode (Keras's Embedding has not). GPTQ / AWQ weights of other
    /// layers than Dense and EinsumDense (or computing in float16 /
    /// bfloat16), int8 layers
    /// computing in float16 (Keras refuses to quantize them) and float8
    /// layers computing in float16 / bfloat16 are refused by name.
    pub fn read(
        cfg: &ConfigReader<'_>,
        base: &Base,
        class: &str,
        float8: bool,
    ) -> Result<Option<Quantization>> {
        let Some(mode) = base.policy.quantization.clone() else {
            return Ok(None);
        };
        let policy = &base.policy.name;
        let refuse = |why: String| {
            Err(cfg.err(
                "dtype",
                format!("{class} with dtype policy `{policy}`: {why}"),
            ))
        };
        match &mode {
            QuantMode::Calibrated { method, .. } if !matches!(class, "Dense" | "EinsumDense") => {
                return refuse(format!(
                    "{} weights are supported for Dense and EinsumDense only; int8, int4{} are",
                    method.name().to_uppercase(),
                    if float8 { " and float8" } else { "" }
                ))
            }
            QuantMode::Calibrated { method, .. } if base.policy.compute != Precision::F32 => {
                return refuse(format!(
                    "{} weights are supported for layers computing in float32 only",
                    method.name().to_uppercase()
                ))
            }
            QuantMode::Float8 { .. } if !float8 => {
                return refuse("Keras has no float8 mode for this layer".into())
            }
            _ => {}
        }
        match (&mode, base.policy.compute) {
            (QuantMode::Int8, Precision::F16) => {
                return refuse(
                    "int8 layers computing in float16 are not supported (Keras refuses to quantize them)"
                        .into(),
                )
            }
            (QuantMode::Float8 { .. }, Precision::F16 | Precision::BF16) => {
                return refuse(
                    "float8 layers computing in float16 / bfloat16 are not supported (only those quantized from float32)"
                        .into(),
                )
            }
            _ => {}
        }
        let config = cfg
            .get("quantization_config")
            .cloned()
            .unwrap_or(Value::Null);
        let qc = config.get("config");
        let inputs = match qc.and_then(|c| c.get("activation_quantizer")) {
            // No config: the mode's default quantizer.
            None if qc.is_none() => match mode {
                QuantMode::Int8 => Some(AbsMax::default()),
                _ => None,
            },
            None | Some(Value::Null) => None,
            Some(q) => Some(AbsMax::read(q).map_err(|e| cfg.err("quantization_config", e))?),
        };
        let block_size = match (&mode, qc.and_then(|c| c.get("block_size"))) {
            (QuantMode::Int4 { .. }, Some(b)) if !b.is_null() => match b.as_i64() {
                Some(-1) => None,
                Some(b) if b > 0 => Some(b as usize),
                _ => {
                    return Err(cfg.err(
                        "quantization_config",
                        format!("block_size {b}: expected -1, null or a positive integer"),
                    ))
                }
            },
            (QuantMode::Int4 { .. }, Some(_)) => None,
            (QuantMode::Int4 { block_size }, None) => *block_size,
            _ => None,
        };
        let mode = match mode {
            QuantMode::Calibrated {
                method,
                bits,
                group_size,
            } => calibrated_config(cfg, qc, method, bits, group_size)?,
            other => other,
        };
        Ok(Some(Quantization {
            mode,
            inputs,
            block_size,
            compute: base.policy.compute,
            config,
        }))
    }

    /// Write `quantization_config` back.
    pub fn write(&self, m: &mut Map<String, Value>) {
        m.insert("quantization_config".into(), self.config.clone());
    }
}

/// A GPTQ / AWQ layer's bits and group size: its `quantization_config`'s
/// (`GPTQConfig` / `AWQConfig`, which Keras prefers when the layer has
/// one), else its policy's.
fn calibrated_config(
    cfg: &ConfigReader<'_>,
    qc: Option<&Value>,
    method: Calibration,
    bits: u8,
    group_size: Option<usize>,
) -> Result<QuantMode> {
    let Some(qc) = qc.filter(|c| c.is_object()) else {
        return Ok(QuantMode::Calibrated {
            method,
            bits,
            group_size,
        });
    };
    let bad = |why: String| Err(cfg.err("quantization_config", why));
    let bits = match qc.get("weight_bits").map(Value::as_u64) {
        None => bits,
        Some(Some(b @ (2 | 3 | 4 | 8))) if method == Calibration::Gptq || b == 4 => b as u8,
        Some(_) => {
            return bad(format!(
                "weight_bits {}: Keras's {} supports {}",
                qc["weight_bits"],
                method.name(),
                if method == Calibration::Gptq {
                    "2, 3, 4 and 8"
                } else {
                    "4"
                }
            ))
        }
    };
    let group_size = match qc.get("group_size").map(Value::as_i64) {
        None => group_size,
        Some(Some(-1)) => None,
        Some(Some(g)) if g > 0 => usize::try_from(g).ok(),
        Some(_) => {
            return bad(format!(
                "group_size {}: expected -1 or a positive integer",
                qc["group_size"]
            ))
        }
    };
    Ok(QuantMode::Calibrated {
        method,
        bits,
        group_size,
    })
}

/// A GPTQ / AWQ layer's weights as stored (Keras's names): the quantized
/// `kernel` (`[units, in]`, 4-bit packed to `[ceil(units / 2), in]`),
/// `kernel_scale` and `kernel_zero` (`[units, groups]`; saved as
/// [`calibrated_zero_name`]), `g_idx` (each input row's group) and, for
/// AWQ, `awq_scales` (`[in]`). An EinsumDense's `in` and `units` are
/// Keras's split of its kernel (see `einsum_dense::calibrated_matrix`).
pub(crate) struct CalibratedWeights<'a> {
    pub kernel: &'a [i32],
    pub kernel_scale: &'a [f32],
    pub kernel_zero: &'a [i32],
    pub g_idx: &'a [f32],
    pub awq_scales: Option<&'a [f32]>,
}

/// The float `[in, units]` kernel of a GPTQ / AWQ layer as Keras's
/// `_gptq_call` / `_awq_call` compute it, bit for bit: `W[i][u] =
/// (q[u][i] - zero[u][g]) * scale[u][g]` with `g = g_idx[i]`, for AWQ then
/// divided by `awq_scales[i]`. A value no uint8 holds, a group index out
/// of range or a weight of the wrong size is an error naming the layer
/// and the weight.
pub(crate) fn dequantize_calibrated(
    layer: &str,
    w: &CalibratedWeights<'_>,
    bits: u8,
    (k, n): (usize, usize),
) -> Result<Vec<f32>> {
    let err = |what: &str, why: String| LayersError::config(layer, format!("{what}: {why}"));
    let packed = bits == 4;
    let rows = if packed { n.div_ceil(2) } else { n };
    if rows.checked_mul(k) != Some(w.kernel.len()) {
        return Err(err(
            "kernel",
            format!("{} values, expected {rows} x {k}", w.kernel.len()),
        ));
    }
    let groups = w.kernel_scale.len() / n.max(1);
    if groups == 0
        || groups * n != w.kernel_scale.len()
        || w.kernel_zero.len() != w.kernel_scale.len()
    {
        return Err(err(
            "kernel_scale / kernel_zero",
            format!(
                "{} / {} values, expected {n} x groups each",
                w.kernel_scale.len(),
                w.kernel_zero.len()
            ),
        ));
    }
    if w.g_idx.len() != k || w.awq_scales.is_some_and(|a| a.len() != k) {
        return Err(err(
            "g_idx / awq_scales",
            format!("expected {k} values each"),
        ));
    }
    let uint8 = |what: &str, v: &[i32]| match v.iter().position(|q| !(0..=255).contains(q)) {
        Some(at) => Err(err(what, format!("value {} at {at} is not a uint8", v[at]))),
        None => Ok(()),
    };
    uint8("kernel", w.kernel)?;
    uint8("kernel_zero", w.kernel_zero)?;
    let mut group_of = Vec::with_capacity(k);
    for (i, &g) in w.g_idx.iter().enumerate() {
        // Keras casts the float g_idx to int32 (truncating).
        if !(g >= 0.0 && (g as usize) < groups) {
            return Err(err(
                "g_idx",
                format!("g_idx[{i}] = {g} is not a group index in [0, {groups})"),
            ));
        }
        group_of.push(g as usize);
    }
    let q = |u: usize, i: usize| -> f32 {
        let v = if packed {
            // Unit 2j in the low nibble of packed row j, 2j + 1 in the high.
            (w.kernel[(u / 2) * k + i] >> (4 * (u % 2))) & 0xF
        } else {
            w.kernel[u * k + i]
        };
        v as f32
    };
    let mut out = Vec::with_capacity(k * n);
    for (i, &g) in group_of.iter().enumerate() {
        for u in 0..n {
            let at = u * groups + g;
            let mut v = (q(u, i) - w.kernel_zero[at] as f32) * w.kernel_scale[at];
            if let Some(a) = w.awq_scales {
                v /= a[i];
            }
            out.push(v);
        }
    }
    Ok(out)
}

/// The float `[k, n]` kernel of a GPTQ / AWQ layer in `mode` from its
/// weights `w` (Keras's order, [`add_calibrated_weights`]'s, the quantized
/// kernel at `at`): [`dequantize_calibrated`].
pub(crate) fn dequantize_calibrated_at(
    layer: &str,
    w: &[&crate::Tensor],
    at: usize,
    mode: &QuantMode,
    (k, n): (usize, usize),
) -> Result<Vec<f32>> {
    let QuantMode::Calibrated { method, bits, .. } = mode else {
        return Err(LayersError::config(layer, "not a GPTQ / AWQ layer"));
    };
    let awq = usize::from(*method == Calibration::Awq);
    let weight = |i: usize| {
        w.get(at + i)
            .copied()
            .ok_or_else(|| LayersError::config(layer, format!("no GPTQ / AWQ weight #{}", at + i)))
    };
    let kernel_scale = weight(1)?.to_f32();
    let g_idx = weight(3 + awq)?.to_f32();
    let awq_scales = match awq {
        1 => Some(weight(3)?.to_f32()),
        _ => None,
    };
    dequantize_calibrated(
        layer,
        &CalibratedWeights {
            kernel: &int_values(weight(0)?),
            kernel_scale: &kernel_scale,
            kernel_zero: &int_values(weight(2)?),
            g_idx: &g_idx,
            awq_scales: awq_scales.as_deref(),
        },
        *bits,
        (k, n),
    )
}

/// The name of a GPTQ / AWQ layer's zero points (its `kernel_zero`
/// attribute) as Keras 3.15 saves them: `kernel_zero` for a Dense
/// (`dense.py` `_gptq_build`), `zero_point` for an EinsumDense
/// (`einsum_dense.py` `_gptq_build` / `_awq_build`).
pub(crate) fn calibrated_zero_name(class: &str) -> &'static str {
    match class {
        "EinsumDense" => "zero_point",
        _ => "kernel_zero",
    }
}

/// A GPTQ / AWQ layer's weights after the bias, in Keras's order (see
/// [`CalibratedWeights`]), at Keras's initial values: `kernel`,
/// `kernel_scale`, the zero points (named for `class`,
/// [`calibrated_zero_name`]), (AWQ) `awq_scales`, `g_idx`.
pub(crate) fn add_calibrated_weights(
    params: &mut Params,
    class: &str,
    (k, n): (usize, usize),
    method: Calibration,
    bits: u8,
    group_size: Option<usize>,
) -> Result<()> {
    let rows = if bits == 4 { n.div_ceil(2) } else { n };
    let groups = group_size.map_or(1, |g| k.div_ceil(g));
    params.add_int("kernel", vec![rows, k], false)?;
    params.add("kernel_scale", vec![n, groups], false, 1.0)?;
    params.add_int(calibrated_zero_name(class), vec![n, groups], false)?;
    if method == Calibration::Awq {
        params.add("awq_scales", vec![k], false, 1.0)?;
    }
    params.add("g_idx", vec![k], false, 0.0)
}

/// The weights of an int4 sub-channel kernel dequantized as Keras's
/// `dequantize_with_sz_map` (group axis 0): `(q[r][c] - zero[g][c]) *
/// scale[g][c]` with `g = g_idx[r]`, for `rows × cols` values `q` and
/// `[groups, cols]` `scale` / `zero`. A group index out of range is an
/// error naming the layer.
pub(crate) fn dequantize_grouped(
    layer: &str,
    q: &[i32],
    (rows, cols): (usize, usize),
    scale: &[f32],
    zero: &[f32],
    g_idx: &[f32],
) -> Result<Vec<f32>> {
    let groups = scale.len() / cols.max(1);
    let mut out = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        let g = g_idx[r];
        // Keras casts the float g_idx to int32 (truncating).
        if !(g >= 0.0 && (g as usize) < groups) {
            return Err(LayersError::config(
                layer,
                format!("g_idx[{r}] = {g} is not a group index in [0, {groups})"),
            ));
        }
        let at = g as usize * cols;
        for c in 0..cols {
            out.push((q[r * cols + c] as f32 - zero[at + c]) * scale[at + c]);
        }
    }
    Ok(out)
}

/// One row of an int4 table whose groups run along the row (Keras's group
/// axis -1, an `Embedding`'s): `(q[c] - zero[g]) * scale[g]` with
/// `g = g_idx[c]`, appended to `out`; `scale` and `zero` are the row's
/// per-group values. A group index out of range is an error naming the
/// layer.
pub(crate) fn dequantize_row_grouped(
    layer: &str,
    q: &[i32],
    (scale, zero): (&[f32], &[f32]),
    g_idx: &[f32],
    out: &mut Vec<f32>,
) -> Result<()> {
    let groups = scale.len().min(zero.len());
    for (c, &v) in q.iter().enumerate() {
        let g = g_idx.get(c).copied().unwrap_or(-1.0);
        // Keras casts the float g_idx to int32 (truncating).
        if !(g >= 0.0 && (g as usize) < groups) {
            return Err(LayersError::config(
                layer,
                format!("g_idx[{c}] = {g} is not a group index in [0, {groups})"),
            ));
        }
        let g = g as usize;
        out.push((v as f32 - zero[g]) * scale[g]);
    }
    Ok(())
}

/// Keras's `quantize_and_dequantize` to float8 e4m3fn: each value divided
/// by `scale`, clipped to ±448, rounded to e4m3 and multiplied back.
pub(crate) fn float8_qdq(x: &mut [f32], scale: f32) {
    for v in x {
        let q = (*v / scale).clamp(-448.0, 448.0);
        *v = tfjs_kernels::quant::round_to_e4m3(q) * scale;
    }
}

/// The int values of a weight that holds integers (stored int32, or as
/// float32 by a file that converted them).
pub(crate) fn int_values(t: &crate::Tensor) -> std::borrow::Cow<'_, [i32]> {
    match t.data() {
        crate::TensorData::I32(v) => std::borrow::Cow::Borrowed(v),
        _ => std::borrow::Cow::Owned(t.to_f32().iter().map(|&x| x as i32).collect()),
    }
}

/// An int4 kernel's scales, declared after the packed kernel (and bias) in
/// Keras's saving order: one per output column (`cols`), or with `block`
/// one per group of `block` input rows and column, then the groups' zero
/// points and each input row's group (`g_idx`, initially `row / block`; a
/// file overwrites it).
pub(crate) fn add_int4_scales(
    params: &mut Params,
    layer: &str,
    rows: usize,
    cols: usize,
    block: Option<usize>,
) -> Result<()> {
    let Some(block) = block else {
        return params.add("kernel_scale", vec![cols], false, 1.0);
    };
    let groups = vec![rows.div_ceil(block), cols];
    params.add("kernel_scale", groups.clone(), false, 1.0)?;
    params.add_int("kernel_zero", groups, false)?;
    params.add("g_idx", vec![rows], false, 0.0)?;
    let at = params.values().len() - 1;
    let g: Vec<f32> = (0..rows).map(|r| (r / block) as f32).collect();
    params.set(layer, at, crate::Tensor::from_f32(vec![rows], g)?)
}

/// A float8 layer's scales and amax histories (`amax_history_length`
/// long) for its inputs, kernel and output gradients, in Keras's order.
pub(crate) fn add_float8_scales(params: &mut Params, amax_history_length: usize) -> Result<()> {
    for what in ["inputs", "kernel", "outputs_grad"] {
        params.add(&format!("{what}_scale"), vec![], true, 1.0)?;
        params.add(
            &format!("{what}_amax_history"),
            vec![amax_history_length],
            true,
            0.0,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibrated_kernels_unpack_dequantize_and_check_their_weights() {
        // 3 units, 2 inputs, 4-bit: packed rows [u0 | u1 << 4], [u2].
        let kernel = [1 | (2 << 4), 15, 3, 0];
        let w = CalibratedWeights {
            kernel: &kernel,
            kernel_scale: &[0.5, 2.0, 1.0, 4.0, 0.25, 1.0],
            kernel_zero: &[1, 0, 2, 0, 0, 8],
            g_idx: &[1.0, 0.0],
            awq_scales: None,
        };
        let k = dequantize_calibrated("d", &w, 4, (2, 3)).unwrap();
        // W[i][u] = (q[u][i] - zero[u][g]) * scale[u][g], g = g_idx[i].
        assert_eq!(k, [2.0, 8.0, -5.0, 7.0, -2.0, 0.0]);
        let awq = dequantize_calibrated(
            "d",
            &CalibratedWeights {
                awq_scales: Some(&[2.0, 0.5]),
                ..w
            },
            4,
            (2, 3),
        )
        .unwrap();
        assert_eq!(awq, [1.0, 4.0, -2.5, 14.0, -4.0, 0.0]);
        // 8 bits: one value per byte, `[units, in]`.
        let w8 = CalibratedWeights {
            kernel: &[200, 1, 2, 3, 4, 5],
            ..w
        };
        let k8 = dequantize_calibrated("d", &w8, 8, (2, 3)).unwrap();
        assert_eq!(k8[0], (200.0 - 0.0) * 2.0);
        let bad_group = CalibratedWeights {
            g_idx: &[2.0, 0.0],
            ..w
        };
        let e = dequantize_calibrated("d", &bad_group, 4, (2, 3)).unwrap_err();
        assert!(e.to_string().contains("g_idx[0] = 2"), "{e}");
        let bad_byte = CalibratedWeights {
            kernel: &[256, 0, 0, 0],
            ..w
        };
        let e = dequantize_calibrated("d", &bad_byte, 4, (2, 3)).unwrap_err();
        assert!(e.to_string().contains("kernel: value 256"), "{e}");
        assert!(dequantize_calibrated("d", &w, 8, (2, 3)).is_err());
    }

    #[test]
    fn calibrated_modes_prefer_their_config_and_are_read_for_dense_and_einsum_dense_only() {
        let c = serde_json::json!({"name": "e",
            "dtype": {"class_name": "GPTQDTypePolicy",
                      "config": {"mode": "gptq/4/8", "source_name": "float32"}},
            "quantization_config": {"class_name": "GPTQConfig",
                                    "config": {"weight_bits": 8, "group_size": -1}}});
        let cfg = ConfigReader::new("e", c.as_object().unwrap());
        let base = Base::parse_quantizable(&cfg).unwrap();
        let q = Quantization::read(&cfg, &base, "Dense", true)
            .unwrap()
            .unwrap();
        assert_eq!(
            q.mode,
            QuantMode::Calibrated {
                method: Calibration::Gptq,
                bits: 8,
                group_size: None
            }
        );
        assert!(Quantization::read(&cfg, &base, "EinsumDense", true).is_ok());
        let e = Quantization::read(&cfg, &base, "Embedding", false).unwrap_err();
        assert!(
            e.to_string()
                .contains("GPTQ weights are supported for Dense and EinsumDense only"),
            "{e}"
        );
    }
}

//! `EinsumDense` (Keras 2 and 3; TensorFlow.js 4.22 has no such layer):
//! `activation(einsum(equation, x, kernel) + bias)`, the projection layer
//! of Keras's attention and of many transformer blocks.
//!
//! The shapes follow Keras's `_analyze_split_string`: the kernel takes
//! each of its letters' sizes from the input or from `output_shape` (the
//! output without its batch dimension); an equation may elide leading
//! (`"...b,bc->...c"`) or trailing (`"ab...,bc->ac..."`) input dimensions,
//! which pass through to the output; the bias covers the output from the
//! first of `bias_axes` on, with size 1 on the axes not in `bias_axes`.
//!
//! A GPTQ / AWQ EinsumDense (Keras 3.15 `_gptq_build` / `_awq_build`)
//! holds its bias, then its kernel quantized as a `[rows, columns]` matrix
//! ([`calibrated_matrix`]) as a Dense's is; its kernel is dequantized once,
//! as Keras's `_gptq_call` / `_awq_call` do, and it runs as the float layer.

use super::common::quantized::{
    add_calibrated_weights, add_float8_scales, add_int4_scales, dequantize_calibrated_at,
    dequantize_grouped, float8_qdq, int_values, Quantization,
};
use super::common::*;
use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::{Map, Value};
use tfjs_kernels::einsum::Equation;

/// Where an equation elides input dimensions.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Elided {
    None,
    /// `...ab,bc->...ac`: leading dimensions pass through.
    Left,
    /// `ab...,bc->ac...`: trailing dimensions pass through.
    Right,
}

/// The shapes an input shape gives the layer.
#[derive(Debug, Clone)]
struct Analysis {
    kernel: Vec<usize>,
    bias: Option<Vec<usize>>,
    /// The output shape with the batch dimension.
    output: Shape,
}

/// `EinsumDense`.
#[derive(Debug, Clone)]
pub struct EinsumDense {
    base: Base,
    /// The config as read (written back as is, with the base keys).
    raw: Map<String, Value>,
    input_spec: Vec<char>,
    kernel_spec: Vec<char>,
    output_spec: Vec<char>,
    elided: Elided,
    /// `output_shape` without the batch dimension.
    output_shape: Vec<Option<usize>>,
    bias_axes: Option<Vec<char>>,
    activation: Activation,
    params: Params,
    /// Keras 3's quantized EinsumDense (`int8`, `int4`, `float8`, `gptq`,
    /// `awq` policies): its weights and call follow Keras's.
    quant: Option<Quantization>,
}

impl EinsumDense {
    /// Build from a Keras config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let equation = cfg
            .required("equation")?
            .as_str()
            .ok_or_else(|| cfg.err("equation", "expected a string"))?
            .replace(' ', "");
        let (elided, body) = if let Some(rest) = equation.strip_prefix("...") {
            (Elided::Left, rest.replace("->...", "->"))
        } else if equation.contains("...,") && equation.ends_with("...") {
            (
                Elided::Right,
                equation
                    .replace("...,", ",")
                    .trim_end_matches("...")
                    .to_string(),
            )
        } else {
            (Elided::None, equation.clone())
        };
        let bad = |why: &str| {
            cfg.err(
                "equation",
                format!("{equation:?} is not an EinsumDense equation (`ab,bc->ac`, `...b,bc->...c` or `ab...,bc->ac...`): {why}"),
            )
        };
        let (lhs, out) = body.split_once("->").ok_or_else(|| bad("no `->`"))?;
        let (input, kernel) = lhs
            .split_once(',')
            .ok_or_else(|| bad("needs two operands"))?;
        let letters = |t: &str| -> Result<Vec<char>> {
            if t.is_empty() || !t.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(bad("terms are letters"));
            }
            Ok(t.chars().collect())
        };
        let (input_spec, kernel_spec, output_spec) =
            (letters(input)?, letters(kernel)?, letters(out)?);
        if body.contains("...") {
            return Err(bad(
                "an ellipsis only before the input and output, or after both",
            ));
        }
        let output_shape =
            match cfg.required("output_shape")? {
                Value::Array(dims) => dims
                    .iter()
                    .map(|d| match d {
                        Value::Null => Ok(None),
                        d => d.as_u64().map(|n| Some(n as usize)).ok_or(()),
                    })
                    .collect::<std::result::Result<Vec<_>, ()>>()
                    .map_err(|_| cfg.err("output_shape", "expected integers or null"))?,
                v => vec![Some(v.as_u64().ok_or_else(|| {
                    cfg.err("output_shape", "expected an integer or a list of them")
                })? as usize)],
            };
        let bias_axes = match cfg.get("bias_axes") {
            None => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => {
                let axes: Vec<char> = s.chars().collect();
                if let Some(c) = axes.iter().find(|c| !output_spec.contains(c)) {
                    return Err(cfg.err(
                        "bias_axes",
                        format!("`{c}` is not an output letter of {equation:?}"),
                    ));
                }
                Some(axes)
            }
            Some(v) => return Err(cfg.err("bias_axes", format!("expected a string, got {v}"))),
        };
        if let Some(mode) = cfg.get("quantization_mode") {
            return Err(cfg.err(
                "quantization_mode",
                format!("{mode}: quantized EinsumDense weights are not supported"),
            ));
        }
        let base = Base::parse_quantizable(cfg)?;
        let quant = Quantization::read(cfg, &base, "EinsumDense", true)?;
        if quant.is_some() && elided != Elided::None {
            // Keras 3.15's `_analyze_quantization_info` takes the input's
            // rank for its shape and fails on these: no such file loads.
            return Err(cfg.err(
                "equation",
                format!("{equation:?}: Keras cannot quantize an EinsumDense whose equation has an ellipsis"),
            ));
        }
        Ok(EinsumDense {
            base,
            quant,
            raw: Base::rest_of(cfg),
            input_spec,
            kernel_spec,
            output_spec,
            elided,
            output_shape,
            bias_axes,
            activation: activation_or(cfg, "activation", Activation::Linear)?,
            params: Params::default(),
        })
    }

    /// Keras's `_analyze_split_string` for an input of shape `input`.
    fn analyze(&self, input: &Shape) -> Result<Analysis> {
        let rank = input.len();
        let n_in = self.input_spec.len();
        if rank < n_in || (self.elided == Elided::None && rank != n_in) {
            return Err(self.base.err(format!(
                "expects an input of rank {}{n_in}, got shape {}",
                if self.elided == Elided::None {
                    ""
                } else {
                    "at least "
                },
                shape_str(input)
            )));
        }
        let elided = rank - n_in;
        let mut output: Shape = Vec::with_capacity(self.output_shape.len() + elided + 1);
        output.push(input[0]);
        match self.elided {
            Elided::Left => {
                output.extend(input[1..elided.max(1)].iter().copied());
                output.extend(self.output_shape.iter().copied());
            }
            Elided::Right => {
                output.extend(self.output_shape.iter().copied());
                output.extend(input[rank - elided..].iter().copied());
            }
            Elided::None => output.extend(self.output_shape.iter().copied()),
        }
        // Keras's left elision keeps input dims 1..elided and counts the
        // spec from the end; without elision the spec counts from the start.
        let in_axis = |c: char| -> Option<usize> {
            let i = self.input_spec.iter().position(|x| *x == c)?;
            Some(match self.elided {
                Elided::Left => rank - n_in + i,
                _ => i,
            })
        };
        let out_rank = output.len();
        let n_out = self.output_spec.len();
        let out_axis = |c: char| -> Option<usize> {
            let i = self.output_spec.iter().position(|x| *x == c)?;
            Some(match self.elided {
                Elided::Left => out_rank - n_out + i,
                _ => i,
            })
        };
        if out_rank < n_out {
            return Err(self.base.err(format!(
                "output_shape {:?} does not fit the equation's output `{}`",
                self.output_shape,
                self.output_spec.iter().collect::<String>()
            )));
        }
        // An output letter taken from the input has the input's size.
        for &c in &self.output_spec {
            match (in_axis(c), out_axis(c)) {
                (Some(i), Some(o)) => match (input[i], output[o]) {
                    (Some(a), Some(b)) if a != b => {
                        return Err(self.base.err(format!(
                            "letter `{c}`: the input has {a}, output_shape says {b}"
                        )))
                    }
                    (Some(a), None) => output[o] = Some(a),
                    _ => {}
                },
                (None, _) if !self.kernel_spec.contains(&c) => {
                    return Err(self.base.err(format!(
                        "output letter `{c}` is in neither the input nor the kernel"
                    )))
                }
                _ => {}
            }
        }
        let size = |c: char, what: &str| -> Result<usize> {
            let dim = in_axis(c)
                .map(|i| input[i])
                .or_else(|| out_axis(c).map(|o| output[o]));
            match dim {
                Some(Some(d)) => Ok(d),
                Some(None) => Err(self.base.err(format!(
                    "{what} letter `{c}` needs a known size (input shape {}, output_shape {:?})",
                    shape_str(input),
                    self.output_shape
                ))),
                None => Err(self.base.err(format!(
                    "{what} letter `{c}` is in neither the input nor the output"
                ))),
            }
        };
        let kernel = self
            .kernel_spec
            .iter()
            .map(|&c| size(c, "kernel"))
            .collect::<Result<Vec<_>>>()?;
        let bias = match &self.bias_axes {
            None => None,
            Some(axes) => {
                let first = self
                    .output_spec
                    .iter()
                    .position(|c| axes.contains(c))
                    .expect("bias axes are output letters");
                let mut shape = self.output_spec[first..]
                    .iter()
                    .map(|&c| {
                        if axes.contains(&c) {
                            size(c, "bias")
                        } else {
                            Ok(1)
                        }
                    })
                    .collect::<Result<Vec<_>>>()?;
                if self.elided == Elided::Right {
                    shape.extend(std::iter::repeat_n(1, elided));
                }
                Some(shape)
            }
        };
        Ok(Analysis {
            kernel,
            bias,
            output,
        })
    }

    /// The explicit equation for an input of rank `rank` (elided
    /// dimensions get letters of their own).
    fn explicit_equation(&self, rank: usize) -> Result<Equation> {
        let used: Vec<char> = [&self.input_spec[..], &self.kernel_spec, &self.output_spec].concat();
        let extra: String = ('a'..='z')
            .chain('A'..='Z')
            .filter(|c| !used.contains(c))
            .take(rank - self.input_spec.len())
            .collect();
        let (i, k, o) = (
            self.input_spec.iter().collect::<String>(),
            self.kernel_spec.iter().collect::<String>(),
            self.output_spec.iter().collect::<String>(),
        );
        let eq = match self.elided {
            Elided::Left => format!("{extra}{i},{k}->{extra}{o}"),
            Elided::Right => format!("{i}{extra},{k}->{o}{extra}"),
            Elided::None => format!("{i},{k}->{o}"),
        };
        Equation::parse(&eq).map_err(|e| self.base.err(e))
    }
}

/// Where Keras's quantized EinsumDense reduces and how it lays its scales
/// out against the output: `_analyze_quantization_info` for an equation
/// with explicit letters.
#[derive(Debug, Clone, PartialEq)]
struct QuantAxes {
    /// Input axes summed over (the input quantizer's axes).
    input_reduced: Vec<usize>,
    /// Kernel axes summed over (a kernel scale per position of the others).
    kernel_reduced: Vec<usize>,
    input: ScaleLayout,
    kernel: ScaleLayout,
}

/// `_adjust_scale_for_quant`: a scale (its operand's shape with the
/// reduced axes of size 1) transposed, expanded and squeezed so that it
/// broadcasts against the output.
#[derive(Debug, Clone, PartialEq, Default)]
struct ScaleLayout {
    transpose: Vec<usize>,
    expand: Vec<usize>,
    squeeze: Vec<usize>,
}

impl QuantAxes {
    /// Keras's analysis, its quirks included: a reduced axis with no
    /// output axis left to take its place is squeezed, and is inserted in
    /// the transpose at the position the previous one took (Python's loop
    /// variable), which starts as the output position of the kernel's last
    /// letter.
    fn of(input: &[char], kernel: &[char], output: &[char]) -> QuantAxes {
        let find = |spec: &[char], c: char| spec.iter().position(|&x| x == c);
        let reduced = |spec: &[char]| -> Vec<usize> {
            (0..spec.len())
                .filter(|&i| find(output, spec[i]).is_none())
                .collect()
        };
        let expand = |spec: &[char]| -> Vec<usize> {
            (0..output.len())
                .filter(|&i| find(spec, output[i]).is_none())
                .collect()
        };
        let transpose = |spec: &[char]| -> Vec<usize> {
            output.iter().filter_map(|&c| find(spec, c)).collect()
        };
        let (input_reduced, kernel_reduced) = (reduced(input), reduced(kernel));
        // Python's `index` after the reduced-axes loops.
        let mut index: i64 = kernel
            .last()
            .and_then(|&c| find(output, c))
            .map_or(-1, |i| i as i64);
        let mut layout = |spec: &[char], reduced: &[usize]| -> ScaleLayout {
            let mut l = ScaleLayout {
                transpose: transpose(spec),
                expand: expand(spec),
                squeeze: Vec::new(),
            };
            for &ori in reduced {
                if l.expand.is_empty() {
                    l.squeeze.push(ori);
                } else {
                    index = l.expand.remove(0) as i64;
                }
                // list.insert: a negative index counts from the end.
                let n = l.transpose.len() as i64;
                let at = if index < 0 {
                    (n + index).max(0)
                } else {
                    index.min(n)
                };
                l.transpose.insert(at as usize, ori);
            }
            l
        };
        let input_layout = layout(input, &input_reduced);
        let kernel_layout = layout(kernel, &kernel_reduced);
        QuantAxes {
            input_reduced,
            kernel_reduced,
            input: input_layout,
            kernel: kernel_layout,
        }
    }
}

impl ScaleLayout {
    /// Lay out `data` of `shape` (a scale with keepdims); the new data and
    /// shape.
    fn apply(&self, data: &[f32], shape: &[usize]) -> (Vec<f32>, Vec<usize>) {
        let (mut data, mut shape) = (data.to_vec(), shape.to_vec());
        if !self.transpose.is_empty() && self.transpose.len() == shape.len() {
            let new_shape: Vec<usize> = self.transpose.iter().map(|&a| shape[a]).collect();
            let mut strides = vec![1usize; shape.len()];
            for a in (0..shape.len().saturating_sub(1)).rev() {
                strides[a] = strides[a + 1] * shape[a + 1];
            }
            let mut out = Vec::with_capacity(data.len());
            let mut idx = vec![0usize; new_shape.len()];
            for _ in 0..data.len() {
                let at: usize = idx
                    .iter()
                    .zip(&self.transpose)
                    .map(|(i, &a)| i * strides[a])
                    .sum();
                out.push(data[at]);
                for d in (0..idx.len()).rev() {
                    idx[d] += 1;
                    if idx[d] < new_shape[d] {
                        break;
                    }
                    idx[d] = 0;
                }
            }
            (data, shape) = (out, new_shape);
        }
        for &a in &self.expand {
            shape.insert(a.min(shape.len()), 1);
        }
        let mut squeeze = self.squeeze.clone();
        squeeze.sort_unstable();
        for &a in squeeze.iter().rev() {
            if a < shape.len() && shape[a] == 1 {
                shape.remove(a);
            }
        }
        (data, shape)
    }
}

/// `out[i] /= denom(i)`, `denom` the product of `scales` (each broadcast
/// against `shape`, numpy-style from the right), multiplied first as
/// Keras does (`x / (inputs_scale * kernel_scale)`); the product and the
/// quotient rounded to `precision` (the layer's compute type).
fn divide_broadcast(
    out: &mut [f32],
    shape: &[usize],
    scales: &[(&[f32], &[usize])],
    precision: Precision,
) {
    let strides: Vec<Vec<usize>> = scales
        .iter()
        .map(|(_, s)| {
            let mut st = vec![0usize; shape.len()];
            let mut acc = 1usize;
            for k in 0..s.len().min(shape.len()) {
                let (a, d) = (shape.len() - 1 - k, s[s.len() - 1 - k]);
                st[a] = if d == 1 { 0 } else { acc };
                acc *= d;
            }
            st
        })
        .collect();
    let mut idx = vec![0usize; shape.len()];
    for v in out.iter_mut() {
        let mut denom: Option<f32> = None;
        for ((data, _), st) in scales.iter().zip(&strides) {
            let at: usize = idx.iter().zip(st).map(|(i, s)| i * s).sum();
            let x = data[at];
            denom = Some(denom.map_or(x, |d| d * x));
        }
        if let Some(d) = denom {
            *v = precision.round_one(*v / precision.round_one(d));
        }
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

impl EinsumDense {
    /// The explicit letters of the equation for an input of rank `rank`.
    fn quant_axes(&self, rank: usize) -> Result<(Equation, QuantAxes)> {
        let eq = self.explicit_equation(rank.max(self.input_spec.len()))?;
        let axes = QuantAxes::of(&eq.inputs[0], &eq.inputs[1], &eq.output);
        Ok((eq, axes))
    }

    /// `(rows, columns)` of Keras's int4 kernel: the kernel's reduced axes
    /// against the others (a plain reshape of the kernel, as Keras's).
    fn int4_matrix(kernel: &[usize], axes: &QuantAxes) -> (usize, usize) {
        let mut rows = 1;
        let mut cols = 1;
        for (i, &d) in kernel.iter().enumerate() {
            if axes.kernel_reduced.contains(&i) {
                rows *= d;
            } else {
                cols *= d;
            }
        }
        (rows, cols)
    }

    /// Keras's quantized weights of a kernel of shape `kernel`: the kernel
    /// itself, then (after the bias) the scales, in its saving order.
    fn build_quantized(
        &mut self,
        q: &Quantization,
        kernel: Vec<usize>,
        bias: Option<Vec<usize>>,
        rank: usize,
    ) -> Result<()> {
        let (_, axes) = self.quant_axes(rank)?;
        match (&q.mode, q.block_size) {
            (QuantMode::Int8, _) => {
                let mut scale = kernel.clone();
                for &a in &axes.kernel_reduced {
                    scale[a] = 1;
                }
                let n = scale.iter().product();
                let (_, scale) = axes.kernel.apply(&vec![1.0; n], &scale);
                self.params.add_int("kernel", kernel, false)?;
                if let Some(b) = bias {
                    self.params.add("bias", b, true, 0.0)?;
                }
                self.params.add("kernel_scale", scale, false, 1.0)
            }
            (QuantMode::Int4 { .. }, block) => {
                let (rows, cols) = Self::int4_matrix(&kernel, &axes);
                self.params
                    .add_int("kernel", vec![rows, cols.div_ceil(2)], false)?;
                if let Some(b) = bias {
                    self.params.add("bias", b, true, 0.0)?;
                }
                add_int4_scales(&mut self.params, &self.base.name, rows, cols, block)
            }
            (
                QuantMode::Float8 {
                    amax_history_length,
                },
                _,
            ) => {
                self.params.add("kernel", kernel, true, 0.0)?;
                if let Some(b) = bias {
                    self.params.add("bias", b, true, 0.0)?;
                }
                add_float8_scales(&mut self.params, *amax_history_length)
            }
            // The bias first, as Keras saves it (`variable_serialization_spec`).
            (
                QuantMode::Calibrated {
                    method,
                    bits,
                    group_size,
                },
                _,
            ) => {
                let matrix = self.calibrated_matrix(&kernel)?;
                if let Some(b) = bias {
                    self.params.add("bias", b, true, 0.0)?;
                }
                add_calibrated_weights(
                    &mut self.params,
                    "EinsumDense",
                    matrix,
                    *method,
                    *bits,
                    *group_size,
                )
            }
        }
    }

    /// Keras's `[rows, columns]` view of a GPTQ / AWQ kernel of shape
    /// `kernel` ([`calibrated_matrix`]); other ranks are refused, naming
    /// the layer.
    fn calibrated_matrix(&self, kernel: &[usize]) -> Result<(usize, usize)> {
        calibrated_matrix(kernel).ok_or_else(|| {
            self.base.err(format!(
                "a GPTQ / AWQ kernel of shape {kernel:?}: Keras quantizes 2-D and 3-D kernels only"
            ))
        })
    }

    /// Whether the layer holds GPTQ / AWQ weights (its bias, when it has
    /// one, saved first).
    fn calibrated(&self) -> bool {
        matches!(
            self.quant.as_ref().map(|q| &q.mode),
            Some(QuantMode::Calibrated { .. })
        )
    }

    /// A GPTQ / AWQ layer's float kernel of shape `kernel`, dequantized
    /// once per change of its weights: Keras's `[rows, columns]` matrix,
    /// reshaped (the same values in order).
    fn calibrated_kernel(&self, kernel: &[usize]) -> Result<&[f32]> {
        let Some(q) = &self.quant else {
            return Err(self.base.err("not a GPTQ / AWQ layer"));
        };
        let matrix = self.calibrated_matrix(kernel)?;
        let at = usize::from(self.bias_axes.is_some());
        self.params.derived(at, || {
            dequantize_calibrated_at(&self.base.name, &self.params.values(), at, &q.mode, matrix)
        })
    }

    /// The einsum of a quantized EinsumDense (no bias, no activation), as
    /// Keras's `_int8_call` / `_int4_call` / `_float8_call` compute it.
    /// Under `int8_from_mixed_bfloat16` (and int4) each of Keras's ops
    /// rounds its result to bfloat16, and the float weights are used
    /// rounded (Keras casts them).
    fn quantized_einsum(&self, q: &Quantization, x: &Tensor) -> Result<(Vec<f32>, Vec<usize>)> {
        let (eq, axes) = self.quant_axes(x.rank())?;
        let w = self.params.values();
        let after = 1 + usize::from(self.bias_axes.is_some());
        let data = x.to_f32();
        let precision = q.compute;
        let eval = |a: &[f32], k: &[f32], kshape: &[usize]| {
            let (mut out, shape) = eq
                .eval(&[(a, x.shape()), (k, kshape)])
                .map_err(|e| self.base.err(e))?;
            precision.round(&mut out);
            Ok::<_, crate::LayersError>((out, shape))
        };
        let scale = |i: usize| {
            let mut v = w[i].to_f32().into_owned();
            precision.round(&mut v);
            (v, w[i].shape().to_vec())
        };
        // The kernel's shape as the equation sees it (int4 stores it packed).
        let kernel_shape = self
            .analyze(&x.shape().iter().map(|&d| Some(d)).collect())?
            .kernel;
        Ok(match (&q.mode, q.block_size) {
            (QuantMode::Int8, _) => {
                let kernel: Vec<f32> = int_values(w[0]).iter().map(|&v| v as f32).collect();
                let (ks, ks_shape) = scale(after);
                match &q.inputs {
                    Some(quantizer) => {
                        let (xq, xs) =
                            quantizer.quantize(&data, x.shape(), &axes.input_reduced, precision);
                        let mut xs_shape = x.shape().to_vec();
                        for &a in &axes.input_reduced {
                            xs_shape[a] = 1;
                        }
                        let (xs, xs_shape) = axes.input.apply(&xs, &xs_shape);
                        // Integer products: exact in float32 below 2^24.
                        let (mut out, shape) = eval(&xq, &kernel, w[0].shape())?;
                        divide_broadcast(
                            &mut out,
                            &shape,
                            &[(&xs, &xs_shape), (&ks, &ks_shape)],
                            precision,
                        );
                        (out, shape)
                    }
                    None => {
                        let (mut out, shape) = eval(&data, &kernel, w[0].shape())?;
                        divide_broadcast(&mut out, &shape, &[(&ks, &ks_shape)], precision);
                        (out, shape)
                    }
                }
            }
            (QuantMode::Int4 { .. }, block) => {
                let (rows, cols) = Self::int4_matrix(&kernel_shape, &axes);
                let packed = int_values(w[0]);
                if packed.len() != rows * cols.div_ceil(2) {
                    return Err(self.base.err(format!(
                        "its int4 kernel holds {} bytes; an input of shape {:?} needs a {rows}×{cols} kernel",
                        packed.len(),
                        x.shape()
                    )));
                }
                let unpacked = tfjs_kernels::quant::unpack_int4(&packed, rows, cols);
                let (ks, _) = scale(after);
                let mut kernel = match block {
                    None => unpacked
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| v as f32 / ks[i % cols])
                        .collect::<Vec<f32>>(),
                    Some(_) => {
                        let zero: Vec<f32> =
                            int_values(w[after + 1]).iter().map(|&v| v as f32).collect();
                        dequantize_grouped(
                            &self.base.name,
                            &unpacked,
                            (rows, cols),
                            &ks,
                            &zero,
                            &scale(after + 2).0,
                        )?
                    }
                };
                precision.round(&mut kernel);
                match (&q.inputs, block) {
                    (Some(quantizer), None) => {
                        let (xq, xs) =
                            quantizer.quantize(&data, x.shape(), &axes.input_reduced, precision);
                        let mut xs_shape = x.shape().to_vec();
                        for &a in &axes.input_reduced {
                            xs_shape[a] = 1;
                        }
                        let (xs, xs_shape) = axes.input.apply(&xs, &xs_shape);
                        let (mut out, shape) = eval(&xq, &kernel, &kernel_shape)?;
                        divide_broadcast(&mut out, &shape, &[(&xs, &xs_shape)], precision);
                        (out, shape)
                    }
                    _ => eval(&data, &kernel, &kernel_shape)?,
                }
            }
            (QuantMode::Float8 { .. }, _) => {
                let s = |i: usize| w[i].to_f32().first().copied().unwrap_or(1.0);
                let mut xq = data.into_owned();
                float8_qdq(&mut xq, s(after));
                let mut kq = w[0].to_f32().into_owned();
                float8_qdq(&mut kq, s(after + 2));
                eval(&xq, &kq, w[0].shape())?
            }
            // Weight-only: the float kernel, dequantized once.
            (QuantMode::Calibrated { .. }, _) => {
                eval(&data, self.calibrated_kernel(&kernel_shape)?, &kernel_shape)?
            }
        })
    }
}

impl Layer for EinsumDense {
    layer_common!(weights);
    layer_common!(names "EinsumDense");
    fn config(&self) -> Map<String, Value> {
        self.base.with_rest(&self.raw)
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let shape = one_shape(&self.base, input_shapes)?;
        let a = self.analyze(shape)?;
        self.params.clear();
        if let Some(q) = self.quant.clone() {
            return self.build_quantized(&q, a.kernel, a.bias, shape.len());
        }
        self.params.add("kernel", a.kernel, true, 0.0)?;
        if let Some(bias) = a.bias {
            self.params.add("bias", bias, true, 0.0)?;
        }
        Ok(())
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let out = self.analyze(one_shape(&self.base, inputs)?)?.output;
        Ok(vec![activated_shape(&self.base, self.activation, out)?])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        let (mut out, shape) = match &self.quant {
            None => {
                let eq = self.explicit_equation(x.rank().max(self.input_spec.len()))?;
                let kernel = self.params.values()[0];
                let data = x.to_f32();
                eq.eval(&[(&data, x.shape()), (&f32s(kernel), kernel.shape())])
                    .map_err(|e| self.base.err(e))?
            }
            Some(q) => self.quantized_einsum(q, x)?,
        };
        if self.bias_axes.is_some() {
            // Keras saves a GPTQ / AWQ layer's bias first.
            let bias = self.params.values()[usize::from(!self.calibrated())];
            let mut b = f32s(bias).into_owned();
            if matches!(
                self.quant.as_ref().map(|q| &q.mode),
                Some(QuantMode::Float8 { .. })
            ) {
                // Keras rounds a float32 layer's bias to bfloat16 (for
                // TensorFlow's fused bias add).
                Precision::BF16.round(&mut b);
            }
            // A quantized layer computing in bfloat16 adds its bias rounded,
            // and rounds the sum.
            let compute = self.quant.as_ref().map_or(Precision::F32, |q| q.compute);
            compute.round(&mut b);
            add_trailing(&mut out, &shape, &b, bias.shape());
            compute.round(&mut out);
        }
        let mut shape = shape;
        apply_activation(&self.base, self.activation, &mut out, &mut shape)?;
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
}

/// Keras's `[rows, columns]` view of a GPTQ / AWQ EinsumDense kernel of
/// shape `kernel` (`_gptq_build` / `_awq_build`, and `GPTQ` / `AWQ` when
/// they calibrate it): a 2-D kernel as it is; a 3-D one split after its
/// first axis when that axis is its (first) largest (`[in, heads,
/// head_dim]`, Keras's query / key / value projection), else before its
/// last (`[heads, head_dim, out]`, an attention output). Keras reshapes
/// the `[rows, columns]` matrix to the kernel's shape, so the values keep
/// their order. `None` for other ranks (Keras builds no such layer).
pub(crate) fn calibrated_matrix(kernel: &[usize]) -> Option<(usize, usize)> {
    match *kernel {
        [rows, columns] => Some((rows, columns)),
        [a, b, c] => {
            // Python's `shape.index(max(shape))`: the first largest.
            let first_largest = a >= b && a >= c;
            Some(if first_largest {
                (a, b * c)
            } else {
                (a * b, c)
            })
        }
        _ => None,
    }
}

/// The float kernel's shape of the EinsumDense `name` with config `config`
/// called on inputs of shape `input`, and Keras's `[rows, columns]` view
/// of it when quantized by GPTQ / AWQ ([`calibrated_matrix`]); errors name
/// the layer.
pub(crate) fn calibrated_kernel_shape(
    name: &str,
    config: &Map<String, Value>,
    input: &Shape,
) -> Result<(Vec<usize>, (usize, usize))> {
    let layer = EinsumDense::from_config(&ConfigReader::new(name, config))?;
    let kernel = layer.analyze(input)?.kernel;
    let matrix = layer.calibrated_matrix(&kernel)?;
    Ok((kernel, matrix))
}

/// `out += bias`, `bias` aligned with the trailing dimensions of `shape`
/// (broadcast where its size is 1).
fn add_trailing(out: &mut [f32], shape: &[usize], bias: &[f32], bias_shape: &[usize]) {
    let n = bias_shape.len().min(shape.len());
    let dims = &shape[shape.len() - n..];
    let bshape = &bias_shape[bias_shape.len() - n..];
    let mut bstride = vec![0usize; n];
    let mut s = 1;
    for d in (0..n).rev() {
        bstride[d] = if bshape[d] == 1 { 0 } else { s };
        s *= bshape[d];
    }
    let inner: usize = dims.iter().product::<usize>().max(1);
    let mut idx = vec![0usize; n];
    for (i, v) in out.iter_mut().enumerate() {
        if i % inner == 0 {
            idx.iter_mut().for_each(|x| *x = 0);
        }
        *v += bias[idx.iter().zip(&bstride).map(|(a, b)| a * b).sum::<usize>()];
        for d in (0..n).rev() {
            idx[d] += 1;
            if idx[d] < dims[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Register `EinsumDense`.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["EinsumDense"], EinsumDense::from_config);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibrated_kernels_split_as_keras_builds_them() {
        // 2-D as is; 3-D after the first axis when it is the first
        // largest, else before the last (`shape.index(max(shape))`).
        assert_eq!(calibrated_matrix(&[8, 5]), Some((8, 5)));
        assert_eq!(calibrated_matrix(&[8, 2, 3]), Some((8, 6)));
        assert_eq!(calibrated_matrix(&[4, 4, 2]), Some((4, 8)));
        assert_eq!(calibrated_matrix(&[2, 3, 8]), Some((6, 8)));
        assert_eq!(calibrated_matrix(&[2, 8, 3]), Some((16, 3)));
        assert_eq!(calibrated_matrix(&[8]), None);
        assert_eq!(calibrated_matrix(&[2, 2, 2, 2]), None);
    }

    fn calibrated(equation: &str, output: Value, bias: &str, mode: &str) -> Result<EinsumDense> {
        let class = if mode.starts_with("awq") {
            "AWQDTypePolicy"
        } else {
            "GPTQDTypePolicy"
        };
        let c = serde_json::json!({"name": "e", "equation": equation, "output_shape": output,
            "bias_axes": bias,
            "dtype": {"class_name": class, "config": {"mode": mode, "source_name": "float32"}}});
        EinsumDense::from_config(&ConfigReader::new("e", c.as_object().unwrap()))
    }

    fn weights(layer: &EinsumDense) -> Vec<(String, Vec<usize>)> {
        layer
            .weights()
            .into_iter()
            .map(|w| (w.name, w.shape))
            .collect()
    }

    #[test]
    fn calibrated_layers_hold_the_weights_keras_saves() {
        // The names, order and shapes of keras3h5_k3_gptq_einsum's and
        // keras3h5_k3_awq_einsum's `qkv` and `attn_out` (Keras 3.15).
        let mut qkv = calibrated(
            "abc,cde->abde",
            serde_json::json!([2, 2, 3]),
            "de",
            "gptq/4/4",
        )
        .unwrap();
        qkv.build(&[vec![None, Some(2), Some(8)]]).unwrap();
        let named = |v: &[(&str, &[usize])]| -> Vec<(String, Vec<usize>)> {
            v.iter().map(|(n, s)| (n.to_string(), s.to_vec())).collect()
        };
        assert_eq!(
            weights(&qkv),
            named(&[
                ("bias", &[2, 3]),
                ("kernel", &[3, 8]),
                ("kernel_scale", &[6, 2]),
                ("zero_point", &[6, 2]),
                ("g_idx", &[8]),
            ])
        );
        let mut out =
            calibrated("abcd,cde->abe", serde_json::json!([2, 8]), "e", "awq/4/-1").unwrap();
        out.build(&[vec![None, Some(2), Some(2), Some(3)]]).unwrap();
        assert_eq!(
            weights(&out),
            named(&[
                ("bias", &[8]),
                ("kernel", &[4, 6]),
                ("kernel_scale", &[8, 1]),
                ("zero_point", &[8, 1]),
                ("awq_scales", &[6]),
                ("g_idx", &[6]),
            ])
        );
        // A 4-D kernel: Keras builds no such layer.
        let mut four =
            calibrated("abcd,bcde->ae", serde_json::json!([5]), "", "gptq/8/-1").unwrap();
        let e = four
            .build(&[vec![None, Some(2), Some(2), Some(3)]])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`e`") && e.contains("Keras quantizes 2-D and 3-D kernels only"),
            "{e}"
        );
    }
}

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
        if let Some(q) = cfg.get("quantization_config") {
            return Err(cfg.err(
                "quantization_config",
                format!("{q}: quantized EinsumDense weights are not supported"),
            ));
        }
        if let Some(mode) = cfg.get("quantization_mode") {
            return Err(cfg.err(
                "quantization_mode",
                format!("{mode}: quantized EinsumDense weights are not supported"),
            ));
        }
        Ok(EinsumDense {
            base: Base::parse(cfg)?,
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

impl Layer for EinsumDense {
    layer_common!(weights);
    layer_common!(names "EinsumDense");
    fn config(&self) -> Map<String, Value> {
        self.base.with_rest(&self.raw)
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let a = self.analyze(one_shape(&self.base, input_shapes)?)?;
        self.params.clear();
        self.params.add("kernel", a.kernel, true, 0.0)?;
        if let Some(bias) = a.bias {
            self.params.add("bias", bias, true, 0.0)?;
        }
        Ok(())
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![self.analyze(one_shape(&self.base, inputs)?)?.output])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        let eq = self.explicit_equation(x.rank().max(self.input_spec.len()))?;
        let kernel = self.params.values()[0];
        let data = x.to_f32();
        let (mut out, shape) = eq
            .eval(&[(&data, x.shape()), (&f32s(kernel), kernel.shape())])
            .map_err(|e| self.base.err(e))?;
        if let Some(bias) = self.params.values().get(1) {
            add_trailing(&mut out, &shape, &f32s(bias), bias.shape());
        }
        let last = shape.last().copied().unwrap_or(1);
        apply_activation(self.activation, &mut out, last);
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
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

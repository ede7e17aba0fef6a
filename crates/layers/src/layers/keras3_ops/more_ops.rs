//! Keras 3 operations from the keras.ops audit of Keras 3.15 (held-out
//! round 32), as Keras's TensorFlow backend computes them:
//!
//! - `copy`, `stop_gradient`, `real`, `conj` / `conjugate` of a real
//!   tensor: the tensor; `imag`: zeros; `isreal`: true; `angle`:
//!   `tf.math.angle` of a real tensor, π below 0 and 0 elsewhere (-0 and
//!   NaN included);
//! - integer functions on int tensors (the engine's values are float32,
//!   exact integers up to 2²⁴; the arithmetic is int32's, wrapping):
//!   `bitwise_and` / `or` / `xor` / `invert` (`bitwise_not`),
//!   `left_shift` / `right_shift` (TensorFlow clamps the shift to 0..31 and
//!   shifts a signed value arithmetically), `gcd` (of absolute values, 0
//!   with 0 gives the other), `lcm` (`|a| · (|b| / gcd)`, 0 when the gcd
//!   is 0); `ldexp(x, n)`: `x · 2ⁿ` in float32, `x` itself where it is 0
//!   or infinite;
//! - `saturate_cast(x, dtype)`: clipped to the target's range (as float32
//!   values: the nearest float32 inside it) and cast (an integer dtype
//!   truncates toward zero);
//! - `nancumsum` / `nancumprod(x, axis)`: `nan_to_num` first (NaN to 0 or
//!   1, ±∞ to the largest float32), then the running sum / product;
//! - `nanargmax` / `nanargmin(x, axis, keepdims)`: NaN counted as -∞ / +∞,
//!   -1 where every value is NaN;
//! - `size(x)`: the element count, batch included, an int32 scalar;
//! - `vdot(a, b)`: both flattened (batch included), their dot product, a
//!   scalar;
//! - `diag(x, k)`: a 1-D tensor's values on diagonal `k` of a square
//!   matrix, a 2-D tensor's diagonal `k`; `diagflat(x, k)`: `diag` of the
//!   flattened tensor;
//! - `cdist(x, y)`: `sqrt(Σ (x[..., i, None, :] - y[..., None, j, :])²)`
//!   over the last axis, leading axes broadcast;
//! - `nn.binary_crossentropy(target, output, from_logits)`: from logits
//!   `max(z, 0) - z·t + log1p(exp(-|z|))`; from probabilities, `output`
//!   clipped to `[ε, 1 - ε]` (ε = 1e-7) and `-(t log p + (1 - t) log(1 -
//!   p))`, elementwise;
//! - `nn.categorical_crossentropy(target, output, from_logits, axis)`:
//!   from logits `Σ t · (logsumexp(z) - z)`; from probabilities `output`
//!   divided by its sum, clipped and `-Σ t log p`, along `axis`;
//! - `nn.sparse_categorical_crossentropy(target, output, from_logits)`:
//!   integer targets (a trailing axis of 1 squeezed), `-log_softmax` of the
//!   logits (or of the log of the clipped probabilities) at the target;
//! - `nn.celu(x, alpha)`: `max(x, 0) + α · expm1(min(x, 0) / α)`;
//!   `nn.soft_shrink` / `hard_shrink(x, threshold)` with their own
//!   threshold;
//! - `extract_sequences(x, length, stride)`: `tf.signal.frame` along the
//!   last axis (`frame.rs`);
//! - `image.sobel_edges(images)`: `tf.image.sobel_edges`, the 3×3 Sobel
//!   filters (dy first, then dx) of every channel of a REFLECT-padded
//!   image, a new last axis of 2.
//!
//! TensorFlow's graph reads a probability that came straight out of a
//! `sigmoid` / `softmax` op as its logits (`_get_logits`); the engine
//! computes from the probabilities as written, which differs only where
//! the clipping at ε bites.

use super::super::common::f32s;
use super::super::tf_ops::{axis_of, broadcast_symbolic, cumulative, Running};
use super::{reduce, reduce_shape, Operand, Reduce};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;

type Out<T> = std::result::Result<T, String>;

/// Keras's `backend.epsilon()`.
use tfjs_kernels::losses::{self, KERAS_EPSILON as EPSILON};

/// The integer binary functions by class name (`None`: not one).
pub(super) fn binary(op: &str) -> Option<fn(f32, f32) -> f32> {
    Some(match op {
        "BitwiseAnd" => |a, b| (int(a) & int(b)) as f32,
        "BitwiseOr" => |a, b| (int(a) | int(b)) as f32,
        "BitwiseXor" => |a, b| (int(a) ^ int(b)) as f32,
        "LeftShift" | "BitwiseLeftShift" => {
            |a, b| (int(a) as u32).wrapping_shl(int(b).clamp(0, 31) as u32) as i32 as f32
        }
        "RightShift" | "BitwiseRightShift" => |a, b| (int(a) >> int(b).clamp(0, 31)) as f32,
        "Gcd" => |a, b| gcd(int(a), int(b)) as f32,
        "Lcm" => |a, b| {
            let (a, b) = (int(a).wrapping_abs(), int(b).wrapping_abs());
            match gcd(a, b) {
                0 => 0.0,
                g => a.wrapping_mul(b / g) as f32,
            }
        },
        "Ldexp" => |x, n| {
            if x == 0.0 || x.is_infinite() {
                x
            } else {
                x * 2f32.powf(n)
            }
        },
        _ => return None,
    })
}

/// An int tensor's value (float32 in the engine) as int32.
fn int(v: f32) -> i32 {
    v as i32
}

/// Keras's gcd loop: of absolute values, `(a, b) → (b, a mod b)` until
/// `b` is 0 (int32, wrapping).
fn gcd(a: i32, b: i32) -> i32 {
    let (mut a, mut b) = (a.wrapping_abs(), b.wrapping_abs());
    while b != 0 {
        (a, b) = (b, a.wrapping_rem_euclid(b));
    }
    a
}

/// float32 → int32 as TensorFlow's CPU cast computes it (x86's
/// truncating conversion): toward zero, and NaN, ±∞ and values out of
/// the int32 range give -2147483648.
fn tf_i32(v: f32) -> i32 {
    if (-2_147_483_648.0..2_147_483_648.0).contains(&v) {
        v as i32
    } else {
        i32::MIN
    }
}

/// A cast of float values to `dtype`, as TensorFlow's CPU cast computes
/// it: `bool` is "not 0"; integers truncate toward zero and keep the low
/// bits of an 8- or 16-bit type (float → int32 → int8: 300 → 44, -352 →
/// -96; NaN, ±∞ and values past int32 give int32's minimum, 0 for the
/// narrower types); `None` for float dtypes (the values stay).
pub(crate) fn int_cast(dtype: &str) -> Option<fn(f32) -> f32> {
    Some(match dtype {
        "bool" => |v| f32::from(v != 0.0),
        "int8" => |v| tf_i32(v) as i8 as f32,
        "uint8" => |v| tf_i32(v) as u8 as f32,
        "int16" => |v| tf_i32(v) as i16 as f32,
        "uint16" => |v| tf_i32(v) as u16 as f32,
        "int32" => |v| tf_i32(v) as f32,
        d if d.starts_with("int") || d.starts_with("uint") => f32::trunc,
        _ => return None,
    })
}

/// An integer `dtype=` of cumsum / cumprod / nancumsum / nancumprod as
/// Keras's TensorFlow backend computes it: the values cast to the dtype
/// first ([`int_cast`]), then TensorFlow's integer running total, which
/// wraps in the dtype's width (`bool` runs in int32).
#[derive(Debug, Clone, Copy)]
pub(crate) struct IntRunning {
    cast: fn(f32) -> f32,
    wrap: fn(i64) -> i64,
}

impl IntRunning {
    /// `None`: a float dtype (a float running total).
    pub(crate) fn of(dtype: &str) -> Option<IntRunning> {
        let wrap: fn(i64) -> i64 = match dtype {
            "int8" => |v| v as i8 as i64,
            "uint8" => |v| v as u8 as i64,
            "int16" => |v| v as i16 as i64,
            "uint16" => |v| v as u16 as i64,
            "bool" | "int32" => |v| v as i32 as i64,
            "uint32" => |v| v as u32 as i64,
            _ => |v| v,
        };
        Some(IntRunning {
            cast: int_cast(dtype)?,
            wrap,
        })
    }

    /// The running sum or product of `x` along `axis`.
    fn call(&self, x: &Tensor, axis: usize, running: Running) -> Out<Tensor> {
        let s = x.shape();
        let outer: usize = s[..axis].iter().product();
        let inner: usize = s[axis + 1..].iter().product();
        let mut out: Vec<f32> = f32s(x).iter().map(|&v| (self.cast)(v)).collect();
        for o in 0..outer {
            for k in 0..inner {
                let mut acc: i64 = if running == Running::Product { 1 } else { 0 };
                for j in 0..s[axis] {
                    let at = (o * s[axis] + j) * inner + k;
                    let v = out[at] as i64;
                    acc = (self.wrap)(match running {
                        Running::Product => acc.wrapping_mul(v),
                        _ => acc.wrapping_add(v),
                    });
                    out[at] = acc as f32;
                }
            }
        }
        Tensor::from_f32(s.to_vec(), out).map_err(|e| e.to_string())
    }
}

/// The identities, complex parts of a real tensor and bitwise inversion
/// by class name (`None`: not one).
pub(super) fn unary(op: &str) -> Option<fn(f32) -> f32> {
    Some(match op {
        "Copy" | "StopGradient" | "Real" | "Conj" | "Conjugate" => |x| x,
        "Imag" => |_| 0.0,
        "Isreal" => |_| 1.0,
        "Angle" => |x| if x < 0.0 { std::f32::consts::PI } else { 0.0 },
        "BitwiseInvert" | "BitwiseNot" => |x| !(x as i32) as f32,
        _ => return None,
    })
}

#[derive(Debug, Clone)]
pub(crate) enum MoreOp {
    /// `saturate_cast`: clip to `[lo, hi]`, truncate when `int`.
    SaturateCast {
        lo: f32,
        hi: f32,
        int: bool,
    },
    /// `nancumsum` / `nancumprod(x, axis, dtype)` (an integer dtype: cast
    /// after the NaN replacement).
    NanCumulative(Running, i64, Option<IntRunning>),
    /// `cumsum` / `cumprod(x, axis, dtype)` with an integer dtype.
    CastCumulative(IntRunning, Running, i64),
    NanArg {
        max: bool,
        axis: Option<i64>,
        keepdims: bool,
    },
    Size,
    Vdot(Operand, Operand),
    Diag {
        k: i64,
        flat: bool,
    },
    CDist(Operand, Operand),
    BinaryCrossentropy {
        from_logits: bool,
    },
    CategoricalCrossentropy {
        from_logits: bool,
        axis: i64,
    },
    SparseCategoricalCrossentropy {
        from_logits: bool,
    },
    SobelEdges,
    /// `nn.celu(alpha)`, `nn.soft_shrink(threshold)`,
    /// `nn.hard_shrink(threshold)` with a parameter other than the default.
    ParamAct(ParamAct, f32),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum ParamAct {
    /// `max(x, 0) + α · expm1(min(x, 0) / α)`.
    Celu,
    /// `x - t` above `t`, `x + t` below `-t`, else 0.
    SoftShrink,
    /// `x` where `|x| > t`, else 0.
    HardShrink,
}

/// The range of `dtype` as float32 values inside it (`None`: not a
/// dtype Keras names).
fn dtype_range(dtype: &str) -> Option<(f32, f32, bool)> {
    // The largest float32 not above the integer maximum (float32 rounds
    // i32::MAX up to 2³¹, which Keras nudges back down).
    let below = |m: f64| {
        let f = m as f32;
        if f as f64 > m {
            f32::from_bits(f.to_bits() - 1)
        } else {
            f
        }
    };
    Some(match dtype {
        "bool" => (0.0, 1.0, true),
        "uint8" => (0.0, 255.0, true),
        "int8" => (-128.0, 127.0, true),
        "uint16" => (0.0, 65535.0, true),
        "int16" => (-32768.0, 32767.0, true),
        "int32" => (i32::MIN as f32, below(i32::MAX as f64), true),
        "uint32" => (0.0, below(u32::MAX as f64), true),
        "int64" => (i64::MIN as f32, below(i64::MAX as f64), true),
        "uint64" => (0.0, below(u64::MAX as f64), true),
        "float16" => (-65504.0, 65504.0, false),
        "bfloat16" | "float32" | "float64" => (f32::MIN, f32::MAX, false),
        _ => return None,
    })
}

impl MoreOp {
    /// The Keras 3 operation `op` from its config and operands (`None`: not
    /// one of these).
    pub(crate) fn from_config(
        op: &str,
        c: &ConfigReader<'_>,
        operands: &[Operand],
    ) -> Option<Result<MoreOp>> {
        const OPS: [&str; 14] = [
            "SaturateCast",
            "Nancumsum",
            "Nancumprod",
            "Nanargmax",
            "Nanargmin",
            "Size",
            "Vdot",
            "Diag",
            "Diagflat",
            "CDist",
            "BinaryCrossentropy",
            "CategoricalCrossentropy",
            "SparseCategoricalCrossentropy",
            "SobelEdges",
        ];
        if !OPS.contains(&op) {
            return None;
        }
        let pair = || {
            Operand::pair(op, operands).map_err(|e| c.err("args", format!("operation {op}: {e}")))
        };
        Some((|| {
            Ok(match op {
                "SaturateCast" => {
                    let dtype = c.str_or("dtype", "")?;
                    let (lo, hi, int) = dtype_range(dtype).ok_or_else(|| {
                        c.err("dtype", format!("{dtype:?} is not a dtype Keras names"))
                    })?;
                    MoreOp::SaturateCast { lo, hi, int }
                }
                "Nancumsum" | "Nancumprod" => {
                    let axis = match c.get("axis") {
                        Some(v) if !v.is_null() => v
                            .as_i64()
                            .ok_or_else(|| c.err("axis", "expected an integer"))?,
                        _ => {
                            return Err(c.err(
                                "axis",
                                "a running total over the flattened input (axis None) is not \
                                 supported",
                            ))
                        }
                    };
                    let running = if op == "Nancumsum" {
                        Running::Sum
                    } else {
                        Running::Product
                    };
                    let dtype = c.get("dtype").and_then(Value::as_str);
                    MoreOp::NanCumulative(running, axis, dtype.and_then(IntRunning::of))
                }
                "Nanargmax" | "Nanargmin" => MoreOp::NanArg {
                    max: op == "Nanargmax",
                    axis: match c.get("axis") {
                        None | Some(Value::Null) => None,
                        Some(v) => Some(
                            v.as_i64()
                                .ok_or_else(|| c.err("axis", "expected an integer or null"))?,
                        ),
                    },
                    keepdims: c.bool_or("keepdims", false)?,
                },
                "Size" => MoreOp::Size,
                "Vdot" => {
                    let [a, b] = pair()?;
                    MoreOp::Vdot(a, b)
                }
                "Diag" | "Diagflat" => MoreOp::Diag {
                    k: c.i64_or("k", 0)?,
                    flat: op == "Diagflat",
                },
                "CDist" => {
                    let [a, b] = pair()?;
                    MoreOp::CDist(a, b)
                }
                "BinaryCrossentropy" => MoreOp::BinaryCrossentropy {
                    from_logits: c.bool_or("from_logits", false)?,
                },
                "CategoricalCrossentropy" => MoreOp::CategoricalCrossentropy {
                    from_logits: c.bool_or("from_logits", false)?,
                    axis: c.i64_or("axis", -1)?,
                },
                "SparseCategoricalCrossentropy" => {
                    let axis = c.i64_or("axis", -1)?;
                    if axis != -1 {
                        return Err(c.err(
                            "axis",
                            "only -1 (Keras's TensorFlow backend takes the last axis only)",
                        ));
                    }
                    MoreOp::SparseCategoricalCrossentropy {
                        from_logits: c.bool_or("from_logits", false)?,
                    }
                }
                "SobelEdges" => {
                    if c.get("data_format").and_then(Value::as_str) == Some("channels_first") {
                        return Err(c.err("data_format", "only channels_last is supported"));
                    }
                    MoreOp::SobelEdges
                }
                _ => return Err(c.err("args", format!("operation {op} is not one of these"))),
            })
        })())
    }

    /// `op` (`Celu`, `SoftShrink`, `HardShrink`) with parameter `p`.
    pub(crate) fn param_act(op: &str, p: f32) -> Option<MoreOp> {
        let act = match op {
            "Celu" => ParamAct::Celu,
            "SoftShrink" => ParamAct::SoftShrink,
            "HardShrink" => ParamAct::HardShrink,
            _ => return None,
        };
        Some(MoreOp::ParamAct(act, p))
    }

    /// Elementwise, or along axes other than the batch axis.
    pub(crate) fn per_sample(&self) -> bool {
        match self {
            MoreOp::SaturateCast { .. }
            | MoreOp::BinaryCrossentropy { .. }
            | MoreOp::SparseCategoricalCrossentropy { .. }
            | MoreOp::SobelEdges
            | MoreOp::ParamAct(..) => true,
            MoreOp::NanCumulative(_, a, _)
            | MoreOp::CastCumulative(_, _, a)
            | MoreOp::CategoricalCrossentropy { axis: a, .. } => *a > 0,
            _ => false,
        }
    }

    fn operand_shape(o: &Operand, inputs: &[Shape]) -> Out<Shape> {
        o.shape(inputs)
            .ok_or_else(|| format!("needs {o:?}, has {} input(s)", inputs.len()))
    }

    pub(crate) fn shape(&self, inputs: &[Shape]) -> Out<Shape> {
        let x = inputs.first().ok_or("needs an input")?;
        Ok(match self {
            MoreOp::SaturateCast { .. }
            | MoreOp::NanCumulative(..)
            | MoreOp::CastCumulative(..)
            | MoreOp::ParamAct(..)
            | MoreOp::BinaryCrossentropy { .. } => x.clone(),
            MoreOp::NanArg { axis, keepdims, .. } => {
                reduce_shape(x, &axis.map(|a| vec![a]), *keepdims)?
            }
            MoreOp::Size | MoreOp::Vdot(..) => Vec::new(),
            MoreOp::Diag { k, flat } => {
                let n = if *flat {
                    x.iter().try_fold(1usize, |a, d| d.map(|d| a * d))
                } else {
                    match x[..] {
                        [n] => n,
                        [r, c] => {
                            return Ok(vec![r.zip(c).map(|(r, c)| diagonal_len(r, c, *k))]);
                        }
                        _ => {
                            return Err(format!(
                                "diag takes a 1-D or 2-D tensor, got rank {}",
                                x.len()
                            ))
                        }
                    }
                };
                let m = n.map(|n| n + k.unsigned_abs() as usize);
                vec![m, m]
            }
            MoreOp::CDist(a, b) => {
                let (sa, sb) = (
                    Self::operand_shape(a, inputs)?,
                    Self::operand_shape(b, inputs)?,
                );
                if sa.len() < 2 || sb.len() < 2 {
                    return Err("cdist takes operands of rank 2 or more".into());
                }
                let lead =
                    broadcast_symbolic(&sa[..sa.len() - 2].to_vec(), &sb[..sb.len() - 2].to_vec())
                        .ok_or("the operands' leading axes do not broadcast")?;
                let mut s = lead;
                s.push(sa[sa.len() - 2]);
                s.push(sb[sb.len() - 2]);
                s
            }
            MoreOp::CategoricalCrossentropy { axis, .. } => {
                reduce_shape(x, &Some(vec![*axis]), false)?
            }
            MoreOp::SparseCategoricalCrossentropy { .. } => {
                let out = inputs.get(1).ok_or("needs target and output")?;
                out[..out.len().saturating_sub(1)].to_vec()
            }
            MoreOp::SobelEdges => {
                if x.len() != 4 {
                    return Err(format!(
                        "sobel_edges takes NHWC images, got rank {}",
                        x.len()
                    ));
                }
                let mut s = x.clone();
                s.push(Some(2));
                s
            }
        })
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Tensor> {
        let x = inputs.first().ok_or("needs an input")?;
        let map = |f: &dyn Fn(f32) -> f32| {
            Tensor::from_f32(x.shape().to_vec(), f32s(x).iter().map(|&v| f(v)).collect())
                .map_err(|e| e.to_string())
        };
        match self {
            MoreOp::SaturateCast { lo, hi, int } => {
                let (lo, hi, int) = (*lo, *hi, *int);
                map(&|v| {
                    let v = v.max(lo).min(hi);
                    if int {
                        v.trunc()
                    } else {
                        v
                    }
                })
            }
            MoreOp::NanCumulative(running, a, int) => {
                let nan = if *running == Running::Sum { 0.0 } else { 1.0 };
                let clean = map(&|v| match v {
                    v if v.is_nan() => nan,
                    f32::INFINITY => f32::MAX,
                    f32::NEG_INFINITY => f32::MIN,
                    v => v,
                })?;
                let i = axis_of(*a, x.rank(), 0)?;
                match int {
                    Some(int) => int.call(&clean, i, *running),
                    None => cumulative(&clean, i, *running, [false; 2]),
                }
            }
            MoreOp::CastCumulative(int, running, a) => {
                let i = axis_of(*a, x.rank(), 0)?;
                int.call(x, i, *running)
            }
            MoreOp::NanArg {
                max,
                axis,
                keepdims,
            } => {
                let fill = if *max {
                    f32::NEG_INFINITY
                } else {
                    f32::INFINITY
                };
                let axes = axis.map(|a| vec![a]);
                let clean = map(&|v| if v.is_nan() { fill } else { v })?;
                let how = if *max { Reduce::ArgMax } else { Reduce::ArgMin };
                let at = reduce(&clean, how, &axes, *keepdims)?;
                let isnan = map(&|v| f32::from(v.is_nan()))?;
                let all = reduce(&isnan, Reduce::All, &axes, *keepdims)?;
                let ids = f32s(&at)
                    .iter()
                    .zip(f32s(&all).iter())
                    .map(|(&i, &a)| if a != 0.0 { -1 } else { i as i32 })
                    .collect();
                Tensor::from_i32(at.shape().to_vec(), ids).map_err(|e| e.to_string())
            }
            MoreOp::Size => {
                Tensor::from_i32(Vec::new(), vec![x.len() as i32]).map_err(|e| e.to_string())
            }
            MoreOp::Vdot(a, b) => {
                let (va, vb) = (values(a, inputs)?, values(b, inputs)?);
                if va.0.len() != vb.0.len() {
                    return Err(format!("vdot of {} and {} values", va.0.len(), vb.0.len()));
                }
                let dot = va.0.iter().zip(vb.0.iter()).map(|(p, q)| p * q).sum();
                Tensor::from_f32(Vec::new(), vec![dot]).map_err(|e| e.to_string())
            }
            MoreOp::Diag { k, flat } => diag(x, *k, *flat),
            MoreOp::CDist(a, b) => cdist(values(a, inputs)?, values(b, inputs)?),
            MoreOp::BinaryCrossentropy { from_logits } => {
                let (t, z) = same_shaped_target_and_output(x, inputs)?;
                let out = f32s(t)
                    .iter()
                    .zip(f32s(z).iter())
                    .map(|(&t, &z)| {
                        if *from_logits {
                            losses::sigmoid_ce_with_logits(t, z)
                        } else {
                            let p = z.clamp(EPSILON, 1.0 - EPSILON);
                            -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
                        }
                    })
                    .collect();
                Tensor::from_f32(t.shape().to_vec(), out).map_err(|e| e.to_string())
            }
            MoreOp::CategoricalCrossentropy { from_logits, axis } => {
                let (t, z) = same_shaped_target_and_output(x, inputs)?;
                let i = axis_of(*axis, z.rank(), 0)?;
                along(t, z, i, |t, z| {
                    if *from_logits {
                        losses::softmax_ce_with_logits(t, z)
                    } else {
                        losses::categorical_ce_from_probs(t, z)
                    }
                })
            }
            MoreOp::SparseCategoricalCrossentropy { from_logits } => {
                let (t, z) = (x, inputs.get(1).ok_or("needs target and output")?);
                let zs = z.shape();
                let c = *zs.last().ok_or("the output needs a class axis")?;
                let rows = z.len() / c.max(1);
                let ts = f32s(t);
                if ts.len() != rows {
                    return Err(format!(
                        "{} targets for {rows} rows of the output {zs:?}",
                        ts.len()
                    ));
                }
                let zv = f32s(z);
                let out = ts
                    .iter()
                    .enumerate()
                    .map(|(r, &target)| losses::sparse_ce(&zv[r * c..][..c], target, !*from_logits))
                    .collect();
                Tensor::from_f32(zs[..zs.len() - 1].to_vec(), out).map_err(|e| e.to_string())
            }
            MoreOp::SobelEdges => sobel(x),
            MoreOp::ParamAct(act, p) => {
                let p = *p;
                match act {
                    ParamAct::Celu => map(&|v| v.max(0.0) + p * (v.min(0.0) / p).exp_m1()),
                    ParamAct::SoftShrink => map(&|v| {
                        if v > p {
                            v - p
                        } else if v < -p {
                            v + p
                        } else {
                            0.0
                        }
                    }),
                    ParamAct::HardShrink => map(&|v| if v.abs() > p { v } else { 0.0 }),
                }
            }
        }
    }
}

fn values<'a>(
    o: &'a Operand,
    inputs: &'a [Tensor],
) -> Out<(std::borrow::Cow<'a, [f32]>, Vec<usize>)> {
    o.values(inputs, |m| super::super::common::input_err("operand", m))
        .map_err(|e| e.to_string())
}

/// numpy's diagonal length of an `r × c` matrix at offset `k`.
fn diagonal_len(r: usize, c: usize, k: i64) -> usize {
    if k >= 0 {
        c.saturating_sub(k as usize).min(r)
    } else {
        r.saturating_sub(k.unsigned_abs() as usize).min(c)
    }
}

fn diag(x: &Tensor, k: i64, flat: bool) -> Out<Tensor> {
    let v = f32s(x);
    let off = k.unsigned_abs() as usize;
    let at = |i: usize| if k >= 0 { (i, i + off) } else { (i + off, i) };
    if flat || x.rank() == 1 {
        let n = v.len() + off;
        let mut out = vec![0f32; n * n];
        for (i, &e) in v.iter().enumerate() {
            let (a, b) = at(i);
            out[a * n + b] = e;
        }
        return Tensor::from_f32(vec![n, n], out).map_err(|e| e.to_string());
    }
    let [rows, cols] = x.shape()[..] else {
        return Err(format!(
            "diag takes a 1-D or 2-D tensor, got {:?}",
            x.shape()
        ));
    };
    let len = diagonal_len(rows, cols, k);
    let out = (0..len)
        .map(|i| {
            let (a, b) = at(i);
            v[a * cols + b]
        })
        .collect();
    Tensor::from_f32(vec![len], out).map_err(|e| e.to_string())
}

fn cdist(
    (va, sa): (std::borrow::Cow<'_, [f32]>, Vec<usize>),
    (vb, sb): (std::borrow::Cow<'_, [f32]>, Vec<usize>),
) -> Out<Tensor> {
    let (ra, rb) = (sa.len(), sb.len());
    if ra < 2 || rb < 2 || sa[ra - 1] != sb[rb - 1] {
        return Err(format!("cdist of {sa:?} and {sb:?}"));
    }
    let (m, n, d) = (sa[ra - 2], sb[rb - 2], sa[ra - 1]);
    let known = |s: &[usize]| s.iter().map(|&v| Some(v)).collect::<Shape>();
    let lead: Vec<usize> = broadcast_symbolic(&known(&sa[..ra - 2]), &known(&sb[..rb - 2]))
        .ok_or("the operands' leading axes do not broadcast")?
        .into_iter()
        .map(|v| v.unwrap_or(1))
        .collect();
    // The flat index of each operand's matrix for every output matrix.
    let source = |s: &[usize]| -> Vec<usize> {
        let pad = lead.len() - s.len();
        let count: usize = lead.iter().product();
        (0..count)
            .map(|mut o| {
                let mut idx = 0;
                let mut stride = 1;
                for d in (0..lead.len()).rev() {
                    let i = o % lead[d];
                    o /= lead[d];
                    if d >= pad {
                        let size = s[d - pad];
                        idx += if size == 1 { 0 } else { i } * stride;
                        stride *= size;
                    }
                }
                idx
            })
            .collect()
    };
    let (ia, ib) = (source(&sa[..ra - 2]), source(&sb[..rb - 2]));
    let mut out = Vec::with_capacity(ia.len() * m * n);
    for (&a, &b) in ia.iter().zip(&ib) {
        for i in 0..m {
            let xa = &va[(a * m + i) * d..][..d];
            for j in 0..n {
                let xb = &vb[(b * n + j) * d..][..d];
                let s: f32 = xa.iter().zip(xb).map(|(p, q)| (p - q) * (p - q)).sum();
                out.push(s.sqrt());
            }
        }
    }
    let mut shape = lead;
    shape.extend([m, n]);
    Tensor::from_f32(shape, out).map_err(|e| e.to_string())
}

/// `f(target lane, output lane)` for every lane along axis `i`, the axis
/// removed.
fn along(t: &Tensor, z: &Tensor, i: usize, f: impl Fn(&[f32], &[f32]) -> f32) -> Out<Tensor> {
    let s = z.shape();
    let (outer, n, inner) = (
        s[..i].iter().product::<usize>(),
        s[i],
        s[i + 1..].iter().product::<usize>(),
    );
    let (tv, zv) = (f32s(t), f32s(z));
    let mut out = Vec::with_capacity(outer * inner);
    let (mut lt, mut lz) = (vec![0f32; n], vec![0f32; n]);
    for o in 0..outer {
        for k in 0..inner {
            for j in 0..n {
                let at = (o * n + j) * inner + k;
                lt[j] = tv[at];
                lz[j] = zv[at];
            }
            out.push(f(&lt, &lz));
        }
    }
    let mut shape = s.to_vec();
    shape.remove(i);
    Tensor::from_f32(shape, out).map_err(|e| e.to_string())
}

/// `tf.image.sobel_edges`: REFLECT padding by 1, the dy and dx filters
/// `[[-1, -2, -1], [0, 0, 0], [1, 2, 1]]` and its transpose per channel.
fn sobel(x: &Tensor) -> Out<Tensor> {
    let [b, h, w, c] = x.shape()[..] else {
        return Err(format!(
            "sobel_edges takes NHWC images, got {:?}",
            x.shape()
        ));
    };
    if h < 2 || w < 2 {
        return Err(format!(
            "REFLECT padding needs at least 2 rows and columns, got {h} x {w}"
        ));
    }
    let v = f32s(x);
    let reflect = |i: isize, n: usize| -> usize {
        if i < 0 {
            (-i) as usize
        } else if i as usize >= n {
            2 * n - 2 - i as usize
        } else {
            i as usize
        }
    };
    const DY: [[f32; 3]; 3] = [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]];
    let mut out = vec![0f32; b * h * w * c * 2];
    for n in 0..b {
        for y in 0..h {
            for xx in 0..w {
                for ch in 0..c {
                    let (mut gy, mut gx) = (0f32, 0f32);
                    for (dy, row) in DY.iter().enumerate() {
                        for dx in 0..3 {
                            let yy = reflect(y as isize + dy as isize - 1, h);
                            let xs = reflect(xx as isize + dx as isize - 1, w);
                            let p = v[((n * h + yy) * w + xs) * c + ch];
                            gy += row[dx] * p;
                            gx += DY[dx][dy] * p;
                        }
                    }
                    let o = (((n * h + y) * w + xx) * c + ch) * 2;
                    out[o] = gy;
                    out[o + 1] = gx;
                }
            }
        }
    }
    Tensor::from_f32(vec![b, h, w, c, 2], out).map_err(|e| e.to_string())
}

/// A cross-entropy's target (`x`) and output (the second input), which
/// must have one shape.
fn same_shaped_target_and_output<'a>(
    x: &'a Tensor,
    inputs: &'a [Tensor],
) -> Result<(&'a Tensor, &'a Tensor), String> {
    let z = inputs.get(1).ok_or("needs target and output")?;
    if x.shape() != z.shape() {
        return Err(format!(
            "target {:?} and output {:?} differ in shape",
            x.shape(),
            z.shape()
        ));
    }
    Ok((x, z))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_functions_follow_tensorflow() {
        // keras.ops with the TensorFlow backend on int32:
        // bitwise_and(12, 10) = 8, bitwise_or = 14, bitwise_xor = 6,
        // bitwise_invert(5) = -6, left_shift(3, 4) = 48, left_shift(1, 40)
        // = -2147483648 (shift clamped to 31), right_shift(-16, 2) = -4,
        // gcd(-12, 18) = 6, gcd(0, 0) = 0, lcm(-4, 6) = 12, lcm(0, 5) = 0.
        let f = |op: &str, a: f32, b: f32| binary(op).unwrap()(a, b);
        assert_eq!(f("BitwiseAnd", 12.0, 10.0), 8.0);
        assert_eq!(f("BitwiseOr", 12.0, 10.0), 14.0);
        assert_eq!(f("BitwiseXor", 12.0, 10.0), 6.0);
        assert_eq!(unary("BitwiseInvert").unwrap()(5.0), -6.0);
        assert_eq!(f("LeftShift", 3.0, 4.0), 48.0);
        assert_eq!(f("LeftShift", 1.0, 40.0), -2147483648.0);
        assert_eq!(f("RightShift", -16.0, 2.0), -4.0);
        assert_eq!(f("Gcd", -12.0, 18.0), 6.0);
        assert_eq!(f("Gcd", 0.0, 0.0), 0.0);
        assert_eq!(f("Lcm", -4.0, 6.0), 12.0);
        assert_eq!(f("Lcm", 0.0, 5.0), 0.0);
        // keras.ops.ldexp(np.float32([1.5, 0, -inf]), np.int32([3, 5, 2]))
        // = [12, 0, -inf]
        assert_eq!(f("Ldexp", 1.5, 3.0), 12.0);
        assert_eq!(f("Ldexp", 0.0, 5.0), 0.0);
        assert_eq!(f("Ldexp", f32::NEG_INFINITY, 2.0), f32::NEG_INFINITY);
        // keras.ops.angle(np.float32([-2, 0, 3])) = [pi, 0, 0]
        let angle = unary("Angle").unwrap();
        assert_eq!(angle(-2.0), std::f32::consts::PI);
        assert_eq!(angle(0.0), 0.0);
        // keras.ops.cast(np.float32([-352, 401, 2.7]), "int8") = [-96, -111, 2];
        // "uint8" of [352, 300] = [96, 44]
        let i8c = int_cast("int8").unwrap();
        assert_eq!([i8c(-352.0), i8c(401.0), i8c(2.7)], [-96.0, -111.0, 2.0]);
        let u8c = int_cast("uint8").unwrap();
        assert_eq!([u8c(352.0), u8c(300.0)], [96.0, 44.0]);
    }

    #[test]
    fn integer_running_totals_wrap_like_tensorflow() {
        // Keras 3.15, TensorFlow backend:
        // x = np.float32([3e9, -3e9, 1e10, np.nan, np.inf, 300.7, -352.2, 70000.5])
        // keras.ops.cast(x, "int32") = [-2147483648] * 5 + [300, -352, 70000];
        // "int8": [0] * 5 + [44, -96, 112]; "uint16": [0] * 5 + [300, 65184, 4464]
        let x = [
            3e9,
            -3e9,
            1e10,
            f32::NAN,
            f32::INFINITY,
            300.7,
            -352.2,
            70000.5,
        ];
        let cast = |d: &str| x.map(int_cast(d).unwrap());
        let min = i32::MIN as f32;
        assert_eq!(
            cast("int32"),
            [min, min, min, min, min, 300.0, -352.0, 70000.0]
        );
        assert_eq!(cast("int8"), [0.0, 0.0, 0.0, 0.0, 0.0, 44.0, -96.0, 112.0]);
        assert_eq!(
            cast("uint16"),
            [0.0, 0.0, 0.0, 0.0, 0.0, 300.0, 65184.0, 4464.0]
        );
        let run = |d: &str, running, v: &[f32]| {
            let t = Tensor::from_f32(vec![1, v.len()], v.to_vec()).unwrap();
            f32s(&IntRunning::of(d).unwrap().call(&t, 1, running).unwrap()).to_vec()
        };
        // keras.ops.cumsum(np.float32([[100.7, 100.2, -3.9]]), axis=1, dtype="int8")
        // = [[100, -56, -59]]
        assert_eq!(
            run("int8", Running::Sum, &[100.7, 100.2, -3.9]),
            [100.0, -56.0, -59.0]
        );
        // keras.ops.cumprod(np.float32([[100, 100, 100, 7]]), axis=1, dtype="int8")
        // = [[100, 16, 64, -64]]; [[1000, 1000, 1000, 7]] with "int32":
        // [[1000, 1000000, 1000000000, -1589934592]]
        let p = run("int8", Running::Product, &[100.0, 100.0, 100.0, 7.0]);
        assert_eq!(p, [100.0, 16.0, 64.0, -64.0]);
        let p = run("int32", Running::Product, &[1000.0, 1000.0, 1000.0, 7.0]);
        assert_eq!(p, [1000.0, 1e6, 1e9, -1_589_934_592.0]);
        // keras.ops.cumsum(np.float32([[2e9, 2e9]]), axis=1, dtype="int32")
        // = [[2000000000, -294967296]]; dtype="bool" of [[0.5, 0, -2]]:
        // [[1, 1, 2]] (int32)
        assert_eq!(
            run("int32", Running::Sum, &[2e9, 2e9]),
            [2e9, -294_967_296.0]
        );
        assert_eq!(
            run("bool", Running::Sum, &[0.5, 0.0, -2.0]),
            [1.0, 1.0, 2.0]
        );
    }

    #[test]
    fn nan_running_totals_honour_an_integer_dtype() {
        // keras.ops.nancumsum(np.float32([[100.7, 100.2, -3.9, np.nan]]), axis=1,
        //     dtype="int8") = [[100, -56, -59, -59]]; dtype="bool": [[1, 2, 3, 3]];
        // keras.ops.nancumprod(np.float32([[3.7, np.nan, -5.2, 9.9, 2.1]]), axis=1,
        //     dtype="int8") = [[3, 3, -15, 121, -14]]
        let op = |name: &str, dtype: &str| {
            let map = serde_json::json!({"axis": 1, "dtype": dtype});
            let map = map.as_object().unwrap().clone();
            MoreOp::from_config(name, &ConfigReader::new("n", &map), &[])
                .unwrap()
                .unwrap()
        };
        let run = |o: MoreOp, v: &[f32]| {
            let t = Tensor::from_f32(vec![1, v.len()], v.to_vec()).unwrap();
            f32s(&o.call(&[t]).unwrap()).to_vec()
        };
        let x = [100.7, 100.2, -3.9, f32::NAN];
        assert_eq!(
            run(op("Nancumsum", "int8"), &x),
            [100.0, -56.0, -59.0, -59.0]
        );
        assert_eq!(run(op("Nancumsum", "bool"), &x), [1.0, 2.0, 3.0, 3.0]);
        let x = [3.7, f32::NAN, -5.2, 9.9, 2.1];
        assert_eq!(
            run(op("Nancumprod", "int8"), &x),
            [3.0, 3.0, -15.0, 121.0, -14.0]
        );
        // dtype float32 (or none): the float running total.
        let s = run(op("Nancumsum", "float32"), &[0.5, f32::NAN, 0.25]);
        assert_eq!(s, [0.5, 0.5, 0.75]);
    }

    #[test]
    fn diag_and_cdist_follow_numpy() {
        // np.diag([1, 2], k=1) = [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
        let x = Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap();
        let d = diag(&x, 1, false).unwrap();
        assert_eq!(d.shape(), &[3, 3]);
        assert_eq!(&*f32s(&d), &[0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]);
        // np.diag(np.arange(6).reshape(2, 3), k=-1) = [3]
        let m = Tensor::from_f32(vec![2, 3], (0..6).map(|v| v as f32).collect()).unwrap();
        assert_eq!(&*f32s(&diag(&m, -1, false).unwrap()), &[3.0]);
        // keras.ops.cdist(np.float32([[[0, 0], [3, 4]]]), np.float32([[1, 0], [0, 0]]))
        // = [[[1, 0], [4.472136, 5]]]
        let a = Tensor::from_f32(vec![1, 2, 2], vec![0.0, 0.0, 3.0, 4.0]).unwrap();
        let b = Tensor::from_f32(vec![2, 2], vec![1.0, 0.0, 0.0, 0.0]).unwrap();
        let (ia, ib) = (
            (f32s(&a), a.shape().to_vec()),
            (f32s(&b), b.shape().to_vec()),
        );
        let d = cdist(ia, ib).unwrap();
        assert_eq!(d.shape(), &[1, 2, 2]);
        let want = [1.0, 0.0, 4.472136, 5.0];
        assert!(f32s(&d).iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6));
    }
}

//! A layer's dtype policy: the float type it computes in (float32, or
//! float16 / bfloat16 under Keras's `mixed_float16` / `mixed_bfloat16`
//! policies) and, for Keras 3's quantized layers (`model.quantize("int8")`),
//! how its weights are quantized.
//!
//! Keras writes the policy as the layer's `dtype`: a name (`"float32"`,
//! `"mixed_float16"`, `"int8_from_float32"`), a Keras 3 `DTypePolicy` /
//! tf_keras `Policy` object (`{"class_name": "DTypePolicy", "config":
//! {"name": "mixed_float16"}}`, made a name by the topology's
//! normalization), or a Keras 3 quantized policy object
//! (`{"class_name": "QuantizedDTypePolicy", "config": {"mode": "int8",
//! "source_name": "float32"}}`). [`Base`](super::Base) reads it once;
//! layers that hold quantized weights read [`DTypePolicy::quantization`],
//! and the model executor emulates the compute precision around every
//! layer (`model::exec`).

use serde_json::Value;

/// The float type a layer computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// float32 (also float64 and non-float dtypes: the engine computes in
    /// float32).
    #[default]
    F32,
    /// float16 (`mixed_float16`, `float16`).
    F16,
    /// bfloat16 (`mixed_bfloat16`, `bfloat16`).
    BF16,
}

impl Precision {
    /// Round `x` to this precision in place (as TensorFlow casts).
    pub fn round(self, x: &mut [f32]) {
        match self {
            Precision::F32 => {}
            Precision::F16 => tfjs_kernels::quant::round_to_f16(x),
            Precision::BF16 => tfjs_kernels::quant::round_to_bf16(x),
        }
    }

    /// One value rounded to this precision.
    pub fn round_one(self, v: f32) -> f32 {
        let mut one = [v];
        self.round(&mut one);
        one[0]
    }

    /// The compute dtype of a Keras dtype name (`mixed_float16` computes
    /// in float16).
    fn of_name(name: &str) -> Precision {
        match name {
            "float16" | "mixed_float16" => Precision::F16,
            "bfloat16" | "mixed_bfloat16" => Precision::BF16,
            _ => Precision::F32,
        }
    }
}

/// How a Keras 3 quantized layer stores its weights (the policy's mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantMode {
    /// `int8`: int8 weights with a float scale per output channel.
    Int8,
    /// `int4/<block>`: two int4 values per byte; per output channel
    /// (`block_size` `None`, Keras's `-1`) or per group of `block_size`
    /// rows with a zero point.
    Int4 { block_size: Option<usize> },
    /// `float8`: float32 weights and scales, inputs and kernel rounded to
    /// float8 e4m3 on every call; `amax_history_length` sizes its (training
    /// only) amax histories.
    Float8 { amax_history_length: usize },
    /// `gptq/<bits>/<group>`, `awq/4/<group>`: weights calibrated by GPTQ /
    /// AWQ, stored as unsigned `bits`-bit integers (4-bit packed two per
    /// byte) with a scale and zero point per output unit and group of
    /// `group_size` input rows (`None`, Keras's `-1`: one group); AWQ also
    /// divides each input row by its scale. Weight-only: the inputs stay
    /// float.
    Calibrated {
        method: Calibration,
        bits: u8,
        group_size: Option<usize>,
    },
}

/// How a [`QuantMode::Calibrated`] layer's weights were calibrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calibration {
    /// GPTQ (`GPTQConfig`): 2, 3, 4 or 8 bits.
    Gptq,
    /// AWQ (`AWQConfig`): 4 bits, with per-input-row `awq_scales`.
    Awq,
}

impl Calibration {
    /// The mode's name in Keras's policies (`gptq`, `awq`).
    pub fn name(self) -> &'static str {
        match self {
            Calibration::Gptq => "gptq",
            Calibration::Awq => "awq",
        }
    }
}

impl QuantMode {
    /// The mode as the policy names it (`int8`, `int4/128`).
    pub fn name(&self) -> String {
        match self {
            QuantMode::Int8 => "int8".into(),
            QuantMode::Int4 { block_size } => {
                format!("int4/{}", block_size.map_or(-1, |b| b as i64))
            }
            QuantMode::Float8 { .. } => "float8".into(),
            QuantMode::Calibrated {
                method,
                bits,
                group_size,
            } => format!(
                "{}/{bits}/{}",
                method.name(),
                group_size.map_or(-1, |g| g as i64)
            ),
        }
    }
}

/// A layer's dtype policy (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct DTypePolicy {
    /// The `dtype` value as read, written back when the policy says more
    /// than float32 (see [`DTypePolicy::written`]).
    raw: Option<Value>,
    /// The float type the layer computes in.
    pub compute: Precision,
    /// The weight quantization of a Keras 3 quantized layer.
    pub quantization: Option<QuantMode>,
    /// The policy's name as Keras prints it (`mixed_float16`,
    /// `int8_from_float32`).
    pub name: String,
}

impl Default for DTypePolicy {
    fn default() -> Self {
        DTypePolicy {
            raw: None,
            compute: Precision::F32,
            quantization: None,
            name: "float32".into(),
        }
    }
}

impl DTypePolicy {
    /// Read a layer's `dtype` value (absent: float32). Errors say what is
    /// wrong with it (the caller names the layer and field).
    pub fn parse(v: Option<&Value>) -> std::result::Result<DTypePolicy, String> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(DTypePolicy::default());
        };
        let (name, amax) = match v {
            Value::String(name) => (name.clone(), None),
            Value::Object(o) => {
                let class = o.get("class_name").and_then(Value::as_str).unwrap_or("");
                let config = o.get("config").and_then(Value::as_object);
                let field = |k: &str| config.and_then(|c| c.get(k)).and_then(Value::as_str);
                let amax = config.and_then(|c| c.get("amax_history_length"));
                let amax = match amax {
                    None => None,
                    Some(a) => Some(
                        a.as_u64()
                            .filter(|&a| a > 0 && a <= 1 << 20)
                            .ok_or_else(|| format!("{v}: amax_history_length must be a positive integer (at most 2^20)"))?
                            as usize,
                    ),
                };
                match (field("name"), field("mode"), field("source_name")) {
                    (Some(name), None, _) => (name.to_string(), amax),
                    (_, Some(mode), source) => {
                        (format!("{mode}_from_{}", source.unwrap_or("float32")), amax)
                    }
                    _ => {
                        return Err(format!(
                            "{v}: a {} policy without a `name` (or quantization `mode`)",
                            if class.is_empty() { "dtype" } else { class }
                        ))
                    }
                }
            }
            other => return Err(format!("expected a dtype name or policy, got {other}")),
        };
        let (compute, mut quantization) = Self::of_name(&name)?;
        if let (
            Some(QuantMode::Float8 {
                amax_history_length,
            }),
            Some(a),
        ) = (&mut quantization, amax)
        {
            *amax_history_length = a;
        }
        let plain = compute == Precision::F32 && quantization.is_none();
        Ok(DTypePolicy {
            raw: (!plain).then(|| v.clone()),
            compute,
            quantization,
            name,
        })
    }

    /// A policy name: a float dtype (`mixed_float16`) or a quantized one
    /// (`int8_from_float32`, `int4/128_from_mixed_bfloat16`).
    fn of_name(name: &str) -> std::result::Result<(Precision, Option<QuantMode>), String> {
        let Some((mode, source)) = name.split_once("_from_") else {
            return Ok((Precision::of_name(name), None));
        };
        let bad = |why: &str| format!("quantized dtype policy {name:?}: {why}");
        let quant = match mode.split_once('/') {
            None if mode == "int8" => QuantMode::Int8,
            None if mode == "float8" => QuantMode::Float8 {
                amax_history_length: 1024,
            },
            None if mode == "int4" => QuantMode::Int4 { block_size: None },
            Some(("int4", block)) => match block.parse::<i64>() {
                Ok(-1) => QuantMode::Int4 { block_size: None },
                Ok(b) if b > 0 => QuantMode::Int4 {
                    block_size: Some(b as usize),
                },
                _ => return Err(bad("the int4 block size must be -1 or a positive integer")),
            },
            Some((method @ ("gptq" | "awq"), rest)) => {
                calibrated(method, rest).map_err(|e| bad(&e))?
            }
            _ => {
                return Err(bad(
                    "unknown mode (Keras has int8, int4, float8, gptq, awq)",
                ))
            }
        };
        Ok((Precision::of_name(source), Some(quant)))
    }

    /// The `dtype` to write back: the policy as read when it is not plain.
    pub fn written(&self) -> Option<&Value> {
        self.raw.as_ref()
    }
}

/// A GPTQ / AWQ mode's `<bits>/<group_size>`, checked as Keras's
/// `GPTQDTypePolicy` / `AWQDTypePolicy` check them.
fn calibrated(method: &str, rest: &str) -> std::result::Result<QuantMode, String> {
    let (method, allowed): (_, &[u8]) = match method {
        "gptq" => (Calibration::Gptq, &[2, 3, 4, 8]),
        _ => (Calibration::Awq, &[4]),
    };
    let name = method.name();
    let parts = rest
        .split_once('/')
        .and_then(|(b, g)| Some((b.parse::<u8>().ok()?, g.parse::<i64>().ok()?)));
    let Some((bits, group)) = parts else {
        return Err(format!(
            "expected `{name}/<weight_bits>/<group_size>` with integers"
        ));
    };
    if !allowed.contains(&bits) {
        return Err(format!(
            "{name} weight_bits {bits}: Keras supports {allowed:?}"
        ));
    }
    let group_size = match group {
        -1 => None,
        g if g > 0 => Some(usize::try_from(g).map_err(|_| "group_size too large")?),
        g => {
            return Err(format!(
                "{name} group_size {g}: expected -1 or a positive integer"
            ))
        }
    };
    Ok(QuantMode::Calibrated {
        method,
        bits,
        group_size,
    })
}

/// Whether Keras casts a layer's floating inputs and weights to its compute
/// dtype (`autocast`): all layers but the normalizations (which compute in
/// float32 with float32 weights and cast only their output) and
/// `Embedding` (float32 table; its output is cast).
pub fn autocasts(class_name: &str) -> bool {
    !matches!(
        class_name,
        "BatchNormalization" | "LayerNormalization" | "GroupNormalization" | "Embedding"
    )
}

/// Whether a layer's floating outputs are of its compute dtype: all but a
/// quantized `Embedding`'s, which divides its integer rows by its float32
/// scales (not cast: Embedding does not `autocast`) and so outputs float32
/// values under `int8_from_mixed_bfloat16` too.
pub fn outputs_in_compute_dtype(class_name: &str, policy: &DTypePolicy) -> bool {
    !(class_name == "Embedding" && policy.quantization.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_float_and_quantized_policies() {
        let p = |v: Value| DTypePolicy::parse(Some(&v)).unwrap();
        assert!(p(json!("float32")).written().is_none());
        assert!(p(json!("int32")).written().is_none());
        assert_eq!(DTypePolicy::parse(None).unwrap(), DTypePolicy::default());
        assert_eq!(p(json!("mixed_float16")).compute, Precision::F16);
        assert_eq!(p(json!("mixed_float16")).name, "mixed_float16");
        assert_eq!(p(json!("bfloat16")).compute, Precision::BF16);
        let q = p(json!({"class_name": "QuantizedDTypePolicy",
                         "config": {"mode": "int8", "source_name": "float32"}}));
        assert_eq!(q.quantization, Some(QuantMode::Int8));
        assert_eq!(q.compute, Precision::F32);
        assert_eq!(q.name, "int8_from_float32");
        assert!(q.written().is_some());
        let q = p(json!({"class_name": "Int4DTypePolicy",
                         "config": {"mode": "int4/128", "source_name": "mixed_bfloat16"}}));
        assert_eq!(
            q.quantization,
            Some(QuantMode::Int4 {
                block_size: Some(128)
            })
        );
        assert_eq!(q.compute, Precision::BF16);
        assert_eq!(
            p(json!("int4/-1_from_float32")).quantization,
            Some(QuantMode::Int4 { block_size: None })
        );
        assert_eq!(
            p(json!({"class_name": "Policy", "config": {"name": "mixed_bfloat16"}})).compute,
            Precision::BF16
        );
        assert_eq!(
            p(json!({"class_name": "AWQDTypePolicy",
                     "config": {"mode": "awq/4/-1", "source_name": "float32"}}))
            .quantization,
            Some(QuantMode::Calibrated {
                method: Calibration::Awq,
                bits: 4,
                group_size: None
            })
        );
        let gptq = p(json!("gptq/8/16_from_float32")).quantization.unwrap();
        assert_eq!(gptq.name(), "gptq/8/16");
        for bad in ["gptq/5/16", "awq/8/16", "gptq/4/0", "gptq/4", "awq/x/2"] {
            let name = format!("{bad}_from_float32");
            assert!(DTypePolicy::parse(Some(&json!(name))).is_err(), "{bad}");
        }
        assert!(DTypePolicy::parse(Some(&json!("int3_from_float32"))).is_err());
        assert!(DTypePolicy::parse(Some(&json!("int4/0_from_float32"))).is_err());
        assert!(DTypePolicy::parse(Some(&json!({"class_name": "DTypePolicy"}))).is_err());
        assert!(DTypePolicy::parse(Some(&json!(3))).is_err());
    }
}

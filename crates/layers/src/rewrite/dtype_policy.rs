//! Keras dtype policies TensorFlow.js 4.22 has no counterpart for.
//!
//! - A Keras 3 quantized layer (`int8_from_float32`, `int4/…`, `float8_…`:
//!   `Dense`, `EinsumDense`, `Embedding` after `model.quantize`; TF.js has
//!   no quantized layers) becomes the float layer holding its dequantized
//!   weights ([`rule`]) where that computes Keras's numbers: an
//!   `Embedding` (Keras divides the looked-up row by its scale: the same
//!   values) and a `Dense` that does not quantize its inputs (`int4`'s
//!   default, int8 without an activation quantizer: Keras multiplies by
//!   the integer kernel and divides by the scale, or multiplies by the
//!   dequantized kernel). A Dense quantizing its inputs on every call
//!   (`int8`'s default) or computing in bfloat16 / float16
//!   (`int8_from_mixed_bfloat16`: each step rounded), float8 and an int8 /
//!   int4 `EinsumDense` are refused. A GPTQ / AWQ `Dense` or `EinsumDense`
//!   (weight-only: Keras multiplies by its dequantized kernel) becomes the
//!   float layer for TF.js and, since Keras 3.15 cannot reload its own
//!   GPTQ / AWQ files, for Keras exports too ([`keras_rule`]). The float
//!   layer then goes through the target's rules as any float layer does
//!   (an `EinsumDense` becomes `Dense` and reshapes for TF.js).
//!   (A quantized Embedding's outputs are float32 under any policy.)
//! - A mixed-precision policy (`mixed_float16`, `mixed_bfloat16`, and
//!   `float16` / `bfloat16`) is dropped ([`rewrite_config`]): TF.js
//!   computes in float32, which Keras's float32 variables allow; the
//!   outputs differ from Keras's by float16 / bfloat16 rounding (a note
//!   says so). TF.js reads `dtype` only with an input shape, as the dtype
//!   of the input it makes, which becomes float32.
//! - An input of a dtype TF.js has no tensors of (`uint8`, `int64`, …,
//!   `float64`; TF.js has float32, int32, bool, string) cannot be fed
//!   there ("The dtype of the feed (int32) can not be cast to the dtype of
//!   the key … (uint8)"): it becomes int32 (integers) or float32
//!   ([`rewrite_config`]), which hold the same values for the layers after
//!   it.

use super::{entry, f32_weight, Outcome, Site};
use crate::layers::common::dtype::{Calibration, DTypePolicy, Precision, QuantMode};
use crate::layers::common::quantized::{
    calibrated_zero_name, dequantize_calibrated, dequantize_grouped, dequantize_row_grouped,
    CalibratedWeights, Quantization,
};
use serde_json::{Map, Value};
use tfjs_format::codec::{DecodedWeight, TensorValues};

/// The rule: quantized layers dequantized, or refused.
pub fn rule(site: &Site<'_>) -> Outcome {
    let p = match DTypePolicy::parse(site.config.get("dtype")) {
        Ok(p) if p.quantization.is_some() => p,
        _ => return Outcome::Skip,
    };
    replace_dequantized(site, &p)
}

/// The rule of a Keras export: a GPTQ / AWQ layer becomes its float layer
/// (Keras 3.15 cannot reload its own GPTQ / AWQ files: `.keras` and
/// `save_weights` drop `kernel_zero`, and a legacy `.h5` it loads leaves
/// the layers uncalibrated: they fail on their first call);
/// other quantized layers are written as they are (Keras reloads them).
pub fn keras_rule(site: &Site<'_>) -> Outcome {
    match DTypePolicy::parse(site.config.get("dtype")) {
        Ok(p) if matches!(p.quantization, Some(QuantMode::Calibrated { .. })) => {
            replace_dequantized(site, &p)
        }
        _ => Outcome::Skip,
    }
}

/// The float layer holding `site`'s dequantized weights, as the target's
/// rules rewrite that float layer, or why there is none.
fn replace_dequantized(site: &Site<'_>, p: &DTypePolicy) -> Outcome {
    match dequantized(site, p) {
        Ok(weights) => {
            let mut config = site.config.clone();
            config.remove("quantization_config");
            config.remove("gptq_unpacked_column_size");
            if config.contains_key("batch_input_shape") {
                config.insert("dtype".into(), "float32".into());
            } else {
                config.remove("dtype");
            }
            let float = Site {
                config: &config,
                weights: weights.iter().collect(),
                ..*site
            };
            let rewritten = super::rules_for(site.target)
                .iter()
                .map(|rule| rule(&float))
                .find(|o| !matches!(o, Outcome::Skip));
            if let Some(outcome) = rewritten {
                return outcome;
            }
            Outcome::Replace {
                layers: vec![entry(
                    site.name,
                    site.class_name,
                    Value::Object(config),
                    site.inbound_nodes
                        .map(<[Value]>::to_vec)
                        .unwrap_or_default(),
                )],
                weights,
            }
        }
        Err(why) => Outcome::Cannot(format!(
            "dtype policy `{}`: {why}; {}",
            p.name,
            if site.target == super::Target::Tfjs {
                "TensorFlow.js 4.22 has no quantized layers"
            } else {
                "Keras 3.15 cannot reload its own GPTQ / AWQ files"
            }
        )),
    }
}

/// The float weights computing what the quantized layer computes, or why
/// there are none.
fn dequantized(site: &Site<'_>, p: &DTypePolicy) -> Result<Vec<DecodedWeight>, String> {
    let quant = Quantization::read(
        &crate::config::ConfigReader::new(site.name, site.config),
        &base_of(site, p),
        site.class_name,
        true,
    )
    .map_err(|e| e.to_string())?
    .ok_or("not quantized")?;
    let ints = |short: &str| -> Result<(Vec<usize>, Vec<i32>), String> {
        let w = site
            .weight(short)
            .ok_or_else(|| format!("its weight {short} is missing"))?;
        match &w.values {
            TensorValues::Int32(v) => Ok((w.shape.clone(), v.clone())),
            TensorValues::Float32(v) => {
                Ok((w.shape.clone(), v.iter().map(|&x| x as i32).collect()))
            }
            _ => Err(format!("its weight {short} is not numbers")),
        }
    };
    let floats = |short: &str| {
        site.f32_weight(short)
            .map(|(s, v)| (s.to_vec(), v.to_vec()))
    };
    let out = |short: &str, shape: Vec<usize>, v: Vec<f32>| {
        f32_weight(format!("{}/{short}", site.name), shape, v)
    };
    // The quantized matrix `short` (`[rows, cols]`; int4 packs two values
    // per byte) as one int per value, and its rows.
    let unpacked = |short: &str, cols: usize| -> Result<(usize, Vec<i32>), String> {
        let (shape, q) = ints(short)?;
        let rows = shape.first().copied().unwrap_or(0);
        let int8 = matches!(quant.mode, QuantMode::Int8);
        let stored = if int8 { cols } else { cols.div_ceil(2) };
        if rows.checked_mul(stored) != Some(q.len()) {
            return Err(format!(
                "its weight {short} of shape {shape:?} does not hold {rows} x {cols} values"
            ));
        }
        Ok(if int8 {
            (rows, q)
        } else {
            (rows, tfjs_kernels::quant::unpack_int4(&q, rows, cols))
        })
    };
    let per_row_groups = matches!(quant.mode, QuantMode::Int4 { .. }) && quant.block_size.is_some();
    match (site.class_name, &quant.mode) {
        (class @ ("Dense" | "EinsumDense"), QuantMode::Calibrated { method, bits, .. }) => {
            let (_, g_idx) = floats("g_idx")?;
            // The float kernel's shape, and Keras's `[k, n]` view of it.
            let (shape, (k, n)) = if class == "Dense" {
                let n = site.field("units", Value::as_u64).unwrap_or(0) as usize;
                (vec![g_idx.len(), n], (g_idx.len(), n))
            } else {
                let input = site
                    .shapes
                    .and_then(|s| s.inputs.first())
                    .ok_or("its input shape is unknown")?;
                crate::layers::einsum_dense::calibrated_kernel_shape(site.name, site.config, input)
                    .map_err(|e| e.to_string())?
            };
            let awq_scales = match method {
                Calibration::Awq => Some(floats("awq_scales")?.1),
                Calibration::Gptq => None,
            };
            let kernel = dequantize_calibrated(
                site.name,
                &CalibratedWeights {
                    kernel: &ints("kernel")?.1,
                    kernel_scale: &floats("kernel_scale")?.1,
                    kernel_zero: &ints(calibrated_zero_name(class))?.1,
                    g_idx: &g_idx,
                    awq_scales: awq_scales.as_deref(),
                },
                *bits,
                (k, n),
            )
            .map_err(|e| e.to_string())?;
            let mut weights = vec![out("kernel", shape, kernel)];
            if let Ok((shape, bias)) = floats("bias") {
                weights.push(out("bias", shape, bias));
            }
            Ok(weights)
        }
        ("Embedding", QuantMode::Int8 | QuantMode::Int4 { .. }) => {
            let d = site.field("output_dim", Value::as_u64).unwrap_or(0) as usize;
            let (rows, q) = unpacked("embeddings", d)?;
            let (_, scale) = floats("embeddings_scale")?;
            let mut table = Vec::with_capacity(rows * d);
            if per_row_groups {
                let (_, zero) = ints("embeddings_zero")?;
                let (_, g_idx) = floats("g_idx")?;
                let groups = scale.len() / rows.max(1);
                let zero: Vec<f32> = zero.iter().map(|&v| v as f32).collect();
                for r in 0..rows {
                    let per_row = |v: &[f32]| v[r * groups..(r + 1) * groups].to_vec();
                    dequantize_row_grouped(
                        site.name,
                        &q[r * d..(r + 1) * d],
                        (&per_row(&scale), &per_row(&zero)),
                        &g_idx,
                        &mut table,
                    )
                    .map_err(|e| e.to_string())?;
                }
            } else {
                for r in 0..rows {
                    table.extend(q[r * d..(r + 1) * d].iter().map(|&v| v as f32 / scale[r]));
                }
            }
            Ok(vec![out("embeddings", vec![rows, d], table)])
        }
        ("Dense", QuantMode::Int8 | QuantMode::Int4 { .. }) if quant.compute != Precision::F32 => {
            Err(format!(
                "the layer computes in {}, rounding each step (a float32 Dense does not)",
                if quant.compute == Precision::F16 {
                    "float16"
                } else {
                    "bfloat16"
                }
            ))
        }
        ("Dense", QuantMode::Int8 | QuantMode::Int4 { .. }) if quant.inputs.is_none() => {
            let n = site.field("units", Value::as_u64).unwrap_or(0) as usize;
            let (k, q) = unpacked("kernel", n)?;
            let (_, scale) = floats("kernel_scale")?;
            let kernel = if per_row_groups {
                let (_, zero) = ints("kernel_zero")?;
                let zero: Vec<f32> = zero.iter().map(|&v| v as f32).collect();
                let (_, g_idx) = floats("g_idx")?;
                dequantize_grouped(site.name, &q, (k, n), &scale, &zero, &g_idx)
                    .map_err(|e| e.to_string())?
            } else {
                q.iter()
                    .enumerate()
                    .map(|(i, &v)| v as f32 / scale[i % n])
                    .collect()
            };
            let mut weights = vec![out("kernel", vec![k, n], kernel)];
            if let Ok((shape, bias)) = floats("bias") {
                weights.push(out("bias", shape, bias));
            }
            Ok(weights)
        }
        ("Dense", QuantMode::Int8 | QuantMode::Int4 { .. }) => {
            Err("the layer quantizes its inputs on every call (an activation quantizer)".into())
        }
        (_, QuantMode::Float8 { .. }) => {
            Err("float8 layers round their inputs to float8 on every call".into())
        }
        (class, _) => Err(format!(
            "no float {class} computes a quantized {class}'s numbers"
        )),
    }
}

/// A [`Base`] carrying `p`, for [`Quantization::read`].
fn base_of(site: &Site<'_>, p: &DTypePolicy) -> crate::layers::common::Base {
    crate::layers::common::Base {
        name: site.name.to_string(),
        trainable: true,
        batch_input_shape: None,
        dtype: None,
        policy: p.clone(),
    }
}

/// Drop a mixed-precision policy from a layer config in place (also those
/// of wrapped layers and cells); returns notes on what changed.
pub fn rewrite_config(config: &mut Map<String, Value>) -> Vec<String> {
    let mut notes = Vec::new();
    if let Ok(p) = DTypePolicy::parse(config.get("dtype")) {
        if p.quantization.is_none() && p.compute != Precision::F32 {
            notes.push(format!(
                "dtype policy {} -> float32 (TensorFlow.js computes in float32; outputs differ \
                 from Keras's by {} rounding)",
                p.name,
                if p.compute == Precision::F16 {
                    "float16"
                } else {
                    "bfloat16"
                }
            ));
            if config.contains_key("batch_input_shape") {
                config.insert("dtype".into(), "float32".into());
            } else {
                config.remove("dtype");
            }
        }
    }
    let input_dtype = config
        .contains_key("batch_input_shape")
        .then(|| config.get("dtype").and_then(Value::as_str))
        .flatten();
    if let Some(from) = input_dtype {
        let to = match from {
            "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int64" | "uint64" => Some("int32"),
            "float64" => Some("float32"),
            _ => None,
        };
        if let Some(to) = to {
            notes.push(format!(
                "input dtype {from} -> {to} (TensorFlow.js 4.22 has no {from} tensors to feed)"
            ));
            config.insert("dtype".into(), to.into());
        }
    }
    super::walk::for_each_inner_config(config, &mut |c| notes.extend(rewrite_config(c)));
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mixed_policies_become_float32_and_quantized_ones_are_refused() {
        let mut c = json!({"units": 2, "dtype": "mixed_float16",
                           "layer": {"class_name": "Dense",
                                     "config": {"dtype": "mixed_bfloat16"}}});
        let notes = rewrite_config(c.as_object_mut().unwrap());
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(c.get("dtype").is_none());
        assert!(c.pointer("/layer/config/dtype").is_none());
        let mut pixels = json!({"batch_input_shape": [null, 3], "dtype": "uint8"});
        assert_eq!(rewrite_config(pixels.as_object_mut().unwrap()).len(), 1);
        assert_eq!(pixels["dtype"], "int32");
        let mut wide = json!({"batch_input_shape": [null, 3], "dtype": "float64"});
        rewrite_config(wide.as_object_mut().unwrap());
        assert_eq!(wide["dtype"], "float32");
        let mut ids = json!({"batch_input_shape": [null, 3], "dtype": "int32"});
        assert!(rewrite_config(ids.as_object_mut().unwrap()).is_empty());
        let mut first = json!({"batch_input_shape": [null, 3], "dtype": "mixed_float16"});
        rewrite_config(first.as_object_mut().unwrap());
        assert_eq!(first["dtype"], "float32");
        let mut plain = json!({"dtype": "float32"});
        assert!(rewrite_config(plain.as_object_mut().unwrap()).is_empty());
        assert_eq!(plain["dtype"], "float32");

        let config = json!({"units": 2, "dtype": {"class_name": "QuantizedDTypePolicy",
                            "config": {"mode": "int8", "source_name": "float32"}}});
        let site = Site {
            name: "d",
            class_name: "Dense",
            config: config.as_object().unwrap(),
            inbound_nodes: None,
            shapes: None,
            weights: Vec::new(),
            masks_possible: false,
            dialect: crate::Dialect::Tfjs,
            target: super::super::Target::Tfjs,
            notes: &Default::default(),
        };
        // int8's default quantizes the inputs: refused.
        match rule(&site) {
            Outcome::Cannot(why) => assert!(why.contains("int8_from_float32"), "{why}"),
            _ => panic!("a Dense quantizing its inputs must be refused"),
        }
    }
}

//! TensorFlow.js weights ↔ `.safetensors` (through the `safetensors` crate).
//!
//! Export: one tensor per manifest weight, named as in the manifest, with
//! its TensorFlow.js dtype (float32 / int32 / bool; quantized weights are
//! stored dequantized, as TensorFlow.js would load them). The safetensors
//! metadata (string → string) holds `format` (`"tfjs-layers-model"`),
//! `modelTopology` (JSON), `weightOrder` (JSON list: safetensors sorts its
//! tensors, the manifest order is restored from this on import), and
//! `generatedBy` / `convertedBy` when known.
//!
//! Import: that metadata, or a topology given separately; tensors of dtypes
//! TensorFlow.js cannot store are converted (float16/bfloat16/float64 to
//! float32, other integers to int32) with a note each.

use crate::import::Imported;
use crate::{KerasError, Result};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde_json::Value;
use std::collections::HashMap;
use tfjs_format::codec::{decode_weights, TensorValues};
use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};

/// `format` metadata value of files this module writes.
pub const FORMAT: &str = "tfjs-layers-model";

/// Serialize `artifacts` (weights and topology) as safetensors bytes.
pub fn export(artifacts: &ModelArtifacts) -> Result<Vec<u8>> {
    let decoded = decode_weights(&artifacts.weight_specs, &artifacts.weight_data)
        .map_err(|e| KerasError::msg(format!("cannot decode the weights: {e}")))?;
    let mut owned: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::with_capacity(decoded.len());
    for (spec, d) in artifacts.weight_specs.iter().zip(decoded) {
        let (dtype, bytes): (Dtype, Vec<u8>) = match d.values {
            TensorValues::Float32(v) => {
                (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect())
            }
            TensorValues::Int32(v) => {
                (Dtype::I32, v.iter().flat_map(|x| x.to_le_bytes()).collect())
            }
            TensorValues::Bool(v) if spec.dtype == DType::Bool => (Dtype::BOOL, v),
            _ => {
                return Err(KerasError::msg(format!(
                    "weight `{}` has dtype {}, which safetensors cannot hold",
                    spec.name,
                    spec.dtype.as_str()
                )))
            }
        };
        owned.push((spec.name.clone(), dtype, d.shape, bytes));
    }
    let views = owned
        .iter()
        .map(|(n, dt, shape, b)| {
            TensorView::new(*dt, shape.clone(), b)
                .map(|v| (n.as_str(), v))
                .map_err(|e| KerasError::msg(format!("weight `{n}`: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), FORMAT.to_string());
    if let Some(t) = &artifacts.model_topology {
        meta.insert("modelTopology".to_string(), t.to_string());
    }
    let order: Vec<&str> = artifacts
        .weight_specs
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    meta.insert(
        "weightOrder".to_string(),
        serde_json::to_string(&order).unwrap_or_default(),
    );
    if let Some(g) = &artifacts.generated_by {
        meta.insert("generatedBy".to_string(), g.clone());
    }
    if let Some(Value::String(c)) = &artifacts.converted_by {
        meta.insert("convertedBy".to_string(), c.clone());
    }
    safetensors::tensor::serialize(views, Some(meta))
        .map_err(|e| KerasError::msg(format!("cannot write safetensors: {e}")))
}

/// Read safetensors `bytes`; the topology comes from the file's metadata or
/// from `topology` (a model.json or a bare topology), which wins when given.
pub fn import(bytes: &[u8], topology: Option<&Value>) -> Result<Imported> {
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| KerasError::msg(format!("not a valid safetensors file: {e}")))?;
    let (_, metadata) = SafeTensors::read_metadata(bytes)
        .map_err(|e| KerasError::msg(format!("not a valid safetensors file: {e}")))?;
    let meta = metadata.metadata().clone().unwrap_or_default();
    let json = |key: &str| -> Result<Option<Value>> {
        meta.get(key)
            .map(|s| {
                serde_json::from_str(s).map_err(|e| {
                    KerasError::Json(format!("safetensors metadata `{key}` is not JSON: {e}"))
                })
            })
            .transpose()
    };
    let topology = match topology {
        Some(t) => t.get("modelTopology").unwrap_or(t).clone(),
        None => json("modelTopology")?.ok_or_else(|| {
            KerasError::msg("the safetensors file holds no topology (`modelTopology` metadata); give one with --topology")
        })?,
    };
    let mut names: Vec<String> = match json("weightOrder")? {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => {
            let mut n: Vec<String> = st.names().into_iter().map(String::from).collect();
            n.sort();
            n
        }
    };
    if names.len() != st.len() {
        let listed: std::collections::BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let unlisted: Vec<String> = st
            .names()
            .into_iter()
            .filter(|n| !listed.contains(n))
            .map(String::from)
            .collect();
        names.extend(unlisted);
    }
    let mut notes = Vec::new();
    let mut specs = Vec::with_capacity(names.len());
    let mut data = Vec::new();
    for name in names {
        let t = st
            .tensor(&name)
            .map_err(|e| KerasError::msg(format!("tensor `{name}` listed in weightOrder: {e}")))?;
        let raw = t.data();
        let (dtype, bytes): (DType, Vec<u8>) = match t.dtype() {
            Dtype::F32 => (DType::Float32, raw.to_vec()),
            Dtype::I32 => (DType::Int32, raw.to_vec()),
            Dtype::BOOL => (DType::Bool, raw.to_vec()),
            Dtype::F16 | Dtype::BF16 | Dtype::F64 => {
                notes.push(format!("{name}: {:?} stored as float32", t.dtype()));
                let f: Vec<f32> = match t.dtype() {
                    Dtype::F16 => raw
                        .chunks_exact(2)
                        .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                        .collect(),
                    Dtype::BF16 => raw
                        .chunks_exact(2)
                        .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                        .collect(),
                    _ => raw
                        .chunks_exact(8)
                        .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as f32)
                        .collect(),
                };
                (
                    DType::Float32,
                    f.iter().flat_map(|x| x.to_le_bytes()).collect(),
                )
            }
            Dtype::I64 | Dtype::I8 | Dtype::U8 | Dtype::I16 | Dtype::U16 | Dtype::U32 => {
                let size = t.dtype().bitsize() / 8;
                let signed = matches!(t.dtype(), Dtype::I64 | Dtype::I8 | Dtype::I16);
                notes.push(format!("{name}: {:?} stored as int32", t.dtype()));
                let mut out = Vec::with_capacity(raw.len() / size * 4);
                for b in raw.chunks_exact(size) {
                    let mut v = [0u8; 8];
                    v[..size].copy_from_slice(b);
                    let x = if signed {
                        let shift = 64 - 8 * size as u32;
                        (i64::from_le_bytes(v) << shift) >> shift
                    } else {
                        i64::from_le_bytes(v)
                    };
                    let y = i32::try_from(x).map_err(|_| {
                        KerasError::msg(format!("{name}: value {x} does not fit in int32"))
                    })?;
                    out.extend_from_slice(&y.to_le_bytes());
                }
                (DType::Int32, out)
            }
            other => {
                return Err(KerasError::msg(format!(
                    "tensor `{name}` has dtype {other:?}, which TensorFlow.js cannot store"
                )))
            }
        };
        specs.push(WeightSpec::new(name, t.shape().to_vec(), dtype));
        data.extend(bytes);
    }
    let generated_by = meta.get("generatedBy").cloned();
    Ok(Imported {
        artifacts: ModelArtifacts {
            model_topology: Some(topology),
            weight_specs: specs,
            weight_data: WeightData::from_vec(data),
            format: Some("layers-model".into()),
            generated_by,
            converted_by: Some(
                meta.get("convertedBy")
                    .map_or(Value::Null, |c| Value::String(c.clone())),
            ),
            ..Default::default()
        },
        notes,
    })
}

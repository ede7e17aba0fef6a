//! JSON texts shared by the stores, spelled exactly as TensorFlow.js's
//! `JSON.stringify` spells them in the browser.

use serde_json::{Map, Value};
use tfjs_format::manifest::{weight_specs_from_value, weight_specs_to_value};
use tfjs_format::{JsonStyle, ModelArtifacts, ModelArtifactsInfo, WeightSpec};
use tfjs_io::{IoError, Result};

/// `new Date().toISOString()`: `2024-05-01T12:00:00.000Z`.
pub(crate) fn now_iso() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

/// The serialized pieces of a model, with the info TensorFlow.js computes
/// from exactly these strings.
pub(crate) struct Serialized {
    /// `JSON.stringify(modelTopology)`, `None` when there is no topology.
    pub topology: Option<String>,
    /// `JSON.stringify(weightSpecs)`.
    pub specs: String,
    /// `JSON.stringify(metadata)` (localStorage's `model_metadata`).
    pub metadata: String,
    pub info: ModelArtifactsInfo,
}

pub(crate) fn serialize(artifacts: &ModelArtifacts) -> Serialized {
    let topology = artifacts
        .model_topology
        .as_ref()
        .map(|t| JsonStyle::Browser.to_string(t));
    let specs = JsonStyle::Browser.to_string(&weight_specs_to_value(&artifacts.weight_specs));
    let metadata = JsonStyle::Browser.to_string(&Value::Object(metadata_map(artifacts)));
    let info = ModelArtifactsInfo {
        date_saved: now_iso(),
        model_topology_type: "JSON".to_string(),
        model_topology_bytes: topology.as_ref().map_or(0, |t| t.len() as u64),
        weight_specs_bytes: specs.len() as u64,
        weight_data_bytes: artifacts.weight_data.len() as u64,
    };
    Serialized {
        topology,
        specs,
        metadata,
        info,
    }
}

/// localStorage's `model_metadata` object: `format, generatedBy, convertedBy,
/// signature, userDefinedMetadata, modelInitializer, initializerSignature,
/// trainingConfig`, absent ones left out (`convertedBy: null` kept).
pub(crate) fn metadata_map(a: &ModelArtifacts) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put("format", a.format.clone().map(Value::String));
    put("generatedBy", a.generated_by.clone().map(Value::String));
    put("convertedBy", a.converted_by.clone());
    put("signature", a.signature.clone());
    put("userDefinedMetadata", a.user_defined_metadata.clone());
    put("modelInitializer", a.model_initializer.clone());
    put("initializerSignature", a.initializer_signature.clone());
    put("trainingConfig", a.training_config.clone());
    m
}

/// Copy metadata fields into `a` as TensorFlow.js's loaders do: `format`,
/// `generatedBy` and `convertedBy` as stored (absent → unset), the others
/// only when non-null.
pub(crate) fn apply_metadata(
    a: &mut ModelArtifacts,
    metadata: &Map<String, Value>,
    source: &str,
) -> Result<()> {
    let string_field = |k: &str| -> Result<Option<String>> {
        match metadata.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(IoError::invalid(format!(
                "{source}: field `{k}` must be a string, got {other}"
            ))),
        }
    };
    a.format = string_field("format")?;
    a.generated_by = string_field("generatedBy")?;
    a.converted_by = metadata.get("convertedBy").cloned();
    let non_null = |k: &str| metadata.get(k).filter(|v| !v.is_null()).cloned();
    a.signature = non_null("signature");
    a.user_defined_metadata = non_null("userDefinedMetadata");
    a.model_initializer = non_null("modelInitializer");
    a.initializer_signature = non_null("initializerSignature");
    a.training_config = non_null("trainingConfig");
    Ok(())
}

/// `JSON.stringify(modelArtifactsInfo)` with `dateSaved` as an ISO string.
pub(crate) fn info_to_json(info: &ModelArtifactsInfo) -> String {
    JsonStyle::Browser.to_string(&info.to_json_value())
}

/// Parse JSON text stored in the profile; `source` names the model and key.
pub(crate) fn parse_json(text: &str, source: &str) -> Result<Value> {
    Ok(tfjs_format::json::parse_value(text.as_bytes(), source)?)
}

/// Parse a stored `ModelArtifactsInfo`.
pub(crate) fn info_from_json(text: &str, source: &str) -> Result<ModelArtifactsInfo> {
    let v = parse_json(text, source)?;
    let Value::Object(m) = v else {
        return Err(IoError::invalid(format!(
            "{source}: expected a JSON object (ModelArtifactsInfo), got {text:.80}"
        )));
    };
    let s = |k: &str| -> Result<String> {
        match m.get(k) {
            Some(Value::String(s)) => Ok(s.clone()),
            other => Err(IoError::invalid(format!(
                "{source}: field `{k}` must be a string, got {}",
                other.map_or("nothing".to_string(), Value::to_string)
            ))),
        }
    };
    let n = |k: &str| -> Result<u64> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(0),
            Some(Value::Number(x)) => x
                .as_u64()
                .or_else(|| {
                    x.as_f64()
                        .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                        .map(|f| f as u64)
                })
                .ok_or_else(|| {
                    IoError::invalid(format!(
                        "{source}: field `{k}` must be a non-negative integer, got {x}"
                    ))
                }),
            Some(other) => Err(IoError::invalid(format!(
                "{source}: field `{k}` must be a number, got {other}"
            ))),
        }
    };
    Ok(ModelArtifactsInfo {
        date_saved: s("dateSaved")?,
        model_topology_type: s("modelTopologyType")?,
        model_topology_bytes: n("modelTopologyBytes")?,
        weight_specs_bytes: n("weightSpecsBytes")?,
        weight_data_bytes: n("weightDataBytes")?,
    })
}

/// Parse stored weight specs.
pub(crate) fn specs_from_json(text: &str, source: &str) -> Result<Vec<WeightSpec>> {
    let v = parse_json(text, source)?;
    Ok(weight_specs_from_value(&v, source)?)
}

//! `ModelArtifactsInfo` and `SaveResult`, counted exactly as TensorFlow.js counts.

use crate::json::json_type;
use crate::manifest::weight_specs_to_value;
use crate::{FormatError, JsonStyle, ModelArtifacts, Result};
use serde_json::{Map, Value};

/// TensorFlow.js `ModelArtifactsInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelArtifactsInfo {
    /// ISO-8601 with milliseconds and `Z`, e.g. `2024-05-01T12:00:00.000Z`.
    pub date_saved: String,
    /// `"JSON"` (or `"GraphDef"` for binary topologies, which we never write).
    pub model_topology_type: String,
    /// UTF-8 byte length of `JSON.stringify(modelTopology)`.
    pub model_topology_bytes: u64,
    /// UTF-8 byte length of `JSON.stringify(weightSpecs)`.
    pub weight_specs_bytes: u64,
    /// Raw weight byte count.
    pub weight_data_bytes: u64,
}

/// The current time as TensorFlow.js writes a `Date` in JSON
/// (`toISOString()`: `2024-10-21T12:34:56.789Z`).
pub fn now_iso8601() -> String {
    iso8601(time::OffsetDateTime::now_utc())
}

/// Format a time as JavaScript's `Date.prototype.toISOString` does.
///
/// ```
/// let t = time::macros::datetime!(2024-10-21 12:34:56.789 UTC);
/// assert_eq!(tfjs_format::info::iso8601(t), "2024-10-21T12:34:56.789Z");
/// ```
pub fn iso8601(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

impl ModelArtifactsInfo {
    /// Info for `artifacts`, dated now.
    ///
    /// ```
    /// use tfjs_format::{DType, ModelArtifacts, ModelArtifactsInfo, WeightData, WeightSpec};
    /// let a = ModelArtifacts {
    ///     model_topology: Some(serde_json::json!({"class_name": "Sequential"})),
    ///     weight_specs: vec![WeightSpec::new("w", vec![1], DType::Float32)],
    ///     weight_data: WeightData::from_vec(vec![0; 4]),
    ///     ..Default::default()
    /// };
    /// let info = ModelArtifactsInfo::for_artifacts(&a);
    /// assert_eq!(info.model_topology_bytes, r#"{"class_name":"Sequential"}"#.len() as u64);
    /// assert_eq!(info.weight_specs_bytes, r#"[{"name":"w","shape":[1],"dtype":"float32"}]"#.len() as u64);
    /// assert_eq!(info.weight_data_bytes, 4);
    /// ```
    pub fn for_artifacts(artifacts: &ModelArtifacts) -> ModelArtifactsInfo {
        Self::for_artifacts_at(artifacts, now_iso8601())
    }

    /// Info for `artifacts` with a given `dateSaved` string.
    pub fn for_artifacts_at(artifacts: &ModelArtifacts, date_saved: String) -> ModelArtifactsInfo {
        let model_topology_bytes = match &artifacts.model_topology {
            None | Some(Value::Null) => 0,
            Some(t) => JsonStyle::Browser.to_string(t).len() as u64,
        };
        let weight_specs_bytes = JsonStyle::Browser
            .to_string(&weight_specs_to_value(&artifacts.weight_specs))
            .len() as u64;
        ModelArtifactsInfo {
            date_saved,
            model_topology_type: "JSON".into(),
            model_topology_bytes,
            weight_specs_bytes,
            weight_data_bytes: artifacts.weight_data.len() as u64,
        }
    }

    /// The JSON object TensorFlow.js stores (localStorage `info` key), key
    /// order `dateSaved, modelTopologyType, modelTopologyBytes,
    /// weightSpecsBytes, weightDataBytes`.
    pub fn to_json_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("dateSaved".into(), Value::String(self.date_saved.clone()));
        m.insert(
            "modelTopologyType".into(),
            Value::String(self.model_topology_type.clone()),
        );
        m.insert(
            "modelTopologyBytes".into(),
            Value::from(self.model_topology_bytes),
        );
        m.insert(
            "weightSpecsBytes".into(),
            Value::from(self.weight_specs_bytes),
        );
        m.insert(
            "weightDataBytes".into(),
            Value::from(self.weight_data_bytes),
        );
        Value::Object(m)
    }

    /// Parse the JSON form (e.g. localStorage's `info` key). `dateSaved` may
    /// be absent (as in captures that strip it: then it is empty); the byte
    /// counts must be non-negative integers. `source` names the origin in
    /// errors.
    pub fn from_json_value(v: &Value, source: &str) -> Result<ModelArtifactsInfo> {
        let Value::Object(m) = v else {
            return Err(FormatError::field(
                source,
                "(top level)",
                format!("expected a ModelArtifactsInfo object, got {}", json_type(v)),
            ));
        };
        let string = |k: &str, required: bool| -> Result<String> {
            match m.get(k) {
                Some(Value::String(s)) => Ok(s.clone()),
                None if !required => Ok(String::new()),
                Some(other) => Err(FormatError::field(
                    source,
                    k,
                    format!("expected a string, got {}", json_type(other)),
                )),
                None => Err(FormatError::field(source, k, "missing")),
            }
        };
        let count = |k: &str| -> Result<u64> {
            match m.get(k) {
                Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
                    FormatError::field(
                        source,
                        k,
                        format!("expected a non-negative integer, got {}", n.as_str()),
                    )
                }),
                Some(other) => Err(FormatError::field(
                    source,
                    k,
                    format!("expected a number, got {}", json_type(other)),
                )),
                None => Err(FormatError::field(source, k, "missing")),
            }
        };
        Ok(ModelArtifactsInfo {
            date_saved: string("dateSaved", false)?,
            model_topology_type: string("modelTopologyType", true)?,
            model_topology_bytes: count("modelTopologyBytes")?,
            weight_specs_bytes: count("weightSpecsBytes")?,
            weight_data_bytes: count("weightDataBytes")?,
        })
    }
}

/// What a save returns (TensorFlow.js `SaveResult`).
#[derive(Debug, Clone, PartialEq)]
pub struct SaveResult {
    /// Byte counts and date of the saved model.
    pub model_artifacts_info: ModelArtifactsInfo,
    /// Non-fatal problems reported by the handler.
    pub errors: Vec<String>,
}

/// A save with no non-fatal problems.
impl From<ModelArtifactsInfo> for SaveResult {
    fn from(model_artifacts_info: ModelArtifactsInfo) -> Self {
        SaveResult {
            model_artifacts_info,
            errors: Vec::new(),
        }
    }
}

//! `ModelArtifactsInfo` and `SaveResult`, counted exactly as TensorFlow.js counts.

use crate::ModelArtifacts;

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

impl ModelArtifactsInfo {
    /// Info for `artifacts`, dated now.
    pub fn for_artifacts(artifacts: &ModelArtifacts) -> ModelArtifactsInfo {
        todo!("format helper: {}", artifacts.weight_specs.len())
    }
}

/// What a save returns (TensorFlow.js `SaveResult`).
#[derive(Debug, Clone, PartialEq)]
pub struct SaveResult {
    pub model_artifacts_info: ModelArtifactsInfo,
    /// Non-fatal problems reported by the handler.
    pub errors: Vec<String>,
}

//! model.json: parsing with field-path errors, and writing in each [`JsonStyle`].

use crate::{JsonStyle, ModelArtifacts, Result, WeightData, WeightsManifest};
use serde_json::{Map, Value};

/// The on-disk / over-the-wire `model.json` (TensorFlow.js `ModelJSON`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelJson {
    pub model_topology: Option<Value>,
    pub weights_manifest: Option<WeightsManifest>,
    pub format: Option<String>,
    pub generated_by: Option<String>,
    /// See [`ModelArtifacts::converted_by`].
    pub converted_by: Option<Value>,
    pub training_config: Option<Value>,
    pub signature: Option<Value>,
    pub user_defined_metadata: Option<Value>,
    pub model_initializer: Option<Value>,
    pub initializer_signature: Option<Value>,
    /// Unknown top-level keys, kept and written back (after the known ones).
    pub extra: Map<String, Value>,
}

impl ModelJson {
    /// Parse model.json bytes. `source_name` (a path or URL) is used in errors.
    /// Every field is type-checked; errors name the JSON path
    /// (`weightsManifest[0].weights[2].dtype`) and what was expected.
    pub fn parse(bytes: &[u8], source_name: &str) -> Result<ModelJson> {
        todo!("format helper: {} {source_name}", bytes.len())
    }

    /// Serialize in `style`: that writer's key order, separators, escaping.
    pub fn to_bytes(&self, style: JsonStyle) -> Vec<u8> {
        todo!("format helper: {style:?}")
    }

    /// Build from artifacts and the manifest that describes where their weights are stored.
    pub fn from_artifacts(
        artifacts: &ModelArtifacts,
        weights_manifest: WeightsManifest,
    ) -> ModelJson {
        todo!(
            "format helper: {} {}",
            artifacts.weight_specs.len(),
            weights_manifest.len()
        )
    }

    /// Turn into artifacts: `weight_specs` is every group's weights in group order.
    pub fn into_artifacts(self, weight_data: WeightData) -> ModelArtifacts {
        todo!("format helper: {}", weight_data.len())
    }
}

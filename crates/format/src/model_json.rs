//! model.json: parsing with field-path errors, and writing in each [`JsonStyle`].

use crate::json::json_type;
use crate::manifest::{manifest_from_value, manifest_to_value};
use crate::{FormatError, JsonStyle, ModelArtifacts, Result, WeightData, WeightsManifest};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The on-disk / over-the-wire `model.json` (TensorFlow.js `ModelJSON`).
///
/// A known key whose value is `null` but whose field type cannot hold `null`
/// (`format`, `generatedBy`, `weightsManifest`) is kept as `null` in
/// [`ModelJson::extra`] and written back at its usual position, so files
/// round-trip byte for byte.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelJson {
    /// `modelTopology`: the Keras-style topology JSON.
    pub model_topology: Option<Value>,
    /// `weightsManifest`: shard paths and weight entries.
    pub weights_manifest: Option<WeightsManifest>,
    /// `format`, `"layers-model"` for layers models.
    pub format: Option<String>,
    /// `generatedBy`, e.g. `"TensorFlow.js tfjs-layers v4.22.0"`.
    pub generated_by: Option<String>,
    /// See [`ModelArtifacts::converted_by`].
    pub converted_by: Option<Value>,
    /// `trainingConfig`, kept verbatim.
    pub training_config: Option<Value>,
    /// `signature`, kept verbatim.
    pub signature: Option<Value>,
    /// `userDefinedMetadata`, kept verbatim.
    pub user_defined_metadata: Option<Value>,
    /// `modelInitializer`, kept verbatim.
    pub model_initializer: Option<Value>,
    /// `initializerSignature`, kept verbatim.
    pub initializer_signature: Option<Value>,
    /// Unknown top-level keys, kept and written back (after the known ones).
    pub extra: Map<String, Value>,
}

/// Key order of each writer (the keys it knows; others follow).
const BROWSER_ORDER: [&str; 10] = [
    "modelTopology",
    "format",
    "generatedBy",
    "convertedBy",
    "weightsManifest",
    "signature",
    "userDefinedMetadata",
    "modelInitializer",
    "initializerSignature",
    "trainingConfig",
];
const NODE_ORDER: [&str; 10] = [
    "modelTopology",
    "weightsManifest",
    "format",
    "generatedBy",
    "convertedBy",
    "trainingConfig",
    "signature",
    "userDefinedMetadata",
    "modelInitializer",
    "initializerSignature",
];
const CONVERTER_ORDER: [&str; 10] = [
    "format",
    "generatedBy",
    "convertedBy",
    "userDefinedMetadata",
    "modelTopology",
    "weightsManifest",
    "trainingConfig",
    "signature",
    "modelInitializer",
    "initializerSignature",
];

impl ModelJson {
    /// Parse model.json bytes. `source_name` (a path or URL) is used in errors.
    /// Every field is type-checked; errors name the JSON path
    /// (`weightsManifest[0].weights[2].dtype`) and what was expected.
    ///
    /// ```
    /// use tfjs_format::{JsonStyle, ModelJson};
    /// let text = br#"{"modelTopology":{"class_name":"Sequential"},"weightsManifest":[{"paths":["weights.bin"],"weights":[{"name":"w","shape":[2],"dtype":"float32"}]}],"format":"layers-model","generatedBy":"TensorFlow.js tfjs-layers v4.22.0","convertedBy":null}"#;
    /// let m = ModelJson::parse(text, "model.json").unwrap();
    /// assert_eq!(m.weights_manifest.as_ref().unwrap()[0].weights[0].shape, vec![2]);
    /// assert_eq!(m.to_bytes(JsonStyle::Node), text.to_vec());
    ///
    /// let bad = br#"{"weightsManifest":[{"paths":[],"weights":[{"name":"w","shape":[-1],"dtype":"float32"}]}]}"#;
    /// let e = ModelJson::parse(bad, "m.json").unwrap_err().to_string();
    /// assert!(e.contains("weightsManifest[0].weights[0].shape[0]"), "{e}");
    /// ```
    pub fn parse(bytes: &[u8], source_name: &str) -> Result<ModelJson> {
        let v = crate::json::parse_value(bytes, source_name)?;
        ModelJson::from_value(v, source_name)
    }

    /// Build from an already parsed JSON value (see [`ModelJson::parse`]).
    pub fn from_value(v: Value, source_name: &str) -> Result<ModelJson> {
        let Value::Object(map) = v else {
            return Err(FormatError::field(
                source_name,
                "(top level)",
                format!(
                    "a model.json must be a JSON object with \"modelTopology\" and \"weightsManifest\", got {}",
                    json_type(&v)
                ),
            ));
        };
        let mut m = ModelJson::default();
        let object_or_null = |k: &str, v: Value| -> Result<Option<Value>> {
            match v {
                Value::Object(_) | Value::Null => Ok(Some(v)),
                other => Err(FormatError::field(
                    source_name,
                    k,
                    format!("expected a JSON object or null, got {}", json_type(&other)),
                )),
            }
        };
        for (k, v) in map {
            match k.as_str() {
                "modelTopology" => m.model_topology = object_or_null(&k, v)?,
                "trainingConfig" => m.training_config = object_or_null(&k, v)?,
                "signature" => m.signature = object_or_null(&k, v)?,
                "userDefinedMetadata" => m.user_defined_metadata = object_or_null(&k, v)?,
                "modelInitializer" => m.model_initializer = object_or_null(&k, v)?,
                "initializerSignature" => m.initializer_signature = object_or_null(&k, v)?,
                "convertedBy" => match v {
                    Value::String(_) | Value::Null => m.converted_by = Some(v),
                    other => {
                        return Err(FormatError::field(
                            source_name,
                            k,
                            format!("expected a string or null, got {}", json_type(&other)),
                        ))
                    }
                },
                "format" | "generatedBy" => {
                    let slot = if k == "format" {
                        &mut m.format
                    } else {
                        &mut m.generated_by
                    };
                    match v {
                        Value::String(s) => *slot = Some(s),
                        Value::Null => {
                            m.extra.insert(k, Value::Null);
                        }
                        other => {
                            return Err(FormatError::field(
                                source_name,
                                k,
                                format!("expected a string or null, got {}", json_type(&other)),
                            ))
                        }
                    }
                }
                "weightsManifest" => match v {
                    Value::Null => {
                        m.extra.insert(k, Value::Null);
                    }
                    v => {
                        m.weights_manifest =
                            Some(manifest_from_value(&v, source_name, "weightsManifest")?)
                    }
                },
                _ => {
                    m.extra.insert(k, v);
                }
            }
        }
        Ok(m)
    }

    fn field(&self, key: &str) -> Option<Cow<'_, Value>> {
        fn s(o: &Option<String>) -> Option<Cow<'_, Value>> {
            o.as_ref().map(|s| Cow::Owned(Value::String(s.clone())))
        }
        fn v(o: &Option<Value>) -> Option<Cow<'_, Value>> {
            o.as_ref().map(Cow::Borrowed)
        }
        let known = match key {
            "modelTopology" => v(&self.model_topology),
            "weightsManifest" => self
                .weights_manifest
                .as_ref()
                .map(|m| Cow::Owned(manifest_to_value(m))),
            "format" => s(&self.format),
            "generatedBy" => s(&self.generated_by),
            "convertedBy" => v(&self.converted_by),
            "trainingConfig" => v(&self.training_config),
            "signature" => v(&self.signature),
            "userDefinedMetadata" => v(&self.user_defined_metadata),
            "modelInitializer" => v(&self.model_initializer),
            "initializerSignature" => v(&self.initializer_signature),
            _ => None,
        };
        known.or_else(|| self.extra.get(key).map(Cow::Borrowed))
    }

    /// Serialize in `style`: that writer's key order, separators, escaping.
    pub fn to_bytes(&self, style: JsonStyle) -> Vec<u8> {
        self.to_json_string(style).into_bytes()
    }

    /// [`ModelJson::to_bytes`] as a `String`.
    pub fn to_json_string(&self, style: JsonStyle) -> String {
        let order: &[&str; 10] = match style {
            JsonStyle::Browser => &BROWSER_ORDER,
            JsonStyle::Node => &NODE_ORDER,
            JsonStyle::Converter => &CONVERTER_ORDER,
        };
        let mut out = String::new();
        out.push('{');
        let mut first = true;
        let mut emit = |out: &mut String, k: &str, v: &Value| {
            if !first {
                out.push_str(style.item_separator());
            }
            first = false;
            style.write_str(out, k);
            out.push_str(style.key_separator());
            style.write_value(out, v);
        };
        for k in order {
            if let Some(v) = self.field(k) {
                emit(&mut out, k, &v);
            }
        }
        for (k, v) in &self.extra {
            if !order.contains(&k.as_str()) {
                emit(&mut out, k, v);
            }
        }
        out.push('}');
        out
    }

    /// Build from artifacts and the manifest that describes where their
    /// weights are stored, as TensorFlow.js's `getModelJSONForModelArtifacts`
    /// does: `modelTopology`, `format`, `generatedBy`, `convertedBy` are
    /// copied as they are; the optional objects only when non-null.
    pub fn from_artifacts(
        artifacts: &ModelArtifacts,
        weights_manifest: WeightsManifest,
    ) -> ModelJson {
        let non_null = |v: &Option<Value>| v.clone().filter(|v| !v.is_null());
        ModelJson {
            model_topology: artifacts.model_topology.clone(),
            weights_manifest: Some(weights_manifest),
            format: artifacts.format.clone(),
            generated_by: artifacts.generated_by.clone(),
            converted_by: artifacts.converted_by.clone(),
            training_config: non_null(&artifacts.training_config),
            signature: non_null(&artifacts.signature),
            user_defined_metadata: non_null(&artifacts.user_defined_metadata),
            model_initializer: non_null(&artifacts.model_initializer),
            initializer_signature: non_null(&artifacts.initializer_signature),
            extra: artifacts.extra.clone(),
        }
    }

    /// Turn into artifacts: `weight_specs` is every group's weights in group order.
    pub fn into_artifacts(self, weight_data: WeightData) -> ModelArtifacts {
        let weight_specs = self
            .weights_manifest
            .map(|m| m.into_iter().flat_map(|g| g.weights).collect())
            .unwrap_or_default();
        let mut extra = self.extra;
        if matches!(extra.get("weightsManifest"), Some(Value::Null)) {
            extra.shift_remove("weightsManifest");
        }
        ModelArtifacts {
            model_topology: self.model_topology,
            weight_specs,
            weight_data,
            format: self.format,
            generated_by: self.generated_by,
            converted_by: self.converted_by,
            training_config: self.training_config,
            signature: self.signature,
            user_defined_metadata: self.user_defined_metadata,
            model_initializer: self.model_initializer,
            initializer_signature: self.initializer_signature,
            extra,
        }
    }

    /// Every group's weights in group order (the artifacts' `weight_specs`).
    pub fn weight_specs(&self) -> Vec<crate::WeightSpec> {
        self.weight_entries().cloned().collect()
    }

    /// Every group's weight entries, in manifest order (none without a
    /// manifest).
    pub fn weight_entries(&self) -> impl Iterator<Item = &crate::WeightSpec> {
        self.weights_manifest
            .iter()
            .flatten()
            .flat_map(|g| g.weights.iter())
    }

    /// Every group's shard paths as written, in manifest order (none without
    /// a manifest).
    pub fn weight_paths(&self) -> impl Iterator<Item = &str> {
        self.weights_manifest
            .iter()
            .flatten()
            .flat_map(|g| g.paths.iter().map(String::as_str))
    }
}

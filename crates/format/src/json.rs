//! Byte-exact JSON writer styles.
//!
//! TensorFlow.js and the Python converter write model.json differently (key
//! order, separators, escaping, number spelling). To produce files that are
//! byte-identical to theirs, every writer goes through [`JsonStyle`].

use serde_json::Value;

/// Who wrote (or should write) a model.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonStyle {
    /// TensorFlow.js in the browser, HTTP save and downloads
    /// (`getModelJSONForModelArtifacts`): compact JSON, key order
    /// `modelTopology, format, generatedBy, convertedBy, weightsManifest, …`,
    /// manifest path `./model.weights.bin`.
    Browser,
    /// tfjs-node's `file://` handler: compact JSON, key order
    /// `modelTopology, weightsManifest, format, generatedBy, convertedBy, …`,
    /// manifest path `weights.bin`.
    Node,
    /// The Python `tensorflowjs_converter`: `", "` / `": "` separators,
    /// non-ASCII escaped as `\uXXXX`, key order
    /// `format, generatedBy, convertedBy, [userDefinedMetadata,] modelTopology, weightsManifest`,
    /// shards named `group1-shardNofM.bin`.
    Converter,
}

impl JsonStyle {
    /// Guess the style that produced `bytes` (a model.json).
    pub fn detect(bytes: &[u8]) -> JsonStyle {
        todo!(
            "format helper: detect style from separators and first key: {}",
            bytes.len()
        )
    }

    /// Serialize any JSON value in this style (compact for Browser/Node;
    /// Python `json.dumps` defaults for Converter). Numbers keep their
    /// original text (serde_json `arbitrary_precision`).
    pub fn to_string(self, value: &Value) -> String {
        todo!("format helper: {:?} {value}", self)
    }
}

/// Format an f64 exactly as JavaScript's `Number.prototype.toString` does
/// (`1`, `0.001`, `1e-7`, `1.5e+21`).
pub fn js_number(x: f64) -> String {
    todo!("format helper: {x}")
}

/// Format an f64 exactly as Python's `repr(float)` does (`1.0`, `1e-07`).
pub fn py_float(x: f64) -> String {
    todo!("format helper: {x}")
}

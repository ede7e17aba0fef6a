//! Errors of the format layer. Each names the file, field, weight or shard
//! involved and what was expected, so a user can act on it.

use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = FormatError> = std::result::Result<T, E>;

/// Something in a model.json or weight bytes is not what the format allows.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The bytes are not valid JSON (or not UTF-8).
    #[error("{source_name}: invalid JSON at line {line}, column {column}: {message}")]
    InvalidJson {
        /// The file or URL the JSON came from (e.g. `model.json`).
        source_name: String,
        /// 1-based line of the error, as `serde_json` reports it.
        line: usize,
        /// 1-based column of the error, as `serde_json` reports it.
        column: usize,
        /// The parser's description of the problem.
        message: String,
    },
    /// A field has the wrong type or value. `field` is a JSON path such as
    /// `weightsManifest[0].weights[3].shape`.
    #[error("{source_name}: field `{field}`: {message}")]
    Field {
        /// The file or URL the field was read from.
        source_name: String,
        /// JSON path of the offending field.
        field: String,
        /// What was found and what was expected.
        message: String,
    },
    /// A shard (or the whole weight stream) does not hold the number of bytes
    /// the manifest says it must.
    #[error("weight shard {shard}: expected {expected} bytes from the manifest, got {actual}{}", looks_like.map(|l| format!(" (the bytes look like {l}: the server probably returned an error page instead of weights)")).unwrap_or_default())]
    ShardLength {
        /// The shard's path or URL (or a description of the stream).
        shard: String,
        /// Bytes the manifest requires.
        expected: u64,
        /// Bytes actually present.
        actual: u64,
        /// `Some("HTML")` or `Some("JSON")` when the bytes look like text.
        looks_like: Option<&'static str>,
    },
    /// A shard of the right length holds a text document (an HTML page or
    /// a JSON document) instead of binary weights.
    #[error("weight shard {shard}: the bytes are {looks_like} text, not binary weights (the server or file probably holds an error page or a JSON document of exactly the expected size)")]
    TextInsteadOfWeights {
        /// The shard's path or URL.
        shard: String,
        /// `"HTML"` or `"JSON"`.
        looks_like: &'static str,
    },
    /// The weight stream as a whole does not hold the number of bytes its
    /// weight specs need (too short, or bytes left over).
    #[error(
        "weight data: the weight specs need {expected} bytes but the data holds {actual}{detail}"
    )]
    WeightDataLength {
        /// Bytes the weight specs require.
        expected: u64,
        /// Bytes the weight data holds.
        actual: u64,
        /// Extra context, starting with a separator (e.g. `"; weight `x` …"`), or empty.
        detail: String,
    },
    /// The number of shard buffers differs from the manifest group's `paths`.
    #[error(
        "weights manifest group lists {expected} shard path(s) but {actual} shard(s) were given"
    )]
    ShardCount {
        /// Number of entries in the group's `paths`.
        expected: usize,
        /// Number of shard buffers supplied.
        actual: usize,
    },
    /// A manifest weight path is not a plain relative path below the model
    /// (see [`WeightPath`](crate::weight_path::WeightPath)).
    #[error("unsafe weight path {path:?}{}: {reason}", if location.is_empty() { String::new() } else { format!(" ({location})") })]
    UnsafePath {
        /// The path as written in the manifest.
        path: String,
        /// Where it was found, e.g. `weightsManifest[0].paths[1] of model.json`.
        location: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A weight cannot be decoded or encoded.
    #[error("weight `{weight}`: {message}")]
    Weight {
        /// The weight's manifest `name`.
        weight: String,
        /// What is wrong with it.
        message: String,
    },
}

impl FormatError {
    /// Shorthand for [`FormatError::Field`].
    pub fn field(
        source_name: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FormatError::Field {
            source_name: source_name.into(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`FormatError::Weight`].
    pub fn weight(weight: impl Into<String>, message: impl Into<String>) -> Self {
        FormatError::Weight {
            weight: weight.into(),
            message: message.into(),
        }
    }
}

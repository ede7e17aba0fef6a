//! The TensorFlow.js layers-model format, with no I/O.
//!
//! A model is a *topology* (Keras-style JSON) plus *weights*: binary bytes
//! described by a [`WeightsManifest`]. This crate holds the types
//! ([`ModelArtifacts`], [`ModelJson`], [`WeightSpec`]), the byte-exact JSON
//! writer styles ([`JsonStyle`]), the weight codecs ([`codec`]), quantization
//! ([`quantize`]), sharding ([`shard`]) and [`ModelArtifactsInfo`].
//!
//! Storage handlers live in `tfjs-io`; the layers engine in `tfjs-layers`.
//!
//! ```
//! use tfjs_format::codec::{decode_weights, TensorValues};
//! use tfjs_format::{JsonStyle, ModelJson, WeightData};
//!
//! // A model.json as tfjs-node writes it, and its weights.bin (two float32s).
//! let text = br#"{"modelTopology":{"class_name":"Sequential"},"weightsManifest":[{"paths":["weights.bin"],"weights":[{"name":"w","shape":[2],"dtype":"float32"}]}],"format":"layers-model","generatedBy":"TensorFlow.js tfjs-layers v4.22.0","convertedBy":null}"#;
//! let mut bin = Vec::new();
//! for x in [1.5f32, -2.0] {
//!     bin.extend_from_slice(&x.to_le_bytes());
//! }
//!
//! let model_json = ModelJson::parse(text, "model.json")?;
//! let artifacts = model_json.clone().into_artifacts(WeightData::from_vec(bin));
//! let weights = decode_weights(&artifacts.weight_specs, &artifacts.weight_data)?;
//! assert_eq!(weights[0].values, TensorValues::Float32(vec![1.5, -2.0]));
//!
//! // Written back byte for byte in the same style.
//! assert_eq!(model_json.to_bytes(JsonStyle::Node), text.to_vec());
//! # Ok::<(), tfjs_format::FormatError>(())
//! ```

#![warn(missing_docs)]

pub mod artifacts;
pub mod checkpoint;
pub mod codec;
pub mod dialect;
pub mod dtype;
pub mod error;
pub mod info;
pub mod json;
pub mod manifest;
pub mod model_json;
pub mod quantize;
pub mod shard;
pub mod signature;
pub mod topology;
pub mod weight_path;

pub use artifacts::{ModelArtifacts, WeightData};
pub use dtype::DType;
pub use error::{FormatError, Result};
pub use info::{ModelArtifactsInfo, SaveResult};
pub use json::JsonStyle;
pub use manifest::{
    weight_specs_from_value, weight_specs_to_value, Quantization, QuantizationDType, WeightSpec,
    WeightsManifest, WeightsManifestGroup,
};
pub use model_json::ModelJson;

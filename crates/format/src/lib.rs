//! The TensorFlow.js layers-model format, with no I/O.
//!
//! A model is a *topology* (Keras-style JSON) plus *weights*: binary bytes
//! described by a [`WeightsManifest`]. This crate holds the types
//! ([`ModelArtifacts`], [`ModelJson`], [`WeightSpec`]), the byte-exact JSON
//! writer styles ([`JsonStyle`]), the weight codecs ([`codec`]), quantization
//! ([`quantize`]), sharding ([`shard`]) and [`ModelArtifactsInfo`].
//!
//! Storage handlers live in `tfjs-io`; the layers engine in `tfjs-layers`.

pub mod artifacts;
pub mod codec;
pub mod dtype;
pub mod error;
pub mod info;
pub mod json;
pub mod manifest;
pub mod model_json;
pub mod quantize;
pub mod shard;

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

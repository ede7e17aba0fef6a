//! Keras files without Python.
//!
//! - [`import_h5`]: a Keras HDF5 model (`model.save("m.h5")` of tf_keras /
//!   Keras 2, or Keras 3's legacy HDF5 writer) → [`ModelArtifacts`] exactly as
//!   `tensorflowjs_converter --input_format keras` 4.22.0 builds them (so the
//!   `tfjs-io` converter-style writer produces byte-identical files).
//! - [`import_keras`]: a Keras 3 `.keras` zip → what
//!   `--input_format keras_keras --output_format tfjs_layers_model` builds.
//! - [`import_weights_h5`]: weights-only HDF5 files plus a topology.
//! - [`safetensors`]: weights to and from `.safetensors`.
//! - [`export`]: a TensorFlow.js model → `.keras` / `.h5`.
//!
//! Everything read is untrusted: the HDF5 reader ([`h5::read`]) and the zip
//! reader ([`zip`]) check every declared size against the file before use.

pub mod h5;
pub mod import;

pub mod tensor;
pub mod zip;

pub use import::{import_h5, import_keras, import_weights_h5, Imported};

/// What went wrong reading or writing a Keras file.
#[derive(Debug, thiserror::Error)]
pub enum KerasError {
    /// The HDF5 structure is malformed or unsupported.
    #[error(transparent)]
    H5(#[from] h5::H5Error),
    /// The zip container is malformed or unsafe.
    #[error("zip: {0}")]
    Zip(String),
    /// JSON (config, metadata, topology) is malformed.
    #[error("{0}")]
    Json(String),
    /// Anything else, with its explanation.
    #[error("{0}")]
    Msg(String),
}

impl KerasError {
    /// A plain message error.
    pub fn msg(s: impl Into<String>) -> Self {
        KerasError::Msg(s.into())
    }
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, KerasError>;

/// `convertedBy` of the official converter this crate reproduces.
pub const CONVERTED_BY: &str = "TensorFlow.js Converter v4.22.0";

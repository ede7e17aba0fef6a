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

pub mod export;
pub mod h5;
pub mod import;
pub mod safetensors;

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

/// A Keras-side file kind, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.h5` / `.hdf5`: a Keras HDF5 model or weights file.
    H5,
    /// `.keras`: a Keras 3 zip archive.
    Keras,
    /// `.safetensors`.
    Safetensors,
}

/// The kind of `path` by its extension (case-insensitive), if a Keras file.
///
/// ```
/// use tfjs_keras::{kind_of, FileKind};
/// assert_eq!(kind_of("m/model.H5"), Some(FileKind::H5));
/// assert_eq!(kind_of("model.keras"), Some(FileKind::Keras));
/// assert_eq!(kind_of("w.safetensors"), Some(FileKind::Safetensors));
/// assert_eq!(kind_of("model.json"), None);
/// ```
pub fn kind_of(path: &str) -> Option<FileKind> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "h5" | "hdf5" => Some(FileKind::H5),
        "keras" => Some(FileKind::Keras),
        "safetensors" => Some(FileKind::Safetensors),
        _ => None,
    }
}

/// Import the Keras file `bytes` of `kind`.
///
/// - `.h5`: a full model file as the converter converts it; with `topology`
///   (a model.json, Keras 3 config.json or bare topology), a weights-only file.
/// - `.keras`: with `like_converter`, exactly the converter's artifacts
///   (optimizer and metric variables included, as it does); otherwise only
///   the model's own `layers/…` weights, ready for the engine's rebuild.
/// - `.safetensors`: weights plus the topology stored in its metadata, or
///   `topology`.
pub fn import_file(
    kind: FileKind,
    bytes: &[u8],
    topology: Option<&serde_json::Value>,
    like_converter: bool,
) -> Result<Imported> {
    match kind {
        FileKind::H5 => match topology {
            Some(t) => import_weights_h5(bytes, t),
            None => import_h5(bytes),
        },
        FileKind::Keras => {
            let mut imported = import_keras(bytes)?;
            if !like_converter {
                import::keep_layer_weights(&mut imported);
                import::add_asset_vocabularies(&mut imported, bytes)?;
            }
            Ok(imported)
        }
        FileKind::Safetensors => safetensors::import(bytes, topology),
    }
}

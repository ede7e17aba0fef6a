//! Errors of the layers engine; each names the layer, weight or input concerned.

use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = LayersError> = std::result::Result<T, E>;

/// Why building, loading, saving or running a model failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LayersError {
    #[error(transparent)]
    Format(#[from] tfjs_format::FormatError),
    #[error(transparent)]
    Io(#[from] tfjs_io::IoError),
    /// A layer config is invalid (`layer` is the layer name, or class name).
    #[error("layer `{layer}`: {message}")]
    Config { layer: String, message: String },
    /// The topology itself is invalid (unknown classes, cycles, missing layers).
    #[error("{message}")]
    Topology { message: String },
    /// Weights do not match the model (every problem listed).
    #[error("{message}")]
    Weights { message: String },
    /// A predict input has the wrong count, rank, shape or dtype.
    #[error("{message}")]
    Input { message: String },
}

impl LayersError {
    /// A [`LayersError::Config`] for `layer`.
    pub fn config(layer: impl Into<String>, message: impl Into<String>) -> Self {
        LayersError::Config {
            layer: layer.into(),
            message: message.into(),
        }
    }
}

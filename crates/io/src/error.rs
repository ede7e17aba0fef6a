//! I/O errors: each says which URL, file or shard, and why.

use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = IoError> = std::result::Result<T, E>;

/// Why a load, save, list, copy, move or remove failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IoError {
    /// The model.json or weights are malformed.
    #[error(transparent)]
    Format(#[from] tfjs_format::FormatError),
    /// A filesystem or network operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file, directory or URL concerned.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// No store is registered for this URL's scheme (TensorFlow.js's texts,
    /// plus the schemes this build supports).
    #[error("{message}")]
    NoHandler {
        /// The full explanation.
        message: String,
    },
    /// There is no model at this URL.
    #[error("{message}")]
    NotFound {
        /// The model URL that was looked up.
        url: String,
        /// The full explanation.
        message: String,
    },
    /// A create-only save ([`ModelStore::save_new`](crate::ModelStore::save_new))
    /// found a model already stored at this URL; nothing was written.
    #[error("{message}")]
    AlreadyExists {
        /// The model URL.
        url: String,
        /// The full explanation.
        message: String,
    },
    /// A weight shard the model's manifest names is missing (the model is
    /// there, its weights are not: a broken model, or a concurrent save
    /// replaced it while it was being read).
    #[error("{message}")]
    ShardNotFound {
        /// The shard's path or URL.
        shard: String,
        /// The full explanation.
        message: String,
    },
    /// A compare-and-delete found the model changed since it was read
    /// ([`ModelStore::remove_if_unchanged`](crate::ModelStore::remove_if_unchanged));
    /// nothing was removed.
    #[error("{message}")]
    Changed {
        /// The model URL.
        url: String,
        /// The full explanation.
        message: String,
    },
    /// The scheme cannot do this (e.g. listing over http).
    #[error("{url}: {operation} is not supported by the {scheme}:// store")]
    Unsupported {
        /// The URL of the request.
        url: String,
        /// The URL's scheme, without `://`.
        scheme: String,
        /// The refused operation, e.g. `"list"`.
        operation: &'static str,
    },
    /// The request was refused (invalid URL, unsafe path, same source and
    /// destination, quota exceeded, …); the message says why.
    #[error("{message}")]
    Invalid {
        /// The full explanation.
        message: String,
    },
    /// Any other failure, with context.
    #[error("{message}")]
    Other {
        /// The full explanation, with context.
        message: String,
    },
}

impl IoError {
    /// Wrap a `std::io::Error` with the path it concerns.
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        IoError::Io {
            path: path.into(),
            source,
        }
    }
    /// An [`IoError::AlreadyExists`] for `url`.
    pub fn already_exists(url: impl Into<String>) -> Self {
        let url = url.into();
        IoError::AlreadyExists {
            message: format!("{url}: a model already exists at this URL"),
            url,
        }
    }
    /// An [`IoError::Changed`] for `url`.
    pub fn changed(url: impl Into<String>, what: &str) -> Self {
        let url = url.into();
        IoError::Changed {
            message: format!(
                "{url}: the model changed since it was read ({what}); it was not removed"
            ),
            url,
        }
    }
    /// An [`IoError::Invalid`].
    pub fn invalid(message: impl Into<String>) -> Self {
        IoError::Invalid {
            message: message.into(),
        }
    }
}

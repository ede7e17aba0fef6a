//! Errors of the layers engine; each names the layer, weight or input concerned.

use std::borrow::Cow;
use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = LayersError> = std::result::Result<T, E>;

/// Why building, loading, saving or running a model failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LayersError {
    #[error(transparent)]
    Format(#[from] tfjs_format::FormatError),
    #[cfg(feature = "io")]
    #[error(transparent)]
    Io(#[from] tfjs_io::IoError),
    /// A layer config is invalid (`layer` is the layer name, or class name).
    #[error("layer `{}`: {message}", printable(layer))]
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

/// `v` as JSON for an error message, cut to `max` characters (with `…`).
pub(crate) fn short_json(v: &serde_json::Value, max: usize) -> String {
    let text = v.to_string();
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// A name (layer, weight, input) from an untrusted file as error messages
/// print it: control characters escaped once (`\n`, `\u{1b}`), everything
/// else as written. Every message naming something from a file uses this.
///
/// ```
/// assert_eq!(tfjs_layers::error::printable("a\nb\u{1b}"), "a\\nb\\u{1b}");
/// assert_eq!(tfjs_layers::error::printable("dense_1"), "dense_1");
/// ```
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

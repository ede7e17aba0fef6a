//! Tensor dtypes as they appear in a weights manifest.

use std::fmt;

/// The dtype of a *decoded* weight (`WeightSpec::dtype`).
///
/// ```
/// use tfjs_format::DType;
/// assert_eq!("float32".parse::<DType>().unwrap(), DType::Float32);
/// assert_eq!(DType::Complex64.byte_size(), Some(8));
/// assert_eq!(DType::String.byte_size(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// `"float32"`: 4 bytes per element, little-endian IEEE 754.
    Float32,
    /// `"int32"`: 4 bytes per element, little-endian two's complement.
    Int32,
    /// `"bool"`: 1 byte per element.
    Bool,
    /// `"string"`: each element is a 4-byte little-endian length followed by
    /// that many raw bytes (TensorFlow.js's encoding).
    String,
    /// `"complex64"`: 8 bytes per element (real, imaginary float32 pair).
    Complex64,
}

impl DType {
    /// Bytes per element, or `None` for the variable-length `string`.
    pub fn byte_size(self) -> Option<usize> {
        match self {
            DType::Float32 | DType::Int32 => Some(4),
            DType::Bool => Some(1),
            DType::Complex64 => Some(8),
            DType::String => None,
        }
    }

    /// The manifest spelling (`"float32"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DType::Float32 => "float32",
            DType::Int32 => "int32",
            DType::Bool => "bool",
            DType::String => "string",
            DType::Complex64 => "complex64",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "float32" => DType::Float32,
            "int32" => DType::Int32,
            "bool" => DType::Bool,
            "string" => DType::String,
            "complex64" => DType::Complex64,
            other => {
                return Err(format!(
                "unknown dtype {other:?}: expected one of float32, int32, bool, string, complex64"
            ))
            }
        })
    }
}

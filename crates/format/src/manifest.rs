//! The weights manifest: groups of shard `paths` and `weights` entries.

use crate::DType;
use serde_json::{Map, Number, Value};

/// `weightsManifest`: the groups in file order.
pub type WeightsManifest = Vec<WeightsManifestGroup>;

/// One manifest group: its shards' bytes, concatenated in `paths` order,
/// hold its `weights` back to back (a weight may straddle shards).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WeightsManifestGroup {
    /// Shard paths relative to model.json, as written (`./model.weights.bin`, `group1-shard1of2.bin`).
    pub paths: Vec<String>,
    pub weights: Vec<WeightSpec>,
    /// Unknown keys, kept and written back.
    pub extra: Map<String, Value>,
}

/// One `WeightsManifestEntry`.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightSpec {
    /// Unique weight name, e.g. `dense_Dense1/kernel`.
    pub name: String,
    /// Dimensions; `[]` for a scalar.
    pub shape: Vec<usize>,
    /// The dtype of the decoded tensor.
    pub dtype: DType,
    /// `"optimizer"` for optimizer weights; absent for model weights.
    pub group: Option<String>,
    /// Set when the bytes are quantized.
    pub quantization: Option<Quantization>,
    /// Unknown keys, kept and written back.
    pub extra: Map<String, Value>,
}

impl WeightSpec {
    /// A float32/int32/... entry with no group or quantization.
    ///
    /// ```
    /// use tfjs_format::{DType, WeightSpec};
    /// let w = WeightSpec::new("dense/kernel", vec![3, 2], DType::Float32);
    /// assert_eq!(w.num_elements(), Some(6));
    /// ```
    pub fn new(name: impl Into<String>, shape: Vec<usize>, dtype: DType) -> Self {
        WeightSpec {
            name: name.into(),
            shape,
            dtype,
            group: None,
            quantization: None,
            extra: Map::new(),
        }
    }

    /// Product of the shape (1 for a scalar); `None` on overflow.
    pub fn num_elements(&self) -> Option<usize> {
        self.shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }
}

/// The stored dtype of a quantized weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantizationDType {
    Uint8,
    Uint16,
    Float16,
}

impl QuantizationDType {
    /// Bytes per stored element.
    pub fn byte_size(self) -> usize {
        match self {
            QuantizationDType::Uint8 => 1,
            QuantizationDType::Uint16 | QuantizationDType::Float16 => 2,
        }
    }
    /// Manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            QuantizationDType::Uint8 => "uint8",
            QuantizationDType::Uint16 => "uint16",
            QuantizationDType::Float16 => "float16",
        }
    }
}

impl std::str::FromStr for QuantizationDType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "uint8" => Ok(Self::Uint8),
            "uint16" => Ok(Self::Uint16),
            "float16" => Ok(Self::Float16),
            other => Err(format!(
                "unknown quantization dtype {other:?}: expected uint8, uint16 or float16"
            )),
        }
    }
}

/// `quantization`: `{dtype, min?, scale?, original_dtype?}`.
///
/// `min` and `scale` are kept as JSON numbers so their text (Python `repr`)
/// survives a round trip byte for byte.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantization {
    pub dtype: QuantizationDType,
    pub min: Option<Number>,
    pub scale: Option<Number>,
    pub original_dtype: Option<String>,
    /// Unknown keys, kept and written back.
    pub extra: Map<String, Value>,
}

impl Quantization {
    /// `min` as f64 (0 when absent, as JavaScript's arithmetic coerces it).
    pub fn min_f64(&self) -> f64 {
        self.min.as_ref().and_then(Number::as_f64).unwrap_or(0.0)
    }
    /// `scale` as f64 (0 when absent).
    pub fn scale_f64(&self) -> f64 {
        self.scale.as_ref().and_then(Number::as_f64).unwrap_or(0.0)
    }
}

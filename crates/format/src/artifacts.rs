//! `ModelArtifacts`: what a storage handler loads or saves, in memory.

use crate::WeightSpec;
use bytes::Bytes;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Weight bytes as a list of buffers that, concatenated in order, form the
/// weight stream described by `weight_specs` (TensorFlow.js's
/// `ArrayBuffer | ArrayBuffer[]`). Shards are kept apart so that loading
/// never needs an extra full copy; buffers may be memory-mapped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeightData {
    /// The buffers, in stream order (often one per shard).
    pub buffers: Vec<Bytes>,
}

impl WeightData {
    /// One buffer.
    ///
    /// ```
    /// use tfjs_format::WeightData;
    /// let w = WeightData::from_vec(vec![1, 2, 3]);
    /// assert_eq!(w.len(), 3);
    /// assert_eq!(&*w.contiguous(), &[1, 2, 3]);
    /// ```
    pub fn from_vec(v: Vec<u8>) -> Self {
        WeightData {
            buffers: vec![Bytes::from(v)],
        }
    }

    /// Total byte count of all buffers.
    pub fn len(&self) -> usize {
        self.buffers.iter().map(Bytes::len).sum()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole stream as one slice; borrows when there is a single buffer.
    pub fn contiguous(&self) -> Cow<'_, [u8]> {
        match self.buffers.len() {
            0 => Cow::Borrowed(&[]),
            1 => Cow::Borrowed(&self.buffers[0]),
            _ => Cow::Owned(self.buffers.concat()),
        }
    }

    /// Copy `out.len()` bytes starting at `offset` of the logical stream into
    /// `out`, crossing buffer boundaries. Returns false if out of range.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use tfjs_format::WeightData;
    /// let w = WeightData { buffers: vec![Bytes::from_static(&[1, 2]), Bytes::from_static(&[3, 4])] };
    /// let mut out = [0u8; 2];
    /// assert!(w.read_at(1, &mut out));
    /// assert_eq!(out, [2, 3]);
    /// assert!(!w.read_at(3, &mut out));
    /// ```
    pub fn read_at(&self, mut offset: usize, out: &mut [u8]) -> bool {
        let mut written = 0;
        for b in &self.buffers {
            if written == out.len() {
                break;
            }
            if offset >= b.len() {
                offset -= b.len();
                continue;
            }
            let n = (b.len() - offset).min(out.len() - written);
            out[written..written + n].copy_from_slice(&b[offset..offset + n]);
            written += n;
            offset = 0;
        }
        written == out.len()
    }

    /// A zero-copy slice when the range lies inside one buffer, else a copy.
    pub fn slice(&self, offset: usize, len: usize) -> Option<Bytes> {
        let mut start = offset;
        for b in &self.buffers {
            if start < b.len() || (len == 0 && start == 0) {
                if start + len <= b.len() {
                    return Some(b.slice(start..start + len));
                }
                let mut out = vec![0u8; len];
                return self.read_at(offset, &mut out).then(|| Bytes::from(out));
            }
            start -= b.len();
        }
        (len == 0 && start == 0).then(Bytes::new)
    }
}

/// The in-memory form of a model (TensorFlow.js `ModelArtifacts`).
///
/// Every field is optional as in TensorFlow.js; loaders check what they need.
/// `weight_specs` is the flat list of every manifest group's weights in group
/// order, and `weight_data` their bytes in the same order.
///
/// ```
/// use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
/// let a = ModelArtifacts {
///     model_topology: Some(serde_json::json!({"class_name": "Sequential", "config": {}})),
///     weight_specs: vec![WeightSpec::new("dense/bias", vec![2], DType::Float32)],
///     weight_data: WeightData::from_vec(vec![0; 8]),
///     format: Some("layers-model".into()),
///     ..Default::default()
/// };
/// assert_eq!(a.weight_data.len(), 8);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelArtifacts {
    /// Keras-style topology JSON.
    pub model_topology: Option<Value>,
    /// Every weight entry of every manifest group, in group order.
    pub weight_specs: Vec<WeightSpec>,
    /// The weight bytes, concatenated in `weight_specs` order.
    pub weight_data: WeightData,
    /// `"layers-model"` for layers models.
    pub format: Option<String>,
    /// `generatedBy`, e.g. `"TensorFlow.js tfjs-layers v4.22.0"`.
    pub generated_by: Option<String>,
    /// `Some(Value::Null)` is written as `"convertedBy":null` (TensorFlow.js
    /// always writes it); `None` leaves the key out.
    pub converted_by: Option<Value>,
    /// `trainingConfig`: the compile arguments (loss, metrics, optimizer).
    pub training_config: Option<Value>,
    /// `signature` (graph models), kept verbatim.
    pub signature: Option<Value>,
    /// `userDefinedMetadata`, kept verbatim.
    pub user_defined_metadata: Option<Value>,
    /// `modelInitializer` (graph models), kept verbatim.
    pub model_initializer: Option<Value>,
    /// `initializerSignature` (graph models), kept verbatim.
    pub initializer_signature: Option<Value>,
    /// Top-level model.json keys this crate does not know; kept and written back.
    pub extra: Map<String, Value>,
}

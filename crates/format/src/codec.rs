//! Weight codecs: bytes ⇄ typed values for every dtype TensorFlow.js knows,
//! including quantized uint8/uint16/float16 (decoded exactly as TensorFlow.js).

use crate::{Result, WeightData, WeightSpec};

/// Decoded values of one weight.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorValues {
    Float32(Vec<f32>),
    Int32(Vec<i32>),
    /// One byte per element, kept verbatim (TensorFlow.js does not normalize).
    Bool(Vec<u8>),
    /// Raw bytes of each element (UTF-8 for text).
    String(Vec<Vec<u8>>),
    /// Interleaved re, im.
    Complex64(Vec<f32>),
}

/// A decoded weight.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedWeight {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: TensorValues,
    /// `"optimizer"` for optimizer weights.
    pub group: Option<String>,
}

/// Decode every weight of `specs` from the stream `data` (TensorFlow.js
/// `decodeWeights`). Checks the total byte count first; never allocates from
/// declared shapes before the byte counts agree.
pub fn decode_weights(specs: &[WeightSpec], data: &WeightData) -> Result<Vec<DecodedWeight>> {
    todo!("format helper: {} {}", specs.len(), data.len())
}

/// The byte length of one weight as stored (quantization included), or `None`
/// for `string` weights (variable length). Errors on overflow.
pub fn stored_byte_len(spec: &WeightSpec) -> Result<Option<u64>> {
    todo!("format helper: {}", spec.name)
}

/// Encode weights as TensorFlow.js `encodeWeights` does (no quantization).
pub fn encode_weights(weights: &[DecodedWeight]) -> Result<(Vec<WeightSpec>, Vec<u8>)> {
    todo!("format helper: {}", weights.len())
}

//! Weight codecs: bytes ⇄ typed values for every dtype TensorFlow.js knows,
//! including quantized uint8/uint16/float16 (decoded exactly as TensorFlow.js).

use crate::{DType, FormatError, QuantizationDType, Result, WeightData, WeightSpec};

/// Decoded values of one weight.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorValues {
    /// `float32` values (also the result of dequantizing a quantized weight
    /// whose original dtype is float32).
    Float32(Vec<f32>),
    /// `int32` values.
    Int32(Vec<i32>),
    /// One byte per element, kept verbatim (TensorFlow.js does not normalize).
    Bool(Vec<u8>),
    /// Raw bytes of each element (UTF-8 for text).
    String(Vec<Vec<u8>>),
    /// Interleaved re, im.
    Complex64(Vec<f32>),
}

impl TensorValues {
    /// The dtype these values have.
    pub fn dtype(&self) -> DType {
        match self {
            TensorValues::Float32(_) => DType::Float32,
            TensorValues::Int32(_) => DType::Int32,
            TensorValues::Bool(_) => DType::Bool,
            TensorValues::String(_) => DType::String,
            TensorValues::Complex64(_) => DType::Complex64,
        }
    }

    /// Number of tensor elements (complex pairs count once).
    pub fn num_elements(&self) -> usize {
        match self {
            TensorValues::Float32(v) => v.len(),
            TensorValues::Int32(v) => v.len(),
            TensorValues::Bool(v) => v.len(),
            TensorValues::String(v) => v.len(),
            TensorValues::Complex64(v) => v.len() / 2,
        }
    }
}

/// A decoded weight.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedWeight {
    /// The manifest `name`, e.g. `dense_Dense1/kernel`.
    pub name: String,
    /// Dimensions; `[]` for a scalar.
    pub shape: Vec<usize>,
    /// The decoded (dequantized) values, row-major.
    pub values: TensorValues,
    /// `"optimizer"` for optimizer weights.
    pub group: Option<String>,
}

/// Whether a Keras 3 weight name is the model's own (`layers/…`, the
/// model's top-level `vars/…`) rather than training state a compiled
/// model's `.keras` file holds beside it (`optimizer/vars/…`), which the
/// converter writes into the manifest as if it were weights, without
/// `group: "optimizer"`.
///
/// ```
/// use tfjs_format::codec::is_keras3_model_weight;
/// assert!(is_keras3_model_weight("layers/dense/vars/0"));
/// assert!(!is_keras3_model_weight("optimizer/vars/3"));
/// ```
pub fn is_keras3_model_weight(name: &str) -> bool {
    name.starts_with("layers/") || name.starts_with("vars/")
}

fn num_elements_u64(spec: &WeightSpec) -> Result<u64> {
    spec.shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
        .ok_or_else(|| {
            FormatError::weight(
                &spec.name,
                format!(
                    "shape {:?} has more elements than fit in 64 bits",
                    spec.shape
                ),
            )
        })
}

/// The byte length of one weight as stored (quantization included), or `None`
/// for `string` weights (variable length). Errors on overflow.
///
/// ```
/// use tfjs_format::{codec::stored_byte_len, DType, WeightSpec};
/// assert_eq!(stored_byte_len(&WeightSpec::new("w", vec![3, 2], DType::Float32)).unwrap(), Some(24));
/// assert_eq!(stored_byte_len(&WeightSpec::new("s", vec![3], DType::String)).unwrap(), None);
/// ```
pub fn stored_byte_len(spec: &WeightSpec) -> Result<Option<u64>> {
    let n = num_elements_u64(spec)?;
    let size = match (&spec.quantization, spec.dtype.byte_size()) {
        (Some(q), _) => q.dtype.byte_size() as u64,
        (None, Some(s)) => s as u64,
        (None, None) => return Ok(None),
    };
    n.checked_mul(size).map(Some).ok_or_else(|| {
        FormatError::weight(
            &spec.name,
            format!(
                "shape {:?} × {size} bytes per element overflows 64 bits",
                spec.shape
            ),
        )
    })
}

/// Where each weight lies in the stream: `(offset, len)` per spec.
///
/// Verifies that the stream holds exactly the bytes the specs need; string
/// weights are walked length prefix by length prefix, each bounded by the
/// bytes that remain. Allocates nothing sized by the specs' shapes beyond
/// one `(u64, u64)` per spec.
///
/// ```
/// use tfjs_format::codec::weight_layout;
/// use tfjs_format::{DType, WeightData, WeightSpec};
/// let specs = [
///     WeightSpec::new("k", vec![2, 2], DType::Float32),
///     WeightSpec::new("b", vec![2], DType::Int32),
/// ];
/// let layout = weight_layout(&specs, &WeightData::from_vec(vec![0; 24])).unwrap();
/// assert_eq!(layout, vec![(0, 16), (16, 8)]);
/// // One byte short: an error naming what was expected.
/// assert!(weight_layout(&specs, &WeightData::from_vec(vec![0; 23])).is_err());
/// ```
pub fn weight_layout(specs: &[WeightSpec], data: &WeightData) -> Result<Vec<(u64, u64)>> {
    let total = data.len() as u64;
    // Fast check first: fixed-size weights plus 4 bytes per string element.
    let mut min_needed = 0u64;
    for spec in specs {
        let need = match stored_byte_len(spec)? {
            Some(n) => n,
            None => num_elements_u64(spec)?.saturating_mul(4),
        };
        min_needed = min_needed.saturating_add(need);
        if min_needed > total {
            return Err(FormatError::WeightDataLength {
                expected: min_needed_all(specs),
                actual: total,
                detail: format!(
                    "; the data ends inside weight `{}` (dtype {}, shape {:?}) or before it",
                    spec.name, spec.dtype, spec.shape
                ),
            });
        }
    }
    let mut out = Vec::with_capacity(specs.len());
    let mut offset = 0u64;
    for spec in specs {
        let len = match stored_byte_len(spec)? {
            Some(n) => n,
            None => {
                let n = num_elements_u64(spec)?;
                let mut pos = offset;
                for i in 0..n {
                    let mut prefix = [0u8; 4];
                    if pos + 4 > total || !data.read_at(pos as usize, &mut prefix) {
                        return Err(FormatError::weight(
                            &spec.name,
                            format!(
                                "string element {i} of {n}: its 4-byte length prefix at byte {pos} lies past the end of the weight data ({total} bytes)"
                            ),
                        ));
                    }
                    let l = u32::from_le_bytes(prefix) as u64;
                    if pos + 4 + l > total {
                        return Err(FormatError::weight(
                            &spec.name,
                            format!(
                                "string element {i} of {n} declares {l} bytes at byte {}, but only {} bytes remain in the weight data",
                                pos + 4,
                                total - pos - 4
                            ),
                        ));
                    }
                    pos += 4 + l;
                }
                pos - offset
            }
        };
        if offset + len > total {
            return Err(FormatError::WeightDataLength {
                expected: offset + len,
                actual: total,
                detail: format!(
                    "; weight `{}` needs bytes {}..{}",
                    spec.name,
                    offset,
                    offset + len
                ),
            });
        }
        out.push((offset, len));
        offset += len;
    }
    if offset != total {
        return Err(FormatError::WeightDataLength {
            expected: offset,
            actual: total,
            detail: format!(
                " ({} bytes left over after the last weight{})",
                total - offset,
                specs
                    .last()
                    .map(|s| format!(" `{}`", s.name))
                    .unwrap_or_default()
            ),
        });
    }
    Ok(out)
}

fn min_needed_all(specs: &[WeightSpec]) -> u64 {
    specs
        .iter()
        .map(|s| match stored_byte_len(s) {
            Ok(Some(n)) => n,
            _ => num_elements_u64(s).unwrap_or(u64::MAX).saturating_mul(4),
        })
        .fold(0u64, u64::saturating_add)
}

/// Decode every weight of `specs` from the stream `data` (TensorFlow.js
/// `decodeWeights`). Checks the total byte count first; never allocates from
/// declared shapes before the byte counts agree.
///
/// Unlike TensorFlow.js (which silently ignores trailing bytes and fails
/// later on short data), the stream must hold exactly the specs' bytes.
///
/// ```
/// use tfjs_format::{codec::{decode_weights, TensorValues}, DType, WeightData, WeightSpec};
/// let specs = [WeightSpec::new("w", vec![2], DType::Float32)];
/// let data = WeightData::from_vec([1.0f32, -2.5].iter().flat_map(|x| x.to_le_bytes()).collect());
/// let w = decode_weights(&specs, &data).unwrap();
/// assert_eq!(w[0].values, TensorValues::Float32(vec![1.0, -2.5]));
/// ```
pub fn decode_weights(specs: &[WeightSpec], data: &WeightData) -> Result<Vec<DecodedWeight>> {
    let layout = weight_layout(specs, data)?;
    let mut out = Vec::with_capacity(specs.len());
    // Layout offsets only grow, so one forward cursor over the buffers finds
    // every weight's pieces without rescanning from the first buffer.
    let mut cursor = Pieces::new(data);
    let mut pieces: Vec<&[u8]> = Vec::new();
    for (spec, &(offset, len)) in specs.iter().zip(&layout) {
        if !cursor.collect(offset as usize, len as usize, &mut pieces) {
            return Err(FormatError::weight(
                &spec.name,
                "weight bytes out of range of the weight data",
            ));
        }
        let values = match pieces.as_slice() {
            // Inside one buffer (the usual case): decode straight from it.
            [] => decode_weight(spec, &[])?,
            [one] => decode_weight(spec, one)?,
            // Straddles shards: plain numbers are copied piece by piece into
            // the result; only quantized/string weights are joined first.
            many => match decode_pieces(spec, many)? {
                Some(v) => v,
                None => decode_weight(spec, &many.concat())?,
            },
        };
        out.push(DecodedWeight {
            name: spec.name.clone(),
            shape: spec.shape.clone(),
            values,
            group: spec.group.clone(),
        });
    }
    Ok(out)
}

/// A forward-only cursor over a [`WeightData`]'s buffers.
struct Pieces<'a> {
    buffers: &'a [bytes::Bytes],
    /// Index of the buffer holding `base`, and that buffer's stream offset.
    index: usize,
    base: usize,
}

impl<'a> Pieces<'a> {
    fn new(data: &'a WeightData) -> Self {
        Pieces {
            buffers: &data.buffers,
            index: 0,
            base: 0,
        }
    }

    /// The slices covering `offset..offset + len` (in order) into `out`;
    /// false if the range runs past the end. `offset` must not be below the
    /// previous call's `offset`.
    fn collect(&mut self, offset: usize, len: usize, out: &mut Vec<&'a [u8]>) -> bool {
        out.clear();
        if offset < self.base {
            return false;
        }
        // Skip buffers that end at or before `offset`.
        while let Some(b) = self.buffers.get(self.index) {
            if offset < self.base + b.len() {
                break;
            }
            self.base += b.len();
            self.index += 1;
        }
        if len == 0 {
            // In range when `offset` is inside a buffer or at the very end.
            return self.index < self.buffers.len() || offset == self.base;
        }
        let mut start = offset - self.base;
        let mut remaining = len;
        for b in &self.buffers[self.index..] {
            let take = (b.len() - start).min(remaining);
            out.push(&b[start..start + take]);
            remaining -= take;
            start = 0;
            if remaining == 0 {
                return true;
            }
        }
        false
    }
}

/// Decode an unquantized fixed-size weight whose bytes are split over
/// several slices, without joining them first. `None` for quantized and
/// string weights (the caller joins the bytes and uses [`decode_weight`]).
fn decode_pieces(spec: &WeightSpec, pieces: &[&[u8]]) -> Result<Option<TensorValues>> {
    if spec.quantization.is_some() {
        return Ok(None);
    }
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    if let Some(expected) = stored_byte_len(spec)? {
        if expected != total as u64 {
            return Err(FormatError::weight(
                &spec.name,
                format!(
                    "expected {expected} bytes for shape {:?}, got {total}",
                    spec.shape
                ),
            ));
        }
    }
    Ok(match spec.dtype {
        DType::Float32 => Some(TensorValues::Float32(le_words(pieces, f32::from_le_bytes))),
        DType::Complex64 => Some(TensorValues::Complex64(le_words(
            pieces,
            f32::from_le_bytes,
        ))),
        DType::Int32 => Some(TensorValues::Int32(le_words(pieces, i32::from_le_bytes))),
        DType::Bool => Some(TensorValues::Bool(pieces.concat())),
        DType::String => None,
    })
}

/// 4-byte little-endian numbers from the concatenation of `pieces` (whose
/// total length is a multiple of 4). On little-endian targets this is one
/// `memcpy` per piece into the result; no per-element work.
fn le_words<T: bytemuck::Pod>(pieces: &[&[u8]], from_le: fn([u8; 4]) -> T) -> Vec<T> {
    debug_assert_eq!(std::mem::size_of::<T>(), 4);
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let n = total / 4;
    let mut out: Vec<T> = vec![T::zeroed(); n];
    {
        let dst: &mut [u8] = bytemuck::cast_slice_mut(&mut out);
        let mut at = 0;
        for p in pieces {
            let take = p.len().min(dst.len() - at);
            dst[at..at + take].copy_from_slice(&p[..take]);
            at += take;
        }
    }
    if cfg!(target_endian = "big") {
        for x in &mut out {
            *x = from_le(bytemuck::cast(*x));
        }
    } else {
        let _ = from_le;
    }
    out
}

/// JavaScript `Math.round`: nearest integer, ties toward +∞.
///
/// ```
/// use tfjs_format::codec::js_round;
/// assert_eq!(js_round(2.5), 3.0);
/// assert_eq!(js_round(-2.5), -2.0); // Rust's f64::round gives -3
/// ```
pub fn js_round(x: f64) -> f64 {
    let f = x.floor();
    if x - f >= 0.5 {
        f + 1.0
    } else {
        f
    }
}

/// ECMAScript `ToInt32` (what storing into an `Int32Array` does): truncate,
/// wrap modulo 2³², and map NaN/±∞ to 0.
///
/// ```
/// use tfjs_format::codec::js_to_int32;
/// assert_eq!(js_to_int32(-1.7), -1);
/// assert_eq!(js_to_int32(4294967297.0), 1);
/// assert_eq!(js_to_int32(f64::NAN), 0);
/// ```
pub fn js_to_int32(x: f64) -> i32 {
    if !x.is_finite() {
        return 0;
    }
    let t = x.trunc();
    let m = t.rem_euclid(4294967296.0);
    (m as u64 as u32) as i32
}

fn u16s(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    le_words(&[bytes], f32::from_le_bytes)
}

/// Decode one weight from exactly its stored bytes (`bytes.len()` must be
/// what [`weight_layout`] gives for it). Quantized weights are dequantized
/// as TensorFlow.js does. Errors name the weight and say what was expected.
///
/// ```
/// use tfjs_format::codec::{decode_weight, TensorValues};
/// use tfjs_format::{DType, WeightSpec};
/// let spec = WeightSpec::new("s", vec![2], DType::String);
/// let bytes = [1, 0, 0, 0, b'a', 2, 0, 0, 0, b'b', b'c'];
/// let v = decode_weight(&spec, &bytes).unwrap();
/// assert_eq!(v, TensorValues::String(vec![b"a".to_vec(), b"bc".to_vec()]));
/// assert!(decode_weight(&spec, &bytes[..6]).is_err());
/// ```
pub fn decode_weight(spec: &WeightSpec, bytes: &[u8]) -> Result<TensorValues> {
    let name = &spec.name;
    let n = num_elements_u64(spec)?;
    if let Some(expected) = stored_byte_len(spec)? {
        if expected != bytes.len() as u64 {
            return Err(FormatError::weight(
                name,
                format!(
                    "expected {expected} bytes for shape {:?}, got {}",
                    spec.shape,
                    bytes.len()
                ),
            ));
        }
    }
    if let Some(q) = &spec.quantization {
        match q.dtype {
            QuantizationDType::Uint8 | QuantizationDType::Uint16 => {
                if !(q.has_min() && q.has_scale()) {
                    return Err(FormatError::weight(
                        name,
                        format!(
                            "Weight {name} with quantization {} doesn't have corresponding metadata min and scale.",
                            q.dtype.as_str()
                        ),
                    ));
                }
                let (min, scale) = (q.min_f64(), q.scale_f64());
                let deq = |v: u16| v as f64 * scale + min;
                let qs: Box<dyn Iterator<Item = u16>> = if q.dtype == QuantizationDType::Uint8 {
                    Box::new(bytes.iter().map(|&b| b as u16))
                } else {
                    Box::new(u16s(bytes))
                };
                match spec.dtype {
                    DType::Float32 => Ok(TensorValues::Float32(
                        qs.map(|v| deq(v) as f32).collect(),
                    )),
                    DType::Int32 => Ok(TensorValues::Int32(
                        qs.map(|v| js_to_int32(js_round(deq(v)))).collect(),
                    )),
                    other => Err(FormatError::weight(
                        name,
                        format!("Unsupported dtype in weight '{name}': {other} (uint8/uint16 quantization only supports float32 and int32 weights)"),
                    )),
                }
            }
            QuantizationDType::Float16 => {
                if spec.dtype != DType::Float32 {
                    return Err(FormatError::weight(
                        name,
                        format!(
                            "Weight {name} is quantized with float16 which only supports weights of type float32 not {}.",
                            spec.dtype
                        ),
                    ));
                }
                Ok(TensorValues::Float32(
                    u16s(bytes)
                        .map(|b| half::f16::from_bits(b).to_f32())
                        .collect(),
                ))
            }
        }
    } else {
        Ok(match spec.dtype {
            DType::Float32 => TensorValues::Float32(f32s(bytes)),
            DType::Complex64 => TensorValues::Complex64(f32s(bytes)),
            DType::Int32 => TensorValues::Int32(le_words(&[bytes], i32::from_le_bytes)),
            DType::Bool => TensorValues::Bool(bytes.to_vec()),
            DType::String => {
                let mut out = Vec::with_capacity((n as usize).min(bytes.len() / 4));
                let mut pos = 0usize;
                for i in 0..n {
                    let Some(p) = bytes.get(pos..pos + 4) else {
                        return Err(FormatError::weight(
                            name,
                            format!("string element {i}: length prefix past the end of its bytes"),
                        ));
                    };
                    let l = u32::from_le_bytes([p[0], p[1], p[2], p[3]]) as usize;
                    pos += 4;
                    let Some(s) = bytes.get(pos..pos.saturating_add(l)) else {
                        return Err(FormatError::weight(
                            name,
                            format!(
                                "string element {i} declares {l} bytes, only {} remain",
                                bytes.len() - pos
                            ),
                        ));
                    };
                    out.push(s.to_vec());
                    pos += l;
                }
                if pos != bytes.len() {
                    return Err(FormatError::weight(
                        name,
                        format!(
                            "{} bytes left over after the last string",
                            bytes.len() - pos
                        ),
                    ));
                }
                TensorValues::String(out)
            }
        })
    }
}

/// The stored bytes of `values` (no quantization), appended to `out`:
/// little-endian numbers, one byte per bool, length-prefixed strings.
/// `name` is used in errors (a string element longer than `u32::MAX`).
///
/// ```
/// use tfjs_format::codec::{encode_values_into, TensorValues};
/// let mut out = Vec::new();
/// encode_values_into("w", &TensorValues::Float32(vec![1.0]), &mut out).unwrap();
/// assert_eq!(out, 1.0f32.to_le_bytes());
/// ```
pub fn encode_values_into(name: &str, values: &TensorValues, out: &mut Vec<u8>) -> Result<()> {
    match values {
        TensorValues::Float32(v) | TensorValues::Complex64(v) => {
            out.reserve(v.len() * 4);
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        TensorValues::Int32(v) => {
            out.reserve(v.len() * 4);
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        TensorValues::Bool(v) => out.extend_from_slice(v),
        TensorValues::String(v) => {
            for (i, s) in v.iter().enumerate() {
                let l = u32::try_from(s.len()).map_err(|_| {
                    FormatError::weight(
                        name,
                        format!(
                            "string element {i} is {} bytes; the format's u32 length prefix allows at most 4294967295",
                            s.len()
                        ),
                    )
                })?;
                out.extend_from_slice(&l.to_le_bytes());
                out.extend_from_slice(s);
            }
        }
    }
    Ok(())
}

/// Encode weights as TensorFlow.js `encodeWeights` does (no quantization).
/// Each weight's value count must match its shape.
///
/// ```
/// use tfjs_format::codec::{encode_weights, DecodedWeight, TensorValues};
/// let w = DecodedWeight { name: "i".into(), shape: vec![2], values: TensorValues::Int32(vec![-1, 2]), group: None };
/// let (specs, bytes) = encode_weights(&[w]).unwrap();
/// assert_eq!(specs[0].dtype.as_str(), "int32");
/// assert_eq!(bytes, [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0]);
/// ```
pub fn encode_weights(weights: &[DecodedWeight]) -> Result<(Vec<WeightSpec>, Vec<u8>)> {
    let mut specs = Vec::with_capacity(weights.len());
    let mut data = Vec::new();
    for w in weights {
        let mut spec = WeightSpec::new(w.name.clone(), w.shape.clone(), w.values.dtype());
        spec.group = w.group.clone();
        check_count(&spec, &w.values)?;
        encode_values_into(&w.name, &w.values, &mut data)?;
        specs.push(spec);
    }
    Ok((specs, data))
}

pub(crate) fn check_count(spec: &WeightSpec, values: &TensorValues) -> Result<()> {
    let n = spec.num_elements();
    let odd_complex = matches!(values, TensorValues::Complex64(v) if v.len() % 2 != 0);
    if n != Some(values.num_elements()) || odd_complex {
        return Err(FormatError::weight(
            &spec.name,
            format!(
                "shape {:?} needs {} values but {} were given",
                spec.shape,
                n.map(|n| n.to_string())
                    .unwrap_or_else(|| "too many".into()),
                match values {
                    TensorValues::Complex64(v) =>
                        format!("{} floats (complex re/im pairs)", v.len()),
                    v => v.num_elements().to_string(),
                }
            ),
        ));
    }
    Ok(())
}

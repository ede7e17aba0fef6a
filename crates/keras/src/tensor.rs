//! HDF5 dataset elements → TensorFlow.js weight bytes, with the converter's
//! automatic dtype conversions and notes for the ones it does not make.

use crate::h5::{DatasetInfo, Datatype, H5File};
use crate::{KerasError, Result};
use std::borrow::Cow;
use tfjs_format::{DType, WeightSpec};

/// One weight, decoded to a dtype TensorFlow.js stores; `data` borrows
/// the file's bytes where they need no conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct Weight<'a> {
    /// Manifest name.
    pub name: String,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// TensorFlow.js dtype of `data`.
    pub dtype: DType,
    /// Little-endian element bytes.
    pub data: Cow<'a, [u8]>,
}

impl Weight<'_> {
    /// The manifest entry.
    pub fn spec(&self) -> WeightSpec {
        WeightSpec::new(self.name.clone(), self.shape.clone(), self.dtype)
    }
}

/// Read dataset `d` (at `path` in `file`) as weight `name`. float16 and
/// float64 become float32 and int64 int32, as the converter does silently;
/// bfloat16 (Keras 3 marks it with `dtype="bfloat16"`), other integer widths
/// and bool-like enums are converted too, each with a line in `notes`
/// (the converter refuses those).
pub fn read_weight<'a>(
    file: &H5File<'a>,
    d: &DatasetInfo,
    path: &str,
    name: &str,
    notes: &mut Vec<String>,
) -> Result<Weight<'a>> {
    let raw = file.read_cow(d, path)?;
    let shape = d
        .shape
        .iter()
        .map(|&x| {
            usize::try_from(x)
                .map_err(|_| KerasError::msg(format!("{path}: dimension {x} too large")))
        })
        .collect::<Result<Vec<_>>>()?;
    let bf16 = d.attrs.get("dtype").and_then(|v| v.as_str()) == Some("bfloat16");
    let (dtype, data) = match (&d.dtype, bf16) {
        (Datatype::Opaque { size: 2 } | Datatype::Int { size: 2, .. }, true) => {
            notes.push(format!(
                "{name}: bfloat16 stored as float32 (TensorFlow.js has no bfloat16)"
            ));
            let mut out = Vec::with_capacity(raw.len() * 2);
            for b in raw.chunks_exact(2) {
                let v = f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16);
                out.extend_from_slice(&v.to_le_bytes());
            }
            (DType::Float32, Cow::Owned(out))
        }
        (Datatype::Float { size, big_endian }, _) => {
            let raw = le(raw, *size, *big_endian);
            match size {
                4 => (DType::Float32, raw),
                2 => (
                    DType::Float32,
                    Cow::Owned(
                        raw.chunks_exact(2)
                            .flat_map(|b| {
                                half::f16::from_le_bytes([b[0], b[1]])
                                    .to_f32()
                                    .to_le_bytes()
                            })
                            .collect(),
                    ),
                ),
                _ => (
                    DType::Float32,
                    Cow::Owned(
                        raw.chunks_exact(8)
                            .flat_map(|b| {
                                (f64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as f32)
                                    .to_le_bytes()
                            })
                            .collect(),
                    ),
                ),
            }
        }
        (
            Datatype::Int {
                size,
                signed,
                big_endian,
            },
            _,
        ) => {
            let raw = le(raw, *size, *big_endian);
            if *size == 4 && *signed {
                (DType::Int32, raw)
            } else {
                if !(*size == 8 && *signed) {
                    notes.push(format!(
                        "{name}: {}int{} stored as int32 (TensorFlow.js stores int32)",
                        if *signed { "" } else { "u" },
                        size * 8
                    ));
                }
                let mut out = Vec::with_capacity(raw.len() / size * 4);
                for b in raw.chunks_exact(*size) {
                    let mut v = [0u8; 8];
                    v[..*size].copy_from_slice(b);
                    let x = if *signed {
                        let shift = 64 - 8 * *size as u32;
                        (i64::from_le_bytes(v) << shift) >> shift
                    } else {
                        u64::from_le_bytes(v).min(i64::MAX as u64) as i64
                    };
                    let y = i32::try_from(x).map_err(|_| {
                        KerasError::msg(format!("{name}: value {x} does not fit in int32"))
                    })?;
                    out.extend_from_slice(&y.to_le_bytes());
                }
                (DType::Int32, Cow::Owned(out))
            }
        }
        (Datatype::Enum { size: 1 }, _) => (DType::Bool, raw),
        (other, _) => {
            return Err(KerasError::msg(format!(
                "{path}: weight `{name}` has datatype {other:?}, which TensorFlow.js cannot store"
            )))
        }
    };
    Ok(Weight {
        name: name.to_string(),
        shape,
        dtype,
        data,
    })
}

fn le(mut raw: Cow<'_, [u8]>, size: usize, big_endian: bool) -> Cow<'_, [u8]> {
    if big_endian && size > 1 {
        for e in raw.to_mut().chunks_exact_mut(size) {
            e.reverse();
        }
    }
    raw
}

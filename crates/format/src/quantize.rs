//! Quantization as the Python converter does it (affine uint8/uint16 with
//! zero nudging, float16 round-to-nearest-even).
//!
//! Mirrors `tensorflowjs/quantization.py` (`quantize_weights`,
//! `_get_affine_quantization_range`) with numpy 2 semantics: the range and
//! every intermediate is float64, rounding is numpy's half-to-even, and the
//! manifest's `min`/`scale` are the float64 values spelled by Python `repr`.

use crate::codec::{decode_weight, weight_layout, TensorValues};
use crate::json::py_float_number;
use crate::{
    DType, FormatError, ModelArtifacts, Quantization, QuantizationDType, Result, WeightData,
    WeightSpec,
};
use serde_json::Map;

/// Quantize float32 values; returns the stored bytes and the manifest
/// `quantization` object (with `original_dtype: "float32"`).
///
/// ```
/// use tfjs_format::{quantize::quantize, QuantizationDType};
/// let (bytes, q) = quantize(&[-1.0, 0.0, 0.5, 2.0], QuantizationDType::Uint8);
/// assert_eq!(bytes, [0, 85, 128, 255]);
/// assert_eq!(q.min.unwrap().as_str(), "-1.0");
/// assert_eq!(q.scale.unwrap().as_str(), "0.011764705882352941");
/// ```
pub fn quantize(values: &[f32], dtype: QuantizationDType) -> (Vec<u8>, Quantization) {
    match dtype {
        QuantizationDType::Float16 => {
            let mut out = Vec::with_capacity(values.len() * 2);
            for &v in values {
                out.extend_from_slice(&half::f16::from_f32(v).to_bits().to_le_bytes());
            }
            let q = Quantization {
                dtype,
                min: None,
                scale: None,
                original_dtype: Some("float32".into()),
                extra: Map::new(),
            };
            (out, q)
        }
        QuantizationDType::Uint8 | QuantizationDType::Uint16 => {
            let (qs, min, scale) = affine(values, dtype);
            let mut out = Vec::with_capacity(values.len() * dtype.byte_size());
            for q in qs {
                if dtype == QuantizationDType::Uint8 {
                    out.push(q as u8);
                } else {
                    out.extend_from_slice(&q.to_le_bytes());
                }
            }
            let q = Quantization {
                dtype,
                // Non-finite ranges cannot be written as JSON numbers; the
                // converter would write NaN/Infinity, which no JSON reader
                // accepts. Leave them out (decode then fails clearly).
                min: py_float_number(min),
                scale: py_float_number(scale),
                original_dtype: Some("float32".into()),
                extra: Map::new(),
            };
            (out, q)
        }
    }
}

/// The affine quantization of `values`: quantized integers, `min`, `scale`
/// (float64, as the manifest records them). Mirrors the converter's
/// `quantize_weights` (when the range spans 0 it is nudged so that 0 is
/// exactly representable).
///
/// ```
/// use tfjs_format::quantize::{affine, dequantize_affine};
/// use tfjs_format::QuantizationDType;
/// let (qs, min, scale) = affine(&[0.0, 1.0], QuantizationDType::Uint8);
/// assert_eq!(qs, vec![0, 255]);
/// let back = dequantize_affine(&qs, min, scale);
/// assert!((back[1] - 1.0).abs() < 1e-6);
/// ```
pub fn affine(values: &[f32], dtype: QuantizationDType) -> (Vec<u16>, f64, f64) {
    let quant_max: f64 = match dtype {
        QuantizationDType::Uint16 => 65535.0,
        _ => 255.0,
    };
    if values.is_empty() {
        // numpy's min() of an empty array raises; we pick an empty result.
        return (Vec::new(), 0.0, 1.0);
    }
    // numpy min/max propagate NaN.
    let mut min = values[0] as f64;
    let mut max = min;
    for &v in values {
        let v = v as f64;
        if v.is_nan() || min.is_nan() {
            min = f64::NAN;
            max = f64::NAN;
            continue;
        }
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    if min == max {
        return (vec![0; values.len()], min, 1.0);
    }
    let scale = (max - min) / quant_max;
    let (nudged_min, nudged_max) = if min <= 0.0 && 0.0 <= max {
        let zero_point = ((0.0 - min) / scale).round_ties_even();
        let nudged_min = -zero_point * scale;
        (nudged_min, quant_max * scale + nudged_min)
    } else {
        (min, max)
    };
    let qs = values
        .iter()
        .map(|&v| {
            let c = (v as f64).max(nudged_min).min(nudged_max);
            // `astype(uint8/uint16)` of an in-range value; saturate to be safe.
            ((c - nudged_min) / scale)
                .round_ties_even()
                .clamp(0.0, quant_max) as u16
        })
        .collect();
    (qs, nudged_min, scale)
}

/// Dequantize as TensorFlow.js does (`q * scale + min` in f64, then f32).
pub fn dequantize_affine(qs: &[u16], min: f64, scale: f64) -> Vec<f32> {
    qs.iter()
        .map(|&q| (q as f64 * scale + min) as f32)
        .collect()
}

/// Re-encode whole artifacts: the one quantization path (`tfjs convert
/// --quantize` calls it). Every float32 weight for which `choose` returns
/// `Some(dtype)` is stored quantized to that dtype, every other float32
/// weight is stored as plain float32 (dequantized if it was quantized).
/// Weights of other dtypes are passed through unchanged (the converter
/// quantizes only float32).
///
/// Re-quantizing an already-quantized weight, deliberately:
/// * to the dtype it already has: its bytes and metadata are kept as they
///   are. Quantizing its dequantized values again is not a no-op (the
///   affine range is nudged and rounded a second time, so values drift by
///   up to a step per pass); keeping it makes the operation idempotent and
///   lossless.
/// * to another dtype: it is dequantized as TensorFlow.js would
///   (`min + scale * q`), and those values are quantized; the loss of the
///   first quantization stays.
///
/// Everything but `weight_specs` / `weight_data` is copied. The result's
/// weight data is one buffer.
pub fn requantize_artifacts_with<F>(
    artifacts: &ModelArtifacts,
    mut choose: F,
) -> Result<ModelArtifacts>
where
    F: FnMut(&WeightSpec) -> Option<QuantizationDType>,
{
    let layout = weight_layout(&artifacts.weight_specs, &artifacts.weight_data)?;
    let mut specs = Vec::with_capacity(artifacts.weight_specs.len());
    let mut data = Vec::with_capacity(artifacts.weight_data.len());
    for (spec, &(offset, len)) in artifacts.weight_specs.iter().zip(&layout) {
        let bytes = artifacts
            .weight_data
            .slice(offset as usize, len as usize)
            .ok_or_else(|| FormatError::weight(&spec.name, "weight bytes out of range"))?;
        let target = if spec.dtype == DType::Float32 {
            choose(spec)
        } else {
            None
        };
        let current = spec.quantization.as_ref().map(|q| q.dtype);
        if current == target {
            // Already stored the requested way (plain, or the same quantization).
            specs.push(spec.clone());
            data.extend_from_slice(&bytes);
            continue;
        }
        let values = decode_weight(spec, &bytes)?;
        let mut out_spec = spec.clone();
        match (values, target) {
            (TensorValues::Float32(v), Some(t)) => {
                let (b, q) = quantize(&v, t);
                out_spec.quantization = Some(q);
                data.extend_from_slice(&b);
            }
            (values, _) => {
                // Dequantized (or non-float32): store plainly.
                out_spec.quantization = None;
                out_spec.dtype = values.dtype();
                crate::codec::encode_values_into(&spec.name, &values, &mut data)?;
            }
        }
        specs.push(out_spec);
    }
    let mut out = artifacts.clone();
    out.weight_specs = specs;
    out.weight_data = WeightData::from_vec(data);
    Ok(out)
}

/// [`requantize_artifacts_with`] applying `dtype` to every float32 weight
/// (`None` = store everything as plain float32).
pub fn requantize_artifacts(
    artifacts: &ModelArtifacts,
    dtype: Option<QuantizationDType>,
) -> Result<ModelArtifacts> {
    requantize_artifacts_with(artifacts, |_| dtype)
}

/// Python `fnmatch.fnmatchcase`-style pattern match (`*`, `?`, `[seq]`,
/// `[!seq]`), as the converter uses for `--quantize_uint8 "conv/*"`.
/// (Python's `fnmatch.filter` on POSIX is case-sensitive.)
///
/// ```
/// use tfjs_format::quantize::fnmatch;
/// assert!(fnmatch("conv*/kernel", "conv1/kernel"));
/// assert!(!fnmatch("conv?/bias", "conv12/bias"));
/// ```
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    // Iterative wildcard matching with backtracking on the last `*`.
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_class(&p, pi, s[si]) {
                        if matched {
                            pi = next;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == '[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[si] {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Match `c` against the class starting at `p[start] == '['`. Returns
/// `(matched, index after ']')`, or `None` if the class is unterminated
/// (then `[` is literal, as in Python).
fn match_class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = p.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    let first = i;
    let mut matched = false;
    while i < p.len() {
        if p[i] == ']' && i > first {
            return Some((matched != negate, i + 1));
        }
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    #[test]
    fn fnmatch_matches_python_fnmatchcase() {
        // (pattern, name, python3 fnmatch.fnmatchcase(name, pattern))
        let cases = [
            ("conv*/kernel", "conv1/kernel", true),
            ("conv?/bias", "conv12/bias", false),
            ("dense_[0-9]/*", "dense_3/kernel", true),
            ("dense_[!0-9]/*", "dense_3/kernel", false),
            ("dense_[!0-9]/*", "dense_x/kernel", true),
            ("a[b", "a[b", true),
            ("*", "", true),
            ("*/bias", "x/y/bias", true),
            ("[]]x", "]x", true),
            ("a*b*c", "aXbYbZc", true),
            ("*kernel", "bias", false),
        ];
        for (p, n, want) in cases {
            assert_eq!(fnmatch(p, n), want, "{p:?} {n:?}");
        }
    }
}

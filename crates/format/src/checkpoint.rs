//! The untrusted-model checkpoint: every check a store makes on a model
//! before it decodes, stores or hands it on, in one place.
//!
//! * [`check_manifest`] / [`manifest_problems`]: a parsed weights manifest
//!   (duplicate weight names, quantization metadata, weight paths); the
//!   first problem, or every problem for `tfjs verify`.
//! * [`weight_paths`]: the manifest's paths as [`WeightPath`]s.
//! * [`check_quantization`]: one weight's quantization metadata.
//! * [`check_artifacts_for_save`] / [`check_weight_data`]: artifacts about
//!   to be saved, or weight bytes just read:
//!   the weight bytes match the specs exactly (string weights walked
//!   through their length prefixes) and are not a text page.
//! * Shard lengths: [`crate::shard::check_shards_at`].
//!
//! ```
//! use tfjs_format::{checkpoint, ModelJson};
//! let text = br#"{"weightsManifest":[{"paths":["../w.bin"],"weights":[
//!   {"name":"w","shape":[2],"dtype":"float32","quantization":{"dtype":"uint8","min":0,"scale":-1}},
//!   {"name":"w","shape":[1],"dtype":"float32"}]}]}"#;
//! let m = ModelJson::parse(text, "model.json").unwrap();
//! let problems = checkpoint::manifest_problems(m.weights_manifest.as_ref().unwrap(), "model.json");
//! let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
//! assert_eq!(problems.len(), 3, "{text:#?}"); // negative scale, duplicate name, unsafe path
//! assert!(text[0].contains("weightsManifest[0].weights[0].quantization.scale"), "{}", text[0]);
//! ```

use crate::codec::weight_layout;
use crate::shard::text_body;
use crate::weight_path::WeightPath;
use crate::{DType, FormatError, ModelArtifacts, QuantizationDType, Result, WeightSpec};
use crate::{WeightData, WeightsManifestGroup};

/// The first problem [`manifest_problems`] finds, if any.
pub fn check_manifest(manifest: &[WeightsManifestGroup], source: &str) -> Result<()> {
    match manifest_problems(manifest, source).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Every problem of a parsed manifest, in file order: per group, each
/// weight's quantization ([`check_quantization`]) and name (a duplicate of
/// an earlier weight), then each path ([`WeightPath`]). `source` (the file
/// or URL) and the JSON path of the field are in each error.
pub fn manifest_problems(manifest: &[WeightsManifestGroup], source: &str) -> Vec<FormatError> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (gi, g) in manifest.iter().enumerate() {
        for (wi, w) in g.weights.iter().enumerate() {
            let field = format!("weightsManifest[{gi}].weights[{wi}]");
            if let Err(e) = check_quantization(w, source, &field) {
                out.push(e);
            }
            if let Some((g0, w0)) = seen.insert(w.name.as_str(), (gi, wi)) {
                out.push(FormatError::field(
                    source,
                    format!("{field}.name"),
                    format!(
                        "duplicate weight name {:?} (also at weightsManifest[{g0}].weights[{w0}]); TensorFlow.js would silently keep only the last one",
                        w.name
                    ),
                ));
            }
        }
        for (pi, p) in g.paths.iter().enumerate() {
            if let Err(e) = WeightPath::parse(p, &path_location(gi, pi, source)) {
                out.push(e);
            }
        }
    }
    out
}

fn path_location(gi: usize, pi: usize, source: &str) -> String {
    format!("weightsManifest[{gi}].paths[{pi}] of {source}")
}

/// Every group's paths, checked: `paths[g][i]` for `manifest[g].paths[i]`.
pub fn weight_paths(
    manifest: &[WeightsManifestGroup],
    source: &str,
) -> Result<Vec<Vec<WeightPath>>> {
    manifest
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            g.paths
                .iter()
                .enumerate()
                .map(|(pi, p)| WeightPath::parse(p, &path_location(gi, pi, source)))
                .collect()
        })
        .collect()
}

/// One weight's quantization metadata, checked before any byte is read
/// (its byte size decides the expected shard lengths). `field` is the
/// weight's JSON path (`weightsManifest[0].weights[3]`).
///
/// TensorFlow.js's own checks (with its texts): uint8/uint16 need `min`
/// and `scale`, and quantize only float32/int32; float16 only float32. Ours
/// on top, because TensorFlow.js decodes such weights into garbage: a
/// negative `scale`, a `min`/`scale` whose largest dequantized value is not
/// a finite float32, and an `original_dtype` other than the weight's dtype.
///
/// ```
/// use tfjs_format::{checkpoint::check_quantization, quantize::quantize, DType, QuantizationDType, WeightSpec};
/// let mut w = WeightSpec::new("w", vec![2], DType::Float32);
/// w.quantization = Some(quantize(&[0.0, 1.0], QuantizationDType::Uint8).1);
/// assert!(check_quantization(&w, "m.json", "weights[0]").is_ok());
/// w.dtype = DType::Int32;
/// let e = check_quantization(&w, "m.json", "weights[0]").unwrap_err().to_string();
/// assert!(e.contains("weights[0].quantization.original_dtype"), "{e}");
/// ```
pub fn check_quantization(w: &WeightSpec, source: &str, field: &str) -> Result<()> {
    let Some(q) = &w.quantization else {
        return Ok(());
    };
    let err = |sub: &str, msg: String| {
        // The JSON path says where; the weight's name says which weight.
        let msg = if msg.contains(&w.name) {
            msg
        } else {
            format!("weight `{}`: {msg}", w.name)
        };
        FormatError::field(source, format!("{field}.quantization{sub}"), msg)
    };
    let affine = matches!(
        q.dtype,
        QuantizationDType::Uint8 | QuantizationDType::Uint16
    );
    if affine && (q.min.is_none() || q.scale.is_none()) {
        return Err(err(
            "",
            format!(
                "Weight {} with quantization {} doesn't have corresponding metadata min and scale.",
                w.name,
                q.dtype.as_str()
            ),
        ));
    }
    if affine && !matches!(w.dtype, DType::Float32 | DType::Int32) {
        return Err(err(
            "",
            format!("Unsupported dtype in weight '{}': {}", w.name, w.dtype),
        ));
    }
    if q.dtype == QuantizationDType::Float16 && w.dtype != DType::Float32 {
        return Err(err(
            "",
            format!(
                "Weight {} is quantized with float16 which only supports weights of type float32 not {}.",
                w.name, w.dtype
            ),
        ));
    }
    if let Some(original) = &q.original_dtype {
        if original != w.dtype.as_str() {
            return Err(err(
                ".original_dtype",
                format!(
                    "{original:?} contradicts the weight's dtype {:?}: a quantized weight decodes to its dtype, so both must name the same type",
                    w.dtype.as_str()
                ),
            ));
        }
    }
    if affine {
        let (min, scale) = (q.min_f64(), q.scale_f64());
        let q_max = if q.dtype == QuantizationDType::Uint8 {
            255.0
        } else {
            65535.0
        };
        if scale < 0.0 {
            return Err(err(
                ".scale",
                format!("negative scale {scale}: the converter always writes a scale >= 0 (value = min + scale * q)"),
            ));
        }
        if !(min as f32).is_finite() {
            return Err(err(".min", format!("min {min} is not a finite float32")));
        }
        let top = min + scale * q_max;
        if !(top as f32).is_finite() {
            return Err(err(
                ".scale",
                format!(
                    "scale {scale} makes the largest dequantized value min + scale * {q_max} = {top:e} overflow float32 (at most {:e})",
                    f32::MAX
                ),
            ));
        }
    }
    Ok(())
}

/// Check artifacts that are about to be saved: the weight data holds
/// exactly the bytes the specs need (string weights walked through their
/// length prefixes) and no buffer is a text page ([`text_body`]). Every
/// store calls this before it writes anything, so a refused save leaves the
/// store as it was.
///
/// ```
/// use tfjs_format::{checkpoint::check_artifacts_for_save, DType, ModelArtifacts, WeightData, WeightSpec};
/// let mut a = ModelArtifacts {
///     weight_specs: vec![WeightSpec::new("w", vec![2], DType::Float32)],
///     weight_data: WeightData::from_vec(vec![0; 8]),
///     ..Default::default()
/// };
/// assert!(check_artifacts_for_save(&a).is_ok());
/// a.weight_data = WeightData::from_vec(vec![0; 7]);
/// assert!(check_artifacts_for_save(&a).unwrap_err().to_string().contains("need 8 bytes"));
/// ```
pub fn check_artifacts_for_save(artifacts: &ModelArtifacts) -> Result<()> {
    let group = WeightsManifestGroup {
        weights: artifacts.weight_specs.clone(),
        ..Default::default()
    };
    if let Some(needed) = group.stored_byte_len()? {
        let have = artifacts.weight_data.len() as u64;
        if needed != have {
            return Err(FormatError::WeightDataLength {
                expected: needed,
                actual: have,
                detail:
                    "; refusing to save a model whose weight bytes do not match its weight specs"
                        .into(),
            });
        }
    }
    check_weight_data(
        &artifacts.weight_specs,
        &artifacts.weight_data,
        "the model being saved",
    )
}

/// The weight bytes `data` hold exactly what `specs` need (string weights
/// walked through their length prefixes) and no buffer is a text page
/// ([`text_body`]). `source` names the model in errors.
pub fn check_weight_data(specs: &[WeightSpec], data: &WeightData, source: &str) -> Result<()> {
    weight_layout(specs, data).map_err(|e| match e {
        FormatError::WeightDataLength {
            expected,
            actual,
            detail,
        } => FormatError::WeightDataLength {
            expected,
            actual,
            detail: format!("{detail} ({source})"),
        },
        other => other,
    })?;
    for b in &data.buffers {
        if let Some(kind) = text_body(b) {
            return Err(FormatError::TextInsteadOfWeights {
                shard: format!("of {source}"),
                looks_like: kind,
            });
        }
    }
    Ok(())
}

/// What a quantized weight decodes to that loads but cannot be what its
/// author meant: a uint8/uint16 `scale` of 0 (every element decodes to
/// `min`; the converter writes `scale` 1 for a constant tensor) and
/// float16 values that decode to infinities or NaN (a float32 over 65504
/// quantized to float16). TensorFlow.js loads both silently; `verify`
/// reports them and `predict` warns. One message per weight, naming it.
///
/// ```
/// use tfjs_format::checkpoint::dequantization_warnings;
/// use tfjs_format::codec::decode_weights;
/// use tfjs_format::{DType, Quantization, QuantizationDType, WeightData, WeightSpec};
/// let mut w = WeightSpec::new("d/kernel", vec![2], DType::Float32);
/// w.quantization = Some(Quantization {
///     dtype: QuantizationDType::Float16,
///     min: None,
///     scale: None,
///     original_dtype: None,
///     extra: Default::default(),
/// });
/// let data = WeightData::from_vec([0x00u8, 0x7c, 0x00, 0x3c].to_vec()); // inf, 1.0
/// let decoded = decode_weights(std::slice::from_ref(&w), &data).unwrap();
/// let warnings = dequantization_warnings(&[w], &decoded);
/// assert_eq!(warnings, ["weight `d/kernel`: 1 of 2 float16 value(s) decode to infinity or NaN"]);
/// ```
pub fn dequantization_warnings(
    specs: &[WeightSpec],
    decoded: &[crate::codec::DecodedWeight],
) -> Vec<String> {
    let mut out = vec![];
    for (spec, w) in specs.iter().zip(decoded) {
        let Some(q) = &spec.quantization else {
            continue;
        };
        let n = spec.shape.iter().product::<usize>();
        match q.dtype {
            QuantizationDType::Uint8 | QuantizationDType::Uint16
                if q.scale_f64() == 0.0 && n > 1 =>
            {
                out.push(format!(
                    "weight `{}`: quantization scale is 0, so all {n} values decode to min {}",
                    spec.name,
                    q.min_f64()
                ));
            }
            QuantizationDType::Float16 => {
                if let crate::codec::TensorValues::Float32(v) = &w.values {
                    let bad = v.iter().filter(|x| !x.is_finite()).count();
                    if bad > 0 {
                        out.push(format!(
                            "weight `{}`: {bad} of {} float16 value(s) decode to infinity or NaN",
                            spec.name,
                            v.len()
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

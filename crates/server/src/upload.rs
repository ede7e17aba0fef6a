//! Parsing and validating what TensorFlow.js's `model.save('http://…')` POSTs.

use crate::ApiError;
use axum::extract::Multipart;
use bytes::{Bytes, BytesMut};
use tfjs_format::codec::{decode_weights, stored_byte_len};
use tfjs_format::{ModelArtifacts, ModelJson, WeightData};

/// Limits applied to one upload.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// Largest whole request body.
    pub max_body: u64,
    /// Largest `model.json` part.
    pub max_model_json: u64,
    /// Most weight entries in the manifest.
    pub max_weights: usize,
}

/// Read the multipart body: exactly one `model.json` part and at most one
/// `model.weights.bin` part, nothing else.
pub async fn read_parts(
    mut mp: Multipart,
    limits: &UploadLimits,
) -> Result<(Bytes, Option<Bytes>), ApiError> {
    let mut json: Option<Bytes> = None;
    let mut weights: Option<Bytes> = None;
    let mut total = 0u64;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        let name = field.name().unwrap_or("").to_string();
        let (slot, cap) = match name.as_str() {
            "model.json" => (&mut json, limits.max_model_json),
            "model.weights.bin" => (&mut weights, limits.max_body),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unexpected form part {:?}: TensorFlow.js sends exactly the parts \"model.json\" and \"model.weights.bin\"",
                    other.chars().take(100).collect::<String>()
                )))
            }
        };
        if slot.is_some() {
            return Err(ApiError::bad_request(format!(
                "form part {name:?} appears twice"
            )));
        }
        let mut buf = BytesMut::new();
        let mut field = field;
        loop {
            match field.chunk().await {
                Ok(Some(c)) => {
                    total += c.len() as u64;
                    if buf.len() as u64 + c.len() as u64 > cap {
                        return Err(ApiError::too_large(format!(
                            "form part {name:?} is larger than the limit of {cap} bytes"
                        )));
                    }
                    if total > limits.max_body {
                        return Err(ApiError::too_large(format!(
                            "the upload is larger than the limit of {} bytes",
                            limits.max_body
                        )));
                    }
                    buf.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => return Err(multipart_error(e)),
            }
        }
        *slot = Some(buf.freeze());
    }
    let json = json.ok_or_else(|| {
        ApiError::bad_request(
            "the form has no \"model.json\" part (send what TensorFlow.js model.save('http://…') sends)",
        )
    })?;
    Ok((json, weights))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let text = e.body_text();
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE || text.contains("limit") {
        ApiError::too_large(format!("the upload is too large: {text}"))
    } else {
        ApiError::bad_request(format!("malformed multipart/form-data body: {text}"))
    }
}

/// Check a model name from the URL: 1–128 characters of `A-Z a-z 0-9 . _ -`,
/// starting with a letter or digit (so no `..`, `/`, `\`, control characters).
pub fn valid_name(name: &str) -> Result<(), String> {
    let ok_start = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if name.is_empty() || name.len() > 128 {
        return Err(format!(
            "invalid model name {:?}: it must be 1 to 128 characters long",
            name.chars().take(140).collect::<String>()
        ));
    }
    if !ok_start
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "invalid model name {:?}: use letters, digits, '.', '_' and '-', starting with a letter or digit",
            name.escape_default().to_string()
        ));
    }
    Ok(())
}

/// Validate the parts and build the artifacts to store.
pub fn validate(
    json: &[u8],
    weights: Option<Bytes>,
    limits: &UploadLimits,
) -> Result<ModelArtifacts, ApiError> {
    let parsed = ModelJson::parse(json, "model.json")
        .map_err(|e| ApiError::bad_request(format!("invalid model.json: {e}")))?;
    if parsed
        .model_topology
        .as_ref()
        .is_none_or(|t| !t.is_object())
    {
        return Err(ApiError::bad_request(
            "model.json has no modelTopology object: only layers models (model.save from TensorFlow.js) can be stored",
        ));
    }
    let specs: Vec<_> = parsed
        .weights_manifest
        .iter()
        .flatten()
        .flat_map(|g| g.weights.iter())
        .collect();
    if specs.len() > limits.max_weights {
        return Err(ApiError::bad_request(format!(
            "model.json declares {} weights, more than the limit of {}",
            specs.len(),
            limits.max_weights
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for s in &specs {
        if s.name.is_empty() || s.name.len() > 1024 || s.name.chars().any(char::is_control) {
            return Err(ApiError::bad_request(format!(
                "model.json: weight name {:?} is empty, longer than 1024 bytes or has control characters",
                s.name.escape_default().to_string()
            )));
        }
        if !seen.insert(s.name.as_str()) {
            return Err(ApiError::bad_request(format!(
                "model.json: weight name {:?} appears twice in the manifest",
                s.name
            )));
        }
    }
    let data = WeightData {
        buffers: weights.into_iter().filter(|b| !b.is_empty()).collect(),
    };
    let actual = data.len() as u64;
    let mut expected = Some(0u64);
    for s in &specs {
        let len =
            stored_byte_len(s).map_err(|e| ApiError::bad_request(format!("model.json: {e}")))?;
        expected = match (expected, len) {
            (Some(a), Some(l)) => Some(a.checked_add(l).ok_or_else(|| {
                ApiError::bad_request(format!("model.json: weight `{}` is too large", s.name))
            })?),
            _ => None,
        };
    }
    match expected {
        Some(e) if e != actual => {
            return Err(ApiError::bad_request(format!(
                "model.weights.bin has {actual} bytes but the weights manifest in model.json describes {e} bytes ({} weights); the upload is truncated or does not belong to this model.json",
                specs.len()
            )))
        }
        Some(_) => {}
        None => {
            // string weights: only a full decode can tell.
            let owned: Vec<_> = specs.iter().map(|s| (*s).clone()).collect();
            decode_weights(&owned, &data).map_err(|e| {
                ApiError::bad_request(format!(
                    "model.weights.bin does not match the weights manifest: {e}"
                ))
            })?;
        }
    }
    Ok(parsed.into_artifacts(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        for ok in ["mnist", "my-model_1.2", "A", "0"] {
            assert!(valid_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "a\nb",
            "a b",
            "é",
            "-x",
            &"x".repeat(129),
        ] {
            assert!(valid_name(bad).is_err(), "{bad:?}");
        }
    }
}

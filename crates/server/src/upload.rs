//! Parsing and validating what TensorFlow.js's `model.save('http://…')` POSTs.

use crate::errors::ApiError;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use bytes::{Bytes, BytesMut};
use std::sync::{Arc, Mutex};
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

/// Longest header block of one form part (and longest preamble before the
/// first part). TensorFlow.js sends about 150 bytes; the multipart parser
/// would otherwise buffer (and re-scan) a header of any length.
pub const MAX_PART_HEADER_BYTES: usize = 16 * 1024;

/// Watches a multipart body stream go by and stops it when a part's header
/// block (from its boundary to the blank line) or the preamble is longer
/// than [`MAX_PART_HEADER_BYTES`]. Part data is not limited here.
#[derive(Debug)]
pub struct PartHeaderGuard {
    /// `\r\n--BOUNDARY`.
    delimiter: Vec<u8>,
    in_headers: bool,
    /// Bytes seen in the current preamble or header block.
    run: usize,
    /// The last bytes seen (shorter than what is searched for), so that a
    /// delimiter split across chunks is found.
    tail: Vec<u8>,
}

const CRLF_CRLF: &[u8] = b"\r\n\r\n";

/// Where `needle` ends in `tail ++ chunk`, as an offset into `chunk`.
/// `tail` is shorter than `needle` and holds no match itself.
fn find_end(tail: &[u8], chunk: &[u8], needle: &[u8]) -> Option<usize> {
    if !tail.is_empty() {
        let mut w = tail.to_vec();
        w.extend_from_slice(&chunk[..chunk.len().min(needle.len() - 1)]);
        if let Some(p) = memchr::memmem::find(&w, needle) {
            return Some(p + needle.len() - tail.len());
        }
    }
    memchr::memmem::find(chunk, needle).map(|p| p + needle.len())
}

impl PartHeaderGuard {
    /// A guard for a body whose parts are separated by `boundary`.
    pub fn new(boundary: &str) -> Self {
        PartHeaderGuard {
            delimiter: [b"\r\n--", boundary.as_bytes()].concat(),
            in_headers: false,
            run: 0,
            // The first delimiter may open the body without a line break.
            tail: b"\r\n".to_vec(),
        }
    }

    /// Look at the next chunk; `Err` once a header block is too long.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), String> {
        while !chunk.is_empty() {
            let needle: &[u8] = if self.in_headers {
                CRLF_CRLF
            } else {
                &self.delimiter
            };
            let counted = self.in_headers || self.run != usize::MAX;
            match find_end(&self.tail, chunk, needle) {
                Some(end) => {
                    if counted {
                        self.run = self.run.saturating_add(end);
                        self.check()?;
                    }
                    // After a delimiter come the part's headers; after the
                    // headers, its data (never counted: usize::MAX).
                    self.in_headers = !self.in_headers;
                    self.run = if self.in_headers { 0 } else { usize::MAX };
                    self.tail.clear();
                    chunk = &chunk[end..];
                }
                None => {
                    if counted {
                        self.run = self.run.saturating_add(chunk.len());
                        self.check()?;
                    }
                    let keep = needle.len() - 1;
                    self.tail.extend_from_slice(chunk);
                    let cut = self.tail.len().saturating_sub(keep);
                    self.tail.drain(..cut);
                    chunk = &[];
                }
            }
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
        if self.run > MAX_PART_HEADER_BYTES {
            let what = if self.in_headers {
                "a form part's header block"
            } else {
                "the text before the first form part"
            };
            return Err(format!(
                "{what} is longer than {MAX_PART_HEADER_BYTES} bytes (TensorFlow.js sends a few hundred)"
            ));
        }
        Ok(())
    }
}

/// The boundary parameter of a `multipart/form-data` content type.
fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

/// The request's body as a [`Multipart`] whose part headers are capped
/// ([`PartHeaderGuard`]). When the cap stops the stream, the reason is left
/// in the returned slot (the parser only reports "stream failed").
pub async fn capped_multipart(
    req: Request,
) -> Result<(Multipart, Arc<Mutex<Option<String>>>), ApiError> {
    let refused: Arc<Mutex<Option<String>>> = Arc::default();
    let (parts, body) = req.into_parts();
    let boundary = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(boundary_of);
    let body = match boundary {
        Some(b) => {
            let mut guard = PartHeaderGuard::new(&b);
            let slot = refused.clone();
            let stream = futures::StreamExt::map(body.into_data_stream(), move |chunk| {
                let chunk = chunk?;
                if let Err(why) = guard.feed(&chunk) {
                    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.clone());
                    return Err(axum::Error::new(why));
                }
                Ok(chunk)
            });
            Body::from_stream(stream)
        }
        None => body,
    };
    let mp = Multipart::from_request(Request::from_parts(parts, body), &())
        .await
        .map_err(|e| {
            ApiError::bad_request(format!(
                "expected a multipart/form-data body as sent by TensorFlow.js model.save('http://…'): {}",
                e.body_text()
            ))
        })?;
    Ok((mp, refused))
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
    let specs: Vec<_> = parsed.weight_entries().collect();
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

    fn feed_in(guard: &mut PartHeaderGuard, body: &[u8], step: usize) -> Result<(), String> {
        body.chunks(step).try_for_each(|c| guard.feed(c))
    }

    #[test]
    fn part_headers_are_capped_wherever_chunks_split() {
        let part = |header_pad: usize, data: &[u8]| {
            let mut p = format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"model.json\"\r\nX-Pad: {}\r\n\r\n",
                "a".repeat(header_pad)
            )
            .into_bytes();
            p.extend_from_slice(data);
            p.extend_from_slice(b"\r\n");
            p
        };
        // Data far larger than the cap (with header-like bytes in it) passes.
        let data = [b"\r\n\r\n".repeat(10_000), vec![7u8; 100_000]].concat();
        let ok = [
            part(10, &data),
            part(MAX_PART_HEADER_BYTES - 200, b"x"),
            b"--XyZ--\r\n".to_vec(),
        ]
        .concat();
        for step in [1, 3, 7, 64, 4096, ok.len()] {
            assert_eq!(
                feed_in(&mut PartHeaderGuard::new("XyZ"), &ok, step),
                Ok(()),
                "step {step}"
            );
        }
        let bad = [part(10, b"x"), part(MAX_PART_HEADER_BYTES, b"x")].concat();
        for step in [1, 5, 4096, bad.len()] {
            let err = feed_in(&mut PartHeaderGuard::new("XyZ"), &bad, step).unwrap_err();
            assert!(err.contains("header block"), "{err}");
        }
        // A header that never ends is stopped once past the cap.
        let endless = [b"--XyZ\r\nX: ".to_vec(), vec![b'a'; 1 << 20]].concat();
        assert!(feed_in(&mut PartHeaderGuard::new("XyZ"), &endless, 8192).is_err());
        let preamble = vec![b'p'; MAX_PART_HEADER_BYTES + 1];
        let err = feed_in(&mut PartHeaderGuard::new("XyZ"), &preamble, 100).unwrap_err();
        assert!(err.contains("before the first form part"), "{err}");
        assert_eq!(
            boundary_of("multipart/form-data; boundary=\"a b\""),
            Some("a b".into())
        );
        assert_eq!(boundary_of("multipart/form-data"), None);
    }

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

//! The server's multipart upload parser (`tfjs_server::upload::read_parts`
//! through axum's `Multipart` extractor) and the upload validation.
//!
//! Input: the boundary up to the first `\r\n`, then the request body.
#![no_main]

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::Request;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use tfjs_server::upload::{read_parts, valid_name, validate, UploadLimits};

const LIMITS: UploadLimits = UploadLimits {
    max_body: 1 << 20,
    max_model_json: 1 << 18,
    max_weights: 1000,
};

fuzz_target!(|data: &[u8]| {
    let split = data
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(data.len());
    let Ok(boundary) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let _ = valid_name(boundary);
    let body = Bytes::copy_from_slice(&data[(split + 2).min(data.len())..]);
    let Ok(request) = Request::post("/models/fuzz")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
    else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let Ok(mp) = Multipart::from_request(request, &()).await else {
            return;
        };
        if let Ok((json, weights)) = read_parts(mp, &LIMITS).await {
            let _ = validate(&json, weights, &LIMITS);
        }
    });
});

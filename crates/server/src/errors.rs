//! Why the server cannot start ([`ServerError`]) and the JSON error
//! answer of a request ([`ApiError`]).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::SocketAddr;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Writes on a non-loopback address without a token.
    #[error("refusing to accept uploads on the non-loopback address {0} without a token: set --token / TFJS_TOKEN, use --read-only, or listen on 127.0.0.1")]
    NeedToken(SocketAddr),
    /// The store could not be read.
    #[error(transparent)]
    Io(#[from] tfjs_io::IoError),
    /// Listening or serving failed.
    #[error("{0}")]
    Net(#[from] std::io::Error),
}

/// A JSON error answer: `{"error": "...", "status": N}`.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status answered.
    pub status: StatusCode,
    /// What was wrong, for the `error` field.
    pub message: String,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }
    /// 400.
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    /// 413.
    pub fn too_large(m: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, m)
    }
    /// 404.
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.message, "status": self.status.as_u16()});
        let mut r = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<tfjs_io::IoError> for ApiError {
    fn from(e: tfjs_io::IoError) -> Self {
        match e {
            tfjs_io::IoError::NotFound { message, .. } => ApiError::not_found(message),
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("store error: {other}"),
                )
            }
        }
    }
}

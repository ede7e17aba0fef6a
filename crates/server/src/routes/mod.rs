//! The HTTP routes, one module per family, and what they share.

mod blobs;
mod delete;
mod models;
pub(crate) mod page;
mod save;

use crate::catalog::Version;
use crate::errors::ApiError;
use crate::middleware;
use crate::upload::valid_name;
use crate::AppState;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The axum router: all routes and middleware over `state`.
pub(crate) fn router(state: Arc<AppState>) -> axum::Router {
    let limit = state.config.max_upload_bytes as usize;
    axum::Router::new()
        .route("/", get(page::index))
        .route("/view/{name}", get(page::detail))
        .route("/assets/app.js", get(page::app_js))
        .route("/assets/app.css", get(page::app_css))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/models", get(models::list_models))
        .route(
            "/models/{name}",
            axum::routing::post(save::upload)
                .put(save::upload)
                .delete(delete::delete_model)
                .get(models::model_summary),
        )
        .route("/models/{name}/model.json", get(models::latest_json))
        .route(
            "/models/{name}/{version}",
            axum::routing::delete(delete::delete_version).get(models::version_summary),
        )
        .route(
            "/models/{name}/{version}/model.json",
            get(models::version_json),
        )
        .route("/blobs/{blob}", get(blobs::blob))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(DefaultBodyLimit::max(limit.saturating_add(64 * 1024)))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::log_requests,
        ))
        .with_state(state)
}

/// A header value from text that may not be valid in a header (`null` then).
pub(crate) fn hv(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("null"))
}

pub(crate) fn check_name(name: &str) -> Result<(), ApiError> {
    valid_name(name).map_err(ApiError::bad_request)
}

pub(crate) fn parse_version(v: &str) -> Result<u32, ApiError> {
    v.strip_prefix('v')
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n > 0 && !v[1..].starts_with('0'))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "invalid version {:?}: expected v1, v2, …",
                v.escape_default().to_string()
            ))
        })
}

/// The 404 of a model name nothing is stored under.
pub(crate) fn no_model(name: &str) -> ApiError {
    ApiError::not_found(format!("there is no model named {name:?}"))
}

/// The 404 of a version model `name` does not have.
pub(crate) fn no_version(name: &str, n: u32) -> ApiError {
    ApiError::not_found(format!("model {name:?} has no version v{n}"))
}

/// Every version of model `name` (400 for an invalid name, 404 when there is none).
pub(crate) async fn find_model(
    st: &AppState,
    name: &str,
) -> Result<BTreeMap<u32, Arc<Version>>, ApiError> {
    check_name(name)?;
    st.lookup(|c| c.models.get(name).cloned())
        .await
        .ok_or_else(|| no_model(name))
}

/// Version `version` (`v1`, `v2`, …) of model `name` (400 for an invalid
/// name or version, 404 when there is no such version).
pub(crate) async fn find_version(
    st: &AppState,
    name: &str,
    version: &str,
) -> Result<Arc<Version>, ApiError> {
    check_name(name)?;
    let n = parse_version(version)?;
    st.lookup(|c| c.version(name, n))
        .await
        .ok_or_else(|| no_version(name, n))
}

pub(crate) fn serve_json(headers: &HeaderMap, body: Bytes) -> Response {
    let etag = format!(
        "\"{}\"",
        &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body))[..32]
    );
    let mut r = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(body));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    let h = r.headers_mut();
    h.insert(header::ETAG, hv(&etag));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

pub(crate) fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(parse_version("v1").unwrap(), 1);
        assert_eq!(parse_version("v12").unwrap(), 12);
        for bad in ["1", "v0", "v01", "v", "v-1", "vx", "v99999999999"] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
    }
}

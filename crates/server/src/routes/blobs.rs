//! `GET /blobs/sha256-<hex>.bin`: content-addressed, immutable weight
//! shards, with ETag and Range.

use crate::catalog::{self, Catalog, Version};
use crate::errors::ApiError;
use crate::range::parse_range;
use crate::routes::{hv, if_none_match};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tfjs_io::IoError;
use tokio::time::Instant;

pub(crate) async fn blob(
    State(st): State<Arc<AppState>>,
    Path(blob): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hexid = blob
        .strip_prefix("sha256-")
        .and_then(|b| b.strip_suffix(".bin"))
        .filter(|h| h.len() == 64 && h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or_else(|| ApiError::not_found("blob names look like sha256-<64 hex digits>.bin"))?;
    let etag = format!("\"sha256-{hexid}\"");
    // Every (location, version) holding the blob.
    let find = |c: &Catalog| -> Option<Vec<(catalog::BlobLoc, Arc<Version>)>> {
        let found: Vec<_> = c
            .blobs
            .get(hexid)?
            .iter()
            .filter_map(|l| c.version(&l.model, l.version).map(|v| (l.clone(), v)))
            .collect();
        (!found.is_empty()).then_some(found)
    };
    let missing = || ApiError::not_found(format!("no blob sha256-{hexid}"));
    let mut candidates = st.lookup(find).await.ok_or_else(missing)?;
    let immutable = HeaderValue::from_static("public, max-age=31536000, immutable");
    if if_none_match(&headers, &etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, hv(&etag));
        r.headers_mut().insert(header::CACHE_CONTROL, immutable);
        return Ok(r);
    }
    let mut rescanned = false;
    let bytes = loop {
        let mut found = None;
        for (loc, v) in &candidates {
            match st.backend.weights(&loc.model, v).await {
                Ok(Some(data)) => {
                    found = Some(
                        data.slice(loc.offset as usize, loc.len as usize)
                            .ok_or_else(|| {
                                ApiError::new(
                                    StatusCode::INTERNAL_SERVER_ERROR,
                                    format!(
                                    "stored weights of {} v{} are shorter than the catalog says",
                                    loc.model, loc.version
                                ),
                                )
                            })?,
                    );
                    break;
                }
                // Replaced by another server: the catalog is stale.
                Ok(None) => {
                    st.catalog.write().await.mark_stale(&loc.model, loc.version);
                    continue;
                }
                // Deleted by another server.
                Err(IoError::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(b) = found {
            break b;
        }
        if rescanned {
            return Err(missing());
        }
        rescanned = true;
        st.sync
            .after_miss(&st.backend, &st.catalog, Instant::now())
            .await;
        candidates = find(&*st.catalog.read().await).ok_or_else(missing)?;
    };
    let len = bytes.len() as u64;
    let (status, body, range) = match parse_range(&headers, len) {
        Ok(None) => (StatusCode::OK, bytes, None),
        Ok(Some((s, e))) => (
            StatusCode::PARTIAL_CONTENT,
            bytes.slice(s as usize..=e as usize),
            Some(format!("bytes {s}-{e}/{len}")),
        ),
        Err(()) => {
            let mut r = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("the range is outside the blob's {len} bytes"),
            )
            .into_response();
            r.headers_mut()
                .insert(header::CONTENT_RANGE, hv(&format!("bytes */{len}")));
            return Ok(r);
        }
    };
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ETAG, hv(&etag));
    h.insert(header::CACHE_CONTROL, immutable);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(cr) = range {
        h.insert(header::CONTENT_RANGE, hv(&cr));
    }
    Ok(r)
}

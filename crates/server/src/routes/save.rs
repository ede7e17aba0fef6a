//! `POST`/`PUT /models/NAME`: store what `model.save('http://…')` sends as
//! a new version.

use crate::catalog::make_version_with;
use crate::errors::ApiError;
use crate::routes::{check_name, hv};
use crate::upload::{self, UploadLimits};
use crate::{AppState, MAX_CLAIM_ATTEMPTS};
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tfjs_format::{ModelArtifactsInfo, SaveResult};
use tfjs_io::IoError;

pub(crate) async fn upload(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let limits = UploadLimits {
        max_body: st.config.max_upload_bytes,
        max_model_json: st.config.max_model_json_bytes,
        max_weights: st.config.max_weights,
    };
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limits.max_body.saturating_add(64 * 1024) {
            return Err(ApiError::too_large(format!(
                "the upload has {len} bytes, more than the limit of {} bytes",
                limits.max_body
            )));
        }
    }
    // Reading the body is bounded by the request timeout; what follows is
    // not (writes are not cut short, see the middleware).
    let timeout = st.config.request_timeout;
    let read = async {
        let (mp, refused) = upload::capped_multipart(req).await?;
        upload::read_parts(mp, &limits).await.map_err(|e| {
            match refused.lock().unwrap_or_else(|p| p.into_inner()).take() {
                Some(why) => ApiError::too_large(why),
                None => e,
            }
        })
    };
    let (json_bytes, weights) = tokio::time::timeout(timeout, read).await.map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the upload was not received within {} s; nothing was stored",
                timeout.as_secs()
            ),
        )
    })??;
    let artifacts = upload::validate(&json_bytes, weights, &limits)?;
    // Everything that can fail for a valid upload happens before the
    // commit: the topology check and the catalog entry (hashing).
    let artifacts = Arc::new(artifacts);
    let prepared = {
        let a = artifacts.clone();
        tokio::task::spawn_blocking(move || {
            let io = crate::topology::inspect(&a).map_err(|e| {
                let field = if e.starts_with("modelTopology") {
                    ""
                } else {
                    "modelTopology: "
                };
                ApiError::bad_request(format!("model.json: {field}{e}"))
            })?;
            let info = ModelArtifactsInfo::for_artifacts(&a);
            Ok::<_, ApiError>(make_version_with(0, &a, info, io))
        })
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("checking the upload failed: {e}"),
            )
        })??
    };

    let lock = st.sync.name_lock(&name);
    let _w = lock.lock().await;
    // The commit: the last step that can fail.
    let (number, saved) = claim_version(&st, &name, &artifacts).await?;
    let info = saved.model_artifacts_info;
    let mut version = prepared;
    version.number = number;
    version.info = info.clone();
    let stamp = st.backend.stamp_of(&name, number).await;
    st.catalog
        .write()
        .await
        .insert_local(&name, Arc::new(version), stamp);
    for w in &saved.errors {
        tracing::warn!(model = %name, version = number, warning = %w, "stored new version with a warning");
    }
    tracing::info!(model = %name, version = number, weight_bytes = info.weight_data_bytes, "stored new version");
    let mut body = info.to_json_value();
    let model_url = format!("/models/{name}/v{number}/model.json");
    body["name"] = json!(name);
    body["version"] = json!(number);
    body["modelUrl"] = json!(model_url);
    if !saved.errors.is_empty() {
        body["warnings"] = json!(saved.errors);
    }
    let mut r = (StatusCode::CREATED, axum::Json(body)).into_response();
    r.headers_mut().insert(header::LOCATION, hv(&model_url));
    Ok(r)
}

fn already_exists(e: &IoError) -> bool {
    matches!(e, IoError::AlreadyExists { .. })
}

/// Store `artifacts` as a new version of `name` and return its number.
/// The caller holds `name`'s lock, so this server's own uploads never race.
///
/// Stores with create-if-absent saves (object stores) may be shared by
/// several servers: the next number is claimed with `save_new`; when another
/// server already holds it, the store's listing of `name` tells which
/// numbers are taken and the next free one is tried, up to
/// [`MAX_CLAIM_ATTEMPTS`] times. Other stores are single-process: the number
/// is the next after both the catalog's and the store's newest.
async fn claim_version(
    st: &AppState,
    name: &str,
    artifacts: &tfjs_format::ModelArtifacts,
) -> Result<(u32, SaveResult), ApiError> {
    let mut number = st.catalog.read().await.next_version(name);
    for _ in 0..MAX_CLAIM_ATTEMPTS {
        let url = st.backend.url(name, number)?;
        if !st.create_if_absent.load(Ordering::Relaxed) {
            break;
        }
        match st.backend.store.save_new(&url, artifacts).await {
            Ok(saved) => return Ok((number, saved)),
            Err(IoError::Unsupported { .. }) => {
                tracing::debug!(root = %st.backend.root, "the store cannot save create-if-absent: one server process per store");
                st.create_if_absent.store(false, Ordering::Relaxed);
                break;
            }
            Err(e) if already_exists(&e) => {
                let newest = st.backend.stored_versions(name).await.into_iter().max();
                let next = newest.unwrap_or(0).max(number).saturating_add(1);
                tracing::info!(model = %name, taken = number, next, "version number taken by another writer; trying the next");
                number = next;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if st.create_if_absent.load(Ordering::Relaxed) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "could not claim a version number for {name:?} after {MAX_CLAIM_ATTEMPTS} attempts: other servers keep taking them; try again"
            ),
        ));
    }
    // Single-process store: skip numbers written behind the catalog's back
    // (e.g. `tfjs cp` into the store) rather than overwrite them.
    if let Some(newest) = st.backend.stored_versions(name).await.into_iter().max() {
        number = number.max(newest.saturating_add(1));
    }
    let url = st.backend.url(name, number)?;
    let saved = st.backend.store.save(&url, artifacts).await?;
    Ok((number, saved))
}

//! `DELETE /models/NAME` and `DELETE /models/NAME/vN`.

use crate::errors::ApiError;
use crate::routes::{check_name, no_model, no_version, parse_version};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use tfjs_io::IoError;

/// Remove versions of `name` from the store and the catalog. Versions
/// another server already removed are dropped from the catalog and left out
/// of the answer. The caller holds `name`'s lock.
async fn remove_versions(
    st: &AppState,
    name: &str,
    numbers: Vec<u32>,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let mut out = Vec::new();
    for n in numbers {
        let url = st.backend.url(name, n)?;
        let removed = match st.backend.store.remove(&url).await {
            Ok(info) => Some(info),
            Err(IoError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        st.catalog.write().await.remove_local(name, n);
        st.backend.cache_drop(name, n);
        if let Some(info) = removed {
            let mut j = info.to_json_value();
            j["version"] = json!(n);
            out.push(j);
        }
    }
    Ok(out)
}

pub(crate) async fn delete_model(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let lock = st.sync.name_lock(&name);
    let _w = lock.lock().await;
    // What this server knows plus what the store holds now (versions other
    // servers uploaded since the last refresh are deleted too).
    let mut numbers: Vec<u32> = st
        .catalog
        .read()
        .await
        .models
        .get(&name)
        .map(|vs| vs.keys().copied().collect())
        .unwrap_or_default();
    numbers.extend(st.backend.stored_versions(&name).await);
    numbers.sort_unstable();
    numbers.dedup();
    let removed = remove_versions(&st, &name, numbers).await?;
    if removed.is_empty() {
        return Err(no_model(&name));
    }
    tracing::info!(model = %name, versions = removed.len(), "deleted model");
    Ok(axum::Json(json!({"name": name, "deleted": removed})).into_response())
}

pub(crate) async fn delete_version(
    State(st): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let n = parse_version(&version)?;
    let lock = st.sync.name_lock(&name);
    let _w = lock.lock().await;
    // Removed by key, whether or not the catalog or the store's listing
    // knows it: a version whose stored info is unreadable is skipped by
    // listings (with a warning) and must still be deletable (issue 15.10).
    // A version that is not there is NotFound: 404 below.
    let removed = remove_versions(&st, &name, vec![n]).await?;
    if removed.is_empty() {
        return Err(no_version(&name, n));
    }
    tracing::info!(model = %name, version = n, "deleted version");
    Ok(axum::Json(json!({"name": name, "deleted": removed})).into_response())
}

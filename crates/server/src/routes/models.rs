//! Reads of the catalog: `GET /models`, `/models/NAME`, `/models/NAME/vN`
//! and the served model.json files.

use crate::catalog::Version;
use crate::errors::ApiError;
use crate::routes::{check_name, find_model, find_version, no_model, serve_json};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

fn version_json_value(name: &str, v: &Version) -> serde_json::Value {
    let mut j = v.info.to_json_value();
    j["version"] = json!(v.number);
    j["modelUrl"] = json!(format!("/models/{name}/v{}/model.json", v.number));
    j["format"] = json!(v.format);
    j["generatedBy"] = json!(v.generated_by);
    j["layers"] = json!(v.layers.len());
    j["weights"] = json!(v.weight_count);
    j["inputs"] = json!(v.io.inputs);
    j["outputs"] = json!(v.io.outputs);
    j["blobs"] = json!(v
        .shards
        .iter()
        .map(|s| format!("/blobs/sha256-{}.bin", s.sha256))
        .collect::<Vec<_>>());
    j
}

fn model_json_value(
    name: &str,
    versions: &std::collections::BTreeMap<u32, Arc<Version>>,
) -> serde_json::Value {
    json!({
        "name": name,
        "latest": versions.keys().next_back(),
        "modelUrl": format!("/models/{name}/model.json"),
        "versions": versions.values().map(|v| version_json_value(name, v)).collect::<Vec<_>>(),
    })
}

pub(crate) async fn list_models(State(st): State<Arc<AppState>>) -> Response {
    let cat = st.catalog.read().await;
    let models: Vec<_> = cat
        .models
        .iter()
        .map(|(n, vs)| model_json_value(n, vs))
        .collect();
    let mut r = axum::Json(json!({ "models": models })).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

pub(crate) async fn model_summary(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let vs = find_model(&st, &name).await?;
    Ok(axum::Json(model_json_value(&name, &vs)).into_response())
}

pub(crate) async fn version_summary(
    State(st): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let v = find_version(&st, &name, &version).await?;
    Ok(axum::Json(version_json_value(&name, &v)).into_response())
}

pub(crate) async fn latest_json(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let v = st
        .lookup(|c| c.latest(&name))
        .await
        .ok_or_else(|| no_model(&name))?;
    Ok(serve_json(&headers, v.latest_json.clone()))
}

pub(crate) async fn version_json(
    State(st): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = find_version(&st, &name, &version).await?;
    Ok(serve_json(&headers, v.versioned_json.clone()))
}

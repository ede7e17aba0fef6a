//! Model management: list, copy, move and remove models across any two
//! schemes of a [`Router`] (TensorFlow.js `tf.io.listModels`, `copyModel`,
//! `moveModel`, `removeModel`), with TensorFlow.js's error texts.
//!
//! # Never losing a model
//!
//! TensorFlow.js's `moveModel` deletes the source *before* saving the
//! destination (its `sameMedium` check compares the source scheme with
//! itself), so a failed save loses the model. [`move_model`] instead
//!
//! 1. loads the source,
//! 2. saves it at the destination (stores save atomically: a failed save
//!    leaves whatever was there),
//! 3. loads the destination back and checks it against what was loaded —
//!    weight byte count and SHA-256, weight specs, topology and metadata
//!    (numbers compared by value, so `1.0` and `1` are equal),
//! 4. and only then removes the source, and only if it is still what was
//!    copied ([`ModelStore::remove_if_unchanged`]: compare-and-delete under
//!    the store's lock or transaction), so a `cp` into the source racing
//!    the move is never deleted.
//!
//! Any failure before step 4 leaves the source untouched and says so. Within
//! one medium this needs room for two copies for a moment (TensorFlow.js
//! deletes first to avoid that, at the price of losing the model on failure);
//! a `localstorage://` move of a model bigger than half the quota therefore
//! fails cleanly instead of succeeding — copy it elsewhere first.
//!
//! Copying or moving a model onto itself is refused with `Old path and new
//! path are the same: 'URL'`, both for identical strings (as TensorFlow.js)
//! and for spellings of the same place (`file://d` and `file://./d/model.json`,
//! `downloads://` and `downloads://model`), because a move would otherwise
//! delete the only copy.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
//! use tfjs_io::{management, memory::MemoryStore, Router};
//!
//! let mut router = Router::new();
//! router.register(Arc::new(MemoryStore::new()));
//! let model = ModelArtifacts {
//!     model_topology: Some(serde_json::json!({"class_name": "Sequential"})),
//!     weight_specs: vec![WeightSpec::new("d/bias", vec![1], DType::Float32)],
//!     weight_data: WeightData::from_vec(vec![1, 2, 3, 4]),
//!     ..Default::default()
//! };
//! router.save("memory://a", &model).await.unwrap();
//! let info = management::move_model(&router, "memory://a", "memory://b").await.unwrap();
//! assert_eq!(info.weight_data_bytes, 4);
//! assert!(router.load("memory://a").await.is_err());
//! let err = management::copy_model(&router, "memory://b", "memory://b").await.unwrap_err();
//! assert_eq!(err.to_string(), "Old path and new path are the same: 'memory://b'");
//! # });
//! ```

use crate::{IoError, ModelStore, ModelUrl, Result, Router};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, WeightData, WeightSpec};

/// The schemes listed when no scheme is given: TensorFlow.js's browser
/// model managers, in its registration order.
pub const DEFAULT_LIST_SCHEMES: [&str; 2] = ["localstorage", "indexeddb"];

fn no_scheme(router: &Router) -> IoError {
    IoError::NoHandler {
        message: format!(
            "The url string provided does not contain a scheme. Supported schemes are: {}",
            router.schemes().join(",")
        ),
    }
}

fn no_manager(scheme: &str) -> IoError {
    IoError::NoHandler {
        message: format!("Cannot find model manager for scheme '{scheme}'"),
    }
}

/// Parse a URL for list/remove (TensorFlow.js `parseURL` + manager lookup).
fn manager_for(router: &Router, url: &str) -> Result<(Arc<dyn ModelStore>, ModelUrl)> {
    if !url.contains("://") {
        return Err(no_scheme(router));
    }
    let parsed = ModelUrl::parse(url).map_err(|_| no_scheme(router))?;
    let store = router
        .store(&parsed.scheme)
        .ok_or_else(|| no_manager(&parsed.scheme))?;
    Ok((store.clone(), parsed))
}

/// `tf.io.listModels()`: every model as `(URL, info)`.
///
/// * `None` or `""`: the models of `localstorage://` and `indexeddb://` (those
///   registered), in that order, as TensorFlow.js lists them in a browser.
/// * `"SCHEME"` or `"SCHEME://"`: every model of that scheme.
/// * `"SCHEME://PREFIX"`: the models under `PREFIX` (for `file://` a
///   directory, searched recursively by the file store).
///
/// Within a scheme, models come in the store's order (sorted by path for
/// the built-in stores).
pub async fn list_models(
    router: &Router,
    scheme_or_url: Option<&str>,
) -> Result<Vec<(String, ModelArtifactsInfo)>> {
    let arg = scheme_or_url.unwrap_or("");
    if arg.is_empty() {
        let mut out = Vec::new();
        for scheme in DEFAULT_LIST_SCHEMES {
            if let Some(store) = router.store(scheme) {
                let url = ModelUrl {
                    scheme: scheme.to_string(),
                    path: String::new(),
                };
                out.extend(store.list(&url).await?);
            }
        }
        return Ok(out);
    }
    let url = if !arg.contains("://") && router.store(&arg.to_ascii_lowercase()).is_some() {
        format!("{arg}://")
    } else {
        arg.to_string()
    };
    let (store, parsed) = manager_for(router, &url)?;
    store.list(&parsed).await
}

/// `tf.io.removeModel(url)`: delete the model and return its info.
/// Errors: `The url string provided does not contain a scheme. Supported
/// schemes are: …`, `Cannot find model manager for scheme 'S'`, or the
/// store's own (e.g. `Cannot find model at path 'P'` for localstorage).
pub async fn remove_model(router: &Router, url: &str) -> Result<ModelArtifactsInfo> {
    let (store, parsed) = manager_for(router, url)?;
    store.remove(&parsed).await
}

struct Endpoints {
    src_store: Arc<dyn ModelStore>,
    src: ModelUrl,
    dst_store: Arc<dyn ModelStore>,
    dst: ModelUrl,
}

/// The checks of TensorFlow.js's `cloneModelInternal`, in its order.
fn endpoints(router: &Router, src: &str, dst: &str) -> Result<Endpoints> {
    if src == dst {
        return Err(same_path(src));
    }
    let resolve = |u: &str| -> Option<(Arc<dyn ModelStore>, ModelUrl)> {
        if !u.contains("://") {
            return None;
        }
        let parsed = ModelUrl::parse(u).ok()?;
        Some((router.store(&parsed.scheme)?.clone(), parsed))
    };
    let (src_store, src_url) = resolve(src).ok_or_else(|| IoError::NoHandler {
        message: format!("Copying failed because no load handler is found for source URL {src}."),
    })?;
    let (dst_store, dst_url) = resolve(dst).ok_or_else(|| IoError::NoHandler {
        message: format!(
            "Copying failed because no save handler is found for destination URL {dst}."
        ),
    })?;
    if same_location(&src_url, &dst_url) {
        return Err(same_path(src));
    }
    Ok(Endpoints {
        src_store,
        src: src_url,
        dst_store,
        dst: dst_url,
    })
}

fn same_path(src: &str) -> IoError {
    IoError::invalid(format!("Old path and new path are the same: '{src}'"))
}

/// Lexically normalized absolute path (no filesystem access besides the
/// current directory), with a trailing `model.json` removed.
fn normalize_file_path(p: &str) -> PathBuf {
    let path = Path::new(p);
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.file_name().is_some_and(|n| n == "model.json") {
        out.pop();
    }
    // Resolve symlinks where the path exists.
    std::fs::canonicalize(&out).unwrap_or(out)
}

/// Whether two URLs of possibly different spelling name the same model.
fn same_location(a: &ModelUrl, b: &ModelUrl) -> bool {
    if a.scheme != b.scheme {
        return false;
    }
    match a.scheme.as_str() {
        "file" => normalize_file_path(&a.path) == normalize_file_path(&b.path),
        "downloads" => {
            let n = |p: &str| {
                if p.is_empty() {
                    "model".to_string()
                } else {
                    p.to_string()
                }
            };
            n(&a.path) == n(&b.path)
        }
        _ => a.path == b.path,
    }
}

/// `tf.io.copyModel(src, dst)`: load `src`, save it at `dst` (atomically),
/// return the destination's info. `src` is never modified.
///
/// Errors, in TensorFlow.js's order and wording: `Old path and new path are
/// the same: 'SRC'`, `Copying failed because no load handler is found for
/// source URL SRC.`, `Copying failed because no save handler is found for
/// destination URL DST.`, then the stores' own load/save errors.
pub async fn copy_model(router: &Router, src: &str, dst: &str) -> Result<ModelArtifactsInfo> {
    let e = endpoints(router, src, dst)?;
    let artifacts = e.src_store.load(&e.src).await?;
    Ok(e.dst_store
        .save(&e.dst, &artifacts)
        .await?
        .model_artifacts_info)
}

/// `tf.io.moveModel(src, dst)` that never loses the model: see the module
/// docs. Returns the destination's info.
pub async fn move_model(router: &Router, src: &str, dst: &str) -> Result<ModelArtifactsInfo> {
    let e = endpoints(router, src, dst)?;
    let artifacts = e.src_store.load(&e.src).await?;
    let saved = e
        .dst_store
        .save(&e.dst, &artifacts)
        .await
        .map_err(|err| annotate(err, &format!(" (nothing was moved: {src} is unchanged)")))?;
    let back = e
        .dst_store
        .load(&e.dst)
        .await
        .map_err(|err| IoError::Other {
            message: format!(
            "moving {src} to {dst}: the saved copy cannot be loaded back ({err}); {src} was not \
             removed"
        ),
        })?;
    if let Err(diff) = verify_same(&artifacts, &back) {
        return Err(IoError::Other {
            message: format!(
                "moving {src} to {dst}: the saved copy differs from the source ({diff}); {src} \
                 was not removed and {dst} holds the differing copy"
            ),
        });
    }
    e.src_store
        .remove_if_unchanged(&e.src, &artifacts)
        .await
        .map_err(|err| match err {
            IoError::Changed { url, message } => IoError::Changed {
                url,
                message: format!(
                    "copied {src} to {dst} (verified), but {src} changed since it was copied, so it was kept: {message}"
                ),
            },
            err => IoError::Other {
                message: format!(
                    "copied {src} to {dst} (verified), but could not remove the source: {err}"
                ),
            },
        })?;
    Ok(saved.model_artifacts_info)
}

/// Append `suffix` to an error's message, keeping its kind where possible.
fn annotate(err: IoError, suffix: &str) -> IoError {
    match err {
        IoError::Invalid { message } => IoError::Invalid {
            message: message + suffix,
        },
        IoError::NotFound { url, message } => IoError::NotFound {
            url,
            message: message + suffix,
        },
        IoError::NoHandler { message } => IoError::NoHandler {
            message: message + suffix,
        },
        other => IoError::Other {
            message: format!("{other}{suffix}"),
        },
    }
}

/// SHA-256 of the whole weight stream, hex.
pub fn weights_sha256(data: &WeightData) -> String {
    let mut h = Sha256::new();
    for b in &data.buffers {
        h.update(b);
    }
    hex::encode(h.finalize())
}

/// JSON equality with numbers compared by value (`1.0 == 1`, `1e-7 ==
/// 1.0e-07`), objects compared as maps.
pub fn json_equivalent(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y
                || match (x.as_f64(), y.as_f64()) {
                    (Some(p), Some(q)) => p == q,
                    _ => false,
                }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equivalent(p, q))
        }
        (Value::Object(x), Value::Object(y)) => maps_equivalent(x, y),
        _ => a == b,
    }
}

fn maps_equivalent(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    x.len() == y.len()
        && x.iter()
            .all(|(k, v)| y.get(k).is_some_and(|w| json_equivalent(v, w)))
}

fn specs_equivalent(a: &WeightSpec, b: &WeightSpec) -> bool {
    let quant = match (&a.quantization, &b.quantization) {
        (None, None) => true,
        (Some(p), Some(q)) => {
            p.dtype == q.dtype
                && p.min_f64() == q.min_f64()
                && p.scale_f64() == q.scale_f64()
                && p.original_dtype == q.original_dtype
        }
        _ => false,
    };
    a.name == b.name
        && a.shape == b.shape
        && a.dtype == b.dtype
        && a.group == b.group
        && quant
        && maps_equivalent(&a.extra, &b.extra)
}

/// Check that `copy` holds the same model as `original`: weight bytes (count
/// and SHA-256), weight specs, topology, and every metadata field the
/// original has. Returns what differs.
pub fn verify_same(
    original: &ModelArtifacts,
    copy: &ModelArtifacts,
) -> std::result::Result<(), String> {
    let (n1, n2) = (original.weight_data.len(), copy.weight_data.len());
    if n1 != n2 {
        return Err(format!(
            "weight bytes: {n1} in the source, {n2} in the copy"
        ));
    }
    let (h1, h2) = (
        weights_sha256(&original.weight_data),
        weights_sha256(&copy.weight_data),
    );
    if h1 != h2 {
        return Err(format!(
            "weight SHA-256: {h1} in the source, {h2} in the copy"
        ));
    }
    if original.weight_specs.len() != copy.weight_specs.len() {
        return Err(format!(
            "weight specs: {} in the source, {} in the copy",
            original.weight_specs.len(),
            copy.weight_specs.len()
        ));
    }
    for (a, b) in original.weight_specs.iter().zip(&copy.weight_specs) {
        if !specs_equivalent(a, b) {
            return Err(format!(
                "weight spec `{}` differs from the copy's `{}`",
                a.name, b.name
            ));
        }
    }
    let opt_eq =
        |name: &str, a: &Option<Value>, b: &Option<Value>| -> std::result::Result<(), String> {
            match a {
                None | Some(Value::Null) => Ok(()),
                Some(x) => match b {
                    Some(y) if json_equivalent(x, y) => Ok(()),
                    _ => Err(format!("{name} differs")),
                },
            }
        };
    opt_eq(
        "modelTopology",
        &original.model_topology,
        &copy.model_topology,
    )?;
    let s = |v: &Option<String>| v.clone().map(Value::String);
    opt_eq("format", &s(&original.format), &s(&copy.format))?;
    opt_eq(
        "generatedBy",
        &s(&original.generated_by),
        &s(&copy.generated_by),
    )?;
    opt_eq("convertedBy", &original.converted_by, &copy.converted_by)?;
    opt_eq(
        "trainingConfig",
        &original.training_config,
        &copy.training_config,
    )?;
    opt_eq("signature", &original.signature, &copy.signature)?;
    opt_eq(
        "userDefinedMetadata",
        &original.user_defined_metadata,
        &copy.user_defined_metadata,
    )?;
    opt_eq(
        "modelInitializer",
        &original.model_initializer,
        &copy.model_initializer,
    )?;
    opt_eq(
        "initializerSignature",
        &original.initializer_signature,
        &copy.initializer_signature,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        let a: Value = serde_json::from_str(r#"{"x":[1.0,1e-7],"y":{"z":0.5}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"y":{"z":0.50},"x":[1,1.0e-07]}"#).unwrap();
        assert!(json_equivalent(&a, &b));
        let c: Value = serde_json::from_str(r#"{"y":{"z":0.51},"x":[1,1.0e-07]}"#).unwrap();
        assert!(!json_equivalent(&a, &c));
    }

    #[test]
    fn same_location_spellings() {
        let u = |s: &str| ModelUrl::parse(s).unwrap();
        assert!(same_location(&u("file://d"), &u("file://./d/model.json")));
        assert!(same_location(&u("file://d/"), &u("file://x/../d")));
        assert!(!same_location(&u("file://d"), &u("file://e")));
        assert!(same_location(&u("downloads://"), &u("downloads://model")));
        assert!(!same_location(&u("localstorage://a"), &u("indexeddb://a")));
        assert!(!same_location(
            &u("localstorage://a"),
            &u("localstorage://a/")
        ));
    }
}

//! `downloads://PREFIX`: what TensorFlow.js's `browserDownloads` makes a
//! browser download, written into the profile's downloads directory.
//!
//! Two files: `PREFIX.json` — the browser's model.json
//! ([`JsonStyle::Browser`]: compact, key order `modelTopology, format,
//! generatedBy, convertedBy, weightsManifest, …`, manifest path
//! `./PREFIX.weights.bin`) — and `PREFIX.weights.bin`, all weight bytes
//! joined. The bytes are identical to the browser's downloads. An empty prefix
//! means `model` (`model.json`, `model.weights.bin`), as in TensorFlow.js.
//!
//! Unlike a browser (which may rename a download to `PREFIX (1).json`), an
//! existing pair is replaced. Both files are first written completely to
//! temporary files in the same directory and flushed to disk, then renamed
//! into place (weights first, so a `PREFIX.json` never names weights that are
//! not there yet).
//!
//! TensorFlow.js cannot load from `downloads://`; here
//! [`ModelStore::load`] reads the pair back (each manifest path is reduced to
//! its file name, as `tf.io.browserFiles` does), so `tfjs cp downloads://x
//! file://dir` works. The same pair also loads through `file://DIR/PREFIX.json`.

use crate::meta;
use crate::profile::Profile;
use async_trait::async_trait;
use serde_json::Map;
use std::path::{Path, PathBuf};
use tfjs_format::checkpoint::{self, check_artifacts_for_save};
use tfjs_format::shard::check_shards_at;
use tfjs_format::{
    JsonStyle, ModelArtifacts, ModelJson, SaveResult, WeightData, WeightsManifestGroup,
};
use tfjs_io::atomic;
use tfjs_io::file::{read_model_json, read_shard};
use tfjs_io::{IoError, ModelStore, ModelUrl, Result};

/// The scheme, without `://`.
pub const SCHEME: &str = "downloads";

/// The file-name prefix for `downloads://PREFIX` (`model` when empty), or an
/// error if it is not a plain file name.
pub fn prefix_of(url_path: &str) -> Result<&str> {
    let prefix = if url_path.is_empty() {
        "model"
    } else {
        url_path
    };
    if prefix.contains(['/', '\\', '\0']) || prefix == "." || prefix == ".." {
        return Err(IoError::invalid(format!(
            "downloads://{url_path}: the prefix must be a plain file name (no `/`, `\\`, or `..`); \
             it names PREFIX.json and PREFIX.weights.bin in the downloads directory"
        )));
    }
    Ok(prefix)
}

/// The model.json bytes and weight file name TensorFlow.js downloads for
/// `artifacts` saved as `downloads://PREFIX`.
///
/// ```
/// use tfjs_format::ModelArtifacts;
/// let a = ModelArtifacts {
///     model_topology: Some(serde_json::json!({"class_name": "Sequential"})),
///     format: Some("layers-model".into()),
///     ..Default::default()
/// };
/// let (json, weights_name) = tfjs_store::downloads::model_json_bytes(&a, "m");
/// assert_eq!(weights_name, "m.weights.bin");
/// assert_eq!(
///     String::from_utf8(json).unwrap(),
///     r#"{"modelTopology":{"class_name":"Sequential"},"format":"layers-model","weightsManifest":[{"paths":["./m.weights.bin"],"weights":[]}]}"#
/// );
/// ```
pub fn model_json_bytes(artifacts: &ModelArtifacts, prefix: &str) -> (Vec<u8>, String) {
    let weights_name = format!("{prefix}.weights.bin");
    let manifest = vec![WeightsManifestGroup {
        paths: vec![format!("./{weights_name}")],
        weights: artifacts.weight_specs.clone(),
        extra: Map::new(),
    }];
    let json = ModelJson::from_artifacts(artifacts, manifest).to_bytes(JsonStyle::Browser);
    (json, weights_name)
}

/// The `downloads://` store: writes into [`Profile::downloads_dir`].
///
/// ```
/// use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
/// use tfjs_store::downloads::DownloadsStore;
/// let dir = tempfile::tempdir().unwrap();
/// let store = DownloadsStore::in_dir(dir.path());
/// let model = ModelArtifacts {
///     model_topology: Some(serde_json::json!({"class_name": "Sequential"})),
///     weight_specs: vec![WeightSpec::new("mask", vec![2], DType::Bool)],
///     weight_data: WeightData::from_vec(vec![1, 2]),
///     ..Default::default()
/// };
/// store.save_sync("my-model", &model).unwrap();
/// let (json, weights) = store.files_for("my-model").unwrap();
/// assert!(json.ends_with("my-model.json") && json.exists());
/// assert_eq!(std::fs::read(weights).unwrap(), [1, 2]);
/// ```
#[derive(Debug, Clone)]
pub struct DownloadsStore {
    dir: PathBuf,
}

fn io_err(path: &Path, what: &str, e: std::io::Error) -> IoError {
    IoError::io(format!("{what} {}", path.display()), e)
}

/// A hidden temporary name for `name`, unique to this writer.
fn temp_name(name: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(".tfjs-download-{}-{n}-{name}.tmp", std::process::id())
}

impl DownloadsStore {
    /// A store writing into `profile`'s downloads directory.
    pub fn new(profile: &Profile) -> Self {
        DownloadsStore {
            dir: profile.downloads_dir().to_path_buf(),
        }
    }

    /// A store writing into `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        DownloadsStore { dir: dir.into() }
    }

    /// The directory files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `(json, weights)` file paths of `downloads://PREFIX`.
    pub fn files_for(&self, url_path: &str) -> Result<(PathBuf, PathBuf)> {
        let prefix = prefix_of(url_path)?;
        Ok((
            self.dir.join(format!("{prefix}.json")),
            self.dir.join(format!("{prefix}.weights.bin")),
        ))
    }

    /// Save (blocking).
    pub fn save_sync(&self, url_path: &str, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let prefix = prefix_of(url_path)?;
        check_artifacts_for_save(artifacts)?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| io_err(&self.dir, "cannot create downloads directory", e))?;
        let (json, weights_name) = model_json_bytes(artifacts, prefix);
        let json_path = self.dir.join(format!("{prefix}.json"));
        let weights_path = self.dir.join(&weights_name);
        // Weights first, then the JSON that points at them, each replaced
        // atomically.
        atomic::replace(
            &weights_path,
            &temp_name(&weights_name),
            &artifacts.weight_data.buffers,
        )?;
        atomic::replace(&json_path, &temp_name(&format!("{prefix}.json")), &[&json])?;
        Ok(SaveResult::from(meta::serialize(artifacts).info))
    }

    /// Load `PREFIX.json` and its weight files back (blocking).
    pub fn load_sync(&self, url_path: &str) -> Result<ModelArtifacts> {
        let (json_path, _) = self.files_for(url_path)?;
        if !json_path.exists() {
            return Err(IoError::NotFound {
                url: format!("{SCHEME}://{url_path}"),
                message: format!(
                    "downloads://{url_path}: {} does not exist",
                    json_path.display()
                ),
            });
        }
        let model_json = read_model_json(&json_path)?;
        let source = json_path.display().to_string();
        let mut buffers = Vec::new();
        if let Some(manifest) = &model_json.weights_manifest {
            checkpoint::check_manifest(manifest, &source)?;
            let paths = checkpoint::weight_paths(manifest, &source)?;
            for (group, paths) in manifest.iter().zip(paths) {
                // As a browser's file picker: each weight file by its base
                // name, beside the JSON file.
                let files: Vec<PathBuf> = paths
                    .iter()
                    .map(|p| {
                        self.dir
                            .join(p.as_str().rsplit('/').next().unwrap_or(p.as_str()))
                    })
                    .collect();
                let shards = files
                    .iter()
                    .map(|f| read_shard(f))
                    .collect::<Result<Vec<_>>>()?;
                let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                check_shards_at(group, &shards, &names)?;
                buffers.extend(shards);
            }
        }
        Ok(model_json.into_artifacts(WeightData { buffers }))
    }
}

#[async_trait]
impl ModelStore for DownloadsStore {
    fn scheme(&self) -> &str {
        SCHEME
    }

    async fn load(&self, url: &ModelUrl) -> Result<ModelArtifacts> {
        let me = self.clone();
        let path = url.path.clone();
        tokio::task::spawn_blocking(move || me.load_sync(&path))
            .await
            .map_err(|e| IoError::Other {
                message: format!("downloads load task failed: {e}"),
            })?
    }

    async fn save(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let me = self.clone();
        let path = url.path.clone();
        let artifacts = artifacts.clone();
        tokio::task::spawn_blocking(move || me.save_sync(&path, &artifacts))
            .await
            .map_err(|e| IoError::Other {
                message: format!("downloads save task failed: {e}"),
            })?
    }
}

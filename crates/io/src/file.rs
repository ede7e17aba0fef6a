//! `file://PATH`: models in a directory, with tfjs-node semantics.
//!
//! * **Save** to a directory writes `model.json` (tfjs-node's byte layout,
//!   [`JsonStyle::Node`], manifest path `weights.bin`) and `weights.bin`.
//!   A path ending in `.json` that is not a directory names the model JSON
//!   file itself (weights go beside it). [`FileStoreOptions::sharded`]
//!   writes the Python converter's layout instead (`group1-shardNofM.bin`,
//!   [`JsonStyle::Converter`]).
//! * **Load** accepts the directory (TF.js only accepts the `model.json`
//!   path), the `model.json` path, or any `*.json` model file (e.g. a
//!   browser download `my-model.json`). Weight paths are resolved relative
//!   to the JSON file; any number of groups and shards. Shards of 64 KiB or
//!   more are memory-mapped, so loading copies no weight bytes.
//! * Manifest paths are untrusted: absolute paths, `..` segments, URL
//!   schemes, backslashes and empty paths are refused with an error naming
//!   the path. Each group's shard lengths are checked against the manifest
//!   before anything is decoded, and a shard that holds an HTML or JSON body
//!   is called out as such.
//!
//! # Atomic saves
//!
//! `model.json` is the commit point, and it is only ever replaced by
//! `rename`, so every reader sees either the old model or the new one, never
//! a new `model.json` with old weights (or the reverse):
//!
//! 1. each weight file `N` is written (and fsynced) under a unique hidden
//!    name `.tfjs-<id>-N` that nothing references yet;
//! 2. a `model.json` that references those unique names is written to a
//!    temporary file, fsynced, and renamed over `model.json`
//!    (**commit**: the new model is complete and live; the old weight files
//!    are no longer referenced);
//! 3. each unique file is hard-linked (copied where links are impossible)
//!    to its canonical name `N` via a temporary name and `rename`;
//! 4. a `model.json` with the canonical names (`weights.bin`) replaces the
//!    first one, again by `rename`;
//! 5. the unique names and the weight files that only the *previous*
//!    `model.json` referenced are removed.
//!
//! A save into a directory that the save itself creates has no previous
//! model to keep readable: its weight files are written under their names,
//! `model.json` under a temporary one, all fsynced at once (in parallel, so
//! a journaling file system commits them together), then `model.json` is
//! renamed into place and the directory fsynced: two rounds of fsync instead
//! of six. A crash before that rename leaves no `model.json`, hence no model.
//! The rename is a hard link that never replaces a `model.json` a concurrent
//! save committed first; this save then falls back to the full protocol.
//!
//! A crash before step 2 leaves the previous model untouched (plus hidden
//! `.tfjs-p<pid>.*` leftovers, removed by the next save in that directory
//! once their writer process is gone, or once they are an hour old);
//! a crash after it leaves the new model, complete. Files in the directory
//! that no `model.json` references are never touched. Because files are
//! replaced, never rewritten in place, memory maps of a loaded model stay
//! valid while the same directory is saved again.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
//! use tfjs_io::{file::FileStore, ModelStore, ModelUrl};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let artifacts = ModelArtifacts {
//!     model_topology: Some(serde_json::json!({"class_name": "Sequential"})),
//!     weight_specs: vec![WeightSpec::new("d/bias", vec![2], DType::Float32)],
//!     weight_data: WeightData::from_vec(vec![0; 8]),
//!     format: Some("layers-model".into()),
//!     ..Default::default()
//! };
//! let url = ModelUrl::parse(&format!("file://{}", dir.path().display())).unwrap();
//! FileStore::new().save(&url, &artifacts).await.unwrap();
//! assert!(dir.path().join("weights.bin").exists());
//! let back = FileStore::new().load(&url).await.unwrap();
//! assert_eq!(back.weight_data.contiguous(), artifacts.weight_data.contiguous());
//! # });
//! ```

use crate::store::ModelStore;
use crate::{IoError, ModelUrl, Result};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tfjs_format::{JsonStyle, ModelArtifacts, ModelArtifactsInfo, SaveResult};

mod load;
mod manage;
mod save;
mod temps;

pub use load::{
    load_path, load_path_with, locate_model_json, read_model_json, read_regular_file, read_shard,
    sniff_text, MAX_MODEL_JSON_BYTES,
};
pub use manage::info_for_json;
pub use save::{save_path, save_path_mode, SaveMode};
pub use temps::sweep_stale_temps;

use crate::atomic::rename;
use manage::{list_path, remove_path, remove_path_if};
use temps::{normalize, referenced_paths, unique_id};

/// Shards smaller than this are read into memory instead of mapped.
const MMAP_THRESHOLD: u64 = 64 * 1024;
/// Leftovers of crashed saves older than this are removed by the next save.
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);
const TEMP_PREFIX: &str = ".tfjs-";

/// How a save lays out the weight bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsLayout {
    /// One `weights.bin` (tfjs-node `file://`), whatever the source's shards.
    Single,
    /// The converter's `group1-shardNofM.bin` files of at most `shard_size`
    /// bytes each (all exactly `shard_size` except the last).
    Sharded {
        /// Maximum bytes per shard file (> 0).
        shard_size: usize,
    },
}

/// Where a simulated crash happens during a save (tests of atomicity).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// Weight files written under unique names, `model.json` not yet replaced.
    BeforeCommit,
    /// `model.json` replaced, canonical weight names not yet linked.
    AfterCommit,
    /// Canonical weight names linked, `model.json` not yet rewritten.
    AfterLink,
}

/// Options of a [`FileStore`].
#[derive(Debug, Clone)]
pub struct FileStoreOptions {
    /// Weight file layout on save.
    pub layout: WeightsLayout,
    /// Byte layout of the written model.json.
    pub style: JsonStyle,
    /// fsync files and directories (default true; turn off only for
    /// throwaway data).
    pub sync: bool,
    /// Follow weight-file links that resolve outside the model's directory
    /// on load (default false: such a link is refused, so a model cannot
    /// make `load`/`convert`/`cp` read and copy files from elsewhere).
    pub allow_external_links: bool,
    #[doc(hidden)]
    pub fail_point: Option<FailPoint>,
}

impl Default for FileStoreOptions {
    fn default() -> Self {
        FileStoreOptions {
            layout: WeightsLayout::Single,
            style: JsonStyle::Node,
            sync: true,
            allow_external_links: false,
            fail_point: None,
        }
    }
}

impl FileStoreOptions {
    /// The converter's layout: `group1-shardNofM.bin` shards of at most
    /// `shard_size` bytes and a converter-style model.json.
    pub fn sharded(shard_size: usize) -> Self {
        FileStoreOptions {
            layout: WeightsLayout::Sharded { shard_size },
            style: JsonStyle::Converter,
            ..Default::default()
        }
    }
}

/// The `file` scheme store.
#[derive(Debug, Clone, Default)]
pub struct FileStore {
    options: FileStoreOptions,
}

impl FileStore {
    /// tfjs-node behaviour: `model.json` + `weights.bin`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store with explicit options.
    pub fn with_options(options: FileStoreOptions) -> Self {
        FileStore { options }
    }

    /// The options in use.
    pub fn options(&self) -> &FileStoreOptions {
        &self.options
    }
}

/// The local path of a `file://` URL (`file:///tmp/m` → `/tmp/m`,
/// `file://./out` → `./out`).
pub fn url_to_path(url: &ModelUrl) -> Result<PathBuf> {
    if url.path.is_empty() {
        return Err(IoError::invalid(format!(
            "{url}: a file:// URL needs a path, e.g. file://./my-model or file:///models/my-model"
        )));
    }
    Ok(PathBuf::from(&url.path))
}

#[async_trait]
impl ModelStore for FileStore {
    fn scheme(&self) -> &str {
        "file"
    }

    async fn load(&self, url: &ModelUrl) -> Result<ModelArtifacts> {
        let path = url_to_path(url)?;
        let external = self.options.allow_external_links;
        blocking(move || load_path_with(&path, external)).await
    }

    async fn save(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let path = url_to_path(url)?;
        let artifacts = artifacts.clone();
        let options = self.options.clone();
        blocking(move || save_path_mode(&path, &artifacts, &options, SaveMode::Overwrite)).await
    }

    /// The commit links the new model.json into place (`link` fails when
    /// the name exists), so of two racing create-only saves exactly one wins.
    async fn save_new(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let path = url_to_path(url)?;
        let artifacts = artifacts.clone();
        let options = self.options.clone();
        let url = url.to_string();
        blocking(move || {
            save_path_mode(&path, &artifacts, &options, SaveMode::CreateOnly).map_err(|e| match e {
                IoError::AlreadyExists { .. } => IoError::already_exists(url),
                other => other,
            })
        })
        .await
    }

    /// The model at the prefix itself (a model directory or JSON file) and
    /// every directory below it (up to 8 levels, not following symlinks,
    /// skipping hidden entries) that holds a `model.json`. Entries whose
    /// model.json cannot be parsed are skipped with a warning.
    async fn list(&self, prefix: &ModelUrl) -> Result<Vec<(String, ModelArtifactsInfo)>> {
        let path = url_to_path(prefix)?;
        let base = prefix.path.clone();
        blocking(move || list_path(&path, &base)).await
    }

    /// Delete model.json (first) and the weight files it references; the
    /// directory too when nothing else is left in it.
    async fn remove(&self, url: &ModelUrl) -> Result<ModelArtifactsInfo> {
        let path = url_to_path(url)?;
        blocking(move || remove_path(&path)).await
    }

    /// model.json is first renamed away (so no later save can be caught by
    /// the delete), then compared with `expected`; a differing model is
    /// linked back into place (unless a newer model.json appeared there
    /// meanwhile) and nothing is removed.
    async fn remove_if_unchanged(
        &self,
        url: &ModelUrl,
        expected: &ModelArtifacts,
    ) -> Result<ModelArtifactsInfo> {
        let path = url_to_path(url)?;
        let expected = expected.clone();
        let options = self.options.clone();
        let url = url.to_string();
        blocking(move || remove_path_if(&path, &expected, &options, &url)).await
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| IoError::Other {
            message: format!("file:// worker task failed: {e}"),
        })?
}

fn show(p: &Path) -> String {
    p.display().to_string()
}

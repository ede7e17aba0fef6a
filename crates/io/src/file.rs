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

use crate::atomic::{self, rename};
use crate::store::ModelStore;
use crate::{IoError, ModelUrl, Result};
use async_trait::async_trait;
use bytes::Bytes;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};
use tfjs_format::checkpoint::{self, check_artifacts_for_save};
use tfjs_format::weight_path::WeightPath;
use tfjs_format::{
    shard, JsonStyle, ModelArtifacts, ModelArtifactsInfo, ModelJson, SaveResult, WeightData,
    WeightsManifestGroup,
};

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

// ---------------------------------------------------------------- loading

/// The model JSON file for `path`: `path` itself when it is a file,
/// `path/model.json` when it is a directory.
pub fn locate_model_json(path: &Path) -> Result<PathBuf> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(IoError::NotFound {
                url: format!("file://{}", show(path)),
                message: format!("Path {} does not exist: loading failed", show(path)),
            })
        }
        Err(e) => return Err(IoError::io(show(path), e)),
    };
    if !meta.is_dir() {
        return Ok(path.to_path_buf());
    }
    let json = path.join("model.json");
    if json.exists() {
        // Not necessarily a regular file: `read_model_json` says what it is.
        return Ok(json);
    }
    Err(IoError::NotFound {
        url: format!("file://{}", show(path)),
        message: format!(
            "{} is a directory without a model.json: loading failed (pass the model JSON file's path if it has another name)",
            show(path)
        ),
    })
}

/// The most bytes a model JSON file may hold (the server's upload cap):
/// a topology plus manifest is a few MiB at most, and a link to
/// `/dev/zero` or a huge file must not be read whole.
pub const MAX_MODEL_JSON_BYTES: u64 = 32 * 1024 * 1024;

/// Read and parse a model JSON file (errors name the file and field). The
/// file must be a regular file (not a FIFO, device or directory) of at
/// most [`MAX_MODEL_JSON_BYTES`].
pub fn read_model_json(json_path: &Path) -> Result<ModelJson> {
    let bytes = read_regular_file(json_path, "Model JSON file", MAX_MODEL_JSON_BYTES)?;
    Ok(ModelJson::parse(&bytes, &show(json_path))?)
}

/// Read a local file that must be a regular file (checked before it is
/// opened: a FIFO would block, a device never ends) of at most `max` bytes
/// (checked before and while reading, so a file growing meanwhile is cut).
/// `what` names the file in errors ("Model JSON file", "Inputs file").
/// Every local file a command reads whole goes through here.
pub fn read_regular_file(path: &Path, what: &str, max: u64) -> Result<Vec<u8>> {
    let len = regular_file_len(path, what)?;
    let too_big = |len: u64| {
        IoError::invalid(format!(
            "{what} {} is {len} bytes; at most {max} bytes are read",
            show(path)
        ))
    };
    if len > max {
        return Err(too_big(len));
    }
    // Sized from the length just checked (one extra byte to see growth):
    // no reallocation and copy per doubling on the way. Best effort: a
    // size the allocator refuses (a sparse file) grows as it is read.
    let mut bytes = Vec::new();
    let _ = bytes.try_reserve_exact(usize::try_from(len).map_or(0, |n| n.saturating_add(1)));
    File::open(path)
        .and_then(|f| f.take(max.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(|e| IoError::io(show(path), e))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The length of `path` after checking, *before* opening it, that it is a
/// regular file: opening a FIFO blocks until a writer appears, and a device
/// has no end. `what` names it in errors (TensorFlow.js's `Weight file P
/// does not exist: loading failed` when absent).
fn regular_file_len(path: &Path, what: &str) -> Result<u64> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let message = format!("{what} {} does not exist: loading failed", show(path));
            return Err(match what {
                "Weight file" => IoError::ShardNotFound {
                    shard: show(path),
                    message,
                },
                _ => IoError::NotFound {
                    url: format!("file://{}", show(path)),
                    message,
                },
            });
        }
        Err(e) => return Err(IoError::io(show(path), e)),
    };
    if !meta.is_file() {
        return Err(IoError::invalid(format!(
            "{what} {} is not a regular file (a directory, FIFO, socket or device): loading failed",
            show(path)
        )));
    }
    Ok(meta.len())
}

/// Map one weight file: files of 64 KiB or more are memory-mapped
/// (zero-copy), smaller ones read. `Weight file P does not exist: loading
/// failed` when absent (TensorFlow.js's text); non-regular files (FIFOs,
/// devices) are refused without being opened.
pub fn read_shard(path: &Path) -> Result<Bytes> {
    regular_file_len(path, "Weight file")?;
    let mut file = File::open(path).map_err(|e| IoError::io(show(path), e))?;
    let meta = file.metadata().map_err(|e| IoError::io(show(path), e))?;
    if !meta.is_file() {
        return Err(IoError::invalid(format!(
            "Weight file {} is not a regular file: loading failed",
            show(path)
        )));
    }
    let len = meta.len();
    if len < MMAP_THRESHOLD {
        let mut buf = Vec::with_capacity(len as usize);
        file.read_to_end(&mut buf)
            .map_err(|e| IoError::io(show(path), e))?;
        return Ok(Bytes::from(buf));
    }
    // SAFETY: the map is read-only. Mutating a mapped file from elsewhere
    // would change the bytes under us; this crate never rewrites weight
    // files in place (saves write new files and rename them), so only an
    // outside writer truncating the file in place can do that.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| IoError::io(show(path), e))?;
    Ok(Bytes::from_owner(map))
}

/// Does `bytes` look like an HTML error page or a JSON document rather than
/// binary weights? (Re-exported from `tfjs_format::shard`.)
pub use tfjs_format::shard::sniff_text;

/// Refuse a weight file that is a link (or lies below a linked directory)
/// resolving outside the model's directory `root` (canonical).
fn check_inside(full: &Path, root: &Path) -> Result<()> {
    match fs::canonicalize(full) {
        Ok(real) if !real.starts_with(root) => Err(IoError::invalid(format!(
            "Weight file {} resolves to {}, outside the model's directory {}: refusing to read it (links out of the model directory are only followed with `tfjs --allow-external-links` / FileStoreOptions::allow_external_links)",
            show(full),
            show(&real),
            show(root)
        ))),
        // Absent files are reported by `read_shard`.
        _ => Ok(()),
    }
}

/// Load the model at `path` (a model directory or its JSON file), the
/// blocking core of [`FileStore`]'s load. Errors name the file or shard and
/// what was expected (missing file, bad JSON field, wrong shard length).
/// Weight files that are links out of the model's directory are refused
/// (see [`load_path_with`]).
///
/// ```
/// use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
/// use tfjs_io::file::{load_path, save_path, FileStoreOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let model = ModelArtifacts {
///     model_topology: Some(serde_json::json!({"class_name": "Sequential"})),
///     weight_specs: vec![WeightSpec::new("w", vec![3], DType::Float32)],
///     weight_data: WeightData::from_vec(vec![0; 12]),
///     ..Default::default()
/// };
/// save_path(dir.path(), &model, &FileStoreOptions::sharded(8)).unwrap();
/// assert!(dir.path().join("group1-shard2of2.bin").exists());
/// let back = load_path(&dir.path().join("model.json")).unwrap();
/// assert_eq!(back.weight_data.len(), 12);
/// assert!(load_path(&dir.path().join("nope")).is_err());
/// ```
pub fn load_path(path: &Path) -> Result<ModelArtifacts> {
    load_path_with(path, false)
}

/// [`load_path`], following weight-file links that leave the model's
/// directory when `allow_external_links` is true.
pub fn load_path_with(path: &Path, allow_external_links: bool) -> Result<ModelArtifacts> {
    let json_path = locate_model_json(path)?;
    let model_json = read_model_json(&json_path)?;
    let base = json_path.parent().unwrap_or(Path::new("."));
    let json_name = show(&json_path);
    let mut buffers = Vec::new();
    if let Some(manifest) = &model_json.weights_manifest {
        checkpoint::check_manifest(manifest, &json_name)?;
        let paths = checkpoint::weight_paths(manifest, &json_name)?;
        let root = match allow_external_links {
            true => None,
            false => Some(fs::canonicalize(base).map_err(|e| IoError::io(show(base), e))?),
        };
        for (gi, (group, paths)) in manifest.iter().zip(paths).enumerate() {
            if paths.is_empty() {
                if let Some(needed @ 1..) = group.stored_byte_len()? {
                    return Err(IoError::invalid(format!(
                        "weightsManifest[{gi}] of {json_name}: the group lists no weight files, but its weights need {needed} bytes"
                    )));
                }
            }
            let mut names = Vec::with_capacity(paths.len());
            let mut shards = Vec::with_capacity(paths.len());
            for p in &paths {
                let full = base.join(p.as_str());
                if let Some(root) = &root {
                    check_inside(&full, root)?;
                }
                shards.push(read_shard(&full)?);
                names.push(show(&full));
            }
            shard::check_shards_at(group, &shards, &names)?;
            buffers.extend(shards);
        }
    }
    Ok(model_json.into_artifacts(WeightData { buffers }))
}

// ----------------------------------------------------------------- saving

fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // `p<pid>.`: lets a later save tell a dead writer's leftovers.
    format!(
        "p{:x}.{:x}{:x}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff,
        n
    )
}

/// The writer pid in a temporary name `.tfjs-p<pid hex>.<…>`, if any.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?.strip_prefix('p')?;
    u32::from_str_radix(rest.split_once('.')?.0, 16).ok()
}

/// Whether process `pid` is certainly gone (Linux `/proc`; elsewhere
/// nothing is certain and only the age rule applies).
fn process_is_gone(pid: u32) -> bool {
    pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid.to_string()).exists()
}

fn sync_dir(dir: &Path, sync: bool) {
    if sync {
        atomic::sync_dir(dir);
    }
}

fn write_file(path: &Path, parts: &[Bytes], sync: bool) -> Result<()> {
    atomic::write_new(path, parts, sync)
}

/// Split a save target into (directory, model JSON file name).
fn save_target(path: &Path) -> (PathBuf, String) {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json && !path.is_dir() {
        if let Some(name) = path.file_name() {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            return (dir, name.to_string_lossy().into_owned());
        }
    }
    (path.to_path_buf(), "model.json".to_string())
}

/// The weight paths a model JSON file references (read leniently: only
/// safe paths; nothing when the file is absent or unreadable).
fn referenced_paths(json_path: &Path) -> Vec<String> {
    let Ok(bytes) = read_regular_file(json_path, "Model JSON file", MAX_MODEL_JSON_BYTES) else {
        return vec![];
    };
    let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
        return vec![];
    };
    let mut out = vec![];
    if let Some(groups) = v.get("weightsManifest").and_then(Value::as_array) {
        for g in groups {
            if let Some(paths) = g.get("paths").and_then(Value::as_array) {
                for p in paths.iter().filter_map(Value::as_str) {
                    if let Ok(p) = WeightPath::parse(p, "") {
                        out.push(p.as_str().to_string());
                    }
                }
            }
        }
    }
    out
}

fn normalize(p: &str) -> String {
    p.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Every weight path (normalized) that a model JSON file in `dir`
/// references. A save killed between its commit and its renames leaves a
/// live `model.json` pointing at `.tfjs-…` names: those are the model now,
/// not leftovers.
fn live_references(dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with(TEMP_PREFIX)
                && Path::new(&*name)
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("json"))
        })
        .flat_map(|e| referenced_paths(&e.path()))
        .map(|p| normalize(&p))
        .collect()
}

/// Remove the leftovers of saves killed mid-way in the model directory
/// `dir`: `.tfjs-*` temporary files that no model JSON file there
/// references, whose writer process is gone (Linux) or that are over an
/// hour old. A live writer's files and a model committed under temporary
/// names (a save killed after its commit) are kept. Returns how many files
/// were removed. Every save runs this in its directory first; a server can
/// run it on its store at startup.
pub fn sweep_stale_temps(dir: &Path) -> usize {
    remove_stale_temps(dir)
}

fn remove_stale_temps(dir: &Path) -> usize {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(dir) else {
        return removed;
    };
    let now = SystemTime::now();
    let mut live = None;
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with(TEMP_PREFIX) {
            continue;
        }
        if live
            .get_or_insert_with(|| live_references(dir))
            .contains(&*name)
        {
            continue;
        }
        // A save killed mid-way: its writer is gone, nothing will finish it.
        let orphan = temp_owner(&name).is_some_and(process_is_gone);
        let old = orphan
            || e.metadata()
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > STALE_TEMP_AGE);
        if old && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

fn fail(point: FailPoint, options: &FileStoreOptions) -> Result<()> {
    if options.fail_point == Some(point) {
        return Err(IoError::Other {
            message: format!("simulated crash at {point:?}"),
        });
    }
    Ok(())
}

/// The weight files of a save: canonical name → bytes.
fn weight_files(
    artifacts: &ModelArtifacts,
    options: &FileStoreOptions,
) -> Result<Vec<(String, Vec<Bytes>)>> {
    Ok(match options.layout {
        WeightsLayout::Single => vec![(
            "weights.bin".to_string(),
            artifacts.weight_data.buffers.clone(),
        )],
        WeightsLayout::Sharded { shard_size } => {
            if shard_size == 0 {
                return Err(IoError::invalid(
                    "shard size must be a positive number of bytes",
                ));
            }
            if artifacts.weight_data.is_empty() {
                vec![]
            } else {
                let parts = shard::split(&artifacts.weight_data, shard_size);
                shard::shard_names(1, parts.len())
                    .into_iter()
                    .zip(parts)
                    .map(|(n, b)| (n, vec![b]))
                    .collect()
            }
        }
    })
}

/// The model JSON bytes of a save whose weight files are `names`.
fn model_json_bytes(artifacts: &ModelArtifacts, names: Vec<String>, style: JsonStyle) -> Vec<u8> {
    let manifest = vec![WeightsManifestGroup {
        paths: names,
        weights: artifacts.weight_specs.clone(),
        extra: Default::default(),
    }];
    ModelJson::from_artifacts(artifacts, manifest).to_bytes(style)
}

/// A save into a directory this save has just created: no previous model
/// to keep readable, so no unique names and no second model.json. The
/// weight files are created under their names, the model JSON under a
/// temporary name; all of them (and the directory) are fsynced at once,
/// in parallel, so the file system commits them together; then the model
/// JSON is renamed into place (the commit) and the directory fsynced. A
/// crash before the commit leaves no model JSON, hence no model. On an
/// error before the commit (another writer got there first, a full disk)
/// the files this call created are removed, checked by inode so that a
/// concurrent writer's files are left alone.
fn save_fresh(
    dir: &Path,
    json_name: &str,
    artifacts: &ModelArtifacts,
    options: &FileStoreOptions,
) -> Result<SaveResult> {
    let files = weight_files(artifacts, options)?;
    let json_path = dir.join(json_name);
    let tmp = dir.join(format!("{TEMP_PREFIX}{}-{json_name}", unique_id()));
    let names = files.iter().map(|(n, _)| n.clone()).collect();
    let json = Bytes::from(model_json_bytes(artifacts, names, options.style));
    let mut written: Vec<(PathBuf, Option<FileId>)> = Vec::new();
    let create = |written: &mut Vec<_>, p: PathBuf, parts: &[Bytes]| -> Result<()> {
        write_file(&p, parts, false)?;
        let id = file_id(&p);
        written.push((p, id));
        Ok(())
    };
    let result = (|| -> Result<()> {
        for (name, parts) in &files {
            create(&mut written, dir.join(name), parts)?;
        }
        create(&mut written, tmp.clone(), std::slice::from_ref(&json))?;
        if options.sync {
            let paths: Vec<PathBuf> = written.iter().map(|(p, _)| p.clone()).collect();
            sync_all_at_once(&paths, dir)?;
        }
        // The commit never replaces a model.json: a concurrent save that
        // found the directory already there (and runs the full protocol)
        // may have committed and renamed its weights over ours meanwhile;
        // then this save fails here and falls back to the full protocol
        // (`link` is the no-replace rename).
        let linked = fs::hard_link(&tmp, &json_path).map_err(|e| IoError::io(show(&json_path), e));
        let _ = fs::remove_file(&tmp);
        linked
    })();
    if let Err(e) = result {
        for (p, id) in &written {
            if id.is_some() && file_id(p) == *id {
                let _ = fs::remove_file(p);
            }
        }
        return Err(e);
    }
    sync_dir(dir, options.sync);
    Ok(SaveResult {
        model_artifacts_info: ModelArtifactsInfo::for_artifacts(artifacts),
        errors: vec![],
    })
}

/// Device and inode of a file (`None` where unknown).
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(p: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    fs::symlink_metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &Path) -> Option<FileId> {
    None
}

/// fsync `files` and `dir` concurrently (one thread each, at most 16 at a
/// time): journaling file systems then commit them in one go instead of
/// one journal commit per file.
fn sync_all_at_once(files: &[PathBuf], dir: &Path) -> Result<()> {
    let mut targets: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    targets.push(dir);
    for batch in targets.chunks(16) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|p| {
                    scope.spawn(move || {
                        File::open(p)
                            .and_then(|f| f.sync_all())
                            .map_err(|e| IoError::io(show(p), e))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(IoError::invalid("fsync thread panicked")))
                })
                .collect::<Result<Vec<()>>>()
        })?;
    }
    Ok(())
}

/// Save `artifacts` at `path` (a directory, or a `*.json` file path)
/// atomically; see the module documentation for the steps and
/// [`load_path`] for an example. Errors name the path (e.g. it exists as a
/// file).
pub fn save_path(
    path: &Path,
    artifacts: &ModelArtifacts,
    options: &FileStoreOptions,
) -> Result<SaveResult> {
    save_path_mode(path, artifacts, options, SaveMode::Overwrite)
}

/// Whether a save may replace a model already at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// Replace it (atomically).
    Overwrite,
    /// Fail with [`IoError::AlreadyExists`] when a model JSON file is there.
    CreateOnly,
}

/// [`save_path`] with a [`SaveMode`].
pub fn save_path_mode(
    path: &Path,
    artifacts: &ModelArtifacts,
    options: &FileStoreOptions,
    mode: SaveMode,
) -> Result<SaveResult> {
    check_artifacts_for_save(artifacts)?;
    let (dir, json_name) = save_target(path);
    match fs::metadata(&dir) {
        Ok(m) if !m.is_dir() => {
            return Err(IoError::invalid(format!(
                "Path {} exists as a file. The path must be nonexistent or point to a directory.",
                show(&dir)
            )))
        }
        Ok(_) => {}
        Err(_) => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(|e| IoError::io(show(parent), e))?;
            }
            // Created by this call (not by a concurrent writer): nothing in
            // it to preserve, see `save_fresh`.
            match fs::create_dir(&dir) {
                Ok(()) if options.fail_point.is_none() && mode == SaveMode::Overwrite => {
                    // Any failure before its commit leaves nothing behind;
                    // the full protocol below then runs (and reports a
                    // lasting error itself).
                    if let Ok(r) = save_fresh(&dir, &json_name, artifacts, options) {
                        return Ok(r);
                    }
                }
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => {}
                Err(e) => return Err(IoError::io(show(&dir), e)),
            }
        }
    }
    let json_path = dir.join(&json_name);
    let create_only = mode == SaveMode::CreateOnly;
    if create_only && fs::symlink_metadata(&json_path).is_ok() {
        return Err(IoError::already_exists(format!(
            "file://{}",
            show(&json_path)
        )));
    }
    remove_stale_temps(&dir);
    let old_refs = referenced_paths(&json_path);
    let id = unique_id();
    let tmp = |name: &str| format!("{TEMP_PREFIX}{id}-{name}");

    let files = weight_files(artifacts, options)?;
    let write_json = |names: Vec<String>, suffix: &str, link: bool| -> Result<()> {
        let bytes = model_json_bytes(artifacts, names, options.style);
        let t = dir.join(tmp(&format!("{json_name}.{suffix}")));
        write_file(&t, &[Bytes::from(bytes)], options.sync)?;
        if link {
            // Create-only commit: `link` never replaces an existing name.
            let linked = fs::hard_link(&t, &json_path);
            let _ = fs::remove_file(&t);
            match linked {
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    return Err(IoError::already_exists(format!(
                        "file://{}",
                        show(&json_path)
                    )))
                }
                other => other.map_err(|e| IoError::io(show(&json_path), e))?,
            }
        } else {
            rename(&t, &json_path)?;
        }
        sync_dir(&dir, options.sync);
        Ok(())
    };

    // 1. weights under unique names.
    let mut written = Vec::new();
    let cleanup = |written: &[PathBuf]| {
        for p in written {
            let _ = fs::remove_file(p);
        }
    };
    for (name, parts) in &files {
        let p = dir.join(tmp(name));
        if let Err(e) = write_file(&p, parts, options.sync) {
            written.push(p);
            cleanup(&written);
            return Err(e);
        }
        written.push(p);
    }
    fail(FailPoint::BeforeCommit, options)?;
    // 2. commit: model.json → unique names.
    if let Err(e) = write_json(
        files.iter().map(|(n, _)| tmp(n)).collect(),
        "tmp1",
        create_only,
    ) {
        cleanup(&written);
        return Err(e);
    }
    fail(FailPoint::AfterCommit, options)?;

    // 3-4. canonical names, then model.json → canonical names. A failure
    // here leaves the new model live under its unique names: reported in
    // `errors`, not as a failed save.
    let mut errors = Vec::new();
    let canonical = (|| -> Result<()> {
        for (name, _) in &files {
            let unique = dir.join(tmp(name));
            let link = dir.join(tmp(&format!("{name}.link")));
            if fs::hard_link(&unique, &link).is_err() {
                fs::copy(&unique, &link).map_err(|e| IoError::io(show(&link), e))?;
                if options.sync {
                    File::open(&link)
                        .and_then(|f| f.sync_all())
                        .map_err(|e| IoError::io(show(&link), e))?;
                }
            }
            if let Err(e) = rename(&link, &dir.join(name)) {
                let _ = fs::remove_file(&link);
                return Err(e);
            }
        }
        sync_dir(&dir, options.sync);
        fail(FailPoint::AfterLink, options)?;
        write_json(
            files.iter().map(|(n, _)| n.clone()).collect(),
            "tmp2",
            false,
        )
    })();
    match canonical {
        Ok(()) => {
            cleanup(&written);
            // 5. weight files only the previous model.json referenced.
            let new: BTreeSet<String> = files.iter().map(|(n, _)| normalize(n)).collect();
            for p in old_refs {
                let n = normalize(&p);
                if !new.contains(&n) && n != normalize(&json_name) {
                    let _ = fs::remove_file(dir.join(&n));
                }
            }
        }
        Err(e) if options.fail_point.is_some() => return Err(e),
        Err(e) => errors.push(format!(
            "the model was saved, but its weight files keep temporary names: {e}"
        )),
    }
    Ok(SaveResult {
        model_artifacts_info: ModelArtifactsInfo::for_artifacts(artifacts),
        errors,
    })
}

// ------------------------------------------------------ listing, removing

mod manage;
pub use manage::info_for_json;
use manage::{list_path, remove_path, remove_path_if};

#[cfg(test)]
mod tests {
    use super::*;
    use tfjs_format::{DType, WeightSpec};

    /// A concurrent save committed a model.json while a save into the
    /// directory it created was writing: the fresh save refuses to replace
    /// it and removes only what it wrote itself (its weights, its temporary
    /// model.json), so the other save's model stays whole.
    #[test]
    fn a_fresh_save_never_replaces_a_model_json_committed_meanwhile() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("m");
        fs::create_dir(&dir).unwrap();
        let theirs = br#"{"modelTopology":{},"weightsManifest":[]}"#;
        fs::write(dir.join("model.json"), theirs).unwrap();
        let artifacts = ModelArtifacts {
            model_topology: Some(serde_json::json!({"class_name": "Sequential", "config": {}})),
            weight_specs: vec![WeightSpec::new("dense/bias", vec![2], DType::Float32)],
            weight_data: WeightData::from_vec(vec![7; 8]),
            format: Some("layers-model".into()),
            ..Default::default()
        };
        let err = save_fresh(&dir, "model.json", &artifacts, &FileStoreOptions::default());
        assert!(
            err.is_err(),
            "the fresh save replaced a committed model.json"
        );
        assert_eq!(fs::read(dir.join("model.json")).unwrap(), theirs);
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["model.json"]);
        // Into an empty directory it commits.
        let fresh = tmp.path().join("n");
        fs::create_dir(&fresh).unwrap();
        save_fresh(
            &fresh,
            "model.json",
            &artifacts,
            &FileStoreOptions::default(),
        )
        .unwrap();
        let back = load_path(&fresh.join("model.json"));
        assert!(back.is_ok(), "{back:?}");
    }
}

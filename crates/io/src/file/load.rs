//! Loading: locating the model JSON, reading it and its weight files
//! (regular files only, size-capped, large shards memory-mapped).

use super::{show, MMAP_THRESHOLD};
use crate::{IoError, Result};
use bytes::Bytes;
use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use tfjs_format::{checkpoint, shard, ModelArtifacts, ModelJson, WeightData};

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

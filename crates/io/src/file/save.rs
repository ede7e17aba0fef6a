//! Saving: the atomic protocol of the module documentation, and the
//! shortcut into a directory the save itself creates.

use super::{
    normalize, referenced_paths, rename, show, sweep_stale_temps, unique_id, FailPoint,
    FileStoreOptions, WeightsLayout, TEMP_PREFIX,
};
use crate::atomic;
use crate::{IoError, Result};
use bytes::Bytes;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use tfjs_format::checkpoint::check_artifacts_for_save;
use tfjs_format::{
    shard, JsonStyle, ModelArtifacts, ModelArtifactsInfo, ModelJson, SaveResult,
    WeightsManifestGroup,
};

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
    Ok(SaveResult::from(ModelArtifactsInfo::for_artifacts(
        artifacts,
    )))
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
    sweep_stale_temps(&dir);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::load_path;
    use tfjs_format::{DType, WeightData, WeightSpec};

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

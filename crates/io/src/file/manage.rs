//! Listing and removing `file://` models (plain and compare-and-delete).

use super::{
    load_path_with, locate_model_json, normalize, read_model_json, referenced_paths, rename, show,
    unique_id, FileStoreOptions, TEMP_PREFIX,
};
use crate::{IoError, Result};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::time::SystemTime;
use tfjs_format::weight_path::WeightPath;
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, WeightData};

fn iso_time(t: SystemTime) -> String {
    let dt = time::OffsetDateTime::from(t);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    dt.format(&fmt).unwrap_or_default()
}

/// [`ModelArtifactsInfo`] of the model whose JSON file is `json_path`,
/// without reading the weights: `weightDataBytes` is the sum of the
/// referenced files' sizes, `dateSaved` the JSON file's modification time.
pub fn info_for_json(json_path: &Path) -> Result<ModelArtifactsInfo> {
    let mj = read_model_json(json_path)?;
    let base = json_path.parent().unwrap_or(Path::new("."));
    let mut bytes = 0u64;
    if let Some(m) = &mj.weights_manifest {
        for g in m {
            for p in &g.paths {
                if let Ok(p) = WeightPath::parse(p, "") {
                    bytes += fs::metadata(base.join(p.as_str()))
                        .map(|m| m.len())
                        .unwrap_or(0);
                }
            }
        }
    }
    let modified = fs::metadata(json_path)
        .and_then(|m| m.modified())
        .map_err(|e| IoError::io(show(json_path), e))?;
    let mut info = ModelArtifactsInfo::for_artifacts(&mj.into_artifacts(WeightData::default()));
    info.weight_data_bytes = bytes;
    info.date_saved = iso_time(modified);
    Ok(info)
}

pub(super) fn list_path(path: &Path, base: &str) -> Result<Vec<(String, ModelArtifactsInfo)>> {
    let meta = fs::metadata(path).map_err(|e| IoError::io(show(path), e))?;
    let mut out = Vec::new();
    if !meta.is_dir() {
        out.push((format!("file://{base}"), info_for_json(path)?));
        return Ok(out);
    }
    fn walk(
        dir: &Path,
        url: &str,
        depth: usize,
        out: &mut Vec<(String, ModelArtifactsInfo)>,
    ) -> Result<()> {
        let json = dir.join("model.json");
        if json.is_file() {
            match info_for_json(&json) {
                Ok(info) => out.push((format!("file://{url}"), info)),
                Err(e) => tracing::warn!("skipping {}: {e}", show(&json)),
            }
        }
        if depth == 0 {
            return Ok(());
        }
        let mut entries: Vec<_> = fs::read_dir(dir)
            .map_err(|e| IoError::io(show(dir), e))?
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if is_dir {
                let sep = if url.ends_with('/') { "" } else { "/" };
                walk(&e.path(), &format!("{url}{sep}{name}"), depth - 1, out)?;
            }
        }
        Ok(())
    }
    walk(path, base, 8, &mut out)?;
    Ok(out)
}

pub(super) fn remove_path(path: &Path) -> Result<ModelArtifactsInfo> {
    let json_path = locate_model_json(path)?;
    let info = info_for_json(&json_path)?;
    let refs = referenced_paths(&json_path);
    let base = json_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    fs::remove_file(&json_path).map_err(|e| IoError::io(show(&json_path), e))?;
    for p in refs {
        let _ = fs::remove_file(base.join(p));
    }
    if path.is_dir() {
        // Only succeeds when the directory is now empty.
        let _ = fs::remove_dir(path);
    }
    Ok(info)
}

/// [`FileStore::remove_if_unchanged`]'s blocking core.
pub(super) fn remove_path_if(
    path: &Path,
    expected: &ModelArtifacts,
    options: &FileStoreOptions,
    url: &str,
) -> Result<ModelArtifactsInfo> {
    let json_path = locate_model_json(path)?;
    let base = json_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    // Take model.json out of reach: a save racing with us now creates a
    // fresh one, which nothing below touches.
    let taken = base.join(format!("{TEMP_PREFIX}{}-removing.json", unique_id()));
    rename(&json_path, &taken)?;
    let put_back = |taken: &Path| {
        // `link` fails if a newer model.json appeared meanwhile: that one wins.
        let _ = fs::hard_link(taken, &json_path);
        let _ = fs::remove_file(taken);
    };
    let differs = match load_path_with(&taken, options.allow_external_links) {
        Ok(current) => crate::management::verify_same(expected, &current).err(),
        Err(e) => {
            put_back(&taken);
            return Err(e);
        }
    };
    if let Some(diff) = differs {
        put_back(&taken);
        return Err(IoError::changed(url, &diff));
    }
    let info = info_for_json(&taken)?;
    let refs = referenced_paths(&taken);
    fs::remove_file(&taken).map_err(|e| IoError::io(show(&taken), e))?;
    let live: BTreeSet<String> = referenced_paths(&json_path)
        .iter()
        .map(|p| normalize(p))
        .collect();
    for p in refs {
        if !live.contains(&normalize(&p)) {
            let _ = fs::remove_file(base.join(p));
        }
    }
    if path.is_dir() {
        let _ = fs::remove_dir(path);
    }
    Ok(info)
}

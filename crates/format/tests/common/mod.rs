//! Shared test helpers: fixture paths (read-only, never copied).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/fixtures` relative to the repository root.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

/// `../shared/reference` relative to the repository root.
pub fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
}

pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// Sorted subdirectories of `dir`.
pub fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// Sorted files of `dir` whose name ends with `suffix`.
pub fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v
}

/// A keras fixture: model.json parsed, weights of its shards concatenated in
/// manifest order as one `WeightData` (one buffer per shard).
pub fn load_converter_model(dir: &Path) -> (tfjs_format::ModelJson, tfjs_format::WeightData) {
    let mj = tfjs_format::ModelJson::parse(&read(&dir.join("model.json")), "model.json").unwrap();
    let mut data = tfjs_format::WeightData::default();
    for g in mj.weights_manifest.as_ref().unwrap() {
        for p in &g.paths {
            data.buffers.push(read(&dir.join(p)).into());
        }
    }
    (mj, data)
}

/// The tfjs `mlp` fixture's only weight group and its `weights.bin` bytes.
pub fn mlp_group_and_weights() -> (tfjs_format::WeightsManifestGroup, Vec<u8>) {
    let d = fixtures().join("tfjs/mlp");
    let m = tfjs_format::ModelJson::parse(&read(&d.join("model.json")), "model.json").unwrap();
    let group = m.weights_manifest.unwrap().remove(0);
    (group, read(&d.join("weights.bin")))
}

//! Shared helpers for the layers integration tests.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use tfjs_layers::io_json::IoJson;
use tfjs_layers::{LayerRegistry, LoadOptions, Model};

/// `../shared/fixtures` relative to the repository root.
pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

/// Every fixture directory (family, name, path) holding model.json + io.json.
pub fn fixture_dirs() -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    for family in ["tfjs", "keras"] {
        let dir = fixtures_root().join(family);
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("model.json").is_file() && p.join("io.json").is_file())
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            out.push((family.to_string(), name, p));
        }
    }
    out
}

/// The error text of building `topology` with the built-in layers (weights
/// seeded with `seed`); panics when it builds.
pub fn build_error(topology: &Value, seed: u64) -> String {
    Model::from_topology(topology, &LayerRegistry::with_builtins(), seed)
        .unwrap_err()
        .to_string()
}

pub fn load_fixture(dir: &Path) -> Result<Model, String> {
    let artifacts = tfjs_io::file::load_path(dir).map_err(|e| format!("load artifacts: {e}"))?;
    Model::from_artifacts(&artifacts, &LoadOptions::default())
        .map_err(|e| format!("build model: {e}"))
}

pub fn read_io(dir: &Path) -> IoJson {
    let p = dir.join("io.json");
    IoJson::parse(&std::fs::read(&p).unwrap(), &p.display().to_string()).unwrap()
}

/// Run `model` on the fixture inputs and compare with its reference.
/// Returns the max abs error, or a description of what went wrong.
pub fn check_model(model: &Model, io: &IoJson) -> Result<f64, String> {
    let inputs = io
        .inputs_for(&model.input_names())
        .map_err(|e| format!("inputs: {e}"))?;
    let outputs = model
        .predict(&inputs)
        .map_err(|e| format!("predict: {e}"))?;
    let (reference, tol) = io.reference();
    let c = tfjs_layers::io_json::compare(&outputs, reference, tol, 3);
    if c.passed() {
        Ok(c.max_abs_err)
    } else {
        let worst: Vec<String> = c
            .worst
            .iter()
            .map(|m| {
                format!(
                    "{}[{}]: got {} want {}",
                    m.output, m.index, m.actual, m.expected
                )
            })
            .collect();
        Err(format!(
            "max abs error {:.3e} ({} elements out of tolerance atol={} rtol={}) {} {}",
            c.max_abs_err,
            c.failures,
            tol.atol,
            tol.rtol,
            c.problems.join("; "),
            worst.join("; ")
        ))
    }
}

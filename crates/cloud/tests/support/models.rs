//! The shared fixture models and how two copies of one are compared;
//! used by the cloud test binaries through `#[path]`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use tfjs_format::ModelArtifacts;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

/// Every model directory of the `tfjs` and `keras` fixture sets, sorted.
pub fn fixture_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for family in ["tfjs", "keras"] {
        for e in std::fs::read_dir(fixtures().join(family)).unwrap() {
            let p = e.unwrap().path();
            if p.join("model.json").exists() {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(
        out.len() >= 15,
        "expected the shared fixtures, found {}",
        out.len()
    );
    out
}

/// `SET{sep}NAME` for the fixture directory `…/SET/NAME` (e.g. `tfjs-mlp`).
pub fn fixture_name(dir: &Path, sep: &str) -> String {
    let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_string();
    format!("{}{sep}{}", name(dir.parent().unwrap()), name(dir))
}

/// Same model as TensorFlow.js would see it: topology and metadata (as
/// re-serialized JSON, so `6.0` and `6` are one number), specs, weight bytes.
pub fn assert_same_model(a: &ModelArtifacts, b: &ModelArtifacts, what: &str) {
    let js = |t: &Option<serde_json::Value>| {
        t.as_ref()
            .map(|v| tfjs_format::JsonStyle::Browser.to_string(v))
    };
    assert_eq!(
        js(&a.model_topology),
        js(&b.model_topology),
        "{what}: topology"
    );
    assert_eq!(
        a.weight_specs.len(),
        b.weight_specs.len(),
        "{what}: weight count"
    );
    for (x, y) in a.weight_specs.iter().zip(&b.weight_specs) {
        assert_eq!(
            (&x.name, &x.shape, x.dtype, &x.group),
            (&y.name, &y.shape, y.dtype, &y.group),
            "{what}: weight spec"
        );
        // Numbers by value: `6.2e-05` and `0.000062` are one number.
        let q = |s: &tfjs_format::WeightSpec| {
            s.quantization.as_ref().map(|q| {
                (
                    q.dtype,
                    q.min_f64(),
                    q.scale_f64(),
                    q.original_dtype.clone(),
                )
            })
        };
        assert_eq!(q(x), q(y), "{what}: quantization of {}", x.name);
    }
    assert_eq!(
        a.weight_data.contiguous(),
        b.weight_data.contiguous(),
        "{what}: weight bytes"
    );
    assert_eq!(
        js(&a.training_config),
        js(&b.training_config),
        "{what}: trainingConfig"
    );
    assert_eq!(
        js(&a.user_defined_metadata),
        js(&b.user_defined_metadata),
        "{what}: userDefinedMetadata"
    );
    assert_eq!(a.format, b.format, "{what}: format");
}

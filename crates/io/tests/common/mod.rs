#![allow(dead_code)]
use std::path::{Path, PathBuf};

/// `../shared/fixtures` beside the repository root.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

/// Every fixture model directory: (name, path).
pub fn fixture_models() -> Vec<(String, PathBuf)> {
    let mut out = vec![];
    for set in ["tfjs", "keras"] {
        let dir = fixtures().join(set);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .filter(|e| e.path().join("model.json").is_file())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            out.push((
                format!("{set}/{}", e.file_name().to_string_lossy()),
                e.path(),
            ));
        }
    }
    assert!(
        out.len() >= 19,
        "expected the tfjs and keras fixtures, found {out:?}"
    );
    out
}

pub fn file_url(p: &Path) -> tfjs_io::ModelUrl {
    tfjs_io::ModelUrl::parse(&format!("file://{}", p.display())).unwrap()
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

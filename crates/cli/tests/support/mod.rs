//! What the `tfjs` binary's test files share: the fixtures, running the
//! binary, and reading what it printed.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared fixture tree (`../shared/fixtures` of the workspace).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

/// A real-world model among the fixtures (`fixtures/real/NAME`).
pub fn real(name: &str) -> PathBuf {
    fixtures().join("real").join(name)
}

/// The preprocessing test data of this crate.
pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/preprocess")
}

/// Run the `tfjs` binary, with `--profile PROFILE` when given.
pub fn tfjs_in(profile: Option<&Path>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tfjs"));
    if let Some(p) = profile {
        c.arg("--profile").arg(p);
    }
    c.args(args).output().expect("run tfjs")
}

/// Run the `tfjs` binary.
pub fn tfjs(args: &[&str]) -> Output {
    tfjs_in(None, args)
}

pub fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// The stdout of a run that exited 0; panics showing `what` and both
/// streams otherwise.
pub fn stdout_of(what: &str, o: Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{what}\nstdout: {}\nstderr: {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

/// Panics unless the run exited with `code` and its stderr contains `needle`.
pub fn assert_stderr(o: &Output, code: i32, needle: &str) {
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
}

/// The JSON a run that exited 0 printed (see [`stdout_of`]).
pub fn json_of(what: &str, o: Output) -> Value {
    serde_json::from_str(&stdout_of(what, o)).unwrap()
}

/// The model directories of the `tfjs` and `keras` fixture sets holding
/// every file of `files`, sorted (there are at least 19).
pub fn fixture_dirs(files: &[&str]) -> Vec<PathBuf> {
    let mut v = vec![];
    for set in ["tfjs", "keras"] {
        for e in std::fs::read_dir(fixtures().join(set)).unwrap() {
            let p = e.unwrap().path();
            if files.iter().all(|f| p.join(f).is_file()) {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() >= 19, "fixtures missing: {v:?}");
    v
}

/// A copy in `dir` of the io.json at `io` whose expected output `output`
/// has element `element` moved by `delta` (a reference `--check` must refuse).
pub fn perturbed_io(io: &Path, output: usize, element: usize, delta: f64, dir: &Path) -> PathBuf {
    let mut v = read_json(io);
    let x = v["outputs"][output]["data"][element].as_f64().unwrap();
    v["outputs"][output]["data"][element] = serde_json::json!(x + delta);
    let bad = dir.join("io.json");
    std::fs::write(&bad, v.to_string()).unwrap();
    bad
}

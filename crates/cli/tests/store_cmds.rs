//! `tfjs ls/cp/mv/rm/demo/export-localstorage/import-localstorage` end to end,
//! against the browser captures in ../shared/fixtures/browser.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn browser(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/browser")
        .join(rel)
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn profile(&self) -> PathBuf {
        self.dir.path().join("profile")
    }
    fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }
    fn tfjs(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tfjs"))
            .arg("--profile")
            .arg(self.profile())
            .args(args)
            .env("TFJS_DOWNLOADS_DIR", self.downloads())
            .env_remove("TFJS_HOME")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
    fn ok(&self, args: &[&str]) -> String {
        let out = self.tfjs(args);
        assert!(
            out.status.success(),
            "tfjs {args:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
    fn err(&self, args: &[&str]) -> String {
        let out = self.tfjs(args);
        assert_eq!(out.status.code(), Some(2), "tfjs {args:?} should fail");
        String::from_utf8(out.stderr).unwrap()
    }
}

fn undate(info: &str) -> String {
    let mut v: Value = serde_json::from_str(info).unwrap();
    v["dateSaved"] = Value::String(String::new());
    serde_json::to_string(&v).unwrap()
}

/// The Rust-built demo model is stored byte for byte as TensorFlow.js stored
/// the same model in Chromium (localStorage values, downloads).
#[test]
fn demo_saves_what_the_browser_saved() {
    let env = Env::new();
    let out = env.ok(&["demo", "--in-profile"]);
    assert!(out.contains("all copies agree"), "{out}");
    for f in ["my-model-1.json", "my-model-1.weights.bin"] {
        assert_eq!(
            std::fs::read(env.downloads().join(f)).unwrap(),
            std::fs::read(browser("downloads").join(f)).unwrap(),
            "{f}"
        );
    }
    let exported: Value =
        serde_json::from_str(&env.ok(&["export-localstorage", "localstorage://my-model-1"]))
            .unwrap();
    let dump = read_json(&browser("storage/01-after-save-localstorage.json"));
    let items = dump["localStorage"]["items"].as_array().unwrap();
    assert_eq!(exported.as_object().unwrap().len(), items.len());
    for item in items {
        let key = item["key"].as_str().unwrap();
        let want = item["value"].as_str().unwrap();
        let got = exported[key].as_str().unwrap_or_else(|| panic!("no {key}"));
        if key.ends_with("/info") {
            assert_eq!(undate(got), undate(want));
        } else {
            assert_eq!(got, want, "{key}");
        }
    }
    let listed: Value = serde_json::from_str(&env.ok(&["--json", "ls"])).unwrap();
    let urls: Vec<&String> = listed.as_object().unwrap().keys().collect();
    assert_eq!(
        urls,
        ["localstorage://my-model-1", "indexeddb://my-model-1"]
    );
}

#[test]
fn temporary_demo_leaves_no_profile() {
    let env = Env::new();
    let out = env.ok(&["--json", "demo"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["maxDiffFromTfjs"], 0.0);
    assert_eq!(report["loaded"].as_object().unwrap().len(), 4);
    assert!(!env.profile().exists());
    assert!(!env.downloads().exists());
}

#[test]
fn ls_cp_mv_rm_and_their_errors() {
    let env = Env::new();
    // The browser's two models, imported from the capture.
    let dump = read_json(&browser("storage/04-after-save-compiled-model.json"));
    let obj: serde_json::Map<String, Value> = dump["localStorage"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["key"].as_str().unwrap().to_string(), i["value"].clone()))
        .collect();
    let paste = env.dir.path().join("paste.json");
    std::fs::write(&paste, serde_json::to_string(&obj).unwrap()).unwrap();
    let out = env.ok(&["import-localstorage", paste.to_str().unwrap()]);
    assert!(
        out.contains("imported localstorage://my-model-opt"),
        "{out}"
    );
    // ls --json is tf.io.listModels()'s object (dates as captured).
    let listed: Value = serde_json::from_str(&env.ok(&["--json", "ls", "localstorage"])).unwrap();
    let capture = read_json(&browser("model-management/01-listModels.json"));
    for url in ["localstorage://my-model-1", "localstorage://my-model-opt"] {
        assert_eq!(listed[url], capture["outcome"]["result"][url], "{url}");
    }
    let table = env.ok(&["ls"]);
    assert!(table.starts_with("MODEL"), "{table}");
    assert!(table.contains("2026-11-25T18:54:15.803Z"), "{table}");
    // cp to a plain path (file://), mv across media, rm.
    env.ok(&["cp", "localstorage://my-model-opt", "exported"]);
    assert!(env.dir.path().join("exported/model.json").is_file());
    let out = env.ok(&["mv", "exported", "indexeddb://opt"]);
    assert!(out.contains("verified"), "{out}");
    assert!(!env.dir.path().join("exported/model.json").exists());
    let moved: Value = serde_json::from_str(&env.ok(&["--json", "rm", "indexeddb://opt"])).unwrap();
    assert_eq!(moved["weightDataBytes"], 96);
    assert_eq!(moved["weightSpecsBytes"], 288);
    // TensorFlow.js's error texts.
    let cases = read_json(&browser("model-management/08-error-cases.json"));
    let msg = |k: &str| {
        cases["outcome"]["result"][k]["error"]["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        env.err(&["rm", "localstorage://nope"]).trim(),
        format!("error: {}", msg("removeModel(localstorage://nope)"))
    );
    assert_eq!(
        env.err(&["mv", "localstorage://my-model-1", "foo://bar"])
            .trim(),
        format!(
            "error: {}",
            msg("moveModel(localstorage://my-model-1, foo://bar)")
        )
    );
    assert_eq!(
        env.err(&[
            "cp",
            "localstorage://my-model-1",
            "localstorage://my-model-1"
        ])
        .trim(),
        format!(
            "error: {}",
            msg("copyModel(localstorage://my-model-1, localstorage://my-model-1)")
        )
    );
    assert_eq!(
        env.err(&["rm", "foo://bar"]).trim(),
        format!("error: {}", msg("removeModel(foo://bar)"))
    );
    // Nothing lost along the way.
    let listed: Value = serde_json::from_str(&env.ok(&["--json", "ls"])).unwrap();
    assert_eq!(listed.as_object().unwrap().len(), 2);
}

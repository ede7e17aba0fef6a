//! Every fixture model loads through file:// and round-trips.

mod common;

use common::{file_url, fixture_models, fixtures, rt};
use serde_json::Value;
use std::sync::Arc;
use tfjs_format::ModelArtifacts;
use tfjs_io::file::{FileStore, FileStoreOptions};
use tfjs_io::memory::MemoryStore;
use tfjs_io::{ModelStore, Router};

/// JSON equality with numbers compared by value (`6.0` written by Python
/// and `6` written by JavaScript are the same number). Returns the path of
/// the first difference.
fn json_diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64() != y.as_f64()).then(|| format!("{path}: {x} vs {y}"))
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: array lengths {} vs {}", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (x, y))| json_diff(x, y, &format!("{path}[{i}]")))
        }
        (Value::Object(x), Value::Object(y)) => {
            let kx: Vec<_> = x.keys().collect();
            let ky: Vec<_> = y.keys().collect();
            if kx != ky {
                return Some(format!("{path}: keys {kx:?} vs {ky:?}"));
            }
            x.iter()
                .find_map(|(k, v)| json_diff(v, &y[k], &format!("{path}.{k}")))
        }
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

fn same_model(a: &ModelArtifacts, b: &ModelArtifacts, what: &str) {
    let (ta, tb) = (
        a.model_topology.clone().unwrap_or_default(),
        b.model_topology.clone().unwrap_or_default(),
    );
    if let Some(d) = json_diff(&ta, &tb, "modelTopology") {
        panic!("{what}: {d}");
    }
    let specs = |m: &ModelArtifacts| tfjs_format::manifest::weight_specs_to_value(&m.weight_specs);
    if let Some(d) = json_diff(&specs(a), &specs(b), "weightSpecs") {
        panic!("{what}: {d}");
    }
    assert_eq!(a.format, b.format, "{what}: format");
    assert_eq!(a.generated_by, b.generated_by, "{what}: generatedBy");
    assert_eq!(a.converted_by, b.converted_by, "{what}: convertedBy");
    assert_eq!(
        a.training_config, b.training_config,
        "{what}: trainingConfig"
    );
    assert_eq!(
        a.user_defined_metadata, b.user_defined_metadata,
        "{what}: metadata"
    );
    assert!(
        a.weight_data.contiguous() == b.weight_data.contiguous(),
        "{what}: weight bytes differ"
    );
}

#[test]
fn every_fixture_loads_and_round_trips() {
    let rt = rt();
    let store = FileStore::new();
    for (name, dir) in fixture_models() {
        let a = rt
            .block_on(store.load(&file_url(&dir)))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Weight bytes are exactly the shard files, in manifest order.
        let mj = tfjs_io::file::read_model_json(&dir.join("model.json")).unwrap();
        let mut files = vec![];
        for g in mj.weights_manifest.as_ref().unwrap() {
            for p in &g.paths {
                files.extend(std::fs::read(dir.join(p)).unwrap());
            }
        }
        assert_eq!(
            &*a.weight_data.contiguous(),
            &files[..],
            "{name}: weight bytes"
        );
        assert!(!a.weight_specs.is_empty(), "{name}: no weight specs");
        assert!(a.model_topology.is_some(), "{name}: no topology");

        // Also by the model.json path.
        let b = rt
            .block_on(store.load(&file_url(&dir.join("model.json"))))
            .unwrap();
        same_model(&a, &b, &name);

        let out = tempfile::tempdir().unwrap();
        let res = rt.block_on(store.save(&file_url(out.path()), &a)).unwrap();
        assert!(res.errors.is_empty(), "{name}: {:?}", res.errors);
        assert_eq!(
            res.model_artifacts_info.weight_data_bytes,
            a.weight_data.len() as u64
        );
        let back = rt.block_on(store.load(&file_url(out.path()))).unwrap();
        same_model(&a, &back, &name);
        // tfjs-node layout: exactly model.json + weights.bin, nothing left over.
        let mut names: Vec<String> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["model.json", "weights.bin"], "{name}");
        if name.starts_with("tfjs/") {
            for f in ["model.json", "weights.bin"] {
                assert!(
                    std::fs::read(out.path().join(f)).unwrap()
                        == std::fs::read(dir.join(f)).unwrap(),
                    "{name}: re-saved {f} is not byte-identical to the fixture"
                );
            }
        }
    }
}

/// The model at the local `path` (a directory or JSON file), through `file://`.
fn load_file(rt: &tokio::runtime::Runtime, path: &std::path::Path) -> ModelArtifacts {
    rt.block_on(FileStore::new().load(&file_url(path))).unwrap()
}

#[test]
fn sharded_and_single_shard_models_hold_the_same_bytes() {
    let rt = rt();
    let k = fixtures().join("keras");
    let one = load_file(&rt, &k.join("mobilenet_v1"));
    let many = load_file(&rt, &k.join("mobilenet_v1_sharded"));
    assert_eq!(many.weight_data.buffers.len(), 20);
    assert_eq!(one.weight_data.buffers.len(), 1);
    same_model(&one, &many, "mobilenet_v1 vs sharded");
}

#[test]
fn converter_layout_reproduces_the_sharded_fixture_byte_for_byte() {
    let rt = rt();
    let k = fixtures().join("keras");
    let a = load_file(&rt, &k.join("mobilenet_v1"));
    let out = tempfile::tempdir().unwrap();
    let store = FileStore::with_options(FileStoreOptions::sharded(100_000));
    rt.block_on(store.save(&file_url(out.path()), &a)).unwrap();
    let expected = k.join("mobilenet_v1_sharded");
    let mut n = 0;
    for e in std::fs::read_dir(&expected).unwrap() {
        let e = e.unwrap();
        let f = e.file_name();
        if f == "io.json" {
            continue;
        }
        n += 1;
        assert!(
            std::fs::read(out.path().join(&f)).unwrap() == std::fs::read(e.path()).unwrap(),
            "{f:?} differs"
        );
    }
    assert_eq!(n, 21, "20 shards + model.json");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 21);
}

#[test]
fn browser_downloads_load_from_their_json_file() {
    let rt = rt();
    for dir in [
        fixtures().join("tfjs/mlp/downloads"),
        fixtures().join("tfjs/trained/downloads"),
        fixtures().join("browser/downloads"),
    ] {
        let json = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.extension().is_some_and(|e| e == "json")
                    && !p
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with("downloads")
            })
            .unwrap();
        let a = rt
            .block_on(FileStore::new().load(&file_url(&json)))
            .unwrap_or_else(|e| panic!("{}: {e}", json.display()));
        let bin = json.with_extension("weights.bin");
        assert_eq!(
            &*a.weight_data.contiguous(),
            &std::fs::read(bin).unwrap()[..]
        );
    }
    // The mlp download is the same model as the file:// fixture.
    let d = load_file(&rt, &fixtures().join("tfjs/mlp/downloads/mlp.json"));
    let f = load_file(&rt, &fixtures().join("tfjs/mlp"));
    same_model(&d, &f, "mlp download vs file");
}

#[test]
fn save_to_a_json_path_writes_weights_beside_it() {
    let rt = rt();
    let a = load_file(&rt, &fixtures().join("tfjs/metadata"));
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("my-model.json");
    rt.block_on(FileStore::new().save(&file_url(&json), &a))
        .unwrap();
    assert!(json.is_file());
    assert!(out.path().join("weights.bin").is_file());
    let back = load_file(&rt, &json);
    same_model(&a, &back, "json path");
}

#[test]
fn list_and_remove_model_directories() {
    let rt = rt();
    let store = FileStore::new();
    let root = tempfile::tempdir().unwrap();
    let a = rt
        .block_on(store.load(&file_url(&fixtures().join("tfjs/mlp"))))
        .unwrap();
    let b = rt
        .block_on(store.load(&file_url(&fixtures().join("tfjs/cnn"))))
        .unwrap();
    rt.block_on(store.save(&file_url(&root.path().join("a")), &a))
        .unwrap();
    rt.block_on(store.save(&file_url(&root.path().join("nested/b")), &b))
        .unwrap();
    std::fs::write(root.path().join("notes.txt"), "not a model").unwrap();
    let listed = rt.block_on(store.list(&file_url(root.path()))).unwrap();
    let urls: Vec<&str> = listed.iter().map(|(u, _)| u.as_str()).collect();
    let base = format!("file://{}", root.path().display());
    assert_eq!(urls, [format!("{base}/a"), format!("{base}/nested/b")]);
    assert_eq!(listed[0].1.weight_data_bytes, 1600);
    assert_eq!(listed[1].1.weight_data_bytes, 7192);
    assert_eq!(listed[0].1.model_topology_type, "JSON");
    assert!(
        listed[0].1.date_saved.ends_with('Z'),
        "{}",
        listed[0].1.date_saved
    );

    // Remove deletes model.json and weights.bin, and the emptied directory.
    let info = rt
        .block_on(store.remove(&file_url(&root.path().join("a"))))
        .unwrap();
    assert_eq!(info.weight_data_bytes, 1600);
    assert!(!root.path().join("a").exists());
    // A user's file next to a model survives its removal.
    std::fs::write(root.path().join("nested/b/README"), "keep me").unwrap();
    rt.block_on(store.remove(&file_url(&root.path().join("nested/b"))))
        .unwrap();
    assert!(root.path().join("nested/b/README").is_file());
    assert!(!root.path().join("nested/b/model.json").exists());
    assert!(!root.path().join("nested/b/weights.bin").exists());
    let err = rt
        .block_on(store.remove(&file_url(&root.path().join("a"))))
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn memory_store_saves_loads_lists_removes() {
    let rt = rt();
    let a = load_file(&rt, &fixtures().join("tfjs/rnn"));
    let mut router = Router::new();
    router.register(Arc::new(FileStore::new()));
    router.register(Arc::new(MemoryStore::new()));
    let info = rt
        .block_on(router.save("memory://models/rnn", &a))
        .unwrap()
        .model_artifacts_info;
    assert_eq!(info.weight_data_bytes, 8456);
    let back = rt.block_on(router.load("memory://models/rnn")).unwrap();
    assert_eq!(back, a);
    let (store, url) = router.resolve("memory://models/").unwrap();
    let listed = rt.block_on(store.list(&url)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, "memory://models/rnn");
    let removed = rt
        .block_on(store.remove(&tfjs_io::ModelUrl::parse("memory://models/rnn").unwrap()))
        .unwrap();
    assert_eq!(removed, info);
    let err = rt.block_on(router.load("memory://models/rnn")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "In memory, there is no model with name 'models/rnn'"
    );
    let err = rt.block_on(router.save("memory://", &a)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "For memory://, modelPath must not be null, undefined or empty."
    );
    // memory → file copy keeps everything.
    let out = tempfile::tempdir().unwrap();
    rt.block_on(router.save("memory://x", &a)).unwrap();
    let m = rt.block_on(router.load("memory://x")).unwrap();
    rt.block_on(router.save(&format!("file://{}", out.path().display()), &m))
        .unwrap();
    assert!(
        std::fs::read(out.path().join("model.json")).unwrap()
            == std::fs::read(fixtures().join("tfjs/rnn/model.json")).unwrap()
    );
}

/// The message of an expected error.
fn error_text<T: std::fmt::Debug>(r: tfjs_io::Result<T>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn router_errors_use_tfjs_wording_and_list_schemes() {
    let rt = rt();
    let mut router = Router::new();
    router.register(Arc::new(FileStore::new()));
    router.register(Arc::new(MemoryStore::new()));
    assert_eq!(router.schemes(), ["file", "memory"]);
    let a = ModelArtifacts::default();
    let manage = tfjs_io::router::Purpose::Manage;
    let cases = [
        (
            error_text(router.resolve("no-scheme/model.json")),
            "The url string provided does not contain a scheme. Supported schemes are: file,memory",
        ),
        (
            error_text(rt.block_on(router.load("foo://bar"))),
            "Cannot find any load handlers for URL 'foo://bar'. Supported schemes are: file://, memory://",
        ),
        (
            error_text(rt.block_on(router.save("s4://bucket/m", &a))),
            "Cannot find any save handlers for URL 's4://bucket/m'. Supported schemes are: file://, memory://",
        ),
        (
            error_text(router.resolve_for("foo://bar", manage)),
            "Cannot find model manager for scheme 'foo'. Supported schemes are: file://, memory://",
        ),
        (
            error_text(rt.block_on(router.load("file:///definitely/not/here"))),
            "Path /definitely/not/here does not exist: loading failed",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

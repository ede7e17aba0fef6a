//! `downloads://` writes byte-identical copies of the browser's downloads.

mod common;

use common::*;
use tfjs_format::ModelArtifacts;
use tfjs_io::{ModelStore, ModelUrl};
use tfjs_store::DownloadsStore;

fn assert_same_file(ours: &std::path::Path, theirs: &std::path::Path) {
    let a = std::fs::read(ours).unwrap();
    let b = std::fs::read(theirs).unwrap();
    assert!(
        a == b,
        "{} differs from {}:\n ours: {}\ntheirs: {}",
        ours.display(),
        theirs.display(),
        String::from_utf8_lossy(&a[..a.len().min(400)]),
        String::from_utf8_lossy(&b[..b.len().min(400)])
    );
}

/// A fresh profile whose Downloads folder has `my_model_1` saved as `name`.
fn saved_to_downloads(name: &str) -> (TestProfile, DownloadsStore, ModelArtifacts) {
    let p = test_profile();
    let store = DownloadsStore::new(&p.profile);
    let model = my_model_1();
    store.save_sync(name, &model).unwrap();
    (p, store, model)
}

#[test]
fn browser_capture_my_model_1() {
    let p = test_profile();
    let store = DownloadsStore::new(&p.profile);
    // The model as the browser saved it to localStorage in the same session.
    let model = my_model_1();
    let res = store.save_sync("my-model-1", &model).unwrap();
    let theirs = browser("downloads");
    assert_same_file(
        &p.downloads().join("my-model-1.json"),
        &theirs.join("my-model-1.json"),
    );
    assert_same_file(
        &p.downloads().join("my-model-1.weights.bin"),
        &theirs.join("my-model-1.weights.bin"),
    );
    let fixture = read_json(&browser("save/downloads-my-model-1.result.json"));
    let info = &fixture["result"]["modelArtifactsInfo"];
    assert_eq!(
        res.model_artifacts_info.model_topology_bytes,
        info["modelTopologyBytes"]
    );
    assert_eq!(
        res.model_artifacts_info.weight_specs_bytes,
        info["weightSpecsBytes"]
    );
    assert_eq!(
        res.model_artifacts_info.weight_data_bytes,
        info["weightDataBytes"]
    );
    // Only the pair is left in the directory (no temporary files).
    let mut names: Vec<String> = std::fs::read_dir(p.downloads())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["my-model-1.json", "my-model-1.weights.bin"]);
}

#[test]
fn tfjs_fixtures_mlp_trained_metadata() {
    for name in ["mlp", "trained", "metadata"] {
        let dir = fixtures().join("tfjs").join(name);
        // Loaded from the tfjs-node file:// layout, saved as a browser download.
        let model = artifacts_from_files(&dir.join("model.json"));
        let p = test_profile();
        let store = DownloadsStore::new(&p.profile);
        store.save_sync(name, &model).unwrap();
        assert_same_file(
            &p.downloads().join(format!("{name}.json")),
            &dir.join("downloads").join(format!("{name}.json")),
        );
        assert_same_file(
            &p.downloads().join(format!("{name}.weights.bin")),
            &dir.join("downloads").join(format!("{name}.weights.bin")),
        );
    }
}

#[tokio::test]
async fn pair_loads_back_through_downloads_and_file() {
    let p = test_profile();
    let model = artifacts_from_files(&fixtures().join("tfjs/trained/model.json"));
    let url = ModelUrl::parse("downloads://trained").unwrap();
    let store = DownloadsStore::new(&p.profile);
    store.save(&url, &model).await.unwrap();
    let back = store.load(&url).await.unwrap();
    assert_eq!(back.model_topology, model.model_topology);
    assert_eq!(back.weight_specs, model.weight_specs);
    assert_same_weight_bytes(&back, &model);
    assert_eq!(back.training_config, model.training_config);
    // file:// accepts the downloaded .json path.
    let file_url = format!("file://{}", p.downloads().join("trained.json").display());
    let via_file = p.router.load(&file_url).await.unwrap();
    assert_same_weight_bytes(&via_file, &model);
    assert_eq!(via_file.model_topology, model.model_topology);
}

#[test]
fn empty_prefix_is_model_and_bad_prefixes_are_refused() {
    let (p, store, model) = saved_to_downloads("");
    assert!(p.downloads().join("model.json").is_file());
    assert!(p.downloads().join("model.weights.bin").is_file());
    let json = std::fs::read_to_string(p.downloads().join("model.json")).unwrap();
    assert!(
        json.contains(r#""paths":["./model.weights.bin"]"#),
        "{json}"
    );
    for bad in ["../evil", "a/b", "..", "a\\b"] {
        let err = store.save_sync(bad, &model).unwrap_err().to_string();
        assert!(err.contains("plain file name"), "{bad}: {err}");
    }
    assert!(!p.dir.path().join("evil.json").exists());
}

#[test]
fn a_failed_save_leaves_the_previous_pair() {
    let (p, store, _) = saved_to_downloads("m");
    let before = std::fs::read(p.downloads().join("m.json")).unwrap();
    // A directory where the weights file must go makes the rename fail.
    std::fs::remove_file(p.downloads().join("m.weights.bin")).unwrap();
    std::fs::create_dir(p.downloads().join("m.weights.bin")).unwrap();
    std::fs::write(p.downloads().join("m.weights.bin/keep"), b"x").unwrap();
    let opt = artifacts_from_dump(&dump04(), "my-model-opt");
    let err = store.save_sync("m", &opt).unwrap_err().to_string();
    assert!(err.contains("m.weights.bin"), "{err}");
    assert_eq!(std::fs::read(p.downloads().join("m.json")).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(p.downloads())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tfjs-download-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

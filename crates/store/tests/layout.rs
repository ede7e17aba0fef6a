//! Byte-level layout against the TensorFlow.js 4.22 / Chromium captures in
//! ../shared/fixtures/browser: key names, values (dates aside), IndexedDB
//! record fields, downloads, export/import.

mod common;

use common::*;
use serde_json::Value;
use tfjs_io::ModelUrl;
use tfjs_store::localstorage::{keys_for, utf16_len};
use tfjs_store::{IndexedDbStore, LocalStorageStore};

fn ls(p: &TestProfile) -> LocalStorageStore {
    LocalStorageStore::new(p.profile.clone())
}

/// Compare our table with a dump's localStorage: same keys, same values,
/// `info` values equal once `dateSaved` is set aside.
fn assert_same_local_storage(ours: &[(String, String)], dump: &Value, what: &str) {
    let mut theirs = dump_local_storage(dump);
    theirs.sort();
    let mut ours = ours.to_vec();
    ours.sort();
    let keys = |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&ours), keys(&theirs), "{what}: key sets differ");
    for ((k, a), (_, b)) in ours.iter().zip(&theirs) {
        if k.ends_with("/info") {
            assert_eq!(undate(a), undate(b), "{what}: {k}");
            assert_eq!(a.len(), b.len(), "{what}: {k} length");
        } else {
            assert_eq!(a, b, "{what}: {k}");
        }
    }
}

#[test]
fn localstorage_save_writes_the_browser_keys_and_values() {
    let p = test_profile();
    let store = ls(&p);
    let dump01 = read_json(&browser("storage/01-after-save-localstorage.json"));
    let model = artifacts_from_dump(&dump01, "my-model-1");
    let res = store.save_sync("my-model-1", &model).unwrap();
    assert_same_local_storage(&store.items().unwrap(), &dump01, "after saving my-model-1");
    // Chromium's count of key + value characters for this model.
    assert_eq!(
        store.used_units().unwrap(),
        storage_of(&dump01)["localStorage"]["totalKeyPlusValueChars"]
            .as_u64()
            .unwrap()
    );
    // The save result is the browser's (besides the date).
    let fixture = read_json(&browser("save/localstorage-my-model-1.result.json"));
    let info = &fixture["result"]["modelArtifactsInfo"];
    let r = &res.model_artifacts_info;
    assert_eq!(r.model_topology_type, info["modelTopologyType"]);
    assert_eq!(r.model_topology_bytes, info["modelTopologyBytes"]);
    assert_eq!(r.weight_specs_bytes, info["weightSpecsBytes"]);
    assert_eq!(r.weight_data_bytes, info["weightDataBytes"]);
    assert_eq!(r.date_saved.len(), "2026-11-25T18:54:15.803Z".len());
    assert!(r.date_saved.ends_with('Z') && r.date_saved.as_bytes()[10] == b'T');

    // The compiled model: metadata with userDefinedMetadata + trainingConfig, `iter`.
    let dump04 = dump04();
    let opt = artifacts_from_dump(&dump04, "my-model-opt");
    store.save_sync("my-model-opt", &opt).unwrap();
    assert_same_local_storage(
        &store.items().unwrap(),
        &dump04,
        "after saving my-model-opt",
    );
    assert_eq!(
        store.used_units().unwrap(),
        storage_of(&dump04)["localStorage"]["totalKeyPlusValueChars"]
            .as_u64()
            .unwrap()
    );
}

#[test]
fn localstorage_load_gives_back_the_browser_model() {
    let p = test_profile();
    let store = ls(&p);
    let dump04 = dump04();
    // Import the browser's own values, then load them.
    let paths = store.import_items(&dump_local_storage(&dump04)).unwrap();
    assert_eq!(paths, vec!["my-model-1", "my-model-opt"]);
    for path in ["my-model-1", "my-model-opt"] {
        let expected = artifacts_from_dump(&dump04, path);
        let got = store.load_sync(path).unwrap();
        assert_eq!(got.model_topology, expected.model_topology, "{path}");
        assert_eq!(got.weight_specs, expected.weight_specs, "{path}");
        assert_same_weight_bytes(&got, &expected);
        assert_eq!(got.format.as_deref(), Some("layers-model"));
        assert_eq!(
            got.generated_by.as_deref(),
            Some("TensorFlow.js tfjs-layers v4.22.0")
        );
        assert_eq!(got.converted_by, Some(Value::Null));
        assert_eq!(got.training_config, expected.training_config);
        assert_eq!(got.user_defined_metadata, expected.user_defined_metadata);
    }
    let opt = store.load_sync("my-model-opt").unwrap();
    assert_eq!(
        opt.user_defined_metadata.unwrap()["fixture"],
        "compiled-with-sgd"
    );
    assert_eq!(
        opt.weight_specs.last().unwrap().group.as_deref(),
        Some("optimizer")
    );
    // Import keeps the browser's info (dates included), so listing equals
    // the browser's tf.io.listModels() localstorage entries exactly.
    let listed = store.list_sync("").unwrap();
    let fixture = read_json(&browser("model-management/01-listModels.json"));
    let expected = fixture["outcome"]["result"].as_object().unwrap();
    for (path, info) in &listed {
        let e = &expected[&format!("localstorage://{path}")];
        assert_eq!(info.date_saved, e["dateSaved"].as_str().unwrap());
        assert_eq!(info.model_topology_bytes, e["modelTopologyBytes"]);
        assert_eq!(info.weight_specs_bytes, e["weightSpecsBytes"]);
        assert_eq!(info.weight_data_bytes, e["weightDataBytes"]);
    }
    assert_eq!(listed.len(), 2);
}

#[test]
fn export_json_has_the_browser_keys_and_values() {
    let p = test_profile();
    let store = ls(&p);
    let dump04 = dump04();
    // A saved (not imported) model: values equal the capture's except dateSaved.
    store
        .save_sync(
            "my-model-opt",
            &artifacts_from_dump(&dump04, "my-model-opt"),
        )
        .unwrap();
    let exported: Value =
        serde_json::from_str(&store.export_json("my-model-opt").unwrap()).unwrap();
    let obj = exported.as_object().unwrap();
    let keys: Vec<&String> = obj.keys().collect();
    let expected_keys = keys_for("my-model-opt");
    assert_eq!(
        keys,
        expected_keys.iter().collect::<Vec<_>>(),
        "write order"
    );
    let theirs = dump_local_storage(&dump04);
    for (k, v) in obj {
        let (_, want) = theirs.iter().find(|(tk, _)| tk == k).unwrap();
        let v = v.as_str().unwrap();
        if k.ends_with("/info") {
            assert_eq!(undate(v), undate(want));
        } else {
            assert_eq!(v, want, "{k}");
        }
    }
    // And it imports into another profile unchanged.
    let q = test_profile();
    let other = ls(&q);
    other
        .import_json(&store.export_json("my-model-opt").unwrap(), "export")
        .unwrap();
    assert_eq!(other.items().unwrap(), store.items().unwrap());
}

#[test]
fn import_refuses_bad_input_and_writes_nothing() {
    let p = test_profile();
    let store = ls(&p);
    let mut items = dump_local_storage(&dump04());
    // A model without weight data: refused with TensorFlow.js's load text.
    items.retain(|(k, _)| k != "tensorflowjs_models/my-model-opt/weight_data");
    let err = store.import_items(&items).unwrap_err().to_string();
    assert!(
        err.contains(
            "In local storage, the binary weight values of model 'my-model-opt' are missing."
        ),
        "{err}"
    );
    assert!(store.items().unwrap().is_empty());
    let err = store
        .import_json(r#"{"other/key": "x"}"#, "paste.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("other/key") && err.contains("tensorflowjs_models/"),
        "{err}"
    );
    let err = store
        .import_json(r#"{"tensorflowjs_models/a/info": 5}"#, "paste.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("paste.json") && err.contains("must be a string"),
        "{err}"
    );
    assert!(store.items().unwrap().is_empty());
}

#[test]
fn nested_paths_use_the_path_verbatim() {
    let p = test_profile();
    let store = ls(&p);
    let dump09 = read_json(&browser("model-management/09-save-nested-paths.json"));
    let model = my_model_1();
    store.save_sync("my-model-1", &model).unwrap();
    store.save_sync("nested/dir/model 2", &model).unwrap();
    assert_same_local_storage(&store.items().unwrap(), &dump09, "nested");
    let idb = IndexedDbStore::new(p.profile.clone());
    idb.save_sync("my-model-1", &model).unwrap();
    idb.save_sync("nested/dir/model 2", &model).unwrap();
    let listed = listed_paths(idb.list_sync("").unwrap());
    let keys: Vec<String> = dump_idb_records(&dump09, "model_info_store")
        .iter()
        .map(|r| r["modelPath"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, keys);
    assert_eq!(
        store.list_sync("nested/").unwrap()[0].0,
        "nested/dir/model 2"
    );
}

#[test]
fn indexeddb_records_have_the_browser_fields() {
    let p = test_profile();
    let idb = IndexedDbStore::new(p.profile.clone());
    let dump04 = dump04();
    for path in ["my-model-1", "my-model-opt"] {
        idb.save_sync(path, &artifacts_from_dump(&dump04, path))
            .unwrap();
    }
    let records = dump_idb_records(&dump04, "models_store");
    let infos = dump_idb_records(&dump04, "model_info_store");
    assert_eq!(records.len(), 2);
    for (rec, info_rec) in records.iter().zip(&infos) {
        let path = rec["modelPath"].as_str().unwrap();
        assert_eq!(info_rec["modelPath"], path);
        let (artifacts_json, weight_len, info_json) = idb.raw_record(path).unwrap().unwrap();
        let ours: Value = serde_json::from_str(&artifacts_json).unwrap();
        let theirs = &rec["modelArtifacts"];
        for (k, v) in theirs.as_object().unwrap() {
            if k == "weightData" {
                assert_eq!(weight_len, v["byteLength"].as_u64().unwrap());
                let loaded = idb.load_sync(path).unwrap();
                assert_eq!(sha256_hex(&loaded.weight_data.contiguous()), v["sha256"]);
            } else {
                assert_eq!(&ours[k], v, "{path}: modelArtifacts.{k}");
            }
        }
        let n_ours = ours.as_object().unwrap().len() + 1; // + weightData (BLOB)
        assert_eq!(
            n_ours,
            theirs.as_object().unwrap().len(),
            "{path}: field count"
        );
        let our_info: Value = serde_json::from_str(&info_json).unwrap();
        for k in [
            "modelTopologyType",
            "modelTopologyBytes",
            "weightSpecsBytes",
            "weightDataBytes",
        ] {
            assert_eq!(our_info[k], rec["modelArtifactsInfo"][k], "{path}: {k}");
            assert_eq!(
                our_info[k], info_rec["modelArtifactsInfo"][k],
                "{path}: {k}"
            );
        }
    }
}

#[test]
fn browser_error_texts_for_missing_models_and_empty_paths() {
    let cases = read_json(&browser("model-management/08-error-cases.json"));
    let msg = |name: &str| {
        cases["outcome"]["result"][name]["error"]["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let p = test_profile();
    let store = ls(&p);
    let idb = IndexedDbStore::new(p.profile.clone());
    let model = my_model_1();
    // (what the store answered, the browser capture's case)
    let answers = [
        (
            store.load_sync("nope").unwrap_err().to_string(),
            "loadLayersModel(localstorage://nope)",
        ),
        (
            idb.load_sync("nope").unwrap_err().to_string(),
            "loadLayersModel(indexeddb://nope)",
        ),
        (
            store.remove_sync("nope").unwrap_err().to_string(),
            "removeModel(localstorage://nope)",
        ),
        (
            idb.remove_sync("nope").unwrap_err().to_string(),
            "removeModel(indexeddb://nope)",
        ),
        (
            store.save_sync("", &model).unwrap_err().to_string(),
            "save(localstorage://)",
        ),
        (
            idb.save_sync("", &model).unwrap_err().to_string(),
            "save(indexeddb://)",
        ),
    ];
    for (got, case) in answers {
        assert_eq!(got, msg(case), "{case}");
    }
}

#[test]
fn localstorage_load_checks_each_key_in_tensorflowjs_order() {
    let p = test_profile();
    let store = ls(&p);
    let items = dump_local_storage(&dump04());
    let only = |drop: &str| -> Vec<(String, String)> {
        items
            .iter()
            .filter(|(k, _)| k.starts_with("tensorflowjs_models/my-model-1/") && !k.ends_with(drop))
            .cloned()
            .collect()
    };
    // Import refuses incomplete models; the messages are the loader's.
    for (drop, text) in [
        (
            "/model_topology",
            "In local storage, the topology of model 'my-model-1' is missing.",
        ),
        (
            "/weight_specs",
            "In local storage, the weight specs of model 'my-model-1' are missing.",
        ),
        (
            "/weight_data",
            "In local storage, the binary weight values of model 'my-model-1' are missing.",
        ),
    ] {
        let err = store.import_items(&only(drop)).unwrap_err().to_string();
        assert!(err.ends_with(text), "{err}");
    }
    // Without model_metadata (models saved by old versions) it loads.
    store.import_items(&only("/model_metadata")).unwrap();
    let m = store.load_sync("my-model-1").unwrap();
    assert_eq!(m.format, None);
    assert_eq!(m.weight_data.len(), 92);
}

#[test]
fn non_ascii_counts_utf16_units_and_utf8_bytes() {
    assert_eq!(utf16_len("é中"), 2);
    assert_eq!(utf16_len("😀"), 2);
    let p = test_profile();
    let store = ls(&p);
    let mut model = my_model_1();
    model.user_defined_metadata = Some(serde_json::json!({"note": "é中😀"}));
    model.model_topology.as_mut().unwrap()["config"]["name"] = Value::String("modèle".into());
    let res = store.save_sync("ü", &model).unwrap();
    let topo = store
        .get_item("tensorflowjs_models/ü/model_topology")
        .unwrap()
        .unwrap();
    assert!(topo.contains("\"modèle\""), "non-ASCII kept raw");
    assert_eq!(
        res.model_artifacts_info.model_topology_bytes,
        topo.len() as u64
    );
    let total: u64 = store
        .items()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.encode_utf16().count() + v.encode_utf16().count()) as u64)
        .sum();
    assert_eq!(store.used_units().unwrap(), total);
    let back = store.load_sync("ü").unwrap();
    assert_eq!(back.user_defined_metadata, model.user_defined_metadata);
}

#[tokio::test]
async fn stores_work_through_the_router() {
    let p = test_profile();
    let model = artifacts_from_dump(&dump04(), "my-model-opt");
    for url in ["localstorage://a/b", "indexeddb://a/b", "downloads://a-b"] {
        let (store, u) = p.router.resolve(url).unwrap();
        store.save(&u, &model).await.unwrap();
        let back = store.load(&u).await.unwrap();
        assert_eq!(back.model_topology, model.model_topology, "{url}");
        assert_eq!(back.weight_specs, model.weight_specs, "{url}");
        assert_eq!(
            back.weight_data.contiguous(),
            model.weight_data.contiguous(),
            "{url}"
        );
        assert_eq!(back.training_config, model.training_config, "{url}");
        assert_eq!(
            back.user_defined_metadata, model.user_defined_metadata,
            "{url}"
        );
    }
    let ls_list = p
        .router
        .store("localstorage")
        .unwrap()
        .list(&ModelUrl::parse("localstorage://").unwrap())
        .await
        .unwrap();
    assert_eq!(ls_list[0].0, "localstorage://a/b");
}

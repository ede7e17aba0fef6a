//! Model management (tfjs_io::management) over the native stores, replayed
//! against the browser's model-management captures.

mod common;

use common::*;
use serde_json::Value;
use std::sync::Arc;
use tfjs_format::ModelArtifactsInfo;
use tfjs_io::conformance::FlipOnLoad;
use tfjs_io::management::{copy_model, list_models, move_model, remove_model};
use tfjs_io::{memory::MemoryStore, IoError, Router};
use tfjs_store::{IndexedDbStore, LocalStorageStore};

fn mm(name: &str) -> Value {
    read_json(&browser(&format!("model-management/{name}.json")))
}

fn info_fields(i: &ModelArtifactsInfo) -> (String, u64, u64, u64) {
    (
        i.model_topology_type.clone(),
        i.model_topology_bytes,
        i.weight_specs_bytes,
        i.weight_data_bytes,
    )
}

fn fixture_info_fields(v: &Value) -> (String, u64, u64, u64) {
    (
        v["modelTopologyType"].as_str().unwrap().to_string(),
        v["modelTopologyBytes"].as_u64().unwrap(),
        v["weightSpecsBytes"].as_u64().unwrap(),
        v["weightDataBytes"].as_u64().unwrap(),
    )
}

fn fixture_date(v: &Value) -> String {
    match &v["dateSaved"] {
        Value::String(s) => s.clone(),
        d => d["iso"].as_str().unwrap().to_string(),
    }
}

/// Our listModels() equals the capture's: same URLs and info (dates aside).
async fn assert_list_matches(p: &TestProfile, capture: &Value, what: &str) {
    let ours = list_models(&p.router, None).await.unwrap();
    let theirs = capture["listModelsAfter"]["result"].as_object().unwrap();
    let mut our_urls: Vec<&str> = ours.iter().map(|(u, _)| u.as_str()).collect();
    let mut their_urls: Vec<&str> = theirs.keys().map(String::as_str).collect();
    our_urls.sort();
    their_urls.sort();
    assert_eq!(our_urls, their_urls, "{what}");
    for (url, info) in &ours {
        assert_eq!(
            info_fields(info),
            fixture_info_fields(&theirs[url]),
            "{what}: {url}"
        );
    }
}

/// localStorage keys and (non-info) values and IndexedDB keys equal the capture's.
fn assert_storage_matches(p: &TestProfile, capture: &Value, what: &str) {
    let ls = LocalStorageStore::new(p.profile.clone());
    let mut ours = ls.items().unwrap();
    let mut theirs = dump_local_storage(capture);
    ours.sort();
    theirs.sort();
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for ((k1, v1), (k2, v2)) in ours.iter().zip(&theirs) {
        assert_eq!(k1, k2, "{what}");
        if k1.ends_with("/info") {
            assert_eq!(undate(v1), undate(v2), "{what}: {k1}");
        } else {
            assert_eq!(v1, v2, "{what}: {k1}");
        }
    }
    let idb = IndexedDbStore::new(p.profile.clone());
    let ours = listed_paths(idb.list_sync("").unwrap());
    for store in ["model_info_store", "models_store"] {
        let theirs: Vec<String> = dump_idb_records(capture, store)
            .iter()
            .map(|r| r["modelPath"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ours, theirs, "{what}: {store}");
    }
}

/// One step of the browser session against its capture `name` (numbered
/// `NN-…`): the info the step returned, when it returns one, then the
/// listing and both stores.
async fn assert_step(p: &TestProfile, name: &str, result: Option<&ModelArtifactsInfo>) {
    let c = mm(name);
    let step = &name[..2];
    if let Some(info) = result {
        assert_eq!(
            info_fields(info),
            fixture_info_fields(&c["outcome"]["result"]),
            "{step}"
        );
    }
    assert_list_matches(p, &c, step).await;
    assert_storage_matches(p, &c, step);
}

/// The browser session: my-model-1 and my-model-opt in both stores.
async fn browser_state() -> TestProfile {
    let p = test_profile();
    let d = dump04();
    for path in ["my-model-1", "my-model-opt"] {
        let m = artifacts_from_dump(&d, path);
        p.router
            .save(&format!("localstorage://{path}"), &m)
            .await
            .unwrap();
        p.router
            .save(&format!("indexeddb://{path}"), &m)
            .await
            .unwrap();
    }
    p
}

#[tokio::test]
async fn replay_of_the_browser_model_management_session() {
    let p = browser_state().await;
    let c01 = mm("01-listModels");
    assert_list_matches(&p, &c01, "01").await;

    // A copy, then a move across stores: both return the copied info.
    for (step, src, dst, moves) in [
        (
            "02-copyModel-localstorage-my-model-1-to-indexeddb-copy-1",
            "localstorage://my-model-1",
            "indexeddb://copy-1",
            false,
        ),
        (
            "03-moveModel-indexeddb-copy-1-to-localstorage-moved-1",
            "indexeddb://copy-1",
            "localstorage://moved-1",
            true,
        ),
    ] {
        let info = if moves {
            move_model(&p.router, src, dst).await
        } else {
            copy_model(&p.router, src, dst).await
        };
        assert_step(&p, step, Some(&info.unwrap())).await;
    }

    let moved = move_model(
        &p.router,
        "localstorage://moved-1",
        "localstorage://moved-2",
    )
    .await
    .unwrap();
    assert_step(
        &p,
        "04-moveModel-localstorage-moved-1-to-localstorage-moved-2",
        None,
    )
    .await;

    // removeModel returns the stored info (the date of the move's save).
    let removed = remove_model(&p.router, "localstorage://moved-2")
        .await
        .unwrap();
    assert_eq!(removed, moved);
    assert_step(&p, "05-removeModel-localstorage-moved-2", Some(&removed)).await;

    let listed = list_models(&p.router, Some("indexeddb")).await.unwrap();
    let opt_date = listed
        .iter()
        .find(|(u, _)| u == "indexeddb://my-model-opt")
        .unwrap()
        .1
        .date_saved
        .clone();
    let removed = remove_model(&p.router, "indexeddb://my-model-opt")
        .await
        .unwrap();
    assert_eq!(removed.date_saved, opt_date);
    assert_step(&p, "06-removeModel-indexeddb-my-model-opt", Some(&removed)).await;

    let removed = remove_model(&p.router, "localstorage://my-model-opt")
        .await
        .unwrap();
    assert_step(
        &p,
        "07-removeModel-localstorage-my-model-opt",
        Some(&removed),
    )
    .await;

    // 09/10: nested paths with spaces.
    let model = my_model_1();
    for s in ["localstorage", "indexeddb"] {
        p.router
            .save(&format!("{s}://nested/dir/model 2"), &model)
            .await
            .unwrap();
    }
    assert_step(&p, "09-save-nested-paths", None).await;
    for s in ["localstorage", "indexeddb"] {
        remove_model(&p.router, &format!("{s}://nested/dir/model 2"))
            .await
            .unwrap();
    }
    assert_step(&p, "10-remove-nested-paths", None).await;
    // The final browser state.
    assert_storage_matches(&p, &read_json(&browser("storage/99-final.json")), "99");
    // dateSaved of the original save is kept by list (ISO string).
    let all = list_models(&p.router, Some("localstorage://"))
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0].1.date_saved.len(),
        fixture_date(&c01["outcome"]["result"]["localstorage://my-model-1"]).len()
    );
}

#[tokio::test]
async fn error_texts_are_tensorflowjs_s() {
    let p = browser_state().await;
    let cases = mm("08-error-cases");
    let msg = |name: &str| {
        cases["outcome"]["result"][name]["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}"))
            .to_string()
    };
    let r = &p.router;
    let e = |x: Result<ModelArtifactsInfo, IoError>| x.unwrap_err().to_string();
    // (what this router answered, the browser capture's case)
    let answers = [
        (
            e(remove_model(r, "localstorage://nope").await),
            "removeModel(localstorage://nope)",
        ),
        (
            e(remove_model(r, "indexeddb://nope").await),
            "removeModel(indexeddb://nope)",
        ),
        (
            e(copy_model(r, "localstorage://my-model-1", "localstorage://my-model-1").await),
            "copyModel(localstorage://my-model-1, localstorage://my-model-1)",
        ),
        (
            e(copy_model(r, "localstorage://nope", "indexeddb://x").await),
            "copyModel(localstorage://nope, indexeddb://x)",
        ),
        (
            e(copy_model(r, "indexeddb://nope", "localstorage://x").await),
            "copyModel(indexeddb://nope, localstorage://x)",
        ),
        (
            e(move_model(r, "localstorage://my-model-1", "foo://bar").await),
            "moveModel(localstorage://my-model-1, foo://bar)",
        ),
        (
            e(remove_model(r, "foo://bar").await),
            "removeModel(foo://bar)",
        ),
    ];
    for (got, case) in answers {
        assert_eq!(got, msg(case), "{case}");
    }
    // "Supported schemes are: …" lists this router's schemes (the browser's
    // registered localstorage,indexeddb).
    let no_scheme = e(remove_model(r, "no-scheme").await);
    let want = msg("removeModel(no-scheme)");
    let head = want.split("Supported schemes are: ").next().unwrap();
    assert_eq!(
        no_scheme,
        format!("{head}Supported schemes are: {}", r.schemes().join(","))
    );
    assert!(no_scheme.contains("localstorage") && no_scheme.contains("indexeddb"));
    assert_eq!(
        e(copy_model(r, "foo://a", "localstorage://x").await),
        "Copying failed because no load handler is found for source URL foo://a."
    );
    assert_eq!(
        e(list_models(r, Some("foo://"))
            .await
            .map(|_| ModelArtifactsInfo {
                date_saved: String::new(),
                model_topology_type: String::new(),
                model_topology_bytes: 0,
                weight_specs_bytes: 0,
                weight_data_bytes: 0
            })),
        "Cannot find model manager for scheme 'foo'"
    );
    // Nothing changed.
    assert_list_matches(&p, &mm("01-listModels"), "after errors").await;
}

#[tokio::test]
async fn same_model_under_another_spelling_is_refused() {
    let p = test_profile();
    let model = my_model_1();
    let dir = p.dir.path().join("m");
    let a = format!("file://{}", dir.display());
    let b = format!("file://{}/./model.json", dir.display());
    p.router.save(&a, &model).await.unwrap();
    let err = move_model(&p.router, &a, &b).await.unwrap_err().to_string();
    assert_eq!(err, format!("Old path and new path are the same: '{a}'"));
    assert!(p.router.load(&a).await.is_ok(), "model must survive");
    let err = move_model(&p.router, "downloads://", "downloads://model")
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(err, "Old path and new path are the same: 'downloads://'");
}

#[tokio::test]
async fn copy_and_move_across_every_scheme_keep_the_model() {
    let p = test_profile();
    let model = artifacts_from_dump(&dump04(), "my-model-opt");
    p.router.save("localstorage://start", &model).await.unwrap();
    let dir = p.dir.path().join("files");
    let chain = [
        "localstorage://start".to_string(),
        "indexeddb://a".to_string(),
        format!("file://{}", dir.join("b").display()),
        "downloads://c".to_string(),
        format!("file://{}", dir.join("d").display()),
        "localstorage://end".to_string(),
    ];
    for w in chain.windows(2) {
        // downloads:// has no remove: moving out of it copies, then says so.
        if w[0].starts_with("downloads://") {
            let err = move_model(&p.router, &w[0], &w[1])
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains("could not remove the source"), "{err}");
        } else {
            move_model(&p.router, &w[0], &w[1]).await.unwrap();
            assert!(p.router.load(&w[0]).await.is_err(), "{} still there", w[0]);
        }
    }
    let end = p.router.load("localstorage://end").await.unwrap();
    assert_eq!(end.model_topology, model.model_topology);
    assert_eq!(end.weight_specs, model.weight_specs);
    assert_same_weight_bytes(&end, &model);
    assert_eq!(end.training_config, model.training_config);
    assert_eq!(end.user_defined_metadata, model.user_defined_metadata);
    // file:// dirs are listed too.
    let files = list_models(&p.router, Some(&format!("file://{}", dir.display())))
        .await
        .unwrap();
    assert!(files.is_empty(), "moved away: {files:?}");
    copy_model(
        &p.router,
        "localstorage://end",
        &format!("file://{}", dir.join("e").display()),
    )
    .await
    .unwrap();
    let files = list_models(&p.router, Some(&format!("file://{}", dir.display())))
        .await
        .unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].1.weight_data_bytes, 96);
}

#[tokio::test]
async fn a_failed_destination_save_keeps_the_source() {
    // The capture: TF.js moveModel('indexeddb://big-idb', 'localstorage://big-ls')
    // fails on quota and the model is gone from both stores.
    let q = read_json(&browser("quota/localstorage-quota.json"))["outcome"]["result"].clone();
    assert_eq!(q["listAfterFailedMove"].as_array().unwrap().len(), 2);
    let p = test_profile_with(|o| o.local_storage_quota(1500));
    let model = artifacts_from_dump(&dump04(), "my-model-opt");
    p.router.save("indexeddb://big-idb", &model).await.unwrap();
    let before = LocalStorageStore::new(p.profile.clone()).items().unwrap();
    let err = move_model(&p.router, "indexeddb://big-idb", "localstorage://big-ls")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "Failed to save model 'big-ls' to local storage: size quota being exceeded"
        ),
        "{err}"
    );
    assert!(
        err.ends_with("(nothing was moved: indexeddb://big-idb is unchanged)"),
        "{err}"
    );
    let still = p.router.load("indexeddb://big-idb").await.unwrap();
    assert_same_weight_bytes(&still, &model);
    assert_eq!(
        LocalStorageStore::new(p.profile.clone()).items().unwrap(),
        before
    );
}

#[tokio::test]
async fn a_copy_that_does_not_verify_keeps_the_source() {
    let mut p = test_profile();
    // A store that saves into memory but hands back a corrupted copy.
    p.router.register(Arc::new(FlipOnLoad(MemoryStore::new())));
    let model = my_model_1();
    p.router.save("localstorage://src", &model).await.unwrap();
    let err = move_model(&p.router, "localstorage://src", "memory://dst")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("weight SHA-256") && err.contains("was not removed"),
        "{err}"
    );
    let still = p.router.load("localstorage://src").await.unwrap();
    assert_same_weight_bytes(&still, &model);
}

#[tokio::test]
async fn list_accepts_scheme_names_and_prefixes() {
    let p = browser_state().await;
    let a = list_models(&p.router, Some("localstorage")).await.unwrap();
    let b = list_models(&p.router, Some("localstorage://"))
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 2);
    let c = list_models(&p.router, Some("indexeddb://my-model-o"))
        .await
        .unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].0, "indexeddb://my-model-opt");
    let router = Router::new();
    assert!(list_models(&router, None).await.unwrap().is_empty());
}

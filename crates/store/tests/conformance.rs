//! The store contract (`tfjs_io::conformance`) for localstorage://,
//! indexeddb:// and downloads://, plus the SQLite stores' handling of a
//! corrupt info row (issue 15.10) and the quota message (issue 12).

mod common;
use common::*;
use tfjs_io::conformance::{self, Supports};
use tfjs_io::{management, ModelStore, ModelUrl};
use tfjs_store::{DownloadsStore, IndexedDbStore, LocalStorageStore};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn localstorage_conforms() {
    let p = test_profile();
    let store = LocalStorageStore::new(p.profile.clone());
    rt().block_on(conformance::run(
        &store,
        "localstorage://conf",
        Supports::ALL,
    ));
}

#[test]
fn indexeddb_conforms() {
    let p = test_profile();
    let store = IndexedDbStore::new(p.profile.clone());
    rt().block_on(conformance::run(&store, "indexeddb://conf", Supports::ALL));
}

#[test]
fn downloads_conforms() {
    let p = test_profile();
    let store = DownloadsStore::new(&p.profile);
    let supports = Supports {
        list: None,
        remove: false,
        save_new: false,
    };
    rt().block_on(conformance::run(&store, "downloads://conf", supports));
    let json = p.profile.downloads_dir().join("paths.json");
    let write = move |bytes: Vec<u8>| {
        std::fs::write(&json, bytes).unwrap();
        Box::pin(async {}) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
    };
    rt().block_on(conformance::refuses_unsafe_paths(
        &store,
        "downloads://paths",
        &write,
    ));
}

fn corrupt(p: &TestProfile, sql: &str) {
    let conn = rusqlite::Connection::open(p.profile.database_path()).unwrap();
    conn.execute(sql, []).unwrap();
}

/// One corrupt info value used to make `ls` fail for every model and `rm`
/// of that model fail: now it is skipped with a warning, and removed by key.
#[test]
fn a_corrupt_info_row_hides_only_its_own_model() {
    let p = test_profile();
    let rt = rt();
    let model = conformance::sample_model(1);
    for scheme in ["localstorage", "indexeddb"] {
        for name in ["good", "bad"] {
            rt.block_on(p.router.save(&format!("{scheme}://{name}"), &model))
                .unwrap();
        }
    }
    corrupt(
        &p,
        "UPDATE local_storage SET value = '{\"dateSaved\": 7' WHERE key = 'tensorflowjs_models/bad/info'",
    );
    corrupt(
        &p,
        "UPDATE model_info_store SET model_artifacts_info = 'not json' WHERE model_path = 'bad'",
    );
    let listed = rt
        .block_on(management::list_models(&p.router, None))
        .unwrap();
    let urls: Vec<&str> = listed.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(urls, ["localstorage://good", "indexeddb://good"]);
    for scheme in ["localstorage", "indexeddb"] {
        let url = format!("{scheme}://bad");
        let info = rt
            .block_on(management::remove_model(&p.router, &url))
            .unwrap();
        assert_eq!(
            info.weight_data_bytes,
            model.weight_data.len() as u64,
            "{url}"
        );
        let (store, u) = p.router.resolve(&url).unwrap();
        assert!(rt.block_on(store.load(&u)).is_err(), "{url} still loads");
    }
}

/// The quota error gives TensorFlow.js's text, then the model's size and
/// the quota.
#[test]
fn the_quota_error_gives_the_size_and_the_quota() {
    let p = test_profile_with(|o| o.local_storage_quota(200));
    let store = LocalStorageStore::new(p.profile.clone());
    let url = ModelUrl::parse("localstorage://big").unwrap();
    let e = rt()
        .block_on(store.save(&url, &conformance::sample_model(1)))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("Failed to save model 'big' to local storage: size quota being exceeded"),
        "{e}"
    );
    assert!(
        e.contains("over its quota of 200 units") && e.contains("The model takes "),
        "{e}"
    );
}

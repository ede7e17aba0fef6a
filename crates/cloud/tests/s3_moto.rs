//! s3:// against a real S3 API on loopback: moto in server mode.
//!
//! `scripts/test.sh` starts `moto_server` and exports `TFJS_S3_TEST_ENDPOINT`;
//! without it, each test run starts its own `moto_server` (from PATH) on a
//! free loopback port. Without moto installed these tests fail with a message
//! saying how to install it: they never pass silently.

use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tfjs_cloud::CloudStore;
use tfjs_format::{DType, ModelArtifacts, ModelJson, WeightData, WeightSpec};
use tfjs_io::{IoError, ModelStore, ModelUrl};

#[path = "support/models.rs"]
mod models;
#[path = "support/moto.rs"]
mod moto;

use models::{assert_same_model, fixture_dirs, fixture_name};

/// A store talking to moto, with a fresh bucket.
async fn store_with_bucket(bucket: &str) -> CloudStore {
    moto::create_bucket(bucket).await;
    CloudStore::new("s3")
        .unwrap()
        .with_client(bucket, Arc::new(moto::client(bucket)))
}

/// Read a fixture model directly (model.json + shards in manifest order).
fn read_fixture(dir: &Path) -> ModelArtifacts {
    let json_path = dir.join("model.json");
    let bytes = std::fs::read(&json_path).unwrap();
    let json = ModelJson::parse(&bytes, &json_path.display().to_string()).unwrap();
    let buffers = json
        .weight_paths()
        .map(|p| Bytes::from(std::fs::read(dir.join(p.trim_start_matches("./"))).unwrap()))
        .collect();
    json.into_artifacts(WeightData { buffers })
}

fn url(s: &str) -> ModelUrl {
    ModelUrl::parse(s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_round_trips_through_s3() {
    let store = store_with_bucket("fixtures").await.with_shard_size(100_000);
    for dir in fixture_dirs() {
        let name = fixture_name(&dir, "/");
        let original = read_fixture(&dir);
        let u = url(&format!("s3://fixtures/models/{name}"));
        store
            .save(&u, &original)
            .await
            .unwrap_or_else(|e| panic!("{name}: save: {e}"));
        let back = store
            .load(&u)
            .await
            .unwrap_or_else(|e| panic!("{name}: load: {e}"));
        assert_same_model(&original, &back, &name);
    }
    let listed = store.list(&url("s3://fixtures/models")).await.unwrap();
    assert_eq!(listed.len(), fixture_dirs().len(), "{listed:?}");
    let mlp = listed
        .iter()
        .find(|(u, _)| u == "s3://fixtures/models/tfjs/mlp")
        .expect("mlp listed");
    assert_eq!(mlp.1.weight_data_bytes, 1600);
    assert!(mlp.1.date_saved.ends_with('Z'), "{}", mlp.1.date_saved);

    let removed = store
        .remove(&url("s3://fixtures/models/tfjs/mlp"))
        .await
        .unwrap();
    assert_eq!(removed.weight_data_bytes, 1600);
    match store.load(&url("s3://fixtures/models/tfjs/mlp")).await {
        Err(IoError::NotFound { message, .. }) => assert!(
            message.contains("s3://fixtures/models/tfjs/mlp"),
            "{message}"
        ),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

fn big_model(mb: usize, seed: u32) -> ModelArtifacts {
    let floats = mb * 1024 * 1024 / 4;
    let per = floats / 4;
    let mut data = Vec::with_capacity(per * 4 * 4);
    let mut x = seed;
    for _ in 0..per * 4 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        data.extend_from_slice(&((x >> 8) as f32 / 16_777_216.0).to_le_bytes());
    }
    ModelArtifacts {
        model_topology: Some(
            serde_json::json!({"class_name": "Sequential", "config": {"name": "big", "layers": []}}),
        ),
        weight_specs: (0..4)
            .map(|i| {
                WeightSpec::new(
                    format!("dense_{i}/kernel"),
                    vec![per / 256, 256],
                    DType::Float32,
                )
            })
            .collect(),
        weight_data: WeightData::from_vec(data),
        format: Some("layers-model".into()),
        converted_by: Some(serde_json::Value::Null),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_model_round_trips_with_multipart_upload_and_progress() {
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let store = store_with_bucket("big")
        .await
        .with_shard_size(64 * 1024 * 1024)
        .with_progress(Arc::new(move |done, _total| {
            s.fetch_max(done, Ordering::Relaxed);
        }));
    let model = big_model(200, 7);
    let want = Sha256::digest(model.weight_data.contiguous());
    store.save(&url("s3://big/m"), &model).await.unwrap();
    assert_eq!(
        seen.load(Ordering::Relaxed),
        model.weight_data.len() as u64,
        "upload progress reached the total"
    );
    seen.store(0, Ordering::Relaxed);
    let back = store.load(&url("s3://big/m")).await.unwrap();
    assert_eq!(
        seen.load(Ordering::Relaxed),
        model.weight_data.len() as u64,
        "download progress reached the total"
    );
    assert_eq!(back.weight_specs, model.weight_specs);
    assert_eq!(Sha256::digest(back.weight_data.contiguous()), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_killed_halfway_leaves_the_old_model_whole() {
    let store = store_with_bucket("killed")
        .await
        .with_shard_size(256 * 1024)
        .with_concurrency(1);
    let old = big_model(4, 1);
    let u = url("s3://killed/m");
    store.save(&u, &old).await.unwrap();

    // Start replacing it and kill the save once some shards are up.
    let started = Arc::new(AtomicU64::new(0));
    let s = started.clone();
    let slow = store.clone().with_progress(Arc::new(move |done, _| {
        s.store(done, Ordering::Relaxed);
    }));
    let new = big_model(8, 2);
    let (u2, new2) = (u.clone(), new.clone());
    let task = tokio::spawn(async move { slow.save(&u2, &new2).await });
    while started.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    task.abort();
    let _ = task.await;
    assert!(
        started.load(Ordering::Relaxed) < new.weight_data.len() as u64,
        "the save was killed before it finished"
    );

    let back = store.load(&u).await.unwrap();
    assert_same_model(&old, &back, "old model after a killed save");

    // A killed first save of a new URL leaves nothing visible.
    let fresh = url("s3://killed/never");
    let started = Arc::new(AtomicU64::new(0));
    let s = started.clone();
    let slow = store.clone().with_progress(Arc::new(move |done, _| {
        s.store(done, Ordering::Relaxed);
    }));
    let task = tokio::spawn(async move { slow.save(&fresh, &new).await });
    while started.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    task.abort();
    let _ = task.await;
    assert!(matches!(
        store.load(&url("s3://killed/never")).await,
        Err(IoError::NotFound { .. })
    ));
    let listed: Vec<String> = store
        .list(&url("s3://killed"))
        .await
        .unwrap()
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    assert_eq!(listed, vec!["s3://killed/m".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_save_new_calls_have_exactly_one_winner() {
    let store = store_with_bucket("race").await;
    let a = big_model(1, 3);
    let b = big_model(1, 4);
    let u = url("s3://race/v1");
    let (sa, sb, ua, ub) = (store.clone(), store.clone(), u.clone(), u.clone());
    let (ra, rb) = tokio::join!(
        tokio::spawn(async move { sa.save_new(&ua, &a).await }),
        tokio::spawn(async move { sb.save_new(&ub, &b).await })
    );
    let results = [ra.unwrap(), rb.unwrap()];
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    let loser = results
        .iter()
        .find_map(|r| r.as_ref().err())
        .unwrap()
        .to_string();
    assert!(loser.contains("already exists"), "{loser}");
    // Whichever won, the stored model is whole.
    let back = store.load(&u).await.unwrap();
    let winners = [big_model(1, 3), big_model(1, 4)];
    assert!(winners
        .iter()
        .any(|w| w.weight_data.contiguous() == back.weight_data.contiguous()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_objects_get_clear_errors() {
    let store = store_with_bucket("corrupt").await;
    let model = big_model(1, 5);
    let u = url("s3://corrupt/m");
    store.save(&u, &model).await.unwrap();
    // Replace the shard with an HTML error page, as a misconfigured proxy would.
    let json = store.load(&u).await.unwrap();
    assert_eq!(json.weight_specs, model.weight_specs);
    let endpoint = moto::endpoint();
    let listing = reqwest::get(format!("{endpoint}/corrupt?list-type=2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let shard = listing
        .split("<Key>")
        .skip(1)
        .map(|s| s.split("</Key>").next().unwrap().to_string())
        .find(|k| k.ends_with(".bin"))
        .unwrap_or_else(|| panic!("no shard in the listing: {listing}"));
    use object_store::ObjectStore;
    moto::client("corrupt")
        .put(
            &object_store::path::Path::from(shard.as_str()),
            Bytes::from_static(b"<!DOCTYPE html><html>Not Found</html>").into(),
        )
        .await
        .unwrap();
    let err = store.load(&u).await.unwrap_err().to_string();
    assert!(
        err.contains(&shard) && err.contains("HTML") && err.contains("expected 1048576 bytes"),
        "{err}"
    );

    let err = store
        .load(&url("s3://corrupt/missing"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("s3://corrupt/missing"), "{err}");
}

/// The store contract (`tfjs_io::conformance`), on moto.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_conforms() {
    use tfjs_io::conformance::{self, Supports};
    let store = store_with_bucket("conform").await;
    let supports = Supports {
        list: Some("s3://conform"),
        ..Supports::ALL
    };
    conformance::run(&store, "s3://conform/m", supports).await;
    let write = |bytes: Vec<u8>| {
        Box::pin(async move {
            use object_store::ObjectStore;
            moto::client("conform")
                .put(
                    &object_store::path::Path::from("paths/model.json"),
                    Bytes::from(bytes).into(),
                )
                .await
                .unwrap();
        }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
    };
    conformance::refuses_unsafe_paths(&store, "s3://conform/paths", &write).await;
}

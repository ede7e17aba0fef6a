//! `tf.io.copyModel` / `moveModel` (tfjs_io::management) between file://
//! (a temp dir) and s3:// (moto on loopback), both ways: every fixture
//! survives the trip byte for byte, and a move removes its source only after
//! the copy was read back and verified.
//!
//! `scripts/test.sh` starts `moto_server` and exports `TFJS_S3_TEST_ENDPOINT`;
//! without it this test binary starts its own `moto_server` from PATH.

use std::path::Path;
use std::sync::Arc;
use tfjs_cloud::CloudStore;
use tfjs_io::conformance::FlipOnLoad;
use tfjs_io::file::FileStore;
use tfjs_io::{management, IoError, ModelStore, ModelUrl, Router};

#[path = "support/models.rs"]
mod models;
#[path = "support/moto.rs"]
mod moto;

use models::{assert_same_model, fixture_dirs, fixture_name, fixtures};

async fn s3_store(bucket: &str) -> CloudStore {
    moto::create_bucket(bucket).await;
    let client = moto::client(bucket);
    CloudStore::new("s3")
        .unwrap()
        .with_client(bucket, Arc::new(client))
        .with_shard_size(100_000)
}

fn router_with(s3: Arc<dyn ModelStore>) -> Router {
    let mut r = Router::new();
    r.register(Arc::new(FileStore::new()));
    r.register(s3);
    r
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_copies_file_to_s3_and_back() {
    let router = router_with(Arc::new(s3_store("mgmt-copy").await));
    let tmp = tempfile::tempdir().unwrap();
    for dir in fixture_dirs() {
        let name = fixture_name(&dir, "-");
        let src = file_url(&dir);
        let original = router.load(&src).await.unwrap();
        let s3 = format!("s3://mgmt-copy/copies/{name}");
        let info = management::copy_model(&router, &src, &s3)
            .await
            .unwrap_or_else(|e| panic!("{name}: file -> s3: {e}"));
        assert_eq!(info.weight_data_bytes, original.weight_data.len() as u64);
        assert_same_model(
            &original,
            &router.load(&s3).await.unwrap(),
            &format!("{name} on s3"),
        );

        let back = tmp.path().join(&name);
        management::copy_model(&router, &s3, &file_url(&back))
            .await
            .unwrap_or_else(|e| panic!("{name}: s3 -> file: {e}"));
        assert_same_model(
            &original,
            &router.load(&file_url(&back)).await.unwrap(),
            &format!("{name} back on file"),
        );
        // Copies never touch their source.
        assert!(
            router.load(&s3).await.is_ok(),
            "{name}: s3 copy still there"
        );
    }
    let listed = management::list_models(&router, Some("s3://mgmt-copy/copies"))
        .await
        .unwrap();
    assert_eq!(listed.len(), fixture_dirs().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_between_file_and_s3_remove_the_source_only_after_the_copy_is_verified() {
    let router = router_with(Arc::new(s3_store("mgmt-move").await));
    let tmp = tempfile::tempdir().unwrap();
    let fixture = file_url(&fixtures().join("tfjs/cnn"));
    let original = router.load(&fixture).await.unwrap();
    let a = file_url(&tmp.path().join("a"));
    management::copy_model(&router, &fixture, &a).await.unwrap();

    // file -> s3
    let s3 = "s3://mgmt-move/models/cnn";
    let info = management::move_model(&router, &a, s3).await.unwrap();
    assert_eq!(info.weight_data_bytes, original.weight_data.len() as u64);
    assert!(
        !tmp.path().join("a/model.json").exists(),
        "the file source is removed after a verified move"
    );
    assert!(matches!(
        router.load(&a).await,
        Err(IoError::NotFound { .. })
    ));
    assert_same_model(&original, &router.load(s3).await.unwrap(), "moved to s3");

    // s3 -> file
    let b = file_url(&tmp.path().join("b"));
    management::move_model(&router, s3, &b).await.unwrap();
    match router.load(s3).await {
        Err(IoError::NotFound { .. }) => {}
        other => panic!("the s3 source should be gone, got {other:?}"),
    }
    assert!(
        management::list_models(&router, Some("s3://mgmt-move/models"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_same_model(
        &original,
        &router.load(&b).await.unwrap(),
        "moved back to file",
    );

    // A move whose save fails (no such bucket) leaves the source whole.
    let err = management::move_model(&router, &b, "s3://no-such-bucket-tfjs/m")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("is unchanged"), "{err}");
    assert_same_model(
        &original,
        &router.load(&b).await.unwrap(),
        "after a failed move",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_to_s3_whose_copy_reads_back_different_keeps_the_source() {
    let s3 = s3_store("mgmt-verify").await;
    let router = router_with(Arc::new(FlipOnLoad(s3.clone())));
    let tmp = tempfile::tempdir().unwrap();
    let src = file_url(&tmp.path().join("m"));
    management::copy_model(&router, &file_url(&fixtures().join("tfjs/mlp")), &src)
        .await
        .unwrap();
    let before = router.load(&src).await.unwrap();

    let err = management::move_model(&router, &src, "s3://mgmt-verify/m")
        .await
        .unwrap_err()
        .to_string();
    for part in ["differs", "was not removed"] {
        assert!(err.contains(part), "{err}");
    }
    assert!(tmp.path().join("m/model.json").exists());
    assert_same_model(
        &before,
        &router.load(&src).await.unwrap(),
        "source after a refused move",
    );
    // What S3 holds is the true copy; only the read-back was corrupted.
    let stored = s3
        .load(&ModelUrl::parse("s3://mgmt-verify/m").unwrap())
        .await
        .unwrap();
    assert_same_model(&before, &stored, "the s3 copy");
}

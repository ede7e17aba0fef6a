//! `tf.io.copyModel` / `moveModel` (tfjs_io::management) between file://
//! (a temp dir) and s3:// (moto on loopback), both ways: every fixture
//! survives the trip byte for byte, and a move removes its source only after
//! the copy was read back and verified.
//!
//! `scripts/test.sh` starts `moto_server` and exports `TFJS_S3_TEST_ENDPOINT`;
//! without it this test binary starts its own `moto_server` from PATH.

use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tfjs_cloud::CloudStore;
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, SaveResult, WeightData};
use tfjs_io::file::FileStore;
use tfjs_io::{management, IoError, ModelStore, ModelUrl, Router};

#[path = "support/moto.rs"]
mod moto;

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

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn fixture_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for family in ["tfjs", "keras"] {
        for e in std::fs::read_dir(fixtures().join(family)).unwrap() {
            let p = e.unwrap().path();
            if p.join("model.json").exists() {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(
        out.len() >= 15,
        "expected the shared fixtures, found {}",
        out.len()
    );
    out
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// Same model as TensorFlow.js would see it: topology and metadata (as
/// re-serialized JSON, so `6.0` and `6` are one number), specs, weight bytes.
fn assert_same_model(a: &ModelArtifacts, b: &ModelArtifacts, what: &str) {
    let js = |t: &Option<serde_json::Value>| {
        t.as_ref()
            .map(|v| tfjs_format::JsonStyle::Browser.to_string(v))
    };
    assert_eq!(
        js(&a.model_topology),
        js(&b.model_topology),
        "{what}: topology"
    );
    assert_eq!(
        a.weight_specs.len(),
        b.weight_specs.len(),
        "{what}: weight count"
    );
    for (x, y) in a.weight_specs.iter().zip(&b.weight_specs) {
        assert_eq!(
            (&x.name, &x.shape, x.dtype, &x.group),
            (&y.name, &y.shape, y.dtype, &y.group),
            "{what}: weight spec"
        );
        // Numbers by value: `6.2e-05` and `0.000062` are one number.
        let q = |s: &tfjs_format::WeightSpec| {
            s.quantization.as_ref().map(|q| {
                (
                    q.dtype,
                    q.min_f64(),
                    q.scale_f64(),
                    q.original_dtype.clone(),
                )
            })
        };
        assert_eq!(q(x), q(y), "{what}: quantization of {}", x.name);
    }
    assert_eq!(
        a.weight_data.contiguous(),
        b.weight_data.contiguous(),
        "{what}: weight bytes"
    );
    assert_eq!(
        js(&a.training_config),
        js(&b.training_config),
        "{what}: trainingConfig"
    );
    assert_eq!(
        js(&a.user_defined_metadata),
        js(&b.user_defined_metadata),
        "{what}: userDefinedMetadata"
    );
    assert_eq!(a.format, b.format, "{what}: format");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_copies_file_to_s3_and_back() {
    let router = router_with(Arc::new(s3_store("mgmt-copy").await));
    let tmp = tempfile::tempdir().unwrap();
    for dir in fixture_dirs() {
        let name = format!(
            "{}-{}",
            dir.parent().unwrap().file_name().unwrap().to_str().unwrap(),
            dir.file_name().unwrap().to_str().unwrap()
        );
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

/// s3:// whose loads hand back one flipped weight byte: what a corrupting
/// store or network would do. Saves go to S3 unchanged.
#[derive(Debug)]
struct FlipOnLoad(CloudStore);

#[async_trait]
impl ModelStore for FlipOnLoad {
    fn scheme(&self) -> &str {
        "s3"
    }
    async fn load(&self, url: &ModelUrl) -> tfjs_io::Result<ModelArtifacts> {
        let mut a = self.0.load(url).await?;
        let mut bytes = a.weight_data.contiguous().to_vec();
        if let Some(b) = bytes.last_mut() {
            *b ^= 1;
        }
        a.weight_data = WeightData::from_vec(bytes);
        Ok(a)
    }
    async fn save(&self, url: &ModelUrl, a: &ModelArtifacts) -> tfjs_io::Result<SaveResult> {
        self.0.save(url, a).await
    }
    async fn list(&self, p: &ModelUrl) -> tfjs_io::Result<Vec<(String, ModelArtifactsInfo)>> {
        self.0.list(p).await
    }
    async fn remove(&self, url: &ModelUrl) -> tfjs_io::Result<ModelArtifactsInfo> {
        self.0.remove(url).await
    }
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
    assert!(
        err.contains("differs") && err.contains("was not removed"),
        "{err}"
    );
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

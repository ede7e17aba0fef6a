//! One server over a single-process store (file://, memory://: no
//! create-if-absent saves): concurrent uploads to one name still become
//! distinct, whole versions, and versions written behind the server's back
//! are never overwritten.

mod support;

use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use support::{fixtures, hex, load_served, node_capture, post_to, read};
use tfjs_io::file::FileStore;
use tfjs_io::memory::MemoryStore;
use tfjs_io::{ModelStore, ModelUrl};
use tfjs_server::{Server, ServerConfig};

/// (content-type, captured TensorFlow.js request body, sha256 of weights.bin)
fn capture(model: &str) -> (String, Vec<u8>, String) {
    let (ct, body) = node_capture(model);
    let weights = read(format!("tfjs/{model}/weights.bin"));
    (ct, body, hex(&Sha256::digest(weights)))
}

async fn serve(
    store: Arc<dyn ModelStore>,
    root: &str,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let config = ServerConfig {
        refresh_interval: Duration::ZERO,
        ..Default::default()
    };
    let server = Server::open(config, store, root).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve_with_shutdown(listener, async {
        let _ = rx.await;
    }));
    (base, tx)
}

/// The weights of a served version, read through its blobs.
async fn served_weights(base: &str, path: &str) -> Vec<u8> {
    let loaded = load_served(base, path).await;
    loaded.weight_data.contiguous().to_vec()
}

async fn eight_concurrent_uploads(base: &str) -> BTreeMap<u64, String> {
    let models = ["mlp", "trained"];
    let mut tasks = Vec::new();
    for i in 0..8 {
        let model = models[i % 2];
        let (ct, body, sha) = capture(model);
        let base = base.to_string();
        tasks.push(tokio::spawn(async move {
            let (status, info) = post_to(&base, "same", &ct, body).await;
            assert_eq!(status, StatusCode::CREATED, "{info}");
            (info["version"].as_u64().unwrap(), sha)
        }));
    }
    let mut claimed = BTreeMap::new();
    for t in tasks {
        let (v, sha) = t.await.unwrap();
        assert!(
            claimed.insert(v, sha).is_none(),
            "v{v} was answered to two uploads"
        );
    }
    assert_eq!(
        claimed.keys().copied().collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    for (v, sha) in &claimed {
        let w = served_weights(base, &format!("/models/same/v{v}/model.json")).await;
        assert_eq!(&hex(&Sha256::digest(&w)), sha, "v{v} is whole");
    }
    claimed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_to_one_name_on_a_memory_store_are_distinct_versions() {
    let store = Arc::new(MemoryStore::new());
    let (base, _stop) = serve(store.clone(), "memory://conc").await;
    eight_concurrent_uploads(&base).await;
    assert_eq!(store.names().len(), 8, "{:?}", store.names());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_to_one_name_on_a_file_store_are_distinct_versions() {
    let dir = tempfile::tempdir().unwrap();
    let root = format!("file://{}", dir.path().display());
    let (base, _stop) = serve(Arc::new(FileStore::new()), &root).await;
    eight_concurrent_uploads(&base).await;
    for v in 1..=8 {
        assert!(dir.path().join(format!("same/v{v}/model.json")).is_file());
    }
}

#[tokio::test]
async fn a_version_written_behind_the_servers_back_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let root = format!("file://{}", dir.path().display());
    let store = Arc::new(FileStore::new());
    let (base, _stop) = serve(store.clone(), &root).await;

    // Another tool (e.g. `tfjs cp`) stores v1 of "m" after the server started.
    let behind = ModelUrl::parse(&format!("{root}/m/v1")).unwrap();
    let mlp_dir = fixtures().join("tfjs/mlp");
    let original = store
        .load(&ModelUrl::parse(&format!("file://{}", mlp_dir.display())).unwrap())
        .await
        .unwrap();
    store.save(&behind, &original).await.unwrap();

    let (ct, body, trained_sha) = capture("trained");
    let (status, info) = post_to(&base, "m", &ct, body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(info["version"], 2, "{info}");

    let v1 = store.load(&behind).await.unwrap();
    assert_eq!(
        v1.weight_data.contiguous(),
        original.weight_data.contiguous(),
        "v1 was left alone"
    );
    let w = served_weights(&base, "/models/m/v2/model.json").await;
    assert_eq!(hex(&Sha256::digest(&w)), trained_sha);
    // v1 is found by the re-scan a miss triggers.
    let w = served_weights(&base, "/models/m/v1/model.json").await;
    assert_eq!(w, original.weight_data.contiguous().to_vec());
}

/// A memory store that counts full-root listings (catalog scans).
#[derive(Debug)]
struct CountingStore {
    inner: MemoryStore,
    scans: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl ModelStore for CountingStore {
    fn scheme(&self) -> &str {
        "memory"
    }
    async fn load(&self, url: &ModelUrl) -> tfjs_io::Result<tfjs_format::ModelArtifacts> {
        self.inner.load(url).await
    }
    async fn save(
        &self,
        url: &ModelUrl,
        a: &tfjs_format::ModelArtifacts,
    ) -> tfjs_io::Result<tfjs_format::SaveResult> {
        self.inner.save(url, a).await
    }
    async fn list(
        &self,
        prefix: &ModelUrl,
    ) -> tfjs_io::Result<Vec<(String, tfjs_format::ModelArtifactsInfo)>> {
        if prefix.path == "count/" {
            self.scans.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        self.inner.list(prefix).await
    }
    async fn remove(&self, url: &ModelUrl) -> tfjs_io::Result<tfjs_format::ModelArtifactsInfo> {
        self.inner.remove(url).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_misses_shares_one_scan_and_each_later_miss_gets_a_fresh_one() {
    use std::sync::atomic::Ordering::SeqCst;
    let store = Arc::new(CountingStore {
        inner: MemoryStore::new(),
        scans: Default::default(),
    });
    let (base, _stop) = serve(store.clone(), "memory://count").await;
    assert_eq!(store.scans.load(SeqCst), 1, "the startup scan");

    // 30 requests for unknown models at once.
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (client, url) = (client.clone(), format!("{base}/models/nope{i}/model.json"));
        tasks.push(tokio::spawn(async move {
            client.get(url).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::NOT_FOUND);
    }
    let after_burst = store.scans.load(SeqCst);
    assert!(
        (2..=3).contains(&after_burst),
        "30 concurrent misses made {} scans",
        after_burst - 1
    );

    // A model written behind the server's back after the burst is found by
    // the next miss (which waits for a scan that started after it).
    let fixture = FileStore::new()
        .load(
            &ModelUrl::parse(&format!("file://{}", fixtures().join("tfjs/mlp").display())).unwrap(),
        )
        .await
        .unwrap();
    store
        .inner
        .save(
            &ModelUrl::parse("memory://count/late/v1").unwrap(),
            &fixture,
        )
        .await
        .unwrap();
    let w = served_weights(&base, "/models/late/model.json").await;
    assert_eq!(w, fixture.weight_data.contiguous().to_vec());
    assert_eq!(store.scans.load(SeqCst), after_burst + 1);
}

//! One server over a single-process store (file://, memory://: no
//! create-if-absent saves): concurrent uploads to one name still become
//! distinct, whole versions, and versions written behind the server's back
//! are never overwritten.

use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tfjs_io::file::FileStore;
use tfjs_io::memory::MemoryStore;
use tfjs_io::{ModelStore, ModelUrl};
use tfjs_server::{Server, ServerConfig};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn read(p: impl AsRef<Path>) -> Vec<u8> {
    let p = fixtures().join(p);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// (content-type, captured TensorFlow.js request body, sha256 of weights.bin)
fn capture(model: &str) -> (String, Vec<u8>, String) {
    let h: Value =
        serde_json::from_slice(&read(format!("tfjs/{model}/http/headers.json"))).unwrap();
    let ct = h["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|kv| kv[0] == "content-type")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_string();
    (
        ct,
        read(format!("tfjs/{model}/http/request.bin")),
        hex(&Sha256::digest(read(format!("tfjs/{model}/weights.bin")))),
    )
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
    let loaded = tfjs_http::HttpStore::new("http", tfjs_http::HttpOptions::default())
        .unwrap()
        .load_url(&format!("{base}{path}"))
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    loaded.weight_data.contiguous().to_vec()
}

async fn eight_concurrent_uploads(base: &str) -> BTreeMap<u64, String> {
    let models = ["mlp", "trained"];
    let mut tasks = Vec::new();
    for i in 0..8 {
        let model = models[i % 2];
        let (ct, body, sha) = capture(model);
        let url = format!("{base}/models/same");
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let info: Value = r.json().await.unwrap();
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
    let r = reqwest::Client::new()
        .post(format!("{base}/models/m"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let info: Value = r.json().await.unwrap();
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

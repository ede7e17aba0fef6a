//! What a hostile or broken client, page or store can do to `tfjs serve`,
//! and what a web page on another origin gets told: DNS rebinding, readable
//! CORS refusals (logged once, naming the flag), part-header caps, topology
//! checks on upload, the model's inputs and outputs, temporary files of
//! killed saves, and answers that match what the store committed.

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, SaveResult};
use tfjs_io::memory::MemoryStore;
use tfjs_io::{ModelStore, ModelUrl};
use tfjs_server::{Server, ServerConfig};

mod support;
use support::*;

/// Log lines written while the returned guard lives (this thread only:
/// `#[tokio::test]` runs the server on the test's thread).
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuf {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let buf = self.clone();
        let sub = tracing_subscriber::fmt()
            .with_writer(move || buf.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_default(sub)
    }
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn port(s: &TestServer) -> String {
    s.base.rsplit(':').next().unwrap().to_string()
}

/// POST the mlp capture with extra headers; (status, headers, JSON).
async fn post_with(
    s: &TestServer,
    name: &str,
    headers: &[(&str, String)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let (ct, body) = node_capture("mlp");
    let mut req = s
        .client
        .post(format!("{}/models/{name}", s.base))
        .header("content-type", ct)
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let r = req.send().await.unwrap();
    let (status, h) = (r.status(), r.headers().clone());
    (status, h, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_tokenless_server_refuses_dns_rebound_hosts() {
    let s = start(ServerConfig::default()).await;
    let evil = format!("evil.example:{}", port(&s));
    let rebound = [("host", evil.clone()), ("origin", format!("http://{evil}"))];
    // The rebound page is "same-origin" (Origin equals Host): before the
    // host check it could upload and delete.
    let (status, _, v) = post_with(&s, "pwned", &rebound).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("--allowed-host evil.example"),
        "{v}"
    );
    assert!(s.store.names().is_empty());
    // Loopback names are fine; then the rebound page cannot delete or read.
    let loopback = format!("localhost:{}", port(&s));
    let (status, _, v) = post_with(&s, "m", &[("host", loopback)]).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    // Every request, whatever its method and path (the page, a preflight,
    // an unknown path), and with or without an Origin.
    for (method, path) in [
        (reqwest::Method::DELETE, "/models/m"),
        (reqwest::Method::DELETE, "/models/m/v1"),
        (reqwest::Method::GET, "/models/m"),
        (reqwest::Method::GET, "/models"),
        (reqwest::Method::GET, "/"),
        (reqwest::Method::GET, "/no/such/endpoint"),
        (reqwest::Method::OPTIONS, "/models/m"),
        (reqwest::Method::PUT, "/models/m"),
    ] {
        for with_origin in [true, false] {
            let mut req = s
                .client
                .request(method.clone(), format!("{}{path}", s.base))
                .header("host", evil.clone());
            if with_origin {
                req = req.header("origin", format!("http://{evil}"));
            }
            let r = req.send().await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} (origin: {with_origin})"
            );
        }
    }
    assert_eq!(s.store.names(), vec!["srv/m/v1"]);

    // An operator-named host is answered; a token turns the check off
    // (writes then need the token anyway).
    let named = start(ServerConfig {
        allowed_hosts: vec!["models.lan".into()],
        ..Default::default()
    })
    .await;
    let host = [("host", format!("models.lan:{}", port(&named)))];
    assert_eq!(post_with(&named, "m", &host).await.0, StatusCode::CREATED);
    let with_token = start(ServerConfig {
        token: Some("t".into()),
        ..Default::default()
    })
    .await;
    let mut h = vec![("host", evil.clone())];
    assert_eq!(
        post_with(&with_token, "m", &h).await.0,
        StatusCode::UNAUTHORIZED
    );
    h.push(("authorization", "Bearer t".into()));
    assert_eq!(post_with(&with_token, "m", &h).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn refused_origins_can_read_why_and_are_logged_once_with_the_flag() {
    let logs = LogBuf::default();
    let _g = logs.capture();
    let s = start(ServerConfig::default()).await;
    let app = "http://localhost:3000";
    for _ in 0..3 {
        let (status, h, v) = post_with(&s, "m", &[("origin", app.into())]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(h["access-control-allow-origin"], app);
        let err = v["error"].as_str().unwrap();
        assert!(err.contains(&format!("--cors-origin {app}")), "{err}");
    }
    assert!(s.store.names().is_empty(), "refused writes store nothing");
    // A preflight (the page sends a token header) passes, so that the page
    // gets to the readable refusal instead of `Failed to fetch`.
    let r = s.preflight("/models/m", app).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.headers().contains_key("access-control-allow-origin"));
    // Reads stay open to any origin by default.
    let r = s
        .client
        .get(format!("{}/models", s.base))
        .header("origin", app)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let warns: Vec<_> = logs
        .lines()
        .into_iter()
        .filter(|l| l.contains("WARN") && l.contains(app))
        .collect();
    assert_eq!(warns.len(), 1, "{warns:?}");
    assert!(
        warns[0].contains(&format!("--cors-origin {app}")),
        "{warns:?}"
    );
    // The first save's note that the store cannot create-if-absent is not
    // an INFO line.
    let (status, _, _) = post_with(&s, "m", &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        !logs.lines().iter().any(|l| l.contains("create-if-absent")),
        "{:?}",
        logs.lines()
    );
}

#[tokio::test]
async fn huge_part_headers_are_refused_with_json() {
    let s = start(ServerConfig::default()).await;
    let (ct, body) = node_capture("mlp");
    let boundary = ct.split("boundary=").nth(1).unwrap().to_string();
    // The same upload with a 1 MiB header line in its first part.
    let needle = format!("--{boundary}\r\n");
    let at = body
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap()
        + needle.len();
    let mut big = body[..at].to_vec();
    big.extend_from_slice(format!("X-Pad: {}\r\n", "a".repeat(1 << 20)).as_bytes());
    big.extend_from_slice(&body[at..]);
    let (status, v) = s.post("m", &ct, big, None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"].as_str().unwrap().contains("header"), "{v}");
    assert!(s.store.names().is_empty());
    // The untouched capture still goes through.
    assert_eq!(s.post("m", &ct, body, None).await.0, StatusCode::CREATED);
}

/// model.json (as a `serde_json::Value`) and weights of a fixture model.
fn fixture_model(dir: &str, weights: &str) -> (Value, Vec<u8>) {
    let json: Value = serde_json::from_slice(&read(format!("{dir}/model.json"))).unwrap();
    (json, read(format!("{dir}/{weights}")))
}

fn upload_body(json: &Value, weights: &[u8]) -> (String, Vec<u8>) {
    let j = serde_json::to_vec(json).unwrap();
    model_upload(&j, weights)
}

#[tokio::test]
async fn topologies_that_cannot_be_built_are_refused_naming_layer_and_field() {
    let s = start(ServerConfig::default()).await;
    let (mlp, w) = fixture_model("tfjs/mlp", "weights.bin");
    let (multi, mw) = fixture_model("tfjs/functional_multi_io", "weights.bin");
    let broken = |m: &Value, f: &dyn Fn(&mut Value)| {
        let mut m = m.clone();
        f(&mut m);
        m
    };
    // functional_multi_io with its third layer (dense_a) reading `source`.
    let dense_a_reading = |m: &Value, source: &str| {
        let mut m = m.clone();
        m["modelTopology"]["config"]["layers"][2]["inbound_nodes"][0][0][0] = json!(source);
        m
    };
    let cases: Vec<(&str, Value, &[u8], &[&str])> = vec![
        (
            "negative units",
            broken(&mlp, &|m| {
                m["modelTopology"]["config"]["layers"][1]["config"]["units"] = json!(-5)
            }),
            &w,
            &["dense_2", "units"],
        ),
        (
            "no class_name",
            broken(&mlp, &|m| {
                m["modelTopology"]["config"]["layers"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("class_name");
            }),
            &w,
            &["class_name"],
        ),
        (
            "inbound node naming a missing layer",
            dense_a_reading(&multi, "no_such_layer"),
            &mw,
            &["no_such_layer"],
        ),
        // dense_a now reads concat, which reads dense_a.
        (
            "a cycle",
            dense_a_reading(&multi, "concat"),
            &mw,
            &["concat"],
        ),
    ];
    for (what, model, weights, names) in cases {
        let (ct, body) = upload_body(&model, weights);
        let (status, v) = s.post("bad", &ct, body, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {v}");
        let err = v["error"].as_str().unwrap();
        for n in names {
            assert!(err.contains(n), "{what}: {err:?} lacks {n:?}");
        }
        assert!(s.store.names().is_empty(), "{what}: stored");
    }
    // Too many layers to build: refused before anything is allocated.
    let many = broken(&mlp, &|m| {
        let layer = m["modelTopology"]["config"]["layers"][2].clone();
        let layers = m["modelTopology"]["config"]["layers"]
            .as_array_mut()
            .unwrap();
        for i in 0..tfjs_server::topology::MAX_LAYERS {
            let mut l = layer.clone();
            l["config"]["name"] = json!(format!("extra_{i}"));
            layers.push(l);
        }
    });
    let (ct, body) = upload_body(&many, &w);
    let (status, v) = s.post("bad", &ct, body, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("layers"), "{v}");
    // A custom layer class (registered in the app that saved it) is kept.
    let custom = broken(&mlp, &|m| {
        m["modelTopology"]["config"]["layers"][1]["class_name"] = json!("MyCustomDense")
    });
    let (ct, body) = upload_body(&custom, &w);
    let (status, v) = s.post("custom", &ct, body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn versions_list_their_inputs_and_outputs() {
    let s = start(ServerConfig::default()).await;
    let (ct, body) = node_capture("mlp");
    assert_eq!(s.post("mlp", &ct, body, None).await.0, StatusCode::CREATED);
    let (multi, mw) = fixture_model("tfjs/functional_multi_io", "weights.bin");
    let (ct, body) = upload_body(&multi, &mw);
    assert_eq!(
        s.post("multi", &ct, body, None).await.0,
        StatusCode::CREATED
    );
    let (graph, gw) = fixture_model(
        "real/facemesh-detection-short",
        "facemesh-detection-short.bin",
    );
    let (ct, body) = upload_body(&graph, &gw);
    let (status, v) = s.post("graph", &ct, body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    let io = |v: &Value| (v["inputs"].clone(), v["outputs"].clone());
    let get = |name: &'static str| {
        let s = &s;
        async move {
            let v: Value = s
                .get(&format!("/models/{name}/v1"))
                .await
                .json()
                .await
                .unwrap();
            v
        }
    };
    // Sequential: the auto-created input `<first layer>_input` with the
    // first layer's batch_input_shape; the last layer's output shape.
    let (mlp_json, _) = fixture_model("tfjs/mlp", "weights.bin");
    let layers = mlp_json["modelTopology"]["config"]["layers"]
        .as_array()
        .unwrap();
    let first = &layers[0]["config"];
    let last = &layers[layers.len() - 1]["config"];
    assert_eq!(
        io(&get("mlp").await),
        (
            json!([{"name": format!("{}_input", first["name"].as_str().unwrap()),
                "shape": first["batch_input_shape"], "dtype": first["dtype"]}]),
            json!([{"name": last["name"], "shape": [null, last["units"]], "dtype": "float32"}])
        )
    );
    // Functional, two inputs and two outputs, in model order.
    let (ins, outs) = io(&get("multi").await);
    assert_eq!(
        ins,
        json!([{"name": "input_a", "shape": [null, 6], "dtype": "float32"},
               {"name": "input_b", "shape": [null, 4], "dtype": "float32"}])
    );
    assert_eq!(
        outs,
        json!([{"name": "out_class", "shape": [null, 3], "dtype": "float32"},
               {"name": "out_reg", "shape": [null, 1], "dtype": "float32"}])
    );
    // Graph model: the converter's signature.
    let (ins, outs) = io(&get("graph").await);
    assert_eq!(
        ins,
        json!([{"name": "input:0", "shape": [null, 128, 128, 3], "dtype": "float32"}])
    );
    assert_eq!(
        outs,
        json!([{"name": "Identity:0", "shape": [null, 896, 17], "dtype": "float32"}])
    );
    // The listing carries them too, and the page shows them.
    let list = s.listing().await;
    assert_eq!(list["models"][0]["name"], "graph");
    assert_eq!(list["models"][0]["versions"][0]["inputs"], ins);
    let html = s.get("/view/multi").await.text().await.unwrap();
    assert!(
        html.contains("input_b") && html.contains("[null,4]"),
        "{html}"
    );
    let index = s.get("/").await.text().await.unwrap();
    let base = s.base.clone();
    assert!(
        index.contains(&format!("model.save('{base}/models/NAME')")),
        "{index}"
    );
    assert!(!index.contains("HOST"), "{index}");
}

/// Respell the temporary names `.tfjs-p<this pid>.…` under `dir` (and in
/// its model.json) with a pid no process has: what a save by a server that
/// was killed leaves behind.
fn as_if_written_by_a_dead_process(dir: &std::path::Path) {
    let own = format!(".tfjs-p{:x}.", std::process::id());
    let dead = ".tfjs-pfffffffe.";
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with(&own) {
            std::fs::rename(dir.join(&name), dir.join(name.replace(&own, dead))).unwrap();
        }
    }
    let json = dir.join("model.json");
    if let Ok(text) = std::fs::read_to_string(&json) {
        std::fs::write(&json, text.replace(&own, dead)).unwrap();
    }
}

fn mlp_artifacts() -> ModelArtifacts {
    let (json, w) = fixture_model("tfjs/mlp", "weights.bin");
    tfjs_format::ModelJson::parse(&serde_json::to_vec(&json).unwrap(), "model.json")
        .unwrap()
        .into_artifacts(tfjs_format::WeightData::from_vec(w))
}

/// Save `artifacts` as version `version` of model `m` under `root` through
/// a file store that stops at `point` (as if killed there); returns the
/// version's directory.
async fn interrupted_save(
    root: &std::path::Path,
    point: tfjs_io::file::FailPoint,
    version: &str,
    artifacts: &ModelArtifacts,
) -> std::path::PathBuf {
    use tfjs_io::file::{FileStore, FileStoreOptions};
    let store = FileStore::with_options(FileStoreOptions {
        fail_point: Some(point),
        ..Default::default()
    });
    let url = ModelUrl::parse(&format!("file://{}/m/{version}", root.display())).unwrap();
    let saved = store.save(&url, artifacts).await;
    assert!(saved.is_err(), "{version}: the save was not interrupted");
    root.join("m").join(version)
}

#[tokio::test]
async fn leftovers_of_a_killed_save_are_swept_at_startup() {
    use tfjs_io::file::{FailPoint, FileStore};
    let dir = tempfile::tempdir().unwrap();
    let root = format!("file://{}", dir.path().display());
    let (ct, body) = node_capture("mlp");
    let artifacts = mlp_artifacts();
    // Store one good version through a server, then crash a save of v2
    // before its commit: only temporary files.
    let s = Server::open(ServerConfig::default(), Arc::new(FileStore::new()), &root)
        .await
        .unwrap();
    drop(s);
    let url = |v: &str| ModelUrl::parse(&format!("{root}/m/{v}")).unwrap();
    let v2 = interrupted_save(dir.path(), FailPoint::BeforeCommit, "v2", &artifacts).await;
    as_if_written_by_a_dead_process(&v2);
    let temps = || std::fs::read_dir(&v2).map_or(0, |d| d.count());
    assert!(temps() > 0, "the crashed save left temporary files");
    FileStore::new().save(&url("v1"), &artifacts).await.unwrap();
    // A save killed after its commit: model.json names the temporary
    // files, which are that version's weights now, not leftovers.
    let v3 = interrupted_save(dir.path(), FailPoint::AfterCommit, "v3", &artifacts).await;
    as_if_written_by_a_dead_process(&v3);
    assert!(
        FileStore::new().load(&url("v3")).await.is_ok(),
        "v3 is committed"
    );
    // A save in progress in another, live process (this one): its
    // temporary files are not leftovers either.
    let v4 = interrupted_save(dir.path(), FailPoint::BeforeCommit, "v4", &artifacts).await;
    let live_temps = std::fs::read_dir(&v4).unwrap().count();
    assert!(live_temps > 0);

    let server = Server::open(ServerConfig::default(), Arc::new(FileStore::new()), &root)
        .await
        .unwrap();
    assert_eq!(temps(), 0, "leftovers removed");
    assert!(!v2.exists(), "the empty version directory is gone");
    assert!(dir.path().join("m/v1/model.json").exists(), "v1 untouched");
    let v3_back = FileStore::new().load(&url("v3")).await;
    assert!(
        v3_back.is_ok_and(|a| a.weight_data.contiguous() == artifacts.weight_data.contiguous()),
        "the committed v3 lost its weights to the sweep"
    );
    assert_eq!(
        std::fs::read_dir(&v4).unwrap().count(),
        live_temps,
        "a live writer's temporary files were swept"
    );
    std::fs::remove_dir_all(&v4).unwrap();
    // The next upload is v4, whole.
    let base = serve_in_background(server).await;
    let (status, v) = post_to(&base, "m", &ct, body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"], 4);
}

/// A memory store whose saves take `delay` and report `warnings`.
#[derive(Debug)]
struct SlowStore {
    inner: MemoryStore,
    delay: Duration,
    warnings: Vec<String>,
}

#[async_trait]
impl ModelStore for SlowStore {
    fn scheme(&self) -> &str {
        self.inner.scheme()
    }
    async fn load(&self, url: &ModelUrl) -> tfjs_io::Result<ModelArtifacts> {
        self.inner.load(url).await
    }
    async fn save(&self, url: &ModelUrl, a: &ModelArtifacts) -> tfjs_io::Result<SaveResult> {
        tokio::time::sleep(self.delay).await;
        let mut r = self.inner.save(url, a).await?;
        r.errors.extend(self.warnings.iter().cloned());
        Ok(r)
    }
    async fn list(&self, prefix: &ModelUrl) -> tfjs_io::Result<Vec<(String, ModelArtifactsInfo)>> {
        self.inner.list(prefix).await
    }
    async fn remove(&self, url: &ModelUrl) -> tfjs_io::Result<ModelArtifactsInfo> {
        self.inner.remove(url).await
    }
}

#[tokio::test]
async fn the_answer_matches_what_the_store_committed() {
    // The save takes longer than the request timeout: it still finishes and
    // the client is told so (before, it got 408 for a stored version).
    let store = Arc::new(SlowStore {
        inner: MemoryStore::new(),
        delay: Duration::from_millis(1500),
        warnings: vec!["the weight files keep temporary names".into()],
    });
    let server = Server::open(
        ServerConfig {
            request_timeout: Duration::from_millis(500),
            ..Default::default()
        },
        store.clone(),
        "memory://srv",
    )
    .await
    .unwrap();
    let base = serve_in_background(server).await;
    let (ct, body) = node_capture("mlp");
    let (status, v) = post_to(&base, "m", &ct, body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["warnings"],
        json!(["the weight files keep temporary names"])
    );
    assert_eq!(store.inner.names(), vec!["srv/m/v1"]);
    let listed: Value = reqwest::get(format!("{base}/models/m"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["latest"], 1);
}

#[tokio::test]
async fn a_slow_drip_upload_times_out_while_reading_and_stores_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = start(ServerConfig {
        request_timeout: Duration::from_millis(600),
        idle_timeout: Duration::from_secs(10),
        ..Default::default()
    })
    .await;
    let (ct, body) = node_capture("mlp");
    let mut c = tokio::net::TcpStream::connect(s.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /models/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes()).await.unwrap();
    // Bytes keep moving (the idle timeout never fires), too slowly to finish.
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    for b in body.chunks(16) {
        if c.write_all(b).await.is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(100), c.read(&mut buf)).await
        {
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || !answer.is_empty() {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("nothing was stored"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(s.store.names().is_empty());
}

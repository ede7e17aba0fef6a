//! Two `tfjs serve` instances on one `s3://` bucket/prefix (moto on
//! loopback), each with its own S3 client and catalog, as two processes
//! behind a load balancer would be: an upload to one is served by the other,
//! concurrent uploads to one name become whole, distinct versions, and
//! deletes propagate.
//!
//! `scripts/test.sh` starts `moto_server` and exports `TFJS_S3_TEST_ENDPOINT`;
//! without it this test binary starts its own `moto_server` (from PATH) on a
//! free loopback port, and fails with a message saying how to install it.

use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tfjs_cloud::CloudStore;
use tfjs_server::{Server, ServerConfig};

#[path = "../../cloud/tests/support/moto.rs"]
mod moto;
mod support;

use support::{hex, node_capture, post_to, read};

async fn create_bucket(bucket: &str) {
    moto::create_bucket(bucket).await
}

/// A separate S3 client per server, as separate processes would have.
fn s3_store(bucket: &str) -> Arc<CloudStore> {
    let client = moto::client(bucket);
    Arc::new(
        CloudStore::new("s3")
            .unwrap()
            .with_client(bucket, Arc::new(client)),
    )
}

// -------------------------------------------------------------- fixtures

/// What TensorFlow.js's `model.save('http://…')` sent for a fixture model
/// (captured from Node): (content-type, body), plus the model's weights.bin
/// and model.json topology.
struct Upload {
    model: &'static str,
    content_type: String,
    body: Vec<u8>,
    weights_sha256: String,
    topology: Value,
}

fn upload_of(model: &'static str) -> Upload {
    let (content_type, body) = node_capture(model);
    let json: Value = serde_json::from_slice(&read(format!("tfjs/{model}/model.json"))).unwrap();
    Upload {
        model,
        content_type,
        body,
        weights_sha256: hex(&Sha256::digest(read(format!("tfjs/{model}/weights.bin")))),
        topology: json["modelTopology"].clone(),
    }
}

/// `mlp` retrained: the same request with different weight bytes (same
/// sizes, same topology), as a new training run of one architecture sends.
fn retrained_mlp() -> Upload {
    let mut up = upload_of("mlp");
    let h: Value = serde_json::from_slice(&read("tfjs/mlp/http/headers.json")).unwrap();
    let part = &h["multipart"]["parts"][1];
    assert_eq!(part["name"], "model.weights.bin");
    let (off, len) = (
        part["offset"].as_u64().unwrap() as usize,
        part["length"].as_u64().unwrap() as usize,
    );
    // Negate every float32 (flip the sign bits).
    for i in (off..off + len).skip(3).step_by(4) {
        up.body[i] ^= 0x80;
    }
    let weights = &up.body[off..off + len];
    up.weights_sha256 = hex(&Sha256::digest(weights));
    up.model = "mlp-retrained";
    up
}

// --------------------------------------------------------------- servers

struct Node {
    server: Server,
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn node(bucket: &str, config: ServerConfig) -> Node {
    let root = format!("s3://{bucket}/models");
    let server = Server::open(config, s3_store(bucket), &root).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.clone().serve_with_shutdown(listener, async {
        let _ = rx.await;
    }));
    Node {
        server,
        base,
        _stop: tx,
    }
}

/// Refresh only on demand / on a miss, so tests see exactly what misses do.
fn no_periodic_refresh() -> ServerConfig {
    ServerConfig {
        refresh_interval: Duration::ZERO,
        rescan_min_interval: Duration::from_millis(50),
        ..Default::default()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post(base: &str, name: &str, up: &Upload) -> (StatusCode, Value) {
    post_to(base, name, &up.content_type, up.body.clone()).await
}

async fn get(url: &str) -> (StatusCode, Vec<u8>) {
    let r = client().get(url).send().await.unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

/// A fresh bucket and two servers on it: A without periodic refreshes,
/// B with `b_config`.
async fn two_nodes(bucket: &str, b_config: ServerConfig) -> (Node, Node) {
    create_bucket(bucket).await;
    let a = node(bucket, no_periodic_refresh()).await;
    let b = node(bucket, b_config).await;
    (a, b)
}

/// DELETE `url`: the response status.
async fn delete(url: String) -> StatusCode {
    client().delete(url).send().await.unwrap().status()
}

/// The path (from the server's root) of the first blob a served
/// model.json names.
fn first_blob(model_json: &Value) -> String {
    model_json["weightsManifest"][0]["paths"][0]
        .as_str()
        .unwrap()
        .trim_start_matches("../../../")
        .to_string()
}

/// GET a served model.json and every blob it names (resolved against the
/// model.json URL): (model.json bytes, parsed, concatenated weights).
async fn fetch_model(base: &str, path: &str) -> (Vec<u8>, Value, Vec<u8>) {
    let url = format!("{base}{path}");
    let (status, json_bytes) = get(&url).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{url}: {}",
        String::from_utf8_lossy(&json_bytes)
    );
    let json: Value = serde_json::from_slice(&json_bytes).unwrap();
    let model_url = reqwest::Url::parse(&url).unwrap();
    let mut weights = Vec::new();
    for group in json["weightsManifest"].as_array().unwrap() {
        for p in group["paths"].as_array().unwrap() {
            let blob = model_url.join(p.as_str().unwrap()).unwrap();
            let (status, bytes) = get(blob.as_str()).await;
            assert_eq!(status, StatusCode::OK, "{blob}");
            // Content-addressed: the name is the hash of the bytes.
            let want = blob
                .path()
                .rsplit('/')
                .next()
                .unwrap()
                .trim_start_matches("sha256-")
                .trim_end_matches(".bin")
                .to_string();
            assert_eq!(hex(&Sha256::digest(&bytes)), want, "{blob}");
            weights.extend_from_slice(&bytes);
        }
    }
    (json_bytes, json, weights)
}

async fn model_names(base: &str) -> Vec<String> {
    let (status, body) = get(&format!("{base}/models")).await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

// ----------------------------------------------------------------- tests

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_to_one_server_is_served_identically_by_the_other() {
    let (a, b) = two_nodes("shared-serve", no_periodic_refresh()).await;
    let mlp = upload_of("mlp");
    let trained = upload_of("trained");

    let (status, info) = post(&a.base, "m", &mlp).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["version"], 1);

    // B has never heard of "m": the miss makes it re-scan the bucket.
    for path in ["/models/m/model.json", "/models/m/v1/model.json"] {
        let (json_a, parsed, weights_a) = fetch_model(&a.base, path).await;
        let (json_b, _, weights_b) = fetch_model(&b.base, path).await;
        assert_eq!(json_a, json_b, "{path}: model.json differs between servers");
        assert_eq!(weights_a, weights_b, "{path}");
        assert_eq!(hex(&Sha256::digest(&weights_b)), mlp.weights_sha256);
        assert_eq!(parsed["modelTopology"], mlp.topology);
    }
    assert_eq!(model_names(&b.base).await, vec!["m"]);

    // A blob B does not know yet is found by a re-scan too (a client may
    // fetch model.json from A and the blob from B).
    let (status, info) = post(&a.base, "t", &trained).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    let (_, parsed, _) = fetch_model(&a.base, "/models/t/v1/model.json").await;
    let blob = parsed["weightsManifest"][0]["paths"][0]
        .as_str()
        .unwrap()
        .trim_start_matches("../../../")
        .to_string();
    let (status, bytes) = get(&format!("{}/{blob}", b.base)).await;
    assert_eq!(status, StatusCode::OK, "{blob} via B");
    assert_eq!(
        hex(&Sha256::digest(&bytes)),
        trained.weights_sha256,
        "trained's weights are one blob"
    );

    // Our own HTTP client loads the model from B.
    let loaded = tfjs_http::HttpStore::new("http", tfjs_http::HttpOptions::default())
        .unwrap()
        .load_url(&format!("{}/models/t/model.json", b.base))
        .await
        .unwrap();
    assert_eq!(
        hex(&Sha256::digest(loaded.weight_data.contiguous())),
        trained.weights_sha256
    );

    // A new version via A: B's "latest" moves once B refreshes (here on
    // demand; `serve` does it every refresh_interval).
    let (status, info) = post(&a.base, "m", &trained).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["version"], 2);
    let report = b.server.refresh().await.unwrap().unwrap();
    assert_eq!(
        report.loaded, 1,
        "only the new version is loaded: {report:?}"
    );
    assert_eq!(report.listed, 3);
    let (json_a, _, _) = fetch_model(&a.base, "/models/m/model.json").await;
    let (json_b, parsed, weights_b) = fetch_model(&b.base, "/models/m/model.json").await;
    assert_eq!(json_a, json_b);
    assert_eq!(parsed["modelTopology"], trained.topology);
    assert_eq!(hex(&Sha256::digest(&weights_b)), trained.weights_sha256);
    // Nothing changed: a refresh loads nothing.
    let report = b.server.refresh().await.unwrap().unwrap();
    assert_eq!((report.loaded, report.removed), (0, 0), "{report:?}");

    // Something that exists nowhere is still a 404 (after B's re-scan).
    let (status, _) = get(&format!("{}/models/nope/model.json", b.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&format!("{}/models/m/v9/model.json", b.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_to_one_name_on_two_servers_make_whole_distinct_versions() {
    // No refresh: each server's catalog stays stale, so both keep trying
    // numbers the other one already took.
    let (a, b) = two_nodes("shared-race", no_periodic_refresh()).await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let uploads = Arc::new([upload_of("mlp"), upload_of("trained")]);

    let mut claimed: BTreeMap<u64, &'static str> = BTreeMap::new();
    for _round in 0..3 {
        // Two uploads on each server at once, of different models.
        let mut tasks = Vec::new();
        for (server, which) in [(&a, 0), (&a, 1), (&b, 1), (&b, 0)] {
            let base = server.base.clone();
            let uploads = uploads.clone();
            tasks.push(tokio::spawn(async move {
                let up = &uploads[which];
                let (status, info) = post(&base, "race", up).await;
                (status, info, up.model)
            }));
        }
        for t in tasks {
            let (status, info, model) = t.await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{model}: {info}");
            let v = info["version"].as_u64().unwrap();
            let before = claimed.insert(v, model);
            assert!(
                before.is_none(),
                "v{v} was answered to two uploads ({before:?} and {model})"
            );
        }
    }
    let numbers: Vec<u64> = claimed.keys().copied().collect();
    assert_eq!(numbers, (1..=12).collect::<Vec<_>>(), "{claimed:?}");

    // Every version, read through either server, is exactly one upload.
    a.server.refresh().await.unwrap();
    b.server.refresh().await.unwrap();
    let by_model: BTreeMap<&str, &Upload> = uploads.iter().map(|u| (u.model, u)).collect();
    for (v, model) in &claimed {
        let want = by_model[model];
        for base in [&a.base, &b.base] {
            let (_, parsed, weights) =
                fetch_model(base, &format!("/models/race/v{v}/model.json")).await;
            assert_eq!(
                hex(&Sha256::digest(&weights)),
                want.weights_sha256,
                "v{v} via {base}: weights are not {model}'s"
            );
            assert_eq!(parsed["modelTopology"], want.topology, "v{v} via {base}");
        }
    }
    let (_, a_list) = get(&format!("{}/models/race", a.base)).await;
    let (_, b_list) = get(&format!("{}/models/race", b.base)).await;
    let versions = |b: &[u8]| -> Vec<u64> {
        let v: Value = serde_json::from_slice(b).unwrap();
        v["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["version"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(versions(&a_list), numbers);
    assert_eq!(versions(&b_list), numbers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletes_on_one_server_disappear_from_the_other_and_reused_numbers_reload() {
    // B refreshes by itself every 200 ms.
    let (a, b) = two_nodes(
        "shared-delete",
        ServerConfig {
            refresh_interval: Duration::from_millis(200),
            rescan_min_interval: Duration::from_millis(50),
            ..Default::default()
        },
    )
    .await;
    let mlp = upload_of("mlp");
    let trained = upload_of("trained");
    assert_eq!(post(&a.base, "gone", &mlp).await.0, StatusCode::CREATED);
    assert_eq!(post(&a.base, "kept", &trained).await.0, StatusCode::CREATED);
    let (_, parsed, _) = fetch_model(&b.base, "/models/gone/v1/model.json").await;
    let blob_path = format!("{}/{}", b.base, first_blob(&parsed));

    assert_eq!(
        delete(format!("{}/models/gone", a.base)).await,
        StatusCode::OK
    );

    // B's periodic refresh drops it; nobody asks B about it meanwhile.
    let start = Instant::now();
    loop {
        let names = model_names(&b.base).await;
        if names == vec!["kept"] {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "B still lists {names:?} long after the delete"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, _) = get(&format!("{}/models/gone/model.json", b.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&blob_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the deleted model's blob");
    let (_, _, w) = fetch_model(&b.base, "/models/kept/model.json").await;
    assert_eq!(hex(&Sha256::digest(&w)), trained.weights_sha256);

    // Deleting on B what A still lists: A learns it on its next refresh.
    assert_eq!(
        delete(format!("{}/models/kept/v1", b.base)).await,
        StatusCode::OK
    );
    let report = a.server.refresh().await.unwrap().unwrap();
    assert_eq!(report.removed, 1, "{report:?}");
    assert!(model_names(&a.base).await.is_empty());

    // A number freed by a delete and claimed again by a different model
    // (here: same architecture and sizes, other weights) is reloaded, not
    // mistaken for the version another server had.
    let retrained = retrained_mlp();
    assert_ne!(retrained.weights_sha256, mlp.weights_sha256);
    let c = node("shared-delete", no_periodic_refresh()).await;
    assert_eq!(post(&c.base, "reuse", &mlp).await.0, StatusCode::CREATED);
    let (_, _, w) = fetch_model(&c.base, "/models/reuse/v1/model.json").await;
    assert_eq!(hex(&Sha256::digest(&w)), mlp.weights_sha256);
    // S3 listings date objects to the second: let the re-created version's
    // date differ (the same-second case is covered by the next test).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        delete(format!("{}/models/reuse", a.base)).await,
        StatusCode::OK,
        "A deletes what only C and the store know"
    );
    let (status, info) = post(&a.base, "reuse", &retrained).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["version"], 1, "the freed number is claimed again");
    let report = c.server.refresh().await.unwrap().unwrap();
    assert_eq!(report.loaded, 1, "{report:?}");
    let (json_a, _, _) = fetch_model(&a.base, "/models/reuse/v1/model.json").await;
    let (json_c, _, w) = fetch_model(&c.base, "/models/reuse/v1/model.json").await;
    assert_eq!(json_a, json_c);
    assert_eq!(hex(&Sha256::digest(&w)), retrained.weights_sha256);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_number_reused_within_the_same_second_is_caught_by_the_blob_hash_check() {
    // No weight cache on B: every blob request reads the store (and checks it).
    let (a, b) = two_nodes(
        "shared-reuse",
        ServerConfig {
            cache_bytes: 0,
            ..no_periodic_refresh()
        },
    )
    .await;
    let mlp = upload_of("mlp");
    let retrained = retrained_mlp();
    assert_eq!(post(&a.base, "m", &mlp).await.0, StatusCode::CREATED);
    let (_, old_json, _) = fetch_model(&b.base, "/models/m/v1/model.json").await;
    let old_blob = first_blob(&old_json);

    // Delete and re-create v1 at once: same sizes, and very likely the same
    // listing date, so B's refresh cannot tell from the listing alone.
    assert_eq!(delete(format!("{}/models/m", a.base)).await, StatusCode::OK);
    let (status, info) = post(&a.base, "m", &retrained).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["version"], 1);

    // B never serves the new bytes under the old blob's name: reading v1 for
    // the old blob finds different bytes, so B marks v1 stale and re-scans.
    let (status, bytes) = get(&format!("{}/{old_blob}", b.base)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "old blob served after v1 was replaced: {} bytes",
        bytes.len()
    );
    let (json_a, _, _) = fetch_model(&a.base, "/models/m/v1/model.json").await;
    let (json_b, _, w) = fetch_model(&b.base, "/models/m/v1/model.json").await;
    assert_eq!(json_a, json_b, "B reloaded v1");
    assert_eq!(hex(&Sha256::digest(&w)), retrained.weights_sha256);
}

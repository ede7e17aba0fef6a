//! `tfjs serve` over real HTTP on 127.0.0.1: uploads captured from real
//! TensorFlow.js (Node and Chromium), versions, blobs, caching headers,
//! CORS, and every refused upload leaving the store untouched.

use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tfjs_io::memory::MemoryStore;
use tfjs_io::{ModelStore, ModelUrl};
use tfjs_server::{Server, ServerConfig};

mod support;
use support::*;

#[tokio::test]
async fn node_captured_uploads_are_stored_and_served_back_identically() {
    let s = start(ServerConfig::default()).await;
    for model in ["mlp", "trained", "metadata"] {
        let (ct, body) = node_capture(model);
        let (status, info) = s.post(model, &ct, body, None).await;
        assert_eq!(status, StatusCode::CREATED, "{model}: {info}");
        let weights = read(format!("tfjs/{model}/weights.bin"));
        assert_eq!(info["weightDataBytes"], weights.len() as u64);
        assert_eq!(info["modelTopologyType"], "JSON");
        assert_eq!(info["version"], 1);
        assert_eq!(info["modelUrl"], format!("/models/{model}/v1/model.json"));

        // Our HTTP client loads it back through the content-addressed blobs.
        let url = format!("{}/models/{model}/model.json", s.base);
        let loaded = http_client().load_url(&url).await.unwrap();
        assert_eq!(&*loaded.weight_data.contiguous(), &weights[..], "{model}");
        let expected: Value =
            serde_json::from_slice(&read(format!("tfjs/{model}/model.json"))).unwrap();
        assert_eq!(
            loaded.model_topology.as_ref(),
            Some(&expected["modelTopology"])
        );
        assert_eq!(
            loaded.weight_specs.len(),
            expected["weightsManifest"][0]["weights"]
                .as_array()
                .unwrap()
                .len()
        );
        assert_eq!(
            loaded.user_defined_metadata.as_ref(),
            expected.get("userDefinedMetadata")
        );
        assert_eq!(
            loaded.training_config.as_ref(),
            expected.get("trainingConfig")
        );
        // The versioned URL serves the same model.
        let v1 = s.load(&format!("/models/{model}/v1/model.json")).await;
        assert_eq!(v1.weight_data.contiguous(), loaded.weight_data.contiguous());
    }
    assert_eq!(
        s.store.names(),
        vec!["srv/metadata/v1", "srv/mlp/v1", "srv/trained/v1"]
    );
}

#[tokio::test]
async fn chromium_captured_upload_is_accepted() {
    let s = start(ServerConfig::default()).await;
    let (ct, body) = browser_capture();
    let (status, info) = s.post("my_model", &ct, body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    // Same counts TF.js computed in the browser (http-load/result.json).
    assert_eq!(info["modelTopologyBytes"], 1025);
    assert_eq!(info["weightSpecsBytes"], 225);
    assert_eq!(info["weightDataBytes"], 92);
    let r = s.get("/models/my_model/model.json").await;
    let j: Value = r.json().await.unwrap();
    let part: Value =
        serde_json::from_slice(&read("browser/http-save-request/part-0-model.json")).unwrap();
    assert_eq!(j["modelTopology"], part["modelTopology"]);
    assert_eq!(
        j["weightsManifest"][0]["weights"],
        part["weightsManifest"][0]["weights"]
    );
    let paths = j["weightsManifest"][0]["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 1);
    let p = paths[0].as_str().unwrap();
    assert!(
        p.starts_with("../../blobs/sha256-") && p.ends_with(".bin"),
        "{p}"
    );
    let w = read("browser/http-save-request/part-1-model.weights.bin");
    let blob = s.get(&format!("/models/my_model/{p}")).await;
    assert_eq!(blob.status(), StatusCode::OK);
    assert_eq!(blob.bytes().await.unwrap().as_ref(), &w[..]);
}

#[tokio::test]
async fn uploads_become_new_versions_and_latest_moves() {
    let s = start(ServerConfig::default()).await;
    let (ct, mlp) = node_capture("mlp");
    let (ct2, trained) = node_capture("trained");
    assert_eq!(s.post("m", &ct, mlp, None).await.1["version"], 1);
    assert_eq!(s.post("m", &ct2, trained, None).await.1["version"], 2);
    let list = s.listing().await;
    let m = &list["models"][0];
    assert_eq!(m["name"], "m");
    assert_eq!(m["latest"], 2);
    assert_eq!(m["versions"].as_array().unwrap().len(), 2);
    let latest = s.load("/models/m/model.json").await;
    assert_eq!(
        &*latest.weight_data.contiguous(),
        &read("tfjs/trained/weights.bin")[..]
    );
    let v1 = s.load("/models/m/v1/model.json").await;
    assert_eq!(
        &*v1.weight_data.contiguous(),
        &read("tfjs/mlp/weights.bin")[..]
    );

    // Delete v2: latest falls back to v1; v2's blob is gone.
    let v2: Value = s.get("/models/m/v2").await.json().await.unwrap();
    let v2_blob = v2["blobs"][0].as_str().unwrap().to_string();
    let r = s.delete("/models/m/v2").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(s.get(&v2_blob).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.get("/models/m/v2/model.json").await.status(),
        StatusCode::NOT_FOUND
    );
    let again = s.load("/models/m/model.json").await;
    assert_eq!(again.weight_data, v1.weight_data);
    // Delete the model.
    let r = s.delete("/models/m").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(s.store.names().is_empty());
    assert_eq!(
        s.get("/models/m/model.json").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.listing().await["models"], serde_json::json!([]));
}

#[tokio::test]
async fn blobs_are_immutable_with_etag_and_ranges_and_model_json_revalidates() {
    let s = start(ServerConfig::default()).await;
    let (ct, body) = node_capture("mlp");
    s.post("mlp", &ct, body, None).await;
    let r = s.get("/models/mlp/model.json").await;
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let etag = r.headers()["etag"].clone();
    let j: Value = r.json().await.unwrap();
    let r = s
        .get_with(
            "/models/mlp/model.json",
            "if-none-match",
            etag.to_str().unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    let path = j["weightsManifest"][0]["paths"][0].as_str().unwrap();
    let blob_path = format!("/models/mlp/{path}");
    let blob_url = format!("{}{blob_path}", s.base);
    let weights = read("tfjs/mlp/weights.bin");
    let r = s.client.get(&blob_url).send().await.unwrap();
    assert_eq!(
        r.url().path(),
        format!("/blobs/{}", path.rsplit('/').next().unwrap())
    );
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    let betag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(betag.starts_with("\"sha256-"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), &weights[..]);
    let r = s.get_with(&blob_path, "range", "bytes=10-19").await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 10-19/{}", weights.len())
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &weights[10..20]);
    let r = s.get_with(&blob_path, "range", "bytes=99999-").await;
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let r = s.get_with(&blob_path, "if-none-match", &betag).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // An unknown or malformed blob id is a 404.
    assert_eq!(
        s.get(&format!("/blobs/sha256-{}.bin", "0".repeat(64)))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get("/blobs/..%2F..%2Fetc%2Fpasswd").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn writes_need_the_token_and_bad_uploads_leave_the_store_untouched() {
    let token = "s3cret-token";
    let s = start(ServerConfig {
        token: Some(token.into()),
        max_upload_bytes: 64 * 1024,
        ..Default::default()
    })
    .await;
    let (ct, good) = node_capture("mlp");
    let (status, v) = s.post("keep", &ct, good.clone(), Some(token)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let before_list = s.listing().await;
    let before = s.snapshot().await;

    let mlp_json = {
        let h: Value = serde_json::from_slice(&read("tfjs/mlp/http/headers.json")).unwrap();
        let p = &h["multipart"]["parts"][0];
        let (o, l) = (
            p["offset"].as_u64().unwrap() as usize,
            p["length"].as_u64().unwrap() as usize,
        );
        good[o..o + l].to_vec()
    };
    let mlp_w = read("tfjs/mlp/weights.bin");
    let trained_w = read("tfjs/trained/weights.bin");

    // (what, name, token, content-type + body, expected status, text in the error)
    let mut cases: Vec<Case> = vec![
        (
            "no token",
            "keep".into(),
            None,
            (ct.clone(), good.clone()),
            StatusCode::UNAUTHORIZED,
            "Bearer",
        ),
        (
            "wrong token",
            "keep".into(),
            Some("nope"),
            (ct.clone(), good.clone()),
            StatusCode::UNAUTHORIZED,
            "wrong",
        ),
        (
            "truncated weights",
            "keep".into(),
            Some(token),
            model_upload(&mlp_json, &mlp_w[..1000]),
            StatusCode::BAD_REQUEST,
            "1000 bytes",
        ),
        (
            "weights of another model",
            "keep".into(),
            Some(token),
            model_upload(&mlp_json, &trained_w),
            StatusCode::BAD_REQUEST,
            "manifest",
        ),
        (
            "missing weights part",
            "keep".into(),
            Some(token),
            multipart(&[("model.json", "model.json", "application/json", &mlp_json)]),
            StatusCode::BAD_REQUEST,
            "0 bytes",
        ),
        (
            "invalid JSON",
            "keep".into(),
            Some(token),
            multipart(&[
                (
                    "model.json",
                    "model.json",
                    "application/json",
                    b"{\"modelTopology\": [1,",
                ),
                (
                    "model.weights.bin",
                    "model.weights.bin",
                    "application/octet-stream",
                    &mlp_w,
                ),
            ]),
            StatusCode::BAD_REQUEST,
            "invalid model.json",
        ),
        (
            "no topology",
            "keep".into(),
            Some(token),
            multipart(&[(
                "model.json",
                "model.json",
                "application/json",
                b"{\"weightsManifest\":[]}",
            )]),
            StatusCode::BAD_REQUEST,
            "modelTopology",
        ),
        (
            "extra part",
            "keep".into(),
            Some(token),
            multipart(&[
                ("model.json", "model.json", "application/json", &mlp_json),
                (
                    "model.weights.bin",
                    "model.weights.bin",
                    "application/octet-stream",
                    &mlp_w,
                ),
                ("evil", "evil.sh", "text/plain", b"rm -rf /"),
            ]),
            StatusCode::BAD_REQUEST,
            "unexpected form part",
        ),
        (
            "duplicate part",
            "keep".into(),
            Some(token),
            multipart(&[
                ("model.json", "model.json", "application/json", &mlp_json),
                ("model.json", "model.json", "application/json", &mlp_json),
            ]),
            StatusCode::BAD_REQUEST,
            "twice",
        ),
        (
            "not multipart",
            "keep".into(),
            Some(token),
            ("application/json".into(), mlp_json.clone()),
            StatusCode::BAD_REQUEST,
            "multipart",
        ),
        (
            "oversized",
            "keep".into(),
            Some(token),
            model_upload(&mlp_json, &vec![0u8; 200 * 1024]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "limit",
        ),
        (
            "hidden name",
            ".keep".into(),
            Some(token),
            (ct.clone(), good.clone()),
            StatusCode::BAD_REQUEST,
            "invalid model name",
        ),
        (
            "encoded slash",
            "a%2Fb".into(),
            Some(token),
            (ct.clone(), good.clone()),
            StatusCode::BAD_REQUEST,
            "invalid model name",
        ),
        (
            "encoded traversal",
            "%2E%2E%2Fetc".into(),
            Some(token),
            (ct.clone(), good.clone()),
            StatusCode::BAD_REQUEST,
            "invalid model name",
        ),
        (
            "control char",
            "a%00b".into(),
            Some(token),
            (ct.clone(), good.clone()),
            StatusCode::BAD_REQUEST,
            "invalid model name",
        ),
        (
            "newline",
            "a%0Ab".into(),
            Some(token),
            (ct.clone(), good.clone()),
            StatusCode::BAD_REQUEST,
            "invalid model name",
        ),
        (
            "too long",
            "x".repeat(200),
            Some(token),
            (ct.clone(), good.clone()),
            StatusCode::BAD_REQUEST,
            "invalid model name",
        ),
    ];
    // Duplicate weight names in the manifest.
    let mut dup: Value = serde_json::from_slice(&mlp_json).unwrap();
    let w0 = dup["weightsManifest"][0]["weights"][0].clone();
    dup["weightsManifest"][0]["weights"][1]["name"] = w0["name"].clone();
    let dup = serde_json::to_vec(&dup).unwrap();
    cases.push((
        "duplicate weight names",
        "keep".into(),
        Some(token),
        model_upload(&dup, &mlp_w),
        StatusCode::BAD_REQUEST,
        "twice",
    ));

    for (what, name, tok, (ct, body), want, text) in cases {
        let (status, v) = s.post(&name, &ct, body, tok).await;
        assert_eq!(status, want, "{what}: {v}");
        let err = v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no JSON error: {v}"));
        assert!(err.contains(text), "{what}: {err:?} lacks {text:?}");
        assert_eq!(v["status"], want.as_u16(), "{what}");
        assert_eq!(s.snapshot().await, before, "{what}: store changed");
        assert_eq!(s.listing().await, before_list, "{what}: listing changed");
    }

    // Deletes need the token too.
    let r = s.delete("/models/keep").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.snapshot().await, before);
    // Reads do not.
    assert_eq!(
        s.get("/models/keep/model.json").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_declared_oversized_body_is_refused_before_reading_it() {
    let s = start(ServerConfig {
        max_upload_bytes: 1024,
        ..Default::default()
    })
    .await;
    let (ct, body) = node_capture("mlp");
    let (status, v) = s.post("big", &ct, body, None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(s.store.names().is_empty());
}

#[tokio::test]
async fn read_only_server_refuses_writes_and_non_loopback_needs_a_token() {
    let s = start(ServerConfig {
        read_only: true,
        ..Default::default()
    })
    .await;
    let (ct, body) = node_capture("mlp");
    assert_eq!(s.post("m", &ct, body, None).await.0, StatusCode::FORBIDDEN);

    let open = Server::open(
        ServerConfig::default(),
        Arc::new(MemoryStore::new()),
        "memory://x",
    )
    .await
    .unwrap();
    let err = open
        .check_addr("0.0.0.0:8080".parse().unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("without a token"), "{err}");
    assert!(open.check_addr("127.0.0.1:8080".parse().unwrap()).is_ok());
    assert!(open.check_addr("[::1]:8080".parse().unwrap()).is_ok());
    let with_token = Server::open(
        ServerConfig {
            token: Some("t".into()),
            ..Default::default()
        },
        Arc::new(MemoryStore::new()),
        "memory://x",
    )
    .await
    .unwrap();
    assert!(with_token
        .check_addr("0.0.0.0:8080".parse().unwrap())
        .is_ok());
}

#[tokio::test]
async fn cors_allows_any_origin_to_read_and_only_listed_origins_to_write() {
    let s = start(ServerConfig::default()).await;
    let (ct, body) = node_capture("mlp");
    s.post("mlp", &ct, body.clone(), None).await;
    let r = s
        .get_with(
            "/models/mlp/model.json",
            "origin",
            "http://elsewhere.example",
        )
        .await;
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    // A cross-origin write (a page on another site posting a form) is refused.
    let r = s
        .post_from("http://elsewhere.example", "evil", &ct, body.clone())
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(s.store.names(), vec!["srv/mlp/v1"]);
    // Same-origin writes (the page served by this server) are fine.
    let host = s.base.trim_start_matches("http://").to_string();
    let r = s
        .post_from(&format!("http://{host}"), "same", &ct, body.clone())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let s2 = start(ServerConfig {
        cors_origins: vec!["http://app.example".into()],
        ..Default::default()
    })
    .await;
    let r = s2.preflight("/models/x", "http://app.example").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    assert!(r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert!(r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("authorization"));
    let r = s2.post_from("http://app.example", "x", &ct, body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    // With origins configured, other origins may not read: the refusal is
    // readable by the page (its own origin echoed) and names the flag.
    let r = s2
        .get_with("/models", "origin", "http://other.example")
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://other.example"
    );
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("--cors-origin http://other.example"),
        "{v}"
    );
    assert!(v.get("models").is_none());
}

#[tokio::test]
async fn our_client_saves_and_the_catalog_survives_a_restart() {
    let store = Arc::new(MemoryStore::new());
    let s = start_on(
        ServerConfig {
            token: Some("tok".into()),
            ..Default::default()
        },
        store.clone(),
    )
    .await;
    // Load a fixture through the server (uploaded by TF.js), save it back as
    // another name with our client, with the token as a custom header.
    let (ct, body) = node_capture("trained");
    s.post("trained", &ct, body, Some("tok")).await;
    let client = tfjs_http::HttpStore::new(
        "http",
        tfjs_http::HttpOptions::default().bearer("tok").unwrap(),
    )
    .unwrap();
    let a = client
        .load(&ModelUrl::parse(&format!("{}/models/trained/model.json", s.base)).unwrap())
        .await
        .unwrap();
    let saved = client
        .save(
            &ModelUrl::parse(&format!("{}/models/copy", s.base)).unwrap(),
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        saved.model_artifacts_info.weight_data_bytes,
        a.weight_data.len() as u64
    );
    // Without the token our client reports TF.js's message plus the server's reason.
    let err = http_client()
        .save(
            &ModelUrl::parse(&format!("{}/models/copy", s.base)).unwrap(),
            &a,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("BrowserHTTPRequest.save() failed due to HTTP response status 401"),
        "{err}"
    );
    assert!(err.contains("Bearer"), "{err}");

    // A new server over the same store sees both models and serves the same bytes.
    drop(s);
    let s2 = start_on(ServerConfig::default(), store.clone()).await;
    let list = s2.listing().await;
    let names: Vec<_> = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].clone())
        .collect();
    assert_eq!(names, vec!["copy", "trained"]);
    let b = s2.load("/models/copy/model.json").await;
    assert_eq!(b.weight_data.contiguous(), a.weight_data.contiguous());
    assert_eq!(b.model_topology, a.model_topology);
    assert_eq!(b.weight_specs, a.weight_specs);
    // The stored artifacts are the uploaded ones.
    let stored = store
        .load(&ModelUrl::parse("memory://srv/copy/v1").unwrap())
        .await
        .unwrap();
    assert_eq!(stored.weight_data.contiguous(), a.weight_data.contiguous());
}

#[tokio::test]
async fn the_web_page_lists_models_with_a_strict_csp() {
    let s = start(ServerConfig::default()).await;
    let r = s.get("/").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("No models yet"));
    let (ct, body) = node_capture("mlp");
    s.post("mlp", &ct, body, None).await;
    let r = s.get("/").await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"));
    let html = r.text().await.unwrap();
    assert!(html.contains("<a href=\"/view/mlp\">mlp</a>"), "{html}");
    assert!(html.contains("Dense"), "{html}");
    assert!(html.contains("data-url=\"/models/mlp\""));
    let r = s.get("/view/mlp").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("/models/mlp/v1/model.json"));
    assert!(html.contains("dense_out"), "layer names are listed");
    // Each input and output as the JSON API gives it (free dims `null`),
    // and snippets with the address the client used, not a placeholder.
    let summary: Value = s.get("/models/mlp").await.json().await.unwrap();
    let v1 = &summary["versions"][0];
    for (kind, list) in [("input", &v1["inputs"]), ("output", &v1["outputs"])] {
        let list = list.as_array().unwrap();
        assert!(!list.is_empty(), "{kind}s listed: {summary}");
        for t in list {
            let dims: Vec<String> = t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().map_or("null".into(), |n| n.to_string()))
                .collect();
            let row = format!(
                "<tr class=\"{kind}\"><td>{kind}</td><td>{}</td><td><code>[{}]</code></td><td>{}</td></tr>",
                t["name"].as_str().unwrap(),
                dims.join(","),
                t["dtype"].as_str().unwrap()
            );
            assert!(html.contains(&row), "{row} in {html}");
        }
    }
    assert!(v1["inputs"][0]["shape"][0].is_null(), "batch dim is free");
    assert!(
        html.contains(&format!(
            "tf.loadLayersModel('{}/models/mlp/model.json')",
            s.base
        )),
        "{html}"
    );
    assert!(!html.contains("HOST"), "{html}");
    assert_eq!(s.get("/view/nope").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(s.get("/assets/app.js").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn stalled_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = start(ServerConfig {
        idle_timeout: Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
    c.write_all(b"POST /models/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut buf)).await;
    assert!(r.is_ok(), "the server kept a stalled connection open");
    assert!(s.store.names().is_empty());
}

/// Send raw bytes (paths no URL library would leave alone) and return the status line.
async fn raw_status(base: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut c = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    c.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn dot_dot_names_over_the_wire_are_refused() {
    let s = start(ServerConfig::default()).await;
    for path in [
        "/models/..",
        "/models/%2e%2e",
        "/models/../model.json",
        "/models/%2e%2e/v1",
    ] {
        for method in ["POST", "GET", "DELETE"] {
            let status = raw_status(
                &s.base,
                &format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            )
            .await;
            assert!(
                status.contains(" 400 ") || status.contains(" 404 ") || status.contains(" 405 "),
                "{method} {path}: {status}"
            );
        }
    }
    assert!(s.store.names().is_empty());
}

//! The http(s):// handler against a local axum server serving fixture files:
//! URL resolution on the wire, query strings, custom headers, retries, errors
//! for non-2xx and HTML bodies, progress, and the exact multipart save.

use axum::body::Bytes;
use axum::extract::{Path as AxPath, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tfjs_http::{HttpOptions, HttpStore, Progress, RetryPolicy};
use tfjs_io::{IoError, ModelStore, ModelUrl};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}
fn read(p: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(p)).unwrap()
}

#[derive(Default)]
struct Seen {
    requests: Vec<(String, Option<String>)>, // (path?query, authorization)
    flaky_left: u32,
    saved: Option<(HeaderMap, Bytes)>,
}

type S = Arc<Mutex<Seen>>;

async fn file(
    State(seen): State<S>,
    AxPath(rest): AxPath<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    {
        let mut s = seen.lock().unwrap();
        s.requests.push((
            uri.path_and_query().unwrap().to_string(),
            headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_string()),
        ));
        if rest.starts_with("flaky/") && rest.ends_with(".bin") && s.flaky_left > 0 {
            s.flaky_left -= 1;
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    // /m/<fixture>/model.json → tfjs/<fixture>/model.json; /flaky/ and /html/ share files.
    let rest = rest
        .trim_start_matches("flaky/")
        .trim_start_matches("html/")
        .trim_start_matches("missing/");
    if uri.path().starts_with("/m/missing/") && uri.path().ends_with(".bin") {
        return (
            StatusCode::NOT_FOUND,
            "<!DOCTYPE html><html><body>Not Found</body></html>",
        )
            .into_response();
    }
    if uri.path().starts_with("/m/html/") && uri.path().ends_with(".bin") {
        return (
            StatusCode::OK,
            "<!DOCTYPE html><html><body>Welcome to our single page app</body></html>",
        )
            .into_response();
    }
    match std::fs::read(fixtures().join("tfjs").join(rest)) {
        Ok(b) => b.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn upload(State(seen): State<S>, headers: HeaderMap, body: Bytes) -> Response {
    seen.lock().unwrap().saved = Some((headers, body));
    (StatusCode::OK, "{}").into_response()
}

async fn start() -> (String, S) {
    let seen: S = Arc::new(Mutex::new(Seen::default()));
    let app = axum::Router::new()
        .route("/m/{*rest}", get(file))
        .route("/upload", post(upload))
        .route(
            "/denied",
            post(|| async {
                (
                    StatusCode::UNAUTHORIZED,
                    "{\"error\":\"the bearer token is wrong\"}",
                )
            }),
        )
        .with_state(seen.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (base, seen)
}

/// The error of loading `url`, which must fail.
async fn load_error(store: &HttpStore, url: &str) -> IoError {
    store.load_url(url).await.unwrap_err()
}

/// `a` holds the `tfjs/mlp` fixture's weight bytes.
#[track_caller]
fn assert_mlp_weights(a: &tfjs_format::ModelArtifacts) {
    assert_eq!(
        &*a.weight_data.contiguous(),
        &read("tfjs/mlp/weights.bin")[..]
    );
}

/// The text of [`load_error`].
async fn load_error_text(store: &HttpStore, url: &str) -> String {
    load_error(store, url).await.to_string()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: std::time::Duration::from_millis(5),
        max_delay: std::time::Duration::from_millis(20),
    }
}

#[tokio::test]
async fn loads_a_fixture_with_its_query_string_and_headers() {
    let (base, seen) = start().await;
    let store = HttpStore::new("http", HttpOptions::default().bearer("abc").unwrap()).unwrap();
    let url = ModelUrl::parse(&format!("{base}/m/mlp/model.json?tok=1")).unwrap();
    let a = store.load(&url).await.unwrap();
    assert_mlp_weights(&a);
    assert_eq!(a.weight_specs.len(), 6);
    let reqs = seen.lock().unwrap().requests.clone();
    assert_eq!(
        reqs,
        vec![
            (
                "/m/mlp/model.json?tok=1".to_string(),
                Some("Bearer abc".to_string())
            ),
            (
                "/m/mlp/weights.bin?tok=1".to_string(),
                Some("Bearer abc".to_string())
            ),
        ]
    );
}

#[tokio::test]
async fn weight_path_prefix_and_converter_are_used_on_the_wire() {
    let (base, seen) = start().await;
    // No slash is inserted: prefix ".../m/trained/" + "weights.bin".
    let opts = HttpOptions {
        weight_path_prefix: Some(format!("{base}/m/trained/")),
        ..Default::default()
    };
    let a = HttpStore::new("http", opts)
        .unwrap()
        .load_url(&format!("{base}/m/mlp/model.json"))
        .await;
    // trained's weights do not fit mlp's manifest: the length check says so.
    let err = a.unwrap_err().to_string();
    assert!(err.contains("/m/trained/weights.bin"), "{err}");
    assert!(err.contains("expected 1600 bytes"), "{err}");

    let b = base.clone();
    let opts = HttpOptions {
        weight_url_converter: Some(Arc::new(move |p: &str| format!("{b}/m/mlp/{p}?via=conv"))),
        ..Default::default()
    };
    let a = HttpStore::new("http", opts)
        .unwrap()
        .load_url(&format!("{base}/m/mlp/model.json?ignored=1"))
        .await
        .unwrap();
    assert_mlp_weights(&a);
    let last = seen.lock().unwrap().requests.last().unwrap().0.clone();
    assert_eq!(last, "/m/mlp/weights.bin?via=conv");
}

#[tokio::test]
async fn transient_failures_are_retried_then_reported() {
    let (base, seen) = start().await;
    seen.lock().unwrap().flaky_left = 2;
    let opts = HttpOptions {
        retry: fast_retries(),
        ..Default::default()
    };
    let store = HttpStore::new("http", opts).unwrap();
    let a = store
        .load_url(&format!("{base}/m/flaky/mlp/model.json"))
        .await
        .unwrap();
    assert_mlp_weights(&a);
    let n = seen
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|r| r.0.ends_with(".bin"))
        .count();
    assert_eq!(n, 3, "two 503s, then success");

    seen.lock().unwrap().flaky_left = 10;
    let err = load_error_text(&store, &format!("{base}/m/flaky/mlp/model.json")).await;
    assert!(
        err.contains("503") && err.contains("gave up after 4 attempts"),
        "{err}"
    );
    assert!(err.contains("/m/flaky/mlp/weights.bin"), "{err}");

    // Nothing listening: a connect error, retried and then reported with the URL.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    let err = load_error_text(&store, &format!("http://{addr}/model.json")).await;
    assert!(
        err.contains(&addr.to_string()) && err.contains("gave up"),
        "{err}"
    );
}

#[tokio::test]
async fn non_2xx_and_html_weights_are_errors_naming_the_url() {
    let (base, _) = start().await;
    let store = HttpStore::new("http", HttpOptions::default()).unwrap();
    let err = load_error_text(&store, &format!("{base}/m/missing/mlp/model.json")).await;
    assert!(
        err.contains(&format!("{base}/m/missing/mlp/weights.bin")),
        "{err}"
    );
    assert!(err.contains("404"), "{err}");

    let err = load_error(&store, &format!("{base}/m/html/mlp/model.json")).await;
    let text = err.to_string();
    assert!(text.contains("/m/html/mlp/weights.bin"), "{text}");
    assert!(text.contains("HTML"), "{text}");
    assert!(matches!(err, IoError::Format(_)), "{err:?}");

    // model.json itself missing: TF.js's wording, as NotFound.
    let err = load_error(&store, &format!("{base}/m/nope/model.json")).await;
    assert!(matches!(err, IoError::NotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("failed with status code 404"),
        "{err}"
    );

    // A model URL without `/model.json` gets a hint (issue 12).
    let err = load_error_text(&store, &format!("{base}/m/mlp")).await;
    assert!(
        err.contains("failed with status code 404")
            && err.contains(&format!("e.g. {base}/m/mlp/model.json")),
        "{err}"
    );
}

#[tokio::test]
async fn progress_is_byte_level_and_ends_at_the_total() {
    let (base, _) = start().await;
    let events: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let e = events.clone();
    let opts = HttpOptions {
        progress: Some(Arc::new(move |p| e.lock().unwrap().push(p))),
        ..Default::default()
    };
    HttpStore::new("http", opts)
        .unwrap()
        .load_url(&format!("{base}/m/trained/model.json"))
        .await
        .unwrap();
    let ev = events.lock().unwrap().clone();
    let total = read("tfjs/trained/weights.bin").len() as u64;
    assert_eq!(ev.first().unwrap().loaded_bytes, 0);
    let last = ev.last().unwrap();
    assert_eq!(
        (
            last.loaded_bytes,
            last.total_bytes,
            last.completed_shards,
            last.total_shards
        ),
        (total, Some(total), 1, 1)
    );
    assert_eq!(last.fraction(), 1.0);
    assert!(ev
        .windows(2)
        .all(|w| w[0].loaded_bytes <= w[1].loaded_bytes));
}

#[tokio::test]
async fn save_sends_exactly_the_parts_tfjs_sends() {
    let (base, seen) = start().await;
    // Artifacts from what Chromium's TF.js sent; saving them must send the same model.json bytes.
    let part0 = read("browser/http-save-request/part-0-model.json");
    let part1 = read("browser/http-save-request/part-1-model.weights.bin");
    let a = tfjs_format::ModelJson::parse(&part0, "part-0")
        .unwrap()
        .into_artifacts(tfjs_format::WeightData::from_vec(part1.clone()));
    let opts = HttpOptions::default().header("x-custom", "yes").unwrap();
    let r = HttpStore::new("http", opts)
        .unwrap()
        .save(&ModelUrl::parse(&format!("{base}/upload")).unwrap(), &a)
        .await
        .unwrap();
    assert_eq!(r.model_artifacts_info.weight_data_bytes, 92);
    assert_eq!(r.model_artifacts_info.model_topology_bytes, 1025);
    assert_eq!(r.model_artifacts_info.weight_specs_bytes, 225);

    let (headers, body) = seen.lock().unwrap().saved.take().unwrap();
    assert_eq!(headers["x-custom"], "yes");
    let ct = headers["content-type"].to_str().unwrap();
    let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
    let sep = format!("--{boundary}");
    let text = body.to_vec();
    let parts: Vec<&[u8]> = split(&text, sep.as_bytes());
    // preamble "", two parts, "--\r\n"
    assert_eq!(parts.len(), 4, "{}", String::from_utf8_lossy(&text));
    let (h0, b0) = head_body(parts[1]);
    let (h1, b1) = head_body(parts[2]);
    assert!(
        h0.contains("Content-Disposition: form-data; name=\"model.json\"; filename=\"model.json\""),
        "{h0}"
    );
    assert!(h0.contains("Content-Type: application/json"), "{h0}");
    assert!(
        h1.contains("name=\"model.weights.bin\"; filename=\"model.weights.bin\""),
        "{h1}"
    );
    assert!(
        h1.contains("Content-Type: application/octet-stream"),
        "{h1}"
    );
    assert_eq!(
        b0,
        &part0[..],
        "model.json part is byte-identical to TF.js's"
    );
    assert_eq!(b1, &part1[..]);

    // A refusal: TF.js's message plus the server's reason.
    let err = HttpStore::new("http", HttpOptions::default())
        .unwrap()
        .save(&ModelUrl::parse(&format!("{base}/denied")).unwrap(), &a)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("BrowserHTTPRequest.save() failed due to HTTP response status 401.")
            && err.contains("the bearer token is wrong"),
        "{err}"
    );
}

fn split<'a>(hay: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + sep.len() <= hay.len() {
        if &hay[i..i + sep.len()] == sep {
            out.push(&hay[start..i]);
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&hay[start..]);
    out
}

fn head_body(part: &[u8]) -> (String, &[u8]) {
    let i = part.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&part[..i]).to_string();
    let body = &part[i + 4..part.len() - 2]; // drop the trailing \r\n
    (head, body)
}

/// A server that sends a byte every 50 ms never trips the per-read timeout;
/// the total deadline ends the load with an error naming it (issue 15.11).
#[tokio::test]
async fn a_trickling_server_hits_the_total_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut req = [0u8; 1024];
                let _ = sock.read(&mut req).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                    .await;
                for _ in 0..100_000 {
                    if sock.write_all(b" ").await.is_err() {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            });
        }
    });
    let options = HttpOptions {
        total_timeout: std::time::Duration::from_millis(800),
        retry: fast_retries(),
        ..HttpOptions::default()
    };
    let store = HttpStore::new("http", options).unwrap();
    let url = ModelUrl::parse(&format!("http://{addr}/slow/model.json")).unwrap();
    let start = std::time::Instant::now();
    let err = store.load(&url).await.unwrap_err().to_string();
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert!(err.contains("total deadline of 0.8 s"), "{err}");
}

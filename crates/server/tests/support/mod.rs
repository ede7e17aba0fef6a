//! Helpers shared by the server's integration tests: fixtures, captured
//! TensorFlow.js requests, hand-built multipart bodies, a server on
//! 127.0.0.1 over a memory store.
#![allow(dead_code)]

use reqwest::StatusCode;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tfjs_io::memory::MemoryStore;
use tfjs_server::{Server, ServerConfig};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

pub fn read(p: impl AsRef<Path>) -> Vec<u8> {
    let p = fixtures().join(p);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Lowercase hex of `b`.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A captured TensorFlow.js save request: (content-type, body).
pub fn node_capture(model: &str) -> (String, Vec<u8>) {
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
    (ct, read(format!("tfjs/{model}/http/request.bin")))
}

pub fn browser_capture() -> (String, Vec<u8>) {
    let r: Value = serde_json::from_slice(&read("browser/http-save-request/request.json")).unwrap();
    let raw = r["rawHeaders"].as_array().unwrap();
    let i = raw.iter().position(|h| h == "Content-Type").unwrap();
    (
        raw[i + 1].as_str().unwrap().to_string(),
        read("browser/http-save-request/body.bin"),
    )
}

/// The two parts TensorFlow.js sends: `model.json`, then `model.weights.bin`.
pub fn model_upload(model_json: &[u8], weights: &[u8]) -> (String, Vec<u8>) {
    multipart(&[
        ("model.json", "model.json", "application/json", model_json),
        (
            "model.weights.bin",
            "model.weights.bin",
            "application/octet-stream",
            weights,
        ),
    ])
}

/// Build a multipart body by hand (so tests can send what no client library would).
pub fn multipart(parts: &[(&str, &str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----testboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, filename, ct, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// (what, name, token, content-type + body, expected status, text in the error)
pub type Case<'a> = (
    &'a str,
    String,
    Option<&'a str>,
    (String, Vec<u8>),
    StatusCode,
    &'a str,
);

pub struct TestServer {
    pub base: String,
    pub store: Arc<MemoryStore>,
    pub client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start(config: ServerConfig) -> TestServer {
    let store = Arc::new(MemoryStore::new());
    start_on(config, store).await
}

pub async fn start_on(config: ServerConfig, store: Arc<MemoryStore>) -> TestServer {
    let server = Server::open(config, store.clone(), "memory://srv")
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve_with_shutdown(listener, async {
        let _ = rx.await;
    }));
    TestServer {
        base,
        store,
        client: reqwest::Client::new(),
        _stop: tx,
    }
}

impl TestServer {
    pub async fn post(
        &self,
        name: &str,
        ct: &str,
        body: Vec<u8>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(format!("{}/models/{name}", self.base))
            .header("content-type", ct)
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let v = r.json::<Value>().await.unwrap_or(Value::Null);
        (status, v)
    }

    /// A request to `path` below the base URL.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        sent(self.request(reqwest::Method::GET, path)).await
    }

    /// GET `path` (below the base URL) with one extra request header.
    pub async fn get_with(&self, path: &str, name: &str, value: &str) -> reqwest::Response {
        sent(self.request(reqwest::Method::GET, path).header(name, value)).await
    }

    /// POST a model named `name` as a page at `origin` does (no token).
    pub async fn post_from(
        &self,
        origin: &str,
        name: &str,
        ct: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let post = self
            .request(reqwest::Method::POST, &format!("/models/{name}"))
            .header("origin", origin)
            .header("content-type", ct)
            .body(body);
        sent(post).await
    }

    /// The CORS preflight a page at `origin` sends before POSTing to
    /// `path` (below the base URL) with a token header.
    pub async fn preflight(&self, path: &str, origin: &str) -> reqwest::Response {
        let preflight = self
            .request(reqwest::Method::OPTIONS, path)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization");
        sent(preflight).await
    }

    /// The model served at `path` (below the base URL), loaded as
    /// TensorFlow.js's http loader would.
    pub async fn load(&self, path: &str) -> tfjs_format::ModelArtifacts {
        load_served(&self.base, path).await
    }

    /// DELETE `path` (below the base URL), without a token.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        sent(self.request(reqwest::Method::DELETE, path)).await
    }

    pub async fn listing(&self) -> Value {
        let mut v: Value = self.get("/models").await.json().await.unwrap();
        // dateSaved etc. are stable between calls; the whole listing is compared.
        v.as_object_mut().unwrap();
        v
    }

    /// Everything the store holds, for "store unchanged" checks.
    pub async fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for name in self.store.names() {
            let a = self.store.get(&name).unwrap();
            out.push((name, a.weight_data.contiguous().into_owned()));
        }
        out
    }
}

/// The response to `request`, which must reach the server.
pub async fn sent(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.unwrap()
}

/// The model a server at `base` serves at `path`.
pub async fn load_served(base: &str, path: &str) -> tfjs_format::ModelArtifacts {
    http_client()
        .load_url(&format!("{base}{path}"))
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn http_client() -> tfjs_http::HttpStore {
    tfjs_http::HttpStore::new("http", tfjs_http::HttpOptions::default()).unwrap()
}

/// Serve `server` on a free 127.0.0.1 port until the test ends; its base URL.
pub async fn serve_in_background(server: Server) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server.serve(listener));
    base
}

/// POST a body to `BASE/models/NAME`; (status, JSON answer).
pub async fn post_to(base: &str, name: &str, ct: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/models/{name}"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

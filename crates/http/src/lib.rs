//! The `http://` / `https://` model handler: TensorFlow.js's `tf.io.http`
//! rebuilt on `reqwest`.
//!
//! **Load** fetches `model.json`, then every weight shard, resolving shard
//! URLs exactly as TensorFlow.js 4.22 does ([`weight_urls`]: the model URL's
//! directory plus the manifest path plus the model URL's query string, or
//! `weight_path_prefix` glued on with *no* slash, or a
//! [`HttpOptions::weight_url_converter`]). Unlike TensorFlow.js, a non-2xx
//! weight response is an error naming the URL and status, and every manifest
//! group's byte count is checked (an HTML error page served as weights is
//! reported as such). Fetches run in parallel (bounded), transient failures
//! (connect errors, timeouts, 5xx, 429) are retried with exponential backoff,
//! and byte-level progress is reported through [`HttpOptions::progress`].
//!
//! **Save** sends one `POST` (or [`HttpOptions::save_method`]) with a
//! `multipart/form-data` body whose parts are exactly those TensorFlow.js
//! sends: `model.json` (`application/json`, filename `model.json`, the
//! browser-style JSON with manifest path `./model.weights.bin`) then
//! `model.weights.bin` (`application/octet-stream`).
//!
//! ```no_run
//! # async fn demo() -> tfjs_io::Result<()> {
//! use tfjs_io::{ModelStore, ModelUrl};
//! let store = tfjs_http::HttpStore::new("http", tfjs_http::HttpOptions::default())?;
//! let url = ModelUrl::parse("http://127.0.0.1:8080/models/mnist/model.json")?;
//! let artifacts = store.load(&url).await?;
//! println!("{} weights", artifacts.weight_specs.len());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::{StreamExt, TryStreamExt};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tfjs_format::codec::stored_byte_len;
use tfjs_format::{
    FormatError, JsonStyle, ModelArtifacts, ModelArtifactsInfo, ModelJson, SaveResult, WeightData,
    WeightsManifestGroup,
};
use tfjs_io::{IoError, ModelStore, ModelUrl, Result, Router};

/// The manifest path TensorFlow.js writes in an HTTP save.
pub const SAVE_WEIGHTS_PATH: &str = "./model.weights.bin";

/// Maps a manifest path to the URL to fetch (TensorFlow.js `weightUrlConverter`).
pub type WeightUrlConverter = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Receives load progress (called from the fetching tasks; keep it cheap).
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Byte-level load progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Weight bytes received so far (all shards).
    pub loaded_bytes: u64,
    /// Weight bytes expected in total, when the manifest says (no `string` weights).
    pub total_bytes: Option<u64>,
    /// Shards fully received.
    pub completed_shards: usize,
    /// Shards to fetch.
    pub total_shards: usize,
}

impl Progress {
    /// Fraction in `[0, 1]`: by bytes when the total is known, else by shards.
    ///
    /// ```
    /// let p = tfjs_http::Progress { loaded_bytes: 25, total_bytes: Some(100), completed_shards: 0, total_shards: 2 };
    /// assert_eq!(p.fraction(), 0.25);
    /// ```
    pub fn fraction(&self) -> f64 {
        match self.total_bytes {
            Some(0) | None if self.total_shards == 0 => 1.0,
            Some(t) if t > 0 => (self.loaded_bytes as f64 / t as f64).min(1.0),
            _ => self.completed_shards as f64 / self.total_shards as f64,
        }
    }
}

/// Retries for transient failures: connect errors, timeouts, HTTP 5xx and 429.
/// Delays are `base_delay * 2^attempt`, capped at `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = no retry).
    pub max_retries: u32,
    /// Delay before the first retry (default 200 ms).
    pub base_delay: Duration,
    /// Upper bound on any one delay (default 5 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Options of the HTTP handler (TensorFlow.js `LoadOptions` plus safety limits).
#[derive(Clone)]
pub struct HttpOptions {
    /// Sent with every request (TensorFlow.js `requestInit.headers`), e.g. `Authorization`.
    pub headers: HeaderMap,
    /// Method of a save request (TensorFlow.js `requestInit.method`; default `POST`).
    pub save_method: Method,
    /// Replaces the model URL's directory in weight URLs; glued to the path
    /// with **no** slash, exactly as TensorFlow.js does. `Some("")` counts as unset.
    pub weight_path_prefix: Option<String>,
    /// When set, the URL of every shard is `converter(path)`, verbatim.
    pub weight_url_converter: Option<WeightUrlConverter>,
    /// Shards fetched at the same time (at least 1).
    pub concurrency: usize,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Byte-level load progress.
    pub progress: Option<ProgressFn>,
    /// Largest model.json accepted.
    pub max_model_json_bytes: u64,
    /// Largest total weight size accepted when the manifest cannot tell
    /// (it has `string` weights); otherwise the manifest's size is the limit.
    pub max_weight_bytes: u64,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Longest wait for any single read of a response (stall detection).
    pub read_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            headers: HeaderMap::new(),
            save_method: Method::POST,
            weight_path_prefix: None,
            weight_url_converter: None,
            concurrency: 6,
            retry: RetryPolicy::default(),
            progress: None,
            max_model_json_bytes: 64 << 20,
            max_weight_bytes: 8 << 30,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
        }
    }
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("save_method", &self.save_method)
            .field("weight_path_prefix", &self.weight_path_prefix)
            .field("weight_url_converter", &self.weight_url_converter.is_some())
            .field("concurrency", &self.concurrency)
            .field("retry", &self.retry)
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpOptions {
    /// Add a header sent with every request (e.g. `("authorization", "Bearer …")`).
    pub fn header(mut self, name: &str, value: &str) -> Result<Self> {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| IoError::invalid(format!("invalid HTTP header name {name:?}: {e}")))?;
        let v = HeaderValue::from_str(value)
            .map_err(|e| IoError::invalid(format!("invalid value for HTTP header {name}: {e}")))?;
        self.headers.insert(n, v);
        Ok(self)
    }

    /// Defaults plus what the environment asks for: `TFJS_HTTP_AUTHORIZATION`
    /// is sent as the `Authorization` header of every request (e.g.
    /// `Bearer <token>` for `tfjs serve`); an invalid value is an error.
    pub fn from_env() -> Result<Self> {
        match std::env::var("TFJS_HTTP_AUTHORIZATION") {
            Ok(v) if !v.is_empty() => HttpOptions::default().header("authorization", &v),
            _ => Ok(HttpOptions::default()),
        }
    }

    /// Add `Authorization: Bearer <token>`.
    ///
    /// ```
    /// let opts = tfjs_http::HttpOptions::default().bearer("s3cret").unwrap();
    /// assert_eq!(opts.headers["authorization"], "Bearer s3cret");
    /// // Header names and values are checked, never a panic.
    /// assert!(tfjs_http::HttpOptions::default().header("bad name", "x").is_err());
    /// ```
    pub fn bearer(self, token: &str) -> Result<Self> {
        self.header("authorization", &format!("Bearer {token}"))
    }
}

/// Split a model URL as TensorFlow.js `parseUrl` does: `(prefix, suffix)`
/// where `prefix` is everything up to and including the last `/` and
/// `suffix` the query string when its `?` comes after that slash.
///
/// ```
/// assert_eq!(tfjs_http::parse_url("http://h/a/model.json?tok=1"), ("http://h/a/".to_string(), "?tok=1".to_string()));
/// assert_eq!(tfjs_http::parse_url("model.json"), ("/".to_string(), "".to_string()));
/// ```
pub fn parse_url(url: &str) -> (String, String) {
    let last_slash = url.rfind('/');
    let last_question = url.rfind('?');
    let prefix = match last_slash {
        Some(i) => format!("{}/", &url[..i]),
        None => "/".to_string(),
    };
    let suffix = match (last_question, last_slash) {
        (Some(q), Some(s)) if q > s => url[q..].to_string(),
        (Some(q), None) => url[q..].to_string(),
        _ => String::new(),
    };
    (prefix, suffix)
}

/// The URL of every manifest path, in order, exactly as TensorFlow.js 4.22
/// computes them (`converter(path)` when a converter is given, else
/// `(weight_path_prefix || dir(model_url)) + path + query(model_url)` by plain
/// string concatenation).
///
/// ```
/// let urls = tfjs_http::weight_urls("http://h/a/model.json?tok=1", &["g1-s1.bin", "./g1-s2.bin"], None, None);
/// assert_eq!(urls, ["http://h/a/g1-s1.bin?tok=1", "http://h/a/./g1-s2.bin?tok=1"]);
/// let urls = tfjs_http::weight_urls("http://h/a/model.json", &["g1-s1.bin"], Some("http://cdn/w"), None);
/// assert_eq!(urls, ["http://cdn/wg1-s1.bin"]);
/// ```
pub fn weight_urls<S: AsRef<str>>(
    model_url: &str,
    paths: &[S],
    weight_path_prefix: Option<&str>,
    converter: Option<&(dyn Fn(&str) -> String + Send + Sync)>,
) -> Vec<String> {
    if let Some(conv) = converter {
        return paths.iter().map(|p| conv(p.as_ref())).collect();
    }
    let (prefix, suffix) = parse_url(model_url);
    let prefix = match weight_path_prefix {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => prefix,
    };
    paths
        .iter()
        .map(|p| format!("{prefix}{}{suffix}", p.as_ref()))
        .collect()
}

/// What text-looking bytes look like (`"HTML"`/`"JSON"`), for error messages.
///
/// ```
/// use tfjs_http::looks_like_text;
/// assert_eq!(looks_like_text(b"<!DOCTYPE html><html>"), Some("HTML"));
/// assert_eq!(looks_like_text(br#"{"error": "not found"}"#), Some("JSON"));
/// assert_eq!(looks_like_text(&[0, 0, 128, 63]), None);
/// ```
pub fn looks_like_text(bytes: &[u8]) -> Option<&'static str> {
    tfjs_format::shard::sniff_text(bytes)
}

/// The `http` or `https` handler. Cheap to clone (shares the connection pool).
#[derive(Debug, Clone)]
pub struct HttpStore {
    scheme: String,
    client: reqwest::Client,
    options: Arc<HttpOptions>,
}

/// Register `http` and `https` handlers in `router`, with
/// [`HttpOptions::from_env`].
pub fn register(router: &mut Router) -> Result<()> {
    register_with(router, HttpOptions::from_env()?)
}

/// Register `http` and `https` handlers sharing `options` and one connection pool.
///
/// ```
/// let mut router = tfjs_io::Router::new();
/// tfjs_http::register_with(&mut router, tfjs_http::HttpOptions::default()).unwrap();
/// assert_eq!(router.schemes(), ["http", "https"]);
/// ```
pub fn register_with(router: &mut Router, options: HttpOptions) -> Result<()> {
    let http = HttpStore::new("http", options)?;
    let https = http.with_scheme("https");
    router.register(Arc::new(http));
    router.register(Arc::new(https));
    Ok(())
}

enum Attempt<T> {
    Done(T),
    Retry(String),
    Fail(IoError),
}

impl HttpStore {
    /// A handler for `scheme` (`"http"` or `"https"`).
    pub fn new(scheme: &str, options: HttpOptions) -> Result<HttpStore> {
        if scheme != "http" && scheme != "https" {
            return Err(IoError::invalid(format!(
                "the HTTP handler serves http and https, not {scheme:?}"
            )));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .user_agent(concat!("tfjs-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| IoError::Other {
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(HttpStore {
            scheme: scheme.to_string(),
            client,
            options: Arc::new(options),
        })
    }

    /// The same handler (same pool and options) for another scheme.
    pub fn with_scheme(&self, scheme: &str) -> HttpStore {
        HttpStore {
            scheme: scheme.to_string(),
            ..self.clone()
        }
    }

    /// The options in use.
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    fn check_scheme(&self, url: &ModelUrl) -> Result<String> {
        if url.scheme != "http" && url.scheme != "https" {
            return Err(IoError::invalid(format!(
                "{url}: the HTTP handler only serves http:// and https:// URLs"
            )));
        }
        if url.path.is_empty() {
            return Err(IoError::invalid(
                "URL path for http must not be null, undefined or empty.",
            ));
        }
        Ok(url.to_string())
    }

    /// GET `url` with retries and read the body, refusing more than `limit`
    /// bytes. Progress bytes are added to `counter` as they arrive.
    async fn get_bytes(
        &self,
        url: &str,
        what: &str,
        limit: u64,
        counter: Option<&(dyn Fn(i64) + Sync)>,
    ) -> Result<(StatusCode, Bytes)> {
        let mut attempt = 0u32;
        loop {
            let outcome = self.get_once(url, what, limit, counter).await;
            match outcome {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(why) => {
                    if attempt >= self.options.retry.max_retries {
                        return Err(IoError::Other {
                            message: format!(
                                "{what} {url}: {why} (gave up after {} attempts)",
                                attempt + 1
                            ),
                        });
                    }
                    let d = self.options.retry.delay(attempt);
                    tracing::warn!(url, attempt, delay_ms = d.as_millis() as u64, %why, "retrying");
                    tokio::time::sleep(d).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn get_once(
        &self,
        url: &str,
        what: &str,
        limit: u64,
        counter: Option<&(dyn Fn(i64) + Sync)>,
    ) -> Attempt<(StatusCode, Bytes)> {
        let resp = match self
            .client
            .get(url)
            .headers(self.options.headers.clone())
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) if e.is_builder() => {
                return Attempt::Fail(IoError::invalid(format!("{what} {url}: invalid URL: {e}")))
            }
            Err(e) => return Attempt::Retry(describe(&e)),
        };
        let status = resp.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Attempt::Retry(format!("HTTP status {status}"));
        }
        if !status.is_success() {
            // Not retried; the body is not needed.
            return Attempt::Done((status, Bytes::new()));
        }
        if let Some(len) = resp.content_length() {
            if len > limit {
                return Attempt::Fail(IoError::invalid(format!(
                    "{what} {url}: the server announces {len} bytes, more than the {limit} expected"
                )));
            }
        }
        let cap = resp.content_length().unwrap_or(0).min(limit).min(64 << 20) as usize;
        let mut buf = BytesMut::with_capacity(cap);
        let mut stream = resp.bytes_stream();
        let mut received = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    if let Some(c) = counter {
                        // Roll back progress so a retry does not count twice.
                        c(-(received as i64));
                    }
                    return Attempt::Retry(format!("reading the body failed: {}", describe(&e)));
                }
            };
            if buf.len() as u64 + chunk.len() as u64 > limit {
                return Attempt::Fail(IoError::invalid(format!(
                    "{what} {url}: the response is longer than the {limit} bytes expected"
                )));
            }
            received += chunk.len() as u64;
            if let Some(c) = counter {
                c(chunk.len() as i64);
            }
            buf.extend_from_slice(&chunk);
        }
        Attempt::Done((status, buf.freeze()))
    }

    /// Load from a full `http(s)://…/model.json` URL.
    pub async fn load_url(&self, url: &str) -> Result<ModelArtifacts> {
        let (status, body) = self
            .get_bytes(url, "model.json", self.options.max_model_json_bytes, None)
            .await?;
        if !status.is_success() {
            let message = format!(
                "Request to {url} failed with status code {}. Please verify this URL points to the model JSON of the model to load.",
                status.as_u16()
            );
            return Err(if status == StatusCode::NOT_FOUND {
                IoError::NotFound {
                    url: url.to_string(),
                    message,
                }
            } else {
                IoError::Other { message }
            });
        }
        let model_json = ModelJson::parse(&body, url).map_err(|e| {
            if looks_like_text(&body) == Some("HTML") || matches!(e, FormatError::InvalidJson { .. }) {
                IoError::invalid(format!(
                    "Failed to parse model JSON of response from {url}. Please make sure the server is serving valid JSON for this request. ({e})"
                ))
            } else {
                IoError::Format(e)
            }
        })?;
        if model_json.model_topology.is_none() && model_json.weights_manifest.is_none() {
            return Err(IoError::invalid(format!(
                "The JSON from HTTP path {url} contains neither model topology or manifest for weights."
            )));
        }
        let groups = model_json.weights_manifest.clone().unwrap_or_default();
        let data = self.fetch_weights(url, &groups).await?;
        Ok(model_json.into_artifacts(data))
    }

    /// Fetch every shard of `groups` and check each group's byte count.
    async fn fetch_weights(
        &self,
        model_url: &str,
        groups: &[WeightsManifestGroup],
    ) -> Result<WeightData> {
        // Expected bytes per group (None when it has string weights).
        let mut expected: Vec<Option<u64>> = Vec::with_capacity(groups.len());
        for g in groups {
            let mut sum = Some(0u64);
            for spec in &g.weights {
                let len = stored_byte_len(spec)?;
                sum = match (sum, len) {
                    (Some(s), Some(l)) => Some(s.checked_add(l).ok_or_else(|| {
                        IoError::invalid(format!(
                            "{model_url}: weight `{}`: size overflows",
                            spec.name
                        ))
                    })?),
                    _ => None,
                };
            }
            expected.push(sum);
        }
        let total: Option<u64> = expected
            .iter()
            .try_fold(0u64, |a, e| e.and_then(|e| a.checked_add(e)));
        if let Some(t) = total {
            if t > self.options.max_weight_bytes {
                return Err(IoError::invalid(format!(
                    "{model_url}: the manifest declares {t} weight bytes, more than the limit of {}",
                    self.options.max_weight_bytes
                )));
            }
        }
        let all_paths: Vec<&str> = groups
            .iter()
            .flat_map(|g| g.paths.iter().map(String::as_str))
            .collect();
        let urls = weight_urls(
            model_url,
            &all_paths,
            self.options.weight_path_prefix.as_deref(),
            self.options.weight_url_converter.as_deref(),
        );
        // Per shard, a byte limit: its group's total (a shard cannot be longer).
        let mut limits = Vec::with_capacity(urls.len());
        for (g, e) in groups.iter().zip(&expected) {
            for _ in &g.paths {
                limits.push(e.unwrap_or(self.options.max_weight_bytes));
            }
        }
        let n = urls.len();
        let loaded = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let progress = self.options.progress.clone();
        let report = {
            let loaded = loaded.clone();
            let done = done.clone();
            let progress = progress.clone();
            move || {
                if let Some(p) = &progress {
                    p(Progress {
                        loaded_bytes: loaded.load(Ordering::SeqCst),
                        total_bytes: total,
                        completed_shards: done.load(Ordering::SeqCst),
                        total_shards: n,
                    })
                }
            }
        };
        if progress.is_some() {
            report();
        }
        let mut futs = Vec::with_capacity(n);
        for (u, lim) in urls.iter().cloned().zip(limits) {
            let loaded = loaded.clone();
            let done = done.clone();
            let report = report.clone();
            let fut = async move {
                let add = |k: i64| {
                    if k < 0 {
                        loaded.fetch_sub(k.unsigned_abs(), Ordering::SeqCst);
                    } else {
                        loaded.fetch_add(k as u64, Ordering::SeqCst);
                    }
                    report();
                };
                let (status, bytes) = self.get_bytes(&u, "weight shard", lim, Some(&add)).await?;
                if !status.is_success() {
                    return Err(IoError::Other {
                        message: format!(
                            "weight shard {u}: the server answered HTTP status {} (expected 2xx)",
                            status.as_u16()
                        ),
                    });
                }
                done.fetch_add(1, Ordering::SeqCst);
                report();
                Ok::<Bytes, IoError>(bytes)
            };
            futs.push(fut);
        }
        let buffers: Vec<Bytes> = futures::stream::iter(futs)
            .buffered(self.options.concurrency.max(1))
            .try_collect()
            .await?;

        // Check each group's total.
        let mut i = 0;
        for (g, e) in groups.iter().zip(&expected) {
            let shards = &buffers[i..i + g.paths.len()];
            let shard_urls = &urls[i..i + g.paths.len()];
            i += g.paths.len();
            let actual: u64 = shards.iter().map(|b| b.len() as u64).sum();
            if let Some(e) = *e {
                if actual != e {
                    let looks_like = shards.iter().find_map(|b| looks_like_text(b));
                    let bad = shards
                        .iter()
                        .zip(shard_urls)
                        .find(|(b, _)| looks_like_text(b).is_some())
                        .map(|(_, u)| u.clone())
                        .unwrap_or_else(|| shard_urls.join(", "));
                    return Err(FormatError::ShardLength {
                        shard: bad,
                        expected: e,
                        actual,
                        looks_like,
                    }
                    .into());
                }
            }
        }
        Ok(WeightData { buffers })
    }

    /// Save to a full `http(s)://` URL as TensorFlow.js does.
    pub async fn save_url(&self, url: &str, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let body = save_body(artifacts);
        let weights_len = artifacts.weight_data.len() as u64;
        let mut attempt = 0u32;
        loop {
            let form = reqwest::multipart::Form::new()
                .part(
                    "model.json",
                    reqwest::multipart::Part::bytes(body.clone())
                        .file_name("model.json")
                        .mime_str("application/json")
                        .expect("static mime"),
                )
                .part(
                    "model.weights.bin",
                    reqwest::multipart::Part::stream_with_length(
                        reqwest::Body::wrap_stream(futures::stream::iter(
                            artifacts
                                .weight_data
                                .buffers
                                .clone()
                                .into_iter()
                                .map(Ok::<Bytes, std::io::Error>),
                        )),
                        weights_len,
                    )
                    .file_name("model.weights.bin")
                    .mime_str("application/octet-stream")
                    .expect("static mime"),
                );
            let result = self
                .client
                .request(self.options.save_method.clone(), url)
                .headers(self.options.headers.clone())
                .multipart(form)
                .send()
                .await;
            let resp = match result {
                Ok(r) => r,
                // Only a failed connect is retried: nothing was sent.
                Err(e) if e.is_connect() && attempt < self.options.retry.max_retries => {
                    tokio::time::sleep(self.options.retry.delay(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => {
                    return Err(IoError::Other {
                        message: format!("saving to {url} failed: {}", describe(&e)),
                    })
                }
            };
            let status = resp.status();
            if !status.is_success() {
                let text = resp.text().await.unwrap_or_default();
                let detail = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                    .unwrap_or_else(|| text.chars().take(300).collect());
                return Err(IoError::Other {
                    message: format!(
                        "BrowserHTTPRequest.save() failed due to HTTP response status {}. ({url}: {})",
                        status.as_u16(),
                        detail.trim()
                    ),
                });
            }
            return Ok(SaveResult {
                model_artifacts_info: ModelArtifactsInfo::for_artifacts(artifacts),
                errors: Vec::new(),
            });
        }
    }
}

/// The `model.json` part of a save: TensorFlow.js `getModelJSONForModelArtifacts`
/// with one group `{paths: ["./model.weights.bin"], weights: weightSpecs}`,
/// written in [`JsonStyle::Browser`].
///
/// ```
/// use tfjs_format::{DType, ModelArtifacts, WeightSpec};
/// let a = ModelArtifacts {
///     model_topology: Some(serde_json::json!({"class_name": "Sequential"})),
///     weight_specs: vec![WeightSpec::new("w", vec![1], DType::Float32)],
///     ..Default::default()
/// };
/// let body = String::from_utf8(tfjs_http::save_body(&a)).unwrap();
/// assert!(body.contains(r#""paths":["./model.weights.bin"]"#), "{body}");
/// ```
pub fn save_body(artifacts: &ModelArtifacts) -> Vec<u8> {
    let manifest = vec![WeightsManifestGroup {
        paths: vec![SAVE_WEIGHTS_PATH.to_string()],
        weights: artifacts.weight_specs.clone(),
        extra: Default::default(),
    }];
    ModelJson::from_artifacts(artifacts, manifest).to_bytes(JsonStyle::Browser)
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[async_trait]
impl ModelStore for HttpStore {
    fn scheme(&self) -> &str {
        &self.scheme
    }

    async fn load(&self, url: &ModelUrl) -> Result<ModelArtifacts> {
        let full = self.check_scheme(url)?;
        self.load_url(&full).await
    }

    async fn save(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let full = self.check_scheme(url)?;
        self.save_url(&full, artifacts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Appendix A.5 of the format digest, verified against TensorFlow.js 4.22.0.
    const PATHS: [&str; 2] = ["g1-s1.bin", "./g1-s2.bin"];

    #[test]
    fn a5_query_string_is_carried() {
        assert_eq!(
            weight_urls("http://h/a/model.json?tok=1", &PATHS, None, None),
            ["http://h/a/g1-s1.bin?tok=1", "http://h/a/./g1-s2.bin?tok=1"]
        );
    }

    #[test]
    fn a5_weight_path_prefix_has_no_slash_inserted() {
        assert_eq!(
            weight_urls("http://h/a/model.json", &PATHS, Some("http://cdn/w"), None),
            ["http://cdn/wg1-s1.bin", "http://cdn/w./g1-s2.bin"]
        );
        // An empty prefix falls back to the model directory.
        assert_eq!(
            weight_urls("http://h/a/model.json", &PATHS, Some(""), None),
            ["http://h/a/g1-s1.bin", "http://h/a/./g1-s2.bin"]
        );
    }

    #[test]
    fn a5_converter_is_used_verbatim() {
        let conv = |n: &str| format!("https://conv/{n}");
        assert_eq!(
            weight_urls(
                "http://h/a/model.json?x=1",
                &PATHS,
                Some("ignored"),
                Some(&conv)
            ),
            ["https://conv/g1-s1.bin", "https://conv/./g1-s2.bin"]
        );
    }

    #[test]
    fn a5_slashless_model_path_uses_root() {
        assert_eq!(
            weight_urls("model.json", &PATHS, None, None),
            ["/g1-s1.bin", "/./g1-s2.bin"]
        );
    }

    #[test]
    fn question_mark_before_last_slash_is_not_a_suffix() {
        assert_eq!(
            parse_url("http://h/a?x=1/model.json?p=1"),
            ("http://h/a?x=1/".to_string(), "?p=1".to_string())
        );
        assert_eq!(
            parse_url("http://h/a?x=1/model.json"),
            ("http://h/a?x=1/".to_string(), String::new())
        );
    }

    #[test]
    fn html_and_json_bodies_are_recognised() {
        assert_eq!(looks_like_text(b"\n<!DOCTYPE html><html>"), Some("HTML"));
        assert_eq!(looks_like_text(b"<html><body>404"), Some("HTML"));
        assert_eq!(looks_like_text(b"{\"error\":\"nope\"}"), Some("JSON"));
        assert_eq!(looks_like_text(&[0u8, 0, 128, 63]), None);
    }

    #[test]
    fn retry_delays_grow_and_are_capped() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
        };
        assert_eq!(p.delay(0), Duration::from_millis(100));
        assert_eq!(p.delay(2), Duration::from_millis(400));
        assert_eq!(p.delay(3), Duration::from_millis(700));
        assert_eq!(p.delay(40), Duration::from_millis(700));
    }
}

//! Requests with retries and a total deadline; the load (model.json, then
//! every shard through the checkpoint) and the multipart save.

use crate::urls::{looks_like_text, parse_url, weight_urls};
use crate::{HttpOptions, HttpStore, Progress, SAVE_WEIGHTS_PATH};
use bytes::{Bytes, BytesMut};
use futures::{StreamExt, TryStreamExt};
use reqwest::StatusCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tfjs_format::checkpoint;
use tfjs_format::codec::stored_byte_len;
use tfjs_format::shard::check_shards_at;
use tfjs_format::{
    FormatError, JsonStyle, ModelArtifacts, ModelArtifactsInfo, ModelJson, SaveResult, WeightData,
    WeightsManifestGroup,
};
use tfjs_io::{IoError, ModelUrl, Result};

/// One GET: its URL, what it fetches (for errors), the most body bytes
/// accepted, and where received bytes are counted as they arrive.
#[derive(Clone, Copy)]
struct Get<'a> {
    url: &'a str,
    what: &'a str,
    limit: u64,
    counter: Option<&'a (dyn Fn(i64) + Sync)>,
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
        Ok(HttpStore {
            scheme: scheme.to_string(),
            client: Arc::new(std::sync::OnceLock::new()),
            options: Arc::new(options),
        })
    }

    /// The shared client, built on first use.
    pub(crate) fn client(&self) -> Result<&reqwest::Client> {
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .connect_timeout(self.options.connect_timeout)
                    .read_timeout(self.options.read_timeout)
                    .user_agent(concat!("tfjs-rs/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(|message| IoError::Other {
                message: message.clone(),
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

    /// Run `work` within [`HttpOptions::total_timeout`].
    pub(crate) async fn within_deadline<T>(
        &self,
        url: &str,
        what: &str,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let limit = self.options.total_timeout;
        tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
            Err(IoError::Other {
                message: format!(
                    "{what} {url} did not finish within the total deadline of {:.1} s (HttpOptions::total_timeout, TFJS_HTTP_TIMEOUT)",
                    limit.as_secs_f64()
                ),
            })
        })
    }

    pub(crate) fn check_scheme(&self, url: &ModelUrl) -> Result<String> {
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

    /// Run `get` with retries.
    async fn get_bytes(&self, get: Get<'_>) -> Result<(StatusCode, Bytes)> {
        let Get { url, what, .. } = get;
        let mut attempt = 0u32;
        loop {
            let outcome = self.get_once(&get).await;
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

    async fn get_once(&self, get: &Get<'_>) -> Attempt<(StatusCode, Bytes)> {
        let &Get {
            url,
            what,
            limit,
            counter,
        } = get;
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => return Attempt::Fail(e),
        };
        let resp = match client
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
            .get_bytes(Get {
                url,
                what: "model.json",
                limit: self.options.max_model_json_bytes,
                counter: None,
            })
            .await?;
        if !status.is_success() {
            let mut message = format!(
                "Request to {url} failed with status code {}. Please verify this URL points to the model JSON of the model to load.",
                status.as_u16()
            );
            message.push_str(&model_json_hint(url));
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
                "The JSON from HTTP path {url} contains neither model topology or manifest for weights.{}",
                model_json_hint(url)
            )));
        }
        let groups = model_json.weights_manifest.clone().unwrap_or_default();
        // Manifest paths are URL references here, resolved as TensorFlow.js
        // resolves them; the rest of the checkpoint applies as everywhere.
        if let Some(e) = checkpoint::manifest_problems(&groups, url)
            .into_iter()
            .find(|e| !matches!(e, FormatError::UnsafePath { .. }))
        {
            return Err(e.into());
        }
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
                let (status, bytes) = self
                    .get_bytes(Get {
                        url: &u,
                        what: "weight shard",
                        limit: lim,
                        counter: Some(&add),
                    })
                    .await?;
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

        // The checkpoint's shard check, per group, naming each shard's URL.
        let mut i = 0;
        for g in groups {
            let n = g.paths.len();
            check_shards_at(g, &buffers[i..i + n], &urls[i..i + n])?;
            i += n;
        }
        Ok(WeightData { buffers })
    }

    /// Save to a full `http(s)://` URL as TensorFlow.js does.
    pub async fn save_url(&self, url: &str, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let body = save_body(artifacts);
        let weights_len = artifacts.weight_data.len() as u64;
        let client = self.client()?;
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
            let result = client
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
            return Ok(SaveResult::from(ModelArtifactsInfo::for_artifacts(
                artifacts,
            )));
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

/// When `url` does not name a JSON file, a hint that models load from their
/// model.json (`tfjs serve` answers `/models/NAME` with the model's info,
/// not its model.json); else nothing.
fn model_json_hint(url: &str) -> String {
    let (prefix, _) = parse_url(url);
    let file = url.strip_prefix(prefix.as_str()).unwrap_or(url);
    let file = file.split('?').next().unwrap_or(file);
    if file.ends_with(".json") {
        return String::new();
    }
    format!(
        " (The URL does not name a JSON file: a model is loaded from its model.json, e.g. {}/model.json.)",
        url.split('?').next().unwrap_or(url).trim_end_matches('/')
    )
}

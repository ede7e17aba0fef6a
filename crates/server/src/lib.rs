//! `tfjs serve`: an HTTP model store that TensorFlow.js saves to and loads from.
//!
//! * `POST /models/NAME` accepts exactly what `model.save('http://HOST/models/NAME')`
//!   sends (browser and Node), validates it and stores it as a new version;
//!   the answer is the `ModelArtifactsInfo` JSON (plus `name`, `version`, `modelUrl`).
//! * `GET /models/NAME/model.json` (latest) and `GET /models/NAME/vN/model.json`
//!   return a model.json whose weight paths point at content-addressed blobs
//!   (`/blobs/sha256-<hex>.bin`, relative to the model.json), so
//!   `tf.loadLayersModel('http://HOST/models/NAME/model.json')` works as is.
//!   Blobs are immutable (`Cache-Control: public, max-age=31536000, immutable`,
//!   ETag, Range); model.json is revalidated (`no-cache` + ETag).
//! * `GET /models` lists models and versions; `DELETE /models/NAME[/vN]`.
//! * `/` is a server-rendered page listing models; `/view/NAME` shows one.
//!
//! Writes need `Authorization: Bearer TOKEN` when a token is configured; a
//! server on a non-loopback address refuses to start for writes without one.
//! Cross-origin writes are refused unless the origin is allowed; GETs allow
//! any origin by default. Uploads are size-capped; idle connections and slow
//! requests time out. Versions are stored through any [`ModelStore`] as
//! ordinary models at `<root>/NAME/vN` (see [`catalog`]).
//!
//! Several servers can share one store (`s3://bucket/models`): uploads claim
//! version numbers with create-if-absent saves ([`ModelStore::save_new`]),
//! retrying with the next number when another server got there first, so
//! two uploads never overwrite each other; each server refreshes its catalog
//! every [`ServerConfig::refresh_interval`] and re-scans (coalesced and
//! rate-limited) when asked for a model, version or blob it does not know.
//! Stores without create-if-absent (file://, indexeddb://) are for one
//! server process; within it, writes to one name are serialized.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! let store = Arc::new(tfjs_io::memory::MemoryStore::new());
//! let config = tfjs_server::ServerConfig::default();
//! let server = tfjs_server::Server::open(config, store, "memory://models").await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! server.serve(listener).await?;
//! # Ok(()) }
//! ```

pub mod catalog;
mod conn;
mod html;
mod sync;
pub mod upload;

use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use catalog::{info_json, make_version_blocking, Backend, Catalog, RefreshReport, Version};
pub use conn::{IdleTimeoutListener, RemoteAddr};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tfjs_format::ModelArtifactsInfo;
use tfjs_io::{IoError, ModelStore};
use tokio::sync::RwLock;
use tokio::time::Instant;
pub use upload::{valid_name, UploadLimits};

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Bearer token required for POST/DELETE (`None`: writes are open, only
    /// allowed on loopback addresses).
    pub token: Option<String>,
    /// Refuse every write.
    pub read_only: bool,
    /// Origins allowed cross-origin (reads and writes). Empty: any origin may
    /// read (`Access-Control-Allow-Origin: *`), none may write. `"*"` allows all.
    pub cors_origins: Vec<String>,
    /// Largest upload body.
    pub max_upload_bytes: u64,
    /// Largest `model.json` part.
    pub max_model_json_bytes: u64,
    /// Most weight entries per model.
    pub max_weights: usize,
    /// Longest a request (including reading its body) may take.
    pub request_timeout: Duration,
    /// A connection with no bytes moving for this long is closed.
    pub idle_timeout: Duration,
    /// Weight bytes kept in memory for serving blobs.
    pub cache_bytes: u64,
    /// How often the catalog is refreshed from the store, so that versions
    /// other servers upload or delete show up (`Duration::ZERO`: never; a
    /// request for something unknown still triggers a re-scan).
    pub refresh_interval: Duration,
    /// Least time between the end of one store scan and a scan triggered
    /// by a request for an unknown model, version or blob (such requests wait
    /// for it). Bounds the store traffic a flood of 404s can cause.
    pub rescan_min_interval: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            token: None,
            read_only: false,
            cors_origins: Vec::new(),
            max_upload_bytes: 512 << 20,
            max_model_json_bytes: 32 << 20,
            max_weights: 100_000,
            request_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(30),
            cache_bytes: 1 << 30,
            refresh_interval: Duration::from_secs(5),
            rescan_min_interval: Duration::from_secs(1),
        }
    }
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Writes on a non-loopback address without a token.
    #[error("refusing to accept uploads on the non-loopback address {0} without a token: set --token / TFJS_TOKEN, use --read-only, or listen on 127.0.0.1")]
    NeedToken(SocketAddr),
    /// The store could not be read.
    #[error(transparent)]
    Io(#[from] tfjs_io::IoError),
    /// Listening or serving failed.
    #[error("{0}")]
    Net(#[from] std::io::Error),
}

/// A JSON error answer: `{"error": "...", "status": N}`.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status answered.
    pub status: StatusCode,
    /// What was wrong, for the `error` field.
    pub message: String,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }
    /// 400.
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    /// 413.
    pub fn too_large(m: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, m)
    }
    /// 404.
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.message, "status": self.status.as_u16()});
        let mut r = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<tfjs_io::IoError> for ApiError {
    fn from(e: tfjs_io::IoError) -> Self {
        match e {
            tfjs_io::IoError::NotFound { message, .. } => ApiError::not_found(message),
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("store error: {other}"),
                )
            }
        }
    }
}

struct AppState {
    config: ServerConfig,
    backend: Backend,
    catalog: RwLock<Catalog>,
    /// Re-scans and per-name write locks.
    sync: sync::Freshness,
    /// False once the store answered `save_new` with Unsupported.
    create_if_absent: AtomicBool,
}

impl AppState {
    /// Look something up in the catalog; on a miss, wait for a (coalesced)
    /// re-scan of the store and look again.
    async fn lookup<T>(&self, f: impl Fn(&Catalog) -> Option<T>) -> Option<T> {
        let requested = Instant::now();
        if let Some(x) = f(&*self.catalog.read().await) {
            return Some(x);
        }
        self.sync
            .after_miss(&self.backend, &self.catalog, requested)
            .await;
        f(&*self.catalog.read().await)
    }
}

/// Most version numbers one upload tries before giving up.
pub const MAX_CLAIM_ATTEMPTS: usize = 16;

/// A periodic catalog refresh running in the background; stops when dropped.
#[derive(Debug)]
pub struct RefreshTask(tokio::task::JoinHandle<()>);

impl Drop for RefreshTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A configured server over a store.
#[derive(Clone)]
pub struct Server {
    state: Arc<AppState>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("root", &self.state.backend.root)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Open the store rooted at `root` (a URL of `store`'s scheme) and load
    /// its catalog.
    pub async fn open(
        config: ServerConfig,
        store: Arc<dyn ModelStore>,
        root: &str,
    ) -> Result<Server, ServerError> {
        let backend = Backend::new(store, root, config.cache_bytes);
        let state = AppState {
            sync: sync::Freshness::new(config.rescan_min_interval),
            config,
            backend,
            catalog: RwLock::new(Catalog::default()),
            create_if_absent: AtomicBool::new(true),
        };
        if state
            .sync
            .refresh_now(&state.backend, &state.catalog)
            .await?
            .is_none()
        {
            tracing::warn!(root = %state.backend.root, "the store cannot list models; starting with an empty catalog");
        }
        {
            let catalog = state.catalog.read().await;
            tracing::info!(
                root = %state.backend.root,
                models = catalog.models.len(),
                versions = catalog.models.values().map(|v| v.len()).sum::<usize>(),
                "store opened"
            );
        }
        Ok(Server {
            state: Arc::new(state),
        })
    }

    /// Re-read the store's listing now: load versions written by other
    /// servers, drop those deleted there. Versions already known are not
    /// re-read. `None` when the store cannot list.
    pub async fn refresh(&self) -> Result<Option<RefreshReport>, ServerError> {
        let st = &self.state;
        Ok(st.sync.refresh_now(&st.backend, &st.catalog).await?)
    }

    /// Start refreshing the catalog every [`ServerConfig::refresh_interval`]
    /// (`None` when that is zero). [`Server::serve`] does this itself; call
    /// it when serving [`Server::router`] some other way.
    pub fn start_refresh(&self) -> Option<RefreshTask> {
        let every = self.state.config.refresh_interval;
        if every.is_zero() {
            return None;
        }
        let st = self.state.clone();
        Some(RefreshTask(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let _ = st.sync.refresh_now(&st.backend, &st.catalog).await;
            }
        })))
    }

    /// The axum router (all routes and middleware).
    pub fn router(&self) -> axum::Router {
        let limit = self.state.config.max_upload_bytes as usize;
        axum::Router::new()
            .route("/", get(html::index))
            .route("/view/{name}", get(html::detail))
            .route("/assets/app.js", get(html::app_js))
            .route("/assets/app.css", get(html::app_css))
            .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
            .route("/models", get(list_models))
            .route(
                "/models/{name}",
                axum::routing::post(upload)
                    .put(upload)
                    .delete(delete_model)
                    .get(model_summary),
            )
            .route("/models/{name}/model.json", get(latest_json))
            .route(
                "/models/{name}/{version}",
                axum::routing::delete(delete_version).get(version_summary),
            )
            .route("/models/{name}/{version}/model.json", get(version_json))
            .route("/blobs/{blob}", get(blob))
            .fallback(|| async { ApiError::not_found("no such endpoint") })
            .layer(DefaultBodyLimit::max(limit.saturating_add(64 * 1024)))
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                guard,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                log_requests,
            ))
            .with_state(self.state.clone())
    }

    /// Check that this server may listen on `addr` (writes on a non-loopback
    /// address need a token or read-only mode).
    pub fn check_addr(&self, addr: SocketAddr) -> Result<(), ServerError> {
        let c = &self.state.config;
        if !addr.ip().is_loopback() && c.token.is_none() && !c.read_only {
            return Err(ServerError::NeedToken(addr));
        }
        Ok(())
    }

    /// Serve on `listener` until the process ends.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> Result<(), ServerError> {
        self.serve_with_shutdown(listener, std::future::pending())
            .await
    }

    /// Serve on `listener` until `shutdown` completes (then finish in-flight requests).
    pub async fn serve_with_shutdown(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let addr = listener.local_addr()?;
        self.check_addr(addr)?;
        let listener = IdleTimeoutListener::new(listener, self.state.config.idle_timeout);
        tracing::info!(%addr, "listening");
        let _refresh = self.start_refresh();
        let app = self.router();
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<RemoteAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------- middleware

fn is_write(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn origin_allowed(config: &ServerConfig, origin: &str) -> bool {
    config.cors_origins.iter().any(|o| o == "*" || o == origin)
}

fn same_origin(headers: &HeaderMap, origin: &str) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// CORS, auth, read-only and the request timeout.
async fn guard(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let config = &st.config;
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string);
    let cross = origin
        .as_deref()
        .filter(|o| !same_origin(req.headers(), o))
        .map(str::to_string);
    let listed = cross.as_deref().is_some_and(|o| origin_allowed(config, o));

    // Preflight.
    if req.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        if let Some(o) = &cross {
            let wants = req
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                .and_then(|m| m.to_str().ok())
                .unwrap_or("GET");
            let write = !matches!(wants, "GET" | "HEAD");
            if listed {
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, hv(o));
                h.insert(header::VARY, HeaderValue::from_static("Origin"));
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("GET, HEAD, POST, PUT, DELETE"),
                );
            } else if !write && config.cors_origins.is_empty() {
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("GET, HEAD"),
                );
            }
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, range, if-none-match"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
        return r;
    }

    let write = is_write(req.method());
    let refuse = |req: Request, r: Response| async move {
        // Read (and drop) a refused upload's body so that clients that send
        // the whole body before reading the answer (Node's fetch) see the
        // answer instead of a reset connection. Bounded.
        let cap = config.max_upload_bytes.min(64 << 20);
        let mut stream = req.into_body().into_data_stream();
        let mut seen = 0u64;
        let drain = async {
            while let Some(Ok(chunk)) = futures::StreamExt::next(&mut stream).await {
                seen += chunk.len() as u64;
                if seen > cap {
                    break;
                }
            }
        };
        let _ =
            tokio::time::timeout(config.request_timeout.min(Duration::from_secs(30)), drain).await;
        r
    };
    if write {
        if let Some(o) = &cross {
            if !listed {
                let r = ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!(
                        "cross-origin write from {o} refused: allow the origin with --cors-origin"
                    ),
                )
                .into_response();
                return refuse(req, r).await;
            }
        }
        if config.read_only {
            let r =
                ApiError::new(StatusCode::FORBIDDEN, "this server is read-only").into_response();
            return refuse(req, r).await;
        }
        if let Some(token) = &config.token {
            let got = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            let err = match got.and_then(|g| g.strip_prefix("Bearer ")) {
                None => Some("this server needs `Authorization: Bearer <token>` for writes"),
                Some(t) if !constant_time_eq(t.trim().as_bytes(), token.as_bytes()) => {
                    Some("the bearer token is wrong")
                }
                Some(_) => None,
            };
            if let Some(msg) = err {
                let mut r = ApiError::new(StatusCode::UNAUTHORIZED, msg).into_response();
                add_cors(&mut r, cross.as_deref(), listed, config);
                return refuse(req, r).await;
            }
        }
    }

    let mut r = match tokio::time::timeout(config.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request took longer than {} s",
                config.request_timeout.as_secs()
            ),
        )
        .into_response(),
    };
    add_cors(&mut r, cross.as_deref(), listed, config);
    r
}

fn add_cors(r: &mut Response, cross: Option<&str>, listed: bool, config: &ServerConfig) {
    let Some(o) = cross else { return };
    let h = r.headers_mut();
    if listed {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, hv(o));
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    } else if config.cors_origins.is_empty() {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    } else {
        return;
    }
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("ETag, Content-Range, Content-Length, Location"),
    );
}

fn hv(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("null"))
}

/// One structured log line per request.
async fn log_requests(
    State(_st): State<Arc<AppState>>,
    ConnectInfo(remote): ConnectInfo<RemoteAddr>,
    req: Request,
    next: Next,
) -> Response {
    let start = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let r = next.run(req).await;
    let bytes = r
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    tracing::info!(
        target: "tfjs_server::access",
        remote = %remote.0,
        method = %method,
        path = %path.escape_default(),
        status = r.status().as_u16(),
        bytes,
        ms = start.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    r
}

// ------------------------------------------------------------------ handlers

fn check_name(name: &str) -> Result<(), ApiError> {
    valid_name(name).map_err(ApiError::bad_request)
}

fn parse_version(v: &str) -> Result<u32, ApiError> {
    v.strip_prefix('v')
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n > 0 && !v[1..].starts_with('0'))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "invalid version {:?}: expected v1, v2, …",
                v.escape_default().to_string()
            ))
        })
}

async fn upload(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let limits = UploadLimits {
        max_body: st.config.max_upload_bytes,
        max_model_json: st.config.max_model_json_bytes,
        max_weights: st.config.max_weights,
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limits.max_body.saturating_add(64 * 1024) {
            return Err(ApiError::too_large(format!(
                "the upload has {len} bytes, more than the limit of {} bytes",
                limits.max_body
            )));
        }
    }
    let mp = mp.map_err(|e| {
        ApiError::bad_request(format!(
            "expected a multipart/form-data body as sent by TensorFlow.js model.save('http://…'): {}",
            e.body_text()
        ))
    })?;
    let (json_bytes, weights) = upload::read_parts(mp, &limits).await?;
    let artifacts = upload::validate(&json_bytes, weights, &limits)?;

    let lock = st.sync.name_lock(&name);
    let _w = lock.lock().await;
    let (number, info) = claim_version(&st, &name, &artifacts).await?;
    let version = make_version_blocking(number, artifacts, info.clone()).await?;
    let stamp = st.backend.stamp_of(&name, number).await;
    st.catalog
        .write()
        .await
        .insert_local(&name, Arc::new(version), stamp);
    tracing::info!(model = %name, version = number, weight_bytes = info.weight_data_bytes, "stored new version");
    let mut body = info_json(&info);
    let model_url = format!("/models/{name}/v{number}/model.json");
    body["name"] = json!(name);
    body["version"] = json!(number);
    body["modelUrl"] = json!(model_url);
    let mut r = (StatusCode::CREATED, axum::Json(body)).into_response();
    r.headers_mut().insert(header::LOCATION, hv(&model_url));
    Ok(r)
}

fn already_exists(e: &IoError) -> bool {
    matches!(e, IoError::AlreadyExists { .. })
}

/// Store `artifacts` as a new version of `name` and return its number.
/// The caller holds `name`'s lock, so this server's own uploads never race.
///
/// Stores with create-if-absent saves (object stores) may be shared by
/// several servers: the next number is claimed with `save_new`; when another
/// server already holds it, the store's listing of `name` tells which
/// numbers are taken and the next free one is tried, up to
/// [`MAX_CLAIM_ATTEMPTS`] times. Other stores are single-process: the number
/// is the next after both the catalog's and the store's newest.
async fn claim_version(
    st: &AppState,
    name: &str,
    artifacts: &tfjs_format::ModelArtifacts,
) -> Result<(u32, ModelArtifactsInfo), ApiError> {
    let mut number = st.catalog.read().await.next_version(name);
    for _ in 0..MAX_CLAIM_ATTEMPTS {
        let url = st.backend.url(name, number)?;
        if !st.create_if_absent.load(Ordering::Relaxed) {
            break;
        }
        match st.backend.store.save_new(&url, artifacts).await {
            Ok(saved) => return Ok((number, saved.model_artifacts_info)),
            Err(IoError::Unsupported { .. }) => {
                tracing::info!(root = %st.backend.root, "the store cannot save create-if-absent: one server process per store");
                st.create_if_absent.store(false, Ordering::Relaxed);
                break;
            }
            Err(e) if already_exists(&e) => {
                let newest = st.backend.stored_versions(name).await.into_iter().max();
                let next = newest.unwrap_or(0).max(number).saturating_add(1);
                tracing::info!(model = %name, taken = number, next, "version number taken by another writer; trying the next");
                number = next;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if st.create_if_absent.load(Ordering::Relaxed) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "could not claim a version number for {name:?} after {MAX_CLAIM_ATTEMPTS} attempts: other servers keep taking them; try again"
            ),
        ));
    }
    // Single-process store: skip numbers written behind the catalog's back
    // (e.g. `tfjs cp` into the store) rather than overwrite them.
    if let Some(newest) = st.backend.stored_versions(name).await.into_iter().max() {
        number = number.max(newest.saturating_add(1));
    }
    let url = st.backend.url(name, number)?;
    let saved = st.backend.store.save(&url, artifacts).await?;
    Ok((number, saved.model_artifacts_info))
}

fn version_json_value(name: &str, v: &Version) -> serde_json::Value {
    let mut j = info_json(&v.info);
    j["version"] = json!(v.number);
    j["modelUrl"] = json!(format!("/models/{name}/v{}/model.json", v.number));
    j["format"] = json!(v.format);
    j["generatedBy"] = json!(v.generated_by);
    j["layers"] = json!(v.layers.len());
    j["weights"] = json!(v.weight_count);
    j["blobs"] = json!(v
        .shards
        .iter()
        .map(|s| format!("/blobs/sha256-{}.bin", s.sha256))
        .collect::<Vec<_>>());
    j
}

fn model_json_value(
    name: &str,
    versions: &std::collections::BTreeMap<u32, Arc<Version>>,
) -> serde_json::Value {
    json!({
        "name": name,
        "latest": versions.keys().next_back(),
        "modelUrl": format!("/models/{name}/model.json"),
        "versions": versions.values().map(|v| version_json_value(name, v)).collect::<Vec<_>>(),
    })
}

async fn list_models(State(st): State<Arc<AppState>>) -> Response {
    let cat = st.catalog.read().await;
    let models: Vec<_> = cat
        .models
        .iter()
        .map(|(n, vs)| model_json_value(n, vs))
        .collect();
    let mut r = axum::Json(json!({ "models": models })).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

async fn model_summary(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let vs = st
        .lookup(|c| c.models.get(&name).cloned())
        .await
        .ok_or_else(|| ApiError::not_found(format!("there is no model named {name:?}")))?;
    Ok(axum::Json(model_json_value(&name, &vs)).into_response())
}

async fn version_summary(
    State(st): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let n = parse_version(&version)?;
    let v = st
        .lookup(|c| c.version(&name, n))
        .await
        .ok_or_else(|| ApiError::not_found(format!("model {name:?} has no version v{n}")))?;
    Ok(axum::Json(version_json_value(&name, &v)).into_response())
}

fn serve_json(headers: &HeaderMap, body: Bytes) -> Response {
    let etag = format!(
        "\"{}\"",
        &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body))[..32]
    );
    let mut r = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(body));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    let h = r.headers_mut();
    h.insert(header::ETAG, hv(&etag));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

async fn latest_json(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let v = st
        .lookup(|c| c.latest(&name))
        .await
        .ok_or_else(|| ApiError::not_found(format!("there is no model named {name:?}")))?;
    Ok(serve_json(&headers, v.latest_json.clone()))
}

async fn version_json(
    State(st): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let n = parse_version(&version)?;
    let v = st
        .lookup(|c| c.version(&name, n))
        .await
        .ok_or_else(|| ApiError::not_found(format!("model {name:?} has no version v{n}")))?;
    Ok(serve_json(&headers, v.versioned_json.clone()))
}

/// Parse a single `bytes=` range against `len`: `Ok(None)` = whole body.
fn parse_range(headers: &HeaderMap, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(v) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None); // unknown unit: ignore (RFC 9110)
    };
    if spec.contains(',') {
        return Ok(None); // multiple ranges: serve the whole body
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        (len.saturating_sub(n), len.checked_sub(1).ok_or(())?)
    } else {
        let s: u64 = a.parse().map_err(|_| ())?;
        let e: u64 = if b.is_empty() {
            len.checked_sub(1).ok_or(())?
        } else {
            b.parse::<u64>().map_err(|_| ())?.min(len.saturating_sub(1))
        };
        (s, e)
    };
    if start >= len || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

async fn blob(
    State(st): State<Arc<AppState>>,
    Path(blob): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hexid = blob
        .strip_prefix("sha256-")
        .and_then(|b| b.strip_suffix(".bin"))
        .filter(|h| h.len() == 64 && h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or_else(|| ApiError::not_found("blob names look like sha256-<64 hex digits>.bin"))?;
    let etag = format!("\"sha256-{hexid}\"");
    // Every (location, version) holding the blob.
    let find = |c: &Catalog| -> Option<Vec<(catalog::BlobLoc, Arc<Version>)>> {
        let found: Vec<_> = c
            .blobs
            .get(hexid)?
            .iter()
            .filter_map(|l| c.version(&l.model, l.version).map(|v| (l.clone(), v)))
            .collect();
        (!found.is_empty()).then_some(found)
    };
    let missing = || ApiError::not_found(format!("no blob sha256-{hexid}"));
    let mut candidates = st.lookup(find).await.ok_or_else(missing)?;
    let immutable = HeaderValue::from_static("public, max-age=31536000, immutable");
    if if_none_match(&headers, &etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, hv(&etag));
        r.headers_mut().insert(header::CACHE_CONTROL, immutable);
        return Ok(r);
    }
    let mut rescanned = false;
    let bytes = loop {
        let mut found = None;
        for (loc, v) in &candidates {
            match st.backend.weights(&loc.model, v).await {
                Ok(Some(data)) => {
                    found = Some(
                        data.slice(loc.offset as usize, loc.len as usize)
                            .ok_or_else(|| {
                                ApiError::new(
                                    StatusCode::INTERNAL_SERVER_ERROR,
                                    format!(
                                    "stored weights of {} v{} are shorter than the catalog says",
                                    loc.model, loc.version
                                ),
                                )
                            })?,
                    );
                    break;
                }
                // Replaced by another server: the catalog is stale.
                Ok(None) => {
                    st.catalog.write().await.mark_stale(&loc.model, loc.version);
                    continue;
                }
                // Deleted by another server.
                Err(IoError::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(b) = found {
            break b;
        }
        if rescanned {
            return Err(missing());
        }
        rescanned = true;
        st.sync
            .after_miss(&st.backend, &st.catalog, Instant::now())
            .await;
        candidates = find(&*st.catalog.read().await).ok_or_else(missing)?;
    };
    let len = bytes.len() as u64;
    let (status, body, range) = match parse_range(&headers, len) {
        Ok(None) => (StatusCode::OK, bytes, None),
        Ok(Some((s, e))) => (
            StatusCode::PARTIAL_CONTENT,
            bytes.slice(s as usize..=e as usize),
            Some(format!("bytes {s}-{e}/{len}")),
        ),
        Err(()) => {
            let mut r = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("the range is outside the blob's {len} bytes"),
            )
            .into_response();
            r.headers_mut()
                .insert(header::CONTENT_RANGE, hv(&format!("bytes */{len}")));
            return Ok(r);
        }
    };
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ETAG, hv(&etag));
    h.insert(header::CACHE_CONTROL, immutable);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(cr) = range {
        h.insert(header::CONTENT_RANGE, hv(&cr));
    }
    Ok(r)
}

/// Remove versions of `name` from the store and the catalog. Versions
/// another server already removed are dropped from the catalog and left out
/// of the answer. The caller holds `name`'s lock.
async fn remove_versions(
    st: &AppState,
    name: &str,
    numbers: Vec<u32>,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let mut out = Vec::new();
    for n in numbers {
        let url = st.backend.url(name, n)?;
        let removed = match st.backend.store.remove(&url).await {
            Ok(info) => Some(info),
            Err(IoError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        st.catalog.write().await.remove_local(name, n);
        st.backend.cache_drop(name, n);
        if let Some(info) = removed {
            let mut j = info_json(&info);
            j["version"] = json!(n);
            out.push(j);
        }
    }
    Ok(out)
}

async fn delete_model(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let lock = st.sync.name_lock(&name);
    let _w = lock.lock().await;
    // What this server knows plus what the store holds now (versions other
    // servers uploaded since the last refresh are deleted too).
    let mut numbers: Vec<u32> = st
        .catalog
        .read()
        .await
        .models
        .get(&name)
        .map(|vs| vs.keys().copied().collect())
        .unwrap_or_default();
    numbers.extend(st.backend.stored_versions(&name).await);
    numbers.sort_unstable();
    numbers.dedup();
    let removed = remove_versions(&st, &name, numbers).await?;
    if removed.is_empty() {
        return Err(ApiError::not_found(format!(
            "there is no model named {name:?}"
        )));
    }
    tracing::info!(model = %name, versions = removed.len(), "deleted model");
    Ok(axum::Json(json!({"name": name, "deleted": removed})).into_response())
}

async fn delete_version(
    State(st): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let n = parse_version(&version)?;
    let lock = st.sync.name_lock(&name);
    let _w = lock.lock().await;
    let known = st.catalog.read().await.version(&name, n).is_some();
    if !known && !st.backend.stored_versions(&name).await.contains(&n) {
        return Err(ApiError::not_found(format!(
            "model {name:?} has no version v{n}"
        )));
    }
    let removed = remove_versions(&st, &name, vec![n]).await?;
    if removed.is_empty() {
        return Err(ApiError::not_found(format!(
            "model {name:?} has no version v{n}"
        )));
    }
    tracing::info!(model = %name, version = n, "deleted version");
    Ok(axum::Json(json!({"name": name, "deleted": removed})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(v: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
        parse_range(&h, len)
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(range("bytes=0-3", 10), Ok(Some((0, 3))));
        assert_eq!(range("bytes=4-", 10), Ok(Some((4, 9))));
        assert_eq!(range("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(range("bytes=5-100", 10), Ok(Some((5, 9))));
        assert_eq!(range("bytes=10-", 10), Err(()));
        assert_eq!(range("bytes=5-4", 10), Err(()));
        assert_eq!(range("bytes=-0", 10), Err(()));
        assert_eq!(range("items=0-1", 10), Ok(None));
        assert_eq!(range("bytes=0-1,3-4", 10), Ok(None));
        assert_eq!(parse_range(&HeaderMap::new(), 10), Ok(None));
    }

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(parse_version("v1").unwrap(), 1);
        assert_eq!(parse_version("v12").unwrap(), 12);
        for bad in ["1", "v0", "v01", "v", "v-1", "vx", "v99999999999"] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }
}

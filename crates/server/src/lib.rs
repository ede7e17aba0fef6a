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
//! A server without a token answers only requests addressed to `localhost`
//! or a loopback IP (or [`ServerConfig::allowed_hosts`]): DNS rebinding.
//! Cross-origin writes are refused unless the origin is allowed; GETs allow
//! any origin by default; refusals are readable by the refused page and
//! logged once per origin. Uploads are size-capped (part headers too) and
//! their topology must build; idle connections and slow requests time out.
//! See `API.md` next to this crate's `Cargo.toml` for the HTTP reference. Versions are stored through any [`ModelStore`] as
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
mod config;
mod conn;
mod errors;
mod middleware;
mod range;
mod routes;
pub mod sweep;
mod sync;
pub mod topology;
pub mod upload;

use catalog::{Backend, Catalog, RefreshReport};
pub use config::{is_default_store_model, ServerConfig, DEFAULT_STORE_URL};
pub use conn::{IdleTimeoutListener, RemoteAddr};
pub use errors::{ApiError, ServerError};
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use tfjs_io::ModelStore;
use tokio::sync::RwLock;
use tokio::time::Instant;
pub use upload::{valid_name, UploadLimits};

struct AppState {
    config: ServerConfig,
    backend: Backend,
    catalog: RwLock<Catalog>,
    /// Re-scans and per-name write locks.
    sync: sync::Freshness,
    /// False once the store answered `save_new` with Unsupported.
    create_if_absent: AtomicBool,
    /// What was already warned about once (refused origins and hosts).
    warned: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Most distinct refusals [`AppState::warn_once`] remembers (then it stays
/// quiet, so that a flood of made-up origins cannot grow memory or the log).
const MAX_WARNED: usize = 1024;

impl AppState {
    /// Run `log` the first time `key` is seen.
    fn warn_once(&self, key: &str, log: impl FnOnce()) {
        let mut w = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        if w.len() < MAX_WARNED && w.insert(key.to_string()) {
            log();
        } else {
            tracing::debug!(key, "refused again");
        }
    }

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
        if let Some(dir) = root.strip_prefix("file://") {
            let dir = std::path::PathBuf::from(dir);
            tokio::task::spawn_blocking(move || sweep::sweep_file_root(&dir))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        let backend = Backend::new(store, root, config.cache_bytes);
        let state = AppState {
            sync: sync::Freshness::new(config.rescan_min_interval),
            config,
            backend,
            catalog: RwLock::new(Catalog::default()),
            create_if_absent: AtomicBool::new(true),
            warned: Default::default(),
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
        routes::router(self.state.clone())
    }

    /// Check that this server may listen on `addr` (writes on a non-loopback
    /// address need a token or read-only mode).
    pub fn check_addr(&self, addr: SocketAddr) -> Result<(), ServerError> {
        let c = &self.state.config;
        if !addr.ip().is_loopback() && c.token.is_none() && !c.read_only {
            return Err(ServerError::NeedToken(addr));
        }
        if !addr.ip().is_loopback() && c.token.is_none() && c.allowed_hosts.is_empty() {
            tracing::warn!(%addr, "without a token this server answers only requests addressed to localhost or a loopback IP (DNS-rebinding protection): name the host clients use with --allowed-host");
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

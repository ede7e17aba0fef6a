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
//!
//! Modules by role: [`options`] (what a caller configures), [`urls`] (how
//! TensorFlow.js turns a model URL and manifest paths into shard URLs),
//! `client` (requests, retries, deadlines, the load and the save) and
//! `store` (the [`ModelStore`](tfjs_io::ModelStore) operations).

mod client;
pub mod options;
mod store;
pub mod urls;

pub use client::save_body;
pub use options::{HttpOptions, Progress, RetryPolicy};
pub use urls::{looks_like_text, parse_url, weight_urls};

use std::sync::Arc;
use std::time::Duration;
use tfjs_io::{Result, Router};

/// The manifest path TensorFlow.js writes in an HTTP save.
pub const SAVE_WEIGHTS_PATH: &str = "./model.weights.bin";

/// Default [`HttpOptions::total_timeout`]: 15 minutes for a whole load or save.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Maps a manifest path to the URL to fetch (TensorFlow.js `weightUrlConverter`).
pub type WeightUrlConverter = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Receives load progress (called from the fetching tasks; keep it cheap).
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// The `http` or `https` handler. Cheap to clone (shares the connection pool).
#[derive(Debug, Clone)]
pub struct HttpStore {
    pub(crate) scheme: String,
    /// Built on first use: building it loads the TLS root certificates
    /// (hundreds of files), which commands that never fetch should not pay
    /// for at start-up. Shared by clones (one connection pool).
    pub(crate) client: Arc<std::sync::OnceLock<std::result::Result<reqwest::Client, String>>>,
    pub(crate) options: Arc<HttpOptions>,
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

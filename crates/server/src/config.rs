//! Server settings.

use std::time::Duration;

/// Where `tfjs serve` keeps versions when no `--store` is given (in the
/// embedded profile store): `indexeddb://tfjs-serve/NAME/vN`.
pub const DEFAULT_STORE_URL: &str = "indexeddb://tfjs-serve";

/// Whether `url` is a model in the default server store (so that `tfjs ls`
/// can hide the server's internal versions among the user's models): an
/// `indexeddb://` URL whose path is `tfjs-serve` or starts with `tfjs-serve/`.
pub fn is_default_store_model(url: &str) -> bool {
    url.strip_prefix(DEFAULT_STORE_URL)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

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
    /// Host names (or `name:port`) a server without a token answers besides
    /// `localhost` and loopback addresses (`"*"`: any; see DNS rebinding in
    /// the crate docs). Ignored when a token is set.
    pub allowed_hosts: Vec<String>,
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
            allowed_hosts: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_store_models_are_recognised() {
        assert!(is_default_store_model("indexeddb://tfjs-serve/mnist/v1"));
        assert!(is_default_store_model("indexeddb://tfjs-serve"));
        assert!(!is_default_store_model("indexeddb://tfjs-server/x"));
        assert!(!is_default_store_model("indexeddb://my-model"));
        assert!(!is_default_store_model("localstorage://tfjs-serve/m/v1"));
    }
}

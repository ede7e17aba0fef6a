//! [`HttpOptions`]: headers, weight URL rewriting, concurrency, retries,
//! progress, size limits and timeouts.

use crate::{ProgressFn, WeightUrlConverter, DEFAULT_TOTAL_TIMEOUT};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use std::time::Duration;
use tfjs_io::{IoError, Result};

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
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
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
    /// Deadline for a whole load or save, retries included: a server
    /// trickling bytes slower than `read_timeout` notices cannot hold a
    /// command forever. `TFJS_HTTP_TIMEOUT` (seconds) sets it in
    /// [`HttpOptions::from_env`].
    pub total_timeout: Duration,
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
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
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
        let mut options = match std::env::var("TFJS_HTTP_AUTHORIZATION") {
            Ok(v) if !v.is_empty() => HttpOptions::default().header("authorization", &v)?,
            _ => HttpOptions::default(),
        };
        if let Ok(v) = std::env::var("TFJS_HTTP_TIMEOUT") {
            let secs: f64 = v
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0)
                .ok_or_else(|| {
                    IoError::invalid(format!(
                        "TFJS_HTTP_TIMEOUT={v:?}: expected a positive number of seconds"
                    ))
                })?;
            options.total_timeout = Duration::from_secs_f64(secs.min(1e9));
        }
        Ok(options)
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

#[cfg(test)]
mod tests {
    use super::*;

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

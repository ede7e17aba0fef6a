//! Keeping a server's catalog in step with a store that other servers write
//! to: coalesced, rate-limited re-scans on a miss, the periodic refresh, and
//! per-name locks that serialize this server's writes to one model.

use crate::catalog::{Backend, Catalog, RefreshReport};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tfjs_io::IoError;
use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

#[derive(Debug, Default)]
struct Clock {
    /// When the last finished scan started listing.
    last_start: Option<Instant>,
    /// When it finished.
    last_end: Option<Instant>,
}

/// Scan scheduling and write locks of one server.
#[derive(Debug)]
pub(crate) struct Freshness {
    /// Held while a scan runs: scans never overlap, and callers queue here.
    clock: Mutex<Clock>,
    /// Least time between the end of one scan and the start of a
    /// miss-triggered one.
    min_interval: Duration,
    /// False once the store said it cannot list (nothing to re-scan).
    listable: AtomicBool,
    names: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl Freshness {
    pub(crate) fn new(min_interval: Duration) -> Self {
        Freshness {
            clock: Mutex::new(Clock::default()),
            min_interval,
            listable: AtomicBool::new(true),
            names: std::sync::Mutex::new(HashMap::new()),
        }
    }

    async fn run(
        &self,
        clock: &mut Clock,
        backend: &Backend,
        catalog: &RwLock<Catalog>,
    ) -> Result<Option<RefreshReport>, IoError> {
        let start = Instant::now();
        let r = backend.refresh(catalog).await;
        clock.last_start = Some(start);
        clock.last_end = Some(Instant::now());
        match &r {
            Ok(None) => self.listable.store(false, Ordering::Relaxed),
            Ok(Some(rep)) if rep.loaded > 0 || rep.removed > 0 => tracing::info!(
                root = %backend.root,
                listed = rep.listed,
                loaded = rep.loaded,
                removed = rep.removed,
                ms = start.elapsed().as_secs_f64() * 1000.0,
                "catalog refreshed"
            ),
            Ok(Some(_)) => {}
            Err(e) => {
                tracing::warn!(root = %backend.root, error = %e, "refreshing the catalog failed")
            }
        }
        r
    }

    /// Scan now (after any scan already running).
    pub(crate) async fn refresh_now(
        &self,
        backend: &Backend,
        catalog: &RwLock<Catalog>,
    ) -> Result<Option<RefreshReport>, IoError> {
        let mut clock = self.clock.lock().await;
        self.run(&mut clock, backend, catalog).await
    }

    /// Something asked for at `requested` was not in the catalog: make sure a
    /// scan that started after `requested` has finished. A burst of misses
    /// shares one scan; scans triggered this way start at least
    /// `min_interval` after the previous one ended (the caller waits).
    pub(crate) async fn after_miss(
        &self,
        backend: &Backend,
        catalog: &RwLock<Catalog>,
        requested: Instant,
    ) {
        if !self.listable.load(Ordering::Relaxed) {
            return;
        }
        let mut clock = self.clock.lock().await;
        if clock.last_start.is_some_and(|s| s >= requested) {
            return;
        }
        if let Some(end) = clock.last_end {
            tokio::time::sleep_until(end + self.min_interval).await;
        }
        let _ = self.run(&mut clock, backend, catalog).await;
    }

    /// The lock serializing this server's writes to model `name`.
    pub(crate) fn name_lock(&self, name: &str) -> Arc<Mutex<()>> {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        if names.len() >= 1024 {
            // Forget locks nobody holds or waits for.
            names.retain(|_, l| Arc::strong_count(l) > 1);
        }
        names.entry(name.to_string()).or_default().clone()
    }
}

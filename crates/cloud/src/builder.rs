//! [`CloudStore`]: configuration, and one `object_store` client per bucket
//! built from the environment on first use.

use crate::location::Location;
use crate::{Progress, DEFAULT_CONCURRENCY, DEFAULT_SHARD_SIZE};
use object_store::ObjectStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tfjs_io::{IoError, ModelUrl, Result};

/// A [`ModelStore`] for one object-store scheme (`s3`, `gs` or `az`).
#[derive(Clone)]
pub struct CloudStore {
    pub(crate) scheme: String,
    pub(crate) shard_size: usize,
    pub(crate) concurrency: usize,
    pub(crate) progress: Option<Progress>,
    /// One client per bucket, built on first use.
    clients: Arc<Mutex<HashMap<String, Arc<dyn ObjectStore>>>>,
}

impl std::fmt::Debug for CloudStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudStore")
            .field("scheme", &self.scheme)
            .field("shard_size", &self.shard_size)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl CloudStore {
    /// A store for `scheme` (`"s3"`, `"gs"` or `"az"`), configured from the environment.
    pub fn new(scheme: &str) -> Result<CloudStore> {
        if !matches!(scheme, "s3" | "gs" | "az") {
            return Err(IoError::invalid(format!(
                "object store scheme {scheme:?} is not supported: expected s3, gs or az"
            )));
        }
        Ok(CloudStore {
            scheme: scheme.to_string(),
            shard_size: DEFAULT_SHARD_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            progress: None,
            clients: Arc::default(),
        })
    }

    /// Use `client` for `bucket` instead of building one from the environment
    /// (tests, or custom credentials).
    pub fn with_client(self, bucket: &str, client: Arc<dyn ObjectStore>) -> Self {
        self.clients
            .lock()
            .expect("client map poisoned")
            .insert(bucket.to_string(), client);
        self
    }

    /// Shard size for saves (at least 1 byte).
    pub fn with_shard_size(mut self, bytes: usize) -> Self {
        self.shard_size = bytes.max(1);
        self
    }

    /// Parallel shard transfers (at least 1).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Report byte-level progress of loads and saves.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    pub(crate) fn client(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        let mut clients = self.clients.lock().expect("client map poisoned");
        if let Some(c) = clients.get(bucket) {
            return Ok(c.clone());
        }
        let url = format!("{}://{bucket}", self.scheme);
        let built: std::result::Result<Arc<dyn ObjectStore>, object_store::Error> =
            match self.scheme.as_str() {
                "s3" => object_store::aws::AmazonS3Builder::from_env()
                    .with_url(&url)
                    .build()
                    .map(|s| Arc::new(s) as _),
                "gs" => object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(&url)
                    .build()
                    .map(|s| Arc::new(s) as _),
                _ => object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(&url)
                    .build()
                    .map(|s| Arc::new(s) as _),
            };
        let client = built.map_err(|e| IoError::Other {
            message: format!("{url}: cannot configure the {} client: {e}", self.scheme),
        })?;
        clients.insert(bucket.to_string(), client.clone());
        Ok(client)
    }

    /// Split a URL into (client, bucket, model prefix).
    pub(crate) fn locate(&self, url: &ModelUrl) -> Result<(Arc<dyn ObjectStore>, Location)> {
        let loc = Location::parse(url)?;
        Ok((self.client(&loc.bucket)?, loc))
    }
}

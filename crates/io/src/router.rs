//! The scheme router (TensorFlow.js `IORouterRegistry`).

use crate::{IoError, ModelStore, ModelUrl, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Maps a URL scheme to the [`ModelStore`] that serves it. Other crates add
/// their schemes with [`Router::register`].
#[derive(Debug, Clone, Default)]
pub struct Router {
    stores: BTreeMap<String, Arc<dyn ModelStore>>,
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register (or replace) the store for its scheme.
    pub fn register(&mut self, store: Arc<dyn ModelStore>) -> &mut Self {
        self.stores.insert(store.scheme().to_string(), store);
        self
    }

    /// Registered schemes, sorted.
    pub fn schemes(&self) -> Vec<&str> {
        self.stores.keys().map(String::as_str).collect()
    }

    /// The store for `url` and the parsed URL, or an error with TensorFlow.js's
    /// wording plus the supported schemes.
    pub fn resolve(&self, url: &str) -> Result<(Arc<dyn ModelStore>, ModelUrl)> {
        todo!("io helper: {url}")
    }

    /// Raw access for management code.
    pub fn store(&self, scheme: &str) -> Option<&Arc<dyn ModelStore>> {
        self.stores.get(scheme)
    }

    #[allow(dead_code)]
    fn no_handler(&self, message: String) -> IoError {
        IoError::NoHandler { message }
    }
}

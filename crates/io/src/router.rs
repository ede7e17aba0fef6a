//! The scheme router (TensorFlow.js `IORouterRegistry`).
//!
//! TensorFlow.js keeps ordered lists of router functions and lets every
//! caller decide what "no handler" means. Here each scheme has exactly one
//! [`ModelStore`]; a URL without a scheme or with an unknown scheme is an
//! error that uses TensorFlow.js's wording and then lists the schemes this
//! build supports, so the fix is obvious:
//!
//! ```
//! use std::sync::Arc;
//! use tfjs_io::{memory::MemoryStore, Router};
//!
//! let mut router = Router::new();
//! router.register(Arc::new(MemoryStore::new()));
//! let err = router.resolve("foo://bar").unwrap_err().to_string();
//! assert_eq!(
//!     err,
//!     "Cannot find any handlers for URL 'foo://bar'. Supported schemes are: memory://"
//! );
//! let err = router.resolve("my-model").unwrap_err().to_string();
//! assert!(err.starts_with("The url string provided does not contain a scheme."));
//! ```

use crate::{IoError, ModelStore, ModelUrl, Result};
use std::collections::BTreeMap;
use std::sync::Arc;
use tfjs_format::{ModelArtifacts, SaveResult};

/// What a URL is being resolved for; picks TensorFlow.js's error text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `loadLayersModel(url)`.
    Load,
    /// `model.save(url)`.
    Save,
    /// `tf.io.listModels` / `removeModel` (model managers).
    Manage,
    /// Anything else.
    Any,
}

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

    /// A router serving this crate's stores: `file://` and `memory://`.
    /// Other crates add theirs with [`Router::register`].
    pub fn with_local_stores() -> Self {
        let mut r = Self::new();
        r.register(Arc::new(crate::file::FileStore::new()));
        r.register(Arc::new(crate::memory::MemoryStore::new()));
        r
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
        self.resolve_for(url, Purpose::Any)
    }

    /// Like [`Router::resolve`], with the error text TensorFlow.js uses for
    /// `purpose` (`Cannot find any save handlers for URL 'x://y'`, …).
    pub fn resolve_for(
        &self,
        url: &str,
        purpose: Purpose,
    ) -> Result<(Arc<dyn ModelStore>, ModelUrl)> {
        if !url.contains("://") {
            return Err(self.no_handler(format!(
                "The url string provided does not contain a scheme. Supported schemes are: {}",
                self.schemes().join(",")
            )));
        }
        let parsed = ModelUrl::parse(url).map_err(|_| {
            self.no_handler(format!(
                "The url string provided does not contain a scheme. Supported schemes are: {}",
                self.schemes().join(",")
            ))
        })?;
        match self.stores.get(&parsed.scheme) {
            Some(store) => Ok((store.clone(), parsed)),
            None => {
                let head = match purpose {
                    Purpose::Load => format!("Cannot find any load handlers for URL '{url}'"),
                    Purpose::Save => format!("Cannot find any save handlers for URL '{url}'"),
                    Purpose::Manage => {
                        format!("Cannot find model manager for scheme '{}'", parsed.scheme)
                    }
                    Purpose::Any => format!("Cannot find any handlers for URL '{url}'"),
                };
                Err(self.no_handler(format!("{head}. {}", self.supported())))
            }
        }
    }

    /// Load the model at `url` through its store.
    pub async fn load(&self, url: &str) -> Result<ModelArtifacts> {
        let (store, parsed) = self.resolve_for(url, Purpose::Load)?;
        store.load(&parsed).await
    }

    /// Save `artifacts` at `url` through its store (atomically).
    pub async fn save(&self, url: &str, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let (store, parsed) = self.resolve_for(url, Purpose::Save)?;
        store.save(&parsed, artifacts).await
    }

    /// Raw access for management code.
    pub fn store(&self, scheme: &str) -> Option<&Arc<dyn ModelStore>> {
        self.stores.get(scheme)
    }

    /// `Supported schemes are: file://, memory://`.
    fn supported(&self) -> String {
        if self.stores.is_empty() {
            return "No schemes are registered in this build".to_string();
        }
        let list: Vec<String> = self.stores.keys().map(|s| format!("{s}://")).collect();
        format!("Supported schemes are: {}", list.join(", "))
    }

    fn no_handler(&self, message: String) -> IoError {
        IoError::NoHandler { message }
    }
}

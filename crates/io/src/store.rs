//! The one trait every scheme implements.

use crate::{IoError, Result};
use async_trait::async_trait;
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, SaveResult};

/// A model URL split into its scheme and the scheme-specific rest.
///
/// ```
/// use tfjs_io::ModelUrl;
/// let u = ModelUrl::parse("localstorage://my-model-1").unwrap();
/// assert_eq!(u.scheme, "localstorage");
/// assert_eq!(u.path, "my-model-1");
/// assert_eq!(u.to_string(), "localstorage://my-model-1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelUrl {
    /// Lower-case scheme without `://`.
    pub scheme: String,
    /// Everything after `://`, verbatim.
    pub path: String,
}

impl ModelUrl {
    /// Split `url` at the first `://`. A URL without a scheme is an error
    /// (the [`Router`](crate::Router) reports it with TensorFlow.js's full
    /// wording and the supported schemes).
    pub fn parse(url: &str) -> Result<ModelUrl> {
        match url.split_once("://") {
            Some((scheme, path)) if !scheme.is_empty() => Ok(ModelUrl {
                scheme: scheme.to_ascii_lowercase(),
                path: path.to_string(),
            }),
            _ => Err(IoError::invalid(format!(
                "The url string provided does not contain a scheme: '{url}' (expected SCHEME://PATH, e.g. file://./my-model)"
            ))),
        }
    }
}

impl std::fmt::Display for ModelUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.path)
    }
}

/// A storage backend for one URL scheme (object_store style: one small trait,
/// many backends). Operations a backend cannot do return
/// [`IoError::Unsupported`] by default.
#[async_trait]
pub trait ModelStore: Send + Sync + std::fmt::Debug {
    /// The scheme this store serves, without `://` (e.g. `"file"`).
    fn scheme(&self) -> &str;

    /// Load the whole model at `url`.
    async fn load(&self, url: &ModelUrl) -> Result<ModelArtifacts>;

    /// Save `artifacts` at `url`, atomically: a failed save leaves any model
    /// already there intact.
    async fn save(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult>;

    /// Save only if no model exists at `url` yet, atomically with respect to
    /// other writers (create-if-absent). Used to claim version numbers when
    /// several processes share one store. Fails with
    /// [`IoError::AlreadyExists`] when a model is there, leaving it intact.
    async fn save_new(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let _ = artifacts;
        Err(unsupported(url, "create-if-absent saving"))
    }

    /// Every model under `prefix` (a URL of this scheme), as full URLs with their info.
    async fn list(&self, prefix: &ModelUrl) -> Result<Vec<(String, ModelArtifactsInfo)>> {
        Err(unsupported(prefix, "listing"))
    }

    /// Delete the model at `url`, returning its info.
    async fn remove(&self, url: &ModelUrl) -> Result<ModelArtifactsInfo> {
        Err(unsupported(url, "removing"))
    }

    /// Compare-and-delete: remove the model at `url` only if it is still
    /// `expected` (what a move copied: weight bytes, specs, topology and
    /// metadata, compared as [`verify_same`](crate::management::verify_same)
    /// does), else fail with [`IoError::Changed`] and remove nothing.
    ///
    /// The default loads, compares and removes, with a window between the
    /// compare and the delete; stores override it to compare and delete
    /// under their own lock or transaction.
    async fn remove_if_unchanged(
        &self,
        url: &ModelUrl,
        expected: &ModelArtifacts,
    ) -> Result<ModelArtifactsInfo> {
        let current = self.load(url).await?;
        crate::management::verify_same(expected, &current)
            .map_err(|diff| IoError::changed(url.to_string(), &diff))?;
        self.remove(url).await
    }
}

/// An [`IoError::Unsupported`] for `url`.
pub fn unsupported(url: &ModelUrl, operation: &'static str) -> IoError {
    IoError::Unsupported {
        url: url.to_string(),
        scheme: url.scheme.clone(),
        operation,
    }
}

//! `memory://NAME`: models kept in this process (TensorFlow.js
//! `tf.io.fromMemory` / `tf.io.withSaveHandler` analog).
//!
//! Saving stores a clone of the artifacts (weight buffers are reference
//! counted [`bytes::Bytes`], so this copies no weight bytes); loading returns
//! a clone. Names are used verbatim and may contain `/`.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use tfjs_io::{memory::MemoryStore, ModelStore, ModelUrl};
//! use tfjs_format::{ModelArtifacts, WeightData};
//!
//! let store = MemoryStore::new();
//! let artifacts = ModelArtifacts {
//!     weight_data: WeightData::from_vec(vec![0; 8]),
//!     ..Default::default()
//! };
//! store.insert("a/b", artifacts.clone());
//! let url = ModelUrl::parse("memory://a/b").unwrap();
//! assert_eq!(store.load(&url).await.unwrap(), artifacts);
//! assert_eq!(store.names(), vec!["a/b".to_string()]);
//! # });
//! ```

use crate::management::verify_same;
use crate::store::ModelStore;
use crate::{IoError, ModelUrl, Result};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use tfjs_format::checkpoint::check_artifacts_for_save;
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, SaveResult};

/// An in-process model store for the `memory` scheme.
#[derive(Debug, Default)]
pub struct MemoryStore {
    models: Mutex<BTreeMap<String, (ModelArtifacts, ModelArtifactsInfo)>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// One store shared by the whole process (what the CLI registers), so
    /// that every router built in this process sees the same models.
    pub fn global() -> Arc<MemoryStore> {
        static GLOBAL: OnceLock<Arc<MemoryStore>> = OnceLock::new();
        GLOBAL.get_or_init(|| Arc::new(MemoryStore::new())).clone()
    }

    /// Put `artifacts` under `name` (like a save, without a URL), returning
    /// their info.
    pub fn insert(&self, name: &str, artifacts: ModelArtifacts) -> ModelArtifactsInfo {
        let info = ModelArtifactsInfo::for_artifacts(&artifacts);
        self.lock()
            .insert(name.to_string(), (artifacts, info.clone()));
        info
    }

    /// The artifacts stored under `name`, if any (like `fromMemory`).
    pub fn get(&self, name: &str) -> Option<ModelArtifacts> {
        self.lock().get(name).map(|(a, _)| a.clone())
    }

    /// Every stored name, sorted.
    pub fn names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<String, (ModelArtifacts, ModelArtifactsInfo)>> {
        // A panic while holding the lock cannot leave the map half-updated
        // (every update is a single insert/remove), so poisoning is ignored.
        self.models.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn check_name(url: &ModelUrl) -> Result<&str> {
    if url.path.is_empty() {
        return Err(IoError::invalid(
            "For memory://, modelPath must not be null, undefined or empty.",
        ));
    }
    Ok(&url.path)
}

fn not_found(url: &ModelUrl) -> IoError {
    IoError::NotFound {
        url: url.to_string(),
        message: format!("In memory, there is no model with name '{}'", url.path),
    }
}

#[async_trait]
impl ModelStore for MemoryStore {
    fn scheme(&self) -> &str {
        "memory"
    }

    async fn load(&self, url: &ModelUrl) -> Result<ModelArtifacts> {
        let name = check_name(url)?;
        self.get(name).ok_or_else(|| not_found(url))
    }

    async fn save(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let name = check_name(url)?;
        check_artifacts_for_save(artifacts)?;
        let info = self.insert(name, artifacts.clone());
        Ok(SaveResult::from(info))
    }

    async fn save_new(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        let name = check_name(url)?;
        check_artifacts_for_save(artifacts)?;
        let info = ModelArtifactsInfo::for_artifacts(artifacts);
        let mut models = self.lock();
        if models.contains_key(name) {
            return Err(IoError::already_exists(url.to_string()));
        }
        models.insert(name.to_string(), (artifacts.clone(), info.clone()));
        Ok(SaveResult::from(info))
    }

    /// Models whose name starts with the prefix's path (all models for
    /// `memory://`).
    async fn list(&self, prefix: &ModelUrl) -> Result<Vec<(String, ModelArtifactsInfo)>> {
        Ok(self
            .lock()
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix.path))
            .map(|(name, (_, info))| (format!("memory://{name}"), info.clone()))
            .collect())
    }

    async fn remove(&self, url: &ModelUrl) -> Result<ModelArtifactsInfo> {
        let name = check_name(url)?;
        self.lock()
            .remove(name)
            .map(|(_, info)| info)
            .ok_or_else(|| not_found(url))
    }

    /// Compared and removed under the store's lock.
    async fn remove_if_unchanged(
        &self,
        url: &ModelUrl,
        expected: &ModelArtifacts,
    ) -> Result<ModelArtifactsInfo> {
        let name = check_name(url)?;
        let mut models = self.lock();
        let (current, _) = models.get(name).ok_or_else(|| not_found(url))?;
        verify_same(expected, current).map_err(|diff| IoError::changed(url.to_string(), &diff))?;
        let (_, info) = models.remove(name).ok_or_else(|| not_found(url))?;
        Ok(info)
    }
}

//! One [`ModelStore`] adaptor for the two SQLite stores: each implements
//! [`ProfileModels`] (blocking operations, each one SQLite transaction) and
//! [`profile_model_store!`] turns that into the async trait, running the
//! work off the runtime.

use crate::profile::Profile;
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, SaveResult};
use tfjs_io::Result;

/// The blocking operations of a store kept in a [`Profile`]'s database.
pub(crate) trait ProfileModels: Clone + Send + Sync + 'static {
    /// The URL scheme, without `://`.
    const SCHEME: &'static str;
    /// The profile the store lives in.
    fn profile_ref(&self) -> &Profile;
    /// Load model `path`.
    fn load_model(&self, path: &str) -> Result<ModelArtifacts>;
    /// Save model `path`; with `create_only`, fail with
    /// `IoError::AlreadyExists` (in the same transaction) when it exists.
    fn save_model(&self, path: &str, a: &ModelArtifacts, create_only: bool) -> Result<SaveResult>;
    /// `(path, info)` of every model under `prefix`.
    fn list_models(&self, prefix: &str) -> Result<Vec<(String, ModelArtifactsInfo)>>;
    /// Remove model `path`; with `expected`, only if it still is that model
    /// (compared and deleted in one transaction).
    fn remove_model(
        &self,
        path: &str,
        expected: Option<&ModelArtifacts>,
    ) -> Result<ModelArtifactsInfo>;
}

/// `impl ModelStore for $store` through its [`ProfileModels`].
macro_rules! profile_model_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl tfjs_io::ModelStore for $store {
            fn scheme(&self) -> &str {
                <$store as $crate::adaptor::ProfileModels>::SCHEME
            }

            async fn load(
                &self,
                url: &tfjs_io::ModelUrl,
            ) -> tfjs_io::Result<tfjs_format::ModelArtifacts> {
                let (me, path) = (self.clone(), url.path.clone());
                $crate::adaptor::ProfileModels::profile_ref(self)
                    .blocking(move |_| $crate::adaptor::ProfileModels::load_model(&me, &path))
                    .await
            }

            async fn save(
                &self,
                url: &tfjs_io::ModelUrl,
                artifacts: &tfjs_format::ModelArtifacts,
            ) -> tfjs_io::Result<tfjs_format::SaveResult> {
                $crate::adaptor::save(self, url, artifacts, false).await
            }

            async fn save_new(
                &self,
                url: &tfjs_io::ModelUrl,
                artifacts: &tfjs_format::ModelArtifacts,
            ) -> tfjs_io::Result<tfjs_format::SaveResult> {
                $crate::adaptor::save(self, url, artifacts, true).await
            }

            async fn list(
                &self,
                prefix: &tfjs_io::ModelUrl,
            ) -> tfjs_io::Result<Vec<(String, tfjs_format::ModelArtifactsInfo)>> {
                $crate::adaptor::list(self, prefix).await
            }

            async fn remove(
                &self,
                url: &tfjs_io::ModelUrl,
            ) -> tfjs_io::Result<tfjs_format::ModelArtifactsInfo> {
                $crate::adaptor::remove(self, url, None).await
            }

            async fn remove_if_unchanged(
                &self,
                url: &tfjs_io::ModelUrl,
                expected: &tfjs_format::ModelArtifacts,
            ) -> tfjs_io::Result<tfjs_format::ModelArtifactsInfo> {
                $crate::adaptor::remove(self, url, Some(expected)).await
            }
        }
    };
}
pub(crate) use profile_model_store;

pub(crate) async fn save<S: ProfileModels>(
    store: &S,
    url: &tfjs_io::ModelUrl,
    artifacts: &ModelArtifacts,
    create_only: bool,
) -> Result<SaveResult> {
    let (me, path, artifacts) = (store.clone(), url.path.clone(), artifacts.clone());
    store
        .profile_ref()
        .blocking(move |_| me.save_model(&path, &artifacts, create_only))
        .await
}

pub(crate) async fn list<S: ProfileModels>(
    store: &S,
    prefix: &tfjs_io::ModelUrl,
) -> Result<Vec<(String, ModelArtifactsInfo)>> {
    let (me, prefix) = (store.clone(), prefix.path.clone());
    let list = store
        .profile_ref()
        .blocking(move |_| me.list_models(&prefix))
        .await?;
    Ok(list
        .into_iter()
        .map(|(p, i)| (format!("{}://{p}", S::SCHEME), i))
        .collect())
}

pub(crate) async fn remove<S: ProfileModels>(
    store: &S,
    url: &tfjs_io::ModelUrl,
    expected: Option<&ModelArtifacts>,
) -> Result<ModelArtifactsInfo> {
    let (me, path, expected) = (store.clone(), url.path.clone(), expected.cloned());
    store
        .profile_ref()
        .blocking(move |_| me.remove_model(&path, expected.as_ref()))
        .await
}

/// Info for a model whose stored info is unreadable: recomputed from the
/// model when that loads, else zeros (so `remove` still deletes by key).
pub(crate) fn info_or_recomputed(
    parsed: Result<ModelArtifactsInfo>,
    model: impl FnOnce() -> Result<ModelArtifacts>,
    what: &str,
) -> ModelArtifactsInfo {
    parsed.unwrap_or_else(|e| {
        tracing::warn!("{what}: unreadable model info ({e}); removing by key");
        match model() {
            Ok(a) => ModelArtifactsInfo::for_artifacts_at(&a, String::new()),
            Err(_) => ModelArtifactsInfo {
                date_saved: String::new(),
                model_topology_type: "JSON".into(),
                model_topology_bytes: 0,
                weight_specs_bytes: 0,
                weight_data_bytes: 0,
            },
        }
    })
}

/// Compare `current` with what the caller copied.
pub(crate) fn check_unchanged(
    expected: Option<&ModelArtifacts>,
    current: impl FnOnce() -> Result<ModelArtifacts>,
    url: String,
) -> Result<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let current = current()?;
    tfjs_io::management::verify_same(expected, &current)
        .map_err(|diff| tfjs_io::IoError::changed(url, &diff))
}

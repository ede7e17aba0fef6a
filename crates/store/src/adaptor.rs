//! One [`ModelStore`] adaptor for the two SQLite stores: each implements
//! [`ProfileModels`] (blocking operations, each one SQLite transaction) and
//! [`profile_model_store!`] turns that into its blocking `*_sync` API and
//! the async trait, running the work off the runtime.

use crate::profile::Profile;
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, SaveResult};
use tfjs_io::Result;

/// Who a store kept in a [`Profile`]'s database is: its scheme, its
/// TensorFlow.js error for an empty model path, its profile.
/// [`profile_model_store!`] writes this impl.
pub(crate) trait StoreProfile {
    /// The URL scheme, without `://`.
    const SCHEME: &'static str;
    /// TensorFlow.js's message for an empty model path.
    const EMPTY_PATH: &'static str;
    /// The profile the store lives in.
    fn profile_ref(&self) -> &Profile;
    /// Refuse an empty model `path`, as TensorFlow.js does.
    fn check_path(path: &str) -> Result<()> {
        if path.is_empty() {
            return Err(tfjs_io::IoError::invalid(Self::EMPTY_PATH));
        }
        Ok(())
    }
}

/// The blocking operations of a store kept in a [`Profile`]'s database,
/// each one SQLite transaction. Model paths reach them checked not to be
/// empty (the `*_at` methods and the generated `*_sync` ones check).
pub(crate) trait ProfileModels: StoreProfile + Clone + Send + Sync + 'static {
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

    /// [`ProfileModels::load_model`] of a checked path.
    fn load_at(&self, path: &str) -> Result<ModelArtifacts> {
        Self::check_path(path)?;
        self.load_model(path)
    }
    /// [`ProfileModels::save_model`] to a checked path.
    fn save_at(&self, path: &str, a: &ModelArtifacts, create_only: bool) -> Result<SaveResult> {
        Self::check_path(path)?;
        self.save_model(path, a, create_only)
    }
    /// [`ProfileModels::remove_model`] of a checked path.
    fn remove_at(
        &self,
        path: &str,
        expected: Option<&ModelArtifacts>,
    ) -> Result<ModelArtifactsInfo> {
        Self::check_path(path)?;
        self.remove_model(path, expected)
    }
}

/// For a store `$store { profile: Profile }` with [`ProfileModels`]: its
/// [`StoreProfile`] (`$scheme`, and the empty-path error naming the
/// `$backend` TensorFlow.js stores to), its constructor and blocking
/// API (`new`, `profile`, `load_sync`, `save_sync`, `list_sync`,
/// `remove_sync`), and `impl ModelStore` running the same operations off
/// the runtime.
macro_rules! profile_model_store {
    ($store:ty, $scheme:expr, $backend:literal) => {
        impl $crate::adaptor::StoreProfile for $store {
            const SCHEME: &'static str = $scheme;
            const EMPTY_PATH: &'static str = concat!(
                "For ",
                $backend,
                ", modelPath must not be null, undefined or empty."
            );
            fn profile_ref(&self) -> &$crate::profile::Profile {
                &self.profile
            }
        }

        impl $store {
            /// The store backed by `profile`'s database.
            pub fn new(profile: $crate::profile::Profile) -> Self {
                Self { profile }
            }

            /// The profile this store writes to.
            pub fn profile(&self) -> &$crate::profile::Profile {
                &self.profile
            }

            /// Load model `path` (blocking), in one read transaction.
            pub fn load_sync(&self, path: &str) -> tfjs_io::Result<tfjs_format::ModelArtifacts> {
                $crate::adaptor::ProfileModels::load_at(self, path)
            }

            /// Save model `path` (blocking): all its records in one
            /// transaction, or nothing.
            pub fn save_sync(
                &self,
                path: &str,
                artifacts: &tfjs_format::ModelArtifacts,
            ) -> tfjs_io::Result<tfjs_format::SaveResult> {
                $crate::adaptor::ProfileModels::save_at(self, path, artifacts, false)
            }

            /// Every model whose path starts with `prefix` (all when
            /// empty), as `(path, info)` sorted by path (`dateSaved` is the
            /// stored ISO string). A model whose info is unreadable is
            /// skipped with a warning.
            pub fn list_sync(
                &self,
                prefix: &str,
            ) -> tfjs_io::Result<Vec<(String, tfjs_format::ModelArtifactsInfo)>> {
                $crate::adaptor::ProfileModels::list_models(self, prefix)
            }

            /// Delete model `path` (blocking) in one transaction and return
            /// its info. A corrupt info record does not stop the removal.
            pub fn remove_sync(
                &self,
                path: &str,
            ) -> tfjs_io::Result<tfjs_format::ModelArtifactsInfo> {
                $crate::adaptor::ProfileModels::remove_at(self, path, None)
            }
        }

        #[async_trait::async_trait]
        impl tfjs_io::ModelStore for $store {
            fn scheme(&self) -> &str {
                <$store as $crate::adaptor::StoreProfile>::SCHEME
            }

            async fn load(
                &self,
                url: &tfjs_io::ModelUrl,
            ) -> tfjs_io::Result<tfjs_format::ModelArtifacts> {
                let (me, path) = (self.clone(), url.path.clone());
                self.profile.blocking(move |_| me.load_sync(&path)).await
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
        .blocking(move |_| me.save_at(&path, &artifacts, create_only))
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
        .blocking(move |_| me.remove_at(&path, expected.as_ref()))
        .await
}

/// The info `remove` returns for the model at `url` it is about to delete,
/// after checking (with `expected`) that it still is the caller's model
/// (`current`): the `stored` info or, when that is unreadable, one
/// recomputed from the `model` (zeros when that fails too, so `remove`
/// still deletes by key).
pub(crate) fn removal_info(
    expected: Option<&ModelArtifacts>,
    current: impl FnOnce() -> Result<ModelArtifacts>,
    stored: Result<ModelArtifactsInfo>,
    model: impl FnOnce() -> Result<ModelArtifacts>,
    url: &str,
) -> Result<ModelArtifactsInfo> {
    if let Some(expected) = expected {
        tfjs_io::management::verify_same(expected, &current()?)
            .map_err(|diff| tfjs_io::IoError::changed(url.to_string(), &diff))?;
    }
    Ok(stored.unwrap_or_else(|e| {
        tracing::warn!("{url}: unreadable model info ({e}); removing by key");
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
    }))
}

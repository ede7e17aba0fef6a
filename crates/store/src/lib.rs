//! Native `localstorage://`, `indexeddb://` and `downloads://` stores for
//! TensorFlow.js models.
//!
//! A [`Profile`] is one directory with one transactional SQLite database
//! (`tfjs.sqlite3`). It holds
//!
//! * a string key–value table with exactly the keys and values TensorFlow.js
//!   4.22 writes to a browser's `localStorage` ([`localstorage`]), with
//!   Chromium's quota, and
//! * tables mirroring the browser's `tensorflowjs` IndexedDB database
//!   (`models_store`, `model_info_store`; [`indexeddb`]).
//!
//! Every save, load, list and remove is one SQLite transaction (WAL mode,
//! busy timeout), so several processes can share a profile and never see a
//! torn model; a failed save leaves the store exactly as it was.
//! `downloads://PREFIX` ([`downloads`]) writes the browser's download pair
//! `PREFIX.json` + `PREFIX.weights.bin` into a downloads directory.
//!
//! The profile directory is `--profile DIR` (an explicit option), else
//! `$TFJS_HOME`, else `$XDG_DATA_HOME/tfjs-rs`, else `~/.local/share/tfjs-rs`.
//! The downloads directory is an explicit option, else `$TFJS_DOWNLOADS_DIR`,
//! else `$XDG_DOWNLOAD_DIR`, else `~/Downloads`.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use tfjs_io::Router;
//! use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let profile = tfjs_store::ProfileOptions::new()
//!     .profile_dir(dir.path())
//!     .downloads_dir(dir.path().join("dl"))
//!     .open()
//!     .unwrap();
//! let mut router = Router::new();
//! tfjs_store::register(&mut router, &profile);
//!
//! let model = ModelArtifacts {
//!     model_topology: Some(serde_json::json!({"class_name": "Sequential", "config": {}})),
//!     weight_specs: vec![WeightSpec::new("d/bias", vec![2], DType::Float32)],
//!     weight_data: WeightData::from_vec(vec![0; 8]),
//!     ..Default::default()
//! };
//! let (store, url) = router.resolve("localstorage://my-model").unwrap();
//! let saved = store.save(&url, &model).await.unwrap();
//! assert_eq!(saved.model_artifacts_info.weight_data_bytes, 8);
//! let back = store.load(&url).await.unwrap();
//! assert_eq!(back.model_topology, model.model_topology);
//! # });
//! ```

#![warn(missing_docs)]

mod adaptor;
pub mod downloads;
pub mod indexeddb;
pub mod localstorage;
mod meta;
pub mod profile;

pub use downloads::DownloadsStore;
pub use indexeddb::IndexedDbStore;
pub use localstorage::LocalStorageStore;
pub use profile::{
    default_downloads_dir, default_profile_dir, Profile, ProfileOptions,
    DEFAULT_LOCAL_STORAGE_QUOTA,
};

use std::sync::Arc;
use tfjs_io::Router;

/// Register the `localstorage://`, `indexeddb://` and `downloads://` stores
/// of `profile` with `router`.
pub fn register(router: &mut Router, profile: &Profile) {
    router.register(Arc::new(LocalStorageStore::new(profile.clone())));
    router.register(Arc::new(IndexedDbStore::new(profile.clone())));
    router.register(Arc::new(DownloadsStore::new(profile)));
}

/// Register the three stores for the default profile (`$TFJS_HOME`, else
/// `$XDG_DATA_HOME/tfjs-rs`, else `~/.local/share/tfjs-rs`) and downloads
/// directory, opened lazily: nothing is created on disk until a store is used.
/// Fails only when no directory can be determined (no `HOME`).
pub fn register_default(router: &mut Router) -> tfjs_io::Result<Profile> {
    let profile = ProfileOptions::new().open_lazy()?;
    register(router, &profile);
    Ok(profile)
}

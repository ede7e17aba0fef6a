//! `s3://`, `gs://` and `az://` model storage through the
//! [`object_store`](https://docs.rs/object_store) crate.
//!
//! A model at `s3://BUCKET/PREFIX` is the object `PREFIX/model.json` plus the
//! weight shards its manifest names, stored beside it. Object stores have no
//! rename, so a save is made atomic by ordering:
//!
//! 1. every shard is uploaded under a *content-addressed* name
//!    (`weights-<sha256 prefix>.bin`, multipart when large), so a new save
//!    never overwrites a shard an existing model.json points to;
//! 2. every shard is verified (`HEAD`: it exists with the expected size);
//! 3. `model.json` is written last, in one PUT: that single write is what makes
//!    the new model visible. A save killed before it leaves the old model (or
//!    nothing) visible, plus unreferenced shards;
//! 4. shards the previous model.json used and the new one does not are
//!    deleted. A reader that fetched the old model.json just before may then
//!    miss a shard; loads retry once from a fresh model.json in that case.
//!
//! [`ModelStore::save_new`] writes model.json with `PutMode::Create`
//! (`If-None-Match: *`), so two writers racing for one URL cannot both win:
//! the server uses it to claim version numbers on a shared bucket.
//!
//! Credentials, region and endpoint come from the usual environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, `GOOGLE_SERVICE_ACCOUNT`,
//! `AZURE_STORAGE_ACCOUNT_NAME`, …), as `object_store`'s `from_env` builders read them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tfjs_io::IoError> {
//! use std::sync::Arc;
//! use tfjs_cloud::CloudStore;
//! use tfjs_io::Router;
//! let mut router = Router::new();
//! router.register(Arc::new(CloudStore::new("s3")?));
//! let (store, url) = router.resolve("s3://my-bucket/models/mnist")?;
//! let artifacts = store.load(&url).await?;
//! println!("{} weights", artifacts.weight_specs.len());
//! # Ok(()) }
//! ```

//!
//! The crate is split by role: [`builder`] (configuration and one client
//! per bucket), `location` (URL → bucket and key prefix), `transfer`
//! (reading and writing a model's objects) and `store` (the
//! [`ModelStore`](tfjs_io::ModelStore) operations).

pub mod builder;
mod location;
mod store;
mod transfer;

pub use builder::CloudStore;
use std::sync::Arc;

/// Shards larger than this are uploaded with multipart upload.
pub const MULTIPART_THRESHOLD: usize = 8 * 1024 * 1024;
/// Default shard size for saves (object stores prefer few, large objects).
pub const DEFAULT_SHARD_SIZE: usize = 32 * 1024 * 1024;
/// Shards fetched or uploaded at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Called with (bytes done, bytes total) as shards are fetched or uploaded.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

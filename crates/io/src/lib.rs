//! Storage handlers for TensorFlow.js models.
//!
//! One small async trait, [`ModelStore`], is implemented once per URL scheme
//! (`file://`, `memory://`, and in other crates `localstorage://`,
//! `indexeddb://`, `downloads://`, `http(s)://`, `s3://`, …). A [`Router`]
//! maps a URL to its store, as TensorFlow.js's `IORouterRegistry` does.
//! Model management (list, copy, move, remove) works across any two schemes.
//!
//! ```no_run
//! use std::sync::Arc;
//! use tfjs_io::{file::FileStore, memory::MemoryStore, Router};
//!
//! async fn demo() -> tfjs_io::Result<()> {
//!     let mut router = Router::new();
//!     router.register(Arc::new(FileStore::new()));
//!     router.register(Arc::new(MemoryStore::new()));
//!
//!     // A model directory, its model.json, or a downloaded my-model.json.
//!     let artifacts = router.load("file://./my-model").await?;
//!     // Atomic save in tfjs-node's layout (model.json + weights.bin).
//!     let result = router.save("file://./copy", &artifacts).await?;
//!     assert_eq!(result.model_artifacts_info.weight_data_bytes, artifacts.weight_data.len() as u64);
//!     // Every problem, not just the first.
//!     for problem in tfjs_io::verify::verify_file(std::path::Path::new("./copy")).problems {
//!         println!("{problem}");
//!     }
//!     Ok(())
//! }
//! ```

pub mod error;
pub mod file;
pub mod management;
pub mod memory;
pub mod router;
pub mod store;
pub mod verify;

pub use error::{IoError, Result};
pub use router::Router;
pub use store::{ModelStore, ModelUrl};
pub use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, SaveResult};

//! Storage handlers for TensorFlow.js models.
//!
//! One small async trait, [`ModelStore`], is implemented once per URL scheme
//! (`file://`, `memory://`, and in other crates `localstorage://`,
//! `indexeddb://`, `downloads://`, `http(s)://`, `s3://`, …). A [`Router`]
//! maps a URL to its store, as TensorFlow.js's `IORouterRegistry` does.
//! Model management (list, copy, move, remove) works across any two schemes.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
//! use tfjs_io::{file::FileStore, memory::MemoryStore, Router};
//!
//! let mut router = Router::new();
//! router.register(Arc::new(FileStore::new()));
//! router.register(Arc::new(MemoryStore::new()));
//!
//! let model = ModelArtifacts {
//!     model_topology: Some(serde_json::json!({"class_name": "Sequential",
//!         "config": {"layers": [{"class_name": "Dense", "config": {"name": "d"}}]}})),
//!     weight_specs: vec![WeightSpec::new("d/bias", vec![2], DType::Float32)],
//!     weight_data: WeightData::from_vec(vec![0; 8]),
//!     format: Some("layers-model".into()),
//!     ..Default::default()
//! };
//! router.save("memory://m", &model).await?;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let url = format!("file://{}", dir.path().display());
//! // Atomic save in tfjs-node's layout (model.json + weights.bin).
//! let artifacts = router.load("memory://m").await?;
//! let result = router.save(&url, &artifacts).await?;
//! assert_eq!(result.model_artifacts_info.weight_data_bytes, 8);
//! // Load a model directory, its model.json, or a downloaded my-model.json.
//! let back = router.load(&url).await?;
//! assert_eq!(back.weight_specs, model.weight_specs);
//! // Every problem, not just the first.
//! assert!(tfjs_io::verify::verify_file(dir.path()).ok());
//! # Ok::<(), tfjs_io::IoError>(())
//! # }).unwrap();
//! ```

#![warn(missing_docs)]

pub mod atomic;
pub mod conformance;
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

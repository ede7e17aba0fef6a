//! Storage handlers for TensorFlow.js models.
//!
//! One small async trait, [`ModelStore`], is implemented once per URL scheme
//! (`file://`, `memory://`, and in other crates `localstorage://`,
//! `indexeddb://`, `downloads://`, `http(s)://`, `s3://`, …). A [`Router`]
//! maps a URL to its store, as TensorFlow.js's `IORouterRegistry` does.
//! Model management (list, copy, move, remove) works across any two schemes.

pub mod error;
pub mod file;
pub mod management;
pub mod memory;
pub mod router;
pub mod store;

pub use error::{IoError, Result};
pub use router::Router;
pub use store::{ModelStore, ModelUrl};
pub use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, SaveResult};

//! The layers engine: `tf.Sequential` and `tf.Model` in Rust.
//!
//! A [`Tensor`] is an f32/i32 array in row-major order. A layer is a struct
//! with its weights and a `call` ([`Layer`]); the [`registry`] maps Keras
//! class names to constructors. Models are graphs of layer calls loaded from
//! TensorFlow.js or Keras topologies ([`topology`], [`load`]), run with
//! [`Model::predict`], and saved back in the TensorFlow.js 4.22 format
//! ([`save`]).

pub mod activations;
pub mod builder;
pub mod config;
pub mod error;
mod fusion;
pub mod initializers;
#[cfg(feature = "io-json")]
pub mod io_json;
pub mod layer;
pub mod layers;
pub mod load;
pub mod model;
pub mod registry;
pub mod rewrite;
pub mod save;
mod save_names;
pub mod tensor;
pub mod topology;
pub mod validate;
pub mod weights;

pub use error::{LayersError, Result};
pub use layer::{Layer, LayerWeight, Pointwise, Shape};
pub use load::LoadOptions;
pub use model::{InputLayer, Model, ModelLayer};
pub use registry::{BuildContext, LayerRegistry};
pub use tensor::{Tensor, TensorData};
pub use tfjs_format::dialect::{self, Dialect};
pub use validate::{validate, Problem, ProblemKind};

//! The layers engine: `tf.Sequential` and `tf.Model` in Rust.
//!
//! A [`Tensor`] is an f32/i32 array in row-major order. A layer is a struct
//! with its weights and a `call` ([`Layer`]); the [`registry`] maps Keras
//! class names to constructors. Models are graphs of layer calls loaded from
//! TensorFlow.js or Keras topologies.

pub mod activations;
pub mod config;
pub mod error;
pub mod layer;
pub mod layers;
pub mod registry;
pub mod tensor;

pub use error::{LayersError, Result};
pub use layer::{Layer, LayerWeight, Shape};
pub use registry::{BuildContext, LayerRegistry};
pub use tensor::{Tensor, TensorData};

//! Layer implementations, one module per family. Each family module has a
//! `register(&mut LayerRegistry)` that adds its classes.

use crate::LayerRegistry;

pub(crate) mod activation_object;
pub mod adaptive_pooling;
pub mod advanced_activations;
pub mod applications;
pub mod attention;
pub mod audio;
pub(crate) mod common;
pub mod conv;
pub mod core;
pub mod depthwise;
pub mod einsum_dense;
pub mod embedding;
pub mod image_adjust;
pub mod keras3_ops;
pub mod kernelized;
pub mod locally_connected;
pub mod lookup;
pub mod merge;
pub mod noise;
pub mod normalization;
pub mod normalization_prep;
pub mod pooling;
pub mod preprocessing;
pub mod recurrent;
pub mod reversible_embedding;
pub mod spatial_shape;
pub mod spectral_norm;
pub mod tf_ops;
pub mod wrappers;

/// Add every built-in class to `registry`.
pub fn register_builtins(registry: &mut LayerRegistry) {
    let _ = &registry;
    core::register(registry);
    conv::register(registry);
    depthwise::register(registry);
    einsum_dense::register(registry);
    spatial_shape::register(registry);
    pooling::register(registry);
    adaptive_pooling::register(registry);
    normalization::register(registry);
    merge::register(registry);
    advanced_activations::register(registry);
    noise::register(registry);
    embedding::register(registry);
    reversible_embedding::register(registry);
    kernelized::register(registry);
    recurrent::register(registry);
    wrappers::register(registry);
    spectral_norm::register(registry);
    locally_connected::register(registry);
    attention::register(registry);
    audio::register(registry);
    applications::register(registry);
    keras3_ops::register(registry);
    lookup::register(registry);
    tf_ops::register(registry);
    normalization_prep::register(registry);
    preprocessing::register(registry);
    image_adjust::register(registry);
}

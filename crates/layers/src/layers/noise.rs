//! Noise layers: `GaussianNoise`, `GaussianDropout`, `AlphaDropout`. All are
//! the identity at inference (they only act while training), so they share
//! core's pass-through layer; their configs keep TF.js's keys (`stddev` or
//! `rate`).

use super::core::{boxed_layer, register_simple, PassKind, PassThrough};
use crate::LayerRegistry;

/// Register the noise classes.
pub fn register(registry: &mut LayerRegistry) {
    for (name, kind) in [
        ("GaussianNoise", PassKind::GaussianNoise),
        ("GaussianDropout", PassKind::GaussianDropout),
        ("AlphaDropout", PassKind::AlphaDropout),
    ] {
        register_simple(registry, &[name], move |c| {
            boxed_layer(PassThrough::from_config(c, kind))
        });
    }
}

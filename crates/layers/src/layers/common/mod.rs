//! The toolkit every layer family is written with: one [`Base`] (name,
//! trainable, input shape), one weight store ([`Params`]), one module of
//! Keras config values ([`values`]: numbers, initializers, regularizers,
//! constraints, activations, data formats), the spatial spec shared by
//! convolutions, poolings and ConvLSTM2D ([`spatial`]), tensor utilities
//! ([`tensor_ops`]), and the declarative config mechanism
//! ([`declare`]).
//!
//! Family modules import what they need from here; they never import each
//! other.

pub(crate) mod base;
pub(crate) mod declare;
pub(crate) mod dtype;
pub(crate) mod quantized;
pub(crate) mod spatial;
pub(crate) mod tensor_ops;
#[cfg(test)]
pub(crate) mod test_util;
pub(crate) mod values;

pub(crate) use base::*;
pub(crate) use declare::*;
pub(crate) use dtype::{DTypePolicy, Precision, QuantMode};
pub(crate) use spatial::*;
pub(crate) use tensor_ops::*;
pub(crate) use values::*;

use crate::config::ConfigReader;
use crate::registry::BuildContext;
use crate::{Layer, LayerRegistry, Result};

/// Box a freshly built layer.
pub(crate) fn boxed_layer<L: Layer + 'static>(l: Result<L>) -> Result<Box<dyn Layer>> {
    l.map(|l| Box::new(l) as Box<dyn Layer>)
}

/// A layer's 1-, 2- and 3-D classes (`Cropping1D`, `Cropping2D`,
/// `Cropping3D`).
pub(crate) type RankClasses = [&'static str; 3];

/// The class of `classes` over `rank` spatial dimensions (past 2: the 3-D
/// one).
pub(crate) fn class_by_rank(classes: RankClasses, rank: usize) -> &'static str {
    match rank {
        1 => classes[0],
        2 => classes[1],
        _ => classes[2],
    }
}

/// Register each of `classes`, built by `build(config, rank)`.
pub(crate) fn register_by_rank<F>(r: &mut LayerRegistry, classes: RankClasses, build: F)
where
    F: Fn(&ConfigReader<'_>, usize) -> Result<Box<dyn Layer>> + Send + Sync + Clone + 'static,
{
    for (rank, class) in (1..).zip(classes) {
        let build = build.clone();
        register_simple(r, &[class], move |c| build(c, rank));
    }
}

/// Register `names` with a constructor that ignores the build context.
pub(crate) fn register_simple<F>(r: &mut LayerRegistry, names: &[&str], f: F)
where
    F: Fn(&ConfigReader<'_>) -> Result<Box<dyn Layer>> + Send + Sync + Clone + 'static,
{
    for n in names {
        let f = f.clone();
        r.register(n, move |cfg: &ConfigReader<'_>, _ctx: &BuildContext<'_>| {
            f(cfg)
        });
    }
}

/// Register `names` with a layer type's own `from_config` (the usual case:
/// the class name alone picks the layer and its config says the rest).
pub(crate) fn register_layer<L: Layer + 'static>(
    r: &mut LayerRegistry,
    names: &[&str],
    from_config: fn(&ConfigReader<'_>) -> Result<L>,
) {
    register_simple(r, names, move |c| boxed_layer(from_config(c)));
}

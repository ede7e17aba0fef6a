//! Layers that are the identity at inference (they only act while
//! training): `Dropout`, `SpatialDropout1D/2D/3D`, `GaussianNoise`,
//! `GaussianDropout`, `AlphaDropout`, `ActivityRegularization` and Keras'
//! `Identity`. Each class declares only its config; one [`PassThrough`]
//! runs them all.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Tensor};

keras_config! {
    /// `Dropout` and `SpatialDropout1D`.
    pub(crate) struct DropoutConfig |cx| {
        rate: Rate,
        noise_shape: Raw,
        seed: Raw,
    }
}

keras_config! {
    /// `SpatialDropout2D` / `SpatialDropout3D`.
    pub(crate) struct SpatialDropoutConfig |cx| {
        rate: Rate,
        data_format: DataFormat = DataFormat::ChannelsLast,
        seed: Raw,
    }
}

keras_config! {
    /// `GaussianDropout` / `AlphaDropout`.
    pub(crate) struct RateConfig |cx| {
        rate: Rate,
    }
}

keras_config! {
    /// `GaussianNoise`.
    pub(crate) struct GaussianNoiseConfig |cx| {
        stddev: f64,
    }
}

keras_config! {
    /// `ActivityRegularization`.
    pub(crate) struct ActivityRegularizationConfig |cx| {
        l1: f64 = 0.0,
        l2: f64 = 0.0,
    }
}

/// A layer that is the identity at inference, with config `C`.
#[derive(Debug, Clone)]
pub(crate) struct PassThrough<C> {
    class: &'static str,
    base: Base,
    cfg: C,
}

impl<C: ConfigFields> PassThrough<C> {
    fn from_config(class: &'static str, cfg: &ConfigReader<'_>) -> Result<Self> {
        Ok(PassThrough {
            class,
            base: Base::parse(cfg)?,
            cfg: C::read(&Cx::new(cfg))?,
        })
    }
}

impl<C: ConfigFields> Layer for PassThrough<C> {
    layer_flags!(per_sample);
    layer_common!(self.class);
    same_as_input!(shape, mask);
    /// No step at all: the executor then hands the input over (no copy at
    /// its last read), and a fused convolution's epilogue goes on through
    /// it (EfficientNet's `Dropout` sits between a block's projection and
    /// its residual `Add`).
    fn pointwise(&self) -> Option<crate::Pointwise> {
        Some(crate::Pointwise::Ops(Vec::new()))
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        Ok(vec![one_input(&self.base, inputs)?.clone()])
    }
}

/// Register `class` as a [`PassThrough`] with config `C`.
fn reg<C: ConfigFields + 'static>(registry: &mut LayerRegistry, class: &'static str) {
    register_simple(registry, &[class], move |c| {
        boxed_layer(PassThrough::<C>::from_config(class, c))
    });
}

/// Register the identity-at-inference classes.
pub fn register(registry: &mut LayerRegistry) {
    reg::<DropoutConfig>(registry, "Dropout");
    reg::<DropoutConfig>(registry, "SpatialDropout1D");
    reg::<SpatialDropoutConfig>(registry, "SpatialDropout2D");
    reg::<SpatialDropoutConfig>(registry, "SpatialDropout3D");
    reg::<RateConfig>(registry, "GaussianDropout");
    reg::<RateConfig>(registry, "AlphaDropout");
    reg::<GaussianNoiseConfig>(registry, "GaussianNoise");
    reg::<ActivityRegularizationConfig>(registry, "ActivityRegularization");
    reg::<NoFields>(registry, "Identity");
    // Keras 3 FeatureSpace's pass-through (`TFDIdentity`, a `DataLayer`
    // whose call returns its input).
    reg::<NoFields>(registry, "TFDIdentity");
}

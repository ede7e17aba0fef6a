//! tf_keras's `RandomFourierFeatures` (`tf.keras.layers.experimental`):
//! random features whose inner products approximate a Gaussian or
//! Laplacian kernel, `cos(x · (unscaled_kernel / kernel_scale) + bias)`.
//! `unscaled_kernel` (`[input_dim, output_dim]`) and `bias` are drawn at
//! build and frozen; `kernel_scale` (`[1]`) is the one trained value.
//! Keras 3 and TensorFlow.js have no such layer, nor a cosine activation,
//! so `--rebuild` and the `.keras` export refuse it by name.

use super::common::*;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};

/// Register `RandomFourierFeatures`.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(
        registry,
        &["RandomFourierFeatures"],
        RandomFourierFeatures::from_config,
    );
}

keras_config! {
    /// `RandomFourierFeatures`' config (the initializer and scale only
    /// matter when drawing the weights, which the file holds).
    pub(crate) struct RandomFourierFeaturesConfig |cx| {
        output_dim: Positive,
        kernel_initializer: Raw,
        scale: Raw,
    }
}

declared_layer! {
    /// `RandomFourierFeatures(output_dim)` on `[batch, input_dim]` (see the
    /// module docs).
    pub struct RandomFourierFeatures(RandomFourierFeaturesConfig, params: Params);
}

impl Layer for RandomFourierFeatures {
    layer_flags!(per_sample);
    layer_common!("RandomFourierFeatures", weights);
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        check_rank(&self.base, s.len(), 2, "[batch, features]")?;
        let input_dim = known_dim(&self.base, s, 1, "feature")?;
        let d = self.cfg.output_dim.0;
        // In tf_keras's order (`layer.weights`: the trainable scale first),
        // which its .h5 files keep and its loader expects.
        self.params.clear();
        self.params.add("kernel_scale", vec![1], true, 1.0)?;
        self.params
            .add("unscaled_kernel", vec![input_dim, d], false, 0.0)?;
        self.params.add("bias", vec![d], false, 0.0)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        check_rank(&self.base, s.len(), 2, "[batch, features]")?;
        Ok(vec![vec![s[0], Some(self.cfg.output_dim.0)]])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        let d = self.cfg.output_dim.0;
        let unscaled = self.params.get(1);
        let k = unscaled.len() / d;
        if x.rank() != 2 || x.shape()[1] != k {
            return Err(input_err(
                &self.base.name,
                format!("expects [batch, {k}] inputs, got shape {:?}", x.shape()),
            ));
        }
        // As tf_keras computes it: the kernel `(1 / scale) * unscaled`,
        // in float32, then the product, the bias and the cosine.
        let inv = 1.0 / self.params.get(0)[0];
        let kernel: Vec<f32> = unscaled.iter().map(|u| inv * u).collect();
        let m = x.shape()[0];
        let mut out = vec![0f32; m * d];
        tfjs_kernels::matmul(&f32s(x), &kernel, m, k, d, &mut out, false);
        let bias = self.params.get(2);
        for row in out.chunks_mut(d) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = (*v + b).cos();
            }
        }
        Ok(vec![make_tensor(&self.base, vec![m, d], out)?])
    }
}

//! The [`Layer`] trait: a struct with its weights and a `call`.

use crate::{Result, Tensor};
use serde_json::{Map, Value};

/// A symbolic shape: `None` is an unknown dimension (batch, usually).
pub type Shape = Vec<Option<usize>>;

/// One weight of a layer, in the layer's `weights` order.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeight {
    /// Name relative to the layer, as TensorFlow.js writes it after
    /// `<layer name>/`: `kernel`, `bias`, `forward_lstm/kernel`, …
    pub name: String,
    pub shape: Vec<usize>,
    pub trainable: bool,
}

/// An elementwise function on float32 values, applied in place to any
/// slice of a tensor: each value depends on that value alone (see
/// [`Layer::pointwise`]).
#[derive(Clone)]
pub enum Pointwise {
    /// Steps with a scalar (`x + 3`, ReLU6, `x * s`): the kernels run a
    /// chain of them in one pass ([`tfjs_kernels::apply_point_ops`]), and
    /// fused steps join consecutive ones.
    Ops(Vec<tfjs_kernels::PointOp>),
    /// Any other function of each value.
    Func(PointwiseFn),
}

/// The function of [`Pointwise::Func`].
pub type PointwiseFn = std::sync::Arc<dyn Fn(&mut [f32]) + Send + Sync>;

impl Pointwise {
    /// A function of each value, applied to a slice.
    pub fn func(f: impl Fn(&mut [f32]) + Send + Sync + 'static) -> Pointwise {
        Pointwise::Func(std::sync::Arc::new(f))
    }

    /// Apply to `x` in place.
    pub fn apply(&self, x: &mut [f32]) {
        match self {
            Pointwise::Ops(ops) => tfjs_kernels::apply_point_ops(x, ops),
            Pointwise::Func(f) => f(x),
        }
    }
}

impl std::fmt::Debug for Pointwise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pointwise::Ops(ops) => f.debug_tuple("Ops").field(ops).finish(),
            Pointwise::Func(_) => write!(f, "Func"),
        }
    }
}

/// A layer at inference time.
///
/// A layer knows its config (to save it back), its weights (to load/save
/// them by name), how its output shape follows from its input shapes, and how
/// to compute outputs (and masks) from inputs. Layers with several inputs
/// (merge layers) receive them all in `inputs`.
pub trait Layer: Send + Sync + std::fmt::Debug {
    /// Keras class name, e.g. `"Dense"`.
    fn class_name(&self) -> &str;

    /// The layer's unique name in its model.
    fn name(&self) -> &str;

    /// The config written back on save (snake_case keys, TensorFlow.js's
    /// field order and defaults for layers TensorFlow.js knows).
    fn config(&self) -> Map<String, Value>;

    /// Create the weights for these input shapes (TensorFlow.js `build`).
    ///
    /// The engine calls this once, before [`Layer::weights`], with the
    /// shapes of the first call's inputs (batch dim `None`). Layers whose
    /// weight shapes depend on the input (Dense's kernel `[in, units]`)
    /// allocate them here (zeros are fine: the engine then loads the saved
    /// values or fills them from the layer's `*_initializer` config keys,
    /// see [`crate::initializers`]). The default does nothing.
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let _ = input_shapes;
        Ok(())
    }

    /// Weight descriptions in TensorFlow.js's `layer.weights` order.
    fn weights(&self) -> Vec<LayerWeight> {
        Vec::new()
    }

    /// Current weight values, same order as [`Layer::weights`].
    fn weight_values(&self) -> Vec<&Tensor> {
        Vec::new()
    }

    /// Replace the weight at `index` of [`Layer::weights`]; the shape was
    /// checked by the caller.
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        let _ = value;
        Err(crate::LayersError::config(
            self.name(),
            format!("layer has no weight #{index}"),
        ))
    }

    /// Where Keras 3 saves each weight (same order as [`Layer::weights`])
    /// under the layer's own `.keras` path, as `<sub-path>/<index>`, when it
    /// is not simply the weight's index (a model wrapped by
    /// `TimeDistributed`: `layer/layers/conv2d/0`). `None`: by index.
    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        None
    }

    /// The names (under the layer's name) Keras's HDF5 writers and the
    /// converter give each weight (same order as [`Layer::weights`]) where
    /// the matching rules of `weights.rs` do not find them: `None` when
    /// they do. A `StackedRNNCells` cell's weight is
    /// `<rnn>/stacked_rnn_cells[_n]/<cell>/<weight>`, matched as
    /// `<rnn>/<cell>/<weight>` (the middle segment is numbered per process).
    fn keras2_weight_names(&self) -> Option<Vec<String>> {
        None
    }

    /// Indices of [`Layer::weights`] whose values the layer's config holds
    /// (a lookup's `idf_weights` given to its constructor): a file may
    /// leave them out (Keras 3's HDF5 writer saves none), and initializing
    /// the model's weights keeps the config's values.
    fn weights_in_config(&self) -> Vec<usize> {
        Vec::new()
    }

    /// Keys under the layer's own `.keras` path (as in
    /// [`Layer::keras3_weight_keys`]) whose variables hold nothing of the
    /// layer's own and are skipped when loading: `SpectralNormalization`'s
    /// reference to the kernel it wraps, saved twice.
    fn keras3_ignored_keys(&self) -> Vec<String> {
        Vec::new()
    }

    /// Output shapes for the given input shapes (one per output tensor).
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>>;

    /// Compute outputs. `masks` has one entry per input (`None` = no mask);
    /// masks are f32 tensors of 0/1 with shape `[batch, time]`.
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>>;

    /// [`Layer::output_shapes`] of one call of the layer, given the keyword
    /// arguments its file records for that call (`{}` or `null` when none):
    /// a layer whose calls differ by such an argument reads it here (Keras
    /// 3's `ReversibleEmbedding`, called again with `reverse=True` for
    /// logits, is a second node of the same layer). The default ignores
    /// them. The engine calls the `node_*` methods; the layer's own
    /// [`Layer::output_shapes`], [`Layer::call`] and
    /// [`Layer::compute_mask`] are its calls without keyword arguments.
    fn node_output_shapes(&self, inputs: &[Shape], kwargs: &Value) -> Result<Vec<Shape>> {
        let _ = kwargs;
        self.output_shapes(inputs)
    }

    /// [`Layer::call`] of one call with its recorded keyword arguments (see
    /// [`Layer::node_output_shapes`]).
    fn node_call(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
        kwargs: &Value,
    ) -> Result<Vec<Tensor>> {
        let _ = kwargs;
        self.call(inputs, masks)
    }

    /// [`Layer::compute_mask`] of one call with its recorded keyword
    /// arguments (see [`Layer::node_output_shapes`]).
    fn node_compute_mask(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
        kwargs: &Value,
    ) -> Result<Vec<Option<Tensor>>> {
        let _ = kwargs;
        self.compute_mask(inputs, masks)
    }

    /// The inputs of one call (positions among its inputs) whose Keras
    /// masks the call removes from the tensors themselves, so that the
    /// layers Keras runs after it see those tensors unmasked: Keras 3's
    /// `MultiHeadAttention.call` does `backend.set_keras_mask(query, None)`
    /// (and the same for `value` and `key`), keras/src/layers/attention/
    /// multi_head_attention.py. Empty (the default) for every other layer.
    fn node_cleared_masks(&self, n_inputs: usize, kwargs: &Value) -> Vec<usize> {
        let _ = (n_inputs, kwargs);
        Vec::new()
    }

    /// The layer as [`std::any::Any`], for engine code that specializes on
    /// built-in layer types (the conv + BatchNormalization + ReLU fusion
    /// downcasts to them); `None` (the default) opts out.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// Whether every sample's outputs depend on that sample's inputs alone
    /// (nothing is computed across the batch axis), so the engine may run a
    /// large batch as slices in parallel. `false`, the default, is always
    /// correct; layers that are known to be per-sample say so.
    fn per_sample(&self) -> bool {
        false
    }

    /// This layer as a [`Pointwise`] function of its one float32 input,
    /// when it is one: exactly the numbers `call` computes, whatever slice
    /// of the tensor it is given. Fused steps apply it in place to a
    /// convolution's output, chunk by chunk, instead of running the layer.
    /// `None` (the default) opts out.
    fn pointwise(&self) -> Option<Pointwise> {
        None
    }

    /// For a layer whose one output holds its one input's values in the
    /// same order under another shape (`Reshape`, a channels-last
    /// `Flatten`): that shape, for an input of shape `input` (an error
    /// exactly when `call` would fail on it). When the input is read for
    /// the last time and carries no mask, the executor moves its buffer
    /// into the output instead of running `call` (which copies it); such a
    /// layer gives no mask for an unmasked input. `None` (the default)
    /// opts out.
    fn reshaped(&self, input: &[usize]) -> Option<Result<Vec<usize>>> {
        let _ = input;
        None
    }

    /// Whether the layer takes string tensors (`StringLookup`, `Hashing`).
    /// A model gives string inputs only to layers that say so, and says
    /// which layer when it cannot.
    fn takes_strings(&self) -> bool {
        false
    }

    /// Output masks (Keras `compute_mask`). The default drops masks, as a
    /// Keras layer that does not support masking does.
    fn compute_mask(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let _ = masks;
        Ok(vec![None; inputs.len().max(1)])
    }
}

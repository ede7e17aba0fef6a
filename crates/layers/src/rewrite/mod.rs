//! Rewriting a model into layers TensorFlow.js 4.22 has (`tfjs convert
//! --rebuild`).
//!
//! [`rewrite_for_tfjs`] saves a [`Model`] as [`Model::to_artifacts`] does
//! and then walks the saved topology (nested models included), replacing
//! every layer TensorFlow.js 4.22 cannot load with layers it can that
//! compute the same numbers. One file per rule:
//!
//! - [`regularizers`]: Keras's `L1`, `L2`, `L1L2` (and `l1`/`l2`/`l1_l2`
//!   strings) → TensorFlow.js's `L1L2`; regularizers TF.js lacks are
//!   dropped (they play no part in prediction).
//! - [`normalization`]: `Normalization` → `BatchNormalization` with fixed
//!   statistics and `epsilon: 0` (`invert: true` as its `gamma`/`beta`).
//! - [`tf_op_lambda`]: `TFOpLambda` arithmetic and activations →
//!   `Rescaling`, `Add`, `Multiply`, `Maximum`, `Minimum`, `Activation`,
//!   `ReLU`, `LeakyReLU`, `Softmax`, `Concatenate`, `Reshape`, `Permute`,
//!   global pooling.
//! - [`clip`]: `clip_by_value` / `ops.clip`, `maximum` / `minimum` with a
//!   scalar constant → `Rescaling` + `ReLU(max_value)` + `Rescaling`
//!   (within two float32 roundings; a bound of 0 exactly), used by
//!   [`tf_op_lambda`] and [`keras3_ops`].
//! - [`constant_operand`]: `x + c`, `x - c`, `c - x`, `x * c` with a
//!   non-scalar constant `c` (a folded position embedding) →
//!   `Reshape` + `BatchNormalization` (`c` as `beta`/`gamma`) + `Reshape`;
//!   `x / c` likewise with `c²` as `moving_variance` and `sign(c)` as
//!   `gamma` (exact when every `c²` is exact in float32, else within one
//!   float32 rounding: [`constant_divide`]).
//! - [`keras3_ops`]: Keras 3 operation layers (`ops.Add`, `ops.Relu`, …),
//!   the same way; `ops.layer_normalization` → `LayerNormalization`.
//! - [`repeat`]: `tf.repeat` / `ops.repeat` along an axis by one count →
//!   `Reshape` + `UpSampling2D` + `Reshape`.
//! - [`tensordot`]: `ops.tensordot` (also `matmul` / `ops.dot`) of a
//!   tensor and a constant → (`Permute`) + `Reshape` + `Dense` + `Reshape`.
//! - [`inference_identity`]: random augmentation layers (the identity at
//!   inference) → `Activation("linear")`.
//! - [`layer_scale`]: ConvNeXt's `LayerScale` → `BatchNormalization`.
//! - [`group_norm`]: `GroupNormalization` over the last axis → `Reshape`
//!   to groups + `LayerNormalization` over positions and the group's
//!   channels + `Reshape` + per-channel `BatchNormalization` (`gamma`,
//!   `beta`) + `Reshape`.
//! - [`grouped_conv`]: `Conv1D`/`Conv2D` with `groups > 1` → `groups: 1`
//!   with a block-diagonal kernel.
//! - [`activations`]: `hard_silu` (layer or `activation` field) →
//!   `Rescaling` / `ReLU(6)` / `Multiply`; Keras 3's `hard_sigmoid`
//!   (`x/6 + 0.5`) → `Rescaling(5/6)` + TF.js's `hard_sigmoid`; Keras 3's
//!   `hard_tanh` → the [`clip`] chain, `log_sigmoid` → `Rescaling(-1)` +
//!   `softplus` + `Rescaling(-1)` (also `ops.hard_tanh` / `ops.log_sigmoid`
//!   / `tf.math.log_sigmoid`).
//! - [`image_resize`]: `Resizing`, `CenterCrop` and (from Keras ≥ 2.4)
//!   bilinear `UpSampling2D` (TF.js has them but computes other numbers)
//!   → `Cropping2D` and per-axis `Permute` + `Dense` interpolation.
//! - [`conv1d_as_2d`]: `UpSampling1D`, `SeparableConv1D`,
//!   `DepthwiseConv1D`, `Conv1DTranspose` → their 2-D counterparts between
//!   `Reshape`s.
//! - [`get_item`]: `x[:, a:b]` / `x[:, i]` / `x[..., a:b]`: a run or one
//!   position of one non-batch axis (steps or features, any rank) →
//!   `Cropping2D` between `Reshape`s.
//! - [`last_axis_steps`]: `x[..., a:b:s]` with a step other than 1 (the
//!   channel flip `x[..., ::-1]`) → a bias-free 0/1 selection `Dense`.
//! - [`bias_add`]: `tf.nn.bias_add` with a constant vector (channels
//!   last) → the [`constant_operand`] `BatchNormalization`.
//! - [`matmul`]: `ops.Matmul` / `tf.linalg.matmul` of two rank-3 tensors
//!   (transposes too) → `Dot`.
//! - [`split`]: `tf.split` / `ops.Split` along a non-batch axis → one
//!   `Cropping2D` of a `Reshape` view per piece (readers of piece `i`
//!   redirected to it).
//! - [`extract_patches`]: `tf.image.extract_patches` /
//!   `ops.image.extract_patches` → (`ZeroPadding2D`) + `Reshape` /
//!   `Permute` copies for patches tiling the image, else a `Conv2D` with a
//!   one-hot kernel (+ 1×1 `MaxPooling2D` for strides with rates), exact
//!   for finite inputs.
//! - [`signal_frame`]: `tf.signal.frame` → (`Permute`) + `Reshape` +
//!   (padding) + `Cropping2D` copies joined when the step divides the
//!   length, else a `Conv2D` with a one-hot kernel (exact for finite
//!   inputs) + `Reshape` (+ `Permute`).
//! - [`subtract`]: `Subtract` → `Rescaling(-1)` + `Add`.
//! - [`absolute`]: `tf.math.abs` / `ops.Absolute` → `ReLU(x)` +
//!   `ReLU(Rescaling(-1)(x))` joined by `Add` (exact).
//! - [`activation_object`]: an advanced-activation layer object as
//!   `activation=` (`PReLU()`, `ELU(alpha=0.5)`, …) → the layer with a
//!   linear activation + that layer (rewritten as such where needed).
//! - [`crelu`]: `tf.nn.crelu` → the same two `ReLU`s joined by
//!   `Concatenate(axis)` (exact).
//! - [`square`]: `tf.math.square` / `ops.Square` → `Multiply([x, x])`.
//! - [`depth_space`]: `tf.nn.depth_to_space` / `space_to_depth` →
//!   `Reshape` + `Permute` + `Reshape`.
//! - [`batch_norm_op`]: `ops.nn.batch_normalization` with constant
//!   statistics → `BatchNormalization` holding them.
//! - [`table_lookup`]: `tf.nn.embedding_lookup` of a constant table →
//!   `Embedding` holding it.
//! - [`one_hot`]: `tf.one_hot` / `ops.one_hot` (any feature axis) → the
//!   ids as float32, `Minimum` of two `Dense(depth, relu)` (`ReLU(id - k +
//!   1)`, `ReLU(k - id + 1)`), `Rescaling` for on / off values, `Permute`
//!   (exact for integer ids, out-of-range ones giving TF's zeros).
//! - [`cumsum`]: `tf.math.cumsum` / `ops.cumsum` along a non-batch axis
//!   (exclusive / reverse too) → a triangular 0/1 `Dense` (between
//!   `Permute`s for an inner axis), within float32 rounding for finite
//!   inputs.
//! - [`fill_like`]: `zeros_like` / `ones_like` / `ops.full_like` of a
//!   float result → `Rescaling(0, c)` (exact for finite inputs).
//! - [`gather`]: `tf.gather` / `ops.take` of constant indices along a
//!   non-batch axis → a 0/1 selection `Dense` (between `Permute`s for an
//!   inner axis, + `Reshape` for nested or scalar indices), exact for
//!   finite inputs.
//! - [`einsum_dense`]: `EinsumDense` → `Dense` between `Permute`s and
//!   `Reshape`s.
//! - [`scalar_input`]: an input of one value per sample → declared
//!   `[batch, 1]` (what TF.js's predict feeds) and read through
//!   `Reshape([])`.
//! - [`tile`]: `tf.tile` / `ops.tile` by constant counts → `Concatenate`s
//!   of copies.
//! - [`cast_float`]: `tf.cast` / `ops.cast` to float32 → `Rescaling(1, 0)`.
//! - [`integer_compare`]: comparisons (`equal`, `greater`, …), logical
//!   operations, `where` and integer / `bool` casts of integer-valued
//!   tensors ([`integer_valued`]: int inputs, casts, comparison results)
//!   → `Rescaling`, `ReLU(max_value 1)`, `Minimum`, `Maximum`, `Multiply`,
//!   `Add` (exact below 2²⁴); of tensors that may be fractional, refused.
//! - [`integer_lookup`]: `IntegerLookup` (vocabulary, one OOV index or
//!   none, mask token; `int`, `one_hot`, `multi_hot`, `count`) of integer
//!   tokens → the tokens' hits on the vocabulary (as [`one_hot`]) and a
//!   `Dense` of them (+ `GlobalMaxPooling1D` / a summing `Dense`), exact.
//! - [`l2_normalize`]: `UnitNormalization`, `ops.normalize`,
//!   `tf.math.l2_normalize` over the last axis → `x` and `-x` joined,
//!   `LayerNormalization` (gamma `1/√C`), the first half cropped.
//! - [`rms_norm`]: Keras 3's `RMSNormalization` and
//!   `ops.rms_normalization` over a run of axes ending with the last →
//!   (`Reshape`) + the [`l2_normalize`] pair through `LayerNormalization`
//!   (`gamma` the scale twice, Keras's epsilon), within float32 rounding.
//! - [`masked_average`]: `GlobalAveragePooling1D` under an
//!   `Embedding(mask_zero)` mask → the mask as `Softmax` weights + `Dot`.
//! - [`bidirectional_zero_masked`]: a masked `Bidirectional` returning
//!   sequences → the same + a `Multiply` by the mask (Keras zeroes the
//!   masked steps' outputs there, TF.js repeats the previous output).
//! - [`masked_calls`]: layers a Keras mask reaches that the target treats
//!   otherwise (Keras 3's masked merges, Keras 2's mask-dropping
//!   `Rescaling` / `Normalization`) are refused (also for Keras exports).
//! - [`mha_dropout`]: a masked `MultiHeadAttention` with `dropout > 0`
//!   between the Kerases (Keras 3 zeroes a fully masked query row):
//!   written with `dropout: 0` for Keras 3, refused for tf_keras.
//! - [`tfjs_limits`]: layers TF.js has but cannot run with a given config
//!   or input (`LayerNormalization` with `rms_scaling`,
//!   `GlobalAveragePooling1D` under a mask) are refused.
//! - [`duplicate_outputs`]: a tensor listed twice as a model output → the
//!   repeats as outputs of their own linear `Activation` layers.
//! - [`rnn_stack_states`]: the states of a Keras `RNN` over a cell stack
//!   (first cell first) → read and given in TF.js's order (last cell
//!   first).
//! - [`rnn_state_alias`]: readers of the `h` state of an `LSTM`/`GRU`/
//!   `SimpleRNN`/`ConvLSTM2D`, or of an `RNN` over such a cell (or a stack
//!   ending in one), returning states whose output is read too (TF.js
//!   returns one tensor for both and frees it after the readers of
//!   either) → read the output.
//! - [`repeated_inputs`]: a tensor passed twice to one call while another
//!   call (or output) still reads it, which TF.js frees too early → the
//!   repeats read through their own linear `Activation` layers.
//! - [`explicit_masks`]: a call given `mask=` a tensor of the model's
//!   own (TF.js's executor passes only propagated masks) is refused.
//! - [`nested_masks`]: a nested model making a Keras mask that reaches
//!   layers after it (TF.js does not pass it on) is refused.
//! - [`rnn_state_kwargs`]: a recurrent layer given initial states in a
//!   model that makes masks, with another recurrent layer that may run
//!   after it (TF.js's executor passes the states on to it), is refused.
//! - [`elu_alpha`]: `ELU` with `alpha` ≠ 1 → `ReLU`, `ELU`, `Rescaling`s
//!   and `Add`.
//! - [`batch_norm_virtual`]: tf_keras `BatchNormalization` with
//!   `virtual_batch_size` (saved with the axis and weights of its
//!   virtual-batch reshape) → a plain one (also for Keras exports).
//! - [`batch_norm_rank5`]: rank-5 `BatchNormalization` → on a rank-4
//!   `Reshape` view.
//! - [`global_pooling_3d`]: `GlobalMax/AveragePooling3D` → `Reshape` +
//!   `GlobalMax/AveragePooling1D`.
//! - [`relu_options`]: `ReLU` with `negative_slope`/`threshold` (TF.js
//!   reads only `max_value`) → `ThresholdedReLU`, `ReLU`, `Rescaling`,
//!   `Add` (or `LeakyReLU`).
//! - [`spatial_3d`]: `ZeroPadding3D`, `Cropping3D`, `UpSampling3D` →
//!   their 2-D counterparts on two static `Reshape` views.
//! - [`attention`]: unmasked `Attention` and `AdditiveAttention` → `Dot`
//!   (dot scores) or `Reshape` + `UpSampling2D` views, `Add`, `tanh` and a
//!   bias-free `Dense(1)` (additive / concat scores), then `Softmax` + `Dot`.
//! - [`dot_product_attention`]: `ops.nn.dot_product_attention` (causal
//!   too) → per head `Cropping2D` + `Reshape` views, `Dot` + `Rescaling`
//!   + `Softmax` + `Dot`, `Concatenate` + `Reshape`.
//! - [`pad_crop_1d`]: `ZeroPadding1D`, `Cropping1D` → their 2-D
//!   counterparts between static `Reshape`s.
//! - [`const_conv`]: `tf.nn.conv2d` / `depthwise_conv2d`, `ops.nn.conv` /
//!   `depthwise_conv` by a constant kernel → bias-free `Conv2D` /
//!   `DepthwiseConv2D` holding it.
//! - [`pad_zeros`]: zero padding by `tf.pad` / `ops.pad` of a sequence or
//!   NHWC image (batch and channels unpadded) → `ZeroPadding2D`.
//! - [`pad_reflect`]: `REFLECT` / `SYMMETRIC` padding by `tf.pad` /
//!   `ops.pad` of a sequence or NHWC image of static size → one-row
//!   `Cropping2D`s + `Concatenate` per padded axis.
//! - [`identity_layer`]: the `Identity` layer (TF.js knows only the
//!   initializer) and Keras 3 FeatureSpace's `TFDIdentity` →
//!   `Activation("linear")`, its `TFDConcat` → `Concatenate`.
//! - [`reshape_static`]: `Reshape` with a `-1` dimension → the static
//!   target shape (TF.js leaves the inferred dimension unknown).
//! - [`softmax_axis`]: `Softmax` over an inner axis → `Permute` +
//!   `Softmax` + `Permute`.
//! - [`softmax_mask_leak`]: in a model that makes masks, `Softmax` layers
//!   over the last axis (also those other rules write) →
//!   `Activation("softmax")` (TF.js's executor hands every later call a
//!   stale mask, which its `Softmax` layer applies).
//! - [`rnn_mask_leak`]: in a model that makes masks, recurrent layers no
//!   mask reaches → read their sequence through a `Masking` that keeps
//!   every step (TF.js's executor would hand them a stale mask).
//! - [`softmax_axes`]: `Softmax` over several axes → (`Permute`) +
//!   `Reshape` merging them + `Softmax` + `Reshape` + (`Permute`).
//! - [`batch_norm_axes`]: `BatchNormalization` over several axes → the
//!   same chain around a `BatchNormalization` over the merged axis.
//! - [`concat_axis`]: `Concatenate` along a negative axis other than -1
//!   (TF.js joins along the last one) → the axis counted from the front.
//! - [`category_encoding`]: `CategoryEncoding` → `Reshape` +
//!   `CategoryEncoding` (TF.js overwrites its input's shape); with
//!   `count_weights`, the ids' one-hot rows times the weights summed by a
//!   ones `Dense`.
//! - [`depthwise_dilation`]: dilated `DepthwiseConv2D` (TF.js ignores the
//!   dilation) → `SeparableConv2D` with an identity pointwise kernel.
//! - [`deconv_output_padding`]: `Conv2DTranspose` with `output_padding`
//!   (TF.js ignores it) → `ZeroPadding2D` + `Conv2DTranspose` +
//!   `Cropping2D`.
//! - [`deconv1d_output_padding`]: `Conv1DTranspose` with `output_padding`
//!   → `Reshape` + (`ZeroPadding2D`) + `Conv2DTranspose` + `Cropping2D` +
//!   `Reshape`.
//! - [`locally_connected`]: tf_keras `LocallyConnected1D`/`2D` →
//!   `Reshape` + `Dense` (zero outside the windows) + `Reshape` (also for
//!   a Keras 3 export; Keras 3 has neither).
//! - [`multi_head_attention`]: `MultiHeadAttention` (attention and causal masks too, and
//!   Keras masks from `Embedding(mask_zero)` ids) → per-head `Dense` projections, `Dot`,
//!   `Softmax`, `Concatenate`, output `Dense`.
//! - [`cudnn_rnn`]: tf_keras's `CuDNNLSTM` / `CuDNNGRU` → `LSTM` / `GRU`
//!   (`reset_after`, refused for TF.js), also for Keras exports.
//! - [`gru_unroll`]: `GRU` / `RNN(GRUCell)` with `reset_after: true`
//!   (also in `Bidirectional`) on a sequence of known length → its steps
//!   unrolled into `Cropping2D`, `Concatenate`, shared `Dense` gates,
//!   `Multiply`, `Add`, `Activation`, `Rescaling` (masked calls refused).
//! - [`dtype_policy`]: Keras 3 quantized layers that do not quantize their
//!   inputs (weight-only int8 / int4, GPTQ / AWQ `Dense` and `EinsumDense`)
//!   → the float layer with the dequantized weights (then rewritten as
//!   that float layer is), the others refused; mixed-precision policies
//!   become float32 (TF.js computes in float32), with a note. GPTQ / AWQ
//!   layers also for Keras exports (Keras cannot reload them).
//!
//! A layer no rule can express exactly (GRU with `reset_after: true` under
//! a mask,
//! `Lambda`, a class TF.js lacks with no rule, a `tf.*` function with no
//! TF.js layer) fails the whole rewrite with one error listing every such
//! layer and why.
//!
//! The parts of the machinery, one file each:
//!
//! - [`site`]: what a rule sees ([`Site`]: the layer's config, calls,
//!   shapes and weights) and says ([`Outcome`]), and the helpers rules
//!   build replacement entries and weights with ([`entry`],
//!   [`chain_entries`], [`f32_weight`]).
//! - [`target`]: the runtimes a rewrite writes for ([`Target`]),
//!   TensorFlow.js 4.22's class list ([`TFJS_CLASSES`]) and why a class it
//!   knows can still fail to load there.
//! - [`walk`]: driving a rewrite: saving the model, walking its topology
//!   (nested models included), asking the rules below in order about each
//!   layer, collecting the replacements, notes and refusals.
//! - [`sequential`]: the Sequential form of replacements, and a Sequential
//!   model as the equivalent functional one when a rewrite needs that.
//! - [`probes`]: models exercising every `TFOpLambda` / Keras 3 operation
//!   the rules map (their tests and the TensorFlow.js end-to-end export
//!   share them).
//!
//! A new rule is one file here with a `pub fn rule(site: &Site) -> Outcome`,
//! one `pub mod` line below and one line in [`TFJS_RULES`] (or
//! [`KERAS_RULES`]).

pub mod absolute;
pub mod activation_object;
pub mod activations;
pub mod adaptive_pooling;
pub mod attention;
pub mod batch_norm_axes;
pub mod batch_norm_op;
pub mod batch_norm_rank5;
pub mod batch_norm_virtual;
pub mod batch_renorm;
pub mod bias_add;
pub mod bidirectional_zero_masked;
pub mod cast_float;
pub mod category_encoding;
pub mod clip;
pub mod concat_axis;
pub mod const_conv;
pub mod constant_divide;
pub mod constant_operand;
pub mod conv1d_as_2d;
pub mod conv_lstm1d;
pub mod crelu;
pub mod cudnn_rnn;
pub mod cumsum;
pub mod deconv1d_output_padding;
pub mod deconv_output_padding;
pub mod depth_space;
pub mod depthwise_dilation;
pub mod dot_product_attention;
pub mod dtype_policy;
pub mod duplicate_outputs;
pub mod einsum_dense;
pub mod elu_alpha;
pub mod explicit_masks;
pub mod extract_patches;
pub mod fill_like;
pub mod gather;
pub mod get_item;
pub mod global_pooling_1d_cf;
pub mod global_pooling_3d;
pub mod group_norm;
pub mod grouped_conv;
pub mod gru_unroll;
pub mod identity_layer;
pub mod image_resize;
pub mod inference_identity;
pub mod integer_compare;
pub mod integer_lookup;
pub mod integer_valued;
pub mod keras3_ops;
pub mod l2_normalize;
pub mod last_axis_steps;
pub mod layer_scale;
pub mod locally_connected;
pub mod masked_average;
pub mod masked_calls;
pub mod matmul;
pub mod mha_dropout;
pub mod multi_head_attention;
pub mod nested_masks;
pub mod normalization;
pub mod one_hot;
pub mod pad_crop_1d;
pub mod pad_reflect;
pub mod pad_zeros;
pub mod reduce_axes;
pub mod regularizers;
pub mod relu_options;
pub mod repeat;
pub mod repeated_inputs;
pub mod reshape_static;
pub mod rms_norm;
pub mod rnn_mask_leak;
pub mod rnn_stack_states;
pub mod rnn_state_alias;
pub mod rnn_state_kwargs;
pub mod scalar_input;
pub mod scaled_add;
pub mod signal_frame;
pub mod softmax_axes;
pub mod softmax_axis;
pub mod softmax_mask_leak;
pub mod spatial_3d;
pub mod spectral_norm;
pub mod split;
pub mod square;
pub mod table_lookup;
pub mod tensordot;
pub mod tf_op_lambda;
pub mod tfjs_limits;
pub mod tile;

pub mod probes;
pub mod sequential;
pub mod site;
pub mod target;
pub mod walk;

pub use site::{
    chain_entries, concatenate_entry, end_chain, entry, entry_on, entry_on_all, f32_weight,
    zero_dense, LayerShapes, Outcome, Site, Step,
};
pub use target::{classes_in, tfjs_knows, Target, TFJS_CLASSES};
pub use walk::{
    rewrite_artifacts, rewrite_artifacts_for, rewrite_for, rewrite_for_tfjs, Rewritten,
};

/// A rewrite rule: what it makes of one layer.
pub type Rule = fn(&Site<'_>) -> Outcome;

/// The rules of a TensorFlow.js rewrite, asked in this order; the first
/// that does not [`Outcome::Skip`] a layer decides it. One line per rule.
pub const TFJS_RULES: &[Rule] = &[
    attention::value_mask_rule,
    explicit_masks::rule,
    dtype_policy::rule,
    cudnn_rnn::rule,
    masked_calls::rule,
    spectral_norm::rule,
    gru_unroll::rule,
    masked_average::rule,
    tfjs_limits::rule,
    bidirectional_zero_masked::rule,
    scaled_add::rule,
    identity_layer::rule,
    reshape_static::rule,
    softmax_axis::rule,
    softmax_axes::rule,
    category_encoding::rule,
    concat_axis::rule,
    elu_alpha::rule,
    relu_options::rule,
    batch_norm_virtual::rule,
    batch_norm_axes::rule,
    batch_norm_rank5::rule,
    global_pooling_3d::rule,
    adaptive_pooling::rule,
    pad_crop_1d::rule,
    pad_reflect::rule,
    pad_zeros::rule,
    spatial_3d::rule,
    attention::rule,
    dot_product_attention::rule,
    depthwise_dilation::rule,
    deconv_output_padding::rule,
    deconv1d_output_padding::rule,
    normalization::rule,
    repeat::rule,
    tensordot::rule,
    const_conv::rule,
    get_item::rule,
    last_axis_steps::rule,
    matmul::rule,
    split::rule,
    extract_patches::rule,
    signal_frame::rule,
    absolute::rule,
    crelu::rule,
    square::rule,
    table_lookup::rule,
    one_hot::rule,
    cumsum::rule,
    fill_like::rule,
    gather::rule,
    batch_norm_op::rule,
    depth_space::rule,
    bias_add::rule,
    l2_normalize::rule,
    rms_norm::rule,
    integer_compare::rule,
    integer_lookup::rule,
    cast_float::rule,
    tile::rule,
    tf_op_lambda::rule,
    image_resize::ops_rule,
    keras3_ops::rule,
    inference_identity::rule,
    layer_scale::rule,
    group_norm::rule,
    grouped_conv::rule,
    activation_object::rule,
    activations::rule,
    multi_head_attention::rule,
    image_resize::rule,
    conv1d_as_2d::rule,
    einsum_dense::rule,
    locally_connected::rule,
];

/// The rules of a Keras export: Keras reads every layer this engine runs;
/// only activations, `RandomCrop`, Keras 3's newer augmentation layers,
/// tf_keras's `virtual_batch_size` (which no Keras reads back) and
/// `keras.applications`' unregistered `CustomScaleLayer`, GPTQ / AWQ
/// layers (which Keras 3.15 cannot reload) and layers a mask reaches
/// that the other Keras treats otherwise need care. One line per
/// rule.
pub const KERAS_RULES: &[Rule] = &[
    dtype_policy::keras_rule,
    cudnn_rnn::rule,
    mha_dropout::keras_rule,
    masked_calls::rule,
    batch_norm_virtual::rule,
    scaled_add::keras_rule,
    activation_object::rule,
    activations::rule,
    image_resize::keras_rule,
    inference_identity::keras_rule,
    spectral_norm::keras_rule,
    locally_connected::rule,
];

/// The rules of a rewrite for `target`: [`TFJS_RULES`] or [`KERAS_RULES`].
pub fn rules_for(target: Target) -> &'static [Rule] {
    if target == Target::Tfjs {
        TFJS_RULES
    } else {
        KERAS_RULES
    }
}

#[cfg(test)]
pub(crate) mod test_util;

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
//! - [`keras3_ops`]: Keras 3 operation layers (`ops.Add`, `ops.Relu`, …),
//!   the same way.
//! - [`inference_identity`]: random augmentation layers (the identity at
//!   inference) → `Activation("linear")`.
//! - [`layer_scale`]: ConvNeXt's `LayerScale` → `BatchNormalization`.
//! - [`grouped_conv`]: `Conv1D`/`Conv2D` with `groups > 1` → `groups: 1`
//!   with a block-diagonal kernel.
//! - [`activations`]: `hard_silu` (layer or `activation` field) →
//!   `Rescaling` / `ReLU(6)` / `Multiply`; Keras 3's `hard_sigmoid`
//!   (`x/6 + 0.5`) → `Rescaling(5/6)` + TF.js's `hard_sigmoid`.
//! - [`image_resize`]: `Resizing`, `CenterCrop` and (from Keras ≥ 2.4)
//!   bilinear `UpSampling2D` (TF.js has them but computes other numbers)
//!   → `Cropping2D` and per-axis `Permute` + `Dense` interpolation.
//! - [`conv1d_as_2d`]: `UpSampling1D`, `SeparableConv1D` → their 2-D
//!   counterparts between `Reshape`s.
//! - [`subtract`]: `Subtract` → `Rescaling(-1)` + `Add`.
//! - [`einsum_dense`]: `EinsumDense` → `Dense` between `Permute`s and
//!   `Reshape`s.
//! - [`tfjs_limits`]: layers TF.js has but cannot run with a given config
//!   or input (`LayerNormalization` with `rms_scaling`,
//!   `GlobalAveragePooling1D` under a mask) are refused.
//! - [`elu_alpha`]: `ELU` with `alpha` ≠ 1 → `ReLU`, `ELU`, `Rescaling`s
//!   and `Add`.
//! - [`batch_norm_rank5`]: rank-5 `BatchNormalization` → on a rank-4
//!   `Reshape` view.
//! - [`global_pooling_3d`]: `GlobalMax/AveragePooling3D` → `Reshape` +
//!   `GlobalMax/AveragePooling1D`.
//! - [`relu_options`]: `ReLU` with `negative_slope`/`threshold` (TF.js
//!   reads only `max_value`) → `ThresholdedReLU`, `ReLU`, `Rescaling`,
//!   `Add` (or `LeakyReLU`).
//! - [`spatial_3d`]: `ZeroPadding3D`, `Cropping3D`, `UpSampling3D` →
//!   their 2-D counterparts on two static `Reshape` views.
//! - [`attention_dot`]: unmasked dot-product `Attention` → `Dot` +
//!   (`Rescaling`) + `Softmax` + `Dot`.
//! - [`pad_crop_1d`]: `ZeroPadding1D`, `Cropping1D` → their 2-D
//!   counterparts between static `Reshape`s.
//! - [`identity_layer`]: the `Identity` layer (TF.js knows only the
//!   initializer) → `Activation("linear")`.
//! - [`reshape_static`]: `Reshape` with a `-1` dimension → the static
//!   target shape (TF.js leaves the inferred dimension unknown).
//! - [`softmax_axis`]: `Softmax` over an inner axis → `Permute` +
//!   `Softmax` + `Permute`.
//! - [`concat_axis`]: `Concatenate` along a negative axis other than -1
//!   (TF.js joins along the last one) → the axis counted from the front.
//! - [`category_encoding`]: `CategoryEncoding` → `Reshape` +
//!   `CategoryEncoding` (TF.js overwrites its input's shape).
//! - [`depthwise_dilation`]: dilated `DepthwiseConv2D` (TF.js ignores the
//!   dilation) → `SeparableConv2D` with an identity pointwise kernel.
//! - [`deconv_output_padding`]: `Conv2DTranspose` with `output_padding`
//!   (TF.js ignores it) → `ZeroPadding2D` + `Conv2DTranspose` +
//!   `Cropping2D`.
//! - [`multi_head_attention`]: `MultiHeadAttention` (attention and causal masks too) → per-head
//!   `Dense` projections, `Dot`, `Softmax`, `Concatenate`, output `Dense`.
//!
//! A layer no rule can express exactly (GRU with `reset_after: true`,
//! `Lambda`, a class TF.js lacks with no rule, a `tf.*` function with no
//! TF.js layer) fails the whole rewrite with one error listing every such
//! layer and why.

pub mod activations;
pub mod attention_dot;
pub mod batch_norm_rank5;
pub mod batch_renorm;
pub mod category_encoding;
pub mod concat_axis;
pub mod conv1d_as_2d;
pub mod conv_lstm1d;
pub mod deconv_output_padding;
pub mod depthwise_dilation;
pub mod einsum_dense;
pub mod elu_alpha;
pub mod global_pooling_1d_cf;
pub mod global_pooling_3d;
pub mod grouped_conv;
pub mod identity_layer;
pub mod image_resize;
pub mod inference_identity;
pub mod keras3_ops;
pub mod layer_scale;
pub mod multi_head_attention;
pub mod normalization;
pub mod pad_crop_1d;
pub mod regularizers;
pub mod relu_options;
pub mod reshape_static;
pub mod softmax_axis;
pub mod spatial_3d;
pub mod subtract;
pub mod tf_op_lambda;
pub mod tfjs_limits;

use crate::model::{Model, ModelLayer};
use crate::{Dialect, LayersError, Result, Shape};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use tfjs_format::codec::{decode_weights, encode_weights, DecodedWeight, TensorValues};
use tfjs_format::{ModelArtifacts, WeightData};

/// Every class (layers, initializers, regularizers, constraints) in
/// TensorFlow.js 4.22's serialization map, as
/// `tf.serialization.SerializationMap.getMap().classNameMap` lists it.
pub const TFJS_CLASSES: &[&str] = &[
    "Activation",
    "Add",
    "AlphaDropout",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "CenterCrop",
    "Concatenate",
    "Constant",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "ConvLSTM2D",
    "ConvLSTM2DCell",
    "Cropping2D",
    "Dense",
    "DepthwiseConv2D",
    "Dot",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "Functional",
    "GRU",
    "GRUCell",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "InputLayer",
    "L1L2",
    "LSTM",
    "LSTMCell",
    "LayerNormalization",
    "LeCunNormal",
    "LeCunUniform",
    "LeakyReLU",
    "Masking",
    "MaxNorm",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "MinMaxNorm",
    "Minimum",
    "Model",
    "Multiply",
    "NonNeg",
    "Ones",
    "Orthogonal",
    "PReLU",
    "Permute",
    "RNN",
    "RandomNormal",
    "RandomUniform",
    "RandomWidth",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "Resizing",
    "SeparableConv2D",
    "Sequential",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "SpatialDropout1D",
    "StackedRNNCells",
    "ThresholdedReLU",
    "TimeDistributed",
    "TruncatedNormal",
    "UnitNorm",
    "UpSampling2D",
    "VarianceScaling",
    "ZeroPadding2D",
    "Zeros",
];

/// The runtime a rewrite writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// TensorFlow.js 4.22 (`--rebuild`): every rule.
    Tfjs,
    /// tf_keras 2.21 (`.h5` export): activations it lacks or reads
    /// otherwise (`hard_silu`, Keras 3's `hard_sigmoid`).
    TfKeras,
    /// Keras 3.15 (`.keras` export): Keras 2's and TF.js's `hard_sigmoid`.
    Keras3,
}

impl Target {
    /// The runtime's name, for errors.
    pub fn name(self) -> &'static str {
        match self {
            Target::Tfjs => "TensorFlow.js 4.22",
            Target::TfKeras => "tf_keras 2.21",
            Target::Keras3 => "Keras 3.15",
        }
    }
}

/// Whether TensorFlow.js 4.22 knows `class_name`.
pub fn tfjs_knows(class_name: &str) -> bool {
    TFJS_CLASSES.binary_search(&class_name).is_ok()
}

/// The first call's input and output shapes of a layer.
#[derive(Debug, Clone, Default)]
pub struct LayerShapes {
    pub inputs: Vec<Shape>,
    pub outputs: Vec<Shape>,
}

/// One layer of the saved topology, as a rule sees it.
pub struct Site<'a> {
    pub name: &'a str,
    pub class_name: &'a str,
    pub config: &'a Map<String, Value>,
    /// The functional `inbound_nodes` (`None` inside a Sequential model).
    pub inbound_nodes: Option<&'a [Value]>,
    /// Shapes of the layer's first call, when the engine knows them.
    pub shapes: Option<&'a LayerShapes>,
    /// The layer's saved weights (`<name>/…`).
    pub weights: Vec<&'a DecodedWeight>,
    /// Whether the model has layers making Keras masks (`Embedding` with
    /// `mask_zero`, `Masking`), which mask-consuming layers apply.
    pub masks_possible: bool,
    /// Whose semantics the configs follow (the topology's `keras_version`):
    /// Keras 3's `hard_sigmoid` and Keras's half-pixel bilinear
    /// `UpSampling2D` are rewritten, TensorFlow.js computing other numbers
    /// for the same config.
    pub dialect: Dialect,
    /// The runtime the rewrite writes for.
    pub target: Target,
}

impl Site<'_> {
    /// The layer's weight `<name>/<short>`.
    pub fn weight(&self, short: &str) -> Option<&DecodedWeight> {
        let full = format!("{}/{short}", self.name);
        self.weights.iter().copied().find(|w| w.name == full)
    }

    /// The layer's float32 weight `<name>/<short>`: its shape and values,
    /// or why not.
    pub fn f32_weight(&self, short: &str) -> std::result::Result<(&[usize], &[f32]), String> {
        let w = self
            .weight(short)
            .ok_or_else(|| format!("its weight {short} is missing"))?;
        match &w.values {
            TensorValues::Float32(v) => Ok((&w.shape, v)),
            _ => Err(format!("its weight {short} is not float32")),
        }
    }

    /// The layer's weights as the weights of `layer` (a renamed layer of
    /// its rewrite): `<name>/w` becomes `<layer>/w`.
    pub fn weights_under(&self, layer: &str) -> Vec<DecodedWeight> {
        let prefix = format!("{}/", self.name);
        self.weights
            .iter()
            .map(|w| DecodedWeight {
                name: format!(
                    "{layer}/{}",
                    w.name.strip_prefix(&prefix).unwrap_or(&w.name)
                ),
                ..(*w).clone()
            })
            .collect()
    }

    /// The static non-batch dims of the layer's first input, or why not.
    pub fn static_input(&self) -> std::result::Result<Vec<usize>, String> {
        let shape = self
            .shapes
            .and_then(|s| s.inputs.first())
            .ok_or("its input shape is unknown")?;
        shape[1..]
            .iter()
            .copied()
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| format!("its input shape {shape:?} is not static"))
    }

    /// The layer as one layer of `class_name` with `config` and `weights`,
    /// under its own name and called as before (also in a Sequential model).
    pub fn as_one(&self, class_name: &str, config: Value, weights: Vec<DecodedWeight>) -> Outcome {
        Outcome::Replace {
            layers: vec![entry(
                self.name,
                class_name,
                config,
                self.inbound_nodes
                    .map(<[Value]>::to_vec)
                    .unwrap_or_default(),
            )],
            weights,
        }
    }

    /// The layer's one functional call (a rewrite into several layers
    /// wires them there); `outside` says why there is none in a
    /// Sequential model.
    pub fn single_call(&self, outside: &str) -> std::result::Result<&Value, String> {
        let nodes = self.inbound_nodes.ok_or_else(|| outside.to_string())?;
        match nodes {
            [node] => Ok(node),
            _ => Err(format!(
                "the layer is called {} times; a rewrite handles one call",
                nodes.len()
            )),
        }
    }
}

/// What a rule makes of a layer.
pub enum Outcome {
    /// Not this rule's business.
    Skip,
    /// Replace the layer with these functional-form entries (`name`,
    /// `class_name`, `config`, `inbound_nodes`); the last one keeps the
    /// original name, so later layers still find its output. The layer's
    /// weights are replaced by `weights`.
    Replace {
        layers: Vec<Value>,
        weights: Vec<DecodedWeight>,
    },
    /// No exact rewrite exists: why.
    Cannot(String),
}

/// A functional-form layer entry with `name`/`trainable` in its config.
pub fn entry(name: &str, class_name: &str, config: Value, inbound_nodes: Vec<Value>) -> Value {
    let mut config = match config {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    config.insert("name".into(), Value::String(name.into()));
    config.entry("trainable").or_insert(Value::Bool(true));
    json!({"name": name, "class_name": class_name, "config": config, "inbound_nodes": inbound_nodes})
}

/// Functional-form entries for a chain of `(name, class, config)` steps,
/// the first fed by `node`, each next one by the one before.
pub fn chain_entries(node: &Value, steps: Vec<(String, &str, Value)>) -> Vec<Value> {
    let mut layers = Vec::with_capacity(steps.len());
    let mut input = node.clone();
    for (name, class, config) in steps {
        layers.push(entry(&name, class, config, vec![input]));
        input = json!([[name, 0, 0, {}]]);
    }
    layers
}

/// A float32 weight.
pub fn f32_weight(name: String, shape: Vec<usize>, values: Vec<f32>) -> DecodedWeight {
    DecodedWeight {
        name,
        shape,
        values: tfjs_format::codec::TensorValues::Float32(values),
        group: None,
    }
}

/// The layers of a rewritten model and what happened to them.
#[derive(Debug)]
pub struct Rewritten {
    pub artifacts: ModelArtifacts,
    /// One line per rewritten layer: `name (Class) -> …`.
    pub notes: Vec<String>,
}

fn collect_shapes(model: &Model, out: &mut HashMap<String, LayerShapes>) {
    for (l, layer) in model.layers.iter().enumerate() {
        if let Some(call) = model.calls.get(l).and_then(|c| c.first()) {
            let shape = |t: &usize| model.tensors[*t].shape.clone();
            out.entry(layer.name().to_string())
                .or_insert_with(|| LayerShapes {
                    inputs: call.inputs.iter().map(shape).collect(),
                    outputs: call.outputs.iter().map(shape).collect(),
                });
        }
        if let ModelLayer::Model(m) = layer {
            collect_shapes(m, out);
        }
    }
}

struct Walk<'a> {
    shapes: HashMap<String, LayerShapes>,
    masks_possible: bool,
    dialect: Dialect,
    target: Target,
    weights: Vec<DecodedWeight>,
    cannot: Vec<String>,
    notes: Vec<String>,
    _p: std::marker::PhantomData<&'a ()>,
}

/// Why a layer with a TF.js-known class still cannot be loaded there, if
/// it cannot (GRU `reset_after: true`, also inside wrappers).
fn known_class_problem(class_name: &str, config: &Map<String, Value>) -> Option<String> {
    if matches!(class_name, "GRU" | "GRUCell")
        && config.get("reset_after").and_then(Value::as_bool) == Some(true)
    {
        return Some(
            "GRU with reset_after: true (TensorFlow.js 4.22's GRUCell does not support it, and \
             its separate recurrent bias has no exact equivalent there)"
                .into(),
        );
    }
    for key in ["layer", "cell", "backward_layer", "forward_layer"] {
        if let Some(inner) = config.get(key) {
            let cls = inner
                .get("class_name")
                .and_then(Value::as_str)
                .unwrap_or("");
            if let Some(cfg) = inner.get("config").and_then(Value::as_object) {
                if let Some(why) = known_class_problem(cls, cfg) {
                    return Some(format!("wraps a {why}"));
                }
                if !cls.is_empty() && !tfjs_knows(cls) {
                    return Some(format!(
                        "wraps a {cls} layer, which TensorFlow.js 4.22 does not have"
                    ));
                }
            }
        }
    }
    if let Some(Value::Array(cells)) = config.get("cells") {
        for c in cells {
            let cls = c.get("class_name").and_then(Value::as_str).unwrap_or("");
            if let Some(cfg) = c.get("config").and_then(Value::as_object) {
                if let Some(why) = known_class_problem(cls, cfg) {
                    return Some(format!("has a cell that is a {why}"));
                }
            }
        }
    }
    None
}

impl Walk<'_> {
    /// Rewrite the layers of one model config (`{name, layers, …}`).
    fn model_config(&mut self, config: &mut Value, sequential: bool) {
        let Some(layers) = config.get_mut("layers").and_then(Value::as_array_mut) else {
            return;
        };
        let old = std::mem::take(layers);
        let mut new = Vec::with_capacity(old.len());
        for mut layer in old {
            let class_name = layer
                .get("class_name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if matches!(class_name.as_str(), "Sequential" | "Functional" | "Model") {
                if let Some(c) = layer.get_mut("config") {
                    self.model_config(c, class_name == "Sequential");
                }
                new.push(layer);
                continue;
            }
            if let Some(Value::Object(c)) = layer.get_mut("config") {
                let name = c
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let tfjs = self.target == Target::Tfjs;
                for note in tfjs
                    .then(|| regularizers::rewrite_config(c))
                    .into_iter()
                    .flatten()
                {
                    self.notes.push(format!("{name} ({class_name}): {note}"));
                }
            }
            match self.layer(&layer, &class_name, sequential) {
                Some(replacement) => new.extend(replacement),
                None => new.push(layer),
            }
        }
        // A layer a rewrite added must not take an existing layer's name.
        let mut seen = std::collections::HashSet::new();
        for l in &new {
            let name = l
                .get("name")
                .or_else(|| l.get("config").and_then(|c| c.get("name")))
                .and_then(Value::as_str);
            if let Some(name) = name {
                if !seen.insert(name.to_string()) {
                    self.cannot.push(format!(
                        "`{}`: a layer of the rewrite takes this name, which the model already uses",
                        crate::error::printable(name)
                    ));
                }
            }
        }
        if let Some(layers) = config.get_mut("layers").and_then(Value::as_array_mut) {
            *layers = new;
        }
    }

    /// The replacement of one layer entry, `None` to keep it.
    fn layer(&mut self, layer: &Value, class_name: &str, sequential: bool) -> Option<Vec<Value>> {
        let empty = Map::new();
        let config = layer
            .get("config")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let name = layer
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| config.get("name").and_then(Value::as_str))
            .unwrap_or("")
            .to_string();
        let prefix = format!("{name}/");
        let site = Site {
            name: &name,
            class_name,
            config,
            inbound_nodes: if sequential {
                None
            } else {
                layer
                    .get("inbound_nodes")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
            },
            shapes: self.shapes.get(&name),
            weights: self
                .weights
                .iter()
                .filter(|w| w.name.starts_with(&prefix))
                .collect(),
            masks_possible: self.masks_possible,
            dialect: self.dialect,
            target: self.target,
        };
        let for_tfjs: [fn(&Site<'_>) -> Outcome; 27] = [
            tfjs_limits::rule,
            subtract::rule,
            identity_layer::rule,
            reshape_static::rule,
            softmax_axis::rule,
            category_encoding::rule,
            concat_axis::rule,
            elu_alpha::rule,
            relu_options::rule,
            batch_norm_rank5::rule,
            global_pooling_3d::rule,
            pad_crop_1d::rule,
            spatial_3d::rule,
            attention_dot::rule,
            depthwise_dilation::rule,
            deconv_output_padding::rule,
            normalization::rule,
            tf_op_lambda::rule,
            keras3_ops::rule,
            inference_identity::rule,
            layer_scale::rule,
            grouped_conv::rule,
            activations::rule,
            multi_head_attention::rule,
            image_resize::rule,
            conv1d_as_2d::rule,
            einsum_dense::rule,
        ];
        // Keras reads every layer this engine runs; only activations,
        // `RandomCrop` and Keras 3's newer augmentation layers need care.
        let for_keras: [fn(&Site<'_>) -> Outcome; 3] = [
            activations::rule,
            image_resize::keras_rule,
            inference_identity::keras_rule,
        ];
        let rules: &[fn(&Site<'_>) -> Outcome] = if self.target == Target::Tfjs {
            &for_tfjs
        } else {
            &for_keras
        };
        let mut outcome = Outcome::Skip;
        for rule in rules {
            outcome = rule(&site);
            if !matches!(outcome, Outcome::Skip) {
                break;
            }
        }
        let printable = crate::error::printable(&name).into_owned();
        match outcome {
            Outcome::Replace { layers, weights } => {
                let replacement = if sequential {
                    match sequential_entries(config, layers) {
                        Ok(r) => r,
                        Err(why) => {
                            self.cannot
                                .push(format!("`{printable}` ({class_name}): {why}"));
                            return None;
                        }
                    }
                } else {
                    layers
                };
                let classes: Vec<&str> = replacement
                    .iter()
                    .filter_map(|l| l.get("class_name").and_then(Value::as_str))
                    .collect();
                self.notes.push(format!(
                    "{printable} ({class_name}) -> {}",
                    classes.join(" + ")
                ));
                self.weights.retain(|w| !w.name.starts_with(&prefix));
                self.weights.extend(weights);
                Some(replacement)
            }
            Outcome::Cannot(why) => {
                self.cannot
                    .push(format!("`{printable}` ({class_name}): {why}"));
                None
            }
            Outcome::Skip if self.target != Target::Tfjs => None,
            Outcome::Skip => {
                if class_name == "Lambda" {
                    self.cannot.push(format!(
                        "`{printable}` (Lambda): a Lambda layer is Python code, which neither \
                         tfjs-rs nor TensorFlow.js can run"
                    ));
                } else if !tfjs_knows(class_name) {
                    self.cannot.push(format!(
                        "`{printable}` ({class_name}): TensorFlow.js 4.22 has no {class_name} \
                         layer and there is no rewrite for it into layers it has"
                    ));
                } else if let Some(why) = known_class_problem(class_name, config) {
                    self.cannot
                        .push(format!("`{printable}` ({class_name}): {why}"));
                }
                None
            }
        }
    }
}

/// Functional-form replacement entries as Sequential ones: only a single
/// layer (a chain would need names the Sequential form cannot wire), which
/// keeps the original's `batch_input_shape`/`dtype`.
fn sequential_entries(
    original: &Map<String, Value>,
    layers: Vec<Value>,
) -> std::result::Result<Vec<Value>, String> {
    let [only] = <[Value; 1]>::try_from(layers).map_err(|l| {
        format!(
            "its rewrite needs {} layers, which a Sequential model cannot wire",
            l.len()
        )
    })?;
    let class_name = only.get("class_name").cloned().unwrap_or(Value::Null);
    let mut config = only
        .get("config")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for key in ["batch_input_shape", "dtype"] {
        if let Some(v) = original.get(key) {
            config.insert(key.into(), v.clone());
        }
    }
    Ok(vec![json!({"class_name": class_name, "config": config})])
}

/// Save `model` as [`Model::to_artifacts`] does, with every layer
/// TensorFlow.js 4.22 lacks rewritten into layers it has (see the module
/// docs). Fails with one [`LayersError::Topology`] listing every layer that
/// has no exact rewrite.
pub fn rewrite_for_tfjs(model: &Model) -> Result<Rewritten> {
    rewrite_for(model, Target::Tfjs)
}

/// Save `model` as [`Model::to_artifacts`] does, rewritten for `target`:
/// [`rewrite_for_tfjs`] for TensorFlow.js; for a Keras export, only the
/// activations the Keras version lacks or reads otherwise.
pub fn rewrite_for(model: &Model, target: Target) -> Result<Rewritten> {
    let artifacts = model.to_artifacts()?;
    let mut shapes = HashMap::new();
    collect_shapes(model, &mut shapes);
    rewrite_artifacts_for(&artifacts, shapes, target)
}

/// [`rewrite_for_tfjs`] on saved artifacts (a TensorFlow.js-form topology);
/// `shapes` are the layers' first-call shapes (rules that need them refuse
/// a layer without).
pub fn rewrite_artifacts(
    artifacts: &ModelArtifacts,
    shapes: HashMap<String, LayerShapes>,
) -> Result<Rewritten> {
    rewrite_artifacts_for(artifacts, shapes, Target::Tfjs)
}

/// [`rewrite_artifacts`] for `target` (see [`rewrite_for`]).
pub fn rewrite_artifacts_for(
    artifacts: &ModelArtifacts,
    shapes: HashMap<String, LayerShapes>,
    target: Target,
) -> Result<Rewritten> {
    let mut topology = artifacts
        .model_topology
        .clone()
        .ok_or_else(|| LayersError::Topology {
            message: "the model has no topology to rewrite".into(),
        })?;
    let weights = if artifacts.weight_specs.is_empty() {
        Vec::new()
    } else {
        decode_weights(&artifacts.weight_specs, &artifacts.weight_data)?
    };
    let masks_possible = makes_masks(&topology);
    let dialect = Dialect::of_topology(&topology);
    let run = |topology: &mut Value| {
        let mut walk = Walk {
            shapes: shapes.clone(),
            masks_possible,
            dialect,
            target,
            weights: weights.clone(),
            cannot: Vec::new(),
            notes: Vec::new(),
            _p: std::marker::PhantomData,
        };
        let sequential = topology.get("class_name").and_then(Value::as_str) == Some("Sequential");
        if let Some(config) = topology.get_mut("config") {
            walk.model_config(config, sequential);
        }
        walk
    };
    let mut walk = run(&mut topology);
    // A Sequential model whose rewrite needs several layers in a row (or
    // a layer's input shape) is rewritten as the equivalent functional one.
    if !walk.cannot.is_empty() {
        if let Some(mut functional) = artifacts
            .model_topology
            .as_ref()
            .and_then(sequential_as_functional)
        {
            let retry = run(&mut functional);
            if retry.cannot.len() < walk.cannot.len() || retry.cannot.is_empty() {
                walk = retry;
                topology = functional;
                walk.notes.insert(
                    0,
                    "the Sequential model is written as the equivalent functional model".into(),
                );
            }
        }
    }
    if !walk.cannot.is_empty() {
        return Err(LayersError::Topology {
            message: format!(
                "cannot rewrite the model into layers {} has: {} layer{} \
                 without an exact equivalent:\n  {}",
                target.name(),
                walk.cannot.len(),
                if walk.cannot.len() == 1 { "" } else { "s" },
                walk.cannot.join("\n  ")
            ),
        });
    }
    // Every config now means in TensorFlow.js what it meant in Keras.
    if let Some(t) = topology.as_object_mut().filter(|_| target == Target::Tfjs) {
        t.insert(
            "keras_version".into(),
            Value::String(crate::save::KERAS_VERSION.into()),
        );
    }
    let (mut specs, bytes) = encode_weights(&walk.weights)?;
    for (spec, w) in specs.iter_mut().zip(&walk.weights) {
        spec.group = w.group.clone();
    }
    Ok(Rewritten {
        artifacts: ModelArtifacts {
            model_topology: Some(topology),
            weight_specs: specs,
            weight_data: WeightData::from_vec(bytes),
            ..artifacts.clone()
        },
        notes: walk.notes,
    })
}

/// A top-level `Sequential` topology as the equivalent `Functional` one
/// (an `InputLayer`, then each layer fed by the previous one); `None` for
/// other topologies or a Sequential model without a known input.
fn sequential_as_functional(topology: &Value) -> Option<Value> {
    if topology.get("class_name").and_then(Value::as_str) != Some("Sequential") {
        return None;
    }
    let config = topology.get("config")?;
    let layers = config.get("layers")?.as_array()?;
    let model_name = config
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("sequential");
    let mut out = Vec::new();
    let mut rest = layers.iter();
    let first = layers.first()?;
    let first_cfg = first.get("config")?.as_object()?;
    let input_name = if first.get("class_name").and_then(Value::as_str) == Some("InputLayer") {
        rest.next();
        let name = first_cfg.get("name")?.as_str()?.to_string();
        out.push(json!({"name": name, "class_name": "InputLayer",
                        "config": first_cfg, "inbound_nodes": []}));
        name
    } else {
        let shape = first_cfg.get("batch_input_shape")?;
        let name = format!(
            "{}_input",
            first_cfg
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(model_name)
        );
        let dtype = first_cfg.get("dtype").cloned().unwrap_or(json!("float32"));
        out.push(
            json!({"name": name, "class_name": "InputLayer", "inbound_nodes": [],
            "config": {"batch_input_shape": shape, "dtype": dtype, "sparse": false, "name": name}}),
        );
        name
    };
    let mut prev = (input_name.clone(), 0);
    for l in rest {
        let class = l.get("class_name")?.as_str()?;
        let mut cfg = l.get("config")?.as_object()?.clone();
        if out.len() == 1 {
            cfg.shift_remove("batch_input_shape");
        }
        let name = cfg.get("name")?.as_str()?.to_string();
        // A nested model's calls count from 1.
        let node = if matches!(class, "Sequential" | "Functional" | "Model") {
            1
        } else {
            0
        };
        out.push(json!({"name": name, "class_name": class, "config": cfg,
                        "inbound_nodes": [[[prev.0, prev.1, 0, {}]]]}));
        prev = (name, node);
    }
    let mut t = topology.clone();
    t["class_name"] = json!("Functional");
    t["config"] = json!({"name": model_name, "layers": out,
        "input_layers": [[input_name, 0, 0]], "output_layers": [[prev.0, prev.1, 0]]});
    Some(t)
}

/// Whether a topology has a layer that makes Keras masks.
fn makes_masks(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            let class = m.get("class_name").and_then(Value::as_str);
            let cfg = m.get("config");
            let mask_zero = cfg
                .and_then(|c| c.get("mask_zero"))
                .and_then(Value::as_bool)
                == Some(true);
            (class == Some("Masking") || (class == Some("Embedding") && mask_zero))
                || m.values().any(makes_masks)
        }
        Value::Array(a) => a.iter().any(makes_masks),
        _ => false,
    }
}

/// Every class name in a topology (layers, nested configs such as
/// initializers and regularizers): what TensorFlow.js will look up.
pub fn classes_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(c)), Some(_)) = (m.get("class_name"), m.get("config")) {
                out.push(c.clone());
            }
            m.values().for_each(|x| classes_in(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| classes_in(x, out)),
        _ => {}
    }
}

#[cfg(test)]
pub(crate) mod test_util;

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn tfjs_class_list_is_sorted() {
        assert!(TFJS_CLASSES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn unrewritable_layers_are_listed_in_one_error() {
        let gru = entry(
            "gru",
            "GRU",
            json!({"units": 3, "reset_after": true, "return_sequences": true}),
            vec![json!([["x", 0, 0, {}]])],
        );
        let abs = entry(
            "tf.math.abs",
            "TFOpLambda",
            json!({"function": "math.abs"}),
            vec![json!([["gru", 0, 0, {}]])],
        );
        let up = entry(
            "up",
            "UnitNormalization",
            json!({"axis": -1}),
            vec![json!([["tf.math.abs", 0, 0, {}]])],
        );
        let model = functional(&[4, 2], vec![gru, abs, up], 1);
        let err = rewrite_for_tfjs(&model).unwrap_err().to_string();
        assert!(
            err.contains("3 layers without an exact equivalent"),
            "{err}"
        );
        assert!(
            err.contains("`gru` (GRU): GRU with reset_after: true"),
            "{err}"
        );
        assert!(err.contains("`tf.math.abs` (TFOpLambda)"), "{err}");
        assert!(
            err.contains("`up` (UnitNormalization): TensorFlow.js 4.22 has no"),
            "{err}"
        );
    }

    #[test]
    fn a_rewrite_never_reuses_a_layer_name() {
        let layers = vec![
            dense("d_negated", 2, "x"),
            entry(
                "d",
                "TFOpLambda",
                json!({"function": "math.subtract"}),
                vec![json!([["x", 0, 0, {"y": ["d_negated", 0, 0]}], ["d_negated", 0, 0, {}]])],
            ),
        ];
        let model = functional(&[2], layers, 1);
        let err = rewrite_for_tfjs(&model).unwrap_err().to_string();
        assert!(
            err.contains("`d_negated`: a layer of the rewrite takes this name"),
            "{err}"
        );
    }

    #[test]
    fn a_sequential_model_needing_several_layers_becomes_functional() {
        let topology = json!({"class_name": "Sequential", "config": {"name": "seq", "layers": [
            {"class_name": "Resizing", "config": {"name": "resize", "height": 3, "width": 5,
             "batch_input_shape": [null, 6, 4, 2], "dtype": "float32"}},
            {"class_name": "Conv2D", "config": {"name": "conv", "filters": 3, "kernel_size": 1,
             "activation": "hard_silu"}},
            {"class_name": "Normalization", "config": {"name": "norm", "axis": -1,
             "mean": [0.5, 1.0, -1.0], "variance": [2.0, 0.5, 1.0]}}
        ]}});
        let model =
            Model::from_topology(&topology, &crate::LayerRegistry::with_builtins(), 4).unwrap();
        let out = assert_same(&model, &input(&[2, 6, 4, 2]), 1e-5);
        let t = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(t["class_name"], "Functional");
        assert!(
            out.notes[0].contains("equivalent functional model"),
            "{:?}",
            out.notes
        );
    }

    #[test]
    fn a_lambda_layer_is_refused_by_name() {
        let mut walk = Walk {
            shapes: HashMap::new(),
            masks_possible: false,
            dialect: Dialect::Tfjs,
            target: Target::Tfjs,
            weights: Vec::new(),
            cannot: Vec::new(),
            notes: Vec::new(),
            _p: std::marker::PhantomData,
        };
        let lambda = entry(
            "my_fn",
            "Lambda",
            json!({"function": ["4wEA", null, null]}),
            vec![],
        );
        assert!(walk.layer(&lambda, "Lambda", false).is_none());
        assert_eq!(walk.cannot.len(), 1);
        assert!(walk.cannot[0].contains("`my_fn` (Lambda): a Lambda layer is Python code"));
    }
}

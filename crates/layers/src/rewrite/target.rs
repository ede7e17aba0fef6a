//! Who a rewrite writes for: the runtimes ([`Target`]), the classes
//! TensorFlow.js 4.22 can deserialize, and why a layer of a class it knows
//! can still fail to load there.

use crate::Dialect;
use serde_json::{Map, Value};
use tfjs_format::topology::layer_entry_class;

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

    /// Whose semantics the runtime computes a config with.
    pub fn dialect(self) -> Dialect {
        use crate::dialect::{KERAS3_VERSION, TF_KERAS_VERSION};
        match self {
            Target::Tfjs => Dialect::Tfjs,
            Target::TfKeras => Dialect::from_keras_version(Some(TF_KERAS_VERSION)),
            Target::Keras3 => Dialect::from_keras_version(Some(KERAS3_VERSION)),
        }
    }
}

/// Whether TensorFlow.js 4.22 knows `class_name`.
pub fn tfjs_knows(class_name: &str) -> bool {
    TFJS_CLASSES.binary_search(&class_name).is_ok()
}

/// Why a layer with a TF.js-known class still cannot be loaded there, if
/// it cannot (GRU `reset_after: true`, also inside wrappers).
pub(crate) fn known_class_problem(class_name: &str, config: &Map<String, Value>) -> Option<String> {
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
            let cls = layer_entry_class(inner);
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
            let cls = layer_entry_class(c);
            if let Some(cfg) = c.get("config").and_then(Value::as_object) {
                if let Some(why) = known_class_problem(cls, cfg) {
                    return Some(format!("StackedRNNCells with a {why}"));
                }
            }
        }
    }
    None
}

/// An `RNN` over a cell stack that returns its states or is called with
/// initial states (a node with more than one input tensor): TensorFlow.js
/// 4.22 orders a stack's states last cell first, Keras first cell first, so
/// a Keras model's states would be read or returned in another order there.
pub(crate) fn stacked_states_in_play(
    class_name: &str,
    config: &Map<String, Value>,
    inbound_nodes: Option<&[Value]>,
) -> bool {
    let stacked = class_name == "RNN"
        && config.get("cell").is_some_and(|c| {
            c.is_array() || c.get("class_name").and_then(Value::as_str) == Some("StackedRNNCells")
        });
    let returned = config.get("return_state").and_then(Value::as_bool) == Some(true);
    let given = inbound_nodes
        .unwrap_or_default()
        .iter()
        .any(|n| n.as_array().is_some_and(|t| t.len() > 1));
    stacked && (returned || given)
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
mod tests {
    use super::*;

    #[test]
    fn tfjs_class_list_is_sorted() {
        assert!(TFJS_CLASSES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn only_stacks_whose_states_are_read_or_returned_are_told_apart() {
        let cfg = |v: Value| v.as_object().cloned().unwrap();
        let cell = serde_json::json!({"class_name": "LSTMCell", "config": {"units": 2}});
        let stack =
            serde_json::json!({"class_name": "StackedRNNCells", "config": {"cells": [cell]}});
        let states = |c: &Value| cfg(serde_json::json!({"return_state": true, "cell": c}));
        let plain = cfg(serde_json::json!({"return_state": false, "cell": stack}));
        let one = [serde_json::json!([["x", 0, 0, {}]])];
        let with_init = [serde_json::json!([
            ["x", 0, 0, {}],
            ["h", 0, 0, {}],
            ["c", 0, 0, {}]
        ])];
        let list = Value::Array(vec![cell.clone()]);
        assert!(stacked_states_in_play("RNN", &states(&list), Some(&one)));
        assert!(stacked_states_in_play("RNN", &states(&stack), None));
        assert!(stacked_states_in_play("RNN", &plain, Some(&with_init)));
        assert!(!stacked_states_in_play("RNN", &plain, Some(&one)));
        assert!(!stacked_states_in_play(
            "RNN",
            &states(&cell),
            Some(&with_init)
        ));
        assert!(!stacked_states_in_play("LSTM", &states(&stack), None));
    }
}

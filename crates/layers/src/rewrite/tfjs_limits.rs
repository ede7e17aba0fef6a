//! Layers TensorFlow.js 4.22 has but cannot run with a given config or
//! input, found by loading rebuilt corpus models in real TF.js: no rewrite
//! is attempted, the layer is refused with the reason (so `--rebuild`
//! never writes a model TF.js loads but computes differently or not at
//! all).
//!
//! (`ELU` with `alpha` other than 1 and rank-5 `BatchNormalization`, which
//! TF.js cannot run either, have exact rewrites: [`super::elu_alpha`],
//! [`super::batch_norm_rank5`].)
//! - `LayerNormalization` with `rms_scaling: true` (Keras 3's RMS form):
//!   TF.js ignores the field and centers and scales by the variance.
//! - `GlobalAveragePooling1D` in a model that makes masks: Keras averages
//!   the unmasked steps only, TF.js's layer ignores the mask.
//! - `MaxPooling1D` / `AveragePooling1D` with `data_format:
//!   "channels_first"`: TF.js ignores the field and pools over axis 1.
//! - `TimeDistributed` wrapping a model: TF.js names the model's weights
//!   otherwise and refuses the file (`Provided weight data has no target
//!   variable`).
//! - A recurrent layer with `time_major: true` (tf_keras): TF.js has no
//!   such field and reads the input as `[batch, time, …]`.
//! - An `InputLayer` of rank 1 (`Input(shape=())`, one value per sample):
//!   TF.js 4.22's `predict` expands a rank-1 array to `[batch, 1]` and then
//!   refuses it for that input.
//! - A transposed convolution (`Conv1DTranspose`, `Conv2DTranspose`,
//!   `Conv3DTranspose`) with a `dilation_rate` other than 1: TF.js's
//!   `conv2dTranspose` / `conv3dTranspose` take no dilation and the layers
//!   ignore the field. (With `output_padding` the `deconv_*` rules refuse
//!   it.)
//! - A recurrent layer with `zero_output_for_mask: true` in a model that
//!   makes masks: Keras outputs zeros at masked steps (and as the last
//!   output when the last step is masked), TF.js repeats the previous
//!   output (it has no such field).
//! - `Bidirectional` wrapping a generic `RNN` (one cell or a cell stack):
//!   TF.js 4.22 cannot make that layer, not even from its own API
//!   (`tf.layers.bidirectional({layer: tf.layers.rnn({cell})})` throws
//!   `layer: Improper config format … 'className' and 'config' must set`:
//!   `RNN.fromConfig` replaces the config's `cell` by the cell object, and
//!   the wrapper deserializes that config again for the backward
//!   direction).

use super::{Outcome, Site};
use serde_json::Value;

/// A `dilation_rate` (an integer or a list) other than all 1s.
fn dilated(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Array(a)) => a.iter().any(|d| d.as_i64() != Some(1)),
        Some(d) => d.as_i64().is_some_and(|d| d != 1),
        None => false,
    }
}

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    match site.class_name {
        "LayerNormalization" if site.field("rms_scaling", Value::as_bool) == Some(true) => {
            Outcome::Cannot(
                "rms_scaling: true (TensorFlow.js 4.22's LayerNormalization ignores it and \
                 normalizes by mean and variance)"
                    .into(),
            )
        }
        "MaxPooling1D" | "AveragePooling1D" | "MaxPool1D" | "AvgPool1D"
            if site.field("data_format", Value::as_str) == Some("channels_first") =>
        {
            Outcome::Cannot(
                "data_format channels_first (TensorFlow.js 4.22's 1-D pooling ignores it and \
                 pools over axis 1)"
                    .into(),
            )
        }
        "TimeDistributed"
            if matches!(
                site.config
                    .get("layer")
                    .and_then(|l| l.get("class_name"))
                    .and_then(Value::as_str),
                Some("Sequential" | "Functional" | "Model")
            ) =>
        {
            Outcome::Cannot(
                "it wraps a model, whose weights TensorFlow.js 4.22 names otherwise and \
                 cannot load"
                    .into(),
            )
        }
        "LSTM" | "GRU" | "SimpleRNN" | "RNN"
            if site.field("time_major", Value::as_bool) == Some(true) =>
        {
            Outcome::Cannot(
                "time_major: true (TensorFlow.js 4.22's recurrent layers have no such field \
                 and read the input as [batch, time, …])"
                    .into(),
            )
        }
        // In a functional model [`super::scalar_input`] rewrites it (a
        // Sequential one is retried as functional).
        "InputLayer"
            if site.inbound_nodes.is_none()
                && ["batch_input_shape", "batch_shape"]
                    .iter()
                    .find_map(|k| site.config.get(*k).and_then(Value::as_array))
                    .is_some_and(|s| s.len() == 1) =>
        {
            Outcome::Cannot(
                "a rank-1 input (one value per sample; TensorFlow.js 4.22's predict expands it \
                 to [batch, 1] and then refuses it)"
                    .into(),
            )
        }
        "Conv1DTranspose" | "Conv2DTranspose" | "Conv3DTranspose"
            if site.config.get("output_padding").is_none_or(Value::is_null)
                && dilated(site.config.get("dilation_rate")) =>
        {
            Outcome::Cannot(format!(
                "dilation_rate {} (TensorFlow.js 4.22's transposed convolutions ignore it)",
                site.config.get("dilation_rate").unwrap_or(&Value::Null)
            ))
        }
        "LSTM" | "GRU" | "SimpleRNN" | "RNN"
            if site.masks_possible
                && site.field("zero_output_for_mask", Value::as_bool) == Some(true) =>
        {
            Outcome::Cannot(
                "zero_output_for_mask: true in a model with masks (Keras outputs zeros at masked \
                 steps; TensorFlow.js 4.22 has no such field and repeats the previous output)"
                    .into(),
            )
        }
        "Bidirectional"
            if site
                .config
                .get("layer")
                .and_then(|l| l.get("class_name"))
                .and_then(Value::as_str)
                == Some("RNN") =>
        {
            Outcome::Cannot(
                "it wraps a generic RNN (a cell or a cell stack), which TensorFlow.js 4.22's \
                 Bidirectional cannot make (its RNN.fromConfig puts the cell object in the \
                 config it deserializes again for the backward direction: \"Improper config \
                 format\")"
                    .into(),
            )
        }
        // One no mask reaches (its calls known) averages every step in
        // Keras too.
        "GlobalAveragePooling1D"
            if site.masks_possible && site.shapes.is_none_or(|s| !s.masked_calls.is_empty()) =>
        {
            Outcome::Cannot(
                "the model makes masks (Masking, Embedding mask_zero) and Keras averages only the \
             unmasked steps; TensorFlow.js 4.22's GlobalAveragePooling1D ignores the mask"
                    .into(),
            )
        }
        _ => Outcome::Skip,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn rms_layer_norm_and_masked_average_pooling_are_refused() {
        let layers = vec![
            entry_on("mask", "Masking", json!({"mask_value": 0.0}), "x"),
            entry_on(
                "ln",
                "LayerNormalization",
                json!({"axis": -1, "rms_scaling": true}),
                "mask",
            ),
            entry_on("gap", "GlobalAveragePooling1D", json!({}), "ln"),
        ];
        let model = functional(&[4, 3], layers, 4);
        assert_refused(
            &model,
            &[
                "`ln` (LayerNormalization): rms_scaling: true",
                "`gap` (GlobalAveragePooling1D): the model makes masks",
            ],
        );
        let layers = vec![entry_on(
            "lstm",
            "LSTM",
            json!({"units": 2, "time_major": true, "return_sequences": true}),
            "x",
        )];
        let model = functional(&[4, 3], layers, 4);
        assert_refused(&model, &["`lstm` (LSTM): time_major: true"]);
        // TF.js cannot make a Bidirectional over a generic RNN.
        let cell = json!({"class_name": "LSTMCell", "config": {"units": 2}});
        let rnn = json!({"class_name": "RNN", "config": {"name": "rnn", "cell": cell}});
        let layers = vec![entry_on("bi", "Bidirectional", json!({"layer": rnn}), "x")];
        let model = functional(&[4, 3], layers, 4);
        assert_refused(&model, &["`bi` (Bidirectional): it wraps a generic RNN"]);
        // Dilated transposed convolutions: TF.js ignores the dilation.
        let layers = vec![entry_on(
            "up",
            "Conv2DTranspose",
            json!({"filters": 2, "kernel_size": 3, "dilation_rate": [2, 2], "padding": "same"}),
            "x",
        )];
        let model = functional(&[4, 4, 3], layers, 4);
        assert_refused(&model, &["`up` (Conv2DTranspose): dilation_rate [2,2]"]);
        // Zero outputs at masked steps: TF.js repeats the previous output.
        let layers = vec![
            entry_on("mask", "Masking", json!({"mask_value": 0.0}), "x"),
            entry_on(
                "lstm",
                "LSTM",
                json!({"units": 2, "return_sequences": true, "zero_output_for_mask": true}),
                "mask",
            ),
        ];
        let model = functional(&[4, 3], layers, 4);
        assert_refused(&model, &["`lstm` (LSTM): zero_output_for_mask: true"]);
        // (One value per sample is rewritten: `scalar_input`.)
        // Without masks the pooling stays.
        let layers = vec![entry_on("gap", "GlobalAveragePooling1D", json!({}), "x")];
        let model = functional(&[4, 3], layers, 4);
        assert_same(&model, &input(&[2, 4, 3]), 0.0);
    }
}

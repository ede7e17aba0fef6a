//! tf_keras's `CuDNNLSTM` / `CuDNNGRU` (TF 1.x models trained on a GPU;
//! neither TensorFlow.js, Keras 3 nor tf_keras's own loader has them) →
//! the `LSTM` / `GRU` that computes the same numbers, for every target,
//! also inside `Bidirectional`:
//!
//! - `CuDNNLSTM` is an LSTM with `tanh` / `sigmoid` whose bias is cuDNN's
//!   input biases then its recurrent biases (`[8 × units]`); both are added
//!   to the same gates, so the LSTM's bias is their sum.
//! - `CuDNNGRU` is a GRU with `reset_after: true` and `sigmoid`; its flat
//!   `[6 × units]` bias is that GRU's `[2, 3 × units]` one. TensorFlow.js
//!   4.22 has no `reset_after`, so the rebuild then unrolls that GRU
//!   ([`super::gru_unroll`]; refused, by name, where it cannot).
//!
//! Both layers store their kernels in Keras's gate order (tf_keras converts
//! to cuDNN's order when it calls the op), so the kernels carry over as
//! they are.

use super::{Outcome, Site, Target};
use serde_json::{Map, Value};
use tfjs_format::codec::{DecodedWeight, TensorValues};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let wrapped = site.class_name == "Bidirectional";
    let class = if wrapped {
        site.config
            .get("layer")
            .and_then(|l| l.get("class_name"))
            .and_then(Value::as_str)
            .unwrap_or("")
    } else {
        site.class_name
    };
    let lstm = match class {
        "CuDNNLSTM" => true,
        "CuDNNGRU" => false,
        _ => return Outcome::Skip,
    };
    let mut config = site.config.clone();
    let converted = if wrapped {
        config
            .iter_mut()
            .filter(|(key, _)| matches!(key.as_str(), "layer" | "backward_layer"))
            .filter_map(|(_, inner)| inner.as_object_mut())
            .try_for_each(|inner| {
                inner.insert("class_name".into(), plain_class(lstm).into());
                match inner.get_mut("config").and_then(Value::as_object_mut) {
                    Some(c) => plain_config(c, lstm),
                    None => Err("its wrapped layer has no config".into()),
                }
            })
    } else {
        plain_config(&mut config, lstm)
    };
    let weights = converted.and_then(|()| {
        site.weights
            .iter()
            .map(|w| plain_weight(w, lstm))
            .collect::<Result<Vec<_>, String>>()
    });
    match weights {
        Err(why) => Outcome::Cannot(format!("{class}: {why}")),
        // TF.js's GRUCell has no reset_after: the GRU is unrolled.
        Ok(weights) if !lstm && site.target == Target::Tfjs => {
            let gru = Site {
                class_name: if wrapped { "Bidirectional" } else { "GRU" },
                config: &config,
                weights: weights.iter().collect(),
                ..*site
            };
            match super::gru_unroll::rule(&gru) {
                Outcome::Cannot(why) => Outcome::Cannot(format!("{class}: {why}")),
                outcome => outcome,
            }
        }
        Ok(weights) => site.as_one(
            if wrapped {
                "Bidirectional"
            } else {
                plain_class(lstm)
            },
            Value::Object(config),
            weights,
        ),
    }
}

fn plain_class(lstm: bool) -> &'static str {
    if lstm {
        "LSTM"
    } else {
        "GRU"
    }
}

/// A cuDNN layer's config as the plain layer's.
fn plain_config(c: &mut Map<String, Value>, lstm: bool) -> Result<(), String> {
    if c.remove("time_major").and_then(|v| v.as_bool()) == Some(true) {
        return Err("time_major: true has no equivalent in the plain layer".into());
    }
    c.insert("activation".into(), "tanh".into());
    c.insert("recurrent_activation".into(), "sigmoid".into());
    c.insert("use_bias".into(), true.into());
    c.insert("dropout".into(), 0.0.into());
    c.insert("recurrent_dropout".into(), 0.0.into());
    c.insert("implementation".into(), 2.into());
    c.insert("unroll".into(), false.into());
    if !lstm {
        c.insert("reset_after".into(), true.into());
    }
    Ok(())
}

/// A cuDNN layer's weight as the plain layer's: the kernels as they are,
/// the bias summed (LSTM) or split into its two rows (GRU).
fn plain_weight(w: &DecodedWeight, lstm: bool) -> Result<DecodedWeight, String> {
    if !w.name.ends_with("/bias") {
        return Ok(w.clone());
    }
    let TensorValues::Float32(v) = &w.values else {
        return Err(format!("its weight {} is not float32", w.name));
    };
    let half = v.len() / 2;
    if w.shape.len() != 1 || v.len() % 2 != 0 || half == 0 {
        return Err(format!(
            "its weight {} has shape {:?}; cuDNN biases are [2 x gates x units]",
            w.name, w.shape
        ));
    }
    let (values, shape) = if lstm {
        let (input, recurrent) = v.split_at(half);
        let sum = input.iter().zip(recurrent).map(|(a, b)| a + b).collect();
        (sum, vec![half])
    } else {
        (v.clone(), vec![2, half])
    };
    Ok(DecodedWeight {
        shape,
        values: TensorValues::Float32(values),
        ..w.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use tfjs_format::codec::{decode_weights, encode_weights, TensorValues};

    /// `model` with distinct nonzero biases, so that how cuDNN's two
    /// halves combine shows in the outputs.
    fn with_biases(model: crate::Model) -> crate::Model {
        let mut a = model.to_artifacts().unwrap();
        let mut w = decode_weights(&a.weight_specs, &a.weight_data).unwrap();
        for w in w.iter_mut().filter(|w| w.name.ends_with("/bias")) {
            let n: usize = w.shape.iter().product();
            w.values =
                TensorValues::Float32((0..n).map(|i| 0.3 * (i as f32).sin() + 0.1).collect());
        }
        let (specs, bytes) = encode_weights(&w).unwrap();
        a.weight_specs = specs;
        a.weight_data = tfjs_format::WeightData::from_vec(bytes);
        crate::Model::from_artifacts(&a, &Default::default()).unwrap()
    }

    #[test]
    fn cudnn_lstm_becomes_an_lstm_with_the_biases_summed() {
        let layers = vec![entry_on(
            "rnn",
            "CuDNNLSTM",
            json!({"units": 3, "return_sequences": true}),
            "x",
        )];
        let model = with_biases(functional(&[4, 2], layers, 5));
        let out = assert_same(&model, &input(&[2, 4, 2]), 1e-6);
        assert_note(&out, "rnn (CuDNNLSTM) -> LSTM");
    }

    #[test]
    fn bidirectional_cudnn_lstm_keeps_its_wrapper() {
        let layers = vec![entry_on(
            "bi",
            "Bidirectional",
            json!({"merge_mode": "concat", "layer": {"class_name": "CuDNNLSTM",
                   "config": {"name": "lstm", "units": 2}}}),
            "x",
        )];
        let model = with_biases(functional(&[3, 2], layers, 7));
        let out = assert_same(&model, &input(&[2, 3, 2]), 1e-6);
        assert_note(&out, "bi (Bidirectional) -> Bidirectional");
    }

    #[test]
    fn cudnn_gru_is_unrolled_for_tfjs_with_its_two_biases() {
        let layers = vec![entry_on(
            "gru",
            "CuDNNGRU",
            json!({"units": 2, "return_sequences": true}),
            "x",
        )];
        let model = with_biases(functional(&[3, 2], layers, 3));
        let out = assert_same(&model, &input(&[2, 3, 2]), 1e-6);
        assert_note(&out, "3 time steps unrolled");
        let layers = vec![entry_on(
            "bi",
            "Bidirectional",
            json!({"merge_mode": "sum", "layer": {"class_name": "CuDNNGRU",
                   "config": {"name": "gru", "units": 2}}}),
            "x",
        )];
        let model = with_biases(functional(&[3, 2], layers, 4));
        let out = assert_same(&model, &input(&[2, 3, 2]), 1e-6);
        assert_note(&out, "3 time steps unrolled");
    }
}

//! Regularizer, initializer and constraint names TensorFlow.js 4.22 does
//! not know.
//!
//! TF.js registers one regularizer class, `L1L2` (`{l1, l2}`), and one
//! string identifier, `l1l2`. Keras writes `L1` (`{l1}`), `L2` (`{l2}`),
//! `L1L2` and the strings `l1`, `l2`, `l1_l2`; all become `L1L2` with the
//! missing factor 0 (Keras's string defaults: 0.01). Other regularizers
//! (`OrthogonalRegularizer`, custom ones) only add training losses, so they
//! are dropped (`null`) with a note: prediction does not change.
//!
//! An `activity_regularizer` of any kind is dropped: TF.js 4.22 refuses to
//! call a layer that has one ("Layer invocation in the presence of activity
//! regularizer(s) is not supported yet"), and it only adds a training loss.
//!
//! Likewise an initializer TF.js lacks (it only matters before weights are
//! loaded) becomes `Zeros`, with a note. Every constraint is dropped (with a
//! note): Keras applies them only after training steps, but TF.js 4.22
//! applies a variable's constraint whenever it is written, loading
//! included, so a model whose weights do not already satisfy it exactly
//! (a `MinMaxNorm` with `rate < 1` never does) would predict otherwise.

use serde_json::{json, Map, Value};

/// Config keys holding a regularizer.
const KEYS: &[&str] = &[
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "recurrent_regularizer",
    "depthwise_regularizer",
    "pointwise_regularizer",
    "embeddings_regularizer",
    "gamma_regularizer",
    "beta_regularizer",
    "alpha_regularizer",
];

fn factor(config: Option<&Value>, key: &str) -> f64 {
    config
        .and_then(|c| c.get(key))
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

/// The TF.js form of regularizer `v`: `Ok(None)` when it needs no change,
/// `Ok(Some(new))` to replace it, `Err(note)` to drop it.
fn rewrite_one(v: &Value) -> Result<Option<Value>, String> {
    let l1l2 = |l1: f64, l2: f64| json!({"class_name": "L1L2", "config": {"l1": l1, "l2": l2}});
    match v {
        Value::Null => Ok(None),
        Value::String(s) => match s.as_str() {
            "l1l2" => Ok(None),
            "l1" => Ok(Some(l1l2(0.01, 0.0))),
            "l2" => Ok(Some(l1l2(0.0, 0.01))),
            "l1_l2" => Ok(Some(l1l2(0.01, 0.01))),
            other => Err(format!("dropped regularizer {other:?} (training only)")),
        },
        Value::Object(m) => {
            let config = m.get("config");
            match m.get("class_name").and_then(Value::as_str) {
                Some("L1L2") => {
                    // Keras 3 may omit a factor or write null.
                    let (l1, l2) = (factor(config, "l1"), factor(config, "l2"));
                    let same = config.and_then(Value::as_object).is_some_and(|c| {
                        c.len() == 2
                            && c.get("l1").is_some_and(Value::is_number)
                            && c.get("l2").is_some_and(Value::is_number)
                    });
                    Ok((!same).then(|| l1l2(l1, l2)))
                }
                Some("L1") => Ok(Some(l1l2(factor(config, "l1"), 0.0))),
                Some("L2") => Ok(Some(l1l2(0.0, factor(config, "l2")))),
                Some(other) => Err(format!("dropped regularizer {other} (training only)")),
                None => Err("dropped a regularizer without a class_name".into()),
            }
        }
        other => Err(format!("dropped regularizer {other} (training only)")),
    }
}

/// Initializers TensorFlow.js 4.22 registers.
const INITIALIZERS: &[&str] = &[
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "LeCunNormal",
    "LeCunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
];

/// Constraints TensorFlow.js 4.22 registers.
const CONSTRAINTS: &[&str] = &["MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"];

fn class_of(v: &Value) -> Option<&str> {
    v.get("class_name").and_then(Value::as_str)
}

/// Unknown initializers and constraints of a config, in place.
fn initializers_and_constraints(config: &mut Map<String, Value>, notes: &mut Vec<String>) {
    for (key, v) in config.iter_mut() {
        if key.ends_with("_initializer") {
            if let Some(c) = class_of(v).filter(|c| !INITIALIZERS.contains(c)) {
                notes.push(format!(
                    "{key} {c} -> Zeros (initializers do not matter once weights are loaded)"
                ));
                *v = json!({"class_name": "Zeros", "config": {}});
            }
        } else if key.ends_with("_constraint") && !v.is_null() {
            let c = class_of(v).map_or_else(|| v.to_string(), str::to_string);
            let why = if CONSTRAINTS.contains(&c.as_str()) {
                "training only; TF.js would apply it to the loaded weights"
            } else {
                "training only"
            };
            notes.push(format!("{key}: dropped constraint {c} ({why})"));
            *v = Value::Null;
        }
    }
}

/// Rewrite every regularizer of a layer config in place (also those of
/// wrapped layers and cells); returns notes on what changed.
pub fn rewrite_config(config: &mut Map<String, Value>) -> Vec<String> {
    let mut notes = Vec::new();
    initializers_and_constraints(config, &mut notes);
    for key in KEYS {
        let Some(v) = config.get_mut(*key) else {
            continue;
        };
        if *key == "activity_regularizer" && !v.is_null() {
            notes.push(format!(
                "activity_regularizer: dropped {} (training only; TF.js cannot call a layer with one)",
                class_of(v).map_or_else(|| v.to_string(), str::to_string)
            ));
            *v = Value::Null;
            continue;
        }
        match rewrite_one(v) {
            Ok(None) => {}
            Ok(Some(new)) => {
                let old = v
                    .get("class_name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                notes.push(format!("{key} {old} -> L1L2"));
                *v = new;
            }
            Err(note) => {
                notes.push(format!("{key}: {note}"));
                *v = Value::Null;
            }
        }
    }
    super::walk::for_each_inner_config(config, &mut |c| notes.extend(rewrite_config(c)));
    notes
}

#[cfg(test)]
mod tests {
    use super::super::rewrite_artifacts;
    use super::super::test_util::*;
    use serde_json::Value;

    #[test]
    fn keras_regularizer_and_initializer_names_become_tfjs_ones() {
        let dense = |name: &str, input: &str, reg: Value| {
            entry_on(
                name,
                "Dense",
                json!({"units": 3, "kernel_regularizer": reg.clone(), "bias_regularizer": reg,
                       "activity_regularizer": {"class_name": "OrthogonalRegularizer",
                                                "config": {"factor": 0.01, "mode": "rows"}},
                       "bias_constraint": {"class_name": "MyConstraint", "config": {}}}),
                input,
            )
        };
        let model = functional(
            &[4],
            vec![
                dense("a", "x", json!({"class_name": "L2", "config": {"l2": 0.5}})),
                dense(
                    "b",
                    "a",
                    json!({"class_name": "L1", "config": {"l1": 0.25}}),
                ),
                dense("c", "b", json!("l2")),
                dense("d", "c", json!("l1_l2")),
            ],
            3,
        );
        // The engine keeps unknown names in the layer configs it saves; the
        // rewrite must leave only names TF.js knows (assert_same checks
        // every class_name) and predict the same.
        let out = assert_same(&model, &input(&[2, 4]), 0.0);
        let layers = &out.artifacts.model_topology.as_ref().unwrap()["config"]["layers"];
        let reg = |i: usize| {
            let c = &layers[i]["config"]["kernel_regularizer"];
            assert_eq!(c["class_name"], "L1L2", "{c}");
            (
                c["config"]["l1"].as_f64().unwrap(),
                c["config"]["l2"].as_f64().unwrap(),
            )
        };
        assert_eq!(reg(1), (0.0, 0.5));
        assert_eq!(reg(2), (0.25, 0.0));
        assert_eq!(reg(3), (0.0, 0.01));
        assert_eq!(reg(4), (0.01, 0.01));
        assert_eq!(layers[1]["config"]["activity_regularizer"], Value::Null);
        assert_eq!(layers[1]["config"]["bias_constraint"], Value::Null);
        assert_note(&out, "OrthogonalRegularizer");
        // Already TF.js-form: nothing more to do.
        let again = rewrite_artifacts(&out.artifacts, Default::default()).unwrap();
        assert!(again.notes.is_empty(), "{:?}", again.notes);
    }

    #[test]
    fn activity_regularizers_are_dropped() {
        let model = functional(
            &[4],
            vec![entry_on(
                "a",
                "Dense",
                json!({"units": 3, "activity_regularizer": {"class_name": "L2", "config": {"l2": 0.1}}}),
                "x",
            )],
            5,
        );
        let out = assert_same(&model, &input(&[2, 4]), 0.0);
        let layers = &out.artifacts.model_topology.as_ref().unwrap()["config"]["layers"];
        assert_eq!(layers[1]["config"]["activity_regularizer"], Value::Null);
        assert_note(&out, "activity_regularizer: dropped");
    }

    #[test]
    fn constraints_are_dropped_so_tfjs_keeps_the_loaded_weights() {
        let model = functional(
            &[4],
            vec![entry_on(
                "a",
                "Dense",
                json!({"units": 3, "kernel_constraint": {"class_name": "MinMaxNorm",
                       "config": {"min_value": 0.5, "max_value": 1.5, "rate": 0.9, "axis": 0}},
                       "bias_constraint": {"class_name": "NonNeg", "config": {}}}),
                "x",
            )],
            6,
        );
        let out = assert_same(&model, &input(&[2, 4]), 0.0);
        let layers = &out.artifacts.model_topology.as_ref().unwrap()["config"]["layers"];
        assert_eq!(layers[1]["config"]["kernel_constraint"], Value::Null);
        assert_eq!(layers[1]["config"]["bias_constraint"], Value::Null);
        assert_note(&out, "dropped constraint MinMaxNorm");
    }

    #[test]
    fn unknown_initializers_become_zeros() {
        // The engine refuses unknown initializers when it builds a layer, so
        // this runs on saved artifacts directly (what the rewrite sees).
        let topology = json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 2],
             "kernel_initializer": {"class_name": "STFTInitializer", "config": {}},
             "bias_initializer": {"class_name": "Zeros", "config": {}}}}]}});
        let artifacts = tfjs_format::ModelArtifacts {
            model_topology: Some(topology),
            ..Default::default()
        };
        let out = rewrite_artifacts(&artifacts, Default::default()).unwrap();
        let d = &out.artifacts.model_topology.unwrap()["config"]["layers"][0]["config"];
        assert_eq!(
            d["kernel_initializer"],
            json!({"class_name": "Zeros", "config": {}})
        );
        assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
    }
}

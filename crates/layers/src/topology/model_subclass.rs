//! Subclasses of Keras's model classes. `class MyNet(keras.Model)` built
//! from inputs and outputs (or `class MySeq(keras.Sequential)`) is saved
//! under its own class name with its base class's config; Keras revives
//! such a class from that config as the graph it describes, and that graph
//! is what the engine runs (a subclass that overrides `call` computes
//! otherwise: Keras itself needs the Python class to load one). The model
//! is saved back as its base class, which TensorFlow.js loads.

use serde_json::Value;

/// The model class an unknown `class` with `config` is read as: a
/// functional config (`layers`, `input_layers`, `output_layers`) is a
/// `Functional`; a bare `layers` list a `Sequential` when `nested` is
/// false (a nested layer with only a `layers` list is a layer of its own,
/// as Keras 3's `Pipeline`).
pub(super) fn base_class(config: &Value, nested: bool) -> Option<&'static str> {
    let has = |key: &str| config.get(key).is_some_and(|v| !v.is_null());
    if !config.get("layers").is_some_and(Value::is_array) {
        return None;
    }
    if has("input_layers") && has("output_layers") {
        Some("Functional")
    } else if !nested && !has("input_layers") && !has("output_layers") {
        Some("Sequential")
    } else {
        None
    }
}

/// Warn that `class` runs as `base`.
pub(super) fn warn(class: &str, base: &str, path: &str) {
    tracing::warn!(
        "{path}: model class `{class}` is not a Keras class; it is run as the {base} graph its \
         config describes (as Keras revives it) and saved as a {base}"
    );
}

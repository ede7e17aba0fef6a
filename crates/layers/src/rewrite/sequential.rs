//! Sequential models in a rewrite: a replacement written in the
//! Sequential form, and a Sequential model as the equivalent functional
//! one (for rewrites that need several layers in a row or a layer's input
//! shape).

use serde_json::{json, Map, Value};

/// Functional-form replacement entries as Sequential ones: only a single
/// layer (a chain would need names the Sequential form cannot wire), which
/// keeps the original's `batch_input_shape`/`dtype`.
pub(crate) fn sequential_entries(
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

/// A top-level `Sequential` topology as the equivalent `Functional` one
/// (an `InputLayer`, then each layer fed by the previous one); `None` for
/// other topologies or a Sequential model without a known input.
pub(crate) fn sequential_as_functional(topology: &Value) -> Option<Value> {
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

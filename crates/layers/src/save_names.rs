//! Unique weight names on save: layers of two nested models may share a
//! name (Keras 3 allows it, its `.keras` weight paths tell them apart), but
//! TensorFlow.js names a weight `<layer>/<weight>` and refuses a model in
//! which two weights get one name ("Duplicate weight name"). Saving renames
//! the later of such layers (`hidden` → `hidden_1`, a name no layer of the
//! model has) in its nested model's config and in its weights' names.

use crate::model::{Model, ModelLayer};
use crate::weights::WeightSlot;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// One layer renamed on save: where it is and its new name.
pub(crate) struct Rename {
    /// Layer indices from the outer model through nested models.
    pub path: Vec<usize>,
    /// Layer names along `path` (the last is the renamed layer's old name).
    pub names: Vec<String>,
    pub new_name: String,
}

/// The layers to rename so that every weight name of `slots` (the model's
/// [`Model::weight_slots`]) is unique; empty when they already are.
pub(crate) fn renames(model: &Model, slots: &[WeightSlot]) -> Vec<Rename> {
    let mut owner: HashMap<&str, &[usize]> = HashMap::new();
    let mut to_rename: Vec<&[usize]> = Vec::new();
    for s in slots {
        match owner.get(s.name.as_str()) {
            Some(p) if *p != s.path.as_slice() => {
                if !to_rename.contains(&s.path.as_slice()) {
                    to_rename.push(&s.path);
                }
            }
            Some(_) => {}
            None => {
                owner.insert(&s.name, &s.path);
            }
        }
    }
    if to_rename.is_empty() {
        return Vec::new();
    }
    let mut used = HashSet::new();
    all_names(model, &mut used);
    let mut out = Vec::new();
    for path in to_rename {
        let names = names_along(model, path);
        let Some(old) = names.last() else { continue };
        let new_name = (1..)
            .map(|k| format!("{old}_{k}"))
            .find(|n| !used.contains(n))
            .unwrap_or_default();
        used.insert(new_name.clone());
        out.push(Rename {
            path: path.to_vec(),
            names,
            new_name,
        });
    }
    out
}

/// A slot's weight name after `renames`.
pub(crate) fn renamed_weight(slot: &WeightSlot, renames: &[Rename]) -> String {
    let Some(r) = renames.iter().find(|r| r.path == slot.path) else {
        return slot.name.clone();
    };
    let old = r.names.last().map(String::as_str).unwrap_or("");
    match slot
        .name
        .strip_prefix(old)
        .and_then(|s| s.strip_prefix('/'))
    {
        Some(rest) => format!("{}/{rest}", r.new_name),
        None => slot.name.clone(),
    }
}

/// Apply `renames` to a saved topology (`{class_name, config}`).
pub(crate) fn rename_in_topology(topology: &mut Value, renames: &[Rename]) {
    for r in renames {
        let Some((old, outer)) = r.names.split_last() else {
            continue;
        };
        let mut config = topology.get_mut("config");
        for name in outer {
            config = config
                .and_then(|c| c.get_mut("layers"))
                .and_then(Value::as_array_mut)
                .and_then(|ls| ls.iter_mut().find(|l| entry_name(l) == Some(name)))
                .and_then(|l| l.get_mut("config"));
        }
        if let Some(config) = config {
            rename_in_model_config(config, old, &r.new_name);
        }
    }
}

fn entry_name(entry: &Value) -> Option<&str> {
    entry
        .get("config")
        .and_then(|c| c.get("name"))
        .or_else(|| entry.get("name"))
        .and_then(Value::as_str)
}

/// Rename layer `old` of one model config: its entry, the inbound nodes
/// that read it and the model's inputs / outputs.
fn rename_in_model_config(config: &mut Value, old: &str, new: &str) {
    let rename_ref = |r: &mut Value| {
        if let Some(first) = r.get_mut(0) {
            if first.as_str() == Some(old) {
                *first = Value::String(new.to_string());
            }
        }
    };
    if let Some(layers) = config.get_mut("layers").and_then(Value::as_array_mut) {
        for entry in layers {
            if entry_name(entry) == Some(old) {
                for pointer in ["/name", "/config/name"] {
                    if let Some(v) = entry.pointer_mut(pointer) {
                        *v = Value::String(new.to_string());
                    }
                }
            }
            if let Some(nodes) = entry.get_mut("inbound_nodes").and_then(Value::as_array_mut) {
                for node in nodes {
                    for r in node.as_array_mut().into_iter().flatten() {
                        rename_ref(r);
                    }
                }
            }
        }
    }
    for key in ["input_layers", "output_layers"] {
        for r in config
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            rename_ref(r);
        }
    }
}

fn all_names(model: &Model, out: &mut HashSet<String>) {
    for l in &model.layers {
        out.insert(l.name().to_string());
        if let ModelLayer::Model(m) = l {
            all_names(m, out);
        }
    }
}

fn names_along(model: &Model, path: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    let mut m = model;
    for (k, &i) in path.iter().enumerate() {
        let Some(l) = m.layers.get(i) else { break };
        out.push(l.name().to_string());
        match l {
            ModelLayer::Model(inner) if k + 1 < path.len() => m = inner,
            _ => break,
        }
    }
    out
}

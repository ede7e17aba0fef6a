//! Driving a rewrite: save the model, walk its topology (nested models
//! included), ask the rules ([`super::TFJS_RULES`] or
//! [`super::KERAS_RULES`]) about every layer, splice in the replacements and
//! their weights, and fail with one error listing every layer no rule can
//! express.

use super::sequential::{sequential_as_functional, sequential_entries};
use super::target::{known_class_problem, stacked_states_in_play};
use super::{dtype_policy, regularizers, tfjs_knows, LayerShapes, Outcome, Site, Target};
use crate::model::{Model, ModelLayer};
use crate::{Dialect, LayersError, Result};
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use tfjs_format::codec::{decode_weights, encode_weights, DecodedWeight};
use tfjs_format::topology::{layer_entry_class, layer_entry_name};
use tfjs_format::{ModelArtifacts, WeightData};

/// `f` on the configs of the layers inside a layer's config: a wrapped
/// layer or cell (`layer`, `cell`, `backward_layer`, `forward_layer`) and a
/// stack's `cells`.
pub(super) fn for_each_inner_config(
    config: &mut Map<String, Value>,
    f: &mut dyn FnMut(&mut Map<String, Value>),
) {
    for key in ["layer", "cell", "backward_layer", "forward_layer"] {
        if let Some(Value::Object(c)) = config.get_mut(key).and_then(|w| w.get_mut("config")) {
            f(c);
        }
    }
    if let Some(Value::Array(cells)) = config.get_mut("cells") {
        for cell in cells {
            if let Some(Value::Object(c)) = cell.get_mut("config") {
                f(c);
            }
        }
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
                    masked_calls: Vec::new(),
                    mask_ids: None,
                    masking_input: None,
                    input_mask_ids: Vec::new(),
                    call_mask_sources: Vec::new(),
                    call_inputs: model
                        .calls
                        .get(l)
                        .map(|calls| {
                            calls
                                .iter()
                                .map(|c| c.inputs.iter().map(shape).collect())
                                .collect()
                        })
                        .unwrap_or_default(),
                    mask_readers_unrolled: false,
                    output_mask_unread: false,
                    masked_steps_unread: false,
                    integer_inputs: Vec::new(),
                });
        }
        if let ModelLayer::Model(m) = layer {
            collect_shapes(m, out);
        }
    }
}

/// The Keras 3 operations of `layers` whose outputs nothing reads, through
/// chains (`not_equal` read only by an `any` nothing reads): neither a
/// model output nor referenced by another live layer.
/// The `mask=` of the layers named in `unread` (rewritten without it) is
/// not a read.
fn dead_operations(
    layers: &[Value],
    outputs: Option<&Value>,
    unread: &std::collections::HashSet<String>,
) -> std::collections::HashSet<String> {
    let name_of = |l: &Value| {
        l.get("name")
            .or_else(|| l.pointer("/config/name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let is_op = |l: &Value| {
        l.get("class_name")
            .and_then(Value::as_str)
            .is_some_and(|c| c.starts_with(crate::topology::KERAS3_OPERATION_PREFIX))
    };
    let mut dead = std::collections::HashSet::new();
    loop {
        let live: Vec<Value> = layers
            .iter()
            .filter(|l| !dead.contains(&name_of(l)))
            .map(|l| {
                let mut l = l.clone();
                if unread.contains(&name_of(&l)) {
                    drop_mask_kwargs(l.get_mut("inbound_nodes").unwrap_or(&mut Value::Null));
                }
                l
            })
            .collect();
        let consumed = consumed_layers(&live, outputs);
        let more: Vec<String> = live
            .iter()
            .filter(|l| is_op(l))
            .map(name_of)
            .filter(|n| !n.is_empty() && !consumed.contains(n))
            .collect();
        if more.is_empty() {
            return dead;
        }
        dead.extend(more);
    }
}

/// `inbound_nodes` without the `mask` of their calls' kwargs.
fn drop_mask_kwargs(nodes: &mut Value) {
    match nodes {
        Value::Array(a) => a.iter_mut().for_each(drop_mask_kwargs),
        Value::Object(o) => {
            o.remove("mask");
        }
        _ => {}
    }
}

/// The names of the layers whose outputs another layer of `layers` reads
/// or that are model outputs: the `[name, node, tensor, …]` references in
/// the layers' `inbound_nodes` (their kwargs too) and in `outputs`.
fn consumed_layers(layers: &[Value], outputs: Option<&Value>) -> std::collections::HashSet<String> {
    fn refs(v: &Value, out: &mut std::collections::HashSet<String>) {
        match v {
            Value::Array(a) => {
                if let (Some(Value::String(n)), Some(i)) = (a.first(), a.get(1)) {
                    if i.is_number() {
                        out.insert(n.clone());
                    }
                }
                a.iter().for_each(|x| refs(x, out));
            }
            Value::Object(o) => o.values().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut out = std::collections::HashSet::new();
    for l in layers {
        if let Some(nodes) = l.get("inbound_nodes") {
            refs(nodes, &mut out);
        }
    }
    if let Some(o) = outputs {
        refs(o, &mut out);
    }
    out
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

impl Walk<'_> {
    /// Rewrite the layers of one model config (`{name, layers, …}`).
    fn model_config(&mut self, config: &mut Value, sequential: bool) {
        let Some(layers) = config.get_mut("layers").and_then(Value::as_array_mut) else {
            return;
        };
        let old = std::mem::take(layers);
        self.find_mask_ids(&old);
        for (name, kinds) in super::integer_valued::input_kinds(&old) {
            if let Some(shapes) = self.shapes.get_mut(&name) {
                shapes.integer_inputs = kinds;
            }
        }
        let dead = if self.target == Target::Tfjs {
            // Layers whose explicit mask their rewrite computes from ids.
            let unread = old
                .iter()
                .filter_map(|l| {
                    let name = layer_entry_name(l)?;
                    let nodes = l.get("inbound_nodes").and_then(Value::as_array);
                    super::explicit_masks::rewritten_from_ids(
                        layer_entry_class(l),
                        nodes.map_or(0, Vec::len),
                        self.shapes.get(name),
                    )
                    .then(|| name.to_string())
                })
                .collect();
            dead_operations(&old, config.get("output_layers"), &unread)
        } else {
            Default::default()
        };
        if self.target == Target::Tfjs && self.masks_possible && !sequential {
            for (name, class) in super::rnn_state_kwargs::leaking_layers(&old) {
                self.cannot.push(format!(
                    "`{}` ({class}): {}",
                    crate::error::printable(&name),
                    super::rnn_state_kwargs::WHY
                ));
            }
            for (name, class) in super::nested_masks::refused(&old, &self.shapes) {
                self.cannot.push(format!(
                    "`{}` ({class}): {}",
                    crate::error::printable(&name),
                    super::nested_masks::WHY
                ));
            }
        }
        let mut splits = super::split::split_layers(&old);
        splits.extend(super::gru_unroll::unrollable_layers(&old));
        let mut new = Vec::with_capacity(old.len());
        let mut kept_as: HashMap<String, String> = HashMap::new();
        for mut layer in old {
            let class_name = layer_entry_class(&layer).to_string();
            // A Keras 3 operation nothing reads: Keras 3 records the mask a
            // layer computes (`Embedding(mask_zero)`'s `not_equal`, `any`) as
            // operations feeding `mask=` call arguments, which the engine
            // does not read (it propagates masks itself, as TF.js does).
            if self.target == Target::Tfjs
                && class_name.starts_with(crate::topology::KERAS3_OPERATION_PREFIX)
            {
                let name = layer
                    .get("name")
                    .or_else(|| layer.pointer("/config/name"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if dead.contains(name) {
                    self.notes.push(format!(
                        "{} ({class_name}) dropped: only a Keras mask reads it, which \
                         TensorFlow.js computes itself",
                        crate::error::printable(name)
                    ));
                    continue;
                }
            }
            if matches!(class_name.as_str(), "Sequential" | "Functional" | "Model") {
                self.nested_model(&mut layer, &class_name);
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
                    .then(|| {
                        let mut notes = regularizers::rewrite_config(c);
                        notes.extend(dtype_policy::rewrite_config(c));
                        notes
                    })
                    .into_iter()
                    .flatten()
                {
                    self.notes.push(format!("{name} ({class_name}): {note}"));
                }
            }
            match self.layer(&layer, &class_name, sequential) {
                Some(replacement) => {
                    // A replacement keeping the layer under another name
                    // (`<name>_seq`) keeps its masked calls.
                    let own = tfjs_format::topology::layer_entry_name(&layer).unwrap_or("");
                    for e in &replacement {
                        if let Some(n) = tfjs_format::topology::layer_entry_name(e) {
                            if n != own && layer_entry_class(e) == class_name {
                                kept_as.insert(n.to_string(), own.to_string());
                            }
                        }
                    }
                    new.extend(replacement)
                }
                None => new.push(layer),
            }
        }
        if self.target == Target::Tfjs && self.masks_possible {
            let shapes = &self.shapes;
            // Recurrent layers Keras 3 runs unmasked (initial states).
            let dialect = self.dialect;
            let unmasked: std::collections::HashSet<String> = new
                .iter()
                .filter_map(|l| {
                    let name = tfjs_format::topology::layer_entry_name(l)?;
                    let calls = l
                        .get("inbound_nodes")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                    super::rnn_mask_leak::runs_unmasked(
                        dialect,
                        layer_entry_class(l),
                        l.get("config")?.as_object()?,
                        calls,
                        shapes.get(name)?,
                    )
                    .then(|| name.to_string())
                })
                .collect();
            let masked = |n: &str| {
                let n = kept_as.get(n).map_or(n, String::as_str);
                shapes.get(n).is_some_and(|s| !s.masked_calls.is_empty()) && !unmasked.contains(n)
            };
            let notes = super::softmax_mask_leak::rewrite(&mut new, masked);
            self.notes.extend(notes);
            let notes = super::rnn_mask_leak::rewrite(&mut new, masked);
            self.notes.extend(notes);
        }
        if self.target == Target::Tfjs && !sequential {
            let notes = super::scalar_input::rewrite(&mut new, config.get_mut("output_layers"));
            self.notes.extend(notes);
            super::split::redirect(&splits, &mut new, config.get_mut("output_layers"));
            let mut taken = new
                .iter()
                .filter_map(|l| tfjs_format::topology::layer_entry_name(l).map(String::from))
                .collect();
            if self.dialect.is_keras() {
                let notes =
                    super::rnn_stack_states::rewrite(&mut new, config.get_mut("output_layers"));
                self.notes.extend(notes);
            }
            let notes = super::rnn_state_alias::rewrite(&mut new, config.get_mut("output_layers"));
            self.notes.extend(notes);
            let (extra, notes) = super::duplicate_outputs::rewrite(config, &mut taken);
            new.extend(extra);
            self.notes.extend(notes);
            let outputs = config.get("output_layers");
            let (extra, notes) = super::repeated_inputs::rewrite(&mut new, outputs, &mut taken);
            new.extend(extra);
            self.notes.extend(notes);
        }
        // A layer a rewrite added must not take an existing layer's name.
        let mut seen = std::collections::HashSet::new();
        for l in &new {
            if let Some(name) = tfjs_format::topology::layer_entry_name(l) {
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

    /// Rewrite the layers of a model nested in another (`layer`, its entry
    /// in the outer model). A nested Sequential model whose rewrite needs
    /// several layers in a row (or a layer's input shape: its layers have no
    /// `inbound_nodes`) is rewritten as the equivalent functional model, as
    /// a top-level one is ([`sequential_as_functional`]): its own input is
    /// its first node either way, so the outer model's references to its
    /// calls keep their node indices.
    fn nested_model(&mut self, layer: &mut Value, class_name: &str) {
        let sequential = class_name == "Sequential";
        let (cannot, notes, weights) = (self.cannot.len(), self.notes.len(), self.weights.clone());
        let original = layer.get("config").cloned();
        if let Some(c) = layer.get_mut("config") {
            self.model_config(c, sequential);
        }
        let failed = self.cannot.len() - cannot;
        let Some(mut functional) = original.filter(|_| sequential && failed > 0).and_then(|c| {
            sequential_as_functional(&json!({"class_name": "Sequential", "config": c}))
        }) else {
            return;
        };
        let first = (
            self.cannot.split_off(cannot),
            self.notes.split_off(notes),
            std::mem::replace(&mut self.weights, weights),
        );
        if let Some(c) = functional.get_mut("config") {
            self.model_config(c, false);
        }
        if self.cannot.len() - cannot < failed {
            let name = layer_entry_name(layer).unwrap_or("");
            self.notes.insert(
                notes,
                format!(
                    "{}: the nested Sequential model is written as the equivalent functional model",
                    crate::error::printable(name)
                ),
            );
            layer["class_name"] = json!("Functional");
            layer["config"] = functional["config"].take();
        } else {
            self.cannot.truncate(cannot);
            self.notes.truncate(notes);
            self.cannot.extend(first.0);
            self.notes.extend(first.1);
            self.weights = first.2;
        }
    }

    /// For each layer of one model's entries `layers` whose first masked
    /// call's first mask an `Embedding(mask_zero)` among them makes: that
    /// Embedding's ids input ([`LayerShapes::mask_ids`]).
    fn find_mask_ids(&mut self, layers: &[Value]) {
        // The ids input of call `call` of an `Embedding(mask_zero)`.
        let ids_of = |origin: &str, call: usize| -> Option<Value> {
            let e = layers
                .iter()
                .find(|l| tfjs_format::topology::layer_entry_name(l) == Some(origin))?;
            let masks = layer_entry_class(e) == "Embedding"
                && e.pointer("/config/mask_zero").and_then(Value::as_bool) == Some(true);
            let node = e.get("inbound_nodes")?.as_array()?.get(call)?;
            let [input] = node.as_array()?.as_slice() else {
                return None;
            };
            let r = input.as_array().filter(|r| r.len() >= 3)?;
            masks.then(|| serde_json::json!([r[0], r[1], r[2], {}]))
        };
        // A `Masking` layer's input in call `call` and mask value.
        let masking_of = |origin: &str, call: usize| -> Option<(Value, f64)> {
            let e = layers
                .iter()
                .find(|l| tfjs_format::topology::layer_entry_name(l) == Some(origin))?;
            if layer_entry_class(e) != "Masking" {
                return None;
            }
            let value = e
                .pointer("/config/mask_value")
                .map_or(Some(0.0), Value::as_f64)?;
            let node = e.get("inbound_nodes")?.as_array()?.get(call)?;
            let [input] = node.as_array()?.as_slice() else {
                return None;
            };
            let r = input.as_array().filter(|r| r.len() >= 3)?;
            Some((serde_json::json!([r[0], r[1], r[2], {}]), value))
        };
        let first_mask = |shapes: &LayerShapes| {
            let call = shapes.masked_calls.first()?;
            Some((
                call.masks.first().copied()??.0,
                call.origins.first().cloned()??,
            ))
        };
        // The origin (layer, call) of a masked call's first mask.
        let call_origin = |call: &crate::dialect::MaskedCall| {
            call.masks.first().copied()??;
            Some((
                call.origins.first().cloned()??,
                call.origin_calls.first().copied()??,
            ))
        };
        for l in layers {
            let Some(name) = tfjs_format::topology::layer_entry_name(l) else {
                continue;
            };
            let Some(shapes) = self.shapes.get_mut(name) else {
                continue;
            };
            shapes.call_mask_sources = shapes
                .masked_calls
                .iter()
                .map(|call| {
                    let origin = call_origin(call);
                    (
                        origin.as_ref().and_then(|(o, c)| ids_of(o, *c)),
                        origin.as_ref().and_then(|(o, c)| masking_of(o, *c)),
                    )
                })
                .collect();
            (shapes.mask_ids, shapes.masking_input) = shapes
                .call_mask_sources
                .first()
                .cloned()
                .unwrap_or_default();
            shapes.input_mask_ids = shapes
                .masked_calls
                .first()
                .map(|call| {
                    call.origins
                        .iter()
                        .zip(&call.origin_calls)
                        .map(|(o, c)| ids_of(o.as_deref()?, (*c)?))
                        .collect()
                })
                .unwrap_or_default();
        }
        // The layers reading each layer's outputs.
        let mut readers: HashMap<&str, Vec<&Value>> = HashMap::new();
        for l in layers {
            let mut from = Vec::new();
            tensor_refs(l.get("inbound_nodes").unwrap_or(&Value::Null), &mut from);
            for f in from {
                readers.entry(f).or_default().push(l);
            }
        }
        for l in layers {
            let Some(name) = tfjs_format::topology::layer_entry_name(l) else {
                continue;
            };
            let Some((id, origin)) = self.shapes.get(name).and_then(first_mask) else {
                continue;
            };
            // Every layer after this one reached by the same mask either
            // leaves its numbers alone or is a GRU unrolled with its ids.
            let mut seen = std::collections::HashSet::new();
            let mut todo = vec![name];
            let mut ok = true;
            while let Some(n) = todo.pop() {
                for r in readers.get(n).into_iter().flatten() {
                    let Some(rn) = tfjs_format::topology::layer_entry_name(r) else {
                        continue;
                    };
                    if !seen.insert(rn) {
                        continue;
                    }
                    todo.push(rn);
                    let Some(rs) = self.shapes.get(rn) else {
                        continue;
                    };
                    let reached = rs
                        .masked_calls
                        .iter()
                        .any(|c| c.masks.iter().flatten().any(|m| m.0 == id));
                    let class = layer_entry_class(r);
                    let unrolled = super::gru_unroll::unrollable(
                        class,
                        r.get("config").and_then(Value::as_object),
                    ) && first_mask(rs).is_some_and(|(i, o)| i == id && o == origin);
                    if reached
                        && !unrolled
                        && !entry_mask_blind(r)
                        && !rewritten_from_ids(class, rs)
                    {
                        ok = false;
                    }
                }
            }
            if let Some(shapes) = self.shapes.get_mut(name) {
                shapes.mask_readers_unrolled = ok;
            }
        }
        // Whether only masked recurrences read a masked layer's outputs
        // (the values at its masked steps then matter to no layer).
        let dialect = self.dialect;
        for l in layers {
            let Some(name) = tfjs_format::topology::layer_entry_name(l) else {
                continue;
            };
            let Some(id) = self.shapes.get(name).and_then(first_mask).map(|(id, _)| id) else {
                continue;
            };
            let mut todo = vec![name];
            let mut seen = std::collections::HashSet::new();
            let mut only_rnns = true;
            while let Some(n) = todo.pop() {
                for r in readers.get(n).into_iter().flatten() {
                    let Some(rn) = tfjs_format::topology::layer_entry_name(r) else {
                        only_rnns = false;
                        continue;
                    };
                    if !seen.insert(rn) {
                        continue;
                    }
                    let class = layer_entry_class(r);
                    if matches!(class, "Dropout" | "SpatialDropout1D") {
                        todo.push(rn);
                        continue;
                    }
                    let applies = super::rnn_mask_leak::READS_MASK.contains(&class)
                        && self.shapes.get(rn).is_some_and(|rs| {
                            !rs.masked_calls.is_empty()
                                && rs.masked_calls.iter().all(|c| {
                                    c.masks.first().copied().flatten().map(|m| m.0) == Some(id)
                                        && !(dialect.initial_state_drops_mask()
                                            && c.masks.len() > 1)
                                })
                        });
                    only_rnns &= applies;
                }
            }
            if let Some(shapes) = self.shapes.get_mut(name) {
                shapes.masked_steps_unread = only_rnns && !seen.is_empty();
            }
        }
        // Whether a later layer computes with the mask a masked layer's
        // output carries, whichever it is: the walk goes on through the
        // layers that pass masks on without computing with them and stops
        // at any other reader, which must not depend on the mask the target
        // hands it (for TF.js: rewritten from the ids, or a
        // `GlobalAveragePooling1D`, which TF.js 4.22 runs unmasked, that no
        // Keras mask reaches either; a Keras target keeps every other layer
        // as it is, so each computes with the mask it is given).
        let tfjs = self.target == Target::Tfjs;
        for l in layers {
            let Some(name) = tfjs_format::topology::layer_entry_name(l) else {
                continue;
            };
            if self
                .shapes
                .get(name)
                .is_none_or(|s| s.masked_calls.is_empty())
            {
                continue;
            }
            let mut seen = std::collections::HashSet::new();
            let mut todo = vec![name];
            let mut unread = true;
            while let Some(n) = todo.pop() {
                for r in readers.get(n).into_iter().flatten() {
                    let Some(rn) = tfjs_format::topology::layer_entry_name(r) else {
                        unread = false;
                        continue;
                    };
                    if !seen.insert(rn) {
                        continue;
                    }
                    let class = layer_entry_class(r);
                    if entry_mask_blind(r) {
                        todo.push(rn);
                        continue;
                    }
                    // A GRU the rewrite unrolls applies its mask from the
                    // Embedding's ids or the Masking's input (or is refused).
                    let unrolled = super::gru_unroll::unrollable(
                        class,
                        r.get("config").and_then(Value::as_object),
                    );
                    let blind = tfjs
                        && (unrolled
                            || self.shapes.get(rn).is_some_and(|rs| {
                                rewritten_from_ids(class, rs)
                                    || (class == "GlobalAveragePooling1D"
                                        && rs.masked_calls.is_empty())
                            }));
                    unread &= blind;
                }
            }
            if let Some(shapes) = self.shapes.get_mut(name) {
                shapes.output_mask_unread = unread;
            }
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
        let notes = RefCell::new(Vec::new());
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
            notes: &notes,
        };
        let rules = super::rules_for(self.target);
        let mut outcome = Outcome::Skip;
        let mut decided_by = rules.len();
        for (i, rule) in rules.iter().enumerate() {
            outcome = rule(&site);
            if !matches!(outcome, Outcome::Skip) {
                decided_by = i;
                break;
            }
        }
        // A rule that changed the layer in place (the same name and class:
        // folded weights, an adjusted config) leaves it to the rules after
        // it, which may still have to replace the class (a ConvLSTM1D whose
        // Keras 3 hard_sigmoid gates were folded is still a ConvLSTM1D).
        if let Some(next) = in_place(&outcome, &name, class_name).and_then(|(config, weights)| {
            let again = Site {
                config,
                weights: weights.iter().collect(),
                ..site
            };
            rules
                .get(decided_by + 1..)?
                .iter()
                .map(|rule| rule(&again))
                .find(|o| !matches!(o, Outcome::Skip))
        }) {
            outcome = next;
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
                let classes = classes_said(&replacement);
                let said = notes.take();
                let said = if said.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", said.join("; "))
                };
                self.notes.push(format!(
                    "{printable} ({class_name}) -> {}{said}",
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
                } else if self.dialect.is_keras()
                    && stacked_states_in_play(class_name, config, site.inbound_nodes)
                    && (sequential
                        || !super::rnn_stack_states::reorderable(
                            config,
                            site.inbound_nodes.unwrap_or_default(),
                        ))
                {
                    self.cannot.push(format!(
                        "`{printable}` (RNN): reads or returns the states of a cell stack, \
                         which TensorFlow.js 4.22 orders last cell first (Keras: first cell \
                         first), and the rebuild reorders them only for SimpleRNNCell, GRUCell \
                         and LSTMCell stacks in a functional model given one tensor per state"
                    ));
                }
                None
            }
        }
    }
}

/// Layers whose numbers never depend on a Keras mask reaching them (they
/// pass it on or drop it).
const MASK_BLIND: &[&str] = &[
    "Activation",
    // Merges pass masks on; where Keras 3 computes other numbers for
    // masked inputs, [`super::masked_calls`] refuses them.
    "Add",
    "Average",
    "BatchNormalization",
    "Concatenate",
    "Dense",
    "Dropout",
    "GaussianDropout",
    "GaussianNoise",
    // Neither Keras applies a mask in it (nor does TF.js).
    "GlobalMaxPooling1D",
    "LayerNormalization",
    // Passes the mask on (TF.js, Keras 3) or drops it (tf_keras: see
    // [`super::masked_calls`]); never computes with it.
    "Rescaling",
    "SpatialDropout1D",
    "Subtract",
    // tf_keras runs a TF function with no mask (`expects_mask_arg = False`).
    "TFOpLambda",
];

/// Whether a layer of `class` never computes with a Keras mask: one of
/// [`MASK_BLIND`], or a Keras 3 operation (`ops.*`: Keras 3 passes masks to
/// layers only).
fn mask_blind(class: &str) -> bool {
    MASK_BLIND.contains(&class) || class.starts_with(crate::topology::KERAS3_OPERATION_PREFIX)
}

/// [`mask_blind`] for a layer entry: also a `TimeDistributed` around a
/// mask-blind layer (Keras hands the wrapped layer the mask per step, and
/// it does not compute with it; the wrapper passes the mask on).
fn entry_mask_blind(entry: &Value) -> bool {
    let class = layer_entry_class(entry);
    mask_blind(class)
        || (class == "TimeDistributed"
            && entry
                .pointer("/config/layer/class_name")
                .and_then(Value::as_str)
                .is_some_and(|inner| MASK_BLIND.contains(&inner)))
}

/// Whether a layer of `class` whose numbers depend on the masks reaching
/// it is rewritten from the ids of the `Embedding(mask_zero)`s making them
/// (its `shapes`), not from masks TF.js carries: a masked
/// `GlobalAveragePooling1D` ([`super::masked_average`]) and attention
/// ([`super::multi_head_attention`], [`super::attention`]) whose every
/// masked input has such ids.
fn rewritten_from_ids(class: &str, shapes: &LayerShapes) -> bool {
    let all_ids = || {
        shapes.masked_calls.first().is_some_and(|call| {
            call.masks.iter().enumerate().all(|(i, m)| {
                m.is_none() || shapes.input_mask_ids.get(i).is_some_and(Option::is_some)
            })
        })
    };
    match class {
        "GlobalAveragePooling1D" => shapes.mask_ids.is_some(),
        "MultiHeadAttention" | "Attention" | "AdditiveAttention" => all_ids(),
        _ => false,
    }
}

/// The layer names of the tensor references `[layer, node, index, …]`
/// anywhere in `v` (a layer's inbound nodes, kwargs included).
fn tensor_refs<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::Array(a) => {
            if let [Value::String(layer), n, i, ..] = a.as_slice() {
                if n.is_u64() && i.is_u64() {
                    out.push(layer);
                    return;
                }
            }
            a.iter().for_each(|x| tensor_refs(x, out));
        }
        Value::Object(m) => m.values().for_each(|x| tensor_refs(x, out)),
        _ => {}
    }
}

/// The classes of a replacement as its note lists them: in order, or,
/// past sixty layers (an unrolled GRU), each class once with its count.
fn classes_said(replacement: &[Value]) -> Vec<String> {
    let classes: Vec<&str> = replacement
        .iter()
        .filter_map(|l| l.get("class_name").and_then(Value::as_str))
        .collect();
    if classes.len() <= 60 {
        return classes.into_iter().map(String::from).collect();
    }
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for c in classes {
        match counted.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counted.push((c, 1)),
        }
    }
    counted
        .into_iter()
        .map(|(c, n)| {
            if n == 1 {
                c.to_string()
            } else {
                format!("{n} {c}")
            }
        })
        .collect()
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
    for (name, call) in model.masked_calls() {
        shapes.entry(name).or_default().masked_calls.push(call);
    }
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

pub(super) use crate::topology::makes_masks;

/// The config and weights of `outcome` when it replaces layer `name` of
/// `class_name` by itself (one entry of the same name and class).
fn in_place<'o>(
    outcome: &'o Outcome,
    name: &str,
    class_name: &str,
) -> Option<(&'o Map<String, Value>, &'o [DecodedWeight])> {
    let Outcome::Replace { layers, weights } = outcome else {
        return None;
    };
    let [entry] = layers.as_slice() else {
        return None;
    };
    (tfjs_format::topology::layer_entry_name(entry) == Some(name)
        && layer_entry_class(entry) == class_name)
        .then_some(())?;
    Some((entry.get("config")?.as_object()?, weights.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::super::probes::keras2_call;
    use super::super::test_util::*;
    use super::*;

    #[test]
    fn unrewritable_layers_are_listed_in_one_error() {
        let gru = entry_on(
            "gru",
            "GRU",
            json!({"units": 3, "reset_after": true, "return_sequences": true,
                   "activation": "exponential"}),
            "x",
        );
        let exp = entry_on(
            "tf.math.exp",
            "TFOpLambda",
            json!({"function": "math.exp"}),
            "gru",
        );
        let up = entry(
            "up",
            "Discretization",
            json!({"bin_boundaries": [0.0, 1.0]}),
            vec![json!([["tf.math.exp", 0, 0, {}]])],
        );
        let model = functional(&[4, 2], vec![gru, exp, up], 1);
        assert_refused(
            &model,
            &[
                "3 layers without an exact equivalent",
                "`gru` (GRU): GRU with reset_after: true",
                "`tf.math.exp` (TFOpLambda)",
                "`up` (Discretization): TensorFlow.js 4.22 has no",
            ],
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
                vec![keras2_call("x", json!({"y": ["d_negated", 0, 0]}))],
            ),
        ];
        let model = functional(&[2], layers, 1);
        assert_refused(
            &model,
            &["`d_negated`: a layer of the rewrite takes this name"],
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
    fn a_nested_sequential_model_needing_several_layers_becomes_functional() {
        // The CycleGAN tutorial's pix2pix blocks: Sequential models (Conv2D
        // + GroupNormalization as instance norm) called in a functional
        // model; GroupNormalization's rewrite is a chain of five layers.
        let block = |name: &str, shape: Value, filters: usize| {
            json!({"class_name": "Sequential", "name": name, "config": {"name": name, "layers": [
                {"class_name": "InputLayer", "config": {"name": format!("{name}_in"),
                 "batch_input_shape": shape, "dtype": "float32"}},
                {"class_name": "Conv2D", "config": {"name": format!("{name}_conv"),
                 "filters": filters, "kernel_size": 3, "padding": "same"}},
                {"class_name": "GroupNormalization", "config": {"name": format!("{name}_gn"),
                 "groups": filters, "axis": -1, "epsilon": 1e-3}},
                {"class_name": "LeakyReLU", "config": {"name": format!("{name}_act"),
                 "alpha": 0.3}}
            ]}})
        };
        let mut a = block("down", json!([null, 6, 5, 2]), 4);
        a["inbound_nodes"] = json!([[["x", 0, 0, {}]]]);
        let mut b = block("down2", json!([null, 6, 5, 4]), 3);
        b["inbound_nodes"] = json!([[["down", 1, 0, {}]]]);
        let topology = json!({"class_name": "Functional", "config": {"name": "m", "layers": [
            {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
             "config": {"name": "x", "batch_input_shape": [null, 6, 5, 2], "dtype": "float32"}},
            a, b],
            "input_layers": [["x", 0, 0]], "output_layers": [["down2", 1, 0]]}});
        let model =
            Model::from_topology(&topology, &crate::LayerRegistry::with_builtins(), 5).unwrap();
        let out = assert_same(&model, &input(&[2, 6, 5, 2]), 1e-5);
        let t = out.artifacts.model_topology.as_ref().unwrap();
        for name in ["down", "down2"] {
            assert_eq!(layer_named(t, name)["class_name"], "Functional");
        }
        assert_note(
            &out,
            "down: the nested Sequential model is written as the equivalent",
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

    #[test]
    fn operations_only_a_mask_reads_are_dead() {
        // Keras 3's Embedding(mask_zero) mask: not_equal -> any, read only
        // through the `mask=` argument the engine drops; `scale` is read.
        let layers = vec![
            json!({"name": "tok", "class_name": "InputLayer", "inbound_nodes": []}),
            json!({"name": "emb", "class_name": "Embedding",
                   "inbound_nodes": [[["tok", 0, 0, {}]]]}),
            json!({"name": "not_equal", "class_name": "ops.NotEqual",
                   "inbound_nodes": [[["tok", 0, 0, {"_args": [["tok", 0, 0], 0]}]]]}),
            json!({"name": "any", "class_name": "ops.Any",
                   "inbound_nodes": [[["not_equal", 0, 0, {}]]]}),
            json!({"name": "scale", "class_name": "ops.Multiply",
                   "inbound_nodes": [[["emb", 0, 0, {"_args": [["emb", 0, 0], 2.0]}]]]}),
            json!({"name": "lstm", "class_name": "LSTM",
                   "inbound_nodes": [[["scale", 0, 0, {}]]]}),
        ];
        let dead =
            super::dead_operations(&layers, Some(&json!([["lstm", 0, 0]])), &Default::default());
        let mut dead: Vec<&str> = dead.iter().map(String::as_str).collect();
        dead.sort();
        assert_eq!(dead, ["any", "not_equal"]);
        // An operation that is a model output stays.
        let dead = super::dead_operations(
            &layers,
            Some(&json!([["lstm", 0, 0], ["any", 0, 0]])),
            &Default::default(),
        );
        assert!(dead.is_empty(), "{dead:?}");
    }
}

//! Weight enumeration, name matching (TensorFlow.js `Container.loadWeights`
//! rules plus Keras 3 paths) and initialization.
//!
//! Matching, for each provided weight in file order (digest 6.8.1):
//! 1. exact `originalName` (`<layer>/<weight>`), or in *index mode* (the first
//!    provided name ends in an integer segment) `<layer>/<index>`;
//! 2. the same name with its second-to-last segment dropped
//!    (`lstm/lstm_cell/kernel` → `lstm/kernel`, `d1/vars/0` → `d1/0`);
//! 3. Keras 3 `.keras` paths `layers/<class_snake>[_<n>]/vars/<i>` (the fix
//!    for TensorFlow.js's dead `parseWeights` code): the n-th layer of that
//!    class in the model, weight `i`;
//! 4. Keras 3 renames: `<layer>/kernel` → `<layer>/depthwise_kernel`
//!    (Keras 3 `DepthwiseConv2D`).
//!
//! Every missing, extra, mis-shaped or mis-typed weight is listed in one error.

use crate::initializers::{self, Initializer, Rng};
use crate::model::{Model, ModelLayer};
use crate::{Layer, LayersError, Result, Tensor, TensorData};
use serde_json::Value;
use std::collections::HashMap;
use tfjs_format::codec::{DecodedWeight, TensorValues};

/// One weight variable of a model (nested models flattened).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightSlot {
    /// Layer indices from the outer model through nested models.
    pub path: Vec<usize>,
    /// Index in the layer's [`Layer::weights`].
    pub index: usize,
    /// `originalName`: `<layer name>/<weight name>`.
    pub name: String,
    pub shape: Vec<usize>,
    pub trainable: bool,
    /// Keras 3 saving path of the layer (`layers/conv2d_1`).
    pub keras3_path: String,
    /// The weight's key under `keras3_path` when it is not its index
    /// ([`Layer::keras3_weight_keys`]).
    pub keras3_key: Option<String>,
    /// Whether the layer's config holds its value
    /// ([`Layer::weights_in_config`]): a file may leave it out.
    pub in_config: bool,
    /// `<layer>/<name>` Keras 2 gives the weight where it is not the
    /// slot's own ([`Layer::keras2_weight_names`]).
    pub keras2_name: Option<String>,
}

impl Model {
    /// Every weight in `model.layers` order (each layer's weights in order).
    pub fn weight_slots(&self) -> Vec<WeightSlot> {
        let mut out = Vec::new();
        self.collect_slots(&mut Vec::new(), "", true, &mut out);
        out
    }

    /// Weights in TensorFlow.js's save order: trainable then non-trainable (digest 6.7).
    pub fn weight_slots_save_order(&self) -> Vec<WeightSlot> {
        let all = self.weight_slots();
        let (mut t, n): (Vec<_>, Vec<_>) = all.into_iter().partition(|w| w.trainable);
        t.extend(n);
        t
    }

    fn collect_slots(
        &self,
        path: &mut Vec<usize>,
        k3_prefix: &str,
        trainable: bool,
        out: &mut Vec<WeightSlot>,
    ) {
        let trainable = trainable && self.trainable;
        let mut class_count: HashMap<String, usize> = HashMap::new();
        for (i, l) in self.layers.iter().enumerate() {
            let k3 = keras3_layer_path(&mut class_count, k3_prefix, l);
            path.push(i);
            match l {
                ModelLayer::Input(_) => {}
                ModelLayer::Model(m) => m.collect_slots(path, &format!("{k3}/"), trainable, out),
                ModelLayer::Layer(layer) => {
                    let ws = layer.weights();
                    let count = ws.len();
                    let k3_keys = layer.keras3_weight_keys();
                    let in_config = layer.weights_in_config();
                    let k2_names = layer.keras2_weight_names();
                    // `config()` builds the whole config map: only weighted
                    // layers need their `trainable` flag.
                    let lt = count > 0
                        && trainable
                        && layer
                            .config()
                            .get("trainable")
                            .and_then(Value::as_bool)
                            .unwrap_or(true);
                    for (wi, w) in ws.into_iter().enumerate() {
                        out.push(WeightSlot {
                            path: path.clone(),
                            index: wi,
                            name: format!("{}/{}", layer.name(), w.name),
                            shape: w.shape,
                            trainable: lt && w.trainable,
                            keras3_path: k3.clone(),
                            keras3_key: k3_keys.as_ref().and_then(|k| k.get(wi).cloned()),
                            in_config: in_config.contains(&wi),
                            keras2_name: k2_names
                                .as_ref()
                                .and_then(|k| k.get(wi))
                                .map(|n| format!("{}/{n}", layer.name())),
                        });
                    }
                }
            }
            path.pop();
        }
    }

    /// The `.keras` variables (`<layer path>/<key>`, as [`keras3_key`]
    /// spells them) that layers say hold nothing of their own
    /// ([`Layer::keras3_ignored_keys`]), weightless layers included.
    fn keras3_ignored(&self, k3_prefix: &str, out: &mut std::collections::HashSet<String>) {
        let mut class_count: HashMap<String, usize> = HashMap::new();
        for l in &self.layers {
            let k3 = keras3_layer_path(&mut class_count, k3_prefix, l);
            match l {
                ModelLayer::Input(_) => {}
                ModelLayer::Model(m) => m.keras3_ignored(&format!("{k3}/"), out),
                ModelLayer::Layer(layer) => {
                    out.extend(
                        layer
                            .keras3_ignored_keys()
                            .into_iter()
                            .map(|k| format!("{k3}/{k}")),
                    );
                }
            }
        }
    }

    /// The leaf layer at `path`.
    pub(crate) fn layer_at(&self, path: &[usize]) -> Option<&dyn Layer> {
        let (&first, rest) = path.split_first()?;
        match self.layers.get(first)? {
            ModelLayer::Layer(l) if rest.is_empty() => Some(l.as_ref()),
            ModelLayer::Model(m) => m.layer_at(rest),
            _ => None,
        }
    }

    pub(crate) fn layer_at_mut(&mut self, path: &[usize]) -> Option<&mut Box<dyn Layer>> {
        self.invalidate_plan();
        let (&first, rest) = path.split_first()?;
        match self.layers.get_mut(first)? {
            ModelLayer::Layer(l) if rest.is_empty() => Some(l),
            ModelLayer::Model(m) => m.layer_at_mut(rest),
            _ => None,
        }
    }

    /// The current value of the weight named `name` (`dense/kernel`).
    pub fn weight(&self, name: &str) -> Option<&Tensor> {
        let slot = self.weight_slots().into_iter().find(|w| w.name == name)?;
        let layer = self.layer_at(&slot.path)?;
        layer.weight_values().get(slot.index).copied()
    }

    /// Every weight value, in save order (trainable first), with its name.
    pub fn named_weights(&self) -> Vec<(WeightSlot, Tensor)> {
        let mut out = Vec::new();
        for slot in self.weight_slots_save_order() {
            let v = self
                .layer_at(&slot.path)
                .and_then(|l| l.weight_values().get(slot.index).map(|t| (*t).clone()))
                .unwrap_or_else(|| Tensor::zeros(slot.shape.clone()));
            out.push((slot, v));
        }
        out
    }

    fn set_slot(&mut self, slot: &WeightSlot, value: Tensor) -> Result<()> {
        let layer = self
            .layer_at_mut(&slot.path)
            .ok_or_else(|| LayersError::Weights {
                message: format!("internal: no layer for weight {}", slot.name),
            })?;
        let lname = layer.name().to_string();
        layer
            .set_weight(slot.index, value)
            .map_err(|e| crate::model::in_layer(&lname, e))
    }

    /// Fill every weight from its layer's initializer config
    /// (`kernel_initializer`, …), seeding unseeded initializers from `seed`.
    pub fn initialize_weights(&mut self, seed: u64) -> Result<()> {
        let mut rng = Rng::new(seed);
        for slot in self.weight_slots().into_iter().filter(|s| !s.in_config) {
            let layer = self
                .layer_at(&slot.path)
                .ok_or_else(|| LayersError::Weights {
                    message: format!("internal: no layer for weight {}", slot.name),
                })?;
            let config = layer.config();
            let wname = slot.name.rsplit('/').next().unwrap_or(&slot.name);
            let init = match config.get(&initializers::config_key_for_weight(wname)) {
                Some(v) if !v.is_null() => Initializer::parse(v, layer.name())?,
                _ => initializers::default_for_weight(wname),
            };
            let values = init.generate(&slot.shape, &mut rng);
            let dtype_int = matches!(
                layer.weight_values().get(slot.index).map(|t| t.data()),
                Some(TensorData::I32(_))
            );
            let t = if dtype_int {
                Tensor::from_i32(
                    slot.shape.clone(),
                    values.iter().map(|&x| x as i32).collect(),
                )?
            } else {
                Tensor::from_f32(slot.shape.clone(), values)?
            };
            self.set_slot(&slot, t)?;
        }
        Ok(())
    }

    /// Assign decoded model weights by name (optimizer weights must be
    /// filtered out by the caller). `strict`: every provided weight must
    /// have a target and every target a value; otherwise unmatched names are
    /// skipped and untouched variables keep their values, with a warning.
    /// Shape and dtype mismatches are errors in both modes.
    pub fn load_weights(&mut self, weights: &[DecodedWeight], strict: bool) -> Result<()> {
        self.load_weights_owned(weights.to_vec(), strict)
    }

    /// [`Model::load_weights`] taking the decoded weights by value: their
    /// values move into the layers instead of being copied.
    pub fn load_weights_owned(
        &mut self,
        mut weights: Vec<DecodedWeight>,
        strict: bool,
    ) -> Result<()> {
        // Adapters `merge_lora_adapters` did not merge (no topology to
        // read their scale from).
        let adapters: Vec<&str> = (weights.iter())
            .map(|w| w.name.as_str())
            .filter(|n| is_lora_adapter(n))
            .collect();
        if !adapters.is_empty() {
            return Err(LayersError::Weights {
                message: format!(
                    "LoRA adapters stored apart from their kernels need the model's topology \
                     (lora_rank, lora_alpha) to be merged: {}",
                    adapters.join(", ")
                ),
            });
        }
        let slots = self.weight_slots();
        let index_mode = weights
            .first()
            .map(|w| {
                w.name
                    .rsplit('/')
                    .next()
                    .map(|s| s.starts_with(|c: char| c.is_ascii_digit()))
                    .unwrap_or(false)
            })
            .unwrap_or(false);
        let mut by_key: HashMap<String, usize> = HashMap::new();
        let mut by_k3: HashMap<String, usize> = HashMap::new();
        let mut by_keras2: HashMap<String, usize> = HashMap::new();
        let mut shared_keys = std::collections::HashSet::new();
        for (i, s) in slots.iter().enumerate() {
            let key = if index_mode {
                let dir = s.name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                format!("{dir}/{}", s.index)
            } else {
                s.name.clone()
            };
            // Layers of two nested models may share a name (Keras 3 allows
            // it; its `.keras` paths tell their weights apart): such a name
            // matches nothing, and only a file that uses it is an error.
            if by_key.insert(key.clone(), i).is_some() {
                shared_keys.insert(key);
            }
            match &s.keras3_key {
                Some(key) => by_k3.insert(format!("{}/{key}", s.keras3_path), i),
                None => by_k3.insert(format!("{}/{}", s.keras3_path, s.index), i),
            };
            if let Some(k2) = &s.keras2_name {
                by_keras2.insert(k2.clone(), i);
            }
            // `<layer>/key/kernel` ↔ Keras 3 `layers/<x>/key_dense/vars/0`.
            if let Some(dense) = einsum_sublayer_key(&s.name) {
                by_k3.insert(format!("{}/{dense}", s.keras3_path), i);
            }
        }
        by_key.retain(|k, _| !shared_keys.contains(k));
        // A model wrapped by TimeDistributed: its weights are slots
        // `<wrapper>/<inner layer>/<weight>`, which tf_keras writes as
        // `<inner layer>/<weight>` (and Keras 3's HDF5 writer as
        // `<model>/<inner layer>/<weight>`): the slot name without its first
        // segment, where that is unambiguous and not a slot name itself.
        let mut by_inner: HashMap<String, Option<usize>> = HashMap::new();
        for (i, s) in slots.iter().enumerate() {
            if let Some((_, rest)) = s.name.split_once('/').filter(|(_, r)| r.contains('/')) {
                by_inner
                    .entry(rest.to_string())
                    .and_modify(|e| *e = None)
                    .or_insert(Some(i));
            }
        }
        by_inner.retain(|k, v| v.is_some() && !by_key.contains_key(k));
        // `.keras` variables a layer says hold nothing of its own.
        let mut ignored_k3 = std::collections::HashSet::new();
        self.keras3_ignored("", &mut ignored_k3);
        let mut assigned: Vec<Option<usize>> = vec![None; slots.len()];
        let mut extra = Vec::new();
        let mut bad = Vec::new();
        let mut plan: Vec<(usize, usize)> = Vec::new();
        let mut bare: Vec<usize> = Vec::new();
        for (wi, w) in weights.iter().enumerate() {
            let target = by_key
                .get(&w.name)
                .or_else(|| drop_second_to_last(&w.name).and_then(|n| by_key.get(&n)))
                .or_else(|| keras3_key(&w.name).and_then(|k| by_k3.get(&k)))
                .or_else(|| keras3_alias(&w.name).and_then(|n| by_key.get(&n)))
                .or_else(|| drop_second(&w.name).and_then(|n| by_keras2.get(&n)))
                .or_else(|| drop_stacked_cells(&w.name).and_then(|n| by_keras2.get(&n)))
                // Keras 3's legacy HDF5 writer names a variable by its
                // path: prefixed with a nested Sequential's name, or with
                // the name scopes it was created under (NASNet's
                // `normal_A_block_0/adjust_block/…/adjust_bn_0/gamma`).
                .or_else(|| {
                    scope_suffixes(&w.name).find_map(|rest| {
                        by_key.get(rest).or_else(|| {
                            // ... also for a cell or wrapped layer under it
                            // (`seq/lstm/lstm_cell/kernel` → `lstm/kernel`).
                            drop_second_to_last(rest).and_then(|n| by_key.get(&n))
                        })
                    })
                })
                .or_else(|| keras3_h5_bidirectional(&w.name).and_then(|n| by_key.get(&n)))
                .or_else(|| keras3_h5_wrapped_cell(&w.name).and_then(|n| by_key.get(&n)))
                .copied()
                .or_else(|| {
                    by_inner.get(&w.name).copied().flatten().or_else(|| {
                        w.name
                            .split_once('/')
                            .map(|(_, rest)| rest.to_string())
                            .into_iter()
                            // An RNN's cell in the wrapped model (tf_keras's
                            // `bi/forward_gru/gru_cell/kernel`, Keras 3's
                            // HDF5 Bidirectional).
                            .chain(drop_second_to_last(&w.name))
                            .chain(keras3_h5_bidirectional(&w.name))
                            .find_map(|n| by_inner.get(&n).copied().flatten())
                    })
                });
            let Some(t) = target else {
                if keras3_key(&w.name).is_some_and(|k| ignored_k3.contains(&k)) {
                    continue;
                }
                if let Some(key) = std::iter::once(w.name.clone())
                    .chain(drop_second_to_last(&w.name))
                    .find(|k| shared_keys.contains(k))
                {
                    return Err(LayersError::Weights {
                        message: format!(
                            "Duplicate weight name: {key} (layers of nested models share the \
                             name `{}`; weight `{}` could be either's)",
                            key.rsplit_once('/').map_or(key.as_str(), |(d, _)| d),
                            w.name
                        ),
                    });
                }
                let unnamed = w
                    .name
                    .rsplit_once('/')
                    .is_some_and(|(_, leaf)| strip_uniquifier(leaf) == "variable");
                if w.name.contains('/') && !unnamed {
                    extra.push(w.name.clone());
                } else {
                    bare.push(wi);
                }
                continue;
            };
            if let Some(prev) = assigned[t] {
                extra.push(format!(
                    "{} (its target `{}` was already set from `{}`)",
                    w.name, slots[t].name, weights[prev].name
                ));
                continue;
            }
            assigned[t] = Some(wi);
            if w.shape != slots[t].shape {
                bad.push(format!(
                    "{} → {}: Shape mismatch: {:?} vs. {:?}",
                    w.name, slots[t].name, slots[t].shape, w.shape
                ));
                continue;
            }
            plan.push((wi, t));
        }
        // Bare variable names (`mean`, `variance`, `count`, `mean_1`): tf_keras
        // creates some layers' variables (adapted preprocessing state)
        // outside the layer's name scope, and the converter writes them as
        // such. Each goes, in manifest (= layer) order, to the first unset
        // weight with that leaf name (or the leaf of its Keras 2 name,
        // [`Layer::keras2_weight_names`]: a lookup's unnamed `Variable`)
        // and shape. Keras 3's legacy HDF5 writer names a variable created
        // without a name `<layer>/variable`: it goes to that layer's first
        // unset weight of its shape.
        let leaf_of = |n: &str| n.rsplit('/').next().map(str::to_string);
        for wi in bare {
            let w = &weights[wi];
            let leaf = Some(strip_uniquifier(&w.name).to_string());
            let fits = |t: usize| match w.name.rsplit_once('/') {
                None => {
                    leaf_of(&slots[t].name) == leaf
                        || slots[t].keras2_name.as_deref().and_then(leaf_of) == leaf
                }
                Some((dir, _)) => slots[t].name.rsplit_once('/').map(|(d, _)| d) == Some(dir),
            };
            let t = (0..slots.len())
                .find(|&t| assigned[t].is_none() && slots[t].shape == w.shape && fits(t));
            match t {
                Some(t) => {
                    assigned[t] = Some(wi);
                    plan.push((wi, t));
                }
                None => extra.push(w.name.clone()),
            }
        }
        let copies = self.shared_layer_copies(&slots, &mut assigned);
        let missing: Vec<&str> = slots
            .iter()
            .zip(&assigned)
            .filter(|(s, a)| a.is_none() && !s.in_config)
            .map(|(s, _)| s.name.as_str())
            .collect();
        // Convert values (dtype checks) before touching the model.
        let mut values = Vec::with_capacity(plan.len());
        for &(wi, t) in &plan {
            let w = &mut weights[wi];
            let current_int = self
                .layer_at(&slots[t].path)
                .and_then(|l| {
                    l.weight_values()
                        .get(slots[t].index)
                        .map(|v| matches!(v.data(), TensorData::I32(_)))
                })
                .unwrap_or(false);
            let tensor = match (&mut w.values, current_int) {
                (TensorValues::Float32(v), false) => {
                    Tensor::from_f32(w.shape.clone(), std::mem::take(v))
                }
                (TensorValues::Int32(v), true) => {
                    Tensor::from_i32(w.shape.clone(), std::mem::take(v))
                }
                (vals, cur) => {
                    bad.push(format!(
                        "{}: dtype of the new value ({}) and previous value ({}) must match",
                        w.name,
                        values_dtype(vals),
                        if cur { "int32" } else { "float32" }
                    ));
                    continue;
                }
            };
            values.push((t, tensor?));
        }
        let strict_problems = strict && (!extra.is_empty() || !missing.is_empty());
        if strict_problems || !bad.is_empty() {
            let mut parts = Vec::new();
            if strict && !missing.is_empty() {
                parts.push(format!(
                    "{} of {} weights are not set: {}",
                    missing.len(),
                    slots.len(),
                    missing.join(",")
                ));
            }
            if strict && !extra.is_empty() {
                parts.push(format!(
                    "Provided weight data has no target variable: {}",
                    extra.join(", ")
                ));
            }
            if !bad.is_empty() {
                parts.push(format!(
                    "{} weight(s) do not fit their variable: {}",
                    bad.len(),
                    bad.join("; ")
                ));
            }
            return Err(LayersError::Weights {
                message: format!("model `{}`: {}", self.name, parts.join("\n")),
            });
        }
        if !extra.is_empty() {
            tracing::warn!(
                "model `{}`: non-strict load: ignoring weights with no target variable: {}",
                self.name,
                extra.join(", ")
            );
        }
        if !missing.is_empty() {
            tracing::warn!("model `{}`: non-strict load: {} of {} weights were not in the file and keep their random initial values: {}", self.name, missing.len(), slots.len(), missing.join(","));
        }
        for (t, tensor) in values {
            self.set_slot(&slots[t], tensor)?;
        }
        for (t, from) in copies {
            let value = self.layer_at(&slots[from].path).and_then(|l| {
                l.weight_values()
                    .get(slots[from].index)
                    .map(|v| (*v).clone())
            });
            if let Some(value) = value {
                self.set_slot(&slots[t], value)?;
            }
        }
        Ok(())
    }

    /// One layer object in two nested models (`Dense` called inside two
    /// sub-models): Keras 3 saves its weights once, under its first path,
    /// and the engine holds a copy of the layer in each model. Each weight
    /// of a later copy that the file left unset (same name, index, shape
    /// and layer config as a set one in another model) takes that value:
    /// `(slot, slot it copies)`, marked assigned.
    fn shared_layer_copies(
        &self,
        slots: &[WeightSlot],
        assigned: &mut [Option<usize>],
    ) -> Vec<(usize, usize)> {
        let mut copies = Vec::new();
        for t in 0..slots.len() {
            if assigned[t].is_some() || slots[t].in_config {
                continue;
            }
            let config = |i: usize| self.layer_at(&slots[i].path).map(|l| l.config());
            let from = (0..slots.len()).find(|&f| {
                assigned[f].is_some()
                    && slots[f].path != slots[t].path
                    && slots[f].name == slots[t].name
                    && slots[f].index == slots[t].index
                    && slots[f].shape == slots[t].shape
                    && config(f) == config(t)
            });
            if let Some(f) = from {
                assigned[t] = assigned[f];
                copies.push((t, f));
            }
        }
        copies
    }
}

fn values_dtype(v: &TensorValues) -> &'static str {
    match v {
        TensorValues::Float32(_) => "float32",
        TensorValues::Int32(_) => "int32",
        TensorValues::Bool(_) => "bool",
        TensorValues::String(_) => "string",
        TensorValues::Complex64(_) => "complex64",
    }
}

/// The Keras 3 saving path of `l` (`layers/conv2d_1`) under `k3_prefix`:
/// its class in snake case, numbered among the layers of that class before
/// it (`class_count`).
fn keras3_layer_path(
    class_count: &mut HashMap<String, usize>,
    k3_prefix: &str,
    l: &ModelLayer,
) -> String {
    let snake = tfjs_format::topology::keras3_path_name(match l {
        ModelLayer::Model(m) if m.subclass.is_some() => m.subclass.as_deref().unwrap_or_default(),
        ModelLayer::Model(m) if m.class_name == "Model" => "Functional",
        other => other.class_name(),
    });
    let n = class_count.entry(snake.clone()).or_insert(0);
    let k3 = if *n == 0 {
        format!("{k3_prefix}layers/{snake}")
    } else {
        format!("{k3_prefix}layers/{snake}_{n}")
    };
    *n += 1;
    k3
}

/// `a/b/c` → `a/c` (TensorFlow.js's cell-name fallback).
fn drop_second_to_last(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() < 3 {
        // `d1/vars/0`-style names need 3 segments; `a/b` has nothing to drop.
        return None;
    }
    let mut p = parts.clone();
    p.remove(parts.len() - 2);
    Some(p.join("/"))
}

/// `a/b/c/d` → `b/c/d`, `c/d`: the name without one, two, … of its
/// leading (scope) segments, down to `<layer>/<weight>`.
fn scope_suffixes(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices('/')
        .map(move |(i, _)| &name[i + 1..])
        .filter(|rest| rest.contains('/'))
}

/// `a/b/c/d` → `a/c/d` (a `StackedRNNCells` weight without its
/// per-process `stacked_rnn_cells_<n>` segment).
fn drop_second(name: &str) -> Option<String> {
    let (layer, rest) = name.split_once('/')?;
    let (_, inner) = rest.split_once('/')?;
    inner.contains('/').then(|| format!("{layer}/{inner}"))
}

/// `bi/forward_rnn/stacked_rnn_cells/lstm_cell/kernel` →
/// `bi/forward_rnn/lstm_cell/kernel`: a `StackedRNNCells` weight deeper
/// than [`drop_second`] reaches (in a `Bidirectional`), without its
/// per-process `stacked_rnn_cells[_n]` segment.
fn drop_stacked_cells(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('/').collect();
    let at = parts
        .iter()
        .position(|p| p.starts_with("stacked_rnn_cells"))
        .filter(|&i| i >= 2 && i + 2 < parts.len())?;
    let mut kept = parts.clone();
    kept.remove(at);
    Some(kept.join("/"))
}

/// Keras 3 renamed some weights: `DepthwiseConv2D`'s `depthwise_kernel`
/// is saved as `kernel` (`dw/kernel` → `dw/depthwise_kernel`).
fn keras3_alias(name: &str) -> Option<String> {
    let (dir, last) = name.rsplit_once('/')?;
    match last {
        "kernel" => Some(format!("{dir}/depthwise_kernel")),
        _ => None,
    }
}

/// `layers/conv2d_1/vars/1` → `layers/conv2d_1/1`;
/// `layers/bidirectional/forward_layer/cell/vars/0` → `layers/bidirectional/forward_layer/0`;
/// a variable a layer saves by name (a lookup's `vars/idf_weights`) keeps
/// it: `layers/string_lookup/idf_weights`.
fn keras3_key(name: &str) -> Option<String> {
    let name = name
        .strip_prefix("_layer_checkpoint_dependencies/")
        .unwrap_or(name);
    if !name.starts_with("layers/") {
        return None;
    }
    let (head, idx) = name.rsplit_once("/vars/")?;
    let named = !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if idx.parse::<usize>().is_err() && !named {
        return None;
    }
    // The layer path is `layers/<x>(/layers/<y>)*`; what follows is a sub-object.
    let segs: Vec<&str> = head.split('/').collect();
    let mut path = Vec::new();
    let mut i = 0;
    while i + 1 < segs.len() && segs[i] == "layers" {
        path.push(segs[i]);
        path.push(segs[i + 1]);
        i += 2;
    }
    let rest = &segs[i..];
    let sub = if rest.len() >= 3 && rest[0] == "layer" && rest[1] == "layers" {
        // A model wrapped by TimeDistributed: `layer/layers/<x>(/layers/<y>)*`,
        // an RNN there without its `cell` (`layer/layers/gru/cell`,
        // `layer/layers/bidirectional/forward_layer/cell`).
        let kept: Vec<&str> = rest
            .iter()
            .enumerate()
            .filter(|&(i, p)| *p != "cell" || rest[i - 1] == "layers")
            .map(|(_, p)| *p)
            .collect();
        format!("{}/", kept.join("/"))
    } else if rest == ["layer"] || rest == ["layer", "cell"] {
        // A wrapped layer (`TimeDistributed`, `SpectralNormalization`): its
        // variables are apart from the wrapper's own; a wrapped RNN's are
        // its cell's (`layer/cell`).
        "layer/".to_string()
    } else if let ["cell", "cells", cell] = rest {
        // A cell of an RNN's `StackedRNNCells`: `cells/<cell class>[_n]`.
        format!("cells/{cell}/")
    } else if let Some(at) = rest
        .iter()
        .position(|p| matches!(*p, "forward_layer" | "backward_layer"))
    {
        // A Bidirectional's direction (`forward_layer/cell` → `forward_layer/`),
        // under `layer/` when a wrapper (`TimeDistributed`) holds it; a cell
        // stack in one direction keeps its cells
        // (`forward_layer/cell/cells/<cell>` → `forward_layer/cells/<cell>/`).
        let wrapped = if rest.first() == Some(&"layer") {
            "layer/"
        } else {
            ""
        };
        let dir = rest[at];
        match rest[at + 1..] {
            ["cell", "cells", cell] => format!("{wrapped}{dir}/cells/{cell}/"),
            _ => format!("{wrapped}{dir}/"),
        }
    } else if let [dense] = rest {
        // MultiHeadAttention's EinsumDense sub-layers (`key_dense`;
        // GroupQueryAttention's `_key_dense`): the variable index counts
        // within the sub-layer.
        if dense.ends_with("_dense") {
            format!("{}/", dense.trim_start_matches('_'))
        } else if *dense == "_lookup_layer" {
            // TextVectorization's inner StringLookup, whose variables the
            // layer saves as its own too.
            "_lookup_layer/".to_string()
        } else {
            String::new()
        }
    } else {
        String::new()
    };
    Some(format!("{}/{sub}{idx}", path.join("/")))
}

/// Turn decoded weights into model weights and optimizer weights: those of
/// `group: "optimizer"`, and, in a manifest of Keras 3 names
/// (`layers/…/vars/…`), the names that are not the model's
/// ([`tfjs_format::codec::is_keras3_model_weight`]), which are marked `group: "optimizer"` so
/// that a saved copy keeps them apart too (TensorFlow.js sets them aside).
pub fn split_optimizer_weights(
    weights: Vec<DecodedWeight>,
) -> (Vec<DecodedWeight>, Vec<DecodedWeight>) {
    let keras3 = weights.iter().any(|w| w.name.starts_with("layers/"));
    let (model, mut optimizer): (Vec<_>, Vec<_>) = weights.into_iter().partition(|w| {
        w.group.as_deref() != Some("optimizer")
            && (!keras3 || tfjs_format::codec::is_keras3_model_weight(&w.name))
    });
    for w in &mut optimizer {
        w.group = Some("optimizer".into());
    }
    (model, optimizer)
}

/// A decoded weight as a tensor (float32/int32 only).
pub fn decoded_to_tensor(w: &DecodedWeight) -> Result<Tensor> {
    match &w.values {
        TensorValues::Float32(v) => Tensor::from_f32(w.shape.clone(), v.clone()),
        TensorValues::Int32(v) => Tensor::from_i32(w.shape.clone(), v.clone()),
        other => Err(LayersError::Weights {
            message: format!(
                "weight `{}` has dtype {}, which a layer weight cannot hold",
                w.name,
                values_dtype(other)
            ),
        }),
    }
}

/// MultiHeadAttention's weight `…/key/kernel` as its Keras 3 sub-layer
/// variable: `key_dense/0` (`bias` is 1; `attention_output` is saved as
/// `output_dense`).
fn einsum_sublayer_key(slot_name: &str) -> Option<String> {
    let mut parts = slot_name.rsplitn(3, '/');
    let var = parts.next()?;
    let sub = parts.next()?;
    parts.next()?;
    let dense = match sub {
        "query" | "key" | "value" | "gate" => format!("{sub}_dense"),
        "attention_output" => "output_dense".to_string(),
        _ => return None,
    };
    let idx = match var {
        "kernel" => 0,
        "bias" => 1,
        _ => return None,
    };
    Some(format!("{dense}/{idx}"))
}

/// Keras 3's legacy HDF5 names for `Bidirectional`'s wrapped RNNs:
/// `bigru/backward_gru/gru_cell/kernel` (the wrapped layers are named
/// `forward_gru` / `backward_gru`, their weights live in the cell) →
/// TensorFlow.js's `bigru/backward_forward_gru/kernel` (both directions
/// are named after the forward layer); a `backward_layer` of its own,
/// `bigru/gru_back/gru_cell/kernel`, → `bigru/backward_gru_back/kernel`.
fn keras3_h5_bidirectional(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('/').collect();
    // Under a wrapper the Bidirectional's own name follows the wrapper's
    // (`td/bidirectional/forward_lstm/lstm_cell/kernel`): the engine names
    // the weights after the wrapper only.
    let ([layer, inner, cell, var] | [layer, _, inner, cell, var]) = parts.as_slice() else {
        return None;
    };
    if !cell.ends_with("_cell") {
        return None;
    }
    match ["forward_", "backward_"]
        .into_iter()
        .find_map(|d| inner.strip_prefix(d).map(|r| (d, r)))
    {
        Some((direction, rest)) => Some(format!("{layer}/{direction}forward_{rest}/{var}")),
        // A `backward_layer` of its own keeps its name in Keras 3; the
        // engine prefixes it as tf_keras does.
        None => Some(format!("{layer}/backward_{inner}/{var}")),
    }
}

/// `td/lstm/lstm_cell/kernel` → `td/kernel`: an RNN wrapped by
/// `TimeDistributed` in Keras 3's legacy HDF5 writer, which names its
/// variables by the wrapper, the RNN and its cell (the engine names them
/// after the wrapper only, as tf_keras's `td/lstm/kernel` is read).
fn keras3_h5_wrapped_cell(name: &str) -> Option<String> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        [wrapper, _, cell, var] if cell.ends_with("_cell") => Some(format!("{wrapper}/{var}")),
        _ => None,
    }
}

/// `mean_1` → `mean`: the suffix Python adds to make a variable name unique.
fn strip_uniquifier(name: &str) -> &str {
    match name.rsplit_once('_') {
        Some((stem, n))
            if !stem.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            stem
        }
        _ => name,
    }
}

/// Keras 3's legacy HDF5 writer stores a LoRA layer's adapters beside
/// its kernel (`lora_kernel_a` / `lora_kernel_b`; `lora_embeddings_*`
/// for `Embedding`), where `.keras` files hold the merged kernel: merge
/// them as Keras computes the kernel it uses, `kernel + (lora_alpha /
/// lora_rank) · a·b` (float32, the scale a Python float), and drop them.
pub(crate) fn merge_lora_adapters(
    weights: &mut Vec<DecodedWeight>,
    topology: &Value,
) -> Result<()> {
    let err = |message: String| LayersError::Weights { message };
    let find = |weights: &[DecodedWeight], name: &str| weights.iter().position(|w| w.name == name);
    let f32s = |w: &DecodedWeight| match &w.values {
        TensorValues::Float32(v) => Ok(v.clone()),
        _ => Err(err(format!("LoRA weight {} is not float32", w.name))),
    };
    let firsts: Vec<(String, &str)> = weights
        .iter()
        .filter_map(|w| {
            let (prefix, var) = w.name.rsplit_once('/')?;
            let kind = match var {
                "lora_kernel_a" => "kernel",
                "lora_embeddings_a" => "embeddings",
                _ => return None,
            };
            Some((prefix.to_string(), kind))
        })
        .collect();
    for (prefix, kind) in firsts {
        let base_name = format!("{prefix}/{kind}");
        let (Some(ia), Some(ib), Some(ik)) = (
            find(weights, &format!("{prefix}/lora_{kind}_a")),
            find(weights, &format!("{prefix}/lora_{kind}_b")),
            find(weights, &base_name),
        ) else {
            return Err(err(format!(
                "LoRA adapters of {prefix}: expected {base_name}, {prefix}/lora_{kind}_a and {prefix}/lora_{kind}_b"
            )));
        };
        // Keras's own default: `lora_alpha` is the rank when unset.
        let layer = prefix.rsplit('/').next().unwrap_or(&prefix);
        let config = layer_config(topology, layer).ok_or_else(|| {
            err(format!(
                "LoRA adapters of {prefix}: the topology has no layer `{layer}`"
            ))
        })?;
        let rank = config
            .get("lora_rank")
            .and_then(Value::as_u64)
            .filter(|&r| r >= 1)
            .ok_or_else(|| {
                err(format!(
                    "LoRA adapters of {prefix}: layer `{layer}` has no lora_rank (a positive integer)"
                ))
            })?;
        let alpha = match config.get("lora_alpha") {
            None | Some(Value::Null) => rank as f64,
            Some(v) => v.as_f64().ok_or_else(|| {
                err(format!(
                    "LoRA adapters of {prefix}: lora_alpha must be a number, got {v}"
                ))
            })?,
        };
        let (a, b, mut k) = (
            f32s(&weights[ia])?,
            f32s(&weights[ib])?,
            f32s(&weights[ik])?,
        );
        let r = rank as usize;
        let (m, n) = (a.len() / r, b.len() / r);
        if a.len() != m * r || b.len() != r * n || k.len() != m * n {
            return Err(err(format!(
                "LoRA adapters of {prefix}: shapes {:?} and {:?} (rank {rank}) do not make {base_name}'s {:?}",
                weights[ia].shape, weights[ib].shape, weights[ik].shape
            )));
        }
        let scale = (alpha / rank as f64) as f32;
        for i in 0..m {
            let row = &mut k[i * n..(i + 1) * n];
            for (j, out) in row.iter_mut().enumerate() {
                let ab: f32 = (0..r).map(|t| a[i * r + t] * b[t * n + j]).sum();
                *out += scale * ab;
            }
        }
        weights[ik].values = TensorValues::Float32(k);
        let (hi, lo) = (ia.max(ib), ia.min(ib));
        weights.remove(hi);
        weights.remove(lo);
    }
    Ok(())
}

/// Whether `name` is a LoRA adapter (`…/lora_kernel_a`, `…/lora_embeddings_b`).
fn is_lora_adapter(name: &str) -> bool {
    let var = name.rsplit('/').next().unwrap_or("");
    var.starts_with("lora_kernel_") || var.starts_with("lora_embeddings_")
}

/// The config of the layer named `name`, at any depth of `topology`.
fn layer_config<'a>(topology: &'a Value, name: &str) -> Option<&'a serde_json::Map<String, Value>> {
    match topology {
        Value::Object(o) => {
            let config = o.get("config").and_then(Value::as_object);
            if o.contains_key("class_name")
                && config.and_then(|c| c.get("name")).and_then(Value::as_str) == Some(name)
            {
                return config;
            }
            o.values().find_map(|v| layer_config(v, name))
        }
        Value::Array(a) => a.iter().find_map(|v| layer_config(v, name)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32_weight(name: &str, shape: Vec<usize>, v: Vec<f32>) -> DecodedWeight {
        DecodedWeight {
            name: name.into(),
            shape,
            values: TensorValues::Float32(v),
            group: None,
        }
    }

    /// The converter writes a compiled `.keras` model's optimizer variables
    /// into the manifest beside the layers' (names as in
    /// `fixtures/corpus/keras/keras3zip_compiled_trained`), without a group.
    #[test]
    fn keras3_optimizer_variables_are_set_aside_and_marked() {
        let names = [
            "layers/dense/vars/0",
            "optimizer/vars/0",
            "vars/0",
            "optimizer/vars/12",
        ];
        let ws = names
            .iter()
            .map(|n| f32_weight(n, vec![1], vec![0.0]))
            .collect();
        let (model, opt) = split_optimizer_weights(ws);
        let model: Vec<_> = model.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(model, ["layers/dense/vars/0", "vars/0"]);
        assert!(opt.iter().all(|w| w.group.as_deref() == Some("optimizer")));
        assert_eq!(opt.len(), 2);
        // Outside a Keras 3 manifest, a layer may be called `optimizer`.
        let (model, opt) =
            split_optimizer_weights(vec![f32_weight("optimizer/kernel", vec![1], vec![0.0])]);
        assert_eq!((model.len(), opt.len()), (1, 0));
    }

    #[test]
    fn lora_adapters_merge_into_their_kernel_as_keras_scales_them() {
        let topology = serde_json::json!({"model_config": {"class_name": "Functional", "config": {
            "layers": [{"class_name": "Dense", "config": {"name": "d", "lora_rank": 1, "lora_alpha": 2.0}}]}}});
        let mut weights = vec![
            f32_weight("d/kernel", vec![2, 2], vec![1.0, 0.0, 0.0, 1.0]),
            f32_weight("d/lora_kernel_a", vec![2, 1], vec![1.0, 2.0]),
            f32_weight("d/lora_kernel_b", vec![1, 2], vec![3.0, 4.0]),
            f32_weight("d/bias", vec![2], vec![0.5, 0.5]),
        ];
        merge_lora_adapters(&mut weights, &topology).unwrap();
        let names: Vec<&str> = weights.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["d/kernel", "d/bias"]);
        // kernel + (2 / 1) · [[3, 4], [6, 8]].
        assert_eq!(
            weights[0].values,
            TensorValues::Float32(vec![7.0, 8.0, 12.0, 17.0])
        );
        // Without lora_rank the scale is unknown: refused, naming the layer.
        let bare = serde_json::json!({"class_name": "Dense", "config": {"name": "d"}});
        let mut weights = vec![
            f32_weight("d/kernel", vec![1, 1], vec![1.0]),
            f32_weight("d/lora_kernel_a", vec![1, 1], vec![1.0]),
            f32_weight("d/lora_kernel_b", vec![1, 1], vec![1.0]),
        ];
        let e = merge_lora_adapters(&mut weights, &bare)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`d` has no lora_rank"), "{e}");
    }

    #[test]
    fn fallback_names() {
        assert_eq!(
            drop_second_to_last("lstm/lstm_cell/kernel").as_deref(),
            Some("lstm/kernel")
        );
        assert_eq!(drop_second_to_last("d1/vars/0").as_deref(), Some("d1/0"));
        assert_eq!(
            scope_suffixes("a/b/bn/gamma").collect::<Vec<_>>(),
            ["b/bn/gamma", "bn/gamma"]
        );
        assert_eq!(drop_second_to_last("d/kernel"), None);
        assert_eq!(
            keras3_key("layers/conv2d_1/vars/1").as_deref(),
            Some("layers/conv2d_1/1")
        );
        assert_eq!(
            keras3_key("layers/functional/layers/dense/vars/0").as_deref(),
            Some("layers/functional/layers/dense/0")
        );
        assert_eq!(
            keras3_key("layers/bidirectional/backward_layer/cell/vars/2").as_deref(),
            Some("layers/bidirectional/backward_layer/2")
        );
        // A cell stack in a Bidirectional (Keras 3 `.keras`, tf_keras `.h5`).
        let stacked = [
            (
                keras3_key("layers/bidirectional/forward_layer/cell/cells/lstm_cell/vars/1"),
                Some("layers/bidirectional/forward_layer/cells/lstm_cell/1"),
            ),
            (
                drop_stacked_cells("bi/forward_rnn/stacked_rnn_cells_2/lstm_cell/kernel"),
                Some("bi/forward_rnn/lstm_cell/kernel"),
            ),
            (drop_stacked_cells("rnn/stacked_rnn_cells/kernel"), None),
        ];
        for (got, want) in stacked {
            assert_eq!(got.as_deref(), want);
        }
        // A Bidirectional wrapped by TimeDistributed, in `.keras` (under
        // `layer/`) and in Keras 3's legacy HDF5 (its own name follows).
        type Rename = fn(&str) -> Option<String>;
        let wrapped: [(Rename, &str, &str); 2] = [
            (
                keras3_key,
                "layers/time_distributed/layer/forward_layer/cell/vars/1",
                "layers/time_distributed/layer/forward_layer/1",
            ),
            (
                keras3_h5_bidirectional,
                "td/bidirectional/backward_lstm/lstm_cell/bias",
                "td/backward_forward_lstm/bias",
            ),
        ];
        // A Bidirectional GRU in a model wrapped by TimeDistributed (a
        // HAN's sentence encoder), and a layer named `cell` there.
        assert_eq!(
            keras3_key("layers/td/layer/layers/bidirectional/forward_layer/cell/vars/1").as_deref(),
            Some("layers/td/layer/layers/bidirectional/forward_layer/1")
        );
        assert_eq!(
            keras3_key("layers/td/layer/layers/cell/vars/0").as_deref(),
            Some("layers/td/layer/layers/cell/0")
        );
        // An RNN wrapped by TimeDistributed: its cell's variables.
        assert_eq!(
            keras3_key("layers/time_distributed/layer/cell/vars/2").as_deref(),
            Some("layers/time_distributed/layer/2")
        );
        assert_eq!(
            keras3_h5_wrapped_cell("td/gru/gru_cell/recurrent_kernel").as_deref(),
            Some("td/recurrent_kernel")
        );
        assert_eq!(keras3_h5_wrapped_cell("td/dense/kernel"), None);
        for (f, name, want) in wrapped {
            assert_eq!(f(name).as_deref(), Some(want), "{name}");
        }
        assert_eq!(keras3_key("dense/kernel"), None);
        assert_eq!(
            keras3_key("layers/text_vectorization/_lookup_layer/vars/idf_weights").as_deref(),
            Some("layers/text_vectorization/_lookup_layer/idf_weights")
        );
    }
}

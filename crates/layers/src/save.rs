//! Saving: [`Model`] → TensorFlow.js-4.22-loadable topology + weights.
//!
//! Whatever dialect a model was loaded from (Keras 2, Keras 3, TF.js), the
//! topology written is the TensorFlow.js / Keras 2 form: `batch_input_shape`,
//! list-style `inbound_nodes` (nested-model node indices from 1), string
//! dtypes, no `module`/`registered_name`/`build_config`, and weights named
//! `<layer>/<weight>` in trainable-then-non-trainable order (digest 6.6, 6.7).
//!
//! Keras semantics TensorFlow.js lacks but can express are rewritten: a
//! global pooling layer with `keepdims: true` (ignored by TF.js) is written
//! as the pooling layer followed by a `Reshape` named `<name>_keepdims`.

use crate::model::{InputLayer, Model, ModelLayer};
use crate::topology::normalize_config;
use crate::{LayersError, Result, TensorData};
use serde_json::{json, Map, Value};
use tfjs_format::codec::{encode_weights, DecodedWeight, TensorValues};
use tfjs_format::{ModelArtifacts, WeightData};

/// `keras_version` written by TensorFlow.js 4.22.
pub const KERAS_VERSION: &str = "tfjs-layers 4.22.0";
/// `backend` written by TensorFlow.js (snake-cased `TensorFlow.js`).
pub const BACKEND: &str = "tensor_flow.js";
/// `generatedBy` written by TensorFlow.js 4.22.
pub const GENERATED_BY: &str = "TensorFlow.js tfjs-layers v4.22.0";

fn shape_value(s: &[Option<usize>]) -> Value {
    Value::Array(
        s.iter()
            .map(|d| d.map(Value::from).unwrap_or(Value::Null))
            .collect(),
    )
}

fn input_config(i: &InputLayer) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("batch_input_shape".into(), shape_value(&i.batch_shape));
    m.insert("dtype".into(), Value::String(i.dtype.clone()));
    m.insert("sparse".into(), Value::Bool(i.sparse));
    m.insert("name".into(), Value::String(i.name.clone()));
    m
}

impl Model {
    /// The `modelTopology` TensorFlow.js writes for this model, except
    /// that a Keras model with a layer whose numbers depend on who wrote
    /// it (Keras 3's `hard_sigmoid`, Keras's bilinear `UpSampling2D`; see
    /// [`crate::Dialect`]) keeps its `keras_version`, which is what tells
    /// the two apart on reload. TensorFlow.js never reads the field (it
    /// writes its own, and computes its own numbers for such layers);
    /// `--rebuild` rewrites them into layers that compute Keras's numbers
    /// there and writes TensorFlow.js's version.
    ///
    /// So does a Keras model in which a mask reaches a layer that treats
    /// it otherwise in TensorFlow.js (Keras 3's masked merges, Keras 2's
    /// mask-dropping `Rescaling`; see [`crate::Dialect::masked_call_differs`]).
    pub fn topology(&self) -> Value {
        let config = self.model_config();
        let version = match self.dialect.keras_version() {
            Some(v)
                if self.dialect.matters_for(&config)
                    || self.masks_differ_from(crate::Dialect::Tfjs) =>
            {
                v
            }
            _ => KERAS_VERSION.to_string(),
        };
        json!({
            "class_name": self.class_name,
            "config": config,
            "keras_version": version,
            "backend": BACKEND,
        })
    }

    /// Whether a mask reaches a layer that treats it otherwise in `other`
    /// than in this model's dialect.
    pub fn masks_differ_from(&self, other: crate::Dialect) -> bool {
        self.dialect != other
            && self
                .masked_calls()
                .iter()
                .any(|(_, call)| self.dialect.masked_call_differs(other, call).is_some())
    }

    /// The node index written for call `call` of layer `l` (nested models count from 1).
    fn written_node(&self, l: usize, call: usize) -> usize {
        match self.layers[l] {
            ModelLayer::Model(_) => call + 1,
            _ => call,
        }
    }

    /// A global pooling layer with Keras `keepdims: true`, which TensorFlow.js
    /// ignores: saved as the pooling layer plus a `Reshape` named
    /// `<name>_keepdims` restoring the kept dims. Returns that target shape.
    fn keepdims_reshape(&self, l: usize) -> Option<Vec<usize>> {
        let ModelLayer::Layer(layer) = &self.layers[l] else {
            return None;
        };
        if !layer.class_name().starts_with("Global") {
            return None;
        }
        if layer.config().get("keepdims").and_then(Value::as_bool) != Some(true) {
            return None;
        }
        let call = self.calls[l].first()?;
        let shape = &self.tensors[*call.outputs.first()?].shape;
        shape[1..].iter().copied().collect()
    }

    /// The name other layers use to refer to layer `l`'s outputs.
    fn ref_name(&self, l: usize) -> String {
        let name = self.layers[l].name();
        if self.keepdims_reshape(l).is_some() {
            format!("{name}_keepdims")
        } else {
            name.to_string()
        }
    }

    fn reshape_entry(&self, l: usize, target: &[usize]) -> (String, Value) {
        let name = format!("{}_keepdims", self.layers[l].name());
        let config = json!({"target_shape": target, "name": name, "trainable": true});
        (name, config)
    }

    fn layer_config(&self, l: usize) -> Value {
        match &self.layers[l] {
            ModelLayer::Input(i) => Value::Object(input_config(i)),
            ModelLayer::Model(m) => m.model_config(),
            ModelLayer::Layer(layer) => {
                let mut c = normalize_config(&layer.config());
                if self.keepdims_reshape(l).is_some() {
                    c.shift_remove("keepdims");
                }
                if !c.contains_key("name") {
                    c.insert("name".into(), Value::String(layer.name().to_string()));
                }
                Value::Object(c)
            }
        }
    }

    /// The order a functional model's layers are written in: each after
    /// every layer its calls read from, otherwise in the model's order (the
    /// first layer that can come next). TensorFlow.js's `fromConfig` makes
    /// a layer's nodes in the order their inputs become available, not in
    /// the order listed: a layer called twice whose second call reads a
    /// layer listed before it and whose first call reads one listed after
    /// it (a shared embedding processor called on a target and then on a
    /// sequence) got its calls swapped, and every later reference to node 0
    /// read the other call's output. Keras (which resumes a layer's calls in
    /// order) writes such lists. Where the layers' dependencies form a cycle
    /// (a shared layer fed, through others, by its own output), the model's
    /// order is kept.
    fn written_order(&self) -> Vec<usize> {
        use std::cmp::Reverse;
        use std::collections::{BTreeSet, BinaryHeap};
        let n = self.layers.len();
        let mut feeds: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        let mut waiting = vec![0usize; n];
        for (l, calls) in self.calls.iter().enumerate() {
            if matches!(self.layers[l], ModelLayer::Input(_)) {
                continue;
            }
            let from: BTreeSet<usize> = calls
                .iter()
                .flat_map(|c| c.inputs.iter().map(|&t| self.tensors[t].layer))
                .filter(|&m| m != l)
                .collect();
            waiting[l] = from.len();
            for m in from {
                feeds[m].insert(l);
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&l| waiting[l] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(l)) = ready.pop() {
            order.push(l);
            for &u in &feeds[l] {
                waiting[u] -= 1;
                if waiting[u] == 0 {
                    ready.push(Reverse(u));
                }
            }
        }
        if order.len() == n {
            order
        } else {
            (0..n).collect()
        }
    }

    /// The model's `config` (Sequential: `{name, layers}`; functional:
    /// `{name, layers, input_layers, output_layers}`).
    pub fn model_config(&self) -> Value {
        if self.class_name == "Sequential" {
            let mut layers = Vec::new();
            let mut first = true;
            for (l, layer) in self.layers.iter().enumerate() {
                if let ModelLayer::Input(i) = layer {
                    if self.auto_input {
                        continue;
                    }
                    layers.push(json!({"class_name": "InputLayer", "config": input_config(i)}));
                    first = false;
                    continue;
                }
                let mut config = self.layer_config(l);
                if first && self.auto_input {
                    if let (Value::Object(c), Some(ModelLayer::Input(i))) = (
                        &mut config,
                        self.input_layers.first().map(|&x| &self.layers[x]),
                    ) {
                        if !matches!(layer, ModelLayer::Model(_)) {
                            c.insert("batch_input_shape".into(), shape_value(&i.batch_shape));
                            c.insert("dtype".into(), Value::String(i.dtype.clone()));
                        }
                    }
                }
                first = false;
                layers.push(json!({"class_name": layer.class_name(), "config": config}));
                if let Some(target) = self.keepdims_reshape(l) {
                    let (_, config) = self.reshape_entry(l, &target);
                    layers.push(json!({"class_name": "Reshape", "config": config}));
                }
            }
            return json!({"name": self.name, "layers": layers});
        }
        let mut layers = Vec::new();
        for l in self.written_order() {
            let layer = &self.layers[l];
            let mut nodes = Vec::new();
            if !matches!(layer, ModelLayer::Input(_)) {
                for call in &self.calls[l] {
                    let refs: Vec<Value> = call
                        .inputs
                        .iter()
                        .zip(&call.kwargs)
                        .map(|(&t, kw)| {
                            let info = &self.tensors[t];
                            let kw = if kw.is_object() {
                                kw.clone()
                            } else {
                                json!({})
                            };
                            json!([
                                self.ref_name(info.layer),
                                self.written_node(info.layer, info.call),
                                info.index,
                                kw
                            ])
                        })
                        .collect();
                    nodes.push(Value::Array(refs));
                }
            }
            layers.push(json!({
                "name": layer.name(),
                "class_name": layer.class_name(),
                "config": self.layer_config(l),
                "inbound_nodes": nodes,
            }));
            if let Some(target) = self.keepdims_reshape(l) {
                let (name, config) = self.reshape_entry(l, &target);
                let nodes: Vec<Value> = (0..self.calls[l].len())
                    .map(|c| json!([[layer.name(), c, 0, {}]]))
                    .collect();
                layers.push(json!({"name": name, "class_name": "Reshape", "config": config, "inbound_nodes": nodes}));
            }
        }
        let triple = |t: usize| {
            let info = &self.tensors[t];
            json!([
                self.ref_name(info.layer),
                self.written_node(info.layer, info.call),
                info.index
            ])
        };
        let inputs: Vec<Value> = self.inputs.iter().map(|&t| triple(t)).collect();
        let outputs: Vec<Value> = self.outputs.iter().map(|&t| triple(t)).collect();
        json!({"name": self.name, "layers": layers, "input_layers": inputs, "output_layers": outputs})
    }

    /// Everything `model.save()` hands to a storage handler.
    pub fn to_artifacts(&self) -> Result<ModelArtifacts> {
        let mut decoded = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let renames = crate::save_names::renames(self, &self.weight_slots());
        for (slot, t) in self.named_weights() {
            let name = crate::save_names::renamed_weight(&slot, &renames);
            if !seen.insert(name.clone()) {
                return Err(LayersError::Weights {
                    message: format!(
                        "model `{}`: two weights are named `{name}`; TensorFlow.js could not load them back",
                        self.name
                    ),
                });
            }
            let values = match t.data() {
                TensorData::F32(v) => TensorValues::Float32(v.clone()),
                TensorData::I32(v) => TensorValues::Int32(v.clone()),
                TensorData::Str(v) => {
                    TensorValues::String(v.iter().map(|s| s.as_bytes().to_vec()).collect())
                }
            };
            decoded.push(DecodedWeight {
                name,
                shape: t.shape().to_vec(),
                values,
                group: None,
            });
        }
        decoded.extend(self.extras.optimizer_weights.iter().cloned());
        let (mut specs, bytes) = encode_weights(&decoded)?;
        for (spec, w) in specs.iter_mut().zip(&decoded) {
            spec.group = w.group.clone();
        }
        let mut topology = self.topology();
        crate::save_names::rename_in_topology(&mut topology, &renames);
        Ok(ModelArtifacts {
            model_topology: Some(topology),
            weight_specs: specs,
            weight_data: WeightData::from_vec(bytes),
            format: Some("layers-model".into()),
            generated_by: Some(GENERATED_BY.into()),
            converted_by: Some(Value::Null),
            training_config: self.extras.training_config.clone(),
            user_defined_metadata: self.extras.user_defined_metadata.clone(),
            ..Default::default()
        })
    }

    /// Save to `url` through `router` (`file://`, `memory://`, …).
    #[cfg(feature = "io")]
    pub async fn save(
        &self,
        router: &tfjs_io::Router,
        url: &str,
    ) -> Result<tfjs_format::SaveResult> {
        let artifacts = self.to_artifacts()?;
        let (store, parsed) = router.resolve(url)?;
        Ok(store.save(&parsed, &artifacts).await?)
    }

    /// Save to `url` in a form TensorFlow.js 4.22 loads: every layer it
    /// lacks (Keras's `Normalization`, `TFOpLambda`, `MultiHeadAttention`,
    /// Keras 3 operations, …) rewritten into exact equivalents built from
    /// layers it has ([`crate::rewrite`], what `tfjs convert --rebuild`
    /// does). Fails, saving nothing, with one error listing every layer that
    /// has no exact rewrite. Returns the save result and one note per
    /// rewritten layer. [`Model::save`] keeps Keras's form instead (tfjs-rs
    /// loads both).
    #[cfg(feature = "io")]
    pub async fn save_for_tfjs(
        &self,
        router: &tfjs_io::Router,
        url: &str,
    ) -> Result<(tfjs_format::SaveResult, Vec<String>)> {
        let rewritten = crate::rewrite::rewrite_for_tfjs(self)?;
        let (store, parsed) = router.resolve(url)?;
        let saved = store.save(&parsed, &rewritten.artifacts).await?;
        Ok((saved, rewritten.notes))
    }
}

#[cfg(test)]
mod tests {
    use crate::{LayerRegistry, Model};
    use serde_json::{json, Value};

    /// The layer names of a written functional config, in order.
    fn names(config: &Value) -> Vec<String> {
        config["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_shared_layer_is_written_after_every_layer_its_calls_read() {
        // Keras's order for keras.io's behaviour-sequence Transformer: the
        // shared `proc` is called first on `late` (listed after it), then
        // on `early`; the output reads its first call. TensorFlow.js makes
        // a layer's nodes as their inputs appear, so in this order it made
        // `proc`'s call on `early` its node 0.
        let node = |from: &str| json!([[from, 0, 0, {}]]);
        let layer = |name: &str, class: &str, config: Value, nodes: Vec<Value>| {
            let mut config = config;
            config["name"] = json!(name);
            json!({"name": name, "class_name": class, "config": config, "inbound_nodes": nodes})
        };
        let topology = json!({"class_name": "Functional", "config": {"name": "m", "layers": [
            layer("x", "InputLayer", json!({"batch_input_shape": [null, 3], "dtype": "float32"}), vec![]),
            layer("early", "Dense", json!({"units": 2}), vec![node("x")]),
            layer("proc", "Dense", json!({"units": 2}), vec![node("late"), node("early")]),
            layer("late", "Dense", json!({"units": 2}), vec![node("x")]),
            layer("sum", "Add", json!({}), vec![json!([["proc", 0, 0, {}], ["proc", 1, 0, {}]])]),
        ], "input_layers": [["x", 0, 0]], "output_layers": [["sum", 0, 0], ["proc", 0, 0]]}});
        let model = Model::from_topology(&topology, &LayerRegistry::with_builtins(), 3).unwrap();
        let written = model.model_config();
        assert_eq!(names(&written), ["x", "early", "late", "proc", "sum"]);
        // The written nodes keep their indices: `proc`'s node 0 reads `late`.
        let proc = &written["layers"][3];
        assert_eq!(proc["inbound_nodes"][0][0][0], "late");
        assert_eq!(proc["inbound_nodes"][1][0][0], "early");
        // And a model already in such an order is written as it is.
        let again = Model::from_topology(
            &json!({"class_name": "Functional", "config": written}),
            &LayerRegistry::with_builtins(),
            3,
        )
        .unwrap();
        assert_eq!(names(&again.model_config()), names(&written));
    }
}

//! The model graph: layers, their calls (nodes), shape inference and predict.
//!
//! A [`Model`] is built from a [`ModelSpec`](crate::topology::ModelSpec)
//! (any topology dialect, normalized) or with the [`builder`](crate::builder).
//! Execution runs the nodes needed for the outputs in topological order and
//! drops every intermediate tensor after its last use.

use crate::config::ConfigReader;
use crate::fusion;
use crate::topology::{self, LayerKind, ModelSpec, TensorRef};
use crate::{BuildContext, Layer, LayerRegistry, LayersError, Result, Shape, Tensor, TensorData};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use tfjs_format::codec::DecodedWeight;

/// An input layer of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct InputLayer {
    pub name: String,
    /// Shape with batch first; `None` = any size.
    pub batch_shape: Shape,
    /// `"float32"` or `"int32"`.
    pub dtype: String,
    pub sparse: bool,
}

/// One entry of `model.layers`.
#[derive(Debug)]
pub enum ModelLayer {
    Input(InputLayer),
    Layer(Box<dyn Layer>),
    /// A Sequential/Model used as a layer.
    Model(Box<Model>),
}

impl ModelLayer {
    /// The layer name.
    pub fn name(&self) -> &str {
        match self {
            ModelLayer::Input(i) => &i.name,
            ModelLayer::Layer(l) => l.name(),
            ModelLayer::Model(m) => &m.name,
        }
    }
    /// The Keras class name.
    pub fn class_name(&self) -> &str {
        match self {
            ModelLayer::Input(_) => "InputLayer",
            ModelLayer::Layer(l) => l.class_name(),
            ModelLayer::Model(m) => &m.class_name,
        }
    }
}

/// One call of a layer inside the model.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub inputs: Vec<usize>,
    /// Per-input kwargs as written in the file (written back on save).
    pub kwargs: Vec<Value>,
    pub outputs: Vec<usize>,
}

/// Where a tensor comes from.
#[derive(Debug, Clone)]
pub(crate) struct TensorInfo {
    pub layer: usize,
    pub call: usize,
    pub index: usize,
    pub shape: Shape,
}

/// What a loaded model carries besides layers and weights, written back on save.
#[derive(Debug, Clone, Default)]
pub struct ModelExtras {
    /// Artifacts-level `trainingConfig`, verbatim.
    pub training_config: Option<Value>,
    /// Optimizer weights (`group: "optimizer"`), in file order.
    pub optimizer_weights: Vec<DecodedWeight>,
    /// `userDefinedMetadata`, verbatim.
    pub user_defined_metadata: Option<Value>,
}

/// A layers model: `tf.Sequential` / `tf.LayersModel`.
#[derive(Debug)]
pub struct Model {
    pub(crate) name: String,
    pub(crate) class_name: String,
    pub(crate) trainable: bool,
    /// Sequential whose input layer is implicit (not serialized).
    pub(crate) auto_input: bool,
    pub(crate) layers: Vec<ModelLayer>,
    /// Per layer: its calls in this model.
    pub(crate) calls: Vec<Vec<Call>>,
    pub(crate) tensors: Vec<TensorInfo>,
    /// `(layer, call)` in execution order (input layers excluded).
    pub(crate) exec: Vec<(usize, usize)>,
    /// Model inputs: layer index of each input layer.
    pub(crate) input_layers: Vec<usize>,
    pub(crate) inputs: Vec<usize>,
    pub(crate) outputs: Vec<usize>,
    /// Per tensor: the exec position of its last use (`usize::MAX` = keep).
    pub(crate) last_use: Vec<usize>,
    pub extras: ModelExtras,
    /// Inference plan (conv + BatchNormalization + ReLU fusion), built on
    /// the first run from the current weights; reset whenever a layer is
    /// borrowed mutably (see [`Model::invalidate_plan`]).
    pub(crate) plan: std::sync::OnceLock<fusion::Plan>,
    /// Intermediate buffers kept between predicts (see
    /// [`fusion::BufferPool`]), one pool per concurrent run.
    pub(crate) buffers: std::sync::Mutex<Vec<fusion::BufferPool>>,
    /// Whether every layer is per-sample ([`Layer::per_sample`]), computed once.
    per_sample: std::sync::OnceLock<bool>,
    /// Most bytes of tensors alive at once in one predict (see
    /// [`Model::set_memory_limit`]); `None` = [`max_live_bytes`].
    pub(crate) memory_limit: Option<u64>,
}

fn topo_err(message: impl Into<String>) -> LayersError {
    LayersError::Topology {
        message: message.into(),
    }
}

fn shape_str(s: &[Option<usize>]) -> String {
    let parts: Vec<String> = s
        .iter()
        .map(|d| d.map(|x| x.to_string()).unwrap_or_else(|| "null".into()))
        .collect();
    format!("[{}]", parts.join(","))
}

/// Wrap an error from a layer so that it names the layer.
pub(crate) fn in_layer(layer: &str, e: LayersError) -> LayersError {
    match e {
        e @ LayersError::Config { .. } => e,
        other => LayersError::config(layer, other.to_string()),
    }
}

/// Every class name in `spec` (recursively, wrapped layers included) that
/// `registry` does not know, with the layer using it.
pub fn unknown_classes(spec: &ModelSpec, registry: &LayerRegistry) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_unknown(spec, registry, &mut out);
    out
}

fn collect_unknown(spec: &ModelSpec, registry: &LayerRegistry, out: &mut Vec<(String, String)>) {
    for l in &spec.layers {
        match &l.kind {
            LayerKind::Input(_) => {}
            LayerKind::Nested(m) => collect_unknown(m, registry, out),
            LayerKind::Leaf => {
                if !registry.contains(&l.class_name) {
                    out.push((l.class_name.clone(), l.name.clone()));
                } else if let Some(f) =
                    crate::layers::tf_ops::unsupported_function(&l.class_name, &l.config)
                {
                    // Listed with the unknown classes, all at once.
                    out.push((format!("{} tf.{f}", l.class_name), l.name.clone()));
                } else {
                    collect_wrapped(&l.config, &l.name, registry, out);
                }
            }
        }
    }
}

fn collect_wrapped(
    config: &Map<String, Value>,
    owner: &str,
    registry: &LayerRegistry,
    out: &mut Vec<(String, String)>,
) {
    for key in ["layer", "cell", "cells", "backward_layer"] {
        let Some(v) = config.get(key) else { continue };
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for item in items {
            if let Some(cls) = item.get("class_name").and_then(Value::as_str) {
                let cls = topology::canonical_class(cls);
                if !registry.contains(cls) && !topology::is_model_class(cls) {
                    out.push((cls.to_string(), owner.to_string()));
                } else if let Some(Value::Object(c)) = item.get("config") {
                    collect_wrapped(c, owner, registry, out);
                }
            }
        }
    }
}

/// The one error for every unknown class.
pub(crate) fn unknown_error(unknown: &[(String, String)]) -> LayersError {
    let mut by_class: Vec<(String, Vec<String>)> = Vec::new();
    for (c, l) in unknown {
        match by_class.iter_mut().find(|(x, _)| x == c) {
            Some((_, ls)) => ls.push(l.clone()),
            None => by_class.push((c.clone(), vec![l.clone()])),
        }
    }
    let list: Vec<String> = by_class
        .iter()
        .map(|(c, ls)| {
            let ls: Vec<String> = ls
                .iter()
                .map(|l| format!("`{}`", crate::error::printable(l)))
                .collect();
            format!("{} (layer {})", crate::error::printable(c), ls.join(", "))
        })
        .collect();
    topo_err(format!(
        "Unknown layer class{}: {}. This may be due to one of the following reasons:\n1. The layer is defined in Python, in which case it needs to be ported to Rust.\n2. The custom layer is defined in Rust, but is not registered with LayerRegistry::register.",
        if by_class.len() > 1 { "es" } else { "" },
        list.join(", ")
    ))
}

impl Model {
    /// Build a model from a parsed topology. Weights are allocated by the
    /// layers' `build` but not initialized (see [`Model::initialize_weights`]).
    pub fn from_spec(spec: &ModelSpec, registry: &LayerRegistry) -> Result<Model> {
        let unknown = unknown_classes(spec, registry);
        if !unknown.is_empty() {
            return Err(unknown_error(&unknown));
        }
        Self::build_spec(spec, registry)
    }

    fn build_spec(spec: &ModelSpec, registry: &LayerRegistry) -> Result<Model> {
        let ctx = BuildContext {
            registry,
            call_kwargs: None,
        };
        let mut layers = Vec::with_capacity(spec.layers.len());
        for l in &spec.layers {
            layers.push(match &l.kind {
                LayerKind::Input(i) => ModelLayer::Input(InputLayer {
                    name: l.name.clone(),
                    batch_shape: i.batch_shape.clone(),
                    dtype: i.dtype.clone(),
                    sparse: i.sparse,
                }),
                LayerKind::Nested(m) => {
                    let mut inner = Self::build_spec(m, registry)?;
                    inner.name = l.name.clone();
                    ModelLayer::Model(Box::new(inner))
                }
                LayerKind::Leaf => {
                    let ctx = BuildContext {
                        call_kwargs: l.inbound.first().and_then(|n| n.first()).map(|r| &r.kwargs),
                        ..ctx
                    };
                    let layer = registry
                        .build(&l.class_name, &ConfigReader::new(&l.name, &l.config), &ctx)
                        .map_err(|e| in_layer(&l.name, e))?;
                    ModelLayer::Layer(layer)
                }
            });
        }
        let inbound: Vec<Vec<Vec<TensorRef>>> = spec
            .layers
            .iter()
            .map(|l| {
                if matches!(l.kind, LayerKind::Input(_)) {
                    vec![Vec::new()]
                } else {
                    l.inbound.clone()
                }
            })
            .collect();
        let mut m = Model::assemble(
            spec.name.clone(),
            spec.class_name.clone(),
            layers,
            inbound,
            &spec.inputs,
            &spec.outputs,
        )?;
        m.trainable = spec.trainable;
        m.auto_input = spec.auto_input;
        Ok(m)
    }

    /// Wire `layers` with their inbound calls (refs as written in files),
    /// infer shapes (building every layer on its first call), and plan execution.
    pub(crate) fn assemble(
        name: String,
        class_name: String,
        mut layers: Vec<ModelLayer>,
        inbound: Vec<Vec<Vec<TensorRef>>>,
        input_refs: &[TensorRef],
        output_refs: &[TensorRef],
    ) -> Result<Model> {
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, l) in layers.iter().enumerate() {
            if index.insert(l.name().to_string(), i).is_some() {
                let names: Vec<String> = layers
                    .iter()
                    .map(|l| format!("\"{}\"", crate::error::printable(l.name())))
                    .collect();
                let n = layers.iter().filter(|x| x.name() == l.name()).count();
                return Err(topo_err(format!(
                    "The name \"{}\" is used {n} times in the model. All layer names should be unique. Layer names: [{}]",
                    crate::error::printable(l.name()),
                    names.join(",")
                )));
            }
        }
        // Node base: nested models count from 1 unless a reference says 0.
        let mut node_base = vec![0usize; layers.len()];
        for (i, l) in layers.iter().enumerate() {
            if matches!(l, ModelLayer::Model(_)) {
                let any_zero = inbound
                    .iter()
                    .flatten()
                    .flatten()
                    .chain(output_refs.iter())
                    .any(|r| r.layer == l.name() && r.node == 0);
                node_base[i] = usize::from(!any_zero);
            }
        }
        // Flat node ids.
        let mut node_ids: Vec<(usize, usize)> = Vec::new();
        let mut first_node = vec![0usize; layers.len()];
        for (l, calls) in inbound.iter().enumerate() {
            first_node[l] = node_ids.len();
            for c in 0..calls.len() {
                node_ids.push((l, c));
            }
        }
        let resolve = |r: &TensorRef, user: &str| -> Result<(usize, usize)> {
            let &l = index.get(&r.layer).ok_or_else(|| {
                topo_err(format!(
                    "layer `{user}` takes input from layer `{}`, which is not in model `{name}`",
                    r.layer
                ))
            })?;
            let ncalls = inbound[l].len();
            let call = r.node.checked_sub(node_base[l]).filter(|c| *c < ncalls);
            let call = call.ok_or_else(|| {
                topo_err(format!(
                    "layer `{user}` takes input from node {} of layer `{}`, which has {} node(s) in model `{name}`",
                    r.node, r.layer, ncalls
                ))
            })?;
            Ok((l, call))
        };
        // Dependencies.
        let n = node_ids.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (id, &(l, c)) in node_ids.iter().enumerate() {
            for r in &inbound[l][c] {
                let (pl, pc) = resolve(r, layers[l].name())?;
                deps[id].push(first_node[pl] + pc);
            }
        }
        // Kahn's algorithm, smallest id first (file order).
        let mut indeg: Vec<usize> = deps.iter().map(|d| d.len()).collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (id, d) in deps.iter().enumerate() {
            for &p in d {
                users[p].push(id);
            }
        }
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(id) = ready.pop_first() {
            order.push(id);
            for &u in &users[id] {
                indeg[u] -= 1;
                if indeg[u] == 0 {
                    ready.insert(u);
                }
            }
        }
        if order.len() < n {
            let mut names: Vec<&str> = Vec::new();
            for (id, &(l, _)) in node_ids.iter().enumerate() {
                if indeg[id] > 0 && !names.contains(&layers[l].name()) {
                    names.push(layers[l].name());
                }
            }
            return Err(topo_err(format!(
                "model `{name}` has a cycle: layer{} {} depend on each other (directly or through their inputs)",
                if names.len() > 1 { "s" } else { "" },
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            )));
        }
        // Shape inference in topological order; builds each layer on its first call.
        let mut calls: Vec<Vec<Option<Call>>> =
            inbound.iter().map(|c| vec![None; c.len()]).collect();
        let mut tensors: Vec<TensorInfo> = Vec::new();
        let mut built = vec![false; layers.len()];
        for &id in &order {
            let (l, c) = node_ids[id];
            let mut ins = Vec::new();
            let mut kwargs = Vec::new();
            for r in &inbound[l][c] {
                let (pl, pc) = resolve(r, layers[l].name())?;
                let pcall = calls[pl][pc].as_ref().expect("topological order");
                let &t = pcall.outputs.get(r.tensor).ok_or_else(|| {
                    topo_err(format!(
                        "layer `{}` takes output {} of layer `{}`, which has {} output(s)",
                        layers[l].name(),
                        r.tensor,
                        r.layer,
                        pcall.outputs.len()
                    ))
                })?;
                ins.push(t);
                kwargs.push(r.kwargs.clone());
            }
            let in_shapes: Vec<Shape> = ins.iter().map(|&t| tensors[t].shape.clone()).collect();
            let lname = layers[l].name().to_string();
            let out_shapes = match &mut layers[l] {
                ModelLayer::Input(i) => vec![i.batch_shape.clone()],
                ModelLayer::Layer(layer) => {
                    if !built[l] {
                        layer.build(&in_shapes).map_err(|e| in_layer(&lname, e))?;
                        built[l] = true;
                    }
                    let shapes = layer
                        .output_shapes(&in_shapes)
                        .map_err(|e| in_layer(&lname, e))?;
                    check_sample_size(&shapes).map_err(|e| in_layer(&lname, e))?;
                    shapes
                }
                ModelLayer::Model(m) => {
                    if in_shapes.len() != m.inputs.len() {
                        return Err(topo_err(format!(
                            "nested model `{lname}` expects {} input(s), called with {}",
                            m.inputs.len(),
                            in_shapes.len()
                        )));
                    }
                    m.outputs
                        .iter()
                        .map(|&t| m.tensors[t].shape.clone())
                        .collect()
                }
            };
            let mut outs = Vec::with_capacity(out_shapes.len());
            for (k, s) in out_shapes.into_iter().enumerate() {
                outs.push(tensors.len());
                tensors.push(TensorInfo {
                    layer: l,
                    call: c,
                    index: k,
                    shape: s,
                });
            }
            calls[l][c] = Some(Call {
                inputs: ins,
                kwargs,
                outputs: outs,
            });
        }
        let calls: Vec<Vec<Call>> = calls
            .into_iter()
            .map(|v| {
                v.into_iter()
                    .map(|c| c.expect("all nodes placed"))
                    .collect()
            })
            .collect();
        let tensor_of = |r: &TensorRef, what: &str| -> Result<usize> {
            let (l, c) = resolve(r, what)?;
            calls[l][c].outputs.get(r.tensor).copied().ok_or_else(|| {
                topo_err(format!(
                    "{what} refers to output {} of layer `{}`, which has {} output(s)",
                    r.tensor,
                    r.layer,
                    calls[l][c].outputs.len()
                ))
            })
        };
        let mut input_layers = Vec::new();
        let mut inputs = Vec::new();
        for r in input_refs {
            let t = tensor_of(r, &format!("model `{name}` input_layers"))?;
            let l = tensors[t].layer;
            if !matches!(layers[l], ModelLayer::Input(_)) {
                return Err(topo_err(format!(
                    "model `{name}`: input_layers names `{}`, a {} layer; model inputs must be InputLayers",
                    r.layer,
                    layers[l].class_name()
                )));
            }
            input_layers.push(l);
            inputs.push(t);
        }
        let mut outputs = Vec::new();
        for r in output_refs {
            outputs.push(tensor_of(r, &format!("model `{name}` output_layers"))?);
        }
        if outputs.is_empty() {
            return Err(topo_err(format!("model `{name}` has no outputs")));
        }
        // Execution plan: nodes needed for the outputs, in topological order.
        let mut needed = vec![false; n];
        let mut stack: Vec<usize> = outputs
            .iter()
            .map(|&t| first_node[tensors[t].layer] + tensors[t].call)
            .collect();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut needed[id], true) {
                continue;
            }
            stack.extend(deps[id].iter().copied());
        }
        let mut exec = Vec::new();
        for &id in &order {
            if !needed[id] {
                continue;
            }
            let (l, c) = node_ids[id];
            if matches!(layers[l], ModelLayer::Input(_)) {
                if !input_layers.contains(&l) {
                    return Err(topo_err(format!(
                        "Graph disconnected: cannot obtain value for input layer `{}` of model `{name}`: it is not one of the model inputs ({})",
                        layers[l].name(),
                        input_layers.iter().map(|&i| format!("`{}`", layers[i].name())).collect::<Vec<_>>().join(", ")
                    )));
                }
                continue;
            }
            exec.push((l, c));
        }
        let mut last_use = vec![0usize; tensors.len()];
        for (pos, &(l, c)) in exec.iter().enumerate() {
            for &t in &calls[l][c].inputs {
                last_use[t] = pos;
            }
        }
        for &t in &outputs {
            last_use[t] = usize::MAX;
        }
        check_string_inputs(&layers, &calls, &tensors, &exec)?;
        Ok(Model {
            name,
            class_name,
            trainable: true,
            auto_input: false,
            layers,
            calls,
            tensors,
            exec,
            input_layers,
            inputs,
            outputs,
            last_use,
            extras: ModelExtras::default(),
            plan: std::sync::OnceLock::new(),
            buffers: Default::default(),
            per_sample: Default::default(),
            memory_limit: None,
        })
    }

    /// The model name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `Sequential`, `Model` or `Functional`.
    pub fn class_name(&self) -> &str {
        &self.class_name
    }

    /// `model.layers` (input layers included, as in Keras functional models).
    pub fn layers(&self) -> &[ModelLayer] {
        &self.layers
    }

    /// A layer by name (this model only, not nested ones).
    pub fn layer(&self, name: &str) -> Option<&ModelLayer> {
        self.layers.iter().find(|l| l.name() == name)
    }

    /// The input layers, in model input order.
    pub fn inputs(&self) -> Vec<&InputLayer> {
        self.input_layers
            .iter()
            .filter_map(|&l| match &self.layers[l] {
                ModelLayer::Input(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    /// Input names, in order.
    pub fn input_names(&self) -> Vec<&str> {
        self.inputs().into_iter().map(|i| i.name.as_str()).collect()
    }

    /// Output names (the producing layers' names), in order.
    pub fn output_names(&self) -> Vec<&str> {
        self.outputs
            .iter()
            .map(|&t| self.layers[self.tensors[t].layer].name())
            .collect()
    }

    /// Symbolic output shapes.
    pub fn output_shapes(&self) -> Vec<Shape> {
        self.outputs
            .iter()
            .map(|&t| self.tensors[t].shape.clone())
            .collect()
    }

    /// Run the model on `inputs` (one per model input, in
    /// [`Model::input_names`] order); returns one tensor per output.
    ///
    /// float32 inputs accept int32 tensors (converted); int32 inputs accept
    /// f32 tensors holding integers. Any batch size works.
    pub fn predict(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let ins = self.inputs();
        if inputs.len() != ins.len() {
            let want: Vec<String> = ins
                .iter()
                .map(|i| format!("`{}` {} {}", i.name, shape_str(&i.batch_shape), i.dtype))
                .collect();
            return Err(LayersError::Input {
                message: format!(
                    "model `{}` expects {} input(s) ({}), got {}",
                    self.name,
                    ins.len(),
                    want.join(", "),
                    inputs.len()
                ),
            });
        }
        let mut converted = Vec::with_capacity(inputs.len());
        for (spec, t) in ins.iter().zip(inputs) {
            converted.push(checked_input(spec, t)?);
        }
        let masks = vec![None; converted.len()];
        Ok(self.run_batch(converted, masks)?.0)
    }

    /// Bytes of the largest layer output per sample, when every output's
    /// sample shape is known.
    fn largest_sample_bytes(&self) -> Option<usize> {
        self.tensors
            .iter()
            .map(|t| {
                t.shape
                    .get(1..)?
                    .iter()
                    .try_fold(4usize, |acc, d| acc.checked_mul((*d)?))
            })
            .try_fold(0usize, |m, b| Some(m.max(b?)))
    }

    /// Whether every layer (and nested model) is per-sample.
    fn is_per_sample(&self) -> bool {
        *self.per_sample.get_or_init(|| {
            self.layers.iter().all(|l| match l {
                ModelLayer::Input(_) => true,
                ModelLayer::Layer(layer) => layer.per_sample(),
                ModelLayer::Model(m) => m.is_per_sample(),
            })
        })
    }

    /// [`Model::run`], as parallel batch slices when the model is
    /// per-sample and the batch is large: each thread then takes its
    /// samples through the whole network with activations that stay in its
    /// cache, and no layer waits for the others. Every sample is computed
    /// exactly as in one run, so the numbers do not change.
    fn run_batch(
        &self,
        inputs: Vec<std::borrow::Cow<'_, Tensor>>,
        masks: Vec<Option<Tensor>>,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        let threads = rayon::current_num_threads();
        let batch = inputs.first().and_then(|t| t.shape().first().copied());
        let splittable = |b: usize| {
            threads > 1
                && b >= 2 * threads
                && inputs.iter().all(|t| t.shape().first() == Some(&b))
                && masks.iter().all(Option::is_none)
                && self.is_per_sample()
        };
        let Some(batch) = batch.filter(|&b| splittable(b)) else {
            let owned = inputs
                .into_iter()
                .map(std::borrow::Cow::into_owned)
                .collect();
            return self.run(owned, masks);
        };
        // Slices small enough that a slice's largest activation stays in a
        // core's L2 (measured on MobileNet v1/v2 at batch 32: slices of ~4
        // samples beat one slice per thread by ~1.5x), at least one per thread.
        let per_slice = match self.largest_sample_bytes() {
            Some(bytes) => (SLICE_BYTES / bytes.max(1)).clamp(1, batch.div_ceil(threads)),
            None => batch.div_ceil(threads),
        };
        let parts = batch.div_ceil(per_slice).max(threads).min(batch);
        let bounds: Vec<(usize, usize)> = (0..parts)
            .map(|i| (batch * i / parts, batch * (i + 1) / parts))
            .collect();
        let slices: Vec<Vec<Tensor>> = bounds
            .iter()
            .map(|&(a, b)| inputs.iter().map(|t| batch_slice(t, a, b)).collect())
            .collect::<Result<_>>()?;
        use rayon::prelude::*;
        // On a rayon worker, so that the slices and each kernel's own
        // parallel split fork inside the pool (work stealing, spinning
        // latches). A small batch stays on the calling thread: handing a
        // whole predict to the pool costs more than it saves there.
        let parts: Vec<Vec<Tensor>> = in_pool(|| {
            slices
                .into_par_iter()
                .map(|x| {
                    let n = x.len();
                    self.run(x, vec![None; n]).map(|(ys, _)| ys)
                })
                .collect::<Result<_>>()
        })?;
        let outputs = (0..self.outputs.len())
            .map(|k| concat_batch(parts.iter().map(|p| &p[k])))
            .collect::<Result<Vec<_>>>()?;
        let n = outputs.len();
        Ok((outputs, vec![None; n]))
    }

    /// [`Model::predict`], timing each step of the execution plan: one
    /// entry per step that ran, in order, naming its layers (a fused chain
    /// such as `conv1+conv1_bn+conv1_relu` is one step). The batch runs
    /// whole on the calling thread (never as parallel slices), so each
    /// step's time is its own.
    pub fn profile(&self, inputs: &[Tensor]) -> Result<Vec<StepTime>> {
        let ins = self.inputs();
        if inputs.len() != ins.len() {
            // predict's error names what the model expects.
            return self.predict(inputs).map(|_| Vec::new());
        }
        let mut converted = Vec::with_capacity(inputs.len());
        for (spec, t) in ins.iter().zip(inputs) {
            converted.push(check_input(spec, t)?);
        }
        let masks = vec![None; converted.len()];
        let mut times = Vec::new();
        self.run_timed(converted, masks, Some(&mut times))?;
        let plan = self.plan.get_or_init(|| fusion::Plan::build(self));
        Ok(times
            .into_iter()
            .map(|(pos, elapsed)| {
                let chain = match plan.step(pos) {
                    fusion::Step::Fused(f) => f.chain.clone(),
                    _ => vec![pos],
                };
                let name = |p: usize| self.layers[self.exec[p].0].name().to_string();
                let class = |p: usize| match &self.layers[self.exec[p].0] {
                    ModelLayer::Layer(l) => l.class_name().to_string(),
                    ModelLayer::Model(_) => "Model".to_string(),
                    ModelLayer::Input(_) => "InputLayer".to_string(),
                };
                StepTime {
                    layers: chain.iter().map(|&p| name(p)).collect::<Vec<_>>().join("+"),
                    classes: chain
                        .iter()
                        .map(|&p| class(p))
                        .collect::<Vec<_>>()
                        .join("+"),
                    elapsed,
                }
            })
            .collect())
    }

    /// Run with input masks; returns outputs and output masks.
    pub(crate) fn run(
        &self,
        inputs: Vec<Tensor>,
        masks: Vec<Option<Tensor>>,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        self.run_timed(inputs, masks, None)
    }

    /// [`Model::run`], recording `(exec position, time)` per step when asked.
    fn run_timed(
        &self,
        inputs: Vec<Tensor>,
        masks: Vec<Option<Tensor>>,
        mut times: Option<&mut Vec<(usize, std::time::Duration)>>,
    ) -> Result<(Vec<Tensor>, Vec<Option<Tensor>>)> {
        let mut slots: Vec<Option<Tensor>> = vec![None; self.tensors.len()];
        let mut mask_slots: Vec<Option<Tensor>> = vec![None; self.tensors.len()];
        // Bytes held in `slots`, kept up to date by every step (the memory
        // check needs it per layer; summing the slots each time is quadratic).
        let mut live: u64 = 0;
        for ((&t, x), m) in self.inputs.iter().zip(inputs).zip(masks) {
            live += x.len() as u64 * 4;
            slots[t] = Some(x);
            mask_slots[t] = m;
        }
        let plan = self.plan.get_or_init(|| fusion::Plan::build(self));
        // Concurrent runs (batch slices, or callers sharing the model) each
        // take a pool of their own.
        let mut pool = self
            .buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        for pos in 0..self.exec.len() {
            let started = times.is_some().then(std::time::Instant::now);
            match plan.step(pos) {
                fusion::Step::Run => {
                    self.run_node(pos, &mut slots, &mut mask_slots, &mut pool, &mut live)?
                }
                fusion::Step::Skip => continue,
                fusion::Step::Fused(f) => {
                    if !f.run(self, pos, &mut slots, &mut mask_slots, &mut pool, &mut live) {
                        // Unexpected input: run the layers one by one (their
                        // own checks report the problem).
                        for &p in &f.chain {
                            self.run_node(p, &mut slots, &mut mask_slots, &mut pool, &mut live)?;
                        }
                    }
                }
            }
            if let (Some(times), Some(t0)) = (times.as_deref_mut(), started) {
                times.push((pos, t0.elapsed()));
            }
        }
        self.buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(pool);
        let mut outs = Vec::with_capacity(self.outputs.len());
        let mut out_masks = Vec::with_capacity(self.outputs.len());
        for (k, &t) in self.outputs.iter().enumerate() {
            let again = self.outputs[k + 1..].contains(&t);
            let missing = || topo_err(format!("internal: output tensor {t} not computed"));
            if again {
                outs.push(slots[t].clone().ok_or_else(missing)?);
                out_masks.push(mask_slots[t].clone());
            } else {
                outs.push(slots[t].take().ok_or_else(missing)?);
                out_masks.push(mask_slots[t].take());
            }
        }
        Ok((outs, out_masks))
    }
}

impl Model {
    /// Cap the bytes of tensors alive at once during one predict (layer
    /// outputs not yet consumed plus the one being computed); a layer whose
    /// output would cross it fails with an error naming it. `None` (the
    /// default) is [`max_live_bytes`]: what the host has available.
    pub fn set_memory_limit(&mut self, bytes: Option<u64>) {
        self.memory_limit = bytes;
    }

    /// Forget the inference plan (weights or layers may change).
    pub(crate) fn invalidate_plan(&mut self) {
        self.plan = std::sync::OnceLock::new();
    }

    /// Execute the node at exec position `pos` unfused.
    fn run_node(
        &self,
        pos: usize,
        slots: &mut [Option<Tensor>],
        mask_slots: &mut [Option<Tensor>],
        pool: &mut fusion::BufferPool,
        live: &mut u64,
    ) -> Result<()> {
        let (l, c) = self.exec[pos];
        let call = &self.calls[l][c];
        let mut xs = Vec::with_capacity(call.inputs.len());
        let mut ms = Vec::with_capacity(call.inputs.len());
        for (k, &t) in call.inputs.iter().enumerate() {
            let last = self.last_use[t] == pos && !call.inputs[k + 1..].contains(&t);
            let missing = || topo_err(format!("internal: tensor {t} not computed"));
            if last {
                let x = slots[t].take().ok_or_else(missing)?;
                *live = live.saturating_sub(x.len() as u64 * 4);
                xs.push(x);
                ms.push(mask_slots[t].take());
            } else {
                xs.push(slots[t].clone().ok_or_else(missing)?);
                ms.push(mask_slots[t].clone());
            }
        }
        let lname = self.layers[l].name();
        let (ys, ym) = match &self.layers[l] {
            ModelLayer::Input(_) => unreachable!("inputs are not executed"),
            ModelLayer::Layer(layer) => {
                if !layer.takes_strings() && xs.iter().any(|x| x.as_strings().is_some()) {
                    return Err(LayersError::config(
                        lname,
                        format!(
                            "{} cannot take strings; only StringLookup and Hashing do",
                            layer.class_name()
                        ),
                    ));
                }
                let live = *live + xs.iter().map(|t| t.len() as u64 * 4).sum::<u64>();
                let limit = self.memory_limit.unwrap_or_else(max_live_bytes);
                check_output_size(layer.as_ref(), &xs, live, limit)
                    .map_err(|e| in_layer(lname, e))?;
                let ys = layer.call(&xs, &ms).map_err(|e| in_layer(lname, e))?;
                let ym = layer
                    .compute_mask(&xs, &ms)
                    .map_err(|e| in_layer(lname, e))?;
                // The inputs are this node's own (taken or copied).
                xs.into_iter().for_each(|x| pool.give(x));
                (ys, ym)
            }
            ModelLayer::Model(m) => m.run(xs, ms).map_err(|e| in_layer(lname, e))?,
        };
        if ys.len() != call.outputs.len() {
            return Err(LayersError::config(
                lname,
                format!(
                    "call returned {} tensor(s), its output_shapes promised {}",
                    ys.len(),
                    call.outputs.len()
                ),
            ));
        }
        let mut ym = ym.into_iter();
        for (&t, y) in call.outputs.iter().zip(ys) {
            *live += y.len() as u64 * 4;
            slots[t] = Some(y);
            mask_slots[t] = ym.next().flatten();
        }
        Ok(())
    }
}

/// A string input may only feed layers that take strings (`StringLookup`,
/// `Hashing`): any other layer is named here, at build time, rather than
/// computing on strings.
fn check_string_inputs(
    layers: &[ModelLayer],
    calls: &[Vec<Call>],
    tensors: &[TensorInfo],
    exec: &[(usize, usize)],
) -> Result<()> {
    let is_string_input =
        |t: usize| matches!(&layers[tensors[t].layer], ModelLayer::Input(i) if i.dtype == "string");
    for &(l, c) in exec {
        for (k, &t) in calls[l][c].inputs.iter().enumerate() {
            if !is_string_input(t) {
                continue;
            }
            let takes = match &layers[l] {
                ModelLayer::Layer(layer) => layer.takes_strings(),
                ModelLayer::Model(m) => m.input_layers.get(k).is_some_and(
                    |&i| matches!(&m.layers[i], ModelLayer::Input(s) if s.dtype == "string"),
                ),
                ModelLayer::Input(_) => true,
            };
            if !takes {
                return Err(LayersError::config(
                    layers[l].name(),
                    format!(
                        "{} cannot take the string input `{}`; only StringLookup and Hashing take strings",
                        layers[l].class_name(),
                        layers[tensors[t].layer].name()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Target bytes of a batch slice's largest activation (about a core's L2).
const SLICE_BYTES: usize = 2 << 20;

/// Samples `a..b` of `t` (its first axis).
fn batch_slice(t: &Tensor, a: usize, b: usize) -> Result<Tensor> {
    let per: usize = t.shape()[1..].iter().product();
    let mut shape = t.shape().to_vec();
    shape[0] = b - a;
    match t.data() {
        TensorData::F32(v) => Tensor::from_f32(shape, v[a * per..b * per].to_vec()),
        TensorData::I32(v) => Tensor::from_i32(shape, v[a * per..b * per].to_vec()),
        TensorData::Str(v) => Tensor::from_strings(shape, v[a * per..b * per].to_vec()),
    }
}

/// The tensors joined along their first axis (same dtype and sample shape).
fn concat_batch<'a>(parts: impl Iterator<Item = &'a Tensor> + Clone) -> Result<Tensor> {
    let first = parts
        .clone()
        .next()
        .ok_or_else(|| topo_err("internal: no batch slices"))?;
    let mut shape = first.shape().to_vec();
    shape[0] = parts.clone().map(|t| t.shape()[0]).sum();
    let mixed = || topo_err("internal: mixed slice dtypes");
    match first.data() {
        TensorData::F32(_) => {
            let mut data = Vec::new();
            for t in parts {
                data.extend_from_slice(t.as_f32().ok_or_else(mixed)?);
            }
            Tensor::from_f32(shape, data)
        }
        TensorData::I32(_) => {
            let mut data = Vec::new();
            for t in parts {
                let TensorData::I32(v) = t.data() else {
                    return Err(mixed());
                };
                data.extend_from_slice(v);
            }
            Tensor::from_i32(shape, data)
        }
        TensorData::Str(_) => {
            let mut data = Vec::new();
            for t in parts {
                data.extend_from_slice(t.as_strings().ok_or_else(mixed)?);
            }
            Tensor::from_strings(shape, data)
        }
    }
}

/// Run `f` on a thread of rayon's global pool (inline when already on one).
fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() || rayon::current_num_threads() == 1 {
        return f();
    }
    let mut result = None;
    rayon::scope(|_| result = Some(f()));
    result.expect("the scope ran its body")
}

/// One step of [`Model::profile`].
#[derive(Debug, Clone)]
pub struct StepTime {
    /// The layer names the step ran, `+`-joined (a fused chain is one step).
    pub layers: String,
    /// Their classes, `+`-joined.
    pub classes: String,
    /// Wall time of the step.
    pub elapsed: std::time::Duration,
}

/// Most elements one layer output may have (2^31 f32 values, 8 GiB).
pub const MAX_OUTPUT_ELEMENTS: usize = 1 << 31;

/// Most bytes the tensors alive at once during one predict may take
/// (layer outputs not yet consumed plus the one being computed): the
/// memory this host has available when the process first predicts (Linux
/// `MemAvailable`), else 8 GiB. Sizes come from untrusted configs
/// (`RepeatVector.n`, padding, upsampling factors): a corrupt one must be
/// refused with an error naming the layer, not abort the process.
pub fn max_live_bytes() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| available_memory().unwrap_or(8 << 30))
}

/// What this process can still allocate now (host `MemAvailable`, the
/// cgroup's room, `RLIMIT_AS` room), read afresh; `None` where unknown.
/// For checks of sizes that come from untrusted data, before a large
/// allocation that would otherwise abort the process.
pub fn allocatable_bytes() -> Option<u64> {
    available_memory()
}

fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    let host = kib.checked_mul(1024)?;
    // A container's memory limit or a ulimit on address space is the
    // real bound: past it an allocation aborts the process.
    Some(
        host.min(cgroup_room().unwrap_or(u64::MAX))
            .min(address_space_room().unwrap_or(u64::MAX)),
    )
}

/// cgroup v2 `memory.max - memory.current` of this process's cgroup.
fn cgroup_room() -> Option<u64> {
    let cg = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cg.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = std::path::Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let max: u64 = read("memory.max")?.trim().parse().ok()?;
    let current: u64 = read("memory.current")?.trim().parse().ok()?;
    Some(max.saturating_sub(current))
}

/// `RLIMIT_AS` (from `/proc/self/limits`) minus the address space in use.
fn address_space_room() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    let limit: u64 = line
        .trim_start_matches("Max address space")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let vm_kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmSize:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(limit.saturating_sub(vm_kib.saturating_mul(1024)))
}

/// The most elements one sample of one layer output may hold (known
/// dimensions after the batch; 1 GiB of float32). Output sizes come from
/// untrusted configs (`RepeatVector.n`, padding, upsampling factors, pool
/// and reshape targets): a model whose layer would make more than this
/// from a single sample is refused when it is built, naming the layer,
/// so `verify` reports it and `predict` never starts allocating it.
pub const MAX_SAMPLE_ELEMENTS: usize = 1 << 28;

/// Refuse output shapes over [`MAX_SAMPLE_ELEMENTS`] per sample.
pub(crate) fn check_sample_size(shapes: &[Shape]) -> Result<()> {
    for shape in shapes {
        let n = shape
            .iter()
            .skip(1)
            .try_fold(1usize, |a, d| a.checked_mul(d.unwrap_or(1)));
        if n.is_none_or(|n| n > MAX_SAMPLE_ELEMENTS) {
            return Err(LayersError::Input {
                message: format!(
                    "its output shape {} holds {} elements per sample, over the {MAX_SAMPLE_ELEMENTS} (1 GiB of float32) a layer may produce: the config is corrupt",
                    shape_str(shape),
                    n.map_or("more than 2^64".to_string(), |n| n.to_string())
                ),
            });
        }
    }
    Ok(())
}

/// Refuse to run a layer whose outputs, as its config and the actual
/// inputs imply, would not fit: over [`MAX_OUTPUT_ELEMENTS`] per tensor,
/// or over what is left of [`max_live_bytes`] after `live` bytes.
fn check_output_size(layer: &dyn Layer, xs: &[Tensor], live: u64, limit: u64) -> Result<()> {
    let shapes: Vec<Shape> = xs
        .iter()
        .map(|x| x.shape().iter().map(|&d| Some(d)).collect())
        .collect();
    // A layer whose output size cannot be computed from concrete shapes
    // (an overflowing padding, say) is refused here, naming it, before it
    // allocates anything.
    let outs = layer.output_shapes(&shapes)?;
    let mut total: u64 = 0;
    for out in outs {
        let n = out
            .iter()
            .try_fold(1usize, |a, d| a.checked_mul(d.unwrap_or(1)));
        if n.is_none_or(|n| n > MAX_OUTPUT_ELEMENTS) {
            return Err(LayersError::Input {
                message: format!(
                    "the output would have shape {}, over {MAX_OUTPUT_ELEMENTS} elements: refusing to allocate it (is the config corrupt?)",
                    shape_str(&out)
                ),
            });
        }
        total = total.saturating_add(n.unwrap_or(0) as u64 * 4);
        if live.saturating_add(total) > limit {
            return Err(LayersError::Input {
                message: format!(
                    "the output would have shape {} ({:.1} GiB) while {:.1} GiB are in use, over the {:.1} GiB one predict may use: refusing to allocate it (is the config corrupt?)",
                    shape_str(&out),
                    total as f64 / (1u64 << 30) as f64,
                    live as f64 / (1u64 << 30) as f64,
                    limit as f64 / (1u64 << 30) as f64,
                ),
            });
        }
    }
    Ok(())
}

/// Validate one predict input against its input layer; convert dtypes.
fn check_input(spec: &InputLayer, t: &Tensor) -> Result<Tensor> {
    Ok(checked_input(spec, t)?.into_owned())
}

/// [`check_input`] without copying an input that needs no conversion.
fn checked_input<'t>(spec: &InputLayer, t: &'t Tensor) -> Result<std::borrow::Cow<'t, Tensor>> {
    use std::borrow::Cow;
    let err = |m: String| LayersError::Input {
        message: format!("input `{}`: {m}", spec.name),
    };
    if t.rank() != spec.batch_shape.len() {
        return Err(err(format!(
            "expected rank {} (shape {}), got shape {:?}",
            spec.batch_shape.len(),
            shape_str(&spec.batch_shape),
            t.shape()
        )));
    }
    for (axis, (want, &got)) in spec.batch_shape.iter().zip(t.shape()).enumerate() {
        if let Some(w) = want {
            if *w != got {
                return Err(err(format!(
                    "expected shape {}, got {:?} (dimension {axis} is {got}, expected {w})",
                    shape_str(&spec.batch_shape),
                    t.shape()
                )));
            }
        }
    }
    match (spec.dtype.as_str(), t.data()) {
        ("string", TensorData::Str(_)) => Ok(Cow::Borrowed(t)),
        ("string", _) => Err(err(format!("expected strings, got {} values", t.dtype()))),
        (_, TensorData::Str(_)) => Err(err(format!("expected {} values, got strings", spec.dtype))),
        ("int32", TensorData::F32(v)) => {
            if let Some((i, x)) = v
                .iter()
                .enumerate()
                .find(|(_, x)| x.fract() != 0.0 || x.abs() > 2147483647.0)
            {
                return Err(err(format!(
                    "expected int32 values, got float32 value {x} at flat index {i} that is not an integer"
                )));
            }
            Tensor::from_i32(t.shape().to_vec(), v.iter().map(|&x| x as i32).collect())
                .map(Cow::Owned)
        }
        (_, TensorData::I32(v)) if spec.dtype != "int32" => {
            Tensor::from_f32(t.shape().to_vec(), v.iter().map(|&x| x as f32).collect())
                .map(Cow::Owned)
        }
        _ => Ok(Cow::Borrowed(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::Model;
    use crate::LayerRegistry;
    use serde_json::json;

    /// Batch slicing is only for models whose every layer says it is
    /// per-sample; a layer that does not say so (the default) keeps the
    /// batch whole.
    #[test]
    fn only_models_of_per_sample_layers_are_sliced() {
        let model = |layers: serde_json::Value| {
            let topo =
                json!({"class_name": "Sequential", "config": {"name": "m", "layers": layers}});
            Model::from_topology(&topo, &LayerRegistry::with_builtins(), 1).unwrap()
        };
        let dense = json!({"class_name": "Dense", "config": {"name": "d", "units": 3,
            "batch_input_shape": [null, 5, 4]}});
        let reshape =
            json!({"class_name": "Reshape", "config": {"name": "r", "target_shape": [15, 1]}});
        // A (possibly stateful) recurrent layer does not say it is per-sample.
        let lstm = json!({"class_name": "LSTM", "config": {"name": "l", "units": 2}});
        assert!(model(json!([dense, reshape])).is_per_sample());
        assert!(!model(json!([dense, lstm])).is_per_sample());
    }
}

//! Building the graph: layers from a spec, their calls, tensors, the
//! execution order and the checks a model must pass before it runs.

use super::*;
use crate::config::ConfigReader;
use crate::topology::TensorRef;
use crate::{BuildContext, Dialect};
use std::collections::HashMap;

impl Model {
    /// Build a model from a parsed topology. Weights are allocated by the
    /// layers' `build` but not initialized (see [`Model::initialize_weights`]).
    pub fn from_spec(spec: &ModelSpec, registry: &LayerRegistry) -> Result<Model> {
        Self::from_spec_in(spec, registry, Dialect::Tfjs)
    }

    /// [`Model::from_spec`] for a topology whose configs follow `dialect`
    /// (see [`Dialect::of_topology`]): the Keras semantics of
    /// `hard_sigmoid` and bilinear `UpSampling2D` where they differ.
    pub fn from_spec_in(
        spec: &ModelSpec,
        registry: &LayerRegistry,
        dialect: Dialect,
    ) -> Result<Model> {
        let unknown = unknown_classes(spec, registry);
        if !unknown.is_empty() {
            return Err(unknown_error(&unknown));
        }
        Self::build_spec(spec, registry, dialect)
    }

    fn build_spec(spec: &ModelSpec, registry: &LayerRegistry, dialect: Dialect) -> Result<Model> {
        let ctx = BuildContext {
            registry,
            call_kwargs: None,
            dialect,
        };
        let mut layers = Vec::with_capacity(spec.layers.len());
        // Per layer: a second instance of a mixed-precision layer that
        // casts its weights, made the same way (its twin, once built).
        let mut twins: Vec<Option<Box<dyn Layer>>> = Vec::with_capacity(spec.layers.len());
        for l in &spec.layers {
            let mut twin = None;
            layers.push(match &l.kind {
                LayerKind::Input(i) => ModelLayer::Input(InputLayer {
                    name: l.name.clone(),
                    batch_shape: i.batch_shape.clone(),
                    dtype: i.dtype.clone(),
                    sparse: i.sparse,
                }),
                LayerKind::Nested(m) => {
                    let mut inner = Self::build_spec(m, registry, dialect)?;
                    inner.name = l.name.clone();
                    ModelLayer::Model(Box::new(inner))
                }
                LayerKind::Leaf => {
                    let ctx = BuildContext {
                        call_kwargs: l.inbound.first().and_then(|n| n.first()).map(|r| &r.kwargs),
                        ..ctx
                    };
                    let cfg = ConfigReader::new(&l.name, &l.config).in_dialect(dialect);
                    let layer = registry
                        .build(&l.class_name, &cfg, &ctx)
                        .map_err(|e| in_layer(&l.name, e))?;
                    let p = precision::LayerPrecision::of(layer.as_ref());
                    // (Most layers make their weights only when built.)
                    if !p.is_f32() && p.autocast {
                        twin = registry.build(&l.class_name, &cfg, &ctx).ok();
                    }
                    ModelLayer::Layer(layer)
                }
            });
            twins.push(twin);
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
        m.subclass = spec.subclass.clone();
        m.dialect = dialect;
        for (l, twin) in twins.into_iter().enumerate() {
            let (Some(twin), ModelLayer::Layer(layer)) = (twin, &m.layers[l]) else {
                continue;
            };
            let Some(call) = m.calls[l].first() else {
                continue;
            };
            let shapes: Vec<Shape> = call
                .inputs
                .iter()
                .map(|&t| m.tensors[t].shape.clone())
                .collect();
            m.twins[l] = precision::Twin::of(layer.as_ref(), twin, &shapes);
        }
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
        // Explicit masks (`mask=` a tensor of the model's), per call.
        let mut mask_refs: Vec<Vec<Option<Vec<Option<TensorRef>>>>> = Vec::new();
        for (l, calls) in inbound.iter().enumerate() {
            let mut per_call = Vec::with_capacity(calls.len());
            for refs in calls {
                let kwargs = refs.first().map_or(&Value::Null, |r| &r.kwargs);
                let found = crate::topology::explicit_mask_refs(layers[l].class_name(), kwargs)
                    .transpose()
                    .map_err(|why| LayersError::config(layers[l].name(), why))?;
                per_call.push(found);
            }
            mask_refs.push(per_call);
        }
        // Dependencies.
        let n = node_ids.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (id, &(l, c)) in node_ids.iter().enumerate() {
            let masks = mask_refs[l][c].iter().flatten().flatten();
            for r in inbound[l][c].iter().chain(masks) {
                let (pl, pc) = resolve(r, layers[l].name())?;
                deps[id].push(first_node[pl] + pc);
            }
        }
        let (order, stuck) = tfjs_format::topology::topological_order(&deps);
        if !stuck.is_empty() {
            let mut names: Vec<&str> = Vec::new();
            for &id in &stuck {
                let l = layers[node_ids[id].0].name();
                if !names.contains(&l) {
                    names.push(l);
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
        // The tensor `r` names, read by layer `user`.
        let tensor_at = |r: &TensorRef, user: &str, calls: &[Vec<Option<Call>>]| {
            let (pl, pc) = resolve(r, user)?;
            let pcall = calls[pl][pc].as_ref().expect("topological order");
            pcall.outputs.get(r.tensor).copied().ok_or_else(|| {
                topo_err(format!(
                    "layer `{user}` takes output {} of layer `{}`, which has {} output(s)",
                    r.tensor,
                    r.layer,
                    pcall.outputs.len()
                ))
            })
        };
        for &id in &order {
            let (l, c) = node_ids[id];
            let mut ins = Vec::new();
            let mut kwargs = Vec::new();
            for r in &inbound[l][c] {
                ins.push(tensor_at(r, layers[l].name(), &calls)?);
                kwargs.push(r.kwargs.clone());
            }
            let masks = match &mask_refs[l][c] {
                Some(refs) => Some(
                    refs.iter()
                        .map(|r| {
                            r.as_ref()
                                .map(|r| tensor_at(r, layers[l].name(), &calls))
                                .transpose()
                        })
                        .collect::<Result<Vec<_>>>()?,
                ),
                None => None,
            };
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
                        .node_output_shapes(&in_shapes, node_kwargs(&kwargs))
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
                masks,
                masks_cleared: Vec::new(),
            });
        }
        let mut calls: Vec<Vec<Call>> = calls
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
        keras_order::mark_cleared_masks(&layers, &mut calls, &tensors, &outputs);
        let mut last_use = vec![0usize; tensors.len()];
        for (pos, &(l, c)) in exec.iter().enumerate() {
            let masks = calls[l][c].masks.iter().flatten().flatten();
            for &t in calls[l][c].inputs.iter().chain(masks) {
                last_use[t] = pos;
            }
        }
        for &t in &outputs {
            last_use[t] = usize::MAX;
        }
        check_string_inputs(&layers, &calls, &tensors, &exec)?;
        let precision = layers
            .iter()
            .map(|l| match l {
                ModelLayer::Layer(layer) => precision::LayerPrecision::of(layer.as_ref()),
                _ => Default::default(),
            })
            .collect();
        let twins = layers.iter().map(|_| None).collect();
        Ok(Model {
            name,
            class_name,
            subclass: None,
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
            batch_split: learned_way::LearnedWay::batch_split(),
            slice_size: learned_way::LearnedWay::slice_size(),
            team_grain: learned_way::LearnedWay::team_grain(),
            memory_limit: None,
            dialect: Dialect::Tfjs,
            precision,
            twins,
        })
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

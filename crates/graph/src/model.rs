//! [`GraphModel`]: a loaded graph with its constants, ready to `execute`.

use crate::graph::{library_functions, parse_input_ref, strings_at, topology_of, Edge, Graph};
use crate::ops::{self, control::EXECUTOR_OPS, Ctx, OpFn, Value};
use crate::tensor::{DType, Data, Tensor};
use crate::{GraphError, Result};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, Weak};
use tfjs_format::codec::{decode_weights, TensorValues};
use tfjs_format::signature::{signature_tensors, tfjs_dtype_name};
use tfjs_format::topology::topological_order;
use tfjs_format::ModelArtifacts;
use tfjs_io::Router;

/// A model input or output as TF.js reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// The name `execute` accepts: the signature key, else the node name.
    pub name: String,
    /// The graph tensor (`node:index`).
    pub tensor: String,
    /// Dimensions (`-1` unknown), `None` when unknown.
    pub shape: Option<Vec<i64>>,
    /// `float32`, `int32`, `bool`, or the TF type name when TF.js has none.
    pub dtype: String,
}

/// Ops that must never be folded at load time even with constant inputs.
const NO_FOLD: &[&str] = &[
    "NonMaxSuppressionV2",
    "NonMaxSuppressionV3",
    "NonMaxSuppressionV4",
    "NonMaxSuppressionV5",
    "Where",
];

/// Largest tensor (elements) that constant folding may create; larger
/// results are computed at run time instead of being kept in memory.
const FOLD_MAX_ELEMENTS: usize = 1 << 22;

/// A TensorFlow.js graph model (`tf.loadGraphModel`).
#[derive(Debug)]
pub struct GraphModel {
    graph: Graph,
    /// Per node: its outputs when known at load (weights, inline values,
    /// folded constant subgraphs).
    consts: Vec<Option<Vec<Value>>>,
    ops: Vec<OpFn>,
    /// Per node: what its op keeps between executions.
    caches: Vec<crate::ops::NodeCache>,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
    has_control_flow: bool,
    /// `library.function[]` bodies (TF2 `If`/`While`), shared with the
    /// bodies themselves (weakly, so nested calls resolve without a cycle).
    library: Weak<OnceLock<Library>>,
    /// Keeps the library alive (top-level models only).
    library_owner: Option<Arc<OnceLock<Library>>>,
}

/// Compiled library functions by name.
type Library = HashMap<String, FunctionBody>;

/// A compiled `library.function[]` entry.
#[derive(Debug)]
struct FunctionBody {
    model: GraphModel,
    /// Input argument names, in order (fed as Placeholders of those names).
    args: Vec<String>,
    /// The tensors returned, in output-argument order.
    rets: Vec<String>,
}

/// Turn a FunctionDef into a GraphDef: one Placeholder per input argument,
/// node inputs `node:out_arg:idx` rewritten to `node:idx` (as TF.js does).
fn function_graph(f: &Json) -> Result<(String, Json, Vec<String>, Vec<String>)> {
    let name = f
        .pointer("/signature/name")
        .and_then(Json::as_str)
        .ok_or_else(|| GraphError::Model("a library function has no signature.name".into()))?
        .to_string();
    let arg_names = |key: &str| strings_at(f, &format!("/signature/{key}"), |x| x.get("name"));
    let args = arg_names("inputArg");
    let outs = arg_names("outputArg");
    let fix = |s: &str| -> String {
        let parts: Vec<&str> = s.split(':').collect();
        match parts.as_slice() {
            [n, _, i] => format!("{n}:{i}"),
            [n, _] if !n.starts_with('^') && parts[1].parse::<usize>().is_err() => n.to_string(),
            _ => s.to_string(),
        }
    };
    let mut nodes: Vec<Json> = args
        .iter()
        .map(|a| serde_json::json!({"name": a, "op": "Placeholder"}))
        .collect();
    for n in f
        .get("nodeDef")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let mut n = n.clone();
        if let Some(inputs) = n.get_mut("input").and_then(Json::as_array_mut) {
            for i in inputs.iter_mut() {
                if let Some(s) = i.as_str() {
                    *i = Json::String(fix(s));
                }
            }
        }
        nodes.push(n);
    }
    let rets = outs
        .iter()
        .map(|o| {
            f.get("ret")
                .and_then(|r| r.get(o))
                .and_then(Json::as_str)
                .map(fix)
                .ok_or_else(|| {
                    GraphError::Model(format!("function `{name}`: no ret for output `{o}`"))
                })
        })
        .collect::<Result<Vec<String>>>()?;
    Ok((name, serde_json::json!({ "node": nodes }), args, rets))
}

fn sig_infos(sig: Option<&Json>, key: &str) -> Option<Vec<TensorInfo>> {
    let tensors = signature_tensors(sig?, key)?;
    Some(
        tensors
            .into_iter()
            .map(|t| TensorInfo {
                name: t.key,
                tensor: t.tensor,
                shape: t.shape,
                dtype: t.dtype.unwrap_or_else(|| "float32".into()),
            })
            .collect(),
    )
}

/// The inputs and outputs TF.js reports: the signature's when it has them,
/// else the Placeholder nodes and the graph's sinks (nodes nothing consumes,
/// other than Const/Placeholder/NoOp).
pub fn io_infos(graph: &Graph, sig: Option<&Json>) -> (Vec<TensorInfo>, Vec<TensorInfo>) {
    let inputs = sig_infos(sig, "inputs").unwrap_or_else(|| {
        graph
            .nodes
            .iter()
            .filter(|n| n.op == "Placeholder")
            .map(|n| TensorInfo {
                name: n.name.clone(),
                tensor: format!("{}:0", n.name),
                shape: n.attr_shape("shape"),
                dtype: tfjs_dtype_name(n.attr_type("dtype").unwrap_or("DT_FLOAT")),
            })
            .collect()
    });
    let outputs = sig_infos(sig, "outputs").unwrap_or_else(|| {
        let mut has_child = vec![false; graph.nodes.len()];
        for n in &graph.nodes {
            for e in &n.inputs {
                has_child[e.node] = true;
            }
            for &c in &n.control {
                has_child[c] = true;
            }
        }
        graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| {
                !has_child[*i] && !matches!(n.op.as_str(), "NoOp" | "Const" | "Placeholder")
            })
            .map(|(_, n)| TensorInfo {
                name: format!("{}:0", n.name),
                tensor: format!("{}:0", n.name),
                shape: None,
                dtype: tfjs_dtype_name(n.attr_type("T").unwrap_or("DT_FLOAT")),
            })
            .collect()
    });
    (inputs, outputs)
}

/// Every unsupported op with the nodes that use it, `None` when all are known.
pub fn unsupported_ops<'a>(
    nodes: impl Iterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, Vec<String>> {
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, op) in nodes {
        if ops::lookup(op).is_none() {
            missing
                .entry(op.to_string())
                .or_default()
                .push(name.to_string());
        }
    }
    missing
}

/// Decoded weights as tensors, by manifest name.
pub fn weight_tensors(artifacts: &ModelArtifacts) -> Result<HashMap<String, Tensor>> {
    if artifacts.weight_specs.is_empty() {
        return Ok(HashMap::new());
    }
    let decoded = decode_weights(&artifacts.weight_specs, &artifacts.weight_data)?;
    decoded
        .into_iter()
        .map(|w| {
            let data = match w.values {
                TensorValues::Float32(v) => Data::F32(v),
                TensorValues::Int32(v) => Data::I32(v),
                TensorValues::Bool(v) => Data::Bool(v.into_iter().map(|b| b != 0).collect()),
                other => {
                    return Err(GraphError::Model(format!(
                        "weight `{}` has dtype {}, which graph execution does not support",
                        w.name,
                        other.dtype().as_str()
                    )))
                }
            };
            let t = Tensor::new(w.shape, data)
                .map_err(|e| GraphError::Model(format!("weight `{}`: {e}", w.name)))?;
            Ok((w.name, t))
        })
        .collect()
}

impl GraphModel {
    /// Load the model at `url` through `router` (any scheme it serves).
    pub async fn load(router: &Router, url: &str) -> Result<GraphModel> {
        let artifacts = router.load(url).await?;
        GraphModel::from_artifacts(&artifacts).map_err(|e| match e {
            GraphError::Model(m) => GraphError::Model(format!("{url}: {m}")),
            GraphError::Unsupported(m) => GraphError::Unsupported(format!("{url}: {m}")),
            other => other,
        })
    }

    /// Build from loaded artifacts. Fails, listing every problem of a kind at
    /// once, on unsupported ops (with their node names), dangling inputs and
    /// Const nodes without a value.
    pub fn from_artifacts(artifacts: &ModelArtifacts) -> Result<GraphModel> {
        let topology = topology_of(artifacts)?;
        // Unsupported ops first, from the raw node list, so that one error
        // names them all even when the graph has other problems.
        let (raw, _) = crate::graph::parse_raw(topology)?;
        let fn_nodes = crate::graph::function_nodes(topology);
        let missing = unsupported_ops(
            raw.iter()
                .map(|n| (n.name.as_str(), n.op.as_str()))
                .chain(fn_nodes.iter().map(|(n, o)| (n.as_str(), o.as_str()))),
        );
        if !missing.is_empty() {
            let list: Vec<String> = missing
                .iter()
                .map(|(op, nodes)| format!("{op} (nodes: {})", nodes.join(", ")))
                .collect();
            return Err(GraphError::Unsupported(list.join("; ")));
        }
        drop(raw);
        let graph = Graph::parse(topology)?;
        let mut weights = weight_tensors(artifacts)?;
        let mut consts: Vec<Option<Vec<Value>>> = vec![None; graph.nodes.len()];
        let mut no_value = Vec::new();
        for (i, n) in graph.nodes.iter().enumerate() {
            if n.op != "Const" {
                continue;
            }
            let t = match weights.remove(&n.name) {
                Some(t) => t,
                None => match n.attr_tensor("value") {
                    Some(t) => t?,
                    None => {
                        no_value.push(n.name.clone());
                        continue;
                    }
                },
            };
            consts[i] = Some(vec![Value::t(t)]);
        }
        if !no_value.is_empty() {
            return Err(GraphError::Model(format!(
                "Const node(s) with neither a weight nor an inline value: {}",
                no_value.join(", ")
            )));
        }
        let ops: Vec<OpFn> = graph
            .nodes
            .iter()
            .map(|n| ops::lookup(&n.op).expect("checked above"))
            .collect();
        let has_control_flow = graph.nodes.iter().any(|n| {
            EXECUTOR_OPS.contains(&n.op.as_str())
                && !matches!(
                    n.op.as_str(),
                    "Const" | "Placeholder" | "If" | "StatelessIf" | "While" | "StatelessWhile"
                )
        });
        let (inputs, outputs) = io_infos(&graph, artifacts.signature.as_ref());
        let owner = Arc::new(OnceLock::new());
        let caches = graph.nodes.iter().map(|_| Default::default()).collect();
        let mut model = GraphModel {
            graph,
            consts,
            ops,
            caches,
            inputs,
            outputs,
            has_control_flow,
            library: Arc::downgrade(&owner),
            library_owner: None,
        };
        model.fold_constants();
        let mut lib = Library::new();
        for f in library_functions(topology) {
            let (name, body, args, rets) = function_graph(f)?;
            let sub = ModelArtifacts {
                model_topology: Some(body),
                ..Default::default()
            };
            let mut fm = GraphModel::from_artifacts(&sub)
                .map_err(|e| GraphError::Model(format!("library function `{name}`: {e}")))?;
            fm.library = Arc::downgrade(&owner);
            lib.insert(
                name,
                FunctionBody {
                    model: fm,
                    args,
                    rets,
                },
            );
        }
        let _ = owner.set(lib);
        model.library_owner = Some(owner);
        Ok(model)
    }

    /// Run node `i`: functional control flow (`If`, `While`) here, every
    /// other op through the registry.
    pub(crate) fn call(&self, i: usize, inputs: &[Value]) -> Result<Vec<Value>> {
        let node = &self.graph.nodes[i];
        let ctx = Ctx {
            node,
            inputs,
            cache: self.caches.get(i),
        };
        match node.op.as_str() {
            "If" | "StatelessIf" => {
                let cond = ctx.t(0)?.data().to_bool();
                let branch = if cond.first().copied().unwrap_or(false) {
                    "then_branch"
                } else {
                    "else_branch"
                };
                self.run_function(&ctx, branch, &inputs[1..])
            }
            "While" | "StatelessWhile" => {
                let mut vars = inputs.to_vec();
                for _ in 0..crate::exec::MAX_LOOP_ITERATIONS {
                    let c = self.run_function(&ctx, "cond", &vars)?;
                    let go = match c.first() {
                        Some(Value::Tensor(t)) => {
                            t.data().to_bool().first().copied().unwrap_or(false)
                        }
                        _ => return Err(ctx.err("the loop condition did not return a tensor")),
                    };
                    if !go {
                        return Ok(vars);
                    }
                    vars = self.run_function(&ctx, "body", &vars)?;
                }
                Err(ctx.err("the loop did not end within the iteration limit"))
            }
            _ => (self.ops[i])(&ctx),
        }
    }

    /// Call the library function named by attribute `key` on `args`.
    fn run_function(&self, ctx: &Ctx, key: &str, args: &[Value]) -> Result<Vec<Value>> {
        let name = ctx
            .node
            .attr
            .get(key)
            .and_then(|v| v.pointer("/func/name"))
            .and_then(Json::as_str)
            .ok_or_else(|| ctx.err(format!("missing function attribute `{key}`")))?;
        let lib = self
            .library
            .upgrade()
            .ok_or_else(|| ctx.err("the function library is gone"))?;
        let body = lib
            .get()
            .and_then(|l| l.get(name))
            .ok_or_else(|| ctx.err(format!("no library function `{name}`")))?;
        if args.len() != body.args.len() {
            return Err(ctx.err(format!(
                "function `{name}` takes {} argument(s), got {}",
                body.args.len(),
                args.len()
            )));
        }
        let m = &body.model;
        let mut fed: HashMap<usize, Vec<Value>> = HashMap::new();
        for (a, v) in body.args.iter().zip(args) {
            fed.insert(m.resolve(a)?.node, vec![v.clone()]);
        }
        let outs = body
            .rets
            .iter()
            .map(|r| m.resolve(r))
            .collect::<Result<Vec<Edge>>>()?;
        if m.has_control_flow {
            crate::exec::run_dynamic(m, &fed, &outs)
        } else {
            m.run_static(&fed, &outs)
        }
        .map_err(|e| ctx.err(format!("in function `{name}`: {e}")))
    }

    /// Evaluate, once, every node whose inputs are all constant (shape
    /// arithmetic, weight transposes, …), so `execute` only runs what
    /// depends on the inputs.
    fn fold_constants(&mut self) {
        for i in self.topo_order_all() {
            let n = &self.graph.nodes[i];
            if self.consts[i].is_some()
                || n.inputs.is_empty()
                || !n.control.is_empty()
                || EXECUTOR_OPS.contains(&n.op.as_str())
                || NO_FOLD.contains(&n.op.as_str())
                || n.op.starts_with("TensorList")
                || n.op.starts_with("TensorArray")
            {
                continue;
            }
            let inputs: Option<Vec<Value>> = n
                .inputs
                .iter()
                .map(|e| {
                    self.consts[e.node]
                        .as_ref()
                        .and_then(|v| v.get(e.output).cloned())
                })
                .collect();
            let Some(inputs) = inputs else { continue };
            if let Ok(out) = (self.ops[i])(&Ctx {
                node: n,
                inputs: &inputs,
                cache: None,
            }) {
                let small = out.iter().all(|v| match v {
                    Value::Tensor(t) => t.len() <= FOLD_MAX_ELEMENTS,
                    Value::List(_) | Value::Array(_) => false,
                });
                if small {
                    self.consts[i] = Some(out);
                }
            }
        }
    }

    /// Nodes in an order where producers come first.
    fn topo_order_all(&self) -> Vec<usize> {
        let deps: Vec<Vec<usize>> = (self.graph.nodes.iter())
            .map(|node| {
                let data = node.inputs.iter().map(|e| e.node);
                data.chain(node.control.iter().copied()).collect()
            })
            .collect();
        // With loops, nodes on a cycle never become ready: only what is
        // reachable without passing through a cycle is folded.
        topological_order(&deps).0
    }

    /// The model's inputs (signature inputs, else the Placeholder nodes).
    pub fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    /// The model's outputs (signature outputs, else the graph's sinks).
    pub fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    /// The parsed graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Does the graph contain TF1 control flow (Switch/Merge/loops)?
    pub fn has_control_flow(&self) -> bool {
        self.has_control_flow
    }

    /// Resolve a name as TF.js `execute` does: a signature key (inputs or
    /// outputs), else `node:index` or `node`.
    pub fn resolve(&self, name: &str) -> Result<Edge> {
        let tensor = self
            .inputs
            .iter()
            .chain(&self.outputs)
            .find(|i| i.name == name)
            .map(|i| i.tensor.as_str())
            .unwrap_or(name);
        let (node, output, _) = parse_input_ref(tensor);
        let idx = self
            .graph
            .by_name
            .get(node)
            .or_else(|| self.graph.by_name.get(tensor))
            .ok_or_else(|| {
                GraphError::Input(format!(
                    "`{name}` names no signature key or node of the graph"
                ))
            })?;
        Ok(Edge { node: *idx, output })
    }

    /// Run the graph: `feeds` by input name, returning `outputs` (default:
    /// [`GraphModel::outputs`]) in order, like TF.js `model.execute` /
    /// `executeAsync`.
    pub fn execute(&self, feeds: &[(&str, Tensor)], outputs: &[&str]) -> Result<Vec<Tensor>> {
        let out_names: Vec<&str> = if outputs.is_empty() {
            self.outputs.iter().map(|o| o.name.as_str()).collect()
        } else {
            outputs.to_vec()
        };
        let out_edges = out_names
            .iter()
            .map(|n| self.resolve(n))
            .collect::<Result<Vec<Edge>>>()?;
        let mut fed: HashMap<usize, Vec<Value>> = HashMap::new();
        for (name, t) in feeds {
            let e = self.resolve(name)?;
            let node = &self.graph.nodes[e.node];
            if node.op == "Placeholder" {
                if let Some(dtype) = node.attr_type("dtype").and_then(DType::from_tf) {
                    if dtype != t.dtype() {
                        // TF.js casts on feed only for int types; we accept and cast.
                        fed.entry(e.node).or_default();
                        let v = fed.get_mut(&e.node).expect("inserted");
                        v.push(Value::t(t.clone().cast(dtype)));
                        continue;
                    }
                }
                check_feed_shape(name, node.attr_shape("shape").as_deref(), t.shape())?;
            }
            let v = fed.entry(e.node).or_default();
            if v.len() <= e.output {
                v.resize(e.output + 1, Value::t(Tensor::scalar_f32(0.0)));
            }
            v[e.output] = Value::t(t.clone());
        }
        let values = if self.has_control_flow {
            crate::exec::run_dynamic(self, &fed, &out_edges)?
        } else {
            self.run_static(&fed, &out_edges)?
        };
        out_edges
            .iter()
            .zip(values)
            .zip(&out_names)
            .map(|((_, v), name)| match v {
                Value::Tensor(t) => Ok(Arc::try_unwrap(t).unwrap_or_else(|a| (*a).clone())),
                Value::List(_) | Value::Array(_) => Err(GraphError::Input(format!(
                    "output `{name}` is a tensor list, not a tensor"
                ))),
            })
            .collect()
    }

    pub(crate) fn node_value(&self, i: usize) -> Option<&Vec<Value>> {
        self.consts[i].as_ref()
    }

    /// The nodes needed for `outputs`, producers first (stopping at fed and
    /// constant nodes).
    fn plan(&self, fed: &HashMap<usize, Vec<Value>>, outputs: &[Edge]) -> Result<Vec<usize>> {
        let n = self.graph.nodes.len();
        // 0 = unvisited, 1 = on the stack, 2 = done
        let mut state = vec![0u8; n];
        let mut order = Vec::new();
        for e in outputs {
            if state[e.node] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(e.node, 0)];
            state[e.node] = 1;
            while let Some(&mut (i, ref mut k)) = stack.last_mut() {
                let node = &self.graph.nodes[i];
                let leaf = fed.contains_key(&i) || self.consts[i].is_some();
                let deps: Vec<usize> = if leaf {
                    vec![]
                } else {
                    node.inputs
                        .iter()
                        .map(|e| e.node)
                        .chain(node.control.iter().copied())
                        .collect()
                };
                if *k < deps.len() {
                    let d = deps[*k];
                    *k += 1;
                    match state[d] {
                        0 => {
                            state[d] = 1;
                            stack.push((d, 0));
                        }
                        1 => {
                            return Err(GraphError::Model(format!(
                                "the graph has a cycle through node `{}` outside a loop",
                                self.graph.nodes[d].name
                            )))
                        }
                        _ => {}
                    }
                } else {
                    state[i] = 2;
                    order.push(i);
                    stack.pop();
                }
            }
        }
        Ok(order)
    }

    fn run_static(&self, fed: &HashMap<usize, Vec<Value>>, outputs: &[Edge]) -> Result<Vec<Value>> {
        let order = self.plan(fed, outputs)?;
        let n = self.graph.nodes.len();
        // Remaining consumers of each node's outputs, to free memory early.
        let mut uses = vec![0usize; n];
        let mut in_plan = vec![false; n];
        for &i in &order {
            in_plan[i] = true;
        }
        for &i in &order {
            if fed.contains_key(&i) || self.consts[i].is_some() {
                continue;
            }
            for e in &self.graph.nodes[i].inputs {
                uses[e.node] += 1;
            }
        }
        for e in outputs {
            uses[e.node] += 1;
        }
        let mut values: Vec<Option<Vec<Value>>> = vec![None; n];
        for &i in &order {
            let node = &self.graph.nodes[i];
            if let Some(v) = fed.get(&i) {
                values[i] = Some(v.clone());
                continue;
            }
            if let Some(v) = &self.consts[i] {
                values[i] = Some(v.clone());
                continue;
            }
            if node.op == "Placeholder" {
                return Err(GraphError::Input(format!(
                    "input `{}` was not given (the model needs it for the requested outputs)",
                    node.name
                )));
            }
            let inputs = node
                .inputs
                .iter()
                .map(|e| {
                    let v = values[e.node].as_ref().ok_or_else(|| GraphError::Op {
                        node: node.name.clone(),
                        op: node.op.clone(),
                        message: format!("input `{}` has no value", self.graph.nodes[e.node].name),
                    })?;
                    v.get(e.output).cloned().ok_or_else(|| GraphError::Op {
                        node: node.name.clone(),
                        op: node.op.clone(),
                        message: format!(
                            "input `{}:{}` does not exist ({} has {} output(s))",
                            self.graph.nodes[e.node].name,
                            e.output,
                            self.graph.nodes[e.node].op,
                            v.len()
                        ),
                    })
                })
                .collect::<Result<Vec<Value>>>()?;
            let out = self.call(i, &inputs)?;
            drop(inputs);
            for e in &node.inputs {
                uses[e.node] -= 1;
                if uses[e.node] == 0 {
                    values[e.node] = None;
                }
            }
            values[i] = Some(out);
        }
        outputs
            .iter()
            .map(|e| {
                values[e.node]
                    .as_ref()
                    .and_then(|v| v.get(e.output).cloned())
                    .ok_or_else(|| {
                        GraphError::Input(format!(
                            "node `{}` has no output {}",
                            self.graph.nodes[e.node].name, e.output
                        ))
                    })
            })
            .collect()
    }
}

fn check_feed_shape(name: &str, want: Option<&[i64]>, got: &[usize]) -> Result<()> {
    let Some(want) = want else { return Ok(()) };
    let ok = want.len() == got.len()
        && want
            .iter()
            .zip(got)
            .all(|(&w, &g)| w < 0 || w as usize == g);
    if ok {
        Ok(())
    } else {
        Err(GraphError::Input(format!(
            "input `{name}`: shape {got:?} does not match the placeholder's {want:?}"
        )))
    }
}

//! The GraphDef JSON of a graph model's `modelTopology`: nodes, their inputs
//! and attributes (TensorFlow `AttrValue` in protobuf JSON form).

use crate::tensor::{DType, Data, Tensor};
use crate::{GraphError, Result};
use base64::Engine;
use serde_json::{Map, Value};
use std::collections::HashMap;
use tfjs_format::signature::tensor_shape;
use tfjs_format::ModelArtifacts;

/// A data input of a node: output `output` of node `node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edge {
    /// Index of the producing node in [`Graph::nodes`].
    pub node: usize,
    /// Which output of it.
    pub output: usize,
}

/// One `node[]` entry.
#[derive(Debug, Clone)]
pub struct Node {
    /// `name`.
    pub name: String,
    /// `op`.
    pub op: String,
    /// Data inputs, in order.
    pub inputs: Vec<Edge>,
    /// `^name` control inputs.
    pub control: Vec<usize>,
    /// `attr`, verbatim.
    pub attr: Map<String, Value>,
}

/// A parsed, resolved graph.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Nodes in file order.
    pub nodes: Vec<Node>,
    /// Node name → index.
    pub by_name: HashMap<String, usize>,
    /// Names of `library.function[]` entries (control-flow bodies).
    pub functions: Vec<String>,
}

/// A node as written, before its inputs are resolved.
#[derive(Debug, Clone)]
pub struct RawNode {
    /// `name`.
    pub name: String,
    /// `op`.
    pub op: String,
    /// `input[]` strings as written (`name`, `name:1`, `^control`).
    pub inputs: Vec<String>,
    /// `attr`.
    pub attr: Map<String, Value>,
}

/// Split an input reference into (node name, output index, is control).
pub fn parse_input_ref(s: &str) -> (&str, usize, bool) {
    if let Some(rest) = s.strip_prefix('^') {
        return (rest, 0, true);
    }
    match s.rsplit_once(':') {
        Some((name, idx)) => match idx.parse::<usize>() {
            Ok(i) => (name, i, false),
            Err(_) => (s, 0, false),
        },
        None => (s, 0, false),
    }
}

/// The GraphDef JSON of `artifacts` (`modelTopology`); an error when absent or null.
pub(crate) fn topology_of(artifacts: &ModelArtifacts) -> Result<&Value> {
    artifacts
        .model_topology
        .as_ref()
        .filter(|t| !t.is_null())
        .ok_or_else(|| GraphError::Model("the model artifacts have no modelTopology".into()))
}

/// The FunctionDefs of `library.function` (none when there is no library).
pub(crate) fn library_functions(topology: &Value) -> impl Iterator<Item = &Value> {
    topology
        .pointer("/library/function")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The strings `pick` finds in the elements of the array at `pointer` in
/// `v` (elements without one are skipped; none when there is no array).
pub(crate) fn strings_at(
    v: &Value,
    pointer: &str,
    pick: impl Fn(&Value) -> Option<&Value>,
) -> Vec<String> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| pick(x).and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Parse `modelTopology.node[]` (and the function names of `library`).
pub fn parse_raw(topology: &Value) -> Result<(Vec<RawNode>, Vec<String>)> {
    let nodes = topology
        .get("node")
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::Model("modelTopology has no `node` list".into()))?;
    let mut out = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let name = n
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| GraphError::Model(format!("node[{i}] has no string `name`")))?
            .to_string();
        let op = n
            .get("op")
            .and_then(Value::as_str)
            .ok_or_else(|| GraphError::Model(format!("node `{name}` has no string `op`")))?
            .to_string();
        let inputs = match n.get("input") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str().map(str::to_string).ok_or_else(|| {
                        GraphError::Model(format!("node `{name}`: input {x} is not a string"))
                    })
                })
                .collect::<Result<_>>()?,
            Some(x) => {
                return Err(GraphError::Model(format!(
                    "node `{name}`: `input` must be a list, got {x}"
                )))
            }
        };
        let attr = match n.get("attr") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(x) => {
                return Err(GraphError::Model(format!(
                    "node `{name}`: `attr` must be an object, got {x}"
                )))
            }
        };
        out.push(RawNode {
            name,
            op,
            inputs,
            attr,
        });
    }
    let functions = strings_at(topology, "/library/function", |f| {
        f.pointer("/signature/name")
    });
    Ok((out, functions))
}

/// `(node name, op)` of every `library.function[].nodeDef`, the name
/// prefixed with its function (`function/node`).
pub fn function_nodes(topology: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in library_functions(topology) {
        let fname = f
            .pointer("/signature/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        for n in f
            .get("nodeDef")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = n.get("name").and_then(Value::as_str).unwrap_or("?");
            let op = n.get("op").and_then(Value::as_str).unwrap_or("");
            out.push((format!("{fname}/{name}"), op.to_string()));
        }
    }
    out
}

/// Inputs that name no node: (node, input as written).
pub fn dangling_inputs(raw: &[RawNode]) -> Vec<(String, String)> {
    let names: std::collections::HashSet<&str> = raw.iter().map(|n| n.name.as_str()).collect();
    let mut out = Vec::new();
    for n in raw {
        for i in &n.inputs {
            if !names.contains(parse_input_ref(i).0) {
                out.push((n.name.clone(), i.clone()));
            }
        }
    }
    out
}

impl Graph {
    /// Parse and resolve a GraphDef; errors list every dangling input and
    /// duplicate name at once.
    pub fn parse(topology: &Value) -> Result<Graph> {
        let (raw, functions) = parse_raw(topology)?;
        let mut by_name = HashMap::with_capacity(raw.len());
        let mut problems = Vec::new();
        for (i, n) in raw.iter().enumerate() {
            if by_name.insert(n.name.clone(), i).is_some() {
                problems.push(format!("duplicate node name `{}`", n.name));
            }
        }
        for (node, input) in dangling_inputs(&raw) {
            problems.push(format!(
                "node `{node}` has input `{input}`, which names no node"
            ));
        }
        if !problems.is_empty() {
            return Err(GraphError::Model(problems.join("; ")));
        }
        let nodes = raw
            .into_iter()
            .map(|r| {
                let mut inputs = Vec::new();
                let mut control = Vec::new();
                for s in &r.inputs {
                    let (name, output, is_control) = parse_input_ref(s);
                    let node = by_name[name];
                    if is_control {
                        control.push(node);
                    } else {
                        inputs.push(Edge { node, output });
                    }
                }
                Node {
                    name: r.name,
                    op: r.op,
                    inputs,
                    control,
                    attr: r.attr,
                }
            })
            .collect();
        Ok(Graph {
            nodes,
            by_name,
            functions,
        })
    }
}

fn num_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn num_f32(v: &Value) -> Option<f32> {
    match v {
        Value::Number(n) => n.as_f64().map(|x| x as f32),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f32::NAN),
            "Infinity" => Some(f32::INFINITY),
            "-Infinity" => Some(f32::NEG_INFINITY),
            _ => s.parse().ok(),
        },
        _ => None,
    }
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

impl Node {
    fn attr(&self, key: &str) -> Option<&Value> {
        self.attr.get(key)
    }

    /// Integer attribute `i`.
    pub fn attr_i(&self, key: &str) -> Option<i64> {
        self.attr(key).and_then(|v| v.get("i")).and_then(num_i64)
    }

    /// Float attribute `f`.
    pub fn attr_f(&self, key: &str) -> Option<f32> {
        self.attr(key).and_then(|v| v.get("f")).and_then(num_f32)
    }

    /// Bool attribute `b`.
    pub fn attr_b(&self, key: &str) -> Option<bool> {
        self.attr(key)
            .and_then(|v| v.get("b"))
            .and_then(Value::as_bool)
    }

    /// String attribute `s` (base64 in the JSON), decoded as UTF-8.
    pub fn attr_s(&self, key: &str) -> Option<String> {
        self.attr(key)
            .and_then(|v| v.get("s"))
            .and_then(Value::as_str)
            .and_then(b64)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Type attribute (`DT_*` name).
    pub fn attr_type(&self, key: &str) -> Option<&str> {
        self.attr(key)
            .and_then(|v| v.get("type"))
            .and_then(Value::as_str)
    }

    /// Integer list attribute; an empty `list` is `Some(vec![])`.
    pub fn attr_list_i(&self, key: &str) -> Option<Vec<i64>> {
        let l = self.attr(key)?.get("list")?;
        Some(
            l.get("i")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(num_i64).collect())
                .unwrap_or_default(),
        )
    }

    /// String list attribute, decoded.
    pub fn attr_list_s(&self, key: &str) -> Option<Vec<String>> {
        let l = self.attr(key)?.get("list")?;
        Some(
            l.get("s")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter_map(b64)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    /// Shape attribute.
    pub fn attr_shape(&self, key: &str) -> Option<Vec<i64>> {
        self.attr(key)
            .and_then(|v| v.get("shape"))
            .and_then(tensor_shape)
    }

    /// Tensor attribute (`value` of an inline Const).
    pub fn attr_tensor(&self, key: &str) -> Option<Result<Tensor>> {
        self.attr(key)
            .and_then(|v| v.get("tensor"))
            .map(|t| parse_tensor_proto(t, &self.name))
    }
}

/// A `TensorProto` in JSON (`dtype`, `tensorShape`, then `tensorContent`
/// base64 little-endian bytes or the typed `*Val` lists, where a single
/// value fills the whole tensor as TensorFlow does).
pub fn parse_tensor_proto(t: &Value, node: &str) -> Result<Tensor> {
    let bad = |m: String| GraphError::Model(format!("node `{node}`: tensor value: {m}"));
    let tf_dtype = t.get("dtype").and_then(Value::as_str).unwrap_or("DT_FLOAT");
    let dtype =
        DType::from_tf(tf_dtype).ok_or_else(|| bad(format!("unsupported dtype {tf_dtype}")))?;
    let dims = t
        .get("tensorShape")
        .and_then(tensor_shape)
        .unwrap_or_default();
    let shape = dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| bad(format!("bad dimension {d}"))))
        .collect::<Result<Vec<usize>>>()?;
    let n = crate::tensor::num_elements(&shape)
        .filter(|&n| n <= 1 << 28)
        .ok_or_else(|| bad(format!("shape {shape:?} is too large")))?;
    if let Some(content) = t.get("tensorContent").and_then(Value::as_str) {
        let bytes = b64(content).ok_or_else(|| bad("tensorContent is not base64".into()))?;
        let width = match tf_dtype {
            "DT_FLOAT" | "DT_INT32" | "DT_UINT32" => 4,
            "DT_INT64" | "DT_UINT64" | "DT_DOUBLE" => 8,
            "DT_INT16" | "DT_UINT16" | "DT_HALF" | "DT_BFLOAT16" => 2,
            _ => 1,
        };
        if bytes.len() != n * width {
            return Err(bad(format!(
                "tensorContent has {} bytes, shape {shape:?} of {tf_dtype} needs {}",
                bytes.len(),
                n * width
            )));
        }
        let c = bytes.chunks_exact(width);
        let data = match tf_dtype {
            "DT_FLOAT" => Data::F32(
                c.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            ),
            "DT_DOUBLE" => Data::F32(
                c.map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as f32)
                    .collect(),
            ),
            "DT_INT32" | "DT_UINT32" => Data::I32(
                c.map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            ),
            "DT_INT64" | "DT_UINT64" => Data::I32(
                c.map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as i32)
                    .collect(),
            ),
            "DT_INT16" => Data::I32(c.map(|b| i16::from_le_bytes([b[0], b[1]]) as i32).collect()),
            "DT_UINT16" => Data::I32(c.map(|b| u16::from_le_bytes([b[0], b[1]]) as i32).collect()),
            "DT_INT8" => Data::I32(c.map(|b| b[0] as i8 as i32).collect()),
            "DT_UINT8" => Data::I32(c.map(|b| b[0] as i32).collect()),
            "DT_BOOL" => Data::Bool(c.map(|b| b[0] != 0).collect()),
            other => return Err(bad(format!("tensorContent of {other} is not supported"))),
        };
        return Tensor::new(shape, data);
    }
    let list = |key: &str| t.get(key).and_then(Value::as_array);
    let data = match dtype {
        DType::F32 => {
            let v: Vec<f32> = list("floatVal")
                .or_else(|| list("doubleVal"))
                .map(|a| a.iter().filter_map(num_f32).collect())
                .unwrap_or_default();
            Data::F32(fill(v, n, 0.0))
        }
        DType::I32 => {
            let v: Vec<i32> = list("intVal")
                .or_else(|| list("int64Val"))
                .map(|a| a.iter().filter_map(num_i64).map(|x| x as i32).collect())
                .unwrap_or_default();
            Data::I32(fill(v, n, 0))
        }
        DType::Bool => {
            let v: Vec<bool> = list("boolVal")
                .map(|a| a.iter().filter_map(Value::as_bool).collect())
                .unwrap_or_default();
            Data::Bool(fill(v, n, false))
        }
    };
    Tensor::new(shape, data)
}

/// TensorProto's repeated-value shorthand: fewer values than elements repeat
/// the last one.
fn fill<T: Copy>(mut v: Vec<T>, n: usize, zero: T) -> Vec<T> {
    if v.len() < n {
        let last = v.last().copied().unwrap_or(zero);
        v.resize(n, last);
    }
    v.truncate(n);
    v
}

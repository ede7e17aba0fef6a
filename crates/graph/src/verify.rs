//! [`verify`]: every structural problem of a graph model at once (for
//! `tfjs verify`), without running it.

use crate::graph::{dangling_inputs, parse_input_ref, parse_raw, topology_of};
use crate::model::unsupported_ops;
use crate::Result;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use tfjs_format::ModelArtifacts;

/// One problem found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphProblem {
    /// An op with no implementation, and the nodes that use it.
    UnsupportedOp {
        /// The op.
        op: String,
        /// Nodes using it.
        nodes: Vec<String>,
    },
    /// A node input naming no node.
    DanglingInput {
        /// The consuming node.
        node: String,
        /// The input as written.
        input: String,
    },
    /// Two nodes with one name.
    DuplicateNode(String),
    /// Nodes on a cycle that is not a loop (not closed by NextIteration).
    Cycle(Vec<String>),
    /// A weight no Const node uses.
    UnusedWeight(String),
    /// A Const node with neither a weight nor an inline `value`.
    ConstWithoutValue(String),
}

impl std::fmt::Display for GraphProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GraphProblem::UnsupportedOp { op, nodes } => {
                write!(f, "unsupported op {op} (nodes: {})", nodes.join(", "))
            }
            GraphProblem::DanglingInput { node, input } => {
                write!(f, "node `{node}` has input `{input}`, which names no node")
            }
            GraphProblem::DuplicateNode(n) => write!(f, "more than one node is named `{n}`"),
            GraphProblem::Cycle(nodes) => write!(
                f,
                "cycle outside a loop through nodes: {}",
                nodes.join(", ")
            ),
            GraphProblem::UnusedWeight(w) => {
                write!(f, "weight `{w}` is not used by any Const node")
            }
            GraphProblem::ConstWithoutValue(n) => write!(
                f,
                "Const node `{n}` has neither a weight nor an inline value"
            ),
        }
    }
}

impl GraphProblem {
    /// Short machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            GraphProblem::UnsupportedOp { .. } => "unsupported-op",
            GraphProblem::DanglingInput { .. } => "dangling-input",
            GraphProblem::DuplicateNode(_) => "duplicate-node",
            GraphProblem::Cycle(_) => "cycle",
            GraphProblem::UnusedWeight(_) => "unused-weight",
            GraphProblem::ConstWithoutValue(_) => "const-without-value",
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> Value {
        json!({"kind": self.kind(), "message": self.to_string()})
    }
}

/// Check a graph model's structure; an empty list means no problems.
/// Errors only when the topology is not a GraphDef at all.
pub fn verify(artifacts: &ModelArtifacts) -> Result<Vec<GraphProblem>> {
    let topology = topology_of(artifacts)?;
    let (raw, _) = parse_raw(topology)?;
    let fn_nodes = crate::graph::function_nodes(topology);
    let mut problems = Vec::new();
    for (op, nodes) in unsupported_ops(
        raw.iter()
            .map(|n| (n.name.as_str(), n.op.as_str()))
            .chain(fn_nodes.iter().map(|(n, o)| (n.as_str(), o.as_str()))),
    ) {
        problems.push(GraphProblem::UnsupportedOp { op, nodes });
    }
    for (node, input) in dangling_inputs(&raw) {
        problems.push(GraphProblem::DanglingInput { node, input });
    }
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, n) in raw.iter().enumerate() {
        if index.insert(n.name.as_str(), i).is_some() {
            problems.push(GraphProblem::DuplicateNode(n.name.clone()));
        }
    }
    // Cycles: Kahn's algorithm without the NextIteration → Merge back edges.
    let deps: Vec<Vec<usize>> = (raw.iter())
        .map(|node| {
            (node.inputs.iter())
                .filter_map(|s| index.get(parse_input_ref(s).0).copied())
                .filter(|&p| raw[p].op != "NextIteration" && raw[p].op != "RefNextIteration")
                .collect()
        })
        .collect();
    let (_, stuck) = tfjs_format::topology::topological_order(&deps);
    if !stuck.is_empty() {
        problems.push(GraphProblem::Cycle(
            stuck.into_iter().map(|i| raw[i].name.clone()).collect(),
        ));
    }
    let weight_names: HashSet<&str> = artifacts
        .weight_specs
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    let const_names: HashSet<&str> = raw
        .iter()
        .filter(|r| r.op == "Const")
        .map(|r| r.name.as_str())
        .collect();
    for w in &artifacts.weight_specs {
        if !const_names.contains(w.name.as_str()) {
            problems.push(GraphProblem::UnusedWeight(w.name.clone()));
        }
    }
    for r in raw.iter().filter(|r| r.op == "Const") {
        let inline = r.attr.get("value").and_then(|v| v.get("tensor")).is_some();
        if !weight_names.contains(r.name.as_str()) && !inline {
            problems.push(GraphProblem::ConstWithoutValue(r.name.clone()));
        }
    }
    Ok(problems)
}

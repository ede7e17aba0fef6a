//! TensorFlow.js graph models (`tf.loadGraphModel`) in Rust.
//!
//! A graph model's `model.json` carries a TensorFlow GraphDef in JSON
//! (`modelTopology.node[]`), an optional `signature`, and weights for its
//! `Const` nodes in the usual weights manifest. [`GraphModel`] parses the
//! graph, checks every op is supported (listing all that are not, with their
//! nodes, at load), binds the weights, folds constant subgraphs, and
//! [`GraphModel::execute`]s it like TF.js `model.execute` / `executeAsync`:
//! only the nodes the requested outputs need run, each tensor is freed after
//! its last use, and convolutions and matrix products use the same
//! `tfjs-kernels` as the layers engine.
//!
//! [`summary`] and [`verify`] describe and check a graph model without running it.

// `is_multiple_of` needs Rust 1.87; the workspace MSRV is 1.85.
#![allow(clippy::manual_is_multiple_of)]

pub mod error;
pub mod exec;
pub mod graph;
pub mod model;
pub mod ops;
pub mod summary;
pub mod tensor;
pub mod verify;

pub use error::{GraphError, Result};
pub use model::{GraphModel, TensorInfo};
pub use summary::{summary, GraphSummary};
pub use tensor::{DType, Data, Tensor};
pub use verify::{verify, GraphProblem};

/// Is this a graph model (`format: "graph-model"`, or a topology with a
/// GraphDef `node` list)?
pub fn is_graph_model(artifacts: &tfjs_format::ModelArtifacts) -> bool {
    artifacts.format.as_deref() == Some("graph-model")
        || artifacts
            .model_topology
            .as_ref()
            .is_some_and(|t| t.get("node").is_some_and(serde_json::Value::is_array))
}

//! [`summary`]: what a graph model is, without running it (for `tfjs info`).

use crate::graph::{parse_raw, topology_of, Graph};
use crate::model::{io_infos, TensorInfo};
use crate::ops::control::EXECUTOR_OPS;
use crate::Result;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tfjs_format::ModelArtifacts;

/// Control-flow ops (TF1 loops/conds, TF2 functional control flow, lists).
pub const CONTROL_FLOW_OPS: &[&str] = &[
    "Switch",
    "Merge",
    "Enter",
    "Exit",
    "NextIteration",
    "LoopCond",
    "While",
    "StatelessWhile",
    "If",
    "StatelessIf",
    "TensorArrayV3",
    "TensorArrayReadV3",
    "TensorArrayWriteV3",
    "TensorArrayGatherV3",
    "TensorArrayScatterV3",
    "TensorArraySizeV3",
    "TensorListReserve",
    "TensorListFromTensor",
    "TensorListGetItem",
    "TensorListSetItem",
    "TensorListStack",
    "NonMaxSuppressionV2",
    "NonMaxSuppressionV3",
    "NonMaxSuppressionV4",
    "NonMaxSuppressionV5",
    "Where",
];

/// Weight bytes of one (dtype, quantization) kind.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightKind {
    /// Manifest dtype (`float32`, `int32`, …).
    pub dtype: String,
    /// Quantization dtype (`uint8`, `uint16`, `float16`), `None` if not quantized.
    pub quantization: Option<String>,
    /// Number of weights.
    pub count: usize,
    /// Stored bytes.
    pub bytes: u64,
}

/// A description of a graph model.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphSummary {
    /// `format`.
    pub format: Option<String>,
    /// `generatedBy` (the producer).
    pub generated_by: Option<String>,
    /// `convertedBy`.
    pub converted_by: Option<String>,
    /// `modelTopology.versions.producer`.
    pub graph_producer: Option<i64>,
    /// Inputs: signature inputs, else Placeholders (shape and dtype).
    pub inputs: Vec<TensorInfo>,
    /// Outputs: signature outputs, else the graph's sinks.
    pub outputs: Vec<TensorInfo>,
    /// Whether the model.json has a `signature`.
    pub has_signature: bool,
    /// Node count.
    pub nodes: usize,
    /// Node count per op.
    pub ops: BTreeMap<String, usize>,
    /// Control-flow / dynamic ops present.
    pub control_flow: Vec<String>,
    /// `library.function[]` names.
    pub functions: Vec<String>,
    /// Weights by dtype and quantization.
    pub weights: Vec<WeightKind>,
    /// Total stored weight bytes.
    pub weight_bytes: u64,
    /// Whether `modelInitializer` is present.
    pub has_model_initializer: bool,
}

impl GraphSummary {
    /// As JSON (for `--json` output).
    pub fn to_json(&self) -> Value {
        let info = |t: &TensorInfo| json!({"name": t.name, "tensor": t.tensor, "shape": t.shape, "dtype": t.dtype});
        json!({
            "format": self.format, "generatedBy": self.generated_by, "convertedBy": self.converted_by,
            "graphProducer": self.graph_producer,
            "inputs": self.inputs.iter().map(info).collect::<Vec<_>>(),
            "outputs": self.outputs.iter().map(info).collect::<Vec<_>>(),
            "hasSignature": self.has_signature, "nodes": self.nodes, "ops": self.ops,
            "controlFlow": self.control_flow, "functions": self.functions,
            "weights": self.weights.iter().map(|w| json!({"dtype": w.dtype, "quantization": w.quantization, "count": w.count, "bytes": w.bytes})).collect::<Vec<_>>(),
            "weightBytes": self.weight_bytes, "hasModelInitializer": self.has_model_initializer,
        })
    }
}

/// Describe a graph model from its artifacts (no weights are decoded and
/// no op support is required).
pub fn summary(artifacts: &ModelArtifacts) -> Result<GraphSummary> {
    let topology = topology_of(artifacts)?;
    let (raw, functions) = parse_raw(topology)?;
    let mut ops: BTreeMap<String, usize> = BTreeMap::new();
    for n in &raw {
        *ops.entry(n.op.clone()).or_default() += 1;
    }
    let control_flow = ops
        .keys()
        .filter(|o| {
            CONTROL_FLOW_OPS.contains(&o.as_str())
                || (EXECUTOR_OPS.contains(&o.as_str()) && *o != "Const" && *o != "Placeholder")
        })
        .cloned()
        .collect();
    // Inputs/outputs need resolved edges; a graph with dangling inputs still
    // gets its signature (or nothing) described.
    let (inputs, outputs) = match Graph::parse(topology) {
        Ok(g) => io_infos(&g, artifacts.signature.as_ref()),
        Err(_) => io_infos(&Graph::default(), artifacts.signature.as_ref()),
    };
    let mut kinds: BTreeMap<(String, Option<String>), (usize, u64)> = BTreeMap::new();
    let mut total = 0u64;
    for spec in &artifacts.weight_specs {
        let bytes = tfjs_format::codec::stored_byte_len(spec)
            .ok()
            .flatten()
            .unwrap_or(0);
        total += bytes;
        let k = kinds
            .entry((
                spec.dtype.as_str().to_string(),
                spec.quantization
                    .as_ref()
                    .map(|q| q.dtype.as_str().to_string()),
            ))
            .or_default();
        k.0 += 1;
        k.1 += bytes;
    }
    Ok(GraphSummary {
        format: artifacts.format.clone(),
        generated_by: artifacts.generated_by.clone(),
        converted_by: artifacts
            .converted_by
            .as_ref()
            .and_then(|v| v.as_str())
            .map(str::to_string),
        graph_producer: topology.pointer("/versions/producer").and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        }),
        inputs,
        outputs,
        has_signature: artifacts.signature.as_ref().is_some_and(|s| !s.is_null()),
        nodes: raw.len(),
        ops,
        control_flow,
        functions,
        weights: kinds
            .into_iter()
            .map(|((dtype, quantization), (count, bytes))| WeightKind {
                dtype,
                quantization,
                count,
                bytes,
            })
            .collect(),
        weight_bytes: total,
        has_model_initializer: artifacts
            .model_initializer
            .as_ref()
            .is_some_and(|v| !v.is_null()),
    })
}

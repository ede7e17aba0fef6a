//! What a stored model takes and gives (its inputs and outputs), and the
//! check that an uploaded layers topology can be built at all.
//!
//! Layers models are parsed and built by `tfjs-layers` (weights allocated
//! lazily as zeros, never decoded): that catches what TensorFlow.js's
//! `loadLayersModel` would refuse (a layer without `class_name` or config,
//! inbound nodes naming missing layers, cycles, `units: -5`), with the
//! layer and field named. Models using layer classes this build does not
//! know (custom layers) are only parsed. Graph models (`"graph-model"`)
//! report the converter's `signature`.

use serde::Serialize;
use serde_json::Value;
use tfjs_format::signature::signature_tensors;
use tfjs_format::ModelArtifacts;
use tfjs_layers::topology::parse_topology;
use tfjs_layers::{LayerRegistry, LayersError, Model};

/// One input or output tensor of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TensorInfo {
    /// The input layer / output layer name (layers models) or the tensor
    /// name (`x:0`, graph models).
    pub name: String,
    /// Batch first; `null` for a free dimension; `None` when unknown.
    pub shape: Option<Vec<Option<u64>>>,
    /// `float32`, `int32`, … (`None` when unknown).
    pub dtype: Option<String>,
}

/// A model's inputs and outputs, in model order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModelIo {
    pub inputs: Vec<TensorInfo>,
    pub outputs: Vec<TensorInfo>,
}

/// Most layers (nested models included) an uploaded topology may have.
/// Building allocates each layer's weights (lazily zeroed, up to 2^30
/// elements each in tfjs-layers), so the layer count bounds what one
/// upload's check can reserve; real models have a few thousand at most.
pub const MAX_LAYERS: usize = 10_000;

fn count_layers(spec: &tfjs_layers::topology::ModelSpec) -> usize {
    use tfjs_layers::topology::LayerKind;
    spec.layers
        .iter()
        .map(|l| match &l.kind {
            LayerKind::Nested(m) => 1 + count_layers(m),
            _ => 1,
        })
        .sum()
}

fn is_graph_model(a: &ModelArtifacts) -> bool {
    a.format.as_deref() == Some("graph-model")
        || a.model_topology
            .as_ref()
            .is_some_and(|t| t.get("node").is_some() && t.get("class_name").is_none())
}

/// Check an uploaded topology and describe its inputs and outputs. `Err`
/// says what cannot be built (layer and field named), for a 400 answer.
pub fn inspect(a: &ModelArtifacts) -> Result<ModelIo, String> {
    if is_graph_model(a) {
        return Ok(graph_io(a.signature.as_ref()));
    }
    let Some(topology) = a.model_topology.as_ref() else {
        return Ok(ModelIo::default());
    };
    let spec = parse_topology(topology).map_err(|e| e.to_string())?;
    let layers = count_layers(&spec);
    if layers > MAX_LAYERS {
        return Err(format!(
            "the topology has {layers} layers (nested models included), more than the limit of {MAX_LAYERS}"
        ));
    }
    let registry = LayerRegistry::with_builtins();
    let shape = |s: &[Option<usize>]| Some(s.iter().map(|d| d.map(|x| x as u64)).collect());
    match Model::from_spec(&spec, &registry) {
        Ok(model) => Ok(ModelIo {
            inputs: model
                .inputs()
                .into_iter()
                .map(|i| TensorInfo {
                    name: i.name.clone(),
                    shape: shape(&i.batch_shape),
                    dtype: Some(i.dtype.clone()),
                })
                .collect(),
            outputs: model
                .output_names()
                .into_iter()
                .zip(model.output_shapes())
                .map(|(name, s)| TensorInfo {
                    name: name.to_string(),
                    shape: shape(&s),
                    // TensorFlow.js 4.22 types every layer output float32
                    // (`guessOutputDType` in tfjs-layers' topology.ts).
                    dtype: Some("float32".into()),
                })
                .collect(),
        }),
        // Custom layer classes: TensorFlow.js loads such models where they
        // are registered; the store keeps them, described from the parse.
        Err(LayersError::Topology { message }) if message.starts_with("Unknown layer class") => {
            Ok(spec_io(&spec))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Inputs and outputs from a parsed (not built) topology: input shapes and
/// dtypes as written, output shapes unknown.
fn spec_io(spec: &tfjs_layers::topology::ModelSpec) -> ModelIo {
    use tfjs_layers::topology::LayerKind;
    let inputs = spec
        .inputs
        .iter()
        .map(|r| {
            let layer = spec.layers.iter().find(|l| l.name == r.layer);
            let input = layer.and_then(|l| match &l.kind {
                LayerKind::Input(i) => Some(i),
                _ => None,
            });
            TensorInfo {
                name: r.layer.clone(),
                shape: input.map(|i| i.batch_shape.iter().map(|d| d.map(|x| x as u64)).collect()),
                dtype: input.map(|i| i.dtype.clone()),
            }
        })
        .collect();
    let outputs = spec
        .outputs
        .iter()
        .map(|r| TensorInfo {
            name: r.layer.clone(),
            shape: None,
            dtype: Some("float32".into()),
        })
        .collect();
    ModelIo { inputs, outputs }
}

fn signature_side(signature: Option<&Value>, side: &str) -> Vec<TensorInfo> {
    let tensors = signature.and_then(|s| signature_tensors(s, side));
    tensors
        .unwrap_or_default()
        .into_iter()
        .map(|t| TensorInfo {
            name: t.tensor,
            shape: t
                .shape
                .map(|dims| dims.into_iter().map(|d| u64::try_from(d).ok()).collect()),
            dtype: t.dtype,
        })
        .collect()
}

/// A graph model's inputs and outputs from its converter `signature`
/// (empty when the model.json has none).
pub fn graph_io(signature: Option<&Value>) -> ModelIo {
    ModelIo {
        inputs: signature_side(signature, "inputs"),
        outputs: signature_side(signature, "outputs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn graph_signatures_name_dtypes_and_free_dims() {
        let sig = json!({"inputs": {"input": {"name": "input:0", "dtype": "DT_FLOAT",
            "tensorShape": {"dim": [{"size": "-1"}, {"size": "128"}]}}},
            "outputs": {"o": {"name": "Identity:0", "dtype": "DT_INT32", "tensorShape": {"unknownRank": true}}}});
        let io = graph_io(Some(&sig));
        assert_eq!(
            io.inputs,
            vec![TensorInfo {
                name: "input:0".into(),
                shape: Some(vec![None, Some(128)]),
                dtype: Some("float32".into())
            }]
        );
        assert_eq!(io.outputs[0].shape, None);
        assert_eq!(io.outputs[0].dtype.as_deref(), Some("int32"));
        assert_eq!(graph_io(None), ModelIo::default());
    }
}

//! Graph models (`format: "graph-model"`): GraphDef parsing, `summary`,
//! `verify`, the load (op check, weight binding, constant folding) and one
//! `execute` on small inputs of the signature's shapes.
//!
//! Input: `u16 LE n` · `n` bytes of a model.json · weight bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod framed;
use tfjs_graph::{Data, GraphModel, Tensor};

const MAX_INPUT_ELEMENTS: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some(artifacts) = framed::artifacts(data) else {
        return;
    };
    if !tfjs_graph::is_graph_model(&artifacts) {
        return;
    }
    let _ = tfjs_graph::summary(&artifacts);
    let _ = tfjs_graph::verify(&artifacts);
    let Ok(model) = GraphModel::from_artifacts(&artifacts) else {
        return;
    };
    let mut feeds = vec![];
    for input in model.inputs() {
        let shape: Vec<usize> = match &input.shape {
            Some(dims) => dims
                .iter()
                .map(|&d| usize::try_from(d).unwrap_or(1))
                .collect(),
            None => vec![1],
        };
        let Some(count) =
            tfjs_graph::tensor::num_elements(&shape).filter(|&c| c <= MAX_INPUT_ELEMENTS)
        else {
            return;
        };
        let values = match input.dtype.as_str() {
            "int32" => Data::I32((0..count).map(|i| (i % 7) as i32).collect()),
            "bool" => Data::Bool((0..count).map(|i| i % 2 == 0).collect()),
            _ => Data::F32((0..count).map(|i| (i % 5) as f32 * 0.5 - 1.0).collect()),
        };
        let Ok(t) = Tensor::new(shape, values) else {
            return;
        };
        feeds.push((input.name.clone(), t));
    }
    let feeds: Vec<(&str, Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let outputs: Vec<String> = model.outputs().iter().map(|o| o.name.clone()).collect();
    let wanted: Vec<&str> = outputs.iter().map(String::as_str).collect();
    if let Ok(got) = model.execute(&feeds, &wanted) {
        assert_eq!(got.len(), wanted.len());
    }
});

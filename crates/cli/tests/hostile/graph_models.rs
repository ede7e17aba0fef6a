//! TF.js graph models (`GraphModel`): hostile nodes, constants and
//! signatures.

use crate::*;

/// A constant of a graph model: (node name, values, shape, int32?).
type GraphConst<'a> = (&'a str, Vec<f64>, Vec<usize>, bool);

/// A graph model (`format: "graph-model"`): Placeholder `x` of `x_shape`
/// (float32, all ones in io.json), the constants (values in `w.bin`) and
/// one node `out` running `op` on `inputs` (default: `x` then the
/// constants in order).
fn graph_model_case(
    name: &str,
    op: &str,
    x_shape: &[usize],
    consts: &[GraphConst<'_>],
    inputs: Option<&[&str]>,
) -> Case {
    let dims = |shape: &[usize]| -> Value {
        Value::Array(
            shape
                .iter()
                .map(|d| json!({"size": d.to_string()}))
                .collect(),
        )
    };
    let mut nodes = vec![json!({"name": "x", "op": "Placeholder", "attr": {
        "dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": dims(x_shape)}}}})];
    let (mut weights, mut blob) = (vec![], vec![]);
    for (cn, vals, shape, int) in consts {
        let dt = if *int { "DT_INT32" } else { "DT_FLOAT" };
        nodes.push(
            json!({"name": cn, "op": "Const", "attr": {"dtype": {"type": dt},
            "value": {"tensor": {"dtype": dt, "tensorShape": {"dim": dims(shape)}}}}}),
        );
        weights.push(spec(cn, shape, if *int { "int32" } else { "float32" }));
        for v in vals {
            if *int {
                blob.extend((*v as i32).to_le_bytes());
            } else {
                blob.extend((*v as f32).to_le_bytes());
            }
        }
    }
    let inputs: Vec<&str> = match inputs {
        Some(i) => i.to_vec(),
        None => std::iter::once("x")
            .chain(consts.iter().map(|c| c.0))
            .collect(),
    };
    nodes.push(
        json!({"name": "out", "op": op, "input": inputs, "attr": {"T": {"type": "DT_FLOAT"}}}),
    );
    let mj = json!({
        "format": "graph-model",
        "generatedBy": "2.x",
        "convertedBy": "TensorFlow.js Converter v4.22.0",
        "modelTopology": {"node": nodes, "library": {}, "versions": {"producer": 1}},
        "weightsManifest": [{"paths": ["w.bin"], "weights": weights}]
    });
    let n: usize = x_shape.iter().product();
    Case::new(name)
        .bytes("model/model.json", mj.to_string())
        .bytes("model/w.bin", blob)
        .bytes(
            "io.json",
            json!({"inputs": [{"name": "x", "shape": x_shape, "dtype": "float32", "data": vec![1.0; n]}]})
                .to_string(),
        )
}

/// Issue 15.1 for graph models: ops whose output size comes from a tensor
/// in the file (under the 2^30-element cap, over what the host can serve)
/// are refused naming the node and op, never an abort.
pub(crate) fn graph_model_cases() -> Vec<Case> {
    let int = |name: &'static str, vals: &[f64], shape: &[usize]| -> GraphConst<'static> {
        (name, vals.to_vec(), shape.to_vec(), true)
    };
    let float =
        |name: &'static str, v: f64| -> GraphConst<'static> { (name, vec![v], vec![], false) };
    let big = 30000.0;
    let mut v = vec![graph_model_case(
        "graph model: control BroadcastTo [2, 3]",
        "BroadcastTo",
        &[1],
        &[int("s", &[2.0, 3.0], &[2])],
        None,
    )
    .verify(OK, &[])
    .predict(OK, &["out"])];
    for (what, op, x, consts, inputs) in [
        (
            "BroadcastTo [30000, 30000]",
            "BroadcastTo",
            vec![1],
            vec![int("s", &[big, big], &[2])],
            None,
        ),
        (
            "Tile multiples 9e8",
            "Tile",
            vec![4],
            vec![int("m", &[9e8], &[1])],
            None,
        ),
        (
            "Pad by 30000 on each axis",
            "Pad",
            vec![2, 2],
            vec![int("p", &[0.0, big, 0.0, big], &[2, 2])],
            None,
        ),
        (
            "OneHot depth 9e8",
            "OneHot",
            vec![1],
            vec![
                int("ix", &[1.0], &[1]),
                int("depth", &[9e8], &[]),
                float("on", 1.0),
                float("off", 0.0),
            ],
            Some(&["ix", "depth", "on", "off"][..]),
        ),
        (
            "Range of 9e8 values",
            "Range",
            vec![1],
            vec![float("s", 0.0), float("l", 9e8), float("d", 1.0)],
            Some(&["s", "l", "d"][..]),
        ),
        (
            "ResizeBilinear to 30000 x 30000",
            "ResizeBilinear",
            vec![1, 2, 2, 1],
            vec![int("size", &[big, big], &[2])],
            None,
        ),
        (
            "ResizeNearestNeighbor of 64 channels to 16000 x 16000",
            "ResizeNearestNeighbor",
            vec![1, 2, 2, 64],
            vec![int("size", &[16000.0, 16000.0], &[2])],
            None,
        ),
    ] {
        v.push(
            graph_model_case(&format!("graph model: {what}"), op, &x, &consts, inputs)
                .predict(ERROR, &["`out`", op]),
        );
    }
    v
}

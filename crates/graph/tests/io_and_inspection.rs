//! Graph models through storage (file:// and memory:// carry them unchanged)
//! and the inspection functions `summary` / `verify` on the real fixtures.

use std::path::{Path, PathBuf};
use tfjs_format::{ModelArtifacts, WeightData};
use tfjs_graph::{summary, verify, GraphModel, GraphProblem};
use tfjs_io::Router;

const GRAPH_FIXTURES: &[&str] = &[
    "blazeface-front",
    "facemesh",
    "emotion",
    "movenet-lightning",
    "handtrack",
    "selfie",
    "posenet",
    "nsfw-mobilenet-v2-mid",
    "ssrnet-age",
    "facemesh-detection-short",
];

fn real(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/real")
        .join(name)
}

#[tokio::test]
async fn graph_models_round_trip_through_file_and_memory_unchanged() {
    let r = Router::with_local_stores();
    let tmp = tempfile::tempdir().unwrap();
    for name in GRAPH_FIXTURES {
        let dir = real(name);
        let original = r.load(&format!("file://{}", dir.display())).await.unwrap();
        let mem = format!("memory://graph/{name}");
        r.save(&mem, &original).await.unwrap();
        let from_mem = r.load(&mem).await.unwrap();
        let out = tmp.path().join(name);
        let file_url = format!("file://{}", out.display());
        r.save(&file_url, &from_mem).await.unwrap();
        let back = r.load(&file_url).await.unwrap();
        // Everything equal, the weight bytes compared whole (shards may be
        // cut differently).
        let whole = |a: &ModelArtifacts| ModelArtifacts {
            weight_data: WeightData::from_vec(a.weight_data.contiguous().to_vec()),
            ..a.clone()
        };
        for copy in [&from_mem, &back] {
            assert!(whole(copy) == whole(&original), "{name}: the copy differs");
        }
        // The weight bytes are the published shards' bytes, concatenated.
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("model.json")).unwrap()).unwrap();
        let mut shards = Vec::new();
        for g in json["weightsManifest"].as_array().unwrap() {
            for p in g["paths"].as_array().unwrap() {
                shards.extend(std::fs::read(dir.join(p.as_str().unwrap())).unwrap());
            }
        }
        assert_eq!(
            back.weight_data.contiguous().as_ref(),
            shards.as_slice(),
            "{name}"
        );
    }
}

#[test]
fn summary_reports_io_ops_control_flow_and_weights() {
    let load = |n: &str| tfjs_io::file::load_path(&real(n)).unwrap();
    let s = summary(&load("facemesh")).unwrap();
    assert_eq!(s.format.as_deref(), Some("graph-model"));
    assert_eq!(
        s.generated_by.as_deref(),
        Some("https://github.com/google/mediapipe")
    );
    assert_eq!(s.nodes, 241);
    assert_eq!(s.ops["Prelu"], 24);
    assert_eq!(s.inputs.len(), 1);
    assert_eq!(s.inputs[0].name, "input_1");
    assert_eq!(s.inputs[0].shape, Some(vec![-1, 192, 192, 3]));
    assert_eq!(s.inputs[0].dtype, "float32");
    let outs: Vec<&str> = s.outputs.iter().map(|o| o.name.as_str()).collect();
    assert!(outs.contains(&"output_mesh"));
    assert!(s.control_flow.is_empty());
    assert_eq!(s.weight_bytes, 1_477_958);
    assert!(s
        .weights
        .iter()
        .any(|w| w.quantization.as_deref() == Some("float16")));

    // No signature: Placeholders and sinks.
    let s = summary(&load("blazeface-front")).unwrap();
    assert_eq!(s.inputs[0].name, "input");
    assert_eq!(s.outputs.len(), 4);
    let h = summary(&load("handtrack")).unwrap();
    for op in ["Merge", "Switch", "NonMaxSuppressionV5", "Where"] {
        assert!(h.control_flow.iter().any(|c| c == op), "{op}");
    }
    assert!(h
        .weights
        .iter()
        .any(|w| w.quantization.as_deref() == Some("uint8")));
    let j = h.to_json();
    assert_eq!(j["nodes"], 1185);
}

#[test]
fn verify_is_clean_on_real_models_and_lists_every_problem() {
    for name in GRAPH_FIXTURES {
        let a = tfjs_io::file::load_path(&real(name)).unwrap();
        assert_eq!(verify(&a).unwrap(), vec![], "{name}");
    }
    let mut a = tfjs_io::file::load_path(&real("emotion")).unwrap();
    let topo = a.model_topology.as_mut().unwrap();
    let nodes = topo["node"].as_array_mut().unwrap();
    // Two unknown ops, a dangling input, a cycle, a Const without value.
    nodes.push(serde_json::json!({"name": "fancy1", "op": "FancyOp", "input": ["input_1"]}));
    nodes.push(serde_json::json!({"name": "fancy2", "op": "FancyOp", "input": ["nowhere:1"]}));
    nodes.push(serde_json::json!({"name": "other", "op": "OtherOp"}));
    nodes.push(serde_json::json!({"name": "a", "op": "Identity", "input": ["b"]}));
    nodes.push(serde_json::json!({"name": "b", "op": "Identity", "input": ["a"]}));
    nodes.push(serde_json::json!({"name": "lonely", "op": "Const"}));
    // An unsupported op inside a library function body.
    topo["library"] = serde_json::json!({"function": [{
        "signature": {"name": "body_fn", "inputArg": [{"name": "x"}], "outputArg": [{"name": "y"}]},
        "nodeDef": [{"name": "weird", "op": "WeirdOp", "input": ["x"]}],
        "ret": {"y": "weird:y:0"}
    }]});
    // A weight with no Const node.
    let mut extra = a.weight_specs[0].clone();
    extra.name = "orphan".into();
    a.weight_specs.push(extra);
    let problems = verify(&a).unwrap();
    assert!(problems.contains(&GraphProblem::UnsupportedOp {
        op: "FancyOp".into(),
        nodes: vec!["fancy1".into(), "fancy2".into()]
    }));
    assert!(problems
        .iter()
        .any(|p| matches!(p, GraphProblem::UnsupportedOp { op, .. } if op == "OtherOp")));
    assert!(problems.contains(&GraphProblem::DanglingInput {
        node: "fancy2".into(),
        input: "nowhere:1".into()
    }));
    assert!(problems.contains(&GraphProblem::Cycle(vec!["a".into(), "b".into()])));
    assert!(problems.contains(&GraphProblem::ConstWithoutValue("lonely".into())));
    assert!(problems.contains(&GraphProblem::UnusedWeight("orphan".into())));

    // Loading fails at once, naming every unsupported op and its nodes.
    let err = GraphModel::from_artifacts(&a).unwrap_err().to_string();
    assert!(err.contains("FancyOp (nodes: fancy1, fancy2)"), "{err}");
    assert!(err.contains("OtherOp (nodes: other)"), "{err}");
    assert!(err.contains("WeirdOp (nodes: body_fn/weird)"), "{err}");
    assert!(problems.contains(&GraphProblem::UnsupportedOp {
        op: "WeirdOp".into(),
        nodes: vec!["body_fn/weird".into()]
    }));
}

#[tokio::test]
async fn load_by_url_default_outputs_and_input_errors() {
    let dir = real("emotion");
    let m = GraphModel::load(
        &Router::with_local_stores(),
        &format!("file://{}", dir.display()),
    )
    .await
    .unwrap();
    // No signature: the Placeholder is the input, the sink the output.
    assert_eq!(m.inputs()[0].name, "input_1");
    assert_eq!(m.inputs()[0].shape, Some(vec![-1, 64, 64, 1]));
    let outs: Vec<&str> = m.outputs().iter().map(|o| o.name.as_str()).collect();
    assert_eq!(outs, ["Identity:0"]);
    let io = tfjs_layers::io_json::IoJson::parse(
        &std::fs::read(dir.join("io.json")).unwrap(),
        "io.json",
    )
    .unwrap();
    let x = tfjs_graph::Tensor::from_layers(&io.inputs[0].to_tensor().unwrap()).unwrap();
    let y = m.execute(&[("input_1", x.clone())], &[]).unwrap();
    let expected: Vec<f32> = io.outputs[0].data.iter().map(|&v| v as f32).collect();
    for (a, e) in y[0].to_f32().iter().zip(&expected) {
        assert!((a - e).abs() <= 1e-4 + 1e-3 * e.abs(), "{a} vs {e}");
    }
    // Wrong shape, missing input and unknown names are errors naming them.
    let bad = tfjs_graph::Tensor::f32(vec![1, 8, 8, 1], vec![0.0; 64]).unwrap();
    let e = m.execute(&[("input_1", bad)], &[]).unwrap_err().to_string();
    assert!(e.contains("input_1") && e.contains("[1, 8, 8, 1]"), "{e}");
    let e = m.execute(&[], &[]).unwrap_err().to_string();
    assert!(e.contains("input_1") && e.contains("not given"), "{e}");
    let e = m.execute(&[("nope", x)], &[]).unwrap_err().to_string();
    assert!(e.contains("nope"), "{e}");
}

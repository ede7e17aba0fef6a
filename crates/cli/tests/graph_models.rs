//! `tfjs predict` / `tfjs bench` on graph models (`format: "graph-model"`)
//! from the shared real fixtures.

mod support;

use support::{json_of, perturbed_io, read_json, real, s, text, tfjs};

#[test]
fn predict_check_on_graph_models_with_signature_keys_and_control_flow() {
    // emotion: no signature; facemesh: outputs named by signature key;
    // handtrack: control flow + NonMaxSuppressionV5, int32 input.
    for name in ["emotion", "facemesh", "handtrack"] {
        let dir = real(name);
        let io = dir.join("io.json");
        let args = ["--json", "predict", s(&dir), "--inputs", s(&io), "--check"];
        let v = json_of(name, tfjs(&args));
        assert_eq!(v["check"]["passed"], true, "{name}: {v}");
    }
}

#[test]
fn predict_check_fails_on_a_perturbed_graph_reference() {
    let dir = real("emotion");
    let tmp = tempfile::tempdir().unwrap();
    let bad = perturbed_io(&dir.join("io.json"), 0, 3, 0.25, tmp.path());
    let out = tfjs(&["predict", s(&dir), "--inputs", s(&bad), "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("Identity:0[3]"), "{err}");
}

#[test]
fn bench_runs_a_graph_model() {
    let dir = real("facemesh-detection-short");
    let args = ["--json", "bench", s(&dir), "--runs", "20", "--warmup", "1"];
    let v = json_of("bench", tfjs(&args));
    assert!(v["load_ms"].as_f64().unwrap() > 0.0);
    assert!(v["predict_ms"]["median"].as_f64().unwrap() > 0.0);
}

#[test]
fn verify_lists_every_graph_problem_at_once() {
    // emotion with two ops renamed to ones no engine has and one input
    // pointing at a node that does not exist: all three are reported.
    let src = real("emotion");
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let path = dir.path().join("model.json");
    let mut mj = read_json(&path);
    let nodes = mj["modelTopology"]["node"].as_array_mut().unwrap();
    let computing: Vec<usize> = (0..nodes.len())
        .filter(|&i| !matches!(nodes[i]["op"].as_str(), Some("Const" | "Placeholder")))
        .collect();
    nodes[computing[0]]["op"] = "FancyOpA".into();
    nodes[computing[1]]["op"] = "FancyOpB".into();
    let last = *computing.last().unwrap();
    nodes[last]["input"][0] = "no_such_node".into();
    std::fs::write(&path, serde_json::to_vec(&mj).unwrap()).unwrap();

    let out = tfjs(&["--json", "verify", s(dir.path())]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v["problems"].to_string();
    for needle in ["FancyOpA", "FancyOpB", "no_such_node"] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
    // The untouched model is sound, with its op histogram.
    let v = json_of("verify", tfjs(&["--json", "verify", s(&src)]));
    assert_eq!(v["format"], "graph-model");
    assert!(
        v["graph"]["ops"]["Conv2D"].as_u64().unwrap_or(0)
            + v["graph"]["ops"]["_FusedConv2D"].as_u64().unwrap_or(0)
            > 0,
        "{v}"
    );
}

//! `tfjs predict` / `tfjs bench` against the shared fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn tfjs(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tfjs"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn predict_check_passes_on_fixture_and_fails_on_perturbed_reference() {
    let dir = fixtures().join("tfjs/functional_multi_io");
    let io = dir.join("io.json");
    let out = tfjs(&[
        "predict",
        dir.to_str().unwrap(),
        "--inputs",
        io.to_str().unwrap(),
        "--check",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("check ok"));

    // Perturb one expected value: exit 1 naming the output and element.
    let tmp = tempfile::tempdir().unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&io).unwrap()).unwrap();
    let x = v["outputs"][1]["data"][2].as_f64().unwrap();
    v["outputs"][1]["data"][2] = serde_json::json!(x + 0.5);
    let bad = tmp.path().join("io.json");
    std::fs::write(&bad, v.to_string()).unwrap();
    let out = tfjs(&[
        "predict",
        dir.to_str().unwrap(),
        "--inputs",
        bad.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("out_reg[2]"), "{err}");

    // --output writes the outputs in io.json layout.
    let o = tmp.path().join("out.json");
    let out = tfjs(&[
        "predict",
        dir.to_str().unwrap(),
        "--inputs",
        io.to_str().unwrap(),
        "--output",
        o.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&o).unwrap()).unwrap();
    assert_eq!(written["outputs"][0]["name"], "out_class");
    assert_eq!(written["outputs"][0]["shape"], serde_json::json!([4, 3]));
}

#[test]
fn predict_uses_dequantized_reference_for_quantized_models() {
    let dir = fixtures().join("keras/mobilenet_v2_float16");
    let io = dir.join("io.json");
    let out = tfjs(&[
        "--json",
        "predict",
        dir.to_str().unwrap(),
        "--inputs",
        io.to_str().unwrap(),
        "--check",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["check"]["against"], "outputs_dequantized");
    assert_eq!(v["check"]["passed"], true);
}

#[test]
fn bench_json_has_load_and_predict_times() {
    let dir = fixtures().join("tfjs/mlp");
    let out = tfjs(&["--json", "bench", dir.to_str().unwrap(), "--batch", "4"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["batch"], 4);
    let p = &v["predict_ms"];
    assert!(v["load_ms"].as_f64().unwrap() > 0.0);
    assert!(p["min"].as_f64().unwrap() <= p["median"].as_f64().unwrap());
    assert!(p["median"].as_f64().unwrap() <= p["max"].as_f64().unwrap());
}

//! `tfjs predict` / `tfjs bench` against the shared fixtures.

mod support;

use support::{fixtures, json_of, perturbed_io, s, stdout_of, text, tfjs};

#[test]
fn predict_check_passes_on_fixture_and_fails_on_perturbed_reference() {
    let dir = fixtures().join("tfjs/functional_multi_io");
    let io = dir.join("io.json");
    let check = |io: &str| tfjs(&["predict", s(&dir), "--inputs", io, "--check"]);
    assert!(stdout_of("predict --check", check(s(&io))).contains("check ok"));

    // Perturb one expected value: exit 1 naming the output and element.
    let tmp = tempfile::tempdir().unwrap();
    let bad = perturbed_io(&io, 1, 2, 0.5, tmp.path());
    let out = check(s(&bad));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("out_reg[2]"), "{err}");

    // --output writes the outputs in io.json layout.
    let o = tmp.path().join("out.json");
    let out = tfjs(&["predict", s(&dir), "--inputs", s(&io), "--output", s(&o)]);
    assert!(out.status.success());
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&o).unwrap()).unwrap();
    assert_eq!(written["outputs"][0]["name"], "out_class");
    assert_eq!(written["outputs"][0]["shape"], serde_json::json!([4, 3]));
}

#[test]
fn predict_uses_dequantized_reference_for_quantized_models() {
    let dir = fixtures().join("keras/mobilenet_v2_float16");
    let io = dir.join("io.json");
    let args = ["--json", "predict", s(&dir), "--inputs", s(&io), "--check"];
    let v = json_of("predict --check", tfjs(&args));
    assert_eq!(v["check"]["against"], "outputs_dequantized");
    assert_eq!(v["check"]["passed"], true);
}

#[test]
fn bench_json_has_load_and_predict_times() {
    let dir = fixtures().join("tfjs/mlp");
    let v = json_of("bench", tfjs(&["--json", "bench", s(&dir), "--batch", "4"]));
    assert_eq!(v["batch"], 4);
    let p = &v["predict_ms"];
    assert!(v["load_ms"].as_f64().unwrap() > 0.0);
    assert!(p["min"].as_f64().unwrap() <= p["median"].as_f64().unwrap());
    assert!(p["median"].as_f64().unwrap() <= p["max"].as_f64().unwrap());
    // The wait for quiet CPUs is bounded by --settle-ms (default 1000) and
    // reported with how busy other processes kept the CPUs while timing.
    let settle = v["settle_ms"].as_f64().unwrap();
    assert!((0.0..1500.0).contains(&settle), "settle_ms {settle}");
    assert!(v["settled"].is_boolean() || v["settled"].is_null());
    // At least the default 3 warm-up runs (more until they took 20 ms).
    assert!(v["warmup_runs"].as_u64().unwrap() >= 3);
    if let Some(share) = v["other_cpu_share"].as_f64() {
        assert!((0.0..=1.0).contains(&share), "other_cpu_share {share}");
    }
    let args = ["--json", "bench", s(&dir), "--settle-ms", "0"];
    let v = json_of("bench --settle-ms 0", tfjs(&args));
    assert_eq!(v["settle_ms"].as_f64(), Some(0.0));
    assert!(v["settled"].is_null(), "--settle-ms 0 does not measure");
}

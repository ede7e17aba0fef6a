//! A corpus of broken models: each load fails with a specific, clear error
//! (naming the file, field or shard) and nothing panics.

mod common;

use common::{file_url, fixtures, rt};
use serde_json::{json, Value};
use std::path::Path;
use tfjs_io::file::FileStore;
use tfjs_io::ModelStore;

/// The mlp fixture's model.json as JSON and its weights.
fn base() -> (Value, Vec<u8>) {
    let dir = fixtures().join("tfjs/mlp");
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.join("model.json")).unwrap()).unwrap();
    (json, std::fs::read(dir.join("weights.bin")).unwrap())
}

enum Json {
    Value(Value),
    Raw(Vec<u8>),
}

struct Case {
    name: &'static str,
    json: Json,
    /// weights.bin content (None: no file).
    weights: Option<Vec<u8>>,
    /// Every one of these must appear in the error text.
    expect: Vec<&'static str>,
}

fn with(f: impl FnOnce(&mut Value)) -> Json {
    let (mut v, _) = base();
    f(&mut v);
    Json::Value(v)
}

fn w0(v: &mut Value) -> &mut Value {
    &mut v["weightsManifest"][0]["weights"][0]
}

fn cases() -> Vec<Case> {
    let (_, bin) = base();
    let ok = || Some(base().1);
    let mut html = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not Found</body></html>".to_vec();
    html.resize(1200, b' ');
    vec![
        Case { name: "truncated shard", json: with(|_| {}), weights: Some(bin[..1000].to_vec()),
            expect: vec!["weights.bin", "expected 1600 bytes from the manifest, got 1000"] },
        Case { name: "extra bytes", json: with(|_| {}), weights: Some([&bin[..], &[0u8; 8]].concat()),
            expect: vec!["weights.bin", "expected 1600 bytes from the manifest, got 1608"] },
        Case { name: "HTML body", json: with(|_| {}), weights: Some(html),
            expect: vec!["weights.bin", "got 1200", "look like HTML", "error page"] },
        Case { name: "JSON body", json: with(|_| {}), weights: Some(br#"{"error": "NoSuchKey", "message": "The specified key does not exist."}"#.to_vec()),
            expect: vec!["weights.bin", "look like JSON"] },
        Case { name: "empty shard", json: with(|_| {}), weights: Some(vec![]),
            expect: vec!["weights.bin", "expected 1600 bytes from the manifest, got 0"] },
        Case { name: "negative shape", json: with(|v| w0(v)["shape"] = json!([-1, 16])), weights: ok(),
            expect: vec!["model.json: field `weightsManifest[0].weights[0].shape[0]`: dimension -1 is not a non-negative integer"] },
        Case { name: "fractional shape", json: with(|v| w0(v)["shape"] = json!([1.5, 16])), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].shape[0]`: dimension 1.5 is not a non-negative integer"] },
        Case { name: "huge shape (1e18 elements)", json: with(|v| w0(v)["shape"] = json!([1_000_000_000_000_000_000u64])), weights: ok(),
            expect: vec!["weights.bin: expected 4000000000000001088 bytes from the manifest, got 1600"] },
        Case { name: "shape overflowing u64", json: with(|v| w0(v)["shape"] = json!([1_000_000_000_000_000_000u64, 1_000_000_000_000_000_000u64])), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].shape`: shape [1000000000000000000, 1000000000000000000] of weight \"dense_1/kernel\" is too large", "overflows"] },
        Case { name: "unknown dtype", json: with(|v| w0(v)["dtype"] = json!("float64")), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].dtype`: unknown dtype \"float64\": expected one of float32, int32, bool, string, complex64"] },
        Case { name: "dtype not a string", json: with(|v| w0(v)["dtype"] = json!(7)), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].dtype`: expected a string, got a number"] },
        Case { name: "unknown quantization dtype", json: with(|v| w0(v)["quantization"] = json!({"dtype": "int4", "min": 0, "scale": 1})), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].quantization.dtype`: unknown quantization dtype \"int4\". Supported quantization dtypes are: 'uint8', 'uint16', and 'float16'"] },
        Case { name: "quantization null", json: with(|v| w0(v)["quantization"] = Value::Null), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].quantization`: expected an object", "got null"] },
        Case { name: "'..' path", json: with(|v| v["weightsManifest"][0]["paths"] = json!(["../weights.bin"])), weights: ok(),
            expect: vec!["unsafe weight path \"../weights.bin\"", "weightsManifest[0].paths[0]", "'..'"] },
        Case { name: "absolute path", json: with(|v| v["weightsManifest"][0]["paths"] = json!(["/etc/passwd"])), weights: ok(),
            expect: vec!["unsafe weight path \"/etc/passwd\"", "absolute"] },
        Case { name: "scheme in path", json: with(|v| v["weightsManifest"][0]["paths"] = json!(["https://evil.example/w.bin"])), weights: ok(),
            expect: vec!["unsafe weight path \"https://evil.example/w.bin\"", "URL scheme"] },
        Case { name: "data: scheme in path", json: with(|v| v["weightsManifest"][0]["paths"] = json!(["data:application/octet-stream;base64,AAAA"])), weights: ok(),
            expect: vec!["unsafe weight path \"data:application/octet-stream;base64,AAAA\"", "it has a URL scheme"] },
        Case { name: "backslash in path", json: with(|v| v["weightsManifest"][0]["paths"] = json!(["..\\weights.bin"])), weights: ok(),
            expect: vec!["unsafe weight path \"..\\\\weights.bin\" (weightsManifest[0].paths[0] of ", "it contains a backslash"] },
        Case { name: "empty path", json: with(|v| v["weightsManifest"][0]["paths"] = json!([""])), weights: ok(),
            expect: vec!["unsafe weight path \"\" (weightsManifest[0].paths[0] of ", "it is empty"] },
        Case { name: "missing paths key", json: with(|v| { v["weightsManifest"][0].as_object_mut().unwrap().remove("paths"); }), weights: ok(),
            expect: vec!["model.json: field `weightsManifest[0].paths`: missing"] },
        Case { name: "missing weights key", json: with(|v| { v["weightsManifest"][0].as_object_mut().unwrap().remove("weights"); }), weights: ok(),
            expect: vec!["model.json: field `weightsManifest[0].weights`: missing"] },
        Case { name: "missing weight name", json: with(|v| { w0(v).as_object_mut().unwrap().remove("name"); }), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].name`: missing"] },
        Case { name: "missing shape", json: with(|v| { w0(v).as_object_mut().unwrap().remove("shape"); }), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].shape`: missing"] },
        Case { name: "no paths for weights", json: with(|v| v["weightsManifest"][0]["paths"] = json!([])), weights: ok(),
            expect: vec!["weightsManifest[0] of ", "model.json: the group lists no weight files, but its weights need 1600 bytes"] },
        Case { name: "invalid JSON", json: Json::Raw(b"{\"modelTopology\": {\"class_name\": ".to_vec()), weights: ok(),
            expect: vec!["model.json: invalid JSON at line 1, column 33: EOF while parsing a value"] },
        Case { name: "trailing comma", json: Json::Raw(b"{\"format\": \"layers-model\",}".to_vec()), weights: ok(),
            expect: vec!["model.json: invalid JSON at line 1, column 27: trailing comma"] },
        Case { name: "empty model.json", json: Json::Raw(vec![]), weights: ok(),
            expect: vec!["model.json: invalid JSON at line 1, column 0: EOF while parsing a value"] },
        Case { name: "binary garbage", json: Json::Raw(vec![0x00, 0xff, 0x13, 0x37, 0x80, 0x81, 0x00, 0x7f]), weights: ok(),
            expect: vec!["model.json: invalid JSON at line 1, column 1: expected value"] },
        Case { name: "non-UTF-8 inside a string", json: Json::Raw(b"{\"format\": \"layers\xff-model\"}".to_vec()), weights: ok(),
            expect: vec!["model.json: invalid JSON at line 1, column 19"] },
        Case { name: "JSON array instead of object", json: Json::Raw(b"[1, 2, 3]".to_vec()), weights: ok(),
            expect: vec!["model.json: field `(top level)`: a model.json must be a JSON object", "got an array"] },
        Case { name: "modelTopology wrong type", json: with(|v| v["modelTopology"] = json!("Sequential")), weights: ok(),
            expect: vec!["field `modelTopology`: expected a JSON object or null, got a string"] },
        Case { name: "weightsManifest wrong type", json: with(|v| v["weightsManifest"] = json!({"paths": []})), weights: ok(),
            expect: vec!["field `weightsManifest`: expected an array of manifest groups, got an object"] },
        Case { name: "format wrong type", json: with(|v| v["format"] = json!(1)), weights: ok(),
            expect: vec!["field `format`: expected a string or null, got a number"] },
        Case { name: "generatedBy wrong type", json: with(|v| v["generatedBy"] = json!(["x"])), weights: ok(),
            expect: vec!["field `generatedBy`: expected a string or null, got an array"] },
        Case { name: "paths wrong type", json: with(|v| v["weightsManifest"][0]["paths"] = json!("weights.bin")), weights: ok(),
            expect: vec!["field `weightsManifest[0].paths`: expected an array of strings, got a string"] },
        Case { name: "shape wrong type", json: with(|v| w0(v)["shape"] = json!("3,4")), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].shape`: expected an array of non-negative integers, got a string"] },
        Case { name: "name wrong type", json: with(|v| w0(v)["name"] = json!(12)), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[0].name`: expected a string, got a number"] },
        Case { name: "group entry wrong type", json: with(|v| v["weightsManifest"][0] = json!("weights.bin")), weights: ok(),
            expect: vec!["field `weightsManifest[0]`: expected a manifest group object", "got a string"] },
        Case { name: "missing shard file", json: with(|_| {}), weights: None,
            expect: vec!["Weight file ", "weights.bin does not exist: loading failed"] },
        Case { name: "duplicate weight names", json: with(|v| {
                let first = w0(v)["name"].clone();
                v["weightsManifest"][0]["weights"][1]["name"] = first;
            }), weights: ok(),
            expect: vec!["field `weightsManifest[0].weights[1].name`: duplicate weight name \"dense_1/kernel\" (also at weightsManifest[0].weights[0])"] },
        Case { name: "uint8 quantization without min/scale", json: with(|v| w0(v)["quantization"] = json!({"dtype": "uint8"})), weights: ok(),
            expect: vec!["weightsManifest[0].weights[0].quantization", "Weight dense_1/kernel with quantization uint8 doesn't have corresponding metadata min and scale."] },
        Case { name: "float16 quantization on int32", json: with(|v| { w0(v)["dtype"] = json!("int32"); w0(v)["quantization"] = json!({"dtype": "float16"}); }), weights: ok(),
            expect: vec!["weightsManifest[0].weights[0].quantization", "Weight dense_1/kernel is quantized with float16 which only supports weights of type float32 not int32."] },
    ]
}

fn write_case(dir: &Path, case: &Case) {
    let bytes = match &case.json {
        Json::Value(v) => serde_json::to_vec(v).unwrap(),
        Json::Raw(b) => b.clone(),
    };
    std::fs::write(dir.join("model.json"), bytes).unwrap();
    if let Some(w) = &case.weights {
        std::fs::write(dir.join("weights.bin"), w).unwrap();
    }
}

#[test]
fn every_malformed_model_fails_with_a_specific_error() {
    let rt = rt();
    let cases = cases();
    assert!(cases.len() >= 25);
    let mut failures = vec![];
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        write_case(dir.path(), case);
        let result = rt.block_on(FileStore::new().load(&file_url(dir.path())));
        match result {
            Ok(_) => failures.push(format!("{}: loaded without error", case.name)),
            Err(e) => {
                let text = e.to_string();
                let missing: Vec<_> = case.expect.iter().filter(|s| !text.contains(**s)).collect();
                if !missing.is_empty() {
                    failures.push(format!("{}: error {text:?} lacks {missing:?}", case.name));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn verify_reports_every_problem_of_every_malformed_model() {
    // The same corpus through the lenient checker: never panics, always
    // finds at least one problem, and never reports a sound model as bad.
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        write_case(dir.path(), &case);
        let report = tfjs_io::verify::verify_file(dir.path());
        assert!(!report.ok(), "{}: verify found nothing", case.name);
    }
    let report = tfjs_io::verify::verify_file(&fixtures().join("tfjs/mlp"));
    assert!(report.ok(), "{:?}", report.problems);
}

#[test]
fn verify_lists_several_problems_at_once() {
    let (mut v, bin) = base();
    w0(&mut v)["dtype"] = json!("float64");
    v["weightsManifest"][0]["weights"][2]["name"] = json!("ghost_layer/kernel");
    let first = v["weightsManifest"][0]["weights"][3]["name"].clone();
    v["weightsManifest"][0]["weights"][4]["name"] = first;
    v["weightsManifest"][0]["paths"] = json!(["weights.bin", "missing.bin", "../escape.bin"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("model.json"),
        serde_json::to_vec(&v).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("weights.bin"), &bin).unwrap();
    let report = tfjs_io::verify::verify_file(dir.path());
    let text: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    let all = text.join("\n");
    for needle in [
        "weightsManifest[0].weights[0].dtype: Unsupported dtype \"float64\"",
        "weights[4].name: duplicate weight name \"dense_2/bias\" (first at weightsManifest[0].weights[3])",
        "weight \"ghost_layer/kernel\": the topology has no layer \"ghost_layer\"",
        "missing.bin does not exist: loading failed",
        "weightsManifest[0].paths[2]: unsafe weight path \"../escape.bin\"",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    assert_eq!(text.len(), 5, "{all}");
}

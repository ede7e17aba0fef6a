//! REQUIRED: every model.json the fixtures hold parses and is written back
//! byte for byte in its writer's style; `JsonStyle::detect` names that style.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tfjs_format::{JsonStyle, ModelJson};

fn roundtrip(bytes: &[u8], name: &str, style: JsonStyle) {
    assert_eq!(JsonStyle::detect(bytes), style, "detect({name})");
    let m = ModelJson::parse(bytes, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let out = m.to_bytes(style);
    if out != bytes {
        let i = out
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(out.len().min(bytes.len()));
        let lo = i.saturating_sub(80);
        panic!(
            "{name}: {style:?} output differs at byte {i} (lengths {} vs {}):\n ours: {}\n orig: {}",
            out.len(),
            bytes.len(),
            String::from_utf8_lossy(&out[lo..(i + 80).min(out.len())]),
            String::from_utf8_lossy(&bytes[lo..(i + 80).min(bytes.len())]),
        );
    }
    // The parsed manifest must also be the same JSON as a generic parse gives.
    let generic: Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(
        m.weights_manifest.is_some(),
        generic.get("weightsManifest").is_some_and(|v| !v.is_null()),
        "{name}"
    );
}

/// The model.json part of a multipart body described by a `headers.json`.
fn tfjs_http_model_json(dir: &std::path::Path) -> Vec<u8> {
    let headers: Value = serde_json::from_slice(&read(&dir.join("headers.json"))).unwrap();
    let body = read(&dir.join(headers["bodyFile"].as_str().unwrap()));
    let part = headers["multipart"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "model.json")
        .expect("model.json part");
    let off = part["offset"].as_u64().unwrap() as usize;
    let len = part["length"].as_u64().unwrap() as usize;
    body[off..off + len].to_vec()
}

/// [`roundtrip`] of the model JSON file at `p`.
fn roundtrip_file(p: &Path, style: JsonStyle) {
    roundtrip(&read(p), &p.display().to_string(), style);
}

/// `<dir>/<name>` for every sub-directory `dir` of `root` that has one.
fn each_with(root: &Path, name: &str) -> Vec<PathBuf> {
    subdirs(root)
        .into_iter()
        .map(|d| d.join(name))
        .filter(|p| p.exists())
        .collect()
}

/// [`roundtrip_file`] of every `<dir>/model.json` below `root`; how many.
fn roundtrip_subdirs(root: &Path, style: JsonStyle) -> usize {
    let files = each_with(root, "model.json");
    for p in &files {
        roundtrip_file(p, style);
    }
    files.len()
}

#[test]
fn tfjs_node_model_json_roundtrip() {
    let n = roundtrip_subdirs(&fixtures().join("tfjs"), JsonStyle::Node);
    assert!(n >= 10, "expected the 10 tfjs fixtures");
}

#[test]
fn tfjs_downloads_roundtrip() {
    let downloads: Vec<PathBuf> = each_with(&fixtures().join("tfjs"), "downloads")
        .iter()
        .flat_map(|dl| files(dl, ".json"))
        .collect();
    for p in &downloads {
        roundtrip_file(p, JsonStyle::Browser);
    }
    assert_eq!(downloads.len(), 3, "mlp, trained, metadata");
}

#[test]
fn tfjs_http_capture_roundtrip() {
    let captures = each_with(&fixtures().join("tfjs"), "http");
    for h in &captures {
        let bytes = tfjs_http_model_json(h);
        roundtrip(&bytes, &h.display().to_string(), JsonStyle::Browser);
        let m = ModelJson::parse(&bytes, "x").unwrap();
        assert_eq!(
            m.weights_manifest.unwrap()[0].paths,
            ["./model.weights.bin"]
        );
    }
    assert_eq!(captures.len(), 3);
}

#[test]
fn keras_converter_roundtrip() {
    assert!(roundtrip_subdirs(&fixtures().join("keras"), JsonStyle::Converter) >= 9);
}

#[test]
fn browser_downloads_and_http_roundtrip() {
    for p in files(&fixtures().join("browser/downloads"), ".json") {
        if p.file_name().unwrap() == "downloads.json" {
            continue; // capture metadata, not a model.json
        }
        roundtrip_file(&p, JsonStyle::Browser);
    }
    let p = fixtures().join("browser/http-save-request/part-0-model.json");
    roundtrip_file(&p, JsonStyle::Browser);
}

#[test]
fn captures_roundtrip() {
    let captures = reference().join("tfjs-captures/fixtures");
    assert_eq!(roundtrip_subdirs(&captures, JsonStyle::Browser), 5);
}

#[test]
fn node_to_browser_matches_downloads() {
    // The same model saved by two writers: re-writing the Node file in
    // Browser style with the downloads path gives the downloads bytes.
    for name in ["mlp", "trained", "metadata"] {
        let d = fixtures().join("tfjs").join(name);
        let mut m = ModelJson::parse(&read(&d.join("model.json")), "model.json").unwrap();
        m.weights_manifest.as_mut().unwrap()[0].paths = vec![format!("./{name}.weights.bin")];
        let want = read(&d.join("downloads").join(format!("{name}.json")));
        assert_eq!(
            String::from_utf8(m.to_bytes(JsonStyle::Browser)).unwrap(),
            String::from_utf8(want).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn artifacts_roundtrip_through_model_json() {
    // from_artifacts(into_artifacts(x)) writes the same bytes.
    let d = fixtures().join("tfjs/trained");
    let bytes = read(&d.join("downloads/trained.json"));
    let m = ModelJson::parse(&bytes, "trained.json").unwrap();
    let manifest = m.weights_manifest.clone().unwrap();
    let a = m.into_artifacts(tfjs_format::WeightData::from_vec(read(
        &d.join("weights.bin"),
    )));
    assert!(a.training_config.is_some());
    assert_eq!(a.converted_by, Some(Value::Null));
    assert_eq!(a.weight_specs.len(), manifest[0].weights.len());
    let back = ModelJson::from_artifacts(&a, manifest);
    assert_eq!(back.to_bytes(JsonStyle::Browser), bytes);
}

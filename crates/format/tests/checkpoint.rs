//! The untrusted-model checkpoint: quantization metadata (issue 15.7),
//! text bodies of exactly the right length (15.2b), weight paths, and what
//! re-quantizing an already-quantized weight means.

mod common;
use common::*;
use tfjs_format::checkpoint::{check_manifest, check_quantization, manifest_problems};
use tfjs_format::codec::{decode_weights, TensorValues};
use tfjs_format::quantize::requantize_artifacts;
use tfjs_format::shard::{check_shards, check_shards_at, text_body};
use tfjs_format::weight_path::WeightPath;
use tfjs_format::{FormatError, ModelJson, QuantizationDType, WeightData, WeightSpec};

fn uint8_fixture() -> (ModelJson, WeightData) {
    load_converter_model(&fixtures().join("keras/mobilenet_v2_uint8"))
}

#[test]
fn the_converters_quantization_metadata_passes() {
    for f in ["mobilenet_v2_uint8", "mobilenet_v2_float16"] {
        let (m, _) = load_converter_model(&fixtures().join("keras").join(f));
        check_manifest(m.weights_manifest.as_ref().unwrap(), f).unwrap();
    }
}

#[test]
fn hostile_quantization_metadata_names_the_field() {
    let (m, _) = uint8_fixture();
    let w = &m.weights_manifest.as_ref().unwrap()[0].weights[0];
    let q = w.quantization.clone().unwrap();
    let field = "weightsManifest[0].weights[0]";

    // (what is wrong, the entry made so, the field and text the error names)
    type Mutate = fn(&mut WeightSpec, f64);
    let cases: [(&str, Mutate, &str, &str); 3] = [
        (
            "negative scale",
            |w, scale| {
                w.quantization.as_mut().unwrap().scale = serde_json::Number::from_f64(-scale)
            },
            "weights[0].quantization.scale",
            "negative scale",
        ),
        (
            "huge scale",
            |w, _| w.quantization.as_mut().unwrap().scale = serde_json::Number::from_f64(1e37),
            "weights[0].quantization.scale",
            "overflow float32",
        ),
        (
            "dtype not the original one",
            |w, _| w.dtype = tfjs_format::DType::Int32,
            "weights[0].quantization.original_dtype",
            "\"float32\"",
        ),
    ];
    for (what, mutate, culprit, text) in cases {
        let mut bad = w.clone();
        mutate(&mut bad, q.scale_f64());
        let e = check_quantization(&bad, "model.json", field)
            .unwrap_err()
            .to_string();
        assert!(e.contains(culprit) && e.contains(text), "{what}: {e}");
    }
    let mut neg = w.clone();
    (cases[0].1)(&mut neg, q.scale_f64());

    // The manifest checkpoint (what load and verify run) reports each.
    let mut manifest = m.weights_manifest.clone().unwrap();
    manifest[0].weights[0] = neg;
    manifest[0].weights[1].dtype = tfjs_format::DType::Int32;
    let problems = manifest_problems(&manifest, "model.json");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        matches!(&problems[0], FormatError::Field { field, .. } if field.ends_with("weights[0].quantization.scale"))
    );
}

#[test]
fn weight_paths_follow_one_policy() {
    for ok in [
        "weights.bin",
        "./model.weights.bin",
        "a/group1-shard1of2.bin",
    ] {
        WeightPath::parse(ok, "p").unwrap();
    }
    // The union of what file:// and the object stores refused before.
    for (bad, why) in [
        ("C:x.bin", "absolute"),
        ("C:/w.bin", "absolute"),
        ("w\0.bin", "NUL"),
        ("a//b.bin", "empty or '.' segment"),
        ("a/./b.bin", "empty or '.' segment"),
        ("w.bin\n", "control character"),
        ("../w.bin", "'..'"),
        ("https://evil.example/w.bin", "URL scheme"),
        ("./", "directory"),
    ] {
        let e = WeightPath::parse(bad, "weightsManifest[0].paths[0] of m.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(why) && e.contains("weightsManifest[0].paths[0] of m.json"),
            "{bad:?}: {e}"
        );
    }
}

/// An HTML page or JSON document of exactly the shard's length is refused:
/// the length check alone would decode it as weights.
#[test]
fn text_of_exactly_the_right_length_is_refused() {
    let (group, real) = mlp_group_and_weights();
    let group = &group;
    check_shards(group, &[&real]).unwrap();
    let len = real.len();

    let mut page = b"<!DOCTYPE html><html><body>404 Not Found".to_vec();
    page.resize(len - 14, b' ');
    page.extend_from_slice(b"</body></html>");
    let e = check_shards_at(group, &[&page], &["http://h/m/weights.bin".into()]).unwrap_err();
    assert!(
        matches!(&e, FormatError::TextInsteadOfWeights { shard, looks_like: "HTML" } if shard == "http://h/m/weights.bin"),
        "{e}"
    );

    let mut json = br#"{"error": "not found", "pad": ""#.to_vec();
    json.resize(len - 2, b'x');
    json.extend_from_slice(b"\"}");
    let e = check_shards(group, &[&json]).unwrap_err();
    assert!(
        e.to_string().contains("JSON text, not binary weights"),
        "{e}"
    );

    // Real weights whose first bytes happen to be '<' or '{' stay weights.
    let mut lookalike = real.clone();
    lookalike[..4].copy_from_slice(b"<htm");
    check_shards(group, &[&lookalike]).unwrap();
    lookalike[0] = b'{';
    check_shards(group, &[&lookalike]).unwrap();
    // Every fixture shard of every model is binary.
    for model in [
        "keras/mobilenet_v1_sharded",
        "keras/mobilenet_v2_uint8",
        "tfjs/cnn",
    ] {
        let (mj, data) = load_converter_model(&fixtures().join(model));
        for b in &data.buffers {
            assert_eq!(text_body(b), None, "{model}");
        }
        let _ = mj;
    }
}

/// Re-quantizing keeps a weight already stored in the requested dtype
/// byte for byte (a second affine pass would nudge `min` again and round
/// again: a lossy no-op); to another dtype it is dequantized first.
#[test]
fn requantizing_an_already_quantized_weight() {
    let (m, data) = uint8_fixture();
    let artifacts = m.clone().into_artifacts(data.clone());
    let same = requantize_artifacts(&artifacts, Some(QuantizationDType::Uint8)).unwrap();
    assert_eq!(same.weight_specs, artifacts.weight_specs);
    assert_eq!(same.weight_data.contiguous(), data.contiguous());

    let f16 = requantize_artifacts(&artifacts, Some(QuantizationDType::Float16)).unwrap();
    let dequantized = decode_weights(&artifacts.weight_specs, &artifacts.weight_data).unwrap();
    let halves = decode_weights(&f16.weight_specs, &f16.weight_data).unwrap();
    for (a, b) in dequantized.iter().zip(&halves) {
        assert_eq!(b.values.dtype(), tfjs_format::DType::Float32, "{}", a.name);
        let (TensorValues::Float32(x), TensorValues::Float32(y)) = (&a.values, &b.values) else {
            panic!("{}", a.name)
        };
        for (p, q) in x.iter().zip(y) {
            assert_eq!(half::f16::from_f32(*p).to_f32(), *q, "{}", a.name);
        }
        assert_eq!(
            f16.weight_specs
                .iter()
                .find(|s| s.name == a.name)
                .unwrap()
                .quantization
                .as_ref()
                .unwrap()
                .dtype,
            QuantizationDType::Float16
        );
    }
    let plain = requantize_artifacts(&artifacts, None).unwrap();
    assert!(plain.weight_specs.iter().all(|s| s.quantization.is_none()));
    assert_eq!(
        plain.weight_data.len(),
        4 * dequantized
            .iter()
            .map(|w| w.values.num_elements())
            .sum::<usize>()
    );
}

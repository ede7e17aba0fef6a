//! `.h5` / `.keras` → TensorFlow.js, byte for byte against the official
//! converter (tensorflowjs 4.22.0): every pair of `../shared/fixtures/keras-src`
//! and `../shared/fixtures/keras`, and the converter outputs in tests/data
//! (made by scripts/make_test_data.py).

use std::path::Path;
use tfjs_format::codec::{decode_weights, TensorValues};
use tfjs_format::{quantize, DType, ModelArtifacts, QuantizationDType, WeightData};
use tfjs_io::file::{save_path, FileStoreOptions};
use tfjs_keras::{import_h5, import_keras, import_weights_h5};

mod common;

use common::KERAS_SRC as SRC;
const FIXTURES: &str = "../../../shared/fixtures/keras";
const MIB4: usize = 4 * 1024 * 1024;

/// What `tfjs convert --quantize q` does to the float32 weights.
fn quantized(mut a: ModelArtifacts, q: QuantizationDType) -> ModelArtifacts {
    let decoded = decode_weights(&a.weight_specs, &a.weight_data).unwrap();
    let mut data = Vec::new();
    for (spec, d) in a.weight_specs.iter_mut().zip(decoded) {
        match (spec.dtype, d.values) {
            (DType::Float32, TensorValues::Float32(v)) => {
                let (bytes, meta) = quantize::quantize(&v, q);
                spec.quantization = Some(meta);
                data.extend(bytes);
            }
            (_, TensorValues::Int32(v)) => v.iter().for_each(|x| data.extend(x.to_le_bytes())),
            (_, other) => panic!("unexpected weight values {other:?}"),
        }
    }
    a.weight_data = WeightData::from_vec(data);
    a
}

/// Save like the converter and compare every file of `expected_dir`.
fn assert_same_files(a: &ModelArtifacts, shard: usize, expected_dir: &Path) {
    let out = tempfile::tempdir().unwrap();
    save_path(out.path(), a, &FileStoreOptions::sharded(shard)).unwrap();
    let mut expected: Vec<_> = std::fs::read_dir(expected_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n == "model.json" || n.ends_with(".bin"))
        .collect();
    expected.sort();
    let mut got: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    got.sort();
    assert_eq!(got, expected, "{}: file names", expected_dir.display());
    for name in expected {
        let want = std::fs::read(expected_dir.join(&name)).unwrap();
        let have = std::fs::read(out.path().join(&name)).unwrap();
        if want != have {
            let at = want
                .iter()
                .zip(&have)
                .position(|(a, b)| a != b)
                .unwrap_or(want.len().min(have.len()));
            let show = |b: &[u8]| {
                String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())])
                    .into_owned()
            };
            panic!(
                "{}/{name} differs at byte {at} (len {} vs {}):\n want …{}\n have …{}",
                expected_dir.display(),
                want.len(),
                have.len(),
                show(&want),
                show(&have)
            );
        }
    }
}

fn h5(model: &str) -> ModelArtifacts {
    let bytes = std::fs::read(Path::new(SRC).join(model).join("model.h5")).unwrap();
    let imported = import_h5(&bytes).unwrap();
    assert!(imported.notes.is_empty(), "{model}: {:?}", imported.notes);
    imported.artifacts
}

#[test]
fn h5_fixtures_match_the_converter_byte_for_byte() {
    for model in common::H5_MODELS {
        assert_same_files(&h5(model), MIB4, &Path::new(FIXTURES).join(model));
    }
}

#[test]
fn h5_quantized_and_sharded_fixtures_match_the_converter() {
    let v2 = h5("mobilenet_v2");
    let fx = Path::new(FIXTURES);
    assert_same_files(
        &quantized(v2.clone(), QuantizationDType::Uint8),
        MIB4,
        &fx.join("mobilenet_v2_uint8"),
    );
    assert_same_files(
        &quantized(v2, QuantizationDType::Float16),
        MIB4,
        &fx.join("mobilenet_v2_float16"),
    );
    assert_same_files(
        &h5("mobilenet_v1"),
        100_000,
        &fx.join("mobilenet_v1_sharded"),
    );
}

#[test]
fn keras_zip_matches_the_converter_byte_for_byte() {
    let bytes = std::fs::read(Path::new(SRC).join("keras3_cnn_h5/model.keras")).unwrap();
    let imported = import_keras(&bytes).unwrap();
    assert_same_files(
        &imported.artifacts,
        MIB4,
        &Path::new(FIXTURES).join("keras3_cnn_keras"),
    );
    let bytes = std::fs::read("tests/data/k3_plain.keras").unwrap();
    assert_same_files(
        &import_keras(&bytes).unwrap().artifacts,
        MIB4,
        Path::new("tests/data/k3_plain"),
    );
}

#[test]
fn compiled_model_with_training_config_and_uint16_shards_match() {
    let bytes = std::fs::read("tests/data/k2_tiny.h5").unwrap();
    let a = import_h5(&bytes).unwrap().artifacts;
    assert!(a
        .model_topology
        .as_ref()
        .unwrap()
        .get("training_config")
        .is_some());
    assert_same_files(&a, MIB4, Path::new("tests/data/k2_tiny"));
    assert_same_files(
        &quantized(a, QuantizationDType::Uint16),
        100,
        Path::new("tests/data/k2_tiny_u16_sharded"),
    );
}

#[test]
fn tf_keras_weights_only_file_with_a_topology() {
    let topology: serde_json::Value =
        serde_json::from_slice(&std::fs::read("tests/data/k2_tiny/model.json").unwrap()).unwrap();
    let bytes = std::fs::read("tests/data/k2_tiny_weights.h5").unwrap();
    let a = import_weights_h5(&bytes, &topology).unwrap().artifacts;
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read("tests/data/k2_tiny_weights_only/manifest.json").unwrap(),
    )
    .unwrap();
    let want =
        tfjs_format::weight_specs_from_value(&manifest[0]["weights"], "manifest.json").unwrap();
    assert_eq!(a.weight_specs, want);
    let bin = std::fs::read("tests/data/k2_tiny_weights_only/group1-shard1of1.bin").unwrap();
    assert_eq!(&*a.weight_data.contiguous(), &bin[..]);
}

#[test]
fn nested_layer_names_are_found_that_the_converter_drops() {
    let bytes = std::fs::read("tests/data/k2_nested.h5").unwrap();
    let imported = import_h5(&bytes).unwrap();
    let converter = std::fs::read("tests/data/k2_nested/model.json").unwrap();
    let converter_names: Vec<String> = tfjs_format::ModelJson::parse(&converter, "model.json")
        .unwrap()
        .weight_specs()
        .into_iter()
        .map(|w| w.name)
        .collect();
    let ours: Vec<&str> = imported
        .artifacts
        .weight_specs
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    // The converter's weights come first, unchanged; the nested BatchNorm's four follow.
    assert_eq!(&ours[..converter_names.len()], &converter_names[..]);
    assert_eq!(
        &ours[converter_names.len()..],
        [
            "Conv/BatchNorm/gamma",
            "Conv/BatchNorm/beta",
            "Conv/BatchNorm/moving_mean",
            "Conv/BatchNorm/moving_variance"
        ]
    );
    assert_eq!(imported.notes.len(), 1, "{:?}", imported.notes);
    assert!(
        imported.notes[0].contains("Conv/BatchNorm"),
        "{:?}",
        imported.notes
    );
    let bin = std::fs::read("tests/data/k2_nested/group1-shard1of1.bin").unwrap();
    assert_eq!(
        &imported.artifacts.weight_data.contiguous()[..bin.len()],
        &bin[..]
    );
}

//! REQUIRED: quantizing the mobilenet_v2 fixture's weights reproduces the
//! converter's uint8 and float16 fixtures byte for byte (shards, manifest,
//! and the whole model.json in Converter style).

mod common;
use common::*;
use tfjs_format::codec::{decode_weights, TensorValues};
use tfjs_format::quantize::{quantize, requantize_artifacts};
use tfjs_format::shard::{converter_layout, DEFAULT_SHARD_SIZE};
use tfjs_format::{JsonStyle, ModelJson, QuantizationDType, WeightSpec};

fn check_against_fixture(dtype: QuantizationDType, fixture: &str) {
    let (src, src_data) = load_converter_model(&fixtures().join("keras/mobilenet_v2"));
    let (want, want_data) = load_converter_model(&fixtures().join("keras").join(fixture));
    let decoded = decode_weights(&src.weight_specs(), &src_data).unwrap();
    let want_specs = want.weight_specs();
    assert_eq!(decoded.len(), want_specs.len());

    // Per weight: bytes and manifest entry, listing every mismatch.
    let want_bytes = want_data.contiguous();
    let mut offset = 0;
    let mut problems = Vec::new();
    for (w, ws) in decoded.iter().zip(&want_specs) {
        let TensorValues::Float32(values) = &w.values else {
            panic!("{}: mobilenet weights are float32", w.name)
        };
        let (bytes, q) = quantize(values, dtype);
        let expect = &want_bytes[offset..offset + bytes.len()];
        offset += bytes.len();
        let mut spec =
            WeightSpec::new(w.name.clone(), w.shape.clone(), tfjs_format::DType::Float32);
        spec.quantization = Some(q);
        if spec != *ws {
            problems.push(format!(
                "{}: manifest entry differs: ours {} fixture {}",
                w.name,
                JsonStyle::Converter.to_string(&spec.to_value()),
                JsonStyle::Converter.to_string(&ws.to_value())
            ));
        }
        let diffs: Vec<usize> = (0..bytes.len())
            .filter(|&i| bytes[i] != expect[i])
            .collect();
        if !diffs.is_empty() {
            problems.push(format!(
                "{}: {} of {} stored bytes differ (first at element byte {}: ours {} fixture {})",
                w.name,
                diffs.len(),
                bytes.len(),
                diffs[0],
                bytes[diffs[0]],
                expect[diffs[0]]
            ));
        }
    }
    assert_eq!(offset, want_bytes.len());
    assert!(
        problems.is_empty(),
        "{fixture}: {} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );

    // Whole artifacts: requantize, lay out as the converter does, write model.json.
    let artifacts = src.clone().into_artifacts(src_data);
    let q = requantize_artifacts(&artifacts, Some(dtype)).unwrap();
    let (shards, manifest) =
        converter_layout(q.weight_specs.clone(), &q.weight_data, DEFAULT_SHARD_SIZE);
    assert_eq!(shards.len(), 1);
    assert!(shards[0] == *want_bytes, "{fixture}: shard bytes differ");
    let mj = ModelJson::from_artifacts(&q, manifest);
    let ours = mj.to_bytes(JsonStyle::Converter);
    let theirs = read(&fixtures().join("keras").join(fixture).join("model.json"));
    assert!(ours == theirs, "{fixture}: model.json differs");

    // And back: dequantizing gives float32 artifacts with the fixture's
    // dequantized values (what TF.js would load).
    let deq = requantize_artifacts(&q, None).unwrap();
    assert!(deq.weight_specs.iter().all(|s| s.quantization.is_none()));
    let a = decode_weights(&deq.weight_specs, &deq.weight_data).unwrap();
    let b = decode_weights(&want_specs, &want_data).unwrap();
    assert_eq!(a, b);
}

#[test]
fn mobilenet_v2_uint8_matches_converter() {
    check_against_fixture(QuantizationDType::Uint8, "mobilenet_v2_uint8");
}

#[test]
fn mobilenet_v2_float16_matches_converter() {
    check_against_fixture(QuantizationDType::Float16, "mobilenet_v2_float16");
}

#[test]
fn requantize_keeps_same_dtype_bytes() {
    // Already-uint8 artifacts asked for uint8 keep their bytes verbatim.
    let (m, data) = load_converter_model(&fixtures().join("keras/mobilenet_v2_uint8"));
    let a = m.into_artifacts(data.clone());
    let q = requantize_artifacts(&a, Some(QuantizationDType::Uint8)).unwrap();
    assert_eq!(q.weight_specs, a.weight_specs);
    assert_eq!(&*q.weight_data.contiguous(), &*data.contiguous());
}

//! Manifest + weight decoding, every dtype and quantization.
//!
//! Input: `u16 LE n` · `n` bytes of a weightsManifest JSON (the list of
//! groups) · the concatenated shard bytes. Checks the shard split, the
//! layout, decoding, re-encoding of what decoded, and requantization.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod framed;
use tfjs_format::codec::{decode_weights, encode_weights, weight_layout};
use tfjs_format::manifest::manifest_from_value;
use tfjs_format::quantize::requantize_artifacts;
use tfjs_format::shard::{check_shard_lengths, sniff_text};
use tfjs_format::{ModelArtifacts, QuantizationDType, WeightData};

fuzz_target!(|data: &[u8]| {
    let Some((json, bin)) = framed::split(data) else {
        return;
    };
    let _ = sniff_text(bin);
    let Ok(value) = tfjs_format::json::parse_value(json, "model.json") else {
        return;
    };
    let Ok(manifest) = manifest_from_value(&value, "model.json", "weightsManifest") else {
        return;
    };
    for group in &manifest {
        let _ = group.stored_byte_len();
        let _ = check_shard_lengths(group, &[bin.len() as u64]);
    }
    let specs: Vec<_> = manifest.into_iter().flat_map(|g| g.weights).collect();
    let weight_data = WeightData::from_vec(bin.to_vec());
    let Ok(layout) = weight_layout(&specs, &weight_data) else {
        return;
    };
    assert_eq!(layout.len(), specs.len());
    for &(offset, len) in &layout {
        assert!(offset + len <= bin.len() as u64, "layout past the end");
    }
    let Ok(decoded) = decode_weights(&specs, &weight_data) else {
        return;
    };
    if let Ok((specs2, bytes2)) = encode_weights(&decoded) {
        let again = decode_weights(&specs2, &WeightData::from_vec(bytes2))
            .expect("re-encoded weights must decode");
        assert_eq!(again.len(), decoded.len());
    }
    let artifacts = ModelArtifacts {
        weight_specs: specs,
        weight_data,
        ..Default::default()
    };
    for q in [
        None,
        Some(QuantizationDType::Uint8),
        Some(QuantizationDType::Uint16),
        Some(QuantizationDType::Float16),
    ] {
        if let Ok(out) = requantize_artifacts(&artifacts, q) {
            let _ = decode_weights(&out.weight_specs, &out.weight_data);
        }
    }
});

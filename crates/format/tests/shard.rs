//! Sharding against the converter's `mobilenet_v1_sharded` fixture, and the
//! loaders' shard-length check.

mod common;
use bytes::Bytes;
use common::*;
use tfjs_format::shard::{check_shard_lengths, check_shards, converter_layout, split};
use tfjs_format::{FormatError, JsonStyle, ModelJson, WeightData};

#[test]
fn split_mobilenet_v1_like_the_converter() {
    let (src, data) = load_converter_model(&fixtures().join("keras/mobilenet_v1"));
    assert_eq!(data.buffers.len(), 1);
    let sharded_dir = fixtures().join("keras/mobilenet_v1_sharded");
    let (want, _) = load_converter_model(&sharded_dir);
    let want_group = &want.weights_manifest.as_ref().unwrap()[0];
    assert_eq!(want_group.paths.len(), 20);

    let (shards, manifest) = converter_layout(src.weight_specs(), &data, 100_000);
    assert_eq!(manifest[0].paths, want_group.paths);
    assert_eq!(manifest[0].weights, want_group.weights);
    for (bytes, path) in shards.iter().zip(&want_group.paths) {
        assert!(*bytes == read(&sharded_dir.join(path)), "{path} differs");
        // Zero-copy: each shard points into the single input buffer.
        let base = data.buffers[0].as_ptr() as usize;
        let p = bytes.as_ptr() as usize;
        assert!(p >= base && p + bytes.len() <= base + data.buffers[0].len());
    }
    // The whole model.json too (same topology and converter metadata).
    let artifacts = src.into_artifacts(data);
    let mj = ModelJson::from_artifacts(&artifacts, manifest);
    assert!(mj.to_bytes(JsonStyle::Converter) == read(&sharded_dir.join("model.json")));

    // And the shard check accepts the real shards.
    let real: Vec<Vec<u8>> = want_group
        .paths
        .iter()
        .map(|p| read(&sharded_dir.join(p)))
        .collect();
    check_shards(want_group, &real).unwrap();
}

#[test]
fn split_across_buffers() {
    let data = WeightData {
        buffers: vec![
            Bytes::from_static(b"abc"),
            Bytes::from_static(b""),
            Bytes::from_static(b"defgh"),
        ],
    };
    let parts = split(&data, 2);
    let got: Vec<&[u8]> = parts.iter().map(|b| b.as_ref()).collect();
    assert_eq!(got, [&b"ab"[..], b"cd", b"ef", b"gh"]);
    assert_eq!(split(&WeightData::default(), 4), vec![Bytes::new()]);
    assert_eq!(split(&data, 0).len(), 1);
}

#[test]
fn shard_length_errors_name_the_shard() {
    let dir = fixtures().join("keras/mobilenet_v1_sharded");
    let (m, _) = load_converter_model(&dir);
    let group = &m.weights_manifest.as_ref().unwrap()[0];
    let mut shards: Vec<Vec<u8>> = group.paths.iter().map(|p| read(&dir.join(p))).collect();
    let last_len = shards[19].len() as u64;

    // An error page instead of shard 5.
    let mut bad = shards.clone();
    bad[4] = b"\n  <!DOCTYPE html><html><body>404 Not Found</body></html>".to_vec();
    match check_shards(group, &bad).unwrap_err() {
        FormatError::ShardLength {
            shard,
            expected,
            actual,
            looks_like,
        } => {
            assert_eq!(shard, "group1-shard5of20.bin");
            assert_eq!(expected, 100_000);
            assert_eq!(actual, bad[4].len() as u64);
            assert_eq!(looks_like, Some("HTML"));
        }
        e => panic!("{e}"),
    }
    // A truncated last shard: lengths only.
    let mut lens: Vec<u64> = shards.iter().map(|s| s.len() as u64).collect();
    lens[19] -= 10;
    let e = check_shard_lengths(group, &lens).unwrap_err();
    assert!(
        matches!(&e, FormatError::ShardLength { shard, expected, actual, looks_like: None }
            if shard == "group1-shard20of20.bin" && *expected == last_len && *actual == last_len - 10),
        "{e}"
    );
    assert!(e.to_string().contains("group1-shard20of20.bin"), "{e}");
    // A short middle shard without text.
    shards[2].truncate(99_000);
    let e = check_shards(group, &shards).unwrap_err();
    assert!(
        matches!(&e, FormatError::ShardLength { shard, expected: 100_000, actual: 99_000, .. } if shard == "group1-shard3of20.bin"),
        "{e}"
    );
    // Wrong number of shards.
    let e = check_shard_lengths(group, &lens[..19]).unwrap_err();
    assert!(
        matches!(
            e,
            FormatError::ShardCount {
                expected: 20,
                actual: 19
            }
        ),
        "{e}"
    );
}

#[test]
fn single_shard_json_error_body() {
    let (group, weights) = mlp_group_and_weights();
    let group = &group;
    check_shards(group, &[weights]).unwrap();
    let body = br#"{"error": "not found"}"#;
    let e = check_shards(group, &[body]).unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(&e, FormatError::ShardLength { shard, expected: 1600, actual: 22, looks_like: Some("JSON") } if shard == "weights.bin"),
        "{text}"
    );
    assert!(text.contains("look like JSON"), "{text}");
}

#[test]
fn string_weights_checked_through_their_bytes() {
    let dir = reference().join("tfjs-captures/fixtures/encode_misc");
    let specs = tfjs_format::weight_specs_from_value(
        &serde_json::from_slice(&read(&dir.join("specs.json"))).unwrap(),
        "specs.json",
    )
    .unwrap();
    let group = tfjs_format::WeightsManifestGroup {
        paths: vec!["w.bin".into()],
        weights: specs,
        extra: Default::default(),
    };
    let data = read(&dir.join("data.bin"));
    check_shards(&group, &[&data[..]]).unwrap();
    // One byte short: the shard is named, with the bytes it must hold.
    let e = check_shards(&group, &[&data[..data.len() - 1]]).unwrap_err();
    assert!(
        matches!(&e, FormatError::ShardLength { expected, actual, .. } if *expected == data.len() as u64 && *actual == data.len() as u64 - 1),
        "{e}"
    );
    // A truncated download that is an error page is still called one.
    let e = check_shards(&group, &[b"<!DOCTYPE html><html>".as_slice()]).unwrap_err();
    assert!(
        matches!(
            &e,
            FormatError::ShardLength {
                looks_like: Some("HTML"),
                ..
            }
        ),
        "{e}"
    );
}

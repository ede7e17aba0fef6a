//! dtypes TensorFlow.js cannot store, and the sharded-weights `.keras`
//! variant, against values written by Keras itself (tests/data, made by
//! scripts/make_test_data.py).

use tfjs_format::codec::{decode_weights, TensorValues};
use tfjs_format::DType;
use tfjs_keras::h5::{H5File, Node};
use tfjs_keras::import_keras;
use tfjs_keras::tensor::read_weight;

fn floats(v: &TensorValues) -> Vec<f32> {
    match v {
        TensorValues::Float32(f) => f.clone(),
        other => panic!("not float32: {other:?}"),
    }
}

#[test]
fn bfloat16_keras_weights_become_float32_with_a_note() {
    let bytes = std::fs::read("tests/data/k3_bf16.keras").unwrap();
    let imported = import_keras(&bytes).unwrap();
    let notes = imported.notes.join("\n");
    assert!(
        notes.contains("layers/dense_1/vars/0: bfloat16 stored as float32"),
        "{notes}"
    );
    assert!(notes.contains("layers/dense_1/vars/1: bfloat16"), "{notes}");
    let a = &imported.artifacts;
    assert!(a.weight_specs.iter().all(|w| w.dtype == DType::Float32));
    // Keras's own values (bfloat16 cast to float32 by Keras), by variable path.
    let want: serde_json::Value =
        serde_json::from_slice(&std::fs::read("tests/data/k3_bf16.values.json").unwrap()).unwrap();
    let decoded = decode_weights(&a.weight_specs, &a.weight_data).unwrap();
    for (ours, keras) in [
        ("layers/dense/vars/0", "hidden/kernel"),
        ("layers/dense/vars/1", "hidden/bias"),
        ("layers/dense_1/vars/0", "half/kernel"),
        ("layers/dense_1/vars/1", "half/bias"),
        ("layers/dense_2/vars/0", "probs/kernel"),
    ] {
        let got = floats(&decoded.iter().find(|d| d.name == ours).unwrap().values);
        let flat: Vec<f32> = flatten(&want[keras]);
        assert_eq!(got, flat, "{ours} vs Keras {keras}");
    }
}

fn flatten(v: &serde_json::Value) -> Vec<f32> {
    match v {
        serde_json::Value::Array(a) => a.iter().flat_map(flatten).collect(),
        n => vec![n.as_f64().unwrap() as f32],
    }
}

#[test]
fn sharded_keras_archive_reads_like_the_single_file_one() {
    let plain = import_keras(&std::fs::read("tests/data/k3_plain.keras").unwrap()).unwrap();
    let sharded = import_keras(&std::fs::read("tests/data/k3_sharded.keras").unwrap()).unwrap();
    assert_eq!(sharded.artifacts.weight_specs, plain.artifacts.weight_specs);
    assert_eq!(
        sharded.artifacts.weight_data.contiguous(),
        plain.artifacts.weight_data.contiguous()
    );
    assert_eq!(
        sharded.artifacts.model_topology,
        plain.artifacts.model_topology
    );
}

#[test]
fn h5_dtypes_convert_like_the_converter_or_with_a_note() {
    let bytes = std::fs::read("tests/data/variants_v0.h5").unwrap();
    let file = H5File::parse(&bytes).unwrap();
    let group = file.root.get("model_weights/dense/dense").unwrap();
    let read = |name: &str, notes: &mut Vec<String>| {
        let Some(Node::Dataset(d)) = group.get(name) else {
            panic!("{name}")
        };
        read_weight(&file, d, name, name, notes).unwrap()
    };
    let mut notes = Vec::new();
    let f32w = read("kernel:0", &mut notes);
    // float16 / float64 → float32 and int64 → int32 silently, as the converter does.
    for (name, dtype) in [
        ("f64", DType::Float32),
        ("f16", DType::Float32),
        ("i64", DType::Int32),
    ] {
        assert_eq!(read(name, &mut notes).dtype, dtype, "{name}");
    }
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(read("f64", &mut notes).data, f32w.data);
    assert_eq!(
        &*read("big_endian", &mut notes).data,
        &f32w.data[7 * 3 * 4..2 * 7 * 3 * 4]
    );
    let i64w = read("i64", &mut notes);
    let ints: Vec<i32> = i64w
        .data
        .chunks(4)
        .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(ints, (-3..9).collect::<Vec<_>>());
    // uint8 and bfloat16 are converted with a note each.
    let u8w = read("u8", &mut notes);
    assert_eq!(u8w.dtype, DType::Int32);
    assert_eq!(
        i32::from_le_bytes(u8w.data[20..24].try_into().unwrap()),
        255
    );
    let bf = read("bf16", &mut notes);
    assert_eq!(bf.dtype, DType::Float32);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].contains("uint8 stored as int32") && notes[1].contains("bfloat16"),
        "{notes:?}"
    );
    // bfloat16 keeps the top 16 bits of the float32 values it was made from.
    for (a, b) in bf
        .data
        .chunks(4)
        .zip(f32w.data[2 * 21 * 4..3 * 21 * 4].chunks(4))
    {
        let (a, b) = (
            f32::from_le_bytes(a.try_into().unwrap()),
            f32::from_le_bytes(b.try_into().unwrap()),
        );
        assert!((a - b).abs() <= b.abs() / 128.0, "{a} vs {b}");
    }
}

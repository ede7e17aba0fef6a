//! Weight codecs against the digest's Appendix A vectors and TF.js captures,
//! plus property tests for every dtype.

mod common;
use bytes::Bytes;
use common::*;
use proptest::prelude::*;
use tfjs_format::codec::{
    decode_weights, encode_weights, stored_byte_len, DecodedWeight, TensorValues,
};
use tfjs_format::quantize::quantize;
use tfjs_format::{
    weight_specs_from_value, DType, FormatError, JsonStyle, QuantizationDType, WeightData,
    WeightSpec,
};

fn dw(name: &str, shape: Vec<usize>, values: TensorValues) -> DecodedWeight {
    DecodedWeight {
        name: name.into(),
        shape,
        values,
        group: None,
    }
}

/// A.2 / `encode_misc`: TF.js `encodeWeights` of string, bool, complex64, int32.
#[test]
fn encode_misc_capture_roundtrip() {
    let dir = reference().join("tfjs-captures/fixtures/encode_misc");
    let specs_json = read(&dir.join("specs.json"));
    let data = read(&dir.join("data.bin"));
    let specs =
        weight_specs_from_value(&serde_json::from_slice(&specs_json).unwrap(), "specs.json")
            .unwrap();
    // Decode, split across buffers at every position to exercise straddling.
    for cut in 0..=data.len() {
        let wd = WeightData {
            buffers: vec![
                Bytes::copy_from_slice(&data[..cut]),
                Bytes::copy_from_slice(&data[cut..]),
            ],
        };
        let decoded = decode_weights(&specs, &wd).unwrap();
        assert_eq!(
            decoded[0].values,
            TensorValues::String(vec![b"a".to_vec(), "héllo".as_bytes().to_vec(), vec![]])
        );
        assert_eq!(decoded[1].values, TensorValues::Bool(vec![1, 0]));
        assert_eq!(
            decoded[2].values,
            TensorValues::Complex64(vec![1.0, 3.0, 2.0, 4.0])
        );
        assert_eq!(decoded[3].values, TensorValues::Int32(vec![-1, 2]));
        let (specs2, bytes) = encode_weights(&decoded).unwrap();
        assert_eq!(bytes, data);
        assert_eq!(specs2, specs);
        // specs ⇄ JSON gives TF.js's exact JSON.stringify text.
        assert_eq!(
            JsonStyle::Browser
                .to_string(&tfjs_format::weight_specs_to_value(&specs2))
                .as_bytes(),
            &specs_json[..]
        );
    }
}

/// A.3: float16 → float32 (the JS table decoder, bit for bit).
#[test]
fn float16_decode_vectors() {
    let table: [(u16, u32); 9] = [
        (0x0001, 0x33800000),
        (0x03ff, 0x387fc000),
        (0x0400, 0x38800000),
        (0x7bff, 0x477fe000),
        (0x7c00, 0x7f800000),
        (0xfc00, 0xff800000),
        (0x7e00, 0x7fc00000),
        (0x8000, 0x80000000),
        (0x3555, 0x3eaaa000),
    ];
    let mut spec = WeightSpec::new("h", vec![table.len()], DType::Float32);
    spec.quantization = Some(quantize(&[], QuantizationDType::Float16).1);
    let bytes: Vec<u8> = table.iter().flat_map(|(h, _)| h.to_le_bytes()).collect();
    let d = decode_weights(&[spec], &WeightData::from_vec(bytes)).unwrap();
    let TensorValues::Float32(v) = &d[0].values else {
        panic!()
    };
    for ((h, bits), got) in table.iter().zip(v) {
        assert_eq!(got.to_bits(), *bits, "half {h:#06x}");
    }
    // Python writer: [0.1, 65504, 1e-8, -2.5] → [0x2e66, 0x7bff, 0, 0xc100].
    let (b, q) = quantize(&[0.1, 65504.0, 1e-8, -2.5], QuantizationDType::Float16);
    assert_eq!(b, [0x66, 0x2e, 0xff, 0x7b, 0, 0, 0x00, 0xc1]);
    assert_eq!(
        JsonStyle::Converter.to_string(&q.to_value()),
        r#"{"dtype": "float16", "original_dtype": "float32"}"#
    );
}

/// A.4: affine quantization (Python writer → JS reader).
#[test]
fn affine_quantization_vectors() {
    type Row = (
        &'static [f32],
        QuantizationDType,
        &'static [u16],
        &'static str,
        &'static str,
        &'static [f64],
    );
    let rows: [Row; 5] = [
        (
            &[-1.0, 0.0, 0.5, 2.0],
            QuantizationDType::Uint8,
            &[0, 85, 128, 255],
            "-1.0",
            "0.011764705882352941",
            &[-1.0, 0.0, 0.5058823823928833, 2.0],
        ),
        (
            &[0.1, 0.2, 0.3],
            QuantizationDType::Uint8,
            &[0, 127, 255],
            "0.10000000149011612",
            "0.0007843137663953445",
            &[
                0.10000000149011612,
                0.19960784912109375,
                0.30000001192092896,
            ],
        ),
        (
            &[-3.0, -1.0],
            QuantizationDType::Uint16,
            &[0, 65535],
            "-3.0",
            "3.0518043793392844e-05",
            &[-3.0, -1.0],
        ),
        (
            &[1.5, 1.5],
            QuantizationDType::Uint8,
            &[0, 0],
            "1.5",
            "1.0",
            &[1.5, 1.5],
        ),
        (
            &[-0.1, 0.0, 1.2],
            QuantizationDType::Uint8,
            &[0, 20, 255],
            "-0.10196078817049663",
            "0.0050980394085248315",
            &[-0.10196078568696976, 0.0, 1.1980392932891846],
        ),
    ];
    for (input, dtype, qs, min, scale, deq) in rows {
        let (bytes, q) = quantize(input, dtype);
        let stored: Vec<u16> = if dtype == QuantizationDType::Uint8 {
            bytes.iter().map(|&b| b as u16).collect()
        } else {
            bytes
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect()
        };
        assert_eq!(stored, qs, "{input:?}");
        assert_eq!(
            JsonStyle::Converter.to_string(&q.to_value()),
            format!(
                r#"{{"dtype": "{}", "min": {min}, "scale": {scale}, "original_dtype": "float32"}}"#,
                dtype.as_str()
            )
        );
        let mut spec = WeightSpec::new("q", vec![input.len()], DType::Float32);
        spec.quantization = Some(q);
        let d = decode_weights(&[spec], &WeightData::from_vec(bytes)).unwrap();
        let TensorValues::Float32(v) = &d[0].values else {
            panic!()
        };
        let got: Vec<f64> = v.iter().map(|&x| x as f64).collect();
        assert_eq!(got, deq, "{input:?}");
    }
}

/// A.4: int32 dequantization uses JS Math.round (ties toward +∞).
#[test]
fn int32_dequantization_uses_js_round() {
    let text = r#"[{"name":"i","shape":[4],"dtype":"int32","quantization":{"dtype":"uint8","min":-1.5,"scale":1}}]"#;
    let specs = weight_specs_from_value(&serde_json::from_str(text).unwrap(), "t").unwrap();
    let d = decode_weights(&specs, &WeightData::from_vec(vec![0, 1, 2, 3])).unwrap();
    assert_eq!(d[0].values, TensorValues::Int32(vec![-1, 0, 1, 2]));
}

#[test]
fn quantization_errors_match_tfjs_messages() {
    let cases = [
        (r#"{"dtype":"uint8","min":0}"#, "float32", "Weight w with quantization uint8 doesn't have corresponding metadata min and scale."),
        (r#"{"dtype":"float16"}"#, "int32", "Weight w is quantized with float16 which only supports weights of type float32 not int32."),
        (r#"{"dtype":"uint16","min":0,"scale":1}"#, "bool", "Unsupported dtype in weight 'w': bool"),
    ];
    for (q, dtype, msg) in cases {
        let text = format!(r#"[{{"name":"w","shape":[1],"dtype":"{dtype}","quantization":{q}}}]"#);
        let specs = weight_specs_from_value(&serde_json::from_str(&text).unwrap(), "t").unwrap();
        let n = stored_byte_len(&specs[0]).unwrap().unwrap() as usize;
        let e = decode_weights(&specs, &WeightData::from_vec(vec![0; n])).unwrap_err();
        assert!(
            matches!(&e, FormatError::Weight { weight, .. } if weight == "w"),
            "{e}"
        );
        assert!(e.to_string().contains(msg), "{e}");
    }
    // `null` min/scale pass TF.js's `in` check and count as 0.
    let text = r#"[{"name":"w","shape":[2],"dtype":"float32","quantization":{"dtype":"uint8","min":null,"scale":null}}]"#;
    let specs = weight_specs_from_value(&serde_json::from_str(text).unwrap(), "t").unwrap();
    let d = decode_weights(&specs, &WeightData::from_vec(vec![3, 4])).unwrap();
    assert_eq!(d[0].values, TensorValues::Float32(vec![0.0, 0.0]));
    assert_eq!(
        JsonStyle::Browser.to_string(&tfjs_format::weight_specs_to_value(&specs)),
        text
    );
}

#[test]
fn length_checks_happen_before_allocation() {
    // A shape claiming 2^40 floats with 8 bytes of data: rejected, no allocation.
    let specs = vec![WeightSpec::new(
        "huge",
        vec![1 << 20, 1 << 20],
        DType::Float32,
    )];
    let e = decode_weights(&specs, &WeightData::from_vec(vec![0; 8])).unwrap_err();
    assert!(
        matches!(e, FormatError::WeightDataLength { actual: 8, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("huge"), "{e}");
    // A string tensor with billions of elements: bounded by the bytes left.
    let specs = vec![WeightSpec::new("s", vec![4_000_000_000], DType::String)];
    let e = decode_weights(&specs, &WeightData::from_vec(vec![0; 16])).unwrap_err();
    assert!(e.to_string().contains('s'), "{e}");
    // A string whose length prefix points past the end.
    let specs = vec![WeightSpec::new("txt", vec![1], DType::String)];
    let mut b = 1000u32.to_le_bytes().to_vec();
    b.extend_from_slice(b"abc");
    let e = decode_weights(&specs, &WeightData::from_vec(b)).unwrap_err();
    assert!(
        matches!(&e, FormatError::Weight { weight, .. } if weight == "txt"),
        "{e}"
    );
    assert!(e.to_string().contains("1000"), "{e}");
    // Short data names the first weight that does not fit.
    let specs = vec![
        WeightSpec::new("a", vec![2], DType::Float32),
        WeightSpec::new("b", vec![2], DType::Float32),
    ];
    let e = decode_weights(&specs, &WeightData::from_vec(vec![0; 12])).unwrap_err();
    assert!(
        matches!(
            e,
            FormatError::WeightDataLength {
                expected: 16,
                actual: 12,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("`b`"), "{e}");
    // Trailing bytes are reported too.
    let e = decode_weights(&specs, &WeightData::from_vec(vec![0; 20])).unwrap_err();
    assert!(e.to_string().contains("4 bytes left over"), "{e}");
}

#[test]
fn encode_rejects_wrong_value_count() {
    let e =
        encode_weights(&[dw("k", vec![2, 3], TensorValues::Float32(vec![0.0; 5]))]).unwrap_err();
    assert!(
        matches!(&e, FormatError::Weight { weight, .. } if weight == "k"),
        "{e}"
    );
}

/// Every fixture's weights decode (tfjs Node files and converter shards).
#[test]
fn all_fixture_weights_decode() {
    for d in subdirs(&fixtures().join("tfjs")) {
        let m = tfjs_format::ModelJson::parse(&read(&d.join("model.json")), "m").unwrap();
        let data = WeightData::from_vec(read(&d.join("weights.bin")));
        let w = decode_weights(&m.weight_specs(), &data).unwrap();
        let (_, again) = encode_weights(&w).unwrap();
        assert_eq!(again, &*data.contiguous(), "{}", d.display());
    }
    for d in subdirs(&fixtures().join("keras")) {
        let (m, data) = load_converter_model(&d);
        decode_weights(&m.weight_specs(), &data).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    }
}

fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..5, 0..4)
}

fn values_for(dtype: DType, n: usize) -> BoxedStrategy<TensorValues> {
    match dtype {
        DType::Float32 => {
            prop::collection::vec(any::<f32>().prop_filter("not NaN", |x| !x.is_nan()), n)
                .prop_map(TensorValues::Float32)
                .boxed()
        }
        DType::Int32 => prop::collection::vec(any::<i32>(), n)
            .prop_map(TensorValues::Int32)
            .boxed(),
        DType::Bool => prop::collection::vec(any::<u8>(), n)
            .prop_map(TensorValues::Bool)
            .boxed(),
        DType::Complex64 => prop::collection::vec(-1e30f32..1e30, 2 * n)
            .prop_map(TensorValues::Complex64)
            .boxed(),
        DType::String => prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), n)
            .prop_map(TensorValues::String)
            .boxed(),
    }
}

fn weight_strategy() -> impl Strategy<Value = DecodedWeight> {
    (
        prop_oneof![
            Just(DType::Float32),
            Just(DType::Int32),
            Just(DType::Bool),
            Just(DType::Complex64),
            Just(DType::String)
        ],
        shape_strategy(),
    )
        .prop_flat_map(|(dtype, shape)| {
            let n = shape.iter().product::<usize>();
            values_for(dtype, n).prop_map(move |values| dw("w", shape.clone(), values))
        })
}

proptest! {
    #[test]
    fn encode_decode_identity(ws in prop::collection::vec(weight_strategy(), 0..6), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        let ws: Vec<DecodedWeight> = ws.into_iter().enumerate().map(|(i, mut w)| { w.name = format!("w{i}"); w }).collect();
        let (specs, bytes) = encode_weights(&ws).unwrap();
        // Cut the stream into several buffers at arbitrary points.
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        points.sort();
        let mut buffers = Vec::new();
        let mut last = 0;
        for p in points { buffers.push(Bytes::copy_from_slice(&bytes[last..p])); last = p; }
        buffers.push(Bytes::copy_from_slice(&bytes[last..]));
        let decoded = decode_weights(&specs, &WeightData { buffers }).unwrap();
        prop_assert_eq!(decoded, ws);
    }

    #[test]
    fn affine_error_within_half_scale(values in prop::collection::vec(-1e6f32..1e6, 1..200), u16_ in any::<bool>()) {
        let dtype = if u16_ { QuantizationDType::Uint16 } else { QuantizationDType::Uint8 };
        let (bytes, q) = quantize(&values, dtype);
        let scale = q.scale_f64();
        let mut spec = WeightSpec::new("q", vec![values.len()], DType::Float32);
        spec.quantization = Some(q);
        let d = decode_weights(&[spec], &WeightData::from_vec(bytes)).unwrap();
        let TensorValues::Float32(v) = &d[0].values else { panic!() };
        for (x, y) in values.iter().zip(v) {
            // Half a step, plus float32 rounding of the result.
            let bound = scale / 2.0 + (*x as f64).abs().max((*y as f64).abs()) * 1.2e-7 + 1e-30;
            prop_assert!(((*x as f64) - (*y as f64)).abs() <= bound, "{} vs {} scale {}", x, y, scale);
        }
    }

    #[test]
    fn float16_rounding_bound(values in prop::collection::vec(-65504f32..65504.0, 1..200)) {
        let (bytes, q) = quantize(&values, QuantizationDType::Float16);
        let mut spec = WeightSpec::new("h", vec![values.len()], DType::Float32);
        spec.quantization = Some(q);
        let d = decode_weights(&[spec], &WeightData::from_vec(bytes)).unwrap();
        let TensorValues::Float32(v) = &d[0].values else { panic!() };
        for (x, y) in values.iter().zip(v) {
            // Round-to-nearest: relative error ≤ 2^-11 for normals,
            // absolute ≤ 2^-25 (half the subnormal step) below.
            let err = (x - y).abs() as f64;
            prop_assert!(err <= (x.abs() as f64) * 2f64.powi(-11) || err <= 2f64.powi(-25), "{} vs {}", x, y);
        }
    }
}

//! Quantized weights: bad `quantization` objects, dtypes and byte counts.

use crate::*;

/// The base MLP with d1/kernel stored quantized (12 elements).
fn quantized_case(name: &str, q: Value, kernel_bytes: Vec<u8>) -> Case {
    let mut mj = Mlp::new().json();
    mj["weightsManifest"][0]["weights"][0]["quantization"] = q;
    let mut w = kernel_bytes;
    w.extend(floats(MLP_FLOATS).split_off(12 * 4));
    Case::new(name).model(&mj, w).io(&mlp_io())
}

pub(crate) fn quantization_cases() -> Vec<Case> {
    let u8s = (0..12u8).collect::<Vec<u8>>();
    let u16s: Vec<u8> = (0..12u16).flat_map(|x| (x * 1000).to_le_bytes()).collect();
    let f16s: Vec<u8> = (0..12u16)
        .flat_map(|x| (0x3c00 + x).to_le_bytes())
        .collect();
    let mut v = vec![quantized_case(
        "control uint8 quantization",
        json!({"dtype": "uint8", "min": -1.0, "scale": 0.01}),
        u8s.clone(),
    )
    .verify(OK, &[])
    .predict(OK, &[])];
    let bad: Vec<(&str, Value, Vec<u8>, &str)> = vec![
        (
            "negative scale",
            json!({"dtype": "uint8", "min": -1.0, "scale": -0.01}),
            u8s.clone(),
            "scale",
        ),
        (
            "scale that makes weights infinite",
            json!({"dtype": "uint8", "min": 0.0, "scale": 1e308}),
            u8s.clone(),
            "scale",
        ),
        (
            "infinite min",
            json!({"dtype": "uint16", "min": -1e308, "scale": 1e306}),
            u16s.clone(),
            "d1/kernel",
        ),
        (
            "original_dtype contradicts dtype",
            json!({"dtype": "uint8", "min": -1.0, "scale": 0.01, "original_dtype": "int32"}),
            u8s.clone(),
            "original_dtype",
        ),
        (
            "zero scale",
            json!({"dtype": "uint8", "min": 0.5, "scale": 0.0}),
            u8s.clone(),
            "scale",
        ),
    ];
    for (what, q, bytes, field) in bad {
        v.push(
            quantized_case(&format!("quantization: {what}"), q, bytes)
                .verify(FOUND, &[field])
                .predict(ERROR_OR_WARNING, &[field]),
        );
    }
    let malformed: Vec<(&str, Value, Vec<u8>, &str)> = vec![
        (
            "scale is a string",
            json!({"dtype": "uint8", "min": -1.0, "scale": "0.01"}),
            u8s.clone(),
            "scale",
        ),
        (
            "min absent",
            json!({"dtype": "uint8", "scale": 0.01}),
            u8s.clone(),
            "min",
        ),
        (
            "scale absent",
            json!({"dtype": "uint16", "min": 0.0}),
            u16s.clone(),
            "scale",
        ),
        (
            "unknown dtype uint4",
            json!({"dtype": "uint4", "min": 0.0, "scale": 1.0}),
            u8s.clone(),
            "uint4",
        ),
        (
            "dtype absent",
            json!({"min": 0.0, "scale": 1.0}),
            u8s.clone(),
            "quantization",
        ),
        (
            "quantization is an array",
            json!(["uint8", 0.0, 1.0]),
            u8s.clone(),
            "quantization",
        ),
        (
            "uint8 payload one byte short",
            json!({"dtype": "uint8", "min": 0.0, "scale": 1.0}),
            u8s[..11].to_vec(),
            "weights.bin",
        ),
        (
            "uint16 payload with an odd byte count",
            json!({"dtype": "uint16", "min": 0.0, "scale": 1.0}),
            u16s[..23].to_vec(),
            "weights.bin",
        ),
        (
            "float16 payload holding uint8 bytes",
            json!({"dtype": "float16"}),
            u8s.clone(),
            "weights.bin",
        ),
    ];
    for (what, q, bytes, culprit) in malformed {
        v.push(quantized_case(&format!("quantization: {what}"), q, bytes).refused(&[culprit]));
    }
    // float16 values that are infinite / NaN after dequantization.
    let inf16: Vec<u8> = (0..12).flat_map(|_| 0x7c00u16.to_le_bytes()).collect();
    v.push(
        quantized_case(
            "quantization: float16 infinities",
            json!({"dtype": "float16"}),
            inf16,
        )
        .verify(FOUND, &["d1/kernel"])
        .predict(ERROR_OR_WARNING, &["d1/kernel"]),
    );
    // Quantization on dtypes it does not apply to.
    for (dtype, q) in [
        ("bool", json!({"dtype": "uint8", "min": 0.0, "scale": 1.0})),
        ("int32", json!({"dtype": "float16"})),
        (
            "string",
            json!({"dtype": "uint8", "min": 0.0, "scale": 1.0}),
        ),
    ] {
        let mut c = quantized_case(
            &format!("quantization: {} on a {dtype} weight", q["dtype"]),
            q,
            f16s.clone(),
        );
        if let Entry::Bytes(b) = &mut c.entries[0].1 {
            let mut mj: Value = serde_json::from_slice(b).unwrap();
            mj["weightsManifest"][0]["weights"][0]["dtype"] = json!(dtype);
            *b = mj.to_string().into_bytes();
        }
        v.push(
            c.verify(FOUND, &["quantization"])
                .predict(ERROR, &["d1/kernel"]),
        );
    }
    v
}

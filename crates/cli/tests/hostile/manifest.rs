//! `weightsManifest`: missing, malformed or lying entries (names, shapes,
//! dtypes, paths, groups).

use crate::*;

pub(crate) fn manifest_cases() -> Vec<Case> {
    let mut v = vec![];
    v.push(
        mlp_case("manifest: weightsManifest []", |m| {
            m["weightsManifest"] = json!([])
        })
        .verify(FOUND, &["d1/kernel"])
        .predict(ERROR, &["d1/kernel", "d2/bias"])
        // Asked for explicitly, a non-strict load runs on the initial
        // weights, and says so naming every weight it did not set.
        .run(
            &["predict", "{m}", "--inputs", "{d}/io.json", "--non-strict"],
            OK,
            &[
                "warning: model `hostile`: non-strict load",
                "d1/kernel",
                "d2/bias",
            ],
        ),
    );
    v.push(
        mlp_case("manifest: weightsManifest absent", |m| {
            m.as_object_mut().unwrap().shift_remove("weightsManifest");
        })
        .verify(FOUND, &["weightsManifest"])
        .predict(ERROR, &["d1/kernel", "d2/bias"])
        .run(
            &["predict", "{m}", "--inputs", "{d}/io.json", "--non-strict"],
            OK,
            &[
                "warning: model `hostile`: non-strict load",
                "d1/kernel",
                "d2/bias",
            ],
        ),
    );
    v.push(
        mlp_case("manifest: one group with no weights", |m| {
            m["weightsManifest"][0]["weights"] = json!([])
        })
        .bytes("model/weights.bin", vec![])
        .verify(FOUND, &["d1/kernel"])
        .predict(ERROR, &["d1/kernel"]),
    );
    v.push(
        mlp_case("manifest: a missing weight", |m| {
            m["weightsManifest"][0]["weights"]
                .as_array_mut()
                .unwrap()
                .remove(3);
        })
        .bytes("model/weights.bin", floats(MLP_FLOATS - 2))
        .verify(FOUND, &["d2/bias"])
        .predict(ERROR, &["d2/bias"]),
    );
    v.push(
        mlp_case("manifest: a weight of an unknown layer", |m| {
            m["weightsManifest"][0]["weights"][3]["name"] = json!("zz/bias")
        })
        .verify(FOUND, &["zz/bias"])
        .predict(ERROR, &["zz/bias"]),
    );
    v.push(
        mlp_case("manifest: duplicate weight names", |m| {
            m["weightsManifest"][0]["weights"][1]["name"] = json!("d1/kernel");
            m["weightsManifest"][0]["weights"][1]["shape"] = json!([4, 3]);
        })
        .bytes("model/weights.bin", floats(MLP_FLOATS + 9))
        .verify(FOUND, &["d1/kernel"])
        .predict(ERROR, &["d1/kernel"]),
    );
    v.push(
        mlp_case("manifest: mis-shaped kernel (same size)", |m| {
            m["weightsManifest"][0]["weights"][0]["shape"] = json!([3, 4])
        })
        .verify(FOUND, &["d1/kernel"])
        .predict(ERROR, &["d1/kernel"]),
    );
    v.push(
        mlp_case("manifest: mis-shaped bias (flattened)", |m| {
            m["weightsManifest"][0]["weights"][1]["shape"] = json!([1, 3])
        })
        .verify(FOUND, &["d1/bias"])
        .predict(ERROR, &["d1/bias"]),
    );
    v.push(
        mlp_case("manifest: scalar where a kernel is needed", |m| {
            m["weightsManifest"][0]["weights"][0]["shape"] = json!([])
        })
        .bytes("model/weights.bin", floats(MLP_FLOATS - 11))
        .verify(FOUND, &["d1/kernel"])
        .predict(ERROR, &["d1/kernel"]),
    );
    for (what, shape) in [
        ("negative dimension", json!([-4, 3])),
        ("fractional dimension", json!([4.5, 3])),
        ("string dimension", json!(["4", 3])),
        ("null dimension", json!([null, 3])),
        ("shape is a number", json!(12)),
        ("shape is an object", json!({"0": 4})),
        (
            "dimension 2^64",
            json!([18446744073709551616u128 as f64, 3]),
        ),
        (
            "product overflows",
            json!([4294967296u64, 4294967296u64, 16]),
        ),
        ("dimension 1e300", json!([1e300, 3])),
    ] {
        v.push(
            mlp_case(&format!("manifest: {what}"), |m| {
                m["weightsManifest"][0]["weights"][0]["shape"] = shape
            })
            .verify(FOUND, &["weights[0].shape"])
            .predict(ERROR, &["weights[0].shape|d1/kernel"]),
        );
    }
    v.push(
        mlp_case("manifest: shape absent", |m| {
            m["weightsManifest"][0]["weights"][0]
                .as_object_mut()
                .unwrap()
                .shift_remove("shape");
        })
        .verify(FOUND, &["shape"])
        .predict(ERROR, &["weights[0].shape|d1/kernel"]),
    );
    v.push(
        mlp_case("manifest: huge declared kernel, tiny shard", |m| {
            m["weightsManifest"][0]["weights"][0]["shape"] = json!([100000, 100000])
        })
        .verify(FOUND, &["weights.bin"])
        .predict(ERROR, &["weights.bin"])
        .convert(ERROR, &["weights.bin"]),
    );
    // Every dtype the format does not know, on a weight of the right byte
    // length where a size can be guessed.
    for dtype in [
        json!("float7"),
        json!("float64"),
        json!("int64"),
        json!("uint8"),
        json!("float16"),
        json!("bfloat16"),
        json!("FLOAT32"),
        json!(""),
        json!(42),
        json!(null),
        json!(["float32"]),
    ] {
        let shown = dtype.to_string();
        let culprit = match &dtype {
            Value::String(s) if !s.is_empty() => s.clone(),
            _ => "dtype".to_string(),
        };
        v.push(
            mlp_case(&format!("manifest: dtype {shown}"), |m| {
                m["weightsManifest"][0]["weights"][1]["dtype"] = dtype
            })
            .verify(FOUND, &[&culprit])
            .predict(ERROR, &[&culprit]),
        );
    }
    // Known dtypes that do not fit a Dense kernel: the byte length is right
    // for each, so only the dtype is wrong.
    for (dtype, elem) in [("int32", 4), ("bool", 1), ("complex64", 8)] {
        let mut weights = floats(MLP_FLOATS);
        // d2/bias (2 elements, last in the file) takes `elem` bytes each.
        weights.truncate(weights.len() - 8);
        weights.extend(std::iter::repeat_n(1u8, 2 * elem));
        v.push(
            mlp_case(&format!("manifest: {dtype} bias of a float32 layer"), |m| {
                m["weightsManifest"][0]["weights"][3]["dtype"] = json!(dtype)
            })
            .bytes("model/weights.bin", weights)
            .predict(ERROR, &["d2/bias", dtype]),
        );
    }
    v.push(
        mlp_case("manifest: weight name absent", |m| {
            m["weightsManifest"][0]["weights"][2]
                .as_object_mut()
                .unwrap()
                .shift_remove("name");
        })
        .verify(FOUND, &["weights[2]"])
        .predict(ERROR, &["weights[2]"]),
    );
    v.push(
        mlp_case("manifest: weight entry is a string", |m| {
            m["weightsManifest"][0]["weights"][2] = json!("d2/kernel")
        })
        .verify(FOUND, &["weights[2]"])
        .predict(ERROR, &["weights[2]"]),
    );
    v.push(
        mlp_case("manifest: weights is an object", |m| {
            m["weightsManifest"][0]["weights"] = json!({"d1/kernel": [4, 3]})
        })
        .verify(FOUND, &["weightsManifest[0].weights"])
        .predict(ERROR, &["weights"]),
    );
    v.push(
        mlp_case("manifest: paths is a string", |m| {
            m["weightsManifest"][0]["paths"] = json!("weights.bin")
        })
        .verify(FOUND, &["paths"])
        .predict(ERROR, &["paths"]),
    );
    v.push(
        mlp_case("manifest: a path is a number", |m| {
            m["weightsManifest"][0]["paths"] = json!([7])
        })
        .verify(FOUND, &["paths[0]"])
        .predict(ERROR, &["paths"]),
    );
    v.push(
        mlp_case("manifest: paths empty with weights", |m| {
            m["weightsManifest"][0]["paths"] = json!([])
        })
        .verify(FOUND, &["weightsManifest[0]"])
        .predict(ERROR, &["weightsManifest[0]"]),
    );
    v.push(
        mlp_case("manifest: group is a number", |m| {
            m["weightsManifest"][0]["weights"][0]["group"] = json!(1)
        })
        .verify(FOUND, &["group"])
        .predict(ERROR, &["group"]),
    );
    v.push(
        mlp_case("manifest: control characters in a weight name", |m| {
            m["weightsManifest"][0]["weights"][3]["name"] = json!("d2/bi\u{1b}[31mas\u{7}")
        })
        .verify(FOUND, &["d2/bi"])
        .predict(ERROR, &["d2/bi"]),
    );
    v
}

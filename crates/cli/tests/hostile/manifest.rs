//! `weightsManifest`: missing, malformed or lying entries (names, shapes,
//! dtypes, paths, groups).

use crate::*;

pub(crate) fn manifest_cases() -> Vec<Case> {
    let mut v = vec![];
    // With no weights listed, a non-strict load (asked for explicitly)
    // runs on the initial weights, and says so naming every weight it did
    // not set.
    for (what, to, found) in [
        ("weightsManifest []", Some(json!([])), "d1/kernel"),
        ("weightsManifest absent", None, "weightsManifest"),
    ] {
        v.push(
            mlp_set(&format!("manifest: {what}"), "/weightsManifest", to)
                .verify(FOUND, &[found])
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
    }
    // One edit of the first group, with the weights.bin of as many floats
    // as the edited manifest lists.
    const W: &str = "/weightsManifest/0/weights";
    for (what, at, to, floats_in_bin, culprit) in [
        (
            "one group with no weights",
            W.to_string(),
            Some(json!([])),
            0,
            "d1/kernel",
        ),
        (
            "a missing weight",
            format!("{W}/3"),
            None,
            MLP_FLOATS - 2,
            "d2/bias",
        ),
        (
            "scalar where a kernel is needed",
            format!("{W}/0/shape"),
            Some(json!([])),
            MLP_FLOATS - 11,
            "d1/kernel",
        ),
    ] {
        v.push(
            mlp_set(&format!("manifest: {what}"), &at, to)
                .bytes("model/weights.bin", floats(floats_in_bin))
                .refused(&[culprit]),
        );
    }
    v.push(
        mlp_case("manifest: duplicate weight names", |m| {
            m["weightsManifest"][0]["weights"][1]["name"] = json!("d1/kernel");
            m["weightsManifest"][0]["weights"][1]["shape"] = json!([4, 3]);
        })
        .bytes("model/weights.bin", floats(MLP_FLOATS + 9))
        .refused(&["d1/kernel"]),
    );
    // One edit of the first group that `verify` finds and `predict`
    // refuses, each naming the culprit.
    for (what, at, to, found, refused) in [
        (
            "a weight of an unknown layer",
            "/weights/3/name",
            Some(json!("zz/bias")),
            "zz/bias",
            "zz/bias",
        ),
        (
            "mis-shaped kernel (same size)",
            "/weights/0/shape",
            Some(json!([3, 4])),
            "d1/kernel",
            "d1/kernel",
        ),
        (
            "mis-shaped bias (flattened)",
            "/weights/1/shape",
            Some(json!([1, 3])),
            "d1/bias",
            "d1/bias",
        ),
        (
            "shape absent",
            "/weights/0/shape",
            None,
            "shape",
            "weights[0].shape|d1/kernel",
        ),
        (
            "weight name absent",
            "/weights/2/name",
            None,
            "weights[2]",
            "weights[2]",
        ),
        (
            "weight entry is a string",
            "/weights/2",
            Some(json!("d2/kernel")),
            "weights[2]",
            "weights[2]",
        ),
        (
            "weights is an object",
            "/weights",
            Some(json!({"d1/kernel": [4, 3]})),
            "weightsManifest[0].weights",
            "weights",
        ),
        (
            "paths is a string",
            "/paths",
            Some(json!("weights.bin")),
            "paths",
            "paths",
        ),
        (
            "a path is a number",
            "/paths",
            Some(json!([7])),
            "paths[0]",
            "paths",
        ),
        (
            "paths empty with weights",
            "/paths",
            Some(json!([])),
            "weightsManifest[0]",
            "weightsManifest[0]",
        ),
        (
            "group is a number",
            "/weights/0/group",
            Some(json!(1)),
            "group",
            "group",
        ),
        (
            "control characters in a weight name",
            "/weights/3/name",
            Some(json!("d2/bi\u{1b}[31mas\u{7}")),
            "d2/bi",
            "d2/bi",
        ),
    ] {
        v.push(
            mlp_set(
                &format!("manifest: {what}"),
                &format!("/weightsManifest/0{at}"),
                to,
            )
            .verify(FOUND, &[found])
            .predict(ERROR, &[refused]),
        );
    }
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
        mlp_case("manifest: huge declared kernel, tiny shard", |m| {
            m["weightsManifest"][0]["weights"][0]["shape"] = json!([100000, 100000])
        })
        .refused(&["weights.bin"])
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
            .refused(&[&culprit]),
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
    v
}

//! `model.json` itself: not JSON, wrong types, missing or contradictory top-
//! level keys, layers the engine must refuse by name.

use crate::*;

pub(crate) fn model_json_cases() -> Vec<Case> {
    let mut v = vec![];
    let whole_file: Vec<(&str, Vec<u8>)> = vec![
        ("empty model.json", vec![]),
        ("whitespace model.json", b"  \n\t ".to_vec()),
        ("non-JSON model.json", b"this is not json".to_vec()),
        (
            "HTML model.json",
            b"<!DOCTYPE html><html><body>404</body></html>".to_vec(),
        ),
        (
            "truncated JSON",
            br#"{"modelTopology": {"class_name": "Seq"#.to_vec(),
        ),
        ("JSON array", b"[1, 2, 3]".to_vec()),
        ("JSON string", br#""model""#.to_vec()),
        ("JSON number", b"42".to_vec()),
        ("JSON null", b"null".to_vec()),
        ("NUL bytes", vec![0u8; 64]),
        (
            "invalid UTF-8",
            b"{\"modelTopology\": \"\xff\xfe\"}".to_vec(),
        ),
        ("UTF-16 BOM", b"\xff\xfe{\0}\0".to_vec()),
        ("two JSON objects", br#"{}{}"#.to_vec()),
        (
            "nested 100000 deep",
            [
                b"{\"a\":".repeat(100_000),
                b"1".to_vec(),
                b"}".repeat(100_000),
            ]
            .concat(),
        ),
        (
            "arrays nested 100000 deep",
            [
                b"{\"modelTopology\":".to_vec(),
                b"[".repeat(100_000),
                b"]".repeat(100_000),
                b"}".to_vec(),
            ]
            .concat(),
        ),
    ];
    for (name, bytes) in whole_file {
        v.push(
            Case::new(format!("model.json: {name}"))
                .bytes("model/model.json", bytes)
                .bytes("model/weights.bin", floats(MLP_FLOATS))
                .io(&mlp_io())
                .verify(FOUND, &["model.json"])
                .info(ERROR, &["model.json"])
                .predict(ERROR, &["model.json"]),
        );
    }
    // The wrong JSON type at each level.
    let wrong_types: Vec<(&str, &str, Value)> = vec![
        ("modelTopology", "modelTopology", json!("Sequential")),
        ("modelTopology", "modelTopology", json!([1, 2])),
        ("modelTopology", "modelTopology", json!(7)),
        ("weightsManifest", "weightsManifest", json!({"paths": []})),
        ("weightsManifest", "weightsManifest", json!("weights.bin")),
        ("weightsManifest", "weightsManifest", json!(null)),
        ("format", "format", json!(12)),
        ("generatedBy", "generatedBy", json!(["x"])),
    ];
    for (key, culprit, val) in wrong_types {
        let kind = tfjs_format::json::json_type(&val);
        v.push(
            mlp_case(&format!("model.json: {key} is {kind}"), |m| m[key] = val)
                .verify(FOUND, &[culprit])
                .predict(ERROR, &[culprit]),
        );
    }
    v.push(
        mlp_case("model.json: modelTopology absent", |m| {
            m.as_object_mut().unwrap().shift_remove("modelTopology");
        })
        .verify(FOUND, &["modelTopology"])
        .predict(ERROR, &["modelTopology"]),
    );
    v.push(
        mlp_case("model.json: config.layers is an object", |m| {
            m["modelTopology"]["config"]["layers"] = json!({"d1": {}})
        })
        .verify(FOUND, &["layers"])
        .predict(ERROR, &["layers"]),
    );
    v.push(
        mlp_case("model.json: a layer is a number", |m| {
            m["modelTopology"]["config"]["layers"][1] = json!(5)
        })
        .verify(FOUND, &["layers[1]"])
        .predict(ERROR, &["layers[1]"]),
    );
    v.push(
        mlp_case("model.json: a layer config is a string", |m| {
            m["modelTopology"]["config"]["layers"][1]["config"] = json!("units=2")
        })
        .verify(FOUND, &["config"])
        .predict(ERROR, &["config"]),
    );
    v.push(
        mlp_case("model.json: class_name is a number", |m| {
            m["modelTopology"]["config"]["layers"][1]["class_name"] = json!(3)
        })
        .verify(FOUND, &["class_name"])
        .predict(ERROR, &["class_name"]),
    );
    v.push(
        mlp_case("model.json: unknown layer class", |m| {
            m["modelTopology"]["config"]["layers"][1]["class_name"] = json!("Bogus")
        })
        .verify(FOUND, &["Bogus"])
        .predict(ERROR, &["Bogus"]),
    );
    v.push(
        mlp_case("model.json: unknown model class", |m| {
            m["modelTopology"]["class_name"] = json!("Sequentialish")
        })
        .verify(FOUND, &["Sequentialish"])
        .predict(ERROR, &["Sequentialish"]),
    );
    v.push(
        mlp_case("model.json: unknown activation", |m| {
            m["modelTopology"]["config"]["layers"][0]["config"]["activation"] = json!("bogus_act")
        })
        .verify(FOUND, &["bogus_act"])
        .predict(ERROR, &["bogus_act"]),
    );
    v.push(
        mlp_case("model.json: NaN units (Python JSON)", |_| {})
            .bytes(
                "model/model.json",
                Mlp::new()
                    .json()
                    .to_string()
                    .replace(r#""units":3"#, r#""units":NaN"#),
            )
            .verify(FOUND, &["model.json", "NaN"])
            .predict(ERROR, &["model.json", "NaN"]),
    );
    v.push(
        mlp_case("model.json: Infinity units (Python JSON)", |_| {})
            .bytes(
                "model/model.json",
                Mlp::new()
                    .json()
                    .to_string()
                    .replace(r#""units":3"#, r#""units":Infinity"#),
            )
            .verify(FOUND, &["model.json", "Infinity"])
            .predict(ERROR, &["model.json", "Infinity"]),
    );
    v.push(
        mlp_case("model.json: units 1e999", |_| {})
            .bytes(
                "model/model.json",
                Mlp::new()
                    .json()
                    .to_string()
                    .replace(r#""units":3"#, r#""units":1e999"#),
            )
            .verify(FOUND, &["d1"])
            .predict(ERROR, &["d1"]),
    );
    v.push(
        Case::new("model.json: 40 MB of whitespace before the object")
            .bytes(
                "model/model.json",
                [
                    vec![b' '; 40 << 20],
                    Mlp::new().json().to_string().into_bytes(),
                ]
                .concat(),
            )
            .bytes("model/weights.bin", floats(MLP_FLOATS))
            .io(&mlp_io())
            .verify(FOUND, &["model.json"])
            .predict(ERROR, &["model.json"]),
    );
    v
}

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
                .unreadable(&["model.json"]),
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
            mlp_case(&format!("model.json: {key} is {kind}"), |m| m[key] = val).refused(&[culprit]),
        );
    }
    // One edit of the topology, which `verify` finds and `predict` refuses,
    // naming the culprit.
    const LAYERS: &str = "/modelTopology/config/layers";
    #[rustfmt::skip]
    let edits: [(&str, String, Option<Value>, &str); 7] = [
        ("modelTopology absent", "/modelTopology".into(), None, "modelTopology"),
        ("config.layers is an object", LAYERS.into(), Some(json!({"d1": {}})), "layers"),
        ("a layer is a number", format!("{LAYERS}/1"), Some(json!(5)), "layers[1]"),
        ("a layer config is a string", format!("{LAYERS}/1/config"), Some(json!("units=2")), "config"),
        ("class_name is a number", format!("{LAYERS}/1/class_name"), Some(json!(3)), "class_name"),
        ("unknown layer class", format!("{LAYERS}/1/class_name"), Some(json!("Bogus")), "Bogus"),
        ("unknown activation", format!("{LAYERS}/0/config/activation"), Some(json!("bogus_act")), "bogus_act"),
    ];
    for (what, at, to, culprit) in edits {
        v.push(mlp_set(&format!("model.json: {what}"), &at, to).refused(&[culprit]));
    }
    // A model class Keras does not have: with a model's config it is a
    // subclass (`class MySeq(keras.Sequential)`) and runs as the graph the
    // config describes, saying so; with any other config it is refused.
    v.push(
        mlp_set(
            "model.json: unknown model class, Sequential config",
            "/modelTopology/class_name",
            Some(json!("Sequentialish")),
        )
        .verify(OK, &["Sequentialish"])
        .predict(OK, &["Sequentialish"]),
    );
    v.push(
        mlp_case("model.json: unknown model class, no model config", |m| {
            m["modelTopology"]["class_name"] = json!("Sequentialish");
            m["modelTopology"]["config"] = json!({"name": "m"});
        })
        .refused(&["Sequentialish"]),
    );
    // Numbers Python's json writes and JSON does not have.
    for (what, units, culprits) in [
        ("NaN units (Python JSON)", "NaN", &["model.json", "NaN"][..]),
        (
            "Infinity units (Python JSON)",
            "Infinity",
            &["model.json", "Infinity"],
        ),
        ("units 1e999", "1e999", &["d1"]),
    ] {
        let text = Mlp::new().json().to_string();
        let text = text.replace(r#""units":3"#, &format!(r#""units":{units}"#));
        v.push(
            mlp_case(&format!("model.json: {what}"), |_| {})
                .bytes("model/model.json", text)
                .refused(culprits),
        );
    }
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
            .refused(&["model.json"]),
    );
    v
}

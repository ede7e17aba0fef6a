//! Malformed model.json: each error names the source, the JSON path and what
//! was expected; nothing panics or allocates from untrusted sizes.

use tfjs_format::{FormatError, JsonStyle, ModelJson};

fn field_err(text: &str) -> (String, String) {
    match ModelJson::parse(text.as_bytes(), "http://h/m/model.json") {
        Err(FormatError::Field {
            source_name,
            field,
            message,
        }) => {
            assert_eq!(source_name, "http://h/m/model.json");
            (field, message)
        }
        Err(e) => panic!("expected a field error for {text}, got {e}"),
        Ok(_) => panic!("expected an error for {text}"),
    }
}

fn manifest_with(entry: &str) -> String {
    format!(
        r#"{{"modelTopology":{{}},"weightsManifest":[{{"paths":["w.bin"],"weights":[{{"name":"a","shape":[1],"dtype":"float32"}},{{"name":"b","shape":[1],"dtype":"float32"}},{entry}]}}]}}"#
    )
}

#[test]
fn field_paths_and_expectations() {
    // The third weight entry of the manifest, and what is wrong with it:
    // the field under `weightsManifest[0].weights[2]` and the message.
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str)] = &[
        (r#"{"name":"c","shape":[2,-1],"dtype":"float32"}"#, ".shape[1]", "-1 is not a non-negative integer"),
        (r#"{"name":"c","shape":[2.5],"dtype":"float32"}"#, ".shape[0]", "2.5 is not a non-negative integer"),
        (r#"{"name":"c","shape":"3","dtype":"float32"}"#, ".shape", "expected an array of non-negative integers, got a string"),
        (r#"{"name":"c","shape":[99999999999999999999],"dtype":"float32"}"#, ".shape[0]", "is not a non-negative integer"),
        (r#"{"name":"c","shape":[4294967296,4294967296],"dtype":"float32"}"#, ".shape", "too large"),
        (r#"{"name":"c","shape":[1],"dtype":"float64"}"#, ".dtype", "unknown dtype \"float64\""),
        (r#"{"name":"c","shape":[1]}"#, ".dtype", "missing"),
        (r#"{"name":7,"shape":[1],"dtype":"float32"}"#, ".name", "expected a string, got a number"),
        (r#"{"name":"c","shape":[1],"dtype":"float32","quantization":null}"#, ".quantization", "got null"),
        (r#"{"name":"c","shape":[1],"dtype":"float32","quantization":{"dtype":"int4"}}"#, ".quantization.dtype", "Supported quantization dtypes are"),
        (r#"{"name":"c","shape":[1],"dtype":"float32","quantization":{"dtype":"uint8","min":"0"}}"#, ".quantization.min", "expected a number, got a string"),
        (r#"[]"#, "", "expected a weight entry object"),
    ];
    for (entry, field, msg) in cases {
        let (f, m) = field_err(&manifest_with(entry));
        assert_eq!(
            f,
            format!("weightsManifest[0].weights[2]{field}"),
            "{entry}"
        );
        assert!(m.contains(msg), "{entry}: {m}");
    }
    #[rustfmt::skip]
    let top: &[(&str, &str, &str)] = &[
        (r#"[]"#, "(top level)", "must be a JSON object"),
        (r#"{"modelTopology":"x"}"#, "modelTopology", "expected a JSON object or null, got a string"),
        (r#"{"weightsManifest":{}}"#, "weightsManifest", "expected an array of manifest groups, got an object"),
        (r#"{"weightsManifest":[{"weights":[]}]}"#, "weightsManifest[0].paths", "missing"),
        (r#"{"weightsManifest":[{"paths":["a",3],"weights":[]}]}"#, "weightsManifest[0].paths[1]", "got a number"),
        (r#"{"weightsManifest":[{"paths":[]}]}"#, "weightsManifest[0].weights", "missing"),
        (r#"{"format":1}"#, "format", "expected a string or null"),
        (r#"{"convertedBy":false}"#, "convertedBy", "expected a string or null, got a boolean"),
        (r#"{"userDefinedMetadata":[1]}"#, "userDefinedMetadata", "expected a JSON object or null, got an array"),
    ];
    for (text, field, msg) in top {
        let (f, m) = field_err(text);
        assert_eq!(&f, field, "{text}");
        assert!(m.contains(msg), "{text}: {m}");
    }
}

#[test]
fn invalid_json_reports_position() {
    for (text, line) in [("{\"a\":\n  [1,,2]}", 2), ("", 1), ("\u{FEFF}{}x", 1)] {
        match ModelJson::parse(text.as_bytes(), "m.json") {
            Err(FormatError::InvalidJson {
                source_name,
                line: l,
                ..
            }) => {
                assert_eq!(source_name, "m.json");
                assert_eq!(l, line, "{text:?}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    match ModelJson::parse(b"{\"a\": \"\xff\"}", "bin.json") {
        Err(e @ FormatError::InvalidJson { .. }) => {
            assert!(e.to_string().starts_with("bin.json: invalid JSON"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // Deep nesting is refused by the parser, not a stack overflow.
    let deep = "[".repeat(100_000);
    assert!(ModelJson::parse(deep.as_bytes(), "deep.json").is_err());
}

#[test]
fn unknown_keys_and_nulls_survive_in_every_style() {
    // Unknown keys are written after the known ones (as here).
    let text = r#"{"modelTopology":null,"format":null,"generatedBy":null,"convertedBy":null,"weightsManifest":[{"paths":[],"weights":[{"name":"w","shape":[0],"dtype":"float32","group":null,"quantization":{"dtype":"uint8","min":null,"scale":1,"original_dtype":"float32","bits":8},"note":"x"}],"extraGroupKey":[1]}],"zzz":{"k":1}}"#;
    let m = ModelJson::parse(text.as_bytes(), "m").unwrap();
    assert_eq!(m.extra.get("zzz").unwrap()["k"], 1);
    let w = &m.weights_manifest.as_ref().unwrap()[0].weights[0];
    assert_eq!(w.extra.get("note").unwrap(), "x");
    assert_eq!(
        w.quantization.as_ref().unwrap().extra.get("bits").unwrap(),
        8
    );
    assert_eq!(
        String::from_utf8(m.to_bytes(JsonStyle::Browser)).unwrap(),
        text
    );
    for style in [JsonStyle::Node, JsonStyle::Converter] {
        let again = ModelJson::parse(&m.to_bytes(style), "m").unwrap();
        assert_eq!(again, m, "{style:?}");
    }
}

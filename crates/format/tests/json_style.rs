//! JSON writer styles: number spelling and string escaping as JavaScript's
//! `JSON.stringify` and Python's `json.dumps` produce them. Expected texts
//! were produced by Node 20 and CPython (see comments), not invented.

use proptest::prelude::*;
use serde_json::Value;
use tfjs_format::json::{js_number, parse_value, py_float};
use tfjs_format::{FormatError, JsonStyle};

#[test]
// The literals are exact binary values (ties), written in full on purpose.
#[allow(clippy::excessive_precision)]
fn numbers_match_node_and_python() {
    // node -e 'JSON.stringify([...])' and python3 -c 'json.dumps([...])'.
    let cases: [(f64, &str, &str); 10] = [
        (
            -174.135284423828125,
            "-174.13528442382812",
            "-174.13528442382812",
        ), // exact tie → even
        (
            273553977858643.625,
            "273553977858643.62",
            "273553977858643.62",
        ),
        (1e21, "1e+21", "1e+21"),
        (1e-7, "1e-7", "1e-07"),
        (123e-20, "1.23e-18", "1.23e-18"),
        (0.000001, "0.000001", "1e-06"),
        (5e-324, "5e-324", "5e-324"),
        (9007199254740994.0, "9007199254740994", "9007199254740994.0"),
        (1e16, "10000000000000000", "1e+16"),
        (1e15, "1000000000000000", "1000000000000000.0"),
    ];
    for (x, js, py) in cases {
        assert_eq!(js_number(x), js, "{x:e}");
        assert_eq!(py_float(x), py, "{x:e}");
    }
}

#[test]
fn string_escaping_matches_node_and_python() {
    let s = "\u{7f}\u{1}\u{1f}\u{8}\u{c}\n\r\t\"\\é😀\u{2028}/";
    let v = Value::Array(vec![Value::String(s.into())]);
    // JSON.stringify leaves DEL, non-ASCII and U+2028 raw.
    assert_eq!(
        JsonStyle::Browser.to_string(&v),
        "[\"\u{7f}\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\é😀\u{2028}/\"]"
    );
    // json.dumps escapes everything outside ' '..'~' with lowercase hex.
    assert_eq!(
        JsonStyle::Converter.to_string(&v),
        r#"["\u007f\u0001\u001f\b\f\n\r\t\"\\\u00e9\ud83d\ude00\u2028/"]"#
    );
}

#[test]
fn cross_style_number_respelling() {
    // A Python-written topology counted as TF.js would count it: JSON.parse
    // then JSON.stringify respells 1.0 → 1 and 1e-07 → 1e-7.
    let v: Value = serde_json::from_str(r#"{"a": 1.0, "b": 1e-07, "c": [0.5, -0.0, 12]}"#).unwrap();
    assert_eq!(
        JsonStyle::Browser.to_string(&v),
        r#"{"a":1,"b":1e-7,"c":[0.5,0,12]}"#
    );
    let w: Value = serde_json::from_str(r#"{"a":1,"b":1e-7,"c":[0.5,-0,12]}"#).unwrap();
    assert_eq!(
        JsonStyle::Converter.to_string(&w),
        r#"{"a": 1, "b": 1e-07, "c": [0.5, 0, 12]}"#
    );
    // Huge integers lose precision in JS, not in Python.
    let big: Value = serde_json::from_str("[12345678901234567890]").unwrap();
    assert_eq!(JsonStyle::Node.to_string(&big), "[12345678901234567000]");
    assert_eq!(
        JsonStyle::Converter.to_string(&big),
        "[12345678901234567890]"
    );
}

/// A number literal past f64's range (found by the `model_json` fuzz target):
/// JS reads it as Infinity and `JSON.stringify` writes null; Python would
/// write `Infinity`, which nothing can read back, so the converter style
/// keeps the literal. Every style's output parses again to itself.
#[test]
fn number_literals_past_f64_range_stay_valid_json() {
    let v = parse_value(
        br#"{"kernel_size": [3, 31e999], "x": -2E400, "y": 1.5}"#,
        "m.json",
    )
    .unwrap();
    assert_eq!(
        JsonStyle::Browser.to_string(&v),
        r#"{"kernel_size":[3,null],"x":null,"y":1.5}"#
    );
    assert_eq!(
        JsonStyle::Converter.to_string(&v),
        r#"{"kernel_size": [3, 31e+999], "x": -2e+400, "y": 1.5}"#
    );
    for style in [JsonStyle::Node, JsonStyle::Browser, JsonStyle::Converter] {
        let out = style.to_string(&v);
        let again = parse_value(out.as_bytes(), "again.json").unwrap();
        assert_eq!(style.to_string(&again), out, "{style:?}");
    }
}

#[test]
fn python_nonfinite_tokens_get_a_clear_error() {
    let e = parse_value(br#"{"format": "layers-model", "x": NaN}"#, "m.json").unwrap_err();
    match &e {
        FormatError::InvalidJson {
            source_name, line, ..
        } => {
            assert_eq!(source_name, "m.json");
            assert_eq!(*line, 1);
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("`NaN` is not valid JSON"), "{e}");
    let e = parse_value(b"{\n\"a\": -Infinity}", "m.json").unwrap_err();
    assert!(e.to_string().contains("-Infinity"), "{e}");
    let e = parse_value(b"{\"a\": 1,}", "m.json").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("m.json: invalid JSON at line 1, column"),
        "{e}"
    );
}

proptest! {
    #[test]
    fn numbers_round_trip(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        let js = js_number(x);
        let py = py_float(x);
        prop_assert_eq!(js.parse::<f64>().unwrap(), if x == 0.0 { 0.0 } else { x });
        prop_assert_eq!(py.parse::<f64>().unwrap().to_bits(), x.to_bits());
        // Same shortest digits in both spellings.
        let digits = |s: &str| -> String {
            let m = s.split(['e', 'E']).next().unwrap();
            m.chars().filter(|c| c.is_ascii_digit()).collect::<String>().trim_matches('0').to_string()
        };
        prop_assert_eq!(digits(&js), digits(&py));
    }

    #[test]
    fn styles_reparse_to_the_same_value(s in "\\PC*", n in -(1i64 << 53)..(1i64 << 53)) {
        let v = serde_json::json!({"s": s, "n": n, "a": [true, null, {"k": "é"}]});
        for style in [JsonStyle::Browser, JsonStyle::Converter] {
            let text = style.to_string(&v);
            let back: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back, &v);
        }
    }
}

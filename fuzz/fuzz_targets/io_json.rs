//! io.json inputs files: parse, pick inputs for a model by name, convert to
//! tensors, compare with the reference outputs, write back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfjs_layers::io_json::{compare, IoJson};

fuzz_target!(|data: &[u8]| {
    let Ok(io) = IoJson::parse(data, "io.json") else {
        return;
    };
    let names: Vec<&str> = io.inputs.iter().map(|t| t.name.as_str()).collect();
    let _ = io.inputs_for(&names);
    let _ = io.inputs_for(&["input_1"]);
    let (reference, tol) = io.reference();
    let actual: Vec<_> = reference
        .iter()
        .filter_map(|t| t.to_tensor().ok())
        .collect();
    if actual.len() == reference.len() {
        let _ = compare(&actual, reference, tol, 10);
    }
    let v = io.to_value();
    let _ = IoJson::parse(v.to_string().as_bytes(), "io.json (rewritten)");
});

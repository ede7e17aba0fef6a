//! model.json parsing: `ModelJson::parse`, writing back in every style (which
//! must parse again to the same value), the topology walker of `info`, and
//! `verify_artifacts` on the weightless artifacts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfjs_format::{JsonStyle, ModelJson, WeightData};

fuzz_target!(|data: &[u8]| {
    let _ = JsonStyle::detect(data);
    let Ok(mj) = ModelJson::parse(data, "model.json") else {
        return;
    };
    for style in [JsonStyle::Node, JsonStyle::Browser, JsonStyle::Converter] {
        let bytes = mj.to_bytes(style);
        let again = ModelJson::parse(&bytes, "rewritten model.json")
            .unwrap_or_else(|e| panic!("{style:?} output does not parse again: {e}"));
        assert_eq!(
            again.to_bytes(style),
            bytes,
            "{style:?} output is not a fixed point"
        );
    }
    if let Some(t) = &mj.model_topology {
        let _ = tfjs_io::verify::walk_topology(t);
    }
    let specs = mj.weight_specs();
    let artifacts = mj.into_artifacts(WeightData::default());
    assert_eq!(artifacts.weight_specs.len(), specs.len());
    let _ = tfjs_io::verify::verify_artifacts(&artifacts, "memory://fuzz");
});

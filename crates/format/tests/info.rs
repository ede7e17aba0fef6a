//! ModelArtifactsInfo counted as TF.js counts, against TF.js captures.

mod common;
use common::*;
use serde_json::Value;
use tfjs_format::{JsonStyle, ModelArtifactsInfo, ModelJson, WeightData};

fn info_for(model_json: &[u8], weights: Vec<u8>) -> ModelArtifactsInfo {
    let m = ModelJson::parse(model_json, "model.json").unwrap();
    ModelArtifactsInfo::for_artifacts(&m.into_artifacts(WeightData::from_vec(weights)))
}

fn without_date(i: &ModelArtifactsInfo) -> Value {
    let mut v = i.to_json_value();
    v.as_object_mut().unwrap().shift_remove("dateSaved");
    v
}

#[test]
fn captures_info_without_date() {
    let mut n = 0;
    for d in subdirs(&reference().join("tfjs-captures/fixtures")) {
        let p = d.join("info_without_date.json");
        if !p.exists() {
            continue;
        }
        let want = read(&p);
        let info = info_for(
            &read(&d.join("model.json")),
            read(&d.join("model.weights.bin")),
        );
        // Same values and same key order as TF.js's JSON.stringify.
        assert_eq!(
            JsonStyle::Browser
                .to_string(&without_date(&info))
                .as_bytes(),
            &want[..],
            "{}",
            d.display()
        );
        n += 1;
    }
    assert_eq!(n, 5);
}

#[test]
fn date_is_iso_with_millis() {
    let info = info_for(
        &read(&fixtures().join("tfjs/mlp/model.json")),
        read(&fixtures().join("tfjs/mlp/weights.bin")),
    );
    let d = info.date_saved.as_bytes();
    assert_eq!(d.len(), 24, "{}", info.date_saved);
    assert_eq!(
        (d[4], d[7], d[10], d[13], d[16], d[19], d[23]),
        (b'-', b'-', b'T', b':', b':', b'.', b'Z')
    );
    time::OffsetDateTime::parse(
        &info.date_saved,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
}

#[test]
fn browser_save_results() {
    // downloads://my-model-1, localstorage:// and indexeddb:// of the same model.
    let dl = fixtures().join("browser/downloads");
    let info = info_for(
        &read(&dl.join("my-model-1.json")),
        read(&dl.join("my-model-1.weights.bin")),
    );
    for name in [
        "downloads-my-model-1",
        "indexeddb-my-model-1",
        "localstorage-my-model-1",
    ] {
        let r: Value = serde_json::from_slice(&read(
            &fixtures()
                .join("browser/save")
                .join(format!("{name}.result.json")),
        ))
        .unwrap();
        let mut want = r["result"]["modelArtifactsInfo"].clone();
        want.as_object_mut().unwrap().shift_remove("dateSaved");
        assert_eq!(without_date(&info), want, "{name}");
    }

    // my-model-opt (trainingConfig + optimizer weight) from the localStorage dump:
    // the stored info string must be reproduced exactly from the stored parts.
    let dump: Value = serde_json::from_slice(&read(
        &fixtures().join("browser/storage/04-after-save-compiled-model.json"),
    ))
    .unwrap();
    let items = dump["localStorage"]["items"].as_array().unwrap();
    let get = |k: &str| -> &str {
        items
            .iter()
            .find(|i| i["key"] == format!("tensorflowjs_models/my-model-opt/{k}"))
            .unwrap()["value"]
            .as_str()
            .unwrap()
    };
    let topology: Value = serde_json::from_str(get("model_topology")).unwrap();
    let specs = tfjs_format::weight_specs_from_value(
        &serde_json::from_str(get("weight_specs")).unwrap(),
        "weight_specs",
    )
    .unwrap();
    assert_eq!(
        JsonStyle::Browser.to_string(&tfjs_format::weight_specs_to_value(&specs)),
        get("weight_specs")
    );
    let b64 = get("weight_data");
    let data_len = b64.len() / 4 * 3 - b64.bytes().rev().take_while(|&b| b == b'=').count();
    let stored_info: Value = serde_json::from_str(get("info")).unwrap();
    let parsed = ModelArtifactsInfo::from_json_value(&stored_info, "info").unwrap();
    let artifacts = tfjs_format::ModelArtifacts {
        model_topology: Some(topology),
        weight_specs: specs,
        weight_data: WeightData::from_vec(vec![0; data_len]),
        ..Default::default()
    };
    let ours = ModelArtifactsInfo::for_artifacts_at(&artifacts, parsed.date_saved.clone());
    assert_eq!(ours, parsed);
    assert_eq!(
        JsonStyle::Browser.to_string(&ours.to_json_value()),
        get("info")
    );
    let r: Value = serde_json::from_slice(&read(
        &fixtures().join("browser/save/my-model-opt.result.json"),
    ))
    .unwrap();
    let mut want = r["result"]["localstorage"]["modelArtifactsInfo"].clone();
    want.as_object_mut().unwrap().shift_remove("dateSaved");
    assert_eq!(without_date(&ours), want);
}

#[test]
fn converter_topology_counted_in_js_spelling() {
    // A Python-written topology (1.0, 1e-07, ", ") counts as TF.js would
    // after JSON.parse: compact, JS numbers.
    let d = fixtures().join("keras/mobilenet_v2");
    let m = ModelJson::parse(&read(&d.join("model.json")), "model.json").unwrap();
    let topo = m.model_topology.clone().unwrap();
    let info = info_for(
        &read(&d.join("model.json")),
        read(&d.join("group1-shard1of1.bin")),
    );
    let js = JsonStyle::Browser.to_string(&topo);
    assert_eq!(info.model_topology_bytes, js.len() as u64);
    assert!(!js.contains(", ") && !js.contains("e-0"));
}

#[test]
fn info_parse_errors_name_the_field() {
    let v: Value = serde_json::from_str(r#"{"modelTopologyType":"JSON","modelTopologyBytes":-1,"weightSpecsBytes":1,"weightDataBytes":1}"#).unwrap();
    let e = ModelArtifactsInfo::from_json_value(&v, "tensorflowjs_models/x/info")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tensorflowjs_models/x/info") && e.contains("modelTopologyBytes"),
        "{e}"
    );
}

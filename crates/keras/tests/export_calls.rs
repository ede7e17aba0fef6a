//! Export of calls the engine saves in its own form: `TFOpLambda` /
//! `SlicingOpLambda` (`tf.*` functions), Keras 3 operation nodes
//! (`keras.ops`) and `MultiHeadAttention`'s call arguments. Each test
//! compares the exported structure with what Keras itself wrote for the
//! same model (the corpus's model.json / the Keras 3 source's config.json);
//! that real Keras loads the exports and predicts io.json's numbers is
//! checked by scripts/test.sh (check_export.py).

use serde_json::Value;
use std::path::Path;
use tfjs_format::ModelArtifacts;
use tfjs_io::file::load_path;
use tfjs_keras::{import_h5, import_keras};

const CORPUS: &str = "../../fixtures/corpus";

/// Exporting `a` to a tf_keras `.h5` fails with an error that says each
/// of `parts`.
#[track_caller]
fn assert_h5_refused(a: &ModelArtifacts, parts: &[&str]) {
    let err = tfjs_keras::export::to_h5(a).unwrap_err().to_string();
    for part in parts {
        assert!(err.contains(part), "{err}");
    }
}

fn fixture(model: &str) -> ModelArtifacts {
    load_path(&Path::new(CORPUS).join("keras").join(model)).unwrap()
}

/// The corpus model loaded into the engine and saved again (what
/// `tfjs convert MODEL OUT.h5|OUT.keras` exports).
fn rebuilt(model: &str) -> ModelArtifacts {
    tfjs_layers::Model::from_artifacts(&fixture(model), &Default::default())
        .unwrap()
        .to_artifacts()
        .unwrap()
}

/// The Keras model config (`model_config`) of corpus model `model`.
fn source_config(model: &str) -> Value {
    fixture(model).model_topology.unwrap()["model_config"].clone()
}

fn layers(config: &Value) -> &Vec<Value> {
    config["config"]["layers"].as_array().unwrap()
}

fn by_name<'a>(config: &'a Value, name: &str) -> &'a Value {
    layers(config)
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no layer {name}"))
}

/// Each layer of `source` that `keep` accepts, with its name and its
/// namesake in `exported`.
fn namesakes<'a>(
    source: &'a Value,
    exported: &'a Value,
    keep: impl Fn(&Value) -> bool + 'a,
) -> impl Iterator<Item = (&'a str, &'a Value, &'a Value)> {
    layers(source).iter().filter(move |l| keep(l)).map(|l| {
        let name = l["name"].as_str().unwrap();
        (name, l, by_name(exported, name))
    })
}

/// The model config of an exported `.h5`.
fn h5_config(a: &ModelArtifacts) -> Value {
    let h5 = tfjs_keras::export::to_h5(a).unwrap();
    let topo = import_h5(&h5).unwrap().artifacts.model_topology.unwrap();
    topo["model_config"].clone()
}

/// config.json of an exported `.keras`.
fn keras_config(a: &ModelArtifacts) -> Value {
    let k = tfjs_keras::export::to_keras(a).unwrap();
    let zip = tfjs_keras::zip::ZipArchive::parse(&k).unwrap();
    serde_json::from_slice(&zip.read("config.json").unwrap().unwrap()).unwrap()
}

/// The config.json Keras 3 wrote for a corpus source.
fn keras3_source_config(model: &str) -> Value {
    let bytes = std::fs::read(
        Path::new(CORPUS)
            .join("keras-src")
            .join(model)
            .join("model.keras"),
    )
    .unwrap();
    let zip = tfjs_keras::zip::ZipArchive::parse(&bytes).unwrap();
    serde_json::from_slice(&zip.read("config.json").unwrap().unwrap()).unwrap()
}

/// Every `keras_history` of a Keras 3 node names a layer of the model.
fn assert_histories_resolve(config: &Value) {
    let names: Vec<&str> = layers(config)
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Object(o) => {
                if let Some(h) = o.get("keras_history") {
                    out.push(h);
                }
                o.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    for l in layers(config) {
        let mut hs = Vec::new();
        walk(&l["inbound_nodes"], &mut hs);
        for h in hs {
            assert!(
                names.contains(&h[0].as_str().unwrap()),
                "{}: {h}",
                l["name"]
            );
        }
    }
}

#[test]
fn tf_op_lambda_calls_export_to_h5_as_keras2_wrote_them() {
    for model in [
        "tfop_arith",
        "tfop_cnn",
        "tfop_shapes_loadable",
        "mobilenet_v3_small",
    ] {
        let (original, exported) = (source_config(model), h5_config(&rebuilt(model)));
        let op_lambda = |l: &Value| {
            matches!(
                l["class_name"].as_str(),
                Some("TFOpLambda" | "SlicingOpLambda")
            )
        };
        let mut n = 0;
        for (name, l, got) in namesakes(&original, &exported, op_lambda) {
            assert_eq!(got["class_name"], l["class_name"], "{model}: {name}");
            assert_eq!(got["config"]["function"], l["config"]["function"]);
            assert_eq!(
                got["inbound_nodes"], l["inbound_nodes"],
                "{model}: {name}: the call as tf_keras wrote it"
            );
            n += 1;
        }
        assert!(n > 0, "{model}");
    }
}

#[test]
fn tf_op_lambda_calls_export_to_keras3_operation_nodes() {
    let config = keras_config(&rebuilt("tfop_arith"));
    let ops = |module: &str, class: &str| {
        layers(&config)
            .iter()
            .filter(|l| l["module"] == module && l["class_name"] == class)
            .count()
    };
    for l in layers(&config) {
        assert_ne!(l["class_name"], "TFOpLambda", "{l}");
    }
    // x * 2.0: Multiply with the scalar as its second argument.
    let m = by_name(&config, "tf.math.multiply");
    assert_eq!(m["module"], "keras.src.ops.numpy");
    assert_eq!(m["class_name"], "Multiply");
    assert_eq!(m["registered_name"], "Multiply");
    let args = &m["inbound_nodes"][0]["args"];
    assert_eq!(args[0]["class_name"], "__keras_tensor__");
    assert_eq!(
        args[0]["config"]["keras_history"],
        serde_json::json!(["dense_in", 0, 0])
    );
    assert_eq!(args[1], 2.0);
    // 1.0 / x: the constant first.
    let d = by_name(&config, "tf.math.truediv_1");
    assert_eq!(d["class_name"], "TrueDivide");
    assert_eq!(d["inbound_nodes"][0]["args"][0], 1.0);
    assert_eq!(
        d["inbound_nodes"][0]["args"][1]["config"]["keras_history"][0],
        "tf.__operators__.add_10"
    );
    // Function arguments become the operation's config.
    let c = by_name(&config, "tf.clip_by_value");
    assert_eq!(c["config"]["x_min"], -3.0);
    assert_eq!(c["config"]["x_max"], 3.0);
    assert_eq!(
        by_name(&config, "tf.nn.leaky_relu")["config"]["negative_slope"],
        0.1
    );
    assert_eq!(ops("keras.src.ops.nn", "Softmax"), 1);
    assert!(ops("keras.src.ops.numpy", "Add") > 5);
    assert_histories_resolve(&config);
    // Shapes: slicing, split sizes, concat lists.
    let config = keras_config(&rebuilt("tfop_shapes_loadable"));
    let g = by_name(&config, "tf.__operators__.getitem");
    assert_eq!(g["class_name"], "GetItem");
    let key = &g["inbound_nodes"][0]["args"][1];
    assert_eq!(key[1]["class_name"], "__slice__");
    assert_eq!(key[1]["config"]["start"], 1);
    assert_eq!(key[2]["config"]["step"], 2);
    let s = by_name(&config, "tf.split");
    assert_eq!(s["config"]["indices_or_sections"], 2);
    let cat = by_name(&config, "tf.concat_1");
    assert_eq!(cat["config"]["axis"], -1);
    assert!(cat["inbound_nodes"][0]["args"][0].as_array().unwrap().len() > 5);
    assert_histories_resolve(&config);
}

#[test]
fn keras3_operations_export_as_keras3_wrote_them_and_as_tf_functions_for_h5() {
    let source = keras3_source_config("keras3zip_keras3_ops");
    let exported = keras_config(&rebuilt("keras3zip_keras3_ops"));
    let mut n = 0;
    let keras3_op = |l: &Value| l["module"].as_str().unwrap().starts_with("keras.src.ops");
    for (name, l, got) in namesakes(&source, &exported, keras3_op) {
        for key in ["module", "class_name", "registered_name", "config"] {
            assert_eq!(got[key], l[key], "{name}: {key}");
        }
        // The same arguments (tensors by their history; shapes are
        // placeholders Keras replaces).
        let strip = |v: &Value| {
            let mut v = v.clone();
            fn go(v: &mut Value) {
                match v {
                    Value::Object(o) => {
                        if o.get("class_name") == Some(&"__keras_tensor__".into()) {
                            let h = o["config"]["keras_history"].clone();
                            *v = h;
                            return;
                        }
                        o.values_mut().for_each(go);
                    }
                    Value::Array(a) => a.iter_mut().for_each(go),
                    _ => {}
                }
            }
            go(&mut v);
            v
        };
        assert_eq!(
            strip(&got["inbound_nodes"]),
            strip(&l["inbound_nodes"]),
            "{name}"
        );
        n += 1;
    }
    assert!(n >= 20, "{n}");
    // tf_keras: the tf.* functions tf_keras itself records.
    let h5 = h5_config(&rebuilt("keras3zip_keras3_ops"));
    let f = |name: &str| by_name(&h5, name)["config"]["function"].clone();
    assert_eq!(f("multiply"), "math.multiply");
    assert_eq!(
        by_name(&h5, "multiply")["inbound_nodes"],
        serde_json::json!([["dense_in", 0, 0, {"y": 2.0, "name": null}]])
    );
    assert_eq!(f("mean"), "math.reduce_mean");
    assert_eq!(by_name(&h5, "mean")["inbound_nodes"][0][3]["axis"], 1);
    assert_eq!(f("concatenate"), "concat");
    assert_eq!(by_name(&h5, "get_item")["class_name"], "SlicingOpLambda");
    // einsum bij,bkj->bik: a batched dot over the last axes.
    let e = by_name(&h5, "einsum");
    assert_eq!(e["class_name"], "Dot");
    assert_eq!(e["config"]["axes"], serde_json::json!([2, 2]));
}

#[test]
fn multi_head_attention_calls_and_weights_export_for_both_kerases() {
    // tf_keras: the call as tf_keras wrote it (value=, use_causal_mask=,
    // attention_mask=, key= as kwargs).
    let attention_models = [
        "transformer_causal",
        "transformer_attention_mask",
        "cross_attention",
        "transformer_encoder",
    ];
    for model in attention_models {
        let (original, exported) = (source_config(model), h5_config(&rebuilt(model)));
        for (_, l, got) in namesakes(&original, &exported, |l| {
            l["class_name"] == "MultiHeadAttention"
        }) {
            assert_eq!(got["inbound_nodes"], l["inbound_nodes"], "{model}");
        }
        // Keras 3: dict-form nodes, no Keras-2-only config keys.
        let k = keras_config(&rebuilt(model));
        for l in layers(&k) {
            if l["class_name"] == "MultiHeadAttention" {
                let node = &l["inbound_nodes"][0];
                assert_eq!(node["args"][0]["class_name"], "__keras_tensor__", "{model}");
                assert_eq!(node["kwargs"]["value"]["class_name"], "__keras_tensor__");
                assert!(l["config"].get("query_shape").is_none(), "{model}");
            }
        }
        assert_histories_resolve(&k);
    }
    let k = keras_config(&rebuilt("transformer_causal"));
    let mha = layers(&k)
        .iter()
        .find(|l| l["class_name"] == "MultiHeadAttention")
        .unwrap();
    assert_eq!(mha["inbound_nodes"][0]["kwargs"]["use_causal_mask"], true);
    // Keras 3 sources: the positional value comes back as value= for tf_keras.
    let h5 = h5_config(&rebuilt("keras3zip_transformer_padmask"));
    let mha = layers(&h5)
        .iter()
        .find(|l| l["class_name"] == "MultiHeadAttention")
        .unwrap();
    assert_eq!(
        mha["inbound_nodes"],
        serde_json::json!([[["tok_emb", 0, 0, {"value": ["tok_emb", 0, 0]}]]])
    );
    assert!(mha["config"]["query_shape"].is_null());
    // Weights at the paths Keras 3 wrote (query_dense/vars/0, …).
    let fixture = fixture("keras3zip_transformer_causal");
    let back = import_keras(
        &tfjs_keras::export::to_keras(&rebuilt("keras3zip_transformer_causal")).unwrap(),
    )
    .unwrap()
    .artifacts;
    let names = |x: &ModelArtifacts| {
        let mut v: Vec<String> = x.weight_specs.iter().map(|w| w.name.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(names(&back), names(&fixture));
    assert!(names(&back)
        .iter()
        .any(|n| n.ends_with("multi_head_attention/query_dense/vars/0")));
}

#[test]
fn keras2_only_config_keys_are_dropped_for_keras3() {
    let k = keras_config(&rebuilt("prep_image"));
    for l in layers(&k) {
        assert!(l["config"].get("rng_type").is_none(), "{l}");
        if l["class_name"] != "InputLayer" {
            assert!(l["config"].get("batch_input_shape").is_none(), "{l}");
        }
    }
}

#[test]
fn keras3_only_config_keys_are_dropped_for_tf_keras() {
    let h5 = h5_config(&rebuilt("keras3zip_transformer_causal"));
    let text = h5.to_string();
    for key in ["use_gate", "sliding_window", "input_axes", "output_axes"] {
        assert!(
            !text.contains(&format!("\"{key}\"")),
            "{key} left in the .h5 config"
        );
    }
    let h5 = h5_config(&rebuilt("keras3zip_prep_image"));
    for l in layers(&h5) {
        if l["class_name"].as_str().unwrap().starts_with("Random") {
            assert!(l["config"].get("data_format").is_none(), "{l}");
        }
    }
    let h5 = h5_config(&rebuilt("keras3zip_prep_integer_lookup"));
    let lookup = by_name(&h5, "lookup");
    assert_eq!(lookup["config"]["dtype"], "int64");
    assert!(lookup["config"].get("oov_method").is_none());
    // A Keras 3 setting tf_keras cannot express is refused, by layer.
    let mut a = rebuilt("keras3zip_transformer_causal");
    let topo = a.model_topology.as_mut().unwrap();
    for l in topo["config"]["layers"].as_array_mut().unwrap() {
        if l["class_name"] == "MultiHeadAttention" {
            l["config"]["use_gate"] = true.into();
        }
    }
    assert_h5_refused(
        &a,
        &["(MultiHeadAttention): `use_gate: true` has no tf_keras equivalent"],
    );
}

#[test]
fn discretization_exports_to_keras3_as_keras3_writes_it() {
    // Keras 3's constructor takes no `trainable`, and its `dtype` is the
    // compute dtype (float32, as Keras 3 itself saved this model).
    let source = keras3_source_config("keras3zip_prep_discretization");
    for model in ["prep_discretization", "keras3zip_prep_discretization"] {
        let k = keras_config(&rebuilt(model));
        for (_, l, got) in namesakes(&source, &k, |l| l["class_name"] == "Discretization") {
            assert!(got["config"].get("trainable").is_none(), "{model}");
            assert_eq!(got["config"]["dtype"], "float32", "{model}");
            assert_eq!(
                got["config"]["bin_boundaries"],
                l["config"]["bin_boundaries"]
            );
        }
    }
}

#[test]
fn nested_models_and_layer_scale_export_for_both_kerases() {
    // ConvNeXt: a nested Sequential stem and keras.applications' LayerScale.
    let a = rebuilt("convnext_tiny");
    let k = keras_config(&a);
    // Keras 3 counts a nested model's calls from node 0.
    let conv = by_name(&k, "convnext_tiny_stage_0_block_0_depthwise_conv");
    assert_eq!(
        conv["inbound_nodes"][0]["args"][0]["config"]["keras_history"][1], 0,
        "{conv}"
    );
    let scale = by_name(&k, "convnext_tiny_stage_0_block_0_layer_scale");
    assert_eq!(scale["module"], "keras.src.applications.convnext");
    let back = import_keras(&tfjs_keras::export::to_keras(&a).unwrap())
        .unwrap()
        .artifacts;
    let names: Vec<&str> = back.weight_specs.iter().map(|w| w.name.as_str()).collect();
    assert!(
        names.contains(&"layers/sequential/layers/conv2d/vars/0"),
        "{names:?}"
    );
    // tf_keras: the stem keeps Keras 2's node 1; LayerScale is a Rescaling
    // by gamma (no weights).
    let h5 = h5_config(&a);
    let conv = by_name(&h5, "convnext_tiny_stage_0_block_0_depthwise_conv");
    assert_eq!(conv["inbound_nodes"][0][0][1], 1);
    let scale = by_name(&h5, "convnext_tiny_stage_0_block_0_layer_scale");
    assert_eq!(scale["class_name"], "Rescaling");
    assert_eq!(scale["config"]["scale"].as_array().unwrap().len(), 8);
    assert_eq!(scale["config"]["offset"], 0.0);
}

/// `ops.nn.elu(alpha)`, `ops.round(decimals)` and `ops.max(initial)` have
/// no tf.* function with that argument: refused for tf_keras (they were
/// written as plain `tf.nn.elu` / `tf.math.round` / `tf.math.reduce_max`,
/// which tf_keras ran with other numbers), written as Keras 3 wrote them
/// to `.keras`.
#[test]
fn keras3_operation_parameters_tf_functions_lack_are_refused_for_tf_keras() {
    let a = rebuilt("keras3zip_k3_op_parameters");
    assert_h5_refused(&a, &["`elu` (ops.Elu): its alpha 0.5 (tf.nn.elu has none)"]);
    tfjs_keras::export::to_keras(&a).unwrap();
}

#[test]
fn hard_silu_is_refused_for_tf_keras_by_layer() {
    let a = rebuilt("keras3zip_mobilenet_v3_small");
    assert_h5_refused(
        &a,
        &[
            "(Activation): activation `hard_silu` has no tf_keras equivalent",
            "export to .keras instead",
        ],
    );
    tfjs_keras::export::to_keras(&a).unwrap();
}

#[test]
fn conv_lstm_exports_to_keras3_with_cell_weight_paths_and_no_implementation_key() {
    // Keras 3's ConvLSTM2D takes no `implementation` ("Unrecognized keyword
    // arguments") and keeps its weights under `cell/vars` as LSTM does;
    // the names must come back as the converter named Keras 3's own file.
    for model in ["convlstm", "keras3zip_convlstm"] {
        let k = keras_config(&rebuilt(model));
        for l in layers(&k) {
            if l["class_name"] == "ConvLSTM2D" {
                assert!(l["config"].get("implementation").is_none(), "{model}: {l}");
            }
        }
    }
    let back = import_keras(&tfjs_keras::export::to_keras(&rebuilt("keras3zip_convlstm")).unwrap())
        .unwrap()
        .artifacts;
    let names = |x: &ModelArtifacts| {
        let mut v: Vec<String> = x.weight_specs.iter().map(|w| w.name.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(names(&back), names(&fixture("keras3zip_convlstm")));
}

/// Every `keras_history` in a Keras 3 node, with where it stands: `args`
/// position paths and `kwargs` keys.
fn call_tensors(v: &Value, at: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(o) if o.get("class_name") == Some(&"__keras_tensor__".into()) => {
            out.push((at, o["config"]["keras_history"].clone()));
        }
        Value::Object(o) => {
            for (k, x) in o {
                call_tensors(x, format!("{at}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                call_tensors(x, format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_layer_exports_to_keras3_by_module_with_keras3_calls() {
    // Keras 3 reads a layer without `module` through its legacy (Keras 2)
    // reader, which turns string values naming a Keras function into the
    // function (`Attention`'s `score_mode: "dot"`) and passes a recurrent
    // layer's states as inputs. Each layer must carry Keras 3's module, a
    // one-element axis list is the int Keras 3 writes, and each call passes
    // its tensors where Keras 3 itself did (initial states as
    // `initial_state`, several inputs as one list).
    for model in [
        "keras3zip_transformer_causal",
        "keras3zip_birnn_masked",
        "keras3zip_time_distributed",
        "keras3zip_mobilenet_v2",
        "keras3zip_cross_attention",
    ] {
        let k = keras_config(&rebuilt(model));
        for (name, want, got) in namesakes(&keras3_source_config(model), &k, |_| true) {
            assert_eq!(got["module"], want["module"], "{model} {name}");
            assert_eq!(got["class_name"], want["class_name"], "{model} {name}");
            if let Some(axis) = want["config"].get("axis") {
                assert_eq!(&got["config"]["axis"], axis, "{model} {name}");
            }
            let nodes = want["inbound_nodes"].as_array().unwrap();
            assert_eq!(got["inbound_nodes"].as_array().unwrap().len(), nodes.len());
            for (g, w) in got["inbound_nodes"].as_array().unwrap().iter().zip(nodes) {
                let (mut gt, mut wt) = (Vec::new(), Vec::new());
                call_tensors(g, String::new(), &mut gt);
                call_tensors(w, String::new(), &mut wt);
                // Keras 3 also writes the mask it propagates (`mask=` from
                // Embedding's `not_equal`); it propagates it as well without.
                wt.retain(|(at, _)| !at.starts_with(".kwargs.mask"));
                assert_eq!(gt, wt, "{model} {name}");
            }
        }
    }
}

#[test]
fn recurrent_initial_states_export_as_keras3_initial_state() {
    // seq2seq: the decoder LSTM starts from the encoder's states.
    for model in ["seq2seq_lstm", "keras3zip_seq2seq_lstm"] {
        let k = keras_config(&rebuilt(model));
        let dec = by_name(&k, "decoder_lstm");
        let node = &dec["inbound_nodes"][0];
        assert_eq!(node["args"].as_array().unwrap().len(), 1, "{dec}");
        assert_eq!(
            node["args"][0]["config"]["keras_history"],
            serde_json::json!(["decoder_inputs", 0, 0])
        );
        let states: Vec<&Value> = node["kwargs"]["initial_state"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["config"]["keras_history"])
            .collect();
        assert_eq!(
            states,
            [
                &serde_json::json!(["encoder_lstm", 0, 1]),
                &serde_json::json!(["encoder_lstm", 0, 2])
            ]
        );
    }
}

/// `v` with every Keras 3 `__keras_tensor__` as its `keras_history`,
/// keeping the nesting.
fn histories(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(histories).collect()),
        Value::Object(o) if o.get("class_name") == Some(&"__keras_tensor__".into()) => {
            v["config"]["keras_history"].clone()
        }
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), histories(v))).collect())
        }
        other => other.clone(),
    }
}

/// An RNN over stacked cells (GRUCell, LSTMCell, SimpleRNNCell) started
/// from another stack's states gets them one group per cell, the LSTM's
/// `[h, c]` as a list, as each Keras wrote the call: the `.h5` export as
/// tf_keras (the corpus model.json's node), the `.keras` export as Keras 3
/// (its config.json's `initial_state`). A cell whose states cannot be
/// grouped is refused naming the layer.
#[test]
fn stacked_cells_initial_states_export_one_group_per_cell() {
    let h5 = h5_config(&rebuilt("stacked_cells"));
    assert_eq!(
        by_name(&h5, "stack_init")["inbound_nodes"],
        by_name(&source_config("stacked_cells"), "stack_init")["inbound_nodes"]
    );
    for model in ["stacked_cells", "keras3zip_stacked_cells"] {
        let k = keras_config(&rebuilt(model));
        let src = keras3_source_config("keras3zip_stacked_cells");
        let node = |c: &Value| histories(&by_name(c, "stack_init")["inbound_nodes"][0]);
        assert_eq!(node(&k)["kwargs"], node(&src)["kwargs"], "{model}");
        assert_eq!(node(&k)["args"], node(&src)["args"], "{model}");
    }
    let mut a = rebuilt("stacked_cells");
    let topo = a.model_topology.as_mut().unwrap();
    let mc = if topo.get("model_config").is_some() {
        &mut topo["model_config"]
    } else {
        topo
    };
    let init = mc["config"]["layers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|l| l["name"] == "stack_init")
        .unwrap();
    let cells = init["config"]["cell"]["config"]["cells"]
        .as_array_mut()
        .unwrap();
    cells[2]["class_name"] = "PeepholeLSTMCell".into();
    assert_h5_refused(
        &a,
        &[
            "`stack_init` (RNN)",
            "PeepholeLSTMCell",
            "one list per cell",
        ],
    );
}

#[test]
fn list_constants_export_as_numpy_arrays_for_keras3_and_lists_for_tf_keras() {
    // `(x - mean) / std` with per-channel constants: Keras 3's element-wise
    // operations take arrays (as Keras 3 saved this model), tf_keras's
    // TFOpLambda a list.
    let source = keras3_saved_subtract_constant("keras3zip_constant_operands");
    for model in ["constant_operands", "keras3zip_constant_operands"] {
        let k = keras_config(&rebuilt(model));
        let h5 = h5_config(&rebuilt(model));
        for l in layers(&k) {
            if l["class_name"] == "Subtract" {
                let c = &l["inbound_nodes"][0]["args"][1];
                assert_eq!(c["class_name"], "__numpy__", "{model} {l}");
                assert_eq!(c["config"]["dtype"], "float32");
                assert_eq!(c["config"]["value"].as_array().unwrap().len(), 3);
                if let Some(want) = &source {
                    assert_eq!(c["config"]["value"], want["config"]["value"]);
                }
            }
        }
        let sub = layers(&h5)
            .iter()
            .find(|l| l["config"]["function"] == "math.subtract")
            .unwrap_or_else(|| panic!("{model}: no tf.math.subtract"));
        assert!(sub["inbound_nodes"][0][3]["y"].is_array(), "{sub}");
    }
}

/// The first `Subtract` constant Keras 3 saved for `model`, from its
/// converted model.json (the `.keras` source is not kept).
fn keras3_saved_subtract_constant(model: &str) -> Option<Value> {
    let topo = fixture(model).model_topology?;
    let layers = topo["model_config"]["config"]["layers"].as_array()?.clone();
    layers
        .iter()
        .find(|l| l["class_name"] == "Subtract")
        .map(|l| l["inbound_nodes"][0]["args"][1].clone())
}

#[test]
fn call_kwargs_go_on_every_input_for_tf_keras() {
    // tf_keras reads a call's kwargs from its last input; Keras 2 writes
    // them on each (as in the Keras 2 model's own file).
    let want = source_config("mha_options");
    let want = by_name(&want, "causal_att")["inbound_nodes"].clone();
    for model in ["mha_options", "keras3zip_mha_options"] {
        let h5 = h5_config(&rebuilt(model));
        let att = by_name(&h5, "causal_att");
        assert_eq!(att["inbound_nodes"], want, "{model}");
    }
}

#[test]
fn tf_js_forms_keras_reads_otherwise_are_mapped() {
    // Reshape's inferred dimension: TF.js writes null, Keras -1 (as in the
    // Keras 2 model's own file).
    let source = source_config("dense_nd");
    let want = &by_name(&source, "reshape")["config"]["target_shape"];
    let a = rebuilt("dense_nd");
    for config in [h5_config(&a), keras_config(&a)] {
        assert_eq!(&by_name(&config, "reshape")["config"]["target_shape"], want);
    }
    // Keras 3 has no ThresholdedReLU: its ReLU with a threshold.
    let k = keras_config(&rebuilt("adv_act_dropouts"));
    let source = source_config("adv_act_dropouts");
    for l in layers(&source) {
        if l["class_name"] == "ThresholdedReLU" {
            let got = by_name(&k, l["config"]["name"].as_str().unwrap());
            assert_eq!(got["class_name"], "ReLU");
            assert_eq!(got["config"]["threshold"], l["config"]["theta"]);
            assert_eq!(got["config"]["negative_slope"], 0.0);
        }
    }
}

#[test]
fn keras3_only_layers_and_keys_are_refused_for_tf_keras_by_layer() {
    assert_h5_refused(
        &rebuilt("keras3zip_rms_norm_block"),
        &["(RMSNormalization): tf_keras 2.21 has no RMSNormalization layer"],
    );
    assert_h5_refused(
        &rebuilt("keras3zip_dense_nd"),
        &["`rms_scaling: true` has no tf_keras equivalent"],
    );
}

#[test]
fn operation_arguments_on_nested_models_take_each_keras_node_count() {
    // Keras 3 ConvNeXt: `ops.add(stem_output, block_output)`. Keras 3 counts
    // the nested stem's calls from 0 (as its file says), tf_keras from 1.
    let a = rebuilt("keras3h5_convnext_tiny");
    let h5 = h5_config(&a);
    let add = layers(&h5)
        .iter()
        .find(|l| l["config"]["function"] == "math.add")
        .unwrap();
    assert_eq!(add["inbound_nodes"][0][0], "convnext_tiny_stem", "{add}");
    assert_eq!(add["inbound_nodes"][0][1], 1, "{add}");
    let source = source_config("keras3h5_convnext_tiny");
    let want = &by_name(&source, add["name"].as_str().unwrap())["inbound_nodes"][0]["args"][0];
    let k = keras_config(&a);
    let got = &by_name(&k, add["name"].as_str().unwrap())["inbound_nodes"][0]["args"][0];
    assert_eq!(
        got["config"]["keras_history"],
        want["config"]["keras_history"]
    );
}

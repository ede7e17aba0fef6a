//! Writes every fixture after our load → save round trip, plus models built
//! with the Rust builder, into OUT_DIR for the TensorFlow.js end-to-end check
//! (`e2e/tfjs-node/check_roundtrip.mjs`).
//!
//! ```text
//! cargo run -p tfjs-layers --example e2e_export -- /tmp/out
//! ```
//!
//! Each `OUT_DIR/<family>__<name>/` holds `model.json` + `weights.bin`
//! (written through `Model::save("file://…")`) and `reference.json`
//! `{"io": "<io.json path>"}` pointing at the reference inputs/outputs
//! (for builder models, an `io.json` with our own outputs is written there).
//!
//! The repository's Keras corpus (`fixtures/corpus/keras/`, less the models
//! the engine does not reproduce, listed in its `EXPECTED_FAILURES`) is
//! exported as `tfjs convert --rebuild` writes it: loaded, rewritten into
//! layers TensorFlow.js 4.22 has ([`tfjs_layers::rewrite`]) and saved as
//! `corpus__<name>/`. A model listed in `fixtures/corpus/keras/
//! REBUILD_UNREWRITABLE` must instead fail the rewrite with an error
//! containing every needle on its line; any other outcome fails the export.
//!
//! `E2E_ONLY=dense_nd,wide_deep` (comma-separated substrings of the ids)
//! exports only the matching models (fixtures, corpus and rewrite probes;
//! no builder models), for quick iteration.

use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tfjs_io::{file::FileStore, Router};
use tfjs_layers::builder::{Graph, Sequential};
use tfjs_layers::io_json::{IoJson, IoTensor, Tolerance};
use tfjs_layers::rewrite::probes;
use tfjs_layers::{LayerRegistry, LoadOptions, Model, Tensor};

#[path = "../tests/common/mod.rs"]
mod common;

async fn save(router: &Router, model: &Model, dir: &Path) -> Result<(), String> {
    let url = format!("file://{}", dir.display());
    model
        .save(router, &url)
        .await
        .map(|_| ())
        .map_err(|e| format!("save {url}: {e}"))
}

/// Write `dir/io.json` with `inputs` (named `names`) and the engine's
/// `outputs` as the reference TF.js must match (atol 1e-5, rtol 1e-4), and
/// point the model's reference at it.
fn write_engine_reference(
    dir: &Path,
    model: &Model,
    names: &[String],
    inputs: &[Tensor],
    outputs: &[Tensor],
) -> Result<(), String> {
    let io = IoJson {
        inputs: names
            .iter()
            .zip(inputs)
            .map(|(n, t)| IoTensor::from_tensor(n, t))
            .collect(),
        outputs: model
            .output_names()
            .iter()
            .zip(outputs)
            .map(|(n, t)| IoTensor::from_tensor(n, t))
            .collect(),
        tolerance: Tolerance {
            atol: 1e-5,
            rtol: 1e-4,
        },
        ..Default::default()
    };
    let io_path = dir.join("io.json");
    std::fs::write(&io_path, io.to_value().to_string()).map_err(|e| e.to_string())?;
    write_reference(dir, &io_path)
}

fn write_reference(dir: &Path, io: &Path) -> Result<(), String> {
    let body = json!({"io": io.canonicalize().map_err(|e| e.to_string())?}).to_string();
    std::fs::write(dir.join("reference.json"), body).map_err(|e| e.to_string())
}

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus/keras")
}

/// `<fixture> | <a> | <b> …` lines of a corpus list (`#` comments).
fn corpus_list(file: &str) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(corpus_root().join(file)).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split('|').map(|p| p.trim().to_string());
            let name = parts.next().unwrap_or_default();
            (name, parts.filter(|p| !p.is_empty()).collect())
        })
        .collect()
}

/// Export the `--rebuild` output of every corpus model the engine
/// reproduces; check the refusals of the unrewritable ones.
async fn rebuilt_corpus(router: &Router, out: &Path, failures: &mut Vec<String>) {
    let engine_fails: Vec<String> = corpus_list("EXPECTED_FAILURES")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let unrewritable = corpus_list("REBUILD_UNREWRITABLE");
    let mut dirs: Vec<PathBuf> = match std::fs::read_dir(corpus_root()) {
        Ok(r) => r
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("model.json").is_file() && p.join("io.json").is_file())
            .collect(),
        Err(e) => {
            failures.push(format!("corpus: {e}"));
            return;
        }
    };
    dirs.sort();
    let (mut exported, mut refused) = (0, 0);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if engine_fails.contains(&name) {
            continue;
        }
        let id = format!("corpus__{name}");
        if !selected(&id) {
            continue;
        }
        let expected = unrewritable
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v);
        let rewritten = tfjs_io::file::load_path(&dir)
            .map_err(|e| e.to_string())
            .and_then(|a| {
                Model::from_artifacts(&a, &LoadOptions::default()).map_err(|e| e.to_string())
            })
            .and_then(|m| tfjs_layers::rewrite::rewrite_for_tfjs(&m).map_err(|e| e.to_string()));
        match (rewritten, expected) {
            (Ok(r), None) => {
                let target = out.join(&id);
                let url = format!("file://{}", target.display());
                let saved = match router.resolve(&url) {
                    Ok((store, parsed)) => store
                        .save(&parsed, &r.artifacts)
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("save {url}: {e}")),
                    Err(e) => Err(format!("save {url}: {e}")),
                };
                match saved.and_then(|()| write_reference(&target, &dir.join("io.json"))) {
                    Ok(()) => {
                        exported += 1;
                        println!(
                            "exported {id} (rebuilt: {} layers rewritten)",
                            r.notes.len()
                        );
                    }
                    Err(e) => failures.push(format!("{id}: {e}")),
                }
            }
            (Ok(_), Some(_)) => failures.push(format!(
                "{id}: listed in REBUILD_UNREWRITABLE but the rewrite succeeded; remove its line"
            )),
            (Err(e), Some(needles)) => {
                let missing: Vec<&String> = needles.iter().filter(|n| !e.contains(*n)).collect();
                if missing.is_empty() {
                    refused += 1;
                    println!("refused {id} as expected");
                } else {
                    failures.push(format!("{id}: the error lacks {missing:?}: {e}"));
                }
            }
            (Err(e), None) => failures.push(format!("{id}: --rebuild failed: {e}")),
        }
    }
    println!("corpus: {exported} models rebuilt for TensorFlow.js, {refused} refused as listed");
}

/// A functional topology with one float32 input `x` of `shape` (no batch)
/// and the last layer as output.
fn probe_topology(shape: &[usize], layers: Vec<serde_json::Value>) -> serde_json::Value {
    let mut batch = vec![serde_json::Value::Null];
    batch.extend(shape.iter().map(|&d| json!(d)));
    let last = layers.last().map(|l| l["name"].clone()).unwrap_or_default();
    let mut all = vec![
        json!({"name": "x", "class_name": "InputLayer", "inbound_nodes": [],
        "config": {"batch_input_shape": batch, "dtype": "float32", "name": "x"}}),
    ];
    all.extend(layers);
    json!({"class_name": "Functional", "config": {"name": "probe", "layers": all,
        "input_layers": [["x", 0, 0]], "output_layers": [[last, 0, 0]]}})
}

fn probe(
    name: &str,
    class: &str,
    config: serde_json::Value,
    node: serde_json::Value,
) -> serde_json::Value {
    let mut config = config;
    config["name"] = json!(name);
    json!({"name": name, "class_name": class, "config": config, "inbound_nodes": [node]})
}

/// Models exercising the rewrite rules the corpus does not reach (every
/// `TFOpLambda` / Keras 3 op the rules map), with random weights: exported
/// rewritten, with the engine's outputs on the original as the reference.
fn rewrite_probes() -> Vec<(String, serde_json::Value, Vec<usize>)> {
    vec![
        (
            "rewrite__tfop_arith".into(),
            probe_topology(&[5], probes::tf_arith()),
            vec![3, 5],
        ),
        (
            "rewrite__tfop_shapes".into(),
            probe_topology(&[4, 3], probes::tf_shapes()),
            vec![2, 4, 3],
        ),
        (
            "rewrite__tfop_pooling".into(),
            probe_topology(&[6, 6, 2], probes::tf_pooling()),
            vec![2, 6, 6, 2],
        ),
        (
            "rewrite__keras3_ops".into(),
            probe_topology(&[5], probes::keras3_ops()),
            vec![3, 5],
        ),
        (
            // Keras 3's meaning of `hard_sigmoid` (x/6 + 0.5) and Keras's
            // half-pixel bilinear UpSampling2D, which TF.js reads otherwise.
            "rewrite__keras3_dialect".into(),
            {
                let mut t = probe_topology(
                    &[4, 3, 2],
                    vec![
                        probe(
                            "conv",
                            "Conv2D",
                            json!({"filters": 3, "kernel_size": 1, "activation": "hard_sigmoid"}),
                            json!([["x", 0, 0, {}]]),
                        ),
                        probe(
                            "up",
                            "UpSampling2D",
                            json!({"size": [2, 3], "interpolation": "bilinear"}),
                            json!([["conv", 0, 0, {}]]),
                        ),
                        probe(
                            "act",
                            "Activation",
                            json!({"activation": "hard_sigmoid"}),
                            json!([["up", 0, 0, {}]]),
                        ),
                    ],
                );
                t["keras_version"] = json!("3.15.1");
                t
            },
            vec![2, 4, 3, 2],
        ),
        (
            "rewrite__attention_dot".into(),
            probe_topology(
                &[5, 3],
                vec![
                    json!({"name": "k", "class_name": "Dense", "config": {"name": "k", "units": 3},
                           "inbound_nodes": [[["x", 0, 0, {}]]]}),
                    json!({"name": "v", "class_name": "Dense", "config": {"name": "v", "units": 4},
                           "inbound_nodes": [[["x", 0, 0, {}]]]}),
                    json!({"name": "att", "class_name": "Attention",
                           "config": {"name": "att", "score_mode": "dot"},
                           "inbound_nodes": [[["x", 0, 0, {}], ["k", 0, 0, {}]]]}),
                    json!({"name": "att_scaled", "class_name": "Attention",
                           "config": {"name": "att_scaled", "score_mode": "dot", "use_scale": true},
                           "inbound_nodes": [[["x", 0, 0, {}], ["v", 0, 0, {}], ["k", 0, 0, {}]]]}),
                    json!({"name": "cat", "class_name": "Concatenate", "config": {"name": "cat"},
                           "inbound_nodes": [[["att", 0, 0, {}], ["att_scaled", 0, 0, {}]]]}),
                ],
            ),
            vec![2, 5, 3],
        ),
        (
            // Additive scores: AdditiveAttention (with and without its
            // `scale`, a key of 2 steps against 5 queries) and Attention's
            // concat mode, as tiled sums, tanh and Dense(1).
            "rewrite__attention_additive".into(),
            probe_topology(
                &[5, 3],
                vec![
                    json!({"name": "kv", "class_name": "Reshape", "config": {"name": "kv",
                           "target_shape": [3, 5]}, "inbound_nodes": [[["x", 0, 0, {}]]]}),
                    json!({"name": "k", "class_name": "Dense", "config": {"name": "k", "units": 3},
                           "inbound_nodes": [[["kv", 0, 0, {}]]]}),
                    json!({"name": "v", "class_name": "Dense", "config": {"name": "v", "units": 3},
                           "inbound_nodes": [[["x", 0, 0, {}]]]}),
                    json!({"name": "add_scaled", "class_name": "AdditiveAttention",
                           "config": {"name": "add_scaled", "use_scale": true},
                           "inbound_nodes": [[["x", 0, 0, {}], ["k", 0, 0, {}]]]}),
                    json!({"name": "add_plain", "class_name": "AdditiveAttention",
                           "config": {"name": "add_plain", "use_scale": false},
                           "inbound_nodes": [[["x", 0, 0, {}], ["v", 0, 0, {}]]]}),
                    json!({"name": "concat", "class_name": "Attention",
                           "config": {"name": "concat", "score_mode": "concat", "use_scale": true},
                           "inbound_nodes": [[["x", 0, 0, {}], ["v", 0, 0, {}], ["x", 0, 0, {}]]]}),
                    json!({"name": "cat", "class_name": "Concatenate", "config": {"name": "cat"},
                           "inbound_nodes": [[["add_scaled", 0, 0, {}], ["add_plain", 0, 0, {}],
                                              ["concat", 0, 0, {}]]]}),
                ],
            ),
            vec![2, 5, 3],
        ),
        (
            // A model TF.js saved (its cell stack's states last cell first)
            // reading an RNN's output beside its first state, which TF.js
            // returns as the same tensor (rnn_state_alias).
            "rewrite__tfjs_stack_states".into(),
            probe_topology(
                &[5, 3],
                vec![
                    json!({"name": "rnn", "class_name": "RNN", "config": {"name": "rnn",
                           "return_state": true, "cell": {"class_name": "StackedRNNCells",
                           "config": {"cells": [
                               {"class_name": "SimpleRNNCell", "config": {"units": 2}},
                               {"class_name": "LSTMCell", "config": {"units": 3}}]}}},
                           "inbound_nodes": [[["x", 0, 0, {}]]]}),
                    json!({"name": "d", "class_name": "Dense", "config": {"name": "d", "units": 2},
                           "inbound_nodes": [[["rnn", 0, 0, {}]], [["rnn", 0, 1, {}]]]}),
                    json!({"name": "cat", "class_name": "Concatenate", "config": {"name": "cat"},
                           "inbound_nodes": [[["d", 0, 0, {}], ["d", 1, 0, {}],
                                              ["rnn", 0, 2, {}], ["rnn", 0, 3, {}]]]}),
                ],
            ),
            vec![2, 5, 3],
        ),
        (
            // extract_patches with strides and rates (a stride-1 dilated
            // Conv2D, then 1×1 pooling), channels_first, tiles cropped.
            "rewrite__extract_patches".into(),
            probe_topology(
                &[7, 8, 3],
                vec![
                    probes::tf(
                        "p1",
                        "image.extract_patches",
                        "x",
                        json!({"sizes": [1, 2, 3, 1], "strides": [1, 3, 2, 1],
                               "rates": [1, 2, 1, 1], "padding": "SAME"}),
                    ),
                    probes::op(
                        "p2",
                        "ExtractPatches",
                        json!({"size": 2, "strides": null, "dilation_rate": 2,
                               "padding": "valid", "data_format": "channels_first"}),
                        json!([["x", 0, 0]]),
                    ),
                    probes::op(
                        "p3",
                        "ExtractPatches",
                        json!({"size": [3, 2], "strides": null, "dilation_rate": 1,
                               "padding": "valid", "data_format": "channels_first"}),
                        json!([["x", 0, 0]]),
                    ),
                    probe("f1", "Flatten", json!({}), json!([["p1", 0, 0, {}]])),
                    probe("f2", "Flatten", json!({}), json!([["p2", 0, 0, {}]])),
                    probe("f3", "Flatten", json!({}), json!([["p3", 0, 0, {}]])),
                    probe(
                        "cat",
                        "Concatenate",
                        json!({}),
                        json!([["f1", 0, 0, {}], ["f2", 0, 0, {}], ["f3", 0, 0, {}]]),
                    ),
                ],
            ),
            vec![2, 7, 8, 3],
        ),
        (
            // tf.signal.frame of an inner axis padded at the end: by a
            // one-hot Conv2D (zeros), by copies (a constant pad_value).
            "rewrite__signal_frame".into(),
            probe_topology(
                &[3, 8, 2],
                vec![
                    probes::tf(
                        "f1",
                        "signal.frame",
                        "x",
                        json!({"frame_length": 3, "frame_step": 2, "axis": 2, "pad_end": true}),
                    ),
                    probes::tf(
                        "f2",
                        "signal.frame",
                        "x",
                        json!({"frame_length": 6, "frame_step": 2, "axis": 2, "pad_end": true,
                               "pad_value": -1.5}),
                    ),
                    probe("flat1", "Flatten", json!({}), json!([["f1", 0, 0, {}]])),
                    probe("flat2", "Flatten", json!({}), json!([["f2", 0, 0, {}]])),
                    probe(
                        "both",
                        "Concatenate",
                        json!({}),
                        json!([["flat1", 0, 0, {}], ["flat2", 0, 0, {}]]),
                    ),
                ],
            ),
            vec![2, 3, 8, 2],
        ),
        (
            // Conv1DTranspose with output_padding, same and valid.
            "rewrite__deconv1d_output_padding".into(),
            probe_topology(
                &[5, 2],
                vec![
                    probe(
                        "up1",
                        "Conv1DTranspose",
                        json!({"filters": 3, "kernel_size": 4, "strides": 3, "padding": "same",
                               "output_padding": 1}),
                        json!([["x", 0, 0, {}]]),
                    ),
                    probe(
                        "up2",
                        "Conv1DTranspose",
                        json!({"filters": 2, "kernel_size": 2, "strides": 3,
                               "padding": "valid", "output_padding": 2}),
                        json!([["up1", 0, 0, {}]]),
                    ),
                ],
            ),
            vec![2, 5, 2],
        ),
        (
            "rewrite__sequential_preprocessing".into(),
            json!({"class_name": "Sequential", "config": {"name": "seq", "layers": [
                {"class_name": "Resizing", "config": {"name": "resize", "height": 3, "width": 5,
                 "batch_input_shape": [null, 6, 4, 2], "dtype": "float32"}},
                {"class_name": "RandomFlip", "config": {"name": "flip", "mode": "horizontal"}},
                {"class_name": "CenterCrop", "config": {"name": "crop", "height": 3, "width": 3}},
                {"class_name": "Conv2D", "config": {"name": "conv", "filters": 3,
                 "kernel_size": 1, "groups": 1, "activation": "hard_silu"}},
                {"class_name": "Normalization", "config": {"name": "norm", "axis": -1,
                 "mean": [0.5, 1.0, -1.0], "variance": [2.0, 0.5, 1.0], "invert": true}}
            ]}}),
            vec![2, 6, 4, 2],
        ),
    ]
}

/// Export the rewrite probes: reference outputs from the engine on the
/// original model, the model itself rewritten for TensorFlow.js.
async fn export_probes(router: &Router, out: &Path, failures: &mut Vec<String>) {
    let registry = LayerRegistry::with_builtins();
    for (seed, (id, topology, shape)) in rewrite_probes().into_iter().enumerate() {
        if !selected(&id) {
            continue;
        }
        let target = out.join(&id);
        let result = async {
            let model = Model::from_topology(&topology, &registry, seed as u64 + 1)
                .map_err(|e| e.to_string())?;
            let x = seeded(shape, seed as u32 + 7);
            let outputs = model
                .predict(std::slice::from_ref(&x))
                .map_err(|e| e.to_string())?;
            let rewritten =
                tfjs_layers::rewrite::rewrite_for_tfjs(&model).map_err(|e| e.to_string())?;
            let url = format!("file://{}", target.display());
            let (store, parsed) = router.resolve(&url).map_err(|e| e.to_string())?;
            store
                .save(&parsed, &rewritten.artifacts)
                .await
                .map_err(|e| format!("save {url}: {e}"))?;
            write_engine_reference(&target, &model, &["x".to_string()], &[x], &outputs)
        }
        .await;
        match result {
            Ok(()) => println!("exported {id}"),
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
}

fn seeded(shape: Vec<usize>, seed: u32) -> Tensor {
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|i| {
            (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 8) % 2001) as f32 / 1000.0
                - 1.0
        })
        .collect();
    Tensor::from_f32(shape, data).expect("shape")
}

fn builder_models() -> Result<Vec<(String, Model, Vec<Tensor>)>, String> {
    let r = LayerRegistry::with_builtins();
    let e = |e: tfjs_layers::LayersError| e.to_string();
    let seq = Sequential::new()
        .input_shape(&[6])
        .add(
            r.create("Dense", json!({"units": 8, "activation": "relu"}))
                .map_err(e)?,
        )
        .add(
            r.create("Dense", json!({"units": 3, "activation": "softmax"}))
                .map_err(e)?,
        )
        .build(11)
        .map_err(e)?;
    let mut g = Graph::new();
    let a = g.input(&[Some(4)], "float32", Some("left")).map_err(e)?;
    let b = g.input(&[Some(4)], "float32", Some("right")).map_err(e)?;
    let shared = g
        .add_layer(
            r.create("Dense", json!({"units": 5, "activation": "tanh"}))
                .map_err(e)?,
        )
        .map_err(e)?;
    let ha = g.call(shared, &[a]).map_err(e)?[0];
    let hb = g.call(shared, &[b]).map_err(e)?[0];
    let cat = g
        .apply(r.create("Concatenate", json!({})).map_err(e)?, &[ha, hb])
        .map_err(e)?;
    let out = g
        .apply(r.create("Dense", json!({"units": 2})).map_err(e)?, &[cat])
        .map_err(e)?;
    let func = g.build(&[a, b], &[out], None, 5).map_err(e)?;
    Ok(vec![
        (
            "builder__sequential".into(),
            seq,
            vec![seeded(vec![3, 6], 1)],
        ),
        (
            "builder__functional".into(),
            func,
            vec![seeded(vec![2, 4], 2), seeded(vec![2, 4], 3)],
        ),
    ])
}

#[tokio::main]
async fn main() {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            eprintln!("usage: e2e_export OUT_DIR");
            std::process::exit(2)
        });
    let mut router = Router::new();
    router.register(Arc::new(FileStore::new()));
    let mut failures = Vec::new();
    for (family, name, dir) in common::fixture_dirs() {
        let id = format!("{family}__{name}");
        if !selected(&id) {
            continue;
        }
        let result = async {
            let model = common::load_fixture(&dir)?;
            let target = out.join(&id);
            save(&router, &model, &target).await?;
            write_reference(&target, &dir.join("io.json"))
        }
        .await;
        match result {
            Ok(()) => println!("exported {id}"),
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    rebuilt_corpus(&router, &out, &mut failures).await;
    export_probes(&router, &out, &mut failures).await;
    if std::env::var_os("E2E_ONLY").is_some() {
        finish(&failures);
        return;
    }
    match builder_models() {
        Ok(models) => {
            for (id, model, inputs) in models {
                let target = out.join(&id);
                let result = async {
                    let outputs = model.predict(&inputs).map_err(|e| e.to_string())?;
                    save(&router, &model, &target).await?;
                    let names: Vec<String> =
                        model.input_names().iter().map(|n| n.to_string()).collect();
                    write_engine_reference(&target, &model, &names, &inputs, &outputs)
                }
                .await;
                match result {
                    Ok(()) => println!("exported {id}"),
                    Err(e) => failures.push(format!("{id}: {e}")),
                }
            }
        }
        Err(e) => failures.push(format!("builder models: {e}")),
    }
    finish(&failures);
}

/// Exit with the failures, if any.
fn finish(failures: &[String]) {
    if !failures.is_empty() {
        eprintln!("export failed:\n{}", failures.join("\n"));
        std::process::exit(1);
    }
}

/// Whether the model `id` is exported: with `E2E_ONLY` set (comma-separated
/// substrings), only ids containing one of them, and no builder models.
fn selected(id: &str) -> bool {
    match std::env::var("E2E_ONLY") {
        Ok(only) => only
            .split(',')
            .any(|part| !part.is_empty() && id.contains(part)),
        Err(_) => true,
    }
}

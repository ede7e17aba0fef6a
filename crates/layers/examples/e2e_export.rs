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

use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tfjs_io::{file::FileStore, Router};
use tfjs_layers::builder::{Graph, Sequential};
use tfjs_layers::io_json::{IoJson, IoTensor, Tolerance};
use tfjs_layers::{LayerRegistry, LoadOptions, Model, Tensor};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

async fn save(router: &Router, model: &Model, dir: &Path) -> Result<(), String> {
    let url = format!("file://{}", dir.display());
    model
        .save(router, &url)
        .await
        .map(|_| ())
        .map_err(|e| format!("save {url}: {e}"))
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
    for family in ["tfjs", "keras"] {
        let root = fixtures_root().join(family);
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
            .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("model.json").is_file() && p.join("io.json").is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            let id = format!("{family}__{}", dir.file_name().unwrap().to_string_lossy());
            let result = async {
                let artifacts = tfjs_io::file::load_path(&dir).map_err(|e| e.to_string())?;
                let model = Model::from_artifacts(&artifacts, &LoadOptions::default())
                    .map_err(|e| e.to_string())?;
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
    }
    rebuilt_corpus(&router, &out, &mut failures).await;
    match builder_models() {
        Ok(models) => {
            for (id, model, inputs) in models {
                let target = out.join(&id);
                let result = async {
                    let outputs = model.predict(&inputs).map_err(|e| e.to_string())?;
                    save(&router, &model, &target).await?;
                    let io = IoJson {
                        inputs: model
                            .input_names()
                            .iter()
                            .zip(&inputs)
                            .map(|(n, t)| IoTensor::from_tensor(n, t))
                            .collect(),
                        outputs: model
                            .output_names()
                            .iter()
                            .zip(&outputs)
                            .map(|(n, t)| IoTensor::from_tensor(n, t))
                            .collect(),
                        tolerance: Tolerance {
                            atol: 1e-5,
                            rtol: 1e-4,
                        },
                        ..Default::default()
                    };
                    let io_path = target.join("io.json");
                    std::fs::write(&io_path, io.to_value().to_string())
                        .map_err(|e| e.to_string())?;
                    write_reference(&target, &io_path)
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
    if !failures.is_empty() {
        eprintln!("export failed:\n{}", failures.join("\n"));
        std::process::exit(1);
    }
}

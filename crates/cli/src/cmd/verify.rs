//! `tfjs verify URL`: every problem, or a one-line summary.

use crate::util;
use crate::Ctx;
use anyhow::bail;
use serde_json::{json, Value};
use std::process::ExitCode;
use tfjs_format::ModelArtifacts;
use tfjs_io::verify::{verify_artifacts, verify_file_with, Problem};
use tfjs_layers::{LayerRegistry, LoadOptions, Model};

const LONG: &str = "\
Check a model and report EVERY problem found, not just the first: missing
weight files, shards whose length differs from what the manifest needs, HTML
or JSON bodies where weights should be, unknown dtypes or quantization,
unsafe weight paths, duplicate weight names, manifest entries whose layer the
topology does not have, and weights that do not decode. Then the model is
built with the layers engine exactly as `predict` builds it, and whatever
the engine refuses is reported too: every unknown layer class (all of them,
with the layers using them), bad layer configs, and weights that do not match
the layers' shapes.

Graph models (`format: \"graph-model\"`, from tensorflowjs_converter's
SavedModel / TF Hub path) get the same file and weight checks, then the
graph's: every op the graph engine does not support (all of them, with
their nodes), inputs that name no node, duplicate node names, cycles
outside loops, weights no Const node uses and Const nodes without a value;
then the graph engine loads it exactly as `predict` does.

For file:// models the files are checked one by one; for other schemes the
model is loaded through its store and the loaded artifacts are checked.

Exit status: 0 when the model is sound (one summary line is printed), 1 when
problems were found (one line each), 2 when the check itself failed.

Examples:
  tfjs verify ./my-model
  tfjs verify file:///srv/models/m/model.json
  tfjs --json verify ./my-model";

/// Arguments of `tfjs verify`.
#[derive(Debug, clap::Args)]
#[command(about = "Check a model and list every problem (exit 1 if any)", long_about = LONG)]
pub struct Args {
    /// The model: a URL (file://, memory://, …) or a local path.
    pub url: String,
}

fn problem(location: &str, message: impl std::fmt::Display) -> Problem {
    Problem {
        location: location.to_string(),
        message: message.to_string(),
    }
}

/// What the layers engine refuses in a model, as problems: the topology
/// alone first (so unknown classes are reported even when the weights are
/// broken), then the whole model with its weights as `predict` builds it.
pub fn engine_problems(artifacts: &ModelArtifacts, files_ok: bool) -> Vec<Problem> {
    let Some(topology) = artifacts.model_topology.as_ref().filter(|t| !t.is_null()) else {
        return vec![problem(
            "modelTopology",
            "missing: a weights-only file cannot be run (predict needs the topology)",
        )];
    };
    let registry = LayerRegistry::with_builtins();
    let built = tfjs_layers::topology::parse_topology(topology)
        .and_then(|spec| Model::from_spec(&spec, &registry));
    if let Err(e) = built {
        return vec![problem("modelTopology (layers engine)", e)];
    }
    if !files_ok {
        return Vec::new();
    }
    match Model::from_artifacts(artifacts, &LoadOptions::default()) {
        Ok(_) => Vec::new(),
        Err(e) => vec![problem("weights (layers engine)", e)],
    }
}

/// What the graph engine refuses in a graph model, as problems: the
/// structural checks of `tfjs_graph::verify` (every unsupported op at once,
/// dangling inputs, cycles, unused weights), then, when those and the
/// files are sound, a load exactly as `predict` loads it.
pub fn graph_problems(artifacts: &ModelArtifacts, files_ok: bool) -> Vec<Problem> {
    let location = "modelTopology (graph engine)";
    let mut out: Vec<Problem> = match tfjs_graph::verify(artifacts) {
        Ok(problems) => problems.iter().map(|p| problem(location, p)).collect(),
        Err(e) => vec![problem(location, e)],
    };
    if out.is_empty() && files_ok {
        if let Err(e) = tfjs_graph::GraphModel::from_artifacts(artifacts) {
            out.push(problem("graph engine", e));
        }
    }
    out
}

/// Run `tfjs verify`.
pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let url = util::to_url(&args.url);
    let (mut report, artifacts) = match util::file_path(&url) {
        Some(path) => {
            if !path.exists() {
                bail!("{}: no such file or directory", path.display());
            }
            let p = path.clone();
            let external = ctx.allow_external_links;
            let report =
                tokio::task::spawn_blocking(move || verify_file_with(&p, external)).await?;
            // Load only what the file checks passed; the topology alone
            // still gets the engine's check below.
            let artifacts = match ctx.router.load(&url).await {
                Ok(a) => Some(a),
                Err(_) => tfjs_io::file::locate_model_json(&path)
                    .and_then(|j| tfjs_io::file::read_model_json(&j))
                    .ok()
                    .map(|mj| ModelArtifacts {
                        model_topology: mj.model_topology,
                        format: mj.format,
                        ..Default::default()
                    }),
            };
            (report, artifacts)
        }
        None => {
            let artifacts = util::load(ctx, &url).await?;
            (verify_artifacts(&artifacts, &url), Some(artifacts))
        }
    };
    let is_graph = artifacts
        .as_ref()
        .and_then(|a| a.format.as_deref())
        .is_some_and(|f| f == "graph-model");
    let mut graph = Value::Null;
    if is_graph {
        // tfjs_io::verify reads every topology as a layers model; a graph
        // model's `node` list is not a missing `layers` list. (To move into
        // tfjs_io::verify once it knows graph models.)
        report.problems.retain(|p| {
            !(p.location.ends_with("modelTopology") && p.message.starts_with("no layers found"))
        });
    }
    if let Some(a) = &artifacts {
        if is_graph {
            let files_ok = report.ok();
            report.problems.extend(graph_problems(a, files_ok));
            graph = tfjs_graph::summary(a)
                .map(|s| s.to_json())
                .unwrap_or(Value::Null);
        } else {
            let files_ok = report.ok();
            report.problems.extend(engine_problems(a, files_ok));
        }
    }
    if ctx.json {
        let problems: Vec<_> = report
            .problems
            .iter()
            .map(|p| json!({"location": p.location, "message": p.message}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "url": url,
                "ok": report.ok(),
                "format": if is_graph { "graph-model" } else { "layers-model" },
                "weights": report.weights,
                "shards": report.shards,
                "bytes": report.bytes,
                "layers": report.layers,
                "graph": graph,
                "problems": problems,
            }))?
        );
    } else if report.ok() {
        if is_graph {
            let ops: Vec<String> = graph["ops"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect())
                .unwrap_or_default();
            let control: Vec<&str> = graph["controlFlow"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            println!(
                "OK {url}: graph model, {} weights in {} shard(s), {} bytes, {} nodes; the graph engine loads it",
                report.weights,
                report.shards,
                util::thousands(report.bytes),
                graph["nodes"]
            );
            println!("  ops: {}", ops.join(", "));
            println!(
                "  control flow and async ops: {}",
                if control.is_empty() {
                    "none".to_string()
                } else {
                    control.join(", ")
                }
            );
        } else {
            println!(
                "OK {url}: {} weights in {} shard(s), {} bytes, {} layers; the layers engine builds it",
                report.weights,
                report.shards,
                util::thousands(report.bytes),
                report.layers
            );
        }
    } else {
        for p in &report.problems {
            println!("{}", util::printable_lines(&p.to_string()));
        }
        eprintln!("{} problem(s) found in {url}", report.problems.len());
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

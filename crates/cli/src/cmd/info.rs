//! `tfjs info URL`: what a model holds.

use crate::util::{self, thousands};
use crate::Ctx;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::process::ExitCode;
use tfjs_format::{codec, ModelArtifacts};
use tfjs_io::verify::walk_topology;

const LONG: &str = "\
Show what a model holds: format and producer, model class, layers by class
(nested models and the Keras `model_config` wrapper included), parameter
count, inputs and outputs (name, shape with null for any size, dtype),
preprocessing layers at the start of the model (Rescaling, Normalization,
Resizing, CenterCrop: what to feed it), weight bytes by dtype, quantization, weight files with their sizes,
training config and user metadata.

Examples:
  tfjs info ./my-model
  tfjs info file:///models/mobilenet/model.json
  tfjs --json info ./my-model | jq .parameters";

/// Arguments of `tfjs info`.
#[derive(Debug, clap::Args)]
#[command(about = "Show what a model holds (layers, parameters, dtypes, shards, metadata)", long_about = LONG)]
pub struct Args {
    /// The model: a URL (file://, memory://, …) or a local path.
    pub url: String,
}

/// A model's summary as JSON (what `--json` prints).
pub fn summarize(
    artifacts: &ModelArtifacts,
    url: &str,
    shard_names: Option<Vec<String>>,
) -> anyhow::Result<Value> {
    let mut out = Map::new();
    out.insert("url".into(), json!(url));
    out.insert("format".into(), json!(artifacts.format));
    out.insert("generatedBy".into(), json!(artifacts.generated_by));
    out.insert(
        "convertedBy".into(),
        artifacts.converted_by.clone().unwrap_or(Value::Null),
    );
    if tfjs_graph::is_graph_model(artifacts) {
        // A GraphDef: nodes and ops, not layers.
        out.insert("modelClass".into(), Value::Null);
        out.insert("layerCount".into(), json!(0));
        let graph = tfjs_graph::summary(artifacts)
            .map(|g| g.to_json())
            .unwrap_or_else(|e| json!({"error": e.to_string()}));
        out.insert("graph".into(), graph);
    } else if let Some(t) = &artifacts.model_topology {
        let topo = walk_topology(t);
        let mut by_class: BTreeMap<&str, u64> = BTreeMap::new();
        for l in &topo.layers {
            *by_class.entry(&l.class_name).or_default() += 1;
        }
        out.insert("modelClass".into(), json!(topo.model_class));
        out.insert("modelName".into(), json!(topo.model_name));
        out.insert("kerasVersion".into(), json!(topo.keras_version));
        out.insert("backend".into(), json!(topo.backend));
        out.insert("layerCount".into(), json!(topo.layers.len()));
        out.insert(
            "topLevelLayerCount".into(),
            json!(topo.layers.iter().filter(|l| l.depth == 0).count()),
        );
        out.insert("layersByClass".into(), json!(by_class));
    } else {
        out.insert("modelClass".into(), Value::Null);
        out.insert("layerCount".into(), json!(0));
    }
    let sig = tfjs_cli::signature::of_artifacts(artifacts).unwrap_or_default();
    if let Value::Object(fields) = sig.to_json() {
        out.extend(fields);
    }
    let mut params = 0u64;
    let mut opt_params = 0u64;
    let mut by_dtype: BTreeMap<String, (u64, u64)> = BTreeMap::new(); // dtype → (weights, bytes)
    let mut quant: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new(); // q → (weights, stored, dequantized)
    let extents = util::weight_extents(&artifacts.weight_specs, &artifacts.weight_data);
    for (i, s) in artifacts.weight_specs.iter().enumerate() {
        let n = s.num_elements().unwrap_or(0) as u64;
        if s.group.as_deref() == Some("optimizer") {
            opt_params += n;
        } else {
            params += n;
        }
        let stored = match &extents {
            Ok(e) => e[i].1 as u64,
            Err(_) => codec::stored_byte_len(s)?.unwrap_or(0),
        };
        let e = by_dtype.entry(s.dtype.to_string()).or_default();
        e.0 += 1;
        e.1 += stored;
        if let Some(q) = &s.quantization {
            let e = quant.entry(q.dtype.as_str().to_string()).or_default();
            e.0 += 1;
            e.1 += stored;
            e.2 += n * s.dtype.byte_size().unwrap_or(0) as u64;
        }
    }
    out.insert("parameters".into(), json!(params));
    out.insert("optimizerParameters".into(), json!(opt_params));
    out.insert("weightCount".into(), json!(artifacts.weight_specs.len()));
    out.insert("weightBytes".into(), json!(artifacts.weight_data.len()));
    out.insert(
        "bytesByDtype".into(),
        Value::Object(
            by_dtype
                .iter()
                .map(|(k, (w, b))| (k.clone(), json!({"weights": w, "bytes": b})))
                .collect(),
        ),
    );
    out.insert(
        "quantization".into(),
        Value::Object(
            quant
                .iter()
                .map(|(k, (w, s, d))| {
                    (
                        k.clone(),
                        json!({"weights": w, "storedBytes": s, "dequantizedBytes": d}),
                    )
                })
                .collect(),
        ),
    );
    let shards: Vec<Value> = artifacts
        .weight_data
        .buffers
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let name = shard_names
                .as_ref()
                .and_then(|n| n.get(i).cloned())
                .unwrap_or_else(|| format!("#{}", i + 1));
            json!({"path": name, "bytes": b.len()})
        })
        .collect();
    out.insert("shards".into(), Value::Array(shards));
    out.insert(
        "trainingConfig".into(),
        artifacts.training_config.clone().unwrap_or(Value::Null),
    );
    out.insert(
        "userDefinedMetadata".into(),
        artifacts
            .user_defined_metadata
            .clone()
            .unwrap_or(Value::Null),
    );
    Ok(Value::Object(out))
}

/// The inputs, outputs and preprocessing lines of the text summary.
fn signature_text(v: &Value) -> String {
    let mut o = String::new();
    for (key, title) in [("inputs", "inputs:"), ("outputs", "outputs:")] {
        let list = v
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if list.is_empty() {
            o += &format!("{title:<16}unknown\n");
        } else {
            o += &format!("{title}\n");
        }
        for t in &list {
            let shape = match t["shape"].as_array() {
                Some(d) if !d.is_empty() => {
                    let dims: Vec<String> = d.iter().map(Value::to_string).collect();
                    format!("[{}]", dims.join(", "))
                }
                _ => "(shape unknown)".into(),
            };
            o += &format!(
                "  {:<28} {shape} {}\n",
                util::printable(t["name"].as_str().unwrap_or("?")),
                util::printable(t["dtype"].as_str().unwrap_or("?"))
            );
        }
    }
    match v.get("preprocessing").and_then(Value::as_array) {
        Some(p) if !p.is_empty() => {
            o += "preprocessing:  done by the model's first layers (feed raw values):\n";
            for l in p {
                o += &format!(
                    "  {:<28} {}: {}\n",
                    util::printable(l["layer"].as_str().unwrap_or("?")),
                    l["className"].as_str().unwrap_or("?"),
                    util::printable(l["computes"].as_str().unwrap_or("?"))
                );
            }
        }
        _ => o += "preprocessing:  none in the model (apply what it was trained with)\n",
    }
    if let Some(sp) = v.get("suggestedPreprocess").filter(|x| !x.is_null()) {
        o += &format!(
            "  probably:     --preprocess {} ({})\n",
            sp["mode"].as_str().unwrap_or("?"),
            util::printable(sp["reason"].as_str().unwrap_or(""))
        );
    }
    o
}

/// The graph part of `info`'s text: nodes, op histogram, control flow.
fn graph_text(g: &Value) -> String {
    let mut o = String::new();
    if let Some(e) = g.get("error").and_then(Value::as_str) {
        return format!("graph:          cannot be read: {}\n", util::printable(e));
    }
    let nodes = g.get("nodes").and_then(Value::as_u64).unwrap_or(0);
    let functions = g
        .get("functions")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    o += &format!("nodes:          {nodes} (+ {functions} function(s) in the library)\n");
    if let Some(Value::Object(ops)) = g.get("ops") {
        let mut by_count: Vec<(&String, u64)> = ops
            .iter()
            .map(|(k, c)| (k, c.as_u64().unwrap_or(0)))
            .collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        o += &format!("ops:            {} distinct\n", by_count.len());
        for (k, c) in by_count {
            o += &format!("  {:<28} {c}\n", util::printable(k));
        }
    }
    let control: Vec<String> = g
        .get("controlFlow")
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(|s| util::printable(s).into_owned())
                .collect()
        })
        .unwrap_or_default();
    o += &format!(
        "control flow:   {}\n",
        if control.is_empty() {
            "none (runs with execute)".to_string()
        } else {
            format!("{} (TF.js needs executeAsync)", control.join(", "))
        }
    );
    o
}

fn text(v: &Value) -> String {
    let s = |k: &str| match v.get(k) {
        Some(Value::String(s)) => util::printable(s).into_owned(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    };
    let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    let mut o = String::new();
    o += &format!("model:          {}\n", s("url"));
    o += &format!("format:         {}\n", s("format"));
    o += &format!("generatedBy:    {}\n", s("generatedBy"));
    o += &format!("convertedBy:    {}\n", s("convertedBy"));
    let mut class = s("modelClass");
    if let Some(Value::String(name)) = v.get("modelName") {
        class += &format!(" \"{}\"", util::printable(name));
    }
    if let Some(Value::String(k)) = v.get("kerasVersion") {
        class += &format!(" (keras {})", util::printable(k));
    }
    if let Some(g) = v.get("graph").filter(|g| g.is_object()) {
        o += &graph_text(g);
    } else {
        o += &format!("class:          {class}\n");
        o += &format!(
            "layers:         {} ({} top-level)\n",
            n("layerCount"),
            n("topLevelLayerCount")
        );
    }
    if let Some(Value::Object(m)) = v.get("layersByClass") {
        for (k, c) in m {
            o += &format!("  {:<28} {c}\n", util::printable(k));
        }
    }
    o += &signature_text(v);
    o += &format!("parameters:     {}", thousands(n("parameters")));
    if n("optimizerParameters") > 0 {
        o += &format!(" (+ {} optimizer)", thousands(n("optimizerParameters")));
    }
    o += "\n";
    o += &format!(
        "weights:        {} entries, {} bytes\n",
        n("weightCount"),
        thousands(n("weightBytes"))
    );
    if let Some(Value::Object(m)) = v.get("bytesByDtype") {
        for (k, e) in m {
            o += &format!(
                "  {k:<28} {} bytes in {} weights\n",
                thousands(e["bytes"].as_u64().unwrap_or(0)),
                e["weights"]
            );
        }
    }
    match v.get("quantization") {
        Some(Value::Object(m)) if !m.is_empty() => {
            o += "quantization:\n";
            for (k, e) in m {
                o += &format!(
                    "  {k:<28} {} weights, {} bytes stored ({} dequantized)\n",
                    e["weights"],
                    thousands(e["storedBytes"].as_u64().unwrap_or(0)),
                    thousands(e["dequantizedBytes"].as_u64().unwrap_or(0))
                );
            }
        }
        _ => o += "quantization:   none\n",
    }
    if let Some(Value::Array(sh)) = v.get("shards") {
        o += &format!("shards:         {}\n", sh.len());
        for e in sh {
            o += &format!(
                "  {:<28} {} bytes\n",
                util::printable(e["path"].as_str().unwrap_or("?")),
                thousands(e["bytes"].as_u64().unwrap_or(0))
            );
        }
    }
    match v.get("trainingConfig") {
        Some(Value::Null) | None => o += "trainingConfig: none\n",
        Some(t) => {
            let opt = t
                .pointer("/optimizer_config/class_name")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let loss = t
                .get("loss")
                .map(|l| l.to_string())
                .unwrap_or_else(|| "?".into());
            o += &format!(
                "trainingConfig: optimizer {}, loss {loss}\n",
                util::printable(opt)
            );
        }
    }
    match v.get("userDefinedMetadata") {
        Some(Value::Null) | None => o += "userMetadata:   none\n",
        Some(m) => o += &format!("userMetadata:   {m}\n"),
    }
    o
}

/// Run `tfjs info`.
pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let url = util::to_url(&args.url);
    let artifacts = util::load(ctx, &url).await?;
    let shard_names = util::file_path(&url).and_then(|p| {
        let json = tfjs_io::file::locate_model_json(&p).ok()?;
        let mj = tfjs_io::file::read_model_json(&json).ok()?;
        Some(
            mj.weights_manifest?
                .into_iter()
                .flat_map(|g| g.paths)
                .collect(),
        )
    });
    let summary = summarize(&artifacts, &url, shard_names)?;
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", text(&summary));
    }
    Ok(ExitCode::SUCCESS)
}

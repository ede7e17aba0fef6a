//! `tfjs predict URL --inputs FILE [--output FILE] [--check]`: run a model.

use crate::util;
use crate::Ctx;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::path::Path;
use std::process::ExitCode;
use tfjs_layers::io_json::{compare, read_npy, IoJson, IoTensor};
use tfjs_layers::{LoadOptions, Model, Tensor};

const LONG: &str = "\
Run a layers model on inputs from an io.json file (the fixtures' format:
named inputs, flat row-major data) or .npy files (one per model input, in
input order; float32/int32/float64/int64, C order).

--check compares the outputs with the file's `outputs` (or
`outputs_dequantized` with `tolerance_dequantized` when present) using
abs(actual - expected) <= atol + rtol * abs(expected), and exits 1 listing
the worst elements when any is out of tolerance.

Examples:
  tfjs predict ./my-model --inputs io.json --check
  tfjs predict ./my-model --inputs x.npy --output out.json
  tfjs --json predict ./my-model --inputs io.json";

/// Arguments of `tfjs predict`.
#[derive(Debug, clap::Args)]
#[command(about = "Run a model on io.json / .npy inputs; --check compares with reference outputs", long_about = LONG)]
pub struct Args {
    /// The model: a URL (file://, memory://, …) or a local path.
    pub url: String,
    /// io.json with `inputs`, or .npy file(s) (repeat for several inputs).
    #[arg(long = "inputs", required = true, num_args = 1..)]
    pub inputs: Vec<String>,
    /// Write the outputs as io.json-style JSON to this file.
    #[arg(long)]
    pub output: Option<String>,
    /// Compare with the reference outputs in the --inputs io.json; exit 1 on mismatch.
    #[arg(long)]
    pub check: bool,
    /// Load weights non-strictly (unmatched names are skipped with a warning).
    #[arg(long)]
    pub non_strict: bool,
}

/// A graph model (`format: "graph-model"`): io.json inputs are fed by their
/// names (signature keys or node names, as TF.js `execute` takes them; by
/// position when a name is unknown), .npy files by input position. With
/// reference outputs in the io.json, exactly those outputs are computed.
fn run_graph(
    files: &[String],
    url: &str,
    artifacts: &tfjs_format::ModelArtifacts,
) -> anyhow::Result<(Vec<String>, Vec<Tensor>, Option<IoJson>)> {
    let model = tfjs_graph::GraphModel::from_artifacts(artifacts)
        .with_context(|| format!("cannot build the graph model at {url}"))?;
    let model_inputs: Vec<&str> = model.inputs().iter().map(|i| i.name.as_str()).collect();
    let (named, io): (Vec<(String, Tensor)>, Option<IoJson>) =
        if files.len() == 1 && !files[0].ends_with(".npy") {
            let bytes =
                std::fs::read(&files[0]).with_context(|| format!("cannot read {}", files[0]))?;
            let io = IoJson::parse(&bytes, &files[0])?;
            let by_name = io.inputs.iter().all(|t| model.resolve(&t.name).is_ok());
            if !by_name && io.inputs.len() != model_inputs.len() {
                bail!(
                "{}: the model has inputs {model_inputs:?}, the file's input names do not match",
                files[0]
            );
            }
            let feeds = io
                .inputs
                .iter()
                .enumerate()
                .map(|(k, t)| {
                    let name = if by_name {
                        t.name.clone()
                    } else {
                        model_inputs[k].to_string()
                    };
                    Ok((name, t.to_tensor()?))
                })
                .collect::<anyhow::Result<_>>()?;
            (feeds, Some(io))
        } else {
            if files.len() != model_inputs.len() {
                bail!(
                    "the model has {} input(s) ({}), got {} .npy file(s)",
                    model_inputs.len(),
                    model_inputs.join(", "),
                    files.len()
                );
            }
            let feeds = files
                .iter()
                .zip(&model_inputs)
                .map(|(f, n)| {
                    let bytes = std::fs::read(f).with_context(|| format!("cannot read {f}"))?;
                    Ok((n.to_string(), read_npy(&bytes, f)?))
                })
                .collect::<anyhow::Result<_>>()?;
            (feeds, None)
        };
    let wanted: Vec<String> = match &io {
        Some(io) if !io.reference().0.is_empty() => {
            io.reference().0.iter().map(|t| t.name.clone()).collect()
        }
        _ => model.outputs().iter().map(|o| o.name.clone()).collect(),
    };
    let feeds: Vec<(&str, tfjs_graph::Tensor)> = named
        .iter()
        .map(|(n, t)| (n.as_str(), tfjs_graph::Tensor::from_layers(t)))
        .collect();
    let wanted_refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let outputs = model
        .execute(&feeds, &wanted_refs)
        .with_context(|| format!("cannot run the graph model at {url}"))?;
    Ok((
        wanted,
        outputs.iter().map(tfjs_graph::Tensor::to_layers).collect(),
        io,
    ))
}

fn read_inputs(files: &[String], model: &Model) -> anyhow::Result<(Vec<Tensor>, Option<IoJson>)> {
    let names = model.input_names();
    if files.len() == 1 && !files[0].ends_with(".npy") {
        let bytes =
            std::fs::read(&files[0]).with_context(|| format!("cannot read {}", files[0]))?;
        let io = IoJson::parse(&bytes, &files[0])?;
        let t = io.inputs_for(&names).with_context(|| files[0].clone())?;
        return Ok((t, Some(io)));
    }
    if files.len() != names.len() {
        bail!(
            "the model has {} input(s) ({}), got {} .npy file(s)",
            names.len(),
            names.join(", "),
            files.len()
        );
    }
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {f}"))?;
        out.push(read_npy(&bytes, f)?);
    }
    Ok((out, None))
}

/// Run `tfjs predict`.
pub async fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let url = util::to_url(&a.url);
    let artifacts = util::load(ctx, &url).await?;
    let (names, outputs, io) = if tfjs_graph::is_graph_model(&artifacts) {
        run_graph(&a.inputs, &url, &artifacts)?
    } else {
        let opts = LoadOptions {
            strict: !a.non_strict,
            ..Default::default()
        };
        let model = Model::from_artifacts(&artifacts, &opts)
            .with_context(|| format!("cannot build the model at {url}"))?;
        let (inputs, io) = read_inputs(&a.inputs, &model)?;
        let outputs = model.predict(&inputs)?;
        let names = model.output_names().iter().map(|n| n.to_string()).collect();
        (names, outputs, io)
    };
    let out_tensors: Vec<IoTensor> = names
        .iter()
        .zip(&outputs)
        .map(|(n, t)| IoTensor::from_tensor(n, t))
        .collect();
    let doc = json!({
        "model": url,
        "outputs": out_tensors.iter().map(IoTensor::to_value).collect::<Vec<Value>>(),
    });
    if let Some(path) = &a.output {
        write_atomic(Path::new(path), doc.to_string().as_bytes())?;
    }
    let mut code = ExitCode::SUCCESS;
    let mut check_json = Value::Null;
    if a.check {
        let Some(io) = &io else {
            bail!("--check needs an io.json with reference `outputs` as --inputs");
        };
        let (reference, tol) = io.reference();
        if reference.is_empty() {
            bail!("--check: {} has no reference outputs", a.inputs[0]);
        }
        let c = compare(&outputs, reference, tol, 10);
        let against = if io.outputs_dequantized.is_some() {
            "outputs_dequantized"
        } else {
            "outputs"
        };
        check_json = json!({
            "passed": c.passed(), "against": against, "max_abs_error": c.max_abs_err,
            "failures": c.failures, "atol": tol.atol, "rtol": tol.rtol,
            "problems": c.problems,
            "worst": c.worst.iter().map(|m| json!({"output": m.output, "index": m.index, "actual": m.actual, "expected": m.expected, "abs_error": m.abs_err})).collect::<Vec<_>>(),
        });
        if !c.passed() {
            code = ExitCode::from(1);
            if !ctx.json {
                eprintln!(
                    "check FAILED against {against}: {} element(s) out of tolerance (atol {}, rtol {}), max abs error {:.3e}",
                    c.failures, tol.atol, tol.rtol, c.max_abs_err
                );
                for p in &c.problems {
                    eprintln!("  {p}");
                }
                for m in &c.worst {
                    eprintln!(
                        "  {}[{}]: got {} expected {} (abs error {:.3e})",
                        m.output, m.index, m.actual, m.expected, m.abs_err
                    );
                }
            }
        } else if !ctx.json {
            println!(
                "check ok against {against}: max abs error {:.3e} (atol {}, rtol {})",
                c.max_abs_err, tol.atol, tol.rtol
            );
        }
    }
    if ctx.json {
        let mut d = doc;
        if a.check {
            d["check"] = check_json;
        }
        println!("{d}");
    } else if a.output.is_none() || !a.check {
        for t in &out_tensors {
            let head: Vec<String> = t.data.iter().take(8).map(|x| format!("{x:.6}")).collect();
            println!(
                "{} {:?} {}: [{}{}]",
                t.name,
                t.shape,
                t.dtype,
                head.join(", "),
                if t.data.len() > 8 { ", …" } else { "" }
            );
        }
    }
    Ok(code)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

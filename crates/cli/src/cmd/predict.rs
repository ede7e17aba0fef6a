//! `tfjs predict URL --inputs FILE [--output FILE] [--check]` or
//! `tfjs predict URL --image FILE… [--top-k N]`: run a model.

use crate::util;
use crate::Ctx;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tfjs_cli::image_input::{self, Preprocess};
use tfjs_cli::inputs_check::{check_io_json, check_tensors};
use tfjs_cli::signature::Signature;
use tfjs_layers::io_json::{compare, read_npy, IoJson, IoTensor};
use tfjs_layers::{LoadOptions, Model, Tensor};

const LONG: &str = "\
Run a layers model on inputs from an io.json file (the fixtures' format:
named inputs, flat row-major data) or .npy files (one per model input, in
input order; float32/int32/float64/int64, C order), or on images.

Inputs are checked against the model's signature first (`tfjs info` shows
it): a wrong input name, a missing or extra input, a dtype other than
float32/int32, a null or non-number value, a fraction in an int32 input or a
shape that does not fit gets an error naming the field and listing what the
model expects.

--image decodes PNG, JPEG or WebP files (repeat for a batch), resizes each to
the model's input size (bilinear with half-pixel centers, as Keras'
tf.image.resize; --resize WxH when the model's size is free or to override)
and applies --preprocess, one of Keras' imagenet_utils.preprocess_input
modes: none (0..255), scale01 (x/255), mobilenet (Keras \"tf\": x/127.5-1),
caffe (RGB->BGR minus the ImageNet means), torch (x/255, then per-channel
mean/std). The best --top-k classes of each image are printed, named by
--labels (one name per line, a JSON list, or imagenet_class_index.json).

--check compares the outputs with the file's `outputs` (or
`outputs_dequantized` with `tolerance_dequantized` when present) using
abs(actual - expected) <= atol + rtol * abs(expected), and exits 1 listing
the worst elements when any is out of tolerance.

Examples:
  tfjs predict ./my-model --inputs io.json --check
  tfjs predict ./my-model --inputs x.npy --output out.json
  tfjs --json predict ./my-model --inputs io.json
  tfjs predict ./mobilenet --image cat.jpg --preprocess mobilenet --labels labels.txt";

/// Arguments of `tfjs predict`.
#[derive(Debug, clap::Args)]
#[command(about = "Run a model on io.json / .npy inputs or images; --check compares with reference outputs", long_about = LONG)]
pub struct Args {
    /// The model: a URL (file://, memory://, …) or a local path.
    pub url: String,
    /// io.json with `inputs`, or .npy file(s) (repeat for several inputs).
    #[arg(long = "inputs", num_args = 1.., required_unless_present = "image", conflicts_with = "image")]
    pub inputs: Vec<String>,
    /// An image file (PNG, JPEG, WebP) as input; repeat for a batch.
    #[arg(long = "image", value_name = "FILE")]
    pub image: Vec<PathBuf>,
    /// Resize images to WIDTHxHEIGHT instead of the model's input size.
    #[arg(long, value_name = "WxH", requires = "image")]
    pub resize: Option<String>,
    /// How image pixels (0..255) are normalized (Keras preprocess_input modes).
    #[arg(long, value_enum, default_value = "none", requires = "image")]
    pub preprocess: Preprocess,
    /// How many classes to print per image.
    #[arg(long, default_value_t = 5)]
    pub top_k: usize,
    /// Class names: one per line, a JSON list, or imagenet_class_index.json.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
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

/// Named input tensors and the io.json they came from, if any.
pub(crate) type GraphFeeds = (Vec<(String, Tensor)>, Option<IoJson>);

/// Named feeds for a graph model from an io.json (by the inputs' names:
/// signature keys or node names, as TF.js `execute` takes them; by position
/// when a name is unknown) or from .npy files (by input position), and the
/// io.json itself when one was given.
pub(crate) fn graph_feeds(
    files: &[String],
    model: &tfjs_graph::GraphModel,
) -> anyhow::Result<GraphFeeds> {
    let model_inputs: Vec<&str> = model.inputs().iter().map(|i| i.name.as_str()).collect();
    if files.len() == 1 && !files[0].ends_with(".npy") {
        let bytes = util::read_local(&files[0], util::MAX_INPUT_FILE_BYTES)?;
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
        return Ok((feeds, Some(io)));
    }
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
            let bytes = util::read_local(f, util::MAX_INPUT_FILE_BYTES)?;
            Ok((n.to_string(), read_npy(&bytes, f)?))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((feeds, None))
}

/// A graph model (`format: "graph-model"`), fed as [`graph_feeds`] reads the
/// inputs. With reference outputs in the io.json, exactly those outputs are
/// computed.
fn run_graph(
    files: &[String],
    url: &str,
    artifacts: &tfjs_format::ModelArtifacts,
) -> anyhow::Result<(Vec<String>, Vec<Tensor>, Option<IoJson>)> {
    let model = tfjs_graph::GraphModel::from_artifacts(artifacts)
        .with_context(|| format!("cannot build the graph model at {url}"))?;
    let (named, io) = graph_feeds(files, &model)?;
    let wanted: Vec<String> = match &io {
        Some(io) if !io.reference().0.is_empty() => {
            io.reference().0.iter().map(|t| t.name.clone()).collect()
        }
        _ => model.outputs().iter().map(|o| o.name.clone()).collect(),
    };
    let feeds: Vec<(&str, tfjs_graph::Tensor)> = named
        .iter()
        .map(|(n, t)| Ok((n.as_str(), tfjs_graph::Tensor::from_layers(t)?)))
        .collect::<Result<_, tfjs_graph::GraphError>>()?;
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

/// A layers model's inputs from an io.json or .npy files, checked against
/// its signature first.
pub(crate) fn read_inputs(
    files: &[String],
    model: &Model,
    sig: &Signature,
) -> anyhow::Result<(Vec<Tensor>, Option<IoJson>)> {
    let names = model.input_names();
    if files.len() == 1 && !files[0].ends_with(".npy") {
        let bytes = util::read_local(&files[0], util::MAX_INPUT_FILE_BYTES)?;
        let doc: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: invalid JSON", files[0]))?;
        check_io_json(&doc, sig, &files[0])?;
        let io = IoJson::parse(&bytes, &files[0])?;
        let t = io.inputs_for(&names).with_context(|| files[0].clone())?;
        return Ok((t, Some(io)));
    }
    if files.len() != names.len() {
        bail!("{} .npy file(s) given; {}", files.len(), sig.expects());
    }
    let mut out = Vec::new();
    for f in files {
        let bytes = util::read_local(f, util::MAX_INPUT_FILE_BYTES)?;
        out.push(read_npy(&bytes, f)?);
    }
    check_tensors(&out, sig, files)?;
    Ok((out, None))
}

/// The model's one image input: `(height, width, channels, dtype)`.
fn image_input_size(
    sig: &Signature,
    resize: Option<&str>,
) -> anyhow::Result<(usize, usize, usize, String)> {
    let [input] = sig.inputs.as_slice() else {
        bail!(
            "--image needs a model with one image input; {}",
            sig.expects()
        );
    };
    let [_, h, w, c] = input.shape.as_slice() else {
        bail!(
            "--image needs an input of shape [batch, height, width, channels]; {}",
            sig.expects()
        );
    };
    let channels = c.unwrap_or(3);
    let (height, width) = match resize {
        Some(r) => {
            let (w, h) = image_input::parse_size(r)?;
            (h, w)
        }
        None => match (h, w) {
            (Some(h), Some(w)) => (*h, *w),
            _ => bail!(
                "the model's input `{}` takes any image size; give one with --resize WxH",
                input.name
            ),
        },
    };
    Ok((height, width, channels, input.dtype.clone()))
}

/// One image's best classes as JSON.
fn top_classes(scores: &[f32], k: usize, labels: Option<&[String]>) -> Vec<Value> {
    image_input::top_k(scores, k)
        .into_iter()
        .map(|(i, p)| json!({"index": i, "label": labels.and_then(|l| l.get(i)), "score": p}))
        .collect()
}

/// Warn (stderr) about quantized weights that load but decode to values
/// their author cannot have meant; `tfjs verify` reports the same.
fn warn_on_dequantization(artifacts: &tfjs_format::ModelArtifacts) {
    if artifacts
        .weight_specs
        .iter()
        .all(|w| w.quantization.is_none())
    {
        return;
    }
    let specs = &artifacts.weight_specs;
    if let Ok(decoded) = tfjs_format::codec::decode_weights(specs, &artifacts.weight_data) {
        for w in tfjs_format::checkpoint::dequantization_warnings(specs, &decoded) {
            eprintln!("warning: {}", util::printable(&w));
        }
    }
}

/// Run `tfjs predict`.
pub async fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let url = util::to_url(&a.url);
    let artifacts = util::load(ctx, &url).await?;
    warn_on_dequantization(&artifacts);
    let (names, outputs, io) = if tfjs_graph::is_graph_model(&artifacts) {
        if !a.image.is_empty() {
            bail!("--image is for layers models; give a graph model its inputs as io.json or .npy files");
        }
        run_graph(&a.inputs, &url, &artifacts)?
    } else {
        let opts = LoadOptions {
            strict: !a.non_strict,
            ..Default::default()
        };
        let model = Model::from_artifacts(&artifacts, &opts)
            .with_context(|| format!("cannot build the model at {url}"))?;
        let sig = Signature::of_model(&model, artifacts.model_topology.as_ref());
        let (inputs, io) = if a.image.is_empty() {
            read_inputs(&a.inputs, &model, &sig)?
        } else {
            let (h, w, c, dtype) = image_input_size(&sig, a.resize.as_deref())?;
            let batch = image_input::image_batch(&a.image, h, w, c, a.preprocess, &dtype)?;
            (vec![batch], None)
        };
        let outputs = model
            .predict(&inputs)
            .with_context(|| format!("predict failed; {}", sig.expects()))?;
        let names: Vec<String> = model.output_names().iter().map(|n| n.to_string()).collect();
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
    let mut top = Vec::new();
    if !a.image.is_empty() {
        let labels = a
            .labels
            .as_deref()
            .map(image_input::read_labels)
            .transpose()?;
        let first = &outputs[0];
        let scores = first.to_f32();
        let per_image = scores.len() / a.image.len().max(1);
        for (path, row) in a.image.iter().zip(scores.chunks(per_image.max(1))) {
            top.push(json!({
                "image": path.display().to_string(),
                "classes": top_classes(row, a.top_k, labels.as_deref()),
            }));
        }
    }
    if ctx.json {
        let mut d = doc;
        if a.check {
            d["check"] = check_json;
        }
        if !top.is_empty() {
            d["topK"] = Value::Array(top);
        }
        println!("{d}");
    } else if !top.is_empty() {
        for t in &top {
            println!("{}", util::printable(t["image"].as_str().unwrap_or("")));
            for c in t["classes"].as_array().into_iter().flatten() {
                let label = match c["label"].as_str() {
                    Some(l) => format!("{} ({})", util::printable(l), c["index"]),
                    None => format!("class {}", c["index"]),
                };
                println!(
                    "  {:>8.5}  {label}",
                    c["score"].as_f64().unwrap_or(f64::NAN)
                );
            }
        }
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

/// `--output` is replaced atomically (fsynced, temporary removed on
/// failure) through the one atomic-write helper the stores use.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temp_name = format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    );
    tfjs_io::atomic::replace(path, &temp_name, &[bytes])
        .with_context(|| format!("cannot write {}", path.display()))
}

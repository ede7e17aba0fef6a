//! `tfjs convert SRC DST`: re-encode (quantize) and re-shard a model.

use crate::util;
use crate::Ctx;
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::io::IsTerminal;
use std::process::ExitCode;
use tfjs_format::codec;
use tfjs_format::{quantize, JsonStyle, ModelArtifacts, QuantizationDType};
use tfjs_io::file::{FileStore, FileStoreOptions};
use tfjs_io::ModelStore;

const LONG: &str = "\
Load a model from SRC and save it to DST, optionally quantizing its float32
weights and choosing how the weights are split into files. Any scheme works
on either side (file://, memory://, …); plain paths are local directories.

Without --shard-size a file:// destination gets tfjs-node's layout
(model.json + one weights.bin). With --shard-size it gets the Python
converter's layout: group1-shard1ofN.bin … of at most BYTES bytes each and a
converter-style model.json (what `tensorflowjs_converter
--weight_shard_size_bytes BYTES` writes).

--quantize stores every float32 weight as uint8 or uint16 (affine, per
tensor, as the converter's --quantize_uint8/--quantize_uint16) or float16;
TensorFlow.js dequantizes on load. A weight already quantized to the
requested dtype keeps its bytes (quantizing it again would only add
rounding); one quantized to another dtype is dequantized and quantized
again. Other dtypes are kept as they are.

--rebuild loads the model into the layers engine and saves it from there, as
TensorFlow.js's `model.save()` would: a TensorFlow.js-style topology and
weight names. That is what makes Keras 3 conversions (which TensorFlow.js
4.22 cannot load: `batch_shape`, dict `inbound_nodes`, `layers/<name>/vars/<i>`
weight names) loadable by TensorFlow.js; it is the default for those, and
--no-rebuild turns it off. Use --rebuild for Keras 2 models with
`keepdims: true` global pooling (TensorFlow.js ignores keepdims).

A rebuild for TensorFlow.js also rewrites layers TensorFlow.js 4.22 lacks
into exact equivalents built from layers it has: Normalization →
BatchNormalization with fixed statistics; TFOpLambda and Keras 3 ops
arithmetic and activations (x + 3, x * y, x - y, tf.nn.relu6, tf.nn.silu,
tf.concat, tf.reshape, …) → Rescaling / Add / Multiply / Maximum /
Minimum / ReLU / Activation / Softmax / Concatenate / Reshape / Permute;
MultiHeadAttention / Attention → Dense / Dot / softmax per head (masks of
an Embedding(mask_zero) as score biases); GRU with reset_after: true (the
Keras default) → its steps unrolled (sequences of known length); Resizing
and CenterCrop → Cropping2D and Dense interpolation (TF.js's own compute
other numbers); SeparableConv1D, UpSampling1D, causal Conv1D, grouped
Conv2D, LayerScale, hard_silu, random augmentation layers; Keras
regularizer names (L1, L2) → L1L2. With --rebuild, a layer without an exact
rewrite (a stateful GRU, attention under a Masking mask, lookup layers,
tf.where, …) is an error that lists every such layer and why; the
implicit rebuild of a Keras 3 source then saves the model unrewritten and
warns.
A rebuilt model's weights are float32 (quantized sources are dequantized)
unless --quantize is given.

Keras files (tfjs-keras, no Python): SRC model.h5 converts exactly as
`tensorflowjs_converter --input_format keras` does (byte-identical output,
4 MiB shards by default); SRC model.keras is rebuilt so TensorFlow.js loads
it, or, with --like-converter, written as `--input_format keras_keras`
writes it. Weights-only .h5 / .safetensors take --topology. DST ending in
.h5, .keras or .safetensors writes a tf_keras HDF5 model, a Keras 3 archive
or safetensors weights (with the topology in its metadata).

Saves are atomic: an interrupted convert leaves any model already at DST
intact.

Examples:
  tfjs convert ./my-model ./my-model-u8 --quantize uint8
  tfjs convert ./my-model ./sharded --shard-size 4194304
  tfjs convert ./keras-converted ./node-layout
  tfjs convert ./keras3-model ./for-tfjs          # rebuilt: loads in TensorFlow.js
  tfjs convert file:///models/a memory://a
  tfjs convert model.h5 ./for-tfjs --quantize uint8   # = tensorflowjs_converter
  tfjs convert model.keras ./for-tfjs
  tfjs convert ./my-model model.keras                 # back to Keras 3";

/// Arguments of `tfjs convert`.
#[derive(Debug, clap::Args)]
#[command(about = "Re-encode (quantize) and re-shard a model into another location", long_about = LONG)]
pub struct Args {
    /// Source model: a URL or a local path.
    pub src: String,
    /// Destination: a URL or a local directory.
    pub dst: String,
    /// Store float32 weights quantized: uint8, uint16 or float16.
    #[arg(long, value_parser = parse_quant)]
    pub quantize: Option<QuantizationDType>,
    /// Write converter-style shards of at most BYTES bytes (file:// only).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub shard_size: Option<u64>,
    /// model.json byte layout for file:// destinations: node (tfjs-node),
    /// browser (downloads/HTTP) or converter (Python). Default: converter
    /// with --shard-size, node otherwise.
    #[arg(long, value_parser = parse_style)]
    pub style: Option<JsonStyle>,
    /// Load into the layers engine and save from there (TensorFlow.js-style
    /// topology); default when the source needs a topology rewrite.
    #[arg(long, conflicts_with = "no_rebuild")]
    pub rebuild: bool,
    /// Never rebuild: convert at the artifact level only.
    #[arg(long)]
    pub no_rebuild: bool,
    /// For a `.keras` SRC: write exactly what `tensorflowjs_converter
    /// --input_format keras_keras --output_format tfjs_layers_model` writes
    /// (Keras 3 topology and `layers/…/vars/i` names) instead of a
    /// TensorFlow.js-loadable rebuild.
    #[arg(long)]
    pub like_converter: bool,
    /// Topology for a weights-only SRC (`model.weights.h5`, a tf_keras
    /// weights `.h5`, a `.safetensors` without one): a model.json or a
    /// Keras 3 config.json.
    #[arg(long, value_name = "FILE")]
    pub topology: Option<std::path::PathBuf>,
}

/// A Keras-side SRC (`.h5`, `.keras`, `.safetensors`): imported by
/// `tfjs-keras`, with its notes printed. `None` for any other SRC.
fn load_keras_source(
    args: &Args,
    src: &str,
    ctx: &Ctx,
) -> anyhow::Result<Option<(tfjs_keras::FileKind, ModelArtifacts)>> {
    let Some(path) = util::file_path(src) else {
        return Ok(None);
    };
    let Some(kind) = tfjs_keras::kind_of(&path.to_string_lossy()).filter(|_| path.is_file()) else {
        return Ok(None);
    };
    let topology = match &args.topology {
        Some(t) => Some(
            serde_json::from_slice::<serde_json::Value>(&util::read_local(
                t,
                tfjs_io::file::MAX_MODEL_JSON_BYTES,
            )?)
            .with_context(|| format!("{} is not JSON", t.display()))?,
        ),
        None => None,
    };
    let bytes = util::read_local(&path, u64::MAX)?;
    let imported = tfjs_keras::import_file(kind, &bytes, topology.as_ref(), args.like_converter)
        .with_context(|| format!("cannot import {}", path.display()))?;
    if !ctx.json {
        for n in &imported.notes {
            eprintln!("note: {n}");
        }
    }
    Ok(Some((kind, imported.artifacts)))
}

/// Write `artifacts` to a Keras-side DST file (`.keras`, `.h5`,
/// `.safetensors`); false when DST is not one.
fn save_keras_destination(artifacts: &ModelArtifacts, dst: &str) -> anyhow::Result<bool> {
    let Some(path) = util::file_path(dst) else {
        return Ok(false);
    };
    let Some(kind) = tfjs_keras::kind_of(&path.to_string_lossy()) else {
        return Ok(false);
    };
    let bytes = match kind {
        tfjs_keras::FileKind::Safetensors => tfjs_keras::safetensors::export(artifacts)?,
        tfjs_keras::FileKind::Keras => tfjs_keras::export::to_keras(artifacts)?,
        tfjs_keras::FileKind::H5 => tfjs_keras::export::to_h5(artifacts)?,
    };
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}

/// Why `artifacts` cannot be loaded by TensorFlow.js 4.22 as they are, if
/// the engine can rewrite them: a Keras 3 topology or weight names. (Keras
/// `keepdims` pooling also needs a rewrite, but converter output with it is
/// otherwise exactly what the converter writes, so that stays opt-in.)
pub fn rebuild_reason(artifacts: &ModelArtifacts) -> Option<&'static str> {
    let topology = artifacts.model_topology.as_ref()?;
    let keras3 = topology
        .get("keras_version")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|v| v.split('.').next().and_then(|m| m.parse::<u32>().ok()) >= Some(3));
    let keras3_names = artifacts
        .weight_specs
        .iter()
        .any(|w| w.name.starts_with("layers/") && w.name.contains("/vars/"));
    (keras3 || keras3_names).then_some("a Keras 3 topology")
}

fn load_for_rebuild(artifacts: &ModelArtifacts) -> anyhow::Result<tfjs_layers::Model> {
    tfjs_layers::Model::from_artifacts(artifacts, &tfjs_layers::LoadOptions::default())
        .context("cannot load the model into the layers engine to rebuild it")
}

/// How a rebuild for TensorFlow.js treats layers TF.js 4.22 lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// Rewrite them ([`tfjs_layers::rewrite`]); fail, listing every layer
    /// without an exact rewrite, when some cannot be (`--rebuild`).
    Required,
    /// Rewrite them when every one can be; otherwise save the plain rebuild
    /// and warn (the implicit rebuild of Keras 3 sources).
    IfPossible,
}

/// [`rebuild`], then every layer TensorFlow.js 4.22 lacks rewritten into
/// layers it has. Returns the artifacts and a line per rewritten layer (or
/// the warning of an [`Rewrite::IfPossible`] rebuild that kept them).
pub fn rebuild_for_tfjs(
    artifacts: &ModelArtifacts,
    mode: Rewrite,
) -> anyhow::Result<(ModelArtifacts, Vec<String>)> {
    let model = load_for_rebuild(artifacts)?;
    match tfjs_layers::rewrite::rewrite_for_tfjs(&model) {
        Ok(r) => Ok((r.artifacts, r.notes)),
        Err(e) if mode == Rewrite::IfPossible => Ok((
            model.to_artifacts()?,
            vec![format!(
                "warning: saved without rewriting, so TensorFlow.js 4.22 will not load it ({e}); \
                 --rebuild makes this an error"
            )],
        )),
        Err(e) => Err(anyhow::Error::new(e).context("--rebuild")),
    }
}

fn parse_quant(s: &str) -> Result<QuantizationDType, String> {
    s.parse()
}

fn parse_style(s: &str) -> Result<JsonStyle, String> {
    match s {
        "node" => Ok(JsonStyle::Node),
        "browser" => Ok(JsonStyle::Browser),
        "converter" => Ok(JsonStyle::Converter),
        other => Err(format!(
            "unknown style {other:?}: expected node, browser or converter"
        )),
    }
}

fn progress(total: u64) -> ProgressBar {
    if total < 16 * 1024 * 1024 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

/// Quantize every float32 weight of `artifacts` to `q` through the one
/// library path ([`quantize::requantize_artifacts_with`], whose docs say
/// what re-quantizing an already-quantized weight means); returns the
/// number of weights stored quantized to `q`.
pub fn quantize_artifacts(
    artifacts: &mut ModelArtifacts,
    q: QuantizationDType,
    pb: &ProgressBar,
) -> anyhow::Result<usize> {
    pb.set_message("quantizing");
    *artifacts = quantize::requantize_artifacts_with(artifacts, |spec| {
        pb.inc(codec::stored_byte_len(spec).ok().flatten().unwrap_or(0));
        Some(q)
    })?;
    Ok(artifacts
        .weight_specs
        .iter()
        .filter(|s| s.quantization.as_ref().is_some_and(|x| x.dtype == q))
        .count())
}

/// Run `tfjs convert`.
pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let src = util::to_url(&args.src);
    let dst = util::to_url(&args.dst);
    let dst_path = util::file_path(&dst);
    if dst_path.is_none() && (args.shard_size.is_some() || args.style.is_some()) {
        bail!("--shard-size and --style only apply to file:// destinations, not {dst}");
    }
    let (keras_kind, mut artifacts) = match load_keras_source(&args, &src, ctx)? {
        Some((kind, a)) => (Some(kind), a),
        None => (None, util::load(ctx, &src).await?),
    };
    // .h5 / .keras destinations need the engine's Keras-2-form topology;
    // .safetensors keeps the weights as they are.
    let keras_dst = util::file_path(&dst).is_some_and(|p| {
        matches!(
            tfjs_keras::kind_of(&p.to_string_lossy()),
            Some(tfjs_keras::FileKind::H5 | tfjs_keras::FileKind::Keras)
        )
    });
    // A Keras .h5 converts exactly as the converter does (no rewrite); a
    // .keras is rebuilt so TensorFlow.js loads it, unless --like-converter.
    // Keras-side destinations need the engine's TensorFlow.js-style topology.
    let reason = match (args.rebuild, args.no_rebuild || args.like_converter) {
        (true, _) => Some("--rebuild"),
        _ if keras_dst && args.topology.is_none() => Some("a Keras destination"),
        (false, true) => None,
        (false, false) => match keras_kind {
            Some(tfjs_keras::FileKind::H5) => None,
            Some(tfjs_keras::FileKind::Keras) => Some("a Keras 3 .keras file"),
            _ => rebuild_reason(&artifacts),
        },
    };
    if let Some(reason) = reason {
        let notes = if keras_dst {
            // Keras runs every layer the engine does; only activations it
            // lacks, or reads otherwise (`hard_sigmoid`), are rewritten.
            let target = match dst_path
                .as_deref()
                .and_then(|p| tfjs_keras::kind_of(&p.to_string_lossy()))
            {
                Some(tfjs_keras::FileKind::H5) => tfjs_layers::rewrite::Target::TfKeras,
                _ => tfjs_layers::rewrite::Target::Keras3,
            };
            let r = tfjs_layers::rewrite::rewrite_for(&load_for_rebuild(&artifacts)?, target)?;
            artifacts = r.artifacts;
            r.notes
                .into_iter()
                .map(|n| format!("for {}: {n}", target.name()))
                .collect()
        } else {
            let mode = if args.rebuild {
                Rewrite::Required
            } else {
                Rewrite::IfPossible
            };
            let (a, notes) = rebuild_for_tfjs(&artifacts, mode)?;
            artifacts = a;
            notes
                .into_iter()
                .map(|n| {
                    if n.starts_with("warning:") {
                        n
                    } else {
                        format!("for TensorFlow.js 4.22: {n}")
                    }
                })
                .collect::<Vec<String>>()
        };
        if !ctx.json {
            let purpose = if keras_dst {
                "in the Keras-2 form Keras reads"
            } else {
                "so TensorFlow.js can load it"
            };
            eprintln!("rebuilt through the layers engine ({reason}) {purpose}");
            for note in &notes {
                if note.starts_with("warning:") {
                    eprintln!("{note}");
                } else {
                    eprintln!("  rewritten {note}");
                }
            }
        }
    }
    if save_keras_destination(&artifacts, &dst)? {
        println!(
            "converted {src} -> {dst}: {} weights",
            artifacts.weight_specs.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    // Keras sources get the converter's layout (4 MiB shards) by default.
    let shard_size = args
        .shard_size
        .or((keras_kind.is_some() && dst_path.is_some()).then_some(4 * 1024 * 1024));
    let pb = progress(artifacts.weight_data.len() as u64);
    let quantized = match args.quantize {
        Some(q) => quantize_artifacts(&mut artifacts, q, &pb)?,
        None => 0,
    };
    pb.set_message("saving");
    let result = match dst_path {
        Some(_) => {
            let mut options = match shard_size {
                Some(s) => FileStoreOptions::sharded(
                    usize::try_from(s).context("--shard-size is too large for this machine")?,
                ),
                None => FileStoreOptions::default(),
            };
            if let Some(style) = args.style {
                options.style = style;
            }
            let url = tfjs_io::ModelUrl::parse(&dst)?;
            FileStore::with_options(options)
                .save(&url, &artifacts)
                .await
        }
        None => ctx.router.save(&dst, &artifacts).await,
    }
    .with_context(|| format!("cannot save {dst}"))?;
    pb.finish_and_clear();
    let shards = match (shard_size, dst_path.is_some()) {
        (Some(s), _) => (artifacts.weight_data.len() as u64).div_ceil(s),
        (None, true) => 1,
        (None, false) => artifacts.weight_data.buffers.len() as u64,
    };
    if ctx.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "src": src, "dst": dst,
                "weights": artifacts.weight_specs.len(),
                "weightBytes": artifacts.weight_data.len(),
                "quantized": quantized,
                "rebuilt": reason.is_some(),
                "quantization": args.quantize.map(|q| q.as_str()),
                "shards": shards,
                "warnings": result.errors,
            }))?
        );
    } else {
        for e in &result.errors {
            eprintln!("warning: {e}");
        }
        let q = match args.quantize {
            Some(q) => format!(", {quantized} weights quantized to {}", q.as_str()),
            None => String::new(),
        };
        println!(
            "converted {src} -> {dst}: {} weights, {} bytes in {shards} file(s){q}",
            artifacts.weight_specs.len(),
            util::thousands(artifacts.weight_data.len() as u64)
        );
    }
    Ok(ExitCode::SUCCESS)
}

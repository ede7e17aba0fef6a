//! `tfjs bench URL [--batch N] [--runs N]`: load time and predict latency.

use crate::cmd::predict;
use crate::machine_load;
use crate::util;
use crate::Ctx;
use anyhow::Context;
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tfjs_cli::signature::Signature;
use tfjs_layers::model::StepTime;
use tfjs_layers::{LoadOptions, Model, Tensor};

const LONG: &str = "\
Measure how long a model takes to load (fetch + decode + build) and to
predict on a batch of synthetic inputs (seeded; int32 inputs get small ids;
unknown non-batch dimensions use 16), or on the inputs of an io.json or .npy
files with --inputs (as `tfjs predict` reads them; the batch is theirs):
a detector's time depends on what it detects, so compare runtimes on the
same inputs. After warm-up runs (--warmup, at least 20 ms of them, and
until the engine has settled how it runs this batch size: whole or in
parallel slices, and how finely its kernels split, which its first 10-30
predicts at a size time both ways; at most 3 s), predict is timed --runs
times (at least 20) and the median, min and max are reported.

Before the warm-up, bench waits (at most --settle-ms) until other processes
leave the CPUs quiet (on Linux, from /proc/stat): a runtime that ran just
before may keep spinning threads for a while. It then reports the share of
the CPUs other processes used during the timed runs (`other_cpu_share`), and
warns when it was above 15%: those times are not the model's alone.

Examples:
  tfjs bench ./my-model --batch 8
  tfjs bench ./detector --inputs io.json
  tfjs --json bench ./my-model
  # {\"load_ms\":…,\"predict_ms\":{\"median\":…,\"min\":…,\"max\":…},\"batch\":8,
  #  \"settle_ms\":…,\"other_cpu_share\":…}";

/// The least time the warm-up runs take (more runs than --warmup where
/// needed).
const WARMUP_TIME: Duration = Duration::from_millis(20);
/// The most time the warm-up waits for the engine's choices to settle.
const LEARN_TIME: Duration = Duration::from_secs(3);

/// Arguments of `tfjs bench`.
#[derive(Debug, clap::Args)]
#[command(about = "Time model loading and predict (median of >= 20 runs after warm-up)", long_about = LONG)]
pub struct Args {
    /// The model: a URL (file://, memory://, …) or a local path.
    pub url: String,
    /// Batch size of the synthetic inputs.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Timed predict runs (minimum 20).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Untimed warm-up runs (at least; more until they took 20 ms: a CPU
    /// that idled runs its first millisecond or so slower).
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Before the warm-up, wait at most this long for the CPUs to be quiet
    /// (other processes using under 15% of them over 50 ms); 0: don't wait.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub settle_ms: u64,
    /// Also time each step of a layers model's execution plan (a fused
    /// Conv+BN+ReLU chain is one step) over the timed runs and print the
    /// slowest steps with their share of the total. The profiled batch
    /// goes through each step whole (each kernel still splits its own work
    /// over the threads), not as the parallel batch slices predict uses for
    /// a large batch: at batch 32 the steps add up to more than predict's
    /// time, and the high-resolution first layers weigh more than in predict.
    #[arg(long)]
    pub layers: bool,
    /// Time predict on these inputs (io.json, or .npy files in input order)
    /// instead of synthetic ones; --batch is then ignored.
    #[arg(long = "inputs", num_args = 1.., conflicts_with = "batch")]
    pub inputs: Vec<String>,
}

/// One input to synthesize: name, dimensions (`None` unknown), dtype.
type InputSpec = (String, Vec<Option<usize>>, String);

fn synthetic_inputs(specs: &[InputSpec], batch: usize) -> anyhow::Result<Vec<Tensor>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    specs
        .iter()
        .map(|(name, dims, dtype)| {
            let shape: Vec<usize> = dims
                .iter()
                .enumerate()
                .map(|(k, d)| if k == 0 { batch } else { d.unwrap_or(16) })
                .collect();
            let n = shape
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .filter(|&n| n <= 1 << 28)
                .with_context(|| {
                    format!("input `{name}` of shape {shape:?} is too large to synthesize")
                })?;
            Ok(if dtype == "int32" {
                Tensor::from_i32(shape, (0..n).map(|_| (next() % 2) as i32).collect())?
            } else {
                Tensor::from_f32(
                    shape,
                    (0..n)
                        .map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0)
                        .collect(),
                )?
            })
        })
        .collect()
}

/// A loaded model that can run on its synthetic inputs, and its load time
/// in ms since `t0` (fetch + decode + build, not input synthesis), and for
/// layers models a per-step profile of one predict.
type Runner = (
    // One predict; whether the engine is still timing two ways of running
    // this batch size (`tfjs_layers::Model::learning`).
    Box<dyn Fn() -> anyhow::Result<bool>>,
    f64,
    Option<Box<dyn Fn() -> anyhow::Result<Vec<StepTime>>>>,
);

/// What a runner is built from: the fetched model, its URL (for errors),
/// the batch size of synthetic inputs, the input files (`--inputs`; none:
/// synthetic inputs) and when loading began.
struct Fetched<'a> {
    artifacts: &'a tfjs_format::ModelArtifacts,
    url: &'a str,
    batch: usize,
    files: &'a [String],
    t0: Instant,
}

/// Graph models (`format: "graph-model"`) run `execute` with the default
/// outputs; unknown dimensions other than the batch use 16.
fn graph_runner(f: Fetched) -> anyhow::Result<Runner> {
    let model = tfjs_graph::GraphModel::from_artifacts(f.artifacts)
        .with_context(|| format!("cannot build the graph model at {}", f.url))?;
    let load_ms = f.t0.elapsed().as_secs_f64() * 1e3;
    if !f.files.is_empty() {
        let (named, _) = predict::graph_feeds(f.files, &model)?;
        let feeds: Vec<(String, tfjs_graph::Tensor)> = named
            .iter()
            .map(|(n, t)| Ok((n.clone(), tfjs_graph::Tensor::from_layers(t)?)))
            .collect::<Result<_, tfjs_graph::GraphError>>()?;
        return Ok((graph_run(model, feeds), load_ms, None));
    }
    let specs: Vec<InputSpec> = model
        .inputs()
        .iter()
        .map(|i| {
            let dims = i
                .shape
                .clone()
                .unwrap_or_default()
                .iter()
                .map(|&d| usize::try_from(d).ok())
                .collect();
            (i.name.clone(), dims, i.dtype.clone())
        })
        .collect();
    let feeds: Vec<(String, tfjs_graph::Tensor)> = specs
        .iter()
        .zip(synthetic_inputs(&specs, f.batch)?)
        .map(|(s, t)| Ok((s.0.clone(), tfjs_graph::Tensor::from_layers(&t)?)))
        .collect::<Result<_, tfjs_graph::GraphError>>()?;
    Ok((graph_run(model, feeds), load_ms, None))
}

/// `execute` with the default outputs on fixed feeds.
fn graph_run(
    model: tfjs_graph::GraphModel,
    feeds: Vec<(String, tfjs_graph::Tensor)>,
) -> Box<dyn Fn() -> anyhow::Result<bool>> {
    Box::new(move || {
        let f: Vec<(&str, tfjs_graph::Tensor)> =
            feeds.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        std::hint::black_box(model.execute(&f, &[])?);
        Ok(false)
    })
}

/// Layers models run `predict`, and can profile one predict per step.
fn layers_runner(f: Fetched) -> anyhow::Result<Runner> {
    let model = Model::from_artifacts(f.artifacts, &LoadOptions::default())
        .with_context(|| format!("cannot build the model at {}", f.url))?;
    let load_ms = f.t0.elapsed().as_secs_f64() * 1e3;
    let inputs = if f.files.is_empty() {
        let specs: Vec<InputSpec> = model
            .inputs()
            .iter()
            .map(|i| (i.name.clone(), i.batch_shape.clone(), i.dtype.clone()))
            .collect();
        synthetic_inputs(&specs, f.batch)?
    } else {
        let sig = Signature::of_model(&model, f.artifacts.model_topology.as_ref());
        predict::read_inputs(f.files, &model, &sig)?.0
    };
    let model = std::rc::Rc::new(model);
    let inputs = std::rc::Rc::new(inputs);
    let (m, x) = (model.clone(), inputs.clone());
    let batch = inputs
        .first()
        .and_then(|t| t.shape().first().copied())
        .unwrap_or(0);
    let run = move || {
        std::hint::black_box(m.predict(std::hint::black_box(&x))?);
        Ok(m.learning(batch))
    };
    let profile = move || Ok(model.profile(&inputs)?);
    Ok((Box::new(run), load_ms, Some(Box::new(profile))))
}

/// Run `tfjs bench`.
pub async fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let url = util::to_url(&a.url);
    let batch = a.batch.max(1);
    let t0 = Instant::now();
    let artifacts = util::load(ctx, &url).await?;
    let fetched = Fetched {
        artifacts: &artifacts,
        url: &url,
        batch,
        files: &a.inputs,
        t0,
    };
    let (run_once, load_ms, profile) = if tfjs_graph::is_graph_model(&artifacts) {
        graph_runner(fetched)?
    } else {
        layers_runner(fetched)?
    };
    if a.layers && profile.is_none() {
        anyhow::bail!("--layers: per-step times are for layers models; {url} is a graph model");
    }
    let (settled, quiet) = machine_load::settle(Duration::from_millis(a.settle_ms));
    if quiet == Some(false) {
        eprintln!(
            "note: other processes kept the CPUs busy for all of --settle-ms {} ms; timing anyway",
            a.settle_ms
        );
    }
    // At least --warmup runs, and at least WARMUP_TIME of them: a CPU
    // that idled (as during the wait above) runs its first millisecond or
    // so slower, which is all 5 warm-up runs of a small model.
    let warm = Instant::now();
    let mut warmed = 0;
    // And until the engine has settled how it runs this batch size (two
    // calls in a row not timing two ways; at most LEARN_TIME): its first
    // 10–30 calls at a size time each way, half of them the slower one.
    let mut settled_calls = 0;
    while warmed < a.warmup
        || warm.elapsed() < WARMUP_TIME
        || (settled_calls < 2 && warm.elapsed() < LEARN_TIME)
    {
        settled_calls = if run_once()? { 0 } else { settled_calls + 1 };
        warmed += 1;
    }
    let runs = a.runs.max(20);
    let mut times = Vec::with_capacity(runs);
    let before = machine_load::CpuSample::now();
    for _ in 0..runs {
        let t = Instant::now();
        run_once()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let other_share = before
        .zip(machine_load::CpuSample::now())
        .and_then(|(b, a)| a.other_share_since(&b));
    if let Some(share) = other_share.filter(|&s| s >= machine_load::QUIET_SHARE) {
        eprintln!(
            "warning: other processes used {:.0}% of the CPUs during the timed runs; \
             these times are not the model's alone",
            share * 100.0
        );
    }
    let settle_ms = settled.as_secs_f64() * 1e3;
    times.sort_by(f64::total_cmp);
    let median = if runs % 2 == 1 {
        times[runs / 2]
    } else {
        (times[runs / 2 - 1] + times[runs / 2]) / 2.0
    };
    let (min, max) = (times[0], times[runs - 1]);
    let steps = match (&profile, a.layers) {
        (Some(profile), true) => step_profile(profile, runs)?,
        _ => Vec::new(),
    };
    if ctx.json {
        println!(
            "{}",
            json!({"load_ms": load_ms, "predict_ms": {"median": median, "min": min, "max": max}, "batch": if a.inputs.is_empty() { json!(batch) } else { json!(null) }, "inputs": a.inputs, "runs": runs,
                   "settle_ms": settle_ms, "settled": quiet, "warmup_runs": warmed, "other_cpu_share": other_share,
                   "steps": steps.iter().map(|s| json!({"layers": s.layers, "classes": s.classes, "ms": s.ms, "share": s.share})).collect::<Vec<_>>()})
        );
    } else {
        println!("model   {url}");
        println!("load    {load_ms:.2} ms");
        let fed = if a.inputs.is_empty() {
            format!("batch {batch}")
        } else {
            format!("inputs {}", a.inputs.join(" "))
        };
        println!("predict {median:.3} ms median, {min:.3} min, {max:.3} max ({runs} runs, {fed})");
        if !steps.is_empty() {
            let mut slowest: Vec<&ProfiledStep> = steps.iter().collect();
            slowest.sort_by(|a, b| b.ms.total_cmp(&a.ms));
            println!(
                "slowest steps (mean over {runs} runs; {} steps in all):",
                steps.len()
            );
            for s in slowest.iter().take(20) {
                println!(
                    "  {:>8.3} ms {:>5.1}%  {}  ({})",
                    s.ms,
                    s.share * 100.0,
                    s.layers,
                    s.classes
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One plan step's mean time over the profiled runs and its share of their total.
struct ProfiledStep {
    layers: String,
    classes: String,
    ms: f64,
    share: f64,
}

/// Profile `runs` predicts and average each step.
fn step_profile(
    profile: &dyn Fn() -> anyhow::Result<Vec<StepTime>>,
    runs: usize,
) -> anyhow::Result<Vec<ProfiledStep>> {
    let mut steps: Vec<ProfiledStep> = Vec::new();
    for _ in 0..runs {
        for (i, t) in profile()?.into_iter().enumerate() {
            let ms = t.elapsed.as_secs_f64() * 1e3 / runs as f64;
            match steps.get_mut(i) {
                Some(s) => s.ms += ms,
                None => steps.push(ProfiledStep {
                    layers: t.layers,
                    classes: t.classes,
                    ms,
                    share: 0.0,
                }),
            }
        }
    }
    let total: f64 = steps.iter().map(|s| s.ms).sum();
    for s in &mut steps {
        s.share = if total > 0.0 { s.ms / total } else { 0.0 };
    }
    Ok(steps)
}

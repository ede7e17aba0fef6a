//! `tfjs bench URL [--batch N] [--runs N]`: load time and predict latency.

use crate::util;
use crate::Ctx;
use anyhow::Context;
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;
use tfjs_layers::{LoadOptions, Model, Tensor};

const LONG: &str = "\
Measure how long a model takes to load (fetch + decode + build) and to
predict on a batch of synthetic inputs (seeded; int32 inputs get small ids).
After warm-up runs, predict is timed --runs times (at least 20) and the
median, min and max are reported. Unknown non-batch dimensions use 16.

Examples:
  tfjs bench ./my-model --batch 8
  tfjs --json bench ./my-model
  # {\"load_ms\":…,\"predict_ms\":{\"median\":…,\"min\":…,\"max\":…},\"batch\":8}";

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
    /// Untimed warm-up runs.
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
}

fn synthetic_inputs(model: &Model, batch: usize) -> anyhow::Result<Vec<Tensor>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    model
        .inputs()
        .iter()
        .map(|i| {
            let shape: Vec<usize> = i
                .batch_shape
                .iter()
                .enumerate()
                .map(|(k, d)| if k == 0 { batch } else { d.unwrap_or(16) })
                .collect();
            let n = shape
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .filter(|&n| n <= 1 << 28)
                .with_context(|| {
                    format!(
                        "input `{}` of shape {shape:?} is too large to synthesize",
                        i.name
                    )
                })?;
            Ok(if i.dtype == "int32" {
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

/// Run `tfjs bench`.
pub async fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let url = util::to_url(&a.url);
    let batch = a.batch.max(1);
    let t0 = Instant::now();
    let artifacts = util::load(ctx, &url).await?;
    let model = Model::from_artifacts(&artifacts, &LoadOptions::default())
        .with_context(|| format!("cannot build the model at {url}"))?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let inputs = synthetic_inputs(&model, batch)?;
    for _ in 0..a.warmup {
        model.predict(&inputs)?;
    }
    let runs = a.runs.max(20);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(model.predict(std::hint::black_box(&inputs))?);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let median = if runs % 2 == 1 {
        times[runs / 2]
    } else {
        (times[runs / 2 - 1] + times[runs / 2]) / 2.0
    };
    let (min, max) = (times[0], times[runs - 1]);
    if ctx.json {
        println!(
            "{}",
            json!({"load_ms": load_ms, "predict_ms": {"median": median, "min": min, "max": max}, "batch": batch, "runs": runs})
        );
    } else {
        println!("model   {url}");
        println!("load    {load_ms:.2} ms");
        println!("predict {median:.3} ms median, {min:.3} min, {max:.3} max ({runs} runs, batch {batch})");
    }
    Ok(ExitCode::SUCCESS)
}

//! `tfjs verify URL`: every problem, or a one-line summary.

use crate::util;
use crate::Ctx;
use serde_json::json;
use std::process::ExitCode;
use tfjs_io::verify::{verify_artifacts, verify_file, Report};

const LONG: &str = "\
Check a model and report EVERY problem found, not just the first: missing
weight files, shards whose length differs from what the manifest needs, HTML
or JSON bodies where weights should be, unknown dtypes or quantization,
unsafe weight paths, duplicate weight names, manifest entries whose layer the
topology does not have, and weights that do not decode.

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

/// Run `tfjs verify`.
pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let url = util::to_url(&args.url);
    let report: Report = match util::file_path(&url) {
        Some(path) => tokio::task::spawn_blocking(move || verify_file(&path)).await?,
        None => {
            let artifacts = util::load(ctx, &url).await?;
            verify_artifacts(&artifacts, &url)
        }
    };
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
                "weights": report.weights,
                "shards": report.shards,
                "bytes": report.bytes,
                "layers": report.layers,
                "problems": problems,
            }))?
        );
    } else if report.ok() {
        println!(
            "OK {url}: {} weights in {} shard(s), {} bytes, {} layers",
            report.weights,
            report.shards,
            util::thousands(report.bytes),
            report.layers
        );
    } else {
        for p in &report.problems {
            println!("{p}");
        }
        eprintln!("{} problem(s) found in {url}", report.problems.len());
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

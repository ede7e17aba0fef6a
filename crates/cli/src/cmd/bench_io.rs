//! `tfjs bench-io` (hidden): file:// save/load throughput and peak memory.

use crate::Ctx;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
use tfjs_io::file::{load_path, save_path, FileStoreOptions};

/// Arguments of `tfjs bench-io`.
#[derive(Debug, clap::Args)]
#[command(about = "Measure file:// save and load throughput and peak memory")]
pub struct Args {
    /// Weight megabytes (MiB) of the generated float32 model.
    #[arg(long, default_value_t = 256)]
    pub mb: usize,
    /// Directory to write into (default: a temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Internal: load the model at this path and report (child process).
    #[arg(long, hide = true)]
    pub child_load: Option<PathBuf>,
}

fn status_kb(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn generate(mb: usize) -> ModelArtifacts {
    const PER: usize = 1 << 20; // floats per weight: 4 MiB
    let n = (mb * (1 << 20)).div_ceil(PER * 4).max(1);
    let mut layers = vec![];
    let mut specs = vec![];
    let mut data = Vec::with_capacity(n * PER * 4);
    for i in 0..n {
        let name = format!("dense_{i}");
        layers.push(json!({"class_name": "Dense", "config": {"name": name, "units": 1024}}));
        specs.push(WeightSpec::new(
            format!("{name}/kernel"),
            vec![1024, 1024],
            DType::Float32,
        ));
        let mut x = i as u32 * 2654435761;
        for _ in 0..PER {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            data.extend_from_slice(&((x as f32) * 1e-9).to_le_bytes());
        }
    }
    ModelArtifacts {
        model_topology: Some(
            json!({"class_name": "Sequential", "config": {"name": "bench", "layers": layers}}),
        ),
        weight_specs: specs,
        weight_data: WeightData::from_vec(data),
        format: Some("layers-model".into()),
        generated_by: Some("tfjs bench-io".into()),
        converted_by: Some(Value::Null),
        ..Default::default()
    }
}

fn child(path: &Path) -> anyhow::Result<ExitCode> {
    let base_rss = status_kb("VmRSS:").unwrap_or(0);
    let t0 = Instant::now();
    let a = load_path(path)?;
    let load_s = t0.elapsed().as_secs_f64();
    // Read every byte, as a consumer decoding the weights would.
    let mut sum = 0u64;
    for b in &a.weight_data.buffers {
        for c in b.chunks_exact(8) {
            sum = sum.wrapping_add(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
    }
    let read_s = t0.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "bytes": a.weight_data.len(),
            "load_s": load_s,
            "load_and_read_s": read_s,
            "checksum": sum,
            "base_rss_kb": base_rss,
            "peak_rss_kb": status_kb("VmHWM:"),
        })
    );
    Ok(ExitCode::SUCCESS)
}

/// Run `tfjs bench-io`.
pub async fn run(args: Args, _ctx: &Ctx) -> anyhow::Result<ExitCode> {
    if let Some(p) = &args.child_load {
        return child(p);
    }
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile_dir()?;
            tmp.clone()
        }
    };
    let model_dir = dir.join("bench-model");
    let artifacts = generate(args.mb);
    let bytes = artifacts.weight_data.len() as f64;
    let mb = bytes / 1e6;
    let mut report = serde_json::Map::new();
    report.insert("weight_bytes".into(), json!(artifacts.weight_data.len()));
    for (label, sync) in [("save_fsync", true), ("save_nosync", false)] {
        let options = FileStoreOptions {
            sync,
            ..Default::default()
        };
        let t = Instant::now();
        save_path(&model_dir, &artifacts, &options)?;
        let s = t.elapsed().as_secs_f64();
        report.insert(format!("{label}_s"), json!(s));
        report.insert(format!("{label}_MBps"), json!(mb / s));
    }
    drop(artifacts);
    let exe = std::env::current_exe().context("cannot find the tfjs executable")?;
    let mut runs = vec![];
    for _ in 0..3 {
        let out = std::process::Command::new(&exe)
            .arg("bench-io")
            .arg("--child-load")
            .arg(&model_dir)
            .output()?;
        if !out.status.success() {
            bail!(
                "child load failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let v: Value = serde_json::from_slice(&out.stdout)?;
        runs.push(v);
    }
    // Best of three (page cache warm after the first).
    let best = runs
        .iter()
        .min_by(|a, b| {
            a["load_and_read_s"]
                .as_f64()
                .partial_cmp(&b["load_and_read_s"].as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .cloned()
        .unwrap_or(Value::Null);
    let load_s = best["load_s"].as_f64().unwrap_or(f64::NAN);
    let read_s = best["load_and_read_s"].as_f64().unwrap_or(f64::NAN);
    let peak = best["peak_rss_kb"].as_f64().unwrap_or(f64::NAN) * 1024.0;
    report.insert("load_s".into(), json!(load_s));
    report.insert("load_MBps".into(), json!(mb / load_s));
    report.insert("load_and_read_s".into(), json!(read_s));
    report.insert("load_and_read_MBps".into(), json!(mb / read_s));
    report.insert("child_peak_rss_bytes".into(), json!(peak));
    report.insert("peak_rss_over_weight_bytes".into(), json!(peak / bytes));
    report.insert("runs".into(), Value::Array(runs));
    println!("{}", serde_json::to_string_pretty(&Value::Object(report))?);
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(ExitCode::SUCCESS)
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("tfjs-bench-io-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

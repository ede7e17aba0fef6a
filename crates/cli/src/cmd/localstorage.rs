//! `tfjs export-localstorage URL` / `tfjs import-localstorage FILE`: a
//! localStorage model as the browser's key → value JSON.

use crate::Ctx;
use anyhow::{bail, Context};
use std::process::ExitCode;
use tfjs_store::{LocalStorageStore, ProfileOptions};

const EXPORT_LONG: &str = "\
Print a localstorage:// model as a JSON object of localStorage key -> value,
exactly the keys and values TensorFlow.js stores in a browser
(tensorflowjs_models/PATH/info, model_topology, weight_specs, weight_data,
model_metadata). Paste it into a browser console with

  Object.entries(OBJ).forEach(([k, v]) => localStorage.setItem(k, v))

and tf.loadLayersModel('localstorage://PATH') loads it.

Examples:
  tfjs export-localstorage localstorage://my-model > my-model.ls.json
  tfjs export-localstorage my-model -o my-model.ls.json";

const IMPORT_LONG: &str = "\
Import localStorage keys and values (a JSON object of key -> string, e.g.
from export-localstorage or JSON.stringify({...localStorage}) in a browser)
into the profile's localstorage://. Keys other than tensorflowjs_models/...
are refused; every model is checked as a load would check it, then all are
written in one transaction (within the quota), replacing models at the same
paths.

Examples:
  tfjs import-localstorage my-model.ls.json";

/// Arguments of `tfjs export-localstorage`.
#[derive(Debug, clap::Args)]
#[command(about = "Print a localstorage:// model as browser localStorage key/value JSON", long_about = EXPORT_LONG)]
pub struct ExportArgs {
    /// `localstorage://PATH` (or just PATH).
    pub url: String,
    /// Write to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<String>,
}

/// Arguments of `tfjs import-localstorage`.
#[derive(Debug, clap::Args)]
#[command(about = "Import browser localStorage key/value JSON into localstorage://", long_about = IMPORT_LONG)]
pub struct ImportArgs {
    /// JSON file (`-` for stdin).
    pub file: String,
}

fn store() -> anyhow::Result<LocalStorageStore> {
    Ok(LocalStorageStore::new(ProfileOptions::new().open_lazy()?))
}

/// Run `tfjs export-localstorage`.
pub async fn export(a: ExportArgs, _ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let path = match a.url.split_once("://") {
        Some(("localstorage", p)) => p.to_string(),
        Some((s, _)) => bail!("export-localstorage exports localstorage:// models, not {s}:// (copy it there first: tfjs cp {} localstorage://NAME)", a.url),
        None => a.url.clone(),
    };
    let s = store()?;
    let json = tokio::task::spawn_blocking(move || s.export_json(&path)).await??;
    match a.output {
        Some(f) => std::fs::write(&f, json + "\n").with_context(|| format!("cannot write {f}"))?,
        None => println!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Run `tfjs import-localstorage`.
pub async fn import(a: ImportArgs, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let text = if a.file == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read stdin")?
    } else {
        std::fs::read_to_string(&a.file).with_context(|| format!("cannot read {}", a.file))?
    };
    let s = store()?;
    let source = a.file.clone();
    let paths = tokio::task::spawn_blocking(move || s.import_json(&text, &source)).await??;
    if ctx.json {
        let urls: Vec<String> = paths
            .iter()
            .map(|p| format!("localstorage://{p}"))
            .collect();
        println!("{}", serde_json::to_string_pretty(&urls)?);
    } else {
        for p in paths {
            println!("imported localstorage://{}", crate::util::printable(&p));
        }
    }
    Ok(ExitCode::SUCCESS)
}

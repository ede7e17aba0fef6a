//! `tfjs ls [SCHEME://[PREFIX]]`: list stored models (`tf.io.listModels`).

use crate::Ctx;
use serde_json::{Map, Value};
use std::process::ExitCode;
use tfjs_io::management::list_models;
use tfjs_io::ModelArtifactsInfo;

const LONG: &str = "\
List stored models with their date saved and sizes, like tf.io.listModels().

Without an argument: the models in localstorage:// and indexeddb:// of the
profile (--profile DIR, else $TFJS_HOME, else $XDG_DATA_HOME/tfjs-rs, else
~/.local/share/tfjs-rs). With a scheme (`localstorage`, `indexeddb://`) or a
URL prefix: the models there, e.g. every model directory below
file://./models.

Examples:
  tfjs ls
  tfjs ls indexeddb://
  tfjs ls localstorage://nested/
  tfjs ls file://./models
  tfjs --json ls | jq 'keys'

The versions `tfjs serve` keeps in its default store (indexeddb://tfjs-serve/…)
are hidden from the default listing; --all shows them (so does
`tfjs ls indexeddb://tfjs-serve/`). Control characters in model paths are
printed escaped (\\u{1b}), never raw.";

/// Where `tfjs serve` keeps versions by default (`cmd/serve.rs`).
pub const SERVE_STORE_PREFIX: &str = "indexeddb://tfjs-serve/";

/// Arguments of `tfjs ls`.
#[derive(Debug, clap::Args)]
#[command(about = "List stored models (localstorage://, indexeddb://, file:// dirs, …)", long_about = LONG)]
pub struct Args {
    /// A scheme (`localstorage`, `indexeddb://`) or URL prefix; default:
    /// localstorage:// and indexeddb://.
    pub url: Option<String>,
    /// Also list the models of `tfjs serve`'s internal store.
    #[arg(long)]
    pub all: bool,
}

/// The listing as a text table.
pub fn table(models: &[(String, ModelArtifactsInfo)]) -> String {
    let head = ["MODEL", "DATE SAVED", "TOPOLOGY", "SPECS", "WEIGHTS"];
    let rows: Vec<[String; 5]> = models
        .iter()
        .map(|(url, i)| {
            [
                crate::util::printable(url).into_owned(),
                crate::util::printable(&i.date_saved).into_owned(),
                i.model_topology_bytes.to_string(),
                i.weight_specs_bytes.to_string(),
                i.weight_data_bytes.to_string(),
            ]
        })
        .collect();
    let mut w = head.map(str::len);
    for r in &rows {
        for (k, c) in r.iter().enumerate() {
            w[k] = w[k].max(c.chars().count());
        }
    }
    let line = |c: [&str; 5]| {
        format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}\n",
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
            w4 = w[4]
        )
    };
    let mut out = line(head);
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    out
}

/// Run `tfjs ls`.
pub async fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let mut models = list_models(&ctx.router, a.url.as_deref()).await?;
    let before = models.len();
    if a.url.is_none() && !a.all {
        models.retain(|(u, _)| !u.starts_with(SERVE_STORE_PREFIX));
    }
    let hidden = before - models.len();
    if ctx.json {
        let map: Map<String, Value> = models
            .iter()
            .map(|(u, i)| (u.clone(), i.to_json_value()))
            .collect();
        println!("{}", serde_json::to_string_pretty(&Value::Object(map))?);
    } else if models.is_empty() {
        println!("no models");
    } else {
        print!("{}", table(&models));
    }
    if hidden > 0 && !ctx.json {
        eprintln!(
            "({hidden} version(s) of the `tfjs serve` store {SERVE_STORE_PREFIX} not shown; --all shows them)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

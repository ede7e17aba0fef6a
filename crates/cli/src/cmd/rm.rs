//! `tfjs rm URL`: delete a stored model (`tf.io.removeModel`).

use crate::util::to_url;
use crate::Ctx;
use std::process::ExitCode;
use tfjs_io::management::remove_model;

const LONG: &str = "\
Delete a stored model and print what it was. localstorage:// and
indexeddb:// delete all of the model's records in one transaction; file://
deletes model.json first, then the weight files it references.

Examples:
  tfjs rm localstorage://my-model
  tfjs --json rm indexeddb://old";

/// Arguments of `tfjs rm`.
#[derive(Debug, clap::Args)]
#[command(about = "Delete a stored model", long_about = LONG)]
pub struct Args {
    /// The model URL (or local path).
    pub url: String,
}

/// Run `tfjs rm`.
pub async fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let url = to_url(&a.url);
    let info = remove_model(&ctx.router, &url).await?;
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&info.to_json_value())?);
    } else {
        println!(
            "removed {} (saved {}, {} weight bytes)",
            crate::util::printable(&url),
            info.date_saved,
            info.weight_data_bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}

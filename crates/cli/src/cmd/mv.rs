//! `tfjs mv SRC DST`: move a model without ever losing it (`tf.io.moveModel`, fixed).

use crate::util::to_url;
use crate::Ctx;
use serde_json::json;
use std::process::ExitCode;
use tfjs_io::management::move_model;

const LONG: &str = "\
Move a model from SRC to DST, across any two schemes. Unlike TensorFlow.js
(which deletes the source first), the model is saved at DST, loaded back and
checked (weight bytes and SHA-256, weight specs, topology, metadata) before
SRC is removed; any failure leaves SRC as it was. A model already at DST is
kept (exit 2) unless --force is given; then it is replaced and the output
says so. Plain paths mean file://.

Examples:
  tfjs mv indexeddb://old localstorage://new
  tfjs mv localstorage://my-model ./exported";

/// Arguments of `tfjs mv`.
#[derive(Debug, clap::Args)]
#[command(about = "Move a model (saved, verified, then the source removed)", long_about = LONG)]
pub struct Args {
    /// Source model URL (or local path).
    pub src: String,
    /// Destination URL (or local path).
    pub dst: String,
    /// Replace a model already at DST (refused without it).
    #[arg(long, short = 'f')]
    pub force: bool,
}

/// Run `tfjs mv`.
pub async fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let (src, dst) = (to_url(&a.src), to_url(&a.dst));
    // SRC == DST is refused by the library with TensorFlow.js's message.
    let replaced = src != dst && crate::util::check_destination(ctx, &dst, a.force).await?;
    let info = crate::util::with_progress(
        format!("moving {src} -> {dst}"),
        move_model(&ctx.router, &src, &dst),
    )
    .await?;
    if ctx.json {
        let out = json!({"src": src, "dst": dst, "replaced": replaced, "modelArtifactsInfo": super::ls::info_json(&info)});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "moved {} -> {}{} ({} weight bytes, verified)",
            crate::util::printable(&src),
            crate::util::printable(&dst),
            if replaced {
                " (replaced the model there)"
            } else {
                ""
            },
            info.weight_data_bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}

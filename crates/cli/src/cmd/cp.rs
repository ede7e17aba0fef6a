//! `tfjs cp SRC DST`: copy a model between any two schemes (`tf.io.copyModel`).

use crate::util::to_url;
use crate::Ctx;
use serde_json::json;
use std::process::ExitCode;
use tfjs_io::management::copy_model;

const LONG: &str = "\
Copy a model from SRC to DST, across any two schemes (localstorage://,
indexeddb://, downloads://, file://, http(s)://, …). The destination is
written atomically; the source is not touched. A model already at DST is
kept (exit 2) unless --force is given; then it is replaced and the output
says so. Plain paths mean file://.

Examples:
  tfjs cp localstorage://my-model file://./my-model
  tfjs cp ./my-model indexeddb://my-model
  tfjs cp indexeddb://my-model downloads://my-model";

/// Arguments of `tfjs cp`.
#[derive(Debug, clap::Args)]
#[command(about = "Copy a model between any two schemes", long_about = LONG)]
pub struct Args {
    /// Source model URL (or local path).
    pub src: String,
    /// Destination URL (or local path).
    pub dst: String,
    /// Replace a model already at DST (refused without it).
    #[arg(long, short = 'f')]
    pub force: bool,
}

/// Run `tfjs cp`.
pub async fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let (src, dst) = (to_url(&a.src), to_url(&a.dst));
    // SRC == DST is refused by the library with TensorFlow.js's message.
    let replaced = src != dst && crate::util::check_destination(ctx, &dst, a.force).await?;
    let info = crate::util::with_progress(
        format!("copying {src} -> {dst}"),
        copy_model(&ctx.router, &src, &dst),
    )
    .await?;
    if ctx.json {
        let out = json!({"src": src, "dst": dst, "replaced": replaced, "modelArtifactsInfo": super::ls::info_json(&info)});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "copied {} -> {}{} ({} weight bytes, saved {})",
            crate::util::printable(&src),
            crate::util::printable(&dst),
            if replaced {
                " (replaced the model there)"
            } else {
                ""
            },
            info.weight_data_bytes,
            info.date_saved
        );
    }
    Ok(ExitCode::SUCCESS)
}

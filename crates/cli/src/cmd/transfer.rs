//! `tfjs cp SRC DST` (`tf.io.copyModel`) and `tfjs mv SRC DST`
//! (`tf.io.moveModel`, fixed to never lose the model): one model from SRC
//! to DST, the same arguments, checks and report.

use crate::util::to_url;
use crate::Ctx;
use serde_json::json;
use std::process::ExitCode;
use tfjs_io::management::{copy_model, move_model};

const CP_LONG: &str = "\
Copy a model from SRC to DST, across any two schemes (localstorage://,
indexeddb://, downloads://, file://, http(s)://, …). The destination is
written atomically; the source is not touched. A model already at DST is
kept (exit 2) unless --force is given; then it is replaced and the output
says so. Plain paths mean file://.

Examples:
  tfjs cp localstorage://my-model file://./my-model
  tfjs cp ./my-model indexeddb://my-model
  tfjs cp indexeddb://my-model downloads://my-model";

const MV_LONG: &str = "\
Move a model from SRC to DST, across any two schemes. Unlike TensorFlow.js
(which deletes the source first), the model is saved at DST, loaded back and
checked (weight bytes and SHA-256, weight specs, topology, metadata) before
SRC is removed; any failure leaves SRC as it was. A model already at DST is
kept (exit 2) unless --force is given; then it is replaced and the output
says so. Plain paths mean file://.

Examples:
  tfjs mv indexeddb://old localstorage://new
  tfjs mv localstorage://my-model ./exported";

/// What `tfjs cp` and `tfjs mv` take.
#[derive(Debug, clap::Args)]
pub struct Endpoints {
    /// Source model URL (or local path).
    pub src: String,
    /// Destination URL (or local path).
    pub dst: String,
    /// Replace a model already at DST (refused without it).
    #[arg(long, short = 'f')]
    pub force: bool,
}

/// Arguments of `tfjs cp`.
#[derive(Debug, clap::Args)]
#[command(about = "Copy a model between any two schemes", long_about = CP_LONG)]
pub struct CpArgs {
    #[command(flatten)]
    pub endpoints: Endpoints,
}

/// Arguments of `tfjs mv`.
#[derive(Debug, clap::Args)]
#[command(about = "Move a model (saved, verified, then the source removed)", long_about = MV_LONG)]
pub struct MvArgs {
    #[command(flatten)]
    pub endpoints: Endpoints,
}

/// Which of the two commands runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// `tfjs cp`: the source stays.
    Copy,
    /// `tfjs mv`: the source is removed once DST is verified.
    Move,
}

/// Run `tfjs cp` or `tfjs mv`.
pub async fn run(kind: Transfer, a: Endpoints, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let (src, dst) = (to_url(&a.src), to_url(&a.dst));
    // SRC == DST is refused by the library with TensorFlow.js's message.
    let replaced = src != dst && crate::util::check_destination(ctx, &dst, a.force).await?;
    let (doing, done) = match kind {
        Transfer::Copy => ("copying", "copied"),
        Transfer::Move => ("moving", "moved"),
    };
    let info = crate::util::with_progress(format!("{doing} {src} -> {dst}"), async {
        match kind {
            Transfer::Copy => copy_model(&ctx.router, &src, &dst).await,
            Transfer::Move => move_model(&ctx.router, &src, &dst).await,
        }
    })
    .await?;
    if ctx.json {
        let out = json!({"src": src, "dst": dst, "replaced": replaced, "modelArtifactsInfo": info.to_json_value()});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let outcome = match kind {
            Transfer::Copy => format!("saved {}", info.date_saved),
            Transfer::Move => "verified".to_string(),
        };
        println!(
            "{done} {} -> {}{} ({} weight bytes, {outcome})",
            crate::util::printable(&src),
            crate::util::printable(&dst),
            if replaced {
                " (replaced the model there)"
            } else {
                ""
            },
            info.weight_data_bytes,
        );
    }
    Ok(ExitCode::SUCCESS)
}

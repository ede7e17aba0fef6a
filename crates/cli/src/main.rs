//! `tfjs`: inspect, verify, convert and serve TensorFlow.js layers models.
//!
//! Every subcommand lives in `src/cmd/<name>.rs` and adds one variant to
//! [`Command`] plus one arm in [`run`]. Errors print as `error: …` and exit
//! with status 2; status 1 is reserved for checks that ran and found
//! problems (`verify`).

mod cmd;
mod machine_load;
mod router;
mod util;
mod warnings;

use clap::{Parser, Subcommand};
use cmd::transfer::Transfer;

/// With THP set to `always` (common on Linux), the allocator's large
/// regions are backed by 2 MiB pages that the kernel must zero on first
/// touch: up to 40% of a cold model load in profiles. 4 KiB pages are
/// zeroed only where used. Best effort: the call fails harmlessly elsewhere.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and only
    // changes this process's memory policy.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

// Loading a model builds many small JSON values and layer structs; glibc's
// malloc was the largest single cost of `Model::from_artifacts` in profiles.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

const LONG_ABOUT: &str = "\
Load, run, inspect, convert, store and serve TensorFlow.js layers models
(model.json + weight shards) wherever they are stored.

Models are named by URL: file:// (a model directory, its model.json, or a
downloaded PREFIX.json), memory://, localstorage:// and indexeddb:// (the
embedded profile store), downloads://, http(s)://, s3://, gs:// and az://.
A plain path without `://` means a local file path.

Examples:
  tfjs info ./my-model                       # what is in it
  tfjs verify ./my-model                     # exit 1 and list every problem
  tfjs convert ./my-model ./my-model-u8 --quantize uint8
  tfjs predict ./my-model --inputs io.json --check
  tfjs predict ./my-model --image cat.jpg --preprocess mobilenet --top-k 5
  tfjs bench ./my-model --batch 32
  tfjs cp ./my-model localstorage://my-model-1
  tfjs ls
  tfjs mv localstorage://my-model-1 s3://bucket/models/my-model-1
  tfjs serve                                 # model store on http://127.0.0.1:8080
  tfjs demo                                  # the walk-through
  tfjs completions bash > ~/.local/share/bash-completion/completions/tfjs

Exit status: 0 success, 1 a check found problems, 2 error. With --json,
errors are printed on stdout as {\"error\": \"…\"} (and on stderr as text).";

/// The `tfjs` command line.
#[derive(Debug, Parser)]
#[command(name = "tfjs", version, about = "Load, run, convert, store and serve TensorFlow.js layers models", long_about = LONG_ABOUT)]
pub struct Cli {
    /// Print machine-readable JSON on stdout instead of text (commands whose
    /// output is data).
    #[arg(long, global = true)]
    pub json: bool,
    /// Profile directory of localstorage:// and indexeddb:// (default:
    /// $TFJS_HOME, else $XDG_DATA_HOME/tfjs-rs, else ~/.local/share/tfjs-rs).
    #[arg(long, global = true, value_name = "DIR")]
    pub profile: Option<std::path::PathBuf>,
    /// Follow weight files (file://) that are links pointing outside the
    /// model's directory. Refused by default, so that a model cannot make
    /// `predict`, `convert` or `cp` read and copy files from elsewhere.
    #[arg(long, global = true)]
    pub allow_external_links: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Info(cmd::info::Args),
    Verify(cmd::verify::Args),
    Convert(cmd::convert::Args),
    Serve(cmd::serve::Args),
    #[command(hide = true)]
    BenchIo(cmd::bench_io::Args),
    Predict(cmd::predict::Args),
    Bench(cmd::bench::Args),
    Ls(cmd::ls::Args),
    Cp(cmd::transfer::CpArgs),
    Mv(cmd::transfer::MvArgs),
    Rm(cmd::rm::Args),
    Demo(cmd::demo::Args),
    ExportLocalstorage(cmd::localstorage::ExportArgs),
    ImportLocalstorage(cmd::localstorage::ImportArgs),
    Layers(cmd::layers::Args),
    Completions(cmd::completions::Args),
}

/// What every subcommand gets.
pub struct Ctx {
    /// `--json` was given.
    pub json: bool,
    /// Every scheme this build supports.
    pub router: tfjs_io::Router,
    /// `--allow-external-links` was given (the router's file:// store
    /// follows such links too).
    pub allow_external_links: bool,
}

async fn run(command: Command, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    match command {
        Command::Info(a) => cmd::info::run(a, ctx).await,
        Command::Verify(a) => cmd::verify::run(a, ctx).await,
        Command::Convert(a) => cmd::convert::run(a, ctx).await,
        Command::Serve(a) => cmd::serve::run(a, ctx).await,
        Command::BenchIo(a) => cmd::bench_io::run(a, ctx).await,
        Command::Predict(a) => cmd::predict::run(a, ctx).await,
        Command::Bench(a) => cmd::bench::run(a, ctx).await,
        Command::Ls(a) => cmd::ls::run(a, ctx).await,
        Command::Cp(a) => cmd::transfer::run(Transfer::Copy, a.endpoints, ctx).await,
        Command::Mv(a) => cmd::transfer::run(Transfer::Move, a.endpoints, ctx).await,
        Command::Rm(a) => cmd::rm::run(a, ctx).await,
        Command::Demo(a) => cmd::demo::run(a, ctx).await,
        Command::ExportLocalstorage(a) => cmd::localstorage::export(a, ctx).await,
        Command::ImportLocalstorage(a) => cmd::localstorage::import(a, ctx).await,
        Command::Layers(a) => cmd::layers::run(a, ctx),
        Command::Completions(a) => cmd::completions::run(a),
    }
}

/// Rust ignores SIGPIPE, so printing to a closed pipe (`tfjs info --json m |
/// head -c1`) fails and `println!` panics. Restore the default (end quietly,
/// like any Unix filter) for every command but `serve`, whose sockets must
/// survive clients that hang up. Sockets use MSG_NOSIGNAL either way.
fn restore_default_sigpipe(command: &Command) {
    #[cfg(unix)]
    // `demo` handles a closed stdout itself, so that its temporary profile
    // is removed before it exits.
    if !matches!(command, Command::Serve(_) | Command::Demo(_)) {
        // SAFETY: resetting a signal disposition to its default is
        // async-signal-safe and done before any other thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

/// An error as `tfjs` reports it: text on stderr and, with `--json`, a JSON
/// object on stdout so scripts reading stdout always get JSON.
fn report_error(e: &anyhow::Error, json: bool) {
    let message = format!("{e:#}");
    eprintln!("error: {}", util::printable_lines(&message));
    if json {
        let causes: Vec<String> = e.chain().map(ToString::to_string).collect();
        println!(
            "{}",
            serde_json::json!({"error": message, "causes": causes, "exitCode": 2})
        );
    }
}

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors too are JSON on stdout under --json.
            if e.use_stderr() && std::env::args_os().any(|a| a == "--json") {
                let message = e.to_string();
                // "error: …\n  <URL>\n\nUsage: …": the part before the usage.
                let first = message
                    .split("\n\n")
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                println!(
                    "{}",
                    serde_json::json!({"error": first, "usage": message, "exitCode": 2})
                );
            }
            e.exit()
        }
    };
    restore_default_sigpipe(&cli.command);
    if !matches!(cli.command, Command::Serve(_)) {
        // `serve` installs its own log output.
        warnings::init();
    }
    if let Some(dir) = &cli.profile {
        // Single-threaded here (before the runtime starts): the profile
        // stores read TFJS_HOME when first used.
        std::env::set_var("TFJS_HOME", dir);
    }
    let json = cli.json;
    let ctx = Ctx {
        json,
        router: router::build_router(cli.allow_external_links),
        allow_external_links: cli.allow_external_links,
    };
    // `convert` is one load and one save: a runtime on this thread (no
    // worker threads to start and hand work to) ends sooner on a busy
    // machine; every other command keeps the multi-threaded one.
    let rt = match &cli.command {
        Command::Convert(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Runtime::new(),
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            report_error(
                &anyhow::anyhow!("cannot start the async runtime: {e}"),
                json,
            );
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli.command, &ctx)) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e, json);
            ExitCode::from(2)
        }
    }
}

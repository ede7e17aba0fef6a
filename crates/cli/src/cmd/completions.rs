//! `tfjs completions SHELL`: a shell completion script on stdout.

use clap::CommandFactory;
use std::process::ExitCode;

const LONG: &str = "\
Print a completion script for bash, zsh, fish, elvish or PowerShell.

Examples:
  tfjs completions bash > ~/.local/share/bash-completion/completions/tfjs
  tfjs completions zsh > \"${fpath[1]}/_tfjs\"
  tfjs completions fish > ~/.config/fish/completions/tfjs.fish";

/// Arguments of `tfjs completions`.
#[derive(Debug, clap::Args)]
#[command(about = "Print a shell completion script (bash, zsh, fish, …)", long_about = LONG)]
pub struct Args {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Run `tfjs completions`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "tfjs", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

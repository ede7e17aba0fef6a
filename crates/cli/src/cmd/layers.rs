//! `tfjs layers [--markdown]`: the layer classes this build can run.

use crate::Ctx;
use std::process::ExitCode;
use tfjs_layers::LayerRegistry;

const LONG: &str = "\
List the Keras / TensorFlow.js layer classes the layers engine can load and
run (the built-in LayerRegistry). A model using any other class is refused
by `predict` and reported by `verify`.

--markdown prints the README's \"Supported layers\" section (a test checks
that the README matches it).

Examples:
  tfjs layers
  tfjs layers --markdown
  tfjs --json layers | jq length";

/// Arguments of `tfjs layers`.
#[derive(Debug, clap::Args)]
#[command(about = "List the layer classes the engine supports", long_about = LONG)]
pub struct Args {
    /// Print the README section (Markdown) instead of one class per line.
    #[arg(long)]
    pub markdown: bool,
}

/// The README section between `<!-- layers:start -->` and
/// `<!-- layers:end -->`: every class, in backticks, wrapped at 80 columns,
/// then the Keras 3 operation nodes (registered as `ops.<class>`).
pub fn markdown(classes: &[&str]) -> String {
    let prefix = tfjs_layers::topology::KERAS3_OPERATION_PREFIX;
    let (ops, layers): (Vec<&str>, Vec<&str>) = classes.iter().partition(|c| c.starts_with(prefix));
    let ops: Vec<&str> = ops.iter().map(|c| &c[prefix.len()..]).collect();
    let mut out = format!(
        "{} layer classes (`tfjs layers` prints this list; models with any other class are refused):\n\n",
        layers.len()
    );
    out.push_str(&wrapped(&layers));
    out.push_str(&format!(
        "\n{} Keras 3 operation nodes (`keras.ops` called on symbolic tensors):\n\n",
        ops.len()
    ));
    out.push_str(&wrapped(&ops));
    out
}

fn wrapped(classes: &[&str]) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for (i, c) in classes.iter().enumerate() {
        let item = format!("`{c}`{}", if i + 1 < classes.len() { "," } else { "." });
        if !line.is_empty() && line.len() + 1 + item.len() > 80 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&item);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// Run `tfjs layers`.
pub fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let registry = LayerRegistry::with_builtins();
    let mut classes = registry.class_names();
    // Operations recognised only to be refused by name are not supported.
    classes.retain(|c| !tfjs_layers::layers::keras3_ops::is_refused_operation(c));
    classes.sort_unstable();
    if ctx.json {
        println!("{}", serde_json::to_string(&classes)?);
    } else if a.markdown {
        print!("{}", markdown(&classes));
    } else {
        for c in classes {
            println!("{c}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

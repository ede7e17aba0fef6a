//! Helpers shared by subcommands.

use anyhow::{anyhow, bail, Context};
use std::path::PathBuf;
use tfjs_format::{codec, ModelArtifacts, WeightData, WeightSpec};

/// A command-line model argument as a URL: anything with `://` is used as
/// is; a plain path means a local file (`./m` → `file://./m`).
pub fn to_url(arg: &str) -> String {
    if arg.contains("://") {
        arg.to_string()
    } else {
        format!("file://{arg}")
    }
}

/// The local path of a `file://` URL.
pub fn file_path(url: &str) -> Option<PathBuf> {
    url.strip_prefix("file://")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// The bar [`with_progress`] shows, so that a loader reporting bytes
/// ([`report_download`]) turns the spinner into a byte count.
static CURRENT_BAR: std::sync::Mutex<Option<(indicatif::ProgressBar, String)>> =
    std::sync::Mutex::new(None);

/// Run `work` with a spinner on stderr showing `message` and the elapsed
/// time, when stderr is a terminal (indicatif draws nothing otherwise), so
/// long downloads, copies and conversions visibly make progress. While an
/// `http(s)://` load reports its bytes, the spinner becomes a byte bar.
pub async fn with_progress<T>(message: String, work: impl std::future::Future<Output = T>) -> T {
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    let message = printable(&message).into_owned();
    bar.set_message(message.clone());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    if let Ok(mut current) = CURRENT_BAR.lock() {
        *current = Some((bar.clone(), message));
    }
    let out = work.await;
    if let Ok(mut current) = CURRENT_BAR.lock() {
        *current = None;
    }
    bar.finish_and_clear();
    out
}

/// The `http(s)://` loader's progress callback: bytes of weights received
/// against the manifest's total (shards when the total is unknown), drawn on
/// the bar of the running [`with_progress`], if any.
pub fn report_download(p: tfjs_http::Progress) {
    let Ok(current) = CURRENT_BAR.lock() else {
        return;
    };
    let Some((bar, message)) = current.as_ref() else {
        return;
    };
    match p.total_bytes {
        Some(total) if total > 0 => {
            if bar.length() != Some(total) {
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ({eta})",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_length(total);
            }
            bar.set_position(p.loaded_bytes.min(total));
        }
        _ => bar.set_message(format!(
            "{message}: {}/{} shards",
            p.completed_shards, p.total_shards
        )),
    }
}

/// Read a local file given on the command line (inputs, images, Keras
/// files): a regular file only (a FIFO would block forever) of at most
/// `max` bytes, errors naming it.
pub fn read_local(path: impl AsRef<std::path::Path>, max: u64) -> anyhow::Result<Vec<u8>> {
    let path = path.as_ref();
    tfjs_io::file::read_regular_file(path, "file", max)
        .with_context(|| format!("cannot read {}", printable(&path.display().to_string())))
}

/// The most bytes `--inputs` (io.json, .npy) and `--image` files may hold.
pub const MAX_INPUT_FILE_BYTES: u64 = 2 << 30;

/// Load the model at `url` through the router (with a spinner on a TTY). A
/// local Keras file (`.h5`, `.keras`, `.safetensors` with its topology) is
/// imported as `tfjs convert` imports it, so `predict`, `info`, `verify` and
/// `bench` take Keras files directly.
pub async fn load(ctx: &crate::Ctx, url: &str) -> anyhow::Result<ModelArtifacts> {
    if let Some(path) = file_path(url).filter(|p| p.is_file()) {
        if let Some(kind) = tfjs_keras::kind_of(&path.to_string_lossy()) {
            let bytes = read_local(&path, u64::MAX)?;
            let imported =
                tfjs_keras::import_file(kind, &bytes, None, false).with_context(|| {
                    format!("cannot import {}", printable(&path.display().to_string()))
                })?;
            if !ctx.json {
                for n in &imported.notes {
                    eprintln!("note: {n}");
                }
            }
            return Ok(imported.artifacts);
        }
    }
    with_progress(format!("loading {url}"), ctx.router.load(url))
        .await
        .with_context(|| format!("cannot load {url}"))
}

/// Byte range `(offset, len)` of every weight in the stream, `string`
/// weights included (their length prefixes are walked). Fails when the
/// stream is too short.
pub fn weight_extents(
    specs: &[WeightSpec],
    data: &WeightData,
) -> anyhow::Result<Vec<(usize, usize)>> {
    let total = data.len();
    let mut out = Vec::with_capacity(specs.len());
    let mut off = 0usize;
    for spec in specs {
        let len = match codec::stored_byte_len(spec)? {
            Some(n) => {
                usize::try_from(n).map_err(|_| anyhow!("weight `{}` is too large", spec.name))?
            }
            None => {
                let n = spec
                    .num_elements()
                    .ok_or_else(|| anyhow!("weight `{}`: shape overflows", spec.name))?;
                if n.saturating_mul(4) > total.saturating_sub(off) {
                    bail!(
                        "weight `{}`: {n} strings need at least {} bytes, only {} remain",
                        spec.name,
                        n.saturating_mul(4),
                        total.saturating_sub(off)
                    );
                }
                let mut pos = off;
                for _ in 0..n {
                    let mut b = [0u8; 4];
                    if !data.read_at(pos, &mut b) {
                        bail!(
                            "weight `{}`: string length prefix at byte {pos} is past the end",
                            spec.name
                        );
                    }
                    pos = pos
                        .checked_add(4 + u32::from_le_bytes(b) as usize)
                        .ok_or_else(|| {
                            anyhow!("weight `{}`: string lengths overflow", spec.name)
                        })?;
                }
                pos - off
            }
        };
        let end = off
            .checked_add(len)
            .filter(|&e| e <= total)
            .ok_or_else(|| {
                anyhow!(
                    "weight `{}` needs bytes {off}..{} but the weight data holds {total}",
                    spec.name,
                    off as u128 + len as u128
                )
            })?;
        out.push((off, len));
        off = end;
    }
    Ok(out)
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let first = match s.len() % 3 {
        0 => 3,
        r => r,
    };
    let mut out = s[..first].to_string();
    let mut rest = &s[first..];
    while !rest.is_empty() {
        out.push(',');
        out.push_str(&rest[..3]);
        rest = &rest[3..];
    }
    out
}

/// Does `url` already hold a model? `file://`: a model JSON is there;
/// listable schemes: the listing has it; `http(s)://` saves never replace
/// (the server decides), so no. Belongs in `tfjs_io::management` as an
/// `exists` next to `list_models`.
pub async fn holds_model(ctx: &crate::Ctx, url: &str) -> bool {
    if let Some(path) = file_path(url) {
        return path.exists() && tfjs_io::file::locate_model_json(&path).is_ok();
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return false;
    }
    let want = url.trim_end_matches('/');
    match tfjs_io::management::list_models(&ctx.router, Some(url)).await {
        Ok(models) => models.iter().any(|(u, _)| u.trim_end_matches('/') == want),
        Err(_) => ctx.router.load(url).await.is_ok(),
    }
}

/// Refuse to replace a model at `dst` unless `force`; returns whether one
/// is being replaced.
pub async fn check_destination(ctx: &crate::Ctx, dst: &str, force: bool) -> anyhow::Result<bool> {
    let exists = holds_model(ctx, dst).await;
    if exists && !force {
        bail!("{dst} already holds a model; pass --force to replace it");
    }
    Ok(exists)
}

/// A name or message from an untrusted file as `tfjs` prints it: control
/// characters escaped once ([`tfjs_layers::error::printable`]).
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    tfjs_layers::error::printable(s)
}

/// A multi-line message (an error chain, a list of problems) for the
/// terminal: each line through [`printable`], the line breaks kept, so a
/// name holding `\u{1b}[31m` cannot drive the terminal.
pub fn printable_lines(s: &str) -> String {
    s.split('\n').map(printable).collect::<Vec<_>>().join("\n")
}

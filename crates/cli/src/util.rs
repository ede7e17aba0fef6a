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

/// Load the model at `url` through the router.
pub async fn load(ctx: &crate::Ctx, url: &str) -> anyhow::Result<ModelArtifacts> {
    ctx.router
        .load(url)
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

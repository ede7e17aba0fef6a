//! How much memory one predict may take: the host's available memory, a
//! cgroup limit or `ulimit -v`, and the checks that refuse a layer output
//! (or a config asking for one) that would not fit.

use super::shape_str;
use crate::{Layer, LayersError, Result, Shape, Tensor};

/// Most elements one layer output may have (2^31 f32 values, 8 GiB).
pub const MAX_OUTPUT_ELEMENTS: usize = 1 << 31;

/// Most bytes the tensors alive at once during one predict may take
/// (layer outputs not yet consumed plus the one being computed): the
/// memory this host has available when the process first predicts (Linux
/// `MemAvailable`), else 8 GiB. Sizes come from untrusted configs
/// (`RepeatVector.n`, padding, upsampling factors): a corrupt one must be
/// refused with an error naming the layer, not abort the process.
pub fn max_live_bytes() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| available_memory().unwrap_or(8 << 30))
}

/// What this process can still allocate now (host `MemAvailable`, the
/// cgroup's room, `RLIMIT_AS` room), read afresh; `None` where unknown.
/// For checks of sizes that come from untrusted data, before a large
/// allocation that would otherwise abort the process.
pub fn allocatable_bytes() -> Option<u64> {
    available_memory()
}

fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    let host = kib.checked_mul(1024)?;
    // A container's memory limit or a ulimit on address space is the
    // real bound: past it an allocation aborts the process.
    Some(
        host.min(cgroup_room().unwrap_or(u64::MAX))
            .min(address_space_room().unwrap_or(u64::MAX)),
    )
}

/// cgroup v2 `memory.max - memory.current` of this process's cgroup.
fn cgroup_room() -> Option<u64> {
    let cg = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cg.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = std::path::Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let max: u64 = read("memory.max")?.trim().parse().ok()?;
    let current: u64 = read("memory.current")?.trim().parse().ok()?;
    Some(max.saturating_sub(current))
}

/// `RLIMIT_AS` (from `/proc/self/limits`) minus the address space in use.
fn address_space_room() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    let limit: u64 = line
        .trim_start_matches("Max address space")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let vm_kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmSize:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(limit.saturating_sub(vm_kib.saturating_mul(1024)))
}

/// The most elements one sample of one layer output may hold (known
/// dimensions after the batch; 1 GiB of float32). Output sizes come from
/// untrusted configs (`RepeatVector.n`, padding, upsampling factors, pool
/// and reshape targets): a model whose layer would make more than this
/// from a single sample is refused when it is built, naming the layer,
/// so `verify` reports it and `predict` never starts allocating it.
pub const MAX_SAMPLE_ELEMENTS: usize = 1 << 28;

/// Refuse output shapes over [`MAX_SAMPLE_ELEMENTS`] per sample.
pub(crate) fn check_sample_size(shapes: &[Shape]) -> Result<()> {
    for shape in shapes {
        let n = shape
            .iter()
            .skip(1)
            .try_fold(1usize, |a, d| a.checked_mul(d.unwrap_or(1)));
        if n.is_none_or(|n| n > MAX_SAMPLE_ELEMENTS) {
            return Err(LayersError::Input {
                message: format!(
                    "its output shape {} holds {} elements per sample, over the {MAX_SAMPLE_ELEMENTS} (1 GiB of float32) a layer may produce: the config is corrupt",
                    shape_str(shape),
                    n.map_or("more than 2^64".to_string(), |n| n.to_string())
                ),
            });
        }
    }
    Ok(())
}

/// Refuse to run a layer whose outputs, as its config and the actual
/// inputs imply, would not fit: over [`MAX_OUTPUT_ELEMENTS`] per tensor,
/// or over what is left of [`max_live_bytes`] after `live` bytes.
pub(super) fn check_output_size(
    layer: &dyn Layer,
    xs: &[Tensor],
    kwargs: &serde_json::Value,
    live: u64,
    limit: u64,
) -> Result<()> {
    let shapes: Vec<Shape> = xs
        .iter()
        .map(|x| x.shape().iter().map(|&d| Some(d)).collect())
        .collect();
    // A layer whose output size cannot be computed from concrete shapes
    // (an overflowing padding, say) is refused here, naming it, before it
    // allocates anything.
    let outs = layer.node_output_shapes(&shapes, kwargs)?;
    let mut total: u64 = 0;
    for out in outs {
        let n = out
            .iter()
            .try_fold(1usize, |a, d| a.checked_mul(d.unwrap_or(1)));
        if n.is_none_or(|n| n > MAX_OUTPUT_ELEMENTS) {
            return Err(LayersError::Input {
                message: format!(
                    "the output would have shape {}, over {MAX_OUTPUT_ELEMENTS} elements: refusing to allocate it (is the config corrupt?)",
                    shape_str(&out)
                ),
            });
        }
        total = total.saturating_add(n.unwrap_or(0) as u64 * 4);
        if live.saturating_add(total) > limit {
            return Err(LayersError::Input {
                message: format!(
                    "the output would have shape {} ({:.1} GiB) while {:.1} GiB are in use, over the {:.1} GiB one predict may use: refusing to allocate it (is the config corrupt?)",
                    shape_str(&out),
                    total as f64 / (1u64 << 30) as f64,
                    live as f64 / (1u64 << 30) as f64,
                    limit as f64 / (1u64 << 30) as f64,
                ),
            });
        }
    }
    Ok(())
}

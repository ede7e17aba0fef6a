//! The hidden `.tfjs-*` names a save writes under before its commit, and
//! sweeping the ones a killed save left behind.

use super::{read_regular_file, MAX_MODEL_JSON_BYTES, STALE_TEMP_AGE, TEMP_PREFIX};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;
use tfjs_format::weight_path::WeightPath;

pub(super) fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // `p<pid>.`: lets a later save tell a dead writer's leftovers.
    format!(
        "p{:x}.{:x}{:x}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff,
        n
    )
}

/// The writer pid in a temporary name `.tfjs-p<pid hex>.<…>`, if any.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?.strip_prefix('p')?;
    u32::from_str_radix(rest.split_once('.')?.0, 16).ok()
}

/// Whether process `pid` is certainly gone (Linux `/proc`; elsewhere
/// nothing is certain and only the age rule applies).
fn process_is_gone(pid: u32) -> bool {
    pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid.to_string()).exists()
}

/// The weight paths a model JSON file references (read leniently: only
/// safe paths; nothing when the file is absent or unreadable).
pub(super) fn referenced_paths(json_path: &Path) -> Vec<String> {
    let Ok(bytes) = read_regular_file(json_path, "Model JSON file", MAX_MODEL_JSON_BYTES) else {
        return vec![];
    };
    let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
        return vec![];
    };
    let mut out = vec![];
    if let Some(groups) = v.get("weightsManifest").and_then(Value::as_array) {
        for g in groups {
            if let Some(paths) = g.get("paths").and_then(Value::as_array) {
                for p in paths.iter().filter_map(Value::as_str) {
                    if let Ok(p) = WeightPath::parse(p, "") {
                        out.push(p.as_str().to_string());
                    }
                }
            }
        }
    }
    out
}

/// `p` without empty and `.` segments, so equal paths compare equal.
pub(super) fn normalize(p: &str) -> String {
    p.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Every weight path (normalized) that a model JSON file in `dir`
/// references. A save killed between its commit and its renames leaves a
/// live `model.json` pointing at `.tfjs-…` names: those are the model now,
/// not leftovers.
fn live_references(dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with(TEMP_PREFIX)
                && Path::new(&*name)
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("json"))
        })
        .flat_map(|e| referenced_paths(&e.path()))
        .map(|p| normalize(&p))
        .collect()
}

/// Remove the leftovers of saves killed mid-way in the model directory
/// `dir`: `.tfjs-*` temporary files that no model JSON file there
/// references, whose writer process is gone (Linux) or that are over an
/// hour old. A live writer's files and a model committed under temporary
/// names (a save killed after its commit) are kept. Returns how many files
/// were removed. Every save runs this in its directory first; a server can
/// run it on its store at startup.
pub fn sweep_stale_temps(dir: &Path) -> usize {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(dir) else {
        return removed;
    };
    let now = SystemTime::now();
    let mut live = None;
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with(TEMP_PREFIX) {
            continue;
        }
        if live
            .get_or_insert_with(|| live_references(dir))
            .contains(&*name)
        {
            continue;
        }
        // A save killed mid-way: its writer is gone, nothing will finish it.
        let orphan = temp_owner(&name).is_some_and(process_is_gone);
        let old = orphan
            || e.metadata()
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > STALE_TEMP_AGE);
        if old && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

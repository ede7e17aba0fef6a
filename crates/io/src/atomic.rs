//! Atomic file writes, the one helper every file-writing store uses: bytes
//! go to a new file (created exclusively, fsynced), which is then renamed
//! over the target, so a reader sees the old file or the new one, never a
//! torn one.

use crate::{IoError, Result};
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

/// Create `path` (which must not exist) holding `parts` in order; fsync it
/// when `sync`.
pub fn write_new<B: AsRef<[u8]>>(path: &Path, parts: &[B], sync: bool) -> Result<()> {
    let shown = path.display().to_string();
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| IoError::io(&shown, e))?;
    for p in parts {
        f.write_all(p.as_ref())
            .map_err(|e| IoError::io(&shown, e))?;
    }
    if sync {
        f.sync_all().map_err(|e| IoError::io(&shown, e))?;
    }
    Ok(())
}

/// Rename `from` over `to` (the commit of an atomic write).
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|e| IoError::Io {
        path: to.display().to_string(),
        source: std::io::Error::new(e.kind(), format!("renaming {} to it: {e}", from.display())),
    })
}

/// fsync a directory after renames in it, where the platform allows.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Replace `path` atomically with `parts`: written under `temp_name` beside
/// it (a hidden name unique to this writer), fsynced, renamed over `path`,
/// and the directory fsynced. On failure the temporary is removed and
/// `path` is untouched.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("m.json");
/// tfjs_io::atomic::replace(&p, ".tmp-m.json", &[b"{}"]).unwrap();
/// assert_eq!(std::fs::read(&p).unwrap(), b"{}");
/// ```
pub fn replace<B: AsRef<[u8]>>(path: &Path, temp_name: &str, parts: &[B]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = dir.join(temp_name);
    let done = write_new(&tmp, parts, true).and_then(|()| rename(&tmp, path));
    if done.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    sync_dir(dir);
    done
}

//! Leftovers of uploads cut short by a killed server, removed at startup.
//!
//! A `file://` store writes a version's files under temporary names and
//! renames them into place (see `tfjs_io::file`); a server killed mid-save
//! leaves those temporary files behind, in a `NAME/vN` directory that may
//! hold no model.json (so no listing ever shows it). `file://` stores are
//! for one server process, so at startup nothing is mid-save there and every
//! temporary file under `<root>/NAME/vN/` is a leftover.

use std::path::Path;

/// The prefix `tfjs_io::file` gives the temporary files of a save (checked
/// by `tests/upload_safety.rs`, which crashes a real save).
const FILE_STORE_TEMP_PREFIX: &str = ".tfjs-";

/// What [`sweep_file_root`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub files: usize,
    pub dirs: usize,
}

/// Remove temporary files in every `<root>/NAME/vN/` directory, and the
/// directories they leave empty. Errors are logged, never fatal.
pub fn sweep_file_root(root: &Path) -> Swept {
    let mut swept = Swept::default();
    let Ok(models) = std::fs::read_dir(root) else {
        return swept;
    };
    for model in models.flatten() {
        let name = model.file_name();
        if crate::valid_name(&name.to_string_lossy()).is_err() {
            continue;
        }
        let Ok(versions) = std::fs::read_dir(model.path()) else {
            continue;
        };
        for version in versions.flatten() {
            let v = version.file_name().to_string_lossy().into_owned();
            let numbered = v
                .strip_prefix('v')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if !numbered || !version.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let dir = version.path();
            let Ok(files) = std::fs::read_dir(&dir) else {
                continue;
            };
            for f in files.flatten() {
                let temp = f
                    .file_name()
                    .to_string_lossy()
                    .starts_with(FILE_STORE_TEMP_PREFIX);
                if temp && f.file_type().is_ok_and(|t| t.is_file()) {
                    match std::fs::remove_file(f.path()) {
                        Ok(()) => swept.files += 1,
                        Err(e) => {
                            tracing::warn!(path = %f.path().display(), error = %e, "cannot remove a leftover temporary file")
                        }
                    }
                }
            }
            // Only succeeds when empty: a version whose save never got far.
            if std::fs::remove_dir(&dir).is_ok() {
                swept.dirs += 1;
            }
        }
        let _ = std::fs::remove_dir(model.path());
    }
    if swept.files > 0 {
        tracing::info!(root = %root.display(), files = swept.files, dirs = swept.dirs, "removed leftovers of interrupted uploads");
    }
    swept
}

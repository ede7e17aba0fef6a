//! Leftovers of uploads cut short by a killed server, removed at startup.
//!
//! A `file://` store writes a version's files under temporary names and
//! renames them into place (see `tfjs_io::file`); a server killed mid-save
//! leaves those temporary files behind, in a `NAME/vN` directory that may
//! hold no model.json (so no listing ever shows it). At startup every
//! `<root>/NAME/vN/` gets `tfjs_io::file::sweep_stale_temps`: temporary
//! files whose writer process is gone (or that are over an hour old) are
//! removed, unless a model.json there names them (a save killed after its
//! commit: they are that version's weights). Another process saving into
//! the store at that moment keeps its files.

use std::path::Path;

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
            swept.files += tfjs_io::file::sweep_stale_temps(&dir);
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

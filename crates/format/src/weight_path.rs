//! Manifest weight paths are untrusted: [`WeightPath`] is the one policy
//! every store applies before it turns a manifest path into a file name, an
//! object key or a URL.

use crate::FormatError;

/// A manifest path that is a plain relative file name below the model's
/// directory: no scheme (`http:`, `data:`), no drive (`C:`), not absolute,
/// no backslash, no `..`, no `.` or empty segment (a single leading `./`, as
/// TensorFlow.js writes `./model.weights.bin`, is allowed and dropped), no
/// control character, not empty.
///
/// ```
/// use tfjs_format::weight_path::WeightPath;
/// assert_eq!(WeightPath::parse("./model.weights.bin", "p").unwrap().as_str(), "model.weights.bin");
/// assert_eq!(WeightPath::parse("sub/group1-shard1of2.bin", "p").unwrap().as_str(), "sub/group1-shard1of2.bin");
/// for bad in ["../x", "/etc/passwd", "C:x.bin", "http://h/w", "a\\b", "a//b", "a/./b", "", "w\0"] {
///     assert!(WeightPath::parse(bad, "p").is_err(), "{bad:?}");
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeightPath(String);

impl WeightPath {
    /// Check `path`; `location` names it in the error (e.g.
    /// `weightsManifest[0].paths[1] of /m/model.json`).
    pub fn parse(path: &str, location: &str) -> Result<WeightPath, FormatError> {
        match refusal(path) {
            Some(reason) => Err(FormatError::UnsafePath {
                path: path.to_string(),
                location: location.to_string(),
                reason,
            }),
            None => Ok(WeightPath(
                path.strip_prefix("./").unwrap_or(path).to_string(),
            )),
        }
    }

    /// The path without a leading `./`: a relative file name, `/`-separated.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for WeightPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why `p` is refused, or `None` when it is a plain relative path.
fn refusal(p: &str) -> Option<&'static str> {
    let rest = p.strip_prefix("./").unwrap_or(p);
    Some(if p.is_empty() {
        "it is empty"
    } else if p.contains('\0') {
        "it contains a NUL character"
    } else if p.chars().any(char::is_control) {
        "it contains a control character"
    } else if p.contains("://") || has_scheme(p) {
        "it has a URL scheme; weights must be files beside the model JSON"
    } else if p.contains('\\') {
        "it contains a backslash; use '/' as the separator"
    } else if p.starts_with('/') || is_drive_path(p) {
        "it is absolute; paths must be relative to the model JSON's directory"
    } else if p.split('/').any(|seg| seg == "..") {
        "it has a '..' segment; paths must stay inside the model JSON's directory"
    } else if rest.split('/').all(|seg| seg.is_empty() || seg == ".") {
        "it names a directory, not a file"
    } else if rest.split('/').any(|seg| seg.is_empty() || seg == ".") {
        "it has an empty or '.' segment; use a plain relative path such as group1-shard1of2.bin"
    } else {
        return None;
    })
}

/// `data:...`, `http:x` (RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":").
fn has_scheme(p: &str) -> bool {
    match p.split_once(':') {
        Some((s, _)) => {
            s.len() > 1
                && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `C:`, `C:x`, `C:/x` (a Windows drive, absolute or drive-relative).
fn is_drive_path(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

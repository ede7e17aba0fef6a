//! Shard URLs exactly as TensorFlow.js 4.22 computes them.

use tfjs_format::shard::sniff_text;

/// Split a model URL as TensorFlow.js `parseUrl` does: `(prefix, suffix)`
/// where `prefix` is everything up to and including the last `/` and
/// `suffix` the query string when its `?` comes after that slash.
///
/// ```
/// assert_eq!(tfjs_http::parse_url("http://h/a/model.json?tok=1"), ("http://h/a/".to_string(), "?tok=1".to_string()));
/// assert_eq!(tfjs_http::parse_url("model.json"), ("/".to_string(), "".to_string()));
/// ```
pub fn parse_url(url: &str) -> (String, String) {
    let last_slash = url.rfind('/');
    let last_question = url.rfind('?');
    let prefix = match last_slash {
        Some(i) => format!("{}/", &url[..i]),
        None => "/".to_string(),
    };
    let suffix = match (last_question, last_slash) {
        (Some(q), Some(s)) if q > s => url[q..].to_string(),
        (Some(q), None) => url[q..].to_string(),
        _ => String::new(),
    };
    (prefix, suffix)
}

/// The URL of every manifest path, in order, exactly as TensorFlow.js 4.22
/// computes them (`converter(path)` when a converter is given, else
/// `(weight_path_prefix || dir(model_url)) + path + query(model_url)` by plain
/// string concatenation).
///
/// ```
/// let urls = tfjs_http::weight_urls("http://h/a/model.json?tok=1", &["g1-s1.bin", "./g1-s2.bin"], None, None);
/// assert_eq!(urls, ["http://h/a/g1-s1.bin?tok=1", "http://h/a/./g1-s2.bin?tok=1"]);
/// let urls = tfjs_http::weight_urls("http://h/a/model.json", &["g1-s1.bin"], Some("http://cdn/w"), None);
/// assert_eq!(urls, ["http://cdn/wg1-s1.bin"]);
/// ```
pub fn weight_urls<S: AsRef<str>>(
    model_url: &str,
    paths: &[S],
    weight_path_prefix: Option<&str>,
    converter: Option<&(dyn Fn(&str) -> String + Send + Sync)>,
) -> Vec<String> {
    if let Some(conv) = converter {
        return paths.iter().map(|p| conv(p.as_ref())).collect();
    }
    let (prefix, suffix) = parse_url(model_url);
    let prefix = match weight_path_prefix {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => prefix,
    };
    paths
        .iter()
        .map(|p| format!("{prefix}{}{suffix}", p.as_ref()))
        .collect()
}

/// What text-looking bytes look like (`"HTML"`/`"JSON"`), for error messages.
///
/// ```
/// use tfjs_http::looks_like_text;
/// assert_eq!(looks_like_text(b"<!DOCTYPE html><html>"), Some("HTML"));
/// assert_eq!(looks_like_text(br#"{"error": "not found"}"#), Some("JSON"));
/// assert_eq!(looks_like_text(&[0, 0, 128, 63]), None);
/// ```
pub fn looks_like_text(bytes: &[u8]) -> Option<&'static str> {
    sniff_text(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Appendix A.5 of the format digest, verified against TensorFlow.js 4.22.0.
    const PATHS: [&str; 2] = ["g1-s1.bin", "./g1-s2.bin"];

    #[test]
    fn a5_query_string_is_carried() {
        assert_eq!(
            weight_urls("http://h/a/model.json?tok=1", &PATHS, None, None),
            ["http://h/a/g1-s1.bin?tok=1", "http://h/a/./g1-s2.bin?tok=1"]
        );
    }

    #[test]
    fn a5_weight_path_prefix_has_no_slash_inserted() {
        assert_eq!(
            weight_urls("http://h/a/model.json", &PATHS, Some("http://cdn/w"), None),
            ["http://cdn/wg1-s1.bin", "http://cdn/w./g1-s2.bin"]
        );
        // An empty prefix falls back to the model directory.
        assert_eq!(
            weight_urls("http://h/a/model.json", &PATHS, Some(""), None),
            ["http://h/a/g1-s1.bin", "http://h/a/./g1-s2.bin"]
        );
    }

    #[test]
    fn a5_converter_is_used_verbatim() {
        let conv = |n: &str| format!("https://conv/{n}");
        assert_eq!(
            weight_urls(
                "http://h/a/model.json?x=1",
                &PATHS,
                Some("ignored"),
                Some(&conv)
            ),
            ["https://conv/g1-s1.bin", "https://conv/./g1-s2.bin"]
        );
    }

    #[test]
    fn a5_slashless_model_path_uses_root() {
        assert_eq!(
            weight_urls("model.json", &PATHS, None, None),
            ["/g1-s1.bin", "/./g1-s2.bin"]
        );
    }

    #[test]
    fn question_mark_before_last_slash_is_not_a_suffix() {
        assert_eq!(
            parse_url("http://h/a?x=1/model.json?p=1"),
            ("http://h/a?x=1/".to_string(), "?p=1".to_string())
        );
        assert_eq!(
            parse_url("http://h/a?x=1/model.json"),
            ("http://h/a?x=1/".to_string(), String::new())
        );
    }

    #[test]
    fn html_and_json_bodies_are_recognised() {
        assert_eq!(looks_like_text(b"\n<!DOCTYPE html><html>"), Some("HTML"));
        assert_eq!(looks_like_text(b"<html><body>404"), Some("HTML"));
        assert_eq!(looks_like_text(b"{\"error\":\"nope\"}"), Some("JSON"));
        assert_eq!(looks_like_text(&[0u8, 0, 128, 63]), None);
    }
}

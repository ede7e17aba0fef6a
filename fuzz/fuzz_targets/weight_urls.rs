//! The HTTP loader's URL resolution (`parse_url`, `weight_urls`) and its
//! text sniffing.
//!
//! Input lines: the model URL, an optional `prefix=` line, then manifest
//! paths.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfjs_http::{looks_like_text, parse_url, weight_urls};

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_text(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let model_url = lines.next().unwrap_or("");
    let mut prefix = None;
    let mut paths = vec![];
    for l in lines {
        match l.strip_prefix("prefix=") {
            Some(p) if prefix.is_none() => prefix = Some(p),
            _ => paths.push(l),
        }
    }
    let (dir, query) = parse_url(model_url);
    assert!(dir.ends_with('/'));
    let urls = weight_urls(model_url, &paths, prefix, None);
    assert_eq!(urls.len(), paths.len());
    for (u, p) in urls.iter().zip(&paths) {
        assert!(u.ends_with(&format!("{p}{query}")));
    }
});

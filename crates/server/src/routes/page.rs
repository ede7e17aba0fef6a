//! The server-rendered web page (`/`, `/view/NAME`) and its small script.
//!
//! Pages are plain HTML with a strict Content-Security-Policy (no inline
//! script or style); deleting goes through `fetch(…, {method: 'DELETE'})`
//! with the token typed into the page (kept in `sessionStorage`).

use crate::catalog::Version;
use crate::errors::ApiError;
use crate::routes::find_model;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;
use std::sync::Arc;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Escape text for HTML element content and quoted attributes.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// `1.5 KiB`-style sizes.
pub fn human(n: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

fn layer_counts(v: &Version) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (class, _) in &v.layers {
        match counts.iter_mut().find(|(c, _)| c == class) {
            Some(e) => e.1 += 1,
            None => counts.push((class.clone(), 1)),
        }
    }
    if counts.is_empty() {
        return "—".into();
    }
    counts
        .iter()
        .map(|(c, n)| {
            if *n > 1 {
                format!("{n}× {c}")
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><link rel=\"stylesheet\" href=\"/assets/app.css\">\
<script src=\"/assets/app.js\" defer></script></head><body>\
<header><a href=\"/\">tfjs model store</a>\
<label>Token <input id=\"token\" type=\"password\" autocomplete=\"off\" placeholder=\"for deleting\"></label></header>\
<main>{body}</main><p id=\"status\" role=\"status\"></p></body></html>",
        esc(title)
    );
    let mut r = html.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `http://HOST` as the client reached this server (the host check has
/// vetted `Host` on servers without a token; it is escaped anyway).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

/// `[null,28,28,1]`-style shapes (`?` when unknown).
fn shape_text(shape: &Option<Vec<Option<u64>>>) -> String {
    match shape {
        None => "?".into(),
        Some(dims) => format!(
            "[{}]",
            dims.iter()
                .map(|d| d.map_or("null".to_string(), |x| x.to_string()))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn io_table(v: &Version) -> String {
    if v.io.inputs.is_empty() && v.io.outputs.is_empty() {
        return String::new();
    }
    let mut b = String::from(
        "<table class=\"io\"><thead><tr><th></th><th>Name</th><th>Shape</th><th>dtype</th></tr></thead><tbody>",
    );
    for (kind, list) in [("input", &v.io.inputs), ("output", &v.io.outputs)] {
        for t in list {
            let _ = write!(
                b,
                "<tr class=\"{kind}\"><td>{kind}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&t.name),
                esc(&shape_text(&t.shape)),
                esc(t.dtype.as_deref().unwrap_or("?")),
            );
        }
    }
    b.push_str("</tbody></table>");
    b
}

/// `name [null,8] float32` for each input or output, comma-separated.
fn io_summary(list: &[crate::topology::TensorInfo]) -> String {
    if list.is_empty() {
        return "—".into();
    }
    list.iter()
        .map(|t| {
            format!(
                "{} {} {}",
                t.name,
                shape_text(&t.shape),
                t.dtype.as_deref().unwrap_or("?")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) async fn index(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let base = esc(&base_url(&headers));
    let cat = st.catalog.read().await;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Models</h1><p>Save from TensorFlow.js with <code>model.save('{base}/models/NAME')</code>; \
load with <code>tf.loadLayersModel('{base}/models/NAME/model.json')</code>.</p>"
    );
    if cat.models.is_empty() {
        b.push_str("<p id=\"empty\">No models yet.</p>");
    } else {
        b.push_str("<table id=\"models\"><thead><tr><th>Name</th><th>Versions</th><th>Latest</th><th>Inputs</th><th>Outputs</th><th>Weights</th><th>Layers</th><th>Saved</th><th></th></tr></thead><tbody>");
        for (name, vs) in &cat.models {
            let Some(latest) = vs.values().next_back() else {
                continue;
            };
            let n = esc(name);
            let _ = write!(
                b,
                "<tr data-model=\"{n}\"><td><a href=\"/view/{n}\">{n}</a></td><td>{}</td><td>v{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td>\
<td><button class=\"delete\" data-url=\"/models/{n}\" data-what=\"model {n} (all versions)\">Delete</button></td></tr>",
                vs.len(),
                latest.number,
                esc(&io_summary(&latest.io.inputs)),
                esc(&io_summary(&latest.io.outputs)),
                human(latest.weight_bytes()),
                latest.layers.len(),
                esc(&layer_counts(latest)),
                esc(&latest.info.date_saved),
            );
        }
        b.push_str("</tbody></table>");
    }
    page("tfjs model store", &b)
}

pub(crate) async fn detail(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let vs = find_model(&st, &name).await?;
    let n = esc(&name);
    let base = esc(&base_url(&headers));
    let load = if vs
        .values()
        .next_back()
        .is_some_and(|v| v.format.as_deref() == Some("graph-model"))
    {
        "tf.loadGraphModel"
    } else {
        "tf.loadLayersModel"
    };
    let mut b = format!(
        "<h1>{n}</h1><p>Latest: <a href=\"/models/{n}/model.json\"><code>/models/{n}/model.json</code></a></p>\
<p>Load with <code>{load}('{base}/models/{n}/model.json')</code>; save a new version with <code>model.save('{base}/models/{n}')</code>.</p>"
    );
    for v in vs.values().rev() {
        let _ = write!(
            b,
            "<section class=\"version\" data-version=\"{num}\"><h2>v{num}</h2><p><a href=\"/models/{n}/v{num}/model.json\"><code>/models/{n}/v{num}/model.json</code></a> \
<button class=\"delete\" data-url=\"/models/{n}/v{num}\" data-what=\"{n} v{num}\">Delete v{num}</button></p>\
<dl><dt>Saved</dt><dd>{}</dd><dt>Format</dt><dd>{}</dd><dt>Generated by</dt><dd>{}</dd>\
<dt>Weights</dt><dd>{} tensors, {} in {} blob(s)</dd><dt>Topology</dt><dd>{}</dd></dl>{}\
<table><thead><tr><th>#</th><th>Layer</th><th>Class</th></tr></thead><tbody>",
            esc(&v.info.date_saved),
            esc(v.format.as_deref().unwrap_or("—")),
            esc(v.generated_by.as_deref().unwrap_or("—")),
            v.weight_count,
            human(v.weight_bytes()),
            v.shards.len(),
            human(v.info.model_topology_bytes),
            io_table(v),
            num = v.number,
        );
        for (i, (class, lname)) in v.layers.iter().enumerate() {
            let _ = write!(
                b,
                "<tr><td>{i}</td><td>{}</td><td>{}</td></tr>",
                esc(lname),
                esc(class)
            );
        }
        b.push_str("</tbody></table></section>");
    }
    Ok(page(&name, &b))
}

const APP_JS: &str = r#""use strict";
(function () {
  var tokenInput = document.getElementById("token");
  var status = document.getElementById("status");
  try { tokenInput.value = sessionStorage.getItem("tfjs-token") || ""; } catch (e) { /* storage disabled */ }
  tokenInput.addEventListener("change", function () {
    try { sessionStorage.setItem("tfjs-token", tokenInput.value); } catch (e) { /* storage disabled */ }
  });
  document.querySelectorAll("button.delete").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var what = btn.getAttribute("data-what");
      if (!window.confirm("Delete " + what + "?")) { return; }
      var headers = {};
      if (tokenInput.value) { headers["Authorization"] = "Bearer " + tokenInput.value; }
      fetch(btn.getAttribute("data-url"), { method: "DELETE", headers: headers })
        .then(function (r) {
          return r.json().then(function (j) {
            if (!r.ok) { throw new Error(j.error || ("HTTP " + r.status)); }
            status.textContent = "Deleted " + what + ".";
            window.location.href = "/";
          });
        })
        .catch(function (e) { status.textContent = "Delete failed: " + e.message; });
    });
  });
})();
"#;

const APP_CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222}\
header{display:flex;justify-content:space-between;align-items:center;padding:.6em 1em;background:#f4f4f4;border-bottom:1px solid #ddd}\
header a{font-weight:bold;color:#e8710a;text-decoration:none}main{padding:0 1em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left}\
th{background:#fafafa}code{background:#f6f6f6;padding:0 .2em}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}\
dt{font-weight:bold}dd{margin:0}#status{padding:0 1em;color:#a00}button.delete{color:#a00}";

fn asset(body: &'static str, ct: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

pub(crate) async fn app_js() -> Response {
    asset(APP_JS, "text/javascript; charset=utf-8")
}

pub(crate) async fn app_css() -> Response {
    asset(APP_CSS, "text/css; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_sizes() {
        assert_eq!(
            esc("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
        assert_eq!(human(92), "92 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(5 << 20), "5.0 MiB");
    }
}

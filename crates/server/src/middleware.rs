//! What runs around every route: host check, CORS, auth, read-only mode,
//! the request timeout, and the access log.

use crate::config::ServerConfig;
use crate::errors::ApiError;
use crate::routes::hv;
use crate::{AppState, RemoteAddr};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

fn is_write(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn origin_allowed(config: &ServerConfig, origin: &str) -> bool {
    config.cors_origins.iter().any(|o| o == "*" || o == origin)
}

fn same_origin(host: Option<&str>, origin: &str) -> bool {
    let Some(host) = host else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The host the client asked for: the `Host` header, else the request
/// target's authority (HTTP/2).
pub(crate) fn request_host(req: &Request) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_string()))
}

/// The name part of a `Host` value (`[::1]:8080` → `[::1]`, `a.b:80` → `a.b`).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Whether a server without a token answers a request for `host`.
///
/// DNS rebinding: a page on `http://evil.example:8080` whose name the
/// attacker re-points at 127.0.0.1 talks to this server as a same-origin
/// page, with `Host: evil.example:8080`. Only names that cannot be rebound
/// are accepted: `localhost` and loopback IP literals (with any port), plus
/// what the operator listed in [`ServerConfig::allowed_hosts`] (`*`: any).
pub(crate) fn host_allowed(config: &ServerConfig, host: &str) -> bool {
    let name = host_name(host);
    let loopback = name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .and_then(|n| n.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|ip| ip.is_loopback());
    loopback
        || config
            .allowed_hosts
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(host) || a.eq_ignore_ascii_case(name))
}

/// A refusal the requesting page can read: CORS headers for its origin
/// whatever the configuration (the body says only why it was refused).
fn readable_refusal(e: ApiError, cross: Option<&str>) -> Response {
    let mut r = e.into_response();
    if let Some(o) = cross {
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, hv(o));
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    r
}

/// Read (and drop) a refused upload's body so that clients that send the
/// whole body before reading the answer (Node's fetch) see the answer
/// instead of a reset connection. Bounded in bytes and time.
async fn drain_then(config: &ServerConfig, req: Request, r: Response) -> Response {
    let cap = config.max_upload_bytes.min(64 << 20);
    let mut stream = req.into_body().into_data_stream();
    let mut seen = 0u64;
    let drain = async {
        while let Some(Ok(chunk)) = futures::StreamExt::next(&mut stream).await {
            seen += chunk.len() as u64;
            if seen > cap {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(config.request_timeout.min(Duration::from_secs(30)), drain).await;
    r
}

/// Host check, CORS, auth, read-only mode and the request timeout.
pub(crate) async fn guard(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let config = &st.config;
    let host = request_host(&req);
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string);
    let cross = origin
        .as_deref()
        .filter(|o| !same_origin(host.as_deref(), o))
        .map(str::to_string);
    let listed = cross.as_deref().is_some_and(|o| origin_allowed(config, o));

    if config.token.is_none() {
        let refusal = match host.as_deref() {
            None => Some("the request has no Host header".to_string()),
            Some(h) if !host_allowed(config, h) => {
                let name = host_name(h).escape_default().to_string();
                st.warn_once(&format!("host {h}"), || {
                    tracing::warn!(host = %h.escape_default(), "refused a request for host {name}: without a token this server answers only localhost and loopback addresses (DNS rebinding); if clients really reach it as {name}, start it with --allowed-host {name} (or set --token)");
                });
                Some(format!(
                    "requests for host {name} are refused: this server has no token, so it answers only localhost and loopback addresses (DNS rebinding protection); start it with --allowed-host {name} to allow this name"
                ))
            }
            Some(_) => None,
        };
        if let Some(msg) = refusal {
            let r = readable_refusal(ApiError::new(StatusCode::FORBIDDEN, msg), cross.as_deref());
            return drain_then(config, req, r).await;
        }
    }

    // Preflight. Every origin's preflight passes, so that the real request
    // reaches this server and the page can read why it is refused (a failed
    // preflight shows only `TypeError: Failed to fetch`); what is allowed
    // is decided on the real request below.
    if req.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        if let Some(o) = &cross {
            if !listed && config.cors_origins.is_empty() {
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            } else {
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, hv(o));
                h.insert(header::VARY, HeaderValue::from_static("Origin"));
            }
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, HEAD, POST, PUT, DELETE"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, range, if-none-match"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
        return r;
    }

    let write = is_write(req.method());
    if let Some(o) = cross.as_deref().filter(|_| !listed) {
        // Unlisted origins may read only when no origins are configured.
        if write || !config.cors_origins.is_empty() {
            let what = if write { "write" } else { "read" };
            let shown = o.escape_default().to_string();
            st.warn_once(&format!("origin {o} {what}"), || {
                tracing::warn!(origin = %shown, "refused a cross-origin {what} from {shown}: start tfjs serve with --cors-origin {shown} to allow that origin");
            });
            let r = readable_refusal(
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!(
                        "cross-origin {what} from {shown} refused: start the server with --cors-origin {shown} to allow it"
                    ),
                ),
                Some(o),
            );
            return drain_then(config, req, r).await;
        }
    }
    if write {
        if config.read_only {
            let r = ApiError::new(StatusCode::FORBIDDEN, "this server is read-only");
            return drain_then(config, req, readable_refusal(r, cross.as_deref())).await;
        }
        if let Some(token) = &config.token {
            let got = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            let err = match got.and_then(|g| g.strip_prefix("Bearer ")) {
                None => Some("this server needs `Authorization: Bearer <token>` for writes"),
                Some(t) if !constant_time_eq(t.trim().as_bytes(), token.as_bytes()) => {
                    Some("the bearer token is wrong")
                }
                Some(_) => None,
            };
            if let Some(msg) = err {
                let r = ApiError::new(StatusCode::UNAUTHORIZED, msg);
                return drain_then(config, req, readable_refusal(r, cross.as_deref())).await;
            }
        }
    }

    let mut r = if write {
        // A write runs to its end even if the client goes away or the
        // clock runs out: the answer then tells what happened to the store
        // (uploads bound the time spent reading their body themselves).
        match tokio::spawn(next.run(req)).await {
            Ok(r) => r,
            Err(e) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the request failed: {e}"),
            )
            .into_response(),
        }
    } else {
        match tokio::time::timeout(config.request_timeout, next.run(req)).await {
            Ok(r) => r,
            Err(_) => ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request took longer than {} s",
                    config.request_timeout.as_secs()
                ),
            )
            .into_response(),
        }
    };
    add_cors(&mut r, cross.as_deref(), listed, config);
    r
}

fn add_cors(r: &mut Response, cross: Option<&str>, listed: bool, config: &ServerConfig) {
    let Some(o) = cross else { return };
    let h = r.headers_mut();
    if listed {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, hv(o));
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    } else if config.cors_origins.is_empty() {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    } else {
        return;
    }
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("ETag, Content-Range, Content-Length, Location"),
    );
}

/// One structured log line per request.
pub(crate) async fn log_requests(
    State(_st): State<Arc<AppState>>,
    ConnectInfo(remote): ConnectInfo<RemoteAddr>,
    req: Request,
    next: Next,
) -> Response {
    let start = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let r = next.run(req).await;
    let bytes = r
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    tracing::info!(
        target: "tfjs_server::access",
        remote = %remote.0,
        method = %method,
        path = %path.escape_default(),
        status = r.status().as_u16(),
        bytes,
        ms = start.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }

    #[test]
    fn only_loopback_hosts_unless_configured() {
        let c = ServerConfig::default();
        for ok in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "127.0.0.2:80",
            "localhost:3000",
            "LocalHost",
            "[::1]:8080",
            "[::1]",
        ] {
            assert!(host_allowed(&c, ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "evil.example",
            "localhost.evil.example",
            "10.0.0.1:8080",
            "[::2]:80",
            "127.0.0.1.nip.io",
            "",
        ] {
            assert!(!host_allowed(&c, bad), "{bad}");
        }
        let c = ServerConfig {
            allowed_hosts: vec!["models.lan".into(), "box:9000".into()],
            ..Default::default()
        };
        assert!(host_allowed(&c, "models.lan:8080"));
        assert!(host_allowed(&c, "MODELS.LAN"));
        assert!(host_allowed(&c, "box:9000"));
        assert!(!host_allowed(&c, "box:9001"));
        assert!(!host_allowed(&c, "evil.example"));
    }
}

//! `tfjs serve`: run the HTTP model store (crate `tfjs-server`).

use crate::Ctx;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tfjs_server::{Server, ServerConfig};

const LONG: &str = "\
Run an HTTP model store that TensorFlow.js saves to and loads from.

  model.save('http://HOST/models/NAME')            stores a new version
  tf.loadLayersModel('http://HOST/models/NAME/model.json')      latest version
  tf.loadLayersModel('http://HOST/models/NAME/v2/model.json')   version 2
  GET /models (JSON list), DELETE /models/NAME[/vN], web page at /

Weights are served as content-addressed, immutable blobs (/blobs/sha256-….bin,
ETag, Range, `Cache-Control: immutable`); model.json is revalidated (ETag).

Versions are stored as ordinary models at <STORE>/NAME/vN in any store URL
this build can save to, list and remove. Default: `indexeddb://tfjs-serve`
in the embedded (SQLite, transactional) profile store ($TFJS_HOME, else
~/.local/share/tfjs-rs); without it, a file:// directory under the data dir
($XDG_DATA_HOME/tfjs/serve or ~/.local/share/tfjs/serve).

Writes (POST/PUT/DELETE) need `Authorization: Bearer TOKEN` when --token or
TFJS_TOKEN is set; listening on a non-loopback address needs a token (or
--read-only). Without a token the server answers only requests addressed to
localhost or a loopback IP (Host header; DNS-rebinding protection); name
others with --allowed-host. GETs are open to any origin (CORS) unless
--cors-origin is given; cross-origin writes only from --cors-origin origins.
Refusals are JSON the requesting page can read; each refused origin or host
is logged once as a WARN naming the flag that allows it. One log line per
request on stderr.

A web app on its own origin (e.g. a dev server on http://localhost:3000):
  tfjs serve --cors-origin http://localhost:3000
  // in the app:
  await model.save('http://127.0.0.1:8080/models/my-model');
With a token, send it from the app:
  TFJS_TOKEN=secret tfjs serve --cors-origin http://localhost:3000
  await model.save(tf.io.http('http://127.0.0.1:8080/models/my-model',
      {requestInit: {headers: {Authorization: 'Bearer secret'}}}));
See crates/server/API.md for every route, status code and header.

The first line on stdout is `listening on http://ADDR` (useful with port 0).

Several servers may share one s3://, gs:// or az:// store (behind a load
balancer): uploads claim version numbers with create-if-absent writes, and
each server refreshes its catalog every --refresh-secs (and at once when asked
for a model, version or blob it does not know yet). file:// and indexeddb://
stores are for one server process.

Examples:
  tfjs serve
  tfjs serve --addr 127.0.0.1:0 --store file:///srv/models
  TFJS_TOKEN=secret tfjs serve --addr 0.0.0.0:8080 --store s3://my-bucket/models
  TFJS_TOKEN=secret tfjs serve --addr 0.0.0.0:8080 --cors-origin https://app.example";

/// Arguments of `tfjs serve`.
#[derive(Debug, clap::Args)]
#[command(about = "Run an HTTP model store for TensorFlow.js (save, load, versions, web page)", long_about = LONG)]
pub struct Args {
    /// Where versions are stored: a store URL (file://DIR, memory://NAME, …)
    /// or a directory path.
    #[arg(long)]
    pub store: Option<String>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Bearer token required for writes.
    #[arg(long, env = "TFJS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Refuse every write.
    #[arg(long)]
    pub read_only: bool,
    /// An origin allowed to call the API cross-origin, writes included
    /// (repeatable; `*` for any).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// A host name (or NAME:PORT) a server without a token answers besides
    /// localhost and loopback addresses (repeatable; `*` for any, which
    /// gives up the DNS-rebinding protection).
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// Largest upload (bytes).
    #[arg(long, default_value_t = 512 << 20)]
    pub max_upload_bytes: u64,
    /// Largest model.json part of an upload (bytes).
    #[arg(long, default_value_t = 32 << 20)]
    pub max_model_json_bytes: u64,
    /// Longest a request may take, upload included (seconds).
    #[arg(long, default_value_t = 300)]
    pub request_timeout: u64,
    /// Close connections idle for this long (seconds).
    #[arg(long, default_value_t = 30)]
    pub idle_timeout: u64,
    /// Weight bytes kept in memory for serving blobs.
    #[arg(long, default_value_t = 1 << 30)]
    pub cache_bytes: u64,
    /// Re-read the store's listing every this many seconds, so versions
    /// other servers on the same store upload or delete show up (0: only
    /// when a request asks for something unknown).
    #[arg(long, default_value_t = 5)]
    pub refresh_secs: u64,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    pub log_json: bool,
}

fn default_store_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("tfjs").join("serve")
}

/// Run the server until Ctrl-C / SIGTERM.
pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TFJS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if args.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };

    let store_url = match &args.store {
        Some(s) if s.contains("://") => s.clone(),
        Some(path) => {
            std::fs::create_dir_all(path)
                .map_err(|e| anyhow::anyhow!("cannot create the store directory {path}: {e}"))?;
            format!("file://{}", std::fs::canonicalize(path)?.display())
        }
        None if ctx.router.store("indexeddb").is_some() => {
            tfjs_server::DEFAULT_STORE_URL.to_string()
        }
        None => {
            let dir = default_store_dir();
            std::fs::create_dir_all(&dir).map_err(|e| {
                anyhow::anyhow!("cannot create the store directory {}: {e}", dir.display())
            })?;
            format!("file://{}", dir.display())
        }
    };
    if let Some(p) = store_url.strip_prefix("file://") {
        std::fs::create_dir_all(p)
            .map_err(|e| anyhow::anyhow!("cannot create the store directory {p}: {e}"))?;
    }
    let (store, _) = ctx.router.resolve(&store_url)?;
    let config = ServerConfig {
        token: args.token.filter(|t| !t.is_empty()),
        read_only: args.read_only,
        cors_origins: args.cors_origins,
        allowed_hosts: args.allowed_hosts,
        max_upload_bytes: args.max_upload_bytes,
        max_model_json_bytes: args.max_model_json_bytes,
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
        cache_bytes: args.cache_bytes,
        refresh_interval: Duration::from_secs(args.refresh_secs),
        ..Default::default()
    };
    let server = Server::open(config, store, &store_url).await?;
    server.check_addr(args.addr)?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.addr))?;
    let local = listener.local_addr()?;
    println!("listening on http://{local}");
    eprintln!("store: {store_url}");
    let shutdown = async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    };
    server.serve_with_shutdown(listener, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

//! The router of the `tfjs` binary: every scheme this build supports.

use std::sync::Arc;
use tfjs_io::file::{FileStore, FileStoreOptions};
use tfjs_io::{memory::MemoryStore, Router};

/// A router with every store of this build registered. Each storage crate
/// adds one `register` line here. `allow_external_links`: the file:// store
/// follows weight-file links that leave the model's directory
/// (`--allow-external-links`).
pub fn build_router(allow_external_links: bool) -> Router {
    let mut router = Router::new();
    router.register(Arc::new(FileStore::with_options(FileStoreOptions {
        allow_external_links,
        ..Default::default()
    })));
    router.register(MemoryStore::global());
    let http = tfjs_http::HttpOptions::from_env().map(|mut options| {
        options.progress = Some(Arc::new(crate::util::report_download));
        options
    });
    if let Err(e) = http.and_then(|options| tfjs_http::register_with(&mut router, options)) {
        eprintln!("warning: http(s):// is unavailable: {e}");
    }
    if let Err(e) = tfjs_store::register_default(&mut router) {
        eprintln!("warning: localstorage://, indexeddb:// and downloads:// are unavailable: {e}");
    }
    for scheme in ["s3", "gs", "az"] {
        // Clients are built lazily per bucket, so this cannot fail on a
        // machine without cloud credentials.
        if let Ok(store) = tfjs_cloud::CloudStore::new(scheme) {
            router.register(Arc::new(store));
        }
    }
    router
}

//! Storage without the engine: route model URLs to stores, copy a model
//! across schemes, list and remove, the way `tf.io.copyModel`,
//! `listModels` and `removeModel` do.
//!
//! ```text
//! cargo run -p tfjs-cli --example store_router -- ../shared/fixtures/tfjs/mlp
//! ```
//!
//! The embedded localstorage:// / indexeddb:// profile goes to a temporary
//! directory here; the `tfjs` binary uses `--profile` / `$TFJS_HOME`.

use tfjs_io::management::{copy_model, list_models, move_model, remove_model};
use tfjs_io::Router;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let src = std::env::args()
        .nth(1)
        .ok_or("usage: store_router MODEL_DIR")?;
    let profile_dir = tempfile::tempdir()?;
    let profile = tfjs_store::ProfileOptions::new()
        .profile_dir(profile_dir.path())
        .downloads_dir(profile_dir.path().join("downloads"))
        .open()?;

    let mut router = Router::with_local_stores();
    tfjs_store::register(&mut router, &profile);

    let src = format!("file://{src}");
    let info = copy_model(&router, &src, "localstorage://demo/a").await?;
    println!(
        "copied {src} -> localstorage://demo/a ({} weight bytes)",
        info.weight_data_bytes
    );
    // A move saves, reloads and verifies the destination before deleting
    // the source.
    move_model(&router, "localstorage://demo/a", "indexeddb://demo/b").await?;
    copy_model(&router, "indexeddb://demo/b", "memory://demo-c").await?;
    for (url, info) in list_models(&router, None).await? {
        println!("listed {url}: saved {}", info.date_saved);
    }
    let (store, url) = router.resolve("memory://demo-c")?;
    let artifacts = store.load(&url).await?;
    println!(
        "memory://demo-c holds {} weights in {} bytes",
        artifacts.weight_specs.len(),
        artifacts.weight_data.len()
    );
    remove_model(&router, "indexeddb://demo/b").await?;
    println!(
        "removed indexeddb://demo/b; left: {:?}",
        list_models(&router, None).await?.len()
    );
    Ok(())
}

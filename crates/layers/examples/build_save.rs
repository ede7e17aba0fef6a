//! Build a small model in Rust, save it where TensorFlow.js can load it,
//! load it back and check the predictions match.
//!
//! ```text
//! cargo run --release -p tfjs-layers --example build_save -- /tmp/my-model
//! # then, in Node: await tf.loadLayersModel('file:///tmp/my-model/model.json')
//! ```

use serde_json::json;
use std::sync::Arc;
use tfjs_io::{file::FileStore, Router};
use tfjs_layers::{builder::Sequential, LayerRegistry, LoadOptions, Model, Tensor};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: build_save OUT_DIR")?;
    let url = format!("file://{dir}");
    let mut router = Router::new();
    router.register(Arc::new(FileStore::new()));

    let registry = LayerRegistry::with_builtins();
    let model = Sequential::new()
        .input_shape(&[4])
        .add(registry.create("Dense", json!({"units": 8, "activation": "relu"}))?)
        .add(registry.create("Dense", json!({"units": 3, "activation": "softmax"}))?)
        .build(42)?; // seeded initializers: the same weights on every run
    let info = model.save(&router, &url).await?;
    println!(
        "saved {url}: {} weight bytes (model.json + weights.bin)",
        info.model_artifacts_info.weight_data_bytes
    );

    let x = Tensor::from_f32(vec![2, 4], vec![0.1, 0.2, 0.3, 0.4, -1.0, 0.0, 1.0, 2.0])?;
    let before = model.predict(std::slice::from_ref(&x))?;
    let loaded = Model::load(&router, &url, &LoadOptions::default()).await?;
    let after = loaded.predict(&[x])?;
    if before[0].to_f32() != after[0].to_f32() {
        return Err("the reloaded model predicts differently".into());
    }
    println!("reloaded: identical predictions {:?}", after[0].to_f32());
    Ok(())
}

//! Load a TensorFlow.js layers model from any URL and run it on an input
//! built from the model's own input signature, so it works on any model.
//!
//! ```text
//! cargo run --release -p tfjs-layers --example load_predict -- ../shared/fixtures/keras/mobilenet_v2
//! cargo run --release -p tfjs-layers --example load_predict -- file:///models/m/model.json
//! ```
//!
//! Free dimensions get size 1 (batch) or 8 (others); float32 inputs get a
//! smooth ramp in [-1, 1], int32 inputs small ids. Prints each input and
//! output with its shape, and for each output row the index of its
//! largest value.

use std::sync::Arc;
use tfjs_io::{file::FileStore, Router};
use tfjs_layers::{LoadOptions, Model, Tensor};

/// One input tensor for every model input, shaped as the model declares.
fn inputs_for(model: &Model) -> Result<Vec<Tensor>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for input in model.inputs() {
        let shape: Vec<usize> = input
            .batch_shape
            .iter()
            .enumerate()
            .map(|(k, d)| d.unwrap_or(if k == 0 { 1 } else { 8 }))
            .collect();
        let n: usize = shape.iter().product();
        let t = if input.dtype == "int32" {
            Tensor::from_i32(shape, (0..n).map(|i| (i % 7) as i32 + 1).collect())?
        } else {
            let step = 2.0 / n.max(2) as f32;
            Tensor::from_f32(shape, (0..n).map(|i| -1.0 + step * i as f32).collect())?
        };
        println!("input  `{}` {:?} {}", input.name, t.shape(), input.dtype);
        out.push(t);
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = std::env::args()
        .nth(1)
        .ok_or("usage: load_predict MODEL_URL_OR_PATH")?;
    let url = if arg.contains("://") {
        arg
    } else {
        format!("file://{arg}")
    };
    // Register the schemes you need; the `tfjs` binary registers them all.
    let mut router = Router::new();
    router.register(Arc::new(FileStore::new()));
    let model = Model::load(&router, &url, &LoadOptions::default()).await?;
    println!("model  `{}` ({})", model.name(), model.class_name());
    let inputs = inputs_for(&model)?;
    let outputs = model.predict(&inputs)?;
    for (name, y) in model.output_names().iter().zip(&outputs) {
        let values = y.to_f32();
        let head: Vec<String> = values.iter().take(5).map(|v| format!("{v:.5}")).collect();
        println!("output `{name}` {:?}: [{}, …]", y.shape(), head.join(", "));
        let row = y.shape().iter().skip(1).product::<usize>().max(1);
        for (i, r) in values.chunks(row).enumerate() {
            let best = (0..r.len()).max_by(|&a, &b| r[a].total_cmp(&r[b]));
            if let Some(best) = best {
                println!("  row {i}: largest value {:.5} at index {best}", r[best]);
            }
        }
    }
    Ok(())
}

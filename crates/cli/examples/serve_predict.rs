//! Serve predictions of a TensorFlow.js layers model from a Rust web
//! service: an axum handler taking JSON inputs and calling `predict`.
//!
//! ```text
//! cargo run --release -p tfjs-cli --example serve_predict -- ../shared/fixtures/tfjs/mlp 127.0.0.1:3000
//! curl -s localhost:3000/predict -H 'content-type: application/json' \
//!   -d '{"inputs": [{"shape": [1, 8], "data": [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]}]}'
//! ```
//!
//! The model is loaded once and shared; `predict` is CPU-bound, so it runs
//! on the blocking pool and does not stall the async workers. Inputs are
//! checked against the model's signature first, so a bad request gets a
//! 400 saying what the model expects.

use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use tfjs_cli::inputs_check::check_io_json;
use tfjs_cli::signature::Signature;
use tfjs_io::file::FileStore;
use tfjs_layers::io_json::{IoJson, IoTensor};
use tfjs_layers::{LoadOptions, Model};

struct App {
    model: Model,
    signature: Signature,
}

type Reply = (StatusCode, Json<Value>);

fn error(status: StatusCode, message: impl std::fmt::Display) -> Reply {
    (status, Json(json!({"error": message.to_string()})))
}

/// `POST /predict` with `{"inputs": [{"name"?, "shape", "dtype"?, "data"}]}`
/// (the io.json format); answers `{"outputs": [...]}` in the same format.
async fn predict(State(app): State<Arc<App>>, Json(body): Json<Value>) -> Reply {
    if let Err(e) = check_io_json(&body, &app.signature, "request") {
        return error(StatusCode::BAD_REQUEST, format!("{e:#}"));
    }
    let work = tokio::task::spawn_blocking(move || -> Result<Value, String> {
        let io =
            IoJson::parse(body.to_string().as_bytes(), "request").map_err(|e| e.to_string())?;
        let names = app.model.input_names();
        let inputs = io.inputs_for(&names).map_err(|e| e.to_string())?;
        let outputs = app.model.predict(&inputs).map_err(|e| e.to_string())?;
        let outputs: Vec<Value> = app
            .model
            .output_names()
            .iter()
            .zip(&outputs)
            .map(|(n, t)| IoTensor::from_tensor(n, t).to_value())
            .collect();
        Ok(json!({"outputs": outputs}))
    });
    match work.await {
        Ok(Ok(v)) => (StatusCode::OK, Json(v)),
        Ok(Err(e)) => error(StatusCode::BAD_REQUEST, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model_dir = args.next().ok_or("usage: serve_predict MODEL_DIR [ADDR]")?;
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3000".into());

    let mut router = tfjs_io::Router::new();
    router.register(Arc::new(FileStore::new()));
    let (store, url) = router.resolve(&format!("file://{model_dir}"))?;
    let artifacts = store.load(&url).await?;
    let model = Model::from_artifacts(&artifacts, &LoadOptions::default())?;
    let signature = Signature::of_model(&model, artifacts.model_topology.as_ref());
    println!("{}", signature.expects());

    let app = Router::new()
        .route("/predict", post(predict))
        .with_state(Arc::new(App { model, signature }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("POST http://{}/predict", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

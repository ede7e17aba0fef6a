//! `tfjs demo`: build a small model in Rust, save it to every local scheme,
//! list, load each back and check that the predictions agree.

use crate::Ctx;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tfjs_format::codec::{DecodedWeight, TensorValues};
use tfjs_io::management::list_models;
use tfjs_io::{file::FileStore, Router};
use tfjs_layers::builder::Sequential;
use tfjs_layers::{LayerRegistry, LoadOptions, Model, Tensor};

const LONG: &str = "\
Build the model of the browser captures in Rust (Sequential 'my_model':
Dense(3, relu, inputShape [4]) -> Dense(2, softmax), fixed weights), save it
to localstorage://my-model-1, indexeddb://my-model-1, downloads://my-model-1
and file://, list the models, load each one back and check that every copy
predicts exactly what the original does (and what TensorFlow.js 4.22
predicted in Chromium for the same weights).

Everything goes to a temporary profile that is deleted afterwards, unless
--in-profile is given (then the --profile / $TFJS_HOME profile and the
downloads directory are used and kept).

Examples:
  tfjs demo
  tfjs --profile /tmp/p demo --in-profile && tfjs --profile /tmp/p ls";

/// Arguments of `tfjs demo`.
#[derive(Debug, clap::Args)]
#[command(about = "Save a small Rust-built model to every local scheme and load it back", long_about = LONG)]
pub struct Args {
    /// Use the real profile (--profile / $TFJS_HOME / default) and downloads
    /// directory instead of a temporary one, and keep what is written.
    #[arg(long)]
    pub in_profile: bool,
}

/// The capture's input and TensorFlow.js's prediction (browser
/// fixtures, model/model.json).
const INPUT: [f32; 8] = [1.0, 2.0, 3.0, 4.0, -1.0, 0.5, 2.0, -3.0];
const TFJS_PREDICTION: [f64; 4] = [
    0.020645931363105774,
    0.9793540239334106,
    0.7185943722724915,
    0.28140559792518616,
];

fn weight(name: &str, shape: &[usize], values: &[f32]) -> DecodedWeight {
    DecodedWeight {
        name: name.to_string(),
        shape: shape.to_vec(),
        values: TensorValues::Float32(values.to_vec()),
        group: None,
    }
}

/// The browser captures' `my_model` with its fixed weights.
pub fn build_model() -> anyhow::Result<Model> {
    let reg = LayerRegistry::with_builtins();
    let d1 = reg.create(
        "Dense",
        json!({"units": 3, "activation": "relu", "name": "dense_1"}),
    )?;
    let d2 = reg.create(
        "Dense",
        json!({"units": 2, "activation": "softmax", "name": "dense_2"}),
    )?;
    let mut model = Sequential::new()
        .name("my_model")
        .input_shape(&[4])
        .add(d1)
        .add(d2)
        .build(42)?;
    model.load_weights(
        &[
            weight(
                "dense_1/kernel",
                &[4, 3],
                &[
                    0.5, -0.25, 0.125, 0.75, 0.5, -0.5, -0.125, 0.25, 1.0, 0.375, -0.75, 0.625,
                ],
            ),
            weight("dense_1/bias", &[3], &[0.125, -0.25, 0.0625]),
            weight(
                "dense_2/kernel",
                &[3, 2],
                &[1.0, -1.0, 0.5, 0.25, -0.75, 1.5],
            ),
            weight("dense_2/bias", &[2], &[0.0625, -0.125]),
        ],
        true,
    )?;
    Ok(model)
}

fn predict(model: &Model) -> anyhow::Result<Vec<f32>> {
    let x = Tensor::from_f32(vec![2, 4], INPUT.to_vec())?;
    let out = model.predict(&[x])?;
    Ok(out
        .first()
        .context("the model has no output")?
        .to_f32()
        .into_owned())
}

/// Run `tfjs demo`.
pub async fn run(a: Args, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let mut temp: Option<PathBuf> = None;
    let (router, files_dir) = if a.in_profile {
        let profile = tfjs_store::ProfileOptions::new().open_lazy()?;
        (ctx.router.clone(), profile.dir().join("demo-files"))
    } else {
        let dir = std::env::temp_dir().join(format!("tfjs-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        temp = Some(dir.clone());
        let profile = tfjs_store::ProfileOptions::new()
            .profile_dir(dir.join("profile"))
            .downloads_dir(dir.join("downloads"))
            .open()?;
        let mut r = Router::new();
        tfjs_store::register(&mut r, &profile);
        r.register(Arc::new(FileStore::new()));
        (r, dir.join("files"))
    };
    let result = demo(&router, &files_dir, ctx.json).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    match result {
        // `tfjs demo | head -c1`: the reader is gone; end quietly (SIGPIPE
        // is ignored for demo so that the temporary profile is removed).
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
    }
}

/// Write `text` to stdout; a closed stdout is an `io::Error` (BrokenPipe)
/// instead of `println!`'s panic.
fn out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

async fn demo(
    router: &Router,
    files_dir: &std::path::Path,
    json_out: bool,
) -> anyhow::Result<ExitCode> {
    let model = build_model()?;
    let expected = predict(&model)?;
    let artifacts = model.to_artifacts()?;
    let file_url = format!("file://{}", files_dir.join("my-model-1").display());
    let urls = [
        "localstorage://my-model-1".to_string(),
        "indexeddb://my-model-1".to_string(),
        "downloads://my-model-1".to_string(),
        file_url.clone(),
    ];
    let mut report = json!({"saved": {}, "loaded": {}});
    let say = |s: String| -> anyhow::Result<()> {
        if !json_out {
            out(&format!("{s}\n"))?;
        }
        Ok(())
    };
    say(format!(
        "built Sequential 'my_model' in Rust: {} weights, {} weight bytes",
        artifacts.weight_specs.len(),
        artifacts.weight_data.len()
    ))?;
    for url in &urls {
        let r = router
            .save(url, &artifacts)
            .await
            .with_context(|| format!("cannot save to {url}"))?;
        let i = &r.model_artifacts_info;
        report["saved"][url] = i.to_json_value();
        say(format!(
            "saved {url}: modelTopologyBytes={}, weightSpecsBytes={}, weightDataBytes={}, dateSaved={}",
            i.model_topology_bytes, i.weight_specs_bytes, i.weight_data_bytes, i.date_saved
        ))?;
    }
    let mut listed = list_models(router, None).await?;
    listed.extend(list_models(router, Some(&format!("file://{}", files_dir.display()))).await?);
    if !json_out {
        out(&format!("\n{}\n", super::ls::table(&listed)))?;
    }
    report["listed"] = Value::Array(listed.iter().map(|(u, _)| json!(u)).collect());
    let mut all_agree = true;
    for url in &urls {
        let back = router
            .load(url)
            .await
            .with_context(|| format!("cannot load {url}"))?;
        let m = Model::from_artifacts(&back, &LoadOptions::default())
            .with_context(|| format!("cannot build the model loaded from {url}"))?;
        let p = predict(&m)?;
        let same = p == expected;
        all_agree &= same;
        report["loaded"][url] = json!({"prediction": p, "identical": same});
        say(format!(
            "loaded {url}: prediction {:?} {}",
            p,
            if same { "(identical)" } else { "(DIFFERENT)" }
        ))?;
    }
    let max_diff = expected
        .iter()
        .zip(TFJS_PREDICTION)
        .map(|(a, b)| (*a as f64 - b).abs())
        .fold(0.0, f64::max);
    report["tfjsPrediction"] = json!(TFJS_PREDICTION);
    report["maxDiffFromTfjs"] = json!(max_diff);
    say(format!(
        "TensorFlow.js 4.22 (Chromium) predicted {TFJS_PREDICTION:?}; largest difference {max_diff:e}"
    ))?;
    if json_out {
        out(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    }
    if !all_agree {
        bail!("a reloaded copy predicts differently from the original");
    }
    if max_diff > 1e-6 {
        bail!("the predictions differ from TensorFlow.js's by {max_diff:e}");
    }
    say("all copies agree".to_string())?;
    Ok(ExitCode::SUCCESS)
}

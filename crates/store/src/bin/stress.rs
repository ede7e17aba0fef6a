//! Test helper for tests/concurrency.rs: one process that saves, loads or
//! moves models in a shared profile and exits non-zero if it ever sees a
//! torn model.
//!
//! Usage: `tfjs-store-stress PROFILE_DIR writer|reader|mover ID ITERATIONS`
//!
//! Every model written has a marker `k`: its topology is named `m-<k>`, its
//! one weight has `100 + k % 50` float32 elements, and every weight byte is
//! `k % 251`. A reader checks that all three agree, so a model mixing two
//! saves is detected.

use std::process::ExitCode;
use std::sync::Arc;
use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
use tfjs_io::{management, IoError, Router};
use tfjs_store::{IndexedDbStore, LocalStorageStore, ProfileOptions};

fn model(k: u64) -> ModelArtifacts {
    let n = 100 + (k % 50) as usize;
    ModelArtifacts {
        model_topology: Some(serde_json::json!({
            "class_name": "Sequential",
            "config": {"name": format!("m-{k}"), "layers": []}
        })),
        weight_specs: vec![WeightSpec::new("w", vec![n], DType::Float32)],
        weight_data: WeightData::from_vec(vec![(k % 251) as u8; n * 4]),
        format: Some("layers-model".into()),
        ..Default::default()
    }
}

fn check(a: &ModelArtifacts, what: &str) -> Result<(), String> {
    let name = a
        .model_topology
        .as_ref()
        .and_then(|t| t["config"]["name"].as_str())
        .ok_or(format!("{what}: no topology name"))?;
    let k: u64 = name
        .strip_prefix("m-")
        .and_then(|s| s.parse().ok())
        .ok_or(format!("{what}: bad name {name}"))?;
    let n = 100 + (k % 50) as usize;
    let data = a.weight_data.contiguous();
    if a.weight_specs.len() != 1 || a.weight_specs[0].shape != vec![n] {
        return Err(format!(
            "{what}: torn model: {name} with specs {:?}",
            a.weight_specs
        ));
    }
    if data.len() != n * 4 || data.iter().any(|&b| b != (k % 251) as u8) {
        return Err(format!(
            "{what}: torn model: {name} with {} weight bytes of the wrong content",
            data.len()
        ));
    }
    Ok(())
}

fn run(dir: &str, role: &str, id: u64, iterations: u64) -> Result<(), String> {
    let profile = ProfileOptions::new()
        .profile_dir(dir)
        .downloads_dir(format!("{dir}/downloads"))
        .open()
        .map_err(|e| e.to_string())?;
    let ls = LocalStorageStore::new(profile.clone());
    let idb = IndexedDbStore::new(profile.clone());
    match role {
        "writer" => {
            for i in 0..iterations {
                let m = model(id * 1000 + i);
                ls.save_sync("shared", &m).map_err(|e| e.to_string())?;
                idb.save_sync("shared", &m).map_err(|e| e.to_string())?;
            }
        }
        "reader" => {
            for _ in 0..iterations {
                for (what, r) in [
                    ("localstorage://shared", ls.load_sync("shared")),
                    ("indexeddb://shared", idb.load_sync("shared")),
                ] {
                    match r {
                        Ok(a) => check(&a, what)?,
                        Err(IoError::NotFound { .. }) => {}
                        Err(e) => return Err(format!("{what}: {e}")),
                    }
                }
                for (path, info) in idb.list_sync("").map_err(|e| e.to_string())? {
                    if info.weight_data_bytes % 4 != 0 {
                        return Err(format!("indexeddb://{path}: bad info {info:?}"));
                    }
                }
            }
        }
        "mover" => {
            let mut router = Router::new();
            tfjs_store::register(&mut router, &profile);
            router.register(Arc::new(tfjs_io::file::FileStore::new()));
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                for i in 0..iterations {
                    let k = id * 1000 + i;
                    let a = format!("localstorage://mv-{id}");
                    let b = format!("indexeddb://mv-{id}");
                    router
                        .save(&a, &model(k))
                        .await
                        .map_err(|e| e.to_string())?;
                    management::move_model(&router, &a, &b)
                        .await
                        .map_err(|e| e.to_string())?;
                    let back = router.load(&b).await.map_err(|e| e.to_string())?;
                    check(&back, &b)?;
                    if router.load(&a).await.is_ok() {
                        return Err(format!("{a} still exists after the move"));
                    }
                    // The shared model too: moved out and back.
                    match management::copy_model(&router, "indexeddb://shared", &a).await {
                        Ok(_) | Err(IoError::NotFound { .. }) => {}
                        Err(e) => return Err(e.to_string()),
                    }
                    if let Ok(c) = router.load(&a).await {
                        check(&c, &a)?;
                        management::remove_model(&router, &a)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                }
                Ok::<(), String>(())
            })?;
        }
        other => return Err(format!("unknown role {other}")),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: tfjs-store-stress PROFILE_DIR writer|reader|mover ID ITERATIONS");
        return ExitCode::from(2);
    }
    let (Ok(id), Ok(n)) = (args[3].parse(), args[4].parse()) else {
        eprintln!("ID and ITERATIONS must be numbers");
        return ExitCode::from(2);
    };
    match run(&args[1], &args[2], id, n) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{} {} {}: {e}", args[2], args[3], args[1]);
            ExitCode::FAILURE
        }
    }
}

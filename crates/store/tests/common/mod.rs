//! Shared helpers: fixture paths, browser storage dumps, profiles in temp dirs.
#![allow(dead_code)]

use base64::Engine;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tfjs_format::manifest::weight_specs_from_value;
use tfjs_format::{ModelArtifacts, ModelJson, WeightData};
use tfjs_io::file::FileStore;
use tfjs_io::Router;
use tfjs_store::{Profile, ProfileOptions};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

pub fn browser(rel: &str) -> PathBuf {
    fixtures().join("browser").join(rel)
}

pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `storageAfter` (or top-level) storage object of a dump file.
pub fn storage_of(dump: &Value) -> &Value {
    dump.get("storageAfter").unwrap_or(dump)
}

/// localStorage items `(key, value)` of a browser dump, in dump order.
pub fn dump_local_storage(dump: &Value) -> Vec<(String, String)> {
    storage_of(dump)["localStorage"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["key"].as_str().unwrap().to_string(),
                i["value"].as_str().expect("full value in dump").to_string(),
            )
        })
        .collect()
}

/// Records of IndexedDB object store `name` (`model_info_store`, `models_store`).
pub fn dump_idb_records(dump: &Value, name: &str) -> Vec<Value> {
    let dbs = storage_of(dump)["indexedDB"]["databases"]
        .as_array()
        .unwrap();
    for db in dbs {
        for st in db["objectStores"].as_array().unwrap() {
            if st["name"] == name {
                return st["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["value"].clone())
                    .collect();
            }
        }
    }
    Vec::new()
}

/// Replace `dateSaved` in a JSON info text, keeping everything else byte for byte.
pub fn undate(info_text: &str) -> String {
    let mut v: Value = serde_json::from_str(info_text).unwrap();
    v["dateSaved"] = Value::String("<date>".into());
    serde_json::to_string(&v).unwrap()
}

/// Build artifacts of model `path` straight from a browser dump's five
/// localStorage values (independently of the store's own loader).
pub fn artifacts_from_dump(dump: &Value, path: &str) -> ModelArtifacts {
    let items = dump_local_storage(dump);
    let get = |suffix: &str| {
        let key = format!("tensorflowjs_models/{path}/{suffix}");
        items
            .iter()
            .find(|(k, _)| *k == key)
            .unwrap_or_else(|| panic!("dump has no {key}"))
            .1
            .clone()
    };
    let topology: Value = serde_json::from_str(&get("model_topology")).unwrap();
    let specs: Value = serde_json::from_str(&get("weight_specs")).unwrap();
    let meta: Value = serde_json::from_str(&get("model_metadata")).unwrap();
    let data = base64::engine::general_purpose::STANDARD
        .decode(get("weight_data"))
        .unwrap();
    ModelArtifacts {
        model_topology: Some(topology),
        weight_specs: weight_specs_from_value(&specs, "dump").unwrap(),
        weight_data: WeightData::from_vec(data),
        format: meta["format"].as_str().map(String::from),
        generated_by: meta["generatedBy"].as_str().map(String::from),
        converted_by: meta.get("convertedBy").cloned(),
        user_defined_metadata: meta.get("userDefinedMetadata").cloned(),
        training_config: meta.get("trainingConfig").cloned(),
        ..Default::default()
    }
}

/// The state after the browser saved both models (dump 04).
pub fn dump04() -> Value {
    read_json(&browser("storage/04-after-save-compiled-model.json"))
}

/// The browser's saved `my-model-1` (dump 04).
pub fn my_model_1() -> ModelArtifacts {
    artifacts_from_dump(&dump04(), "my-model-1")
}

/// `got` holds the same weight bytes as `want`, however they are split
/// into buffers.
#[track_caller]
pub fn assert_same_weight_bytes(got: &ModelArtifacts, want: &ModelArtifacts) {
    assert_eq!(got.weight_data.contiguous(), want.weight_data.contiguous());
}

/// A model.json + weight files read from disk with the format crate only.
pub fn artifacts_from_files(json: &Path) -> ModelArtifacts {
    let bytes = std::fs::read(json).unwrap();
    let mj = ModelJson::parse(&bytes, &json.display().to_string()).unwrap();
    let dir = json.parent().unwrap();
    let mut buffers = Vec::new();
    for g in mj.weights_manifest.as_ref().unwrap() {
        for p in &g.paths {
            let name = p.rsplit('/').next().unwrap();
            buffers.push(bytes::Bytes::from(std::fs::read(dir.join(name)).unwrap()));
        }
    }
    mj.into_artifacts(WeightData { buffers })
}

pub struct TestProfile {
    pub dir: tempfile::TempDir,
    pub profile: Profile,
    pub router: Router,
}

impl TestProfile {
    pub fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }
}

/// A fresh profile in a temp dir with the three stores plus file://.
pub fn test_profile() -> TestProfile {
    test_profile_with(|o| o)
}

pub fn test_profile_with(f: impl FnOnce(ProfileOptions) -> ProfileOptions) -> TestProfile {
    let dir = tempfile::tempdir().unwrap();
    let opts = ProfileOptions::new()
        .profile_dir(dir.path().join("profile"))
        .downloads_dir(dir.path().join("downloads"));
    let profile = f(opts).open().unwrap();
    let mut router = Router::new();
    tfjs_store::register(&mut router, &profile);
    router.register(Arc::new(FileStore::new()));
    TestProfile {
        dir,
        profile,
        router,
    }
}

/// The model paths of a store's listing, in its order.
pub fn listed_paths(listing: Vec<(String, tfjs_format::ModelArtifactsInfo)>) -> Vec<String> {
    listing.into_iter().map(|(p, _)| p).collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

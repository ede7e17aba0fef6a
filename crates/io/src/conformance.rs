//! The [`ModelStore`] contract as a test suite every store runs (after
//! object_store's `integration.rs`): each function exercises one part of
//! the contract on a fresh URL and panics, naming the store, when the store
//! breaks it. A store's own tests call [`run`] with what it supports.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use tfjs_io::{conformance, memory::MemoryStore};
//! conformance::run(&MemoryStore::new(), "memory://conf", conformance::Supports::ALL).await;
//! # });
//! ```

use crate::management::verify_same;
use crate::{IoError, ModelStore, ModelUrl, Result};
use async_trait::async_trait;
use std::future::Future;
use std::pin::Pin;
use tfjs_format::{DType, ModelArtifacts, ModelArtifactsInfo, SaveResult, WeightData, WeightSpec};

/// What a store supports beyond load and save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supports {
    /// `list`, with the URL prefix under which the suite's models appear.
    pub list: Option<&'static str>,
    /// `remove` and `remove_if_unchanged`.
    pub remove: bool,
    /// `save_new` (create-only).
    pub save_new: bool,
}

impl Supports {
    /// Everything; `list` over the whole scheme (`""` = the base URL's
    /// scheme root).
    pub const ALL: Supports = Supports {
        list: Some(""),
        remove: true,
        save_new: true,
    };
}

/// A small model whose weight bytes depend on `seed`: a Dense layer's
/// float32 kernel and bias and an int32 weight.
pub fn sample_model(seed: u8) -> ModelArtifacts {
    let kernel: Vec<f32> = (0..6)
        .map(|i| (i as f32 - 2.5) * (seed as f32 + 1.0))
        .collect();
    let mut bytes: Vec<u8> = kernel.iter().flat_map(|x| x.to_le_bytes()).collect();
    bytes.extend(
        [0.5f32 * seed as f32, -1.0]
            .iter()
            .flat_map(|x| x.to_le_bytes()),
    );
    bytes.extend(7i32.wrapping_mul(seed as i32).to_le_bytes());
    ModelArtifacts {
        model_topology: Some(serde_json::json!({"class_name": "Sequential", "config": {
            "name": format!("conformance_{seed}"),
            "layers": [{"class_name": "Dense", "config": {"name": "dense", "units": 2}}]}})),
        weight_specs: vec![
            WeightSpec::new("dense/kernel", vec![3, 2], DType::Float32),
            WeightSpec::new("dense/bias", vec![2], DType::Float32),
            WeightSpec::new("dense/step", vec![], DType::Int32),
        ],
        weight_data: WeightData::from_vec(bytes),
        format: Some("layers-model".into()),
        generated_by: Some("tfjs-rs conformance".into()),
        converted_by: Some(serde_json::Value::Null),
        user_defined_metadata: Some(serde_json::json!({"seed": seed})),
        ..Default::default()
    }
}

fn url(s: &str) -> ModelUrl {
    ModelUrl::parse(s).unwrap_or_else(|e| panic!("conformance URL {s}: {e}"))
}

async fn assert_holds(store: &dyn ModelStore, u: &str, want: &ModelArtifacts, when: &str) {
    let got = store
        .load(&url(u))
        .await
        .unwrap_or_else(|e| panic!("{u}: {when}: load failed: {e}"));
    if let Err(diff) = verify_same(want, &got) {
        panic!("{u}: {when}: the store holds another model: {diff}");
    }
}

async fn assert_absent(store: &dyn ModelStore, u: &str, when: &str) {
    match store.load(&url(u)).await {
        Err(IoError::NotFound { .. }) => {}
        Err(e) => panic!("{u}: {when}: expected NotFound, got {e:?}"),
        Ok(_) => panic!("{u}: {when}: a model is still there"),
    }
}

/// Save, load back the same model; save another over it, load that.
pub async fn save_load(store: &dyn ModelStore, u: &str) {
    let (a, b) = (sample_model(1), sample_model(2));
    let info = store.save(&url(u), &a).await.unwrap().model_artifacts_info;
    assert_eq!(info.weight_data_bytes, a.weight_data.len() as u64, "{u}");
    assert_holds(store, u, &a, "after a save").await;
    store.save(&url(u), &b).await.unwrap();
    assert_holds(store, u, &b, "after a second save").await;
}

/// A refused save (weight bytes that do not match the specs; an HTML page
/// of exactly the right length as weights) leaves the stored model as it
/// was.
pub async fn refused_saves_change_nothing(store: &dyn ModelStore, u: &str) {
    let a = sample_model(3);
    store.save(&url(u), &a).await.unwrap();
    let mut short = sample_model(4);
    short.weight_data = WeightData::from_vec(vec![0; 7]);
    let e = store.save(&url(u), &short).await.unwrap_err();
    assert!(e.to_string().contains("need"), "{u}: {e}");
    assert_holds(store, u, &a, "after a refused short save").await;

    let mut page = b"<!DOCTYPE html><html><body>Not Found".to_vec();
    page.resize(a.weight_data.len() - 7, b' ');
    page.extend_from_slice(b"</html>");
    let mut html = sample_model(5);
    html.weight_data = WeightData::from_vec(page);
    let e = store.save(&url(u), &html).await.unwrap_err();
    assert!(e.to_string().contains("HTML"), "{u}: {e}");
    assert_holds(store, u, &a, "after a refused HTML save").await;
}

/// `save_new` creates once; a second one fails with AlreadyExists and
/// leaves the first model.
pub async fn save_new(store: &dyn ModelStore, u: &str) {
    let (a, b) = (sample_model(6), sample_model(7));
    store.save_new(&url(u), &a).await.unwrap();
    match store.save_new(&url(u), &b).await {
        Err(IoError::AlreadyExists { .. }) => {}
        other => panic!("{u}: second save_new: expected AlreadyExists, got {other:?}"),
    }
    assert_holds(store, u, &a, "after a refused save_new").await;
}

/// `list` under `prefix` shows the model at `u` with its byte counts.
pub async fn list(store: &dyn ModelStore, prefix: &str, u: &str) {
    let a = sample_model(8);
    store.save(&url(u), &a).await.unwrap();
    let listed = store.list(&url(prefix)).await.unwrap();
    let found = listed.iter().find(|(l, _)| l.trim_end_matches('/') == u);
    let Some((_, info)) = found else {
        panic!("{prefix}: {u} is not listed: {listed:?}");
    };
    assert_eq!(info.weight_data_bytes, a.weight_data.len() as u64, "{u}");
}

/// `remove` returns the info and the model is gone; a second remove and a
/// load fail with NotFound.
pub async fn remove(store: &dyn ModelStore, u: &str) {
    let a = sample_model(9);
    store.save(&url(u), &a).await.unwrap();
    let info = store.remove(&url(u)).await.unwrap();
    assert_eq!(info.weight_data_bytes, a.weight_data.len() as u64, "{u}");
    assert_absent(store, u, "after remove").await;
    match store.remove(&url(u)).await {
        Err(IoError::NotFound { .. }) => {}
        other => panic!("{u}: second remove: expected NotFound, got {other:?}"),
    }
}

/// Compare-and-delete: a model replaced since it was read is kept
/// (Changed); the model that is still there is removed.
pub async fn remove_if_unchanged(store: &dyn ModelStore, u: &str) {
    let (a, b) = (sample_model(10), sample_model(11));
    store.save(&url(u), &a).await.unwrap();
    store.save(&url(u), &b).await.unwrap();
    match store.remove_if_unchanged(&url(u), &a).await {
        Err(IoError::Changed { .. }) => {}
        other => {
            panic!("{u}: remove_if_unchanged of a replaced model: expected Changed, got {other:?}")
        }
    }
    assert_holds(store, u, &b, "after a refused compare-and-delete").await;
    store.remove_if_unchanged(&url(u), &b).await.unwrap();
    assert_absent(store, u, "after compare-and-delete").await;
}

/// Writes raw model.json bytes at the suite's URL (store-specific).
pub type RawWriter<'a> = &'a (dyn Fn(Vec<u8>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Sync);

/// Manifest paths every store must refuse, whatever its path syntax.
pub const UNSAFE_WEIGHT_PATHS: &[&str] = &[
    "../weights.bin",
    "/etc/passwd",
    "C:weights.bin",
    "https://evil.example/w.bin",
    "a//weights.bin",
    "a\\weights.bin",
    "",
];

/// A store that reads manifest paths refuses every unsafe one with an
/// error that quotes it. `write` puts raw model.json bytes at `u`.
pub async fn refuses_unsafe_paths(store: &dyn ModelStore, u: &str, write: RawWriter<'_>) {
    for p in UNSAFE_WEIGHT_PATHS {
        let json = serde_json::json!({
            "modelTopology": {"class_name": "Sequential", "config": {"layers": []}},
            "weightsManifest": [{"paths": [p], "weights": [{"name": "w", "shape": [1], "dtype": "float32"}]}],
        });
        write(serde_json::to_vec(&json).unwrap()).await;
        let e = store
            .load(&url(u))
            .await
            .err()
            .unwrap_or_else(|| panic!("{u}: weight path {p:?} was accepted"));
        let quoted = format!("{p:?}");
        assert!(e.to_string().contains(&quoted), "{u}: {p:?}: {e}");
    }
}

/// Every generic part of the contract, each on its own URL `BASE-NAME`.
pub async fn run(store: &dyn ModelStore, base: &str, supports: Supports) {
    save_load(store, &format!("{base}-roundtrip")).await;
    refused_saves_change_nothing(store, &format!("{base}-refused")).await;
    if supports.save_new {
        save_new(store, &format!("{base}-create")).await;
    }
    if let Some(prefix) = supports.list {
        let prefix = if prefix.is_empty() {
            format!("{}://", url(base).scheme)
        } else {
            prefix.to_string()
        };
        list(store, &prefix, &format!("{base}-listed")).await;
    }
    if supports.remove {
        remove(store, &format!("{base}-removed")).await;
        remove_if_unchanged(store, &format!("{base}-cas")).await;
    }
}

/// A store whose loads hand back the wrapped store's model with its last
/// weight byte flipped, what a corrupting store or network would do; saves,
/// listings and removals go to the wrapped store unchanged. For tests of
/// what a move does when its copy reads back different.
#[derive(Debug)]
pub struct FlipOnLoad<S>(pub S);

#[async_trait]
impl<S: ModelStore> ModelStore for FlipOnLoad<S> {
    fn scheme(&self) -> &str {
        self.0.scheme()
    }
    async fn load(&self, url: &ModelUrl) -> Result<ModelArtifacts> {
        let mut a = self.0.load(url).await?;
        let mut bytes = a.weight_data.contiguous().into_owned();
        if let Some(b) = bytes.last_mut() {
            *b ^= 1;
        }
        a.weight_data = WeightData::from_vec(bytes);
        Ok(a)
    }
    async fn save(&self, url: &ModelUrl, a: &ModelArtifacts) -> Result<SaveResult> {
        self.0.save(url, a).await
    }
    async fn list(&self, prefix: &ModelUrl) -> Result<Vec<(String, ModelArtifactsInfo)>> {
        self.0.list(prefix).await
    }
    async fn remove(&self, url: &ModelUrl) -> Result<ModelArtifactsInfo> {
        self.0.remove(url).await
    }
}

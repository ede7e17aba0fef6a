//! The version catalog: which models and versions exist, their served
//! model.json bytes, and the content-addressed blob index.
//!
//! Layout in the backing store (any [`ModelStore`] that can save, load, list
//! and remove): every version is an ordinary model at `<root>/<NAME>/v<N>`.
//! Nothing else is written; the blob index (`sha256 → (model, version,
//! offset, length)`) and the catalog are rebuilt in memory at startup by
//! listing the root and hashing each version's weights, and kept up to date
//! by uploads and deletes. Versions are immutable once written.

use bytes::Bytes;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tfjs_format::{
    JsonStyle, ModelArtifacts, ModelArtifactsInfo, ModelJson, WeightData, WeightsManifestGroup,
};
use tfjs_io::{IoError, ModelStore, ModelUrl};

/// Weight bytes are served in shards of at most this many bytes (the
/// converter's default shard size), each a content-addressed blob.
pub const SHARD_SIZE: usize = 4 * 1024 * 1024;

/// One stored shard of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Lower-case hex sha256 of the shard bytes.
    pub sha256: String,
    /// Offset in the version's weight stream.
    pub offset: u64,
    pub len: u64,
}

/// One immutable version of a model.
#[derive(Debug, Clone)]
pub struct Version {
    pub number: u32,
    pub info: ModelArtifactsInfo,
    pub shards: Vec<Shard>,
    /// model.json as served at `/models/NAME/model.json` (blob paths `../../blobs/…`).
    pub latest_json: Bytes,
    /// model.json as served at `/models/NAME/vN/model.json` (blob paths `../../../blobs/…`).
    pub versioned_json: Bytes,
    /// Layer class names in topology order, with their layer names.
    pub layers: Vec<(String, String)>,
    pub format: Option<String>,
    pub generated_by: Option<String>,
    pub weight_count: usize,
}

impl Version {
    /// Total weight bytes.
    pub fn weight_bytes(&self) -> u64 {
        self.info.weight_data_bytes
    }
}

/// Where a blob's bytes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobLoc {
    pub model: String,
    pub version: u32,
    pub offset: u64,
    pub len: u64,
}

/// Models and versions, plus the blob index.
#[derive(Debug, Default)]
pub struct Catalog {
    pub models: BTreeMap<String, BTreeMap<u32, Arc<Version>>>,
    pub blobs: HashMap<String, Vec<BlobLoc>>,
}

impl Catalog {
    /// Add a version (and its blobs).
    pub fn insert(&mut self, name: &str, v: Arc<Version>) {
        for s in &v.shards {
            self.blobs
                .entry(s.sha256.clone())
                .or_default()
                .push(BlobLoc {
                    model: name.to_string(),
                    version: v.number,
                    offset: s.offset,
                    len: s.len,
                });
        }
        self.models
            .entry(name.to_string())
            .or_default()
            .insert(v.number, v);
    }

    /// Remove a version (and its blob locations). Returns it.
    pub fn remove(&mut self, name: &str, number: u32) -> Option<Arc<Version>> {
        let versions = self.models.get_mut(name)?;
        let v = versions.remove(&number)?;
        if versions.is_empty() {
            self.models.remove(name);
        }
        for s in &v.shards {
            if let Some(locs) = self.blobs.get_mut(&s.sha256) {
                locs.retain(|l| !(l.model == name && l.version == number));
                if locs.is_empty() {
                    self.blobs.remove(&s.sha256);
                }
            }
        }
        Some(v)
    }

    /// The newest version of `name`.
    pub fn latest(&self, name: &str) -> Option<Arc<Version>> {
        self.models
            .get(name)
            .and_then(|vs| vs.values().next_back().cloned())
    }

    /// A given version of `name`.
    pub fn version(&self, name: &str, number: u32) -> Option<Arc<Version>> {
        self.models
            .get(name)
            .and_then(|vs| vs.get(&number).cloned())
    }

    /// The number the next upload of `name` gets.
    pub fn next_version(&self, name: &str) -> u32 {
        self.models
            .get(name)
            .and_then(|vs| vs.keys().next_back().copied())
            .unwrap_or(0)
            + 1
    }
}

/// Split `data` into shards of at most [`SHARD_SIZE`] bytes and hash them.
pub fn shard_and_hash(data: &WeightData) -> Vec<Shard> {
    let total = data.len() as u64;
    let mut shards = Vec::new();
    let mut offset = 0u64;
    while offset < total {
        let len = (total - offset).min(SHARD_SIZE as u64);
        let mut h = Sha256::new();
        // Hash across buffer boundaries without a copy of the whole stream.
        let mut pos = 0u64;
        for b in &data.buffers {
            let (bs, be) = (pos, pos + b.len() as u64);
            pos = be;
            let s = offset.max(bs);
            let e = (offset + len).min(be);
            if s < e {
                h.update(&b[(s - bs) as usize..(e - bs) as usize]);
            }
        }
        shards.push(Shard {
            sha256: hex::encode(h.finalize()),
            offset,
            len,
        });
        offset += len;
    }
    shards
}

/// The relative URL of a blob as seen from a model.json `depth` path
/// segments below the server root (`/models/NAME/model.json` is depth 2).
pub fn blob_path(sha256: &str, depth: usize) -> String {
    format!("{}blobs/sha256-{sha256}.bin", "../".repeat(depth))
}

/// The model.json served for `artifacts`, whose weights are `shards`.
pub fn served_model_json(artifacts: &ModelArtifacts, shards: &[Shard], depth: usize) -> Bytes {
    let group = WeightsManifestGroup {
        paths: shards.iter().map(|s| blob_path(&s.sha256, depth)).collect(),
        weights: artifacts.weight_specs.clone(),
        extra: Default::default(),
    };
    Bytes::from(ModelJson::from_artifacts(artifacts, vec![group]).to_bytes(JsonStyle::Browser))
}

/// `(class_name, name)` of every layer in a Keras-style topology.
pub fn layer_summary(topology: Option<&Value>) -> Vec<(String, String)> {
    let Some(mut t) = topology else {
        return Vec::new();
    };
    // Converter output may wrap the model as {"model_config": …, "training_config": …}.
    if let Some(mc) = t.get("model_config") {
        t = mc;
    }
    let config = t.get("config").unwrap_or(&Value::Null);
    let layers = config
        .get("layers")
        .or_else(|| config.as_array().map(|_| config))
        .and_then(Value::as_array);
    layers
        .map(|ls| {
            ls.iter()
                .map(|l| {
                    let class = l
                        .get("class_name")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string();
                    let name = l
                        .get("config")
                        .and_then(|c| c.get("name"))
                        .or_else(|| l.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    (class, name)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Build the catalog entry of a stored version.
pub fn make_version(number: u32, artifacts: &ModelArtifacts, info: ModelArtifactsInfo) -> Version {
    let shards = shard_and_hash(&artifacts.weight_data);
    Version {
        number,
        latest_json: served_model_json(artifacts, &shards, 2),
        versioned_json: served_model_json(artifacts, &shards, 3),
        layers: layer_summary(artifacts.model_topology.as_ref()),
        format: artifacts.format.clone(),
        generated_by: artifacts.generated_by.clone(),
        weight_count: artifacts.weight_specs.len(),
        info,
        shards,
    }
}

/// Info as JSON, with TensorFlow.js's key names.
pub fn info_json(info: &ModelArtifactsInfo) -> Value {
    json!({
        "dateSaved": info.date_saved,
        "modelTopologyType": info.model_topology_type,
        "modelTopologyBytes": info.model_topology_bytes,
        "weightSpecsBytes": info.weight_specs_bytes,
        "weightDataBytes": info.weight_data_bytes,
    })
}

/// The backing store plus a small cache of loaded versions' weights.
#[derive(Debug)]
pub struct Backend {
    pub store: Arc<dyn ModelStore>,
    /// Root URL, without a trailing slash (e.g. `file:///var/lib/tfjs/models`).
    pub root: String,
    cache: Mutex<WeightCache>,
}

#[derive(Debug, Default)]
struct WeightCache {
    entries: HashMap<(String, u32), (WeightData, u64)>,
    bytes: u64,
    tick: u64,
    budget: u64,
}

impl Backend {
    /// A backend over `store` rooted at `root`; up to `cache_bytes` of
    /// weights are kept in memory.
    pub fn new(store: Arc<dyn ModelStore>, root: &str, cache_bytes: u64) -> Backend {
        Backend {
            store,
            root: root.trim_end_matches('/').to_string(),
            cache: Mutex::new(WeightCache {
                budget: cache_bytes,
                ..Default::default()
            }),
        }
    }

    /// The store URL of a version.
    pub fn url(&self, name: &str, version: u32) -> Result<ModelUrl, IoError> {
        ModelUrl::parse(&format!("{}/{name}/v{version}", self.root))
    }

    /// Parse a listed URL back to `(name, version)`; `None` for anything
    /// that is not ours.
    pub fn parse_listed(&self, url: &str) -> Option<(String, u32)> {
        let rest = url.strip_prefix(&self.root)?.strip_prefix('/')?;
        let rest = rest.strip_suffix("/model.json").unwrap_or(rest);
        let rest = rest.trim_end_matches('/');
        let (name, v) = rest.split_once('/')?;
        let n: u32 = v.strip_prefix('v')?.parse().ok()?;
        (crate::valid_name(name).is_ok() && n > 0).then(|| (name.to_string(), n))
    }

    /// Rebuild the catalog from the store.
    pub async fn scan(&self) -> Result<Catalog, IoError> {
        let mut cat = Catalog::default();
        let root = ModelUrl::parse(&format!("{}/", self.root))?;
        let listed = match self.store.list(&root).await {
            Ok(l) => l,
            Err(IoError::Unsupported { .. }) => {
                tracing::warn!(root = %self.root, "the store cannot list models; starting with an empty catalog");
                return Ok(cat);
            }
            Err(IoError::NotFound { .. }) => return Ok(cat),
            Err(e) => return Err(e),
        };
        for (url, info) in listed {
            let Some((name, n)) = self.parse_listed(&url) else {
                tracing::debug!(%url, "ignoring a model that is not NAME/vN");
                continue;
            };
            let artifacts = match self.store.load(&self.url(&name, n)?).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!(%url, error = %e, "cannot load a stored version; skipping it");
                    continue;
                }
            };
            let v = make_version(n, &artifacts, info);
            self.cache_put(&name, n, artifacts.weight_data);
            cat.insert(&name, Arc::new(v));
        }
        Ok(cat)
    }

    /// Weight bytes of a version (cached).
    pub async fn weights(&self, name: &str, version: u32) -> Result<WeightData, IoError> {
        if let Some(w) = self.cache_get(name, version) {
            return Ok(w);
        }
        let a = self.store.load(&self.url(name, version)?).await?;
        self.cache_put(name, version, a.weight_data.clone());
        Ok(a.weight_data)
    }

    fn cache_get(&self, name: &str, version: u32) -> Option<WeightData> {
        let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        c.tick += 1;
        let tick = c.tick;
        let e = c.entries.get_mut(&(name.to_string(), version))?;
        e.1 = tick;
        Some(e.0.clone())
    }

    fn cache_put(&self, name: &str, version: u32, data: WeightData) {
        let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let size = data.len() as u64;
        if size > c.budget {
            return;
        }
        c.tick += 1;
        let tick = c.tick;
        if let Some(old) = c.entries.insert((name.to_string(), version), (data, tick)) {
            c.bytes -= old.0.len() as u64;
        }
        c.bytes += size;
        while c.bytes > c.budget {
            let Some(oldest) = c
                .entries
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((d, _)) = c.entries.remove(&oldest) {
                c.bytes -= d.len() as u64;
            }
        }
    }

    /// Forget a version's cached weights.
    pub fn cache_drop(&self, name: &str, version: u32) {
        let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((d, _)) = c.entries.remove(&(name.to_string(), version)) {
            c.bytes -= d.len() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_hash_across_buffer_boundaries() {
        let bytes: Vec<u8> = (0..(SHARD_SIZE + 10)).map(|i| (i % 251) as u8).collect();
        let one = WeightData::from_vec(bytes.clone());
        let split = WeightData {
            buffers: vec![
                Bytes::copy_from_slice(&bytes[..7]),
                Bytes::copy_from_slice(&bytes[7..SHARD_SIZE + 3]),
                Bytes::copy_from_slice(&bytes[SHARD_SIZE + 3..]),
            ],
        };
        let a = shard_and_hash(&one);
        assert_eq!(a, shard_and_hash(&split));
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].offset, SHARD_SIZE as u64);
        assert_eq!(a[1].len, 10);
        assert_eq!(
            a[1].sha256,
            hex::encode(Sha256::digest(&bytes[SHARD_SIZE..]))
        );
        assert!(shard_and_hash(&WeightData::default()).is_empty());
    }

    #[test]
    fn blob_paths_resolve_to_the_root() {
        assert_eq!(blob_path("ab", 2), "../../blobs/sha256-ab.bin");
        assert_eq!(blob_path("ab", 3), "../../../blobs/sha256-ab.bin");
    }

    #[test]
    fn layer_summary_reads_sequential_and_wrapped_topologies() {
        let t = json!({"class_name":"Sequential","config":{"name":"m","layers":[
            {"class_name":"Dense","config":{"name":"d1"}},{"class_name":"Dropout","config":{"name":"x"}}]}});
        assert_eq!(
            layer_summary(Some(&t)),
            vec![
                ("Dense".to_string(), "d1".to_string()),
                ("Dropout".to_string(), "x".to_string())
            ]
        );
        let w = json!({"model_config": t});
        assert_eq!(layer_summary(Some(&w)).len(), 2);
        assert!(layer_summary(None).is_empty());
    }
}

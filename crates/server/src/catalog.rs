//! The version catalog: which models and versions exist, their served
//! model.json bytes, and the content-addressed blob index.
//!
//! Layout in the backing store (any [`ModelStore`] that can save, load, list
//! and remove): every version is an ordinary model at `<root>/<NAME>/v<N>`.
//! Nothing else is written; the blob index (`sha256 → (model, version,
//! offset, length)`) and the catalog are rebuilt in memory at startup by
//! listing the root and hashing each version's weights, and kept up to date
//! by uploads and deletes. Versions are immutable once written.
//!
//! Several servers may share one store (e.g. `s3://bucket/models`): each
//! keeps its own catalog and [`Backend::refresh`] brings it up to date with
//! what the others wrote or deleted. A refresh lists the store and loads only
//! versions it has not seen (or whose listing changed, i.e. a number that was
//! deleted and re-used); known versions are never re-read or re-hashed.

use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tfjs_format::topology::walk_topology;
use tfjs_format::{
    JsonStyle, ModelArtifacts, ModelArtifactsInfo, ModelJson, WeightData, WeightsManifestGroup,
};
use tfjs_io::{IoError, ModelStore, ModelUrl};
use tokio::sync::RwLock;

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
    /// Inputs and outputs (empty when the topology does not say).
    pub io: crate::topology::ModelIo,
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

/// What a store listing says about one version: enough to tell whether the
/// version behind a number is still the one that was loaded (a number freed
/// by a delete can be claimed again by a different upload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub date_saved: String,
    pub weight_data_bytes: u64,
    pub model_topology_bytes: u64,
    pub weight_specs_bytes: u64,
}

impl Stamp {
    /// The stamp of a listed version.
    pub fn of(info: &ModelArtifactsInfo) -> Stamp {
        Stamp {
            date_saved: info.date_saved.clone(),
            weight_data_bytes: info.weight_data_bytes,
            model_topology_bytes: info.model_topology_bytes,
            weight_specs_bytes: info.weight_specs_bytes,
        }
    }

    /// Same sizes as `info` (dates differ between what a save reports and
    /// what a listing reports for the same object).
    fn same_sizes(&self, info: &ModelArtifactsInfo) -> bool {
        self.weight_data_bytes == info.weight_data_bytes
            && self.model_topology_bytes == info.model_topology_bytes
            && self.weight_specs_bytes == info.weight_specs_bytes
    }
}

/// Models and versions, plus the blob index.
#[derive(Debug, Default)]
pub struct Catalog {
    pub models: BTreeMap<String, BTreeMap<u32, Arc<Version>>>,
    pub blobs: HashMap<String, Vec<BlobLoc>>,
    /// Listing stamp of each version loaded by a refresh (absent for versions
    /// this server uploaded itself until a refresh confirms them).
    pub stamps: HashMap<(String, u32), Stamp>,
    /// Listed versions that could not be loaded, with their stamp (not
    /// retried until their listing changes).
    pub broken: HashMap<(String, u32), Stamp>,
    /// Bumped by every local change ([`Catalog::insert_local`], [`Catalog::remove_local`]).
    pub generation: u64,
    /// The generation of the last local change of each model name.
    pub touched: HashMap<String, u64>,
}

impl Catalog {
    /// Record a change made by this server to `name` (uploads, deletes), so
    /// that a refresh whose listing started earlier leaves that name alone.
    pub fn touch(&mut self, name: &str) {
        self.generation += 1;
        self.touched.insert(name.to_string(), self.generation);
    }

    /// Mark a version whose stored bytes no longer match the catalog, so the
    /// next refresh reloads it whatever its listing says (listing dates have
    /// whole-second resolution on S3: a number deleted and claimed again
    /// within the same second lists the same way).
    pub fn mark_stale(&mut self, name: &str, number: u32) {
        if self.version(name, number).is_some() {
            let stale = Stamp {
                date_saved: String::new(),
                weight_data_bytes: u64::MAX,
                model_topology_bytes: u64::MAX,
                weight_specs_bytes: u64::MAX,
            };
            self.stamps.insert((name.to_string(), number), stale);
        }
    }

    /// Add a version this server just stored, with its listing stamp if known.
    pub fn insert_local(&mut self, name: &str, v: Arc<Version>, stamp: Option<Stamp>) {
        let key = (name.to_string(), v.number);
        match stamp {
            Some(s) => self.stamps.insert(key, s),
            None => self.stamps.remove(&key),
        };
        self.insert(name, v);
        self.touch(name);
    }

    /// Remove a version this server just deleted.
    pub fn remove_local(&mut self, name: &str, number: u32) -> Option<Arc<Version>> {
        self.stamps.remove(&(name.to_string(), number));
        self.touch(name);
        self.remove(name, number)
    }

    /// Add a version (and its blobs), replacing one with the same number.
    pub fn insert(&mut self, name: &str, v: Arc<Version>) {
        self.remove(name, v.number);
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

/// `(class_name, name)` of every top-level layer in a Keras-style topology
/// (read by the one topology walker, `tfjs_format::topology`; a layer
/// without a name gets `""`).
pub fn layer_summary(topology: Option<&Value>) -> Vec<(String, String)> {
    let Some(t) = topology else {
        return Vec::new();
    };
    walk_topology(t)
        .layers
        .into_iter()
        .filter(|l| l.depth == 0)
        .map(|l| (l.class_name, l.name.unwrap_or_default()))
        .collect()
}

/// Build the catalog entry of a stored version.
pub fn make_version(number: u32, artifacts: &ModelArtifacts, info: ModelArtifactsInfo) -> Version {
    let io = crate::topology::inspect(artifacts).unwrap_or_else(|e| {
        tracing::debug!(version = number, error = %e, "cannot tell the inputs and outputs");
        Default::default()
    });
    make_version_with(number, artifacts, info, io)
}

/// [`make_version`] with the inputs and outputs already known.
pub fn make_version_with(
    number: u32,
    artifacts: &ModelArtifacts,
    info: ModelArtifactsInfo,
    io: crate::topology::ModelIo,
) -> Version {
    let shards = shard_and_hash(&artifacts.weight_data);
    Version {
        number,
        latest_json: served_model_json(artifacts, &shards, 2),
        versioned_json: served_model_json(artifacts, &shards, 3),
        layers: layer_summary(artifacts.model_topology.as_ref()),
        format: artifacts.format.clone(),
        generated_by: artifacts.generated_by.clone(),
        weight_count: artifacts.weight_specs.len(),
        io,
        info,
        shards,
    }
}

/// [`make_version`] on the blocking pool (hashing large weights takes a while).
pub async fn make_version_blocking(
    number: u32,
    artifacts: ModelArtifacts,
    info: ModelArtifactsInfo,
) -> Result<Version, IoError> {
    tokio::task::spawn_blocking(move || make_version(number, &artifacts, info))
        .await
        .map_err(|e| IoError::Other {
            message: format!("hashing the weights of version v{number}: {e}"),
        })
}

/// What one [`Backend::refresh`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Versions the store listed.
    pub listed: usize,
    /// Versions loaded (new, or re-created under a re-used number).
    pub loaded: usize,
    /// Versions dropped because the store no longer has them.
    pub removed: usize,
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

    /// Every `NAME/vN` version under `prefix` (a URL below the root), or
    /// `None` when the store cannot list.
    async fn list_under(
        &self,
        prefix: &str,
    ) -> Result<Option<Vec<(String, u32, ModelArtifactsInfo)>>, IoError> {
        let listed = match self.store.list(&ModelUrl::parse(prefix)?).await {
            Ok(l) => l,
            Err(IoError::Unsupported { .. }) => return Ok(None),
            Err(IoError::NotFound { .. }) => Vec::new(),
            Err(IoError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for (url, info) in listed {
            match self.parse_listed(&url) {
                Some((name, n)) => out.push((name, n, info)),
                None => tracing::debug!(%url, "ignoring a model that is not NAME/vN"),
            }
        }
        Ok(Some(out))
    }

    /// The version numbers of `name` the store holds now (empty when the
    /// store cannot list, or on a listing error, which is logged).
    pub async fn stored_versions(&self, name: &str) -> Vec<u32> {
        match self.list_under(&format!("{}/{name}/", self.root)).await {
            Ok(Some(l)) => l
                .into_iter()
                .filter(|(n, _, _)| n == name)
                .map(|(_, v, _)| v)
                .collect(),
            Ok(None) => Vec::new(),
            Err(e) => {
                tracing::warn!(model = %name, error = %e, "cannot list the stored versions");
                Vec::new()
            }
        }
    }

    /// The listing stamp of one stored version (`None` if the store cannot
    /// list it). Taken right after an upload, so that a later refresh knows
    /// the version is the one this server wrote.
    pub async fn stamp_of(&self, name: &str, number: u32) -> Option<Stamp> {
        let listed = self
            .list_under(&format!("{}/{name}/v{number}/", self.root))
            .await
            .ok()??;
        listed
            .into_iter()
            .find(|(n, v, _)| n == name && *v == number)
            .map(|(_, _, info)| Stamp::of(&info))
    }

    /// Rebuild the catalog from the store.
    pub async fn scan(&self) -> Result<Catalog, IoError> {
        let cat = RwLock::new(Catalog::default());
        if self.refresh(&cat).await?.is_none() {
            tracing::warn!(root = %self.root, "the store cannot list models; starting with an empty catalog");
        }
        Ok(cat.into_inner())
    }

    /// Bring `catalog` up to date with the store: load versions it lacks (or
    /// whose listing changed), drop versions the store no longer has. Known
    /// versions are not re-read. Names changed locally while the listing ran
    /// are left for the next refresh. `None` when the store cannot list.
    pub async fn refresh(
        &self,
        catalog: &RwLock<Catalog>,
    ) -> Result<Option<RefreshReport>, IoError> {
        let gen0 = catalog.read().await.generation;
        let Some(listed) = self.list_under(&format!("{}/", self.root)).await? else {
            return Ok(None);
        };
        let mut report = RefreshReport {
            listed: listed.len(),
            ..Default::default()
        };
        let mut to_load = Vec::new();
        let mut adopt = Vec::new();
        {
            let cat = catalog.read().await;
            for (name, n, info) in &listed {
                let key = (name.clone(), *n);
                let stamp = Stamp::of(info);
                if cat.broken.get(&key) == Some(&stamp) {
                    continue;
                }
                match (cat.version(name, *n), cat.stamps.get(&key)) {
                    (Some(_), Some(s)) if *s == stamp => {}
                    (Some(v), None) if stamp.same_sizes(&v.info) => adopt.push((key, stamp)),
                    _ => to_load.push((name.clone(), *n, info.clone())),
                }
            }
        }
        let loaded: Vec<_> =
            futures::stream::iter(to_load.into_iter().map(|(name, n, info)| async move {
                let r = match self.url(&name, n) {
                    Ok(u) => match self.store.load(&u).await {
                        Ok(a) => {
                            let data = a.weight_data.clone();
                            make_version_blocking(n, a, info.clone())
                                .await
                                .map(|v| (v, data))
                        }
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                };
                (name, n, info, r)
            }))
            .buffer_unordered(4)
            .collect()
            .await;

        let listed_keys: HashSet<(String, u32)> = listed
            .iter()
            .map(|(name, n, _)| (name.clone(), *n))
            .collect();
        let mut cat = catalog.write().await;
        let changed_locally =
            |cat: &Catalog, name: &str| cat.touched.get(name).is_some_and(|g| *g > gen0);
        for (key, stamp) in adopt {
            if !changed_locally(&cat, &key.0) {
                cat.stamps.insert(key, stamp);
            }
        }
        for (name, n, info, r) in loaded {
            if changed_locally(&cat, &name) {
                continue;
            }
            let key = (name.clone(), n);
            let stamp = Stamp::of(&info);
            match r {
                Ok((v, data)) => {
                    self.cache_drop(&name, n);
                    self.cache_put(&name, n, data);
                    cat.insert(&name, Arc::new(v));
                    cat.stamps.insert(key.clone(), stamp);
                    cat.broken.remove(&key);
                    report.loaded += 1;
                }
                Err(IoError::NotFound { .. }) => {
                    // Deleted between listing and loading.
                }
                Err(e) => {
                    tracing::error!(model = %name, version = n, error = %e, "cannot load a stored version; skipping it until it changes");
                    cat.broken.insert(key, stamp);
                }
            }
        }
        let gone: Vec<(String, u32)> = cat
            .models
            .iter()
            .flat_map(|(name, vs)| vs.keys().map(move |n| (name.clone(), *n)))
            .filter(|k| !listed_keys.contains(k))
            .collect();
        for (name, n) in gone {
            if changed_locally(&cat, &name) {
                continue;
            }
            cat.remove(&name, n);
            cat.stamps.remove(&(name.clone(), n));
            self.cache_drop(&name, n);
            report.removed += 1;
        }
        cat.broken.retain(|k, _| listed_keys.contains(k));
        Ok(Some(report))
    }

    /// Weight bytes of version `v` of `name`: from the cache, else read from
    /// the store and checked against `v`'s shard hashes. `Ok(None)` when the
    /// store now holds different bytes under that number (another server
    /// deleted the version and re-used its number): the catalog is stale.
    pub async fn weights(&self, name: &str, v: &Version) -> Result<Option<WeightData>, IoError> {
        if let Some(w) = self.cache_get(name, v.number) {
            return Ok(Some(w));
        }
        let a = self.store.load(&self.url(name, v.number)?).await?;
        let data = a.weight_data.clone();
        let shards = tokio::task::spawn_blocking(move || shard_and_hash(&data))
            .await
            .map_err(|e| IoError::Other {
                message: format!("hashing the weights of {name} v{}: {e}", v.number),
            })?;
        if shards != v.shards {
            tracing::warn!(model = %name, version = v.number, "the stored weights differ from the catalog's; it is stale");
            return Ok(None);
        }
        self.cache_put(name, v.number, a.weight_data.clone());
        Ok(Some(a.weight_data))
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
    use serde_json::json;

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
        // Only the top-level layers: a wrapper's or nested model's layers
        // are not listed.
        let n = json!({"class_name":"Model","config":{"layers":[
            {"class_name":"Bidirectional","config":{"name":"bi",
                "layer":{"class_name":"LSTM","config":{"name":"l"}}}},
            {"class_name":"Sequential","config":{"name":"inner","layers":[
                {"class_name":"Dense","config":{"name":"d"}}]}},
            {"class_name":"Dense"}]}});
        assert_eq!(
            layer_summary(Some(&n)),
            vec![
                ("Bidirectional".to_string(), "bi".to_string()),
                ("Sequential".to_string(), "inner".to_string()),
                ("Dense".to_string(), String::new())
            ]
        );
    }
}

//! `s3://`, `gs://` and `az://` model storage through the
//! [`object_store`](https://docs.rs/object_store) crate.
//!
//! A model at `s3://BUCKET/PREFIX` is the object `PREFIX/model.json` plus the
//! weight shards its manifest names, stored beside it. Object stores have no
//! rename, so a save is made atomic by ordering:
//!
//! 1. every shard is uploaded under a *content-addressed* name
//!    (`weights-<sha256 prefix>.bin`, multipart when large), so a new save
//!    never overwrites a shard an existing model.json points to;
//! 2. every shard is verified (`HEAD`: it exists with the expected size);
//! 3. `model.json` is written last, in one PUT: that single write is what makes
//!    the new model visible. A save killed before it leaves the old model (or
//!    nothing) visible, plus unreferenced shards;
//! 4. shards the previous model.json used and the new one does not are
//!    deleted. A reader that fetched the old model.json just before may then
//!    miss a shard; loads retry once from a fresh model.json in that case.
//!
//! [`ModelStore::save_new`] writes model.json with `PutMode::Create`
//! (`If-None-Match: *`), so two writers racing for one URL cannot both win:
//! the server uses it to claim version numbers on a shared bucket.
//!
//! Credentials, region and endpoint come from the usual environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, `GOOGLE_SERVICE_ACCOUNT`,
//! `AZURE_STORAGE_ACCOUNT_NAME`, …), as `object_store`'s `from_env` builders read them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tfjs_io::IoError> {
//! use std::sync::Arc;
//! use tfjs_cloud::CloudStore;
//! use tfjs_io::Router;
//! let mut router = Router::new();
//! router.register(Arc::new(CloudStore::new("s3")?));
//! let (store, url) = router.resolve("s3://my-bucket/models/mnist")?;
//! let artifacts = store.load(&url).await?;
//! println!("{} weights", artifacts.weight_specs.len());
//! # Ok(()) }
//! ```

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{
    path::Path as ObjPath, ObjectStore, PutMode, PutOptions, PutPayload, WriteMultipart,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tfjs_format::{
    JsonStyle, ModelArtifacts, ModelArtifactsInfo, ModelJson, SaveResult, WeightData,
    WeightsManifestGroup,
};
use tfjs_io::{IoError, ModelStore, ModelUrl, Result};

/// Shards larger than this are uploaded with multipart upload.
pub const MULTIPART_THRESHOLD: usize = 8 * 1024 * 1024;
/// Default shard size for saves (object stores prefer few, large objects).
pub const DEFAULT_SHARD_SIZE: usize = 32 * 1024 * 1024;
/// Shards fetched or uploaded at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Called with (bytes done, bytes total) as shards are fetched or uploaded.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A [`ModelStore`] for one object-store scheme (`s3`, `gs` or `az`).
#[derive(Clone)]
pub struct CloudStore {
    scheme: String,
    shard_size: usize,
    concurrency: usize,
    progress: Option<Progress>,
    /// One client per bucket, built on first use.
    clients: Arc<Mutex<HashMap<String, Arc<dyn ObjectStore>>>>,
}

impl std::fmt::Debug for CloudStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudStore")
            .field("scheme", &self.scheme)
            .field("shard_size", &self.shard_size)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl CloudStore {
    /// A store for `scheme` (`"s3"`, `"gs"` or `"az"`), configured from the environment.
    pub fn new(scheme: &str) -> Result<CloudStore> {
        if !matches!(scheme, "s3" | "gs" | "az") {
            return Err(IoError::invalid(format!(
                "object store scheme {scheme:?} is not supported: expected s3, gs or az"
            )));
        }
        Ok(CloudStore {
            scheme: scheme.to_string(),
            shard_size: DEFAULT_SHARD_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            progress: None,
            clients: Arc::default(),
        })
    }

    /// Use `client` for `bucket` instead of building one from the environment
    /// (tests, or custom credentials).
    pub fn with_client(self, bucket: &str, client: Arc<dyn ObjectStore>) -> Self {
        self.clients
            .lock()
            .expect("client map poisoned")
            .insert(bucket.to_string(), client);
        self
    }

    /// Shard size for saves (at least 1 byte).
    pub fn with_shard_size(mut self, bytes: usize) -> Self {
        self.shard_size = bytes.max(1);
        self
    }

    /// Parallel shard transfers (at least 1).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Report byte-level progress of loads and saves.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    fn client(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        let mut clients = self.clients.lock().expect("client map poisoned");
        if let Some(c) = clients.get(bucket) {
            return Ok(c.clone());
        }
        let url = format!("{}://{bucket}", self.scheme);
        let built: std::result::Result<Arc<dyn ObjectStore>, object_store::Error> =
            match self.scheme.as_str() {
                "s3" => object_store::aws::AmazonS3Builder::from_env()
                    .with_url(&url)
                    .build()
                    .map(|s| Arc::new(s) as _),
                "gs" => object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(&url)
                    .build()
                    .map(|s| Arc::new(s) as _),
                _ => object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(&url)
                    .build()
                    .map(|s| Arc::new(s) as _),
            };
        let client = built.map_err(|e| IoError::Other {
            message: format!("{url}: cannot configure the {} client: {e}", self.scheme),
        })?;
        clients.insert(bucket.to_string(), client.clone());
        Ok(client)
    }

    /// Split a URL into (client, bucket, model prefix).
    fn locate(&self, url: &ModelUrl) -> Result<(Arc<dyn ObjectStore>, Location)> {
        let loc = Location::parse(url)?;
        Ok((self.client(&loc.bucket)?, loc))
    }

    async fn read_model_json(
        &self,
        client: &dyn ObjectStore,
        loc: &Location,
    ) -> Result<Option<(ModelJson, Bytes)>> {
        let key = loc.key("model.json");
        match client.get(&key).await {
            Ok(r) => {
                let bytes = r.bytes().await.map_err(|e| obj_err(loc, "model.json", e))?;
                let json = ModelJson::parse(&bytes, &loc.display("model.json"))?;
                Ok(Some((json, bytes)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(obj_err(loc, "model.json", e)),
        }
    }

    async fn load_once(
        &self,
        client: &Arc<dyn ObjectStore>,
        loc: &Location,
    ) -> Result<ModelArtifacts> {
        let Some((json, _)) = self.read_model_json(client.as_ref(), loc).await? else {
            return Err(IoError::NotFound {
                url: loc.url(),
                message: format!(
                    "Cannot find model with path '{}': no model.json at {}",
                    loc.url(),
                    loc.display("model.json")
                ),
            });
        };
        let groups = json.weights_manifest.clone().unwrap_or_default();
        // Every shard path is untrusted: only plain relative names below the model.
        let mut jobs = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            let expected = group_stored_len(group)?;
            for (s, path) in group.paths.iter().enumerate() {
                jobs.push((g, s, safe_relative(path, &loc.url())?, expected));
            }
        }
        let total_known: u64 = groups
            .iter()
            .map(group_stored_len)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .sum();
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let requests: Vec<_> = jobs
            .into_iter()
            .map(|(g, s, path, _)| (g, s, loc.key(&path), loc.display(&path)))
            .collect();
        let progress = self.progress.clone();
        let fetched: Vec<(usize, usize, Bytes)> =
            futures::stream::iter(requests.into_iter().map(move |(g, s, key, display)| {
                let client = client.clone();
                let done = done.clone();
                let progress = progress.clone();
                async move {
                    let bytes = client
                        .get(&key)
                        .await
                        .map_err(|e| IoError::Other {
                            message: format!("weight shard {display}: {e}"),
                        })?
                        .bytes()
                        .await
                        .map_err(|e| IoError::Other {
                            message: format!("weight shard {display}: {e}"),
                        })?;
                    let now = done
                        .fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed)
                        + bytes.len() as u64;
                    if let Some(p) = &progress {
                        p(now, total_known.max(now));
                    }
                    Ok::<_, IoError>((g, s, bytes))
                }
            }))
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;
        let mut by_pos: BTreeMap<(usize, usize), Bytes> =
            fetched.into_iter().map(|(g, s, b)| ((g, s), b)).collect();
        let mut buffers = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            let expected = group_stored_len(group)?;
            let mut shards = Vec::new();
            for (s, path) in group.paths.iter().enumerate() {
                let b = by_pos.remove(&(g, s)).expect("every shard was fetched");
                shards.push((loc.display(path), b));
            }
            if let Some(expected) = expected {
                check_group_len(&shards, expected)?;
            }
            buffers.extend(shards.into_iter().map(|(_, b)| b));
        }
        Ok(json.into_artifacts(WeightData { buffers }))
    }

    async fn save_with_mode(
        &self,
        url: &ModelUrl,
        artifacts: &ModelArtifacts,
        mode: PutMode,
    ) -> Result<SaveResult> {
        let (client, loc) = self.locate(url)?;
        let previous = match mode {
            PutMode::Create => None,
            _ => self
                .read_model_json(client.as_ref(), &loc)
                .await
                .ok()
                .flatten(),
        };

        // 1. Content-addressed shards.
        let data = &artifacts.weight_data;
        let total = data.len();
        let mut shards: Vec<(String, Bytes)> = Vec::new();
        let mut offset = 0;
        while offset < total
            || (total == 0 && shards.is_empty() && !artifacts.weight_specs.is_empty())
        {
            let len = self.shard_size.min(total - offset);
            let bytes = data.slice(offset, len).ok_or_else(|| IoError::Other {
                message: format!("{}: weight data shorter than its own length", loc.url()),
            })?;
            let digest = hex::encode(Sha256::digest(&bytes));
            shards.push((format!("weights-{}.bin", &digest[..32]), bytes));
            offset += len;
            if len == 0 {
                break;
            }
        }
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let uploads: Vec<_> = shards
            .iter()
            .map(|(n, b)| (loc.key(n), loc.display(n), b.clone()))
            .collect();
        let progress = self.progress.clone();
        let upload_client = client.clone();
        futures::stream::iter(uploads.into_iter().map(move |(key, display, bytes)| {
            let client = upload_client.clone();
            let done = done.clone();
            let progress = progress.clone();
            async move {
                upload(client.as_ref(), &key, bytes.clone(), &display).await?;
                // 2. Verify before anything points at it.
                let meta = client
                    .head(&key)
                    .await
                    .map_err(|e| IoError::Other { message: format!("verifying uploaded shard {display}: {e}") })?;
                if meta.size != bytes.len() as u64 {
                    return Err(IoError::Other {
                        message: format!(
                            "verifying uploaded shard {display}: expected {} bytes, the store has {}",
                            bytes.len(),
                            meta.size
                        ),
                    });
                }
                let now = done.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed) + bytes.len() as u64;
                if let Some(p) = &progress {
                    p(now, total as u64);
                }
                Ok::<_, IoError>(())
            }
        }))
        .buffer_unordered(self.concurrency)
        .try_collect::<Vec<()>>()
        .await?;

        // 3. model.json last: the one write that publishes the model.
        let group = WeightsManifestGroup {
            paths: shards.iter().map(|(n, _)| n.clone()).collect(),
            weights: artifacts.weight_specs.clone(),
            extra: Default::default(),
        };
        let manifest = if artifacts.weight_specs.is_empty() && shards.is_empty() {
            vec![]
        } else {
            vec![group]
        };
        let json = ModelJson::from_artifacts(artifacts, manifest).to_bytes(JsonStyle::Browser);
        let key = loc.key("model.json");
        let opts = PutOptions {
            mode: mode.clone(),
            ..Default::default()
        };
        match client.put_opts(&key, PutPayload::from(json), opts).await {
            Ok(_) => {}
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => {
                return Err(IoError::invalid(format!(
                    "{}: a model already exists at this URL",
                    loc.url()
                )));
            }
            Err(e) => return Err(obj_err(&loc, "model.json", e)),
        }

        // 4. Drop shards only the previous model used.
        if let Some((old, _)) = previous {
            let keep: std::collections::HashSet<&str> =
                shards.iter().map(|(n, _)| n.as_str()).collect();
            for path in old
                .weights_manifest
                .iter()
                .flatten()
                .flat_map(|g| g.paths.iter())
            {
                if let Ok(p) = safe_relative(path, &loc.url()) {
                    if !keep.contains(p.as_str()) {
                        let _ = client.delete(&loc.key(&p)).await;
                    }
                }
            }
        }
        Ok(SaveResult {
            model_artifacts_info: ModelArtifactsInfo::for_artifacts(artifacts),
            errors: vec![],
        })
    }
}

async fn upload(
    client: &dyn ObjectStore,
    key: &ObjPath,
    bytes: Bytes,
    display: &str,
) -> Result<()> {
    let err = |e: object_store::Error| IoError::Other {
        message: format!("uploading weight shard {display}: {e}"),
    };
    if bytes.len() > MULTIPART_THRESHOLD {
        let upload = client.put_multipart(key).await.map_err(err)?;
        let mut writer = WriteMultipart::new(upload);
        writer.put(bytes);
        writer.finish().await.map_err(err)?;
    } else {
        client
            .put(key, PutPayload::from(bytes))
            .await
            .map_err(err)?;
    }
    Ok(())
}

#[async_trait]
impl ModelStore for CloudStore {
    fn scheme(&self) -> &str {
        &self.scheme
    }

    async fn load(&self, url: &ModelUrl) -> Result<ModelArtifacts> {
        let (client, loc) = self.locate(url)?;
        match self.load_once(&client, &loc).await {
            // A concurrent save may have replaced model.json and deleted the
            // shards we were about to read: read the fresh model.json once.
            Err(IoError::Other { message })
                if message.contains("weight shard") && message.contains("not found") =>
            {
                tracing::debug!(url = %loc.url(), "shard vanished during load; retrying with a fresh model.json");
                self.load_once(&client, &loc).await
            }
            other => other,
        }
    }

    async fn save(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        self.save_with_mode(url, artifacts, PutMode::Overwrite)
            .await
    }

    /// `If-None-Match: *` on model.json: of two racing writers exactly one wins.
    async fn save_new(&self, url: &ModelUrl, artifacts: &ModelArtifacts) -> Result<SaveResult> {
        self.save_with_mode(url, artifacts, PutMode::Create).await
    }

    async fn list(&self, prefix: &ModelUrl) -> Result<Vec<(String, ModelArtifactsInfo)>> {
        let (client, loc) = self.locate(prefix)?;
        let list_prefix = if loc.prefix.is_empty() {
            None
        } else {
            Some(ObjPath::from(loc.prefix.as_str()))
        };
        let metas: Vec<object_store::ObjectMeta> = client
            .list(list_prefix.as_ref())
            .try_filter(|m| futures::future::ready(m.location.filename() == Some("model.json")))
            .try_collect()
            .await
            .map_err(|e| obj_err(&loc, "", e))?;
        let mut out = Vec::new();
        for meta in metas {
            let dir = meta
                .location
                .as_ref()
                .trim_end_matches("model.json")
                .trim_end_matches('/')
                .to_string();
            let model_loc = Location {
                scheme: loc.scheme.clone(),
                bucket: loc.bucket.clone(),
                prefix: dir,
            };
            if let Some((json, _)) = self.read_model_json(client.as_ref(), &model_loc).await? {
                let mut info = info_for_json(json)?;
                info.date_saved = meta
                    .last_modified
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                out.push((model_loc.url(), info));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    async fn remove(&self, url: &ModelUrl) -> Result<ModelArtifactsInfo> {
        let (client, loc) = self.locate(url)?;
        let Some((json, _)) = self.read_model_json(client.as_ref(), &loc).await? else {
            return Err(IoError::NotFound {
                url: loc.url(),
                message: format!("Cannot find model at path '{}'", loc.url()),
            });
        };
        let paths: Vec<String> = json
            .weights_manifest
            .iter()
            .flatten()
            .flat_map(|g| g.paths.clone())
            .collect();
        let info = info_for_json(json)?;
        // model.json first: the model disappears in one step.
        client
            .delete(&loc.key("model.json"))
            .await
            .map_err(|e| obj_err(&loc, "model.json", e))?;
        for p in paths {
            if let Ok(p) = safe_relative(&p, &loc.url()) {
                let _ = client.delete(&loc.key(&p)).await;
            }
        }
        Ok(info)
    }
}

/// Info of a stored model without fetching its weights.
fn info_for_json(json: ModelJson) -> Result<ModelArtifactsInfo> {
    let mut data_bytes = 0u64;
    for g in json.weights_manifest.iter().flatten() {
        data_bytes += group_stored_len(g)?.unwrap_or(0);
    }
    let artifacts = json.into_artifacts(WeightData::default());
    let mut info = ModelArtifactsInfo::for_artifacts(&artifacts);
    info.weight_data_bytes = data_bytes;
    Ok(info)
}

/// Where a model lives: bucket and key prefix (no trailing slash).
#[derive(Debug, Clone)]
struct Location {
    scheme: String,
    bucket: String,
    prefix: String,
}

impl Location {
    fn parse(url: &ModelUrl) -> Result<Location> {
        let rest = url.path.trim_end_matches('/');
        let rest = rest.strip_suffix("/model.json").unwrap_or(rest);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(IoError::invalid(format!(
                "{url}: expected {}://BUCKET/PATH",
                url.scheme
            )));
        }
        if prefix.split('/').any(|s| s == ".." || s == ".")
            || prefix.contains("//")
            || prefix.chars().any(char::is_control)
        {
            return Err(IoError::invalid(format!(
                "{url}: the path must not contain '.', '..', empty segments or control characters"
            )));
        }
        Ok(Location {
            scheme: url.scheme.clone(),
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, name: &str) -> ObjPath {
        if self.prefix.is_empty() {
            ObjPath::from(name)
        } else {
            ObjPath::from(format!("{}/{name}", self.prefix))
        }
    }

    fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("{}://{}", self.scheme, self.bucket)
        } else {
            format!("{}://{}/{}", self.scheme, self.bucket, self.prefix)
        }
    }

    fn display(&self, name: &str) -> String {
        format!("{}/{name}", self.url())
    }
}

fn obj_err(loc: &Location, name: &str, e: object_store::Error) -> IoError {
    IoError::Other {
        message: format!("{}: {e}", loc.display(name)),
    }
}

/// A manifest path as a key suffix: relative, no `..`, no scheme, `./` dropped.
fn safe_relative(path: &str, model_url: &str) -> Result<String> {
    let p = path.strip_prefix("./").unwrap_or(path);
    let bad = p.is_empty()
        || p.starts_with('/')
        || p.contains("://")
        || p.contains('\\')
        || p.split('/').any(|s| s == ".." || s.is_empty() || s == ".")
        || p.chars().any(char::is_control);
    if bad {
        return Err(IoError::invalid(format!(
            "{model_url}: weight path {path:?} in the manifest is not a plain relative path (absolute paths, '..', schemes and backslashes are refused)"
        )));
    }
    Ok(p.to_string())
}

/// Stored byte length of a group, or None if it holds variable-length strings.
fn group_stored_len(group: &WeightsManifestGroup) -> Result<Option<u64>> {
    let mut total = 0u64;
    for w in &group.weights {
        match tfjs_format::codec::stored_byte_len(w)? {
            Some(n) => {
                total = total
                    .checked_add(n)
                    .ok_or_else(|| IoError::invalid("weight byte count overflows"))?
            }
            None => return Ok(None),
        }
    }
    Ok(Some(total))
}

/// Check a fetched group against the manifest before decoding.
fn check_group_len(shards: &[(String, Bytes)], expected: u64) -> Result<()> {
    let actual: u64 = shards.iter().map(|(_, b)| b.len() as u64).sum();
    if actual == expected {
        return Ok(());
    }
    let (name, bytes) = shards
        .last()
        .map(|(n, b)| (n.clone(), b.clone()))
        .unwrap_or_default();
    Err(tfjs_format::FormatError::ShardLength {
        shard: name,
        expected,
        actual,
        looks_like: tfjs_format::shard::sniff_text(&bytes),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_reject_traversal() {
        let u = ModelUrl::parse("s3://bucket/models/a").unwrap();
        let l = Location::parse(&u).unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("bucket", "models/a")
        );
        assert_eq!(l.key("model.json").as_ref(), "models/a/model.json");
        let u = ModelUrl::parse("s3://bucket/models/a/model.json").unwrap();
        assert_eq!(Location::parse(&u).unwrap().prefix, "models/a");
        let err = Location::parse(&ModelUrl::parse("s3://bucket/a/../b").unwrap()).unwrap_err();
        assert!(err.to_string().contains("'..'"), "{err}");
        assert!(Location::parse(&ModelUrl::parse("s3:///x").unwrap()).is_err());
    }

    #[test]
    fn manifest_paths_must_be_plain() {
        assert_eq!(safe_relative("./weights.bin", "u").unwrap(), "weights.bin");
        for bad in [
            "../x.bin",
            "/etc/passwd",
            "http://evil/x",
            "a\\b",
            "a//b",
            "",
        ] {
            let e = safe_relative(bad, "s3://b/m").unwrap_err().to_string();
            assert!(
                e.contains("s3://b/m") && e.contains("not a plain relative path"),
                "{bad}: {e}"
            );
        }
    }
}

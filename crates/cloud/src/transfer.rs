//! Reading and writing one model's objects: content-addressed shards
//! (multipart when large, verified by `HEAD`), then model.json last.

use crate::location::{obj_err, Location};
use crate::{CloudStore, MULTIPART_THRESHOLD};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{
    path::Path as ObjPath, ObjectStore, PutMode, PutOptions, PutPayload, WriteMultipart,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use tfjs_format::checkpoint::{self, check_artifacts_for_save};
use tfjs_format::shard::check_shards_at;
use tfjs_format::weight_path::WeightPath;
use tfjs_format::{
    JsonStyle, ModelArtifacts, ModelArtifactsInfo, ModelJson, SaveResult, WeightData,
    WeightsManifestGroup,
};
use tfjs_io::{IoError, ModelUrl, Result};

impl CloudStore {
    pub(crate) async fn read_model_json(
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

    pub(crate) async fn load_once(
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
        // Every shard path is untrusted: the checkpoint's one policy.
        let source = loc.display("model.json");
        checkpoint::check_manifest(&groups, &source)?;
        let paths = checkpoint::weight_paths(&groups, &source)?;
        let mut jobs = Vec::new();
        for (g, group_paths) in paths.iter().enumerate() {
            for (s, path) in group_paths.iter().enumerate() {
                jobs.push((g, s, path.as_str().to_string()));
            }
        }
        let mut total_known = 0u64;
        for group in &groups {
            total_known = total_known.saturating_add(group.stored_byte_len()?.unwrap_or(0));
        }
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let requests: Vec<_> = jobs
            .into_iter()
            .map(|(g, s, path)| (g, s, loc.key(&path), loc.display(&path)))
            .collect();
        let progress = self.progress.clone();
        let fetched: Vec<(usize, usize, Bytes)> =
            futures::stream::iter(requests.into_iter().map(move |(g, s, key, display)| {
                let client = client.clone();
                let done = done.clone();
                let progress = progress.clone();
                async move {
                    let shard_err = |e: object_store::Error| match e {
                        object_store::Error::NotFound { .. } => IoError::ShardNotFound {
                            shard: display.clone(),
                            message: format!("weight shard {display}: not found: {e}"),
                        },
                        e => IoError::Other {
                            message: format!("weight shard {display}: {e}"),
                        },
                    };
                    let bytes = client
                        .get(&key)
                        .await
                        .map_err(shard_err)?
                        .bytes()
                        .await
                        .map_err(shard_err)?;
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
        for (g, (group, group_paths)) in groups.iter().zip(&paths).enumerate() {
            let mut names = Vec::new();
            let mut shards = Vec::new();
            for (s, path) in group_paths.iter().enumerate() {
                let b = by_pos.remove(&(g, s)).ok_or_else(|| IoError::Other {
                    message: format!(
                        "weight shard {} was not fetched",
                        loc.display(path.as_str())
                    ),
                })?;
                names.push(loc.display(path.as_str()));
                shards.push(b);
            }
            check_shards_at(group, &shards, &names)?;
            buffers.extend(shards);
        }
        Ok(json.into_artifacts(WeightData { buffers }))
    }

    pub(crate) async fn save_with_mode(
        &self,
        url: &ModelUrl,
        artifacts: &ModelArtifacts,
        mode: PutMode,
    ) -> Result<SaveResult> {
        check_artifacts_for_save(artifacts)?;
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
                return Err(IoError::already_exists(loc.url()));
            }
            Err(e) => return Err(obj_err(&loc, "model.json", e)),
        }

        // 4. Drop shards only the previous model used.
        if let Some((old, _)) = previous {
            let keep: std::collections::HashSet<&str> =
                shards.iter().map(|(n, _)| n.as_str()).collect();
            for path in old.weight_paths() {
                if let Ok(p) = WeightPath::parse(path, "") {
                    if !keep.contains(p.as_str()) {
                        let _ = client.delete(&loc.key(p.as_str())).await;
                    }
                }
            }
        }
        Ok(SaveResult::from(ModelArtifactsInfo::for_artifacts(
            artifacts,
        )))
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

//! The [`ModelStore`] operations of [`CloudStore`].

use crate::location::{obj_err, Location};
use crate::CloudStore;
use async_trait::async_trait;
use futures::TryStreamExt;
use object_store::{path::Path as ObjPath, PutMode};
use tfjs_format::weight_path::WeightPath;
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, ModelJson, SaveResult, WeightData};
use tfjs_io::{IoError, ModelStore, ModelUrl, Result};

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
            Err(IoError::ShardNotFound { .. }) => {
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
        let paths: Vec<String> = json.weight_paths().map(str::to_owned).collect();
        let info = info_for_json(json)?;
        // model.json first: the model disappears in one step.
        client
            .delete(&loc.key("model.json"))
            .await
            .map_err(|e| obj_err(&loc, "model.json", e))?;
        for p in paths {
            if let Ok(p) = WeightPath::parse(&p, "") {
                let _ = client.delete(&loc.key(p.as_str())).await;
            }
        }
        Ok(info)
    }

    /// Compared, then deleted only if model.json's ETag is the one the
    /// compared copy was read under. object_store cannot make a DELETE
    /// conditional, so a save landing between that last check and the
    /// delete is not caught; everything before it is.
    async fn remove_if_unchanged(
        &self,
        url: &ModelUrl,
        expected: &ModelArtifacts,
    ) -> Result<ModelArtifactsInfo> {
        let (client, loc) = self.locate(url)?;
        let key = loc.key("model.json");
        let etag = |r: std::result::Result<object_store::ObjectMeta, object_store::Error>| match r {
            Ok(m) => Ok(m.e_tag),
            Err(object_store::Error::NotFound { .. }) => Err(IoError::NotFound {
                url: loc.url(),
                message: format!("Cannot find model at path '{}'", loc.url()),
            }),
            Err(e) => Err(obj_err(&loc, "model.json", e)),
        };
        let before = etag(client.head(&key).await)?;
        let current = self.load_once(&client, &loc).await?;
        tfjs_io::management::verify_same(expected, &current)
            .map_err(|diff| IoError::changed(loc.url(), &diff))?;
        if etag(client.head(&key).await)? != before {
            return Err(IoError::changed(
                loc.url(),
                "model.json was replaced while it was compared",
            ));
        }
        self.remove(url).await
    }
}

/// Info of a stored model without fetching its weights.
fn info_for_json(json: ModelJson) -> Result<ModelArtifactsInfo> {
    let mut data_bytes = 0u64;
    for g in json.weights_manifest.iter().flatten() {
        data_bytes += g.stored_byte_len()?.unwrap_or(0);
    }
    let artifacts = json.into_artifacts(WeightData::default());
    let mut info = ModelArtifactsInfo::for_artifacts(&artifacts);
    info.weight_data_bytes = data_bytes;
    Ok(info)
}

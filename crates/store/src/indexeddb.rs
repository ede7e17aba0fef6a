//! `indexeddb://PATH`: TensorFlow.js's `BrowserIndexedDB` as a native,
//! transactional store.
//!
//! Two tables mirror the object stores of the browser's `tensorflowjs`
//! database, both keyed by `modelPath`:
//!
//! * `model_info_store(model_path, model_artifacts_info)` — the
//!   `ModelArtifactsInfo` as JSON (`dateSaved` as an ISO string);
//! * `models_store(model_path, model_artifacts, weight_data,
//!   model_artifacts_info)` — `modelArtifacts` as JSON (`modelTopology`,
//!   `format`, `generatedBy`, `convertedBy`, `weightSpecs`, then `signature`,
//!   `userDefinedMetadata`, `modelInitializer`, `initializerSignature`,
//!   `trainingConfig` and unknown keys when present) with the weight bytes
//!   (`weightData`) in a BLOB column.
//!
//! Both records are written in **one** SQLite transaction (TensorFlow.js uses
//! two IndexedDB transactions and can leave an orphan info record). Weight
//! bytes are streamed into and out of the BLOB buffer by buffer, so a model of
//! hundreds of MB costs one copy in memory, not several. SQLite limits one
//! BLOB to [`MAX_WEIGHT_BYTES`]; bigger models are refused with a clear error.

use crate::adaptor::{profile_model_store, removal_info, ProfileModels};
use crate::meta::{self, info_from_json, info_to_json};
use crate::profile::Profile;
use bytes::Bytes;
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};
use std::io::{Read, Write};
use tfjs_format::checkpoint::{check_artifacts_for_save, check_weight_data};
use tfjs_format::manifest::weight_specs_to_value;
use tfjs_format::{JsonStyle, ModelArtifacts, ModelArtifactsInfo, SaveResult, WeightData};
use tfjs_io::{IoError, Result};

/// The scheme, without `://`.
pub const SCHEME: &str = "indexeddb";

/// The largest weight stream one model may have (SQLite's default maximum
/// BLOB length).
pub const MAX_WEIGHT_BYTES: u64 = 1_000_000_000;

fn not_found(path: &str) -> IoError {
    IoError::NotFound {
        url: format!("{SCHEME}://{path}"),
        message: format!("Cannot find model with path '{path}' in IndexedDB."),
    }
}

const KNOWN_KEYS: [&str; 10] = [
    "modelTopology",
    "format",
    "generatedBy",
    "convertedBy",
    "weightSpecs",
    "signature",
    "userDefinedMetadata",
    "modelInitializer",
    "initializerSignature",
    "trainingConfig",
];

/// The `modelArtifacts` record without `weightData`.
fn artifacts_record(a: &ModelArtifacts) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(t) = &a.model_topology {
        m.insert("modelTopology".into(), t.clone());
    }
    let meta = meta::metadata_map(a);
    for k in ["format", "generatedBy", "convertedBy"] {
        if let Some(v) = meta.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    m.insert("weightSpecs".into(), weight_specs_to_value(&a.weight_specs));
    for k in [
        "signature",
        "userDefinedMetadata",
        "modelInitializer",
        "initializerSignature",
        "trainingConfig",
    ] {
        if let Some(v) = meta.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    for (k, v) in &a.extra {
        if !KNOWN_KEYS.contains(&k.as_str()) && k != "weightData" {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

fn artifacts_from_record(path: &str, text: &str, data: WeightData) -> Result<ModelArtifacts> {
    let source = format!("{SCHEME}://{path} (models_store.model_artifacts)");
    let Value::Object(mut m) = meta::parse_json(text, &source)? else {
        return Err(IoError::invalid(format!(
            "{source}: expected a JSON object"
        )));
    };
    let mut a = ModelArtifacts {
        model_topology: m.remove("modelTopology").filter(|v| !v.is_null()),
        ..Default::default()
    };
    if let Some(specs) = m.remove("weightSpecs") {
        a.weight_specs = tfjs_format::manifest::weight_specs_from_value(
            &specs,
            &format!("{source} weightSpecs"),
        )?;
    }
    meta::apply_metadata(&mut a, &m, &source)?;
    for k in KNOWN_KEYS {
        m.remove(k);
    }
    a.extra = m;
    check_weight_data(
        &a.weight_specs,
        &data,
        &format!("{SCHEME}://{path} (models_store.weight_data)"),
    )?;
    a.weight_data = data;
    Ok(a)
}

/// The `indexeddb://` store of a [`Profile`].
///
/// ```
/// use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
/// use tfjs_store::{indexeddb::IndexedDbStore, ProfileOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let profile = ProfileOptions::new().profile_dir(dir.path()).open().unwrap();
/// let store = IndexedDbStore::new(profile);
/// let model = ModelArtifacts {
///     model_topology: Some(serde_json::json!({"class_name": "Sequential"})),
///     weight_specs: vec![WeightSpec::new("w", vec![4], DType::Bool)],
///     weight_data: WeightData::from_vec(vec![7; 4]),
///     ..Default::default()
/// };
/// store.save_sync("my-model", &model).unwrap();
/// assert_eq!(store.list_sync("").unwrap()[0].0, "my-model");
/// assert_eq!(&*store.load_sync("my-model").unwrap().weight_data.contiguous(), &[7; 4]);
/// assert_eq!(store.remove_sync("my-model").unwrap().weight_data_bytes, 4);
/// assert!(store.load_sync("my-model").is_err());
/// ```
#[derive(Debug, Clone)]
pub struct IndexedDbStore {
    profile: Profile,
}

impl IndexedDbStore {
    /// Model `path` as stored, read inside `tx`.
    fn read_model(&self, tx: &rusqlite::Transaction, path: &str) -> Result<Option<ModelArtifacts>> {
        let row: Option<(i64, String, i64)> = tx
            .query_row(
                "SELECT rowid, model_artifacts, length(weight_data) FROM models_store \
                 WHERE model_path = ?1",
                [path],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.profile.sql_err("cannot read models_store", e))?;
        let Some((rowid, record, len)) = row else {
            return Ok(None);
        };
        let len = usize::try_from(len).map_err(|_| {
            IoError::invalid(format!("{SCHEME}://{path}: corrupt weight length {len}"))
        })?;
        let mut buf = Vec::new();
        buf.try_reserve_exact(len).map_err(|_| IoError::Other {
            message: format!(
                "{SCHEME}://{path}: cannot allocate {len} bytes for the weights (out of memory)"
            ),
        })?;
        if len > 0 {
            let mut blob = tx
                .blob_open("main", "models_store", "weight_data", rowid, true)
                .map_err(|e| self.profile.sql_err("cannot open weight BLOB", e))?;
            buf.resize(len, 0);
            blob.read_exact(&mut buf).map_err(|e| IoError::Other {
                message: format!("{SCHEME}://{path}: cannot read weight bytes: {e}"),
            })?;
        }
        artifacts_from_record(
            path,
            &record,
            WeightData {
                buffers: vec![Bytes::from(buf)],
            },
        )
        .map(Some)
    }

    /// The raw `models_store` record of `path`: `(model_artifacts JSON,
    /// weight byte count, model_artifacts_info JSON)`.
    pub fn raw_record(&self, path: &str) -> Result<Option<(String, u64, String)>> {
        let conn = self.profile.conn()?;
        conn.query_row(
            "SELECT model_artifacts, length(weight_data), model_artifacts_info FROM models_store \
             WHERE model_path = ?1",
            [path],
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get(2)?)),
        )
        .optional()
        .map_err(|e| self.profile.sql_err("cannot read models_store", e))
    }
}

/// Whether model `path` has an info record.
fn exists(tx: &rusqlite::Transaction, path: &str) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT 1 FROM model_info_store WHERE model_path = ?1",
        [path],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
}

impl ProfileModels for IndexedDbStore {
    fn load_model(&self, path: &str) -> Result<ModelArtifacts> {
        let mut conn = self.profile.conn()?;
        let tx = conn
            .transaction()
            .map_err(|e| self.profile.sql_err("cannot start read transaction", e))?;
        let model = self.read_model(&tx, path)?;
        self.profile.commit(tx, "cannot finish read transaction")?;
        model.ok_or_else(|| not_found(path))
    }

    fn save_model(
        &self,
        path: &str,
        artifacts: &ModelArtifacts,
        create_only: bool,
    ) -> Result<SaveResult> {
        let len = artifacts.weight_data.len() as u64;
        if len > MAX_WEIGHT_BYTES {
            return Err(IoError::invalid(format!(
                "{SCHEME}://{path}: the weights are {len} bytes; one model in the profile \
                 database may hold at most {MAX_WEIGHT_BYTES} bytes (use file:// for bigger models)"
            )));
        }
        check_artifacts_for_save(artifacts)?;
        let ser = meta::serialize(artifacts);
        let record = JsonStyle::Browser.to_string(&Value::Object(artifacts_record(artifacts)));
        let info_json = info_to_json(&ser.info);
        let fail = |what: &str, e: rusqlite::Error| IoError::Other {
            message: format!(
                "Failed to save model '{path}' to IndexedDB ({}): {what}: {e}",
                self.profile.database_path().display()
            ),
        };
        let mut conn = self.profile.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| fail("cannot start transaction", e))?;
        if create_only && exists(&tx, path).map_err(|e| fail("cannot read model_info_store", e))? {
            return Err(IoError::already_exists(format!("{SCHEME}://{path}")));
        }
        tx.execute(
            "INSERT OR REPLACE INTO model_info_store (model_path, model_artifacts_info) \
             VALUES (?1, ?2)",
            params![path, info_json],
        )
        .map_err(|e| fail("cannot write model_info_store", e))?;
        tx.execute(
            "INSERT OR REPLACE INTO models_store \
             (model_path, model_artifacts, weight_data, model_artifacts_info) \
             VALUES (?1, ?2, zeroblob(?3), ?4)",
            params![path, record, len as i64, info_json],
        )
        .map_err(|e| fail("cannot write models_store", e))?;
        let rowid = tx.last_insert_rowid();
        if len > 0 {
            let mut blob = tx
                .blob_open("main", "models_store", "weight_data", rowid, false)
                .map_err(|e| fail("cannot open weight BLOB", e))?;
            for b in &artifacts.weight_data.buffers {
                blob.write_all(b).map_err(|e| IoError::Other {
                    message: format!(
                        "Failed to save model '{path}' to IndexedDB: cannot write weight bytes: {e}"
                    ),
                })?;
            }
            blob.close()
                .map_err(|e| fail("cannot close weight BLOB", e))?;
        }
        tx.commit().map_err(|e| fail("cannot commit", e))?;
        Ok(ser.info.into())
    }

    fn list_models(&self, prefix: &str) -> Result<Vec<(String, ModelArtifactsInfo)>> {
        let rows = self.profile.text_pairs(
            "SELECT model_path, model_artifacts_info FROM model_info_store ORDER BY model_path",
            [],
            "cannot list model_info_store",
        )?;
        // One corrupt row must not hide every other model: skip it, as the
        // file:// store skips an unreadable model.json.
        Ok(rows
            .into_iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .filter_map(|(p, text)| {
                let source = format!("{SCHEME}://{p} (model_info_store.model_artifacts_info)");
                match info_from_json(&text, &source) {
                    Ok(info) => Some((p, info)),
                    Err(e) => {
                        tracing::warn!("skipping {SCHEME}://{p}: {e}");
                        None
                    }
                }
            })
            .collect())
    }

    fn remove_model(
        &self,
        path: &str,
        expected: Option<&ModelArtifacts>,
    ) -> Result<ModelArtifactsInfo> {
        let mut conn = self.profile.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.profile.sql_err("cannot start write transaction", e))?;
        let text: Option<String> = tx
            .query_row(
                "SELECT model_artifacts_info FROM model_info_store WHERE model_path = ?1",
                [path],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.profile.sql_err("cannot read model_info_store", e))?;
        let Some(text) = text else {
            return Err(not_found(path));
        };
        let url = format!("{SCHEME}://{path}");
        let current = || self.read_model(&tx, path)?.ok_or_else(|| not_found(path));
        let stored = info_from_json(
            &text,
            &format!("{url} (model_info_store.model_artifacts_info)"),
        );
        let info = removal_info(expected, current, stored, current, &url)?;
        tx.execute("DELETE FROM model_info_store WHERE model_path = ?1", [path])
            .map_err(|e| {
                self.profile
                    .sql_err("cannot delete from model_info_store", e)
            })?;
        tx.execute("DELETE FROM models_store WHERE model_path = ?1", [path])
            .map_err(|e| self.profile.sql_err("cannot delete from models_store", e))?;
        self.profile.commit(tx, "cannot commit removal")?;
        Ok(info)
    }
}

profile_model_store!(IndexedDbStore, SCHEME, "IndexedDB");

//! `localstorage://PATH`: TensorFlow.js's `BrowserLocalStorage` as a native,
//! transactional store.
//!
//! The profile's `local_storage` table is a string key–value table holding
//! exactly the keys and values TensorFlow.js 4.22 writes to a browser's
//! `window.localStorage`:
//!
//! | key | value |
//! | --- | --- |
//! | `tensorflowjs_models/PATH/info` | `JSON.stringify(ModelArtifactsInfo)` |
//! | `tensorflowjs_models/PATH/model_topology` | `JSON.stringify(modelTopology)` |
//! | `tensorflowjs_models/PATH/weight_specs` | `JSON.stringify(weightSpecs)` |
//! | `tensorflowjs_models/PATH/weight_data` | padded standard base64 of the weight bytes |
//! | `tensorflowjs_models/PATH/model_metadata` | `JSON.stringify({format, generatedBy, convertedBy, …})` |
//!
//! so [`LocalStorageStore::export_json`] output can be pasted into a browser
//! and TensorFlow.js loads it unchanged, and a browser dump can be imported
//! with [`LocalStorageStore::import_json`].
//!
//! **Quota.** Like Chromium, the whole table may hold at most
//! [`DEFAULT_LOCAL_STORAGE_QUOTA`](crate::DEFAULT_LOCAL_STORAGE_QUOTA)
//! (5,242,880) UTF-16 code units of keys plus values (configurable per
//! profile). A save that would exceed it fails with TensorFlow.js's text,
//! `Failed to save model 'PATH' to local storage: size quota being exceeded is
//! a possible cause of this failure: modelTopologyBytes=A, weightSpecsBytes=B,
//! weightDataBytes=C.`
//!
//! **Deliberate difference from TensorFlow.js:** a failed save leaves the
//! store exactly as it was. TensorFlow.js deletes all five keys of `PATH`
//! after a failed `setItem`, destroying a model previously saved at the same
//! path; here the five keys are written in one SQLite transaction that is
//! rolled back, so the earlier model survives. The quota is checked against
//! the table as it would be after the whole save (TensorFlow.js's browser
//! checks each `setItem` separately; the two agree except when replacing a
//! model at the same path with one of nearly the same size).

use crate::adaptor::{profile_model_store, removal_info, ProfileModels, StoreProfile};
use crate::meta::{self, apply_metadata, info_from_json, info_to_json, specs_from_json};
use crate::profile::Profile;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use bytes::Bytes;
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde_json::Value;
use std::collections::BTreeMap;
use tfjs_format::checkpoint::{check_artifacts_for_save, check_weight_data};
use tfjs_format::{ModelArtifacts, ModelArtifactsInfo, SaveResult, WeightData};
use tfjs_io::{IoError, Result};

/// The scheme, without `://`.
pub const SCHEME: &str = "localstorage";
/// Prefix of every key TensorFlow.js writes.
pub const KEY_PREFIX: &str = "tensorflowjs_models/";
/// Key suffixes in TensorFlow.js's write order.
pub const KEY_SUFFIXES: [&str; 5] = [
    "info",
    "model_topology",
    "weight_specs",
    "weight_data",
    "model_metadata",
];

const INFO: usize = 0;
const TOPOLOGY: usize = 1;
const SPECS: usize = 2;
const DATA: usize = 3;
const METADATA: usize = 4;

/// The five keys of model `path`, in write order (info, model_topology,
/// weight_specs, weight_data, model_metadata).
///
/// ```
/// let keys = tfjs_store::localstorage::keys_for("nested/dir/model 2");
/// assert_eq!(keys[0], "tensorflowjs_models/nested/dir/model 2/info");
/// assert_eq!(keys[3], "tensorflowjs_models/nested/dir/model 2/weight_data");
/// ```
pub fn keys_for(path: &str) -> [String; 5] {
    KEY_SUFFIXES.map(|s| format!("{KEY_PREFIX}{path}/{s}"))
}

/// UTF-16 code units of `s` (what browsers count against the quota).
///
/// ```
/// assert_eq!(tfjs_store::localstorage::utf16_len("abc"), 3);
/// assert_eq!(tfjs_store::localstorage::utf16_len("é😀"), 3);
/// ```
pub fn utf16_len(s: &str) -> u64 {
    if s.is_ascii() {
        s.len() as u64
    } else {
        s.encode_utf16().count() as u64
    }
}

/// TensorFlow.js's quota error text.
pub fn quota_error_text(path: &str, info: &ModelArtifactsInfo) -> String {
    format!(
        "Failed to save model '{path}' to local storage: size quota being exceeded is a \
         possible cause of this failure: modelTopologyBytes={}, weightSpecsBytes={}, \
         weightDataBytes={}.",
        info.model_topology_bytes, info.weight_specs_bytes, info.weight_data_bytes
    )
}

/// [`quota_error_text`] plus what the save needed: the model's size and
/// the quota, in UTF-16 code units of keys plus values (what the quota
/// counts; base64 makes the weights 4/3 as large).
pub fn quota_exceeded_text(
    path: &str,
    info: &ModelArtifactsInfo,
    model_units: u64,
    after: u64,
    quota: u64,
) -> String {
    format!(
        "{} The model takes {model_units} UTF-16 code units in local storage (keys plus \
         values; weights base64-encoded); with it the store would hold {after} units, over \
         its quota of {quota} units.",
        quota_error_text(path, info)
    )
}

fn not_found(path: &str) -> IoError {
    IoError::NotFound {
        url: format!("{SCHEME}://{path}"),
        message: format!("In local storage, there is no model with name '{path}'"),
    }
}

/// base64 decoding as forgiving as the browser's `atob` about padding.
const DECODER: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Padded standard base64 of the whole weight stream, encoded buffer by
/// buffer (no concatenated copy of the weights).
pub fn encode_weight_data(data: &WeightData) -> String {
    let mut enc = base64::write::EncoderStringWriter::from_consumer(
        String::with_capacity(data.len().div_ceil(3) * 4),
        &STANDARD,
    );
    for b in &data.buffers {
        std::io::Write::write_all(&mut enc, b).expect("writing to a String cannot fail");
    }
    enc.into_inner()
}

/// Rebuild artifacts from the values of one model's five keys (`values[i]`
/// belongs to `KEY_SUFFIXES[i]`), checking in TensorFlow.js's order and with
/// its messages.
fn assemble(
    path: &str,
    values: &[Option<String>; 5],
) -> Result<(ModelArtifacts, ModelArtifactsInfo)> {
    let keys = keys_for(path);
    let src = |i: usize| format!("{SCHEME}://{path} (key `{}`)", keys[i]);
    let info_text = values[INFO].as_deref().ok_or_else(|| not_found(path))?;
    let info = info_from_json(info_text, &src(INFO))?;
    if info.model_topology_type != "JSON" {
        return Err(IoError::invalid(
            "BrowserLocalStorage does not support loading non-JSON model topology yet.",
        ));
    }
    let topology_text = values[TOPOLOGY].as_deref().ok_or_else(|| {
        IoError::invalid(format!(
            "In local storage, the topology of model '{path}' is missing."
        ))
    })?;
    let topology = meta::parse_json(topology_text, &src(TOPOLOGY))?;
    let specs_text = values[SPECS].as_deref().ok_or_else(|| {
        IoError::invalid(format!(
            "In local storage, the weight specs of model '{path}' are missing."
        ))
    })?;
    let specs = specs_from_json(specs_text, &src(SPECS))?;
    let mut artifacts = ModelArtifacts {
        model_topology: Some(topology),
        weight_specs: specs,
        ..Default::default()
    };
    if let Some(text) = values[METADATA].as_deref() {
        match meta::parse_json(text, &src(METADATA))? {
            Value::Object(m) => apply_metadata(&mut artifacts, &m, &src(METADATA))?,
            other => {
                return Err(IoError::invalid(format!(
                    "{}: expected a JSON object, got {:.80}",
                    src(METADATA),
                    other.to_string()
                )))
            }
        }
    }
    let data_text = values[DATA].as_deref().ok_or_else(|| {
        IoError::invalid(format!(
            "In local storage, the binary weight values of model '{path}' are missing."
        ))
    })?;
    let bytes = DECODER
        .decode(data_text.trim())
        .map_err(|e| IoError::invalid(format!("{}: not valid base64: {e}", src(DATA))))?;
    artifacts.weight_data = WeightData {
        buffers: vec![Bytes::from(bytes)],
    };
    check_weight_data(&artifacts.weight_specs, &artifacts.weight_data, &src(DATA))?;
    Ok((artifacts, info))
}

/// The model of `values` without its stored info (for a corrupt `info`).
fn assemble_model(path: &str, values: &[Option<String>; 5]) -> Result<ModelArtifacts> {
    let mut values = values.clone();
    let info = ModelArtifactsInfo::for_artifacts_at(&ModelArtifacts::default(), String::new());
    values[INFO] = Some(info_to_json(&info));
    assemble(path, &values).map(|(a, _)| a)
}

/// The `localstorage://` store of a [`Profile`].
///
/// ```
/// use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
/// use tfjs_store::{localstorage::LocalStorageStore, ProfileOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let profile = ProfileOptions::new().profile_dir(dir.path()).open().unwrap();
/// let store = LocalStorageStore::new(profile);
/// let model = ModelArtifacts {
///     model_topology: Some(serde_json::json!({"class_name": "Sequential"})),
///     weight_specs: vec![WeightSpec::new("mask", vec![3], DType::Bool)],
///     weight_data: WeightData::from_vec(vec![0; 3]),
///     ..Default::default()
/// };
/// store.save_sync("m", &model).unwrap();
/// // The same keys TensorFlow.js writes; weights are base64.
/// let data = store.get_item("tensorflowjs_models/m/weight_data").unwrap();
/// assert_eq!(data.as_deref(), Some("AAAA"));
/// assert!(store.used_units().unwrap() > 0);
/// ```
#[derive(Debug, Clone)]
pub struct LocalStorageStore {
    profile: Profile,
}

impl LocalStorageStore {
    /// Every key–value pair of the table, sorted by key.
    pub fn items(&self) -> Result<Vec<(String, String)>> {
        self.profile.text_pairs(
            "SELECT key, value FROM local_storage ORDER BY key",
            [],
            "cannot read local storage",
        )
    }

    /// One value (`localStorage.getItem(key)`).
    pub fn get_item(&self, key: &str) -> Result<Option<String>> {
        let conn = self.profile.conn()?;
        conn.query_row(
            "SELECT value FROM local_storage WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| self.profile.sql_err("cannot read local storage", e))
    }

    /// UTF-16 code units of all keys plus values (what the quota limits).
    pub fn used_units(&self) -> Result<u64> {
        let conn = self.profile.conn()?;
        let n: i64 = conn
            .query_row(
                "SELECT COALESCE(SUM(units), 0) FROM local_storage",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.profile.sql_err("cannot read local storage", e))?;
        Ok(n as u64)
    }

    fn read_model(&self, path: &str) -> Result<[Option<String>; 5]> {
        let mut conn = self.profile.conn()?;
        // One read transaction: a concurrent writer's save is seen whole or not at all.
        let tx = conn
            .transaction()
            .map_err(|e| self.profile.sql_err("cannot start read transaction", e))?;
        let mut out: [Option<String>; 5] = Default::default();
        {
            let mut stmt = tx
                .prepare_cached("SELECT value FROM local_storage WHERE key = ?1")
                .map_err(|e| self.profile.sql_err("cannot read local storage", e))?;
            for (slot, key) in out.iter_mut().zip(keys_for(path)) {
                *slot = stmt
                    .query_row([&key], |r| r.get(0))
                    .optional()
                    .map_err(|e| self.profile.sql_err("cannot read local storage", e))?;
            }
        }
        self.profile.commit(tx, "cannot finish read transaction")?;
        Ok(out)
    }

    /// Replace every key of the models in `paths` with `items`, in one
    /// transaction, if the result fits in the quota.
    fn write_items(
        &self,
        items: &[(String, String)],
        paths: &[String],
        create_only: bool,
        quota_message: impl FnOnce(u64, u64, u64) -> String,
    ) -> Result<()> {
        let quota = self.profile.local_storage_quota();
        let new_units: u64 = items.iter().map(|(k, v)| utf16_len(k) + utf16_len(v)).sum();
        let mut conn = self.profile.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.profile.sql_err("cannot start write transaction", e))?;
        let total: i64 = tx
            .query_row(
                "SELECT COALESCE(SUM(units), 0) FROM local_storage",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.profile.sql_err("cannot read quota usage", e))?;
        let mut replaced: u64 = 0;
        if create_only {
            for p in paths {
                let exists: Option<i64> = tx
                    .query_row(
                        "SELECT 1 FROM local_storage WHERE key = ?1",
                        [&keys_for(p)[INFO]],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| self.profile.sql_err("cannot read local storage", e))?;
                if exists.is_some() {
                    return Err(IoError::already_exists(format!("{SCHEME}://{p}")));
                }
            }
        }
        {
            let mut sel = tx
                .prepare_cached("SELECT units FROM local_storage WHERE key = ?1")
                .map_err(|e| self.profile.sql_err("cannot read local storage", e))?;
            for p in paths {
                for k in keys_for(p) {
                    let u: Option<i64> = sel
                        .query_row([&k], |r| r.get(0))
                        .optional()
                        .map_err(|e| self.profile.sql_err("cannot read local storage", e))?;
                    replaced += u.unwrap_or(0) as u64;
                }
            }
        }
        let after = (total as u64).saturating_sub(replaced) + new_units;
        if after > quota {
            tracing::warn!(
                used = total,
                replaced,
                new_units,
                quota,
                "local storage quota exceeded; nothing written"
            );
            // Dropping `tx` rolls back; nothing was written anyway.
            return Err(IoError::invalid(quota_message(new_units, after, quota)));
        }
        {
            let mut del = tx
                .prepare_cached("DELETE FROM local_storage WHERE key = ?1")
                .map_err(|e| self.profile.sql_err("cannot delete old keys", e))?;
            for p in paths {
                for k in keys_for(p) {
                    del.execute([&k])
                        .map_err(|e| self.profile.sql_err("cannot delete old keys", e))?;
                }
            }
            let mut ins = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO local_storage (key, value, units) VALUES (?1, ?2, ?3)",
                )
                .map_err(|e| self.profile.sql_err("cannot write keys", e))?;
            for (k, v) in items {
                let units = (utf16_len(k) + utf16_len(v)) as i64;
                ins.execute(params![k, v, units])
                    .map_err(|e| self.profile.sql_err(&format!("cannot write key `{k}`"), e))?;
            }
        }
        self.profile.commit(tx, "cannot commit save")
    }

    /// The stored key–value pairs of model `path` in TensorFlow.js's write
    /// order (`model_metadata` only if stored), read in one transaction.
    pub fn export_items(&self, path: &str) -> Result<Vec<(String, String)>> {
        Self::check_path(path)?;
        let values = self.read_model(path)?;
        // Validate first, so an export is always importable.
        assemble(path, &values)?;
        Ok(keys_for(path)
            .into_iter()
            .zip(values)
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect())
    }

    /// A JSON object `{key: value, …}` of model `path`'s keys, pretty-printed.
    /// Paste into a browser console as
    /// `Object.entries(OBJ).forEach(([k, v]) => localStorage.setItem(k, v))`
    /// and `tf.loadLayersModel('localstorage://PATH')` loads it.
    pub fn export_json(&self, path: &str) -> Result<String> {
        let items = self.export_items(path)?;
        let map: serde_json::Map<String, Value> = items
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        serde_json::to_string_pretty(&Value::Object(map)).map_err(|e| IoError::Other {
            message: format!("cannot serialize export of {SCHEME}://{path}: {e}"),
        })
    }

    /// Import key–value pairs as TensorFlow.js stored them (e.g. from
    /// [`LocalStorageStore::export_json`] or a browser dump). Every key must be
    /// `tensorflowjs_models/PATH/<info|model_topology|weight_specs|weight_data|model_metadata>`;
    /// each model is validated as a load would be; then all models are written
    /// in one transaction (replacing models at the same paths), subject to the
    /// quota. Returns the imported paths.
    pub fn import_items(&self, items: &[(String, String)]) -> Result<Vec<String>> {
        let mut models: BTreeMap<String, [Option<String>; 5]> = BTreeMap::new();
        for (key, value) in items {
            let rest = key.strip_prefix(KEY_PREFIX).ok_or_else(|| {
                IoError::invalid(format!(
                    "import: key `{key}` does not start with `{KEY_PREFIX}`"
                ))
            })?;
            let (path, suffix) = rest
                .rsplit_once('/')
                .ok_or_else(|| IoError::invalid(format!("import: Invalid key format: {key}")))?;
            let idx = KEY_SUFFIXES
                .iter()
                .position(|s| *s == suffix)
                .ok_or_else(|| {
                    IoError::invalid(format!(
                        "import: key `{key}` ends in `/{suffix}`; expected one of {}",
                        KEY_SUFFIXES.join(", ")
                    ))
                })?;
            if path.is_empty() {
                return Err(IoError::invalid(format!(
                    "import: key `{key}` has an empty model path"
                )));
            }
            let slot = &mut models.entry(path.to_string()).or_default()[idx];
            if slot.is_some() {
                return Err(IoError::invalid(format!(
                    "import: key `{key}` appears twice"
                )));
            }
            *slot = Some(value.clone());
        }
        if models.is_empty() {
            return Err(IoError::invalid(
                "import: no `tensorflowjs_models/…` keys to import",
            ));
        }
        let mut infos = Vec::new();
        for (path, values) in &models {
            let (_, info) = assemble(path, values).map_err(|e| {
                IoError::invalid(format!("import of {SCHEME}://{path} refused: {e}"))
            })?;
            infos.push((path.clone(), info));
        }
        let paths: Vec<String> = models.keys().cloned().collect();
        self.write_items(items, &paths, false, |_, _, _| {
            infos
                .iter()
                .map(|(p, i)| quota_error_text(p, i))
                .collect::<Vec<_>>()
                .join(" ")
        })?;
        Ok(paths)
    }

    /// [`LocalStorageStore::import_items`] from a JSON object of string values.
    pub fn import_json(&self, text: &str, source: &str) -> Result<Vec<String>> {
        let v = meta::parse_json(text, source)?;
        let Value::Object(map) = v else {
            return Err(IoError::invalid(format!(
                "{source}: expected a JSON object mapping localStorage keys to string values"
            )));
        };
        let mut items = Vec::with_capacity(map.len());
        for (k, v) in map {
            match v {
                Value::String(s) => items.push((k, s)),
                other => {
                    return Err(IoError::invalid(format!(
                        "{source}: value of key `{k}` must be a string (localStorage holds \
                         strings), got {:.80}",
                        other.to_string()
                    )))
                }
            }
        }
        self.import_items(&items)
    }
}

impl ProfileModels for LocalStorageStore {
    fn load_model(&self, path: &str) -> Result<ModelArtifacts> {
        let values = self.read_model(path)?;
        Ok(assemble(path, &values)?.0)
    }

    fn save_model(
        &self,
        path: &str,
        artifacts: &ModelArtifacts,
        create_only: bool,
    ) -> Result<SaveResult> {
        check_artifacts_for_save(artifacts)?;
        let ser = meta::serialize(artifacts);
        let Some(topology) = ser.topology else {
            // TensorFlow.js would store the string "undefined", which it then cannot load.
            return Err(IoError::invalid(format!(
                "{SCHEME}://{path}: cannot save a model without a topology to local storage \
                 (TensorFlow.js could not load it back)"
            )));
        };
        let values = [
            info_to_json(&ser.info),
            topology,
            ser.specs,
            encode_weight_data(&artifacts.weight_data),
            ser.metadata,
        ];
        let items: Vec<(String, String)> = keys_for(path).into_iter().zip(values).collect();
        self.write_items(
            &items,
            &[path.to_string()],
            create_only,
            |units, after, quota| quota_exceeded_text(path, &ser.info, units, after, quota),
        )
        .map_err(|e| match e {
            e @ (IoError::Invalid { .. } | IoError::AlreadyExists { .. }) => e,
            other => IoError::Other {
                message: format!("Failed to save model '{path}' to local storage: {other}"),
            },
        })?;
        Ok(ser.info.into())
    }

    fn list_models(&self, prefix: &str) -> Result<Vec<(String, ModelArtifactsInfo)>> {
        let lo = format!("{KEY_PREFIX}{prefix}");
        // Upper bound: the prefix with its last byte incremented ("/" -> "0").
        let hi = "tensorflowjs_models0".to_string();
        let items = self.profile.text_pairs(
            "SELECT key, value FROM local_storage \
             WHERE key >= ?1 AND key < ?2 AND key LIKE '%/info' ORDER BY key",
            params![lo, hi],
            "cannot list local storage",
        )?;
        let mut out = Vec::new();
        for (key, value) in items {
            // TensorFlow.js: the segments between the first and the last.
            let Some(rest) = key.strip_prefix(KEY_PREFIX) else {
                continue;
            };
            let Some(path) = rest.strip_suffix("/info") else {
                continue;
            };
            if !path.starts_with(prefix) || path.is_empty() {
                continue;
            }
            // One corrupt value must not hide every other model: skip it,
            // as the file:// store skips an unreadable model.json.
            match info_from_json(&value, &format!("{SCHEME}://{path} (key `{key}`)")) {
                Ok(info) => out.push((path.to_string(), info)),
                Err(e) => tracing::warn!("skipping {SCHEME}://{path}: {e}"),
            }
        }
        Ok(out)
    }

    /// Deletes by key even when the stored `info` is corrupt.
    fn remove_model(
        &self,
        path: &str,
        expected: Option<&ModelArtifacts>,
    ) -> Result<ModelArtifactsInfo> {
        let keys = keys_for(path);
        let mut conn = self.profile.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.profile.sql_err("cannot start write transaction", e))?;
        let mut values: [Option<String>; 5] = Default::default();
        {
            let mut stmt = tx
                .prepare_cached("SELECT value FROM local_storage WHERE key = ?1")
                .map_err(|e| self.profile.sql_err("cannot read local storage", e))?;
            for (slot, key) in values.iter_mut().zip(&keys) {
                *slot = stmt
                    .query_row([key], |r| r.get(0))
                    .optional()
                    .map_err(|e| self.profile.sql_err("cannot read local storage", e))?;
            }
        }
        let Some(info_text) = &values[INFO] else {
            return Err(IoError::NotFound {
                url: format!("{SCHEME}://{path}"),
                message: format!("Cannot find model at path '{path}'"),
            });
        };
        let url = format!("{SCHEME}://{path}");
        let info = removal_info(
            expected,
            || assemble(path, &values).map(|(a, _)| a),
            info_from_json(info_text, &format!("{url} (key `{}`)", keys[INFO])),
            || assemble_model(path, &values),
            &url,
        )?;
        for k in &keys {
            tx.execute("DELETE FROM local_storage WHERE key = ?1", [k])
                .map_err(|e| self.profile.sql_err("cannot delete key", e))?;
        }
        self.profile.commit(tx, "cannot commit removal")?;
        Ok(info)
    }
}

profile_model_store!(LocalStorageStore, SCHEME, "local storage");

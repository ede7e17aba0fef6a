//! Model checks that report *every* problem, not just the first one
//! (`tfjs verify`), and a topology walker shared with `tfjs info`.
//!
//! [`verify_file`] reads a model directory or JSON file leniently: the
//! weights manifest is walked as plain JSON so that a bad dtype in one entry
//! does not hide a missing shard in another. [`verify_artifacts`] checks
//! artifacts loaded from any store.
//!
//! ```
//! use tfjs_io::verify::verify_file;
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("model.json"), br#"{"modelTopology": {"class_name": "Sequential",
//!   "config": {"layers": [{"class_name": "Dense", "config": {"name": "d"}}]}},
//!   "weightsManifest": [{"paths": ["w.bin"], "weights": [
//!     {"name": "d/kernel", "shape": [2], "dtype": "float64"},
//!     {"name": "e/bias", "shape": [1], "dtype": "float32"}]}]}"#).unwrap();
//! let report = verify_file(dir.path());
//! let text: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
//! assert_eq!(report.problems.len(), 3, "{text:#?}"); // bad dtype, unknown layer `e`, missing w.bin
//! ```

use crate::file::{locate_model_json, read_shard, sniff_text};
use crate::IoError;
use bytes::Bytes;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use tfjs_format::checkpoint::check_quantization;
use tfjs_format::checkpoint::dequantization_warnings;
use tfjs_format::shard::{check_shards_at, text_shard_warnings};
use tfjs_format::weight_path::WeightPath;
use tfjs_format::WeightsManifestGroup;
use tfjs_format::{codec, FormatError, ModelArtifacts, ModelJson, WeightSpec};

/// One problem: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// File and JSON path, shard file, or weight.
    pub location: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// The result of a verification.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every problem found, in file order.
    pub problems: Vec<Problem>,
    /// Manifest weight entries seen.
    pub weights: usize,
    /// Shard files referenced.
    pub shards: usize,
    /// Weight bytes found on disk (or in the artifacts).
    pub bytes: u64,
    /// Layers found in the topology (all nesting levels).
    pub layers: usize,
}

impl Report {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn push(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            location: location.into(),
            message: message.into(),
        });
    }

    /// `location` holds `found` (or nothing) where `expected` (e.g. "an
    /// array") belongs.
    fn wrong_type(&mut self, location: String, expected: &str, found: Option<&Value>) {
        match found {
            Some(v) => self.push(
                location,
                format!("expected {expected}, got {}", json_type(v)),
            ),
            None => self.push(location, "missing"),
        }
    }
}

// --------------------------------------------------------------- topology

/// The topology walker lives in `tfjs_format::topology`; re-exported here
/// for existing callers.
pub use tfjs_format::topology::{
    snake_case, unknown_layer_weights, walk_topology, LayerInfo, Topology,
};

// ------------------------------------------------------------ file checks

const DTYPES: &[&str] = &["float32", "int32", "bool", "string", "complex64"];

use tfjs_format::json::json_type;

/// Check one manifest entry leniently; returns its stored byte length when
/// it is well-formed and fixed-size.
fn check_entry(w: &Value, loc: &str, report: &mut Report) -> Option<Option<u64>> {
    let Some(obj) = w.as_object() else {
        report.push(
            loc,
            format!("expected a weight entry object, got {}", json_type(w)),
        );
        return None;
    };
    if let Some(g) = obj.get("group") {
        if !g.is_string() {
            report.push(
                format!("{loc}.group"),
                format!("expected a string, got {}", json_type(g)),
            );
        }
    }
    // Any problem below makes the entry unusable.
    let problems_before = report.problems.len();
    let mut elements: Option<u64> = Some(1);
    match obj.get("shape") {
        Some(Value::Array(dims)) => {
            for (k, d) in dims.iter().enumerate() {
                match d.as_u64() {
                    Some(n) => elements = elements.and_then(|e| e.checked_mul(n)),
                    None => {
                        report.push(
                            format!("{loc}.shape[{k}]"),
                            format!("expected a non-negative integer dimension, got {d}"),
                        );
                    }
                }
            }
        }
        other => {
            report.wrong_type(format!("{loc}.shape"), "an array of dimensions", other);
        }
    }
    let dtype = match obj.get("dtype") {
        Some(Value::String(s)) if DTYPES.contains(&s.as_str()) => Some(s.as_str()),
        Some(Value::String(s)) => {
            report.push(
                format!("{loc}.dtype"),
                format!(
                    "Unsupported dtype {s:?}: expected one of {}",
                    DTYPES.join(", ")
                ),
            );
            None
        }
        other => {
            report.wrong_type(format!("{loc}.dtype"), "a dtype string", other);
            None
        }
    };
    let mut elem_size: Option<u64> = dtype.and_then(|d| match d {
        "float32" | "int32" => Some(4),
        "bool" => Some(1),
        "complex64" => Some(8),
        _ => None,
    });
    match obj.get("quantization") {
        None => {}
        Some(Value::Object(q)) => {
            let qd = q.get("dtype").and_then(Value::as_str);
            match qd {
                Some("uint8") | Some("uint16") => {
                    if !(q.get("min").is_some_and(Value::is_number)
                        && q.get("scale").is_some_and(Value::is_number))
                    {
                        report.push(
                            format!("{loc}.quantization"),
                            format!(
                                "quantization {} needs numeric min and scale",
                                qd.unwrap_or("")
                            ),
                        );
                    }
                    if dtype.is_some_and(|d| d != "float32" && d != "int32") {
                        report.push(
                            format!("{loc}.quantization"),
                            format!(
                                "{} quantization only applies to float32 or int32 weights, not {}",
                                qd.unwrap_or(""),
                                dtype.unwrap_or("")
                            ),
                        );
                    }
                    elem_size = Some(if qd == Some("uint8") { 1 } else { 2 });
                }
                Some("float16") => {
                    if dtype.is_some_and(|d| d != "float32") {
                        report.push(
                            format!("{loc}.quantization"),
                            format!(
                                "float16 quantization only supports float32 weights, not {}",
                                dtype.unwrap_or("")
                            ),
                        );
                    }
                    elem_size = Some(2);
                }
                Some(other) => {
                    report.push(
                        format!("{loc}.quantization.dtype"),
                        format!("unknown quantization dtype {other:?}: supported are 'uint8', 'uint16' and 'float16'"),
                    );
                }
                None => {
                    report.push(
                        format!("{loc}.quantization.dtype"),
                        "missing or not a string",
                    );
                }
            }
        }
        Some(other) => {
            report.push(
                format!("{loc}.quantization"),
                format!("expected an object, got {}", json_type(other)),
            );
        }
    }
    if report.problems.len() > problems_before {
        return None;
    }
    if dtype == Some("string") && obj.get("quantization").is_none() {
        return Some(None);
    }
    match elements.and_then(|e| e.checked_mul(elem_size?)) {
        Some(n) => Some(Some(n)),
        None => {
            report.push(
                format!("{loc}.shape"),
                "the shape's byte size overflows 64 bits",
            );
            None
        }
    }
}

/// Verify the model at `path` (directory or JSON file): reports every
/// problem it can find; never fails. Weight files that are links out of the
/// model's directory are reported, as loading refuses them.
pub fn verify_file(path: &Path) -> Report {
    verify_file_with(path, false)
}

/// [`verify_file`], following weight-file links that leave the model's
/// directory when `allow_external_links` is true (as
/// [`load_path_with`](crate::file::load_path_with) does).
pub fn verify_file_with(path: &Path, allow_external_links: bool) -> Report {
    let mut report = Report::default();
    let json_path = match locate_model_json(path) {
        Ok(p) => p,
        Err(e) => {
            report.push(path.display().to_string(), e.to_string());
            return report;
        }
    };
    let jn = json_path.display().to_string();
    let bytes = match crate::file::read_regular_file(
        &json_path,
        "Model JSON file",
        crate::file::MAX_MODEL_JSON_BYTES,
    ) {
        Ok(b) => b,
        Err(e) => {
            report.push(&jn, e.to_string());
            return report;
        }
    };
    if bytes.is_empty() {
        report.push(&jn, "the file is empty; expected a model JSON object");
        return report;
    }
    let root: Value = match tfjs_format::json::parse_value(&bytes, &jn) {
        Ok(v) => v,
        Err(e) => {
            report.problems.push(Problem {
                location: jn.clone(),
                message: e
                    .to_string()
                    .trim_start_matches(&format!("{jn}: "))
                    .to_string(),
            });
            return report;
        }
    };
    let Some(obj) = root.as_object() else {
        report.push(
            &jn,
            format!("expected a JSON object, got {}", json_type(&root)),
        );
        return report;
    };
    let before = report.problems.len();
    let base = json_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut specs_seen: Vec<(String, Option<String>)> = vec![];
    let mut names: HashMap<String, String> = HashMap::new();
    match obj.get("weightsManifest") {
        None => report.push(&jn, "weightsManifest is missing"),
        Some(Value::Array(groups)) => {
            for (gi, g) in groups.iter().enumerate() {
                let gloc = format!("{jn}: weightsManifest[{gi}]");
                let Some(gobj) = g.as_object() else {
                    report.push(
                        &gloc,
                        format!("expected a group object, got {}", json_type(g)),
                    );
                    continue;
                };
                let mut needed: Option<u64> = Some(0);
                match gobj.get("weights") {
                    Some(Value::Array(ws)) => {
                        for (wi, w) in ws.iter().enumerate() {
                            report.weights += 1;
                            let loc = format!("{gloc}.weights[{wi}]");
                            let field = format!("weightsManifest[{gi}].weights[{wi}]");
                            match w.get("name") {
                                Some(Value::String(n)) => {
                                    if let Some(first) = names.insert(n.clone(), field.clone()) {
                                        report.push(
                                            format!("{loc}.name"),
                                            format!(
                                                "duplicate weight name {n:?} (first at {first})"
                                            ),
                                        );
                                    }
                                    specs_seen.push((
                                        n.clone(),
                                        w.get("group").and_then(Value::as_str).map(String::from),
                                    ));
                                }
                                Some(other) => report.push(
                                    format!("{loc}.name"),
                                    format!("expected a string, got {}", json_type(other)),
                                ),
                                None => report.push(format!("{loc}.name"), "missing"),
                            }
                            let entry = check_entry(w, &loc, &mut report);
                            match entry {
                                Some(Some(n)) => needed = needed.and_then(|t| t.checked_add(n)),
                                _ => needed = None,
                            }
                            // The load checkpoint's quantization checks, on
                            // entries well-formed enough to parse.
                            if entry.is_some() {
                                if let Ok(spec) = WeightSpec::from_value(w, &jn, &field) {
                                    if let Err(FormatError::Field { field, message, .. }) =
                                        check_quantization(&spec, &jn, &field)
                                    {
                                        report.push(format!("{jn}: {field}"), message);
                                    }
                                }
                            }
                        }
                    }
                    other => {
                        needed = None;
                        report.wrong_type(format!("{gloc}.weights"), "an array", other);
                    }
                }
                match gobj.get("paths") {
                    Some(Value::Array(ps)) => {
                        let mut shards: Vec<(String, Bytes)> = vec![];
                        let mut all = true;
                        for (pi, p) in ps.iter().enumerate() {
                            let ploc = format!("{gloc}.paths[{pi}]");
                            let Some(p) = p.as_str() else {
                                all = false;
                                report.push(
                                    &ploc,
                                    format!("expected a string, got {}", json_type(p)),
                                );
                                continue;
                            };
                            report.shards += 1;
                            let p = match WeightPath::parse(
                                p,
                                &format!("weightsManifest[{gi}].paths[{pi}]"),
                            ) {
                                Ok(p) => p,
                                Err(e) => {
                                    all = false;
                                    report.push(&ploc, e.to_string());
                                    continue;
                                }
                            };
                            let full = base.join(p.as_str());
                            match read_shard(&full) {
                                Ok(b) => {
                                    report.bytes += b.len() as u64;
                                    shards.push((full.display().to_string(), b));
                                }
                                Err(e) => {
                                    all = false;
                                    report.push(&ploc, e.to_string());
                                }
                            }
                        }
                        let group = WeightsManifestGroup::from_value(g, &jn, &gloc).ok();
                        if let (true, Some(_), Some(group)) = (all, needed, group) {
                            let (names, bytes): (Vec<String>, Vec<Bytes>) =
                                shards.into_iter().unzip();
                            if let Err(e) = check_shards_at(&group, &bytes, &names) {
                                report.push(&gloc, e.to_string());
                            } else {
                                // Text of exactly the right length: it
                                // loads (with a warning); verify says so.
                                let name = |i: usize| names[i].clone();
                                for w in text_shard_warnings(&group, &bytes, &name) {
                                    report.push(&gloc, w);
                                }
                            }
                        } else {
                            for (name, b) in &shards {
                                if let Some(kind) = sniff_text(b) {
                                    report.push(
                                        name,
                                        format!("the file looks like {kind}, not binary weights"),
                                    );
                                }
                            }
                        }
                    }
                    Some(other) => report.push(
                        format!("{gloc}.paths"),
                        format!("expected an array, got {}", json_type(other)),
                    ),
                    None => report.push(format!("{gloc}.paths"), "missing"),
                }
            }
        }
        Some(other) => report.push(
            format!("{jn}: weightsManifest"),
            format!("expected an array of groups, got {}", json_type(other)),
        ),
    }
    match obj.get("modelTopology") {
        None | Some(Value::Null) => report.push(
            &jn,
            "modelTopology is missing: a layers model cannot be built without it",
        ),
        Some(t @ Value::Object(_)) => {
            let topo = walk_topology(t);
            report.layers = topo.layers.len();
            if topo.layers.is_empty() {
                report.push(
                    format!("{jn}: modelTopology"),
                    "no layers found (expected config.layers or model_config.config.layers)",
                );
            } else {
                for (w, layer) in unknown_layer_weights(
                    &topo,
                    specs_seen.iter().map(|(n, g)| (n.as_str(), g.as_deref())),
                ) {
                    report.push(
                        format!("{jn}: weight {w:?}"),
                        format!("the topology has no layer {layer:?} for this manifest entry"),
                    );
                }
            }
        }
        Some(other) => report.push(
            format!("{jn}: modelTopology"),
            format!("expected an object, got {}", json_type(other)),
        ),
    }
    // Anything the lenient walk does not cover (wrong types of other
    // fields): the strict parser's first complaint.
    let manifest_problems = report.problems.len() > before;
    if let Err(e) = ModelJson::from_value(root.clone(), &jn) {
        let dup = matches!(&e, FormatError::Field { field, .. } if field.starts_with("weightsManifest") || field.starts_with("modelTopology"))
            && manifest_problems;
        if !dup {
            report.push(
                &jn,
                e.to_string()
                    .trim_start_matches(&format!("{jn}: "))
                    .to_string(),
            );
        }
    }
    if report.ok() {
        match crate::file::load_path_with(&json_path, allow_external_links) {
            Ok(a) => match codec::decode_weights(&a.weight_specs, &a.weight_data) {
                Ok(decoded) => {
                    for w in dequantization_warnings(&a.weight_specs, &decoded) {
                        report.push(&jn, w);
                    }
                }
                Err(e) => report.push(&jn, e.to_string()),
            },
            Err(e) => report.push(&jn, e.to_string()),
        }
    }
    report
}

/// Verify artifacts loaded from any store: duplicate names, weights whose
/// layer the topology lacks, byte counts, and a full decode.
///
/// ```
/// use tfjs_format::{DType, ModelArtifacts, WeightData, WeightSpec};
/// use tfjs_io::verify::verify_artifacts;
/// let model = ModelArtifacts {
///     weight_specs: vec![WeightSpec::new("w", vec![2], DType::Float32)],
///     weight_data: WeightData::from_vec(vec![0; 7]), // one byte short
///     ..Default::default()
/// };
/// let report = verify_artifacts(&model, "memory://m");
/// assert!(!report.ok());
/// ```
pub fn verify_artifacts(artifacts: &ModelArtifacts, source: &str) -> Report {
    let mut report = Report {
        weights: artifacts.weight_specs.len(),
        shards: artifacts.weight_data.buffers.len(),
        bytes: artifacts.weight_data.len() as u64,
        ..Default::default()
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, w) in artifacts.weight_specs.iter().enumerate() {
        if let Some(first) = seen.insert(&w.name, i) {
            report.push(
                format!("{source}: weightSpecs[{i}]"),
                format!(
                    "duplicate weight name {:?} (first at weightSpecs[{first}])",
                    w.name
                ),
            );
        }
    }
    match &artifacts.model_topology {
        Some(t) => {
            let topo = walk_topology(t);
            report.layers = topo.layers.len();
            for (w, layer) in unknown_layer_weights(
                &topo,
                artifacts
                    .weight_specs
                    .iter()
                    .map(|s: &WeightSpec| (s.name.as_str(), s.group.as_deref())),
            ) {
                report.push(
                    format!("{source}: weight {w:?}"),
                    format!("the topology has no layer {layer:?} for this manifest entry"),
                );
            }
        }
        None => report.push(source, "modelTopology is missing"),
    }
    match codec::decode_weights(&artifacts.weight_specs, &artifacts.weight_data) {
        Ok(decoded) => {
            for w in dequantization_warnings(&artifacts.weight_specs, &decoded) {
                report.push(source, w);
            }
        }
        Err(e) => report.push(source, e.to_string()),
    }
    report
}

/// An [`IoError`] as one verification problem.
pub fn problem_from_error(location: &str, e: &IoError) -> Problem {
    Problem {
        location: location.to_string(),
        message: e.to_string(),
    }
}

//! The weights manifest: groups of shard `paths` and `weights` entries.

use crate::json::json_type;
use crate::DType;
use serde_json::{Map, Number, Value};

/// `weightsManifest`: the groups in file order.
pub type WeightsManifest = Vec<WeightsManifestGroup>;

/// One manifest group: its shards' bytes, concatenated in `paths` order,
/// hold its `weights` back to back (a weight may straddle shards).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WeightsManifestGroup {
    /// Shard paths relative to model.json, as written (`./model.weights.bin`, `group1-shard1of2.bin`).
    pub paths: Vec<String>,
    /// The group's weight entries, in byte order.
    pub weights: Vec<WeightSpec>,
    /// Unknown keys, kept and written back.
    pub extra: Map<String, Value>,
}

/// One `WeightsManifestEntry`.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightSpec {
    /// Unique weight name, e.g. `dense_Dense1/kernel`.
    pub name: String,
    /// Dimensions; `[]` for a scalar.
    pub shape: Vec<usize>,
    /// The dtype of the decoded tensor.
    pub dtype: DType,
    /// `"optimizer"` for optimizer weights; absent for model weights.
    pub group: Option<String>,
    /// Set when the bytes are quantized.
    pub quantization: Option<Quantization>,
    /// Unknown keys, kept and written back.
    pub extra: Map<String, Value>,
}

impl WeightSpec {
    /// A float32/int32/... entry with no group or quantization.
    ///
    /// ```
    /// use tfjs_format::{DType, WeightSpec};
    /// let w = WeightSpec::new("dense/kernel", vec![3, 2], DType::Float32);
    /// assert_eq!(w.num_elements(), Some(6));
    /// ```
    pub fn new(name: impl Into<String>, shape: Vec<usize>, dtype: DType) -> Self {
        WeightSpec {
            name: name.into(),
            shape,
            dtype,
            group: None,
            quantization: None,
            extra: Map::new(),
        }
    }

    /// Product of the shape (1 for a scalar); `None` on overflow.
    pub fn num_elements(&self) -> Option<usize> {
        self.shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }
}

/// The stored dtype of a quantized weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantizationDType {
    /// `"uint8"`: affine quantization, `value = min + scale * q`, 1 byte each.
    Uint8,
    /// `"uint16"`: affine quantization, `value = min + scale * q`, 2 bytes each.
    Uint16,
    /// `"float16"`: IEEE 754 half precision, 2 bytes each (no `min`/`scale`).
    Float16,
}

impl QuantizationDType {
    /// Bytes per stored element.
    pub fn byte_size(self) -> usize {
        match self {
            QuantizationDType::Uint8 => 1,
            QuantizationDType::Uint16 | QuantizationDType::Float16 => 2,
        }
    }
    /// Manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            QuantizationDType::Uint8 => "uint8",
            QuantizationDType::Uint16 => "uint16",
            QuantizationDType::Float16 => "float16",
        }
    }
}

impl std::str::FromStr for QuantizationDType {
    type Err = String;
    /// The inverse of [`QuantizationDType::as_str`].
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Uint8, Self::Uint16, Self::Float16]
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                format!("unknown quantization dtype {s:?}: expected uint8, uint16 or float16")
            })
    }
}

/// `quantization`: `{dtype, min?, scale?, original_dtype?}`.
///
/// `min` and `scale` are kept as JSON numbers so their text (Python `repr`)
/// survives a round trip byte for byte.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantization {
    /// How each element is stored.
    pub dtype: QuantizationDType,
    /// Offset of affine (uint8/uint16) quantization; absent for float16.
    pub min: Option<Number>,
    /// Step of affine (uint8/uint16) quantization; absent for float16.
    pub scale: Option<Number>,
    /// The dtype before quantization as written by the converter (e.g.
    /// `"float32"`), kept verbatim when present.
    pub original_dtype: Option<String>,
    /// Unknown keys, kept and written back.
    pub extra: Map<String, Value>,
}

impl Quantization {
    /// `min` as f64 (0 when absent, as JavaScript's arithmetic coerces it).
    pub fn min_f64(&self) -> f64 {
        self.min.as_ref().and_then(Number::as_f64).unwrap_or(0.0)
    }
    /// `scale` as f64 (0 when absent).
    pub fn scale_f64(&self) -> f64 {
        self.scale.as_ref().and_then(Number::as_f64).unwrap_or(0.0)
    }
}

// ---------------------------------------------------------------------------
// JSON conversion
// ---------------------------------------------------------------------------

/// Build an object in `known` key order from `fields` (`None` = absent),
/// then the remaining `extra` keys. A known key that is absent from `fields`
/// but present in `extra` (how a `null` for a typed field is kept) is
/// written at its known position.
pub(crate) fn ordered_object(
    known: &[(&str, Option<Value>)],
    extra: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in known {
        match v {
            Some(v) => {
                out.insert((*k).to_string(), v.clone());
            }
            None => {
                if let Some(v) = extra.get(*k) {
                    out.insert((*k).to_string(), v.clone());
                }
            }
        }
    }
    for (k, v) in extra {
        if !known.iter().any(|(kk, _)| kk == k) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

impl Quantization {
    /// The JSON object, key order `dtype, min, scale, original_dtype` (as the
    /// Python converter writes it), then unknown keys.
    pub fn to_value(&self) -> Value {
        Value::Object(ordered_object(
            &[
                ("dtype", Some(Value::String(self.dtype.as_str().into()))),
                ("min", self.min.clone().map(Value::Number)),
                ("scale", self.scale.clone().map(Value::Number)),
                (
                    "original_dtype",
                    self.original_dtype.clone().map(Value::String),
                ),
            ],
            &self.extra,
        ))
    }

    /// Parse a `quantization` object; `path` is its JSON path for errors.
    /// `null` for `min`/`scale` is accepted (TensorFlow.js coerces it to 0)
    /// and kept in `extra` so it is written back.
    pub fn from_value(v: &Value, source: &str, path: &str) -> crate::Result<Quantization> {
        let err = |field: String, msg: String| crate::FormatError::field(source, field, msg);
        let map = object(v, source, path, r#"an object {"dtype", "min", "scale"}"#)?;
        let mut q = Quantization {
            dtype: QuantizationDType::Uint8,
            min: None,
            scale: None,
            original_dtype: None,
            extra: Map::new(),
        };
        let mut have_dtype = false;
        for (k, val) in map {
            let fpath = format!("{path}.{k}");
            match (k.as_str(), val) {
                ("dtype", Value::String(s)) => {
                    q.dtype = s.parse().map_err(|_| {
                        err(
                            fpath.clone(),
                            format!(
                                "unknown quantization dtype {s:?}. Supported quantization dtypes are: 'uint8', 'uint16', and 'float16'"
                            ),
                        )
                    })?;
                    have_dtype = true;
                }
                ("min", Value::Number(n)) => q.min = Some(n.clone()),
                ("scale", Value::Number(n)) => q.scale = Some(n.clone()),
                ("min" | "scale" | "original_dtype", Value::Null) => {
                    q.extra.insert(k.clone(), Value::Null);
                }
                ("original_dtype", Value::String(s)) => q.original_dtype = Some(s.clone()),
                ("dtype", other) => {
                    return Err(expected(
                        source,
                        &fpath,
                        r#"a string ("uint8", "uint16" or "float16")"#,
                        other,
                    ))
                }
                ("min" | "scale", other) => {
                    return Err(expected(source, &fpath, "a number", other))
                }
                ("original_dtype", other) => {
                    return Err(expected(source, &fpath, "a string", other))
                }
                _ => {
                    q.extra.insert(k.clone(), val.clone());
                }
            }
        }
        if !have_dtype {
            return Err(err(
                format!("{path}.dtype"),
                "missing: a quantization object needs \"dtype\" (\"uint8\", \"uint16\" or \"float16\")"
                    .into(),
            ));
        }
        Ok(q)
    }

    /// True when the `min` key is present (possibly `null`).
    pub fn has_min(&self) -> bool {
        self.min.is_some() || self.extra.contains_key("min")
    }

    /// True when the `scale` key is present (possibly `null`).
    pub fn has_scale(&self) -> bool {
        self.scale.is_some() || self.extra.contains_key("scale")
    }
}

impl WeightSpec {
    /// The JSON object in TensorFlow.js key order `name, shape, dtype,
    /// group, quantization`, then unknown keys.
    pub fn to_value(&self) -> Value {
        Value::Object(ordered_object(
            &[
                ("name", Some(Value::String(self.name.clone()))),
                (
                    "shape",
                    Some(Value::Array(
                        self.shape.iter().map(|&d| Value::from(d as u64)).collect(),
                    )),
                ),
                ("dtype", Some(Value::String(self.dtype.as_str().into()))),
                ("group", self.group.clone().map(Value::String)),
                (
                    "quantization",
                    self.quantization.as_ref().map(Quantization::to_value),
                ),
            ],
            &self.extra,
        ))
    }

    /// Parse one manifest entry; `path` (e.g. `weightsManifest[0].weights[2]`)
    /// prefixes the field names in errors. Checks that the shape's element
    /// count times the stored element size fits in `u64` and `usize`.
    pub fn from_value(v: &Value, source: &str, path: &str) -> crate::Result<WeightSpec> {
        let err = |field: String, msg: String| crate::FormatError::field(source, field, msg);
        let map = object(
            v,
            source,
            path,
            r#"a weight entry object {"name", "shape", "dtype"}"#,
        )?;
        let mut name = None;
        let mut shape = None;
        let mut dtype = None;
        let mut group = None;
        let mut quantization = None;
        let mut extra = Map::new();
        for (k, val) in map {
            let fpath = format!("{path}.{k}");
            match k.as_str() {
                "name" => match val {
                    Value::String(s) => name = Some(s.clone()),
                    other => return Err(expected(source, &fpath, "a string", other)),
                },
                "shape" => shape = Some(parse_shape(val, source, &fpath)?),
                "dtype" => match val {
                    Value::String(s) => {
                        dtype = Some(s.parse::<DType>().map_err(|m| err(fpath.clone(), m))?)
                    }
                    other => return Err(expected(source, &fpath, "a string", other)),
                },
                "group" => match val {
                    Value::String(s) => group = Some(s.clone()),
                    Value::Null => {
                        extra.insert(k.clone(), Value::Null);
                    }
                    other => return Err(expected(source, &fpath, "a string", other)),
                },
                "quantization" => {
                    quantization = Some(Quantization::from_value(val, source, &fpath)?)
                }
                _ => {
                    extra.insert(k.clone(), val.clone());
                }
            }
        }
        let missing = |f: &str, what: &str| err(format!("{path}.{f}"), format!("missing: {what}"));
        let spec = WeightSpec {
            name: name.ok_or_else(|| missing("name", "every weight entry needs a \"name\" string"))?,
            shape: shape.ok_or_else(|| {
                missing("shape", "every weight entry needs a \"shape\" array ([] for a scalar)")
            })?,
            dtype: dtype.ok_or_else(|| {
                missing(
                    "dtype",
                    "every weight entry needs a \"dtype\" (float32, int32, bool, string or complex64)",
                )
            })?,
            group,
            quantization,
            extra,
        };
        // Overflow check: elements × stored element size.
        let elem = match &spec.quantization {
            Some(q) => q.dtype.byte_size(),
            None => spec.dtype.byte_size().unwrap_or(4),
        } as u64;
        let n = spec
            .shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d as u64));
        match n.and_then(|n| n.checked_mul(elem)) {
            Some(bytes) if usize::try_from(bytes).is_ok() => {}
            _ => {
                return Err(err(
                    format!("{path}.shape"),
                    format!(
                        "shape {:?} of weight {:?} is too large: its byte size ({} bytes per element) overflows",
                        spec.shape, spec.name, elem
                    ),
                ))
            }
        }
        Ok(spec)
    }
}

fn parse_shape(v: &Value, source: &str, path: &str) -> crate::Result<Vec<usize>> {
    let err = |field: String, msg: String| crate::FormatError::field(source, field, msg);
    let Value::Array(items) = v else {
        return Err(expected(
            source,
            path,
            "an array of non-negative integers",
            v,
        ));
    };
    let mut shape = Vec::with_capacity(items.len().min(64));
    for (i, d) in items.iter().enumerate() {
        let dpath = format!("{path}[{i}]");
        let Value::Number(n) = d else {
            return Err(expected(
                source,
                &dpath,
                "a non-negative integer dimension",
                d,
            ));
        };
        let dim = if let Some(u) = n.as_u64() {
            Some(u)
        } else {
            // Accept integral floats such as `3.0`; reject the rest.
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f <= 9007199254740992.0)
                .map(|f| f as u64)
        };
        match dim.map(usize::try_from) {
            Some(Ok(d)) => shape.push(d),
            Some(Err(_)) => {
                return Err(err(
                    dpath,
                    format!("dimension {} is too large for this platform", n.as_str()),
                ))
            }
            None => {
                return Err(err(
                    dpath,
                    format!("dimension {} is not a non-negative integer", n.as_str()),
                ))
            }
        }
    }
    Ok(shape)
}

impl WeightsManifestGroup {
    /// The JSON object `{"paths", "weights"}` then unknown keys.
    pub fn to_value(&self) -> Value {
        Value::Object(ordered_object(
            &[
                (
                    "paths",
                    Some(Value::Array(
                        self.paths.iter().cloned().map(Value::String).collect(),
                    )),
                ),
                ("weights", Some(weight_specs_to_value(&self.weights))),
            ],
            &self.extra,
        ))
    }

    /// Parse one group; `path` is e.g. `weightsManifest[0]`.
    pub fn from_value(v: &Value, source: &str, path: &str) -> crate::Result<WeightsManifestGroup> {
        let err = |field: String, msg: String| crate::FormatError::field(source, field, msg);
        let map = object(
            v,
            source,
            path,
            r#"a manifest group object {"paths", "weights"}"#,
        )?;
        let mut paths = None;
        let mut weights = None;
        let mut extra = Map::new();
        for (k, val) in map {
            let fpath = format!("{path}.{k}");
            match k.as_str() {
                "paths" => {
                    let Value::Array(items) = val else {
                        return Err(expected(source, &fpath, "an array of strings", val));
                    };
                    let mut p = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            Value::String(s) => p.push(s.clone()),
                            other => {
                                return Err(expected(
                                    source,
                                    &format!("{fpath}[{i}]"),
                                    "a string (a shard file path)",
                                    other,
                                ))
                            }
                        }
                    }
                    paths = Some(p);
                }
                "weights" => {
                    weights = Some(parse_specs(val, source, &fpath)?);
                }
                _ => {
                    extra.insert(k.clone(), val.clone());
                }
            }
        }
        Ok(WeightsManifestGroup {
            paths: paths.ok_or_else(|| {
                err(
                    format!("{path}.paths"),
                    "missing: a manifest group needs a \"paths\" array of shard files".into(),
                )
            })?,
            weights: weights.ok_or_else(|| {
                err(
                    format!("{path}.weights"),
                    "missing: a manifest group needs a \"weights\" array".into(),
                )
            })?,
            extra,
        })
    }

    /// Total stored byte length of this group's weights, or `None` when it
    /// holds `string` weights (variable length). Errors on overflow.
    pub fn stored_byte_len(&self) -> crate::Result<Option<u64>> {
        let mut total = 0u64;
        for w in &self.weights {
            match crate::codec::stored_byte_len(w)? {
                Some(n) => {
                    total = total.checked_add(n).ok_or_else(|| {
                        crate::FormatError::weight(&w.name, "total weight byte size overflows u64")
                    })?
                }
                None => return Ok(None),
            }
        }
        Ok(Some(total))
    }
}

/// The error for the value `got` at `path` (in `source`) that is not
/// `what` (`"expected {what}, got {its JSON type}"`).
fn expected(source: &str, path: &str, what: &str, got: &Value) -> crate::FormatError {
    crate::FormatError::field(
        source,
        path,
        format!("expected {what}, got {}", json_type(got)),
    )
}

/// `v` as a JSON object (`what`, for the error).
fn object<'a>(
    v: &'a Value,
    source: &str,
    path: &str,
    what: &str,
) -> crate::Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| expected(source, path, what, v))
}

/// Parse `v`, a JSON array of `what`, item by item with `parse`, the
/// items' paths `path[i]`.
fn parse_array<T>(
    v: &Value,
    source: &str,
    path: &str,
    what: &str,
    parse: fn(&Value, &str, &str) -> crate::Result<T>,
) -> crate::Result<Vec<T>> {
    let Value::Array(items) = v else {
        return Err(expected(source, path, what, v));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse(item, source, &format!("{path}[{i}]")))
        .collect()
}

fn parse_specs(v: &Value, source: &str, path: &str) -> crate::Result<Vec<WeightSpec>> {
    parse_array(
        v,
        source,
        path,
        "an array of weight entries",
        WeightSpec::from_value,
    )
}

/// `weightSpecs` as JSON (what TensorFlow.js stores under localStorage's
/// `weight_specs` key and counts for `weightSpecsBytes`).
///
/// ```
/// use tfjs_format::{manifest::weight_specs_to_value, DType, JsonStyle, WeightSpec};
/// let v = weight_specs_to_value(&[WeightSpec::new("d/kernel", vec![3, 2], DType::Float32)]);
/// assert_eq!(JsonStyle::Browser.to_string(&v), r#"[{"name":"d/kernel","shape":[3,2],"dtype":"float32"}]"#);
/// ```
pub fn weight_specs_to_value(specs: &[WeightSpec]) -> Value {
    Value::Array(specs.iter().map(WeightSpec::to_value).collect())
}

/// Parse a JSON array of weight entries; `source` names the origin in errors
/// (field paths are `[i].shape`, …).
pub fn weight_specs_from_value(v: &Value, source: &str) -> crate::Result<Vec<WeightSpec>> {
    parse_specs(v, source, "")
}

/// `weightsManifest` as JSON.
pub fn manifest_to_value(manifest: &[WeightsManifestGroup]) -> Value {
    Value::Array(
        manifest
            .iter()
            .map(WeightsManifestGroup::to_value)
            .collect(),
    )
}

/// Parse a `weightsManifest` array; field paths start with `path`
/// (normally `"weightsManifest"`).
pub fn manifest_from_value(v: &Value, source: &str, path: &str) -> crate::Result<WeightsManifest> {
    parse_array(
        v,
        source,
        path,
        "an array of manifest groups",
        WeightsManifestGroup::from_value,
    )
}

/// A one-group, one-file manifest as TensorFlow.js's own writers make it:
/// `[{"paths": [path], "weights": weights}]` (path `./model.weights.bin`
/// for browser downloads/HTTP, `weights.bin` for tfjs-node `file://`).
///
/// ```
/// use tfjs_format::manifest::single_file_manifest;
/// let m = single_file_manifest("weights.bin", vec![]);
/// assert_eq!(m[0].paths, ["weights.bin"]);
/// ```
pub fn single_file_manifest(path: impl Into<String>, weights: Vec<WeightSpec>) -> WeightsManifest {
    vec![WeightsManifestGroup {
        paths: vec![path.into()],
        weights,
        extra: Map::new(),
    }]
}

//! The fixtures' `io.json` format (named inputs/outputs, flat row-major data,
//! tolerances) and `.npy` input files.
//!
//! ```
//! use tfjs_layers::io_json::IoJson;
//! let io = IoJson::parse(br#"{"inputs": [{"name": "x", "shape": [1, 2], "dtype": "float32", "data": [1, 2.5]}],
//!   "outputs": [], "tolerance": {"atol": 1e-5, "rtol": 1e-4}}"#, "io.json").unwrap();
//! let t = io.inputs[0].to_tensor().unwrap();
//! assert_eq!(t.shape(), &[1, 2]);
//! assert_eq!(t.as_f32().unwrap(), &[1.0, 2.5]);
//! ```

use crate::{LayersError, Result, Tensor, TensorData};
use serde_json::{Map, Number, Value};

/// One named tensor of an io.json.
#[derive(Debug, Clone, PartialEq)]
pub struct IoTensor {
    pub name: String,
    pub shape: Vec<usize>,
    /// `"float32"`, `"int32"` or `"string"`.
    pub dtype: String,
    /// Values, flat row-major (f64 holds every f32 and i32 exactly); empty
    /// for a `string` tensor.
    pub data: Vec<f64>,
    /// A `string` tensor's values, flat row-major; empty otherwise.
    pub strings: Vec<String>,
}

/// `abs(actual - expected) <= atol + rtol * abs(expected)`, elementwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub atol: f64,
    pub rtol: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            atol: 1e-4,
            rtol: 1e-3,
        }
    }
}

impl Tolerance {
    /// Does `actual` pass against `expected`? (NaN matches NaN.)
    pub fn accepts(&self, actual: f64, expected: f64) -> bool {
        if actual.is_nan() || expected.is_nan() {
            return actual.is_nan() && expected.is_nan();
        }
        if actual == expected {
            return true;
        }
        (actual - expected).abs() <= self.atol + self.rtol * expected.abs()
    }
}

/// A parsed io.json.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IoJson {
    pub inputs: Vec<IoTensor>,
    pub outputs: Vec<IoTensor>,
    /// Quantized fixtures: outputs of the dequantized model.
    pub outputs_dequantized: Option<Vec<IoTensor>>,
    pub tolerance: Tolerance,
    pub tolerance_dequantized: Option<Tolerance>,
    /// Every other top-level key, verbatim.
    pub extra: Map<String, Value>,
}

fn err(source: &str, message: impl std::fmt::Display) -> LayersError {
    LayersError::Input {
        message: format!("{source}: {message}"),
    }
}

fn parse_tolerance(v: &Value, source: &str, key: &str) -> Result<Tolerance> {
    let d = Tolerance::default();
    let get = |k: &str, def: f64| -> Result<f64> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(def),
            Some(x) => x
                .as_f64()
                .ok_or_else(|| err(source, format!("`{key}.{k}` must be a number, got {x}"))),
        }
    };
    Ok(Tolerance {
        atol: get("atol", d.atol)?,
        rtol: get("rtol", d.rtol)?,
    })
}

fn parse_tensors(v: Option<&Value>, source: &str, key: &str) -> Result<Vec<IoTensor>> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let arr = v
        .as_array()
        .ok_or_else(|| err(source, format!("`{key}` must be a list")))?;
    arr.iter()
        .enumerate()
        .map(|(i, t)| {
            let at = format!("{key}[{i}]");
            let name = t
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let shape = t
                .get("shape")
                .and_then(Value::as_array)
                .ok_or_else(|| err(source, format!("`{at}.shape` must be a list of ints")))?
                .iter()
                .map(|d| {
                    d.as_u64()
                        .and_then(|x| usize::try_from(x).ok())
                        .ok_or_else(|| {
                            err(
                                source,
                                format!("`{at}.shape`: {d} is not a non-negative integer"),
                            )
                        })
                })
                .collect::<Result<Vec<usize>>>()?;
            let dtype = t
                .get("dtype")
                .and_then(Value::as_str)
                .unwrap_or("float32")
                .to_string();
            let items = t.get("data").and_then(Value::as_array).ok_or_else(|| {
                err(
                    source,
                    format!("`{at}.data` must be a flat list of numbers (or of strings for dtype string)"),
                )
            })?;
            let strings = if dtype == "string" {
                items
                    .iter()
                    .enumerate()
                    .map(|(j, x)| {
                        x.as_str().map(str::to_string).ok_or_else(|| {
                            err(
                                source,
                                format!("`{at}.data[{j}]`: {x} is not a string (dtype is string)"),
                            )
                        })
                    })
                    .collect::<Result<Vec<String>>>()?
            } else {
                Vec::new()
            };
            let numbers = if dtype == "string" { &[][..] } else { items };
            let data = numbers
                .iter()
                .enumerate()
                .map(|(j, x)| match x {
                    Value::Null => Ok(f64::NAN),
                    Value::String(s) => match s.as_str() {
                        "NaN" => Ok(f64::NAN),
                        "Infinity" => Ok(f64::INFINITY),
                        "-Infinity" => Ok(f64::NEG_INFINITY),
                        _ => Err(err(
                            source,
                            format!("`{at}.data[{j}]`: {x} is not a number"),
                        )),
                    },
                    _ => x.as_f64().ok_or_else(|| {
                        err(source, format!("`{at}.data[{j}]`: {x} is not a number"))
                    }),
                })
                .collect::<Result<Vec<f64>>>()?;
            let n = shape
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .ok_or_else(|| err(source, format!("`{at}.shape` overflows")))?;
            if n != items.len() {
                return Err(err(
                    source,
                    format!(
                        "`{at}` (`{name}`): shape {shape:?} needs {n} values, data has {}",
                        items.len()
                    ),
                ));
            }
            Ok(IoTensor {
                name,
                shape,
                dtype,
                data,
                strings,
            })
        })
        .collect()
}

impl IoTensor {
    /// As a tensor (`int32` → i32 data, `string` → strings, anything else f32).
    pub fn to_tensor(&self) -> Result<Tensor> {
        if self.dtype == "string" {
            Tensor::from_strings(self.shape.clone(), self.strings.clone())
        } else if self.dtype == "int32" {
            Tensor::from_i32(
                self.shape.clone(),
                self.data.iter().map(|&x| x as i32).collect(),
            )
        } else {
            Tensor::from_f32(
                self.shape.clone(),
                self.data.iter().map(|&x| x as f32).collect(),
            )
        }
    }

    /// From a tensor.
    pub fn from_tensor(name: &str, t: &Tensor) -> IoTensor {
        let (data, strings) = match t.data() {
            TensorData::F32(v) => (v.iter().map(|&x| x as f64).collect(), Vec::new()),
            TensorData::I32(v) => (v.iter().map(|&x| x as f64).collect(), Vec::new()),
            TensorData::Str(v) => (Vec::new(), v.clone()),
        };
        IoTensor {
            name: name.to_string(),
            shape: t.shape().to_vec(),
            dtype: t.dtype().into(),
            data,
            strings,
        }
    }

    /// JSON form; float32 values use their shortest round-trip spelling,
    /// non-finite values are written as the strings `NaN`/`Infinity`.
    pub fn to_value(&self) -> Value {
        if self.dtype == "string" {
            return serde_json::json!({"name": self.name, "shape": self.shape, "dtype": self.dtype, "data": self.strings});
        }
        let data: Vec<Value> = self
            .data
            .iter()
            .map(|&x| {
                if !x.is_finite() {
                    Value::String(if x.is_nan() {
                        "NaN".into()
                    } else if x > 0.0 {
                        "Infinity".into()
                    } else {
                        "-Infinity".into()
                    })
                } else if self.dtype == "int32" {
                    Value::from(x as i64)
                } else {
                    let s = format!("{}", x as f32);
                    serde_json::from_str::<Number>(&s)
                        .map(Value::Number)
                        .unwrap_or(Value::Null)
                }
            })
            .collect();
        serde_json::json!({"name": self.name, "shape": self.shape, "dtype": self.dtype, "data": data})
    }
}

impl IoJson {
    /// Parse io.json bytes; `source` names the file in errors.
    pub fn parse(bytes: &[u8], source: &str) -> Result<IoJson> {
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| err(source, format!("invalid JSON: {e}")))?;
        let o = v
            .as_object()
            .ok_or_else(|| err(source, "expected a JSON object"))?;
        let mut extra = o.clone();
        for k in [
            "inputs",
            "outputs",
            "outputs_dequantized",
            "tolerance",
            "tolerance_dequantized",
        ] {
            extra.shift_remove(k);
        }
        Ok(IoJson {
            inputs: parse_tensors(o.get("inputs"), source, "inputs")?,
            outputs: parse_tensors(o.get("outputs"), source, "outputs")?,
            outputs_dequantized: match o.get("outputs_dequantized") {
                Some(v) if !v.is_null() => {
                    Some(parse_tensors(Some(v), source, "outputs_dequantized")?)
                }
                _ => None,
            },
            tolerance: match o.get("tolerance") {
                Some(t) if !t.is_null() => parse_tolerance(t, source, "tolerance")?,
                _ => Tolerance::default(),
            },
            tolerance_dequantized: match o.get("tolerance_dequantized") {
                Some(t) if !t.is_null() => {
                    Some(parse_tolerance(t, source, "tolerance_dequantized")?)
                }
                _ => None,
            },
            extra,
        })
    }

    /// The expected outputs and tolerance to check against:
    /// `outputs_dequantized` with `tolerance_dequantized` when present.
    pub fn reference(&self) -> (&[IoTensor], Tolerance) {
        match &self.outputs_dequantized {
            Some(o) => (o, self.tolerance_dequantized.unwrap_or(self.tolerance)),
            None => (&self.outputs, self.tolerance),
        }
    }

    /// The inputs ordered for a model with inputs `names`: by name when every
    /// name is present, else by position (counts must agree).
    pub fn inputs_for(&self, names: &[&str]) -> Result<Vec<Tensor>> {
        let by_name: Option<Vec<&IoTensor>> = names
            .iter()
            .map(|n| self.inputs.iter().find(|t| t.name == *n))
            .collect();
        let chosen: Vec<&IoTensor> = match by_name {
            Some(v) => v,
            None if self.inputs.len() == names.len() => self.inputs.iter().collect(),
            None => {
                let have: Vec<&str> = self.inputs.iter().map(|t| t.name.as_str()).collect();
                return Err(LayersError::Input {
                    message: format!(
                        "the model has inputs {names:?} but the file provides {have:?}"
                    ),
                });
            }
        };
        chosen.iter().map(|t| t.to_tensor()).collect()
    }

    /// JSON value (same layout as the fixtures).
    pub fn to_value(&self) -> Value {
        let mut o = Map::new();
        o.insert(
            "inputs".into(),
            Value::Array(self.inputs.iter().map(IoTensor::to_value).collect()),
        );
        o.insert(
            "outputs".into(),
            Value::Array(self.outputs.iter().map(IoTensor::to_value).collect()),
        );
        if let Some(d) = &self.outputs_dequantized {
            o.insert(
                "outputs_dequantized".into(),
                Value::Array(d.iter().map(IoTensor::to_value).collect()),
            );
        }
        o.insert(
            "tolerance".into(),
            serde_json::json!({"atol": self.tolerance.atol, "rtol": self.tolerance.rtol}),
        );
        if let Some(t) = &self.tolerance_dequantized {
            o.insert(
                "tolerance_dequantized".into(),
                serde_json::json!({"atol": t.atol, "rtol": t.rtol}),
            );
        }
        for (k, v) in &self.extra {
            o.insert(k.clone(), v.clone());
        }
        Value::Object(o)
    }
}

/// One element that failed a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub output: String,
    pub index: usize,
    pub actual: f64,
    pub expected: f64,
    pub abs_err: f64,
}

/// The result of comparing outputs with references.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comparison {
    /// Largest `|actual - expected|` over all elements.
    pub max_abs_err: f64,
    /// Failing element count.
    pub failures: usize,
    /// Up to `keep` worst failures (largest error first).
    pub worst: Vec<Mismatch>,
    /// Structural problems (count, shape).
    pub problems: Vec<String>,
}

impl Comparison {
    /// Did everything match?
    pub fn passed(&self) -> bool {
        self.failures == 0 && self.problems.is_empty()
    }

    /// Record a problem with output `output`.
    fn output_problem(&mut self, output: &str, what: std::fmt::Arguments<'_>) {
        self.problems.push(format!("output `{output}`: {what}"));
    }
}

/// Compare `actual` (model output order) with `expected`.
pub fn compare(
    actual: &[Tensor],
    expected: &[IoTensor],
    tol: Tolerance,
    keep: usize,
) -> Comparison {
    let mut c = Comparison::default();
    if actual.len() != expected.len() {
        c.problems.push(format!(
            "the model produced {} output(s), the reference has {}",
            actual.len(),
            expected.len()
        ));
    }
    let mut all = Vec::new();
    for (a, e) in actual.iter().zip(expected) {
        if a.shape() != e.shape.as_slice() {
            let (got, want) = (a.shape(), &e.shape);
            c.output_problem(&e.name, format_args!("shape {got:?}, expected {want:?}"));
            continue;
        }
        if a.as_strings().is_some() || e.dtype == "string" {
            compare_strings(a, e, &mut c);
            continue;
        }
        let av = a.to_f32();
        for (i, (&x, &y)) in av.iter().zip(&e.data).enumerate() {
            let x = x as f64;
            let y32 = y as f32 as f64;
            let d = (x - y32).abs();
            if d.is_finite() && d > c.max_abs_err {
                c.max_abs_err = d;
            }
            if !tol.accepts(x, y32) {
                c.failures += 1;
                all.push(Mismatch {
                    output: e.name.clone(),
                    index: i,
                    actual: x,
                    expected: y32,
                    abs_err: if d.is_nan() { f64::INFINITY } else { d },
                });
            }
        }
    }
    all.sort_by(|a, b| b.abs_err.total_cmp(&a.abs_err));
    all.truncate(keep);
    c.worst = all;
    c
}

/// Strings match exactly; a mismatch counts as a failure (its error is
/// infinite, so it sorts first).
fn compare_strings(a: &Tensor, e: &IoTensor, c: &mut Comparison) {
    let Some(got) = a.as_strings().filter(|_| e.dtype == "string") else {
        let (got, want) = (a.dtype(), &e.dtype);
        c.output_problem(&e.name, format_args!("dtype {got}, expected {want}"));
        return;
    };
    let bad: Vec<usize> = (0..got.len())
        .filter(|&i| e.strings.get(i) != Some(&got[i]))
        .collect();
    c.failures += bad.len();
    if let Some(&i) = bad.first() {
        let want = e.strings.get(i).map(String::as_str).unwrap_or("");
        c.output_problem(
            &e.name,
            format_args!(
                "{} string(s) differ, first at flat index {i}: {:?}, expected {want:?}",
                bad.len(),
                got[i]
            ),
        );
    }
}

/// Read a `.npy` array (little-endian f4/i4/f8/i8, C order). f8 becomes
/// f32, i8 becomes i32 (values out of range are an error).
pub fn read_npy(bytes: &[u8], source: &str) -> Result<Tensor> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(err(source, "not a .npy file (missing \\x93NUMPY magic)"));
    }
    let major = bytes[6];
    let (hlen, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(err(source, "truncated .npy header"));
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(err(source, format!("unsupported .npy version {v}"))),
    };
    let end = start
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| err(source, "truncated .npy header"))?;
    let header = std::str::from_utf8(&bytes[start..end])
        .map_err(|_| err(source, ".npy header is not text"))?;
    let field = |key: &str| -> Option<&str> {
        let k = header.find(&format!("'{key}'"))?;
        let rest = header[k + key.len() + 2..].trim_start();
        Some(rest.strip_prefix(':')?.trim_start())
    };
    let descr = field("descr")
        .and_then(|r| r.strip_prefix('\'').and_then(|r| r.split('\'').next()))
        .ok_or_else(|| err(source, "npy header has no 'descr'"))?;
    if field("fortran_order")
        .map(|r| r.starts_with("True"))
        .unwrap_or(false)
    {
        return Err(err(
            source,
            "Fortran-order .npy arrays are not supported (save with C order)",
        ));
    }
    let shape_txt = field("shape")
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.split(')').next())
        .ok_or_else(|| err(source, "npy header has no 'shape'"))?;
    let shape: Vec<usize> = shape_txt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| err(source, format!("bad shape entry {s:?} in npy header")))
        })
        .collect::<Result<_>>()?;
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| err(source, "npy shape overflows"))?;
    let item = match descr {
        "<f4" | "<i4" => 4,
        "<f8" | "<i8" => 8,
        "|u1" | "|i1" | "|b1" => 1,
        other => {
            return Err(err(
                source,
                format!("unsupported npy dtype {other:?}: expected <f4, <i4, <f8 or <i8"),
            ))
        }
    };
    let body = &bytes[end..];
    let need = n
        .checked_mul(item)
        .ok_or_else(|| err(source, "npy size overflows"))?;
    if body.len() != need {
        return Err(err(
            source,
            format!(
                "shape {shape:?} of {descr} needs {need} data bytes, the file has {}",
                body.len()
            ),
        ));
    }
    match descr {
        "<f4" => Tensor::from_f32(
            shape,
            body.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        "<f8" => Tensor::from_f32(
            shape,
            body.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                .collect(),
        ),
        "<i4" => Tensor::from_i32(
            shape,
            body.chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        "<i8" => {
            let v = body
                .chunks_exact(8)
                .enumerate()
                .map(|(i, c)| {
                    let x = i64::from_le_bytes(c.try_into().expect("8 bytes"));
                    i32::try_from(x).map_err(|_| {
                        err(
                            source,
                            format!("int64 value {x} at index {i} does not fit int32"),
                        )
                    })
                })
                .collect::<Result<Vec<i32>>>()?;
            Tensor::from_i32(shape, v)
        }
        "|u1" | "|b1" => Tensor::from_i32(shape, body.iter().map(|&b| b as i32).collect()),
        _ => Tensor::from_i32(shape, body.iter().map(|&b| b as i8 as i32).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, body: &[u8]) -> Vec<u8> {
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((h.len() as u16).to_le_bytes());
        out.extend(h.as_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn npy_dtypes() {
        let f: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let t = read_npy(&npy("<f4", "(1, 2)", &f), "a.npy").unwrap();
        assert_eq!(t.shape(), &[1, 2]);
        assert_eq!(t.as_f32().unwrap(), &[1.5, -2.0]);
        let i: Vec<u8> = [3i64, 4].iter().flat_map(|x| x.to_le_bytes()).collect();
        let t = read_npy(&npy("<i8", "(2,)", &i), "b.npy").unwrap();
        assert_eq!(t.data(), &TensorData::I32(vec![3, 4]));
        let e = read_npy(&npy("<f4", "(3,)", &f), "c.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.npy") && e.contains("needs 12"), "{e}");
        let e = read_npy(&npy(">f4", "(2,)", &f), "d.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unsupported"), "{e}");
    }

    #[test]
    fn tolerance_rule() {
        let t = Tolerance {
            atol: 1e-3,
            rtol: 0.1,
        };
        assert!(t.accepts(1.05, 1.0));
        assert!(!t.accepts(1.2, 1.0));
        assert!(t.accepts(f64::NAN, f64::NAN));
    }
}

//! Typed access to a layer's Keras config, with errors naming the layer and field.
//!
//! Accepts the spellings TensorFlow.js, Keras 2 and Keras 3 write: ints or
//! lists for tuple fields, `DTypePolicy` objects for `dtype`, floats such as
//! `6.0` for integral fields.

use crate::Dialect;
use crate::{LayersError, Result};
use serde_json::{Map, Value};

/// A layer config with its layer name, for error messages.
#[derive(Debug, Clone, Copy)]
pub struct ConfigReader<'a> {
    pub layer: &'a str,
    pub map: &'a Map<String, Value>,
    /// Whose semantics the config follows where Keras and TensorFlow.js
    /// differ (`hard_sigmoid`, bilinear `UpSampling2D`).
    pub dialect: Dialect,
}

impl<'a> ConfigReader<'a> {
    /// Wrap `map`, the config of layer `layer` (TensorFlow.js semantics).
    pub fn new(layer: &'a str, map: &'a Map<String, Value>) -> Self {
        ConfigReader {
            layer,
            map,
            dialect: Dialect::Tfjs,
        }
    }

    /// The same reader, reading its config in `dialect`.
    pub fn in_dialect(self, dialect: Dialect) -> Self {
        ConfigReader { dialect, ..self }
    }

    /// A reader for a config nested in this one (a wrapped layer, an RNN
    /// cell) or derived from it (an edited copy): same dialect.
    pub fn nested<'b>(&self, layer: &'b str, map: &'b Map<String, Value>) -> ConfigReader<'b> {
        ConfigReader::new(layer, map).in_dialect(self.dialect)
    }

    /// The raw value (absent and `null` are both `None`).
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// An error about `key` of this layer.
    pub fn err(&self, key: &str, message: impl std::fmt::Display) -> LayersError {
        LayersError::config(self.layer, format!("config field `{key}`: {message}"))
    }

    /// A required field that must be present.
    pub fn required(&self, key: &str) -> Result<&'a Value> {
        self.get(key).ok_or_else(|| self.err(key, "is required"))
    }

    /// `key` read with `read` (`what` names the expected kind in the
    /// error); `None` when it is absent or `null`.
    fn typed_opt<T>(
        &self,
        key: &str,
        read: fn(&'a Value) -> Option<T>,
        what: &str,
    ) -> Result<Option<T>> {
        self.get(key)
            .map(|v| read(v).ok_or_else(|| self.err(key, format!("expected {what}, got {v}"))))
            .transpose()
    }

    pub fn f64_or(&self, key: &str, default: f64) -> Result<f64> {
        Ok(self.f64_opt(key)?.unwrap_or(default))
    }

    pub fn f64_opt(&self, key: &str) -> Result<Option<f64>> {
        self.typed_opt(key, Value::as_f64, "a number")
    }

    pub fn usize_req(&self, key: &str) -> Result<usize> {
        to_usize(self.required(key)?)
            .ok_or_else(|| self.err(key, "expected a non-negative integer"))
    }

    pub fn usize_or(&self, key: &str, default: usize) -> Result<usize> {
        Ok(self
            .typed_opt(key, to_usize, "a non-negative integer")?
            .unwrap_or(default))
    }

    /// `key` read item by item with `item` when it is a JSON list (`what`
    /// names the items in the error); `None` when it is absent or not a
    /// list, for the caller to accept or refuse.
    pub fn list_of<T>(
        &self,
        key: &str,
        item: fn(&Value) -> Option<T>,
        what: &str,
    ) -> Result<Option<Vec<T>>> {
        match self.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .map(item)
                .collect::<Option<Vec<T>>>()
                .map(Some)
                .ok_or_else(|| self.err(key, format!("expected a list of {what}"))),
            _ => Ok(None),
        }
    }

    pub fn i64_or(&self, key: &str, default: i64) -> Result<i64> {
        Ok(self
            .typed_opt(key, to_i64, "an integer")?
            .unwrap_or(default))
    }

    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        Ok(self
            .typed_opt(key, Value::as_bool, "true or false")?
            .unwrap_or(default))
    }

    pub fn str_or(&self, key: &str, default: &'a str) -> Result<&'a str> {
        Ok(self
            .typed_opt(key, Value::as_str, "a string")?
            .unwrap_or(default))
    }

    /// An int or a list of `n` ints (`kernel_size: 3` → `[3, 3]`).
    pub fn tuple_or(&self, key: &str, n: usize, default: usize) -> Result<Vec<usize>> {
        match self.get(key) {
            None => Ok(vec![default; n]),
            Some(v) => self.tuple_value(key, v, n),
        }
    }

    /// Like [`ConfigReader::tuple_or`] but required.
    pub fn tuple_req(&self, key: &str, n: usize) -> Result<Vec<usize>> {
        let v = self.required(key)?;
        self.tuple_value(key, v, n)
    }

    fn tuple_value(&self, key: &str, v: &Value, n: usize) -> Result<Vec<usize>> {
        if let Some(x) = to_usize(v) {
            return Ok(vec![x; n]);
        }
        let arr = v.as_array().ok_or_else(|| {
            self.err(
                key,
                format!("expected an int or a list of {n} ints, got {v}"),
            )
        })?;
        let out: Option<Vec<usize>> = arr.iter().map(to_usize).collect();
        match out {
            Some(out) if out.len() == n => Ok(out),
            Some(out) if out.len() == 1 => Ok(vec![out[0]; n]),
            _ => Err(self.err(
                key,
                format!("expected an int or a list of {n} non-negative ints, got {v}"),
            )),
        }
    }

    /// A shape list with `null` dims (`batch_input_shape`, `batch_shape`, `target_shape`).
    pub fn shape_opt(&self, key: &str) -> Result<Option<Vec<Option<usize>>>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let arr = v
            .as_array()
            .ok_or_else(|| self.err(key, format!("expected a list, got {v}")))?;
        crate::topology::shape_dims(arr, to_usize)
            .map(Some)
            .map_err(|d| {
                self.err(
                    key,
                    format!("dimension {d} is not a non-negative integer or null"),
                )
            })
    }

    /// The dtype name, from a string or a Keras 3 `DTypePolicy` object.
    pub fn dtype(&self) -> Option<&'a str> {
        match self.get("dtype")? {
            Value::String(s) => Some(s),
            Value::Object(o) => o
                .get("config")
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str),
            _ => None,
        }
    }

    /// The layer's `name`, else the given default.
    pub fn name(&self) -> &'a str {
        self.map
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(self.layer)
    }
}

fn to_usize(v: &Value) -> Option<usize> {
    to_i64(v).and_then(|x| usize::try_from(x).ok())
}

fn to_i64(v: &Value) -> Option<i64> {
    if let Some(x) = v.as_i64() {
        return Some(x);
    }
    let f = v.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

//! Keras's `IntegerLookup` and `Discretization` at inference.
//!
//! `IntegerLookup`: integer tokens → vocabulary
//! indices (or back, with `invert`), with the vocabulary given in the
//! config as Keras writes it once adapted or set. Index layout as Keras's
//! `IndexLookup`: the mask token (if any) at 0, then `num_oov_indices`
//! out-of-vocabulary slots (an unknown token `t` goes to `t mod
//! num_oov_indices`, Keras's `floormod`), then the vocabulary in order.
//! `output_mode` `int` gives int32 indices; `one_hot`, `multi_hot` and
//! `count` give float32 encodings over the whole index range.
//! TensorFlow.js 4.22 has no lookup layers.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor, TensorData};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// `class_name`, `name` and `config` of a lookup layer: the config as
/// read (vocabulary, boundaries and modes are Keras's, TF.js has no such
/// layers), with the base keys refreshed.
macro_rules! lookup_common {
    ($class:literal) => {
        fn class_name(&self) -> &str {
            $class
        }
        fn name(&self) -> &str {
            &self.base.name
        }
        fn config(&self) -> Map<String, Value> {
            let mut m = self.raw.clone();
            self.base.write(&mut m);
            m
        }
    };
}

/// Register `IntegerLookup` and `Discretization`.
pub fn register(registry: &mut LayerRegistry) {
    registry.register("IntegerLookup", |c, _| {
        Ok(Box::new(IntegerLookup::from_config(c)?) as Box<dyn Layer>)
    });
    registry.register("Discretization", |c, _| {
        Ok(Box::new(Discretization::from_config(c)?) as Box<dyn Layer>)
    });
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Int,
    OneHot,
    MultiHot,
    Count,
}

/// `IntegerLookup`.
#[derive(Debug)]
pub struct IntegerLookup {
    base: Base,
    raw: Map<String, Value>,
    vocabulary: Vec<i64>,
    index: HashMap<i64, usize>,
    mask_token: Option<i64>,
    num_oov: usize,
    invert: bool,
    mode: Mode,
}

impl IntegerLookup {
    /// Build from a config; the vocabulary must be in it.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<IntegerLookup> {
        let vocabulary: Vec<i64> = match c.get("vocabulary") {
            Some(Value::Array(a)) => a
                .iter()
                .map(Value::as_i64)
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| c.err("vocabulary", "expected a list of integers"))?,
            Some(Value::String(path)) => {
                return Err(c.err(
                    "vocabulary",
                    format!("a vocabulary file ({path:?}) cannot be read; the vocabulary must be in the config"),
                ))
            }
            _ => {
                return Err(c.err(
                    "vocabulary",
                    "missing: the layer was not adapted (or its vocabulary was not saved in the config)",
                ))
            }
        };
        let mask_token = match c.get("mask_token") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| c.err("mask_token", "expected an integer or null"))?,
            ),
        };
        let num_oov = c.usize_or("num_oov_indices", 1)?;
        let mode = output_mode(c)?;
        let invert = c.bool_or("invert", false)?;
        if invert && mode != Mode::Int {
            return Err(c.err("output_mode", "invert needs output_mode \"int\""));
        }
        let first = usize::from(mask_token.is_some()) + num_oov;
        let mut index = HashMap::with_capacity(vocabulary.len());
        for (i, &t) in vocabulary.iter().enumerate() {
            if index.insert(t, first + i).is_some() {
                return Err(c.err("vocabulary", format!("token {t} appears twice")));
            }
        }
        Ok(IntegerLookup {
            base: Base::parse(c)?,
            raw: c.map.clone(),
            vocabulary,
            index,
            mask_token,
            num_oov,
            invert,
            mode,
        })
    }

    /// Mask slot + OOV slots + vocabulary.
    fn size(&self) -> usize {
        usize::from(self.mask_token.is_some()) + self.num_oov + self.vocabulary.len()
    }

    fn lookup(&self, t: i64) -> Result<i64> {
        if Some(t) == self.mask_token {
            return Ok(0);
        }
        if let Some(&i) = self.index.get(&t) {
            return Ok(i as i64);
        }
        if self.num_oov == 0 {
            return Err(input_err(
                &self.base.name,
                format!("token {t} is not in the vocabulary and num_oov_indices is 0"),
            ));
        }
        let first = i64::from(self.mask_token.is_some());
        Ok(first + t.rem_euclid(self.num_oov as i64))
    }

    fn invert_one(&self, i: i64) -> i64 {
        let first = (usize::from(self.mask_token.is_some()) + self.num_oov) as i64;
        match usize::try_from(i - first)
            .ok()
            .and_then(|k| self.vocabulary.get(k))
        {
            Some(&t) => t,
            None if i == 0 && self.mask_token.is_some() => self.mask_token.unwrap_or(0),
            // Keras returns the OOV token for indices outside the vocabulary.
            None => self
                .raw
                .get("oov_token")
                .and_then(Value::as_i64)
                .unwrap_or(-1),
        }
    }
}

impl Layer for IntegerLookup {
    lookup_common!("IntegerLookup");
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?.clone();
        Ok(vec![encoded_shape(self.mode, s, self.size())])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        // Integer inputs exactly (float32 holds integers only up to 2^24).
        let tokens: Vec<i64> = match x.data() {
            TensorData::I32(v) => v.iter().map(|&t| i64::from(t)).collect(),
            TensorData::F32(v) => v.iter().map(|&t| t as i64).collect(),
        };
        let shape = x.shape().to_vec();
        if self.invert {
            let out = tokens.iter().map(|&i| self.invert_one(i) as i32).collect();
            return Ok(vec![Tensor::from_i32(shape, out)?]);
        }
        let ids = tokens
            .iter()
            .map(|&t| self.lookup(t))
            .collect::<Result<Vec<i64>>>()?;
        Ok(vec![encode(
            &self.base,
            self.mode,
            &ids,
            shape,
            self.size(),
        )?])
    }
}

/// Indices `ids` (of an input of `shape`) in `mode` over `n` indices:
/// int32 indices, or float32 one-hot / multi-hot / count encodings.
fn encode(base: &Base, mode: Mode, ids: &[i64], shape: Vec<usize>, n: usize) -> Result<Tensor> {
    if let Some(&bad) = ids
        .iter()
        .find(|&&i| i < 0 || i as usize >= n.max(1) && mode != Mode::Int)
    {
        return Err(input_err(
            &base.name,
            format!("index {bad} is outside 0..{n}"),
        ));
    }
    match mode {
        Mode::Int => Tensor::from_i32(shape, ids.iter().map(|&i| i as i32).collect()),
        Mode::OneHot => {
            let mut out = vec![0f32; ids.len() * n];
            for (k, &i) in ids.iter().enumerate() {
                out[k * n + i as usize] = 1.0;
            }
            let mut o = shape;
            if o.last() == Some(&1) {
                o.pop();
            }
            o.push(n);
            make_tensor(base, o, out)
        }
        Mode::MultiHot | Mode::Count => {
            let b = shape.first().copied().unwrap_or(1);
            let per = ids.len() / b.max(1);
            let mut out = vec![0f32; b * n];
            for (k, &i) in ids.iter().enumerate() {
                let slot = &mut out[(k / per.max(1)) * n + i as usize];
                *slot = if mode == Mode::Count {
                    *slot + 1.0
                } else {
                    1.0
                };
            }
            make_tensor(base, vec![b, n], out)
        }
    }
}

/// The output shape of [`encode`] for an input of symbolic `s`.
fn encoded_shape(mode: Mode, s: Shape, n: usize) -> Shape {
    match mode {
        Mode::Int => s,
        Mode::MultiHot | Mode::Count => vec![s[0], Some(n)],
        Mode::OneHot => {
            let mut o = s;
            if o.last() == Some(&Some(1)) {
                o.pop();
            }
            o.push(Some(n));
            o
        }
    }
}

fn output_mode(c: &ConfigReader<'_>) -> Result<Mode> {
    Ok(match c.str_or("output_mode", "int")? {
        "int" => Mode::Int,
        "one_hot" => Mode::OneHot,
        "multi_hot" => Mode::MultiHot,
        "count" => Mode::Count,
        other => {
            return Err(c.err(
                "output_mode",
                format!("\"{other}\" is not supported (int, one_hot, multi_hot, count are)"),
            ))
        }
    })
}

/// Keras's `Discretization`: the bucket of each value among sorted
/// `bin_boundaries` (`tf.raw_ops.Bucketize` / `ops.digitize`: a value equal
/// to a boundary goes to the bucket above it), as int32 indices or encoded.
#[derive(Debug)]
pub struct Discretization {
    base: Base,
    raw: Map<String, Value>,
    boundaries: Vec<f64>,
    mode: Mode,
}

impl Discretization {
    /// Build from a config; `bin_boundaries` must be in it (adapted or given).
    pub fn from_config(c: &ConfigReader<'_>) -> Result<Discretization> {
        let boundaries: Vec<f64> = match c.get("bin_boundaries") {
            Some(Value::Array(a)) => a
                .iter()
                .map(Value::as_f64)
                .collect::<Option<Vec<f64>>>()
                .ok_or_else(|| c.err("bin_boundaries", "expected a list of numbers"))?,
            _ => {
                return Err(c.err(
                    "bin_boundaries",
                    "missing: the layer was not adapted (or its boundaries were not saved in the config)",
                ))
            }
        };
        if boundaries.iter().any(|b| b.is_nan()) || boundaries.windows(2).any(|w| w[0] > w[1]) {
            return Err(c.err("bin_boundaries", "must be sorted"));
        }
        Ok(Discretization {
            base: Base::parse(c)?,
            raw: c.map.clone(),
            boundaries,
            mode: output_mode(c)?,
        })
    }
}

impl Layer for Discretization {
    lookup_common!("Discretization");
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?.clone();
        Ok(vec![encoded_shape(self.mode, s, self.boundaries.len() + 1)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let ids: Vec<i64> = f32s(x)
            .iter()
            .map(|&v| self.boundaries.partition_point(|&b| b <= v as f64) as i64)
            .collect();
        Ok(vec![encode(
            &self.base,
            self.mode,
            &ids,
            x.shape().to_vec(),
            self.boundaries.len() + 1,
        )?])
    }
}

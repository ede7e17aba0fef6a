//! Keras's `IntegerLookup`, `Discretization` and `Hashing` at inference.
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

/// Register `IntegerLookup`, `Discretization` and `Hashing`.
pub fn register(registry: &mut LayerRegistry) {
    registry.register("Hashing", |c, _| {
        Ok(Box::new(Hashing::from_config(c)?) as Box<dyn Layer>)
    });
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
        let listed = c.list_of("vocabulary", Value::as_i64, "integers")?;
        let vocabulary: Vec<i64> = match (listed, c.get("vocabulary")) {
            (Some(v), _) => v,
            (None, Some(Value::String(path))) => {
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
        let boundaries: Vec<f64> = match c.list_of("bin_boundaries", Value::as_f64, "numbers")? {
            Some(b) => b,
            None => {
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

/// Keras's `Hashing` on integer (or float, truncated) inputs: each value's
/// decimal string hashed with FarmHash `Fingerprint64`, modulo `num_bins`
/// (`tf.strings.to_hash_bucket_fast(tf.as_string(x))`, as Keras computes
/// it); with `mask_value`, that value goes to bin 0 and the others to
/// `1 + hash mod (num_bins - 1)`. A `salt` (keyed SipHash) is not supported.
#[derive(Debug)]
pub struct Hashing {
    base: Base,
    raw: Map<String, Value>,
    num_bins: u64,
    mask_value: Option<i64>,
    mode: Mode,
}

impl Hashing {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<Hashing> {
        let num_bins = c.usize_or("num_bins", 0)?;
        if num_bins == 0 || num_bins > i32::MAX as usize {
            return Err(c.err(
                "num_bins",
                format!("expected 1..=2^31-1 bins, got {num_bins}"),
            ));
        }
        if !matches!(c.get("salt"), None | Some(Value::Null)) {
            return Err(c.err(
                "salt",
                "a salted Hashing (keyed SipHash, `to_hash_bucket_strong`) is not supported; only the unsalted FarmHash one is",
            ));
        }
        let mask_value = match c.get("mask_value") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                c.err(
                    "mask_value",
                    "expected an integer or null (string inputs are not supported)",
                )
            })?),
        };
        Ok(Hashing {
            base: Base::parse(c)?,
            raw: c.map.clone(),
            num_bins: num_bins as u64,
            mask_value,
            mode: output_mode(c)?,
        })
    }

    fn bin(&self, v: i64) -> i64 {
        let masked = self.mask_value.is_some() && self.num_bins > 1;
        if masked && Some(v) == self.mask_value {
            return 0;
        }
        let bins = self.num_bins - u64::from(masked);
        let h = fingerprint64(v.to_string().as_bytes()) % bins;
        (h + u64::from(masked)) as i64
    }
}

impl Layer for Hashing {
    lookup_common!("Hashing");
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?.clone();
        Ok(vec![encoded_shape(self.mode, s, self.num_bins as usize)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        // Keras casts float inputs to int64 (truncating) before hashing.
        let ids: Vec<i64> = match x.data() {
            TensorData::I32(v) => v.iter().map(|&t| self.bin(i64::from(t))).collect(),
            TensorData::F32(v) => v.iter().map(|&t| self.bin(t as i64)).collect(),
        };
        Ok(vec![encode(
            &self.base,
            self.mode,
            &ids,
            x.shape().to_vec(),
            self.num_bins as usize,
        )?])
    }
}

/// FarmHash `Fingerprint64` (`farmhashna::Hash64`, TensorFlow's
/// `Fingerprint64`) of strings up to 32 bytes, which covers every decimal
/// int64. Longer input hashes its first 32 bytes and is never produced here.
fn fingerprint64(s: &[u8]) -> u64 {
    const K0: u64 = 0xc3a5_c85c_97cb_3127;
    const K1: u64 = 0xb492_b66f_be98_f273;
    const K2: u64 = 0x9ae1_6a3b_2f90_404f;
    let fetch64 = |i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let fetch32 =
        |i: usize| u64::from(u32::from_le_bytes(s[i..i + 4].try_into().expect("4 bytes")));
    let shift_mix = |v: u64| v ^ (v >> 47);
    let hash_len16 = |u: u64, v: u64, mul: u64| {
        let mut a = (u ^ v).wrapping_mul(mul);
        a ^= a >> 47;
        let mut b = (v ^ a).wrapping_mul(mul);
        b ^= b >> 47;
        b.wrapping_mul(mul)
    };
    let len = s.len().min(32);
    let s = &s[..len];
    let mul = K2.wrapping_add(len as u64 * 2);
    match len {
        0 => K2,
        1..=3 => {
            let (a, b, c) = (
                u32::from(s[0]),
                u32::from(s[len >> 1]),
                u32::from(s[len - 1]),
            );
            let y = a.wrapping_add(b << 8);
            let z = (len as u32).wrapping_add(c << 2);
            shift_mix(u64::from(y).wrapping_mul(K2) ^ u64::from(z).wrapping_mul(K0))
                .wrapping_mul(K2)
        }
        4..=7 => hash_len16(
            (len as u64).wrapping_add(fetch32(0) << 3),
            fetch32(len - 4),
            mul,
        ),
        8..=16 => {
            let a = fetch64(0).wrapping_add(K2);
            let b = fetch64(len - 8);
            let c = b.rotate_right(37).wrapping_mul(mul).wrapping_add(a);
            let d = a.rotate_right(25).wrapping_add(b).wrapping_mul(mul);
            hash_len16(c, d, mul)
        }
        _ => {
            let a = fetch64(0).wrapping_mul(K1);
            let b = fetch64(8);
            let c = fetch64(len - 8).wrapping_mul(mul);
            let d = fetch64(len - 16).wrapping_mul(K2);
            hash_len16(
                a.wrapping_add(b)
                    .rotate_right(43)
                    .wrapping_add(c.rotate_right(30))
                    .wrapping_add(d),
                a.wrapping_add(b.wrapping_add(K2).rotate_right(18))
                    .wrapping_add(c),
                mul,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fingerprint64;

    /// `tf.strings.to_hash_bucket_fast(s, 2**63 - 1)` in TensorFlow 2.21
    /// (Fingerprint64 mod 2^63-1), for every length class up to 32 bytes.
    #[test]
    fn fingerprint64_matches_tensorflow() {
        let tf: &[(&str, u64)] = &[
            ("", 1936946117179621456),
            ("a", 3694432073954588132),
            ("ab", 3066228220894225695),
            ("abc", 2640714258260161385),
            ("abcd", 1897425971756105985),
            ("hello", 3786372426573024489),
            ("12345678", 3430003927990384362),
            ("123456789", 7102376421209267306),
            ("-1234567890123", 3933474414036675210),
            ("1234567890123456", 8015733323785012261),
            ("12345678901234567", 323895964247077303),
            ("-9223372036854775808", 1493431938208774112),
            ("abcdefghijklmnopqrstuvwxyz012345", 934449955909727258),
        ];
        for &(s, want) in tf {
            assert_eq!(fingerprint64(s.as_bytes()) % (u64::MAX >> 1), want, "{s:?}");
        }
    }
}

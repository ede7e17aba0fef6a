//! Keras's `IntegerLookup`, `StringLookup`, `Discretization` and `Hashing`
//! at inference.
//!
//! `IntegerLookup` / `StringLookup`: integer / string tokens → vocabulary
//! indices (or back, with `invert`), with the vocabulary given in the
//! config as Keras writes it once adapted or set. Index layout as Keras's
//! `IndexLookup`: the mask token (if any) at 0, then `num_oov_indices`
//! out-of-vocabulary slots (an unknown token `t` goes to `t mod
//! num_oov_indices`, Keras's `floormod`), then the vocabulary in order.
//! `output_mode` `int` gives int32 indices; `one_hot`, `multi_hot` and
//! `count` give float32 encodings over the whole index range.
//! `TextVectorization` (`lookup/text_vectorization.rs`) is a standardizer
//! and a splitter in front of a `StringLookup`.
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

mod text_vectorization;
pub use text_vectorization::TextVectorization;

/// Register `IntegerLookup`, `StringLookup`, `Discretization`, `Hashing`
/// and `TextVectorization`.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(
        registry,
        &["TextVectorization"],
        TextVectorization::from_config,
    );
    register_layer(registry, &["Hashing"], Hashing::from_config);
    register_layer(registry, &["IntegerLookup"], IntegerLookup::from_config);
    register_layer(registry, &["StringLookup"], StringLookup::from_config);
    register_layer(registry, &["Discretization"], Discretization::from_config);
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Int,
    OneHot,
    MultiHot,
    Count,
}

/// A token of an index lookup: an integer (`IntegerLookup`) or a string
/// (`StringLookup`).
pub trait LookupToken:
    Clone + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync + 'static
{
    /// `"integers"` / `"strings"`, for errors.
    const WHAT: &'static str;
    /// The Keras class looking these tokens up.
    const CLASS: &'static str;
    /// Whether the tokens are strings (the layer then takes string inputs).
    const STRINGS: bool;
    /// One config value (vocabulary entry, mask or OOV token).
    fn from_value(v: &Value) -> Option<Self>;
    /// The tokens of an input tensor, or why it has none.
    fn from_tensor(t: &Tensor) -> std::result::Result<Vec<Self>, &'static str>;
    /// An unknown token's out-of-vocabulary slot among `num_oov` (≥ 1),
    /// as Keras computes it (`farmhash`: Keras's `oov_method="farmhash"`).
    fn oov_slot(&self, num_oov: usize, farmhash: bool) -> usize;
    /// Keras's `oov_token` default.
    fn default_oov() -> Self;
    /// Inverted lookup output.
    fn into_tensor(shape: Vec<usize>, tokens: Vec<Self>) -> Result<Tensor>;
}

impl LookupToken for i64 {
    const WHAT: &'static str = "integers";
    const CLASS: &'static str = "IntegerLookup";
    const STRINGS: bool = false;
    fn from_value(v: &Value) -> Option<i64> {
        v.as_i64()
    }
    fn from_tensor(t: &Tensor) -> std::result::Result<Vec<i64>, &'static str> {
        // Integer inputs exactly (float32 holds integers only up to 2^24).
        match t.data() {
            TensorData::I32(v) => Ok(v.iter().map(|&t| i64::from(t)).collect()),
            TensorData::F32(v) => Ok(v.iter().map(|&t| t as i64).collect()),
            TensorData::Str(_) => {
                Err("got strings; IntegerLookup takes integers (StringLookup takes strings)")
            }
        }
    }
    fn default_oov() -> i64 {
        -1
    }
    fn oov_slot(&self, num_oov: usize, farmhash: bool) -> usize {
        if farmhash {
            // `to_hash_bucket_fast(as_string(x))`.
            return (fingerprint64(self.to_string().as_bytes()) % num_oov as u64) as usize;
        }
        // Keras's default `floormod`.
        self.rem_euclid(num_oov as i64) as usize
    }
    fn into_tensor(shape: Vec<usize>, tokens: Vec<i64>) -> Result<Tensor> {
        Tensor::from_i32(shape, tokens.into_iter().map(|t| t as i32).collect())
    }
}

impl LookupToken for String {
    const WHAT: &'static str = "strings";
    const CLASS: &'static str = "StringLookup";
    const STRINGS: bool = true;
    fn from_value(v: &Value) -> Option<String> {
        v.as_str().map(str::to_string)
    }
    fn from_tensor(t: &Tensor) -> std::result::Result<Vec<String>, &'static str> {
        t.as_strings()
            .map(<[String]>::to_vec)
            .ok_or("got numbers; StringLookup takes strings (IntegerLookup takes integers)")
    }
    fn default_oov() -> String {
        "[UNK]".into()
    }
    fn oov_slot(&self, num_oov: usize, _farmhash: bool) -> usize {
        // Strings always use `tf.strings.to_hash_bucket_fast`.
        (fingerprint64(self.as_bytes()) % num_oov as u64) as usize
    }
    fn into_tensor(shape: Vec<usize>, tokens: Vec<String>) -> Result<Tensor> {
        Tensor::from_strings(shape, tokens)
    }
}

/// Keras's `IndexLookup`: `IntegerLookup` over integers, `StringLookup` over
/// strings.
#[derive(Debug)]
pub struct IndexLookup<T: LookupToken> {
    base: Base,
    raw: Map<String, Value>,
    vocabulary: Vec<T>,
    index: HashMap<T, usize>,
    mask_token: Option<T>,
    /// What an inverted lookup gives for an index outside the vocabulary.
    oov_token: Option<T>,
    num_oov: usize,
    /// `oov_method: "farmhash"` (integers hashed like strings).
    oov_farmhash: bool,
    invert: bool,
    mode: Mode,
    /// `max_tokens` when `pad_to_max_tokens` pads encoded outputs to it.
    pad_to: Option<usize>,
}

/// `IntegerLookup`.
pub type IntegerLookup = IndexLookup<i64>;
/// `StringLookup`.
pub type StringLookup = IndexLookup<String>;

impl<T: LookupToken> IndexLookup<T> {
    /// Build from a config; the vocabulary must be in it.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<IndexLookup<T>> {
        let listed = c.list_of("vocabulary", T::from_value, T::WHAT)?;
        let vocabulary: Vec<T> = match (listed, c.get("vocabulary")) {
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
        let token = |key: &str| -> Result<Option<T>> {
            match c.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => T::from_value(v).map(Some).ok_or_else(|| {
                    c.err(
                        key,
                        format!("expected one of the layer's {} or null, got {v}", T::WHAT),
                    )
                }),
            }
        };
        let mask_token = token("mask_token")?;
        let oov_token = match c.get("oov_token") {
            None => Some(T::default_oov()),
            Some(_) => token("oov_token")?,
        };
        let num_oov = c.usize_or("num_oov_indices", 1)?;
        let oov_farmhash = match c.str_or("oov_method", "floormod")? {
            "floormod" => false,
            "farmhash" => true,
            other => {
                return Err(c.err(
                    "oov_method",
                    format!("\"{other}\" is not supported (floormod, farmhash are)"),
                ))
            }
        };
        refuse_salt(c, "lookup")?;
        let mode = output_mode(c)?;
        let invert = c.bool_or("invert", false)?;
        if invert && mode != Mode::Int {
            return Err(c.err("output_mode", "invert needs output_mode \"int\""));
        }
        // Keras reserves index 0 for the mask only in `int` mode.
        let first = usize::from(mask_token.is_some() && mode == Mode::Int) + num_oov;
        // A vocabulary that starts with exactly those reserved tokens (the
        // mask, then the OOV token `num_oov` times) has them dropped, as
        // Keras's `set_vocabulary` does.
        let mut vocabulary = vocabulary;
        let reserved = vocabulary.get(..first).is_some_and(|head| {
            let mask_slots = first - num_oov;
            head[..mask_slots]
                .iter()
                .all(|t| Some(t) == mask_token.as_ref())
                && head[mask_slots..]
                    .iter()
                    .all(|t| Some(t) == oov_token.as_ref())
        });
        if reserved && first > 0 {
            vocabulary.drain(..first);
        }
        let mut index = HashMap::with_capacity(vocabulary.len());
        for (i, t) in vocabulary.iter().enumerate() {
            if index.insert(t.clone(), first + i).is_some() {
                return Err(c.err("vocabulary", format!("token {t:?} appears twice")));
            }
        }
        let pad_to = match c.get("max_tokens").and_then(Value::as_u64) {
            Some(n) if c.bool_or("pad_to_max_tokens", false)? && mode != Mode::Int => {
                Some(usize::try_from(n).unwrap_or(usize::MAX))
            }
            _ => None,
        };
        let lookup = IndexLookup {
            base: Base::parse(c)?,
            raw: c.map.clone(),
            vocabulary,
            index,
            mask_token,
            oov_token,
            num_oov,
            oov_farmhash,
            invert,
            mode,
            pad_to,
        };
        if pad_to.is_some_and(|n| n < lookup.size()) {
            return Err(c.err(
                "max_tokens",
                format!(
                    "{pad_to:?} is less than the vocabulary's {} indices",
                    lookup.size()
                ),
            ));
        }
        Ok(lookup)
    }

    /// The width of an encoded output: `max_tokens` with
    /// `pad_to_max_tokens` (Keras pads with zeros), else every index.
    fn depth(&self) -> usize {
        self.pad_to.unwrap_or_else(|| self.size())
    }

    /// Whether index 0 is the mask's (Keras: a mask token in `int` mode).
    fn mask_slot(&self) -> bool {
        self.mask_token.is_some() && self.mode == Mode::Int
    }

    /// Mask slot + OOV slots + vocabulary.
    fn size(&self) -> usize {
        usize::from(self.mask_slot()) + self.num_oov + self.vocabulary.len()
    }

    /// The token's index; [`MASKED`] for the mask token in an encoding mode.
    fn lookup(&self, t: &T) -> Result<i64> {
        if Some(t) == self.mask_token.as_ref() {
            return Ok(if self.mask_slot() { 0 } else { MASKED });
        }
        if let Some(&i) = self.index.get(t) {
            return Ok(i as i64);
        }
        if self.num_oov == 0 {
            return Err(input_err(
                &self.base.name,
                format!("token {t:?} is not in the vocabulary and num_oov_indices is 0"),
            ));
        }
        let first = usize::from(self.mask_slot());
        Ok((first + t.oov_slot(self.num_oov, self.oov_farmhash)) as i64)
    }

    fn invert_one(&self, i: i64) -> Result<T> {
        let first = (usize::from(self.mask_slot()) + self.num_oov) as i64;
        match usize::try_from(i - first)
            .ok()
            .and_then(|k| self.vocabulary.get(k))
        {
            Some(t) => Ok(t.clone()),
            None => match (&self.mask_token, &self.oov_token) {
                (Some(m), _) if i == 0 => Ok(m.clone()),
                // Keras returns the OOV token for indices outside the vocabulary.
                (_, Some(oov)) => Ok(oov.clone()),
                (_, None) => Err(input_err(
                    &self.base.name,
                    format!("index {i} is outside the vocabulary and the layer has no oov_token"),
                )),
            },
        }
    }
}

impl<T: LookupToken> Layer for IndexLookup<T> {
    fn class_name(&self) -> &str {
        T::CLASS
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.raw.clone();
        self.base.write(&mut m);
        m
    }
    fn takes_strings(&self) -> bool {
        T::STRINGS
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?.clone();
        Ok(vec![encoded_shape(self.mode, s, self.depth())])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let shape = x.shape().to_vec();
        if self.invert {
            let ids = i64::from_tensor(x).map_err(|m| input_err(&self.base.name, m))?;
            let out = ids
                .iter()
                .map(|&i| self.invert_one(i))
                .collect::<Result<Vec<T>>>()?;
            return Ok(vec![T::into_tensor(shape, out)?]);
        }
        let tokens = T::from_tensor(x).map_err(|m| input_err(&self.base.name, m))?;
        let ids = tokens
            .iter()
            .map(|t| self.lookup(t))
            .collect::<Result<Vec<i64>>>()?;
        Ok(vec![encode(
            &self.base,
            self.mode,
            &ids,
            shape,
            self.depth(),
        )?])
    }
}

/// The index of a mask token in an encoding mode (`one_hot`, `multi_hot`,
/// `count`): Keras gives it no slot, so it adds nothing.
const MASKED: i64 = i64::MIN;

/// Indices `ids` (of an input of `shape`) in `mode` over `n` indices:
/// int32 indices, or float32 one-hot / multi-hot / count encodings.
fn encode(base: &Base, mode: Mode, ids: &[i64], shape: Vec<usize>, n: usize) -> Result<Tensor> {
    if let Some(&bad) = ids
        .iter()
        .find(|&&i| i != MASKED && (i < 0 || i as usize >= n.max(1) && mode != Mode::Int))
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
            for (k, &i) in ids.iter().enumerate().filter(|(_, &i)| i != MASKED) {
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
            for (k, &i) in ids.iter().enumerate().filter(|(_, &i)| i != MASKED) {
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

/// Keras's `Hashing`: each string, or each integer's (or truncated float's)
/// decimal string, hashed with FarmHash `Fingerprint64`, modulo `num_bins`
/// (`tf.strings.to_hash_bucket_fast(tf.as_string(x))`, as Keras computes
/// it); with `mask_value`, that value goes to bin 0 and the others to
/// `1 + hash mod (num_bins - 1)`. A `salt` (keyed SipHash) is not supported.
#[derive(Debug)]
pub struct Hashing {
    base: Base,
    raw: Map<String, Value>,
    num_bins: u64,
    /// The mask value as the string that is hashed (an integer's decimal).
    mask_value: Option<String>,
    mode: Mode,
}

/// Refuse a `salt`: a salted lookup or Hashing (`what`) hashes with keyed
/// SipHash, which is not implemented.
fn refuse_salt(c: &ConfigReader<'_>, what: &str) -> Result<()> {
    if matches!(c.get("salt"), None | Some(Value::Null)) {
        return Ok(());
    }
    Err(c.err(
        "salt",
        format!(
            "a salted {what} (keyed SipHash, `to_hash_bucket_strong`) is not supported; only the unsalted FarmHash one is"
        ),
    ))
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
        refuse_salt(c, "Hashing")?;
        let mask_value = match c.get("mask_value") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| c.err("mask_value", "expected an integer, a string or null"))?
                    .to_string(),
            ),
        };
        Ok(Hashing {
            base: Base::parse(c)?,
            raw: c.map.clone(),
            num_bins: num_bins as u64,
            mask_value,
            mode: output_mode(c)?,
        })
    }

    fn bin(&self, v: &str) -> i64 {
        let masked = self.mask_value.is_some() && self.num_bins > 1;
        if masked && Some(v) == self.mask_value.as_deref() {
            return 0;
        }
        let bins = self.num_bins - u64::from(masked);
        let h = fingerprint64(v.as_bytes()) % bins;
        (h + u64::from(masked)) as i64
    }
}

impl Layer for Hashing {
    lookup_common!("Hashing");
    fn takes_strings(&self) -> bool {
        true
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?.clone();
        Ok(vec![encoded_shape(self.mode, s, self.num_bins as usize)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        // Keras casts float inputs to int64 (truncating) before hashing.
        let ids: Vec<i64> = match x.data() {
            TensorData::I32(v) => v.iter().map(|&t| self.bin(&t.to_string())).collect(),
            TensorData::F32(v) => v
                .iter()
                .map(|&t| self.bin(&(t as i64).to_string()))
                .collect(),
            TensorData::Str(v) => v.iter().map(|s| self.bin(s)).collect(),
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

const K0: u64 = 0xc3a5_c85c_97cb_3127;
const K1: u64 = 0xb492_b66f_be98_f273;
const K2: u64 = 0x9ae1_6a3b_2f90_404f;

fn fetch64(s: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"))
}

fn fetch32(s: &[u8], i: usize) -> u64 {
    u64::from(u32::from_le_bytes(s[i..i + 4].try_into().expect("4 bytes")))
}

fn shift_mix(v: u64) -> u64 {
    v ^ (v >> 47)
}

fn hash_len16(u: u64, v: u64, mul: u64) -> u64 {
    let mut a = (u ^ v).wrapping_mul(mul);
    a ^= a >> 47;
    let mut b = (v ^ a).wrapping_mul(mul);
    b ^= b >> 47;
    b.wrapping_mul(mul)
}

/// farmhashna's mix of four words into the two it hashes:
/// `(rotr(a + b, 43) + rotr(c, 30) + d, a + rotr(b + k, 18) + c)`.
fn mix4(a: u64, b: u64, c: u64, d: u64, k: u64) -> (u64, u64) {
    (
        a.wrapping_add(b)
            .rotate_right(43)
            .wrapping_add(c.rotate_right(30))
            .wrapping_add(d),
        a.wrapping_add(b.wrapping_add(k).rotate_right(18))
            .wrapping_add(c),
    )
}

/// `WeakHashLen32WithSeeds` of the 32 bytes at `s[i..]`.
fn weak_hash_len32(s: &[u8], i: usize, a: u64, b: u64) -> (u64, u64) {
    let (w, x, y, z) = (
        fetch64(s, i),
        fetch64(s, i + 8),
        fetch64(s, i + 16),
        fetch64(s, i + 24),
    );
    let a = a.wrapping_add(w);
    let b = b.wrapping_add(a).wrapping_add(z).rotate_right(21);
    let c = a;
    let a = a.wrapping_add(x).wrapping_add(y);
    let b = b.wrapping_add(a.rotate_right(44));
    (a.wrapping_add(z), b.wrapping_add(c))
}

/// The first mix of `farmhashna`'s 17-to-64-byte hashes: `a` (the first
/// word, scaled), the second word and the last two words of `s`.
fn mix_ends(s: &[u8], a: u64, mul: u64) -> (u64, u64) {
    let len = s.len();
    let c = fetch64(s, len - 8).wrapping_mul(mul);
    let d = fetch64(s, len - 16).wrapping_mul(K2);
    mix4(a, fetch64(s, 8), c, d, K2)
}

/// FarmHash `Fingerprint64` (`farmhashna::Hash64`, TensorFlow's
/// `Fingerprint64`, which `to_hash_bucket_fast` uses) of any byte string.
fn fingerprint64(s: &[u8]) -> u64 {
    let len = s.len();
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
            (len as u64).wrapping_add(fetch32(s, 0) << 3),
            fetch32(s, len - 4),
            mul,
        ),
        8..=16 => {
            let a = fetch64(s, 0).wrapping_add(K2);
            let b = fetch64(s, len - 8);
            let c = b.rotate_right(37).wrapping_mul(mul).wrapping_add(a);
            let d = a.rotate_right(25).wrapping_add(b).wrapping_mul(mul);
            hash_len16(c, d, mul)
        }
        17..=32 => {
            let (x, y) = mix_ends(s, fetch64(s, 0).wrapping_mul(K1), mul);
            hash_len16(x, y, mul)
        }
        33..=64 => {
            let a = fetch64(s, 0).wrapping_mul(K2);
            let (y, w) = mix_ends(s, a, mul);
            let z = hash_len16(y, w, mul);
            let e = fetch64(s, 16).wrapping_mul(mul);
            let f = fetch64(s, 24);
            let g = y.wrapping_add(fetch64(s, len - 32)).wrapping_mul(mul);
            let h = z.wrapping_add(fetch64(s, len - 24)).wrapping_mul(mul);
            let (x, y) = mix4(e, f, g, h, a);
            hash_len16(x, y, mul)
        }
        _ => hash_long(s),
    }
}

/// The state `farmhashna::Hash64` carries across the 64-byte blocks of a
/// long string.
struct BlockState {
    x: u64,
    y: u64,
    z: u64,
    v: (u64, u64),
    w: (u64, u64),
}

impl BlockState {
    /// Mix in the 64-byte block of `s` at `p`: every block but the last
    /// mixes with `mul = K1` and `weight = 1`, the last one with its own
    /// multiplier and `weight = 9`.
    fn mix(&mut self, s: &[u8], p: usize, mul: u64, weight: u64) {
        let BlockState { x, y, z, v, w } = self;
        *x = x
            .wrapping_add(*y)
            .wrapping_add(v.0)
            .wrapping_add(fetch64(s, p + 8))
            .rotate_right(37)
            .wrapping_mul(mul);
        *y = y
            .wrapping_add(v.1)
            .wrapping_add(fetch64(s, p + 48))
            .rotate_right(42)
            .wrapping_mul(mul);
        *x ^= w.1.wrapping_mul(weight);
        *y = y
            .wrapping_add(v.0.wrapping_mul(weight))
            .wrapping_add(fetch64(s, p + 40));
        *z = z.wrapping_add(w.0).rotate_right(33).wrapping_mul(mul);
        *v = weak_hash_len32(s, p, v.1.wrapping_mul(mul), x.wrapping_add(w.0));
        *w = weak_hash_len32(
            s,
            p + 32,
            z.wrapping_add(w.1),
            y.wrapping_add(fetch64(s, p + 16)),
        );
        std::mem::swap(z, x);
    }
}

/// `farmhashna::Hash64` of more than 64 bytes: 64-byte blocks, then the
/// last 64 bytes.
fn hash_long(s: &[u8]) -> u64 {
    const SEED: u64 = 81;
    let len = s.len();
    let y = SEED.wrapping_mul(K1).wrapping_add(113);
    let mut st = BlockState {
        x: SEED.wrapping_mul(K2).wrapping_add(fetch64(s, 0)),
        y,
        z: shift_mix(y.wrapping_mul(K2).wrapping_add(113)).wrapping_mul(K2),
        v: (0, 0),
        w: (0, 0),
    };
    let end = ((len - 1) / 64) * 64;
    for p in (0..end).step_by(64) {
        st.mix(s, p, K1, 1);
    }
    let mul = K1.wrapping_add((st.z & 0xff) << 1);
    st.w.0 = st.w.0.wrapping_add(((len - 1) & 63) as u64);
    st.v.0 = st.v.0.wrapping_add(st.w.0);
    st.w.0 = st.w.0.wrapping_add(st.v.0);
    st.mix(s, len - 64, mul, 9);
    let BlockState { x, y, z, v, w } = st;
    hash_len16(
        hash_len16(v.0, w.0, mul)
            .wrapping_add(shift_mix(y).wrapping_mul(K0))
            .wrapping_add(z),
        hash_len16(v.1, w.1, mul).wrapping_add(x),
        mul,
    )
}

#[cfg(test)]
mod tests {
    use super::fingerprint64;

    /// `tf.strings.to_hash_bucket_fast(s, 2**63 - 1)` in TensorFlow 2.21
    /// (Fingerprint64 mod 2^63-1), for every length class: 0-3, 4-7, 8-16,
    /// 17-32, 33-64 and the 64-byte blocks of longer strings (block
    /// boundaries, multi-byte UTF-8).
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
            (&"x".repeat(33), 3046993373088323128),
            (
                "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
                9028462069956841736,
            ),
            (&"q".repeat(64), 7839288502534202488),
            (
                "the quick brown fox jumps over the lazy dog and keeps running far away!",
                7533671055059804301,
            ),
            (&"z".repeat(65), 8299915583762718517),
            (&("0123456789".repeat(12) + "abc"), 6090402310455700971),
            (&"é漢字🙂".repeat(9), 4651532606060436607),
            (&"w".repeat(128), 1651997402916279192),
            (&"w".repeat(129), 31054688630494068),
            (&("ab".repeat(100) + "c"), 6605995590081410592),
        ];
        for &(s, want) in tf {
            assert_eq!(fingerprint64(s.as_bytes()) % (u64::MAX >> 1), want, "{s:?}");
        }
    }
}

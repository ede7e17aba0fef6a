//! Keras's `IntegerLookup`, `StringLookup` and `Discretization` at
//! inference (`Hashing` and its FarmHash in `lookup/hashing.rs`).
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
//! and a splitter in front of a `StringLookup`; `HashedCrossing`
//! (`lookup/hashed_crossing.rs`) hashes crosses of features with the
//! FarmHash fingerprint `Hashing` uses.
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

mod hashed_crossing;
mod hashing;
mod text_vectorization;
pub use hashed_crossing::HashedCrossing;
pub use hashing::Hashing;
use hashing::{fingerprint64, shift_mix};
pub use text_vectorization::TextVectorization;

/// Register `IntegerLookup`, `StringLookup`, `Discretization`, `Hashing`,
/// `HashedCrossing` and `TextVectorization`.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["HashedCrossing"], HashedCrossing::from_config);
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
    /// Counts times the lookup's idf weights (`IntegerLookup`,
    /// `StringLookup`, `TextVectorization` only).
    TfIdf,
}

/// A lookup's TF-IDF weights (`output_mode="tf_idf"`), one per encoded
/// index: the layer's one weight, `idf_weights`.
///
/// Given to the constructor (`idf_weights` in the config, as long as the
/// vocabulary there), they are laid out as Keras's `set_vocabulary` does:
/// a vocabulary without its reserved leading tokens has them weighted by
/// the mean of the given weights, and `pad_to_max_tokens` pads zeros up to
/// `max_tokens`; a file may then leave the weight out (Keras 3's HDF5
/// writer does). An adapted layer's are only in its file: a `.keras`
/// file's variable `idf_weights` (saved by Keras 3 whether adapted or
/// given), tf_keras's unnamed `Variable`.
#[derive(Debug, Clone)]
struct Idf {
    /// `[depth]` float32.
    values: Tensor,
    /// Whether the config gave them.
    given: bool,
}

impl Idf {
    /// The idf weights of a `tf_idf` lookup's config: `vocabulary` is the
    /// vocabulary as given, `reserved` whether it starts with the `first`
    /// reserved tokens, `depth` the encoded width.
    fn read(
        c: &ConfigReader<'_>,
        vocabulary: usize,
        reserved: bool,
        first: usize,
        depth: usize,
    ) -> Result<Idf> {
        let given = c.list_of("idf_weights", Value::as_f64, "numbers")?;
        let mut values = alloc_zeros(c.name(), vec![depth])?;
        let slots = values.as_f32_mut().expect("float32 zeros");
        let from_config = given.is_some();
        if let Some(idf) = given {
            if idf.len() != vocabulary {
                return Err(c.err(
                    "idf_weights",
                    format!(
                        "has {} weights for a vocabulary of {vocabulary} tokens",
                        idf.len()
                    ),
                ));
            }
            // Keras pads in float64 (numpy), then casts to float32.
            let front = if reserved { 0 } else { first };
            let mean = idf.iter().sum::<f64>() / idf.len().max(1) as f64;
            let laid: Vec<f64> = std::iter::repeat_n(mean, front).chain(idf).collect();
            if laid.len() > depth {
                return Err(c.err(
                    "idf_weights",
                    format!(
                        "{} weights do not fit the {depth} encoded indices",
                        laid.len()
                    ),
                ));
            }
            for (v, w) in slots.iter_mut().zip(laid) {
                *v = w as f32;
            }
        }
        Ok(Idf {
            values,
            given: from_config,
        })
    }
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
    /// `tf_idf` mode's weights.
    idf: Option<Idf>,
}

/// An `IntegerLookup`'s index layout as [`IndexLookup`] reads its config
/// (reserved tokens dropped from the vocabulary), for the `--rebuild`
/// rewrite into TF.js layers.
#[derive(Debug, Clone)]
pub struct IntegerLayout {
    /// The vocabulary, its first token at index `first`.
    pub vocabulary: Vec<i64>,
    pub first: usize,
    pub mask_token: Option<i64>,
    /// Whether the mask token has index 0 (`int` mode); in the encoding
    /// modes it adds nothing.
    pub mask_slot: bool,
    pub num_oov: usize,
    pub oov_farmhash: bool,
    pub invert: bool,
    /// `int`, `one_hot`, `multi_hot`, `count` or `tf_idf`.
    pub mode: &'static str,
    /// The width of an encoded output.
    pub depth: usize,
}

impl IndexLookup<i64> {
    /// The layout of the `IntegerLookup` of `config` (named `layer`).
    pub fn layout_of(layer: &str, config: &Map<String, Value>) -> Result<IntegerLayout> {
        let l = Self::from_config(&ConfigReader::new(layer, config))?;
        Ok(IntegerLayout {
            first: usize::from(l.mask_slot()) + l.num_oov,
            mask_slot: l.mask_slot(),
            depth: l.depth(),
            vocabulary: l.vocabulary,
            mask_token: l.mask_token,
            num_oov: l.num_oov,
            oov_farmhash: l.oov_farmhash,
            invert: l.invert,
            mode: match l.mode {
                Mode::Int => "int",
                Mode::OneHot => "one_hot",
                Mode::MultiHot => "multi_hot",
                Mode::Count => "count",
                Mode::TfIdf => "tf_idf",
            },
        })
    }
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
        let mode = match c.str_or("output_mode", "int")? {
            "tf_idf" => Mode::TfIdf,
            _ => output_mode(c)?,
        };
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
        let given = vocabulary.len();
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
        let mut lookup = IndexLookup {
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
            idf: None,
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
        if mode == Mode::TfIdf {
            let reserved = reserved && first > 0;
            lookup.idf = Some(Idf::read(c, given, reserved, first, lookup.depth())?);
        } else if !matches!(c.get("idf_weights"), None | Some(Value::Null)) {
            return Err(c.err("idf_weights", "is only read in output_mode \"tf_idf\""));
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

    /// Indices `ids` (of an input of `shape`) encoded in the layer's mode
    /// (in `tf_idf` mode: counts times the idf weights).
    fn encode_ids(&self, ids: &[i64], shape: Vec<usize>) -> Result<Tensor> {
        let mut out = encode(&self.base, self.mode, ids, shape, self.depth())?;
        if let (Some(idf), Some(v)) = (&self.idf, out.as_f32_mut()) {
            let w = idf.values.as_f32().unwrap_or(&[]);
            for row in v.chunks_exact_mut(w.len().max(1)) {
                for (x, w) in row.iter_mut().zip(w) {
                    *x *= w;
                }
            }
        }
        Ok(out)
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
    fn weights(&self) -> Vec<crate::LayerWeight> {
        self.idf
            .iter()
            .map(|idf| crate::LayerWeight {
                name: "idf_weights".into(),
                shape: idf.values.shape().to_vec(),
                trainable: false,
            })
            .collect()
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.idf.iter().map(|idf| &idf.values).collect()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        match self.idf.as_mut().filter(|_| index == 0) {
            Some(idf) => put_weight(&self.base.name, "idf_weights", &mut idf.values, value),
            None => Err(self.base.err(format!("layer has no weight #{index}"))),
        }
    }
    fn weights_in_config(&self) -> Vec<usize> {
        self.idf.iter().filter(|idf| idf.given).map(|_| 0).collect()
    }
    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        // Keras 3 saves them by name (`vars/idf_weights`), not by index.
        self.idf.as_ref().map(|_| vec!["idf_weights".into()])
    }
    fn keras2_weight_names(&self) -> Option<Vec<String>> {
        // tf_keras creates them as an unnamed `tf.Variable` outside the
        // layer's name scope: the file calls them `Variable` (`_1`, …).
        self.idf.as_ref().map(|_| vec!["Variable".into()])
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
        Ok(vec![self.encode_ids(&ids, shape)?])
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
        Mode::MultiHot | Mode::Count | Mode::TfIdf => {
            // Keras 3 encodes each value and reduces over axis 1: a
            // `[b, a, rest…]` input gives `[b, rest…, n]` (`[b, n]` for
            // `[b, a]`; tf_keras takes rank 2 at most).
            let b = shape.first().copied().unwrap_or(1);
            let a = shape.get(1).copied().unwrap_or(1);
            let rest: usize = shape.iter().skip(2).product();
            let mut out = vec![0f32; b * rest * n];
            for (k, &i) in ids.iter().enumerate().filter(|(_, &i)| i != MASKED) {
                let (bi, ri) = (k / (a * rest).max(1), k % rest.max(1));
                let slot = &mut out[(bi * rest + ri) * n + i as usize];
                *slot = if mode != Mode::MultiHot {
                    *slot + 1.0
                } else {
                    1.0
                };
            }
            let mut o = vec![b];
            o.extend(shape.iter().skip(2));
            o.push(n);
            make_tensor(base, o, out)
        }
    }
}

/// The output shape of [`encode`] for an input of symbolic `s`.
fn encoded_shape(mode: Mode, s: Shape, n: usize) -> Shape {
    match mode {
        Mode::Int => s,
        Mode::MultiHot | Mode::Count | Mode::TfIdf => {
            let mut o = vec![s[0]];
            o.extend(s.iter().skip(2).copied());
            o.push(Some(n));
            o
        }
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
            .map(|&v| bucket(&self.boundaries, v) as i64)
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

/// The bucket of `v` among sorted `boundaries`, as `tf.raw_ops.Bucketize`
/// finds it (`upper_bound` over its float32 boundaries: a value equal to a
/// boundary goes to the bucket above it, NaN to the last):
/// `Discretization` and `ops.digitize`.
pub(crate) fn bucket(boundaries: &[f64], v: f32) -> usize {
    boundaries.partition_point(|&b| v.is_nan() || v >= b as f32)
}

/// Refuse a `salt`: a salted lookup (`what`) hashes its out-of-vocabulary
/// values with keyed SipHash, which lookups do not implement (`Hashing`
/// does: `lookup/hashing.rs`).
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

#[cfg(test)]
mod tests {
    #[test]
    fn buckets_follow_bucketize() {
        // np.digitize([-1, 0, 0.5, 1, 2, nan], [0, 0.5, 1]) (TensorFlow's
        // Bucketize agrees): a boundary goes up, NaN to the last bucket.
        let got: Vec<usize> = [-1.0, 0.0, 0.5, 1.0, 2.0, f32::NAN]
            .iter()
            .map(|&v| super::bucket(&[0.0, 0.5, 1.0], v))
            .collect();
        assert_eq!(got, [0, 1, 2, 3, 3, 3]);
    }
}

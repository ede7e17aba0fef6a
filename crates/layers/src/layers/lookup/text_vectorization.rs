//! Keras's `TextVectorization` at inference, with its vocabulary in the
//! config (given to the constructor; an adapted layer keeps it in a
//! `.keras` asset or, in `.h5`, nowhere, and is refused): raw strings →
//! standardized → split into tokens → looked up as a `StringLookup` with
//! mask `""` (index 0) and OOV `[UNK]` (index 1).
//!
//! As Keras computes it with TensorFlow: `lower` is `tf.strings.lower`
//! (ASCII letters only), `strip_punctuation` removes ASCII punctuation
//! (its regex is exactly those 32 characters), `whitespace` splits on runs
//! of ASCII whitespace (`\t\n\v\f\r` and space), `character` into Unicode
//! code points. `ngrams` (`tf.strings.ngrams` with a space separator)
//! replaces a row's tokens by its n-grams of each width in turn (`ngrams=2`:
//! widths 1 and 2; a list: those widths), a row shorter than a width giving
//! none of that width. `int` output is padded with 0 or cut to
//! `output_sequence_length` (without one, to the longest row of the
//! batch); `multi_hot` and `count` are bags over the vocabulary, `tf_idf`
//! the counts times the idf weights (see `Idf` in `lookup.rs`).
//! `one_hot`, ragged / sparse outputs and Python callables are refused,
//! naming the field.

use super::*;

/// How a string is split into tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Split {
    /// The whole (standardized) string is one token.
    Whole,
    Whitespace,
    Character,
}

/// `TextVectorization`.
#[derive(Debug)]
pub struct TextVectorization {
    base: Base,
    raw: Map<String, Value>,
    lower: bool,
    strip_punctuation: bool,
    split: Split,
    /// The n-gram widths, in order; `None`: the tokens themselves.
    ngrams: Option<Vec<usize>>,
    /// `int` mode's row length; `None`: the batch's longest row.
    sequence_length: Option<usize>,
    lookup: StringLookup,
}

/// Most n-gram widths a config may ask for (each adds a row's length of
/// tokens to the output).
const MAX_NGRAM_WIDTHS: usize = 64;

impl TextVectorization {
    /// Build from a config; the vocabulary must be in it.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<TextVectorization> {
        // Absent keys take Keras's defaults (a null is no standardization,
        // no split).
        let (lower, strip_punctuation) = match c.map.get("standardize") {
            None => (true, true),
            Some(Value::Null) => (false, false),
            Some(Value::String(s)) => match s.as_str() {
                "lower_and_strip_punctuation" => (true, true),
                "lower" => (true, false),
                "strip_punctuation" => (false, true),
                other => {
                    return Err(c.err(
                        "standardize",
                        format!("\"{other}\" is not supported (a Python function cannot run here; lower_and_strip_punctuation, lower, strip_punctuation and null are)"),
                    ))
                }
            },
            Some(v) => {
                return Err(c.err(
                    "standardize",
                    format!("a Python function ({}) cannot run here", crate::error::short_json(v, 80)),
                ))
            }
        };
        let split = match c.map.get("split") {
            None => Split::Whitespace,
            Some(Value::Null) => Split::Whole,
            Some(Value::String(s)) if s == "whitespace" => Split::Whitespace,
            Some(Value::String(s)) if s == "character" => Split::Character,
            Some(v) => {
                return Err(c.err(
                    "split",
                    format!(
                        "{} is not supported (whitespace, character and null are)",
                        crate::error::short_json(v, 80)
                    ),
                ))
            }
        };
        let ngrams = match c.get("ngrams") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let max = MAX_NGRAM_WIDTHS as u64;
                // (An integer n is checked before its widths 1..=n are made.)
                let widths: Vec<u64> = match v {
                    Value::Array(a) => a.iter().map(Value::as_u64).collect::<Option<_>>(),
                    n => n.as_u64().filter(|&n| n <= max).map(|n| (1..=n).collect()),
                }
                .filter(|w: &Vec<u64>| {
                    (1..=MAX_NGRAM_WIDTHS).contains(&w.len())
                        && w.iter().all(|n| (1..=max).contains(n))
                })
                .ok_or_else(|| {
                    c.err(
                        "ngrams",
                        format!(
                            "expected null, a width or a list of widths (1 to {MAX_NGRAM_WIDTHS}), got {}",
                            crate::error::short_json(v, 80)
                        ),
                    )
                })?;
                if split == Split::Whole {
                    // Keras would take n-grams across the batch of a
                    // `[batch]` input; of one string, only unigrams exist.
                    return Err(c.err(
                        "ngrams",
                        "n-grams of unsplit strings (split null) are not supported",
                    ));
                }
                Some(widths.into_iter().map(|w| w as usize).collect())
            }
        };
        for key in ["sparse", "ragged"] {
            if !matches!(
                c.get(key),
                None | Some(Value::Null) | Some(Value::Bool(false))
            ) {
                return Err(c.err(key, "is not supported (null or false)"));
            }
        }
        let mode = c.str_or("output_mode", "int")?;
        if !matches!(mode, "int" | "multi_hot" | "count" | "tf_idf") {
            return Err(c.err(
                "output_mode",
                format!("\"{mode}\" is not supported (int, multi_hot, count, tf_idf are)"),
            ));
        }
        let sequence_length = match c.get("output_sequence_length") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .filter(|n| (1..=1 << 20).contains(n))
                    .ok_or_else(|| c.err("output_sequence_length", "a positive integer"))?
                    as usize,
            ),
        };
        // The StringLookup Keras builds inside the layer.
        let mut inner = Map::new();
        inner.insert("name".into(), Value::from(c.name()));
        for key in [
            "vocabulary",
            "max_tokens",
            "pad_to_max_tokens",
            "idf_weights",
        ] {
            if let Some(v) = c.get(key) {
                inner.insert(key.into(), v.clone());
            }
        }
        inner.insert("mask_token".into(), Value::from(""));
        inner.insert("oov_token".into(), Value::from("[UNK]"));
        inner.insert("num_oov_indices".into(), Value::from(1));
        inner.insert("output_mode".into(), Value::from(mode));
        let lookup = StringLookup::from_config(&c.nested(c.layer, &inner))?;
        Ok(TextVectorization {
            base: Base::parse(c)?,
            raw: c.map.clone(),
            lower,
            strip_punctuation,
            split,
            ngrams,
            sequence_length: sequence_length.filter(|_| mode == "int"),
            lookup,
        })
    }

    /// `s` standardized and split, as Keras does.
    fn tokens(&self, s: &str) -> Vec<String> {
        let mut t: String = s
            .chars()
            .filter(|c| !(self.strip_punctuation && c.is_ascii_punctuation()))
            .collect();
        if self.lower {
            t.make_ascii_lowercase();
        }
        let tokens: Vec<String> = match self.split {
            Split::Whole => vec![t],
            Split::Whitespace => t
                .split([' ', '\t', '\n', '\x0B', '\x0C', '\r'])
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect(),
            Split::Character => t.chars().map(String::from).collect(),
        };
        match &self.ngrams {
            None => tokens,
            Some(widths) => widths
                .iter()
                .flat_map(|&n| tokens.windows(n).map(|w| w.join(" ")))
                .collect(),
        }
    }
}

impl Layer for TextVectorization {
    lookup_common!("TextVectorization");
    fn takes_strings(&self) -> bool {
        true
    }
    // The idf weights are the inner StringLookup's (Keras 3 saves them
    // twice in a `.keras` file: as the layer's variable and as its
    // `_lookup_layer`'s).
    fn weights(&self) -> Vec<crate::LayerWeight> {
        self.lookup.weights()
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.lookup.weight_values()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.lookup.set_weight(index, value)
    }
    fn weights_in_config(&self) -> Vec<usize> {
        self.lookup.weights_in_config()
    }
    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        self.lookup.keras3_weight_keys()
    }
    fn keras2_weight_names(&self) -> Option<Vec<String>> {
        self.lookup.keras2_weight_names()
    }
    fn keras3_ignored_keys(&self) -> Vec<String> {
        match self.lookup.mode {
            Mode::TfIdf => vec!["_lookup_layer/idf_weights".into()],
            _ => Vec::new(),
        }
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        let batch = s.first().copied().flatten();
        let rows_of_one = s.len() == 1 || (s.len() == 2 && s[1] == Some(1));
        if !rows_of_one {
            return Err(self.base.err(format!(
                "expects [batch] or [batch, 1] strings, got {}",
                shape_str(s)
            )));
        }
        Ok(vec![match self.lookup.mode {
            Mode::Int => match self.split {
                Split::Whole => {
                    let mut o = s.clone();
                    if o.len() == 1 {
                        o.push(Some(1));
                    }
                    *o.last_mut().expect("rank 2") = self.sequence_length.or(Some(1));
                    o
                }
                _ => vec![batch, self.sequence_length],
            },
            _ => vec![batch, Some(self.lookup.depth())],
        }])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let strings = x.as_strings().ok_or_else(|| {
            input_err(
                &self.base.name,
                "TextVectorization takes strings, got numbers",
            )
        })?;
        let b = x.shape().first().copied().unwrap_or(0);
        if strings.len() != b {
            return Err(input_err(
                &self.base.name,
                format!("expects [batch] or [batch, 1] strings, got {:?}", x.shape()),
            ));
        }
        let rows = strings
            .iter()
            .map(|s| {
                self.tokens(s)
                    .iter()
                    .map(|t| self.lookup.lookup(t))
                    .collect::<Result<Vec<i64>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        if self.lookup.mode != Mode::Int {
            let width = rows.iter().map(Vec::len).max().unwrap_or(0);
            let mut ids = vec![MASKED; b * width];
            for (r, row) in rows.iter().enumerate() {
                ids[r * width..][..row.len()].copy_from_slice(row);
            }
            return Ok(vec![self.lookup.encode_ids(&ids, vec![b, width])?]);
        }
        let len = self
            .sequence_length
            .unwrap_or_else(|| rows.iter().map(Vec::len).max().unwrap_or(0));
        let mut out = vec![0i32; b * len];
        for (r, row) in rows.iter().enumerate() {
            for (o, &id) in out[r * len..][..len].iter_mut().zip(row) {
                *o = i32::try_from(id).unwrap_or(0);
            }
        }
        Ok(vec![Tensor::from_i32(vec![b, len], out)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_follow_tensorflow_string_ops() {
        let config = serde_json::json!({
            "name": "tv", "vocabulary": ["a"], "standardize": "lower_and_strip_punctuation",
            "split": "whitespace"
        });
        let map = config.as_object().expect("object").clone();
        let tv = TextVectorization::from_config(&ConfigReader::new("tv", &map)).unwrap();
        // What TensorFlow 2.21 gives: `tf.strings.lower` lowers ASCII only,
        // `tf.strings.split` splits on \v and \f but not on a no-break space.
        assert_eq!(tv.tokens("ÉCOLE Straße, ÀB!"), ["École", "straße", "Àb"]);
        assert_eq!(
            tv.tokens("a\x0bb\x0cc\u{a0}d  e"),
            ["a", "b", "c\u{a0}d", "e"]
        );
        for bad in [
            serde_json::json!({"name": "tv", "vocabulary": ["a"], "ngrams": 0}),
            serde_json::json!({"name": "tv", "vocabulary": ["a"], "ngrams": 4_000_000_000u64}),
            serde_json::json!({"name": "tv", "vocabulary": ["a"], "ngrams": [2, 1000000]}),
            serde_json::json!({"name": "tv", "vocabulary": ["a"], "ngrams": 2, "split": null}),
        ] {
            let map = bad.as_object().expect("object").clone();
            let e = TextVectorization::from_config(&ConfigReader::new("tv", &map))
                .unwrap_err()
                .to_string();
            assert!(e.contains("ngrams"), "{e}");
        }
    }

    /// `tf.strings.ngrams(tokens, (1, 3), separator=" ")`: every width in
    /// turn; a row shorter than a width has none of it.
    #[test]
    fn ngrams_of_each_width_in_turn() {
        let config = serde_json::json!({"name": "tv", "vocabulary": ["a"], "ngrams": [1, 3]});
        let map = config.as_object().expect("object").clone();
        let tv = TextVectorization::from_config(&ConfigReader::new("tv", &map)).unwrap();
        assert_eq!(
            tv.tokens("The cat sat down"),
            ["the", "cat", "sat", "down", "the cat sat", "cat sat down"]
        );
        assert_eq!(tv.tokens("hi there"), ["hi", "there"]);
    }
}

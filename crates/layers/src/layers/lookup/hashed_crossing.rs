//! Keras's `HashedCrossing` (Keras 3 and tf_keras): the features of each
//! row (`[batch]` or `[batch, 1]`, integers or strings) crossed into one
//! bin, as `tf.sparse.cross_hashed(inputs, num_bins)` computes it: every
//! feature as a 64-bit value (a string's FarmHash `Fingerprint64`, an
//! integer as it is), folded left to right with `FingerprintCat64` from
//! TensorFlow's default key `0xDECAFCAFFE`, modulo `num_bins`. Output
//! `int` (the bins, in the first input's shape) or `one_hot`. Keras 3
//! crosses exactly two features, tf_keras any number (at least two).

use super::*;

/// `tf.sparse.cross_hashed`'s default `hash_key`.
const CROSS_HASH_KEY: u64 = 0x00DE_CAFC_AFFE;

/// TensorFlow's `FingerprintCat64`: a fingerprint of two fingerprints.
fn fingerprint_cat64(fp1: u64, fp2: u64) -> u64 {
    const MUL: u64 = 0xc6a4_a793_5bd1_e995;
    let mut r = fp1 ^ MUL;
    r ^= shift_mix(fp2.wrapping_mul(MUL)).wrapping_mul(MUL);
    r = r.wrapping_mul(MUL);
    r = shift_mix(r).wrapping_mul(MUL);
    shift_mix(r)
}

/// `HashedCrossing`.
#[derive(Debug)]
pub struct HashedCrossing {
    base: Base,
    raw: Map<String, Value>,
    num_bins: u64,
    one_hot: bool,
}

impl HashedCrossing {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<HashedCrossing> {
        let num_bins = c.usize_req("num_bins")?;
        if num_bins == 0 || num_bins > i32::MAX as usize {
            return Err(c.err(
                "num_bins",
                format!("expected 1..=2^31-1 bins, got {num_bins}"),
            ));
        }
        let one_hot = match c.str_or("output_mode", "int")? {
            "int" => false,
            "one_hot" => true,
            other => {
                return Err(c.err(
                    "output_mode",
                    format!("\"{other}\" is not supported (int, one_hot are)"),
                ))
            }
        };
        if c.bool_or("sparse", false)? {
            return Err(c.err("sparse", "sparse outputs are not supported"));
        }
        Ok(HashedCrossing {
            base: Base::parse(c)?,
            raw: c.map.clone(),
            num_bins: num_bins as u64,
            one_hot,
        })
    }

    /// Every feature of `x` as the 64-bit value the cross folds in.
    fn features(&self, x: &Tensor) -> Vec<u64> {
        match x.data() {
            // Integers as int64 (two's complement), as TensorFlow casts them.
            TensorData::I32(v) => v.iter().map(|&t| i64::from(t) as u64).collect(),
            TensorData::F32(v) => v.iter().map(|&t| t as i64 as u64).collect(),
            TensorData::Str(v) => v.iter().map(|s| fingerprint64(s.as_bytes())).collect(),
        }
    }
}

impl Layer for HashedCrossing {
    lookup_common!("HashedCrossing");
    fn takes_strings(&self) -> bool {
        true
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let Some((first, rest)) = inputs.split_first().filter(|(_, r)| !r.is_empty()) else {
            return Err(self
                .base
                .err(format!("crosses at least two inputs, got {}", inputs.len())));
        };
        let rank_ok = first.len() == 1 || (first.len() == 2 && first[1].is_none_or(|d| d == 1));
        if !rank_ok {
            return Err(self.base.err(format!(
                "inputs must have shape [batch] or [batch, 1], got {}",
                shape_str(first)
            )));
        }
        if let Some(other) = rest.iter().find(|s| s.len() != first.len()) {
            return Err(self.base.err(format!(
                "inputs must have equal shapes, got {} and {}",
                shape_str(first),
                shape_str(other)
            )));
        }
        let mut out = first.clone();
        if out.len() == 2 {
            out[1] = Some(1);
        }
        Ok(vec![if self.one_hot {
            encoded_shape(Mode::OneHot, out, self.num_bins as usize)
        } else {
            out
        }])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let (first, _) = inputs
            .split_first()
            .filter(|(_, r)| !r.is_empty())
            .ok_or_else(|| input_err(&self.base.name, "crosses at least two inputs"))?;
        let rows = first.len();
        if let Some(x) = inputs.iter().find(|x| x.len() != rows) {
            return Err(input_err(
                &self.base.name,
                format!(
                    "inputs must have equal shapes, got {:?} and {:?}",
                    first.shape(),
                    x.shape()
                ),
            ));
        }
        let mut crossed = vec![CROSS_HASH_KEY; rows];
        for x in inputs {
            for (h, f) in crossed.iter_mut().zip(self.features(x)) {
                *h = fingerprint_cat64(*h, f);
            }
        }
        let ids: Vec<i64> = crossed.iter().map(|h| (h % self.num_bins) as i64).collect();
        let shape = first.shape().to_vec();
        Ok(vec![if self.one_hot {
            encode(
                &self.base,
                Mode::OneHot,
                &ids,
                shape,
                self.num_bins as usize,
            )?
        } else {
            Tensor::from_i32(shape, ids.iter().map(|&i| i as i32).collect())?
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tf.sparse.to_dense(tf.sparse.cross_hashed([a, b], 1000))` in
    /// TensorFlow 2.21: integers (negative ones included) and strings.
    #[test]
    fn crosses_match_tensorflow() {
        let cfg = serde_json::json!({"name": "hc", "num_bins": 1000});
        let hc = HashedCrossing::from_config(&ConfigReader::new("hc", cfg.as_object().unwrap()))
            .unwrap();
        let a = Tensor::from_i32(vec![3, 1], vec![3, -7, 123_456_789]).unwrap();
        let b = Tensor::from_i32(vec![3, 1], vec![5, 2, -1]).unwrap();
        assert_eq!(bins(&hc, &[a, b]), [412, 49, 265]);
        let s = |v: &[&str]| {
            Tensor::from_strings(vec![3, 1], v.iter().map(|s| s.to_string()).collect()).unwrap()
        };
        let words = s(&["hat", "", "b\u{e9}ret"]);
        let ints = Tensor::from_i32(vec![3, 1], vec![5, -2, 0]).unwrap();
        assert_eq!(bins(&hc, &[words.clone(), ints.clone()]), [757, 683, 763]);
        // Three features (tf_keras), in another number of bins.
        let cfg = serde_json::json!({"name": "hc", "num_bins": 97});
        let hc = HashedCrossing::from_config(&ConfigReader::new("hc", cfg.as_object().unwrap()))
            .unwrap();
        assert_eq!(bins(&hc, &[ints, words.clone(), words]), [43, 55, 47]);
    }

    fn bins(hc: &HashedCrossing, xs: &[Tensor]) -> Vec<i32> {
        let y = hc.call(xs, &vec![None; xs.len()]).unwrap();
        assert_eq!(y[0].shape(), xs[0].shape());
        match y[0].data() {
            TensorData::I32(v) => v.clone(),
            other => panic!("int32 bins expected, got {other:?}"),
        }
    }
}

//! Keras 3's `ops.nn.ctc_decode(inputs, sequence_lengths,
//! strategy="greedy")` (a `CTCDecode` node), as its TensorFlow backend
//! computes it with `tf.nn.ctc_greedy_decoder`: `inputs` `[batch, steps,
//! classes]` (used as given: probabilities or logits), `sequence_lengths`
//! `[batch]` (a tensor or a constant; each at most `steps`). For each
//! sample, over its first `length` steps: the class of the largest value
//! (the first of equal ones, with the blank class `mask_index` moved after
//! the others, as TensorFlow reorders the columns), kept unless it is the
//! blank or (`merge_repeated`) the previous step's class. Outputs: the
//! labels `[1, batch, steps]` int32, padded with -1, and `[batch, 1]` the
//! negated sum of each step's largest value. `strategy="beam_search"` is
//! refused by field.

use super::super::common::*;
use super::Operand;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;

/// One greedy `ctc_decode` call.
#[derive(Debug, Clone)]
pub(crate) struct CtcGreedy {
    merge_repeated: bool,
    /// `mask_index` (negative: from the end; `None`: the last class).
    blank: Option<i64>,
    /// The sequence lengths' operand (the inputs are the first).
    lengths: Operand,
}

impl CtcGreedy {
    pub(crate) fn from_config(c: &ConfigReader<'_>, operands: &[Operand]) -> Result<CtcGreedy> {
        let strategy = c.str_or("strategy", "greedy")?;
        if strategy != "greedy" {
            return Err(c.err(
                "strategy",
                format!("{strategy:?} is not supported (greedy decoding is)"),
            ));
        }
        let blank = match c.get("mask_index") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| c.err("mask_index", "expected an integer"))?,
            ),
        };
        let lengths =
            match operands {
                [Operand::Input(0), l @ (Operand::Input(1) | Operand::Const(_))] => l.clone(),
                [] => Operand::Input(1),
                _ => return Err(c.err(
                    "args",
                    "expected the inputs tensor and the sequence lengths (a tensor or an array)",
                )),
            };
        Ok(CtcGreedy {
            merge_repeated: c.bool_or("merge_repeated", true)?,
            blank,
            lengths,
        })
    }

    pub(crate) fn shapes(&self, inputs: &[Shape]) -> std::result::Result<Vec<Shape>, String> {
        let x = inputs.first().ok_or("the inputs tensor is missing")?;
        if x.len() != 3 {
            return Err(format!(
                "expects inputs [batch, steps, classes], got {}",
                shape_str(x)
            ));
        }
        Ok(vec![vec![Some(1), x[0], x[1]], vec![x[0], Some(1)]])
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> std::result::Result<Vec<Tensor>, String> {
        let x = inputs.first().ok_or("the inputs tensor is missing")?;
        let err = |m: String| crate::LayersError::Input { message: m };
        let (lengths, _) = self
            .lengths
            .values(inputs, err)
            .map_err(|e| e.to_string())?;
        let &[batch, steps, classes] = x.shape() else {
            return Err(format!(
                "expects inputs [batch, steps, classes], got {:?}",
                x.shape()
            ));
        };
        if lengths.len() != batch {
            return Err(format!(
                "{} sequence lengths for a batch of {batch}",
                lengths.len()
            ));
        }
        if classes == 0 {
            return Err("inputs have no classes".into());
        }
        let blank = match self.blank {
            None => classes - 1,
            Some(b) => {
                let at = if b < 0 { b + classes as i64 } else { b };
                usize::try_from(at)
                    .ok()
                    .filter(|&a| a < classes)
                    .ok_or(format!("mask_index {b} is outside {classes} classes"))?
            }
        };
        // TensorFlow's column order: the blank after the others.
        let order: Vec<usize> = (0..classes)
            .filter(|&c| c != blank)
            .chain([blank])
            .collect();
        let data = f32s(x);
        let mut labels = vec![-1i32; batch * steps];
        let mut scores = vec![0f32; batch];
        for b in 0..batch {
            let len = lengths[b];
            if !(0.0..=steps as f32).contains(&len) {
                return Err(format!(
                    "sequence length {len} of sample {b} is not in [0, {steps}]"
                ));
            }
            let mut prev = None;
            let mut n = 0;
            for t in 0..len as usize {
                let row = &data[(b * steps + t) * classes..][..classes];
                let mut best = order[0];
                for &c in &order[1..] {
                    if row[c] > row[best] {
                        best = c;
                    }
                }
                scores[b] -= row[best];
                if best != blank && !(self.merge_repeated && prev == Some(best)) {
                    labels[b * steps + n] = best as i32;
                    n += 1;
                }
                prev = Some(best);
            }
        }
        let e = |r: Result<Tensor>| r.map_err(|e| e.to_string());
        Ok(vec![
            e(Tensor::from_i32(vec![1, batch, steps], labels))?,
            e(Tensor::from_f32(vec![batch, 1], scores))?,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_decoding_merges_repeats_and_drops_blanks() {
        // Classes [blank, a, b]; steps: a a blank a b b, length 6 and 3.
        let rows: [[f32; 3]; 6] = [
            [0.1, 0.8, 0.1],
            [0.2, 0.7, 0.1],
            [0.9, 0.05, 0.05],
            [0.1, 0.6, 0.3],
            [0.1, 0.2, 0.7],
            [0.3, 0.3, 0.4],
        ];
        let mut x: Vec<f32> = rows.iter().flatten().copied().collect();
        x.extend(rows.iter().flatten().copied());
        let x = Tensor::from_f32(vec![2, 6, 3], x).unwrap();
        let lengths = Tensor::from_i32(vec![2], vec![6, 3]).unwrap();
        let op = CtcGreedy {
            merge_repeated: true,
            blank: Some(0),
            lengths: Operand::Input(1),
        };
        let out = op.call(&[x.clone(), lengths.clone()]).unwrap();
        assert_eq!(
            f32s(&out[0]).as_ref(),
            [1.0, 1.0, 2.0, -1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0]
        );
        let s = f32s(&out[1]);
        assert!(
            (s[0] + 4.1).abs() < 1e-6 && (s[1] + 2.4).abs() < 1e-6,
            "{s:?}"
        );
        let keep = CtcGreedy {
            merge_repeated: false,
            ..op
        };
        let out = keep.call(&[x, lengths]).unwrap();
        assert_eq!(&f32s(&out[0])[..6], [1.0, 1.0, 1.0, 2.0, 2.0, -1.0]);
    }
}

//! Segment reductions and boolean masks for [`super::StatOp`]: the
//! segment ids / mask (constant from the file or an input), their checks
//! and the loops.

use super::super::common::*;
use super::super::tf_ops::{axis_of, constant_array};
use super::constant_operand;
use crate::Tensor;
use serde_json::Value;

type Out<T> = std::result::Result<T, String>;

/// The most segments (and quantiles) read from a file.
pub(super) const MAX_SEGMENTS: usize = 1 << 20;
/// The most values one segment reduction may write (2^28 float32, 1 GiB).
const MAX_OUTPUT: usize = 1 << 28;

/// A segment reduction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SegmentHow {
    Sum,
    Max,
    Min,
    Prod,
    Mean,
    SqrtN,
}

/// Where the segment ids come from.
#[derive(Debug, Clone)]
pub(crate) enum Ids {
    /// Constant ids from the file, and their shape.
    Const(Vec<i64>, Vec<usize>),
    /// The operation's second input.
    Input,
}

/// Constant segment ids (a list, nested lists or a NumPy array).
pub(super) fn const_ids(v: &Value) -> Option<Ids> {
    let t = constant_operand(v).or_else(|| constant_array(v))?;
    let ids = f32s(&t).iter().map(|&x| x as i64).collect();
    Some(Ids::Const(ids, t.shape().to_vec()))
}

/// A segment count from the file: a positive integer within the cap.
pub(super) fn segment_count(v: &Value) -> Out<usize> {
    v.as_u64()
        .filter(|&n| (1..=MAX_SEGMENTS as u64).contains(&n))
        .map(|n| n as usize)
        .ok_or_else(|| {
            format!("num_segments: expected a constant integer in [1, {MAX_SEGMENTS}], got {v}")
        })
}

/// The segment reduction `how` of `inputs[0]` by `ids` into `segments`
/// rows (`None`: sorted ids, the last + 1).
pub(super) fn segment_call(
    how: SegmentHow,
    ids: &Ids,
    segments: Option<usize>,
    inputs: &[Tensor],
) -> Out<Tensor> {
    let x = inputs.first().ok_or("needs an input")?;
    let (ids, id_shape): (std::borrow::Cow<'_, [i64]>, Vec<usize>) = match ids {
        Ids::Const(v, s) => (v.into(), s.clone()),
        Ids::Input => {
            let t = inputs.get(1).ok_or("segment_ids is missing")?;
            let v: Vec<i64> = f32s(t).iter().map(|&v| v as i64).collect();
            (v.into(), t.shape().to_vec())
        }
    };
    let s = x.shape();
    if id_shape.is_empty() || id_shape.len() > s.len() || s[..id_shape.len()] != id_shape {
        return Err(format!(
            "segment_ids of shape {id_shape:?} must be the leading axes of data {s:?}"
        ));
    }
    let n = segment_rows(&ids, segments)?;
    let inner: usize = s[id_shape.len()..].iter().product();
    let total = n
        .checked_mul(inner)
        .filter(|&t| t <= MAX_OUTPUT)
        .ok_or_else(|| format!("{n} segments of {inner} values are too many"))?;
    let out = segment_reduce(&f32s(x), &ids, inner, total, how, segments.is_none());
    let mut shape = vec![n];
    shape.extend(&s[id_shape.len()..]);
    Tensor::from_f32(shape, out).map_err(|e| e.to_string())
}

/// `tf.boolean_mask(inputs[0], mask, axis)`.
pub(super) fn boolean_mask(mask: &Ids, axis: i64, inputs: &[Tensor]) -> Out<Tensor> {
    let x = inputs.first().ok_or("needs an input")?;
    let (mask, m_shape): (std::borrow::Cow<'_, [i64]>, Vec<usize>) = match mask {
        Ids::Const(v, s) => (v.into(), s.clone()),
        Ids::Input => {
            let t = inputs.get(1).ok_or("mask is missing")?;
            let v: Vec<i64> = f32s(t).iter().map(|&v| i64::from(v != 0.0)).collect();
            (v.into(), t.shape().to_vec())
        }
    };
    let s = x.shape();
    let a = mask_axes(axis, m_shape.len(), s.len())?;
    if s[a..a + m_shape.len()] != m_shape[..] {
        return Err(format!(
            "mask of shape {m_shape:?} does not match axes {a}.. of {s:?}"
        ));
    }
    let inner: usize = s[a + m_shape.len()..].iter().product();
    let kept: Vec<usize> = (0..mask.len()).filter(|&p| mask[p] != 0).collect();
    let xs = f32s(x);
    let mut out = Vec::with_capacity(xs.len());
    for block in xs.chunks(mask.len() * inner.max(1)).filter(|_| inner > 0) {
        for &p in &kept {
            out.extend_from_slice(&block[p * inner..(p + 1) * inner]);
        }
    }
    let mut shape = s[..a].to_vec();
    shape.push(kept.len());
    shape.extend(&s[a + m_shape.len()..]);
    Tensor::from_f32(shape, out).map_err(|e| e.to_string())
}

/// The first masked axis of a rank-`rank` input for a rank-`k` mask at
/// `axis` (TensorFlow: the mask covers `axis..axis + k`).
pub(super) fn mask_axes(axis: i64, k: usize, rank: usize) -> Out<usize> {
    let a = axis_of(axis, rank, 0)?;
    if k == 0 || a + k > rank {
        return Err(format!(
            "a rank-{k} mask at axis {axis} does not fit a rank-{rank} input"
        ));
    }
    Ok(a)
}

/// A constant mask's booleans as 0 / 1 (numbers are kept).
pub(super) fn bools_as_ints(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::from(i64::from(*b)),
        Value::Array(a) => Value::Array(a.iter().map(bools_as_ints).collect()),
        Value::Object(_) => v
            .pointer("/config/value")
            .map_or_else(|| v.clone(), bools_as_ints),
        other => other.clone(),
    }
}

/// The number of segments `ids` make: `segments` for unsorted ids (each
/// one below it; negative ones are dropped), the last id + 1 for sorted ones
/// (rising from 0).
pub(super) fn segment_rows(ids: &[i64], segments: Option<usize>) -> Out<usize> {
    match segments {
        Some(n) => match ids.iter().find(|&&i| i >= n as i64) {
            Some(i) => Err(format!("segment id {i} is out of range [0, {n})")),
            None => Ok(n),
        },
        None => {
            if let Some(&i) = ids.iter().find(|&&i| i < 0) {
                return Err(format!("segment id {i} is negative"));
            }
            if ids.windows(2).any(|w| w[1] < w[0]) {
                return Err("segment ids are not sorted".into());
            }
            let n = ids.last().map_or(0, |&l| l + 1) as usize;
            if n > MAX_SEGMENTS {
                return Err(format!("{n} segments are more than {MAX_SEGMENTS}"));
            }
            Ok(n)
        }
    }
}

/// Rows of `inner` values of `data`, one per id, reduced into `total / inner`
/// segments (ids already checked against the count).
fn segment_reduce(
    data: &[f32],
    ids: &[i64],
    inner: usize,
    total: usize,
    how: SegmentHow,
    sorted: bool,
) -> Vec<f32> {
    let start = match how {
        SegmentHow::Max => f32::MIN,
        SegmentHow::Min => f32::MAX,
        SegmentHow::Prod => 1.0,
        _ => 0.0,
    };
    let mut out = vec![start; total];
    let mut count = vec![0usize; total / inner.max(1)];
    for (row, &id) in data.chunks(inner.max(1)).zip(ids) {
        if id < 0 {
            continue;
        }
        let id = id as usize;
        count[id] += 1;
        let acc = &mut out[id * inner..(id + 1) * inner];
        for (a, &v) in acc.iter_mut().zip(row) {
            *a = match how {
                SegmentHow::Sum | SegmentHow::Mean | SegmentHow::SqrtN => *a + v,
                SegmentHow::Max => a.max(v),
                SegmentHow::Min => a.min(v),
                SegmentHow::Prod => *a * v,
            };
        }
    }
    for (seg, &c) in count.iter().enumerate() {
        let acc = &mut out[seg * inner..(seg + 1) * inner];
        match how {
            // A sorted reduction's empty segment is 0 (prod: 1).
            SegmentHow::Max | SegmentHow::Min if sorted && c == 0 => acc.fill(0.0),
            SegmentHow::Mean => acc.iter_mut().for_each(|a| *a /= c.max(1) as f32),
            SegmentHow::SqrtN => acc.iter_mut().for_each(|a| *a /= (c.max(1) as f32).sqrt()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A naive per-element reference for every segment reduction.
    #[test]
    fn segments_match_a_naive_reduction() {
        let data: Vec<f32> = (0..12).map(|v| v as f32 - 5.0).collect();
        let ids = [0i64, -1, 2, 0];
        for how in [
            SegmentHow::Sum,
            SegmentHow::Max,
            SegmentHow::Min,
            SegmentHow::Prod,
            SegmentHow::Mean,
            SegmentHow::SqrtN,
        ] {
            let out = segment_reduce(&data, &ids, 3, 12, how, false);
            for seg in 0..4 {
                for j in 0..3 {
                    let vals: Vec<f32> = (0..4)
                        .filter(|&r| ids[r] == seg as i64)
                        .map(|r| data[r * 3 + j])
                        .collect();
                    let c = vals.len().max(1) as f32;
                    let want = match how {
                        SegmentHow::Sum => vals.iter().sum(),
                        SegmentHow::Max => vals.iter().copied().fold(f32::MIN, f32::max),
                        SegmentHow::Min => vals.iter().copied().fold(f32::MAX, f32::min),
                        SegmentHow::Prod => vals.iter().product(),
                        SegmentHow::Mean => vals.iter().sum::<f32>() / c,
                        SegmentHow::SqrtN => vals.iter().sum::<f32>() / c.sqrt(),
                    };
                    assert_eq!(out[seg * 3 + j], want, "{how:?} segment {seg}");
                }
            }
        }
        // TensorFlow: an id past num_segments is an error; sorted ids rise.
        assert!(segment_rows(&[0, 3], Some(3)).is_err());
        assert_eq!(segment_rows(&[0, 0, 2], None), Ok(3));
        assert!(segment_rows(&[1, 0], None).is_err());
        assert!(segment_rows(&[-1, 0], None).is_err());
        // A sorted max's empty segment is 0.
        assert_eq!(
            segment_reduce(&[5.0, 6.0], &[0, 2], 1, 3, SegmentHow::Max, true),
            [5.0, 0.0, 6.0]
        );
    }
}

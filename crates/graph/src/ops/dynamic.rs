//! Ops whose output size depends on the data: NonMaxSuppressionV2–V5,
//! Where, TopKV2.

use super::{one, Ctx, OpFn, Value};
use crate::tensor::{strides, Data, Tensor};
use crate::Result;
use tfjs_kernels::nms::non_max_suppression;

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("NonMaxSuppressionV2", |c| nms(c, 2)),
    ("NonMaxSuppressionV3", |c| nms(c, 3)),
    ("NonMaxSuppressionV4", |c| nms(c, 4)),
    ("NonMaxSuppressionV5", |c| nms(c, 5)),
    ("Where", where_op),
    ("TopKV2", top_k),
];

fn scalar_f(c: &Ctx, i: usize, default: f32) -> Result<f32> {
    if i >= c.n() {
        return Ok(default);
    }
    let v = c.t(i)?.to_f32();
    match v.as_slice() {
        [x] => Ok(*x),
        _ => Err(c.err(format!("input {i} must be a scalar"))),
    }
}

fn nms(c: &Ctx, version: u8) -> Result<Vec<Value>> {
    let boxes = c.t(0)?;
    let scores = c.t(1)?;
    let n = scores.len();
    if boxes.shape() != [n, 4] || scores.rank() != 1 {
        return Err(c.err(format!(
            "boxes {:?} must be [n, 4] and scores {:?} [n]",
            boxes.shape(),
            scores.shape()
        )));
    }
    let max_out = c.int(2)?.max(0) as usize;
    let iou = scalar_f(c, 3, 0.5)?;
    let score_t = if version >= 3 {
        scalar_f(c, 4, f32::NEG_INFINITY)?
    } else {
        f32::NEG_INFINITY
    };
    let sigma = if version == 5 {
        scalar_f(c, 5, 0.0)?
    } else {
        0.0
    };
    if !(0.0..=1.0).contains(&iou) {
        return Err(c.err(format!("iou_threshold must be in [0, 1], got {iou}")));
    }
    let r = non_max_suppression(
        &boxes.to_f32(),
        &scores.to_f32(),
        max_out.min(n),
        iou,
        score_t,
        sigma,
    );
    let valid = r.indices.len();
    let mut indices = r.indices;
    let mut sel_scores = r.scores;
    if version >= 4 && c.attr_b("pad_to_max_output_size", false) {
        indices.resize(max_out.max(valid), 0);
        sel_scores.resize(max_out.max(valid), 0.0);
    }
    let idx = Value::t(Tensor::vec_i32(indices));
    match version {
        4 => Ok(vec![idx, Value::t(Tensor::scalar_i32(valid as i32))]),
        5 => {
            let k = sel_scores.len();
            Ok(vec![
                idx,
                Value::t(Tensor::f32(vec![k], sel_scores)?),
                Value::t(Tensor::scalar_i32(valid as i32)),
            ])
        }
        _ => Ok(vec![idx]),
    }
}

/// Coordinates of the true (non-zero) elements, `[count, rank]` int32.
fn where_op(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let v = t.data().to_bool();
    let r = t.rank();
    let st = strides(t.shape());
    let mut coords = Vec::new();
    let mut count = 0;
    for (i, &b) in v.iter().enumerate() {
        if b {
            count += 1;
            let mut rem = i;
            for s in &st {
                coords.push((rem / s) as i32);
                rem %= s;
            }
        }
    }
    one(Tensor::i32(vec![count, r], coords)?)
}

/// Largest `k` per last-axis row: value descending, ties by lower index
/// (TF.js `comparePair`).
fn top_k(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let k = c.int(1)?;
    let n = c.last_dim(t, "input")?;
    if k < 0 || k as usize > n {
        return Err(c.err(format!("k {k} must be in [0, {n}]")));
    }
    let k = k as usize;
    let vals = t.to_f32();
    let rows = vals.len().checked_div(n).unwrap_or(0);
    let mut idx = Vec::with_capacity(rows * k);
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for r in 0..rows {
        let row = &vals[r * n..(r + 1) * n];
        order.clear();
        order.extend(0..n);
        order.sort_by(|&a, &b| {
            row[b]
                .partial_cmp(&row[a])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
        idx.extend(order[..k].iter().map(|&i| r * n + i));
    }
    let mut shape = t.shape().to_vec();
    *shape.last_mut().expect("rank >= 1") = k;
    let values = Tensor::new(shape.clone(), t.data().take(&idx))?;
    let indices = Data::I32(idx.iter().map(|&i| (i % n.max(1)) as i32).collect());
    Ok(vec![
        Value::t(values),
        Value::t(Tensor::new(shape, indices)?),
    ])
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::run;
    use crate::ops::Value;
    use crate::tensor::Tensor;

    fn t(v: &Value) -> &Tensor {
        match v {
            Value::Tensor(t) => t,
            _ => panic!("not a tensor"),
        }
    }

    #[test]
    fn topk_where_nms() {
        let x = Tensor::f32(vec![2, 3], vec![1.0, 3.0, 3.0, 0.0, -1.0, 2.0]).unwrap();
        let r = run(
            "TopKV2",
            &[x, Tensor::scalar_i32(2)],
            r#"{"sorted": {"b": true}}"#,
        );
        assert_eq!(t(&r[0]).to_f32(), vec![3.0, 3.0, 2.0, 0.0]);
        assert_eq!(t(&r[1]).to_i32(), vec![1, 2, 2, 0]);
        let w = run(
            "Where",
            &[Tensor::bool(vec![2, 2], vec![false, true, true, false]).unwrap()],
            "{}",
        );
        assert_eq!(t(&w[0]).shape(), &[2, 2]);
        assert_eq!(t(&w[0]).to_i32(), vec![0, 1, 1, 0]);
        let boxes = Tensor::f32(
            vec![3, 4],
            vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0],
        )
        .unwrap();
        let scores = Tensor::f32(vec![3], vec![0.6, 0.9, 0.1]).unwrap();
        let s = |x: f32| Tensor::scalar_f32(x);
        let r = run(
            "NonMaxSuppressionV5",
            &[
                boxes.clone(),
                scores.clone(),
                Tensor::scalar_i32(5),
                s(0.5),
                s(0.0),
                s(0.0),
            ],
            "{}",
        );
        assert_eq!(t(&r[0]).to_i32(), vec![1, 2]);
        assert_eq!(t(&r[1]).to_f32(), vec![0.9, 0.1]);
        let r = run(
            "NonMaxSuppressionV4",
            &[boxes, scores, Tensor::scalar_i32(4), s(0.5), s(0.0)],
            r#"{"pad_to_max_output_size": {"b": true}}"#,
        );
        assert_eq!(t(&r[0]).to_i32(), vec![1, 2, 0, 0]);
        assert_eq!(t(&r[1]).to_i32(), vec![2]);
    }
}

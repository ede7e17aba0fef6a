//! Slicing and joining: ConcatV2, Pack/Unpack, Split/SplitV, Slice,
//! StridedSlice (every mask), GatherV2, GatherNd, Tile, ReverseV2, OneHot.

use super::transformation::{fits, MAX_ELEMENTS};
use super::{advance, one, Ctx, OpFn, Value};
use crate::tensor::{strides, Data, Tensor};
use crate::Result;

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("ConcatV2", concat_v2),
    ("Concat", concat_v1),
    ("Pack", pack),
    ("Unpack", unpack),
    ("Split", split),
    ("SplitV", split_v),
    ("Slice", slice),
    ("StridedSlice", strided_slice),
    ("GatherV2", gather),
    ("Gather", gather),
    ("GatherNd", gather_nd),
    ("Tile", tile),
    ("ReverseV2", reverse),
    ("OneHot", one_hot),
    ("ScatterNd", scatter_nd),
];

/// Zeros of `shape` with `updates` added at `indices` (duplicates add up).
fn scatter_nd(c: &Ctx) -> Result<Vec<Value>> {
    let ind = c.t(0)?;
    let upd = c.t(1)?;
    let shape = super::transformation::dims_to_shape(c, &c.ints(2)?)?;
    let k = c.last_dim(ind, "indices")?;
    if k > shape.len() {
        return Err(c.err(format!(
            "index depth {k} exceeds the output rank {}",
            shape.len()
        )));
    }
    let inner: usize = shape[k..].iter().product();
    let rows: usize = ind.shape()[..ind.rank() - 1].iter().product();
    if upd.len() != rows * inner {
        return Err(c.err(format!(
            "updates {:?} do not match {rows} index rows of {inner} values",
            upd.shape()
        )));
    }
    let st = strides(&shape);
    let iv = ind.to_i32();
    let n: usize = shape.iter().product();
    let mut bases = Vec::with_capacity(rows);
    for r in 0..rows {
        let mut base = 0usize;
        for j in 0..k {
            let i = iv[r * k + j];
            if i < 0 || i as usize >= shape[j] {
                return Err(c.err(format!(
                    "index {i} is out of bounds for dimension {j} of size {}",
                    shape[j]
                )));
            }
            base += i as usize * st[j];
        }
        bases.push(base);
    }
    let data = match upd.data() {
        Data::F32(u) => {
            let mut v = vec![0.0f32; n];
            for (r, &b) in bases.iter().enumerate() {
                for i in 0..inner {
                    v[b + i] += u[r * inner + i];
                }
            }
            Data::F32(v)
        }
        d => {
            let u = d.to_i32();
            let mut v = vec![0i32; n];
            for (r, &b) in bases.iter().enumerate() {
                for i in 0..inner {
                    v[b + i] = v[b + i].wrapping_add(u[r * inner + i]);
                }
            }
            Data::I32(v)
        }
    };
    one(Tensor::new(shape, data)?)
}

/// Concatenate along `axis` (tensors already checked to agree elsewhere).
pub fn concat_tensors(c: &Ctx, ts: &[&Tensor], axis: i64) -> Result<Tensor> {
    let first = ts.first().ok_or_else(|| c.err("nothing to concatenate"))?;
    let r = first.rank();
    let axis = c.axis(axis, r)?;
    let dtype = if ts.iter().any(|t| t.dtype() == crate::tensor::DType::F32) {
        crate::tensor::DType::F32
    } else {
        first.dtype()
    };
    let mut out_shape = first.shape().to_vec();
    out_shape[axis] = 0;
    for t in ts {
        let ok = t.rank() == r
            && t.shape()
                .iter()
                .enumerate()
                .all(|(i, &d)| i == axis || d == first.shape()[i]);
        if !ok {
            return Err(c.err(format!(
                "cannot concatenate shapes {:?} and {:?} along axis {axis}",
                first.shape(),
                t.shape()
            )));
        }
        out_shape[axis] += t.shape()[axis];
    }
    let outer: usize = out_shape[..axis].iter().product();
    let inner: usize = out_shape[axis + 1..].iter().product();
    // All sources back to back, then one gather picking each source's rows.
    let datas: Vec<&Data> = ts.iter().map(|t| t.data()).collect();
    let all = Data::concat(&datas, dtype);
    let mut starts = Vec::with_capacity(ts.len());
    let mut at = 0;
    for t in ts {
        starts.push(at);
        at += t.len();
    }
    let mut idx = Vec::with_capacity(all.len());
    for o in 0..outer {
        for (k, t) in ts.iter().enumerate() {
            let w = t.shape()[axis] * inner;
            idx.extend(starts[k] + o * w..starts[k] + (o + 1) * w);
        }
    }
    let data = all.take(&idx);
    Tensor::new(out_shape, data)
}

fn concat_v2(c: &Ctx) -> Result<Vec<Value>> {
    let n = c.n();
    if n < 2 {
        return Err(c.err("needs at least one tensor and the axis"));
    }
    let axis = c.int(n - 1)?;
    let ts = (0..n - 1).map(|i| c.t(i)).collect::<Result<Vec<_>>>()?;
    one(concat_tensors(c, &ts, axis)?)
}

fn concat_v1(c: &Ctx) -> Result<Vec<Value>> {
    let axis = c.int(0)?;
    let ts = (1..c.n()).map(|i| c.t(i)).collect::<Result<Vec<_>>>()?;
    one(concat_tensors(c, &ts, axis)?)
}

fn pack(c: &Ctx) -> Result<Vec<Value>> {
    let ts = (0..c.n()).map(|i| c.t(i)).collect::<Result<Vec<_>>>()?;
    let first = ts.first().ok_or_else(|| c.err("nothing to pack"))?;
    let r = first.rank() as i64;
    let a = c.attr_i("axis", 0);
    let a = if a < 0 { a + r + 1 } else { a };
    if a < 0 || a > r {
        return Err(c.err(format!("axis {a} is out of range for rank {}", r + 1)));
    }
    let expanded = ts
        .iter()
        .map(|t| {
            if t.shape() != first.shape() {
                return Err(c.err(format!(
                    "cannot pack shapes {:?} and {:?}",
                    first.shape(),
                    t.shape()
                )));
            }
            let mut s = t.shape().to_vec();
            s.insert(a as usize, 1);
            (*t).clone().reshape(s)
        })
        .collect::<Result<Vec<Tensor>>>()?;
    let refs: Vec<&Tensor> = expanded.iter().collect();
    one(concat_tensors(c, &refs, a)?)
}

/// Slice `t` by `begin`/`size` per dimension.
pub fn slice_tensor(t: &Tensor, begin: &[usize], size: &[usize]) -> Result<Tensor> {
    let str_in = strides(t.shape());
    let n: usize = size.iter().product();
    let r = size.len();
    let mut idx = Vec::with_capacity(n);
    let mut counter = vec![0usize; r];
    for _ in 0..n {
        idx.push((0..r).map(|d| (begin[d] + counter[d]) * str_in[d]).sum());
        advance(&mut counter, size);
    }
    Tensor::new(size.to_vec(), t.data().take(&idx))
}

fn split_along(c: &Ctx, t: &Tensor, axis: usize, sizes: &[usize]) -> Result<Vec<Value>> {
    let mut begin = vec![0; t.rank()];
    let mut out = Vec::with_capacity(sizes.len());
    for &s in sizes {
        let mut size = t.shape().to_vec();
        size[axis] = s;
        out.push(Value::t(
            slice_tensor(t, &begin, &size).map_err(|e| c.wrap(e))?,
        ));
        begin[axis] += s;
    }
    Ok(out)
}

fn unpack(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let axis = c.axis(c.attr_i("axis", 0), t.rank())?;
    let n = t.shape()[axis];
    let mut s = t.shape().to_vec();
    s.remove(axis);
    split_along(c, t, axis, &vec![1; n])?
        .into_iter()
        .map(|v| match v {
            Value::Tensor(x) => Ok(Value::t((*x).clone().reshape(s.clone())?)),
            other => Ok(other),
        })
        .collect()
}

fn split(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(1)?;
    let axis = c.axis(c.int(0)?, t.rank())?;
    let k = c.attr_i("num_split", 1).max(1) as usize;
    let d = t.shape()[axis];
    if d % k != 0 {
        return Err(c.err(format!(
            "dimension {axis} of size {d} does not split into {k}"
        )));
    }
    split_along(c, t, axis, &vec![d / k; k])
}

fn split_v(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let axis = c.axis(c.int(2)?, t.rank())?;
    let d = t.shape()[axis] as i64;
    let mut sizes = c.ints(1)?;
    let known: i64 = sizes.iter().filter(|&&s| s >= 0).sum();
    if let Some(u) = sizes.iter().position(|&s| s == -1) {
        sizes[u] = d - known;
    }
    if sizes.iter().any(|&s| s < 0) || sizes.iter().sum::<i64>() != d {
        return Err(c.err(format!(
            "sizes {sizes:?} do not add up to dimension {axis} of size {d}"
        )));
    }
    let sizes: Vec<usize> = sizes.iter().map(|&s| s as usize).collect();
    split_along(c, t, axis, &sizes)
}

fn slice(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let begin = c.ints(1)?;
    let size = c.ints(2)?;
    let r = t.rank();
    if begin.len() != r || size.len() != r {
        return Err(c.err(format!(
            "begin {begin:?} and size {size:?} must have rank {r} entries"
        )));
    }
    let mut b = Vec::with_capacity(r);
    let mut s = Vec::with_capacity(r);
    for d in 0..r {
        let dim = t.shape()[d] as i64;
        let sz = if size[d] == -1 {
            dim - begin[d]
        } else {
            size[d]
        };
        if begin[d] < 0 || sz < 0 || begin[d] + sz > dim {
            return Err(c.err(format!(
                "slice begin {begin:?} size {size:?} is out of bounds for {:?}",
                t.shape()
            )));
        }
        b.push(begin[d] as usize);
        s.push(sz as usize);
    }
    one(slice_tensor(t, &b, &s)?)
}

/// The resolved form of a StridedSlice: for each input dimension a start,
/// step and count, plus the output shape (with new axes, without shrunk ones).
#[derive(Debug, PartialEq)]
pub struct StridedSpec {
    /// Per input dimension: (start, step, count).
    pub dims: Vec<(i64, i64, usize)>,
    /// The final output shape.
    pub out_shape: Vec<usize>,
}

/// TensorFlow's StridedSlice semantics (`ValidateStridedSliceOp`).
#[allow(clippy::too_many_arguments)]
pub fn strided_spec(
    shape: &[usize],
    begin: &[i64],
    end: &[i64],
    stride: &[i64],
    begin_mask: i64,
    end_mask: i64,
    ellipsis_mask: i64,
    new_axis_mask: i64,
    shrink_mask: i64,
) -> std::result::Result<StridedSpec, String> {
    let sparse = begin.len();
    if end.len() != sparse || stride.len() != sparse {
        return Err(format!(
            "begin {begin:?}, end {end:?} and strides {stride:?} must have the same length"
        ));
    }
    let bit = |m: i64, i: usize| i < 63 && (m >> i) & 1 == 1;
    let rank = shape.len();
    // Dense spec: for each input dim, (begin, end, stride, begin_masked, end_masked, shrink).
    #[derive(Clone, Copy)]
    struct D {
        b: i64,
        e: i64,
        s: i64,
        bm: bool,
        em: bool,
        shrink: bool,
    }
    let full = D {
        b: 0,
        e: 0,
        s: 1,
        bm: true,
        em: true,
        shrink: false,
    };
    // Final shape recipe: Some(dense dim) or None for a new axis.
    let mut recipe: Vec<Option<usize>> = Vec::new();
    let mut dense: Vec<D> = Vec::with_capacity(rank);
    let has_ellipsis = (0..sparse).any(|i| bit(ellipsis_mask, i));
    let mut seen_ellipsis = false;
    for i in 0..sparse {
        if bit(ellipsis_mask, i) {
            if seen_ellipsis {
                return Err("more than one ellipsis".into());
            }
            seen_ellipsis = true;
            // Dims after the ellipsis that consume input dims.
            let after = (i + 1..sparse).filter(|&j| !bit(new_axis_mask, j)).count();
            let fill_to = rank.checked_sub(after).ok_or("too many slice dimensions")?;
            while dense.len() < fill_to {
                recipe.push(Some(dense.len()));
                dense.push(full);
            }
        } else if bit(new_axis_mask, i) {
            recipe.push(None);
        } else {
            if dense.len() >= rank {
                return Err(format!("slice has more dimensions than the input's {rank}"));
            }
            let sh = bit(shrink_mask, i);
            if !sh {
                recipe.push(Some(dense.len()));
            }
            dense.push(D {
                b: begin[i],
                e: end[i],
                s: stride[i],
                bm: bit(begin_mask, i),
                em: bit(end_mask, i),
                shrink: sh,
            });
        }
    }
    if !has_ellipsis {
        while dense.len() < rank {
            recipe.push(Some(dense.len()));
            dense.push(full);
        }
    }
    let mut dims = Vec::with_capacity(rank);
    for (k, d) in dense.iter().enumerate() {
        let n = shape[k] as i64;
        if d.s == 0 {
            return Err("stride must not be 0".into());
        }
        if d.shrink {
            let i = if d.b < 0 { d.b + n } else { d.b };
            if i < 0 || i >= n {
                return Err(format!(
                    "index {} is out of bounds for dimension {k} of size {n}",
                    d.b
                ));
            }
            dims.push((i, 1, 1));
            continue;
        }
        let (lo, hi) = if d.s > 0 { (0, n) } else { (-1, n - 1) };
        let canon = |x: i64, masked: bool, is_begin: bool| -> i64 {
            if masked {
                if (d.s > 0) == is_begin {
                    lo
                } else {
                    hi
                }
            } else {
                let x = if x < 0 { x + n } else { x };
                x.clamp(lo, hi)
            }
        };
        let b = canon(d.b, d.bm, true);
        let e = canon(d.e, d.em, false);
        let count = if d.s > 0 {
            if e > b {
                (e - b + d.s - 1) / d.s
            } else {
                0
            }
        } else if b > e {
            (b - e + (-d.s) - 1) / (-d.s)
        } else {
            0
        };
        dims.push((b, d.s, count as usize));
    }
    let out_shape = recipe.iter().map(|r| r.map_or(1, |k| dims[k].2)).collect();
    Ok(StridedSpec { dims, out_shape })
}

fn strided_slice(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let spec = strided_spec(
        t.shape(),
        &c.ints(1)?,
        &c.ints(2)?,
        &c.ints(3)?,
        c.attr_i("begin_mask", 0),
        c.attr_i("end_mask", 0),
        c.attr_i("ellipsis_mask", 0),
        c.attr_i("new_axis_mask", 0),
        c.attr_i("shrink_axis_mask", 0),
    )
    .map_err(|m| c.err(m))?;
    let str_in = strides(t.shape());
    let counts: Vec<usize> = spec.dims.iter().map(|d| d.2).collect();
    let n: usize = counts.iter().product();
    let r = counts.len();
    let mut idx = Vec::with_capacity(n);
    let mut counter = vec![0usize; r];
    for _ in 0..n {
        let mut off = 0i64;
        for d in 0..r {
            off += (spec.dims[d].0 + counter[d] as i64 * spec.dims[d].1) * str_in[d] as i64;
        }
        idx.push(off as usize);
        advance(&mut counter, &counts);
    }
    one(Tensor::new(spec.out_shape, t.data().take(&idx))?)
}

fn gather(c: &Ctx) -> Result<Vec<Value>> {
    let p = c.t(0)?;
    let ind = c.t(1)?;
    let axis = if c.n() > 2 { c.int(2)? } else { 0 };
    let axis = c.axis(axis, p.rank())?;
    if c.attr_i("batch_dims", 0) != 0 {
        return Err(c.err("batch_dims other than 0 is not supported"));
    }
    let dim = p.shape()[axis];
    let outer: usize = p.shape()[..axis].iter().product();
    let inner: usize = p.shape()[axis + 1..].iter().product();
    let iv = ind.to_i32();
    let mut idx = Vec::with_capacity(outer * iv.len() * inner);
    for o in 0..outer {
        for &i in &iv {
            if i < 0 || i as usize >= dim {
                return Err(c.err(format!(
                    "index {i} is out of bounds for dimension {axis} of size {dim}"
                )));
            }
            let base = (o * dim + i as usize) * inner;
            idx.extend(base..base + inner);
        }
    }
    let mut shape = p.shape()[..axis].to_vec();
    shape.extend_from_slice(ind.shape());
    shape.extend_from_slice(&p.shape()[axis + 1..]);
    one(Tensor::new(shape, p.data().take(&idx))?)
}

fn gather_nd(c: &Ctx) -> Result<Vec<Value>> {
    let p = c.t(0)?;
    let ind = c.t(1)?;
    let k = c.last_dim(ind, "indices")?;
    if k > p.rank() {
        return Err(c.err(format!("index depth {k} exceeds params rank {}", p.rank())));
    }
    let inner: usize = p.shape()[k..].iter().product();
    let ps = strides(p.shape());
    let iv = ind.to_i32();
    let rows: usize = ind.shape()[..ind.rank() - 1].iter().product();
    let mut idx = Vec::with_capacity(rows * inner);
    for r in 0..rows {
        let mut base = 0usize;
        for j in 0..k {
            let i = iv[r * k + j];
            if i < 0 || i as usize >= p.shape()[j] {
                return Err(c.err(format!(
                    "index {i} is out of bounds for dimension {j} of size {}",
                    p.shape()[j]
                )));
            }
            base += i as usize * ps[j];
        }
        idx.extend(base..base + inner);
    }
    let mut shape = ind.shape()[..ind.rank() - 1].to_vec();
    shape.extend_from_slice(&p.shape()[k..]);
    one(Tensor::new(shape, p.data().take(&idx))?)
}

fn tile(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let reps = c.ints(1)?;
    if reps.len() != t.rank() || reps.iter().any(|&r| r < 0) {
        return Err(c.err(format!(
            "multiples {reps:?} must be {} non-negative values",
            t.rank()
        )));
    }
    let out: Option<Vec<usize>> = t
        .shape()
        .iter()
        .zip(&reps)
        .map(|(&d, &r)| d.checked_mul(usize::try_from(r).ok()?))
        .collect();
    let Some(out) = out.filter(|o| crate::tensor::num_elements(o).is_some_and(fits)) else {
        return Err(c.err(format!("multiples {reps:?} make the tiled shape too large")));
    };
    let n: usize = out.iter().product();
    let si = strides(t.shape());
    let r = out.len();
    let mut idx = Vec::with_capacity(n);
    let mut counter = vec![0usize; r];
    for _ in 0..n {
        idx.push((0..r).map(|d| (counter[d] % t.shape()[d]) * si[d]).sum());
        advance(&mut counter, &out);
    }
    one(Tensor::new(out, t.data().take(&idx))?)
}

fn reverse(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let axes = c
        .ints(1)?
        .iter()
        .map(|&a| c.axis(a, t.rank()))
        .collect::<Result<Vec<usize>>>()?;
    let si = strides(t.shape());
    let shape = t.shape();
    let r = shape.len();
    let n = t.len();
    let mut idx = Vec::with_capacity(n);
    let mut counter = vec![0usize; r];
    for _ in 0..n {
        idx.push(
            (0..r)
                .map(|d| {
                    let i = if axes.contains(&d) {
                        shape[d] - 1 - counter[d]
                    } else {
                        counter[d]
                    };
                    i * si[d]
                })
                .sum(),
        );
        advance(&mut counter, shape);
    }
    one(Tensor::new(shape.to_vec(), t.data().take(&idx))?)
}

fn one_hot(c: &Ctx) -> Result<Vec<Value>> {
    let ind = c.t(0)?;
    let depth = c.int(1)?;
    if !(0..=MAX_ELEMENTS as i64).contains(&depth) {
        return Err(c.err(format!("depth {depth} is out of range")));
    }
    let depth = depth as usize;
    let on = c.t(2)?.to_f32().first().copied().unwrap_or(1.0);
    let off = c.t(3)?.to_f32().first().copied().unwrap_or(0.0);
    if c.attr_i("axis", -1) != -1 {
        return Err(c.err("only axis -1 is supported"));
    }
    let iv = ind.to_i32();
    if iv.len().checked_mul(depth).is_none_or(|n| !fits(n)) {
        return Err(c.err("the one-hot result is too large"));
    }
    let mut v = vec![off; iv.len() * depth];
    for (r, &i) in iv.iter().enumerate() {
        if i >= 0 && (i as usize) < depth {
            v[r * depth + i as usize] = on;
        }
    }
    let mut shape = ind.shape().to_vec();
    shape.push(depth);
    let t = Tensor::f32(shape, v)?;
    let dtype = c.attr_dtype("T").unwrap_or(crate::tensor::DType::F32);
    one(t.cast(dtype))
}

#[cfg(test)]
mod tests {
    use super::strided_spec;
    use crate::ops::testing::{run, run1};
    use crate::tensor::Tensor;

    fn iota(shape: Vec<usize>) -> Tensor {
        let n = shape.iter().product::<usize>();
        Tensor::i32(shape, (0..n as i32).collect()).unwrap()
    }

    #[test]
    fn strided_slice_masks() {
        let t = iota(vec![3, 4]);
        let v = |x: Vec<i32>| Tensor::vec_i32(x);
        let attrs = |b: i64, e: i64, el: i64, na: i64, sh: i64| {
            format!(
                r#"{{"begin_mask": {{"i": "{b}"}}, "end_mask": {{"i": "{e}"}}, "ellipsis_mask": {{"i": "{el}"}}, "new_axis_mask": {{"i": "{na}"}}, "shrink_axis_mask": {{"i": "{sh}"}}}}"#
            )
        };
        // x[1:, ::2]
        let r = run1(
            "StridedSlice",
            &[t.clone(), v(vec![1, 0]), v(vec![0, 0]), v(vec![1, 2])],
            &attrs(0, 3, 0, 0, 0),
        );
        assert_eq!(r.shape(), &[2, 2]);
        assert_eq!(r.to_i32(), vec![4, 6, 8, 10]);
        // x[-1] (shrink)
        let r = run1(
            "StridedSlice",
            &[t.clone(), v(vec![-1]), v(vec![0]), v(vec![1])],
            &attrs(0, 0, 0, 0, 1),
        );
        assert_eq!(r.shape(), &[4]);
        assert_eq!(r.to_i32(), vec![8, 9, 10, 11]);
        // x[..., ::-1] (ellipsis, negative stride)
        let r = run1(
            "StridedSlice",
            &[t.clone(), v(vec![0, 0]), v(vec![0, 0]), v(vec![1, -1])],
            &attrs(2, 2, 1, 0, 0),
        );
        assert_eq!(r.to_i32()[..4], [3, 2, 1, 0]);
        // x[None, :, 1] (new axis + shrink)
        let r = run1(
            "StridedSlice",
            &[
                t.clone(),
                v(vec![0, 0, 1]),
                v(vec![0, 0, 2]),
                v(vec![1, 1, 1]),
            ],
            &attrs(2, 2, 0, 1, 4),
        );
        assert_eq!(r.shape(), &[1, 3]);
        assert_eq!(r.to_i32(), vec![1, 5, 9]);
        // out of range end clamps
        let s = strided_spec(&[5], &[2], &[100], &[1], 0, 0, 0, 0, 0).unwrap();
        assert_eq!(s.out_shape, vec![3]);
    }

    #[test]
    fn join_split_gather() {
        let a = iota(vec![2, 2]);
        let b = iota(vec![2, 1]);
        let c = run1("ConcatV2", &[a.clone(), b, Tensor::scalar_i32(1)], "{}");
        assert_eq!(c.to_i32(), vec![0, 1, 0, 2, 3, 1]);
        let p = run1("Pack", &[a.clone(), a.clone()], r#"{"axis": {"i": "1"}}"#);
        assert_eq!(p.shape(), &[2, 2, 2]);
        assert_eq!(p.to_i32(), vec![0, 1, 0, 1, 2, 3, 2, 3]);
        let u = run(
            "Unpack",
            std::slice::from_ref(&a),
            r#"{"axis": {"i": "1"}, "num": {"i": "2"}}"#,
        );
        assert_eq!(u.len(), 2);
        let s = run(
            "Split",
            &[Tensor::scalar_i32(0), iota(vec![4, 1])],
            r#"{"num_split": {"i": "2"}}"#,
        );
        assert_eq!(s.len(), 2);
        let g = run1(
            "GatherV2",
            &[
                iota(vec![3, 2]),
                Tensor::vec_i32(vec![2, 0]),
                Tensor::scalar_i32(0),
            ],
            "{}",
        );
        assert_eq!(g.to_i32(), vec![4, 5, 0, 1]);
        let g = run1(
            "GatherNd",
            &[
                iota(vec![2, 3]),
                Tensor::i32(vec![2, 2], vec![1, 2, 0, 1]).unwrap(),
            ],
            "{}",
        );
        assert_eq!(g.to_i32(), vec![5, 1]);
        let t = run1(
            "Tile",
            &[Tensor::vec_i32(vec![1, 2]), Tensor::vec_i32(vec![2])],
            "{}",
        );
        assert_eq!(t.to_i32(), vec![1, 2, 1, 2]);
        let sl = run1(
            "Slice",
            &[
                iota(vec![3, 3]),
                Tensor::vec_i32(vec![1, 1]),
                Tensor::vec_i32(vec![-1, 1]),
            ],
            "{}",
        );
        assert_eq!(sl.to_i32(), vec![4, 7]);
        let sc = run1(
            "ScatterNd",
            &[
                Tensor::i32(vec![2, 1], vec![2, 0]).unwrap(),
                Tensor::f32(vec![2], vec![5.0, 7.0]).unwrap(),
                Tensor::vec_i32(vec![4]),
            ],
            "{}",
        );
        assert_eq!(sc.to_f32(), vec![7.0, 0.0, 5.0, 0.0]);
        // rank-0 operands get an error naming the node, not a panic
        assert!(crate::ops::testing::try_run("Unpack", &[Tensor::scalar_i32(1)], "{}").is_err());
        assert!(crate::ops::testing::try_run(
            "ConcatV2",
            &[
                Tensor::scalar_i32(1),
                Tensor::scalar_i32(2),
                Tensor::scalar_i32(0)
            ],
            "{}"
        )
        .is_err());
        let r = run1(
            "ReverseV2",
            &[iota(vec![2, 2]), Tensor::vec_i32(vec![1])],
            "{}",
        );
        assert_eq!(r.to_i32(), vec![1, 0, 3, 2]);
    }
}

//! Shape and dtype ops: Reshape, Squeeze, ExpandDims, Transpose, Shape, Cast,
//! BroadcastTo, Pad/MirrorPad, Fill, Range, DepthToSpace/SpaceToDepth and the
//! identity family.

use super::{advance, broadcast_index, broadcast_shape, one, Ctx, OpFn, Value};
use crate::tensor::{num_elements, strides, DType, Data, Tensor};
use crate::Result;

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("Identity", identity),
    ("StopGradient", identity),
    ("Snapshot", identity),
    ("PlaceholderWithDefault", identity),
    ("EnsureShape", identity),
    ("IdentityN", identity_n),
    ("NoOp", |_| Ok(vec![])),
    ("Reshape", reshape),
    ("Squeeze", squeeze),
    ("ExpandDims", expand_dims),
    ("Transpose", transpose),
    ("Shape", shape),
    ("ShapeN", shape_n),
    ("Size", size),
    ("Rank", rank),
    ("Cast", cast),
    ("BroadcastTo", broadcast_to),
    ("Pad", pad),
    ("PadV2", pad),
    ("MirrorPad", mirror_pad),
    ("Fill", fill),
    ("ZerosLike", |c| like(c, 0.0)),
    ("OnesLike", |c| like(c, 1.0)),
    ("Range", range),
    ("LinSpace", lin_space),
    ("BroadcastArgs", broadcast_args),
    ("DepthToSpace", depth_to_space),
    ("SpaceToDepth", space_to_depth),
];

fn identity(c: &Ctx) -> Result<Vec<Value>> {
    Ok(vec![c
        .inputs
        .first()
        .cloned()
        .ok_or_else(|| c.err("needs one input"))?])
}

fn identity_n(c: &Ctx) -> Result<Vec<Value>> {
    Ok(c.inputs.to_vec())
}

/// Largest element count any op may create (guards against allocations
/// sized by untrusted shape tensors).
pub const MAX_ELEMENTS: usize = 1 << 30;

/// Sizes of at least this many elements are also checked against the
/// memory this process can still allocate.
const LARGE_ELEMENTS: usize = 1 << 24;

/// Whether an op may create a tensor of `n` elements (4 bytes each at
/// most for the dtypes ops create): at most [`MAX_ELEMENTS`], and a large
/// one only when the host (its cgroup, `RLIMIT_AS`) can still serve it
/// with room to spare. Past that the allocation would abort the process.
pub fn fits(n: usize) -> bool {
    if n > MAX_ELEMENTS {
        return false;
    }
    if n < LARGE_ELEMENTS {
        return true;
    }
    let bytes = (n as u64).saturating_mul(4);
    tfjs_layers::model::allocatable_bytes()
        .is_none_or(|room| bytes.saturating_add(128 << 20) <= room)
}

/// Dimensions from an int tensor, `-1` resolved against `total` elements.
pub fn resolve_shape(c: &Ctx, dims: &[i64], total: usize) -> Result<Vec<usize>> {
    let mut unknown = None;
    let mut known = 1usize;
    let mut out = Vec::with_capacity(dims.len());
    for (i, &d) in dims.iter().enumerate() {
        if d == -1 {
            if unknown.replace(i).is_some() {
                return Err(c.err(format!("shape {dims:?} has more than one -1")));
            }
            out.push(1);
        } else if d < 0 {
            return Err(c.err(format!("shape {dims:?} has a negative dimension")));
        } else {
            known = known
                .checked_mul(d as usize)
                .filter(|&k| k <= MAX_ELEMENTS)
                .ok_or_else(|| c.err(format!("shape {dims:?} is too large")))?;
            out.push(d as usize);
        }
    }
    if let Some(i) = unknown {
        if known == 0 || total % known != 0 {
            return Err(c.err(format!("cannot reshape {total} elements to {dims:?}")));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(c.err(format!("cannot reshape {total} elements to {dims:?}")));
    }
    Ok(out)
}

fn reshape(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let s = resolve_shape(c, &c.ints(1)?, t.len())?;
    one(t.clone().reshape(s)?)
}

fn squeeze(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let dims = c
        .node
        .attr_list_i("squeeze_dims")
        .or_else(|| c.node.attr_list_i("axis"))
        .unwrap_or_default();
    let r = t.rank();
    let axes = dims
        .iter()
        .map(|&a| c.axis(a, r))
        .collect::<Result<Vec<usize>>>()?;
    let mut out = Vec::new();
    for (i, &d) in t.shape().iter().enumerate() {
        if axes.is_empty() {
            if d != 1 {
                out.push(d);
            }
        } else if axes.contains(&i) {
            if d != 1 {
                return Err(c.err(format!("cannot squeeze dimension {i} of size {d}")));
            }
        } else {
            out.push(d);
        }
    }
    one(t.clone().reshape(out)?)
}

fn expand_dims(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let r = t.rank() as i64;
    let a = c.int(1)?;
    let a = if a < 0 { a + r + 1 } else { a };
    if a < 0 || a > r {
        return Err(c.err(format!("axis {} is out of range for rank {r}", c.int(1)?)));
    }
    let mut s = t.shape().to_vec();
    s.insert(a as usize, 1);
    one(t.clone().reshape(s)?)
}

/// Source index of every element of `shape` permuted by `perm`.
pub fn transpose_index(shape: &[usize], perm: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let in_str = strides(shape);
    let str_perm: Vec<usize> = perm.iter().map(|&p| in_str[p]).collect();
    let idx = super::strided_offsets(&out_shape, &str_perm);
    (out_shape, idx)
}

/// Transpose `t` by `perm`.
pub fn transpose_tensor(t: &Tensor, perm: &[usize]) -> Result<Tensor> {
    let (s, idx) = transpose_index(t.shape(), perm);
    Tensor::new(s, t.data().take(&idx))
}

fn transpose(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let r = t.rank();
    let perm = if c.n() > 1 {
        c.ints(1)?
    } else {
        (0..r as i64).rev().collect()
    };
    let perm = perm
        .iter()
        .map(|&p| c.axis(p, r))
        .collect::<Result<Vec<usize>>>()?;
    let mut seen = vec![false; r];
    if perm.len() != r || perm.iter().any(|&p| std::mem::replace(&mut seen[p], true)) {
        return Err(c.err(format!("perm {perm:?} is not a permutation of rank {r}")));
    }
    one(transpose_tensor(t, &perm)?)
}

fn shape_of(t: &Tensor) -> Tensor {
    Tensor::vec_i32(t.shape().iter().map(|&d| d as i32).collect())
}

fn shape(c: &Ctx) -> Result<Vec<Value>> {
    one(shape_of(c.t(0)?))
}

fn shape_n(c: &Ctx) -> Result<Vec<Value>> {
    (0..c.n())
        .map(|i| Ok(Value::t(shape_of(c.t(i)?))))
        .collect()
}

fn size(c: &Ctx) -> Result<Vec<Value>> {
    one(Tensor::scalar_i32(c.t(0)?.len() as i32))
}

fn rank(c: &Ctx) -> Result<Vec<Value>> {
    one(Tensor::scalar_i32(c.t(0)?.rank() as i32))
}

fn cast(c: &Ctx) -> Result<Vec<Value>> {
    let to = c.attr_dtype("DstT")?;
    one(c.t(0)?.clone().cast(to))
}

/// Broadcast `t` to `shape`.
pub fn broadcast_tensor(c: &Ctx, t: &Tensor, shape: &[usize]) -> Result<Tensor> {
    match broadcast_shape(t.shape(), shape) {
        Some(s) if s == shape => {}
        _ => return Err(c.err(format!("cannot broadcast {:?} to {shape:?}", t.shape()))),
    }
    if t.shape() == shape {
        return Ok(t.clone());
    }
    let idx = broadcast_index(t.shape(), shape);
    Tensor::new(shape.to_vec(), t.data().take(&idx))
}

fn broadcast_to(c: &Ctx) -> Result<Vec<Value>> {
    let dims = c.ints(1)?;
    let s = dims_to_shape(c, &dims)?;
    one(broadcast_tensor(c, c.t(0)?, &s)?)
}

/// Non-negative dimensions with a bounded product.
pub fn dims_to_shape(c: &Ctx, dims: &[i64]) -> Result<Vec<usize>> {
    let s: Vec<usize> = dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| c.err(format!("negative dimension in {dims:?}"))))
        .collect::<Result<_>>()?;
    match num_elements(&s) {
        Some(n) if fits(n) => Ok(s),
        _ => Err(c.err(format!("shape {dims:?} is too large"))),
    }
}

fn paddings(c: &Ctx, rank: usize) -> Result<Vec<(usize, usize)>> {
    let p = c.ints(1)?;
    if p.len() != rank * 2 {
        return Err(c.err(format!(
            "paddings have {} values, rank {rank} needs {}",
            p.len(),
            rank * 2
        )));
    }
    p.chunks(2)
        .map(|w| {
            if w[0] < 0 || w[1] < 0 {
                Err(c.err(format!("negative padding {w:?}")))
            } else {
                Ok((w[0] as usize, w[1] as usize))
            }
        })
        .collect()
}

/// Source index (or `None` for padding) of each output element.
fn pad_index(
    shape: &[usize],
    pads: &[(usize, usize)],
    map: impl Fn(usize, isize) -> Option<usize>,
) -> (Vec<usize>, Vec<Option<usize>>) {
    let out: Vec<usize> = shape
        .iter()
        .zip(pads)
        .map(|(&d, &(a, b))| d + a + b)
        .collect();
    let in_str = strides(shape);
    let n: usize = out.iter().product();
    let r = out.len();
    let mut idx = Vec::with_capacity(n);
    let mut counter = vec![0usize; r];
    for _ in 0..n {
        let mut src = Some(0usize);
        for d in 0..r {
            let i = counter[d] as isize - pads[d].0 as isize;
            src = match (src, map(d, i)) {
                (Some(s), Some(k)) => Some(s + k * in_str[d]),
                _ => None,
            };
        }
        idx.push(src);
        advance(&mut counter, &out);
    }
    (out, idx)
}

fn pad(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let pads = paddings(c, t.rank())?;
    t.shape()
        .iter()
        .zip(&pads)
        .try_fold(1usize, |a, (&d, &(x, y))| {
            a.checked_mul(d.checked_add(x)?.checked_add(y)?)
        })
        .filter(|&n| fits(n))
        .ok_or_else(|| c.err("padded shape is too large"))?;
    let value = if c.n() > 2 {
        c.t(2)?.to_f32().first().copied().unwrap_or(0.0)
    } else {
        0.0
    };
    let shape = t.shape();
    let (out, data) = match t.data() {
        Data::F32(v) => {
            let (out, d) = pad_constant(v, shape, &pads, value);
            (out, Data::F32(d))
        }
        Data::I32(v) => {
            let (out, d) = pad_constant(v, shape, &pads, value as i32);
            (out, Data::I32(d))
        }
        Data::Bool(v) => {
            let (out, d) = pad_constant(v, shape, &pads, false);
            (out, Data::Bool(d))
        }
    };
    one(Tensor::new(out, data)?)
}

/// Constant padding: the output is filled with `fill`, then each innermost
/// row of the input is copied to its place in one slice copy (the padded
/// shapes are checked against the element cap by the caller).
fn pad_constant<T: Copy>(
    v: &[T],
    shape: &[usize],
    pads: &[(usize, usize)],
    fill: T,
) -> (Vec<usize>, Vec<T>) {
    let out: Vec<usize> = shape
        .iter()
        .zip(pads)
        .map(|(&d, &(a, b))| d + a + b)
        .collect();
    let Some((&inner, outer)) = shape.split_last() else {
        return (out, v.to_vec());
    };
    let mut data = vec![fill; out.iter().product()];
    if v.is_empty() {
        return (out, data);
    }
    let out_str = strides(&out);
    let mut counter = vec![0usize; outer.len()];
    for row in v.chunks_exact(inner) {
        let off = pads[outer.len()].0
            + counter
                .iter()
                .zip(pads)
                .zip(&out_str)
                .map(|((&i, &(before, _)), &s)| (i + before) * s)
                .sum::<usize>();
        data[off..off + inner].copy_from_slice(row);
        advance(&mut counter, outer);
    }
    (out, data)
}

fn mirror_pad(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let pads = paddings(c, t.rank())?;
    let mode = c.attr_s("mode")?.to_ascii_lowercase();
    let offset = match mode.as_str() {
        "reflect" => 1isize,
        "symmetric" => 0,
        other => return Err(c.err(format!("unknown mode {other:?}"))),
    };
    let shape = t.shape().to_vec();
    for (d, &(a, b)) in pads.iter().enumerate() {
        if a as isize > shape[d] as isize - offset || b as isize > shape[d] as isize - offset {
            return Err(c.err(format!(
                "padding {:?} is too large for dimension {d} of size {}",
                (a, b),
                shape[d]
            )));
        }
    }
    let (out, idx) = pad_index(&shape, &pads, |d, i| {
        let n = shape[d] as isize;
        let j = if i < 0 {
            -i - 1 + offset
        } else if i >= n {
            2 * n - i - 1 - offset
        } else {
            i
        };
        Some(j as usize)
    });
    one(Tensor::new(out, t.data().gather(&idx))?)
}

fn fill(c: &Ctx) -> Result<Vec<Value>> {
    let s = dims_to_shape(c, &c.ints(0)?)?;
    let n = s.iter().product();
    let v = c.t(1)?;
    let data = match v.data() {
        Data::F32(x) => Data::F32(vec![x.first().copied().unwrap_or(0.0); n]),
        Data::I32(x) => Data::I32(vec![x.first().copied().unwrap_or(0); n]),
        Data::Bool(x) => Data::Bool(vec![x.first().copied().unwrap_or(false); n]),
    };
    one(Tensor::new(s, data)?)
}

fn like(c: &Ctx, v: f32) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let n = t.len();
    let data = match t.dtype() {
        DType::F32 => Data::F32(vec![v; n]),
        DType::I32 => Data::I32(vec![v as i32; n]),
        DType::Bool => Data::Bool(vec![v != 0.0; n]),
    };
    one(Tensor::new(t.shape().to_vec(), data)?)
}

fn range(c: &Ctx) -> Result<Vec<Value>> {
    let (s, l, d) = (c.t(0)?, c.t(1)?, c.t(2)?);
    let float = [s, l, d].iter().any(|t| t.dtype() == DType::F32)
        || c.node.attr_type("Tidx") == Some("DT_FLOAT");
    let f = |t: &Tensor| t.to_f32().first().copied().map(f64::from);
    let (start, limit, delta) = match (f(s), f(l), f(d)) {
        (Some(a), Some(b), Some(x)) => (a, b, x),
        _ => return Err(c.err("start, limit and delta must be scalars")),
    };
    if delta == 0.0 {
        return Err(c.err("delta must not be 0"));
    }
    let n = ((limit - start) / delta).ceil().max(0.0);
    if n > MAX_ELEMENTS as f64 || !fits(n as usize) {
        return Err(c.err("range is too long"));
    }
    let n = n as usize;
    if float {
        one(Tensor::f32(
            vec![n],
            (0..n).map(|i| (start + i as f64 * delta) as f32).collect(),
        )?)
    } else {
        one(Tensor::i32(
            vec![n],
            (0..n).map(|i| (start + i as f64 * delta) as i32).collect(),
        )?)
    }
}

fn lin_space(c: &Ctx) -> Result<Vec<Value>> {
    let start = c.t(0)?.to_f32().first().copied().unwrap_or(0.0);
    let stop = c.t(1)?.to_f32().first().copied().unwrap_or(0.0);
    let num = c.int(2)?;
    if !(1..=MAX_ELEMENTS as i64).contains(&num) || !fits(num as usize) {
        return Err(c.err(format!(
            "num {num} must be positive and small enough to allocate"
        )));
    }
    let n = num as usize;
    let step = if n > 1 {
        (stop - start) / (n - 1) as f32
    } else {
        0.0
    };
    let mut v: Vec<f32> = (0..n).map(|i| start + i as f32 * step).collect();
    if n > 1 {
        v[n - 1] = stop;
    }
    one(Tensor::f32(vec![n], v)?)
}

fn broadcast_args(c: &Ctx) -> Result<Vec<Value>> {
    let a = dims_to_shape(c, &c.ints(0)?)?;
    let b = dims_to_shape(c, &c.ints(1)?)?;
    let s = broadcast_shape(&a, &b)
        .ok_or_else(|| c.err(format!("shapes {a:?} and {b:?} do not broadcast")))?;
    one(Tensor::vec_i32(s.iter().map(|&d| d as i32).collect()))
}

fn block_size(c: &Ctx, t: &Tensor) -> Result<usize> {
    let b = c.attr_i("block_size", 0);
    if b < 1 || t.rank() != 4 {
        return Err(c.err(format!(
            "needs a rank-4 NHWC input and block_size >= 1 (got {b})"
        )));
    }
    if c.node.attr_s("data_format").is_some_and(|f| f != "NHWC") {
        return Err(c.err("only data_format NHWC is supported"));
    }
    Ok(b as usize)
}

fn depth_to_space(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let b = block_size(c, t)?;
    let [n, h, w, d] = [t.shape()[0], t.shape()[1], t.shape()[2], t.shape()[3]];
    if d % (b * b) != 0 {
        return Err(c.err(format!(
            "depth {d} is not divisible by block_size² {}",
            b * b
        )));
    }
    let od = d / (b * b);
    // [n, h, w, b, b, od] -> [n, h, b, w, b, od]
    let t6 = t.clone().reshape(vec![n, h, w, b, b, od])?;
    let r = transpose_tensor(&t6, &[0, 1, 3, 2, 4, 5])?;
    one(r.reshape(vec![n, h * b, w * b, od])?)
}

fn space_to_depth(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let b = block_size(c, t)?;
    let [n, h, w, d] = [t.shape()[0], t.shape()[1], t.shape()[2], t.shape()[3]];
    if h % b != 0 || w % b != 0 {
        return Err(c.err(format!(
            "height {h} and width {w} must be divisible by block_size {b}"
        )));
    }
    let t6 = t.clone().reshape(vec![n, h / b, b, w / b, b, d])?;
    let r = transpose_tensor(&t6, &[0, 1, 3, 2, 4, 5])?;
    one(r.reshape(vec![n, h / b, w / b, b * b * d])?)
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{run1, try_run};
    use crate::tensor::Tensor;

    /// The row-copy constant pad equals the element-by-element definition
    /// (every output element is the input element its index minus the
    /// leading pad points at, or the fill) over ranks 0..=4, empty dims and
    /// pads on every side.
    #[test]
    fn constant_pad_rows_match_the_elementwise_definition() {
        let mut seed = 0x9e37_79b9u32;
        let mut next = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as usize % m
        };
        for _ in 0..300 {
            let rank = next(5);
            let shape: Vec<usize> = (0..rank).map(|_| next(4)).collect();
            let pads: Vec<(usize, usize)> = (0..rank).map(|_| (next(3), next(3))).collect();
            let n: usize = shape.iter().product();
            let v: Vec<i32> = (1..=n as i32).collect();
            let (out, got) = super::pad_constant(&v, &shape, &pads, -7);
            let (out2, idx) = super::pad_index(&shape, &pads, |d, i| {
                (i >= 0 && (i as usize) < shape[d]).then_some(i as usize)
            });
            assert_eq!(out, out2);
            let want: Vec<i32> = idx.iter().map(|i| i.map_or(-7, |i| v[i])).collect();
            assert_eq!(got, want, "shape {shape:?} pads {pads:?}");
        }
    }

    #[test]
    fn shape_ops() {
        let t = Tensor::f32(vec![2, 3], (0..6).map(|x| x as f32).collect()).unwrap();
        let r = run1("Reshape", &[t.clone(), Tensor::vec_i32(vec![3, -1])], "{}");
        assert_eq!(r.shape(), &[3, 2]);
        assert!(try_run("Reshape", &[t.clone(), Tensor::vec_i32(vec![4, -1])], "{}").is_err());
        let tr = run1("Transpose", &[t.clone(), Tensor::vec_i32(vec![1, 0])], "{}");
        assert_eq!(tr.shape(), &[3, 2]);
        assert_eq!(tr.to_f32(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        let e = run1("ExpandDims", &[t.clone(), Tensor::scalar_i32(-1)], "{}");
        assert_eq!(e.shape(), &[2, 3, 1]);
        let s = run1(
            "Squeeze",
            &[e],
            r#"{"squeeze_dims": {"list": {"i": ["2"]}}}"#,
        );
        assert_eq!(s.shape(), &[2, 3]);
        assert_eq!(
            run1("Shape", std::slice::from_ref(&t), "{}").to_i32(),
            vec![2, 3]
        );
        let c = run1(
            "Cast",
            &[Tensor::f32(vec![2], vec![1.7, -1.7]).unwrap()],
            r#"{"DstT": {"type": "DT_INT32"}}"#,
        );
        assert_eq!(c.to_i32(), vec![1, -1]);
        let p = run1(
            "Pad",
            &[
                Tensor::f32(vec![2], vec![1.0, 2.0]).unwrap(),
                Tensor::i32(vec![1, 2], vec![1, 2]).unwrap(),
            ],
            "{}",
        );
        assert_eq!(p.to_f32(), vec![0.0, 1.0, 2.0, 0.0, 0.0]);
        let m = run1(
            "MirrorPad",
            &[
                Tensor::f32(vec![3], vec![1.0, 2.0, 3.0]).unwrap(),
                Tensor::i32(vec![1, 2], vec![2, 2]).unwrap(),
            ],
            r#"{"mode": {"s": "UkVGTEVDVA=="}}"#,
        );
        assert_eq!(p.shape(), &[5]);
        assert_eq!(m.to_f32(), vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]);
        let f = run1(
            "Fill",
            &[Tensor::vec_i32(vec![2, 2]), Tensor::scalar_i32(7)],
            "{}",
        );
        assert_eq!(f.to_i32(), vec![7; 4]);
        let r = run1("Range", &[1, 8, 3].map(Tensor::scalar_i32), "{}");
        assert_eq!(r.to_i32(), vec![1, 4, 7]);
        let l = run1(
            "LinSpace",
            &[
                Tensor::scalar_f32(0.0),
                Tensor::scalar_f32(1.0),
                Tensor::scalar_i32(5),
            ],
            "{}",
        );
        assert_eq!(l.to_f32(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let ba = run1(
            "BroadcastArgs",
            &[Tensor::vec_i32(vec![2, 1]), Tensor::vec_i32(vec![3])],
            "{}",
        );
        assert_eq!(ba.to_i32(), vec![2, 3]);
        let b = run1(
            "BroadcastTo",
            &[
                Tensor::f32(vec![2, 1], vec![1.0, 2.0]).unwrap(),
                Tensor::vec_i32(vec![2, 2]),
            ],
            "{}",
        );
        assert_eq!(b.to_f32(), vec![1.0, 1.0, 2.0, 2.0]);
    }

    #[test]
    fn depth_space_round_trip() {
        let t = Tensor::f32(vec![1, 1, 1, 4], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let a = r#"{"block_size": {"i": "2"}}"#;
        let d = run1("DepthToSpace", std::slice::from_ref(&t), a);
        assert_eq!(d.shape(), &[1, 2, 2, 1]);
        assert_eq!(d.to_f32(), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(run1("SpaceToDepth", &[d], a), t);
    }
}

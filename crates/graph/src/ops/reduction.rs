//! Reductions: Sum, Mean, Max, Min, Prod, All, Any, ArgMax, ArgMin.
//!
//! Like TF.js's cpu backend, the reduced axes are moved innermost and each
//! contiguous run is folded; float sums accumulate in f64 (a JS number).

use super::transformation::transpose_tensor;
use super::{one, Ctx, OpFn, Value};
use crate::tensor::{DType, Data, Tensor};
use crate::Result;

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("Sum", |c| reduce(c, Kind::Sum)),
    ("Mean", |c| reduce(c, Kind::Mean)),
    ("Max", |c| reduce(c, Kind::Max)),
    ("Min", |c| reduce(c, Kind::Min)),
    ("Prod", |c| reduce(c, Kind::Prod)),
    ("All", |c| reduce(c, Kind::All)),
    ("Any", |c| reduce(c, Kind::Any)),
    ("ArgMax", |c| arg(c, true)),
    ("ArgMin", |c| arg(c, false)),
    ("Cumsum", |c| cumulative(c, false)),
    ("Cumprod", |c| cumulative(c, true)),
];

/// Running sum/product along an axis (`exclusive` shifts by one,
/// `reverse` runs from the end), accumulated in the input's dtype.
fn cumulative(c: &Ctx, product: bool) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let axis = c.axis(c.int(1)?, t.rank())?;
    let exclusive = c.attr_b("exclusive", false);
    let reverse = c.attr_b("reverse", false);
    let n = t.shape()[axis];
    let inner: usize = t.shape()[axis + 1..].iter().product();
    let outer: usize = t.shape()[..axis].iter().product();
    #[allow(clippy::too_many_arguments)] // the geometry, the flags and the fold
    fn run<T: Copy>(
        v: &[T],
        outer: usize,
        n: usize,
        inner: usize,
        rev: bool,
        excl: bool,
        init: T,
        f: impl Fn(T, T) -> T,
    ) -> Vec<T> {
        let mut out = vec![init; v.len()];
        for o in 0..outer {
            for i in 0..inner {
                let mut acc = init;
                for k in 0..n {
                    let k = if rev { n - 1 - k } else { k };
                    let at = (o * n + k) * inner + i;
                    if excl {
                        out[at] = acc;
                        acc = f(acc, v[at]);
                    } else {
                        acc = f(acc, v[at]);
                        out[at] = acc;
                    }
                }
            }
        }
        out
    }
    let data = match t.data() {
        Data::F32(v) => Data::F32(if product {
            run(v, outer, n, inner, reverse, exclusive, 1.0, |a, b| a * b)
        } else {
            run(v, outer, n, inner, reverse, exclusive, 0.0, |a, b| a + b)
        }),
        d => {
            let v = d.to_i32();
            // Integer scans wrap on overflow.
            let (init, f): (i32, fn(i32, i32) -> i32) = match product {
                true => (1, i32::wrapping_mul),
                false => (0, i32::wrapping_add),
            };
            Data::I32(run(&v, outer, n, inner, reverse, exclusive, init, f))
        }
    };
    one(Tensor::new(t.shape().to_vec(), data)?)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
    All,
    Any,
}

/// Move `axes` innermost: (transposed tensor, outer shape, keep-dims shape, inner size).
fn innermost(c: &Ctx, t: &Tensor, axes: &[i64]) -> Result<(Tensor, Vec<usize>, Vec<usize>, usize)> {
    let r = t.rank();
    let mut red = vec![false; r];
    for &a in axes {
        red[c.axis(a, r)?] = true;
    }
    let mut perm: Vec<usize> = (0..r).filter(|&i| !red[i]).collect();
    let outer_shape: Vec<usize> = perm.iter().map(|&i| t.shape()[i]).collect();
    perm.extend((0..r).filter(|&i| red[i]));
    let inner: usize = (0..r).filter(|&i| red[i]).map(|i| t.shape()[i]).product();
    let keep: Vec<usize> = (0..r)
        .map(|i| if red[i] { 1 } else { t.shape()[i] })
        .collect();
    let moved = if perm.iter().enumerate().all(|(i, &p)| i == p) {
        t.clone()
    } else {
        transpose_tensor(t, &perm)?
    };
    Ok((moved, outer_shape, keep, inner))
}

fn axes_of(c: &Ctx, t: &Tensor) -> Result<Vec<i64>> {
    if c.n() > 1 {
        c.ints(1)
    } else {
        Ok((0..t.rank() as i64).collect())
    }
}

fn reduce(c: &Ctx, kind: Kind) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let axes = axes_of(c, t)?;
    let (moved, outer, keep, inner) = innermost(c, t, &axes)?;
    let shape = if c.attr_b("keep_dims", false) {
        keep
    } else {
        outer
    };
    let data = match kind {
        Kind::All | Kind::Any => {
            let v = moved.data().to_bool();
            Data::Bool(
                chunks(&v, inner)
                    .map(|ch| {
                        if kind == Kind::All {
                            ch.iter().all(|&x| x)
                        } else {
                            ch.iter().any(|&x| x)
                        }
                    })
                    .collect(),
            )
        }
        _ if moved.dtype() != DType::F32 => {
            let v = moved.to_i32();
            Data::I32(
                chunks(&v, inner)
                    .map(|ch| match kind {
                        Kind::Sum => ch.iter().fold(0i32, |a, &x| a.wrapping_add(x)),
                        Kind::Mean => {
                            let s: f64 = ch.iter().map(|&x| x as f64).sum();
                            (s / ch.len().max(1) as f64) as i32
                        }
                        Kind::Max => ch.iter().copied().max().unwrap_or(i32::MIN),
                        Kind::Min => ch.iter().copied().min().unwrap_or(i32::MAX),
                        _ => ch.iter().fold(1i32, |a, &x| a.wrapping_mul(x)),
                    })
                    .collect(),
            )
        }
        _ => {
            let v = moved.to_f32();
            Data::F32(
                chunks(&v, inner)
                    .map(|ch| match kind {
                        Kind::Sum => ch.iter().map(|&x| x as f64).sum::<f64>() as f32,
                        Kind::Mean => {
                            // TF.js cpu `mean`: divide by the count, then sum.
                            let n = ch.len() as f32;
                            ch.iter().map(|&x| (x / n) as f64).sum::<f64>() as f32
                        }
                        Kind::Max => ch.iter().copied().fold(f32::NEG_INFINITY, |a, x| {
                            if x > a || x.is_nan() {
                                x
                            } else {
                                a
                            }
                        }),
                        Kind::Min => ch.iter().copied().fold(f32::INFINITY, |a, x| {
                            if x < a || x.is_nan() {
                                x
                            } else {
                                a
                            }
                        }),
                        _ => ch.iter().map(|&x| x as f64).product::<f64>() as f32,
                    })
                    .collect(),
            )
        }
    };
    one(Tensor::new(shape, data)?)
}

/// Chunks of `inner` elements; one empty chunk per output when `inner` is 0.
fn chunks<T>(v: &[T], inner: usize) -> Box<dyn Iterator<Item = &[T]> + '_> {
    if inner == 0 {
        Box::new(std::iter::empty())
    } else {
        Box::new(v.chunks(inner))
    }
}

fn arg(c: &Ctx, max: bool) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    let axis = if c.n() > 1 { c.int(1)? } else { 0 };
    let (moved, outer, _, inner) = innermost(c, t, &[axis])?;
    if inner == 0 {
        return Err(c.err("cannot take the arg-extremum of an empty dimension"));
    }
    let v = moved.to_f32();
    // First index wins ties (TF.js compares with a strict `>` / `<`).
    let idx: Vec<i32> = v
        .chunks(inner)
        .map(|ch| {
            let mut best = 0usize;
            for (j, &x) in ch.iter().enumerate().skip(1) {
                if (max && x > ch[best]) || (!max && x < ch[best]) {
                    best = j;
                }
            }
            best as i32
        })
        .collect();
    one(Tensor::i32(outer, idx)?)
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::run1;
    use crate::tensor::Tensor;

    #[test]
    fn reductions() {
        let t = Tensor::f32(vec![2, 3], vec![1.0, 5.0, 3.0, 4.0, 2.0, 6.0]).unwrap();
        let ax = |v: Vec<i32>| Tensor::vec_i32(v);
        assert_eq!(
            run1("Sum", &[t.clone(), ax(vec![1])], "{}").to_f32(),
            vec![9.0, 12.0]
        );
        let m = run1(
            "Mean",
            &[t.clone(), ax(vec![0])],
            r#"{"keep_dims": {"b": true}}"#,
        );
        assert_eq!(m.shape(), &[1, 3]);
        assert_eq!(m.to_f32(), vec![2.5, 3.5, 4.5]);
        assert_eq!(
            run1("Max", &[t.clone(), ax(vec![0, 1])], "{}").to_f32(),
            vec![6.0]
        );
        assert_eq!(
            run1("Min", &[t.clone(), ax(vec![-1])], "{}").to_f32(),
            vec![1.0, 2.0]
        );
        assert_eq!(
            run1("Prod", &[t.clone(), ax(vec![1])], "{}").to_f32(),
            vec![15.0, 48.0]
        );
        let ties = Tensor::f32(vec![4], vec![1.0, 3.0, 3.0, 0.0]).unwrap();
        assert_eq!(
            run1("ArgMax", &[ties.clone(), Tensor::scalar_i32(0)], "{}").to_i32(),
            vec![1]
        );
        assert_eq!(
            run1("ArgMin", &[t.clone(), Tensor::scalar_i32(1)], "{}").to_i32(),
            vec![0, 1]
        );
        let cs = Tensor::f32(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(
            run1("Cumsum", &[cs.clone(), Tensor::scalar_i32(0)], "{}").to_f32(),
            vec![1.0, 2.0, 4.0, 6.0]
        );
        let ex = r#"{"exclusive": {"b": true}, "reverse": {"b": true}}"#;
        assert_eq!(
            run1("Cumsum", &[cs.clone(), Tensor::scalar_i32(1)], ex).to_f32(),
            vec![2.0, 0.0, 4.0, 0.0]
        );
        assert_eq!(
            run1("Cumprod", &[cs, Tensor::scalar_i32(1)], "{}").to_f32(),
            vec![1.0, 2.0, 3.0, 12.0]
        );
        let i = Tensor::i32(vec![3], vec![1, 2, 3]).unwrap();
        assert_eq!(run1("Sum", &[i, ax(vec![0])], "{}").to_i32(), vec![6]);
    }
}

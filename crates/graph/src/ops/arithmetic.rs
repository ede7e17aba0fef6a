//! Broadcasting binary arithmetic, comparisons, logical ops and `Select`.
//!
//! Dtypes follow TF.js: two int32 operands give int32 (`RealDiv`/`Div` then
//! floor-divide, like `tf.div`), anything with a float gives float32.

use super::{broadcast_map, broadcast_shape, one, Ctx, OpFn, Value};
use crate::tensor::{DType, Data, Tensor};
use crate::Result;

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("Add", add),
    ("AddV2", add),
    ("BiasAdd", add),
    ("Sub", sub),
    ("Mul", mul),
    ("RealDiv", div),
    ("Div", div),
    ("DivNoNan", div_no_nan),
    ("FloorDiv", floor_div),
    ("FloorMod", floor_mod),
    ("Mod", floor_mod),
    ("Maximum", maximum),
    ("Minimum", minimum),
    ("Pow", pow),
    ("SquaredDifference", squared_difference),
    ("Atan2", atan2),
    ("AddN", add_n),
    ("Equal", equal),
    ("NotEqual", not_equal),
    ("Greater", greater),
    ("GreaterEqual", greater_equal),
    ("Less", less),
    ("LessEqual", less_equal),
    ("LogicalAnd", logical_and),
    ("LogicalOr", logical_or),
    ("LogicalNot", logical_not),
    ("Select", select),
    ("SelectV2", select),
];

/// Shared driver: int32 math when both operands are integral, else float32.
pub(crate) fn binary_with(
    ctx: &Ctx,
    a: &Tensor,
    b: &Tensor,
    ff: impl Fn(f32, f32) -> f32,
    fi: impl Fn(i32, i32) -> i32,
) -> Result<Tensor> {
    let bad = || {
        ctx.err(format!(
            "shapes {:?} and {:?} do not broadcast",
            a.shape(),
            b.shape()
        ))
    };
    if a.dtype() != DType::F32 && b.dtype() != DType::F32 {
        let (x, y) = (a.to_i32(), b.to_i32());
        let (s, v) = broadcast_map(&x, a.shape(), &y, b.shape(), fi).ok_or_else(bad)?;
        return Tensor::new(s, Data::I32(v));
    }
    let (xa, xb);
    let x: &[f32] = match a.as_f32() {
        Some(v) => v,
        None => {
            xa = a.to_f32();
            &xa
        }
    };
    let y: &[f32] = match b.as_f32() {
        Some(v) => v,
        None => {
            xb = b.to_f32();
            &xb
        }
    };
    let (s, v) = broadcast_map(x, a.shape(), y, b.shape(), ff).ok_or_else(bad)?;
    Tensor::new(s, Data::F32(v))
}

fn binary(
    ctx: &Ctx,
    ff: impl Fn(f32, f32) -> f32,
    fi: impl Fn(i32, i32) -> i32,
) -> Result<Vec<Value>> {
    one(binary_with(ctx, ctx.t(0)?, ctx.t(1)?, ff, fi)?)
}

fn add(c: &Ctx) -> Result<Vec<Value>> {
    binary(c, |a, b| a + b, i32::wrapping_add)
}
fn sub(c: &Ctx) -> Result<Vec<Value>> {
    binary(c, |a, b| a - b, i32::wrapping_sub)
}
fn mul(c: &Ctx) -> Result<Vec<Value>> {
    binary(c, |a, b| a * b, i32::wrapping_mul)
}

/// `Math.floor(a / b)` stored into an Int32Array (±Infinity and NaN → 0).
pub(crate) fn int_floor_div(a: i32, b: i32) -> i32 {
    if b == 0 {
        return 0;
    }
    (a as f64 / b as f64).floor() as i32
}

fn div(c: &Ctx) -> Result<Vec<Value>> {
    binary(c, |a, b| a / b, int_floor_div)
}
fn div_no_nan(c: &Ctx) -> Result<Vec<Value>> {
    binary(
        c,
        |a, b| if b == 0.0 { 0.0 } else { a / b },
        |a, b| if b == 0 { 0 } else { int_floor_div(a, b) },
    )
}
fn floor_div(c: &Ctx) -> Result<Vec<Value>> {
    binary(c, |a, b| (a / b).floor(), int_floor_div)
}

/// TF.js `mod`: the remainder takes the divisor's sign.
fn js_mod(a: f64, b: f64) -> f64 {
    let rem = a % b;
    if (a < 0.0 && b < 0.0) || (a >= 0.0 && b >= 0.0) {
        rem
    } else {
        (rem + b) % b
    }
}

fn floor_mod(c: &Ctx) -> Result<Vec<Value>> {
    binary(
        c,
        |a, b| js_mod(a as f64, b as f64) as f32,
        |a, b| js_mod(a as f64, b as f64) as i32,
    )
}

/// `Math.max` semantics: NaN wins.
fn max_nan(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.max(b)
    }
}

fn min_nan(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.min(b)
    }
}

fn maximum(c: &Ctx) -> Result<Vec<Value>> {
    binary(c, max_nan, i32::max)
}
fn minimum(c: &Ctx) -> Result<Vec<Value>> {
    binary(c, min_nan, i32::min)
}
fn pow(c: &Ctx) -> Result<Vec<Value>> {
    binary(
        c,
        |a, b| (a as f64).powf(b as f64) as f32,
        |a, b| (a as f64).powf(b as f64) as i32,
    )
}
fn squared_difference(c: &Ctx) -> Result<Vec<Value>> {
    binary(
        c,
        |a, b| (a - b) * (a - b),
        |a, b| a.wrapping_sub(b).wrapping_mul(a.wrapping_sub(b)),
    )
}
fn atan2(c: &Ctx) -> Result<Vec<Value>> {
    binary(
        c,
        |a, b| (a as f64).atan2(b as f64) as f32,
        |a, b| (a as f64).atan2(b as f64) as i32,
    )
}

fn add_n(c: &Ctx) -> Result<Vec<Value>> {
    let mut acc = c.t(0)?.clone();
    for i in 1..c.n() {
        acc = binary_with(c, &acc, c.t(i)?, |a, b| a + b, i32::wrapping_add)?;
    }
    one(acc)
}

fn compare(
    c: &Ctx,
    ff: impl Fn(f32, f32) -> bool,
    fi: impl Fn(i32, i32) -> bool,
) -> Result<Vec<Value>> {
    let (a, b) = (c.t(0)?, c.t(1)?);
    let bad = || {
        c.err(format!(
            "shapes {:?} and {:?} do not broadcast",
            a.shape(),
            b.shape()
        ))
    };
    let (s, v) = if a.dtype() != DType::F32 && b.dtype() != DType::F32 {
        broadcast_map(&a.to_i32(), a.shape(), &b.to_i32(), b.shape(), fi)
    } else {
        broadcast_map(&a.to_f32(), a.shape(), &b.to_f32(), b.shape(), ff)
    }
    .ok_or_else(bad)?;
    one(Tensor::new(s, Data::Bool(v))?)
}

fn equal(c: &Ctx) -> Result<Vec<Value>> {
    compare(c, |a, b| a == b, |a, b| a == b)
}
fn not_equal(c: &Ctx) -> Result<Vec<Value>> {
    compare(c, |a, b| a != b, |a, b| a != b)
}
fn greater(c: &Ctx) -> Result<Vec<Value>> {
    compare(c, |a, b| a > b, |a, b| a > b)
}
fn greater_equal(c: &Ctx) -> Result<Vec<Value>> {
    compare(c, |a, b| a >= b, |a, b| a >= b)
}
fn less(c: &Ctx) -> Result<Vec<Value>> {
    compare(c, |a, b| a < b, |a, b| a < b)
}
fn less_equal(c: &Ctx) -> Result<Vec<Value>> {
    compare(c, |a, b| a <= b, |a, b| a <= b)
}

fn logical(c: &Ctx, f: impl Fn(bool, bool) -> bool) -> Result<Vec<Value>> {
    let (a, b) = (c.t(0)?, c.t(1)?);
    let (s, v) = broadcast_map(
        &a.data().to_bool(),
        a.shape(),
        &b.data().to_bool(),
        b.shape(),
        f,
    )
    .ok_or_else(|| {
        c.err(format!(
            "shapes {:?} and {:?} do not broadcast",
            a.shape(),
            b.shape()
        ))
    })?;
    one(Tensor::new(s, Data::Bool(v))?)
}

fn logical_and(c: &Ctx) -> Result<Vec<Value>> {
    logical(c, |a, b| a && b)
}
fn logical_or(c: &Ctx) -> Result<Vec<Value>> {
    logical(c, |a, b| a || b)
}
fn logical_not(c: &Ctx) -> Result<Vec<Value>> {
    let a = c.t(0)?;
    one(Tensor::bool(
        a.shape().to_vec(),
        a.data().to_bool().iter().map(|x| !x).collect(),
    )?)
}

/// `tf.where(cond, a, b)`: a rank-1 condition selects whole rows of
/// higher-rank operands (TF1 `Select`); otherwise all three broadcast.
fn select(c: &Ctx) -> Result<Vec<Value>> {
    let (cond, a, b) = (c.t(0)?, c.t(1)?, c.t(2)?);
    let dtype = if a.dtype() == DType::F32 || b.dtype() == DType::F32 {
        DType::F32
    } else {
        a.dtype()
    };
    let cv = cond.data().to_bool();
    let mut cshape = cond.shape().to_vec();
    if cond.rank() == 1 && a.rank() > 1 && a.shape()[0] == cond.len() {
        cshape.extend(std::iter::repeat_n(1, a.rank() - 1));
    }
    let out = broadcast_shape(&cshape, a.shape())
        .and_then(|s| broadcast_shape(&s, b.shape()))
        .ok_or_else(|| {
            c.err(format!(
                "condition {:?}, then {:?} and else {:?} do not broadcast",
                cond.shape(),
                a.shape(),
                b.shape()
            ))
        })?;
    let ic = super::broadcast_index(&cshape, &out);
    let ia = super::broadcast_index(a.shape(), &out);
    let ib = super::broadcast_index(b.shape(), &out);
    let idx: Vec<(bool, usize, usize)> = ic
        .iter()
        .zip(ia.iter().zip(&ib))
        .map(|(&k, (&i, &j))| (cv[k], i, j))
        .collect();
    fn pick<T: Copy>(idx: &[(bool, usize, usize)], x: &[T], y: &[T]) -> Vec<T> {
        idx.iter()
            .map(|&(c, i, j)| if c { x[i] } else { y[j] })
            .collect()
    }
    let data = match dtype {
        DType::F32 => Data::F32(pick(&idx, &a.to_f32(), &b.to_f32())),
        DType::I32 => Data::I32(pick(&idx, &a.to_i32(), &b.to_i32())),
        DType::Bool => Data::Bool(pick(&idx, &a.data().to_bool(), &b.data().to_bool())),
    };
    one(Tensor::new(out, data)?)
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::run1;
    use crate::tensor::Tensor;

    #[test]
    fn arithmetic_broadcasts_and_keeps_int32() {
        let a = Tensor::f32(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let b = Tensor::f32(vec![2], vec![10.0, 20.0]).unwrap();
        let r = run1("AddV2", &[a.clone(), b.clone()], "{}");
        assert_eq!(r.to_f32(), vec![11.0, 22.0, 13.0, 24.0]);
        let r = run1("SquaredDifference", &[a, b], "{}");
        assert_eq!(r.to_f32(), vec![81.0, 324.0, 49.0, 256.0]);
        // int32 division floors, like tf.div on int32 (and FloorDiv)
        let x = Tensor::i32(vec![4], vec![7, -7, 7, 5]).unwrap();
        let y = Tensor::i32(vec![4], vec![2, 2, -2, 0]).unwrap();
        assert_eq!(
            run1("FloorDiv", &[x.clone(), y.clone()], "{}").to_i32(),
            vec![3, -4, -4, 0]
        );
        assert_eq!(
            run1("RealDiv", &[x.clone(), y.clone()], "{}").to_i32(),
            vec![3, -4, -4, 0]
        );
        // mod takes the divisor's sign
        let y2 = Tensor::i32(vec![4], vec![3, 3, -3, 3]).unwrap();
        assert_eq!(run1("FloorMod", &[x, y2], "{}").to_i32(), vec![1, 2, -2, 2]);
    }

    #[test]
    fn comparisons_logic_and_select() {
        let a = Tensor::f32(vec![3], vec![1.0, 5.0, 3.0]).unwrap();
        let b = Tensor::scalar_f32(3.0);
        let g = run1("Greater", &[a.clone(), b.clone()], "{}");
        assert_eq!(
            g.data(),
            &crate::tensor::Data::Bool(vec![false, true, false])
        );
        let ge = run1("GreaterEqual", &[a.clone(), b.clone()], "{}");
        let both = run1("LogicalAnd", &[g.clone(), ge], "{}");
        assert_eq!(
            both.data(),
            &crate::tensor::Data::Bool(vec![false, true, false])
        );
        let s = run1(
            "Select",
            &[g, a, Tensor::f32(vec![3], vec![0.0; 3]).unwrap()],
            "{}",
        );
        assert_eq!(s.to_f32(), vec![0.0, 5.0, 0.0]);
        // TF1 Select with a rank-1 condition picks rows
        let cond = Tensor::bool(vec![2], vec![true, false]).unwrap();
        let x = Tensor::i32(vec![2, 2], vec![1, 2, 3, 4]).unwrap();
        let y = Tensor::i32(vec![2, 2], vec![5, 6, 7, 8]).unwrap();
        assert_eq!(
            run1("Select", &[cond, x, y], "{}").to_i32(),
            vec![1, 2, 7, 8]
        );
    }
}

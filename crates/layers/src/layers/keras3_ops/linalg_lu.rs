//! Square-matrix algebra of the last two axes, as Keras's TensorFlow
//! backend computes it: Keras 3's `ops.linalg.det` / `inv` / `solve` /
//! `cholesky` / `cholesky_inverse` / `solve_triangular`, `ops.logdet`, `ops.slogdet`, and Keras 2's `tf.linalg.det`
//! / `inv` / `solve` / `cholesky` / `logdet` / `slogdet`:
//!
//! - det, slogdet, inv, solve: an LU factorization with partial pivoting
//!   (each column's largest magnitude pivot, the first on ties: Eigen's
//!   `PartialPivLU`, which TensorFlow runs), in float64 here, rounded
//!   once; `det = sign · exp(Σ log|uᵢᵢ|)`. A zero pivot (a singular
//!   matrix) gives det 0 and slogdet (0, -inf) as TensorFlow does, and is
//!   an error for inv and solve (TensorFlow: "Input is not invertible");
//! - solve(a, b): `b` `[.., n, k]`, or `[.., n]` (Keras 3: a vector right
//!   side, one rank below `a`); Keras 2's `adjoint=True` solves `aᵀ x = b`
//!   and inverts `aᵀ`;
//! - solve_triangular(a, b, lower): substitution reading only `a`'s lower
//!   (or upper) triangle; cholesky_inverse(l, upper): `a⁻¹` as Keras
//!   writes it, `X = solve_triangular(l, I)`, then `Xᵀ X` (`X Xᵀ` upper);
//! - cholesky: the lower factor `L` (`L Lᵀ = a`; Keras 3's `upper=True`:
//!   `Lᵀ`), reading the lower triangle; a matrix that is not positive
//!   definite is an error, as in TensorFlow; logdet is `2 Σ log lᵢᵢ`
//!   (`tf.linalg.logdet`, which takes Hermitian positive definite
//!   matrices).

use super::super::common::f32s;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LuOp {
    Det,
    /// Two outputs: the sign and `log|det|`.
    Slogdet,
    Inv {
        adjoint: bool,
    },
    /// `a` the first input, `b` the second.
    Solve {
        adjoint: bool,
    },
    Cholesky {
        upper: bool,
    },
    Logdet,
    /// `a⁻¹` from its Cholesky factor (the first input: lower, or upper).
    CholeskyInverse {
        upper: bool,
    },
    /// `a x = b` with `a` triangular (only that triangle read).
    SolveTriangular {
        lower: bool,
    },
}

/// The most rows of a matrix factored (the work grows as n³).
const MAX_N: usize = 512;

impl LuOp {
    /// The Keras 3 operation `op` (`None`: not one of these).
    pub(crate) fn from_keras3(op: &str, c: &ConfigReader<'_>) -> Option<Result<LuOp>> {
        Some(Ok(match op {
            "Det" => LuOp::Det,
            "Slogdet" => LuOp::Slogdet,
            "Inv" => LuOp::Inv { adjoint: false },
            "Solve" => LuOp::Solve { adjoint: false },
            "Logdet" => LuOp::Logdet,
            "Cholesky" => match c.bool_or("upper", false) {
                Ok(upper) => LuOp::Cholesky { upper },
                Err(e) => return Some(Err(e)),
            },
            "CholeskyInverse" => match c.bool_or("upper", false) {
                Ok(upper) => LuOp::CholeskyInverse { upper },
                Err(e) => return Some(Err(e)),
            },
            "SolveTriangular" => match c.bool_or("lower", false) {
                Ok(lower) => LuOp::SolveTriangular { lower },
                Err(e) => return Some(Err(e)),
            },
            _ => return None,
        }))
    }

    /// The `tf.<function>` (`None`: not one of these).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<LuOp>> {
        let adjoint = || match kwargs.get("adjoint") {
            None | Some(Value::Null) => Ok(false),
            Some(v) => v.as_bool().ok_or("adjoint: expected a boolean".to_string()),
        };
        let op = match function {
            "linalg.det" | "matrix_determinant" => LuOp::Det,
            "linalg.slogdet" => LuOp::Slogdet,
            "linalg.logdet" => LuOp::Logdet,
            "linalg.cholesky" | "cholesky" => LuOp::Cholesky { upper: false },
            "linalg.inv" | "matrix_inverse" => LuOp::Inv { adjoint: false },
            "linalg.solve" | "matrix_solve" => LuOp::Solve { adjoint: false },
            _ => return None,
        };
        Some((|| {
            Ok(match op {
                LuOp::Inv { .. } => LuOp::Inv {
                    adjoint: adjoint()?,
                },
                LuOp::Solve { .. } => {
                    if kwargs
                        .get("rhs")
                        .is_none_or(|r| crate::topology::kwarg_tensor(r).is_none())
                    {
                        return Err("rhs: expected a tensor (the right-hand side)".into());
                    }
                    LuOp::Solve {
                        adjoint: adjoint()?,
                    }
                }
                op => op,
            })
        })())
    }

    /// The square matrices' size `n` of shape `x` (`[.., n, n]`).
    fn square(x: &Shape) -> Out<Option<usize>> {
        match x[..] {
            [.., r, c] => match (r, c) {
                (Some(r), Some(c)) if r != c => {
                    Err(format!("expects square matrices, got [.., {r}, {c}]"))
                }
                (Some(n), _) | (_, Some(n)) if n > MAX_N => {
                    Err(format!("matrices of {n} rows (at most {MAX_N})"))
                }
                (r, c) => Ok(r.or(c)),
            },
            _ => Err(format!("expects matrices, got rank {}", x.len())),
        }
    }

    pub(crate) fn shapes(&self, inputs: &[Shape]) -> Out<Vec<Shape>> {
        let x = inputs.first().ok_or("needs an input")?;
        let n = Self::square(x)?;
        let batch = x[..x.len() - 2].to_vec();
        Ok(match self {
            LuOp::Det | LuOp::Logdet => vec![batch],
            LuOp::Slogdet => vec![batch.clone(), batch],
            LuOp::Inv { .. } | LuOp::Cholesky { .. } | LuOp::CholeskyInverse { .. } => {
                vec![x.clone()]
            }
            LuOp::Solve { .. } | LuOp::SolveTriangular { .. } => {
                let b = inputs
                    .get(1)
                    .ok_or("solve: the right-hand side is missing")?;
                let vector = b.len() + 1 == x.len();
                if !vector && b.len() != x.len() {
                    return Err(format!(
                        "solve: the right-hand side's rank {} does not fit matrices of rank {}",
                        b.len(),
                        x.len()
                    ));
                }
                let rows = if vector { b.last() } else { b.get(b.len() - 2) };
                if let (Some(Some(r)), Some(n)) = (rows, n) {
                    if *r != n {
                        return Err(format!(
                            "solve: the right-hand side has {r} rows, the matrices {n}"
                        ));
                    }
                }
                vec![b.clone()]
            }
        })
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Vec<Tensor>> {
        let x = inputs.first().ok_or("needs an input")?;
        let shape = x.shape().to_vec();
        let sym: Shape = shape.iter().map(|&d| Some(d)).collect();
        let n = Self::square(&sym)?.unwrap_or(0);
        let batch_shape = shape[..shape.len() - 2].to_vec();
        let count: usize = batch_shape.iter().product();
        let data = f32s(x);
        let matrix = |k: usize, transpose: bool| -> Vec<f64> {
            let m = &data[k * n * n..(k + 1) * n * n];
            let mut out = vec![0f64; n * n];
            for i in 0..n {
                for j in 0..n {
                    let v = f64::from(m[i * n + j]);
                    if transpose {
                        out[j * n + i] = v;
                    } else {
                        out[i * n + j] = v;
                    }
                }
            }
            out
        };
        let t = |s: Vec<usize>, v: Vec<f32>| Tensor::from_f32(s, v).map_err(|e| e.to_string());
        match *self {
            LuOp::Det | LuOp::Slogdet => {
                let (mut signs, mut logs) = (Vec::with_capacity(count), Vec::with_capacity(count));
                for k in 0..count {
                    let lu = Lu::new(matrix(k, false), n);
                    let (sign, log) = lu.slogdet();
                    signs.push(sign);
                    logs.push(log);
                }
                if *self == LuOp::Det {
                    let det = signs
                        .iter()
                        .zip(&logs)
                        .map(|(s, l)| (s * l.exp()) as f32)
                        .collect();
                    Ok(vec![t(batch_shape, det)?])
                } else {
                    let s = signs.iter().map(|&v| v as f32).collect();
                    let l = logs.iter().map(|&v| v as f32).collect();
                    Ok(vec![t(batch_shape.clone(), s)?, t(batch_shape, l)?])
                }
            }
            LuOp::Inv { adjoint } => {
                let mut out = Vec::with_capacity(data.len());
                for k in 0..count {
                    let lu = Lu::new(matrix(k, adjoint), n);
                    let mut cols = vec![0f64; n * n];
                    for j in 0..n {
                        cols[j * n + j] = 1.0;
                    }
                    // Columns of the identity solved: rows of the transpose.
                    let inv_t = lu.solve(&cols, n)?;
                    for i in 0..n {
                        for j in 0..n {
                            out.push(inv_t[j * n + i] as f32);
                        }
                    }
                }
                Ok(vec![t(shape, out)?])
            }
            LuOp::Solve { .. } | LuOp::SolveTriangular { .. } => {
                let b = inputs
                    .get(1)
                    .ok_or("solve: the right-hand side is missing")?;
                let bs = b.shape().to_vec();
                let vector = bs.len() + 1 == shape.len();
                if !vector && bs.len() != shape.len() {
                    return Err(format!(
                        "solve: a right-hand side of shape {bs:?} does not fit matrices of shape {shape:?}"
                    ));
                }
                let (b_batch, rows, k_cols) = if vector {
                    (&bs[..bs.len() - 1], bs[bs.len() - 1], 1)
                } else {
                    (
                        &bs[..bs.len().saturating_sub(2)],
                        bs[bs.len() - 2],
                        bs[bs.len() - 1],
                    )
                };
                if b_batch != batch_shape.as_slice() || rows != n {
                    return Err(format!(
                        "solve: a right-hand side of shape {bs:?} does not fit matrices of shape {shape:?}"
                    ));
                }
                let bd = f32s(b);
                let mut out = vec![0f32; bd.len()];
                for m in 0..count {
                    let block = &bd[m * n * k_cols..(m + 1) * n * k_cols];
                    // Right sides as rows (one per column of b).
                    let mut rhs = vec![0f64; n * k_cols];
                    for i in 0..n {
                        for j in 0..k_cols {
                            rhs[j * n + i] = f64::from(block[i * k_cols + j]);
                        }
                    }
                    let sol = match *self {
                        LuOp::SolveTriangular { lower } => {
                            triangular_solve(&matrix(m, false), n, lower, &rhs, k_cols)?
                        }
                        LuOp::Solve { adjoint } => {
                            Lu::new(matrix(m, adjoint), n).solve(&rhs, k_cols)?
                        }
                        _ => unreachable!("a solve"),
                    };
                    for i in 0..n {
                        for j in 0..k_cols {
                            out[m * n * k_cols + i * k_cols + j] = sol[j * n + i] as f32;
                        }
                    }
                }
                Ok(vec![t(bs, out)?])
            }
            LuOp::Cholesky { upper } => {
                let mut out = Vec::with_capacity(data.len());
                for k in 0..count {
                    let l = cholesky(&matrix(k, false), n)?;
                    for i in 0..n {
                        for j in 0..n {
                            let v = if upper { l[j * n + i] } else { l[i * n + j] };
                            out.push(v as f32);
                        }
                    }
                }
                Ok(vec![t(shape, out)?])
            }
            LuOp::CholeskyInverse { upper } => {
                // Keras: X = triangular_solve(a, I); a⁻¹ = Xᵀ X (lower) or
                // X Xᵀ (upper).
                let mut eye = vec![0f64; n * n];
                for j in 0..n {
                    eye[j * n + j] = 1.0;
                }
                let mut out = Vec::with_capacity(data.len());
                for k in 0..count {
                    // Rows of `xt` are the columns of X.
                    let xt = triangular_solve(&matrix(k, false), n, !upper, &eye, n)?;
                    for i in 0..n {
                        for j in 0..n {
                            let v: f64 = (0..n)
                                .map(|r| {
                                    if upper {
                                        xt[r * n + i] * xt[r * n + j]
                                    } else {
                                        xt[i * n + r] * xt[j * n + r]
                                    }
                                })
                                .sum();
                            out.push(v as f32);
                        }
                    }
                }
                Ok(vec![t(shape, out)?])
            }
            LuOp::Logdet => {
                let mut out = Vec::with_capacity(count);
                for k in 0..count {
                    let l = cholesky(&matrix(k, false), n)?;
                    let s: f64 = (0..n).map(|i| l[i * n + i].ln()).sum();
                    out.push((2.0 * s) as f32);
                }
                Ok(vec![t(batch_shape, out)?])
            }
        }
    }
}

/// `P a = L U` of an `n`×`n` row-major matrix: `L` (unit diagonal) below
/// and `U` on and above the diagonal of `lu`, `perm[i]` the row of `a` in
/// row `i`.
struct Lu {
    lu: Vec<f64>,
    perm: Vec<usize>,
    /// The permutation's sign.
    sign: f64,
    n: usize,
}

impl Lu {
    fn new(mut a: Vec<f64>, n: usize) -> Lu {
        let mut perm: Vec<usize> = (0..n).collect();
        let mut sign = 1.0;
        for k in 0..n {
            // The largest magnitude in column k at or below row k (the
            // first of equals).
            let mut p = k;
            for i in k + 1..n {
                if a[i * n + k].abs() > a[p * n + k].abs() {
                    p = i;
                }
            }
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
                perm.swap(k, p);
                sign = -sign;
            }
            let pivot = a[k * n + k];
            if pivot == 0.0 {
                continue;
            }
            for i in k + 1..n {
                let f = a[i * n + k] / pivot;
                a[i * n + k] = f;
                for j in k + 1..n {
                    a[i * n + j] -= f * a[k * n + j];
                }
            }
        }
        Lu {
            lu: a,
            perm,
            sign,
            n,
        }
    }

    /// `(sign, log|det|)`: `(0, -inf)` for a singular matrix.
    fn slogdet(&self) -> (f64, f64) {
        let n = self.n;
        let (mut sign, mut log) = (self.sign, 0f64);
        for i in 0..n {
            let u = self.lu[i * n + i];
            log += u.abs().ln();
            sign *= u.signum();
        }
        if !log.is_finite() {
            return (0.0, f64::NEG_INFINITY);
        }
        (sign, log)
    }

    /// Solve `a x = b` for `k` right sides, each a row of `b` (`k`×`n`).
    fn solve(&self, b: &[f64], k: usize) -> Out<Vec<f64>> {
        let n = self.n;
        if (0..n).any(|i| self.lu[i * n + i] == 0.0) {
            return Err("the matrix is not invertible (a zero pivot)".into());
        }
        let mut out = vec![0f64; n * k];
        for r in 0..k {
            let rhs = &b[r * n..(r + 1) * n];
            let x = &mut out[r * n..(r + 1) * n];
            for i in 0..n {
                let row = &self.lu[i * n..(i + 1) * n];
                let s: f64 = (0..i).map(|j| row[j] * x[j]).sum();
                x[i] = rhs[self.perm[i]] - s;
            }
            for i in (0..n).rev() {
                let row = &self.lu[i * n..(i + 1) * n];
                let s: f64 = (i + 1..n).map(|j| row[j] * x[j]).sum();
                x[i] = (x[i] - s) / row[i];
            }
        }
        Ok(out)
    }
}

/// Solve `a x = b` for `k` right sides (rows of `b`), `a` lower or upper
/// triangular (the other triangle ignored); a zero on the diagonal is an
/// error (TensorFlow's CPU kernel gives inf / NaN).
fn triangular_solve(a: &[f64], n: usize, lower: bool, b: &[f64], k: usize) -> Out<Vec<f64>> {
    if (0..n).any(|i| a[i * n + i] == 0.0) {
        return Err("triangular solve: a zero on the diagonal".into());
    }
    let mut out = vec![0f64; n * k];
    for r in 0..k {
        let (rhs, x) = (&b[r * n..(r + 1) * n], &mut out[r * n..(r + 1) * n]);
        let order: Vec<usize> = if lower {
            (0..n).collect()
        } else {
            (0..n).rev().collect()
        };
        for &i in &order {
            let mut s = rhs[i];
            for j in 0..n {
                if (lower && j < i) || (!lower && j > i) {
                    s -= a[i * n + j] * x[j];
                }
            }
            x[i] = s / a[i * n + i];
        }
    }
    Ok(out)
}

/// The lower Cholesky factor of the `n`×`n` matrix `a` (its lower
/// triangle read), or why not.
fn cholesky(a: &[f64], n: usize) -> Out<Vec<f64>> {
    let mut l = vec![0f64; n * n];
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        if d.is_nan() || d <= 0.0 {
            return Err(
                "Cholesky: the matrix is not positive definite (TensorFlow refuses it too)".into(),
            );
        }
        let d = d.sqrt();
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = s / d;
        }
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], v: &[f32]) -> Tensor {
        Tensor::from_f32(shape.to_vec(), v.to_vec()).unwrap()
    }

    #[test]
    fn det_inv_solve_cholesky() {
        // det [[0, 2], [3, 4]] = -6 (a pivot swap), inverse and a solve.
        let a = t(&[1, 2, 2], &[0.0, 2.0, 3.0, 4.0]);
        let det = LuOp::Det.call(std::slice::from_ref(&a)).unwrap();
        assert!((f32s(&det[0])[0] + 6.0).abs() < 1e-6);
        let inv = LuOp::Inv { adjoint: false }
            .call(std::slice::from_ref(&a))
            .unwrap();
        let want = [-4.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0, 0.0];
        for (g, w) in f32s(&inv[0]).iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{g} vs {w}");
        }
        let b = t(&[1, 2], &[2.0, 7.0]);
        let x = LuOp::Solve { adjoint: false }
            .call(&[a.clone(), b])
            .unwrap();
        assert_eq!(f32s(&x[0]).to_vec(), vec![1.0, 1.0]);
        let s = LuOp::Slogdet.call(std::slice::from_ref(&a)).unwrap();
        assert_eq!(f32s(&s[0])[0], -1.0);
        assert!((f32s(&s[1])[0] - 6f32.ln()).abs() < 1e-6);
        let spd = t(&[2, 2], &[4.0, 2.0, 2.0, 3.0]);
        let l = LuOp::Cholesky { upper: false }
            .call(std::slice::from_ref(&spd))
            .unwrap();
        assert_eq!(f32s(&l[0]).to_vec(), vec![2.0, 0.0, 1.0, 2f32.sqrt()]);
        let ld = LuOp::Logdet.call(&[spd]).unwrap();
        assert!((f32s(&ld[0])[0] - 8f32.ln()).abs() < 1e-6);
        let singular = t(&[2, 2], &[1.0, 2.0, 2.0, 4.0]);
        assert_eq!(
            f32s(&LuOp::Det.call(std::slice::from_ref(&singular)).unwrap()[0])[0],
            0.0
        );
        assert!(LuOp::Inv { adjoint: false }.call(&[singular]).is_err());
    }
}

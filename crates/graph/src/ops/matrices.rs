//! Matrix products: MatMul, `_FusedMatMul`, BatchMatMul/V2/V3.

use super::basic_math::apply_activation;
use super::transformation::transpose_tensor;
use super::{broadcast_shape, one, Ctx, OpFn, Value};
use crate::tensor::{DType, Tensor};
use crate::Result;

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("MatMul", |c| matmul_op(c, false)),
    ("_FusedMatMul", |c| matmul_op(c, true)),
    ("BatchMatMul", batch_matmul),
    ("BatchMatMulV2", batch_matmul),
    ("BatchMatMulV3", batch_matmul),
    ("Einsum", einsum),
];

/// `Einsum` over one or two operands with explicit output letters (no
/// ellipsis), by the kernels' transposes and batched matrix product.
fn einsum(c: &Ctx) -> Result<Vec<Value>> {
    let eq = tfjs_kernels::einsum::Equation::parse(&c.attr_s("equation")?).map_err(|e| c.err(e))?;
    let operands = (0..c.n())
        .map(|k| c.t(k).map(|t| (t.to_f32(), t.shape().to_vec())))
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<(&[f32], &[usize])> = operands.iter().map(|(v, s)| (&v[..], &s[..])).collect();
    let (values, shape) = eq.eval(&refs).map_err(|e| c.err(e))?;
    one(Tensor::f32(shape, values)?)
}

/// `a · b` over broadcast batch dimensions, with optional transposes of the
/// last two dimensions.
pub fn batch_matmul_tensors(c: &Ctx, a: &Tensor, b: &Tensor, ta: bool, tb: bool) -> Result<Tensor> {
    if a.rank() < 2 || b.rank() < 2 {
        return Err(c.err(format!(
            "operands must have rank >= 2, got {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    let swap = |t: &Tensor| -> Result<Tensor> {
        let r = t.rank();
        let mut perm: Vec<usize> = (0..r).collect();
        perm.swap(r - 1, r - 2);
        transpose_tensor(t, &perm)
    };
    let a = if ta {
        swap(a)?
    } else {
        a.clone().cast(DType::F32)
    };
    let (ra, rb) = (a.rank(), b.rank());
    let (m, k) = (a.shape()[ra - 2], a.shape()[ra - 1]);
    let (kb, n) = if tb {
        (b.shape()[rb - 1], b.shape()[rb - 2])
    } else {
        (b.shape()[rb - 2], b.shape()[rb - 1])
    };
    if k != kb {
        return Err(c.err(format!(
            "inner dimensions disagree: {:?} and {:?} (transpose_a {ta}, transpose_b {tb})",
            a.shape(),
            b.shape()
        )));
    }
    let batch_a = &a.shape()[..ra - 2];
    let batch_b = &b.shape()[..rb - 2];
    let batch = broadcast_shape(batch_a, batch_b).ok_or_else(|| {
        c.err(format!(
            "batch dimensions {batch_a:?} and {batch_b:?} do not broadcast"
        ))
    })?;
    let ia = super::broadcast_index(batch_a, &batch);
    let ib = super::broadcast_index(batch_b, &batch);
    let av = a.to_f32();
    let bv = b.to_f32();
    let nb = ia.len().max(1);
    let mut out = vec![0.0f32; nb * m * n];
    for i in 0..nb {
        let (ja, jb) = (
            ia.get(i).copied().unwrap_or(0),
            ib.get(i).copied().unwrap_or(0),
        );
        let aa = &av[ja * m * k..(ja + 1) * m * k];
        let bb = &bv[jb * k * n..(jb + 1) * k * n];
        let o = &mut out[i * m * n..(i + 1) * m * n];
        if tb {
            tfjs_kernels::matmul_bt(aa, bb, m, k, n, o, false);
        } else {
            tfjs_kernels::matmul(aa, bb, m, k, n, o, false);
        }
    }
    let mut shape = batch;
    shape.extend([m, n]);
    Tensor::f32(shape, out)
}

fn matmul_op(c: &Ctx, is_fused: bool) -> Result<Vec<Value>> {
    let (a, b) = (c.t(0)?, c.t(1)?);
    if a.rank() != 2 || b.rank() != 2 {
        return Err(c.err(format!(
            "MatMul needs rank-2 operands, got {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    let ta = c.attr_b("transpose_a", false);
    let tb = c.attr_b("transpose_b", false);
    let mut t = batch_matmul_tensors(c, a, b, ta, tb)?;
    if is_fused {
        let f = super::convolution::fused(c, 2)?;
        if let Some(bias) = &f.bias {
            t = super::arithmetic::binary_with(c, &t, bias, |x, y| x + y, |x, y| x + y)?;
        }
        if !f.activation.is_empty() {
            t = apply_activation(c, t, &f.activation, f.prelu.as_ref(), f.leaky_alpha)?;
        }
    }
    one(t)
}

fn batch_matmul(c: &Ctx) -> Result<Vec<Value>> {
    let ta = c.attr_b("adj_x", false);
    let tb = c.attr_b("adj_y", false);
    one(batch_matmul_tensors(c, c.t(0)?, c.t(1)?, ta, tb)?)
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::run1;
    use crate::tensor::Tensor;
    use base64::Engine;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn matmul_variants() {
        let a = Tensor::f32(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let b = Tensor::f32(vec![2, 1], vec![1.0, -1.0]).unwrap();
        assert_eq!(
            run1("MatMul", &[a.clone(), b.clone()], "{}").to_f32(),
            vec![-1.0, -1.0]
        );
        let r = run1(
            "MatMul",
            &[a.clone(), a.clone()],
            r#"{"transpose_a": {"b": true}}"#,
        );
        assert_eq!(r.to_f32(), vec![10.0, 14.0, 14.0, 20.0]);
        let f = r#"{"fused_ops": {"list": {"s": ["Qmlhc0FkZA==", "UmVsdQ=="]}}, "num_args": {"i": "1"}}"#;
        let r = run1(
            "_FusedMatMul",
            &[a.clone(), b, Tensor::f32(vec![1], vec![0.5]).unwrap()],
            f,
        );
        assert_eq!(r.to_f32(), vec![0.0, 0.0]);
        let eq = |e: &str| format!(r#"{{"equation": {{"s": "{}"}}}}"#, b64(e));
        let e = run1("Einsum", &[a.clone(), a.clone()], &eq("ij,jk->ik"));
        assert_eq!(e.to_f32(), vec![7.0, 10.0, 15.0, 22.0]);
        assert_eq!(
            run1("Einsum", std::slice::from_ref(&a), &eq("ij->ji")).to_f32(),
            vec![1.0, 3.0, 2.0, 4.0]
        );
        assert_eq!(
            run1("Einsum", std::slice::from_ref(&a), &eq("ii->")).to_f32(),
            vec![5.0]
        );
        let batched = Tensor::f32(vec![2, 1, 2], vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        let r = run1("BatchMatMulV2", &[batched, a], "{}");
        assert_eq!(r.shape(), &[2, 1, 2]);
        assert_eq!(r.to_f32(), vec![1.0, 2.0, 3.0, 4.0]);
    }
}

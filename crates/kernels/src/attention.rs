//! The per-head products of dot-product attention (Keras
//! `MultiHeadAttention`): a block of query rows against a head's keys, and
//! the softmaxed scores against its values. The layer owns the masking,
//! the softmax and the projections; these loops are here to be built for
//! the CPU's vector width (they were 4-wide SSE in the engine crate).
//!
//! Both sum in the order a scalar loop would (a score is its dot product
//! over the key dimension in order; a context value adds the values in
//! order), with separate multiplies and adds: the same bits on every CPU.

use crate::simd::dispatch;

dispatch!(
    /// `scores[i·tv + j] = Σ_d q[i·q_stride + d] · keys_t[d·tv + j]` for every
    /// row `i` of `scores` (`scores.len() / tv` rows): query rows `q_stride`
    /// apart, `kd` features each, against keys stored transposed (`[kd, tv]`).
    ///
    /// # Panics
    /// When a slice is shorter than those sizes need.
    pub fn attention_scores(q: &[f32], q_stride: usize, kd: usize, keys_t: &[f32], tv: usize, scores: &mut [f32]) => scores_impl
);
dispatch!(
    /// `out[i·out_stride + e] += Σ_j p[i·tv + j] · v[j·v_stride + e]` for
    /// `e < vd` and every row `i` of `p` (`p.len() / tv` rows): the rows of
    /// `p` weigh the `tv` value rows (`v_stride` apart, `vd` features each).
    ///
    /// # Panics
    /// When a slice is shorter than those sizes need.
    pub fn attention_context(p: &[f32], tv: usize, v: &[f32], v_stride: usize, vd: usize, out: &mut [f32], out_stride: usize) => context_impl
);

#[inline(always)]
fn scores_impl<const FMA: bool>(
    q: &[f32],
    q_stride: usize,
    kd: usize,
    keys_t: &[f32],
    tv: usize,
    scores: &mut [f32],
) {
    if tv == 0 || scores.is_empty() {
        return;
    }
    let rows = scores.len() / tv;
    assert!(scores.len() == rows * tv && keys_t.len() >= kd * tv);
    assert!(q.len() >= (rows - 1) * q_stride + kd);
    for (i, row) in scores.chunks_exact_mut(tv).enumerate() {
        let qv = &q[i * q_stride..][..kd];
        row.fill(0.0);
        for (&qd, keys) in qv.iter().zip(keys_t.chunks_exact(tv)) {
            for (s, &k) in row.iter_mut().zip(keys) {
                *s += qd * k;
            }
        }
    }
}

#[inline(always)]
fn context_impl<const FMA: bool>(
    p: &[f32],
    tv: usize,
    v: &[f32],
    v_stride: usize,
    vd: usize,
    out: &mut [f32],
    out_stride: usize,
) {
    if tv == 0 || p.is_empty() || vd == 0 {
        return;
    }
    let rows = p.len() / tv;
    assert!(p.len() == rows * tv);
    assert!(v.len() >= (tv - 1) * v_stride + vd);
    assert!(out.len() >= (rows - 1) * out_stride + vd);
    for (i, row) in p.chunks_exact(tv).enumerate() {
        let o = &mut out[i * out_stride..][..vd];
        for (j, &pj) in row.iter().enumerate() {
            let vv = &v[j * v_stride..][..vd];
            for (x, &y) in o.iter_mut().zip(vv) {
                *x += pj * y;
            }
        }
    }
}

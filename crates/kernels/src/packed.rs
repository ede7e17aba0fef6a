//! Matrix products against a weight matrix packed once: the
//! `[pixels × K] · [K × N]` of every convolution (im2col rows, or the input
//! itself for a 1×1 convolution) and of `Dense`.
//!
//! The weights are stored in [`PANEL`]-column panels (`[panel][k][16]`, the
//! last one zero-padded) with the bias beside them, so a product streams the
//! left matrix straight from memory, never packs it, and never re-packs the
//! weights per call or per tile. The microkernels keep an `MR × 32` (AVX-512)
//! or `6 × 16` (AVX2) block of the output in registers across the whole `K`
//! loop and apply bias and ReLU/ReLU6 before the one store.

use crate::FusedActivation;

/// Columns per packed panel (one AVX-512 register of f32).
pub const PANEL: usize = 16;

/// A `K × N` row-major weight matrix (and optional bias) packed for
/// [`gemm_packed`].
///
/// ```
/// use tfjs_kernels::{gemm_packed, FusedActivation, PackedMatrix};
/// let w = PackedMatrix::new(&[1.0, 2.0, 3.0, 4.0], 2, 2, Some(&[0.5, -20.0]));
/// let mut out = [0.0; 2];
/// gemm_packed(&[1.0, 1.0], 2, 1, &w, FusedActivation::Relu, &mut out);
/// assert_eq!(out, [4.5, 0.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PackedMatrix {
    k: usize,
    n: usize,
    /// `[panels][k][PANEL]`.
    panels: Vec<f32>,
    /// `panels * PANEL` values: the bias, zero-padded.
    bias: Vec<f32>,
}

impl PackedMatrix {
    /// Pack `b` (`k × n`, row-major) and `bias` (`n` values).
    ///
    /// # Panics
    /// If `b.len() != k * n` or the bias does not have `n` values.
    pub fn new(b: &[f32], k: usize, n: usize, bias: Option<&[f32]>) -> PackedMatrix {
        assert!(
            Some(b.len()) == k.checked_mul(n),
            "PackedMatrix: matrix has {} values, expected {k} x {n}",
            b.len()
        );
        let np = n.div_ceil(PANEL);
        let mut panels = vec![0.0f32; np * k * PANEL];
        if k > 0 {
            for (p, panel) in panels.chunks_exact_mut(k * PANEL).enumerate() {
                let c0 = p * PANEL;
                let w = PANEL.min(n - c0);
                for (row, dst) in panel.chunks_exact_mut(PANEL).enumerate() {
                    dst[..w].copy_from_slice(&b[row * n + c0..row * n + c0 + w]);
                }
            }
        }
        let mut padded = vec![0.0f32; np * PANEL];
        if let Some(bias) = bias {
            assert!(
                bias.len() == n,
                "PackedMatrix: bias has {} values, expected {n}",
                bias.len()
            );
            padded[..n].copy_from_slice(bias);
        }
        PackedMatrix {
            k,
            n,
            panels,
            bias: padded,
        }
    }

    /// Rows of the packed matrix (the products' inner dimension).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Columns (outputs per row).
    pub fn n(&self) -> usize {
        self.n
    }
}

/// `out[m × n] = act(a · B + bias)` for `a` of `m` rows of `B.k()` values
/// with row stride `lda`, and `out` of `m` rows of `B.n()` values (dense).
/// Runs on the calling thread: callers split rows across threads.
///
/// # Panics
/// If `lda < B.k()`, `a` is shorter than `(m - 1) * lda + k`, or `out` does
/// not have `m * n` values.
pub fn gemm_packed(
    a: &[f32],
    lda: usize,
    m: usize,
    b: &PackedMatrix,
    act: FusedActivation,
    out: &mut [f32],
) {
    let (k, n) = (b.k, b.n);
    assert!(lda >= k, "gemm_packed: row stride {lda} < k {k}");
    assert!(
        out.len() == m * n,
        "gemm_packed: output has {} values, expected {m} x {n}",
        out.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        a.len() >= (m - 1) * lda + k,
        "gemm_packed: left matrix has {} values, expected {m} rows of stride {lda}",
        a.len()
    );
    let base = [a.as_ptr()];
    let lhs = Lhs {
        bases: &base,
        seg_len: k,
        row_stride: lda,
    };
    // SAFETY: row i reads a[i*lda .. i*lda + k], inside `a` (asserted).
    unsafe { gemm_lhs(&lhs, m, b, act, out) }
}

/// The left operand of a product: row `i`, column `s * seg_len + j` is
/// `*bases[s].add(i * row_stride + j)`. A dense matrix is one segment; a
/// run of output pixels of a convolution is one segment per kernel row,
/// read straight from the input (no im2col copy).
pub(crate) struct Lhs<'a> {
    pub bases: &'a [*const f32],
    pub seg_len: usize,
    pub row_stride: usize,
}

/// `out[m × n] = act(lhs · B + bias)`.
///
/// # Safety
/// `lhs.bases.len() * lhs.seg_len == b.k()`, and for every segment `s`,
/// row `i < m` and `j < seg_len`, `bases[s].add(i * row_stride + j)` is a
/// readable f32; `out` has `m * b.n()` values.
pub(crate) unsafe fn gemm_lhs(
    lhs: &Lhs<'_>,
    m: usize,
    b: &PackedMatrix,
    act: FusedActivation,
    out: &mut [f32],
) {
    debug_assert!(lhs.bases.len() * lhs.seg_len == b.k && out.len() == m * b.n);
    if m == 0 || b.n == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if x86::has_avx512() {
            x86::gemm_avx512(lhs, m, b, act, out);
            return act.apply_after_store(out);
        }
        if crate::simd::has_avx2_fma() {
            x86::gemm_avx2(lhs, m, b, act, out);
            return act.apply_after_store(out);
        }
    }
    gemm_portable(lhs, m, b, act, out)
}

/// The same product in plain Rust (other CPUs, and the reference the
/// vector kernels are tested against).
///
/// # Safety
/// As [`gemm_lhs`].
unsafe fn gemm_portable(
    lhs: &Lhs<'_>,
    m: usize,
    b: &PackedMatrix,
    act: FusedActivation,
    out: &mut [f32],
) {
    let (k, n) = (b.k, b.n);
    for (i, row) in out.chunks_exact_mut(n).enumerate().take(m) {
        for (p, chunk) in row.chunks_mut(PANEL).enumerate() {
            let mut acc = [0.0f32; PANEL];
            acc.copy_from_slice(&b.bias[p * PANEL..(p + 1) * PANEL]);
            let panel = &b.panels[p * k * PANEL..(p + 1) * k * PANEL];
            let mut w = panel.chunks_exact(PANEL);
            for &base in lhs.bases {
                let ar = base.add(i * lhs.row_stride);
                for j in 0..lhs.seg_len {
                    let x = *ar.add(j);
                    let wv = w.next().expect("k weights rows per panel");
                    for (s, wv) in acc.iter_mut().zip(wv) {
                        *s = x.mul_add(*wv, *s);
                    }
                }
            }
            chunk.copy_from_slice(&acc[..chunk.len()]);
        }
        act.apply(row);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Lhs, PackedMatrix, PANEL};
    use crate::FusedActivation;
    use std::arch::x86_64::*;

    pub(super) fn has_avx512() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
    }

    /// Cover rows `0..m` with blocks of `$mr`, then 8, 4, 2, 1 rows, calling
    /// `$f::<rows, $np>(first_row, args…)` for each.
    macro_rules! row_blocks {
        ($mr:expr, $m:expr, $f:ident :: <$np:literal>, $($arg:expr),*) => {{
            let mut i = 0;
            while i < $m {
                let left = $m - i;
                let rows = if left >= $mr { $mr } else if left >= 8 { 8 } else if left >= 4 { 4 } else if left >= 2 { 2 } else { 1 };
                match rows {
                    r if r == $mr => $f::<$mr, $np>(i, $($arg),*),
                    8 => $f::<8, $np>(i, $($arg),*),
                    4 => $f::<4, $np>(i, $($arg),*),
                    2 => $f::<2, $np>(i, $($arg),*),
                    _ => $f::<1, $np>(i, $($arg),*),
                }
                i += rows;
            }
        }};
    }

    /// Per panel pair (then a last single panel), every row block.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gemm_avx512(
        lhs: &Lhs<'_>,
        m: usize,
        b: &PackedMatrix,
        act: FusedActivation,
        out: &mut [f32],
    ) {
        let np = b.n.div_ceil(PANEL);
        let mut p = 0;
        while p < np {
            if np - p >= 2 {
                row_blocks!(12, m, block512::<2>, lhs, b, p, act, out);
                p += 2;
            } else {
                row_blocks!(12, m, block512::<1>, lhs, b, p, act, out);
                p += 1;
            }
        }
    }

    /// Define `unsafe fn $name::<MR, NP>(i0, lhs, b, p0, act, out)`, built
    /// for `$features`: rows `i0..i0+MR` of the product against the panels
    /// from `p0`, kept in the registers `$acc` (set to `$init`) over all of
    /// `k`. For each index `$q` of each segment `$step` runs, with row
    /// `i0 + r`'s value at `$ap.add(r * $rs + $q)` and panel `p0 + j`'s
    /// `PANEL` weights at `$ws.add((j * $k + $q) * PANEL)`; then `$store`.
    /// `$w` is panel `p0`'s first weight, `$k`/`$n` the matrix's sizes.
    macro_rules! block_kernel {
        (
            $(#[$doc:meta])*
            fn $name:ident, $features:literal,
            ($i0:ident, $lhs:ident, $b:ident, $p0:ident, $act:ident, $out:ident; $k:ident, $n:ident, $w:ident),
            let mut $acc:ident = $init:expr;
            for k |$ap:ident, $rs:ident, $ws:ident, $q:ident| $step:block
            $store:block
        ) => {
            $(#[$doc])*
            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn $name<const MR: usize, const NP: usize>(
                $i0: usize,
                $lhs: &Lhs<'_>,
                $b: &PackedMatrix,
                $p0: usize,
                $act: FusedActivation,
                $out: &mut [f32],
            ) {
                let ($k, $n) = ($b.k, $b.n);
                let $w = $b.panels.as_ptr().add($p0 * $k * PANEL);
                let mut $acc = $init;
                let $rs = $lhs.row_stride;
                for (s, &base) in $lhs.bases.iter().enumerate() {
                    let $ap = base.add($i0 * $rs);
                    let $ws = $w.add(s * $lhs.seg_len * PANEL);
                    for $q in 0..$lhs.seg_len {
                        $step
                    }
                }
                $store
            }
        };
    }

    block_kernel! {
        /// Rows `i0..i0+MR` × panels `p0..p0+NP`, kept in registers over all of `k`.
        fn block512, "avx512f",
        (i0, lhs, b, p0, act, out; k, n, w),
        let mut acc = {
            let mut acc = [[_mm512_setzero_ps(); NP]; MR];
            for j in 0..NP {
                let bias = _mm512_loadu_ps(b.bias.as_ptr().add((p0 + j) * PANEL));
                for row in acc.iter_mut() {
                    row[j] = bias;
                }
            }
            acc
        };
        for k |ap, rs, ws, q| {
            let mut wv = [_mm512_setzero_ps(); NP];
            for (j, v) in wv.iter_mut().enumerate() {
                *v = _mm512_loadu_ps(ws.add((j * k + q) * PANEL));
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let x = _mm512_set1_ps(*ap.add(r * rs + q));
                for j in 0..NP {
                    row[j] = _mm512_fmadd_ps(x, wv[j], row[j]);
                }
            }
        }
        {
            let zero = _mm512_setzero_ps();
            let six = _mm512_set1_ps(6.0);
            for (r, row) in acc.iter().enumerate() {
                let o = out.as_mut_ptr().add((i0 + r) * n);
                for (j, &v) in row.iter().enumerate() {
                    // max(0, x) / min(6, ·) return the second operand for NaN,
                    // so NaN stays NaN as in `FusedActivation::apply`.
                    let v = match act {
                        FusedActivation::Linear => v,
                        FusedActivation::Relu => _mm512_max_ps(zero, v),
                        FusedActivation::Relu6 => _mm512_min_ps(six, _mm512_max_ps(zero, v)),
                        // After the store (`gemm_lhs`).
                        FusedActivation::Silu => v,
                    };
                    let c0 = (p0 + j) * PANEL;
                    let valid = PANEL.min(n - c0);
                    let mask: __mmask16 = if valid == PANEL {
                        0xffff
                    } else {
                        (1u16 << valid) - 1
                    };
                    _mm512_mask_storeu_ps(o.add(c0), mask, v);
                }
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gemm_avx2(
        lhs: &Lhs<'_>,
        m: usize,
        b: &PackedMatrix,
        act: FusedActivation,
        out: &mut [f32],
    ) {
        let np = b.n.div_ceil(PANEL);
        for p in 0..np {
            if b.n - p * PANEL <= PANEL / 2 {
                // Only the first half of this panel is real (8 or fewer
                // outputs, as in a stem convolution): skip the padding half
                // and use its registers for twice the rows.
                row_blocks!(12, m, block256_half::<1>, lhs, b, p, act, out);
            } else {
                row_blocks!(6, m, block256::<1>, lhs, b, p, act, out);
            }
        }
    }

    /// `act` on 8 lanes. `max(0, x)` / `min(6, ·)` return the second operand
    /// for NaN (and for -0.0 against 0.0), as `FusedActivation::apply` does.
    #[inline(always)]
    unsafe fn act256(act: FusedActivation, v: __m256) -> __m256 {
        match act {
            FusedActivation::Linear => v,
            FusedActivation::Relu => _mm256_max_ps(_mm256_setzero_ps(), v),
            FusedActivation::Relu6 => {
                _mm256_min_ps(_mm256_set1_ps(6.0), _mm256_max_ps(_mm256_setzero_ps(), v))
            }
            // After the store (`gemm_lhs`).
            FusedActivation::Silu => v,
        }
    }

    /// Store the first `valid` (1..=8) lanes of `v` at `o`.
    #[inline(always)]
    unsafe fn store256(o: *mut f32, v: __m256, valid: usize) {
        if valid >= 8 {
            _mm256_storeu_ps(o, v);
        } else {
            let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid as i32), lanes);
            _mm256_maskstore_ps(o, mask, v);
        }
    }

    block_kernel! {
        /// Rows `i0..i0+MR` × panel `p0` as two 8-lane halves (`NP` is 1).
        fn block256, "avx2,fma",
        (i0, lhs, b, p0, act, out; k, n, w),
        let mut acc = {
            let bias = b.bias.as_ptr().add(p0 * PANEL);
            [[_mm256_loadu_ps(bias), _mm256_loadu_ps(bias.add(8))]; MR]
        };
        for k |ap, rs, ws, q| {
            let w0 = _mm256_loadu_ps(ws.add(q * PANEL));
            let w1 = _mm256_loadu_ps(ws.add(q * PANEL + 8));
            for (r, row) in acc.iter_mut().enumerate() {
                let x = _mm256_set1_ps(*ap.add(r * rs + q));
                row[0] = _mm256_fmadd_ps(x, w0, row[0]);
                row[1] = _mm256_fmadd_ps(x, w1, row[1]);
            }
        }
        {
            // Stored straight from the registers (a masked store for a last
            // panel's tail): a copy through a stack tile costs a `memcpy` call
            // per row, which dominated products with few output channels.
            let c0 = p0 * PANEL;
            let valid = PANEL.min(n - c0);
            for (r, row) in acc.iter().enumerate() {
                let o = out.as_mut_ptr().add((i0 + r) * n + c0);
                store256(o, act256(act, row[0]), valid.min(8));
                if valid > 8 {
                    store256(o.add(8), act256(act, row[1]), valid - 8);
                }
            }
        }
    }

    block_kernel! {
        /// Rows `i0..i0+MR` × the first 8 columns of panel `p0`, for a last
        /// panel with at most 8 real columns (`NP` is 1).
        fn block256_half, "avx2,fma",
        (i0, lhs, b, p0, act, out; k, n, w),
        let mut acc = [_mm256_loadu_ps(b.bias.as_ptr().add(p0 * PANEL)); MR];
        for k |ap, rs, ws, q| {
            let w0 = _mm256_loadu_ps(ws.add(q * PANEL));
            for (r, row) in acc.iter_mut().enumerate() {
                *row = _mm256_fmadd_ps(_mm256_set1_ps(*ap.add(r * rs + q)), w0, *row);
            }
        }
        {
            let c0 = p0 * PANEL;
            let valid = n - c0;
            for (r, row) in acc.iter().enumerate() {
                store256(
                    out.as_mut_ptr().add((i0 + r) * n + c0),
                    act256(act, *row),
                    valid,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(
        a: &[f32],
        lda: usize,
        m: usize,
        b: &[f32],
        k: usize,
        n: usize,
        bias: Option<&[f32]>,
    ) -> Vec<f32> {
        let mut out = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = bias.map_or(0.0, |b| b[j]) as f64;
                for p in 0..k {
                    s += a[i * lda + p] as f64 * b[p * n + j] as f64;
                }
                out[i * n + j] = s as f32;
            }
        }
        out
    }

    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (((i * 7919 + seed * 104729) % 2003) as f32) / 1001.0 - 1.0)
            .collect()
    }

    /// Every row-block and panel tail: sizes around the register blocks
    /// (12/8/4/2/1 rows, 16/32 columns), strides wider than `k`, with and
    /// without bias, each fused activation, against a float64 reference.
    #[test]
    fn matches_the_naive_product_for_every_shape_class() {
        for &(m, k, n, extra) in &[
            (1, 1, 1, 0),
            (13, 27, 8, 0),
            (12, 3, 16, 5),
            (31, 17, 33, 0),
            (7, 64, 1000, 3),
            (25, 9, 47, 0),
            (2, 300, 31, 1),
            (20, 5, 24, 2),
            (37, 11, 4, 0),
        ] {
            let lda = k + extra;
            let a = values((m - 1) * lda + k, m + n);
            let b = values(k * n, k);
            let bias = values(n, 3);
            for with_bias in [false, true] {
                let bias = with_bias.then_some(&bias[..]);
                let packed = PackedMatrix::new(&b, k, n, bias);
                let want = naive(&a, lda, m, &b, k, n, bias);
                for act in [
                    FusedActivation::Linear,
                    FusedActivation::Relu,
                    FusedActivation::Relu6,
                    FusedActivation::Silu,
                ] {
                    let mut want = want.clone();
                    act.apply(&mut want);
                    let mut got = vec![f32::NAN; m * n];
                    gemm_packed(&a, lda, m, &packed, act, &mut got);
                    let mut portable = vec![f32::NAN; m * n];
                    let base = [a.as_ptr()];
                    let lhs = Lhs {
                        bases: &base,
                        seg_len: k,
                        row_stride: lda,
                    };
                    // SAFETY: rows of stride lda, k values each, inside `a`.
                    unsafe { gemm_portable(&lhs, m, &packed, act, &mut portable) };
                    // The AVX2 kernels also on a CPU where gemm_packed takes AVX-512.
                    #[cfg(target_arch = "x86_64")]
                    if crate::simd::has_avx2_fma() {
                        let mut avx2 = vec![f32::NAN; m * n];
                        // SAFETY: as above; the CPU has AVX2 and FMA.
                        unsafe { x86::gemm_avx2(&lhs, m, &packed, act, &mut avx2) };
                        act.apply_after_store(&mut avx2);
                        for (i, (v, w)) in avx2.iter().zip(&want).enumerate() {
                            let tol = 1e-5 * (k as f32).sqrt() * (1.0 + w.abs());
                            assert!(
                                (v - w).abs() <= tol,
                                "avx2 {m}x{k}x{n} {act:?} [{i}]: {v} vs {w}"
                            );
                        }
                    }
                    for (i, ((g, p), w)) in got.iter().zip(&portable).zip(&want).enumerate() {
                        let tol = 1e-5 * (k as f32).sqrt() * (1.0 + w.abs());
                        assert!(
                            (g - w).abs() <= tol,
                            "{m}x{k}x{n} {act:?} bias={with_bias} [{i}]: {g} vs {w}"
                        );
                        assert!(
                            (p - w).abs() <= tol,
                            "portable {m}x{k}x{n} [{i}]: {p} vs {w}"
                        );
                    }
                }
            }
        }
    }

    /// NaN inputs stay NaN through ReLU/ReLU6, as in `FusedActivation::apply`.
    #[test]
    fn nan_survives_the_fused_activation() {
        let packed = PackedMatrix::new(&[1.0; 3], 1, 3, None);
        for act in [FusedActivation::Relu, FusedActivation::Relu6] {
            let mut out = [0.0; 6];
            gemm_packed(&[f32::NAN, -1.0], 1, 2, &packed, act, &mut out);
            assert!(out[..3].iter().all(|v| v.is_nan()), "{act:?}: {out:?}");
            assert_eq!(out[3..], [0.0; 3]);
        }
    }
}

//! Matrix products against a weight matrix packed once: the
//! `[pixels × K] · [K × N]` of every convolution (im2col rows, or the input
//! itself for a 1×1 convolution) and of `Dense`.
//!
//! The weights are stored in [`PANEL`]-column panels (`[panel][k][16]`, the
//! last one zero-padded) with the bias beside them, so a product streams the
//! left matrix straight from memory, never packs it, and never re-packs the
//! weights per call or per tile. The microkernels keep an `MR × 32` (AVX-512)
//! or `6 × 16` (AVX2) block of the output in registers across the whole `K`
//! loop (a `K` over [`LONG_SUM`] summed in chunks of [`SUM_CHUNK`] steps)
//! and apply bias and ReLU/ReLU6 before the one store. A matrix of at most
//! 4 columns (a narrow convolution, a small classifier head) runs a
//! narrow kernel instead: each 8-lane FMA does 2 to 8 steps of `K` for all
//! its columns ([`Narrow`]), where the wide kernels would fill 4 or fewer of
//! their lanes.

use crate::FusedActivation;

/// Columns per packed panel (one AVX-512 register of f32).
pub const PANEL: usize = 16;

/// Steps of `K` a wide kernel sums in its registers before adding that
/// partial sum to the output's running total (kept beside the registers):
/// the sum over `K` in chunks, each chunk's FMAs starting from zero (the
/// first from the bias). One running sum over all of `K` grows, and so does
/// its rounding error: over the 1536 steps of EfficientNetV2-S's last 1×1
/// convolutions on a few pixels it had 3–4× the error of TensorFlow's CPU
/// products (relative 8e-7 against 2e-7 from float64), in chunks of 64 it
/// is at or below theirs. A chunk costs one add per register; products of
/// at most [`LONG_SUM`] steps keep one running sum. Every wide kernel and
/// [`gemm_portable`] sum in the same chunks (the same bits), which end at
/// multiples of `SUM_CHUNK` of the whole `K` whatever the segments (see
/// [`runs`]).
pub(crate) const SUM_CHUNK: usize = 64;

/// Products of at most this many steps keep one running sum (one chunk):
/// every longer one sums in chunks. Chunking only products over 512 steps
/// would save 2–8% of whole models (ResNet-style at batch 32: 1.37 → 1.27
/// ms, A/B), but it left Keras's ResNet50 at 64×64 (random weights) at 2×
/// Keras's own float32 error against float64 and out of the corpus
/// tolerance against Keras; chunked from 64 steps it is at 1.3× and within.
pub(crate) const LONG_SUM: usize = SUM_CHUNK;

/// Steps `q0..q1` of segment `s` of a product's left operand; `flush`: a
/// chunk of [`SUM_CHUNK`] steps ends after them and more steps follow.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    s: usize,
    q0: usize,
    q1: usize,
    flush: bool,
}

/// The runs of a product of `segs` segments of `seg_len` steps in the
/// order they are summed: each segment cut where the whole `K`'s index
/// reaches a multiple of [`SUM_CHUNK`], so the chunks do not depend on how
/// `K` is split in segments (a convolution's kernel rows, or one im2col row).
#[inline]
fn runs(segs: usize, seg_len: usize) -> impl Iterator<Item = Run> {
    let k = segs * seg_len;
    let (mut s, mut q, mut done) = (0, 0, 0);
    std::iter::from_fn(move || {
        if done == k {
            return None;
        }
        if q == seg_len {
            (s, q) = (s + 1, 0);
        }
        let q1 = seg_len.min(q + SUM_CHUNK - done % SUM_CHUNK);
        done += q1 - q;
        let run = Run {
            s,
            q0: q,
            q1,
            flush: k > LONG_SUM && done % SUM_CHUNK == 0 && done < k,
        };
        q = q1;
        Some(run)
    })
}

/// Room for a copy of the registers `acc` (a wide kernel's chunk totals),
/// written at the first chunk's end: uninitialized, so a product of one
/// chunk stores nothing more than before.
#[inline(always)]
fn totals_for<T: Copy, const A: usize, const B: usize>(
    _acc: &[[T; A]; B],
) -> [[std::mem::MaybeUninit<T>; A]; B] {
    [[std::mem::MaybeUninit::uninit(); A]; B]
}

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
    /// At most 4 columns: the layout of the narrow kernel, built at the
    /// first product (it depends on the left operand's segment length).
    narrow: std::sync::OnceLock<Narrow>,
    /// A 3×3 convolution's kernel transformed for Winograd's F(2×2, 3×3),
    /// built at its first product (see `conv::winograd`).
    winograd: std::sync::OnceLock<crate::conv::WinogradKernel>,
    /// This matrix cut into runs of whole panels, for products of a few
    /// rows split over threads by columns ([`PackedMatrix::column_parts`]).
    column_parts: std::sync::OnceLock<Vec<(usize, PackedMatrix)>>,
    /// A convolution kernel's rows of the taps its image reaches, built at
    /// the first product that needs them ([`PackedMatrix::taps_subset`]).
    taps_subset: std::sync::OnceLock<(TapsKey, Box<PackedMatrix>)>,
}

/// Which kernel taps a [`PackedMatrix::taps_subset`] keeps: the kernel's
/// extent and input channels, and the taps kept per spatial dimension.
pub(crate) type TapsKey = ([usize; 3], usize, [std::ops::Range<usize>; 3]);

/// Largest packed matrix that [`PackedMatrix::column_parts`] copies (the
/// parts hold a second copy of the weights).
pub(crate) const COLUMN_PARTS_MAX_BYTES: usize = 4 << 20;

/// Lanes of the narrow kernel's registers (AVX2).
const NARROW_LANES: usize = 8;

/// A matrix of at most 4 columns packed for the narrow kernel: an 8-lane
/// register holds `steps = 8 / width` consecutive rows of `B` (`width`, the
/// columns rounded up to 1, 2 or 4), lane `steps · c + j` being column `c`
/// of the group's row `j`. One FMA then does `steps` steps of `k` for every
/// column instead of one step with most lanes padding, and the steps are
/// added up once per output row. Rows are grouped per left-operand segment
/// of `seg_len` rows, a segment's last group zero-padded.
#[derive(Debug, Clone, PartialEq)]
struct Narrow {
    seg_len: usize,
    /// 1, 2 or 4.
    width: usize,
    /// `[segment][group][NARROW_LANES]`.
    groups: Vec<f32>,
    /// The bias as the kernel's reduced registers hold outputs: lane
    /// `width · r + c` is column `c` (of the register's row `r`).
    bias: [f32; NARROW_LANES],
}

impl Narrow {
    /// Pack `b`'s `n ≤ 4` columns (read from its first panel).
    fn new(b: &PackedMatrix, seg_len: usize) -> Narrow {
        let width = b.n.next_power_of_two();
        let steps = NARROW_LANES / width;
        let per_seg = seg_len.div_ceil(steps);
        let mut groups = vec![0.0f32; b.k / seg_len * per_seg * NARROW_LANES];
        for row in 0..b.k {
            let (s, q) = (row / seg_len, row % seg_len);
            let dst = &mut groups[(s * per_seg + q / steps) * NARROW_LANES..][..NARROW_LANES];
            for c in 0..b.n {
                dst[steps * c + q % steps] = b.panels[row * PANEL + c];
            }
        }
        let mut bias = [0.0f32; NARROW_LANES];
        for r in 0..steps {
            bias[r * width..r * width + b.n].copy_from_slice(&b.bias[..b.n]);
        }
        Narrow {
            seg_len,
            width,
            groups,
            bias,
        }
    }
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
            narrow: std::sync::OnceLock::new(),
            winograd: std::sync::OnceLock::new(),
            column_parts: std::sync::OnceLock::new(),
            taps_subset: std::sync::OnceLock::new(),
        }
    }

    /// This matrix cut into `parts` (at the first call; later calls get
    /// those) runs of whole panels, each with its first column: a product
    /// of one or a few rows (a classifier, the last 4×4 layers of a
    /// MobileNet) has too few rows to split over threads, but each part's
    /// columns are computed exactly as in the whole product (the same
    /// panel, the same sums), so the parts can run on different threads.
    /// `None` for a matrix larger than [`COLUMN_PARTS_MAX_BYTES`] or with
    /// fewer panels than parts.
    pub(crate) fn column_parts(&self, parts: usize) -> Option<&[(usize, PackedMatrix)]> {
        let np = self.n.div_ceil(PANEL);
        if parts < 2 || np < parts || self.panels.len() * 4 > COLUMN_PARTS_MAX_BYTES {
            return None;
        }
        let built = self.column_parts.get_or_init(|| {
            (0..parts)
                .map(|j| {
                    let (p0, p1) = (np * j / parts, np * (j + 1) / parts);
                    let c0 = p0 * PANEL;
                    let n = (p1 * PANEL).min(self.n) - c0;
                    let part = PackedMatrix {
                        k: self.k,
                        n,
                        panels: self.panels[p0 * self.k * PANEL..p1 * self.k * PANEL].to_vec(),
                        bias: self.bias[p0 * PANEL..p1 * PANEL].to_vec(),
                        narrow: std::sync::OnceLock::new(),
                        winograd: std::sync::OnceLock::new(),
                        column_parts: std::sync::OnceLock::new(),
                        taps_subset: std::sync::OnceLock::new(),
                    };
                    (c0, part)
                })
                .collect()
        });
        Some(built)
    }

    /// The narrow kernel's layout for segments of `seg_len` rows, when this
    /// matrix has at most 4 columns and the layout fits (built once: a
    /// matrix is used with one segment length, that of its convolution).
    #[cfg(target_arch = "x86_64")]
    fn narrow(&self, seg_len: usize) -> Option<&Narrow> {
        if self.n > 4 || seg_len == 0 || !self.k.is_multiple_of(seg_len) {
            return None;
        }
        let narrow = self.narrow.get_or_init(|| Narrow::new(self, seg_len));
        (narrow.seg_len == seg_len).then_some(narrow)
    }

    /// This matrix as the kernel of a 3×3 convolution over `in_c` input
    /// channels (`k = 9 · in_c`), transformed for Winograd's F(2×2, 3×3)
    /// (built once: a kernel belongs to one convolution).
    pub(crate) fn winograd(&self, in_c: usize) -> &crate::conv::WinogradKernel {
        debug_assert_eq!(self.k, 9 * in_c);
        self.winograd
            .get_or_init(|| crate::conv::WinogradKernel::new(self, in_c))
    }

    /// This matrix as a convolution kernel of extent `key.0` over `key.1`
    /// input channels (rows in `[k0][k1][k2][c]` order), cut to the taps
    /// `key.2` (per spatial dimension): the kernel of the same convolution
    /// on an image too small for the other taps to reach (a 3×3 "same"
    /// convolution of a 1×1 image is a 1×1 one). Built once; a convolution
    /// later run on an image of another size that needs other taps gets a
    /// matrix built for that call.
    pub(crate) fn taps_subset(&self, key: &TapsKey) -> std::borrow::Cow<'_, PackedMatrix> {
        let build = || {
            let (k, c, live) = key;
            let mut b =
                Vec::with_capacity(live.iter().map(|r| r.len()).product::<usize>() * c * self.n);
            for t0 in live[0].clone() {
                for t1 in live[1].clone() {
                    for t2 in live[2].clone() {
                        for ci in 0..*c {
                            let row = ((t0 * k[1] + t1) * k[2] + t2) * c + ci;
                            b.extend((0..self.n).map(|col| self.value(row, col)));
                        }
                    }
                }
            }
            let rows = b.len() / self.n.max(1);
            PackedMatrix::new(&b, rows, self.n, Some(self.bias()))
        };
        let (built_key, built) = self
            .taps_subset
            .get_or_init(|| (key.clone(), Box::new(build())));
        if built_key == key {
            std::borrow::Cow::Borrowed(built)
        } else {
            std::borrow::Cow::Owned(build())
        }
    }

    /// The value at `row`, `col` of the matrix packed.
    pub(crate) fn value(&self, row: usize, col: usize) -> f32 {
        self.panels[((col / PANEL) * self.k + row) * PANEL + col % PANEL]
    }

    /// The bias (`n` values; zeros when none was given).
    pub(crate) fn bias(&self) -> &[f32] {
        &self.bias[..self.n]
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
        // At most 4 columns: 8 lanes of useful products per FMA beat the
        // 16-lane kernel's 4 or fewer, on AVX-512 CPUs too.
        if crate::simd::has_avx2_fma() {
            if let Some(narrow) = b.narrow(lhs.seg_len) {
                x86::gemm_narrow256(lhs, m, b.n, narrow, act, out);
                return act.apply_after_store(out);
            }
        }
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

/// The left operand of a product whose rows are anywhere: row `i`, column
/// `s * seg_len + j` is `*bases[s].add(offsets[i] + j)`. A convolution's
/// output pixels over a zero-padded input, each row a pixel's window (no
/// im2col copy, and unlike [`Lhs`]'s constant stride no pixels computed to
/// be dropped at the ends of image rows).
pub(crate) struct RowsLhs<'a> {
    pub bases: &'a [*const f32],
    pub seg_len: usize,
    pub offsets: &'a [usize],
}

/// Whether [`gemm_rows`] has a kernel for `b` on this CPU: AVX2 without
/// AVX-512 (whose kernels take constant-stride rows only), and more than 4
/// columns (fewer run the narrow kernel).
pub(crate) fn rows_kernel(b: &PackedMatrix) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        b.n > 4 && crate::simd::has_avx2_fma() && !x86::has_avx512()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = b;
        false
    }
}

/// `out[m × n] = act(lhs · B + bias)` with `m = lhs.offsets.len()`, summed
/// in the order of [`gemm_lhs`] (the same bits for the same segments).
///
/// # Safety
/// [`rows_kernel`]`(b)`; `lhs.bases.len() * lhs.seg_len == b.k()`, and for
/// every segment `s`, row `i` and `j < seg_len`, `bases[s].add(offsets[i] +
/// j)` is a readable f32; `out` has `m * b.n()` values.
pub(crate) unsafe fn gemm_rows(
    lhs: &RowsLhs<'_>,
    b: &PackedMatrix,
    act: FusedActivation,
    out: &mut [f32],
) {
    debug_assert!(rows_kernel(b));
    debug_assert!(lhs.bases.len() * lhs.seg_len == b.k && out.len() == lhs.offsets.len() * b.n);
    #[cfg(target_arch = "x86_64")]
    {
        x86::gemm_avx2(lhs, lhs.offsets.len(), b, act, out);
        act.apply_after_store(out);
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (lhs, b, act, out);
        unreachable!("gemm_rows without rows_kernel");
    }
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
            let mut total: Option<[f32; PANEL]> = None;
            let panel = &b.panels[p * k * PANEL..(p + 1) * k * PANEL];
            for run in runs(lhs.bases.len(), lhs.seg_len) {
                let ar = lhs.bases[run.s].add(i * lhs.row_stride);
                for j in run.q0..run.q1 {
                    let x = *ar.add(j);
                    let wv = &panel[(run.s * lhs.seg_len + j) * PANEL..][..PANEL];
                    for (s, wv) in acc.iter_mut().zip(wv) {
                        *s = x.mul_add(*wv, *s);
                    }
                }
                if run.flush {
                    match &mut total {
                        None => total = Some(acc),
                        Some(t) => t.iter_mut().zip(&acc).for_each(|(t, a)| *t += a),
                    }
                    acc = [0.0; PANEL];
                }
            }
            if let Some(t) = total {
                for (a, t) in acc.iter_mut().zip(t) {
                    *a += t;
                }
            }
            chunk.copy_from_slice(&acc[..chunk.len()]);
        }
        act.apply(row);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{runs, totals_for, Lhs, Narrow, PackedMatrix, RowsLhs, LONG_SUM, PANEL};
    use crate::FusedActivation;
    use std::arch::x86_64::*;

    pub(super) fn has_avx512() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
    }

    /// Cover rows `0..m` with blocks of `$mr`, then 8, 4, 2, 1 rows, calling
    /// `$f::<rows, $np>(first_row, args…)` for each.
    macro_rules! row_blocks {
        ($mr:expr, $m:expr, $f:ident :: <$($np:tt),+>, $($arg:expr),*) => {{
            let mut i = 0;
            while i < $m {
                let left = $m - i;
                let rows = if left >= $mr { $mr } else if left >= 8 { 8 } else if left >= 4 { 4 } else if left >= 2 { 2 } else { 1 };
                match rows {
                    r if r == $mr => $f::<$mr, $($np),+>(i, $($arg),*),
                    8 => $f::<8, $($np),+>(i, $($arg),*),
                    4 => $f::<4, $($np),+>(i, $($arg),*),
                    2 => $f::<2, $($np),+>(i, $($arg),*),
                    _ => $f::<1, $($np),+>(i, $($arg),*),
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
    /// `k`, each chunk of it (`SUM_CHUNK`) `$add`-ed to a running total and
    /// the registers reset to `$zero()`. For each index `$q` of each segment
    /// `$step` runs, with row
    /// `i0 + r`'s value at `$ap.add(r * $rs + $q)` and panel `p0 + j`'s
    /// `PANEL` weights at `$ws.add((j * $k + $q) * PANEL)`; then `$store`.
    /// `$w` is panel `p0`'s first weight, `$k`/`$n` the matrix's sizes.
    macro_rules! block_kernel {
        (
            $(#[$doc:meta])*
            fn $name:ident, $features:literal,
            ($i0:ident, $lhs:ident, $b:ident, $p0:ident, $act:ident, $out:ident; $k:ident, $n:ident, $w:ident),
            let mut $acc:ident = $init:expr;
            chunks summed by $add:ident from $zero:ident;
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
                if $k <= LONG_SUM {
                    // One running sum: the segments in order.
                    for (s, &base) in $lhs.bases.iter().enumerate() {
                        let $ap = base.add($i0 * $rs);
                        let $ws = $w.add(s * $lhs.seg_len * PANEL);
                        for $q in 0..$lhs.seg_len {
                            $step
                        }
                    }
                } else {
                    // The chunks' running total (`SUM_CHUNK`), once a chunk ended.
                    let mut total = totals_for(&$acc);
                    let mut chunked = false;
                    for run in runs($lhs.bases.len(), $lhs.seg_len) {
                        let $ap = $lhs.bases[run.s].add($i0 * $rs);
                        let $ws = $w.add(run.s * $lhs.seg_len * PANEL);
                        for $q in run.q0..run.q1 {
                            $step
                        }
                        if run.flush {
                            for (t, a) in total.iter_mut().zip($acc.iter_mut()) {
                                for (t, a) in t.iter_mut().zip(a.iter_mut()) {
                                    // SAFETY: written at the first chunk's end.
                                    let sum = if chunked { $add(t.assume_init(), *a) } else { *a };
                                    t.write(sum);
                                    *a = $zero();
                                }
                            }
                            chunked = true;
                        }
                    }
                    for (t, a) in total.iter().zip($acc.iter_mut()) {
                        for (t, a) in t.iter().zip(a.iter_mut()) {
                            // SAFETY: k > LONG_SUM = SUM_CHUNK, so a chunk ended and wrote `t`.
                            *a = $add(*a, t.assume_init());
                        }
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
        chunks summed by _mm512_add_ps from _mm512_setzero_ps;
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

    /// At most 4 columns ([`Narrow`]): blocks of 12 rows (then 8, 4, 2,
    /// 1), every row through the same additions whatever its block, so a
    /// pixel's value does not depend on where a tile starts.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gemm_narrow256(
        lhs: &Lhs<'_>,
        m: usize,
        n: usize,
        nw: &Narrow,
        act: FusedActivation,
        out: &mut [f32],
    ) {
        let mut i = 0;
        while i < m {
            let rows = match m - i {
                left if left >= 12 => 12,
                left if left >= 8 => 8,
                left if left >= 4 => 4,
                left => left.min(2),
            };
            let args = (i, lhs, n, nw, act, &mut *out);
            match (nw.width, rows) {
                (4, 12) => narrow_block::<4, 12>(args),
                (4, 8) => narrow_block::<4, 8>(args),
                (4, 4) => narrow_block::<4, 4>(args),
                (4, 2) => narrow_block::<4, 2>(args),
                (4, _) => narrow_block::<4, 1>(args),
                (2, 12) => narrow_block::<2, 12>(args),
                (2, 8) => narrow_block::<2, 8>(args),
                (2, 4) => narrow_block::<2, 4>(args),
                (2, 2) => narrow_block::<2, 2>(args),
                (2, _) => narrow_block::<2, 1>(args),
                (_, 12) => narrow_block::<1, 12>(args),
                (_, 8) => narrow_block::<1, 8>(args),
                (_, 4) => narrow_block::<1, 4>(args),
                (_, 2) => narrow_block::<1, 2>(args),
                _ => narrow_block::<1, 1>(args),
            }
            i += rows;
        }
    }

    /// `steps = 8 / W` consecutive left-operand values from `p`, as the
    /// packed groups expect them (lane `steps · c + j` holds value `j`, for
    /// every column `c`); `count < steps` reads only `count` values (a
    /// segment's last group), the rest zero.
    #[inline(always)]
    unsafe fn narrow_x<const W: usize>(p: *const f32, count: usize) -> __m256 {
        let steps = 8 / W;
        if W == 4 {
            let pair = if count == steps {
                std::ptr::read_unaligned(p as *const f64)
            } else {
                f64::from_bits((*p).to_bits() as u64)
            };
            _mm256_castpd_ps(_mm256_set1_pd(pair))
        } else {
            let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(count as i32), lanes);
            if W == 2 {
                let quad = if count == steps {
                    _mm_loadu_ps(p)
                } else {
                    _mm_maskload_ps(p, _mm256_castsi256_si128(mask))
                };
                _mm256_set_m128(quad, quad)
            } else if count == steps {
                _mm256_loadu_ps(p)
            } else {
                _mm256_maskload_ps(p, mask)
            }
        }
    }

    /// Rows `i0..i0 + MR` against a [`Narrow`] matrix of width `W`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn narrow_block<const W: usize, const MR: usize>(
        (i0, lhs, n, nw, act, out): (usize, &Lhs<'_>, usize, &Narrow, FusedActivation, &mut [f32]),
    ) {
        let steps = 8 / W;
        let seg = lhs.seg_len;
        let (full, tail) = (seg / steps, seg % steps);
        let per_seg = seg.div_ceil(steps);
        let rs = lhs.row_stride;
        let mut acc = [_mm256_setzero_ps(); MR];
        for (s, &base) in lhs.bases.iter().enumerate() {
            let ap = base.add(i0 * rs);
            let ws = nw.groups.as_ptr().add(s * per_seg * 8);
            for g in 0..full {
                let wv = _mm256_loadu_ps(ws.add(g * 8));
                for (r, a) in acc.iter_mut().enumerate() {
                    let xv = narrow_x::<W>(ap.add(r * rs + g * steps), steps);
                    *a = _mm256_fmadd_ps(xv, wv, *a);
                }
            }
            if tail > 0 {
                let wv = _mm256_loadu_ps(ws.add(full * 8));
                for (r, a) in acc.iter_mut().enumerate() {
                    let xv = narrow_x::<W>(ap.add(r * rs + full * steps), tail);
                    *a = _mm256_fmadd_ps(xv, wv, *a);
                }
            }
        }
        // Each register's steps added up per column: `steps` rows of `W`
        // outputs per reduced register (missing rows are zeros).
        let zero = _mm256_setzero_ps();
        let bias = _mm256_loadu_ps(nw.bias.as_ptr());
        let get = |r: usize| if r < MR { acc[r] } else { zero };
        let mut r0 = 0;
        while r0 < MR {
            let v = if W == 4 {
                // Lanes [c0 j0, c0 j1, c1 j0, …] of rows r0, r0 + 1.
                let h = _mm256_hadd_ps(get(r0), get(r0 + 1));
                _mm256_permutevar8x32_ps(h, _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7))
            } else if W == 2 {
                let h01 = _mm256_hadd_ps(get(r0), get(r0 + 1));
                let h23 = _mm256_hadd_ps(get(r0 + 2), get(r0 + 3));
                let h = _mm256_hadd_ps(h01, h23);
                _mm256_permutevar8x32_ps(h, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
            } else {
                let h01 = _mm256_hadd_ps(get(r0), get(r0 + 1));
                let h23 = _mm256_hadd_ps(get(r0 + 2), get(r0 + 3));
                let h45 = _mm256_hadd_ps(get(r0 + 4), get(r0 + 5));
                let h67 = _mm256_hadd_ps(get(r0 + 6), get(r0 + 7));
                let q0 = _mm256_hadd_ps(h01, h23);
                let q1 = _mm256_hadd_ps(h45, h67);
                _mm256_add_ps(
                    _mm256_permute2f128_ps::<0x20>(q0, q1),
                    _mm256_permute2f128_ps::<0x31>(q0, q1),
                )
            };
            let v = act256(act, _mm256_add_ps(v, bias));
            let rows = steps.min(MR - r0);
            let o = out.as_mut_ptr().add((i0 + r0) * n);
            if n == W {
                store256(o, v, rows * W);
            } else {
                let mut tmp = [0.0f32; 8];
                _mm256_storeu_ps(tmp.as_mut_ptr(), v);
                for r in 0..rows {
                    std::ptr::copy_nonoverlapping(tmp.as_ptr().add(r * W), o.add(r * n), n);
                }
            }
            r0 += steps;
        }
    }

    /// A left operand's rows for the AVX2 kernel: its segments (bases and
    /// length, as every left operand has them) and each row's offset from
    /// the bases.
    pub(super) trait Rows {
        fn segments(&self) -> (&[*const f32], usize);
        fn offset(&self, row: usize) -> usize;
    }

    impl Rows for Lhs<'_> {
        fn segments(&self) -> (&[*const f32], usize) {
            (self.bases, self.seg_len)
        }
        #[inline(always)]
        fn offset(&self, row: usize) -> usize {
            row * self.row_stride
        }
    }

    impl Rows for RowsLhs<'_> {
        fn segments(&self) -> (&[*const f32], usize) {
            (self.bases, self.seg_len)
        }
        #[inline(always)]
        fn offset(&self, row: usize) -> usize {
            self.offsets[row]
        }
    }

    /// Per panel, blocks of 6 rows of `lhs` (a constant-stride [`Lhs`] or a
    /// [`RowsLhs`]), or 12 when only the first half of the panel is real.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gemm_avx2<L: Rows>(
        lhs: &L,
        m: usize,
        b: &PackedMatrix,
        act: FusedActivation,
        out: &mut [f32],
    ) {
        // A kernel without the chunks' code for one chunk: with it (unused)
        // products of 8 and 27 steps took 16% and 9% longer.
        if b.k <= LONG_SUM {
            gemm_avx2_chunks::<L, false>(lhs, m, b, act, out)
        } else {
            gemm_avx2_chunks::<L, true>(lhs, m, b, act, out)
        }
    }

    /// [`gemm_avx2`] with `CHUNKED` when `k > LONG_SUM`.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn gemm_avx2_chunks<L: Rows, const CHUNKED: bool>(
        lhs: &L,
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
                row_blocks!(12, m, block256::<1, CHUNKED>, lhs, b, p, act, out);
            } else {
                row_blocks!(6, m, block256::<2, CHUNKED>, lhs, b, p, act, out);
            }
        }
    }

    /// Rows `i0..i0+MR` × the first `HALVES` 8-lane halves of panel `p0`,
    /// kept in registers over all of `k`: per segment a pointer per row,
    /// then per step of the segment one FMA per row and half; `CHUNKED`
    /// (`k > LONG_SUM`): the segments cut in [`runs`], the registers added
    /// to a running total at each chunk's end.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block256<const MR: usize, const HALVES: usize, const CHUNKED: bool>(
        i0: usize,
        lhs: &impl Rows,
        b: &PackedMatrix,
        p0: usize,
        act: FusedActivation,
        out: &mut [f32],
    ) {
        let (k, n) = (b.k, b.n);
        let w = b.panels.as_ptr().add(p0 * k * PANEL);
        let bias = b.bias.as_ptr().add(p0 * PANEL);
        // With one half the second stays a constant zero, never stored, so
        // that the compiler keeps all `MR` rows in registers (12 rows of
        // two halves spilled to the stack in every step: a third of the
        // speed on 8-column products).
        let upper = match HALVES {
            2 => _mm256_loadu_ps(bias.add(8)),
            _ => _mm256_setzero_ps(),
        };
        let mut acc = [[_mm256_loadu_ps(bias), upper]; MR];
        let offsets: [usize; MR] = std::array::from_fn(|r| lhs.offset(i0 + r));
        let (bases, seg_len) = lhs.segments();
        // Steps `q0..q1` of the segment at `base` (segment `s`) into `acc`.
        macro_rules! sweep {
            ($base:expr, $s:expr, $q0:expr, $q1:expr) => {{
                let rows: [*const f32; MR] = std::array::from_fn(|r| $base.add(offsets[r]));
                let ws = w.add($s * seg_len * PANEL);
                for q in $q0..$q1 {
                    let w0 = _mm256_loadu_ps(ws.add(q * PANEL));
                    let w1 = if HALVES == 2 {
                        _mm256_loadu_ps(ws.add(q * PANEL + 8))
                    } else {
                        w0
                    };
                    for (row, ap) in acc.iter_mut().zip(rows) {
                        let x = _mm256_set1_ps(*ap.add(q));
                        row[0] = _mm256_fmadd_ps(x, w0, row[0]);
                        if HALVES == 2 {
                            row[1] = _mm256_fmadd_ps(x, w1, row[1]);
                        }
                    }
                }
            }};
        }
        if !CHUNKED {
            // One running sum (`k <= LONG_SUM`): the segments in order.
            for (s, &base) in bases.iter().enumerate() {
                sweep!(base, s, 0, seg_len);
            }
        } else {
            // The chunks' running total (`SUM_CHUNK`), once a chunk ended.
            let mut total = totals_for(&acc);
            let mut chunked = false;
            for run in runs(bases.len(), seg_len) {
                sweep!(bases[run.s], run.s, run.q0, run.q1);
                if run.flush {
                    for (t, a) in total.iter_mut().zip(acc.iter_mut()) {
                        for h in 0..HALVES {
                            // SAFETY: written at the first chunk's end.
                            let sum = if chunked {
                                _mm256_add_ps(t[h].assume_init(), a[h])
                            } else {
                                a[h]
                            };
                            t[h].write(sum);
                            a[h] = _mm256_setzero_ps();
                        }
                    }
                    chunked = true;
                }
            }
            for (t, a) in total.iter().zip(acc.iter_mut()) {
                for h in 0..HALVES {
                    // SAFETY: CHUNKED: k > LONG_SUM = SUM_CHUNK, so a chunk ended and wrote `t[h]`.
                    a[h] = _mm256_add_ps(a[h], t[h].assume_init());
                }
            }
        }
        // Stored straight from the registers (a masked store for a last
        // panel's tail): a copy through a stack tile costs a `memcpy` call
        // per row, which dominated products with few output channels.
        let c0 = p0 * PANEL;
        let valid = PANEL.min(n - c0);
        for (r, row) in acc.iter().enumerate() {
            let o = out.as_mut_ptr().add((i0 + r) * n + c0);
            store256(o, act256(act, row[0]), valid.min(8));
            if HALVES == 2 && valid > 8 {
                store256(o.add(8), act256(act, row[1]), valid - 8);
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

    /// At most 4 columns (the narrow kernel) and more: left operands in
    /// several segments (a convolution's kernel rows) whose length is not a
    /// multiple of a register's steps, every row-block size, against the
    /// float64 reference; and a row gives the same bits whichever block it
    /// falls in (alone, or inside a larger product).
    #[test]
    fn narrow_products_by_segments_match_the_naive_product() {
        for n in [1, 2, 3, 4, 5, 7, 8] {
            for seg_len in [1, 2, 3, 4, 5, 9, 12] {
                for segs in [1, 3] {
                    let k = seg_len * segs;
                    for m in [1, 2, 3, 5, 16, 17, 30] {
                        // Row i, segment s at a[s * 7 + i * stride ..]: the
                        // segments overlap other rows' values, as in a convolution.
                        let stride = seg_len + 2;
                        let a = values(segs * 7 + (m - 1) * stride + seg_len + 1, n + m);
                        let b = values(k * n, seg_len);
                        let bias = values(n, 5);
                        let packed = PackedMatrix::new(&b, k, n, Some(&bias));
                        let (bases, dense) = segmented(&a, 7, segs, seg_len, m, stride);
                        let lhs = Lhs {
                            bases: &bases,
                            seg_len,
                            row_stride: stride,
                        };
                        let want = naive(&dense, k, m, &b, k, n, Some(&bias));
                        let mut got = vec![f32::NAN; m * n];
                        // SAFETY: every segment's rows lie inside `a`.
                        unsafe { gemm_lhs(&lhs, m, &packed, FusedActivation::Relu, &mut got) };
                        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                            let w = w.max(0.0);
                            let tol = 1e-5 * (k as f32).sqrt() * (1.0 + w.abs());
                            assert!(
                                (g - w).abs() <= tol,
                                "m={m} n={n} seg={seg_len}x{segs} [{i}]: {g} vs {w}"
                            );
                        }
                        for i in 0..m {
                            let one: Vec<*const f32> =
                                bases.iter().map(|p| p.wrapping_add(i * stride)).collect();
                            let row = Lhs {
                                bases: &one,
                                seg_len,
                                row_stride: stride,
                            };
                            let mut alone = vec![f32::NAN; n];
                            // SAFETY: row i of the product above.
                            unsafe {
                                gemm_lhs(&row, 1, &packed, FusedActivation::Relu, &mut alone)
                            };
                            let bits =
                                |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                            assert_eq!(bits(&alone), bits(&got[i * n..(i + 1) * n]), "row {i}");
                        }
                    }
                }
            }
        }
    }

    /// A convolution-like left operand of `m` rows in `segs` segments:
    /// row `i`'s segment `s` at `a[s * gap + i * stride..][..seg_len]`
    /// (overlapping other rows' values). The segments' bases, and the same
    /// matrix dense (`m × segs·seg_len`).
    fn segmented(
        a: &[f32],
        gap: usize,
        segs: usize,
        seg_len: usize,
        m: usize,
        stride: usize,
    ) -> (Vec<*const f32>, Vec<f32>) {
        let bases = (0..segs).map(|s| a[s * gap..].as_ptr()).collect();
        let k = segs * seg_len;
        let mut dense = vec![0.0f32; m * k];
        for i in 0..m {
            for s in 0..segs {
                for j in 0..seg_len {
                    dense[i * k + s * seg_len + j] = a[s * gap + i * stride + j];
                }
            }
        }
        (bases, dense)
    }

    /// Uniform pseudo-random values in [-1, 1) (a 64-bit LCG).
    fn noise(len: usize, seed: u64) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((x >> 40) as f32) / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// The runs cut every segment at the multiples of `SUM_CHUNK` of the
    /// whole `K`, and only there (besides the segments' ends).
    #[test]
    fn runs_cut_at_multiples_of_the_chunk_whatever_the_segments() {
        for (segs, seg_len) in [
            (1, 1),
            (1, 64),
            (1, 65),
            (3, 50),
            (4, 64),
            (30, 9),
            (2, 200),
            (3, 300),
            (60, 9),
            (1, 513),
        ] {
            let k = segs * seg_len;
            let mut next = 0;
            let mut flushes = vec![];
            for r in runs(segs, seg_len) {
                let start = r.s * seg_len + r.q0;
                assert_eq!(start, next, "{segs}x{seg_len}: {r:?} leaves a gap");
                assert!(r.q0 < r.q1 && r.q1 <= seg_len, "{segs}x{seg_len}: {r:?}");
                next = r.s * seg_len + r.q1;
                assert!(
                    next % SUM_CHUNK == 0 || r.q1 == seg_len,
                    "{segs}x{seg_len}: {r:?} cut inside a chunk"
                );
                if r.flush {
                    flushes.push(next);
                }
            }
            assert_eq!(next, k, "{segs}x{seg_len}: the runs end at k");
            let want: Vec<usize> = (1..)
                .map(|c| c * SUM_CHUNK)
                .take_while(|&e| e < k && k > LONG_SUM)
                .collect();
            assert_eq!(flushes, want, "{segs}x{seg_len}");
        }
    }

    /// Products longer than a chunk: every kernel (the vector ones, the
    /// portable one) gives the same bits, whether `K` comes in one segment
    /// (an im2col row) or in several (a convolution's kernel rows) that
    /// chunks straddle, and stays within the float64 reference's tolerance.
    #[test]
    fn chunked_sums_give_the_same_bits_in_every_kernel_and_segmentation() {
        for (m, seg_len, segs, n) in [
            (7, 150, 4, 40),
            (13, 64, 9, 17),
            (3, 700, 1, 33),
            (5, 9, 60, 24),
        ] {
            let k = seg_len * segs;
            let stride = seg_len + 3;
            let a = noise(segs * 11 + (m - 1) * stride + seg_len, 1);
            let b = noise(k * n, 2);
            let bias = noise(n, 3);
            let packed = PackedMatrix::new(&b, k, n, Some(&bias));
            let (bases, dense) = segmented(&a, 11, segs, seg_len, m, stride);
            let lhs = Lhs {
                bases: &bases,
                seg_len,
                row_stride: stride,
            };
            let one = [dense.as_ptr()];
            let dense_lhs = Lhs {
                bases: &one,
                seg_len: k,
                row_stride: k,
            };
            let act = FusedActivation::Linear;
            let run = |lhs: &Lhs, portable: bool| {
                let mut out = vec![f32::NAN; m * n];
                // SAFETY: every segment's rows lie inside `a` / `dense`.
                unsafe {
                    if portable {
                        gemm_portable(lhs, m, &packed, act, &mut out)
                    } else {
                        gemm_lhs(lhs, m, &packed, act, &mut out)
                    }
                };
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            let want = run(&lhs, true);
            let what = format!("{m}x{seg_len}x{segs}->{n}");
            assert_eq!(run(&lhs, false), want, "{what}: vector kernel, segments");
            assert_eq!(
                run(&dense_lhs, false),
                want,
                "{what}: vector kernel, one segment"
            );
            assert_eq!(run(&dense_lhs, true), want, "{what}: portable, one segment");
            #[cfg(target_arch = "x86_64")]
            if crate::simd::has_avx2_fma() {
                let mut avx2 = vec![f32::NAN; m * n];
                // SAFETY: as above; the CPU has AVX2 and FMA.
                unsafe { x86::gemm_avx2(&lhs, m, &packed, act, &mut avx2) };
                let bits: Vec<u32> = avx2.iter().map(|v| v.to_bits()).collect();
                assert_eq!(bits, want, "{what}: AVX2 kernel");
            }
            let reference = naive(&dense, k, m, &b, k, n, Some(&bias));
            for (i, (g, w)) in want.iter().zip(&reference).enumerate() {
                let g = f32::from_bits(*g);
                let tol = 1e-5 * (k as f32).sqrt() * (1.0 + w.abs());
                assert!((g - w).abs() <= tol, "{what} [{i}]: {g} vs {w}");
            }
        }
    }

    /// A long sum (EfficientNetV2-S's 1536-step 1×1 convolutions on a few
    /// pixels) in chunks is clearly closer to the float64 product than one
    /// running FMA sum over all of `K` from the bias (the kernels' former
    /// arithmetic, XNNPACK's).
    #[test]
    fn long_sums_in_chunks_are_closer_to_float64_than_one_running_sum() {
        let (m, k, n) = (4, 1536, 64);
        let a = noise(m * k, 5);
        let b = noise(k * n, 6);
        let bias = noise(n, 7);
        let packed = PackedMatrix::new(&b, k, n, Some(&bias));
        let mut got = vec![0.0f32; m * n];
        gemm_packed(&a, k, m, &packed, FusedActivation::Linear, &mut got);
        let (mut err, mut err_running, mut norm) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..m {
            for j in 0..n {
                let (mut exact, mut running) = (bias[j] as f64, bias[j]);
                for p in 0..k {
                    exact += a[i * k + p] as f64 * b[p * n + j] as f64;
                    running = a[i * k + p].mul_add(b[p * n + j], running);
                }
                err += (got[i * n + j] as f64 - exact).powi(2);
                err_running += (running as f64 - exact).powi(2);
                norm += exact * exact;
            }
        }
        let (err, err_running) = ((err / norm).sqrt(), (err_running / norm).sqrt());
        assert!(
            err < 0.5 * err_running,
            "relative error {err:.2e} in chunks, {err_running:.2e} in one running sum"
        );
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

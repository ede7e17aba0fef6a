//! Matrix products over the `gemm` crate.

use crate::geom::assert_len;
use gemm::Parallelism;

/// Whether a product of this size is worth splitting across threads.
#[inline]
pub(crate) fn worth_parallel(m: usize, k: usize, n: usize) -> bool {
    rayon::current_num_threads() > 1
        && m.saturating_mul(k).saturating_mul(n) >= crate::PARALLEL_THRESHOLD_FLOPS
}

/// Raw strided product: `c[i*ldc + j] (+)= Σ_p a[i*lda + p] · b(p, j)` where
/// `b(p, j) = b[p*b_rs + j*b_cs]`.
///
/// # Safety
/// All pointers must be valid for the addressed elements and `c` must not alias `a`/`b`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm_raw(
    m: usize,
    k: usize,
    n: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    b_rs: usize,
    b_cs: usize,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
    parallel: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                std::slice::from_raw_parts_mut(c.add(i * ldc), n).fill(0.0);
            }
        }
        return;
    }
    let par = if parallel {
        Parallelism::Rayon(rayon::current_num_threads())
    } else {
        Parallelism::None
    };
    gemm::gemm(
        m,
        n,
        k,
        c,
        1,
        ldc as isize,
        accumulate,
        a,
        1,
        lda as isize,
        b,
        b_cs as isize,
        b_rs as isize,
        1.0,
        1.0,
        false,
        false,
        false,
        par,
    );
}

/// `pub fn $name(a, $b, m, k, n, out, accumulate)`: `out[m×n] (+)= a[m×k] · b`
/// through [`checked_product`], with `b(p, j) = $b[p * n + j]`, or
/// `$b[j * k + p]` when `$transposed` (`$b` is then `[n×k]`).
macro_rules! product {
    ($(#[$doc:meta])* $name:ident($b:ident, transposed: $transposed:literal)) => {
        $(#[$doc])*
        pub fn $name(a: &[f32], $b: &[f32], m: usize, k: usize, n: usize, out: &mut [f32], accumulate: bool) {
            let (dims, strides) = if $transposed { ([n, k], [1, k]) } else { ([k, n], [n, 1]) };
            let rhs = Rhs { name: stringify!($b), values: $b, dims, strides };
            checked_product(stringify!($name), a, rhs, [m, k, n], out, accumulate);
        }
    };
}

product!(
    /// `out[m×n] = a[m×k] · b[k×n]`, or `out += a·b` when `accumulate`.
    ///
    /// All matrices are row-major and dense. Large products use rayon's global
    /// pool; small ones run on the calling thread.
    ///
    /// # Panics
    /// If a slice length does not match its dimensions.
    ///
    /// ```
    /// use tfjs_kernels::matmul;
    /// let a = [1.0, 2.0, 3.0, 4.0]; // 2×2
    /// let b = [1.0, 0.0, 1.0, 1.0, 1.0, 0.0]; // 2×3
    /// let mut out = [0.0; 6];
    /// matmul(&a, &b, 2, 2, 3, &mut out, false);
    /// assert_eq!(out, [3.0, 2.0, 1.0, 7.0, 4.0, 3.0]);
    /// ```
    matmul(b, transposed: false)
);

product!(
    /// `out[m×n] (+)= a[m×k] · btᵀ` where `bt` is `[n×k]` row-major (i.e. `b` transposed),
    /// the layout of e.g. a Keras `Conv2DTranspose` kernel viewed as a matrix.
    ///
    /// # Panics
    /// If a slice length does not match its dimensions.
    ///
    /// ```
    /// use tfjs_kernels::matmul_bt;
    /// let a = [1.0, 2.0]; // 1×2
    /// let bt = [1.0, 1.0, 3.0, -1.0]; // 2×2, rows are columns of b
    /// let mut out = [0.0; 2];
    /// matmul_bt(&a, &bt, 1, 2, 2, &mut out, false);
    /// assert_eq!(out, [3.0, 1.0]);
    /// ```
    matmul_bt(bt, transposed: true)
);

/// The right operand of [`matmul`] / [`matmul_bt`]: `values` hold `dims`
/// (row-major; `name` says which argument in errors), and `b(p, j)` of the
/// product is `values[p * strides[0] + j * strides[1]]`.
struct Rhs<'a> {
    name: &'static str,
    values: &'a [f32],
    dims: [usize; 2],
    strides: [usize; 2],
}

/// `out[m×n] (+)= a[m×k] · b` after checking every length (panics naming `op`).
fn checked_product(
    op: &str,
    a: &[f32],
    b: Rhs,
    [m, k, n]: [usize; 3],
    out: &mut [f32],
    accumulate: bool,
) {
    assert_len(op, "a", a.len(), &[m, k]);
    assert_len(op, b.name, b.values.len(), &b.dims);
    assert_len(op, "out", out.len(), &[m, n]);
    // SAFETY: lengths checked above, so every b(p, j) lies in `b.values`;
    // `out` is a unique borrow.
    unsafe {
        gemm_raw(
            m,
            k,
            n,
            a.as_ptr(),
            k,
            b.values.as_ptr(),
            b.strides[0],
            b.strides[1],
            out.as_mut_ptr(),
            n,
            accumulate,
            worth_parallel(m, k, n),
        )
    }
}

/// Fill every `bias.len()`-long row of `out` with `bias` (or zeros when `None`).
pub(crate) fn fill_rows(out: &mut [f32], bias: Option<&[f32]>, n: usize) {
    if n == 0 {
        return;
    }
    match bias {
        Some(b) => {
            for row in out.chunks_exact_mut(n) {
                row.copy_from_slice(b);
            }
        }
        None => out.fill(0.0),
    }
}

/// Add `bias` to every `bias.len()`-long row of `out`.
///
/// # Panics
/// If `out.len()` is not a multiple of `bias.len()`.
///
/// ```
/// use tfjs_kernels::add_bias;
/// let mut x = [1.0, 2.0, 3.0, 4.0];
/// add_bias(&mut x, &[10.0, 20.0]);
/// assert_eq!(x, [11.0, 22.0, 13.0, 24.0]);
/// ```
pub fn add_bias(out: &mut [f32], bias: &[f32]) {
    if bias.is_empty() {
        assert!(out.is_empty(), "add_bias: empty bias for non-empty output");
        return;
    }
    assert!(
        out.len().is_multiple_of(bias.len()),
        "add_bias: output length {} is not a multiple of the bias length {}",
        out.len(),
        bias.len()
    );
    for row in out.chunks_exact_mut(bias.len()) {
        for (o, b) in row.iter_mut().zip(bias) {
            *o += *b;
        }
    }
}

/// A Dense layer (and the batched input projection of recurrent layers):
/// `out[m×n] = x[m×k] · kernel[k×n] + bias`.
///
/// For an RNN, pass all timesteps at once (`m = batch * time`) to project the
/// whole sequence with one matrix product.
///
/// # Panics
/// If a slice length does not match its dimensions.
///
/// ```
/// use tfjs_kernels::dense;
/// let x = [1.0, 2.0]; // 1×2
/// let w = [1.0, 2.0, 3.0, 4.0]; // 2×2
/// let mut out = [0.0; 2];
/// dense(&x, &w, Some(&[0.5, -0.5]), 1, 2, 2, &mut out);
/// assert_eq!(out, [7.5, 9.5]);
/// ```
pub fn dense(
    x: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    m: usize,
    k: usize,
    n: usize,
    out: &mut [f32],
) {
    assert_len("dense", "out", out.len(), &[m, n]);
    if let Some(b) = bias {
        assert_len("dense", "bias", b.len(), &[n]);
        fill_rows(out, Some(b), n);
        matmul(x, kernel, m, k, n, out, true);
    } else {
        matmul(x, kernel, m, k, n, out, false);
    }
}

//! 3×3 stride-1 2-D convolutions by Winograd's minimal filtering
//! F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
//! Networks", 2015): each 2×2 block of output pixels (a *tile*) is
//! `Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A` of its 4×4 input window `d`, and the
//! sum over input channels is 16 matrix products `[tiles × in_c] ·
//! [in_c × out_c]`, one per point of the transformed window: 16
//! multiply-adds per tile and channel pair where the direct convolution
//! does 36 (2.25× fewer). The transformed kernel `G g Gᵀ` is built once per
//! packed kernel, at its first use.
//!
//! The transforms only add, subtract and halve, so the results differ
//! from the direct sum by float32 rounding of the same order (the kernel
//! reference tests hold both to the same naive f64 convolution). A pixel's
//! value depends only on its window: not on the batch, the tile block or
//! the thread, as in the direct path.

use crate::geom::Geom;
use crate::packed::{gemm_packed, PackedMatrix};
use crate::team;
use crate::FusedActivation as Activation;

/// Fewest input and output channels: with fewer the transforms cost more
/// than the multiply-adds they save (VGG-style's 3-channel first layer).
const MIN_CHANNELS: usize = 32;

/// Fewest tiles per parallel task (a product of fewer rows than the
/// microkernel's 6 wastes its registers).
const MIN_TASK_TILES: usize = 12;

/// Whether a convolution runs here: 2-D, a 3×3 kernel, stride and
/// dilation 1, enough channels, and at least 2 output rows and columns and
/// 4 tiles per image (with fewer, a batch of one runs its 16 products a row
/// at a time: 2.4x slower than the direct path on 2×2 images). Decided by
/// the geometry alone, never by the batch, so a model's numbers do not
/// depend on its batch size.
pub(super) fn applies(g: &Geom) -> bool {
    g.k == [1, 3, 3]
        && g.in_sp[0] == 1
        && g.stride == [1, 1, 1]
        && g.dil == [1, 1, 1]
        && g.pad[0] == 0
        && g.in_c >= MIN_CHANNELS
        && g.out_c >= MIN_CHANNELS
        && g.out_sp[1] >= 2
        && g.out_sp[2] >= 2
        && g.out_sp[1].div_ceil(2) * g.out_sp[2].div_ceil(2) >= 4
}

/// A 3×3 kernel (`[3 × 3 × in_c] × out_c`, HWIO rows) transformed for
/// F(2×2, 3×3): point `ξ = 4i + j` of `G g Gᵀ` for every channel pair, as
/// 16 packed `in_c × out_c` matrices.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WinogradKernel {
    points: Vec<PackedMatrix>,
}

impl WinogradKernel {
    /// Transform `packed` (the kernel of a 3×3 convolution over `in_c`
    /// channels) in f64, each point rounded once to f32.
    pub(crate) fn new(packed: &PackedMatrix, in_c: usize) -> WinogradKernel {
        let oc = packed.n();
        let mut points = vec![vec![0.0f32; in_c * oc]; 16];
        for ic in 0..in_c {
            for o in 0..oc {
                let g = |kh: usize, kw: usize| packed.value((kh * 3 + kw) * in_c + ic, o) as f64;
                // G g: 4 × 3, then (G g) Gᵀ: 4 × 4.
                let gg: [[f64; 3]; 4] = std::array::from_fn(|i| {
                    std::array::from_fn(|kw| {
                        let (a, b, c) = (g(0, kw), g(1, kw), g(2, kw));
                        [a, (a + b + c) / 2.0, (a - b + c) / 2.0, c][i]
                    })
                });
                for (i, [a, b, c]) in gg.into_iter().enumerate() {
                    let u = [a, (a + b + c) / 2.0, (a - b + c) / 2.0, c];
                    for (j, u) in u.into_iter().enumerate() {
                        points[i * 4 + j][ic * oc + o] = u as f32;
                    }
                }
            }
        }
        WinogradKernel {
            points: points
                .iter()
                .map(|m| PackedMatrix::new(m, in_c, oc, None))
                .collect(),
        }
    }
}

/// `out = act(conv(input) + bias)` for a geometry [`applies`] accepts
/// (padding read as zeros, no padded copy), tile rows spread over rayon
/// when `parallel`.
pub(super) fn conv_winograd(
    input: &[f32],
    packed: &PackedMatrix,
    g: &Geom,
    act: Activation,
    out: &mut [f32],
    parallel: bool,
) {
    debug_assert!(applies(g));
    let kernel = packed.winograd(g.in_c);
    let [_, out_h, out_w] = g.out_sp;
    let (tiles_h, tiles_w) = (out_h.div_ceil(2), out_w.div_ceil(2));
    let tile_rows = g.batch * tiles_h;
    let row_len = out_w * g.out_c;
    let threads = team::threads();
    let per_task = if parallel && threads > 1 {
        tile_rows
            .div_ceil(threads * 4)
            .max(MIN_TASK_TILES.div_ceil(tiles_w))
    } else {
        tile_rows
    };
    // A tile row's output rows (2, or 1 at the end of an odd-height image)
    // follow the previous one's in `out`: each task gets one run of `out`.
    let mut ranges = Vec::with_capacity(tile_rows.div_ceil(per_task));
    let mut start = 0;
    for first in (0..tile_rows).step_by(per_task.max(1)) {
        let end = (first + per_task).min(tile_rows);
        let rows: usize = (first..end)
            .map(|tr| 2.min(out_h - 2 * (tr % tiles_h)))
            .sum();
        ranges.push(start..start + rows * row_len);
        start += rows * row_len;
    }
    let split = ranges.len() > 1;
    team::for_each_range(out, &ranges, split, |scratch: &mut Scratch, i, chunk| {
        let first = i * per_task;
        let end = (first + per_task).min(tile_rows);
        tile_rows_task(input, kernel, packed.bias(), g, first..end, chunk, scratch);
        act.apply(chunk);
    });
}

/// Per-thread buffers: the transformed inputs `V` (`[16][tiles][in_c]`)
/// and products `M` (`[16][tiles][out_c]`) of one block of tiles.
#[derive(Default)]
struct Scratch {
    v: Vec<f32>,
    m: Vec<f32>,
}

/// Tiles per block: `V` and `M` of a block within about 128 KiB (half an
/// L2; 256 KiB was 4–15% slower on DenseNet's 8×8 and 4×4 images), a
/// multiple of the AVX2 microkernel's 6 rows, 6 to 96.
fn block_tiles(g: &Geom) -> usize {
    let fit = (32 * 1024 / 16) / (g.in_c + g.out_c);
    (fit / 6 * 6).clamp(6, 96)
}

/// The tiles of tile rows `rows` (flat over batch × tiles_h) into `chunk`,
/// which starts at the first of those rows' output rows.
fn tile_rows_task(
    input: &[f32],
    kernel: &WinogradKernel,
    bias: &[f32],
    g: &Geom,
    rows: std::ops::Range<usize>,
    chunk: &mut [f32],
    scratch: &mut Scratch,
) {
    let (c, oc) = (g.in_c, g.out_c);
    let tiles_w = g.out_sp[2].div_ceil(2);
    let tiles_h = g.out_sp[1].div_ceil(2);
    let per_block = block_tiles(g);
    // Points one cache line further apart than a block's values: at a
    // multiple of 4 KiB apart the 16 points' streams fall into the same
    // L1 set (8 ways), which made the input transform 3x slower.
    let (v_point, m_point) = (per_block * c + 16, per_block * oc + 16);
    let Scratch { v, m } = scratch;
    v.resize(16 * v_point, 0.0);
    m.resize(16 * m_point, 0.0);
    // The output row (flat over batch × out_h) at the start of `chunk`.
    let first_row = {
        let (n, ty) = (rows.start / tiles_h, rows.start % tiles_h);
        n * g.out_sp[1] + 2 * ty
    };
    let tiles = rows.start * tiles_w..rows.end * tiles_w;
    let mut t0 = tiles.start;
    while t0 < tiles.end {
        let count = per_block.min(tiles.end - t0);
        let block = Block {
            g,
            first_tile: t0,
            count,
            v_point,
            m_point,
        };
        input_transform(input, &block, v);
        for (xi, point) in kernel.points.iter().enumerate() {
            let a = &v[xi * v_point..][..count * c];
            let prod = &mut m[xi * m_point..][..count * oc];
            gemm_packed(a, c, count, point, Activation::Linear, prod);
        }
        output_transform(m, bias, &block, first_row, chunk);
        t0 += count;
    }
}

/// Tiles `first_tile..first_tile + count` (flat over batch × tiles_h ×
/// tiles_w) of `g`; each point's values `v_point` (inputs) and `m_point`
/// (products) after the previous point's in the buffers.
struct Block<'a> {
    g: &'a Geom,
    first_tile: usize,
    count: usize,
    v_point: usize,
    m_point: usize,
}

impl Block<'_> {
    /// Tile `t`'s image, tile row and tile column.
    fn tile(&self, t: usize) -> (usize, usize, usize) {
        let tiles_w = self.g.out_sp[2].div_ceil(2);
        let tiles_h = self.g.out_sp[1].div_ceil(2);
        let t = self.first_tile + t;
        (t / (tiles_w * tiles_h), t / tiles_w % tiles_h, t % tiles_w)
    }
}

/// Values the transforms handle per instruction: an AVX2 register (8), or
/// one `f32` (other CPUs, and the channels left after the last full
/// register).
///
/// # Safety
/// The methods use the type's instructions: call them only where the CPU
/// has them (an `f32` anywhere, an `__m256` inside AVX2 code).
trait Lanes: Copy {
    const W: usize;
    unsafe fn zero() -> Self;
    /// The first `W` values of `src`.
    unsafe fn load(src: &[f32]) -> Self;
    /// Into the first `W` values of `dst`.
    unsafe fn store(self, dst: &mut [f32]);
    unsafe fn add(self, other: Self) -> Self;
    unsafe fn sub(self, other: Self) -> Self;
}

impl Lanes for f32 {
    const W: usize = 1;
    #[inline(always)]
    unsafe fn zero() -> f32 {
        0.0
    }
    #[inline(always)]
    unsafe fn load(src: &[f32]) -> f32 {
        src[0]
    }
    #[inline(always)]
    unsafe fn store(self, dst: &mut [f32]) {
        dst[0] = self;
    }
    #[inline(always)]
    unsafe fn add(self, other: f32) -> f32 {
        self + other
    }
    #[inline(always)]
    unsafe fn sub(self, other: f32) -> f32 {
        self - other
    }
}

#[cfg(target_arch = "x86_64")]
impl Lanes for std::arch::x86_64::__m256 {
    const W: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> Self {
        std::arch::x86_64::_mm256_setzero_ps()
    }
    #[inline(always)]
    unsafe fn load(src: &[f32]) -> Self {
        std::arch::x86_64::_mm256_loadu_ps(src[..8].as_ptr())
    }
    #[inline(always)]
    unsafe fn store(self, dst: &mut [f32]) {
        std::arch::x86_64::_mm256_storeu_ps(dst[..8].as_mut_ptr(), self)
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        std::arch::x86_64::_mm256_add_ps(self, other)
    }
    #[inline(always)]
    unsafe fn sub(self, other: Self) -> Self {
        std::arch::x86_64::_mm256_sub_ps(self, other)
    }
}

/// `Bᵀ d B` of a 4×4 window, `Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]`.
#[inline(always)]
unsafe fn transform_window<V: Lanes>(d: &[[V; 4]; 4]) -> [[V; 4]; 4] {
    let bt = |x: [V; 4]| {
        [
            x[0].sub(x[2]),
            x[1].add(x[2]),
            x[2].sub(x[1]),
            x[1].sub(x[3]),
        ]
    };
    // Bᵀ d, column by column, then (Bᵀ d) B, row by row.
    let mut t = [[V::zero(); 4]; 4];
    for j in 0..4 {
        let col = bt([d[0][j], d[1][j], d[2][j], d[3][j]]);
        for i in 0..4 {
            t[i][j] = col[i];
        }
    }
    [bt(t[0]), bt(t[1]), bt(t[2]), bt(t[3])]
}

/// `Aᵀ m A` of a tile's 4×4 products, `Aᵀ = [1 1 1 0; 0 1 -1 -1]`: its
/// 2×2 outputs.
#[inline(always)]
unsafe fn transform_products<V: Lanes>(m: &[[V; 4]; 4]) -> [[V; 2]; 2] {
    let at = |x: [V; 4]| [x[0].add(x[1]).add(x[2]), x[1].sub(x[2]).sub(x[3])];
    let mut t = [[V::zero(); 4]; 2];
    for j in 0..4 {
        let col = at([m[0][j], m[1][j], m[2][j], m[3][j]]);
        t[0][j] = col[0];
        t[1][j] = col[1];
    }
    [at(t[0]), at(t[1])]
}

/// `$with::<V>(args…)` with AVX2 lanes where the CPU has them, `f32` lanes
/// elsewhere, returned from the enclosing function.
macro_rules! with_lanes {
    ($with:ident($($arg:ident: $ty:ty),*)) => {{
        #[cfg(target_arch = "x86_64")]
        if crate::simd::has_avx2_fma() {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2($($arg: $ty),*) {
                $with::<std::arch::x86_64::__m256>($($arg),*)
            }
            // SAFETY: the CPU has AVX2 and FMA.
            return unsafe { avx2($($arg),*) };
        }
        // SAFETY: f32 lanes run anywhere.
        unsafe { $with::<f32>($($arg),*) }
    }};
}

/// `V[ξ][t][c]` of every tile of the block: its 4×4 input window (zeros
/// outside the input) transformed.
fn input_transform(input: &[f32], block: &Block<'_>, v: &mut [f32]) {
    with_lanes!(input_transform_with(input: &[f32], block: &Block<'_>, v: &mut [f32]))
}

/// # Safety
/// The CPU has `V`'s instructions.
#[inline(always)]
unsafe fn input_transform_with<V: Lanes>(input: &[f32], block: &Block<'_>, v: &mut [f32]) {
    let g = block.g;
    let c = g.in_c;
    let [_, in_h, in_w] = g.in_sp;
    let point = block.v_point;
    for t in 0..block.count {
        let (n, ty, tx) = block.tile(t);
        let ih0 = (2 * ty) as isize - g.pad[1] as isize;
        let iw0 = (2 * tx) as isize - g.pad[2] as isize;
        // Where each pixel of the window starts in `input`, if inside.
        let mut at = [[None; 4]; 4];
        for (r, row) in at.iter_mut().enumerate() {
            for (s, at) in row.iter_mut().enumerate() {
                let (ih, iw) = (ih0 + r as isize, iw0 + s as isize);
                if (0..in_h as isize).contains(&ih) && (0..in_w as isize).contains(&iw) {
                    *at = Some(((n * in_h + ih as usize) * in_w + iw as usize) * c);
                }
            }
        }
        let mut c0 = 0;
        while c0 + V::W <= c {
            window::<V>(input, &at, c0, &mut v[t * c..], point);
            c0 += V::W;
        }
        while c0 < c {
            window::<f32>(input, &at, c0, &mut v[t * c..], point);
            c0 += 1;
        }
    }
}

/// Channels `c0..c0 + W` of one tile's window, transformed into `v`
/// (the tile's values of point 0, points `point` apart).
#[inline(always)]
unsafe fn window<V: Lanes>(
    input: &[f32],
    at: &[[Option<usize>; 4]; 4],
    c0: usize,
    v: &mut [f32],
    point: usize,
) {
    let mut d = [[V::zero(); 4]; 4];
    for (d, at) in d.iter_mut().zip(at) {
        for (d, at) in d.iter_mut().zip(at) {
            if let Some(p) = *at {
                *d = V::load(&input[p + c0..]);
            }
        }
    }
    let x = transform_window(&d);
    for (xi, x) in x.iter().flatten().enumerate() {
        x.store(&mut v[xi * point + c0..]);
    }
}

/// Every tile's 2×2 outputs (those inside the image) from its products
/// `M[ξ][t][oc]`, plus the bias, into `chunk` (which starts at output row
/// `first_row`).
fn output_transform(
    m: &[f32],
    bias: &[f32],
    block: &Block<'_>,
    first_row: usize,
    chunk: &mut [f32],
) {
    with_lanes!(output_transform_with(
        m: &[f32],
        bias: &[f32],
        block: &Block<'_>,
        first_row: usize,
        chunk: &mut [f32]
    ))
}

/// # Safety
/// The CPU has `V`'s instructions.
#[inline(always)]
unsafe fn output_transform_with<V: Lanes>(
    m: &[f32],
    bias: &[f32],
    block: &Block<'_>,
    first_row: usize,
    chunk: &mut [f32],
) {
    let g = block.g;
    let oc = g.out_c;
    let [_, out_h, out_w] = g.out_sp;
    let point = block.m_point;
    for t in 0..block.count {
        let (n, ty, tx) = block.tile(t);
        let (oh, ow) = (2 * ty, 2 * tx);
        let (rows, cols) = (2.min(out_h - oh), 2.min(out_w - ow));
        // Where the tile's first output pixel is in `chunk`.
        let at = ((n * out_h + oh - first_row) * out_w + ow) * oc;
        let tile = Outputs {
            m: &m[t * oc..],
            point,
            bias,
            rows,
            cols,
            row_len: out_w * oc,
            pixel: oc,
        };
        let mut o0 = 0;
        while o0 + V::W <= oc {
            outputs::<V>(&tile, o0, &mut chunk[at..]);
            o0 += V::W;
        }
        while o0 < oc {
            outputs::<f32>(&tile, o0, &mut chunk[at..]);
            o0 += 1;
        }
    }
}

/// One tile's products (`m`, points `point` apart), the bias, and where
/// its `rows × cols` outputs go (rows `row_len` apart, pixels `pixel`).
#[derive(Clone, Copy)]
struct Outputs<'a> {
    m: &'a [f32],
    point: usize,
    bias: &'a [f32],
    rows: usize,
    cols: usize,
    row_len: usize,
    pixel: usize,
}

/// Channels `o0..o0 + W` of one tile's outputs.
#[inline(always)]
unsafe fn outputs<V: Lanes>(tile: &Outputs<'_>, o0: usize, out: &mut [f32]) {
    let Outputs {
        m,
        point,
        bias,
        rows,
        cols,
        row_len,
        pixel,
    } = *tile;
    let mut p = [[V::zero(); 4]; 4];
    for (xi, p) in p.iter_mut().flatten().enumerate() {
        *p = V::load(&m[xi * point + o0..]);
    }
    let b = V::load(&bias[o0..]);
    let y = transform_products(&p);
    for (a, y) in y.iter().enumerate().take(rows) {
        for (s, y) in y.iter().enumerate().take(cols) {
            y.add(b).store(&mut out[a * row_len + s * pixel + o0..]);
        }
    }
}

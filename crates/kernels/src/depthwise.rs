//! Depthwise 2-D convolution, vectorized over channels.

use crate::conv::Conv2dParams;
use crate::geom::Geom;
use crate::simd::{dispatch, madd};
use crate::FusedActivation;

/// Depthwise 2-D convolution (Keras / TensorFlow.js `DepthwiseConv2D`, and the
/// first half of `SeparableConv2D`):
/// `out[n,oh,ow,c*mult+m] = bias[c*mult+m] + Σ_{kh,kw} input[n,ih,iw,c] · kernel[kh,kw,c,m]`.
///
/// `p.in_c` is the input channel count and `p.out_c = in_c * depth_multiplier`
/// (build `p` with [`Conv2dParams::new`] passing `in_c * mult` as `out_c`);
/// `kernel` is `[k_h, k_w, in_c, mult]` as Keras stores `depthwise_kernel`,
/// `bias` has `out_c` values, `out` (NHWC) is overwritten, `act` is applied
/// row by row while the output is in cache. Output rows are spread over
/// rayon; each row is computed in channel blocks held in vector registers
/// across all window taps.
///
/// # Panics
/// If `p.out_c` is not a multiple of `p.in_c`, a slice length does not match
/// `p`, or a stride/dilation is zero.
///
/// ```
/// use tfjs_kernels::{depthwise_conv2d, Conv2dParams, FusedActivation, Padding};
/// // 2 channels, multiplier 1, 1×2 window.
/// let p = Conv2dParams::new(1, [1, 2], 2, 2, [1, 2], [1, 1], [1, 1], Padding::Valid).unwrap();
/// let input = [1.0, 10.0, 2.0, 20.0];
/// let kernel = [1.0, 1.0, 3.0, -1.0]; // [kw=0: c0,c1] [kw=1: c0,c1]
/// let mut out = [0.0; 2];
/// depthwise_conv2d(&input, &kernel, None, FusedActivation::Linear, &p, &mut out);
/// assert_eq!(out, [7.0, -10.0]);
/// ```
pub fn depthwise_conv2d(
    input: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    act: FusedActivation,
    p: &Conv2dParams,
    out: &mut [f32],
) {
    let g = p.geom();
    g.assert_sane("depthwise_conv2d");
    assert!(
        p.in_c > 0 && p.out_c.is_multiple_of(p.in_c) || p.in_c == 0 && p.out_c == 0,
        "depthwise_conv2d: out_c {} is not a multiple of in_c {}",
        p.out_c,
        p.in_c
    );
    let want_k = crate::geom::prod(&[p.k_h, p.k_w, p.out_c]);
    g.assert_lens(
        "depthwise_conv2d",
        input.len(),
        Some((kernel.len(), want_k)),
        bias.map(<[f32]>::len),
        out.len(),
    );
    if out.is_empty() {
        return;
    }
    let mult = p.out_c / p.in_c;
    // With a multiplier, replicate each input channel `mult` times so that
    // output channel j reads expanded input channel j: then it is mult = 1.
    let expanded;
    let x: &[f32] = if mult == 1 {
        input
    } else {
        expanded = input
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, mult))
            .collect::<Vec<f32>>();
        &expanded
    };
    let g = Geom { in_c: p.out_c, ..g };
    let flops = p.output_len() * p.k_h * p.k_w;
    crate::for_row_chunks(out, p.out_w * p.out_c, flops, |row0, chunk| {
        dw_rows(x, kernel, bias, act, &g, row0, chunk);
    });
}

/// Run `$body` with the const `$k` bound to the square window size `$size`,
/// 3 or 5 (the sizes with a fast path), so the kernels are instantiated once
/// per size from one call site.
macro_rules! with_window {
    ($size:expr, $k:ident => $body:expr) => {
        if $size == 3 {
            const $k: usize = 3;
            $body
        } else if $size == 5 {
            const $k: usize = 5;
            $body
        } else {
            const $k: usize = 7;
            $body
        }
    };
}

/// Below this many channels, on images up to [`BORDER_IN_BLOCKS_MAX_W`] output
/// columns wide, the sweep's channel blocks also compute the border columns
/// ([`dw_border`]); elsewhere the tap list does, in blocks of up to 32
/// channels with several independent sums, which is faster where the borders
/// are a small part of a row (MobileNet v1 b1 was 5% slower with every border
/// in the blocks; four border pixels at once per block, with zeros for the
/// taps outside, did not make up for it).
const BORDER_IN_BLOCKS: usize = 32;
/// See [`BORDER_IN_BLOCKS`].
const BORDER_IN_BLOCKS_MAX_W: usize = 16;

/// Up to this many channels the interior sweep goes along the row in
/// channel blocks; above it, too, where the row's window columns fit the
/// L1 sets their pixel stride reaches ([`sweep_fits_l1`]), else pixel by
/// pixel.
const SPAN_MAX_CHANNELS: usize = 256;

/// Whether a channel block's sweep along a row keeps its window columns in
/// a 32 KiB, 8-way L1 of 64-byte lines: a pixel stride of `4 * c` bytes
/// reaches only `4096 / gcd(4c, 4096)` of its 64 sets (2 for 512
/// channels), and the `k_h` window rows of `cols` columns must fit their
/// 8 ways. With many channels the sweep beat pixel by pixel where they fit
/// (6x6x576 1.22x, 12x12x384 1.37x, batch 32) and lost where they did not
/// (14x14x512 0.51x, 24x24x384 0.86x).
fn sweep_fits_l1(c: usize, cols: usize, k_h: usize) -> bool {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let sets = (4096 / gcd(4 * c, 4096)).min(64);
    cols * k_h <= sets * 8
}

dispatch!(fn dw_rows(x: &[f32], w: &[f32], bias: Option<&[f32]>, act: FusedActivation, g: &Geom, row0: usize, out: &mut [f32]) => dw_rows_impl);

/// Compute output rows `row0..` (flat over batch × out_h) into `out`,
/// `act` applied to each register block before it is stored.
///
/// Interior pixels of rows whose vertical window is entirely inside the input
/// take a 3×3 / 5×5 / 7×7 fast path that keeps an 8-channel block of
/// weights in registers and sweeps along the row (and, on narrow images of
/// few channels, computes the row's border pixels too: [`BORDER_IN_BLOCKS`]);
/// other border pixels and other kernel sizes use the per-pixel tap-list
/// path. A channel count that is
/// not a multiple of 8 (NASNet's 11, 22, 44) ends with a block of the last
/// 8 channels, overlapping the one before: each channel's sum is the same
/// whichever block computes it, so the overlap is written twice with the
/// same bits. Fewer than 8 channels sweep the row pixel by pixel without a
/// tap list, and with 1, 2 or 4 at stride 1 several pixels per vector.
#[inline(always)]
fn dw_rows_impl<const FMA: bool>(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    act: FusedActivation,
    g: &Geom,
    row0: usize,
    out: &mut [f32],
) {
    let c = g.in_c;
    let [_, in_h, in_w] = g.in_sp;
    let [_, out_h, out_w] = g.out_sp;
    let [_, k_h, k_w] = g.k;
    let zeros;
    let init: &[f32] = match bias {
        Some(b) => b,
        None => {
            zeros = vec![0.0f32; c];
            &zeros
        }
    };
    // Interior columns: every horizontal tap inside the input.
    let (sw, dw) = (g.stride[2], g.dil[2]);
    let ow_lo = g.pad[2].div_ceil(sw).min(out_w);
    let reach = (k_w - 1) * dw;
    let ow_hi = if in_w + g.pad[2] > reach {
        ((in_w + g.pad[2] - reach - 1) / sw + 1).min(out_w)
    } else {
        0
    }
    .max(ow_lo);
    let fast_k = k_h == k_w && matches!(k_h, 3 | 5 | 7);
    let c8 = c - c % 8;
    // The last block's first channel: `c8` when the blocks end at `c`,
    // else `c - 8`, overlapping the block before.
    let last_block = (c8 < c && c8 > 0).then(|| c - 8);
    // 16-channel blocks where the vectors hold 16 (AVX-512's 32 registers
    // also hold a 5×5 block's 25 weight vectors); 8 under AVX2.
    let wide = FMA && crate::simd::has_avx512();
    let mut taps: Vec<(usize, usize)> = Vec::with_capacity(g.taps());
    let mut zero_row: Vec<f32> = Vec::new();
    let mut border: Vec<(usize, isize)> = Vec::new();
    for (r, orow) in out.chunks_exact_mut(out_w * c).enumerate() {
        let row = row0 + r;
        let n = row / out_h;
        let oh = row % out_h;
        let img = &x[n * in_h * in_w * c..(n + 1) * in_h * in_w * c];
        let hr = g.taps_in(1, oh);
        let ih0 = g.start(1, oh);
        let fast = fast_k && !hr.is_empty() && ow_hi > ow_lo && c8 > 0;
        // Fewer channels than a vector: with 1, 2 or 4 at stride 1 the
        // interior pixels of the row, several per vector ([`dw_narrow_span`]),
        // then (and otherwise all) its pixels
        // from the same rows ([`dw_border`]; through the tap list, a 7×7
        // window's border pixels of one channel took 5 µs of NASNet's 7).
        let narrow = fast_k && dw == 1 && (1..8).contains(&c) && !hr.is_empty() && ow_hi > ow_lo;
        if fast || narrow {
            // Window rows in the padding read a row of zeros: a top or
            // bottom output row takes the sweep too (MobileNet's 64×64
            // layer spent a fifth of its time on its two border rows
            // pixel by pixel). Adding the zero taps changes no sum.
            if hr != (0..k_h) && zero_row.is_empty() {
                zero_row = vec![0.0f32; in_w * c];
            }
            let zero: *const f32 = zero_row.as_ptr();
            let ih = |kh: usize| (ih0 + (kh * g.dil[1]) as isize) as usize;
            let iw_start = g.start(2, ow_lo) as usize;
            let count = ow_hi - ow_lo;
            // Bounds for the unchecked reads below.
            assert!(hr.end <= k_h && ih(hr.end - 1) < in_h);
            assert!(hr == (0..k_h) || zero_row.len() == in_w * c);
            assert!(iw_start + (count - 1) * sw + reach < in_w);
            assert!(w.len() >= k_h * k_w * c && init.len() >= c && orow.len() >= ow_hi * c);
            // SAFETY (every branch): every row ih(kh) < in_h for kh in hr (the
            // others read the zero row, as long as a row), every interior
            // column read is iw_start + j*sw + kw*dw < in_w (asserted), a
            // border pixel's columns are checked one by one, channels stay
            // below c; weight/bias/output indices are within the asserted
            // lengths.
            if narrow {
                unsafe {
                    let base = img.as_ptr();
                    let o = orow.as_mut_ptr().add(ow_lo * c);
                    let (wp, bp) = (w.as_ptr(), init.as_ptr());
                    with_window!(k_h, K => {
                        let rows: [_; K] = std::array::from_fn(|kh| match hr.contains(&kh) {
                            true => base.add(ih(kh) * in_w * c),
                            false => zero,
                        });
                        macro_rules! narrow {
                            ($c:literal) => {{
                                // (Otherwise every pixel as a border pixel: still
                                // no tap list.)
                                let border = if sw == 1 && matches!($c, 1 | 2 | 4) {
                                    dw_narrow_span::<FMA, K, $c>(rows, wp, bp, act, iw_start, count, o);
                                    ow_hi..ow_hi
                                } else {
                                    ow_lo..ow_hi
                                };
                                for ow in (0..ow_lo).chain(border).chain(ow_hi..out_w) {
                                    let o = orow.as_mut_ptr().add(ow * c);
                                    let iw0 = g.start(2, ow);
                                    dw_border::<FMA, K, K, $c>(&rows, hr.clone(), wp, bp, act, c, iw0, 1, in_w, o);
                                }
                            }};
                        }
                        match c {
                            1 => narrow!(1),
                            2 => narrow!(2),
                            3 => narrow!(3),
                            4 => narrow!(4),
                            5 => narrow!(5),
                            6 => narrow!(6),
                            _ => narrow!(7),
                        }
                    });
                }
            } else if c <= SPAN_MAX_CHANNELS || sweep_fits_l1(c, (count - 1) * sw + reach + 1, k_h)
            {
                // The border output columns and where their windows start,
                // when the channel blocks take them (see `BORDER_IN_BLOCKS`).
                border.clear();
                if c < BORDER_IN_BLOCKS && out_w <= BORDER_IN_BLOCKS_MAX_W {
                    border.extend(
                        (0..ow_lo)
                            .chain(ow_hi..out_w)
                            .map(|ow| (ow, g.start(2, ow))),
                    );
                }
                // Channel block outer, pixels inner: the block's weights stay in registers.
                // A macro, not a closure: a closure would not inherit the
                // caller's target features (FMA became a libm call).
                macro_rules! span {
                    ($cb:expr, $block:literal) => {
                        unsafe {
                            let base = img.as_ptr().add($cb);
                            let o = orow.as_mut_ptr().add(ow_lo * c + $cb);
                            let (wp, bp) = (w.as_ptr().add($cb), init.as_ptr().add($cb));
                            with_window!(k_h, K => {
                                let rows: [_; K] = std::array::from_fn(|kh| match hr.contains(&kh) {
                                    true => base.add(ih(kh) * in_w * c),
                                    false => zero.add($cb),
                                });
                                                match (sw, dw) {
                                    (1, 1) => dw_span::<FMA, K, K, $block, 1, 1>(rows, wp, bp, act, c, sw, dw, iw_start, count, o),
                                    (2, 1) => dw_span::<FMA, K, K, $block, 2, 1>(rows, wp, bp, act, c, sw, dw, iw_start, count, o),
                                    _ => dw_span::<FMA, K, K, $block, 0, 0>(rows, wp, bp, act, c, sw, dw, iw_start, count, o),
                                }
                                // The border columns with the same rows.
                                for &(ow, iw0) in &border {
                                    let o = orow.as_mut_ptr().add(ow * c + $cb);
                                    dw_border::<FMA, K, K, $block>(&rows, hr.clone(), wp, bp, act, c, iw0, dw, in_w, o);
                                }
                            });
                        }
                    };
                }
                let mut cb = 0;
                if wide {
                    while cb + 16 <= c8 {
                        span!(cb, 16);
                        cb += 16;
                    }
                }
                while cb < c8 {
                    span!(cb, 8);
                    cb += 8;
                }
                if let Some(cb) = last_block {
                    span!(cb, 8);
                }
            } else {
                // Many channels: pixel outer, channel blocks inner (a long pixel
                // stride would make the pixel sweep alias in L1).
                unsafe {
                    let base = img.as_ptr();
                    for j in 0..count {
                        let o = orow.as_mut_ptr().add((ow_lo + j) * c);
                        let xo = (iw_start + j * sw) * c;
                        with_window!(k_h, K => {
                            let rows: [_; K] = std::array::from_fn(|kh| match hr.contains(&kh) {
                                true => base.add(ih(kh) * in_w * c + xo),
                                false => zero.add(xo),
                            });
                            let (wp, bp) = (w.as_ptr(), init.as_ptr());
                            dw_pixel::<FMA, K, K>(rows, wp, bp, act, c8, c, dw, o);
                            if let Some(cb) = last_block {
                                let rows = rows.map(|r| r.add(cb));
                                let (wp, bp) = (wp.add(cb), bp.add(cb));
                                dw_pixel::<FMA, K, K>(rows, wp, bp, act, 8, c, dw, o.add(cb));
                            }
                        });
                    }
                }
            }
        }
        // What the sweep above left: the border columns (unless the channel
        // blocks took them) and any interior channel tail. Visiting only
        // those (rather than skipping interior pixels one by one) took a
        // tenth off MobileNet's 8-channel depthwise layers.
        let skip = match (fast, !border.is_empty()) {
            (true, true) => 0..out_w,
            (true, false) => ow_lo..ow_hi,
            (false, _) if narrow => 0..out_w,
            (false, _) => 0..0,
        };
        for ow in (0..skip.start).chain(skip.end..out_w) {
            let wr = g.taps_in(2, ow);
            let iw0 = g.start(2, ow);
            taps.clear();
            for kh in hr.clone() {
                let ih = (ih0 + (kh * g.dil[1]) as isize) as usize;
                for kw in wr.clone() {
                    let iw = (iw0 + (kw * g.dil[2]) as isize) as usize;
                    taps.push(((ih * in_w + iw) * c, (kh * k_w + kw) * c));
                }
            }
            let o = &mut orow[ow * c..(ow + 1) * c];
            let mut cb = 0;
            while cb + 32 <= c {
                dw_block::<FMA, 32>(img, w, &taps, cb, init, act, o);
                cb += 32;
            }
            if cb + 16 <= c {
                dw_block::<FMA, 16>(img, w, &taps, cb, init, act, o);
                cb += 16;
            }
            while cb + 8 <= c {
                dw_block::<FMA, 8>(img, w, &taps, cb, init, act, o);
                cb += 8;
            }
            if let Some(last) = last_block.filter(|_| cb < c) {
                dw_block::<FMA, 8>(img, w, &taps, last, init, act, o);
                cb = c;
            }
            if cb + 4 <= c {
                dw_block::<FMA, 4>(img, w, &taps, cb, init, act, o);
                cb += 4;
            }
            while cb < c {
                dw_block::<FMA, 1>(img, w, &taps, cb, init, act, o);
                cb += 1;
            }
        }
        act.apply_after_store(orow);
    }
}

/// One `B`-channel block (8 or 16) along `count` consecutive interior output pixels.
///
/// # Safety
/// `rows[kh]` points at channel `cb` of input column 0 of the `kh`-th window
/// row; all columns `iw_start + j*sw + kw*dw` (`j < count`, `kw < KW`) exist;
/// `w`/`bias` point at channel `cb` of the kernel (tap stride `c`) and bias;
/// `out` points at channel `cb` of the first output pixel (pixel stride `c`).
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
unsafe fn dw_span<
    const FMA: bool,
    const KH: usize,
    const KW: usize,
    const B: usize,
    const SW: usize,
    const DW: usize,
>(
    rows: [*const f32; KH],
    w: *const f32,
    bias: *const f32,
    act: FusedActivation,
    c: usize,
    sw: usize,
    dw: usize,
    iw_start: usize,
    count: usize,
    out: *mut f32,
) {
    let mut wv = [[[0.0f32; B]; KW]; KH];
    for (kh, wrow) in wv.iter_mut().enumerate() {
        for (kw, v) in wrow.iter_mut().enumerate() {
            *v = *(w.add((kh * KW + kw) * c) as *const [f32; B]);
        }
    }
    let b = *(bias as *const [f32; B]);
    // A stride and dilation known at compile time (`SW`, `DW` > 0) turn each
    // tap's address into a constant offset: computed at run time they made
    // the sweep of MobileNet's 8-channel layer 1.7x slower.
    let (sw, dw) = (if SW > 0 { SW } else { sw }, if DW > 0 { DW } else { dw });
    // Four pixels at a time: each pixel's taps are one chain of dependent
    // FMAs (kept in order, so results do not change), and four independent
    // chains hide the FMA latency that a single chain waits on.
    let mut j = 0;
    macro_rules! pixels {
        ($p:literal) => {
            span_pixels::<FMA, KH, KW, B, $p>(
                &rows,
                &wv,
                b,
                act,
                c,
                sw,
                dw,
                iw_start + j * sw,
                out.add(j * c),
            )
        };
    }
    if SW == 1 && DW == 1 {
        // Stride and dilation 1: runs of pixels swept column by column
        // (`sweep_pixels`), as long as the registers hold them. (At stride
        // 2 the runs were 2.5x slower than four pixels at a time.)
        macro_rules! sweep {
            ($p:literal) => {
                sweep_pixels::<FMA, KH, KW, B, $p, SW, DW>(
                    &rows,
                    w,
                    b,
                    act,
                    c,
                    iw_start + j * SW,
                    out.add(j * c),
                )
            };
        }
        // Runs of `P` pixels, then of 4; the last run of 4 ends at the
        // row's last interior pixel, overlapping the run before it where
        // the tail is not a multiple of 4: those pixels are computed twice
        // with the same bits (a tail pixel by pixel, one dependent chain
        // each, took a sixth of a 24-pixel row's time).
        macro_rules! runs {
            ($p:literal) => {{
                while j + $p <= count {
                    sweep!($p);
                    j += $p;
                }
            }};
        }
        // Runs of 10 for 3x3 windows only: with 5x5 and 7x7 ones (runs of
        // 10 and 8) the unrolled sweep was too long for LLVM to keep the
        // sums in registers (24x24 rows 1.4x and 1.1x slower than four
        // pixels at a time).
        if KW == 3 {
            runs!(10);
        }
        runs!(4);
        if j < count {
            if count >= 4 {
                j = count - 4;
                sweep!(4);
            } else {
                while j < count {
                    sweep!(1);
                    j += 1;
                }
            }
        }
        return;
    }
    while j + 4 <= count {
        pixels!(4);
        j += 4;
    }
    while j < count {
        pixels!(1);
        j += 1;
    }
}

/// `P` consecutive interior output pixels of one `B`-channel block at a
/// stride `SW` and dilation `DW` known at compile time, starting at input
/// column `iw`: one window row at a time, its `KW` weight vectors are
/// loaded and each input column the `P` pixels read is loaded once and
/// multiplied into every pixel whose window holds it.
///
/// Why: `P` independent sums (10 for 3x3 windows) cover the FMA
/// latency, where [`span_pixels`]'s four waited on it; the row's weights
/// and the sums fit the 16 AVX2 registers, where all 3x3 weights and the
/// sums did not (they were reloaded from the stack for each FMA). Each
/// pixel still adds its taps in window order (row by row, left to right:
/// the columns go left to right), so the sums are bit for bit those of
/// the tap list.
///
/// # Safety
/// As [`dw_span`], for the `P` pixels.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
unsafe fn sweep_pixels<
    const FMA: bool,
    const KH: usize,
    const KW: usize,
    const B: usize,
    const P: usize,
    const SW: usize,
    const DW: usize,
>(
    rows: &[*const f32; KH],
    w: *const f32,
    bias: [f32; B],
    act: FusedActivation,
    c: usize,
    iw: usize,
    out: *mut f32,
) {
    let mut acc = [bias; P];
    for kh in 0..KH {
        let wk: [[f32; B]; KW] =
            std::array::from_fn(|kw| *(w.add((kh * KW + kw) * c) as *const [f32; B]));
        let mut x = rows[kh].add(iw * c);
        // Input column `i` of the run is tap `kw` of pixel `p` where
        // `i = p * SW + kw * DW`.
        for i in 0..(P - 1) * SW + (KW - 1) * DW + 1 {
            let xv = *(x as *const [f32; B]);
            for kw in 0..KW {
                if i >= kw * DW && (i - kw * DW).is_multiple_of(SW) && (i - kw * DW) / SW < P {
                    let p = (i - kw * DW) / SW;
                    for l in 0..B {
                        acc[p][l] = madd::<FMA>(xv[l], wk[kw][l], acc[p][l]);
                    }
                }
            }
            x = x.add(c);
        }
    }
    for (p, a) in acc.iter_mut().enumerate() {
        act.apply_block(a);
        *(out.add(p * c) as *mut [f32; B]) = *a;
    }
}

/// `P` consecutive interior output pixels of one `B`-channel block, starting at
/// input column `iw` (see [`dw_span`]).
///
/// # Safety
/// As [`dw_span`], for the `P` pixels.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
unsafe fn span_pixels<
    const FMA: bool,
    const KH: usize,
    const KW: usize,
    const B: usize,
    const P: usize,
>(
    rows: &[*const f32; KH],
    wv: &[[[f32; B]; KW]; KH],
    bias: [f32; B],
    act: FusedActivation,
    c: usize,
    sw: usize,
    dw: usize,
    iw: usize,
    out: *mut f32,
) {
    let mut acc = [bias; P];
    for kh in 0..KH {
        for kw in 0..KW {
            let w = wv[kh][kw];
            for p in 0..P {
                let xv = *(rows[kh].add((iw + p * sw + kw * dw) * c) as *const [f32; B]);
                for i in 0..B {
                    acc[p][i] = madd::<FMA>(xv[i], w[i], acc[p][i]);
                }
            }
        }
    }
    for (p, a) in acc.iter_mut().enumerate() {
        act.apply_block(a);
        *(out.add(p * c) as *mut [f32; B]) = *a;
    }
}

/// The interior pixels of one output row of `C` channels (1, 2 or 4: fewer
/// than a vector holds) at stride and dilation 1: `8 / C` consecutive
/// pixels are one vector, their inputs one contiguous load per tap, the
/// tap's `C` weights repeated across it. Each channel's sum takes the taps
/// in the tap list's order, so the sums are the tap list's, bit for bit.
/// NASNet's separable convolutions of 1-4 channels went through the tap
/// list a channel at a time.
///
/// # Safety
/// `rows[kh]` points at input column 0 of the `kh`-th window row (a row of
/// zeros for a row in the padding); columns `iw_start + j + kw` exist for
/// `j < count`, `kw < K`; `w` holds `K * K * C` weights, `bias` `C` values,
/// `out` `count` pixels.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
unsafe fn dw_narrow_span<const FMA: bool, const K: usize, const C: usize>(
    rows: [*const f32; K],
    w: *const f32,
    bias: *const f32,
    act: FusedActivation,
    iw_start: usize,
    count: usize,
    out: *mut f32,
) {
    const L: usize = 8;
    let per = L / C;
    let mut wv = [[[0.0f32; L]; K]; K];
    for (kh, wrow) in wv.iter_mut().enumerate() {
        for (kw, v) in wrow.iter_mut().enumerate() {
            for i in 0..L {
                v[i] = *w.add((kh * K + kw) * C + i % C);
            }
        }
    }
    let b: [f32; L] = std::array::from_fn(|i| *bias.add(i % C));
    // `V` vectors at a time: independent chains of FMAs hide their latency.
    macro_rules! vectors {
        ($j:expr, $v:literal) => {{
            let mut acc = [b; $v];
            for kh in 0..K {
                for kw in 0..K {
                    let wk = wv[kh][kw];
                    for q in 0..$v {
                        let at = (iw_start + $j + q * per + kw) * C;
                        let xv = *(rows[kh].add(at) as *const [f32; L]);
                        for i in 0..L {
                            acc[q][i] = madd::<FMA>(xv[i], wk[i], acc[q][i]);
                        }
                    }
                }
            }
            for (q, a) in acc.iter_mut().enumerate() {
                act.apply_block(a);
                *(out.add(($j + q * per) * C) as *mut [f32; L]) = *a;
            }
        }};
    }
    let mut j = 0;
    while j + 4 * per <= count {
        vectors!(j, 4);
        j += 4 * per;
    }
    while j + per <= count {
        vectors!(j, 1);
        j += per;
    }
    // The last pixels, one at a time.
    while j < count {
        let mut acc: [f32; C] = std::array::from_fn(|i| b[i]);
        for kh in 0..K {
            for kw in 0..K {
                let xv = *(rows[kh].add((iw_start + j + kw) * C) as *const [f32; C]);
                for i in 0..C {
                    acc[i] = madd::<FMA>(xv[i], wv[kh][kw][i], acc[i]);
                }
            }
        }
        act.apply_block(&mut acc);
        *(out.add(j * C) as *mut [f32; C]) = acc;
        j += 1;
    }
}

/// One `B`-channel block of a border output pixel whose window starts at input
/// column `iw0` (negative in the left padding), from the sweep's rows: the
/// taps inside the input (window rows `inside`, the columns inside the input)
/// in the tap list's order, so the sums are the tap list's, bit for bit. Border
/// columns through the tap list were 40% of Xception-style's depthwise time
/// on its 15-, 8- and 4-wide images of 8-24 channels, pixel by pixel with a
/// fresh tap list each.
///
/// # Safety
/// `rows[kh]` points at channel `cb` of input column 0 of the `kh`-th window
/// row (a row of `in_w` zero pixels for a row in the padding); `w`/`bias` at
/// channel `cb` of the kernel (tap stride `c`) and bias; `out` at channel `cb`
/// of the output pixel.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn dw_border<const FMA: bool, const KH: usize, const KW: usize, const B: usize>(
    rows: &[*const f32; KH],
    inside: std::ops::Range<usize>,
    w: *const f32,
    bias: *const f32,
    act: FusedActivation,
    c: usize,
    iw0: isize,
    dw: usize,
    in_w: usize,
    out: *mut f32,
) {
    let mut acc = *(bias as *const [f32; B]);
    // All `KH` rows, those outside `inside` skipped: a constant trip count
    // unrolls (a loop over `inside` ran 3% slower on Xception-style b32).
    for (kh, &row) in rows.iter().enumerate() {
        if !inside.contains(&kh) {
            continue;
        }
        for kw in 0..KW {
            let iw = iw0 + (kw * dw) as isize;
            if iw < 0 || iw as usize >= in_w {
                continue;
            }
            let xv = *(row.add(iw as usize * c) as *const [f32; B]);
            let wv = *(w.add((kh * KW + kw) * c) as *const [f32; B]);
            for i in 0..B {
                acc[i] = madd::<FMA>(xv[i], wv[i], acc[i]);
            }
        }
    }
    act.apply_block(&mut acc);
    *(out as *mut [f32; B]) = acc;
}

/// Channels `0..c8` (a multiple of 8) of one interior output pixel.
///
/// # Safety
/// `rows[kh]` points at channel 0 of the window's first column in window row
/// `kh`; columns `kw*dw` further exist; `w`, `bias` and `out` hold `c8` channels
/// (kernel tap stride `c`).
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
unsafe fn dw_pixel<const FMA: bool, const KH: usize, const KW: usize>(
    rows: [*const f32; KH],
    w: *const f32,
    bias: *const f32,
    act: FusedActivation,
    c8: usize,
    c: usize,
    dw: usize,
    out: *mut f32,
) {
    const B: usize = 8;
    let mut cb = 0;
    while cb + 4 * B <= c8 {
        let mut acc = *(bias.add(cb) as *const [f32; 4 * B]);
        for kh in 0..KH {
            for kw in 0..KW {
                let xv = *(rows[kh].add(kw * dw * c + cb) as *const [f32; 4 * B]);
                let wv = *(w.add((kh * KW + kw) * c + cb) as *const [f32; 4 * B]);
                for i in 0..4 * B {
                    acc[i] = madd::<FMA>(xv[i], wv[i], acc[i]);
                }
            }
        }
        act.apply_block(&mut acc);
        *(out.add(cb) as *mut [f32; 4 * B]) = acc;
        cb += 4 * B;
    }
    for cb in (cb..c8).step_by(B) {
        let mut acc = *(bias.add(cb) as *const [f32; B]);
        for kh in 0..KH {
            for kw in 0..KW {
                let xv = *(rows[kh].add(kw * dw * c + cb) as *const [f32; B]);
                let wv = *(w.add((kh * KW + kw) * c + cb) as *const [f32; B]);
                for i in 0..B {
                    acc[i] = madd::<FMA>(xv[i], wv[i], acc[i]);
                }
            }
        }
        act.apply_block(&mut acc);
        *(out.add(cb) as *mut [f32; B]) = acc;
    }
}

#[inline(always)]
fn dw_block<const FMA: bool, const B: usize>(
    img: &[f32],
    w: &[f32],
    taps: &[(usize, usize)],
    cb: usize,
    init: &[f32],
    act: FusedActivation,
    o: &mut [f32],
) {
    let mut acc: [f32; B] = init[cb..cb + B].try_into().unwrap();
    for &(xo, wo) in taps {
        let xv: &[f32; B] = img[xo + cb..xo + cb + B].try_into().unwrap();
        let wv: &[f32; B] = w[wo + cb..wo + cb + B].try_into().unwrap();
        for i in 0..B {
            acc[i] = madd::<FMA>(xv[i], wv[i], acc[i]);
        }
    }
    act.apply_block(&mut acc);
    o[cb..cb + B].copy_from_slice(&acc);
}

//! Max / average pooling (1-D, 2-D, 3-D) and global pooling, vectorized over channels.

use crate::geom::{conv_output_size, geom_fields, refuse_causal, Geom, Padding};
use crate::simd::dispatch;
use crate::Result;
use std::ops::Range;

/// Geometry of a 2-D pooling window over NHWC input (1-D pooling: height 1,
/// see [`Pool2dParams::pool1d`]). Window cells outside the input are skipped:
/// they never win a max and are not counted by an average (TensorFlow's
/// `"same"` semantics). A window with no cell inside the input yields 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pool2dParams {
    /// Batch size.
    pub batch: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Channels (unchanged by pooling).
    pub channels: usize,
    /// Window height.
    pub k_h: usize,
    /// Window width.
    pub k_w: usize,
    /// Vertical stride (≥ 1).
    pub stride_h: usize,
    /// Horizontal stride (≥ 1).
    pub stride_w: usize,
    /// Zero rows added above the input.
    pub pad_top: usize,
    /// Zero columns added left of the input.
    pub pad_left: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
}

geom_fields!(Pool2dParams {
    batch => batch, channels => in_c, channels => out_c, in_h => in_sp[1], in_w => in_sp[2],
    k_h => k[1], k_w => k[2], stride_h => stride[1], stride_w => stride[2], pad_top => pad[1],
    pad_left => pad[2], out_h => out_sp[1], out_w => out_sp[2],
});

impl Pool2dParams {
    /// A pooling window with TensorFlow/Keras padding semantics (`[h, w]` pairs).
    ///
    /// ```
    /// use tfjs_kernels::{Padding, Pool2dParams};
    /// let p = Pool2dParams::new(1, [5, 5], 8, [2, 2], [2, 2], Padding::Same).unwrap();
    /// assert_eq!((p.out_h, p.out_w), (3, 3));
    /// ```
    pub fn new(
        batch: usize,
        in_hw: [usize; 2],
        channels: usize,
        pool: [usize; 2],
        strides: [usize; 2],
        padding: Padding,
    ) -> Result<Self> {
        let d3 = |[h, w]: [usize; 2]| [1, h, w];
        let g = window(batch, d3(in_hw), channels, [pool, strides].map(d3), padding)?;
        Ok(Self::from_geom(&g))
    }

    /// 1-D pooling over `[batch, len, channels]` (output `[batch, out_w, channels]`).
    pub fn pool1d(
        batch: usize,
        len: usize,
        channels: usize,
        pool: usize,
        stride: usize,
        padding: Padding,
    ) -> Result<Self> {
        Self::new(batch, [1, len], channels, [1, pool], [1, stride], padding)
    }
}

/// Geometry of a 3-D pooling window over NDHWC input; see [`Pool2dParams`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pool3dParams {
    /// Batch size.
    pub batch: usize,
    /// Input depth.
    pub in_d: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Channels (unchanged by pooling).
    pub channels: usize,
    /// Window depth.
    pub k_d: usize,
    /// Window height.
    pub k_h: usize,
    /// Window width.
    pub k_w: usize,
    /// Depth stride (≥ 1).
    pub stride_d: usize,
    /// Vertical stride (≥ 1).
    pub stride_h: usize,
    /// Horizontal stride (≥ 1).
    pub stride_w: usize,
    /// Zero planes added before the input (depth).
    pub pad_front: usize,
    /// Zero rows added above the input.
    pub pad_top: usize,
    /// Zero columns added left of the input.
    pub pad_left: usize,
    /// Output depth.
    pub out_d: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
}

geom_fields!(Pool3dParams {
    batch => batch, channels => in_c, channels => out_c, in_d => in_sp[0], in_h => in_sp[1],
    in_w => in_sp[2], k_d => k[0], k_h => k[1], k_w => k[2], stride_d => stride[0],
    stride_h => stride[1], stride_w => stride[2], pad_front => pad[0], pad_top => pad[1],
    pad_left => pad[2], out_d => out_sp[0], out_h => out_sp[1], out_w => out_sp[2],
});

/// A 2-D pooling window as the 3-D one of depth 1.
impl From<Pool2dParams> for Pool3dParams {
    fn from(p: Pool2dParams) -> Self {
        Self::from_geom(&p.geom())
    }
}

impl Pool3dParams {
    /// A pooling window with TensorFlow/Keras padding semantics (`[d, h, w]` triples).
    pub fn new(
        batch: usize,
        in_dhw: [usize; 3],
        channels: usize,
        pool: [usize; 3],
        strides: [usize; 3],
        padding: Padding,
    ) -> Result<Self> {
        Ok(Self::from_geom(&window(
            batch,
            in_dhw,
            channels,
            [pool, strides],
            padding,
        )?))
    }
}

/// A pooling window `pool` with `strides` over `in_sp` (`[d, h, w]`), padded
/// `"valid"` or `"same"` (never `"causal"`).
fn window(
    batch: usize,
    in_sp: [usize; 3],
    channels: usize,
    [pool, strides]: [[usize; 3]; 2],
    padding: Padding,
) -> Result<Geom> {
    refuse_causal(padding, "pooling padding must be \"valid\" or \"same\"")?;
    let window = [pool, strides, [1; 3]];
    Geom::padded(
        batch,
        [channels; 2],
        in_sp,
        window,
        padding,
        conv_output_size,
    )
}

/// 2-D (and 1-D) max pooling, NHWC in and out (`out` is overwritten).
///
/// # Panics
/// If a slice length does not match `p` or a stride is zero.
///
/// ```
/// use tfjs_kernels::{max_pool2d, Padding, Pool2dParams};
/// let p = Pool2dParams::new(1, [2, 2], 1, [2, 2], [2, 2], Padding::Valid).unwrap();
/// let mut out = [0.0];
/// max_pool2d(&[1.0, 4.0, -2.0, 3.0], &p, &mut out);
/// assert_eq!(out, [4.0]);
/// ```
pub fn max_pool2d(input: &[f32], p: &Pool2dParams, out: &mut [f32]) {
    pool_geom("max_pool2d", input, &p.geom(), true, out)
}

/// 2-D (and 1-D) average pooling, NHWC in and out; padded cells are not counted.
///
/// # Panics
/// If a slice length does not match `p` or a stride is zero.
///
/// ```
/// use tfjs_kernels::{avg_pool2d, Padding, Pool2dParams};
/// // 3 wide, window 2 stride 2 "same": the last window holds one real cell.
/// let p = Pool2dParams::pool1d(1, 3, 1, 2, 2, Padding::Same).unwrap();
/// let mut out = [0.0; 2];
/// avg_pool2d(&[1.0, 3.0, 5.0], &p, &mut out);
/// assert_eq!(out, [2.0, 5.0]);
/// ```
pub fn avg_pool2d(input: &[f32], p: &Pool2dParams, out: &mut [f32]) {
    pool_geom("avg_pool2d", input, &p.geom(), false, out)
}

/// 3-D max pooling, NDHWC in and out.
///
/// # Panics
/// If a slice length does not match `p` or a stride is zero.
pub fn max_pool3d(input: &[f32], p: &Pool3dParams, out: &mut [f32]) {
    pool_geom("max_pool3d", input, &p.geom(), true, out)
}

/// 3-D average pooling, NDHWC in and out; padded cells are not counted.
///
/// # Panics
/// If a slice length does not match `p` or a stride is zero.
pub fn avg_pool3d(input: &[f32], p: &Pool3dParams, out: &mut [f32]) {
    pool_geom("avg_pool3d", input, &p.geom(), false, out)
}

fn pool_geom(name: &str, input: &[f32], g: &Geom, is_max: bool, out: &mut [f32]) {
    g.assert_sane(name);
    g.assert_lens(name, input.len(), None, None, out.len());
    if out.is_empty() {
        return;
    }
    let work = out.len() * g.taps();
    // 2-D windows (pooling has no dilation): each pixel's window from the
    // input ranges directly ([`pool_rows_2d`]); 3-D ones from a tap list.
    let plain_2d = g.in_sp[0] == 1 && g.k[0] == 1 && g.dil == [1, 1, 1];
    crate::for_row_chunks(out, g.out_sp[2] * g.in_c, work, |row0, chunk| {
        if plain_2d {
            pool_rows_2d(input, g, is_max, row0, chunk)
        } else {
            pool_rows(input, g, is_max, row0, chunk)
        }
    });
}

dispatch!(fn pool_rows_2d(x: &[f32], g: &Geom, is_max: bool, row0: usize, out: &mut [f32]) => pool_rows_2d_impl);

/// Output rows `row0..` of a 2-D pooling: each
/// pixel's window is the input rows and columns inside it, read directly
/// (in the tap list's order: rows, then columns; the same sums), the
/// columns' ranges worked out once per call. Building a tap list per pixel
/// took most of a 3×3 pooling's time over 8-16 channels (Inception's and
/// NASNet's 15×15 and smaller images: about 27 ns a pixel). Under 32
/// channels, [`PIXELS`] neighbours whose windows are as wide are pooled
/// together: one pixel's window is a chain of dependent adds (and a divide)
/// that kept the core waiting, 16 ns a pixel over 8 channels. Under 8
/// channels all of a pixel's channels are one block ([`Window::tail`]):
/// NASNet's 1-6 channel poolings went through a tap list per pixel, 2-5×
/// slower.
#[inline(always)]
fn pool_rows_2d_impl<const FMA: bool>(
    x: &[f32],
    g: &Geom,
    is_max: bool,
    row0: usize,
    out: &mut [f32],
) {
    let c = g.in_c;
    let [_, in_h, in_w] = g.in_sp;
    let [_, out_h, out_w] = g.out_sp;
    let cols: Vec<Range<usize>> = (0..out_w)
        .map(|ow| {
            let kw = g.taps_in(2, ow);
            let iw = g.start(2, ow);
            let lo = (iw + kw.start as isize) as usize;
            lo..lo + kw.len()
        })
        .collect();
    for (r, orow) in out.chunks_exact_mut(out_w * c).enumerate() {
        let row = row0 + r;
        let (n, oh) = (row / out_h, row % out_h);
        let img = &x[n * in_h * in_w * c..(n + 1) * in_h * in_w * c];
        let kh = g.taps_in(1, oh);
        let ih_lo = (g.start(1, oh) + kh.start as isize) as usize;
        let window = Window {
            img,
            rows: ih_lo..ih_lo + kh.len(),
            row_len: in_w * c,
            c,
            is_max,
        };
        let mut ow = 0;
        while ow < out_w {
            let width = cols[ow].len();
            let o = &mut orow[ow * c..];
            if window.rows.is_empty() || width == 0 {
                o[..c].fill(0.0);
                ow += 1;
                continue;
            }
            let group = c < 32
                && ow + PIXELS <= out_w
                && cols[ow..ow + PIXELS].iter().all(|r| r.len() == width);
            if group {
                let starts: [usize; PIXELS] = std::array::from_fn(|p| cols[ow + p].start);
                let mut cb = 0;
                if cb + 16 <= c {
                    // (Two at a time: four pixels' 16 channels left too few
                    // registers for a max's compares.)
                    let [s0, s1, s2, s3] = starts;
                    window.block::<16, 2>([s0, s1], width, cb, o);
                    window.block::<16, 2>([s2, s3], width, cb, &mut o[2 * c..]);
                    cb += 16;
                }
                if cb + 8 <= c {
                    window.block::<8, PIXELS>(starts, width, cb, o);
                    cb += 8;
                }
                window.tail::<PIXELS>(starts, width, cb, o);
                ow += PIXELS;
            } else {
                let starts = [cols[ow].start];
                let mut cb = 0;
                while cb + 32 <= c {
                    window.block::<32, 1>(starts, width, cb, o);
                    cb += 32;
                }
                if cb + 16 <= c {
                    window.block::<16, 1>(starts, width, cb, o);
                    cb += 16;
                }
                while cb + 8 <= c {
                    window.block::<8, 1>(starts, width, cb, o);
                    cb += 8;
                }
                window.tail::<1>(starts, width, cb, o);
                ow += 1;
            }
        }
    }
}

/// Neighbouring output pixels [`pool_rows_2d`] pools together under 32
/// channels.
const PIXELS: usize = 4;

/// The input rows inside one output row's windows.
struct Window<'a> {
    img: &'a [f32],
    rows: Range<usize>,
    /// Values per input row.
    row_len: usize,
    c: usize,
    is_max: bool,
}

impl Window<'_> {
    /// Channels `cb..` (fewer than 8) of `P` pixels, as [`Window::block`],
    /// all in one block: one per channel reread the window per channel
    /// (NASNet's 1 to 6 channels).
    #[inline(always)]
    fn tail<const P: usize>(&self, starts: [usize; P], width: usize, cb: usize, o: &mut [f32]) {
        match self.c - cb {
            0 => {}
            1 => self.block::<1, P>(starts, width, cb, o),
            2 => self.block::<2, P>(starts, width, cb, o),
            3 => self.block::<3, P>(starts, width, cb, o),
            4 => self.block::<4, P>(starts, width, cb, o),
            5 => self.block::<5, P>(starts, width, cb, o),
            6 => self.block::<6, P>(starts, width, cb, o),
            7 => self.block::<7, P>(starts, width, cb, o),
            _ => {
                for ch in cb..self.c {
                    self.block::<1, P>(starts, width, ch, o);
                }
            }
        }
    }

    /// Channels `cb..cb + B` of `P` neighbouring pixels into `o` (pixel
    /// `p`'s at `o[p * c..]`), whose windows are this row range and `width`
    /// columns from `starts[p]` (increasing). Each pixel's cells are taken in
    /// tap order (rows, then columns), the pixels interleaved.
    #[inline(always)]
    fn block<const B: usize, const P: usize>(
        &self,
        starts: [usize; P],
        width: usize,
        cb: usize,
        o: &mut [f32],
    ) {
        let (rows, c) = (self.rows.clone(), self.c);
        // The last cell read is checked once; every cell is then read
        // unchecked (a check per cell was a third of the loop).
        let last = (rows.end - 1) * self.row_len + (starts[P - 1] + width - 1) * c + cb + B;
        assert!(last <= self.img.len() && (P - 1) * c + cb + B <= o.len());
        let at = |ih: usize, iw: usize| -> [f32; B] {
            // SAFETY: ih < rows.end and iw < starts[P - 1] + width, so the
            // read ends at or before `last`, checked above.
            unsafe {
                self.img
                    .as_ptr()
                    .add(ih * self.row_len + iw * c + cb)
                    .cast::<[f32; B]>()
                    .read_unaligned()
            }
        };
        let mut acc: [[f32; B]; P] = std::array::from_fn(|p| at(rows.start, starts[p]));
        macro_rules! fold {
            ($op:expr) => {{
                for j in 1..width {
                    for p in 0..P {
                        let xv = at(rows.start, starts[p] + j);
                        for i in 0..B {
                            acc[p][i] = $op(acc[p][i], xv[i]);
                        }
                    }
                }
                for ih in rows.start + 1..rows.end {
                    for j in 0..width {
                        for p in 0..P {
                            let xv = at(ih, starts[p] + j);
                            for i in 0..B {
                                acc[p][i] = $op(acc[p][i], xv[i]);
                            }
                        }
                    }
                }
            }};
        }
        if self.is_max {
            fold!(max_nan);
        } else {
            fold!(|a: f32, b: f32| a + b);
            let count = (rows.len() * width) as f32;
            for a in acc.iter_mut() {
                for v in a.iter_mut() {
                    *v /= count;
                }
            }
        }
        for (p, a) in acc.iter().enumerate() {
            o[p * c + cb..p * c + cb + B].copy_from_slice(a);
        }
    }
}

dispatch!(fn pool_rows(x: &[f32], g: &Geom, is_max: bool, row0: usize, out: &mut [f32]) => pool_rows_impl);

#[inline(always)]
fn pool_rows_impl<const FMA: bool>(
    x: &[f32],
    g: &Geom,
    is_max: bool,
    row0: usize,
    out: &mut [f32],
) {
    let c = g.in_c;
    let [in_d, in_h, in_w] = g.in_sp;
    let [out_d, out_h, out_w] = g.out_sp;
    let mut taps: Vec<usize> = Vec::with_capacity(g.taps());
    // A window inside the input reads the same offsets from its corner:
    // computed once, not per pixel (pooling has no dilation).
    let [k_d, k_h, k_w] = g.k;
    let corner_offsets: Vec<usize> = (0..k_d)
        .flat_map(|kd| (0..k_h).flat_map(move |kh| (0..k_w).map(move |kw| (kd, kh, kw))))
        .map(|(kd, kh, kw)| ((kd * in_h + kh) * in_w + kw) * c)
        .collect();
    let inside_cols = if g.dil == [1, 1, 1] {
        g.interior(2)
    } else {
        0..0
    };
    for (r, orow) in out.chunks_exact_mut(out_w * c).enumerate() {
        let row = row0 + r;
        let oh = row % out_h;
        let od = (row / out_h) % out_d;
        let n = row / (out_h * out_d);
        let img = &x[n * in_d * in_h * in_w * c..(n + 1) * in_d * in_h * in_w * c];
        let inside_row = g.taps_in(0, od) == (0..k_d) && g.taps_in(1, oh) == (0..k_h);
        // Fewer channels than a vector: the interior pixels tap by tap over
        // the whole run (one pass per window cell), not channel by channel
        // per pixel. Same cells in the same order: the same bits.
        let narrow = inside_row && c < 8 && !inside_cols.is_empty();
        if narrow {
            let (id, ih) = (g.start(0, od) as usize, g.start(1, oh) as usize);
            let iw = g.start(2, inside_cols.start) as usize;
            let run = NarrowRun {
                img,
                corner: ((id * in_h + ih) * in_w + iw) * c,
                step: g.stride[2] * c,
                offsets: &corner_offsets,
                is_max,
            };
            let seg = &mut orow[inside_cols.start * c..inside_cols.end * c];
            match c {
                1 => run.pool::<1>(seg),
                2 => run.pool::<2>(seg),
                3 => run.pool::<3>(seg),
                4 => run.pool::<4>(seg),
                _ => run.pool_any(c, seg),
            }
        }
        for ow in 0..out_w {
            if narrow && inside_cols.contains(&ow) {
                continue;
            }
            taps.clear();
            if inside_row && inside_cols.contains(&ow) {
                let (id, ih, iw) = (g.start(0, od), g.start(1, oh), g.start(2, ow));
                let corner = ((id as usize * in_h + ih as usize) * in_w + iw as usize) * c;
                taps.extend(corner_offsets.iter().map(|o| corner + o));
            }
            for kd in if taps.is_empty() {
                g.taps_in(0, od)
            } else {
                0..0
            } {
                let id = (g.start(0, od) + kd as isize) as usize;
                for kh in g.taps_in(1, oh) {
                    let ih = (g.start(1, oh) + kh as isize) as usize;
                    for kw in g.taps_in(2, ow) {
                        let iw = (g.start(2, ow) + kw as isize) as usize;
                        taps.push(((id * in_h + ih) * in_w + iw) * c);
                    }
                }
            }
            let o = &mut orow[ow * c..(ow + 1) * c];
            if taps.is_empty() {
                o.fill(0.0);
                continue;
            }
            let mut cb = 0;
            while cb + 32 <= c {
                pool_block::<32>(img, &taps, cb, is_max, o);
                cb += 32;
            }
            // 16 and 24 channels (small models) in one or two blocks, not
            // two or three of 8.
            if cb + 16 <= c {
                pool_block::<16>(img, &taps, cb, is_max, o);
                cb += 16;
            }
            while cb + 8 <= c {
                pool_block::<8>(img, &taps, cb, is_max, o);
                cb += 8;
            }
            while cb < c {
                pool_block::<1>(img, &taps, cb, is_max, o);
                cb += 1;
            }
        }
    }
}

/// The interior pixels of one output row, each pixel's window starting
/// `step` values after the previous one's, from `corner` in `img`.
struct NarrowRun<'a> {
    img: &'a [f32],
    corner: usize,
    step: usize,
    /// Each window cell's offset from the window's corner, in tap order.
    offsets: &'a [usize],
    is_max: bool,
}

impl NarrowRun<'_> {
    /// `C` channels per pixel: fixed-size arrays the compiler keeps in registers.
    #[inline(always)]
    fn pool<const C: usize>(&self, seg: &mut [f32]) {
        let at = |p: usize, off: usize| -> &[f32; C] {
            let i = self.corner + p * self.step + off;
            self.img[i..i + C].try_into().unwrap()
        };
        for (p, o) in seg.chunks_exact_mut(C).enumerate() {
            o.copy_from_slice(at(p, self.offsets[0]));
        }
        for &off in &self.offsets[1..] {
            for (p, o) in seg.chunks_exact_mut(C).enumerate() {
                let x = at(p, off);
                for i in 0..C {
                    o[i] = if self.is_max {
                        max_nan(o[i], x[i])
                    } else {
                        o[i] + x[i]
                    };
                }
            }
        }
        self.finish(seg);
    }

    /// Any channel count (5 to 7).
    #[inline(always)]
    fn pool_any(&self, c: usize, seg: &mut [f32]) {
        let at = |p: usize, off: usize| {
            let i = self.corner + p * self.step + off;
            &self.img[i..i + c]
        };
        for (p, o) in seg.chunks_exact_mut(c).enumerate() {
            o.copy_from_slice(at(p, self.offsets[0]));
        }
        for &off in &self.offsets[1..] {
            for (p, o) in seg.chunks_exact_mut(c).enumerate() {
                for (o, &x) in o.iter_mut().zip(at(p, off)) {
                    *o = if self.is_max { max_nan(*o, x) } else { *o + x };
                }
            }
        }
        self.finish(seg);
    }

    /// An average divides by the window's cell count (all inside).
    #[inline(always)]
    fn finish(&self, seg: &mut [f32]) {
        if !self.is_max {
            let count = self.offsets.len() as f32;
            for v in seg.iter_mut() {
                *v /= count;
            }
        }
    }
}

/// The larger of `acc` and `x`; NaN propagates like TensorFlow's max.
#[inline(always)]
fn max_nan(acc: f32, x: f32) -> f32 {
    if x > acc || x.is_nan() {
        x
    } else {
        acc
    }
}

#[inline(always)]
fn pool_block<const B: usize>(img: &[f32], taps: &[usize], cb: usize, is_max: bool, o: &mut [f32]) {
    let first: &[f32; B] = img[taps[0] + cb..taps[0] + cb + B].try_into().unwrap();
    let mut acc = *first;
    if is_max {
        for &xo in &taps[1..] {
            let xv: &[f32; B] = img[xo + cb..xo + cb + B].try_into().unwrap();
            for i in 0..B {
                acc[i] = max_nan(acc[i], xv[i]);
            }
        }
    } else {
        for &xo in &taps[1..] {
            let xv: &[f32; B] = img[xo + cb..xo + cb + B].try_into().unwrap();
            for i in 0..B {
                acc[i] += xv[i];
            }
        }
        let count = taps.len() as f32;
        for a in acc.iter_mut() {
            *a /= count;
        }
    }
    o[cb..cb + B].copy_from_slice(&acc);
}

fn check_global(
    name: &str,
    input: &[f32],
    batch: usize,
    spatial: usize,
    channels: usize,
    out: &[f32],
) {
    assert!(
        input.len() == batch * spatial * channels,
        "{name}: input has {} values, expected {batch}×{spatial}×{channels}",
        input.len()
    );
    assert!(
        out.len() == batch * channels,
        "{name}: output has {} values, expected {batch}×{channels}",
        out.len()
    );
}

/// Global average pooling: `input` is `[batch, spatial, channels]` where
/// `spatial` is the product of all spatial dimensions (works for 1-D, 2-D and
/// 3-D channels-last tensors); `out` is `[batch, channels]`. An empty spatial
/// extent gives NaN (0/0), like TensorFlow's mean.
///
/// # Panics
/// If a slice length does not match.
///
/// ```
/// use tfjs_kernels::global_avg_pool;
/// let mut out = [0.0; 2];
/// global_avg_pool(&[1.0, 10.0, 3.0, 30.0], 1, 2, 2, &mut out);
/// assert_eq!(out, [2.0, 20.0]);
/// ```
pub fn global_avg_pool(
    input: &[f32],
    batch: usize,
    spatial: usize,
    channels: usize,
    out: &mut [f32],
) {
    check_global("global_avg_pool", input, batch, spatial, channels, out);
    if channels == 0 {
        return;
    }
    global_rows(input, spatial, channels, false, out);
}

/// Global max pooling over `[batch, spatial, channels]` into `[batch, channels]`;
/// an empty spatial extent gives `-inf`.
///
/// # Panics
/// If a slice length does not match.
///
/// ```
/// use tfjs_kernels::global_max_pool;
/// let mut out = [0.0; 2];
/// global_max_pool(&[1.0, 10.0, 3.0, -30.0], 1, 2, 2, &mut out);
/// assert_eq!(out, [3.0, 10.0]);
/// ```
pub fn global_max_pool(
    input: &[f32],
    batch: usize,
    spatial: usize,
    channels: usize,
    out: &mut [f32],
) {
    check_global("global_max_pool", input, batch, spatial, channels, out);
    if channels == 0 {
        return;
    }
    global_rows(input, spatial, channels, true, out);
}

fn global_rows(input: &[f32], spatial: usize, channels: usize, is_max: bool, out: &mut [f32]) {
    let img = spatial * channels;
    let split = crate::team::threads() > 1
        && input.len() >= crate::team::split_threshold()
        && out.len() > channels;
    crate::team::for_each_chunk(out, channels, split, |_: &mut (), n, o| {
        global_one(&input[n * img..(n + 1) * img], is_max, o)
    });
}

dispatch!(fn global_one(x: &[f32], is_max: bool, out: &mut [f32]) => global_one_impl);

#[inline(always)]
fn global_one_impl<const FMA: bool>(x: &[f32], is_max: bool, out: &mut [f32]) {
    let c = out.len();
    if is_max {
        out.fill(f32::NEG_INFINITY);
        for row in x.chunks_exact(c) {
            for (o, &v) in out.iter_mut().zip(row) {
                *o = max_nan(*o, v);
            }
        }
    } else {
        out.fill(0.0);
        for row in x.chunks_exact(c) {
            for (o, &v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
        let n = (x.len() / c) as f32;
        for o in out.iter_mut() {
            *o /= n;
        }
    }
}

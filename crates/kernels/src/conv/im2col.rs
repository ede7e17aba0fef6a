//! How a convolution runs as matrix products against its packed kernel:
//! a pointwise one in tiles of pixels, a 3×3 stride-1 one with many
//! channels by Winograd's F(2×2, 3×3) (`super::winograd`), any other
//! output row by output row, reading interior windows in place and
//! gathering (im2col) only the border.

use super::{MIN_PAR_ROWS, MIN_SPLIT_ROWS, TILE_FLOATS};
use crate::geom::Geom;
use crate::packed::{gemm_lhs, gemm_packed, gemm_rows, rows_kernel, Lhs, PackedMatrix, RowsLhs};
use crate::team;
use crate::FusedActivation as Activation;

/// A 1×1 stride-1 convolution multiplies the input in place, in tiles of
/// output pixels. Anything else goes output row by output row: the pixels
/// whose window lies inside the input read it straight from the input (one
/// left-operand segment per kernel row), and only the border pixels are
/// gathered (im2col) into a small buffer. Tiles or rows are spread over rayon.
pub(super) fn conv_packed_geom(
    input: &[f32],
    packed: &PackedMatrix,
    g: &Geom,
    act: Activation,
    out: &mut [f32],
) {
    let oc = g.out_c;
    let kk = g.taps() * g.in_c;
    let pixels = g.batch * g.out_pixels();
    if out.is_empty() {
        return;
    }
    if let Some(live) = reached_taps(g) {
        // Only these taps ever reach the image: the same convolution with
        // the kernel cut to them (the others only ever multiply padding).
        let trimmed = Geom {
            k: std::array::from_fn(|d| live[d].len()),
            pad: std::array::from_fn(|d| g.pad[d] - live[d].start),
            ..*g
        };
        let subset = packed.taps_subset(&(g.k, g.in_c, live));
        return conv_packed_geom(input, &subset, &trimmed, act, out);
    }
    let flops = pixels.saturating_mul(kk).saturating_mul(oc);
    let threads = team::threads();
    let parallel = threads > 1 && flops >= team::split_threshold();
    let pointwise =
        g.k == [1, 1, 1] && g.stride == [1, 1, 1] && g.pad == [0, 0, 0] && g.in_sp == g.out_sp;
    if pointwise {
        if parallel && pixels < 2 * MIN_SPLIT_ROWS {
            if let Some(parts) = packed.column_parts(threads) {
                return product_by_columns(input, kk, pixels, parts, act, out);
            }
        }
        let tile = (TILE_FLOATS / kk.max(1))
            .clamp(MIN_PAR_ROWS, 4096)
            .min(pixels);
        let tile = if parallel {
            tile.min(pixels.div_ceil(threads * 4))
                .max(MIN_SPLIT_ROWS)
                .next_multiple_of(6)
        } else {
            tile
        };
        team::for_each_chunk(
            out,
            tile * oc,
            parallel && pixels >= 2 * MIN_SPLIT_ROWS,
            |_: &mut (), i, chunk| {
                let rows = chunk.len() / oc;
                let p0 = i * tile;
                gemm_packed(
                    &input[p0 * kk..(p0 + rows) * kk],
                    kk,
                    rows,
                    packed,
                    act,
                    chunk,
                );
            },
        );
        return;
    }
    if super::winograd::applies(g) {
        return super::winograd::conv_winograd(input, packed, g, act, out, parallel);
    }
    // With a zero border copied around the input every window lies inside
    // it, and every output pixel is read in place (no per-pixel gather).
    // Gathering the border pixels instead, even for a kernel that fits in
    // L1, made VGG-style's 3-channel first convolutions 1.5x slower.
    let padded_geom = padded_geom(g);
    let g_rows = padded_geom.as_ref().unwrap_or(g);
    let row_len = g.out_sp[2] * oc;
    let rows = g.batch * g.out_sp[0] * g.out_sp[1];
    // Narrow stride-1 images: several output rows per product (see
    // `conv_rows_joined`); one product per row cost more in per-call work
    // than in arithmetic (VGG-style's 32-, 16- and 8-pixel rows). Not for
    // a single row per image (1-D: nothing to join) nor a kernel wider
    // than the output (more dropped pixels than kept ones).
    let joinable = g_rows.dil == [1, 1, 1]
        && g_rows.pad == [0, 0, 0]
        && g_rows.k[0] == 1
        && g_rows.in_sp[0] == 1
        && g_rows.out_sp[1] > 1
        && g_rows.out_sp[2] <= WRAPPED_MAX_WIDTH;
    // Where a kernel takes a pointer per row (AVX2), those rows' pixels are
    // read in place instead, none computed to be dropped: the wrapped
    // products dropped 20%, 33% and 50% of DenseNet's 8-, 4- and 2-pixel
    // rows. With a pointer per pixel the rows join at any stride too (a
    // stride-2 stem's 16-pixel rows were a product each, a third of
    // RegNetX002's time at batch 32).
    let indirect = joinable && rows_kernel(packed);
    let joined =
        indirect || (joinable && g_rows.stride == [1, 1, 1] && g_rows.k[2] <= g_rows.out_sp[2] + 1);
    let run_rows =
        |input: &[f32], g: &Geom, first: usize, chunk: &mut [f32], s: &mut RowScratch| {
            if joined {
                conv_rows_joined(input, packed, g, act, first, chunk, s, indirect);
            } else {
                for (r, orow) in chunk.chunks_exact_mut(row_len).enumerate() {
                    conv_row(input, packed, g, act, first + r, orow, s);
                }
            }
        };
    let Some(pg) = padded_geom.filter(|_| g.batch > 1) else {
        // One image (or no border): padded once, split by output rows.
        let padded = padded_geom.map(|pg| {
            let mut buf = Vec::new();
            pad_into(input, g, &pg, &mut buf);
            buf
        });
        let input = padded.as_deref().unwrap_or(input);
        let per_task = if parallel {
            rows.div_ceil(threads * 4).max(1)
        } else {
            rows
        };
        team::for_each_chunk(
            out,
            per_task * row_len,
            parallel && rows > 1,
            |scratch: &mut RowScratch, i, chunk| {
                run_rows(input, g_rows, i * per_task, chunk, scratch)
            },
        );
        return;
    };
    // Several images: each task pads its own images into its scratch, in
    // parallel and while they are in cache (one serial copy of a batch-32
    // stem's input before was a tenth of that convolution's time).
    let image_in = g.in_sp.iter().product::<usize>() * g.in_c;
    let image_padded = pg.in_sp.iter().product::<usize>() * g.in_c;
    let image_rows = g.out_sp[0] * g.out_sp[1];
    let fit = (2 * TILE_FLOATS / image_padded.max(1)).max(1);
    let per_task = match parallel {
        true => g.batch.div_ceil(threads * 4),
        false => g.batch,
    }
    .min(fit)
    .max(1);
    team::for_each_chunk(
        out,
        per_task * image_rows * row_len,
        parallel,
        |scratch: &mut RowScratch, i, chunk| {
            let images = chunk.len() / (image_rows * row_len);
            let n0 = i * per_task;
            let x = &input[n0 * image_in..(n0 + images) * image_in];
            let sub = Geom {
                batch: images,
                ..*g
            };
            let padded_sub = Geom {
                batch: images,
                ..pg
            };
            let mut buf = std::mem::take(&mut scratch.padded);
            pad_into(x, &sub, &padded_sub, &mut buf);
            run_rows(&buf, &padded_sub, 0, chunk, scratch);
            scratch.padded = buf;
        },
    );
}

/// The taps per spatial dimension that some output position reads inside
/// the input, when that is fewer than the kernel's (an image not much
/// larger than the kernel: Keras's small-input ResNets and RegNets end in
/// 3×3 "same" convolutions of 1×1 or 2×2 images, 9× or 2.25× the work);
/// `None` when every tap is reached, or none is, or the kernel is dilated.
fn reached_taps(g: &Geom) -> Option<[std::ops::Range<usize>; 3]> {
    if g.dil != [1, 1, 1] || g.out_sp.contains(&0) {
        return None;
    }
    // A tap's input position falls as the output position rises: the
    // first tap reached is the last output's first inside the input, the
    // last reached the first output's last.
    let live: [std::ops::Range<usize>; 3] = std::array::from_fn(|d| {
        let last_start = ((g.out_sp[d] - 1) * g.stride[d]) as isize - g.pad[d] as isize;
        let lo = (-last_start).max(0) as usize;
        let hi = g.k[d].min(g.in_sp[d] + g.pad[d]);
        lo..hi
    });
    let all = live
        .iter()
        .zip(g.k)
        .all(|(r, k)| r.start == 0 && r.end == k);
    let none = live.iter().any(|r| r.is_empty());
    (!all && !none).then_some(live)
}

/// `out` (`rows` × the parts' columns) as one product per column part
/// ([`PackedMatrix::column_parts`]), split over the threads: for products
/// of too few rows to split by rows (MobileNet v1's classifier, 256 → 1000
/// for one pixel, and its 4×4 layers). Each part fills its own block of a
/// buffer, copied into `out`'s columns after.
fn product_by_columns(
    input: &[f32],
    kk: usize,
    rows: usize,
    parts: &[(usize, PackedMatrix)],
    act: Activation,
    out: &mut [f32],
) {
    let n = out.len() / rows;
    let widest = parts.iter().map(|(_, p)| p.n()).max().unwrap_or(0);
    let mut blocks = vec![0.0f32; parts.len() * rows * widest];
    team::for_each_chunk(&mut blocks, rows * widest, true, |_: &mut (), j, block| {
        let part = &parts[j].1;
        gemm_packed(input, kk, rows, part, act, &mut block[..rows * part.n()]);
    });
    for ((c0, part), block) in parts.iter().zip(blocks.chunks_exact(rows * widest)) {
        let w = part.n();
        for (r, src) in block[..rows * w].chunks_exact(w).enumerate() {
            out[r * n + c0..r * n + c0 + w].copy_from_slice(src);
        }
    }
}

/// Output widths up to which stride-1 rows are computed several at a time.
const WRAPPED_MAX_WIDTH: usize = 32;

/// Output rows `first..` (flat over batch × out_h; `chunk` holds whole
/// rows) of a stride-1, undilated 1-D/2-D convolution with no padding left,
/// several rows per product. Within an image, output pixel `(oh, ow)` reads
/// its kernel row `kh` at `((oh * s_h + kh) * in_w + ow * s_w) * c` from the
/// image's row-`kh` base. With `indirect` (a [`RowsLhs`] kernel,
/// [`rows_kernel`]), each output pixel is a row at its own offset from the
/// run's first row, so a run may cross images, computes nothing twice, and
/// may have any stride. Otherwise (stride 1 only) the
/// offsets are affine in `oh * in_w + ow` within an image, and a run of
/// rows is one product over `in_w`-wide "wrapped" rows, whose `k_w - 1`
/// extra pixels per row (windows across the row's end) are computed into
/// the scratch and dropped when the valid pixels are copied out. Either
/// way each output pixel goes through exactly the products of
/// [`conv_row`].
#[allow(clippy::too_many_arguments)]
fn conv_rows_joined(
    input: &[f32],
    packed: &PackedMatrix,
    g: &Geom,
    act: Activation,
    first: usize,
    chunk: &mut [f32],
    scratch: &mut RowScratch,
    indirect: bool,
) {
    let (c, oc) = (g.in_c, g.out_c);
    let [_, in_h, in_w] = g.in_sp;
    let [_, out_h, out_w] = g.out_sp;
    let [_, k_h, k_w] = g.k;
    let row_len = out_w * oc;
    let total = chunk.len() / row_len;
    let seg_len = k_w * c;
    // Rows per product: about a tile of the left operand (as 1×1 products)
    // in place, or of the wrapped product's scratch.
    let per_run = if indirect {
        TILE_FLOATS / (out_w * k_h * seg_len).max(1)
    } else {
        TILE_FLOATS / (in_w * oc).max(1)
    }
    .max(1);
    let mut done = 0;
    while done < total {
        let row = first + done;
        let (n, oh) = (row / out_h, row % out_h);
        let count = match indirect {
            true => (total - done).min(per_run),
            false => (out_h - oh).min(total - done).min(per_run),
        };
        let RowScratch {
            im2col: buf,
            bases,
            offsets,
            ..
        } = &mut *scratch;
        let [_, s_h, s_w] = g.stride;
        bases.clear();
        for kh in 0..k_h {
            bases.push(input[((n * in_h + oh * s_h + kh) * in_w) * c..].as_ptr());
        }
        let out = &mut chunk[done * row_len..(done + count) * row_len];
        if indirect {
            offsets.clear();
            for r in row..row + count {
                // Image rows in the input, counted from the run's first.
                let in_row = (r / out_h - n) * in_h + (r % out_h) * s_h - oh * s_h;
                offsets.extend((0..out_w).map(|ow| (in_row * in_w + ow * s_w) * c));
            }
            let last = offsets.last().map_or(0, |o| o + seg_len);
            check_segments(input, bases, seg_len, last, packed);
            let lhs = RowsLhs {
                bases,
                seg_len,
                offsets,
            };
            // SAFETY: `rows_kernel` holds (the caller's `indirect`); every
            // row's segments end inside `input` (checked: the offsets grow,
            // the last is the largest) and cover packed.k() values; `out`
            // has a row of `oc` values per offset.
            unsafe { gemm_rows(&lhs, packed, act, out) };
        } else {
            let m = (count - 1) * in_w + out_w;
            buf.resize(m * oc, 0.0);
            let lhs = Lhs {
                bases,
                seg_len,
                row_stride: c,
            };
            product_in_place(input, &lhs, m, packed, act, &mut buf[..m * oc]);
            for (r, orow) in out.chunks_exact_mut(row_len).enumerate() {
                orow.copy_from_slice(&buf[r * in_w * oc..r * in_w * oc + row_len]);
            }
        }
        done += count;
    }
}

/// The geometry of `g`'s input inside a zero border just wide enough for
/// every window (no padding left); `None` when no window leaves the input,
/// or when the border would be larger than the input itself (an explicit
/// geometry with an absurd padding keeps the gathering path).
fn padded_geom(g: &Geom) -> Option<Geom> {
    let mut border = [(0usize, 0usize); 3];
    for (d, b) in border.iter_mut().enumerate() {
        let reach = (g.out_sp[d] - 1) * g.stride[d] + (g.k[d] - 1) * g.dil[d] + 1;
        *b = (g.pad[d], reach.saturating_sub(g.pad[d] + g.in_sp[d]));
    }
    if border.iter().all(|&(a, b)| a == 0 && b == 0) {
        return None;
    }
    let sp: [usize; 3] = std::array::from_fn(|d| g.in_sp[d] + border[d].0 + border[d].1);
    let image = [sp[0], sp[1], sp[2], g.in_c]
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))?;
    let image_in = g.in_sp.iter().product::<usize>() * g.in_c;
    if image > 2 * image_in + (1 << 16) / g.batch.max(1) {
        return None;
    }
    Some(Geom {
        in_sp: sp,
        pad: [0; 3],
        ..*g
    })
}

/// `input` (the images of `g`) inside the zero border of `padded`
/// ([`padded_geom`] of `g`), into `buf` (replacing what it held).
fn pad_into(input: &[f32], g: &Geom, padded: &Geom, buf: &mut Vec<f32>) {
    let sp = padded.in_sp;
    let border: [(usize, usize); 3] =
        std::array::from_fn(|d| (g.pad[d], sp[d] - g.pad[d] - g.in_sp[d]));
    // Written row by row, zeros only where the border is: zeroing the
    // whole buffer first would write every value twice.
    buf.clear();
    buf.reserve(g.batch * sp.iter().product::<usize>() * g.in_c);
    let [in_d, in_h, in_w] = g.in_sp;
    let run = in_w * g.in_c;
    let padded_row = sp[2] * g.in_c;
    let (left, right) = (border[2].0 * g.in_c, border[2].1 * g.in_c);
    let zeros = |buf: &mut Vec<f32>, count: usize| buf.resize(buf.len() + count, 0.0);
    for n in 0..g.batch {
        zeros(buf, border[0].0 * sp[1] * padded_row);
        for id in 0..in_d {
            zeros(buf, border[1].0 * padded_row);
            for ih in 0..in_h {
                let src = ((n * in_d + id) * in_h + ih) * run;
                zeros(buf, left);
                buf.extend_from_slice(&input[src..src + run]);
                zeros(buf, right);
            }
            zeros(buf, border[1].1 * padded_row);
        }
        zeros(buf, border[0].1 * sp[1] * padded_row);
    }
    debug_assert_eq!(buf.len(), g.batch * sp.iter().product::<usize>() * g.in_c);
}

/// Per-thread buffers of [`conv_row`].
#[derive(Default)]
struct RowScratch {
    im2col: Vec<f32>,
    /// A task's images inside their zero border.
    padded: Vec<f32>,
    bases: Vec<*const f32>,
    /// A [`RowsLhs`]'s row offsets.
    offsets: Vec<usize>,
    border_bases: Vec<*const f32>,
}

/// Output row `row` (flat over batch × out_d × out_h) of a convolution.
fn conv_row(
    input: &[f32],
    packed: &PackedMatrix,
    g: &Geom,
    act: Activation,
    row: usize,
    orow: &mut [f32],
    scratch: &mut RowScratch,
) {
    let (c, oc) = (g.in_c, g.out_c);
    let kk = g.taps() * c;
    let [in_d, in_h, in_w] = g.in_sp;
    let [out_d, out_h, out_w] = g.out_sp;
    let [k_d, k_h, k_w] = g.k;
    let oh = row % out_h;
    let od = (row / out_h) % out_d;
    let n = row / (out_h * out_d);
    let inside = g.taps_in(0, od) == (0..k_d) && g.taps_in(1, oh) == (0..k_h);
    let cols = if inside { g.interior(2) } else { 0..0 };
    // Interior pixels are read in place, one segment per (kd, kh) run of
    // k_w * c contiguous values (per tap when the width is dilated).
    let (seg_len, per_row) = if g.dil[2] == 1 {
        (k_w * c, 1)
    } else {
        (c, k_w)
    };
    // Border pixels: gathered, and read as the same segments (a kernel's
    // packing for few output channels depends on the segment length).
    let mut gathered = |from: usize, to: usize, orow: &mut [f32]| {
        if from < to {
            let RowScratch {
                im2col: buf,
                border_bases: bases,
                ..
            } = &mut *scratch;
            buf.resize((to - from) * kk, 0.0);
            im2col(input, g, row * out_w + from, to - from, buf);
            bases.clear();
            bases.extend((0..kk / seg_len).map(|s| buf[s * seg_len..].as_ptr()));
            let lhs = Lhs {
                bases,
                seg_len,
                row_stride: kk,
            };
            // SAFETY: `buf` holds `to - from` rows of `kk` values, and the
            // segments split each row into `kk / seg_len` runs.
            unsafe { gemm_lhs(&lhs, to - from, packed, act, &mut orow[from * oc..to * oc]) };
        }
    };
    gathered(0, cols.start, orow);
    gathered(cols.end, out_w, orow);
    if cols.is_empty() {
        return;
    }
    let iw0 = g.start(2, cols.start) as usize;
    let bases = &mut scratch.bases;
    bases.clear();
    for kd in 0..k_d {
        let id = (g.start(0, od) + (kd * g.dil[0]) as isize) as usize;
        for kh in 0..k_h {
            let ih = (g.start(1, oh) + (kh * g.dil[1]) as isize) as usize;
            for kw in 0..per_row {
                let iw = iw0 + kw * g.dil[2];
                let at = (((n * in_d + id) * in_h + ih) * in_w + iw) * c;
                bases.push(input[at..].as_ptr());
            }
        }
    }
    let lhs = Lhs {
        bases,
        seg_len,
        row_stride: g.stride[2] * c,
    };
    product_in_place(
        input,
        &lhs,
        cols.len(),
        packed,
        act,
        &mut orow[cols.start * oc..cols.end * oc],
    );
}

/// `out = act(lhs · packed + bias)` for `rows` rows whose segments point
/// into `input` (read in place), after checking that every segment's last
/// read lies inside `input`.
fn product_in_place(
    input: &[f32],
    lhs: &Lhs<'_>,
    rows: usize,
    packed: &PackedMatrix,
    act: Activation,
    out: &mut [f32],
) {
    if rows == 0 {
        return;
    }
    let last = (rows - 1) * lhs.row_stride + lhs.seg_len;
    check_segments(input, lhs.bases, lhs.seg_len, last, packed);
    // SAFETY: every segment's reads end inside `input` (checked), and the
    // segments cover packed.k() values per row.
    unsafe { gemm_lhs(lhs, rows, packed, act, out) };
}

/// Panics unless segments of `seg_len` values cover `packed.k()` and every
/// segment base reads `last` values inside `input`.
fn check_segments(
    input: &[f32],
    bases: &[*const f32],
    seg_len: usize,
    last: usize,
    packed: &PackedMatrix,
) {
    let (start, end) = (input.as_ptr() as usize, input.as_ptr_range().end as usize);
    assert!(bases.len() * seg_len == packed.k());
    assert!(bases
        .iter()
        .all(|&b| b as usize >= start && (end - b as usize) / 4 >= last));
}

/// Gather the receptive fields of output pixels `p0..p0+rows` (flat over
/// batch and output space) into `buf` (`rows × taps*in_c`), zeros for padding.
fn im2col(input: &[f32], g: &Geom, p0: usize, rows: usize, buf: &mut [f32]) {
    let c = g.in_c;
    let [_, in_h, in_w] = g.in_sp;
    let [od_n, oh_n, ow_n] = g.out_sp;
    let [k_d, k_h, k_w] = g.k;
    let kk = k_d * k_h * k_w * c;
    let row_w = k_w * c;
    for r in 0..rows {
        let p = p0 + r;
        let ow = p % ow_n;
        let t = p / ow_n;
        let oh = t % oh_n;
        let t = t / oh_n;
        let od = t % od_n;
        let n = t / od_n;
        let dst = &mut buf[r * kk..(r + 1) * kk];
        let dr = g.taps_in(0, od);
        let hr = g.taps_in(1, oh);
        let wr = g.taps_in(2, ow);
        let full_w = wr.start == 0 && wr.end == k_w && g.dil[2] == 1;
        let iw0 = g.start(2, ow);
        for kd in 0..k_d {
            let dst_d = &mut dst[kd * k_h * row_w..(kd + 1) * k_h * row_w];
            if !dr.contains(&kd) {
                dst_d.fill(0.0);
                continue;
            }
            let id = (g.start(0, od) + (kd * g.dil[0]) as isize) as usize;
            for kh in 0..k_h {
                let drow = &mut dst_d[kh * row_w..(kh + 1) * row_w];
                if !hr.contains(&kh) {
                    drow.fill(0.0);
                    continue;
                }
                let ih = (g.start(1, oh) + (kh * g.dil[1]) as isize) as usize;
                let base = ((n * g.in_sp[0] + id) * in_h + ih) * in_w;
                if full_w {
                    let s = (base + iw0 as usize) * c;
                    copy_run(drow, &input[s..s + row_w]);
                } else {
                    for kw in 0..k_w {
                        let d = &mut drow[kw * c..(kw + 1) * c];
                        if wr.contains(&kw) {
                            let iw = (iw0 + (kw * g.dil[2]) as isize) as usize;
                            let s = (base + iw) * c;
                            copy_run(d, &input[s..s + c]);
                        } else {
                            d.fill(0.0);
                        }
                    }
                }
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for the short runs of im2col (a 3×3 window
/// over 3 channels copies 9 values per row): fixed-size chunks compile to
/// register moves, where a `memcpy` call per run would cost more than the copy.
#[inline(always)]
fn copy_run(dst: &mut [f32], src: &[f32]) {
    if dst.len() > 64 {
        dst.copy_from_slice(src);
        return;
    }
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let v: [f32; 8] = s.try_into().expect("chunks of 8");
        d.copy_from_slice(&v);
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Conv2dParams, Padding};

    /// Several stride-1 rows as one wrapped product give the same bits as
    /// one product per row (narrow and wide kernels, "same" and "valid",
    /// several images, runs cut by the scratch size and by images).
    #[test]
    fn wrapped_rows_match_row_by_row_bit_for_bit() {
        for (batch, hw, in_c, out_c, k, padding) in [
            (3, [5, 7], 3, 4, [3, 3], Padding::Same),
            (2, [6, 9], 4, 2, [3, 2], Padding::Valid),
            (2, [4, 32], 8, 19, [3, 3], Padding::Same),
            (1, [9, 3], 5, 1, [1, 3], Padding::Same),
            (2, [5, 5], 2, 8, [2, 2], Padding::Valid),
            // Runs of the indirect rows cut by the tile size.
            (3, [12, 8], 96, 9, [3, 3], Padding::Same),
        ] {
            let p = Conv2dParams::new(batch, hw, in_c, out_c, k, [1, 1], [1, 1], padding).unwrap();
            let g = p.geom();
            let input: Vec<f32> = (0..batch * hw[0] * hw[1] * in_c)
                .map(|i| ((i * 7919 % 1009) as f32) / 500.0 - 1.0)
                .collect();
            let kk = k[0] * k[1] * in_c;
            let w: Vec<f32> = (0..kk * out_c)
                .map(|i| ((i * 104729 % 997) as f32) / 498.0 - 1.0)
                .collect();
            let bias: Vec<f32> = (0..out_c).map(|i| i as f32 * 0.1 - 0.3).collect();
            let packed = PackedMatrix::new(&w, kk, out_c, Some(&bias));
            let padded = padded_geom(&g).map(|pg| {
                let mut buf = vec![f32::NAN; 3];
                pad_into(&input, &g, &pg, &mut buf);
                (buf, pg)
            });
            let (x, g) = match &padded {
                Some((buf, pg)) => (&buf[..], *pg),
                None => (&input[..], g),
            };
            let row_len = g.out_sp[2] * out_c;
            let rows = batch * g.out_sp[1];
            let mut by_row = vec![f32::NAN; rows * row_len];
            let mut scratch = RowScratch::default();
            for (r, orow) in by_row.chunks_exact_mut(row_len).enumerate() {
                conv_row(x, &packed, &g, Activation::Relu, r, orow, &mut scratch);
            }
            // Every split of the rows into tasks, as the parallel path cuts
            // them; wrapped rows, and rows read in place where a kernel can.
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            for indirect in [false, true] {
                if indirect && !rows_kernel(&packed) {
                    continue;
                }
                for per_task in [1, 2, rows] {
                    let mut joined = vec![f32::NAN; rows * row_len];
                    for (i, chunk) in joined.chunks_mut(per_task * row_len).enumerate() {
                        let mut scratch = RowScratch::default();
                        let first = i * per_task;
                        let relu = Activation::Relu;
                        conv_rows_joined(
                            x,
                            &packed,
                            &g,
                            relu,
                            first,
                            chunk,
                            &mut scratch,
                            indirect,
                        );
                    }
                    assert_eq!(
                        bits(&joined),
                        bits(&by_row),
                        "{hw:?} {in_c}->{out_c} {k:?} per_task {per_task} indirect {indirect}"
                    );
                }
            }
        }
    }

    /// A batch of padded images, each task padding its own images (split
    /// over threads, or in groups that fit the cache), gives the bits of
    /// each image convolved on its own (one padded copy, split by rows).
    #[test]
    fn images_padded_per_task_match_each_image_alone() {
        for (batch, hw, in_c, out_c, s, padding) in [
            // Split over threads (4M multiply-adds and more).
            (13, [33, 31], 3, 32, 2, Padding::Same),
            (9, [24, 24], 5, 24, 1, Padding::Same),
            // Images larger than a task's group: one image per task.
            (3, [190, 180], 4, 6, 2, Padding::Same),
            (2, [7, 40], 3, 8, 1, Padding::Valid),
        ] {
            let p =
                Conv2dParams::new(batch, hw, in_c, out_c, [3, 3], [s, s], [1, 1], padding).unwrap();
            let one = Conv2dParams { batch: 1, ..p };
            let input: Vec<f32> = (0..batch * hw[0] * hw[1] * in_c)
                .map(|i| ((i * 7919 % 1009) as f32) / 500.0 - 1.0)
                .collect();
            let kk = 9 * in_c;
            let w: Vec<f32> = (0..kk * out_c)
                .map(|i| ((i * 104729 % 997) as f32) / 498.0 - 1.0)
                .collect();
            let packed = PackedMatrix::new(&w, kk, out_c, None);
            let mut all = vec![f32::NAN; p.output_len()];
            crate::conv2d_packed(&input, &packed, Activation::Relu6, &p, &mut all);
            let image_in = input.len() / batch;
            for (n, want) in all.chunks_exact(one.output_len()).enumerate() {
                let mut alone = vec![f32::NAN; one.output_len()];
                let x = &input[n * image_in..(n + 1) * image_in];
                crate::conv2d_packed(x, &packed, Activation::Relu6, &one, &mut alone);
                let differs = want
                    .iter()
                    .zip(&alone)
                    .position(|(a, b)| a.to_bits() != b.to_bits());
                assert_eq!(
                    differs, None,
                    "batch {batch} {hw:?} image {n}: first value that differs"
                );
            }
        }
    }
}

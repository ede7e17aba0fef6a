//! Direct convolution for short patches (`taps * in_c` ≤ [`SMALL_K`]), where
//! im2col + `gemm` would spend most of its time copying and packing: e.g. the
//! first convolution of an image network (3×3×3 patches, 27 values).
//!
//! Output pixels are processed two at a time with a block of output channels
//! held in registers; each pixel's patch is read straight from the input as
//! `k_h` contiguous runs of `k_w * in_c` values (or gathered with zero padding
//! at the image border).

use crate::geom::Geom;
use crate::simd::{dispatch, madd};

/// Largest patch (`k_h * k_w * in_c`) handled by the direct path.
pub(crate) const SMALL_K: usize = 64;
const MAX_KH: usize = 16;

/// Whether `g` can use [`direct_rows`].
pub(crate) fn eligible(g: &Geom) -> bool {
    g.k[0] == 1 && g.dil[2] == 1 && g.k[1] <= MAX_KH && g.taps() * g.in_c <= SMALL_K && g.in_c > 0
}

dispatch!(pub(crate) fn direct_rows(x: &[f32], w: &[f32], g: &Geom, row0: usize, out: &mut [f32], accumulate: bool) => direct_rows_impl);

/// Output rows `row0..` (flat over batch × out_d × out_h) into `out`
/// (which holds the bias when `accumulate`).
#[inline(always)]
fn direct_rows_impl<const FMA: bool>(
    x: &[f32],
    w: &[f32],
    g: &Geom,
    row0: usize,
    out: &mut [f32],
    accumulate: bool,
) {
    let c = g.in_c;
    let oc = g.out_c;
    let [in_d, in_h, in_w] = g.in_sp;
    let [out_d, out_h, out_w] = g.out_sp;
    let [_, k_h, k_w] = g.k;
    let seg = k_w * c;
    let kk = k_h * seg;
    assert!(w.len() == kk * oc && x.len() == g.input_len());
    let mut bufs = [[0.0f32; SMALL_K]; 2];
    for (r, orow) in out.chunks_exact_mut(out_w * oc).enumerate() {
        let row = row0 + r;
        let oh = row % out_h;
        let od = (row / out_h) % out_d;
        let n = row / (out_h * out_d);
        let id = g.start(0, od);
        if id < 0 || id >= in_d as isize {
            // The whole window is padding.
            if !accumulate {
                orow.fill(0.0);
            }
            continue;
        }
        let plane = (n * in_d + id as usize) * in_h;
        let hr = g.taps_in(1, oh);
        let ih0 = g.start(1, oh);
        let mut ow = 0;
        while ow < out_w {
            let pair = (ow + 2 <= out_w) as usize + 1;
            let mut segs = [[std::ptr::null::<f32>(); 2]; MAX_KH];
            for (q, buf) in bufs.iter_mut().enumerate().take(pair) {
                let o = ow + q;
                let wr = g.taps_in(2, o);
                let iw0 = g.start(2, o);
                if hr == (0..k_h) && wr == (0..k_w) {
                    for (kh, s) in segs.iter_mut().enumerate().take(k_h) {
                        let ih = (ih0 + (kh * g.dil[1]) as isize) as usize;
                        let start = ((plane + ih) * in_w + iw0 as usize) * c;
                        s[q] = x[start..start + seg].as_ptr();
                    }
                } else {
                    buf[..kk].fill(0.0);
                    for kh in hr.clone() {
                        let ih = (ih0 + (kh * g.dil[1]) as isize) as usize;
                        for kw in wr.clone() {
                            let iw = (iw0 + kw as isize) as usize;
                            let s = ((plane + ih) * in_w + iw) * c;
                            buf[kh * seg + kw * c..kh * seg + (kw + 1) * c]
                                .copy_from_slice(&x[s..s + c]);
                        }
                    }
                    for (kh, s) in segs.iter_mut().enumerate().take(k_h) {
                        s[q] = buf[kh * seg..].as_ptr();
                    }
                }
            }
            let op = orow[ow * oc..].as_mut_ptr();
            // SAFETY: each segment pointer addresses `seg` readable values (taken
            // from checked slices above); `w` is [kk × oc]; `op` addresses `pair`
            // output pixels of `oc` values inside `orow`.
            unsafe {
                if pair == 2 {
                    pixels::<FMA, 2>(&segs[..k_h], seg, w.as_ptr(), oc, op, accumulate);
                } else {
                    pixels::<FMA, 1>(&segs[..k_h], seg, w.as_ptr(), oc, op, accumulate);
                }
            }
            ow += pair;
        }
    }
}

/// All output channels of `R` adjacent output pixels.
#[inline(always)]
unsafe fn pixels<const FMA: bool, const R: usize>(
    segs: &[[*const f32; 2]],
    seg: usize,
    w: *const f32,
    oc: usize,
    out: *mut f32,
    accumulate: bool,
) {
    let mut j = 0;
    while j + 32 <= oc {
        cols::<FMA, R, 32>(segs, seg, w.add(j), oc, out.add(j), accumulate);
        j += 32;
    }
    while j + 16 <= oc {
        cols::<FMA, R, 16>(segs, seg, w.add(j), oc, out.add(j), accumulate);
        j += 16;
    }
    while j + 8 <= oc {
        cols::<FMA, R, 8>(segs, seg, w.add(j), oc, out.add(j), accumulate);
        j += 8;
    }
    while j < oc {
        cols::<FMA, R, 1>(segs, seg, w.add(j), oc, out.add(j), accumulate);
        j += 1;
    }
}

/// `R` pixels × `B` output channels held in registers across the whole patch.
#[inline(always)]
unsafe fn cols<const FMA: bool, const R: usize, const B: usize>(
    segs: &[[*const f32; 2]],
    seg: usize,
    w: *const f32,
    oc: usize,
    out: *mut f32,
    accumulate: bool,
) {
    let mut acc = [[0.0f32; B]; R];
    if accumulate {
        for (r, acc_r) in acc.iter_mut().enumerate() {
            *acc_r = *(out.add(r * oc) as *const [f32; B]);
        }
    }
    for (s, ptrs) in segs.iter().enumerate() {
        let ws = w.add(s * seg * oc);
        for j in 0..seg {
            let wv = *(ws.add(j * oc) as *const [f32; B]);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av = *ptrs[r].add(j);
                for i in 0..B {
                    acc_r[i] = madd::<FMA>(av, wv[i], acc_r[i]);
                }
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        *(out.add(r * oc) as *mut [f32; B]) = *acc_r;
    }
}

//! Transposed 2-D convolution: a matrix product per tile of input rows,
//! scattered into the output (col2im).

use super::{check_lens, Conv2dParams, TILE_FLOATS};
use crate::geom::Geom;
use crate::matmul::{fill_rows, gemm_raw};
use rayon::prelude::*;

/// Transposed 2-D convolution (Keras / TensorFlow.js `Conv2DTranspose`, the
/// gradient of [`conv2d`](crate::conv2d) with respect to its input).
///
/// With `p` from [`Conv2dParams::transpose`] (`in_*` = this op's input,
/// `out_*` = its output, `pad_*` = the forward convolution's padding):
/// every input pixel `(ih, iw)` adds `input[n,ih,iw,:] · kernel[kh,kw,:,:]ᵀ`
/// to output pixel `(ih*s_h - pad_top + kh*d_h, iw*s_w - pad_left + kw*d_w)`
/// when that lies inside the output. `kernel` is `[k_h, k_w, out_c, in_c]`
/// exactly as Keras stores it; `bias` has `out_c` values; `out` is overwritten.
///
/// # Panics
/// If a slice length does not match `p`, or a stride/dilation is zero.
///
/// ```
/// use tfjs_kernels::{conv2d_transpose, Conv2dParams, Padding};
/// let p = Conv2dParams::transpose(1, [1, 2], 1, 1, [2, 2], [2, 2], [1, 1], Padding::Valid).unwrap();
/// let mut out = vec![0.0; p.output_len()]; // 2×4
/// conv2d_transpose(&[1.0, 2.0], &[1.0, 2.0, 3.0, 4.0], None, &p, &mut out);
/// assert_eq!(out, [1.0, 2.0, 2.0, 4.0, 3.0, 4.0, 6.0, 8.0]);
/// ```
pub fn conv2d_transpose(
    input: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    p: &Conv2dParams,
    out: &mut [f32],
) {
    let g = p.geom();
    check_lens("conv2d_transpose", &g, input, kernel.len(), bias, out);
    if out.is_empty() {
        return;
    }
    fill_rows(out, bias, p.out_c);
    let img_in = p.in_h * p.in_w * p.in_c;
    let img_out = p.out_h * p.out_w * p.out_c;
    if img_in == 0 {
        return;
    }
    let cols_w = p.k_h * p.k_w * p.out_c;
    let flops = p.batch * p.in_h * p.in_w * p.in_c * cols_w;
    let threads = rayon::current_num_threads();
    let big = threads > 1 && flops >= crate::PARALLEL_THRESHOLD_FLOPS;
    let rows_per_tile = (TILE_FLOATS / (p.in_w * cols_w).max(1)).clamp(1, p.in_h);
    let image = |x: &[f32], o: &mut [f32], buf: &mut Vec<f32>, par_gemm: bool| {
        let mut ih0 = 0;
        while ih0 < p.in_h {
            let rows = rows_per_tile.min(p.in_h - ih0);
            let pix = rows * p.in_w;
            buf.resize(pix * cols_w, 0.0);
            // SAFETY: x rows are [pix × in_c]; kernel is [cols_w × in_c] read transposed; buf [pix × cols_w].
            unsafe {
                gemm_raw(
                    pix,
                    p.in_c,
                    cols_w,
                    x[ih0 * p.in_w * p.in_c..].as_ptr(),
                    p.in_c,
                    kernel.as_ptr(),
                    1,
                    p.in_c,
                    buf.as_mut_ptr(),
                    cols_w,
                    false,
                    par_gemm,
                )
            };
            col2im(buf, &g, ih0, rows, o);
            ih0 += rows;
        }
    };
    if big && p.batch >= threads {
        input
            .par_chunks(img_in)
            .zip(out.par_chunks_mut(img_out))
            .for_each_init(Vec::new, |buf, (x, o)| image(x, o, buf, false));
    } else {
        let mut buf = Vec::new();
        for (x, o) in input.chunks(img_in).zip(out.chunks_mut(img_out)) {
            image(x, o, &mut buf, big);
        }
    }
}

/// Scatter-add the columns of input rows `ih0..ih0+rows` of one image into its output.
fn col2im(cols: &[f32], g: &Geom, ih0: usize, rows: usize, out: &mut [f32]) {
    let oc = g.out_c;
    let [_, k_h, k_w] = g.k;
    let [_, out_h, out_w] = g.out_sp;
    let in_w = g.in_sp[2];
    let cols_w = k_h * k_w * oc;
    for r in 0..rows {
        let ih = ih0 + r;
        let sh = (ih * g.stride[1]) as isize - g.pad[1] as isize;
        let hr = crate::geom::valid_taps(sh, g.dil[1], k_h, out_h);
        for iw in 0..in_w {
            let sw = (iw * g.stride[2]) as isize - g.pad[2] as isize;
            let wr = crate::geom::valid_taps(sw, g.dil[2], k_w, out_w);
            let src = &cols[(r * in_w + iw) * cols_w..(r * in_w + iw + 1) * cols_w];
            for kh in hr.clone() {
                let oh = (sh + (kh * g.dil[1]) as isize) as usize;
                for kw in wr.clone() {
                    let ow = (sw + (kw * g.dil[2]) as isize) as usize;
                    let o = &mut out[(oh * out_w + ow) * oc..(oh * out_w + ow + 1) * oc];
                    let s = &src[(kh * k_w + kw) * oc..(kh * k_w + kw + 1) * oc];
                    for (a, b) in o.iter_mut().zip(s) {
                        *a += *b;
                    }
                }
            }
        }
    }
}

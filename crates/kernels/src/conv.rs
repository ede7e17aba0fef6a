//! Convolutions: im2col + gemm (2-D, 1-D, 3-D) and transposed 2-D convolution.
//!
//! The geometry structs live in `params`, the im2col + matrix-product
//! engine in `im2col`, the transposed convolution in `transpose`; this
//! module holds the entry points that check their arguments and pack the kernel.

mod im2col;
mod params;
mod transpose;
mod winograd;

pub use params::{Conv2dParams, Conv3dParams};
pub use transpose::conv2d_transpose;

use crate::geom::{prod, Geom};
use crate::packed::PackedMatrix;
use crate::FusedActivation;
use crate::FusedActivation as Activation;
use im2col::conv_packed_geom;
pub(crate) use winograd::WinogradKernel;

/// Floats in one im2col tile (256 KiB): small enough to stay in L2 next to the packed kernel.
const TILE_FLOATS: usize = 64 * 1024;
/// Fewest output pixels per parallel tile, so each tile amortizes packing the kernel.
const MIN_PAR_ROWS: usize = 64;
/// Fewest output pixels per task when a 1×1 convolution is split over
/// threads: a multiple of the AVX2 microkernel's 6 rows (an 8×8 image,
/// 64 pixels, splits in two).
const MIN_SPLIT_ROWS: usize = 30;

/// Panics, naming the op, unless strides and dilations are at least 1 and
/// the slices fit `g` (the kernel holding `taps · in_c × out_c` values).
fn check_lens(
    name: &str,
    g: &Geom,
    input: &[f32],
    kernel_len: usize,
    bias: Option<&[f32]>,
    out: &[f32],
) {
    g.assert_sane(name);
    let kernel = Some((kernel_len, prod(&[g.taps(), g.in_c, g.out_c])));
    g.assert_lens(name, input.len(), kernel, bias.map(<[f32]>::len), out.len());
}

/// 2-D convolution (also Conv1D, see [`Conv2dParams::conv1d`]):
/// `out[n,oh,ow,oc] = bias[oc] + Σ input[n, oh*s_h - pad_top + kh*d_h, ow*s_w - pad_left + kw*d_w, ic] · kernel[kh,kw,ic,oc]`.
///
/// `input` is NHWC, `kernel` HWIO (`[k_h, k_w, in_c, out_c]`, the Keras /
/// TensorFlow.js `Conv2D` kernel), `bias` has `out_c` values, `out` is NHWC
/// and is overwritten. A 1×1 stride-1 unpadded convolution is one matrix
/// product; anything else is im2col over tiles of output pixels (bounded
/// memory) followed by a matrix product per tile, tiles spread over rayon.
///
/// `act` is applied to each output tile while it is in cache (saves a pass
/// over the output for ReLU / ReLU6 networks); `FusedActivation::Linear`
/// for none.
///
/// # Panics
/// If a slice length does not match `p`, or a stride/dilation is zero.
///
/// ```
/// use tfjs_kernels::{conv2d, Conv2dParams, FusedActivation, Padding};
/// let p = Conv2dParams::new(1, [1, 2], 1, 1, [1, 1], [1, 1], [1, 1], Padding::Valid).unwrap();
/// let mut out = [0.0; 2];
/// conv2d(&[-1.0, 4.0], &[2.0], None, FusedActivation::Relu6, &p, &mut out);
/// assert_eq!(out, [0.0, 6.0]);
/// ```
pub fn conv2d(
    input: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    act: FusedActivation,
    p: &Conv2dParams,
    out: &mut [f32],
) {
    let k = prod(&[p.k_h, p.k_w, p.in_c]);
    assert!(
        Some(kernel.len()) == k.checked_mul(p.out_c),
        "conv2d: kernel has {} values, expected {k} x {}",
        kernel.len(),
        p.out_c
    );
    conv2d_packed(
        input,
        &PackedMatrix::new(kernel, k, p.out_c, bias),
        act,
        p,
        out,
    );
}

/// 3-D convolution: NDHWC input, DHWIO kernel (`[k_d, k_h, k_w, in_c, out_c]`),
/// NDHWC output (overwritten). Same algorithm as [`conv2d`].
///
/// # Panics
/// If a slice length does not match `p`, or a stride/dilation is zero.
///
/// ```
/// use tfjs_kernels::{conv3d, Conv3dParams, Padding};
/// let p = Conv3dParams::new(1, [2, 2, 2], 1, 1, [2, 2, 2], [1, 1, 1], [1, 1, 1], Padding::Valid).unwrap();
/// let mut out = [0.0];
/// conv3d(&[1.0; 8], &[0.5; 8], Some(&[1.0]), &p, &mut out);
/// assert_eq!(out, [5.0]);
/// ```
pub fn conv3d(
    input: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    p: &Conv3dParams,
    out: &mut [f32],
) {
    let g = p.geom();
    check_lens("conv3d", &g, input, kernel.len(), bias, out);
    conv_geom(input, kernel, bias, &g, FusedActivation::Linear, out);
}

pub(crate) fn conv_geom(
    input: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    g: &Geom,
    act: Activation,
    out: &mut [f32],
) {
    if out.is_empty() {
        return;
    }
    let packed = PackedMatrix::new(kernel, g.taps() * g.in_c, g.out_c, bias);
    conv_packed_geom(input, &packed, g, act, out);
}

/// [`conv2d`] with the kernel (`[k_h·k_w·in_c × out_c]`, the HWIO
/// kernel as a matrix) and bias packed once by [`PackedMatrix::new`], for
/// callers that run the same convolution many times.
///
/// # Panics
/// If a slice length or the packed matrix's size does not match `p`.
pub fn conv2d_packed(
    input: &[f32],
    kernel: &PackedMatrix,
    act: FusedActivation,
    p: &Conv2dParams,
    out: &mut [f32],
) {
    let g = p.geom();
    check_lens("conv2d", &g, input, kernel.k() * kernel.n(), None, out);
    assert!(
        kernel.n() == g.out_c,
        "conv2d: packed kernel has {} outputs, expected {}",
        kernel.n(),
        g.out_c
    );
    conv_packed_geom(input, kernel, &g, act, out);
}

/// A dense layer with its kernel (`[k × n]`) and bias packed once by
/// [`PackedMatrix::new`]: `out[m × n] = act(x · kernel + bias)` for `x` of
/// `m` rows of `k` values. It is the 1×1 convolution's path (tiles of rows,
/// spread over rayon when large), with no per-call packing.
///
/// # Panics
/// If `x` does not have `m · k` values or `out` `m · n`.
///
/// ```
/// use tfjs_kernels::{dense_packed, FusedActivation, PackedMatrix};
/// let w = PackedMatrix::new(&[1.0, 2.0, 3.0, 4.0], 2, 2, Some(&[0.5, -0.5]));
/// let mut out = [0.0; 2];
/// dense_packed(&[1.0, 2.0], 1, &w, FusedActivation::Linear, &mut out);
/// assert_eq!(out, [7.5, 9.5]);
/// ```
pub fn dense_packed(
    x: &[f32],
    m: usize,
    kernel: &PackedMatrix,
    act: FusedActivation,
    out: &mut [f32],
) {
    let (k, n) = (kernel.k(), kernel.n());
    assert!(
        Some(x.len()) == m.checked_mul(k) && Some(out.len()) == m.checked_mul(n),
        "dense_packed: {} inputs and {} outputs for {m} rows of {k} -> {n}",
        x.len(),
        out.len()
    );
    if out.is_empty() {
        return;
    }
    let g = Geom {
        batch: 1,
        in_sp: [1, 1, m],
        in_c: k,
        out_c: n,
        k: [1, 1, 1],
        stride: [1, 1, 1],
        dil: [1, 1, 1],
        pad: [0, 0, 0],
        out_sp: [1, 1, m],
    };
    conv_packed_geom(x, kernel, &g, act, out);
}

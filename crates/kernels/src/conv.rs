//! Convolutions: im2col + gemm (2-D, 1-D, 3-D) and transposed 2-D convolution.

use crate::geom::{conv_output_size, deconv_output_size, prod, Geom, Padding};
use crate::matmul::{fill_rows, gemm_raw};
use crate::packed::{gemm_lhs, gemm_packed, Lhs, PackedMatrix};
use crate::FusedActivation;
use crate::FusedActivation as Activation;

use crate::{KernelError, Result};
use rayon::prelude::*;

/// Floats in one im2col tile (256 KiB): small enough to stay in L2 next to the packed kernel.
const TILE_FLOATS: usize = 64 * 1024;
/// Fewest output pixels per parallel tile, so each tile amortizes packing the kernel.
const MIN_PAR_ROWS: usize = 64;

/// Geometry of a 2-D convolution over NHWC input (also used for Conv1D with
/// `in_h = k_h = out_h = 1`, and, with the meaning documented on
/// [`conv2d_transpose`], for transposed convolutions).
///
/// The fields are public so any explicit geometry can be described; the
/// constructors apply TensorFlow's padding rules. Window taps that fall
/// outside the input read as zero, so every combination of fields is memory safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dParams {
    /// Images in the batch.
    pub batch: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Input channels.
    pub in_c: usize,
    /// Output channels (filters).
    pub out_c: usize,
    /// Kernel height.
    pub k_h: usize,
    /// Kernel width.
    pub k_w: usize,
    /// Vertical stride (≥ 1).
    pub stride_h: usize,
    /// Horizontal stride (≥ 1).
    pub stride_w: usize,
    /// Vertical dilation (≥ 1).
    pub dil_h: usize,
    /// Horizontal dilation (≥ 1).
    pub dil_w: usize,
    /// Zero rows added above the input.
    pub pad_top: usize,
    /// Zero columns added left of the input.
    pub pad_left: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
}

/// `(input, kernel, stride, dilation, padding) -> (output size, leading pad)`.
type OutputSizeFn = fn(usize, usize, usize, usize, Padding) -> Result<(usize, usize)>;

impl Conv2dParams {
    /// A convolution with TensorFlow/Keras `padding` semantics.
    ///
    /// Arguments are `[height, width]` pairs. Errors on zero sizes, strides or
    /// dilations, on `Causal` padding (1-D only: use [`Conv2dParams::conv1d`]),
    /// and when a `Valid` window does not fit.
    ///
    /// ```
    /// use tfjs_kernels::{Conv2dParams, Padding};
    /// let p = Conv2dParams::new(1, [224, 224], 3, 32, [3, 3], [2, 2], [1, 1], Padding::Same).unwrap();
    /// assert_eq!((p.out_h, p.out_w, p.pad_top, p.pad_left), (112, 112, 0, 0));
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        batch: usize,
        in_hw: [usize; 2],
        in_c: usize,
        out_c: usize,
        kernel_hw: [usize; 2],
        strides: [usize; 2],
        dilations: [usize; 2],
        padding: Padding,
    ) -> Result<Self> {
        if padding == Padding::Causal {
            return Err(KernelError::InvalidParams(
                "\"causal\" padding is only defined for 1-D convolutions".into(),
            ));
        }
        Self::with_geometry(
            batch,
            in_hw,
            in_c,
            out_c,
            [kernel_hw, strides, dilations],
            padding,
            conv_output_size,
        )
    }

    /// Shared by [`Conv2dParams::new`] and [`Conv2dParams::transpose`]:
    /// `size` gives (output size, leading pad) per spatial dim.
    fn with_geometry(
        batch: usize,
        in_hw: [usize; 2],
        in_c: usize,
        out_c: usize,
        [kernel_hw, strides, dilations]: [[usize; 2]; 3],
        padding: Padding,
        size: OutputSizeFn,
    ) -> Result<Self> {
        let (out_h, pad_top) = size(in_hw[0], kernel_hw[0], strides[0], dilations[0], padding)?;
        let (out_w, pad_left) = size(in_hw[1], kernel_hw[1], strides[1], dilations[1], padding)?;
        let p = Conv2dParams {
            batch,
            in_h: in_hw[0],
            in_w: in_hw[1],
            in_c,
            out_c,
            k_h: kernel_hw[0],
            k_w: kernel_hw[1],
            stride_h: strides[0],
            stride_w: strides[1],
            dil_h: dilations[0],
            dil_w: dilations[1],
            pad_top,
            pad_left,
            out_h,
            out_w,
        };
        p.check_sizes()?;
        Ok(p)
    }

    /// A Conv1D over `[batch, len, in_c]` with kernel `[k, in_c, out_c]`
    /// (which is the HWIO layout with height 1): the result is a 2-D geometry
    /// with `in_h = k_h = out_h = 1` to pass to [`conv2d`]; output is
    /// `[batch, out_w, out_c]`. Supports `Causal` padding.
    ///
    /// ```
    /// use tfjs_kernels::{conv2d, Conv2dParams, Padding};
    /// let p = Conv2dParams::conv1d(1, 4, 1, 1, 2, 1, 1, Padding::Causal).unwrap();
    /// let mut out = vec![0.0; p.output_len()];
    /// conv2d(&[1.0, 2.0, 3.0, 4.0], &[10.0, 1.0], None, &p, &mut out);
    /// assert_eq!(out, [1.0, 12.0, 23.0, 34.0]);
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn conv1d(
        batch: usize,
        len: usize,
        in_c: usize,
        out_c: usize,
        kernel: usize,
        stride: usize,
        dilation: usize,
        padding: Padding,
    ) -> Result<Self> {
        let (out_w, pad_left) = conv_output_size(len, kernel, stride, dilation, padding)?;
        let p = Conv2dParams {
            batch,
            in_h: 1,
            in_w: len,
            in_c,
            out_c,
            k_h: 1,
            k_w: kernel,
            stride_h: 1,
            stride_w: stride,
            dil_h: 1,
            dil_w: dilation,
            pad_top: 0,
            pad_left,
            out_h: 1,
            out_w,
        };
        p.check_sizes()?;
        Ok(p)
    }

    /// Geometry of a Keras / TensorFlow.js `Conv2DTranspose` whose *input* is
    /// `[batch, in_h, in_w, in_c]`: the output size follows `deconvLength`
    /// (`"same"`: `in*stride`; `"valid"`: `in*stride + max(k_eff - stride, 0)`)
    /// and `pad_top`/`pad_left` are those of the forward convolution. Pass the
    /// result to [`conv2d_transpose`].
    ///
    /// ```
    /// use tfjs_kernels::{Conv2dParams, Padding};
    /// let p = Conv2dParams::transpose(1, [7, 7], 8, 4, [3, 3], [2, 2], [1, 1], Padding::Same).unwrap();
    /// assert_eq!((p.out_h, p.out_w), (14, 14));
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn transpose(
        batch: usize,
        in_hw: [usize; 2],
        in_c: usize,
        out_c: usize,
        kernel_hw: [usize; 2],
        strides: [usize; 2],
        dilations: [usize; 2],
        padding: Padding,
    ) -> Result<Self> {
        Self::with_geometry(
            batch,
            in_hw,
            in_c,
            out_c,
            [kernel_hw, strides, dilations],
            padding,
            deconv_output_size,
        )
    }

    fn check_sizes(&self) -> Result<()> {
        let g = self.geom();
        checked_len(&[g.batch, g.in_pixels(), g.in_c])?;
        checked_len(&[g.batch, g.out_pixels(), g.out_c])?;
        checked_len(&[g.taps(), g.in_c, g.out_c])?;
        Ok(())
    }

    pub(crate) fn geom(&self) -> Geom {
        Geom {
            batch: self.batch,
            in_sp: [1, self.in_h, self.in_w],
            in_c: self.in_c,
            out_c: self.out_c,
            k: [1, self.k_h, self.k_w],
            stride: [1, self.stride_h, self.stride_w],
            dil: [1, self.dil_h, self.dil_w],
            pad: [0, self.pad_top, self.pad_left],
            out_sp: [1, self.out_h, self.out_w],
        }
    }

    /// `batch * in_h * in_w * in_c`.
    pub fn input_len(&self) -> usize {
        self.geom().input_len()
    }
    /// `batch * out_h * out_w * out_c`.
    pub fn output_len(&self) -> usize {
        self.geom().output_len()
    }
    /// `k_h * k_w * in_c * out_c`.
    pub fn kernel_len(&self) -> usize {
        prod(&[self.k_h, self.k_w, self.in_c, self.out_c])
    }
    /// Floating-point operations (2 per multiply-add) of [`conv2d`] with this geometry.
    pub fn flops(&self) -> f64 {
        2.0 * (self.batch * self.out_h * self.out_w) as f64
            * (self.k_h * self.k_w * self.in_c) as f64
            * self.out_c as f64
    }
}

/// Geometry of a 3-D convolution over NDHWC input with a DHWIO kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv3dParams {
    /// Batch size.
    pub batch: usize,
    /// Input depth.
    pub in_d: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Input channels.
    pub in_c: usize,
    /// Output channels (filters).
    pub out_c: usize,
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
    /// Depth dilation (≥ 1).
    pub dil_d: usize,
    /// Vertical dilation (≥ 1).
    pub dil_h: usize,
    /// Horizontal dilation (≥ 1).
    pub dil_w: usize,
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

impl Conv3dParams {
    /// A 3-D convolution with TensorFlow/Keras `padding` semantics; arguments
    /// are `[depth, height, width]` triples.
    ///
    /// ```
    /// use tfjs_kernels::{Conv3dParams, Padding};
    /// let p = Conv3dParams::new(2, [4, 8, 8], 3, 5, [3, 3, 3], [1, 2, 2], [1, 1, 1], Padding::Valid).unwrap();
    /// assert_eq!((p.out_d, p.out_h, p.out_w), (2, 3, 3));
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        batch: usize,
        in_dhw: [usize; 3],
        in_c: usize,
        out_c: usize,
        kernel_dhw: [usize; 3],
        strides: [usize; 3],
        dilations: [usize; 3],
        padding: Padding,
    ) -> Result<Self> {
        if padding == Padding::Causal {
            return Err(KernelError::InvalidParams(
                "\"causal\" padding is only defined for 1-D convolutions".into(),
            ));
        }
        let mut o = [(0, 0); 3];
        for d in 0..3 {
            o[d] = conv_output_size(in_dhw[d], kernel_dhw[d], strides[d], dilations[d], padding)?;
        }
        let p = Conv3dParams {
            batch,
            in_d: in_dhw[0],
            in_h: in_dhw[1],
            in_w: in_dhw[2],
            in_c,
            out_c,
            k_d: kernel_dhw[0],
            k_h: kernel_dhw[1],
            k_w: kernel_dhw[2],
            stride_d: strides[0],
            stride_h: strides[1],
            stride_w: strides[2],
            dil_d: dilations[0],
            dil_h: dilations[1],
            dil_w: dilations[2],
            pad_front: o[0].1,
            pad_top: o[1].1,
            pad_left: o[2].1,
            out_d: o[0].0,
            out_h: o[1].0,
            out_w: o[2].0,
        };
        let g = p.geom();
        checked_len(&[g.batch, g.in_pixels(), g.in_c])?;
        checked_len(&[g.batch, g.out_pixels(), g.out_c])?;
        checked_len(&[g.taps(), g.in_c, g.out_c])?;
        Ok(p)
    }

    pub(crate) fn geom(&self) -> Geom {
        Geom {
            batch: self.batch,
            in_sp: [self.in_d, self.in_h, self.in_w],
            in_c: self.in_c,
            out_c: self.out_c,
            k: [self.k_d, self.k_h, self.k_w],
            stride: [self.stride_d, self.stride_h, self.stride_w],
            dil: [self.dil_d, self.dil_h, self.dil_w],
            pad: [self.pad_front, self.pad_top, self.pad_left],
            out_sp: [self.out_d, self.out_h, self.out_w],
        }
    }
    /// `batch * in_d * in_h * in_w * in_c`.
    pub fn input_len(&self) -> usize {
        self.geom().input_len()
    }
    /// `batch * out_d * out_h * out_w * out_c`.
    pub fn output_len(&self) -> usize {
        self.geom().output_len()
    }
    /// `k_d * k_h * k_w * in_c * out_c`.
    pub fn kernel_len(&self) -> usize {
        prod(&[self.k_d, self.k_h, self.k_w, self.in_c, self.out_c])
    }
}

fn checked_len(dims: &[usize]) -> Result<usize> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize / 4)
        .ok_or_else(|| {
            KernelError::InvalidParams(format!("tensor of dimensions {dims:?} is too large"))
        })
}

fn check_lens(name: &str, g: &Geom, input: usize, kernel: usize, bias: Option<usize>, out: usize) {
    g.assert_sane(name);
    assert!(
        input == g.input_len(),
        "{name}: input has {input} values, expected {}",
        g.input_len()
    );
    let want_k = prod(&[g.taps(), g.in_c, g.out_c]);
    assert!(
        kernel == want_k,
        "{name}: kernel has {kernel} values, expected {want_k}"
    );
    if let Some(b) = bias {
        assert!(
            b == g.out_c,
            "{name}: bias has {b} values, expected {}",
            g.out_c
        );
    }
    assert!(
        out == g.output_len(),
        "{name}: output has {out} values, expected {}",
        g.output_len()
    );
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
/// # Panics
/// If a slice length does not match `p`, or a stride/dilation is zero.
pub fn conv2d(
    input: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    p: &Conv2dParams,
    out: &mut [f32],
) {
    conv2d_fused(input, kernel, bias, FusedActivation::Linear, p, out)
}

/// [`conv2d`] followed by `act`, applied to each output tile while it is in
/// cache (saves a pass over the output for ReLU / ReLU6 networks).
///
/// # Panics
/// As [`conv2d`].
///
/// ```
/// use tfjs_kernels::{conv2d_fused, Conv2dParams, FusedActivation, Padding};
/// let p = Conv2dParams::new(1, [1, 2], 1, 1, [1, 1], [1, 1], [1, 1], Padding::Valid).unwrap();
/// let mut out = [0.0; 2];
/// conv2d_fused(&[-1.0, 4.0], &[2.0], None, FusedActivation::Relu6, &p, &mut out);
/// assert_eq!(out, [0.0, 6.0]);
/// ```
pub fn conv2d_fused(
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
    check_lens(
        "conv3d",
        &g,
        input.len(),
        kernel.len(),
        bias.map(|b| b.len()),
        out.len(),
    );
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

/// [`conv2d_fused`] with the kernel (`[k_h·k_w·in_c × out_c]`, the HWIO
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
    check_lens(
        "conv2d",
        &g,
        input.len(),
        kernel.k() * kernel.n(),
        None,
        out.len(),
    );
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

/// A 1×1 stride-1 convolution multiplies the input in place, in tiles of
/// output pixels. Anything else goes output row by output row: the pixels
/// whose window lies inside the input read it straight from the input (one
/// left-operand segment per kernel row), and only the border pixels are
/// gathered (im2col) into a small buffer. Tiles or rows are spread over rayon.
fn conv_packed_geom(
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
    let flops = pixels.saturating_mul(kk).saturating_mul(oc);
    let threads = rayon::current_num_threads();
    let parallel = threads > 1 && flops >= crate::PARALLEL_THRESHOLD_FLOPS;
    let pointwise =
        g.k == [1, 1, 1] && g.stride == [1, 1, 1] && g.pad == [0, 0, 0] && g.in_sp == g.out_sp;
    if pointwise {
        let tile = (TILE_FLOATS / kk.max(1))
            .clamp(MIN_PAR_ROWS, 4096)
            .min(pixels);
        let tile = if parallel {
            tile.min(pixels.div_ceil(threads * 4)).max(MIN_PAR_ROWS)
        } else {
            tile
        };
        let run = |(i, chunk): (usize, &mut [f32])| {
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
        };
        if parallel && pixels >= 2 * MIN_PAR_ROWS {
            out.par_chunks_mut(tile * oc).enumerate().for_each(run);
        } else {
            out.chunks_mut(tile * oc).enumerate().for_each(run);
        }
        return;
    }
    // With a zero border copied around the input every window lies inside
    // it, and every output pixel is read in place (no per-pixel gather).
    let padded = zero_padded(input, g);
    let (input, g) = match &padded {
        Some((buf, padded_geom)) => (&buf[..], padded_geom),
        None => (input, g),
    };
    let row_len = g.out_sp[2] * oc;
    let rows = g.batch * g.out_sp[0] * g.out_sp[1];
    if parallel && rows > 1 {
        let per_task = rows.div_ceil(threads * 4).max(1);
        out.par_chunks_mut(per_task * row_len)
            .enumerate()
            .for_each_init(RowScratch::default, |scratch, (i, chunk)| {
                for (r, orow) in chunk.chunks_exact_mut(row_len).enumerate() {
                    conv_row(input, packed, g, act, i * per_task + r, orow, scratch);
                }
            });
    } else {
        let mut scratch = RowScratch::default();
        for (r, orow) in out.chunks_exact_mut(row_len).enumerate() {
            conv_row(input, packed, g, act, r, orow, &mut scratch);
        }
    }
}

/// `input` inside a zero border just wide enough for every window of `g`,
/// and the geometry over it (no padding); `None` when no window leaves the
/// input, or when the border would be larger than the input itself (an
/// explicit geometry with an absurd padding keeps the gathering path).
fn zero_padded(input: &[f32], g: &Geom) -> Option<(Vec<f32>, Geom)> {
    let mut border = [(0usize, 0usize); 3];
    for (d, b) in border.iter_mut().enumerate() {
        let reach = (g.out_sp[d] - 1) * g.stride[d] + (g.k[d] - 1) * g.dil[d] + 1;
        *b = (g.pad[d], reach.saturating_sub(g.pad[d] + g.in_sp[d]));
    }
    if border.iter().all(|&(a, b)| a == 0 && b == 0) {
        return None;
    }
    let sp: [usize; 3] = std::array::from_fn(|d| g.in_sp[d] + border[d].0 + border[d].1);
    let len = [g.batch, sp[0], sp[1], sp[2], g.in_c]
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))?;
    if len > 2 * input.len() + (1 << 16) {
        return None;
    }
    let mut buf = vec![0.0f32; len];
    let [in_d, in_h, in_w] = g.in_sp;
    let run = in_w * g.in_c;
    for n in 0..g.batch {
        for id in 0..in_d {
            for ih in 0..in_h {
                let src = ((n * in_d + id) * in_h + ih) * run;
                let dst = (((n * sp[0] + id + border[0].0) * sp[1] + ih + border[1].0) * sp[2]
                    + border[2].0)
                    * g.in_c;
                buf[dst..dst + run].copy_from_slice(&input[src..src + run]);
            }
        }
    }
    let geom = Geom {
        in_sp: sp,
        pad: [0; 3],
        ..*g
    };
    Some((buf, geom))
}

/// Per-thread buffers of [`conv_row`].
#[derive(Default)]
struct RowScratch {
    im2col: Vec<f32>,
    bases: Vec<*const f32>,
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
    // Border pixels: gathered.
    let mut gathered = |from: usize, to: usize, orow: &mut [f32]| {
        if from < to {
            let buf = &mut scratch.im2col;
            buf.resize((to - from) * kk, 0.0);
            im2col(input, g, row * out_w + from, to - from, buf);
            gemm_packed(
                buf,
                kk,
                to - from,
                packed,
                act,
                &mut orow[from * oc..to * oc],
            );
        }
    };
    gathered(0, cols.start, orow);
    gathered(cols.end, out_w, orow);
    if cols.is_empty() {
        return;
    }
    // Interior pixels: read in place, one segment per (kd, kh) run of
    // k_w * c contiguous values (per tap when the width is dilated).
    let iw0 = g.start(2, cols.start) as usize;
    let (seg_len, per_row) = if g.dil[2] == 1 {
        (k_w * c, 1)
    } else {
        (c, k_w)
    };
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
    let count = cols.len();
    let row_stride = g.stride[2] * c;
    // Bounds of the unchecked reads: the last pixel's last value of every segment.
    let last = (count - 1) * row_stride + seg_len;
    let end = input.as_ptr_range().end;
    assert!(bases
        .iter()
        .all(|&b| (end as usize - b as usize) / 4 >= last));
    let lhs = Lhs {
        bases,
        seg_len,
        row_stride,
    };
    // SAFETY: every segment's reads end inside `input` (asserted); the
    // segments cover k_d·k_h·k_w·c = packed.k() values per pixel.
    unsafe {
        gemm_lhs(
            &lhs,
            count,
            packed,
            act,
            &mut orow[cols.start * oc..cols.end * oc],
        );
    }
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

/// Transposed 2-D convolution (Keras / TensorFlow.js `Conv2DTranspose`, the
/// gradient of [`conv2d`] with respect to its input).
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
    check_lens(
        "conv2d_transpose",
        &g,
        input.len(),
        kernel.len(),
        bias.map(|b| b.len()),
        out.len(),
    );
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

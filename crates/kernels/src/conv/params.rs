//! The geometry structs of 2-D / 1-D / transposed and 3-D convolutions,
//! built with TensorFlow's padding rules.

use crate::geom::{conv_output_size, deconv_output_size, prod, Geom, Padding};
use crate::{KernelError, Result};

/// Geometry of a 2-D convolution over NHWC input (also used for Conv1D with
/// `in_h = k_h = out_h = 1`, and, with the meaning documented on
/// [`conv2d_transpose`](crate::conv2d_transpose), for transposed convolutions).
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
        reject_causal(padding)?;
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
        check_sizes(&p.geom())?;
        Ok(p)
    }

    /// A Conv1D over `[batch, len, in_c]` with kernel `[k, in_c, out_c]`
    /// (which is the HWIO layout with height 1): the result is a 2-D geometry
    /// with `in_h = k_h = out_h = 1` to pass to [`conv2d`](crate::conv2d); output is
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
        check_sizes(&p.geom())?;
        Ok(p)
    }

    /// Geometry of a Keras / TensorFlow.js `Conv2DTranspose` whose *input* is
    /// `[batch, in_h, in_w, in_c]`: the output size follows `deconvLength`
    /// (`"same"`: `in*stride`; `"valid"`: `in*stride + max(k_eff - stride, 0)`)
    /// and `pad_top`/`pad_left` are those of the forward convolution. Pass the
    /// result to [`conv2d_transpose`](crate::conv2d_transpose).
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
    /// Floating-point operations (2 per multiply-add) of [`conv2d`](crate::conv2d) with this geometry.
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
        reject_causal(padding)?;
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
        check_sizes(&p.geom())?;
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

/// 2-D and 3-D convolutions only: Keras' `"causal"` padding exists for Conv1D.
fn reject_causal(padding: Padding) -> Result<()> {
    if padding == Padding::Causal {
        return Err(KernelError::InvalidParams(
            "\"causal\" padding is only defined for 1-D convolutions".into(),
        ));
    }
    Ok(())
}

/// Errors when the input, output or kernel of `g` has too many values to address.
fn check_sizes(g: &Geom) -> Result<()> {
    checked_len(&[g.batch, g.in_pixels(), g.in_c])?;
    checked_len(&[g.batch, g.out_pixels(), g.out_c])?;
    checked_len(&[g.taps(), g.in_c, g.out_c])?;
    Ok(())
}

fn checked_len(dims: &[usize]) -> Result<usize> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize / 4)
        .ok_or_else(|| {
            KernelError::InvalidParams(format!("tensor of dimensions {dims:?} is too large"))
        })
}

//! The geometry structs of 2-D / 1-D / transposed and 3-D convolutions,
//! built with TensorFlow's padding rules.

use crate::geom::{
    conv_output_size, deconv_output_size, geom_fields, prod, refuse_causal, Geom, OutputSizeFn,
    Padding,
};
use crate::{KernelError, Result};

/// 2-D and 3-D convolutions only: Keras' `"causal"` padding exists for Conv1D.
const CAUSAL: &str = "\"causal\" padding is only defined for 1-D convolutions";

/// Geometry of a 2-D convolution over NHWC input (also used for Conv1D with
/// `in_h = k_h = out_h = 1`, and, with the meaning documented on
/// [`conv2d_transpose`](crate::conv2d_transpose), for transposed convolutions).
///
/// The fields are public so any explicit geometry can be described; the
/// constructors apply TensorFlow's padding rules. Window taps that fall
/// outside the input read as zero, so every combination of fields is memory safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

geom_fields!(Conv2dParams {
    batch => batch, in_c => in_c, out_c => out_c, in_h => in_sp[1], in_w => in_sp[2],
    k_h => k[1], k_w => k[2], stride_h => stride[1], stride_w => stride[2], dil_h => dil[1],
    dil_w => dil[2], pad_top => pad[1], pad_left => pad[2], out_h => out_sp[1], out_w => out_sp[2],
});

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
        refuse_causal(padding, CAUSAL)?;
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
        let d3 = |[h, w]: [usize; 2]| [1, h, w];
        let g = Geom::padded(
            batch,
            [in_c, out_c],
            d3(in_hw),
            [kernel_hw, strides, dilations].map(d3),
            padding,
            size,
        )?;
        check_sizes(&g)?;
        Ok(Self::from_geom(&g))
    }

    /// A Conv1D over `[batch, len, in_c]` with kernel `[k, in_c, out_c]`
    /// (which is the HWIO layout with height 1): the result is a 2-D geometry
    /// with `in_h = k_h = out_h = 1` to pass to [`conv2d`](crate::conv2d); output is
    /// `[batch, out_w, out_c]`. Supports `Causal` padding.
    ///
    /// ```
    /// use tfjs_kernels::{conv2d, Conv2dParams, FusedActivation, Padding};
    /// let p = Conv2dParams::conv1d(1, 4, 1, 1, 2, 1, 1, Padding::Causal).unwrap();
    /// let mut out = vec![0.0; p.output_len()];
    /// conv2d(&[1.0, 2.0, 3.0, 4.0], &[10.0, 1.0], None, FusedActivation::Linear, &p, &mut out);
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
        Self::with_geometry(
            batch,
            [1, len],
            in_c,
            out_c,
            [[1, kernel], [1, stride], [1, dilation]],
            padding,
            conv_output_size,
        )
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

geom_fields!(Conv3dParams {
    batch => batch, in_c => in_c, out_c => out_c, in_d => in_sp[0], in_h => in_sp[1],
    in_w => in_sp[2], k_d => k[0], k_h => k[1], k_w => k[2], stride_d => stride[0],
    stride_h => stride[1], stride_w => stride[2], dil_d => dil[0], dil_h => dil[1], dil_w => dil[2],
    pad_front => pad[0], pad_top => pad[1], pad_left => pad[2], out_d => out_sp[0],
    out_h => out_sp[1], out_w => out_sp[2],
});

/// A 2-D convolution as the 3-D one of depth 1.
impl From<Conv2dParams> for Conv3dParams {
    fn from(p: Conv2dParams) -> Self {
        Self::from_geom(&p.geom())
    }
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
        refuse_causal(padding, CAUSAL)?;
        let g = Geom::padded(
            batch,
            [in_c, out_c],
            in_dhw,
            [kernel_dhw, strides, dilations],
            padding,
            conv_output_size,
        )?;
        check_sizes(&g)?;
        Ok(Self::from_geom(&g))
    }

    /// `k_d * k_h * k_w * in_c * out_c`.
    pub fn kernel_len(&self) -> usize {
        prod(&[self.k_d, self.k_h, self.k_w, self.in_c, self.out_c])
    }
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

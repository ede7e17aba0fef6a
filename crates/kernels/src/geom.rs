//! Padding rules and the shared 3-D window geometry.

use crate::{KernelError, Result};
use std::ops::Range;

/// How a convolution or pooling window is padded, as TensorFlow / Keras spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// No padding; windows must fit inside the input.
    Valid,
    /// TensorFlow `"same"`: `out = ceil(in / stride)`; the total padding
    /// `max((out-1)*stride + (k-1)*dil + 1 - in, 0)` is split with the smaller
    /// half (`total / 2`) before and the rest after.
    Same,
    /// Keras `"causal"` (Conv1D only): `(k-1)*dil` zeros before, none after,
    /// `out = ceil(in / stride)`.
    Causal,
}

impl Padding {
    /// Parse `"valid"`, `"same"` or `"causal"` (any ASCII case).
    ///
    /// ```
    /// use tfjs_kernels::Padding;
    /// assert_eq!(Padding::parse("SAME").unwrap(), Padding::Same);
    /// assert!(Padding::parse("full").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Padding> {
        match s.to_ascii_lowercase().as_str() {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            "causal" => Ok(Padding::Causal),
            other => Err(KernelError::InvalidParams(format!(
                "padding must be \"valid\", \"same\" or \"causal\", got {other:?}"
            ))),
        }
    }
}

/// Output length and padding-before of one spatial dimension of a convolution
/// or pooling window, following TensorFlow's rules.
///
/// Returns `(out, pad_before)`. Errors on a zero size/stride/dilation, on
/// arithmetic overflow, and (for `Valid`) when the dilated window is longer
/// than the input.
///
/// ```
/// use tfjs_kernels::{conv_output_size, Padding};
/// assert_eq!(conv_output_size(224, 3, 2, 1, Padding::Same).unwrap(), (112, 0));
/// assert_eq!(conv_output_size(225, 3, 2, 1, Padding::Same).unwrap(), (113, 1));
/// assert_eq!(conv_output_size(7, 3, 1, 2, Padding::Valid).unwrap(), (3, 0));
/// assert_eq!(conv_output_size(5, 3, 1, 1, Padding::Causal).unwrap(), (5, 2));
/// ```
pub fn conv_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: Padding,
) -> Result<(usize, usize)> {
    let eff = dilated_window(
        input,
        kernel,
        stride,
        dilation,
        "dilated kernel size overflows",
    )?;
    match padding {
        Padding::Valid => {
            if eff > input {
                return Err(KernelError::InvalidParams(format!(
                    "with \"valid\" padding the (dilated) window {eff} is larger than the input size {input}"
                )));
            }
            Ok(((input - eff) / stride + 1, 0))
        }
        Padding::Same => {
            let out = input.div_ceil(stride);
            let need = (out - 1)
                .checked_mul(stride)
                .and_then(|v| v.checked_add(eff))
                .ok_or_else(|| KernelError::InvalidParams("padded size overflows".into()))?;
            let total = need.saturating_sub(input);
            Ok((out, total / 2))
        }
        Padding::Causal => Ok((input.div_ceil(stride), eff - 1)),
    }
}

/// Output length and padding-before of one spatial dimension of a transposed
/// convolution (Keras / TensorFlow.js `deconvLength`): `"valid"` gives
/// `in*stride + max(k_eff - stride, 0)`, `"same"` gives `in*stride`, where
/// `k_eff = (k-1)*dil + 1`.
///
/// The returned padding is the one of the forward convolution whose gradient
/// this is (TensorFlow's `conv2DBackpropInput`).
///
/// ```
/// use tfjs_kernels::{deconv_output_size, Padding};
/// assert_eq!(deconv_output_size(4, 3, 2, 1, Padding::Same).unwrap(), (8, 0));
/// assert_eq!(deconv_output_size(4, 3, 2, 1, Padding::Valid).unwrap(), (9, 0));
/// assert_eq!(deconv_output_size(4, 3, 1, 1, Padding::Same).unwrap(), (4, 1));
/// ```
pub fn deconv_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: Padding,
) -> Result<(usize, usize)> {
    const OVERFLOW: &str = "transposed convolution size overflows";
    let overflow = || KernelError::InvalidParams(OVERFLOW.into());
    let eff = dilated_window(input, kernel, stride, dilation, OVERFLOW)?;
    let base = input.checked_mul(stride).ok_or_else(overflow)?;
    match padding {
        Padding::Valid => Ok((
            base.checked_add(eff.saturating_sub(stride))
                .ok_or_else(overflow)?,
            0,
        )),
        Padding::Same => {
            // The forward "same" convolution of an `out`-long input.
            let (_, pad) = conv_output_size(base, kernel, stride, dilation, Padding::Same)?;
            Ok((base, pad))
        }
        Padding::Causal => Err(KernelError::InvalidParams(
            "\"causal\" padding is not defined for transposed convolutions".into(),
        )),
    }
}

/// The dilated window length `(kernel - 1) * dilation + 1`, after checking
/// that every size is at least 1; `overflow` is the error when it overflows.
fn dilated_window(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    overflow: &str,
) -> Result<usize> {
    if input == 0 || kernel == 0 || stride == 0 || dilation == 0 {
        return Err(KernelError::InvalidParams(format!(
            "input size {input}, kernel size {kernel}, stride {stride} and dilation {dilation} must all be at least 1"
        )));
    }
    (kernel - 1)
        .checked_mul(dilation)
        .and_then(|v| v.checked_add(1))
        .ok_or_else(|| KernelError::InvalidParams(overflow.into()))
}

/// `geom()`, `from_geom()`, `input_len()` and `output_len()` of a public
/// window-params struct from one list of `field => Geom field` pairs (a
/// field may fill two, as pooling's `channels` fills `in_c` and `out_c`);
/// the `Geom` fields not named are [`Geom::UNIT`]'s unit dimensions.
macro_rules! geom_fields {
    ($t:ty { $($field:ident => $g:ident $([$i:literal])?),* $(,)? }) => {
        impl $t {
            /// The geometry the kernels work on.
            pub(crate) fn geom(&self) -> $crate::geom::Geom {
                let mut g = $crate::geom::Geom::UNIT;
                $( g.$g $([$i])? = self.$field; )*
                g
            }

            /// The struct describing `g`.
            fn from_geom(g: &$crate::geom::Geom) -> Self {
                let mut p = Self::default();
                $( p.$field = g.$g $([$i])?; )*
                p
            }

            /// The window over `axes`, the last of `[depth, height, width]`
            /// (missing leading axes are 1 long), from `[in_c, out_c]`
            /// channels (the same for pooling): for callers that decide the
            /// padding themselves (Keras layers, TensorFlow's explicit
            /// padding).
            ///
            /// # Panics
            /// If `axes` describe more than this window holds: more axes, a
            /// dilation a pooling window lacks, or (pooling) different
            /// input and output channels.
            pub fn from_axes(
                batch: usize,
                [in_c, out_c]: [usize; 2],
                axes: &[$crate::WindowAxis],
            ) -> Self {
                let mut g = $crate::geom::Geom::UNIT;
                (g.batch, g.in_c, g.out_c) = (batch, in_c, out_c);
                let first = 3usize.checked_sub(axes.len()).unwrap_or(3);
                for (d, a) in (first..3).zip(axes) {
                    (g.in_sp[d], g.k[d], g.stride[d]) = (a.input, a.kernel, a.stride);
                    (g.dil[d], g.pad[d], g.out_sp[d]) = (a.dilation, a.pad_before, a.output);
                }
                let p = Self::from_geom(&g);
                assert!(
                    axes.len() <= 3 && p.geom() == g,
                    "{}::from_axes: {axes:?} with {in_c} -> {out_c} channels does not fit",
                    stringify!($t)
                );
                p
            }

            /// Values in the input: `batch` × input pixels × input channels.
            pub fn input_len(&self) -> usize {
                self.geom().input_len()
            }

            /// Values in the output: `batch` × output pixels × output channels.
            pub fn output_len(&self) -> usize {
                self.geom().output_len()
            }
        }
    };
}
pub(crate) use geom_fields;

/// One spatial axis of a window whose padding is already decided: see
/// [`Conv2dParams::from_axes`](crate::Conv2dParams::from_axes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowAxis {
    /// Input length.
    pub input: usize,
    /// Window length.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Dilation (1 for pooling).
    pub dilation: usize,
    /// Zeros added before the input.
    pub pad_before: usize,
    /// Output length.
    pub output: usize,
}

/// Window geometry over three spatial dimensions (2-D ops use depth 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geom {
    pub batch: usize,
    pub in_sp: [usize; 3],
    pub in_c: usize,
    pub out_c: usize,
    pub k: [usize; 3],
    pub stride: [usize; 3],
    pub dil: [usize; 3],
    pub pad: [usize; 3],
    pub out_sp: [usize; 3],
}

/// `(input, kernel, stride, dilation, padding) -> (output size, leading
/// pad)` of one spatial dimension: [`conv_output_size`] or
/// [`deconv_output_size`].
pub(crate) type OutputSizeFn = fn(usize, usize, usize, usize, Padding) -> Result<(usize, usize)>;

/// `Err(message)` for `"causal"` padding (which only Conv1D defines).
pub(crate) fn refuse_causal(padding: Padding, message: &str) -> Result<()> {
    if padding == Padding::Causal {
        return Err(KernelError::InvalidParams(message.into()));
    }
    Ok(())
}

impl Geom {
    /// Every dimension a unit one (size, stride and dilation 1, no padding),
    /// no batch or channels: what a params struct's [`geom_fields!`] fills in.
    pub(crate) const UNIT: Geom = Geom {
        batch: 0,
        in_sp: [1; 3],
        in_c: 0,
        out_c: 0,
        k: [1; 3],
        stride: [1; 3],
        dil: [1; 3],
        pad: [0; 3],
        out_sp: [1; 3],
    };

    /// The window `k` with `stride` and `dil` over `in_sp` (`[depth,
    /// height, width]`; 2-D windows have depth 1), with output sizes and
    /// leading pads from `size` under `padding`.
    pub(crate) fn padded(
        batch: usize,
        [in_c, out_c]: [usize; 2],
        in_sp: [usize; 3],
        [k, stride, dil]: [[usize; 3]; 3],
        padding: Padding,
        size: OutputSizeFn,
    ) -> Result<Geom> {
        let mut g = Geom {
            batch,
            in_sp,
            in_c,
            out_c,
            k,
            stride,
            dil,
            ..Geom::UNIT
        };
        for d in 0..3 {
            (g.out_sp[d], g.pad[d]) = size(in_sp[d], k[d], stride[d], dil[d], padding)?;
        }
        Ok(g)
    }

    pub fn in_pixels(&self) -> usize {
        prod(&self.in_sp)
    }
    pub fn out_pixels(&self) -> usize {
        prod(&self.out_sp)
    }
    pub fn taps(&self) -> usize {
        prod(&self.k)
    }
    pub fn input_len(&self) -> usize {
        prod(&[self.batch, self.in_pixels(), self.in_c])
    }
    pub fn output_len(&self) -> usize {
        prod(&[self.batch, self.out_pixels(), self.out_c])
    }
    pub fn assert_sane(&self, what: &str) {
        assert!(
            self.stride.iter().chain(self.dil.iter()).all(|&v| v >= 1),
            "{what}: strides and dilations must be at least 1, got {self:?}"
        );
    }
    /// Panics, naming the op `what`, unless each slice length matches this
    /// geometry: `kernel` is (given, expected) for ops with a kernel, `bias`
    /// the given bias length (expected: `out_c`) when there is one.
    pub fn assert_lens(
        &self,
        what: &str,
        input: usize,
        kernel: Option<(usize, usize)>,
        bias: Option<usize>,
        out: usize,
    ) {
        assert!(
            input == self.input_len(),
            "{what}: input has {input} values, expected {}",
            self.input_len()
        );
        if let Some((kernel, want)) = kernel {
            assert!(
                kernel == want,
                "{what}: kernel has {kernel} values, expected {want}"
            );
        }
        if let Some(b) = bias {
            assert!(
                b == self.out_c,
                "{what}: bias has {b} values, expected {}",
                self.out_c
            );
        }
        assert!(
            out == self.output_len(),
            "{what}: output has {out} values, expected {}",
            self.output_len()
        );
    }
    /// First input coordinate of the window of output coordinate `o` in dim `d`.
    #[inline(always)]
    pub fn start(&self, d: usize, o: usize) -> isize {
        (o * self.stride[d]) as isize - self.pad[d] as isize
    }
    /// Output coordinates of dim `d` whose whole window lies inside the input.
    pub fn interior(&self, d: usize) -> Range<usize> {
        let (s, out) = (self.stride[d], self.out_sp[d]);
        let lo = self.pad[d].div_ceil(s).min(out);
        let reach = (self.k[d] - 1) * self.dil[d];
        let hi = if self.in_sp[d] + self.pad[d] > reach {
            ((self.in_sp[d] + self.pad[d] - reach - 1) / s + 1).min(out)
        } else {
            0
        };
        lo..hi.max(lo)
    }
    /// Taps of dim `d` whose input coordinate lies inside the input for output coordinate `o`.
    #[inline(always)]
    pub fn taps_in(&self, d: usize, o: usize) -> Range<usize> {
        valid_taps(self.start(d, o), self.dil[d], self.k[d], self.in_sp[d])
    }
}

/// Product of sizes; panics on overflow (parameter structs built by hand
/// with absurd sizes; the constructors reject those with an error).
pub(crate) fn prod(dims: &[usize]) -> usize {
    dims.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .unwrap_or_else(|| panic!("tensor size overflows: {dims:?}"))
}

/// Panics unless `len` (the length of `op`'s slice `what`) is the product of `dims`.
pub(crate) fn assert_len(op: &str, what: &str, len: usize, dims: &[usize]) {
    let want = prod(dims);
    assert!(
        len == want,
        "{op}: {what} has {len} values, expected {want}"
    );
}

/// Taps `t` in `0..k` with `0 <= start + t*dil < len`.
#[inline(always)]
pub(crate) fn valid_taps(start: isize, dil: usize, k: usize, len: usize) -> Range<usize> {
    let dil_i = dil as isize;
    let lo = if start >= 0 {
        0
    } else {
        ((-start + dil_i - 1) / dil_i) as usize
    };
    let hi = if start >= len as isize {
        0
    } else {
        k.min(((len as isize - 1 - start) / dil_i) as usize + 1)
    };
    lo.min(hi)..hi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_taps_matches_brute_force() {
        for start in -7isize..9 {
            for dil in 1..4 {
                for k in 1..5 {
                    for len in 1..6 {
                        let want: Vec<usize> = (0..k)
                            .filter(|&t| {
                                let i = start + (t * dil) as isize;
                                i >= 0 && i < len as isize
                            })
                            .collect();
                        let got: Vec<usize> = valid_taps(start, dil, k, len).collect();
                        assert_eq!(got, want, "start {start} dil {dil} k {k} len {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn same_padding_follows_tensorflow() {
        // TF: out = ceil(in/stride), pad_total = max((out-1)*s + k - in, 0), top = total/2.
        // (input, kernel, stride, dilation) -> (output, pad before)
        for (input, kernel, stride, dilation, want) in [
            (224, 3, 2, 1, (112, 0)),
            (112, 3, 1, 1, (112, 1)),
            (10, 4, 1, 1, (10, 1)),
            (10, 3, 1, 2, (10, 2)),
        ] {
            let got = conv_output_size(input, kernel, stride, dilation, Padding::Same).unwrap();
            assert_eq!(got, want, "{input} {kernel} {stride} {dilation}");
        }
        assert!(conv_output_size(2, 3, 1, 1, Padding::Valid).is_err());
        assert!(conv_output_size(2, 3, 0, 1, Padding::Valid).is_err());
    }
}

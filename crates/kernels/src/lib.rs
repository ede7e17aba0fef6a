//! Fast f32 kernels for the layers engine, in TensorFlow.js / Keras layouts.
//!
//! Everything here works on plain row-major `f32` slices; tensors are
//! **channels-last** (`NHWC`, `NDHWC`, `NWC`) and kernels are stored exactly as
//! TensorFlow.js and Keras store their weights:
//!
//! | op | input | kernel | output |
//! |----|-------|--------|--------|
//! | [`matmul`] / [`dense`] | `[m, k]` | `[k, n]` (Dense `kernel`) | `[m, n]` |
//! | [`conv2d`] | `[N, H, W, Cin]` | `[kh, kw, Cin, Cout]` (HWIO) | `[N, OH, OW, Cout]` |
//! | Conv1D via [`conv2d`] + [`Conv2dParams::conv1d`] | `[N, W, Cin]` | `[k, Cin, Cout]` | `[N, OW, Cout]` |
//! | [`conv3d`] | `[N, D, H, W, Cin]` | `[kd, kh, kw, Cin, Cout]` (DHWIO) | `[N, OD, OH, OW, Cout]` |
//! | [`depthwise_conv2d`] | `[N, H, W, C]` | `[kh, kw, C, mult]` | `[N, OH, OW, C*mult]` |
//! | [`conv2d_transpose`] | `[N, H, W, Cin]` | `[kh, kw, Cout, Cin]` (Keras) | `[N, OH, OW, Cout]` |
//! | [`max_pool2d`] / [`avg_pool2d`] (and 1-D/3-D) | `[N, H, W, C]` | – | `[N, OH, OW, C]` |
//!
//! A SeparableConv2D is a [`depthwise_conv2d`] (no bias) followed by a 1×1
//! [`conv2d`] (with the bias); a 1×1 stride-1 unpadded convolution is
//! dispatched to a single matrix multiplication.
//!
//! Large problems are split over threads (`team`: helper threads that spin
//! between the layers of a predict, or rayon's pool on its own workers);
//! small ones stay on the calling thread so they do not pay for the split. Matrix products go
//! through the [`gemm`] crate (which picks AVX2/FMA/AVX-512 at run time);
//! depthwise convolution, pooling and the elementwise kernels are written as
//! channel-contiguous loops compiled twice, once with AVX2+FMA enabled (chosen
//! at run time when the CPU supports it) and once for the baseline target.
//!
//! ## Getting the most out of it (for layer implementations)
//!
//! * Pass `bias` to the kernel instead of adding it afterwards, and use
//!   [`conv2d`] / [`depthwise_conv2d`] fuse ReLU / ReLU6 so the
//!   output is touched once while it is in cache.
//! * Inference-time BatchNormalization directly after a convolution can be
//!   folded into it once at load time: `scale = gamma / sqrt(var + eps)`,
//!   `kernel[.., oc] *= scale[oc]`, `bias[oc] = (bias[oc] - mean[oc]) * scale[oc] + beta[oc]`
//!   (for a depthwise kernel `[kh, kw, c, mult]`, output channel `c*mult+m`).
//! * Recurrent layers: project all timesteps with one [`dense_packed`] call, then
//!   run [`lstm_step`] / [`gru_step`] / [`simple_rnn_step`] per timestep
//!   against the recurrent kernel packed once ([`RecurrentKernel`])
//!   (see the `recurrent` functions' docs for the loop).
//! * Kernels never allocate more than a bounded scratch tile per thread,
//!   except [`depthwise_conv2d`] with a depth multiplier > 1, which expands
//!   the input once (`input.len() * multiplier` values).
//!
//! Shapes are described by parameter structs ([`Conv2dParams`],
//! [`Conv3dParams`], [`Pool2dParams`], [`Pool3dParams`]) whose constructors
//! apply TensorFlow's `"valid"` / `"same"` (and Keras `"causal"`) padding rules
//! and reject impossible geometry with a [`KernelError`]. The kernel functions
//! themselves check slice lengths against those parameters and **panic** on a
//! mismatch: that is a programming error in the caller, never a property of
//! untrusted input (callers validate tensor shapes first).
//!
//! ```
//! use tfjs_kernels::{conv2d, Conv2dParams, FusedActivation, Padding};
//! // 1 image 4×4×1, a 3×3 kernel of ones, "same" padding: box sums.
//! let p = Conv2dParams::new(1, [4, 4], 1, 1, [3, 3], [1, 1], [1, 1], Padding::Same).unwrap();
//! let input = vec![1.0f32; 16];
//! let kernel = vec![1.0f32; 9];
//! let mut out = vec![0.0f32; p.output_len()];
//! conv2d(&input, &kernel, None, FusedActivation::Linear, &p, &mut out);
//! assert_eq!(out[0], 4.0); // corner: 2×2 window inside the image
//! assert_eq!(out[5], 9.0); // interior
//! ```

#![warn(missing_docs)]

mod act;
mod attention;
pub mod bessel1;
mod concat;
mod conv;
mod depthwise;
pub mod einsum;
mod geom;
pub mod image;
pub mod losses;
mod math;
mod matmul;
pub mod nms;
mod packed;
mod pointwise;
mod pool;
pub mod quant;
mod recurrent;
pub mod resample;
mod simd;
pub mod spectral;
mod team;

pub use act::FusedActivation;
pub use attention::{attention_context, attention_scores};
pub use concat::concat_chunks;
pub use conv::{
    conv2d, conv2d_packed, conv2d_transpose, conv3d, dense_packed, Conv2dParams, Conv3dParams,
};
pub use depthwise::depthwise_conv2d;
pub use geom::{conv_output_size, deconv_output_size, Padding, WindowAxis};
pub use math::{
    erf, erf_inplace, exp_inplace, gelu_inplace, gelu_tanh_inplace, sigmoid_inplace, silu_inplace,
    tanh_inplace,
};
pub use matmul::{add_bias, dense, matmul, matmul_bt};
pub use packed::{gemm_packed, PackedMatrix, PANEL};
pub use pointwise::{
    apply_point_ops, channel_affine, channel_affine_inplace, channel_scale, channel_scale_inplace,
    gate_point_ops, PointOp,
};
pub use pool::{
    avg_pool2d, avg_pool3d, global_avg_pool, global_max_pool, max_pool2d, max_pool3d, Pool2dParams,
    Pool3dParams,
};
pub use recurrent::{
    gru_step, lstm_step, simple_rnn_step, to_time_major, GruResetMode, RecurrentKernel,
};
pub use team::{join, park_helpers, with_team, TeamGrain};

/// Invalid kernel geometry (zero stride, window larger than the padded input, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// The parameters describe no valid computation; the message says which one and why.
    #[error("invalid kernel parameters: {0}")]
    InvalidParams(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, KernelError>;

/// Below this many multiply-adds a kernel runs on the calling thread.
pub const PARALLEL_THRESHOLD_FLOPS: usize = 1 << 22;

/// Runs `f(first_row, rows)` over `out`, a non-empty whole number of rows of
/// `row_len` values: a few rows per task (enough tasks to balance, few
/// enough to keep overhead low) spread over the threads ([`team`]) when
/// there are threads to share `work` (multiply-adds or window taps) of at
/// least [`team::split_threshold`]; otherwise once over all of `out` on the
/// calling thread.
pub(crate) fn for_row_chunks(
    out: &mut [f32],
    row_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [f32]) + Sync,
) {
    let rows = out.len() / row_len;
    let threads = team::threads();
    if threads > 1 && work >= team::split_threshold() && rows > 1 {
        let per_task = rows.div_ceil(threads * 8).max(1);
        team::for_each_chunk(out, per_task * row_len, true, |_: &mut (), i, chunk| {
            f(i * per_task, chunk)
        });
    } else {
        f(0, out);
    }
}

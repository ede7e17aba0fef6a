//! Activations that kernels can apply to their output while it is still in cache.

/// An activation fused into a kernel's epilogue (applied per output tile right
/// after bias and product). Other activations are applied by the caller.
///
/// ```
/// use tfjs_kernels::FusedActivation;
/// let mut x = [-1.0, 3.0, 9.0];
/// FusedActivation::Relu6.apply(&mut x);
/// assert_eq!(x, [0.0, 3.0, 6.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum FusedActivation {
    /// Identity.
    #[default]
    Linear,
    /// `max(x, 0)`.
    Relu,
    /// `min(max(x, 0), 6)`.
    Relu6,
    /// `x · sigmoid(x)` (Keras `swish` / `silu`), the same arithmetic as
    /// [`silu_inplace`](crate::silu_inplace).
    Silu,
}

impl FusedActivation {
    /// Apply in place. NaN stays NaN (like TensorFlow.js `relu`/`relu6`).
    pub fn apply(self, x: &mut [f32]) {
        match self {
            FusedActivation::Linear => {}
            FusedActivation::Relu => x.iter_mut().for_each(|v| *v = Self::relu(*v)),
            FusedActivation::Relu6 => x.iter_mut().for_each(|v| *v = Self::relu6(*v)),
            FusedActivation::Silu => crate::silu_inplace(x),
        }
    }

    /// Apply ReLU / ReLU6 to a register block in place (kernels that apply
    /// it before the block's one store, then
    /// [`apply_after_store`](FusedActivation::apply_after_store) to the
    /// finished output); the same arithmetic as [`FusedActivation::apply`],
    /// one match per block and a loop that vectorizes (a per-value match in
    /// `[f32; N]::map` was left as a call in depthwise's border path).
    #[inline(always)]
    pub fn apply_block(self, block: &mut [f32]) {
        match self {
            FusedActivation::Linear => {}
            FusedActivation::Relu => block.iter_mut().for_each(|v| *v = Self::relu(*v)),
            FusedActivation::Relu6 => block.iter_mut().for_each(|v| *v = Self::relu6(*v)),
            // Not in registers: see `apply_after_store`.
            FusedActivation::Silu => {}
        }
    }

    /// What [`FusedActivation::apply_block`] leaves out, applied to a
    /// finished output row or tile while it is still in cache: swish. In a
    /// kernel's hot loop its call (or its inlined constants) spilled the
    /// registers holding the weights, which slowed every kernel down, even
    /// for models without swish (MobileNet v2 at batch 32 by 16 to 25%).
    #[inline]
    pub fn apply_after_store(self, out: &mut [f32]) {
        if self == FusedActivation::Silu {
            crate::silu_inplace(out);
        }
    }

    #[inline(always)]
    fn relu(v: f32) -> f32 {
        if v < 0.0 {
            0.0
        } else {
            v
        }
    }

    #[inline(always)]
    fn relu6(v: f32) -> f32 {
        v.clamp(0.0, 6.0)
    }
}

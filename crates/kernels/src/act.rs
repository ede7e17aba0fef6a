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
}

impl FusedActivation {
    /// Apply in place. NaN stays NaN (like TensorFlow.js `relu`/`relu6`).
    pub fn apply(self, x: &mut [f32]) {
        match self {
            FusedActivation::Linear => {}
            FusedActivation::Relu => x.iter_mut().for_each(|v| *v = Self::relu(*v)),
            FusedActivation::Relu6 => x.iter_mut().for_each(|v| *v = Self::relu6(*v)),
        }
    }

    /// Apply to a register block in place (kernels that apply it before the
    /// block's one store); the same arithmetic as [`FusedActivation::apply`],
    /// one match per block and a loop that vectorizes (a per-value match in
    /// `[f32; N]::map` was left as a call in depthwise's border path).
    #[inline(always)]
    pub fn apply_block(self, block: &mut [f32]) {
        match self {
            FusedActivation::Linear => {}
            FusedActivation::Relu => block.iter_mut().for_each(|v| *v = Self::relu(*v)),
            FusedActivation::Relu6 => block.iter_mut().for_each(|v| *v = Self::relu6(*v)),
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

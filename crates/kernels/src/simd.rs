//! Run-time CPU feature dispatch for the hand-written loops.
//!
//! Each hot loop is written once as an `#[inline(always)]` generic function
//! with a `const FMA: bool` parameter and instantiated three times: inside
//! an AVX-512 and an `avx2,fma` `#[target_feature]` wrapper (so LLVM
//! vectorizes it with 512- or 256-bit registers and fused multiply-adds) and
//! for the baseline target. The two FMA builds give the same bits: each
//! value goes through the same operations, only more of them per
//! instruction.

/// True when the CPU supports AVX2 and FMA (cached by std).
#[inline]
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// True when the CPU supports AVX-512 (F, BW, DQ, VL) besides AVX2 and FMA
/// (cached by std).
#[inline]
pub(crate) fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        has_avx2_fma()
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `a * b + c`, fused when `FMA` (only instantiated with `true` inside FMA-enabled code).
#[inline(always)]
pub(crate) fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Define `$name(args)` that runs `$generic::<true>` under AVX-512 or
/// AVX2+FMA when available and `$generic::<false>` otherwise.
macro_rules! dispatch {
    ($(#[$attr:meta])* $vis:vis fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) => $generic:ident) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                $crate::simd::dispatch!(@when "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma", has_avx512, $generic($($arg: $ty),*));
                $crate::simd::dispatch!(@when "avx2,fma", has_avx2_fma, $generic($($arg: $ty),*));
            }
            $generic::<false>($($arg),*)
        }
    };
    // `$generic::<true>` compiled for `$features`, run and returned from
    // the enclosing function when the CPU has them (`$has`).
    (@when $features:literal, $has:ident, $generic:ident ( $($arg:ident : $ty:ty),* )) => {{
        #[target_feature(enable = $features)]
        unsafe fn with_features($($arg: $ty),*) {
            $generic::<true>($($arg),*)
        }
        if $crate::simd::$has() {
            // SAFETY: the CPU supports the features `with_features` was compiled for.
            unsafe { with_features($($arg),*) };
            return;
        }
    }};
}
pub(crate) use dispatch;

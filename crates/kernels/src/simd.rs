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
    ($vis:vis fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) => $generic:ident) => {
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                unsafe fn wide($($arg: $ty),*) {
                    $generic::<true>($($arg),*)
                }
                if $crate::simd::has_avx512() {
                    // SAFETY: the CPU supports the features `wide` was compiled for.
                    unsafe { wide($($arg),*) };
                    return;
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn fast($($arg: $ty),*) {
                    $generic::<true>($($arg),*)
                }
                if $crate::simd::has_avx2_fma() {
                    // SAFETY: the CPU supports the features `fast` was compiled for.
                    unsafe { fast($($arg),*) };
                    return;
                }
            }
            $generic::<false>($($arg),*)
        }
    };
}
pub(crate) use dispatch;

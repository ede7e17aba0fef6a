//! `x / c` with a non-scalar constant `c`, for [`super::constant_operand`]:
//! a fixed `BatchNormalization` with `moving_mean` 0, `epsilon` 0, no
//! `beta`, `gamma = sign(c)` and `moving_variance = fl32(c²)`.
//!
//! TensorFlow.js 4.22's cpu kernel (`tfjs-backend-cpu/src/kernels/
//! BatchNorm.ts`, what the layers' `batchNorm2d` runs) computes each
//! element in JavaScript doubles as `offset + (x - mean) * scale /
//! Math.sqrt(variance + varianceEpsilon)` (left to right: the product,
//! then the quotient) and stores it in a `Float32Array`; `epsilon: 0` is
//! kept (only a missing one defaults to 1e-3). With offset 0, mean 0,
//! epsilon 0 and `scale = ±1` every step before the division is exact, so
//! the kernel returns `fl32(fl64(x / fl64(√v)))` with `v = fl32(c²)`.
//!
//! - Exact when float32 holds `c²` (`c` with at most 12 significant bits:
//!   `2`, `0.5`, `127.5`, `-0.75`): then `√v = |c|` exactly and the kernel
//!   returns `fl32(fl64(x / c))`, which is float32's own `x / c` (division
//!   rounded to 53 bits and then to 24 is correctly rounded, 53 ≥ 2·24 + 2).
//! - Within one float32 rounding otherwise (ImageNet's std `0.229`,
//!   `0.224`, `0.225`): `v = c²(1 + ε)` with `|ε| ≤ 2⁻²⁴` (`v` normal),
//!   so `fl64(√v) = |c|(1 + δ)` with `|δ| < 2⁻²⁵ + 2⁻⁵⁰`, and the double
//!   quotient is `q = (x / c)(1 + δ')` with `|δ'| < 2⁻²⁵ + 2⁻⁴⁹`: about
//!   half a float32 unit in the last place (ulp) of `x / c` from it at
//!   most. The kernel's `fl32(q)` and float32's `fl32(x / c)` are each
//!   within half an ulp of their argument, so they are less than two ulps
//!   apart, hence at most one: a relative difference of at most `2⁻²³`,
//!   far inside the `--rebuild` contract's `1e-4 + 1e-3·|y|` (only an
//!   `x / c` within one rounding of float32's largest value may come out
//!   as ±inf where float32 rounds to that value).
//!
//! Every element is checked when the model is rewritten: `0` (`x / 0` is
//! ±inf or NaN, and a fixed `BatchNormalization` folded into
//! `x · (1/√v) + (β - μ/√v)` by other runtimes, ours included, turns that
//! into NaN everywhere), non-finite elements and those whose square
//! overflows or leaves float32's normal range (the bound above needs a
//! normal `v`) are refused, naming the element.

/// How TF.js's `BatchNormalization` above divides by a constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Division {
    /// Every `c²` is exact in float32: float32's own `x / c`.
    Exact,
    /// Element `index` (`value`, the first such) has a `c²` float32
    /// rounds: within one float32 rounding of `x / c`.
    WithinOneRounding { index: usize, value: f32 },
}

impl Division {
    /// What the rewrite's note says of the division.
    pub(super) fn note(self) -> String {
        match self {
            Division::Exact => "x / c exact (every c² is exact in float32)".into(),
            Division::WithinOneRounding { index, value } => format!(
                "x / c within one float32 rounding (c² is rounded in float32, first at \
                 element {index} ({value}))"
            ),
        }
    }
}

/// How the `BatchNormalization` above divides by every element of
/// `values` (as float32), or which element it cannot divide by and why.
pub(super) fn divisors(values: &[f64]) -> Result<Division, String> {
    let mut division = Division::Exact;
    for (i, &v) in values.iter().enumerate() {
        let c = v as f32;
        let square = c * c;
        let why = if c == 0.0 {
            "is 0 (x / 0 is ±inf or NaN)".to_string()
        } else if !c.is_finite() {
            "is not a finite float32".to_string()
        } else if !square.is_normal() {
            format!(
                "squared is {square:e} in float32, outside float32's normal range (x / c is \
                 rewritten with c² as a moving_variance)"
            )
        } else {
            if division == Division::Exact && f64::from(square).sqrt() != f64::from(c.abs()) {
                division = Division::WithinOneRounding { index: i, value: c };
            }
            continue;
        };
        return Err(format!("the constant's element {i} ({c}) {why}"));
    }
    Ok(division)
}

/// `gamma = sign(c)` and `moving_variance = c²` (float32) per element.
pub(super) fn sign_and_square(c: &[f32]) -> (Vec<f32>, Vec<f32>) {
    c.iter().map(|&v| (v.signum(), v * v)).unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TF.js 4.22's cpu `batchNorm` on one element, as its kernel writes
    /// it (JavaScript doubles, stored in a `Float32Array`).
    fn tfjs_cpu_batch_norm(x: f32, mean: f32, variance: f32, offset: f32, scale: f32) -> f32 {
        let epsilon = 0.0f64;
        (f64::from(offset)
            + (f64::from(x) - f64::from(mean)) * f64::from(scale)
                / (f64::from(variance) + epsilon).sqrt()) as f32
    }

    /// Float32 values over the whole range: every exponent, many
    /// significands, both signs.
    fn samples() -> impl Iterator<Item = f32> {
        (0u32..(1 << 20)).map(|i| f32::from_bits(i.wrapping_mul(0x9E37_79B9) ^ (i << 11)))
    }

    /// `x` on a line where adjacent float32 values (±0 as one, the largest
    /// finite value next to ±inf) are one apart.
    fn ordered(x: f32) -> i64 {
        let magnitude = i64::from(x.to_bits() & 0x7fff_ffff);
        if x.is_sign_negative() {
            -magnitude
        } else {
            magnitude
        }
    }

    #[test]
    fn tfjs_divides_by_each_exact_constant_as_float32_does() {
        let divisors = [
            2.0f32, 0.5, -4.0, 1.5, 127.5, -0.75, 0.625, 255.0, 4095.0, 3e-10,
        ];
        let values: Vec<f64> = divisors.iter().map(|&c| f64::from(c)).collect();
        // 3e-10 rounds to a float32 with more than 12 significant bits.
        assert_eq!(
            super::divisors(&values),
            Ok(Division::WithinOneRounding {
                index: 9,
                value: 3e-10
            })
        );
        let values = &values[..values.len() - 1];
        assert_eq!(super::divisors(values), Ok(Division::Exact));
        let c: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        let (sign, square) = sign_and_square(&c);
        for x in samples().filter(|x| x.is_finite()) {
            for ((&c, &s), &v) in c.iter().zip(&sign).zip(&square) {
                let want = x / c;
                let got = tfjs_cpu_batch_norm(x, 0.0, v, 0.0, s);
                assert!(
                    got == want || (got.is_nan() && want.is_nan()),
                    "{x} / {c}: TF.js {got}, float32 {want}"
                );
            }
        }
    }

    #[test]
    fn tfjs_divides_by_each_rounded_square_within_one_float32_rounding() {
        // ImageNet's std, 1/3, and elements whose squares lie near either
        // end of float32's normal range.
        let divisors = [
            0.229f32,
            0.224,
            0.225,
            -0.229,
            1.0 / 3.0,
            3e-10,
            1e18,
            -1.1e-19,
        ];
        let values: Vec<f64> = divisors.iter().map(|&c| f64::from(c)).collect();
        assert_eq!(
            super::divisors(&values),
            Ok(Division::WithinOneRounding {
                index: 0,
                value: 0.229
            })
        );
        let (sign, square) = sign_and_square(&divisors);
        for ((&c, &s), &v) in divisors.iter().zip(&sign).zip(&square) {
            let mut rounded = 0;
            for x in samples().filter(|x| x.is_finite()) {
                let want = x / c;
                let got = tfjs_cpu_batch_norm(x, 0.0, v, 0.0, s);
                if got.is_nan() || want.is_nan() {
                    assert!(got.is_nan() && want.is_nan(), "{x} / {c}: TF.js {got}");
                    continue;
                }
                let apart = (ordered(got) - ordered(want)).abs();
                assert!(apart <= 1, "{x} / {c}: TF.js {got}, float32 {want}");
                rounded += usize::from(apart == 1);
            }
            // Not exact: the note must not say so.
            assert!(rounded > 0, "{c}");
        }
    }

    #[test]
    fn zero_non_finite_and_out_of_range_divisors_are_refused_by_element() {
        for (values, needle) in [
            (vec![2.0, 0.229, 0.0], "element 2 (0) is 0"),
            (
                vec![1e20],
                "element 0 (100000000000000000000) squared is inf",
            ),
            (
                vec![1.0, 2f64.powi(-70)],
                "element 1 (0.00000000000000000000084703295) squared is 7.17e-43",
            ),
            (vec![1e-40], "squared is 0e0"),
            (vec![f64::NAN], "is not a finite float32"),
            (vec![-1e39], "(-inf) is not a finite float32"),
        ] {
            let err = super::divisors(&values).unwrap_err();
            assert!(err.contains(needle), "{values:?}: {err}");
        }
    }
}

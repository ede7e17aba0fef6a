//! `x / c` with a non-scalar constant `c`, for [`super::constant_operand`]:
//! a fixed `BatchNormalization` with `moving_mean` 0, `epsilon` 0, no
//! `beta`, `gamma = sign(c)` and `moving_variance = c²`, where that is
//! exact.
//!
//! TensorFlow.js 4.22's cpu kernel (`tfjs-backend-cpu/src/kernels/
//! BatchNorm.ts`, what the layers' `batchNorm2d` runs) computes each
//! element in JavaScript doubles as `offset + (x - mean) * scale /
//! Math.sqrt(variance + varianceEpsilon)` (left to right: the product,
//! then the quotient) and stores it in a `Float32Array`; `epsilon: 0` is
//! kept (only a missing one defaults to 1e-3). With offset 0, mean 0,
//! epsilon 0 and `scale = ±1` every step before the division is exact, so
//! when `Math.sqrt(fl32(c²)) == |c|` the kernel returns `fl32(fl64(x /
//! c))`, which is float32's own `x / c` (division rounded to 53 bits and
//! then to 24 is correctly rounded, 53 ≥ 2·24 + 2). That holds exactly
//! when float32 holds `c²`: `c` with at most 12 significant bits whose
//! square is a normal float32 (`2`, `0.5`, `127.5`, `-0.75`; not
//! ImageNet's std `0.229`, whose square is rounded and whose root then
//! differs from `|c|` in the 25th bit). Every element is checked when the
//! model is rewritten; `0`, non-finite and subnormal elements are refused
//! too (`x / 0` is ±inf or NaN, and a fixed `BatchNormalization` folded
//! into `x · (1/√v) + (β - μ/√v)` by other runtimes, ours included, turns
//! that into NaN everywhere).

/// Whether every element of `values` (as float32) is a divisor the
/// `BatchNormalization` above divides by exactly, or which one is not
/// and why.
pub(super) fn exact_divisors(values: &[f64]) -> Result<(), String> {
    for (i, &v) in values.iter().enumerate() {
        let c = v as f32;
        let why = if c == 0.0 {
            "is 0 (x / 0 is ±inf or NaN)".to_string()
        } else if !c.is_normal() {
            "is not a finite normal float32".to_string()
        } else {
            let square = c * c;
            if square.is_normal() && f64::from(square).sqrt() == f64::from(c.abs()) {
                continue;
            }
            format!(
                "squared is {square:e} in float32, not its exact square, so TF.js's \
                 BatchNormalization would divide by a rounded sqrt(c²) (x / c is rewritten \
                 only when every c² is exact in float32: at most 12 significant bits, \
                 within float32's normal range)"
            )
        };
        return Err(format!("the constant's element {i} ({c}) {why}"));
    }
    Ok(())
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

    #[test]
    fn tfjs_divides_by_each_accepted_constant_as_float32_does() {
        let divisors = [
            2.0f32, 0.5, -4.0, 1.5, 127.5, -0.75, 0.625, 255.0, 4095.0, 3e-10,
        ];
        let values: Vec<f64> = divisors.iter().map(|&c| f64::from(c)).collect();
        // 3e-10 rounds to a float32 with more than 12 significant bits.
        assert!(exact_divisors(&values).is_err());
        let values = &values[..values.len() - 1];
        exact_divisors(values).unwrap();
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
    fn inexact_zero_and_out_of_range_divisors_are_refused_by_element() {
        for (values, needle) in [
            (vec![2.0, 0.229, 3.0], "element 1 (0.229) squared is"),
            (vec![1.0, 0.0], "element 1 (0) is 0"),
            (vec![1e20], "squared is inf"),
            (vec![2f64.powi(-70)], "squared is"),
            (vec![1e-40], "is not a finite normal float32"),
            (vec![f64::NAN], "is not a finite normal float32"),
        ] {
            let err = exact_divisors(&values).unwrap_err();
            assert!(err.contains(needle), "{values:?}: {err}");
        }
    }

    #[test]
    fn a_rounded_square_makes_tfjs_divide_otherwise() {
        // Why 0.229 is refused: TF.js would miss float32's x / c.
        let c = 0.229f32;
        let (sign, square) = sign_and_square(&[c]);
        let wrong = samples()
            .filter(|x| x.is_finite())
            .filter(|&x| tfjs_cpu_batch_norm(x, 0.0, square[0], 0.0, sign[0]) != x / c)
            .count();
        assert!(wrong > 0);
    }
}

//! Special functions, elementwise: Keras 2's `tf.math.lgamma`,
//! `tf.math.digamma`, `tf.math.bessel_i0` / `bessel_i0e` and Keras 3's
//! `ops.i0`, computed in float64 and rounded once, so they agree with
//! TensorFlow's float32 kernels (the C library's `lgammaf`, Eigen's
//! digamma and Bessel functions) to float32 precision:
//!
//! - lgamma: `log|Γ(x)|`, by the Lanczos series (g = 7, 9 terms) for
//!   `x >= 0.5` and the reflection `log(π / |sin(πx)|) - lgamma(1 - x)`
//!   below; `+inf` at 0 and the negative integers (poles), as TensorFlow;
//! - digamma: `ψ(x)`, Eigen's recipe: the reflection
//!   `ψ(1 - x) - π / tan(πx)` below 0 (NaN at the non-positive integers),
//!   the recurrence `ψ(x) = ψ(x + 1) - 1/x` up to 10, then the asymptotic
//!   series `log s - 1/(2s) - Σ B₂ₖ / (2k s²ᵏ)`;
//! - bessel_i0: `I₀(x) = Σ ((x/2)ᵏ / k!)²` (the series to float64
//!   precision; infinite past float32's range), bessel_i0e: `e^-|x| I₀(x)`
//!   (the series up to |x| = 700, the asymptotic expansion beyond);
//! - igamma / igammac: the regularized lower and upper incomplete gamma
//!   functions `P(a, x)` and `Q(a, x) = 1 − P(a, x)` (`tf.math.igamma`,
//!   `tf.math.igammac`), Eigen's (Cephes') recipe: the power series of
//!   `P` where `x ≤ 1` or `x ≤ a`, else the continued fraction of `Q`,
//!   the other one as `1 −` it; NaN for `a ≤ 0` or `x < 0` (and NaN
//!   arguments), `P(a, 0) = 0`, `P(a, ∞) = 1`.

use std::f64::consts::PI;

/// Lanczos coefficients (g = 7, n = 9).
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

fn lgamma64(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    if x <= 0.0 && x == x.floor() {
        // A pole.
        return f64::INFINITY;
    }
    if x < 0.5 {
        // Γ(x) Γ(1 - x) = π / sin(πx).
        return (PI / (PI * x).sin().abs()).ln() - lgamma64(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = LANCZOS[0];
    let t = x + 7.5;
    for (i, &c) in LANCZOS.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `log|Γ(x)|` (`tf.math.lgamma`).
pub(crate) fn lgamma(x: f32) -> f32 {
    lgamma64(f64::from(x)) as f32
}

fn digamma64(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        return f64::NAN;
    }
    let (mut x, mut shift) = (x, 0.0);
    if x <= 0.0 {
        let q = x;
        let p = q.floor();
        if p == q {
            return f64::NAN;
        }
        // ψ(x) = ψ(1 - x) - π / tan(πx).
        shift = PI / (PI * (q - p)).tan();
        if q - p == 0.5 {
            shift = 0.0;
        }
        x = 1.0 - x;
    }
    let mut w = 0.0;
    while x < 10.0 {
        w += 1.0 / x;
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    // Bernoulli terms B₂ₖ / 2k: 1/12, -1/120, 1/252, -1/240, 1/132.
    let series = z
        * (1.0 / 12.0
            - z * (1.0 / 120.0 - z * (1.0 / 252.0 - z * (1.0 / 240.0 - z * (1.0 / 132.0)))));
    x.ln() - 0.5 / x - series - w - shift
}

/// `ψ(x)`, the derivative of `log Γ(x)` (`tf.math.digamma`).
pub(crate) fn digamma(x: f32) -> f32 {
    digamma64(f64::from(x)) as f32
}

/// `Σ ((x/2)ᵏ / k!)²`, all terms positive.
fn i0_series(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut term, mut sum, mut k) = (1f64, 1f64, 0f64);
    while term > sum * 1e-17 {
        k += 1.0;
        term *= q / (k * k);
        sum += term;
    }
    sum
}

/// `I₀(x)` (`ops.i0`, `tf.math.bessel_i0`).
pub(crate) fn bessel_i0(x: f32) -> f32 {
    let x = f64::from(x).abs();
    if x.is_nan() {
        return f32::NAN;
    }
    if x > 100.0 {
        // Past float32's range already.
        return f32::INFINITY;
    }
    i0_series(x) as f32
}

/// `e^-|x| I₀(x)` (`tf.math.bessel_i0e`).
pub(crate) fn bessel_i0e(x: f32) -> f32 {
    let x = f64::from(x).abs();
    if x.is_nan() {
        return f32::NAN;
    }
    if x.is_infinite() {
        return 0.0;
    }
    if x <= 700.0 {
        return (i0_series(x) * (-x).exp()) as f32;
    }
    // 1/√(2πx) · (1 + 1/(8x) + 9/(2(8x)²) + 225/(6(8x)³)).
    let t = 1.0 / (8.0 * x);
    ((1.0 + t * (1.0 + t * (4.5 + t * 37.5))) / (2.0 * PI * x).sqrt()) as f32
}

/// float64's machine epsilon, where Cephes stops its series.
const MACHEP: f64 = 1.110_223_024_625_156_5e-16;

/// `x^a e^-x / Γ(a)`, the factor both expansions share (0 where it
/// underflows).
fn igamma_factor(a: f64, x: f64) -> f64 {
    let ax = a * x.ln() - x - lgamma64(a);
    if ax < -709.78 {
        0.0
    } else {
        ax.exp()
    }
}

/// `P(a, x)` by its power series.
fn igamma_series(a: f64, x: f64) -> f64 {
    let ax = igamma_factor(a, x);
    if ax == 0.0 {
        return 0.0;
    }
    let (mut r, mut c, mut ans) = (a, 1.0, 1.0);
    for _ in 0..2000 {
        r += 1.0;
        c *= x / r;
        ans += c;
        if c <= MACHEP * ans {
            break;
        }
    }
    ans * ax / a
}

/// `Q(a, x)` by its continued fraction (`x > 1`, `x > a`).
fn igammac_fraction(a: f64, x: f64) -> f64 {
    const BIG: f64 = 4.503_599_627_370_496e15;
    let ax = igamma_factor(a, x);
    if ax == 0.0 {
        return 0.0;
    }
    let mut y = 1.0 - a;
    let mut z = x + y + 1.0;
    let mut c = 0.0;
    let (mut pkm2, mut qkm2, mut pkm1, mut qkm1) = (1.0, x, x + 1.0, z * x);
    let mut ans = pkm1 / qkm1;
    for _ in 0..2000 {
        c += 1.0;
        y += 1.0;
        z += 2.0;
        let yc = y * c;
        let pk = pkm1 * z - pkm2 * yc;
        let qk = qkm1 * z - qkm2 * yc;
        let t = if qk != 0.0 {
            let r = pk / qk;
            let t = ((ans - r) / r).abs();
            ans = r;
            t
        } else {
            1.0
        };
        (pkm2, pkm1, qkm2, qkm1) = (pkm1, pk, qkm1, qk);
        if pk.abs() > BIG {
            pkm2 /= BIG;
            pkm1 /= BIG;
            qkm2 /= BIG;
            qkm1 /= BIG;
        }
        if t <= MACHEP {
            break;
        }
    }
    ans * ax
}

/// `P(a, x)` (`upper` false) or `Q(a, x)`.
fn incomplete_gamma(a: f64, x: f64, upper: bool) -> f64 {
    // Also NaN for NaN arguments (the comparisons fail).
    if !(a > 0.0 && x >= 0.0) || a.is_infinite() {
        return f64::NAN;
    }
    let lower = if x == 0.0 {
        0.0
    } else if x.is_infinite() {
        1.0
    } else if x > 1.0 && x > a {
        let q = igammac_fraction(a, x);
        return if upper { q } else { 1.0 - q };
    } else {
        igamma_series(a, x)
    };
    if upper {
        1.0 - lower
    } else {
        lower
    }
}

/// The regularized lower incomplete gamma function `P(a, x)`
/// (`tf.math.igamma`).
pub(crate) fn igamma(a: f32, x: f32) -> f32 {
    incomplete_gamma(f64::from(a), f64::from(x), false) as f32
}

/// The regularized upper incomplete gamma function `Q(a, x)`
/// (`tf.math.igammac`).
pub(crate) fn igammac(a: f32, x: f32) -> f32 {
    incomplete_gamma(f64::from(a), f64::from(x), true) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // log Γ(n) = log((n - 1)!), Γ(1/2) = √π, Γ(-1/2) = -2√π.
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        assert!(close(lgamma64(5.0), 24f64.ln()));
        assert!(close(lgamma64(0.5), PI.sqrt().ln()));
        assert!(close(lgamma64(-0.5), (2.0 * PI.sqrt()).ln()));
        assert!(close(lgamma64(1.0), 0.0) && close(lgamma64(2.0), 0.0));
        assert_eq!(lgamma(-2.0), f32::INFINITY);
        // ψ(1) = -γ, ψ(1/2) = -γ - 2 ln 2, ψ(x + 1) = ψ(x) + 1/x.
        let gamma = 0.577_215_664_901_532_9;
        assert!(close(digamma64(1.0), -gamma));
        assert!(close(digamma64(0.5), -gamma - 2.0 * 2f64.ln()));
        assert!(close(digamma64(-1.5), digamma64(-0.5) - 1.0 / -1.5));
        assert!(close(digamma64(30.25), digamma64(29.25) + 1.0 / 29.25));
        assert!(digamma(-3.0).is_nan());
        // I₀(1) = 1.2660658777520084, I₀(0) = 1, even.
        assert!((f64::from(bessel_i0(1.0)) - 1.266_065_877_752_008_4).abs() < 1e-6);
        assert_eq!(bessel_i0(0.0), 1.0);
        assert_eq!(bessel_i0(-2.5), bessel_i0(2.5));
        let big = 800.0f32;
        assert!((bessel_i0e(big) - (1.0 / (2.0 * PI * 800.0).sqrt()) as f32).abs() < 1e-5);
    }

    #[test]
    fn incomplete_gamma_known_values() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        // P(1, x) = 1 - e^-x; P(1/2, x) = erf(√x); P + Q = 1 on both
        // sides of the series / continued-fraction switch.
        for x in [0.1, 0.9, 1.5, 4.0, 30.0] {
            assert!(
                close(incomplete_gamma(1.0, x, false), 1.0 - (-x).exp()),
                "{x}"
            );
            assert!(close(incomplete_gamma(1.0, x, true), (-x).exp()), "{x}");
            for a in [0.3, 2.5, 7.0] {
                let (p, q) = (incomplete_gamma(a, x, false), incomplete_gamma(a, x, true));
                assert!((p + q - 1.0).abs() < 1e-14, "{a} {x}");
            }
        }
        let erf_half = f64::from(crate::activations::erf(0.5f32.sqrt()));
        assert!((incomplete_gamma(0.5, 0.5, false) - erf_half).abs() < 1e-6);
        // TensorFlow's edges: NaN outside the domain, P(a, 0) = 0,
        // P(a, ∞) = 1.
        assert!(igamma(0.0, 1.0).is_nan() && igamma(1.0, -1.0).is_nan());
        assert!(igammac(-1.0, 1.0).is_nan() && igamma(f32::NAN, 1.0).is_nan());
        assert_eq!((igamma(2.0, 0.0), igammac(2.0, 0.0)), (0.0, 1.0));
        assert_eq!(
            (igamma(2.0, f32::INFINITY), igammac(2.0, f32::INFINITY)),
            (1.0, 0.0)
        );
    }
}

//! Activation functions, with every spelling TensorFlow.js and Keras write.

use crate::{LayersError, Result};

/// An activation, applied in place.
///
/// ```
/// use tfjs_layers::activations::Activation;
/// let a = Activation::parse("relu6").unwrap();
/// let mut x = [-1.0, 3.0, 9.0];
/// a.apply(&mut x, 3);
/// assert_eq!(x, [0.0, 3.0, 6.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Linear,
    Relu,
    Relu6,
    Elu,
    Selu,
    Sigmoid,
    /// TensorFlow.js's and Keras 2's `hard_sigmoid`: `clip(0.2x + 0.5, 0, 1)`.
    HardSigmoid,
    /// Keras 3's `hard_sigmoid`: `clip(x/6 + 0.5, 0, 1)` (written with the
    /// same name; see [`crate::Dialect`]).
    HardSigmoidKeras3,
    Tanh,
    Softplus,
    Softsign,
    /// Over the last axis.
    Softmax,
    /// Over the last axis.
    LogSoftmax,
    Swish,
    Mish,
    /// Exact erf gelu (TensorFlow.js `gelu`).
    Gelu,
    /// tanh approximation (`gelu_new`).
    GeluNew,
    Exponential,
    HardSilu,
    /// `leaky_relu`: `x` for `x >= 0`, else `slope · x`. By name (Keras 3's
    /// activation, `tf.nn.leaky_relu`) the slope is 0.2 ([`Slope::DEFAULT`]);
    /// a `LeakyReLU` layer object given as `activation=` carries its own.
    LeakyRelu(Slope),
    /// Keras 3 `celu` (alpha 1).
    Celu,
    /// Keras 3 `squareplus` (b 4): `(x + sqrt(x² + 4)) / 2`.
    Squareplus,
    /// Keras 3 `tanh_shrink`: `x - tanh(x)`.
    TanhShrink,
    /// Keras 3 `hard_tanh`: `clip(x, -1, 1)`.
    HardTanh,
    /// Keras 3 `log_sigmoid`: `-softplus(-x)`.
    LogSigmoid,
    /// Keras 3 `sparse_plus`: 0 below -1, `(x + 1)² / 4` on [-1, 1], x above.
    SparsePlus,
    /// Keras 3 `sparse_sigmoid`: 0 below -1, `(x + 1) / 2` on [-1, 1], 1 above.
    SparseSigmoid,
    /// Keras 3 `hard_shrink` (threshold 0.5): x where |x| > 0.5, else 0.
    HardShrink,
    /// Keras 3 `soft_shrink` (threshold 0.5): x ∓ 0.5 where |x| > 0.5, else 0.
    SoftShrink,
    /// Keras 3's `sparsemax` over the last axis (per row, like softmax).
    Sparsemax,
    /// Keras 3's `glu` (axis -1): the first half of each row of the last
    /// axis times the sigmoid of the second half. It halves the last axis:
    /// a layer's output shape follows [`Activation::last_dim_after`], and
    /// [`Activation::apply`] leaves the result in the first half of `x`.
    Glu,
}

impl Activation {
    /// Parse a TensorFlow.js or Keras activation name (snake or camel case).
    pub fn parse(name: &str) -> Result<Activation> {
        let key: String = name
            .chars()
            .filter(|c| *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        Ok(match key.as_str() {
            "linear" | "" => Activation::Linear,
            "relu" => Activation::Relu,
            "relu6" => Activation::Relu6,
            "elu" => Activation::Elu,
            "selu" => Activation::Selu,
            "sigmoid" => Activation::Sigmoid,
            "hardsigmoid" => Activation::HardSigmoid,
            "tanh" => Activation::Tanh,
            "softplus" => Activation::Softplus,
            "softsign" => Activation::Softsign,
            "softmax" => Activation::Softmax,
            "logsoftmax" => Activation::LogSoftmax,
            "swish" | "silu" => Activation::Swish,
            "mish" => Activation::Mish,
            "gelu" => Activation::Gelu,
            "gelunew" => Activation::GeluNew,
            "exponential" => Activation::Exponential,
            "hardsilu" | "hardswish" => Activation::HardSilu,
            "leakyrelu" => Activation::LeakyRelu(Slope::DEFAULT),
            "celu" => Activation::Celu,
            "squareplus" => Activation::Squareplus,
            "tanhshrink" => Activation::TanhShrink,
            "hardtanh" => Activation::HardTanh,
            "logsigmoid" => Activation::LogSigmoid,
            "sparseplus" => Activation::SparsePlus,
            "sparsesigmoid" => Activation::SparseSigmoid,
            "hardshrink" => Activation::HardShrink,
            "softshrink" => Activation::SoftShrink,
            "sparsemax" => Activation::Sparsemax,
            "glu" => Activation::Glu,
            _ => {
                return Err(LayersError::Topology {
                    message: format!("Unknown activation: {name}"),
                })
            }
        })
    }

    /// [`Activation::parse`] for a config read in `dialect`: Keras 3's
    /// `hard_sigmoid` is [`Activation::HardSigmoidKeras3`].
    pub fn parse_in(name: &str, dialect: crate::Dialect) -> Result<Activation> {
        Ok(match Activation::parse(name)? {
            Activation::HardSigmoid if dialect.keras3_hard_sigmoid() => {
                Activation::HardSigmoidKeras3
            }
            a => a,
        })
    }

    /// The snake_case name TensorFlow.js writes.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Relu6 => "relu6",
            Activation::Elu => "elu",
            Activation::Selu => "selu",
            Activation::Sigmoid => "sigmoid",
            Activation::HardSigmoid | Activation::HardSigmoidKeras3 => "hard_sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softplus => "softplus",
            Activation::Softsign => "softsign",
            Activation::Softmax => "softmax",
            Activation::LogSoftmax => "log_softmax",
            Activation::Swish => "swish",
            Activation::Mish => "mish",
            Activation::Gelu => "gelu",
            Activation::GeluNew => "gelu_new",
            Activation::Exponential => "exponential",
            Activation::HardSilu => "hard_silu",
            Activation::LeakyRelu(_) => "leaky_relu",
            Activation::Celu => "celu",
            Activation::Squareplus => "squareplus",
            Activation::TanhShrink => "tanh_shrink",
            Activation::HardTanh => "hard_tanh",
            Activation::LogSigmoid => "log_sigmoid",
            Activation::SparsePlus => "sparse_plus",
            Activation::SparseSigmoid => "sparse_sigmoid",
            Activation::HardShrink => "hard_shrink",
            Activation::SoftShrink => "soft_shrink",
            Activation::Sparsemax => "sparsemax",
            Activation::Glu => "glu",
        }
    }

    /// Computed per row of the last axis rather than per value (softmax,
    /// log-softmax, sparsemax, glu): `apply` needs the row length, and
    /// [`Activation::scalar`] does not compute them.
    pub fn per_row(self) -> bool {
        matches!(
            self,
            Activation::Softmax | Activation::LogSoftmax | Activation::Sparsemax | Activation::Glu
        )
    }

    /// The size of the last axis after the activation, from its size `n`
    /// before: `glu` halves it (`None` when `n` is odd, which Keras
    /// refuses); every other activation keeps it.
    pub fn last_dim_after(self, n: usize) -> Option<usize> {
        match self {
            Activation::Glu => n.is_multiple_of(2).then_some(n / 2),
            _ => Some(n),
        }
    }

    /// Apply in place; `last_dim` is the size of the last axis (for the
    /// [`Activation::per_row`] ones). `glu`'s result, half as long, is the
    /// first half of `x` (the rest is left as it was): truncate `x` to
    /// `x.len() / 2` after it.
    pub fn apply(self, x: &mut [f32], last_dim: usize) {
        match self {
            Activation::Linear => {}
            Activation::LeakyRelu(slope) => {
                let a = slope.get();
                x.iter_mut().for_each(|v| *v = leaky_relu(*v, a))
            }
            Activation::Glu => glu_rows(x, last_dim),
            Activation::Softmax => softmax_rows(x, last_dim),
            Activation::Sparsemax => x.chunks_mut(last_dim.max(1)).for_each(sparsemax_row),
            Activation::LogSoftmax => {
                for row in x.chunks_mut(last_dim.max(1)) {
                    let max = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                    let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
                    let lse = max + sum.ln();
                    row.iter_mut().for_each(|v| *v -= lse);
                }
            }
            // The transcendental ones through the kernels' vectorized loops.
            Activation::Sigmoid => tfjs_kernels::sigmoid_inplace(x),
            Activation::Tanh => tfjs_kernels::tanh_inplace(x),
            Activation::Swish => tfjs_kernels::silu_inplace(x),
            Activation::Gelu => tfjs_kernels::gelu_inplace(x),
            Activation::GeluNew => tfjs_kernels::gelu_tanh_inplace(x),
            other => {
                // One loop per function with the variant a constant, so
                // `scalar` folds to that arm and the loop vectorizes (a loop
                // over `other.scalar` was a call and a match per value).
                macro_rules! each_value {
                    ($($variant:ident)*) => {
                        match other {
                            $(Activation::$variant => {
                                x.iter_mut().for_each(|v| *v = Activation::$variant.scalar(*v))
                            })*
                            _ => x.iter_mut().for_each(|v| *v = other.scalar(*v)),
                        }
                    };
                }
                each_value!(
                    Relu Relu6 Elu Selu HardSigmoid HardSigmoidKeras3 Softplus Softsign Mish
                    Exponential HardSilu Celu Squareplus TanhShrink HardTanh
                    LogSigmoid SparsePlus SparseSigmoid HardShrink SoftShrink
                )
            }
        }
    }

    /// The elementwise function (not for softmax/log_softmax).
    #[inline(always)]
    pub fn scalar(self, x: f32) -> f32 {
        match self {
            Activation::Linear
            | Activation::Softmax
            | Activation::LogSoftmax
            | Activation::Sparsemax
            | Activation::Glu => x,
            Activation::Relu => x.max(0.0),
            Activation::Relu6 => x.clamp(0.0, 6.0),
            Activation::Elu => {
                if x > 0.0 {
                    x
                } else {
                    x.exp_m1()
                }
            }
            Activation::Selu => {
                const ALPHA: f32 = 1.673_263_2;
                const SCALE: f32 = 1.050_701;
                if x > 0.0 {
                    SCALE * x
                } else {
                    SCALE * ALPHA * x.exp_m1()
                }
            }
            Activation::Sigmoid => sigmoid(x),
            Activation::HardSigmoid => (0.2 * x + 0.5).clamp(0.0, 1.0),
            Activation::HardSigmoidKeras3 => (x / 6.0 + 0.5).clamp(0.0, 1.0),
            Activation::Tanh => x.tanh(),
            Activation::Softplus => softplus(x),
            Activation::Softsign => x / (1.0 + x.abs()),
            Activation::Swish => x * sigmoid(x),
            Activation::Mish => x * softplus(x).tanh(),
            Activation::Gelu | Activation::GeluNew => {
                let mut v = [x];
                self.apply(&mut v, 1);
                v[0]
            }
            Activation::Exponential => x.exp(),
            Activation::HardSilu => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
            Activation::LeakyRelu(slope) => leaky_relu(x, slope.get()),
            Activation::Celu => x.max(0.0) + x.min(0.0).exp_m1().min(0.0),
            Activation::Squareplus => (x + (x * x + 4.0).sqrt()) / 2.0,
            Activation::TanhShrink => x - x.tanh(),
            Activation::HardTanh => x.clamp(-1.0, 1.0),
            Activation::LogSigmoid => -softplus(-x),
            Activation::SparsePlus => {
                if x <= -1.0 {
                    0.0
                } else if x >= 1.0 {
                    x
                } else {
                    (x + 1.0) * (x + 1.0) / 4.0
                }
            }
            Activation::SparseSigmoid => ((x + 1.0) / 2.0).clamp(0.0, 1.0),
            Activation::HardShrink => {
                if x.abs() > 0.5 {
                    x
                } else {
                    0.0
                }
            }
            Activation::SoftShrink => {
                if x > 0.5 {
                    x - 0.5
                } else if x < -0.5 {
                    x + 0.5
                } else {
                    0.0
                }
            }
        }
    }
}

/// A `leaky_relu` slope (a float32, compared by its bits so that
/// [`Activation`] stays `Eq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slope(u32);

impl Slope {
    /// The slope of the `leaky_relu` activation by name (Keras 3,
    /// `tf.nn.leaky_relu`).
    pub const DEFAULT: Slope = Slope(0.2f32.to_bits());

    /// The slope `a`.
    pub fn new(a: f32) -> Slope {
        Slope(a.to_bits())
    }

    /// The slope as a float.
    pub fn get(self) -> f32 {
        f32::from_bits(self.0)
    }
}

impl Activation {
    /// The `activation` field's value as saved: the name, except a
    /// `leaky_relu` whose slope is not the name's 0.2, which is written as
    /// the `LeakyReLU` layer object Keras saves for `activation=LeakyReLU(a)`
    /// (and reads back as this activation).
    pub fn to_json(self) -> serde_json::Value {
        match self {
            Activation::LeakyRelu(slope) if slope != Slope::DEFAULT => serde_json::json!({
                "class_name": "LeakyReLU",
                "config": {"alpha": slope.get()},
            }),
            a => serde_json::Value::String(a.name().to_string()),
        }
    }
}

#[inline(always)]
fn leaky_relu(x: f32, slope: f32) -> f32 {
    if x >= 0.0 {
        x
    } else {
        slope * x
    }
}

/// Numerically stable softmax of one row, in place.
pub fn softmax_row(row: &mut [f32]) {
    softmax_rows(row, row.len())
}

/// Numerically stable softmax of each `len`-long row of `x`, in place; the
/// exponentials in one vectorized pass over all rows.
pub fn softmax_rows(x: &mut [f32], len: usize) {
    let len = len.max(1);
    for row in x.chunks_mut(len) {
        let max = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        row.iter_mut().for_each(|v| *v -= max);
    }
    tfjs_kernels::exp_inplace(x);
    for row in x.chunks_mut(len) {
        let sum: f32 = row.iter().sum();
        row.iter_mut().for_each(|v| *v /= sum);
    }
}

/// Keras 3's `sparsemax` of one row, as its TensorFlow backend computes it:
/// sorted descending, the support is where `z_k - (cumsum_k - 1) / k > 0`,
/// `tau = (Σ over the support of cumsum_k - 1) / |support|` (Keras's own
/// formula), and `max(z - tau, 0)`.
pub fn sparsemax_row(row: &mut [f32]) {
    let mut sorted = row.to_vec();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let (mut cumsum, mut support, mut sum_in_support) = (0f32, 0f32, 0f32);
    for (k, &z) in sorted.iter().enumerate() {
        cumsum += z;
        if z - (cumsum - 1.0) / (k + 1) as f32 > 0.0 {
            support += 1.0;
            sum_in_support += cumsum;
        }
    }
    let tau = (sum_in_support - 1.0) / support;
    row.iter_mut().for_each(|v| *v = (*v - tau).max(0.0));
}

/// Keras's `glu` of each `len`-long row of `x` (`len` even), in place: row
/// `r`'s `a * sigmoid(b)` (`a`, `b` its halves) lands at `x[r * len / 2..]`,
/// so the result is the first half of `x`. Each write lands at or before
/// the values it reads, which no earlier write touched.
pub fn glu_rows(x: &mut [f32], len: usize) {
    let half = len / 2;
    if half == 0 {
        return;
    }
    for r in 0..x.len() / len {
        for k in 0..half {
            let (a, b) = (x[r * len + k], x[r * len + half + k]);
            x[r * half + k] = a * sigmoid(b);
        }
    }
}

/// Logistic sigmoid.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[inline]
fn softplus(x: f32) -> f32 {
    // log(1 + e^x) without overflow.
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// erf: the kernels' (Eigen's approximation, as TensorFlow's CPU kernels).
pub(crate) fn erf(x: f32) -> f32 {
    tfjs_kernels::erf(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        for (x, e) in [
            (0.5f32, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.5, 0.999_593_047_982_555),
            (3.5, 0.999_999_256_901_627_7),
        ] {
            assert!(
                (erf(x) as f64 - e).abs() < 3e-7,
                "erf({x}) = {} want {e}",
                erf(x)
            );
            assert!((erf(-x) as f64 + e).abs() < 3e-7);
        }
    }

    #[test]
    fn parse_accepts_both_spellings() {
        assert_eq!(Activation::parse("gelu_new").unwrap(), Activation::GeluNew);
        assert_eq!(Activation::parse("geluNew").unwrap(), Activation::GeluNew);
        assert_eq!(
            Activation::parse("hardSigmoid").unwrap(),
            Activation::HardSigmoid
        );
        assert!(Activation::parse("nope").is_err());
    }

    #[test]
    fn glu_compacts_each_row_to_the_front() {
        // keras.activations.glu: a * sigmoid(b) of each row's halves.
        let mut x: Vec<f32> = (0..12).map(|v| v as f32 * 0.5 - 3.0).collect();
        let want: Vec<f32> = x
            .chunks(4)
            .flat_map(|r| (0..2).map(move |k| r[k] * sigmoid(r[2 + k])))
            .collect();
        Activation::Glu.apply(&mut x, 4);
        assert_eq!(x[..6], want[..]);
        assert_eq!(Activation::parse("glu").unwrap().name(), "glu");
        assert_eq!(Activation::Glu.last_dim_after(6), Some(3));
        assert_eq!(Activation::Glu.last_dim_after(5), None);
        assert_eq!(Activation::Relu.last_dim_after(5), Some(5));
    }

    #[test]
    fn hard_sigmoid_follows_the_dialect() {
        use crate::Dialect;
        // keras.activations.hard_sigmoid(1.5): Keras 3.15 relu6(x + 3) / 6
        // = 0.75; tf_keras 2.21 and TF.js clip(0.2x + 0.5) = 0.8.
        let keras3 = Dialect::from_keras_version(Some("3.15.1"));
        let keras2 = Dialect::from_keras_version(Some("2.21.0"));
        let k3 = Activation::parse_in("hard_sigmoid", keras3).unwrap();
        assert_eq!(k3, Activation::HardSigmoidKeras3);
        assert_eq!(k3.name(), "hard_sigmoid");
        assert!((k3.scalar(1.5) - 0.75).abs() < 1e-7);
        assert_eq!(k3.scalar(-4.0), 0.0);
        for d in [keras2, Dialect::Tfjs] {
            let a = Activation::parse_in("hardSigmoid", d).unwrap();
            assert!((a.scalar(1.5) - 0.8).abs() < 1e-7);
        }
    }

    #[test]
    fn keras3_activations_follow_keras_definitions() {
        // Values from keras.activations (Keras 3.15) at these points.
        let cases: &[(&str, &[(f32, f32)])] = &[
            ("leaky_relu", &[(-2.0, -0.4), (1.5, 1.5)]),
            ("celu", &[(-1.0, -0.632_120_56), (2.0, 2.0)]),
            ("squareplus", &[(0.0, 1.0), (-1.5, 0.5)]),
            ("tanh_shrink", &[(1.0, 0.238_405_85)]),
            ("hard_tanh", &[(-3.0, -1.0), (0.3, 0.3), (2.0, 1.0)]),
            (
                "log_sigmoid",
                &[(0.0, -std::f32::consts::LN_2), (-2.0, -2.126_928)],
            ),
            ("sparse_plus", &[(-1.5, 0.0), (0.0, 0.25), (2.0, 2.0)]),
            (
                "sparse_sigmoid",
                &[(-1.5, 0.0), (0.0, 0.5), (0.5, 0.75), (2.0, 1.0)],
            ),
            ("hard_shrink", &[(0.4, 0.0), (-0.7, -0.7)]),
            ("soft_shrink", &[(0.4, 0.0), (-0.7, -0.2), (1.0, 0.5)]),
        ];
        for (name, points) in cases {
            let a = Activation::parse(name).unwrap();
            assert_eq!(a.name(), *name);
            for &(x, want) in *points {
                let got = a.scalar(x);
                assert!(
                    (got - want).abs() < 1e-6,
                    "{name}({x}) = {got}, want {want}"
                );
            }
        }
    }
}

//! Weight initializers (Keras / TensorFlow.js), seedable and deterministic.
//!
//! The engine fills every weight that was not loaded from a file with the
//! initializer named by the layer's config: weight `kernel` uses
//! `kernel_initializer`, `bias` uses `bias_initializer`, and so on (see
//! [`config_key_for_weight`]). Values are not bit-identical to TensorFlow.js
//! (it uses another PRNG) but follow the same distributions.
//!
//! ```
//! use tfjs_layers::initializers::{Initializer, Rng};
//! let init = Initializer::parse(&serde_json::json!("glorot_uniform"), "d").unwrap();
//! let mut rng = Rng::new(42);
//! let w = init.generate(&[4, 3], &mut rng);
//! let limit = (6.0f32 / 7.0).sqrt();
//! assert!(w.iter().all(|v| v.abs() <= limit));
//! ```

use crate::{LayersError, Result};
use serde_json::Value;

/// A small, fast, seedable PRNG (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Normal truncated to two standard deviations (resampled).
    pub fn truncated_normal(&mut self) -> f64 {
        loop {
            let x = self.normal();
            if x.abs() <= 2.0 {
                return x;
            }
        }
    }
}

/// `mode` of a variance-scaling initializer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    FanIn,
    FanOut,
    FanAvg,
}

/// `distribution` of a variance-scaling initializer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    Normal,
    Uniform,
    TruncatedNormal,
}

/// An initializer.
#[derive(Debug, Clone, PartialEq)]
pub enum Initializer {
    Zeros,
    Ones,
    Constant(f64),
    RandomUniform {
        minval: f64,
        maxval: f64,
        seed: Option<u64>,
    },
    RandomNormal {
        mean: f64,
        stddev: f64,
        seed: Option<u64>,
    },
    TruncatedNormal {
        mean: f64,
        stddev: f64,
        seed: Option<u64>,
    },
    VarianceScaling {
        scale: f64,
        mode: FanMode,
        distribution: Distribution,
        seed: Option<u64>,
    },
    Orthogonal {
        gain: f64,
        seed: Option<u64>,
    },
    Identity {
        gain: f64,
    },
}

impl Initializer {
    /// TensorFlow.js's default kernel initializer (`glorotNormal`).
    pub fn glorot_normal() -> Initializer {
        Initializer::VarianceScaling {
            scale: 1.0,
            mode: FanMode::FanAvg,
            distribution: Distribution::Normal,
            seed: None,
        }
    }

    /// Keras's default kernel initializer (`glorot_uniform`).
    pub fn glorot_uniform() -> Initializer {
        Initializer::VarianceScaling {
            scale: 1.0,
            mode: FanMode::FanAvg,
            distribution: Distribution::Uniform,
            seed: None,
        }
    }

    /// Parse a config value: a string identifier (`"glorot_uniform"`,
    /// `"zeros"`) or a `{"class_name", "config"}` object. `layer` names the
    /// owner in errors.
    pub fn parse(value: &Value, layer: &str) -> Result<Initializer> {
        let (class, cfg) = match value {
            Value::String(s) => (s.as_str(), None),
            Value::Object(o) => {
                let class = o.get("class_name").and_then(Value::as_str).ok_or_else(|| {
                    LayersError::config(layer, format!("initializer {value} has no class_name"))
                })?;
                (class, o.get("config").and_then(Value::as_object))
            }
            _ => {
                return Err(LayersError::config(
                    layer,
                    format!("initializer must be a string or an object, got {value}"),
                ))
            }
        };
        let num = |k: &str, d: f64| -> f64 {
            cfg.and_then(|c| c.get(k))
                .and_then(Value::as_f64)
                .unwrap_or(d)
        };
        let seed = cfg
            .and_then(|c| c.get("seed"))
            .and_then(Value::as_f64)
            .map(|s| s as i64 as u64);
        let key: String = class
            .chars()
            .filter(|c| *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        let vs = |scale, mode, distribution| Initializer::VarianceScaling {
            scale,
            mode,
            distribution,
            seed,
        };
        Ok(match key.as_str() {
            "zeros" | "zero" => Initializer::Zeros,
            "ones" | "one" => Initializer::Ones,
            "constant" => Initializer::Constant(num("value", 0.0)),
            "randomuniform" | "uniform" => Initializer::RandomUniform {
                minval: num("minval", -0.05),
                maxval: num("maxval", 0.05),
                seed,
            },
            "randomnormal" | "normal" => Initializer::RandomNormal {
                mean: num("mean", 0.0),
                stddev: num("stddev", 0.05),
                seed,
            },
            "truncatednormal" => Initializer::TruncatedNormal {
                mean: num("mean", 0.0),
                stddev: num("stddev", 0.05),
                seed,
            },
            "variancescaling" => {
                let s = |k: &str, d: &str| -> String {
                    cfg.and_then(|c| c.get(k))
                        .and_then(Value::as_str)
                        .unwrap_or(d)
                        .chars()
                        .filter(|c| *c != '_')
                        .collect::<String>()
                        .to_ascii_lowercase()
                };
                let mode = match s("mode", "fan_in").as_str() {
                    "fanin" => FanMode::FanIn,
                    "fanout" => FanMode::FanOut,
                    "fanavg" => FanMode::FanAvg,
                    other => {
                        return Err(LayersError::config(
                            layer,
                            format!("{other} is not a valid FanMode.  Valid values are fan_in,fan_out,fan_avg"),
                        ))
                    }
                };
                let distribution = match s("distribution", "normal").as_str() {
                    "normal" => Distribution::Normal,
                    "uniform" => Distribution::Uniform,
                    "truncatednormal" | "untruncatednormal" => Distribution::TruncatedNormal,
                    other => {
                        return Err(LayersError::config(
                            layer,
                            format!("{other} is not a valid Distribution.  Valid values are normal,uniform,truncated_normal"),
                        ))
                    }
                };
                vs(num("scale", 1.0), mode, distribution)
            }
            "glorotuniform" => vs(1.0, FanMode::FanAvg, Distribution::Uniform),
            "glorotnormal" => vs(1.0, FanMode::FanAvg, Distribution::TruncatedNormal),
            "henormal" => vs(2.0, FanMode::FanIn, Distribution::TruncatedNormal),
            "heuniform" => vs(2.0, FanMode::FanIn, Distribution::Uniform),
            "lecunnormal" => vs(1.0, FanMode::FanIn, Distribution::TruncatedNormal),
            "lecununiform" => vs(1.0, FanMode::FanIn, Distribution::Uniform),
            "orthogonal" => Initializer::Orthogonal {
                gain: num("gain", 1.0),
                seed,
            },
            "identity" => Initializer::Identity {
                gain: num("gain", 1.0),
            },
            _ => {
                return Err(LayersError::config(
                    layer,
                    format!("Unknown initializer: {class}"),
                ))
            }
        })
    }

    /// The seed fixed in the config, if any.
    pub fn seed(&self) -> Option<u64> {
        match self {
            Initializer::RandomUniform { seed, .. }
            | Initializer::RandomNormal { seed, .. }
            | Initializer::TruncatedNormal { seed, .. }
            | Initializer::VarianceScaling { seed, .. }
            | Initializer::Orthogonal { seed, .. } => *seed,
            _ => None,
        }
    }

    /// Values for a weight of `shape` (row-major). A seed fixed in the
    /// config takes precedence over `rng`.
    pub fn generate(&self, shape: &[usize], rng: &mut Rng) -> Vec<f32> {
        let n: usize = shape.iter().product();
        let mut own;
        let rng = match self.seed() {
            Some(s) => {
                own = Rng::new(s);
                &mut own
            }
            None => rng,
        };
        match *self {
            Initializer::Zeros => vec![0.0; n],
            Initializer::Ones => vec![1.0; n],
            Initializer::Constant(v) => vec![v as f32; n],
            Initializer::RandomUniform { minval, maxval, .. } => (0..n)
                .map(|_| (minval + (maxval - minval) * rng.uniform()) as f32)
                .collect(),
            Initializer::RandomNormal { mean, stddev, .. } => (0..n)
                .map(|_| (mean + stddev * rng.normal()) as f32)
                .collect(),
            Initializer::TruncatedNormal { mean, stddev, .. } => (0..n)
                .map(|_| (mean + stddev * rng.truncated_normal()) as f32)
                .collect(),
            Initializer::VarianceScaling {
                scale,
                mode,
                distribution,
                ..
            } => {
                let (fan_in, fan_out) = compute_fans(shape);
                let fan = match mode {
                    FanMode::FanIn => fan_in,
                    FanMode::FanOut => fan_out,
                    FanMode::FanAvg => (fan_in + fan_out) / 2.0,
                };
                let var = scale / fan.max(1.0);
                match distribution {
                    Distribution::Uniform => {
                        let limit = (3.0 * var).sqrt();
                        (0..n)
                            .map(|_| (limit * (2.0 * rng.uniform() - 1.0)) as f32)
                            .collect()
                    }
                    Distribution::Normal => {
                        let sd = var.sqrt();
                        (0..n).map(|_| (sd * rng.normal()) as f32).collect()
                    }
                    Distribution::TruncatedNormal => {
                        // Keras: stddev / .87962566103423978 to undo the truncation.
                        let sd = var.sqrt() / 0.879_625_661_034_239_8;
                        (0..n)
                            .map(|_| (sd * rng.truncated_normal()) as f32)
                            .collect()
                    }
                }
            }
            Initializer::Orthogonal { gain, .. } => orthogonal(shape, gain, rng),
            Initializer::Identity { gain } => {
                let mut v = vec![0.0f32; n];
                if shape.len() == 2 {
                    for i in 0..shape[0].min(shape[1]) {
                        v[i * shape[1] + i] = gain as f32;
                    }
                }
                v
            }
        }
    }
}

/// Keras `compute_fans`: `(fan_in, fan_out)` of a weight shape.
pub fn compute_fans(shape: &[usize]) -> (f64, f64) {
    match shape.len() {
        0 => (1.0, 1.0),
        1 => (shape[0] as f64, shape[0] as f64),
        2 => (shape[0] as f64, shape[1] as f64),
        r => {
            let receptive: usize = shape[..r - 2].iter().product();
            (
                (shape[r - 2] * receptive) as f64,
                (shape[r - 1] * receptive) as f64,
            )
        }
    }
}

fn orthogonal(shape: &[usize], gain: f64, rng: &mut Rng) -> Vec<f32> {
    let n: usize = shape.iter().product();
    if shape.len() < 2 || n == 0 {
        return (0..n).map(|_| rng.normal() as f32).collect();
    }
    let cols = *shape.last().unwrap_or(&1);
    let rows = n / cols;
    // Orthonormalize the shorter side with Gram–Schmidt.
    let (r, c, transpose) = if rows < cols {
        (cols, rows, true)
    } else {
        (rows, cols, false)
    };
    // c vectors of length r.
    let mut vecs: Vec<Vec<f64>> = (0..c)
        .map(|_| (0..r).map(|_| rng.normal()).collect())
        .collect();
    for i in 0..c {
        let (done, rest) = vecs.split_at_mut(i);
        let v = &mut rest[0];
        for u in done.iter() {
            let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = vecs[i].iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
        vecs[i].iter_mut().for_each(|x| *x /= norm);
    }
    let mut out = vec![0.0f32; n];
    for row in 0..rows {
        for col in 0..cols {
            let v = if transpose {
                vecs[row][col]
            } else {
                vecs[col][row]
            };
            out[row * cols + col] = (gain * v) as f32;
        }
    }
    out
}

/// The config key holding the initializer of a weight named `weight`
/// (relative name, last segment used): `kernel` → `kernel_initializer`,
/// `recurrent_kernel` → `recurrent_initializer`, `depthwise_kernel` →
/// `depthwise_initializer`, `embeddings` → `embeddings_initializer`, …
pub fn config_key_for_weight(weight: &str) -> String {
    let last = weight.rsplit('/').next().unwrap_or(weight);
    match last {
        "recurrent_kernel" => "recurrent_initializer".into(),
        "depthwise_kernel" => "depthwise_initializer".into(),
        "pointwise_kernel" => "pointwise_initializer".into(),
        other => format!("{other}_initializer"),
    }
}

/// The default initializer for a weight without a config entry.
pub fn default_for_weight(weight: &str) -> Initializer {
    let last = weight.rsplit('/').next().unwrap_or(weight);
    match last {
        "bias" | "beta" | "moving_mean" => Initializer::Zeros,
        "gamma" | "moving_variance" => Initializer::Ones,
        "recurrent_kernel" => Initializer::Orthogonal {
            gain: 1.0,
            seed: None,
        },
        "embeddings" => Initializer::RandomUniform {
            minval: -0.05,
            maxval: 0.05,
            seed: None,
        },
        "alpha" => Initializer::Zeros,
        _ => Initializer::glorot_normal(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_generation_is_deterministic() {
        let i = Initializer::glorot_uniform();
        let a = i.generate(&[5, 7], &mut Rng::new(1));
        let b = i.generate(&[5, 7], &mut Rng::new(1));
        let c = i.generate(&[5, 7], &mut Rng::new(2));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn orthogonal_columns_are_orthonormal() {
        let w = orthogonal(&[6, 3], 1.0, &mut Rng::new(3));
        for i in 0..3 {
            for j in 0..3 {
                let d: f32 = (0..6).map(|k| w[k * 3 + i] * w[k * 3 + j]).sum();
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((d - e).abs() < 1e-5, "{i},{j}: {d}");
            }
        }
    }

    #[test]
    fn parses_tfjs_and_keras_spellings() {
        let v = serde_json::json!({"class_name": "VarianceScaling",
            "config": {"scale": 2, "mode": "fan_in", "distribution": "truncated_normal", "seed": null}});
        assert_eq!(
            Initializer::parse(&v, "x").unwrap(),
            Initializer::VarianceScaling {
                scale: 2.0,
                mode: FanMode::FanIn,
                distribution: Distribution::TruncatedNormal,
                seed: None
            }
        );
        assert!(Initializer::parse(&serde_json::json!("nope"), "x").is_err());
        assert_eq!(compute_fans(&[3, 3, 4, 8]), (36.0, 72.0));
    }
}

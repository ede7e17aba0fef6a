//! Keras's preprocessing `Normalization` layer at inference:
//! `(x - mean) / max(sqrt(variance), epsilon)`, or with `invert: true`
//! `mean + x * max(sqrt(variance), epsilon)` (Keras 2 and 3 alike,
//! `epsilon` = `backend.epsilon()` = 1e-7).
//!
//! `mean` and `variance` are either adapted weights (`<layer>/mean`,
//! `<layer>/variance`, `<layer>/count`; Keras 3 `vars/0..2`) of the shape of
//! the kept `axis` dimensions, or constants given in the config (a number
//! or a list, broadcast to that shape, and then no weights). TensorFlow.js
//! 4.22 has no such layer; the EfficientNet family and models with
//! built-in feature scaling use it.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::Value;

/// Keras `backend.epsilon()`.
const EPSILON: f32 = 1e-7;

/// Register `Normalization`.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["Normalization"], Normalization::from_config);
}

keras_config! {
    /// `Normalization`'s config, as Keras writes it (`axis` an int, a
    /// list or null; `mean`/`variance` null once adapted).
    pub(crate) struct NormalizationConfig |cx| {
        axis: Raw,
        invert: bool = false,
        mean: Raw,
        variance: Raw,
    }
}

/// `Normalization(axis, mean, variance, invert)`.
#[derive(Debug)]
pub struct Normalization {
    base: Base,
    cfg: NormalizationConfig,
    /// The kept axes as written (`[-1]`, `[3]`; empty for a scalar
    /// mean/variance).
    axis: Vec<i64>,
    /// Constant mean/variance from the config (then there are no weights).
    given: Option<(Vec<f32>, Vec<f32>)>,
    /// Kept axes resolved against the input rank, ascending.
    keep: Vec<usize>,
    /// The mean/variance shape: the input's kept dimensions.
    stat_shape: Vec<usize>,
    params: Params,
    /// Keras 2's `Normalization` does not support masking: it drops its
    /// input's mask (Keras 3's passes it on).
    drops_mask: bool,
}

fn numbers(c: &ConfigReader<'_>, key: &str) -> Result<Option<Vec<f32>>> {
    match c.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_f64().map(|f| f as f32))
            .collect::<Option<Vec<f32>>>()
            .map(Some)
            .ok_or_else(|| c.err(key, "expected a number or a list of numbers")),
        Some(v) => v.as_f64().map(|f| Some(vec![f as f32])).ok_or_else(|| {
            c.err(
                key,
                format!("expected a number or a list of numbers, got {v}"),
            )
        }),
    }
}

impl Normalization {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<Normalization> {
        let cfg = NormalizationConfig::read(&Cx::new(c))?;
        let axis: Vec<i64> = match &cfg.axis.0 {
            // Absent: Keras's default axis -1.
            Value::Null if c.get("axis").is_none() => vec![-1],
            Value::Null => vec![],
            Value::Number(n) => vec![n
                .as_i64()
                .ok_or_else(|| c.err("axis", "expected an integer"))?],
            Value::Array(_) => c
                .list_of("axis", Value::as_i64, "integers")?
                .unwrap_or_default(),
            other => {
                return Err(c.err(
                    "axis",
                    format!("expected an integer, a list or null, got {other}"),
                ))
            }
        };
        let given = match (numbers(c, "mean")?, numbers(c, "variance")?) {
            (Some(m), Some(v)) => Some((m, v)),
            (None, None) => None,
            _ => {
                return Err(c.err(
                    "mean",
                    "mean and variance must be given together (or both left to adapt)",
                ))
            }
        };
        Ok(Normalization {
            base: Base::parse(c)?,
            cfg,
            axis,
            given,
            keep: vec![],
            stat_shape: vec![],
            params: Params::default(),
            drops_mask: c.dialect.preprocessing_drops_masks(),
        })
    }

    /// Mean and variance broadcast over the stat shape.
    fn stats(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let n: usize = self.stat_shape.iter().product();
        let (mean, var) = match &self.given {
            Some((m, v)) => (m.clone(), v.clone()),
            None => {
                require_built(&self.base, &self.params)?;
                (self.params.get(0).to_vec(), self.params.get(1).to_vec())
            }
        };
        let fit = |v: Vec<f32>, what: &str| -> Result<Vec<f32>> {
            match v.len() {
                1 => Ok(vec![v[0]; n]),
                l if l == n => Ok(v),
                l => Err(self.base.err(format!(
                    "{what} has {l} values; the kept axes {:?} of the input have shape {:?}",
                    self.axis, self.stat_shape
                ))),
            }
        };
        Ok((fit(mean, "mean")?, fit(var, "variance")?))
    }
}

impl Layer for Normalization {
    fn per_sample(&self) -> bool {
        // Fixed statistics per feature; only statistics along the batch
        // axis itself would tie a sample to its position.
        !self.axis.contains(&0)
    }
    layer_common!("Normalization", weights);
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        let rank = s.len() as i64;
        let mut keep = Vec::with_capacity(self.axis.len());
        for &a in &self.axis {
            let r = if a < 0 { a + rank } else { a };
            if r <= 0 || r >= rank {
                return Err(self.base.err(format!(
                    "axis {a} is not a non-batch axis of the input {}",
                    shape_str(s)
                )));
            }
            keep.push(r as usize);
        }
        keep.sort_unstable();
        keep.dedup();
        let stat_shape = keep
            .iter()
            .map(|&a| known_dim(&self.base, s, a, "a normalized axis"))
            .collect::<Result<Vec<usize>>>()?;
        self.keep = keep;
        self.stat_shape = stat_shape.clone();
        self.params.clear();
        if self.given.is_none() {
            self.params.add("mean", stat_shape.clone(), false, 0.0)?;
            self.params.add("variance", stat_shape, false, 1.0)?;
            self.params.add_int_scalar("count", false)?;
        }
        Ok(())
    }
    same_as_input!(shape);
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(preprocessing_mask(self.drops_mask, masks))
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let shape = x.shape().to_vec();
        for (&a, &d) in self.keep.iter().zip(&self.stat_shape) {
            if shape.get(a) != Some(&d) {
                return Err(input_err(
                    &self.base.name,
                    format!("axis {a} of the input {shape:?} must be {d}, as the layer was built"),
                ));
            }
        }
        let (mean, var) = self.stats()?;
        let scale: Vec<f32> = var.iter().map(|v| v.sqrt().max(EPSILON)).collect();
        // Element i's stat index: its coordinates on the kept axes.
        let mut x_strides = vec![1usize; shape.len()];
        for a in (0..shape.len().saturating_sub(1)).rev() {
            x_strides[a] = x_strides[a + 1] * shape[a + 1];
        }
        let mut s_strides = vec![1usize; self.keep.len()];
        for j in (0..self.keep.len().saturating_sub(1)).rev() {
            s_strides[j] = s_strides[j + 1] * self.stat_shape[j + 1];
        }
        let stat_index = |i: usize| -> usize {
            self.keep
                .iter()
                .zip(&s_strides)
                .map(|(&a, &st)| (i / x_strides[a]) % shape[a] * st)
                .sum()
        };
        let data = f32s(x);
        let norm = |v: f32, m: f32, s: f32| {
            if self.cfg.invert {
                m + v * s
            } else {
                (v - m) / s
            }
        };
        // Statistics over the last axis only (Keras's default) or scalar
        // ones repeat row by row: no index arithmetic per element.
        let last = shape.len().saturating_sub(1);
        let row = match self.keep.as_slice() {
            [] if mean.len() == 1 => Some(1),
            [a] if *a == last && mean.len() == shape[last] => Some(shape[last]),
            _ => None,
        };
        if let Some(row) = row.filter(|&r| r > 0) {
            // The statistics repeated to a block of whole rows of about 256
            // values, so a short row (3 channels) still runs as long zipped
            // loops that vectorize.
            let block = row * (256 / row).max(1);
            let m: Vec<f32> = mean.iter().cycle().take(block).copied().collect();
            let sc: Vec<f32> = scale.iter().cycle().take(block).copied().collect();
            let mut out = Vec::with_capacity(data.len());
            for chunk in data.chunks(block) {
                out.extend(
                    chunk
                        .iter()
                        .zip(&m)
                        .zip(&sc)
                        .map(|((&v, &m), &s)| norm(v, m, s)),
                );
            }
            return Ok(vec![make_tensor(&self.base, shape, out)?]);
        }
        let out: Vec<f32> = data
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let k = stat_index(i);
                if self.cfg.invert {
                    mean[k] + v * scale[k]
                } else {
                    (v - mean[k]) / scale[k]
                }
            })
            .collect();
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::common::test_util::assert_mask_dropped_only_by_keras2;

    /// Keras 2's `Normalization` does not support masking; Keras 3's and
    /// TensorFlow.js's pass the mask on.
    #[test]
    fn normalization_mask_follows_the_dialect() {
        let config =
            serde_json::json!({"name": "n", "axis": null, "mean": [0.0], "variance": [1.0]});
        assert_mask_dropped_only_by_keras2(config, Normalization::from_config);
    }
}

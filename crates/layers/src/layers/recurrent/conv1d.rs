//! `ConvLSTM1D`: a ConvLSTM over sequences of 1-D signals
//! (`[batch, time, length, channels]`), run as the `ConvLSTM2D` it equals
//! with a width of 1: every kernel / stride / dilation gets a trailing 1,
//! every tensor a size-1 width axis after its length (before the channels,
//! or last for channels_first), and the weights the same
//! (`[k, cin, 4f]` ↔ `[k, 1, cin, 4f]`). The layer keeps and writes its own
//! 1-D config and weight shapes.

use super::*;
use crate::config::ConfigReader;
use crate::{LayerWeight, Shape};
use serde_json::{Map, Value};

#[derive(Debug)]
pub struct ConvLstm1D {
    name: String,
    config: Map<String, Value>,
    inner: Rnn,
    /// The weights in their 1-D shapes (what `weight_values` returns).
    weights_1d: Vec<Tensor>,
    /// `data_format: channels_first` (`[batch, time, channels, length]`).
    cf: bool,
}

/// `shape` with a size-1 width axis after its length: before its last
/// (channels) axis, or last for `channels_first` (`cf`).
fn widen<T: Clone>(shape: &[T], one: T, cf: bool) -> Vec<T> {
    let mut s = shape.to_vec();
    let at = if cf {
        s.len()
    } else {
        s.len().saturating_sub(1)
    };
    s.insert(at, one);
    s
}

/// `shape` without the width axis [`widen`] added.
fn narrow<T: Clone>(shape: &[T], cf: bool) -> Vec<T> {
    let mut s = shape.to_vec();
    let from_end = if cf { 1 } else { 2 };
    if s.len() >= from_end {
        s.remove(s.len() - from_end);
    }
    s
}

impl ConvLstm1D {
    pub(super) fn from_config(c: &ConfigReader<'_>) -> Result<ConvLstm1D> {
        let cf = channels_first(c)?;
        let mut map = c.map.clone();
        for key in ["kernel_size", "strides", "dilation_rate"] {
            let v = match c.get(key) {
                None | Some(Value::Null) if key != "kernel_size" => Value::from(1),
                None | Some(Value::Null) => return Err(c.err(key, "is required")),
                Some(Value::Array(a)) if a.len() == 1 => a[0].clone(),
                Some(v) if v.is_u64() => v.clone(),
                Some(v) => return Err(c.err(key, format!("expected one integer, got {v}"))),
            };
            map.insert(key.into(), Value::Array(vec![v, Value::from(1)]));
        }
        for key in ["batch_input_shape", "batch_shape"] {
            if let Some(Value::Array(s)) = c.get(key) {
                map.insert(key.into(), Value::Array(widen(s, Value::from(1), cf)));
            }
        }
        let inner = Rnn::from_builtin("ConvLSTM2D", &c.nested(c.layer, &map))?;
        let mut layer = ConvLstm1D {
            name: c.name().to_string(),
            config: c.map.clone(),
            inner,
            weights_1d: Vec::new(),
            cf,
        };
        layer.sync_weights()?;
        Ok(layer)
    }

    /// `weights_1d` from the inner layer's (2-D) weights.
    fn sync_weights(&mut self) -> Result<()> {
        self.weights_1d = self
            .inner
            .weight_values()
            .into_iter()
            .map(|t| {
                let s = t.shape();
                let shape = if s.len() == 4 {
                    vec![s[0], s[2], s[3]]
                } else {
                    s.to_vec()
                };
                t.clone().reshape(shape)
            })
            .collect::<Result<_>>()?;
        Ok(())
    }
}

impl Layer for ConvLstm1D {
    layer_flags!(per_sample);

    layer_common!(names "ConvLSTM1D", name in self.name);
    fn config(&self) -> Map<String, Value> {
        self.config.clone()
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let wide: Vec<Shape> = input_shapes
            .iter()
            .map(|s| widen(s, Some(1), self.cf))
            .collect();
        self.inner.build(&wide)?;
        self.sync_weights()
    }
    fn weights(&self) -> Vec<LayerWeight> {
        self.inner
            .weights()
            .into_iter()
            .map(|mut w| {
                if w.shape.len() == 4 {
                    w.shape.remove(1);
                }
                w
            })
            .collect()
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.weights_1d.iter().collect()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        let s = value.shape().to_vec();
        let wide = if s.len() == 3 {
            vec![s[0], 1, s[1], s[2]]
        } else {
            s
        };
        self.inner.set_weight(index, value.clone().reshape(wide)?)?;
        if let Some(slot) = self.weights_1d.get_mut(index) {
            *slot = value;
        }
        Ok(())
    }
    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        self.inner.keras3_weight_keys()
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let wide: Vec<Shape> = inputs.iter().map(|s| widen(s, Some(1), self.cf)).collect();
        Ok(self
            .inner
            .output_shapes(&wide)?
            .iter()
            .map(|s| narrow(s, self.cf))
            .collect())
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let wide = inputs
            .iter()
            .map(|t| t.clone().reshape(widen(t.shape(), 1, self.cf)))
            .collect::<Result<Vec<_>>>()?;
        self.inner
            .call(&wide, masks)?
            .into_iter()
            .map(|t| {
                let s = narrow(t.shape(), self.cf);
                t.reshape(s)
            })
            .collect()
    }
    fn compute_mask(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        self.inner.compute_mask(inputs, masks)
    }
}

//! Advanced activation layers: `ReLU` (with Keras `negative_slope` and
//! `threshold`), `LeakyReLU`, `PReLU`, `ELU`, `ThresholdedReLU`, `Softmax`.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, LayerWeight, Result, Shape, Tensor};
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `max_value` (None = unbounded), `negative_slope`, `threshold`.
    Relu(Option<f32>, f32, f32),
    Leaky(f32),
    Elu(f32),
    Thresholded(f32),
}

/// `ReLU`, `LeakyReLU`, `ELU`, `ThresholdedReLU`: parameter-free elementwise
/// activations.
#[derive(Debug, Clone)]
pub struct ElementwiseActivation {
    base: Base,
    kind: Kind,
    /// Class-specific config fields, in TF.js order.
    fields: Map<String, Value>,
    /// Keras-only fields written after the base keys.
    extra: Map<String, Value>,
}

impl ElementwiseActivation {
    fn from_config(cfg: &ConfigReader<'_>, class: &str) -> Result<Self> {
        let base = Base::parse(cfg)?;
        let mut fields = Map::new();
        let mut extra = Map::new();
        let kind = match class {
            "ReLU" => {
                let max_value = cfg.f64_opt("max_value")?;
                if max_value.is_some_and(|m| m < 0.0) {
                    return Err(cfg.err("max_value", "must be non-negative"));
                }
                let slope = cfg.f64_or("negative_slope", 0.0)?;
                let threshold = cfg.f64_or("threshold", 0.0)?;
                fields.insert("max_value".into(), max_value.map_or(Value::Null, num));
                // TF.js ignores these Keras fields; write them when they
                // matter so the file keeps its meaning.
                if slope != 0.0 {
                    extra.insert("negative_slope".into(), num(slope));
                }
                if threshold != 0.0 {
                    extra.insert("threshold".into(), num(threshold));
                }
                Kind::Relu(max_value.map(|m| m as f32), slope as f32, threshold as f32)
            }
            "LeakyReLU" => {
                // Keras 3 writes `negative_slope`; TF.js only knows `alpha`
                // (and silently uses 0.3 for Keras 3 files: we do not).
                let alpha = match cfg.f64_opt("alpha")? {
                    Some(a) => a,
                    None => cfg.f64_or("negative_slope", 0.3)?,
                };
                fields.insert("alpha".into(), num(alpha));
                Kind::Leaky(alpha as f32)
            }
            "ELU" => {
                let alpha = cfg.f64_or("alpha", 1.0)?;
                fields.insert("alpha".into(), num(alpha));
                Kind::Elu(alpha as f32)
            }
            _ => {
                let theta = cfg.f64_or("theta", 1.0)?;
                fields.insert("theta".into(), num(theta));
                Kind::Thresholded(theta as f32)
            }
        };
        Ok(ElementwiseActivation {
            base,
            kind,
            fields,
            extra,
        })
    }
}

impl ElementwiseActivation {
    /// `Some(max_value)` when this is a plain `ReLU` (no negative slope, no
    /// threshold), which the conv fusion can apply.
    pub(crate) fn plain_relu_max(&self) -> Option<Option<f32>> {
        match self.kind {
            Kind::Relu(max, slope, threshold) if slope == 0.0 && threshold == 0.0 => Some(max),
            _ => None,
        }
    }
}

impl Layer for ElementwiseActivation {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
    fn class_name(&self) -> &str {
        match self.kind {
            Kind::Relu(..) => "ReLU",
            Kind::Leaky(_) => "LeakyReLU",
            Kind::Elu(_) => "ELU",
            Kind::Thresholded(_) => "ThresholdedReLU",
        }
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.fields.clone();
        self.base.write(&mut m);
        m.extend(self.extra.clone());
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![one_shape(&self.base, inputs)?.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let xd = x.to_f32();
        let data = match self.kind {
            Kind::Relu(max, slope, threshold) if slope == 0.0 && threshold == 0.0 => match max {
                Some(m) => map_new(&xd, move |v| v.clamp(0.0, m)),
                None => map_new(&xd, |v| v.max(0.0)),
            },
            Kind::Relu(max, slope, threshold) => map_new(&xd, move |v| {
                // Keras: x >= max → max; threshold <= x < max → x; else slope·(x − threshold).
                let y = if v >= threshold {
                    v
                } else {
                    slope * (v - threshold)
                };
                match max {
                    Some(m) if y > m => m,
                    _ => y,
                }
            }),
            Kind::Leaky(a) => map_new(&xd, move |v| if v < 0.0 { a * v } else { v }),
            Kind::Elu(a) => map_new(&xd, move |v| if v > 0.0 { v } else { a * v.exp_m1() }),
            Kind::Thresholded(t) => map_new(&xd, move |v| if v > t { v } else { 0.0 }),
        };
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), data)?])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(pass_mask(masks))
    }
}

/// `PReLU`: `x` if `x > 0` else `alpha · x`, with a learned `alpha`.
#[derive(Debug, Clone)]
pub struct PRelu {
    base: Base,
    alpha_initializer: Value,
    alpha_regularizer: Value,
    alpha_constraint: Value,
    /// 1-based axes sharing one alpha.
    shared_axes: Option<Vec<usize>>,
    params: Params,
}

impl PRelu {
    fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let shared_axes = match cfg.get("shared_axes") {
            None => None,
            Some(v) => {
                let list: Vec<Value> = match v {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                let axes: Option<Vec<usize>> = list
                    .iter()
                    .map(|d| d.as_u64().filter(|&d| d >= 1).map(|d| d as usize))
                    .collect();
                Some(axes.ok_or_else(|| {
                    cfg.err(
                        "shared_axes",
                        format!("expected positive axis numbers, got {v}"),
                    )
                })?)
            }
        };
        let mut p = PRelu {
            base: Base::parse(cfg)?,
            alpha_initializer: initializer(cfg, "alpha_initializer", zeros_init),
            alpha_regularizer: regularizer(cfg, "alpha_regularizer"),
            alpha_constraint: constraint(cfg, "alpha_constraint"),
            shared_axes,
            params: Params::default(),
        };
        if let Some(s) = p.base.batch_input_shape.clone() {
            if p.build(&[s]).is_err() {
                p.params.clear();
            }
        }
        Ok(p)
    }
}

impl Layer for PRelu {
    fn class_name(&self) -> &str {
        "PReLU"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("alpha_initializer".into(), self.alpha_initializer.clone());
        m.insert("alpha_regularizer".into(), self.alpha_regularizer.clone());
        m.insert("alpha_constraint".into(), self.alpha_constraint.clone());
        m.insert(
            "shared_axes".into(),
            self.shared_axes.as_ref().map_or(Value::Null, |a| json!(a)),
        );
        self.base.write(&mut m);
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        if s.len() < 2 {
            return Err(self.base.err("expects an input of rank >= 2"));
        }
        let mut shape = Vec::with_capacity(s.len() - 1);
        for (i, d) in s.iter().enumerate().skip(1) {
            if self.shared_axes.as_ref().is_some_and(|a| a.contains(&i)) {
                shape.push(1);
            } else {
                shape.push(d.ok_or_else(|| {
                    self.base.err(format!(
                        "axis {i} of input shape {} must be known (or shared) to build the layer",
                        shape_str(s)
                    ))
                })?);
            }
        }
        if let Some(a) = &self.shared_axes {
            if let Some(bad) = a.iter().find(|&&x| x >= s.len()) {
                return Err(self.base.err(format!(
                    "shared axis {bad} is out of range for input shape {}",
                    shape_str(s)
                )));
            }
        }
        self.params.clear();
        self.params.add("alpha", shape, true, 0.0)?;
        Ok(())
    }
    fn weights(&self) -> Vec<LayerWeight> {
        self.params.weights(self.base.trainable)
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.params.values()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.params.set(&self.base.name, index, value)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![one_shape(&self.base, inputs)?.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        let ashape = self.params.weights(true)[0].shape.clone();
        let xs = x.shape();
        if xs.len() != ashape.len() + 1
            || ashape.iter().zip(&xs[1..]).any(|(&a, &d)| a != 1 && a != d)
        {
            return Err(self.base.err(format!(
                "input shape {xs:?} does not match alpha shape {ashape:?}"
            )));
        }
        let alpha = self.params.get(0);
        let mut data = x.to_f32().into_owned();
        let per: usize = xs[1..].iter().product();
        if ashape.as_slice() == &xs[1..] {
            for row in data.chunks_mut(per.max(1)) {
                for (v, a) in row.iter_mut().zip(alpha) {
                    if *v < 0.0 {
                        *v *= a;
                    }
                }
            }
        } else {
            // Broadcast over shared axes.
            let rank = ashape.len();
            let mut strides = vec![0usize; rank];
            let mut acc = 1;
            for i in (0..rank).rev() {
                strides[i] = if ashape[i] == 1 { 0 } else { acc };
                acc *= ashape[i];
            }
            for row in data.chunks_mut(per.max(1)) {
                let mut idx = vec![0usize; rank];
                for v in row.iter_mut() {
                    if *v < 0.0 {
                        let ai: usize = idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
                        *v *= alpha[ai];
                    }
                    for d in (0..rank).rev() {
                        idx[d] += 1;
                        if idx[d] < xs[d + 1] {
                            break;
                        }
                        idx[d] = 0;
                    }
                }
            }
        }
        Ok(vec![make_tensor(&self.base, xs.to_vec(), data)?])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(pass_mask(masks))
    }
}

/// `Softmax` over `axis` (TF.js default `1`, Keras default `-1`).
#[derive(Debug, Clone)]
pub struct SoftmaxLayer {
    base: Base,
    axis: i64,
    axis_raw: Value,
}

impl SoftmaxLayer {
    fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let (axis, raw) = match cfg.get("axis") {
            None => (1, json!(1)),
            Some(Value::Array(a)) if a.len() == 1 => {
                let x = a[0]
                    .as_f64()
                    .filter(|f| f.fract() == 0.0)
                    .ok_or_else(|| cfg.err("axis", "expected an integer"))?;
                (x as i64, Value::Array(vec![num(x)]))
            }
            Some(v) => {
                let x = v
                    .as_f64()
                    .filter(|f| f.fract() == 0.0)
                    .ok_or_else(|| cfg.err("axis", format!("expected an integer, got {v}")))?;
                (x as i64, num(x))
            }
        };
        Ok(SoftmaxLayer {
            base: Base::parse(cfg)?,
            axis,
            axis_raw: raw,
        })
    }
}

impl Layer for SoftmaxLayer {
    fn class_name(&self) -> &str {
        "Softmax"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("axis".into(), self.axis_raw.clone());
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        norm_axis(&self.base, self.axis, s.len())?;
        Ok(vec![s.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let a = norm_axis(&self.base, self.axis, x.rank())?;
        let shape = x.shape();
        let n = shape[a];
        let inner: usize = shape[a + 1..].iter().product();
        let mut data = x.to_f32().into_owned();
        if inner == 1 {
            for row in data.chunks_mut(n.max(1)) {
                crate::activations::softmax_row(row);
            }
        } else if n > 0 {
            let mut buf = vec![0.0f32; n];
            for block in data.chunks_mut(n * inner) {
                for i in 0..inner {
                    for k in 0..n {
                        buf[k] = block[k * inner + i];
                    }
                    crate::activations::softmax_row(&mut buf);
                    for k in 0..n {
                        block[k * inner + i] = buf[k];
                    }
                }
            }
        }
        Ok(vec![make_tensor(&self.base, shape.to_vec(), data)?])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(pass_mask(masks))
    }
}

/// Register the advanced activation classes.
pub fn register(registry: &mut LayerRegistry) {
    for class in ["ReLU", "LeakyReLU", "ELU", "ThresholdedReLU"] {
        register_simple(registry, &[class], move |c| {
            boxed_layer(ElementwiseActivation::from_config(c, class))
        });
    }
    register_simple(registry, &["PReLU"], |c| boxed_layer(PRelu::from_config(c)));
    register_simple(registry, &["Softmax"], |c| {
        boxed_layer(SoftmaxLayer::from_config(c))
    });
}

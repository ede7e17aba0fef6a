//! Advanced activation layers: `ReLU` (with Keras `negative_slope` and
//! `threshold`), `LeakyReLU`, `PReLU`, `ELU`, `ThresholdedReLU`, `Softmax`.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Pointwise, Result, Shape, Tensor};
use serde_json::{json, Map, Value};
use tfjs_kernels::PointOp;

keras_config! {
    /// `ReLU`'s TensorFlow.js config (Keras' `negative_slope` and
    /// `threshold` are written after the base keys, when they matter).
    pub(crate) struct ReluConfig |cx| {
        max_value: Option<f64>,
    }
}

keras_config! {
    /// `LeakyReLU`: Keras 3 writes `negative_slope`, TF.js only knows
    /// `alpha` (and silently uses 0.3 for Keras 3 files: we do not).
    pub(crate) struct LeakyReluConfig |cx| {
        alpha: f64 = cx.cfg.f64_or("negative_slope", 0.3)?,
    }
}

keras_config! {
    /// `ELU`.
    pub(crate) struct EluConfig |cx| {
        alpha: f64 = 1.0,
    }
}

keras_config! {
    /// `ThresholdedReLU`.
    pub(crate) struct ThresholdedReluConfig |cx| {
        theta: f64 = 1.0,
    }
}

#[derive(Debug, Clone)]
enum Kind {
    /// Keras' `negative_slope` and `threshold` besides TF.js's config.
    Relu(ReluConfig, f32, f32),
    Leaky(LeakyReluConfig),
    Elu(EluConfig),
    Thresholded(ThresholdedReluConfig),
}

/// `ReLU`, `LeakyReLU`, `ELU`, `ThresholdedReLU`: parameter-free elementwise
/// activations.
#[derive(Debug, Clone)]
pub struct ElementwiseActivation {
    base: Base,
    kind: Kind,
}

impl ElementwiseActivation {
    fn from_config(cfg: &ConfigReader<'_>, class: &str) -> Result<Self> {
        let cx = Cx::new(cfg);
        let kind = match class {
            "ReLU" => {
                let c = ReluConfig::read(&cx)?;
                if c.max_value.is_some_and(|m| m < 0.0) {
                    return Err(cfg.err("max_value", "must be non-negative"));
                }
                let slope = cfg.f64_or("negative_slope", 0.0)? as f32;
                let threshold = cfg.f64_or("threshold", 0.0)? as f32;
                Kind::Relu(c, slope, threshold)
            }
            "LeakyReLU" => Kind::Leaky(LeakyReluConfig::read(&cx)?),
            "ELU" => Kind::Elu(EluConfig::read(&cx)?),
            _ => Kind::Thresholded(ThresholdedReluConfig::read(&cx)?),
        };
        Ok(ElementwiseActivation {
            base: Base::parse(cfg)?,
            kind,
        })
    }
}

impl ElementwiseActivation {
    /// `Some(max_value)` when this is a plain `ReLU` (no negative slope, no
    /// threshold), which the conv fusion can apply.
    pub(crate) fn plain_relu_max(&self) -> Option<Option<f32>> {
        match self.kind {
            Kind::Relu(ref c, slope, threshold) if slope == 0.0 && threshold == 0.0 => {
                Some(c.max_value.map(|m| m as f32))
            }
            _ => None,
        }
    }
}

impl Layer for ElementwiseActivation {
    layer_flags!(per_sample, downcast);
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
        let mut m = Map::new();
        match &self.kind {
            Kind::Relu(c, ..) => c.write(&mut m),
            Kind::Leaky(c) => c.write(&mut m),
            Kind::Elu(c) => c.write(&mut m),
            Kind::Thresholded(c) => c.write(&mut m),
        }
        self.base.write(&mut m);
        // TF.js ignores these Keras fields; write them when they matter so
        // the file keeps its meaning.
        if let Kind::Relu(_, slope, threshold) = self.kind {
            if slope != 0.0 {
                m.insert("negative_slope".into(), num(slope as f64));
            }
            if threshold != 0.0 {
                m.insert("threshold".into(), num(threshold as f64));
            }
        }
        m
    }
    same_as_input!(shape, mask);
    fn pointwise(&self) -> Option<Pointwise> {
        Some(match self.kind {
            Kind::Relu(ref c, slope, threshold) if slope == 0.0 && threshold == 0.0 => {
                Pointwise::Ops(vec![match c.max_value.map(|m| m as f32) {
                    Some(m) => PointOp::Clamp(0.0, m),
                    None => PointOp::Max(0.0),
                }])
            }
            Kind::Relu(ref c, slope, threshold) => {
                let max = c.max_value.map(|m| m as f32);
                Pointwise::func(move |x: &mut [f32]| {
                    x.iter_mut().for_each(|v| {
                        // Keras: x >= max → max; threshold <= x < max → x; else slope·(x − threshold).
                        let y = if *v >= threshold {
                            *v
                        } else {
                            slope * (*v - threshold)
                        };
                        *v = match max {
                            Some(m) if y > m => m,
                            _ => y,
                        }
                    })
                })
            }
            Kind::Leaky(ref c) => {
                let a = c.alpha as f32;
                Pointwise::func(move |x: &mut [f32]| {
                    x.iter_mut()
                        .for_each(|v| *v = if *v < 0.0 { a * *v } else { *v })
                })
            }
            Kind::Elu(ref c) => {
                let a = c.alpha as f32;
                Pointwise::func(move |x: &mut [f32]| {
                    x.iter_mut()
                        .for_each(|v| *v = if *v > 0.0 { *v } else { a * v.exp_m1() })
                })
            }
            Kind::Thresholded(ref c) => {
                let t = c.theta as f32;
                Pointwise::func(move |x: &mut [f32]| {
                    x.iter_mut()
                        .for_each(|v| *v = if *v > t { *v } else { 0.0 })
                })
            }
        })
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let mut data = x.to_f32().into_owned();
        if let Some(f) = self.pointwise() {
            run_pointwise(&f, &mut data);
        }
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), data)?])
    }
}

/// PReLU's `shared_axes`: 1-based axes sharing one alpha (an int or a
/// list), written as a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SharedAxes(Vec<usize>);

impl KerasValue for SharedAxes {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        let list: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        list.iter()
            .map(|d| d.as_u64().filter(|&d| d >= 1).map(|d| d as usize))
            .collect::<Option<Vec<_>>>()
            .map(SharedAxes)
            .ok_or_else(|| {
                cx.cfg
                    .err(key, format!("expected positive axis numbers, got {v}"))
            })
    }
    fn to_value(&self) -> Option<Value> {
        Some(json!(self.0))
    }
}

keras_config! {
    /// `PReLU`'s config.
    pub(crate) struct PReluConfig |cx| {
        alpha_initializer: Init = Init::zeros(),
        alpha_regularizer: Reg,
        alpha_constraint: Cons,
        shared_axes: Option<SharedAxes>,
    }
}

/// `PReLU`: `x` if `x > 0` else `alpha · x`, with a learned `alpha`.
#[derive(Debug, Clone)]
pub struct PRelu {
    base: Base,
    cfg: PReluConfig,
    params: Params,
}

impl PRelu {
    fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let p = PRelu {
            cfg: PReluConfig::read(&Cx::new(cfg))?,
            base: Base::parse(cfg)?,
            params: Params::default(),
        };
        Ok(built_if_possible(p, |l| (&l.base, &mut l.params)))
    }
}

impl Layer for PRelu {
    layer_flags!(per_sample);
    layer_common!("PReLU", weights);
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        if s.len() < 2 {
            return Err(self.base.err("expects an input of rank >= 2"));
        }
        let mut shape = Vec::with_capacity(s.len() - 1);
        for (i, d) in s.iter().enumerate().skip(1) {
            if self
                .cfg
                .shared_axes
                .as_ref()
                .map(|a| &a.0)
                .is_some_and(|a| a.contains(&i))
            {
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
        if let Some(SharedAxes(a)) = &self.cfg.shared_axes {
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
    same_as_input!(shape, mask);
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
}

keras_config! {
    /// `Softmax`'s config (TF.js default axis `1`, Keras default `-1`).
    pub(crate) struct SoftmaxConfig |cx| {
        axis: Axes = Axes::one(1),
    }
}

/// `Softmax` over `axis` (TF.js default `1`, Keras default `-1`). Keras
/// also takes several axes: `exp(x - logsumexp(x, axes))`, the softmax of
/// each slice over all of them (TF.js only takes one).
///
/// Keras applies the mask the call is given (`Softmax()(x, mask=m)`, or a
/// propagated one), broadcast to the input: masked logits become a large
/// negative number ([`SoftmaxMasking`]). TensorFlow.js's Softmax ignores
/// masks, and so does a TF.js model here.
#[derive(Debug, Clone)]
pub struct SoftmaxLayer {
    base: Base,
    cfg: SoftmaxConfig,
    masking: SoftmaxMasking,
}

/// How a `Softmax` applies a mask, by the dialect of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SoftmaxMasking {
    /// TensorFlow.js: masks are ignored.
    Ignored,
    /// tf_keras: `x + (1 - mask) · -1e9`; with `robust_masking: true`,
    /// `where(mask > 0.5, x, -1e9)`. Fully masked slices stay uniform.
    Keras2 { robust: bool },
    /// Keras 3: `where(mask > 0.5, x, -1e9)`, then masked outputs are 0.
    Keras3,
}

impl SoftmaxLayer {
    fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let c = SoftmaxConfig::read(&Cx::new(cfg))?;
        if c.axis.list.is_empty() {
            return Err(cfg.err("axis", "expected at least one axis"));
        }
        let robust = cfg.bool_or("robust_masking", false)?;
        let masking = if cfg.dialect.is_keras3() {
            SoftmaxMasking::Keras3
        } else if cfg.dialect.is_keras() {
            SoftmaxMasking::Keras2 { robust }
        } else {
            SoftmaxMasking::Ignored
        };
        Ok(SoftmaxLayer {
            base: Base::parse(cfg)?,
            cfg: c,
            masking,
        })
    }

    /// The logits with Keras's mask applied (`x` is the layer's input),
    /// and the mask broadcast to them when masked outputs are zeroed after
    /// the softmax (Keras 3).
    fn apply_mask(&self, x: &Tensor, mask: &Tensor) -> Result<(Vec<f32>, Option<Vec<bool>>)> {
        let (shape, mshape) = (x.shape(), mask.shape());
        // Keras 3's check: the mask broadcasts to the input, never past it.
        let fits = mshape.len() <= shape.len()
            && mshape
                .iter()
                .rev()
                .zip(shape.iter().rev())
                .all(|(&m, &i)| m == 1 || m == i);
        if !fits {
            return Err(self.base.err(format!(
                "the mask {mshape:?} must be broadcastable to the input {shape:?} (each mask \
                 dimension 1 or the input's, no more dimensions than the input)"
            )));
        }
        // Keras's large negative number: -1e9, or what float16 holds
        // (Keras 3: -3e4; tf_keras: float16's lowest, -65504).
        let f16 = self.base.policy.compute == Precision::F16;
        let neg = match (self.masking, f16) {
            (_, false) => -1.0e9f32,
            (SoftmaxMasking::Keras3, true) => -3.0e4,
            (_, true) => -65504.0,
        };
        let m = mask.to_f32();
        let mut data = x.to_f32().into_owned();
        let at = |i: usize| m[crate::layers::tf_ops::broadcast_index(i, shape, mshape)];
        let mut keep_all = None;
        match self.masking {
            SoftmaxMasking::Ignored => {}
            SoftmaxMasking::Keras2 { robust: false } => {
                for (i, v) in data.iter_mut().enumerate() {
                    *v += (1.0 - at(i)) * neg;
                }
            }
            SoftmaxMasking::Keras2 { robust: true } | SoftmaxMasking::Keras3 => {
                let keep: Vec<bool> = (0..data.len()).map(|i| at(i) > 0.5).collect();
                for (v, &k) in data.iter_mut().zip(&keep) {
                    if !k {
                        *v = neg;
                    }
                }
                if self.masking == SoftmaxMasking::Keras3 {
                    keep_all = Some(keep);
                }
            }
        }
        Ok((data, keep_all))
    }

    /// The axes against `rank`, sorted, each once.
    fn axes(&self, rank: usize) -> Result<Vec<usize>> {
        let mut axes = (self.cfg.axis.list.iter())
            .map(|&a| norm_axis(&self.base, a, rank))
            .collect::<Result<Vec<usize>>>()?;
        axes.sort_unstable();
        axes.dedup();
        Ok(axes)
    }
}

impl Layer for SoftmaxLayer {
    fn per_sample(&self) -> bool {
        // -1 or a positive axis never normalizes across the batch axis.
        self.cfg.axis.list.iter().all(|&a| a > 0 || a == -1)
    }
    layer_common!(names "Softmax");
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.cfg.write(&mut m);
        self.base.write(&mut m);
        // tf_keras writes it only when set.
        if self.masking == (SoftmaxMasking::Keras2 { robust: true }) {
            m.insert("robust_masking".into(), Value::Bool(true));
        }
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        self.axes(s.len())?;
        Ok(vec![s.clone()])
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        if let (Some(Some(mask)), false) = (masks.first(), self.masking == SoftmaxMasking::Ignored)
        {
            let (logits, keep) = self.apply_mask(x, mask)?;
            let masked = make_tensor(&self.base, x.shape().to_vec(), logits)?;
            let mut y = self.softmax(&masked)?;
            if let Some(keep) = keep {
                let data = y.as_f32_mut().expect("softmax output is float32");
                for (v, k) in data.iter_mut().zip(keep) {
                    if !k {
                        *v = 0.0;
                    }
                }
            }
            return Ok(vec![y]);
        }
        Ok(vec![self.softmax(x)?])
    }
    same_as_input!(mask);
}

impl SoftmaxLayer {
    /// The softmax of `x` over the layer's axes.
    fn softmax(&self, x: &Tensor) -> Result<Tensor> {
        let axes = self.axes(x.rank())?;
        let shape = x.shape();
        let (first, last) = (axes[0], axes[axes.len() - 1]);
        if last - first + 1 != axes.len() {
            // Axes apart: move them last, softmax over their block, move back.
            let mut perm: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).collect();
            perm.extend(&axes);
            let moved = transpose_tensor(x, &perm);
            let mut data = moved.to_f32().into_owned();
            let n: usize = axes.iter().map(|&a| shape[a]).product();
            crate::activations::softmax_rows(&mut data, n);
            let moved = make_tensor(&self.base, moved.shape().to_vec(), data)?;
            let mut back = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                back[p] = i;
            }
            return Ok(transpose_tensor(&moved, &back));
        }
        // Adjacent axes: one axis of their product.
        let n: usize = shape[first..=last].iter().product();
        let inner: usize = shape[last + 1..].iter().product();
        let mut data = x.to_f32().into_owned();
        if inner == 1 {
            crate::activations::softmax_rows(&mut data, n);
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
        make_tensor(&self.base, shape.to_vec(), data)
    }
}

/// Register the advanced activation classes.
pub fn register(registry: &mut LayerRegistry) {
    for class in ["ReLU", "LeakyReLU", "ELU", "ThresholdedReLU"] {
        register_simple(registry, &[class], move |c| {
            boxed_layer(ElementwiseActivation::from_config(c, class))
        });
    }
    register_layer(registry, &["PReLU"], PRelu::from_config);
    register_layer(registry, &["Softmax"], SoftmaxLayer::from_config);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dialect;

    fn softmax(dialect: &str, extra: Value) -> SoftmaxLayer {
        let mut map = json!({"name": "sm", "axis": -1})
            .as_object()
            .unwrap()
            .clone();
        map.extend(extra.as_object().unwrap().clone());
        let c =
            ConfigReader::new("sm", &map).in_dialect(Dialect::from_keras_version(Some(dialect)));
        SoftmaxLayer::from_config(&c).unwrap()
    }

    fn run(layer: &SoftmaxLayer, x: Tensor, mask: Tensor) -> Vec<f32> {
        let y = layer.call(&[x], &[Some(mask)]).unwrap();
        y[0].to_f32().into_owned()
    }

    fn close(got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    /// `Softmax()(x, mask=m)`: masked logits get -1e9; Keras 3 zeroes the
    /// masked outputs (a fully masked row is all 0), tf_keras leaves a fully
    /// masked row uniform, with or without `robust_masking`; tf_keras's
    /// default adds `(1 - m) * -1e9` for a float mask. Values from
    ///   x = [[1, 2, 3, 4], [0.5, -1, 2, 0]]; m = [[1, 1, 0, 1], [0, 0, 0, 0]]
    ///   keras.layers.Softmax()(x, mask=m)
    ///   tf_keras.layers.Softmax(robust_masking=True)(x, mask=tf.constant(m))
    ///   tf_keras.layers.Softmax()(x, mask=tf.constant(
    ///       [[0.75, 1., 0.25, 1.], [0., 0., 0., 0.]]))
    #[test]
    fn softmax_applies_the_mask_as_keras_does() {
        let x = || Tensor::from_f32(vec![2, 4], vec![1., 2., 3., 4., 0.5, -1., 2., 0.]).unwrap();
        let m = Tensor::from_f32(vec![2, 4], vec![1., 1., 0., 1., 0., 0., 0., 0.]).unwrap();
        let kept = [0.042_010_065, 0.114_195_19, 0.0, 0.843_794_7];
        let k3 = run(&softmax("3.15.1", json!({})), x(), m.clone());
        close(&k3, &[&kept[..], &[0.0; 4]].concat());
        for robust in [false, true] {
            let layer = softmax("2.21.0", json!({"robust_masking": robust}));
            close(
                &run(&layer, x(), m.clone()),
                &[&kept[..], &[0.25; 4]].concat(),
            );
        }
        let mf = Tensor::from_f32(vec![2, 4], vec![0.75, 1., 0.25, 1., 0., 0., 0., 0.]).unwrap();
        let k2 = run(&softmax("2.21.0", json!({})), x(), mf);
        close(
            &k2,
            &[0.0, 0.119_202_91, 0.0, 0.880_797, 0.25, 0.25, 0.25, 0.25],
        );
        // TensorFlow.js's Softmax ignores masks.
        let c = json!({"name": "sm", "axis": -1});
        let tfjs =
            SoftmaxLayer::from_config(&ConfigReader::new("sm", c.as_object().unwrap())).unwrap();
        let plain = tfjs.call(&[x()], &[]).unwrap()[0].to_f32().into_owned();
        close(&run(&tfjs, x(), m), &plain);
    }

    /// A mask broadcast to the input (`[2, 1, 4]` against `[2, 3, 4]`), and
    /// one that does not broadcast refused by name. Values from
    ///   x3 = np.arange(24, dtype="float32").reshape(2, 3, 4) / 10
    ///   keras.layers.Softmax()(x3, mask=[[[1, 0, 1, 1]], [[0, 1, 1, 0]]])
    #[test]
    fn softmax_mask_broadcasts_to_the_input() {
        let x =
            Tensor::from_f32(vec![2, 3, 4], (0..24).map(|i| i as f32 / 10.0).collect()).unwrap();
        let m = Tensor::from_f32(vec![2, 1, 4], vec![1., 0., 1., 1., 0., 1., 1., 0.]).unwrap();
        let layer = softmax("3.15.1", json!({}));
        let row0 = [0.280013, 0.0, 0.342009, 0.377978];
        let row1 = [0.0, 0.475021, 0.524979, 0.0];
        close(
            &run(&layer, x.clone(), m),
            &[row0, row0, row0, row1, row1, row1].concat(),
        );
        let bad = Tensor::from_f32(vec![2, 3], vec![1.0; 6]).unwrap();
        let e = layer.call(&[x], &[Some(bad)]).unwrap_err().to_string();
        assert!(
            e.contains("sm") && e.contains("must be broadcastable"),
            "{e}"
        );
    }
}

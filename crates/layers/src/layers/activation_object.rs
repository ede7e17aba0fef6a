//! An advanced-activation layer object given as a layer's `activation`
//! that no activation function computes: a `PReLU` (tf_keras
//! `Dense(8, activation=PReLU())`), an `ELU(alpha=0.5)`, a
//! `ReLU(negative_slope=0.1)`, a `Softmax(axis=1)`, … (`ReLU()`,
//! `LeakyReLU(a)` and the others an [`crate::activations::Activation`]
//! computes are read in `common/values.rs`).
//!
//! Keras deserializes the object and calls it on the layer's output;
//! tf_keras tracks it as a sub-layer, so a `PReLU`'s weights are saved
//! with the layer's, under its own name: `dense/kernel`, `dense/bias`,
//! `dense/p_re_lu/alpha`. The engine builds the layer with a linear
//! activation and the object as its own layer after it, both under the
//! layer's name: the config saved back holds the object again, and the
//! weights keep their names. Only layers whose activation is applied last,
//! to the whole output, take one (a recurrent cell applies its activation
//! inside; such a config is refused where the activation is read).
//!
//! Keras 3 does not track the object (a `PReLU`'s weights are not saved),
//! so its models keep the refusal of `values.rs` for a `PReLU`.

use crate::config::ConfigReader;
use crate::registry::{BuildContext, LayerRegistry};
use crate::{Layer, LayerWeight, LayersError, Result, Shape, Tensor};
use serde_json::{Map, Value};

/// Activation layer classes with weights.
const WEIGHTED_ACTIVATIONS: &[&str] = &["PReLU"];

/// Layers that apply their `activation` last, to their whole output.
const FINAL_ACTIVATION: &[&str] = &[
    "Dense",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
];

/// `class_name` built from `config` with its weighted activation object
/// as a layer of its own after it (`None`: the config has no such object
/// or the class does not take one).
pub(crate) fn build(
    registry: &LayerRegistry,
    class_name: &str,
    config: &ConfigReader<'_>,
    ctx: &BuildContext<'_>,
) -> Option<Result<Box<dyn Layer>>> {
    let object = config.get("activation")?;
    let act_class = object.get("class_name").and_then(Value::as_str)?;
    if !FINAL_ACTIVATION.contains(&class_name)
        || !super::common::is_activation_layer_object(object, config.dialect)
        || (WEIGHTED_ACTIVATIONS.contains(&act_class) && config.dialect.is_keras3())
    {
        return None;
    }
    Some((|| {
        let act = ctx.build_nested(object, config.layer)?;
        let mut map = config.map.clone();
        map.insert("activation".into(), Value::String("linear".into()));
        let reader = config.nested(config.layer, &map);
        let inner = registry.build(class_name, &reader, ctx)?;
        Ok(Box::new(WithActivationLayer {
            inner,
            act,
            object: object.clone(),
        }) as Box<dyn Layer>)
    })())
}

/// A layer and the activation layer object applied to its output (the
/// classes taking one have no calls with keyword arguments: the default
/// `node_*` methods run these).
#[derive(Debug)]
struct WithActivationLayer {
    inner: Box<dyn Layer>,
    act: Box<dyn Layer>,
    /// The `activation` value as the file has it (saved back).
    object: Value,
}

impl WithActivationLayer {
    fn inner_weights(&self) -> usize {
        self.inner.weights().len()
    }

    /// The activation layer's output for the layer's outputs.
    fn activate(&self, out: Vec<Tensor>) -> Result<Vec<Tensor>> {
        let [y] = <[Tensor; 1]>::try_from(out).map_err(|_| {
            LayersError::config(self.inner.name(), "expected one output for its activation")
        })?;
        self.act.call(&[y], &[None])
    }
}

impl Layer for WithActivationLayer {
    fn class_name(&self) -> &str {
        self.inner.class_name()
    }
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.inner.config();
        m.insert("activation".into(), self.object.clone());
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        self.inner.build(input_shapes)?;
        let out = self.inner.output_shapes(input_shapes)?;
        self.act.build(&out)
    }
    fn weights(&self) -> Vec<LayerWeight> {
        let prefix = self.act.name().to_string();
        let mut w = self.inner.weights();
        w.extend(self.act.weights().into_iter().map(|mut a| {
            a.name = format!("{prefix}/{}", a.name);
            a
        }));
        w
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        let mut v = self.inner.weight_values();
        v.extend(self.act.weight_values());
        v
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        let n = self.inner_weights();
        if index < n {
            self.inner.set_weight(index, value)
        } else {
            self.act.set_weight(index - n, value)
        }
    }
    fn keras2_weight_names(&self) -> Option<Vec<String>> {
        self.inner.keras2_weight_names().map(|mut names| {
            let prefix = self.act.name().to_string();
            names.extend((self.act.weights().into_iter()).map(|a| format!("{prefix}/{}", a.name)));
            names
        })
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        self.inner.output_shapes(inputs)
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        self.activate(self.inner.call(inputs, masks)?)
    }
    fn per_sample(&self) -> bool {
        self.inner.per_sample() && self.act.per_sample()
    }
    fn compute_mask(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        self.inner.compute_mask(inputs, masks)
    }
}

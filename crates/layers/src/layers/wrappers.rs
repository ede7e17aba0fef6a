//! Wrappers: `TimeDistributed` (any layer, applied to every timestep) and
//! `Bidirectional` (an RNN run forwards and backwards, outputs merged).

use super::common::*;
use crate::config::ConfigReader;
use crate::{BuildContext, Layer, LayerRegistry, LayerWeight, LayersError, Result, Shape, Tensor};
use serde_json::{json, Map, Value};

/// Register `TimeDistributed` and `Bidirectional`.
pub fn register(registry: &mut LayerRegistry) {
    registry.register("TimeDistributed", |c, ctx| {
        Ok(Box::new(TimeDistributed::from_config(c, ctx)?) as Box<dyn Layer>)
    });
    registry.register("Bidirectional", |c, ctx| {
        Ok(Box::new(Bidirectional::from_config(c, ctx)?) as Box<dyn Layer>)
    });
    registry.register("Pipeline", |c, ctx| {
        Ok(Box::new(Pipeline::from_config(c, ctx)?) as Box<dyn Layer>)
    });
}

/// Keras 3's `Pipeline`: its `layers` applied one after another (at
/// inference, so random augmentations are the identity). The weights of
/// its layers are its own, in layer order, each named `<inner layer>/<weight>`
/// under the pipeline (as Keras 3's HDF5 writer names them:
/// `prep/dense/kernel`); a `.keras` file keeps them under the pipeline's
/// path as a nested model's (`layers/pipeline/layers/dense/vars/0`).
#[derive(Debug)]
pub struct Pipeline {
    base: Base,
    raw: Map<String, Value>,
    layers: Vec<Box<dyn Layer>>,
}

impl Pipeline {
    /// Build from a config whose `layers` lists `{class_name, config}`s.
    pub fn from_config(c: &ConfigReader<'_>, ctx: &BuildContext<'_>) -> Result<Pipeline> {
        let entries = c
            .required("layers")?
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| c.err("layers", "expected a non-empty list of layers"))?;
        let layers = entries
            .iter()
            .map(|e| ctx.build_nested(e, c.layer))
            .collect::<Result<Vec<_>>>()?;
        Ok(Pipeline {
            base: Base::parse(c)?,
            raw: c.map.clone(),
            layers,
        })
    }

    /// The inner layer holding the pipeline's weight `index`, and that
    /// weight's index in it.
    fn weight_owner(&mut self, index: usize) -> Option<(&mut Box<dyn Layer>, usize)> {
        let mut at = index;
        for l in &mut self.layers {
            let n = l.weights().len();
            if at < n {
                return Some((l, at));
            }
            at -= n;
        }
        None
    }

    /// The shapes after each layer, from `inputs`.
    fn shapes_through(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let mut shapes = inputs.to_vec();
        for l in &self.layers {
            shapes = l.output_shapes(&shapes)?;
        }
        Ok(shapes)
    }
}

impl Layer for Pipeline {
    layer_common!(names "Pipeline");
    fn config(&self) -> Map<String, Value> {
        // As read: Keras's Pipeline takes `layers` and `name`, not the
        // base keys (`trainable`, `dtype`) other layers write.
        let mut m = self.raw.clone();
        m.insert("name".into(), Value::from(self.base.name.clone()));
        m
    }
    fn takes_strings(&self) -> bool {
        self.layers.first().is_some_and(|l| l.takes_strings())
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let mut shapes = input_shapes.to_vec();
        for l in &mut self.layers {
            l.build(&shapes)?;
            shapes = l.output_shapes(&shapes)?;
        }
        Ok(())
    }
    fn weights(&self) -> Vec<LayerWeight> {
        self.layers
            .iter()
            .flat_map(|l| {
                l.weights().into_iter().map(|w| LayerWeight {
                    name: format!("{}/{}", l.name(), w.name),
                    trainable: w.trainable && self.base.trainable,
                    ..w
                })
            })
            .collect()
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.layers.iter().flat_map(|l| l.weight_values()).collect()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        match self.weight_owner(index) {
            Some((l, at)) => l.set_weight(at, value),
            None => Err(self.base.err(format!("layer has no weight #{index}"))),
        }
    }
    fn weights_in_config(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut first = 0;
        for l in &self.layers {
            out.extend(l.weights_in_config().into_iter().map(|i| first + i));
            first += l.weights().len();
        }
        out
    }
    /// Keras 3 saves the inner layers as a nested model's:
    /// `layers/<class_snake>[_n]/<their keys>`.
    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        let mut counts = std::collections::HashMap::<String, usize>::new();
        let mut keys = Vec::new();
        for l in &self.layers {
            let snake = tfjs_format::topology::keras3_path_name(l.class_name());
            let k = counts.entry(snake.clone()).or_insert(0);
            let path = match *k {
                0 => format!("layers/{snake}"),
                k => format!("layers/{snake}_{k}"),
            };
            *k += 1;
            let n = l.weights().len();
            let own = l
                .keras3_weight_keys()
                .unwrap_or_else(|| (0..n).map(|i| i.to_string()).collect());
            keys.extend(own.into_iter().map(|k| format!("{path}/{k}")));
        }
        Some(keys)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        self.shapes_through(inputs)
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let mut xs = inputs.to_vec();
        for l in &self.layers {
            let n = xs.len();
            xs = l
                .call(&xs, &vec![None; n])
                .map_err(|e| crate::model::in_layer(l.name(), e))?;
        }
        Ok(xs)
    }
}

fn nested_parts<'a>(c: &ConfigReader<'a>) -> Result<(&'a str, &'a Map<String, Value>)> {
    entry_parts(c.required("layer")?)
        .ok_or_else(|| c.err("layer", "expected {class_name: string, config: object}"))
}

/// A nested layer entry's `class_name` and `config`.
fn entry_parts(entry: &Value) -> Option<(&str, &Map<String, Value>)> {
    let class = entry.get("class_name").and_then(Value::as_str)?;
    Some((class, entry.get("config").and_then(Value::as_object)?))
}

/// A wrapper's config: `layer` (the wrapped layer's `{class_name,
/// config}`), the wrapper's own keys `own`, then its base keys.
pub(crate) fn wrapper_config(
    base: &Base,
    inner: &dyn Layer,
    own: Map<String, Value>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "layer".into(),
        json!({"class_name": inner.class_name(), "config": inner.config()}),
    );
    m.extend(own);
    base.write(&mut m);
    m
}

/// `TimeDistributed(layer)`: input `[batch, time, ...]`; the inner layer sees
/// `[batch * time, ...]`. Its weights keep their own names under the
/// wrapper (`td/kernel`). The input mask passes through.
#[derive(Debug)]
pub struct TimeDistributed {
    base: Base,
    inner: Box<dyn Layer>,
}

impl TimeDistributed {
    /// Build from a config whose `layer` is a nested `{class_name, config}`.
    pub fn from_config(c: &ConfigReader<'_>, ctx: &BuildContext<'_>) -> Result<TimeDistributed> {
        let base = Base::parse(c)?;
        let (class, _) = nested_parts(c)?;
        let inner = if matches!(class, "Sequential" | "Functional" | "Model") {
            Box::new(
                NestedModel::from_value(c.required("layer")?, ctx)
                    .map_err(|e| c.err("layer", format!("the wrapped {class} model: {e}")))?,
            ) as Box<dyn Layer>
        } else {
            ctx.build_nested(c.required("layer")?, c.layer)?
        };
        Ok(TimeDistributed { base, inner })
    }

    fn inner_shape(&self, s: &Shape) -> Result<Shape> {
        if s.len() < 3 {
            return Err(input_err(
                &self.base.name,
                format!("TimeDistributed expects input [batch, time, ...] (rank >= 3), got {s:?}"),
            ));
        }
        let mut inner = vec![None];
        inner.extend_from_slice(&s[2..]);
        Ok(inner)
    }
}

/// A Sequential / Functional model wrapped by `TimeDistributed` (a per-frame
/// CNN): runs the model on `[batch * time, ...]`. Its weights are the
/// model's, each named `<inner layer>/<weight>` (what tf_keras writes; Keras
/// 3's HDF5 writer prefixes the model's name, see `weights.rs`).
#[derive(Debug)]
struct NestedModel {
    model: crate::Model,
    slots: Vec<crate::weights::WeightSlot>,
}

impl NestedModel {
    fn from_value(value: &Value, ctx: &BuildContext<'_>) -> Result<NestedModel> {
        let spec = crate::topology::parse_topology(value)?;
        let model = crate::Model::from_spec(&spec, ctx.registry)?;
        let slots = model.weight_slots();
        Ok(NestedModel { model, slots })
    }
}

impl Layer for NestedModel {
    fn class_name(&self) -> &str {
        &self.model.class_name
    }

    fn name(&self) -> &str {
        &self.model.name
    }

    fn config(&self) -> Map<String, Value> {
        match self.model.model_config() {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn weights(&self) -> Vec<LayerWeight> {
        self.slots
            .iter()
            .map(|s| LayerWeight {
                name: s.name.clone(),
                shape: s.shape.clone(),
                trainable: s.trainable,
            })
            .collect()
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        self.slots
            .iter()
            .filter_map(|s| {
                self.model
                    .layer_at(&s.path)
                    .and_then(|l| l.weight_values().get(s.index).copied())
            })
            .collect()
    }

    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        let s = self.slots.get(index).ok_or_else(|| {
            LayersError::config(&self.model.name, format!("model has no weight #{index}"))
        })?;
        let (path, at) = (s.path.clone(), s.index);
        let name = self.model.name.clone();
        let layer = self
            .model
            .layer_at_mut(&path)
            .ok_or_else(|| LayersError::config(&name, format!("no layer for weight #{index}")))?;
        layer.set_weight(at, value)
    }

    /// Each slot's `.keras` key as the weight matching reads it (a
    /// layer's own sub-key, `bidirectional/forward_layer/0`, else its index).
    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        Some(
            self.slots
                .iter()
                .map(|s| match &s.keras3_key {
                    Some(key) => format!("{}/{key}", s.keras3_path),
                    None => format!("{}/{}", s.keras3_path, s.index),
                })
                .collect(),
        )
    }

    fn output_shapes(&self, _inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(self.model.output_shapes())
    }

    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let (outs, _) = self.model.run(inputs.to_vec(), vec![None; inputs.len()])?;
        Ok(outs)
    }
}

impl Layer for TimeDistributed {
    layer_common!(names "TimeDistributed");

    /// The inner layer runs on every timestep of every sample as a batch.
    fn per_sample(&self) -> bool {
        self.inner.per_sample()
    }

    fn config(&self) -> Map<String, Value> {
        wrapper_config(&self.base, self.inner.as_ref(), Map::new())
    }

    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = first_shape(&self.base.name, input_shapes)?;
        let inner = self.inner_shape(s)?;
        self.inner.build(&[inner])
    }

    fn weights(&self) -> Vec<LayerWeight> {
        let mut w = self.inner.weights();
        if !self.base.trainable {
            w.iter_mut().for_each(|w| w.trainable = false);
        }
        w
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        self.inner.weight_values()
    }

    /// Keras 3 saves the wrapped layer under `layer/`.
    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        let n = self.inner.weights().len();
        let inner = self
            .inner
            .keras3_weight_keys()
            .unwrap_or_else(|| (0..n).map(|i| i.to_string()).collect());
        Some(inner.into_iter().map(|k| format!("layer/{k}")).collect())
    }

    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.inner.set_weight(index, value)
    }

    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = first_shape(&self.base.name, inputs)?;
        let inner = self.inner.output_shapes(&[self.inner_shape(s)?])?;
        Ok(inner
            .into_iter()
            .map(|o| {
                let mut out = vec![s[0], s[1]];
                out.extend_from_slice(o.get(1..).unwrap_or(&[]));
                out
            })
            .collect())
    }

    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = first_input(&self.base.name, inputs)?;
        let shape = x.shape();
        if shape.len() < 3 {
            return Err(input_err(
                &self.base.name,
                format!("TimeDistributed expects input [batch, time, ...], got {shape:?}"),
            ));
        }
        let (b, t) = (shape[0], shape[1]);
        let mut inner_shape = vec![b * t];
        inner_shape.extend_from_slice(&shape[2..]);
        let xs = x.clone().reshape(inner_shape)?;
        let outs = self.inner.call(&[xs], &[None])?;
        outs.into_iter()
            .map(|o| {
                let os = o.shape();
                if os.first() != Some(&(b * t)) {
                    return Err(input_err(
                        &self.base.name,
                        format!(
                            "inner layer returned shape {os:?}, expected a leading {}",
                            b * t
                        ),
                    ));
                }
                let mut s = vec![b, t];
                s.extend_from_slice(&os[1..]);
                o.reshape(s)
            })
            .collect()
    }

    same_as_input!(mask);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Merge {
    Concat,
    Sum,
    Mul,
    Ave,
    /// `merge_mode: null`: two outputs.
    None,
}

/// `Bidirectional(rnn)`: runs a `forward_<inner>` copy of the RNN on the
/// sequence and a `backward_<inner>` copy (with `go_backwards` flipped) on
/// the reversed sequence, re-reverses the backward sequence output and
/// merges (`concat` (default), `sum`, `mul`, `ave`, or `null` for two
/// outputs). With `return_state`, the forward then backward states follow.
/// As in Keras, masked timesteps of sequence outputs are zeros.
#[derive(Debug)]
pub struct Bidirectional {
    base: Base,
    merge: Merge,
    inner_class: String,
    inner_name: String,
    forward: Box<dyn Layer>,
    backward: Box<dyn Layer>,
    /// A `backward_layer` of its own: its class and configured name (its
    /// weights are named `backward_<name>`, as tf_keras names them).
    own_backward: Option<(String, String)>,
    return_sequences: bool,
    return_state: bool,
}

impl Bidirectional {
    /// Build from a config whose `layer` is a nested RNN `{class_name, config}`.
    pub fn from_config(c: &ConfigReader<'_>, ctx: &BuildContext<'_>) -> Result<Bidirectional> {
        let base = Base::parse(c)?;
        let merge = match c.get("merge_mode") {
            None => {
                if c.map.contains_key("merge_mode") {
                    Merge::None
                } else {
                    Merge::Concat
                }
            }
            Some(Value::String(s)) => match s.as_str() {
                "concat" => Merge::Concat,
                "sum" => Merge::Sum,
                "mul" => Merge::Mul,
                "ave" => Merge::Ave,
                other => {
                    return Err(c.err(
                        "merge_mode",
                        format!("expected concat, sum, mul, ave or null, got \"{other}\""),
                    ))
                }
            },
            Some(v) => return Err(c.err("merge_mode", format!("expected a string, got {v}"))),
        };
        if c.get("num_constants").is_some() {
            return Err(c.err("num_constants", "is not supported by Bidirectional"));
        }
        let (class, cfg) = nested_parts(c)?;
        let inner_name = cfg
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(class)
            .to_string();
        let rc = c.nested(&inner_name, cfg);
        let return_sequences = rc.bool_or("return_sequences", false)?;
        let return_state = rc.bool_or("return_state", false)?;
        let go_backwards = rc.bool_or("go_backwards", false)?;
        // The halves' sequences are re-reversed and merged along the
        // batch-major time axis.
        if rc.bool_or("time_major", false)? {
            return Err(rc.err("time_major", "true is not supported inside Bidirectional"));
        }
        let make = |prefix: &str, backwards: bool| -> Result<Box<dyn Layer>> {
            let mut cfg = cfg.clone();
            cfg.insert(
                "name".into(),
                Value::String(format!("{prefix}{inner_name}")),
            );
            cfg.insert("go_backwards".into(), Value::Bool(backwards));
            // Keras forces zero outputs at masked steps for sequence outputs.
            cfg.insert("zero_output_for_mask".into(), Value::Bool(return_sequences));
            ctx.build_nested(&json!({"class_name": class, "config": cfg}), c.layer)
        };
        let forward = make("forward_", go_backwards)?;
        // Keras 3 writes the backward layer it made itself too
        // (`backward_gru` beside `forward_gru`): that one is the default.
        let made_by_keras = |entry: &Value| {
            let bname = entry.pointer("/config/name").and_then(Value::as_str);
            let fname = inner_name.strip_prefix("forward_");
            fname.is_some_and(|f| bname == Some(&format!("backward_{f}")))
        };
        let (backward, own_backward) = match c.get("backward_layer").filter(|e| !made_by_keras(e)) {
            None => (make("backward_", !go_backwards)?, None),
            Some(entry) => {
                let (bclass, bcfg) = entry_parts(entry).ok_or_else(|| {
                    c.err("backward_layer", "expected {class_name, config: {name, …}}")
                })?;
                let bname = bcfg.get("name").and_then(Value::as_str).unwrap_or(bclass);
                // Keras requires the other direction and the same outputs.
                let rc = c.nested(bname, bcfg);
                if rc.bool_or("go_backwards", false)? == go_backwards
                    || rc.bool_or("return_sequences", false)? != return_sequences
                    || rc.bool_or("return_state", false)? != return_state
                {
                    return Err(c.err(
                        "backward_layer",
                        "must run in the other direction than `layer` and return the same outputs",
                    ));
                }
                let mut bcfg = bcfg.clone();
                bcfg.insert("name".into(), Value::String(format!("backward_{bname}")));
                bcfg.insert("zero_output_for_mask".into(), Value::Bool(return_sequences));
                let layer =
                    ctx.build_nested(&json!({"class_name": bclass, "config": bcfg}), c.layer)?;
                (layer, Some((bclass.to_string(), bname.to_string())))
            }
        };
        Ok(Bidirectional {
            base,
            merge,
            inner_class: class.to_string(),
            inner_name,
            forward,
            backward,
            own_backward,
            return_sequences,
            return_state,
        })
    }

    fn merge_values(&self, f: &[f32], b: &[f32], out: &mut [f32]) {
        for ((o, x), y) in out.iter_mut().zip(f).zip(b) {
            *o = match self.merge {
                Merge::Sum => x + y,
                Merge::Mul => x * y,
                Merge::Ave => (x + y) * 0.5,
                Merge::Concat | Merge::None => unreachable!("handled by the caller"),
            };
        }
    }
}

/// Reverse `t` along axis 1.
fn reverse_time(t: &Tensor) -> Result<Tensor> {
    let s = t.shape().to_vec();
    if s.len() < 2 {
        return Ok(t.clone());
    }
    let (b, n) = (s[0], s[1]);
    let per: usize = s[2..].iter().product();
    let src = t.to_f32();
    let mut out = vec![0f32; src.len()];
    for bi in 0..b {
        for ti in 0..n {
            let from = (bi * n + ti) * per;
            let to = (bi * n + (n - 1 - ti)) * per;
            out[to..to + per].copy_from_slice(&src[from..from + per]);
        }
    }
    Tensor::from_f32(s, out)
}

impl Layer for Bidirectional {
    layer_common!(names "Bidirectional");

    fn per_sample(&self) -> bool {
        self.forward.per_sample() && self.backward.per_sample()
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "merge_mode".into(),
            match self.merge {
                Merge::Concat => "concat".into(),
                Merge::Sum => "sum".into(),
                Merge::Mul => "mul".into(),
                Merge::Ave => "ave".into(),
                Merge::None => Value::Null,
            },
        );
        let mut inner = self.forward.config();
        inner.insert("name".into(), Value::String(self.inner_name.clone()));
        // Set by the wrapper itself (see `from_config`), not by the model.
        inner.remove("zero_output_for_mask");
        m.insert(
            "layer".into(),
            json!({"class_name": self.inner_class, "config": inner}),
        );
        if let Some((class, name)) = &self.own_backward {
            let mut config = self.backward.config();
            config.insert("name".into(), Value::String(name.clone()));
            config.remove("zero_output_for_mask");
            m.insert(
                "backward_layer".into(),
                json!({"class_name": class, "config": config}),
            );
        }
        self.base.write(&mut m);
        m
    }

    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let x = first_shape(&self.base.name, input_shapes)?.clone();
        self.forward.build(std::slice::from_ref(&x))?;
        self.backward.build(&[x])
    }

    fn weights(&self) -> Vec<LayerWeight> {
        let pre = |name: &str, l: &dyn Layer| -> Vec<LayerWeight> {
            l.weights()
                .into_iter()
                .map(|mut w| {
                    w.name = format!("{name}/{}", w.name);
                    w.trainable &= self.base.trainable;
                    w
                })
                .collect()
        };
        let mut w = pre(
            &format!("forward_{}", self.inner_name),
            self.forward.as_ref(),
        );
        let backward = match &self.own_backward {
            Some((_, name)) => name,
            None => &self.inner_name,
        };
        w.extend(pre(&format!("backward_{backward}"), self.backward.as_ref()));
        w
    }

    /// Keras 3 saves the two directions as `forward_layer/<i>` and
    /// `backward_layer/<i>` (each RNN's variables in its cell, numbered
    /// within the direction); an RNN over a cell stack keeps its cells'
    /// keys under each direction (`forward_layer/cells/<cell>/<index>`).
    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        let keys = |dir: &str, l: &dyn Layer| -> Vec<String> {
            l.keras3_weight_keys()
                .unwrap_or_else(|| (0..l.weights().len()).map(|i| i.to_string()).collect())
                .into_iter()
                .map(|k| format!("{dir}/{k}"))
                .collect()
        };
        let mut k = keys("forward_layer", self.forward.as_ref());
        k.extend(keys("backward_layer", self.backward.as_ref()));
        Some(k)
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        let mut v = self.forward.weight_values();
        v.extend(self.backward.weight_values());
        v
    }

    /// An RNN over a cell stack: tf_keras's HDF5 names under each direction
    /// (`forward_rnn/<cell>/<weight>`, its `stacked_rnn_cells` segment
    /// dropped as for the RNN alone).
    fn keras2_weight_names(&self) -> Option<Vec<String>> {
        let names = |l: &dyn Layer| -> Option<Vec<String>> {
            Some(
                l.keras2_weight_names()?
                    .into_iter()
                    .map(|n| format!("{}/{n}", l.name()))
                    .collect(),
            )
        };
        let mut n = names(self.forward.as_ref())?;
        n.extend(names(self.backward.as_ref())?);
        Some(n)
    }

    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        let nf = self.forward.weights().len();
        if index < nf {
            self.forward.set_weight(index, value)
        } else {
            self.backward.set_weight(index - nf, value)
        }
    }

    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let x = first_shape(&self.base.name, inputs)?;
        let f = self.forward.output_shapes(std::slice::from_ref(x))?;
        let Some(y) = f.first() else {
            return Err(LayersError::config(
                &self.base.name,
                "the wrapped layer has no outputs",
            ));
        };
        let mut out = match self.merge {
            Merge::Concat => {
                let mut y = y.clone();
                if let Some(last) = y.last_mut() {
                    *last = last.map(|d| d * 2);
                }
                vec![y]
            }
            Merge::None => vec![y.clone(), y.clone()],
            _ => vec![y.clone()],
        };
        if self.return_state {
            out.extend(f[1..].iter().cloned());
            out.extend(f[1..].iter().cloned());
        }
        Ok(out)
    }

    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let name = &self.base.name;
        let x = first_input(name, inputs)?;
        let mask = masks.first().cloned().flatten();
        let (fwd_in, bwd_in): (Vec<Tensor>, Vec<Tensor>) = if inputs.len() > 1 {
            let states = &inputs[1..];
            if !states.len().is_multiple_of(2) {
                return Err(input_err(
                    name,
                    format!(
                        "got {} initial state tensors; Bidirectional needs as many for the \
                         backward layer as for the forward layer",
                        states.len()
                    ),
                ));
            }
            let half = states.len() / 2;
            let mut f = vec![x.clone()];
            f.extend_from_slice(&states[..half]);
            let mut b = vec![x.clone()];
            b.extend_from_slice(&states[half..]);
            (f, b)
        } else {
            (vec![x.clone()], vec![x.clone()])
        };
        let mut f_masks = vec![mask.clone()];
        f_masks.resize(fwd_in.len(), None);
        let mut b_masks = vec![mask];
        b_masks.resize(bwd_in.len(), None);
        // The two directions share nothing until both are done: they run
        // at once where their work (each timestep touches every weight of
        // the layer once) is worth a split.
        let steps = x.shape().iter().take(2).product::<usize>();
        let weights: usize = self.forward.weight_values().iter().map(|w| w.len()).sum();
        let (yf, yb) = tfjs_kernels::join(
            steps.saturating_mul(weights).saturating_mul(2),
            || self.forward.call(&fwd_in, &f_masks),
            || self.backward.call(&bwd_in, &b_masks),
        );
        let (mut yf, mut yb) = (yf?, yb?);
        if yf.is_empty() || yb.is_empty() {
            return Err(input_err(name, "the wrapped layer returned no outputs"));
        }
        let states_f = yf.split_off(1);
        let states_b = yb.split_off(1);
        let of = yf.pop().expect("checked non-empty");
        let mut ob = yb.pop().expect("checked non-empty");
        if self.return_sequences {
            ob = reverse_time(&ob)?;
        }
        if of.shape() != ob.shape() {
            return Err(input_err(
                name,
                format!(
                    "forward output {:?} and backward output {:?} differ",
                    of.shape(),
                    ob.shape()
                ),
            ));
        }
        let mut out = match self.merge {
            Merge::None => vec![of, ob],
            Merge::Concat => {
                let s = of.shape().to_vec();
                let last = *s.last().unwrap_or(&1);
                let (a, b) = (of.to_f32(), ob.to_f32());
                let mut v = Vec::with_capacity(a.len() * 2);
                for (ra, rb) in a.chunks(last.max(1)).zip(b.chunks(last.max(1))) {
                    v.extend_from_slice(ra);
                    v.extend_from_slice(rb);
                }
                let mut s2 = s.clone();
                if let Some(l) = s2.last_mut() {
                    *l *= 2;
                }
                vec![Tensor::from_f32(s2, v)?]
            }
            _ => {
                let (a, b) = (of.to_f32(), ob.to_f32());
                let mut v = vec![0f32; a.len()];
                self.merge_values(&a, &b, &mut v);
                vec![Tensor::from_f32(of.shape().to_vec(), v)?]
            }
        };
        if self.return_state {
            out.extend(states_f);
            out.extend(states_b);
        }
        Ok(out)
    }

    fn compute_mask(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let m = sequence_mask(self.return_sequences, masks);
        let mut out = vec![m.clone()];
        if self.merge == Merge::None {
            out.push(m);
        }
        if self.return_state {
            let first = inputs.get(..1).unwrap_or(&[]);
            let fwd = self
                .forward
                .compute_mask(first, masks.get(..1).unwrap_or(&[]))?;
            let states = fwd.len().saturating_sub(1);
            out.extend(std::iter::repeat_n(None, 2 * states));
        }
        Ok(out)
    }
}

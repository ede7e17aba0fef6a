//! What a rule sees of a layer ([`Site`]) and what it makes of it
//! ([`Outcome`]), and the helpers rules build their replacement layer
//! entries and weights with.

use super::Target;
use crate::{Dialect, Shape};
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use tfjs_format::codec::{DecodedWeight, TensorValues};

/// The first call's input and output shapes of a layer, and its calls that
/// Keras masks reach (see [`crate::Model::masked_calls`]).
#[derive(Debug, Clone, Default)]
pub struct LayerShapes {
    pub inputs: Vec<Shape>,
    pub outputs: Vec<Shape>,
    pub masked_calls: Vec<crate::dialect::MaskedCall>,
    /// The ids tensor (`[layer, node, index, {}]`) whose zeros are the
    /// mask of the first input of the layer's first masked call, when an
    /// `Embedding(mask_zero)` of the same model makes that mask.
    pub mask_ids: Option<Value>,
    /// When a `Masking` layer of the same model makes that mask instead:
    /// its input (`[layer, node, index, {}]`) and `mask_value`.
    pub masking_input: Option<(Value, f64)>,
    /// Per input of the layer's first masked call (in its inbound node's
    /// order, Keras 2 tensor kwargs after the positional inputs): the ids
    /// tensor whose zeros are that input's mask, when an
    /// `Embedding(mask_zero)` of the same model makes it; `None` for an
    /// input without a mask or with another's (`Masking`, `mask=`).
    pub input_mask_ids: Vec<Option<Value>>,
    /// Per masked call (as [`LayerShapes::masked_calls`]): where its first
    /// input's mask comes from, as [`LayerShapes::mask_ids`] and
    /// [`LayerShapes::masking_input`] for the first (the Embedding's or
    /// Masking's call that made it).
    pub call_mask_sources: Vec<CallMaskSource>,
    /// The input shapes of each call of the layer (the first is
    /// [`LayerShapes::inputs`]).
    pub call_inputs: Vec<Vec<Shape>>,
    /// Whether every layer after this one whose numbers depend on that
    /// mask is rewritten from the ids of `Embedding(mask_zero)`s (a GRU
    /// the rewrite unrolls with the same ids, a masked
    /// `GlobalAveragePooling1D`, attention), so TF.js need not carry the
    /// mask past this layer's rewrite.
    pub mask_readers_unrolled: bool,
    /// Whether no layer after this one (in the same model: through the
    /// layers reading its outputs, on through those whose numbers never
    /// depend on a mask) computes with the Keras mask this layer's output
    /// carries: each such layer ignores masks or, for TF.js, is rewritten
    /// from the ids of `Embedding(mask_zero)`s (a masked
    /// `GlobalAveragePooling1D`, attention) or is a `GlobalAveragePooling1D`
    /// no Keras mask reaches (TF.js 4.22's ignores masks). Where the source
    /// and the target give the layer's output other masks but the same
    /// values (a masked merge, [`crate::Dialect::only_the_mask_differs`]),
    /// the difference then changes no number. `false` when unknown.
    pub output_mask_unread: bool,
    /// Whether every layer reading this one's outputs (through `Dropout`s)
    /// is a recurrent layer the same Keras mask reaches and that applies
    /// it, so no layer reads the values at the masked steps. `false` when
    /// unknown.
    pub masked_steps_unread: bool,
    /// Per tensor of the layer's first call (in its inbound node's order):
    /// what it is known to hold (integers, 0/1), from the dtypes and
    /// layers before it ([`super::integer_valued`]); empty when unknown.
    pub integer_inputs: Vec<Option<super::integer_valued::Kind>>,
}

/// Where a masked call's mask comes from: the ids of the
/// `Embedding(mask_zero)` call that made it, or the input and `mask_value`
/// of the `Masking` call that did ([`LayerShapes::call_mask_sources`]).
pub type CallMaskSource = (Option<Value>, Option<(Value, f64)>);

/// One layer of the saved topology, as a rule sees it.
pub struct Site<'a> {
    pub name: &'a str,
    pub class_name: &'a str,
    pub config: &'a Map<String, Value>,
    /// The functional `inbound_nodes` (`None` inside a Sequential model).
    pub inbound_nodes: Option<&'a [Value]>,
    /// Shapes of the layer's first call, when the engine knows them.
    pub shapes: Option<&'a LayerShapes>,
    /// The layer's saved weights (`<name>/…`).
    pub weights: Vec<&'a DecodedWeight>,
    /// Whether the model has layers making Keras masks (`Embedding` with
    /// `mask_zero`, `Masking`), which mask-consuming layers apply.
    pub masks_possible: bool,
    /// Whose semantics the configs follow (the topology's `keras_version`):
    /// Keras 3's `hard_sigmoid` and Keras's half-pixel bilinear
    /// `UpSampling2D` are rewritten, TensorFlow.js computing other numbers
    /// for the same config.
    pub dialect: Dialect,
    /// The runtime the rewrite writes for.
    pub target: Target,
    /// What a rule says of its replacement besides its classes (whether
    /// it computes exactly the same numbers, …): [`Site::note`].
    pub notes: &'a RefCell<Vec<String>>,
}

impl Site<'_> {
    /// Adds `note` to the note on the layer's replacement (dropped when
    /// the layer is not replaced).
    pub fn note(&self, note: impl Into<String>) {
        self.notes.borrow_mut().push(note.into());
    }

    /// The config's `key` read with `as_` (`Value::as_str`, `Value::as_i64`,
    /// …): `None` when it is absent or of another type.
    pub fn field<'s, T>(&'s self, key: &str, as_: fn(&'s Value) -> Option<T>) -> Option<T> {
        self.config.get(key).and_then(as_)
    }

    /// The layer's config with `key` set to `value`.
    pub fn config_with(&self, key: &str, value: Value) -> Value {
        let mut config = self.config.clone();
        config.insert(key.into(), value);
        Value::Object(config)
    }

    /// The layer's weight `<name>/<short>`.
    pub fn weight(&self, short: &str) -> Option<&DecodedWeight> {
        let full = format!("{}/{short}", self.name);
        self.weights.iter().copied().find(|w| w.name == full)
    }

    /// The layer's float32 weight `<name>/<short>`: its shape and values,
    /// or why not.
    pub fn f32_weight(&self, short: &str) -> std::result::Result<(&[usize], &[f32]), String> {
        let w = self
            .weight(short)
            .ok_or_else(|| format!("its weight {short} is missing"))?;
        match &w.values {
            TensorValues::Float32(v) => Ok((&w.shape, v)),
            _ => Err(format!("its weight {short} is not float32")),
        }
    }

    /// The layer's weights as the weights of `layer` (a renamed layer of
    /// its rewrite): `<name>/w` becomes `<layer>/w`.
    pub fn weights_under(&self, layer: &str) -> Vec<DecodedWeight> {
        let prefix = format!("{}/", self.name);
        self.weights
            .iter()
            .map(|w| DecodedWeight {
                name: format!(
                    "{layer}/{}",
                    w.name.strip_prefix(&prefix).unwrap_or(&w.name)
                ),
                ..(*w).clone()
            })
            .collect()
    }

    /// The static non-batch dims of the layer's first input, or why not.
    pub fn static_input(&self) -> std::result::Result<Vec<usize>, String> {
        let shape = self
            .shapes
            .and_then(|s| s.inputs.first())
            .ok_or("its input shape is unknown")?;
        shape[1..]
            .iter()
            .copied()
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| format!("its input shape {shape:?} is not static"))
    }

    /// The layer as one layer of `class_name` with `config` and `weights`,
    /// under its own name and called as before (also in a Sequential model).
    pub fn as_one(&self, class_name: &str, config: Value, weights: Vec<DecodedWeight>) -> Outcome {
        Outcome::Replace {
            layers: vec![entry(
                self.name,
                class_name,
                config,
                self.inbound_nodes
                    .map(<[Value]>::to_vec)
                    .unwrap_or_default(),
            )],
            weights,
        }
    }

    /// The layer as the identity TensorFlow.js has: a linear `Activation`
    /// under its own name, without weights.
    pub fn as_identity(&self) -> Outcome {
        self.as_one("Activation", json!({"activation": "linear"}), Vec::new())
    }

    /// When the layer is one of the `tf.*` functions `tf` (a
    /// `TFOpLambda`'s `function`, `math.abs`) or the Keras 3 operation
    /// classes `ops` (`ops.Absolute`), how errors name it (`tf.math.abs`,
    /// `keras.ops Absolute`); `None` for any other layer.
    pub fn function_named(&self, tf: &[&str], ops: &[&str]) -> Option<String> {
        if self.class_name == "TFOpLambda" {
            let f = self.field("function", Value::as_str)?;
            return tf.contains(&f).then(|| format!("tf.{f}"));
        }
        ops.contains(&self.class_name).then(|| {
            let class = self
                .class_name
                .strip_prefix("ops.")
                .unwrap_or(self.class_name);
            format!("keras.ops {class}")
        })
    }

    /// The layer's one functional call (a rewrite into several layers
    /// wires them there); `outside` says why there is none in a
    /// Sequential model.
    pub fn single_call(&self, outside: &str) -> std::result::Result<&Value, String> {
        let nodes = self.inbound_nodes.ok_or_else(|| outside.to_string())?;
        match nodes {
            [node] => Ok(node),
            _ => Err(format!(
                "the layer is called {} times; a rewrite handles one call",
                nodes.len()
            )),
        }
    }

    /// The first input `[layer, node, index, kwargs…]` of the layer's one
    /// call ([`Site::single_call`]), and that input as a fresh inbound node
    /// without the kwargs (`[[layer, node, index, {}]]`).
    pub fn first_input(&self, outside: &str) -> std::result::Result<(&[Value], Value), String> {
        let first = self
            .single_call(outside)?
            .as_array()
            .and_then(|refs| refs.first())
            .and_then(Value::as_array)
            .filter(|r| r.len() >= 3)
            .ok_or("malformed inbound node")?;
        let node = json!([[first[0], first[1], first[2], {}]]);
        Ok((first, node))
    }
}

/// What a rule makes of a layer.
pub enum Outcome {
    /// Not this rule's business.
    Skip,
    /// Replace the layer with these functional-form entries (`name`,
    /// `class_name`, `config`, `inbound_nodes`); the last one keeps the
    /// original name, so later layers still find its output. The layer's
    /// weights are replaced by `weights`.
    Replace {
        layers: Vec<Value>,
        weights: Vec<DecodedWeight>,
    },
    /// No exact rewrite exists: why.
    Cannot(String),
}

impl Outcome {
    /// Replace the layer with `layers`, which carry no weights.
    pub fn weightless(layers: Vec<Value>) -> Outcome {
        Outcome::Replace {
            layers,
            weights: Vec::new(),
        }
    }
}

/// A functional-form layer entry with `name`/`trainable` in its config.
pub fn entry(name: &str, class_name: &str, config: Value, inbound_nodes: Vec<Value>) -> Value {
    let mut config = match config {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    config.insert("name".into(), Value::String(name.into()));
    config.entry("trainable").or_insert(Value::Bool(true));
    json!({"name": name, "class_name": class_name, "config": config, "inbound_nodes": inbound_nodes})
}

/// A functional-form [`entry`] called on the (first) output of layer `from`.
pub fn entry_on(name: &str, class_name: &str, config: Value, from: &str) -> Value {
    entry_on_all(name, class_name, config, &[from])
}

/// A functional-form [`entry`] called once on the (first) outputs of the
/// layers `from`, in order.
pub fn entry_on_all(
    name: &str,
    class_name: &str,
    config: Value,
    from: &[impl AsRef<str>],
) -> Value {
    let inputs = from.iter().map(|f| json!([f.as_ref(), 0, 0, {}])).collect();
    entry(name, class_name, config, vec![Value::Array(inputs)])
}

/// A `Concatenate` entry joining the tensors `inputs` (inbound-node
/// entries `[layer, node, index, {}]`) along `axis`.
pub fn concatenate_entry(name: &str, axis: i64, inputs: Vec<Value>) -> Value {
    entry(
        name,
        "Concatenate",
        json!({ "axis": axis }),
        vec![Value::Array(inputs)],
    )
}

/// One `(name, class, config)` layer of a chain ([`chain_entries`]).
pub type Step<'a> = (String, &'a str, Value);

/// Functional-form entries for a chain of `(name, class, config)` steps,
/// the first fed by `node`, each next one by the one before.
pub fn chain_entries(node: &Value, steps: Vec<Step<'_>>) -> Vec<Value> {
    let mut layers = Vec::with_capacity(steps.len());
    let mut input = node.clone();
    for (name, class, config) in steps {
        layers.push(entry(&name, class, config, vec![input]));
        input = json!([[name, 0, 0, {}]]);
    }
    layers
}

/// Close a chain of a layer `name`'s rewrite: an `Activation` step when
/// `activation` is not `linear`, then the last step renamed to `name`
/// (later layers read its output). Returns the last step's former name.
pub fn end_chain(steps: &mut Vec<Step<'_>>, name: &str, activation: &str) -> Option<String> {
    if activation != "linear" {
        steps.push((
            format!("{name}_act"),
            "Activation",
            json!({ "activation": activation }),
        ));
    }
    steps
        .last_mut()
        .map(|last| std::mem::replace(&mut last.0, name.to_string()))
}

/// A linear `Dense` config with zero initializers (its weights are written
/// with the rewrite).
pub fn zero_dense(units: usize, use_bias: bool) -> Value {
    json!({"units": units, "activation": "linear", "use_bias": use_bias,
           "kernel_initializer": {"class_name": "Zeros", "config": {}},
           "bias_initializer": {"class_name": "Zeros", "config": {}},
           "kernel_regularizer": null, "bias_regularizer": null,
           "activity_regularizer": null, "kernel_constraint": null,
           "bias_constraint": null})
}

/// A float32 weight.
pub fn f32_weight(name: String, shape: Vec<usize>, values: Vec<f32>) -> DecodedWeight {
    DecodedWeight {
        name,
        shape,
        values: tfjs_format::codec::TensorValues::Float32(values),
        group: None,
    }
}

/// Keras's mask of an `Embedding(mask_zero)`, `ids != 0`, as 0 / 1 floats
/// from its `ids` (a tensor reference): `Rescaling(1, 0)` (TF.js casts the
/// integer ids to float) named `<mask>_ids`, then `ReLU(max_value=1)`
/// named `mask` (`min(relu(ids), 1)`, exact for the non-negative integer
/// ids an Embedding takes).
/// The entries computing, as `mask` (`[batch, T, 1]`), the 0/1 mask a
/// Keras `Masking(mask_value = v)` makes of `x` (`[batch, T, F]`): a step
/// is kept when any feature differs from `v`. `|x − v|`
/// ([`super::absolute::abs_chain`]), summed over the features by a bias-free `Dense` of ones
/// (a sum of non-negative terms is 0 exactly when every term is), then
/// `min(2^126 · sum, 1)`: exact for finite inputs whose differences from
/// `v` are 0 or at least 2^-126 (not subnormal). Returns the entries and
/// the `Dense`'s kernel.
pub fn mask_from_masking(
    mask: &str,
    x: &Value,
    mask_value: f64,
    features: usize,
) -> (Vec<Value>, DecodedWeight) {
    let n = |part: &str| format!("{mask}_{part}");
    let mut entries = vec![entry(
        &n("d"),
        "Rescaling",
        json!({"scale": 1.0, "offset": -mask_value}),
        vec![json!([x])],
    )];
    entries.extend(super::absolute::abs_chain(
        &n("abs"),
        json!([[n("d"), 0, 0, {}]]),
    ));
    entries.extend([
        entry_on(&n("sum"), "Dense", zero_dense(1, false), &n("abs")),
        entry_on(
            &n("big"),
            "Rescaling",
            json!({"scale": 2f64.powi(126), "offset": 0.0}),
            &n("sum"),
        ),
        entry_on(
            mask,
            "ReLU",
            json!({"max_value": 1.0, "negative_slope": 0.0, "threshold": 0.0}),
            &n("big"),
        ),
    ]);
    let kernel = f32_weight(
        format!("{}/kernel", n("sum")),
        vec![features, 1],
        vec![1.0; features],
    );
    (entries, kernel)
}

pub fn mask_from_ids(mask: &str, ids: &Value) -> [Value; 2] {
    let as_float = format!("{mask}_ids");
    [
        entry(
            &as_float,
            "Rescaling",
            json!({"scale": 1.0, "offset": 0.0}),
            vec![json!([ids])],
        ),
        entry_on(
            mask,
            "ReLU",
            json!({"max_value": 1.0, "negative_slope": 0.0, "threshold": 0.0}),
            &as_float,
        ),
    ]
}

//! Activations TensorFlow.js 4.22 lacks, in an `Activation` layer or in a
//! layer's `activation` field.
//!
//! `hard_silu` / `hard_swish` (`x * relu6(x + 3) / 6`, MobileNetV3 in
//! Keras 3) → `Rescaling(1, 3)` → `ReLU(max_value=6)` →
//! `Rescaling(1/6)` → `Multiply` with `x`. Keras 3's `hard_sigmoid`
//! (`clip(x/6 + 0.5, 0, 1)`, written with the name TF.js reads as
//! `clip(0.2x + 0.5, 0, 1)`; see [`crate::Dialect`]) → `Rescaling(5/6)` →
//! `Activation("hard_sigmoid")`. A layer with such an `activation` is kept
//! as `<name>_linear` with a linear activation (its weights renamed),
//! followed by that chain named `<name>`. Keras 3's `glu` (halves of the
//! last axis, `a * sigmoid(b)`) → two bias-free `Dense` layers whose 0/1
//! kernels select each half (the second with a sigmoid activation) →
//! `Multiply`; exact for finite values. For TF.js, Keras 3's `hard_tanh`
//! (`clip(x, -1, 1)`) → the [`super::clip`] chain (within two float32
//! roundings) and `log_sigmoid` (TF's `-softplus(-x)`) → `Rescaling(-1)` →
//! `Activation("softplus")` → `Rescaling(-1)`. `leaky_relu` (by name, slope 0.2,
//! or a `LeakyReLU` layer object given as `activation=` with its own
//! slope, which the engine saves as that object) → `LeakyReLU(alpha)`.
//! Other activations TF.js lacks
//! (`exponential`), and these inside a recurrent cell or a wrapped layer,
//! are refused.

use super::{entry, f32_weight, zero_dense, Outcome, Site, Target};
use crate::Dialect;
use serde_json::{json, Map, Value};
use tfjs_format::codec::DecodedWeight;

// The runtimes an activation name resolves in, as bits.
const TFJS: u8 = 1;
const TF_KERAS: u8 = 2;
const KERAS3: u8 = 4;

/// Activation names and the runtimes that resolve them: TensorFlow.js 4.22
/// (it camel-cases snake_case names: `log_softmax` → `logSoftmax`),
/// tf_keras 2.21 (`tf_keras.activations.get`) and Keras 3.15
/// (`keras.activations.get`).
const ACTIVATIONS: &[(&str, u8)] = &[
    ("celu", KERAS3),
    ("elu", TFJS | TF_KERAS | KERAS3),
    ("exponential", TF_KERAS | KERAS3),
    ("gelu", TFJS | TF_KERAS | KERAS3),
    ("gelu_new", TFJS),
    // Keras 3's glu halves the last axis; neither TF.js nor tf_keras has it.
    ("glu", KERAS3),
    ("hard_shrink", KERAS3),
    ("hard_sigmoid", TFJS | TF_KERAS | KERAS3),
    ("hard_silu", KERAS3),
    ("hard_swish", KERAS3),
    ("hard_tanh", KERAS3),
    ("leaky_relu", TF_KERAS | KERAS3),
    ("linear", TFJS | TF_KERAS | KERAS3),
    ("log_sigmoid", KERAS3),
    ("log_softmax", TFJS | TF_KERAS | KERAS3),
    ("mish", TFJS | TF_KERAS | KERAS3),
    ("relu", TFJS | TF_KERAS | KERAS3),
    ("relu6", TFJS | TF_KERAS | KERAS3),
    ("selu", TFJS | TF_KERAS | KERAS3),
    ("sigmoid", TFJS | TF_KERAS | KERAS3),
    ("silu", TF_KERAS | KERAS3),
    ("soft_shrink", KERAS3),
    ("softmax", TFJS | TF_KERAS | KERAS3),
    ("softplus", TFJS | TF_KERAS | KERAS3),
    ("softsign", TFJS | TF_KERAS | KERAS3),
    ("sparse_plus", KERAS3),
    ("sparse_sigmoid", KERAS3),
    ("sparsemax", KERAS3),
    ("squareplus", KERAS3),
    ("swish", TFJS | TF_KERAS | KERAS3),
    ("tanh", TFJS | TF_KERAS | KERAS3),
    ("tanh_shrink", KERAS3),
];

impl Target {
    /// Whether the runtime resolves activation `act` by that name.
    fn knows(self, act: &str) -> bool {
        let runtime = match self {
            Target::Tfjs => TFJS,
            Target::TfKeras => TF_KERAS,
            Target::Keras3 => KERAS3,
        };
        (ACTIVATIONS.iter()).any(|&(name, runtimes)| name == act && runtimes & runtime != 0)
    }
}

/// Layers whose `activation` is applied last, to the whole output (so it
/// can move to a layer of its own).
const FINAL_ACTIVATION: &[&str] = &[
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "Dense",
    "DepthwiseConv2D",
    "SeparableConv2D",
];

/// Layers TF.js 4.22 lacks whose last step is their activation on a sum
/// of products with their kernels plus the bias, so that a `hard_sigmoid`
/// of the other meaning folds into their weights ([`fold_hard_sigmoid`]);
/// the rules after this one then rewrite the layer itself (a
/// SeparableConv1D into the SeparableConv2D it equals).
const FOLDS_HARD_SIGMOID: &[&str] = &["DepthwiseConv1D", "EinsumDense", "SeparableConv1D"];

/// An activation TensorFlow.js computes differently or not at all, with
/// an exact chain of layers it has.
#[derive(Clone, Copy, PartialEq)]
enum Rewritable {
    /// `x * relu6(x + 3) / 6`.
    HardSilu,
    /// Keras 3's `hard_sigmoid`, `clip(x/6 + 0.5, 0, 1)`: TF.js's
    /// `clip(0.2y + 0.5, 0, 1)` of `y = 5x/6`.
    Keras3HardSigmoid,
    /// TF.js's and Keras 2's `hard_sigmoid`, `clip(0.2x + 0.5, 0, 1)`:
    /// Keras 3's `clip(y/6 + 0.5, 0, 1)` of `y = 1.2x`.
    Keras2HardSigmoid,
    /// `leaky_relu` (slope 0.2 in Keras 2's `tf.nn.leaky_relu` and Keras 3's
    /// activation; a `LeakyReLU` layer object given as `activation=` is
    /// saved with its own, see [`crate::activations::Activation::to_json`]):
    /// TF.js's `LeakyReLU` layer with that slope.
    LeakyRelu(f32),
    /// Keras 3's `glu`: the halves of the last axis selected by two 0/1
    /// `Dense` kernels, `Multiply` of the first and the sigmoid of the
    /// second.
    Glu,
    /// Keras 3's `hard_tanh`, `clip(x, -1, 1)`: the [`super::clip`] chain
    /// (within two float32 roundings).
    HardTanh,
    /// Keras 3's `log_sigmoid`, TF's `-softplus(-x)`: the same three steps
    /// ([`log_sigmoid_chain`]).
    LogSigmoid,
}

/// What `act` needs in a model of `dialect` written for `target`:
/// `Ok(None)` the target computes it as the model does, `Ok(Some(_))` a
/// rewrite, `Err` neither.
/// Whether `target` computes activation `act` (as `dialect` means it)
/// itself, or why not (`Ok(false)`: it has one under that name that this
/// module rewrites).
pub(super) fn runs_as_is(act: &str, dialect: Dialect, target: Target) -> Result<bool, String> {
    classify(act, dialect, target).map(|r| r.is_none())
}

fn classify(act: &str, dialect: Dialect, target: Target) -> Result<Option<Rewritable>, String> {
    let keras3_target = target == Target::Keras3;
    match act {
        "hard_sigmoid" if dialect.keras3_hard_sigmoid() && !keras3_target => {
            Ok(Some(Rewritable::Keras3HardSigmoid))
        }
        "hard_sigmoid" if !dialect.keras3_hard_sigmoid() && keras3_target => {
            Ok(Some(Rewritable::Keras2HardSigmoid))
        }
        "hard_silu" | "hard_swish" if !keras3_target => Ok(Some(Rewritable::HardSilu)),
        "leaky_relu" if target == Target::Tfjs => Ok(Some(Rewritable::LeakyRelu(0.2))),
        "glu" if !keras3_target => Ok(Some(Rewritable::Glu)),
        "hard_tanh" if target == Target::Tfjs => Ok(Some(Rewritable::HardTanh)),
        "log_sigmoid" if target == Target::Tfjs => Ok(Some(Rewritable::LogSigmoid)),
        a if target.knows(a) => Ok(None),
        a => Err(format!(
            "{} has no {a} activation and no exact rewrite exists",
            target.name()
        )),
    }
}

/// The slope of a `LeakyReLU` layer object in an `activation` field, as
/// the engine saves a `leaky_relu` whose slope is not 0.2.
fn leaky_relu_object(v: &Value) -> Option<f32> {
    (v.get("class_name")? == "LeakyReLU")
        .then(|| v.get("config")?.get("alpha")?.as_f64())
        .flatten()
        .map(|a| a as f32)
}

/// Why an activation inside a wrapped layer or an RNN cell cannot be kept
/// (no rewrite reaches inside them), if one cannot.
fn nested_problem(config: &Map<String, Value>, dialect: Dialect, target: Target) -> Option<String> {
    let inner = ["layer", "cell", "forward_layer", "backward_layer"]
        .iter()
        .filter_map(|k| config.get(*k))
        .chain(
            config
                .get("cells")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    for v in inner {
        let Some(cfg) = v.get("config").and_then(Value::as_object) else {
            continue;
        };
        for key in ["activation", "recurrent_activation"] {
            if let Some(slope) = cfg.get(key).and_then(leaky_relu_object) {
                return Some(format!(
                    "its inner layer's {key} is a LeakyReLU with slope {slope} (no activation \
                     name has it), and a wrapped layer cannot be split"
                ));
            }
            if let Some(act) = cfg.get(key).and_then(Value::as_str) {
                if classify(act, dialect, target) != Ok(None) {
                    return Some(format!(
                        "its inner layer's {key} {act} computes other numbers in {} (or does \
                         not exist there), and a wrapped layer cannot be split",
                        target.name()
                    ));
                }
            }
        }
        if let Some(why) = nested_problem(cfg, dialect, target) {
            return Some(why);
        }
    }
    None
}

/// For a rule that rewrites a layer into others keeping its `activation`
/// (a dilated DepthwiseConv2D, a Conv2DTranspose with output_padding, a
/// grouped Conv2D, …), which runs before this one: why it cannot, when
/// the activation computes other numbers in the target (Keras 3's
/// `hard_sigmoid` in TF.js) or does not exist there. `None` when it means
/// the same there.
pub(super) fn kept_activation_problem(site: &Site<'_>) -> Option<String> {
    kept_activation_problem_in(site.config, site)
}

/// [`kept_activation_problem`] for the layer config `config` (a wrapped
/// layer's) of `site`.
pub(super) fn kept_activation_problem_in(
    config: &Map<String, Value>,
    site: &Site<'_>,
) -> Option<String> {
    let act = config.get("activation").and_then(Value::as_str)?;
    match classify(act, site.dialect, site.target) {
        Ok(None) => None,
        Ok(Some(_)) => Some(format!(
            "its activation {act} computes other numbers in {} (or does not exist there), and \
             the rewrite keeps it inside the layers it writes",
            site.target.name()
        )),
        Err(why) => Some(why),
    }
}

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let mut folded_gates = None;
    if let Some(act) = site.field("recurrent_activation", Value::as_str) {
        let class = classify(act, site.dialect, site.target);
        if let Ok(Some(kind)) = class {
            folded_gates = fold_recurrent_hard_sigmoid(site, kind);
        }
        if class != Ok(None) && folded_gates.is_none() {
            return Outcome::Cannot(format!(
                "{} has no {act} activation as this model means it (recurrent_activation){}",
                site.target.name(),
                if act == "hard_sigmoid" {
                    ": Keras 3's is x/6 + 0.5, Keras 2's and TensorFlow.js's 0.2x + 0.5"
                } else {
                    ""
                }
            ));
        }
    }
    if let Some(why) = nested_problem(site.config, site.dialect, site.target) {
        return Outcome::Cannot(why);
    }
    let own_slope = site.config.get("activation").and_then(leaky_relu_object);
    let Some(act) = site
        .field("activation", Value::as_str)
        .or(own_slope.map(|_| "leaky_relu"))
    else {
        return folded_gates.unwrap_or(Outcome::Skip);
    };
    let class = match own_slope {
        // Its own slope: a LeakyReLU layer in every target.
        Some(slope) => Ok(Some(Rewritable::LeakyRelu(slope))),
        None => classify(act, site.dialect, site.target),
    };
    let kind = match class {
        Ok(None) => return folded_gates.unwrap_or(Outcome::Skip),
        Ok(Some(_)) if folded_gates.is_some() => {
            return Outcome::Cannot(format!(
                "{} has no {act} activation as this model means it, and a {} applies it inside",
                site.target.name(),
                site.class_name
            ))
        }
        Ok(Some(kind)) => kind,
        Err(why) => return Outcome::Cannot(why),
    };
    if FOLDS_HARD_SIGMOID.contains(&site.class_name) {
        if let Some(folded) = fold_hard_sigmoid(site, kind) {
            return folded;
        }
    }
    if site.class_name != "Activation" && !FINAL_ACTIVATION.contains(&site.class_name) {
        return Outcome::Cannot(format!(
            "{} has no {act} activation as this model means it, and a {} applies it inside",
            site.target.name(),
            site.class_name
        ));
    }
    if let Some(folded) = fold_hard_sigmoid(site, kind) {
        return folded;
    }
    let node = match site.single_call(&format!(
        "the {act} activation needs several layers, which a Sequential model cannot wire"
    )) {
        Ok(node) => node,
        Err(why) => return Outcome::Cannot(why),
    };
    let name = site.name;
    let mut layers = Vec::new();
    let mut weights = Vec::new();
    let x: Value = if site.class_name == "Activation" {
        match node.as_array().map(Vec::as_slice) {
            Some([r]) => match r.as_array() {
                Some(a) if a.len() >= 3 => json!([a[0], a[1], a[2], {}]),
                _ => return Outcome::Cannot("malformed inbound node".into()),
            },
            _ => return Outcome::Cannot("expected one input".into()),
        }
    } else {
        let linear = format!("{name}_linear");
        layers.push(entry(
            &linear,
            site.class_name,
            site.config_with("activation", json!("linear")),
            vec![node.clone()],
        ));
        let prefix = format!("{name}/");
        for w in &site.weights {
            let mut w = (*w).clone();
            if let Some(rest) = w.name.strip_prefix(&prefix) {
                w.name = format!("{linear}/{rest}");
            }
            weights.push(w);
        }
        json!([linear, 0, 0, {}])
    };
    if kind == Rewritable::Glu {
        // The halves' size: the layer's output's last axis.
        let half = match site
            .shapes
            .and_then(|s| s.outputs.first())
            .and_then(|s| s.last())
        {
            Some(Some(h)) if *h > 0 => *h,
            _ => return Outcome::Cannot("glu: its output's last axis is unknown".into()),
        };
        let (glu_layers, glu_weights) = glu_chain(name, x, half);
        layers.extend(glu_layers);
        weights.extend(glu_weights);
        return Outcome::Replace { layers, weights };
    }
    layers.extend(chain(kind, name, x));
    Outcome::Replace { layers, weights }
}

/// Keras's `glu` of `x` (last axis `2 · half`): `Dense` layers without
/// bias whose 0/1 kernels select the first and the second half (each
/// output is one input times 1 plus zeros: the same value), a sigmoid on
/// the second, `Multiply`; the last named `name`.
fn glu_chain(name: &str, x: Value, half: usize) -> (Vec<Value>, Vec<DecodedWeight>) {
    let mut layers = Vec::new();
    let mut weights = Vec::new();
    let mut halves = Vec::new();
    for (k, (suffix, activation)) in [("glu_a", "linear"), ("glu_b", "sigmoid")]
        .into_iter()
        .enumerate()
    {
        let step = format!("{name}_{suffix}");
        let mut config = zero_dense(half, false);
        config["activation"] = json!(activation);
        let mut kernel = vec![0f32; 2 * half * half];
        for j in 0..half {
            kernel[(k * half + j) * half + j] = 1.0;
        }
        weights.push(f32_weight(
            format!("{step}/kernel"),
            vec![2 * half, half],
            kernel,
        ));
        layers.push(entry(&step, "Dense", config, vec![json!([x.clone()])]));
        halves.push(json!([step, 0, 0, {}]));
    }
    layers.push(entry(
        name,
        "Multiply",
        json!({}),
        vec![Value::Array(halves)],
    ));
    (layers, weights)
}

/// A `hard_sigmoid` of one meaning as the other's on a scaled input
/// (`5x/6` or `1.2x`), with the scale folded into the layer's kernel and
/// bias: the same layer, no new ones (a Keras export keeps its layer
/// order). `None` for an `Activation` layer or another activation.
fn fold_hard_sigmoid(site: &Site<'_>, kind: Rewritable) -> Option<Outcome> {
    let scale: f32 = match kind {
        Rewritable::Keras3HardSigmoid => 5.0 / 6.0,
        Rewritable::Keras2HardSigmoid => 1.2,
        Rewritable::HardSilu
        | Rewritable::LeakyRelu(_)
        | Rewritable::Glu
        | Rewritable::HardTanh
        | Rewritable::LogSigmoid => return None,
    };
    // The weights that scale the output: a separable convolution's
    // pointwise kernel (not its depthwise one), every other kernel, biases.
    let scaled = |short: &str| match short {
        "bias" | "pointwise_kernel" => true,
        "kernel" => true,
        "depthwise_kernel" => matches!(site.class_name, "DepthwiseConv1D" | "DepthwiseConv2D"),
        _ => false,
    };
    let prefix = format!("{}/", site.name);
    let mut weights = Vec::new();
    for w in &site.weights {
        let mut w = (*w).clone();
        let short = w.name.strip_prefix(&prefix).unwrap_or("");
        if scaled(short) {
            match &mut w.values {
                tfjs_format::codec::TensorValues::Float32(v) => {
                    v.iter_mut().for_each(|x| *x *= scale)
                }
                _ => {
                    return Some(Outcome::Cannot(format!(
                        "its weight {short} is not float32"
                    )))
                }
            }
        }
        weights.push(w);
    }
    if site.weights.is_empty() {
        return None;
    }
    Some(site.as_one(site.class_name, Value::Object(site.config.clone()), weights))
}

/// A recurrent layer's `hard_sigmoid` gates of one meaning as the other's
/// on a scaled pre-activation (`5x/6` or `1.2x`): the gates'
/// pre-activation is `x·W + h·U + b` per gate, so the scale folds into
/// their columns of the kernel, recurrent kernel and bias (Keras's gate
/// order: LSTM / ConvLSTM `[i, f, c, o]`, GRU `[z, r, h]`; the candidate
/// uses `activation` and is left alone). `None` for other layers, for
/// weights of another layout, or another activation.
fn fold_recurrent_hard_sigmoid(site: &Site<'_>, kind: Rewritable) -> Option<Outcome> {
    let scale: f32 = match kind {
        Rewritable::Keras3HardSigmoid => 5.0 / 6.0,
        Rewritable::Keras2HardSigmoid => 1.2,
        Rewritable::HardSilu
        | Rewritable::LeakyRelu(_)
        | Rewritable::Glu
        | Rewritable::HardTanh
        | Rewritable::LogSigmoid => return None,
    };
    let (gates, units_key): (&[usize], &str) = match site.class_name {
        "LSTM" => (&[0, 1, 3], "units"),
        "ConvLSTM1D" | "ConvLSTM2D" | "ConvLSTM3D" => (&[0, 1, 3], "filters"),
        "GRU" => (&[0, 1], "units"),
        _ => return None,
    };
    let per_gate = site.config.get(units_key).and_then(Value::as_u64)? as usize;
    let blocks = if site.class_name == "GRU" { 3 } else { 4 };
    let mut weights = Vec::new();
    for w in &site.weights {
        let mut w = (*w).clone();
        let short = w.name.rsplit('/').next().unwrap_or("");
        if matches!(short, "kernel" | "recurrent_kernel" | "bias") {
            if w.shape.last() != Some(&(per_gate * blocks)) || per_gate == 0 {
                return None;
            }
            let tfjs_format::codec::TensorValues::Float32(v) = &mut w.values else {
                return None;
            };
            for (j, x) in v.iter_mut().enumerate() {
                if gates.contains(&((j % (per_gate * blocks)) / per_gate)) {
                    *x *= scale;
                }
            }
        }
        weights.push(w);
    }
    Some(site.as_one(site.class_name, Value::Object(site.config.clone()), weights))
}

/// The layers computing `kind` of tensor `x`, the last one named `name`.
fn chain(kind: Rewritable, name: &str, x: Value) -> Vec<Value> {
    let step = |suffix: &str| format!("{name}_{suffix}");
    let r = |n: String| json!([n, 0, 0, {}]);
    match kind {
        Rewritable::HardSilu => vec![
            entry(
                &step("plus3"),
                "Rescaling",
                json!({"scale": 1.0, "offset": 3.0}),
                vec![json!([x.clone()])],
            ),
            entry(
                &step("relu6"),
                "ReLU",
                json!({"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}),
                vec![json!([r(step("plus3"))])],
            ),
            entry(
                &step("div6"),
                "Rescaling",
                json!({"scale": 1.0 / 6.0, "offset": 0.0}),
                vec![json!([r(step("relu6"))])],
            ),
            entry(
                name,
                "Multiply",
                json!({}),
                vec![json!([x, r(step("div6"))])],
            ),
        ],
        Rewritable::Glu => unreachable!("glu_chain builds it"),
        Rewritable::HardTanh => super::clip::bounded(name, x, Some(-1.0), Some(1.0))
            .expect("constant finite bounds in order"),
        Rewritable::LogSigmoid => log_sigmoid_chain(name, x),
        Rewritable::LeakyRelu(slope) => vec![entry(
            name,
            "LeakyReLU",
            json!({ "alpha": slope }),
            vec![json!([x])],
        )],
        Rewritable::Keras3HardSigmoid | Rewritable::Keras2HardSigmoid => vec![
            entry(
                &step("scale"),
                "Rescaling",
                json!({"scale": if kind == Rewritable::Keras3HardSigmoid { 5.0 / 6.0 } else { 1.2 },
                       "offset": 0.0}),
                vec![json!([x])],
            ),
            entry(
                name,
                "Activation",
                json!({"activation": "hard_sigmoid"}),
                vec![json!([r(step("scale"))])],
            ),
        ],
    }
}

/// `log_sigmoid(x)` of the tensor entry `x` as TF computes it,
/// `-softplus(-x)`: `Rescaling(-1)`, `Activation("softplus")`,
/// `Rescaling(-1)` (the negations are exact; TF.js's softplus is TF's
/// formula within the rounding of `exp` / `log`), the last named `name`.
pub(super) fn log_sigmoid_chain(name: &str, x: Value) -> Vec<Value> {
    let (neg, soft) = (format!("{name}_neg"), format!("{name}_softplus"));
    let negate = json!({"scale": -1.0, "offset": 0.0});
    vec![
        entry(&neg, "Rescaling", negate.clone(), vec![json!([x])]),
        super::entry_on(&soft, "Activation", json!({"activation": "softplus"}), &neg),
        super::entry_on(name, "Rescaling", negate, &soft),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::rewrite_for_tfjs;
    use super::super::test_util::*;

    #[test]
    fn hard_silu_becomes_rescaling_relu6_multiply() {
        let layers = vec![
            entry_on(
                "conv",
                "Conv2D",
                json!({"filters": 4, "kernel_size": 1, "activation": "hard_silu"}),
                "x",
            ),
            entry_on(
                "act",
                "Activation",
                json!({"activation": "hard_swish"}),
                "conv",
            ),
        ];
        assert_rewrites(
            &[2, 3, 3, 2],
            layers,
            5,
            1e-6,
            "conv (Conv2D) -> Conv2D + Rescaling",
        );
    }

    /// Keras 3's `hard_tanh` (`clip(x, -1, 1)`) and `log_sigmoid`
    /// (`-softplus(-x)`) as a layer's activation and an `Activation`.
    #[test]
    fn hard_tanh_and_log_sigmoid_become_layer_chains() {
        for (act, note) in [
            (
                "hard_tanh",
                "d (Dense) -> Dense + Rescaling + ReLU + Rescaling",
            ),
            (
                "log_sigmoid",
                "d (Dense) -> Dense + Rescaling + Activation + Rescaling",
            ),
        ] {
            assert_rewrites_from(
                Some("3.15.0"),
                &[2, 3],
                dense_then_activation(act),
                5,
                1e-6,
                note,
            );
        }
    }

    /// `Dense(4, activation=act)` then `Activation(act)`.
    fn dense_then_activation(act: &str) -> Vec<serde_json::Value> {
        vec![
            entry_on("d", "Dense", json!({"units": 4, "activation": act}), "x"),
            entry_on("act", "Activation", json!({"activation": act}), "d"),
        ]
    }

    #[test]
    fn a_folded_layer_tfjs_lacks_goes_on_to_its_own_rewrite() {
        // Keras 3's hard_sigmoid folds into the weights in place; the rules
        // after this one then write the layer as layers TF.js has
        // (`assert_same` checks that only TF.js classes are left).
        for layer in [
            json!({"filters": 2, "kernel_size": 3, "padding": "same",
                   "recurrent_activation": "hard_sigmoid"}),
            json!({"filters": 2, "kernel_size": 2, "activation": "hard_sigmoid"}),
            json!({"kernel_size": 2, "depth_multiplier": 2, "activation": "hard_sigmoid"}),
        ] {
            let (class, shape): (&str, &[usize]) = if layer.get("recurrent_activation").is_some() {
                ("ConvLSTM1D", &[3, 5, 2])
            } else if layer.get("depth_multiplier").is_some() {
                ("DepthwiseConv1D", &[5, 2])
            } else {
                ("SeparableConv1D", &[5, 2])
            };
            let layers = vec![entry_on("l", class, layer, "x")];
            let model = functional_from(shape, layers, 9, Some("3.15.1"));
            let batch: Vec<usize> = std::iter::once(2).chain(shape.iter().copied()).collect();
            assert_same(&model, &input(&batch), 1e-5);
        }
    }

    #[test]
    fn an_activation_kept_inside_other_layers_must_mean_the_same_there() {
        // The output_padding / dilation / groups / SpectralNormalization
        // rewrites run before this rule and copy the activation into the
        // layers they write.
        let hs = "hard_sigmoid";
        for (class, config) in [
            (
                "Conv2DTranspose",
                json!({"filters": 1, "kernel_size": 2, "strides": 2, "output_padding": 1,
                       "activation": hs}),
            ),
            (
                "DepthwiseConv2D",
                json!({"kernel_size": 2, "dilation_rate": 2, "activation": hs}),
            ),
            (
                "Conv2D",
                json!({"filters": 2, "kernel_size": 2, "groups": 2, "activation": hs}),
            ),
            (
                "SpectralNormalization",
                json!({"power_iterations": 1, "layer": {"class_name": "Dense",
                       "config": {"units": 2, "activation": hs}}}),
            ),
        ] {
            let layers = vec![entry_on("l", class, config, "x")];
            let model = functional_from(&[4, 4, 2], layers, 9, Some("3.15.1"));
            assert_refused(
                &model,
                &["`l`", "activation hard_sigmoid computes other numbers"],
            );
        }
    }

    #[test]
    fn keras3_hard_sigmoid_becomes_rescaling_and_tfjs_hard_sigmoid() {
        let layers = || dense_then_activation("hard_sigmoid");
        let keras3 = functional_from(&[3], layers(), 5, Some("3.15.1"));
        let out = assert_same(&keras3, &input(&[4, 3]), 1e-6);
        // The scale folds into the Dense's kernel and bias.
        assert!(
            out.notes.iter().any(|n| n == "d (Dense) -> Dense"),
            "{:?}",
            out.notes
        );
        assert_note(&out, "act (Activation) -> Rescaling + Activation");
        let topology = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(topology["keras_version"], "tfjs-layers 4.22.0");
        // Keras 2 and TF.js mean TF.js's hard_sigmoid: nothing to rewrite.
        for version in [Some("2.21.0"), None] {
            let model = functional_from(&[3], layers(), 5, version);
            let out = rewrite_for_tfjs(&model).unwrap();
            assert!(out.notes.is_empty(), "{:?}", out.notes);
        }
    }

    #[test]
    fn leaky_relu_activation_becomes_a_leaky_relu_layer() {
        let layers = dense_then_activation("leaky_relu");
        assert_rewrites_from(
            Some("3.15.1"),
            &[4, 3],
            layers,
            7,
            1e-6,
            "act (Activation) -> LeakyReLU",
        );
    }

    #[test]
    fn leaky_relu_object_with_its_own_slope_becomes_a_leaky_relu_layer() {
        // Dense(activation=LeakyReLU(0.1)) as Keras saves it.
        let leaky = json!({"module": "keras.layers", "class_name": "LeakyReLU",
                           "config": {"name": "leaky_re_lu", "alpha": 0.1}});
        let layers = vec![entry_on(
            "d",
            "Dense",
            json!({"units": 4, "activation": leaky}),
            "x",
        )];
        let model = functional_from(&[3], layers, 7, Some("2.21.0"));
        let out = assert_same(&model, &input(&[4, 3]), 1e-6);
        assert_note(&out, "d (Dense) -> Dense + LeakyReLU");
        let topology = out.artifacts.model_topology.as_ref().unwrap();
        let text = topology.to_string();
        assert!(text.contains("\"alpha\":0.1"), "{text}");
    }

    #[test]
    fn recurrent_hard_sigmoid_gates_fold_their_scale_into_the_weights() {
        // Keras 3's hard_sigmoid gates, for TF.js (whose is Keras 2's); a
        // reset_after GRU is unrolled (`gru_unroll`, which folds them too).
        for (class, extra, note) in [
            ("LSTM", json!({}), "rnn (LSTM) -> LSTM"),
            ("GRU", json!({"reset_after": true}), "4 time steps unrolled"),
            ("GRU", json!({"reset_after": false}), "rnn (GRU) -> GRU"),
        ] {
            let mut config = json!({"units": 3, "recurrent_activation": "hard_sigmoid",
                                    "return_sequences": true});
            config
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            let layers = vec![entry_on("rnn", class, config, "x")];
            assert_rewrites_from(Some("3.15.1"), &[2, 4, 2], layers, 5, 1e-5, note);
        }
    }

    #[test]
    fn activations_tfjs_lacks_are_refused() {
        // (case, Keras version, x shape, layers, what the refusal says)
        let cases = [
            (
                "Keras 3's hard_sigmoid in a cell or a wrapper",
                Some("3.15.1"),
                vec![4, 3],
                chain(
                    "x",
                    json!([
                        ["lstm", "SimpleRNN", {"units": 2, "activation": "hard_sigmoid",
                                               "return_sequences": true}],
                        ["td", "TimeDistributed", {"layer": {"class_name": "Dense",
                                 "config": {"units": 2, "activation": "hard_sigmoid"}}}]
                    ]),
                ),
                vec![
                    "`lstm` (SimpleRNN): TensorFlow.js 4.22 has no hard_sigmoid activation \
                     as this model means it, and a SimpleRNN applies it inside",
                    "`td` (TimeDistributed): its inner layer's activation",
                ],
            ),
            (
                "an activation without a rewrite",
                None,
                vec![3],
                chain(
                    "x",
                    json!([["e", "Dense", {"units": 2, "activation": "exponential"}]]),
                ),
                vec!["`e` (Dense): TensorFlow.js 4.22 has no exponential activation"],
            ),
        ];
        for (case, version, shape, layers, parts) in cases {
            eprintln!("case: {case}");
            let model = functional_from(&shape, layers, 5, version);
            assert_refused(&model, &parts);
        }
    }
}

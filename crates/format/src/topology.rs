//! The one topology walker: what layers a `modelTopology` holds (TF.js
//! form or the converter's Keras 2/3 `{"model_config": …}` wrapper,
//! nested models and wrapped layers included), Keras 3 weight-path names,
//! and which manifest weights name no layer. Used by `tfjs verify`,
//! `tfjs info` and the server's catalog (`server/src/catalog.rs`);
//! `tfjs-layers` (`layers/src/topology.rs`) parses topologies into layer
//! specs with its own error reporting.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// One layer found while walking a topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// `config.name` (or the layer's `name`).
    pub name: Option<String>,
    /// `class_name`.
    pub class_name: String,
    /// 0 for the model's own layers, 1 inside a nested model, …
    pub depth: usize,
}

/// What a topology holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topology {
    /// `Sequential`, `Model` or `Functional` (the root `class_name`).
    pub model_class: Option<String>,
    /// The model's name, when given.
    pub model_name: Option<String>,
    /// `keras_version`.
    pub keras_version: Option<String>,
    /// `backend`.
    pub backend: Option<String>,
    /// Every layer, pre-order, nested models and wrapped layers included
    /// (the nested model or wrapper itself, then its layers one level
    /// deeper).
    pub layers: Vec<LayerInfo>,
    /// Keras 3 `.keras` weight-path names of the top-level layers
    /// (`conv2d`, `conv2d_1`, `batch_normalization`, …).
    pub keras3_paths: BTreeSet<String>,
}

/// Keras's `to_snake_case` (`BatchNormalization` → `batch_normalization`,
/// `ReLU` → `re_lu`, `Conv2D` → `conv2d`): the name Keras 3 saves a layer's
/// variables and assets under in a `.keras` file (`layers/<this>[_<n>]`).
/// Drop non-word characters, `(.)([A-Z][a-z]+)` → `\1_\2`, then
/// `([a-z])([A-Z])` → `\1_\2`, lowercased. Unlike TensorFlow.js's
/// `toSnakeCase`, a digit does not end a word: `ConvLSTM2D` → `conv_lstm2d`
/// (TF.js: `conv_lst_m2d`).
///
/// ```
/// use tfjs_format::topology::snake_case;
/// assert_eq!(snake_case("Conv2D"), "conv2d");
/// assert_eq!(snake_case("BatchNormalization"), "batch_normalization");
/// assert_eq!(snake_case("ReLU"), "re_lu");
/// assert_eq!(snake_case("GlobalAveragePooling2D"), "global_average_pooling2d");
/// assert_eq!(snake_case("DepthwiseConv2D"), "depthwise_conv2d");
/// ```
pub fn snake_case(name: &str) -> String {
    let c: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let mut s1 = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let upper_lower = |k: usize| {
            c.get(k).is_some_and(char::is_ascii_uppercase)
                && c.get(k + 1).is_some_and(char::is_ascii_lowercase)
        };
        if upper_lower(i + 1) {
            s1.extend([c[i], '_', c[i + 1]]);
            i += 2;
            while c.get(i).is_some_and(char::is_ascii_lowercase) {
                s1.push(c[i]);
                i += 1;
            }
        } else {
            s1.push(c[i]);
            i += 1;
        }
    }
    let mut out = String::new();
    for (k, &ch) in s1.iter().enumerate() {
        if k > 0 && ch.is_ascii_uppercase() && s1[k - 1].is_ascii_lowercase() {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// The name Keras 3 saves a layer of class `class` under in a `.keras`
/// file's weights (`layers/<name>`, `_1`, `_2`, … for later ones): the
/// snake case of its Python class, which for `GroupQueryAttention` is not
/// the name its config gives (`GroupedQueryAttention`).
pub fn keras3_path_name(class: &str) -> String {
    snake_case(match class {
        "GroupQueryAttention" => "GroupedQueryAttention",
        other => other,
    })
}

/// The kwarg under which a Keras 2 call's list first argument mixing
/// tensors and constants (`tf.ones([tf.shape(x)[0], 1, 8])`, written
/// element by element with `["_CONSTANT_VALUE", -1, 1, {}]` for each
/// constant) reaches a layer: the list, tensors as `[layer, node, tensor]`.
pub const FIRST_ARG_KWARG: &str = "_first_arg";

/// `["layer", node, tensor]`: a tensor reference in a Keras 2 call.
pub fn is_tensor_ref(v: &Value) -> bool {
    matches!(v.as_array(), Some(a) if a.len() == 3
        && a[0].is_string() && a[1].is_u64() && a[2].is_u64())
}

/// The tensor references in a Keras 2 call's kwargs, at any depth (a size
/// computed at run time sits inside a list, `{"shape": [["getitem", 0,
/// 0], -1, 4]}`, or a slice, `{"stop": ["floor_div", 0, 0]}`), depth first
/// in key order: the extra inputs of the call, in the order its layer
/// reads them. Keys starting with `_` (the engine's own: `_args` repeats a
/// Keras 3 call's positional tensors) are skipped, except
/// [`FIRST_ARG_KWARG`].
pub fn kwarg_tensor_refs<'a>(
    kwargs: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> Vec<&'a Value> {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        if is_tensor_ref(v) {
            out.push(v);
            return;
        }
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in kwargs {
        if !k.starts_with('_') || k == FIRST_ARG_KWARG {
            walk(v, &mut out);
        }
    }
    out
}

/// A layer entry's name: its `name` (as functional configs give it), else
/// its `config.name`.
pub fn layer_entry_name(entry: &Value) -> Option<&str> {
    entry
        .get("name")
        .or_else(|| entry.get("config").and_then(|c| c.get("name")))
        .and_then(Value::as_str)
}

/// The input lists of a functional layer entry's calls, call by call
/// (its `inbound_nodes` as Keras 2 and TensorFlow.js write them: lists of
/// `[layer, node, index, kwargs]`).
pub fn entry_calls(entry: &Value) -> impl Iterator<Item = &Vec<Value>> {
    entry
        .get("inbound_nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
}

/// The layers whose inputs after the first are initial states
/// (`initial_state=` in Keras 3, positional after the sequence in Keras 2's
/// and TensorFlow.js's node lists).
pub const RECURRENT_CLASSES: &[&str] = &[
    "LSTM",
    "GRU",
    "SimpleRNN",
    "RNN",
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
];

/// A layer entry's `class_name` (`""` when it has none).
pub fn layer_entry_class(entry: &Value) -> &str {
    entry
        .get("class_name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Kahn's algorithm over `deps` (node `i` reads the output of every node in
/// `deps[i]`, each below `deps.len()`), the smallest ready index first so
/// that an acyclic list already in order keeps it. Returns the order and
/// the nodes left out because they wait on a cycle (empty when none).
pub fn topological_order(deps: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
    let n = deps.len();
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (id, d) in deps.iter().enumerate() {
        for &p in d {
            users[p].push(id);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(id) = ready.pop_first() {
        order.push(id);
        for &u in &users[id] {
            waiting[u] -= 1;
            if waiting[u] == 0 {
                ready.insert(u);
            }
        }
    }
    let stuck = (0..n).filter(|&i| waiting[i] > 0).collect();
    (order, stuck)
}

/// Whether a layer entry is a nested model (`Sequential`, `Functional`,
/// `Model`): a container of layers with its own topology, unlike a layer
/// whose config merely lists layers (Keras 3's `Pipeline`).
pub fn is_model_entry(entry: &Value) -> bool {
    is_model_class(layer_entry_class(entry)) && entry.pointer("/config/layers").is_some()
}

/// Whether `c` is a model class (`Sequential`, `Functional`, `Model`).
pub fn is_model_class(c: &str) -> bool {
    matches!(c, "Sequential" | "Model" | "Functional")
}

/// Walk a `modelTopology` (TF.js form, or the converter's Keras 2/3
/// `{"model_config": …}` wrapper), nested models included.
pub fn walk_topology(topology: &Value) -> Topology {
    let mut t = Topology {
        keras_version: topology
            .get("keras_version")
            .and_then(Value::as_str)
            .map(String::from),
        backend: topology
            .get("backend")
            .and_then(Value::as_str)
            .map(String::from),
        ..Default::default()
    };
    let model = topology.get("model_config").unwrap_or(topology);
    t.model_class = model
        .get("class_name")
        .and_then(Value::as_str)
        .map(String::from);
    t.model_name = model
        .get("config")
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .map(String::from);
    walk_layers(model, 0, &mut t.layers, 0);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for l in t.layers.iter().filter(|l| l.depth == 0) {
        let base = keras3_path_name(&l.class_name);
        let n = counts.entry(base.clone()).or_default();
        t.keras3_paths.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}_{n}")
        });
        *n += 1;
    }
    t
}

fn model_layers(model: &Value) -> Option<&Vec<Value>> {
    let config = model.get("config")?;
    config
        .as_array()
        .or_else(|| config.get("layers").and_then(Value::as_array))
}

fn walk_layers(model: &Value, depth: usize, out: &mut Vec<LayerInfo>, guard: usize) {
    if guard > 64 {
        return; // absurd nesting: stop rather than overflow the stack
    }
    let Some(layers) = model_layers(model) else {
        return;
    };
    for layer in layers {
        let class_name = match layer_entry_class(layer) {
            "" => "?".to_string(),
            c => c.to_string(),
        };
        let name = layer_entry_name(layer).map(String::from);
        let nested = is_model_class(&class_name) || model_layers(layer).is_some();
        out.push(LayerInfo {
            name,
            class_name,
            depth,
        });
        if nested {
            walk_layers(layer, depth + 1, out, guard + 1);
        }
        // Wrappers (Bidirectional, TimeDistributed) hold their layer in
        // `config.layer`.
        if let Some(inner) = layer.get("config").and_then(|c| c.get("layer")) {
            if inner.get("class_name").is_some() {
                walk_layers(
                    &serde_json::json!({"config": {"layers": [inner]}}),
                    depth + 1,
                    out,
                    guard + 1,
                );
            }
        }
    }
}

/// Manifest weight names whose layer the topology does not mention.
/// `dense_1/kernel` needs a layer `dense_1` (at any depth);
/// Keras 3 `layers/conv2d_1/vars/0` needs a top-level layer whose class and
/// position give `conv2d_1`. Optimizer weights (`group: "optimizer"`) are
/// skipped.
pub fn unknown_layer_weights<'a>(
    topology: &Topology,
    specs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Vec<(String, String)> {
    let names: BTreeSet<&str> = topology
        .layers
        .iter()
        .filter_map(|l| l.name.as_deref())
        .collect();
    let mut out = vec![];
    for (weight, group) in specs {
        if group == Some("optimizer") {
            continue;
        }
        let mut segs = weight.split('/');
        let first = segs.next().unwrap_or("");
        if first == "layers" && !names.contains("layers") {
            let second = segs.next().unwrap_or("");
            if !topology.keras3_paths.contains(second) {
                out.push((weight.to_string(), format!("layers/{second}")));
            }
        } else if !names.contains(first) {
            out.push((weight.to_string(), first.to_string()));
        }
    }
    out
}

/// Keras's random augmentation layers that are the identity at inference
/// (checked in Keras 3.15: `model.predict` returns the input unchanged).
/// `RandomWidth` is TensorFlow.js's too, which resizes even at inference.
pub const INFERENCE_IDENTITY_LAYERS: &[&str] = &[
    "RandomWidth",
    "RandomHeight",
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomContrast",
    "RandomBrightness",
    // Keras 3's newer ones.
    "AugMix",
    "CutMix",
    "MixUp",
    "RandAugment",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "Solarization",
    // Not random, but the identity on an image tensor at inference too:
    // `Equalization` equalizes only when training, `MaxNumBoundingBoxes`
    // pads and cuts only the boxes of a dict input.
    "Equalization",
    "MaxNumBoundingBoxes",
];

/// A Keras 3 operation (`keras.ops.*` on Keras tensors, saved among a
/// functional model's `layers`), as one row of [`KERAS3_OPERATIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keras3Operation {
    /// Its class (`Add`; the engine's class is `ops.Add`).
    pub class: &'static str,
    /// The module Keras 3 saves it under (`keras.src.ops.numpy`).
    pub module: &'static str,
    /// Its own arguments include `dtype`, so its config has one, like a
    /// layer's: `ops.zeros_like(x, dtype="bool")`, `ops.convert_to_tensor(x,
    /// dtype=None)` (Keras 3 writes both for the mask a merge layer computes).
    pub dtype_argument: bool,
    /// The layers engine computes it; the others are written only by the
    /// Keras export, for a `tf.*` function of a Keras 2 model.
    pub computed: bool,
}

const NUMPY: &str = "keras.src.ops.numpy";
const NN: &str = "keras.src.ops.nn";
const MATH: &str = "keras.src.ops.math";
const LINALG: &str = "keras.src.ops.linalg";
const CORE: &str = "keras.src.ops.core";
const IMAGE: &str = "keras.src.ops.image";
const EINOPS: &str = "keras.src.ops.einops";

const fn op(
    class: &'static str,
    module: &'static str,
    dtype_argument: bool,
    computed: bool,
) -> Keras3Operation {
    Keras3Operation {
        class,
        module,
        dtype_argument,
        computed,
    }
}

/// Every Keras 3 operation this project reads or writes: the engine
/// registers the computed ones, the Keras export takes each one's module
/// from here, and [`is_keras3_operation`] its `dtype` argument.
/// (`Swish` and `HardSwish` are older names of `Silu` and `HardSilu`.)
pub const KERAS3_OPERATIONS: &[Keras3Operation] = &[
    op("Add", NUMPY, false, true),
    op("Subtract", NUMPY, false, true),
    op("Multiply", NUMPY, false, true),
    op("TrueDivide", NUMPY, false, true),
    op("Divide", NUMPY, false, true),
    op("Maximum", NUMPY, false, true),
    op("Minimum", NUMPY, false, true),
    op("Power", NUMPY, false, true),
    op("Mod", NUMPY, false, true),
    op("NotEqual", NUMPY, false, true),
    op("Equal", NUMPY, false, true),
    op("Greater", NUMPY, false, true),
    op("GreaterEqual", NUMPY, false, true),
    op("Less", NUMPY, false, true),
    op("LessEqual", NUMPY, false, true),
    op("LogicalOr", NUMPY, false, true),
    op("LogicalAnd", NUMPY, false, true),
    op("LogicalNot", NUMPY, false, true),
    op("Tanh", NUMPY, false, true),
    op("Exp", NUMPY, false, true),
    op("Log", NUMPY, false, true),
    op("Log1p", NUMPY, false, true),
    op("Abs", NUMPY, false, true),
    op("Absolute", NUMPY, false, true),
    op("Negative", NUMPY, false, true),
    op("Sqrt", NUMPY, false, true),
    op("Square", NUMPY, false, true),
    op("Floor", NUMPY, false, true),
    op("Ceil", NUMPY, false, true),
    op("Round", NUMPY, false, true),
    op("Sign", NUMPY, false, true),
    op("Arctan", NUMPY, false, true),
    op("Arctan2", NUMPY, false, true),
    op("Hypot", NUMPY, false, true),
    op("Sin", NUMPY, false, true),
    op("Cos", NUMPY, false, true),
    op("Reciprocal", NUMPY, false, true),
    op("Mean", NUMPY, false, true),
    op("Max", NUMPY, false, true),
    op("Min", NUMPY, false, true),
    op("Sum", NUMPY, false, true),
    op("Prod", NUMPY, true, true),
    op("Any", NUMPY, false, true),
    op("All", NUMPY, false, true),
    op("Var", NUMPY, false, true),
    op("Std", NUMPY, false, true),
    op("Argmax", NUMPY, false, true),
    op("Transpose", NUMPY, false, true),
    op("Reshape", NUMPY, false, true),
    op("Concatenate", NUMPY, false, true),
    op("Stack", NUMPY, false, true),
    op("Split", NUMPY, false, true),
    op("Matmul", NUMPY, false, true),
    op("Einsum", NUMPY, false, true),
    op("Tensordot", NUMPY, false, true),
    op("GetItem", NUMPY, false, true),
    op("ExpandDims", NUMPY, false, true),
    op("Squeeze", NUMPY, false, true),
    op("Flip", NUMPY, false, true),
    op("Roll", NUMPY, false, true),
    op("Pad", NUMPY, false, true),
    op("Tile", NUMPY, false, true),
    op("Repeat", NUMPY, false, true),
    op("Clip", NUMPY, false, true),
    op("Where", NUMPY, false, true),
    op("Take", NUMPY, false, true),
    op("Bincount", NUMPY, false, true),
    op("UnravelIndex", NUMPY, false, true),
    op("ZerosLike", NUMPY, true, true),
    op("OnesLike", NUMPY, true, true),
    op("Cumsum", NUMPY, true, true),
    op("Sort", NUMPY, false, true),
    op("Argsort", NUMPY, false, true),
    op("TakeAlongAxis", NUMPY, false, true),
    op("Moveaxis", NUMPY, false, true),
    op("Swapaxes", NUMPY, false, true),
    op("Argmin", NUMPY, false, true),
    op("NanToNum", NUMPY, false, true),
    op("Average", NUMPY, false, true),
    op("Expm1", NUMPY, false, true),
    op("Log2", NUMPY, false, true),
    op("Log10", NUMPY, false, true),
    op("Sinh", NUMPY, false, true),
    op("Cosh", NUMPY, false, true),
    op("Tan", NUMPY, false, true),
    op("Arcsin", NUMPY, false, true),
    op("Arccos", NUMPY, false, true),
    op("Arcsinh", NUMPY, false, true),
    op("Arccosh", NUMPY, false, true),
    op("Arctanh", NUMPY, false, true),
    op("Cbrt", NUMPY, false, true),
    op("Exp2", NUMPY, false, true),
    op("Signbit", NUMPY, false, true),
    op("Heaviside", NUMPY, false, true),
    op("Deg2rad", NUMPY, false, true),
    op("Rad2deg", NUMPY, false, true),
    op("Diff", NUMPY, false, true),
    op("FloorDivide", NUMPY, false, true),
    op("Logaddexp", NUMPY, false, true),
    op("Tril", NUMPY, false, true),
    op("Triu", NUMPY, false, true),
    op("FullLike", NUMPY, true, true),
    op("Cumprod", NUMPY, true, true),
    op("CountNonzero", NUMPY, false, true),
    op("Median", NUMPY, false, true),
    op("Quantile", NUMPY, false, true),
    op("Diagonal", NUMPY, false, true),
    op("Trunc", NUMPY, false, true),
    op("Isnan", NUMPY, false, true),
    op("Isinf", NUMPY, false, true),
    op("Isfinite", NUMPY, false, true),
    op("LogicalXor", NUMPY, false, true),
    op("Amax", NUMPY, false, true),
    op("Amin", NUMPY, false, true),
    op("Outer", NUMPY, false, true),
    op("Cross", NUMPY, false, true),
    op("Dot", NUMPY, false, true),
    op("Trace", NUMPY, false, true),
    op("BroadcastTo", NUMPY, false, true),
    op("Digitize", NUMPY, false, true),
    op("Relu", NN, false, true),
    op("Relu6", NN, false, true),
    op("Sigmoid", NN, false, true),
    op("Silu", NN, false, true),
    op("Swish", NN, false, true),
    op("Softplus", NN, false, true),
    op("Softsign", NN, false, true),
    op("Elu", NN, false, true),
    op("Selu", NN, false, true),
    op("Gelu", NN, false, true),
    op("HardSigmoid", NN, false, true),
    op("HardSilu", NN, false, true),
    op("HardSwish", NN, false, true),
    op("HardTanh", NN, false, true),
    op("LogSigmoid", NN, false, true),
    op("Softmax", NN, false, true),
    op("Celu", NN, false, true),
    op("SoftShrink", NN, false, true),
    op("HardShrink", NN, false, true),
    op("Squareplus", NN, false, true),
    op("SparsePlus", NN, false, true),
    op("DotProductAttention", NN, false, true),
    op("Glu", NN, false, true),
    op("LogSoftmax", NN, false, true),
    op("LeakyRelu", NN, false, true),
    op("MaxPool", NN, false, true),
    op("AveragePool", NN, false, true),
    op("Normalize", NN, false, true),
    op("Moments", NN, false, true),
    op("Conv", NN, false, true),
    op("DepthwiseConv", NN, false, true),
    op("OneHot", NN, true, true),
    op("MultiHot", NN, true, true),
    op("CTCDecode", NN, false, true),
    op("DepthToSpace", NN, false, true),
    op("SpaceToDepth", NN, false, true),
    op("LayerNorm", NN, false, true),
    op("BatchNorm", NN, false, true),
    op("RMSNorm", NN, false, true),
    op("Rsqrt", MATH, false, true),
    op("Erf", MATH, false, true),
    op("TopK", MATH, false, true),
    op("FFT", MATH, false, true),
    op("FFT2", MATH, false, true),
    op("IFFT2", MATH, false, true),
    op("RFFT", MATH, false, true),
    op("STFT", MATH, false, true),
    op("ISTFT", MATH, false, true),
    op("Logsumexp", MATH, false, true),
    op("SegmentSum", MATH, false, true),
    op("SegmentMax", MATH, false, true),
    op("SegmentMin", MATH, false, true),
    op("SegmentProd", MATH, false, true),
    op("Norm", LINALG, false, true),
    op("Cast", CORE, true, true),
    op("Unstack", CORE, false, true),
    op("Slice", CORE, false, true),
    op("ConvertToTensor", CORE, true, true),
    op("Resize", IMAGE, false, true),
    op("RGBToGrayscale", IMAGE, false, true),
    op("RGBToHSV", IMAGE, false, true),
    op("HSVToRGB", IMAGE, false, true),
    op("PadImages", IMAGE, false, true),
    op("CropImages", IMAGE, false, true),
    op("ExtractPatches", IMAGE, false, true),
    op("Fabs", NUMPY, false, true),
    op("Sinc", NUMPY, false, true),
    op("Isneginf", NUMPY, false, true),
    op("Isposinf", NUMPY, false, true),
    op("Fmax", NUMPY, false, true),
    op("Fmin", NUMPY, false, true),
    op("Fmod", NUMPY, false, true),
    op("DivideNoNan", NUMPY, false, true),
    op("Logaddexp2", NUMPY, false, true),
    op("Fliplr", NUMPY, false, true),
    op("Flipud", NUMPY, false, true),
    op("Hstack", NUMPY, false, true),
    op("Vstack", NUMPY, false, true),
    op("Dstack", NUMPY, false, true),
    op("Append", NUMPY, false, true),
    op("Ravel", NUMPY, false, true),
    op("Erfc", MATH, false, true),
    op("Erfinv", MATH, false, true),
    op("TanhShrink", NN, false, true),
    op("SparseSigmoid", NN, false, true),
    op("AffineTransform", IMAGE, false, true),
    op("GaussianBlur", IMAGE, false, true),
    op("Det", LINALG, false, true),
    op("Inv", LINALG, false, true),
    op("Solve", LINALG, false, true),
    op("Cholesky", LINALG, false, true),
    op("Logdet", MATH, false, true),
    op("Slogdet", NUMPY, false, true),
    op("Nansum", NUMPY, false, true),
    op("Nanmean", NUMPY, false, true),
    op("Nanmax", NUMPY, false, true),
    op("Nanmin", NUMPY, false, true),
    op("Nanprod", NUMPY, false, true),
    op("Nanvar", NUMPY, false, true),
    op("Nanstd", NUMPY, false, true),
    op("SearchSorted", NUMPY, false, true),
    op("Rot90", NUMPY, false, true),
    op("SliceUpdate", CORE, false, true),
    op("ScatterUpdate", CORE, false, true),
    op("Sparsemax", NN, false, true),
    op("I0", NUMPY, false, true),
    op("CholeskyInverse", LINALG, false, true),
    op("SolveTriangular", LINALG, false, true),
    op("Threshold", NN, false, true),
    op("Isclose", NUMPY, false, true),
    op("Nextafter", NUMPY, false, true),
    op("Vander", NUMPY, false, true),
    op("InTopK", MATH, false, true),
    op("Ptp", NUMPY, false, true),
    op("Trapezoid", NUMPY, false, true),
    op("Meshgrid", NUMPY, false, true),
    op("MapCoordinates", IMAGE, false, true),
    op("ArraySplit", NUMPY, false, true),
    op("Select", NUMPY, false, true),
    op("PSNR", NN, false, true),
    op("PerspectiveTransform", IMAGE, false, true),
    // From the keras.ops audit of Keras 3.15 (held-out round 32): computed
    // (`keras3_ops/more_ops.rs` and the shared tables) ...
    op("Copy", NUMPY, false, true),
    op("StopGradient", CORE, false, true),
    op("Real", NUMPY, false, true),
    op("Imag", NUMPY, false, true),
    op("Conj", NUMPY, false, true),
    op("Conjugate", NUMPY, false, true),
    op("Isreal", NUMPY, false, true),
    op("Angle", NUMPY, false, true),
    op("EmptyLike", NUMPY, true, true),
    op("Ldexp", NUMPY, false, true),
    op("BitwiseAnd", NUMPY, false, true),
    op("BitwiseOr", NUMPY, false, true),
    op("BitwiseXor", NUMPY, false, true),
    op("BitwiseInvert", NUMPY, false, true),
    op("BitwiseNot", NUMPY, false, true),
    op("LeftShift", NUMPY, false, true),
    op("RightShift", NUMPY, false, true),
    op("BitwiseLeftShift", NUMPY, false, true),
    op("BitwiseRightShift", NUMPY, false, true),
    op("Gcd", NUMPY, false, true),
    op("Lcm", NUMPY, false, true),
    op("SaturateCast", CORE, true, true),
    op("Nancumsum", NUMPY, true, true),
    op("Nancumprod", NUMPY, true, true),
    op("Nanargmax", NUMPY, false, true),
    op("Nanargmin", NUMPY, false, true),
    op("Hsplit", NUMPY, false, true),
    op("Vsplit", NUMPY, false, true),
    op("Dsplit", NUMPY, false, true),
    op("Percentile", NUMPY, false, true),
    op("Size", NUMPY, false, true),
    op("Inner", NUMPY, false, true),
    op("Vdot", NUMPY, false, true),
    op("Diag", NUMPY, false, true),
    op("Diagflat", NUMPY, false, true),
    op("CDist", MATH, false, true),
    op("ExtractSequences", MATH, false, true),
    op("BinaryCrossentropy", NN, false, true),
    op("CategoricalCrossentropy", NN, false, true),
    op("SparseCategoricalCrossentropy", NN, false, true),
    op("SobelEdges", IMAGE, false, true),
    // ... and refused by name (`keras3_ops/refused.rs`: Python functions,
    // random or complex results, sizes that depend on the data, functions
    // Keras's TensorFlow backend cannot run in a saved model).
    op("AssociativeScan", CORE, false, false),
    op("Cond", CORE, false, false),
    op("ForiLoop", CORE, false, false),
    op("Map", CORE, false, false),
    op("Scan", CORE, false, false),
    op("Scatter", CORE, false, false),
    op("Switch", CORE, false, false),
    op("VectorizedMap", CORE, false, false),
    op("WhileLoop", CORE, false, false),
    op("Rearrange", EINOPS, false, false),
    op("ElasticTransform", IMAGE, false, false),
    op("SSIM", IMAGE, false, false),
    op("ScaleAndTranslate", IMAGE, false, false),
    op("Eig", LINALG, false, false),
    op("Eigh", LINALG, false, false),
    op("JVP", LINALG, false, false),
    op("Lstsq", LINALG, false, false),
    op("LuFactor", LINALG, false, false),
    op("MatrixRank", LINALG, false, false),
    op("Pinv", LINALG, false, false),
    op("Qr", LINALG, false, false),
    op("SVD", LINALG, false, false),
    op("IRFFT", MATH, false, false),
    op("ViewAsComplex", MATH, false, false),
    op("ViewAsReal", MATH, false, false),
    op("CTCLoss", NN, false, false),
    op("ConvTranspose", NN, false, false),
    op("Fold", NN, false, false),
    op("Unfold", NN, false, false),
    op("Polar", NN, false, false),
    op("SeparableConv", NN, false, false),
    op("AllClose", NUMPY, false, false),
    op("Arange", NUMPY, true, false),
    op("Argpartition", NUMPY, false, false),
    op("Array", NUMPY, true, false),
    op("Corrcoef", NUMPY, false, false),
    op("Correlate", NUMPY, false, false),
    op("Full", NUMPY, true, false),
    op("Geomspace", NUMPY, true, false),
    op("Histogram", NUMPY, false, false),
    op("IsIn", NUMPY, false, false),
    op("Kron", NUMPY, false, false),
    op("Linspace", NUMPY, true, false),
    op("Logspace", NUMPY, true, false),
    op("Nanmedian", NUMPY, false, false),
    op("Nanpercentile", NUMPY, false, false),
    op("Nanquantile", NUMPY, false, false),
    op("Ndim", NUMPY, false, false),
    op("Nonzero", NUMPY, false, false),
    op("Unique", NUMPY, false, false),
    op("View", NUMPY, true, false),
    // Registered by the adaptive pooling layers (`adaptive_pooling.rs`).
    op("AdaptiveAveragePool", NN, false, false),
    op("AdaptiveMaxPool", NN, false, false),
];

/// The row of [`KERAS3_OPERATIONS`] for operation class `class` (`Add`).
pub fn keras3_operation(class: &str) -> Option<&'static Keras3Operation> {
    KERAS3_OPERATIONS.iter().find(|o| o.class == class)
}

/// A Keras 3 operation node (`x + y`, `ops.*` on Keras tensors) in a model
/// config's `layers`: dict-form inbound nodes (`{"args": …, "kwargs": …}`)
/// and a config without the `trainable` and `dtype` every layer has (some
/// layers, e.g. `SpatialDropout1D`, write no `trainable`, but all have a
/// `dtype`), or one of the operations taking a `dtype` argument; never a
/// nested model (`layers`). Operations are not layers: they hold no
/// weights and Keras 3's HDF5 writer stores no group for them.
pub fn is_keras3_operation(entry: &Value) -> bool {
    let config = entry.get("config").and_then(Value::as_object);
    let keras3_nodes = entry
        .get("inbound_nodes")
        .and_then(Value::as_array)
        .and_then(|n| n.first())
        .is_some_and(
            |n| matches!(n, Value::Object(o) if o.contains_key("args") || o.contains_key("kwargs")),
        );
    let class = layer_entry_class(entry);
    keras3_nodes
        && config.is_some_and(|c| {
            !c.contains_key("trainable")
                && !c.contains_key("layers")
                && (!c.contains_key("dtype")
                    || keras3_operation(class).is_some_and(|o| o.dtype_argument))
        })
}

#[cfg(test)]
mod tests {
    use super::{kwarg_tensor_refs, snake_case, topological_order};
    use serde_json::json;

    #[test]
    fn kwarg_tensors_are_found_at_any_depth_in_key_order() {
        let kwargs = json!({
            "shape": [["s", 0, 0], -1, 4],
            "slice_spec": [{"start": null, "stop": ["h", 0, 0], "step": null}],
            "_args": [["x", 0, 0]],
            "_first_arg": [["b", 0, 0], 8],
            "y": ["y", 0, 0],
            "paddings": [[0, 0], [1, 1]]
        });
        let refs = kwarg_tensor_refs(kwargs.as_object().unwrap());
        let names: Vec<&str> = refs.iter().map(|r| r[0].as_str().unwrap()).collect();
        // In file order (serde_json keeps it); the engine's own `_args` is
        // skipped; lists of numbers hold no tensors.
        assert_eq!(names, ["s", "h", "b", "y"]);
    }

    #[test]
    fn topological_order_keeps_file_order_and_reports_cycles() {
        // 0 <- 2 <- 1, 3 alone.
        let (order, stuck) = topological_order(&[vec![], vec![2], vec![0], vec![]]);
        assert_eq!((order, stuck), (vec![0, 2, 1, 3], vec![]));
        // 1 and 2 read each other; 3 reads 2.
        let (order, stuck) = topological_order(&[vec![], vec![2], vec![1], vec![2]]);
        assert_eq!((order, stuck), (vec![0], vec![1, 2, 3]));
    }

    /// `keras.src.utils.naming.to_snake_case` (Keras 3.15) of these classes.
    #[test]
    fn snake_case_is_kerass() {
        for (class, snake) in [
            ("Dense", "dense"),
            ("Conv2D", "conv2d"),
            ("ConvLSTM2D", "conv_lstm2d"),
            ("ReLU", "re_lu"),
            ("PReLU", "p_re_lu"),
            ("SimpleRNN", "simple_rnn"),
            ("LSTM", "lstm"),
            ("Conv2DTranspose", "conv2d_transpose"),
            ("DepthwiseConv2D", "depthwise_conv2d"),
            ("BatchNormalization", "batch_normalization"),
            ("GlobalAveragePooling2D", "global_average_pooling2d"),
            ("UpSampling2D", "up_sampling2d"),
            ("Functional", "functional"),
            ("StringLookup", "string_lookup"),
            // `\W+` is dropped first.
            ("My>Layer", "my_layer"),
        ] {
            assert_eq!(snake_case(class), snake, "{class}");
        }
    }
}

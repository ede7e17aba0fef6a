//! The model graph: layers, their calls (nodes), shape inference and predict.
//!
//! A [`Model`] is built from a [`ModelSpec`](crate::topology::ModelSpec)
//! (any topology dialect, normalized) or with the [`builder`](crate::builder).
//! Execution runs the nodes needed for the outputs in topological order and
//! drops every intermediate tensor after its last use.
//!
//! By job: this file holds the types and what a built model answers;
//! [`build`] turns a spec into the graph (calls, tensors, execution order,
//! checks); [`exec`] runs it (predict, batch slices, profile, input
//! checks); [`masks`] finds the calls Keras masks reach; [`memory`] caps what one predict may allocate. Fusion of
//! convolution chains is [`crate::fusion`].

mod build;
mod exec;
mod keras_order;
mod learned_way;
mod masks;
mod memory;
mod precision;

pub use exec::StepTime;
pub(crate) use memory::check_sample_size;
pub use memory::{allocatable_bytes, max_live_bytes, MAX_OUTPUT_ELEMENTS};

use crate::fusion;
use crate::topology::{self, LayerKind, ModelSpec};
use crate::{Layer, LayerRegistry, LayersError, Result, Shape};
use serde_json::{Map, Value};
use tfjs_format::codec::DecodedWeight;

/// An input layer of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct InputLayer {
    pub name: String,
    /// Shape with batch first; `None` = any size.
    pub batch_shape: Shape,
    /// `"float32"` or `"int32"`.
    pub dtype: String,
    pub sparse: bool,
}

/// One entry of `model.layers`.
#[derive(Debug)]
pub enum ModelLayer {
    Input(InputLayer),
    Layer(Box<dyn Layer>),
    /// A Sequential/Model used as a layer.
    Model(Box<Model>),
}

impl ModelLayer {
    /// The layer name.
    pub fn name(&self) -> &str {
        match self {
            ModelLayer::Input(i) => &i.name,
            ModelLayer::Layer(l) => l.name(),
            ModelLayer::Model(m) => &m.name,
        }
    }
    /// The Keras class name.
    pub fn class_name(&self) -> &str {
        match self {
            ModelLayer::Input(_) => "InputLayer",
            ModelLayer::Layer(l) => l.class_name(),
            ModelLayer::Model(m) => &m.class_name,
        }
    }
}

/// One call of a layer inside the model.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub inputs: Vec<usize>,
    /// Per-input kwargs as written in the file (written back on save).
    pub kwargs: Vec<Value>,
    pub outputs: Vec<usize>,
    /// The tensors given as the call's Keras mask (`mask=` in its kwargs,
    /// one per input or `None`), which replace the masks propagated to its
    /// inputs, as in Keras; `None` without an explicit mask.
    pub masks: Option<Vec<Option<usize>>>,
    /// The inputs (positions) whose propagated Keras masks a call Keras
    /// runs before this one removed from the tensors (Keras 3's
    /// `MultiHeadAttention`, see [`crate::Layer::node_cleared_masks`]):
    /// this call sees them unmasked. Set by `keras_order`.
    pub masks_cleared: Vec<usize>,
}

/// A call's keyword arguments as its file records them (on its first
/// input; `null` for a call without inputs), which
/// [`Layer::node_call`](crate::Layer::node_call) and its siblings read.
pub(crate) fn node_kwargs(kwargs: &[Value]) -> &Value {
    kwargs.first().unwrap_or(&Value::Null)
}

/// Where a tensor comes from.
#[derive(Debug, Clone)]
pub(crate) struct TensorInfo {
    pub layer: usize,
    pub call: usize,
    pub index: usize,
    pub shape: Shape,
}

/// What a loaded model carries besides layers and weights, written back on save.
#[derive(Debug, Clone, Default)]
pub struct ModelExtras {
    /// Artifacts-level `trainingConfig`, verbatim.
    pub training_config: Option<Value>,
    /// Optimizer weights (`group: "optimizer"`), in file order.
    pub optimizer_weights: Vec<DecodedWeight>,
    /// `userDefinedMetadata`, verbatim.
    pub user_defined_metadata: Option<Value>,
}

/// A layers model: `tf.Sequential` / `tf.LayersModel`.
#[derive(Debug)]
pub struct Model {
    pub(crate) name: String,
    pub(crate) class_name: String,
    /// The class a subclass of `class_name` was saved under
    /// ([`crate::topology::ModelSpec::subclass`]).
    pub(crate) subclass: Option<String>,
    pub(crate) trainable: bool,
    /// Sequential whose input layer is implicit (not serialized).
    pub(crate) auto_input: bool,
    pub(crate) layers: Vec<ModelLayer>,
    /// Per layer: its calls in this model.
    pub(crate) calls: Vec<Vec<Call>>,
    pub(crate) tensors: Vec<TensorInfo>,
    /// `(layer, call)` in execution order (input layers excluded).
    pub(crate) exec: Vec<(usize, usize)>,
    /// Model inputs: layer index of each input layer.
    pub(crate) input_layers: Vec<usize>,
    pub(crate) inputs: Vec<usize>,
    pub(crate) outputs: Vec<usize>,
    /// Per tensor: the exec position of its last use (`usize::MAX` = keep).
    pub(crate) last_use: Vec<usize>,
    pub extras: ModelExtras,
    /// Inference plan (conv + BatchNormalization + ReLU fusion), built on
    /// the first run from the current weights; reset whenever a layer is
    /// borrowed mutably (see [`Model::invalidate_plan`]).
    pub(crate) plan: std::sync::OnceLock<fusion::Plan>,
    /// Intermediate buffers kept between predicts (see
    /// [`fusion::BufferPool`]), one pool per concurrent run.
    pub(crate) buffers: std::sync::Mutex<Vec<fusion::BufferPool>>,
    /// Whether every layer is per-sample ([`Layer::per_sample`]), computed once.
    per_sample: std::sync::OnceLock<bool>,
    /// Per batch size: whether a large batch runs as parallel slices.
    pub(crate) batch_split: learned_way::LearnedWay,
    /// Per batch size: whether a sliced batch uses small slices.
    pub(crate) slice_size: learned_way::LearnedWay,
    /// The small batch path's team grain, learned per batch size.
    pub(crate) team_grain: learned_way::LearnedWay,
    /// Most bytes of tensors alive at once in one predict (see
    /// [`Model::set_memory_limit`]); `None` = [`max_live_bytes`].
    pub(crate) memory_limit: Option<u64>,
    /// Whose semantics the configs follow (from the topology's
    /// `keras_version`); saving records it again.
    pub(crate) dialect: crate::Dialect,
    /// Per layer: the precision it computes in (float16 / bfloat16 under a
    /// mixed-precision policy), emulated by the executor.
    pub(crate) precision: Vec<precision::LayerPrecision>,
    /// Per layer: its copy with weights rounded to its compute precision
    /// (mixed-precision layers that cast their weights), see
    /// [`precision::Twin`].
    pub(crate) twins: Vec<Option<precision::Twin>>,
}

pub(crate) fn topo_err(message: impl Into<String>) -> LayersError {
    LayersError::Topology {
        message: message.into(),
    }
}

pub(crate) fn shape_str(s: &[Option<usize>]) -> String {
    let parts: Vec<String> = s
        .iter()
        .map(|d| d.map(|x| x.to_string()).unwrap_or_else(|| "null".into()))
        .collect();
    format!("[{}]", parts.join(","))
}

/// Wrap an error from a layer so that it names the layer.
pub(crate) fn in_layer(layer: &str, e: LayersError) -> LayersError {
    match e {
        e @ LayersError::Config { .. } => e,
        other => LayersError::config(layer, other.to_string()),
    }
}

/// Every class name in `spec` (recursively, wrapped layers included) that
/// `registry` does not know, with the layer using it.
pub fn unknown_classes(spec: &ModelSpec, registry: &LayerRegistry) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_unknown(spec, registry, &mut out);
    out
}

fn collect_unknown(spec: &ModelSpec, registry: &LayerRegistry, out: &mut Vec<(String, String)>) {
    for l in &spec.layers {
        match &l.kind {
            LayerKind::Input(_) => {}
            LayerKind::Nested(m) => collect_unknown(m, registry, out),
            LayerKind::Leaf => {
                if !registry.contains(&l.class_name) {
                    out.push((l.class_name.clone(), l.name.clone()));
                } else if let Some(f) =
                    crate::layers::tf_ops::unsupported_function(&l.class_name, &l.config)
                {
                    // Listed with the unknown classes, all at once.
                    out.push((format!("{} tf.{f}", l.class_name), l.name.clone()));
                } else {
                    collect_wrapped(&l.config, &l.name, registry, out);
                }
            }
        }
    }
}

fn collect_wrapped(
    config: &Map<String, Value>,
    owner: &str,
    registry: &LayerRegistry,
    out: &mut Vec<(String, String)>,
) {
    for key in ["layer", "cell", "cells", "backward_layer"] {
        let Some(v) = config.get(key) else { continue };
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for item in items {
            if let Some(cls) = item.get("class_name").and_then(Value::as_str) {
                let cls = topology::canonical_class(cls);
                if !registry.contains(cls) && !topology::is_model_class(cls) {
                    out.push((cls.to_string(), owner.to_string()));
                } else if let Some(Value::Object(c)) = item.get("config") {
                    collect_wrapped(c, owner, registry, out);
                }
            }
        }
    }
}

/// The one error for every unknown class.
pub(crate) fn unknown_error(unknown: &[(String, String)]) -> LayersError {
    let mut by_class: Vec<(String, Vec<String>)> = Vec::new();
    for (c, l) in unknown {
        match by_class.iter_mut().find(|(x, _)| x == c) {
            Some((_, ls)) => ls.push(l.clone()),
            None => by_class.push((c.clone(), vec![l.clone()])),
        }
    }
    let list: Vec<String> = by_class
        .iter()
        .map(|(c, ls)| {
            let ls: Vec<String> = ls
                .iter()
                .map(|l| format!("`{}`", crate::error::printable(l)))
                .collect();
            format!("{} (layer {})", crate::error::printable(c), ls.join(", "))
        })
        .collect();
    // A Lambda layer's "config" is Python code: say so instead of hinting
    // at a port.
    let lambda = if by_class.iter().any(|(c, _)| c == "Lambda") {
        "\nA Lambda layer holds Python code (a marshalled function or lambda), which only \
         Python can run: rebuild the model with built-in layers or keras.ops calls instead."
    } else {
        ""
    };
    // Keras's wrappers of other frameworks' code: their config names a
    // SavedModel path or Python objects, never the computation.
    let foreign: String = by_class
        .iter()
        .filter_map(|(c, _)| foreign_class_reason(c).map(|r| format!("\n{c} {r}")))
        .collect();
    // Keras 2's Fourier transforms work on complex tensors (an FNet's
    // `tf.math.real(tf.signal.fft2d(tf.cast(x, tf.complex64)))`).
    let complex = if by_class.iter().any(|(c, _)| {
        [
            "TFOpLambda tf.signal.",
            "TFOpLambda tf.math.real",
            "TFOpLambda tf.math.imag",
        ]
        .iter()
        .any(|p| c.starts_with(p))
    }) {
        "\nComplex tensors (tf.signal's Fourier transforms, tf.math.real / imag) are not \
         supported; Keras 3's ops.fft / fft2 / ifft2 / rfft / stft / istft on (real, imag) \
         pairs are."
    } else {
        ""
    };
    topo_err(format!(
        "Unknown layer class{}: {}. This may be due to one of the following reasons:\n1. The layer is defined in Python, in which case it needs to be ported to Rust.\n2. The custom layer is defined in Rust, but is not registered with LayerRegistry::register.{lambda}{foreign}{complex}",
        if by_class.len() > 1 { "es" } else { "" },
        list.join(", ")
    ))
}

/// Why a Keras class that wraps another framework's code cannot be loaded
/// (its saved config holds a path or Python objects, not the computation).
fn foreign_class_reason(class: &str) -> Option<&'static str> {
    Some(match class {
        "TFSMLayer" => {
            "wraps a TensorFlow SavedModel by its path (the file keeps its variables, not its \
             graph): convert the SavedModel itself, as a graph model \
             (tensorflowjs_converter --input_format tf_saved_model)."
        }
        "TorchModuleWrapper" => {
            "wraps a PyTorch module (Keras's torch backend only), whose computation is Python \
             code."
        }
        "JaxLayer" | "FlaxLayer" => {
            "wraps JAX / Flax functions (Keras's JAX backend only), whose computation is Python \
             code."
        }
        "DenseFeatures" => {
            "reads tf.feature_column definitions (TensorFlow 1 feature columns), which are not \
             saved as layers: build the inputs with Keras preprocessing layers (Normalization, \
             StringLookup, IntegerLookup, CategoryEncoding, Hashing, Discretization) instead."
        }
        _ => return None,
    })
}

impl Model {
    /// The model name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `Sequential`, `Model` or `Functional`.
    pub fn class_name(&self) -> &str {
        &self.class_name
    }

    /// `model.layers` (input layers included, as in Keras functional models).
    pub fn layers(&self) -> &[ModelLayer] {
        &self.layers
    }

    /// A layer by name (this model only, not nested ones).
    pub fn layer(&self, name: &str) -> Option<&ModelLayer> {
        self.layers.iter().find(|l| l.name() == name)
    }

    /// The input layers, in model input order.
    pub fn inputs(&self) -> Vec<&InputLayer> {
        self.input_layers
            .iter()
            .filter_map(|&l| match &self.layers[l] {
                ModelLayer::Input(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    /// Input names, in order.
    pub fn input_names(&self) -> Vec<&str> {
        self.inputs().into_iter().map(|i| i.name.as_str()).collect()
    }

    /// Output names (the producing layers' names), in order.
    pub fn output_names(&self) -> Vec<&str> {
        self.outputs
            .iter()
            .map(|&t| self.layers[self.tensors[t].layer].name())
            .collect()
    }

    /// Symbolic output shapes.
    pub fn output_shapes(&self) -> Vec<Shape> {
        self.outputs
            .iter()
            .map(|&t| self.tensors[t].shape.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::unknown_error;

    #[test]
    fn a_lambda_layer_is_named_as_python_code() {
        let both = [
            ("Lambda".to_string(), "lam".to_string()),
            ("MyDense".to_string(), "d".to_string()),
        ];
        let e = unknown_error(&both).to_string();
        assert!(
            e.contains("Lambda (layer `lam`), MyDense (layer `d`)"),
            "{e}"
        );
        assert!(e.contains("A Lambda layer holds Python code"), "{e}");
        let e = unknown_error(&both[1..]).to_string();
        assert!(!e.contains("Lambda"), "{e}");
    }

    /// Keras 3's TFSMLayer / TorchModuleWrapper / JaxLayer / FlaxLayer and
    /// tf_keras's DenseFeatures (public classes of `keras.layers` the engine
    /// cannot compute) are refused with what they wrap.
    #[test]
    fn framework_wrappers_say_what_they_wrap() {
        let all = [
            ("TFSMLayer".to_string(), "sm".to_string()),
            ("TorchModuleWrapper".to_string(), "torch".to_string()),
            ("JaxLayer".to_string(), "jax".to_string()),
            ("DenseFeatures".to_string(), "features".to_string()),
        ];
        let e = unknown_error(&all).to_string();
        assert!(
            e.contains("TFSMLayer (layer `sm`), TorchModuleWrapper"),
            "{e}"
        );
        for needle in [
            "TFSMLayer wraps a TensorFlow SavedModel",
            "--input_format tf_saved_model",
            "TorchModuleWrapper wraps a PyTorch module",
            "JaxLayer wraps JAX / Flax functions",
            "DenseFeatures reads tf.feature_column definitions",
        ] {
            assert!(e.contains(needle), "{needle}: {e}");
        }
        let e = unknown_error(&[("MyDense".to_string(), "d".to_string())]).to_string();
        assert!(!e.contains("wraps"), "{e}");
    }
}

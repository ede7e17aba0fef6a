//! Topology parsing: every model JSON dialect → one normalized graph spec.
//!
//! Accepted: TensorFlow.js-saved `Sequential`/`Model`, converter output
//! wrapped in `model_config` (Keras 2 `Functional`/`Model`/`Sequential`),
//! Keras 3 configs (`batch_shape`, dict `inbound_nodes` with
//! `__keras_tensor__`/`keras_history`, `DTypePolicy` dtypes,
//! `module`/`registered_name`/`build_config`), legacy Keras 1 Sequential
//! arrays, and nested models. A Sequential becomes a chain of nodes with an
//! input layer (explicit, or the auto-created `<first layer>_input`).
//!
//! ```
//! let topo = serde_json::json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
//!     {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 3]}}]}});
//! let spec = tfjs_layers::topology::parse_topology(&topo).unwrap();
//! assert_eq!(spec.layers[0].name, "d_input");
//! assert_eq!(spec.layers[1].inbound[0][0].layer, "d_input");
//! ```

use crate::{LayersError, Result, Shape};
use serde_json::{Map, Value};

mod functional;
mod layer_entry;
mod model_subclass;
mod sequential;

pub(crate) use functional::explicit_mask_refs;
use functional::parse_functional;
pub use functional::KERAS3_OPERATION_PREFIX;
pub(crate) use functional::{kwarg_tensor, kwarg_tensors};
pub use layer_entry::{normalize_config, to_snake_case};
use sequential::parse_sequential;
pub use tfjs_format::topology::FIRST_ARG_KWARG;

/// One inbound tensor of a layer call: `[layer, node_index, tensor_index, kwargs]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    pub layer: String,
    /// The node index as written in the file (for nested models TF.js and
    /// Keras count from 1).
    pub node: usize,
    pub tensor: usize,
    /// Call kwargs (`{}` when absent).
    pub kwargs: Value,
}

/// The input layer of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpec {
    /// Full shape, batch first (`None` = unknown).
    pub batch_shape: Shape,
    /// `"float32"` or `"int32"` (anything else is kept verbatim).
    pub dtype: String,
    pub sparse: bool,
}

/// What a layer entry is.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerKind {
    /// An `InputLayer`.
    Input(InputSpec),
    /// A layer built through the registry.
    Leaf,
    /// A Sequential/Model/Functional used as a layer.
    Nested(Box<ModelSpec>),
}

/// One entry of the model's `layers`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSpec {
    pub name: String,
    pub class_name: String,
    /// Normalized config (Keras 3 specifics removed).
    pub config: Map<String, Value>,
    /// One list of inbound tensors per call, in call order.
    pub inbound: Vec<Vec<TensorRef>>,
    pub kind: LayerKind,
}

/// A parsed model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// `Sequential`, `Model` or `Functional` (as written).
    pub class_name: String,
    pub name: String,
    /// Whether the model is trainable (`config.trainable`, default true).
    pub trainable: bool,
    pub layers: Vec<LayerSpec>,
    pub inputs: Vec<TensorRef>,
    pub outputs: Vec<TensorRef>,
    /// For a Sequential whose input layer was auto-created (not serialized).
    pub auto_input: bool,
    /// The class a subclass of `class_name` was saved under (`class
    /// Net(keras.Model)`), which names its Keras 3 weight paths.
    pub subclass: Option<String>,
}

impl ModelSpec {
    /// Is this a Sequential model?
    pub fn is_sequential(&self) -> bool {
        self.class_name == "Sequential"
    }
}

pub(super) fn topo_err(message: impl Into<String>) -> LayersError {
    LayersError::Topology {
        message: message.into(),
    }
}

/// Parse a `modelTopology` value (with or without the `model_config` wrapper).
pub fn parse_topology(topology: &Value) -> Result<ModelSpec> {
    let obj = topology.as_object().ok_or_else(|| {
        topo_err(format!(
            "modelTopology must be a JSON object, got {}",
            short(topology)
        ))
    })?;
    if let Some(mc) = obj.get("model_config").filter(|v| !v.is_null()) {
        return parse_topology(mc);
    }
    parse_model_object(obj, "modelTopology")
}

fn parse_model_object(obj: &Map<String, Value>, path: &str) -> Result<ModelSpec> {
    let class = obj
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| topo_err(format!("{path}: missing string `class_name`")))?;
    let config = obj
        .get("config")
        .ok_or_else(|| topo_err(format!("{path}: missing `config`")))?;
    match class {
        "Sequential" => parse_sequential(config, path),
        "Model" | "Functional" => parse_functional(class, config, path),
        other => match model_subclass::base_class(config, false) {
            Some(base) => {
                model_subclass::warn(other, base, path);
                let mut spec = parse_model_object(&subclass_object(obj, base), path)?;
                spec.subclass = Some(other.to_string());
                Ok(spec)
            }
            None => Err(topo_err(format!(
            "{path}: class_name `{other}` is not a model class (expected Sequential, Model or Functional)"
            ))),
        },
    }
}

/// `obj` (a model object) with its class name replaced by `base`.
fn subclass_object(obj: &Map<String, Value>, base: &str) -> Map<String, Value> {
    let mut o = obj.clone();
    o.insert("class_name".into(), Value::String(base.into()));
    o
}

/// The model class a layer entry of `class` with `config` is nested as:
/// `class` itself for a model class, the base class of a subclass of one
/// ([`model_subclass`]), `None` for any other layer.
pub(crate) fn nested_model_class(class: &str, config: &Value) -> Option<String> {
    if is_model_class(class) {
        return Some(class.to_string());
    }
    model_subclass::base_class(config, true).map(str::to_string)
}

/// Is `class` a model class usable as a nested layer?
pub fn is_model_class(class: &str) -> bool {
    matches!(class, "Sequential" | "Model" | "Functional")
}

/// Keras → TensorFlow.js class name aliases applied everywhere.
pub fn canonical_class(class: &str) -> &str {
    match class {
        "BatchNormalizationV1" | "BatchNormalizationV2" => "BatchNormalization",
        "UnifiedGRU" | "GRUV2" => "GRU",
        "UnifiedLSTM" | "LSTMV2" => "LSTM",
        other => other,
    }
}

/// Parse a shape list with `null` dims.
pub fn parse_shape(v: &Value, what: &str) -> Result<Shape> {
    let arr = v
        .as_array()
        .ok_or_else(|| topo_err(format!("{what}: expected a shape list, got {}", short(v))))?;
    shape_dims(arr, as_index).map_err(|d| {
        topo_err(format!(
            "{what}: dimension {d} is not a non-negative integer or null"
        ))
    })
}

/// The dims of a shape list: `null` is `None`, any other dim is read with
/// `dim`; `Err` is the first dim that `dim` refuses.
pub(crate) fn shape_dims(
    arr: &[Value],
    dim: fn(&Value) -> Option<usize>,
) -> std::result::Result<Shape, &Value> {
    arr.iter()
        .map(|d| match d {
            Value::Null => Ok(None),
            d => dim(d).map(Some).ok_or(d),
        })
        .collect()
}

fn as_index(v: &Value) -> Option<usize> {
    if let Some(u) = v.as_u64() {
        return usize::try_from(u).ok();
    }
    let f = v.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f < 9.0e15).then_some(f as usize)
}

/// `v` as an object, or the error `{path}: {what} must be an object, got …`.
fn object<'v>(v: &'v Value, path: &str, what: &str) -> Result<&'v Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        topo_err(format!(
            "{path}: {what} must be an object, got {}",
            short(v)
        ))
    })
}

/// The string `name` of model config `o`, or `default`.
fn model_name(o: &Map<String, Value>, default: &str) -> String {
    o.get("name")
        .and_then(Value::as_str)
        .unwrap_or(default)
        .to_string()
}

fn short(v: &Value) -> String {
    crate::error::short_json(v, 200)
}

/// Whether a topology (or any part of one: a config, a list of layer
/// entries) has a layer that makes Keras masks of its own: `Masking`, or
/// `Embedding` with `mask_zero` (nested models' included).
pub fn makes_masks(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            let class = m.get("class_name").and_then(Value::as_str);
            let cfg = m.get("config");
            let mask_zero = cfg
                .and_then(|c| c.get("mask_zero"))
                .and_then(Value::as_bool)
                == Some(true);
            (class == Some("Masking") || (class == Some("Embedding") && mask_zero))
                || m.values().any(makes_masks)
        }
        Value::Array(a) => a.iter().any(makes_masks),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snake_case_matches_tfjs() {
        for (a, b) in [
            ("Dense", "dense"),
            ("Conv2D", "conv2d"),
            ("ReLU", "re_lu"),
            ("PReLU", "p_re_lu"),
            ("ConvLSTM2D", "conv_lst_m2d"),
            ("SeparableConv2D", "separable_conv2d"),
            ("BatchNormalization", "batch_normalization"),
            ("DepthwiseConv2D", "depthwise_conv2d"),
            ("batchInputShape", "batch_input_shape"),
            ("TensorFlow.js", "tensor_flow.js"),
        ] {
            assert_eq!(to_snake_case(a), b, "{a}");
        }
    }

    #[test]
    fn keras3_nodes_and_dtype_policy_normalize() {
        let topo = json!({"class_name": "Functional", "config": {"name": "f", "layers": [
            {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
             "config": {"batch_shape": [null, 3], "dtype": "float32", "name": "a"}},
            {"class_name": "Add", "name": "add", "config": {"name": "add",
               "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}},
             "inbound_nodes": [{"args": [[
                 {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["a", 0, 0]}},
                 {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["a", 0, 0]}}]],
               "kwargs": {}}]}],
            "input_layers": ["a", 0, 0], "output_layers": ["add", 0, 0]}});
        let s = parse_topology(&topo).unwrap();
        assert_eq!(s.inputs.len(), 1);
        assert_eq!(s.layers[1].inbound[0].len(), 2);
        assert_eq!(s.layers[1].config["dtype"], json!("float32"));
        match &s.layers[0].kind {
            LayerKind::Input(i) => assert_eq!(i.batch_shape, vec![None, Some(3)]),
            _ => panic!("not an input"),
        }
    }

    /// Keras 3's `mask=` kwarg: read from a layer, or from operations in a
    /// model that makes no masks of its own, it is an explicit mask (in
    /// Keras 2's spelling on the call's first input); from operations
    /// where an `Embedding(mask_zero)` makes masks, Keras's own (left to
    /// the engine's propagation). Another form is refused naming the layer.
    #[test]
    fn keras3_explicit_masks_are_told_from_keras_own() {
        let t = |l: &str| json!({"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": [l, 0, 0]}});
        let topo = |mask_zero: bool, mask: Value| {
            json!({"class_name": "Functional", "config": {"name": "f", "layers": [
                {"class_name": "InputLayer", "name": "ids", "inbound_nodes": [],
                 "config": {"batch_shape": [null, 3], "dtype": "int32", "name": "ids"}},
                {"class_name": "Embedding", "name": "emb", "inbound_nodes": [{"args": [t("ids")], "kwargs": {}}],
                 "config": {"name": "emb", "trainable": true, "input_dim": 4, "output_dim": 2, "mask_zero": mask_zero}},
                {"class_name": "NotEqual", "name": "ne", "config": {"name": "ne"},
                 "inbound_nodes": [{"args": [t("ids"), 0], "kwargs": {}}]},
                {"class_name": "LSTM", "name": "lstm", "config": {"name": "lstm", "trainable": true, "units": 2},
                 "inbound_nodes": [{"args": [t("emb")], "kwargs": {"mask": mask}}]}],
                "input_layers": ["ids", 0, 0], "output_layers": ["lstm", 0, 0]}})
        };
        let lstm_kwargs = |s: &ModelSpec| s.layers[3].inbound[0][0].kwargs.clone();
        let s = parse_topology(&topo(false, t("ne"))).unwrap();
        assert_eq!(lstm_kwargs(&s)["mask"], json!(["ne", 0, 0]));
        let s = parse_topology(&topo(true, t("ne"))).unwrap();
        assert!(lstm_kwargs(&s).get("mask").is_none());
        let s = parse_topology(&topo(true, t("ids"))).unwrap();
        assert_eq!(lstm_kwargs(&s)["mask"], json!(["ids", 0, 0]));
        // Beside Embedding(mask_zero)'s own, a comparison Keras does not
        // make (`not_equal(ids, 1)`) is the user's: explicit.
        let mut other = topo(true, t("ne"));
        other["config"]["layers"][2]["inbound_nodes"][0]["args"][1] = json!(1);
        let s = parse_topology(&other).unwrap();
        assert_eq!(lstm_kwargs(&s)["mask"], json!(["ne", 0, 0]));
        let err = parse_topology(&topo(false, json!("keep")))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`lstm`: mask= \"keep\" is neither a tensor"),
            "{err}"
        );
    }

    /// What Keras 3 writes for the mask of a merge of masked tensors
    /// (`attention_layers` in the corpus): `ConvertToTensor` (a `dtype`
    /// argument, null), `ExpandDims`, `ZerosLike(dtype="bool")`,
    /// `LogicalOr` — operations, although two have a `dtype`; a layer
    /// without `trainable` (`SpatialDropout1D`) stays a layer.
    #[test]
    fn keras3_mask_operations_with_dtype_are_operations() {
        let t = |l: &str| json!({"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": [l, 0, 0]}});
        let topo = json!({"class_name": "Functional", "config": {"name": "f", "layers": [
            {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
             "config": {"batch_shape": [null, 3], "dtype": "float32", "name": "a"}},
            {"class_name": "ConvertToTensor", "name": "ct", "config": {"name": "ct", "dtype": null, "sparse": null, "ragged": null},
             "inbound_nodes": [{"args": [t("a")], "kwargs": {}}]},
            {"class_name": "ExpandDims", "name": "ed", "config": {"name": "ed", "axis": -1},
             "inbound_nodes": [{"args": [t("ct")], "kwargs": {}}]},
            {"class_name": "ExpandDims", "name": "ed1", "config": {"name": "ed1", "axis": 1},
             "inbound_nodes": [{"args": [t("a")], "kwargs": {}}]},
            {"class_name": "ZerosLike", "name": "zl", "config": {"name": "zl", "dtype": "bool"},
             "inbound_nodes": [{"args": [t("ed1")], "kwargs": {}}]},
            {"class_name": "LogicalOr", "name": "or", "config": {"name": "or"},
             "inbound_nodes": [{"args": [t("ed"), t("zl")], "kwargs": {}}]},
            {"class_name": "SpatialDropout1D", "name": "sd", "config": {"name": "sd", "rate": 0.2, "seed": null, "dtype": "float32"},
             "inbound_nodes": [{"args": [t("or")], "kwargs": {}}]}],
            "input_layers": ["a", 0, 0], "output_layers": [["or", 0, 0], ["ed", 0, 0]]}});
        let s = parse_topology(&topo).unwrap();
        let classes: Vec<&str> = s.layers.iter().map(|l| l.class_name.as_str()).collect();
        assert_eq!(
            classes,
            [
                "InputLayer",
                "ops.ConvertToTensor",
                "ops.ExpandDims",
                "ops.ExpandDims",
                "ops.ZerosLike",
                "ops.LogicalOr",
                "SpatialDropout1D"
            ]
        );
        let m =
            crate::Model::from_topology(&topo, &crate::LayerRegistry::with_builtins(), 0).unwrap();
        let x = crate::Tensor::from_f32(vec![2, 3], vec![0.0, 2.0, -1.0, 0.0, 0.0, 0.5]).unwrap();
        let y = m.predict(&[x]).unwrap();
        // [b, 3, 1] (the values as a 0/1 mask) OR [b, 1, 3] zeros → [b, 3, 3].
        assert_eq!(y[0].shape(), &[2, 3, 3]);
        assert_eq!(
            y[0].as_f32().unwrap(),
            &[0., 0., 0., 1., 1., 1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 1., 1., 1.]
        );
        assert_eq!(y[1].shape(), &[2, 3, 1]);
        assert_eq!(y[1].as_f32().unwrap(), &[0.0, 2.0, -1.0, 0.0, 0.0, 0.5]);
    }

    /// Keras 3 counts a nested `Functional`'s calls from 0 in
    /// `keras_history` and from 1 in `output_layers`: a model returning
    /// both calls of a nested model (the second reading the first's output)
    /// and a model returning a nested model's output that a layer also
    /// reads get the right calls' outputs.
    #[test]
    fn keras3_nested_functional_outputs_count_from_one() {
        let t = |l: &str, n: usize| json!({"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "dtype": "float32", "keras_history": [l, n, 0]}});
        let inner = |nodes: Value| {
            json!({"class_name": "Functional", "name": "inner", "inbound_nodes": nodes, "config": {"name": "inner", "layers": [
                {"class_name": "InputLayer", "name": "i", "inbound_nodes": [],
                 "config": {"batch_shape": [null, 2], "dtype": "float32", "name": "i"}},
                {"class_name": "Rescaling", "name": "r", "config": {"name": "r", "trainable": true, "dtype": "float32", "scale": 2.0, "offset": 1.0},
                 "inbound_nodes": [{"args": [t("i", 0)], "kwargs": {}}]}],
                "input_layers": ["i", 0, 0], "output_layers": ["r", 0, 0]}})
        };
        let x_layer = json!({"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
            "config": {"batch_shape": [null, 2], "dtype": "float32", "name": "x"}});
        let x = crate::Tensor::from_f32(vec![1, 2], vec![1.0, -2.0]).unwrap();
        let run = |topo: Value| {
            let m = crate::Model::from_topology(&topo, &crate::LayerRegistry::with_builtins(), 0)
                .unwrap();
            let y = m.predict(std::slice::from_ref(&x)).unwrap();
            y.iter()
                .map(|t| t.as_f32().unwrap().to_vec())
                .collect::<Vec<_>>()
        };
        // inner(inner(x)) and inner(x).
        let twice = json!({"class_name": "Functional", "config": {"name": "f", "layers": [
            x_layer.clone(),
            inner(json!([{"args": [t("x", 0)], "kwargs": {"mask": null}},
                         {"args": [t("inner", 0)], "kwargs": {"mask": null}}]))],
            "input_layers": [["x", 0, 0]], "output_layers": [["inner", 2, 0], ["inner", 1, 0]]}});
        assert_eq!(run(twice), [vec![7.0, -5.0], vec![3.0, -3.0]]);
        // inner(x) + 1 and inner(x).
        let read_and_returned = json!({"class_name": "Functional", "config": {"name": "f", "layers": [
            x_layer,
            inner(json!([{"args": [t("x", 0)], "kwargs": {"mask": null}}])),
            {"class_name": "Rescaling", "name": "p", "config": {"name": "p", "trainable": true, "dtype": "float32", "scale": 1.0, "offset": 1.0},
             "inbound_nodes": [{"args": [t("inner", 0)], "kwargs": {}}]}],
            "input_layers": [["x", 0, 0]], "output_layers": [["p", 0, 0], ["inner", 1, 0]]}});
        assert_eq!(run(read_and_returned), [vec![4.0, -2.0], vec![3.0, -3.0]]);
    }

    #[test]
    fn sequential_without_input_shape_is_rejected() {
        let topo = json!({"class_name": "Sequential", "config": {"layers": [
            {"class_name": "Dense", "config": {"name": "d", "units": 1}}]}});
        let e = parse_topology(&topo).unwrap_err().to_string();
        assert!(e.contains("`d`") && e.contains("batchInputShape"), "{e}");
    }
}

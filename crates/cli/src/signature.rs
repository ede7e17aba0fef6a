//! A model's signature: what `predict` needs (each input's name, shape and
//! dtype), what it returns, and the preprocessing a caller must know about.
//!
//! Belongs in `tfjs-layers` next to `Model::inputs` once that crate settles;
//! it only uses the engine's public API.

use serde_json::{json, Value};
use tfjs_format::signature::signature_tensors;
use tfjs_format::topology::layer_entry_class;
use tfjs_layers::{LayerRegistry, Model, Shape};

/// One input or output of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSig {
    pub name: String,
    /// Batch first; `None` = any size.
    pub shape: Shape,
    /// `float32` or `int32`.
    pub dtype: String,
}

/// A preprocessing layer at the start of the model: the model applies it
/// itself, so callers feed raw values (e.g. pixels in 0..255).
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessing {
    pub layer: String,
    pub class_name: String,
    /// What it computes, in words (`x * 0.00392 + 0`).
    pub computes: String,
}

/// What a model takes and returns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signature {
    pub inputs: Vec<TensorSig>,
    pub outputs: Vec<TensorSig>,
    /// Rescaling / Normalization / Resizing / CenterCrop layers fed directly
    /// by a model input, in order.
    pub preprocessing: Vec<Preprocessing>,
    /// For `keras.applications` models recognised by their model name: the
    /// `preprocess_input` mode they were trained with, as a `--preprocess`
    /// value (`mobilenet`, `caffe`, `torch`), with the reason.
    pub suggested_preprocess: Option<(&'static str, String)>,
}

/// `[null,224,224,3]`: free dims as `null`, like Keras' and TF.js' summaries.
pub fn shape_text(shape: &[Option<usize>]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .map(|d| d.map_or_else(|| "null".to_string(), |x| x.to_string()))
        .collect();
    format!("[{}]", dims.join(","))
}

impl TensorSig {
    /// `` `name` [null,4] float32 ``
    pub fn describe(&self) -> String {
        format!("`{}` {} {}", self.name, shape_text(&self.shape), self.dtype)
    }

    fn to_json(&self) -> Value {
        json!({"name": self.name, "shape": self.shape, "dtype": self.dtype})
    }
}

impl Signature {
    /// The signature of a built model. `topology` (the artifacts'
    /// `modelTopology`) supplies the preprocessing layers' configs.
    pub fn of_model(model: &Model, topology: Option<&Value>) -> Signature {
        let inputs = model
            .inputs()
            .into_iter()
            .map(|i| TensorSig {
                name: i.name.clone(),
                shape: i.batch_shape.clone(),
                dtype: i.dtype.clone(),
            })
            .collect();
        // Layers models compute in float32: every output is float32.
        let outputs = model
            .output_names()
            .into_iter()
            .zip(model.output_shapes())
            .map(|(n, s)| TensorSig {
                name: n.to_string(),
                shape: s,
                dtype: "float32".into(),
            })
            .collect();
        Signature {
            inputs,
            outputs,
            preprocessing: topology.map(preprocessing_layers).unwrap_or_default(),
            suggested_preprocess: keras_application_preprocess(model.name()),
        }
    }

    /// The signature from the topology alone, for models the engine cannot
    /// build (unknown classes): inputs from the input layers' configs,
    /// output shapes unknown.
    pub fn of_topology(topology: &Value) -> Signature {
        let model = topology.get("model_config").unwrap_or(topology);
        let layers = layer_list(model);
        let input_names = io_names(model, "input_layers");
        let inputs = layers
            .iter()
            .filter(|l| l.get("class_name").and_then(Value::as_str) == Some("InputLayer"))
            .filter_map(|l| {
                let c = l.get("config")?;
                let name = c.get("name").and_then(Value::as_str)?.to_string();
                let shape = c
                    .get("batch_shape")
                    .or_else(|| c.get("batch_input_shape"))
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(|d| d.as_u64().map(|x| x as usize)).collect())
                    .unwrap_or_default();
                let dtype = dtype_name(c.get("dtype")).unwrap_or("float32").to_string();
                Some(TensorSig { name, shape, dtype })
            })
            .filter(|t| input_names.is_empty() || input_names.contains(&t.name))
            .collect::<Vec<_>>();
        // A Sequential without an InputLayer entry declares its input on the
        // first layer.
        let inputs = if inputs.is_empty() {
            layers
                .first()
                .and_then(|l| l.get("config"))
                .and_then(|c| {
                    let shape = c.get("batch_input_shape").and_then(Value::as_array)?;
                    Some(vec![TensorSig {
                        name: "input".into(),
                        shape: shape
                            .iter()
                            .map(|d| d.as_u64().map(|x| x as usize))
                            .collect(),
                        dtype: dtype_name(c.get("dtype")).unwrap_or("float32").into(),
                    }])
                })
                .unwrap_or_default()
        } else {
            inputs
        };
        let outputs = io_names(model, "output_layers")
            .into_iter()
            .map(|name| TensorSig {
                name,
                shape: Vec::new(),
                dtype: "float32".into(),
            })
            .collect();
        Signature {
            inputs,
            outputs,
            preprocessing: preprocessing_layers(topology),
            suggested_preprocess: model
                .pointer("/config/name")
                .and_then(Value::as_str)
                .and_then(keras_application_preprocess),
        }
    }

    /// A graph model's signature (`signature` in model.json, written by the
    /// converter): tensors by the key `execute` accepts, free dims (`-1`)
    /// as `None`, TensorFlow dtypes as TensorFlow.js names them.
    pub fn of_graph(signature: &Value) -> Signature {
        let side = |key: &str| -> Vec<TensorSig> {
            let tensors = signature_tensors(signature, key).unwrap_or_default();
            tensors
                .into_iter()
                .map(|t| TensorSig {
                    name: t.key,
                    shape: t
                        .shape
                        .unwrap_or_default()
                        .into_iter()
                        .map(|d| usize::try_from(d).ok())
                        .collect(),
                    dtype: t.dtype.unwrap_or_default(),
                })
                .collect()
        };
        Signature {
            inputs: side("inputs"),
            outputs: side("outputs"),
            preprocessing: Vec::new(),
            suggested_preprocess: None,
        }
    }

    /// The `inputs` / `outputs` / `preprocessing` fields of `info --json`.
    pub fn to_json(&self) -> Value {
        json!({
            "inputs": self.inputs.iter().map(TensorSig::to_json).collect::<Vec<_>>(),
            "outputs": self.outputs.iter().map(TensorSig::to_json).collect::<Vec<_>>(),
            "preprocessing": self.preprocessing.iter().map(|p| json!({
                "layer": p.layer, "className": p.class_name, "computes": p.computes,
            })).collect::<Vec<_>>(),
            "suggestedPreprocess": self.suggested_preprocess.as_ref().map(|(mode, why)| json!({
                "mode": mode, "reason": why,
            })),
        })
    }

    /// "the model expects 2 input(s): `a` [null,4] float32, `b` [null] int32"
    pub fn expects(&self) -> String {
        let list: Vec<String> = self.inputs.iter().map(TensorSig::describe).collect();
        format!(
            "the model expects {} input(s): {}",
            self.inputs.len(),
            list.join(", ")
        )
    }
}

/// The `preprocess_input` mode of a `keras.applications` model, from the
/// model name Keras gives it (`mobilenetv2_1.00_224`, `vgg16`, …). Models
/// whose preprocessing is built in (EfficientNet, ConvNeXt, MobileNetV3,
/// RegNet) are not listed: their Rescaling/Normalization layers show up in
/// `preprocessing` instead.
pub fn keras_application_preprocess(model_name: &str) -> Option<(&'static str, String)> {
    let n = model_name.to_ascii_lowercase();
    // (name prefix, application, mode as --preprocess, Keras mode)
    const APPS: [(&str, &str, &str, &str); 11] = [
        ("mobilenetv2_", "MobileNetV2", "mobilenet", "tf"),
        ("mobilenet_", "MobileNet", "mobilenet", "tf"),
        (
            "inception_resnet_v2",
            "InceptionResNetV2",
            "mobilenet",
            "tf",
        ),
        ("inception_v3", "InceptionV3", "mobilenet", "tf"),
        ("xception", "Xception", "mobilenet", "tf"),
        ("nasnet", "NASNet", "mobilenet", "tf"),
        ("resnet50v2", "ResNet50V2", "mobilenet", "tf"),
        ("resnet101v2", "ResNet101V2", "mobilenet", "tf"),
        ("resnet152v2", "ResNet152V2", "mobilenet", "tf"),
        ("vgg1", "VGG16/VGG19", "caffe", "caffe"),
        ("densenet", "DenseNet", "torch", "torch"),
    ];
    // `mobilenet_1.00_224`: a prefix ending in `_` must be followed by the
    // width multiplier, so `mobilenet_block` is not taken for Keras'.
    let matches = |p: &str| {
        n.strip_prefix(p)
            .is_some_and(|rest| !p.ends_with('_') || rest.starts_with(|c: char| c.is_ascii_digit()))
    };
    if let Some((_, app, mode, keras_mode)) = APPS.iter().find(|(p, ..)| matches(p)) {
        return Some((
            mode,
            format!("the model name `{model_name}` is Keras' {app}, whose preprocess_input uses mode \"{keras_mode}\""),
        ));
    }
    if ["resnet50", "resnet101", "resnet152"].contains(&n.as_str()) {
        return Some((
            "caffe",
            format!("the model name `{model_name}` is Keras' ResNet, whose preprocess_input uses mode \"caffe\""),
        ));
    }
    None
}

/// TensorFlow.js's dtype for a TensorFlow `DT_*` name (its
/// `operations/operation_mapper` rules: ints and uint8 become int32).
/// The signature of `artifacts`' model: graph models from their
/// `signature`; layers models built with the layers engine when it can be,
/// else read from the topology alone.
pub fn of_artifacts(artifacts: &tfjs_format::ModelArtifacts) -> Option<Signature> {
    if artifacts.format.as_deref() == Some("graph-model") {
        // The converter writes `signature` at the top level; some
        // publishers keep it under `userDefinedMetadata`.
        let udm_signature = artifacts
            .user_defined_metadata
            .as_ref()
            .and_then(|m| m.get("signature"));
        return artifacts
            .signature
            .as_ref()
            .or(udm_signature)
            .map(Signature::of_graph);
    }
    let topology = artifacts.model_topology.as_ref().filter(|t| !t.is_null())?;
    let registry = LayerRegistry::with_builtins();
    let built = tfjs_layers::topology::parse_topology(topology)
        .and_then(|spec| Model::from_spec(&spec, &registry));
    Some(match built {
        Ok(model) => Signature::of_model(&model, Some(topology)),
        Err(_) => Signature::of_topology(topology),
    })
}

fn layer_list(model: &Value) -> Vec<&Value> {
    model
        .pointer("/config/layers")
        .or_else(|| model.get("config").filter(|c| c.is_array()))
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn io_names(model: &Value, key: &str) -> Vec<String> {
    let Some(list) = model.get("config").and_then(|c| c.get(key)) else {
        return Vec::new();
    };
    let Some(items) = list.as_array() else {
        return Vec::new();
    };
    // `[[name, node, tensor], …]`, or a single `[name, node, tensor]`
    // (Keras 3 with one input).
    let entries: Vec<&Value> = if items.first().is_some_and(Value::is_string) {
        vec![list]
    } else {
        items.iter().collect()
    };
    entries
        .iter()
        .filter_map(|e| e.get(0).and_then(Value::as_str).map(String::from))
        .collect()
}

fn dtype_name(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::String(s) => Some(s),
        // Keras 3: {"class_name": "DTypePolicy", "config": {"name": "float32"}}
        other => other.pointer("/config/name").and_then(Value::as_str),
    }
}

fn num_list(v: Option<&Value>) -> String {
    match v {
        Some(Value::Array(a)) => {
            let items: Vec<String> = a.iter().map(|x| x.to_string()).collect();
            format!("[{}]", items.join(", "))
        }
        Some(Value::Null) | None => "?".into(),
        Some(x) => x.to_string(),
    }
}

/// What a preprocessing layer computes; `None` for other classes.
fn describe_preprocessing(class: &str, c: &Value) -> Option<String> {
    let field = |k: &str, default: &str| c.get(k).map_or(default.to_string(), Value::to_string);
    Some(match class {
        "Rescaling" => format!("x * {} + {}", field("scale", "1"), field("offset", "0")),
        "Normalization" if c.get("mean").is_some_and(|m| !m.is_null()) => format!(
            "(x - mean) / sqrt(variance), mean {}, variance {}",
            num_list(c.get("mean")),
            num_list(c.get("variance"))
        ),
        "Normalization" => "(x - mean) / sqrt(variance), mean and variance from its weights".into(),
        "Resizing" => format!(
            "resize to {}x{} ({})",
            field("height", "?"),
            field("width", "?"),
            c.get("interpolation")
                .and_then(Value::as_str)
                .unwrap_or("bilinear")
        ),
        "CenterCrop" => format!(
            "center crop to {}x{}",
            field("height", "?"),
            field("width", "?")
        ),
        _ => return None,
    })
}

/// The preprocessing layers at the start of the model: the chain from the
/// model inputs through Rescaling, Normalization, Resizing and CenterCrop
/// (the `Random*` augmentation layers, identity at inference, are passed
/// through) up to the first other layer.
pub fn preprocessing_layers(topology: &Value) -> Vec<Preprocessing> {
    let model = topology.get("model_config").unwrap_or(topology);
    let sequential = model.get("class_name").and_then(Value::as_str) == Some("Sequential");
    let mut out = Vec::new();
    // Layers whose output is still "the input, preprocessed so far".
    let mut frontier: Vec<String> = Vec::new();
    for l in layer_list(model) {
        let class = layer_entry_class(l);
        let c = l.get("config").cloned().unwrap_or(Value::Null);
        let name = c
            .get("name")
            .or_else(|| l.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if class == "InputLayer" {
            frontier.push(name);
            continue;
        }
        // A Sequential is a chain; a functional layer must be fed only by
        // the frontier.
        if !sequential {
            let inbound = inbound_names(l);
            if inbound.is_empty() || !inbound.iter().all(|n| frontier.contains(n)) {
                continue;
            }
        }
        match describe_preprocessing(class, &c) {
            Some(computes) => out.push(Preprocessing {
                layer: name.clone(),
                class_name: class.to_string(),
                computes,
            }),
            None if class.starts_with("Random") => {}
            None if sequential => break,
            None => continue,
        }
        frontier.push(name);
    }
    out
}

/// Layer names feeding a functional layer's first call (Keras 2 and 3 forms).
fn inbound_names(layer: &Value) -> Vec<String> {
    let Some(nodes) = layer.get("inbound_nodes").and_then(Value::as_array) else {
        return Vec::new();
    };
    let Some(first) = nodes.first() else {
        return Vec::new();
    };
    let mut names = Vec::new();
    collect_history(first, &mut names);
    names
}

fn collect_history(v: &Value, out: &mut Vec<String>) {
    match v {
        // Keras 2: [[name, node, tensor, kwargs], …]
        Value::Array(a) if a.first().is_some_and(Value::is_string) => {
            if let Some(n) = a[0].as_str() {
                out.push(n.to_string());
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_history(x, out)),
        // Keras 3: {"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [name, …]}}]}
        Value::Object(o) => {
            if let Some(h) = o.get("keras_history").and_then(Value::as_array) {
                if let Some(n) = h.first().and_then(Value::as_str) {
                    out.push(n.to_string());
                }
            } else {
                o.values().for_each(|x| collect_history(x, out));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_application_names_map_to_their_preprocess_input_mode() {
        let mode = |n: &str| keras_application_preprocess(n).map(|(m, _)| m);
        assert_eq!(mode("mobilenet_1.00_224"), Some("mobilenet"));
        assert_eq!(mode("mobilenetv2_0.35_96"), Some("mobilenet"));
        assert_eq!(mode("mobilenet_block"), None);
        assert_eq!(mode("vgg16"), Some("caffe"));
        assert_eq!(mode("resnet50"), Some("caffe"));
        assert_eq!(mode("resnet50v2"), Some("mobilenet"));
        assert_eq!(mode("densenet121"), Some("torch"));
        assert_eq!(mode("efficientnetb0"), None);
        assert_eq!(mode("my_model"), None);
    }

    #[test]
    fn preprocessing_chain_stops_at_the_first_other_layer() {
        let topology = json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 4, 4, 3]}},
            {"class_name": "Resizing", "config": {"name": "r", "height": 2, "width": 2}},
            {"class_name": "RandomFlip", "config": {"name": "f"}},
            {"class_name": "Rescaling", "config": {"name": "sc", "scale": 0.5, "offset": -1}},
            {"class_name": "Dense", "config": {"name": "d", "units": 1}},
            {"class_name": "Rescaling", "config": {"name": "late", "scale": 2}}
        ]}});
        let p = preprocessing_layers(&topology);
        let names: Vec<&str> = p.iter().map(|x| x.layer.as_str()).collect();
        assert_eq!(names, ["r", "sc"]);
        assert_eq!(p[1].computes, "x * 0.5 + -1");
        let sig = Signature::of_topology(&topology);
        assert_eq!(sig.inputs[0].shape, vec![None, Some(4), Some(4), Some(3)]);
    }
}

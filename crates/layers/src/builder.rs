//! Building models in Rust: a Sequential builder and the functional API
//! (inputs → layer calls → model), with TensorFlow.js default names
//! (`dense_Dense1`, `sequential_1`, `model1`, `input1`; digest 6.5) and
//! seeded initializers, so a Rust-built model saves to a topology
//! TensorFlow.js loads.
//!
//! Layers are any `Box<dyn Layer>` (built-in constructors or your own).
//! Give layers built without an explicit name [`default_layer_name`].
//!
//! ```
//! use tfjs_layers::builder::{default_layer_name, Graph};
//! assert!(default_layer_name("Dense").starts_with("dense_Dense"));
//! let mut g = Graph::new();
//! let x = g.input(&[Some(3)], "float32", Some("x")).unwrap();
//! assert_eq!(g.shape(x), &[None, Some(3)]);
//! ```

use crate::model::{InputLayer, Model, ModelLayer};
use crate::topology::{to_snake_case, TensorRef};
use crate::{Layer, LayersError, Result, Shape};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

fn counters() -> &'static Mutex<HashMap<String, usize>> {
    static C: OnceLock<Mutex<HashMap<String, usize>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

fn next(key: &str) -> usize {
    let mut c = counters().lock().unwrap_or_else(|e| e.into_inner());
    let n = c.entry(key.to_string()).or_insert(0);
    *n += 1;
    *n
}

/// TensorFlow.js's default layer name: `toSnakeCase(class) + "_" + class + N`
/// with a per-class, process-global counter (`dense_Dense1`, `dense_Dense2`).
pub fn default_layer_name(class_name: &str) -> String {
    let n = next(&format!("layer:{class_name}"));
    format!("{}_{}{}", to_snake_case(class_name), class_name, n)
}

/// `sequential_1`, `sequential_2`, … (process-global).
pub fn default_sequential_name() -> String {
    format!("sequential_{}", next("model:sequential"))
}

/// `model1`, `model2`, … (process-global).
pub fn default_model_name() -> String {
    format!("model{}", next("model:model"))
}

/// `input1`, `input2`, … (process-global).
pub fn default_input_name() -> String {
    format!("input{}", next("input"))
}

/// A symbolic tensor of a [`Graph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SymbolicTensor(usize);

/// A layer added to a [`Graph`] (call it several times to share weights).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LayerId(usize);

#[derive(Debug)]
struct SymInfo {
    layer: usize,
    call: usize,
    index: usize,
    shape: Shape,
}

/// The functional API: create inputs, call layers on symbolic tensors, then
/// make a [`Model`] from chosen inputs and outputs.
#[derive(Debug, Default)]
pub struct Graph {
    layers: Vec<ModelLayer>,
    inbound: Vec<Vec<Vec<TensorRef>>>,
    built: Vec<bool>,
    tensors: Vec<SymInfo>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// `tf.input`: `shape` excludes the batch dimension. `dtype` is
    /// `"float32"` or `"int32"`. Name defaults to `input<N>`.
    pub fn input(
        &mut self,
        shape: &[Option<usize>],
        dtype: &str,
        name: Option<&str>,
    ) -> Result<SymbolicTensor> {
        if !matches!(dtype, "float32" | "int32") {
            return Err(LayersError::config(
                name.unwrap_or("input"),
                format!("input dtype must be float32 or int32, got {dtype}"),
            ));
        }
        let mut batch_shape = vec![None];
        batch_shape.extend_from_slice(shape);
        let name = name.map(str::to_string).unwrap_or_else(default_input_name);
        self.check_unique(&name)?;
        let l = self.layers.len();
        self.layers.push(ModelLayer::Input(InputLayer {
            name,
            batch_shape: batch_shape.clone(),
            dtype: dtype.to_string(),
            sparse: false,
        }));
        self.inbound.push(vec![Vec::new()]);
        self.built.push(true);
        self.tensors.push(SymInfo {
            layer: l,
            call: 0,
            index: 0,
            shape: batch_shape,
        });
        Ok(SymbolicTensor(self.tensors.len() - 1))
    }

    fn check_unique(&self, name: &str) -> Result<()> {
        if self.layers.iter().any(|l| l.name() == name) {
            return Err(LayersError::Topology {
                message: format!(
                    "a layer named `{name}` is already in this graph; layer names must be unique"
                ),
            });
        }
        Ok(())
    }

    /// Add a layer without calling it.
    pub fn add_layer(&mut self, layer: Box<dyn Layer>) -> Result<LayerId> {
        self.check_unique(layer.name())?;
        self.layers.push(ModelLayer::Layer(layer));
        self.inbound.push(Vec::new());
        self.built.push(false);
        Ok(LayerId(self.layers.len() - 1))
    }

    /// Add a whole model as a layer (nested model).
    pub fn add_model(&mut self, model: Model) -> Result<LayerId> {
        self.check_unique(model.name())?;
        self.layers.push(ModelLayer::Model(Box::new(model)));
        self.inbound.push(Vec::new());
        self.built.push(true);
        Ok(LayerId(self.layers.len() - 1))
    }

    /// Call layer `id` on `inputs`; returns its outputs.
    pub fn call(&mut self, id: LayerId, inputs: &[SymbolicTensor]) -> Result<Vec<SymbolicTensor>> {
        let l = id.0;
        let in_shapes: Vec<Shape> = inputs
            .iter()
            .map(|t| {
                self.tensors
                    .get(t.0)
                    .map(|i| i.shape.clone())
                    .ok_or_else(|| LayersError::Topology {
                        message: "symbolic tensor from another graph".into(),
                    })
            })
            .collect::<Result<_>>()?;
        let name = self
            .layers
            .get(l)
            .ok_or_else(|| LayersError::Topology {
                message: "layer id from another graph".into(),
            })?
            .name()
            .to_string();
        let out_shapes = match &mut self.layers[l] {
            ModelLayer::Input(_) => {
                return Err(LayersError::config(
                    &name,
                    "an input layer cannot be called",
                ))
            }
            ModelLayer::Layer(layer) => {
                if !self.built[l] {
                    layer
                        .build(&in_shapes)
                        .map_err(|e| crate::model::in_layer(&name, e))?;
                    self.built[l] = true;
                }
                let shapes = layer
                    .output_shapes(&in_shapes)
                    .map_err(|e| crate::model::in_layer(&name, e))?;
                crate::model::check_sample_size(&shapes)
                    .map_err(|e| crate::model::in_layer(&name, e))?;
                shapes
            }
            ModelLayer::Model(m) => {
                if m.inputs.len() != inputs.len() {
                    return Err(LayersError::config(
                        &name,
                        format!(
                            "model expects {} input(s), called with {}",
                            m.inputs.len(),
                            inputs.len()
                        ),
                    ));
                }
                m.output_shapes()
            }
        };
        let refs: Vec<TensorRef> = inputs
            .iter()
            .map(|t| {
                let info = &self.tensors[t.0];
                let base = usize::from(matches!(self.layers[info.layer], ModelLayer::Model(_)));
                TensorRef {
                    layer: self.layers[info.layer].name().to_string(),
                    node: info.call + base,
                    tensor: info.index,
                    kwargs: Value::Object(Map::new()),
                }
            })
            .collect();
        let call = self.inbound[l].len();
        self.inbound[l].push(refs);
        let mut outs = Vec::new();
        for (k, s) in out_shapes.into_iter().enumerate() {
            self.tensors.push(SymInfo {
                layer: l,
                call,
                index: k,
                shape: s,
            });
            outs.push(SymbolicTensor(self.tensors.len() - 1));
        }
        Ok(outs)
    }

    /// Add `layer` and call it on `inputs`; returns its first output.
    pub fn apply(
        &mut self,
        layer: Box<dyn Layer>,
        inputs: &[SymbolicTensor],
    ) -> Result<SymbolicTensor> {
        let id = self.add_layer(layer)?;
        let name = self.layers[id.0].name().to_string();
        self.call(id, inputs)?
            .into_iter()
            .next()
            .ok_or_else(|| LayersError::config(name, "layer produced no output"))
    }

    /// The symbolic shape of `t` (batch first).
    pub fn shape(&self, t: SymbolicTensor) -> &[Option<usize>] {
        &self.tensors[t.0].shape
    }

    /// `tf.model({inputs, outputs, name})`; weights initialized from `seed`.
    pub fn build(
        self,
        inputs: &[SymbolicTensor],
        outputs: &[SymbolicTensor],
        name: Option<&str>,
        seed: u64,
    ) -> Result<Model> {
        let tref = |t: &SymbolicTensor| -> Result<TensorRef> {
            let info = self.tensors.get(t.0).ok_or_else(|| LayersError::Topology {
                message: "symbolic tensor from another graph".into(),
            })?;
            let base = usize::from(matches!(self.layers[info.layer], ModelLayer::Model(_)));
            Ok(TensorRef {
                layer: self.layers[info.layer].name().to_string(),
                node: info.call + base,
                tensor: info.index,
                kwargs: Value::Null,
            })
        };
        let ins = inputs.iter().map(tref).collect::<Result<Vec<_>>>()?;
        let outs = outputs.iter().map(tref).collect::<Result<Vec<_>>>()?;
        let name = name.map(str::to_string).unwrap_or_else(default_model_name);
        let mut m = Model::assemble(name, "Model".into(), self.layers, self.inbound, &ins, &outs)?;
        m.initialize_weights(seed)?;
        Ok(m)
    }
}

/// `tf.sequential()`.
///
/// ```
/// use serde_json::json;
/// use tfjs_layers::builder::Sequential;
/// use tfjs_layers::{LayerRegistry, Tensor};
/// let registry = LayerRegistry::with_builtins();
/// let dense = registry.create("Dense", json!({"units": 2, "activation": "softmax"})).unwrap();
/// let model = Sequential::new().input_shape(&[8]).add(dense).build(42).unwrap();
/// let y = model.predict(&[Tensor::from_f32(vec![1, 8], vec![0.5; 8]).unwrap()]).unwrap();
/// assert_eq!(y[0].shape(), &[1, 2]);
/// ```
#[derive(Debug, Default)]
pub struct Sequential {
    name: Option<String>,
    batch_shape: Option<Shape>,
    dtype: Option<String>,
    layers: Vec<ModelLayer>,
}

impl Sequential {
    /// An empty Sequential.
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// Model name (default `sequential_<N>`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The first layer's `inputShape` (without batch).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        let mut s = vec![None];
        s.extend(shape.iter().map(|&d| Some(d)));
        self.batch_shape = Some(s);
        self
    }

    /// The first layer's `batchInputShape`.
    pub fn batch_input_shape(mut self, shape: &[Option<usize>]) -> Self {
        self.batch_shape = Some(shape.to_vec());
        self
    }

    /// Input dtype (`float32` default, `int32` for token inputs).
    pub fn dtype(mut self, dtype: &str) -> Self {
        self.dtype = Some(dtype.to_string());
        self
    }

    /// Append a layer (`model.add(layer)`).
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: Box<dyn Layer>) -> Self {
        self.layers.push(ModelLayer::Layer(layer));
        self
    }

    /// Append a model as a layer.
    pub fn add_model(mut self, model: Model) -> Self {
        self.layers.push(ModelLayer::Model(Box::new(model)));
        self
    }

    /// Build with weights initialized from `seed`.
    pub fn build(self, seed: u64) -> Result<Model> {
        let name = self.name.unwrap_or_else(default_sequential_name);
        let first = self.layers.first().ok_or_else(|| LayersError::Topology {
            message: format!("Sequential model `{name}` has no layers"),
        })?;
        let batch_shape = match (&self.batch_shape, first) {
            (Some(s), _) => s.clone(),
            (None, ModelLayer::Model(m)) => m
                .inputs()
                .first()
                .map(|i| i.batch_shape.clone())
                .unwrap_or_default(),
            (None, _) => {
                return Err(LayersError::config(
                    first.name(),
                    "The first layer in a Sequential model must get an `inputShape` or `batchInputShape` argument.",
                ))
            }
        };
        let in_name = format!("{}_input", first.name());
        let mut layers = vec![ModelLayer::Input(InputLayer {
            name: in_name,
            batch_shape,
            dtype: self.dtype.unwrap_or_else(|| "float32".into()),
            sparse: false,
        })];
        layers.extend(self.layers);
        let mut inbound = vec![vec![Vec::new()]];
        for i in 1..layers.len() {
            let prev_nested = matches!(layers[i - 1], ModelLayer::Model(_));
            inbound.push(vec![vec![TensorRef {
                layer: layers[i - 1].name().to_string(),
                node: usize::from(prev_nested),
                tensor: 0,
                kwargs: Value::Object(Map::new()),
            }]]);
        }
        let last = layers.len() - 1;
        let ins = vec![TensorRef {
            layer: layers[0].name().to_string(),
            node: 0,
            tensor: 0,
            kwargs: Value::Null,
        }];
        let outs = vec![TensorRef {
            layer: layers[last].name().to_string(),
            node: usize::from(matches!(layers[last], ModelLayer::Model(_))),
            tensor: 0,
            kwargs: Value::Null,
        }];
        let mut m = Model::assemble(name, "Sequential".into(), layers, inbound, &ins, &outs)?;
        m.auto_input = true;
        m.initialize_weights(seed)?;
        Ok(m)
    }
}

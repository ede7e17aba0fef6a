//! Class name → layer constructor (the `registerClass` analog).

use crate::config::ConfigReader;
use crate::{Layer, LayersError, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Builds a layer from its (already normalized) Keras config.
pub type LayerCtor =
    Arc<dyn Fn(&ConfigReader<'_>, &BuildContext<'_>) -> Result<Box<dyn Layer>> + Send + Sync>;

/// What a constructor may need besides its own config: wrappers
/// (`Bidirectional`, `TimeDistributed`, `RNN` cells) build inner layers
/// through the registry.
pub struct BuildContext<'a> {
    pub registry: &'a LayerRegistry,
    /// The kwargs of the layer's first call as the file records them
    /// (`inbound_nodes[0][0][3]`): Keras 2's `TFOpLambda` keeps the
    /// arguments of its `tf.*` function there (`{"y": 3.0}`).
    pub call_kwargs: Option<&'a Value>,
    /// The model's dialect: nested configs (wrapped layers, cells) are read
    /// in it too.
    pub dialect: crate::Dialect,
}

impl<'a> BuildContext<'a> {
    /// A context for building layers from `registry` outside a model call
    /// (no call kwargs).
    pub fn new(registry: &'a LayerRegistry) -> Self {
        BuildContext {
            registry,
            call_kwargs: None,
            dialect: crate::Dialect::Tfjs,
        }
    }

    /// Build a nested `{"class_name": …, "config": …}` object (a wrapped
    /// layer or an RNN cell).
    pub fn build_nested(&self, value: &Value, parent: &str) -> Result<Box<dyn Layer>> {
        let obj = value.as_object().ok_or_else(|| {
            LayersError::config(
                parent,
                "nested layer must be an object with class_name and config",
            )
        })?;
        let class = obj
            .get("class_name")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                LayersError::config(parent, "nested layer has no string `class_name`")
            })?;
        let empty = serde_json::Map::new();
        let config = obj
            .get("config")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let name = config.get("name").and_then(Value::as_str).unwrap_or(class);
        let inner = BuildContext {
            registry: self.registry,
            call_kwargs: None,
            dialect: self.dialect,
        };
        let reader = ConfigReader::new(name, config).in_dialect(self.dialect);
        self.registry.build(class, &reader, &inner)
    }
}

/// Class name → constructor. [`LayerRegistry::with_builtins`] knows every
/// built-in class; users add theirs with [`LayerRegistry::register`].
#[derive(Clone, Default)]
pub struct LayerRegistry {
    ctors: BTreeMap<String, LayerCtor>,
}

impl std::fmt::Debug for LayerRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerRegistry")
            .field("classes", &self.ctors.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl LayerRegistry {
    /// An empty registry.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every built-in layer class.
    pub fn with_builtins() -> Self {
        let mut r = Self::empty();
        crate::layers::register_builtins(&mut r);
        r
    }

    /// Register (or replace) the constructor for `class_name`.
    pub fn register<F>(&mut self, class_name: &str, ctor: F) -> &mut Self
    where
        F: Fn(&ConfigReader<'_>, &BuildContext<'_>) -> Result<Box<dyn Layer>>
            + Send
            + Sync
            + 'static,
    {
        self.ctors.insert(class_name.to_string(), Arc::new(ctor));
        self
    }

    /// Is `class_name` known?
    pub fn contains(&self, class_name: &str) -> bool {
        self.ctors.contains_key(class_name)
    }

    /// Known class names, sorted.
    pub fn class_names(&self) -> Vec<&str> {
        self.ctors.keys().map(String::as_str).collect()
    }

    /// Create a layer from a JSON config (for building models in code);
    /// a missing `name` gets TensorFlow.js's default (`dense_Dense1`).
    ///
    /// ```
    /// let r = tfjs_layers::LayerRegistry::with_builtins();
    /// let d = r.create("Dense", serde_json::json!({"units": 3})).unwrap();
    /// assert!(d.name().starts_with("dense_Dense"));
    /// ```
    pub fn create(&self, class_name: &str, config: Value) -> Result<Box<dyn Layer>> {
        let mut map = match config {
            Value::Object(m) => m,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(LayersError::config(
                    class_name,
                    format!("config must be a JSON object, got {other}"),
                ))
            }
        };
        if !map.contains_key("name") {
            map.insert(
                "name".into(),
                Value::String(crate::builder::default_layer_name(class_name)),
            );
        }
        let map = crate::topology::normalize_config(&map);
        let name = map
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(class_name)
            .to_string();
        self.build(
            class_name,
            &ConfigReader::new(&name, &map),
            &BuildContext::new(self),
        )
    }

    /// Build a layer of `class_name` from `config`.
    pub fn build(
        &self,
        class_name: &str,
        config: &ConfigReader<'_>,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer>> {
        // `Dense(activation=PReLU())`: the layer, then the object's layer.
        if let Some(layer) = crate::layers::activation_object::build(self, class_name, config, ctx)
        {
            return layer;
        }
        let ctor = self.ctors.get(class_name).ok_or_else(|| LayersError::Topology {
            message: format!("Unknown layer: {class_name}. This may be due to a custom layer: register it with LayerRegistry::register"),
        })?;
        ctor(config, ctx)
    }
}

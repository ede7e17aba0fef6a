//! Loading: artifacts (or a URL through a [`Router`]) → [`Model`]
//! (TensorFlow.js `loadLayersModelFromIOHandler`, digest 6.8).

use crate::model::Model;
use crate::topology::parse_topology;
use crate::weights::split_optimizer_weights;
use crate::{Dialect, LayerRegistry, LayersError, Result};
use serde_json::Value;
use tfjs_format::ModelArtifacts;

/// How to load a model.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Every provided weight must have a target and every variable a value
    /// (TensorFlow.js default: true).
    pub strict: bool,
    /// Classes available to the topology (default: the built-ins).
    pub registry: LayerRegistry,
    /// Seed for initializers of weights the file does not set.
    pub seed: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            strict: true,
            registry: LayerRegistry::with_builtins(),
            seed: 0,
        }
    }
}

impl Model {
    /// Build a model from a topology only; weights come from the layers'
    /// initializers (seeded with `seed`).
    pub fn from_topology(topology: &Value, registry: &LayerRegistry, seed: u64) -> Result<Model> {
        let spec = parse_topology(topology)?;
        let mut model = Model::from_spec_in(&spec, registry, Dialect::of_topology(topology))?;
        model.initialize_weights(seed)?;
        Ok(model)
    }

    /// Build a model from loaded artifacts: topology, weights (matched by
    /// name, quantized ones dequantized), trainingConfig, optimizer weights
    /// and userDefinedMetadata (the last three kept for saving).
    pub fn from_artifacts(artifacts: &ModelArtifacts, options: &LoadOptions) -> Result<Model> {
        let topology = artifacts
            .model_topology
            .as_ref()
            .filter(|t| !t.is_null())
            .ok_or_else(|| LayersError::Topology {
                message: "the model artifacts have no modelTopology (is this a weights-only file?)"
                    .into(),
            })?;
        let spec = parse_topology(topology)?;
        let dialect = Dialect::of_topology(topology);
        let mut model = Model::from_spec_in(&spec, &options.registry, dialect)?;
        if let Some(udm) = &artifacts.user_defined_metadata {
            if !udm.is_object() {
                return Err(LayersError::Topology {
                    message: "User-defined metadata is expected to be a JSON object, but is not."
                        .into(),
                });
            }
        }
        let has_data = !artifacts.weight_data.is_empty();
        if has_data && artifacts.weight_specs.is_empty() {
            return Err(LayersError::Weights {
                message: "LayersModel artifacts contains weight data, but not weight specs. Therefore loading of weights cannot proceed.".into(),
            });
        }
        // No weightsManifest (or an empty one) is "no weights": strict
        // loading then refuses a model that has weights, listing every one
        // (running on random initial values would be silently wrong);
        // non-strict loading initializes them and warns.
        let decoded = if artifacts.weight_specs.is_empty() {
            Vec::new()
        } else {
            tfjs_format::codec::decode_weights(&artifacts.weight_specs, &artifacts.weight_data)?
        };
        let (mut model_weights, optimizer) = split_optimizer_weights(decoded);
        crate::weights::merge_lora_adapters(&mut model_weights, topology)?;
        if !options.strict {
            model.initialize_weights(options.seed)?;
        }
        model
            .load_weights_owned(model_weights, options.strict)
            .map_err(|e| match e {
                LayersError::Weights { message } if artifacts.weight_specs.is_empty() => {
                    LayersError::Weights {
                        message: format!(
                            "the artifacts have no weights (weightsManifest is absent or empty); load non-strictly to run on initial values. {message}"
                        ),
                    }
                }
                other => other,
            })?;
        model.extras.optimizer_weights = optimizer;
        model.extras.training_config = artifacts.training_config.clone();
        model.extras.user_defined_metadata = artifacts.user_defined_metadata.clone();
        Ok(model)
    }

    /// Load the model at `url` (any scheme `router` serves).
    #[cfg(feature = "io")]
    pub async fn load(router: &tfjs_io::Router, url: &str, options: &LoadOptions) -> Result<Model> {
        let (store, parsed) = router.resolve(url)?;
        let artifacts = store.load(&parsed).await?;
        Model::from_artifacts(&artifacts, options).map_err(|e| match e {
            LayersError::Topology { message } => LayersError::Topology {
                message: format!("{url}: {message}"),
            },
            LayersError::Weights { message } => LayersError::Weights {
                message: format!("{url}: {message}"),
            },
            other => other,
        })
    }
}

//! Collect-all validation: every reason [`Model::from_artifacts`] would
//! refuse a model, at once (loading stops at the first).

use crate::config::ConfigReader;
use crate::model::{unknown_classes, Model};
use crate::topology::{parse_topology, LayerKind, ModelSpec};
use crate::{BuildContext, LayerRegistry, LayersError, LoadOptions};
use tfjs_format::ModelArtifacts;

/// What kind of problem [`validate`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The topology cannot be parsed or wired (missing layers, cycles,
    /// self-references, duplicate names, bad refs).
    Topology,
    /// A layer class the registry does not know.
    UnknownClass,
    /// A layer config is invalid (zero strides, negative units, …).
    Config,
    /// Weights missing, extra, mis-shaped or of the wrong dtype.
    Weights,
}

/// One reason the model would not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The layer concerned, when there is one.
    pub layer: Option<String>,
    /// The message loading would print.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Problem {
    fn from_error(kind: ProblemKind, e: LayersError) -> Problem {
        let (kind, layer) = match &e {
            LayersError::Config { layer, .. } => (ProblemKind::Config, Some(layer.clone())),
            LayersError::Weights { .. } => (ProblemKind::Weights, None),
            _ => (kind, None),
        };
        Problem {
            kind,
            layer,
            message: e.to_string(),
        }
    }
}

/// Every problem that would make `Model::from_artifacts(artifacts,
/// &LoadOptions::default())` fail, in the order loading meets them: the
/// topology, then every unknown class, then every invalid layer config,
/// then the wiring, then every weight problem. An empty list means the
/// model loads.
///
/// ```
/// let artifacts = tfjs_format::ModelArtifacts {
///     model_topology: Some(serde_json::json!({"class_name": "Sequential", "config": {
///         "name": "m", "layers": [
///             {"class_name": "Nope", "config": {"name": "a", "batch_input_shape": [null, 2]}},
///             {"class_name": "Dense", "config": {"name": "b", "units": 0}}]}})),
///     ..Default::default()
/// };
/// let problems = tfjs_layers::validate(&artifacts);
/// assert_eq!(problems.len(), 2, "{problems:?}");
/// ```
pub fn validate(artifacts: &ModelArtifacts) -> Vec<Problem> {
    validate_with(artifacts, &LoadOptions::default())
}

/// [`validate`] with explicit load options (registry, strictness).
pub fn validate_with(artifacts: &ModelArtifacts, options: &LoadOptions) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Some(topology) = artifacts.model_topology.as_ref().filter(|t| !t.is_null()) else {
        // Loading's own message for a missing topology.
        if let Err(e) = Model::from_artifacts(artifacts, options) {
            problems.push(Problem::from_error(ProblemKind::Topology, e));
        }
        return problems;
    };
    let spec = match parse_topology(topology) {
        Ok(s) => s,
        Err(e) => {
            problems.push(Problem::from_error(ProblemKind::Topology, e));
            return problems;
        }
    };
    for (class, layer) in unknown_classes(&spec, &options.registry) {
        problems.push(Problem {
            kind: ProblemKind::UnknownClass,
            message: format!(
                "Unknown layer class: {} (layer `{}`)",
                crate::error::printable(&class),
                crate::error::printable(&layer)
            ),
            layer: Some(layer),
        });
    }
    let skip: Vec<String> = problems.iter().filter_map(|p| p.layer.clone()).collect();
    collect_config_problems(&spec, &options.registry, &skip, &mut problems);
    // Wiring and weights need every layer built: what is left is exactly
    // what loading checks.
    if problems.is_empty() {
        if let Err(e) = Model::from_artifacts(artifacts, options) {
            problems.push(Problem::from_error(ProblemKind::Topology, e));
        }
    }
    problems
}

/// Build every known layer on its own, collecting each config error.
fn collect_config_problems(
    spec: &ModelSpec,
    registry: &LayerRegistry,
    skip: &[String],
    out: &mut Vec<Problem>,
) {
    for l in &spec.layers {
        let ctx = BuildContext {
            call_kwargs: l.inbound.first().and_then(|n| n.first()).map(|r| &r.kwargs),
            ..BuildContext::new(registry)
        };
        match &l.kind {
            LayerKind::Input(_) => {}
            LayerKind::Nested(m) => collect_config_problems(m, registry, skip, out),
            LayerKind::Leaf => {
                if !registry.contains(&l.class_name) || skip.contains(&l.name) {
                    continue;
                }
                if let Err(e) =
                    registry.build(&l.class_name, &ConfigReader::new(&l.name, &l.config), &ctx)
                {
                    let e = crate::model::in_layer(&l.name, e);
                    out.push(Problem::from_error(ProblemKind::Config, e));
                }
            }
        }
    }
}

//! An advanced-activation layer object given as a layer's `activation`
//! that no activation name computes (`layers/activation_object.rs`): the
//! layer as `<name>_linear` with a linear activation (its own weights
//! renamed) followed by the object as a layer named `<name>`.
//!
//! Every target needs the split: TensorFlow.js takes activation names
//! only, Keras 3 does not save a `PReLU` object's weights (tf_keras saves
//! its alpha as the layer's weight `<layer>/<prelu>/alpha`, which becomes
//! `<name>/alpha`) and reads an object only with the `module` the engine
//! does not keep. For TensorFlow.js the object's layer is then rewritten
//! by the rule for that layer where TensorFlow.js 4.22 computes it
//! otherwise (`ELU(alpha=0.5)`: [`super::elu_alpha`],
//! `ReLU(negative_slope, threshold)`: [`super::relu_options`],
//! `Softmax(axis=1)`: [`super::softmax_axis`], over several axes:
//! [`super::softmax_axes`]).

use super::{elu_alpha, entry, relu_options, softmax_axes, softmax_axis};
use super::{LayerShapes, Outcome, Rule, Site, Target};
use serde_json::{json, Map, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(object) = site
        .config
        .get("activation")
        .filter(|a| crate::layers::common::is_activation_layer_object(a, site.dialect))
    else {
        return Outcome::Skip;
    };
    let class = object["class_name"].as_str().unwrap_or("?");
    rewrite(site, object).unwrap_or_else(|why| {
        Outcome::Cannot(format!("its activation, a {class} layer object: {why}"))
    })
}

/// What TensorFlow.js needs of the activation layer `class` with
/// `config` (named as the layer), called on `linear`: the outcome of the
/// rule for that layer (`Skip`: the layer as it is).
fn activation_layer(
    site: &Site<'_>,
    class: &str,
    config: &Map<String, Value>,
    linear: &str,
) -> Outcome {
    let rules: &[Rule] = match class {
        "ELU" => &[elu_alpha::rule],
        "ReLU" => &[relu_options::rule],
        "Softmax" => &[softmax_axis::rule, softmax_axes::rule],
        _ => return Outcome::Skip,
    };
    let node = [json!([[linear, 0, 0, {}]])];
    let shapes = site.shapes.map(|s| LayerShapes {
        inputs: s.outputs.clone(),
        outputs: s.outputs.clone(),
        masked_calls: Vec::new(),
        mask_ids: None,
        masking_input: None,
        input_mask_ids: Vec::new(),
        call_mask_sources: Vec::new(),
        call_inputs: Vec::new(),
        mask_readers_unrolled: false,
        output_mask_unread: false,
        masked_steps_unread: false,
        integer_inputs: Vec::new(),
    });
    let act = Site {
        name: site.name,
        class_name: class,
        config,
        inbound_nodes: Some(&node),
        shapes: shapes.as_ref(),
        weights: Vec::new(),
        masks_possible: site.masks_possible,
        dialect: site.dialect,
        target: site.target,
        notes: site.notes,
    };
    for rule in rules {
        match rule(&act) {
            Outcome::Skip => {}
            outcome => return outcome,
        }
    }
    Outcome::Skip
}

fn rewrite(site: &Site<'_>, object: &Value) -> Result<Outcome, String> {
    let node = site.single_call("a Sequential model cannot wire the layer it needs")?;
    let mut config = object
        .get("config")
        .and_then(Value::as_object)
        .cloned()
        .ok_or("it has no config")?;
    let act = config
        .remove("name")
        .and_then(|n| n.as_str().map(str::to_string))
        .ok_or("its config has no name")?;
    let class = object["class_name"].as_str().unwrap_or("?");
    let (name, linear) = (site.name, format!("{}_linear", site.name));
    // The object's weights (a PReLU's alpha) under `<name>/<object>/`.
    let own = format!("{name}/{act}/");
    let mut weights = Vec::new();
    for w in &site.weights {
        let mut w = (*w).clone();
        if let Some(rest) = w.name.strip_prefix(&own) {
            w.name = format!("{name}/{rest}");
        } else if let Some(rest) = w.name.strip_prefix(&format!("{name}/")) {
            w.name = format!("{linear}/{rest}");
        }
        weights.push(w);
    }
    if class == "PReLU" && !weights.iter().any(|w| w.name == format!("{name}/alpha")) {
        return Err(format!("its weight {own}alpha is missing"));
    }
    let mut layers = vec![entry(
        &linear,
        site.class_name,
        site.config_with("activation", json!("linear")),
        vec![node.clone()],
    )];
    config.insert("name".into(), Value::String(name.into()));
    let rewritten = if site.target == Target::Tfjs {
        activation_layer(site, class, &config, &linear)
    } else {
        Outcome::Skip
    };
    match rewritten {
        Outcome::Skip => layers.push(entry(
            name,
            class,
            Value::Object(config),
            vec![json!([[linear, 0, 0, {}]])],
        )),
        Outcome::Replace {
            layers: more,
            weights: more_weights,
        } => {
            layers.extend(more);
            weights.extend(more_weights);
        }
        Outcome::Cannot(why) => return Err(why),
    }
    Ok(Outcome::Replace { layers, weights })
}

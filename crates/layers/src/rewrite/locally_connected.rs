//! tf_keras `LocallyConnected1D` / `LocallyConnected2D` (TensorFlow.js and
//! Keras 3 have neither) → `Reshape` (the input flattened) + `Dense` (one
//! matrix between the flattened input and output, zero outside each output
//! position's window) + `Reshape` (the output's shape) [+ `Activation`].
//! Exact: the dense product sums the same terms (the added ones are
//! products with 0). The matrix is the engine's own reading of the layer's
//! three kernel layouts (`crate::layers::locally_connected`), so the
//! rewrite and the engine cannot disagree.
//!
//! The dense matrix has `input size × output size` entries (as
//! `implementation: 2` stores them); past [`MAX_DENSE`] the layer is
//! refused. A tf_keras export keeps the layer as it is.

use super::activations::runs_as_is;
use super::{end_chain, f32_weight, zero_dense, Outcome, Site, Step, Target};
use crate::config::ConfigReader;
use crate::layers::locally_connected::LocallyConnected;
use crate::{Layer, Tensor};
use serde_json::{json, Value};

/// Most entries of the dense matrix (64 MiB of float32).
pub const MAX_DENSE: usize = 1 << 24;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let rank = match site.class_name {
        "LocallyConnected1D" => 1,
        "LocallyConnected2D" => 2,
        _ => return Outcome::Skip,
    };
    if site.target == Target::TfKeras {
        return Outcome::Skip;
    }
    match rewrite(site, rank) {
        Ok(o) => o,
        Err(why) => Outcome::Cannot(format!(
            "{} has no {} and its rewrite into Dense failed: {why}",
            site.target.name(),
            site.class_name
        )),
    }
}

fn rewrite(site: &Site<'_>, rank: usize) -> Result<Outcome, String> {
    let dims = site.static_input()?;
    let reader = ConfigReader::new(site.name, site.config).in_dialect(site.dialect);
    let mut layer = LocallyConnected::from_config(&reader, rank).map_err(|e| e.to_string())?;
    let shape: Vec<Option<usize>> = std::iter::once(None)
        .chain(dims.iter().map(|&d| Some(d)))
        .collect();
    layer.build(&[shape]).map_err(|e| e.to_string())?;
    let n_in: usize = dims.iter().product();
    let n_out: usize = layer
        .output_shapes(&[std::iter::once(None)
            .chain(dims.iter().map(|&d| Some(d)))
            .collect()])
        .map_err(|e| e.to_string())?[0][1..]
        .iter()
        .map(|d| d.unwrap_or(0))
        .product();
    if n_in.saturating_mul(n_out) > MAX_DENSE {
        return Err(format!(
            "its dense equivalent would have {n_in} x {n_out} weights (over {MAX_DENSE})"
        ));
    }
    let specs = layer.weights();
    for (i, (spec, short)) in specs.iter().zip(["kernel", "bias"]).enumerate() {
        let (wshape, values) = site.f32_weight(short)?;
        let t = Tensor::from_f32(wshape.to_vec(), values.to_vec()).map_err(|e| e.to_string())?;
        if spec.shape != wshape {
            return Err(format!(
                "its weight {short} has shape {wshape:?}, the layer's is {:?}",
                spec.shape
            ));
        }
        layer.set_weight(i, t).map_err(|e| e.to_string())?;
    }
    let (out_shape, kernel, bias) = layer
        .dense_equivalent()
        .ok_or("the layer could not be built")?;
    let activation = site.field("activation", Value::as_str).unwrap_or("linear");
    if !runs_as_is(activation, site.dialect, site.target)? {
        return Err(format!(
            "its activation {activation} would need a rewrite of its own"
        ));
    }
    let node = site.single_call("its rewrite needs several layers")?;
    let name = site.name;
    let dense = format!("{name}_dense");
    let mut steps: Vec<Step> = vec![
        (
            format!("{name}_flat"),
            "Reshape",
            json!({ "target_shape": [n_in] }),
        ),
        (dense.clone(), "Dense", zero_dense(n_out, true)),
        (
            format!("{name}_out"),
            "Reshape",
            json!({ "target_shape": out_shape }),
        ),
    ];
    end_chain(&mut steps, name, activation);
    let weights = vec![
        f32_weight(format!("{dense}/kernel"), vec![n_in, n_out], kernel),
        f32_weight(format!("{dense}/bias"), vec![n_out], bias),
    ];
    Ok(Outcome::Replace {
        layers: super::chain_entries(node, steps),
        weights,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{rewrite_for, Target};

    fn lc(class: &str, config: serde_json::Value) -> Vec<serde_json::Value> {
        vec![entry_on("lc", class, config, "x")]
    }

    #[test]
    fn every_layout_becomes_reshape_dense_reshape() {
        for implementation in 1..=3 {
            for (fmt, padding) in [("channels_last", "valid"), ("channels_first", "same")] {
                if implementation == 1 && padding == "same" {
                    continue;
                }
                let cfg = json!({"filters": 3, "kernel_size": [3], "strides": [2],
                    "padding": padding, "data_format": fmt, "activation": "tanh",
                    "implementation": implementation});
                assert_rewrites(&[2, 7, 2], lc("LocallyConnected1D", cfg), 60, 1e-5, "Dense");
                let cfg = json!({"filters": 2, "kernel_size": [2, 3], "strides": [1, 2],
                    "padding": padding, "data_format": fmt, "use_bias": false,
                    "activation": "softmax", "implementation": implementation});
                assert_rewrites(
                    &[2, 3, 5, 6],
                    lc("LocallyConnected2D", cfg),
                    61,
                    1e-5,
                    "Dense",
                );
            }
        }
    }

    #[test]
    fn tf_keras_keeps_the_layer_and_big_layers_are_refused() {
        let cfg = json!({"filters": 2, "kernel_size": 3, "implementation": 2});
        let model = functional(&[6, 2], lc("LocallyConnected1D", cfg), 62);
        let out = rewrite_for(&model, Target::TfKeras).unwrap();
        assert!(out.notes.is_empty(), "{:?}", out.notes);
        let cfg = json!({"filters": 8, "kernel_size": [3, 3], "implementation": 1});
        let model = functional(&[40, 40, 4], lc("LocallyConnected2D", cfg), 63);
        let e = rewrite_for(&model, Target::Tfjs).unwrap_err().to_string();
        assert!(
            e.contains("`lc` (LocallyConnected2D)") && e.contains("dense equivalent"),
            "{e}"
        );
    }
}

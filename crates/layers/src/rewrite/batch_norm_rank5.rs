//! `BatchNormalization` over the last axis of a rank-5 input (e.g. after
//! `ConvLSTM2D`): TensorFlow.js 4.22's kernel stops at rank 4. The
//! normalization is per channel, so it is the same on a rank-4 view
//! `[d1, d2·d3, channels]` (`Reshape` in, `BatchNormalization` with the
//! same weights, `Reshape` back to the static shape).

use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "BatchNormalization" {
        return Outcome::Skip;
    }
    let rank = site
        .shapes
        .and_then(|s| s.inputs.first())
        .map_or(0, Vec::len);
    if rank <= 4 {
        return Outcome::Skip;
    }
    rewrite(site, rank).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "an input of rank {rank} (TensorFlow.js 4.22's batchNormalization stops at rank 4) \
             and no rank-4 view: {why}"
        ))
    })
}

fn rewrite(site: &Site<'_>, rank: usize) -> Result<Outcome, String> {
    let axes: Vec<i64> = match site.config.get("axis") {
        None | Some(Value::Null) => vec![-1],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_i64).collect(),
        Some(v) => v.as_i64().into_iter().collect(),
    };
    if !matches!(axes[..], [a] if a == -1 || a == rank as i64 - 1) {
        return Err(format!("axis {axes:?} is not the last axis"));
    }
    let dims = site.static_input()?;
    let (first, rest) = dims.split_first().ok_or("a non-empty input")?;
    let (channels, middle) = rest.split_last().ok_or("a rank-5 input")?;
    let node = site.single_call("several layers")?;
    let name = site.name;
    let (view, inner) = (format!("{name}_4d"), format!("{name}_bn"));
    Ok(Outcome::Replace {
        layers: vec![
            entry(
                &view,
                "Reshape",
                json!({"target_shape": [first, middle.iter().product::<usize>(), channels]}),
                vec![node.clone()],
            ),
            entry_on(
                &inner,
                "BatchNormalization",
                site.config_with("axis", json!(-1)),
                &view,
            ),
            entry_on(name, "Reshape", json!({ "target_shape": dims }), &inner),
        ],
        weights: site.weights_under(&inner),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn rank_5_batch_norm_runs_on_a_rank_4_view() {
        let layers = vec![entry_on(
            "bn",
            "BatchNormalization",
            json!({"axis": -1, "epsilon": 0.01}),
            "x",
        )];
        assert_rewrites(
            &[2, 2, 3, 4, 5],
            layers,
            3,
            1e-6,
            "bn (BatchNormalization) -> Reshape + BatchNormalization + Reshape",
        );
    }
}

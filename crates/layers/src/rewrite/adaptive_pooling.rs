//! Keras 3's `AdaptiveAveragePooling1D/2D/3D` / `AdaptiveMaxPooling1D/2D/3D`
//! (TensorFlow.js 4.22 has none) whose every output size divides its
//! input size → `AveragePooling` / `MaxPooling` with `pool_size = strides
//! = input / output` and `valid` padding: Keras's windows are then exactly
//! those (`[i·k, (i+1)·k)`). The common uses are covered: `output_size` 1
//! (a global pooling that keeps its axes) and an output the size of the
//! input. Other sizes have overlapping or uneven windows, which no
//! TensorFlow.js pooling layer makes; channels-first data is refused too
//! (TensorFlow.js's 1-D pooling ignores `data_format`).

use super::{Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some((pool, rank)) = pooling_for(site.class_name) else {
        return Outcome::Skip;
    };
    rewrite(site, pool, rank).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "TensorFlow.js 4.22 has no {} and the rewrite into {pool} needs {why}",
            site.class_name
        ))
    })
}

/// The TF.js pooling class and the rank of an adaptive pooling class.
fn pooling_for(class: &str) -> Option<(&'static str, usize)> {
    Some(match class {
        "AdaptiveAveragePooling1D" => ("AveragePooling1D", 1),
        "AdaptiveAveragePooling2D" => ("AveragePooling2D", 2),
        "AdaptiveAveragePooling3D" => ("AveragePooling3D", 3),
        "AdaptiveMaxPooling1D" => ("MaxPooling1D", 1),
        "AdaptiveMaxPooling2D" => ("MaxPooling2D", 2),
        "AdaptiveMaxPooling3D" => ("MaxPooling3D", 3),
        _ => return None,
    })
}

fn rewrite(site: &Site<'_>, pool: &str, rank: usize) -> Result<Outcome, String> {
    if site.field("data_format", Value::as_str) == Some("channels_first") {
        return Err("channels_last data".into());
    }
    let dims = site.static_input()?;
    let spatial = dims
        .get(..rank)
        .filter(|_| dims.len() == rank + 1)
        .ok_or_else(|| format!("a rank-{} input, not {dims:?}", rank + 2))?;
    let sizes: Vec<u64> = match site.config.get("output_size") {
        Some(Value::Array(a)) => a.iter().map(Value::as_u64).collect::<Option<_>>(),
        Some(v) => v.as_u64().map(|m| vec![m; rank]),
        None => None,
    }
    .filter(|s: &Vec<u64>| s.len() == rank && !s.contains(&0))
    .ok_or("an output_size of positive integers")?;
    let window = spatial
        .iter()
        .zip(&sizes)
        .map(|(&n, &m)| (n as u64).is_multiple_of(m).then_some(n as u64 / m))
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(|| format!("output sizes {sizes:?} that divide the input's {spatial:?}"))?;
    let (pool_size, strides) = if rank == 1 {
        (json!(window[0]), json!(window[0]))
    } else {
        (json!(window), json!(window))
    };
    let config = json!({
        "pool_size": pool_size,
        "strides": strides,
        "padding": "valid",
        "data_format": "channels_last",
    });
    Ok(site.as_one(pool, config, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn divisible_sizes_become_plain_pooling_and_others_are_refused() {
        for (class, out) in [
            ("AdaptiveAveragePooling2D", json!([2, 1])),
            ("AdaptiveMaxPooling2D", json!(1)),
        ] {
            let layers = vec![entry_on("ap", class, json!({ "output_size": out }), "x")];
            assert_rewrites(&[2, 4, 6, 3], layers, 1, 1e-6, &format!("ap ({class}) -> "));
        }
        let layers = vec![entry_on(
            "ap",
            "AdaptiveAveragePooling1D",
            json!({"output_size": [3]}),
            "x",
        )];
        let model = functional(&[4, 3], layers, 4);
        assert_refused(&model, &["`ap` (AdaptiveAveragePooling1D)", "divide"]);
    }
}

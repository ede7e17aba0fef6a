//! Cumulative sums along a non-batch axis of known length `n`, which
//! TensorFlow.js 4.22 has no layer for: tf_keras's `tf.math.cumsum(x,
//! axis, exclusive, reverse)` and Keras 3's `ops.cumsum(x, axis)` of a
//! float result → a bias-free `Dense(n)` whose 0/1 kernel is triangular
//! (`kernel[j][k]` is 1 where input step `j` counts toward output step
//! `k`: `j ≤ k`, `j < k` exclusive, `j ≥ k` reversed, `j > k` both), along
//! the last axis or between `Permute`s moving the axis last and back.
//! The products by 1 and 0 are exact, so each output is the same sum of
//! the same inputs in another order: within the float32 rounding of the
//! running sum (`n` roundings of `Σ|x|` at most), for finite inputs (an
//! infinite input times 0 is NaN). A cumulative sum without an axis
//! (Keras 3 flattens), along the batch axis or of an integer result stays
//! refused by name.

use super::{entry, f32_weight, zero_dense, Outcome, Site};
use serde_json::Value;

/// The longest axis rewritten (a kernel of 4M float32 weights, 16 MB).
const MAX_STEPS: usize = 2048;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(&["math.cumsum", "cumsum"], &["ops.Cumsum"]) else {
        return Outcome::Skip;
    };
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (first, node) = site.first_input("outside a functional model")?;
    let keras3 = site.class_name == "ops.Cumsum";
    let empty = serde_json::Map::new();
    let kwargs = first.get(3).and_then(Value::as_object).unwrap_or(&empty);
    let get = |k: &str| -> Option<&Value> {
        if keras3 {
            site.config.get(k)
        } else {
            kwargs.get(k)
        }
        .filter(|v| !v.is_null())
    };
    if let Some(d) = get("dtype").and_then(Value::as_str) {
        if !matches!(d, "float32" | "float16" | "bfloat16" | "float64") {
            return Err(format!("a {d} result is not rewritten (float32 only)"));
        }
    }
    let flag = |k: &str| get(k).and_then(Value::as_bool).unwrap_or(false);
    let (exclusive, reverse) = (flag("exclusive"), flag("reverse"));
    // tf.math.cumsum's axis defaults to 0 (the batch); Keras 3's None
    // flattens.
    let axis = match get("axis") {
        None if keras3 => return Err("without an axis it flattens its input".into()),
        None => 0,
        Some(v) => v.as_i64().ok_or("its axis is not an integer")?,
    };
    let dims = site.static_input()?;
    let rank = dims.len() as i64 + 1;
    let at = if axis < 0 { axis + rank } else { axis };
    if at < 1 || at >= rank {
        return Err(format!(
            "axis {axis} of a rank-{rank} input is the batch axis (or out of range)"
        ));
    }
    let at = at as usize;
    let n = dims[at - 1];
    if n > MAX_STEPS {
        return Err(format!(
            "an axis of {n} steps (the triangular kernel's n² weights; up to {MAX_STEPS} \
             steps are rewritten)"
        ));
    }
    let mut kernel = vec![0.0f32; n * n];
    for j in 0..n {
        for k in 0..n {
            let counts = match (exclusive, reverse) {
                (false, false) => j <= k,
                (true, false) => j < k,
                (false, true) => j >= k,
                (true, true) => j > k,
            };
            if counts {
                kernel[j * n + k] = 1.0;
            }
        }
    }
    let name = site.name;
    let last = at == dims.len();
    let (layers, dense) = if last {
        (
            vec![entry(name, "Dense", zero_dense(n, false), vec![node])],
            name.to_string(),
        )
    } else {
        let layers = super::softmax_axis::chain_of(
            name,
            node,
            at,
            rank as usize,
            "Dense",
            zero_dense(n, false),
        );
        (layers, format!("{name}_last"))
    };
    site.note("a cumulative sum as a triangular 0/1 Dense (within float32 rounding)");
    Ok(Outcome::Replace {
        layers,
        weights: vec![f32_weight(format!("{dense}/kernel"), vec![n, n], kernel)],
    })
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    /// Cumulative sums over time (axis 1 of a sequence, exclusive and
    /// reversed too) and over features (Keras 3's `ops.cumsum(x, -1)`).
    #[test]
    fn cumsum_becomes_a_triangular_dense() {
        let layers = vec![
            tf("c1", "math.cumsum", "x", json!({"axis": 1})),
            tf(
                "c2",
                "math.cumsum",
                "c1",
                json!({"axis": -2, "exclusive": true, "reverse": true}),
            ),
            tf(
                "c3",
                "math.cumsum",
                "c2",
                json!({"axis": 2, "reverse": true}),
            ),
            op(
                "c4",
                "Cumsum",
                json!({"axis": -1, "dtype": null}),
                json!([["c3", 0, 0]]),
            ),
        ];
        assert_rewrites(
            &[2, 5, 3],
            layers,
            3,
            1e-5,
            "c1 (TFOpLambda) -> Permute + Dense + Permute",
        );
    }

    /// `tf.math.cumsum`'s default axis 0 is the batch.
    #[test]
    fn cumsum_along_the_batch_is_refused() {
        let layers = vec![tf("c", "math.cumsum", "x", json!({}))];
        assert_refused(
            &functional(&[3], layers, 1),
            &["`c` (TFOpLambda)", "batch axis"],
        );
        // (An axis longer than the kernel cap.)
        let layers = vec![tf("c", "math.cumsum", "x", json!({"axis": 1}))];
        assert_refused(
            &functional(&[2049], layers, 1),
            &["`c` (TFOpLambda)", "2049 steps"],
        );
    }
}

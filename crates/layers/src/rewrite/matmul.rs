//! A batched matrix product of two `[batch, m, k]` / `[batch, k, n]`
//! tensors: Keras 3 `ops.Matmul`, Keras 2 `TFOpLambda` `tf.linalg.matmul`
//! (`transpose_a` / `transpose_b` too; `adjoint_*` of real tensors is the
//! same). Rewritten as one `Dot` with `axes = [transpose_a ? 1 : 2,
//! transpose_b ? 2 : 1]`: TensorFlow.js 4.22's `batchDot` on two rank-3
//! tensors is `matMul(x, y, axes[0] != 2, axes[1] == 2)`, the same
//! product as TensorFlow's `BatchMatMul`. Other ranks, a constant operand
//! or unknown shapes are left to the `TFOpLambda` / Keras 3 operation
//! rules, which refuse them by name.

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let keras2 = site.class_name == "TFOpLambda"
        && matches!(
            site.config.get("function").and_then(Value::as_str),
            Some("linalg.matmul" | "matmul")
        );
    if !keras2 && site.class_name != "ops.Matmul" {
        return Outcome::Skip;
    }
    match rewrite(site, keras2) {
        Some(layer) => Outcome::weightless(vec![layer]),
        None => Outcome::Skip,
    }
}

/// `[layer, node, index, {}]` of a saved tensor reference.
fn tensor(v: &Value) -> Option<Value> {
    let a = v.as_array().filter(|a| a.len() >= 3)?;
    a[0].is_string().then(|| json!([a[0], a[1], a[2], {}]))
}

fn rewrite(site: &Site<'_>, keras2: bool) -> Option<Value> {
    let shapes = site.shapes?;
    let node = site.single_call("").ok()?.as_array()?;
    let first = node.first()?.as_array()?;
    let kwargs = first.get(3)?;
    let flag = |k: &str| kwargs.get(k).and_then(Value::as_bool).unwrap_or(false);
    let (b, transpose_a, transpose_b) = if keras2 {
        let plain = ["a_is_sparse", "b_is_sparse", "output_type"]
            .iter()
            .all(|k| kwargs.get(*k).is_none_or(|v| v.is_null() || v == false));
        if !plain {
            return None;
        }
        (
            tensor(kwargs.get("b")?)?,
            flag("transpose_a") || flag("adjoint_a"),
            flag("transpose_b") || flag("adjoint_b"),
        )
    } else {
        (tensor(node.get(1)?)?, false, false)
    };
    // Both operands rank 3, the product's dims matching and known.
    let [x_shape, y_shape] = shapes.inputs.get(..2)? else {
        return None;
    };
    let dims = |s: &crate::Shape| -> Option<[usize; 2]> {
        match s.as_slice() {
            [_, Some(r), Some(c)] => Some([*r, *c]),
            _ => None,
        }
    };
    let ([xr, xc], [yr, yc]) = (dims(x_shape)?, dims(y_shape)?);
    let inner_x = if transpose_a { xr } else { xc };
    let inner_y = if transpose_b { yc } else { yr };
    if inner_x != inner_y {
        return None;
    }
    let axes = [
        if transpose_a { 1 } else { 2 },
        if transpose_b { 2 } else { 1 },
    ];
    let x = json!([first[0], first[1], first[2], {}]);
    Some(entry(
        site.name,
        "Dot",
        json!({"axes": axes, "normalize": false}),
        vec![json!([x, b])],
    ))
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    #[test]
    fn batched_products_become_dot() {
        // Keras 3: [b, 4, 3] @ [b, 3, 4].
        let layers = vec![
            dense("d", 3, "x"),
            op(
                "t",
                "Transpose",
                json!({"axes": [0, 2, 1]}),
                json!([["d", 0, 0]]),
            ),
            op("mm", "Matmul", json!({}), json!([["d", 0, 0], ["t", 0, 0]])),
        ];
        assert_rewrites(&[2, 4, 5], layers, 7, 1e-6, "mm (ops.Matmul) -> Dot");
        // Keras 2, each transpose: x @ xᵀ, xᵀ @ x, xᵀ @ eᵀ.
        for (kwargs, name) in [
            (json!({"b": ["d", 0, 0], "transpose_b": true}), "abt"),
            (json!({"b": ["d", 0, 0], "transpose_a": true}), "atb"),
            (
                json!({"b": ["e", 0, 0], "transpose_a": true, "transpose_b": true}),
                "atbt",
            ),
        ] {
            let layers = vec![
                dense("d", 3, "x"),
                dense("e", 4, "x"),
                tf(name, "linalg.matmul", "d", kwargs),
            ];
            assert_rewrites(
                &[2, 4, 5],
                layers,
                7,
                1e-6,
                &format!("{name} (TFOpLambda) -> Dot"),
            );
        }
    }

    #[test]
    fn other_ranks_are_left_to_the_op_rules() {
        let layers = vec![
            dense("d", 4, "x"),
            op("mm", "Matmul", json!({}), json!([["d", 0, 0], ["d", 0, 0]])),
        ];
        // [b, 4] @ [b, 4] is no batched product of matrices.
        let model = functional(&[4], layers, 1);
        assert_refused(&model, &["`mm` (ops.Matmul)"]);
    }
}

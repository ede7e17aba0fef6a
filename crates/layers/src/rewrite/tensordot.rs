//! Keras 3's `ops.tensordot(x, w, axes)` (and Keras 2's `tf.tensordot(x,
//! w, axes)`, a `TFOpLambda`) of a tensor `x` and a constant array `w`,
//! contracting axes of `x` other than the batch axis → `Permute`
//! (`x`'s free axes, then the contracted ones; left out when already in
//! that order) + `Reshape` to `[free…, K]` + a bias-free `Dense` whose
//! kernel is `w` with the contracted axes first, as `[K, N]` + `Reshape` to
//! `[free…, w's free…]`. A constant first operand (the batch axis would not
//! come first), two tensors, or a contracted batch axis have no TF.js layer
//! and are refused. The same products: Keras 3's `ops.dot(x, w)` (`x`'s
//! last axis with `w`'s second-last, its only one when 1-D) and
//! `ops.matmul(x, w)` / Keras 2's `tf.matmul(x, w)` of a tensor and a
//! constant matrix (`x`'s last axis, second-last with `transpose_a`, with
//! `w`'s first, second with `transpose_b`), the engine's own reading of
//! them (`keras3_ops/tensordot.rs`); their products of two tensors are
//! left to `matmul.rs` and the operation rules.

use super::{entry, entry_on, f32_weight, zero_dense, Outcome, Site};
use crate::layers::common::transpose;
use serde_json::{json, Value};

/// Which product, and how its axes are contracted.
#[derive(Clone, Copy)]
enum Product {
    /// `tensordot`'s `axes` as the config or call holds them.
    Tensordot,
    Dot,
    Matmul {
        transpose_a: bool,
        transpose_b: bool,
    },
}

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let flag = |k: &str| {
        site.inbound_nodes
            .and_then(|n| n.first())
            .and_then(|n| n.pointer("/0/3"))
            .and_then(|kw| kw.get(k))
            .and_then(Value::as_bool)
            == Some(true)
    };
    let function = site.field("function", Value::as_str);
    let (what, product) = match site.class_name {
        "ops.Tensordot" => ("keras.ops.tensordot", Product::Tensordot),
        "TFOpLambda" if matches!(function, Some("tensordot" | "linalg.tensordot")) => {
            ("tf.tensordot", Product::Tensordot)
        }
        "ops.Dot" if second_is_constant(site) => ("keras.ops.dot", Product::Dot),
        "ops.Matmul" if second_is_constant(site) => (
            "keras.ops.matmul",
            Product::Matmul {
                transpose_a: false,
                transpose_b: false,
            },
        ),
        "TFOpLambda"
            if matches!(function, Some("linalg.matmul" | "matmul")) && second_is_constant(site) =>
        {
            (
                "tf.matmul",
                Product::Matmul {
                    transpose_a: flag("transpose_a") || flag("adjoint_a"),
                    transpose_b: flag("transpose_b") || flag("adjoint_b"),
                },
            )
        }
        _ => return Outcome::Skip,
    };
    rewrite(site, product).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

/// The call's second operand is recorded and not a tensor (a product of
/// two tensors is another rule's).
fn second_is_constant(site: &Site<'_>) -> bool {
    let Some(kwargs) = site
        .inbound_nodes
        .and_then(|n| n.first())
        .and_then(|n| n.pointer("/0/3"))
    else {
        return false;
    };
    let second = if site.class_name == "TFOpLambda" {
        kwargs.get("b")
    } else {
        kwargs.get("_args").and_then(|a| a.get(1))
    };
    second.is_some_and(|w| {
        !w.is_null()
            && crate::topology::kwarg_tensor(w).is_none()
            && !w.get(0).is_some_and(Value::is_string)
    })
}

fn rewrite(site: &Site<'_>, product: Product) -> Result<Outcome, String> {
    let (first, input) = site.first_input("several layers")?;
    let only = "only a tensor contracted with a constant array has a TF.js layer";
    let (w, axes) = if site.class_name == "TFOpLambda" {
        // tf.tensordot(a, b, axes): `b` and `axes` in the call's kwargs.
        let kwargs = first.get(3).ok_or("its arguments are not recorded")?;
        let w = kwargs
            .get("b")
            .ok_or("its second operand is not recorded")?;
        if w.get(0).is_some_and(Value::is_string) {
            return Err(only.into());
        }
        (w, kwargs.get("axes"))
    } else {
        let args = first
            .get(3)
            .and_then(|k| k.get("_args"))
            .and_then(Value::as_array)
            .ok_or("its arguments are not recorded")?;
        let is_tensor = |v: &Value| crate::topology::kwarg_tensor(v).is_some();
        let w = match &args[..] {
            [x, w] if is_tensor(x) && !is_tensor(w) => w,
            _ => return Err(only.into()),
        };
        (
            w.pointer("/config/value")
                .ok_or("its second operand is not a constant array")?,
            site.config.get("axes"),
        )
    };
    let w = crate::layers::tf_ops::constant_array(w)
        .ok_or("its second operand is not a constant array")?;
    let dims = site.static_input()?;
    let (r1, r2) = (dims.len() + 1, w.rank());
    let (a, b) = match product {
        Product::Tensordot => crate::layers::keras3_ops::contracted_axes(axes, r1, r2)?,
        Product::Dot | Product::Matmul { .. } if r1 < 2 => {
            return Err("its tensor has no axis besides the batch".into())
        }
        Product::Dot if r2 == 0 => return Err("a product with a scalar has no Dense".into()),
        Product::Dot => (vec![r1 - 1], vec![r2.saturating_sub(2)]),
        Product::Matmul { .. } if r2 != 2 => {
            return Err(format!("its constant has rank {r2}, not 2"))
        }
        Product::Matmul {
            transpose_a,
            transpose_b,
        } => (
            vec![if transpose_a { r1 - 2 } else { r1 - 1 }],
            vec![usize::from(transpose_b)],
        ),
    };
    if a.contains(&0) {
        return Err("it contracts the batch axis".into());
    }
    let full: Vec<usize> = std::iter::once(0).chain(dims.iter().copied()).collect();
    if a.iter().zip(&b).any(|(&i, &j)| full[i] != w.shape()[j]) {
        return Err("contracted axes differ in size".into());
    }
    let free1: Vec<usize> = (1..r1).filter(|i| !a.contains(i)).collect();
    let free2: Vec<usize> = (0..r2).filter(|j| !b.contains(j)).collect();
    if free1.is_empty() && free2.is_empty() {
        return Err("a rank-1 output has no TF.js layer".into());
    }
    let k: usize = a.iter().map(|&i| full[i]).product();
    let n: usize = free2.iter().map(|&j| w.shape()[j]).product();
    let perm_w: Vec<usize> = b.iter().chain(&free2).copied().collect();
    let kernel = transpose(&w.to_f32(), w.shape(), &perm_w);
    let mut rows: Vec<usize> = free1.iter().map(|&i| full[i]).collect();
    let mut out = rows.clone();
    out.extend(free2.iter().map(|&j| w.shape()[j]));
    rows.push(k);
    let name = site.name;
    let (perm, view, dense) = (
        format!("{name}_permute"),
        format!("{name}_rows"),
        format!("{name}_dense"),
    );
    let order: Vec<usize> = free1.iter().chain(&a).copied().collect();
    let mut layers = Vec::new();
    let mut from = input;
    if order.windows(2).any(|p| p[0] > p[1]) {
        layers.push(entry(
            &perm,
            "Permute",
            json!({ "dims": order }),
            vec![from],
        ));
        from = json!([[perm, 0, 0, {}]]);
    }
    layers.push(entry(
        &view,
        "Reshape",
        json!({ "target_shape": rows }),
        vec![from],
    ));
    layers.push(entry_on(&dense, "Dense", zero_dense(n, false), &view));
    layers.push(entry_on(
        name,
        "Reshape",
        json!({ "target_shape": out }),
        &dense,
    ));
    let weights = vec![f32_weight(format!("{dense}/kernel"), vec![k, n], kernel)];
    Ok(Outcome::Replace { layers, weights })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn tensordot(name: &str, axes: serde_json::Value, w: serde_json::Value) -> serde_json::Value {
        let numpy = json!({"class_name": "__numpy__", "config": {"value": w, "dtype": "float32"}});
        entry(
            name,
            "ops.Tensordot",
            json!({ "axes": axes }),
            vec![json!([["x", 0, 0, {"_args": [["x", 0, 0], numpy]}]])],
        )
    }

    #[test]
    fn tensordot_with_a_constant_becomes_dense() {
        let w1: Vec<Vec<f32>> = (0..4)
            .map(|i| (0..3).map(|j| (i * 3 + j) as f32 * 0.25 - 1.0).collect())
            .collect();
        let w2: Vec<Vec<Vec<f32>>> = (0..2)
            .map(|i| {
                (0..4)
                    .map(|j| {
                        (0..3)
                            .map(|k| ((i + 2 * j + 3 * k) % 5) as f32 - 2.0)
                            .collect()
                    })
                    .collect()
            })
            .collect();
        for (axes, w) in [
            (json!(1), json!(w1)),
            (json!([[2, 1], [1, 2]]), json!(w2)),
            (json!([[1], [2]]), json!(w2)),
        ] {
            let layers = vec![tensordot("td", axes.clone(), w)];
            let model = functional(&[3, 4], layers, 1);
            let out = assert_same(&model, &input(&[2, 3, 4]), 1e-5);
            assert_note(&out, "td (ops.Tensordot) ->");
        }
        let layers = vec![tensordot("td", json!([[0], [0]]), json!([1.0, 2.0]))];
        assert_refused(
            &functional(&[3, 4], layers, 1),
            &["`td` (ops.Tensordot): keras.ops.tensordot: it contracts the batch axis"],
        );
    }

    #[test]
    fn products_with_a_constant_matrix_become_dense() {
        use super::super::probes::{op, tf};
        let w: Vec<Vec<f32>> = (0..4)
            .map(|i| (0..3).map(|j| (i * 3 + j) as f32 * 0.25 - 1.0).collect())
            .collect();
        let wt: Vec<Vec<f32>> = (0..3).map(|j| (0..4).map(|i| w[i][j]).collect()).collect();
        let numpy =
            |v: serde_json::Value| json!({"class_name": "__numpy__", "config": {"value": v}});
        for (layer, note) in [
            (
                op(
                    "mm",
                    "Matmul",
                    json!({}),
                    json!([["x", 0, 0], numpy(json!(w))]),
                ),
                "mm (ops.Matmul) ->",
            ),
            (
                op(
                    "mm",
                    "Dot",
                    json!({}),
                    json!([["x", 0, 0], numpy(json!(w))]),
                ),
                "mm (ops.Dot) ->",
            ),
            (
                op(
                    "mm",
                    "Dot",
                    json!({}),
                    json!([["x", 0, 0], numpy(json!([0.5, -1.0, 2.0, 0.25]))]),
                ),
                "mm (ops.Dot) ->",
            ),
            (
                tf(
                    "mm",
                    "linalg.matmul",
                    "x",
                    json!({"b": wt, "transpose_b": true}),
                ),
                "mm (TFOpLambda) ->",
            ),
        ] {
            let model = functional(&[3, 4], vec![layer], 1);
            let out = assert_same(&model, &input(&[2, 3, 4]), 1e-5);
            assert_note(&out, note);
        }
        // transpose_a: x's second-last axis (3) with the constant's rows.
        let s: Vec<Vec<f32>> = (0..3).map(|i| vec![i as f32 - 1.0, 0.5]).collect();
        let layer = tf("mm", "matmul", "x", json!({"b": s, "transpose_a": true}));
        let out = assert_same(
            &functional(&[3, 4], vec![layer], 1),
            &input(&[2, 3, 4]),
            1e-5,
        );
        assert_note(&out, "mm (TFOpLambda) ->");
    }
}

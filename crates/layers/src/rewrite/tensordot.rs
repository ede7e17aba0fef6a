//! Keras 3's `ops.tensordot(x, w, axes)` (and Keras 2's `tf.tensordot(x,
//! w, axes)`, a `TFOpLambda`) of a tensor `x` and a constant array `w`,
//! contracting axes of `x` other than the batch axis → `Permute`
//! (`x`'s free axes, then the contracted ones; left out when already in
//! that order) + `Reshape` to `[free…, K]` + a bias-free `Dense` whose
//! kernel is `w` with the contracted axes first, as `[K, N]` + `Reshape` to
//! `[free…, w's free…]`. A constant first operand (the batch axis would not
//! come first), two tensors, or a contracted batch axis have no TF.js layer
//! and are refused, except a matmul of a constant matrix and a tensor of
//! rank 3 or more (`tf.matmul(A, x)`, `ops.matmul(A, x)`: a graph's
//! adjacency times node features): `Permute` + `Dense` + `Permute`. The same products: Keras 3's `ops.dot(x, w)` (`x`'s
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
    let tf_matmul = matches!(function, Some("linalg.matmul" | "matmul"));
    if let Some((a, x, transpose_a, transpose_b)) = constant_first(site, tf_matmul) {
        let what = if tf_matmul {
            "tf.matmul"
        } else {
            "keras.ops.matmul"
        };
        return constant_times_tensor(site, &a, x, transpose_a, transpose_b)
            .unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")));
    }
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

/// A matmul of a constant matrix and a tensor (`tf.matmul(A, x)`, Keras 2
/// recording `A` as the call's `_CONSTANT_VALUE` and `x` as `b`;
/// `ops.matmul(A, x)`): `A`, `x` as an inbound node, `transpose_a`,
/// `transpose_b`.
fn constant_first(site: &Site<'_>, tf_matmul: bool) -> Option<(Value, Value, bool, bool)> {
    let first_ref = site.inbound_nodes?.first()?.get(0)?;
    let first = first_ref.as_array()?;
    let kwargs = first.get(3)?;
    let flag = |k: &str| kwargs.get(k).and_then(Value::as_bool) == Some(true);
    let reference = |r: &Value| {
        let r = r.as_array().filter(|r| r.len() >= 3 && r[0].is_string())?;
        Some(json!([[r[0], r[1], r[2], {}]]))
    };
    if site.class_name == "TFOpLambda" && tf_matmul {
        // As loaded: the call on `b` with `_CONSTANT_VALUE` among its
        // kwargs (Keras's saved form has the marker first).
        let a = match kwargs.get("_CONSTANT_VALUE") {
            Some(a) => a,
            None if first[0] == "_CONSTANT_VALUE" => first.get(2)?,
            None => return None,
        };
        return Some((
            a.clone(),
            reference(kwargs.get("b")?)?,
            flag("transpose_a") || flag("adjoint_a"),
            flag("transpose_b") || flag("adjoint_b"),
        ));
    }
    if site.class_name != "ops.Matmul" {
        return None;
    }
    let args = kwargs.get("_args")?.as_array()?;
    let is_tensor = |v: &Value| crate::topology::kwarg_tensor(v).is_some();
    match &args[..] {
        [a, x] if !is_tensor(a) && is_tensor(x) => Some((
            a.pointer("/config/value").unwrap_or(a).clone(),
            reference(first_ref)?,
            false,
            false,
        )),
        _ => None,
    }
}

/// `A' @ x'` (`A'` the constant `a` or its transpose, `x'` the tensor `x`
/// or its last two axes swapped), batched over `x`'s leading axes as
/// TensorFlow broadcasts them: `x'`'s last two axes swapped by a `Permute`
/// (the contracted axis last; left out when `transpose_b` already has it
/// there), a bias-free `Dense` with kernel `A'ᵀ` over it, and a `Permute`
/// swapping them back (the same sums, within float32 rounding).
fn constant_times_tensor(
    site: &Site<'_>,
    a: &Value,
    x: Value,
    transpose_a: bool,
    transpose_b: bool,
) -> Result<Outcome, String> {
    let a = crate::layers::tf_ops::constant_array(a)
        .filter(|a| a.rank() == 2)
        .ok_or("its constant first operand is not a 2-D matrix")?;
    let dims = site.static_input()?;
    let r = dims.len();
    if r < 2 {
        return Err("a constant matrix times a tensor of rank 2 contracts the batch axis".into());
    }
    let (rows, inner) = match a.shape() {
        [p, q] if transpose_a => (*q, *p),
        [p, q] => (*p, *q),
        _ => unreachable!("rank 2"),
    };
    let contracted = if transpose_b {
        dims[r - 1]
    } else {
        dims[r - 2]
    };
    if contracted != inner {
        return Err(format!(
            "contracted axes differ in size ({inner} and {contracted})"
        ));
    }
    // Kernel `[inner, rows]`: `A'ᵀ`.
    let values = a.to_f32();
    let kernel = if transpose_a {
        values.to_vec()
    } else {
        transpose(&values, &[rows, inner], &[1, 0])
    };
    let swap: Vec<usize> = (1..=r - 2).chain([r, r - 1]).collect();
    let name = site.name;
    let (perm, dense) = (format!("{name}_permute"), format!("{name}_dense"));
    let mut layers = Vec::new();
    let mut from = x;
    if !transpose_b {
        layers.push(entry(&perm, "Permute", json!({ "dims": swap }), vec![from]));
        from = json!([[perm, 0, 0, {}]]);
    }
    layers.push(entry(&dense, "Dense", zero_dense(rows, false), vec![from]));
    layers.push(entry_on(name, "Permute", json!({ "dims": swap }), &dense));
    let weights = vec![f32_weight(
        format!("{dense}/kernel"),
        vec![inner, rows],
        kernel,
    )];
    Ok(Outcome::Replace { layers, weights })
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
    fn a_constant_matrix_times_a_tensor_is_permute_dense_permute() {
        // A graph's adjacency times node features, as tf_keras saves
        // `tf.matmul(A, x)` (A first) and Keras 3 `ops.matmul(A, x)`.
        let a = json!([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.25]]);
        let at = json!([[1.0, 0.5, -1.0], [-2.0, 3.0, 0.25]]);
        let tf_matmul = |a: &serde_json::Value, kwargs: serde_json::Value| {
            let mut kw = json!({"b": ["x", 0, 0]});
            kw.as_object_mut()
                .unwrap()
                .extend(kwargs.as_object().unwrap().clone());
            entry(
                "mm",
                "TFOpLambda",
                json!({"function": "linalg.matmul"}),
                vec![json!(["_CONSTANT_VALUE", -1, a, kw])],
            )
        };
        let numpy = json!({"class_name": "__numpy__", "config": {"value": a.clone()}});
        let x = crate::Tensor::from_f32(vec![2, 2, 2], vec![1., 2., 3., 4., -1., 0.5, 2., -3.])
            .unwrap();
        // import tensorflow as tf, numpy as np
        // A = np.array([[1, -2], [0.5, 3], [-1, 0.25]], np.float32)
        // x = np.array([[[1, 2], [3, 4]], [[-1, 0.5], [2, -3]]], np.float32)
        // tf.matmul(A, x), tf.matmul(A.T, x, transpose_a=True), tf.matmul(A, x, transpose_b=True)
        let a_x = [
            -5.0, -6.0, 9.5, 13.0, -0.25, -1.0, -5.0, 6.5, 5.5, -8.75, 1.5, -1.25,
        ];
        let a_xt = [
            -3.0, -5.0, 6.5, 13.5, -0.5, -2.0, -2.0, 8.0, 1.0, -8.0, 1.125, -2.75,
        ];
        for (layer, version, expected) in [
            (tf_matmul(&a, json!({})), "2.21.0", a_x),
            (tf_matmul(&at, json!({"transpose_a": true})), "2.21.0", a_x),
            (tf_matmul(&a, json!({"transpose_b": true})), "2.21.0", a_xt),
            (
                super::super::probes::op("mm", "Matmul", json!({}), json!([numpy, ["x", 0, 0]])),
                "3.15.0",
                a_x,
            ),
        ] {
            let model = functional_from(&[2, 2], vec![layer], 1, Some(version));
            let y = model.predict(std::slice::from_ref(&x)).unwrap();
            assert_eq!(y[0].shape(), &[2, 3, 2]);
            assert_eq!(y[0].to_f32().as_ref(), &expected);
            let out = assert_same(&model, &x, 0.0);
            assert_note(&out, "Dense + Permute");
        }
        // Over a rank-2 tensor the product would contract the batch axis.
        let model = functional(&[3], vec![tf_matmul(&a, json!({"transpose_b": true}))], 1);
        assert_refused(&model, &["`mm` (TFOpLambda)", "contracts the batch axis"]);
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

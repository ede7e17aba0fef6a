//! Positions picked by constant indices along one non-batch axis, which
//! TensorFlow.js 4.22 has no layer for: tf_keras's `tf.gather(x,
//! indices, axis)` (`batch_dims` 0; TF 1's `compat.v1.gather`) and Keras
//! 3's `ops.take(x, indices, axis)` (negative indices wrap, as Keras's
//! take does) → a bias-free `Dense` whose 0/1 kernel picks, for each
//! output position, its input position, over the last axis or between
//! `Permute`s moving the axis last and back, and a `Reshape` when the
//! indices are not one list (a scalar index drops the axis, a nested
//! list adds its axes in its place). Exact for finite inputs: each output
//! is `x·1` plus products `x'·0` (an infinity or NaN elsewhere on the
//! axis would make its `0·inf` a NaN, as [`super::last_axis_steps`]
//! notes). Indices that are a tensor, out of range (or negative for
//! `tf.gather`, which TF refuses), the batch axis, a flattening `take`
//! without an axis and `batch_dims` stay refused by name.

use super::{entry, entry_on, f32_weight, zero_dense, Outcome, Site};
use serde_json::{json, Value};

/// The largest selection kernel written (4M float32 weights, 16 MB).
const MAX_KERNEL: usize = 1 << 22;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(&["gather", "compat.v1.gather"], &["ops.Take"]) else {
        return Outcome::Skip;
    };
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

/// The integers of a (nested) constant list and its shape.
fn int_array(v: &Value) -> Option<(Vec<i64>, Vec<usize>)> {
    let v = v.pointer("/config/value").unwrap_or(v);
    match v {
        Value::Number(n) => Some((vec![n.as_i64()?], vec![])),
        Value::Array(a) => {
            let mut flat = Vec::new();
            let mut inner: Option<Vec<usize>> = None;
            for e in a {
                let (f, s) = match e {
                    Value::Number(_) | Value::Array(_) => int_array(e)?,
                    _ => return None,
                };
                if inner.as_ref().is_some_and(|i| *i != s) {
                    return None;
                }
                inner = Some(s);
                flat.extend(f);
            }
            let mut shape = vec![a.len()];
            shape.extend(inner.unwrap_or_default());
            Some((flat, shape))
        }
        _ => None,
    }
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (first, node) = site.first_input("outside a functional model")?;
    let keras3 = site.class_name == "ops.Take";
    let kwargs = first.get(3);
    let (indices, axis) = if keras3 {
        let indices = kwargs
            .and_then(|k| k.get("_args"))
            .and_then(|a| a.get(1))
            .or_else(|| kwargs.and_then(|k| k.get("indices")));
        let axis = site.config.get("axis").filter(|v| !v.is_null());
        (
            indices,
            axis.ok_or("without an axis it flattens its input")?,
        )
    } else {
        if kwargs
            .and_then(|k| k.get("batch_dims"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
            != 0
        {
            return Err("batch_dims other than 0 is not rewritten".into());
        }
        let axis = kwargs.and_then(|k| k.get("axis")).filter(|v| !v.is_null());
        (
            kwargs.and_then(|k| k.get("indices")),
            axis.unwrap_or(&Value::Null),
        )
    };
    let indices = indices.ok_or("its indices are missing")?;
    if crate::topology::kwarg_tensor(indices).is_some() {
        return Err("its indices are a tensor (constant indices are rewritten)".into());
    }
    let (flat, ishape) =
        int_array(indices).ok_or("its indices are not a constant array of integers")?;
    let axis = match axis {
        Value::Null => 0,
        v => v.as_i64().ok_or("its axis is not an integer")?,
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
    let picks: Vec<usize> = flat
        .iter()
        .map(|&i| {
            let j = if i < 0 && keras3 { i + n as i64 } else { i };
            usize::try_from(j)
                .ok()
                .filter(|&j| j < n)
                .ok_or_else(|| format!("index {i} is outside the axis of {n} positions"))
        })
        .collect::<Result<_, _>>()?;
    let k = picks.len();
    if k == 0 {
        return Err("no indices".into());
    }
    if n * k > MAX_KERNEL {
        return Err(format!(
            "{k} indices into an axis of {n} (the selection kernel's {} weights; up to \
             {MAX_KERNEL} are rewritten)",
            n * k
        ));
    }
    let mut kernel = vec![0.0f32; n * k];
    for (out, &j) in picks.iter().enumerate() {
        kernel[j * k + out] = 1.0;
    }
    let name = site.name;
    let reshape = ishape.len() != 1;
    let picked = if reshape {
        format!("{name}_picked")
    } else {
        name.to_string()
    };
    let (mut layers, dense) = if at == dims.len() {
        (
            vec![entry(&picked, "Dense", zero_dense(k, false), vec![node])],
            picked.clone(),
        )
    } else {
        let chain = super::softmax_axis::chain_of(
            &picked,
            node,
            at,
            rank as usize,
            "Dense",
            zero_dense(k, false),
        );
        (chain, format!("{picked}_last"))
    };
    if reshape {
        let mut out: Vec<usize> = dims[..at - 1].to_vec();
        out.extend(&ishape);
        out.extend(&dims[at..]);
        layers.push(entry_on(
            name,
            "Reshape",
            json!({ "target_shape": out }),
            &picked,
        ));
    }
    site.note("constant indices as a 0/1 selection Dense (exact for finite inputs)");
    Ok(Outcome::Replace {
        layers,
        weights: vec![f32_weight(format!("{dense}/kernel"), vec![n, k], kernel)],
    })
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    /// Feature and time-step selection with repeats (`tf.gather` along the
    /// last and an inner axis, nested indices, a scalar index) and Keras
    /// 3's `ops.take` with a negative index.
    #[test]
    fn gather_of_constant_indices_becomes_a_selection_dense() {
        let layers = vec![
            tf(
                "g1",
                "compat.v1.gather",
                "x",
                json!({"indices": [3, 0, 0, 2], "axis": -1, "batch_dims": 0}),
            ),
            tf(
                "g2",
                "gather",
                "g1",
                json!({"indices": [[4, 1], [0, 0]], "axis": 1, "batch_dims": 0}),
            ),
            op(
                "t",
                "Take",
                json!({"axis": 1}),
                json!([["g2", 0, 0], [-1, 0]]),
            ),
            tf(
                "g3",
                "gather",
                "t",
                json!({"indices": 1, "axis": 2, "batch_dims": 0}),
            ),
        ];
        assert_rewrites(
            &[2, 5, 4],
            layers,
            3,
            0.0,
            "g2 (TFOpLambda) -> Permute + Dense + Permute + Reshape",
        );
    }

    /// A scalar index drops the axis (tf_keras saves `tf.gather(x, 1,
    /// axis=2)` of a `(None, 5, 4)` input with `"indices": 1`; its output
    /// shape is `(None, 5)`: x[:, :, 1]), in the engine and the rewrite.
    #[test]
    fn a_scalar_index_drops_the_axis() {
        let layers = vec![tf(
            "g",
            "compat.v1.gather",
            "x",
            json!({"indices": 1, "validate_indices": null, "axis": 2, "batch_dims": 0}),
        )];
        let model = functional(&[5, 4], layers, 3);
        let x = input(&[2, 5, 4]);
        let y = model.predict(std::slice::from_ref(&x)).unwrap();
        assert_eq!(y[0].shape(), &[2, 5]);
        let (xs, ys) = (x.as_f32().unwrap(), y[0].as_f32().unwrap());
        for (i, v) in ys.iter().enumerate() {
            assert_eq!(*v, xs[i * 4 + 1]);
        }
        let out = assert_same(&model, &x, 0.0);
        assert_note(&out, "g (TFOpLambda) -> Dense + Reshape");
    }

    #[test]
    fn gather_along_the_batch_or_out_of_range_is_refused() {
        let layers = vec![
            tf(
                "g",
                "gather",
                "x",
                json!({"indices": [0], "axis": null, "batch_dims": 0}),
            ),
            op("t", "Take", json!({"axis": 1}), json!([["x", 0, 0], [3]])),
        ];
        let model = functional(&[3], layers, 1);
        assert_refused(
            &model,
            &[
                "`g` (TFOpLambda)",
                "batch axis",
                "`t` (ops.Take)",
                "outside the axis",
            ],
        );
    }
}

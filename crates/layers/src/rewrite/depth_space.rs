//! `tf.nn.depth_to_space` / `space_to_depth` (NHWC, block `b`), which
//! TensorFlow.js 4.22 has no layer for, as the copies they are:
//! depth_to_space of `[H, W, C]` → `Reshape [H, W, b, b, C/b²]` →
//! `Permute (1, 3, 2, 4, 5)` → `Reshape [H·b, W·b, C/b²]`; space_to_depth
//! of `[H, W, C]` → `Reshape [H/b, b, W/b, b, C]` → the same `Permute` →
//! `Reshape [H/b, W/b, b²·C]` (TensorFlow's channel order, `(i·b + j)·C +
//! c` for the block's row `i` and column `j`). Exact (values are only
//! moved). NCHW is refused. Keras 3's `ops.DepthToSpace` / `ops.SpaceToDepth`
//! (`keras.ops.nn.depth_to_space`) use the same layers ([`steps`], called
//! by [`super::keras3_ops`]).

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let to_space = ["nn.depth_to_space", "compat.v1.depth_to_space"];
    let to_depth = ["nn.space_to_depth", "compat.v1.space_to_depth"];
    let (what, up) = match site.function_named(&to_space, &[]) {
        Some(what) => (what, true),
        None => match site.function_named(&to_depth, &[]) {
            Some(what) => (what, false),
            None => return Outcome::Skip,
        },
    };
    rewrite(site, up).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

fn rewrite(site: &Site<'_>, to_space: bool) -> Result<Outcome, String> {
    let (first, node) = site.first_input("outside a functional model")?;
    let kwargs = first.get(3).and_then(Value::as_object);
    let kwarg = |k: &str| kwargs.and_then(|m| m.get(k));
    if kwarg("data_format")
        .and_then(Value::as_str)
        .is_some_and(|f| f != "NHWC")
    {
        return Err("only NHWC is rewritten".into());
    }
    let b = kwarg("block_size")
        .and_then(Value::as_u64)
        .filter(|&b| b >= 2)
        .ok_or("block_size is not a constant integer of at least 2")? as usize;
    Ok(Outcome::weightless(steps(site, node, b, to_space)?))
}

/// The `Reshape` → `Permute` → `Reshape` layers moving the channels of the
/// NHWC tensor `node` into `b`×`b` blocks (`to_space`) or back, the last
/// one named after the site.
pub(super) fn steps(
    site: &Site<'_>,
    node: Value,
    b: usize,
    to_space: bool,
) -> Result<Vec<Value>, String> {
    let [h, w, c] = site.static_input()?[..] else {
        return Err("its input is not an NHWC image".into());
    };
    let (split, merged) = if to_space {
        if c % (b * b) != 0 {
            return Err(format!("{c} channels are not a multiple of {}", b * b));
        }
        ([h, w, b, b, c / (b * b)], [h * b, w * b, c / (b * b)])
    } else {
        if h % b != 0 || w % b != 0 {
            return Err(format!("{h}×{w} is not a multiple of the block {b}"));
        }
        ([h / b, b, w / b, b, c], [h / b, w / b, b * b * c])
    };
    let name = site.name;
    let step = |suffix: &str| format!("{name}_{suffix}");
    let on = |n: String| json!([[n, 0, 0, {}]]);
    Ok(vec![
        entry(
            &step("split"),
            "Reshape",
            json!({ "target_shape": split }),
            vec![node],
        ),
        entry(
            &step("swap"),
            "Permute",
            json!({"dims": [1, 3, 2, 4, 5]}),
            vec![on(step("split"))],
        ),
        entry(
            name,
            "Reshape",
            json!({ "target_shape": merged }),
            vec![on(step("swap"))],
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::probes::tf;
    use super::super::test_util::*;

    #[test]
    fn pixel_shuffles_become_reshape_permute_reshape() {
        for (function, shape, block) in [
            ("nn.depth_to_space", [2, 3, 2, 8], 2),
            ("nn.space_to_depth", [2, 6, 9, 2], 3),
        ] {
            let layers = vec![tf("p", function, "x", json!({ "block_size": block }))];
            assert_rewrites(
                &shape,
                layers,
                4,
                0.0,
                "p (TFOpLambda) -> Reshape + Permute + Reshape",
            );
        }
    }
}

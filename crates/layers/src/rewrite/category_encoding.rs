//! `CategoryEncoding`: TensorFlow.js 4.22's `computeOutputShape` writes
//! `num_tokens` into the shape array it is given, which is its input
//! tensor's own shape, so a model input feeding it afterwards expects
//! `[batch, num_tokens]` and rejects the real inputs ("expected category
//! to have shape [null,12] but got array with shape [2,1]"). A `Reshape`
//! to the input's own shape is put in front: it gives `CategoryEncoding` a
//! shape array of its own (and changes no value).

use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "CategoryEncoding" {
        return Outcome::Skip;
    }
    let Some(shape) = site.shapes.and_then(|s| s.inputs.first()) else {
        return Outcome::Cannot(
            "its input shape is unknown (TensorFlow.js 4.22's CategoryEncoding overwrites its \
             input's shape, which a rewrite avoids with a Reshape of that shape)"
                .into(),
        );
    };
    let Some(dims) = shape[1..].iter().copied().collect::<Option<Vec<usize>>>() else {
        return Outcome::Cannot(format!(
            "its input shape {shape:?} is not static (TensorFlow.js 4.22's CategoryEncoding \
             overwrites its input's shape, which a rewrite avoids with a Reshape of that shape)"
        ));
    };
    let node = match site.single_call("its rewrite needs several layers") {
        Ok(n) => n,
        Err(why) => return Outcome::Cannot(why),
    };
    let copy = format!("{}_input", site.name);
    Outcome::weightless(vec![
        entry(
            &copy,
            "Reshape",
            json!({ "target_shape": dims }),
            vec![node.clone()],
        ),
        entry_on(
            site.name,
            "CategoryEncoding",
            Value::Object(site.config.clone()),
            &copy,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::Tensor;

    #[test]
    fn category_encoding_gets_a_reshaped_copy_of_its_input() {
        let layers = chain(
            "x",
            json!([["onehot", "CategoryEncoding", {"num_tokens": 5, "output_mode": "one_hot"}]]),
        );
        let model = functional(&[1], layers, 1);
        let x = Tensor::from_f32(vec![3, 1], vec![0.0, 4.0, 2.0]).unwrap();
        let out = assert_same(&model, &x, 0.0);
        assert_note(
            &out,
            "onehot (CategoryEncoding) -> Reshape + CategoryEncoding",
        );
    }
}

//! Rows of a constant table by a tensor of ids, Keras 2's
//! `tf.nn.embedding_lookup(table, ids)` (a `TFOpLambda` whose constant
//! first argument is the table) → an `Embedding` holding the table: the
//! same gather of the same float32 rows (TensorFlow refuses ids outside
//! the table, as an `Embedding` does). Keras 3's `ops.take(table, ids)`
//! is not rewritten: it wraps negative ids, which an `Embedding` does
//! not.

use super::{entry, f32_weight, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let names = ["nn.embedding_lookup", "compat.v1.nn.embedding_lookup"];
    let Some(what) = site.function_named(&names, &[]) else {
        return Outcome::Skip;
    };
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let node = site.single_call("outside a functional model")?;
    // Keras 2 writes the call flat, `["_CONSTANT_VALUE", -1, table,
    // kwargs]`; a saved model has it on the ids, `[[ids…, kwargs]]`, the
    // table as the kwarg `_CONSTANT_VALUE`.
    let call = node.as_array().ok_or("malformed call")?;
    let (table, kwargs) = match call.as_slice() {
        [tag, _, table, kwargs] if tag == "_CONSTANT_VALUE" => (table, kwargs),
        [first, ..] => {
            let kwargs = first.get(3).ok_or("malformed call")?;
            let table = kwargs
                .get("_CONSTANT_VALUE")
                .ok_or("the table is not a constant")?;
            (table, kwargs)
        }
        _ => return Err("malformed call".into()),
    };
    let kwargs = kwargs.as_object().ok_or("malformed call")?;
    if !kwargs.get("max_norm").is_none_or(Value::is_null) {
        return Err("max_norm clips the rows, which an Embedding does not".into());
    }
    let ids = kwargs
        .get("ids")
        .and_then(Value::as_array)
        .filter(|r| r.len() >= 3 && r[0].is_string())
        .ok_or("the ids are not a tensor")?;
    let rows: Vec<Vec<f32>> = table
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()?
                        .iter()
                        .map(|v| v.as_f64().map(|v| v as f32))
                        .collect()
                })
                .collect()
        })
        .ok_or("the table is not a 2-D array of numbers (an Embedding holds one)")?;
    let dim = rows.first().map_or(0, Vec::len);
    if dim == 0 || rows.iter().any(|r| r.len() != dim) {
        return Err("the table's rows are empty or of different lengths".into());
    }
    let name = site.name;
    let config = json!({"input_dim": rows.len(), "output_dim": dim,
                        "embeddings_initializer": {"class_name": "Zeros", "config": {}},
                        "embeddings_regularizer": null, "activity_regularizer": null,
                        "embeddings_constraint": null, "mask_zero": false,
                        "input_length": null});
    let weight = f32_weight(
        format!("{name}/embeddings"),
        vec![rows.len(), dim],
        rows.concat(),
    );
    Ok(Outcome::Replace {
        layers: vec![entry(
            name,
            "Embedding",
            config,
            vec![json!([[ids[0], ids[1], ids[2], {}]])],
        )],
        weights: vec![weight],
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn embedding_lookup_of_a_constant_table_becomes_an_embedding() {
        let table = json!([[0.5, -1.0], [2.0, 0.25], [-3.0, 1.5]]);
        let lookup = entry(
            "lookup",
            "TFOpLambda",
            json!({"function": "compat.v1.nn.embedding_lookup"}),
            vec![json!(["_CONSTANT_VALUE", -1, table,
                        {"ids": ["x", 0, 0], "partition_strategy": "div",
                         "name": null, "max_norm": null}])],
        );
        let model = functional(&[4], vec![lookup], 3);
        let ids =
            crate::Tensor::from_f32(vec![2, 4], vec![0., 2., 1., 1., 2., 0., 0., 1.]).unwrap();
        let out = assert_same(&model, &ids, 0.0);
        assert_note(&out, "lookup (TFOpLambda) -> Embedding");
    }
}

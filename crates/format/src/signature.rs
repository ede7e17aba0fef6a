//! A graph model's converter `signature` (`{"inputs": {KEY: TensorInfo},
//! "outputs": …}`, TensorFlow's SignatureDef as JSON): what `execute`
//! takes and returns. One reader for the engine, `info` and the server.

use serde_json::Value;

/// One input or output of a `signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureTensor {
    /// The key `execute` accepts (`input_1`, `x`).
    pub key: String,
    /// The graph tensor (`x:0`); the key when the entry names none.
    pub tensor: String,
    /// Dimensions, `-1` for a free one; `None` for an unknown rank or no
    /// `tensorShape`.
    pub shape: Option<Vec<i64>>,
    /// The dtype as TensorFlow.js names it (see [`tfjs_dtype_name`]);
    /// `None` when the entry has none.
    pub dtype: Option<String>,
}

/// The `side` (`"inputs"` or `"outputs"`) of `signature`, in key order;
/// `None` when it has no such object.
pub fn signature_tensors(signature: &Value, side: &str) -> Option<Vec<SignatureTensor>> {
    let map = signature.get(side)?.as_object()?;
    Some(
        map.iter()
            .map(|(key, t)| SignatureTensor {
                key: key.clone(),
                tensor: t
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(key)
                    .to_string(),
                shape: t.get("tensorShape").and_then(tensor_shape),
                dtype: t.get("dtype").and_then(Value::as_str).map(tfjs_dtype_name),
            })
            .collect(),
    )
}

/// A TensorShapeProto as JSON: `None` for `unknownRank`; a dim without
/// `size` is 0 (proto3 JSON leaves default values out).
pub fn tensor_shape(shape: &Value) -> Option<Vec<i64>> {
    if shape.get("unknownRank").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let dims = shape.get("dim").and_then(Value::as_array);
    Some(dims.map_or_else(Vec::new, |d| {
        d.iter().map(|x| dim_size(x).unwrap_or(0)).collect()
    }))
}

/// The size of one `dim`: the converter writes it as a string (int64 in
/// proto3 JSON), other writers as a number; `-1` is a free dimension.
pub fn dim_size(dim: &Value) -> Option<i64> {
    match dim.get("size")? {
        Value::String(s) => s.parse().ok(),
        n => n.as_i64(),
    }
}

/// A TensorFlow `DT_*` type as TensorFlow.js names it (its converter's
/// `parseDtypeParam`: every float type is `float32`, every integer type
/// `int32`); the TensorFlow name where TensorFlow.js has none.
pub fn tfjs_dtype_name(tf: &str) -> String {
    match tf {
        "DT_FLOAT" | "DT_HALF" | "DT_DOUBLE" | "DT_BFLOAT16" => "float32",
        "DT_INT32" | "DT_INT64" | "DT_INT8" | "DT_UINT8" | "DT_INT16" | "DT_UINT16"
        | "DT_UINT32" | "DT_UINT64" => "int32",
        "DT_BOOL" => "bool",
        "DT_STRING" => "string",
        "DT_COMPLEX64" => "complex64",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_converters_signature() {
        let sig = json!({"inputs": {"x": {"name": "x:0", "dtype": "DT_INT64",
            "tensorShape": {"dim": [{"size": "-1"}, {"size": 3}, {}]}}},
            "outputs": {"y": {"dtype": "DT_STRING", "tensorShape": {"unknownRank": true}}}});
        let inputs = signature_tensors(&sig, "inputs").unwrap();
        assert_eq!(
            inputs,
            [SignatureTensor {
                key: "x".into(),
                tensor: "x:0".into(),
                shape: Some(vec![-1, 3, 0]),
                dtype: Some("int32".into()),
            }]
        );
        let outputs = signature_tensors(&sig, "outputs").unwrap();
        assert_eq!(
            (outputs[0].tensor.as_str(), outputs[0].shape.as_ref()),
            ("y", None)
        );
        assert_eq!(outputs[0].dtype.as_deref(), Some("string"));
        assert!(signature_tensors(&json!({}), "inputs").is_none());
    }
}

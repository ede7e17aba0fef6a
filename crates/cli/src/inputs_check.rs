//! Checks of `predict` inputs against the model's signature, before the
//! engine sees them: every mistake gets an error naming the field
//! (`inputs[1].data[7]`) and what the model expects.
//!
//! The io.json half belongs in `tfjs_layers::io_json` (its parser maps
//! `null` to NaN and takes any dtype string); it lives here until that
//! module settles.

use crate::signature::{shape_text, Signature, TensorSig};
use anyhow::bail;
use serde_json::Value;
use tfjs_layers::{Tensor, TensorData};

/// The dtypes the layers engine takes as inputs (`string` for models whose
/// input feeds a StringLookup or Hashing).
const DTYPES: [&str; 3] = ["float32", "int32", "string"];

/// Check an io.json document's `inputs` against `sig`: each entry names a
/// model input (or, without names, entries match inputs by position), no
/// input is missing or given twice, no extra entries, `dtype` is float32,
/// int32 or string, every `data` value is a number (or `"NaN"` /
/// `"Infinity"` / `"-Infinity"` for floats) or, for string inputs, a string,
/// int32 values are integers in range, and the shape fits the input's.
pub fn check_io_json(doc: &Value, sig: &Signature, source: &str) -> anyhow::Result<()> {
    let fail = |field: &str, msg: String| -> anyhow::Result<()> {
        bail!("{source}: `{field}`: {msg}; {}", sig.expects())
    };
    let Some(entries) = doc.get("inputs") else {
        return fail("inputs", "missing".into());
    };
    let Some(entries) = entries.as_array() else {
        return fail("inputs", format!("must be a list, got {}", short(entries)));
    };
    let named = entries.iter().any(|e| e.get("name").is_some());
    if entries.len() > sig.inputs.len() && !named {
        return fail(
            &format!("inputs[{}]", sig.inputs.len()),
            format!(
                "{} entries given, the model has {} input(s)",
                entries.len(),
                sig.inputs.len()
            ),
        );
    }
    let mut seen = vec![false; sig.inputs.len()];
    for (i, e) in entries.iter().enumerate() {
        let at = format!("inputs[{i}]");
        let target = if named {
            let name = match e.get("name") {
                Some(Value::String(s)) => s,
                Some(other) => {
                    return fail(
                        &format!("{at}.name"),
                        format!("must be a string, got {}", short(other)),
                    )
                }
                None => {
                    return fail(
                        &format!("{at}.name"),
                        "missing (other entries have names)".into(),
                    )
                }
            };
            match sig.inputs.iter().position(|t| &t.name == name) {
                Some(k) => k,
                None => {
                    // Keras 3's `model.inputs[i].name` is the tensor's
                    // (`keras_tensor_3`), not the input layer's.
                    let hint = if name.starts_with("keras_tensor") {
                        " (that is a Keras 3 tensor name; inputs are named by their \
                         InputLayer, as model.json's `input_layers` lists them)"
                    } else {
                        ""
                    };
                    return fail(
                        &format!("{at}.name"),
                        format!("`{name}` is not an input of the model{hint}"),
                    );
                }
            }
        } else {
            i
        };
        if std::mem::replace(&mut seen[target], true) {
            return fail(
                &format!("{at}.name"),
                format!("input `{}` is given twice", sig.inputs[target].name),
            );
        }
        check_entry(e, &sig.inputs[target], &at).or_else(|m| fail(&m.0, m.1))?;
    }
    if let Some(k) = seen.iter().position(|s| !s) {
        return fail(
            "inputs",
            format!("input `{}` is missing", sig.inputs[k].name),
        );
    }
    Ok(())
}

/// A failed check: (field, message).
struct Bad(String, String);

fn check_entry(e: &Value, want: &TensorSig, at: &str) -> Result<(), Bad> {
    let dtype = match e.get("dtype") {
        None => "float32",
        Some(Value::String(d)) if DTYPES.contains(&d.as_str()) => d.as_str(),
        Some(d) => {
            return Err(Bad(
                format!("{at}.dtype"),
                format!(
                    "{} is not a dtype the layers engine takes (float32, int32 or string)",
                    short(d)
                ),
            ))
        }
    };
    if (dtype == "string") != (want.dtype == "string") {
        return Err(Bad(
            format!("{at}.dtype"),
            format!("{dtype} given, input `{}` is {}", want.name, want.dtype),
        ));
    }
    let int = dtype == "int32" || want.dtype == "int32";
    let shape: Vec<Option<usize>> = match e.get("shape").and_then(Value::as_array) {
        Some(a) => a
            .iter()
            .map(|d| d.as_u64().map(|x| x as usize))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.into_iter().map(Some).collect())
            .ok_or_else(|| {
                Bad(
                    format!("{at}.shape"),
                    "must be a list of non-negative integers".into(),
                )
            })?,
        None => {
            return Err(Bad(
                format!("{at}.shape"),
                "missing (a list of non-negative integers)".into(),
            ))
        }
    };
    let concrete: Vec<usize> = shape.iter().map(|d| d.unwrap_or(0)).collect();
    shape_fits(&concrete, want).map_err(|m| Bad(format!("{at}.shape"), m))?;
    let Some(data) = e.get("data").and_then(Value::as_array) else {
        return Err(Bad(
            format!("{at}.data"),
            "missing (a flat list of numbers)".into(),
        ));
    };
    for (j, x) in data.iter().enumerate() {
        let bad = |m: String| Err(Bad(format!("{at}.data[{j}]"), m));
        match x {
            Value::String(_) if dtype == "string" => {}
            other if dtype == "string" => {
                return bad(format!(
                    "{} is not a string (dtype is string)",
                    short(other)
                ))
            }
            Value::Number(n) => {
                let v = n.as_f64().unwrap_or(f64::NAN);
                if int && (v.fract() != 0.0 || v < i32::MIN as f64 || v > i32::MAX as f64) {
                    return bad(format!(
                        "{n} is not an int32 (input `{}` is {})",
                        want.name,
                        if dtype == "int32" {
                            "int32 here"
                        } else {
                            "int32 in the model"
                        }
                    ));
                }
            }
            Value::String(s) if !int && ["NaN", "Infinity", "-Infinity"].contains(&s.as_str()) => {}
            other => return bad(format!("{} is not a number", short(other))),
        }
    }
    Ok(())
}

/// Does a concrete `shape` fit the input's declared batch shape (same rank,
/// equal where the model fixes a size)?
pub fn shape_fits(shape: &[usize], want: &TensorSig) -> Result<(), String> {
    let fits = shape.len() == want.shape.len()
        && shape
            .iter()
            .zip(&want.shape)
            .all(|(&d, w)| w.is_none_or(|w| w == d));
    if fits || want.shape.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{shape:?} does not fit input `{}` of shape {}",
            want.name,
            shape_text(&want.shape)
        ))
    }
}

/// Check ready tensors (from .npy files or images) against `sig`: count,
/// shape and, for int32 inputs, integral values.
pub fn check_tensors(
    tensors: &[Tensor],
    sig: &Signature,
    sources: &[String],
) -> anyhow::Result<()> {
    if tensors.len() != sig.inputs.len() {
        bail!("{} input tensor(s) given; {}", tensors.len(), sig.expects());
    }
    for ((t, want), src) in tensors.iter().zip(&sig.inputs).zip(sources) {
        if let Err(m) = shape_fits(t.shape(), want) {
            bail!("{src}: {m}; {}", sig.expects());
        }
        if want.dtype == "int32" {
            if let TensorData::F32(v) = t.data() {
                if let Some(j) = v.iter().position(|x| x.fract() != 0.0 || !x.is_finite()) {
                    bail!(
                        "{src}: element {j} ({}) is not an int32 (input `{}` is int32); {}",
                        v[j],
                        want.name,
                        sig.expects()
                    );
                }
            }
        }
    }
    Ok(())
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

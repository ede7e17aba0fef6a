//! Keras attention layers (TensorFlow.js 4.22 registers none of them; they
//! appear in Keras-converted models): `MultiHeadAttention`, Keras 3's
//! `GroupQueryAttention`, `Attention` (dot-product, Luong) and
//! `AdditiveAttention` (Bahdanau), at inference.
//!
//! Inputs are `[query, value]` or `[query, value, key]` (key defaults to
//! value). Masks on the query / value / key inputs are combined as Keras
//! does; masked scores get `-1e9` before the softmax. Call-time arguments
//! of `MultiHeadAttention` (`attention_mask`, `use_causal_mask`,
//! `return_attention_scores`) and of `Attention` / `AdditiveAttention`
//! (`use_causal_mask`, `return_attention_scores`) come from the call's
//! recorded kwargs. Configs are written back as read (Keras key order).

use super::common::*;
use crate::activations::{softmax_row, softmax_rows};
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, LayerWeight, LayersError, Result, Shape, Tensor};
use serde_json::{Map, Value};

mod dense;
mod multi_head;

pub use dense::DenseAttention;
pub use multi_head::MultiHeadAttention;

/// Register `MultiHeadAttention`, `GroupQueryAttention`, `Attention` and
/// `AdditiveAttention`.
pub fn register(registry: &mut LayerRegistry) {
    registry.register("MultiHeadAttention", |c, ctx| {
        Ok(
            Box::new(MultiHeadAttention::from_config(c)?.with_call_kwargs(ctx.call_kwargs)?)
                as Box<dyn Layer>,
        )
    });
    // `.keras` configs name it by its export name, the legacy HDF5 writer by
    // its Python class.
    for class in ["GroupQueryAttention", "GroupedQueryAttention"] {
        registry.register(class, move |c, ctx| {
            let layer = MultiHeadAttention::from_group_query_config(class, c)?;
            Ok(Box::new(layer.with_call_kwargs(ctx.call_kwargs)?) as Box<dyn Layer>)
        });
    }
    registry.register("Attention", |c, ctx| {
        Ok(
            Box::new(DenseAttention::from_config(false, c)?.with_call_kwargs(ctx.call_kwargs)?)
                as Box<dyn Layer>,
        )
    });
    registry.register("AdditiveAttention", |c, ctx| {
        Ok(
            Box::new(DenseAttention::from_config(true, c)?.with_call_kwargs(ctx.call_kwargs)?)
                as Box<dyn Layer>,
        )
    });
}

const MASK_NEG: f32 = 1.0e9;

/// The config as read, with name/trainable refreshed.
fn echo_config(base: &Base, raw: &Map<String, Value>) -> Map<String, Value> {
    let mut m = raw.clone();
    m.insert("name".into(), Value::String(base.name.clone()));
    m.insert("trainable".into(), Value::Bool(base.trainable));
    m
}

/// `(batch, steps, features)` of a sequence input.
type Seq3 = (usize, usize, usize);

/// Flatten `[b, ..., d]` into `(b, seq, d)`.
fn seq3(layer: &str, what: &str, t: &Tensor) -> Result<Seq3> {
    let s = t.shape();
    if s.len() < 3 {
        return Err(input_err(
            layer,
            format!("{what} must have shape [batch, ..., features] (rank >= 3), got {s:?}"),
        ));
    }
    Ok((s[0], s[1..s.len() - 1].iter().product(), s[s.len() - 1]))
}

/// The key of inputs `[query, value]` or `[query, value, key]` (the value
/// when there is no key), and the query's, value's and key's
/// `(batch, steps, features)` by [`seq3`].
fn query_value_key<'t>(layer: &str, inputs: &'t [Tensor]) -> Result<(&'t Tensor, [Seq3; 3])> {
    let q = seq3(layer, "query", &inputs[0])?;
    let v = seq3(layer, "value", &inputs[1])?;
    let key = inputs.get(2).unwrap_or(&inputs[1]);
    Ok((key, [q, v, seq3(layer, "key", key)?]))
}

/// The shapes of `[query, value]` inputs and their `key`, for errors.
fn shapes(inputs: &[Tensor], key: &Tensor) -> String {
    format!(
        "{:?}, {:?}, {:?}",
        inputs[0].shape(),
        inputs[1].shape(),
        key.shape()
    )
}

/// Flattened 0/1 mask `[b, seq]` of input `i`, if any.
fn flat_mask(
    layer: &str,
    masks: &[Option<Tensor>],
    i: usize,
    b: usize,
    seq: usize,
) -> Result<Option<Vec<f32>>> {
    match masks.get(i).and_then(Option::as_ref) {
        None => Ok(None),
        Some(m) => {
            if m.len() != b * seq {
                return Err(input_err(
                    layer,
                    format!(
                        "mask of input {i} has shape {:?}, expected {b}×{seq} values",
                        m.shape()
                    ),
                ));
            }
            Ok(Some(m.to_f32().into_owned()))
        }
    }
}

/// Combined value/key padding mask per (b, j).
fn kv_mask(
    layer: &str,
    masks: &[Option<Tensor>],
    b: usize,
    tv: usize,
    has_key: bool,
) -> Result<Option<Vec<f32>>> {
    let v = flat_mask(layer, masks, 1, b, tv)?;
    let k = if has_key {
        flat_mask(layer, masks, 2, b, tv)?
    } else {
        None
    };
    Ok(match (v, k) {
        (Some(v), Some(k)) => Some(v.iter().zip(&k).map(|(a, b)| a * b).collect()),
        (v, k) => v.or(k),
    })
}

/// `weights()` of a layer whose weights are listed as (name, shape).
fn listed_weights(shapes: Vec<(String, Vec<usize>)>, trainable: bool) -> Vec<LayerWeight> {
    shapes
        .into_iter()
        .map(|(name, shape)| LayerWeight {
            name,
            shape,
            trainable,
        })
        .collect()
}

/// `set_weight` of such a layer: slot `index` of `w`, named by `shapes`
/// (`hint` ends the error when there is no such slot).
fn set_listed(
    layer: &str,
    w: &mut [Tensor],
    shapes: &[(String, Vec<usize>)],
    index: usize,
    value: Tensor,
    hint: &str,
) -> Result<()> {
    match (w.get_mut(index), shapes.get(index)) {
        (Some(slot), Some((wname, _))) => put_weight(layer, wname, slot, value),
        _ => Err(LayersError::config(
            layer,
            format!("layer has no weight #{index}{hint}"),
        )),
    }
}

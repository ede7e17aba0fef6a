//! Which layer calls Keras masks reach when a model predicts, found on the
//! built model: every layer's own `compute_mask` runs, in execution order,
//! on placeholder inputs of its call's shapes (masks say where a value is
//! kept, not what it is, so zeros serve), nested models with the masks
//! their callers give them. [`crate::Dialect::masked_call_differs`] decides
//! what the masks found change.

use super::{node_kwargs, Model, ModelLayer};
use crate::{Layer, Tensor};
use serde_json::Value;
use tfjs_format::dialect::{MaskedCall, MASK_SENSITIVE_CLASSES};

/// A mask flowing through the model: its identity (masks a layer passes
/// on unchanged keep it) and a placeholder of its shape.
#[derive(Clone)]
struct Probe {
    id: u64,
    mask: Tensor,
    /// The layer whose call made the mask, and which of its calls (`None`:
    /// given as `mask=`).
    origin: Option<(String, usize)>,
}

/// A placeholder dimension for one the model leaves open (the batch and
/// sequence lengths): large enough that a made-up mask pattern
/// ([`pattern`]) is not matched by chance, small enough that the zeros
/// stand in for activations cheaply.
const OPEN_DIM: usize = 4;

/// The most values a placeholder input may have (64 MiB of f32).
const PLACEHOLDER_MAX_VALUES: usize = 1 << 24;

/// A made-up 0/1 mask of `shape` for mask `id`: every new mask gets its
/// own, so that a layer passing a mask on unchanged is told apart from one
/// making another.
fn pattern(id: u64, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let values = (0..n as u64)
        .map(|i| {
            // splitmix64 of (id, i).
            let mut z = id
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(i.wrapping_mul(0xBF58_476D_1CE4_E5B9));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) & 1) as f32
        })
        .collect();
    Tensor::from_f32(shape.to_vec(), values).unwrap_or_else(|_| Tensor::zeros(shape.to_vec()))
}

impl Model {
    /// Every layer call (nested models' included, in execution order) that
    /// a Keras mask reaches on some input when the model predicts, with
    /// which masks: inputs carrying the same mask share its identity.
    /// Empty, without a look, when no layer is of a class whose masks
    /// matter ([`MASK_SENSITIVE_CLASSES`]).
    pub fn masked_calls(&self) -> Vec<(String, MaskedCall)> {
        let mut out = Vec::new();
        if !self.has_mask_sensitive_layers() {
            return out;
        }
        let mut next = 0;
        self.mask_flow(vec![None; self.inputs.len()], &mut next, &mut out);
        out
    }

    fn has_mask_sensitive_layers(&self) -> bool {
        self.layers.iter().any(|l| match l {
            ModelLayer::Model(m) => m.has_mask_sensitive_layers(),
            l => MASK_SENSITIVE_CLASSES.contains(&l.class_name()),
        })
    }

    /// The masks of this model's outputs given its inputs' `masks`,
    /// recording the masked calls on the way.
    fn mask_flow(
        &self,
        masks: Vec<Option<Probe>>,
        next: &mut u64,
        out: &mut Vec<(String, MaskedCall)>,
    ) -> Vec<Option<Probe>> {
        let mut slots: Vec<Option<Probe>> = vec![None; self.tensors.len()];
        for (&t, m) in self.inputs.iter().zip(masks) {
            slots[t] = m;
        }
        for &(l, c) in &self.exec {
            let call = &self.calls[l][c];
            let mut ms: Vec<Option<Probe>> =
                call.inputs.iter().map(|&t| slots[t].clone()).collect();
            // Masks an earlier call removed in Keras (see
            // `Call::masks_cleared`).
            for &k in &call.masks_cleared {
                if let Some(m) = ms.get_mut(k) {
                    *m = None;
                }
            }
            // An explicit mask replaces the propagated ones; the tensor it
            // is read from is its identity, unless it is computed the way an
            // `Embedding(mask_zero)` of the model computes its own mask
            // (then it is that mask: the same values, the same maker).
            if let Some(masks) = &call.masks {
                let n = ms.len();
                ms = masks
                    .iter()
                    .map(|t| {
                        t.map(|t| {
                            self.embedding_mask_of(t, 0)
                                .and_then(|e| slots[e].clone())
                                .unwrap_or_else(|| self.explicit_probe(t))
                        })
                    })
                    .collect();
                ms.resize(n, None);
            }
            let ys = match &self.layers[l] {
                ModelLayer::Input(_) => continue,
                ModelLayer::Model(m) => m.mask_flow(ms, next, out),
                ModelLayer::Layer(layer) => {
                    if ms.iter().any(Option::is_some) {
                        let rank = call
                            .inputs
                            .first()
                            .map_or(0, |&t| self.tensors[t].shape.len());
                        out.push((
                            layer.name().to_string(),
                            MaskedCall {
                                class_name: layer.class_name().to_string(),
                                config: Value::Object(layer.config()),
                                input_rank: rank,
                                masks: ms
                                    .iter()
                                    .map(|m| m.as_ref().map(|p| (p.id, p.mask.rank())))
                                    .collect(),
                                origins: ms
                                    .iter()
                                    .map(|m| m.as_ref().and_then(|p| p.origin.clone()))
                                    .map(|o| o.map(|(name, _)| name))
                                    .collect(),
                                origin_calls: ms
                                    .iter()
                                    .map(|m| m.as_ref().and_then(|p| p.origin.as_ref()))
                                    .map(|o| o.map(|(_, c)| *c))
                                    .collect(),
                                call: c,
                            },
                        ));
                    }
                    self.layer_masks(layer.as_ref(), l, c, &ms, next)
                }
            };
            for (k, &t) in call.outputs.iter().enumerate() {
                slots[t] = ys.get(k).cloned().flatten();
            }
        }
        self.outputs.iter().map(|&t| slots[t].clone()).collect()
    }

    /// The output tensor of an `Embedding(mask_zero=True)` call whose mask
    /// tensor `t` equals, when `t` is computed the way Keras 3 writes that
    /// mask down (`ops.not_equal(ids, 0)` of the Embedding's ids, and
    /// `ops.logical_or` / `ops.logical_and` of one mask with itself, as its
    /// merges record the masks they combine): Embedding ids are
    /// non-negative integers, so `ids != 0` is exactly the Embedding's
    /// mask.
    fn embedding_mask_of(&self, t: usize, depth: usize) -> Option<usize> {
        let info = self.tensors.get(t)?;
        let call = self.calls.get(info.layer)?.get(info.call)?;
        let ModelLayer::Layer(layer) = &self.layers[info.layer] else {
            return None;
        };
        if depth > 64 {
            return None;
        }
        match layer.class_name() {
            "ops.LogicalOr" | "ops.LogicalAnd" => {
                let (&first, rest) = call.inputs.split_first()?;
                let args = node_kwargs(&call.kwargs).get("_args")?.as_array()?;
                let only_tensors = args.len() == call.inputs.len()
                    && args
                        .iter()
                        .all(|a| crate::topology::kwarg_tensor(a).is_some());
                (only_tensors && !rest.is_empty() && rest.iter().all(|&r| r == first))
                    .then_some(())?;
                self.embedding_mask_of(first, depth + 1)
            }
            "ops.NotEqual" => {
                let [ids] = call.inputs[..] else {
                    return None;
                };
                let args = node_kwargs(&call.kwargs).get("_args")?.as_array()?;
                let zero = |v: &Value| v.as_f64() == Some(0.0);
                let ok = match args.as_slice() {
                    [a, b] => {
                        (crate::topology::kwarg_tensor(a).is_some() && zero(b))
                            || (zero(a) && crate::topology::kwarg_tensor(b).is_some())
                    }
                    _ => false,
                };
                ok.then_some(())?;
                self.layers.iter().enumerate().find_map(|(l, layer)| {
                    let ModelLayer::Layer(e) = layer else {
                        return None;
                    };
                    let masks = e.class_name() == "Embedding"
                        && e.config().get("mask_zero").and_then(Value::as_bool) == Some(true);
                    if !masks {
                        return None;
                    }
                    self.calls[l]
                        .iter()
                        .find(|c| c.inputs == [ids])
                        .and_then(|c| c.outputs.first().copied())
                })
            }
            _ => None,
        }
    }

    /// The probe of a mask given explicitly from tensor `t`: an identity
    /// of its own (above the counter's), a pattern of `t`'s shape.
    fn explicit_probe(&self, t: usize) -> Probe {
        let id = u64::MAX - t as u64;
        let shape: Vec<usize> = self.tensors[t]
            .shape
            .iter()
            .map(|d| d.unwrap_or(OPEN_DIM))
            .collect();
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        let mask = if n.is_some_and(|n| n <= PLACEHOLDER_MAX_VALUES) {
            pattern(id, &shape)
        } else {
            Tensor::zeros(vec![1])
        };
        Probe {
            id,
            mask,
            origin: None,
        }
    }

    /// The output masks of call `c` of `layer` (layer `l`) given its
    /// inputs' masks `ms`.
    fn layer_masks(
        &self,
        layer: &dyn Layer,
        l: usize,
        c: usize,
        ms: &[Option<Probe>],
        next: &mut u64,
    ) -> Vec<Option<Probe>> {
        let call = &self.calls[l][c];
        let mut fresh = |shape: &[usize]| {
            *next += 1;
            Probe {
                id: *next,
                mask: pattern(*next, shape),
                origin: Some((layer.name().to_string(), c)),
            }
        };
        // Placeholders no larger than PLACEHOLDER_MAX_VALUES each: a
        // model declaring absurd static sizes gets the cautious answer
        // below instead of an allocation sized by its file.
        let xs: Option<Vec<Tensor>> = call
            .inputs
            .iter()
            .map(|&t| {
                let shape: Vec<usize> = self.tensors[t]
                    .shape
                    .iter()
                    .map(|d| d.unwrap_or(OPEN_DIM))
                    .collect();
                let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
                (n <= PLACEHOLDER_MAX_VALUES).then(|| Tensor::zeros(shape))
            })
            .collect();
        let given: Vec<Option<Tensor>> = ms
            .iter()
            .map(|m| m.as_ref().map(|p| p.mask.clone()))
            .collect();
        let masked: Vec<&Probe> = ms.iter().flatten().collect();
        let computed = match xs {
            Some(xs) => layer.node_compute_mask(&xs, &given, node_kwargs(&call.kwargs)),
            None => Err(crate::LayersError::Input {
                message: "placeholder inputs too large".into(),
            }),
        };
        match computed {
            // A mask passed on unchanged (equal to one input's made-up
            // pattern: `Attention` passes its query's on) keeps that
            // input's identity; any other is new.
            Ok(ys) => ys
                .into_iter()
                .map(|y| {
                    let y = y?;
                    Some(match masked.iter().find(|p| p.mask == y) {
                        Some(p) => (*p).clone(),
                        None => fresh(y.shape()),
                    })
                })
                .collect(),
            // A layer that cannot compute its mask on placeholders: a new
            // mask on every output when one arrives (the cautious answer).
            Err(_) => match masked.first() {
                Some(p) => {
                    let shape = p.mask.shape().to_vec();
                    call.outputs.iter().map(|_| Some(fresh(&shape))).collect()
                }
                None => vec![None; call.outputs.len()],
            },
        }
    }
}

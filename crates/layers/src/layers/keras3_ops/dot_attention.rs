//! Keras 3's `ops.nn.dot_product_attention(query, key, value, bias, mask,
//! scale, is_causal)` on `[batch, steps, heads, head_dim]` tensors, as its
//! TensorFlow backend computes it:
//!
//! - logits `[batch, heads, T, S] = Σ_h q[b, t, n, h] · k[b, s, n, h]`,
//!   times `scale` (default `1 / sqrt(head_dim)` in float32);
//! - `is_causal`: logits with `s > t` replaced by `-0.7 · 3.38953e38`
//!   (Keras's large negative);
//! - softmax over `S`, then `out[b, t, n, :] = Σ_s p[b, n, t, s] · v[b, s,
//!   n, :]`;
//! - fewer key/value heads than query heads (grouped-query attention):
//!   each key/value head serves `heads / kv_heads` consecutive query heads,
//!   as Keras repeats them.
//!
//! `bias` and `mask` tensors and a logits soft cap (which the TensorFlow
//! backend ignores and the others apply) are refused when the model is
//! built.

use super::super::common::*;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

/// Keras's large negative for masked float32 logits (also
/// `rewrite/dot_product_attention.rs`).
pub(crate) const MASKED: f32 = -0.7 * 3.38953e38;

#[derive(Debug, Clone)]
pub(crate) struct DotAttention {
    scale: Option<f32>,
    causal: bool,
    /// A constant mask broadcasting to `[batch, heads, steps, key steps]`.
    mask: Option<std::sync::Arc<Tensor>>,
}

impl DotAttention {
    /// The node's config (`is_causal`, `flash_attention`,
    /// `attn_logits_soft_cap`) and call keyword arguments (`bias`, `mask`,
    /// `scale`).
    pub(crate) fn from_config(
        c: &ConfigReader<'_>,
        kwargs: Option<&Map<String, Value>>,
        inputs: usize,
    ) -> Result<DotAttention> {
        let set = |v: Option<&Value>| v.is_some_and(|v| !v.is_null());
        if set(c.get("attn_logits_soft_cap")) {
            return Err(c.err(
                "attn_logits_soft_cap",
                "a logits soft cap is not supported (Keras's TensorFlow backend ignores it, \
                 the others apply it)",
            ));
        }
        if c.get("flash_attention").and_then(Value::as_bool) == Some(true) {
            return Err(c.err("flash_attention", "flash attention is not supported"));
        }
        if set(kwargs.and_then(|m| m.get("bias"))) {
            return Err(c.err("bias", "a bias tensor is not supported"));
        }
        // A constant boolean mask (a NumPy array), broadcast to `[batch,
        // heads, query steps, key steps]`: false keys get Keras's large
        // negative logit.
        let mask = match kwargs.and_then(|m| m.get("mask")).filter(|m| !m.is_null()) {
            None => None,
            Some(m) => {
                let t = super::constant_operand(m)
                    .filter(|t| (2..=4).contains(&t.rank()))
                    .ok_or_else(|| {
                        c.err(
                            "mask",
                            "only a constant mask of rank 2 to 4 is supported (a mask tensor \
                             the model computes is not)",
                        )
                    })?;
                Some(std::sync::Arc::new(t))
            }
        };
        if inputs != 3 {
            return Err(c.err(
                "args",
                format!("dot_product_attention takes query, key and value tensors, got {inputs}"),
            ));
        }
        let scale = match kwargs.and_then(|m| m.get("scale")) {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_f64()
                    .ok_or_else(|| c.err("scale", "expected a number"))? as f32,
            ),
        };
        Ok(DotAttention {
            scale,
            causal: c.bool_or("is_causal", false)?,
            mask,
        })
    }

    /// Query, key and value dims, checked: `(heads, kv_heads, head_dim)`.
    fn dims(
        q: &[Option<usize>],
        k: &[Option<usize>],
        v: &[Option<usize>],
    ) -> std::result::Result<(), String> {
        if q.len() != 4 || k.len() != 4 || v.len() != 4 {
            return Err(format!(
                "dot_product_attention takes rank-4 [batch, steps, heads, head_dim] tensors, got \
                 ranks {}, {}, {}",
                q.len(),
                k.len(),
                v.len()
            ));
        }
        let clash =
            |a: Option<usize>, b: Option<usize>| matches!((a, b), (Some(a), Some(b)) if a != b);
        if clash(q[3], k[3]) || clash(k[1], v[1]) || clash(k[2], v[2]) {
            return Err("query/key head sizes or key/value steps and heads differ".into());
        }
        if let (Some(n), Some(kv)) = (q[2], k[2]) {
            if kv == 0 || n % kv != 0 {
                return Err(format!(
                    "{n} query heads do not divide into {kv} key/value heads"
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn shape(&self, inputs: &[Shape]) -> std::result::Result<Shape, String> {
        let [q, k, v] = inputs else {
            return Err(format!("expects 3 inputs, got {}", inputs.len()));
        };
        Self::dims(q, k, v)?;
        Ok(vec![q[0], q[1], q[2], v[3]])
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> std::result::Result<Tensor, String> {
        let [q, k, v] = inputs else {
            return Err(format!("expects 3 inputs, got {}", inputs.len()));
        };
        let some = |t: &Tensor| t.shape().iter().map(|&d| Some(d)).collect::<Vec<_>>();
        Self::dims(&some(q), &some(k), &some(v))?;
        let (qs, ks, vs) = (q.shape(), k.shape(), v.shape());
        let (b, t_len, heads, hd) = (qs[0], qs[1], qs[2], qs[3]);
        let (s_len, kv_heads, vd) = (ks[1], ks[2], vs[3]);
        if ks[0] != b || vs[0] != b {
            return Err("query, key and value batch sizes differ".into());
        }
        let group = heads / kv_heads;
        let scale = self.scale.unwrap_or(1.0 / (hd as f32).sqrt());
        let (qd, kd, vdata) = (f32s(q), f32s(k), f32s(v));
        let mut out = vec![0f32; b * t_len * heads * vd];
        let mut logits = vec![0f32; s_len];
        // The mask's value for (batch, head, query step, key step),
        // broadcast from its trailing axes.
        let mask = self.mask.as_ref().map(|m| (f32s(m), m.shape().to_vec()));
        let kept = |bi: usize, n: usize, t: usize, s: usize| -> bool {
            let Some((mv, ms)) = &mask else {
                return true;
            };
            let full = [bi, n, t, s];
            let idx = full[4 - ms.len()..]
                .iter()
                .zip(ms.iter())
                .fold(0, |o, (&i, &d)| o * d + if d == 1 { 0 } else { i });
            mv.get(idx).is_some_and(|&v| v != 0.0)
        };
        if let Some((_, ms)) = &mask {
            let full = [b, heads, t_len, s_len];
            if ms
                .iter()
                .zip(&full[4 - ms.len()..])
                .any(|(&d, &f)| d != 1 && d != f)
            {
                return Err(format!("the mask {ms:?} does not broadcast to {full:?}"));
            }
        }
        for bi in 0..b {
            for n in 0..heads {
                let kn = n / group;
                for t in 0..t_len {
                    let qo = ((bi * t_len + t) * heads + n) * hd;
                    for (s, l) in logits.iter_mut().enumerate() {
                        let ko = ((bi * s_len + s) * kv_heads + kn) * hd;
                        let dot: f32 = (0..hd).map(|h| qd[qo + h] * kd[ko + h]).sum();
                        *l = if (self.causal && s > t) || !kept(bi, n, t, s) {
                            MASKED
                        } else {
                            dot * scale
                        };
                    }
                    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let mut sum = 0f32;
                    for l in logits.iter_mut() {
                        *l = (*l - max).exp();
                        sum += *l;
                    }
                    let oo = ((bi * t_len + t) * heads + n) * vd;
                    for (s, p) in logits.iter().enumerate() {
                        let p = p / sum;
                        let vo = ((bi * s_len + s) * kv_heads + kn) * vd;
                        for h in 0..vd {
                            out[oo + h] += p * vdata[vo + h];
                        }
                    }
                }
            }
        }
        Tensor::from_f32(vec![b, t_len, heads, vd], out).map_err(|e| e.to_string())
    }
}

//! Cross-entropies as TensorFlow's kernels and Keras compute them, per
//! element or per row of class scores: one implementation for the
//! `tf.nn.*` / `tf.keras.backend.*` functions tf_keras saves and Keras 3's
//! `ops.nn.*` / `ops.*_crossentropy` operations.

/// Keras's `backend.epsilon()`: probabilities are clipped to
/// `[ε, 1 − ε]` before their logarithm.
pub const KERAS_EPSILON: f32 = 1e-7;

/// `log Σ exp(x)` of a row, shifted by its maximum.
pub fn logsumexp(row: &[f32]) -> f32 {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    m + row.iter().map(|&v| (v - m).exp()).sum::<f32>().ln()
}

/// `tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)`:
/// `max(x, 0) − x·z + log1p(exp(−|x|))`.
pub fn sigmoid_ce_with_logits(z: f32, x: f32) -> f32 {
    x.max(0.0) - x * z + (-x.abs()).exp().ln_1p()
}

/// `tf.nn.softmax_cross_entropy_with_logits` of one row: `−Σ t·(x − lse(x))`.
pub fn softmax_ce_with_logits(t: &[f32], x: &[f32]) -> f32 {
    let lse = logsumexp(x);
    t.iter().zip(x).map(|(&t, &x)| -t * (x - lse)).sum()
}

/// Keras's categorical crossentropy of one row of probabilities: the row
/// scaled to sum 1, clipped to `[ε, 1 − ε]`, `−Σ t·ln p`.
pub fn categorical_ce_from_probs(t: &[f32], o: &[f32]) -> f32 {
    let sum: f32 = o.iter().sum();
    t.iter()
        .zip(o)
        .map(|(&t, &o)| -t * (o / sum).clamp(KERAS_EPSILON, 1.0 - KERAS_EPSILON).ln())
        .sum()
}

/// The sparse crossentropy of one row of logits (or, with `probabilities`,
/// of probabilities clipped to `[ε, 1 − ε]`, taken as their logarithms)
/// for the class `label` (truncated): `lse(row) − row[label]`; NaN for a
/// label out of range, as TensorFlow's CPU kernel gives.
pub fn sparse_ce(row: &[f32], label: f32, probabilities: bool) -> f32 {
    let n = row.len();
    if !(label >= 0.0 && (label as usize) < n) {
        return f32::NAN;
    }
    let logits: Vec<f32> = if probabilities {
        row.iter()
            .map(|v| v.clamp(KERAS_EPSILON, 1.0 - KERAS_EPSILON).ln())
            .collect()
    } else {
        row.to_vec()
    };
    logsumexp(&logits) - logits[label as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossentropies_match_tensorflow() {
        // tf.nn.sigmoid_cross_entropy_with_logits(labels=[1., 0.], logits=[2., -3.])
        // -> [0.126928, 0.048587]
        assert!((sigmoid_ce_with_logits(1.0, 2.0) - 0.126928).abs() < 1e-6);
        assert!((sigmoid_ce_with_logits(0.0, -3.0) - 0.048587).abs() < 1e-6);
        // tf.nn.softmax_cross_entropy_with_logits([[0., 1., 0.]], [[1., 2., 3.]]) -> 1.407606
        assert!(
            (softmax_ce_with_logits(&[0.0, 1.0, 0.0], &[1.0, 2.0, 3.0]) - 1.407606).abs() < 1e-6
        );
        // tf.nn.sparse_softmax_cross_entropy_with_logits([1], [[1., 2., 3.]]) -> 1.407606
        assert!((sparse_ce(&[1.0, 2.0, 3.0], 1.0, false) - 1.407606).abs() < 1e-6);
        assert!(sparse_ce(&[1.0, 2.0], 2.0, false).is_nan());
        // keras.ops.categorical_crossentropy([[0., 1.]], [[2., 6.]]) -> -ln(0.75) = 0.287682
        assert!((categorical_ce_from_probs(&[0.0, 1.0], &[2.0, 6.0]) - 0.287682).abs() < 1e-6);
    }
}

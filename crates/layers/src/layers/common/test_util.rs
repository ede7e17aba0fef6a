//! Helpers of the layer families' unit tests.

use crate::config::ConfigReader;
use crate::{Dialect, Layer, Result, Tensor};
use serde_json::Value;

/// The layer `build` makes of `config` (a JSON object) in each dialect
/// passes a `[1, 2]` mask on exactly where Keras and TensorFlow.js do for
/// a layer that Keras 2 does not let support masking (tf_keras 2.21 and
/// Keras 3.15, seen with a `Masking` then a masked average): tf_keras drops
/// it, Keras 3 and TensorFlow.js pass it on.
pub(crate) fn assert_mask_dropped_only_by_keras2<L: Layer>(
    config: Value,
    build: fn(&ConfigReader<'_>) -> Result<L>,
) {
    let map = config.as_object().cloned().unwrap_or_default();
    let mask = Some(Tensor::from_f32(vec![1, 2], vec![1.0, 0.0]).unwrap());
    let x = Tensor::from_f32(vec![1, 2, 1], vec![1.0, 0.0]).unwrap();
    for (version, kept) in [
        (Some("2.21.0"), false),
        (Some("3.15.1"), true),
        (None, true),
    ] {
        let c = ConfigReader::new("l", &map).in_dialect(Dialect::from_keras_version(version));
        let layer = build(&c).unwrap();
        let m = layer.compute_mask(std::slice::from_ref(&x), std::slice::from_ref(&mask));
        assert_eq!(m.unwrap()[0].is_some(), kept, "{version:?}");
    }
}

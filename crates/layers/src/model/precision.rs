//! Mixed precision: a layer under Keras's `mixed_float16` /
//! `mixed_bfloat16` (or `float16` / `bfloat16`) policy computes in that
//! type with float32 variables. The executor emulates it around the
//! layer's float32 computation, once for every layer:
//!
//! - its floating inputs are rounded to the compute type, and its weights
//!   are used rounded (Keras casts both when the layer `autocast`s: all
//!   layers but the normalizations and `Embedding`, see
//!   [`autocasts`](crate::layers::common::dtype::autocasts));
//! - its floating outputs are rounded to the compute type (but a
//!   quantized `Embedding`'s, which are float32, see
//!   [`outputs_in_compute_dtype`](crate::layers::common::dtype::outputs_in_compute_dtype)).
//!
//! What happens inside a layer between its input and its output (a Dense's
//! matmul, bias add and activation each rounded to float16 by TensorFlow)
//! is computed in float32 and rounded once: results agree with Keras to a
//! few float16 / bfloat16 units in the last place, not bit for bit.
//!
//! The rounded weights live in a twin of the layer (built from the same
//! config, weights copied rounded on first use after any weight change),
//! so the layer itself keeps, and saves, its float32 variables.

use crate::layers::common::dtype::{autocasts, outputs_in_compute_dtype, DTypePolicy, Precision};
use crate::{Layer, Result, Shape, Tensor};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

/// How the executor treats one layer's precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct LayerPrecision {
    /// The type the layer computes in.
    pub compute: Precision,
    /// Whether Keras casts its floating inputs and weights to `compute`.
    pub autocast: bool,
    /// Whether its floating outputs are of type `compute`.
    pub rounds_outputs: bool,
}

impl LayerPrecision {
    /// The precision of `layer`, from the `dtype` policy in its config
    /// (an unreadable one was refused when the layer was built).
    pub fn of(layer: &dyn Layer) -> LayerPrecision {
        let config = layer.config();
        let policy = DTypePolicy::parse(config.get("dtype")).unwrap_or_default();
        LayerPrecision {
            compute: policy.compute,
            autocast: autocasts(layer.class_name()),
            rounds_outputs: outputs_in_compute_dtype(layer.class_name(), &policy),
        }
    }

    /// Whether the layer computes in float32 (nothing to emulate).
    pub fn is_f32(&self) -> bool {
        self.compute == Precision::F32
    }

    /// Round the float32 values of `t` to the compute type.
    pub fn round(&self, t: &mut Tensor) {
        if let Some(data) = t.as_f32_mut() {
            self.compute.round(data);
        }
    }
}

/// A copy of a mixed-precision layer holding its weights rounded to the
/// compute type (see the module docs).
pub(crate) struct Twin {
    layer: RwLock<Box<dyn Layer>>,
    /// Set when the original's weights may have changed since the copy.
    stale: AtomicBool,
}

impl std::fmt::Debug for Twin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Twin")
    }
}

impl Twin {
    /// `twin`, a second layer made from `original`'s config, as its twin
    /// once built for `input_shapes` (the shapes `original` was built
    /// for); `None` when `original` has no weights or the two differ
    /// (its weights are then used unrounded).
    pub fn of(
        original: &dyn Layer,
        mut twin: Box<dyn Layer>,
        input_shapes: &[Shape],
    ) -> Option<Twin> {
        if original.weights().is_empty() {
            return None;
        }
        twin.build(input_shapes).ok()?;
        (twin.weights() == original.weights()).then(|| Twin {
            layer: RwLock::new(twin),
            stale: AtomicBool::new(true),
        })
    }

    /// Mark the copied weights out of date.
    pub fn invalidate(&self) {
        self.stale.store(true, Ordering::Release);
    }

    /// The twin, its weights first copied from `original` rounded to
    /// `precision` when they may have changed.
    pub fn get(
        &self,
        original: &dyn Layer,
        precision: Precision,
    ) -> Result<RwLockReadGuard<'_, Box<dyn Layer>>> {
        if self.stale.load(Ordering::Acquire) {
            let mut twin = self.layer.write().unwrap_or_else(|e| e.into_inner());
            if self.stale.load(Ordering::Acquire) {
                for (i, w) in original.weight_values().into_iter().enumerate() {
                    let mut w = w.clone();
                    if let Some(d) = w.as_f32_mut() {
                        precision.round(d);
                    }
                    twin.set_weight(i, w)?;
                }
                self.stale.store(false, Ordering::Release);
            }
        }
        Ok(self.layer.read().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use crate::{LayerRegistry, Model, Tensor};
    use serde_json::json;
    use tfjs_format::codec::{DecodedWeight, TensorValues};

    fn weight(name: &str, v: f32) -> DecodedWeight {
        DecodedWeight {
            name: name.into(),
            shape: vec![1, 1],
            values: TensorValues::Float32(vec![v]),
            group: None,
        }
    }

    /// A `mixed_float16` Dense multiplies its input and kernel rounded to
    /// float16 (each a tie, rounded to even) and rounds its output; the
    /// float32 Dense after it keeps float32's precision; the model keeps
    /// (and saves) the float32 kernel, and a new kernel is rounded anew.
    #[test]
    fn a_mixed_float16_layer_rounds_its_inputs_weights_and_outputs() {
        let dense = |name: &str, from: &str, dtype: &str| {
            json!({"name": name, "class_name": "Dense", "inbound_nodes": [[[from, 0, 0, {}]]],
                   "config": {"name": name, "units": 1, "use_bias": false, "dtype": dtype}})
        };
        let topology = json!({"class_name": "Functional", "config": {"name": "m", "layers": [
            {"name": "x", "class_name": "InputLayer", "inbound_nodes": [],
             "config": {"batch_input_shape": [null, 1], "dtype": "float32", "sparse": false,
                        "name": "x"}},
            dense("half", "x", "mixed_float16"),
            dense("full", "half", "float32")],
            "input_layers": [["x", 0, 0]], "output_layers": [["full", 0, 0]]}});
        let mut m = Model::from_topology(&topology, &LayerRegistry::with_builtins(), 1).unwrap();
        let (ulp, full) = (2f32.powi(-10), 1.0 + 2f32.powi(-20));
        m.load_weights(
            &[
                weight("half/kernel", 3.0 + ulp),
                weight("full/kernel", full),
            ],
            true,
        )
        .unwrap();
        // 1 + ulp/2 → 1 and 3 + ulp → 3 in float16.
        let x = Tensor::from_f32(vec![1, 1], vec![1.0 + ulp / 2.0]).unwrap();
        let y = m.predict(std::slice::from_ref(&x)).unwrap();
        assert_eq!(y[0].as_f32().unwrap(), [3.0 * full]);
        assert_eq!(
            m.weight("half/kernel").unwrap().as_f32().unwrap(),
            [3.0 + ulp]
        );
        let saved = m.to_artifacts().unwrap();
        assert!(serde_json::to_string(&saved.model_topology)
            .unwrap()
            .contains("mixed_float16"));
        // 5 + 2 ulp is a tie between float16's 5 and 5 + 4 ulp: 5.
        m.load_weights(&[weight("half/kernel", 5.0 + 2.0 * ulp)], false)
            .unwrap();
        let y = m.predict(&[x]).unwrap();
        assert_eq!(y[0].as_f32().unwrap(), [5.0 * full]);
    }

    /// Under `int8_from_mixed_bfloat16` a weight-only int8 Dense divides
    /// its bfloat16 product by its scale rounded to bfloat16 and rounds
    /// the quotient (1 / 3 → 0.333984375), while an int8 Embedding divides
    /// by its float32 scale and outputs float32 (1 / 3 unrounded); int8
    /// layers under float16 (which Keras refuses to quantize) are refused
    /// by name.
    #[test]
    fn a_quantized_layer_computing_in_bfloat16_rounds_each_step() {
        let topology = |source: &str| {
            let policy = json!({"class_name": "QuantizedDTypePolicy",
                                "config": {"mode": "int8", "source_name": source}});
            let input = |name: &str, dtype: &str| {
                json!({"name": name, "class_name": "InputLayer", "inbound_nodes": [],
                       "config": {"batch_input_shape": [null, 1], "dtype": dtype,
                                  "sparse": false, "name": name}})
            };
            json!({"class_name": "Functional", "config": {"name": "m", "layers": [
                input("x", "float32"), input("t", "int32"),
                {"name": "q", "class_name": "Dense", "inbound_nodes": [[["x", 0, 0, {}]]],
                 "config": {"name": "q", "units": 1, "use_bias": false, "dtype": policy,
                            "quantization_config": {"class_name": "Int8QuantizationConfig",
                                                    "config": {"activation_quantizer": null}}}},
                {"name": "e", "class_name": "Embedding", "inbound_nodes": [[["t", 0, 0, {}]]],
                 "config": {"name": "e", "input_dim": 2, "output_dim": 1, "dtype": policy}}],
                "input_layers": [["x", 0, 0], ["t", 0, 0]],
                "output_layers": [["q", 0, 0], ["e", 0, 0]]}})
        };
        let registry = LayerRegistry::with_builtins();
        let mut m = Model::from_topology(&topology("mixed_bfloat16"), &registry, 1).unwrap();
        let int = |name: &str, shape: Vec<usize>, v: Vec<i32>| DecodedWeight {
            name: name.into(),
            shape,
            values: TensorValues::Int32(v),
            group: None,
        };
        let float = |name: &str, v: Vec<f32>| DecodedWeight {
            name: name.into(),
            shape: vec![v.len()],
            values: TensorValues::Float32(v),
            group: None,
        };
        m.load_weights(
            &[
                int("q/kernel", vec![1, 1], vec![1]),
                float("q/kernel_scale", vec![3.0]),
                int("e/embeddings", vec![2, 1], vec![1, 1]),
                float("e/embeddings_scale", vec![3.0, 3.0]),
            ],
            true,
        )
        .unwrap();
        let x = Tensor::from_f32(vec![1, 1], vec![1.0]).unwrap();
        let t = Tensor::from_i32(vec![1, 1], vec![1]).unwrap();
        let y = m.predict(&[x, t]).unwrap();
        // bfloat16 1 / 3 = 171 / 512.
        assert_eq!(y[0].as_f32().unwrap(), [171.0 / 512.0]);
        assert_eq!(y[1].as_f32().unwrap(), [1.0f32 / 3.0]);
        let err = Model::from_topology(&topology("mixed_float16"), &registry, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`q`") || err.contains("q:"), "{err}");
        assert!(err.contains("float16"), "{err}");
    }
}

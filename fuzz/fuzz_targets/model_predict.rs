//! Topology → model build → predict on a small input.
//!
//! Input: `u16 LE n` · `n` bytes of a model.json · weight bytes. The model
//! is built non-strictly (missing weights are initialized) so that fuzzed
//! topologies reach `predict`; every input gets zeros of its declared
//! shape with unknown dimensions set to 1 (skipped above 4096 elements).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod framed;
use tfjs_layers::{LoadOptions, Model, Tensor};

const MAX_INPUT_ELEMENTS: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some(artifacts) = framed::artifacts(data) else {
        return;
    };
    for strict in [true, false] {
        let opts = LoadOptions {
            strict,
            ..Default::default()
        };
        let Ok(model) = Model::from_artifacts(&artifacts, &opts) else {
            continue;
        };
        let _ = model.output_shapes();
        let mut inputs = vec![];
        for input in model.inputs() {
            let shape: Vec<usize> = input.batch_shape.iter().map(|d| d.unwrap_or(1)).collect();
            let count = shape
                .iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .filter(|&c| c <= MAX_INPUT_ELEMENTS);
            let Some(count) = count else {
                return;
            };
            let t = if input.dtype == "int32" {
                Tensor::from_i32(shape, vec![0; count])
            } else {
                Tensor::from_f32(
                    shape,
                    (0..count).map(|i| (i % 5) as f32 * 0.5 - 1.0).collect(),
                )
            };
            match t {
                Ok(t) => inputs.push(t),
                Err(_) => return,
            }
        }
        if let Ok(outputs) = model.predict(&inputs) {
            assert_eq!(outputs.len(), model.output_names().len());
        }
        return;
    }
});

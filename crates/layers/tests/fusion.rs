//! The engine fuses Conv2D/DepthwiseConv2D + BatchNormalization + ReLU for
//! inference. The fused plan is built from the weights at first predict and
//! must be rebuilt when weights change afterwards.

mod common;

use tfjs_layers::Tensor;

fn input_for(model: &tfjs_layers::model::Model) -> Tensor {
    let spec = &model.inputs()[0];
    let mut shape: Vec<usize> = spec.batch_shape.iter().map(|d| d.unwrap_or(2)).collect();
    shape[0] = 2;
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|i| ((i * 37 % 101) as f32) / 50.0 - 1.0)
        .collect();
    Tensor::from_f32(shape, data).unwrap()
}

#[test]
fn new_weights_after_predict_are_used() {
    let dir = common::fixtures_root().join("keras/mobilenet_v2");
    let mut used = common::load_fixture(&dir).unwrap();
    let x = input_for(&used);
    let before = used.predict(std::slice::from_ref(&x)).unwrap();
    used.initialize_weights(7).unwrap();
    let after = used.predict(std::slice::from_ref(&x)).unwrap();

    let mut fresh = common::load_fixture(&dir).unwrap();
    fresh.initialize_weights(7).unwrap();
    let want = fresh.predict(std::slice::from_ref(&x)).unwrap();
    assert_eq!(after, want, "stale fused weights after initialize_weights");
    assert_ne!(
        before, after,
        "re-initialized weights must change the output"
    );
}

/// A large batch of a per-sample model runs as parallel slices or whole
/// (the first predicts at a batch size try both, see
/// `model/batch_split.rs`): either way every sample comes out as it does
/// alone.
#[test]
fn a_sliced_batch_equals_each_sample_alone() {
    for name in ["keras/mobilenet_v2", "keras/mobilenet_v1"] {
        let model = common::load_fixture(&common::fixtures_root().join(name)).unwrap();
        let spec = &model.inputs()[0];
        let per: usize = spec.batch_shape[1..].iter().map(|d| d.unwrap()).product();
        let batch = 7;
        let data: Vec<f32> = (0..batch * per)
            .map(|i| ((i * 37 % 101) as f32) / 50.0 - 1.0)
            .collect();
        let mut shape: Vec<usize> = spec
            .batch_shape
            .iter()
            .map(|d| d.unwrap_or(batch))
            .collect();
        let alone: Vec<Vec<f32>> = (0..batch)
            .map(|s| {
                shape[0] = 1;
                let one =
                    Tensor::from_f32(shape.clone(), data[s * per..(s + 1) * per].to_vec()).unwrap();
                model.predict(&[one]).unwrap()[0].to_f32().into_owned()
            })
            .collect();
        shape[0] = batch;
        // Past the trials both ways have run (on a pool of 2+ threads).
        for call in 0..6 {
            let all = model
                .predict(&[Tensor::from_f32(shape.clone(), data.clone()).unwrap()])
                .unwrap();
            let out = all[0].to_f32();
            let n = out.len() / batch;
            for (s, alone) in alone.iter().enumerate() {
                for (j, (a, b)) in out[s * n..(s + 1) * n].iter().zip(alone).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-5,
                        "{name} call {call} sample {s} value {j}: batch {a}, alone {b}"
                    );
                }
            }
        }
    }
}

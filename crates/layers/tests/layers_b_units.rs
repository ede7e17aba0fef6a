//! Hand-computable cases for the embedding, recurrent, wrapper, attention
//! and preprocessing layers, and config parity with TensorFlow.js 4.22's
//! `getConfig()` catalog.

use serde_json::{json, Value};
use std::path::Path;
use tfjs_layers::config::ConfigReader;
use tfjs_layers::{BuildContext, Layer, LayerRegistry, Tensor};

fn build(class: &str, cfg: Value) -> Box<dyn Layer> {
    try_build(class, cfg).unwrap()
}

fn try_build(class: &str, cfg: Value) -> tfjs_layers::Result<Box<dyn Layer>> {
    let reg = LayerRegistry::with_builtins();
    let ctx = BuildContext::new(&reg);
    let map = cfg.as_object().unwrap().clone();
    let name = map
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(class)
        .to_string();
    reg.build(class, &ConfigReader::new(&name, &map), &ctx)
}

fn t(shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::from_f32(shape.to_vec(), data.to_vec()).unwrap()
}

fn set_all(layer: &mut dyn Layer, values: &[Vec<f32>]) {
    let specs = layer.weights();
    assert_eq!(specs.len(), values.len(), "{:?}", specs);
    for (i, (s, v)) in specs.iter().zip(values).enumerate() {
        layer.set_weight(i, t(&s.shape, v)).unwrap();
    }
}

fn close(a: &[f32], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((*x as f64 - y).abs() < 1e-5, "{a:?} vs {b:?}");
    }
}

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn hsig(x: f64) -> f64 {
    (0.2 * x + 0.5).clamp(0.0, 1.0)
}

/// Deterministic values in [-0.5, 0.5) for weights of `shapes`.
fn filled<'a>(shapes: impl Iterator<Item = &'a [usize]>) -> Vec<Vec<f32>> {
    shapes
        .enumerate()
        .map(|(i, s)| {
            (0..s.iter().product::<usize>())
                .map(|k| ((i * 7 + k * 3) % 11) as f32 / 11.0 - 0.5)
                .collect()
        })
        .collect()
}

#[test]
fn lstm_two_steps_match_hand_computation() {
    // units 1, input 1; gates i, f, c, o.
    let mut l = build(
        "LSTM",
        json!({"name": "lstm", "units": 1, "recurrent_activation": "sigmoid"}),
    );
    l.build(&[vec![None, Some(2), Some(1)]]).unwrap();
    let (k, r, b) = (
        [0.5, -0.3, 0.8, 0.1],
        [0.2, 0.4, -0.6, 0.7],
        [0.1, 1.0, -0.2, 0.05],
    );
    set_all(l.as_mut(), &[k.to_vec(), r.to_vec(), b.to_vec()]);
    let x = [1.0f64, -2.0];
    let (mut h, mut c) = (0.0f64, 0.0f64);
    let mut hs = vec![];
    for xt in x {
        let z = |g: usize| xt * k[g] as f64 + h * r[g] as f64 + b[g] as f64;
        let (i, f, g, o) = (sig(z(0)), sig(z(1)), z(2).tanh(), sig(z(3)));
        c = f * c + i * g;
        h = o * c.tanh();
        hs.push(h);
    }
    let y = l.call(&[t(&[1, 2, 1], &[1.0, -2.0])], &[None]).unwrap();
    assert_eq!(y[0].shape(), &[1, 1]);
    close(y[0].as_f32().unwrap(), &[hs[1]]);
    // return_sequences + return_state: [seq, h, c].
    let mut l2 = build(
        "LSTM",
        json!({"name": "lstm", "units": 1, "recurrent_activation": "sigmoid",
               "return_sequences": true, "return_state": true}),
    );
    l2.build(&[vec![None, Some(2), Some(1)]]).unwrap();
    set_all(l2.as_mut(), &[k.to_vec(), r.to_vec(), b.to_vec()]);
    let y = l2.call(&[t(&[1, 2, 1], &[1.0, -2.0])], &[None]).unwrap();
    assert_eq!(y.len(), 3);
    close(y[0].as_f32().unwrap(), &hs);
    close(y[1].as_f32().unwrap(), &[hs[1]]);
    close(y[2].as_f32().unwrap(), &[c]);
    assert_eq!(
        l2.output_shapes(&[vec![None, Some(2), Some(1)]]).unwrap(),
        vec![
            vec![None, Some(2), Some(1)],
            vec![None, Some(1)],
            vec![None, Some(1)]
        ]
    );
}

#[test]
fn gru_reset_before_and_after_match_hand_computation() {
    let (k, r) = ([0.3, -0.5, 0.9], [0.6, 0.2, -0.4]);
    let x = [0.7f64, -1.1, 0.4];
    // reset_after = false (TensorFlow.js), hard_sigmoid default.
    let bias = [0.05, -0.1, 0.2];
    let mut l = build("GRU", json!({"name": "g", "units": 1}));
    l.build(&[vec![None, None, Some(1)]]).unwrap();
    assert_eq!(l.weights()[2].shape, vec![3]);
    set_all(l.as_mut(), &[k.to_vec(), r.to_vec(), bias.to_vec()]);
    let mut h = 0.0f64;
    for xt in x {
        let xp = |g: usize| xt * k[g] as f64 + bias[g] as f64;
        let z = hsig(xp(0) + h * r[0] as f64);
        let rr = hsig(xp(1) + h * r[1] as f64);
        let hh = (xp(2) + (rr * h) * r[2] as f64).tanh();
        h = z * h + (1.0 - z) * hh;
    }
    let y = l
        .call(&[t(&[1, 3, 1], &[0.7, -1.1, 0.4])], &[None])
        .unwrap();
    close(y[0].as_f32().unwrap(), &[h]);

    // reset_after = true (Keras 2 default): bias [2, 3u].
    let bias2 = [0.05, -0.1, 0.2, 0.3, 0.15, -0.25];
    let mut l = build(
        "GRU",
        json!({"name": "g", "units": 1, "reset_after": true, "recurrent_activation": "sigmoid"}),
    );
    l.build(&[vec![None, None, Some(1)]]).unwrap();
    assert_eq!(l.weights()[2].shape, vec![2, 3]);
    set_all(l.as_mut(), &[k.to_vec(), r.to_vec(), bias2.to_vec()]);
    let mut h = 0.0f64;
    for xt in x {
        let xp = |g: usize| xt * k[g] as f64 + bias2[g] as f64;
        let rp = |g: usize| h * r[g] as f64 + bias2[3 + g] as f64;
        let z = sig(xp(0) + rp(0));
        let rr = sig(xp(1) + rp(1));
        let hh = (xp(2) + rr * rp(2)).tanh();
        h = z * h + (1.0 - z) * hh;
    }
    let y = l
        .call(&[t(&[1, 3, 1], &[0.7, -1.1, 0.4])], &[None])
        .unwrap();
    close(y[0].as_f32().unwrap(), &[h]);
}

fn linear_rnn(extra: Value) -> Box<dyn Layer> {
    let mut cfg = json!({"name": "s", "units": 1, "activation": "linear", "use_bias": false});
    for (k, v) in extra.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    let mut l = build("SimpleRNN", cfg);
    l.build(&[vec![None, None, Some(1)]]).unwrap();
    set_all(l.as_mut(), &[vec![1.0], vec![0.5]]);
    l
}

#[test]
fn masked_steps_keep_state_and_repeat_previous_output() {
    // h_t = x_t + 0.5 h_{t-1}; step 1 masked.
    let l = linear_rnn(json!({"return_sequences": true}));
    let x = t(&[1, 3, 1], &[1.0, 100.0, 2.0]);
    let mask = t(&[1, 3], &[1.0, 0.0, 1.0]);
    let y = l
        .call(std::slice::from_ref(&x), &[Some(mask.clone())])
        .unwrap();
    close(y[0].as_f32().unwrap(), &[1.0, 1.0, 2.5]);
    // The mask passes through for sequence outputs.
    let m = l
        .compute_mask(std::slice::from_ref(&x), &[Some(mask.clone())])
        .unwrap();
    assert_eq!(m[0].as_ref(), Some(&mask));
    // Last output with a mask, no sequences.
    let l = linear_rnn(json!({}));
    let y = l
        .call(std::slice::from_ref(&x), &[Some(mask.clone())])
        .unwrap();
    close(y[0].as_f32().unwrap(), &[2.5]);
    assert!(l.compute_mask(&[x], &[Some(mask)]).unwrap()[0].is_none());
}

#[test]
fn go_backwards_processes_reversed_sequence_in_processing_order() {
    let l = linear_rnn(json!({"return_sequences": true, "go_backwards": true}));
    let y = l.call(&[t(&[1, 3, 1], &[1.0, 2.0, 4.0])], &[None]).unwrap();
    // Steps over 4, 2, 1: 4, 4, 3.
    close(y[0].as_f32().unwrap(), &[4.0, 4.0, 3.0]);
}

#[test]
fn initial_state_inputs_are_used() {
    let l = linear_rnn(json!({}));
    let y = l
        .call(&[t(&[1, 1, 1], &[1.0]), t(&[1, 1], &[2.0])], &[None, None])
        .unwrap();
    close(y[0].as_f32().unwrap(), &[2.0]);
    assert!(l
        .call(
            &[t(&[1, 1, 1], &[1.0]), t(&[1, 3], &[2.0, 0.0, 0.0])],
            &[None, None]
        )
        .is_err());
}

#[test]
fn bidirectional_merges_forward_and_rereversed_backward() {
    let inner = json!({"class_name": "SimpleRNN", "config": {"name": "s", "units": 1,
        "activation": "linear", "use_bias": false, "return_sequences": true}});
    let x = t(&[1, 3, 1], &[1.0, 2.0, 4.0]);
    // forward (w=1, u=0.5): 1, 2.5, 5.25; backward (w=2, u=0.25) over 4,2,1:
    // 8, 6, 3.5 -> re-reversed 3.5, 6, 8.
    let fwd = [1.0, 2.5, 5.25];
    let bwd = [3.5, 6.0, 8.0];
    for (mode, expect) in [
        (
            json!("sum"),
            (0..3).map(|i| fwd[i] + bwd[i]).collect::<Vec<f64>>(),
        ),
        (json!("mul"), (0..3).map(|i| fwd[i] * bwd[i]).collect()),
        (
            json!("ave"),
            (0..3).map(|i| (fwd[i] + bwd[i]) / 2.0).collect(),
        ),
        (
            json!("concat"),
            (0..3).flat_map(|i| [fwd[i], bwd[i]]).collect(),
        ),
    ] {
        let mut l = build(
            "Bidirectional",
            json!({"name": "bi", "merge_mode": mode, "layer": inner}),
        );
        l.build(&[vec![None, Some(3), Some(1)]]).unwrap();
        let names: Vec<String> = l.weights().into_iter().map(|w| w.name).collect();
        assert_eq!(
            names,
            [
                "forward_s/kernel",
                "forward_s/recurrent_kernel",
                "backward_s/kernel",
                "backward_s/recurrent_kernel"
            ]
        );
        set_all(l.as_mut(), &[vec![1.0], vec![0.5], vec![2.0], vec![0.25]]);
        let y = l.call(std::slice::from_ref(&x), &[None]).unwrap();
        close(y[0].as_f32().unwrap(), &expect);
        let cfg = l.config();
        assert_eq!(cfg["layer"]["config"]["name"], "s");
        assert_eq!(cfg["layer"]["config"]["go_backwards"], false);
        assert_eq!(cfg["merge_mode"], mode);
    }
    // merge_mode null: two outputs.
    let mut l = build(
        "Bidirectional",
        json!({"name": "bi", "merge_mode": null, "layer": inner}),
    );
    l.build(&[vec![None, Some(3), Some(1)]]).unwrap();
    set_all(l.as_mut(), &[vec![1.0], vec![0.5], vec![2.0], vec![0.25]]);
    let y = l.call(&[x], &[None]).unwrap();
    assert_eq!(y.len(), 2);
    close(y[0].as_f32().unwrap(), &fwd);
    close(y[1].as_f32().unwrap(), &bwd);
    assert_eq!(l.config()["merge_mode"], Value::Null);
}

#[test]
fn bidirectional_zeroes_masked_sequence_outputs() {
    let inner = json!({"class_name": "SimpleRNN", "config": {"name": "s", "units": 1,
        "activation": "linear", "use_bias": false, "return_sequences": true}});
    let mut l = build(
        "Bidirectional",
        json!({"name": "bi", "merge_mode": "concat", "layer": inner}),
    );
    l.build(&[vec![None, Some(3), Some(1)]]).unwrap();
    set_all(l.as_mut(), &[vec![1.0], vec![0.5], vec![2.0], vec![0.25]]);
    let x = t(&[1, 3, 1], &[1.0, 2.0, 4.0]);
    let y = l.call(&[x], &[Some(t(&[1, 3], &[1.0, 1.0, 0.0]))]).unwrap();
    // forward 1, 2.5, (masked -> 0); backward over [masked], 2, 1: 0, 4, 3 ->
    // re-reversed 3, 4, 0.
    close(y[0].as_f32().unwrap(), &[1.0, 3.0, 2.5, 4.0, 0.0, 0.0]);
}

#[test]
fn stacked_cells_equal_two_layers_and_use_rnncell_names() {
    let cell = |units: usize| {
        json!({"class_name": "LSTMCell", "config": {"name": "c", "units": units,
            "recurrent_activation": "sigmoid"}})
    };
    let mut rnn = build(
        "RNN",
        json!({"name": "rnn", "cell": [cell(2), cell(2)], "return_sequences": true}),
    );
    rnn.build(&[vec![None, Some(4), Some(3)]]).unwrap();
    let w = rnn.weights();
    let got: Vec<(String, Vec<usize>)> = w
        .iter()
        .map(|w| (w.name.clone(), w.shape.clone()))
        .collect();
    // TensorFlow.js: rnn/RNNCell_0/kernel [3,8] ... rnn/RNNCell_1/kernel [2,8].
    assert_eq!(got[0], ("RNNCell_0/kernel".to_string(), vec![3, 8]));
    assert_eq!(got[3], ("RNNCell_1/kernel".to_string(), vec![2, 8]));
    assert_eq!(got.len(), 6);
    let vals = filled(w.iter().map(|w| &w.shape[..]));
    set_all(rnn.as_mut(), &vals);
    let mut l1 = build(
        "LSTM",
        json!({"name": "a", "units": 2, "recurrent_activation": "sigmoid", "return_sequences": true}),
    );
    l1.build(&[vec![None, Some(4), Some(3)]]).unwrap();
    set_all(l1.as_mut(), &vals[..3]);
    let mut l2 = build(
        "LSTM",
        json!({"name": "b", "units": 2, "recurrent_activation": "sigmoid", "return_sequences": true}),
    );
    l2.build(&[vec![None, Some(4), Some(2)]]).unwrap();
    set_all(l2.as_mut(), &vals[3..]);
    let x = t(
        &[2, 4, 3],
        &(0..24).map(|i| (i as f32 * 0.37).sin()).collect::<Vec<_>>(),
    );
    let y = rnn.call(std::slice::from_ref(&x), &[None]).unwrap();
    let y2 = l2.call(&l1.call(&[x], &[None]).unwrap(), &[None]).unwrap();
    let want: Vec<f64> = y2[0].as_f32().unwrap().iter().map(|&v| v as f64).collect();
    close(y[0].as_f32().unwrap(), &want);
    let cfg = rnn.config();
    assert_eq!(cfg["cell"]["class_name"], "StackedRNNCells");
    assert_eq!(cfg["cell"]["config"]["cells"].as_array().unwrap().len(), 2);
}

#[test]
fn conv_lstm_with_1x1_kernel_on_1x1_image_equals_lstm() {
    let mut c = build(
        "ConvLSTM2D",
        json!({"name": "cl", "filters": 2, "kernel_size": 1, "return_sequences": true}),
    );
    c.build(&[vec![None, Some(3), Some(1), Some(1), Some(2)]])
        .unwrap();
    let shapes: Vec<Vec<usize>> = c.weights().iter().map(|w| w.shape.clone()).collect();
    assert_eq!(shapes, vec![vec![1, 1, 2, 8], vec![1, 1, 2, 8], vec![8]]);
    let vals = filled(shapes.iter().map(|s| &s[..]));
    set_all(c.as_mut(), &vals);
    let mut l = build(
        "LSTM",
        json!({"name": "l", "units": 2, "return_sequences": true}),
    );
    l.build(&[vec![None, Some(3), Some(2)]]).unwrap();
    set_all(l.as_mut(), &vals);
    let data: Vec<f32> = (0..12).map(|i| (i as f32 * 0.5).cos()).collect();
    let yc = c.call(&[t(&[2, 3, 1, 1, 2], &data)], &[None]).unwrap();
    let yl = l.call(&[t(&[2, 3, 2], &data)], &[None]).unwrap();
    assert_eq!(yc[0].shape(), &[2, 3, 1, 1, 2]);
    let want: Vec<f64> = yl[0].as_f32().unwrap().iter().map(|&v| v as f64).collect();
    close(yc[0].as_f32().unwrap(), &want);
}

#[test]
fn embedding_looks_up_masks_and_rejects_out_of_range_ids() {
    let mut e = build(
        "Embedding",
        json!({"name": "emb", "input_dim": 3, "output_dim": 2, "mask_zero": true}),
    );
    set_all(e.as_mut(), &[vec![0.0, 0.1, 1.0, 1.1, 2.0, 2.1]]);
    let ids = Tensor::from_i32(vec![2, 2], vec![1, 0, 2, 2]).unwrap();
    let y = e.call(std::slice::from_ref(&ids), &[None]).unwrap();
    assert_eq!(y[0].shape(), &[2, 2, 2]);
    close(
        y[0].as_f32().unwrap(),
        &[1.0, 1.1, 0.0, 0.1, 2.0, 2.1, 2.0, 2.1],
    );
    let m = e.compute_mask(&[ids], &[None]).unwrap();
    assert_eq!(
        m[0].as_ref().unwrap().as_f32().unwrap(),
        &[1.0, 0.0, 1.0, 1.0]
    );
    // float ids are truncated like TensorFlow.js's int32 cast
    let y = e.call(&[t(&[1, 1], &[2.7])], &[None]).unwrap();
    close(y[0].as_f32().unwrap(), &[2.0, 2.1]);
    for bad in [3, -1] {
        let err = e
            .call(
                &[Tensor::from_i32(vec![1, 2], vec![0, bad]).unwrap()],
                &[None],
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("emb") && err.contains(&bad.to_string()) && err.contains("out of range"),
            "{err}"
        );
    }
    assert!(try_build("Embedding", json!({"name": "e", "input_dim": 3})).is_err());
}

#[test]
fn time_distributed_applies_inner_layer_per_step() {
    let mut td = build(
        "TimeDistributed",
        json!({"name": "td", "layer": {"class_name": "Dense", "config": {"name": "d", "units": 1}}}),
    );
    td.build(&[vec![None, Some(2), Some(2)]]).unwrap();
    let w: Vec<String> = td.weights().into_iter().map(|w| w.name).collect();
    assert_eq!(w, ["kernel", "bias"]);
    set_all(td.as_mut(), &[vec![1.0, 10.0], vec![0.5]]);
    let y = td
        .call(&[t(&[1, 2, 2], &[1.0, 2.0, 3.0, 4.0])], &[None])
        .unwrap();
    assert_eq!(y[0].shape(), &[1, 2, 1]);
    close(y[0].as_f32().unwrap(), &[21.5, 43.5]);
    assert_eq!(
        td.output_shapes(&[vec![None, Some(2), Some(2)]]).unwrap(),
        vec![vec![None, Some(2), Some(1)]]
    );
}

#[test]
fn preprocessing_layers_compute_keras_results() {
    let r = build(
        "Rescaling",
        json!({"name": "r", "scale": 0.5, "offset": -1}),
    );
    let y = r.call(&[t(&[1, 2], &[2.0, 4.0])], &[None]).unwrap();
    close(y[0].as_f32().unwrap(), &[0.0, 1.0]);

    let img: Vec<f32> = (0..16).map(|v| v as f32).collect();
    let x = t(&[1, 4, 4, 1], &img);
    let cc = build("CenterCrop", json!({"name": "c", "height": 2, "width": 2}));
    let y = cc.call(std::slice::from_ref(&x), &[None]).unwrap();
    close(y[0].as_f32().unwrap(), &[5.0, 6.0, 9.0, 10.0]);

    // Half-pixel bilinear 4 -> 2 averages pixel pairs.
    let rs = build("Resizing", json!({"name": "rs", "height": 2, "width": 2}));
    let y = rs.call(std::slice::from_ref(&x), &[None]).unwrap();
    close(y[0].as_f32().unwrap(), &[2.5, 4.5, 10.5, 12.5]);
    let rn = build(
        "Resizing",
        json!({"name": "rn", "height": 4, "width": 2, "interpolation": "nearest"}),
    );
    let y = rn
        .call(&[t(&[1, 2, 2, 1], &[1.0, 2.0, 3.0, 4.0])], &[None])
        .unwrap();
    close(
        y[0].as_f32().unwrap(),
        &[1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0],
    );
    // crop_to_aspect_ratio: 4x4 -> 1x2 takes the central 2x4 band.
    let ra = build(
        "Resizing",
        json!({"name": "ra", "height": 1, "width": 2, "crop_to_aspect_ratio": true}),
    );
    let y = ra.call(&[x], &[None]).unwrap();
    close(y[0].as_f32().unwrap(), &[6.5, 8.5]);

    let ids = Tensor::from_i32(vec![2, 2], vec![0, 2, 2, 2]).unwrap();
    for (mode, want) in [
        ("multi_hot", vec![1.0, 0.0, 1.0, 0.0, 0.0, 1.0]),
        ("count", vec![1.0, 0.0, 1.0, 0.0, 0.0, 2.0]),
    ] {
        let ce = build(
            "CategoryEncoding",
            json!({"name": "ce", "num_tokens": 3, "output_mode": mode}),
        );
        let y = ce.call(std::slice::from_ref(&ids), &[None]).unwrap();
        assert_eq!(y[0].shape(), &[2, 3]);
        close(y[0].as_f32().unwrap(), &want);
    }
    let ce = build(
        "CategoryEncoding",
        json!({"name": "ce", "num_tokens": 3, "output_mode": "one_hot"}),
    );
    let y = ce
        .call(&[Tensor::from_i32(vec![2], vec![1, 0]).unwrap()], &[None])
        .unwrap();
    close(y[0].as_f32().unwrap(), &[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
    let err = ce
        .call(&[Tensor::from_i32(vec![1], vec![3]).unwrap()], &[None])
        .unwrap_err()
        .to_string();
    assert!(err.contains("out of range"), "{err}");

    let rw = build("RandomWidth", json!({"name": "rw", "factor": 0.2}));
    let x = t(&[1, 1, 2, 1], &[3.0, 4.0]);
    assert_eq!(rw.call(std::slice::from_ref(&x), &[None]).unwrap()[0], x);
}

#[test]
fn multi_head_attention_uses_value_mask_and_keras_weight_shapes() {
    // 1 head, key_dim 1, identity-like projections, no bias.
    let mut mha = build(
        "MultiHeadAttention",
        json!({"name": "mha", "num_heads": 1, "key_dim": 1, "use_bias": false}),
    );
    mha.build(&[vec![None, Some(1), Some(1)], vec![None, Some(2), Some(1)]])
        .unwrap();
    let shapes: Vec<(String, Vec<usize>)> = mha
        .weights()
        .into_iter()
        .map(|w| (w.name, w.shape))
        .collect();
    assert_eq!(
        shapes,
        vec![
            ("query/kernel".to_string(), vec![1, 1, 1]),
            ("key/kernel".to_string(), vec![1, 1, 1]),
            ("value/kernel".to_string(), vec![1, 1, 1]),
            ("attention_output/kernel".to_string(), vec![1, 1, 1]),
        ]
    );
    set_all(mha.as_mut(), &[vec![1.0], vec![1.0], vec![1.0], vec![2.0]]);
    let q = t(&[1, 1, 1], &[1.0]);
    let v = t(&[1, 2, 1], &[0.0, 3.0]);
    // scores 0 and 3 (scale 1/sqrt(1)): softmax weights.
    let (a, b) = (1.0f64, 3.0f64.exp());
    let want = 2.0 * (3.0 * b) / (a + b);
    let y = mha.call(&[q.clone(), v.clone()], &[None, None]).unwrap();
    close(y[0].as_f32().unwrap(), &[want]);
    // Masking value step 1 leaves only step 0 (value 0).
    let y = mha
        .call(&[q, v], &[None, Some(t(&[1, 2], &[1.0, 0.0]))])
        .unwrap();
    close(y[0].as_f32().unwrap(), &[0.0]);
}

#[test]
fn dot_attention_matches_softmax_of_scores() {
    let a = build("Attention", json!({"name": "att"}));
    let q = t(&[1, 1, 2], &[1.0, 0.0]);
    let v = t(&[1, 2, 2], &[1.0, 0.0, 0.0, 1.0]);
    let y = a.call(&[q, v], &[None, None]).unwrap();
    let (e1, e0) = (1f64.exp(), 1.0);
    close(y[0].as_f32().unwrap(), &[e1 / (e1 + e0), e0 / (e1 + e0)]);
}

fn catalog() -> Vec<(String, Value)> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/tfjs-captures/layer_getconfig_catalog.json");
    let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    let items: Vec<Value> = match v {
        Value::Array(a) => a,
        Value::Object(o) => o.into_iter().map(|(k, v)| json!([k, v])).collect(),
        _ => panic!("unexpected catalog"),
    };
    items
        .into_iter()
        .map(|it| (it[0].as_str().unwrap().to_string(), it[1].clone()))
        .collect()
}

#[test]
fn configs_reproduce_tfjs_getconfig_catalog() {
    let mine = [
        "RNN",
        "SimpleRNNCell",
        "SimpleRNN",
        "GRUCell",
        "GRU",
        "LSTMCell",
        "LSTM",
        "StackedRNNCells",
        "ConvLSTM2DCell",
        "ConvLSTM2D",
        "Embedding",
        "TimeDistributed",
        "Bidirectional",
        "Rescaling",
        "CenterCrop",
        "CategoryEncoding",
        "Resizing",
        "RandomWidth",
    ];
    let cat = catalog();
    let mut seen = 0;
    for (class, entry) in &cat {
        if !mine.contains(&class.as_str()) {
            continue;
        }
        seen += 1;
        let cls = entry["className"].as_str().unwrap();
        let cfg = entry["config"].clone();
        let mut input = cfg.clone();
        if cls == "Embedding" {
            // The catalog instance got its batch_input_shape from
            // `input_length` (so TensorFlow.js wrote no dtype); feed the
            // constructor arguments, not the output.
            input.as_object_mut().unwrap().remove("batch_input_shape");
        }
        let layer = build(cls, input);
        let got = Value::Object(layer.config());
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&cfg).unwrap(),
            "{class}"
        );
    }
    assert_eq!(seen, mine.len());
}

#[test]
fn keras_configs_are_written_the_tfjs_way() {
    // A Keras 2 LSTM: Glorot initializers become VarianceScaling, module
    // keys are dropped, numbers are JS-formatted, batch_input_shape follows
    // trainable.
    let l = build(
        "LSTM",
        json!({"name": "lstm", "trainable": true, "dtype": "float32",
               "batch_input_shape": [null, 5, 3], "units": 4,
               "recurrent_activation": "sigmoid",
               "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                      "config": {"seed": null}, "registered_name": null},
               "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
               "unit_forget_bias": true, "dropout": 0.0, "implementation": 2, "time_major": false}),
    );
    let c = l.config();
    let keys: Vec<&str> = c.keys().map(String::as_str).collect();
    assert_eq!(
        &keys[..5],
        ["name", "trainable", "batch_input_shape", "dtype", "units"]
    );
    assert_eq!(
        serde_json::to_string(&c["kernel_initializer"]).unwrap(),
        r#"{"class_name":"VarianceScaling","config":{"scale":1,"mode":"fan_avg","distribution":"uniform","seed":null}}"#
    );
    assert_eq!(
        serde_json::to_string(&c["recurrent_initializer"]).unwrap(),
        r#"{"class_name":"Orthogonal","config":{"gain":1,"seed":null}}"#
    );
    assert_eq!(c["unit_forget_bias"], true);
    assert_eq!(c["implementation"], 2);
    assert!(!c.contains_key("time_major"));
    // The input shape fixes the kernel without a build call.
    assert_eq!(l.weights()[0].shape, vec![3, 16]);
}

/// Keras 3's `glu` activation (`a * sigmoid(b)` of the last axis' halves)
/// halves the last axis of each layer that takes an activation, output
/// shape included; an odd last axis and recurrent cells (whose state would
/// shrink, which Keras cannot run either) are errors naming the layer.
#[test]
fn glu_activation_halves_the_last_axis() {
    let glu = |v: &[f32]| -> Vec<f64> {
        let h = v.len() / 2;
        (0..h).map(|k| v[k] as f64 * sig(v[h + k] as f64)).collect()
    };
    // Dense(4): x · I-like kernel + bias, then glu over the 4 units.
    let mut d = build(
        "Dense",
        json!({"name": "d", "units": 4, "activation": "glu"}),
    );
    d.build(&[vec![None, Some(2)]]).unwrap();
    set_all(
        d.as_mut(),
        &[
            vec![1.0, 0.0, 2.0, -1.0, 0.0, 1.0, 0.5, 3.0],
            vec![0.1, 0.2, 0.3, 0.4],
        ],
    );
    assert_eq!(
        d.output_shapes(&[vec![None, Some(2)]]).unwrap(),
        vec![vec![None, Some(2)]]
    );
    let x = [0.5f32, -1.0];
    let pre: Vec<f32> = (0..4)
        .map(|j| {
            let k = [1.0, 0.0, 2.0, -1.0, 0.0, 1.0, 0.5, 3.0];
            x[0] * k[j] + x[1] * k[4 + j] + [0.1, 0.2, 0.3, 0.4][j]
        })
        .collect();
    let y = d.call(&[t(&[1, 2], &x)], &[None]).unwrap();
    assert_eq!(y[0].shape(), [1, 2]);
    close(&y[0].to_f32(), &glu(&pre));
    // The Activation layer; an unknown last axis stays unknown.
    let a = build("Activation", json!({"name": "a", "activation": "glu"}));
    assert_eq!(
        a.output_shapes(&[vec![None, Some(3), None]]).unwrap(),
        vec![vec![None, Some(3), None]]
    );
    let v = [1.0f32, -2.0, 0.5, 3.0, 0.0, -1.0, 2.0, 1.0];
    let y = a.call(&[t(&[2, 4], &v)], &[None]).unwrap();
    assert_eq!(y[0].shape(), [2, 2]);
    let want: Vec<f64> = v.chunks(4).flat_map(glu).collect();
    close(&y[0].to_f32(), &want);
    // Odd sizes: at build (Dense) and at run time (Activation).
    let odd = build(
        "Dense",
        json!({"name": "odd_units", "units": 3, "activation": "glu"}),
    );
    let e = odd
        .output_shapes(&[vec![None, Some(2)]])
        .unwrap_err()
        .to_string();
    assert!(e.contains("odd_units") && e.contains("glu"), "{e}");
    let e = a
        .call(&[t(&[1, 3], &[1.0, 2.0, 3.0])], &[None])
        .unwrap_err();
    assert!(e.to_string().contains("`a`"), "{e}");
    // A convolution halves its filters.
    let c = build(
        "Conv1D",
        json!({"name": "c", "filters": 6, "kernel_size": 2, "activation": "glu"}),
    );
    assert_eq!(
        c.output_shapes(&[vec![None, Some(5), Some(2)]]).unwrap(),
        vec![vec![None, Some(4), Some(3)]]
    );
    for key in ["activation", "recurrent_activation"] {
        let Err(e) = try_build("LSTM", json!({"name": "rnn_glu", "units": 2, key: "glu"})) else {
            panic!("LSTM with {key} glu built");
        };
        let e = e.to_string();
        assert!(e.contains("rnn_glu") && e.contains("glu"), "{e}");
    }
}

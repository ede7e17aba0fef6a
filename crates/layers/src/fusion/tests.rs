//! The fusion planner's chains and its epilogues against the layers they replace.

use super::{Plan, Step};
use crate::{LayerRegistry, Model};
use serde_json::json;

/// `fused` and `layers` (not all equal) bit for bit, at batch `batch`.
fn assert_same_bits(fused: &[f32], layers: &[f32], batch: usize) {
    assert!(layers.iter().any(|&v| v != layers[0]));
    for (i, (a, b)) in fused.iter().zip(layers).enumerate() {
        assert_eq!(
            a.to_bits(),
            b.to_bits(),
            "batch {batch} value {i}: fused {a}, layers {b}"
        );
    }
}

/// The length of each fused step's chain.
fn chain_lengths(plan: &Plan) -> Vec<usize> {
    plan.steps
        .iter()
        .filter_map(|s| match s {
            Step::Fused(f) => Some(f.chain.len()),
            _ => None,
        })
        .collect()
}

/// Runs `fused` and `unfused` on one input of `shape` whose element `i` is
/// `value(i)`; the first outputs' values (fused, unfused), of one shape.
fn fused_and_unfused(
    fused: &Model,
    unfused: &Model,
    shape: Vec<usize>,
    value: impl Fn(usize) -> f32,
) -> (Vec<f32>, Vec<f32>) {
    let n = shape.iter().product();
    let x = crate::Tensor::from_f32(shape, (0..n).map(value).collect()).unwrap();
    let want = unfused.predict(std::slice::from_ref(&x)).unwrap();
    let got = fused.predict(std::slice::from_ref(&x)).unwrap();
    assert_eq!(got[0].shape(), want[0].shape());
    (got[0].to_f32().into_owned(), want[0].to_f32().into_owned())
}

fn chains(layers: serde_json::Value) -> Vec<usize> {
    let topo = json!({"class_name": "Sequential", "config": {"name": "m", "layers": layers}});
    let model = Model::from_topology(&topo, &LayerRegistry::with_builtins(), 1).unwrap();
    chain_lengths(&Plan::build(&model))
}

/// The typed layers are found: Conv2D + BatchNormalization + ReLU(6)
/// and DepthwiseConv2D + BatchNormalization + Activation("relu") fuse
/// into one step each; a leaky ReLU joins as an epilogue; a
/// channels-first conv does not fuse.
#[test]
fn conv_batchnorm_relu_chains_fuse() {
    let conv = json!({"class_name": "Conv2D", "config": {"name": "c", "filters": 4,
        "kernel_size": 3, "padding": "same", "batch_input_shape": [null, 6, 6, 2]}});
    let bn = |n: &str| json!({"class_name": "BatchNormalization", "config": {"name": n}});
    let relu6 = json!({"class_name": "ReLU", "config": {"name": "r", "max_value": 6}});
    let dw = json!({"class_name": "DepthwiseConv2D", "config": {"name": "d", "kernel_size": 3}});
    let act = json!({"class_name": "Activation", "config": {"name": "a", "activation": "relu"}});
    assert_eq!(
        chains(json!([conv, bn("b1"), relu6, dw, bn("b2"), act])),
        vec![3, 3]
    );
    let leaky = json!({"class_name": "ReLU", "config": {"name": "r", "negative_slope": 0.1}});
    assert_eq!(chains(json!([conv, bn("b1"), leaky])), vec![3]);
    let cf = json!({"class_name": "Conv2D", "config": {"name": "c", "filters": 4,
        "kernel_size": 3, "data_format": "channels_first", "batch_input_shape": [null, 2, 6, 6]}});
    assert_eq!(chains(json!([cf])), Vec::<usize>::new());
}

/// ZeroPadding2D before a convolution becomes the convolution's own
/// zero border (a separable one's depthwise half's): the fused model
/// computes what the layers compute one by one, for asymmetric paddings,
/// strides, `valid` and `same`.
#[test]
fn zero_padding_folds_into_the_next_convolution() {
    let pad = |n: &str, p: serde_json::Value| json!({"class_name": "ZeroPadding2D", "config": {"name": n, "padding": p}});
    let layers = json!([
        {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 9, 7, 3]}},
        pad("p1", json!([[0, 1], [0, 1]])),
        {"class_name": "DepthwiseConv2D", "config": {"name": "d", "kernel_size": 3,
            "strides": 2, "padding": "valid", "depth_multiplier": 2}},
        {"class_name": "BatchNormalization", "config": {"name": "b"}},
        {"class_name": "ReLU", "config": {"name": "r", "max_value": 6}},
        pad("p2", json!([[1, 2], [2, 0]])),
        {"class_name": "Conv2D", "config": {"name": "c", "filters": 5, "kernel_size": 3,
            "padding": "same", "strides": 2}},
        pad("p3", json!([[2, 1], [0, 3]])),
        {"class_name": "Conv2D", "config": {"name": "c2", "filters": 4, "kernel_size": [2, 3],
            "padding": "valid"}},
        // NASNet's strided separable convolutions: the padding goes before
        // the depthwise half.
        pad("p4", json!([[1, 2], [2, 1]])),
        {"class_name": "SeparableConv2D", "config": {"name": "s", "filters": 3,
            "kernel_size": 3, "strides": 2, "padding": "valid", "depth_multiplier": 2}}
    ]);
    assert_eq!(chains(layers.clone()), vec![4, 2, 2, 2]);
    let topo = json!({"class_name": "Sequential", "config": {"name": "m", "layers": layers}});
    let build = || Model::from_topology(&topo, &LayerRegistry::with_builtins(), 3).unwrap();
    let (fused, unfused) = (build(), build());
    unfused.plan.set(Plan::unfused(&unfused)).unwrap();
    let (g, w) = fused_and_unfused(&fused, &unfused, vec![2, 9, 7, 3], |i| {
        ((i * 29 % 53) as f32) / 26.0 - 1.0
    });
    assert!(w.iter().any(|&v| v != 0.0));
    for (i, (a, b)) in g.iter().zip(w.iter()).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
            "value {i}: fused {a}, layers {b}"
        );
    }
}

/// The epilogue: Keras 2's hard-swish (`x + 3`, ReLU6, `x * (1/6)`,
/// `Multiply`), a swish `Activation`, Rescaling, a convolution's own tanh
/// and residual `Add`s (the layer and `TFOpLambda`'s `x + y`) run
/// inside the convolutions' steps and give exactly the numbers of the
/// layers run one by one after the fused convolutions.
#[test]
fn pointwise_gate_and_residual_epilogues_match_the_layers_bit_for_bit() {
    let node = |n: &str| json!([[n, 0, 0, {}]]);
    let tfop = |n: &str, f: &str, from: &str, y: f64| {
        json!({"class_name": "TFOpLambda",
        "name": n, "config": {"name": n, "function": f},
        "inbound_nodes": [[from, 0, 0, {"y": y, "name": null}]]})
    };
    let layer = |class: &str, n: &str, cfg: serde_json::Value, inbound: serde_json::Value| {
        let mut c = cfg;
        c["name"] = json!(n);
        json!({"class_name": class, "name": n, "config": c, "inbound_nodes": inbound})
    };
    let conv = |n: &str, from: &str, f: usize| {
        layer(
            "Conv2D",
            n,
            json!({"filters": f, "kernel_size": 3, "padding": "same"}),
            node(from),
        )
    };
    let layers = json!([
        {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
         "config": {"name": "in", "batch_input_shape": [null, 40, 36, 3]}},
        conv("c1", "in", 8),
        layer("BatchNormalization", "b1", json!({}), node("c1")),
        tfop("add3", "__operators__.add", "b1", 3.0),
        layer("ReLU", "r6", json!({"max_value": 6.0}), node("add3")),
        tfop("div6", "math.multiply", "r6", 1.0 / 6.0),
        layer("Multiply", "hswish", json!({}), json!([[["b1", 0, 0, {}], ["div6", 0, 0, {}]]])),
        conv("c2", "hswish", 8),
        layer("Activation", "swish", json!({"activation": "swish"}), node("c2")),
        layer("Rescaling", "scale", json!({"scale": 0.5, "offset": 0.25}), node("swish")),
        layer("Add", "residual", json!({}), json!([[["scale", 0, 0, {}], ["hswish", 0, 0, {}]]])),
        conv("c3", "residual", 4),
        layer("Activation", "sig", json!({"activation": "sigmoid"}), node("c3")),
        // A convolution's own activation that no kernel fuses (tanh) runs as
        // its epilogue; the BatchNormalization after it is not folded in.
        layer("Conv2D", "c4", json!({"filters": 4, "kernel_size": 1, "activation": "tanh"}),
            node("sig")),
        layer("BatchNormalization", "b4",
            json!({"beta_initializer": {"class_name": "Constant", "config": {"value": 0.5}}}),
            node("c4")),
        conv("c5", "b4", 4),
        // Keras 2's `x + y` of two tensors, a residual Add.
        json!({"class_name": "TFOpLambda", "name": "res2",
            "config": {"name": "res2", "function": "__operators__.add"},
            "inbound_nodes": [["c5", 0, 0, {"y": ["sig", 0, 0], "name": null}]]}),
    ]);
    let topo = json!({"class_name": "Functional", "config": {"name": "m", "layers": layers,
        "input_layers": [["in", 0, 0]], "output_layers": [["res2", 0, 0]]}});
    let build = || Model::from_topology(&topo, &LayerRegistry::with_builtins(), 5).unwrap();
    let (fused, unfused) = (build(), build());
    unfused.plan.set(Plan::build_with(&unfused, false)).unwrap();
    // c1+b1+add3+r6+div6+hswish, c2+swish+scale+residual, c3+sig, c4
    // (tanh), c5+res2.
    let plan = Plan::build(&fused);
    assert_eq!(chain_lengths(&plan), vec![6, 4, 2, 1, 2]);
    // The hard-swish gate and Rescaling's `x * s + o` run as kernel steps.
    let plan_text = format!("{plan:?}");
    assert!(
        plan_text.contains("GateOps([Add(3.0), Clamp(0.0, 6.0), Mul(0.16666667)])")
            && plan_text.contains("Map(Ops([Mul(0.5), Add(0.25)]))"),
        "{plan_text}"
    );
    // Batch 3 of 40x36: outputs over 4 parallel epilogue blocks, and a
    // partial last chunk.
    let (g, w) = fused_and_unfused(&fused, &unfused, vec![3, 40, 36, 3], |i| {
        ((i * 37 % 101) as f32) / 25.0 - 2.0
    });
    assert!(w.iter().any(|&v| v != w[0]));
    for (i, (a, b)) in g.iter().zip(w.iter()).enumerate() {
        assert_eq!(a.to_bits(), b.to_bits(), "value {i}: fused {a}, layers {b}");
    }
}

/// ZeroPadding2D before a `valid` MaxPooling2D becomes one step (the pool
/// over the unpadded input, border windows raised to 0): bit for bit what
/// the two layers compute, on inputs with negative values (where the
/// zeros of the padding win) and asymmetric paddings and strides; a pool
/// whose window is not wider than the padding keeps the layers.
#[test]
fn zero_padding_folds_into_the_next_max_pooling() {
    let pad = |n: &str, p: serde_json::Value| json!({"class_name": "ZeroPadding2D", "config": {"name": n, "padding": p}});
    let max = |n: &str, k: serde_json::Value, s: serde_json::Value| {
        json!({"class_name": "MaxPooling2D",
        "config": {"name": n, "pool_size": k, "strides": s, "padding": "valid"}})
    };
    let layers = json!([
        {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 9, 8, 3]}},
        pad("p1", json!([[1, 1], [1, 1]])),
        max("m1", json!([3, 3]), json!([2, 2])),
        pad("p2", json!([[0, 2], [1, 0]])),
        max("m2", json!([3, 2]), json!([1, 2])),
        pad("p3", json!([[2, 2], [0, 0]])),
        max("m3", json!([2, 2]), json!([1, 1]))
    ]);
    let topo = json!({"class_name": "Sequential", "config": {"name": "m", "layers": layers}});
    let build = || Model::from_topology(&topo, &LayerRegistry::with_builtins(), 3).unwrap();
    let (fused, unfused) = (build(), build());
    let plan = Plan::build(&fused);
    let folded = plan
        .steps
        .iter()
        .filter(|s| matches!(s, Step::PaddedPool(_)))
        .count();
    // p3's padding of 2 is as wide as m3's window: not folded.
    assert_eq!(folded, 2);
    unfused.plan.set(Plan::unfused(&unfused)).unwrap();
    // Channel 0 all negative: its border windows are the padding's zeros.
    let (g, w) = fused_and_unfused(&fused, &unfused, vec![2, 9, 8, 3], |i| {
        let v = ((i * 29 % 53) as f32) / 26.0;
        if i % 3 == 0 {
            -0.5 - v
        } else {
            v - 1.3
        }
    });
    assert!(w.contains(&0.0) && w.iter().any(|&v| v > 0.0));
    assert_eq!(g, w);
}

/// A BatchNormalization no convolution absorbs (DenseNet's pre-activation,
/// one after a concatenation, a last one on its own) runs as one step with
/// the activation after it, from a pooled buffer or in place: bit for bit
/// the layers' numbers, serial and split over threads.
#[test]
fn lone_batch_normalizations_run_as_one_step_with_their_activation() {
    let constant = |v: f64| json!({"class_name": "Constant", "config": {"value": v}});
    let bn = |n: &str, from: serde_json::Value| {
        json!({"class_name": "BatchNormalization", "name": n, "inbound_nodes": from,
            "config": {"name": n, "gamma_initializer": constant(1.7),
                "beta_initializer": constant(0.5), "moving_mean_initializer": constant(0.3),
                "moving_variance_initializer": constant(2.0)}})
    };
    let node = |n: &str| json!([[[n, 0, 0, {}]]]);
    let layers = json!([
        {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
         "config": {"name": "in", "batch_input_shape": [null, 5, 6, 7]}},
        bn("b0", node("in")),
        {"class_name": "Activation", "name": "a0", "inbound_nodes": node("b0"),
         "config": {"name": "a0", "activation": "relu"}},
        {"class_name": "Conv2D", "name": "c1", "inbound_nodes": node("a0"),
         "config": {"name": "c1", "filters": 4, "kernel_size": 1}},
        {"class_name": "Concatenate", "name": "cat", "config": {"name": "cat"},
         "inbound_nodes": [[["in", 0, 0, {}], ["c1", 0, 0, {}]]]},
        bn("b1", node("cat")),
        {"class_name": "ReLU", "name": "r1", "inbound_nodes": node("b1"),
         "config": {"name": "r1", "max_value": 6.0}},
        bn("b2", node("r1")),
    ]);
    let topo = json!({"class_name": "Functional", "config": {"name": "m", "layers": layers,
        "input_layers": [["in", 0, 0]], "output_layers": [["b2", 0, 0]]}});
    let build = || Model::from_topology(&topo, &LayerRegistry::with_builtins(), 5).unwrap();
    let (fused, unfused) = (build(), build());
    unfused.plan.set(Plan::build_with(&unfused, false)).unwrap();
    let affine: Vec<usize> = Plan::build(&fused)
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Affine(a) => Some(a.chain.len()),
            _ => None,
        })
        .collect();
    // b0+a0 (its input read again by the concatenation), b1+r1 (in
    // place), b2 alone.
    assert_eq!(affine, vec![2, 2, 1]);
    for batch in [2, 300] {
        let (g, w) = fused_and_unfused(&fused, &unfused, vec![batch, 5, 6, 7], |i| {
            ((i * 37 % 101) as f32) / 9.0 - 5.0
        });
        assert_same_bits(&g, &w, batch);
    }
}

/// Squeeze-and-excite products (`Multiply` of a tensor and a
/// `[batch, 1, 1, channels]` gate, in either order) run as one step, in
/// place at the tensor's last read or into a new buffer when it is read
/// again: bit for bit the layer's numbers, serial and split over threads.
#[test]
fn squeeze_excite_gates_run_as_one_step() {
    let node = |n: &str| json!([[[n, 0, 0, {}]]]);
    let layers = json!([
        {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
         "config": {"name": "in", "batch_input_shape": [null, 5, 6, 7]}},
        {"class_name": "Conv2D", "name": "c1", "inbound_nodes": node("in"),
         "config": {"name": "c1", "filters": 7, "kernel_size": 3, "padding": "same"}},
        {"class_name": "GlobalAveragePooling2D", "name": "g", "inbound_nodes": node("c1"),
         "config": {"name": "g", "keepdims": true}},
        {"class_name": "Conv2D", "name": "e", "inbound_nodes": node("g"),
         "config": {"name": "e", "filters": 7, "kernel_size": 1, "activation": "sigmoid"}},
        {"class_name": "Multiply", "name": "m1", "config": {"name": "m1"},
         "inbound_nodes": [[["c1", 0, 0, {}], ["e", 0, 0, {}]]]},
        {"class_name": "Multiply", "name": "m2", "config": {"name": "m2"},
         "inbound_nodes": [[["e", 0, 0, {}], ["in", 0, 0, {}]]]},
        {"class_name": "Add", "name": "a1", "config": {"name": "a1"},
         "inbound_nodes": [[["m2", 0, 0, {}], ["in", 0, 0, {}]]]},
        {"class_name": "Add", "name": "a2", "config": {"name": "a2"},
         "inbound_nodes": [[["m1", 0, 0, {}], ["a1", 0, 0, {}]]]},
    ]);
    let topo = json!({"class_name": "Functional", "config": {"name": "m", "layers": layers,
        "input_layers": [["in", 0, 0]], "output_layers": [["a2", 0, 0]]}});
    let build = || Model::from_topology(&topo, &LayerRegistry::with_builtins(), 5).unwrap();
    let (fused, unfused) = (build(), build());
    unfused.plan.set(Plan::build_with(&unfused, false)).unwrap();
    let gates = Plan::build(&fused)
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Gate(_)))
        .count();
    assert_eq!(gates, 2);
    for batch in [2, 400] {
        let (g, w) = fused_and_unfused(&fused, &unfused, vec![batch, 5, 6, 7], |i| {
            ((i * 37 % 101) as f32) / 9.0 - 5.0
        });
        assert_same_bits(&g, &w, batch);
    }
}

/// NASNet's repeats: a fresh `Activation("relu")` of the same tensor per
/// separable block, the same padded tensor max-pooled twice, the same
/// tensor average-pooled twice. The repeated calls are not run (one of
/// them is a model output), calls that differ in config or input are;
/// every output is bit for bit what the layers compute one by one.
#[test]
fn repeated_calls_run_once() {
    let node = |n: &str| json!([[n, 0, 0, {}]]);
    let layer = |class: &str, n: &str, cfg: serde_json::Value, inbound: serde_json::Value| {
        let mut c = cfg;
        c["name"] = json!(n);
        json!({"class_name": class, "name": n, "config": c, "inbound_nodes": inbound})
    };
    let relu =
        |n: &str, from: &str| layer("Activation", n, json!({"activation": "relu"}), node(from));
    let pool = |class: &str, n: &str, from: &str, s: usize, padding: &str| {
        layer(
            class,
            n,
            json!({"pool_size": [3, 3], "strides": [s, s], "padding": padding}),
            node(from),
        )
    };
    let add = |n: &str, a: &str, b: &str| {
        layer("Add", n, json!({}), json!([[[a, 0, 0, {}], [b, 0, 0, {}]]]))
    };
    let layers = json!([
        {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
         "config": {"name": "in", "batch_input_shape": [null, 10, 10, 4]}},
        layer("BatchNormalization", "bn", json!({}), node("in")),
        relu("r1", "bn"),
        relu("r2", "bn"),
        relu("r3", "bn"),
        // Same class and input, other config: its own call.
        layer("Activation", "t1", json!({"activation": "tanh"}), node("bn")),
        // Add(r1, r1) once r2 is merged.
        add("a1", "r1", "r2"),
        layer("ZeroPadding2D", "pad", json!({"padding": [[0, 1], [0, 1]]}), node("a1")),
        pool("MaxPooling2D", "m1", "pad", 2, "valid"),
        pool("MaxPooling2D", "m2", "pad", 2, "valid"),
        pool("AveragePooling2D", "v1", "pad", 2, "valid"),
        add("a2", "m1", "v1"),
        add("a3", "a2", "m2"),
        pool("AveragePooling2D", "q1", "t1", 1, "same"),
        pool("AveragePooling2D", "q2", "t1", 1, "same"),
        pool("AveragePooling2D", "q3", "r3", 1, "same"),
        add("a4", "q1", "q2"),
        add("a5", "a4", "q3"),
    ]);
    let topo = json!({"class_name": "Functional", "config": {"name": "m", "layers": layers,
        "input_layers": [["in", 0, 0]],
        "output_layers": [["a3", 0, 0], ["a5", 0, 0], ["r3", 0, 0], ["q2", 0, 0]]}});
    let build = || Model::from_topology(&topo, &LayerRegistry::with_builtins(), 7).unwrap();
    let (merged, unmerged) = (build(), build());
    // (No epilogues: the lone BatchNormalization runs as the layer in both.)
    let plan = Plan::build_with(&merged, false);
    let repeated: Vec<&str> = (0..merged.exec.len())
        .filter(|&p| plan.repeats.repeated[p])
        .map(|p| merged.layers[merged.exec[p].0].name())
        .collect();
    // (q3 pools r3, that is r1, which nothing else pools: run.)
    assert_eq!(repeated, ["r2", "r3", "m2", "q2"]);
    merged.plan.set(plan).unwrap();
    unmerged.plan.set(Plan::unfused(&unmerged)).unwrap();
    let x = crate::Tensor::from_f32(
        vec![2, 10, 10, 4],
        (0..800)
            .map(|i| ((i * 37 % 101) as f32) / 25.0 - 2.0)
            .collect(),
    )
    .unwrap();
    let want = unmerged.predict(std::slice::from_ref(&x)).unwrap();
    let got = merged.predict(std::slice::from_ref(&x)).unwrap();
    assert_eq!(got.len(), 4);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.shape(), w.shape());
        assert_same_bits(&g.to_f32(), &w.to_f32(), 2);
    }
    // A second predict (buffers reused, the plan kept) gives the same.
    let again = merged.predict(std::slice::from_ref(&x)).unwrap();
    for (a, w) in again.iter().zip(&want) {
        assert_same_bits(&a.to_f32(), &w.to_f32(), 2);
    }
}

/// A Rescaling read only by a convolution folds into its kernel (and, with
/// an offset, its bias when no tap reads padding); the fused model computes
/// what the layers compute one by one, up to rounding. With an offset
/// before a padded convolution (the padding is zeros after the map, not
/// `o`), or a Rescaling read twice, nothing folds.
#[test]
fn rescaling_folds_into_the_next_convolution() {
    let input = |hw: [usize; 2]| {
        json!({"class_name": "InputLayer", "config": {"name": "in",
        "batch_input_shape": [null, hw[0], hw[1], 3]}})
    };
    let rescale = |s: f64, o: f64| {
        json!({"class_name": "Rescaling", "config": {"name": "r",
        "scale": s, "offset": o}})
    };
    let conv = |n: &str, padding: &str, strides: usize| {
        json!({"class_name": "Conv2D",
        "config": {"name": n, "filters": 5, "kernel_size": 3, "padding": padding,
        "strides": strides, "bias_initializer": {"class_name": "RandomUniform",
        "config": {"minval": -1.0, "maxval": 1.0, "seed": 3}}}})
    };
    let dw = json!({"class_name": "DepthwiseConv2D", "config": {"name": "d", "kernel_size": 2,
        "depth_multiplier": 2, "padding": "valid"}});
    let bn = json!({"class_name": "BatchNormalization", "config": {"name": "b",
        "moving_mean_initializer": {"class_name": "Constant", "config": {"value": 0.5}}}});
    let relu = json!({"class_name": "ReLU", "config": {"name": "a"}});
    let cases = [
        // RegNet's stem: scale only, a strided "same" convolution.
        (
            json!([
                input([9, 8]),
                rescale(1.0 / 255.0, 0.0),
                conv("c", "same", 2),
                bn,
                relu
            ]),
            4,
        ),
        // MobileNet's preprocessing into an unpadded convolution.
        (
            json!([
                input([7, 7]),
                rescale(1.0 / 127.5, -1.0),
                conv("c", "valid", 1)
            ]),
            2,
        ),
        (json!([input([7, 6]), rescale(0.5, 0.25), dw.clone()]), 2),
        // An offset and a padded convolution: the convolution alone.
        (
            json!([input([6, 6]), rescale(0.5, 0.25), conv("c", "same", 1)]),
            1,
        ),
    ];
    for (layers, chain) in cases {
        assert_eq!(chains(layers.clone()), vec![chain], "{layers}");
        let topo = json!({"class_name": "Sequential", "config": {"name": "m", "layers": layers}});
        let build = || Model::from_topology(&topo, &LayerRegistry::with_builtins(), 3).unwrap();
        let (fused, unfused) = (build(), build());
        unfused.plan.set(Plan::unfused(&unfused)).unwrap();
        let shape = topo["config"]["layers"][0]["config"]["batch_input_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap_or(2) as usize)
            .collect();
        let (g, w) = fused_and_unfused(&fused, &unfused, shape, |i| (i * 37 % 256) as f32);
        assert!(w.iter().any(|&v| v != w[0]));
        for (i, (a, b)) in g.iter().zip(&w).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "value {i}: fused {a}, layers {b}"
            );
        }
    }
    // Read twice (by the convolution and the model's output): no fold.
    let x = json!({"class_name": "InputLayer", "config": {"name": "x",
        "batch_input_shape": [null, 5, 5, 3]}, "name": "x", "inbound_nodes": []});
    let r = json!({"class_name": "Rescaling", "config": {"name": "r", "scale": 0.5, "offset": 0.0},
        "name": "r", "inbound_nodes": [[["x", 0, 0, {}]]]});
    let c = json!({"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3},
        "name": "c", "inbound_nodes": [[["r", 0, 0, {}]]]});
    let topo = json!({"class_name": "Model", "config": {"name": "m", "layers": [x, r, c],
        "input_layers": [["x", 0, 0]], "output_layers": [["c", 0, 0], ["r", 0, 0]]}});
    let model = Model::from_topology(&topo, &LayerRegistry::with_builtins(), 1).unwrap();
    assert_eq!(chain_lengths(&Plan::build(&model)), vec![1]);
}

//! Hostile inputs (issue 15): sizes from configs never abort the process,
//! weight-less artifacts do not silently run on random weights, duplicate
//! and control-character names are reported as such, and
//! `tfjs_layers::validate` lists every problem loading would refuse.

mod common;

use common::build_error;
use serde_json::{json, Value};
use tfjs_format::codec::{encode_weights, DecodedWeight, TensorValues};
use tfjs_format::{ModelArtifacts, WeightData};
use tfjs_layers::{LayerRegistry, LayersError, LoadOptions, Model, ProblemKind, Tensor};

fn seq(layers: Vec<Value>) -> Value {
    json!({"class_name": "Sequential", "config": {"name": "m", "layers": layers}})
}

fn layer(class: &str, config: Value) -> Value {
    json!({"class_name": class, "config": config})
}

fn model(topology: &Value) -> Model {
    Model::from_topology(topology, &LayerRegistry::with_builtins(), 3).unwrap()
}

fn ramp(shape: Vec<usize>) -> Tensor {
    let n: usize = shape.iter().product();
    let data = (0..n).map(|i| ((i * 37) % 101) as f32 - 50.0).collect();
    Tensor::from_f32(shape, data).unwrap()
}

/// A "same" pooling with a window far larger than the input pools the
/// whole input: it must equal the global pooling, not abort on a window-
/// sized allocation.
#[test]
fn huge_same_pool_windows_pool_the_whole_input() {
    let x = ramp(vec![2, 5, 7, 3]);
    for (class, global, pool) in [
        (
            "MaxPooling2D",
            "GlobalMaxPooling2D",
            json!([1_000_000_000u64, 1_000_000_000u64]),
        ),
        (
            "AveragePooling2D",
            "GlobalAveragePooling2D",
            json!([1_000_000_000u64, 1_000_000_000u64]),
        ),
    ] {
        let m = model(&seq(vec![layer(
            class,
            json!({"name": "p", "pool_size": pool, "padding": "same", "batch_input_shape": [null, 5, 7, 3]}),
        )]));
        let got = m.predict(std::slice::from_ref(&x)).unwrap().remove(0);
        assert_eq!(got.shape(), [2, 1, 1, 3], "{class}");
        let g = model(&seq(vec![layer(
            global,
            json!({"name": "g", "batch_input_shape": [null, 5, 7, 3]}),
        )]));
        let want = g.predict(std::slice::from_ref(&x)).unwrap().remove(0);
        let (got, want) = (got.to_f32(), want.to_f32());
        for (a, b) in got.iter().zip(want.iter()) {
            assert!((a - b).abs() < 1e-4, "{class}: {got:?} vs {want:?}");
        }
    }
    // 1-D, with a stride smaller than the window: every window is clipped.
    let x1 = ramp(vec![1, 6, 2]);
    let m = model(&seq(vec![layer(
        "MaxPooling1D",
        json!({"name": "p", "pool_size": 4_000_000_000u64, "strides": 2, "padding": "same", "batch_input_shape": [null, 6, 2]}),
    )]));
    let got = m.predict(std::slice::from_ref(&x1)).unwrap().remove(0);
    assert_eq!(got.shape(), [1, 3, 2]);
    let d = x1.to_f32();
    let max_c = |c: usize| (0..6).map(|t| d[t * 2 + c]).fold(f32::MIN, f32::max);
    for o in 0..3 {
        assert_eq!(got.to_f32()[o * 2], max_c(0));
        assert_eq!(got.to_f32()[o * 2 + 1], max_c(1));
    }
}

/// Clipping a window only drops taps that fall outside the input: a
/// moderately oversized "same" window gives the values of the plain
/// computation (checked against a hand computation).
#[test]
fn oversized_same_window_matches_hand_computation() {
    // 1 x 5 x 1, window 8, stride 1, "same": pad_total = 7, pad_before = 3;
    // output o covers input [o - 3, o + 5) ∩ [0, 5).
    let x = Tensor::from_f32(vec![1, 5, 1], vec![3.0, -1.0, 7.0, 2.0, 5.0]).unwrap();
    let m = model(&seq(vec![layer(
        "AveragePooling1D",
        json!({"name": "p", "pool_size": 8, "strides": 1, "padding": "same", "batch_input_shape": [null, 5, 1]}),
    )]));
    let got = m.predict(&[x]).unwrap().remove(0);
    let v = [3.0f32, -1.0, 7.0, 2.0, 5.0];
    let want: Vec<f32> = (0..5i32)
        .map(|o| {
            let lo = (o - 3).max(0) as usize;
            let hi = ((o + 5) as usize).min(5);
            v[lo..hi].iter().sum::<f32>() / (hi - lo) as f32
        })
        .collect();
    assert_eq!(got.to_f32().as_ref(), want.as_slice());
}

#[test]
fn huge_repeat_vector_is_refused_naming_the_layer() {
    // Features known only from the input: 40e6 * 48 floats = 7.7 GB, over
    // a 1 GiB budget, refused before allocating.
    let topo = seq(vec![layer(
        "RepeatVector",
        json!({"name": "rep", "n": 40_000_000, "batch_input_shape": [null, null]}),
    )]);
    let mut m = model(&topo);
    m.set_memory_limit(Some(1 << 30));
    let e = m.predict(&[ramp(vec![1, 48])]).unwrap_err().to_string();
    assert!(e.contains("`rep`") && e.contains("40000000"), "{e}");
    // Known from the config: refused when the model is built.
    for (n, features) in [(40_000_000u64, 48), (1u64 << 40, 4)] {
        let topo = seq(vec![layer(
            "RepeatVector",
            json!({"name": "rep2", "n": n, "batch_input_shape": [null, features]}),
        )]);
        let e = build_error(&topo, 3);
        assert!(e.contains("`rep2`") && e.contains(&n.to_string()), "{e}");
    }
}

#[test]
fn huge_zero_padding_is_blamed_on_the_padding_layer() {
    let topo = seq(vec![
        layer(
            "ZeroPadding2D",
            json!({"name": "zp", "padding": [[1, 1], [1, u64::MAX / 2]], "batch_input_shape": [null, 3, 3, 1]}),
        ),
        layer("Flatten", json!({"name": "next"})),
    ]);
    let e = Model::from_topology(&topo, &LayerRegistry::with_builtins(), 0)
        .and_then(|m| m.predict(&[ramp(vec![1, 3, 3, 1])]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`zp`") && e.contains("padding"), "{e}");
    assert!(!e.contains("`next`"), "{e}");
}

/// A first `Dense(units)` named `name`, on 3 input features.
fn input_dense(name: &str, units: i64) -> Value {
    layer(
        "Dense",
        json!({"name": name, "units": units, "batch_input_shape": [null, 3]}),
    )
}

/// A Sequential `Dense(2)` named `first` then `Dense(1)` named `second`.
fn two_dense(first: &str, second: &str) -> Value {
    seq(vec![
        input_dense(first, 2),
        layer("Dense", json!({"name": second, "units": 1})),
    ])
}

#[test]
fn weightless_artifacts_fail_listing_every_weight_unless_non_strict() {
    let a = ModelArtifacts {
        model_topology: Some(two_dense("d1", "d2")),
        format: Some("layers-model".into()),
        ..Default::default()
    };
    let e = Model::from_artifacts(&a, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    for w in ["d1/kernel", "d1/bias", "d2/kernel", "d2/bias"] {
        assert!(e.contains(w), "{w} not in {e}");
    }
    assert!(e.contains("weightsManifest"), "{e}");
    let lenient = LoadOptions {
        strict: false,
        ..Default::default()
    };
    let m = Model::from_artifacts(&a, &lenient).unwrap();
    assert_eq!(m.predict(&[ramp(vec![1, 3])]).unwrap()[0].shape(), [1, 1]);
}

#[test]
fn duplicate_names_are_reported_as_duplicates() {
    let topo = two_dense("dense_2", "dense_2");
    let e = build_error(&topo, 0);
    assert!(e.contains("\"dense_2\" is used 2 times"), "{e}");
}

#[test]
fn control_characters_in_names_are_escaped_once() {
    let topo = seq(vec![input_dense("evil\u{1b}[31m\nname", 0)]);
    let e = build_error(&topo, 0);
    assert!(!e.contains('\u{1b}') && !e.contains('\n'), "{e:?}");
    assert!(e.contains("evil\\u{1b}[31m\\nname"), "{e}");
}

#[test]
fn validate_lists_every_problem_at_once() {
    let topo = seq(vec![
        input_dense("a", 0),
        layer(
            "Conv2D",
            json!({"name": "b", "filters": 2, "kernel_size": 3, "strides": 0}),
        ),
        layer("NoSuchLayer", json!({"name": "c"})),
        layer("AlsoUnknown", json!({"name": "d"})),
    ]);
    let a = ModelArtifacts {
        model_topology: Some(topo),
        ..Default::default()
    };
    let problems = tfjs_layers::validate(&a);
    let kinds: Vec<ProblemKind> = problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::UnknownClass,
            ProblemKind::UnknownClass,
            ProblemKind::Config,
            ProblemKind::Config
        ],
        "{problems:#?}"
    );
    assert_eq!(problems[2].layer.as_deref(), Some("a"));
    assert_eq!(problems[3].layer.as_deref(), Some("b"));
    assert!(problems[3].message.contains("strides"), "{}", problems[3]);

    // A valid topology with a mis-shaped and a missing weight: the one
    // weights problem lists both.
    let w = |name: &str, shape: Vec<usize>| DecodedWeight {
        name: name.into(),
        values: TensorValues::Float32(vec![0.0; shape.iter().product()]),
        shape,
        group: None,
    };
    let (specs, bytes) = encode_weights(&[
        w("d1/kernel", vec![3, 2]),
        w("d1/bias", vec![5]),
        w("d2/kernel", vec![2, 1]),
    ])
    .unwrap();
    let a = ModelArtifacts {
        model_topology: Some(two_dense("d1", "d2")),
        weight_specs: specs,
        weight_data: WeightData::from_vec(bytes),
        ..Default::default()
    };
    let problems = tfjs_layers::validate(&a);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].kind, ProblemKind::Weights);
    assert!(
        problems[0].message.contains("d1/bias") && problems[0].message.contains("d2/bias"),
        "{}",
        problems[0]
    );
    // And a loadable model has no problems.
    let (specs, bytes) = encode_weights(&[
        w("d1/kernel", vec![3, 2]),
        w("d1/bias", vec![2]),
        w("d2/kernel", vec![2, 1]),
        w("d2/bias", vec![1]),
    ])
    .unwrap();
    let ok = ModelArtifacts {
        weight_specs: specs,
        weight_data: WeightData::from_vec(bytes),
        ..a
    };
    assert!(tfjs_layers::validate(&ok).is_empty());
    let _ = LayersError::config("x", "y");
}

/// Every `tf.*` function the engine lacks is named at once, with its layer,
/// like unknown classes.
#[test]
fn unsupported_tf_functions_are_listed_all_at_once() {
    let op = |name: &str, function: &str, input: &str| {
        json!({"class_name": "TFOpLambda", "name": name,
               "config": {"name": name, "trainable": true, "dtype": "float32", "function": function},
               "inbound_nodes": [[input, 0, 0, {"name": null}]]})
    };
    let topo = json!({"class_name": "Functional", "config": {"name": "f", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_input_shape": [null, 4, 4, 3], "dtype": "float32", "name": "x"}},
        op("tf.math.bessel_k0", "math.bessel_k0", "x"),
        op("tf.nn.relu6", "nn.relu6", "tf.math.bessel_k0"),
        op("tf.image.rot90x", "image.rot90x", "tf.nn.relu6"),
    ], "input_layers": [["x", 0, 0]], "output_layers": [["tf.image.rot90x", 0, 0]]}});
    let e = build_error(&topo, 1);
    assert!(
        e.contains("TFOpLambda tf.math.bessel_k0 (layer `tf.math.bessel_k0`)")
            && e.contains("TFOpLambda tf.image.rot90x (layer `tf.image.rot90x`)")
            && !e.contains("relu6"),
        "{e}"
    );
}

/// `x + 3.0` and `tf.nn.relu6` as Keras 2 writes them (flat inbound node,
/// the scalar in the kwargs) compute MobileNetV3's hard-swish pieces.
#[test]
fn tf_op_lambda_arithmetic_with_scalars_and_tensors() {
    let topo = json!({"class_name": "Functional", "config": {"name": "f", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_input_shape": [null, 3], "dtype": "float32", "name": "x"}},
        {"class_name": "TFOpLambda", "name": "tf.__operators__.add",
         "config": {"name": "tf.__operators__.add", "trainable": true, "dtype": "float32", "function": "__operators__.add"},
         "inbound_nodes": [["x", 0, 0, {"y": 3.0, "name": null}]]},
        {"class_name": "TFOpLambda", "name": "tf.nn.relu6",
         "config": {"name": "tf.nn.relu6", "trainable": true, "dtype": "float32", "function": "nn.relu6"},
         "inbound_nodes": [["tf.__operators__.add", 0, 0, {}]]},
        {"class_name": "TFOpLambda", "name": "tf.math.multiply",
         "config": {"name": "tf.math.multiply", "trainable": true, "dtype": "float32", "function": "math.multiply"},
         "inbound_nodes": [["x", 0, 0, {"y": ["tf.nn.relu6", 0, 0], "name": null}]]},
    ], "input_layers": [["x", 0, 0]], "output_layers": [["tf.math.multiply", 0, 0]]}});
    let m = Model::from_topology(&topo, &LayerRegistry::with_builtins(), 1).unwrap();
    let x = Tensor::from_f32(vec![1, 3], vec![-4.0, 1.0, 5.0]).unwrap();
    let y = m.predict(&[x]).unwrap();
    // x * relu6(x + 3): -4*0, 1*4, 5*6.
    assert_eq!(y[0].to_f32().as_ref(), &[0.0, 4.0, 30.0]);
}

/// A model `x -> tf.<function>(x, **kwargs)` as Keras 2 saves it (one
/// optional int32 input `ids` for tensor kwargs).
fn tf_op_model(function: &str, kwargs: Value) -> Value {
    let name = format!("tf.{function}");
    json!({"class_name": "Functional", "config": {"name": "f", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_input_shape": [null, 4, 3], "dtype": "float32", "name": "x"}},
        {"class_name": "InputLayer", "name": "ids", "inbound_nodes": [],
         "config": {"batch_input_shape": [null, 4], "dtype": "int32", "name": "ids"}},
        {"class_name": "TFOpLambda", "name": name,
         "config": {"name": name, "trainable": true, "dtype": "float32", "function": function},
         "inbound_nodes": [["x", 0, 0, kwargs]]},
    ], "input_layers": [["x", 0, 0], ["ids", 0, 0]], "output_layers": [[name, 0, 0]]}})
}

/// A model `x -> ops.<class>(x, *more_args)` as Keras 3 saves it.
fn keras3_op_model(class: &str, config: Value, more_args: Vec<Value>) -> Value {
    let mut args = vec![json!({"class_name": "__keras_tensor__",
        "config": {"shape": [null, 4, 3], "dtype": "float32", "keras_history": ["x", 0, 0]}})];
    args.extend(more_args);
    json!({"class_name": "Functional", "config": {"name": "f", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_shape": [null, 4, 3], "dtype": "float32", "name": "x"}},
        {"module": "keras.src.ops.numpy", "class_name": class, "name": "the_op",
         "config": config, "inbound_nodes": [{"args": args, "kwargs": {}}]},
    ], "input_layers": [["x", 0, 0]], "output_layers": [["the_op", 0, 0]]}})
}

/// Sizes of segment reductions come from the file, bounded: a huge or
/// tensor `num_segments`, an id past it, unsorted "sorted" ids, a quantile
/// outside [0, 1] and Keras's refused `sorted` + `num_segments` are errors
/// naming the layer; ids from a tensor are checked when the model runs.
#[test]
fn segment_and_quantile_arguments_are_checked_naming_the_layer() {
    let segments = "math.unsorted_segment_sum";
    for (kwargs, needle) in [
        (
            json!({"segment_ids": [0, 1, 1, 0], "num_segments": 1_000_000_000_000u64}),
            "num_segments",
        ),
        (
            json!({"segment_ids": [0, 1, 1, 0], "num_segments": ["ids", 0, 0]}),
            "constant",
        ),
        (
            json!({"segment_ids": [0, 3, 1, 0], "num_segments": 3}),
            "out of range",
        ),
        (json!({"segment_ids": [0, 1, 1, 0]}), "num_segments"),
    ] {
        let e = build_error(&tf_op_model(segments, kwargs), 1);
        assert!(
            e.contains("tf.math.unsorted_segment_sum") && e.contains(needle),
            "{e}"
        );
    }
    let e = build_error(
        &tf_op_model("math.segment_max", json!({"segment_ids": [1, 0, 2, 2]})),
        1,
    );
    assert!(
        e.contains("tf.math.segment_max") && e.contains("not sorted"),
        "{e}"
    );
    // Tensor ids over [batch, steps]: an id past num_segments fails the
    // call, naming the layer; negative ids drop their rows.
    let kwargs = json!({"segment_ids": ["ids", 0, 0], "num_segments": 2});
    let m = Model::from_topology(
        &tf_op_model(segments, kwargs),
        &LayerRegistry::with_builtins(),
        1,
    )
    .unwrap();
    let x = ramp(vec![1, 4, 3]);
    let ids = |v: Vec<i32>| Tensor::from_i32(vec![1, 4], v).unwrap();
    let y = m.predict(&[x.clone(), ids(vec![1, -1, 1, 0])]).unwrap();
    let xs = x.to_f32();
    let want: Vec<f32> = (0..3)
        .map(|j| xs[9 + j])
        .chain((0..3).map(|j| xs[j] + xs[6 + j]))
        .collect();
    assert_eq!(y[0].shape(), [2, 3]);
    assert_eq!(y[0].to_f32().as_ref(), want.as_slice());
    let e = m
        .predict(&[x, ids(vec![0, 2, 1, 0])])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tf.math.unsorted_segment_sum") && e.contains("out of range"),
        "{e}"
    );
    // Keras 3 nodes.
    for (class, config, args, needle) in [
        (
            "Quantile",
            json!({"name": "the_op", "axis": 1}),
            vec![json!(1.5)],
            "outside [0, 1]",
        ),
        (
            "SegmentSum",
            json!({"name": "the_op", "num_segments": 3, "sorted": true}),
            vec![json!([0, 0, 1, 2])],
            "sorted",
        ),
        (
            "Quantile",
            json!({"name": "the_op", "method": "cubic"}),
            vec![json!(0.5)],
            "method",
        ),
        (
            "Diagonal",
            json!({"name": "the_op", "axis1": 1, "axis2": -2}),
            vec![],
            "same axis",
        ),
    ] {
        let e = build_error(&keras3_op_model(class, config, args), 1);
        assert!(e.contains("the_op") && e.contains(needle), "{class}: {e}");
    }
}

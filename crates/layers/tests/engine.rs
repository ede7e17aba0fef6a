//! Engine behaviour: topology errors, weight matching errors, predict input
//! checks, custom classes, the builder, Keras 3 name modes.

mod common;

use common::build_error;
use serde_json::{json, Map, Value};
use tfjs_format::codec::{encode_weights, DecodedWeight, TensorValues};
use tfjs_format::{ModelArtifacts, ModelJson, WeightData};
use tfjs_layers::builder::{Graph, Sequential};
use tfjs_layers::config::ConfigReader;
use tfjs_layers::{
    Layer, LayerRegistry, LayerWeight, LayersError, LoadOptions, Model, Shape, Tensor,
};

fn dense(name: &str, units: usize, extra: Value) -> Value {
    let mut c = json!({"name": name, "units": units, "activation": "linear", "use_bias": true});
    if let (Value::Object(c), Value::Object(e)) = (&mut c, extra) {
        c.extend(e);
    }
    json!({"class_name": "Dense", "config": c})
}

fn seq_topology() -> Value {
    json!({"class_name": "Sequential", "config": {"name": "seq", "layers": [
        dense("d1", 1, json!({"batch_input_shape": [null, 2]}))]}})
}

fn w(name: &str, shape: Vec<usize>, v: Vec<f32>) -> DecodedWeight {
    DecodedWeight {
        name: name.into(),
        shape,
        values: TensorValues::Float32(v),
        group: None,
    }
}

/// The one-unit Dense's kernel `[[1], [2]]` under `name`.
fn kernel(name: &str) -> DecodedWeight {
    w(name, vec![2, 1], vec![1.0, 2.0])
}

/// The one-unit Dense's bias `[3]` under `name`.
fn bias(name: &str) -> DecodedWeight {
    w(name, vec![1], vec![3.0])
}

/// [`seq_topology`] with `weights`.
fn seq_artifacts(weights: &[DecodedWeight]) -> ModelArtifacts {
    artifacts(seq_topology(), weights)
}

fn artifacts(topology: Value, weights: &[DecodedWeight]) -> ModelArtifacts {
    let (specs, bytes) = encode_weights(weights).unwrap();
    ModelArtifacts {
        model_topology: Some(topology),
        weight_specs: specs,
        weight_data: WeightData::from_vec(bytes),
        format: Some("layers-model".into()),
        ..Default::default()
    }
}

fn load(a: &ModelArtifacts) -> Result<Model, LayersError> {
    Model::from_artifacts(a, &LoadOptions::default())
}

fn functional(layers: Vec<Value>, inputs: Value, outputs: Value) -> Value {
    json!({"class_name": "Model", "config": {"name": "m", "layers": layers,
        "input_layers": inputs, "output_layers": outputs}})
}

/// A [`functional`] model of `layers` on one input `x` of 2 features,
/// with `output`'s first output as its output.
fn on_x(layers: Vec<Value>, output: &str) -> Value {
    let mut all = vec![input("x", 2)];
    all.extend(layers);
    functional(all, json!([["x", 0, 0]]), json!([[output, 0, 0]]))
}

fn input(name: &str, dim: usize) -> Value {
    json!({"name": name, "class_name": "InputLayer", "inbound_nodes": [],
        "config": {"batch_input_shape": [null, dim], "dtype": "float32", "sparse": false, "name": name}})
}

fn node(layer: Value, refs: Value) -> Value {
    let mut l = layer;
    l["name"] = l["config"]["name"].clone();
    l["inbound_nodes"] = refs;
    l
}

#[test]
fn basic_load_matches_tfjs_capture() {
    // load_cases.txt BASIC: d1/kernel = [1, 2], d1/bias = [3].
    let a = seq_artifacts(&[kernel("d1/kernel"), bias("d1/bias")]);
    let m = load(&a).unwrap();
    assert_eq!(m.input_names(), vec!["d1_input"]);
    let y = m
        .predict(&[Tensor::from_f32(vec![2, 2], vec![1.0, 1.0, 0.5, -1.0]).unwrap()])
        .unwrap();
    assert_eq!(y[0].as_f32().unwrap(), &[6.0, 1.5]);
}

#[test]
fn unknown_classes_are_all_listed_in_one_error() {
    let topo = on_x(
        vec![
            node(
                json!({"class_name": "Lambda", "config": {"name": "lam"}}),
                json!([[["x", 0, 0, {}]]]),
            ),
            node(
                json!({"class_name": "MyCustom", "config": {"name": "cus"}}),
                json!([[["lam", 0, 0, {}]]]),
            ),
            node(
                json!({"class_name": "Lambda", "config": {"name": "lam2"}}),
                json!([[["cus", 0, 0, {}]]]),
            ),
        ],
        "lam2",
    );
    let e = build_error(&topo, 0);
    for needle in [
        "Lambda",
        "MyCustom",
        "`lam`",
        "`lam2`",
        "`cus`",
        "LayerRegistry::register",
    ] {
        assert!(e.contains(needle), "missing {needle} in: {e}");
    }
}

#[test]
fn cycle_is_an_error_naming_the_layers() {
    let topo = on_x(
        vec![
            node(dense("a", 2, json!({})), json!([[["b", 0, 0, {}]]])),
            node(dense("b", 2, json!({})), json!([[["a", 0, 0, {}]]])),
        ],
        "b",
    );
    let e = build_error(&topo, 0);
    assert!(
        e.contains("cycle") && e.contains("`a`") && e.contains("`b`"),
        "{e}"
    );
}

#[test]
fn missing_layer_reference_is_an_error_not_a_hang() {
    let topo = on_x(
        vec![node(
            dense("a", 2, json!({})),
            json!([[["ghost", 0, 0, {}]]]),
        )],
        "a",
    );
    let e = build_error(&topo, 0);
    assert!(e.contains("`a`") && e.contains("`ghost`"), "{e}");
    // A node index past the layer's calls.
    let topo = on_x(
        vec![node(dense("a", 2, json!({})), json!([[["x", 3, 0, {}]]]))],
        "a",
    );
    let e = build_error(&topo, 0);
    assert!(e.contains("node 3") && e.contains("`x`"), "{e}");
}

#[test]
fn disconnected_graph_is_reported() {
    let topo = on_x(
        vec![
            input("y", 2),
            node(
                json!({"class_name": "Add", "config": {"name": "add"}}),
                json!([[["x", 0, 0, {}], ["y", 0, 0, {}]]]),
            ),
        ],
        "add",
    );
    let e = build_error(&topo, 0);
    assert!(e.contains("Graph disconnected") && e.contains("`y`"), "{e}");
}

#[test]
fn missing_weight_strict() {
    let a = seq_artifacts(&[kernel("d1/kernel")]);
    let e = load(&a).unwrap_err().to_string();
    assert!(e.contains("1 of 2 weights are not set: d1/bias"), "{e}");
}

#[test]
fn extra_weight_strict() {
    let a = seq_artifacts(&[
        kernel("d1/kernel"),
        bias("d1/bias"),
        w("zzz", vec![1], vec![0.0]),
    ]);
    let e = load(&a).unwrap_err().to_string();
    assert!(
        e.contains("Provided weight data has no target variable: zzz"),
        "{e}"
    );
}

#[test]
fn wrong_shape_is_an_error_in_both_modes() {
    let a = seq_artifacts(&[w("d1/kernel", vec![1, 2], vec![1.0, 2.0]), bias("d1/bias")]);
    let e = load(&a).unwrap_err().to_string();
    assert!(
        e.contains("Shape mismatch: [2, 1] vs. [1, 2]") && e.contains("d1/kernel"),
        "{e}"
    );
    let opts = LoadOptions {
        strict: false,
        ..Default::default()
    };
    assert!(Model::from_artifacts(&a, &opts).is_err());
}

#[test]
fn every_weight_problem_is_listed_together() {
    let topo = json!({"class_name": "Sequential", "config": {"name": "seq", "layers": [
        dense("d1", 2, json!({"batch_input_shape": [null, 2]})), dense("d2", 1, json!({}))]}});
    let a = artifacts(
        topo,
        &[
            w("d1/kernel", vec![3, 2], vec![0.0; 6]),
            w("d1/bias", vec![2], vec![0.0; 2]),
            w("extra_a", vec![1], vec![0.0]),
            w("extra_b", vec![1], vec![0.0]),
        ],
    );
    let e = load(&a).unwrap_err().to_string();
    for needle in [
        "2 of 4 weights are not set: d2/kernel,d2/bias",
        "extra_a",
        "extra_b",
        "d1/kernel",
    ] {
        assert!(e.contains(needle), "missing {needle} in: {e}");
    }
}

#[test]
fn non_strict_keeps_initial_values_and_ignores_extras() {
    let a = seq_artifacts(&[kernel("d1/kernel"), w("zzz", vec![1], vec![0.0])]);
    let opts = LoadOptions {
        strict: false,
        ..Default::default()
    };
    let m = Model::from_artifacts(&a, &opts).unwrap();
    assert_eq!(
        m.weight("d1/kernel").unwrap().as_f32().unwrap(),
        &[1.0, 2.0]
    );
    // bias_initializer defaults to zeros.
    assert_eq!(m.weight("d1/bias").unwrap().as_f32().unwrap(), &[0.0]);
}

#[test]
fn cell_name_and_keras3_index_names_match() {
    // CELLNAME: d1/cell/kernel → d1/kernel; V3_VARS: d1/vars/0 → d1/0; V3_NUMERIC: d1/0.
    for names in [
        ["d1/cell/kernel", "d1/cell/bias"],
        ["d1/vars/0", "d1/vars/1"],
        ["d1/0", "d1/1"],
    ] {
        let a = seq_artifacts(&[kernel(names[0]), bias(names[1])]);
        let m = load(&a).unwrap_or_else(|e| panic!("{names:?}: {e}"));
        assert_eq!(
            m.weight("d1/bias").unwrap().as_f32().unwrap(),
            &[3.0],
            "{names:?}"
        );
    }
    // Keras 3 `.keras` paths: layers/<class>/vars/<i>.
    let a = seq_artifacts(&[kernel("layers/dense/vars/0"), bias("layers/dense/vars/1")]);
    let m = load(&a).unwrap();
    assert_eq!(
        m.weight("d1/kernel").unwrap().as_f32().unwrap(),
        &[1.0, 2.0]
    );
}

#[test]
fn wrong_input_count_rank_shape_dtype_name_the_input() {
    let a = seq_artifacts(&[kernel("d1/kernel"), bias("d1/bias")]);
    let m = load(&a).unwrap();
    let e = m.predict(&[]).unwrap_err().to_string();
    assert!(
        e.contains("expects 1 input") && e.contains("d1_input"),
        "{e}"
    );
    let e = m
        .predict(&[Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`d1_input`") && e.contains("rank 2"), "{e}");
    let e = m
        .predict(&[Tensor::from_f32(vec![1, 3], vec![1.0, 2.0, 3.0]).unwrap()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`d1_input`") && e.contains("[null,2]"), "{e}");
    // int32 data into a float32 input is converted.
    let y = m
        .predict(&[Tensor::from_i32(vec![1, 2], vec![1, 1]).unwrap()])
        .unwrap();
    assert_eq!(y[0].as_f32().unwrap(), &[6.0]);
}

/// Keras 3's `hard_sigmoid` is `clip(x/6 + 0.5, 0, 1)`, TF.js's and
/// Keras 2's `clip(0.2x + 0.5, 0, 1)`, under the same name: the model.json's
/// `keras_version` decides, and a save keeps it so a reload agrees.
#[test]
fn hard_sigmoid_follows_keras_version_through_save_and_load() {
    let topology = |version: &str| {
        let mut t = on_x(
            vec![
                json!({"name": "d", "class_name": "Dense", "inbound_nodes": [[["x", 0, 0, {}]]],
                       "config": {"name": "d", "units": 2, "activation": "hard_sigmoid"}}),
            ],
            "d",
        );
        t["keras_version"] = json!(version);
        t
    };
    let weights = [
        w("d/kernel", vec![2, 2], vec![1.0, 0.0, 0.0, 1.0]),
        w("d/bias", vec![2], vec![0.0, 0.0]),
    ];
    let x = Tensor::from_f32(vec![1, 2], vec![1.5, -1.2]).unwrap();
    // keras.activations.hard_sigmoid([1.5, -1.2]): Keras 3.15 [0.75, 0.3],
    // tf_keras 2.21 (and TF.js) [0.8, 0.26].
    for (version, want, saved) in [
        ("3.15.1", [0.75, 0.3], "3.15.1"),
        ("2.21.0", [0.8, 0.26], "tfjs-layers 4.22.0"),
        ("tfjs-layers 4.22.0", [0.8, 0.26], "tfjs-layers 4.22.0"),
    ] {
        let m = load(&artifacts(topology(version), &weights)).unwrap();
        let saved_artifacts = m.to_artifacts().unwrap();
        assert_eq!(
            saved_artifacts.model_topology.as_ref().unwrap()["keras_version"],
            saved,
            "{version}"
        );
        let back = load(&saved_artifacts).unwrap();
        for model in [&m, &back] {
            let y = model.predict(std::slice::from_ref(&x)).unwrap();
            let y = y[0].as_f32().unwrap();
            assert!(
                (y[0] - want[0]).abs() < 1e-6 && (y[1] - want[1]).abs() < 1e-6,
                "{version}: {y:?}"
            );
        }
    }
}

#[test]
fn keras3_functional_config_loads_and_saves_as_tfjs_topology() {
    let dtype = json!({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null});
    let kt = |l: &str| json!({"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "dtype": "float32", "keras_history": [l, 0, 0]}});
    let topo = json!({"keras_version": "3.15.1", "model_config": {"class_name": "Functional", "config": {
        "name": "k3", "trainable": true, "layers": [
            {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
             "config": {"batch_shape": [null, 2], "dtype": "float32", "sparse": false, "ragged": false, "name": "x", "optional": false}},
            {"module": "keras.layers", "class_name": "Dense", "name": "d", "registered_name": null,
             "build_config": {"input_shape": [null, 2]},
             "config": {"name": "d", "trainable": true, "dtype": dtype, "units": 2, "activation": "linear", "use_bias": true},
             "inbound_nodes": [{"args": [kt("x")], "kwargs": {}}]},
            {"module": "keras.layers", "class_name": "Add", "name": "add",
             "config": {"name": "add", "trainable": true, "dtype": dtype},
             "inbound_nodes": [{"args": [[kt("d"), kt("x")]], "kwargs": {}}]}],
        "input_layers": ["x", 0, 0], "output_layers": ["add", 0, 0]}}});
    let a = artifacts(
        topo,
        &[
            w("d/kernel", vec![2, 2], vec![1.0, 0.0, 0.0, 1.0]),
            w("d/bias", vec![2], vec![1.0, 2.0]),
        ],
    );
    let m = load(&a).unwrap();
    let y = m
        .predict(&[Tensor::from_f32(vec![1, 2], vec![1.0, 2.0]).unwrap()])
        .unwrap();
    assert_eq!(y[0].as_f32().unwrap(), &[3.0, 6.0]);
    let t = m.topology();
    assert_eq!(t["backend"], "tensor_flow.js");
    assert_eq!(t["keras_version"], "tfjs-layers 4.22.0");
    let layers = t["config"]["layers"].as_array().unwrap();
    assert_eq!(layers[0]["config"]["batch_input_shape"], json!([null, 2]));
    assert!(layers[0]["config"].get("batch_shape").is_none());
    // TF.js writes no dtype for non-input layers; a DTypePolicy object must not survive.
    assert!(layers[1]["config"]
        .get("dtype")
        .map(Value::is_string)
        .unwrap_or(true));
    assert_eq!(
        layers[2]["inbound_nodes"],
        json!([[["d", 0, 0, {}], ["x", 0, 0, {}]]])
    );
    assert_eq!(t["config"]["input_layers"], json!([["x", 0, 0]]));
    let text = t.to_string();
    for bad in [
        "module",
        "registered_name",
        "build_config",
        "__keras_tensor__",
        "DTypePolicy",
    ] {
        assert!(!text.contains(bad), "{bad} left in {text}");
    }
    let saved = m.to_artifacts().unwrap();
    let names: Vec<&str> = saved.weight_specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["d/kernel", "d/bias"]);
}

/// A user layer: `y = x * scale` with one weight `scale` of shape [last dim].
#[derive(Debug)]
struct Scale {
    name: String,
    scale: Tensor,
}

impl Layer for Scale {
    fn class_name(&self) -> &str {
        "Scale"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("trainable".into(), json!(true));
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> tfjs_layers::Result<()> {
        let d = input_shapes[0].last().copied().flatten().unwrap_or(1);
        self.scale = Tensor::zeros(vec![d]);
        Ok(())
    }
    fn weights(&self) -> Vec<LayerWeight> {
        vec![LayerWeight {
            name: "scale".into(),
            shape: self.scale.shape().to_vec(),
            trainable: true,
        }]
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        vec![&self.scale]
    }
    fn set_weight(&mut self, _index: usize, value: Tensor) -> tfjs_layers::Result<()> {
        self.scale = value;
        Ok(())
    }
    fn output_shapes(&self, inputs: &[Shape]) -> tfjs_layers::Result<Vec<Shape>> {
        Ok(vec![inputs[0].clone()])
    }
    fn call(
        &self,
        inputs: &[Tensor],
        _masks: &[Option<Tensor>],
    ) -> tfjs_layers::Result<Vec<Tensor>> {
        let x = inputs[0].to_f32();
        let s = self.scale.as_f32().unwrap();
        let d = s.len();
        let y: Vec<f32> = x.iter().enumerate().map(|(i, v)| v * s[i % d]).collect();
        Ok(vec![Tensor::from_f32(inputs[0].shape().to_vec(), y)?])
    }
}

fn registry_with_scale() -> LayerRegistry {
    let mut r = LayerRegistry::with_builtins();
    r.register("Scale", |cfg: &ConfigReader<'_>, _ctx| {
        Ok(Box::new(Scale {
            name: cfg.name().to_string(),
            scale: Tensor::zeros(vec![0]),
        }) as Box<dyn Layer>)
    });
    r
}

#[test]
fn custom_registered_class_loads_predicts_saves_and_reloads() {
    let topo = json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Scale", "config": {"name": "sc", "batch_input_shape": [null, 3]}}]}});
    let a = artifacts(topo.clone(), &[w("sc/scale", vec![3], vec![1.0, 2.0, 3.0])]);
    // Without registration: an unknown-class error.
    assert!(load(&a).unwrap_err().to_string().contains("Scale"));
    let opts = LoadOptions {
        registry: registry_with_scale(),
        ..Default::default()
    };
    let m = Model::from_artifacts(&a, &opts).unwrap();
    let x = Tensor::from_f32(vec![1, 3], vec![1.0, 1.0, 2.0]).unwrap();
    assert_eq!(
        m.predict(std::slice::from_ref(&x)).unwrap()[0]
            .as_f32()
            .unwrap(),
        &[1.0, 2.0, 6.0]
    );
    let saved = m.to_artifacts().unwrap();
    let first = &saved.model_topology.as_ref().unwrap()["config"]["layers"][0];
    assert_eq!(first["class_name"], "Scale");
    assert_eq!(first["config"]["batch_input_shape"], json!([null, 3]));
    let m2 = Model::from_artifacts(&saved, &opts).unwrap();
    assert_eq!(
        m2.predict(&[x]).unwrap()[0].as_f32().unwrap(),
        &[1.0, 2.0, 6.0]
    );
}

#[test]
fn shared_layer_and_nested_model_round_trip() {
    let fx = common::fixtures_root().join("tfjs/nested");
    let m = common::load_fixture(&fx).unwrap();
    let t = m.topology();
    // The nested Sequential is applied twice: node indices 1 and 2 (digest 6.2).
    let concat = t["config"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "concat")
        .unwrap();
    assert_eq!(
        concat["inbound_nodes"],
        json!([[["inner_seq", 1, 0, {}], ["inner_seq", 2, 0, {}]]])
    );
    let original: Value =
        serde_json::from_slice(&std::fs::read(fx.join("model.json")).unwrap()).unwrap();
    assert_eq!(
        t, original["modelTopology"],
        "re-saved topology differs from TF.js's"
    );
}

#[test]
fn tfjs_saved_topologies_are_reproduced_exactly() {
    // For TF.js-saved fixtures our topology and weight order equal TF.js's.
    for name in [
        "mlp",
        "cnn",
        "functional_multi_io",
        "mobilenet_block",
        "rnn",
        "conv1d",
        "misc",
        "nested",
        "trained",
        "metadata",
    ] {
        let fx = common::fixtures_root().join("tfjs").join(name);
        let m = common::load_fixture(&fx).unwrap();
        let original: Value =
            serde_json::from_slice(&std::fs::read(fx.join("model.json")).unwrap()).unwrap();
        let a = m.to_artifacts().unwrap();
        let ours: Vec<&str> = a.weight_specs.iter().map(|s| s.name.as_str()).collect();
        let theirs: Vec<String> = ModelJson::from_value(original.clone(), "model.json")
            .unwrap()
            .weight_specs()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(ours, theirs, "{name}: weight order");
        assert_eq!(
            a.model_topology.as_ref().unwrap(),
            &original["modelTopology"],
            "{name}: topology"
        );
        if name == "trained" {
            assert_eq!(a.training_config.as_ref(), original.get("trainingConfig"));
            assert_eq!(
                a.weight_specs
                    .iter()
                    .filter(|s| s.group.as_deref() == Some("optimizer"))
                    .count(),
                9
            );
        }
    }
}

#[test]
fn builder_sequential_and_functional() {
    let r = LayerRegistry::with_builtins();
    let m = Sequential::new()
        .input_shape(&[4])
        .add(
            r.create("Dense", json!({"units": 3, "activation": "relu"}))
                .unwrap(),
        )
        .add(
            r.create("Dense", json!({"units": 2, "activation": "softmax"}))
                .unwrap(),
        )
        .build(7)
        .unwrap();
    assert!(m.name().starts_with("sequential_"));
    let names: Vec<String> = m.layers().iter().map(|l| l.name().to_string()).collect();
    assert!(
        names[1].starts_with("dense_Dense") && names[0] == format!("{}_input", names[1]),
        "{names:?}"
    );
    let x = Tensor::from_f32(vec![5, 4], (0..20).map(|i| i as f32 / 10.0).collect()).unwrap();
    let y = m.predict(std::slice::from_ref(&x)).unwrap();
    assert_eq!(y[0].shape(), &[5, 2]);
    for row in y[0].as_f32().unwrap().chunks(2) {
        assert!((row[0] + row[1] - 1.0).abs() < 1e-5);
    }
    // Same seed, same weights; the saved model reloads with the same outputs.
    let a = m.to_artifacts().unwrap();
    let m2 = Model::from_artifacts(&a, &LoadOptions::default()).unwrap();
    assert_eq!(m2.predict(&[x]).unwrap(), y);
    assert_eq!(
        a.model_topology.as_ref().unwrap()["config"]["layers"][0]["config"]["batch_input_shape"],
        json!([null, 4])
    );

    // Functional: a shared layer and two inputs.
    let mut g = Graph::new();
    let a_in = g.input(&[Some(3)], "float32", Some("a")).unwrap();
    let b_in = g.input(&[Some(3)], "float32", Some("b")).unwrap();
    let shared = g
        .add_layer(
            r.create("Dense", json!({"units": 3, "name": "shared"}))
                .unwrap(),
        )
        .unwrap();
    let ha = g.call(shared, &[a_in]).unwrap()[0];
    let hb = g.call(shared, &[b_in]).unwrap()[0];
    let sum = g
        .apply(r.create("Add", json!({"name": "sum"})).unwrap(), &[ha, hb])
        .unwrap();
    let fm = g.build(&[a_in, b_in], &[sum], Some("fm"), 1).unwrap();
    let xa = Tensor::from_f32(vec![1, 3], vec![1.0, 2.0, 3.0]).unwrap();
    let y = fm.predict(&[xa.clone(), xa.clone()]).unwrap();
    let single = fm
        .predict(&[xa.clone(), Tensor::zeros(vec![1, 3])])
        .unwrap();
    let bias = fm.weight("shared/bias").unwrap().as_f32().unwrap().to_vec();
    // shared(x) + shared(x) = 2 * shared(x); shared(0) = bias.
    let (yv, sv) = (y[0].as_f32().unwrap(), single[0].as_f32().unwrap());
    for ((yy, ss), b) in yv.iter().zip(sv).zip(&bias) {
        assert!((yy - 2.0 * (ss - b)).abs() < 1e-5);
    }
    let t = fm.topology();
    assert_eq!(t["class_name"], "Model");
    let shared_entry = &t["config"]["layers"][2];
    assert_eq!(
        shared_entry["inbound_nodes"],
        json!([[["a", 0, 0, {}]], [["b", 0, 0, {}]]])
    );
    assert_eq!(fm.to_artifacts().unwrap().weight_specs.len(), 2);
}

/// Every class TensorFlow.js 4.22 registers, plus the Keras-only classes
/// converted models use, has a built-in implementation.
#[test]
fn every_tfjs_class_and_the_keras_extras_are_registered() {
    let path =
        common::fixtures_root().join("../reference/tfjs-captures/layer_getconfig_catalog.json");
    let catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let registry = tfjs_layers::LayerRegistry::with_builtins();
    let tfjs: Vec<&String> = catalog.as_object().unwrap().keys().collect();
    assert_eq!(
        tfjs.len(),
        66,
        "the catalog lists TensorFlow.js 4.22's 66 classes"
    );
    let keras_extras = [
        "Subtract",
        "Conv1DTranspose",
        "Cropping1D",
        "UpSampling1D",
        "ZeroPadding1D",
        "GroupNormalization",
        "UnitNormalization",
        "Identity",
        "MultiHeadAttention",
        "SeparableConv2D",
        "GRU",
    ];
    let missing: Vec<&str> = tfjs
        .iter()
        .map(|s| s.as_str())
        .chain(keras_extras)
        .filter(|c| !registry.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "classes without an implementation: {missing:?}"
    );
}

/// Sizes in configs are untrusted: neither a weight nor a layer output is
/// allocated from an absurd number; both are errors naming the layer.
#[test]
fn absurd_config_sizes_are_errors_not_allocations() {
    let huge_dense = json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": 1_000_000_000_000u64, "batch_input_shape": [null, 1_000_000]}}
    ]}});
    let err = build_error(&huge_dense, 1);
    assert!(
        err.contains("layer `d`") && err.contains("weight `kernel`") && err.contains("too large"),
        "{err}"
    );

    // Known at build time: refused when the model is built.
    let huge_repeat = json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "RepeatVector", "config": {"name": "r", "n": 100_000_000_000u64, "batch_input_shape": [null, 8]}}
    ]}});
    let err = build_error(&huge_repeat, 1);
    assert!(
        err.contains("layer `r`")
            && err.contains("per sample")
            && err.contains("[null,100000000000,8]"),
        "{err}"
    );
    // Known only from the input: refused before the output is allocated.
    let free_features = json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "RepeatVector", "config": {"name": "r", "n": 100_000_000u64, "batch_input_shape": [null, null]}}
    ]}});
    let model = Model::from_topology(&free_features, &LayerRegistry::with_builtins(), 1).unwrap();
    let x = Tensor::from_f32(vec![2, 100], vec![0.5; 200]).unwrap();
    let err = model.predict(&[x]).unwrap_err().to_string();
    assert!(
        err.contains("layer `r`") && err.contains("refusing to allocate"),
        "{err}"
    );
}

/// Layers that keep their weights packed for the kernels (Dense,
/// MultiHeadAttention) follow new weights: a model that predicted, then got
/// every weight halved, predicts what a model loaded with the halved weights
/// predicts (the corpus transformer has both layer kinds).
#[test]
fn packed_weights_follow_reloaded_weights() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/corpus/keras/transformer_encoder");
    let artifacts = tfjs_io::file::load_path(&dir.join("model.json")).unwrap();
    let io = tfjs_layers::io_json::IoJson::parse(
        &std::fs::read(dir.join("io.json")).unwrap(),
        "io.json",
    )
    .unwrap();
    let mut model = Model::from_artifacts(&artifacts, &LoadOptions::default()).unwrap();
    let inputs = io.inputs_for(&model.input_names()).unwrap();
    let before = model.predict(&inputs).unwrap();
    let halved: Vec<DecodedWeight> =
        tfjs_format::codec::decode_weights(&artifacts.weight_specs, &artifacts.weight_data)
            .unwrap()
            .into_iter()
            .map(|mut w| {
                if let TensorValues::Float32(v) = &mut w.values {
                    v.iter_mut().for_each(|x| *x *= 0.5);
                }
                w
            })
            .collect();
    model.load_weights(&halved, true).unwrap();
    let after = model.predict(&inputs).unwrap();
    let (specs, data) = encode_weights(&halved).unwrap();
    let fresh = Model::from_artifacts(
        &ModelArtifacts {
            weight_specs: specs,
            weight_data: WeightData::from_vec(data),
            ..artifacts.clone()
        },
        &LoadOptions::default(),
    )
    .unwrap();
    let want = fresh.predict(&inputs).unwrap();
    assert_eq!(after[0].to_f32(), want[0].to_f32());
    assert_ne!(before[0].to_f32(), after[0].to_f32());
}

/// Keras 2's run-time sizes: `b = tf.shape(x)[0]`, `tf.ones([b, 3])`
/// (a list mixing a tensor and a constant, written element by element),
/// `tf.reshape(x, [b, 2, 1])` and `x[:, :b // 4]`.
fn run_time_sizes_model() -> Value {
    let tf = |class: &str, name: &str, function: &str, refs: Value| {
        node(
            json!({"class_name": class, "config": {"name": name, "function": function, "trainable": true, "dtype": "float32"}}),
            refs,
        )
    };
    let layers = vec![
        tf(
            "TFOpLambda",
            "shape",
            "compat.v1.shape",
            json!([["x", 0, 0, {"out_type": "int32"}]]),
        ),
        tf(
            "SlicingOpLambda",
            "b",
            "__operators__.getitem",
            json!([["shape", 0, 0, {"slice_spec": 0}]]),
        ),
        tf(
            "TFOpLambda",
            "ones",
            "ones",
            json!([[["b", 0, 0, {}], ["_CONSTANT_VALUE", -1, 3, {}]]]),
        ),
        tf(
            "TFOpLambda",
            "reshape",
            "reshape",
            json!([["x", 0, 0, {"shape": [["b", 0, 0], 2, 1]}]]),
        ),
        tf(
            "TFOpLambda",
            "quarter",
            "compat.v1.floor_div",
            json!([["b", 0, 0, {"y": 4}]]),
        ),
        tf(
            "SlicingOpLambda",
            "head",
            "__operators__.getitem",
            json!([["x", 0, 0, {"slice_spec": [
            {"start": null, "stop": null, "step": null},
            {"start": null, "stop": ["quarter", 0, 0], "step": null}]}]]),
        ),
    ];
    let mut all = vec![input("x", 2)];
    all.extend(layers);
    functional(
        all,
        json!([["x", 0, 0]]),
        json!([
            ["ones", 0, 0],
            ["reshape", 0, 0],
            ["head", 0, 0],
            ["shape", 0, 0]
        ]),
    )
}

#[test]
fn sizes_computed_at_run_time_follow_the_batch() {
    let m =
        Model::from_topology(&run_time_sizes_model(), &LayerRegistry::with_builtins(), 0).unwrap();
    // Built with the batch unknown: those sizes are unknown too.
    assert_eq!(m.output_shapes()[0], vec![None, Some(3)]);
    assert_eq!(m.output_shapes()[1], vec![None, Some(2), Some(1)]);
    assert_eq!(m.output_shapes()[2], vec![None, None]);
    let x = Tensor::from_f32(vec![4, 2], (0..8).map(|v| v as f32).collect()).unwrap();
    let y = m.predict(&[x]).unwrap();
    assert_eq!(y[0].shape(), &[4, 3]);
    assert_eq!(y[0].as_f32().unwrap(), &[1.0; 12]);
    assert_eq!(y[1].shape(), &[4, 2, 1]);
    assert_eq!(y[1].to_f32().as_ref(), &[0., 1., 2., 3., 4., 5., 6., 7.]);
    // 4 // 4 = 1 column.
    assert_eq!(y[2].shape(), &[4, 1]);
    assert_eq!(y[2].to_f32().as_ref(), &[0., 2., 4., 6.]);
    assert_eq!(y[3].to_f32().as_ref(), &[4., 2.]);
    // Batch 8: two columns.
    let x = Tensor::from_f32(vec![8, 2], vec![1.0; 16]).unwrap();
    assert_eq!(m.predict(&[x]).unwrap()[2].shape(), &[8, 2]);
}

#[test]
fn a_list_mixing_tensors_and_constants_is_refused_where_it_is_not_computed() {
    let topo = on_x(
        vec![node(
            json!({"class_name": "TFOpLambda", "config": {"name": "cat", "function": "concat", "trainable": true, "dtype": "float32"}}),
            json!([[["x", 0, 0, {"axis": 0}], ["_CONSTANT_VALUE", -1, 1.0, {"axis": 0}]]]),
        )],
        "cat",
    );
    let e = build_error(&topo, 0);
    assert!(
        e.contains("cat") && e.contains("mixing tensors and constants"),
        "{e}"
    );
}

#[test]
fn a_time_major_layer_inside_bidirectional_is_refused_by_name() {
    let lstm = json!({"class_name": "LSTM", "config": {"name": "l", "units": 2, "time_major": true, "return_sequences": true}});
    let topo = json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Bidirectional", "config": {"name": "bi", "layer": lstm, "merge_mode": "concat",
            "batch_input_shape": [null, 4, 3]}}]}});
    let e = build_error(&topo, 0);
    assert!(
        e.contains("time_major") && e.contains("Bidirectional"),
        "{e}"
    );
}

//! `config()` of every TensorFlow.js 4.22 class in the core / conv / pooling /
//! normalization / merge / activation / noise families must write exactly
//! what TF.js's `getConfig()` + snake-casing writes (keys, order, defaults),
//! per the captured catalog `tfjs-captures/layer_getconfig_catalog.json`.

use std::path::Path;
use tfjs_format::json::JsonStyle;
use tfjs_layers::config::ConfigReader;
use tfjs_layers::{BuildContext, LayerRegistry};

const MINE: &[&str] = &[
    "Dense",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "SeparableConv2D",
    "DepthwiseConv2D",
    "Cropping2D",
    "UpSampling2D",
    "Dropout",
    "SpatialDropout1D",
    "Flatten",
    "Activation",
    "RepeatVector",
    "Reshape",
    "Permute",
    "Masking",
    "Add",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "Dot",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "BatchNormalization",
    "LayerNormalization",
    "ZeroPadding2D",
    "MaxPooling1D",
    "AveragePooling1D",
    "MaxPooling2D",
    "AveragePooling2D",
    "MaxPooling3D",
    "AveragePooling3D",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "ThresholdedReLU",
    "Softmax",
];

#[test]
fn config_round_trips_the_tfjs_catalog() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/tfjs-captures/layer_getconfig_catalog.json");
    let bytes = std::fs::read(&path).unwrap();
    let catalog = tfjs_format::json::parse_value(&bytes, "catalog").unwrap();
    let registry = LayerRegistry::with_builtins();
    let ctx = BuildContext::new(&registry);
    for class in MINE {
        let entry = &catalog[*class];
        assert_eq!(entry["className"], *class, "catalog has {class}");
        let config = entry["config"].as_object().unwrap();
        let name = config["name"].as_str().unwrap();
        let layer = registry
            .build(class, &ConfigReader::new(name, config), &ctx)
            .unwrap_or_else(|e| panic!("{class}: {e}"));
        assert_eq!(layer.class_name(), *class);
        assert_eq!(layer.name(), name);
        let ours = JsonStyle::Node.to_string(&serde_json::Value::Object(layer.config()));
        let theirs = JsonStyle::Node.to_string(&entry["config"]);
        assert_eq!(ours, theirs, "{class}");
    }
}

/// The config a built-in `class` writes after reading `config` (named by
/// its `name`).
fn written(class: &str, config: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    let registry = LayerRegistry::with_builtins();
    let config = config.as_object().unwrap();
    let name = config["name"].as_str().unwrap();
    registry
        .build(
            class,
            &ConfigReader::new(name, config),
            &BuildContext::new(&registry),
        )
        .unwrap_or_else(|e| panic!("{class}: {e}"))
        .config()
}

/// [`written`] as TensorFlow.js's Node writer writes it.
fn written_json(class: &str, config: serde_json::Value) -> String {
    JsonStyle::Node.to_string(&serde_json::Value::Object(written(class, config)))
}

#[test]
fn keras_configs_are_written_in_tfjs_form() {
    // Keras 2 spellings: float max_value, GlorotUniform initializer objects,
    // list axis, module/registered_name keys, int kernel_size.
    let cfg = serde_json::json!({
        "name": "conv", "trainable": true, "dtype": "float32", "filters": 2,
        "kernel_size": 3, "strides": [1, 1], "padding": "same", "data_format": "channels_last",
        "dilation_rate": 1, "groups": 1, "activation": "relu", "use_bias": true,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null},
        "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null
    });
    assert_eq!(
        written_json("Conv2D", cfg),
        r#"{"filters":2,"kernel_initializer":{"class_name":"VarianceScaling","config":{"scale":1,"mode":"fan_avg","distribution":"uniform","seed":null}},"kernel_regularizer":{"class_name":"L1L2","config":{"l1":0,"l2":0.01}},"kernel_constraint":null,"kernel_size":[3,3],"strides":[1,1],"padding":"same","data_format":"channels_last","dilation_rate":[1,1],"activation":"relu","use_bias":true,"bias_initializer":{"class_name":"Zeros","config":{}},"bias_regularizer":null,"activity_regularizer":null,"bias_constraint":null,"name":"conv","trainable":true}"#
    );
    let relu = serde_json::json!({"name": "r", "trainable": true, "dtype": "float32", "max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0});
    assert_eq!(
        written_json("ReLU", relu),
        r#"{"max_value":6,"name":"r","trainable":true}"#
    );
    // Keras 3 LeakyReLU: negative_slope becomes TF.js's alpha (TF.js itself
    // would ignore it and use 0.3).
    let leaky = serde_json::json!({"name": "l", "trainable": true, "negative_slope": 0.1});
    assert_eq!(
        written_json("LeakyReLU", leaky),
        r#"{"alpha":0.1,"name":"l","trainable":true}"#
    );
    // SeparableConv2D with depth_multiplier 2: we write it (TF.js does not,
    // and then cannot reload its own file).
    let sep =
        serde_json::json!({"name": "s", "filters": 3, "kernel_size": 1, "depth_multiplier": 2});
    let c = written("SeparableConv2D", sep);
    assert_eq!(
        c.keys().next_back().map(String::as_str),
        Some("depth_multiplier")
    );
    assert_eq!(c["depth_multiplier"], 2);
}

//! Model topologies: bad layer graphs (cycles, dangling or duplicate names,
//! wrong inbound nodes, nesting).

use crate::*;

pub(crate) fn topology_cases() -> Vec<Case> {
    let mut v = vec![];
    for (what, units) in [
        ("negative", json!(-5)),
        ("zero", json!(0)),
        ("fractional", json!(2.5)),
        ("a string", json!("2")),
        ("null", json!(null)),
        ("2^62", json!(1u64 << 62)),
        ("1e12", json!(1e12)),
    ] {
        v.push(
            mlp_case(&format!("topology: Dense units {what}"), |m| {
                m["modelTopology"]["config"]["layers"][1]["config"]["units"] = units
            })
            .verify(FOUND, &["d2"])
            .predict(ERROR, &["d2", "units|kernel"]),
        );
    }
    v.push(
        mlp_case("topology: duplicate layer names", |m| {
            m["modelTopology"]["config"]["layers"][1]["config"]["name"] = json!("d1")
        })
        .refused(&["\"d1\"", DUPLICATE]),
    );
    v.push(
        mlp_case("topology: control characters in a layer name", |m| {
            let t = m.to_string().replace("d2", "d\\u001b[2Jx\\u0007");
            *m = serde_json::from_str(&t).unwrap();
            m["modelTopology"]["config"]["layers"][1]["config"]["units"] = json!(-1);
        })
        .refused(&["[2Jx"]),
    );
    v.push(
        mlp_case("topology: batch_input_shape negative", |m| {
            m["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"] =
                json!([null, -4])
        })
        .refused(&["batch_input_shape"]),
    );
    v.push(
        mlp_case("topology: batch_input_shape is a string", |m| {
            m["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"] =
                json!("[null, 4]")
        })
        .refused(&["batch_input_shape"]),
    );
    v.push(
        mlp_case("topology: batch_input_shape 1e12 features", |m| {
            m["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"] =
                json!([null, 1_000_000_000_000u64])
        })
        .refused(&["d1"]),
    );
    v.push(
        mlp_case("topology: use_bias is a string", |m| {
            m["modelTopology"]["config"]["layers"][0]["config"]["use_bias"] = json!("yes")
        })
        .refused(&["use_bias"]),
    );
    v.push(
        mlp_case("topology: layer name is a number", |m| {
            m["modelTopology"]["config"]["layers"][1]["config"]["name"] = json!(5)
        })
        .refused(&["d2"]),
    );
    v.push(
        mlp_case("topology: no layers", |m| {
            m["modelTopology"]["config"]["layers"] = json!([])
        })
        .refused(&["layers"]),
    );
    // Conv2D geometry.
    let conv = |name: &str, cfg: Value, culprit: &'static str| {
        let mut c = json!({"filters": 2, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
            "dilation_rate": [1, 1], "use_bias": false, "activation": "linear"});
        for (k, val) in cfg.as_object().unwrap() {
            c[k] = val.clone();
        }
        weightless(
            &format!("topology: Conv2D {name}"),
            json!([null, 8, 8, 1]),
            vec![layer("Conv2D", "conv", c)],
            &[1, 8, 8, 1],
        )
        .verify(FOUND, &["conv", culprit])
        .predict(ERROR, &["conv", &format!("{culprit}|too large|window")])
    };
    v.push(conv("zero strides", json!({"strides": [0, 0]}), "strides"));
    v.push(conv(
        "negative strides",
        json!({"strides": [-1, 1]}),
        "strides",
    ));
    v.push(conv(
        "zero kernel",
        json!({"kernel_size": [0, 3]}),
        "kernel_size",
    ));
    v.push(conv(
        "huge kernel",
        json!({"kernel_size": [1000000000, 1000000000]}),
        "kernel_size",
    ));
    v.push(conv(
        "zero dilation",
        json!({"dilation_rate": [0, 0]}),
        "dilation_rate",
    ));
    v.push(conv(
        "huge dilation",
        json!({"dilation_rate": [1u64 << 40, 1]}),
        "dilation_rate",
    ));
    v.push(conv("zero filters", json!({"filters": 0}), "filters"));
    v.push(conv(
        "huge filters",
        json!({"filters": 1u64 << 40}),
        "filters",
    ));
    v.push(conv(
        "unknown padding",
        json!({"padding": "bogus"}),
        "padding",
    ));
    v.push(conv(
        "kernel_size of three dims",
        json!({"kernel_size": [3, 3, 3]}),
        "kernel_size",
    ));
    // Layers that need weights, with a weightless manifest.
    v.push(
        weightless(
            "topology: Conv2D with no weights in the manifest",
            json!([null, 8, 8, 1]),
            vec![layer(
                "Conv2D",
                "conv",
                json!({"filters": 2, "kernel_size": [3, 3], "use_bias": true}),
            )],
            &[1, 8, 8, 1],
        )
        .verify(FOUND, &["conv/kernel"])
        .predict(ERROR, &["conv/kernel", "conv/bias"]),
    );
    v
}

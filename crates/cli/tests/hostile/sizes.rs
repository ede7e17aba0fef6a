//! Sizes derived from configs (units, filters, vocabularies, input shapes)
//! far beyond memory: refused before allocating.

use crate::*;

pub(crate) fn size_cases() -> Vec<Case> {
    let mut v = vec![];
    let huge = 1_000_000_000u64;
    // Issue 15 point 1: pooling with padding "same" and a huge pool_size.
    for (class, input, pool, strides, io) in [
        (
            "MaxPooling2D",
            json!([null, 8, 8, 1]),
            json!([huge, huge]),
            json!([1, 1]),
            vec![1usize, 8, 8, 1],
        ),
        (
            "AveragePooling2D",
            json!([null, 8, 8, 1]),
            json!([huge, huge]),
            json!([1, 1]),
            vec![1, 8, 8, 1],
        ),
        (
            "MaxPooling1D",
            json!([null, 8, 2]),
            json!([huge]),
            json!([1]),
            vec![1, 8, 2],
        ),
        (
            "AveragePooling1D",
            json!([null, 8, 2]),
            json!([huge]),
            json!([1]),
            vec![1, 8, 2],
        ),
        (
            "MaxPooling2D",
            json!([null, 8, 8, 1]),
            json!([4_000_000_000u64, 4_000_000_000u64]),
            json!([4_000_000_000u64, 4_000_000_000u64]),
            vec![1, 8, 8, 1],
        ),
        (
            "MaxPooling2D",
            json!([null, 8, 8, 1]),
            json!([2, 2]),
            json!([0, 0]),
            vec![1, 8, 8, 1],
        ),
    ] {
        let what = format!("{class} pool {pool} strides {strides}");
        let case = weightless(
            &format!("size: {what} padding same"),
            input.clone(),
            vec![layer(
                class,
                "pool",
                json!({"pool_size": pool, "strides": strides, "padding": "same"}),
            )],
            &io,
        );
        // With "same" padding a window larger than the input is clipped
        // to it, as TensorFlow.js's pooling loops clip it: a valid model
        // whose outputs are the global max/mean, computed without
        // allocating anything the size of the window.
        v.push(if strides == json!([0, 0]) {
            case.refused(&["pool"])
        } else {
            case.verify(OK, &[]).predict(OK, &[])
        });
    }
    for n in [
        json!(40_000_000u64),
        json!(1u64 << 31),
        json!(1u64 << 62),
        json!(-1),
    ] {
        v.push(refused_layer(
            &format!("size: RepeatVector n={n}"),
            json!([null, 10]),
            layer("RepeatVector", "rep", json!({"n": n})),
            &[1, 10],
        ));
    }
    for pad in [
        json!([[100000, 100000], [100000, 100000]]),
        json!(1u64 << 40),
    ] {
        v.push(
            weightless(
                &format!("size: ZeroPadding2D padding {pad}"),
                json!([null, 4, 4, 1]),
                vec![
                    layer("ZeroPadding2D", "zpad", json!({"padding": pad})),
                    layer("Flatten", "flat", json!({})),
                ],
                &[1, 4, 4, 1],
            )
            .refused(&["zpad"]),
        );
    }
    v.push(
        weightless(
            "size: ZeroPadding1D padding 1e12",
            json!([null, 4, 2]),
            vec![layer(
                "ZeroPadding1D",
                "zpad",
                json!({"padding": 1_000_000_000_000u64}),
            )],
            &[1, 4, 2],
        )
        .refused(&["zpad"]),
    );
    v.push(refused_layer(
        "size: ZeroPadding2D negative padding",
        json!([null, 4, 4, 1]),
        layer("ZeroPadding2D", "zpad", json!({"padding": -3})),
        &[1, 4, 4, 1],
    ));
    v.push(
        weightless(
            "size: UpSampling2D size 1e6",
            json!([null, 4, 4, 1]),
            vec![layer(
                "UpSampling2D",
                "up",
                json!({"size": [1000000, 1000000]}),
            )],
            &[1, 4, 4, 1],
        )
        .refused(&["up"]),
    );
    v.push(refused_layer(
        "size: UpSampling1D size 1e9",
        json!([null, 4, 2]),
        layer("UpSampling1D", "up", json!({"size": 1000000000})),
        &[1, 4, 2],
    ));
    v.push(
        weightless(
            "size: Cropping2D more than the input",
            json!([null, 4, 4, 1]),
            vec![layer(
                "Cropping2D",
                "crop",
                json!({"cropping": [[3, 3], [0, 0]]}),
            )],
            &[1, 4, 4, 1],
        )
        .refused(&["crop"]),
    );
    for (what, target) in [
        ("huge", json!([1_000_000_000u64, 1_000_000_000u64])),
        ("negative", json!([-2, -2])),
        ("wrong size", json!([3, 3])),
        ("two -1", json!([-1, -1])),
    ] {
        v.push(refused_layer(
            &format!("size: Reshape target_shape {what}"),
            json!([null, 16]),
            layer("Reshape", "resh", json!({"target_shape": target})),
            &[1, 16],
        ));
    }
    v.push(refused_layer(
        "size: Permute dims out of range",
        json!([null, 4, 2]),
        layer("Permute", "perm", json!({"dims": [2, 7]})),
        &[1, 4, 2],
    ));
    v.push(refused_layer(
        "size: Permute dims repeated",
        json!([null, 4, 2]),
        layer("Permute", "perm", json!({"dims": [1, 1]})),
        &[1, 4, 2],
    ));
    // A Dense whose kernel the manifest declares as huge as its units.
    let mut big = Mlp::new();
    big.layers[1]["config"]["units"] = json!(1u64 << 33);
    big.weights[2]["shape"] = json!([3, 1u64 << 33]);
    big.weights[3]["shape"] = json!([1u64 << 33]);
    v.push(
        Case::new("size: Dense units 2^33 with matching manifest shapes")
            .model(&big.json(), floats(MLP_FLOATS))
            .io(&mlp_io())
            .verify(FOUND, &["weights.bin"])
            .predict(ERROR, &["weights.bin|d2"]),
    );
    // Under the element cap but over what the host (here: the corpus's
    // address-space limit) can serve: refused naming the layer and weight,
    // not an abort (issue 15.1), in verify and in predict, strict or not.
    let mut wide = Mlp::new();
    wide.layers[1]["config"]["units"] = json!(250_000_000u64);
    v.push(
        Case::new("size: Dense kernel of 3 GB")
            .model(&wide.json(), floats(MLP_FLOATS))
            .io(&mlp_io())
            .refused(&["d2", "kernel"])
            .run(
                &["predict", "{m}", "--inputs", "{d}/io.json", "--non-strict"],
                ERROR,
                &["d2", "kernel"],
            ),
    );
    // Sixty Dense branches, each kernel just under the size checked on its
    // own: 3.7 GB together.
    let mut layers = vec![input_layer("x", json!([null, 4]))];
    let mut outs = vec![];
    for i in 0..60 {
        let name = format!("wide{i}");
        layers.push(fn_layer(
            "Dense",
            &name,
            json!({"units": 3_900_000, "use_bias": false}),
            &["x"],
        ));
        outs.push(json!([name, 0, 0]));
    }
    v.push(
        Case::new("size: sixty 62 MB Dense kernels")
            .model(
                &model_json(functional(layers, json!([["x", 0, 0]]), json!(outs)), vec![]),
                vec![],
            )
            .bytes(
                "io.json",
                json!({"inputs": [{"name": "x", "shape": [1, 4], "dtype": "float32", "data": [1, 2, 3, 4]}]})
                    .to_string(),
            )
            .refused(&["kernel"]),
    );
    // Embedding input_dim huge.
    v.push(
        weightless(
            "size: Embedding input_dim 2^40",
            json!([null, 3]),
            vec![layer(
                "Embedding",
                "emb",
                json!({"input_dim": 1u64 << 40, "output_dim": 4}),
            )],
            &[1, 3],
        )
        .refused(&["emb"]),
    );
    v
}

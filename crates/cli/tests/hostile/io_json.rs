//! The `--inputs` file of `predict`: wrong names, shapes, dtypes and values.

use crate::*;

fn io_case(name: &str, io: Value, culprits: &[&str]) -> Case {
    mlp_case(name, |_| {}).io(&io).predict(ERROR, culprits)
}

pub(crate) fn io_json_cases() -> Vec<Case> {
    let good = |edit: &dyn Fn(&mut Value)| {
        let mut io = mlp_io();
        edit(&mut io["inputs"][0]);
        io
    };
    let mut v = vec![
        io_case(
            "io.json: unknown input name",
            good(&|t| t["name"] = json!("bogus_in")),
            &["bogus_in"],
        ),
        io_case(
            "io.json: dtype float7",
            good(&|t| t["dtype"] = json!("float7")),
            &["float7"],
        ),
        io_case(
            "io.json: dtype string",
            good(&|t| t["dtype"] = json!("string")),
            &["string"],
        ),
        io_case(
            "io.json: null in data",
            good(&|t| t["data"][3] = json!(null)),
            &["d1_input"],
        ),
        io_case(
            "io.json: a string in data",
            good(&|t| t["data"][0] = json!("0.1")),
            &["inputs[0].data[0]|d1_input"],
        ),
        io_case(
            "io.json: a boolean in data",
            good(&|t| t["data"][0] = json!(true)),
            &["inputs[0].data[0]|d1_input"],
        ),
        io_case(
            "io.json: too few values for the shape",
            good(&|t| {
                t["data"].as_array_mut().unwrap().pop();
            }),
            &["d1_input"],
        ),
        io_case(
            "io.json: too many values for the shape",
            good(&|t| t["data"].as_array_mut().unwrap().push(json!(1))),
            &["d1_input"],
        ),
        io_case(
            "io.json: shape that does not fit the model",
            good(&|t| {
                t["shape"] = json!([1, 8]);
            }),
            &["d1_input"],
        ),
        io_case(
            "io.json: rank 3 input to a rank 2 model",
            good(&|t| t["shape"] = json!([2, 2, 2])),
            &["d1_input"],
        ),
        io_case(
            "io.json: huge shape with no data",
            good(&|t| {
                t["shape"] = json!([1_000_000_000u64, 1_000_000_000u64]);
                t["data"] = json!([]);
            }),
            &["d1_input"],
        ),
        io_case(
            "io.json: shape product overflows",
            good(&|t| t["shape"] = json!([4294967296u64, 4294967296u64, 4294967296u64])),
            &["inputs[0].shape|d1_input"],
        ),
        io_case(
            "io.json: negative dimension",
            good(&|t| t["shape"] = json!([-2, 4])),
            &["shape"],
        ),
        io_case(
            "io.json: shape absent",
            good(&|t| {
                t.as_object_mut().unwrap().shift_remove("shape");
            }),
            &["shape"],
        ),
        io_case(
            "io.json: data absent",
            good(&|t| {
                t.as_object_mut().unwrap().shift_remove("data");
            }),
            &["data"],
        ),
        io_case(
            "io.json: data is a string",
            good(&|t| t["data"] = json!("0.1,0.2")),
            &["data"],
        ),
        io_case(
            "io.json: inputs is an object",
            json!({"inputs": {"d1_input": [1, 2, 3, 4]}}),
            &["inputs"],
        ),
        io_case(
            "io.json: inputs absent",
            json!({"outputs": []}),
            &["inputs"],
        ),
        io_case(
            "io.json: inputs empty",
            json!({"inputs": []}),
            &["d1_input"],
        ),
        io_case("io.json: a JSON array", json!([1, 2, 3]), &["io.json"]),
        io_case(
            "io.json: control characters in an input name",
            good(&|t| t["name"] = json!("in\u{1b}[31m\u{7}")),
            &["[31m"],
        ),
    ];
    v.push(
        mlp_case("io.json: extra input", |_| {})
            .io(&{
                let mut io = mlp_io();
                let extra =
                    json!({"name": "extra_in", "shape": [1], "dtype": "float32", "data": [1]});
                io["inputs"].as_array_mut().unwrap().push(extra);
                io
            })
            .predict(ERROR_OR_WARNING, &["extra_in"]),
    );
    v.push(
        mlp_case("io.json: not JSON", |_| {})
            .bytes("io.json", "inputs: [1, 2]")
            .predict(ERROR, &["io.json"]),
    );
    v.push(
        mlp_case("io.json: empty file", |_| {})
            .bytes("io.json", "")
            .predict(ERROR, &["io.json"]),
    );
    v.push(
        mlp_case("io.json: missing file", |_| {})
            .entries_without("io.json")
            .predict(ERROR, &["io.json"]),
    );
    v.push(
        mlp_case("io.json: is a FIFO", |_| {})
            .entries_without("io.json")
            .entry("io.json", Entry::Fifo)
            .predict(ERROR, &["io.json"]),
    );
    v.push(
        mlp_case(
            "io.json: --check with a reference of the wrong shape",
            |_| {},
        )
        .io(&{
            let mut io = mlp_io();
            io["outputs"] =
                json!([{"name": "d2", "shape": [5], "dtype": "float32", "data": [1, 2, 3, 4, 5]}]);
            io
        })
        .run(
            &["predict", "{m}", "--inputs", "{d}/io.json", "--check"],
            &[1, 2],
            &["d2"],
        ),
    );
    // 2.5 in an int32 input: an Embedding model takes int32 indices.
    let emb = |data: Value, dtype: &str| {
        let mut l = layer(
            "Embedding",
            "emb",
            json!({"input_dim": 10, "output_dim": 2, "batch_input_shape": [null, 3], "dtype": "float32"}),
        );
        l["config"]["input_length"] = json!(3);
        let mj = model_json(
            sequential(vec![l]),
            vec![spec("emb/embeddings", &[10, 2], "float32")],
        );
        Case::new(format!("io.json: Embedding input {data} as {dtype}"))
            .model(&mj, floats(20))
            .io(&json!({"inputs": [{"name": "emb_input", "shape": [1, 3], "dtype": dtype, "data": data}]}))
    };
    v.push(emb(json!([1, 2, 3]), "int32").predict(OK, &[]));
    v.push(emb(json!([1, 2.5, 3]), "int32").predict(ERROR, &["emb_input", "2.5"]));
    v.push(emb(json!([1, 2, 3e10]), "int32").predict(ERROR, &["emb"]));
    v.push(emb(json!([1, 2, 10]), "int32").predict(ERROR, &["emb"]));
    v.push(emb(json!([1, 2, -1]), "int32").predict(ERROR, &["emb"]));
    v
}

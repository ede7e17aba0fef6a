//! Functional-model graphs: inputs and outputs that do not connect, shared
//! layers, mismatched shapes.

use crate::*;

pub(crate) fn graph_cases() -> Vec<Case> {
    let mut v = vec![];
    v.push(
        functional_case("graph: cycle a -> b -> a", |l, _| {
            l[1]["inbound_nodes"] = json!([[["b", 0, 0, {}]]]);
            l[1]["config"]["units"] = json!(2);
        })
        .refused(&["cycle"]),
    );
    // Layer b (index 2) called on something that is not there.
    for (what, inbound, culprit) in [
        ("self-reference", json!([[["b", 0, 0, {}]]]), "b"),
        (
            "inbound from an unknown layer",
            json!([[["ghost", 0, 0, {}]]]),
            "ghost",
        ),
        ("node index out of range", json!([[["a", 7, 0, {}]]]), "a"),
        ("tensor index out of range", json!([[["a", 0, 5, {}]]]), "a"),
        (
            "node index 2^64",
            json!([[["a", 18446744073709551615u64, 0, {}]]]),
            "a",
        ),
        ("inbound_nodes is a string", json!("a"), "inbound_nodes"),
        ("inbound node entry is a number", json!([[5]]), "b"),
    ] {
        v.push(
            functional_case(&format!("graph: {what}"), |l, _| {
                l[2]["inbound_nodes"] = inbound;
            })
            .refused(&[culprit]),
        );
    }
    v.push(
        functional_case("graph: output layer unknown", |_, o| {
            *o = json!([["nowhere", 0, 0]]);
        })
        .refused(&["nowhere"]),
    );
    v.push(
        functional_case("graph: duplicate layer names", |l, _| {
            l[2]["name"] = json!("a");
            l[2]["config"]["name"] = json!("a");
        })
        .refused(&["\"a\"", DUPLICATE]),
    );
    v.push(
        functional_case("graph: input_layers names a Dense", |_, _| {})
            .entries_without("model/model.json")
            .bytes("model/model.json", {
                let c = functional_case("", |_, _| {});
                let Entry::Bytes(b) = &c.entries[0].1 else {
                    unreachable!()
                };
                let mut mj: Value = serde_json::from_slice(b).unwrap();
                mj["modelTopology"]["config"]["input_layers"] = json!([["a", 0, 0]]);
                mj.to_string()
            })
            .verify(FOUND, &["input_layers"])
            .predict(ERROR, &["a"]),
    );
    v.push(
        functional_case("graph: output_layers empty", |_, o| *o = json!([])).refused(&["output"]),
    );
    v.push(
        functional_case("graph: unreachable layer", |l, _| {
            l.push(fn_layer(
                "Dense",
                "island",
                json!({"units": 2, "use_bias": false}),
                &["island"],
            ));
        })
        .refused(&["island"]),
    );
    v.push(
        functional_case("graph: Add of incompatible shapes", |l, o| {
            l.push(fn_layer("Add", "sum", json!({}), &["a", "b"]));
            *o = json!([["sum", 0, 0]]);
        })
        .refused(&["sum"]),
    );
    // Deep nesting: a Sequential inside a Sequential, 300 levels.
    let mut inner = sequential(vec![layer(
        "Dense",
        "deep",
        json!({"units": 2, "batch_input_shape": [null, 4]}),
    )]);
    for i in 0..300 {
        let mut s = sequential(vec![inner]);
        s["config"]["name"] = json!(format!("nest{i}"));
        inner = s;
    }
    inner["config"]["layers"][0]["config"]["batch_input_shape"] = json!([null, 4]);
    v.push(
        Case::new("graph: Sequential nested 300 deep")
            .model(&model_json(inner, vec![]), vec![])
            .io(&json!({"inputs": [{"name": "nest298_input", "shape": [1, 4], "dtype": "float32", "data": [1, 2, 3, 4]}]}))
            .refused(&["nest|model.json"]),
    );
    v
}

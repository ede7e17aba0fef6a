//! tf_keras's preprocessing layers name their weights without the layer's
//! scope: an adapted `Normalization` saved to `.h5` lists `mean:0`,
//! `variance:0`, `count:0` in its group. Layout of a real file, from
//!   x = tf_keras.Input((3,)); n = tf_keras.layers.Normalization(name="x_norm"); n.adapt(X)
//!   d = tf_keras.layers.Normalization(invert=True, name="y_denorm"); d.adapt(y)
//!   tf_keras.Model(x, d(tf_keras.layers.Dense(1, name="y")(n(x)))).save("m.h5")
//!   h5py.File("m.h5")["model_weights"]["x_norm"].attrs["weight_names"]  # ['mean:0', 'variance:0', 'count:0']
//! (the same names in `y_denorm`; tensorflowjs 4.22's converter refuses the
//! file: "duplicate weight name mean"). The import scopes the colliding
//! names by layer (a bare name only one layer uses stays as the converter
//! writes it).

use tfjs_keras::h5::write::{write, WriteAttr, WriteGroup, WriteNode, WriteType};
use tfjs_keras::import_h5;

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn two_adapted_normalizations_keep_their_own_weights() {
    let mut root = WriteGroup::default();
    root.attrs
        .push(("keras_version".into(), WriteAttr::Str("2.21.0".into())));
    root.attrs
        .push(("backend".into(), WriteAttr::Str("tensorflow".into())));
    let config = r#"{"class_name": "Functional", "config": {"layers": [
        {"class_name": "InputLayer", "name": "x"},
        {"class_name": "Normalization", "name": "x_norm"},
        {"class_name": "Normalization", "name": "y_denorm"}]}}"#;
    root.attrs
        .push(("model_config".into(), WriteAttr::Str(config.into())));
    let mw = root.group_mut("model_weights").unwrap();
    mw.attrs.push((
        "layer_names".into(),
        WriteAttr::List(vec!["x".into(), "x_norm".into(), "y_denorm".into()]),
    ));
    mw.group_mut("x")
        .unwrap()
        .attrs
        .push(("weight_names".into(), WriteAttr::List(vec![])));
    for (layer, mean) in [("x_norm", 1f32), ("y_denorm", 20f32)] {
        let g = mw.group_mut(layer).unwrap();
        g.attrs.push((
            "weight_names".into(),
            WriteAttr::List(vec!["mean:0".into(), "variance:0".into()]),
        ));
        for (w, v) in [("mean:0", mean), ("variance:0", 4.0)] {
            g.children.insert(
                w.into(),
                WriteNode::Dataset {
                    dtype: WriteType::F32,
                    shape: vec![1],
                    data: f32s(&[v]),
                },
            );
        }
    }
    let imported = import_h5(&write(&root)).unwrap();
    let names: Vec<&str> = imported
        .artifacts
        .weight_specs
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "x_norm/mean",
            "x_norm/variance",
            "y_denorm/mean",
            "y_denorm/variance"
        ]
    );
    let mean = imported.artifacts.weight_data.slice(8, 4).unwrap();
    assert_eq!(&mean[..], &f32s(&[20.0])[..]);
    assert!(imported
        .notes
        .iter()
        .any(|n| n.contains("`mean`, `variance`")));
}

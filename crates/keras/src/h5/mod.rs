//! HDF5: a bounded read-only reader and a minimal writer, both pure Rust.

pub mod read;
pub mod write;

pub use read::{AttrValue, DatasetInfo, Datatype, H5Error, H5File, Node};

/// The strings of attribute `name` of `node`, joining the pieces h5py/Keras
/// split large attributes into (`name0`, `name1`, …) when `name` itself is
/// absent. `None` when neither exists.
pub fn split_attr_strings(node: &Node, name: &str) -> Option<Vec<String>> {
    let attrs = node.attrs();
    if let Some(v) = attrs.get(name) {
        return v.strings().map(<[String]>::to_vec);
    }
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(v) = attrs.get(&format!("{name}{i}")) {
        out.extend_from_slice(v.strings()?);
        i += 1;
    }
    (i > 0).then_some(out)
}

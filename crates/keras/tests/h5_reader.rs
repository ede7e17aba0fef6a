//! The HDF5 reader against h5py: every file's canonical listing (groups,
//! attributes, dataset bytes) must equal the one `scripts/h5_listing.py`
//! writes with h5py. Covers the Keras fixtures' sources and generated files
//! with chunked/deflate/shuffle/fletcher32, compact, big-endian, split
//! attributes, fixed and variable-length strings, superblock v0 and v3.

use sha2::{Digest, Sha256};
use std::path::Path;
use tfjs_keras::h5::{AttrValue, Datatype, H5File, Node};

mod common;

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .take(8)
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn listing(file: &H5File) -> String {
    fn attrs(path: &str, node: &Node, out: &mut Vec<String>) {
        for (name, v) in node.attrs() {
            let value = match v {
                AttrValue::Strings(s) => format!(
                    "[{}]",
                    s.iter()
                        .map(|x| serde_json::to_string(x).unwrap())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                AttrValue::Numbers { le_bytes, .. } => {
                    format!("raw{}:{}", le_bytes.len(), sha(le_bytes))
                }
                AttrValue::Empty => format!("raw0:{}", sha(&[])),
                AttrValue::Other(b) => format!("raw{}:{}", b.len(), sha(b)),
            };
            out.push(format!("A {path}@{name} = {value}"));
        }
    }
    fn walk(file: &H5File, path: &str, node: &Node, out: &mut Vec<String>) {
        attrs(path, node, out);
        match node {
            Node::Dataset(d) => {
                let mut bytes = file.read(d, path).unwrap();
                if let Datatype::Float {
                    size,
                    big_endian: true,
                }
                | Datatype::Int {
                    size,
                    big_endian: true,
                    ..
                } = d.dtype
                {
                    bytes.chunks_exact_mut(size).for_each(<[u8]>::reverse);
                }
                let shape = d
                    .shape
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push(format!(
                    "D {path} shape=[{shape}] bytes={} sha={}",
                    bytes.len(),
                    sha(&bytes)
                ));
            }
            Node::Group { children, .. } => {
                for (k, c) in children {
                    let p = format!("{path}/{k}");
                    if c.children().is_some() {
                        out.push(format!("G {p}"));
                    }
                    walk(file, &p, c, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(file, "", &file.root, &mut out);
    out.sort();
    out.join("\n")
}

fn check(h5: &Path, expected: &str) {
    let bytes = std::fs::read(h5).unwrap();
    let file = H5File::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", h5.display()));
    let got = listing(&file);
    if got != expected {
        for (a, b) in got.lines().zip(expected.lines()) {
            assert_eq!(a, b, "first difference in {}", h5.display());
        }
        assert_eq!(
            got.lines().count(),
            expected.lines().count(),
            "{}",
            h5.display()
        );
    }
}

#[test]
fn generated_variants_read_as_h5py_reads_them() {
    for name in ["variants_v0.h5", "variants_latest.h5"] {
        let h5 = Path::new("tests/data").join(name);
        let expected = std::fs::read_to_string(format!("tests/data/{name}.listing.txt")).unwrap();
        check(&h5, &expected);
    }
}

/// The fixture sources: listings made with h5py (scripts/h5_listing.py) are
/// committed as tests/data/keras-src/*.listing.txt.
#[test]
fn keras_src_files_read_as_h5py_reads_them() {
    let src = Path::new(common::KERAS_SRC);
    for model in common::H5_MODELS {
        let expected =
            std::fs::read_to_string(format!("tests/data/keras-src/{model}.listing.txt")).unwrap();
        check(&src.join(model).join("model.h5"), &expected);
    }
}

//! `.npy` input files: bad magic, headers, dtypes and lengths.

use crate::*;

/// A .npy file: magic, version 1.0, a header dict padded to 64, data.
fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(h.len() as u16).to_le_bytes());
    b.extend_from_slice(h.as_bytes());
    b.extend_from_slice(data);
    b
}

fn npy_case(name: &str, bytes: Vec<u8>, culprits: &[&str]) -> Case {
    mlp_case(name, |_| {}).bytes("x.npy", bytes).run(
        &["predict", "{m}", "--inputs", "{d}/x.npy"],
        ERROR,
        culprits,
    )
}

pub(crate) fn npy_cases() -> Vec<Case> {
    let f8 = floats(8);
    let std_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }";
    let mut v = vec![mlp_case("control npy", |_| {})
        .bytes("x.npy", npy(std_header, &f8))
        .run(&["predict", "{m}", "--inputs", "{d}/x.npy"], OK, &[])];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty file", vec![]),
        ("magic only", b"\x93NUMPY".to_vec()),
        ("not npy", b"PK\x03\x04 zip".to_vec()),
        ("header length past the end", {
            let mut b = b"\x93NUMPY\x01\x00".to_vec();
            b.extend_from_slice(&60000u16.to_le_bytes());
            b.extend_from_slice(b"{'descr'");
            b
        }),
        ("version 3 header length u32::MAX", {
            let mut b = b"\x93NUMPY\x03\x00".to_vec();
            b.extend_from_slice(&u32::MAX.to_le_bytes());
            b
        }),
        ("data truncated", npy(std_header, &f8[..f8.len() - 3])),
    ];
    // Headers that lie about the standard 8 floats after them.
    let headers = [
        (
            "huge shape",
            "'<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000)",
        ),
        (
            "shape product overflows",
            "'<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)",
        ),
        (
            "complex dtype",
            "'<c16', 'fortran_order': False, 'shape': (2, 4)",
        ),
        (
            "unicode dtype",
            "'<U3', 'fortran_order': False, 'shape': (2, 4)",
        ),
        (
            "object dtype",
            "'|O', 'fortran_order': False, 'shape': (2, 4)",
        ),
        (
            "fortran order",
            "'<f4', 'fortran_order': True, 'shape': (2, 4)",
        ),
        (
            "negative dimension",
            "'<f4', 'fortran_order': False, 'shape': (-2, 4)",
        ),
        ("header missing shape", "'<f4', 'fortran_order': False"),
    ]
    .map(|(what, dict)| (what, npy(&format!("{{'descr': {dict}, }}"), &f8)));
    let not_a_dict = ("header not a dict", npy("[1, 2, 3]", &f8));
    for (what, bytes) in cases.into_iter().chain(headers).chain([not_a_dict]) {
        v.push(npy_case(&format!("npy: {what}"), bytes, &["x.npy"]));
    }
    v.push(npy_case(
        "npy: shape that does not fit the model",
        npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 8), }",
            &f8,
        ),
        &["x.npy|d1_input"],
    ));
    v
}

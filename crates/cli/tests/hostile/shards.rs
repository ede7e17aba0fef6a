//! Weight shard files: short, long, missing, or something else (an HTML error
//! page, JSON).

use crate::*;

/// `len` bytes of an HTML error page.
fn html_of_len(len: usize) -> Vec<u8> {
    let mut b = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>".to_vec();
    b.resize(len.saturating_sub(14), b' ');
    b.extend_from_slice(b"</body></html>");
    b.truncate(len);
    b
}

/// `len` bytes of a JSON error body.
fn json_of_len(len: usize) -> Vec<u8> {
    let mut b = br#"{"error": "not found", "pad": ""#.to_vec();
    b.resize(len - 2, b'x');
    b.extend_from_slice(b"\"}");
    b
}

pub(crate) fn shard_cases() -> Vec<Case> {
    let n = MLP_FLOATS * 4;
    let full = floats(MLP_FLOATS);
    let mut v = vec![];
    for (what, bytes) in [
        ("truncated by one byte", full[..n - 1].to_vec()),
        ("half", full[..n / 2].to_vec()),
        ("empty", vec![]),
        ("one byte too long", [full.clone(), vec![0]].concat()),
        ("twice as long", [full.clone(), full.clone()].concat()),
    ] {
        v.push(
            mlp_case(&format!("shard: weights.bin {what}"), |_| {})
                .bytes("model/weights.bin", bytes)
                .unreadable(&["weights.bin"])
                .convert(ERROR, &["weights.bin"]),
        );
    }
    v.push(
        mlp_case("shard: HTML body of exactly the right length", |_| {})
            .bytes("model/weights.bin", html_of_len(n))
            .refused(&["weights.bin", "HTML"])
            .convert(ERROR, &["weights.bin"]),
    );
    v.push(
        mlp_case("shard: JSON body of exactly the right length", |_| {})
            .bytes("model/weights.bin", json_of_len(n))
            .refused(&["weights.bin", "JSON"])
            .convert(ERROR, &["weights.bin"]),
    );
    // Plain text of exactly the right length: the bytes are valid floats,
    // so it loads, but with a warning naming the shard and why.
    let text: Vec<u8> = b"404 Not Found: the requested URL was not found on this server.\n"
        .iter()
        .copied()
        .cycle()
        .take(n)
        .collect();
    v.push(
        mlp_case("shard: plain-text body of exactly the right length", |_| {})
            .bytes("model/weights.bin", text)
            .verify(FOUND, &["weights.bin", "printable text", "404 Not Found"])
            .predict(
                OK,
                &["warning: weight shard", "weights.bin", "printable text"],
            ),
    );
    v.push(
        mlp_case("shard: HTML body shorter than needed", |_| {})
            .bytes("model/weights.bin", html_of_len(60))
            .refused(&["weights.bin"]),
    );
    v.push(
        mlp_case("shard: weights.bin missing", |_| {})
            .entries_without("model/weights.bin")
            .bytes("model/other.bin", full.clone())
            .unreadable(&["weights.bin"]),
    );
    // Two shards, the second one missing / short.
    let two = |m: &mut Value| {
        m["weightsManifest"][0]["paths"] = json!(["group1-shard1of2.bin", "group1-shard2of2.bin"])
    };
    v.push(
        mlp_case("shard: second of two shards missing", two)
            .bytes("model/group1-shard1of2.bin", full[..48].to_vec())
            .refused(&["group1-shard2of2.bin"]),
    );
    v.push(
        mlp_case("shard: second of two shards short", two)
            .bytes("model/group1-shard1of2.bin", full[..48].to_vec())
            .bytes("model/group1-shard2of2.bin", full[48..n - 4].to_vec())
            .refused(&["group1-shard2of2.bin"]),
    );
    v.push(
        mlp_case("shard: the same file listed twice", |m| {
            m["weightsManifest"][0]["paths"] = json!(["weights.bin", "weights.bin"])
        })
        .refused(&["weights.bin"]),
    );
    // String weights: a u32 length prefix per element.
    let string_model = |bytes: Vec<u8>, name: &str| {
        let mut mj = Mlp::new().json();
        mj["weightsManifest"][0]["weights"]
            .as_array_mut()
            .unwrap()
            .push(spec("d2/vocab", &[2], "string"));
        let mut w = floats(MLP_FLOATS);
        w.extend(bytes);
        Case::new(name).model(&mj, w).io(&mlp_io())
    };
    let mut past_end = 1000u32.to_le_bytes().to_vec();
    past_end.extend_from_slice(b"ab");
    v.push(
        string_model(past_end, "shard: string length past the end")
            .refused(&["d2/vocab"])
            .convert(ERROR, &["d2/vocab"])
            .cp(ERROR, &["d2/vocab"]),
    );
    let mut huge_len = u32::MAX.to_le_bytes().to_vec();
    huge_len.extend_from_slice(&[0; 8]);
    v.push(
        string_model(huge_len, "shard: string length u32::MAX")
            .refused(&["d2/vocab"])
            .convert(ERROR, &["d2/vocab"])
            .cp(ERROR, &["d2/vocab"]),
    );
    v.push(
        string_model(vec![3, 0], "shard: string length prefix cut short").refused(&["d2/vocab"]),
    );
    let mut one_string = 1u32.to_le_bytes().to_vec();
    one_string.push(b'a');
    v.push(
        string_model(one_string, "shard: one string where two are declared").refused(&["d2/vocab"]),
    );
    v
}

//! The two-part input layout of `weights` and `model_predict`.

/// Split `u16 LE n` · `n` bytes · rest into the JSON head and the binary
/// tail (`None` when shorter than the length prefix).
pub fn split(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = data.split_first_chunk::<2>()?;
    let n = u16::from_le_bytes(*len) as usize;
    Some(rest.split_at(n.min(rest.len())))
}

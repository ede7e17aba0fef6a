//! The two-part input layout of `weights`, `model_predict` and `graph_model`.

/// Split `u16 LE n` · `n` bytes · rest into the JSON head and the binary
/// tail (`None` when shorter than the length prefix).
pub fn split(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = data.split_first_chunk::<2>()?;
    let n = u16::from_le_bytes(*len) as usize;
    Some(rest.split_at(n.min(rest.len())))
}

/// A framed input as model artifacts: the head parsed as model.json, the
/// tail as its weight bytes (`None` when either step fails).
#[allow(dead_code)] // not every target that frames its input wants artifacts
pub fn artifacts(data: &[u8]) -> Option<tfjs_format::ModelArtifacts> {
    let (json, bin) = split(data)?;
    let mj = tfjs_format::ModelJson::parse(json, "model.json").ok()?;
    Some(mj.into_artifacts(tfjs_format::WeightData::from_vec(bin.to_vec())))
}

//! Sharding: the converter's `group1-shardNofM.bin` names and splitting a
//! weight stream; checking fetched shards against a manifest group.

use crate::codec::stored_byte_len;
use crate::{FormatError, Result, WeightData, WeightSpec, WeightsManifest, WeightsManifestGroup};
use bytes::Bytes;
use serde_json::Map;

/// The converter's default shard size, 4 MiB.
pub const DEFAULT_SHARD_SIZE: usize = 4 * 1024 * 1024;

/// `groupG-shardNofM.bin` names for `count` shards of group `group` (1-based).
///
/// ```
/// assert_eq!(
///     tfjs_format::shard::shard_names(1, 2),
///     ["group1-shard1of2.bin", "group1-shard2of2.bin"]
/// );
/// ```
pub fn shard_names(group: usize, count: usize) -> Vec<String> {
    (1..=count)
        .map(|n| format!("group{group}-shard{n}of{count}.bin"))
        .collect()
}

/// Number of shards the converter writes for `total` bytes:
/// `ceil(total / shard_size)` (0 for an empty group). A `shard_size` of 0
/// means "no limit" (one shard).
///
/// ```
/// use tfjs_format::shard::{shard_count, DEFAULT_SHARD_SIZE};
/// assert_eq!(shard_count(DEFAULT_SHARD_SIZE + 1, DEFAULT_SHARD_SIZE), 2);
/// assert_eq!(shard_count(0, DEFAULT_SHARD_SIZE), 0);
/// ```
pub fn shard_count(total: usize, shard_size: usize) -> usize {
    if total == 0 {
        0
    } else if shard_size == 0 {
        1
    } else {
        total.div_ceil(shard_size)
    }
}

/// Split the stream into shards of at most `shard_size` bytes (at least one
/// shard, possibly empty), without copying where the input allows: a shard
/// lying inside one input buffer is a `Bytes::slice` of it. A `shard_size`
/// of 0 means "no limit".
///
/// ```
/// use tfjs_format::{shard::split, WeightData};
/// let parts = split(&WeightData::from_vec((0..10).collect()), 4);
/// assert_eq!(parts.iter().map(|b| b.len()).collect::<Vec<_>>(), [4, 4, 2]);
/// ```
pub fn split(data: &WeightData, shard_size: usize) -> Vec<Bytes> {
    let total = data.len();
    let size = if shard_size == 0 {
        total.max(1)
    } else {
        shard_size
    };
    if total == 0 {
        return vec![Bytes::new()];
    }
    let mut out = Vec::with_capacity(total.div_ceil(size));
    let mut offset = 0;
    while offset < total {
        let len = size.min(total - offset);
        // `slice` is in range by construction; fall back to empty defensively.
        out.push(data.slice(offset, len).unwrap_or_default());
        offset += len;
    }
    out
}

/// The converter's layout for one group: the shard bytes (as [`split`], but
/// no shard at all for an empty stream, as the converter writes none) and
/// the manifest `[{"paths": ["group1-shard1ofN.bin", …], "weights": …}]`.
///
/// ```
/// use tfjs_format::{shard::converter_layout, DType, WeightData, WeightSpec};
/// let specs = vec![WeightSpec::new("w", vec![3], DType::Float32)];
/// let (shards, manifest) = converter_layout(specs, &WeightData::from_vec(vec![0; 12]), 8);
/// assert_eq!(shards.len(), 2);
/// assert_eq!(manifest[0].paths, ["group1-shard1of2.bin", "group1-shard2of2.bin"]);
/// ```
pub fn converter_layout(
    weights: Vec<WeightSpec>,
    data: &WeightData,
    shard_size: usize,
) -> (Vec<Bytes>, WeightsManifest) {
    let shards = if data.is_empty() {
        Vec::new()
    } else {
        split(data, shard_size)
    };
    let manifest = converter_manifest(weights, data.len(), shard_size);
    (shards, manifest)
}

/// The converter-style manifest (one group, `group1-shardNofM.bin` paths)
/// for `total_bytes` of weight data cut into `shard_size` shards.
pub fn converter_manifest(
    weights: Vec<WeightSpec>,
    total_bytes: usize,
    shard_size: usize,
) -> WeightsManifest {
    vec![WeightsManifestGroup {
        paths: shard_names(1, shard_count(total_bytes, shard_size)),
        weights,
        extra: Map::new(),
    }]
}

/// `Some("HTML")` when `bytes` (after leading whitespace) start with `<`
/// (`<!DOCTYPE`, `<html`, …), `Some("JSON")` when they start with `{`,
/// else `None`. Used to explain a wrong-sized shard: servers often answer a
/// missing file with an error page.
///
/// ```
/// use tfjs_format::shard::sniff_text;
/// assert_eq!(sniff_text(b"  <!DOCTYPE html><html>"), Some("HTML"));
/// assert_eq!(sniff_text(b"{\"error\":\"not found\"}"), Some("JSON"));
/// assert_eq!(sniff_text(&[0, 0, 128, 63]), None);
/// ```
pub fn sniff_text(bytes: &[u8]) -> Option<&'static str> {
    // Binary weights can start with any byte ('<' is just a float's low
    // mantissa byte), so only a printable head with a recognisable HTML
    // start tag or a well-formed JSON opening counts as text.
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b.iter().position(|c| !c.is_ascii_whitespace())?;
    let head = &b[start..b.len().min(start + 256)];
    if !head
        .iter()
        .all(|&c| c >= 0x20 || matches!(c, b'\n' | b'\r' | b'\t'))
    {
        return None;
    }
    let lower = head.to_ascii_lowercase();
    const HTML: [&[u8]; 8] = [
        b"<!doctype",
        b"<html",
        b"<?xml",
        b"<head",
        b"<body",
        b"<!--",
        b"<h1",
        b"<title",
    ];
    if HTML.iter().any(|tag| lower.starts_with(tag)) {
        return Some("HTML");
    }
    if matches!(head[0], b'{' | b'[') && std::str::from_utf8(head).is_ok() {
        return Some("JSON");
    }
    None
}

/// Check fetched shards against their manifest group (see
/// [`check_shard_lengths`]), sniffing the bytes of a wrong-sized shard to
/// say whether it looks like an HTML/JSON error page. String weights are
/// walked through the actual bytes, so the check is exact for them too.
/// Errors name the shard by its manifest path; [`check_shards_at`] names
/// it by where it was read from. This is the one shard check every store
/// makes before decoding.
///
/// ```
/// use tfjs_format::shard::check_shards;
/// use tfjs_format::{DType, WeightSpec, WeightsManifestGroup};
/// let group = WeightsManifestGroup {
///     paths: vec!["weights.bin".into()],
///     weights: vec![WeightSpec::new("w", vec![2], DType::Float32)],
///     ..Default::default()
/// };
/// assert!(check_shards(&group, &[vec![0u8; 8]]).is_ok());
/// let e = check_shards(&group, &[b"<!DOCTYPE html><html>".to_vec()]).unwrap_err();
/// assert!(e.to_string().contains("HTML"), "{e}");
/// ```
pub fn check_shards<B: AsRef<[u8]>>(group: &WeightsManifestGroup, shards: &[B]) -> Result<()> {
    check_group(group, shards, &|i, _| group.paths[i].clone())
}

/// [`check_shards`] naming each shard by `names[i]` (its file path or URL);
/// when the group has several shards the name says which one and what the
/// group as a whole holds.
///
/// ```
/// use tfjs_format::shard::check_shards_at;
/// use tfjs_format::{DType, WeightSpec, WeightsManifestGroup};
/// let group = WeightsManifestGroup {
///     paths: vec!["a.bin".into(), "b.bin".into()],
///     weights: vec![WeightSpec::new("w", vec![4], DType::Float32)],
///     ..Default::default()
/// };
/// let names = ["/m/a.bin".to_string(), "/m/b.bin".to_string()];
/// let e = check_shards_at(&group, &[vec![0u8; 8], vec![0u8; 7]], &names).unwrap_err();
/// assert_eq!(e.to_string(), "weight shard /m/b.bin (shard 2 of 2; together the group's shards \
///     must hold 16 bytes, they hold 15): expected 8 bytes from the manifest, got 7");
/// ```
pub fn check_shards_at<B: AsRef<[u8]>>(
    group: &WeightsManifestGroup,
    shards: &[B],
    names: &[String],
) -> Result<()> {
    let n = shards.len();
    check_group(group, shards, &|i, (needed, total)| {
        let name = names
            .get(i)
            .cloned()
            .unwrap_or_else(|| group.paths[i].clone());
        if n == 1 {
            name
        } else {
            format!(
                "{name} (shard {} of {n}; together the group's shards must hold {needed} bytes, they hold {total})",
                i + 1
            )
        }
    })
}

/// `name(i, (bytes the group needs, bytes its shards hold))`.
type ShardName<'a> = dyn Fn(usize, (u64, u64)) -> String + 'a;

fn check_group<B: AsRef<[u8]>>(
    group: &WeightsManifestGroup,
    shards: &[B],
    name: &ShardName<'_>,
) -> Result<()> {
    if shards.len() != group.paths.len() {
        return Err(FormatError::ShardCount {
            expected: group.paths.len(),
            actual: shards.len(),
        });
    }
    let lengths: Vec<u64> = shards.iter().map(|s| s.as_ref().len() as u64).collect();
    // Groups with string weights: their size is known only by walking the
    // length prefixes; when the walk fails, what failed (the weight and
    // element) is said along with the shard.
    let mut walk_failure = None;
    let expected = match group.stored_byte_len()? {
        Some(n) => n,
        None => {
            let data = WeightData {
                buffers: shards
                    .iter()
                    .map(|s| Bytes::copy_from_slice(s.as_ref()))
                    .collect(),
            };
            match crate::codec::weight_layout(&group.weights, &data) {
                Ok(_) => lengths.iter().sum(),
                Err(e) => {
                    walk_failure = Some(e.to_string());
                    string_group_len(&group.weights, &data)
                }
            }
        }
    };
    let with_walk = |i: usize, totals: (u64, u64)| match &walk_failure {
        Some(why) => format!("{} ({why})", name(i, totals)),
        None => name(i, totals),
    };
    let name: &ShardName<'_> = &with_walk;
    check_against(group, &lengths, expected, name, |i| {
        sniff_text(shards[i].as_ref())
    })?;
    // The lengths are right; a body of exactly the right length can still
    // be a text page (a server's error page padded, or a JSON document).
    let total = lengths.iter().sum();
    for (i, shard) in shards.iter().enumerate() {
        if let Some(kind) = text_body(shard.as_ref()) {
            return Err(FormatError::TextInsteadOfWeights {
                shard: name(i, (expected, total)),
                looks_like: kind,
            });
        }
    }
    // Other all-text bodies (`404 Not Found`, a proxy's message) decode as
    // numbers too: said, not refused, since such bytes are valid floats.
    for w in text_shard_warnings(group, shards, &|i| name(i, (expected, total))) {
        tracing::warn!("{w}");
    }
    Ok(())
}

/// Shards shorter than this are never called text (a few float32 values
/// can spell a word).
const MIN_TEXT_SHARD: usize = 16;

/// Whether every byte of `bytes` (at least [`MIN_TEXT_SHARD`] of them) is
/// printable ASCII or a line break / tab: a text body (an error page, a
/// proxy's message) where binary weights should be. Real weights are
/// practically never like this: float32 values of ordinary magnitude and
/// integer weights hold bytes outside that range, uint8/uint16 quantized
/// tensors hold their minimum as 0, and string weights' length prefixes
/// hold zero bytes.
///
/// ```
/// use tfjs_format::shard::is_printable_text;
/// assert!(is_printable_text(b"404 Not Found: nothing here\n"));
/// assert!(!is_printable_text(&[0x3f; 8])); // too short to tell
/// let floats: Vec<u8> = [0.25f32, -1.5, 3.0, 0.1].iter().flat_map(|f| f.to_le_bytes()).collect();
/// assert!(!is_printable_text(&floats));
/// ```
pub fn is_printable_text(bytes: &[u8]) -> bool {
    bytes.len() >= MIN_TEXT_SHARD
        && bytes
            .iter()
            .all(|&c| (0x20..0x7f).contains(&c) || matches!(c, b'\n' | b'\r' | b'\t'))
}

/// One message per shard of `group` that is printable text all through
/// ([`is_printable_text`]) but no HTML page or JSON document (those are
/// refused by [`check_shards`]): it loads, as the bytes are valid numbers,
/// but is most likely an error body served in place of the weights. Each
/// message names the shard (`name(i)`), quotes its start and says why it
/// is only a warning. Stores log these on load; `verify` reports them.
pub fn text_shard_warnings<B: AsRef<[u8]>>(
    group: &WeightsManifestGroup,
    shards: &[B],
    name: &dyn Fn(usize) -> String,
) -> Vec<String> {
    let dtypes: Vec<String> = {
        let mut d: Vec<String> = group
            .weights
            .iter()
            .map(|w| match &w.quantization {
                Some(q) => format!("{:?}-quantized", q.dtype).to_lowercase(),
                None => w.dtype.to_string(),
            })
            .collect();
        d.sort();
        d.dedup();
        d
    };
    shards
        .iter()
        .enumerate()
        .filter(|(_, s)| is_printable_text(s.as_ref()))
        .map(|(i, s)| {
            let s = s.as_ref();
            let head: String = String::from_utf8_lossy(&s[..s.len().min(48)])
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            format!(
                "weight shard {}: all {} bytes are printable text (\"{}{}\"), like an error page served in place of the weights; they are loaded anyway because such bytes are also valid {} values, but check that this file really holds the weights",
                name(i),
                s.len(),
                head,
                if s.len() > 48 { "…" } else { "" },
                dtypes.join("/")
            )
        })
        .collect()
}

/// `Some("HTML")` / `Some("JSON")` when *all* of `bytes` is text that is an
/// HTML page (a recognised start tag) or a complete JSON document: then it
/// cannot be weights, whatever its length. Real weights are never all
/// printable: float32 values that happen to start with `<` or `{` are
/// followed by bytes outside the printable range (exponent bytes of small
/// values, zero bytes of integers and string length prefixes), and for a
/// quantized or float tensor to spell a whole HTML page or parse as JSON is
/// practically impossible. Shards under 8 bytes are never called text (a
/// lone float32 or four uint8 values could spell `[12]`), and a shard that
/// only *starts* like a page is not either: such a head is legitimate float
/// data, so it is no error (the length check above already catches the
/// usual short error page).
///
/// ```
/// use tfjs_format::shard::text_body;
/// assert_eq!(text_body(b"<!DOCTYPE html><html></html>"), Some("HTML"));
/// assert_eq!(text_body(br#"{"error": "not found"}"#), Some("JSON"));
/// assert_eq!(text_body(b"{\x01\x02\x03\x04\x05\x06\x07"), None); // binary after a brace
/// assert_eq!(text_body(&1.5f32.to_le_bytes()), None);
/// ```
pub fn text_body(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 8 {
        return None;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The cheap look at the head first: binary weights stop here.
    let kind = sniff_text(body)?;
    let text = std::str::from_utf8(body).ok()?;
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return None;
    }
    match kind {
        "JSON" => serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .map(|_| "JSON"),
        kind => Some(kind),
    }
}

/// The length a group with string weights needs, walking as far as the data
/// allows (fixed-size weights counted exactly, unreadable strings as 4 bytes
/// per element).
fn string_group_len(weights: &[WeightSpec], data: &WeightData) -> u64 {
    let total = data.len() as u64;
    let mut offset = 0u64;
    for w in weights {
        match stored_byte_len(w) {
            Ok(Some(n)) => offset = offset.saturating_add(n),
            Ok(None) => {
                let n = w
                    .shape
                    .iter()
                    .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
                    .unwrap_or(u64::MAX);
                for _ in 0..n {
                    let mut p = [0u8; 4];
                    if offset.saturating_add(4) > total || !data.read_at(offset as usize, &mut p) {
                        offset = offset.saturating_add(4);
                        continue;
                    }
                    offset = offset.saturating_add(4 + u32::from_le_bytes(p) as u64);
                }
            }
            Err(_) => return u64::MAX,
        }
    }
    offset
}

/// Check the byte lengths of a group's fetched shards (`lengths[i]` for
/// `group.paths[i]`): their sum must equal the group's stored weight bytes.
///
/// On a mismatch the error ([`FormatError::ShardLength`]) names the shard
/// that is most likely wrong: the converter fills every shard but the last
/// to the same size, so the first non-last shard whose length differs from
/// the common size, else the last shard (for a one-shard group the numbers
/// are exact). Groups with `string` weights can only be checked for a lower
/// bound here; use [`check_shards`] when the bytes are at hand.
///
/// ```
/// use tfjs_format::{shard::check_shard_lengths, DType, WeightSpec, WeightsManifestGroup};
/// let group = WeightsManifestGroup {
///     paths: vec!["weights.bin".into()],
///     weights: vec![WeightSpec::new("w", vec![4], DType::Float32)],
///     extra: Default::default(),
/// };
/// assert!(check_shard_lengths(&group, &[16]).is_ok());
/// let e = check_shard_lengths(&group, &[10]).unwrap_err().to_string();
/// assert!(e.contains("weights.bin") && e.contains("expected 16") && e.contains("got 10"), "{e}");
/// ```
pub fn check_shard_lengths(group: &WeightsManifestGroup, lengths: &[u64]) -> Result<()> {
    match group.stored_byte_len()? {
        Some(expected) => check_against(group, lengths, expected, &bare(group), |_| None),
        None => {
            // Lower bound: fixed weights plus 4 bytes per string element.
            let min: u64 = group
                .weights
                .iter()
                .map(|w| match stored_byte_len(w) {
                    Ok(Some(n)) => n,
                    _ => w
                        .num_elements()
                        .map_or(u64::MAX, |n| (n as u64).saturating_mul(4)),
                })
                .fold(0u64, u64::saturating_add);
            if lengths.len() != group.paths.len() {
                return Err(FormatError::ShardCount {
                    expected: group.paths.len(),
                    actual: lengths.len(),
                });
            }
            let sum = lengths.iter().fold(0u64, |a, &b| a.saturating_add(b));
            if sum < min {
                return check_against(group, lengths, min, &bare(group), |_| None);
            }
            Ok(())
        }
    }
}

fn bare(group: &WeightsManifestGroup) -> impl Fn(usize, (u64, u64)) -> String + '_ {
    |i, _| group.paths[i].clone()
}

fn check_against(
    group: &WeightsManifestGroup,
    lengths: &[u64],
    expected_total: u64,
    shard_name: &ShardName<'_>,
    sniff: impl Fn(usize) -> Option<&'static str>,
) -> Result<()> {
    if lengths.len() != group.paths.len() {
        return Err(FormatError::ShardCount {
            expected: group.paths.len(),
            actual: lengths.len(),
        });
    }
    let sum = lengths.iter().fold(0u64, |a, &b| a.saturating_add(b));
    if sum == expected_total {
        return Ok(());
    }
    let n = lengths.len();
    let name = |i: usize| shard_name(i, (expected_total, sum));
    if n == 0 {
        return Err(FormatError::ShardLength {
            shard: "(no shards listed in the manifest group)".into(),
            expected: expected_total,
            actual: 0,
            looks_like: None,
        });
    }
    if n == 1 {
        return Err(FormatError::ShardLength {
            shard: name(0),
            expected: expected_total,
            actual: lengths[0],
            looks_like: sniff(0),
        });
    }
    // Infer the common shard size S: a length shared by non-last shards that
    // is consistent with the total, i.e. (n-1)·S < total ≤ n·S.
    let consistent = |s: u64| {
        s > 0
            && s.checked_mul(n as u64 - 1)
                .is_some_and(|a| a < expected_total)
            && s.checked_mul(n as u64).is_some_and(|a| a >= expected_total)
    };
    let mut candidates: Vec<(u64, usize)> = Vec::new();
    for &l in &lengths[..n - 1] {
        match candidates.iter_mut().find(|(s, _)| *s == l) {
            Some(c) => c.1 += 1,
            None => candidates.push((l, 1)),
        }
    }
    let size = candidates
        .iter()
        .filter(|(s, _)| consistent(*s))
        .max_by_key(|(_, c)| *c)
        .map(|(s, _)| *s);
    // A shard that looks like a text error page is the prime suspect.
    if let Some(i) = (0..n).find(|&i| sniff(i).is_some()) {
        let expected = match size {
            Some(s) if i < n - 1 => s,
            Some(s) => expected_total - s * (n as u64 - 1),
            None => expected_total.saturating_sub(sum - lengths[i]),
        };
        if expected != lengths[i] {
            return Err(FormatError::ShardLength {
                shard: name(i),
                expected,
                actual: lengths[i],
                looks_like: sniff(i),
            });
        }
    }
    if let Some(s) = size {
        if let Some(i) = (0..n - 1).find(|&i| lengths[i] != s) {
            return Err(FormatError::ShardLength {
                shard: name(i),
                expected: s,
                actual: lengths[i],
                looks_like: sniff(i),
            });
        }
        return Err(FormatError::ShardLength {
            shard: name(n - 1),
            expected: expected_total - s * (n as u64 - 1),
            actual: lengths[n - 1],
            looks_like: sniff(n - 1),
        });
    }
    // No consistent common size: blame the last shard with what it would
    // need given the others.
    let others = sum - lengths[n - 1];
    Err(FormatError::ShardLength {
        shard: name(n - 1),
        expected: expected_total.saturating_sub(others),
        actual: lengths[n - 1],
        looks_like: sniff(n - 1),
    })
}

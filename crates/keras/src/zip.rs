//! A small zip reader and writer for `.keras` archives, which come from
//! strangers: entry names with `..`, absolute paths, backslashes, symlinks,
//! duplicate names, encrypted entries, overlapping entries, and sizes that
//! disagree with the data (zip bombs) are refused before anything is
//! inflated; inflation is capped at the declared size, and the declared size
//! at [`MAX_RATIO`] times the compressed size and [`MAX_TOTAL`] in all.

use crate::{KerasError, Result};
use std::collections::BTreeMap;

/// Largest total of declared uncompressed sizes accepted.
pub const MAX_TOTAL: u64 = 8 << 30;
/// Largest declared uncompressed / compressed ratio accepted (deflate's own
/// maximum is about 1032).
pub const MAX_RATIO: u64 = 1100;
/// Most entries accepted.
pub const MAX_ENTRIES: usize = 65_536;

fn zerr<T>(msg: impl Into<String>) -> Result<T> {
    Err(KerasError::Zip(msg.into()))
}

#[derive(Debug, Clone)]
struct Entry {
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    data_start: u64,
}

/// A parsed, validated archive.
#[derive(Debug)]
pub struct ZipArchive<'a> {
    data: &'a [u8],
    entries: BTreeMap<String, Entry>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Refuse names that could escape an extraction directory or alias others.
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return zerr("an entry has an empty name");
    }
    if name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return zerr(format!(
            "entry name {name:?} is absolute or contains `\\` or NUL"
        ));
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' {
        return zerr(format!("entry name {name:?} has a drive letter"));
    }
    if name.split('/').any(|c| c == "..") {
        return zerr(format!("entry name {name:?} contains `..`"));
    }
    Ok(())
}

impl<'a> ZipArchive<'a> {
    /// Parse and validate the central directory of `data`.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let len = data.len();
        if len < 22 {
            return zerr("not a zip archive: too short");
        }
        let lo = len.saturating_sub(22 + 65_535);
        let eocd = (lo..=len - 22)
            .rev()
            .find(|&i| u32_at(data, i) == Some(0x0605_4b50))
            .ok_or_else(|| {
                KerasError::Zip("not a zip archive: no end of central directory".into())
            })?;
        let bad = || KerasError::Zip("truncated end of central directory".into());
        if u16_at(data, eocd + 4).ok_or_else(bad)? != 0
            || u16_at(data, eocd + 6).ok_or_else(bad)? != 0
        {
            return zerr("multi-disk archives are not supported");
        }
        let mut count = u16_at(data, eocd + 10).ok_or_else(bad)? as u64;
        let mut cd_size = u32_at(data, eocd + 12).ok_or_else(bad)? as u64;
        let mut cd_off = u32_at(data, eocd + 16).ok_or_else(bad)? as u64;
        if count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_off == 0xFFFF_FFFF {
            // zip64: the locator sits right before the end record.
            let loc = eocd.checked_sub(20).ok_or_else(bad)?;
            if u32_at(data, loc) != Some(0x0706_4b50) {
                return zerr("zip64 end of central directory locator missing");
            }
            let rec = u64_at(data, loc + 8).ok_or_else(bad)? as usize;
            if u32_at(data, rec) != Some(0x0606_4b50) {
                return zerr("zip64 end of central directory record missing");
            }
            count = u64_at(data, rec + 32).ok_or_else(bad)?;
            cd_size = u64_at(data, rec + 40).ok_or_else(bad)?;
            cd_off = u64_at(data, rec + 48).ok_or_else(bad)?;
        }
        if count > MAX_ENTRIES as u64 {
            return zerr(format!("{count} entries, more than {MAX_ENTRIES}"));
        }
        let cd_end = cd_off.checked_add(cd_size).filter(|&e| e <= len as u64);
        let Some(cd_end) = cd_end else {
            return zerr("central directory lies outside the file");
        };
        let cd = &data[cd_off as usize..cd_end as usize];
        let mut pos = 0usize;
        let mut entries = BTreeMap::new();
        let mut ranges = Vec::new();
        let mut total = 0u64;
        for _ in 0..count {
            let t = || KerasError::Zip("truncated central directory entry".into());
            if u32_at(cd, pos) != Some(0x0201_4b50) {
                return zerr("bad central directory entry signature");
            }
            let made_by = u16_at(cd, pos + 4).ok_or_else(t)?;
            let flags = u16_at(cd, pos + 8).ok_or_else(t)?;
            let method = u16_at(cd, pos + 10).ok_or_else(t)?;
            let crc = u32_at(cd, pos + 16).ok_or_else(t)?;
            let mut compressed = u32_at(cd, pos + 20).ok_or_else(t)? as u64;
            let mut size = u32_at(cd, pos + 24).ok_or_else(t)? as u64;
            let name_len = u16_at(cd, pos + 28).ok_or_else(t)? as usize;
            let extra_len = u16_at(cd, pos + 30).ok_or_else(t)? as usize;
            let comment_len = u16_at(cd, pos + 32).ok_or_else(t)? as usize;
            let external = u32_at(cd, pos + 38).ok_or_else(t)?;
            let mut local = u32_at(cd, pos + 42).ok_or_else(t)? as u64;
            let name = cd.get(pos + 46..pos + 46 + name_len).ok_or_else(t)?;
            let extra = cd
                .get(pos + 46 + name_len..pos + 46 + name_len + extra_len)
                .ok_or_else(t)?;
            pos += 46 + name_len + extra_len + comment_len;
            let name = String::from_utf8(name.to_vec())
                .map_err(|_| KerasError::Zip("an entry name is not UTF-8".into()))?;
            check_name(&name)?;
            // zip64 extra field: the 0xFFFFFFFF fields, in order.
            let mut e = 0;
            while e + 4 <= extra.len() {
                let id = u16_at(extra, e).unwrap_or(0);
                let n = u16_at(extra, e + 2).unwrap_or(0) as usize;
                let body = extra.get(e + 4..e + 4 + n).unwrap_or(&[]);
                if id == 1 {
                    let mut at = 0;
                    for field in [&mut size, &mut compressed, &mut local] {
                        if *field == 0xFFFF_FFFF {
                            *field = u64_at(body, at).ok_or_else(t)?;
                            at += 8;
                        }
                    }
                }
                e += 4 + n;
            }
            if flags & 1 != 0 {
                return zerr(format!("entry {name:?} is encrypted"));
            }
            let unix_mode = (external >> 16) & 0o170_000;
            if made_by >> 8 == 3 && unix_mode == 0o120_000 {
                return zerr(format!("entry {name:?} is a symbolic link"));
            }
            match method {
                0 if compressed != size => {
                    return zerr(format!(
                        "stored entry {name:?} declares {size} bytes but holds {compressed}"
                    ))
                }
                0 | 8 => {}
                m => return zerr(format!("entry {name:?} uses compression method {m}")),
            }
            if size > compressed.saturating_mul(MAX_RATIO).max(1024) {
                return zerr(format!(
                    "entry {name:?} declares {size} bytes from {compressed} compressed (ratio over {MAX_RATIO}): zip bomb"
                ));
            }
            total = total.saturating_add(size);
            if total > MAX_TOTAL {
                return zerr(format!(
                    "entries declare more than {MAX_TOTAL} bytes in all"
                ));
            }
            let lh = usize::try_from(local).ok().filter(|&l| l + 30 <= len);
            let Some(lh) = lh else {
                return zerr(format!("entry {name:?}: local header outside the file"));
            };
            if u32_at(data, lh) != Some(0x0403_4b50) {
                return zerr(format!("entry {name:?}: bad local header signature"));
            }
            let lname = u16_at(data, lh + 26).unwrap_or(0) as u64;
            let lextra = u16_at(data, lh + 28).unwrap_or(0) as u64;
            let data_start = local + 30 + lname + lextra;
            let data_end = data_start.checked_add(compressed).filter(|&x| x <= cd_off);
            let Some(data_end) = data_end else {
                return zerr(format!(
                    "entry {name:?}: data runs past the central directory"
                ));
            };
            ranges.push((local, data_end, name.clone()));
            let entry = Entry {
                method,
                crc,
                compressed,
                size,
                data_start,
            };
            if entries.insert(name.clone(), entry).is_some() {
                return zerr(format!("duplicate entry {name:?}"));
            }
        }
        ranges.sort();
        for w in ranges.windows(2) {
            if w[1].0 < w[0].1 {
                return zerr(format!("entries {:?} and {:?} overlap", w[0].2, w[1].2));
            }
        }
        Ok(ZipArchive { data, entries })
    }

    /// Entry names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The bytes of entry `name` (`None` if absent), inflated with the
    /// declared size as a hard cap and checked against its CRC-32.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let Some(e) = self.entries.get(name) else {
            return Ok(None);
        };
        let raw = &self.data[e.data_start as usize..(e.data_start + e.compressed) as usize];
        let out = if e.method == 0 {
            raw.to_vec()
        } else {
            let limit = usize::try_from(e.size)
                .map_err(|_| KerasError::Zip(format!("{name:?} too large")))?;
            miniz_oxide::inflate::decompress_to_vec_with_limit(raw, limit).map_err(|err| {
                KerasError::Zip(format!(
                    "entry {name:?}: corrupt deflate data or more than its declared {} bytes ({err:?})",
                    e.size
                ))
            })?
        };
        if out.len() as u64 != e.size {
            return zerr(format!(
                "entry {name:?} inflates to {} bytes, declared {}",
                out.len(),
                e.size
            ));
        }
        if crc32(&out) != e.crc {
            return zerr(format!("entry {name:?}: CRC-32 mismatch"));
        }
        Ok(Some(out))
    }
}

/// CRC-32 (IEEE), as zip uses.
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    let mut c = !0u32;
    for &b in data {
        c = table[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// Write a zip of stored (uncompressed) entries, in the given order.
pub fn write_stored(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&0x031Eu16.to_le_bytes()); // made by: unix, 3.0
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&[0; 6]); // comment length, disk, internal attrs
                h.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes());
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    finish_archive(&mut out, &central, entries.len());
    out
}

/// Close a zip whose local entries are in `out`: append the `central`
/// directory of its `entries` entries and the end-of-central-directory
/// record (single disk, no comment).
pub fn finish_archive(out: &mut Vec<u8>, central: &[u8], entries: usize) {
    let cd_off = out.len() as u32;
    out.extend_from_slice(central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
}

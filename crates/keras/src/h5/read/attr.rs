//! Attributes and datatypes: the attribute message, variable-length
//! strings in the global heap, the datatype message, and attribute values
//! as numbers.

use super::*;

impl<'a> H5File<'a> {
    pub(super) fn attribute(&self, body: &[u8], path: &str) -> Result<(String, AttrValue)> {
        let mut c = Cursor::new(body, "attribute message");
        let version = c.u8()?;
        if !(1..=3).contains(&version) {
            return err(format!(
                "{path}: unsupported attribute message version {version}"
            ));
        }
        let flags = c.u8()?;
        if version >= 2 && flags & 0x03 != 0 {
            return err(format!(
                "{path}: attributes with shared datatypes are not supported"
            ));
        }
        let name_len = c.u16()? as usize;
        let type_len = c.u16()? as usize;
        let space_len = c.u16()? as usize;
        if version == 3 {
            c.skip(1)?;
        }
        let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
        let name = c.take(pad(name_len))?;
        let name = &name[..name_len.min(name.len())];
        let name = name.split(|&b| b == 0).next().unwrap_or(&[]);
        let name = String::from_utf8(name.to_vec())
            .or_else(|_| err(format!("{path}: attribute name is not UTF-8")))?;
        let where_ = format!("{path}@{name}");
        let type_bytes = c.take(pad(type_len))?;
        let dtype = parse_datatype(&mut Cursor::new(type_bytes, "attribute datatype"), &where_)?;
        let space = c.take(pad(space_len))?;
        let dims = self.dataspace(space, &where_)?;
        let count = element_count(&dims, &where_)?;
        let elem = dtype.stored_size(self.offset_size) as u64;
        let need = count
            .checked_mul(elem)
            .filter(|&n| n <= c.remaining() as u64);
        let Some(need) = need else {
            return err(format!(
                "{where_}: declares {count} elements of {elem} bytes but holds {} bytes",
                c.remaining()
            ));
        };
        let raw = c.take(need as usize)?;
        let value = if count == 0 {
            AttrValue::Empty
        } else {
            match &dtype {
                Datatype::VarString => {
                    let mut out = Vec::new();
                    for e in raw.chunks_exact(elem as usize) {
                        out.push(self.vlen_string(e, &where_)?);
                    }
                    AttrValue::Strings(out)
                }
                Datatype::FixedString { size } => AttrValue::Strings(
                    raw.chunks_exact((*size).max(1))
                        .map(|s| {
                            let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
                            String::from_utf8_lossy(&s[..end]).into_owned()
                        })
                        .collect(),
                ),
                Datatype::Int {
                    size, big_endian, ..
                }
                | Datatype::Float { size, big_endian } => {
                    let mut le_bytes = raw.to_vec();
                    if *big_endian {
                        le_bytes.chunks_exact_mut(*size).for_each(<[u8]>::reverse);
                    }
                    AttrValue::Numbers {
                        values: to_f64(raw, &dtype),
                        le_bytes,
                    }
                }
                _ => AttrValue::Other(raw.to_vec()),
            }
        };
        Ok((name, value))
    }

    pub(super) fn vlen_string(&self, e: &[u8], path: &str) -> Result<String> {
        let mut c = Cursor::new(e, "variable-length string");
        let len = c.u32()? as u64;
        let heap = c.uint(self.offset_size)?;
        let index = c.u32()?;
        if len == 0 {
            return Ok(String::new());
        }
        let mut h = self.signed(heap, b"GCOL", "global heap", "global heap", path)?;
        h.skip(4)?;
        let size = to_usize(h.uint(self.length_size)?, "global heap size")?;
        if size > h.buf.len() {
            return err(format!(
                "{path}: global heap at {heap} is larger than the file"
            ));
        }
        let mut h = Cursor::new(&h.buf[..size], "global heap");
        h.skip(8 + self.length_size)?;
        while h.remaining() >= 8 + self.length_size {
            let id = h.u16()?;
            h.skip(6)?;
            let osize = to_usize(h.uint(self.length_size)?, "global heap object size")?;
            if id == 0 {
                break;
            }
            let data = h.take(osize)?;
            if id as u32 == index {
                let Some(s) = data.get(..to_usize(len, "string length")?) else {
                    return err(format!("{path}: string longer than its heap object"));
                };
                return String::from_utf8(s.to_vec())
                    .or_else(|_| err(format!("{path}: string is not UTF-8")));
            }
            h.skip(osize.div_ceil(8) * 8 - osize)
                .or_else(|_| err(format!("{path}: truncated global heap object")))?;
        }
        err(format!(
            "{path}: global heap object {index} not found at {heap}"
        ))
    }
}

pub(super) fn parse_datatype(c: &mut Cursor, path: &str) -> Result<Datatype> {
    let head = c.u8()?;
    let class = head & 0x0F;
    let bits = [c.u8()?, c.u8()?, c.u8()?];
    let size = c.u32()? as usize;
    let big = bits[0] & 1 != 0;
    let t = match class {
        0 => {
            if !matches!(size, 1 | 2 | 4 | 8) {
                return err(format!("{path}: integer size {size} not supported"));
            }
            Datatype::Int {
                size,
                signed: bits[0] & 0x08 != 0,
                big_endian: big,
            }
        }
        1 => {
            if !matches!(size, 2 | 4 | 8) || bits[0] & 0x40 != 0 {
                return err(format!("{path}: float of size {size} not supported"));
            }
            Datatype::Float {
                size,
                big_endian: big,
            }
        }
        3 => Datatype::FixedString { size },
        5 => Datatype::Opaque { size },
        8 => Datatype::Enum { size },
        9 => {
            if bits[0] & 0x0F != 1 {
                return err(format!(
                    "{path}: variable-length sequences are not supported"
                ));
            }
            Datatype::VarString
        }
        k => return err(format!("{path}: datatype class {k} is not supported")),
    };
    if size == 0 && !matches!(t, Datatype::VarString) {
        return err(format!("{path}: zero-sized datatype"));
    }
    Ok(t)
}

/// Convert raw numeric elements to f64 (attribute values).
fn to_f64(raw: &[u8], t: &Datatype) -> Vec<f64> {
    let (size, big) = match t {
        Datatype::Int {
            size, big_endian, ..
        }
        | Datatype::Float { size, big_endian } => (*size, *big_endian),
        _ => return vec![],
    };
    raw.chunks_exact(size)
        .map(|b| {
            let mut v = [0u8; 8];
            v[..size].copy_from_slice(b);
            if big {
                v[..size].reverse();
            }
            match t {
                Datatype::Float { size: 8, .. } => f64::from_le_bytes(v),
                Datatype::Float { size: 4, .. } => {
                    f32::from_le_bytes([v[0], v[1], v[2], v[3]]) as f64
                }
                Datatype::Float { .. } => half::f16::from_le_bytes([v[0], v[1]]).to_f64(),
                Datatype::Int { signed: true, .. } => {
                    let shift = 64 - 8 * size as u32;
                    ((i64::from_le_bytes(v) << shift) >> shift) as f64
                }
                _ => u64::from_le_bytes(v) as f64,
            }
        })
        .collect()
}

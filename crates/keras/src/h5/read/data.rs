//! Dataset contents: the layout message (compact, contiguous, chunked),
//! chunk B-trees, filters (deflate, shuffle) and reading the bytes, every
//! size checked against the file before anything is allocated.

use super::*;

/// A chunked dataset being read: its info, its element size and its path
/// (for errors).
pub(super) struct ChunkedRead<'d> {
    pub(super) d: &'d DatasetInfo,
    pub(super) elem: u64,
    pub(super) path: &'d str,
}

impl<'a> H5File<'a> {
    pub(super) fn layout(&self, body: &[u8], path: &str) -> Result<Layout> {
        let mut c = Cursor::new(body, "data layout");
        let version = c.u8()?;
        match version {
            1 | 2 => {
                let rank = c.u8()? as usize;
                let class = c.u8()?;
                c.skip(5)?;
                let addr = if class != 0 {
                    c.uint(self.offset_size)?
                } else {
                    UNDEFINED
                };
                let mut dims = Vec::new();
                for _ in 0..rank.min(MAX_RANK + 1) {
                    dims.push(c.u32()? as u64);
                }
                match class {
                    0 => {
                        let size = c.u32()? as usize;
                        Ok(Layout::Compact(c.take(size)?.to_vec()))
                    }
                    // Old layouts give no byte size; the read is bounded by the file.
                    1 => Ok(Layout::Contiguous {
                        address: addr,
                        size: u64::MAX,
                    }),
                    _ => Ok(Layout::Chunked {
                        btree: addr,
                        chunk: dims,
                    }),
                }
            }
            3 | 4 => {
                let class = c.u8()?;
                match class {
                    0 => {
                        let size = c.u16()? as usize;
                        Ok(Layout::Compact(c.take(size)?.to_vec()))
                    }
                    1 => Ok(Layout::Contiguous {
                        address: c.uint(self.offset_size)?,
                        size: c.uint(self.length_size)?,
                    }),
                    2 if version == 3 => {
                        let rank = c.u8()? as usize;
                        if rank == 0 || rank > MAX_RANK + 1 {
                            return err(format!("{path}: chunk rank {rank} out of range"));
                        }
                        let btree = c.uint(self.offset_size)?;
                        let mut chunk = Vec::with_capacity(rank);
                        for _ in 0..rank {
                            chunk.push(c.u32()? as u64);
                        }
                        Ok(Layout::Chunked { btree, chunk })
                    }
                    2 => {
                        let flags = c.u8()?;
                        let rank = c.u8()? as usize;
                        let width = c.u8()? as usize;
                        if rank == 0 || rank > MAX_RANK + 1 || width == 0 || width > 8 {
                            return err(format!("{path}: bad chunk layout"));
                        }
                        let mut chunk = Vec::with_capacity(rank);
                        for _ in 0..rank {
                            chunk.push(c.uint(width)?);
                        }
                        match c.u8()? {
                            1 => {
                                let (size, filter_mask) = if flags & 2 != 0 {
                                    (c.uint(self.length_size)?, c.u32()?)
                                } else {
                                    (u64::MAX, 0)
                                };
                                Ok(Layout::SingleChunk {
                                    address: c.uint(self.offset_size)?,
                                    size,
                                    chunk,
                                    filter_mask,
                                })
                            }
                            i => err(format!(
                                "{path}: chunk index type {i} is not supported (only B-tree v1 and single chunk)"
                            )),
                        }
                    }
                    3 => err(format!("{path}: virtual datasets are not supported")),
                    k => err(format!("{path}: unknown layout class {k}")),
                }
            }
            v => err(format!("{path}: unsupported data layout version {v}")),
        }
    }

    /// The dataset's elements, in C order, as stored (element byte order of
    /// the file; see [`Datatype`]). Sizes are checked against the file before
    /// anything is allocated.
    pub fn read(&self, d: &DatasetInfo, path: &str) -> Result<Vec<u8>> {
        self.read_cow(d, path).map(Cow::into_owned)
    }

    /// [`H5File::read`] without a copy where the elements lie in the file
    /// as they are (contiguous storage).
    pub fn read_cow(&self, d: &DatasetInfo, path: &str) -> Result<Cow<'a, [u8]>> {
        let count = element_count(&d.shape, path)?;
        let elem = d.dtype.stored_size(self.offset_size) as u64;
        let total = count
            .checked_mul(elem)
            .ok_or_else(|| H5Error(format!("{path}: dataset size overflows")))?;
        if total == 0 {
            return Ok(Cow::Borrowed(&[]));
        }
        let read = ChunkedRead { d, elem, path };
        match &d.layout {
            Layout::Compact(bytes) => {
                if bytes.len() as u64 != total {
                    return err(format!(
                        "{path}: compact data holds {} bytes, shape needs {total}",
                        bytes.len()
                    ));
                }
                Ok(Cow::Owned(bytes.clone()))
            }
            Layout::Contiguous { address, size } => {
                if *address == UNDEFINED {
                    // Never written: h5py reads the fill value (zeros).
                    if total > self.data.len() as u64 {
                        return err(format!(
                            "{path}: unwritten dataset declares {total} bytes, more than the file"
                        ));
                    }
                    return Ok(Cow::Owned(vec![0; total as usize]));
                }
                if *size < total {
                    return err(format!(
                        "{path}: contiguous storage of {size} bytes is smaller than the {total} bytes its shape needs"
                    ));
                }
                Ok(Cow::Borrowed(self.bytes(*address, total, path)?))
            }
            Layout::Chunked { btree, chunk } => {
                self.check_chunked_size(total, path)?;
                let mut out = vec![0u8; total as usize];
                if *btree != UNDEFINED {
                    self.read_chunks(*btree, chunk, &read, &mut out)?;
                }
                Ok(Cow::Owned(out))
            }
            Layout::SingleChunk {
                address,
                size,
                chunk,
                filter_mask,
            } => {
                self.check_chunked_size(total, path)?;
                let mut out = vec![0u8; total as usize];
                let stored = if *size == u64::MAX { total } else { *size };
                let raw = self.bytes(*address, stored, path)?;
                let offsets = vec![0u64; chunk.len()];
                self.place_chunk(raw, *filter_mask, &offsets, chunk, &read, &mut out)?;
                Ok(Cow::Owned(out))
            }
        }
    }

    pub(super) fn check_chunked_size(&self, total: u64, path: &str) -> Result<()> {
        let cap = (self.data.len() as u64).saturating_mul(MAX_INFLATE_RATIO);
        if total > cap {
            return err(format!(
                "{path}: declares {total} bytes, more than {MAX_INFLATE_RATIO}x the file size; refusing"
            ));
        }
        Ok(())
    }

    /// Place every chunk of the B-tree at `root` (chunks of shape `chunk`,
    /// the element size last as the layout stores it) into `out`.
    pub(super) fn read_chunks(
        &self,
        root: u64,
        chunk: &[u64],
        read: &ChunkedRead,
        out: &mut [u8],
    ) -> Result<()> {
        let (rank, path) = (chunk.len(), read.path);
        let mut visited = HashSet::new();
        let mut seen_offsets = HashSet::new();
        let mut nodes = vec![(root, None::<u8>)];
        while let Some((addr, expect)) = nodes.pop() {
            if !visited.insert(addr) {
                return err(format!("{path}: chunk B-tree cycle at node {addr}"));
            }
            let mut c = Cursor::new(
                self.from(addr, &format!("chunk B-tree of {path}"))?,
                "chunk B-tree node",
            );
            if c.take(4)? != b"TREE" || c.u8()? != 1 {
                return err(format!("{path}: bad chunk B-tree node at {addr}"));
            }
            let level = c.u8()?;
            if level > MAX_BTREE_LEVEL || expect.is_some_and(|l| l != level) {
                return err(format!("{path}: inconsistent chunk B-tree level at {addr}"));
            }
            let entries = c.u16()? as usize;
            c.skip(2 * self.offset_size)?;
            for _ in 0..entries {
                let size = c.u32()? as u64;
                let mask = c.u32()?;
                let mut offsets = Vec::with_capacity(rank);
                for _ in 0..rank {
                    offsets.push(c.uint(8)?);
                }
                let child = c.uint(self.offset_size)?;
                if level > 0 {
                    nodes.push((child, Some(level - 1)));
                    continue;
                }
                if !seen_offsets.insert(offsets.clone()) {
                    return err(format!(
                        "{path}: overlapping chunks (offset {offsets:?} stored twice)"
                    ));
                }
                let raw = self.bytes(child, size, &format!("chunk of {path}"))?;
                self.place_chunk(raw, mask, &offsets, chunk, read, out)?;
            }
        }
        Ok(())
    }

    pub(super) fn place_chunk(
        &self,
        raw: &[u8],
        mask: u32,
        offsets: &[u64],
        chunk: &[u64],
        read: &ChunkedRead,
        out: &mut [u8],
    ) -> Result<()> {
        let ChunkedRead { d, elem, path } = *read;
        let rank = d.shape.len();
        if chunk.len() != rank + 1 || offsets.len() != rank + 1 {
            return err(format!(
                "{path}: chunk rank does not match the dataspace rank {rank}"
            ));
        }
        if chunk[rank] != elem {
            return err(format!(
                "{path}: chunk element size {} differs from the datatype size {elem}",
                chunk[rank]
            ));
        }
        for i in 0..rank {
            if chunk[i] == 0
                || !offsets[i].is_multiple_of(chunk[i])
                || offsets[i] >= d.shape[i].max(1)
            {
                return err(format!(
                    "{path}: chunk offset {:?} is misaligned or outside the shape {:?}",
                    &offsets[..rank],
                    d.shape
                ));
            }
        }
        let chunk_elems = element_count(&chunk[..rank], path)?;
        let chunk_bytes = chunk_elems
            .checked_mul(elem)
            .filter(|&n| n <= out.len() as u64 * 2 + (1 << 20))
            .ok_or_else(|| H5Error(format!("{path}: chunk shape {chunk:?} is too large")))?;
        let mut data = raw.to_vec();
        for (i, f) in d.filters.iter().enumerate().rev() {
            if mask & (1 << i) != 0 {
                continue;
            }
            data = match f {
                Filter::Deflate => inflate_exact(&data, chunk_bytes as usize, path)?,
                Filter::Shuffle => unshuffle(&data, elem as usize),
                Filter::Fletcher32 => {
                    if data.len() < 4 {
                        return err(format!("{path}: chunk too short for its checksum"));
                    }
                    data.truncate(data.len() - 4);
                    data
                }
            };
        }
        if data.len() as u64 != chunk_bytes {
            return err(format!(
                "{path}: chunk at {:?} holds {} bytes, expected {chunk_bytes}",
                &offsets[..rank],
                data.len()
            ));
        }
        // Copy the part of the chunk inside the dataspace, row by row.
        let e = elem as usize;
        if rank == 0 {
            out.copy_from_slice(&data[..out.len()]);
            return Ok(());
        }
        let mut strides = vec![1u64; rank];
        for i in (0..rank - 1).rev() {
            strides[i] = strides[i + 1] * d.shape[i + 1];
        }
        let row = (d.shape[rank - 1] - offsets[rank - 1]).min(chunk[rank - 1]) as usize;
        let outer: Vec<u64> = (0..rank - 1)
            .map(|i| (d.shape[i] - offsets[i]).min(chunk[i]))
            .collect();
        let mut idx = vec![0u64; rank - 1];
        loop {
            let mut src = 0u64;
            let mut dst = offsets[rank - 1];
            let mut cstride = chunk[rank - 1];
            for i in (0..rank - 1).rev() {
                src += idx[i] * cstride;
                cstride *= chunk[i];
                dst += (offsets[i] + idx[i]) * strides[i];
            }
            let (s, t) = (src as usize * e, dst as usize * e);
            out[t..t + row * e].copy_from_slice(&data[s..s + row * e]);
            // next index
            let mut k = rank - 1;
            loop {
                if k == 0 {
                    return Ok(());
                }
                k -= 1;
                idx[k] += 1;
                if idx[k] < outer[k] {
                    break;
                }
                idx[k] = 0;
            }
        }
    }
}

pub(super) fn parse_filters(body: &[u8], path: &str) -> Result<Vec<Filter>> {
    let mut c = Cursor::new(body, "filter pipeline");
    let version = c.u8()?;
    let n = c.u8()? as usize;
    if version == 1 {
        c.skip(6)?;
    } else if version != 2 {
        return err(format!(
            "{path}: unsupported filter pipeline version {version}"
        ));
    }
    let mut out = Vec::new();
    for _ in 0..n {
        let id = c.u16()?;
        let name_len = if version == 1 || id >= 256 {
            c.u16()? as usize
        } else {
            0
        };
        let flags = c.u16()?;
        let values = c.u16()? as usize;
        if version == 1 {
            c.skip(name_len.div_ceil(8) * 8)?;
        } else {
            c.skip(name_len)?;
        }
        c.skip(values * 4)?;
        if version == 1 && values % 2 == 1 {
            c.skip(4)?;
        }
        out.push(match id {
            1 => Filter::Deflate,
            2 => Filter::Shuffle,
            3 => Filter::Fletcher32,
            _ if flags & 1 != 0 => continue, // optional filter: may be skipped
            other => return err(format!("{path}: filter {other} is not supported")),
        });
    }
    Ok(out)
}

pub(super) fn inflate_exact(data: &[u8], expect: usize, path: &str) -> Result<Vec<u8>> {
    // zlib stream; output capped at the chunk size so a bomb cannot grow.
    let out =
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, expect).or_else(|e| {
            err(format!(
                "{path}: deflate chunk is corrupt or larger than its {expect} bytes: {e:?}"
            ))
        })?;
    Ok(out)
}

pub(super) fn unshuffle(data: &[u8], elem: usize) -> Vec<u8> {
    if elem <= 1 || !data.len().is_multiple_of(elem) {
        return data.to_vec();
    }
    let n = data.len() / elem;
    let mut out = vec![0u8; data.len()];
    for b in 0..elem {
        for i in 0..n {
            out[i * elem + b] = data[b * n + i];
        }
    }
    out
}

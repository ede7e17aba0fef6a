//! A small, read-only HDF5 reader for the files Keras and h5py write.
//!
//! Supported: superblock v0–v3, object headers v1/v2 (with continuation
//! blocks), old-style groups (symbol table, B-tree v1, local heap) and
//! new-style compact groups (link messages), attributes (v1–v3) in the object
//! header, contiguous / compact / chunked (B-tree v1 index, deflate and
//! shuffle filters) datasets, fixed-point, floating-point, opaque, fixed- and
//! variable-length string types (global heap).
//!
//! Everything read from the file is untrusted: every address and length is
//! checked against the file size before use, nothing is allocated from a
//! declared size before that size is checked, object graphs are walked with
//! cycle detection and depth limits, and chunk sets are checked for
//! duplicates, misalignment and out-of-range offsets. Unsupported features
//! (dense link/attribute storage in fractal heaps, external files, other
//! filters) are refused with an error naming them.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

mod attr;
mod data;

use attr::parse_datatype;
use data::parse_filters;

/// An HDF5 reading error: what was wrong, and where (object path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HDF5: {0}")]
pub struct H5Error(pub String);

type Result<T> = std::result::Result<T, H5Error>;

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(H5Error(msg.into()))
}

const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";
const UNDEFINED: u64 = u64::MAX;
/// Deepest group nesting walked (Keras files nest a handful of levels).
const MAX_DEPTH: usize = 64;
/// Most B-tree levels followed (real files use a few).
const MAX_BTREE_LEVEL: u8 = 32;
/// Most object-header continuation blocks followed per object.
const MAX_CONTINUATIONS: usize = 4096;
/// The largest output deflate can make from one input byte (RFC 1951 limit
/// is about 1032:1); a chunked dataset declaring more than this many bytes
/// per stored byte is refused before anything is inflated.
const MAX_INFLATE_RATIO: u64 = 1100;
/// Most dimensions of a dataspace (HDF5's own limit).
const MAX_RANK: usize = 32;

/// An element type, reduced to what Keras weights and attributes use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datatype {
    /// Integer of `size` bytes.
    Int {
        /// Bytes per element.
        size: usize,
        /// Two's complement signed.
        signed: bool,
        /// Big-endian storage.
        big_endian: bool,
    },
    /// IEEE float of `size` bytes (2, 4 or 8).
    Float {
        /// Bytes per element.
        size: usize,
        /// Big-endian storage.
        big_endian: bool,
    },
    /// Fixed-length string of `size` bytes.
    FixedString {
        /// Bytes per element.
        size: usize,
    },
    /// Variable-length string (global heap references).
    VarString,
    /// Opaque bytes of `size` (h5py's spelling of ml_dtypes' bfloat16).
    Opaque {
        /// Bytes per element.
        size: usize,
    },
    /// Enumeration over an integer (h5py's bool is an int8 enum).
    Enum {
        /// Bytes per element.
        size: usize,
    },
}

impl Datatype {
    /// Bytes per element as stored in a dataset or attribute.
    pub fn stored_size(&self, offset_size: usize) -> usize {
        match self {
            Datatype::Int { size, .. }
            | Datatype::Float { size, .. }
            | Datatype::FixedString { size }
            | Datatype::Opaque { size }
            | Datatype::Enum { size } => *size,
            Datatype::VarString => 4 + offset_size + 4,
        }
    }
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// One or more strings (scalar or 1-D).
    Strings(Vec<String>),
    /// Numbers: converted to f64, and the element bytes little-endian.
    Numbers {
        /// The values.
        values: Vec<f64>,
        /// Element bytes as stored, little-endian.
        le_bytes: Vec<u8>,
    },
    /// An empty or null dataspace (h5py writes `[]` that way).
    Empty,
    /// Something else (kept as raw bytes).
    Other(Vec<u8>),
}

impl AttrValue {
    /// The strings, when the value is a string (an empty value is no strings).
    pub fn strings(&self) -> Option<&[String]> {
        match self {
            AttrValue::Strings(s) => Some(s),
            AttrValue::Empty => Some(&[]),
            _ => None,
        }
    }

    /// The single string of a scalar string attribute.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::Strings(s) if s.len() == 1 => Some(&s[0]),
            _ => None,
        }
    }
}

/// A dataset's description (its bytes are read on demand).
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetInfo {
    /// Dimensions (empty for a scalar).
    pub shape: Vec<u64>,
    /// Element type.
    pub dtype: Datatype,
    /// Attributes, by name.
    pub attrs: BTreeMap<String, AttrValue>,
    layout: Layout,
    filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq)]
enum Layout {
    Compact(Vec<u8>),
    Contiguous {
        address: u64,
        size: u64,
    },
    Chunked {
        btree: u64,
        chunk: Vec<u64>,
    },
    SingleChunk {
        address: u64,
        size: u64,
        chunk: Vec<u64>,
        filter_mask: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Filter {
    Deflate,
    Shuffle,
    Fletcher32,
}

/// A node of the file's object tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A group: attributes and children sorted by name (h5py's iteration order).
    Group {
        /// Attributes, by name.
        attrs: BTreeMap<String, AttrValue>,
        /// Children, by name (byte order, as HDF5's name index).
        children: BTreeMap<String, Node>,
    },
    /// A dataset.
    Dataset(DatasetInfo),
}

impl Node {
    /// Attributes of a group or dataset.
    pub fn attrs(&self) -> &BTreeMap<String, AttrValue> {
        match self {
            Node::Group { attrs, .. } => attrs,
            Node::Dataset(d) => &d.attrs,
        }
    }

    /// The children of a group (none for a dataset).
    pub fn children(&self) -> Option<&BTreeMap<String, Node>> {
        match self {
            Node::Group { children, .. } => Some(children),
            Node::Dataset(_) => None,
        }
    }

    /// Follow a `/`-separated path of child names.
    pub fn get(&self, path: &str) -> Option<&Node> {
        let mut node = self;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            node = node.children()?.get(part)?;
        }
        Some(node)
    }
}

/// An opened HDF5 file: the whole object tree, read eagerly (metadata only;
/// dataset bytes are read by [`H5File::read`]).
#[derive(Debug)]
pub struct H5File<'a> {
    data: &'a [u8],
    base: u64,
    offset_size: usize,
    length_size: usize,
    /// The root group.
    pub root: Node,
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8], what: &'static str) -> Self {
        Cursor { buf, pos: 0, what }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.buf.len() => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            _ => err(format!(
                "truncated {}: needs {n} bytes at offset {}, has {}",
                self.what,
                self.pos,
                self.buf.len().saturating_sub(self.pos)
            )),
        }
    }
    fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn uint(&mut self, n: usize) -> Result<u64> {
        let b = self.take(n)?;
        let mut v = [0u8; 8];
        v[..n.min(8)].copy_from_slice(&b[..n.min(8)]);
        let x = u64::from_le_bytes(v);
        // All-ones of any width is HDF5's "undefined address".
        if n < 8 && b.iter().all(|&x| x == 0xFF) {
            return Ok(UNDEFINED);
        }
        Ok(x)
    }
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
}

fn to_usize(v: u64, what: &str) -> Result<usize> {
    usize::try_from(v).or_else(|_| err(format!("{what} {v} does not fit in memory")))
}

struct Message<'a> {
    kind: u16,
    flags: u8,
    body: &'a [u8],
}

impl<'a> H5File<'a> {
    /// Parse the superblock and the whole group tree of `data`.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let mut at = None;
        let mut probe = 0usize;
        while probe + 8 <= data.len() {
            if &data[probe..probe + 8] == SIGNATURE {
                at = Some(probe);
                break;
            }
            probe = if probe == 0 { 512 } else { probe * 2 };
        }
        let Some(sb) = at else {
            return err("not an HDF5 file: no superblock signature");
        };
        let mut c = Cursor::new(&data[sb..], "superblock");
        c.skip(8)?;
        let version = c.u8()?;
        let (offset_size, length_size, base, root_addr);
        match version {
            0 | 1 => {
                c.skip(4)?;
                offset_size = c.u8()? as usize;
                length_size = c.u8()? as usize;
                c.skip(1)?;
                c.skip(4 + 4)?; // group K values, consistency flags
                if version == 1 {
                    c.skip(4)?;
                }
                check_sizes(offset_size, length_size)?;
                base = c.uint(offset_size)?;
                c.skip(3 * offset_size)?; // free space, end of file, driver info
                c.skip(offset_size)?; // root link name offset
                root_addr = c.uint(offset_size)?;
            }
            2 | 3 => {
                offset_size = c.u8()? as usize;
                length_size = c.u8()? as usize;
                c.skip(1)?;
                check_sizes(offset_size, length_size)?;
                base = c.uint(offset_size)?;
                c.skip(2 * offset_size)?; // extension, end of file
                root_addr = c.uint(offset_size)?;
            }
            v => return err(format!("unsupported superblock version {v}")),
        }
        let base = if base == UNDEFINED { 0 } else { base };
        let mut file = H5File {
            data,
            base,
            offset_size,
            length_size,
            root: Node::Group {
                attrs: BTreeMap::new(),
                children: BTreeMap::new(),
            },
        };
        let mut path = Vec::new();
        file.root = file.read_object(root_addr, "/", &mut path)?;
        if file.root.children().is_none() {
            return err("the root object is not a group");
        }
        Ok(file)
    }

    /// Bytes `[addr, addr+len)` of the file (addresses are relative to the
    /// base address), checked against the file size.
    fn bytes(&self, addr: u64, len: u64, what: &str) -> Result<&'a [u8]> {
        if addr == UNDEFINED {
            return err(format!("{what}: undefined address"));
        }
        let start = addr.checked_add(self.base);
        let end = start.and_then(|s| s.checked_add(len));
        match (start, end) {
            (Some(s), Some(e)) if e <= self.data.len() as u64 => {
                Ok(&self.data[s as usize..e as usize])
            }
            _ => err(format!(
                "{what}: bytes {addr}..+{len} lie outside the file ({} bytes)",
                self.data.len()
            )),
        }
    }

    fn from(&self, addr: u64, what: &str) -> Result<&'a [u8]> {
        let len = (self.data.len() as u64).saturating_sub(addr.saturating_add(self.base));
        self.bytes(addr, len, what)
    }

    /// The structure at `addr` (read to the end of the file) past its
    /// 4-byte `signature`, which must be there: `what` names the structure
    /// in errors (`bad {what} signature at {addr}`), `cursor` in truncation
    /// errors while it is read.
    fn signed(
        &self,
        addr: u64,
        signature: &[u8; 4],
        what: &str,
        cursor: &'static str,
        path: &str,
    ) -> Result<Cursor<'a>> {
        let mut c = Cursor::new(self.from(addr, &format!("{what} of {path}"))?, cursor);
        if c.take(4)? != signature {
            return err(format!("{path}: bad {what} signature at {addr}"));
        }
        Ok(c)
    }

    fn messages(&self, addr: u64, path: &str) -> Result<Vec<Message<'a>>> {
        let head = self.from(addr, &format!("object header of {path}"))?;
        let mut out = Vec::new();
        let mut blocks: Vec<(u64, u64)> = Vec::new();
        let mut seen = HashSet::new();
        if head.starts_with(b"OHDR") {
            let mut c = Cursor::new(head, "object header");
            c.skip(4)?;
            if c.u8()? != 2 {
                return err(format!("{path}: unsupported object header version"));
            }
            let flags = c.u8()?;
            if flags & 0x20 != 0 {
                c.skip(16)?;
            }
            if flags & 0x10 != 0 {
                c.skip(4)?;
            }
            let size = c.uint(1 << (flags & 3))?;
            let start = c.pos as u64;
            let chunk = self.bytes(addr + start, size, &format!("object header of {path}"))?;
            self.v2_messages(chunk, flags, path, &mut out, &mut blocks)?;
            while let Some((a, l)) = blocks.pop() {
                if !seen.insert(a) || seen.len() > MAX_CONTINUATIONS {
                    return err(format!("{path}: object header continuation cycle at {a}"));
                }
                let block = self.bytes(a, l, &format!("object header continuation of {path}"))?;
                if !block.starts_with(b"OCHK") || block.len() < 8 {
                    return err(format!("{path}: bad continuation block signature at {a}"));
                }
                self.v2_messages(
                    &block[4..block.len() - 4],
                    flags,
                    path,
                    &mut out,
                    &mut blocks,
                )?;
            }
        } else {
            let mut c = Cursor::new(head, "object header");
            let version = c.u8()?;
            if version != 1 {
                return err(format!(
                    "{path}: unsupported object header version {version} at address {addr}"
                ));
            }
            c.skip(1)?;
            c.skip(2 + 4)?; // message count, reference count
            let size = c.u32()? as u64;
            blocks.push((addr + 16, size));
            let mut first = true;
            while let Some((a, l)) = blocks.pop() {
                if !first && (!seen.insert(a) || seen.len() > MAX_CONTINUATIONS) {
                    return err(format!("{path}: object header continuation cycle at {a}"));
                }
                first = false;
                let block = self.bytes(a, l, &format!("object header of {path}"))?;
                let mut c = Cursor::new(block, "object header messages");
                while c.remaining() >= 8 {
                    let kind = c.u16()?;
                    let size = c.u16()? as usize;
                    let flags = c.u8()?;
                    c.skip(3)?;
                    let body = c.take(size)?;
                    self.push_message(kind, flags, body, path, &mut out, &mut blocks)?;
                }
            }
        }
        Ok(out)
    }

    fn v2_messages(
        &self,
        chunk: &'a [u8],
        header_flags: u8,
        path: &str,
        out: &mut Vec<Message<'a>>,
        blocks: &mut Vec<(u64, u64)>,
    ) -> Result<()> {
        let mut c = Cursor::new(chunk, "object header messages");
        let header_len = if header_flags & 0x04 != 0 { 6 } else { 4 };
        while c.remaining() >= header_len {
            let kind = c.u8()? as u16;
            let size = c.u16()? as usize;
            let flags = c.u8()?;
            if header_flags & 0x04 != 0 {
                c.skip(2)?;
            }
            let body = c.take(size)?;
            self.push_message(kind, flags, body, path, out, blocks)?;
        }
        Ok(())
    }

    fn push_message(
        &self,
        kind: u16,
        flags: u8,
        body: &'a [u8],
        path: &str,
        out: &mut Vec<Message<'a>>,
        blocks: &mut Vec<(u64, u64)>,
    ) -> Result<()> {
        if kind == 0x10 {
            let mut c = Cursor::new(body, "continuation message");
            let a = c.uint(self.offset_size)?;
            let l = c.uint(self.length_size)?;
            if blocks.len() > MAX_CONTINUATIONS {
                return err(format!("{path}: too many continuation blocks"));
            }
            blocks.push((a, l));
        } else if kind != 0 {
            out.push(Message { kind, flags, body });
        }
        Ok(())
    }

    fn read_object(&self, addr: u64, path: &str, stack: &mut Vec<u64>) -> Result<Node> {
        if stack.contains(&addr) {
            return err(format!(
                "{path}: group cycle (object {addr} contains itself)"
            ));
        }
        if stack.len() >= MAX_DEPTH {
            return err(format!("{path}: groups nested deeper than {MAX_DEPTH}"));
        }
        let messages = self.messages(addr, path)?;
        let mut attrs = BTreeMap::new();
        let mut links: Vec<(String, u64)> = Vec::new();
        let mut is_group = false;
        let (mut shape, mut dtype, mut layout, mut filters) = (None, None, None, Vec::new());
        for m in &messages {
            if m.flags & 0x02 != 0 && matches!(m.kind, 0x01 | 0x03 | 0x0B | 0x0C) {
                return err(format!(
                    "{path}: shared (committed) messages are not supported"
                ));
            }
            match m.kind {
                0x01 => shape = Some(self.dataspace(m.body, path)?),
                0x03 => dtype = Some(parse_datatype(&mut Cursor::new(m.body, "datatype"), path)?),
                0x08 => layout = Some(self.layout(m.body, path)?),
                0x0B => filters = parse_filters(m.body, path)?,
                0x0C => {
                    let (name, value) = self.attribute(m.body, path)?;
                    if attrs.insert(name.clone(), value).is_some() {
                        return err(format!("{path}: duplicate attribute `{name}`"));
                    }
                }
                0x11 => {
                    is_group = true;
                    let mut c = Cursor::new(m.body, "symbol table message");
                    let btree = c.uint(self.offset_size)?;
                    let heap = c.uint(self.offset_size)?;
                    self.symbol_table(btree, heap, path, &mut links)?;
                }
                0x02 => {
                    is_group = true;
                    self.refuse_dense(m.body, 8, "link", path)?;
                }
                0x15 => self.refuse_dense(m.body, 2, "attribute", path)?,
                0x06 => {
                    is_group = true;
                    if let Some(link) = self.link(m.body, path)? {
                        links.push(link);
                    }
                }
                0x07 => return err(format!("{path}: external data files are not supported")),
                _ => {}
            }
        }
        if let (Some(shape), Some(dtype), Some(layout)) = (shape.clone(), dtype, layout) {
            return Ok(Node::Dataset(DatasetInfo {
                shape,
                dtype,
                attrs,
                layout,
                filters,
            }));
        }
        if !is_group {
            return err(format!(
                "{path}: object is neither a group nor a complete dataset"
            ));
        }
        stack.push(addr);
        let mut children = BTreeMap::new();
        for (name, child) in links {
            if name.is_empty() || name.contains('/') {
                return err(format!("{path}: invalid link name {name:?}"));
            }
            let child_path = format!("{}/{name}", path.trim_end_matches('/'));
            let node = self.read_object(child, &child_path, stack)?;
            if children.insert(name.clone(), node).is_some() {
                return err(format!("{path}: duplicate link `{name}`"));
            }
        }
        stack.pop();
        Ok(Node::Group { attrs, children })
    }

    /// Link info (0x02) and attribute info (0x15) messages: refuse dense
    /// storage (a fractal heap), which Keras files never use. `optional` is
    /// the size of the field present when flag bit 0 is set.
    fn refuse_dense(&self, body: &[u8], optional: usize, what: &str, path: &str) -> Result<()> {
        let mut c = Cursor::new(body, "link/attribute info message");
        c.skip(1)?;
        if c.u8()? & 1 != 0 {
            c.skip(optional)?;
        }
        if c.uint(self.offset_size)? != UNDEFINED {
            return err(format!(
                "{path}: dense {what} storage (fractal heap) is not supported"
            ));
        }
        Ok(())
    }

    fn link(&self, body: &[u8], path: &str) -> Result<Option<(String, u64)>> {
        let mut c = Cursor::new(body, "link message");
        if c.u8()? != 1 {
            return err(format!("{path}: unsupported link message version"));
        }
        let flags = c.u8()?;
        let kind = if flags & 0x08 != 0 { c.u8()? } else { 0 };
        if flags & 0x04 != 0 {
            c.skip(8)?;
        }
        if flags & 0x10 != 0 {
            c.skip(1)?;
        }
        let len = c.uint(1 << (flags & 3))?;
        let name = c.take(to_usize(len, "link name length")?)?;
        let name = String::from_utf8(name.to_vec())
            .or_else(|_| err(format!("{path}: link name is not UTF-8")))?;
        match kind {
            0 => Ok(Some((name, c.uint(self.offset_size)?))),
            1 => err(format!("{path}/{name}: soft links are not supported")),
            _ => err(format!("{path}/{name}: external links are not supported")),
        }
    }

    fn symbol_table(
        &self,
        btree: u64,
        heap: u64,
        path: &str,
        links: &mut Vec<(String, u64)>,
    ) -> Result<()> {
        let heap_data = self.local_heap(heap, path)?;
        let mut visited = HashSet::new();
        let mut nodes = vec![(btree, None::<u8>)];
        while let Some((addr, expect_level)) = nodes.pop() {
            if !visited.insert(addr) {
                return err(format!("{path}: group B-tree cycle at node {addr}"));
            }
            let mut c = self.signed(addr, b"TREE", "group B-tree", "group B-tree node", path)?;
            if c.u8()? != 0 {
                return err(format!("{path}: B-tree at {addr} is not a group B-tree"));
            }
            let level = c.u8()?;
            if level > MAX_BTREE_LEVEL || expect_level.is_some_and(|l| l != level) {
                return err(format!(
                    "{path}: inconsistent B-tree level {level} at {addr}"
                ));
            }
            let entries = c.u16()? as usize;
            c.skip(2 * self.offset_size)?;
            for _ in 0..entries {
                c.skip(self.length_size)?; // key
                let child = c.uint(self.offset_size)?;
                if level > 0 {
                    nodes.push((child, Some(level - 1)));
                } else {
                    self.symbol_node(child, heap_data, path, links, &mut visited)?;
                }
            }
        }
        Ok(())
    }

    fn symbol_node(
        &self,
        addr: u64,
        heap: &[u8],
        path: &str,
        links: &mut Vec<(String, u64)>,
        visited: &mut HashSet<u64>,
    ) -> Result<()> {
        if !visited.insert(addr) {
            return err(format!("{path}: symbol table node {addr} is listed twice"));
        }
        let mut c = self.signed(
            addr,
            b"SNOD",
            "symbol table node",
            "symbol table node",
            path,
        )?;
        c.skip(2)?;
        let count = c.u16()? as usize;
        for _ in 0..count {
            let name_off = to_usize(c.uint(self.offset_size)?, "link name offset")?;
            let obj = c.uint(self.offset_size)?;
            c.skip(8 + 16)?;
            let Some(rest) = heap.get(name_off..) else {
                return err(format!(
                    "{path}: link name offset {name_off} outside the local heap"
                ));
            };
            let end = rest.iter().position(|&b| b == 0).ok_or_else(|| {
                H5Error(format!("{path}: unterminated link name in the local heap"))
            })?;
            let name = String::from_utf8(rest[..end].to_vec())
                .or_else(|_| err(format!("{path}: link name is not UTF-8")))?;
            links.push((name, obj));
        }
        Ok(())
    }

    fn local_heap(&self, addr: u64, path: &str) -> Result<&'a [u8]> {
        let mut c = self.signed(addr, b"HEAP", "local heap", "local heap", path)?;
        c.skip(4)?;
        let size = c.uint(self.length_size)?;
        c.skip(self.length_size)?;
        let data = c.uint(self.offset_size)?;
        self.bytes(data, size, &format!("local heap data of {path}"))
    }

    fn dataspace(&self, body: &[u8], path: &str) -> Result<Vec<u64>> {
        let mut c = Cursor::new(body, "dataspace");
        let version = c.u8()?;
        let rank = c.u8()? as usize;
        let flags = c.u8()?;
        if rank > MAX_RANK {
            return err(format!("{path}: dataspace rank {rank} exceeds {MAX_RANK}"));
        }
        match version {
            1 => c.skip(5)?,
            2 => {
                if c.u8()? == 2 {
                    return Ok(vec![0]); // null dataspace: no elements
                }
            }
            v => return err(format!("{path}: unsupported dataspace version {v}")),
        }
        let mut dims = Vec::with_capacity(rank);
        for _ in 0..rank {
            dims.push(c.uint(self.length_size)?);
        }
        let _ = flags;
        Ok(dims)
    }
}

fn check_sizes(o: usize, l: usize) -> Result<()> {
    if ![2, 4, 8].contains(&o) || ![2, 4, 8].contains(&l) {
        return err(format!("unsupported offset/length sizes {o}/{l}"));
    }
    Ok(())
}

/// Number of elements of `dims`, refusing overflow.
pub fn element_count(dims: &[u64], path: &str) -> Result<u64> {
    dims.iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| H5Error(format!("{path}: dimensions {dims:?} overflow")))
}

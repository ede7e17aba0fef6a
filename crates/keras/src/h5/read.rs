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
            let node = self.from(addr, &format!("group B-tree of {path}"))?;
            let mut c = Cursor::new(node, "group B-tree node");
            if c.take(4)? != b"TREE" {
                return err(format!("{path}: bad group B-tree signature at {addr}"));
            }
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
        let node = self.from(addr, &format!("symbol table node of {path}"))?;
        let mut c = Cursor::new(node, "symbol table node");
        if c.take(4)? != b"SNOD" {
            return err(format!("{path}: bad symbol table node signature at {addr}"));
        }
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
        let mut c = Cursor::new(
            self.from(addr, &format!("local heap of {path}"))?,
            "local heap",
        );
        if c.take(4)? != b"HEAP" {
            return err(format!("{path}: bad local heap signature at {addr}"));
        }
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

    fn layout(&self, body: &[u8], path: &str) -> Result<Layout> {
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

    fn attribute(&self, body: &[u8], path: &str) -> Result<(String, AttrValue)> {
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

    fn vlen_string(&self, e: &[u8], path: &str) -> Result<String> {
        let mut c = Cursor::new(e, "variable-length string");
        let len = c.u32()? as u64;
        let heap = c.uint(self.offset_size)?;
        let index = c.u32()?;
        if len == 0 {
            return Ok(String::new());
        }
        let mut h = Cursor::new(
            self.from(heap, &format!("global heap of {path}"))?,
            "global heap",
        );
        if h.take(4)? != b"GCOL" {
            return err(format!("{path}: bad global heap signature at {heap}"));
        }
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
                    self.read_chunks(*btree, chunk, d, elem, &mut out, path)?;
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
                self.place_chunk(raw, *filter_mask, &offsets, chunk, d, elem, &mut out, path)?;
                Ok(Cow::Owned(out))
            }
        }
    }

    fn check_chunked_size(&self, total: u64, path: &str) -> Result<()> {
        let cap = (self.data.len() as u64).saturating_mul(MAX_INFLATE_RATIO);
        if total > cap {
            return err(format!(
                "{path}: declares {total} bytes, more than {MAX_INFLATE_RATIO}x the file size; refusing"
            ));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn read_chunks(
        &self,
        root: u64,
        chunk: &[u64],
        d: &DatasetInfo,
        elem: u64,
        out: &mut [u8],
        path: &str,
    ) -> Result<()> {
        let rank = chunk.len();
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
                self.place_chunk(raw, mask, &offsets, chunk, d, elem, out, path)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn place_chunk(
        &self,
        raw: &[u8],
        mask: u32,
        offsets: &[u64],
        chunk: &[u64],
        d: &DatasetInfo,
        elem: u64,
        out: &mut [u8],
        path: &str,
    ) -> Result<()> {
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

fn parse_datatype(c: &mut Cursor, path: &str) -> Result<Datatype> {
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

fn parse_filters(body: &[u8], path: &str) -> Result<Vec<Filter>> {
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

fn inflate_exact(data: &[u8], expect: usize, path: &str) -> Result<Vec<u8>> {
    // zlib stream; output capped at the chunk size so a bomb cannot grow.
    let out =
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, expect).or_else(|e| {
            err(format!(
                "{path}: deflate chunk is corrupt or larger than its {expect} bytes: {e:?}"
            ))
        })?;
    Ok(out)
}

fn unshuffle(data: &[u8], elem: usize) -> Vec<u8> {
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

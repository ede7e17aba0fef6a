//! A minimal HDF5 writer: superblock v0, version-1 object headers,
//! symbol-table groups (one B-tree node and one symbol node per group),
//! contiguous datasets, and attributes holding variable-length strings
//! (one global heap collection) or string lists. That is the layout h5py
//! writes by default, which tf_keras and Keras 3 read.

use std::collections::BTreeMap;

const UNDEF: u64 = u64::MAX;
/// B-tree internal node K (libhdf5's default).
const INTERNAL_K: usize = 16;
/// Group leaf node K (libhdf5's default is 4): symbol nodes hold 2K entries.
const LEAF_K: usize = 8;

/// Element type of a written dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteType {
    /// Little-endian IEEE float32.
    F32,
    /// Little-endian int32.
    I32,
}

/// An attribute value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteAttr {
    /// A scalar variable-length string.
    Str(String),
    /// A 1-D list of variable-length strings (may be empty).
    List(Vec<String>),
}

/// A node to write.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteNode {
    /// A group.
    Group(WriteGroup),
    /// A dataset: type, shape and little-endian element bytes.
    Dataset {
        /// Element type.
        dtype: WriteType,
        /// Dimensions.
        shape: Vec<u64>,
        /// Element bytes.
        data: Vec<u8>,
    },
}

/// A group to write: attributes (in order) and children (by name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteGroup {
    /// Attributes, written in this order.
    pub attrs: Vec<(String, WriteAttr)>,
    /// Children.
    pub children: BTreeMap<String, WriteNode>,
}

impl WriteGroup {
    /// The group at `path` (`a/b/c`), created with its parents as needed.
    /// Fails if a dataset is in the way.
    pub fn group_mut(&mut self, path: &str) -> Option<&mut WriteGroup> {
        let mut g = self;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let node = g
                .children
                .entry(part.to_string())
                .or_insert_with(|| WriteNode::Group(WriteGroup::default()));
            g = match node {
                WriteNode::Group(x) => x,
                WriteNode::Dataset { .. } => return None,
            };
        }
        Some(g)
    }
}

struct Writer {
    out: Vec<u8>,
    heap_addr: u64,
    heap_index: BTreeMap<String, u32>,
    internal_k: usize,
}

fn pad8(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(8) {
        v.push(0);
    }
}

fn collect_strings(g: &WriteGroup, out: &mut Vec<String>) {
    for (_, a) in &g.attrs {
        match a {
            WriteAttr::Str(s) => out.push(s.clone()),
            WriteAttr::List(l) => out.extend(l.iter().cloned()),
        }
    }
    for c in g.children.values() {
        if let WriteNode::Group(x) = c {
            collect_strings(x, out);
        }
    }
}

fn max_children(g: &WriteGroup) -> usize {
    g.children
        .values()
        .map(|c| match c {
            WriteNode::Group(x) => max_children(x),
            WriteNode::Dataset { .. } => 0,
        })
        .max()
        .unwrap_or(0)
        .max(g.children.len())
}

/// Serialize `root` as an HDF5 file.
pub fn write(root: &WriteGroup) -> Vec<u8> {
    let mut strings = Vec::new();
    collect_strings(root, &mut strings);
    strings.sort();
    strings.dedup();
    // One B-tree node per group must hold every symbol node of the largest group.
    let internal_k = max_children(root)
        .div_ceil(2 * LEAF_K)
        .div_ceil(2)
        .max(INTERNAL_K);
    let mut w = Writer {
        out: vec![0u8; 96],
        heap_addr: 96,
        heap_index: BTreeMap::new(),
        internal_k,
    };
    // The global heap collection with every string.
    let mut heap = Vec::new();
    heap.extend_from_slice(b"GCOL\x01\0\0\0");
    heap.extend_from_slice(&0u64.to_le_bytes()); // size, patched below
    for (i, s) in strings.iter().enumerate() {
        let index = i as u32 + 1;
        heap.extend_from_slice(&(index as u16).to_le_bytes());
        heap.extend_from_slice(&1u16.to_le_bytes());
        heap.extend_from_slice(&[0; 4]);
        heap.extend_from_slice(&(s.len() as u64).to_le_bytes());
        heap.extend_from_slice(s.as_bytes());
        pad8(&mut heap);
        w.heap_index.insert(s.clone(), index);
    }
    // Free space object up to libhdf5's 4 KiB minimum collection size.
    let free = 4096usize.saturating_sub(heap.len()).max(16);
    heap.extend_from_slice(&[0; 8]);
    heap.extend_from_slice(&(free as u64).to_le_bytes());
    heap.resize(heap.len() + free - 16, 0);
    let size = heap.len() as u64;
    heap[8..16].copy_from_slice(&size.to_le_bytes());
    w.out.extend_from_slice(&heap);
    let (root_addr, btree, lheap) = w.group(root);
    // Superblock v0.
    let eof = w.out.len() as u64;
    let mut sb = Vec::new();
    sb.extend_from_slice(b"\x89HDF\r\n\x1a\n");
    sb.extend_from_slice(&[0, 0, 0, 0, 0, 8, 8, 0]);
    sb.extend_from_slice(&(LEAF_K as u16).to_le_bytes());
    sb.extend_from_slice(&(internal_k as u16).to_le_bytes());
    sb.extend_from_slice(&0u32.to_le_bytes());
    for a in [0, UNDEF, eof, UNDEF] {
        sb.extend_from_slice(&a.to_le_bytes());
    }
    sb.extend_from_slice(&0u64.to_le_bytes()); // root link name offset
    sb.extend_from_slice(&root_addr.to_le_bytes());
    sb.extend_from_slice(&1u32.to_le_bytes()); // cache type: symbol table
    sb.extend_from_slice(&0u32.to_le_bytes());
    sb.extend_from_slice(&btree.to_le_bytes());
    sb.extend_from_slice(&lheap.to_le_bytes());
    w.out[..sb.len()].copy_from_slice(&sb);
    w.out
}

impl Writer {
    fn here(&self) -> u64 {
        self.out.len() as u64
    }

    /// Write a group's children, then its heap, symbol node, B-tree and
    /// object header. Returns (object header, B-tree, local heap) addresses.
    fn group(&mut self, g: &WriteGroup) -> (u64, u64, u64) {
        let mut entries = Vec::new();
        for (name, child) in &g.children {
            let addr = match child {
                WriteNode::Group(x) => self.group(x).0,
                WriteNode::Dataset { dtype, shape, data } => self.dataset(*dtype, shape, data),
            };
            entries.push((name.clone(), addr));
        }
        // Local heap: "" at 0, then each name.
        let mut names = vec![0u8; 8];
        let mut offsets = Vec::new();
        for (n, _) in &entries {
            offsets.push(names.len() as u64);
            names.extend_from_slice(n.as_bytes());
            names.push(0);
            pad8(&mut names);
        }
        let heap_data = self.here();
        self.out.extend_from_slice(&names);
        let lheap = self.here();
        self.out.extend_from_slice(b"HEAP\0\0\0\0");
        self.out
            .extend_from_slice(&(names.len() as u64).to_le_bytes());
        // No free block: libhdf5 spells that 1 (H5HL_FREE_NULL), not UNDEF.
        self.out.extend_from_slice(&1u64.to_le_bytes());
        self.out.extend_from_slice(&heap_data.to_le_bytes());
        // Symbol nodes of up to 2*LEAF_K entries each, all children of one
        // level-0 B-tree node (sized for 2*internal_k children).
        let mut snods = Vec::new();
        for (chunk, offs) in entries.chunks(2 * LEAF_K).zip(offsets.chunks(2 * LEAF_K)) {
            snods.push((self.here(), offs[offs.len() - 1]));
            self.out.extend_from_slice(b"SNOD\x01\0");
            self.out
                .extend_from_slice(&(chunk.len() as u16).to_le_bytes());
            for ((_, addr), off) in chunk.iter().zip(offs) {
                self.out.extend_from_slice(&off.to_le_bytes());
                self.out.extend_from_slice(&addr.to_le_bytes());
                self.out.extend_from_slice(&[0; 24]);
            }
            self.out
                .resize(self.out.len() + (2 * LEAF_K - chunk.len()) * 40, 0);
        }
        let btree = self.here();
        self.out.extend_from_slice(b"TREE\0\0");
        self.out
            .extend_from_slice(&(snods.len() as u16).to_le_bytes());
        self.out.extend_from_slice(&UNDEF.to_le_bytes());
        self.out.extend_from_slice(&UNDEF.to_le_bytes());
        let start = self.out.len();
        // key 0 is "" (heap offset 0); key i+1 is the last name of node i.
        self.out.extend_from_slice(&0u64.to_le_bytes());
        for (addr, last) in &snods {
            self.out.extend_from_slice(&addr.to_le_bytes());
            self.out.extend_from_slice(&last.to_le_bytes());
        }
        let k = self.internal_k;
        self.out.resize(start + (2 * k + 1) * 8 + 2 * k * 8, 0);
        let mut messages = Vec::new();
        let mut body = btree.to_le_bytes().to_vec();
        body.extend_from_slice(&lheap.to_le_bytes());
        messages.push((0x11u16, body));
        self.attrs(&g.attrs, &mut messages);
        (self.object_header(&messages), btree, lheap)
    }

    fn attrs(&self, attrs: &[(String, WriteAttr)], messages: &mut Vec<(u16, Vec<u8>)>) {
        for (name, value) in attrs {
            let strings: &[String] = match value {
                WriteAttr::Str(s) => std::slice::from_ref(s),
                WriteAttr::List(l) => l,
            };
            let dtype = vlen_string_type();
            let space = match value {
                WriteAttr::Str(_) => dataspace(&[]),
                WriteAttr::List(l) => dataspace(&[l.len() as u64]),
            };
            let mut m = vec![1, 0];
            m.extend_from_slice(&(name.len() as u16 + 1).to_le_bytes());
            m.extend_from_slice(&(dtype.len() as u16).to_le_bytes());
            m.extend_from_slice(&(space.len() as u16).to_le_bytes());
            m.extend_from_slice(name.as_bytes());
            m.push(0);
            pad8(&mut m);
            m.extend_from_slice(&dtype);
            pad8(&mut m);
            m.extend_from_slice(&space);
            pad8(&mut m);
            for s in strings {
                m.extend_from_slice(&(s.len() as u32).to_le_bytes());
                m.extend_from_slice(&self.heap_addr.to_le_bytes());
                m.extend_from_slice(&self.heap_index[s].to_le_bytes());
            }
            messages.push((0x0C, m));
        }
    }

    fn dataset(&mut self, dtype: WriteType, shape: &[u64], data: &[u8]) -> u64 {
        let addr = self.here();
        self.out.extend_from_slice(data);
        pad8(&mut self.out);
        let t = match dtype {
            WriteType::F32 => {
                let mut t = vec![0x11, 0x20, 31, 0];
                t.extend_from_slice(&4u32.to_le_bytes());
                t.extend_from_slice(&0u16.to_le_bytes());
                t.extend_from_slice(&32u16.to_le_bytes());
                t.extend_from_slice(&[23, 8, 0, 23]);
                t.extend_from_slice(&127u32.to_le_bytes());
                t
            }
            WriteType::I32 => {
                let mut t = vec![0x10, 0x08, 0, 0];
                t.extend_from_slice(&4u32.to_le_bytes());
                t.extend_from_slice(&0u16.to_le_bytes());
                t.extend_from_slice(&32u16.to_le_bytes());
                t
            }
        };
        let mut layout = vec![3, 1];
        layout.extend_from_slice(&addr.to_le_bytes());
        layout.extend_from_slice(&(data.len() as u64).to_le_bytes());
        let messages = vec![(0x01, dataspace(shape)), (0x03, t), (0x08, layout)];
        self.object_header(&messages)
    }

    fn object_header(&mut self, messages: &[(u16, Vec<u8>)]) -> u64 {
        let mut body = Vec::new();
        for (kind, m) in messages {
            let mut m = m.clone();
            pad8(&mut m);
            body.extend_from_slice(&kind.to_le_bytes());
            body.extend_from_slice(&(m.len() as u16).to_le_bytes());
            // Datatype messages are constant.
            body.push(u8::from(*kind == 0x03));
            body.extend_from_slice(&[0; 3]);
            body.extend_from_slice(&m);
        }
        pad8(&mut self.out);
        let addr = self.here();
        self.out.extend_from_slice(&[1, 0]);
        self.out
            .extend_from_slice(&(messages.len() as u16).to_le_bytes());
        self.out.extend_from_slice(&1u32.to_le_bytes());
        self.out
            .extend_from_slice(&(body.len() as u32).to_le_bytes());
        self.out.extend_from_slice(&[0; 4]);
        self.out.extend_from_slice(&body);
        addr
    }
}

fn dataspace(dims: &[u64]) -> Vec<u8> {
    let mut s = vec![1, dims.len() as u8, 0, 0, 0, 0, 0, 0];
    for d in dims {
        s.extend_from_slice(&d.to_le_bytes());
    }
    s
}

fn vlen_string_type() -> Vec<u8> {
    // class 9 (variable-length) string, null-terminated, ASCII; base type a
    // 1-byte unsigned integer — byte for byte what h5py writes.
    let mut t = vec![0x19, 0x01, 0, 0];
    t.extend_from_slice(&16u32.to_le_bytes());
    t.extend_from_slice(&[0x10, 0, 0, 0]);
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&0u16.to_le_bytes());
    t.extend_from_slice(&8u16.to_le_bytes());
    t
}

//! Malformed and hostile inputs: every case must fail with an error that
//! says what is wrong (asserted by substring), never panic, hang or
//! allocate from an unchecked size. HDF5 cases patch real files (h5py's in
//! tests/data, or this crate's writer); zip cases are crafted byte by byte.

use tfjs_keras::h5::write::{write, WriteAttr, WriteGroup, WriteNode, WriteType};
use tfjs_keras::h5::H5File;
use tfjs_keras::{import_h5, import_keras, KerasError};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/data/{name}")).unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Parse the HDF5 bytes and read every dataset; the first error.
fn h5_error(bytes: &[u8]) -> String {
    fn walk(f: &H5File, n: &tfjs_keras::h5::Node, path: &str) -> Result<(), String> {
        match n {
            tfjs_keras::h5::Node::Dataset(d) => {
                f.read(d, path).map(|_| ()).map_err(|e| e.to_string())
            }
            tfjs_keras::h5::Node::Group { children, .. } => {
                for (k, c) in children {
                    walk(f, c, &format!("{path}/{k}"))?;
                }
                Ok(())
            }
        }
    }
    match H5File::parse(bytes) {
        Err(e) => e.to_string(),
        Ok(f) => walk(&f, &f.root, "")
            .err()
            .unwrap_or_else(|| "no error".into()),
    }
}

fn expect(err: String, want: &str) {
    assert!(
        err.contains(want),
        "expected an error containing {want:?}, got {err:?}"
    );
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// A small Keras-like file written by this crate's writer.
fn tiny_group() -> WriteGroup {
    let mut root = WriteGroup::default();
    root.attrs
        .push(("keras_version".into(), WriteAttr::Str("2.21.0".into())));
    root.attrs
        .push(("backend".into(), WriteAttr::Str("tensorflow".into())));
    let config = r#"{"class_name": "Functional", "config": {"layers": [{"class_name": "InputLayer", "name": "x"}, {"class_name": "Dense", "name": "d"}]}}"#;
    root.attrs
        .push(("model_config".into(), WriteAttr::Str(config.into())));
    let mw = root.group_mut("model_weights").unwrap();
    mw.attrs.push((
        "layer_names".into(),
        WriteAttr::List(vec!["x".into(), "d".into()]),
    ));
    mw.group_mut("x")
        .unwrap()
        .attrs
        .push(("weight_names".into(), WriteAttr::List(vec![])));
    let d = mw.group_mut("d").unwrap();
    d.attrs.push((
        "weight_names".into(),
        WriteAttr::List(vec!["d/kernel:0".into()]),
    ));
    d.group_mut("d").unwrap().children.insert(
        "kernel:0".into(),
        WriteNode::Dataset {
            dtype: WriteType::F32,
            shape: vec![2, 2],
            data: [1f32, 2., 3., 4.]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        },
    );
    root
}

fn keras_err(r: Result<tfjs_keras::Imported, KerasError>) -> String {
    match r {
        Ok(_) => "no error".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_writer_round_trips_through_the_reader() {
    let imported = import_h5(&write(&tiny_group())).unwrap();
    assert_eq!(imported.artifacts.weight_specs[0].name, "d/kernel");
    assert_eq!(imported.artifacts.weight_data.len(), 16);
}

// ---------------------------------------------------------------- HDF5

#[test]
fn h5_not_hdf5_or_truncated() {
    expect(h5_error(b""), "no superblock signature");
    expect(h5_error(&[7u8; 4096]), "no superblock signature");
    let f = data("variants_v0.h5");
    expect(h5_error(&f[..200]), "outside the file");
    expect(h5_error(&f[..f.len() / 2]), "outside the file");
}

#[test]
fn h5_bad_superblock_fields() {
    let mut f = data("variants_v0.h5");
    f[8] = 9;
    expect(h5_error(&f), "unsupported superblock version 9");
    let mut f = data("variants_v0.h5");
    f[13] = 3;
    expect(h5_error(&f), "unsupported offset/length sizes 3/8");
    let mut f = data("variants_v0.h5");
    put_u64(&mut f, 64, 1 << 50); // root object header address
    expect(h5_error(&f), "outside the file");
}

#[test]
fn h5_bad_object_header() {
    let mut f = data("variants_v0.h5");
    let root = u64::from_le_bytes(f[64..72].try_into().unwrap()) as usize;
    f[root] = 7;
    expect(h5_error(&f), "unsupported object header version 7");
}

#[test]
fn h5_bad_signatures() {
    for (sig, want) in [
        (&b"TREE"[..], "B-tree signature"),
        (b"SNOD", "symbol table node signature"),
        (b"HEAP", "local heap signature"),
        (b"GCOL", "global heap signature"),
    ] {
        let mut f = data("variants_v0.h5");
        let at = find(&f, sig);
        f[at] = b'X';
        expect(h5_error(&f), want);
    }
}

#[test]
fn h5_group_cycle() {
    // A child's symbol table entry pointing back at the root object.
    let mut f = write(&tiny_group());
    let root = u64::from_le_bytes(f[64..72].try_into().unwrap());
    let snod = find_all(&f, b"SNOD").pop().unwrap(); // the root's, written last
    put_u64(&mut f, snod + 8 + 8, root);
    expect(h5_error(&f), "group cycle");
}

#[test]
fn h5_btree_cycle_and_bad_level() {
    // A level-1 group B-tree node whose child is itself.
    let mut f = write(&tiny_group());
    let tree = find_all(&f, b"TREE").pop().unwrap();
    f[tree + 5] = 1; // level 1
    put_u64(&mut f, tree + 24 + 8, tree as u64);
    expect(h5_error(&f), "cycle");
    let mut f = write(&tiny_group());
    let tree = find_all(&f, b"TREE").pop().unwrap();
    f[tree + 5] = 200;
    expect(h5_error(&f), "inconsistent B-tree level 200");
}

#[test]
fn h5_symbol_node_listed_twice() {
    let mut f = write(&tiny_group());
    let tree = find_all(&f, b"TREE").pop().unwrap();
    let snod = u64::from_le_bytes(f[tree + 32..tree + 40].try_into().unwrap());
    f[tree + 6] = 2; // two entries, both the same node
    put_u64(&mut f, tree + 48, snod);
    put_u64(&mut f, tree + 56, 0);
    expect(h5_error(&f), "listed twice");
}

#[test]
fn h5_link_name_outside_heap() {
    let mut f = write(&tiny_group());
    let snod = find_all(&f, b"SNOD").pop().unwrap();
    put_u64(&mut f, snod + 8, 1 << 40);
    expect(h5_error(&f), "outside the local heap");
}

/// The dataspace message of the only dataset `tiny_group` writes (rank 2).
fn tiny_dataspace(f: &[u8]) -> usize {
    find(f, &[1, 0, 24, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0])
}

#[test]
fn h5_huge_or_overflowing_dimensions() {
    let mut f = write(&tiny_group());
    let ds = tiny_dataspace(&f) + 8;
    put_u64(&mut f, ds + 8, 1 << 40);
    put_u64(&mut f, ds + 16, 1 << 20);
    expect(h5_error(&f), "smaller than");
    let mut f = write(&tiny_group());
    put_u64(&mut f, ds + 8, u64::MAX / 2);
    put_u64(&mut f, ds + 16, 4);
    expect(h5_error(&f), "overflow");
    let mut f = write(&tiny_group());
    f[ds + 1] = 40;
    expect(h5_error(&f), "rank 40 exceeds 32");
}

#[test]
fn h5_contiguous_data_outside_the_file() {
    let mut f = write(&tiny_group());
    let layout = find(&f, &[8, 0, 24, 0, 0, 0, 0, 0, 3, 1]) + 10;
    put_u64(&mut f, layout, 1 << 45);
    expect(h5_error(&f), "outside the file");
}

#[test]
fn h5_unsupported_types_and_layouts() {
    let mut f = write(&tiny_group());
    let t = find(&f, &[0x11, 0x20, 31, 0, 4, 0, 0, 0]);
    f[t] = 0x16; // compound
    expect(h5_error(&f), "datatype class 6 is not supported");
    let mut f = write(&tiny_group());
    let layout = find(&f, &[8, 0, 24, 0, 0, 0, 0, 0, 3, 1]) + 8;
    f[layout] = 9;
    expect(h5_error(&f), "unsupported data layout version 9");
    let mut f = write(&tiny_group());
    f[layout + 1] = 3;
    expect(h5_error(&f), "virtual datasets are not supported");
    let mut f = write(&tiny_group());
    let ds = tiny_dataspace(&f) + 8;
    f[ds] = 5;
    expect(h5_error(&f), "unsupported dataspace version 5");
}

#[test]
fn h5_attribute_lies_about_its_size() {
    // layer_names: 2 vlen strings of 16 bytes; claim 1000 elements.
    let mut f = write(&tiny_group());
    let at = find(&f, b"layer_names\0");
    let space = at + 16 + 24; // name (padded), datatype (20, padded to 24)
    assert_eq!(f[space + 1], 1);
    put_u64(&mut f, space + 8, 1000);
    expect(h5_error(&f), "declares 1000 elements of 16 bytes");
}

#[test]
fn h5_vlen_string_object_missing() {
    let mut f = write(&tiny_group());
    let gcol = find(&f, b"GCOL");
    // Renumber every heap object so no reference finds its index.
    let mut at = gcol + 16;
    while f[at] != 0 || f[at + 1] != 0 {
        let size = u64::from_le_bytes(f[at + 8..at + 16].try_into().unwrap()) as usize;
        f[at] = f[at].wrapping_add(100);
        at += 16 + size.div_ceil(8) * 8;
    }
    expect(h5_error(&f), "global heap object");
}

#[test]
fn h5_chunk_problems() {
    let base = data("variants_v0.h5");
    let chunk_trees = find_all(&base, b"TREE\x01\x00");
    // The first chunk B-tree belongs to `chunked` (2x3x2 chunks, 4-byte floats).
    let tree = chunk_trees[0];
    let first_key = tree + 24;
    // Duplicate the first chunk's key and address over the second.
    let mut f = base.clone();
    let entry = 8 + 4 * 8 + 8; // size, mask, 4 offsets, child
    let (a, b) = (first_key, first_key + entry);
    let copy = f[a..a + entry].to_vec();
    f[b..b + entry].copy_from_slice(&copy);
    expect(h5_error(&f), "overlapping chunks");
    // Misaligned offset.
    let mut f = base.clone();
    put_u64(&mut f, first_key + 8, 1);
    expect(h5_error(&f), "misaligned or outside");
    // Offset past the shape.
    let mut f = base.clone();
    put_u64(&mut f, first_key + 8, 1 << 20);
    expect(h5_error(&f), "misaligned or outside");
    // Chunk address outside the file.
    let mut f = base.clone();
    put_u64(&mut f, first_key + 8 + 32, 1 << 50);
    expect(h5_error(&f), "outside the file");
    // Wrong chunk size: stored bytes do not match the chunk shape.
    let mut f = base.clone();
    f[first_key..first_key + 4].copy_from_slice(&7u32.to_le_bytes());
    expect(h5_error(&f), "expected 48");
}

#[test]
fn h5_corrupt_or_oversized_deflate_chunk() {
    let base = data("variants_v0.h5");
    let tree = find_all(&base, b"TREE\x01\x00")[1]; // `gzip`
    let key = tree + 24;
    let addr = u64::from_le_bytes(base[key + 40..key + 48].try_into().unwrap()) as usize;
    let mut f = base.clone();
    f[addr + 2..addr + 12].fill(0xAB);
    expect(h5_error(&f), "deflate chunk is corrupt");
}

#[test]
fn h5_unknown_filter() {
    let mut f = data("variants_v0.h5");
    // Filter pipeline v1 with deflate (id 1) then shuffle; make the first unknown.
    let at = find(&f, &[1, 2, 0, 0, 0, 0, 0, 0, 2, 0]); // version 1, 2 filters, shuffle first
    f[at + 8] = 0x77;
    f[at + 9] = 0x7D; // 32119
    f[at + 12] = 0; // mandatory
    f[at + 13] = 0;
    expect(h5_error(&f), "filter 32119 is not supported");
}

#[test]
fn h5_continuation_cycle() {
    // Turn the root's symbol-table message into a continuation to itself.
    let mut f = write(&tiny_group());
    let root = u64::from_le_bytes(f[64..72].try_into().unwrap()) as usize;
    let msg = root + 16;
    assert_eq!(f[msg], 0x11);
    f[msg] = 0x10;
    put_u64(&mut f, msg + 8, root as u64 + 16);
    let len = u32::from_le_bytes(f[root + 8..root + 12].try_into().unwrap()) as u64;
    put_u64(&mut f, msg + 16, len);
    expect(h5_error(&f), "continuation cycle");
}

#[test]
fn keras_h5_structure_problems() {
    // No model_config: weights-only hint, or not Keras at all.
    let mut g = tiny_group();
    g.attrs.retain(|(n, _)| n != "model_config");
    expect(keras_err(import_h5(&write(&g))), "not a Keras model file");
    let mut g = tiny_group();
    g.attrs.retain(|(n, _)| n != "model_config");
    g.attrs
        .push(("layer_names".into(), WriteAttr::List(vec![])));
    expect(keras_err(import_h5(&write(&g))), "weights only");
    let mut g = tiny_group();
    g.attrs[2].1 = WriteAttr::Str("{not json".into());
    expect(
        keras_err(import_h5(&write(&g))),
        "`model_config` attribute is not valid JSON",
    );
    let mut g = tiny_group();
    g.attrs.retain(|(n, _)| n != "keras_version");
    expect(keras_err(import_h5(&write(&g))), "no `keras_version`");
    let mut g = tiny_group();
    g.children.clear();
    expect(keras_err(import_h5(&write(&g))), "no `model_weights` group");
}

#[test]
fn keras_h5_every_missing_and_extra_weight_in_one_error() {
    let mut g = tiny_group();
    let mw = g.group_mut("model_weights").unwrap();
    mw.attrs[0].1 = WriteAttr::List(vec!["x".into(), "d".into(), "ghost".into()]);
    let d = mw.group_mut("d").unwrap();
    d.attrs[0].1 = WriteAttr::List(vec!["d/kernel:0".into(), "d/bias:0".into()]);
    d.group_mut("d").unwrap().children.insert(
        "stray:0".into(),
        WriteNode::Dataset {
            dtype: WriteType::F32,
            shape: vec![1],
            data: vec![0; 4],
        },
    );
    let err = keras_err(import_h5(&write(&g)));
    for want in [
        "(4 problems)",
        "extra layer `ghost`",
        "missing layer group `ghost`",
        "missing weight `d/d/bias:0`",
        "extra weight `d/d/stray:0`",
    ] {
        expect(err.clone(), want);
    }
    // A layer of the topology without a group.
    let mut g = tiny_group();
    let mw = g.group_mut("model_weights").unwrap();
    mw.attrs[0].1 = WriteAttr::List(vec!["x".into()]);
    mw.children.remove("d");
    expect(
        keras_err(import_h5(&write(&g))),
        "missing layer `d` (Dense)",
    );
}

// ----------------------------------------------------------------- zip

struct RawEntry<'a> {
    name: &'a str,
    data: &'a [u8],
    method: u16,
    flags: u16,
    declared: Option<u32>,
    crc: Option<u32>,
    unix_mode: Option<u32>,
    local_offset: Option<u32>,
}

impl<'a> RawEntry<'a> {
    fn new(name: &'a str, data: &'a [u8]) -> Self {
        RawEntry {
            name,
            data,
            method: 0,
            flags: 0,
            declared: None,
            crc: None,
            unix_mode: None,
            local_offset: None,
        }
    }
}

/// A zip whose every header field can lie.
fn raw_zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let crc = e.crc.unwrap_or_else(|| tfjs_keras::zip::crc32(e.data));
        let size = e.declared.unwrap_or(e.data.len() as u32);
        let fields = |h: &mut Vec<u8>| {
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&e.flags.to_le_bytes());
            h.extend_from_slice(&e.method.to_le_bytes());
            h.extend_from_slice(&[0, 0, 0x21, 0]);
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fields(&mut out);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(e.data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central
            .extend_from_slice(&(if e.unix_mode.is_some() { 0x031Eu16 } else { 20 }).to_le_bytes());
        fields(&mut central);
        central.extend_from_slice(&[0; 6]);
        central.extend_from_slice(&(e.unix_mode.unwrap_or(0o100644) << 16).to_le_bytes());
        central.extend_from_slice(&e.local_offset.unwrap_or(offset).to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    tfjs_keras::zip::finish_archive(&mut out, &central, entries.len());
    out
}

fn zip_err(bytes: &[u8]) -> String {
    keras_err(import_keras(bytes))
}

const CONFIG: &[u8] = br#"{"class_name": "Functional", "config": {"layers": []}}"#;
const META: &[u8] = br#"{"keras_version": "3.15.1"}"#;

#[test]
fn zip_not_a_zip_or_truncated() {
    expect(zip_err(b""), "too short");
    expect(zip_err(&[0u8; 100]), "no end of central directory");
    let z = raw_zip(&[RawEntry::new("config.json", CONFIG)]);
    expect(
        zip_err(&z[z.len() - 22..]),
        "central directory lies outside the file",
    );
    let mut z = raw_zip(&[RawEntry::new("config.json", CONFIG)]);
    let eocd = z.len() - 22;
    z[eocd + 4] = 1;
    expect(zip_err(&z), "multi-disk");
    let mut z = raw_zip(&[RawEntry::new("config.json", CONFIG)]);
    z[eocd + 10] = 0xFF;
    z[eocd + 11] = 0xFF;
    expect(
        zip_err(&z),
        "zip64 end of central directory locator missing",
    );
}

#[test]
fn zip_entry_names_that_escape() {
    for (name, want) in [
        ("../config.json", "contains `..`"),
        ("a/../../etc/passwd", "contains `..`"),
        ("/etc/passwd", "absolute"),
        ("a\\b.json", "absolute or contains `\\`"),
        ("C:evil", "drive letter"),
        ("", "empty name"),
    ] {
        expect(zip_err(&raw_zip(&[RawEntry::new(name, b"x")])), want);
    }
}

#[test]
fn zip_symlinks_duplicates_and_encryption() {
    let mut link = RawEntry::new("config.json", b"/etc/passwd");
    link.unix_mode = Some(0o120777);
    expect(zip_err(&raw_zip(&[link])), "symbolic link");
    let z = raw_zip(&[
        RawEntry::new("config.json", CONFIG),
        RawEntry::new("config.json", b"{}"),
    ]);
    expect(zip_err(&z), "duplicate entry \"config.json\"");
    let mut enc = RawEntry::new("config.json", CONFIG);
    enc.flags = 1;
    expect(zip_err(&raw_zip(&[enc])), "encrypted");
    let mut bz = RawEntry::new("config.json", CONFIG);
    bz.method = 12;
    expect(zip_err(&raw_zip(&[bz])), "compression method 12");
}

#[test]
fn zip_bombs_and_lying_sizes() {
    // Declared size far beyond what the compressed bytes can hold.
    let small = miniz_oxide::deflate::compress_to_vec(&[0u8; 1000], 9);
    let mut bomb = RawEntry::new("model.weights.h5", &small);
    bomb.method = 8;
    bomb.declared = Some(u32::MAX - 1);
    expect(zip_err(&raw_zip(&[bomb])), "zip bomb");
    // Inflates to more than declared: stopped at the declared size.
    let big = miniz_oxide::deflate::compress_to_vec(&vec![0u8; 1 << 20], 9);
    let mut liar = RawEntry::new("config.json", &big);
    liar.method = 8;
    liar.declared = Some(100);
    let z = raw_zip(&[liar, RawEntry::new("metadata.json", META)]);
    expect(zip_err(&z), "more than its declared 100 bytes");
    // Inflates to less than declared.
    let cfg = miniz_oxide::deflate::compress_to_vec(CONFIG, 6);
    let mut short = RawEntry::new("config.json", &cfg);
    short.method = 8;
    short.declared = Some(CONFIG.len() as u32 + 10);
    short.crc = Some(0);
    let z = raw_zip(&[short, RawEntry::new("metadata.json", META)]);
    expect(zip_err(&z), "inflates to");
    // Stored entry whose sizes disagree.
    let mut stored = RawEntry::new("config.json", CONFIG);
    stored.declared = Some(5);
    expect(
        zip_err(&raw_zip(&[stored])),
        "stored entry \"config.json\" declares 5 bytes",
    );
    // Total over the cap, each entry plausible on its own ratio.
    let chunk = vec![1u8; 4 << 20];
    let names: Vec<String> = (0..3).map(|i| format!("w{i}")).collect();
    let mut es: Vec<RawEntry> = names
        .iter()
        .map(|n| {
            let mut e = RawEntry::new(n, &chunk);
            e.method = 8;
            e.declared = Some(u32::MAX - 1);
            e
        })
        .collect();
    es.truncate(3);
    expect(zip_err(&raw_zip(&es)), "more than");
}

#[test]
fn zip_crc_offsets_and_overlap() {
    let mut bad = RawEntry::new("config.json", CONFIG);
    bad.crc = Some(1);
    let z = raw_zip(&[bad, RawEntry::new("metadata.json", META)]);
    expect(zip_err(&z), "CRC-32 mismatch");
    let mut far = RawEntry::new("config.json", CONFIG);
    far.local_offset = Some(1 << 30);
    expect(zip_err(&raw_zip(&[far])), "local header outside the file");
    let mut odd = RawEntry::new("config.json", CONFIG);
    odd.local_offset = Some(4);
    expect(zip_err(&raw_zip(&[odd])), "bad local header signature");
    let mut twin = RawEntry::new("metadata.json", META);
    twin.local_offset = Some(0);
    let z = raw_zip(&[RawEntry::new("config.json", CONFIG), twin]);
    expect(zip_err(&z), "overlap");
}

#[test]
fn keras_archive_contents_problems() {
    expect(
        zip_err(&raw_zip(&[RawEntry::new("metadata.json", META)])),
        "no config.json",
    );
    expect(
        zip_err(&raw_zip(&[RawEntry::new("config.json", CONFIG)])),
        "no metadata.json",
    );
    let z = raw_zip(&[
        RawEntry::new("config.json", CONFIG),
        RawEntry::new("metadata.json", META),
    ]);
    expect(zip_err(&z), "no model.weights.h5");
    let z = raw_zip(&[
        RawEntry::new("config.json", CONFIG),
        RawEntry::new("metadata.json", META),
        RawEntry::new(
            "model.weights.json",
            br#"{"weight_map": {"/layers/d/vars": "gone.h5"}}"#,
        ),
    ]);
    expect(
        zip_err(&z),
        "weight shard `gone.h5` named in model.weights.json is missing",
    );
    let h5 = write(&WriteGroup::default());
    let z = raw_zip(&[
        RawEntry::new("config.json", b"{oops"),
        RawEntry::new("metadata.json", META),
        RawEntry::new("model.weights.h5", &h5),
    ]);
    expect(zip_err(&z), "config.json is not valid JSON");
    let z = raw_zip(&[
        RawEntry::new("config.json", CONFIG),
        RawEntry::new("metadata.json", b"{}"),
        RawEntry::new("model.weights.h5", &h5),
    ]);
    expect(zip_err(&z), "metadata.json has no `keras_version`");
    let z = raw_zip(&[
        RawEntry::new("config.json", CONFIG),
        RawEntry::new("metadata.json", META),
        RawEntry::new("model.weights.h5", b"not hdf5"),
    ]);
    expect(zip_err(&z), "model.weights.h5: HDF5: not an HDF5 file");
}

#[test]
fn the_writer_handles_groups_wider_than_one_b_tree_node() {
    // 1000 children: 63 symbol nodes under one B-tree node with a raised K.
    let mut root = WriteGroup::default();
    let g = root.group_mut("wide").unwrap();
    for i in 0..1000i32 {
        g.children.insert(
            format!("w{i:04}"),
            WriteNode::Dataset {
                dtype: WriteType::I32,
                shape: vec![1],
                data: i.to_le_bytes().to_vec(),
            },
        );
    }
    let bytes = write(&root);
    let f = H5File::parse(&bytes).unwrap();
    let wide = f.root.get("wide").unwrap().children().unwrap();
    assert_eq!(wide.len(), 1000);
    for (i, (name, node)) in wide.iter().enumerate() {
        assert_eq!(name, &format!("w{i:04}"));
        let tfjs_keras::h5::Node::Dataset(d) = node else {
            panic!("{name}")
        };
        assert_eq!(f.read(d, name).unwrap(), (i as i32).to_le_bytes());
    }
}

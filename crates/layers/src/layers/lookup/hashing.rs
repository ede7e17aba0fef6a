//! Keras's `Hashing`, and TensorFlow's FarmHash `Fingerprint64` that it
//! and `HashedCrossing` hash with (and the keyed SipHash-2-4 of a salted
//! `Hashing`).

use super::*;

/// Keras's `Hashing`: each string, or each integer's (or truncated float's)
/// decimal string, hashed with FarmHash `Fingerprint64`, modulo `num_bins`
/// (`tf.strings.to_hash_bucket_fast(tf.as_string(x))`, as Keras computes
/// it); with `mask_value`, that value goes to bin 0 and the others to
/// `1 + hash mod (num_bins - 1)`. With a `salt` (`[k0, k1]`, or one
/// integer used as both) the hash is SipHash-2-4 keyed by it
/// (`tf.strings.to_hash_bucket_strong(x, num_bins, key=salt)`).
#[derive(Debug)]
pub struct Hashing {
    base: Base,
    raw: Map<String, Value>,
    num_bins: u64,
    /// The mask value as the string that is hashed (an integer's decimal).
    mask_value: Option<String>,
    mode: Mode,
    /// The SipHash key of a salted `Hashing`.
    salt: Option<[u64; 2]>,
}

impl Hashing {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<Hashing> {
        let num_bins = c.usize_or("num_bins", 0)?;
        if num_bins == 0 || num_bins > i32::MAX as usize {
            return Err(c.err(
                "num_bins",
                format!("expected 1..=2^31-1 bins, got {num_bins}"),
            ));
        }
        let salt = match c.get("salt") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let key = |v: &Value| v.as_u64();
                Some(
                    match v {
                        Value::Array(a) if a.len() == 2 => {
                            key(&a[0]).zip(key(&a[1])).map(|(a, b)| [a, b])
                        }
                        v => key(v).map(|k| [k, k]),
                    }
                    .ok_or_else(|| {
                        c.err("salt", "expected a non-negative integer or a list of two")
                    })?,
                )
            }
        };
        let mask_value = match c.get("mask_value") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| c.err("mask_value", "expected an integer, a string or null"))?
                    .to_string(),
            ),
        };
        Ok(Hashing {
            base: Base::parse(c)?,
            raw: c.map.clone(),
            num_bins: num_bins as u64,
            mask_value,
            mode: output_mode(c)?,
            salt,
        })
    }

    fn bin(&self, v: &str) -> i64 {
        let masked = self.mask_value.is_some() && self.num_bins > 1;
        if masked && Some(v) == self.mask_value.as_deref() {
            return 0;
        }
        let bins = self.num_bins - u64::from(masked);
        let h = match self.salt {
            Some(key) => siphash24(key, v.as_bytes()),
            None => fingerprint64(v.as_bytes()),
        } % bins;
        (h + u64::from(masked)) as i64
    }
}

impl Layer for Hashing {
    lookup_common!("Hashing");
    fn takes_strings(&self) -> bool {
        true
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?.clone();
        Ok(vec![encoded_shape(self.mode, s, self.num_bins as usize)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        // Keras casts float inputs to int64 (truncating) before hashing.
        let ids: Vec<i64> = match x.data() {
            TensorData::I32(v) => v.iter().map(|&t| self.bin(&t.to_string())).collect(),
            TensorData::F32(v) => v
                .iter()
                .map(|&t| self.bin(&(t as i64).to_string()))
                .collect(),
            TensorData::Str(v) => v.iter().map(|s| self.bin(s)).collect(),
        };
        Ok(vec![encode(
            &self.base,
            self.mode,
            &ids,
            x.shape().to_vec(),
            self.num_bins as usize,
        )?])
    }
}

/// SipHash-2-4 of `data` under `key` (TensorFlow's `StringToHashBucketStrong`
/// calls highwayhash's `SipHash`, the reference algorithm).
fn siphash24(key: [u64; 2], data: &[u8]) -> u64 {
    let mut v = [
        key[0] ^ 0x736f_6d65_7073_6575,
        key[1] ^ 0x646f_7261_6e64_6f6d,
        key[0] ^ 0x6c79_6765_6e65_7261,
        key[1] ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let compress = |m: u64, v: &mut [u64; 4]| {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    };
    let blocks = data.chunks_exact(8);
    let tail = blocks.remainder();
    for b in blocks {
        compress(u64::from_le_bytes(b.try_into().expect("8 bytes")), &mut v);
    }
    let mut last = (data.len() as u64 & 0xff) << 56;
    for (i, &b) in tail.iter().enumerate() {
        last |= u64::from(b) << (8 * i);
    }
    compress(last, &mut v);
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

const K0: u64 = 0xc3a5_c85c_97cb_3127;
const K1: u64 = 0xb492_b66f_be98_f273;
const K2: u64 = 0x9ae1_6a3b_2f90_404f;

fn fetch64(s: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"))
}

fn fetch32(s: &[u8], i: usize) -> u64 {
    u64::from(u32::from_le_bytes(s[i..i + 4].try_into().expect("4 bytes")))
}

pub(super) fn shift_mix(v: u64) -> u64 {
    v ^ (v >> 47)
}

fn hash_len16(u: u64, v: u64, mul: u64) -> u64 {
    let mut a = (u ^ v).wrapping_mul(mul);
    a ^= a >> 47;
    let mut b = (v ^ a).wrapping_mul(mul);
    b ^= b >> 47;
    b.wrapping_mul(mul)
}

/// farmhashna's mix of four words into the two it hashes:
/// `(rotr(a + b, 43) + rotr(c, 30) + d, a + rotr(b + k, 18) + c)`.
fn mix4(a: u64, b: u64, c: u64, d: u64, k: u64) -> (u64, u64) {
    (
        a.wrapping_add(b)
            .rotate_right(43)
            .wrapping_add(c.rotate_right(30))
            .wrapping_add(d),
        a.wrapping_add(b.wrapping_add(k).rotate_right(18))
            .wrapping_add(c),
    )
}

/// `WeakHashLen32WithSeeds` of the 32 bytes at `s[i..]`.
fn weak_hash_len32(s: &[u8], i: usize, a: u64, b: u64) -> (u64, u64) {
    let (w, x, y, z) = (
        fetch64(s, i),
        fetch64(s, i + 8),
        fetch64(s, i + 16),
        fetch64(s, i + 24),
    );
    let a = a.wrapping_add(w);
    let b = b.wrapping_add(a).wrapping_add(z).rotate_right(21);
    let c = a;
    let a = a.wrapping_add(x).wrapping_add(y);
    let b = b.wrapping_add(a.rotate_right(44));
    (a.wrapping_add(z), b.wrapping_add(c))
}

/// The first mix of `farmhashna`'s 17-to-64-byte hashes: `a` (the first
/// word, scaled), the second word and the last two words of `s`.
fn mix_ends(s: &[u8], a: u64, mul: u64) -> (u64, u64) {
    let len = s.len();
    let c = fetch64(s, len - 8).wrapping_mul(mul);
    let d = fetch64(s, len - 16).wrapping_mul(K2);
    mix4(a, fetch64(s, 8), c, d, K2)
}

/// FarmHash `Fingerprint64` (`farmhashna::Hash64`, TensorFlow's
/// `Fingerprint64`, which `to_hash_bucket_fast` uses) of any byte string.
pub(super) fn fingerprint64(s: &[u8]) -> u64 {
    let len = s.len();
    let mul = K2.wrapping_add(len as u64 * 2);
    match len {
        0 => K2,
        1..=3 => {
            let (a, b, c) = (
                u32::from(s[0]),
                u32::from(s[len >> 1]),
                u32::from(s[len - 1]),
            );
            let y = a.wrapping_add(b << 8);
            let z = (len as u32).wrapping_add(c << 2);
            shift_mix(u64::from(y).wrapping_mul(K2) ^ u64::from(z).wrapping_mul(K0))
                .wrapping_mul(K2)
        }
        4..=7 => hash_len16(
            (len as u64).wrapping_add(fetch32(s, 0) << 3),
            fetch32(s, len - 4),
            mul,
        ),
        8..=16 => {
            let a = fetch64(s, 0).wrapping_add(K2);
            let b = fetch64(s, len - 8);
            let c = b.rotate_right(37).wrapping_mul(mul).wrapping_add(a);
            let d = a.rotate_right(25).wrapping_add(b).wrapping_mul(mul);
            hash_len16(c, d, mul)
        }
        17..=32 => {
            let (x, y) = mix_ends(s, fetch64(s, 0).wrapping_mul(K1), mul);
            hash_len16(x, y, mul)
        }
        33..=64 => {
            let a = fetch64(s, 0).wrapping_mul(K2);
            let (y, w) = mix_ends(s, a, mul);
            let z = hash_len16(y, w, mul);
            let e = fetch64(s, 16).wrapping_mul(mul);
            let f = fetch64(s, 24);
            let g = y.wrapping_add(fetch64(s, len - 32)).wrapping_mul(mul);
            let h = z.wrapping_add(fetch64(s, len - 24)).wrapping_mul(mul);
            let (x, y) = mix4(e, f, g, h, a);
            hash_len16(x, y, mul)
        }
        _ => hash_long(s),
    }
}

/// The state `farmhashna::Hash64` carries across the 64-byte blocks of a
/// long string.
struct BlockState {
    x: u64,
    y: u64,
    z: u64,
    v: (u64, u64),
    w: (u64, u64),
}

impl BlockState {
    /// Mix in the 64-byte block of `s` at `p`: every block but the last
    /// mixes with `mul = K1` and `weight = 1`, the last one with its own
    /// multiplier and `weight = 9`.
    fn mix(&mut self, s: &[u8], p: usize, mul: u64, weight: u64) {
        let BlockState { x, y, z, v, w } = self;
        *x = x
            .wrapping_add(*y)
            .wrapping_add(v.0)
            .wrapping_add(fetch64(s, p + 8))
            .rotate_right(37)
            .wrapping_mul(mul);
        *y = y
            .wrapping_add(v.1)
            .wrapping_add(fetch64(s, p + 48))
            .rotate_right(42)
            .wrapping_mul(mul);
        *x ^= w.1.wrapping_mul(weight);
        *y = y
            .wrapping_add(v.0.wrapping_mul(weight))
            .wrapping_add(fetch64(s, p + 40));
        *z = z.wrapping_add(w.0).rotate_right(33).wrapping_mul(mul);
        *v = weak_hash_len32(s, p, v.1.wrapping_mul(mul), x.wrapping_add(w.0));
        *w = weak_hash_len32(
            s,
            p + 32,
            z.wrapping_add(w.1),
            y.wrapping_add(fetch64(s, p + 16)),
        );
        std::mem::swap(z, x);
    }
}

/// `farmhashna::Hash64` of more than 64 bytes: 64-byte blocks, then the
/// last 64 bytes.
fn hash_long(s: &[u8]) -> u64 {
    const SEED: u64 = 81;
    let len = s.len();
    let y = SEED.wrapping_mul(K1).wrapping_add(113);
    let mut st = BlockState {
        x: SEED.wrapping_mul(K2).wrapping_add(fetch64(s, 0)),
        y,
        z: shift_mix(y.wrapping_mul(K2).wrapping_add(113)).wrapping_mul(K2),
        v: (0, 0),
        w: (0, 0),
    };
    let end = ((len - 1) / 64) * 64;
    for p in (0..end).step_by(64) {
        st.mix(s, p, K1, 1);
    }
    let mul = K1.wrapping_add((st.z & 0xff) << 1);
    st.w.0 = st.w.0.wrapping_add(((len - 1) & 63) as u64);
    st.v.0 = st.v.0.wrapping_add(st.w.0);
    st.w.0 = st.w.0.wrapping_add(st.v.0);
    st.mix(s, len - 64, mul, 9);
    let BlockState { x, y, z, v, w } = st;
    hash_len16(
        hash_len16(v.0, w.0, mul)
            .wrapping_add(shift_mix(y).wrapping_mul(K0))
            .wrapping_add(z),
        hash_len16(v.1, w.1, mul).wrapping_add(x),
        mul,
    )
}

#[cfg(test)]
mod tests {
    use super::{fingerprint64, siphash24};

    /// `tf.strings.to_hash_bucket_fast(s, 2**63 - 1)` in TensorFlow 2.21
    /// (Fingerprint64 mod 2^63-1), for every length class: 0-3, 4-7, 8-16,
    /// 17-32, 33-64 and the 64-byte blocks of longer strings (block
    /// boundaries, multi-byte UTF-8).
    #[test]
    fn fingerprint64_matches_tensorflow() {
        let tf: &[(&str, u64)] = &[
            ("", 1936946117179621456),
            ("a", 3694432073954588132),
            ("ab", 3066228220894225695),
            ("abc", 2640714258260161385),
            ("abcd", 1897425971756105985),
            ("hello", 3786372426573024489),
            ("12345678", 3430003927990384362),
            ("123456789", 7102376421209267306),
            ("-1234567890123", 3933474414036675210),
            ("1234567890123456", 8015733323785012261),
            ("12345678901234567", 323895964247077303),
            ("-9223372036854775808", 1493431938208774112),
            ("abcdefghijklmnopqrstuvwxyz012345", 934449955909727258),
            (&"x".repeat(33), 3046993373088323128),
            (
                "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
                9028462069956841736,
            ),
            (&"q".repeat(64), 7839288502534202488),
            (
                "the quick brown fox jumps over the lazy dog and keeps running far away!",
                7533671055059804301,
            ),
            (&"z".repeat(65), 8299915583762718517),
            (&("0123456789".repeat(12) + "abc"), 6090402310455700971),
            (&"é漢字🙂".repeat(9), 4651532606060436607),
            (&"w".repeat(128), 1651997402916279192),
            (&"w".repeat(129), 31054688630494068),
            (&("ab".repeat(100) + "c"), 6605995590081410592),
        ];
        for &(s, want) in tf {
            assert_eq!(fingerprint64(s.as_bytes()) % (u64::MAX >> 1), want, "{s:?}");
        }
    }

    #[test]
    fn siphash24_matches_tensorflows_strong_hash() {
        // tf.strings.to_hash_bucket_strong(x, 2**31 - 1, key=key) in
        // TensorFlow 2.21.
        let x = [
            "10",
            "20",
            "abc",
            "hello world, a longer string of 30+ bytes!!",
            "",
            "1234567",
        ];
        let tf: &[([u64; 2], [u64; 6])] = &[
            (
                [3, 5],
                [
                    1484267378, 2033526906, 630161770, 1511404713, 1128111113, 1790140035,
                ],
            ),
            (
                [7, 7],
                [
                    585955463, 1831968678, 183237477, 1597169258, 1232666319, 1081148103,
                ],
            ),
            (
                [(1 << 40) + 3, 12345678901],
                [
                    1840758946, 1841479777, 788143181, 270566487, 1520495258, 774474096,
                ],
            ),
        ];
        for (key, want) in tf {
            for (s, &w) in x.iter().zip(want) {
                assert_eq!(
                    siphash24(*key, s.as_bytes()) % ((1 << 31) - 1),
                    w,
                    "{s:?} {key:?}"
                );
            }
        }
    }
}

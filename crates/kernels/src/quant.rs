//! Reduced precision and integer quantization as Keras computes them on
//! TensorFlow: float32 values rounded to float16 / bfloat16 (layers under
//! a `mixed_float16` / `mixed_bfloat16` policy), Keras 3's abs-max
//! quantizer (`int8` layers quantize their inputs with it), the int4
//! nibbles of `pack_int4`, and the int8 matrix product summed exactly in
//! int32.

use crate::einsum::advance;

/// Round every value to the nearest float16 (ties to even; past 65504 to
/// ±infinity), as TensorFlow's cast to float16 does, kept as float32.
///
/// ```
/// let mut x = [1.0f32 + 1.0 / 4096.0, 70000.0, 0.1];
/// tfjs_kernels::quant::round_to_f16(&mut x);
/// assert_eq!(x[0], 1.0);
/// assert_eq!(x[1], f32::INFINITY);
/// assert_eq!(x[2], 0.099975586);
/// ```
pub fn round_to_f16(x: &mut [f32]) {
    for v in x {
        *v = half::f16::from_f32(*v).to_f32();
    }
}

/// Round every value to the nearest bfloat16 (ties to even), as
/// TensorFlow's cast to bfloat16 does, kept as float32.
///
/// ```
/// let mut x = [1.0f32 + 1.0 / 256.0, 1.0 + 3.0 / 256.0];
/// tfjs_kernels::quant::round_to_bf16(&mut x);
/// assert_eq!(x, [1.0, 1.0 + 4.0 / 256.0]);
/// ```
pub fn round_to_bf16(x: &mut [f32]) {
    for v in x {
        *v = half::bf16::from_f32(*v).to_f32();
    }
}

/// Keras's `abs_max_quantize` of a row-major tensor of `shape` over the
/// axes `reduced` (computed in float32 as on TensorFlow): per position of
/// the other axes, `scale = hi / (max |x| + epsilon)`, and each value
/// `clip(round_half_even(x * scale), lo, hi)`. Returns the quantized values
/// (integers, as f32) and the scales, whose shape is `shape` with the
/// reduced axes of size 1.
///
/// # Panics
/// If `x.len()` is not the product of `shape` or an axis is out of range.
///
/// ```
/// use tfjs_kernels::quant::abs_max_quantize;
/// let (q, s) = abs_max_quantize(&[0.5, -1.0, 0.25, 0.0], &[2, 2], &[1], (-127.0, 127.0), 1e-7);
/// // epsilon makes the scale a hair under 127: 0.5 * scale is just under 63.5.
/// assert_eq!(q, [63.0, -127.0, 127.0, 0.0]);
/// assert_eq!(s, [127.0 / (1.0 + 1e-7), 127.0 / (0.25 + 1e-7)]);
/// ```
pub fn abs_max_quantize(
    x: &[f32],
    shape: &[usize],
    reduced: &[usize],
    range: (f32, f32),
    epsilon: f32,
) -> (Vec<f32>, Vec<f32>) {
    abs_max_quantize_in(x, shape, reduced, range, epsilon, |v| v)
}

/// [`abs_max_quantize`] computed in a narrower float type whose rounding
/// of a float32 value is `round` (bfloat16 under `mixed_bfloat16`): the
/// epsilon, the sum `max |x| + epsilon`, the scale and each product
/// `x * scale` are rounded as TensorFlow rounds each op's result. `x`
/// holds values of that type already.
///
/// ```
/// use tfjs_kernels::quant::abs_max_quantize_in;
/// let bf16 = |v: f32| half::bf16::from_f32(v).to_f32();
/// let (q, s) = abs_max_quantize_in(&[0.5, -3.0], &[1, 2], &[1], (-127.0, 127.0), 1e-7, bf16);
/// // 127 / 3 = 42.33 is 42.25 in bfloat16; 0.5 * 42.25 = 21.125 is 21.
/// assert_eq!(s, [42.25]);
/// assert_eq!(q, [21.0, -127.0]);
/// ```
pub fn abs_max_quantize_in(
    x: &[f32],
    shape: &[usize],
    reduced: &[usize],
    (lo, hi): (f32, f32),
    epsilon: f32,
    round: impl Fn(f32) -> f32,
) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(
        x.len(),
        shape.iter().product::<usize>(),
        "abs_max_quantize: shape"
    );
    assert!(
        reduced.iter().all(|&a| a < shape.len()),
        "abs_max_quantize: axis"
    );
    let (scale_len, strides) = scale_strides(shape, reduced);
    let mut amax = vec![0f32; scale_len];
    let mut idx = vec![0usize; shape.len()];
    let at = |idx: &[usize]| idx.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>();
    for &v in x {
        let s = at(&idx);
        // TensorFlow's max propagates NaN.
        let a = v.abs();
        if a > amax[s] || a.is_nan() {
            amax[s] = a;
        }
        advance(&mut idx, shape);
    }
    let epsilon = round(epsilon);
    let scale: Vec<f32> = amax
        .iter()
        .map(|&m| round(hi / round(m + epsilon)))
        .collect();
    let mut q = Vec::with_capacity(x.len());
    for &v in x {
        let s = scale[at(&idx)];
        q.push(round(v * s).round_ties_even().clamp(lo, hi));
        advance(&mut idx, shape);
    }
    (q, scale)
}

/// The length of a scale over `reduced` and the stride of each axis of
/// `shape` into it (0 for the reduced axes).
fn scale_strides(shape: &[usize], reduced: &[usize]) -> (usize, Vec<usize>) {
    let mut strides = vec![0usize; shape.len()];
    let mut len = 1usize;
    for a in (0..shape.len()).rev() {
        if !reduced.contains(&a) {
            strides[a] = len;
            len *= shape[a];
        }
    }
    (len, strides)
}

/// Keras's `unpack_int4` along the last axis: `packed` holds `rows` rows
/// of `cols.div_ceil(2)` signed bytes, each two int4 values (the first in
/// its low nibble); returns the `[rows, cols]` values in `[-8, 7]`.
///
/// # Panics
/// If `packed` is not `rows * cols.div_ceil(2)` long.
///
/// ```
/// // Keras's own example: [[-3, 7, 2], [-8, 1, 0]] packs to [[125, 2], [24, 0]].
/// let v = tfjs_kernels::quant::unpack_int4(&[125, 2, 24, 0], 2, 3);
/// assert_eq!(v, [-3, 7, 2, -8, 1, 0]);
/// ```
pub fn unpack_int4(packed: &[i32], rows: usize, cols: usize) -> Vec<i32> {
    let per_row = cols.div_ceil(2);
    assert_eq!(packed.len(), rows * per_row, "unpack_int4: length");
    let signed = |n: i32| (n ^ 8) - 8;
    let mut out = Vec::with_capacity(rows * cols);
    for row in packed.chunks_exact(per_row.max(1)).take(rows) {
        for (j, &b) in row.iter().enumerate() {
            out.push(signed(b & 0xF));
            if 2 * j + 1 < cols {
                out.push(signed((b >> 4) & 0xF));
            }
        }
    }
    out
}

/// `[m × k] · [k × n]` of integers summed exactly in int32, as
/// TensorFlow's int8 × int8 matmul (wrapping as int32 does), each result
/// then cast to float32 (to nearest, ties to even).
///
/// # Panics
/// If a length does not match its dimensions.
///
/// ```
/// let y = tfjs_kernels::quant::matmul_int(&[1, -2, 3, 4], &[5, 6, -7, 8], 2, 2, 2);
/// assert_eq!(y, [19.0, -10.0, -13.0, 50.0]);
/// ```
pub fn matmul_int(a: &[i32], b: &[i32], m: usize, k: usize, n: usize) -> Vec<f32> {
    assert_eq!(a.len(), m * k, "matmul_int: a");
    assert_eq!(b.len(), k * n, "matmul_int: b");
    let mut acc = vec![0i32; n];
    let mut out = Vec::with_capacity(m * n);
    for i in 0..m {
        acc.iter_mut().for_each(|v| *v = 0);
        for p in 0..k {
            let x = a[i * k + p];
            if x == 0 {
                continue;
            }
            for (o, &w) in acc.iter_mut().zip(&b[p * n..(p + 1) * n]) {
                *o = o.wrapping_add(x.wrapping_mul(w));
            }
        }
        out.extend(acc.iter().map(|&v| v as f32));
    }
    out
}

/// Round `x` to float8 e4m3fn (4 exponent bits with bias 7, 3 mantissa
/// bits, subnormals down to 2^-9, largest finite 448, no infinities; ties
/// to even), as float32. Values past ±448 are out of its range: Keras
/// clips before it casts, so callers clip first.
///
/// ```
/// use tfjs_kernels::quant::round_to_e4m3;
/// assert_eq!(round_to_e4m3(1.0625), 1.0); // halfway to 1.125: to even
/// assert_eq!(round_to_e4m3(1.1875), 1.25);
/// assert_eq!(round_to_e4m3(0.001), 0.001953125); // the smallest subnormal, 2^-9
/// assert_eq!(round_to_e4m3(448.0), 448.0);
/// ```
pub fn round_to_e4m3(x: f32) -> f32 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let a = x.abs();
    // The spacing of e4m3 values around `a`: 2^(e - 3) for a normal value
    // with exponent e ≥ -6, else the subnormal step 2^-9.
    let e = a.log2().floor().max(-6.0) as i32;
    let step = 2f32.powi(e - 3);
    let r = (a / step).round_ties_even() * step;
    r.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every e4m3fn value, built from its bits.
    fn e4m3_values() -> Vec<f32> {
        (0u8..=0x7E)
            .map(|b| {
                let (e, m) = ((b >> 3) as i32, (b & 7) as f32);
                if e == 0 {
                    m / 8.0 * 2f32.powi(-6)
                } else {
                    (1.0 + m / 8.0) * 2f32.powi(e - 7)
                }
            })
            .collect()
    }

    /// Rounding to e4m3 lands on the nearest representable value (the even
    /// one at a tie), checked against the full table.
    #[test]
    fn e4m3_rounds_to_the_nearest_value() {
        let table = e4m3_values();
        let mut x = 0.0001f32;
        while x < 448.0 {
            let got = round_to_e4m3(x);
            let best = table
                .iter()
                .copied()
                .min_by(|a, b| (a - x).abs().total_cmp(&(b - x).abs()))
                .unwrap();
            if (best - x).abs() != (got - x).abs() {
                panic!("{x}: got {got}, nearest {best}");
            }
            assert!(table.contains(&got), "{x} → {got} is not an e4m3 value");
            assert_eq!(round_to_e4m3(-x), -got);
            x *= 1.0123;
        }
    }

    /// The quantizer agrees with a naive per-row version, over a middle
    /// axis too.
    #[test]
    fn abs_max_over_axes_matches_naive() {
        let shape = [2, 3, 4];
        let x: Vec<f32> = (0..24).map(|i| ((i * 7 % 11) as f32 - 5.0) / 3.0).collect();
        let (q, s) = abs_max_quantize(&x, &shape, &[1], (-127.0, 127.0), 1e-7);
        assert_eq!(s.len(), 8);
        for a in 0..2 {
            for c in 0..4 {
                let col: Vec<f32> = (0..3).map(|b| x[a * 12 + b * 4 + c]).collect();
                let m = col.iter().fold(0f32, |m, v| m.max(v.abs()));
                let scale = 127.0 / (m + 1e-7);
                assert_eq!(s[a * 4 + c], scale);
                for b in 0..3 {
                    let want = (col[b] * scale).round_ties_even().clamp(-127.0, 127.0);
                    assert_eq!(q[a * 12 + b * 4 + c], want);
                }
            }
        }
    }

    /// In bfloat16, every step rounds: the scale is `127 / (max + eps)`
    /// rounded twice, and each product rounded before `round`.
    #[test]
    fn abs_max_in_bfloat16_matches_naive() {
        let bf = |v: f32| half::bf16::from_f32(v).to_f32();
        let x: Vec<f32> = (0..12)
            .map(|i| bf(((i * 5 % 13) as f32 - 6.0) / 7.0))
            .collect();
        let (q, s) = abs_max_quantize_in(&x, &[3, 4], &[1], (-127.0, 127.0), 1e-7, bf);
        for (r, row) in x.chunks(4).enumerate() {
            let m = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = bf(127.0 / bf(m + bf(1e-7)));
            assert_eq!(s[r], scale);
            for (c, &v) in row.iter().enumerate() {
                let want = bf(v * scale).round_ties_even().clamp(-127.0, 127.0);
                assert_eq!(q[r * 4 + c], want);
            }
        }
        let (_, f32_scales) = abs_max_quantize(&x, &[3, 4], &[1], (-127.0, 127.0), 1e-7);
        assert_ne!(s, f32_scales);
    }

    /// Integer products agree with a naive triple loop.
    #[test]
    fn matmul_int_matches_naive() {
        let (m, k, n) = (3, 5, 4);
        let a: Vec<i32> = (0..m * k).map(|i| (i as i32 * 37 % 255) - 127).collect();
        let b: Vec<i32> = (0..k * n).map(|i| (i as i32 * 53 % 255) - 127).collect();
        let got = matmul_int(&a, &b, m, k, n);
        for i in 0..m {
            for j in 0..n {
                let want: i32 = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
                assert_eq!(got[i * n + j], want as f32);
            }
        }
    }

    /// Packing as Keras's `pack_int4` does and unpacking gives the values
    /// back, odd column counts included.
    #[test]
    fn unpack_int4_inverts_packing() {
        let (rows, cols) = (3usize, 5usize);
        let vals: Vec<i32> = (0..rows * cols).map(|i| (i as i32 * 5 % 16) - 8).collect();
        let mut packed = Vec::new();
        for r in 0..rows {
            for j in 0..cols.div_ceil(2) {
                let lo = vals[r * cols + 2 * j];
                let hi = if 2 * j + 1 < cols {
                    vals[r * cols + 2 * j + 1]
                } else {
                    0
                };
                packed.push(((lo & 0xF) | ((hi & 0xF) << 4)) as u8 as i8 as i32);
            }
        }
        assert_eq!(unpack_int4(&packed, rows, cols), vals);
    }
}

//! Every kernel against a naive reference written straight from its definition.

mod support;

use proptest::prelude::*;
use tfjs_kernels::FusedActivation::Linear;
use tfjs_kernels::*;

/// Deterministic pseudo-random values in [-1, 1).
fn rand_vec(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Seeded random input, kernel and bias values of a convolution (from
/// `seed`, `seed + 1` and `seed + 2`).
fn conv_data(input_len: usize, kernel_len: usize, bias_len: usize, seed: u64) -> [Vec<f32>; 3] {
    [
        rand_vec(input_len, seed),
        rand_vec(kernel_len, seed + 1),
        rand_vec(bias_len, seed + 2),
    ]
}

/// `([batch, in_h, in_w, in_c, out_c], kernel, [stride_h, stride_w, dilation_w], [top, bottom, left, right])`.
type PaddedGeometry = ([usize; 5], [usize; 2], [usize; 3], [usize; 4]);

/// A pre-packed kernel over an input with an explicit zero border (the
/// engine's `ZeroPadding2D` fused into a convolution) against the naive
/// convolution of the padded input; no case when the window does not fit.
fn packed_with_explicit_padding_matches_naive(
    geometry: PaddedGeometry,
    relu6: bool,
    use_bias: bool,
    seed: u64,
) {
    let ([batch, in_h, in_w, in_c, out_c], [k_h, k_w], [s_h, s_w, d_w], pads) = geometry;
    let [top, bottom, left, right] = pads;
    let Ok(mut p) = Conv2dParams::new(
        batch,
        [in_h + top + bottom, in_w + left + right],
        in_c,
        out_c,
        [k_h, k_w],
        [s_h, s_w],
        [1, d_w],
        Padding::Valid,
    ) else {
        return;
    };
    (p.in_h, p.in_w, p.pad_top, p.pad_left) = (in_h, in_w, top, left);
    let [x, w, b] = conv_data(p.input_len(), p.kernel_len(), out_c, seed);
    let bias = use_bias.then_some(&b[..]);
    let act = if relu6 {
        FusedActivation::Relu6
    } else {
        FusedActivation::Linear
    };
    let mut want = naive_conv3d(&x, &w, bias, &Conv3dParams::from(p));
    act.apply(&mut want);
    let packed = PackedMatrix::new(&w, k_h * k_w * in_c, out_c, bias);
    assert_kernel(&format!("conv2d_packed {p:?}"), &want, |out| {
        conv2d_packed(&x, &packed, act, &p, out)
    });
}

/// Runs `kernel` into a NaN-filled output as long as `want` and compares.
fn assert_kernel(what: &str, want: &[f32], kernel: impl FnOnce(&mut [f32])) {
    let mut out = vec![f32::NAN; want.len()];
    kernel(&mut out);
    assert_close(&out, want, what);
}

/// max |a-b| ≤ 1e-4 · max(1, max |want|).
fn assert_close(got: &[f32], want: &[f32], what: &str) {
    support::assert_close_within(what, got, want, 1e-4);
}

fn naive_matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            for p in 0..k {
                s += a[i * k + p] as f64 * b[p * n + j] as f64;
            }
            out[i * n + j] = s as f32;
        }
    }
    out
}

/// Naive NDHWC / DHWIO convolution from explicit geometry.
#[allow(clippy::too_many_arguments)]
fn naive_conv3d(x: &[f32], w: &[f32], bias: Option<&[f32]>, p: &Conv3dParams) -> Vec<f32> {
    let mut out = vec![0.0f32; p.output_len()];
    let ins = [p.in_d, p.in_h, p.in_w];
    for n in 0..p.batch {
        for od in 0..p.out_d {
            for oh in 0..p.out_h {
                for ow in 0..p.out_w {
                    for oc in 0..p.out_c {
                        let mut s = bias.map_or(0.0, |b| b[oc] as f64);
                        for kd in 0..p.k_d {
                            for kh in 0..p.k_h {
                                for kw in 0..p.k_w {
                                    let id = (od * p.stride_d + kd * p.dil_d) as isize
                                        - p.pad_front as isize;
                                    let ih = (oh * p.stride_h + kh * p.dil_h) as isize
                                        - p.pad_top as isize;
                                    let iw = (ow * p.stride_w + kw * p.dil_w) as isize
                                        - p.pad_left as isize;
                                    if id < 0 || ih < 0 || iw < 0 {
                                        continue;
                                    }
                                    let (id, ih, iw) = (id as usize, ih as usize, iw as usize);
                                    if id >= ins[0] || ih >= ins[1] || iw >= ins[2] {
                                        continue;
                                    }
                                    for ic in 0..p.in_c {
                                        let xi = (((n * p.in_d + id) * p.in_h + ih) * p.in_w + iw)
                                            * p.in_c
                                            + ic;
                                        let wi = (((kd * p.k_h + kh) * p.k_w + kw) * p.in_c + ic)
                                            * p.out_c
                                            + oc;
                                        s += x[xi] as f64 * w[wi] as f64;
                                    }
                                }
                            }
                        }
                        out[(((n * p.out_d + od) * p.out_h + oh) * p.out_w + ow) * p.out_c + oc] =
                            s as f32;
                    }
                }
            }
        }
    }
    out
}

/// `depthwise_conv2d` (multiplier 1, with a bias) gives each output its
/// taps added to the bias one at a time in window order, bit for bit.
fn assert_sums_taps_in_window_order(p: &Conv2dParams, seed: u64) {
    let (k, c) = (p.k_h * p.k_w, p.in_c);
    let [x, w, b] = conv_data(p.input_len(), k * c, c, seed);
    let want = in_order_depthwise(&x, &w, &b, p);
    let mut got = vec![f32::NAN; p.output_len()];
    depthwise_conv2d(&x, &w, Some(&b), FusedActivation::Linear, p, &mut got);
    let differ = got
        .iter()
        .zip(&want)
        .position(|(g, w)| g.to_bits() != w.to_bits());
    assert!(
        differ.is_none(),
        "{p:?}: output {differ:?} differs from the in-order sum"
    );
}

/// Depthwise convolution (multiplier 1) in `f32`, each output's taps added
/// to its bias one at a time in window order, fused as the kernels fuse
/// them (where the CPU has FMA), skipping taps outside the input.
fn in_order_depthwise(x: &[f32], w: &[f32], bias: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let fma = cfg!(target_arch = "x86_64") && {
        #[cfg(target_arch = "x86_64")]
        {
            is_x86_feature_detected!("fma") && is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    };
    let c_n = p.in_c;
    let mut out = vec![0.0f32; p.output_len()];
    for n in 0..p.batch {
        for oh in 0..p.out_h {
            for ow in 0..p.out_w {
                for c in 0..c_n {
                    let mut s = bias[c];
                    for kh in 0..p.k_h {
                        for kw in 0..p.k_w {
                            let ih = (oh * p.stride_h + kh * p.dil_h) as isize - p.pad_top as isize;
                            let iw =
                                (ow * p.stride_w + kw * p.dil_w) as isize - p.pad_left as isize;
                            if ih < 0 || iw < 0 || ih as usize >= p.in_h || iw as usize >= p.in_w {
                                continue;
                            }
                            let xv =
                                x[((n * p.in_h + ih as usize) * p.in_w + iw as usize) * c_n + c];
                            let wv = w[(kh * p.k_w + kw) * c_n + c];
                            s = if fma { xv.mul_add(wv, s) } else { xv * wv + s };
                        }
                    }
                    out[((n * p.out_h + oh) * p.out_w + ow) * c_n + c] = s;
                }
            }
        }
    }
    out
}

fn naive_depthwise(x: &[f32], w: &[f32], bias: Option<&[f32]>, p: &Conv2dParams) -> Vec<f32> {
    let mult = p.out_c / p.in_c;
    let mut out = vec![0.0f32; p.output_len()];
    for n in 0..p.batch {
        for oh in 0..p.out_h {
            for ow in 0..p.out_w {
                for c in 0..p.in_c {
                    for m in 0..mult {
                        let oc = c * mult + m;
                        let mut s = bias.map_or(0.0, |b| b[oc] as f64);
                        for kh in 0..p.k_h {
                            for kw in 0..p.k_w {
                                let ih =
                                    (oh * p.stride_h + kh * p.dil_h) as isize - p.pad_top as isize;
                                let iw =
                                    (ow * p.stride_w + kw * p.dil_w) as isize - p.pad_left as isize;
                                if ih < 0
                                    || iw < 0
                                    || ih as usize >= p.in_h
                                    || iw as usize >= p.in_w
                                {
                                    continue;
                                }
                                let xi = ((n * p.in_h + ih as usize) * p.in_w + iw as usize)
                                    * p.in_c
                                    + c;
                                let wi = ((kh * p.k_w + kw) * p.in_c + c) * mult + m;
                                s += x[xi] as f64 * w[wi] as f64;
                            }
                        }
                        out[((n * p.out_h + oh) * p.out_w + ow) * p.out_c + oc] = s as f32;
                    }
                }
            }
        }
    }
    out
}

fn naive_pool3d(x: &[f32], p: &Pool3dParams, is_max: bool) -> Vec<f32> {
    let mut out = vec![0.0f32; p.output_len()];
    for n in 0..p.batch {
        for od in 0..p.out_d {
            for oh in 0..p.out_h {
                for ow in 0..p.out_w {
                    for c in 0..p.channels {
                        let mut vals = Vec::new();
                        for kd in 0..p.k_d {
                            for kh in 0..p.k_h {
                                for kw in 0..p.k_w {
                                    let id = (od * p.stride_d + kd) as isize - p.pad_front as isize;
                                    let ih = (oh * p.stride_h + kh) as isize - p.pad_top as isize;
                                    let iw = (ow * p.stride_w + kw) as isize - p.pad_left as isize;
                                    if id < 0 || ih < 0 || iw < 0 {
                                        continue;
                                    }
                                    let (id, ih, iw) = (id as usize, ih as usize, iw as usize);
                                    if id >= p.in_d || ih >= p.in_h || iw >= p.in_w {
                                        continue;
                                    }
                                    vals.push(
                                        x[(((n * p.in_d + id) * p.in_h + ih) * p.in_w + iw)
                                            * p.channels
                                            + c],
                                    );
                                }
                            }
                        }
                        let v = if vals.is_empty() {
                            0.0
                        } else if is_max {
                            vals.iter().cloned().fold(f32::NEG_INFINITY, f32::max)
                        } else {
                            vals.iter().map(|&v| v as f64).sum::<f64>() as f32 / vals.len() as f32
                        };
                        out[(((n * p.out_d + od) * p.out_h + oh) * p.out_w + ow) * p.channels
                            + c] = v;
                    }
                }
            }
        }
    }
    out
}

fn padding() -> impl Strategy<Value = Padding> {
    prop_oneof![Just(Padding::Valid), Just(Padding::Same)]
}

fn cfg() -> ProptestConfig {
    ProptestConfig {
        cases: 40,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn matmul_matches_naive(m in 1usize..40, k in 0usize..40, n in 1usize..40, acc: bool, seed: u64) {
        let a = rand_vec(m * k, seed);
        let b = rand_vec(k * n, seed + 1);
        let init = rand_vec(m * n, seed + 2);
        let mut want = naive_matmul(&a, &b, m, k, n);
        if acc {
            for (w, i) in want.iter_mut().zip(&init) { *w += i; }
        }
        let mut out = init.clone();
        matmul(&a, &b, m, k, n, &mut out, acc);
        assert_close(&out, &want, "matmul");

        // b transposed.
        let mut bt = vec![0.0; k * n];
        for p in 0..k { for j in 0..n { bt[j * k + p] = b[p * n + j]; } }
        let mut out = init.clone();
        matmul_bt(&a, &bt, m, k, n, &mut out, acc);
        assert_close(&out, &want, "matmul_bt");
    }

    #[test]
    fn dense_matches_naive(m in 1usize..20, k in 1usize..30, n in 1usize..30, seed: u64) {
        let x = rand_vec(m * k, seed);
        let w = rand_vec(k * n, seed + 1);
        let b = rand_vec(n, seed + 2);
        let mut want = naive_matmul(&x, &w, m, k, n);
        for row in want.chunks_mut(n) { for (v, bb) in row.iter_mut().zip(&b) { *v += bb; } }
        let mut out = vec![f32::NAN; m * n];
        dense(&x, &w, Some(&b), m, k, n, &mut out);
        assert_close(&out, &want, "dense");
    }

    #[test]
    fn conv2d_matches_naive(
        batch in 1usize..3, in_h in 1usize..10, in_w in 1usize..10, in_c in 1usize..12, out_c in 1usize..40,
        k_h in 1usize..5, k_w in 1usize..5, s_h in 1usize..3, s_w in 1usize..3, d_h in 1usize..3, d_w in 1usize..3,
        pad in padding(), use_bias: bool, seed: u64,
    ) {
        let Ok(p) = Conv2dParams::new(batch, [in_h, in_w], in_c, out_c, [k_h, k_w], [s_h, s_w], [d_h, d_w], pad) else {
            return Ok(());
        };
        let [x, w, b] = conv_data(p.input_len(), p.kernel_len(), out_c, seed);
        let bias = use_bias.then_some(&b[..]);
        let want = naive_conv3d(&x, &w, bias, &Conv3dParams::from(p));
        assert_kernel(&format!("conv2d {p:?}"), &want, |out| conv2d(&x, &w, bias, Linear, &p, out));
    }

    /// A pre-packed kernel with an explicit (asymmetric) zero border, as the
    /// engine runs a ZeroPadding2D fused into the next convolution: wide
    /// rows take every register block of the in-place (interior) path, and
    /// narrow ones the gathered (border) path; few and many input channels.
    #[test]
    fn conv2d_packed_with_explicit_padding_matches_naive(
        batch in 1usize..3, in_h in 1usize..7, in_w in 1usize..40,
        in_c in prop_oneof![1usize..7, 60usize..70], out_c in 1usize..40,
        k_h in 1usize..4, k_w in 1usize..4, s_h in 1usize..3, s_w in 1usize..3, d_w in 1usize..3,
        pads in [0usize..3, 0usize..3, 0usize..3, 0usize..3], relu6: bool, use_bias: bool, seed: u64,
    ) {
        let geometry = ([batch, in_h, in_w, in_c, out_c], [k_h, k_w], [s_h, s_w, d_w], pads);
        packed_with_explicit_padding_matches_naive(geometry, relu6, use_bias, seed);
    }

    /// The fused epilogue (ReLU, ReLU6, swish) equals the activation applied afterwards, bit for bit, on every conv path
    /// (1×1 product, in-place rows, gathered border pixels) and for depthwise.
    #[test]
    fn fused_activation_matches_separate_pass(
        batch in 1usize..3, hw in 1usize..9, in_c in prop_oneof![1usize..4, 20usize..30], out_c in 1usize..20,
        k in prop_oneof![Just(1usize), Just(3)], s in 1usize..3,
        act in prop_oneof![Just(FusedActivation::Relu), Just(FusedActivation::Relu6), Just(FusedActivation::Silu)],
        seed: u64,
    ) {
        let p = Conv2dParams::new(batch, [hw, hw], in_c, out_c, [k, k], [s, s], [1, 1], Padding::Same).unwrap();
        // Scale up so Relu6 clips.
        let x: Vec<f32> = rand_vec(p.input_len(), seed).iter().map(|v| v * 4.0).collect();
        let w = rand_vec(p.kernel_len(), seed + 1);
        let b = rand_vec(out_c, seed + 2);
        let mut want = vec![f32::NAN; p.output_len()];
        conv2d(&x, &w, Some(&b), Linear, &p, &mut want);
        act.apply(&mut want);
        let mut got = vec![f32::NAN; p.output_len()];
        conv2d(&x, &w, Some(&b), act, &p, &mut got);
        prop_assert_eq!(&got, &want);

        let d = Conv2dParams::new(batch, [hw, hw], in_c, in_c, [k, k], [s, s], [1, 1], Padding::Same).unwrap();
        let wd = rand_vec(k * k * in_c, seed + 3);
        let mut want = vec![f32::NAN; d.output_len()];
        depthwise_conv2d(&x, &wd, None, Linear, &d, &mut want);
        act.apply(&mut want);
        let mut got = vec![f32::NAN; d.output_len()];
        depthwise_conv2d(&x, &wd, None, act, &d, &mut got);
        prop_assert_eq!(&got, &want);
    }

    #[test]
    fn conv1d_matches_naive(
        batch in 1usize..3, len in 1usize..20, in_c in 1usize..5, out_c in 1usize..5,
        k in 1usize..5, s in 1usize..3, d in 1usize..3,
        pad in prop_oneof![Just(Padding::Valid), Just(Padding::Same), Just(Padding::Causal)], seed: u64,
    ) {
        let Ok(p) = Conv2dParams::conv1d(batch, len, in_c, out_c, k, s, d, pad) else { return Ok(()); };
        if pad == Padding::Causal {
            prop_assert_eq!(p.pad_left, (k - 1) * d);
            prop_assert_eq!(p.out_w, len.div_ceil(s));
        }
        let [x, w, _] = conv_data(p.input_len(), p.kernel_len(), 0, seed);
        let want = naive_conv3d(&x, &w, None, &Conv3dParams::from(p));
        assert_kernel(&format!("conv1d {p:?}"), &want, |out| conv2d(&x, &w, None, Linear, &p, out));
    }

    #[test]
    fn conv3d_matches_naive(
        batch in 1usize..3, in_d in 1usize..5, in_h in 1usize..6, in_w in 1usize..6, in_c in 1usize..4, out_c in 1usize..4,
        k in (1usize..3, 1usize..4, 1usize..4), s in (1usize..3, 1usize..3, 1usize..3), dil in 1usize..3,
        pad in padding(), seed: u64,
    ) {
        let Ok(p) = Conv3dParams::new(batch, [in_d, in_h, in_w], in_c, out_c, [k.0, k.1, k.2], [s.0, s.1, s.2], [1, dil, 1], pad) else {
            return Ok(());
        };
        let [x, w, b] = conv_data(p.input_len(), p.kernel_len(), out_c, seed);
        let want = naive_conv3d(&x, &w, Some(&b), &p);
        assert_kernel(&format!("conv3d {p:?}"), &want, |out| conv3d(&x, &w, Some(&b), &p, out));
    }

    #[test]
    fn depthwise_matches_naive(
        batch in 1usize..3, in_h in 1usize..14, in_w in 1usize..14, in_c in 1usize..45, mult in 1usize..3,
        k_h in prop_oneof![1usize..4, Just(3), Just(5), Just(7)], k_w in prop_oneof![1usize..4, Just(3), Just(5), Just(7)], s in 1usize..3, dil in 1usize..3,
        pad in padding(), use_bias: bool, seed: u64,
    ) {
        let Ok(p) = Conv2dParams::new(batch, [in_h, in_w], in_c, in_c * mult, [k_h, k_w], [s, s], [dil, dil], pad) else {
            return Ok(());
        };
        let [x, w, b] = conv_data(p.input_len(), k_h * k_w * in_c * mult, in_c * mult, seed);
        let bias = use_bias.then_some(&b[..]);
        let want = naive_depthwise(&x, &w, bias, &p);
        assert_kernel(&format!("depthwise {p:?}"), &want, |out| depthwise_conv2d(&x, &w, bias, Linear, &p, out));
    }

    /// Fewer channels than a vector (1, 2 and 4 at stride 1: several pixels
    /// per vector, rows wide enough for every run length: four vectors, one,
    /// single pixels) at strides 1 and 2, with
    /// `same` and `valid` padding and a fused activation: the naive sums,
    /// and bit for bit the activation applied afterwards.
    #[test]
    fn depthwise_few_channels_matches_naive(
        batch in 1usize..3, in_h in 1usize..9, in_w in 1usize..60, in_c in 1usize..8,
        k in prop_oneof![Just(3usize), Just(5), Just(7)], s in 1usize..3, pad in padding(), use_bias: bool, seed: u64,
    ) {
        let Ok(p) = Conv2dParams::new(batch, [in_h, in_w], in_c, in_c, [k, k], [s, s], [1, 1], pad) else {
            return Ok(());
        };
        let [x, w, b] = conv_data(p.input_len(), k * k * in_c, in_c, seed);
        let bias = use_bias.then_some(&b[..]);
        let want = naive_depthwise(&x, &w, bias, &p);
        assert_kernel(&format!("depthwise {p:?}"), &want, |out| depthwise_conv2d(&x, &w, bias, Linear, &p, out));
        let mut linear = vec![f32::NAN; p.output_len()];
        depthwise_conv2d(&x, &w, bias, Linear, &p, &mut linear);
        FusedActivation::Relu6.apply(&mut linear);
        let mut fused = vec![f32::NAN; p.output_len()];
        depthwise_conv2d(&x, &w, bias, FusedActivation::Relu6, &p, &mut fused);
        prop_assert_eq!(fused, linear);
    }

    /// Rows wide enough for the stride-1 sweep's runs of 10 (8 for 7x7)
    /// pixels and every tail length after them, at channel counts with and
    /// without an overlapping last block: each output is its taps summed
    /// one at a time in window order (rows, then columns), bit for bit,
    /// whichever path computes it.
    #[test]
    fn depthwise_wide_rows_sum_taps_in_window_order(
        in_h in 1usize..6, in_w in 9usize..60, in_c in 8usize..41,
        k in prop_oneof![Just(3usize), Just(5), Just(7)], pad in padding(), seed: u64,
    ) {
        if let Ok(p) = Conv2dParams::new(1, [in_h, in_w], in_c, in_c, [k, k], [1, 1], [1, 1], pad) {
            assert_sums_taps_in_window_order(&p, seed);
        }
    }

    /// More than 256 channels, where the sweep along a row or pixel by
    /// pixel is chosen by the pixel stride (multiples of 512 channels alias
    /// in L1): the same in-order sums, bit for bit, at strides 1 and 2.
    #[test]
    fn depthwise_many_channels_sum_taps_in_window_order(
        in_h in 1usize..8, in_w in 1usize..16, in_c in prop_oneof![257usize..700, Just(384), Just(512), Just(576), Just(1024)],
        k in prop_oneof![Just(3usize), Just(5)], s in 1usize..3, pad in padding(), seed: u64,
    ) {
        if let Ok(p) = Conv2dParams::new(1, [in_h, in_w], in_c, in_c, [k, k], [s, s], [1, 1], pad) {
            assert_sums_taps_in_window_order(&p, seed);
        }
    }

    /// conv2d_transpose is the adjoint of conv2d: <conv2d(x), y> = <x, conv2d_transpose(y)>,
    /// where the forward convolution maps the transposed op's output shape to its input shape.
    #[test]
    fn conv2d_transpose_is_adjoint_of_conv2d(
        batch in 1usize..3, in_h in 1usize..6, in_w in 1usize..6, in_c in 1usize..5, out_c in 1usize..5,
        k_h in 1usize..4, k_w in 1usize..4, s_h in 1usize..4, s_w in 1usize..3, pad in padding(), seed: u64,
    ) {
        let t = Conv2dParams::transpose(batch, [in_h, in_w], in_c, out_c, [k_h, k_w], [s_h, s_w], [1, 1], pad).unwrap();
        // Forward conv from the transposed op's output back to its input.
        let f = Conv2dParams::new(batch, [t.out_h, t.out_w], out_c, in_c, [k_h, k_w], [s_h, s_w], [1, 1], pad).unwrap();
        prop_assert_eq!((f.out_h, f.out_w, f.pad_top, f.pad_left), (in_h, in_w, t.pad_top, t.pad_left));
        // Keras stores the transposed kernel as [kh, kw, out_c, in_c]: exactly the forward HWIO kernel
        // with forward in = out_c, forward out = in_c.
        let w = rand_vec(t.kernel_len(), seed);
        let y = rand_vec(t.input_len(), seed + 1);
        let xf = rand_vec(f.input_len(), seed + 2);
        let mut ty = vec![f32::NAN; t.output_len()];
        conv2d_transpose(&y, &w, None, &t, &mut ty);
        let fx = naive_conv3d(&xf, &w, None, &Conv3dParams::from(f));
        let lhs: f64 = fx.iter().zip(&y).map(|(a, b)| *a as f64 * *b as f64).sum();
        let rhs: f64 = xf.iter().zip(&ty).map(|(a, b)| *a as f64 * *b as f64).sum();
        let scale = fx.iter().map(|v| v.abs() as f64).sum::<f64>().max(1.0);
        prop_assert!((lhs - rhs).abs() <= 1e-4 * scale, "adjoint mismatch {lhs} vs {rhs}");

        // With a bias every output pixel gains it.
        let b = rand_vec(out_c, seed + 3);
        let mut tyb = vec![f32::NAN; t.output_len()];
        conv2d_transpose(&y, &w, Some(&b), &t, &mut tyb);
        let want: Vec<f32> = ty.iter().enumerate().map(|(i, v)| v + b[i % out_c]).collect();
        assert_close(&tyb, &want, "conv2d_transpose bias");
    }

    /// Attention's per-head products: a block of query rows (strided, as
    /// heads interleave) against transposed keys, and scores against
    /// strided value rows, bit for bit the scalar loops in the same order.
    #[test]
    fn attention_products_match_naive(
        rows in 1usize..7, kd in 1usize..40, tv in 1usize..40, vd in 1usize..40,
        gap in 0usize..5, seed: u64,
    ) {
        let (q_stride, v_stride, o_stride) = (kd + gap, vd + gap, vd + 2 * gap);
        let q = rand_vec((rows - 1) * q_stride + kd, seed);
        let kt = rand_vec(kd * tv, seed + 1);
        let mut scores = vec![f32::NAN; rows * tv];
        attention_scores(&q, q_stride, kd, &kt, tv, &mut scores);
        for i in 0..rows {
            for j in 0..tv {
                let mut s = 0.0f32;
                for d in 0..kd {
                    s += q[i * q_stride + d] * kt[d * tv + j];
                }
                prop_assert_eq!(scores[i * tv + j].to_bits(), s.to_bits(), "score {} {}", i, j);
            }
        }
        let v = rand_vec((tv - 1) * v_stride + vd, seed + 2);
        let start = rand_vec((rows - 1) * o_stride + vd, seed + 3);
        let mut out = start.clone();
        attention_context(&scores, tv, &v, v_stride, vd, &mut out, o_stride);
        for i in 0..rows {
            for e in 0..vd {
                let mut o = start[i * o_stride + e];
                for j in 0..tv {
                    o += scores[i * tv + j] * v[j * v_stride + e];
                }
                prop_assert_eq!(out[i * o_stride + e].to_bits(), o.to_bits(), "context {} {}", i, e);
            }
        }
        // Values between the strided rows are left alone.
        for i in 0..rows - 1 {
            for e in vd..o_stride {
                prop_assert_eq!(out[i * o_stride + e].to_bits(), start[i * o_stride + e].to_bits());
            }
        }
    }

    #[test]
    fn pool2d_matches_naive(
        batch in 1usize..3, in_h in 1usize..9, in_w in 1usize..9, c in 1usize..42,
        k_h in 1usize..4, k_w in 1usize..4, s_h in 1usize..4, s_w in 1usize..4, pad in padding(), seed: u64,
    ) {
        let Ok(p) = Pool2dParams::new(batch, [in_h, in_w], c, [k_h, k_w], [s_h, s_w], pad) else { return Ok(()); };
        let x = rand_vec(p.input_len(), seed);
        let mut out = vec![f32::NAN; p.output_len()];
        max_pool2d(&x, &p, &mut out);
        assert_close(&out, &naive_pool3d(&x, &Pool3dParams::from(p), true), "max_pool2d");
        avg_pool2d(&x, &p, &mut out);
        assert_close(&out, &naive_pool3d(&x, &Pool3dParams::from(p), false), "avg_pool2d");
    }

    #[test]
    fn pool3d_matches_naive(
        batch in 1usize..3, ins in (1usize..5, 1usize..5, 1usize..5), c in 1usize..10,
        k in (1usize..3, 1usize..3, 1usize..3), s in (1usize..3, 1usize..3, 1usize..3), pad in padding(), seed: u64,
    ) {
        let Ok(p) = Pool3dParams::new(batch, [ins.0, ins.1, ins.2], c, [k.0, k.1, k.2], [s.0, s.1, s.2], pad) else {
            return Ok(());
        };
        let x = rand_vec(p.input_len(), seed);
        let mut out = vec![f32::NAN; p.output_len()];
        max_pool3d(&x, &p, &mut out);
        assert_close(&out, &naive_pool3d(&x, &p, true), "max_pool3d");
        avg_pool3d(&x, &p, &mut out);
        assert_close(&out, &naive_pool3d(&x, &p, false), "avg_pool3d");
    }

    #[test]
    fn global_pools_match_naive(batch in 1usize..4, spatial in 1usize..30, c in 1usize..40, seed: u64) {
        let x = rand_vec(batch * spatial * c, seed);
        let mut want_avg = vec![0.0f32; batch * c];
        let mut want_max = vec![f32::NEG_INFINITY; batch * c];
        for n in 0..batch {
            for s in 0..spatial {
                for ch in 0..c {
                    let v = x[(n * spatial + s) * c + ch];
                    want_avg[n * c + ch] += v / spatial as f32;
                    want_max[n * c + ch] = want_max[n * c + ch].max(v);
                }
            }
        }
        let mut out = vec![f32::NAN; batch * c];
        global_avg_pool(&x, batch, spatial, c, &mut out);
        assert_close(&out, &want_avg, "global_avg_pool");
        global_max_pool(&x, batch, spatial, c, &mut out);
        assert_close(&out, &want_max, "global_max_pool");
    }
}

fn sigmoid(s: &mut [f32]) {
    for v in s {
        *v = 1.0 / (1.0 + (-*v).exp());
    }
}
fn tanh(s: &mut [f32]) {
    for v in s {
        *v = v.tanh();
    }
}
fn sig1(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn lstm_step_matches_formula(batch in 1usize..4, units in 1usize..9, seed: u64) {
        let u = units;
        let xp = rand_vec(batch * 4 * u, seed);
        let rk = rand_vec(u * 4 * u, seed + 1);
        let h0 = rand_vec(batch * u, seed + 2);
        let c0 = rand_vec(batch * u, seed + 3);
        let z = {
            let mut z = naive_matmul(&h0, &rk, batch, u, 4 * u);
            for (a, b) in z.iter_mut().zip(&xp) { *a += b; }
            z
        };
        let mut want_h = vec![0.0; batch * u];
        let mut want_c = vec![0.0; batch * u];
        for b in 0..batch {
            for j in 0..u {
                let g = |k: usize| z[b * 4 * u + k * u + j];
                let (i, f, cc, o) = (sig1(g(0)), sig1(g(1)), g(2).tanh(), sig1(g(3)));
                let c = f * c0[b * u + j] + i * cc;
                want_c[b * u + j] = c;
                want_h[b * u + j] = o * c.tanh();
            }
        }
        let (mut h, mut c, mut s) = (h0.clone(), c0.clone(), Vec::new());
        let packed = RecurrentKernel::new(&rk, u, 4, None);
        lstm_step(&xp, &packed, &mut h, &mut c, batch, u, &tanh, &sigmoid, &mut s);
        assert_close(&c, &want_c, "lstm c");
        assert_close(&h, &want_h, "lstm h");
    }

    #[test]
    fn gru_step_matches_formula(batch in 1usize..4, units in 1usize..9, after: bool, seed: u64) {
        let u = units;
        let xp = rand_vec(batch * 3 * u, seed);
        let rk = rand_vec(u * 3 * u, seed + 1);
        let rb = rand_vec(3 * u, seed + 2);
        let h0 = rand_vec(batch * u, seed + 3);
        let hu = naive_matmul(&h0, &rk, batch, u, 3 * u);
        let mut want = vec![0.0; batch * u];
        for b in 0..batch {
            // (r*h)·U_h for reset-before.
            let mut rh = vec![0.0f32; u];
            let rbias = |k: usize| if after { rb[k] } else { 0.0 };
            for j in 0..u {
                let r = sig1(xp[b * 3 * u + u + j] + hu[b * 3 * u + u + j] + rbias(u + j));
                rh[j] = r * h0[b * u + j];
            }
            for j in 0..u {
                let z = sig1(xp[b * 3 * u + j] + hu[b * 3 * u + j] + rbias(j));
                let r = sig1(xp[b * 3 * u + u + j] + hu[b * 3 * u + u + j] + rbias(u + j));
                let hh = if after {
                    (xp[b * 3 * u + 2 * u + j] + r * (hu[b * 3 * u + 2 * u + j] + rb[2 * u + j])).tanh()
                } else {
                    let mut s = 0.0f32;
                    for p in 0..u { s += rh[p] * rk[p * 3 * u + 2 * u + j]; }
                    (xp[b * 3 * u + 2 * u + j] + s).tanh()
                };
                want[b * u + j] = z * h0[b * u + j] + (1.0 - z) * hh;
            }
        }
        let mut h = h0.clone();
        let mut s = Vec::new();
        let mode = if after { GruResetMode::After } else { GruResetMode::Before };
        let packed = if after {
            RecurrentKernel::new(&rk, u, 3, Some(&rb))
        } else {
            RecurrentKernel::gru_reset_before(&rk, u)
        };
        gru_step(&xp, &packed, &mut h, batch, u, mode, &tanh, &sigmoid, &mut s);
        assert_close(&h, &want, "gru h");
    }

    #[test]
    fn simple_rnn_step_matches_formula(batch in 1usize..4, units in 1usize..9, seed: u64) {
        let u = units;
        let xp = rand_vec(batch * u, seed);
        let rk = rand_vec(u * u, seed + 1);
        let h0 = rand_vec(batch * u, seed + 2);
        let mut want = naive_matmul(&h0, &rk, batch, u, u);
        for (w, x) in want.iter_mut().zip(&xp) { *w = (*w + x).tanh(); }
        let mut h = h0.clone();
        simple_rnn_step(&xp, &RecurrentKernel::new(&rk, u, 1, None), &mut h, batch, u, &tanh, &mut Vec::new());
        assert_close(&h, &want, "simple rnn h");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..cfg() })]

    /// 3×3 stride-1 convolutions with at least 32 input and output
    /// channels (the Winograd path): odd and tiny images (a last tile half
    /// outside), "same", "valid" and asymmetric explicit padding, channel
    /// counts off the 8-lane width, bias and a fused ReLU6.
    #[test]
    fn conv2d_3x3_with_many_channels_matches_naive(
        batch in 1usize..3, in_h in 1usize..9, in_w in 1usize..9,
        in_c in 32usize..43, out_c in 32usize..43,
        pads in [0usize..3, 0usize..3, 0usize..3, 0usize..3], relu6: bool, use_bias: bool, seed: u64,
    ) {
        let geometry = ([batch, in_h, in_w, in_c, out_c], [3, 3], [1, 1, 1], pads);
        packed_with_explicit_padding_matches_naive(geometry, relu6, use_bias, seed);
    }
}

/// A pixel of a 3×3 convolution (every path, Winograd's tiles included) is
/// the same bits whatever batch it runs in: a model's numbers do not depend
/// on how many images it is given at once.
#[test]
fn conv2d_3x3_pixels_do_not_depend_on_the_batch() {
    for (hw, in_c, out_c) in [([7, 9], 40, 33), ([16, 16], 64, 64), ([5, 6], 8, 12)] {
        let batch = 3;
        let p = Conv2dParams::new(
            batch,
            hw,
            in_c,
            out_c,
            [3, 3],
            [1, 1],
            [1, 1],
            Padding::Same,
        )
        .unwrap();
        let [x, w, b] = conv_data(p.input_len(), p.kernel_len(), out_c, 7);
        let packed = PackedMatrix::new(&w, 9 * in_c, out_c, Some(&b));
        let mut whole = vec![f32::NAN; p.output_len()];
        conv2d_packed(&x, &packed, Linear, &p, &mut whole);
        let one = Conv2dParams { batch: 1, ..p };
        for n in 0..batch {
            let mut alone = vec![f32::NAN; one.output_len()];
            let image = &x[n * one.input_len()..(n + 1) * one.input_len()];
            conv2d_packed(image, &packed, Linear, &one, &mut alone);
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&alone),
                bits(&whole[n * one.output_len()..(n + 1) * one.output_len()]),
                "{hw:?} {in_c}->{out_c}, image {n}"
            );
        }
    }
}

/// A small batch's kernels give the same bits however finely they split
/// over the team (the grain a model learns is a matter of time only), and
/// the same as unsplit on rayon's default path.
#[test]
fn team_grains_give_the_same_bits() {
    use tfjs_kernels::{with_team, TeamGrain};
    // Sizes of MobileNet v1 (0.25) at 128x128: above the fine grain's
    // threshold, below the coarse one's.
    let convs = [
        Conv2dParams::new(1, [32, 32], 32, 32, [1, 1], [1, 1], [1, 1], Padding::Same).unwrap(),
        Conv2dParams::new(1, [64, 64], 3, 8, [3, 3], [2, 2], [1, 1], Padding::Same).unwrap(),
        Conv2dParams::new(1, [16, 16], 64, 64, [3, 3], [1, 1], [1, 1], Padding::Same).unwrap(),
        // Too few pixels to split by rows: split by columns (a classifier,
        // a 4×4 layer; 1000 outputs end in a half panel).
        Conv2dParams::new(1, [1, 1], 256, 1000, [1, 1], [1, 1], [1, 1], Padding::Same).unwrap(),
        Conv2dParams::new(1, [4, 4], 256, 200, [1, 1], [1, 1], [1, 1], Padding::Same).unwrap(),
    ];
    let depthwise =
        Conv2dParams::new(1, [32, 32], 64, 64, [3, 3], [1, 1], [1, 1], Padding::Same).unwrap();
    let pool = Pool2dParams::new(1, [32, 32], 64, [3, 3], [2, 2], Padding::Same).unwrap();
    let run = || {
        let mut outs = Vec::new();
        for (i, p) in convs.iter().enumerate() {
            let [x, w, b] = conv_data(p.input_len(), p.kernel_len(), p.out_c, 40 + i as u64);
            let packed = PackedMatrix::new(&w, p.k_h * p.k_w * p.in_c, p.out_c, Some(&b));
            let mut out = vec![f32::NAN; p.output_len()];
            conv2d_packed(&x, &packed, Linear, p, &mut out);
            outs.push(out);
        }
        let p = &depthwise;
        let [x, w, b] = conv_data(p.input_len(), p.k_h * p.k_w * p.out_c, p.out_c, 50);
        let mut out = vec![f32::NAN; p.output_len()];
        depthwise_conv2d(&x, &w, Some(&b), Linear, p, &mut out);
        outs.push(out);
        let x = rand_vec(pool.input_len(), 51);
        let mut out = vec![f32::NAN; pool.output_len()];
        avg_pool2d(&x, &pool, &mut out);
        outs.push(out);
        outs.into_iter()
            .map(|o| o.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    };
    let unsplit = run();
    for _ in 0..20 {
        assert_eq!(with_team(TeamGrain::Fine, run), unsplit, "fine grain");
        assert_eq!(with_team(TeamGrain::Coarse, run), unsplit, "coarse grain");
    }
}

/// Shapes big enough to take the parallel / tiled paths (few cases: debug builds are slow).
#[test]
fn large_shapes_take_parallel_paths_and_agree() {
    // Every case is above PARALLEL_THRESHOLD_FLOPS multiply-adds.
    let cases = [
        // MobileNet-like first layer, 1×1 pointwise, stride-2 3×3 with odd size, 1×1 stride 2.
        Conv2dParams::new(5, [97, 95], 3, 16, [3, 3], [2, 2], [1, 1], Padding::Same).unwrap(),
        Conv2dParams::new(1, [60, 60], 40, 48, [1, 1], [1, 1], [1, 1], Padding::Same).unwrap(),
        Conv2dParams::new(3, [33, 33], 24, 20, [3, 3], [1, 1], [1, 1], Padding::Same).unwrap(),
        Conv2dParams::new(2, [61, 61], 32, 96, [1, 1], [2, 2], [1, 1], Padding::Valid).unwrap(),
        // 3×3 stride 1 with enough channels (Winograd), odd sizes, tile rows split over tasks.
        Conv2dParams::new(3, [21, 17], 40, 36, [3, 3], [1, 1], [1, 1], Padding::Same).unwrap(),
    ];
    for (i, p) in cases.iter().enumerate() {
        assert!(
            p.output_len() * p.k_h * p.k_w * p.in_c >= PARALLEL_THRESHOLD_FLOPS,
            "{p:?}"
        );
        let x = rand_vec(p.input_len(), i as u64);
        let w = rand_vec(p.kernel_len(), 100 + i as u64);
        let b = rand_vec(p.out_c, 200 + i as u64);
        let mut out = vec![f32::NAN; p.output_len()];
        conv2d(&x, &w, Some(&b), Linear, p, &mut out);
        assert_close(
            &out,
            &naive_conv3d(&x, &w, Some(&b), &Conv3dParams::from(*p)),
            &format!("conv2d {p:?}"),
        );
    }
    // Depthwise: the register-sweep path (≤ 256 channels), the per-pixel path
    // (more channels, with an 8-channel tail), 5×5, stride 2 and a multiplier.
    for (i, p) in [
        Conv2dParams::new(4, [48, 48], 64, 64, [3, 3], [1, 1], [1, 1], Padding::Same).unwrap(),
        Conv2dParams::new(1, [45, 40], 270, 270, [3, 3], [1, 1], [1, 1], Padding::Same).unwrap(),
        Conv2dParams::new(16, [43, 44], 24, 24, [5, 5], [2, 2], [1, 1], Padding::Same).unwrap(),
        Conv2dParams::new(8, [13, 13], 300, 300, [5, 5], [2, 1], [1, 2], Padding::Same).unwrap(),
        Conv2dParams::new(
            160,
            [22, 22],
            16,
            32,
            [3, 3],
            [2, 2],
            [1, 1],
            Padding::Valid,
        )
        .unwrap(),
    ]
    .iter()
    .enumerate()
    {
        assert!(
            p.output_len() * p.k_h * p.k_w >= PARALLEL_THRESHOLD_FLOPS,
            "{p:?}"
        );
        let x = rand_vec(p.input_len(), 7 + i as u64);
        let w = rand_vec(p.k_h * p.k_w * p.out_c, 8 + i as u64);
        let b = rand_vec(p.out_c, 9 + i as u64);
        let mut out = vec![f32::NAN; p.output_len()];
        depthwise_conv2d(&x, &w, Some(&b), Linear, p, &mut out);
        assert_close(
            &out,
            &naive_depthwise(&x, &w, Some(&b), p),
            &format!("depthwise {p:?}"),
        );
    }

    let t = Conv2dParams::transpose(2, [12, 12], 24, 16, [3, 3], [2, 2], [1, 1], Padding::Same)
        .unwrap();
    let f = Conv2dParams::new(
        2,
        [t.out_h, t.out_w],
        16,
        24,
        [3, 3],
        [2, 2],
        [1, 1],
        Padding::Same,
    )
    .unwrap();
    let w = rand_vec(t.kernel_len(), 9);
    let y = rand_vec(t.input_len(), 10);
    let xf = rand_vec(f.input_len(), 11);
    let mut ty = vec![f32::NAN; t.output_len()];
    conv2d_transpose(&y, &w, None, &t, &mut ty);
    let fx = naive_conv3d(&xf, &w, None, &Conv3dParams::from(f));
    let lhs: f64 = fx.iter().zip(&y).map(|(a, b)| *a as f64 * *b as f64).sum();
    let rhs: f64 = xf.iter().zip(&ty).map(|(a, b)| *a as f64 * *b as f64).sum();
    assert!(
        (lhs - rhs).abs() <= 1e-3 * lhs.abs().max(1.0),
        "{lhs} vs {rhs}"
    );

    let pp = Pool2dParams::new(2, [30, 30], 40, [3, 3], [2, 2], Padding::Same).unwrap();
    let x = rand_vec(pp.input_len(), 12);
    let mut out = vec![f32::NAN; pp.output_len()];
    avg_pool2d(&x, &pp, &mut out);
    assert_close(
        &out,
        &naive_pool3d(&x, &Pool3dParams::from(pp), false),
        "avg_pool large",
    );

    let (m, k, n) = (70, 90, 80);
    let a = rand_vec(m * k, 13);
    let b = rand_vec(k * n, 14);
    let mut out = vec![f32::NAN; m * n];
    matmul(&a, &b, m, k, n, &mut out, false);
    assert_close(&out, &naive_matmul(&a, &b, m, k, n), "matmul large");
}

#[test]
fn max_pool_propagates_nan_and_ignores_padding() {
    // -5 everywhere: "same" padding must not inject a 0.
    let p = Pool2dParams::new(1, [3, 3], 1, [2, 2], [1, 1], Padding::Same).unwrap();
    let mut x = vec![-5.0f32; 9];
    let mut out = vec![0.0; 9];
    max_pool2d(&x, &p, &mut out);
    assert!(out.iter().all(|&v| v == -5.0), "{out:?}");
    // "same" with k=2, s=1 on 3 pads only after: window (oh, ow) covers rows oh..=oh+1, cols ow..=ow+1.
    assert_eq!((p.pad_top, p.pad_left), (0, 0));
    x[4] = f32::NAN; // (1, 1)
    max_pool2d(&x, &p, &mut out);
    for (i, v) in out.iter().enumerate() {
        let hit = matches!(i, 0 | 1 | 3 | 4);
        assert_eq!(v.is_nan(), hit, "index {i}: {out:?}");
    }
}

#[test]
fn invalid_geometry_is_an_error() {
    assert!(Conv2dParams::new(1, [2, 2], 1, 1, [3, 3], [1, 1], [1, 1], Padding::Valid).is_err());
    assert!(Conv2dParams::new(1, [4, 4], 1, 1, [3, 3], [0, 1], [1, 1], Padding::Same).is_err());
    assert!(Conv2dParams::new(1, [4, 4], 1, 1, [3, 3], [1, 1], [1, 1], Padding::Causal).is_err());
    assert!(Conv2dParams::new(
        usize::MAX / 2,
        [4, 4],
        8,
        1,
        [3, 3],
        [1, 1],
        [1, 1],
        Padding::Same
    )
    .is_err());
    assert!(Pool2dParams::new(1, [4, 4], 1, [5, 5], [1, 1], Padding::Valid).is_err());
    assert!(
        Conv2dParams::transpose(1, [4, 4], 1, 1, [3, 3], [1, 1], [1, 1], Padding::Causal).is_err()
    );
    assert!(Padding::parse("full").is_err());
}

/// Runs `f` over `xs` and asserts each result within `tol(x, want)` of
/// `exact(x)` computed in f64; returns the results.
fn assert_near_f64(
    name: &str,
    xs: &[f32],
    f: fn(&mut [f32]),
    exact: impl Fn(f64) -> f64,
    tol: impl Fn(f64, f64) -> f64,
) -> Vec<f32> {
    let mut y = xs.to_vec();
    f(&mut y);
    for (x, got) in xs.iter().zip(&y) {
        let want = exact(*x as f64);
        let err = (*got as f64 - want).abs();
        assert!(
            err <= tol(*x as f64, want),
            "{name}({x}) = {got}, want {want} (rel err {})",
            err / want.abs()
        );
    }
    y
}

/// `f` of NaN, +inf and -inf: NaN (asserted), then the two limits.
fn specials(name: &str, f: fn(&mut [f32])) -> (f32, f32) {
    let mut special = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
    f(&mut special);
    assert!(special[0].is_nan(), "{name}(NaN)");
    (special[1], special[2])
}

#[test]
fn vector_math_matches_f64() {
    let mut xs: Vec<f32> = (-2000..=2000).map(|i| i as f32 * 0.01).collect();
    xs.extend([
        1e-8, -1e-8, 1e-30, 0.0, -0.0, 0.6249, 0.6251, -0.625, 30.0, -30.0, 87.5, -86.9, 100.0,
        -100.0,
    ]);
    xs.extend(rand_vec(1000, 99).iter().map(|v| v * 50.0));
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    // Eigen's rational logistic (ONNX Runtime's too): `p/q + 0.5` is within
    // 1e-7 absolute, about an ulp of 0.5 (so 5e-4 relative just above -9, where
    // the result is 1.2e-4), and 3e-7 relative elsewhere.
    let sigmoid_tol = |_x: f64, want: f64| 3e-7 * want.abs() + 1e-7;
    assert_near_f64("sigmoid", &xs, sigmoid_inplace, sigmoid, sigmoid_tol);
    let (pi, ni) = specials("sigmoid", sigmoid_inplace);
    assert_eq!((pi, ni < 1e-37), (1.0, true));
    // silu(x) = x * sigmoid(x): sigmoid's error plus one rounding.
    let silu = |x: f64| x / (1.0 + (-x).exp());
    assert_near_f64("silu", &xs, silu_inplace, silu, |_, w| {
        3e-7 * w.abs() + 1e-35
    });
    // Eigen's rational tanh (TensorFlow's and ONNX Runtime's): up to 3 ulp,
    // and ±1 from ±7.9988 on (the true tanh is 2e-7 short of 1 there).
    let tanh_tol = |_x: f64, want: f64| 4e-7 * want.abs() + 1e-37;
    assert_near_f64("tanh", &xs, tanh_inplace, f64::tanh, tanh_tol);
    assert_eq!(specials("tanh", tanh_inplace), (1.0, -1.0));
    let xs_exp: Vec<f32> = xs.iter().cloned().filter(|x| x.abs() <= 87.0).collect();
    assert_near_f64("exp", &xs_exp, exp_inplace, f64::exp, |_, w| 2e-7 * w);
}

/// erf in f64: Taylor series below 3, the erfc continued fraction above
/// (both converge to well below f32's precision there).
fn erf_f64(x: f64) -> f64 {
    let ax = x.abs();
    let r = if ax < 3.0 {
        let (x2, mut term, mut sum) = (ax * ax, ax, ax);
        for n in 1..200 {
            term *= -x2 / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        let mut f = ax;
        for k in (1..60).rev() {
            f = ax + (k as f64 / 2.0) / f;
        }
        1.0 - (-ax * ax).exp() / (std::f64::consts::PI.sqrt() * f)
    };
    r.copysign(x)
}

#[test]
fn erf_and_gelu_match_f64() {
    let mut xs: Vec<f32> = (-1000..=1000).map(|i| i as f32 * 0.006).collect();
    xs.extend([1e-8, -1e-8, 1e-30, 0.0, 3.999, 4.0, 4.5, -4.5, 30.0, -30.0]);
    xs.extend(rand_vec(1000, 7).iter().map(|v| v * 8.0));
    // A few f32 ulps of the result (erf is odd, so relative near 0).
    let y = assert_near_f64("erf", &xs, erf_inplace, erf_f64, |_, w| {
        4e-7 * w.abs() + 1e-37
    });
    for (x, got) in xs.iter().zip(&y) {
        assert_eq!(*got, erf(*x), "erf({x}) scalar and slice differ");
    }
    // 1 + erf(x/√2) cancels for x ≪ 0: erf's absolute error, scaled by x/2.
    let gelu_tol = |x: f64, want: f64| 5e-7 * want.abs() + 3e-7 * x.abs() + 1e-37;
    let gelu = |x: f64| 0.5 * x * (1.0 + erf_f64(x / std::f64::consts::SQRT_2));
    assert_near_f64("gelu", &xs, gelu_inplace, gelu, gelu_tol);
    let c = (2.0 / std::f64::consts::PI).sqrt();
    let gelu_tanh = |x: f64| 0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh());
    assert_near_f64("gelu_tanh", &xs, gelu_tanh_inplace, gelu_tanh, gelu_tol);
    assert_eq!(specials("erf", erf_inplace), (1.0, -1.0));
}

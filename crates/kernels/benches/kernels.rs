//! Kernel throughput on MobileNet-like shapes. Throughput is reported in
//! elements/s where one element is one floating-point operation, so
//! criterion's `Gelem/s` reads as GFLOP/s (2 per multiply-add; pooling counts
//! one op per window cell read).
//!
//! `cargo bench -p tfjs-kernels` (filter e.g. `-- depthwise`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use tfjs_kernels::FusedActivation::Linear;
use tfjs_kernels::*;

fn data(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
        .collect()
}

/// One benchmark, `group/name`, of `flops` operations per call of `run`.
fn bench_one(c: &mut Criterion, group: &str, name: &str, flops: usize, mut run: impl FnMut()) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(flops as u64));
    g.bench_function(BenchmarkId::from_parameter(name), |bch| bch.iter(&mut run));
    g.finish();
}

fn same(batch: usize, hw: usize, cin: usize, cout: usize, k: usize, s: usize) -> Conv2dParams {
    Conv2dParams::new(
        batch,
        [hw, hw],
        cin,
        cout,
        [k, k],
        [s, s],
        [1, 1],
        Padding::Same,
    )
    .unwrap()
}

/// (group, name, `same` arguments: batch, size, in, out, kernel, stride)
type Case = (&'static str, &'static str, [usize; 6]);

/// `conv_packed` is the engine's path (weights packed once, outside the
/// timed loop); `conv3x3` / `conv1x1` pack per call; `depthwise` is
/// `depthwise_conv2d`.
const CASES: &[Case] = &[
    ("conv_packed", "96x96x3->16 s2 b1", [1, 96, 3, 16, 3, 2]),
    ("conv_packed", "128x128x3->8 s2 b4", [4, 128, 3, 8, 3, 2]),
    ("conv_packed", "1x1 48x48x8->48 b1", [1, 48, 8, 48, 1, 1]),
    ("conv_packed", "1x1 8x8x256->256 b1", [1, 8, 256, 256, 1, 1]),
    ("conv_packed", "3x3 32x32x64->64 b1", [1, 32, 64, 64, 3, 1]),
    // Winograd F(2x2, 3x3): DenseNet's 3x3 convolutions at batch 32; the
    // same channels with 16 inputs run the direct path.
    ("conv_packed", "3x3 8x8x128->32 b32", [32, 8, 128, 32, 3, 1]),
    ("conv_packed", "3x3 8x8x16->32 b32", [32, 8, 16, 32, 3, 1]),
    ("conv3x3", "96x96x3->16 s2 b1", [1, 96, 3, 16, 3, 2]),
    ("conv3x3", "224x224x3->32 s2 b1", [1, 224, 3, 32, 3, 2]),
    ("conv3x3", "224x224x3->32 s2 b32", [32, 224, 3, 32, 3, 2]),
    ("conv3x3", "56x56x64->64 s1 b1", [1, 56, 64, 64, 3, 1]),
    ("conv3x3", "14x14x256->256 s1 b1", [1, 14, 256, 256, 3, 1]),
    ("conv1x1", "112x112x32->64 b1", [1, 112, 32, 64, 1, 1]),
    ("conv1x1", "56x56x128->128 b1", [1, 56, 128, 128, 1, 1]),
    ("conv1x1", "28x28x256->256 b1", [1, 28, 256, 256, 1, 1]),
    ("conv1x1", "14x14x512->512 b1", [1, 14, 512, 512, 1, 1]),
    ("conv1x1", "7x7x1024->1024 b1", [1, 7, 1024, 1024, 1, 1]),
    ("conv1x1", "56x56x24->144 b1", [1, 56, 24, 144, 1, 1]),
    ("conv1x1", "56x56x128->128 b32", [32, 56, 128, 128, 1, 1]),
    ("conv1x1", "7x7x1024->1024 b32", [32, 7, 1024, 1024, 1, 1]),
    ("depthwise", "48x48x96 s1 b1", [1, 48, 96, 96, 3, 1]),
    ("depthwise", "112x112x32 s1 b1", [1, 112, 32, 32, 3, 1]),
    ("depthwise", "112x112x64 s2 b1", [1, 112, 64, 64, 3, 2]),
    ("depthwise", "56x56x128 s1 b1", [1, 56, 128, 128, 3, 1]),
    ("depthwise", "56x56x144 s1 b1", [1, 56, 144, 144, 3, 1]),
    ("depthwise", "14x14x512 s1 b1", [1, 14, 512, 512, 3, 1]),
    ("depthwise", "7x7x1024 s1 b1", [1, 7, 1024, 1024, 3, 1]),
    ("depthwise", "56x56x128 s1 b32", [32, 56, 128, 128, 3, 1]),
];

/// The geometry of `same(args)` with its input, kernel (`kernel_len`
/// values), bias and output buffers.
fn buffers(
    args: [usize; 6],
    kernel_len: fn(&Conv2dParams) -> usize,
) -> (Conv2dParams, [Vec<f32>; 4]) {
    let [n, hw, cin, cout, k, s] = args;
    let p = same(n, hw, cin, cout, k, s);
    let out = vec![0.0; p.output_len()];
    let bufs = [
        data(p.input_len()),
        data(kernel_len(&p)),
        data(p.out_c),
        out,
    ];
    (p, bufs)
}

fn bench_convolutions(c: &mut Criterion) {
    for &(group, name, args) in CASES {
        if group == "depthwise" {
            let (p, [x, w, b, mut out]) = buffers(args, |p| p.k_h * p.k_w * p.out_c);
            let flops = 2 * p.output_len() * p.k_h * p.k_w;
            bench_one(c, group, name, flops, || {
                depthwise_conv2d(black_box(&x), &w, Some(&b), Linear, &p, &mut out)
            });
            continue;
        }
        let (p, [x, w, b, mut out]) = buffers(args, Conv2dParams::kernel_len);
        let flops = p.flops() as usize;
        if group == "conv_packed" {
            let packed = PackedMatrix::new(&w, p.k_h * p.k_w * p.in_c, p.out_c, Some(&b));
            bench_one(c, group, name, flops, || {
                conv2d_packed(black_box(&x), &packed, FusedActivation::Relu6, &p, &mut out)
            });
        } else {
            bench_one(c, group, name, flops, || {
                conv2d(black_box(&x), &w, Some(&b), Linear, &p, &mut out)
            });
        }
    }
}

fn bench_pool_misc(c: &mut Criterion) {
    let p = Pool2dParams::new(1, [112, 112], 64, [3, 3], [2, 2], Padding::Same).unwrap();
    let x = data(p.input_len());
    let mut out = vec![0.0; p.output_len()];
    let mut g = c.benchmark_group("pool");
    g.throughput(Throughput::Elements((p.output_len() * 9) as u64));
    g.bench_function("max 3x3 s2 112x112x64", |b| {
        b.iter(|| max_pool2d(black_box(&x), &p, &mut out))
    });
    g.bench_function("avg 3x3 s2 112x112x64", |b| {
        b.iter(|| avg_pool2d(black_box(&x), &p, &mut out))
    });
    let x = data(32 * 49 * 1024);
    let mut out = vec![0.0; 32 * 1024];
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("global avg 7x7x1024 b32", |b| {
        b.iter(|| global_avg_pool(black_box(&x), 32, 49, 1024, &mut out))
    });
    g.finish();

    let mut g = c.benchmark_group("math");
    let x = data(1 << 16);
    let mut y = x.clone();
    g.throughput(Throughput::Elements(x.len() as u64));
    type InPlace = fn(&mut [f32]);
    let functions: [(&str, InPlace); 7] = [
        ("sigmoid 64k", sigmoid_inplace),
        ("tanh 64k", tanh_inplace),
        ("exp 64k", exp_inplace),
        ("silu 64k", silu_inplace),
        ("erf 64k", erf_inplace),
        ("gelu 64k", gelu_inplace),
        ("gelu tanh 64k", gelu_tanh_inplace),
    ];
    for (name, f) in functions {
        g.bench_function(name, |b| {
            b.iter(|| {
                y.copy_from_slice(&x);
                f(black_box(&mut y))
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("matmul");
    for &(m, k, n) in &[
        (1usize, 1024usize, 1000usize),
        (32, 1024, 1000),
        (512, 512, 512),
        (1024, 1024, 1024),
    ] {
        let a = data(m * k);
        let b = data(k * n);
        let mut out = vec![0.0; m * n];
        g.throughput(Throughput::Elements((2 * m * k * n) as u64));
        g.bench_function(format!("{m}x{k}x{n}"), |bch| {
            bch.iter(|| matmul(black_box(&a), &b, m, k, n, &mut out, false))
        });
    }
    g.finish();

    // LSTM: batch 32, 50 steps, 128 features, 256 units.
    let (batch, time, feat, u) = (32usize, 50usize, 128usize, 256usize);
    let x = data(batch * time * feat);
    let w = data(feat * 4 * u);
    let rk: Vec<f32> = data(u * 4 * u).iter().map(|v| v * 0.05).collect();
    let bias = data(4 * u);
    let packed_w = PackedMatrix::new(&w, feat, 4 * u, Some(&bias));
    let packed_rk = RecurrentKernel::new(&rk, u, 4, None);
    let mut g = c.benchmark_group("lstm");
    g.throughput(Throughput::Elements(
        (2 * batch * time * 4 * u * (feat + u)) as u64,
    ));
    let sigmoid = |s: &mut [f32]| sigmoid_inplace(s);
    let tanh = |s: &mut [f32]| tanh_inplace(s);
    g.bench_function("b32 t50 128->256", |bch| {
        bch.iter(|| {
            let mut xt = vec![0.0; x.len()];
            to_time_major(&x, batch, time, feat, &mut xt);
            let mut xp = vec![0.0; time * batch * 4 * u];
            dense_packed(&xt, time * batch, &packed_w, Linear, &mut xp);
            let (mut h, mut cst, mut s) = (vec![0.0; batch * u], vec![0.0; batch * u], Vec::new());
            for t in 0..time {
                let step = &xp[t * batch * 4 * u..(t + 1) * batch * 4 * u];
                lstm_step(
                    step, &packed_rk, &mut h, &mut cst, batch, u, &tanh, &sigmoid, &mut s,
                );
            }
            black_box(h)
        })
    });
    g.finish();
}

/// Attention's per-head products at a BERT-mini head (128 tokens, 64
/// features, heads interleaved 4 wide).
fn bench_attention(c: &mut Criterion) {
    let (t, d, heads) = (128, 64, 4);
    let q = data(t * heads * d);
    let kt = data(d * t);
    let v = data(t * heads * d);
    let mut scores = data(t * t);
    let mut ctx = vec![0.0; t * heads * d];
    bench_one(c, "attention", "scores 128x128 d64", 2 * t * t * d, || {
        attention_scores(black_box(&q), heads * d, d, &kt, t, &mut scores)
    });
    bench_one(c, "attention", "context 128x128 d64", 2 * t * t * d, || {
        attention_context(black_box(&scores), t, &v, heads * d, d, &mut ctx, heads * d)
    });
}

/// Every convolution of MobileNet v1 (1.0, 224): the kernels' share of one inference.
fn mobilenet_v1_layers(batch: usize) -> Vec<(bool, Conv2dParams)> {
    let mut v = vec![(false, same(batch, 224, 3, 32, 3, 2))];
    // (in, out, stride) of each depthwise-separable block; the middle
    // 512 -> 512 block repeats five times.
    let head = [
        (32, 64, 1),
        (64, 128, 2),
        (128, 128, 1),
        (128, 256, 2),
        (256, 256, 1),
        (256, 512, 2),
    ];
    let tail = [(512, 1024, 2), (1024, 1024, 1)];
    let blocks = head
        .into_iter()
        .chain(std::iter::repeat_n((512, 512, 1), 5))
        .chain(tail);
    let mut hw = 112;
    for (cin, cout, s) in blocks {
        let dw = same(batch, hw, cin, cin, 3, s);
        hw = dw.out_h;
        v.push((true, dw));
        v.push((false, same(batch, hw, cin, cout, 1, 1)));
    }
    v
}

fn bench_mobilenet(c: &mut Criterion) {
    let mut g = c.benchmark_group("mobilenet_v1_convs");
    for batch in [1usize, 32] {
        let layers = mobilenet_v1_layers(batch);
        let bufs: Vec<_> = layers
            .iter()
            .map(|(dw, p)| {
                let klen = if *dw {
                    p.k_h * p.k_w * p.out_c
                } else {
                    p.kernel_len()
                };
                (
                    data(p.input_len()),
                    data(klen),
                    data(p.out_c),
                    vec![0.0f32; p.output_len()],
                )
            })
            .collect();
        let flops: f64 = layers
            .iter()
            .map(|(dw, p)| {
                if *dw {
                    (2 * p.output_len() * 9) as f64
                } else {
                    p.flops()
                }
            })
            .sum();
        g.throughput(Throughput::Elements(flops as u64));
        let mut bufs = bufs;
        g.bench_function(format!("b{batch}"), |bch| {
            bch.iter(|| {
                for ((dw, p), (x, w, b, out)) in layers.iter().zip(bufs.iter_mut()) {
                    if *dw {
                        depthwise_conv2d(x, w, Some(b), Linear, p, out);
                    } else {
                        conv2d(x, w, Some(b), Linear, p, out);
                    }
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_convolutions, bench_pool_misc, bench_attention, bench_mobilenet
}
criterion_main!(benches);

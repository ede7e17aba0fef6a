//! Throughput of the hot paths: decoding/encoding weights, quantizing, and
//! writing/parsing model.json. Run with `cargo bench -p tfjs-format`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use tfjs_format::codec::{decode_weights, encode_weights, DecodedWeight, TensorValues};
use tfjs_format::quantize::quantize;
use tfjs_format::shard::split;
use tfjs_format::{DType, JsonStyle, ModelJson, QuantizationDType, WeightData, WeightSpec};

const N: usize = 4 * 1024 * 1024; // 16 MiB of float32

fn values() -> Vec<f32> {
    (0..N)
        .map(|i| ((i * 2654435761) % 1000) as f32 / 997.0 - 0.5)
        .collect()
}

fn bench_codec(c: &mut Criterion) {
    let v = values();
    let w = DecodedWeight {
        name: "w".into(),
        shape: vec![N],
        values: TensorValues::Float32(v.clone()),
        group: None,
    };
    let (specs, bytes) = encode_weights(std::slice::from_ref(&w)).unwrap();
    let data = WeightData::from_vec(bytes);
    // The same stream cut into 4 MiB shards, as a sharded load gives it.
    let sharded = WeightData {
        buffers: split(&data, 4 * 1024 * 1024),
    };
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Bytes((N * 4) as u64));
    g.bench_function("decode_float32_16MiB", |b| {
        b.iter(|| decode_weights(black_box(&specs), black_box(&data)).unwrap())
    });
    g.bench_function("decode_float32_16MiB_4_shards", |b| {
        b.iter(|| decode_weights(black_box(&specs), black_box(&sharded)).unwrap())
    });
    g.bench_function("encode_float32_16MiB", |b| {
        b.iter(|| encode_weights(black_box(std::slice::from_ref(&w))).unwrap())
    });
    for dtype in [QuantizationDType::Uint8, QuantizationDType::Float16] {
        g.bench_function(format!("quantize_{}_4M_values", dtype.as_str()), |b| {
            b.iter(|| quantize(black_box(&v), dtype))
        });
        let (qbytes, q) = quantize(&v, dtype);
        let mut spec = WeightSpec::new("q", vec![N], DType::Float32);
        spec.quantization = Some(q);
        let qdata = WeightData::from_vec(qbytes);
        g.bench_function(format!("dequantize_{}_4M_values", dtype.as_str()), |b| {
            b.iter(|| {
                decode_weights(black_box(std::slice::from_ref(&spec)), black_box(&qdata)).unwrap()
            })
        });
    }
    g.finish();
}

fn bench_json(c: &mut Criterion) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/keras/mobilenet_v2_uint8/model.json");
    let Ok(bytes) = std::fs::read(&p) else {
        eprintln!("skipping JSON benches: {} not found", p.display());
        return;
    };
    let m = ModelJson::parse(&bytes, "model.json").unwrap();
    let mut g = c.benchmark_group("model_json");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("parse_mobilenet_v2_uint8", |b| {
        b.iter(|| ModelJson::parse(black_box(&bytes), "model.json").unwrap())
    });
    for style in [JsonStyle::Converter, JsonStyle::Browser] {
        g.bench_function(format!("write_{style:?}"), |b| {
            b.iter(|| black_box(&m).to_bytes(style))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_codec, bench_json);
criterion_main!(benches);

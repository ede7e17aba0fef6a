//! Image decoding, resizing and Keras preprocessing against the numbers
//! TensorFlow 2.21 / Keras 3.15 compute for the same image
//! (tests/data/preprocess/expected.json, written by generate.py there).

mod support;

use serde_json::Value;
use std::path::Path;
use support::data;
use tfjs_cli::image_input::{decode, preprocess, read, resize_bilinear, Pixels, Preprocess};

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(data().join("expected.json")).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn png_decodes_to_tensorflows_pixels() {
    let e = expected();
    let p = read(&data().join("test.png"), 3).unwrap();
    assert_eq!((p.height, p.width, p.channels), (15, 20, 3));
    assert_eq!(p.data, floats(&e["decoded"]));
}

#[test]
fn jpeg_decodes_close_to_libjpeg() {
    // JPEG decoders are not bit-identical: zune-jpeg and TensorFlow's
    // libjpeg-turbo upsample the 4:2:0 chroma differently, which moves
    // pixels at sharp colour edges by up to ~20 levels. This test image is
    // nearly all edges (measured: mean 2.2 levels, max 19); photos differ far
    // less. PNG and WebP decode exactly (tests above and below).
    let e = expected();
    let p = read(&data().join("test.jpg"), 3).unwrap();
    let want = floats(&e["jpeg_decoded"]);
    let mean = p
        .data
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / want.len() as f32;
    let max = max_abs_diff(&p.data, &want);
    println!("jpeg: mean abs difference {mean}, max {max}");
    assert!(mean <= 3.0 && max <= 24.0, "mean {mean}, max {max}");
}

#[test]
fn webp_decodes_losslessly() {
    let png = read(&data().join("test.png"), 3).unwrap();
    let rgb: Vec<u8> = png.data.iter().map(|&x| x as u8).collect();
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .encode(&rgb, 20, 15, image::ExtendedColorType::Rgb8)
        .unwrap();
    let back = decode(&webp, 3, "test.webp").unwrap();
    assert_eq!(back, png);
}

#[test]
fn resize_matches_tf_image_resize_bilinear() {
    let e = expected();
    let src = read(&data().join("test.png"), 3).unwrap();
    for (key, r) in e["resized"].as_object().unwrap() {
        let (h, w) = (
            r["height"].as_u64().unwrap() as usize,
            r["width"].as_u64().unwrap() as usize,
        );
        let ours = resize_bilinear(&src, h, w).unwrap();
        let d = max_abs_diff(&ours.data, &floats(&r["data"]));
        // TensorFlow's kernel does the same float32 operations.
        assert!(d <= 1e-4, "{key}: max difference {d}");
    }
}

#[test]
fn preprocess_modes_match_keras_imagenet_utils() {
    let e = expected();
    let from = e["preprocessed_from"].as_str().unwrap();
    let base = floats(&e["resized"][from]["data"]);
    for (mode, name) in [
        (Preprocess::Scale01, "scale01"),
        (Preprocess::Mobilenet, "mobilenet"),
        (Preprocess::Caffe, "caffe"),
        (Preprocess::Torch, "torch"),
    ] {
        let mut p = Pixels {
            height: 7,
            width: 9,
            channels: 3,
            data: base.clone(),
        };
        preprocess(&mut p, mode).unwrap();
        let want = floats(&e["preprocessed"][name]);
        let d = max_abs_diff(&p.data, &want);
        assert!(d <= 1e-6, "{name}: max difference {d}");
    }
    let mut p = Pixels {
        height: 1,
        width: 1,
        channels: 3,
        data: vec![1.0, 2.0, 3.0],
    };
    preprocess(&mut p, Preprocess::None).unwrap();
    assert_eq!(p.data, vec![1.0, 2.0, 3.0]);
}

#[test]
fn bad_images_get_errors_naming_the_file() {
    let e = decode(b"<html>not an image</html>", 3, "cat.jpg").unwrap_err();
    assert!(format!("{e:#}").contains("cat.jpg"), "{e:#}");
    let e = read(Path::new("/nonexistent/cat.png"), 3).unwrap_err();
    assert!(format!("{e:#}").contains("/nonexistent/cat.png"), "{e:#}");
}

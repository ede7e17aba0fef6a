use std::path::Path;
use tfjs_format::{ModelJson, WeightData};
use tfjs_layers::{LoadOptions, Model, Tensor};
fn load(dir: &Path) -> Model {
    let bytes = std::fs::read(dir.join("model.json")).unwrap();
    let mj = ModelJson::parse(&bytes, "model.json").unwrap();
    let mut data = Vec::new();
    for group in mj.weights_manifest.iter().flatten() { for p in &group.paths { data.extend(std::fs::read(dir.join(p)).unwrap()); } }
    Model::from_artifacts(&mj.into_artifacts(WeightData::from_vec(data)), &LoadOptions::default()).unwrap()
}
fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/keras");
    for (name, shape) in [("mobilenet_v1", [1usize, 128, 128, 3]), ("mobilenet_v2", [1, 96, 96, 3])] {
        let m = load(&root.join(name));
        for batch in [1usize, 8] {
            let mut s = shape; s[0] = batch;
            let n: usize = s.iter().product();
            let x = Tensor::from_f32(s.to_vec(), (0..n).map(|i| ((i % 97) as f32) / 97.0 - 0.5).collect()).unwrap();
            for _ in 0..3 { m.predict(&[x.clone()]).unwrap(); }
            let t = std::time::Instant::now();
            let iters = 20;
            for _ in 0..iters { m.predict(&[x.clone()]).unwrap(); }
            println!("{name} batch {batch}: {:.2} ms/predict", t.elapsed().as_secs_f64() * 1000.0 / iters as f64);
        }
    }
}

//! Keras HDF5 files: `import_h5` (a full model file as the converter reads
//! it) and `import_weights_h5` against a fixed two-layer topology (a
//! weights-only file). Whatever the bytes, the reader returns a result: no
//! panic, no allocation sized by a number in the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

const TOPOLOGY: &str = r#"{"class_name":"Sequential","config":{"name":"s","layers":[
{"class_name":"InputLayer","config":{"batch_input_shape":[null,4],"dtype":"float32","name":"in"}},
{"class_name":"Dense","config":{"name":"dense","units":3,"activation":"relu","use_bias":true}},
{"class_name":"BatchNormalization","config":{"name":"bn","axis":-1}}]}}"#;

fuzz_target!(|data: &[u8]| {
    if let Ok(imported) = tfjs_keras::import_h5(data) {
        // A file that imports yields artifacts whose specs describe its bytes.
        let _ = tfjs_layers::validate(&imported.artifacts);
    }
    let topology: serde_json::Value = serde_json::from_str(TOPOLOGY).expect("fixed topology");
    let _ = tfjs_keras::import_weights_h5(data, &topology);
});

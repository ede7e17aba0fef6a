//! Keras 3 `.keras` archives: the zip reader and the import of
//! `config.json` + `model.weights.h5` (both as the converter does and as the
//! engine's rebuild wants).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfjs_keras::{import_file, FileKind};

fuzz_target!(|data: &[u8]| {
    if let Ok(archive) = tfjs_keras::zip::ZipArchive::parse(data) {
        let names: Vec<String> = archive.names().map(str::to_string).collect();
        for name in names.iter().take(16) {
            let _ = archive.read(name);
        }
    }
    for like_converter in [false, true] {
        let _ = import_file(FileKind::Keras, data, None, like_converter);
    }
});

//! `.npy` input files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfjs_layers::io_json::read_npy;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = read_npy(data, "x.npy") {
        let n: usize = t.shape().iter().product();
        assert!(n <= data.len(), "more elements than bytes");
    }
});

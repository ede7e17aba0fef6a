//! One test per shared fixture: the model loads and reproduces the outputs
//! recorded in its `io.json` (TensorFlow.js 4.22 for `tfjs/*`, Keras for
//! `keras/*`; quantized models against `outputs_dequantized`) within the
//! tolerance given there. `parity.rs` runs them all together and after a
//! save → load round trip; these name the failing fixture directly.

mod common;

macro_rules! fixture_tests {
    ($($test:ident => $dir:literal),* $(,)?) => {$(
        #[test]
        fn $test() {
            let dir = common::fixtures_root().join($dir);
            let model = common::load_fixture(&dir).unwrap_or_else(|e| panic!("{}: {e}", $dir));
            let io = common::read_io(&dir);
            let err = common::check_model(&model, &io).unwrap_or_else(|e| panic!("{}: {e}", $dir));
            eprintln!("{}: max abs error {err:.3e}", $dir);
        }
    )*};
}

fixture_tests! {
    tfjs_mlp => "tfjs/mlp",
    tfjs_cnn => "tfjs/cnn",
    tfjs_conv1d => "tfjs/conv1d",
    tfjs_mobilenet_block => "tfjs/mobilenet_block",
    tfjs_misc => "tfjs/misc",
    tfjs_functional_multi_io => "tfjs/functional_multi_io",
    tfjs_nested => "tfjs/nested",
    tfjs_rnn => "tfjs/rnn",
    tfjs_trained => "tfjs/trained",
    tfjs_metadata => "tfjs/metadata",
    keras_mobilenet_v1 => "keras/mobilenet_v1",
    keras_mobilenet_v1_sharded => "keras/mobilenet_v1_sharded",
    keras_mobilenet_v2 => "keras/mobilenet_v2",
    keras_mobilenet_v2_uint8 => "keras/mobilenet_v2_uint8",
    keras_mobilenet_v2_float16 => "keras/mobilenet_v2_float16",
    keras_text_rnn => "keras/text_rnn",
    keras_text_rnn_masked => "keras/text_rnn_masked",
    keras3_cnn_h5 => "keras/keras3_cnn_h5",
    keras3_cnn_keras => "keras/keras3_cnn_keras",
}

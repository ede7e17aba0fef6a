//! What several test files share: the `.h5` models of the shared fixtures.

/// Where the Keras sources of the shared fixtures are (one folder a model).
pub const KERAS_SRC: &str = "../../../shared/fixtures/keras-src";

/// The models in [`KERAS_SRC`] saved as `model.h5`.
pub const H5_MODELS: [&str; 5] = [
    "mobilenet_v2",
    "mobilenet_v1",
    "text_rnn",
    "text_rnn_masked",
    "keras3_cnn_h5",
];

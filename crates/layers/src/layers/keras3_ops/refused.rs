//! Keras 3 operations the engine refuses by name, each with why (the
//! keras.ops audit of Keras 3.15, held-out round 32): functions that
//! take Python callables, random or complex results, outputs whose size
//! depends on the data, decompositions whose signs and order are the
//! backend's choice, and functions Keras's own TensorFlow backend cannot
//! run in a saved functional model. Every one is a row of
//! `tfjs_format::topology::KERAS3_OPERATIONS` (not computed), so the
//! topology reads its node as an operation whatever its config holds.

use crate::config::ConfigReader;
use crate::topology::KERAS3_OPERATION_PREFIX;
use crate::{LayerRegistry, LayersError};

const PYTHON: &str = "it calls Python functions the file does not hold";
const COMPLEX: &str = "it makes or reads complex tensors, which the engine does not have";
const DATA_SIZED: &str = "its output's size depends on the values";
const DECOMPOSITION: &str =
    "a matrix decomposition whose signs and order are the backend's choice is not supported";
const TF_FAILS: &str =
    "Keras 3.15's TensorFlow backend cannot run it on a model's symbolic batch either";

/// `(operation class, why it is refused)`.
pub(crate) const REFUSED: &[(&str, &str)] = &[
    ("AssociativeScan", PYTHON),
    ("Cond", PYTHON),
    ("ForiLoop", PYTHON),
    ("Map", PYTHON),
    ("Scan", PYTHON),
    ("Switch", PYTHON),
    ("VectorizedMap", PYTHON),
    ("WhileLoop", PYTHON),
    ("JVP", PYTHON),
    (
        "ElasticTransform",
        "it is a random augmentation (a new displacement field on every call)",
    ),
    ("ViewAsComplex", COMPLEX),
    ("ViewAsReal", COMPLEX),
    ("Polar", COMPLEX),
    (
        "IRFFT",
        "the inverse real FFT of a (real, imag) pair is not supported yet",
    ),
    ("Nonzero", DATA_SIZED),
    ("Unique", DATA_SIZED),
    ("Eig", DECOMPOSITION),
    ("Eigh", DECOMPOSITION),
    ("Qr", DECOMPOSITION),
    ("SVD", DECOMPOSITION),
    ("LuFactor", DECOMPOSITION),
    ("Lstsq", "least squares (an SVD) is not supported"),
    ("Pinv", "the pseudo-inverse (an SVD) is not supported"),
    ("MatrixRank", "the matrix rank (an SVD) is not supported"),
    (
        "View",
        "it reinterprets the bits of a tensor as another dtype (the engine's tensors are float32 / int32 values)",
    ),
    ("Kron", TF_FAILS),
    ("Corrcoef", TF_FAILS),
    ("Histogram", TF_FAILS),
    ("IsIn", TF_FAILS),
    ("Argpartition", TF_FAILS),
    ("Nanmedian", TF_FAILS),
    ("Nanquantile", TF_FAILS),
    ("Nanpercentile", TF_FAILS),
    ("Ndim", TF_FAILS),
    ("SSIM", TF_FAILS),
    ("ConvTranspose", TF_FAILS),
    (
        "Rearrange",
        "einops patterns are not supported (Keras 3.15 cannot build one on an unknown batch size either)",
    ),
    ("Correlate", "it takes 1-D tensors only, never a batch"),
    ("AllClose", "it returns one Python-level boolean for the whole batch"),
    (
        "Scatter",
        "scattering into a new tensor of a fixed shape is not supported",
    ),
    (
        "Fold",
        "torch-style fold (col2im) is not supported",
    ),
    (
        "Unfold",
        "torch-style unfold (im2col) is not supported; ops.image.extract_patches is",
    ),
    (
        "SeparableConv",
        "a separable convolution by constant kernels is not supported; the SeparableConv2D layer is",
    ),
    (
        "ScaleAndTranslate",
        "scale_and_translate resampling is not supported; ops.image.resize is",
    ),
    (
        "CTCLoss",
        "the CTC loss is not supported; ops.nn.ctc_decode is",
    ),
    ("Arange", "a range whose bounds are tensors is not supported"),
    ("Array", "an array built from tensors is not supported"),
    ("Full", "a tensor filled with a tensor's value is not supported"),
    ("Linspace", "linspace between tensors is not supported"),
    ("Logspace", "logspace between tensors is not supported"),
    ("Geomspace", "geomspace between tensors is not supported"),
];

/// Register every refused operation as a builder that fails naming it.
pub(super) fn register(registry: &mut LayerRegistry) {
    for &(op, why) in REFUSED {
        registry.register(&format!("{KERAS3_OPERATION_PREFIX}{op}"), move |c, _| {
            Err(refusal(op, why, c))
        });
    }
}

fn refusal(op: &str, why: &str, c: &ConfigReader<'_>) -> LayersError {
    LayersError::Config {
        layer: c.name().to_string(),
        message: format!("the Keras 3 operation {op} is not supported: {why}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_refused_operation_is_a_known_row() {
        for (op, _) in super::REFUSED {
            let row = tfjs_format::topology::keras3_operation(op)
                .unwrap_or_else(|| panic!("{op} has no KERAS3_OPERATIONS row"));
            assert!(!row.computed, "{op} is refused but marked computed");
        }
    }
}

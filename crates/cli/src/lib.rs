//! Library side of the `tfjs` command: what a caller needs to feed a model
//! correctly, usable without the binary.
//!
//! * [`signature`]: a model's inputs and outputs (name, shape, dtype) and
//!   the preprocessing layers it starts with.
//! * [`image_input`]: images as inputs (decode, Keras-exact resize and
//!   `preprocess_input` modes, top-k).
//! * [`inputs_check`]: io.json / tensor inputs checked against a signature
//!   with errors naming the field.
//!
//! These modules use only the public APIs of `tfjs-layers` and
//! `tfjs-format` and are meant to move into those crates.

pub mod image_input;
pub mod inputs_check;
pub mod signature;

/// The README's Rust examples, compiled as doctests so they cannot drift
/// from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

//! Fast f32 kernels (NHWC). TODO(kernels helper).

//! tf_keras `LocallyConnected1D` / `LocallyConnected2D`: a convolution whose
//! weights are not shared, one filter bank per output position (Keras 3 and
//! TensorFlow.js have neither).
//!
//! tf_keras (`tf_keras/src/layers/locally_connected/`) stores the weights in
//! one of three layouts, by `implementation`:
//!
//! 1. `kernel [O, K·Cin, F]` (`O` output positions, `K` window positions):
//!    per output position, the window's values flattened as the input's
//!    slice (`[k…, Cin]` channels last, `[Cin, k…]` channels first);
//!    `padding: "valid"` only;
//! 2. a dense kernel between the flattened input and output, in the data
//!    format's order (`[in…, Cin, out…, F]` channels last,
//!    `[Cin, in…, F, out…]` channels first), masked to the windows;
//! 3. `kernel [nnz]`: the values of a sparse `[O·F, I·Cin]` matrix at the
//!    sorted `(output index, input index)` pairs of the windows (indices
//!    flattened in the data format's order).
//!
//! The windows are `conv_utils.conv_connected_inputs`'s: along each axis,
//! output `o` sees inputs `[c - k/2, c + k - k/2)` cut to the input, with
//! `c = o·s (+ k/2 with "valid")`; with `"same"` the border windows are
//! shorter (not TensorFlow's SAME padding). `bias [out…, F]` is added by
//! `backend.bias_add`, which for channels first *reshapes* it to
//! `[F, out…]` (its flat values read in that order, not transposed); that
//! is kept too.
//!
//! Every layout is gathered into one form at first use: per output
//! position, a `[window·Cin, F]` matrix.

use super::common::*;
use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use rayon::prelude::*;
use std::sync::{Arc, OnceLock};
use tfjs_kernels::Padding;

keras_config! {
    /// `LocallyConnected1D` / `2D`'s config, in tf_keras's key order.
    pub(crate) struct LocallyConnectedConfig |cx| {
        filters: Positive,
        kernel_size: Ints,
        strides: Ints = Ints::fill(cx, 1),
        padding: Padding = Padding::Valid,
        data_format: DataFormat = DataFormat::ChannelsLast,
        activation: Activation = Activation::Linear,
        use_bias: bool = true,
        kernel_initializer: Init = Init(glorot_uniform_default()),
        bias_initializer: Init = Init::zeros(),
        kernel_regularizer: Reg,
        bias_regularizer: Reg,
        activity_regularizer: Reg,
        kernel_constraint: Cons,
        bias_constraint: Cons,
        implementation: usize = 1,
    }
}

/// The windows of a built layer.
#[derive(Debug, Clone)]
struct Geometry {
    /// Spatial input and output dims.
    input: Vec<usize>,
    output: Vec<usize>,
    channels: usize,
    /// Per output position (row-major): the input positions it sees
    /// (row-major flat indices, increasing).
    windows: Vec<Vec<usize>>,
    /// Per output position: where its `[window·Cin, F]` block starts in
    /// the gathered kernel; one more entry holds the total.
    offsets: Vec<usize>,
}

/// `LocallyConnected1D` (`rank` 1) / `LocallyConnected2D` (`rank` 2).
#[derive(Debug, Clone)]
pub struct LocallyConnected {
    base: Base,
    cfg: LocallyConnectedConfig,
    rank: usize,
    params: Params,
    geometry: Option<Geometry>,
    /// The kernel in the gathered form, made on first use.
    gathered: OnceLock<Arc<Vec<f32>>>,
}

impl LocallyConnected {
    /// Build from a Keras config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>, rank: usize) -> Result<Self> {
        let c = LocallyConnectedConfig::read(&Cx::spatial(cfg, rank))?;
        if !(1..=3).contains(&c.implementation) {
            return Err(cfg.err(
                "implementation",
                format!("must be 1, 2 or 3, got {}", c.implementation),
            ));
        }
        if !matches!(c.padding, Padding::Valid | Padding::Same) {
            return Err(cfg.err("padding", "must be \"valid\" or \"same\""));
        }
        if c.implementation == 1 && c.padding != Padding::Valid {
            return Err(cfg.err(
                "padding",
                "must be \"valid\" with implementation 1 (as tf_keras requires)",
            ));
        }
        for (key, v) in [("kernel_size", &c.kernel_size), ("strides", &c.strides)] {
            if v.contains(&0) {
                return Err(cfg.err(key, format!("must be positive, got {:?}", v.0)));
            }
        }
        let layer = LocallyConnected {
            base: Base::parse(cfg)?,
            cfg: c,
            rank,
            params: Params::default(),
            geometry: None,
            gathered: OnceLock::new(),
        };
        Ok(built_if_possible(layer, |l| (&l.base, &mut l.params)))
    }

    fn class(&self) -> &'static str {
        if self.rank == 1 {
            "LocallyConnected1D"
        } else {
            "LocallyConnected2D"
        }
    }

    fn first(&self) -> bool {
        self.cfg.data_format.is_first()
    }

    /// (spatial dims, channels) of an input shape of rank `rank + 2`.
    fn split_input<T: Copy>(&self, s: &[T]) -> Result<(Vec<T>, T)> {
        if s.len() != self.rank + 2 {
            return Err(self.base.err(format!(
                "expects a rank-{} input [batch, {}], got rank {}",
                self.rank + 2,
                if self.first() {
                    "channels, spatial…"
                } else {
                    "spatial…, channels"
                },
                s.len()
            )));
        }
        Ok(if self.first() {
            (s[2..].to_vec(), s[1])
        } else {
            (s[1..=self.rank].to_vec(), s[self.rank + 1])
        })
    }

    /// `conv_utils.conv_output_length` for each spatial dim.
    fn output_dims(&self, input: &[usize]) -> Vec<usize> {
        input
            .iter()
            .zip(self.cfg.kernel_size.iter().zip(self.cfg.strides.iter()))
            .map(|(&n, (&k, &s))| {
                let len = match self.cfg.padding {
                    Padding::Valid => (n + 1).saturating_sub(k),
                    _ => n,
                };
                len.div_ceil(s)
            })
            .collect()
    }

    fn filters(&self) -> usize {
        self.cfg.filters.0
    }

    /// The kernel, gathered into per-output-position blocks
    /// `[(j·Cin + c)·F + f]` (`j`: the `j`-th input position of the window).
    fn gathered(&self, g: &Geometry) -> Arc<Vec<f32>> {
        if let Some(k) = self.gathered.get() {
            return k.clone();
        }
        let kernel = self.params.get(0);
        let (cin, f) = (g.channels, self.filters());
        let n_out = g.windows.len();
        let n_in: usize = g.input.iter().product();
        let total = g.offsets[n_out];
        let mut out = vec![0.0f32; total];
        // Mode 3: where each output index's entries start in the sorted list.
        let mut sparse_start = Vec::new();
        if self.cfg.implementation == 3 {
            let mut acc = 0;
            let count = |o: usize| g.windows[o].len() * cin;
            if self.first() {
                for _ in 0..f {
                    for o in 0..n_out {
                        sparse_start.push(acc);
                        acc += count(o);
                    }
                }
            } else {
                for o in 0..n_out {
                    for _ in 0..f {
                        sparse_start.push(acc);
                        acc += count(o);
                    }
                }
            }
        }
        let k_window = self.cfg.kernel_size.iter().product::<usize>();
        for (o, window) in g.windows.iter().enumerate() {
            let w = window.len();
            for (j, &i) in window.iter().enumerate() {
                for c in 0..cin {
                    for ff in 0..f {
                        let src = match (self.cfg.implementation, self.first()) {
                            (1, false) => (o * k_window * cin + j * cin + c) * f + ff,
                            (1, true) => (o * k_window * cin + c * k_window + j) * f + ff,
                            (2, false) => (i * cin + c) * (n_out * f) + o * f + ff,
                            (2, true) => (c * n_in + i) * (f * n_out) + ff * n_out + o,
                            (_, false) => sparse_start[o * f + ff] + j * cin + c,
                            (_, true) => sparse_start[ff * n_out + o] + c * w + j,
                        };
                        out[g.offsets[o] + (j * cin + c) * f + ff] = kernel[src];
                    }
                }
            }
        }
        let out = Arc::new(out);
        self.gathered.get_or_init(|| out).clone()
    }
}

impl LocallyConnected {
    /// The layer as one matrix between its flattened input and output
    /// (both flattened in the data format's order), zero outside the
    /// windows, and the bias over the flattened output (its saved values
    /// as they are: channels first reads them as `[F, out…]`), when built.
    /// `x · kernel + bias` is the layer before its activation.
    pub(crate) fn dense_equivalent(&self) -> Option<(Vec<usize>, Vec<f32>, Vec<f32>)> {
        let g = self.geometry.as_ref()?;
        if !self.params.is_built() {
            return None;
        }
        let kernel = self.gathered(g);
        let (cin, f) = (g.channels, self.filters());
        let n_in: usize = g.input.iter().product();
        let n_out = g.windows.len();
        let cols = n_out * f;
        let mut dense = vec![0.0f32; n_in * cin * cols];
        for (o, window) in g.windows.iter().enumerate() {
            for (j, &i) in window.iter().enumerate() {
                for c in 0..cin {
                    let row = if self.first() {
                        c * n_in + i
                    } else {
                        i * cin + c
                    };
                    for ff in 0..f {
                        let col = if self.first() {
                            ff * n_out + o
                        } else {
                            o * f + ff
                        };
                        dense[row * cols + col] = kernel[g.offsets[o] + (j * cin + c) * f + ff];
                    }
                }
            }
        }
        let bias = if self.cfg.use_bias {
            self.params.get(1).to_vec()
        } else {
            vec![0.0; cols]
        };
        let mut out_shape = Vec::new();
        if self.first() {
            out_shape.push(f);
            out_shape.extend(&g.output);
        } else {
            out_shape.extend(&g.output);
            out_shape.push(f);
        }
        Some((out_shape, dense, bias))
    }
}

/// Per spatial axis, per output index: the `[start, end)` of the inputs
/// tf_keras's `conv_connected_inputs` connects it to.
fn axis_ranges(
    input: &[usize],
    output: &[usize],
    kernel: &[usize],
    strides: &[usize],
    valid: bool,
) -> Vec<Vec<(usize, usize)>> {
    (0..output.len())
        .map(|d| {
            let left = kernel[d] / 2;
            let right = kernel[d] - left;
            (0..output[d])
                .map(|o| {
                    let center = o * strides[d] + if valid { left } else { 0 };
                    (center.saturating_sub(left), (center + right).min(input[d]))
                })
                .collect()
        })
        .collect()
}

/// Per output position (row-major), the input positions of its window
/// (row-major flat indices, increasing): the product of the axes' ranges.
fn windows(input: &[usize], ranges: &[Vec<(usize, usize)>]) -> Vec<Vec<usize>> {
    let mut all: Vec<Vec<usize>> = vec![vec![0]];
    // Row-major over the output axes: extend axis by axis.
    for (d, axis) in ranges.iter().enumerate() {
        all = all
            .iter()
            .flat_map(|positions| {
                axis.iter().map(move |&(start, end)| {
                    positions
                        .iter()
                        .flat_map(|&p| (start..end).map(move |x| p * input[d] + x))
                        .collect()
                })
            })
            .collect();
    }
    all
}

impl Layer for LocallyConnected {
    fn per_sample(&self) -> bool {
        true
    }
    fn class_name(&self) -> &str {
        self.class()
    }
    layer_common!(_);
    fn weights(&self) -> Vec<crate::LayerWeight> {
        self.params.weights(self.base.trainable)
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.params.values()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.gathered = OnceLock::new();
        self.params.set(&self.base.name, index, value)
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        let (spatial, channels) = self.split_input(s)?;
        let input: Vec<usize> =
            spatial
                .iter()
                .copied()
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    self.base.err(format!(
                        "the spatial dims of input shape {} must be known to build the layer",
                        shape_str(s)
                    ))
                })?;
        let cin = channels.ok_or_else(|| {
            self.base.err(format!(
                "the channels of input shape {} must be known to build the layer",
                shape_str(s)
            ))
        })?;
        let output = self.output_dims(&input);
        if output.contains(&0) || input.contains(&0) || cin == 0 {
            return Err(self.base.err(format!(
                "input shape {} gives an empty output (spatial {output:?})",
                shape_str(s)
            )));
        }
        let f = self.filters();
        let n_in: usize = input.iter().product();
        let n_out: usize = output.iter().product();
        let k_window: usize = self.cfg.kernel_size.iter().product();
        let ranges = axis_ranges(
            &input,
            &output,
            &self.cfg.kernel_size,
            &self.cfg.strides,
            self.cfg.padding == Padding::Valid,
        );
        self.params.clear();
        self.gathered = OnceLock::new();
        self.geometry = None;
        // The kernel is added (its size checked) before the windows are
        // listed: they are no larger than the kernel.
        let dense_shape = |first: bool| -> Vec<usize> {
            let mut v = Vec::new();
            if first {
                v.push(cin);
                v.extend(&input);
                v.push(f);
                v.extend(&output);
            } else {
                v.extend(&input);
                v.push(cin);
                v.extend(&output);
                v.push(f);
            }
            v
        };
        match self.cfg.implementation {
            1 => self
                .params
                .add("kernel", vec![n_out, k_window * cin, f], true, 0.0)?,
            2 => self
                .params
                .add("kernel", dense_shape(self.first()), true, 0.0)?,
            _ => {
                // The windows are products of per-axis ranges: their total
                // size is the product of the per-axis totals.
                let nnz = ranges
                    .iter()
                    .map(|axis| axis.iter().map(|(a, b)| b - a).sum::<usize>())
                    .chain([cin, f])
                    .try_fold(1usize, |acc, n| acc.checked_mul(n))
                    .ok_or_else(|| self.base.err("the sparse kernel's size overflows"))?;
                self.params.add("kernel", vec![nnz], true, 0.0)?;
            }
        }
        if self.cfg.use_bias {
            let mut shape = output.clone();
            shape.push(f);
            self.params.add("bias", shape, true, 0.0)?;
        }
        let windows = windows(&input, &ranges);
        let mut offsets = Vec::with_capacity(n_out + 1);
        let mut acc = 0;
        for w in &windows {
            offsets.push(acc);
            acc += w.len() * cin * f;
        }
        offsets.push(acc);
        debug_assert!(windows.iter().all(|w| w.iter().all(|&i| i < n_in)));
        self.geometry = Some(Geometry {
            input,
            output,
            channels: cin,
            windows,
            offsets,
        });
        Ok(())
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        let (spatial, _) = self.split_input(s)?;
        let out: Shape = spatial
            .iter()
            .zip(self.cfg.kernel_size.iter().zip(self.cfg.strides.iter()))
            .map(|(d, (&k, &st))| {
                d.map(|n| {
                    let len = match self.cfg.padding {
                        Padding::Valid => (n + 1).saturating_sub(k),
                        _ => n,
                    };
                    len.div_ceil(st)
                })
            })
            .collect();
        let f = Some(self.filters());
        let mut shape = vec![s[0]];
        if self.first() {
            shape.push(f);
            shape.extend(out);
        } else {
            shape.extend(out);
            shape.push(f);
        }
        Ok(vec![activated_shape(
            &self.base,
            self.cfg.activation,
            shape,
        )?])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        let g = self
            .geometry
            .as_ref()
            .ok_or_else(|| self.base.err("layer was called before it was built"))?;
        let (spatial, cin) = self.split_input(x.shape())?;
        if spatial != g.input || cin != g.channels {
            return Err(self.base.err(format!(
                "was built for spatial dims {:?} with {} channels, got input shape {:?}",
                g.input,
                g.channels,
                x.shape()
            )));
        }
        let kernel = self.gathered(g);
        let bias = self.cfg.use_bias.then(|| self.params.get(1));
        let f = self.filters();
        let first = self.first();
        let n_in: usize = g.input.iter().product();
        let n_out = g.windows.len();
        let batch = x.shape()[0];
        let data = x.to_f32();
        let per_in = n_in * cin;
        let per_out = n_out * f;
        let mut out = vec![0.0f32; batch * per_out];
        let sample = |(xs, ys): (&[f32], &mut [f32])| {
            let mut acc = vec![0.0f32; f];
            for (o, window) in g.windows.iter().enumerate() {
                match bias {
                    // channels first reads the bias's flat values as [F, out…].
                    Some(b) if first => acc
                        .iter_mut()
                        .enumerate()
                        .for_each(|(ff, a)| *a = b[ff * n_out + o]),
                    Some(b) => acc.copy_from_slice(&b[o * f..(o + 1) * f]),
                    None => acc.fill(0.0),
                }
                let block = &kernel[g.offsets[o]..g.offsets[o + 1]];
                for (j, &i) in window.iter().enumerate() {
                    for c in 0..cin {
                        let xv = if first {
                            xs[c * n_in + i]
                        } else {
                            xs[i * cin + c]
                        };
                        let row = &block[(j * cin + c) * f..(j * cin + c + 1) * f];
                        for (a, w) in acc.iter_mut().zip(row) {
                            *a += xv * w;
                        }
                    }
                }
                if first {
                    for (ff, a) in acc.iter().enumerate() {
                        ys[ff * n_out + o] = *a;
                    }
                } else {
                    ys[o * f..(o + 1) * f].copy_from_slice(&acc);
                }
            }
        };
        if per_in > 0 && per_out > 0 {
            if batch > 1 && batch * per_out * cin >= 1 << 14 {
                data.par_chunks(per_in)
                    .zip(out.par_chunks_mut(per_out))
                    .for_each(sample);
            } else {
                data.chunks(per_in)
                    .zip(out.chunks_mut(per_out))
                    .for_each(sample);
            }
        }
        let mut shape = vec![batch];
        if first {
            shape.push(f);
            shape.extend(&g.output);
        } else {
            shape.extend(&g.output);
            shape.push(f);
        }
        apply_activation(&self.base, self.cfg.activation, &mut out, &mut shape)?;
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
}

pub fn register(registry: &mut LayerRegistry) {
    register_simple(registry, &["LocallyConnected1D"], |c| {
        boxed_layer(LocallyConnected::from_config(c, 1))
    });
    register_simple(registry, &["LocallyConnected2D"], |c| {
        boxed_layer(LocallyConnected::from_config(c, 2))
    });
}

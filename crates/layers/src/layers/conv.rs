//! Convolutions: `Conv1D/2D/3D` and their transposes.
//!
//! Everything runs channels-last (NWC / NHWC / NDHWC) on `tfjs-kernels`;
//! `data_format: channels_first` inputs are transposed in and out (see
//! [`super::common::spatial`]).

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use tfjs_kernels::{Conv2dParams, Conv3dParams, Padding};

// ---------------------------------------------------------------------------
// Conv1D/2D/3D and transposes
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConvKind {
    Conv1D,
    Conv2D,
    Conv3D,
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
}

impl ConvKind {
    fn rank(self) -> usize {
        match self {
            ConvKind::Conv1D | ConvKind::Conv1DTranspose => 1,
            ConvKind::Conv2D | ConvKind::Conv2DTranspose => 2,
            ConvKind::Conv3D | ConvKind::Conv3DTranspose => 3,
        }
    }
    fn transposed(self) -> bool {
        matches!(
            self,
            ConvKind::Conv1DTranspose | ConvKind::Conv2DTranspose | ConvKind::Conv3DTranspose
        )
    }
    fn name(self) -> &'static str {
        match self {
            ConvKind::Conv1D => "Conv1D",
            ConvKind::Conv2D => "Conv2D",
            ConvKind::Conv3D => "Conv3D",
            ConvKind::Conv1DTranspose => "Conv1DTranspose",
            ConvKind::Conv2DTranspose => "Conv2DTranspose",
            ConvKind::Conv3DTranspose => "Conv3DTranspose",
        }
    }
}

/// `Conv1D`, `Conv2D`, `Conv3D`, `Conv1DTranspose`, `Conv2DTranspose`,
/// `Conv3DTranspose`.
#[derive(Debug, Clone)]
pub struct Conv {
    base: Base,
    kind: ConvKind,
    filters: usize,
    spec: ConvSpec,
    groups: usize,
    output_padding: Option<Vec<usize>>,
    extras: Extras,
    params: Params,
}

impl Conv {
    fn from_config(cfg: &ConfigReader<'_>, kind: ConvKind) -> Result<Self> {
        let n = kind.rank();
        let base = Base::parse(cfg)?;
        let filters = positive_filters(cfg)?;
        let window = conv_window(cfg, n)?;
        let padding = padding_field(cfg)?;
        if padding == Padding::Causal && kind != ConvKind::Conv1D {
            return Err(cfg.err("padding", "\"causal\" padding is only supported by Conv1D"));
        }
        let groups = cfg.usize_or("groups", 1)?;
        if groups == 0 || filters % groups != 0 {
            return Err(cfg.err(
                "groups",
                format!("must be a positive divisor of filters ({filters}), got {groups}"),
            ));
        }
        if groups != 1 && kind.transposed() {
            return Err(cfg.err(
                "groups",
                "grouped transposed convolutions are not supported",
            ));
        }
        let output_padding = if kind.transposed() && cfg.get("output_padding").is_some() {
            Some(cfg.tuple_req("output_padding", n)?)
        } else {
            None
        };
        let mut extras = Extras::default();
        extras.weight(cfg, "kernel", glorot_normal_default);
        let spec = ConvSpec::read(cfg, window, padding, &mut extras)?;
        let conv = Conv {
            base,
            kind,
            filters,
            spec,
            groups,
            output_padding,
            extras,
            params: Params::default(),
        };
        built_from_declared(conv, |c| c.spec.declared_input(&c.base))
    }

    fn in_channels(&self) -> usize {
        self.params.weights(true).first().map_or(0, |w| {
            if self.kind.transposed() {
                w.shape[self.kind.rank() + 1]
            } else {
                w.shape[self.kind.rank()] * self.groups
            }
        })
    }

    /// What the conv + BatchNormalization + ReLU fusion needs, for a
    /// channels-last, built `Conv2D`. A grouped one with at most
    /// [`DENSE_GROUPS_MAX`] groups joins as the equivalent ungrouped
    /// convolution (see [`block_diagonal`]).
    pub(crate) fn fusion_spec(&self) -> Option<FusableConv<'_>> {
        if self.kind != ConvKind::Conv2D || self.groups > DENSE_GROUPS_MAX {
            return None;
        }
        let mut spec = FusableConv::new(false, &self.spec, &self.params)?;
        if self.groups > 1 {
            let (kernel, shape) = block_diagonal(&spec.kernel, &spec.kernel_shape, self.groups)?;
            spec.kernel = std::borrow::Cow::Owned(kernel);
            spec.kernel_shape = shape;
        }
        Some(spec)
    }

    /// The kernel and (with `use_bias`) the bias of a built layer.
    fn kernel_and_bias(&self) -> (&[f32], Option<&[f32]>) {
        let bias = self.spec.use_bias.then(|| self.params.get(1));
        (self.params.get(0), bias)
    }

    /// (out, pad_before) per spatial dim.
    fn geometry(&self, sp: &[usize]) -> Result<Vec<(usize, usize)>> {
        sp.iter()
            .enumerate()
            .map(|(i, &len)| self.dim(i, len))
            .collect()
    }

    /// (out, pad_before) of spatial dim `i` of length `input`.
    fn dim(&self, i: usize, input: usize) -> Result<(usize, usize)> {
        // Name the fields when the dilated window cannot fit the input.
        let (k, d) = (self.spec.kernel_size[i], self.spec.dilation[i]);
        let valid = !self.kind.transposed() && self.spec.padding == Padding::Valid;
        match (k - 1).checked_mul(d).and_then(|v| v.checked_add(1)) {
            None => {
                return Err(self.base.err(format!(
                    "kernel_size {k} with dilation_rate {d}: the dilated window overflows"
                )))
            }
            Some(e) if valid && e > input => {
                return Err(self.base.err(format!(
                    "kernel_size {k} with dilation_rate {d} spans {e} input positions, more than the {input} of spatial dimension {} (padding \"valid\")",
                    i + 1
                )))
            }
            _ => {}
        }
        if self.kind.transposed() {
            let output_padding = self.output_padding.as_ref().map(|o| o[i]);
            self.spec.deconv_dim(&self.base, i, input, output_padding)
        } else {
            self.spec.dim(&self.base, i, input)
        }
    }

    /// Forward (non-transposed) convolution of channels-last `x`.
    fn forward(&self, xl: &ChannelsLast, geo: &[(usize, usize)], out: &mut [f32]) -> Result<()> {
        let (x, (b, sp, c)) = (&xl.data[..], xl.dims());
        let f = self.filters;
        let (kernel, bias) = self.kernel_and_bias();
        if self.groups == 1 {
            return self.run_conv(x, kernel, bias, b, sp, c, f, geo, out);
        }
        // Grouped: slice channels, convolve each group, scatter the filters.
        let g = self.groups;
        let (cg, fg) = (c / g, f / g);
        let in_px: usize = sp.iter().product();
        let taps: usize = self.spec.kernel_size.iter().product();
        for gi in 0..g {
            let xg: Vec<f32> = x
                .chunks(c)
                .take(b * in_px)
                .flat_map(|row| row[gi * cg..(gi + 1) * cg].iter().copied())
                .collect();
            let kg: Vec<f32> = kernel
                .chunks(f)
                .take(taps * cg)
                .flat_map(|row| row[gi * fg..(gi + 1) * fg].iter().copied())
                .collect();
            let bg = bias.map(|bb| &bb[gi * fg..(gi + 1) * fg]);
            let mut og = vec![0.0f32; out.len() / g];
            self.run_conv(&xg, &kg, bg, b, sp, cg, fg, geo, &mut og)?;
            for (dst, src) in out.chunks_mut(f).zip(og.chunks(fg)) {
                dst[gi * fg..(gi + 1) * fg].copy_from_slice(src);
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn run_conv(
        &self,
        x: &[f32],
        kernel: &[f32],
        bias: Option<&[f32]>,
        b: usize,
        sp: &[usize],
        c: usize,
        f: usize,
        geo: &[(usize, usize)],
        out: &mut [f32],
    ) -> Result<()> {
        let axes = window_axes(sp, self.spec.window(), geo);
        match sp.len() {
            1 | 2 => {
                let p = Conv2dParams::from_axes(b, [c, f], &axes);
                let linear = tfjs_kernels::FusedActivation::Linear;
                tfjs_kernels::conv2d(x, kernel, bias, linear, &p, out);
            }
            3 => {
                let p = Conv3dParams::from_axes(b, [c, f], &axes);
                tfjs_kernels::conv3d(x, kernel, bias, &p, out);
            }
            _ => return Err(self.base.err("unsupported convolution rank")),
        }
        Ok(())
    }

    /// Transposed convolution of channels-last `x`.
    fn backward(&self, xl: &ChannelsLast, geo: &[(usize, usize)], out: &mut [f32]) {
        let (x, (b, sp, c)) = (&xl.data[..], xl.dims());
        let f = self.filters;
        let (kernel, bias) = self.kernel_and_bias();
        let [k, s, d] = self.spec.window();
        if sp.len() <= 2 {
            let p = Conv2dParams::from_axes(b, [c, f], &window_axes(sp, [k, s, d], geo));
            tfjs_kernels::conv2d_transpose(x, kernel, bias, &p, out);
            return;
        }
        // 3-D: scatter each input pixel through the kernel [kd, kh, kw, F, C].
        let in_px: usize = sp.iter().product();
        let out_px: usize = geo.iter().map(|g| g.0).product();
        let os = [geo[0].0, geo[1].0, geo[2].0];
        let img_out = out_px * f;
        out.par_chunks_mut(img_out.max(1))
            .enumerate()
            .for_each(|(bi, o)| {
                if let Some(bias) = bias {
                    for row in o.chunks_mut(f) {
                        row.copy_from_slice(bias);
                    }
                }
                for ip in 0..in_px {
                    let idx = [ip / (sp[1] * sp[2]), (ip / sp[2]) % sp[1], ip % sp[2]];
                    let xr = &x[(bi * in_px + ip) * c..(bi * in_px + ip + 1) * c];
                    for kd in 0..k[0] {
                        let od = (idx[0] * s[0] + kd * d[0]) as isize - geo[0].1 as isize;
                        if od < 0 || od as usize >= os[0] {
                            continue;
                        }
                        for kh in 0..k[1] {
                            let oh = (idx[1] * s[1] + kh * d[1]) as isize - geo[1].1 as isize;
                            if oh < 0 || oh as usize >= os[1] {
                                continue;
                            }
                            for kw in 0..k[2] {
                                let ow = (idx[2] * s[2] + kw * d[2]) as isize - geo[2].1 as isize;
                                if ow < 0 || ow as usize >= os[2] {
                                    continue;
                                }
                                let opix =
                                    (od as usize * os[1] + oh as usize) * os[2] + ow as usize;
                                let orow = &mut o[opix * f..(opix + 1) * f];
                                let kbase = ((kd * k[1] + kh) * k[2] + kw) * f * c;
                                for (fi, ov) in orow.iter_mut().enumerate() {
                                    let kr = &kernel[kbase + fi * c..kbase + (fi + 1) * c];
                                    *ov += kr.iter().zip(xr).map(|(a, b)| a * b).sum::<f32>();
                                }
                            }
                        }
                    }
                }
            });
    }
}

/// Up to this many groups a grouped `Conv2D` runs as one ungrouped
/// convolution over a block-diagonal kernel: `groups` times the
/// multiply-adds, but one packed product (folded with its BatchNormalization
/// and activation) instead of a gather, a product packed per call and a
/// scatter per group, which costs far more on the narrow groups (8 channels
/// in RegNetX) that grouped convolutions use.
const DENSE_GROUPS_MAX: usize = 8;

/// The `[kh, kw, c, f]` kernel equal to a grouped `[kh, kw, c / groups, f]`
/// one: input channel `i` of group `i / (c / groups)` keeps its weights for
/// that group's filters and is zero for the others. Each output sums the
/// same products in the same order plus exact zeros, so results are
/// unchanged for finite inputs (an infinity in another group's channel would
/// now give NaN instead of being ignored).
fn block_diagonal(
    kernel: &[f32],
    shape: &[usize],
    groups: usize,
) -> Option<(Vec<f32>, Vec<usize>)> {
    let [kh, kw, cg, f] = <[usize; 4]>::try_from(shape).ok()?;
    if groups == 0 || !f.is_multiple_of(groups) || kernel.len() != kh * kw * cg * f {
        return None;
    }
    let (fg, c) = (f / groups, cg * groups);
    let mut dense = vec![0.0f32; kh * kw * c * f];
    for (tap, src) in kernel.chunks_exact(cg * f).enumerate() {
        let dst = &mut dense[tap * c * f..][..c * f];
        for g in 0..groups {
            for i in 0..cg {
                let row = &src[i * f..][..f];
                dst[(g * cg + i) * f + g * fg..][..fg].copy_from_slice(&row[g * fg..][..fg]);
            }
        }
    }
    Some((dense, vec![kh, kw, c, f]))
}

impl Layer for Conv {
    layer_flags!(per_sample, downcast);
    fn class_name(&self) -> &str {
        self.kind.name()
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("filters".into(), json!(self.filters));
        for k in [
            "kernel_initializer",
            "kernel_regularizer",
            "kernel_constraint",
        ] {
            self.extras.put(&mut m, k);
        }
        let (conv1d, transposed) = (self.kind == ConvKind::Conv1D, self.kind.transposed());
        self.spec.write(&mut m, &self.extras, !conv1d, !transposed);
        self.base.write(&mut m);
        // Keras fields TF.js does not write, only when they change the result.
        if self.kind == ConvKind::Conv1D && self.spec.cf {
            m.insert("data_format".into(), data_format_value(true));
        }
        if self.kind.transposed() && self.spec.dilation.iter().any(|&d| d != 1) {
            m.insert("dilation_rate".into(), ints(&self.spec.dilation));
        }
        if let Some(op) = &self.output_padding {
            m.insert("output_padding".into(), ints(op));
        }
        if self.groups != 1 {
            m.insert("groups".into(), json!(self.groups));
        }
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let n = self.kind.rank();
        let s = spatial_input(&self.base, input_shapes, n, self.spec.cf)?;
        let c = known_channels(&self.base, &s)?;
        let mut kshape = self.spec.kernel_size.clone();
        if self.kind.transposed() {
            kshape.extend([self.filters, c]);
        } else {
            if c % self.groups != 0 {
                return Err(self.base.err(format!(
                    "input channels ({c}) must be divisible by groups ({})",
                    self.groups
                )));
            }
            kshape.extend([c / self.groups, self.filters]);
        }
        // Name the fields that make a corrupt kernel too large.
        if kshape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .is_none_or(|n| n > MAX_WEIGHT_ELEMENTS)
        {
            return Err(self.base.err(format!(
                "kernel_size {:?} with {c} input channels and filters {} needs a kernel of shape {kshape:?}, over {MAX_WEIGHT_ELEMENTS} elements: the config is corrupt",
                self.spec.kernel_size, self.filters
            )));
        }
        self.params.clear();
        self.params.add("kernel", kshape, true, 0.0)?;
        if self.spec.use_bias {
            self.params.add("bias", vec![self.filters], true, 0.0)?;
        }
        Ok(())
    }
    layer_common!(weights);
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.kind.rank();
        let s = spatial_input(&self.base, inputs, n, self.spec.cf)?;
        let out = spatial_output(&s, Some(self.filters), |i, len| Ok(self.dim(i, len)?.0))?;
        Ok(vec![self.spec.output_shape(&self.base, out)?])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.kind.rank();
        let xl = built_spatial_input(&self.base, &self.params, inputs, n, self.spec.cf, || {
            self.in_channels()
        })?;
        let (b, sp, _) = xl.dims();
        let geo = self.geometry(sp)?;
        let out_px: usize = geo.iter().map(|g| g.0).product();
        let mut out = vec![0.0f32; b * out_px * self.filters];
        if self.kind.transposed() {
            self.backward(&xl, &geo, &mut out);
        } else {
            self.forward(&xl, &geo, &mut out)?;
        }
        let y = self.spec.output(&self.base, b, &geo, self.filters, out)?;
        Ok(vec![y])
    }
}

// ---------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------

/// Register the convolution classes.
pub fn register(registry: &mut LayerRegistry) {
    for (names, kind) in [
        (&["Conv1D", "Convolution1D"][..], ConvKind::Conv1D),
        (&["Conv2D", "Convolution2D"][..], ConvKind::Conv2D),
        (&["Conv3D", "Convolution3D"][..], ConvKind::Conv3D),
        (
            &["Conv1DTranspose", "Convolution1DTranspose"][..],
            ConvKind::Conv1DTranspose,
        ),
        (
            &[
                "Conv2DTranspose",
                "Convolution2DTranspose",
                "Deconvolution2D",
            ][..],
            ConvKind::Conv2DTranspose,
        ),
        (
            &[
                "Conv3DTranspose",
                "Convolution3DTranspose",
                "Deconvolution3D",
            ][..],
            ConvKind::Conv3DTranspose,
        ),
    ] {
        register_simple(registry, names, move |c| {
            boxed_layer(Conv::from_config(c, kind))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::block_diagonal;

    #[test]
    fn block_diagonal_keeps_each_group_on_its_own_channels() {
        // 1x1, 2 groups of 1 input channel and 2 filters: [1, 1, 1, 4] holds
        // filters 0-1 (group 0) and 2-3 (group 1) for each group's channel.
        let (dense, shape) = block_diagonal(&[1.0, 2.0, 3.0, 4.0], &[1, 1, 1, 4], 2).unwrap();
        assert_eq!(shape, [1, 1, 2, 4]);
        assert_eq!(dense, [1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 3.0, 4.0]);
        // Two taps, 2 groups of 2 channels and 1 filter each.
        let k: Vec<f32> = (1..=8).map(|v| v as f32).collect();
        let (dense, shape) = block_diagonal(&k, &[1, 2, 2, 2], 2).unwrap();
        assert_eq!(shape, [1, 2, 4, 2]);
        #[rustfmt::skip]
        assert_eq!(dense, [
            1.0, 0.0, 3.0, 0.0, 0.0, 2.0, 0.0, 4.0, // tap 0: channels 0-1 -> filter 0, 2-3 -> filter 1
            5.0, 0.0, 7.0, 0.0, 0.0, 6.0, 0.0, 8.0, // tap 1
        ]);
        assert!(block_diagonal(&k, &[1, 2, 2, 2], 3).is_none());
    }
}

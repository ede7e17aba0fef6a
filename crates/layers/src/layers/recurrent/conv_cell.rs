//! The ConvLSTM cell: LSTM gates computed by 2-D (`ConvLSTM2D`) or 3-D
//! (`ConvLSTM3D`) convolutions.

use super::*;
use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::{LayerWeight, LayersError, Result, Tensor};
use serde_json::{json, Map, Value};
use tfjs_kernels::{conv3d, Conv3dParams, Padding};

// ---------------------------------------------------------------------------
// ConvLSTM2D cell
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(super) struct ConvCell {
    pub(super) base: Base,
    pub(super) filters: usize,
    /// Spatial dims: 2 (`ConvLSTM2D`) or 3 (`ConvLSTM3D`).
    pub(super) rank: usize,
    /// Window `[depth, height, width]`; a 2-D cell's depth is 1.
    pub(super) kernel_size: [usize; 3],
    pub(super) strides: [usize; 3],
    pub(super) dilation: [usize; 3],
    pub(super) padding: Padding,
    pub(super) channels_first: bool,
    pub(super) activation: Activation,
    pub(super) recurrent_activation: Activation,
    pub(super) use_bias: bool,
    pub(super) fields: Vec<(String, Value)>,
    pub(super) in_channels: Option<usize>,
    pub(super) params: CellWeights,
}

impl ConvCell {
    /// A cell over `rank` (2 or 3) spatial dims.
    pub(super) fn from_config(c: &ConfigReader<'_>, rank: usize) -> Result<ConvCell> {
        let base = Base::parse(c)?;
        let filters = c.usize_req("filters")?;
        if filters == 0 {
            return Err(c.err("filters", "must be positive"));
        }
        let ks = c.tuple_req("kernel_size", rank)?;
        let st = c.tuple_or("strides", rank, 1)?;
        let dl = c.tuple_or("dilation_rate", rank, 1)?;
        if ks.contains(&0) || st.contains(&0) || dl.contains(&0) {
            return Err(c.err(
                "kernel_size",
                "kernel_size, strides and dilation_rate must be positive",
            ));
        }
        let padding = valid_or_same(c)?;
        let channels_first = channels_first(c)?;
        let (act, ract) = gate_activations(c)?;
        let use_bias = c.bool_or("use_bias", true)?;
        let mut f: Vec<(String, Value)> = Vec::new();
        let mut push = |k: &str, v: Value| f.push((k.to_string(), v));
        push("activation", act.to_json());
        push("recurrent_activation", ract.to_json());
        push("use_bias", Value::Bool(use_bias));
        weight_and_dropout_fields(c, true, &mut push)?;
        push("implementation", passthrough(c, "implementation"));
        push("filters", Value::from(filters as u64));
        push("kernel_size", json!(ks));
        push("padding", Value::String(padding_name(padding).into()));
        push("data_format", data_format_value(channels_first));
        push("dilation_rate", json!(dl));
        push("strides", json!(st));
        let in_ch = base.batch_input_shape.as_ref().and_then(|s| {
            if channels_first {
                s.get(s.len().wrapping_sub(rank + 1)).copied().flatten()
            } else {
                s.last().copied().flatten()
            }
        });
        let window = |v: &[usize]| -> [usize; 3] {
            let mut w = [1; 3];
            w[3 - rank..].copy_from_slice(v);
            w
        };
        let mut cell = ConvCell {
            base,
            filters,
            rank,
            kernel_size: window(&ks),
            strides: window(&st),
            dilation: window(&dl),
            padding,
            channels_first,
            activation: act,
            recurrent_activation: ract,
            use_bias,
            fields: f,
            in_channels: None,
            params: CellWeights::unallocated(),
        };
        cell.allocate(in_ch.unwrap_or(0))?;
        cell.in_channels = in_ch;
        Ok(cell)
    }

    pub(super) fn allocate(&mut self, cin: usize) -> Result<()> {
        let window = &self.kernel_size[3 - self.rank..];
        let name = &self.base.name;
        let f4 = self
            .filters
            .checked_mul(4)
            .ok_or_else(|| LayersError::config(name, "filters is too large"))?;
        let bias = self.use_bias.then(|| vec![f4]);
        let shape = |c: usize| [window, &[c, f4]].concat();
        self.params
            .allocate(&self.base.name, shape(cin), shape(self.filters), bias)?;
        self.in_channels = Some(cin);
        Ok(())
    }

    pub(super) fn config(&self) -> Map<String, Value> {
        cell_config(&self.base, &self.fields)
    }

    pub(super) fn weights(&self, trainable: bool) -> Vec<LayerWeight> {
        self.params.describe("", trainable, self.use_bias)
    }

    pub(super) fn weight_values(&self) -> Vec<&Tensor> {
        self.params.values(self.use_bias)
    }

    pub(super) fn set_weight(&mut self, layer: &str, index: usize, value: Tensor) -> Result<()> {
        // The kernel fixes the input channels if the layer was not built.
        if index == 0 && (self.in_channels.is_none() || self.in_channels == Some(0)) {
            if let Some(&cin) = value
                .shape()
                .get(self.rank)
                .filter(|_| value.rank() == self.rank + 2)
            {
                self.allocate(cin)?;
            }
        }
        self.params.set(layer, index, value, self.use_bias)
    }

    /// Output size along spatial `axis` (of the cell's `rank`) for an
    /// input of `size` there.
    pub(super) fn out_size(&self, layer: &str, axis: usize, size: usize) -> Result<usize> {
        let d = 3 - self.rank + axis;
        tfjs_kernels::conv_output_size(
            size,
            self.kernel_size[d],
            self.strides[d],
            self.dilation[d],
            self.padding,
        )
        .map(|(out, _)| out)
        .map_err(|e| input_err(layer, e))
    }

    /// Run over `[b, t, …spatial, c]` (channels-last, `rank` spatial
    /// dims). Returns the per-step outputs `[b, t, …out spatial, f]`, the
    /// final states `[h, c]` and the output's spatial dims.
    pub(super) fn run(
        &self,
        layer: &str,
        x: &[f32],
        (b, t, spatial, cin): (usize, usize, &[usize], usize),
        mask: Option<&[f32]>,
        backwards: bool,
        init: Option<Vec<Vec<f32>>>,
    ) -> Result<ConvRun> {
        if self.in_channels != Some(cin) {
            return Err(input_err(
                layer,
                format!(
                    "input has {cin} channels but the kernel is {:?}",
                    self.params.kernel.shape()
                ),
            ));
        }
        let f = self.filters;
        let f4 = 4 * f;
        if spatial.len() != self.rank {
            return Err(input_err(
                layer,
                format!("expects {} spatial dims, got {spatial:?}", self.rank),
            ));
        }
        let mut dhw = [1; 3];
        dhw[3 - self.rank..].copy_from_slice(spatial);
        let kerr = |e: tfjs_kernels::KernelError| input_err(layer, e);
        let pin = Conv3dParams::new(
            b * t,
            dhw,
            cin,
            f4,
            self.kernel_size,
            self.strides,
            self.dilation,
            self.padding,
        )
        .map_err(kerr)?;
        let out_dhw = [pin.out_d, pin.out_h, pin.out_w];
        let px: usize = out_dhw.iter().product();
        let mut xp = vec![0f32; b * t * px * f4];
        let bias = self.use_bias.then(|| f32_of(&self.params.bias));
        conv3d(x, f32_of(&self.params.kernel), bias, &pin, &mut xp);
        let prec = Conv3dParams::new(
            b,
            out_dhw,
            f,
            f4,
            self.kernel_size,
            [1; 3],
            [1; 3],
            Padding::Same,
        )
        .map_err(kerr)?;
        let n = b * px * f;
        let mut states = match init {
            Some(s) => s,
            None => vec![vec![0f32; n]; 2],
        };
        check_states(layer, &states, 2, n)?;
        let mut seq = vec![0f32; b * t * px * f];
        let mut rp = vec![0f32; b * px * f4];
        let mut new_h = vec![0f32; n];
        let mut new_c = vec![0f32; n];
        let (act, ract) = (self.activation, self.recurrent_activation);
        for step in 0..t {
            let ti = if backwards { t - 1 - step } else { step };
            conv3d(
                &states[0],
                f32_of(&self.params.recurrent_kernel),
                None,
                &prec,
                &mut rp,
            );
            let c = &states[1];
            for bi in 0..b {
                for p in 0..px {
                    let xr = &xp[((bi * t + ti) * px + p) * f4..][..f4];
                    let rr = &rp[(bi * px + p) * f4..][..f4];
                    let o0 = (bi * px + p) * f;
                    for j in 0..f {
                        let i = ract.scalar(xr[j] + rr[j]);
                        let fg = ract.scalar(xr[f + j] + rr[f + j]);
                        let g = act.scalar(xr[2 * f + j] + rr[2 * f + j]);
                        let o = ract.scalar(xr[3 * f + j] + rr[3 * f + j]);
                        let cn = fg * c[o0 + j] + i * g;
                        new_c[o0 + j] = cn;
                        new_h[o0 + j] = o * act.scalar(cn);
                    }
                }
            }
            let per = px * f;
            for bi in 0..b {
                let keep = mask.is_none_or(|m| m[bi * t + ti] != 0.0);
                let r = bi * per..(bi + 1) * per;
                if keep {
                    states[0][r.clone()].copy_from_slice(&new_h[r.clone()]);
                    states[1][r.clone()].copy_from_slice(&new_c[r.clone()]);
                }
                seq[(bi * t + step) * per..][..per].copy_from_slice(&states[0][r]);
            }
        }
        Ok((seq, states, out_dhw[3 - self.rank..].to_vec()))
    }
}

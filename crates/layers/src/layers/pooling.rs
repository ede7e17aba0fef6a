//! Pooling layers: `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D` (TF
//! `"same"`/`"valid"` semantics; padded cells are not averaged) and the
//! global poolings (`keepdims` honoured; `GlobalAveragePooling1D` honours a
//! time mask as Keras does).

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::{json, Map, Value};
use tfjs_kernels::{Padding, Pool2dParams, Pool3dParams};

keras_config! {
    /// The config of `MaxPooling*` / `AveragePooling*`, in TF.js's key order
    /// (`data_format` is written by the layer: TF.js omits it in 1-D).
    pub(crate) struct PoolingConfig |cx| {
        pool_size: Ints = Ints::fill(cx, 2),
        padding: Padding = Padding::Valid,
        /// Absent → `pool_size` (filled in by [`Pooling::from_config`]).
        strides: Option<Ints>,
    }
}

/// `MaxPooling1D/2D/3D` and `AveragePooling1D/2D/3D`.
#[derive(Debug, Clone)]
pub struct Pooling {
    base: Base,
    cfg: PoolingConfig,
    is_max: bool,
    pool_size: Vec<usize>,
    strides: Vec<usize>,
    padding: Padding,
    cf: bool,
}

impl Pooling {
    fn from_config(cfg: &ConfigReader<'_>, is_max: bool, n: usize) -> Result<Self> {
        let mut pc = PoolingConfig::read(&Cx::spatial(cfg, n))?;
        let strides = pc
            .strides
            .get_or_insert_with(|| pc.pool_size.clone())
            .0
            .clone();
        if pc.pool_size.contains(&0) {
            return Err(cfg.err("pool_size", "values must be at least 1"));
        }
        if strides.contains(&0) {
            return Err(cfg.err("strides", "values must be at least 1"));
        }
        if pc.padding == Padding::Causal {
            return Err(cfg.err("padding", "pooling padding must be \"valid\" or \"same\""));
        }
        Ok(Pooling {
            base: Base::parse(cfg)?,
            is_max,
            pool_size: pc.pool_size.0.clone(),
            strides,
            padding: pc.padding,
            cf: channels_first(cfg)?,
            cfg: pc,
        })
    }
    fn rank(&self) -> usize {
        self.pool_size.len()
    }

    /// `(pool_size, strides)` of a channels-last `MaxPooling2D` with
    /// `valid` padding (the fusion of a preceding `ZeroPadding2D`).
    pub(crate) fn valid_max_2d(&self) -> Option<([usize; 2], [usize; 2])> {
        match (self.pool_size.as_slice(), self.strides.as_slice()) {
            (&[kh, kw], &[sh, sw]) if self.is_max && !self.cf && self.padding == Padding::Valid => {
                Some(([kh, kw], [sh, sw]))
            }
            _ => None,
        }
    }
}

impl Layer for Pooling {
    layer_flags!(per_sample, downcast);
    fn class_name(&self) -> &str {
        class_by_rank(POOLING[usize::from(self.is_max)].0, self.rank())
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.cfg.write(&mut m);
        if self.rank() > 1 {
            m.insert("data_format".into(), data_format_value(self.cf));
        }
        self.base.write(&mut m);
        if self.rank() == 1 && self.cf {
            // Keras field TF.js does not write.
            m.insert("data_format".into(), data_format_value(true));
        }
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.rank();
        let s = spatial_input(&self.base, inputs, n, self.cf)?;
        let out = spatial_output(&s, s[n + 1], |d, l| {
            let (k, st) = (self.pool_size[d], self.strides[d]);
            Ok(conv_dim(&self.base, l, k, st, 1, self.padding)?.0)
        })?;
        Ok(vec![shape_from_cl(out, self.cf)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.rank();
        let xl = spatial_input_tensor(&self.base, inputs, n, self.cf)?;
        let (b, sp, c) = xl.dims();
        let geo: Vec<(usize, usize)> = (0..n)
            .map(|d| {
                conv_dim(
                    &self.base,
                    sp[d],
                    self.pool_size[d],
                    self.strides[d],
                    1,
                    self.padding,
                )
            })
            .collect::<Result<_>>()?;
        // Windows far larger than the input ("same" padding and a huge
        // pool_size) cover the same cells as a window clipped to the input:
        // run that one (the kernel allocates per window tap).
        let (k, geo): (Vec<usize>, Vec<(usize, usize)>) = (0..n)
            .map(|d| {
                let (k, pad) = clip_window(self.pool_size[d], sp[d], geo[d], self.strides[d]);
                (k, (geo[d].0, pad))
            })
            .unzip();
        let out_px: usize = geo.iter().map(|g| g.0).product();
        let mut out = vec![0.0f32; b * out_px * c];
        let axes = window_axes(sp, [&k, &self.strides, &[1; 3][..n]], &geo);
        if n <= 2 {
            let p = Pool2dParams::from_axes(b, [c, c], &axes);
            if self.is_max {
                tfjs_kernels::max_pool2d(&xl.data, &p, &mut out);
            } else {
                tfjs_kernels::avg_pool2d(&xl.data, &p, &mut out);
            }
        } else {
            let p = Pool3dParams::from_axes(b, [c, c], &axes);
            if self.is_max {
                tfjs_kernels::max_pool3d(&xl.data, &p, &mut out);
            } else {
                tfjs_kernels::avg_pool3d(&xl.data, &p, &mut out);
            }
        }
        let out_sp = geo.iter().map(|g| g.0);
        let y = spatial_result(&self.base, b, out_sp, c, out, self.cf)?;
        Ok(vec![y])
    }
}

/// `GlobalMaxPooling1D/2D/3D` and `GlobalAveragePooling1D/2D/3D`.
#[derive(Debug, Clone)]
pub struct GlobalPooling {
    base: Base,
    is_max: bool,
    rank: usize,
    cf: bool,
    keepdims: bool,
}

impl GlobalPooling {
    fn from_config(cfg: &ConfigReader<'_>, is_max: bool, rank: usize) -> Result<Self> {
        Ok(GlobalPooling {
            base: Base::parse(cfg)?,
            is_max,
            rank,
            cf: channels_first(cfg)?,
            keepdims: cfg.bool_or("keepdims", false)?,
        })
    }
}

impl Layer for GlobalPooling {
    layer_flags!(per_sample);
    fn class_name(&self) -> &str {
        class_by_rank(GLOBAL_POOLING[usize::from(self.is_max)].0, self.rank)
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if self.rank > 1 {
            m.insert("data_format".into(), data_format_value(self.cf));
        }
        self.base.write(&mut m);
        // Keras fields TF.js does not write (it would ignore them).
        if self.rank == 1 && self.cf {
            m.insert("data_format".into(), data_format_value(true));
        }
        if self.keepdims {
            m.insert("keepdims".into(), json!(true));
        }
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.rank;
        let s = spatial_input(&self.base, inputs, n, self.cf)?;
        if self.keepdims {
            let mut out = s.clone();
            for d in out.iter_mut().take(n + 1).skip(1) {
                *d = Some(1);
            }
            Ok(vec![shape_from_cl(out, self.cf)])
        } else {
            Ok(vec![vec![s[0], s[n + 1]]])
        }
    }
    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.rank;
        let x = one_input(&self.base, inputs)?;
        check_rank(&self.base, x.rank(), n + 2, "batch, spatial dims, channels")?;
        let xl = to_channels_last(x, self.cf);
        let b = xl.shape[0];
        let c = xl.shape[n + 1];
        let spatial: usize = xl.shape[1..=n].iter().product();
        let mut out = vec![0.0f32; b * c];
        let mask = masks.first().and_then(Option::as_ref);
        match mask {
            // Keras: masked mean over the time steps of GlobalAveragePooling1D.
            Some(mask) if !self.is_max && n == 1 => {
                let md = mask.to_f32();
                if md.len() != b * spatial {
                    return Err(self.base.err(format!(
                        "mask of shape {:?} does not match input of shape {:?}",
                        mask.shape(),
                        x.shape()
                    )));
                }
                for bi in 0..b {
                    let o = &mut out[bi * c..(bi + 1) * c];
                    let mut total = 0.0f32;
                    for t in 0..spatial {
                        let w = md[bi * spatial + t];
                        if w != 0.0 {
                            total += w;
                            let row = &xl.data[(bi * spatial + t) * c..(bi * spatial + t + 1) * c];
                            for (ov, v) in o.iter_mut().zip(row) {
                                *ov += v * w;
                            }
                        }
                    }
                    o.iter_mut().for_each(|v| *v /= total);
                }
            }
            _ => {
                if self.is_max {
                    tfjs_kernels::global_max_pool(&xl.data, b, spatial, c, &mut out);
                } else {
                    tfjs_kernels::global_avg_pool(&xl.data, b, spatial, c, &mut out);
                }
            }
        }
        let shape = if self.keepdims {
            let mut s = vec![b];
            s.extend(std::iter::repeat_n(1, n));
            s.push(c);
            if self.cf {
                let mut cfs = vec![b, c];
                cfs.extend(std::iter::repeat_n(1, n));
                cfs
            } else {
                s
            }
        } else {
            vec![b, c]
        };
        // keepdims with channels_first: [b, c, 1...] has the same row-major
        // order as [b, c], so no transpose is needed.
        make_tensor(&self.base, shape, out).map(|t| vec![t])
    }
}

/// The pooling classes and their aliases, `[average, max]`.
const POOLING: [(RankClasses, RankClasses); 2] = [
    (
        ["AveragePooling1D", "AveragePooling2D", "AveragePooling3D"],
        ["AvgPool1D", "AvgPool2D", "AvgPool3D"],
    ),
    (
        ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D"],
        ["MaxPool1D", "MaxPool2D", "MaxPool3D"],
    ),
];

/// The global pooling classes and their aliases, `[average, max]`.
const GLOBAL_POOLING: [(RankClasses, RankClasses); 2] = [
    (
        [
            "GlobalAveragePooling1D",
            "GlobalAveragePooling2D",
            "GlobalAveragePooling3D",
        ],
        ["GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D"],
    ),
    (
        [
            "GlobalMaxPooling1D",
            "GlobalMaxPooling2D",
            "GlobalMaxPooling3D",
        ],
        ["GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D"],
    ),
];

/// Register the pooling classes.
pub fn register(registry: &mut LayerRegistry) {
    for (is_max, (classes, aliases)) in [false, true].into_iter().zip(POOLING) {
        for names in [classes, aliases] {
            register_by_rank(registry, names, move |c, n| {
                boxed_layer(Pooling::from_config(c, is_max, n))
            });
        }
    }
    for (is_max, (classes, aliases)) in [false, true].into_iter().zip(GLOBAL_POOLING) {
        for names in [classes, aliases] {
            register_by_rank(registry, names, move |c, n| {
                boxed_layer(GlobalPooling::from_config(c, is_max, n))
            });
        }
    }
}

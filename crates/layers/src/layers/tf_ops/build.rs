//! Reading a `TFOpLambda` call: the function, its positional and keyword
//! arguments (tensors, scalars, constant arrays, shapes, slice specs) and
//! the structured arguments each function family takes.

use super::*;

impl TfOpLambda {
    /// The shape of an operand given as a kwarg (a number is rank 0).
    pub(super) fn arg_shape(&self, arg: &Arg, inputs: &[Shape]) -> Result<Shape> {
        Ok(match arg {
            Arg::Scalar(_) => Vec::new(),
            Arg::Const(t) => t.shape().iter().map(|&d| Some(d)).collect(),
            Arg::Tensor(k) => inputs
                .get(inputs.len() - self.tensor_kwargs + k)
                .ok_or_else(|| self.base.err("a tensor argument is missing"))?
                .clone(),
        })
    }

    /// The values and shape of an operand given as a kwarg.
    pub(super) fn arg_values<'a>(
        &'a self,
        arg: &'a Arg,
        inputs: &'a [Tensor],
    ) -> Result<(std::borrow::Cow<'a, [f32]>, Vec<usize>)> {
        Ok(match arg {
            Arg::Scalar(v) => (std::borrow::Cow::Owned(vec![*v]), Vec::new()),
            Arg::Const(t) => (f32s(t), t.shape().to_vec()),
            Arg::Tensor(k) => {
                let t = inputs
                    .get(inputs.len() - self.tensor_kwargs + k)
                    .ok_or_else(|| input_err(&self.base.name, "a tensor argument is missing"))?;
                (f32s(t), t.shape().to_vec())
            }
        })
    }

    /// The broadcast of `x` and `y` (a binary function's output shape).
    pub(super) fn broadcast_shapes(&self, x: &Shape, y: &Shape) -> Result<Shape> {
        broadcast_symbolic(x, y).ok_or_else(|| {
            self.base.err(format!(
                "tf.{}: shapes {} and {} do not broadcast",
                self.function,
                shape_str(x),
                shape_str(y)
            ))
        })
    }

    pub(super) fn from_config(
        class: &'static str,
        c: &ConfigReader<'_>,
        ctx: &BuildContext<'_>,
    ) -> Result<Self> {
        let function = c
            .get("function")
            .and_then(Value::as_str)
            .ok_or_else(|| c.err("function", "expected the tf.* function's name (a string)"))?
            .to_string();
        let empty = Map::new();
        let saved_kwargs = ctx.call_kwargs.and_then(Value::as_object).unwrap_or(&empty);
        // TF 1's spellings and the functions computed as another
        // (`aliases.rs`); the config keeps the saved name.
        let saved = function;
        let resolved = aliases::resolve(&saved, saved_kwargs)
            .map_err(|e| c.err("function", format!("tf.{saved}: {e}")))?;
        let (function, kwargs) = match &resolved {
            Some((f, k)) => (f.to_string(), k),
            None => (saved.clone(), saved_kwargs),
        };
        // Explicit padding (`[[0, 0], [top, bottom], [left, right], [0, 0]]`):
        // the input padded first, then the function with VALID padding.
        let explicit = explicit_padding(&function, kwargs)
            .map_err(|e| c.err("function", format!("tf.{saved}: {e}")))?;
        let kwargs = match &explicit {
            Some((_, k)) => k,
            None => kwargs,
        };
        let pre_pad = explicit.as_ref().map(|(p, _)| p.clone());
        let mut func = lookup(&function).ok_or_else(|| {
            c.err(
                "function",
                format!(
                    "tf.{function} is not supported yet (see the function table in crates/layers/src/layers/tf_ops/elementwise.rs)"
                ),
            )
        })?;
        let mut tensor_kwargs = 0;
        let (mut x, mut y) = (None, None);
        // The second operand's name: `tf.math.atan2(y, x)` takes `x` second,
        // `tf.nn.bias_add(value, bias)` `bias`.
        let second = match function.as_str() {
            "math.atan2" | "atan2" => "x",
            // `tf.math.igamma(a, x)`.
            "math.igamma" | "igamma" | "math.igammac" | "igammac" => "x",
            "nn.bias_add" => "bias",
            "compat.v1.nn.sigmoid_cross_entropy_with_logits"
            | "nn.sigmoid_cross_entropy_with_logits" => "logits",
            _ => "y",
        };
        for (k, v) in kwargs {
            let is_tensor = crate::topology::kwarg_tensor(v).is_some();
            let held = crate::topology::kwarg_tensors([(k, v)]).len();
            if k == second || (k == "x" && matches!(function.as_str(), "where" | "compat.v1.where"))
            {
                let slot = if k == second { &mut y } else { &mut x };
                *slot = Some(if is_tensor {
                    Arg::Tensor(tensor_kwargs)
                } else if let Some(n) = number(v) {
                    Arg::Scalar(n)
                } else {
                    Arg::Const(constant_array(v).ok_or_else(|| {
                        c.err(
                            "function",
                            format!(
                                "tf.{function}: argument {k} must be a number, a tensor or an array of numbers, got {}",
                                short(v)
                            ),
                        )
                    })?)
                });
            }
            tensor_kwargs += held;
        }
        let arg = |k: &str, default: f32| -> Result<f32> {
            match kwargs.get(k) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => number(v).ok_or_else(|| {
                    c.err(
                        "function",
                        format!("tf.{function}: argument {k} must be a number, got {v}"),
                    )
                }),
            }
        };
        // Functions whose math depends on their scalar arguments.
        match function.as_str() {
            "nn.gelu" if kwargs.get("approximate").and_then(Value::as_bool) == Some(true) => {
                func = Func::Act(Activation::GeluNew)
            }
            "nn.leaky_relu" => func = Func::LeakyRelu(arg("alpha", 0.2)?),
            "nn.silu" | "nn.swish" | "math.silu" => func = Func::Silu(arg("beta", 1.0)?),
            "nn.bias_add" => match kwargs.get("data_format") {
                None | Some(Value::Null) => {}
                Some(Value::String(f)) if f.starts_with('N') && f.ends_with('C') => {}
                Some(other) => {
                    return Err(c.err(
                        "function",
                        format!(
                        "tf.nn.bias_add: data_format {other} is not supported (channels last only)"
                    ),
                    ))
                }
            },
            "cast" | "dtypes.cast" => {
                func = match kwargs.get("dtype").and_then(Value::as_str) {
                    Some("float16" | "float32" | "float64" | "bfloat16") => Func::Unary(|x| x),
                    // Values stay float32 in the engine; the cast truncates.
                    Some("int8" | "int16" | "int32" | "int64" | "uint8" | "uint16") => {
                        Func::Unary(f32::trunc)
                    }
                    Some("bool") => Func::Unary(|x| f32::from(x != 0.0)),
                    other => {
                        return Err(c.err(
                            "function",
                            format!(
                                "tf.cast: dtype {other:?} is not supported (float, int or bool)"
                            ),
                        ))
                    }
                }
            }
            "convert_to_tensor" => match kwargs.get("dtype") {
                None | Some(Value::Null) => {}
                Some(Value::String(d)) if d.starts_with("float") || d == "bfloat16" => {}
                Some(other) => {
                    return Err(c.err(
                        "function",
                        format!(
                            "tf.convert_to_tensor: dtype {other} is not supported (a float \
                             tensor converts to a float dtype only)"
                        ),
                    ))
                }
            },
            "clip_by_value" => {
                func = Func::Clip(
                    arg("clip_value_min", f32::NEG_INFINITY)?,
                    arg("clip_value_max", f32::INFINITY)?,
                )
            }
            _ => {}
        }
        // `tf.gather` with a tensor of indices, or constant ones and
        // `batch_dims` (built as an operation).
        let mut gather = None;
        let mut gather_const = None;
        let mut sargs = StructuredArgs {
            epsilon: 1e-12,
            where_rows: function == "compat.v1.where",
            ..Default::default()
        };
        let fail = |k: &str, what: &str| {
            c.err(
                "function",
                format!(
                    "tf.{function}: argument {k}: expected {what}, got {}",
                    kwargs.get(k).unwrap_or(&Value::Null)
                ),
            )
        };
        // The NHWC layout (the default) is the only one computed.
        let nhwc = || match kwargs.get("data_format").and_then(Value::as_str) {
            Some(f) if f != "NHWC" => Err(fail("data_format", "\"NHWC\"")),
            _ => Ok(()),
        };
        // tf.norm with an `ord` other than the Euclidean / Frobenius norm:
        // Keras 3's `norm(ord=…)` (`keras3_ops/norm_ord.rs`).
        let mut ord_norm = None;
        if let (Func::Reduce(_), Some(ord)) = (&func, kwargs.get("ord").filter(|o| !o.is_null())) {
            // `2` over one axis (or all) is the Euclidean norm too; over
            // two axes it is the spectral norm (refused by `OrdNorm`).
            let two_axes = matches!(kwargs.get("axis"), Some(Value::Array(a)) if a.len() == 2);
            if !(ord == "euclidean" || ord.as_f64() == Some(2.0) && !two_axes) {
                ord_norm = Some(
                    super::super::keras3_ops::OrdNorm::from_tf(kwargs)
                        .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?,
                );
                func = Func::Op;
            }
        }
        // A resize's `[height, width]`: constants, or read at run time.
        let resize_size = |sargs: &mut StructuredArgs| -> Result<()> {
            if kwargs.get("size").is_some_and(dynamic::holds_tensor) {
                sargs.size_from = Some(
                    dynamic::Dims::parse(kwargs, "size")
                        .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?,
                );
            } else {
                sargs.size =
                    hw(kwargs.get("size")).ok_or_else(|| fail("size", "[height, width]"))?;
            }
            Ok(())
        };
        match func {
            Func::Reduce(_)
            | Func::L2Normalize
            | Func::ClipByNorm
            | Func::Concat
            | Func::Rowwise(_) => {
                let axis_key = if matches!(func, Func::ClipByNorm) {
                    "axes"
                } else {
                    "axis"
                };
                sargs.axes = match kwargs.get(axis_key) {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(a)) => Some(
                        a.iter()
                            .map(Value::as_i64)
                            .collect::<Option<Vec<i64>>>()
                            .ok_or_else(|| fail("axis", "an integer or a list of integers"))?,
                    ),
                    Some(v) => Some(vec![v
                        .as_i64()
                        .ok_or_else(|| fail("axis", "an integer"))?]),
                };
                sargs.keepdims = kwargs
                    .get("keepdims")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                sargs.epsilon = arg("epsilon", 1e-12)?;
                if matches!(func, Func::ClipByNorm) {
                    sargs.clip_norm = arg("clip_norm", f32::NAN)?;
                    if sargs.clip_norm.is_nan() || sargs.clip_norm < 0.0 {
                        return Err(fail("clip_norm", "a non-negative constant"));
                    }
                }
                if matches!(func, Func::Concat) && sargs.axes.as_ref().is_none_or(|a| a.len() != 1)
                {
                    return Err(fail("axis", "one integer"));
                }
            }
            Func::Pool { .. } if function.ends_with("pool1d") => {
                sargs.pool_1d = true;
                sargs.ksize = steps(kwargs.get("ksize"))
                    .ok_or_else(|| fail("ksize", "an int or [k] / [1, k, 1]"))?;
                sargs.strides = steps(kwargs.get("strides"))
                    .ok_or_else(|| fail("strides", "an int or [s] / [1, s, 1]"))?;
                sargs.same = match kwargs.get("padding").and_then(Value::as_str) {
                    Some("SAME") => true,
                    Some("VALID") => false,
                    _ => return Err(fail("padding", "\"VALID\" or \"SAME\"")),
                };
                if let Some(f) = kwargs.get("data_format").and_then(Value::as_str) {
                    if f != "NWC" {
                        return Err(fail("data_format", "\"NWC\""));
                    }
                }
            }
            Func::Pool { .. } => {
                sargs.ksize = hw(kwargs.get("ksize"))
                    .ok_or_else(|| fail("ksize", "an int or [h, w] / [1, h, w, 1]"))?;
                sargs.strides = hw(kwargs.get("strides"))
                    .ok_or_else(|| fail("strides", "an int or [h, w] / [1, h, w, 1]"))?;
                sargs.same = match kwargs.get("padding").and_then(Value::as_str) {
                    Some("SAME") => true,
                    Some("VALID") => false,
                    _ => return Err(fail("padding", "\"VALID\" or \"SAME\"")),
                };
                nhwc()?;
            }
            Func::Resize if function.starts_with("compat.v1.") => {
                resize_size(&mut sargs)?;
                let v1 = V1Resize::from_tf(&function, kwargs).map_err(|(k, what)| fail(k, what))?;
                sargs.resize_method = Some(if v1.nearest {
                    super::super::preprocessing::Interpolation::Nearest
                } else {
                    super::super::preprocessing::Interpolation::Bilinear
                });
                sargs.resize_v1_corners = v1.corners;
            }
            Func::Resize if function == "image.resize_with_pad" => {
                let int = |k: &str| {
                    kwargs
                        .get(k)
                        .and_then(Value::as_u64)
                        .filter(|&n| n > 0)
                        .map(|n| n as usize)
                        .ok_or_else(|| fail(k, "a positive integer"))
                };
                sargs.size = [int("target_height")?, int("target_width")?];
                sargs.resize_fit = super::resize_fit::Fit::Pad;
                sargs.resize_method = Some(
                    super::super::preprocessing::Interpolation::from_name(
                        kwargs
                            .get("method")
                            .and_then(Value::as_str)
                            .unwrap_or("bilinear"),
                    )
                    .ok_or_else(|| fail("method", "a tf.image.resize method"))?,
                );
                if kwargs.get("antialias").and_then(Value::as_bool) == Some(true) {
                    sargs.resize_method = sargs.resize_method.map(|m| m.antialiased());
                }
            }
            Func::Resize => {
                resize_size(&mut sargs)?;
                // tf.image.resize's methods: bilinear, nearest and the
                // separable kernels Resizing computes too.
                let method = kwargs
                    .get("method")
                    .and_then(Value::as_str)
                    .unwrap_or("bilinear");
                sargs.resize_method = Some(
                    super::super::preprocessing::Interpolation::from_name(method).ok_or_else(
                        || {
                            fail(
                                "method",
                                "bilinear, nearest, bicubic, area, lanczos3, lanczos5, gaussian \
                                 or mitchellcubic",
                            )
                        },
                    )?,
                );
                if kwargs.get("antialias").and_then(Value::as_bool) == Some(true) {
                    sargs.resize_method = sargs.resize_method.map(|m| m.antialiased());
                }
                if kwargs.get("preserve_aspect_ratio").and_then(Value::as_bool) == Some(true) {
                    sargs.resize_fit = super::resize_fit::Fit::KeepAspect;
                }
            }
            Func::Shape(f) => {
                let ints = |k: &str| -> Option<Vec<i64>> {
                    match kwargs.get(k)? {
                        Value::Array(a) => a.iter().map(Value::as_i64).collect(),
                        v => v.as_i64().map(|i| vec![i]),
                    }
                };
                match f {
                    ShapeFn::ExpandDims | ShapeFn::Stack => {
                        // `tf.stack`'s axis defaults to 0 (and is then not
                        // in the call's kwargs).
                        let axis = match (f, kwargs.get("axis")) {
                            (ShapeFn::Stack, None | Some(Value::Null)) => Some(vec![0]),
                            _ => ints("axis"),
                        };
                        sargs.axes = Some(
                            axis.filter(|a| a.len() == 1)
                                .ok_or_else(|| fail("axis", "one integer"))?,
                        );
                    }
                    ShapeFn::Squeeze => sargs.axes = ints("axis"),
                    ShapeFn::Gather
                        if kwargs.get("indices").is_some_and(|i| {
                            crate::topology::kwarg_tensor(i).is_some()
                                // Nested lists: constant indices of rank 2 or more;
                                // a scalar index (rank 0: the axis is dropped).
                                || i.is_number()
                                || i.as_array()
                                    .is_some_and(|a| a.first().is_some_and(Value::is_array))
                        }) || kwargs
                            .get("batch_dims")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)
                            != 0 =>
                    {
                        // A tensor of indices, or constant ones with batch
                        // dimensions or of rank 2 or more: `keras3_ops/gather.rs`.
                        let int = |k: &str| match kwargs.get(k) {
                            None | Some(Value::Null) => Ok(None),
                            Some(v) => v.as_i64().map(Some).ok_or_else(|| fail(k, "an integer")),
                        };
                        let g = super::super::keras3_ops::Gather {
                            axis: int("axis")?,
                            batch_dims: int("batch_dims")?.unwrap_or(0),
                            wrap_negative: false,
                        };
                        match kwargs.get("indices") {
                            Some(i) if crate::topology::kwarg_tensor(i).is_some() => {
                                gather = Some(g)
                            }
                            i => {
                                let indices = i
                                    .and_then(constant_array)
                                    .filter(|t| t.len() <= 1 << 20)
                                    .ok_or_else(|| {
                                        fail("indices", "a tensor or a constant array of integers")
                                    })?;
                                gather_const = Some((g, std::sync::Arc::new(indices)));
                            }
                        }
                    }
                    ShapeFn::Gather => {
                        sargs.ints = ints("indices")
                            .filter(|i| !i.is_empty() && i.len() <= 1 << 20)
                            .ok_or_else(|| fail("indices", "a constant list of integers"))?;
                        sargs.axes = Some(vec![kwargs
                            .get("axis")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)]);
                    }
                    ShapeFn::Cumulative(_) => {
                        sargs.axes = Some(vec![kwargs
                            .get("axis")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)]);
                        sargs.exclusive =
                            kwargs.get("exclusive").and_then(Value::as_bool) == Some(true);
                        sargs.reverse =
                            kwargs.get("reverse").and_then(Value::as_bool) == Some(true);
                    }
                    ShapeFn::Reverse => {
                        sargs.axes = Some(
                            ints("axis")
                                .filter(|a| !a.is_empty())
                                .ok_or_else(|| fail("axis", "a list of axes"))?,
                        );
                    }
                    ShapeFn::OneHot => {
                        sargs.ints = ints("depth")
                            .filter(|d| d.len() == 1 && (1..=1 << 20).contains(&d[0]))
                            .ok_or_else(|| fail("depth", "a positive integer"))?;
                        // TensorFlow's OneHot kernel takes -1 (a new last
                        // axis) or a position in the output, from 0 on.
                        sargs.axes = Some(vec![match kwargs.get("axis") {
                            None | Some(Value::Null) => -1,
                            Some(a) => a
                                .as_i64()
                                .filter(|&a| a >= -1)
                                .ok_or_else(|| fail("axis", "-1 or a position from 0 on"))?,
                        }]);
                        sargs.on_off = [arg("on_value", 1.0)?, arg("off_value", 0.0)?];
                    }
                    ShapeFn::Crelu => {
                        sargs.axes = Some(vec![match kwargs.get("axis") {
                            None | Some(Value::Null) => -1,
                            Some(a) => a.as_i64().ok_or_else(|| fail("axis", "an integer"))?,
                        }]);
                    }
                    ShapeFn::SequenceMask => {
                        // Without `maxlen` the size is the largest length,
                        // known only at run time.
                        sargs.ints = ints("maxlen")
                            .filter(|d| d.len() == 1 && (0..=1 << 20).contains(&d[0]))
                            .ok_or_else(|| fail("maxlen", "a non-negative integer"))?;
                    }
                    ShapeFn::DepthToSpace | ShapeFn::SpaceToDepth => {
                        sargs.ints = ints("block_size")
                            .filter(|b| b.len() == 1 && (2..=1 << 10).contains(&b[0]))
                            .ok_or_else(|| fail("block_size", "an integer of at least 2"))?;
                        nhwc()?;
                    }
                    // Multiples read at run time: `dynamic.rs`.
                    ShapeFn::Tile if kwargs.get("multiples").is_some_and(dynamic::holds_tensor) => {
                    }
                    ShapeFn::Tile => {
                        sargs.ints = ints("multiples")
                            .filter(|m| m.iter().all(|&x| (1..=1 << 20).contains(&x)))
                            .ok_or_else(|| fail("multiples", "a list of positive integers"))?;
                    }
                    ShapeFn::Unstack => {
                        sargs.axes = Some(vec![kwargs
                            .get("axis")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)]);
                    }
                    ShapeFn::Split => {
                        sargs.ints = ints("num_or_size_splits")
                            .filter(|m| !m.is_empty() && m.iter().all(|&x| x >= -1))
                            .ok_or_else(|| {
                                fail("num_or_size_splits", "a count or a list of sizes")
                            })?;
                        sargs.axes = Some(vec![kwargs
                            .get("axis")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)]);
                    }
                    // Widths computed at run time: `dynamic::Dynamic::Pad`.
                    ShapeFn::Pad if kwargs.get("paddings").is_some_and(dynamic::holds_tensor) => {}
                    ShapeFn::Pad => {
                        sargs.paddings = kwargs
                            .get("paddings")
                            .and_then(Value::as_array)
                            .and_then(|rows| {
                                rows.iter()
                                    .map(|r| {
                                        let r = r.as_array()?;
                                        let (a, b) = (r.first()?.as_u64()?, r.get(1)?.as_u64()?);
                                        (r.len() == 2 && a <= 1 << 20 && b <= 1 << 20)
                                            .then_some([a as usize, b as usize])
                                    })
                                    .collect::<Option<Vec<_>>>()
                            })
                            .ok_or_else(|| fail("paddings", "[[before, after], …] per axis"))?;
                        let mode = kwargs.get("mode").and_then(Value::as_str);
                        sargs.pad_mode = PadMode::parse(
                            mode.unwrap_or("CONSTANT"),
                            arg("constant_values", 0.0)?,
                        )
                        .filter(|m| *m != PadMode::Edge)
                        .ok_or_else(|| {
                            fail("mode", "\"CONSTANT\", \"REFLECT\" or \"SYMMETRIC\"")
                        })?;
                    }
                }
            }
            _ => {}
        }
        let dynamic = dynamic::Dynamic::parse(&function, kwargs)
            .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?;
        if dynamic.is_none()
            && !matches!(function.as_str(), "math.polyval" | "searchsorted")
            && kwargs.contains_key(crate::topology::FIRST_ARG_KWARG)
        {
            return Err(c.err(
                "function",
                format!("tf.{function}: a list argument mixing tensors and constants is supported for tf.ones, tf.zeros and tf.fill only"),
            ));
        }
        if dynamic.is_some() {
            func = Func::Dynamic;
        }
        if gather.is_some() || gather_const.is_some() {
            func = Func::Op;
        }
        let inner = match (&func, function.as_str()) {
            (Func::Op, _) if gather.is_some() => gather.map(super::super::keras3_ops::Kind::Gather),
            (Func::Op, _) if gather_const.is_some() => gather_const
                .map(|(g, indices)| super::super::keras3_ops::Kind::GatherConst(g, indices)),
            (Func::Op, "nn.embedding_lookup" | "compat.v1.nn.embedding_lookup") => {
                // `embedding_lookup(params, ids)`: one constant table (a
                // list of shards is not supported), ids a tensor.
                if !kwargs.get("max_norm").is_none_or(Value::is_null) {
                    return Err(fail("max_norm", "None (no clipping of the rows)"));
                }
                if kwargs
                    .get("ids")
                    .is_none_or(|i| crate::topology::kwarg_tensor(i).is_none())
                {
                    return Err(fail("ids", "a tensor"));
                }
                let table = kwargs
                    .get("_CONSTANT_VALUE")
                    .and_then(constant_array)
                    .filter(|t| t.rank() >= 1)
                    .ok_or_else(|| fail("params", "one constant table (an array of rows)"))?;
                Some(super::super::keras3_ops::Kind::GatherTable(
                    super::super::keras3_ops::Gather {
                        axis: Some(0),
                        batch_dims: 0,
                        wrap_negative: false,
                    },
                    std::sync::Arc::new(table),
                ))
            }
            (Func::Op, "math.polyval") => {
                // `polyval(coeffs, x)`: the coefficients a list of numbers
                // (the list argument), `x` a tensor.
                if kwargs
                    .get("x")
                    .is_none_or(|x| crate::topology::kwarg_tensor(x).is_none())
                {
                    return Err(fail("x", "a tensor"));
                }
                let coeffs = kwargs
                    .get(crate::topology::FIRST_ARG_KWARG)
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().map(number).collect::<Option<Vec<f32>>>())
                    .ok_or_else(|| fail("coeffs", "a list of constant numbers"))?;
                Some(super::super::keras3_ops::Kind::Polyval(coeffs.into()))
            }
            (Func::Op, "reshape" | "compat.v1.reshape") => {
                let shape = match kwargs.get("shape") {
                    Some(Value::Array(a)) => {
                        a.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>()
                    }
                    _ => None,
                }
                .filter(|s| {
                    s.iter().filter(|&&d| d == -1).count() <= 1 && s.iter().all(|&d| d >= -1)
                })
                .ok_or_else(|| fail("shape", "a list of sizes with at most one -1"))?;
                Some(super::super::keras3_ops::Kind::Reshape(shape))
            }
            (Func::Op, "transpose" | "compat.v1.transpose") => {
                let perm = match kwargs.get("perm").or_else(|| kwargs.get("a")) {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(a)) => Some(
                        a.iter()
                            .map(|x| x.as_u64().map(|u| u as usize))
                            .collect::<Option<Vec<usize>>>()
                            .ok_or_else(|| fail("perm", "a list of axes"))?,
                    ),
                    Some(_) => return Err(fail("perm", "a list of axes")),
                };
                if kwargs.get("conjugate").and_then(Value::as_bool) == Some(true) {
                    return Err(fail("conjugate", "false"));
                }
                Some(super::super::keras3_ops::Kind::Transpose(perm))
            }
            (Func::Op, "roll" | "manip.roll") => {
                let ints = |k: &str| -> Option<Vec<i64>> {
                    match kwargs.get(k)? {
                        Value::Array(a) => a.iter().map(Value::as_i64).collect(),
                        v => v.as_i64().map(|i| vec![i]),
                    }
                };
                let shift = ints("shift").ok_or_else(|| fail("shift", "integers"))?;
                let axis = ints("axis")
                    .filter(|a| a.len() == shift.len())
                    .ok_or_else(|| fail("axis", "one axis per shift"))?;
                Some(super::super::keras3_ops::Kind::Shape(
                    super::super::keras3_ops::ShapeOp::Roll(shift, Some(axis)),
                ))
            }
            (Func::Op, "slice") => {
                let ints = |k: &str| -> Option<Vec<i64>> {
                    kwargs
                        .get(k)?
                        .as_array()?
                        .iter()
                        .map(Value::as_i64)
                        .collect()
                };
                let key = ints("begin")
                    .zip(ints("size"))
                    .and_then(|(b, n)| super::super::keras3_ops::slice_key(&b, &n))
                    .ok_or_else(|| {
                        fail(
                            "begin",
                            "constant non-negative begin indices and one size (or -1) each",
                        )
                    })?;
                Some(super::super::keras3_ops::Kind::GetItem(key))
            }
            (Func::Op, "repeat") => Some(super::super::keras3_ops::Kind::Repeat(
                super::super::keras3_ops::Repeat::from_tf(kwargs)
                    .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?,
            )),
            (Func::Op, "linalg.matmul" | "matmul") => {
                let flag = |k: &str| kwargs.get(k).and_then(Value::as_bool) == Some(true);
                // Real tensors: an adjoint is the transpose.
                let (transpose_a, transpose_b) = (
                    flag("transpose_a") || flag("adjoint_a"),
                    flag("transpose_b") || flag("adjoint_b"),
                );
                let constant_a = kwargs.get("_CONSTANT_VALUE");
                match kwargs.get("b") {
                    // `tf.matmul(a, x)` of a constant matrix `a` (a graph's
                    // adjacency times node features): batched over the
                    // tensor's leading axes, as TensorFlow broadcasts them
                    // (the Keras 3 `ops.matmul` form's einsum).
                    Some(b)
                        if constant_a.is_some() && crate::topology::kwarg_tensor(b).is_some() =>
                    {
                        let a = constant_a
                            .and_then(constant_array)
                            .filter(|t| t.rank() == 2)
                            .ok_or_else(|| fail("a", "a tensor or a constant 2-D matrix"))?;
                        let equation = match (transpose_a, transpose_b) {
                            (false, false) => "ij,...jk->...ik",
                            (true, false) => "ji,...jk->...ik",
                            (false, true) => "ij,...kj->...ik",
                            (true, true) => "ji,...kj->...ik",
                        };
                        Some(super::super::keras3_ops::Kind::Einsum(
                            super::super::keras3_ops::parse_einsum(equation)
                                .expect("a valid equation"),
                            vec![
                                super::super::keras3_ops::Operand::Const(std::sync::Arc::new(a)),
                                super::super::keras3_ops::Operand::Input(0),
                            ],
                        ))
                    }
                    Some(b) if crate::topology::kwarg_tensor(b).is_some() => {
                        Some(super::super::keras3_ops::Kind::Matmul {
                            transpose_a,
                            transpose_b,
                        })
                    }
                    b => {
                        // A constant matrix: `keras3_ops/tensordot.rs`.
                        let w = b
                            .and_then(constant_array)
                            .map(|t| {
                                super::super::keras3_ops::Operand::Const(std::sync::Arc::new(t))
                            })
                            .ok_or_else(|| fail("b", "a tensor or a constant matrix"))?;
                        let x = super::super::keras3_ops::Operand::Input(0);
                        Some(super::super::keras3_ops::Kind::Tensordot(
                            super::super::keras3_ops::Tensordot::matmul_constant(
                                &x,
                                &w,
                                transpose_a,
                                transpose_b,
                            )
                            .ok_or_else(|| fail("b", "a tensor or a constant 2-D matrix"))?,
                        ))
                    }
                }
            }
            // YUV / YIQ conversions: the channel axis times a constant
            // 3x3 kernel (`keras3_ops/image.rs`).
            (Func::Op, f) if super::super::keras3_ops::color_kernel(f).is_some() => {
                let k = super::super::keras3_ops::color_kernel(f).expect("checked above");
                let w = Tensor::from_f32(vec![3, 3], k.to_vec())?;
                let w = super::super::keras3_ops::Operand::Const(std::sync::Arc::new(w));
                let x = super::super::keras3_ops::Operand::Input(0);
                Some(super::super::keras3_ops::Kind::Tensordot(
                    super::super::keras3_ops::Tensordot::matmul_constant(&x, &w, false, false)
                        .expect("a rank-2 constant"),
                ))
            }
            (Func::Op, _) if ord_norm.is_some() => {
                ord_norm.map(super::super::keras3_ops::Kind::OrdNorm)
            }
            (Func::Op, f) if super::super::keras3_ops::NumericOp::from_tf(f, kwargs).is_some() => {
                let op = super::super::keras3_ops::NumericOp::from_tf(f, kwargs)
                    .expect("checked above")
                    .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?;
                Some(super::super::keras3_ops::Kind::Numeric(op))
            }
            (Func::Op, f) if super::super::keras3_ops::StatOp::from_tf(f, kwargs).is_some() => {
                let op = super::super::keras3_ops::StatOp::from_tf(f, kwargs)
                    .expect("checked above")
                    .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?;
                Some(super::super::keras3_ops::Kind::Stat(op))
            }
            (Func::Op, f) if super::super::keras3_ops::ImageOp::from_tf(f, kwargs).is_some() => {
                let op = super::super::keras3_ops::ImageOp::from_tf(f, kwargs)
                    .expect("checked above")
                    .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?;
                Some(super::super::keras3_ops::Kind::Image(op))
            }
            (Func::Op, "tensordot" | "linalg.tensordot") => {
                Some(super::super::keras3_ops::Kind::Tensordot(
                    super::super::keras3_ops::Tensordot::from_tf(kwargs)
                        .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?,
                ))
            }
            (Func::Op, "image.crop_and_resize") => {
                Some(super::super::keras3_ops::Kind::CropResize(
                    super::super::keras3_ops::CropResize::from_tf(kwargs)
                        .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?,
                ))
            }
            (Func::Op, "image.combined_non_max_suppression") => {
                Some(super::super::keras3_ops::Kind::CombinedNms(
                    super::super::keras3_ops::CombinedNmsOp::from_tf(kwargs)
                        .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?,
                ))
            }
            (Func::Op, "linalg.cross") => Some(super::super::keras3_ops::Kind::Cross(
                super::super::keras3_ops::Cross::from_tf(kwargs)
                    .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?,
            )),
            (Func::Op, "signal.frame") => Some(super::super::keras3_ops::Kind::Frame(
                super::super::keras3_ops::Frame::from_tf(kwargs)
                    .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?,
            )),
            // Width is the second-last axis of [batch, height, width, channels].
            (Func::Op, "image.flip_left_right" | "image.flip_up_down") => {
                let axis = if function == "image.flip_left_right" {
                    -2
                } else {
                    -3
                };
                Some(super::super::keras3_ops::Kind::Shape(
                    super::super::keras3_ops::ShapeOp::Flip(Some(vec![axis])),
                ))
            }
            // `[batch, height, width, channels]` → `[batch, width, height,
            // channels]`.
            (Func::Op, "image.transpose") => {
                Some(super::super::keras3_ops::Kind::Transpose(Some(vec![
                    0, 2, 1, 3,
                ])))
            }
            // The one channel repeated three times (`tf.tile` by
            // [1, …, 1, 3]).
            (Func::Op, "image.grayscale_to_rgb") => Some(super::super::keras3_ops::Kind::Shape(
                super::super::keras3_ops::ShapeOp::Tile(vec![3]),
            )),
            (Func::Op, f) if super::super::keras3_ops::ExtraOp::from_tf(f, kwargs).is_some() => {
                let op = super::super::keras3_ops::ExtraOp::from_tf(f, kwargs)
                    .expect("checked above")
                    .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?;
                Some(super::super::keras3_ops::Kind::Extra(op))
            }
            (Func::Op, _) => {
                let key = kwargs
                    .get("slice_spec")
                    .and_then(super::super::keras3_ops::parse_key)
                    .ok_or_else(|| {
                        fail(
                            "slice_spec",
                            "integers, slices, tf.newaxis and one Ellipsis",
                        )
                    })?;
                Some(super::super::keras3_ops::Kind::GetItem(key))
            }
            _ => None,
        }
        .map(|k| super::super::keras3_ops::Operation::with_kind("tf function", c.name(), k));
        // `tf.nn.embedding_lookup`'s table, `tf.searchsorted`'s sequence
        // and `tf.matmul`'s constant matrix are their constant first
        // argument, read into `inner`.
        let table_lookup = matches!(
            function.as_str(),
            "nn.embedding_lookup" | "compat.v1.nn.embedding_lookup" | "searchsorted"
        ) || (matches!(function.as_str(), "linalg.matmul" | "matmul")
            && inner.is_some());
        let x_const = match kwargs.get("_CONSTANT_VALUE") {
            _ if table_lookup => None,
            None => None,
            Some(v) => Some(match number(v) {
                Some(n) => Arg::Scalar(n),
                None => Arg::Const(constant_array(v).ok_or_else(|| {
                    c.err(
                        "function",
                        format!(
                            "tf.{function}: the constant first argument must be a number or an array of numbers, got {}",
                            short(v)
                        ),
                    )
                })?),
            }),
        };
        if x_const.is_some()
            && dynamic.is_none()
            && !table_lookup
            && !matches!(y, Some(Arg::Tensor(_)))
        {
            return Err(c.err(
                "function",
                format!("tf.{function}: a constant first argument needs a tensor `y`"),
            ));
        }
        if matches!(func, Func::Where) && (x.is_none() || y.is_none()) {
            return Err(c.err(
                "function",
                "tf.where needs both x and y (the one-argument form returns indices, whose count depends on the data)",
            ));
        }
        if matches!(func, Func::Binary(_)) && y.is_none() {
            return Err(c.err(
                "function",
                format!("tf.{function} needs a second operand `y` in the call's kwargs"),
            ));
        }
        let structured = match func {
            Func::Structured => Some(
                structured::Op::from_tf(&function, kwargs)
                    .map_err(|e| c.err("function", format!("tf.{function}: {e}")))?,
            ),
            _ => None,
        };
        Ok(TfOpLambda {
            class,
            base: Base::parse(c)?,
            function: saved,
            func,
            y,
            x,
            tensor_kwargs,
            x_const,
            args: sargs,
            inner,
            dynamic,
            structured,
            pre_pad,
        })
    }
}

/// A [`PrePad`] and the keyword arguments the function then runs with.
type Padded = (PrePad, Map<String, Value>);

/// The zero padding (`-inf` for a max pooling, whose padded cells never
/// win) of a convolution or max pooling given explicit `padding`
/// (`[[0, 0], [top, bottom], [left, right], [0, 0]]`, NHWC), and its
/// keyword arguments with `"VALID"` padding; `None` for string padding and
/// other functions.
fn explicit_padding(
    function: &str,
    kwargs: &Map<String, Value>,
) -> std::result::Result<Option<Padded>, String> {
    let fill = match function {
        "nn.conv2d"
        | "compat.v1.nn.conv2d"
        | "nn.depthwise_conv2d"
        | "compat.v1.nn.depthwise_conv2d" => 0.0,
        "nn.max_pool2d" | "nn.max_pool" | "compat.v1.nn.max_pool" => f32::NEG_INFINITY,
        _ => return Ok(None),
    };
    let Some(Value::Array(rows)) = kwargs.get("padding") else {
        return Ok(None);
    };
    if kwargs
        .get("data_format")
        .and_then(Value::as_str)
        .is_some_and(|f| f != "NHWC")
    {
        return Err("explicit padding: only NHWC is supported".into());
    }
    let pads: Option<Vec<[usize; 2]>> = rows
        .iter()
        .map(|r| {
            let r = r.as_array().filter(|r| r.len() == 2)?;
            let (a, b) = (r[0].as_u64()?, r[1].as_u64()?);
            (a <= 1 << 16 && b <= 1 << 16).then_some([a as usize, b as usize])
        })
        .collect();
    let pads = pads
        .filter(|p| p.len() == 4 && p[0] == [0, 0] && p[3] == [0, 0])
        .ok_or_else(|| {
            format!(
                "padding {}: expected [[0, 0], [top, bottom], [left, right], [0, 0]]",
                short(&Value::Array(rows.clone()))
            )
        })?;
    let mut k = kwargs.clone();
    k.insert("padding".into(), Value::from("VALID"));
    Ok(Some((PrePad { pads, fill }, k)))
}

/// TF 1's resize functions (`tf.compat.v1.image.resize` / `resize_images`,
/// `resize_bilinear`, `resize_nearest_neighbor`): bilinear or nearest,
/// sampling corner-aligned (`align_corners`) or from the top-left corner,
/// unless `half_pixel_centers` (then as TF 2's `tf.image.resize`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct V1Resize {
    pub(crate) nearest: bool,
    /// `Some(align_corners)`: TF 1's sampling; `None`: half-pixel centers.
    pub(crate) corners: Option<bool>,
}

impl V1Resize {
    /// From the call's keyword arguments; an error names the argument and
    /// what it must be.
    pub(crate) fn from_tf(
        function: &str,
        kwargs: &Map<String, Value>,
    ) -> std::result::Result<V1Resize, (&'static str, &'static str)> {
        let nearest = match function {
            "compat.v1.image.resize_bilinear" => false,
            "compat.v1.image.resize_nearest_neighbor" => true,
            // `ResizeMethodV1`: BILINEAR = 0, NEAREST_NEIGHBOR = 1.
            _ => match kwargs.get("method") {
                None | Some(Value::Null) => false,
                Some(m) if m == "bilinear" || m.as_i64() == Some(0) => false,
                Some(m) if m == "nearest" || m.as_i64() == Some(1) => true,
                Some(_) => return Err(("method", "bilinear or nearest")),
            },
        };
        let flag = |k: &'static str| match kwargs.get(k) {
            None | Some(Value::Null) => Ok(false),
            Some(v) => v.as_bool().ok_or((k, "a boolean")),
        };
        let align_corners = flag("align_corners")?;
        let half_pixel = flag("half_pixel_centers")?;
        if align_corners && half_pixel {
            return Err(("half_pixel_centers", "false with align_corners"));
        }
        if flag("preserve_aspect_ratio")? {
            return Err(("preserve_aspect_ratio", "false"));
        }
        Ok(V1Resize {
            nearest,
            corners: (!half_pixel).then_some(align_corners),
        })
    }
}

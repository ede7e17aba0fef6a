//! Reading a Keras 3 operation node: its class, config and positional
//! arguments (tensors, scalars, constant arrays) into the computation the
//! engine runs.

use super::*;

impl Operation {
    /// An operation outside a Keras 3 node (a Keras 2 `TFOpLambda`
    /// function with the same math): `op` names it in errors.
    pub(crate) fn with_kind(op: &'static str, name: &str, kind: Kind) -> Operation {
        Operation {
            op,
            class: op.to_string(),
            base_name: name.to_string(),
            config: Map::new(),
            kind,
        }
    }

    pub(super) fn from_config(
        op: &'static str,
        c: &ConfigReader<'_>,
        ctx: &BuildContext<'_>,
    ) -> Result<Self> {
        let name = c.name().to_string();
        let empty = Vec::new();
        let args = ctx
            .call_kwargs
            .and_then(|k| k.get("_args"))
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        // Tensors are the inputs in argument order; numbers are scalars.
        let mut next = 0;
        let mut operands = Vec::new();
        for a in args {
            if crate::topology::kwarg_tensor(a).is_some() {
                operands.push(Operand::Input(next));
                next += 1;
            } else if let Some(f) = a.as_f64() {
                operands.push(Operand::Scalar(f as f32));
            } else if let Some(b) = a.as_bool() {
                operands.push(Operand::Scalar(if b { 1.0 } else { 0.0 }));
            } else if let Some(t) = constant_operand(a) {
                operands.push(Operand::Const(std::sync::Arc::new(t)));
            }
        }
        let bad = |msg: String| c.err("args", format!("operation {op}: {msg}"));
        let decimals = if op == "Round" {
            c.i64_or("decimals", 0)?
        } else {
            0
        };
        let kind = if decimals != 0 {
            if decimals.abs() > 30 {
                return Err(c.err("decimals", "expected -30 to 30 decimals"));
            }
            Kind::RoundTo(10f64.powi(decimals as i32) as f32)
        } else if let Some(f) = binary(op) {
            match operands.as_slice() {
                [a, b] => Kind::Binary(f, a.clone(), b.clone()),
                [] => Kind::Binary(f, Operand::Input(0), Operand::Input(1)),
                other => return Err(bad(format!("expected two operands, got {}", other.len()))),
            }
        } else if let Some(f) = unary(op) {
            Kind::Unary(f)
        } else if op == "Gelu" {
            let approx = c.bool_or("approximate", true)?;
            Kind::Act(if approx {
                Activation::GeluNew
            } else {
                Activation::Gelu
            })
        } else if (op == "Softmax" || op == "LogSoftmax")
            && c.get("axis").is_some_and(Value::is_array)
        {
            return Err(c.err(
                "axis",
                "a softmax over several axes is not supported (Keras 3.15's TensorFlow backend \
                 cannot run it either: tf.nn.softmax takes one axis)",
            ));
        } else if op == "Softmax" || op == "LogSoftmax" || op == "Sparsemax" {
            Kind::Softmax {
                how: match op {
                    "Softmax" => Activation::Softmax,
                    "LogSoftmax" => Activation::LogSoftmax,
                    _ => Activation::Sparsemax,
                },
                axis: c.i64_or("axis", -1)?,
            }
        } else if op == "Squareplus" && c.f64_opt("b")?.is_some_and(|b| b != 4.0) {
            // `(x + sqrt(x² + b)) / 2` with its own `b`.
            Kind::Squareplus(c.f64_opt("b")?.unwrap_or(4.0) as f32)
        } else if let Some((act, key, default)) = match op {
            "Celu" => Some((Activation::Celu, "alpha", 1.0)),
            "SoftShrink" => Some((Activation::SoftShrink, "threshold", 0.5)),
            "HardShrink" => Some((Activation::HardShrink, "threshold", 0.5)),
            "Squareplus" => Some((Activation::Squareplus, "b", 4.0)),
            _ => None,
        } {
            // The activations with their default parameter.
            match c.f64_opt(key)? {
                // Their own parameter (`keras3_ops/more_ops.rs`).
                Some(v) if v != default => {
                    Kind::More(more_ops::MoreOp::param_act(op, v as f32).ok_or_else(|| {
                        c.err(key, format!("only the default {default} is supported"))
                    })?)
                }
                _ => Kind::Act(act),
            }
        } else if op == "Glu" {
            Kind::Glu(c.i64_or("axis", -1)?)
        } else if op == "Normalize" && c.f64_opt("order")?.is_some_and(|o| o != 2.0) {
            // Keras: `x / maximum(norm(x, ord=order, axis, keepdims=True),
            // epsilon)` for an integer order of 1 or more.
            let order = c
                .get("order")
                .filter(|o| o.as_u64().is_some_and(|o| o >= 1));
            let order = order.ok_or_else(|| c.err("order", "expected an integer of 1 or more"))?;
            let axis = c.get("axis").cloned().unwrap_or(Value::from(-1));
            Kind::OrdNormalize(
                OrdNorm::parse(order, Some(&axis), true).map_err(|(f, why)| c.err(f, why))?,
                c.f64_opt("epsilon")?.unwrap_or(1e-7) as f32,
            )
        } else if op == "Normalize" {
            Kind::Normalize {
                axis: c.i64_or("axis", -1)?,
                // Keras's backend.epsilon().
                epsilon: c.f64_opt("epsilon")?.unwrap_or(1e-7) as f32,
            }
        } else if op == "NanToNum" {
            let v = |k: &str, d: f32| -> Result<f32> { Ok(c.f64_opt(k)?.map_or(d, |v| v as f32)) };
            Kind::NanToNum([
                v("nan", 0.0)?,
                v("posinf", f32::MAX)?,
                v("neginf", f32::MIN)?,
            ])
        } else if op == "MaxPool" || op == "AveragePool" {
            if c.str_or("data_format", "channels_last")? != "channels_last" {
                return Err(c.err("data_format", "only channels_last is supported"));
            }
            let pair = |k: &str| -> Result<Option<[usize; 2]>> {
                Ok(match c.get(k) {
                    None => None,
                    Some(v) => Some(match int_list(Some(v)).as_deref() {
                        Some(&[n]) if n > 0 => [n as usize; 2],
                        Some(&[a, b]) if a > 0 && b > 0 => [a as usize, b as usize],
                        _ => return Err(c.err(k, "expected one or two positive integers")),
                    }),
                })
            };
            let window = pair("pool_size")?.ok_or_else(|| c.err("pool_size", "is required"))?;
            let padding = match c.str_or("padding", "valid")? {
                "valid" => tfjs_kernels::Padding::Valid,
                "same" => tfjs_kernels::Padding::Same,
                other => return Err(c.err("padding", format!("\"{other}\": valid or same"))),
            };
            Kind::Pool {
                max: op == "MaxPool",
                window,
                strides: pair("strides")?.unwrap_or(window),
                padding,
            }
        } else if op == "Elu" {
            // Keras's TensorFlow backend: `tf.nn.elu(x)`, its negative part
            // scaled by `alpha` when that is not 1.
            Kind::Elu(c.f64_opt("alpha")?.unwrap_or(1.0) as f32)
        } else if op == "LeakyRelu" {
            Kind::LeakyRelu(c.f64_opt("negative_slope")?.unwrap_or(0.2) as f32)
        } else if op == "Repeat" {
            Kind::Repeat(Repeat::from_config(c)?)
        } else if let Some(shape_op) = ShapeOp::from_config(op, c, ctx.call_kwargs) {
            Kind::Shape(shape_op?)
        } else if let Some(extra) = ExtraOp::from_config(op, c) {
            Kind::Extra(extra?)
        } else if let Some(image) = ImageOp::from_config(op, c) {
            Kind::Image(image?)
        } else if let Some(n) = NumericOp::from_config(op, c, args) {
            Kind::Numeric(n?)
        } else if let Some(stat) = StatOp::from_config(op, c, args) {
            Kind::Stat(stat?)
        } else if let Some(more) = more_ops::MoreOp::from_config(op, c, &operands) {
            Kind::More(more?)
        } else if let Some(w) = (op == "Average")
            .then(|| ctx.call_kwargs.and_then(|k| k.get("weights")))
            .flatten()
            .filter(|w| !w.is_null())
        {
            let weights = constant_operand(w).ok_or_else(|| {
                c.err(
                    "weights",
                    "average's weights must be a constant array (a tensor of weights is not supported)",
                )
            })?;
            let axis = match c.get("axis") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_i64()
                        .ok_or_else(|| c.err("axis", "expected an integer or null"))?,
                ),
            };
            Kind::WeightedAverage {
                axis,
                weights: std::sync::Arc::new(weights),
            }
        } else if let Some(n) = norm_ord::OrdNorm::from_config(op, c) {
            Kind::OrdNorm(n?)
        } else if let Some(how) = reduction(op) {
            let axes = axes_of(c.get("axis"))
                .ok_or_else(|| c.err("axis", "expected an integer, a list of integers or null"))?;
            let initial = match (how, c.get("initial")) {
                (_, None | Some(Value::Null)) => None,
                (Reduce::Max | Reduce::Min, Some(v)) => Some(
                    v.as_f64()
                        .ok_or_else(|| c.err("initial", "expected a number or null"))?
                        as f32,
                ),
                (_, Some(_)) => return Err(c.err("initial", "only max and min take one")),
            };
            Kind::Reduce {
                how,
                axes,
                keepdims: c.bool_or("keepdims", false)?,
                initial,
            }
        } else if op == "Transpose" {
            let axes = match c.get("axes") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_array()
                        .and_then(|a| {
                            a.iter()
                                .map(|x| x.as_u64().map(|u| u as usize))
                                .collect::<Option<Vec<usize>>>()
                        })
                        .ok_or_else(|| c.err("axes", "expected a list of axes"))?,
                ),
            };
            Kind::Transpose(axes)
        } else if op == "Reshape" {
            let v = c.get("newshape").or_else(|| c.get("new_shape"));
            let shape = v
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>())
                .ok_or_else(|| c.err("newshape", "expected a list of integers"))?;
            if shape.iter().filter(|&&d| d == -1).count() > 1 || shape.iter().any(|&d| d < -1) {
                return Err(c.err(
                    "newshape",
                    format!("{shape:?}: at most one -1 and no other negative size"),
                ));
            }
            Kind::Reshape(shape)
        } else if op == "Concatenate" {
            Kind::Concatenate(c.i64_or("axis", 0)?)
        } else if let Some(axis) = match op {
            // numpy's stacks of a list (Keras's TensorFlow backend): along
            // axis 1 (rank 2 and up), 0, 2 (rank 3 and up).
            "Hstack" => Some(1),
            "Vstack" => Some(0),
            "Dstack" => Some(2),
            _ => None,
        } {
            Kind::Concatenate(axis)
        } else if op == "Append" {
            match c.get("axis") {
                None | Some(Value::Null) => {
                    return Err(c.err(
                        "axis",
                        "append without an axis (both operands flattened) is not supported",
                    ))
                }
                Some(_) => Kind::Concatenate(c.i64_or("axis", 0)?),
            }
        } else if op == "Ravel" {
            // The whole tensor, batch included, flattened.
            Kind::Reshape(vec![-1])
        } else if op == "DotProductAttention" {
            let inputs = operands
                .iter()
                .filter(|o| matches!(o, Operand::Input(_)))
                .count();
            Kind::DotAttention(dot_attention::DotAttention::from_config(
                c,
                ctx.call_kwargs.and_then(Value::as_object),
                inputs,
            )?)
        } else if let Some(product) = tensordot::Tensordot::numpy(op, &operands) {
            Kind::Tensordot(product.map_err(bad)?)
        } else if op == "Cross" {
            Kind::Cross(Cross::from_config(c, &operands)?)
        } else if let Some(n) = norm::NormOp::from_config(op, c, args, ctx.call_kwargs) {
            Kind::Norm(n?)
        } else if op == "BatchNorm" {
            Kind::BatchNorm(batch_norm::BatchNormOp::from_config(
                c,
                args,
                ctx.call_kwargs,
            )?)
        } else if op == "Digitize" {
            let bins = args
                .get(1)
                .filter(|a| crate::topology::kwarg_tensor(a).is_none())
                .map(|a| a.pointer("/config/value").unwrap_or(a))
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
                .ok_or_else(|| bad("bins: expected a constant 1-D array of numbers".into()))?;
            if bins.iter().any(|b| b.is_nan()) || bins.windows(2).any(|w| w[0] > w[1]) {
                return Err(bad("bins must rise".into()));
            }
            Kind::Digitize(bins.into())
        } else if op == "Tensordot" {
            Kind::Tensordot(tensordot::Tensordot::from_config(c, &operands)?)
        } else if op == "Matmul" {
            match operands.as_slice() {
                [x, w @ Operand::Const(_)] => Kind::Tensordot(
                    tensordot::Tensordot::matmul_constant(x, w, false, false).ok_or_else(|| {
                        bad("a tensor times a constant is supported for a 2-D constant only".into())
                    })?,
                ),
                // A constant matrix times a tensor (a graph's adjacency times
                // node features): batched over the tensor's leading axes, as
                // tf.matmul broadcasts them.
                [Operand::Const(w), _] if w.rank() == 2 => Kind::Einsum(
                    parse_einsum("ij,...jk->...ik")
                        .ok_or_else(|| bad("the matmul equation did not parse".into()))?,
                    operands.clone(),
                ),
                [Operand::Const(_), _] => {
                    return Err(bad(
                        "a constant times a tensor is supported for a 2-D constant only".into(),
                    ))
                }
                _ => Kind::Matmul {
                    transpose_a: false,
                    transpose_b: false,
                },
            }
        } else if op == "GetItem" {
            let key = args
                .get(1)
                .and_then(parse_key)
                .ok_or_else(|| bad("expected a key of integers and slices".into()))?;
            Kind::GetItem(key)
        } else if op == "Slice" {
            // `ops.slice(x, start_indices, shape)`: `tf.slice`, batch axis
            // included; a size of -1 runs to the end of the axis.
            let ints = |v: Option<&Value>| {
                v.map(|a| a.pointer("/config/value").unwrap_or(a))
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>())
            };
            let start = ints(args.get(1))
                .filter(|s| s.iter().all(|&i| i >= 0))
                .ok_or_else(|| bad("expected constant non-negative start indices".into()))?;
            let size = ints(c.get("shape")).unwrap_or_default();
            Kind::GetItem(
                slice_key(&start, &size)
                    .ok_or_else(|| c.err("shape", "expected one size (or -1) per start index"))?,
            )
        } else if op == "ExpandDims" {
            let axis = match c.get("axis") {
                Some(Value::Array(a)) if a.len() == 1 => a[0].as_i64(),
                Some(v) => v.as_i64(),
                None => None,
            };
            Kind::ExpandDims(axis.ok_or_else(|| c.err("axis", "expected one integer axis"))?)
        } else if matches!(op, "ZerosLike" | "OnesLike" | "EmptyLike") {
            // `empty_like` is `tf.zeros_like` in Keras's TensorFlow backend.
            Kind::Fill(if op == "OnesLike" { 1.0 } else { 0.0 })
        } else if op == "FullLike" {
            let fill = match operands.as_slice() {
                [_, Operand::Scalar(v)] => Some(*v),
                _ => c.f64_opt("fill_value")?.map(|v| v as f32),
            };
            let fill =
                fill.ok_or_else(|| bad("expected a tensor and a number to fill it with".into()))?;
            // `full_like(x, 2.7, dtype="int32")` fills with 2.
            let cast = c
                .get("dtype")
                .and_then(Value::as_str)
                .and_then(more_ops::int_cast);
            Kind::Fill(cast.map_or(fill, |f| f(fill)))
        } else if op == "Where" {
            match operands.as_slice() {
                [c, x, y] => Kind::Where(c.clone(), x.clone(), y.clone()),
                _ => {
                    return Err(bad(
                        "expected condition, x and y (the one-argument form returns indices, \
                         whose count depends on the data)"
                            .into(),
                    ))
                }
            }
        } else if op == "Clip" {
            let bound =
                |k: &str, d: f32| -> Result<f32> { Ok(c.f64_opt(k)?.map_or(d, |v| v as f32)) };
            Kind::Clip(
                bound("x_min", f32::NEG_INFINITY)?,
                bound("x_max", f32::INFINITY)?,
            )
        } else if op == "Cumsum" || op == "Cumprod" {
            let axis = match c.get("axis") {
                None => {
                    return Err(c.err(
                        "axis",
                        "a running total over the flattened input (axis None) is not supported",
                    ))
                }
                Some(v) => v
                    .as_i64()
                    .ok_or_else(|| c.err("axis", "expected an integer"))?,
            };
            let running = if op == "Cumsum" {
                Running::Sum
            } else {
                Running::Product
            };
            // An integer `dtype` casts the values first (Keras's TensorFlow
            // backend: `convert_to_tensor(x, dtype)`, truncating) and keeps
            // the totals in it.
            match c
                .get("dtype")
                .and_then(Value::as_str)
                .and_then(more_ops::IntRunning::of)
            {
                Some(int) => Kind::More(more_ops::MoreOp::CastCumulative(int, running, axis)),
                None => Kind::Cumulative(running, axis),
            }
        } else if op == "ExtractSequences" {
            // `tf.signal.frame(x, sequence_length, sequence_stride, axis=-1)`.
            let positive = |k: &str| -> Result<usize> {
                c.get(k)
                    .and_then(Value::as_u64)
                    .filter(|&n| (1..=1 << 20).contains(&n))
                    .map(|n| n as usize)
                    .ok_or_else(|| c.err(k, "expected a positive integer"))
            };
            Kind::Frame(Frame::new(
                positive("sequence_length")?,
                positive("sequence_stride")?,
                -1,
            ))
        } else if op == "Unstack" {
            // `num` only states the axis' size, which the shape gives.
            Kind::Unstack(c.i64_or("axis", 0)?)
        } else if op == "TakeAlongAxis" {
            Kind::TakeAlongAxis(c.get("axis").and_then(Value::as_i64).ok_or_else(|| {
                c.err(
                    "axis",
                    "expected an integer (None, flattening, is not supported)",
                )
            })?)
        } else if op == "ArraySplit" {
            // Keras's TensorFlow backend takes a count of sections only.
            let k = c
                .get("indices_or_sections")
                .and_then(Value::as_u64)
                .filter(|&n| (1..=1 << 16).contains(&n))
                .ok_or_else(|| c.err("indices_or_sections", "expected a positive count"))?;
            Kind::Split(SplitAt::Uneven(k as usize), c.i64_or("axis", 0)?)
        } else if let Some(axis) = match op {
            "Split" => Some(c.i64_or("axis", 0)?),
            // numpy's hsplit / vsplit / dsplit: `split` along axis 1 / 0 /
            // 2 (Keras's TensorFlow backend: hsplit of a 1-D tensor along
            // 0, which a model's batched tensors never are).
            "Hsplit" => Some(1),
            "Vsplit" => Some(0),
            "Dsplit" => Some(2),
            _ => None,
        } {
            let at = match c.get("indices_or_sections") {
                Some(Value::Array(points)) => SplitAt::Indices(
                    points
                        .iter()
                        .map(|p| p.as_u64().map(|p| p as usize))
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            c.err("indices_or_sections", "expected non-negative split points")
                        })?,
                ),
                Some(v) => SplitAt::Sections(
                    v.as_u64()
                        .filter(|&n| (1..=1 << 16).contains(&n))
                        .ok_or_else(|| {
                            c.err(
                                "indices_or_sections",
                                "expected a positive count or split points",
                            )
                        })? as usize,
                ),
                None => return Err(c.err("indices_or_sections", "is required")),
            };
            Kind::Split(at, axis)
        } else if op == "Take"
            && args
                .get(1)
                .is_some_and(|a| crate::topology::kwarg_tensor(a).is_some())
            && !matches!(operands.first(), Some(Operand::Const(_)))
        {
            // A tensor of indices (the second input): `keras3_ops/gather.rs`.
            let axis = c.get("axis").and_then(Value::as_i64).ok_or_else(|| {
                c.err(
                    "axis",
                    "taking from the flattened input (axis None) is not supported",
                )
            })?;
            Kind::Gather(Gather {
                axis: Some(axis),
                batch_dims: 0,
                wrap_negative: true,
            })
        } else if let (true, Some(Operand::Const(table)), Some(Operand::Input(0))) =
            (op == "Take", operands.first(), operands.get(1))
        {
            // A constant table (a NumPy array) gathered by a tensor of ids.
            let axis = c.get("axis").and_then(Value::as_i64).ok_or_else(|| {
                c.err(
                    "axis",
                    "taking from the flattened input (axis None) is not supported",
                )
            })?;
            Kind::GatherTable(
                Gather {
                    axis: Some(axis),
                    batch_dims: 0,
                    wrap_negative: true,
                },
                table.clone(),
            )
        } else if let (true, Some(indices)) = (
            op == "Take",
            args.get(1)
                .and_then(super::super::tf_ops::constant_argument)
                .filter(|i| i.rank() >= 2 && i.len() <= 1 << 20),
        ) {
            // Constant indices of rank 2 or more (nested lists, a NumPy
            // array): the output has their shape in place of the axis.
            let axis = c.get("axis").and_then(Value::as_i64).ok_or_else(|| {
                c.err(
                    "axis",
                    "taking from the flattened input (axis None) is not supported",
                )
            })?;
            Kind::GatherConst(
                Gather {
                    axis: Some(axis),
                    batch_dims: 0,
                    wrap_negative: true,
                },
                std::sync::Arc::new(indices),
            )
        } else if op == "Take" {
            // A list, or a NumPy array (`{"class_name": "__numpy__",
            // "config": {"value": [...]}}`).
            let indices = args
                .get(1)
                .map(|a| a.pointer("/config/value").unwrap_or(a))
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>())
                .filter(|i| !i.is_empty())
                .ok_or_else(|| bad("expected constant 1-D integer indices".into()))?;
            let axis = match c.get("axis") {
                Some(v) => v
                    .as_i64()
                    .ok_or_else(|| c.err("axis", "expected an integer"))?,
                None => {
                    return Err(c.err(
                        "axis",
                        "taking from the flattened input (axis None) is not supported",
                    ))
                }
            };
            Kind::Take(indices, axis)
        } else if op == "Stack" {
            Kind::Stack(c.i64_or("axis", 0)?)
        } else if op == "ConvertToTensor" || op == "Cast" {
            // Masks reach here as float 0/1 already; a `bool` dtype makes any
            // non-zero value 1, an integer one truncates (values stay
            // float32), other dtypes keep the values.
            match c
                .get("dtype")
                .and_then(Value::as_str)
                .and_then(more_ops::int_cast)
            {
                Some(f) => Kind::Unary(f),
                None => Kind::Unary(|x| x),
            }
        } else if op == "CTCDecode" {
            Kind::Ctc(ctc::CtcGreedy::from_config(c, &operands)?)
        } else if op == "Einsum" {
            let eq = c.str_or("subscripts", "")?;
            Kind::Einsum(
                parse_einsum(eq).ok_or_else(|| {
                    c.err(
                        "subscripts",
                        format!("{eq:?} is not a supported equation (letters and `...`, an explicit `->` output, one or two operands)"),
                    )
                })?,
                operands.clone(),
            )
        } else {
            return Err(bad("not supported".into()));
        };
        Ok(Operation {
            op,
            class: format!("{KERAS3_OPERATION_PREFIX}{op}"),
            base_name: name,
            config: c.map.clone(),
            kind,
        })
    }

    pub(super) fn err(&self, msg: impl std::fmt::Display) -> crate::LayersError {
        input_err(&self.base_name, format!("operation {}: {msg}", self.op))
    }
}

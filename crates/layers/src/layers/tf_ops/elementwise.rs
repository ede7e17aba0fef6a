//! The elementwise functions: the `config.function` → math table, the
//! binary functions' loops and numpy broadcasting.

use super::*;

/// An elementwise binary function. The loops are written once per
/// function ([`BinOp::zip`]) so each one inlines and vectorizes; a function
/// pointer per element would cost more than the arithmetic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `a / b`, 0 where `b` is 0 (`tf.math.divide_no_nan`).
    DivNoNan,
    /// `a · b`, 0 where `b` is 0 even if `a` is NaN or infinite
    /// (`tf.math.multiply_no_nan`).
    MulNoNan,
    Max,
    Min,
    Pow,
    SquaredDifference,
    /// `atan2(a, b)`.
    Atan2,
    /// `a - floor(a / b) * b` (the divisor's sign).
    FloorMod,
    /// `floor(a / b)`.
    FloorDiv,
    /// `a · log(b)`, 0 where `a` is 0 (`tf.math.xlogy`).
    Xlogy,
    /// `a / b`, 0 where `a` is 0 (`tf.math.xdivy`).
    Xdivy,
    /// `a · log1p(b)`, 0 where `a` is 0 (`tf.math.xlog1py`).
    Xlog1py,
    /// `a / b` rounded towards zero (`tf.truncatediv`).
    TruncateDiv,
    /// `a - trunc(a / b) · b`, the dividend's sign (`tf.truncatemod`, C's
    /// `fmod`).
    TruncateMod,
    /// `tf.nn.sigmoid_cross_entropy_with_logits(labels=a, logits=b)`:
    /// `max(b, 0) - b · a + log1p(exp(-|b|))`.
    SigmoidCrossEntropy,
    /// The regularized incomplete gamma functions `P(a, x)` and `Q(a, x)`
    /// (`tf.math.igamma(a, x)` / `igammac`; `keras3_ops/gamma.rs`).
    Igamma,
    Igammac,
    /// Comparisons: 1 where true, 0 where false (booleans as float32).
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
    Equal,
    NotEqual,
}

/// The second operand of [`BinOp::zip`].
pub(super) enum Operand<'a> {
    /// `f(x, s)` for every `x`.
    Scalar(f32),
    /// `f(c, y)` for every `y` (a constant first argument).
    ScalarFirst(f32),
    /// `f(x[i], y[i])`.
    Same(&'a [f32]),
}

impl BinOp {
    #[inline(always)]
    pub(super) fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            BinOp::DivNoNan => {
                if b == 0.0 {
                    0.0
                } else {
                    a / b
                }
            }
            BinOp::MulNoNan => {
                if b == 0.0 {
                    0.0
                } else {
                    a * b
                }
            }
            BinOp::Max => a.max(b),
            BinOp::Min => a.min(b),
            BinOp::Pow => a.powf(b),
            BinOp::SquaredDifference => (a - b) * (a - b),
            BinOp::Atan2 => a.atan2(b),
            BinOp::FloorMod => a - (a / b).floor() * b,
            BinOp::FloorDiv => (a / b).floor(),
            BinOp::Xlogy => {
                if a == 0.0 {
                    0.0
                } else {
                    a * b.ln()
                }
            }
            BinOp::Xdivy => {
                if a == 0.0 {
                    0.0
                } else {
                    a / b
                }
            }
            BinOp::Xlog1py => {
                if a == 0.0 {
                    0.0
                } else {
                    a * b.ln_1p()
                }
            }
            BinOp::TruncateDiv => (a / b).trunc(),
            BinOp::TruncateMod => a % b,
            BinOp::SigmoidCrossEntropy => b.max(0.0) - b * a + (-b.abs()).exp().ln_1p(),
            BinOp::Igamma => super::super::keras3_ops::igamma(a, b),
            BinOp::Igammac => super::super::keras3_ops::igammac(a, b),
            BinOp::Greater => f32::from(a > b),
            BinOp::GreaterEqual => f32::from(a >= b),
            BinOp::Less => f32::from(a < b),
            BinOp::LessEqual => f32::from(a <= b),
            BinOp::Equal => f32::from(a == b),
            BinOp::NotEqual => f32::from(a != b),
        }
    }

    /// `xs` (or `ys`, for [`Operand::ScalarFirst`]) combined elementwise.
    pub(super) fn zip(self, xs: &[f32], y: Operand<'_>) -> Vec<f32> {
        #[inline(always)]
        fn run(op: BinOp, xs: &[f32], y: &Operand<'_>) -> Vec<f32> {
            match *y {
                Operand::Scalar(s) => xs.iter().map(|&a| op.apply(a, s)).collect(),
                Operand::ScalarFirst(c) => xs.iter().map(|&b| op.apply(c, b)).collect(),
                Operand::Same(ys) => xs.iter().zip(ys).map(|(&a, &b)| op.apply(a, b)).collect(),
            }
        }
        // One monomorphic loop per function.
        match self {
            BinOp::Add => run(BinOp::Add, xs, &y),
            BinOp::Sub => run(BinOp::Sub, xs, &y),
            BinOp::Mul => run(BinOp::Mul, xs, &y),
            BinOp::Div => run(BinOp::Div, xs, &y),
            BinOp::DivNoNan => run(BinOp::DivNoNan, xs, &y),
            BinOp::MulNoNan => run(BinOp::MulNoNan, xs, &y),
            BinOp::Max => run(BinOp::Max, xs, &y),
            BinOp::Min => run(BinOp::Min, xs, &y),
            BinOp::Pow => run(BinOp::Pow, xs, &y),
            BinOp::SquaredDifference => run(BinOp::SquaredDifference, xs, &y),
            BinOp::Atan2 => run(BinOp::Atan2, xs, &y),
            BinOp::FloorMod => run(BinOp::FloorMod, xs, &y),
            BinOp::FloorDiv => run(BinOp::FloorDiv, xs, &y),
            BinOp::Xlogy => run(BinOp::Xlogy, xs, &y),
            BinOp::Xdivy => run(BinOp::Xdivy, xs, &y),
            BinOp::Xlog1py => run(BinOp::Xlog1py, xs, &y),
            BinOp::TruncateDiv => run(BinOp::TruncateDiv, xs, &y),
            BinOp::TruncateMod => run(BinOp::TruncateMod, xs, &y),
            BinOp::SigmoidCrossEntropy => run(BinOp::SigmoidCrossEntropy, xs, &y),
            BinOp::Igamma => run(BinOp::Igamma, xs, &y),
            BinOp::Igammac => run(BinOp::Igammac, xs, &y),
            BinOp::Greater => run(BinOp::Greater, xs, &y),
            BinOp::GreaterEqual => run(BinOp::GreaterEqual, xs, &y),
            BinOp::Less => run(BinOp::Less, xs, &y),
            BinOp::LessEqual => run(BinOp::LessEqual, xs, &y),
            BinOp::Equal => run(BinOp::Equal, xs, &y),
            BinOp::NotEqual => run(BinOp::NotEqual, xs, &y),
        }
    }
}

impl BinOp {
    /// `f(x, s)` as a kernel step, for the functions that have one.
    pub(super) fn point_op(self, s: f32) -> Option<tfjs_kernels::PointOp> {
        use tfjs_kernels::PointOp;
        Some(match self {
            BinOp::Add => PointOp::Add(s),
            BinOp::Sub => PointOp::Sub(s),
            BinOp::Mul => PointOp::Mul(s),
            BinOp::Div => PointOp::Div(s),
            BinOp::Max => PointOp::Max(s),
            BinOp::Min => PointOp::Min(s),
            _ => return None,
        })
    }

    /// `x[i] = f(x[i], s)` in place: [`BinOp::zip`] with
    /// [`Operand::Scalar`], one monomorphic loop per function.
    pub(super) fn scalar_inplace(self, xs: &mut [f32], s: f32) {
        #[inline(always)]
        fn run(op: BinOp, xs: &mut [f32], s: f32) {
            xs.iter_mut().for_each(|a| *a = op.apply(*a, s));
        }
        match self {
            BinOp::Add => run(BinOp::Add, xs, s),
            BinOp::Sub => run(BinOp::Sub, xs, s),
            BinOp::Mul => run(BinOp::Mul, xs, s),
            BinOp::Div => run(BinOp::Div, xs, s),
            BinOp::DivNoNan => run(BinOp::DivNoNan, xs, s),
            BinOp::MulNoNan => run(BinOp::MulNoNan, xs, s),
            BinOp::Max => run(BinOp::Max, xs, s),
            BinOp::Min => run(BinOp::Min, xs, s),
            BinOp::Pow => run(BinOp::Pow, xs, s),
            BinOp::SquaredDifference => run(BinOp::SquaredDifference, xs, s),
            BinOp::Atan2 => run(BinOp::Atan2, xs, s),
            BinOp::FloorMod => run(BinOp::FloorMod, xs, s),
            BinOp::FloorDiv => run(BinOp::FloorDiv, xs, s),
            BinOp::Xlogy => run(BinOp::Xlogy, xs, s),
            BinOp::Xdivy => run(BinOp::Xdivy, xs, s),
            BinOp::Xlog1py => run(BinOp::Xlog1py, xs, s),
            BinOp::TruncateDiv => run(BinOp::TruncateDiv, xs, s),
            BinOp::TruncateMod => run(BinOp::TruncateMod, xs, s),
            BinOp::SigmoidCrossEntropy => run(BinOp::SigmoidCrossEntropy, xs, s),
            BinOp::Igamma => run(BinOp::Igamma, xs, s),
            BinOp::Igammac => run(BinOp::Igammac, xs, s),
            BinOp::Greater => run(BinOp::Greater, xs, s),
            BinOp::GreaterEqual => run(BinOp::GreaterEqual, xs, s),
            BinOp::Less => run(BinOp::Less, xs, s),
            BinOp::LessEqual => run(BinOp::LessEqual, xs, s),
            BinOp::Equal => run(BinOp::Equal, xs, s),
            BinOp::NotEqual => run(BinOp::NotEqual, xs, s),
        }
    }
}

/// The function table: `config.function` → math.
pub(super) fn lookup(name: &str) -> Option<Func> {
    use Func::*;
    Some(match name {
        "__operators__.add" | "math.add" | "add" => Binary(BinOp::Add),
        "math.subtract" | "subtract" | "__operators__.sub" => Binary(BinOp::Sub),
        "math.multiply" | "multiply" | "__operators__.mul" => Binary(BinOp::Mul),
        "math.truediv" | "math.divide" | "truediv" | "__operators__.truediv" => Binary(BinOp::Div),
        "math.divide_no_nan" | "div_no_nan" => Binary(BinOp::DivNoNan),
        "math.multiply_no_nan" => Binary(BinOp::MulNoNan),
        // `bias` along the last axis (data_format checked in `from_config`).
        "nn.bias_add" => Binary(BinOp::Add),
        "math.maximum" | "maximum" => Binary(BinOp::Max),
        "math.minimum" | "minimum" => Binary(BinOp::Min),
        "math.pow" | "pow" | "__operators__.pow" => Binary(BinOp::Pow),
        "math.squared_difference" => Binary(BinOp::SquaredDifference),
        "math.atan2" | "atan2" => Binary(BinOp::Atan2),
        "math.xlogy" => Binary(BinOp::Xlogy),
        "math.xdivy" => Binary(BinOp::Xdivy),
        "math.xlog1py" => Binary(BinOp::Xlog1py),
        // Float tensors: TF 1's `div` and `realdiv` are the true division.
        "realdiv" | "compat.v1.div" => Binary(BinOp::Div),
        "truncatediv" => Binary(BinOp::TruncateDiv),
        "truncatemod" => Binary(BinOp::TruncateMod),
        // `labels` first, `logits` the second operand.
        "compat.v1.nn.sigmoid_cross_entropy_with_logits"
        | "nn.sigmoid_cross_entropy_with_logits" => Binary(BinOp::SigmoidCrossEntropy),
        // `scalar_mul(scalar, x)`: the constant first, `x` the second operand.
        "compat.v1.math.scalar_mul" | "math.scalar_mul" => Binary(BinOp::Mul),
        // `tf.math.igamma(a, x)`: the second operand is `x`.
        "math.igamma" | "igamma" => Binary(BinOp::Igamma),
        "math.igammac" | "igammac" => Binary(BinOp::Igammac),
        "math.floormod" | "math.mod" | "__operators__.mod" => Binary(BinOp::FloorMod),
        "math.floordiv" | "compat.v1.floor_div" | "__operators__.floordiv" => {
            Binary(BinOp::FloorDiv)
        }
        "math.greater" | "greater" | "__operators__.gt" => Binary(BinOp::Greater),
        "math.greater_equal" | "greater_equal" | "__operators__.ge" => Binary(BinOp::GreaterEqual),
        "math.less" | "less" | "__operators__.lt" => Binary(BinOp::Less),
        "math.less_equal" | "less_equal" | "__operators__.le" => Binary(BinOp::LessEqual),
        "math.equal" | "equal" | "__operators__.eq" => Binary(BinOp::Equal),
        "math.not_equal" | "not_equal" | "__operators__.ne" => Binary(BinOp::NotEqual),
        // Booleans are 0/1 float32: `and` is the minimum, `or` the maximum.
        "math.logical_and" | "logical_and" => Binary(BinOp::Min),
        "math.logical_or" | "logical_or" => Binary(BinOp::Max),
        // and `xor` is "not equal".
        "math.logical_xor" | "logical_xor" => Binary(BinOp::NotEqual),
        "math.logical_not" | "logical_not" => Unary(|x| f32::from(x == 0.0)),
        // Resolved with its `dtype` in `from_config`.
        "cast" | "dtypes.cast" => Unary(|x| x),
        "math.abs" | "abs" => Unary(f32::abs),
        "math.negative" | "negative" | "__operators__.neg" => Unary(|x| -x),
        "math.exp" | "exp" => Unary(f32::exp),
        "math.log" | "log" => Unary(f32::ln),
        "math.log1p" => Unary(f32::ln_1p),
        "math.sqrt" | "sqrt" => Unary(f32::sqrt),
        "math.rsqrt" => Unary(|x| 1.0 / x.sqrt()),
        "math.square" | "square" => Unary(|x| x * x),
        "math.reciprocal" => Unary(|x| 1.0 / x),
        // 0 where `x` is 0 (`tf.math.reciprocal_no_nan`).
        "math.reciprocal_no_nan" => Unary(|x| if x == 0.0 { 0.0 } else { 1.0 / x }),
        "math.sigmoid" | "nn.sigmoid" | "sigmoid" => Unary(sigmoid),
        "math.tanh" | "nn.tanh" | "tanh" => Unary(f32::tanh),
        "math.softplus" | "nn.softplus" => Unary(|x| Activation::Softplus.scalar(x)),
        "math.softsign" | "nn.softsign" => Unary(|x| Activation::Softsign.scalar(x)),
        "nn.relu" | "math.relu" => Unary(|x| x.max(0.0)),
        "nn.relu6" => Unary(|x| x.clamp(0.0, 6.0)),
        "nn.elu" => Unary(|x| Activation::Elu.scalar(x)),
        "nn.selu" => Unary(|x| Activation::Selu.scalar(x)),
        "math.erf" | "erf" => Unary(crate::activations::erf),
        "math.erfc" | "erfc" => Unary(|x| 1.0 - crate::activations::erf(x)),
        "math.erfinv" | "erfinv" => Unary(super::super::keras3_ops::erfinv),
        // The standard normal's quantile: √2 · erfinv(2p - 1).
        "math.ndtri" | "ndtri" => {
            Unary(|p| std::f32::consts::SQRT_2 * super::super::keras3_ops::erfinv(2.0 * p - 1.0))
        }
        // keras3_ops/gamma.rs.
        "math.lgamma" | "lgamma" => Unary(super::super::keras3_ops::lgamma),
        "math.digamma" | "digamma" => Unary(super::super::keras3_ops::digamma),
        "math.bessel_i0" | "math.special.bessel_i0" => Unary(super::super::keras3_ops::bessel_i0),
        "math.bessel_i0e" | "math.special.bessel_i0e" => {
            Unary(super::super::keras3_ops::bessel_i0e)
        }
        // The real part of a real tensor (`tf.linalg.logdet` writes it).
        "math.real" | "real" => Unary(|x| x),
        // A real tensor's conjugate is itself, its imaginary part 0 and its
        // angle π where it is negative (0 elsewhere, NaN included).
        "math.conj" | "conj" => Unary(|x| x),
        "math.imag" | "imag" => Unary(|_| 0.0),
        "math.angle" | "angle" => Unary(|x| if x < 0.0 { std::f32::consts::PI } else { 0.0 }),
        // erfc⁻¹(x) = erf⁻¹(1 - x).
        "math.erfcinv" => Unary(|x| super::super::keras3_ops::erfinv(1.0 - x)),
        "math.bessel_i1" | "math.special.bessel_i1" => Unary(tfjs_kernels::bessel1::bessel_i1),
        "math.bessel_i1e" | "math.special.bessel_i1e" => Unary(tfjs_kernels::bessel1::bessel_i1e),
        // tf_keras's backend helpers that return their input at inference
        // (`print_tensor` prints it; `cast_to_floatx` of a float tensor).
        "keras.backend.print_tensor" | "keras.backend.cast_to_floatx" | "guarantee_const" => {
            Unary(|x| x)
        }
        "math.sign" | "sign" => Unary(sign),
        "math.atan" | "atan" => Unary(f32::atan),
        "math.is_finite" => Unary(|x| f32::from(x.is_finite())),
        "math.log_sigmoid" => Unary(|x| -Activation::Softplus.scalar(-x)),
        // The input's shape filled with 0 / 1 (dtype kept as float32).
        "zeros_like" | "compat.v1.zeros_like" => Unary(|_| 0.0),
        "ones_like" | "compat.v1.ones_like" => Unary(|_| 1.0),
        "math.floor" | "floor" => Unary(f32::floor),
        "math.ceil" => Unary(f32::ceil),
        "math.round" | "math.rint" => Unary(f32::round_ties_even),
        "math.sin" => Unary(f32::sin),
        "math.cos" => Unary(f32::cos),
        "math.tan" => Unary(f32::tan),
        "math.sinh" => Unary(f32::sinh),
        "math.cosh" => Unary(f32::cosh),
        "math.asin" | "asin" => Unary(f32::asin),
        "math.acos" | "acos" => Unary(f32::acos),
        "math.asinh" | "asinh" => Unary(f32::asinh),
        "math.acosh" | "acosh" => Unary(f32::acosh),
        "math.atanh" | "atanh" => Unary(f32::atanh),
        "math.expm1" | "expm1" => Unary(f32::exp_m1),
        "math.is_nan" | "is_nan" => Unary(|x| f32::from(x.is_nan())),
        "math.is_inf" | "is_inf" => Unary(|x| f32::from(x.is_infinite())),
        // (TF 1's `compat.v1` forms take the axis as `dim`: `aliases.rs`.)
        "nn.softmax" | "math.softmax" | "compat.v1.nn.softmax" => Rowwise(Activation::Softmax),
        "nn.log_softmax" | "math.log_softmax" | "compat.v1.nn.log_softmax" => {
            Rowwise(Activation::LogSoftmax)
        }
        // The identity at inference.
        "identity" | "stop_gradient" | "ensure_shape" => Unary(|x| x),
        // The tensor itself (a `dtype` other than a float is refused in
        // `from_config`: TensorFlow does not convert a float tensor).
        "convert_to_tensor" => Unary(|x| x),
        "math.reduce_mean" | "reduce_mean" => Reduce(super::Reduce::Mean),
        "math.reduce_sum" | "reduce_sum" => Reduce(super::Reduce::Sum),
        "math.reduce_max" | "reduce_max" => Reduce(super::Reduce::Max),
        "math.reduce_min" | "reduce_min" => Reduce(super::Reduce::Min),
        "math.reduce_std" => Reduce(super::Reduce::Std),
        "math.reduce_variance" => Reduce(super::Reduce::Variance),
        "math.reduce_logsumexp" | "reduce_logsumexp" => Reduce(super::Reduce::LogSumExp),
        "math.reduce_prod" | "reduce_prod" => Reduce(super::Reduce::Prod),
        "math.argmax" | "argmax" => Reduce(super::Reduce::ArgMax),
        "math.argmin" | "argmin" => Reduce(super::Reduce::ArgMin),
        "one_hot" => Shape(ShapeFn::OneHot),
        "nn.crelu" | "compat.v1.nn.crelu" => Shape(ShapeFn::Crelu),
        "sequence_mask" => Shape(ShapeFn::SequenceMask),
        "math.reduce_euclidean_norm" => Reduce(super::Reduce::Norm),
        // `tf.norm` (saved as `compat.v1.norm`): the Euclidean norm unless
        // `ord` says otherwise (refused in `from_config`).
        "norm" | "compat.v1.norm" | "linalg.norm" => Reduce(super::Reduce::Norm),
        "math.reduce_any" | "reduce_any" => Reduce(super::Reduce::Any),
        "math.reduce_all" | "reduce_all" => Reduce(super::Reduce::All),
        "math.l2_normalize" | "nn.l2_normalize" | "linalg.l2_normalize" => L2Normalize,
        "clip_by_norm" => ClipByNorm,
        "concat" => Concat,
        "math.add_n" | "add_n" | "math.accumulate_n" => AddN,
        "nn.max_pool2d" | "nn.max_pool" | "nn.max_pool1d" | "compat.v1.nn.max_pool" => {
            Pool { max: true }
        }
        "nn.avg_pool2d" | "nn.avg_pool" | "nn.avg_pool1d" | "compat.v1.nn.avg_pool" => {
            Pool { max: false }
        }
        "image.resize" | "image.resize_with_pad" => Resize,
        // TF 1's resizes (`align_corners`): `tf_ops/build.rs`.
        "compat.v1.image.resize_images"
        | "compat.v1.image.resize"
        | "compat.v1.image.resize_bilinear"
        | "compat.v1.image.resize_nearest_neighbor" => Resize,
        "reshape" | "compat.v1.reshape" => Op,
        "transpose" | "compat.v1.transpose" | "linalg.matmul" | "matmul" => Op,
        "__operators__.getitem" | "slice" => Op,
        // keras3_ops/image.rs and ShapeOp::Flip.
        "image.rgb_to_grayscale" | "image.per_image_standardization" => Op,
        "image.rgb_to_hsv" | "image.hsv_to_rgb" => Op,
        "image.rgb_to_yuv" | "image.yuv_to_rgb" | "image.rgb_to_yiq" | "image.yiq_to_rgb" => Op,
        "image.adjust_brightness" | "image.adjust_contrast" | "image.adjust_saturation" => Op,
        "image.adjust_gamma" | "image.crop_to_bounding_box" | "image.pad_to_bounding_box" => Op,
        "nn.local_response_normalization" | "nn.lrn" | "image.extract_patches" => Op,
        "image.central_crop" | "image.resize_with_crop_or_pad" => Op,
        // keras3_ops/frame.rs, keras3_ops/tensordot.rs.
        "signal.frame" | "tensordot" | "linalg.tensordot" => Op,
        "image.flip_left_right" | "image.flip_up_down" | "image.grayscale_to_rgb" => Op,
        "image.transpose" => Op,
        "sort" | "argsort" | "math.top_k" | "nn.top_k" | "linalg.band_part"
        | "matrix_band_part" => Op,
        "experimental.numpy.moveaxis" | "roll" | "manip.roll" | "unravel_index" => Op,
        "math.bincount" | "bincount" => Op,
        "linalg.matrix_transpose" | "linalg.transpose" | "linalg.adjoint" => Op,
        // keras3_ops/repeat.rs.
        "repeat" => Op,
        // keras3_ops/stats.rs.
        "math.count_nonzero" | "linalg.diag_part" | "linalg.trace" => Op,
        "linalg.diag" | "linalg.set_diag" | "linalg.normalize" => Op,
        "gather_nd" | "compat.v1.gather_nd" => Op,
        "nn.conv2d" | "compat.v1.nn.conv2d" | "nn.depthwise_conv2d" => Op,
        "compat.v1.nn.depthwise_conv2d" => Op,
        "math.unsorted_segment_sum" | "math.unsorted_segment_max" | "math.unsorted_segment_min" => {
            Op
        }
        "math.unsorted_segment_prod" | "math.unsorted_segment_mean" => Op,
        "math.unsorted_segment_sqrt_n" | "math.segment_sum" | "math.segment_max" => Op,
        "math.segment_min" | "math.segment_prod" | "math.segment_mean" => Op,
        "boolean_mask" | "compat.v1.boolean_mask" => Op,
        // keras3_ops/numerics.rs: linalg_lu.rs, update.rs, rot90.rs,
        // dct.rs, pool3d.rs, hue.rs; const_conv.rs (conv1d).
        "linalg.det" | "linalg.slogdet" | "linalg.logdet" | "linalg.cholesky" | "linalg.inv"
        | "linalg.solve" | "matrix_determinant" | "matrix_inverse" | "matrix_solve"
        | "cholesky" => Op,
        "tensor_scatter_nd_update"
        | "tensor_scatter_nd_add"
        | "tensor_scatter_nd_sub"
        | "tensor_scatter_nd_max"
        | "tensor_scatter_nd_min" => Op,
        "image.rot90" | "reverse_sequence" | "compat.v1.reverse_sequence" => Op,
        "signal.dct" | "signal.idct" | "nn.max_pool3d" | "nn.avg_pool3d" => Op,
        "image.adjust_hue" | "nn.conv1d" | "compat.v1.nn.conv1d" => Op,
        // keras3_ops/searchsorted.rs, psnr.rs, cross.rs; gamma.rs.
        "searchsorted" | "image.psnr" | "linalg.cross" => Op,
        "expand_dims" | "compat.v1.expand_dims" => Shape(ShapeFn::ExpandDims),
        "squeeze" | "compat.v1.squeeze" => Shape(ShapeFn::Squeeze),
        "stack" => Shape(ShapeFn::Stack),
        "tile" => Shape(ShapeFn::Tile),
        "pad" | "compat.v1.pad" => Shape(ShapeFn::Pad),
        "split" => Shape(ShapeFn::Split),
        "unstack" => Shape(ShapeFn::Unstack),
        "gather" | "compat.v1.gather" => Shape(ShapeFn::Gather),
        // Rows of a constant table (the constant first argument) by a
        // tensor of ids: built as an operation.
        "nn.embedding_lookup" | "compat.v1.nn.embedding_lookup" => Op,
        // Constant coefficients (the list argument) of a tensor `x`.
        "math.polyval" => Op,
        // Per-class NMS of a detector's boxes: `keras3_ops/combined_nms.rs`.
        "image.combined_non_max_suppression" => Op,
        // Constant boxes and box indices: `keras3_ops/crop_resize.rs`.
        "image.crop_and_resize" => Op,
        "math.cumsum" | "cumsum" => Shape(ShapeFn::Cumulative(Running::Sum)),
        "math.cumprod" | "cumprod" => Shape(ShapeFn::Cumulative(Running::Product)),
        "math.cumulative_logsumexp" => Shape(ShapeFn::Cumulative(Running::LogSumExp)),
        "reverse" | "reverse_v2" => Shape(ShapeFn::Reverse),
        "nn.depth_to_space" | "compat.v1.depth_to_space" => Shape(ShapeFn::DepthToSpace),
        "nn.space_to_depth" | "compat.v1.space_to_depth" => Shape(ShapeFn::SpaceToDepth),
        // TF 1's `where` also takes a condition vector picking whole rows.
        "where" | "where_v2" | "compat.v1.where" => Where,
        "shape" | "compat.v1.shape" | "ones" | "zeros" | "fill" | "range" => Dynamic,
        "size" | "compat.v1.size" => Dynamic,
        "broadcast_to" => Dynamic,
        // Python's `x[...]` as TensorFlow writes it for a constant `x` (or
        // with bounds read at run time): `dynamic::Dynamic::StridedSlice`.
        "strided_slice" => Dynamic,
        // `tf_ops/structured.rs`.
        f if super::structured::handles(f) => Structured,
        // Resolved with their arguments in `from_config`.
        "nn.gelu" => Act(Activation::Gelu),
        "nn.silu" | "nn.swish" | "math.silu" => Silu(1.0),
        "nn.leaky_relu" => LeakyRelu(0.2),
        "clip_by_value" => Clip(f32::NEG_INFINITY, f32::INFINITY),
        _ => return None,
    })
}

/// `tf.math.sign`: -1, 0 or 1 (NaN stays NaN).
pub(crate) fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// Numpy broadcasting of two concrete shapes.
pub(crate) fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let known = |s: &[usize]| s.iter().map(|&d| Some(d)).collect::<Shape>();
    broadcast_symbolic(&known(a), &known(b))?
        .into_iter()
        .collect()
}

/// Broadcasting of symbolic shapes (`None` unknown).
pub(crate) fn broadcast_symbolic(a: &Shape, b: &Shape) -> Option<Shape> {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            let da = if i + a.len() >= n {
                a[i + a.len() - n]
            } else {
                Some(1)
            };
            let db = if i + b.len() >= n {
                b[i + b.len() - n]
            } else {
                Some(1)
            };
            match (da, db) {
                (Some(1), d) | (d, Some(1)) => Some(d),
                (Some(x), Some(y)) if x == y => Some(Some(x)),
                (Some(_), Some(_)) => None,
                (None, d) | (d, None) => Some(d.or(None)),
            }
        })
        .collect()
}

/// `f` of two operands (values and shape each) with numpy broadcasting:
/// the output shape and values, or `None` when the shapes do not
/// broadcast.
pub(crate) fn broadcast_zip(
    a: (&[f32], &[usize]),
    b: (&[f32], &[usize]),
    f: impl Fn(f32, f32) -> f32,
) -> Option<(Vec<usize>, Vec<f32>)> {
    let out_shape = broadcast(a.1, b.1)?;
    let n: usize = out_shape.iter().product();
    let at = |(values, shape): (&[f32], &[usize]), i| values[broadcast_index(i, &out_shape, shape)];
    let out = (0..n).map(|i| f(at(a, i), at(b, i))).collect();
    Some((out_shape, out))
}

/// `where(cond, x, y)` (`tf.where`, `keras.ops.where`) with numpy
/// broadcasting, each operand its values and shape: `x`'s value where
/// `cond` is non-zero, else `y`'s. The output shape and values, or `None`
/// when the three shapes do not broadcast.
pub(crate) fn broadcast_where(
    cond: (&[f32], &[usize]),
    x: (&[f32], &[usize]),
    y: (&[f32], &[usize]),
) -> Option<(Vec<usize>, Vec<f32>)> {
    let out_shape = broadcast(cond.1, x.1).and_then(|s| broadcast(&s, y.1))?;
    let n: usize = out_shape.iter().product();
    let at = |(values, shape): (&[f32], &[usize]), i| values[broadcast_index(i, &out_shape, shape)];
    let out = (0..n)
        .map(|i| {
            if at(cond, i) != 0.0 {
                at(x, i)
            } else {
                at(y, i)
            }
        })
        .collect();
    Some((out_shape, out))
}

/// Element `i` of `out_shape`'s row-major order read from a tensor of
/// `shape` broadcast to it.
pub(crate) fn broadcast_index(i: usize, out_shape: &[usize], shape: &[usize]) -> usize {
    let offset = out_shape.len() - shape.len();
    let mut rem = i;
    let mut idx = 0;
    let mut stride = 1;
    for d in (0..out_shape.len()).rev() {
        let coord = rem % out_shape[d];
        rem /= out_shape[d];
        if d >= offset {
            let sd = shape[d - offset];
            if sd != 1 {
                idx += coord * stride;
            }
            stride *= sd;
        }
    }
    idx
}

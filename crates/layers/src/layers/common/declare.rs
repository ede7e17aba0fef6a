//! Declarative layer configs: a layer states each config field once — its
//! key, its type and its default, in TensorFlow.js's key order — and
//! [`keras_config!`] derives reading (with errors
//! naming the layer and field) and writing back from that one declaration.
//!
//! ```ignore
//! keras_config! {
//!     /// `RepeatVector`'s config.
//!     pub(crate) struct RepeatVectorConfig |cx| {
//!         n: Positive,
//!     }
//! }
//! ```
//!
//! A field without `= default` is required. A field's type says how its
//! value is read and written ([`KerasValue`]): plain numbers, strings and
//! bools, [`Activation`]s, [`Init`]ializers, [`Reg`]ularizers,
//! [`Cons`]traints, [`Ints`] (an int or a list of `cx.rank` ints),
//! `Option<T>` (absent → `null`), [`IfSet<T>`] (absent → not written).
//! Defaults may use `cx` ([`Cx`]: the config and the layer's spatial rank).

use super::values::{
    activation_field, constraint_value, data_format_value, initializer_value, ints, num,
    regularizer_value,
};
use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::Result;
use serde_json::{json, Value};
use tfjs_kernels::Padding;

/// What reading a config may depend on besides the JSON: the layer's
/// number of spatial dims (`kernel_size: 3` is `[3, 3]` for a 2-D layer).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub cfg: ConfigReader<'a>,
    pub rank: usize,
}

impl<'a> Cx<'a> {
    /// A context for a layer without spatial dims.
    pub fn new(cfg: &ConfigReader<'a>) -> Self {
        Cx { cfg: *cfg, rank: 1 }
    }
    /// A context for a layer with `rank` spatial dims.
    pub fn spatial(cfg: &ConfigReader<'a>, rank: usize) -> Self {
        Cx { cfg: *cfg, rank }
    }
}

/// How one config field's value is read and written back.
pub(crate) trait KerasValue: Sized {
    /// Parse the present, non-null value `v` of field `key`.
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self>;
    /// The value `config()` writes; `None` leaves the key out.
    fn to_value(&self) -> Option<Value>;
    /// The value of an absent (or `null`) field that declares no default;
    /// `None` makes the field required.
    fn when_absent() -> Option<Self> {
        None
    }
}

/// A declared config (implemented by [`keras_config!`]), for layers
/// generic over their config.
pub(crate) trait ConfigFields: Sized + Clone + std::fmt::Debug + Send + Sync {
    /// Read every field.
    fn read(cx: &Cx<'_>) -> Result<Self>;
    /// Write every field in declaration order.
    fn write(&self, m: &mut serde_json::Map<String, Value>);
}

/// Read field `key`: parsed when present, else `default`, else the type's
/// own absent value, else a "is required" error.
pub(crate) fn read_field<T: KerasValue>(cx: &Cx<'_>, key: &str, default: Option<T>) -> Result<T> {
    match cx.cfg.get(key) {
        Some(v) => T::parse(cx, key, v),
        None => default
            .or_else(T::when_absent)
            .ok_or_else(|| cx.cfg.err(key, "is required")),
    }
}

/// Declare a layer config struct: fields in TensorFlow.js's key order,
/// each `name: Type` (required) or `name: Type = default`. Generates the
/// struct, `read(&Cx) -> Result<Self>` and `write(&self, &mut Map)`.
macro_rules! keras_config {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident |$cx:ident| {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty $(= $default:expr)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        $vis struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::layers::common::ConfigFields for $name {
            fn read(cx: &$crate::layers::common::Cx<'_>) -> $crate::Result<Self> {
                $name::read(cx)
            }
            fn write(&self, m: &mut serde_json::Map<String, serde_json::Value>) {
                $name::write(self, m)
            }
        }

        impl $name {
            /// Read every field (absent → declared default); errors name
            /// the layer and the field.
            #[allow(unused_variables)]
            pub fn read($cx: &$crate::layers::common::Cx<'_>) -> $crate::Result<Self> {
                Ok(Self {
                    $( $field: $crate::layers::common::read_field(
                        $cx,
                        stringify!($field),
                        $crate::layers::common::keras_config!(@default $($default)?),
                    )?, )*
                })
            }

            /// Write every field in declaration order (TensorFlow.js's).
            #[allow(unused_variables)]
            pub fn write(&self, m: &mut serde_json::Map<String, serde_json::Value>) {
                $(
                    if let Some(v) = $crate::layers::common::KerasValue::to_value(&self.$field) {
                        m.insert(stringify!($field).into(), v);
                    }
                )*
            }
        }
    };
    (@default) => { None };
    (@default $d:expr) => { Some($d) };
}
pub(crate) use keras_config;

/// The `Layer` methods every declaratively configured layer shares:
/// `class_name` (`_`: the layer writes its own; `self.field`: the layer's
/// class name is in `field`), `name`, and `config` (the
/// declared fields, then the base keys). Layers with a [`super::Params`]
/// weight store named `params` add `weights` to also delegate `weights`,
/// `weight_values` and `set_weight` (`layer_common!(weights)` alone: only
/// those three).
macro_rules! layer_common {
    (_) => {
        fn name(&self) -> &str {
            &self.base.name
        }
        fn config(&self) -> serde_json::Map<String, serde_json::Value> {
            let mut m = serde_json::Map::new();
            self.cfg.write(&mut m);
            self.base.write(&mut m);
            m
        }
    };
    (_, weights) => {
        $crate::layers::common::layer_common!(_);
        $crate::layers::common::layer_common!(weights);
    };
    // Only the weight delegation, for layers that write their own config.
    (weights) => {
        fn weights(&self) -> Vec<$crate::LayerWeight> {
            self.params.weights(self.base.trainable)
        }
        fn weight_values(&self) -> Vec<&$crate::Tensor> {
            self.params.values()
        }
        fn set_weight(&mut self, index: usize, value: $crate::Tensor) -> $crate::Result<()> {
            self.params.set(&self.base.name, index, value)
        }
    };
    // Only the class name and `name`, for layers that write their own config.
    (names $class:literal) => {
        fn class_name(&self) -> &str {
            $class
        }
        fn name(&self) -> &str {
            &self.base.name
        }
    };
    // The same, for a layer keeping its name outside a `Base`.
    (names $class:literal, name in self.$name:ident) => {
        fn class_name(&self) -> &str {
            $class
        }
        fn name(&self) -> &str {
            &self.$name
        }
    };
    // The same, for a layer serving several classes, its class name in a
    // field.
    (names self.$class:ident) => {
        fn class_name(&self) -> &str {
            &self.$class
        }
        fn name(&self) -> &str {
            &self.base.name
        }
    };
    ($class:literal $(, $w:ident)?) => {
        fn class_name(&self) -> &str {
            $class
        }
        $crate::layers::common::layer_common!(_ $(, $w)?);
    };
    (self.$class:ident $(, $w:ident)?) => {
        fn class_name(&self) -> &str {
            &self.$class
        }
        $crate::layers::common::layer_common!(_ $(, $w)?);
    };
}
pub(crate) use layer_common;

/// The `Layer` methods of a layer whose output keeps its input's shape
/// (`shape`: `output_shapes`) and passes its input's Keras mask on
/// unchanged (`mask`: `compute_mask`): element-wise layers, activations,
/// normalizations, inference-time identities.
macro_rules! same_as_input {
    (shape) => {
        fn output_shapes(&self, inputs: &[$crate::Shape]) -> $crate::Result<Vec<$crate::Shape>> {
            Ok(vec![
                $crate::layers::common::one_shape(&self.base, inputs)?.clone()
            ])
        }
    };
    (mask) => {
        fn compute_mask(
            &self,
            _inputs: &[$crate::Tensor],
            masks: &[Option<$crate::Tensor>],
        ) -> $crate::Result<Vec<Option<$crate::Tensor>>> {
            Ok($crate::layers::common::pass_mask(masks))
        }
    };
    (shape, mask) => {
        $crate::layers::common::same_as_input!(shape);
        $crate::layers::common::same_as_input!(mask);
    };
}
pub(crate) use same_as_input;

/// The optional `Layer` capabilities a layer claims, each stated once:
/// `per_sample` ([`Layer::per_sample`](crate::Layer::per_sample): every
/// sample's outputs depend on that sample alone, so the engine may split a
/// batch) and `downcast` ([`Layer::as_any`](crate::Layer::as_any): engine
/// code such as the conv + BatchNormalization + ReLU fusion may downcast
/// to the layer's type). A layer whose answer depends on its config writes
/// the method itself.
macro_rules! layer_flags {
    (per_sample) => {
        fn per_sample(&self) -> bool {
            true
        }
    };
    (downcast) => {
        fn as_any(&self) -> Option<&dyn std::any::Any> {
            Some(self)
        }
    };
    ($($flag:ident),+) => {
        $( $crate::layers::common::layer_flags!($flag); )+
    };
}
pub(crate) use layer_flags;

/// A layer that is its [`Base`](super::Base) and a declared config `cfg`
/// (`pub struct X(XConfig, params: Params)`: and a weight store `params`,
/// empty until `build`): the struct and its `from_config`.
macro_rules! declared_layer {
    ($(#[$meta:meta])* pub struct $name:ident($cfg:ty $(, $params:ident: Params)?);) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            base: $crate::layers::common::Base,
            cfg: $cfg,
            $($params: $crate::layers::common::Params,)?
        }

        impl $name {
            /// Build from a Keras / TF.js config (errors name the layer and field).
            pub fn from_config(cfg: &$crate::config::ConfigReader<'_>) -> $crate::Result<Self> {
                Ok($name {
                    cfg: <$cfg>::read(&$crate::layers::common::Cx::new(cfg))?,
                    base: $crate::layers::common::Base::parse(cfg)?,
                    $($params: $crate::layers::common::Params::default(),)?
                })
            }
        }
    };
}
pub(crate) use declared_layer;

fn expected(cx: &Cx<'_>, key: &str, what: &str, v: &Value) -> crate::LayersError {
    cx.cfg.err(key, format!("expected {what}, got {v}"))
}

fn to_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

fn to_usize(v: &Value) -> Option<usize> {
    to_i64(v).and_then(|x| usize::try_from(x).ok())
}

impl KerasValue for usize {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        to_usize(v).ok_or_else(|| expected(cx, key, "a non-negative integer", v))
    }
    fn to_value(&self) -> Option<Value> {
        Some(json!(*self))
    }
}

impl KerasValue for i64 {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        to_i64(v).ok_or_else(|| expected(cx, key, "an integer", v))
    }
    fn to_value(&self) -> Option<Value> {
        Some(json!(*self))
    }
}

impl KerasValue for f64 {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        v.as_f64().ok_or_else(|| expected(cx, key, "a number", v))
    }
    fn to_value(&self) -> Option<Value> {
        Some(num(*self))
    }
}

impl KerasValue for bool {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        v.as_bool()
            .ok_or_else(|| expected(cx, key, "true or false", v))
    }
    fn to_value(&self) -> Option<Value> {
        Some(json!(*self))
    }
}

impl KerasValue for String {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| expected(cx, key, "a string", v))
    }
    fn to_value(&self) -> Option<Value> {
        Some(json!(self))
    }
}

/// Absent or `null` reads as `None` and is written as `null`.
impl<T: KerasValue> KerasValue for Option<T> {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        T::parse(cx, key, v).map(Some)
    }
    fn to_value(&self) -> Option<Value> {
        Some(match self {
            Some(x) => x.to_value().unwrap_or(Value::Null),
            None => Value::Null,
        })
    }
    fn when_absent() -> Option<Self> {
        Some(None)
    }
}

/// A field written back only when the config gave it (Keras-only keys
/// TensorFlow.js does not write by default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct IfSet<T>(pub Option<T>);

impl<T: KerasValue> KerasValue for IfSet<T> {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        T::parse(cx, key, v).map(|x| IfSet(Some(x)))
    }
    fn to_value(&self) -> Option<Value> {
        self.0.as_ref().and_then(KerasValue::to_value)
    }
    fn when_absent() -> Option<Self> {
        Some(IfSet(None))
    }
}

/// A strictly positive integer (`units`, `filters`, `n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Positive(pub usize);

impl KerasValue for Positive {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        match to_i64(v) {
            Some(x) if x >= 1 => Ok(Positive(x as usize)),
            _ => Err(cx
                .cfg
                .err(key, format!("must be a positive integer, got {v}"))),
        }
    }
    fn to_value(&self) -> Option<Value> {
        Some(json!(self.0))
    }
}

/// A probability in `[0, 1]` (dropout `rate`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate(pub f64);

impl KerasValue for Rate {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        match v.as_f64() {
            Some(r) if (0.0..=1.0).contains(&r) => Ok(Rate(r)),
            Some(r) => Err(cx.cfg.err(key, format!("must be in [0, 1], got {r}"))),
            None => Err(expected(cx, key, "a number", v)),
        }
    }
    fn to_value(&self) -> Option<Value> {
        Some(num(self.0))
    }
}

/// Any JSON value, kept as written (`seed`, `noise_shape`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Raw(pub Value);

impl KerasValue for Raw {
    fn parse(_cx: &Cx<'_>, _key: &str, v: &Value) -> Result<Self> {
        Ok(Raw(v.clone()))
    }
    fn to_value(&self) -> Option<Value> {
        Some(self.0.clone())
    }
    fn when_absent() -> Option<Self> {
        Some(Raw(Value::Null))
    }
}

impl KerasValue for Activation {
    fn parse(cx: &Cx<'_>, key: &str, _v: &Value) -> Result<Self> {
        activation_field(&cx.cfg, key)
    }
    fn to_value(&self) -> Option<Value> {
        Some(self.to_json())
    }
}

/// `data_format`: `channels_last` or `channels_first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DataFormat {
    #[default]
    ChannelsLast,
    ChannelsFirst,
}

impl DataFormat {
    /// Is this `channels_first`?
    pub fn is_first(self) -> bool {
        self == DataFormat::ChannelsFirst
    }
}

impl KerasValue for DataFormat {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        match v.as_str() {
            Some("channels_last" | "channelsLast") => Ok(DataFormat::ChannelsLast),
            Some("channels_first" | "channelsFirst") => Ok(DataFormat::ChannelsFirst),
            _ => Err(expected(cx, key, "channels_last or channels_first", v)),
        }
    }
    fn to_value(&self) -> Option<Value> {
        Some(data_format_value(self.is_first()))
    }
}

impl KerasValue for Padding {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        let s = v
            .as_str()
            .ok_or_else(|| expected(cx, key, "a padding name", v))?;
        Padding::parse(s).map_err(|e| cx.cfg.err(key, e.to_string()))
    }
    fn to_value(&self) -> Option<Value> {
        Some(json!(super::padding_name(*self)))
    }
}

/// An int or a list of `cx.rank` ints, written as the list
/// (`kernel_size: 3` → `[3, 3]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ints(pub Vec<usize>);

impl Ints {
    /// `x` repeated for every spatial dim.
    pub fn fill(cx: &Cx<'_>, x: usize) -> Ints {
        Ints(vec![x; cx.rank])
    }
}

impl std::ops::Deref for Ints {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.0
    }
}

impl KerasValue for Ints {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        let n = cx.rank;
        if let Some(x) = to_usize(v) {
            return Ok(Ints(vec![x; n]));
        }
        let list: Option<Vec<usize>> = v
            .as_array()
            .map(|a| a.iter().map(to_usize).collect())
            .and_then(|x| x);
        match list {
            Some(l) if l.len() == n => Ok(Ints(l)),
            Some(l) if l.len() == 1 => Ok(Ints(vec![l[0]; n])),
            _ => Err(expected(
                cx,
                key,
                &format!("an int or a list of {n} non-negative ints"),
                v,
            )),
        }
    }
    fn to_value(&self) -> Option<Value> {
        Some(ints(&self.0))
    }
}

/// A config value that is a Keras object kept as JSON: `$name(Value)`,
/// read through `$spell` (TensorFlow.js's spelling of it), written back
/// as kept; `absent: v` makes a missing field `v` rather than required.
macro_rules! keras_object_value {
    ($(#[$meta:meta])* $name:ident, $spell:path $(, absent: $absent:expr)?) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub(crate) struct $name(pub Value);

        impl KerasValue for $name {
            fn parse(_cx: &Cx<'_>, _key: &str, v: &Value) -> Result<Self> {
                Ok($name($spell(v)))
            }
            fn to_value(&self) -> Option<Value> {
                Some(self.0.clone())
            }
            $(
                fn when_absent() -> Option<Self> {
                    Some($name($absent))
                }
            )?
        }
    };
}

keras_object_value!(
    /// An initializer, kept in TensorFlow.js's spelling.
    Init,
    initializer_value
);

impl Init {
    /// TensorFlow.js's default kernel initializer (glorotNormal).
    pub fn glorot_normal() -> Init {
        Init(super::glorot_normal_default())
    }
    /// Zeros.
    pub fn zeros() -> Init {
        Init(super::zeros_init())
    }
    /// Ones.
    pub fn ones() -> Init {
        Init(super::ones_init())
    }
}

keras_object_value!(
    /// A regularizer in TensorFlow.js's spelling (`L1L2`), `null` when absent.
    Reg,
    regularizer_value,
    absent: Value::Null
);

keras_object_value!(
    /// A constraint (`{class_name, config}`), `null` when absent.
    Cons,
    constraint_value,
    absent: Value::Null
);

/// `axis`: an int or a list of ints (possibly negative), written back in
/// the form it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Axes {
    pub list: Vec<i64>,
    is_list: bool,
}

impl Axes {
    /// A single axis, written as an int.
    pub fn one(axis: i64) -> Axes {
        Axes {
            list: vec![axis],
            is_list: false,
        }
    }
}

impl KerasValue for Axes {
    fn parse(cx: &Cx<'_>, key: &str, v: &Value) -> Result<Self> {
        match v {
            Value::Array(a) => Ok(Axes {
                list: a
                    .iter()
                    .map(|x| i64::parse(cx, key, x))
                    .collect::<Result<_>>()?,
                is_list: true,
            }),
            v => Ok(Axes::one(i64::parse(cx, key, v)?)),
        }
    }
    fn to_value(&self) -> Option<Value> {
        Some(if self.is_list {
            Value::Array(self.list.iter().map(|&a| json!(a)).collect())
        } else {
            json!(self.list[0])
        })
    }
}

keras_config! {
    /// The config of a layer with no fields of its own (Keras' `Identity`,
    /// the merge layers).
    pub(crate) struct NoFields |cx| {}
}

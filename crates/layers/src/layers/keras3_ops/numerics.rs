//! One entry for the operation families added for issue 9's twentieth
//! batch, each in its own file: square-matrix algebra (`linalg_lu.rs`),
//! NaN-ignoring reductions (`nan_reduce.rs`), `searchsorted`
//! (`searchsorted.rs`), slice / scatter updates (`update.rs`), rotations
//! and sequence reversals (`rot90.rs`), cosine transforms (`dct.rs`), 3-D
//! pools (`pool3d.rs`), the hue adjustment (`hue.rs`),
//! `image.map_coordinates` (`map_coordinates.rs`) and small
//! numpy-style functions (`numpy_fns.rs`); from round 21, `select`
//! (`select.rs`) and the peak signal-to-noise ratio (`psnr.rs`): the Keras 3
//! operations by class, the Keras 2 `tf.*` functions by name.

use super::dct::Dct;
use super::hue::AdjustHue;
use super::linalg_lu::LuOp;
use super::map_coordinates::MapCoordinates;
use super::nan_reduce::NanReduce;
use super::numpy_fns::NumpyFn;
use super::pool3d::Pool3d;
use super::psnr::Psnr;
use super::rot90::Rot90;
use super::searchsorted::SearchSorted;
use super::select::Select;
use super::update::Update;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) enum NumericOp {
    Lu(LuOp),
    NanReduce(NanReduce),
    SearchSorted(SearchSorted),
    Update(Update),
    Rot90(Rot90),
    Dct(Dct),
    Pool3d(Pool3d),
    AdjustHue(AdjustHue),
    Numpy(NumpyFn),
    MapCoordinates(MapCoordinates),
    Select(Select),
    Psnr(Psnr),
}

/// The first of `parse => Variant` whose parse recognizes the operation
/// (`Some`), as a `NumericOp`; the parses are tried in order, lazily.
macro_rules! first_recognized {
    ($($parse:expr => $variant:path),+ $(,)?) => {
        None $(.or_else(|| $parse.map(|r| r.map($variant))))+
    };
}

impl NumericOp {
    /// The Keras 3 operation `op` from its config and positional `args`
    /// (`None`: not one of these).
    pub(crate) fn from_config(
        op: &str,
        c: &ConfigReader<'_>,
        args: &[Value],
    ) -> Option<Result<NumericOp>> {
        first_recognized!(
            LuOp::from_keras3(op, c) => NumericOp::Lu,
            NanReduce::from_config(op, c) => NumericOp::NanReduce,
            SearchSorted::from_config(op, c, args) => NumericOp::SearchSorted,
            Update::from_config(op, c, args) => NumericOp::Update,
            NumpyFn::from_config(op, c, args) => NumericOp::Numpy,
            MapCoordinates::from_config(op, c) => NumericOp::MapCoordinates,
            Select::from_config(op, c, args) => NumericOp::Select,
            Psnr::from_config(op, c) => NumericOp::Psnr,
            Rot90::from_config(op, c) => NumericOp::Rot90,
        )
    }

    /// The `tf.<function>` from its call's kwargs (`None`: not one of
    /// these).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<NumericOp>> {
        first_recognized!(
            LuOp::from_tf(function, kwargs) => NumericOp::Lu,
            Update::from_tf(function, kwargs) => NumericOp::Update,
            Rot90::from_tf(function, kwargs) => NumericOp::Rot90,
            Dct::from_tf(function, kwargs) => NumericOp::Dct,
            Pool3d::from_tf(function, kwargs) => NumericOp::Pool3d,
            SearchSorted::from_tf(function, kwargs) => NumericOp::SearchSorted,
            Psnr::from_tf(function, kwargs) => NumericOp::Psnr,
            AdjustHue::from_tf(function, kwargs) => NumericOp::AdjustHue,
        )
    }

    /// Each sample computed alone (the batch axis untouched).
    pub(crate) fn per_sample(&self) -> bool {
        match self {
            NumericOp::NanReduce(r) => r.per_sample(),
            NumericOp::SearchSorted(op) => op.per_sample(),
            NumericOp::Select(op) => op.per_sample(),
            NumericOp::Psnr(op) => op.per_sample(),
            NumericOp::Dct(_) | NumericOp::Pool3d(_) | NumericOp::AdjustHue(_) => true,
            // Matrices are the last two axes of a rank-3 (or more) input,
            // which the shape check ensures has a batch axis before them.
            NumericOp::Lu(_) => false,
            NumericOp::Update(_)
            | NumericOp::Rot90(_)
            | NumericOp::Numpy(_)
            | NumericOp::MapCoordinates(_) => false,
        }
    }

    pub(crate) fn shapes(&self, inputs: &[Shape]) -> Out<Vec<Shape>> {
        let x = inputs.first().ok_or("needs an input")?;
        Ok(vec![match self {
            NumericOp::Lu(op) => return op.shapes(inputs),
            NumericOp::Numpy(op) => return op.shapes(inputs),
            NumericOp::NanReduce(op) => op.shape(x)?,
            NumericOp::SearchSorted(op) => op.shape(inputs)?,
            NumericOp::Select(op) => op.shape(inputs)?,
            NumericOp::Psnr(op) => op.shape(inputs)?,
            NumericOp::Update(op) => op.shape(x, inputs.get(1))?,
            NumericOp::Rot90(op) => op.shape(x)?,
            NumericOp::Dct(op) => op.shape(x)?,
            NumericOp::Pool3d(op) => op.shape(x)?,
            NumericOp::AdjustHue(op) => op.shape(x)?,
            NumericOp::MapCoordinates(op) => op.shape(x, inputs.get(1))?,
        }])
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Vec<Tensor>> {
        let x = inputs.first().ok_or("needs an input")?;
        Ok(vec![match self {
            NumericOp::Lu(op) => return op.call(inputs),
            NumericOp::Numpy(op) => return op.call(inputs),
            NumericOp::NanReduce(op) => op.call(x)?,
            NumericOp::SearchSorted(op) => op.call(inputs)?,
            NumericOp::Select(op) => op.call(inputs)?,
            NumericOp::Psnr(op) => op.call(inputs)?,
            NumericOp::Update(op) => op.call(inputs)?,
            NumericOp::Rot90(op) => op.call(inputs)?,
            NumericOp::Dct(op) => op.call(x)?,
            NumericOp::Pool3d(op) => op.call(x)?,
            NumericOp::AdjustHue(op) => op.call(x)?,
            NumericOp::MapCoordinates(op) => op.call(inputs)?,
        }])
    }
}

//! Graph tensors: float32, int32 and bool arrays in row-major order.
//!
//! TensorFlow.js keeps every integer type (int64, uint8, int16, …) as int32,
//! and so does this engine.

use crate::{GraphError, Result};

/// The element type of a [`Tensor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// `float32` (`DT_FLOAT`, also `DT_HALF`/`DT_DOUBLE` as TF.js loads them).
    F32,
    /// `int32` (every TF integer type).
    I32,
    /// `bool`.
    Bool,
}

impl DType {
    /// The TF.js dtype name.
    pub fn as_str(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::I32 => "int32",
            DType::Bool => "bool",
        }
    }

    /// A TensorFlow `DT_*` enum name as TF.js maps it; `None` for types TF.js
    /// cannot hold in a tensor (strings, variants, resources, complex).
    pub fn from_tf(name: &str) -> Option<DType> {
        match name {
            "DT_FLOAT" | "DT_HALF" | "DT_DOUBLE" | "DT_BFLOAT16" => Some(DType::F32),
            "DT_INT32" | "DT_INT64" | "DT_INT8" | "DT_UINT8" | "DT_INT16" | "DT_UINT16"
            | "DT_UINT32" | "DT_UINT64" => Some(DType::I32),
            "DT_BOOL" => Some(DType::Bool),
            _ => None,
        }
    }
}

/// Element storage.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// float32 values.
    F32(Vec<f32>),
    /// int32 values.
    I32(Vec<i32>),
    /// bool values.
    Bool(Vec<bool>),
}

impl Data {
    /// Element count.
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::Bool(v) => v.len(),
        }
    }

    /// No elements?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dtype.
    pub fn dtype(&self) -> DType {
        match self {
            Data::F32(_) => DType::F32,
            Data::I32(_) => DType::I32,
            Data::Bool(_) => DType::Bool,
        }
    }

    /// `[self[i] for i in idx]`, `None` entries filled with zero/false.
    pub fn gather(&self, idx: &[Option<usize>]) -> Data {
        fn g<T: Copy + Default>(v: &[T], idx: &[Option<usize>]) -> Vec<T> {
            idx.iter()
                .map(|i| i.map_or(T::default(), |i| v[i]))
                .collect()
        }
        match self {
            Data::F32(v) => Data::F32(g(v, idx)),
            Data::I32(v) => Data::I32(g(v, idx)),
            Data::Bool(v) => Data::Bool(g(v, idx)),
        }
    }

    /// `[self[i] for i in idx]` (every index in range).
    pub fn take(&self, idx: &[usize]) -> Data {
        fn g<T: Copy>(v: &[T], idx: &[usize]) -> Vec<T> {
            idx.iter().map(|&i| v[i]).collect()
        }
        match self {
            Data::F32(v) => Data::F32(g(v, idx)),
            Data::I32(v) => Data::I32(g(v, idx)),
            Data::Bool(v) => Data::Bool(g(v, idx)),
        }
    }

    /// Concatenate data of one dtype (the caller checked the dtypes agree).
    pub fn concat(parts: &[&Data], dtype: DType) -> Data {
        match dtype {
            DType::F32 => Data::F32(parts.iter().flat_map(|p| p.to_f32()).collect()),
            DType::I32 => Data::I32(parts.iter().flat_map(|p| p.to_i32()).collect()),
            DType::Bool => Data::Bool(parts.iter().flat_map(|p| p.to_bool()).collect()),
        }
    }

    /// As float32 (bool → 0/1).
    pub fn to_f32(&self) -> Vec<f32> {
        match self {
            Data::F32(v) => v.clone(),
            Data::I32(v) => v.iter().map(|&x| x as f32).collect(),
            Data::Bool(v) => v.iter().map(|&x| x as i32 as f32).collect(),
        }
    }

    /// As int32 (float → truncated toward zero like `Int32Array.from`; NaN → 0).
    pub fn to_i32(&self) -> Vec<i32> {
        match self {
            Data::F32(v) => v.iter().map(|&x| x as i32).collect(),
            Data::I32(v) => v.clone(),
            Data::Bool(v) => v.iter().map(|&x| x as i32).collect(),
        }
    }

    /// As bool (non-zero → true).
    pub fn to_bool(&self) -> Vec<bool> {
        match self {
            Data::F32(v) => v.iter().map(|&x| x != 0.0).collect(),
            Data::I32(v) => v.iter().map(|&x| x != 0).collect(),
            Data::Bool(v) => v.clone(),
        }
    }

    /// Converted to `dtype`.
    pub fn cast(self, dtype: DType) -> Data {
        if self.dtype() == dtype {
            return self;
        }
        match dtype {
            DType::F32 => Data::F32(self.to_f32()),
            DType::I32 => Data::I32(self.to_i32()),
            DType::Bool => Data::Bool(self.to_bool()),
        }
    }
}

/// A dense tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Data,
}

/// Product of dimensions, `None` on overflow.
pub fn num_elements(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

/// Row-major strides of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

impl Tensor {
    /// A tensor; errors when `data` does not hold `prod(shape)` values.
    pub fn new(shape: Vec<usize>, data: Data) -> Result<Tensor> {
        match num_elements(&shape) {
            Some(n) if n == data.len() => Ok(Tensor { shape, data }),
            _ => Err(GraphError::Input(format!(
                "shape {shape:?} does not match {} values",
                data.len()
            ))),
        }
    }

    /// A float32 tensor.
    pub fn f32(shape: Vec<usize>, v: Vec<f32>) -> Result<Tensor> {
        Tensor::new(shape, Data::F32(v))
    }

    /// An int32 tensor.
    pub fn i32(shape: Vec<usize>, v: Vec<i32>) -> Result<Tensor> {
        Tensor::new(shape, Data::I32(v))
    }

    /// A bool tensor.
    pub fn bool(shape: Vec<usize>, v: Vec<bool>) -> Result<Tensor> {
        Tensor::new(shape, Data::Bool(v))
    }

    /// A float32 scalar.
    pub fn scalar_f32(x: f32) -> Tensor {
        Tensor {
            shape: vec![],
            data: Data::F32(vec![x]),
        }
    }

    /// An int32 scalar.
    pub fn scalar_i32(x: i32) -> Tensor {
        Tensor {
            shape: vec![],
            data: Data::I32(vec![x]),
        }
    }

    /// An int32 vector.
    pub fn vec_i32(v: Vec<i32>) -> Tensor {
        Tensor {
            shape: vec![v.len()],
            data: Data::I32(v),
        }
    }

    /// Dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Rank.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Element count.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// No elements?
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.data.dtype()
    }

    /// The values.
    pub fn data(&self) -> &Data {
        &self.data
    }

    /// Shape and values.
    pub fn into_parts(self) -> (Vec<usize>, Data) {
        (self.shape, self.data)
    }

    /// float32 values without copying, if float32.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            Data::F32(v) => Some(v),
            _ => None,
        }
    }

    /// Values as float32 (converted when needed).
    pub fn to_f32(&self) -> Vec<f32> {
        self.data.to_f32()
    }

    /// Values as int32 (converted when needed).
    pub fn to_i32(&self) -> Vec<i32> {
        self.data.to_i32()
    }

    /// Same data, another shape with the same element count.
    pub fn reshape(self, shape: Vec<usize>) -> Result<Tensor> {
        Tensor::new(shape, self.data)
    }

    /// Converted to `dtype`.
    pub fn cast(self, dtype: DType) -> Tensor {
        Tensor {
            shape: self.shape,
            data: self.data.cast(dtype),
        }
    }

    /// Into the layers engine's tensor (bool becomes int32 0/1), for io.json
    /// comparison and output.
    pub fn to_layers(&self) -> tfjs_layers::Tensor {
        let shape = self.shape.clone();
        let t = match &self.data {
            Data::F32(v) => tfjs_layers::Tensor::from_f32(shape, v.clone()),
            d => tfjs_layers::Tensor::from_i32(shape, d.to_i32()),
        };
        t.expect("shape and data length agree by construction")
    }

    /// From the layers engine's tensor; the graph engine has no string
    /// tensors.
    pub fn from_layers(t: &tfjs_layers::Tensor) -> crate::Result<Tensor> {
        let data = match t.data() {
            tfjs_layers::TensorData::F32(v) => Data::F32(v.clone()),
            tfjs_layers::TensorData::I32(v) => Data::I32(v.clone()),
            tfjs_layers::TensorData::Str(_) => {
                return Err(crate::GraphError::Input(
                    "string inputs are not supported by graph models here (float32, int32 and bool are)".into(),
                ))
            }
        };
        Ok(Tensor {
            shape: t.shape().to_vec(),
            data,
        })
    }
}

//! A minimal dense tensor: shape + row-major data.

/// Element storage.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    F32(Vec<f32>),
    I32(Vec<i32>),
    /// UTF-8 strings: the inputs of Keras's `StringLookup` and `Hashing`.
    /// Only layers that say [`Layer::takes_strings`](crate::Layer::takes_strings)
    /// are given them (the model checks this when it is built).
    Str(Vec<String>),
}

/// A dense, row-major tensor.
///
/// ```
/// use tfjs_layers::Tensor;
/// let t = Tensor::from_f32(vec![2, 3], vec![0.0; 6]).unwrap();
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t.len(), 6);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: TensorData,
}

impl Tensor {
    /// An f32 tensor; errors if `data.len()` is not the product of `shape`.
    pub fn from_f32(shape: Vec<usize>, data: Vec<f32>) -> crate::Result<Tensor> {
        Self::new(shape, TensorData::F32(data))
    }

    /// An i32 tensor; errors if `data.len()` is not the product of `shape`.
    pub fn from_i32(shape: Vec<usize>, data: Vec<i32>) -> crate::Result<Tensor> {
        Self::new(shape, TensorData::I32(data))
    }

    /// A string tensor; errors if `data.len()` is not the product of `shape`.
    pub fn from_strings(shape: Vec<usize>, data: Vec<String>) -> crate::Result<Tensor> {
        Self::new(shape, TensorData::Str(data))
    }

    /// A tensor of zeros.
    pub fn zeros(shape: Vec<usize>) -> Tensor {
        let n = shape.iter().product();
        Tensor {
            shape,
            data: TensorData::F32(vec![0.0; n]),
        }
    }

    fn new(shape: Vec<usize>, data: TensorData) -> crate::Result<Tensor> {
        let n: usize = shape.iter().product();
        let len = match &data {
            TensorData::F32(v) => v.len(),
            TensorData::I32(v) => v.len(),
            TensorData::Str(v) => v.len(),
        };
        if n != len {
            return Err(crate::LayersError::Input {
                message: format!("tensor of shape {shape:?} needs {n} values, got {len}"),
            });
        }
        Ok(Tensor { shape, data })
    }

    /// Dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The storage.
    pub fn data(&self) -> &TensorData {
        &self.data
    }
    /// Values as f32 (i32 values are converted; borrows when already f32).
    /// Strings have no number: they read as NaN, which no layer sees because
    /// a model gives string tensors only to layers that take strings.
    pub fn to_f32(&self) -> std::borrow::Cow<'_, [f32]> {
        match &self.data {
            TensorData::F32(v) => std::borrow::Cow::Borrowed(v),
            TensorData::I32(v) => std::borrow::Cow::Owned(v.iter().map(|&x| x as f32).collect()),
            TensorData::Str(v) => std::borrow::Cow::Owned(vec![f32::NAN; v.len()]),
        }
    }
    /// The strings, if this is a string tensor.
    pub fn as_strings(&self) -> Option<&[String]> {
        match &self.data {
            TensorData::Str(v) => Some(v),
            _ => None,
        }
    }
    /// The dtype name TF.js and Keras use: `float32`, `int32` or `string`.
    pub fn dtype(&self) -> &'static str {
        match &self.data {
            TensorData::F32(_) => "float32",
            TensorData::I32(_) => "int32",
            TensorData::Str(_) => "string",
        }
    }
    /// The f32 slice, if this is an f32 tensor.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            TensorData::F32(v) => Some(v),
            _ => None,
        }
    }
    /// Mutable f32 slice, if this is an f32 tensor.
    pub fn as_f32_mut(&mut self) -> Option<&mut [f32]> {
        match &mut self.data {
            TensorData::F32(v) => Some(v),
            _ => None,
        }
    }
    /// Take the data.
    pub fn into_parts(self) -> (Vec<usize>, TensorData) {
        (self.shape, self.data)
    }
    /// Same data, new shape (element counts must agree).
    pub fn reshape(self, shape: Vec<usize>) -> crate::Result<Tensor> {
        Self::new(shape, self.data)
    }
}

//! What every layer has: its base config keys ([`Base`]), its weights
//! ([`Params`], or one tensor per weight with [`put_weight`]), and the
//! checks of its inputs, each error naming the layer.

use super::DTypePolicy;
use crate::config::ConfigReader;
use crate::{LayerWeight, LayersError, Result, Shape, Tensor, TensorData};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// The base keys every layer config carries (`name`, `trainable`, and the
/// input-shape keys of a model's first layer).
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub name: String,
    pub trainable: bool,
    /// `batch_input_shape` (or Keras 3 `batch_shape`, or TF.js
    /// `input_shape` + `batch_size`), when the layer was given one.
    pub batch_input_shape: Option<Shape>,
    pub dtype: Option<String>,
    /// The dtype policy: the precision the layer computes in (the model
    /// executor emulates it around the layer's call) and, for Keras 3's
    /// quantized layers, how their weights are quantized. Written back
    /// when it is not plain float32.
    pub policy: DTypePolicy,
}

impl Base {
    /// Read the base keys of `cfg`. A quantized dtype policy is an error:
    /// only the layers Keras quantizes read it
    /// ([`Base::parse_quantizable`]).
    pub fn parse(cfg: &ConfigReader<'_>) -> Result<Base> {
        let base = Self::parse_quantizable(cfg)?;
        if let Some(q) = &base.policy.quantization {
            return Err(cfg.err(
                "dtype",
                format!(
                    "quantized dtype policy `{}` ({} weights): Keras quantizes only Dense, EinsumDense and Embedding layers, which the engine reads quantized",
                    base.policy.name,
                    q.name()
                ),
            ));
        }
        Ok(base)
    }

    /// [`Base::parse`] for a layer that reads its own quantization
    /// ([`DTypePolicy::quantization`]): Dense, EinsumDense, Embedding.
    pub fn parse_quantizable(cfg: &ConfigReader<'_>) -> Result<Base> {
        let mut batch_input_shape = cfg.shape_opt("batch_input_shape")?;
        if batch_input_shape.is_none() {
            batch_input_shape = cfg.shape_opt("batch_shape")?;
        }
        if batch_input_shape.is_none() {
            if let Some(s) = cfg.shape_opt("input_shape")? {
                let batch = match cfg.get("batch_size") {
                    Some(_) => Some(cfg.usize_req("batch_size")?),
                    None => None,
                };
                let mut full = vec![batch];
                full.extend(s);
                batch_input_shape = Some(full);
            }
        }
        // TF.js writes `dtype` with an input shape (float32 unless given);
        // a layer may clear it (see Embedding).
        let dtype = cfg
            .dtype()
            .map(str::to_string)
            .or_else(|| batch_input_shape.as_ref().map(|_| "float32".to_string()));
        let policy = DTypePolicy::parse(cfg.get("dtype")).map_err(|e| cfg.err("dtype", e))?;
        Ok(Base {
            name: cfg.name().to_string(),
            trainable: cfg.bool_or("trainable", true)?,
            batch_input_shape,
            dtype,
            policy,
        })
    }

    /// Write `name`, `trainable` and (when set) `batch_input_shape`, `dtype`.
    pub fn write(&self, m: &mut Map<String, Value>) {
        self.write_name(m);
        self.write_input_shape(m);
    }

    /// A config kept as read, for a layer that writes it back unchanged:
    /// every key but the base ones ([`Base::write`] writes those).
    pub fn rest_of(cfg: &ConfigReader<'_>) -> Map<String, Value> {
        let mut m = cfg.map.clone();
        for key in [
            "name",
            "trainable",
            "dtype",
            "batch_input_shape",
            "input_shape",
            "batch_size",
        ] {
            m.remove(key);
        }
        m
    }

    /// `rest` (from [`Base::rest_of`]) with the base keys written.
    pub fn with_rest(&self, rest: &Map<String, Value>) -> Map<String, Value> {
        let mut m = rest.clone();
        self.write(&mut m);
        m
    }

    /// Write `name`, `trainable`, and `dtype` when its policy is not plain
    /// float32 (TensorFlow.js writes `dtype` only with an input shape, and
    /// has no other policy; a mixed-precision or quantized layer needs it
    /// to compute as Keras does when read back).
    pub fn write_name(&self, m: &mut Map<String, Value>) {
        m.insert("name".into(), json!(self.name));
        m.insert("trainable".into(), json!(self.trainable));
        if let Some(p) = self.policy.written() {
            m.insert("dtype".into(), p.clone());
        }
    }

    /// Write `batch_input_shape` and (when set) `dtype` when the layer has
    /// an input shape.
    pub fn write_input_shape(&self, m: &mut Map<String, Value>) {
        if let Some(s) = &self.batch_input_shape {
            m.insert("batch_input_shape".into(), shape_value(s));
            if let Some(p) = self.policy.written() {
                m.insert("dtype".into(), p.clone());
            } else if let Some(d) = &self.dtype {
                m.insert("dtype".into(), json!(d));
            }
        }
    }

    /// An error about this layer.
    pub fn err(&self, message: impl Into<String>) -> LayersError {
        LayersError::config(&self.name, message)
    }
}

/// A symbolic shape as JSON (`null` for unknown dims).
pub(crate) fn shape_value(s: &Shape) -> Value {
    Value::Array(
        s.iter()
            .map(|d| d.map_or(Value::Null, |d| json!(d)))
            .collect(),
    )
}

/// A layer's weights: descriptions plus values, in TF.js order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    specs: Vec<LayerWeight>,
    values: Vec<Tensor>,
    /// Matrices packed for the kernels from the values, built on first use
    /// and dropped whenever a value changes.
    packed: PackedCache,
}

/// Per weight: that weight as a packed matrix (see [`Params::packed`]),
/// and values derived from the weights (a quantized kernel dequantized,
/// see [`Params::derived`]); the owner replaces the cache whenever a
/// weight changes. A clone starts with empty slots (made again from the
/// cloned values on use).
#[derive(Default)]
pub(crate) struct PackedCache {
    packed: Vec<std::sync::OnceLock<tfjs_kernels::PackedMatrix>>,
    derived: Vec<std::sync::OnceLock<Vec<f32>>>,
}

impl PackedCache {
    /// An empty slot per weight.
    pub fn sized(n: usize) -> Self {
        PackedCache {
            packed: (0..n).map(|_| std::sync::OnceLock::new()).collect(),
            derived: (0..n).map(|_| std::sync::OnceLock::new()).collect(),
        }
    }
    /// Weight `index` packed, by `pack` on first use.
    ///
    /// # Panics
    /// If the cache was not sized for `index`.
    pub fn get_or_pack(
        &self,
        index: usize,
        pack: impl FnOnce() -> tfjs_kernels::PackedMatrix,
    ) -> &tfjs_kernels::PackedMatrix {
        self.packed[index].get_or_init(pack)
    }
    /// Weight `index` packed, if it has been.
    pub fn get(&self, index: usize) -> Option<&tfjs_kernels::PackedMatrix> {
        self.packed.get(index).and_then(std::sync::OnceLock::get)
    }
}

impl Clone for PackedCache {
    fn clone(&self) -> Self {
        PackedCache::sized(self.packed.len())
    }
}

impl std::fmt::Debug for PackedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PackedCache")
    }
}

/// Weights at least this large are checked against the memory left
/// before they are allocated.
const LARGE_WEIGHT_BYTES: u64 = 64 << 20;

/// Bytes of weights allocated (process-wide) since the last check.
static UNCHECKED_BYTES: AtomicU64 = AtomicU64::new(0);

impl Params {
    /// Add a weight filled with `fill`.
    ///
    /// Shapes come from untrusted configs: sizes over
    /// `MAX_WEIGHT_ELEMENTS` are refused before anything is allocated.
    pub fn add(&mut self, name: &str, shape: Vec<usize>, trainable: bool, fill: f32) -> Result<()> {
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= MAX_WEIGHT_ELEMENTS)
            .ok_or_else(|| crate::LayersError::Weights {
                // The engine prefixes the layer name (model::in_layer).
                message: format!(
                    "weight `{name}` of shape {shape:?} is too large (over {MAX_WEIGHT_ELEMENTS} elements): the config is corrupt"
                ),
            })?;
        // Under the element cap a corrupt config can still ask for more
        // than this host (or its cgroup / address-space limit) can serve,
        // and a failed allocation aborts the process: large weights are
        // checked against what is left first (small ones are not, to keep
        // loading fast).
        let bytes = (n as u64).saturating_mul(4);
        // Many weights just under the threshold add up: check whenever
        // that much has been allocated unchecked since the last check.
        let unchecked = UNCHECKED_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if bytes >= LARGE_WEIGHT_BYTES || unchecked >= LARGE_WEIGHT_BYTES {
            UNCHECKED_BYTES.store(0, Ordering::Relaxed);
            if let Some(room) = crate::model::allocatable_bytes() {
                // Headroom for the weights allocated unchecked until the
                // next check, and the allocator's own rounding.
                if bytes.saturating_add(2 * LARGE_WEIGHT_BYTES) > room {
                    return Err(crate::LayersError::Weights {
                        message: format!(
                            "weight `{name}` of shape {shape:?} needs {:.2} GiB, more than the {:.2} GiB this process can still allocate: refusing to allocate it (is the config corrupt?)",
                            bytes as f64 / (1u64 << 30) as f64,
                            room as f64 / (1u64 << 30) as f64
                        ),
                    });
                }
            }
        }
        self.values
            .push(Tensor::from_f32(shape.clone(), vec![fill; n])?);
        self.packed = PackedCache::sized(self.values.len());
        self.specs.push(LayerWeight {
            name: name.to_string(),
            shape,
            trainable,
        });
        Ok(())
    }
    /// Add a weight of integers (a Keras 3 quantized kernel), zero; sizes
    /// are checked as [`Params::add`] checks them.
    pub fn add_int(&mut self, name: &str, shape: Vec<usize>, trainable: bool) -> Result<()> {
        self.add(name, shape.clone(), trainable, 0.0)?;
        let n = shape.iter().product();
        let last = self.values.len() - 1;
        self.values[last] = Tensor::from_i32(shape, vec![0; n])?;
        Ok(())
    }
    /// Add a normalization's trainable scale `gamma` (ones, when `gamma`)
    /// and offset `beta` (zeros, when `beta`) of `shape`.
    pub fn add_gamma_beta(&mut self, shape: Vec<usize>, gamma: bool, beta: bool) -> Result<()> {
        if gamma {
            self.add("gamma", shape.clone(), true, 1.0)?;
        }
        if beta {
            self.add("beta", shape, true, 0.0)?;
        }
        Ok(())
    }
    /// Add an int32 scalar weight (a counter such as `Normalization`'s
    /// `count`), zero.
    pub fn add_int_scalar(&mut self, name: &str, trainable: bool) -> Result<()> {
        self.values.push(Tensor::from_i32(vec![], vec![0])?);
        self.packed = PackedCache::sized(self.values.len());
        self.specs.push(LayerWeight {
            name: name.to_string(),
            shape: vec![],
            trainable,
        });
        Ok(())
    }
    /// Has `build` created the weights?
    pub fn is_built(&self) -> bool {
        !self.specs.is_empty()
    }
    /// Forget all weights (before a rebuild).
    pub fn clear(&mut self) {
        self.specs.clear();
        self.values.clear();
        self.packed = PackedCache::sized(self.values.len());
    }
    /// Descriptions; a frozen layer's weights are all non-trainable.
    pub fn weights(&self, layer_trainable: bool) -> Vec<LayerWeight> {
        self.specs
            .iter()
            .map(|w| LayerWeight {
                trainable: w.trainable && layer_trainable,
                ..w.clone()
            })
            .collect()
    }
    /// Values, same order as the descriptions.
    pub fn values(&self) -> Vec<&Tensor> {
        self.values.iter().collect()
    }
    /// Replace weight `index`, checking its shape.
    pub fn set(&mut self, layer: &str, index: usize, value: Tensor) -> Result<()> {
        let spec = self.specs.get(index).ok_or_else(|| {
            LayersError::config(
                layer,
                format!(
                    "layer has no weight #{index} (it has {} weights; was it built?)",
                    self.specs.len()
                ),
            )
        })?;
        if value.shape() != spec.shape.as_slice() {
            return Err(LayersError::config(
                layer,
                format!(
                    "weight `{}` must have shape {:?}, got {:?}",
                    spec.name,
                    spec.shape,
                    value.shape()
                ),
            ));
        }
        let int_slot = matches!(self.values[index].data(), TensorData::I32(_));
        let value = match value.data() {
            TensorData::F32(_) => value,
            TensorData::I32(_) if int_slot => value,
            TensorData::I32(_) => {
                let data = value.to_f32().into_owned();
                Tensor::from_f32(value.shape().to_vec(), data)?
            }
            TensorData::Str(_) => {
                return Err(LayersError::config(
                    layer,
                    format!("weight `{}` must be numbers, got strings", spec.name),
                ))
            }
        };
        self.values[index] = value;
        self.packed = PackedCache::sized(self.values.len());
        Ok(())
    }
    /// The f32 values of weight `index` (the layer must be built).
    pub fn get(&self, index: usize) -> &[f32] {
        self.values[index].as_f32().unwrap_or(&[])
    }
    /// Weight `index` as a `[k × n]` matrix packed for
    /// [`tfjs_kernels::dense_packed`], with weight `bias` (`n` values) folded
    /// in; packed on first use and kept until a weight changes. A layer asks
    /// for a given `index` always with the same `bias`.
    pub fn packed(
        &self,
        index: usize,
        bias: Option<usize>,
        k: usize,
        n: usize,
    ) -> &tfjs_kernels::PackedMatrix {
        // Sized with the values by every method that changes them.
        self.packed.get_or_pack(index, || {
            tfjs_kernels::PackedMatrix::new(self.get(index), k, n, bias.map(|b| self.get(b)))
        })
    }
    /// A `[k × n]` matrix made from the weights by `values` (a quantized
    /// kernel dequantized) packed as [`Params::packed`] packs a weight,
    /// with weight `bias` folded in, and kept in weight `index`'s slot
    /// until a weight changes: `values` runs once.
    pub fn packed_derived(
        &self,
        index: usize,
        bias: Option<usize>,
        (k, n): (usize, usize),
        values: impl FnOnce() -> Result<Vec<f32>>,
    ) -> Result<&tfjs_kernels::PackedMatrix> {
        if let Some(p) = self.packed.get(index) {
            return Ok(p);
        }
        let v = values()?;
        Ok(self.packed.get_or_pack(index, || {
            tfjs_kernels::PackedMatrix::new(&v, k, n, bias.map(|b| self.get(b)))
        }))
    }
    /// Values made from the weights by `values` (a quantized kernel
    /// dequantized), kept in weight `index`'s slot until a weight changes:
    /// `values` runs once.
    pub fn derived(
        &self,
        index: usize,
        values: impl FnOnce() -> Result<Vec<f32>>,
    ) -> Result<&[f32]> {
        let slot = self
            .packed
            .derived
            .get(index)
            .ok_or_else(|| crate::LayersError::Weights {
                message: format!("no weight #{index} to derive values from"),
            })?;
        if let Some(v) = slot.get() {
            return Ok(v);
        }
        let v = values()?;
        Ok(slot.get_or_init(|| v))
    }
}

/// `layer`, built from the input shape its config declares (its base's
/// `batch_input_shape`; `parts` gives its base and weights) when it can
/// be, as Keras builds it while loading; otherwise left unbuilt, its
/// weights made at its first call instead.
pub(crate) fn built_if_possible<L: crate::Layer>(
    mut layer: L,
    parts: impl Fn(&mut L) -> (&Base, &mut Params),
) -> L {
    if let Some(s) = parts(&mut layer).0.batch_input_shape.clone() {
        if layer.build(&[s]).is_err() {
            parts(&mut layer).1.clear();
        }
    }
    layer
}

/// Error unless `params` are built.
pub(crate) fn require_built(base: &Base, params: &Params) -> Result<()> {
    if params.is_built() {
        Ok(())
    } else {
        Err(base.err("layer was called before it was built (no weights)"))
    }
}

/// The fully-defined feature dimension at `axis` of a build shape.
pub(crate) fn known_dim(base: &Base, shape: &Shape, axis: usize, what: &str) -> Result<usize> {
    shape.get(axis).copied().flatten().ok_or_else(|| {
        base.err(format!(
            "the {what} dimension of the input (axis {axis} of {}) must be known to build the layer",
            shape_str(shape)
        ))
    })
}

/// `[null, 3]` style text for a symbolic shape.
pub(crate) fn shape_str(s: &Shape) -> String {
    let parts: Vec<String> = s
        .iter()
        .map(|d| d.map_or("null".to_string(), |d| d.to_string()))
        .collect();
    format!("[{}]", parts.join(","))
}

/// The one input shape of a single-input layer.
pub(crate) fn one_shape<'a>(base: &Base, shapes: &'a [Shape]) -> Result<&'a Shape> {
    match shapes {
        [s] => Ok(s),
        _ => Err(base.err(format!("expects exactly 1 input, got {}", shapes.len()))),
    }
}

/// The one input of a single-input layer.
pub(crate) fn one_input<'a>(base: &Base, inputs: &'a [Tensor]) -> Result<&'a Tensor> {
    match inputs {
        [t] => Ok(t),
        _ => Err(base.err(format!("expects exactly 1 input, got {}", inputs.len()))),
    }
}

/// Error unless `rank(shape) == want`.
pub(crate) fn check_rank(base: &Base, got: usize, want: usize, what: &str) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(base.err(format!(
            "expects a rank-{want} input ({what}), got rank {got}"
        )))
    }
}

/// A result tensor (the length is computed by the caller, so a mismatch is
/// reported against the layer).
pub(crate) fn make_tensor(base: &Base, shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor> {
    Tensor::from_f32(shape, data).map_err(|e| base.err(format!("internal shape error: {e}")))
}

/// An input error naming the layer.
pub(crate) fn input_err(layer: &str, message: impl std::fmt::Display) -> LayersError {
    LayersError::Input {
        message: format!("layer `{layer}`: {message}"),
    }
}

/// The f32 values of a tensor (i32 converted).
pub(crate) fn f32s(t: &Tensor) -> std::borrow::Cow<'_, [f32]> {
    t.to_f32()
}

/// Check that `masks[i]`, if present, is `[batch, time]`; return its data.
pub(crate) fn seq_mask<'a>(
    layer: &str,
    masks: &'a [Option<Tensor>],
    i: usize,
    batch: usize,
    time: usize,
) -> Result<Option<std::borrow::Cow<'a, [f32]>>> {
    match masks.get(i).and_then(Option::as_ref) {
        None => Ok(None),
        Some(m) => {
            if m.shape() != [batch, time] {
                return Err(input_err(
                    layer,
                    format!("mask has shape {:?}, expected [{batch}, {time}]", m.shape()),
                ));
            }
            Ok(Some(m.to_f32()))
        }
    }
}

/// The shape of the first input, or an error.
pub(crate) fn first_shape<'a>(layer: &str, inputs: &'a [Shape]) -> Result<&'a Shape> {
    inputs
        .first()
        .ok_or_else(|| input_err(layer, "expected at least one input"))
}

/// The first input tensor, or an error.
pub(crate) fn first_input<'a>(layer: &str, inputs: &'a [Tensor]) -> Result<&'a Tensor> {
    inputs
        .first()
        .ok_or_else(|| input_err(layer, "expected at least one input"))
}

/// `value` has the shape of the weight in `slot`.
fn same_weight_shape(layer: &str, wname: &str, slot: &Tensor, value: &Tensor) -> Result<()> {
    if value.shape() != slot.shape() {
        return Err(LayersError::Weights {
            message: format!(
                "layer `{layer}`: weight `{wname}` has shape {:?}, expected {:?}",
                value.shape(),
                slot.shape()
            ),
        });
    }
    Ok(())
}

/// Replace `slot` by `value` after checking its shape against `want`.
pub(crate) fn put_weight(layer: &str, wname: &str, slot: &mut Tensor, value: Tensor) -> Result<()> {
    same_weight_shape(layer, wname, slot, &value)?;
    let (shape, data) = value.into_parts();
    let data = match data {
        crate::TensorData::F32(v) => v,
        crate::TensorData::I32(v) => v.into_iter().map(|x| x as f32).collect(),
        crate::TensorData::Str(_) => {
            return Err(LayersError::Weights {
                message: format!("layer `{layer}`: weight `{wname}` must be numbers, got strings"),
            })
        }
    };
    *slot = Tensor::from_f32(shape, data)?;
    Ok(())
}

/// [`put_weight`] for a weight of integers (a quantized table): the value
/// is kept as int32 (float values, from a file that stored them so, must
/// be integers).
pub(crate) fn put_int_weight(
    layer: &str,
    wname: &str,
    slot: &mut Tensor,
    value: Tensor,
) -> Result<()> {
    same_weight_shape(layer, wname, slot, &value)?;
    let (shape, data) = value.into_parts();
    let data = match data {
        TensorData::I32(v) => v,
        TensorData::F32(v)
            if v.iter()
                .all(|x| x.fract() == 0.0 && x.abs() <= i32::MAX as f32) =>
        {
            v.into_iter().map(|x| x as i32).collect()
        }
        _ => {
            return Err(LayersError::Weights {
                message: format!(
                    "layer `{layer}`: weight `{wname}` must hold integers (a quantized weight)"
                ),
            })
        }
    };
    *slot = Tensor::from_i32(shape, data)?;
    Ok(())
}

/// Most elements a weight allocated from config numbers may have (2^30,
/// 4 GiB of f32): larger sizes are certainly corrupt configs.
pub(crate) const MAX_WEIGHT_ELEMENTS: usize = 1 << 30;

/// A zero tensor of `shape`, refusing absurd sizes from untrusted configs.
pub(crate) fn alloc_zeros(layer: &str, shape: Vec<usize>) -> Result<Tensor> {
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_WEIGHT_ELEMENTS);
    if n.is_none() {
        return Err(LayersError::config(
            layer,
            format!("weight shape {shape:?} is too large (over {MAX_WEIGHT_ELEMENTS} elements)"),
        ));
    }
    Ok(Tensor::zeros(shape))
}

#[cfg(test)]
mod tests {
    use super::Params;
    use crate::Tensor;
    use tfjs_kernels::{dense_packed, FusedActivation};

    fn dense(p: &Params, x: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; 2];
        dense_packed(
            x,
            1,
            p.packed(0, Some(1), 2, 2),
            FusedActivation::Linear,
            &mut out,
        );
        out
    }

    /// The packed kernel follows the weights: setting either the kernel or
    /// the bias drops it, and a clone packs its own from its own values.
    #[test]
    fn packed_matrices_follow_weight_changes() {
        let mut p = Params::default();
        p.add("kernel", vec![2, 2], true, 1.0).unwrap();
        p.add("bias", vec![2], true, 0.0).unwrap();
        assert_eq!(dense(&p, &[1.0, 2.0]), [3.0, 3.0]);
        p.set(
            "d",
            0,
            Tensor::from_f32(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap(),
        )
        .unwrap();
        assert_eq!(dense(&p, &[1.0, 2.0]), [7.0, 10.0]);
        let before = p.clone();
        p.set("d", 1, Tensor::from_f32(vec![2], vec![0.5, -0.5]).unwrap())
            .unwrap();
        assert_eq!(dense(&p, &[1.0, 2.0]), [7.5, 9.5]);
        assert_eq!(dense(&before, &[1.0, 2.0]), [7.0, 10.0]);
        p.clear();
        p.add("kernel", vec![2, 2], true, 2.0).unwrap();
        p.add("bias", vec![2], true, 1.0).unwrap();
        assert_eq!(dense(&p, &[1.0, 1.0]), [5.0, 5.0]);
    }
}

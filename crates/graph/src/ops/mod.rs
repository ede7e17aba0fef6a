//! The op registry: one module per op family (TF.js's converter groups ops
//! the same way), each listing `(op name, function)` pairs.

use crate::graph::Node;
use crate::tensor::{DType, Tensor};
use crate::{GraphError, Result};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub mod arithmetic;
pub mod basic_math;
pub mod control;
pub mod convolution;
pub mod dynamic;
pub mod image;
pub mod matrices;
pub mod normalization;
pub mod reduction;
pub mod slice_join;
pub mod transformation;

/// A `TensorList*` value (`DT_VARIANT`).
#[derive(Debug, Clone, PartialEq)]
pub struct TensorList {
    /// Items; `None` for reserved slots not yet set.
    pub items: Vec<Option<Arc<Tensor>>>,
    /// Element shape (`-1` unknown dims), `None` when unknown.
    pub element_shape: Option<Vec<i64>>,
    /// Element dtype.
    pub dtype: DType,
}

/// What flows along an edge.
#[derive(Debug, Clone)]
pub enum Value {
    /// A tensor.
    Tensor(Arc<Tensor>),
    /// A tensor list.
    List(Arc<TensorList>),
    /// A TF1 `TensorArrayV3` handle: shared, mutable storage whose writes
    /// are ordered by the graph's `flow` tensors.
    Array(Arc<std::sync::Mutex<TensorList>>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Tensor(a), Value::Tensor(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Value {
    /// Wrap a tensor.
    pub fn t(t: Tensor) -> Value {
        Value::Tensor(Arc::new(t))
    }
}

/// An op's view of the node it runs for and its input values.
pub struct Ctx<'a> {
    /// The node.
    pub node: &'a Node,
    /// Input values, in the node's input order.
    pub inputs: &'a [Value],
    /// State the op keeps for this node between executions (`None` where
    /// the node runs once: constant folding, tests).
    pub cache: Option<&'a NodeCache>,
}

/// Per-node state kept by a [`GraphModel`](crate::GraphModel) between
/// executions: what an op derives from its constant inputs (a convolution's
/// packed filter) is computed on the first run, not on every run.
#[derive(Default)]
pub struct NodeCache(std::sync::Mutex<Option<Arc<dyn std::any::Any + Send + Sync>>>);

impl std::fmt::Debug for NodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NodeCache")
    }
}

impl NodeCache {
    /// The cached `T` when `still_valid` accepts it (the inputs it was
    /// derived from are the same), else `make()`'s result, kept for the
    /// next run.
    pub fn get_or<T: std::any::Any + Send + Sync>(
        &self,
        still_valid: impl Fn(&T) -> bool,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = slot.as_ref().and_then(|v| v.clone().downcast::<T>().ok()) {
            if still_valid(&v) {
                return v;
            }
        }
        let v = Arc::new(make());
        *slot = Some(v.clone());
        v
    }
}

/// An op implementation.
pub type OpFn = fn(&Ctx) -> Result<Vec<Value>>;

/// One output.
pub fn one(t: Tensor) -> Result<Vec<Value>> {
    Ok(vec![Value::t(t)])
}

impl Ctx<'_> {
    /// An error naming this node.
    pub fn err(&self, message: impl Into<String>) -> GraphError {
        GraphError::Op {
            node: self.node.name.clone(),
            op: self.node.op.clone(),
            message: message.into(),
        }
    }

    /// The last dimension of `t`, or an error `"{what} must have rank >= 1"`
    /// for a scalar.
    pub fn last_dim(&self, t: &Tensor, what: &str) -> Result<usize> {
        t.shape()
            .last()
            .copied()
            .ok_or_else(|| self.err(format!("{what} must have rank >= 1")))
    }

    /// Wrap another error with this node's name.
    pub fn wrap(&self, e: GraphError) -> GraphError {
        match e {
            GraphError::Op { .. } => e,
            other => self.err(other.to_string()),
        }
    }

    /// Number of inputs.
    pub fn n(&self) -> usize {
        self.inputs.len()
    }

    /// Tensor input `i`.
    pub fn t(&self, i: usize) -> Result<&Tensor> {
        match self.inputs.get(i) {
            Some(Value::Tensor(t)) => Ok(t),
            Some(Value::List(_) | Value::Array(_)) => {
                Err(self.err(format!("input {i} is a tensor list, expected a tensor")))
            }
            None => Err(self.err(format!(
                "expected at least {} input(s), got {}",
                i + 1,
                self.inputs.len()
            ))),
        }
    }

    /// Tensor input `i`, shared.
    pub fn arc(&self, i: usize) -> Result<Arc<Tensor>> {
        match self.inputs.get(i) {
            Some(Value::Tensor(t)) => Ok(t.clone()),
            _ => self.t(i).map(|t| Arc::new(t.clone())),
        }
    }

    /// List input `i`.
    pub fn list(&self, i: usize) -> Result<&Arc<TensorList>> {
        match self.inputs.get(i) {
            Some(Value::List(l)) => Ok(l),
            _ => Err(self.err(format!("input {i} is not a tensor list"))),
        }
    }

    /// TensorArray handle input `i`.
    pub fn array(&self, i: usize) -> Result<&Arc<std::sync::Mutex<TensorList>>> {
        match self.inputs.get(i) {
            Some(Value::Array(a)) => Ok(a),
            _ => Err(self.err(format!("input {i} is not a TensorArray handle"))),
        }
    }

    /// Integer values of input `i` (int32 or float).
    pub fn ints(&self, i: usize) -> Result<Vec<i64>> {
        Ok(self.t(i)?.to_i32().into_iter().map(i64::from).collect())
    }

    /// The single integer of input `i`.
    pub fn int(&self, i: usize) -> Result<i64> {
        let v = self.ints(i)?;
        match v.as_slice() {
            [x] => Ok(*x),
            _ => Err(self.err(format!("input {i} must hold one integer, has {}", v.len()))),
        }
    }

    /// Integer attribute with a default.
    pub fn attr_i(&self, key: &str, default: i64) -> i64 {
        self.node.attr_i(key).unwrap_or(default)
    }

    /// Bool attribute with a default.
    pub fn attr_b(&self, key: &str, default: bool) -> bool {
        self.node.attr_b(key).unwrap_or(default)
    }

    /// Float attribute with a default.
    pub fn attr_f(&self, key: &str, default: f32) -> f32 {
        self.node.attr_f(key).unwrap_or(default)
    }

    /// Required string attribute.
    pub fn attr_s(&self, key: &str) -> Result<String> {
        self.node
            .attr_s(key)
            .ok_or_else(|| self.err(format!("missing string attribute `{key}`")))
    }

    /// Required integer-list attribute.
    pub fn attr_list_i(&self, key: &str) -> Result<Vec<i64>> {
        self.node
            .attr_list_i(key)
            .ok_or_else(|| self.err(format!("missing list attribute `{key}`")))
    }

    /// Dtype attribute (`DT_*`), if the engine can represent it.
    pub fn attr_dtype(&self, key: &str) -> Result<DType> {
        let s = self
            .node
            .attr_type(key)
            .ok_or_else(|| self.err(format!("missing type attribute `{key}`")))?;
        DType::from_tf(s).ok_or_else(|| self.err(format!("dtype {s} is not supported")))
    }

    /// Normalize a possibly negative axis against `rank`.
    pub fn axis(&self, axis: i64, rank: usize) -> Result<usize> {
        let r = rank as i64;
        let a = if axis < 0 { axis + r } else { axis };
        if a < 0 || a >= r {
            return Err(self.err(format!("axis {axis} is out of range for rank {rank}")));
        }
        Ok(a as usize)
    }
}

fn table() -> &'static HashMap<&'static str, OpFn> {
    static TABLE: OnceLock<HashMap<&'static str, OpFn>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let families: [&[(&str, OpFn)]; 11] = [
            arithmetic::OPS,
            basic_math::OPS,
            control::OPS,
            convolution::OPS,
            dynamic::OPS,
            image::OPS,
            matrices::OPS,
            normalization::OPS,
            reduction::OPS,
            slice_join::OPS,
            transformation::OPS,
        ];
        families.iter().flat_map(|f| f.iter().copied()).collect()
    })
}

/// The implementation of `op`, if there is one.
pub fn lookup(op: &str) -> Option<OpFn> {
    table().get(op).copied()
}

/// Every supported op name, sorted.
pub fn supported_ops() -> Vec<&'static str> {
    let mut v: Vec<&str> = table().keys().copied().collect();
    v.sort_unstable();
    v
}

/// Shape that `a` and `b` broadcast to (NumPy rules).
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for i in 0..r {
        let da = if i + a.len() >= r {
            a[i + a.len() - r]
        } else {
            1
        };
        let db = if i + b.len() >= r {
            b[i + b.len() - r]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// For each element of `out_shape`, the flat index into a tensor of
/// `in_shape` broadcast to it. Consecutive runs are common, so callers with
/// equal shapes should skip this.
pub fn broadcast_index(in_shape: &[usize], out_shape: &[usize]) -> Vec<usize> {
    let r = out_shape.len();
    let off = r - in_shape.len();
    let in_strides = crate::tensor::strides(in_shape);
    let mut bstr = vec![0usize; r];
    for i in 0..in_shape.len() {
        if in_shape[i] != 1 {
            bstr[i + off] = in_strides[i];
        }
    }
    strided_offsets(out_shape, &bstr)
}

/// The flat offset of every element of `shape` (row-major order) in a
/// buffer walked with `strides` (transposes, broadcasts).
pub fn strided_offsets(shape: &[usize], strides: &[usize]) -> Vec<usize> {
    let r = shape.len();
    let n: usize = shape.iter().product();
    let mut idx = Vec::with_capacity(n);
    if n == 0 {
        return idx;
    }
    let mut counter = vec![0usize; r];
    let mut cur = 0usize;
    for _ in 0..n {
        idx.push(cur);
        for d in (0..r).rev() {
            counter[d] += 1;
            cur += strides[d];
            if counter[d] < shape[d] {
                break;
            }
            cur -= strides[d] * counter[d];
            counter[d] = 0;
        }
    }
    idx
}

/// Steps the row-major multi-index `counter` over `dims` to the next
/// position (last dimension fastest), back to all zeros after the last one.
#[inline]
pub(super) fn advance(counter: &mut [usize], dims: &[usize]) {
    for d in (0..counter.len()).rev() {
        counter[d] += 1;
        if counter[d] < dims[d] {
            return;
        }
        counter[d] = 0;
    }
}

/// Apply `f` elementwise over `a` and `b` broadcast together.
pub fn broadcast_map<A: Copy, B: Copy, O>(
    a: &[A],
    ash: &[usize],
    b: &[B],
    bsh: &[usize],
    f: impl Fn(A, B) -> O,
) -> Option<(Vec<usize>, Vec<O>)> {
    let out = broadcast_shape(ash, bsh)?;
    let n: usize = out.iter().product();
    let v = if ash == bsh {
        a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
    } else if b.len() == 1 && a.len() == n {
        let y = b[0];
        a.iter().map(|&x| f(x, y)).collect()
    } else if a.len() == 1 && b.len() == n {
        let x = a[0];
        b.iter().map(|&y| f(x, y)).collect()
    } else if a.len() == n && !b.is_empty() && is_suffix(bsh, &out) {
        let mut v = Vec::with_capacity(n);
        for row in a.chunks(b.len()) {
            v.extend(row.iter().zip(b).map(|(&x, &y)| f(x, y)));
        }
        v
    } else {
        let ia = broadcast_index(ash, &out);
        let ib = broadcast_index(bsh, &out);
        ia.iter().zip(&ib).map(|(&i, &j)| f(a[i], b[j])).collect()
    };
    Some((out, v))
}

/// Is `small` (leading 1s dropped) exactly the trailing dimensions of `big`?
fn is_suffix(small: &[usize], big: &[usize]) -> bool {
    let s: Vec<usize> = small.iter().copied().skip_while(|&d| d == 1).collect();
    s.len() <= big.len() && big[big.len() - s.len()..] == s[..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast_shape(&[2], &[3]), None);
        assert_eq!(broadcast_index(&[3], &[2, 3]), vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(broadcast_index(&[2, 1], &[2, 3]), vec![0, 0, 0, 1, 1, 1]);
        let (s, v) = broadcast_map(&[1, 2], &[2, 1], &[10, 20, 30], &[3], |a, b| a + b).unwrap();
        assert_eq!(s, vec![2, 3]);
        assert_eq!(v, vec![11, 21, 31, 12, 22, 32]);
        let (_, v) =
            broadcast_map(&[1, 2, 3, 4], &[2, 2], &[10, 20], &[1, 2], |a, b| a * b).unwrap();
        assert_eq!(v, vec![10, 40, 30, 80]);
    }
}

/// Helpers for the op families' unit tests.
#[cfg(test)]
pub mod testing {
    use super::{lookup, Ctx, Value};
    use crate::graph::Node;
    use crate::tensor::Tensor;

    /// Run `op` on `inputs` with `attr` (AttrValue JSON object).
    pub fn run(op: &str, inputs: &[Tensor], attr: &str) -> Vec<Value> {
        try_run(op, inputs, attr).unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    /// Like [`run`], returning the error.
    pub fn try_run(op: &str, inputs: &[Tensor], attr: &str) -> crate::Result<Vec<Value>> {
        let node = Node {
            name: format!("test_{op}"),
            op: op.into(),
            inputs: vec![],
            control: vec![],
            attr: serde_json::from_str(attr).expect("attr JSON"),
        };
        let values: Vec<Value> = inputs.iter().cloned().map(Value::t).collect();
        let f = lookup(op).unwrap_or_else(|| panic!("{op} is not registered"));
        f(&Ctx {
            node: &node,
            inputs: &values,
            cache: None,
        })
    }

    /// The first output of [`run`] as a tensor.
    pub fn run1(op: &str, inputs: &[Tensor], attr: &str) -> Tensor {
        match run(op, inputs, attr).into_iter().next() {
            Some(Value::Tensor(t)) => (*t).clone(),
            other => panic!("{op}: expected a tensor output, got {other:?}"),
        }
    }
}

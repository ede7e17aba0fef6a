//! Graph plumbing and control flow: `Placeholder`/`Const` (fed and folded by
//! the executor), the TF1 loop primitives (Enter, Exit, Merge, Switch,
//! NextIteration, LoopCond: run by the executor's frame machinery) and the
//! `TensorList*` value ops.

use super::{one, Ctx, OpFn, TensorList, Value};
use crate::tensor::{DType, Tensor};
use crate::Result;
use std::sync::Arc;

/// Ops the executor itself implements (their entries here only answer
/// "supported" and explain themselves when misused).
pub const EXECUTOR_OPS: &[&str] = &[
    "Placeholder",
    "Const",
    "Enter",
    "RefEnter",
    "Exit",
    "RefExit",
    "Merge",
    "RefMerge",
    "Switch",
    "RefSwitch",
    "NextIteration",
    "RefNextIteration",
    "LoopCond",
    "If",
    "StatelessIf",
    "While",
    "StatelessWhile",
];

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("Placeholder", executor_only),
    ("Const", executor_only),
    ("Enter", executor_only),
    ("RefEnter", executor_only),
    ("Exit", executor_only),
    ("RefExit", executor_only),
    ("Merge", executor_only),
    ("RefMerge", executor_only),
    ("Switch", executor_only),
    ("RefSwitch", executor_only),
    ("NextIteration", executor_only),
    ("RefNextIteration", executor_only),
    ("LoopCond", executor_only),
    ("If", executor_only),
    ("StatelessIf", executor_only),
    ("While", executor_only),
    ("StatelessWhile", executor_only),
    ("TensorListReserve", list_reserve),
    ("EmptyTensorList", list_reserve),
    ("TensorListFromTensor", list_from_tensor),
    ("TensorListGetItem", list_get_item),
    ("TensorListSetItem", list_set_item),
    ("TensorListStack", list_stack),
    ("TensorListLength", list_length),
    ("TensorListPushBack", list_push_back),
    ("TensorListElementShape", list_element_shape),
    ("TensorArrayV3", array_new),
    ("TensorArrayWriteV3", array_write),
    ("TensorArrayReadV3", array_read),
    ("TensorArrayGatherV3", array_gather),
    ("TensorArrayScatterV3", array_scatter),
    ("TensorArraySizeV3", array_size),
    ("TensorArrayCloseV3", |_| Ok(vec![])),
];

/// The flow scalar TensorArray ops pass along to order their effects.
fn flow() -> Value {
    Value::t(Tensor::scalar_f32(0.0))
}

fn lock<'a>(
    c: &Ctx,
    a: &'a std::sync::Mutex<TensorList>,
) -> Result<std::sync::MutexGuard<'a, TensorList>> {
    a.lock()
        .map_err(|_| c.err("the TensorArray is poisoned by an earlier failure"))
}

fn array_new(c: &Ctx) -> Result<Vec<Value>> {
    let n = c.int(0)?;
    if !(0..=1 << 24).contains(&n) {
        return Err(c.err(format!("size {n} is out of range")));
    }
    let list = TensorList {
        items: vec![None; n as usize],
        element_shape: c.node.attr_shape("element_shape").filter(|s| !s.is_empty()),
        dtype: c.attr_dtype("dtype").unwrap_or(DType::F32),
    };
    Ok(vec![
        Value::Array(Arc::new(std::sync::Mutex::new(list))),
        flow(),
    ])
}

/// Set item `k` (growing the array when it is dynamically sized).
fn put(c: &Ctx, l: &mut TensorList, k: i64, t: Arc<Tensor>) -> Result<()> {
    let grow = c.attr_b("dynamic_size", false) || l.items.is_empty();
    if k < 0 || (k as usize >= l.items.len() && !grow) || k >= 1 << 24 {
        return Err(c.err(format!(
            "index {k} is out of range for a TensorArray of {}",
            l.items.len()
        )));
    }
    let k = k as usize;
    if k >= l.items.len() {
        l.items.resize(k + 1, None);
    }
    l.items[k] = Some(t);
    Ok(())
}

fn array_write(c: &Ctx) -> Result<Vec<Value>> {
    let a = c.array(0)?;
    let k = c.int(1)?;
    let v = c.arc(2)?;
    put(c, &mut *lock(c, a)?, k, v)?;
    Ok(vec![flow()])
}

fn get(c: &Ctx, l: &TensorList, k: i64) -> Result<Tensor> {
    match usize::try_from(k).ok().and_then(|k| l.items.get(k)) {
        Some(Some(t)) => Ok((**t).clone()),
        Some(None) => zeros(c, l, None),
        None => Err(c.err(format!(
            "index {k} is out of range for a TensorArray of {}",
            l.items.len()
        ))),
    }
}

fn array_read(c: &Ctx) -> Result<Vec<Value>> {
    let l = lock(c, c.array(0)?)?;
    one(get(c, &l, c.int(1)?)?)
}

fn array_gather(c: &Ctx) -> Result<Vec<Value>> {
    let l = lock(c, c.array(0)?)?;
    let items = c
        .ints(1)?
        .iter()
        .map(|&k| get(c, &l, k))
        .collect::<Result<Vec<Tensor>>>()?;
    stack(
        c,
        items,
        l.dtype,
        l.element_shape.clone().unwrap_or_default(),
    )
}

fn array_scatter(c: &Ctx) -> Result<Vec<Value>> {
    let idx = c.ints(1)?;
    let t = c.t(2)?;
    if t.rank() == 0 || t.shape()[0] != idx.len() {
        return Err(c.err(format!(
            "value {:?} must have {} rows",
            t.shape(),
            idx.len()
        )));
    }
    let sub = t.shape()[1..].to_vec();
    let size: usize = sub.iter().product();
    let mut l = lock(c, c.array(0)?)?;
    for (r, &k) in idx.iter().enumerate() {
        let rows: Vec<usize> = (r * size..(r + 1) * size).collect();
        put(
            c,
            &mut l,
            k,
            Arc::new(Tensor::new(sub.clone(), t.data().take(&rows))?),
        )?;
    }
    Ok(vec![flow()])
}

fn array_size(c: &Ctx) -> Result<Vec<Value>> {
    one(Tensor::scalar_i32(lock(c, c.array(0)?)?.items.len() as i32))
}

fn executor_only(c: &Ctx) -> Result<Vec<Value>> {
    Err(c.err("this op is run by the graph executor, not called directly"))
}

fn element_shape(c: &Ctx, i: usize) -> Result<Option<Vec<i64>>> {
    let t = c.t(i)?;
    // A scalar -1 means "unknown rank".
    if t.rank() == 0 {
        return Ok(None);
    }
    Ok(Some(c.ints(i)?))
}

fn element_dtype(c: &Ctx) -> DType {
    c.attr_dtype("element_dtype").unwrap_or(DType::F32)
}

fn list_reserve(c: &Ctx) -> Result<Vec<Value>> {
    let shape = element_shape(c, 0)?;
    let n = if c.n() > 1 { c.int(1)? } else { 0 };
    if !(0..=1 << 24).contains(&n) {
        return Err(c.err(format!("num_elements {n} is out of range")));
    }
    Ok(vec![Value::List(Arc::new(TensorList {
        items: vec![None; n as usize],
        element_shape: shape,
        dtype: element_dtype(c),
    }))])
}

fn list_from_tensor(c: &Ctx) -> Result<Vec<Value>> {
    let t = c.t(0)?;
    if t.rank() == 0 {
        return Err(c.err("the tensor must have rank >= 1"));
    }
    let n = t.shape()[0];
    let sub: Vec<usize> = t.shape()[1..].to_vec();
    let size: usize = sub.iter().product();
    let items = (0..n)
        .map(|i| {
            let idx: Vec<usize> = (i * size..(i + 1) * size).collect();
            Ok(Some(Arc::new(Tensor::new(
                sub.clone(),
                t.data().take(&idx),
            )?)))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(vec![Value::List(Arc::new(TensorList {
        items,
        element_shape: Some(sub.iter().map(|&d| d as i64).collect()),
        dtype: t.dtype(),
    }))])
}

fn index(c: &Ctx, list: &TensorList, i: usize) -> Result<usize> {
    let k = c.int(i)?;
    if k < 0 || k as usize >= list.items.len() {
        return Err(c.err(format!(
            "index {k} is out of range for a list of {}",
            list.items.len()
        )));
    }
    Ok(k as usize)
}

/// Zeros of the list's element shape, for reads of unset slots.
fn zeros(c: &Ctx, list: &TensorList, fallback: Option<&[i64]>) -> Result<Tensor> {
    let dims = list
        .element_shape
        .as_deref()
        .filter(|s| s.iter().all(|&d| d >= 0))
        .or(fallback.filter(|s| s.iter().all(|&d| d >= 0)))
        .ok_or_else(|| c.err("reading an unset list item whose shape is unknown"))?;
    let shape = super::transformation::dims_to_shape(c, dims)?;
    Ok(Tensor::f32(shape.clone(), vec![0.0; shape.iter().product()])?.cast(list.dtype))
}

fn list_get_item(c: &Ctx) -> Result<Vec<Value>> {
    let l = c.list(0)?;
    let i = index(c, l, 1)?;
    match &l.items[i] {
        Some(t) => Ok(vec![Value::Tensor(t.clone())]),
        None => one(zeros(c, l, element_shape(c, 2).ok().flatten().as_deref())?),
    }
}

fn list_set_item(c: &Ctx) -> Result<Vec<Value>> {
    let l = c.list(0)?;
    let i = index(c, l, 1)?;
    let mut nl = (**l).clone();
    nl.items[i] = Some(c.arc(2)?);
    Ok(vec![Value::List(Arc::new(nl))])
}

fn list_push_back(c: &Ctx) -> Result<Vec<Value>> {
    let l = c.list(0)?;
    let mut nl = (**l).clone();
    nl.items.push(Some(c.arc(1)?));
    Ok(vec![Value::List(Arc::new(nl))])
}

fn list_length(c: &Ctx) -> Result<Vec<Value>> {
    one(Tensor::scalar_i32(c.list(0)?.items.len() as i32))
}

fn list_element_shape(c: &Ctx) -> Result<Vec<Value>> {
    let l = c.list(0)?;
    one(match &l.element_shape {
        Some(s) => Tensor::vec_i32(s.iter().map(|&d| d as i32).collect()),
        None => Tensor::scalar_i32(-1),
    })
}

fn list_stack(c: &Ctx) -> Result<Vec<Value>> {
    let l = c.list(0)?;
    let fallback = element_shape(c, 1).ok().flatten();
    let items = l
        .items
        .iter()
        .map(|t| match t {
            Some(t) => Ok((**t).clone()),
            None => zeros(c, l, fallback.as_deref()),
        })
        .collect::<Result<Vec<Tensor>>>()?;
    let dims = l.element_shape.clone().or(fallback).unwrap_or_default();
    stack(c, items, l.dtype, dims)
}

/// Stack equally shaped items along a new first axis (`dims` shapes an empty result).
fn stack(c: &Ctx, items: Vec<Tensor>, dtype: DType, dims: Vec<i64>) -> Result<Vec<Value>> {
    if items.is_empty() {
        let mut shape = vec![0usize];
        shape.extend(dims.iter().map(|&d| d.max(0) as usize));
        return one(Tensor::f32(shape, vec![])?.cast(dtype));
    }
    let first = items[0].shape().to_vec();
    if items.iter().any(|t| t.shape() != first.as_slice()) {
        return Err(c.err("list items have different shapes and cannot be stacked"));
    }
    let datas: Vec<&crate::tensor::Data> = items.iter().map(|t| t.data()).collect();
    let mut shape = vec![items.len()];
    shape.extend(&first);
    one(Tensor::new(
        shape,
        crate::tensor::Data::concat(&datas, dtype),
    )?)
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::run;
    use crate::ops::{lookup, Ctx, Value};
    use crate::tensor::Tensor;

    #[test]
    fn tensor_list_round_trip() {
        let attr = r#"{"element_dtype": {"type": "DT_INT32"}}"#;
        let l = run(
            "TensorListReserve",
            &[Tensor::vec_i32(vec![2]), Tensor::scalar_i32(2)],
            attr,
        );
        let node = crate::graph::Node {
            name: "set".into(),
            op: "TensorListSetItem".into(),
            inputs: vec![],
            control: vec![],
            attr: serde_json::from_str(attr).unwrap(),
        };
        let inputs = vec![
            l[0].clone(),
            Value::t(Tensor::scalar_i32(1)),
            Value::t(Tensor::vec_i32(vec![7, 8])),
        ];
        let set = lookup("TensorListSetItem").unwrap()(&Ctx {
            node: &node,
            inputs: &inputs,
            cache: None,
        })
        .unwrap();
        let stack_in = vec![set[0].clone(), Value::t(Tensor::vec_i32(vec![2]))];
        let st = lookup("TensorListStack").unwrap()(&Ctx {
            node: &node,
            inputs: &stack_in,
            cache: None,
        })
        .unwrap();
        match &st[0] {
            Value::Tensor(t) => {
                assert_eq!(t.shape(), &[2, 2]);
                assert_eq!(t.to_i32(), vec![0, 0, 7, 8]);
            }
            _ => panic!(),
        }
    }
}

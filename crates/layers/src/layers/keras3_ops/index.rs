//! `x[key]` (`GetItem`, also Keras 2's `SlicingOpLambda`) and
//! `ops.einsum`: their arguments as Keras writes them, their symbolic
//! output shapes and their evaluation (errors are messages the operation
//! prefixes with its name).

use super::super::common::*;
use super::Operand;
use crate::{Shape, Tensor};
use serde_json::Value;
use std::collections::HashMap;

/// One entry of a `GetItem` key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Index {
    /// `start:stop:step` (Python semantics, negatives from the end).
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// An integer: picks one position and drops the axis.
    At(i64),
    /// `...`: as many whole axes as the other entries leave.
    Ellipsis,
    /// `None` (`tf.newaxis`): a new axis of size 1 in the output.
    NewAxis,
}

/// `key` with its `...` (at most one) replaced by whole-axis slices for a
/// rank-`rank` input.
pub(crate) fn expand_ellipsis(key: &[Index], rank: usize) -> Out<Vec<Index>> {
    let Some(at) = key.iter().position(|k| matches!(k, Index::Ellipsis)) else {
        return Ok(key.to_vec());
    };
    if key[at + 1..].iter().any(|k| matches!(k, Index::Ellipsis)) {
        return Err("a key may hold one Ellipsis (...)".into());
    }
    let consumed = key.len() - 1 - key.iter().filter(|k| matches!(k, Index::NewAxis)).count();
    let fill = rank
        .checked_sub(consumed)
        .ok_or_else(|| format!("key of {consumed} entries for rank {rank}"))?;
    let mut out = key[..at].to_vec();
    out.extend(std::iter::repeat_n(Index::Slice(None, None, None), fill));
    out.extend_from_slice(&key[at + 1..]);
    Ok(out)
}

/// An `ops.einsum` equation: parsed once when it names every axis
/// (`ij,jk->ik`, the kernels' equation), or, with an ellipsis
/// (`...si,...id->...sd`, TokenLearner's), kept as written and resolved
/// for the operands' ranks when they are known.
#[derive(Debug, Clone)]
pub(crate) enum Einsum {
    Fixed(tfjs_kernels::einsum::Equation),
    Ellipsis(String),
}

pub(crate) fn parse_einsum(eq: &str) -> Option<Einsum> {
    if !eq.contains("...") {
        return tfjs_kernels::einsum::Equation::parse(eq)
            .ok()
            .map(Einsum::Fixed);
    }
    // Valid once each `...` stands for no axis (and the output has one
    // exactly when an operand does).
    let (lhs, out) = eq.split_once("->")?;
    (lhs.contains("...") == out.contains("..."))
        .then(|| expand_einsum_ellipsis(eq, &vec![None; lhs.split(',').count()]).ok())
        .flatten()
        .map(|_| Einsum::Ellipsis(eq.to_string()))
}

/// `eq` with each operand's `...` replaced by letters the equation does
/// not use, one per axis it stands for (an operand's rank minus its
/// letters; `None`: no axis), aligned from the right as NumPy broadcasts
/// them; the output's `...` by all of them.
fn expand_einsum_ellipsis(
    eq: &str,
    ranks: &[Option<usize>],
) -> Out<tfjs_kernels::einsum::Equation> {
    let eq: String = eq.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, out) = eq
        .split_once("->")
        .ok_or_else(|| format!("equation {eq:?} needs an explicit `->` output"))?;
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != ranks.len() {
        return Err(format!(
            "equation {eq:?} names {} operands, got {}",
            terms.len(),
            ranks.len()
        ));
    }
    let counts = terms
        .iter()
        .zip(ranks)
        .map(|(t, r)| {
            let letters = t.replace("...", "").chars().count();
            match (t.contains("..."), r) {
                (false, _) | (true, None) => Ok(0),
                (true, Some(r)) => r.checked_sub(letters).ok_or_else(|| {
                    format!("operand {t:?} names {letters} axes of a rank-{r} operand")
                }),
            }
        })
        .collect::<Out<Vec<usize>>>()?;
    let most = counts.iter().copied().max().unwrap_or(0);
    let fresh: Vec<char> = ('A'..='Z')
        .chain('a'..='z')
        .filter(|c| !eq.contains(*c))
        .take(most)
        .collect();
    if fresh.len() < most {
        return Err(format!("equation {eq:?}: too many axes under its ellipsis"));
    }
    let fill = |n: usize| fresh[most - n..].iter().collect::<String>();
    let lhs = terms
        .iter()
        .zip(&counts)
        .map(|(t, &n)| t.replace("...", &fill(n)))
        .collect::<Vec<_>>()
        .join(",");
    tfjs_kernels::einsum::Equation::parse(&format!("{lhs}->{}", out.replace("...", &fill(most))))
}

impl Einsum {
    /// The equation for operands of these ranks.
    fn resolve(
        &self,
        ranks: &[usize],
    ) -> Out<std::borrow::Cow<'_, tfjs_kernels::einsum::Equation>> {
        match self {
            Einsum::Fixed(e) => Ok(std::borrow::Cow::Borrowed(e)),
            Einsum::Ellipsis(eq) => {
                let ranks: Vec<Option<usize>> = ranks.iter().map(|&r| Some(r)).collect();
                expand_einsum_ellipsis(eq, &ranks).map(std::borrow::Cow::Owned)
            }
        }
    }

    /// The number of operands.
    fn operands(&self) -> usize {
        match self {
            Einsum::Fixed(e) => e.inputs.len(),
            Einsum::Ellipsis(eq) => eq.split("->").next().map_or(0, |l| l.split(',').count()),
        }
    }
}

/// `tf.slice(x, begin, size)` / `ops.slice(x, start_indices, shape)` as a
/// key (batch axis included): `None` unless the starts are non-negative and
/// there is one size (or -1, to the end of the axis) per start.
pub(crate) fn slice_key(start: &[i64], size: &[i64]) -> Option<Vec<Index>> {
    if start.len() != size.len() || start.iter().any(|&b| b < 0) || size.iter().any(|&n| n < -1) {
        return None;
    }
    Some(
        start
            .iter()
            .zip(size)
            .map(|(&b, &n)| Index::Slice(Some(b), (n >= 0).then_some(b + n), None))
            .collect(),
    )
}

pub(crate) fn parse_key(v: &Value) -> Option<Vec<Index>> {
    let one = |v: &Value| -> Option<Index> {
        if let Some(i) = v.as_i64() {
            return Some(Index::At(i));
        }
        if v.is_null() {
            return Some(Index::NewAxis);
        }
        // Keras 3: {"class_name": "__slice__", "config": {…}}; Keras 2's
        // SlicingOpLambda: {"start": …, "stop": …, "step": …}.
        let c = match v.get("class_name").and_then(Value::as_str) {
            Some("__slice__") => v.get("config")?,
            Some("__ellipsis__") => return Some(Index::Ellipsis),
            Some(_) => return None,
            None if v.get("start").is_some()
                || v.get("stop").is_some()
                || v.get("step").is_some() =>
            {
                v
            }
            None => return None,
        };
        let f = |k: &str| c.get(k).and_then(Value::as_i64);
        Some(Index::Slice(f("start"), f("stop"), f("step")))
    };
    match v {
        Value::Array(a) => a.iter().map(one).collect(),
        other => Some(vec![one(other)?]),
    }
}

/// `(start, len, step)` of a Python slice over `n` positions.
pub(crate) fn slice_range(
    n: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
) -> Option<(i64, usize, i64)> {
    let n = n as i64;
    let step = step.unwrap_or(1);
    if step == 0 {
        return None;
    }
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let norm = |v: i64| if v < 0 { v + n } else { v };
    let (start, stop) = if step > 0 {
        (
            clamp(start.map_or(0, norm), 0, n),
            clamp(stop.map_or(n, norm), 0, n),
        )
    } else {
        (
            clamp(start.map_or(n - 1, norm), -1, n - 1),
            clamp(
                stop.map_or(-1, |v| if v < 0 { v + n } else { v }),
                -1,
                n - 1,
            ),
        )
    };
    let len = if step > 0 {
        ((stop - start).max(0) + step - 1) / step
    } else {
        ((start - stop).max(0) + (-step) - 1) / (-step)
    };
    Some((start, len as usize, step))
}

type Out<T> = std::result::Result<T, String>;

/// The `k`-th operand of `inputs`.
fn operand<T>(inputs: &[T], k: usize) -> Out<&T> {
    inputs
        .get(k)
        .ok_or_else(|| format!("needs input {k}, has {}", inputs.len()))
}

/// Row-major strides of `shape`.
pub(crate) fn strides_of(s: &[usize]) -> Vec<usize> {
    let mut strides = vec![1usize; s.len()];
    for d in (0..s.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * s[d + 1];
    }
    strides
}

/// The symbolic shape of `x[key]`.
pub(crate) fn get_item_shape(s: &Shape, key: &[Index]) -> Out<Shape> {
    let (key, new_axes) = without_new_axes(&expand_ellipsis(key, s.len())?);
    let mut out = indexed_shape(s, &key)?;
    for at in new_axes {
        out.insert(at, Some(1));
    }
    Ok(out)
}

/// `key` without its `NewAxis` entries, and where each puts its size-1
/// axis in the output (in increasing order).
fn without_new_axes(key: &[Index]) -> (Vec<Index>, Vec<usize>) {
    let (mut real, mut at, mut out) = (Vec::new(), Vec::new(), 0);
    for k in key {
        match k {
            Index::NewAxis => {
                at.push(out);
                out += 1;
            }
            Index::At(_) => real.push(*k),
            _ => {
                real.push(*k);
                out += 1;
            }
        }
    }
    (real, at)
}

/// The symbolic shape of `x[key]`, `key` without `...` and new axes.
fn indexed_shape(s: &Shape, key: &[Index]) -> Out<Shape> {
    if key.len() > s.len() {
        return Err(format!("key of {} entries for {}", key.len(), shape_str(s)));
    }
    let mut out = Vec::new();
    for (i, d) in s.iter().enumerate() {
        match key.get(i) {
            None => out.push(*d),
            Some(Index::At(_)) => {}
            Some(Index::Ellipsis | Index::NewAxis) => unreachable!("expanded above"),
            Some(Index::Slice(a, b, st)) => out.push(match d {
                Some(n) => Some(slice_range(*n, *a, *b, *st).ok_or("slice step 0")?.1),
                None => None,
            }),
        }
    }
    Ok(out)
}

/// `x[key]`: the output's shape and values.
pub(crate) fn get_item(x: &Tensor, key: &[Index]) -> Out<(Vec<usize>, Vec<f32>)> {
    let (key, new_axes) = without_new_axes(&expand_ellipsis(key, x.rank())?);
    let (mut shape, out) = indexed(x, &key)?;
    for at in new_axes {
        shape.insert(at, 1);
    }
    Ok((shape, out))
}

/// `x[key]`, `key` without `...` and new axes.
fn indexed(x: &Tensor, key: &[Index]) -> Out<(Vec<usize>, Vec<f32>)> {
    let s = x.shape();
    if key.len() > s.len() {
        return Err(format!("key of {} entries for {s:?}", key.len()));
    }
    // Per axis: (first position, count, step), and whether it stays.
    let mut ranges = Vec::with_capacity(s.len());
    for (i, &n) in s.iter().enumerate() {
        ranges.push(match key.get(i) {
            None => (0i64, n, 1i64, true),
            Some(Index::At(p)) => {
                let p = if *p < 0 { p + n as i64 } else { *p };
                if !(0..n as i64).contains(&p) {
                    return Err(format!("index {p} out of range for axis {i} of {s:?}"));
                }
                (p, 1, 1, false)
            }
            Some(Index::Ellipsis | Index::NewAxis) => unreachable!("expanded above"),
            Some(Index::Slice(a, b, st)) => {
                let (start, len, step) = slice_range(n, *a, *b, *st).ok_or("slice step 0")?;
                (start, len, step, true)
            }
        });
    }
    let strides = strides_of(s);
    let counts: Vec<usize> = ranges.iter().map(|r| r.1).collect();
    let n: usize = counts.iter().product();
    let xs = f32s(x);
    let out = (0..n)
        .map(|i| {
            let mut rem = i;
            let mut src = 0i64;
            for d in (0..s.len()).rev() {
                let c = (rem % counts[d]) as i64;
                rem /= counts[d];
                let (start, _, step, _) = ranges[d];
                src += (start + c * step) * strides[d] as i64;
            }
            xs[src as usize]
        })
        .collect();
    let shape: Vec<usize> = ranges.iter().filter(|r| r.3).map(|r| r.1).collect();
    Ok((shape, out))
}

/// An einsum's operand `k`: the call's `k`-th argument (a tensor input
/// or a constant array, as in `ops.einsum("ij,bjf->bif", adjacency, h)`),
/// or the `k`-th input when the file lists no arguments.
fn einsum_operand<'a, T>(
    args: &'a [Operand],
    inputs: &'a [T],
    k: usize,
    constant: impl Fn(&'a Tensor) -> Out<&'a T>,
) -> Out<&'a T> {
    match args.get(k) {
        None if args.is_empty() => operand(inputs, k),
        None => Err(format!("needs operand {k}, the call has {}", args.len())),
        Some(Operand::Input(i)) => operand(inputs, *i),
        Some(Operand::Const(t)) => constant(t),
        Some(Operand::Scalar(_)) => Err(format!("operand {k} is a number, not an array")),
    }
}

/// The symbolic shape of an einsum whose operands are `args` (see
/// [`einsum_operand`]).
pub(super) fn einsum_shape(e: &Einsum, args: &[Operand], inputs: &[Shape]) -> Out<Shape> {
    let consts: Vec<Option<Shape>> = args
        .iter()
        .map(|a| match a {
            Operand::Const(t) => Some(t.shape().iter().map(|&d| Some(d)).collect()),
            _ => None,
        })
        .collect();
    let shape_of = |k: usize| {
        einsum_operand(args, inputs, k, |_| {
            consts[k].as_ref().ok_or_else(|| "no constant".to_string())
        })
    };
    let ranks = (0..e.operands())
        .map(|k| shape_of(k).map(Vec::len))
        .collect::<Out<Vec<usize>>>()?;
    let e = e.resolve(&ranks)?;
    let mut dims: HashMap<char, Option<usize>> = HashMap::new();
    for (k, labels) in e.inputs.iter().enumerate() {
        let s = shape_of(k)?;
        if s.len() != labels.len() {
            return Err(format!(
                "operand {k} has rank {}, the equation says {}",
                s.len(),
                labels.len()
            ));
        }
        for (l, d) in labels.iter().zip(s) {
            let entry = dims.entry(*l).or_insert(*d);
            if entry.is_none() {
                *entry = *d;
            }
        }
    }
    Ok(e.output
        .iter()
        .map(|l| dims.get(l).copied().flatten())
        .collect())
}

/// An einsum of `args` (see [`einsum_operand`]): the output's shape and
/// values.
pub(super) fn einsum(
    e: &Einsum,
    args: &[Operand],
    inputs: &[Tensor],
) -> Out<(Vec<usize>, Vec<f32>)> {
    let tensors = (0..e.operands())
        .map(|k| einsum_operand(args, inputs, k, Ok))
        .collect::<Out<Vec<&Tensor>>>()?;
    let ranks: Vec<usize> = tensors.iter().map(|t| t.shape().len()).collect();
    let e = e.resolve(&ranks)?;
    let values: Vec<std::borrow::Cow<'_, [f32]>> = tensors.iter().map(|t| f32s(t)).collect();
    let operands: Vec<(&[f32], &[usize])> = values
        .iter()
        .zip(&tensors)
        .map(|(v, t)| (&v[..], t.shape()))
        .collect();
    let (out, shape) = e.eval(&operands)?;
    Ok((shape, out))
}

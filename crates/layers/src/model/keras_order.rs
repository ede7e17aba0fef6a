//! The order in which Keras runs a functional model's calls, for the one
//! effect that depends on it: a call that removes the Keras masks of its
//! input tensors ([`crate::Layer::node_cleared_masks`], Keras 3's
//! `MultiHeadAttention`) hides them from every call Keras runs after it,
//! whatever order the executor picks.
//!
//! Keras runs `Function._nodes_by_depth` from the deepest depth down
//! (keras/src/ops/function.py, `_run_through_graph`), the nodes of one
//! depth in the order `map_graph` first met them; this is `map_graph`'s
//! computation (`_build_map`'s depth-first walk from the outputs, then the
//! depths, shared layers at their deepest node's depth).

use super::{Call, ModelLayer, TensorInfo};
use std::collections::{HashMap, HashSet};

/// Marks, on every call, the inputs whose propagated masks an earlier
/// call (in Keras's order) removed ([`Call::masks_cleared`]). Does
/// nothing, without a walk, when no call removes masks.
pub(super) fn mark_cleared_masks(
    layers: &[ModelLayer],
    calls: &mut [Vec<Call>],
    tensors: &[TensorInfo],
    outputs: &[usize],
) {
    // The tensors each clearing call removes the masks of.
    let mut removes: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (l, layer_calls) in calls.iter().enumerate() {
        let ModelLayer::Layer(layer) = &layers[l] else {
            continue;
        };
        for (c, call) in layer_calls.iter().enumerate() {
            let ks = layer.node_cleared_masks(call.inputs.len(), super::node_kwargs(&call.kwargs));
            if !ks.is_empty() {
                let ts = ks
                    .iter()
                    .filter_map(|&k| call.inputs.get(k).copied())
                    .collect();
                removes.insert((l, c), ts);
            }
        }
    }
    if removes.is_empty() {
        return;
    }
    let order = keras_order(calls, tensors, outputs);
    let mut cleared: HashSet<usize> = HashSet::new();
    for node in order {
        let call = &mut calls[node.0][node.1];
        call.masks_cleared = call
            .inputs
            .iter()
            .enumerate()
            .filter(|(_, t)| cleared.contains(t))
            .map(|(k, _)| k)
            .collect();
        if let Some(ts) = removes.get(&node) {
            cleared.extend(ts);
        }
    }
}

/// The calls `(layer, call)` producing `outputs`, in the order Keras runs
/// them (input layers left out).
fn keras_order(
    calls: &[Vec<Call>],
    tensors: &[TensorInfo],
    outputs: &[usize],
) -> Vec<(usize, usize)> {
    type Node = (usize, usize);
    // A node's parents: the producers of its tensors, in the order of the
    // node's arguments (positional inputs, then keyword tensors: the
    // explicit masks).
    let parents = |(l, c): Node| -> Vec<Node> {
        let call = &calls[l][c];
        let masks = call.masks.iter().flatten().flatten();
        call.inputs
            .iter()
            .chain(masks)
            .map(|&t| (tensors[t].layer, tensors[t].call))
            .collect()
    };
    // `_build_map`: depth-first from each output, a node listed after its
    // parents.
    let mut finished: HashSet<Node> = HashSet::new();
    let mut listed: Vec<Node> = Vec::new();
    for &t in outputs {
        let root = (tensors[t].layer, tensors[t].call);
        if finished.contains(&root) {
            continue;
        }
        let mut stack: Vec<(Node, Vec<Node>, usize)> = vec![(root, parents(root), 0)];
        let mut in_progress: HashSet<Node> = HashSet::from([root]);
        while let Some((node, ps, next)) = stack.last_mut() {
            if let Some(&p) = ps.get(*next) {
                *next += 1;
                if !finished.contains(&p) && !in_progress.contains(&p) {
                    in_progress.insert(p);
                    let pp = parents(p);
                    stack.push((p, pp, 0));
                }
                continue;
            }
            let node = *node;
            stack.pop();
            in_progress.remove(&node);
            finished.insert(node);
            listed.push(node);
        }
    }
    // `map_graph`'s depths: from the outputs back, a parent one deeper
    // than its deepest child, a shared layer's later nodes at least as
    // deep as its earlier ones; `first` is where a node entered the
    // depths dict (the order of a depth's nodes).
    let mut depth: HashMap<Node, (usize, usize)> = HashMap::new();
    let mut layer_depth: HashMap<usize, usize> = HashMap::new();
    let mut entered = 0usize;
    for &node in listed.iter().rev() {
        let d = match depth.get(&node) {
            Some(&(d, _)) => d,
            None => {
                depth.insert(node, (0, entered));
                entered += 1;
                0
            }
        };
        let d = d.max(layer_depth.get(&node.0).copied().unwrap_or(0));
        layer_depth.insert(node.0, d);
        if let Some(e) = depth.get_mut(&node) {
            e.0 = d;
        }
        for p in parents(node) {
            match depth.get_mut(&p) {
                Some(e) => e.0 = e.0.max(d + 1),
                None => {
                    depth.insert(p, (d + 1, entered));
                    entered += 1;
                }
            }
        }
    }
    let mut order: Vec<(Node, (usize, usize))> = depth
        .into_iter()
        .filter(|(node, _)| !calls[node.0][node.1].inputs.is_empty())
        .collect();
    order.sort_by_key(|&(_, (d, first))| (std::cmp::Reverse(d), first));
    order.into_iter().map(|(node, _)| node).collect()
}

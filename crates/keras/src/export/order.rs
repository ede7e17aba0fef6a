//! The order Keras gives a functional model's layers, which names their
//! weights in a `.keras` file (`layers/dense`, `layers/dense_1`, … are
//! numbered in that order, not in the config's).
//!
//! Keras 3's `map_graph` (`keras/src/ops/function.py`): a depth-first walk
//! from the outputs numbers each operation when first reached; every node
//! gets a depth (outputs 0, a node's inputs one deeper than it, the
//! deepest wins), an operation the depth of its deepest node; operations
//! are listed deepest first, ties in walk order. A model written by Keras
//! lists its layers in that order already; one rewritten or built
//! elsewhere may not.

use serde_json::Value;
use std::collections::HashMap;

/// A node: (layer index, node index).
type Node = (usize, usize);

/// The layer names of the functional model config `config` (its `layers`,
/// `output_layers`) in Keras's order; `None` when the config is not a
/// functional one this can read (then the config's order is kept).
pub(super) fn keras_layer_order(config: &Value) -> Option<Vec<String>> {
    let layers = config.get("layers")?.as_array()?;
    let names: Vec<&str> = layers
        .iter()
        .map(|l| {
            l.get("name")
                .or_else(|| l.pointer("/config/name"))
                .and_then(Value::as_str)
        })
        .collect::<Option<_>>()?;
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    // The parents of each node: the (layer, node) of each input tensor.
    let parents = |(l, k): Node| -> Vec<Node> {
        let nodes = layers[l].get("inbound_nodes").and_then(Value::as_array);
        let Some(nodes) = nodes else {
            return Vec::new();
        };
        // Nested models may count their calls from 1.
        let node = nodes.get(k).or_else(|| nodes.get(k.saturating_sub(1)));
        node.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let r = r.as_array()?;
                let l = *index.get(r.first()?.as_str()?)?;
                Some((l, r.get(1)?.as_u64()? as usize))
            })
            .collect()
    };
    let outputs: Vec<Node> = config
        .get("output_layers")?
        .as_array()?
        .iter()
        .filter_map(|r| {
            let r = r.as_array()?;
            Some((
                *index.get(r.first()?.as_str()?)?,
                r.get(1)?.as_u64()? as usize,
            ))
        })
        .collect();
    if outputs.is_empty() {
        return None;
    }
    // Depth-first from the outputs (iteratively: configs can be deep).
    let mut operation_index: HashMap<usize, usize> = HashMap::new();
    let mut finished: Vec<Node> = Vec::new();
    let mut done: std::collections::HashSet<Node> = Default::default();
    for &out in &outputs {
        let mut stack: Vec<(Node, bool)> = vec![(out, false)];
        while let Some((node, expanded)) = stack.pop() {
            if done.contains(&node) {
                continue;
            }
            if expanded {
                done.insert(node);
                finished.push(node);
                continue;
            }
            let next = operation_index.len();
            operation_index.entry(node.0).or_insert(next);
            stack.push((node, true));
            // Keras visits the inputs in order: push them reversed.
            for p in parents(node).into_iter().rev() {
                if !done.contains(&p) {
                    stack.push((p, false));
                }
            }
            if stack.len() > 1 << 20 {
                return None;
            }
        }
    }
    let mut node_depth: HashMap<Node, usize> = HashMap::new();
    let mut layer_depth: HashMap<usize, usize> = HashMap::new();
    for &node in finished.iter().rev() {
        let depth =
            (*node_depth.entry(node).or_insert(0)).max(*layer_depth.get(&node.0).unwrap_or(&0));
        layer_depth.insert(node.0, depth);
        node_depth.insert(node, depth);
        for p in parents(node) {
            let d = node_depth.entry(p).or_insert(0);
            *d = (*d).max(depth + 1);
        }
    }
    let mut order: Vec<usize> = layer_depth.keys().copied().collect();
    order.sort_by_key(|l| (std::cmp::Reverse(layer_depth[l]), operation_index[l]));
    Some(order.into_iter().map(|l| names[l].to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deeper_branches_come_first_as_keras_orders_them() {
        // x -> a -> b -> cat ; x -> c -> cat: `a` is deeper than `c`
        // although the config lists `c` first.
        let node = |from: &[&str]| {
            json!([from
                .iter()
                .map(|f| json!([f, 0, 0, {}]))
                .collect::<Vec<_>>()])
        };
        let config = json!({"layers": [
            {"name": "x", "inbound_nodes": []},
            {"name": "c", "inbound_nodes": node(&["x"])},
            {"name": "a", "inbound_nodes": node(&["x"])},
            {"name": "b", "inbound_nodes": node(&["a"])},
            {"name": "cat", "inbound_nodes": node(&["b", "c"])},
        ], "output_layers": [["cat", 0, 0]]});
        assert_eq!(
            keras_layer_order(&config).unwrap(),
            ["x", "a", "b", "c", "cat"]
        );
    }
}

//! The frame-aware dataflow executor for graphs with TF1 control flow
//! (Switch/Merge conditionals, Enter/Merge/Switch/NextIteration/Exit loops),
//! used by [`GraphModel::execute`] when the graph has such ops, as TF.js
//! `executeAsync` does.
//!
//! Values live in contexts: a frame instance (created by `Enter` with its
//! `frame_name`, once per parent context) and an iteration number. `Enter`
//! moves a value into iteration 0 of its child frame, `NextIteration` into
//! the next iteration, `Exit` back to the parent context. `Switch` makes one
//! output dead; a node with a dead input produces dead outputs; `Merge`
//! forwards its first live input (and is dead only when all inputs are
//! dead). Dead values reaching `NextIteration` or `Exit` end that path,
//! which is how a loop stops.

use crate::graph::Edge;
use crate::model::GraphModel;
use crate::ops::Value;
use crate::tensor::Tensor;
use crate::{GraphError, Result};
use std::collections::HashMap;

/// Upper bound on node executions per `execute`, so a graph whose loop
/// never ends fails instead of hanging.
const MAX_STEPS: usize = 50_000_000;

/// Upper bound on iterations of one functional `While` loop.
pub const MAX_LOOP_ITERATIONS: usize = 10_000_000;

#[derive(Clone)]
enum Slot {
    Dead,
    Live(Vec<Option<Value>>),
}

struct Frames {
    /// Per context: (frame instance, iteration).
    ctxs: Vec<(usize, usize)>,
    ctx_ids: HashMap<(usize, usize), usize>,
    /// Per frame instance: the context it was entered from (root: none).
    parent: Vec<Option<usize>>,
    children: HashMap<(usize, String), usize>,
    /// Per frame instance: `is_constant` Enter values to hand to every iteration.
    constants: Vec<Vec<(usize, Value)>>,
}

impl Frames {
    fn new() -> Frames {
        let mut f = Frames {
            ctxs: Vec::new(),
            ctx_ids: HashMap::new(),
            parent: vec![None],
            children: HashMap::new(),
            constants: vec![Vec::new()],
        };
        f.ctx(0, 0);
        f
    }

    /// The context id of (frame instance, iteration), and whether it is new.
    fn ctx(&mut self, frame: usize, iter: usize) -> (usize, bool) {
        if let Some(&c) = self.ctx_ids.get(&(frame, iter)) {
            return (c, false);
        }
        let c = self.ctxs.len();
        self.ctxs.push((frame, iter));
        self.ctx_ids.insert((frame, iter), c);
        (c, true)
    }

    fn child(&mut self, ctx: usize, name: &str) -> usize {
        if let Some(&f) = self.children.get(&(ctx, name.to_string())) {
            return f;
        }
        let f = self.parent.len();
        self.parent.push(Some(ctx));
        self.constants.push(Vec::new());
        self.children.insert((ctx, name.to_string()), f);
        f
    }
}

struct Run<'a> {
    model: &'a GraphModel,
    needed: Vec<bool>,
    /// Per node: (consumer, is_control) per edge, needed consumers only.
    consumers: Vec<Vec<usize>>,
    /// Per node: how many arrivals make it ready.
    need: Vec<usize>,
    slots: HashMap<(usize, usize), Slot>,
    arrived: HashMap<(usize, usize), usize>,
    merge_dead: HashMap<(usize, usize), usize>,
    merged: std::collections::HashSet<(usize, usize)>,
    ready: Vec<(usize, usize)>,
    frames: Frames,
}

fn op_err(model: &GraphModel, i: usize, message: String) -> GraphError {
    let n = &model.graph().nodes[i];
    GraphError::Op {
        node: n.name.clone(),
        op: n.op.clone(),
        message,
    }
}

impl Run<'_> {
    fn is_const(&self, i: usize) -> bool {
        self.model.node_value(i).is_some()
    }

    /// Store `slot` as node `i`'s outputs in `ctx` and tell its consumers.
    fn deliver(&mut self, i: usize, ctx: usize, slot: Slot) {
        let live_out: Vec<Option<Value>> = match &slot {
            Slot::Live(v) => v.clone(),
            Slot::Dead => Vec::new(),
        };
        self.slots.insert((i, ctx), slot.clone());
        let consumers = self.consumers[i].clone();
        for c in consumers {
            let node = &self.model.graph().nodes[c];
            if node.op == "Merge" || node.op == "RefMerge" {
                if self.merged.contains(&(c, ctx)) {
                    continue;
                }
                // Which of our outputs feeds the merge, and is it live?
                let fed = node
                    .inputs
                    .iter()
                    .enumerate()
                    .find(|(_, e)| e.node == i)
                    .map(|(k, e)| (k, live_out.get(e.output).cloned().flatten()));
                match fed {
                    Some((k, Some(v))) => {
                        self.merged.insert((c, ctx));
                        let out =
                            Slot::Live(vec![Some(v), Some(Value::t(Tensor::scalar_i32(k as i32)))]);
                        self.deliver(c, ctx, out);
                    }
                    _ => {
                        let d = self.merge_dead.entry((c, ctx)).or_default();
                        *d += 1;
                        if *d >= self.need[c] {
                            self.merged.insert((c, ctx));
                            self.deliver(c, ctx, Slot::Dead);
                        }
                    }
                }
                continue;
            }
            let a = self.arrived.entry((c, ctx)).or_default();
            *a += 1;
            if *a == self.need[c] {
                self.ready.push((c, ctx));
            }
        }
    }

    fn input(&self, e: &Edge, ctx: usize) -> Option<Option<Value>> {
        if let Some(v) = self.model.node_value(e.node) {
            return Some(v.get(e.output).cloned());
        }
        match self.slots.get(&(e.node, ctx))? {
            Slot::Dead => Some(None),
            Slot::Live(v) => Some(v.get(e.output).cloned().flatten()),
        }
    }

    fn step(&mut self, i: usize, ctx: usize) -> Result<()> {
        let model = self.model;
        let node = &model.graph().nodes[i];
        let mut dead = false;
        let mut inputs = Vec::with_capacity(node.inputs.len());
        for e in &node.inputs {
            match self.input(e, ctx) {
                Some(Some(v)) => inputs.push(v),
                Some(None) => dead = true,
                None => {
                    return Err(op_err(
                        model,
                        i,
                        format!(
                            "input `{}` has no value in this context",
                            model.graph().nodes[e.node].name
                        ),
                    ))
                }
            }
        }
        for &c in &node.control {
            if matches!(self.slots.get(&(c, ctx)), Some(Slot::Dead)) {
                dead = true;
            }
        }
        let (frame, iter) = self.frames.ctxs[ctx];
        match node.op.as_str() {
            "Enter" | "RefEnter" => {
                let name = node.attr_s("frame_name").unwrap_or_default();
                let child = self.frames.child(ctx, &name);
                let (cctx, _) = self.frames.ctx(child, 0);
                if dead {
                    self.deliver(i, cctx, Slot::Dead);
                    return Ok(());
                }
                let v = inputs
                    .into_iter()
                    .next()
                    .ok_or_else(|| op_err(model, i, "needs one input".into()))?;
                if node.attr_b("is_constant") == Some(true) {
                    self.frames.constants[child].push((i, v.clone()));
                    // Iterations that already exist get it too.
                    let existing: Vec<usize> = self
                        .frames
                        .ctxs
                        .iter()
                        .enumerate()
                        .filter(|(c, (f, it))| *f == child && *it > 0 && *c != cctx)
                        .map(|(c, _)| c)
                        .collect();
                    for c in existing {
                        self.deliver(i, c, Slot::Live(vec![Some(v.clone())]));
                    }
                }
                self.deliver(i, cctx, Slot::Live(vec![Some(v)]));
            }
            "Exit" | "RefExit" => {
                if dead {
                    return Ok(());
                }
                let parent = self.frames.parent[frame]
                    .ok_or_else(|| op_err(model, i, "Exit outside any loop frame".into()))?;
                let v = inputs.into_iter().next();
                self.deliver(i, parent, Slot::Live(vec![v]));
            }
            "NextIteration" | "RefNextIteration" => {
                if dead {
                    return Ok(());
                }
                let (next, is_new) = self.frames.ctx(frame, iter + 1);
                if is_new {
                    for (enter, v) in self.frames.constants[frame].clone() {
                        self.deliver(enter, next, Slot::Live(vec![Some(v)]));
                    }
                }
                let v = inputs.into_iter().next();
                self.deliver(i, next, Slot::Live(vec![v]));
            }
            _ if dead => self.deliver(i, ctx, Slot::Dead),
            "Switch" | "RefSwitch" => {
                let pred = match inputs.get(1) {
                    Some(Value::Tensor(t)) if t.len() == 1 => t.data().to_bool()[0],
                    _ => return Err(op_err(model, i, "the predicate must be a scalar".into())),
                };
                let v = inputs.into_iter().next();
                let out = if pred { vec![None, v] } else { vec![v, None] };
                self.deliver(i, ctx, Slot::Live(out));
            }
            "LoopCond" => {
                let v = inputs.into_iter().next();
                self.deliver(i, ctx, Slot::Live(vec![v]));
            }
            "Placeholder" => {
                return Err(GraphError::Input(format!(
                    "input `{}` was not given (the model needs it for the requested outputs)",
                    node.name
                )))
            }
            _ => {
                let out = model.call(i, &inputs)?;
                self.deliver(i, ctx, Slot::Live(out.into_iter().map(Some).collect()));
            }
        }
        Ok(())
    }
}

/// Run `model` for `outputs` with `fed` node values.
pub fn run_dynamic(
    model: &GraphModel,
    fed: &HashMap<usize, Vec<Value>>,
    outputs: &[Edge],
) -> Result<Vec<Value>> {
    let g = model.graph();
    let n = g.nodes.len();
    // Needed: everything the outputs depend on, up to fed and constant nodes.
    let mut needed = vec![false; n];
    let mut stack: Vec<usize> = outputs.iter().map(|e| e.node).collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut needed[i], true) {
            continue;
        }
        if fed.contains_key(&i) || model.node_value(i).is_some() {
            continue;
        }
        let node = &g.nodes[i];
        stack.extend(node.inputs.iter().map(|e| e.node));
        stack.extend(node.control.iter().copied());
    }
    let mut consumers = vec![Vec::new(); n];
    let mut need = vec![0usize; n];
    for (i, node) in g.nodes.iter().enumerate() {
        if !needed[i] || fed.contains_key(&i) || model.node_value(i).is_some() {
            continue;
        }
        for p in node
            .inputs
            .iter()
            .map(|e| e.node)
            .chain(node.control.iter().copied())
        {
            if model.node_value(p).is_none() {
                consumers[p].push(i);
                need[i] += 1;
            }
        }
    }
    let mut run = Run {
        model,
        needed,
        consumers,
        need,
        slots: HashMap::new(),
        arrived: HashMap::new(),
        merge_dead: HashMap::new(),
        merged: Default::default(),
        ready: Vec::new(),
        frames: Frames::new(),
    };
    for i in 0..n {
        if run.needed[i] && !fed.contains_key(&i) && !run.is_const(i) && run.need[i] == 0 {
            run.ready.push((i, 0));
        }
    }
    let mut fed_nodes: Vec<(&usize, &Vec<Value>)> =
        fed.iter().filter(|(i, _)| run.needed[**i]).collect();
    fed_nodes.sort_by_key(|(i, _)| **i);
    for (&i, v) in fed_nodes {
        run.deliver(i, 0, Slot::Live(v.iter().cloned().map(Some).collect()));
    }
    let mut steps = 0usize;
    while let Some((i, ctx)) = run.ready.pop() {
        steps += 1;
        if steps > MAX_STEPS {
            return Err(GraphError::Input(format!(
                "execution stopped after {MAX_STEPS} node runs (a loop that does not end?)"
            )));
        }
        run.step(i, ctx)?;
    }
    outputs
        .iter()
        .map(|e| match run.input(e, 0) {
            Some(Some(v)) => Ok(v),
            Some(None) => Err(GraphError::Input(format!(
                "output `{}:{}` is dead (its branch was not taken)",
                g.nodes[e.node].name, e.output
            ))),
            None => Err(GraphError::Input(format!(
                "output `{}:{}` was never computed",
                g.nodes[e.node].name, e.output
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::{GraphModel, Tensor};
    use serde_json::json;
    use tfjs_format::ModelArtifacts;

    fn model(nodes: serde_json::Value) -> GraphModel {
        let artifacts = ModelArtifacts {
            model_topology: Some(json!({ "node": nodes })),
            format: Some("graph-model".into()),
            ..Default::default()
        };
        GraphModel::from_artifacts(&artifacts).unwrap()
    }

    fn i32c(name: &str, v: i32) -> serde_json::Value {
        json!({"name": name, "op": "Const", "attr": {"value": {"tensor": {"dtype": "DT_INT32", "tensorShape": {}, "intVal": [v]}}, "dtype": {"type": "DT_INT32"}}})
    }

    /// `i = x; while i < 10: i = i * 2` as a TF1 loop.
    #[test]
    fn tf1_while_loop_runs_to_completion() {
        let frame = json!({"s": "d2hpbGU="}); // "while"
        let m = model(json!([
            {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_INT32"}}},
            i32c("ten", 10),
            i32c("two", 2),
            {"name": "enter", "op": "Enter", "input": ["x"], "attr": {"frame_name": frame}},
            {"name": "merge", "op": "Merge", "input": ["enter", "next"]},
            {"name": "less", "op": "Less", "input": ["merge", "ten"]},
            {"name": "cond", "op": "LoopCond", "input": ["less"]},
            {"name": "switch", "op": "Switch", "input": ["merge", "cond"]},
            {"name": "body", "op": "Mul", "input": ["switch:1", "two"]},
            {"name": "next", "op": "NextIteration", "input": ["body"]},
            {"name": "exit", "op": "Exit", "input": ["switch"]},
            {"name": "out", "op": "Identity", "input": ["exit"]}
        ]));
        assert!(m.has_control_flow());
        let out = m
            .execute(&[("x", Tensor::scalar_i32(3))], &["out"])
            .unwrap();
        assert_eq!(out[0].to_i32(), vec![12]);
        let out = m
            .execute(&[("x", Tensor::scalar_i32(11))], &["out"])
            .unwrap();
        assert_eq!(out[0].to_i32(), vec![11]);
    }

    /// `tf.cond` in TF1 form: Switch on a predicate, one op per branch, Merge.
    #[test]
    fn tf1_cond_takes_one_branch() {
        let m = model(json!([
            {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_INT32"}}},
            {"name": "p", "op": "Placeholder", "attr": {"dtype": {"type": "DT_BOOL"}}},
            i32c("one", 1),
            {"name": "sw", "op": "Switch", "input": ["x", "p"]},
            {"name": "f", "op": "Sub", "input": ["sw", "one"]},
            {"name": "t", "op": "AddV2", "input": ["sw:1", "one"]},
            {"name": "m", "op": "Merge", "input": ["f", "t"]}
        ]));
        let run = |p: bool| {
            m.execute(
                &[
                    ("x", Tensor::scalar_i32(5)),
                    ("p", Tensor::bool(vec![], vec![p]).unwrap()),
                ],
                &["m"],
            )
            .unwrap()[0]
                .to_i32()
        };
        assert_eq!(run(true), vec![6]);
        assert_eq!(run(false), vec![4]);
    }

    fn func(
        name: &str,
        args: &[&str],
        outs: &[(&str, &str)],
        nodes: serde_json::Value,
    ) -> serde_json::Value {
        json!({
            "signature": {
                "name": name,
                "inputArg": args.iter().map(|a| json!({"name": a, "type": "DT_INT32"})).collect::<Vec<_>>(),
                "outputArg": outs.iter().map(|(o, _)| json!({"name": o, "type": "DT_INT32"})).collect::<Vec<_>>(),
            },
            "nodeDef": nodes,
            "ret": outs.iter().map(|(o, r)| (o.to_string(), json!(r))).collect::<serde_json::Map<_, _>>(),
        })
    }

    /// TF2 functional control flow: `StatelessIf` picks a library function,
    /// `StatelessWhile` loops cond/body functions (node inputs in the
    /// FunctionDef `node:out_arg:index` form).
    #[test]
    fn tf2_if_and_while_call_library_functions() {
        let fn_ref = |n: &str| json!({"func": {"name": n}});
        let library = json!({"function": [
            func("then_fn", &["x"], &[("y", "mul:z:0")], json!([i32c("two", 2), {"name": "mul", "op": "Mul", "input": ["x", "two:output:0"]}])),
            func("else_fn", &["x"], &[("y", "sub:z:0")], json!([i32c("one", 1), {"name": "sub", "op": "Sub", "input": ["x", "one:output:0"]}])),
            func("cond_fn", &["i", "acc"], &[("c", "less:z:0")], json!([i32c("five", 5), {"name": "less", "op": "Less", "input": ["i", "five:output:0"]}])),
            func("body_fn", &["i", "acc"], &[("i2", "inc:z:0"), ("acc2", "dbl:z:0")], json!([
                i32c("one", 1), i32c("two", 2),
                {"name": "inc", "op": "AddV2", "input": ["i", "one:output:0"]},
                {"name": "dbl", "op": "Mul", "input": ["acc", "two:output:0"]}
            ])),
        ]});
        let artifacts = ModelArtifacts {
            model_topology: Some(json!({
                "node": [
                    {"name": "p", "op": "Placeholder", "attr": {"dtype": {"type": "DT_BOOL"}}},
                    {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_INT32"}}},
                    {"name": "if", "op": "StatelessIf", "input": ["p", "x"], "attr": {"then_branch": fn_ref("then_fn"), "else_branch": fn_ref("else_fn")}},
                    i32c("zero", 0),
                    {"name": "loop", "op": "StatelessWhile", "input": ["zero", "x"], "attr": {"cond": fn_ref("cond_fn"), "body": fn_ref("body_fn")}}
                ],
                "library": library
            })),
            ..Default::default()
        };
        let m = GraphModel::from_artifacts(&artifacts).unwrap();
        let p = |b: bool| Tensor::bool(vec![], vec![b]).unwrap();
        let run = |b: bool, out: &str| {
            m.execute(&[("p", p(b)), ("x", Tensor::scalar_i32(3))], &[out])
                .unwrap()[0]
                .to_i32()
        };
        assert_eq!(run(true, "if"), vec![6]);
        assert_eq!(run(false, "if"), vec![2]);
        // 5 iterations: acc = 3 * 2^5
        assert_eq!(run(true, "loop:1"), vec![96]);
        assert_eq!(run(true, "loop:0"), vec![5]);
    }

    /// A TF1 loop filling a `TensorArrayV3` (`for i in 0..3: ta[i] = 10 i`),
    /// the handle entered as a loop constant, writes ordered by `flow`.
    #[test]
    fn tf1_loop_writes_a_tensor_array() {
        let frame = json!({"s": "d2hpbGU="});
        let m = model(json!([
            i32c("three", 3),
            i32c("zero", 0),
            i32c("one", 1),
            i32c("ten", 10),
            {"name": "idx", "op": "Const", "attr": {"value": {"tensor": {"dtype": "DT_INT32", "tensorShape": {"dim": [{"size": "3"}]}, "intVal": [0, 1, 2]}}}},
            {"name": "ta", "op": "TensorArrayV3", "input": ["three"], "attr": {"dtype": {"type": "DT_INT32"}}},
            {"name": "enter_h", "op": "Enter", "input": ["ta"], "attr": {"frame_name": frame, "is_constant": {"b": true}}},
            {"name": "enter_i", "op": "Enter", "input": ["zero"], "attr": {"frame_name": frame}},
            {"name": "enter_f", "op": "Enter", "input": ["ta:1"], "attr": {"frame_name": frame}},
            {"name": "merge_i", "op": "Merge", "input": ["enter_i", "next_i"]},
            {"name": "merge_f", "op": "Merge", "input": ["enter_f", "next_f"]},
            {"name": "less", "op": "Less", "input": ["merge_i", "three"]},
            {"name": "cond", "op": "LoopCond", "input": ["less"]},
            {"name": "sw_i", "op": "Switch", "input": ["merge_i", "cond"]},
            {"name": "sw_f", "op": "Switch", "input": ["merge_f", "cond"]},
            {"name": "val", "op": "Mul", "input": ["sw_i:1", "ten"]},
            {"name": "write", "op": "TensorArrayWriteV3", "input": ["enter_h", "sw_i:1", "val", "sw_f:1"]},
            {"name": "inc", "op": "AddV2", "input": ["sw_i:1", "one"]},
            {"name": "next_i", "op": "NextIteration", "input": ["inc"]},
            {"name": "next_f", "op": "NextIteration", "input": ["write"]},
            {"name": "exit_f", "op": "Exit", "input": ["sw_f"]},
            {"name": "gather", "op": "TensorArrayGatherV3", "input": ["ta", "idx", "exit_f"]},
            {"name": "size", "op": "TensorArraySizeV3", "input": ["ta", "exit_f"]}
        ]));
        let out = m.execute(&[], &["gather", "size"]).unwrap();
        assert_eq!(out[0].shape(), &[3]);
        assert_eq!(out[0].to_i32(), vec![0, 10, 20]);
        assert_eq!(out[1].to_i32(), vec![3]);
    }
}

//! A GRU with `reset_after: true` (Keras's default since TF 2.0, and
//! every `CuDNNGRU`), which TensorFlow.js 4.22's `GRUCell` rejects, →
//! its time steps unrolled into layers TF.js has, for a sequence of known
//! length: `GRU`, `RNN` over a `GRUCell`, and `Bidirectional` around
//! either.
//!
//! Keras's step (`keras.layers.GRUCell`, the same in tf_keras), gate
//! order `[z, r, h]`, input bias `b` and recurrent bias `b'` (the rows of
//! the `[2, 3·units]` bias):
//!
//! ```text
//! z  = σ(x·W_z + b_z + h·U_z + b'_z)      r = σ(x·W_r + b_r + h·U_r + b'_r)
//! hh = act(x·W_h + b_h + r ⊙ (h·U_h + b'_h))
//! h  = z ⊙ h_prev + (1 − z) ⊙ hh
//! ```
//!
//! Each step `k` (time `t`, reversed for `go_backwards`) is: the step's
//! input as `Cropping2D` of a `[T, F, 1]` `Reshape` view of the sequence +
//! `Reshape([F])`, `Concatenate` with the previous state, three shared
//! `Dense` layers on that (`z` and `r` with kernels `[W; U]`, the biases
//! summed and the recurrent activation; `x·W_h + b_h` with a zero block
//! for the state, so that every call of a shared layer waits for the step
//! before it, which keeps TF.js's node order), a shared `Dense` of the
//! state (`h·U_h + b'_h`), then `Multiply`, `Add`, `Activation`, and
//! `Rescaling(−1, offset 1)` for `1 − z`, two `Multiply` and an `Add` for
//! the new state: Keras's operations, with the input and recurrent
//! products summed in one matmul (within float32 rounding of Keras).
//! The zero initial state is a bias-free `Dense` with a zero kernel of
//! the first step's input (exact for finite inputs); given initial states
//! are read as they are. `return_sequences` joins the states as `[1,
//! units]` views with one `Concatenate` along time, in Keras's order (the
//! order processed; `Bidirectional` flips its backward half back), and
//! `Bidirectional` merges the halves with `Concatenate`, `Add`,
//! `Multiply` or `Average` (`merge_mode: null` returns both). Returned
//! states and a second half are outputs `<name>_part<i>` (readers are
//! pointed there, as for a split).
//!
//! A layer called several times (a Siamese encoder on two questions) has
//! each call unrolled (its own length and mask, entries `<name>_call<k>_…`
//! past the first) through the same shared `Dense` layers, one node per
//! step of every call; each call's first state adds a zero-kernel `Dense`
//! of the previous call's last state, so TF.js numbers the shared layers'
//! nodes in call order. The outputs are `Activation` layers with one node
//! per call, as the layer had.
//!
//! Keras 3's `hard_sigmoid` (`x/6 + 1/2`) folds `5/6` into the weights
//! before TF.js's (`0.2x + 1/2`). A masked call keeps the previous state
//! at masked steps (Keras), its mask computed from the ids of the
//! `Embedding(mask_zero)` making it or from the input of the `Masking`
//! layer making it ([`super::site::mask_from_masking`]); a masked
//! `Bidirectional` returning sequences outputs 0 at masked steps (Keras
//! forces `zero_output_for_mask` on its halves); Keras 3 runs a masked sequence given
//! initial states unmasked ([`super::rnn_mask_leak::runs_unmasked`]).
//! Refused, with why: other masks, unknown or more than
//! [`MAX_STEPS`] steps, `stateful`, `time_major`, activations TF.js
//! computes otherwise, a GRU inside a cell stack.

use super::site::{f32_weight, zero_dense};
use super::{entry, entry_on, Outcome, Site, Target};
use serde_json::{json, Map, Value};
use tfjs_format::codec::DecodedWeight;

/// The most time steps unrolled: each costs about fifteen layer entries.
pub const MAX_STEPS: usize = 256;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.target != Target::Tfjs {
        return Outcome::Skip;
    }
    let Some(kind) = kind_of(site.class_name, site.config) else {
        return Outcome::Skip;
    };
    rewrite(site, kind).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "GRU with reset_after: true (TensorFlow.js 4.22's GRUCell does not support it) \
             and its unrolled rewrite does not cover {why}"
        ))
    })
}

/// What a layer entry is to this rule.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A `GRU`, or an `RNN` over a `GRUCell`.
    Gru,
    /// `Bidirectional` around one.
    Bidirectional,
}

/// The GRU settings of a `GRU` / `RNN(GRUCell)` config, when it has
/// `reset_after: true`: its cell's config (the layer's own for `GRU`).
fn gru_cell(class_name: &str, config: &Map<String, Value>) -> Option<Map<String, Value>> {
    let cell = match class_name {
        "GRU" => config.clone(),
        "RNN" => {
            let cell = config.get("cell")?;
            (cell.get("class_name")?.as_str()? == "GRUCell")
                .then(|| cell.get("config")?.as_object().cloned())??
        }
        _ => return None,
    };
    (cell.get("reset_after").and_then(Value::as_bool) == Some(true)).then_some(cell)
}

/// The names of the layer entries among `layers` this rule may rewrite,
/// also through [`super::cudnn_rnn`] (their outputs past the first become
/// `<name>_part<i>`: [`super::split::redirect`]).
pub fn unrollable_layers(layers: &[Value]) -> Vec<String> {
    let cudnn_gru = |l: &Value| {
        l.get("class_name").and_then(Value::as_str) == Some("CuDNNGRU")
            || l.pointer("/config/layer/class_name")
                .and_then(Value::as_str)
                == Some("CuDNNGRU")
    };
    layers
        .iter()
        .filter(|l| {
            let class = l.get("class_name").and_then(Value::as_str).unwrap_or("");
            cudnn_gru(l)
                || l.get("config")
                    .and_then(Value::as_object)
                    .is_some_and(|c| kind_of(class, c).is_some())
        })
        .filter_map(|l| tfjs_format::topology::layer_entry_name(l).map(String::from))
        .collect()
}

/// Whether a layer entry of `class_name` and `config` is one this rule
/// unrolls (when its call allows).
pub fn unrollable(class_name: &str, config: Option<&Map<String, Value>>) -> bool {
    config.is_some_and(|c| kind_of(class_name, c).is_some())
}

fn kind_of(class_name: &str, config: &Map<String, Value>) -> Option<Kind> {
    if class_name == "Bidirectional" {
        let layer = config.get("layer")?;
        let class = layer.get("class_name")?.as_str()?;
        gru_cell(class, layer.get("config")?.as_object()?)?;
        return Some(Kind::Bidirectional);
    }
    gru_cell(class_name, config).map(|_| Kind::Gru)
}

/// One direction's GRU: its settings and weights, gates in Keras's
/// `[z, r, h]` order.
struct Direction {
    units: usize,
    activation: (String, f32),
    recurrent_activation: (String, f32),
    go_backwards: bool,
    /// `[F, 3·units]`, row-major.
    kernel: Vec<f32>,
    /// `[units, 3·units]`.
    recurrent_kernel: Vec<f32>,
    /// Input and recurrent bias, `3·units` each (zeros without a bias).
    input_bias: Vec<f32>,
    recurrent_bias: Vec<f32>,
}

/// The name TF.js computes `act` (as the model's Keras means it) under,
/// and the scale its argument needs first: Keras 3's `hard_sigmoid` is
/// TF.js's of `5x/6`.
fn tfjs_activation(site: &Site<'_>, act: &str, key: &str) -> Result<(String, f32), String> {
    match super::activations::runs_as_is(act, site.dialect, Target::Tfjs) {
        Ok(true) => Ok((act.to_string(), 1.0)),
        Ok(false) if act == "hard_sigmoid" => Ok(("hard_sigmoid".into(), 5.0 / 6.0)),
        _ => Err(format!(
            "its {key} {act}, which TensorFlow.js computes otherwise"
        )),
    }
}

/// Reads one direction: `layer` is the GRU / RNN config (the recurrent
/// layer's own flags), `weights` its weights (found by their last name
/// part: `…/kernel`, `…/recurrent_kernel`, `…/bias`).
fn direction(
    site: &Site<'_>,
    class_name: &str,
    layer: &Map<String, Value>,
    features: usize,
    weights: &[&DecodedWeight],
) -> Result<Direction, String> {
    let weight = |short: &str| {
        let tail = format!("/{short}");
        weights.iter().copied().find(|w| w.name.ends_with(&tail))
    };
    let cell = gru_cell(class_name, layer).ok_or("a recurrent layer that is not a GRU")?;
    let flag = |key: &str| layer.get(key).and_then(Value::as_bool) == Some(true);
    if flag("stateful") {
        return Err("stateful: true (it keeps its state between predictions)".into());
    }
    if flag("time_major") {
        return Err("time_major: true".into());
    }
    let units = cell
        .get("units")
        .and_then(Value::as_u64)
        .filter(|&u| u > 0)
        .ok_or("a GRU without a positive `units`")? as usize;
    let act = |key: &str, default: &str| {
        let name = cell.get(key).map_or(Some(default), Value::as_str);
        let name = name.ok_or_else(|| format!("its {key} that is not an activation name"))?;
        tfjs_activation(site, name, key)
    };
    let activation = act("activation", "tanh")?;
    let recurrent_activation = act("recurrent_activation", "sigmoid")?;
    let values = |short: &str, shape: &[usize]| -> Result<Vec<f32>, String> {
        let w = weight(short).ok_or_else(|| format!("its weight {short} is missing"))?;
        match &w.values {
            tfjs_format::codec::TensorValues::Float32(v) if w.shape == shape => Ok(v.clone()),
            tfjs_format::codec::TensorValues::Float32(_) => Err(format!(
                "its weight {short} of shape {:?} ({shape:?} expected)",
                w.shape
            )),
            _ => Err(format!("its weight {short} is not float32")),
        }
    };
    let gates = 3 * units;
    let kernel = values("kernel", &[features, gates])?;
    let recurrent_kernel = values("recurrent_kernel", &[units, gates])?;
    let (input_bias, recurrent_bias) =
        if cell.get("use_bias").and_then(Value::as_bool) == Some(false) {
            (vec![0.0; gates], vec![0.0; gates])
        } else {
            let mut b = values("bias", &[2, gates])?;
            let recurrent = b.split_off(gates);
            (b, recurrent)
        };
    Ok(Direction {
        units,
        activation,
        recurrent_activation,
        go_backwards: flag("go_backwards"),
        kernel,
        recurrent_kernel,
        input_bias,
        recurrent_bias,
    })
}

/// A reference `[layer, node, 0, {}]` to a tensor.
fn tensor(layer: &str, node: usize) -> Value {
    json!([layer, node, 0, {}])
}

/// A reference as given in the call, without its kwargs.
fn plain(r: &Value) -> Value {
    let mut r = r.as_array().cloned().unwrap_or_default();
    r.truncate(3);
    r.push(json!({}));
    Value::Array(r)
}

/// The entries and weights under construction.
struct Unrolled {
    layers: Vec<Value>,
    weights: Vec<DecodedWeight>,
    /// The sequence of the call being unrolled, its steps and features.
    input: Value,
    steps: usize,
    features: usize,
    /// Per time step, the mask `m` and `1 - m` (`[batch, 1]`, 0 or 1) of
    /// a masked call.
    masks: Option<Vec<(Value, Value)>>,
    /// The shared `Dense` layers (`<p>_z`, `<p>_r`, `<p>_hx`, `<p>_hr` of
    /// each direction `p`): name, config, inbound nodes so far (one per
    /// step of every call).
    shared: Vec<(String, Value, Vec<Value>)>,
    /// Per direction `p`: the last state of the call unrolled before, which
    /// the next call's first shared-layer calls wait for.
    chain: Vec<(String, Value)>,
}

impl Unrolled {
    /// The per-step masks of an `Embedding(mask_zero)`'s `ids` (`[batch,
    /// T]`, non-negative integers): `min(relu(ids), 1)` is Keras's `ids !=
    /// 0` as 0 / 1 (`Rescaling` casts integer ids to float first), cut
    /// into steps like the input.
    fn mask_steps(&mut self, name: &str, source: &MaskSource) {
        let t_n = self.steps;
        let mask = format!("{name}_mask");
        match source {
            MaskSource::Ids(ids) => self.layers.extend(super::site::mask_from_ids(&mask, ids)),
            MaskSource::Masking(x, value) => {
                let (entries, kernel) =
                    super::site::mask_from_masking(&mask, x, *value, self.features);
                self.layers.extend(entries);
                self.weights.push(kernel);
            }
        }
        let view = format!("{name}_mask_view");
        self.push(
            &view,
            "Reshape",
            json!({"target_shape": [t_n, 1, 1]}),
            vec![tensor(&mask, 0)],
        );
        let mut steps = Vec::with_capacity(t_n);
        for t in 0..t_n {
            let s = |part: &str| format!("{name}_mask{t}_{part}");
            self.step_of(&view, t, 1, &s("crop"), &s("m"));
            self.push(
                &s("1mm"),
                "Rescaling",
                json!({"scale": -1.0, "offset": 1.0}),
                vec![tensor(&s("m"), 0)],
            );
            steps.push((tensor(&s("m"), 0), tensor(&s("1mm"), 0)));
        }
        self.masks = Some(steps);
    }

    fn push(&mut self, name: &str, class: &str, config: Value, inputs: Vec<Value>) {
        self.layers
            .push(entry(name, class, config, vec![Value::Array(inputs)]));
    }

    /// Step `t` of a `[T, width, 1]` view `view` as `[batch, width]`: a
    /// `Cropping2D` named `crop`, then a `Reshape` named `name`.
    fn step_of(&mut self, view: &str, t: usize, width: usize, crop: &str, name: &str) {
        let t_n = self.steps;
        self.push(
            crop,
            "Cropping2D",
            json!({"cropping": [[t, t_n - 1 - t], [0, 0]], "data_format": "channels_last"}),
            vec![tensor(view, 0)],
        );
        self.push(
            name,
            "Reshape",
            json!({"target_shape": [width]}),
            vec![tensor(crop, 0)],
        );
    }

    /// The states after each processed step of direction `d` (prefix `p`),
    /// from `initial` (a reference) or zeros.
    /// Keras's `zero_output_for_mask`, which `Bidirectional` forces on
    /// both halves when they return sequences: the output of step `k`
    /// (time `t`, reversed for `go_backwards`) as `m_t · h`, 0 where the
    /// step is masked (the state carried on is not). The `states` as they
    /// are without masks.
    fn zero_masked_outputs(&mut self, p: &str, d: &Direction, states: &[Value]) -> Vec<Value> {
        let Some(masks) = self.masks.clone() else {
            return states.to_vec();
        };
        let t_n = self.steps;
        let mut out = Vec::with_capacity(states.len());
        for (k, h) in states.iter().enumerate() {
            let t = if d.go_backwards { t_n - 1 - k } else { k };
            let name = format!("{p}_{k}_out");
            self.push(
                &name,
                "Multiply",
                json!({}),
                vec![masks[t].0.clone(), h.clone()],
            );
            out.push(tensor(&name, 0));
        }
        out
    }

    /// The states after each processed step of direction `d` in the
    /// call being unrolled: entries named `<p>_…`, the shared `Dense`
    /// layers `<shared>_z`, … (made on the first call, their weights
    /// too; a later call adds its steps as further nodes).
    fn run(&mut self, shared: &str, p: &str, d: &Direction, initial: Option<Value>) -> Vec<Value> {
        let (t_n, f, u) = (self.steps, self.features, d.units);
        let gates = 3 * u;
        let view = format!("{p}_view");
        self.push(
            &view,
            "Reshape",
            json!({"target_shape": [t_n, f, 1]}),
            vec![plain(&self.input)],
        );
        let order: Vec<usize> = if d.go_backwards {
            (0..t_n).rev().collect()
        } else {
            (0..t_n).collect()
        };
        // The shared layers' kernels over `[x, h]` (z, r, the input part
        // of h) and over `h` (the recurrent part of h), each gate's columns
        // scaled for its activation.
        let (zr_scale, h_scale) = (d.recurrent_activation.1, d.activation.1);
        let stacked = |gate: usize, with_state: bool, scale: f32| -> Vec<f32> {
            let mut k = Vec::with_capacity((f + u) * u);
            for i in 0..f {
                k.extend(
                    d.kernel[i * gates + gate * u..][..u]
                        .iter()
                        .map(|v| v * scale),
                );
            }
            for i in 0..u {
                if with_state {
                    k.extend(
                        d.recurrent_kernel[i * gates + gate * u..][..u]
                            .iter()
                            .map(|v| v * scale),
                    );
                } else {
                    k.extend(std::iter::repeat_n(0.0, u));
                }
            }
            k
        };
        let bias = |gate: usize, input: bool, recurrent: bool, scale: f32| -> Vec<f32> {
            (0..u)
                .map(|j| {
                    let i = if input {
                        d.input_bias[gate * u + j]
                    } else {
                        0.0
                    };
                    let r = if recurrent {
                        d.recurrent_bias[gate * u + j]
                    } else {
                        0.0
                    };
                    (i + r) * scale
                })
                .collect()
        };
        let gates_of = [
            (
                format!("{shared}_z"),
                stacked(0, true, zr_scale),
                bias(0, true, true, zr_scale),
            ),
            (
                format!("{shared}_r"),
                stacked(1, true, zr_scale),
                bias(1, true, true, zr_scale),
            ),
            (
                format!("{shared}_hx"),
                stacked(2, false, h_scale),
                bias(2, true, false, h_scale),
            ),
        ];
        let hr = format!("{shared}_hr");
        let made = self.shared.iter().position(|(n, _, _)| *n == hr);
        let at = made.map_or(self.shared.len(), |i| i - 3);
        // The steps of earlier calls: this call's are nodes `base + k`.
        let base = made.map_or(0, |i| self.shared[i].2.len());
        for (i, (name, kernel, b)) in gates_of.into_iter().enumerate() {
            if made.is_some() {
                break;
            }
            let act = if i < 2 {
                d.recurrent_activation.0.as_str()
            } else {
                "linear"
            };
            let mut config = zero_dense(u, true);
            config["activation"] = json!(act);
            self.weights
                .push(f32_weight(format!("{name}/kernel"), vec![f + u, u], kernel));
            self.weights
                .push(f32_weight(format!("{name}/bias"), vec![u], b));
            self.shared.push((name, config, Vec::new()));
        }
        if made.is_none() {
            let hr_kernel: Vec<f32> = (0..u)
                .flat_map(|i| d.recurrent_kernel[i * gates + 2 * u..][..u].to_vec())
                .map(|v| v * h_scale)
                .collect();
            self.weights
                .push(f32_weight(format!("{hr}/kernel"), vec![u, u], hr_kernel));
            self.weights.push(f32_weight(
                format!("{hr}/bias"),
                vec![u],
                bias(2, false, true, h_scale),
            ));
            self.shared
                .push((hr.clone(), zero_dense(u, true), Vec::new()));
        }
        let [z_name, r_name, hx_name] = ["z", "r", "hx"].map(|g| format!("{shared}_{g}"));

        // A later call waits for the one before (TF.js numbers a shared
        // layer's nodes in the order their inputs exist): its initial state
        // adds a zero-kernel `Dense` of that call's last state (0 for
        // finite states), or is that.
        let after = self
            .chain
            .iter()
            .find(|(n, _)| n == shared)
            .map(|(_, last)| last.clone());
        let mut state = match after {
            None => initial,
            Some(last) => {
                let wait = format!("{p}_wait");
                self.layers.push(entry(
                    &wait,
                    "Dense",
                    zero_dense(u, false),
                    vec![json!([last])],
                ));
                self.weights.push(f32_weight(
                    format!("{wait}/kernel"),
                    vec![u, u],
                    vec![0.0; u * u],
                ));
                Some(match initial {
                    None => tensor(&wait, 0),
                    Some(h0) => {
                        let init = format!("{p}_init");
                        self.push(&init, "Add", json!({}), vec![h0, tensor(&wait, 0)]);
                        tensor(&init, 0)
                    }
                })
            }
        };
        let mut states = Vec::with_capacity(t_n);
        for (k, &t) in order.iter().enumerate() {
            let s = |part: &str| format!("{p}_{k}_{part}");
            self.step_of(&view, t, f, &s("crop"), &s("x"));
            let prev = match state.take() {
                Some(h) => h,
                None => {
                    // The zero state: a zero kernel of the first input.
                    let zeros = format!("{p}_zeros");
                    self.layers
                        .push(entry_on(&zeros, "Dense", zero_dense(u, false), &s("x")));
                    self.weights.push(f32_weight(
                        format!("{zeros}/kernel"),
                        vec![f, u],
                        vec![0.0; f * u],
                    ));
                    tensor(&zeros, 0)
                }
            };
            self.push(
                &s("xh"),
                "Concatenate",
                json!({"axis": -1}),
                vec![tensor(&s("x"), 0), prev.clone()],
            );
            for (_, _, nodes) in self.shared[at..].iter_mut().take(3) {
                nodes.push(json!([tensor(&s("xh"), 0)]));
            }
            self.shared[at + 3].2.push(json!([prev.clone()]));
            let node = base + k;
            let z = tensor(&z_name, node);
            let r = tensor(&r_name, node);
            self.push(&s("rh"), "Multiply", json!({}), vec![r, tensor(&hr, node)]);
            self.push(
                &s("pre"),
                "Add",
                json!({}),
                vec![tensor(&hx_name, node), tensor(&s("rh"), 0)],
            );
            self.push(
                &s("hh"),
                "Activation",
                json!({"activation": d.activation.0}),
                vec![tensor(&s("pre"), 0)],
            );
            self.push(
                &s("keep"),
                "Multiply",
                json!({}),
                vec![z.clone(), prev.clone()],
            );
            self.push(
                &s("1mz"),
                "Rescaling",
                json!({"scale": -1.0, "offset": 1.0}),
                vec![z],
            );
            self.push(
                &s("new"),
                "Multiply",
                json!({}),
                vec![tensor(&s("1mz"), 0), tensor(&s("hh"), 0)],
            );
            let masked = self.masks.as_ref().map(|m| m[t].clone());
            let sum = if masked.is_some() { s("hn") } else { s("h") };
            self.push(
                &sum,
                "Add",
                json!({}),
                vec![tensor(&s("keep"), 0), tensor(&s("new"), 0)],
            );
            if let Some((m, not_m)) = masked {
                // Keras keeps the previous state at a masked step:
                // `m·h_new + (1 − m)·h_prev`, exact for m in {0, 1}.
                self.push(&s("mh"), "Multiply", json!({}), vec![m, tensor(&sum, 0)]);
                self.push(&s("mp"), "Multiply", json!({}), vec![not_m, prev.clone()]);
                self.push(
                    &s("h"),
                    "Add",
                    json!({}),
                    vec![tensor(&s("mh"), 0), tensor(&s("mp"), 0)],
                );
            }
            state = Some(tensor(&s("h"), 0));
            states.push(tensor(&s("h"), 0));
        }
        if let Some(last) = states.last() {
            self.chain.retain(|(n, _)| n != shared);
            self.chain.push((shared.to_string(), last.clone()));
        }
        states
    }

    /// The shared `Dense` layers, once every call is unrolled.
    fn finish(&mut self) {
        for (name, config, nodes) in std::mem::take(&mut self.shared) {
            self.layers.push(entry(&name, "Dense", config, nodes));
        }
    }

    /// The states (in the order given) as one `[T, units]` sequence.
    fn sequence(&mut self, name: &str, units: usize, states: &[Value]) -> Value {
        if let [h] = states {
            // One step (a sampling model's single token): the row itself,
            // since TF.js's `Concatenate` refuses fewer than two inputs.
            self.push(
                name,
                "Reshape",
                json!({"target_shape": [1, units]}),
                vec![h.clone()],
            );
            return tensor(name, 0);
        }
        let mut parts = Vec::with_capacity(states.len());
        for (k, h) in states.iter().enumerate() {
            let row = format!("{name}_row{k}");
            self.push(
                &row,
                "Reshape",
                json!({"target_shape": [1, units]}),
                vec![h.clone()],
            );
            parts.push(tensor(&row, 0));
        }
        self.push(name, "Concatenate", json!({"axis": 1}), parts);
        tensor(name, 0)
    }
}

fn rewrite(site: &Site<'_>, kind: Kind) -> Result<Outcome, String> {
    let nodes = site
        .inbound_nodes
        .filter(|n| !n.is_empty())
        .ok_or("a layer outside a functional model")?;
    let name = site.name;
    let mut run = Unrolled {
        layers: Vec::new(),
        weights: Vec::new(),
        input: Value::Null,
        steps: 0,
        features: 0,
        masks: None,
        shared: Vec::new(),
        chain: Vec::new(),
    };
    // Per call, its outputs (references); every call unrolled with the
    // same shared `Dense` layers, its entries named `<name>_call<k>_…`
    // past the first.
    let mut per_call = Vec::with_capacity(nodes.len());
    let mut all_steps = Vec::new();
    for (call, node) in nodes.iter().enumerate() {
        let prefix = match call {
            0 => name.to_string(),
            k => format!("{name}_call{k}"),
        };
        let (steps, outputs) =
            unroll_call(site, kind, &mut run, call, node, &prefix).map_err(|why| {
                match nodes.len() {
                    1 => why,
                    _ => format!("{why} (call {} of {})", call + 1, nodes.len()),
                }
            })?;
        all_steps.push(steps);
        per_call.push(outputs);
    }
    run.finish();
    let mut layers = std::mem::take(&mut run.layers);
    // The last entry takes the layer's name (its readers find output 0
    // there); output i > 0 is `<name>_part<i>`, one node per call.
    if let [outputs] = per_call.as_slice() {
        for (i, o) in outputs.iter().enumerate().skip(1) {
            let part = format!("{name}_part{i}");
            layers.push(entry(
                &part,
                "Activation",
                json!({"activation": "linear"}),
                vec![json!([o.clone()])],
            ));
        }
        rename_output(&mut layers, &outputs[0], name);
    } else {
        let width = per_call[0].len();
        for i in (1..width).chain([0]) {
            let alias = match i {
                0 => name.to_string(),
                i => format!("{name}_part{i}"),
            };
            let inbound = per_call.iter().map(|o| json!([o[i].clone()])).collect();
            layers.push(entry(
                &alias,
                "Activation",
                json!({"activation": "linear"}),
                inbound,
            ));
        }
    }
    let steps = all_steps
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" + ");
    site.note(format!(
        "{steps} time steps unrolled; exact up to float32 rounding for finite inputs"
    ));
    Ok(Outcome::Replace {
        layers,
        weights: run.weights,
    })
}

/// Unrolls call `call` (inbound node `node`) into `run`, its entries named
/// `<prefix>…`: its time steps and its outputs (references), output 0
/// first.
fn unroll_call(
    site: &Site<'_>,
    kind: Kind,
    run: &mut Unrolled,
    call: usize,
    node: &Value,
    prefix: &str,
) -> Result<(usize, Vec<Value>), String> {
    let masked = site
        .shapes
        .and_then(|s| s.masked_calls.iter().position(|c| c.call == call));
    let mask_ids = match (site.shapes, masked) {
        // Keras 3 runs a masked sequence given initial states unmasked.
        (Some(s), Some(_))
            if super::rnn_mask_leak::runs_unmasked(
                site.dialect,
                site.class_name,
                site.config,
                site.inbound_nodes.map_or(0, <[_]>::len),
                s,
            ) =>
        {
            None
        }
        (Some(s), Some(j)) => Some(masked_input(site, s, j)?),
        _ => None,
    };
    let inputs = node.as_array().ok_or("a call without inputs")?;
    let x = inputs.first().ok_or("a call without inputs")?;
    let dims = match call {
        0 => site.static_input()?,
        k => {
            let shape = site
                .shapes
                .and_then(|s| s.call_inputs.get(k)?.first())
                .ok_or("its input shape is unknown")?;
            shape[1..]
                .iter()
                .copied()
                .collect::<Option<Vec<usize>>>()
                .ok_or_else(|| format!("its input shape {shape:?} is not static"))?
        }
    };
    let [steps, features] = dims[..] else {
        return Err(format!(
            "an input of shape {dims:?} (a [steps, features] sequence expected)"
        ));
    };
    if steps == 0 || steps > MAX_STEPS {
        return Err(format!("{steps} time steps (it unrolls 1 to {MAX_STEPS})"));
    }
    let name = site.name;
    run.input = x.clone();
    run.steps = steps;
    run.features = features;
    run.masks = None;
    if let Some(source) = &mask_ids {
        run.mask_steps(prefix, source);
    }
    let initial: Vec<Value> = inputs[1..].iter().map(plain).collect();
    let c = site.config;
    // (output, extra outputs) as references.
    let (output, extra) = if kind == Kind::Gru {
        let d = direction(site, site.class_name, c, features, &site.weights)?;
        if initial.len() > 1 {
            return Err(format!("{} initial states (a GRU has one)", initial.len()));
        }
        let states = run.run(name, prefix, &d, initial.first().cloned());
        let flag = |key: &str| c.get(key).and_then(Value::as_bool) == Some(true);
        let last = states.last().cloned().ok_or("no time steps")?;
        let output = if flag("return_sequences") {
            run.sequence(&format!("{prefix}_seq"), d.units, &states)
        } else {
            last.clone()
        };
        let extra = if flag("return_state") {
            vec![last]
        } else {
            vec![]
        };
        (output, extra)
    } else {
        let layer = c.get("layer").ok_or("a Bidirectional without a layer")?;
        let class = layer
            .get("class_name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let forward_cfg = layer
            .get("config")
            .and_then(Value::as_object)
            .ok_or("a Bidirectional whose layer has no config")?;
        let backward = c.get("backward_layer").filter(|b| !b.is_null());
        let (backward_class, backward_cfg) = match backward {
            Some(b) => (
                b.get("class_name").and_then(Value::as_str).unwrap_or(""),
                b.get("config")
                    .and_then(Value::as_object)
                    .cloned()
                    .ok_or("a backward_layer without a config")?,
            ),
            None => {
                let mut cfg = forward_cfg.clone();
                let back = cfg.get("go_backwards").and_then(Value::as_bool) != Some(true);
                cfg.insert("go_backwards".into(), back.into());
                (class, cfg)
            }
        };
        // The halves' weights: `<name>/forward_…/kernel`, `…/backward_…/…`.
        let owner = format!("{name}/");
        let half = |which: &str| -> Vec<&DecodedWeight> {
            site.weights
                .iter()
                .copied()
                .filter(|w| {
                    w.name
                        .strip_prefix(&owner)
                        .is_some_and(|rest| rest.starts_with(which))
                })
                .collect()
        };
        let fw = direction(site, class, forward_cfg, features, &half("forward"))?;
        let bw = direction(
            site,
            backward_class,
            &backward_cfg,
            features,
            &half("backward"),
        )?;
        if fw.go_backwards == bw.go_backwards {
            return Err("halves that run in the same direction".into());
        }
        let (init_f, init_b) = match initial.as_slice() {
            [] => (None, None),
            [f, b] => (Some(f.clone()), Some(b.clone())),
            more => return Err(format!("{} initial states (two expected)", more.len())),
        };
        let states_f = run.run(&format!("{name}_fw"), &format!("{prefix}_fw"), &fw, init_f);
        let states_b = run.run(&format!("{name}_bw"), &format!("{prefix}_bw"), &bw, init_b);
        let flag = |key: &str| forward_cfg.get(key).and_then(Value::as_bool) == Some(true);
        let (last_f, last_b) = (
            states_f.last().cloned().ok_or("no time steps")?,
            states_b.last().cloned().ok_or("no time steps")?,
        );
        let (y, y_rev) = if flag("return_sequences") {
            let out_f = run.zero_masked_outputs(&format!("{prefix}_fw"), &fw, &states_f);
            let mut out_b = run.zero_masked_outputs(&format!("{prefix}_bw"), &bw, &states_b);
            // Keras flips the backward half's sequence back to time order.
            out_b.reverse();
            (
                run.sequence(&format!("{prefix}_fw_seq"), fw.units, &out_f),
                run.sequence(&format!("{prefix}_bw_seq"), bw.units, &out_b),
            )
        } else {
            (last_f.clone(), last_b.clone())
        };
        let states = if flag("return_state") {
            vec![last_f, last_b]
        } else {
            vec![]
        };
        let merge = match c.get("merge_mode") {
            None => Some("concat"),
            Some(Value::Null) => None,
            Some(m) => Some(m.as_str().ok_or("a merge_mode that is not a name")?),
        };
        let merged = format!("{prefix}_merged");
        match merge {
            Some(mode) => {
                let (class, config) = match mode {
                    "concat" => ("Concatenate", json!({"axis": -1})),
                    "sum" => ("Add", json!({})),
                    "mul" => ("Multiply", json!({})),
                    "ave" => ("Average", json!({})),
                    other => return Err(format!("merge_mode {other:?}")),
                };
                run.push(&merged, class, config, vec![y, y_rev]);
                (tensor(&merged, 0), states)
            }
            None => {
                let mut extra = vec![y_rev];
                extra.extend(states);
                (y, extra)
            }
        }
    };
    let mut outputs = vec![output];
    outputs.extend(extra);
    Ok((steps, outputs))
}

/// What a masked call's mask is computed from.
enum MaskSource {
    /// The ids of an `Embedding(mask_zero)`: their zeros.
    Ids(Value),
    /// A `Masking` layer's input and `mask_value`: the steps whose every
    /// feature equals it.
    Masking(Value, f64),
}

/// Where the mask of masked call `j` comes from, when the rewrite applies it:
/// the one mask on the sequence, made by an `Embedding(mask_zero)` of the
/// same model (initial states, if any, without masks), and not passed on with a returned
/// sequence (TF.js would not carry it past the unrolled layers).
fn masked_input(
    site: &Site<'_>,
    shapes: &super::LayerShapes,
    j: usize,
) -> Result<MaskSource, String> {
    let why = "a masked input whose mask neither an Embedding(mask_zero) nor a Masking layer \
               of the same model makes (a given mask has no exact 0/1 form in TF.js layers)";
    let source = match shapes.call_mask_sources.get(j) {
        Some((Some(ids), _)) => MaskSource::Ids(ids.clone()),
        Some((None, Some((x, value)))) => MaskSource::Masking(x.clone(), *value),
        _ => return Err(why.into()),
    };
    let call = &shapes.masked_calls[j];
    // Initial states are the first step's previous state, a masked step
    // keeping it as any other (Keras 2); a mask on a state has no meaning.
    if call.masks.iter().skip(1).any(Option::is_some) {
        return Err("initial states carrying masks".into());
    }
    let c = site.config;
    let inner = c
        .get("layer")
        .and_then(|l| l.get("config"))
        .and_then(Value::as_object)
        .unwrap_or(c);
    let flag = |key: &str| inner.get(key).and_then(Value::as_bool) == Some(true);
    if flag("return_sequences") && !shapes.mask_readers_unrolled {
        return Err(
            "a masked input whose mask Keras passes on with the returned sequence to layers it \
             changes (TensorFlow.js would not carry it past the unrolled layers)"
                .into(),
        );
    }
    if flag("zero_output_for_mask") {
        return Err("zero_output_for_mask: true with a masked input".into());
    }
    Ok(source)
}

/// Make the layer behind reference `output` the last entry, named `name`
/// (readers of the original layer find it): an entry of its own when it
/// is a shared layer's output or already read by the rewrite, else the
/// producing entry renamed and moved last.
fn rename_output(layers: &mut Vec<Value>, output: &Value, name: &str) {
    let from = output[0].as_str().unwrap_or("").to_string();
    let read_inside = layers.iter().any(|l| {
        l["inbound_nodes"]
            .to_string()
            .contains(&format!("[\"{from}\","))
    });
    let at = layers.iter().position(|l| l["name"] == from.as_str());
    match at {
        Some(i) if !read_inside && output[1] == 0 => {
            let mut e = layers.remove(i);
            e["name"] = json!(name);
            e["config"]["name"] = json!(name);
            layers.push(e);
        }
        _ => layers.push(entry(
            name,
            "Activation",
            json!({"activation": "linear"}),
            vec![json!([output.clone()])],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn gru(config: serde_json::Value) -> serde_json::Value {
        let mut c = json!({"units": 3, "reset_after": true, "activation": "tanh",
                           "recurrent_activation": "sigmoid"});
        c.as_object_mut()
            .unwrap()
            .extend(config.as_object().unwrap().clone());
        c
    }

    #[test]
    fn a_reset_after_gru_unrolls_into_layers_tfjs_has() {
        for (config, tail) in [
            (json!({}), None),
            (json!({"return_sequences": true}), None),
            (
                json!({"return_sequences": true, "go_backwards": true}),
                None,
            ),
            (json!({"go_backwards": true, "use_bias": false}), None),
            (
                json!({"activation": "relu", "recurrent_activation": "hard_sigmoid"}),
                None,
            ),
            // Output and state read together.
            (json!({"return_state": true}), Some("cat")),
        ] {
            let mut layers = vec![entry_on("g", "GRU", gru(config.clone()), "x")];
            if tail.is_some() {
                layers.push(entry(
                    "cat",
                    "Concatenate",
                    json!({"axis": -1}),
                    vec![json!([["g", 0, 0, {}], ["g", 0, 1, {}]])],
                ));
            }
            // tf_keras's and Keras 3's hard_sigmoid differ: both unroll.
            for version in [Some("2.21.0"), Some("3.15.0")] {
                assert_rewrites_from(
                    version,
                    &[2, 5, 4],
                    layers.clone(),
                    3,
                    1e-5,
                    "5 time steps unrolled",
                );
            }
        }
    }

    #[test]
    fn a_gru_given_an_initial_state_starts_from_it() {
        let layers = vec![
            entry_on("h0", "Dense", json!({"units": 3}), "x_last"),
            entry(
                "g",
                "GRU",
                gru(json!({"return_sequences": true})),
                vec![json!([["x", 0, 0, {}], ["h0", 0, 0, {}]])],
            ),
        ];
        let mut all = vec![entry_on("x_last", "Flatten", json!({}), "x")];
        all.extend(layers);
        assert_rewrites(&[2, 4, 2], all, 5, 1e-5, "4 time steps unrolled");
    }

    #[test]
    fn an_rnn_over_a_gru_cell_unrolls_too() {
        let cell = json!({"class_name": "GRUCell", "config": {"units": 2, "reset_after": true}});
        let layers = vec![entry_on(
            "r",
            "RNN",
            json!({"cell": cell, "return_sequences": true}),
            "x",
        )];
        assert_rewrites(&[3, 6, 3], layers, 8, 1e-5, "6 time steps unrolled");
    }

    #[test]
    fn a_bidirectional_gru_unrolls_both_halves_with_each_merge() {
        for merge in [json!("concat"), json!("sum"), json!("mul"), json!("ave")] {
            for seq in [false, true] {
                let layers = vec![entry_on(
                    "bi",
                    "Bidirectional",
                    json!({"layer": {"class_name": "GRU",
                                     "config": gru(json!({"return_sequences": seq}))},
                           "merge_mode": merge}),
                    "x",
                )];
                assert_rewrites(&[2, 4, 3], layers, 11, 1e-5, "4 time steps unrolled");
            }
        }
        // No merge, and states: five outputs read by one layer.
        let layers = vec![
            entry_on(
                "bi",
                "Bidirectional",
                json!({"layer": {"class_name": "GRU",
                                 "config": gru(json!({"return_state": true}))},
                       "merge_mode": null}),
                "x",
            ),
            entry(
                "cat",
                "Concatenate",
                json!({"axis": -1}),
                vec![json!([
                    ["bi", 0, 0, {}],
                    ["bi", 0, 1, {}],
                    ["bi", 0, 2, {}],
                    ["bi", 0, 3, {}]
                ])],
            ),
        ];
        assert_rewrites(&[2, 4, 3], layers, 12, 1e-5, "4 time steps unrolled");
    }

    fn embedded(rnn: serde_json::Value) -> Vec<serde_json::Value> {
        vec![
            mask_zero_embedding("emb", "x"),
            entry_on("do", "Dropout", json!({"rate": 0.1}), "emb"),
            rnn,
            entry_on("out", "Dense", json!({"units": 2}), "g"),
        ]
    }

    /// Embedding(mask_zero) → Dropout → GRU returning sequences `g`, read
    /// by `readers` (entries on "g").
    fn masked_sequence_into(readers: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
        let seq = entry_on("g", "GRU", gru(json!({"return_sequences": true})), "do");
        let mut layers = embedded(seq);
        layers.pop();
        layers.extend(readers);
        layers
    }

    /// `layers` on padded ids, as each Keras `versions` writes them, rewrite
    /// to a model predicting the same, its GRUs unrolled.
    fn assert_unrolled(layers: &[serde_json::Value], seed: u64, versions: &[&str]) {
        for version in versions {
            let model = functional_from(&[6], layers.to_vec(), seed, Some(version));
            let out = assert_same(&model, &padded_ids(), 1e-5);
            assert_note(&out, "6 time steps unrolled");
        }
    }

    #[test]
    fn an_embedding_mask_is_applied_step_by_step() {
        let bi = |merge: &str| json!({"layer": {"class_name": "GRU", "config": gru(json!({}))}, "merge_mode": merge});
        for rnn in [
            entry_on("g", "GRU", gru(json!({})), "do"),
            entry_on("g", "GRU", gru(json!({"go_backwards": true})), "do"),
            entry_on("g", "Bidirectional", bi("concat"), "do"),
            entry_on("g", "Bidirectional", bi("sum"), "do"),
        ] {
            assert_unrolled(&embedded(rnn), 4, &["2.21.0", "3.15.0"]);
        }
    }

    #[test]
    fn a_masked_sequence_may_feed_grus_unrolled_with_the_same_ids() {
        // Embedding → GRU(sequences) → Dense → Dropout → GRU: the second
        // GRU applies the mask from the ids itself.
        let layers = masked_sequence_into(vec![
            entry_on("d", "Dense", json!({"units": 4}), "g"),
            entry_on("do2", "Dropout", json!({"rate": 0.1}), "d"),
            entry_on("g2", "GRU", gru(json!({})), "do2"),
        ]);
        assert_unrolled(&layers, 6, &["2.21.0", "3.15.0"]);
    }

    /// A GRU `rnn` (entry config and class) shared by two calls: on the
    /// ids' `Embedding(mask_zero)` and on that Embedding's second call on
    /// the ids' first four steps (another length, another mask), `read`
    /// the references joined.
    fn shared_by_two_calls(class: &str, config: serde_json::Value, read: &[(usize, usize)]) {
        let call = |from: &str, node: usize| json!([[from, node, 0, {}]]);
        let layers = vec![
            entry_on("ids3", "Reshape", json!({"target_shape": [6, 1]}), "x"),
            entry_on("crop", "Cropping1D", json!({"cropping": [0, 2]}), "ids3"),
            entry_on("ids4", "Reshape", json!({"target_shape": [4]}), "crop"),
            entry(
                "emb",
                "Embedding",
                json!({"input_dim": 8, "output_dim": 3, "mask_zero": true}),
                vec![call("x", 0), call("ids4", 0)],
            ),
            entry("g", class, config, vec![call("emb", 0), call("emb", 1)]),
            entry(
                "cat",
                "Concatenate",
                json!({"axis": -1}),
                vec![json!(read
                    .iter()
                    .map(|&(node, i)| json!(["g", node, i, {}]))
                    .collect::<Vec<_>>())],
            ),
        ];
        for version in ["2.21.0", "3.15.0"] {
            let model = functional_from(&[6], layers.clone(), 12, Some(version));
            let out = assert_same(&model, &padded_ids(), 1e-5);
            assert_note(&out, "6 + 4 time steps unrolled");
        }
    }

    #[test]
    fn a_shared_gru_given_initial_states_unrolls_as_keras_2_runs_it() {
        // Keras 2 masks the steps of both calls. Keras 3 runs a masked
        // sequence given initial states unmasked: for one call the unroll
        // follows it (`rnn_mask_leak`); a shared layer's calls are refused
        // by name (`masked_calls`).
        let call = |from: &str, node: usize| json!([from, node, 0, {}]);
        let layers = vec![
            entry_on("ids3", "Reshape", json!({"target_shape": [6, 1]}), "x"),
            entry_on("crop", "Cropping1D", json!({"cropping": [0, 2]}), "ids3"),
            entry_on("ids4", "Reshape", json!({"target_shape": [4]}), "crop"),
            entry(
                "emb",
                "Embedding",
                json!({"input_dim": 8, "output_dim": 3, "mask_zero": true}),
                vec![json!([call("x", 0)]), json!([call("ids4", 0)])],
            ),
            entry_on("h0", "Dense", json!({"units": 3}), "x"),
            entry(
                "g",
                "GRU",
                gru(json!({})),
                vec![
                    json!([call("emb", 0), call("h0", 0)]),
                    json!([call("emb", 1), call("h0", 0)]),
                ],
            ),
            entry(
                "cat",
                "Concatenate",
                json!({"axis": -1}),
                vec![json!([call("g", 0), call("g", 1)])],
            ),
        ];
        let model = functional_from(&[6], layers.clone(), 13, Some("2.21.0"));
        let out = assert_same(&model, &padded_ids(), 1e-5);
        assert_note(&out, "6 + 4 time steps unrolled");
        let model = functional_from(&[6], layers, 13, Some("3.15.0"));
        assert_refused(&model, &["`g` (GRU)", "comes with initial states"]);
    }

    #[test]
    fn a_gru_called_several_times_unrolls_each_call_with_shared_weights() {
        // A Siamese encoder: each call with its own length and mask, its
        // output and state read.
        shared_by_two_calls(
            "GRU",
            gru(json!({"return_state": true})),
            &[(0, 0), (1, 0), (0, 1), (1, 1)],
        );
        shared_by_two_calls("GRU", gru(json!({"go_backwards": true})), &[(1, 0), (0, 0)]);
        let bi = json!({"layer": {"class_name": "GRU", "config": gru(json!({}))},
                        "merge_mode": "concat"});
        shared_by_two_calls("Bidirectional", bi, &[(0, 0), (1, 0)]);
    }

    #[test]
    fn a_masked_sequence_may_feed_tf_functions() {
        // Embedding → GRU(sequences) → tf.math.reduce_mean(axis=1) → Dense:
        // tf_keras calls a TFOpLambda's function without the mask
        // (`expects_mask_arg = False`), so the masked steps' outputs are
        // averaged too and TF.js need not carry the mask.
        let layers = masked_sequence_into(vec![
            super::super::probes::tf("mean", "math.reduce_mean", "g", json!({"axis": 1})),
            entry_on("d", "Dense", json!({"units": 2}), "mean"),
        ]);
        assert_unrolled(&layers, 6, &["2.21.0"]);
    }

    #[test]
    fn a_masked_gru_given_an_initial_state_unrolls_as_each_keras_runs_it() {
        // Keras 2 masks the steps and starts from the given state; Keras 3
        // hands no mask to a call with initial states and runs every step
        // (the NMT decoder started from its encoder's state).
        let layers = vec![
            mask_zero_embedding("emb", "x"),
            entry_on("h0", "Dense", json!({"units": 3}), "x"),
            entry(
                "g",
                "GRU",
                gru(json!({"return_sequences": true})),
                vec![json!([["emb", 0, 0, {}], ["h0", 0, 0, {}]])],
            ),
            entry_on("out", "Dense", json!({"units": 2}), "g"),
        ];
        assert_unrolled(&layers, 7, &["2.21.0", "3.15.0"]);
    }

    #[test]
    fn a_one_step_sequence_is_its_row_not_a_one_input_concatenate() {
        // A sampling model's one-token step: TF.js 4.22's `Concatenate`
        // refuses a list of one input ("should be called on a list of at
        // least 2 inputs").
        let layers = vec![entry_on(
            "g",
            "GRU",
            gru(json!({"return_sequences": true})),
            "x",
        )];
        let model = functional(&[1, 4], layers, 3);
        let out = assert_same(&model, &input(&[2, 1, 4]), 1e-5);
        assert_note(&out, "1 time steps unrolled");
        let t = out.artifacts.model_topology.as_ref().unwrap();
        for l in t["config"]["layers"].as_array().unwrap() {
            if l["class_name"] == "Concatenate" {
                let inputs = l["inbound_nodes"][0].as_array().unwrap();
                assert!(inputs.len() >= 2, "{l}");
            }
        }
    }

    #[test]
    fn masks_the_rewrite_cannot_apply_are_refused_with_why() {
        // Keras passes the mask on with a returned sequence to an LSTM,
        // which TF.js would run unmasked after the unrolled GRU.
        let layers = masked_sequence_into(vec![entry_on("lstm", "LSTM", json!({"units": 2}), "g")]);
        assert_refused(
            &functional(&[6], layers, 1),
            &["`g` (GRU)", "passes on with the returned sequence"],
        );
    }

    #[test]
    fn a_masking_layers_mask_is_applied_step_by_step() {
        // Masking(mask_value=-1) on padded float sequences (steps whose
        // every feature is -1 are masked; a -1 beside other values is not):
        // the mask computed from the Masking's input; Bidirectional zeroes
        // the masked steps' outputs of sequences (Keras forces
        // zero_output_for_mask there).
        let mut v: Vec<f32> = (0..24).map(|i| (i as f32) * 0.1 - 0.5).collect();
        for i in [6, 7, 8, 9, 10, 14, 15, 22, 23] {
            v[i] = -1.0;
        }
        let x = crate::Tensor::from_f32(vec![2, 6, 2], v).unwrap();
        for seq in [false, true] {
            let g = gru(json!({"return_sequences": seq}));
            let bi = json!({"layer": {"class_name": "GRU", "config": g}, "merge_mode": "concat"});
            for rnn in [
                entry_on("g", "GRU", g.clone(), "m"),
                entry_on("g", "Bidirectional", bi, "m"),
            ] {
                let layers = vec![
                    entry_on("m", "Masking", json!({"mask_value": -1.0}), "x"),
                    rnn,
                ];
                for version in ["2.21.0", "3.15.0"] {
                    let model = functional_from(&[6, 2], layers.clone(), 5, Some(version));
                    let out = assert_same(&model, &x, 1e-5);
                    assert_note(&out, "6 time steps unrolled");
                }
            }
        }
    }

    #[test]
    fn a_masked_bidirectional_sequence_is_zero_at_masked_steps() {
        // Keras's Bidirectional forces zero_output_for_mask on both halves
        // when they return sequences (the state carried on is kept).
        let bi = json!({"layer": {"class_name": "GRU",
                                  "config": gru(json!({"return_sequences": true}))},
                        "merge_mode": "concat"});
        let layers = vec![
            mask_zero_embedding("emb", "x"),
            entry_on("g", "Bidirectional", bi, "emb"),
            entry_on("out", "Dense", json!({"units": 2}), "g"),
        ];
        assert_unrolled(&layers, 8, &["2.21.0", "3.15.0"]);
    }

    #[test]
    fn unknown_activations_are_refused_with_why() {
        let exp = functional(
            &[5, 2],
            vec![entry_on(
                "g",
                "GRU",
                gru(json!({"activation": "exponential"})),
                "x",
            )],
            1,
        );
        assert_refused(&exp, &["`g` (GRU)", "its activation exponential"]);
    }
}

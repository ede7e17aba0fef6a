//! Cell stacks: one cell, `StackedRNNCells`, or a ConvLSTM2D cell, parsed
//! from nested cell configs.

use super::*;
use crate::config::ConfigReader;
use crate::{LayerWeight, LayersError, Result, Shape, Tensor};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// Cell stacks
// ---------------------------------------------------------------------------

/// What an RNN layer iterates: one cell, a stack, or a ConvLSTM2D cell.
#[derive(Debug, Clone)]
pub(super) enum Stack {
    Single(Cell),
    /// `keras_order`: states in cell order, as Keras keeps them (TF.js
    /// keeps them last cell first).
    Stacked {
        base: Base,
        cells: Vec<Cell>,
        keras_order: bool,
    },
    Conv(ConvCell),
}

/// Parse a nested `{class_name, config}` cell object (or list of them) of
/// the layer `owner` reads (its name in errors, its dialect for the cells).
pub(super) fn parse_cell_value(v: &Value, owner: &ConfigReader<'_>) -> Result<Stack> {
    let parent = owner.layer;
    if let Value::Array(items) = v {
        let cells = items
            .iter()
            .map(|it| match parse_cell_value(it, owner)? {
                Stack::Single(c) => Ok(c),
                _ => Err(LayersError::config(
                    parent,
                    "a list of cells may only hold SimpleRNNCell, LSTMCell or GRUCell",
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        if cells.is_empty() {
            return Err(LayersError::config(parent, "the list of cells is empty"));
        }
        let empty = Map::new();
        return Ok(Stack::Stacked {
            base: Base::parse(&ConfigReader::new(parent, &empty))?.renamed("stacked_rnn_cells"),
            cells,
            keras_order: owner.dialect.is_keras(),
        });
    }
    let obj = v.as_object().ok_or_else(|| {
        LayersError::config(parent, "config field `cell`: expected {class_name, config}")
    })?;
    let class = obj
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| LayersError::config(parent, "config field `cell`: no class_name"))?;
    let empty = Map::new();
    let cfg = obj
        .get("config")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let name = cfg.get("name").and_then(Value::as_str).unwrap_or(class);
    parse_cell_object(class, &owner.nested(name, cfg))
}

pub(super) fn parse_cell_object(class: &str, c: &ConfigReader<'_>) -> Result<Stack> {
    match class {
        "SimpleRNNCell" | "LSTMCell" | "GRUCell" => Ok(Stack::Single(Cell::from_config(class, c)?)),
        "ConvLSTM2DCell" => Ok(Stack::Conv(ConvCell::from_config(c, 2)?)),
        "StackedRNNCells" => {
            let base = Base::parse(c)?;
            let cells = c.required("cells")?;
            let keras_order = c.dialect.is_keras();
            match parse_cell_value(cells, c)? {
                Stack::Stacked { cells, .. } => Ok(Stack::Stacked {
                    base,
                    cells,
                    keras_order,
                }),
                Stack::Single(cell) => Ok(Stack::Stacked {
                    base,
                    cells: vec![cell],
                    keras_order,
                }),
                Stack::Conv(_) => Err(c.err("cells", "expected a list of cells")),
            }
        }
        other => Err(LayersError::config(
            c.layer,
            format!(
                "RNN cell class `{other}` is not supported (expected SimpleRNNCell, LSTMCell, \
                 GRUCell, ConvLSTM2DCell or StackedRNNCells)"
            ),
        )),
    }
}

impl Base {
    pub(super) fn renamed(mut self, name: &str) -> Base {
        self.name = name.to_string();
        self
    }
}

impl Stack {
    pub(super) fn class_name(&self) -> &'static str {
        match self {
            Stack::Single(c) => c.class,
            Stack::Stacked { .. } => "StackedRNNCells",
            Stack::Conv(_) => "ConvLSTM2DCell",
        }
    }

    pub(super) fn base(&self) -> &Base {
        match self {
            Stack::Single(c) => &c.base,
            Stack::Stacked { base, .. } => base,
            Stack::Conv(c) => &c.base,
        }
    }

    pub(super) fn config(&self) -> Map<String, Value> {
        match self {
            Stack::Single(c) => c.config(),
            Stack::Conv(c) => c.config(),
            Stack::Stacked { base, cells, .. } => {
                let mut m = Map::new();
                base.write(&mut m);
                m.insert(
                    "cells".into(),
                    Value::Array(
                        cells
                            .iter()
                            .map(|c| json!({"class_name": c.class, "config": c.config()}))
                            .collect(),
                    ),
                );
                m
            }
        }
    }

    /// Output features (units / filters).
    pub(super) fn units(&self) -> usize {
        match self {
            Stack::Single(c) => c.units,
            Stack::Stacked { cells, .. } => cells.last().map_or(0, |c| c.units),
            Stack::Conv(c) => c.filters,
        }
    }

    /// Which returned state is the layer's output (the last cell's `h`):
    /// the first, except for a stack in Keras's order.
    pub(super) fn output_state(&self) -> usize {
        match self {
            Stack::Stacked {
                cells,
                keras_order: true,
                ..
            } => cells[..cells.len().saturating_sub(1)]
                .iter()
                .map(|c| c.state_sizes().len())
                .sum(),
            _ => 0,
        }
    }

    /// State sizes in the order states are returned (stacks: TF.js's last
    /// cell first, Keras's first cell first).
    pub(super) fn state_sizes(&self) -> Vec<usize> {
        match self {
            Stack::Single(c) => c.state_sizes(),
            Stack::Stacked {
                cells, keras_order, ..
            } => {
                let mut order: Vec<&Cell> = cells.iter().collect();
                if !keras_order {
                    order.reverse();
                }
                order.iter().flat_map(|c| c.state_sizes()).collect()
            }
            Stack::Conv(c) => vec![c.filters, c.filters],
        }
    }

    pub(super) fn build(&mut self, feature_dim: usize) -> Result<()> {
        match self {
            Stack::Single(c) => c.build(feature_dim),
            Stack::Stacked { cells, .. } => {
                let mut d = feature_dim;
                for c in cells {
                    c.build(d)?;
                    d = c.units;
                }
                Ok(())
            }
            Stack::Conv(c) => {
                if c.in_channels != Some(feature_dim) {
                    c.allocate(feature_dim)?;
                }
                Ok(())
            }
        }
    }

    pub(super) fn weights(&self, trainable: bool) -> Vec<LayerWeight> {
        match self {
            Stack::Single(c) => c.weights("", trainable),
            Stack::Stacked { cells, .. } => cells
                .iter()
                .enumerate()
                .flat_map(|(i, c)| c.weights(&format!("RNNCell_{i}/"), trainable))
                .collect(),
            Stack::Conv(c) => c.weights(trainable),
        }
    }

    /// A stack's weights under Keras 3's `.keras` paths,
    /// `cells/<cell class>[_n]/<index>` (Keras's container naming: the
    /// class in snake case, numbered per class); `None` for one cell.
    pub(super) fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        let Stack::Stacked { cells, .. } = self else {
            return None;
        };
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        let mut keys = Vec::new();
        for c in cells {
            let snake = tfjs_format::topology::keras3_path_name(c.class);
            let n = seen.entry(snake.clone()).or_insert(0);
            let dir = if *n == 0 {
                snake
            } else {
                format!("{snake}_{n}")
            };
            *n += 1;
            keys.extend((0..c.num_weights()).map(|i| format!("cells/{dir}/{i}")));
        }
        Some(keys)
    }

    /// A stack's weights as Keras's HDF5 writers name them, less the
    /// `stacked_rnn_cells` segment: `<cell name>/<weight>`.
    pub(super) fn keras2_weight_names(&self) -> Option<Vec<String>> {
        let Stack::Stacked { cells, .. } = self else {
            return None;
        };
        Some(
            cells
                .iter()
                .flat_map(|c| {
                    c.weights("", true)
                        .into_iter()
                        .map(|w| format!("{}/{}", c.base.name, w.name))
                })
                .collect(),
        )
    }

    pub(super) fn weight_values(&self) -> Vec<&Tensor> {
        match self {
            Stack::Single(c) => c.weight_values(),
            Stack::Stacked { cells, .. } => cells.iter().flat_map(|c| c.weight_values()).collect(),
            Stack::Conv(c) => c.weight_values(),
        }
    }

    pub(super) fn set_weight(&mut self, layer: &str, index: usize, value: Tensor) -> Result<()> {
        match self {
            Stack::Single(c) => c.set_weight(layer, index, value),
            Stack::Conv(c) => c.set_weight(layer, index, value),
            Stack::Stacked { cells, .. } => {
                let mut i = index;
                for c in cells.iter_mut() {
                    if i < c.num_weights() {
                        return c.set_weight(layer, i, value);
                    }
                    i -= c.num_weights();
                }
                Err(LayersError::config(
                    layer,
                    format!("layer has no weight #{index}"),
                ))
            }
        }
    }

    /// Feature shape of the per-step output for a per-step input shape
    /// (without batch and time).
    pub(super) fn step_output_shape(
        &self,
        layer: &str,
        step_in: &[Option<usize>],
    ) -> Result<Shape> {
        match self {
            Stack::Conv(c) => {
                if step_in.len() != c.rank + 1 {
                    return Err(input_err(
                        layer,
                        format!(
                            "ConvLSTM{}D expects {}-D input [batch, time, …{} spatial dims, channels], \
                             got a per-step shape {step_in:?}",
                            c.rank,
                            c.rank + 3,
                            c.rank
                        ),
                    ));
                }
                let first = usize::from(c.channels_first);
                let mut out = (0..c.rank)
                    .map(|a| {
                        step_in[first + a]
                            .map(|n| c.out_size(layer, a, n))
                            .transpose()
                    })
                    .collect::<Result<Shape>>()?;
                if c.channels_first {
                    out.insert(0, Some(c.filters));
                } else {
                    out.push(Some(c.filters));
                }
                Ok(out)
            }
            _ => {
                if step_in.len() != 1 {
                    return Err(input_err(
                        layer,
                        format!(
                            "expects 3-D input [batch, time, features], got a per-step shape \
                             {step_in:?}"
                        ),
                    ));
                }
                Ok(vec![Some(self.units())])
            }
        }
    }

    /// Run over the whole sequence. `x` is `[b, t, ...step]`. Returns the
    /// per-step outputs (`[b, t, ...out]`, processing order), the final
    /// states (return order) and the per-step output shape.
    pub(super) fn run(
        &self,
        layer: &str,
        x: &Tensor,
        mask: Option<&[f32]>,
        backwards: bool,
        init: Option<Vec<Vec<f32>>>,
    ) -> Result<StackRun> {
        let shape = x.shape();
        let data = f32s(x);
        match self {
            Stack::Conv(c) => {
                if shape.len() != c.rank + 3 {
                    return Err(input_err(
                        layer,
                        format!(
                            "expects {}-D input [batch, time, …{} spatial dims, channels], got {shape:?}",
                            c.rank + 3,
                            c.rank
                        ),
                    ));
                }
                if c.channels_first {
                    return channels_first_conv_run(c, layer, x, mask, backwards, init);
                }
                let (b, t, ch) = (shape[0], shape[1], shape[shape.len() - 1]);
                let spatial = &shape[2..shape.len() - 1];
                let (seq, states, mut out) =
                    c.run(layer, &data, (b, t, spatial, ch), mask, backwards, init)?;
                out.push(c.filters);
                Ok((seq, states, out))
            }
            Stack::Single(c) => {
                let (b, t, d) = seq_dims(layer, shape)?;
                let (seq, states) = c.run(layer, &data, (b, t, d), mask, backwards, init)?;
                Ok((seq, states, vec![c.units]))
            }
            Stack::Stacked {
                cells, keras_order, ..
            } => {
                let (b, t, d) = seq_dims(layer, shape)?;
                // Initial states come in `state_sizes` order; split them per cell.
                let mut inits: Vec<Option<Vec<Vec<f32>>>> = vec![None; cells.len()];
                let mut order: Vec<usize> = (0..cells.len()).collect();
                if !keras_order {
                    order.reverse();
                }
                if let Some(mut all) = init {
                    for &i in &order {
                        let n = cells[i].state_sizes().len();
                        let rest = all.split_off(n.min(all.len()));
                        inits[i] = Some(std::mem::replace(&mut all, rest));
                    }
                }
                let mut cur: Vec<f32> = data.into_owned();
                let mut dim = d;
                let mut all_states: Vec<Vec<Vec<f32>>> = Vec::new();
                let mut m_owned: Option<Vec<f32>> = mask.map(<[f32]>::to_vec);
                for (i, c) in cells.iter().enumerate() {
                    // Later cells see the sequence in processing order already.
                    let back = backwards && i == 0;
                    let (seq, st) = c.run(
                        layer,
                        &cur,
                        (b, t, dim),
                        m_owned.as_deref(),
                        back,
                        inits[i].take(),
                    )?;
                    if back {
                        // Outputs are in processing order: reverse the mask to match.
                        if let Some(m) = m_owned.as_mut() {
                            for row in m.chunks_exact_mut(t) {
                                row.reverse();
                            }
                        }
                    }
                    cur = seq;
                    dim = c.units;
                    all_states.push(st);
                }
                if !keras_order {
                    all_states.reverse();
                }
                let states = all_states.into_iter().flatten().collect();
                Ok((cur, states, vec![dim]))
            }
        }
    }
}

/// A channels_first ConvLSTM: the cell computes channels-last, so the
/// input `[b, t, C, spatial…]` and initial states `[b, F, spatial…]` are
/// moved to channels-last and the per-step outputs and final states back.
fn channels_first_conv_run(
    c: &ConvCell,
    layer: &str,
    x: &Tensor,
    mask: Option<&[f32]>,
    backwards: bool,
    init: Option<Vec<Vec<f32>>>,
) -> Result<StackRun> {
    use super::super::common::transpose;
    let shape = x.shape();
    let (b, t, ch) = (shape[0], shape[1], shape[2]);
    let spatial = shape[3..].to_vec();
    // [b, t, C, s…] → [b, t, s…, C]
    let mut to_last: Vec<usize> = vec![0, 1];
    to_last.extend(3..shape.len());
    to_last.push(2);
    let data = transpose(&f32s(x), shape, &to_last);
    // A state [b, F, s…] ↔ [b, s…, F], with the output's spatial sizes.
    let out_sp = spatial
        .iter()
        .enumerate()
        .map(|(a, &n)| c.out_size(layer, a, n))
        .collect::<Result<Vec<usize>>>()?;
    let rank = out_sp.len() + 2;
    let mut state_cf = vec![b, c.filters];
    state_cf.extend(&out_sp);
    let state_to_last: Vec<usize> = std::iter::once(0).chain(2..rank).chain([1]).collect();
    let init = init.map(|states| {
        states
            .iter()
            .map(|s| transpose(s, &state_cf, &state_to_last))
            .collect()
    });
    let (seq, states, out) = c.run(layer, &data, (b, t, &spatial, ch), mask, backwards, init)?;
    let mut state_cl = vec![b];
    state_cl.extend(&out_sp);
    state_cl.push(c.filters);
    let state_to_first: Vec<usize> = std::iter::once(0)
        .chain([rank - 1])
        .chain(1..rank - 1)
        .collect();
    let states = states
        .iter()
        .map(|s| transpose(s, &state_cl, &state_to_first))
        .collect();
    // Per-step outputs [b, t, s…, F] → [b, t, F, s…].
    let mut seq_cl = vec![b, t];
    seq_cl.extend(&out);
    seq_cl.push(c.filters);
    let seq_to_first: Vec<usize> = [0, 1, rank].into_iter().chain(2..rank).collect();
    let seq = transpose(&seq, &seq_cl, &seq_to_first);
    let mut out_cf = vec![c.filters];
    out_cf.extend(out);
    Ok((seq, states, out_cf))
}

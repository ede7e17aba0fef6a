//! Recurrent-layer steps (SimpleRNN, LSTM, GRU) in Keras / TensorFlow.js gate order.
//!
//! The recommended driver loop for a recurrent layer over `x` of shape
//! `[batch, time, features]`:
//!
//! 1. [`to_time_major`] → `[time, batch, features]`;
//! 2. one [`crate::dense_packed`] call projects every timestep at once:
//!    `xp = x · kernel + bias` with `m = time * batch` (the big matrix product);
//! 3. for each timestep `t` (reversed for `go_backwards`), call the step
//!    function on `xp[t*batch*G .. (t+1)*batch*G]` (`G` = gates × units); it
//!    adds `h · recurrent_kernel` (packed once, [`RecurrentKernel`]) and
//!    applies the gates, updating the state in place.
//!
//! Activations are passed as in-place slice functions so the caller can plug
//! in any Keras activation (e.g. `|s| act.apply(s, s.len())`).

use crate::conv::dense_packed;
use crate::geom::assert_len;
use crate::packed::PackedMatrix;
use crate::FusedActivation;

/// Reorder `[batch, time, feat]` into `[time, batch, feat]` (and back, with
/// `batch` and `time` swapped).
///
/// # Panics
/// If a slice length is not `batch * time * feat`.
///
/// ```
/// use tfjs_kernels::to_time_major;
/// let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // batch 2, time 3, feat 1
/// let mut y = [0.0; 6];
/// to_time_major(&x, 2, 3, 1, &mut y);
/// assert_eq!(y, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// ```
pub fn to_time_major(x: &[f32], batch: usize, time: usize, feat: usize, out: &mut [f32]) {
    let n = batch * time * feat;
    assert!(
        x.len() == n && out.len() == n,
        "to_time_major: input has {} and output {} values, expected {n}",
        x.len(),
        out.len()
    );
    for b in 0..batch {
        for t in 0..time {
            let src = &x[(b * time + t) * feat..(b * time + t + 1) * feat];
            out[(t * batch + b) * feat..(t * batch + b + 1) * feat].copy_from_slice(src);
        }
    }
}

/// A cell's `[units, gates × units]` recurrent kernel `U`, packed once for
/// the step functions' products `h · U` (the kernels' packed product,
/// [`crate::dense_packed`], instead of packing it again at every step).
pub struct RecurrentKernel {
    units: usize,
    gates: usize,
    /// `h · U` for every gate (with a GRU `reset_after`'s recurrent bias),
    /// or for a reset-before GRU its `z` and `r` gates only.
    main: PackedMatrix,
    /// A reset-before GRU's candidate columns `U_h`, multiplied by `r * h`.
    candidate: Option<PackedMatrix>,
}

impl RecurrentKernel {
    /// `recurrent_kernel` (`[units, gates × units]`, row-major) packed whole,
    /// `bias` (`gates × units` values) added to `h · U`: an LSTM's or a
    /// SimpleRNN's kernel (no bias), a GRU's with `reset_after` (its
    /// recurrent bias, if it has one).
    ///
    /// # Panics
    /// If a length does not match.
    pub fn new(recurrent_kernel: &[f32], units: usize, gates: usize, bias: Option<&[f32]>) -> Self {
        let n = gates * units;
        assert_len(
            "RecurrentKernel",
            "recurrent_kernel",
            recurrent_kernel.len(),
            &[units, n],
        );
        if let Some(b) = bias {
            assert_len("RecurrentKernel", "bias", b.len(), &[n]);
        }
        RecurrentKernel {
            units,
            gates,
            main: PackedMatrix::new(recurrent_kernel, units, n, bias),
            candidate: None,
        }
    }

    /// A reset-before GRU's kernel (`[units, 3 × units]`, gates `z, r, h`):
    /// the `z` and `r` columns and the candidate's packed apart.
    ///
    /// # Panics
    /// If the length is not `units × 3 × units`.
    pub fn gru_reset_before(recurrent_kernel: &[f32], units: usize) -> Self {
        let u = units;
        assert_len(
            "RecurrentKernel",
            "recurrent_kernel",
            recurrent_kernel.len(),
            &[u, 3, u],
        );
        let columns = |from: usize, to: usize| -> Vec<f32> {
            recurrent_kernel
                .chunks_exact(3 * u)
                .flat_map(|row| &row[from..to])
                .copied()
                .collect()
        };
        RecurrentKernel {
            units: u,
            gates: 3,
            main: PackedMatrix::new(&columns(0, 2 * u), u, 2 * u, None),
            candidate: Some(PackedMatrix::new(&columns(2 * u, 3 * u), u, u, None)),
        }
    }

    /// `out = h · matrix` (+ its bias): `batch` rows.
    fn product(matrix: &PackedMatrix, h: &[f32], batch: usize, out: &mut [f32]) {
        dense_packed(h, batch, matrix, FusedActivation::Linear, out);
    }
}

/// Panics, naming the step `op`, unless `xp` is `[batch, gates × units]`,
/// the recurrent kernel was packed for `gates` and `units`, and each named
/// state is `[batch, units]`.
fn check_cell(
    op: &str,
    gates: usize,
    xp: &[f32],
    recurrent_kernel: &RecurrentKernel,
    states: &[(&str, &[f32])],
    [batch, units]: [usize; 2],
) {
    assert_len(op, "xp", xp.len(), &[batch, gates, units]);
    assert!(
        recurrent_kernel.gates == gates && recurrent_kernel.units == units,
        "{op}: the recurrent kernel was packed for {} gates of {} units, expected {gates} of {units}",
        recurrent_kernel.gates,
        recurrent_kernel.units
    );
    for &(name, state) in states {
        assert_len(op, name, state.len(), &[batch, units]);
    }
}

/// `acc[i] += add[i]`.
fn add_into(acc: &mut [f32], add: &[f32]) {
    for (a, b) in acc.iter_mut().zip(add) {
        *a += b;
    }
}

/// One SimpleRNN step: `h = act(xp + h · recurrent_kernel)`.
///
/// `xp` is this timestep's input projection `[batch, units]` (bias included),
/// `recurrent_kernel` is `[units, units]` packed, `h` (`[batch, units]`) is
/// updated in place; `scratch` is reused between calls.
///
/// # Panics
/// If a slice length does not match.
///
/// ```
/// use tfjs_kernels::{simple_rnn_step, RecurrentKernel};
/// let mut h = [1.0, 2.0];
/// let mut scratch = Vec::new();
/// // units 2, identity recurrent kernel, linear activation.
/// let rk = RecurrentKernel::new(&[1.0, 0.0, 0.0, 1.0], 2, 1, None);
/// simple_rnn_step(&[0.5, 0.5], &rk, &mut h, 1, 2, &|_s: &mut [f32]| {}, &mut scratch);
/// assert_eq!(h, [1.5, 2.5]);
/// ```
pub fn simple_rnn_step(
    xp: &[f32],
    recurrent_kernel: &RecurrentKernel,
    h: &mut [f32],
    batch: usize,
    units: usize,
    act: &dyn Fn(&mut [f32]),
    scratch: &mut Vec<f32>,
) {
    check_cell(
        "simple_rnn_step",
        1,
        xp,
        recurrent_kernel,
        &[("h", h)],
        [batch, units],
    );
    scratch.resize(batch * units, 0.0);
    RecurrentKernel::product(&recurrent_kernel.main, h, batch, scratch);
    add_into(scratch, xp);
    act(scratch);
    h.copy_from_slice(scratch);
}

/// One LSTM step (Keras / TensorFlow.js `LSTMCell`, gates ordered `i, f, c, o`):
///
/// ```text
/// z = xp + h · recurrent_kernel
/// i = rec_act(z_i); f = rec_act(z_f); o = rec_act(z_o)
/// c = f * c + i * act(z_c);  h = o * act(c)
/// ```
///
/// `xp` is `[batch, 4*units]` (this timestep's `x · kernel + bias`),
/// `recurrent_kernel` is `[units, 4*units]` packed, `h` and `c` are
/// `[batch, units]` and updated in place; `scratch` is reused between calls.
///
/// # Panics
/// If a slice length does not match.
///
/// ```
/// use tfjs_kernels::{lstm_step, RecurrentKernel};
/// let (mut h, mut c, mut s) = ([0.0f32], [1.0f32], Vec::new());
/// let id = |_x: &mut [f32]| {};
/// // units 1, zero recurrent kernel, linear activations: c = f*c + i*g, h = o*c.
/// let rk = RecurrentKernel::new(&[0.0; 4], 1, 4, None);
/// lstm_step(&[2.0, 3.0, 4.0, 0.5], &rk, &mut h, &mut c, 1, 1, &id, &id, &mut s);
/// assert_eq!(c, [11.0]);
/// assert_eq!(h, [5.5]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn lstm_step(
    xp: &[f32],
    recurrent_kernel: &RecurrentKernel,
    h: &mut [f32],
    c: &mut [f32],
    batch: usize,
    units: usize,
    act: &dyn Fn(&mut [f32]),
    rec_act: &dyn Fn(&mut [f32]),
    scratch: &mut Vec<f32>,
) {
    let u = units;
    let states = [("h", &h[..]), ("c", &c[..])];
    check_cell("lstm_step", 4, xp, recurrent_kernel, &states, [batch, u]);
    if u == 0 {
        return;
    }
    scratch.resize(batch * 4 * u, 0.0);
    RecurrentKernel::product(&recurrent_kernel.main, h, batch, scratch);
    add_into(scratch, xp);
    for b in 0..batch {
        let z = &mut scratch[b * 4 * u..(b + 1) * 4 * u];
        rec_act(&mut z[..2 * u]);
        act(&mut z[2 * u..3 * u]);
        rec_act(&mut z[3 * u..]);
        let cb = &mut c[b * u..(b + 1) * u];
        for j in 0..u {
            cb[j] = z[u + j] * cb[j] + z[j] * z[2 * u + j];
        }
        // Reuse the candidate slot for act(c).
        z[2 * u..3 * u].copy_from_slice(cb);
        act(&mut z[2 * u..3 * u]);
        let hb = &mut h[b * u..(b + 1) * u];
        for j in 0..u {
            hb[j] = z[3 * u + j] * z[2 * u + j];
        }
    }
}

/// Where a GRU applies its reset gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GruResetMode {
    /// TensorFlow.js `GRUCell` / Keras `reset_after=False`:
    /// `hh = act(xp_h + (r * h) · U_h)`; the bias is a single `[3*units]`
    /// vector already added into `xp`.
    Before,
    /// Keras `reset_after=True` (the Keras 2+ default; its bias is `[2, 3*units]`,
    /// row 0 goes into `xp`, row 1 is the recurrent bias):
    /// `hh = act(xp_h + r * (h · U_h + b_rec_h))`.
    After,
}

/// One GRU step (gates ordered `z, r, h` as Keras / TensorFlow.js store them):
///
/// ```text
/// z = rec_act(xp_z + h·U_z [+ b_rec_z]);  r = rec_act(xp_r + h·U_r [+ b_rec_r])
/// hh = act(xp_h + (r*h)·U_h)              (GruResetMode::Before)
/// hh = act(xp_h + r * (h·U_h + b_rec_h))  (GruResetMode::After)
/// h = z * h + (1 - z) * hh
/// ```
///
/// `xp` is `[batch, 3*units]`; `recurrent_kernel` is `[units, 3*units]`
/// packed by [`RecurrentKernel::gru_reset_before`] for `Before`, and by
/// [`RecurrentKernel::new`] (with the recurrent bias, if any) for `After`;
/// `h` (`[batch, units]`) is updated in place; `scratch` is reused between
/// calls.
///
/// # Panics
/// If a slice length does not match, or the kernel was not packed for `mode`.
///
/// ```
/// use tfjs_kernels::{gru_step, GruResetMode, RecurrentKernel};
/// let mut h = [1.0f32];
/// let mut s = Vec::new();
/// let id = |_x: &mut [f32]| {};
/// // units 1, zero recurrent kernel, linear activations: h = z*h + (1-z)*xp_h.
/// let rk = RecurrentKernel::gru_reset_before(&[0.0; 3], 1);
/// gru_step(&[0.25, 0.0, 5.0], &rk, &mut h, 1, 1, GruResetMode::Before, &id, &id, &mut s);
/// assert_eq!(h, [0.25 + 0.75 * 5.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gru_step(
    xp: &[f32],
    recurrent_kernel: &RecurrentKernel,
    h: &mut [f32],
    batch: usize,
    units: usize,
    mode: GruResetMode,
    act: &dyn Fn(&mut [f32]),
    rec_act: &dyn Fn(&mut [f32]),
    scratch: &mut Vec<f32>,
) {
    let u = units;
    check_cell("gru_step", 3, xp, recurrent_kernel, &[("h", h)], [batch, u]);
    assert!(
        recurrent_kernel.candidate.is_some() == (mode == GruResetMode::Before),
        "gru_step: the recurrent kernel was not packed for {mode:?}"
    );
    if u == 0 {
        return;
    }
    match (mode, &recurrent_kernel.candidate) {
        (GruResetMode::Before, Some(candidate)) => {
            // scratch = [z r: batch×2u | r*h: batch×u | candidate: batch×u].
            scratch.resize(batch * 4 * u, 0.0);
            let (gates, rest) = scratch.split_at_mut(batch * 2 * u);
            let (rh, hh) = rest.split_at_mut(batch * u);
            RecurrentKernel::product(&recurrent_kernel.main, h, batch, gates);
            for b in 0..batch {
                let g = &mut gates[b * 2 * u..(b + 1) * 2 * u];
                add_into(g, &xp[b * 3 * u..b * 3 * u + 2 * u]);
                rec_act(g);
                for j in 0..u {
                    rh[b * u + j] = g[u + j] * h[b * u + j];
                }
            }
            RecurrentKernel::product(candidate, rh, batch, hh);
            for b in 0..batch {
                let cand = &mut hh[b * u..(b + 1) * u];
                add_into(cand, &xp[b * 3 * u + 2 * u..(b + 1) * 3 * u]);
                act(cand);
                let hb = &mut h[b * u..(b + 1) * u];
                for j in 0..u {
                    let z = gates[b * 2 * u + j];
                    hb[j] = z * hb[j] + (1.0 - z) * cand[j];
                }
            }
        }
        _ => {
            // scratch = h·U + b_rec: [batch×3u].
            scratch.resize(batch * 3 * u, 0.0);
            RecurrentKernel::product(&recurrent_kernel.main, h, batch, scratch);
            for b in 0..batch {
                let x = &xp[b * 3 * u..(b + 1) * 3 * u];
                let g = &mut scratch[b * 3 * u..(b + 1) * 3 * u];
                add_into(&mut g[..2 * u], &x[..2 * u]);
                rec_act(&mut g[..2 * u]);
                for j in 0..u {
                    g[2 * u + j] = x[2 * u + j] + g[u + j] * g[2 * u + j];
                }
                act(&mut g[2 * u..]);
                let hb = &mut h[b * u..(b + 1) * u];
                for j in 0..u {
                    let z = g[j];
                    hb[j] = z * hb[j] + (1.0 - z) * g[2 * u + j];
                }
            }
        }
    }
}

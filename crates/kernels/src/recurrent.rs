//! Recurrent-layer steps (SimpleRNN, LSTM, GRU) in Keras / TensorFlow.js gate order.
//!
//! The recommended driver loop for a recurrent layer over `x` of shape
//! `[batch, time, features]`:
//!
//! 1. [`to_time_major`] → `[time, batch, features]`;
//! 2. one [`crate::dense`] call projects every timestep at once:
//!    `xp = x · kernel + bias` with `m = time * batch` (the big matrix product);
//! 3. for each timestep `t` (reversed for `go_backwards`), call the step
//!    function on `xp[t*batch*G .. (t+1)*batch*G]` (`G` = gates × units); it
//!    adds `h · recurrent_kernel` and applies the gates, updating the state in place.
//!
//! Activations are passed as in-place slice functions so the caller can plug
//! in any Keras activation (e.g. `|s| act.apply(s, s.len())`).

use crate::geom::assert_len;
use crate::matmul::{fill_rows, gemm_raw, matmul};

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

/// Panics, naming the step `op`, unless `xp` is `[batch, gates × units]`,
/// `recurrent_kernel` `[units, gates × units]` and each named state `[batch, units]`.
fn check_cell(
    op: &str,
    gates: usize,
    xp: &[f32],
    recurrent_kernel: &[f32],
    states: &[(&str, &[f32])],
    [batch, units]: [usize; 2],
) {
    assert_len(op, "xp", xp.len(), &[batch, gates, units]);
    let rk = recurrent_kernel.len();
    assert_len(op, "recurrent_kernel", rk, &[units, gates, units]);
    for &(name, state) in states {
        assert_len(op, name, state.len(), &[batch, units]);
    }
}

/// One SimpleRNN step: `h = act(xp + h · recurrent_kernel)`.
///
/// `xp` is this timestep's input projection `[batch, units]` (bias included),
/// `recurrent_kernel` is `[units, units]`, `h` (`[batch, units]`) is updated in
/// place; `scratch` is reused between calls.
///
/// # Panics
/// If a slice length does not match.
///
/// ```
/// use tfjs_kernels::simple_rnn_step;
/// let mut h = [1.0, 2.0];
/// let mut scratch = Vec::new();
/// // units 2, identity recurrent kernel, linear activation.
/// simple_rnn_step(&[0.5, 0.5], &[1.0, 0.0, 0.0, 1.0], &mut h, 1, 2, &|_s: &mut [f32]| {}, &mut scratch);
/// assert_eq!(h, [1.5, 2.5]);
/// ```
pub fn simple_rnn_step(
    xp: &[f32],
    recurrent_kernel: &[f32],
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
    scratch.clear();
    scratch.extend_from_slice(xp);
    matmul(h, recurrent_kernel, batch, units, units, scratch, true);
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
/// `recurrent_kernel` is `[units, 4*units]`, `h` and `c` are `[batch, units]`
/// and updated in place; `scratch` is reused between calls.
///
/// # Panics
/// If a slice length does not match.
///
/// ```
/// use tfjs_kernels::lstm_step;
/// let (mut h, mut c, mut s) = ([0.0f32], [1.0f32], Vec::new());
/// let id = |_x: &mut [f32]| {};
/// // units 1, zero recurrent kernel, linear activations: c = f*c + i*g, h = o*c.
/// lstm_step(&[2.0, 3.0, 4.0, 0.5], &[0.0; 4], &mut h, &mut c, 1, 1, &id, &id, &mut s);
/// assert_eq!(c, [11.0]);
/// assert_eq!(h, [5.5]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn lstm_step(
    xp: &[f32],
    recurrent_kernel: &[f32],
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
    scratch.clear();
    scratch.extend_from_slice(xp);
    matmul(h, recurrent_kernel, batch, u, 4 * u, scratch, true);
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
/// `xp` is `[batch, 3*units]`, `recurrent_kernel` `[units, 3*units]`,
/// `recurrent_bias` (only with `After`, optional) `[3*units]`; `h`
/// (`[batch, units]`) is updated in place; `scratch` is reused between calls.
///
/// # Panics
/// If a slice length does not match, or a recurrent bias is given with `Before`.
///
/// ```
/// use tfjs_kernels::{gru_step, GruResetMode};
/// let mut h = [1.0f32];
/// let mut s = Vec::new();
/// let id = |_x: &mut [f32]| {};
/// // units 1, zero recurrent kernel, linear activations: h = z*h + (1-z)*xp_h.
/// gru_step(&[0.25, 0.0, 5.0], &[0.0; 3], None, &mut h, 1, 1, GruResetMode::Before, &id, &id, &mut s);
/// assert_eq!(h, [0.25 + 0.75 * 5.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gru_step(
    xp: &[f32],
    recurrent_kernel: &[f32],
    recurrent_bias: Option<&[f32]>,
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
    if let Some(b) = recurrent_bias {
        assert!(
            mode == GruResetMode::After,
            "gru_step: a recurrent bias is only used with GruResetMode::After"
        );
        assert_len("gru_step", "recurrent_bias", b.len(), &[3, u]);
    }
    if u == 0 {
        return;
    }
    // scratch = [hp: batch×3u | rh: batch×u]
    scratch.clear();
    scratch.resize(batch * 4 * u, 0.0);
    let (hp, rh) = scratch.split_at_mut(batch * 3 * u);
    match mode {
        GruResetMode::After => {
            let acc = recurrent_bias.is_some();
            fill_rows(hp, recurrent_bias, 3 * u);
            // SAFETY: h is [batch×u], U is [u×3u], hp is [batch×3u].
            unsafe {
                gemm_raw(
                    batch,
                    u,
                    3 * u,
                    h.as_ptr(),
                    u,
                    recurrent_kernel.as_ptr(),
                    3 * u,
                    1,
                    hp.as_mut_ptr(),
                    3 * u,
                    acc,
                    crate::matmul::worth_parallel(batch, u, 3 * u),
                )
            };
        }
        GruResetMode::Before => {
            // Only the z and r columns of U now.
            // SAFETY: reads columns 0..2u of U (row stride 3u); writes columns 0..2u of hp.
            unsafe {
                gemm_raw(
                    batch,
                    u,
                    2 * u,
                    h.as_ptr(),
                    u,
                    recurrent_kernel.as_ptr(),
                    3 * u,
                    1,
                    hp.as_mut_ptr(),
                    3 * u,
                    false,
                    crate::matmul::worth_parallel(batch, u, 2 * u),
                )
            };
        }
    }
    for b in 0..batch {
        let x = &xp[b * 3 * u..(b + 1) * 3 * u];
        let r_ = &mut hp[b * 3 * u..(b + 1) * 3 * u];
        for j in 0..2 * u {
            r_[j] += x[j];
        }
        rec_act(&mut r_[..2 * u]);
    }
    match mode {
        GruResetMode::After => {
            for b in 0..batch {
                let x = &xp[b * 3 * u..(b + 1) * 3 * u];
                let g = &mut hp[b * 3 * u..(b + 1) * 3 * u];
                for j in 0..u {
                    g[2 * u + j] = x[2 * u + j] + g[u + j] * g[2 * u + j];
                }
            }
        }
        GruResetMode::Before => {
            for b in 0..batch {
                let g = &hp[b * 3 * u..(b + 1) * 3 * u];
                let hb = &h[b * u..(b + 1) * u];
                let rb = &mut rh[b * u..(b + 1) * u];
                for j in 0..u {
                    rb[j] = g[u + j] * hb[j];
                }
            }
            // hp[:, 2u..3u] = xp_h + rh · U_h
            for b in 0..batch {
                hp[b * 3 * u + 2 * u..(b + 1) * 3 * u]
                    .copy_from_slice(&xp[b * 3 * u + 2 * u..(b + 1) * 3 * u]);
            }
            // SAFETY: rh is [batch×u]; U_h is columns 2u..3u of U (row stride 3u);
            // the destination is columns 2u..3u of hp (row stride 3u).
            unsafe {
                gemm_raw(
                    batch,
                    u,
                    u,
                    rh.as_ptr(),
                    u,
                    recurrent_kernel.as_ptr().add(2 * u),
                    3 * u,
                    1,
                    hp.as_mut_ptr().add(2 * u),
                    3 * u,
                    true,
                    crate::matmul::worth_parallel(batch, u, u),
                )
            };
        }
    }
    for b in 0..batch {
        let g = &mut hp[b * 3 * u..(b + 1) * 3 * u];
        act(&mut g[2 * u..]);
        let hb = &mut h[b * u..(b + 1) * u];
        for j in 0..u {
            let z = g[j];
            hb[j] = z * hb[j] + (1.0 - z) * g[2 * u + j];
        }
    }
}

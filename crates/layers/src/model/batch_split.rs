//! Whether a large batch of a per-sample model runs as parallel slices or
//! whole on the calling thread: learned per batch size from the first
//! predicts at that size.
//!
//! Slices pay when the batch's work dwarfs what waking the pool's threads,
//! copying the slices out and joining the outputs cost. How much that is
//! depends on the machine more than on the model: on the 2-vCPU virtual
//! machine of the benchmarks a model of a few hundred microseconds per
//! batch ran 10–40% slower sliced than whole (its second vCPU gave 1.0–1.5×
//! on pure arithmetic), while MobileNet at batch 32 ran 1.3–1.5× faster.
//! Both ways compute every sample exactly alike, so time alone decides: the
//! first two calls at a batch size run whole, then sliced, untimed (they
//! pack weights and grow each way's buffers: timing those cold calls picked
//! the slower way in one process of three for Xception-style and RegNet at
//! batch 32, whose sliced runs are then 1.6–1.8× faster), the next three
//! run whole and the three after them sliced, and the batch size then keeps the way whose
//! best time was lower (whole unless slices win by 10%: they also take the
//! other cores). Only batches whose largest
//! layer output is small are tried whole (`WHOLE_BATCH_BYTES` in
//! `exec.rs`); larger ones are always sliced. `TFJS_BATCH_SPLIT=slices` or
//! `whole` fixes the way for every batch (benchmarks, a busy server).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Batch sizes learned at most: a caller varying the batch endlessly
/// keeps slicing the others, as before any learning.
const MAX_SIZES: usize = 64;
/// Timed calls per way before deciding.
const TRIALS: u32 = 3;

/// The way `TFJS_BATCH_SPLIT` fixes (`slices`: `Some(true)`, `whole`:
/// `Some(false)`); unset or anything else learns (read once).
pub(crate) fn forced() -> Option<bool> {
    static FORCED: std::sync::OnceLock<Option<bool>> = std::sync::OnceLock::new();
    *FORCED.get_or_init(|| match std::env::var("TFJS_BATCH_SPLIT").as_deref() {
        Ok("slices") => Some(true),
        Ok("whole") => Some(false),
        _ => None,
    })
}

/// What [`BatchSplit::choose`] says about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    /// Run it this way (sliced when `true`); nothing to report.
    Settled(bool),
    /// Run it this way and [`BatchSplit::record`] the time.
    Trial(bool),
}

impl Choice {
    pub(crate) fn sliced(self) -> bool {
        match self {
            Choice::Settled(s) | Choice::Trial(s) => s,
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Trials {
    /// Calls started at this size (the first two are not timed).
    started: u32,
    best_whole: Option<Duration>,
    best_sliced: Option<Duration>,
    whole_runs: u32,
    sliced_runs: u32,
    sliced: Option<bool>,
}

/// The learned way per batch size.
#[derive(Debug, Default)]
pub(crate) struct BatchSplit {
    sizes: Mutex<HashMap<usize, Trials>>,
}

impl BatchSplit {
    /// How to run a call at `batch`.
    pub(crate) fn choose(&self, batch: usize) -> Choice {
        let Ok(mut sizes) = self.sizes.lock() else {
            return Choice::Settled(true);
        };
        if !sizes.contains_key(&batch) && sizes.len() >= MAX_SIZES {
            return Choice::Settled(true);
        }
        let t = sizes.entry(batch).or_default();
        if let Some(sliced) = t.sliced {
            return Choice::Settled(sliced);
        }
        t.started += 1;
        match t.started {
            1 => Choice::Settled(false),
            2 => Choice::Settled(true),
            // Each way's trials in a row: alternating made every trial
            // wake the pool's threads after the other way left them idle
            // (on a virtual machine a sleeping vCPU can take longer to wake
            // than a small model's whole batch).
            n => Choice::Trial(n > 2 + TRIALS),
        }
    }

    /// The time of a [`Choice::Trial`] call at `batch`.
    pub(crate) fn record(&self, batch: usize, sliced: bool, elapsed: Duration) {
        let Ok(mut sizes) = self.sizes.lock() else {
            return;
        };
        let Some(t) = sizes.get_mut(&batch) else {
            return;
        };
        let (best, runs) = if sliced {
            (&mut t.best_sliced, &mut t.sliced_runs)
        } else {
            (&mut t.best_whole, &mut t.whole_runs)
        };
        *best = Some(best.map_or(elapsed, |b| b.min(elapsed)));
        *runs += 1;
        if t.sliced.is_none() && t.whole_runs >= TRIALS && t.sliced_runs >= TRIALS {
            if let (Some(w), Some(s)) = (t.best_whole, t.best_sliced) {
                let sliced = s.as_secs_f64() < 0.9 * w.as_secs_f64();
                tracing::debug!(
                    "batch {batch}: runs {} (best sliced {s:?}, whole {w:?})",
                    if sliced { "sliced" } else { "whole" }
                );
                t.sliced = Some(sliced);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learn(split: &BatchSplit, batch: usize, whole: u64, sliced: u64) -> bool {
        loop {
            match split.choose(batch) {
                Choice::Settled(s) if split.sizes.lock().unwrap()[&batch].sliced.is_some() => {
                    return s
                }
                Choice::Settled(_) => {}
                Choice::Trial(s) => {
                    let us = if s { sliced } else { whole };
                    split.record(batch, s, Duration::from_micros(us));
                }
            }
        }
    }

    #[test]
    fn the_faster_way_wins_and_slices_must_win_clearly() {
        let split = BatchSplit::default();
        assert!(learn(&split, 32, 1000, 600));
        assert!(!learn(&split, 16, 600, 1000));
        // 5% faster sliced is not worth the other cores.
        assert!(!learn(&split, 8, 1000, 950));
        // Settled sizes stay settled.
        assert_eq!(split.choose(32), Choice::Settled(true));
        assert_eq!(split.choose(16), Choice::Settled(false));
    }

    #[test]
    fn the_first_calls_run_each_way_untimed_then_each_way_in_a_row() {
        let split = BatchSplit::default();
        let seen: Vec<Choice> = (0..8)
            .map(|_| {
                let c = split.choose(4);
                if let Choice::Trial(s) = c {
                    split.record(4, s, Duration::from_micros(100));
                }
                c
            })
            .collect();
        assert_eq!(
            seen,
            [
                Choice::Settled(false),
                Choice::Settled(true),
                Choice::Trial(false),
                Choice::Trial(false),
                Choice::Trial(false),
                Choice::Trial(true),
                Choice::Trial(true),
                Choice::Trial(true),
            ]
        );
        assert_eq!(split.choose(4), Choice::Settled(false));
    }

    #[test]
    fn past_the_size_limit_batches_are_sliced_unlearned() {
        let split = BatchSplit::default();
        for b in 0..MAX_SIZES {
            split.choose(b + 100);
        }
        assert_eq!(split.choose(7), Choice::Settled(true));
    }
}

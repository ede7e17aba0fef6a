//! Choices between two ways of running a predict that compute the same
//! numbers and differ only in time on this machine, learned per batch size
//! from the first predicts at that size.
//!
//! **Batch split**: whether a large batch of a per-sample model runs as
//! parallel slices or whole on the calling thread.
//! Slices pay when the batch's work dwarfs what waking the pool's threads,
//! copying the slices out and joining the outputs cost. How much that is
//! depends on the machine more than on the model: on the 2-vCPU virtual
//! machine of the benchmarks a model of a few hundred microseconds per
//! batch ran 10–40% slower sliced than whole (its second vCPU gave 1.0–1.5×
//! on pure arithmetic), while MobileNet at batch 32 ran 1.3–1.5× faster.
//! Only batches whose largest layer output is small are tried whole
//! (`WHOLE_BATCH_BYTES` in `exec.rs`); larger ones are always sliced.
//! `TFJS_BATCH_SPLIT=slices` or `whole` fixes the way for every batch
//! (benchmarks, a busy server).
//!
//! **Slice size**: for a batch settled on slices, slices of about 2 MiB
//! or 512 KiB of activations (a core's L2 on the benchmarks' machine):
//! small slices stay in the cache, large ones pay each layer's fixed
//! costs fewer times; which wins depends on the model (MobileNet v1 at
//! 128×128 ran 15% faster in small slices, the small corpus models 5–18%
//! slower). `TFJS_SLICE_SIZE=small` or `large` fixes it.
//!
//! **Team grain**: how finely the kernels of a batch too small to slice
//! split over the kernels' spinning team ([`tfjs_kernels::TeamGrain`]).
//! Which grain is faster changed within an hour on that machine, as its
//! host moved the two vCPUs nearer or further apart, so a settled grain is
//! tried again every [`TEAM_GRAIN_RELEARN`]. `TFJS_TEAM_GRAIN=fine` or
//! `coarse` fixes it.
//!
//! Both ways compute every sample exactly alike, so time alone decides: the
//! first calls at a batch size run each way untimed (they pack weights
//! and grow each way's buffers: timing those cold calls picked the slower
//! way in one process of three for Xception-style and RegNet at batch 32,
//! whose sliced runs are then 1.6–1.8× faster), the next three run the
//! first way and the three after them the second, and the batch size then
//! keeps the way whose best time was lower (the first unless the second
//! wins by the learner's margin: slices and a fine grain also take the
//! other cores). When neither wins by the margin, both ways are timed once
//! more and the best times of both rounds decide.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Batch sizes learned at most: a caller varying the batch endlessly
/// keeps slicing the others, as before any learning.
const MAX_SIZES: usize = 64;
/// How long a settled team grain holds before it is tried again.
pub(crate) const TEAM_GRAIN_RELEARN: Duration = Duration::from_secs(10);

/// The way environment variable `var` fixes: `Some(true)` for `second`,
/// `Some(false)` for `first`; unset or anything else learns (read once into
/// `cell`).
fn forced(
    cell: &'static std::sync::OnceLock<Option<bool>>,
    var: &str,
    second: &str,
    first: &str,
) -> Option<bool> {
    *cell.get_or_init(|| match std::env::var(var) {
        Ok(v) if v == second => Some(true),
        Ok(v) if v == first => Some(false),
        _ => None,
    })
}

/// `TFJS_BATCH_SPLIT=slices|whole`.
pub(crate) fn forced_batch_split() -> Option<bool> {
    static FORCED: std::sync::OnceLock<Option<bool>> = std::sync::OnceLock::new();
    forced(&FORCED, "TFJS_BATCH_SPLIT", "slices", "whole")
}

/// `TFJS_SLICE_SIZE=small|large`.
pub(crate) fn forced_slice_size() -> Option<bool> {
    static FORCED: std::sync::OnceLock<Option<bool>> = std::sync::OnceLock::new();
    forced(&FORCED, "TFJS_SLICE_SIZE", "small", "large")
}

/// `TFJS_TEAM_GRAIN=fine|coarse`.
pub(crate) fn forced_team_grain() -> Option<bool> {
    static FORCED: std::sync::OnceLock<Option<bool>> = std::sync::OnceLock::new();
    forced(&FORCED, "TFJS_TEAM_GRAIN", "fine", "coarse")
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
    best_first: Option<Duration>,
    best_second: Option<Duration>,
    first_runs: u32,
    second_runs: u32,
    /// The way kept (`true`: the second), and since when.
    settled: Option<(bool, Instant)>,
    /// Rounds of trials run again because neither way won clearly.
    again: u32,
}

/// The learned way per batch size: the first way is `false` (whole, the
/// coarse grain), the second `true` (sliced, the fine grain).
#[derive(Debug)]
pub(crate) struct LearnedWay {
    sizes: Mutex<HashMap<usize, Trials>>,
    /// What is chosen, for the log.
    what: &'static str,
    /// The second way is kept only when its best time is below this
    /// fraction of the first's.
    margin: f64,
    /// A settled way is tried again after this long.
    relearn_after: Option<Duration>,
    /// Calls run before the timed ones, each way in turn.
    untimed: u32,
    /// Timed calls per way before deciding.
    trials: u32,
    /// The way past [`MAX_SIZES`] batch sizes.
    unlearned: bool,
    /// When the first way's best time is at least this, the second way is
    /// the default instead: it is kept unless the first wins by the margin.
    second_from: Option<Duration>,
}

impl LearnedWay {
    /// Whole (`false`) or sliced (`true`): slices must win by 10%.
    pub(crate) fn batch_split() -> Self {
        Self {
            sizes: Mutex::default(),
            what: "sliced",
            margin: 0.9,
            relearn_after: None,
            // Each way twice untimed, then five timed: with one untimed
            // and three timed calls each, Xception-style at batch 32 settled
            // on whole batches (0.71 ms) in one process of six, its slices'
            // trials all slow (0.90 ms; 0.40 once warm).
            untimed: 4,
            trials: 5,
            unlearned: true,
            // A batch that takes a millisecond or more whole pays slicing's
            // fixed costs (waking the pool, copying the slices) several
            // times over, so slices are kept unless whole batches win
            // clearly: NASNetMobile at batch 32 (3.6 ms whole, 1.95
            // sliced) settled on whole batches in two processes of six and
            // three of eight, when all five of its sliced trials ran about
            // as slow as whole ones (3.5-4.1 ms: the second vCPU barely
            // helped during those few milliseconds; more untimed calls did
            // not change it). From half a millisecond: Xception-style at
            // batch 32 (0.75-0.85 ms whole, 0.40-0.50 sliced) settled on
            // whole batches in one process of six to ten, its sliced trials
            // at 0.56 ms for the first, then 0.76-0.90 (in some processes
            // the slices ran at one core's speed throughout, the second
            // vCPU idle: no steal time, no other thread of ours running).
            second_from: Some(Duration::from_micros(500)),
        }
    }

    /// Slices of about 2 MiB (`false`) or 512 KiB (`true`) of activations,
    /// for a batch settled on slices: small slices must win by 5%.
    pub(crate) fn slice_size() -> Self {
        Self {
            sizes: Mutex::default(),
            what: "small slices",
            margin: 0.95,
            relearn_after: None,
            untimed: 2,
            trials: 3,
            unlearned: false,
            second_from: None,
        }
    }

    /// The coarse (`false`) or fine (`true`) team grain: fine must win by
    /// 5%, and the choice is tried again every [`TEAM_GRAIN_RELEARN`].
    pub(crate) fn team_grain() -> Self {
        Self {
            sizes: Mutex::default(),
            what: "fine-grained",
            margin: 0.95,
            relearn_after: Some(TEAM_GRAIN_RELEARN),
            // A small model's first calls after loading ran 15-20% slower
            // than later ones (MobileNet v1 at batch 1: 0.50 ms against
            // 0.42), by more than the grains differ on some machines.
            untimed: 16,
            trials: 5,
            unlearned: false,
            second_from: None,
        }
    }

    /// How to run a call at `batch`.
    pub(crate) fn choose(&self, batch: usize) -> Choice {
        let Ok(mut sizes) = self.sizes.lock() else {
            return Choice::Settled(self.unlearned);
        };
        if !sizes.contains_key(&batch) && sizes.len() >= MAX_SIZES {
            return Choice::Settled(self.unlearned);
        }
        let t = sizes.entry(batch).or_default();
        if let Some((second, since)) = t.settled {
            match self.relearn_after {
                // Warm already: straight to the timed trials.
                Some(after) if since.elapsed() >= after => {
                    *t = Trials {
                        started: self.untimed,
                        ..Trials::default()
                    }
                }
                _ => return Choice::Settled(second),
            }
        }
        t.started += 1;
        match t.started {
            // Untimed, each way in turn.
            n if n <= self.untimed => Choice::Settled(n % 2 == 0),
            // Each way's trials in a row: alternating made every trial
            // wake the pool's threads after the other way left them idle
            // (on a virtual machine a sleeping vCPU can take longer to wake
            // than a small model's whole batch).
            n => Choice::Trial(n > self.untimed + self.trials),
        }
    }

    /// Whether `batch` is still being timed both ways (a size never seen
    /// is not).
    pub(crate) fn learning(&self, batch: usize) -> bool {
        self.sizes
            .lock()
            .ok()
            .and_then(|sizes| sizes.get(&batch).map(|t| t.settled.is_none()))
            .unwrap_or(false)
    }

    /// The way settled on for `batch`, else the first.
    pub(crate) fn settled(&self, batch: usize) -> bool {
        self.sizes
            .lock()
            .ok()
            .and_then(|sizes| sizes.get(&batch)?.settled)
            .is_some_and(|(second, _)| second)
    }

    /// The time of a [`Choice::Trial`] call at `batch`.
    pub(crate) fn record(&self, batch: usize, second: bool, elapsed: Duration) {
        let Ok(mut sizes) = self.sizes.lock() else {
            return;
        };
        let Some(t) = sizes.get_mut(&batch) else {
            return;
        };
        tracing::trace!("batch {batch}: {} {second} took {elapsed:?}", self.what);
        let (best, runs) = if second {
            (&mut t.best_second, &mut t.second_runs)
        } else {
            (&mut t.best_first, &mut t.first_runs)
        };
        *best = Some(best.map_or(elapsed, |b| b.min(elapsed)));
        *runs += 1;
        if t.settled.is_none() && t.first_runs >= self.trials && t.second_runs >= self.trials {
            if let (Some(a), Some(b)) = (t.best_first, t.best_second) {
                let (af, bf) = (a.as_secs_f64(), b.as_secs_f64());
                if t.again == 0 && bf >= self.margin * af && af >= self.margin * bf {
                    // Neither way won by the margin: time both again
                    // (keeping the best times so far) before settling. On
                    // the 2-vCPU machine all five sliced trials of a
                    // process sometimes ran at one core's speed (the other
                    // vCPU busy elsewhere for those milliseconds): ViT-tiny
                    // at batch 32 then settled on whole batches, 0.59 ms
                    // against 0.32 sliced, in one process of six.
                    t.again += 1;
                    t.first_runs = 0;
                    t.second_runs = 0;
                    t.started = self.untimed;
                    return;
                }
                let second = match self.second_from {
                    Some(from) if a >= from => a.as_secs_f64() >= self.margin * b.as_secs_f64(),
                    _ => b.as_secs_f64() < self.margin * a.as_secs_f64(),
                };
                tracing::debug!(
                    "batch {batch}: {} {second} (best {b:?} against {a:?})",
                    self.what
                );
                t.settled = Some((second, Instant::now()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learn(split: &LearnedWay, batch: usize, whole: u64, sliced: u64) -> bool {
        loop {
            match split.choose(batch) {
                Choice::Settled(s) if split.sizes.lock().unwrap()[&batch].settled.is_some() => {
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
        let split = LearnedWay::batch_split();
        assert!(learn(&split, 32, 900, 600));
        assert!(!learn(&split, 16, 600, 900));
        // 5% faster sliced is not worth the other cores (below half a
        // millisecond whole).
        assert!(!learn(&split, 8, 450, 430));
        // Settled sizes stay settled.
        assert_eq!(split.choose(32), Choice::Settled(true));
        assert_eq!(split.choose(16), Choice::Settled(false));
    }

    /// When neither way wins by the margin, both are timed once more and
    /// the best times of both rounds decide.
    #[test]
    fn a_close_call_is_timed_again() {
        let split = LearnedWay::batch_split();
        let mut sliced_us = 600;
        let mut trials = 0;
        let settled = loop {
            match split.choose(32) {
                Choice::Settled(s) if split.sizes.lock().unwrap()[&32].settled.is_some() => {
                    break s
                }
                Choice::Settled(_) => {}
                Choice::Trial(s) => {
                    trials += 1;
                    let us = if s { sliced_us } else { 600 };
                    split.record(32, s, Duration::from_micros(us));
                    // The first round's slices ran at one core's speed.
                    if trials == 10 {
                        sliced_us = 320;
                    }
                }
            }
        };
        assert!(settled);
        assert_eq!(trials, 20);
        // A clear first round settles at once.
        assert!(learn(&split, 16, 600, 320));
    }

    /// From half a millisecond whole, slices are the default: kept even
    /// when their trials ran as slow as whole batches, dropped when whole
    /// batches win by the margin.
    #[test]
    fn long_batches_keep_slices_unless_whole_wins_clearly() {
        let split = LearnedWay::batch_split();
        assert!(learn(&split, 32, 3600, 3800));
        assert!(learn(&split, 24, 1000, 1050));
        assert!(learn(&split, 20, 751, 764));
        assert!(!learn(&split, 16, 2000, 3000));
        assert!(!learn(&split, 12, 400, 420));
    }

    #[test]
    fn the_first_calls_run_each_way_untimed_then_each_way_in_a_row() {
        let split = LearnedWay::batch_split();
        let seen: Vec<Choice> = (0..14)
            .map(|_| {
                let c = split.choose(4);
                if let Choice::Trial(s) = c {
                    // Whole batches win clearly (a close call is timed again).
                    split.record(4, s, Duration::from_micros(if s { 200 } else { 100 }));
                }
                c
            })
            .collect();
        assert_eq!(
            seen,
            [
                Choice::Settled(false),
                Choice::Settled(true),
                Choice::Settled(false),
                Choice::Settled(true),
                Choice::Trial(false),
                Choice::Trial(false),
                Choice::Trial(false),
                Choice::Trial(false),
                Choice::Trial(false),
                Choice::Trial(true),
                Choice::Trial(true),
                Choice::Trial(true),
                Choice::Trial(true),
                Choice::Trial(true),
            ]
        );
        assert_eq!(split.choose(4), Choice::Settled(false));
    }

    #[test]
    fn past_the_size_limit_batches_are_sliced_unlearned() {
        let split = LearnedWay::batch_split();
        for b in 0..MAX_SIZES {
            split.choose(b + 100);
        }
        assert_eq!(split.choose(7), Choice::Settled(true));
    }

    #[test]
    fn a_team_grain_is_tried_again_after_a_while() {
        let grain = LearnedWay::team_grain();
        // 4% faster fine-grained is not worth the other core.
        assert!(!learn(&grain, 1, 1000, 960));
        assert!(learn(&LearnedWay::team_grain(), 1, 1000, 900));
        assert_eq!(grain.choose(1), Choice::Settled(false));
        // As if settled long ago: the next call is a timed trial again,
        // and the machine now favours the fine grain.
        let long_ago = Instant::now() - TEAM_GRAIN_RELEARN;
        grain.sizes.lock().unwrap().get_mut(&1).unwrap().settled = Some((false, long_ago));
        assert_eq!(grain.choose(1), Choice::Trial(false));
        let mut trials = 1;
        grain.record(1, false, Duration::from_micros(1000));
        loop {
            match grain.choose(1) {
                Choice::Trial(s) => {
                    trials += 1;
                    grain.record(1, s, Duration::from_micros(if s { 600 } else { 1000 }));
                }
                Choice::Settled(s) => {
                    assert!(s);
                    break;
                }
            }
        }
        assert_eq!(trials, 2 * grain.trials);
        // A batch split never comes back.
        let split = LearnedWay::batch_split();
        assert!(learn(&split, 32, 1000, 600));
        split.sizes.lock().unwrap().get_mut(&32).unwrap().settled = Some((true, long_ago));
        assert_eq!(split.choose(32), Choice::Settled(true));
    }

    #[test]
    fn small_slices_must_win_by_five_percent_and_stay() {
        assert!(learn(&LearnedWay::slice_size(), 32, 8000, 7000));
        let size = LearnedWay::slice_size();
        assert!(!learn(&size, 32, 8000, 7800));
        let long_ago = Instant::now() - TEAM_GRAIN_RELEARN;
        size.sizes.lock().unwrap().get_mut(&32).unwrap().settled = Some((false, long_ago));
        assert_eq!(size.choose(32), Choice::Settled(false));
    }
}

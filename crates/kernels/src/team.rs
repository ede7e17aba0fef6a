//! How a kernel splits its work over threads: the calling thread and a
//! team of helper threads that spin between kernels for a while, or
//! rayon's pool when the caller is one of its workers.
//!
//! A predict of a small batch runs its layers one after another on the
//! calling thread. Splitting a layer over rayon's pool there cost more than
//! it saved on a virtual machine: the caller hands the job to a sleeping
//! worker and sleeps itself, and each wake-up took 20–50 µs (MobileNet v1's
//! 24 µs pointwise layers took 72 µs). The team's helpers keep spinning for
//! [`SPIN`] after their last task, so the layers of a predict find them
//! awake and a split costs about a microsecond; then they park until the
//! next kernel. One caller uses the team at a time; a caller that finds it
//! busy (another thread's predict), or that is itself a team task, runs its
//! tasks on rayon or inline as before. On a rayon worker (the parallel
//! batch slices of a large batch) the work stays on rayon: its threads are
//! all busy there, and spinning helpers would only take their cores.

use rayon::prelude::*;
use std::cell::Cell;
use std::ops::Range;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a helper keeps spinning after its last task before it parks:
/// longer than the gap between two layers of a predict.
const SPIN: Duration = Duration::from_micros(300);

/// How finely the kernels of a small batch's predict split their work over
/// the team ([`with_team`]): the fewest multiply-adds (or window taps) a
/// kernel must have to be split. A split costs about a microsecond to hand
/// out, but what it costs in moving data between the cores depends on the
/// machine, and on a virtual machine on the moment: on the 2-vCPU machine
/// of the benchmarks, MobileNet v1 at batch 1 took 0.29 ms split from 64K
/// on and 0.42 ms unsplit in one hour, and 0.43 against 0.42 the next,
/// when a cache line took 400 ns to go from one vCPU to the other and back
/// (the host had moved them apart): each layer's data then has to cross
/// to the other core wherever the split of one layer does not match the
/// next's. So a model learns which grain serves it (`tfjs_layers`' small
/// batch path times both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamGrain {
    /// Split every kernel of at least 64K multiply-adds: most layers of a
    /// small network, so that consecutive layers split alike and each
    /// core keeps its part of the activations.
    Fine,
    /// Split only kernels of at least 2M multiply-adds, whose halves take
    /// long enough to pay for moving their data between distant cores.
    Coarse,
}

impl TeamGrain {
    /// The fewest multiply-adds (or window taps) a kernel splits from.
    fn threshold(self) -> usize {
        match self {
            // MobileNet v1's 1×1 layers (0.5–1M) and most of its depthwise
            // ones split from here; smaller kernels take a few µs, about
            // what handing out a split and moving its data cost.
            TeamGrain::Fine => 1 << 16,
            TeamGrain::Coarse => 1 << 21,
        }
    }
}

thread_local! {
    /// Set on the team's helpers, and on a caller while it runs a team job:
    /// a kernel called from a task runs its tasks inline.
    static IN_TEAM: Cell<bool> = const { Cell::new(false) };
    /// Set by [`with_team`]: kernels called on this thread may use the team,
    /// splitting from this grain.
    static TEAM_GRAIN: Cell<Option<TeamGrain>> = const { Cell::new(None) };
}

/// Runs `f` with the kernels it calls on this thread splitting their work
/// over the team (see the module docs) instead of rayon's pool: for a
/// predict that runs its layers one after another on this thread (a small
/// batch). Elsewhere kernels split over rayon as before (a large batch's
/// whole-or-sliced choice is timed against rayon's costs).
pub fn with_team<R>(grain: TeamGrain, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<TeamGrain>);
    impl Drop for Restore {
        fn drop(&mut self) {
            TEAM_GRAIN.set(self.0);
        }
    }
    let _restore = Restore(TEAM_GRAIN.replace(Some(grain)));
    f()
}

/// Whether a kernel called on this thread would hand its tasks to the team.
fn team_here() -> bool {
    TEAM_GRAIN.get().is_some() && !IN_TEAM.get() && rayon::current_thread_index().is_none()
}

/// Whether kernels called here split over the team at the fine grain
/// (a small batch's predict whose layers split alike).
pub(crate) fn fine_team_here() -> bool {
    TEAM_GRAIN.get() == Some(TeamGrain::Fine) && team_here() && team().is_some()
}

/// Threads that share a kernel's work here: rayon's count (the caller and
/// `threads - 1` helpers, or rayon's workers).
pub(crate) fn threads() -> usize {
    rayon::current_num_threads()
}

/// The fewest units of work (multiply-adds, window taps) that a kernel
/// called on this thread should split: low where the team would take the
/// tasks, rayon's threshold otherwise.
pub(crate) fn split_threshold() -> usize {
    match TEAM_GRAIN.get() {
        Some(grain) if team_here() && team().is_some() => grain.threshold(),
        _ => crate::PARALLEL_THRESHOLD_FLOPS,
    }
}

/// Gives the next unclaimed task, if any.
type Claim<'a> = &'a dyn Fn() -> Option<usize>;

/// One kernel's tasks, on the caller's stack while it runs.
struct Job<'a> {
    /// Each participating thread's loop over the tasks it claims.
    body: &'a (dyn Fn(Claim<'_>) + Sync),
    /// Unclaimed tasks `front..back`, packed as `front << 32 | back`.
    left: AtomicU64,
    /// Helpers inside `body`.
    running: AtomicUsize,
    panicked: AtomicBool,
}

impl Job<'_> {
    /// The caller takes tasks from the front, helpers from the back: each
    /// thread works on its own end of the output, the same end in every
    /// layer, so a layer reads what the thread wrote in the layer before
    /// from its own cache (claiming in one order moved half of each layer
    /// between the cores: MobileNet v1's layers after a split one ran up
    /// to 2x slower), and whoever is done first takes what is left.
    fn claim(&self, from_front: bool) -> Option<usize> {
        let mut left = self.left.load(Relaxed);
        loop {
            let (front, back) = ((left >> 32) as usize, (left & 0xffff_ffff) as usize);
            if front >= back {
                return None;
            }
            let (task, next) = if from_front {
                (front, ((front as u64 + 1) << 32) | back as u64)
            } else {
                (back - 1, ((front as u64) << 32) | (back as u64 - 1))
            };
            match self
                .left
                .compare_exchange_weak(left, next, Relaxed, Relaxed)
            {
                Ok(_) => return Some(task),
                Err(now) => left = now,
            }
        }
    }
}

struct Team {
    /// A caller holds the team.
    busy: AtomicBool,
    /// Helpers park now instead of spinning ([`park_helpers`]); cleared by
    /// the next job.
    hush: AtomicBool,
    /// The job being run (null between jobs).
    job: AtomicPtr<Job<'static>>,
    /// Jobs published so far: a helper serves each once.
    published: AtomicUsize,
    /// Helpers that may be reading `job`.
    active: AtomicUsize,
    helpers: Vec<Helper>,
}

struct Helper {
    thread: std::thread::Thread,
    parked: AtomicBool,
}

/// The team, started at its first use: `threads() - 1` helpers, none on a
/// single thread (or where threads cannot be spawned).
static TEAM: OnceLock<Option<&'static Team>> = OnceLock::new();

/// Let the helpers park now rather than spin out their [`SPIN`]: the
/// caller is about to run work on rayon's pool (a large batch in parallel
/// slices), whose workers need every core. Starts nothing.
pub fn park_helpers() {
    if let Some(Some(team)) = TEAM.get() {
        team.hush.store(true, SeqCst);
    }
}

fn team() -> Option<&'static Team> {
    *TEAM.get_or_init(|| {
        let count = threads().saturating_sub(1);
        if count == 0 {
            return None;
        }
        // The helpers need the team's address and the team their handles:
        // the team is leaked (it lives as long as the process) and its
        // helpers are created parked, then told where it is.
        let slot: &'static OnceLock<&'static Team> = Box::leak(Box::new(OnceLock::new()));
        let mut helpers = Vec::with_capacity(count);
        for h in 0..count {
            let spawned = std::thread::Builder::new()
                .name(format!("tfjs-kernels-{h}"))
                .spawn(move || {
                    IN_TEAM.set(true);
                    let team = loop {
                        match slot.get() {
                            Some(team) => break *team,
                            None => std::thread::park(),
                        }
                    };
                    helper_loop(team, h)
                });
            match spawned {
                Ok(handle) => helpers.push(Helper {
                    thread: handle.thread().clone(),
                    parked: AtomicBool::new(false),
                }),
                Err(_) => break,
            }
        }
        if helpers.is_empty() {
            return None;
        }
        let team: &'static Team = Box::leak(Box::new(Team {
            busy: AtomicBool::new(false),
            hush: AtomicBool::new(false),
            job: AtomicPtr::new(std::ptr::null_mut()),
            published: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            helpers,
        }));
        let _ = slot.set(team);
        for helper in &team.helpers {
            helper.thread.unpark();
        }
        Some(team)
    })
}

fn helper_loop(team: &'static Team, h: usize) -> ! {
    let me = &team.helpers[h];
    let mut served = 0;
    let mut idle_since = Instant::now();
    let mut spins = 0u32;
    loop {
        let published = team.published.load(SeqCst);
        if published != served {
            served = published;
            // Announce before reading `job`: a caller that has cleared it
            // waits until `active` is zero, so a job read here is alive.
            team.active.fetch_add(1, SeqCst);
            let job = team.job.load(SeqCst);
            if !job.is_null() {
                // SAFETY: non-null while its caller runs it, and the caller
                // does not return before `active` drops back (above).
                let job = unsafe { &*job };
                job.running.fetch_add(1, SeqCst);
                if catch_unwind(AssertUnwindSafe(|| (job.body)(&|| job.claim(false)))).is_err() {
                    job.panicked.store(true, SeqCst);
                }
                job.running.fetch_sub(1, SeqCst);
            }
            team.active.fetch_sub(1, SeqCst);
            idle_since = Instant::now();
            continue;
        }
        spins = spins.wrapping_add(1);
        let hushed = team.hush.load(Relaxed);
        if !hushed && (!spins.is_multiple_of(64) || idle_since.elapsed() < SPIN) {
            std::hint::spin_loop();
            continue;
        }
        // Park, unless a job came after the check above (the caller wakes
        // a helper it sees parked; a wake before `park` is not lost).
        me.parked.store(true, SeqCst);
        if team.published.load(SeqCst) == served {
            std::thread::park();
        }
        me.parked.store(false, SeqCst);
        idle_since = Instant::now();
    }
}

/// Runs `f(scratch, i)` for every task `i < tasks`, each exactly once,
/// spread over the threads when `split` (one `scratch` per participating
/// thread, from `S::default()`), else in order on the calling thread.
pub(crate) fn for_each_task<S: Default>(
    tasks: usize,
    split: bool,
    f: impl Fn(&mut S, usize) + Sync,
) {
    let inline = |f: &dyn Fn(&mut S, usize)| {
        let mut scratch = S::default();
        (0..tasks).for_each(|i| f(&mut scratch, i));
    };
    if !split || tasks < 2 || IN_TEAM.get() || tasks > u32::MAX as usize {
        return inline(&f);
    }
    let team = team_here().then(team).flatten();
    let Some(team) = team.filter(|t| !t.busy.swap(true, Acquire)) else {
        return (0..tasks)
            .into_par_iter()
            .for_each_init(S::default, |s, i| f(s, i));
    };
    let body = |claim: Claim<'_>| {
        let mut scratch = S::default();
        while let Some(i) = claim() {
            f(&mut scratch, i);
        }
    };
    let job = Job {
        body: &body,
        left: AtomicU64::new(tasks as u64),
        running: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
    };
    // SAFETY (of the helpers' use): the job outlives its publication: it
    // is unpublished and every helper that may have read it has left
    // (`active` zero) before this function returns or unwinds.
    let ptr = &job as *const Job<'_> as *mut Job<'static>;
    team.hush.store(false, SeqCst);
    team.job.store(ptr, SeqCst);
    team.published.fetch_add(1, SeqCst);
    for helper in &team.helpers {
        if helper.parked.load(SeqCst) {
            helper.thread.unpark();
        }
    }
    IN_TEAM.set(true);
    let mine = catch_unwind(AssertUnwindSafe(|| body(&|| job.claim(true))));
    IN_TEAM.set(false);
    // Every task is claimed once the caller's loop ends; wait for the
    // helpers still running theirs, then unpublish the job.
    wait_until(|| job.running.load(SeqCst) == 0);
    team.job.store(std::ptr::null_mut(), SeqCst);
    wait_until(|| team.active.load(SeqCst) == 0);
    // A helper that read the job just before it was cleared may still
    // enter `body`; it finds no task left and leaves, and `active` covers it.
    team.busy.store(false, Release);
    if let Err(payload) = mine {
        resume_unwind(payload);
    }
    if job.panicked.load(SeqCst) {
        panic!("a kernel task panicked on a helper thread");
    }
}

/// Spin until `done()`, yielding the core now and then (a helper that was
/// preempted in a task needs it back).
fn wait_until(done: impl Fn() -> bool) {
    let mut spins = 0u32;
    while !done() {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(1024) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

/// `(a(), b())`, the two run at once on the team (or rayon, as
/// [`for_each_task`] decides) when `work` (about their multiply-adds
/// together) is at least what a kernel called here would split, else one
/// after the other on this thread: for independent halves of a layer, such
/// as the two directions of a bidirectional recurrent layer, which share
/// nothing until both are done. Kernels called inside run their own tasks
/// inline.
pub fn join<A: Send, B: Send>(
    work: usize,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if threads() < 2 || work < split_threshold() {
        return (a(), b());
    }
    let tasks = (
        std::sync::Mutex::new(Some(a)),
        std::sync::Mutex::new(Some(b)),
    );
    let results = (std::sync::Mutex::new(None), std::sync::Mutex::new(None));
    fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    for_each_task(2, true, |_: &mut (), i| {
        if i == 0 {
            if let Some(a) = lock(&tasks.0).take() {
                *lock(&results.0) = Some(a());
            }
        } else if let Some(b) = lock(&tasks.1).take() {
            *lock(&results.1) = Some(b());
        }
    });
    let (ra, rb) = (lock(&results.0).take(), lock(&results.1).take());
    (
        ra.expect("join: the first task ran"),
        rb.expect("join: the second task ran"),
    )
}

/// A pointer that may cross threads: the tasks write disjoint parts of
/// the slice it points to.
struct SharedOut(*mut f32);
// SAFETY: only used by `for_each_range`, whose tasks touch disjoint ranges.
unsafe impl Sync for SharedOut {}

/// Runs `f(scratch, i, &mut out[ranges[i]])` for every range, as
/// [`for_each_task`]. The ranges must be ascending and disjoint (checked).
pub(crate) fn for_each_range<S: Default>(
    out: &mut [f32],
    ranges: &[Range<usize>],
    split: bool,
    f: impl Fn(&mut S, usize, &mut [f32]) + Sync,
) {
    let mut end = 0;
    for r in ranges {
        assert!(
            r.start >= end && r.start <= r.end && r.end <= out.len(),
            "kernel task ranges overlap or leave the output"
        );
        end = r.end;
    }
    let base = SharedOut(out.as_mut_ptr());
    let base = &base;
    for_each_task(ranges.len(), split, move |s: &mut S, i| {
        let r = &ranges[i];
        // SAFETY: the ranges are disjoint and inside `out` (checked above),
        // each task runs once, and `out` is borrowed mutably for the call.
        let chunk = unsafe { std::slice::from_raw_parts_mut(base.0.add(r.start), r.end - r.start) };
        f(s, i, chunk)
    });
}

/// Runs `f(scratch, i, chunk)` over `out` cut into chunks of `chunk_len`
/// values (the last may be shorter), as [`for_each_task`].
pub(crate) fn for_each_chunk<S: Default>(
    out: &mut [f32],
    chunk_len: usize,
    split: bool,
    f: impl Fn(&mut S, usize, &mut [f32]) + Sync,
) {
    let len = out.len();
    let chunk_len = chunk_len.max(1);
    if !split || len <= chunk_len {
        let mut scratch = S::default();
        for (i, chunk) in out.chunks_mut(chunk_len).enumerate() {
            f(&mut scratch, i, chunk);
        }
        return;
    }
    let ranges: Vec<Range<usize>> = (0..len.div_ceil(chunk_len))
        .map(|i| i * chunk_len..((i + 1) * chunk_len).min(len))
        .collect();
    for_each_range(out, &ranges, split, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every task runs exactly once, from the calling thread (the team),
    /// from inside a task (inline), and from a rayon worker (rayon).
    #[test]
    fn every_task_runs_once_on_every_path() {
        let check = || {
            let counts: Vec<AtomicUsize> = (0..1000).map(|_| AtomicUsize::new(0)).collect();
            for_each_task(counts.len(), true, |_: &mut (), i| {
                counts[i].fetch_add(1, Relaxed);
            });
            assert!(counts.iter().all(|c| c.load(Relaxed) == 1));
        };
        with_team(TeamGrain::Fine, || {
            for _ in 0..200 {
                check();
            }
            for_each_task(2, true, |_: &mut (), _| check());
            rayon::scope(|_| check());
        });
        check();
    }

    /// `join` returns both results in order, on the team, inside a task,
    /// on rayon, unsplit (too little work), and passes a panic on.
    #[test]
    fn join_returns_both_results_on_every_path() {
        let check = |work: usize| {
            let (a, b) = join(work, || (0..1000u64).sum::<u64>(), || "b".repeat(3));
            assert_eq!((a, b.as_str()), (499_500, "bbb"));
        };
        with_team(TeamGrain::Fine, || {
            for _ in 0..100 {
                check(1 << 30);
            }
            check(0);
            for_each_task(2, true, |_: &mut (), _| check(1 << 30));
        });
        rayon::scope(|_| check(1 << 30));
        check(1 << 30);
        let caught = catch_unwind(|| {
            with_team(TeamGrain::Fine, || {
                join(1 << 30, || 1, || -> i32 { panic!("b") })
            })
        });
        assert!(caught.is_err());
        with_team(TeamGrain::Fine, || check(1 << 30));
    }

    /// Chunks cover the output once; a task's panic reaches the caller and
    /// leaves the team usable.
    #[test]
    fn chunks_cover_the_output_and_panics_propagate() {
        with_team(TeamGrain::Fine, chunks_and_panics);
    }

    fn chunks_and_panics() {
        let mut out = vec![0.0f32; 1001];
        for_each_chunk(&mut out, 10, true, |_: &mut (), i, chunk| {
            chunk.iter_mut().for_each(|v| *v += i as f32 + 1.0);
        });
        assert!(out
            .iter()
            .enumerate()
            .all(|(j, &v)| v == (j / 10 + 1) as f32));
        let caught = catch_unwind(|| {
            with_team(TeamGrain::Coarse, || {
                for_each_task(64, true, |_: &mut (), i| assert!(i != 40, "task 40"))
            });
        });
        assert!(caught.is_err());
        let mut again = vec![0.0f32; 64];
        for_each_chunk(&mut again, 1, true, |_: &mut (), _, c| c[0] = 1.0);
        assert!(again.iter().all(|&v| v == 1.0));
    }

    #[test]
    #[should_panic(expected = "overlap")]
    fn overlapping_ranges_are_refused() {
        let mut out = vec![0.0f32; 10];
        for_each_range(&mut out, &[0..6, 5..10], true, |_: &mut (), _, _| {});
    }
}

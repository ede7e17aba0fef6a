//! How much of the machine other processes use, from Linux's `/proc/stat`
//! (all CPUs) and `/proc/self/stat` (this process), so that `tfjs bench`
//! can wait for a quiet machine before timing and say when it was not
//! quiet. The accounting is the one ../shared/tools/perf-ref's contention
//! guard uses (machine busy time minus this process's), in clock ticks.
//!
//! Why wait: a benchmark started right after another runtime's work can
//! share the CPUs with that runtime's thread pool, whose idle workers keep
//! spinning for a while (ONNX Runtime's intra-op threads spin for 60–160 ms
//! after the last call on a 2-CPU machine), and a 1-ms predict timed 20
//! times is over before they stop.

use std::time::{Duration, Instant};

/// CPU time counters at one moment, in clock ticks.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    /// Time all CPUs spent doing anything but idling or waiting for I/O.
    busy: u64,
    /// Time all CPUs spent in all states.
    total: u64,
    /// Time this process's threads ran (user + system).
    own: u64,
}

impl CpuSample {
    /// The counters now; `None` where `/proc` is missing or unreadable (not
    /// Linux), and then nothing is measured.
    pub fn now() -> Option<CpuSample> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        parse(&stat, &own)
    }

    /// The share of all CPUs' time since `earlier` that other processes
    /// used (0 to 1); `None` when no time passed in the counters.
    pub fn other_share_since(&self, earlier: &CpuSample) -> Option<f64> {
        let total = self.total.checked_sub(earlier.total).filter(|&t| t > 0)?;
        let busy = self.busy.saturating_sub(earlier.busy);
        let own = self.own.saturating_sub(earlier.own);
        Some(busy.saturating_sub(own) as f64 / total as f64)
    }
}

/// Counters from the text of `/proc/stat` and `/proc/self/stat`.
fn parse(stat: &str, own_stat: &str) -> Option<CpuSample> {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice":
    // guest time is already counted in user.
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    if fields.len() < 5 {
        return None;
    }
    let total: u64 = fields.iter().sum();
    let busy = total - fields[3] - fields[4];
    // "pid (comm) state …": comm may hold spaces and parentheses, so count
    // from the last ')'; utime and stime are fields 14 and 15 (1-based),
    // the 12th and 13th after it.
    let after = &own_stat[own_stat.rfind(')')? + 1..];
    let mut rest = after.split_whitespace().skip(11);
    let utime: u64 = rest.next()?.parse().ok()?;
    let stime: u64 = rest.next()?.parse().ok()?;
    Some(CpuSample {
        busy,
        total,
        own: utime + stime,
    })
}

/// A window counts as quiet when other processes used less than this share
/// of all CPUs (with 10-ms ticks on 2 CPUs, a 50-ms window has 10 ticks:
/// one tick is 10%, a spinning thread about 50%).
pub const QUIET_SHARE: f64 = 0.15;
const WINDOW: Duration = Duration::from_millis(50);

/// Wait, in 50-ms windows, until one window is quiet, at most `max`.
/// Returns how long it waited and whether the machine was quiet by then
/// (`None`: not measured, where `max` is 0 or `/proc` is missing).
pub fn settle(max: Duration) -> (Duration, Option<bool>) {
    let start = Instant::now();
    let before = CpuSample::now().filter(|_| !max.is_zero());
    let Some(mut before) = before else {
        return (Duration::ZERO, None);
    };
    while start.elapsed() < max {
        std::thread::sleep(WINDOW.min(max.saturating_sub(start.elapsed())));
        let Some(after) = CpuSample::now() else {
            return (start.elapsed(), None);
        };
        if after
            .other_share_since(&before)
            .is_some_and(|s| s < QUIET_SHARE)
        {
            return (start.elapsed(), Some(true));
        }
        before = after;
    }
    (start.elapsed(), Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "4242 (tfjs (a) b) S 1 4242 4242 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 3 0";

    #[test]
    fn parses_proc_stat_and_a_comm_with_spaces_and_parentheses() {
        let stat = "cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 50 2 25 500 10 0 1 1 0 0\n";
        let s = parse(stat, OWN).unwrap();
        assert_eq!(s.total, 100 + 5 + 50 + 1000 + 20 + 1 + 2 + 3);
        assert_eq!(s.busy, s.total - 1000 - 20);
        assert_eq!(s.own, 10);
    }

    #[test]
    fn other_share_subtracts_this_process() {
        let a = CpuSample {
            busy: 100,
            total: 1000,
            own: 10,
        };
        let b = CpuSample {
            busy: 160,
            total: 1100,
            own: 40,
        };
        // 60 busy ticks of 100, 30 of them this process's.
        assert_eq!(b.other_share_since(&a), Some(0.3));
        assert_eq!(a.other_share_since(&a), None);
    }

    #[test]
    fn malformed_counters_are_not_measured() {
        assert!(parse("intr 1 2 3\n", OWN).is_none());
        assert!(parse("cpu  1 2 x 4 5\n", OWN).is_none());
        assert!(parse("cpu  1 2 3 4 5\n", "4242 (tfjs) S 1").is_none());
    }

    #[test]
    fn a_spinning_thread_is_seen_and_the_wait_is_bounded() {
        if CpuSample::now().is_none() {
            return; // not Linux: nothing to measure
        }
        // A loop that ends by itself (a few seconds), with no pipes of
        // ours: a test run killed before the `kill` below leaves nothing
        // spinning or holding its output open.
        let Ok(mut child) = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        else {
            return; // no shell to spin
        };
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (waited, quiet) = settle(Duration::from_millis(300));
        let _ = child.kill();
        let _ = child.wait();
        assert!(waited < Duration::from_millis(400), "waited {waited:?}");
        assert_eq!(settle(Duration::ZERO), (Duration::ZERO, None));
        // One busy CPU of `cpus` is a share of 1/cpus: seen on small machines.
        if (1.0 / cpus as f64) > 2.0 * QUIET_SHARE {
            assert_eq!(
                quiet,
                Some(false),
                "a spinning process went unseen on {cpus} CPUs"
            );
        }
    }
}

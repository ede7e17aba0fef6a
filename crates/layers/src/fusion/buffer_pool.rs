//! The step outputs' buffer pool.

use crate::tensor::{Tensor, TensorData};

/// Freed f32 buffers, reused as the outputs of fused steps so that a
/// predict does not allocate (and zero) a fresh buffer per convolution; the
/// model keeps the pool between predicts, so after the first one of a
/// given input shape the convolutions allocate nothing. The kernels
/// overwrite every output value, so a reused buffer's old contents never show.
///
/// A buffer handed out shorter than it was keeps its length on return:
/// otherwise a small step's output truncates a large buffer and the next
/// large step zero-fills the tail again (in MobileNet v2 at batch 32 that
/// zero-filling was 12–14% of predict).
#[derive(Debug, Default)]
pub(crate) struct BufferPool {
    /// Free buffers, each at the length of values known to be initialized.
    free: Vec<Vec<f32>>,
    /// Buffers handed out shorter than their initialized length, this run.
    lent: Vec<Lent>,
}

/// A buffer [`BufferPool::take`] truncated: its allocation (address and
/// capacity), the length it was handed out with, and how many values of
/// the allocation were initialized then.
#[derive(Debug)]
struct Lent {
    addr: usize,
    capacity: usize,
    len: usize,
    initialized: usize,
}

impl BufferPool {
    /// Buffers kept at most: a chain needs two (input and output), a
    /// residual block a few more.
    const KEEP: usize = 8;
    /// Bytes kept at most between predicts.
    const KEEP_BYTES: usize = 512 << 20;
    /// Truncated buffers remembered at most (the oldest are forgotten: they
    /// then come back at their handed-out length, as any buffer).
    const LENT: usize = 32;

    /// A buffer of `len` values (contents unspecified).
    ///
    /// Buffers come back truncated to their tensor's length, so a pooled
    /// buffer is chosen by capacity: the shortest one already long enough
    /// (nothing written), else the longest one with room (only the missing
    /// tail is zeroed). A new buffer is the last resort: a zeroed allocation
    /// of the whole length was 10% of MobileNet v2's time at batch 32 when
    /// the pool matched by length and so missed buffers it held.
    pub(super) fn take(&mut self, len: usize) -> Vec<f32> {
        let long_enough = (0..self.free.len())
            .filter(|&i| self.free[i].len() >= len)
            .min_by_key(|&i| self.free[i].capacity());
        let with_room = || {
            (0..self.free.len())
                .filter(|&i| self.free[i].capacity() >= len)
                .max_by_key(|&i| self.free[i].len())
        };
        match long_enough.or_else(with_room) {
            Some(i) => {
                let mut v = self.free.swap_remove(i);
                if v.len() > len {
                    if self.lent.len() == Self::LENT {
                        self.lent.remove(0);
                    }
                    self.lent.push(Lent {
                        addr: v.as_ptr() as usize,
                        capacity: v.capacity(),
                        len,
                        initialized: v.len(),
                    });
                }
                // Within the capacity: no reallocation, no stale copy.
                v.resize(len, 0.0);
                v
            }
            None => vec![0.0; len],
        }
    }

    /// Keep `t`'s buffer for reuse (replacing the shortest one when full).
    pub(crate) fn give(&mut self, t: Tensor) {
        if let (_, TensorData::F32(v)) = t.into_parts() {
            self.give_buffer(v);
        }
    }

    /// Keep `v` for a later [`BufferPool::take`].
    pub(super) fn give_buffer(&mut self, mut v: Vec<f32>) {
        let lent = self.lent.iter().position(|l| {
            (l.addr, l.capacity, l.len) == (v.as_ptr() as usize, v.capacity(), v.len())
        });
        if let Some(k) = lent {
            let initialized = self.lent.swap_remove(k).initialized;
            // SAFETY: `take` handed this allocation out (same address and
            // capacity, at the same length, within this run: `end_run`
            // forgets every record) truncated from `initialized` values it
            // held; truncating f32s leaves their memory as it was, and
            // nothing in the engine writes uninitialized values into a
            // vector's spare capacity, so the first `initialized` values
            // of the allocation are initialized (`initialized <= capacity`).
            unsafe { v.set_len(initialized) };
        }
        if self.free.len() == Self::KEEP {
            let smallest = (0..self.free.len()).min_by_key(|&i| self.free[i].capacity());
            match smallest {
                Some(i) if self.free[i].capacity() < v.capacity() => {
                    self.free.swap_remove(i);
                }
                _ => return,
            }
        }
        let kept: usize = self.free.iter().map(|b| b.capacity() * 4).sum();
        if kept + v.capacity() * 4 <= Self::KEEP_BYTES {
            self.free.push(v);
        }
    }
}

impl BufferPool {
    /// Forget the buffers handed out this run: those not given back (the
    /// run's outputs, or dropped) may be freed, and their addresses reused
    /// by other allocations.
    pub(crate) fn end_run(&mut self) {
        self.lent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::BufferPool;

    /// A buffer that came back shorter than it was is still found for a
    /// longer request that fits its capacity (no new allocation).
    #[test]
    fn pool_reuses_buffers_by_capacity() {
        let mut pool = BufferPool::default();
        let big = pool.take(1000);
        let at = big.as_ptr();
        pool.give_buffer(big);
        let mut small = pool.take(10);
        assert_eq!((small.as_ptr(), small.len()), (at, 10));
        small.fill(7.0);
        pool.give_buffer(small);
        let again = pool.take(1000);
        assert_eq!((again.as_ptr(), again.len()), (at, 1000));
        assert!(again[..10].iter().all(|&v| v == 7.0) && again[10..].iter().all(|&v| v == 0.0));
    }

    /// A buffer handed out shorter comes back at its initialized length
    /// (no zero-filling when a longer request follows), but only the
    /// allocation that was handed out, at the length it was handed out
    /// with, and only within the run.
    #[test]
    fn a_truncated_buffer_comes_back_whole() {
        let mut pool = BufferPool::default();
        let mut big = pool.take(1000);
        big.fill(3.0);
        let at = big.as_ptr();
        pool.give_buffer(big);
        let small = pool.take(10);
        assert_eq!((small.as_ptr(), small.len()), (at, 10));
        pool.give_buffer(small);
        let again = pool.take(1000);
        assert_eq!((again.as_ptr(), again.len()), (at, 1000));
        assert!(again.iter().all(|&v| v == 3.0), "the tail was zero-filled");
        pool.give_buffer(again);

        // Given back at another length (a step shrank it): not restored.
        let mut small = pool.take(10);
        small.truncate(5);
        pool.give_buffer(small);
        assert_eq!(
            pool.take(1000)[5..].iter().filter(|&&v| v == 0.0).count(),
            995
        );

        // After the run the record is forgotten.
        let mut pool = BufferPool::default();
        pool.give_buffer(vec![1.0; 100]);
        let small = pool.take(10);
        pool.end_run();
        pool.give_buffer(small);
        assert_eq!(pool.take(100)[10..], [0.0; 90]);
    }
}

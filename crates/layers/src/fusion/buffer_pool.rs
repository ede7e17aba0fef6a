//! The step outputs' buffer pool.

use crate::tensor::{Tensor, TensorData};

/// Freed f32 buffers, reused as the outputs of fused steps so that a
/// predict does not allocate (and zero) a fresh buffer per convolution; the
/// model keeps the pool between predicts, so after the first one of a
/// given input shape the convolutions allocate nothing. The kernels
/// overwrite every output value, so a reused buffer's old contents never show.
#[derive(Debug, Default)]
pub(crate) struct BufferPool {
    free: Vec<Vec<f32>>,
}

impl BufferPool {
    /// Buffers kept at most: a chain needs two (input and output), a
    /// residual block a few more.
    const KEEP: usize = 8;
    /// Bytes kept at most between predicts.
    const KEEP_BYTES: usize = 512 << 20;

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
    pub(super) fn give_buffer(&mut self, v: Vec<f32>) {
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
}

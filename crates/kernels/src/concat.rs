//! Joining tensors along their inner axes (Keras's `Concatenate`): each
//! input is `outer` rows of its own chunk length, and output row `i` is the
//! inputs' row `i` one after another.
//!
//! At a small batch on the team (see `team.rs`), where the layers before
//! were split, each core copies its own end of the rows: the caller the
//! front and the helper the back, the ends each wrote in the layers that
//! made the inputs. Copied by one core, half of every input crossed
//! between the cores first: Inception's `mixed0` (32 channels of 225
//! pixels) took 7 µs on 2 threads and 3 µs on one.

use crate::team;

/// Split only outputs of at least this many values: below, handing out the
/// halves costs more than the copy.
const SPLIT_MIN: usize = 4096;

/// Concatenate `parts` (part `p` is `outer` rows of `chunks[p]` values) into
/// `out` (`outer` rows of `chunks.iter().sum()` values).
///
/// # Panics
/// If a part or `out` is not `outer` whole rows of its length.
pub fn concat_chunks(parts: &[&[f32]], chunks: &[usize], out: &mut [f32]) {
    assert_eq!(
        parts.len(),
        chunks.len(),
        "concat_chunks: one chunk length per part"
    );
    let total: usize = chunks.iter().sum();
    if total == 0 {
        return;
    }
    let outer = out.len() / total;
    assert_eq!(out.len(), outer * total, "concat_chunks: out");
    for (p, &c) in parts.iter().zip(chunks) {
        assert_eq!(p.len(), outer * c, "concat_chunks: a part");
    }
    let copy_rows = |rows: std::ops::Range<usize>, dst: &mut [f32]| {
        let mut at = 0;
        for (p, &c) in parts.iter().zip(chunks) {
            scatter_chunks(&p[rows.start * c..rows.end * c], c, dst, total, at);
            at += c;
        }
    };
    let tasks = team::threads().min(outer);
    if tasks < 2 || out.len() < SPLIT_MIN || !team::fine_team_here() {
        return copy_rows(0..outer, out);
    }
    let rows = |i: usize| i * outer / tasks..(i + 1) * outer / tasks;
    let ranges: Vec<_> = (0..tasks)
        .map(|i| rows(i).start * total..rows(i).end * total)
        .collect();
    team::for_each_range(out, &ranges, true, |_: &mut (), i, dst| {
        copy_rows(rows(i), dst)
    });
}

/// Chunk `i` of `c` values of `src` into `dst[i * stride + at..][..c]`
/// (one input of a concatenation). Common small chunks (the channels of a
/// pixel in an Inception block or a DenseNet) are copied as fixed-size
/// moves: a `memcpy` call per pixel and input took most of the time.
fn scatter_chunks(src: &[f32], c: usize, dst: &mut [f32], stride: usize, at: usize) {
    fn fixed<const C: usize>(src: &[f32], dst: &mut [f32], stride: usize, at: usize) {
        for (s, d) in src.chunks_exact(C).zip(dst.chunks_exact_mut(stride)) {
            let s: &[f32; C] = s.try_into().expect("chunks_exact");
            let d: &mut [f32; C] = (&mut d[at..at + C]).try_into().expect("C values");
            *d = *s;
        }
    }
    if c == 0 || stride == 0 {
        return;
    }
    match c {
        1 => fixed::<1>(src, dst, stride, at),
        2 => fixed::<2>(src, dst, stride, at),
        3 => fixed::<3>(src, dst, stride, at),
        4 => fixed::<4>(src, dst, stride, at),
        8 => fixed::<8>(src, dst, stride, at),
        12 => fixed::<12>(src, dst, stride, at),
        16 => fixed::<16>(src, dst, stride, at),
        24 => fixed::<24>(src, dst, stride, at),
        32 => fixed::<32>(src, dst, stride, at),
        c if c % 8 == 0 && c <= 256 => {
            for (s, d) in src.chunks_exact(c).zip(dst.chunks_exact_mut(stride)) {
                for (s, d) in s.chunks_exact(8).zip(d[at..at + c].chunks_exact_mut(8)) {
                    let s: &[f32; 8] = s.try_into().expect("chunks_exact");
                    let d: &mut [f32; 8] = d.try_into().expect("chunks_exact");
                    *d = *s;
                }
            }
        }
        _ => {
            for (s, d) in src.chunks_exact(c).zip(dst.chunks_exact_mut(stride)) {
                d[at..at + c].copy_from_slice(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_chunks_places_each_chunk_after_the_ones_before() {
        // Every size class: the fixed ones, other multiples of 8, the rest.
        for c in [1, 2, 3, 4, 5, 8, 12, 16, 24, 32, 40, 256, 264] {
            let (rows, before, after) = (5, 3, 7);
            let stride = before + c + after;
            let src: Vec<f32> = (0..rows * c).map(|i| i as f32 + 0.5).collect();
            let mut dst = vec![-1.0; rows * stride];
            scatter_chunks(&src, c, &mut dst, stride, before);
            for r in 0..rows {
                for j in 0..stride {
                    let want = if (before..before + c).contains(&j) {
                        src[r * c + j - before]
                    } else {
                        -1.0
                    };
                    assert_eq!(dst[r * stride + j], want, "c {c} row {r} at {j}");
                }
            }
        }
    }

    /// Against a naive row-by-row join, inline and split over the team
    /// (odd row counts, one-value chunks, a part of width 0).
    #[test]
    fn concat_chunks_joins_rows_in_order_on_every_path() {
        for (outer, chunks) in [
            (1usize, vec![3usize, 5]),
            (7, vec![1, 2, 0, 3]),
            (225, vec![8, 8, 12, 4]),
            (1001, vec![5, 16, 3]),
        ] {
            let parts: Vec<Vec<f32>> = chunks
                .iter()
                .enumerate()
                .map(|(p, &c)| (0..outer * c).map(|i| (p * 100_000 + i) as f32).collect())
                .collect();
            let total: usize = chunks.iter().sum();
            let mut want = Vec::with_capacity(outer * total);
            for r in 0..outer {
                for (p, &c) in parts.iter().zip(&chunks) {
                    want.extend_from_slice(&p[r * c..(r + 1) * c]);
                }
            }
            let refs: Vec<&[f32]> = parts.iter().map(|p| &p[..]).collect();
            for grain in [None, Some(team::TeamGrain::Fine)] {
                let mut out = vec![f32::NAN; outer * total];
                match grain {
                    None => concat_chunks(&refs, &chunks, &mut out),
                    Some(g) => team::with_team(g, || concat_chunks(&refs, &chunks, &mut out)),
                }
                assert_eq!(out, want, "outer {outer} chunks {chunks:?} grain {grain:?}");
            }
        }
    }
}

//! `einsum` with explicit letters (`"abc,cd->abd"`): one operand (a
//! transpose with sums) or two (a batched matrix product).
//!
//! Two operands are computed as TensorFlow does: every letter is a batch
//! letter (in both operands and the output), a contracted one (in both, not
//! the output), or free (in one operand and the output); a letter in one
//! operand only and not in the output is summed out first. Each operand is
//! transposed to `[batch, free, contracted]` / `[batch, contracted, free]`,
//! multiplied per batch with [`crate::matmul`], and the result transposed
//! to the output's letter order.

use crate::matmul;

/// The most elements an operand or the output may have (1 GiB of f32):
/// shapes come from model files.
pub const MAX_ELEMENTS: usize = 1 << 28;

/// A parsed equation: each operand's letters and the output's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equation {
    /// Letters of each operand (one or two).
    pub inputs: Vec<Vec<char>>,
    /// Letters of the output.
    pub output: Vec<char>,
}

impl Equation {
    /// Parse `"ab,bc->ac"`: one or two operands, ASCII letters, an explicit
    /// `->` output, no ellipsis. A letter twice in an operand takes its
    /// diagonal (`"ii->"` is the trace); the output names each letter once.
    ///
    /// ```
    /// use tfjs_kernels::einsum::Equation;
    /// let e = Equation::parse("bij, bjk -> bik").unwrap();
    /// assert_eq!(e.inputs.len(), 2);
    /// assert!(Equation::parse("i->ii").is_err());
    /// ```
    pub fn parse(equation: &str) -> Result<Equation, String> {
        let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
        if eq.contains("...") {
            return Err(format!(
                "equation {equation:?}: an ellipsis (`...`) is not supported"
            ));
        }
        let (lhs, out) = eq
            .split_once("->")
            .ok_or_else(|| format!("equation {equation:?} needs an explicit `->` output"))?;
        let term = |t: &str| -> Result<Vec<char>, String> {
            let letters: Vec<char> = t.chars().collect();
            if let Some(bad) = letters.iter().find(|c| !c.is_ascii_alphabetic()) {
                return Err(format!("equation {equation:?}: unexpected {bad:?}"));
            }
            Ok(letters)
        };
        let inputs = lhs.split(',').map(term).collect::<Result<Vec<_>, _>>()?;
        if inputs.is_empty() || inputs.len() > 2 {
            return Err(format!(
                "equation {equation:?}: one or two operands are supported, got {}",
                inputs.len()
            ));
        }
        let output = term(out)?;
        for (i, c) in output.iter().enumerate() {
            if output[..i].contains(c) {
                return Err(format!("equation {equation:?}: output letter `{c}` twice"));
            }
        }
        if let Some(c) = output
            .iter()
            .find(|c| !inputs.iter().any(|t| t.contains(c)))
        {
            return Err(format!(
                "equation {equation:?}: output letter `{c}` is in no operand"
            ));
        }
        Ok(Equation { inputs, output })
    }

    /// The size of each letter, checked against the operands' shapes.
    fn sizes(&self, shapes: &[&[usize]]) -> Result<Vec<(char, usize)>, String> {
        if shapes.len() != self.inputs.len() {
            return Err(format!(
                "the equation takes {} operand(s), got {}",
                self.inputs.len(),
                shapes.len()
            ));
        }
        let mut sizes: Vec<(char, usize)> = Vec::new();
        for (k, (term, shape)) in self.inputs.iter().zip(shapes).enumerate() {
            if term.len() != shape.len() {
                return Err(format!(
                    "operand {k} has shape {shape:?}, its term `{}` names {} dimension(s)",
                    term.iter().collect::<String>(),
                    term.len()
                ));
            }
            for (&c, &d) in term.iter().zip(shape.iter()) {
                match sizes.iter().find(|(l, _)| *l == c) {
                    Some(&(_, s)) if s != d => {
                        return Err(format!("letter `{c}` has sizes {s} and {d}"))
                    }
                    Some(_) => {}
                    None => sizes.push((c, d)),
                }
            }
        }
        Ok(sizes)
    }

    /// The output shape for operands of `shapes`.
    pub fn output_shape(&self, shapes: &[&[usize]]) -> Result<Vec<usize>, String> {
        let sizes = self.sizes(shapes)?;
        Ok(self.output.iter().map(|c| size_of(&sizes, *c)).collect())
    }

    /// Evaluate on row-major operands `(values, shape)`: the output values
    /// and shape.
    ///
    /// ```
    /// use tfjs_kernels::einsum::Equation;
    /// let e = Equation::parse("ij,jk->ki").unwrap();
    /// let a = [1.0, 2.0, 3.0, 4.0]; // 2×2
    /// let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]; // 2×3
    /// let (out, shape) = e.eval(&[(&a, &[2, 2]), (&b, &[2, 3])]).unwrap();
    /// assert_eq!(shape, [3, 2]);
    /// assert_eq!(out, [3.0, 7.0, 2.0, 4.0, 2.0, 4.0]);
    /// ```
    pub fn eval(&self, operands: &[(&[f32], &[usize])]) -> Result<(Vec<f32>, Vec<usize>), String> {
        let shapes: Vec<&[usize]> = operands.iter().map(|(_, s)| *s).collect();
        let sizes = self.sizes(&shapes)?;
        for (k, (v, s)) in operands.iter().enumerate() {
            let n = checked_product(s)?;
            if v.len() != n {
                return Err(format!(
                    "operand {k} has {} values for shape {s:?}",
                    v.len()
                ));
            }
        }
        let out_shape: Vec<usize> = self.output.iter().map(|c| size_of(&sizes, *c)).collect();
        checked_product(&out_shape)?;
        // Sum out letters of one operand that appear nowhere else.
        let mut terms: Vec<(Vec<f32>, Vec<char>)> = Vec::new();
        for (k, (v, _)) in operands.iter().enumerate() {
            let (diag, term) = diagonal(v, &self.inputs[k], &sizes);
            let (v, term) = (&diag[..], &term[..]);
            let keep: Vec<char> = term
                .iter()
                .copied()
                .filter(|c| {
                    self.output.contains(c)
                        || self
                            .inputs
                            .iter()
                            .enumerate()
                            .any(|(j, t)| j != k && t.contains(c))
                })
                .collect();
            terms.push((reduce_to(v, term, &keep, &sizes), keep));
        }
        let out = match terms.as_slice() {
            [(v, term)] => transpose_to(v, term, &self.output, &sizes),
            [(a, ta), (b, tb)] => {
                let batch: Vec<char> = self
                    .output
                    .iter()
                    .copied()
                    .filter(|c| ta.contains(c) && tb.contains(c))
                    .collect();
                let free_a: Vec<char> = ta
                    .iter()
                    .copied()
                    .filter(|c| self.output.contains(c) && !tb.contains(c))
                    .collect();
                let free_b: Vec<char> = tb
                    .iter()
                    .copied()
                    .filter(|c| self.output.contains(c) && !ta.contains(c))
                    .collect();
                let contracted: Vec<char> = ta
                    .iter()
                    .copied()
                    .filter(|c| tb.contains(c) && !self.output.contains(c))
                    .collect();
                let len = |ls: &[char]| ls.iter().map(|c| size_of(&sizes, *c)).product::<usize>();
                let (nb, m, k, n) = (len(&batch), len(&free_a), len(&contracted), len(&free_b));
                let a_order: Vec<char> = [&batch[..], &free_a, &contracted].concat();
                let b_order: Vec<char> = [&batch[..], &contracted, &free_b].concat();
                let a = transpose_to(a, ta, &a_order, &sizes);
                let b = transpose_to(b, tb, &b_order, &sizes);
                let mut prod = vec![0f32; nb * m * n];
                for i in 0..nb {
                    matmul(
                        &a[i * m * k..(i + 1) * m * k],
                        &b[i * k * n..(i + 1) * k * n],
                        m,
                        k,
                        n,
                        &mut prod[i * m * n..(i + 1) * m * n],
                        false,
                    );
                }
                let prod_order: Vec<char> = [&batch[..], &free_a, &free_b].concat();
                transpose_to(&prod, &prod_order, &self.output, &sizes)
            }
            _ => unreachable!("parse allows one or two operands"),
        };
        Ok((out, out_shape))
    }
}

/// The next row-major multi-index of `dims` (wrapping to all zeros).
pub(crate) fn advance(idx: &mut [usize], dims: &[usize]) {
    for d in (0..idx.len()).rev() {
        idx[d] += 1;
        if idx[d] < dims[d] {
            return;
        }
        idx[d] = 0;
    }
}

fn size_of(sizes: &[(char, usize)], c: char) -> usize {
    sizes.iter().find(|(l, _)| *l == c).map_or(1, |&(_, s)| s)
}

fn checked_product(shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
        .ok_or_else(|| format!("shape {shape:?} is too large"))
}

/// Row-major strides of `letters` (sizes from `sizes`).
fn strides(letters: &[char], sizes: &[(char, usize)]) -> Vec<usize> {
    let mut st = vec![1usize; letters.len()];
    for i in (0..letters.len().saturating_sub(1)).rev() {
        st[i] = st[i + 1] * size_of(sizes, letters[i + 1]);
    }
    st
}

/// `v` (letters `from`) with its dimensions reordered as `to` (the same
/// letters).
fn transpose_to(v: &[f32], from: &[char], to: &[char], sizes: &[(char, usize)]) -> Vec<f32> {
    if from == to {
        return v.to_vec();
    }
    let src = strides(from, sizes);
    let stride_in_src: Vec<usize> = to
        .iter()
        .map(|c| from.iter().position(|f| f == c).map_or(0, |p| src[p]))
        .collect();
    let dims: Vec<usize> = to.iter().map(|c| size_of(sizes, *c)).collect();
    let mut out = Vec::with_capacity(v.len());
    let mut idx = vec![0usize; to.len()];
    for _ in 0..v.len() {
        let off: usize = idx.iter().zip(&stride_in_src).map(|(i, s)| i * s).sum();
        out.push(v[off]);
        advance(&mut idx, &dims);
    }
    out
}

/// `v` (letters `term`, some possibly repeated) reduced to its diagonal
/// over each repeated letter: the values and their (distinct) letters.
fn diagonal(v: &[f32], term: &[char], sizes: &[(char, usize)]) -> (Vec<f32>, Vec<char>) {
    let mut unique: Vec<char> = Vec::new();
    for c in term {
        if !unique.contains(c) {
            unique.push(*c);
        }
    }
    if unique.len() == term.len() {
        return (v.to_vec(), unique);
    }
    let src = strides(term, sizes);
    // Stride in `v` of each distinct letter: the sum over its positions.
    let step: Vec<usize> = unique
        .iter()
        .map(|u| {
            term.iter()
                .zip(&src)
                .filter(|(c, _)| *c == u)
                .map(|(_, s)| s)
                .sum()
        })
        .collect();
    let dims: Vec<usize> = unique.iter().map(|c| size_of(sizes, *c)).collect();
    let n: usize = dims.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; unique.len()];
    for _ in 0..n {
        out.push(v[idx.iter().zip(&step).map(|(i, s)| i * s).sum::<usize>()]);
        advance(&mut idx, &dims);
    }
    (out, unique)
}

/// `v` (letters `term`) summed over the letters not in `keep` (which keeps
/// `term`'s order).
fn reduce_to(v: &[f32], term: &[char], keep: &[char], sizes: &[(char, usize)]) -> Vec<f32> {
    if keep.len() == term.len() {
        return v.to_vec();
    }
    let n_out: usize = keep.iter().map(|c| size_of(sizes, *c)).product();
    let out_strides = strides(keep, sizes);
    let dims: Vec<usize> = term.iter().map(|c| size_of(sizes, *c)).collect();
    let to_out: Vec<usize> = term
        .iter()
        .map(|c| {
            keep.iter()
                .position(|k| k == c)
                .map_or(0, |p| out_strides[p])
        })
        .collect();
    let mut out = vec![0f32; n_out];
    let mut idx = vec![0usize; term.len()];
    for &x in v {
        let o: usize = idx.iter().zip(&to_out).map(|(i, s)| i * s).sum();
        out[o] += x;
        advance(&mut idx, &dims);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: a sum over every assignment of the letters.
    fn naive(eq: &Equation, ops: &[(&[f32], &[usize])]) -> Vec<f32> {
        let shapes: Vec<&[usize]> = ops.iter().map(|(_, s)| *s).collect();
        let sizes = eq.sizes(&shapes).unwrap();
        let letters: Vec<char> = sizes.iter().map(|(c, _)| *c).collect();
        let dims: Vec<usize> = sizes.iter().map(|(_, s)| *s).collect();
        let out_shape: Vec<usize> = eq.output.iter().map(|c| size_of(&sizes, *c)).collect();
        let mut out = vec![0f64; out_shape.iter().product()];
        let total: usize = dims.iter().product();
        let mut idx = vec![0usize; letters.len()];
        let at = |term: &[char], idx: &[usize]| -> usize {
            let st = strides(term, &sizes);
            term.iter()
                .zip(st)
                .map(|(c, s)| idx[letters.iter().position(|l| l == c).unwrap()] * s)
                .sum()
        };
        for _ in 0..total {
            let mut p = 1f64;
            for (k, (v, _)) in ops.iter().enumerate() {
                p *= v[at(&eq.inputs[k], &idx)] as f64;
            }
            out[at(&eq.output, &idx)] += p;
            advance(&mut idx, &dims);
        }
        out.into_iter().map(|x| x as f32).collect()
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| {
                ((i.wrapping_mul(2654435761).wrapping_add(seed) >> 9) % 997) as f32 / 500.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn matches_the_definition_on_every_letter_kind() {
        let cases: &[(&str, &[usize], &[usize])] = &[
            ("ab,bc->ac", &[3, 4], &[4, 5]),
            ("abc,cd->abd", &[2, 3, 4], &[4, 5]),
            ("abc,cde->abde", &[2, 3, 4], &[4, 2, 3]),
            ("abcd,cde->abe", &[2, 3, 4, 2], &[4, 2, 3]),
            ("bij,bkj->bik", &[2, 3, 4], &[2, 5, 4]),
            ("aecd,abcd->acbe", &[2, 3, 4, 5], &[2, 6, 4, 5]),
            ("acbe,aecd->abcd", &[2, 4, 6, 3], &[2, 3, 4, 5]),
            ("ij,kl->ijkl", &[2, 3], &[1, 2]),
            ("ab,cb->a", &[3, 4], &[2, 4]),
            ("abc->cb", &[2, 3, 4], &[]),
            ("ij->", &[3, 5], &[]),
            ("ii->", &[3, 3], &[]),
            ("iij,jk->ik", &[3, 3, 2], &[2, 4]),
        ];
        for (k, (eq, sa, sb)) in cases.iter().enumerate() {
            let e = Equation::parse(eq).unwrap();
            let a = values(sa.iter().product(), k as u32);
            let b = values(sb.iter().product(), k as u32 + 100);
            let ops: Vec<(&[f32], &[usize])> = if e.inputs.len() == 1 {
                vec![(&a, sa)]
            } else {
                vec![(&a, sa), (&b, sb)]
            };
            let (got, shape) = e.eval(&ops).unwrap();
            assert_eq!(
                shape,
                e.output_shape(&[*sa, *sb][..ops.len()]).unwrap(),
                "{eq}"
            );
            let want = naive(&e, &ops);
            assert_eq!(got.len(), want.len(), "{eq}");
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-4 * (1.0 + w.abs()), "{eq}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn bad_equations_and_operands_are_named() {
        for (eq, needle) in [
            ("ab,bc", "explicit `->`"),
            ("...b,bc->...c", "ellipsis"),
            ("ab,bc,cd->ad", "one or two operands"),
            ("i->ii", "output letter `i` twice"),
            ("ab,bc->ad", "output letter `d`"),
            ("a1,1c->ac", "unexpected '1'"),
        ] {
            let err = Equation::parse(eq).unwrap_err();
            assert!(err.contains(needle), "{eq}: {err}");
        }
        let e = Equation::parse("ab,bc->ac").unwrap();
        let err = e
            .eval(&[(&[0.0; 6], &[2, 3]), (&[0.0; 8], &[4, 2])])
            .unwrap_err();
        assert!(err.contains("letter `b` has sizes 3 and 4"), "{err}");
        let err = e.eval(&[(&[0.0; 6], &[2, 3])]).unwrap_err();
        assert!(err.contains("takes 2 operand(s), got 1"), "{err}");
    }
}

//! `EinsumDense` (TensorFlow.js 4.22 has none) → `Permute` / `Reshape` /
//! `Dense` / `Reshape` / `Permute` (+ `Activation`).
//!
//! With the batch letter first in the input and the output, every other
//! input letter is contracted with the kernel (`C`) or passes through to
//! the output (`P`); the kernel's other letters are new output dimensions
//! (`N`). The layer is then a `Dense` with a `[C, N]` kernel on the input
//! permuted to `[P, C]` and flattened to `[P, C…]`, reshaped to `[P, N]`
//! and permuted to the output's order. The bias must lie on `N` letters
//! only. An equation with a letter in the input, the kernel and the output
//! (a per-index kernel), or summed in one operand only, is refused.

use super::{end_chain, f32_weight, zero_dense, Outcome, Site, Step};
use serde_json::{json, Value};

/// The rule: applies to `EinsumDense`.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "EinsumDense" {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(Outcome::Cannot)
}

/// Input, kernel and output letters of an equation.
type Terms = (Vec<char>, Vec<char>, Vec<char>);

/// The equation with elided dimensions given letters: input, kernel,
/// output letters (the batch letter first in input and output).
fn letters(equation: &str, rank: usize) -> Result<Terms, String> {
    let eq = equation.replace(' ', "");
    let used: Vec<char> = eq.chars().filter(char::is_ascii_alphabetic).collect();
    let split = |body: &str| -> Result<Terms, String> {
        let (lhs, out) = body.split_once("->").ok_or("no `->` in the equation")?;
        let (i, k) = lhs
            .split_once(',')
            .ok_or("the equation needs two operands")?;
        Ok((
            i.chars().collect(),
            k.chars().collect(),
            out.chars().collect(),
        ))
    };
    let fresh = |n: usize| -> Vec<char> {
        ('A'..='Z')
            .chain('a'..='z')
            .filter(|c| !used.contains(c))
            .take(n)
            .collect()
    };
    if let Some(rest) = eq.strip_prefix("...") {
        let (i, k, o) = split(&rest.replace("->...", "->"))?;
        let e = fresh(
            rank.checked_sub(i.len())
                .ok_or("the input rank is too small")?,
        );
        Ok(([&e[..], &i].concat(), k, [&e[..], &o].concat()))
    } else if eq.contains("...,") {
        let (i, k, o) = split(eq.replace("...,", ",").trim_end_matches("..."))?;
        let e = fresh(
            rank.checked_sub(i.len())
                .ok_or("the input rank is too small")?,
        );
        Ok(([&i[..], &e].concat(), k, [&o[..], &e].concat()))
    } else {
        split(&eq)
    }
}

/// `values` of `shape` (letters `from`) transposed to the letter order `to`.
fn transpose(values: &[f32], shape: &[usize], from: &[char], to: &[char]) -> Vec<f32> {
    let eq = format!(
        "{}->{}",
        from.iter().collect::<String>(),
        to.iter().collect::<String>()
    );
    tfjs_kernels::einsum::Equation::parse(&eq)
        .and_then(|e| e.eval(&[(values, shape)]))
        .map(|(v, _)| v)
        .unwrap_or_default()
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let c = site.config;
    let shape = site
        .shapes
        .and_then(|s| s.inputs.first())
        .ok_or("its input shape is unknown")?;
    let out_shape = site
        .shapes
        .and_then(|s| s.outputs.first())
        .ok_or("its output shape is unknown")?;
    let equation = c
        .get("equation")
        .and_then(Value::as_str)
        .ok_or("no equation")?;
    let (x, k, o) = letters(equation, shape.len())?;
    if x.first() != o.first() || x.first().is_some_and(|b| k.contains(b)) {
        return Err(format!(
            "equation {equation:?}: the batch letter must lead the input and the output, not be in the kernel"
        ));
    }
    let batch = x[0];
    let contracted: Vec<char> = x[1..].iter().copied().filter(|l| k.contains(l)).collect();
    let passing: Vec<char> = x[1..].iter().copied().filter(|l| !k.contains(l)).collect();
    let new: Vec<char> = k.iter().copied().filter(|l| !x.contains(l)).collect();
    if let Some(l) = contracted.iter().find(|l| o.contains(l)) {
        return Err(format!(
            "equation {equation:?}: letter `{l}` is in the input, the kernel and the output (a kernel per index has no Dense equivalent)"
        ));
    }
    if let Some(l) = passing.iter().chain(&new).find(|l| !o.contains(l)) {
        return Err(format!(
            "equation {equation:?}: letter `{l}` is summed in one operand only"
        ));
    }
    let size = |l: char| -> Result<usize, String> {
        let from_in = x.iter().position(|c| *c == l).and_then(|i| shape[i]);
        let from_out = o.iter().position(|c| *c == l).and_then(|i| out_shape[i]);
        from_in
            .or(from_out)
            .ok_or_else(|| format!("the size of letter `{l}` is unknown"))
    };
    let sizes = |ls: &[char]| ls.iter().map(|&l| size(l)).collect::<Result<Vec<_>, _>>();
    let (p_sizes, c_sizes, n_sizes) = (sizes(&passing)?, sizes(&contracted)?, sizes(&new)?);
    let (kc, kn) = (
        c_sizes.iter().product::<usize>(),
        n_sizes.iter().product::<usize>(),
    );

    let (kshape, kernel) = site.f32_weight("kernel")?;
    let kernel = transpose(kernel, kshape, &k, &[&contracted[..], &new].concat());
    if kernel.len() != kc * kn {
        return Err(format!(
            "its kernel has shape {kshape:?}, expected {kc}×{kn} values"
        ));
    }
    let bias_axes: Vec<char> = c
        .get("bias_axes")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .collect();
    let bias = if bias_axes.is_empty() {
        None
    } else {
        if let Some(l) = bias_axes.iter().find(|l| !new.contains(l)) {
            return Err(format!(
                "bias_axes {:?}: a bias along `{l}`, which is not a kernel-only output letter, has no Dense equivalent",
                bias_axes.iter().collect::<String>()
            ));
        }
        let (bshape, b) = site.f32_weight("bias")?;
        // The bias covers the output from its first bias letter on (1 where
        // not a bias letter); as a [N] vector, broadcast over the others.
        let first = o.iter().position(|l| bias_axes.contains(l)).unwrap_or(0);
        let span: Vec<char> = o[first..].iter().copied().take(bshape.len()).collect();
        let mut full = vec![0f32; kn];
        let mut idx = vec![0usize; new.len()];
        for v in full.iter_mut() {
            let mut at = 0;
            for (j, l) in span.iter().enumerate() {
                let i = new.iter().position(|n| n == l).map_or(0, |p| idx[p]);
                let i = if bshape[j] == 1 { 0 } else { i };
                at = at * bshape[j] + i;
            }
            *v = b
                .get(at)
                .copied()
                .ok_or("its bias is smaller than its shape")?;
            for d in (0..idx.len()).rev() {
                idx[d] += 1;
                if idx[d] < n_sizes[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        Some(full)
    };

    let node = site.single_call("its rewrite needs several layers")?;
    let name = site.name;
    let mut steps: Vec<Step> = Vec::new();
    let perm_in: Vec<char> = [&[batch][..], &passing, &contracted].concat();
    steps.extend(permute(format!("{name}_in_order"), &x, &perm_in));
    if contracted.len() != 1 {
        let target: Vec<usize> = p_sizes.iter().copied().chain([kc]).collect();
        steps.push((
            format!("{name}_in_flat"),
            "Reshape",
            json!({ "target_shape": target }),
        ));
    }
    let dense = format!("{name}_dense");
    steps.push((dense.clone(), "Dense", zero_dense(kn, bias.is_some())));
    let mut weights = vec![f32_weight(format!("{dense}/kernel"), vec![kc, kn], kernel)];
    if let Some(b) = bias {
        weights.push(f32_weight(format!("{dense}/bias"), vec![kn], b));
    }
    if new.len() != 1 {
        let target: Vec<usize> = p_sizes.iter().chain(&n_sizes).copied().collect();
        steps.push((
            format!("{name}_out_shape"),
            "Reshape",
            json!({ "target_shape": target }),
        ));
    }
    let have: Vec<char> = [&[batch][..], &passing, &new].concat();
    steps.extend(permute(format!("{name}_out_order"), &have, &o));
    let activation = c
        .get("activation")
        .and_then(Value::as_str)
        .unwrap_or("linear");
    // The dense layer keeps its weight names when it is the last step.
    if end_chain(&mut steps, name, activation).as_ref() == Some(&dense) {
        for w in &mut weights {
            w.name = w.name.replacen(&dense, name, 1);
        }
    }
    let layers = super::chain_entries(node, steps);
    Ok(Outcome::Replace { layers, weights })
}

/// A `Permute` step `name` taking the dimensions lettered `from` (batch
/// first) to the order `to`; none when they already agree.
fn permute(name: String, from: &[char], to: &[char]) -> Option<Step<'static>> {
    (from != to).then(|| {
        let dims: Vec<usize> = to[1..]
            .iter()
            .map(|l| from.iter().position(|c| c == l).unwrap_or(0))
            .collect();
        (name, "Permute", json!({ "dims": dims }))
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn einsum(name: &str, from: &str, config: serde_json::Value) -> serde_json::Value {
        entry_on(name, "EinsumDense", config, from)
    }

    #[test]
    fn einsum_dense_forms_become_dense_with_reshapes_and_permutes() {
        let layers = vec![
            einsum(
                "proj",
                "x",
                json!({"equation": "abc,cd->abd", "output_shape": [5, 6],
                                       "bias_axes": "d", "activation": "relu"}),
            ),
            einsum(
                "heads",
                "proj",
                json!({"equation": "abc,cde->abde", "output_shape": [5, 2, 3],
                                           "bias_axes": "de"}),
            ),
            einsum(
                "merge",
                "heads",
                json!({"equation": "abcd,cde->abe", "output_shape": [5, 4],
                                            "bias_axes": "e"}),
            ),
            einsum(
                "left",
                "merge",
                json!({"equation": "...b,bc->...c", "output_shape": 3,
                                           "bias_axes": "c", "activation": "tanh"}),
            ),
            einsum(
                "right",
                "left",
                json!({"equation": "ab...,bc->ac...", "output_shape": [2],
                                           "bias_axes": "c"}),
            ),
            einsum(
                "mix",
                "right",
                json!({"equation": "abc,bd->adc", "output_shape": [4, 3]}),
            ),
        ];
        let model = functional(&[5, 8], layers, 7);
        let out = assert_same(&model, &input(&[2, 5, 8]), 1e-5);
        assert_note(&out, "proj (EinsumDense) -> Dense + Activation");
        assert_note(&out, "heads (EinsumDense) -> Dense + Reshape");
        assert_note(&out, "mix (EinsumDense) -> Permute + Dense + Permute");
    }

    #[test]
    fn a_per_index_kernel_or_a_bias_on_passing_axes_is_refused() {
        let layers = vec![
            einsum(
                "shared",
                "x",
                json!({"equation": "abc,bcd->abd", "output_shape": [5, 2]}),
            ),
            einsum(
                "bias",
                "shared",
                json!({"equation": "abc,cd->abd", "output_shape": [5, 3],
                                            "bias_axes": "bd"}),
            ),
        ];
        let model = functional(&[5, 8], layers, 7);
        assert_refused(
            &model,
            &[
                "`shared` (EinsumDense): equation \"abc,bcd->abd\": letter `b`",
                "`bias` (EinsumDense): bias_axes \"bd\"",
            ],
        );
    }
}

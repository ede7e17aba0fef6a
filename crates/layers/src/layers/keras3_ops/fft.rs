//! Keras 3's Fourier transforms, `ops.fft` / `ops.fft2` / `ops.ifft2` of a
//! `(real, imag)` pair and `ops.rfft` of a real tensor, each returning
//! `(real, imag)` (an FNet's token mixing is `ops.fft2((x, zeros))[0]`),
//! as Keras's TensorFlow backend computes them: `tf.signal.fft` over the
//! last axis, `fft2d` over the last two; `ifft2` is the conjugate's `fft2`
//! divided by the two axes' sizes and conjugated; `rfft(fft_length)` the
//! first `fft_length / 2 + 1` terms of the transform of the last axis cut
//! or zero-padded to `fft_length`. Each term is summed in float64 with
//! twiddles `exp(∓2πi·(jk mod n)/n)`, then rounded to float32 (TensorFlow
//! sums in float32, so the two differ by float32 rounding).

use super::super::common::*;
use crate::{Shape, Tensor};

type Out<T> = std::result::Result<T, String>;

/// Which transform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Fft {
    /// `ops.fft`: the last axis.
    Fft1,
    /// `ops.fft2`: the last two axes.
    Fft2,
    /// `ops.ifft2`: the inverse over the last two axes.
    Ifft2,
    /// `ops.rfft` of a real input, its last axis cut or zero-padded to
    /// `fft_length` (`None`: its own length).
    Rfft(Option<usize>),
}

/// The largest axis transformed (the direct sum is quadratic in it).
const MAX_AXIS: usize = 1 << 16;

impl Fft {
    /// The operation `op` (`FFT`, `FFT2`, `IFFT2`, `RFFT`) with its
    /// `fft_length` (`None`: not one of these).
    pub(crate) fn from_class(op: &str, fft_length: Option<i64>) -> Option<Out<Fft>> {
        Some(Ok(match op {
            "FFT" => Fft::Fft1,
            "FFT2" => Fft::Fft2,
            "IFFT2" => Fft::Ifft2,
            "RFFT" => match fft_length {
                None => Fft::Rfft(None),
                Some(n) if (1..=MAX_AXIS as i64).contains(&n) => Fft::Rfft(Some(n as usize)),
                Some(n) => {
                    return Some(Err(format!(
                        "fft_length {n}: expected a length from 1 to {MAX_AXIS}"
                    )))
                }
            },
            _ => return None,
        }))
    }

    /// How many axes it transforms (from the last).
    fn axes(self) -> usize {
        match self {
            Fft::Fft1 | Fft::Rfft(_) => 1,
            Fft::Fft2 | Fft::Ifft2 => 2,
        }
    }

    /// The `(real, imag)` output shapes.
    pub(crate) fn shapes(self, inputs: &[Shape]) -> Out<Vec<Shape>> {
        let x = inputs.first().ok_or("needs an input")?;
        if x.len() < self.axes() + 1 {
            return Err(format!(
                "expects a batch of rank >= {} tensors, got {}",
                self.axes(),
                shape_str(x)
            ));
        }
        let mut out = x.clone();
        match self {
            Fft::Rfft(n) => {
                let last = out.last_mut().expect("rank checked");
                *last = n.map(Some).unwrap_or(*last).map(|n| n / 2 + 1);
            }
            _ => {
                let imag = inputs.get(1).ok_or(
                    "needs the imaginary part, a second input (the call's `(real, imag)`)",
                )?;
                if imag.len() != x.len()
                    || x.iter()
                        .zip(imag)
                        .any(|(a, b)| a.zip(*b).is_some_and(|(a, b)| a != b))
                {
                    return Err(format!(
                        "real part {} and imaginary part {} differ in shape",
                        shape_str(x),
                        shape_str(imag)
                    ));
                }
            }
        }
        Ok(vec![out.clone(), out])
    }

    /// The `(real, imag)` outputs.
    pub(crate) fn call(self, inputs: &[Tensor]) -> Out<Vec<Tensor>> {
        let x = inputs.first().ok_or("needs an input")?;
        let mut shape = x.shape().to_vec();
        let rank = shape.len();
        if rank < self.axes() + 1 {
            return Err(format!(
                "expects rank >= {}, got {shape:?}",
                self.axes() + 1
            ));
        }
        if shape[rank - self.axes()..].iter().any(|&n| n > MAX_AXIS) {
            return Err(format!("an axis of {shape:?} is longer than {MAX_AXIS}"));
        }
        let mut re: Vec<f64> = f32s(x).iter().map(|&v| f64::from(v)).collect();
        let mut im = match self {
            Fft::Rfft(_) => vec![0.0; re.len()],
            _ => {
                let imag = inputs.get(1).ok_or("needs the imaginary part")?;
                if imag.shape() != x.shape() {
                    return Err(format!(
                        "real part {shape:?} and imaginary part {:?} differ in shape",
                        imag.shape()
                    ));
                }
                f32s(imag).iter().map(|&v| f64::from(v)).collect()
            }
        };
        if let Fft::Rfft(Some(n)) = self {
            // The last axis cut or zero-padded to `fft_length`.
            let d = shape[rank - 1];
            let rows = re.len().checked_div(d).unwrap_or(0);
            re = (0..rows)
                .flat_map(|r| {
                    let re = &re;
                    (0..n).map(move |i| if i < d { re[r * d + i] } else { 0.0 })
                })
                .collect();
            im = vec![0.0; re.len()];
            shape[rank - 1] = n;
        }
        let inverse = self == Fft::Ifft2;
        for axis in rank - self.axes()..rank {
            dft_axis(&mut re, &mut im, &shape, axis, inverse);
        }
        if inverse {
            let n = (shape[rank - 2] * shape[rank - 1]).max(1) as f64;
            re.iter_mut().chain(im.iter_mut()).for_each(|v| *v /= n);
        }
        if let Fft::Rfft(_) = self {
            // The non-negative frequencies.
            let (d, keep) = (shape[rank - 1], shape[rank - 1] / 2 + 1);
            let rows = re.len().checked_div(d).unwrap_or(0);
            let cut = |v: &[f64]| -> Vec<f64> {
                (0..rows)
                    .flat_map(|r| v[r * d..r * d + keep].to_vec())
                    .collect()
            };
            re = cut(&re);
            im = cut(&im);
            shape[rank - 1] = keep;
        }
        let out = |v: Vec<f64>| {
            Tensor::from_f32(shape.clone(), v.into_iter().map(|v| v as f32).collect())
                .map_err(|e| e.to_string())
        };
        Ok(vec![out(re)?, out(im)?])
    }
}

/// The discrete Fourier transform along `axis` in place: `X[k] = Σ_j x[j]
/// exp(∓2πi·jk/n)` (`+` for the inverse, unscaled).
fn dft_axis(re: &mut [f64], im: &mut [f64], shape: &[usize], axis: usize, inverse: bool) {
    let n = shape[axis];
    if n <= 1 {
        return;
    }
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let sign = if inverse { 1.0 } else { -1.0 };
    let twiddle: Vec<(f64, f64)> = (0..n)
        .map(|m| {
            let a = sign * 2.0 * std::f64::consts::PI * m as f64 / n as f64;
            (a.cos(), a.sin())
        })
        .collect();
    let (mut xr, mut xi) = (vec![0.0; n], vec![0.0; n]);
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| (o * n + j) * inner + i;
            for j in 0..n {
                xr[j] = re[at(j)];
                xi[j] = im[at(j)];
            }
            for k in 0..n {
                let (mut sr, mut si) = (0.0, 0.0);
                for j in 0..n {
                    let (c, s) = twiddle[(j * k) % n];
                    sr += xr[j] * c - xi[j] * s;
                    si += xr[j] * s + xi[j] * c;
                }
                re[at(k)] = sr;
                im[at(k)] = si;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft2_of_a_constant_is_its_sum_at_zero_and_ifft2_inverts_it() {
        // numpy: np.fft.fft2(np.ones((2, 3))) = [[6, 0, 0], [0, 0, 0]].
        let ones = Tensor::from_f32(vec![1, 2, 3], vec![1.0; 6]).unwrap();
        let zeros = Tensor::from_f32(vec![1, 2, 3], vec![0.0; 6]).unwrap();
        let out = Fft::Fft2.call(&[ones, zeros]).unwrap();
        let re = f32s(&out[0]);
        assert!((re[0] - 6.0).abs() < 1e-6);
        assert!(re[1..]
            .iter()
            .chain(f32s(&out[1]).iter())
            .all(|v| v.abs() < 1e-6));
        let back = Fft::Ifft2.call(&out).unwrap();
        assert!(f32s(&back[0]).iter().all(|v| (v - 1.0).abs() < 1e-6));
        assert!(f32s(&back[1]).iter().all(|v| v.abs() < 1e-6));
    }

    #[test]
    fn rfft_keeps_the_non_negative_frequencies_of_the_padded_axis() {
        // numpy: np.fft.rfft([1, 2, 3], n=4) = [6, -2-2j, 2].
        let x = Tensor::from_f32(vec![1, 3], vec![1.0, 2.0, 3.0]).unwrap();
        let out = Fft::Rfft(Some(4)).call(&[x]).unwrap();
        assert_eq!(out[0].shape(), &[1, 3]);
        let (re, im) = (f32s(&out[0]), f32s(&out[1]));
        for (got, want) in re.iter().zip([6.0, -2.0, 2.0]) {
            assert!((got - want).abs() < 1e-5, "{re:?}");
        }
        for (got, want) in im.iter().zip([0.0, -2.0, 0.0]) {
            assert!((got - want).abs() < 1e-5, "{im:?}");
        }
    }
}

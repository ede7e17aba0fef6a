//! Keras semantics that TensorFlow.js either lacks or gets wrong, checked
//! against independent reference computations (definitions written out in
//! the test, or equivalences between layers): BatchNormalization on a
//! non-last axis, dilated depthwise convolution, causal Conv1D,
//! channels_first, grouped convolution, output_padding, Keras-only classes
//! (Conv1DTranspose, SeparableConv1D, Cropping/ZeroPadding/UpSampling 1D/3D,
//! GroupNormalization, UnitNormalization, Subtract, Identity), masks, ReLU's
//! Keras parameters, and errors that name the layer.

use serde_json::{json, Value};
use tfjs_layers::config::ConfigReader;
use tfjs_layers::{BuildContext, Layer, LayerRegistry, Shape, Tensor};

fn layer(class: &str, cfg: Value) -> Box<dyn Layer> {
    let reg = LayerRegistry::with_builtins();
    let m = cfg.as_object().unwrap().clone();
    let name = m["name"].as_str().unwrap().to_string();
    reg.build(
        class,
        &ConfigReader::new(&name, &m),
        &BuildContext::new(&reg),
    )
    .unwrap_or_else(|e| panic!("{class}: {e}"))
}

/// Build with the input shapes (batch unknown) and set the weights.
fn built(
    class: &str,
    cfg: Value,
    input_shapes: &[&[usize]],
    weights: Vec<Vec<f32>>,
) -> Box<dyn Layer> {
    let mut l = layer(class, cfg);
    let shapes: Vec<Shape> = input_shapes
        .iter()
        .map(|s| {
            std::iter::once(None)
                .chain(s[1..].iter().map(|&d| Some(d)))
                .collect()
        })
        .collect();
    l.build(&shapes).unwrap();
    let specs = l.weights();
    assert_eq!(specs.len(), weights.len(), "{class} weight count");
    for (i, (w, spec)) in weights.into_iter().zip(specs).enumerate() {
        l.set_weight(i, Tensor::from_f32(spec.shape.clone(), w).unwrap())
            .unwrap();
    }
    l
}

fn det(n: usize, seed: f32) -> Vec<f32> {
    (0..n)
        .map(|k| (k as f32 * 0.37 + seed * 1.3 + 0.1).sin())
        .collect()
}

fn t(shape: &[usize], seed: f32) -> Tensor {
    Tensor::from_f32(shape.to_vec(), det(shape.iter().product(), seed)).unwrap()
}

fn run(l: &dyn Layer, inputs: &[Tensor]) -> Tensor {
    let masks = vec![None; inputs.len()];
    let out = l
        .call(inputs, &masks)
        .unwrap_or_else(|e| panic!("{}: {e}", l.name()));
    let declared = l
        .output_shapes(
            &inputs
                .iter()
                .map(|t| t.shape().iter().map(|&d| Some(d)).collect())
                .collect::<Vec<Shape>>(),
        )
        .unwrap();
    let got: Shape = out[0].shape().iter().map(|&d| Some(d)).collect();
    assert_eq!(
        declared[0],
        got,
        "{}: output_shapes disagrees with call",
        l.name()
    );
    out.into_iter().next().unwrap()
}

fn transpose(x: &Tensor, perm: &[usize]) -> Tensor {
    let s = x.shape();
    let out_shape: Vec<usize> = perm.iter().map(|&p| s[p]).collect();
    let mut strides = vec![1; s.len()];
    for i in (0..s.len() - 1).rev() {
        strides[i] = strides[i + 1] * s[i + 1];
    }
    let d = x.to_f32();
    let n = x.len();
    let mut out = Vec::with_capacity(n);
    for flat in 0..n {
        let mut rem = flat;
        let mut src = 0;
        for (i, &p) in perm.iter().enumerate() {
            let inner: usize = out_shape[i + 1..].iter().product();
            src += (rem / inner) * strides[p];
            rem %= inner;
        }
        out.push(d[src]);
    }
    Tensor::from_f32(out_shape, out).unwrap()
}

fn close(a: &Tensor, b: &Tensor, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    for (i, (x, y)) in a.to_f32().iter().zip(b.to_f32().iter()).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 + 1e-5 * y.abs(),
            "{what}: element {i}: {x} vs {y}"
        );
    }
}

#[test]
fn batch_norm_on_axis_1_uses_the_channel_axis() {
    // TF.js's cpu kernel applies the parameters along the last axis whatever
    // `axis` says; Keras normalizes along `axis`. Compare with the formula.
    let (mean, var, gamma, beta) = (
        vec![0.5, -1.0],
        vec![4.0, 0.25],
        vec![2.0, 1.0],
        vec![0.0, 1.0],
    );
    let bn = built(
        "BatchNormalization",
        json!({"name": "bn", "axis": 1, "epsilon": 0.0}),
        &[&[1, 2, 2, 3]],
        vec![gamma.clone(), beta.clone(), mean.clone(), var.clone()],
    );
    let x = t(&[2, 2, 2, 3], 1.0);
    let y = run(bn.as_ref(), std::slice::from_ref(&x));
    let xd = x.to_f32();
    let want: Vec<f32> = xd
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let c = (i / 6) % 2;
            (v - mean[c]) / var[c].sqrt() * gamma[c] + beta[c]
        })
        .collect();
    close(
        &y,
        &Tensor::from_f32(vec![2, 2, 2, 3], want).unwrap(),
        "bn axis 1",
    );
    // A Keras 2 list axis on channels-last input behaves as the int axis.
    let bn_last = built(
        "BatchNormalization",
        json!({"name": "bn2", "axis": [3], "epsilon": 0.0}),
        &[&[1, 2, 3, 2]],
        vec![gamma, beta, mean, var],
    );
    let y2 = run(bn_last.as_ref(), &[transpose(&x, &[0, 2, 3, 1])]);
    close(&transpose(&y, &[0, 2, 3, 1]), &y2, "bn axis 1 vs axis [3]");
}

#[test]
fn dilated_depthwise_equals_zero_stuffed_kernel() {
    // TF.js's DepthwiseConv2D ignores dilation_rate; Keras dilates.
    let k = det(2 * 2 * 3 * 2, 2.0);
    let mut stuffed = vec![0.0; 3 * 3 * 3 * 2];
    for ky in 0..2 {
        for kx in 0..2 {
            for c in 0..6 {
                stuffed[((ky * 2) * 3 + kx * 2) * 6 + c] = k[(ky * 2 + kx) * 6 + c];
            }
        }
    }
    let bias = det(6, 3.0);
    let dil = built(
        "DepthwiseConv2D",
        json!({"name": "dw", "kernel_size": 2, "depth_multiplier": 2, "dilation_rate": 2, "padding": "same"}),
        &[&[1, 6, 5, 3]],
        vec![k, bias.clone()],
    );
    let plain = built(
        "DepthwiseConv2D",
        json!({"name": "dw3", "kernel_size": 3, "depth_multiplier": 2, "padding": "same"}),
        &[&[1, 6, 5, 3]],
        vec![stuffed, bias],
    );
    let x = t(&[2, 6, 5, 3], 4.0);
    close(
        &run(dil.as_ref(), std::slice::from_ref(&x)),
        &run(plain.as_ref(), &[x]),
        "dilated depthwise",
    );
}

#[test]
fn causal_conv1d_equals_left_padded_valid_conv() {
    let kernel = det(3 * 2 * 4, 5.0);
    let bias = det(4, 6.0);
    let causal = built(
        "Conv1D",
        json!({"name": "causal", "filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}),
        &[&[1, 7, 2]],
        vec![kernel.clone(), bias.clone()],
    );
    let valid = built(
        "Conv1D",
        json!({"name": "valid", "filters": 4, "kernel_size": 3, "dilation_rate": 2}),
        &[&[1, 11, 2]],
        vec![kernel, bias],
    );
    let pad = layer("ZeroPadding1D", json!({"name": "pad", "padding": [4, 0]}));
    let x = t(&[2, 7, 2], 7.0);
    let padded = run(pad.as_ref(), std::slice::from_ref(&x));
    assert_eq!(padded.shape(), &[2, 11, 2]);
    close(
        &run(causal.as_ref(), &[x]),
        &run(valid.as_ref(), &[padded]),
        "causal conv1d",
    );
}

#[test]
fn channels_first_matches_transposed_channels_last() {
    let kernel = det(3 * 2 * 3 * 4, 8.0);
    let bias = det(4, 9.0);
    let cf = built(
        "Conv2D",
        json!({"name": "cf", "filters": 4, "kernel_size": [3, 2], "strides": 2, "padding": "same", "data_format": "channels_first"}),
        &[&[1, 3, 7, 6]],
        vec![kernel.clone(), bias.clone()],
    );
    let cl = built(
        "Conv2D",
        json!({"name": "cl", "filters": 4, "kernel_size": [3, 2], "strides": 2, "padding": "same"}),
        &[&[1, 7, 6, 3]],
        vec![kernel, bias],
    );
    let x = t(&[2, 3, 7, 6], 10.0);
    let a = run(cf.as_ref(), std::slice::from_ref(&x));
    let b = run(cl.as_ref(), &[transpose(&x, &[0, 2, 3, 1])]);
    close(&a, &transpose(&b, &[0, 3, 1, 2]), "conv2d channels_first");
    // Pooling and global pooling too.
    let p_cf = layer(
        "AveragePooling2D",
        json!({"name": "p", "pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}),
    );
    let p_cl = layer(
        "AveragePooling2D",
        json!({"name": "q", "pool_size": 3, "strides": 2, "padding": "same"}),
    );
    close(
        &run(p_cf.as_ref(), std::slice::from_ref(&x)),
        &transpose(
            &run(p_cl.as_ref(), &[transpose(&x, &[0, 2, 3, 1])]),
            &[0, 3, 1, 2],
        ),
        "avg pool channels_first",
    );
}

#[test]
fn grouped_conv_equals_convs_on_channel_halves() {
    let k = det(2 * 2 * 2 * 6, 11.0); // [kh, kw, C/groups=2, F=6]
    let bias = det(6, 12.0);
    let grouped = built(
        "Conv2D",
        json!({"name": "g", "filters": 6, "kernel_size": 2, "groups": 2}),
        &[&[1, 5, 4, 4]],
        vec![k.clone(), bias.clone()],
    );
    let x = t(&[2, 5, 4, 4], 13.0);
    let got = run(grouped.as_ref(), std::slice::from_ref(&x));
    let xd = x.to_f32();
    for g in 0..2 {
        let kg: Vec<f32> = k
            .chunks(6)
            .flat_map(|r| r[g * 3..g * 3 + 3].to_vec())
            .collect();
        let one = built(
            "Conv2D",
            json!({"name": "one", "filters": 3, "kernel_size": 2}),
            &[&[1, 5, 4, 2]],
            vec![kg, bias[g * 3..g * 3 + 3].to_vec()],
        );
        let xg: Vec<f32> = xd
            .chunks(4)
            .flat_map(|r| r[g * 2..g * 2 + 2].to_vec())
            .collect();
        let yg = run(
            one.as_ref(),
            &[Tensor::from_f32(vec![2, 5, 4, 2], xg).unwrap()],
        );
        let want: Vec<f32> = yg.to_f32().to_vec();
        let have: Vec<f32> = got
            .to_f32()
            .chunks(6)
            .flat_map(|r| r[g * 3..g * 3 + 3].to_vec())
            .collect();
        close(
            &Tensor::from_f32(vec![want.len()], have).unwrap(),
            &Tensor::from_f32(vec![want.len()], want).unwrap(),
            "grouped conv",
        );
    }
}

#[test]
fn conv_transpose_1d_output_padding_and_2d_agree() {
    let k = det(3 * 2 * 3, 14.0); // [k, F=2, C=3]
    let bias = det(2, 15.0);
    let t1 = built(
        "Conv1DTranspose",
        json!({"name": "t1", "filters": 2, "kernel_size": 3, "strides": 2}),
        &[&[1, 4, 3]],
        vec![k.clone(), bias.clone()],
    );
    let t2 = built(
        "Conv2DTranspose",
        json!({"name": "t2", "filters": 2, "kernel_size": [1, 3], "strides": [1, 2]}),
        &[&[1, 1, 4, 3]],
        vec![k.clone(), bias.clone()],
    );
    let x = t(&[2, 4, 3], 16.0);
    let a = run(t1.as_ref(), std::slice::from_ref(&x));
    assert_eq!(a.shape(), &[2, 9, 2]); // 4*2 + max(3-2, 0)
    let b = run(t2.as_ref(), &[x.clone().reshape(vec![2, 1, 4, 3]).unwrap()]);
    close(
        &a,
        &b.reshape(vec![2, 9, 2]).unwrap(),
        "conv1d transpose vs 2d",
    );
    // output_padding 1: (4-1)*2 + 3 + 1 = 10 steps; the extra step only holds the bias.
    let op = built(
        "Conv1DTranspose",
        json!({"name": "op", "filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}),
        &[&[1, 4, 3]],
        vec![k, bias.clone()],
    );
    let c = run(op.as_ref(), &[x]);
    assert_eq!(c.shape(), &[2, 10, 2]);
    let (ad, cd) = (a.to_f32(), c.to_f32());
    for bi in 0..2 {
        assert_eq!(&cd[bi * 20..bi * 20 + 18], &ad[bi * 18..bi * 18 + 18]);
        assert_eq!(&cd[bi * 20 + 18..bi * 20 + 20], &bias[..]);
    }
}

#[test]
fn separable_conv1d_equals_separable_conv2d_on_a_row() {
    let dk = det(3 * 2 * 2, 17.0);
    let pk = det(4 * 5, 18.0);
    let bias = det(5, 19.0);
    let s1 = built(
        "SeparableConv1D",
        json!({"name": "s1", "filters": 5, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"}),
        &[&[1, 6, 2]],
        vec![dk.clone(), pk.clone(), bias.clone()],
    );
    let s2 = built(
        "SeparableConv2D",
        json!({"name": "s2", "filters": 5, "kernel_size": [1, 3], "depth_multiplier": 2, "padding": "same"}),
        &[&[1, 1, 6, 2]],
        vec![dk, pk, bias],
    );
    let names: Vec<String> = s2
        .weights()
        .into_iter()
        .map(|w| format!("{}{:?}", w.name, w.shape))
        .collect();
    assert_eq!(
        names,
        [
            "depthwise_kernel[1, 3, 2, 2]",
            "pointwise_kernel[1, 1, 4, 5]",
            "bias[5]"
        ]
    );
    let x = t(&[3, 6, 2], 20.0);
    let a = run(s1.as_ref(), std::slice::from_ref(&x));
    let b = run(s2.as_ref(), &[x.reshape(vec![3, 1, 6, 2]).unwrap()]);
    close(&a, &b.reshape(vec![3, 6, 5]).unwrap(), "separable 1d vs 2d");
}

#[test]
fn pad_then_crop_and_upsample_then_pool_are_identities() {
    let x = t(&[2, 3, 4, 2, 3], 21.0);
    let pad = layer(
        "ZeroPadding3D",
        json!({"name": "p", "padding": [[1, 2], [0, 1], [2, 0]]}),
    );
    let crop = layer(
        "Cropping3D",
        json!({"name": "c", "cropping": [[1, 2], [0, 1], [2, 0]]}),
    );
    let padded = run(pad.as_ref(), std::slice::from_ref(&x));
    assert_eq!(padded.shape(), &[2, 6, 5, 4, 3]);
    assert_eq!(padded.to_f32()[0], 0.0);
    close(&run(crop.as_ref(), &[padded]), &x, "pad/crop 3d");
    let up = layer("UpSampling3D", json!({"name": "u", "size": [2, 1, 3]}));
    let pool = layer(
        "AveragePooling3D",
        json!({"name": "a", "pool_size": [2, 1, 3]}),
    );
    let maxp = layer("MaxPooling3D", json!({"name": "m", "pool_size": [2, 1, 3]}));
    let u = run(up.as_ref(), std::slice::from_ref(&x));
    assert_eq!(u.shape(), &[2, 6, 4, 6, 3]);
    close(
        &run(pool.as_ref(), std::slice::from_ref(&u)),
        &x,
        "upsample/avgpool 3d",
    );
    close(&run(maxp.as_ref(), &[u]), &x, "upsample/maxpool 3d");
    let x1 = t(&[2, 5, 3], 22.0);
    let up1 = layer("UpSampling1D", json!({"name": "u1", "size": 3}));
    let crop1 = layer("Cropping1D", json!({"name": "c1", "cropping": [1, 2]}));
    let u1 = run(up1.as_ref(), std::slice::from_ref(&x1));
    assert_eq!(u1.shape(), &[2, 15, 3]);
    assert_eq!(&u1.to_f32()[3..9], &x1.to_f32()[0..3].repeat(2)[..]);
    let c1 = run(crop1.as_ref(), std::slice::from_ref(&x1));
    assert_eq!(&c1.to_f32()[..6], &x1.to_f32()[3..9]);
}

#[test]
fn masks_follow_keras() {
    // Masking: steps equal to mask_value everywhere are masked and zeroed.
    let masking = layer("Masking", json!({"name": "m", "mask_value": 0.5}));
    let x = Tensor::from_f32(vec![1, 3, 2], vec![0.5, 0.5, 0.5, 1.0, 2.0, 3.0]).unwrap();
    let y = run(masking.as_ref(), std::slice::from_ref(&x));
    assert_eq!(y.to_f32().as_ref(), &[0.0, 0.0, 0.5, 1.0, 2.0, 3.0]);
    let mask = masking
        .compute_mask(std::slice::from_ref(&x), &[None])
        .unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(mask.shape(), &[1, 3]);
    assert_eq!(mask.to_f32().as_ref(), &[0.0, 1.0, 1.0]);
    // GlobalAveragePooling1D takes the mean over unmasked steps only.
    let gap = layer("GlobalAveragePooling1D", json!({"name": "g"}));
    let out = gap.call(&[y], &[Some(mask.clone())]).unwrap().remove(0);
    assert_eq!(
        out.to_f32().as_ref(),
        &[(0.5 + 2.0) / 2.0, (1.0 + 3.0) / 2.0]
    );
    // Dense and BatchNormalization pass masks through; Add ANDs them.
    let dense = built(
        "Dense",
        json!({"name": "d", "units": 1}),
        &[&[1, 3, 2]],
        vec![vec![1.0, 1.0], vec![0.0]],
    );
    let m2 = dense
        .compute_mask(std::slice::from_ref(&x), &[Some(mask.clone())])
        .unwrap()[0]
        .clone();
    assert_eq!(m2.as_ref(), Some(&mask));
    let other = Tensor::from_f32(vec![1, 3], vec![1.0, 1.0, 0.0]).unwrap();
    let add = layer("Add", json!({"name": "a"}));
    let anded = add
        .compute_mask(&[x.clone(), x.clone()], &[Some(mask.clone()), Some(other)])
        .unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(anded.to_f32().as_ref(), &[0.0, 1.0, 0.0]);
    // Concatenate along time concatenates the masks (missing = all ones).
    let cat = layer("Concatenate", json!({"name": "c", "axis": 1}));
    let cm = cat
        .compute_mask(&[x.clone(), x.clone()], &[Some(mask), None])
        .unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(cm.shape(), &[1, 6]);
    assert_eq!(cm.to_f32().as_ref(), &[0.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
}

#[test]
fn relu_keras_parameters_and_softmax_axis() {
    let relu = layer(
        "ReLU",
        json!({"name": "r", "max_value": 2.0, "negative_slope": 0.1, "threshold": 0.5}),
    );
    let x = Tensor::from_f32(vec![1, 5], vec![-2.0, -0.5, 0.5, 1.0, 3.0]).unwrap();
    let y = run(relu.as_ref(), &[x]);
    // Keras: x >= max → max; threshold <= x < max → x; else slope * (x - threshold).
    let want = [0.1 * (-2.5f32), -0.1f32, 0.5, 1.0, 2.0];
    for (a, b) in y.to_f32().iter().zip(want) {
        assert!((a - b).abs() < 1e-7, "{a} vs {b}");
    }
    let sm = layer("Softmax", json!({"name": "s", "axis": 1}));
    let x = t(&[2, 3, 4], 23.0);
    let y = run(sm.as_ref(), std::slice::from_ref(&x));
    let last = layer("Softmax", json!({"name": "s2", "axis": -1}));
    let y2 = run(last.as_ref(), &[transpose(&x, &[0, 2, 1])]);
    close(&transpose(&y, &[0, 2, 1]), &y2, "softmax axis 1");
}

#[test]
fn group_and_unit_normalization() {
    // groups == channels: every channel of every sample normalized on its own.
    let gn = built(
        "GroupNormalization",
        json!({"name": "g", "groups": 3, "epsilon": 0.0}),
        &[&[1, 4, 3]],
        vec![vec![1.0; 3], vec![0.0; 3]],
    );
    let x = t(&[2, 4, 3], 24.0);
    let y = run(gn.as_ref(), std::slice::from_ref(&x));
    let (xd, yd) = (x.to_f32(), y.to_f32());
    for b in 0..2 {
        for c in 0..3 {
            let v: Vec<f32> = (0..4).map(|p| xd[b * 12 + p * 3 + c]).collect();
            let mean = v.iter().sum::<f32>() / 4.0;
            let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / 4.0;
            for p in 0..4 {
                let want = (v[p] - mean) / var.sqrt();
                assert!((yd[b * 12 + p * 3 + c] - want).abs() < 1e-4);
            }
        }
    }
    // groups == 1 is a LayerNormalization over all non-batch axes.
    let g1 = built(
        "GroupNormalization",
        json!({"name": "g1", "groups": 1}),
        &[&[1, 4, 3]],
        vec![vec![1.0; 3], vec![0.0; 3]],
    );
    let ln = built(
        "LayerNormalization",
        json!({"name": "ln", "axis": [1, 2]}),
        &[&[1, 4, 3]],
        vec![vec![1.0; 12], vec![0.0; 12]],
    );
    close(
        &run(g1.as_ref(), std::slice::from_ref(&x)),
        &run(ln.as_ref(), std::slice::from_ref(&x)),
        "groups=1",
    );
    let un = layer("UnitNormalization", json!({"name": "u", "axis": -1}));
    let y = run(un.as_ref(), std::slice::from_ref(&x));
    for (row, xr) in y.to_f32().chunks(3).zip(x.to_f32().chunks(3)) {
        let n: f32 = row.iter().map(|v| v * v).sum();
        assert!((n - 1.0).abs() < 1e-5);
        let xn: f32 = xr.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((row[0] * xn - xr[0]).abs() < 1e-5);
    }
}

#[test]
fn keras_only_merges_and_pass_through() {
    let a = t(&[2, 3], 25.0);
    let b = t(&[2, 1], 26.0);
    let sub = layer("Subtract", json!({"name": "s"}));
    let y = run(sub.as_ref(), &[a.clone(), b.clone()]);
    let (ad, bd, yd) = (a.to_f32(), b.to_f32(), y.to_f32());
    for i in 0..6 {
        assert_eq!(yd[i], ad[i] - bd[i / 3]);
    }
    let id = layer("Identity", json!({"name": "i"}));
    assert_eq!(run(id.as_ref(), std::slice::from_ref(&a)), a);
    let sd = layer("SpatialDropout2D", json!({"name": "sd", "rate": 0.5}));
    let x4 = t(&[1, 2, 2, 3], 27.0);
    assert_eq!(run(sd.as_ref(), std::slice::from_ref(&x4)), x4);
    let gap = layer(
        "GlobalAveragePooling2D",
        json!({"name": "g", "keepdims": true}),
    );
    let y = run(gap.as_ref(), &[x4]);
    assert_eq!(y.shape(), &[1, 1, 1, 3]);
    assert_eq!(gap.config()["keepdims"], true);
}

#[test]
fn errors_name_the_layer() {
    let dense = built(
        "Dense",
        json!({"name": "my_dense", "units": 2}),
        &[&[1, 3]],
        vec![vec![0.0; 6], vec![0.0; 2]],
    );
    let e = dense
        .call(&[t(&[2, 4], 1.0)], &[None])
        .unwrap_err()
        .to_string();
    assert!(e.contains("my_dense") && e.contains('3'), "{e}");
    let conv = built(
        "Conv2D",
        json!({"name": "my_conv", "filters": 2, "kernel_size": 1}),
        &[&[1, 2, 2, 3]],
        vec![vec![0.0; 6], vec![0.0; 2]],
    );
    let e = conv
        .call(&[t(&[1, 2, 2, 4], 1.0)], &[None])
        .unwrap_err()
        .to_string();
    assert!(e.contains("my_conv") && e.contains("channels"), "{e}");
    let e = conv
        .call(&[t(&[1, 2, 3], 1.0)], &[None])
        .unwrap_err()
        .to_string();
    assert!(e.contains("my_conv") && e.contains("rank"), "{e}");
    let reg = LayerRegistry::with_builtins();
    let bad = json!({"name": "bad_conv", "filters": 2});
    let e = reg
        .build(
            "Conv2D",
            &ConfigReader::new("bad_conv", bad.as_object().unwrap()),
            &BuildContext::new(&reg),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad_conv") && e.contains("kernel_size"), "{e}");
    let reshape = layer(
        "Reshape",
        json!({"name": "my_reshape", "target_shape": [-1, 4]}),
    );
    let e = reshape
        .call(&[t(&[2, 6], 1.0)], &[None])
        .unwrap_err()
        .to_string();
    assert!(e.contains("my_reshape"), "{e}");
    let y = reshape.call(&[t(&[2, 8], 1.0)], &[None]).unwrap().remove(0);
    assert_eq!(y.shape(), &[2, 2, 4]);
    let pool = layer("MaxPooling2D", json!({"name": "my_pool", "pool_size": 3}));
    let e = pool
        .call(&[t(&[1, 2, 2, 1], 1.0)], &[None])
        .unwrap_err()
        .to_string();
    assert!(e.contains("my_pool"), "{e}");
}

//! Image ops: ResizeBilinear, ResizeNearestNeighbor, CropAndResize (math in
//! `tfjs_kernels::image`, shared with any other engine).

use super::convolution::nhwc;
use super::{one, Ctx, OpFn, Value};
use crate::tensor::Tensor;
use crate::Result;
use tfjs_kernels::image::{self, crop_and_resize, ImageShape, ResizeMethod};

/// Ops of this family.
pub const OPS: &[(&str, OpFn)] = &[
    ("ResizeBilinear", |c| resize(c, false)),
    ("ResizeNearestNeighbor", |c| resize(c, true)),
    ("CropAndResize", crop),
];

fn size2(c: &Ctx, i: usize) -> Result<[usize; 2]> {
    let s = c.ints(i)?;
    match s.as_slice() {
        [h, w] if *h > 0 && *w > 0 && h.saturating_mul(*w) <= 1 << 28 => {
            Ok([*h as usize, *w as usize])
        }
        _ => Err(c.err(format!(
            "size must be two positive integers with a product of at most 2^28, got {s:?}"
        ))),
    }
}

fn resize(c: &Ctx, nearest: bool) -> Result<Vec<Value>> {
    let (x, s) = nhwc(c, 0)?;
    let [h, w] = size2(c, 1)?;
    let shape = ImageShape {
        batch: s[0],
        height: s[1],
        width: s[2],
        channels: s[3],
    };
    if shape.height == 0 || shape.width == 0 {
        return Err(c.err("cannot resize an empty image"));
    }
    let out_len = [s[0], h, w, s[3]]
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d));
    if !out_len.is_some_and(super::transformation::fits) {
        return Err(c.err(format!(
            "the resized image [{}, {h}, {w}, {}] is too large to allocate",
            s[0], s[3]
        )));
    }
    let align = c.attr_b("align_corners", false);
    let half = c.attr_b("half_pixel_centers", false);
    let method = if nearest {
        ResizeMethod::Nearest
    } else {
        ResizeMethod::Bilinear
    };
    let out = image::resize(&x, shape, [h, w], method, align, half);
    let t = Tensor::f32(vec![s[0], h, w, s[3]], out)?;
    // Nearest-neighbour keeps the input dtype (it only copies values).
    one(if nearest { t.cast(c.t(0)?.dtype()) } else { t })
}

fn crop(c: &Ctx) -> Result<Vec<Value>> {
    let (x, s) = nhwc(c, 0)?;
    let boxes = c.t(1)?;
    let ind = c.t(2)?.to_i32();
    if boxes.len() != ind.len() * 4 {
        return Err(c.err(format!(
            "boxes {:?} must be [{}, 4]",
            boxes.shape(),
            ind.len()
        )));
    }
    let [h, w] = size2(c, 3)?;
    let method = c.node.attr_s("method").unwrap_or_else(|| "bilinear".into());
    let extrapolation = c.attr_f("extrapolation_value", 0.0);
    let shape = ImageShape {
        batch: s[0],
        height: s[1],
        width: s[2],
        channels: s[3],
    };
    let out = crop_and_resize(
        &x,
        shape,
        &boxes.to_f32(),
        &ind,
        [h, w],
        method == "nearest",
        extrapolation,
    );
    one(Tensor::f32(vec![ind.len(), h, w, s[3]], out)?)
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::run1;
    use crate::tensor::Tensor;

    #[test]
    fn resize_and_crop_ops() {
        let x = Tensor::f32(vec![1, 2, 2, 1], vec![0.0, 1.0, 2.0, 3.0]).unwrap();
        let r = run1(
            "ResizeBilinear",
            &[x.clone(), Tensor::vec_i32(vec![3, 3])],
            r#"{"align_corners": {"b": true}}"#,
        );
        assert_eq!(r.shape(), &[1, 3, 3, 1]);
        assert_eq!(r.to_f32()[4], 1.5);
        let n = run1(
            "ResizeNearestNeighbor",
            &[
                Tensor::i32(vec![1, 1, 2, 1], vec![4, 5]).unwrap(),
                Tensor::vec_i32(vec![1, 4]),
            ],
            "{}",
        );
        assert_eq!(n.to_i32(), vec![4, 4, 5, 5]);
        let c = run1(
            "CropAndResize",
            &[
                x,
                Tensor::f32(vec![1, 4], vec![0.0, 0.0, 1.0, 1.0]).unwrap(),
                Tensor::vec_i32(vec![0]),
                Tensor::vec_i32(vec![2, 2]),
            ],
            "{}",
        );
        assert_eq!(c.to_f32(), vec![0.0, 1.0, 2.0, 3.0]);
    }
}

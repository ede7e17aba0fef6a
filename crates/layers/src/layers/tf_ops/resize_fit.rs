//! How `tf.image.resize` fits an image to its target size: exactly,
//! keeping the aspect ratio (`preserve_aspect_ratio=True`: the largest
//! size within the target, so the output is smaller along one axis), or
//! keeping it and padding with zeros to the target
//! (`tf.image.resize_with_pad`, centred). The sizes follow TensorFlow's
//! float32 arithmetic (`image_ops_impl._resize_images_common` and
//! `_resize_image_with_pad_common`).

/// The fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Fit {
    #[default]
    Exact,
    KeepAspect,
    Pad,
}

/// Where the resized image lands: its size and its top-left offset in an
/// output of `out` (zeros around it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    pub resized: [usize; 2],
    pub offset: [usize; 2],
    pub out: [usize; 2],
}

impl Fit {
    /// The plan for an `h × w` image and the `target` size.
    pub(super) fn plan(self, target: [usize; 2], h: usize, w: usize) -> Plan {
        let [th, tw] = target;
        let (fh, fw, fth, ftw) = (h as f32, w as f32, th as f32, tw as f32);
        match self {
            Fit::Exact => Plan {
                resized: target,
                offset: [0, 0],
                out: target,
            },
            Fit::KeepAspect => {
                let scale = (fth / fh).min(ftw / fw);
                // `tf.round`: half to even.
                let size = |d: f32| (scale * d).round_ties_even().max(0.0) as usize;
                let resized = [size(fh), size(fw)];
                Plan {
                    resized,
                    offset: [0, 0],
                    out: resized,
                }
            }
            Fit::Pad => {
                let ratio = (fw / ftw).max(fh / fth);
                let (rh, rw) = (fh / ratio, fw / ratio);
                let pad = |t: f32, r: f32| ((t - r) / 2.0).floor().max(0.0) as usize;
                Plan {
                    resized: [rh.floor() as usize, rw.floor() as usize],
                    offset: [pad(fth, rh), pad(ftw, rw)],
                    out: target,
                }
            }
        }
    }
}

/// `resized` (`[batch, rh, rw, c]` values) placed at `plan.offset` in
/// zeros of `[batch, out_h, out_w, c]` (`tf.image.pad_to_bounding_box`).
pub(super) fn place(resized: &[f32], batch: usize, channels: usize, plan: &Plan) -> Vec<f32> {
    let ([rh, rw], [oh, ow], [top, left]) = (plan.resized, plan.out, plan.offset);
    if [rh, rw] == [oh, ow] {
        return resized.to_vec();
    }
    let mut out = vec![0f32; batch * oh * ow * channels];
    for b in 0..batch {
        for y in 0..rh.min(oh.saturating_sub(top)) {
            for x in 0..rw.min(ow.saturating_sub(left)) {
                let src = ((b * rh + y) * rw + x) * channels;
                let dst = ((b * oh + top + y) * ow + left + x) * channels;
                out[dst..dst + channels].copy_from_slice(&resized[src..src + channels]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_tensorflow() {
        // tf.image.resize(6×8, (5, 5), preserve_aspect_ratio=True) is 4×5
        // (scale 5/8: 3.75 rounds to 4); resize_with_pad(6×8, 5, 5)
        // resizes to 3×5 (6/1.6 = 3.75 floored) at row 0 (0.625 floored).
        assert_eq!(Fit::KeepAspect.plan([5, 5], 6, 8).out, [4, 5]);
        let p = Fit::Pad.plan([5, 5], 6, 8);
        assert_eq!((p.resized, p.offset, p.out), ([3, 5], [0, 0], [5, 5]));
        let p = Fit::Pad.plan([8, 6], 4, 4);
        assert_eq!((p.resized, p.offset), ([6, 6], [1, 0]));
    }
}

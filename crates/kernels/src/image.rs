//! Image resampling exactly as TensorFlow.js's cpu backend computes it:
//! bilinear and nearest-neighbour resizing (`align_corners`,
//! `half_pixel_centers`) and `CropAndResize`. Coordinates and blends are
//! evaluated in f64 (JS numbers) and stored as f32, like a Float32Array.

/// NHWC image batch geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageShape {
    /// Batch size.
    pub batch: usize,
    /// Height.
    pub height: usize,
    /// Width.
    pub width: usize,
    /// Channels.
    pub channels: usize,
}

impl ImageShape {
    /// `batch * height * width * channels`.
    pub fn len(&self) -> usize {
        self.batch * self.height * self.width * self.channels
    }

    /// No elements?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `[batch, height, width, channels]`.
    pub fn dims(&self) -> [usize; 4] {
        [self.batch, self.height, self.width, self.channels]
    }
}

/// `(input size ratio, output size)` per TF.js: with `align_corners` (and an
/// output longer than 1) the corner pixels map onto each other.
fn ratio(old: usize, new: usize, align_corners: bool) -> f64 {
    let (i, o) = if align_corners && new > 1 {
        (old - 1, new - 1)
    } else {
        (old, new)
    };
    i as f64 / o as f64
}

/// How [`resize`] samples the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeMethod {
    /// `tf.image.resizeBilinear`.
    Bilinear,
    /// `tf.image.resizeNearestNeighbor`.
    Nearest,
}

/// `tf.image.resizeBilinear` / `resizeNearestNeighbor` (cpu kernels):
/// returns `[batch, new_h, new_w, c]`.
///
/// Note TF.js's bilinear quirk, kept here: with `half_pixel_centers` the
/// first source coordinate can be negative; its floor is clamped to 0 but
/// the fraction is not, so the edge pixels are slightly extrapolated.
///
/// ```
/// use tfjs_kernels::image::{resize, ImageShape, ResizeMethod};
/// let s = ImageShape { batch: 1, height: 1, width: 2, channels: 1 };
/// let out = resize(&[0.0, 1.0], s, [1, 4], ResizeMethod::Bilinear, false, false);
/// assert_eq!(out, [0.0, 0.5, 1.0, 1.0]);
/// let out = resize(&[1.0, 2.0], s, [1, 4], ResizeMethod::Nearest, false, false);
/// assert_eq!(out, [1.0, 1.0, 2.0, 2.0]);
/// ```
///
/// # Panics
/// If `input.len()` does not match `shape` or a dimension is zero.
pub fn resize(
    input: &[f32],
    shape: ImageShape,
    new_hw: [usize; 2],
    method: ResizeMethod,
    align_corners: bool,
    half_pixel_centers: bool,
) -> Vec<f32> {
    assert_eq!(input.len(), shape.len(), "resize: input length");
    let ratios = [
        ratio(shape.height, new_hw[0], align_corners),
        ratio(shape.width, new_hw[1], align_corners),
    ];
    match method {
        ResizeMethod::Bilinear => bilinear(input, shape, new_hw, ratios, half_pixel_centers),
        ResizeMethod::Nearest => {
            let corners = (align_corners, half_pixel_centers);
            nearest(input, shape, new_hw, ratios, corners)
        }
    }
}

fn bilinear(
    input: &[f32],
    shape: ImageShape,
    [new_h, new_w]: [usize; 2],
    [rh, rw]: [f64; 2],
    half_pixel_centers: bool,
) -> Vec<f32> {
    let [batch, height, width, channels] = shape.dims();
    let src = |r: f64, i: usize| {
        if half_pixel_centers {
            r * (i as f64 + 0.5) - 0.5
        } else {
            r * i as f64
        }
    };
    let cols: Vec<(usize, usize, f64)> = (0..new_w)
        .map(|c| {
            let f = src(rw, c);
            let lo = f.floor().max(0.0);
            let hi = f.ceil().min((width - 1) as f64);
            (lo as usize, hi as usize, f - lo)
        })
        .collect();
    let mut out = Vec::with_capacity(batch * new_h * new_w * channels);
    let row_len = width * channels;
    for b in 0..batch {
        let img = &input[b * height * row_len..(b + 1) * height * row_len];
        for r in 0..new_h {
            let f = src(rh, r);
            let lo = f.floor().max(0.0);
            let hi = f.ceil().min((height - 1) as f64);
            let row_frac = f - lo;
            let top = &img[lo as usize * row_len..(lo as usize + 1) * row_len];
            let bot = &img[hi as usize * row_len..(hi as usize + 1) * row_len];
            for &(cl, ch, col_frac) in &cols {
                for d in 0..channels {
                    let tl = top[cl * channels + d] as f64;
                    let tr = top[ch * channels + d] as f64;
                    let bl = bot[cl * channels + d] as f64;
                    let br = bot[ch * channels + d] as f64;
                    let t = tl + (tr - tl) * col_frac;
                    let bo = bl + (br - bl) * col_frac;
                    out.push((t + (bo - t) * row_frac) as f32);
                }
            }
        }
    }
    out
}

fn nearest(
    input: &[f32],
    shape: ImageShape,
    [new_h, new_w]: [usize; 2],
    [rh, rw]: [f64; 2],
    (align_corners, half_pixel_centers): (bool, bool),
) -> Vec<f32> {
    let [batch, height, width, channels] = shape.dims();
    let nearest = |r: f64, i: usize, old: usize| -> usize {
        let f = if half_pixel_centers {
            r * (i as f64 + 0.5)
        } else {
            r * i as f64
        };
        // Math.round rounds halves up.
        let n = if align_corners {
            (f + 0.5).floor()
        } else {
            f.floor()
        };
        let n = n.min((old - 1) as f64);
        (if half_pixel_centers { n.max(0.0) } else { n }) as usize
    };
    let cols: Vec<usize> = (0..new_w).map(|c| nearest(rw, c, width)).collect();
    let mut out = Vec::with_capacity(batch * new_h * new_w * channels);
    for b in 0..batch {
        for r in 0..new_h {
            let sr = nearest(rh, r, height);
            let base = (b * height + sr) * width;
            for &sc in &cols {
                let p = (base + sc) * channels;
                out.extend_from_slice(&input[p..p + channels]);
            }
        }
    }
    out
}

/// `tf.image.cropAndResize` (cpu kernel). `boxes` holds `[y1, x1, y2, x2]`
/// normalized corners per box, `box_index` the image of each box; crops that
/// fall outside the image get `extrapolation`. Returns
/// `[boxes, crop_h, crop_w, channels]`. Boxes whose index is out of range are
/// left at zero, as TF.js skips them.
///
/// # Panics
/// If slice lengths disagree with `shape` / the number of boxes.
pub fn crop_and_resize(
    input: &[f32],
    shape: ImageShape,
    boxes: &[f32],
    box_index: &[i32],
    [crop_h, crop_w]: [usize; 2],
    nearest: bool,
    extrapolation: f32,
) -> Vec<f32> {
    assert_eq!(input.len(), shape.len(), "crop_and_resize: input length");
    assert_eq!(boxes.len(), box_index.len() * 4, "crop_and_resize: boxes");
    let [batch, height, width, channels] = shape.dims();
    let n_boxes = box_index.len();
    let mut out = vec![0.0f32; n_boxes * crop_h * crop_w * channels];
    let (ih, iw) = ((height as f64) - 1.0, (width as f64) - 1.0);
    for b in 0..n_boxes {
        let [y1, x1, y2, x2] = [0, 1, 2, 3].map(|k| boxes[b * 4 + k] as f64);
        let bi = box_index[b];
        if bi < 0 || bi as usize >= batch {
            continue;
        }
        let img = &input[bi as usize * height * width * channels..];
        let hs = if crop_h > 1 {
            (y2 - y1) * ih / (crop_h - 1) as f64
        } else {
            0.0
        };
        let ws = if crop_w > 1 {
            (x2 - x1) * iw / (crop_w - 1) as f64
        } else {
            0.0
        };
        for y in 0..crop_h {
            let yi = if crop_h > 1 {
                y1 * ih + y as f64 * hs
            } else {
                0.5 * (y1 + y2) * ih
            };
            let row = &mut out[((b * crop_h + y) * crop_w) * channels
                ..((b * crop_h + y + 1) * crop_w) * channels];
            if yi < 0.0 || yi > ih {
                row.fill(extrapolation);
                continue;
            }
            for x in 0..crop_w {
                let xi = if crop_w > 1 {
                    x1 * iw + x as f64 * ws
                } else {
                    0.5 * (x1 + x2) * iw
                };
                let px = &mut row[x * channels..(x + 1) * channels];
                if xi < 0.0 || xi > iw {
                    px.fill(extrapolation);
                    continue;
                }
                let at =
                    |yy: usize, xx: usize, d: usize| img[(yy * width + xx) * channels + d] as f64;
                if nearest {
                    let (cy, cx) = ((yi + 0.5).floor() as usize, (xi + 0.5).floor() as usize);
                    for (d, o) in px.iter_mut().enumerate() {
                        *o = at(cy, cx, d) as f32;
                    }
                } else {
                    let (t, bo) = (yi.floor() as usize, yi.ceil() as usize);
                    let (l, r) = (xi.floor() as usize, xi.ceil() as usize);
                    let (yl, xl) = (yi - t as f64, xi - l as f64);
                    for (d, o) in px.iter_mut().enumerate() {
                        let top = at(t, l, d) + (at(t, r, d) - at(t, l, d)) * xl;
                        let bottom = at(bo, l, d) + (at(bo, r, d) - at(bo, l, d)) * xl;
                        *o = (top + (bottom - top) * yl) as f32;
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One 2x2 single-channel image.
    const TWO_BY_TWO: ImageShape = ImageShape {
        batch: 1,
        height: 2,
        width: 2,
        channels: 1,
    };

    #[test]
    fn bilinear_modes_match_tfjs() {
        let (s, x) = (TWO_BY_TWO, [0.0, 1.0, 2.0, 3.0]);
        // align_corners: corners map exactly, 3x3 grid
        let a = resize(&x, s, [3, 3], ResizeMethod::Bilinear, true, false);
        assert_eq!(a, [0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0]);
        // half pixel centers, upsample x2: source -0.25 clamps onto pixel 0
        let h = resize(&x, s, [4, 4], ResizeMethod::Bilinear, false, true);
        assert_eq!(h[0], 0.0);
        assert_eq!(h[5], 0.75); // source (0.25, 0.25)
        assert_eq!(h[15], 3.0);
        let n = resize(&x, s, [3, 3], ResizeMethod::Nearest, true, false);
        assert_eq!(n, [0.0, 1.0, 1.0, 2.0, 3.0, 3.0, 2.0, 3.0, 3.0]);
    }

    #[test]
    fn crop_and_resize_whole_and_outside() {
        let (s, x) = (TWO_BY_TWO, [0.0, 1.0, 2.0, 3.0]);
        let c = crop_and_resize(&x, s, &[0.0, 0.0, 1.0, 1.0], &[0], [3, 3], false, 0.0);
        assert_eq!(c, [0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0]);
        let c = crop_and_resize(&x, s, &[1.0, 0.0, 2.0, 1.0], &[0], [2, 1], false, -1.0);
        assert_eq!(c, [2.5, -1.0]);
    }
}

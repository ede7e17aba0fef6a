//! RGB ↔ HSV of images (`ops.image.rgb_to_hsv` / `hsv_to_rgb`, Keras 2's
//! `tf.image.rgb_to_hsv` / `hsv_to_rgb`), per pixel as TensorFlow's CPU
//! kernels compute them in float32:
//!
//! - to HSV: `v = max(r, g, b)`, `range = v - min(r, g, b)`, `s = range /
//!   v` (0 where `v <= 0`); the hue, by which channel is the largest (red
//!   first), `(g - b)`, `(b - r) + 2/6` or `(r - g) + 4/6` times `1 /
//!   range · 1/6`, 0 where `range <= 0`, plus 1 where negative;
//! - to RGB: `dh = 6h`, `dr = clamp(|dh - 3| - 1)`, `dg = clamp(2 - |dh -
//!   2|)`, `db = clamp(2 - |dh - 4|)` into `[0, 1]`, each channel `(1 - s +
//!   s · d) · v`.

/// One pixel's `[r, g, b]` as `[h, s, v]`.
pub(super) fn rgb_to_hsv([r, g, b]: [f32; 3]) -> [f32; 3] {
    let v = r.max(g).max(b);
    let range = v - r.min(g).min(b);
    let s = if v > 0.0 { range / v } else { 0.0 };
    let norm = (1.0 / range) * (1.0 / 6.0);
    let mut h = if r == v {
        norm * (g - b)
    } else if g == v {
        norm * (b - r) + 2.0 / 6.0
    } else {
        norm * (r - g) + 4.0 / 6.0
    };
    if range <= 0.0 || range.is_nan() {
        h = 0.0;
    }
    if h < 0.0 {
        h += 1.0;
    }
    [h, s, v]
}

/// One pixel's `[h, s, v]` as `[r, g, b]`.
pub(super) fn hsv_to_rgb([h, s, v]: [f32; 3]) -> [f32; 3] {
    let dh = h * 6.0;
    let unit = |x: f32| x.clamp(0.0, 1.0);
    let dr = unit((dh - 3.0).abs() - 1.0);
    let dg = unit(-(dh - 2.0).abs() + 2.0);
    let db = unit(-(dh - 4.0).abs() + 2.0);
    let one_s = -s + 1.0;
    [
        (one_s + s * dr) * v,
        (one_s + s * dg) * v,
        (one_s + s * db) * v,
    ]
}

//! Non-maximum suppression exactly as TensorFlow.js computes it
//! (`nonMaxSuppressionImpl`): candidates above the score threshold are taken
//! highest score first (equal scores: lower box index first), a candidate is
//! dropped when its IoU with a selected box reaches the threshold, and with a
//! positive `soft_nms_sigma` scores decay by `exp(-0.5 * iou² / sigma)`
//! instead (Soft-NMS, `NonMaxSuppressionV5`). Arithmetic is in f64, like JS.
//! [`combined_non_max_suppression`] is TensorFlow's per-class
//! `CombinedNonMaxSuppression` (Keras 2's `tf.image.combined_non_max_suppression`),
//! in f32 as its CPU kernel computes it.

/// The selected boxes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NmsResult {
    /// Indices into the boxes, in selection order.
    pub indices: Vec<i32>,
    /// Their (possibly soft-suppressed) scores.
    pub scores: Vec<f32>,
}

#[derive(Clone, Copy)]
struct Candidate {
    score: f64,
    index: usize,
    suppress_begin: usize,
}

/// TF.js `ascendingComparator`: by score, then by *descending* box index,
/// so popping from the end yields the highest score and the lowest index.
fn ascending(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    a.score
        .partial_cmp(&b.score)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then(b.index.cmp(&a.index))
}

/// Intersection over union of boxes `i` and `j` (`[y1, x1, y2, x2]`, any corner order).
pub fn iou(boxes: &[f32], i: usize, j: usize) -> f64 {
    let b = |k: usize| {
        let c = &boxes[k * 4..k * 4 + 4];
        let (y1, x1, y2, x2) = (c[0] as f64, c[1] as f64, c[2] as f64, c[3] as f64);
        (y1.min(y2), x1.min(x2), y1.max(y2), x1.max(x2))
    };
    let (ay1, ax1, ay2, ax2) = b(i);
    let (by1, bx1, by2, bx2) = b(j);
    let area_a = (ay2 - ay1) * (ax2 - ax1);
    let area_b = (by2 - by1) * (bx2 - bx1);
    if area_a <= 0.0 || area_b <= 0.0 {
        return 0.0;
    }
    let ih = (ay2.min(by2) - ay1.max(by1)).max(0.0);
    let iw = (ax2.min(bx2) - ax1.max(bx1)).max(0.0);
    let inter = ih * iw;
    inter / (area_a + area_b - inter)
}

/// Run NMS over `boxes` (`4 * n` values) and `scores` (`n` values).
///
/// ```
/// use tfjs_kernels::nms::non_max_suppression;
/// let boxes = [0.0, 0.0, 1.0, 1.0, 0.0, 0.1, 1.0, 1.1, 0.0, 2.0, 1.0, 3.0];
/// let r = non_max_suppression(&boxes, &[0.9, 0.8, 0.7], 3, 0.5, f32::NEG_INFINITY, 0.0);
/// assert_eq!(r.indices, [0, 2]);
/// ```
///
/// # Panics
/// If `boxes.len() != 4 * scores.len()`.
pub fn non_max_suppression(
    boxes: &[f32],
    scores: &[f32],
    max_output: usize,
    iou_threshold: f32,
    score_threshold: f32,
    soft_nms_sigma: f32,
) -> NmsResult {
    assert_eq!(boxes.len(), scores.len() * 4, "non_max_suppression: boxes");
    let score_threshold = score_threshold as f64;
    let iou_threshold = iou_threshold as f64;
    let mut candidates: Vec<Candidate> = scores
        .iter()
        .enumerate()
        .filter(|(_, &s)| s as f64 > score_threshold)
        .map(|(index, &s)| Candidate {
            score: s as f64,
            index,
            suppress_begin: 0,
        })
        .collect();
    candidates.sort_by(ascending);
    let scale = if soft_nms_sigma > 0.0 {
        -0.5 / soft_nms_sigma as f64
    } else {
        0.0
    };
    let mut out = NmsResult::default();
    let mut selected: Vec<usize> = Vec::new();
    while selected.len() < max_output {
        let Some(mut cand) = candidates.pop() else {
            break;
        };
        let original = cand.score;
        if original < score_threshold {
            break;
        }
        let mut ignore = false;
        for j in (cand.suppress_begin..selected.len()).rev() {
            let v = iou(boxes, cand.index, selected[j]);
            if v >= iou_threshold {
                ignore = true;
                break;
            }
            let weight = if v <= iou_threshold {
                (scale * v * v).exp()
            } else {
                0.0
            };
            cand.score *= weight;
            if cand.score <= score_threshold {
                break;
            }
        }
        cand.suppress_begin = selected.len();
        if !ignore {
            if cand.score == original {
                selected.push(cand.index);
                out.indices.push(cand.index as i32);
                out.scores.push(cand.score as f32);
            } else if cand.score > score_threshold {
                // binaryInsert: before the first element that is not smaller.
                let pos = candidates
                    .partition_point(|c| ascending(&cand, c) == std::cmp::Ordering::Greater);
                candidates.insert(pos, cand);
            }
        }
    }
    out
}

/// The settings of TensorFlow's `CombinedNonMaxSuppression`
/// (`tf.image.combined_non_max_suppression`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CombinedNms {
    /// `max_output_size_per_class`: the most boxes kept per class.
    pub max_per_class: usize,
    /// `max_total_size`: the most boxes kept per image, over all classes.
    pub max_total: usize,
    /// A box whose IoU with a kept box of its class is above this is dropped.
    pub iou_threshold: f32,
    /// Only boxes scoring above this are candidates.
    pub score_threshold: f32,
    /// `pad_per_class`: the outputs hold `min(max_total, max_per_class ·
    /// classes)` boxes instead of `max_total`.
    pub pad_per_class: bool,
    /// `clip_boxes`: coordinates clamped to `[0, 1]`.
    pub clip_boxes: bool,
}

/// One image's result of [`combined_non_max_suppression`], padded with
/// zeros to [`CombinedNms::output_size`] boxes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CombinedNmsResult {
    /// `[size, 4]` box corners.
    pub boxes: Vec<f32>,
    /// `[size]` scores.
    pub scores: Vec<f32>,
    /// `[size]` class indices, as floats (TensorFlow's output dtype).
    pub classes: Vec<f32>,
    /// How many of the `size` rows are detections.
    pub valid: i32,
}

impl CombinedNms {
    /// The number of boxes in each image's output for `classes` classes.
    pub fn output_size(&self, classes: usize) -> usize {
        if self.pad_per_class {
            self.max_total
                .min(self.max_per_class.saturating_mul(classes))
        } else {
            self.max_total
        }
    }
}

/// Intersection over union as TensorFlow's CPU kernel computes it, in f32.
fn iou_f32(a: &[f32], b: &[f32]) -> f32 {
    let corners = |c: &[f32]| {
        (
            c[0].min(c[2]),
            c[1].min(c[3]),
            c[0].max(c[2]),
            c[1].max(c[3]),
        )
    };
    let (ay1, ax1, ay2, ax2) = corners(a);
    let (by1, bx1, by2, bx2) = corners(b);
    let area_a = (ay2 - ay1) * (ax2 - ax1);
    let area_b = (by2 - by1) * (bx2 - bx1);
    if area_a <= 0.0 || area_b <= 0.0 {
        return 0.0;
    }
    let inter = (ay2.min(by2) - ay1.max(by1)).max(0.0) * (ax2.min(bx2) - ax1.max(bx1)).max(0.0);
    inter / (area_a + area_b - inter)
}

/// TensorFlow's `CombinedNonMaxSuppression` for one image: `boxes` is
/// `[num_boxes, q, 4]` (`q` 1: one box per anchor for every class, or
/// `q == classes`: a box per class), `scores` `[num_boxes, classes]`.
///
/// Per class, the boxes scoring above the threshold are taken highest
/// first and kept unless their IoU with a kept one of that class is above
/// `iou_threshold`, up to `min(max_per_class, num_boxes)`. The kept boxes
/// of all classes then go highest score first (TensorFlow's `std::sort`
/// leaves equal scores in no set order; here they keep class order, and
/// within a class box order) into the first `min(kept, size)` rows; the
/// remaining slots of that list (score -1, class -1) are what TensorFlow
/// reads when kept boxes score below -1, as it does.
///
/// # Panics
/// If the slices do not have those shapes.
pub fn combined_non_max_suppression(
    boxes: &[f32],
    q: usize,
    scores: &[f32],
    classes: usize,
    nms: &CombinedNms,
) -> CombinedNmsResult {
    let num_boxes = scores.len().checked_div(classes).unwrap_or(0);
    assert_eq!(scores.len(), num_boxes * classes, "combined_nms: scores");
    assert_eq!(boxes.len(), num_boxes * q * 4, "combined_nms: boxes");
    assert!(q == 1 || q == classes, "combined_nms: q");
    let per_class = nms.max_per_class.min(num_boxes);
    let box_of = |b: usize, c: usize| {
        let k = if q == 1 { b } else { b * q + c };
        &boxes[k * 4..k * 4 + 4]
    };
    // (score, class, box) per slot; an empty slot is (-1, -1, none).
    let mut slots: Vec<(f32, i64, Option<usize>)> = vec![(-1.0, -1, None); per_class * classes];
    let mut candidates: Vec<(usize, f32)> = Vec::with_capacity(num_boxes);
    let mut kept: Vec<usize> = Vec::with_capacity(per_class);
    for c in 0..classes {
        candidates.clear();
        candidates.extend(
            (0..num_boxes)
                .map(|b| (b, scores[b * classes + c]))
                .filter(|&(_, s)| s > nms.score_threshold),
        );
        candidates.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
        kept.clear();
        for &(b, s) in &candidates {
            if kept.len() >= per_class {
                break;
            }
            let suppressed = kept
                .iter()
                .rev()
                .any(|&k| iou_f32(box_of(b, c), box_of(k, c)) > nms.iou_threshold);
            if !suppressed {
                slots[c * per_class + kept.len()] = (s, c as i64, Some(b));
                kept.push(b);
            }
        }
    }
    slots.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    let valid_count = slots.iter().filter(|s| s.2.is_some()).count();
    let size = nms.output_size(classes);
    let take = valid_count.min(size);
    let mut out = CombinedNmsResult {
        boxes: vec![0.0; size * 4],
        scores: vec![0.0; size],
        classes: vec![0.0; size],
        valid: take as i32,
    };
    for (i, &(score, class, b)) in slots.iter().take(take).enumerate() {
        if let Some(b) = b {
            let coords = box_of(b, class as usize);
            for (o, &v) in out.boxes[i * 4..i * 4 + 4].iter_mut().zip(coords) {
                *o = if nms.clip_boxes { v.clamp(0.0, 1.0) } else { v };
            }
        }
        out.scores[i] = score;
        out.classes[i] = class as f32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_prefer_lower_index_and_threshold_filters() {
        let boxes = [0.0, 0.0, 1.0, 1.0, 5.0, 5.0, 6.0, 6.0, 0.0, 0.0, 1.0, 1.0];
        let r = non_max_suppression(&boxes, &[0.5, 0.5, 0.5], 10, 0.5, 0.0, 0.0);
        assert_eq!(r.indices, [0, 1]);
        let r = non_max_suppression(&boxes, &[0.5, 0.2, 0.9], 10, 0.5, 0.3, 0.0);
        assert_eq!(r.indices, [2]);
        assert_eq!(iou(&boxes, 0, 2), 1.0);
        assert_eq!(iou(&boxes, 0, 1), 0.0);
    }

    #[test]
    fn soft_nms_decays_overlapping_scores() {
        // two boxes with IoU 1/3 (area 1 each, overlap 0.5)
        let boxes = [0.0, 0.0, 1.0, 1.0, 0.0, 0.5, 1.0, 1.5];
        let r = non_max_suppression(&boxes, &[0.9, 0.8], 10, 1.0, 0.0, 0.5);
        assert_eq!(r.indices, [0, 1]);
        let expect = 0.8 * (-(1.0f64 / 3.0).powi(2)).exp();
        assert!((r.scores[1] as f64 - expect).abs() < 1e-6);
    }

    /// Six anchors, two classes; the values TensorFlow 2.21 gives
    /// (`tf.image.combined_non_max_suppression(boxes, scores, 3, 5, 0.5,
    /// 0.1)` and with `2, 10, 0.5, 0.1, pad_per_class=True,
    /// clip_boxes=False`).
    #[test]
    fn combined_nms_matches_tensorflow() {
        let boxes = [
            0.0, 0.0, 0.5, 0.5, 0.05, 0.0, 0.55, 0.5, 0.6, 0.6, 1.2, 1.1, 0.0, 0.6, 0.4, 1.0, -0.1,
            0.2, 0.3, 0.6, 0.6, 0.6, 1.2, 1.1,
        ];
        let scores = [
            0.9, 0.1, 0.8, 0.7, 0.3, 0.75, 0.3, 0.2, 0.05, 0.9, 0.6, 0.75,
        ];
        let mut p = CombinedNms {
            max_per_class: 3,
            max_total: 5,
            iou_threshold: 0.5,
            score_threshold: 0.1,
            pad_per_class: false,
            clip_boxes: true,
        };
        let r = combined_non_max_suppression(&boxes, 1, &scores, 2, &p);
        #[rustfmt::skip]
        assert_eq!(r.boxes, [
            0.0, 0.0, 0.5, 0.5, 0.0, 0.2, 0.3, 0.6, 0.6, 0.6, 1.0, 1.0,
            0.05, 0.0, 0.55, 0.5, 0.6, 0.6, 1.0, 1.0,
        ]);
        assert_eq!(r.scores, [0.9, 0.9, 0.75, 0.7, 0.6]);
        assert_eq!(r.classes, [0.0, 1.0, 1.0, 1.0, 0.0]);
        assert_eq!(r.valid, 5);
        p.max_per_class = 2;
        p.max_total = 10;
        p.pad_per_class = true;
        p.clip_boxes = false;
        let r = combined_non_max_suppression(&boxes, 1, &scores, 2, &p);
        #[rustfmt::skip]
        assert_eq!(r.boxes, [
            0.0, 0.0, 0.5, 0.5, -0.1, 0.2, 0.3, 0.6, 0.6, 0.6, 1.2, 1.1, 0.6, 0.6, 1.2, 1.1,
        ]);
        assert_eq!(r.scores, [0.9, 0.9, 0.75, 0.6]);
        assert_eq!(r.classes, [0.0, 1.0, 1.0, 0.0]);
        assert_eq!(r.valid, 4);
    }

    /// A box per class (`q == classes`): class 1's boxes are the anchors in
    /// reverse order; TensorFlow 2.21 with `4, 4, 0.3` (no score threshold).
    #[test]
    fn combined_nms_with_a_box_per_class() {
        let anchors: [[f32; 4]; 6] = [
            [0.0, 0.0, 0.5, 0.5],
            [0.05, 0.0, 0.55, 0.5],
            [0.6, 0.6, 1.2, 1.1],
            [0.0, 0.6, 0.4, 1.0],
            [-0.1, 0.2, 0.3, 0.6],
            [0.6, 0.6, 1.2, 1.1],
        ];
        let boxes: Vec<f32> = (0..6)
            .flat_map(|b| anchors[b].into_iter().chain(anchors[5 - b]))
            .collect();
        let scores = [
            0.9, 0.1, 0.8, 0.7, 0.3, 0.75, 0.3, 0.2, 0.05, 0.9, 0.6, 0.75,
        ];
        let p = CombinedNms {
            max_per_class: 4,
            max_total: 4,
            iou_threshold: 0.3,
            score_threshold: f32::NEG_INFINITY,
            pad_per_class: false,
            clip_boxes: true,
        };
        let r = combined_non_max_suppression(&boxes, 2, &scores, 2, &p);
        #[rustfmt::skip]
        assert_eq!(r.boxes, [
            0.0, 0.0, 0.5, 0.5, 0.05, 0.0, 0.55, 0.5, 0.0, 0.6, 0.4, 1.0, 0.0, 0.2, 0.3, 0.6,
        ]);
        assert_eq!(r.scores, [0.9, 0.9, 0.75, 0.7]);
        assert_eq!(r.classes, [0.0, 1.0, 1.0, 1.0]);
        assert_eq!(r.valid, 4);
    }
}

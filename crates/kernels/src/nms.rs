//! Non-maximum suppression exactly as TensorFlow.js computes it
//! (`nonMaxSuppressionImpl`): candidates above the score threshold are taken
//! highest score first (equal scores: lower box index first), a candidate is
//! dropped when its IoU with a selected box reaches the threshold, and with a
//! positive `soft_nms_sigma` scores decay by `exp(-0.5 * iou² / sigma)`
//! instead (Soft-NMS, `NonMaxSuppressionV5`). Arithmetic is in f64, like JS.

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
}

//! Keras 2's `tf.image.combined_non_max_suppression(boxes, scores,
//! max_output_size_per_class, max_total_size, iou_threshold=0.5,
//! score_threshold=-inf, pad_per_class=False, clip_boxes=True)`, the
//! per-class non-max suppression detectors end with: `boxes` `[batch,
//! anchors, q, 4]` (`q` 1, or one box per class), `scores` `[batch,
//! anchors, classes]` (a tensor); the sizes and thresholds are constants.
//! Outputs, as TensorFlow's namedtuple: `nmsed_boxes` `[batch, size, 4]`,
//! `nmsed_scores` and `nmsed_classes` `[batch, size]` float32,
//! `valid_detections` `[batch]` int32, `size` = `max_total_size` (with
//! `pad_per_class`: at most `max_output_size_per_class · classes`). The
//! math is `tfjs_kernels::nms::combined_non_max_suppression`. TensorFlow.js
//! has no such layer or op, so `--rebuild` refuses it.

use super::super::common::*;
use crate::{Shape, Tensor};
use serde_json::{Map, Value};
use tfjs_kernels::nms::{combined_non_max_suppression, CombinedNms};

/// The most boxes per class or per image read from a config (the outputs
/// are allocated from them).
const MAX_BOXES: u64 = 1 << 20;

#[derive(Debug, Clone)]
pub(crate) struct CombinedNmsOp {
    nms: CombinedNms,
}

impl CombinedNmsOp {
    /// The call's keyword arguments (`boxes` is the first input, `scores`
    /// a tensor argument: the second).
    pub(crate) fn from_tf(kwargs: &Map<String, Value>) -> std::result::Result<Self, String> {
        let get = |k: &str| kwargs.get(k).filter(|v| !v.is_null());
        if get("scores")
            .and_then(crate::topology::kwarg_tensor)
            .is_none()
        {
            return Err("scores: expected a tensor".into());
        }
        let count = |k: &str, min: u64| -> std::result::Result<usize, String> {
            get(k)
                .and_then(Value::as_u64)
                .filter(|n| (min..=MAX_BOXES).contains(n))
                .map(|n| n as usize)
                .ok_or(format!(
                    "{k}: expected a constant integer from {min} to {MAX_BOXES}"
                ))
        };
        let number = |k: &str, default: f32| -> std::result::Result<f32, String> {
            match get(k) {
                None => Ok(default),
                Some(v) => v
                    .as_f64()
                    .map(|x| x as f32)
                    .ok_or(format!("{k}: expected a constant number")),
            }
        };
        let flag = |k: &str, default: bool| -> std::result::Result<bool, String> {
            match get(k) {
                None => Ok(default),
                Some(v) => v.as_bool().ok_or(format!("{k}: expected true or false")),
            }
        };
        let iou_threshold = number("iou_threshold", 0.5)?;
        if !(0.0..=1.0).contains(&iou_threshold) {
            return Err(format!(
                "iou_threshold: must be in [0, 1], got {iou_threshold}"
            ));
        }
        Ok(CombinedNmsOp {
            nms: CombinedNms {
                max_per_class: count("max_output_size_per_class", 0)?,
                max_total: count("max_total_size", 1)?,
                iou_threshold,
                score_threshold: number("score_threshold", f32::NEG_INFINITY)?,
                pad_per_class: flag("pad_per_class", false)?,
                clip_boxes: flag("clip_boxes", true)?,
            },
        })
    }

    /// `[batch, anchors, q, 4]` boxes and `[batch, anchors, classes]`
    /// scores: checks what is known and gives the four outputs' shapes.
    fn check(boxes: &[Option<usize>], scores: &[Option<usize>]) -> std::result::Result<(), String> {
        if boxes.len() != 4 || boxes[3].is_some_and(|d| d != 4) {
            return Err(format!(
                "boxes: expected [batch, anchors, q, 4], got {}",
                shape_str(&boxes.to_vec())
            ));
        }
        if scores.len() != 3 || scores[2] == Some(0) {
            return Err(format!(
                "scores: expected [batch, anchors, classes] with classes > 0, got {}",
                shape_str(&scores.to_vec())
            ));
        }
        let differ =
            |a: Option<usize>, b: Option<usize>| matches!((a, b), (Some(a), Some(b)) if a != b);
        if differ(boxes[0], scores[0]) || differ(boxes[1], scores[1]) {
            return Err(format!(
                "boxes {} and scores {} differ in batch or anchors",
                shape_str(&boxes.to_vec()),
                shape_str(&scores.to_vec())
            ));
        }
        if let (Some(q), Some(c)) = (boxes[2], scores[2]) {
            if q != 1 && q != c {
                return Err(format!(
                    "boxes: q (dimension 2) must be 1 or the number of classes ({c}), got {q}"
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn shapes(&self, inputs: &[Shape]) -> std::result::Result<Vec<Shape>, String> {
        let [boxes, scores, ..] = inputs else {
            return Err("expects boxes and scores".into());
        };
        Self::check(boxes, scores)?;
        let size = if self.nms.pad_per_class {
            scores[2].map(|c| self.nms.output_size(c))
        } else {
            Some(self.nms.max_total)
        };
        let batch = boxes[0].or(scores[0]);
        Ok(vec![
            vec![batch, size, Some(4)],
            vec![batch, size],
            vec![batch, size],
            vec![batch],
        ])
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> std::result::Result<Vec<Tensor>, String> {
        let [boxes, scores, ..] = inputs else {
            return Err("expects boxes and scores".into());
        };
        let known = |t: &Tensor| t.shape().iter().map(|&d| Some(d)).collect::<Vec<_>>();
        Self::check(&known(boxes), &known(scores))?;
        let (batch, anchors, q) = (boxes.shape()[0], boxes.shape()[1], boxes.shape()[2]);
        let classes = scores.shape()[2];
        let size = self.nms.output_size(classes);
        let (b, s) = (f32s(boxes), f32s(scores));
        let (mut out_boxes, mut out_scores) = (Vec::new(), Vec::new());
        let (mut out_classes, mut valid) = (Vec::new(), Vec::with_capacity(batch));
        for i in 0..batch {
            let r = combined_non_max_suppression(
                &b[i * anchors * q * 4..][..anchors * q * 4],
                q,
                &s[i * anchors * classes..][..anchors * classes],
                classes,
                &self.nms,
            );
            out_boxes.extend(r.boxes);
            out_scores.extend(r.scores);
            out_classes.extend(r.classes);
            valid.push(r.valid);
        }
        let e = |e: crate::LayersError| e.to_string();
        Ok(vec![
            Tensor::from_f32(vec![batch, size, 4], out_boxes).map_err(e)?,
            Tensor::from_f32(vec![batch, size], out_scores).map_err(e)?,
            Tensor::from_f32(vec![batch, size], out_classes).map_err(e)?,
            Tensor::from_i32(vec![batch], valid).map_err(e)?,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kwargs(v: Value) -> Map<String, Value> {
        v.as_object().expect("an object").clone()
    }

    #[test]
    fn constant_arguments_are_checked_by_name() {
        let ok = json!({"scores": ["s", 0, 0], "max_output_size_per_class": 5,
                        "max_total_size": 5, "iou_threshold": 0.5});
        assert!(CombinedNmsOp::from_tf(&kwargs(ok.clone())).is_ok());
        for (field, bad) in [
            ("scores", json!([[0.5, 0.2]])),
            ("iou_threshold", json!(1.5)),
            ("max_total_size", json!(0)),
            ("max_output_size_per_class", json!(["t", 0, 0])),
            ("max_total_size", json!(1u64 << 40)),
            ("clip_boxes", json!("yes")),
        ] {
            let mut k = kwargs(ok.clone());
            k.insert(field.into(), bad);
            let e = CombinedNmsOp::from_tf(&k).expect_err(field);
            assert!(e.starts_with(field), "{field}: {e}");
        }
    }

    #[test]
    fn shapes_follow_the_sizes_and_check_q() {
        let op = CombinedNmsOp::from_tf(&kwargs(json!({"scores": ["s", 0, 0],
            "max_output_size_per_class": 2, "max_total_size": 10, "pad_per_class": true})))
        .expect("valid");
        let boxes = vec![None, Some(16), Some(1), Some(4)];
        let scores = vec![None, Some(16), Some(3)];
        let s = op.shapes(&[boxes, scores.clone()]).expect("shapes");
        assert_eq!(s[0], vec![None, Some(6), Some(4)]);
        assert_eq!(s[3], vec![None]);
        let e = op
            .shapes(&[vec![None, Some(16), Some(2), Some(4)], scores])
            .expect_err("q of 2 for 3 classes");
        assert!(e.contains("q (dimension 2)"), "{e}");
    }
}

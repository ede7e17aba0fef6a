//! Whose semantics a model follows where Keras and TensorFlow.js compute
//! different numbers for the same config.
//!
//! A layers model.json says who wrote it in `modelTopology.keras_version`:
//! `"tfjs-layers 4.22.0"` for TensorFlow.js, `"2.21.0"` / `"3.15.1"` for
//! the official converter's Keras models. Two configs mean different
//! things depending on it, and the file offers no other way to tell:
//!
//! | config | TensorFlow.js, Keras < 2.4 | Keras ≥ 2.4 | Keras 3 |
//! |---|---|---|---|
//! | `activation: "hard_sigmoid"` | `clip(0.2x + 0.5, 0, 1)` | same | `clip(x/6 + 0.5, 0, 1)` |
//! | `UpSampling2D` `interpolation: "bilinear"` | corner-aligned (`i·in/out`) | half-pixel centers (`tf.image.resize`) | half-pixel centers |
//! | `RandomCrop` at inference | (no such layer) | `smart_resize` to its size | the identity |
//! | `keras.ops.quantile` `method` | (no such op) | (no such op) | ignored in a saved graph: linear (3.15) |
//! | a merge of masked inputs | masks ANDed, values as given | same | see [`Dialect::masked_call_differs`] |
//! | `Rescaling` / `Normalization` of a masked input | mask passed on | mask dropped | mask passed on |
//!
//! Keras 2.4 is TensorFlow 2.4's `tf.keras`, the first whose
//! `backend.resize_images` always calls `tf.image.resize` (half-pixel
//! centers); earlier multi-backend Keras called `resize_bilinear` without
//! them, as TensorFlow.js does. A topology without a `keras_version` (and a
//! model built in Rust) follows TensorFlow.js.

use serde_json::Value;

/// A layer call some of whose inputs carry Keras masks, as
/// [`Dialect::masked_call_differs`] sees it (the engine finds them by
/// propagating masks through the built model).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MaskedCall {
    /// The layer's class.
    pub class_name: String,
    /// The layer's config (`Concatenate` reads its `axis`).
    pub config: Value,
    /// The rank of the call's first input.
    pub input_rank: usize,
    /// Per input: `None` when no mask arrives with it, else the mask's
    /// identity (inputs carrying the same mask share it) and its rank.
    pub masks: Vec<Option<(u64, usize)>>,
    /// Per input: the layer whose call made its mask (`None` without a
    /// mask, or for one given explicitly as `mask=`).
    pub origins: Vec<Option<String>>,
    /// Per input: which call of its origin layer made the mask (its node
    /// index), alongside [`MaskedCall::origins`].
    pub origin_calls: Vec<Option<usize>>,
    /// Which call of the layer this is (its node index).
    pub call: usize,
}

/// The classes [`Dialect::masked_call_differs`] can tell apart: a model
/// without them needs no look at its masks.
pub const MASK_SENSITIVE_CLASSES: &[&str] = &[
    "Add",
    // Not told apart, but `--rebuild` rewrites these (and
    // `GlobalAveragePooling1D`) under an Embedding's mask.
    "AdditiveAttention",
    "Attention",
    "Average",
    "Bidirectional",
    "Concatenate",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "GRU",
    "GlobalAveragePooling1D",
    "LSTM",
    "Maximum",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "RNN",
    "Rescaling",
    "SimpleRNN",
    "Softmax",
    "Subtract",
];

/// The `keras_version` of the tf_keras the Keras exports write for (its
/// `.h5` files), and so the dialect they compute in.
pub const TF_KERAS_VERSION: &str = "2.21.0";
/// The same for Keras 3 (its `.keras` files).
pub const KERAS3_VERSION: &str = "3.15.1";

/// The semantics a model's layers follow (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// TensorFlow.js (`tfjs-layers …`), a topology with no version, or a
    /// model built in Rust.
    #[default]
    Tfjs,
    /// Keras `major.minor.patch` (as the official converter records it).
    Keras {
        /// 2 for tf_keras / Keras 2, 3 for Keras 3.
        major: u32,
        /// The minor version.
        minor: u32,
        /// The patch version.
        patch: u32,
    },
}

impl Dialect {
    /// The dialect a `keras_version` string names; `None`, `tfjs-layers …`
    /// and anything that is not a version number give [`Dialect::Tfjs`].
    pub fn from_keras_version(version: Option<&str>) -> Dialect {
        let Some(v) = version.map(str::trim) else {
            return Dialect::Tfjs;
        };
        // "2.3.0-tf", "3.15.1", "2.21.0"; a suffix after the patch number
        // does not change the semantics.
        let mut parts = v.split(|c: char| !c.is_ascii_digit());
        let mut num = || parts.next().and_then(|p| p.parse::<u32>().ok());
        match (num(), num()) {
            (Some(major), Some(minor)) if v.starts_with(|c: char| c.is_ascii_digit()) => {
                Dialect::Keras {
                    major,
                    minor,
                    patch: num().unwrap_or(0),
                }
            }
            _ => Dialect::Tfjs,
        }
    }

    /// The dialect of a `modelTopology` (its `keras_version`, also inside a
    /// `model_config` wrapper).
    pub fn of_topology(topology: &Value) -> Dialect {
        let version = topology
            .get("keras_version")
            .or_else(|| topology.pointer("/model_config/keras_version"))
            .and_then(Value::as_str);
        Dialect::from_keras_version(version)
    }

    /// Written by Keras (any version), not TensorFlow.js.
    pub fn is_keras(self) -> bool {
        matches!(self, Dialect::Keras { .. })
    }

    /// Keras 3 or later.
    pub fn is_keras3(self) -> bool {
        matches!(self, Dialect::Keras { major, .. } if major >= 3)
    }

    /// Keras 3's `hard_sigmoid`: `clip(x/6 + 0.5, 0, 1)` (Keras 2 and
    /// TensorFlow.js: `clip(0.2x + 0.5, 0, 1)`).
    pub fn keras3_hard_sigmoid(self) -> bool {
        self.is_keras3()
    }

    /// Bilinear `UpSampling2D` samples at half-pixel centers, as
    /// `tf.image.resize` does (TensorFlow.js: corner-aligned, no half-pixel
    /// centers).
    pub fn half_pixel_upsampling(self) -> bool {
        matches!(self, Dialect::Keras { major, minor, .. } if (major, minor) >= (2, 4))
    }

    /// Keras 3's `keras.ops.quantile` node interpolates linearly whatever
    /// its `method` (Keras up to 3.15 at least: `Quantile.call` does not
    /// pass `method` on when a saved graph runs).
    pub fn quantile_ignores_method(self) -> bool {
        matches!(self, Dialect::Keras { major: 3, minor, .. } if minor <= 15)
    }

    /// Keras 2's `Rescaling` and `Normalization` do not support masking:
    /// they drop their input's mask (Keras 3's and TensorFlow.js's pass it
    /// on).
    pub fn preprocessing_drops_masks(self) -> bool {
        self.is_keras() && !self.is_keras3()
    }

    /// Keras 3 passes a layer its input's mask only when the call has one
    /// tensor argument (`Layer.__call__` fills `mask` from the sole tensor
    /// argument, else only `<arg>_mask` parameters): a recurrent layer or
    /// `Bidirectional` given `initial_state` tensors runs unmasked, though
    /// its output still carries the mask. Keras 2 and TensorFlow.js apply
    /// the mask.
    pub fn initial_state_drops_mask(self) -> bool {
        self.is_keras3()
    }

    /// Why `call` (a layer some of whose inputs carry masks) computes other
    /// numbers, or another mask, in this dialect than in `other`; `None`
    /// where both agree. Checked against Keras 3.15 and tf_keras 2.21:
    ///
    /// - `Multiply`, `Maximum`, `Minimum`: Keras 3 takes a masked-out value
    ///   as 1 in a product (and writes 0 where every input is masked out),
    ///   as the other operand in a maximum / minimum; Keras 2 and
    ///   TensorFlow.js compute with the values as given. They differ
    ///   whenever a mask arrives.
    /// - `Add`, `Subtract`, `Average`, `Concatenate` (along the features):
    ///   the values agree; the output mask is the OR of the masks in Keras 3
    ///   (none unless every input has one; `Concatenate`: an unmasked input
    ///   unmasks every step), the AND of the given masks in Keras 2 and
    ///   TensorFlow.js. They agree only when every input carries the same
    ///   mask. `Concatenate` along the masked (time) axis concatenates the
    ///   masks in both.
    /// - `Rescaling`, `Normalization`: see
    ///   [`Dialect::preprocessing_drops_masks`].
    /// - A recurrent layer or `Bidirectional` whose sequence is masked and
    ///   which is given initial states: see
    ///   [`Dialect::initial_state_drops_mask`].
    pub fn masked_call_differs(self, other: Dialect, call: &MaskedCall) -> Option<&'static str> {
        let masked = call.masks.iter().flatten().count();
        if masked == 0 || !MASK_SENSITIVE_CLASSES.contains(&call.class_name.as_str()) {
            return None;
        }
        let mut ids = call.masks.iter().map(|m| m.map(|(id, _)| id));
        let first = ids.next().flatten();
        let one_mask = masked == call.masks.len() && ids.all(|id| id == first);
        let merges_differ = self.is_keras3() != other.is_keras3();
        match call.class_name.as_str() {
            "Multiply" | "Maximum" | "Minimum" if merges_differ => Some(
                "a mask reaches it, and Keras 3 takes masked-out values as 1 in a product \
                 (0 where every input is masked out) and as the other operand in a maximum / \
                 minimum, while Keras 2 and TensorFlow.js use the values as given",
            ),
            "Add" | "Subtract" | "Average" if merges_differ && !one_mask => Some(
                "its inputs carry different masks (or only some carry one), and Keras 3 ORs \
                 them (no mask unless every input has one) while Keras 2 and TensorFlow.js \
                 AND the masks given",
            ),
            "Concatenate" if merges_differ && !one_mask => {
                let rank = call.input_rank as i64;
                let axis = call
                    .config
                    .get("axis")
                    .and_then(Value::as_i64)
                    .unwrap_or(-1);
                let axis = if axis < 0 { axis + rank } else { axis };
                let mask_rank = call.masks.iter().flatten().map(|m| m.1).next().unwrap_or(0);
                let along_time = axis >= 1 && axis < mask_rank as i64 && (mask_rank as i64) < rank;
                (!along_time).then_some(
                    "its inputs carry different masks (or only some carry one), and Keras 3 \
                     keeps a step any input keeps (an unmasked input keeps every step) while \
                     Keras 2 and TensorFlow.js keep a step every masked input keeps",
                )
            }
            "Rescaling" | "Normalization"
                if self.preprocessing_drops_masks() != other.preprocessing_drops_masks() =>
            {
                Some(
                    "a mask reaches it, which Keras 2 drops there (the layer does not support \
                     masking) while Keras 3 and TensorFlow.js pass it on",
                )
            }
            "Softmax" if self.softmax_masking() != other.softmax_masking() => Some(
                "a mask reaches it, and Keras sets the masked logits to -1e9 before the \
                 softmax (Keras 3 then zeroes them, so a fully masked row is 0; Keras 2 leaves \
                 it uniform) while TensorFlow.js's Softmax ignores masks",
            ),
            class
                if crate::topology::RECURRENT_CLASSES.contains(&class)
                    && call.masks.len() > 1
                    && call.masks[0].is_some()
                    && self.initial_state_drops_mask() != other.initial_state_drops_mask() =>
            {
                Some(
                    "its masked sequence comes with initial states, and Keras 3 then runs the \
                     recurrence unmasked (it passes a mask only to a call with one tensor \
                     argument) while Keras 2 and TensorFlow.js apply the mask",
                )
            }
            _ => None,
        }
    }

    /// Whether [`Dialect::masked_call_differs`] tells calls of `class_name`
    /// apart only by the mask their output carries, their values agreeing
    /// (the masked merges `Add`, `Subtract`, `Average`, `Concatenate`;
    /// Keras 2's mask-dropping `Rescaling` / `Normalization`): such a call
    /// computes the same numbers where no later layer's numbers depend on
    /// that mask.
    pub fn only_the_mask_differs(class_name: &str) -> bool {
        matches!(
            class_name,
            "Add" | "Subtract" | "Average" | "Concatenate" | "Rescaling" | "Normalization"
        )
    }

    /// How a `Softmax` applies the mask reaching it: not at all
    /// (TensorFlow.js), Keras 2's way or Keras 3's.
    fn softmax_masking(self) -> u8 {
        if self.is_keras3() {
            3
        } else if self.is_keras() {
            2
        } else {
            0
        }
    }

    /// Whether any config means something else here than in TensorFlow.js.
    pub fn differs_from_tfjs(self) -> bool {
        self.is_keras3() || self.half_pixel_upsampling()
    }

    /// Whether `config` (a model config, nested models included) has a
    /// layer whose numbers depend on the dialect: a `hard_sigmoid` or a
    /// `RandomCrop` (Keras 3), a bilinear `UpSampling2D` (Keras ≥ 2.4), a
    /// `RandomWidth` interpolating in a way TensorFlow.js refuses, an
    /// RNN of stacked cells returning its states (their order), a
    /// `keras.ops.quantile` with a `method` other than linear (Keras 3.15).
    pub fn matters_for(self, config: &Value) -> bool {
        match config {
            Value::Object(m) => {
                let class = m.get("class_name").and_then(Value::as_str);
                let bilinear = config
                    .pointer("/config/interpolation")
                    .and_then(Value::as_str)
                    == Some("bilinear");
                // A cell stack's states: Keras returns and takes them first
                // cell first, TensorFlow.js last cell first.
                let stacked = class == Some("RNN")
                    && m.get("config").is_some_and(|c| {
                        c.get("return_state").and_then(Value::as_bool) == Some(true)
                            && (c.get("cell").is_some_and(Value::is_array)
                                || c.pointer("/cell/class_name").and_then(Value::as_str)
                                    == Some("StackedRNNCells"))
                    });
                (class == Some("UpSampling2D") && bilinear && self.half_pixel_upsampling())
                    || (stacked && self.is_keras())
                    || (class == Some("RandomCrop") && self.is_keras3())
                    // Keras 3's CategoryEncoding drops ids >= num_tokens,
                    // tf_keras's and TensorFlow.js's raise.
                    || (class == Some("CategoryEncoding") && self.is_keras3())
                    // Keras 3's attention replaces masked scores (and with
                    // dropout zeroes masked weights) where Keras 2 and
                    // TensorFlow.js add -1e9.
                    || (matches!(
                        class,
                        Some("MultiHeadAttention" | "GroupedQueryAttention" | "GroupQueryAttention")
                    ) && self.is_keras3())
                    // tf_keras's RandomWidth takes every tf.image.resize
                    // method, TensorFlow.js's only these two.
                    || (class == Some("RandomWidth")
                        && self.is_keras()
                        && !matches!(
                            config.pointer("/config/interpolation").and_then(Value::as_str),
                            None | Some("bilinear" | "nearest")
                        ))
                    || (matches!(class, Some("Quantile" | "ops.Quantile"))
                        && self.quantile_ignores_method()
                        && config
                            .pointer("/config/method")
                            .is_some_and(|m| m != "linear"))
                    || (self.keras3_hard_sigmoid()
                        && ["activation", "recurrent_activation"]
                            .iter()
                            .any(|k| m.get(*k).and_then(Value::as_str) == Some("hard_sigmoid")))
                    || m.values().any(|v| self.matters_for(v))
            }
            Value::Array(items) => items.iter().any(|v| self.matters_for(v)),
            _ => false,
        }
    }

    /// The Keras version string of this dialect (`None` for TensorFlow.js).
    pub fn keras_version(self) -> Option<String> {
        match self {
            Dialect::Tfjs => None,
            Dialect::Keras {
                major,
                minor,
                patch,
            } => Some(format!("{major}.{minor}.{patch}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_written_by_tfjs_and_the_converter() {
        assert_eq!(
            Dialect::from_keras_version(Some("tfjs-layers 4.22.0")),
            Dialect::Tfjs
        );
        assert_eq!(Dialect::from_keras_version(None), Dialect::Tfjs);
        assert_eq!(Dialect::from_keras_version(Some("")), Dialect::Tfjs);
        let k3 = Dialect::from_keras_version(Some("3.15.1"));
        assert!(k3.keras3_hard_sigmoid() && k3.half_pixel_upsampling());
        assert_eq!(k3.keras_version().as_deref(), Some("3.15.1"));
        let k2 = Dialect::of_topology(&json!({"keras_version": "2.21.0"}));
        assert!(!k2.keras3_hard_sigmoid() && k2.half_pixel_upsampling());
        let tf_keras_2_3 = Dialect::from_keras_version(Some("2.3.0-tf"));
        assert_eq!(
            tf_keras_2_3,
            Dialect::Keras {
                major: 2,
                minor: 3,
                patch: 0
            }
        );
        assert!(!tf_keras_2_3.differs_from_tfjs());
        assert!(!Dialect::from_keras_version(Some("2.2.4")).differs_from_tfjs());
        let wrapped = json!({"model_config": {"keras_version": "3.0.0"}});
        assert!(Dialect::of_topology(&wrapped).keras3_hard_sigmoid());
        let config = |act: &str| {
            json!({"layers": [{"class_name": "Dense", "config": {"activation": act}},
                              {"class_name": "UpSampling2D",
                               "config": {"interpolation": "nearest"}}]})
        };
        assert!(k3.matters_for(&config("hard_sigmoid")));
        assert!(!k3.matters_for(&config("relu")));
        assert!(!k2.matters_for(&config("hard_sigmoid")));
        let bilinear = json!({"layers": [{"class_name": "UpSampling2D",
                                          "config": {"interpolation": "bilinear"}}]});
        assert!(k2.matters_for(&bilinear) && k3.matters_for(&bilinear));
        assert!(!Dialect::Tfjs.matters_for(&bilinear));
        let crop = json!({"layers": [{"class_name": "RandomCrop", "config": {"height": 2}}]});
        assert!(k3.matters_for(&crop) && !k2.matters_for(&crop));
        // Keras 3.15's quantile node ignores its method: kept on a re-save
        // where the method is not linear.
        let quantile =
            |m: &str| json!({"layers": [{"class_name": "ops.Quantile", "config": {"method": m}}]});
        assert!(k3.matters_for(&quantile("nearest")) && !k3.matters_for(&quantile("linear")));
        assert!(k3.quantile_ignores_method() && !k2.quantile_ignores_method());
        // tf_keras's RandomWidth(interpolation="bicubic"), which TF.js refuses.
        let width = |i: &str| {
            json!({"layers": [{"class_name": "RandomWidth",
                               "config": {"factor": 0.2, "interpolation": i}}]})
        };
        assert!(k2.matters_for(&width("bicubic")) && !k2.matters_for(&width("nearest")));
        assert!(!Dialect::Tfjs.matters_for(&width("bicubic")));
    }

    /// The cases Keras 3.15 and tf_keras 2.21 were seen to compute alike
    /// and otherwise (a `Masking` on one or both inputs of each merge,
    /// followed by a masked average).
    #[test]
    fn masked_calls_differ_where_keras_3_and_2_do() {
        let k3 = Dialect::from_keras_version(Some(KERAS3_VERSION));
        let k2 = Dialect::from_keras_version(Some(TF_KERAS_VERSION));
        let call = |class: &str, axis: i64, masks: &[Option<u64>]| MaskedCall {
            class_name: class.into(),
            config: json!({"axis": axis}),
            input_rank: 3,
            masks: masks.iter().map(|m| m.map(|id| (id, 2))).collect(),
            ..Default::default()
        };
        let one = [Some(1), None];
        let same = [Some(1), Some(1)];
        let different = [Some(1), Some(2)];
        for class in ["Multiply", "Maximum", "Minimum"] {
            for masks in [&one[..], &same, &different] {
                let c = call(class, -1, masks);
                assert!(
                    k3.masked_call_differs(k2, &c).is_some(),
                    "{class} {masks:?}"
                );
                assert!(k2.masked_call_differs(k3, &c).is_some());
                assert!(k3.masked_call_differs(Dialect::Tfjs, &c).is_some());
                assert!(k3.masked_call_differs(k3, &c).is_none());
                assert!(k2.masked_call_differs(Dialect::Tfjs, &c).is_none());
            }
        }
        for class in ["Add", "Subtract", "Average", "Concatenate"] {
            assert!(k3.masked_call_differs(k2, &call(class, -1, &one)).is_some());
            assert!(k3
                .masked_call_differs(k2, &call(class, -1, &different))
                .is_some());
            assert!(k3
                .masked_call_differs(k2, &call(class, -1, &same))
                .is_none());
            assert!(k3
                .masked_call_differs(k2, &call(class, -1, &[None, None]))
                .is_none());
        }
        // Concatenating along the time axis concatenates the masks in both.
        assert!(k3
            .masked_call_differs(k2, &call("Concatenate", 1, &different))
            .is_none());
        assert!(k3
            .masked_call_differs(k2, &call("Concatenate", 2, &different))
            .is_some());
        for class in ["Rescaling", "Normalization"] {
            let c = call(class, -1, &[Some(1)]);
            assert!(k3.masked_call_differs(k2, &c).is_some());
            assert!(k3.masked_call_differs(Dialect::Tfjs, &c).is_none());
            assert!(k2.masked_call_differs(Dialect::Tfjs, &c).is_some());
            assert!(k3
                .masked_call_differs(k2, &call(class, -1, &[None]))
                .is_none());
        }
        assert!(k3.masked_call_differs(k2, &call("Dot", -1, &one)).is_none());
        // A masked sequence with initial states: Keras 3 runs it unmasked.
        let with_states = [Some(1), None, None];
        for class in ["LSTM", "GRU", "SimpleRNN", "Bidirectional", "ConvLSTM2D"] {
            let c = call(class, -1, &with_states);
            assert!(k3.masked_call_differs(k2, &c).is_some(), "{class}");
            assert!(k3.masked_call_differs(Dialect::Tfjs, &c).is_some());
            assert!(k2.masked_call_differs(Dialect::Tfjs, &c).is_none());
            assert!(k3.masked_call_differs(k3, &c).is_none());
            assert!(k3
                .masked_call_differs(k2, &call(class, -1, &[Some(1)]))
                .is_none());
            let unmasked = call(class, -1, &[None, Some(2), None]);
            assert!(k3.masked_call_differs(k2, &unmasked).is_none());
        }
    }
}

#!/usr/bin/env python3
"""Generate the graph-model corpus: seeded Keras/TF models exported as
SavedModels and converted by the official converter
(`--input_format tf_saved_model --output_format tfjs_graph_model`), with
TensorFlow's outputs (the SavedModel's serving signature) as reference.

    python tools/corpus/gen_graph.py --out fixtures/corpus/graph [--only NAME ...]

io.json follows ../shared/fixtures/real (graph models): per tensor `name` (the
signature key, which is what TF.js `execute` accepts and reports for a model
with a signature), `node` (the graph tensor `nodeName:index` in model.json's
`signature`) and `signatureKey`.
"""
import argparse
import json
import os
import shutil
import tempfile

import corpus_common as C  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as K  # noqa: E402

import gen_keras as G  # noqa: E402  (weight perturbation and calibration)
import models_keras as M  # noqa: E402


def _prepare(model, seed, x_cal, head=None):
    rng = np.random.default_rng(seed)
    G.perturb_weights(model, rng)
    G.calibrate_batchnorm(K, model, x_cal, rng)
    if head:
        G.rescale_head(K, model, x_cal, head)
    return model


def _image_batch(rng, n, size, pixel=False):
    if pixel:
        return rng.integers(0, 256, (n, size, size, 3)).astype(np.float32)
    return (rng.integers(-16, 17, (n, size, size, 3)) / 16.0).astype(np.float32)


class Served(tf.Module):
    """A SavedModel with one `serving_default` signature calling `fn`."""

    def __init__(self, model, fn, spec):
        super().__init__()
        self.model = model
        self.serve = tf.function(fn, input_signature=spec)


def classifier(build, size, pixel, head, desc):
    def make(seed):
        K.backend.clear_session()
        K.utils.set_random_seed(seed)
        model = build(K, "k2")
        rng = np.random.default_rng(seed + 1000)
        _prepare(model, seed, _image_batch(rng, 8, size, pixel), head)
        spec = [tf.TensorSpec([None, size, size, 3], tf.float32, name="image")]
        served = Served(model, lambda image: {"probs": model(image, training=False)}, spec)
        x = {"image": _image_batch(np.random.default_rng(seed + 1), 1, size, pixel)}
        return served, x, desc
    return make


def bert_encoder(seed):
    """BERT-style encoder: word + position + token-type embeddings, LayerNorm,
    2 post-LN transformer layers with a padding attention mask, CLS pooler."""
    K.backend.clear_session()
    K.utils.set_random_seed(seed)
    L = K.layers
    seq, vocab, hidden = 16, 96, 32
    word = L.Embedding(vocab, hidden, name="word_embeddings")
    pos = L.Embedding(seq, hidden, name="position_embeddings")
    typ = L.Embedding(2, hidden, name="token_type_embeddings")
    ln0 = L.LayerNormalization(epsilon=1e-12, name="embeddings_ln")
    blocks = []
    for i in range(2):
        blocks.append(dict(
            mha=L.MultiHeadAttention(4, hidden // 4, name="layer%d_attention" % i),
            ln1=L.LayerNormalization(epsilon=1e-12, name="layer%d_attention_ln" % i),
            # tanh-approximated gelu: exact gelu lowers to Erfc, which the
            # converter rejects (TF.js has no Erfc op).
            ff1=L.Dense(64, activation=lambda t: tf.nn.gelu(t, approximate=True),
                        name="layer%d_intermediate" % i),
            ff2=L.Dense(hidden, name="layer%d_output" % i),
            ln2=L.LayerNormalization(epsilon=1e-12, name="layer%d_output_ln" % i)))
    pooler = L.Dense(hidden, activation="tanh", name="pooler")

    ids = L.Input((seq,), dtype="int32", name="input_ids")
    mask = L.Input((seq,), dtype="int32", name="attention_mask")
    types = L.Input((seq,), dtype="int32", name="token_type_ids")
    positions = L.Lambda(lambda t: tf.range(seq)[None, :] + tf.zeros_like(t), name="positions")(ids)
    x = ln0(L.Add()([word(ids), pos(positions), typ(types)]))
    am = L.Lambda(lambda m: tf.cast(m[:, None, :], tf.bool), name="mask_expand")(mask)
    for b in blocks:
        a = b["mha"](x, x, attention_mask=am)
        x = b["ln1"](L.Add()([x, a]))
        x = b["ln2"](L.Add()([x, b["ff2"](b["ff1"](x))]))
    cls = L.Lambda(lambda t: t[:, 0, :], name="cls")(x)
    model = K.Model([ids, mask, types], [x, pooler(cls)], name="bert_encoder")
    G.perturb_weights(model, np.random.default_rng(seed))

    spec = [tf.TensorSpec([None, seq], tf.int32, name=n)
            for n in ("input_ids", "attention_mask", "token_type_ids")]

    def serve(input_ids, attention_mask, token_type_ids):
        s, p = model([input_ids, attention_mask, token_type_ids], training=False)
        return {"sequence_output": s, "pooled_output": p}
    served = Served(model, serve, spec)
    rng = np.random.default_rng(seed + 1)
    tok = rng.integers(3, vocab, (1, seq)).astype(np.int32)
    tok[0, 0] = 1  # [CLS]
    tok[0, 11] = 2  # [SEP]
    tok[0, 12:] = 0  # padding
    m = (tok != 0).astype(np.int32)
    tt = np.zeros((1, seq), np.int32)
    tt[0, 6:12] = 1
    x = {"input_ids": tok, "attention_mask": m, "token_type_ids": tt}
    return served, x, ("BERT-style encoder (vocab 96, hidden 32, 2 layers, 4 heads, gelu FFN, "
                       "LayerNorm eps 1e-12, tanh-approximated gelu), padding attention mask, tanh CLS pooler")


def ssd_detector(seed):
    """SSD-style detector: small conv backbone with two feature maps, per-anchor
    box deltas and class scores, anchor decoding, then NonMaxSuppressionV5."""
    K.backend.clear_session()
    K.utils.set_random_seed(seed)
    L = K.layers
    size, classes = 64, 3
    x = inp = L.Input((size, size, 3), name="image")
    x = L.Conv2D(8, 3, strides=2, padding="same", name="stem")(x)
    x = L.BatchNormalization(name="stem_bn")(x)
    x = L.ReLU(6.0, name="stem_relu")(x)
    x = L.DepthwiseConv2D(3, strides=2, padding="same", name="dw1")(x)
    x = L.Conv2D(16, 1, activation="relu", name="pw1")(x)
    f1 = L.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="feat1")(x)  # 8x8
    f2 = L.Conv2D(24, 3, strides=2, padding="same", activation="relu", name="feat2")(f1)  # 4x4
    heads = []
    for i, f in enumerate((f1, f2)):
        box = L.Conv2D(2 * 4, 3, padding="same", name="box%d" % i)(f)
        cls = L.Conv2D(2 * (classes + 1), 3, padding="same", name="cls%d" % i)(f)
        heads.append((L.Reshape((-1, 4), name="box%d_flat" % i)(box),
                      L.Reshape((-1, classes + 1), name="cls%d_flat" % i)(cls)))
    boxes = L.Concatenate(axis=1, name="boxes")([h[0] for h in heads])
    logits = L.Concatenate(axis=1, name="logits")([h[1] for h in heads])
    model = K.Model(inp, [boxes, logits], name="ssd_backbone")
    rng = np.random.default_rng(seed + 1000)
    _prepare(model, seed, _image_batch(rng, 8, size))

    anchors = []
    for grid, scales in ((8, (0.2, 0.35)), (4, (0.5, 0.8))):
        for i in range(grid):
            for j in range(grid):
                for s in scales:
                    anchors.append([(i + 0.5) / grid, (j + 0.5) / grid, s, s])
    anchors = tf.constant(np.array(anchors, np.float32))

    def serve(image):
        deltas, logits = model(image, training=False)
        d = deltas[0]
        cy = anchors[:, 0] + d[:, 0] * 0.1 * anchors[:, 2]
        cx = anchors[:, 1] + d[:, 1] * 0.1 * anchors[:, 3]
        h = anchors[:, 2] * tf.exp(d[:, 2] * 0.2)
        w = anchors[:, 3] * tf.exp(d[:, 3] * 0.2)
        decoded = tf.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=-1)
        probs = tf.nn.softmax(logits[0], axis=-1)[:, 1:]
        scores = tf.reduce_max(probs, axis=-1)
        classes_ = tf.argmax(probs, axis=-1, output_type=tf.int32)
        sel, sel_scores = tf.image.non_max_suppression_with_scores(
            decoded, scores, max_output_size=10, iou_threshold=0.5, score_threshold=0.2)
        return {"detection_boxes": tf.gather(decoded, sel),
                "detection_scores": sel_scores,
                "detection_classes": tf.gather(classes_, sel),
                "raw_scores": scores}
    spec = [tf.TensorSpec([1, size, size, 3], tf.float32, name="image")]
    served = Served(model, serve, spec)
    x = {"image": _image_batch(np.random.default_rng(seed + 1), 1, size)}
    return served, x, ("SSD-style detector: conv backbone, two feature maps (8x8, 4x4) x 2 "
                       "anchors, box/class heads, anchor decoding, softmax, "
                       "NonMaxSuppressionV5 (max 10, iou 0.5, score 0.2)")


GRAPH_MODELS = {
    "mobilenet_v2": classifier(
        lambda K_, v: K_.applications.MobileNetV2(alpha=0.35, input_shape=(64, 64, 3),
                                                  weights=None, classes=5),
        64, False, "predictions",
        "tf_keras MobileNetV2(alpha=0.35, input 64x64, classes=5) as a SavedModel"),
    "efficientnet_b0": classifier(
        M._efficientnet(0.25, 1.0, "efficientnetb0"), 32, True, "predictions",
        "EfficientNetB0 structure at width_coefficient 0.25, 32x32, classes=3, as a "
        "SavedModel; input 0..255"),
    "resnet50": classifier(
        M.resnet50, 32, False, "predictions",
        "ResNet50 structure (blocks [3,4,6,3]) at 1/16 width, 32x32, classes=3, as a SavedModel"),
    "bert_encoder": bert_encoder,
    "ssd_detector": ssd_detector,
}
SEEDS = {name: 5000 + i for i, name in enumerate(GRAPH_MODELS)}


def generate(name, out_root, index):
    seed = SEEDS[name]
    served, feed, desc = GRAPH_MODELS[name](seed)
    out_dir = os.path.join(out_root, name)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        saved = os.path.join(tmp, "saved_model")
        tf.saved_model.save(served, saved, signatures={"serving_default": served.serve})
        loaded = tf.saved_model.load(saved)
        fn = loaded.signatures["serving_default"]
        ref = {k: v.numpy() for k, v in fn(**{k: tf.constant(v) for k, v in feed.items()}).items()}
        args = ["--input_format", "tf_saved_model", "--output_format", "tfjs_graph_model",
                "--signature_name", "serving_default", saved, out_dir]
        command = C.run_converter(args).replace(saved, "saved_model/").replace(out_dir, "OUT/")
    with open(os.path.join(out_dir, "model.json")) as f:
        mj = json.load(f)
    sig = mj.get("signature") or mj.get("userDefinedMetadata", {}).get("signature") or {}
    ops = sorted({n["op"] for n in mj["modelTopology"]["node"]})
    for fnc in mj["modelTopology"].get("library", {}).get("function", []):
        ops = sorted(set(ops) | {n["op"] for n in fnc.get("nodeDef", [])})

    def entry(key, arr, kind):
        node = sig.get(kind, {}).get(key, {}).get("name", key + ":0")
        return {"name": key, "node": node, "signatureKey": key, "shape": list(arr.shape),
                "dtype": G.dtype_name(arr), "data": arr}
    inputs = [entry(k, np.asarray(v), "inputs") for k, v in feed.items()]
    outputs = [entry(k, ref[k], "outputs") for k in sorted(ref)]
    dynamic = any(op in ops for op in ("NonMaxSuppressionV5", "NonMaxSuppressionV4",
                                        "NonMaxSuppressionV3", "Where", "Switch", "Merge",
                                        "Enter", "LoopCond"))
    tol = {"atol": 1e-4, "rtol": 1e-3,
           "rule": "abs(actual - expected) <= atol + rtol * abs(expected), elementwise, float32"}
    header = {
        "model": name,
        "format": "graph-model",
        "producedBy": "TensorFlow %s (SavedModel serving_default signature), CPU" % tf.__version__,
        "source": "tools/corpus/gen_graph.py: " + desc,
        "conversion": command,
        "runWith": "executeAsync" if dynamic else "execute",
        "tolerance": tol,
    }
    C.write_io_json(os.path.join(out_dir, "io.json"), header, inputs, outputs)
    index["graph"][name] = {
        "name": name,
        "source": "savedmodel",
        "description": desc,
        "converter_command": command,
        "ops": ops,
        "run_with": header["runWith"],
        "inputs": [{k: t[k] for k in ("name", "node", "shape", "dtype")} for t in inputs],
        "outputs": [{k: t[k] for k in ("name", "node", "shape", "dtype")} for t in outputs],
        "size_bytes": C.dir_size(out_dir),
        "tolerance": {"atol": tol["atol"], "rtol": tol["rtol"]},
    }
    print("%-20s %8d B  %d ops" % (name, index["graph"][name]["size_bytes"], len(ops)),
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(C.REPO, "fixtures/corpus/graph"))
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    out_root = os.path.abspath(args.out)
    names = args.only or list(GRAPH_MODELS)
    C.run_all([(name, lambda index, n=name: generate(n, out_root, index)) for name in names],
              out_root)

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Models for scripts/bench_peers.sh that are too large for the committed
corpus (fixtures/corpus/keras stays under 30 MB): seeded tf_keras models
converted by the official tensorflowjs 4.22 converter, as a data scientist
would hand them over.

    python tools/bench/gen_bench_models.py OUT_DIR [NAME ...]

Run with a Python that has the pinned set of ../shared/tools/keras-env
(bench_peers.sh uses the perf-ref venv, which installs it). Writes
OUT_DIR/NAME/model.json + shards; a model already there is kept.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "tools", "keras-env"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tfjs_import  # noqa: E402,F401  (placeholders, then `import tensorflowjs`)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
import tensorflowjs  # noqa: E402


def bilstm_text():
    """A text classifier: token ids -> Embedding -> two bidirectional LSTMs
    (the first returning sequences) -> softmax over 4 classes."""
    ids = keras.Input((50,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(2000, 64, name="embedding")(ids)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True), name="bilstm_1")(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64), name="bilstm_2")(x)
    out = keras.layers.Dense(4, activation="softmax", name="classes")(x)
    return keras.Model(ids, out, name="bilstm_text")


def gru_text():
    """The same with GRUs (`reset_after`, Keras's default) and a 1-D
    convolution in front, as in many sentiment models."""
    ids = keras.Input((50,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(2000, 64, name="embedding")(ids)
    x = keras.layers.Conv1D(64, 3, padding="same", activation="relu", name="conv")(x)
    x = keras.layers.Bidirectional(keras.layers.GRU(64, return_sequences=True), name="bigru")(x)
    x = keras.layers.GRU(64, name="gru")(x)
    out = keras.layers.Dense(4, activation="softmax", name="classes")(x)
    return keras.Model(ids, out, name="gru_text")


MODELS = {"bilstm_text": bilstm_text, "gru_text": gru_text}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_root = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    for name in names:
        if name not in MODELS:
            sys.exit(f"unknown model {name!r}; known: {', '.join(MODELS)}")
        out = os.path.join(out_root, name)
        if os.path.exists(os.path.join(out, "model.json")):
            continue
        tf.random.set_seed(7)
        keras.utils.set_random_seed(7)
        model = MODELS[name]()
        # Biases away from the initializers' zeros, so every gate matters.
        rng = np.random.default_rng(7)
        model.set_weights(
            [w + rng.normal(0, 0.1, w.shape).astype(w.dtype) if w.ndim == 1 else w
             for w in model.get_weights()])
        tensorflowjs.converters.save_keras_model(model, out)
        print(f"{name}: {out}")


if __name__ == "__main__":
    main()

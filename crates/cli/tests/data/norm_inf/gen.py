"""Norms with `ord=inf` / `-inf`, which Keras writes into its config as the
bare tokens `Infinity` / `-Infinity` that Python's `json` reads but JSON
does not allow: a Keras 3.15 `.keras` (`ops.norm` vector inf / -inf and
matrix inf / -inf, as max-norm clipping and L-inf distances use them) and a
tf_keras `.h5` (`tf.norm(ord=np.inf)` over the last axis and over two axes,
a TFOpLambda). Writes model.keras, io.json, model.h5 and io_h5.json here.

    ~/.cache/tfjs-kenv/bin/python crates/cli/tests/data/norm_inf/gen.py
"""
import json
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
x = np.random.default_rng(23).normal(size=(2, 4, 5, 3)).astype(np.float32)


def write_io(name, model, desc, version):
    ys = model.predict(x, verbose=0)
    ys = ys if isinstance(ys, list) else [ys]
    io = {
        "description": desc,
        "produced_by": {"keras": version},
        "tolerance": {"atol": 1e-5, "rtol": 1e-4},
        "inputs": [{"name": "x", "shape": list(x.shape), "dtype": "float32",
                    "data": x.reshape(-1).tolist()}],
        "outputs": [{"name": "out%d" % i, "shape": list(y.shape), "dtype": "float32",
                     "data": np.asarray(y).reshape(-1).tolist()} for i, y in enumerate(ys)],
    }
    with open(os.path.join(here, name), "w") as f:
        json.dump(io, f, indent=1)


keras.utils.set_random_seed(23)
L, O = keras.layers, keras.ops
inp = keras.Input((4, 5, 3), name="x")
h = L.Dense(3, name="proj")(inp)
outs = [O.norm(h, ord=np.inf, axis=-1), O.norm(h, ord=-np.inf, axis=-1, keepdims=True),
        O.norm(h, ord=np.inf, axis=(1, 2)), O.norm(h, ord=-np.inf, axis=(2, 1), keepdims=True),
        O.norm(h, ord=np.inf, axis=(-1, 1))]
# Max-norm clipping of each position's vector.
outs.append(h / O.maximum(O.norm(h, ord=np.inf, axis=-1, keepdims=True), 1.0))
m = keras.Model(inp, outs, name="norm_inf")
m.save(os.path.join(here, "model.keras"))
write_io("io.json", m, "ops.norm ord=inf / -inf over one and two axes (Infinity in config.json)",
         keras.__version__)

tf_keras.utils.set_random_seed(23)
L = tf_keras.layers
inp = L.Input((4, 5, 3), name="x")
h = L.Dense(3, name="proj")(inp)
outs = [tf.norm(h, ord=np.inf, axis=-1), tf.norm(h, ord=np.inf, axis=[1, 2], keepdims=True)]
m = tf_keras.Model(inp, outs, name="tf_norm_inf")
m.save(os.path.join(here, "model.h5"))
write_io("io_h5.json", m, "tf.norm ord=inf over one and two axes (Infinity in model_config)",
         tf_keras.__version__)

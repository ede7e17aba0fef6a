"""A Keras 3.15 model whose lookup layers were adapted, so their vocabularies
live in the `.keras` archive's assets (`vocabulary: null` in the config):
two StringLookups (one with a mask token and 2 OOV buckets), an
IntegerLookup and a TextVectorization (raw sentences in). Writes
model.keras and io.json (Keras's outputs) here.

    /root/kenv/bin/python crates/cli/tests/data/adapted_lookups/gen.py
"""
import json
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras  # noqa: E402
import numpy as np  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
keras.utils.set_random_seed(7)
L = keras.layers
words = keras.Input(shape=(4,), dtype="string", name="words")
ids = keras.Input(shape=(3,), dtype="int64", name="ids")
a = L.StringLookup(name="words_a")
a.adapt(np.array(["red", "green", "green", "blue", "blue", "blue"]))
b = L.StringLookup(name="words_b", mask_token="", num_oov_indices=2, output_mode="count")
b.adapt(np.array(["x", "y", "y", "z z", "z z", "z z", "w"]))
c = L.IntegerLookup(name="codes")
c.adapt(np.array([5, 5, 9, 12, 12, 12]))
text = keras.Input(shape=(1,), dtype="string", name="text")
tv = L.TextVectorization(max_tokens=12, output_sequence_length=5, name="sentences")
tv.adapt(np.array(["The cat sat on the mat.", "A dog ran!", "the dog and the cat", "mat sat ran"]))
ea = L.Embedding(a.vocabulary_size(), 3, name="emb")(a(words))
et = L.GlobalAveragePooling1D(name="pool_text")(L.Embedding(12, 3, name="emb_text")(tv(text)))
pooled = L.GlobalAveragePooling1D(name="pool")(ea)
counts = b(words)
codes = L.CategoryEncoding(num_tokens=c.vocabulary_size(), output_mode="count", name="enc")(c(ids))
out = L.Dense(2, name="out")(L.Concatenate(name="cat")([pooled, counts, codes, et]))
model = keras.Model([words, ids, text], out, name="adapted_lookups")
model.save(os.path.join(here, "model.keras"))
xw = np.array([["red", "blue", "", "purple"], ["z z", "y", "green", "x"]])
xi = np.array([[5, 12, 7], [9, 9, 100]], dtype="int64")
xt = np.array([["the cat ran"], ["Zebra, MAT!"]])
import tensorflow as tf  # noqa: E402
y = np.asarray(model([tf.constant(xw), tf.constant(xi), tf.constant(xt)]))
io = {
    "description": "adapted StringLookup x2 (mask, 2 OOV, count), IntegerLookup and TextVectorization; vocabularies in .keras assets",
    "produced_by": {"keras": keras.__version__},
    "tolerance": {"atol": 1e-5, "rtol": 1e-4},
    "inputs": [
        {"name": "words", "shape": list(xw.shape), "dtype": "string", "data": xw.reshape(-1).tolist()},
        {"name": "ids", "shape": list(xi.shape), "dtype": "int32", "data": xi.reshape(-1).tolist()},
        {"name": "text", "shape": list(xt.shape), "dtype": "string", "data": xt.reshape(-1).tolist()},
    ],
    "outputs": [{"name": "out", "shape": list(y.shape), "dtype": "float32", "data": y.reshape(-1).tolist()}],
}
with open(os.path.join(here, "io.json"), "w") as f:
    json.dump(io, f, indent=1)

"""A Keras 3.15 model whose TF-IDF lookups were adapted, so their
vocabularies live in the `.keras` archive's assets and their idf weights in
its variables (`vocabulary: null`, `idf_weights: null` in the config): a
TextVectorization with bigrams (raw sentences in; Keras saves its idf
weights twice, as its own variable and its inner StringLookup's), a
StringLookup and an IntegerLookup padded to max_tokens. Writes model.keras
and io.json (Keras's outputs) here.

    ~/.cache/tfjs-kenv/bin/python crates/cli/tests/data/adapted_tfidf/gen.py
"""
import json
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
keras.utils.set_random_seed(11)
L = keras.layers
docs = ["the cat sat on the mat", "the dog sat", "a cat and a dog", "dog eat dog", "the mat"]
text = keras.Input(shape=(1,), dtype="string", name="text")
words = keras.Input(shape=(3,), dtype="string", name="words")
ids = keras.Input(shape=(4,), dtype="int64", name="ids")
tv = L.TextVectorization(ngrams=2, output_mode="tf_idf", max_tokens=12, name="sentences")
tv.adapt(np.array(docs))
sl = L.StringLookup(output_mode="tf_idf", name="word_idf")
sl.adapt(np.array([["red", "green", "red"], ["blue", "red", "x"], ["green", "green", "blue"]]))
il = L.IntegerLookup(output_mode="tf_idf", max_tokens=8, pad_to_max_tokens=True, name="code_idf")
il.adapt(np.array([[5, 5, 9, 12], [12, 3, 3, 3], [9, 9, 5, 7]]))
# (Keras 3 infers [batch, 1, 12] for the bag of a [batch, 1] input; it is
# [batch, 12].)
t = L.Reshape((12,), name="flat")(tv(text))
h = L.Concatenate(name="cat")([t, sl(words), il(ids)])
out = L.Dense(2, name="out")(h)
model = keras.Model([text, words, ids], [out, t], name="adapted_tfidf")
model.save(os.path.join(here, "model.keras"))
xt = np.array([["the cat sat"], ["Zebra, MAT!"], ["dog dog dog eat"]])
xw = np.array([["red", "red", "purple"], ["x", "green", ""], ["blue", "blue", "blue"]])
xi = np.array([[5, 12, 100, 5], [3, 3, 9, 7], [0, 12, 12, 12]], dtype="int64")
ys = [np.asarray(y) for y in model([tf.constant(xt), tf.constant(xw), tf.constant(xi)])]
io = {
    "description": "adapted TF-IDF TextVectorization (bigrams), StringLookup and IntegerLookup "
                   "(pad_to_max_tokens); vocabularies in .keras assets, idf weights in its variables",
    "produced_by": {"keras": keras.__version__},
    "tolerance": {"atol": 1e-5, "rtol": 1e-4},
    "inputs": [
        {"name": "text", "shape": list(xt.shape), "dtype": "string", "data": xt.reshape(-1).tolist()},
        {"name": "words", "shape": list(xw.shape), "dtype": "string", "data": xw.reshape(-1).tolist()},
        {"name": "ids", "shape": list(xi.shape), "dtype": "int32", "data": xi.reshape(-1).tolist()},
    ],
    "outputs": [{"name": n, "shape": list(y.shape), "dtype": "float32", "data": y.reshape(-1).tolist()}
                for n, y in zip(["out", "flat"], ys)],
}
with open(os.path.join(here, "io.json"), "w") as f:
    json.dump(io, f, indent=1)

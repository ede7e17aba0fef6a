"""Regenerate crates/keras/tests/data with real Keras, h5py and the official
converter (tensorflowjs 4.22.0) from the venv described in
../shared/tools/keras-env/README.md:

    /root/kenv/bin/python crates/keras/scripts/make_test_data.py

Every file here is written by those tools; the Rust tests compare against them.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data")
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "shared", "tools", "keras-env"))
import tfjs_import  # noqa: E402,F401  (placeholder modules, then tensorflowjs)
import h5py  # noqa: E402
import ml_dtypes  # noqa: E402

sys.path.insert(0, HERE)
from h5_listing import listing  # noqa: E402


def path(*p):
    return os.path.join(OUT, *p)


def convert(src, dst, *flags, fmt="keras", extra=()):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    cmd = [sys.executable, "-c",
           "import sys; sys.path.insert(0, %r); import tfjs_import; "
           "from tensorflowjs.converters.converter import pip_main; pip_main()"
           % os.path.join(HERE, "..", "..", "..", "..", "shared", "tools", "keras-env"),
           "--input_format", fmt, *extra, src, dst, *flags]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def write_listing(h5):
    with h5py.File(h5, "r") as f:
        open(h5 + ".listing.txt", "w").write("\n".join(listing(f)))


def h5_variants():
    """HDF5 layouts Keras files can have, written by h5py directly."""
    rng = np.random.default_rng(7)
    a = rng.standard_normal((5, 7, 3)).astype("float32")
    with h5py.File(path("variants_v0.h5"), "w") as f:  # superblock v0, OH v1, symbol tables
        g = f.create_group("model_weights/dense/dense")
        g.create_dataset("kernel:0", data=a)  # contiguous
        g.create_dataset("chunked", data=a, chunks=(2, 3, 2))  # edge chunks
        g.create_dataset("gzip", data=a, chunks=(3, 7, 3), compression="gzip", shuffle=True)
        g.create_dataset("fletcher", data=a[0], chunks=(2, 2), fletcher32=True)
        g.create_dataset("f64", data=a.astype("float64"))
        g.create_dataset("f16", data=a.astype("float16"))
        g.create_dataset("i64", data=np.arange(-3, 9, dtype="int64").reshape(3, 4))
        g.create_dataset("u8", data=np.arange(250, 256, dtype="uint8"))
        g.create_dataset("big_endian", data=a[1].astype(">f4"))
        g.create_dataset("scalar", data=np.float32(2.5))
        g.create_dataset("empty", data=np.zeros((0, 4), "float32"))
        bf = g.create_dataset("bf16", data=a[2].astype(ml_dtypes.bfloat16))
        bf.attrs["dtype"] = "bfloat16"
        sid = h5py.h5s.create_simple((4,))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        h5py.h5d.create(g.id, b"compact", h5py.h5t.IEEE_F32LE, sid, dcpl=dcpl).write(
            h5py.h5s.ALL, h5py.h5s.ALL, np.array([1, 2, 3, 4], "float32"))
        # Keras 2 writes name lists as fixed-length byte strings and splits
        # those over 64 KiB into name0, name1, ...
        f["model_weights"].attrs["layer_names0"] = np.array([b"dense", b"x" * 40])
        f["model_weights"].attrs["layer_names1"] = np.array([b"yy"])
        f.attrs["vlen_list"] = ["a", "bé", ""]
        f.attrs["fixed"] = np.bytes_(b"fixed string")
        f.attrs["numbers"] = np.array([1.5, -2], "float64")
        f.attrs["empty"] = np.array([], "float64")
    with h5py.File(path("variants_latest.h5"), "w", libver="latest") as f:  # superblock v3, OH v2, links
        g = f.create_group("layers/dense/vars")
        g.attrs["name"] = "probs"
        g.create_dataset("0", data=a[0])
        g.create_dataset("1", data=np.arange(3, dtype="float32"))
        g.create_dataset("10", data=np.float32(1))
        f.attrs["s"] = "latest"
    for n in ("variants_v0.h5", "variants_latest.h5"):
        write_listing(path(n))


def keras2_models():
    import tf_keras as k2
    k2.utils.set_random_seed(3)
    inp = k2.Input((6,), name="features")
    x = k2.layers.Dense(8, name="hidden")(inp)
    x = k2.layers.BatchNormalization(name="bn")(x)
    x = k2.layers.Activation("relu", name="act")(x)
    out = k2.layers.Dense(3, activation="softmax", name="probs")(x)
    m = k2.Model(inp, out, name="tiny")
    m.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    m.save(path("k2_tiny.h5"))
    convert(path("k2_tiny.h5"), path("k2_tiny"))
    convert(path("k2_tiny.h5"), path("k2_tiny_u16_sharded"), "--quantize_uint16",
            extra=["--weight_shard_size_bytes", "100"])
    m.save_weights(path("k2_tiny_weights.h5"))
    # Weights-only: what the converter's h5_weights_to_tfjs_format + write_weights give.
    from tensorflowjs.converters import keras_h5_conversion as conv
    from tensorflowjs import write_weights
    d = path("k2_tiny_weights_only")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    # tf_keras 2.21's save_weights writes no keras_version; the converter's
    # version check then raises KeyError (it only catches ValueError), so skip it.
    conv._check_version = lambda _f: None
    groups = conv.h5_weights_to_tfjs_format(path("k2_tiny_weights.h5"))
    manifest = write_weights.write_weights(groups, d, write_manifest=False)
    json.dump(manifest, open(os.path.join(d, "manifest.json"), "w"))
    # MobileNetV3 names layers "Conv/BatchNorm": their weights nest under "Conv".
    inp = k2.Input((5, 5, 2), name="img")
    x = k2.layers.Conv2D(4, 3, name="Conv")(inp)
    x = k2.layers.BatchNormalization(name="Conv/BatchNorm")(x)
    x = k2.layers.GlobalAveragePooling2D(name="pool")(x)
    out = k2.layers.Dense(2, activation="softmax", name="Logits")(x)
    k2.Model(inp, out, name="nested").save(path("k2_nested.h5"))
    convert(path("k2_nested.h5"), path("k2_nested"))


def keras2_rnn_wrappers():
    """Recurrent layers the export has to re-nest for Keras (generic RNN
    with a cell, TimeDistributed, Bidirectional of an RNN), with Keras's
    own outputs in the fixtures' io.json layout: check_export.py input."""
    import tf_keras as k2
    k2.utils.set_random_seed(3)
    L = k2.layers
    inp = k2.Input((5, 4), name="seq")
    x = L.RNN(L.SimpleRNNCell(3, use_bias=False), return_sequences=True, name="rnn_simple")(inp)
    x = L.TimeDistributed(L.Dense(3), name="td_dense")(x)
    x = L.Bidirectional(L.RNN(L.LSTMCell(2), return_sequences=True), name="bi_rnn")(x)
    x = L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode="ave", name="bi_gru")(x)
    x = L.TimeDistributed(L.Dense(2), name="td_dense_2")(x)
    out = L.RNN(L.GRUCell(2, reset_after=False), name="rnn_gru")(x)
    m = k2.Model(inp, out, name="rnn_wrappers")
    d = path("k2_rnn_wrappers")
    os.makedirs(d, exist_ok=True)
    m.save(os.path.join(d, "model.h5"))
    xs = (np.round(np.random.default_rng(0).uniform(-1, 1, (2, 5, 4)) * 16) / 16).astype("float32")
    y = m.predict(xs, batch_size=2, verbose=0)
    io = {"inputs": [{"name": "seq", "shape": list(xs.shape), "dtype": "float32",
                      "data": xs.ravel().tolist()}],
          "outputs": [{"name": "rnn_gru", "shape": list(y.shape), "dtype": "float32",
                       "data": y.ravel().tolist()}],
          "tolerance": {"atol": 1e-4, "rtol": 1e-3}}
    json.dump(io, open(os.path.join(d, "io.json"), "w"))


def keras3_models():
    import keras
    keras.utils.set_random_seed(5)
    inp = keras.Input((4,), name="x")
    h = keras.layers.Dense(6, name="hidden")(inp)
    h = keras.layers.Dense(6, name="half", dtype="bfloat16")(h)
    out = keras.layers.Dense(2, activation="softmax", name="probs")(h)
    m = keras.Model(inp, out, name="k3_bf16")
    m.save(path("k3_bf16.keras"))
    values = {f"{v.path}": np.asarray(keras.ops.cast(v.value, "float32")).tolist() for v in m.weights}
    json.dump(values, open(path("k3_bf16.values.json"), "w"))
    # Sharded weights inside a .keras archive.
    keras.utils.set_random_seed(6)
    inp = keras.Input((4,), name="x")
    h = keras.layers.Dense(64, name="a")(inp)
    out = keras.layers.Dense(3, name="b")(h)
    m = keras.Model(inp, out, name="k3_sharded")
    m.save(path("k3_plain.keras"))
    tmp = path("tmp_shards")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    m.save_weights(os.path.join(tmp, "model.weights.json"), max_shard_size=0.0000012)
    with zipfile.ZipFile(path("k3_plain.keras")) as src, zipfile.ZipFile(path("k3_sharded.keras"), "w") as dst:
        for n in ("metadata.json", "config.json"):
            dst.writestr(n, src.read(n))
        for n in sorted(os.listdir(tmp)):
            dst.write(os.path.join(tmp, n), n)
    shutil.rmtree(tmp)
    convert(path("k3_plain.keras"), path("k3_plain"), fmt="keras_keras",
            extra=["--output_format", "tfjs_layers_model"])
    os.remove(os.path.join(path("k3_plain.keras")[:-len("k3_plain.keras")], "config.json"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    # Optional arguments: only these steps (e.g. keras2_rnn_wrappers).
    for step in sys.argv[1:] or ["h5_variants", "keras2_models", "keras2_rnn_wrappers",
                                 "keras3_models"]:
        globals()[step]()
    # The converter extracts .keras archives next to them; tidy up.
    for n in ("config.json", "metadata.json", "model.weights.h5"):
        if os.path.exists(path(n)):
            os.remove(path(n))

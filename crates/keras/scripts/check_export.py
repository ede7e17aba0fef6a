"""Real-Keras check of `tfjs convert MODEL OUT.h5 | OUT.keras`: load the
exported files with tf_keras 2.21 (`tf_keras.models.load_model`, .h5) and
Keras 3.15 (`keras.saving.load_model`, .keras), predict on the fixture's
io.json inputs and compare with Keras's own reference outputs.

usage: python check_export.py IO_JSON FILE.h5|FILE.keras ...
       python check_export.py --batch LIST   (LIST: lines `IO_JSON FILE`)
Prints one line per file; exits 1 if any file fails to load or differs.
"""
import json
import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402


def _array(data, dtype, shape):
    """io.json's `data` as numpy; `string` inputs (lookup layers) as tf strings."""
    if dtype != "string":
        return np.array(data, dtype=dtype).reshape(shape)
    import tensorflow as tf
    return tf.constant(np.array(data, dtype=object).reshape(shape))


def check(io_path, path):
    """Load `path`, predict on io.json's inputs; True when within tolerance."""
    # tf_keras loops forever on a node that names a missing node index.
    signal.alarm(int(os.environ.get("CHECK_EXPORT_TIMEOUT", "180")))
    try:
        io = json.load(open(io_path))
        xs = [_array(i["data"], i["dtype"], i["shape"]) for i in io["inputs"]]
        want = [np.array(o["data"], dtype="float32").reshape(o["shape"]) for o in io["outputs"]]
        tol = io.get("tolerance", {"atol": 1e-4, "rtol": 1e-3})
        if path.endswith(".h5"):
            import tf_keras
            # tf_keras's experimental layers are not registered for loading:
            # Keras itself reloads its own .h5 of them only when named.
            experimental = {"RandomFourierFeatures": tf_keras.layers.experimental.RandomFourierFeatures}
            model = tf_keras.models.load_model(path, compile=False, custom_objects=experimental)
        else:
            import keras
            model = keras.saving.load_model(path, compile=False)
        got = model.predict(xs if len(xs) > 1 else xs[0], batch_size=2, verbose=0)
        got = got if isinstance(got, list) else [got]
        err = max(float(np.max(np.abs(g - w))) for g, w in zip(got, want))
        good = all(np.allclose(g, w, atol=tol["atol"], rtol=tol["rtol"]) for g, w in zip(got, want))
        print(f"{path}: {'ok' if good else 'DIFFERS'} max abs error {err:.3g}", flush=True)
        return good
    except Exception as e:  # noqa: BLE001
        msg = " ".join(str(e).split())[:400]
        print(f"{path}: FAILED {type(e).__name__}: {msg}", flush=True)
        return False
    finally:
        signal.alarm(0)


def _timeout(signum, frame):
    raise TimeoutError("loading or predicting took too long (a loop in the loader?)")


def main():
    signal.signal(signal.SIGALRM, _timeout)
    if sys.argv[1] == "--batch":
        pairs = [line.split() for line in open(sys.argv[2]) if line.strip()]
    else:
        pairs = [(sys.argv[1], p) for p in sys.argv[2:]]
    ok = True
    for io_path, path in pairs:
        ok &= check(io_path, path)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

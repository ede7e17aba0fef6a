"""Real-Keras check of `tfjs convert MODEL OUT.h5 | OUT.keras`: load the
exported files with tf_keras 2.21 (`tf_keras.models.load_model`, .h5) and
Keras 3.15 (`keras.saving.load_model`, .keras), predict on the fixture's
io.json inputs and compare with Keras's own reference outputs.

usage: python check_export.py IO_JSON FILE.h5|FILE.keras ...
Prints one line per file; exits 1 if any file fails to load or differs.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402


def main():
    io = json.load(open(sys.argv[1]))
    xs = [np.array(i["data"], dtype=i["dtype"]).reshape(i["shape"]) for i in io["inputs"]]
    want = [np.array(o["data"], dtype="float32").reshape(o["shape"]) for o in io["outputs"]]
    tol = io.get("tolerance", {"atol": 1e-4, "rtol": 1e-3})
    ok = True
    for path in sys.argv[2:]:
        try:
            if path.endswith(".h5"):
                import tf_keras
                model = tf_keras.models.load_model(path, compile=False)
            else:
                import keras
                model = keras.saving.load_model(path, compile=False)
            got = model.predict(xs if len(xs) > 1 else xs[0], batch_size=2, verbose=0)
            got = got if isinstance(got, list) else [got]
            err = max(float(np.max(np.abs(g - w))) for g, w in zip(got, want))
            good = all(np.allclose(g, w, atol=tol["atol"], rtol=tol["rtol"]) for g, w in zip(got, want))
            print(f"{path}: {'ok' if good else 'DIFFERS'} max abs error {err:.3g}")
            ok &= good
        except Exception as e:  # noqa: BLE001
            print(f"{path}: FAILED {type(e).__name__}: {str(e)[:400]}")
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""Shared plumbing of the corpus generators (gen_keras.py, gen_graph.py).

Imports the official converter through ../shared/tools/keras-env/tfjs_import.py,
runs it in-process with the same argument list its console script takes, and
writes io.json files in the layout of ../shared/fixtures/keras (layers models)
and ../shared/fixtures/real (graph models).
"""
import hashlib
import json
import os
import shutil
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KERAS_ENV = os.path.abspath(os.path.join(REPO, "..", "shared", "tools", "keras-env"))
sys.path.insert(0, KERAS_ENV)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # reproducible float sums
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import tfjs_import  # noqa: E402,F401  (placeholders, then `import tensorflowjs`)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflowjs.converters import converter  # noqa: E402

tf.get_logger().setLevel("ERROR")
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

VERSIONS = {"tensorflow": tf.__version__, "tensorflowjs_converter": "4.22.0"}
LAYOUT = "data is row-major (C order), flattened; batch is dim 0"


def run_converter(args):
    """Run `tensorflowjs_converter ARGS` in this process; returns the command line."""
    converter.convert(list(args))
    return "tensorflowjs_converter " + " ".join(args)


def fmt_value(x, dtype):
    """Shortest decimal that reads back to the exact float32 (or the integer)."""
    if dtype in ("int32", "int64", "bool"):
        return str(int(x))
    f = np.float32(x)
    if np.isnan(f):
        return '"NaN"'
    if np.isinf(f):
        return '"Infinity"' if f > 0 else '"-Infinity"'
    s = str(f)
    if s.endswith(".0"):
        s = s[:-2]
    return s


def tensor_json(entry):
    """One io.json tensor entry on one line; `entry['data']` is a numpy array."""
    arr = np.asarray(entry["data"])
    dtype = entry["dtype"]
    head = {k: v for k, v in entry.items() if k != "data"}
    if dtype == "string":
        data = ",".join(json.dumps(v.decode() if isinstance(v, bytes) else str(v))
                        for v in arr.reshape(-1).tolist())
    else:
        data = ",".join(fmt_value(v, dtype) for v in arr.reshape(-1).tolist())
    body = json.dumps(head)[:-1]
    return body + ', "data": [' + data + "]}"


def write_io_json(path, header, inputs, outputs):
    """io.json: header keys one per line, then one line per tensor."""
    lines = ["{"]
    for k, v in header.items():
        lines.append(json.dumps(k) + ": " + json.dumps(v) + ",")
    for key, tensors in (("inputs", inputs), ("outputs", outputs)):
        lines.append(json.dumps(key) + ": [")
        lines.append(",\n".join(tensor_json(t) for t in tensors))
        lines.append("]" + ("," if key == "inputs" else ""))
    lines.append("}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def dir_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fresh_dir(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def load_index(path):
    if os.path.isfile(path):
        with open(path) as f:
            return json.load(f)
    return {"keras": {}, "graph": {}}


def save_index(path, index):
    for key in ("keras", "graph"):
        index[key] = dict(sorted(index.get(key, {}).items()))
    with open(path, "w") as f:
        json.dump(index, f, indent=1, sort_keys=False)
        f.write("\n")


def run_all(jobs, out_root):
    """Run each `(name, fn)` of `jobs` as `fn(index)`, saving
    `out_root/../index.json` after each; report every failure, exit 1 if any."""
    os.makedirs(out_root, exist_ok=True)
    index_path = os.path.join(out_root, "..", "index.json")
    index = load_index(index_path)
    failed = []
    for name, fn in jobs:
        try:
            fn(index)
        except Exception as e:  # noqa: BLE001 - keep going, report at the end
            import traceback
            traceback.print_exc(limit=8)
            failed.append("%s: %s: %s" % (name, type(e).__name__, str(e)[:400]))
        save_index(index_path, index)
    if failed:
        print("FAILED:\n" + "\n".join(failed))
        sys.exit(1)

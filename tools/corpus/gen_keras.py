#!/usr/bin/env python3
"""Generate the Keras corpus: seeded Keras models converted by the official
converter, with Keras's own outputs as reference.

    python tools/corpus/gen_keras.py --out fixtures/corpus/keras [--only NAME ...]
        [--src fixtures/corpus/keras-src] [--list]

Every model is built from a fixed seed with `weights=None`, its weights are
perturbed away from the initializers' trivial values (BatchNormalization
gamma/beta, biases, embeddings, Normalization statistics), its
BatchNormalization moving statistics are calibrated on a seeded batch (one
training-mode pass with momentum 0, then perturbed by a few percent, so that
no BatchNormalization is an identity), and, for classifiers, the classifier
kernel is rescaled so the softmax is far from uniform. The model is then saved
(tf_keras `.h5`; Keras 3 legacy `.h5`; Keras 3 `.keras`) into the source
directory and converted from that file with `tensorflowjs_converter`. The
reference is `model.predict(x, batch_size=2)` on the original model. The
io.json layout is the one of ../shared/fixtures/keras (see README.md there).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import corpus_common as C  # noqa: E402  (sets up TF and the converter)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
import keras  # noqa: E402

import models_keras as M  # noqa: E402

DISCARDED_SRC = None  # --discarded-src
KERAS_VERSION = {"keras2": tf_keras.__version__, "keras3": keras.__version__}
SOURCE_SUFFIX = {"keras2": "", "keras3-h5": "keras3h5_", "keras3-keras": "keras3zip_"}


def fixture_name(base, source):
    return SOURCE_SUFFIX[source] + base


def all_fixtures():
    """(fixture name, spec, source) for every model and source it is built for."""
    out = []
    for spec in M.MODELS:
        for source in spec["sources"]:
            out.append((fixture_name(spec["name"], source), spec, source))
    return out


def walk_layers(layer):
    """`layer` and every layer nested in it (sub-models, wrappers)."""
    yield layer
    for sub in getattr(layer, "layers", []) or []:
        yield from walk_layers(sub)
    for attr in ("layer", "forward_layer", "backward_layer"):
        sub = getattr(layer, attr, None)
        if sub is not None and sub is not layer and hasattr(sub, "weights"):
            yield from walk_layers(sub)


def var_leaf(v):
    name = getattr(v, "path", None) or v.name
    return name.split("/")[-1].split(":")[0]


def perturb_weights(model, rng):
    """Move weights off their trivial initial values (see the module doc)."""
    seen = set()
    for layer in walk_layers(model):
        for v in layer.weights:
            if id(v) in seen:
                continue
            seen.add(id(v))
            leaf = var_leaf(v)
            shape = tuple(v.shape)
            dt = v.dtype if isinstance(v.dtype, str) else v.dtype.name
            if not dt.startswith("float"):
                continue
            if leaf == "gamma":
                val = rng.uniform(0.6, 1.4, shape)
            elif leaf == "beta":
                val = rng.normal(0.0, 0.2, shape)
            elif leaf == "bias":
                val = rng.normal(0.0, 0.05, shape)
            elif leaf == "embeddings":
                val = rng.normal(0.0, 1.0, shape)
            elif leaf == "mean" and "normalization" in layer.__class__.__name__.lower():
                val = rng.normal(0.0, 0.3, shape)
            elif leaf == "variance" and "normalization" in layer.__class__.__name__.lower():
                val = rng.uniform(0.5, 2.0, shape)
            else:
                continue
            v.assign(val.astype(np.float32))


def calibrate_batchnorm(K, model, x_cal, rng):
    """Moving statistics from the layers' actual inputs (one training pass with
    momentum 0 and dropout off), then perturbed by a few percent."""
    bns = [l for l in walk_layers(model) if isinstance(l, K.layers.BatchNormalization)]
    if not bns:
        return 0
    drops = [l for l in walk_layers(model) if isinstance(l, K.layers.Dropout)]
    saved_m = [l.momentum for l in bns]
    saved_r = [l.rate for l in drops]
    for l in bns:
        l.momentum = 0.0
    for l in drops:
        l.rate = 0.0
    model(x_cal, training=True)
    for l, m in zip(bns, saved_m):
        l.momentum = m
    for l, r in zip(drops, saved_r):
        l.rate = r
    for l in bns:
        mean = np.array(l.moving_mean.numpy())
        var = np.array(l.moving_variance.numpy())
        mean = mean + rng.normal(0.0, 0.05, mean.shape) * np.sqrt(var + 1e-3)
        var = var * rng.uniform(0.9, 1.1, var.shape)
        l.moving_mean.assign(mean.astype(np.float32))
        l.moving_variance.assign(var.astype(np.float32))
    return len(bns)


def calibrate_frozen(K, model, x_cal):
    """Specs with `calibrate_frozen`: transfer-learning models whose base is
    frozen (trainable=False: its BatchNormalization layers run in inference
    mode even in a training pass) and often called with training=False
    (which a training pass of the outer model does not override). Each
    top-level nested model holding BatchNormalization layers is run alone in
    training mode, its BatchNormalization layers made trainable for that
    pass, on its actual input in the model (its first call reachable from
    the model's inputs), so that its moving statistics are its inputs' as a
    pretrained base's are. Returns the BatchNormalization layers and their
    trainable flags: made trainable for calibrate_batchnorm's pass (which
    calibrates the inline ones), restored by restore_trainable."""
    bn_cls = K.layers.BatchNormalization
    saved = [(l, l.trainable) for l in walk_layers(model) if isinstance(l, bn_cls)]
    for m in model.layers:
        bns = [l for l in walk_layers(m) if isinstance(l, bn_cls)] if hasattr(m, "layers") else []
        if not bns:
            continue
        feed = None
        for node in m._inbound_nodes:
            t = getattr(node, "input_tensors", None)
            t = list(t) if isinstance(t, (list, tuple)) else [t]
            try:
                feed = K.Model(model.inputs, t[0] if len(t) == 1 else t)(x_cal, training=False)
                break
            except Exception:  # the nested model's own node, or a call on other inputs
                continue
        if feed is None:
            continue
        momenta = [l.momentum for l in bns]
        for l in bns:
            l.trainable = True
            l.momentum = 0.0
        m(feed, training=True)
        for l, mo in zip(bns, momenta):
            l.momentum = mo
    for l, _ in saved:
        l.trainable = True
    return saved


def restore_trainable(saved):
    for l, flag in saved:
        l.trainable = flag


def rescale_head(K, model, x_cal, layer_name):
    """Scale the classifier (a Dense or 1x1 conv feeding the softmax) so the
    logits' spread per row is about 2: outputs clearly depend on the input."""
    by_name = {l.name.lower(): l for l in model.layers}
    layer = by_name.get(layer_name.lower())
    if layer is None:  # Keras 3 spells some names differently: last kernel layer
        layer = [l for l in model.layers if hasattr(l, "kernel") and hasattr(l, "bias")][-1]
    feats = K.Model(model.inputs, layer.input)(x_cal, training=False)
    h = np.asarray(feats, dtype=np.float64)
    w = layer.kernel.numpy().astype(np.float64)
    b = layer.bias.numpy().astype(np.float64)
    w2 = w.reshape(-1, w.shape[-1])
    h2 = h.reshape(-1, w2.shape[0])
    z = h2 @ w2 + b
    spread = float(np.mean(np.std(z, axis=-1)))
    scale = float(np.clip(2.0 / max(spread, 1e-6), 0.1, 100.0))
    layer.kernel.assign((w * scale).astype(np.float32))
    layer.bias.assign((b * scale).astype(np.float32))
    return scale


def topology_io_names(model_json, fallback_in, fallback_out):
    """Input/output layer names as model.json lists them."""
    cfg = model_json["modelTopology"]["model_config"]
    c = cfg.get("config", {})

    def triples(v):
        if isinstance(v, dict):  # Keras 3 dict inputs / outputs: {key: triple}
            return [t for x in v.values() for t in triples(x)]
        if v and isinstance(v[0], str):  # one triple
            return [v]
        # A list of triples, nested as the outputs are (an RNN's stacked
        # cells return each cell's states as a list): flattened as Keras
        # flattens them.
        return [t for x in v for t in triples(x)]

    def names(key):
        v = c.get(key)
        if not v:
            return None
        return [t[0] for t in triples(v)]

    # A Sequential model lists no inputs: its first layer is the InputLayer
    # (Keras 3, or a model built with an Input), else the engine names the
    # input after the first layer (`<name>_input`, the fallback).
    first = (c.get("layers") or [{}])[0] if isinstance(c.get("layers"), list) else {}
    # (A Sequential subclass has its own class name and no input_layers.)
    sequential = cfg.get("class_name") == "Sequential" or "input_layers" not in c
    if sequential and first.get("class_name") == "InputLayer":
        fallback_in = [first["config"]["name"]]
    ins = names("input_layers") or fallback_in
    outs = names("output_layers") or fallback_out
    return ins, outs


def collect_classes(model_json):
    """Layer classes (nested ones included: sub-models, wrapped layers, RNN
    cells) and the TFOpLambda / SlicingOpLambda functions used."""
    classes, functions = set(), set()

    def visit_layer(layer):
        if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str):
            return
        cn = layer["class_name"]
        cfg = layer.get("config") or {}
        classes.add(cn)
        if cn in ("TFOpLambda", "SlicingOpLambda") and "function" in cfg:
            functions.add(cfg["function"])
        for sub in cfg.get("layers", []) or []:
            visit_layer(sub)
        for key in ("layer", "forward_layer", "backward_layer", "cell"):
            sub = cfg.get(key)
            if isinstance(sub, list):
                for s in sub:
                    visit_layer(s)
            else:
                visit_layer(sub)
        if isinstance(cfg.get("cells"), list):
            for s in cfg["cells"]:
                visit_layer(s)

    visit_layer(model_json["modelTopology"]["model_config"])
    return sorted(classes), sorted(functions)


def make_inputs(spec, model, rng, batch):
    if "inputs" in spec:
        return spec["inputs"](rng, batch)
    out = []
    for t in model.inputs:
        shape = (batch,) + tuple(int(d) for d in t.shape[1:])
        dt = t.dtype if isinstance(t.dtype, str) else t.dtype.name
        if dt.startswith("int"):
            out.append(rng.integers(1, spec.get("vocab", 100), shape).astype(np.int32))
        elif spec.get("range") == "pixel":
            out.append(rng.integers(0, 256, shape).astype(np.float32))
        else:
            out.append((rng.integers(-16, 17, shape) / 16.0).astype(np.float32))
    return out


def dtype_name(a):
    a = np.asarray(a)
    if a.dtype.kind in "SUO":
        return "string"
    if a.dtype.kind in "iu":
        return "int32"
    return "float32"


def as_feed(xs, model=None):
    """Model input(s); string arrays as tf.string tensors (Keras 3 rejects
    numpy object arrays); a dict by input name for a model with dict inputs."""
    xs = [tf.constant(x.astype(str)) if np.asarray(x).dtype == object else x for x in xs]
    if any(tf.is_tensor(x) for x in xs):
        # Keras 3 rejects a list mixing tensors and numpy arrays.
        xs = [tf.constant(x) for x in xs]
    if model is not None and isinstance(getattr(model, "input", None), dict):
        return {t.name.split(":")[0]: x for t, x in zip(model.inputs, xs)}
    return xs[0] if len(xs) == 1 else xs


def as_list(ys, names):
    """Model output(s) as a list; a dict of outputs in the order of `names`."""
    if isinstance(ys, dict):
        return [np.asarray(ys[n]) for n in names]
    if not isinstance(ys, (list, tuple)):
        return [np.asarray(ys)]
    # Nested outputs (a stack's per-cell states) flattened in order.
    return [y for x in ys for y in as_list(x, names)]


def generate(fixture, spec, source, out_root, src_root, index):
    K = tf_keras if source == "keras2" else keras
    K.backend.clear_session()
    K.utils.set_random_seed(spec["seed"])
    tf.random.set_seed(spec["seed"])
    version = "k2" if source == "keras2" else "k3"
    model = spec["build"](K, version)
    rng = np.random.default_rng(spec["seed"])
    perturb_weights(model, rng)
    x_cal = make_inputs(spec, model, np.random.default_rng(spec["seed"] + 1000), 8)
    frozen = (calibrate_frozen(K, model, as_feed(x_cal, model))
              if spec.get("calibrate_frozen") else [])
    n_bn = calibrate_batchnorm(K, model, as_feed(x_cal, model), rng)
    restore_trainable(frozen)
    scale = None
    if spec.get("head"):
        scale = rescale_head(K, model, as_feed(x_cal, model), spec["head"])
    xs = make_inputs(spec, model, np.random.default_rng(spec["seed"] + 1), 2)
    out_keys = sorted(model.output) if isinstance(getattr(model, "output", None), dict) else []
    # A model TensorFlow cannot run here (cuDNN layers need a GPU) is run as
    # the equivalent model its spec's `reference` builds from it.
    runner = spec["reference"](K, model) if spec.get("reference") else model
    ys = as_list(runner.predict(as_feed(xs, model), batch_size=2, verbose=0), out_keys)
    eager = as_list(runner(as_feed(xs, model), training=False), out_keys)
    eager_diff = max(float(np.max(np.abs(np.asarray(e, dtype=np.float64) - y)))
                     if y.size else 0.0 for e, y in zip(eager, ys))

    keep_source = fixture not in M.SOURCE_NOT_KEPT
    tmp_src = None if keep_source or DISCARDED_SRC else tempfile.TemporaryDirectory()
    if keep_source:
        src_dir = os.path.join(src_root, fixture)
    elif DISCARDED_SRC:  # not committed, but kept for inspection (--discarded-src)
        src_dir = os.path.join(DISCARDED_SRC, fixture)
        C.fresh_dir(src_dir)
    else:
        src_dir = tmp_src.name
    if keep_source:
        C.fresh_dir(src_dir)
    elif os.path.isdir(os.path.join(src_root, fixture)):
        shutil.rmtree(os.path.join(src_root, fixture))
    out_dir = os.path.join(out_root, fixture)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    # Converter options of the spec (--quantize_uint8, --weight_shard_size_bytes …).
    extra = list(spec.get("converter_args", []))
    shown_extra = "".join(a + " " for a in extra)
    if source == "keras3-keras":
        src_file = os.path.join(src_dir, "model.keras")
        model.save(src_file)
        if spec.get("converter") == "tfjs":
            command = tfjs_convert(src_file, out_dir, "model.keras")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                # The converter unzips next to the file: convert a copy.
                tmp_file = os.path.join(tmp, "model.keras")
                shutil.copy(src_file, tmp_file)
                C.run_converter(["--input_format", "keras_keras", "--output_format",
                                 "tfjs_layers_model"] + extra + [tmp_file, out_dir])
            command = ("tensorflowjs_converter --input_format keras_keras --output_format "
                       "tfjs_layers_model %smodel.keras OUT/" % shown_extra)
    else:
        src_file = os.path.join(src_dir, "model.h5")
        if source == "keras2":
            model.save(src_file, save_format="h5")
        else:
            model.save(src_file)
        if spec.get("converter") == "tfjs":
            command = tfjs_convert(src_file, out_dir, "model.h5")
        else:
            C.run_converter(["--input_format", "keras"] + extra + [src_file, out_dir])
            command = "tensorflowjs_converter --input_format keras %smodel.h5 OUT/" % shown_extra

    with open(os.path.join(out_dir, "model.json")) as f:
        model_json = json.load(f)
    fb_in = [t.name.split(":")[0] for t in model.inputs]
    fb_out = list(getattr(model, "output_names", []) or [])
    if not fb_out and any(c.__name__ == "Sequential" for c in type(model).__mro__):
        fb_out = [model.layers[-1].name]  # Keras 3 Sequential: no output_names
    in_names, out_names = topology_io_names(model_json, fb_in, fb_out)
    if isinstance(getattr(model, "input", None), dict):
        # dict inputs: model.inputs is in sorted key order, model.json in the dict's.
        by_name = {t.name.split(":")[0]: x for t, x in zip(model.inputs, xs)}
        xs = [by_name[n] for n in in_names]
    if out_keys:  # dict outputs: in the converted model's order
        by_key = dict(zip(out_keys, ys))
        layers_of = model_json["modelTopology"]["model_config"].get("config", {}).get(
            "output_layers")
        # Keras 3 writes {key: [layer, node, tensor]} (a key may differ from
        # its layer's name); else the keys are the layer names.
        keys = list(layers_of) if isinstance(layers_of, dict) else out_names
        ys = [by_key[k] for k in keys]
    if spec.get("input_names"):
        in_names = spec["input_names"]
    classes, functions = collect_classes(model_json)
    tol = spec.get("tolerance", {"atol": 1e-4, "rtol": 1e-3})
    keras_label = ("%s (tf_keras)" % tf_keras.__version__ if source == "keras2"
                   else keras.__version__)
    header = {
        "fixture": fixture,
        "description": spec["description"],
        "produced_by": {"tensorflow": tf.__version__, "keras": keras_label,
                        "tensorflowjs_converter": "4.22.0"},
        "conversion": command,
        "layout": C.LAYOUT,
        "reference": ("Keras model.predict on the original model" if not spec.get("reference")
                      else "Keras model.predict on " + spec["reference"].__doc__.strip().split("\n")[0]),
        "tolerance": tol,
    }
    inputs = [{"name": n, "shape": list(np.shape(x)), "dtype": dtype_name(x), "data": x}
              for n, x in zip(in_names, xs)]
    outputs = [{"name": n, "shape": list(y.shape), "dtype": dtype_name(y), "data": y}
               for n, y in zip(out_names, ys)]
    C.write_io_json(os.path.join(out_dir, "io.json"), header, inputs, outputs)

    roundtrip = None
    if source == "keras2":
        roundtrip = tfjs_roundtrip(out_dir, xs, ys)
    index["keras"][fixture] = {
        "name": fixture,
        "model": spec["name"],
        "group": spec["group"],
        "source": source,
        "keras": keras_label,
        "source_file": (os.path.relpath(src_file, os.path.dirname(out_root)) if keep_source
                        else None),
        "converter_command": command,
        "description": spec["description"],
        "layer_classes": classes,
        "tf_op_functions": functions,
        "params": int(model.count_params()),
        "batchnorm_layers_calibrated": n_bn,
        "head_rescale": scale,
        "inputs": [{"name": t["name"], "shape": t["shape"], "dtype": t["dtype"]} for t in inputs],
        "outputs": [{"name": t["name"], "shape": t["shape"], "dtype": t["dtype"]} for t in outputs],
        "size_bytes": C.dir_size(out_dir),
        "source_size_bytes": C.dir_size(src_dir),
        "source_kept": keep_source,
        "tolerance": tol,
        "predict_vs_eager_max_abs": eager_diff,
        "tfjs_python_loader_roundtrip": roundtrip,
    }
    if tmp_src is not None:
        tmp_src.cleanup()
    print("%-40s %8d B  %s" % (fixture, index["keras"][fixture]["size_bytes"],
                               ", ".join(functions) or ""), flush=True)


def tfjs_convert(src_file, out_dir, shown):
    """Convert with this repository's `tfjs convert --like-converter` (build it
    first: `cargo build -p tfjs-cli`), for sources tensorflowjs_converter
    refuses (int8 weights: it writes what the converter would, the int8
    values as int32). Returns the command line."""
    import subprocess
    exe = os.path.join(C.REPO, "target", "debug", "tfjs")
    if not os.path.exists(exe):
        sys.exit("%s is missing: build it with `cargo build -p tfjs-cli`" % exe)
    subprocess.run([exe, "convert", "--like-converter", src_file, out_dir], check=True,
                   stdout=subprocess.DEVNULL)
    return "tfjs convert --like-converter %s OUT/ (tensorflowjs_converter refuses int8 weights)" % shown


def tfjs_roundtrip(out_dir, xs, ys):
    """Load the converted artifacts with tensorflowjs' own Python loader and
    compare: max abs diff, or the loader's error (custom classes, tf ops)."""
    from tensorflowjs.converters import keras_tfjs_loader
    try:
        tf_keras.backend.clear_session()
        m = keras_tfjs_loader.load_keras_model(os.path.join(out_dir, "model.json"))
        got = m.predict(as_feed(xs), batch_size=2, verbose=0)
        got = got if isinstance(got, (list, tuple)) else [got]
        return {"max_abs": max(float(np.max(np.abs(np.asarray(g, np.float64) - y)))
                               for g, y in zip(got, ys))}
    except Exception as e:  # noqa: BLE001 - recorded, not fatal
        return {"error": ("%s: %s" % (type(e).__name__, e))[:300]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(C.REPO, "fixtures/corpus/keras"))
    ap.add_argument("--src", default=None,
                    help="source files directory (default: OUT/../keras-src)")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--discarded-src", default=None,
                    help="write the sources that are not kept (SOURCE_NOT_KEPT) here "
                         "instead of a temporary directory")
    args = ap.parse_args()
    global DISCARDED_SRC
    DISCARDED_SRC = os.path.abspath(args.discarded_src) if args.discarded_src else None
    out_root = os.path.abspath(args.out)
    src_root = os.path.abspath(args.src or os.path.join(out_root, "..", "keras-src"))
    todo = all_fixtures()
    if args.list:
        for name, spec, source in todo:
            print(name, source, spec["description"])
        return
    if args.only:
        wanted = set(args.only)
        todo = [t for t in todo if t[0] in wanted or t[1]["name"] in wanted
                or t[1]["group"] in wanted]
        if not todo:
            sys.exit("no model matches --only %s" % args.only)
    C.run_all([(name, lambda index, n=name, sp=spec, so=source:
                generate(n, sp, so, out_root, src_root, index))
               for name, spec, source in todo], out_root)

if __name__ == "__main__":
    main()

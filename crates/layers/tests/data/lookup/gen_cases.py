"""Keras 3.15's own outputs for its lookup layers (StringLookup,
IntegerLookup, Hashing) on strings and integers: one single-layer functional
model per case, its topology as Keras writes it (`model.to_json()`, the
`.keras` config), the input and Keras's output. Read by
`crates/layers/tests/lookup_layers.rs`.

    /root/kenv/bin/python crates/layers/tests/data/lookup/gen_cases.py > crates/layers/tests/data/lookup/cases.json
"""
import json
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras  # noqa: E402
import numpy as np  # noqa: E402

L = keras.layers
VOCAB = ["the", "cat", "dog", "mat"]
WORDS = np.array([["the", "cat", "zebra", ""], ["dog", "", "mat", "unicorn"]])
LONG = np.array([["a" * 70, "héllo wörld", "the quick brown fox jumps over the lazy dog", "x" * 33]])
INTS = np.array([[3, 7, 11, 0], [19, 42, -5, 1000]], dtype="int64")


def case(name, layer, x, dtype):
    inp = keras.Input(shape=x.shape[1:], dtype=dtype, name="x")
    model = keras.Model(inp, layer(inp), name=name)
    y = np.asarray(model(x))
    out_dtype = "string" if y.dtype.kind in "SUO" else ("int32" if y.dtype.kind in "iu" else "float32")
    if out_dtype == "string":
        data = [v.decode() if isinstance(v, bytes) else str(v) for v in y.reshape(-1)]
    else:
        data = y.reshape(-1).tolist()
    in_dtype = "string" if dtype == "string" else "int32"
    return {
        "name": name,
        "topology": json.loads(model.to_json()),
        "input": {"shape": list(x.shape), "dtype": in_dtype,
                  "data": [str(v) if in_dtype == "string" else int(v) for v in x.reshape(-1)]},
        "output": {"shape": list(y.shape), "dtype": out_dtype, "data": data},
    }


cases = [
    case("string_int", L.StringLookup(vocabulary=VOCAB), WORDS, "string"),
    case("string_oov3_mask", L.StringLookup(vocabulary=VOCAB, num_oov_indices=3, mask_token=""), WORDS, "string"),
    case("string_one_hot", L.StringLookup(vocabulary=VOCAB, output_mode="one_hot"), WORDS[:, :1], "string"),
    case("string_multi_hot_mask", L.StringLookup(vocabulary=VOCAB, mask_token="", output_mode="multi_hot"), WORDS, "string"),
    case("string_count_oov2", L.StringLookup(vocabulary=VOCAB, num_oov_indices=2, output_mode="count"), WORDS, "string"),
    case("string_long_oov5", L.StringLookup(vocabulary=VOCAB, num_oov_indices=5), LONG, "string"),
    case("integer_oov2_floormod", L.IntegerLookup(vocabulary=[3, 7, 11, 19]), INTS, "int64"),
    case("integer_oov3_farmhash", L.IntegerLookup(vocabulary=[3, 7, 11, 19], num_oov_indices=3, oov_method="farmhash"), INTS, "int64"),
    case("integer_mask_multi_hot", L.IntegerLookup(vocabulary=[3, 7, 11, 19], mask_token=0, output_mode="multi_hot"), INTS, "int64"),
    case("hashing_strings_mask", L.Hashing(num_bins=5, mask_value=""), WORDS, "string"),
    case("hashing_long_strings", L.Hashing(num_bins=7), LONG, "string"),
    case("hashing_strings_one_hot", L.Hashing(num_bins=4, output_mode="one_hot"), WORDS[:, :1], "string"),
]
inv = L.StringLookup(vocabulary=VOCAB, invert=True)
cases.append(case("string_invert", inv, np.array([[0, 1, 2, 3, 4, 9]], dtype="int64"), "int64"))
inv_mask = L.StringLookup(vocabulary=VOCAB, invert=True, mask_token="")
cases.append(case("string_invert_mask", inv_mask, np.array([[0, 1, 2, 3, 4, 5]], dtype="int64"), "int64"))
print(json.dumps({"produced_by": {"keras": keras.__version__}, "cases": cases}, indent=1))

"""Reference numbers for tfjs-cli's image preprocessing (tests/image_preprocess.rs).

Writes, next to this script:
  test.png       a 20x15 RGB image (deterministic pattern, written with zlib)
  test.jpg       the same pixels encoded by tf.io.encode_jpeg (quality 95)
  expected.json  what TensorFlow / Keras compute from them:
    - decoded:        tf.io.decode_png pixels (H x W x 3, row-major)
    - jpeg_decoded:   tf.io.decode_jpeg pixels of test.jpg
    - resized[key]:   tf.image.resize(img, (h, w)) (bilinear, antialias=False,
                      i.e. ResizeBilinear with half_pixel_centers=True), float32
    - preprocessed[mode]: keras.applications.imagenet_utils.preprocess_input(
                      resized["9x7"], mode=mode) for tf, caffe, torch, and x/255

Run with the Keras venv (TensorFlow 2.21, Keras 3.15):
  /root/kenv/bin/python crates/cli/tests/data/preprocess/generate.py
"""

import json
import os
import struct
import zlib

import numpy as np
import tensorflow as tf
import keras
from keras.applications import imagenet_utils

HERE = os.path.dirname(os.path.abspath(__file__))
H, W = 15, 20


def pixels():
    y, x = np.mgrid[0:H, 0:W]
    r = (x * 13 + y * 3) % 256
    g = (y * 17 + (x * x) % 29) % 256
    b = ((x ^ y) * 11 + 40) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def write_png(path, img):
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[i].tobytes() for i in range(h))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def main():
    img = pixels()
    png_path = os.path.join(HERE, "test.png")
    jpg_path = os.path.join(HERE, "test.jpg")
    write_png(png_path, img)
    with open(jpg_path, "wb") as f:
        f.write(tf.io.encode_jpeg(img, quality=95).numpy())

    decoded = tf.io.decode_png(tf.io.read_file(png_path), channels=3)
    assert (decoded.numpy() == img).all()
    jpeg_decoded = tf.io.decode_jpeg(tf.io.read_file(jpg_path), channels=3)

    resized = {}
    for h, w in [(7, 9), (24, 33)]:
        r = tf.image.resize(decoded, (h, w), method="bilinear", antialias=False)
        resized[f"{w}x{h}"] = {"height": h, "width": w, "data": flat(r)}

    base = np.asarray(resized["9x7"]["data"], dtype=np.float32).reshape(1, 7, 9, 3)
    preprocessed = {
        "scale01": flat(base / np.float32(255.0)),
    }
    for ours, keras_mode in [("mobilenet", "tf"), ("caffe", "caffe"), ("torch", "torch")]:
        preprocessed[ours] = flat(
            imagenet_utils.preprocess_input(base.copy(), mode=keras_mode)
        )

    doc = {
        "produced_by": {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
        "script": "generate.py",
        "height": H,
        "width": W,
        "decoded": [int(v) for v in decoded.numpy().reshape(-1)],
        "jpeg_decoded": [int(v) for v in jpeg_decoded.numpy().reshape(-1)],
        "resized": resized,
        "preprocessed_from": "9x7",
        "preprocessed": preprocessed,
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()

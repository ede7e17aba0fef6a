"""Canonical listing of an HDF5 file as h5py reads it (the reference the
Rust HDF5 reader is checked against; see tests/h5_reader.rs).

One line per group (G), attribute (A) and dataset (D), sorted:
  G /path
  A /path@name = ["str", ...]            (string attributes, scalar as a 1-list)
  A /path@name = raw<nbytes>:<sha256[:16]> (numeric / empty attributes)
  D /path shape=[d, ...] bytes=<n> sha=<sha256[:16]> (little-endian element bytes)

usage: python h5_listing.py FILE.h5 > FILE.listing.txt
"""
import hashlib
import json
import sys

import h5py
import numpy as np


def sha(b):
    return hashlib.sha256(b).hexdigest()[:16]


def attr_line(path, name, v):
    if isinstance(v, (str, bytes)):
        v = [v]
    arr = np.asarray(v)
    if arr.dtype.kind in "OSU" and arr.size > 0:
        items = [x.decode() if isinstance(x, bytes) else str(x) for x in arr.reshape(-1)]
        return f"A {path}@{name} = " + json.dumps(items, ensure_ascii=False)
    return f"A {path}@{name} = raw{arr.nbytes}:{sha(arr.astype(arr.dtype.newbyteorder('<')).tobytes())}"


def listing(f):
    lines = []

    def visit(path, obj):
        for k, v in obj.attrs.items():
            lines.append(attr_line(path, k, v))
        if isinstance(obj, h5py.Dataset):
            raw = np.asarray(obj[()])
            if raw.dtype.kind not in "V":
                raw = raw.astype(raw.dtype.newbyteorder("<"))
            b = raw.tobytes()
            shape = "[" + ", ".join(str(d) for d in obj.shape) + "]"
            lines.append(f"D {path} shape={shape} bytes={len(b)} sha={sha(b)}")
        else:
            for k in obj.keys():
                p = f"{path}/{k}"
                if isinstance(obj[k], h5py.Group):
                    lines.append(f"G {p}")
                visit(p, obj[k])

    visit("", f)
    return sorted(lines)


if __name__ == "__main__":
    with h5py.File(sys.argv[1], "r") as f:
        sys.stdout.write("\n".join(listing(f)))

"""Loads every member of a synthetic checkpoint with numpy (zipfile checks each CRC on a full read) and compares
names and shapes with the peer generator's table. usage: check_synth_with_numpy.py OUT.npz VARIANT SYNTH_NPZ_PY"""
import importlib.util
import sys

import numpy as np

path, variant, peer = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("synth_npz", peer)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
want = mod.shapes(variant)
with np.load(path) as z:
    names = sorted(f for f in z.files)
    assert names == sorted(want), (set(names) ^ set(want))
    for k in names:
        a = z[k]
        assert a.shape == tuple(want[k]), (k, a.shape, want[k])
        print(f"{k} {a.dtype.str} {a.shape} std={float(a.astype(np.float32).std()) if a.dtype.kind == 'f' else 'n/a'}")
print(f"ok: {len(names)} tensors load with numpy {np.__version__} and match {peer}")

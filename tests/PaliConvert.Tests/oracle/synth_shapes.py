"""Prints the shapes the peer's synth_npz.py writes for a variant, as JSON [[name, shape], ...] in its order."""
import importlib.util
import json
import sys

spec = importlib.util.spec_from_file_location("synth_npz", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
print(json.dumps([[k, list(v)] for k, v in mod.shapes(sys.argv[2]).items()]))

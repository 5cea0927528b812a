"""All op samples: one module per table family (tests/ops/samples/<family>.py)."""

import importlib
import os

_HERE = os.path.dirname(os.path.abspath(__file__))


def all_samples():
    samples = {}
    for fname in sorted(os.listdir(_HERE)):
        if not fname.endswith(".py") or fname in ("__init__.py", "spec.py"):
            continue
        mod = importlib.import_module("samples." + fname[:-3])
        for op, ss in mod.SAMPLES.items():
            if op in samples:
                raise ValueError("samples for %s appear in two files" % op)
            samples[op] = ss
    return samples

"""PyTorch's side of every benchmark case, one module per family (bench/cases/*.py).

Each module defines CASES = {name: (setup, work, unit)}: setup() builds inputs and returns
the timed callable; work is bytes moved ("GB/s") or floating-point operations ("GFLOP/s").
"""

import importlib
import os

CASES = {}
for _f in sorted(os.listdir(os.path.dirname(os.path.abspath(__file__)))):
    if _f.endswith(".py") and _f != "__init__.py":
        CASES.update(importlib.import_module("cases." + _f[:-3]).CASES)

"""kiln.nn: torch.nn in pure Python over the table's ops (layers, functional, init, utils)."""

from kiln.nn.parameter import Parameter  # noqa: F401
from kiln.nn import functional, init  # noqa: F401
from kiln.nn.modules import *  # noqa: F401,F403
from kiln.nn.modules import __dict__ as _mods
from kiln.nn import utils  # noqa: F401

__all__ = ["Parameter", "functional", "init", "utils"] + [
    k for k, v in _mods.items() if isinstance(v, type)]
del _mods

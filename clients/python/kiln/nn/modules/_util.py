"""Helpers shared by the layers: fresh parameters and buffers on the default session."""

import math

from kiln import _factories as f
from kiln.nn import init
from kiln.nn.parameter import Parameter


def param(*shape, dtype=None, device=None):
    return Parameter(f.empty(*shape, dtype=dtype, device=device))


def tup(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def uniform_fan_in(weight, bias, fan_in):
    """torch's default for Linear and Conv: kaiming_uniform_(a=sqrt(5)) on the weight, and
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on the bias."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None and fan_in > 0:
        b = 1 / math.sqrt(fan_in)
        init.uniform_(bias, -b, b)

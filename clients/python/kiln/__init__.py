"""Kiln's Python client: `import kiln as torch`.

Tensors live in kilnd; this package mirrors torch's API over Kiln's op stream. The first op
connects: to kiln.connect(...)'s address, else $KILN_ADDRESS (with $KILN_TOKEN, $KILN_TLS_CA),
else a private kilnd started on loopback and stopped at exit."""

import sys as _sys

from kiln import _ops, _rules
from kiln import _runtime as _rt
from kiln._autograd import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                            set_grad_enabled)
from kiln._client import Client, RemoteError
from kiln._dtypes import DTYPE as _DTYPE
from kiln._dtypes import Size, device, dtype
from kiln._factories import (arange, as_tensor, empty, empty_like, eye, from_numpy, full,
                             full_like, initial_seed, linspace, manual_seed, ones, ones_like, rand,
                             rand_like, randint, randn, randn_like, randperm, seed, tensor, zeros,
                             zeros_like)
from kiln._tensor import Tensor
from kiln import autograd, optim  # noqa: F401
from kiln import nn  # noqa: F401,E402
from kiln.serialization import load, save  # noqa: E402  (save: kiln.save / kiln.load)

__version__ = "0.1.0"

bool = _DTYPE["bool"]  # noqa: A001
uint8 = _DTYPE["uint8"]
int8 = _DTYPE["int8"]
int32 = _DTYPE["int32"]
int64 = _DTYPE["int64"]
float16 = _DTYPE["float16"]
bfloat16 = _DTYPE["bfloat16"]
float32 = _DTYPE["float32"]
float64 = _DTYPE["float64"]
half, float, double, long, int = float16, float32, float64, int64, int32  # noqa: A001
cfloat = None


def connect(address=None, token=None, root_certificates=None, tls=None, timeout=30.0):
    """Opens a session with kilnd at "host:port" and makes it the default one."""
    return _rt.connect(address, token=token, root_certificates=root_certificates, tls=tls,
                       timeout=timeout)


def session():
    """The default session (connecting first if needed)."""
    return _rt.client()


def synchronize():
    """Waits until every op issued so far ran; raises the first failure (a RemoteError)."""
    c = _rt.current()
    if c is not None:
        c.sync()


def get_default_dtype():
    return _DTYPE[_rules.default_dtype[0]]


def set_default_dtype(d):
    from kiln._dtypes import dtype_name
    n = dtype_name(d)
    if n not in ("float32", "float64"):
        raise TypeError("only floating point types are supported as the default type")
    _rules.default_dtype[0] = n


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return t.is_floating_point()


def numel(t):
    return t.numel()


def _function(name):
    def f(*args, out=None, **kwargs):
        if out is not None:
            return _ops.call(name, args, kwargs, 2, out)
        return _ops.call(name, args, kwargs)
    f.__name__ = name
    f.__qualname__ = name
    return f


_module = _sys.modules[__name__]
for _name in _ops.GROUPS:
    if not hasattr(_module, _name):
        setattr(_module, _name, _function(_name))
del _name, _module

# ---- data helper: kiln.utils (torch.utils.data) and a client-side kiln.Generator ----
from kiln.utils._generator import Generator  # noqa: E402
from kiln import utils  # noqa: E402,F401
# ---- end data helper ----

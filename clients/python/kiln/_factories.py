"""Tensor factories. zeros/ones/full/empty and *_like run on the daemon (table ops); data the
client holds (tensor, from_numpy, arange, linspace, eye) and random numbers are made here with
numpy and uploaded (random streams follow kiln.manual_seed)."""

import numpy as np

from kiln import _rules
from kiln import _runtime as rt
from kiln import _wire as wire
from kiln._dtypes import dtype_name
from kiln._ops import call
from kiln._tensor import Tensor, from_array


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def _table_factory(name):
    def f(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          pin_memory=False):
        t = call(name, (_size(size),), {"dtype": dtype, "device": device})
        return _finish(t, requires_grad)
    f.__name__ = name
    return f


zeros = _table_factory("zeros")
ones = _table_factory("ones")
empty = _table_factory("empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _finish(call("full", (tuple(size), fill_value), {"dtype": dtype, "device": device}),
                   requires_grad)


def _like(name):
    def f(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):  # noqa: A002
        return _finish(call(name, (input,), {"dtype": dtype, "device": device}), requires_grad)
    f.__name__ = name
    return f


zeros_like = _like("zeros_like")
ones_like = _like("ones_like")
empty_like = _like("empty_like")


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False,  # noqa: A002
              memory_format=None):
    return _finish(call("full_like", (input, fill_value), {"dtype": dtype, "device": device}),
                   requires_grad)


def _infer_data_dtype(arr, data):
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return dtype_name(arr.dtype)  # numpy data keeps its dtype, as in torch
    if arr.dtype.kind == "f":
        return _rules.default_dtype[0]
    if arr.dtype.kind in "iu":
        return "int64"
    if arr.dtype.kind == "b":
        return "bool"
    raise TypeError("kiln.tensor: cannot make a tensor from %s" % type(data).__name__)


def _values(data):
    if isinstance(data, Tensor):
        return data.detach().numpy()
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        return np.array([_values(x) for x in data])
    return data


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    data = _values(data)
    arr = np.asarray(data)
    if arr.dtype == object:
        raise TypeError("kiln.tensor: could not infer the dtype of %r" % (data,))
    dt = dtype_name(dtype) if dtype is not None else _infer_data_dtype(arr, data)
    if dt == "bfloat16":
        arr = arr.astype(np.float32)
    return from_array(arr, dt, requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if dtype or device else data
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr):
    if not isinstance(arr, np.ndarray):
        raise TypeError("expected np.ndarray (got %s)" % type(arr).__name__)
    return from_array(arr, dtype_name(arr.dtype))


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False, out=None):
    if end is None:
        start, end = 0, start
    vals = [float(v) if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    floating = any(isinstance(v, float) for v in vals)
    dt = dtype_name(dtype) or (_rules.default_dtype[0] if floating else "int64")
    n = int(np.ceil((vals[1] - vals[0]) / vals[2])) if floating else -(-(vals[1] - vals[0]) // vals[2])
    if n < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    arr = vals[0] + np.arange(max(n, 0), dtype=np.float64 if floating else np.int64) * vals[2]
    return from_array(arr.astype(np.float64) if dt in _rules.FLOATING else arr, dt, requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    dt = dtype_name(dtype) or _rules.default_dtype[0]
    return from_array(np.linspace(start, end, steps), dt, requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    dt = dtype_name(dtype) or _rules.default_dtype[0]
    return from_array(np.eye(n, m if m is not None else n), dt, requires_grad, device)


def _float_dt(dtype):
    dt = dtype_name(dtype) or _rules.default_dtype[0]
    return dt


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    return from_array(rt.rng.random(_size(size)), _float_dt(dtype), requires_grad, device)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    return from_array(rt.rng.standard_normal(_size(size)), _float_dt(dtype), requires_grad, device)


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    return from_array(rt.rng.integers(low, high, size=tuple(size)), dtype_name(dtype) or "int64",
                      requires_grad, device)


def randperm(n, dtype=None, device=None, requires_grad=False, generator=None):
    return from_array(rt.rng.permutation(n), dtype_name(dtype) or "int64", requires_grad, device)


def rand_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    return rand(*input.shape, dtype=dtype or input.dtype, device=device or input._m.device,
                requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    return randn(*input.shape, dtype=dtype or input.dtype, device=device or input._m.device,
                 requires_grad=requires_grad)


def manual_seed(seed):
    """Seeds the client's generator (rand, randn, ...) and every open session's."""
    rt.seed = int(seed)
    rt.rng = np.random.default_rng(int(seed))
    for c in rt.clients():
        wire.manual_seed(c.buf, int(seed))
    return rt.rng


def seed():
    s = int(np.random.SeedSequence().entropy % (1 << 63))
    manual_seed(s)
    return s


def initial_seed():
    return rt.seed

"""kiln.nn.Parameter: a leaf tensor that a Module registers as one of its parameters.

The client's dispatch recognises tensors by exact class (its hot path), so a Parameter is a
plain kiln.Tensor remembered in a weak registry; isinstance(t, Parameter) asks the registry."""

import weakref

from kiln import _wire as wire
from kiln._tensor import Tensor

_PARAMS = weakref.WeakValueDictionary()  # id(tensor) -> tensor


class _ParameterMeta(type):
    def __instancecheck__(cls, obj):
        return obj.__class__ is Tensor and _PARAMS.get(id(obj)) is obj


class Parameter(metaclass=_ParameterMeta):
    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from kiln._factories import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError("Parameter: data must be a kiln.Tensor, not %s" % type(data).__name__)
        c = data._c
        h = c.handle()
        # a new handle on the same storage (as torch's Parameter shares data's storage)
        wire.detach(c.buf, data._h, h)
        t = Tensor(c, h, data._m, False, True)
        if requires_grad:
            t.requires_grad_(True)
        _PARAMS[id(t)] = t
        return t

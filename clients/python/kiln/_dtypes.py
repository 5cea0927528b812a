"""kiln.dtype, kiln.device and kiln.Size: the small value types a torch user compares with."""

import numpy as np

from kiln._rules import DTYPES, FLOATING


class dtype:  # noqa: N801  (torch's spelling)
    __slots__ = ("name", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name, itemsize):
        self.name = name
        self.is_floating_point = name in FLOATING
        self.is_signed = name not in ("bool", "uint8")
        self.itemsize = itemsize

    def __repr__(self):
        return "kiln." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_complex(self):
        return False


_SIZES = {"bool": 1, "uint8": 1, "int8": 1, "int32": 4, "int64": 8, "float16": 2, "bfloat16": 2,
          "float32": 4, "float64": 8}
DTYPE = {n: dtype(n, _SIZES[n]) for n in DTYPES}


def _by_name(name):
    return DTYPE[name]


# numpy twins; bfloat16 travels as its raw 16 bits.
NUMPY = {"bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int32": np.int32,
         "int64": np.int64, "float16": np.float16, "bfloat16": np.uint16, "float32": np.float32,
         "float64": np.float64}
FROM_NUMPY = {np.dtype(np.bool_): "bool", np.dtype(np.uint8): "uint8", np.dtype(np.int8): "int8",
              np.dtype(np.int32): "int32", np.dtype(np.int64): "int64",
              np.dtype(np.float16): "float16", np.dtype(np.float32): "float32",
              np.dtype(np.float64): "float64"}


def dtype_name(d):
    """A kiln.dtype, a dtype name, a torch.dtype or a numpy dtype, as Kiln's name."""
    if d is None:
        return None
    if isinstance(d, dtype):
        return d.name
    if isinstance(d, str):
        if d in DTYPE:
            return d
        raise TypeError("unknown dtype %r" % d)
    s = str(d)
    if s.startswith("torch."):
        n = s[6:]
        if n in DTYPE:
            return n
    try:
        return FROM_NUMPY[np.dtype(d)]
    except (TypeError, KeyError):
        pass
    if d is float:
        return "float64"
    if d is int:
        return "int64"
    if d is bool:
        return "bool"
    raise TypeError("unsupported dtype %r" % (d,))


class device:  # noqa: N801
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        elif ":" in type:
            type, i = type.split(":", 1)
            index = int(i)
        if type not in ("cpu", "cuda"):
            raise RuntimeError("Expected one of cpu, cuda device type at start of device string: %s"
                               % type)
        self.type = type
        self.index = index

    def __str__(self):
        return self.type if self.index is None else "%s:%d" % (self.type, self.index)

    def __repr__(self):
        return "device(type=%r%s)" % (self.type, "" if self.index is None else ", index=%d" % self.index)

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


def device_str(d):
    if d is None:
        return None
    if isinstance(d, int):
        return "cuda:%d" % d
    return str(device(d)) if not isinstance(d, device) else str(d)


class Size(tuple):
    def __repr__(self):
        return "kiln.Size([%s])" % ", ".join(str(s) for s in self)

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

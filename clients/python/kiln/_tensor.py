"""kiln.Tensor: a handle to a tensor that lives in kilnd, shaped like torch.Tensor.

Shape, dtype, device and requires_grad are known on the client (inferred from the op table),
so reading them never waits; values (.item(), .tolist(), .numpy(), repr) are sync points.
The handle is freed (batched FREE) when Python drops the object."""

import numpy as np

from kiln import _ops
from kiln import _rules
from kiln import _runtime as rt
from kiln import _wire as wire
from kiln._client import RemoteError
from kiln._dtypes import DTYPE, NUMPY, Size, device, device_str, dtype, dtype_name
from kiln._ops import Meta, call


def resolve_meta(t):
    """A dynamic-shape op's output: ask the daemon (META, a sync point)."""
    r = t._c.ask(wire.META, t._h)
    if r.HasField("error"):
        raise RemoteError.from_pb(r.error)
    t._m = Meta(tuple(r.shape), wire.DTYPES[r.dtype], t._m.device)
    return t._m


def fetch(t):
    """(dtype name, numpy array) of t's value; bfloat16 arrives as float32."""
    c = t._c
    r = c.ask(wire.FETCH, t._h)
    which = r.WhichOneof("result")
    if which == "error":
        raise RemoteError.from_pb(r.error)
    if which == "value":
        dt, shape, data = wire.DTYPES[r.value.dtype], tuple(r.value.shape), r.value.data
    else:
        dt, shape, data = c.download(t._h)
    arr = np.frombuffer(data, dtype=NUMPY[dt]).reshape(shape)
    if dt == "bfloat16":
        arr = (arr.reshape(-1).astype(np.uint32) << 16).view(np.float32).reshape(shape)
    if t._m.shape is None:
        t._m = Meta(shape, dt, t._m.device)
    return dt, arr


def from_array(arr, dt=None, requires_grad=False, device_=None, c=None):
    """Uploads a numpy array as a new tensor (PUT inline when small, else Upload)."""
    c = c or rt.client()
    arr = np.asarray(arr)
    if dt is None:
        dt = dtype_name(arr.dtype)
    shape = tuple(int(s) for s in arr.shape)
    if dt == "bfloat16":
        u = np.asarray(arr, dtype=np.float32).reshape(-1).view(np.uint32)
        arr = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)  # round to nearest even
    else:
        # (np.ascontiguousarray would make a 0-dim array 1-dim)
        arr = np.asarray(arr, dtype=NUMPY[dt]).reshape(-1)
    if requires_grad and dt not in _rules.FLOATING:
        raise RuntimeError("Only Tensors of floating point dtype can require gradients")
    dev = device_str(device_) or "cpu"
    h = c.handle()
    if arr.nbytes <= c.max_inline:
        wire.put(c.buf, h, dt, shape, dev, arr.tobytes(), requires_grad)
        c.maybe_flush()
    else:
        c.upload(h, dt, shape, arr, requires_grad, dev)
    return Tensor(c, h, Meta(shape, dt, dev), requires_grad, True)


def _dtype_arg(a):
    return isinstance(a, dtype) or (not isinstance(a, (str, int, device)) and a is not None)


class Tensor:
    __slots__ = ("_c", "_h", "_m", "_rg", "_leaf", "_gdef", "__weakref__")
    __array_priority__ = 1000  # numpy defers to our operators

    def __init__(self, c, h, m, rg=False, leaf=True):
        self._c = c
        self._h = h
        self._m = m
        self._rg = rg
        self._leaf = leaf
        self._gdef = False

    def __del__(self):
        try:
            self._c.frees.append(self._h)
        except Exception:  # noqa: BLE001  (interpreter exit)
            pass

    # ---- metadata: no round trip (except once for a dynamic-shape op's output) ----
    def _meta(self):
        return self._m if self._m.shape is not None else resolve_meta(self)

    @property
    def shape(self):
        return Size(self._meta().shape)

    def size(self, dim=None):
        s = self._meta().shape
        return Size(s) if dim is None else s[_rules.wrap_dim(dim, len(s))]

    @property
    def dtype(self):
        return DTYPE[self._meta().dtype]

    @property
    def device(self):
        return device(self._m.device)

    @property
    def is_cuda(self):
        return self._m.device.startswith("cuda")

    @property
    def ndim(self):
        return len(self._meta().shape)

    def dim(self):
        return len(self._meta().shape)

    ndimension = dim

    def numel(self):
        return _rules.numel(self._meta().shape)

    nelement = numel

    def element_size(self):
        return DTYPE[self._meta().dtype].itemsize

    def is_floating_point(self):
        return self._meta().dtype in _rules.FLOATING

    def is_complex(self):
        return False

    @property
    def T(self):  # noqa: N802
        return self.permute(tuple(range(self.ndim - 1, -1, -1)))

    @property
    def data(self):
        return self.detach()

    # ---- values: sync points ----
    def numpy(self, force=False):
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        a = fetch(self)[1]
        # A Download lands in a fresh array nobody else holds: no second copy of a big tensor.
        return a if a.flags.writeable else a.copy()

    def __array__(self, dtype_=None):
        a = fetch(self)[1]
        return a.astype(dtype_) if dtype_ is not None else a.copy()

    def tolist(self):
        dt, a = fetch(self)
        return a.tolist()

    def item(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError("a Tensor with %d elements cannot be converted to Scalar" % n)
        dt, a = fetch(self)
        return a.reshape(-1)[0].item()

    def __bool__(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._meta().dtype in _rules.FLOATING or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self):
        s = self._meta().shape
        if not s:
            raise TypeError("len() of a 0-d tensor")
        return s[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __repr__(self):
        r = self._c.ask(wire.FORMAT, self._h)
        if r.HasField("error"):
            raise RemoteError.from_pb(r.error)
        return r.text

    __str__ = __repr__

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    __hash__ = object.__hash__

    # ---- conversions ----
    def to(self, *args, **kwargs):
        dt = dev = None
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        for a in args:
            if isinstance(a, Tensor):
                dt, dev = a._meta().dtype, a._m.device
            elif isinstance(a, str) and a in DTYPE:
                dt = a
            elif isinstance(a, (str, device, int)):
                dev = device_str(a)
            else:
                dt = dtype_name(a)
        if "dtype" in kwargs:
            dt = dtype_name(kwargs.pop("dtype"))
        if "device" in kwargs:
            dev = device_str(kwargs.pop("device"))
        if kwargs:
            raise TypeError("to() got an unexpected keyword argument '%s'" % next(iter(kwargs)))
        m = self._meta()
        if (dt is None or dt == m.dtype) and (dev is None or dev == m.device) and not copy:
            return self
        return call("to", (self,), {"device": dev, "dtype": dt, "copy": copy})

    def type(self, dt=None):
        if dt is None:
            return "kiln." + {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                              "int32": "IntTensor", "bool": "BoolTensor", "uint8": "ByteTensor",
                              "int8": "CharTensor", "float16": "HalfTensor",
                              "bfloat16": "BFloat16Tensor"}[self._meta().dtype]
        return self.to(dt)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to("float32")

    def double(self):
        return self.to("float64")

    def half(self):
        return self.to("float16")

    def bfloat16(self):
        return self.to("bfloat16")

    def long(self):
        return self.to("int64")

    def int(self):
        return self.to("int32")

    def bool(self):
        return self.to("bool")

    def byte(self):
        return self.to("uint8")

    def char(self):
        return self.to("int8")

    def cpu(self):
        return self.to("cpu")

    def cuda(self, idx=None):
        return self.to("cuda" if idx is None else "cuda:%d" % idx)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from kiln._factories import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self._m.device,
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from kiln import _factories as f
        return f.zeros(*size, dtype=dtype or self.dtype, device=device or self._m.device,
                       requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from kiln import _factories as f
        return f.ones(*size, dtype=dtype or self.dtype, device=device or self._m.device,
                      requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from kiln import _factories as f
        return f.full(size, fill_value, dtype=dtype or self.dtype, device=device or self._m.device,
                      requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from kiln import _factories as f
        return f.empty(*size, dtype=dtype or self.dtype, device=device or self._m.device,
                       requires_grad=requires_grad)

    # ---- autograd ----
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._meta().dtype not in _rules.FLOATING:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if not self._leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        wire.set_requires_grad(self._c.buf, self._h, requires_grad)
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self._leaf or not self._rg

    @property
    def grad_fn(self):
        return None if self.is_leaf else _GradFn(self)

    @property
    def grad(self):
        from kiln._autograd import get_grad
        return get_grad(self)

    @grad.setter
    def grad(self, g):
        wire.set_grad(self._c.buf, self._h, 0 if g is None else g._h)
        self._gdef = g is not None

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from kiln._autograd import backward
        backward([self], None if gradient is None else [gradient], retain_graph, create_graph)

    def detach(self):
        c = self._c
        h = c.handle()
        wire.detach(c.buf, self._h, h)
        return Tensor(c, h, self._m, False, True)

    def retain_grad(self):
        wire.retain_grad(self._c.buf, self._h)

    # ---- indexing ----
    def __getitem__(self, idx):
        from kiln._indexing import getitem
        return getitem(self, idx)

    def __setitem__(self, idx, value):
        from kiln._indexing import setitem
        setitem(self, idx, value)

    # ---- a few spellings torch has beyond the table ----
    def view(self, *size):
        if len(size) == 1 and _dtype_arg(size[0]) and not isinstance(size[0], (tuple, list)):
            raise NotImplementedError("kiln: view(dtype) is not supported")
        return call("view", (self,) + size, {})

    def is_contiguous(self):
        return True  # strides live on the daemon; ops that need contiguity make it there

    def get_device(self):
        return -1 if self._m.device == "cpu" else device(self._m.device).index or 0


class _GradFn:
    """A stand-in for torch's grad_fn node: truthy, named by the daemon on request."""

    def __init__(self, t):
        self._t = t

    def name(self):
        text = repr(self._t)
        i = text.find("grad_fn=<")
        return text[i + 9:text.find(">", i)] if i >= 0 else "Node"

    def __repr__(self):
        return "<%s>" % self.name()


# ---- methods and operators from the table ----

def _method(name):
    def m(self, *args, out=None, **kwargs):
        if out is not None:
            return call(name, (self,) + args, kwargs, 2, out)
        return call(name, (self,) + args, kwargs)
    m.__name__ = name
    return m


def _inplace(name):
    def m(self, *args, **kwargs):
        return call(name, (self,) + args, kwargs, 1)
    m.__name__ = name + "_"
    return m


for _name, _ovs in _ops.GROUPS.items():
    if any(o.e["method"] for o in _ovs) and _name not in Tensor.__dict__:
        setattr(Tensor, _name, _method(_name))
    if any(o.e["inplace"] for o in _ovs) and _name + "_" not in Tensor.__dict__:
        setattr(Tensor, _name + "_", _inplace(_name))


def _binary(name, reflected=False):
    def f(self, other):
        if not isinstance(other, (Tensor, int, float, bool)):
            return NotImplemented
        return call(name, (other, self) if reflected else (self, other), {})
    return f


def _iop(name):
    def f(self, other):
        return call(name, (self, other), {}, 1)
    return f


def _pow(self, e):
    return call("pow", (self, e), {})


def _rpow(self, b):
    return call("pow", (b, self), {})


for _op, _name in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"),
                   ("floordiv", "floor_divide"), ("mod", "remainder"), ("and", "bitwise_and"),
                   ("or", "bitwise_or"), ("xor", "bitwise_xor"), ("lshift", "bitwise_left_shift"),
                   ("rshift", "bitwise_right_shift")):
    setattr(Tensor, "__%s__" % _op, _binary(_name))
    setattr(Tensor, "__r%s__" % _op, _binary(_name, True))
    setattr(Tensor, "__i%s__" % _op, _iop(_name))
for _op in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(Tensor, "__%s__" % _op, _binary(_op))
Tensor.__hash__ = object.__hash__
Tensor.__pow__ = _pow
Tensor.__rpow__ = _rpow
Tensor.__ipow__ = _iop("pow")
Tensor.__neg__ = lambda self: call("neg", (self,), {})
Tensor.__pos__ = lambda self: self


def _dyn(method, name):
    def f(self, *a):
        if name not in _ops.GROUPS:
            raise NotImplementedError("kiln: %s needs the op %s, which this kilnd's table lacks"
                                      % (method, name))
        return call(name, (self,) + a, {})
    return f


Tensor.__abs__ = _dyn("abs()", "abs")
Tensor.__matmul__ = _dyn("@", "matmul")
Tensor.__rmatmul__ = lambda self, other: call("matmul", (other, self), {})


def _invert(self):
    if self._meta().dtype == "bool":
        return self.logical_xor(True) if "logical_not" not in _ops.GROUPS else call("logical_not", (self,), {})
    return _dyn("~", "bitwise_not")(self)


Tensor.__invert__ = _invert

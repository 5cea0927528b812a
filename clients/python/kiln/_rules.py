"""Shape and dtype inference: the Python twins of engine/ops/rules.h.

The op table's `compute`, `dtype` and `shape` expressions call these (through the generated
_ops_table.py), so `x.shape` and `x.dtype` are known without asking the daemon, and a bad call
fails at the line that made it. Tensor arguments arrive as objects with `shape` (tuple),
`dtype` (name), `device` (str) and `wrapped` (a Python number); tests/client checks that these
rules and the daemon's agree for every op.
"""

DTYPES = ("bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32", "float64")
FLOATING = ("float16", "bfloat16", "float32", "float64")
_INDEX = {d: i for i, d in enumerate(DTYPES)}

_b1, _u1, _i1, _i4, _i8, _f2, _bf, _f4, _f8 = DTYPES
_PROMOTE = (
    (_b1, _u1, _i1, _i4, _i8, _f2, _bf, _f4, _f8),
    (_u1, _u1, _i4, _i4, _i8, _f2, _bf, _f4, _f8),
    (_i1, _i4, _i1, _i4, _i8, _f2, _bf, _f4, _f8),
    (_i4, _i4, _i4, _i4, _i8, _f2, _bf, _f4, _f8),
    (_i8, _i8, _i8, _i8, _i8, _f2, _bf, _f4, _f8),
    (_f2, _f2, _f2, _f2, _f2, _f2, _f4, _f4, _f8),
    (_bf, _bf, _bf, _bf, _bf, _f4, _bf, _f4, _f8),
    (_f4, _f4, _f4, _f4, _f4, _f4, _f4, _f4, _f8),
    (_f8, _f8, _f8, _f8, _f8, _f8, _f8, _f8, _f8),
)

default_dtype = ["float32"]  # torch.get_default_dtype(), settable by kiln.set_default_dtype


class KilnError(RuntimeError):
    """An error the daemon would also raise; raised on the client before anything is sent."""


def fail(kind, msg):
    raise {"RuntimeError": RuntimeError, "IndexError": IndexError, "TypeError": TypeError,
           "ValueError": ValueError}[kind](msg)


def promote_types(a, b):
    return _PROMOTE[_INDEX[a]][_INDEX[b]]


def is_floating(d):
    return d in FLOATING


def _category(d):
    return 1 if d == "bool" else (3 if d in FLOATING else 2)


def shape_str(s):
    return "[" + ", ".join(str(x) for x in s) + "]"


def wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        fail("IndexError", "Dimension out of range (expected to be in range of [%d, %d], but got %d)"
             % (-n, n - 1, dim))
    return dim + n if dim < 0 else dim


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


# ---- plumbing ----

def list_outputs(shapes, dtypes):
    """For ops returning Tensor[]: rules give a list of shapes and one dtype or a list."""
    if isinstance(dtypes, str):
        dtypes = [dtypes] * len(shapes)
    return list(zip(shapes, dtypes))


# ---- dtype rules ----

def promote(op, *tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    dim = zero = wrapped = None
    for t in tensors:
        if t is None:
            continue
        if t.wrapped:
            d = default_dtype[0] if t.dtype in FLOATING else t.dtype
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        elif len(t.shape) == 0:
            zero = t.dtype if zero is None else promote_types(zero, t.dtype)
        else:
            dim = t.dtype if dim is None else promote_types(dim, t.dtype)

    def combine(higher, lower):
        if higher is None:
            return lower
        if lower is None:
            return higher
        if _category(lower) > _category(higher):
            return promote_types(higher, lower)
        return higher

    r = combine(dim, combine(zero, wrapped))
    if r is None:
        fail("TypeError", "%s: no tensor arguments to take a dtype from" % op)
    return r


def _to_float(d):
    return d if d in FLOATING else default_dtype[0]


def promote_float(op, *tensors):
    return _to_float(promote(op, *tensors))


def div_dtype(op, a, b, rounding_mode):
    return promote(op, a, b) if rounding_mode is not None else promote_float(op, a, b)


def sum_dtype(op, a):
    return a.dtype if a.dtype in FLOATING else "int64"


def dtype_of(op, a):
    if isinstance(a, (list, tuple)):
        return list_dtype(op, a)
    return a.dtype


def list_dtype(op, tensors):
    if len(tensors) == 0:
        fail("ValueError", "%s: expected a non-empty list of Tensors" % op)
    return promote(op, *tensors)


def arg(op, d, fallback):
    return fallback if d is None else d


def default_float(op):
    return default_dtype[0]


def scalar_dtype(op, s):
    if isinstance(s, bool):
        return "bool"
    if isinstance(s, int):
        return "int64"
    return default_dtype[0]


def floating_arg(op, d):
    t = default_dtype[0] if d is None else d
    if t not in FLOATING:
        fail("TypeError", "%s: expected a floating point dtype, got %s" % (op, t))
    return t


def require_floating(op, a):
    if a.dtype not in FLOATING:
        fail("TypeError", "%s: expected a floating point tensor, got %s" % (op, a.dtype))
    return a.dtype


# ---- shape rules ----

def shape_of(op, a):
    return tuple(a.shape)


def broadcast_shapes(op, a, b):
    n = max(len(a), len(b))
    out = []
    for i in range(n):
        da = 1 if i < n - len(a) else a[i - (n - len(a))]
        db = 1 if i < n - len(b) else b[i - (n - len(b))]
        if not (da == db or da == 1 or db == 1):
            fail("RuntimeError", "%s: shapes %s and %s do not broadcast (size %d vs %d at dimension %d)"
                 % (op, shape_str(a), shape_str(b), da, db, i))
        out.append(db if da == 1 else da)
    return tuple(out)


def broadcast(op, a, b, c=None):
    s = broadcast_shapes(op, a.shape, b.shape)
    return s if c is None else broadcast_shapes(op, s, c.shape)


def size(op, sizes):
    sizes = tuple(sizes)
    for s in sizes:
        if s < 0:
            fail("ValueError", "%s: negative dimension %d in size %s" % (op, s, shape_str(sizes)))
    if numel(sizes) >= 2 ** 63:
        fail("ValueError", "%s: size %s has too many elements (overflows int64)"
             % (op, shape_str(sizes)))
    return sizes


def scalar(op):
    return ()


def reduce_dims(op, ndim, dim):
    if dim is None:
        return list(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    if len(dim) == 0:
        return list(range(ndim))
    seen = set()
    for d in dim:
        w = wrap_dim(d, ndim)
        if w in seen:
            fail("RuntimeError", "%s: dim %d appears multiple times in the list of dims" % (op, w))
        seen.add(w)
    return sorted(seen)


def reduce(op, self, dim, keepdim):
    dims = set(reduce_dims(op, len(self.shape), dim))
    out = []
    for d, s in enumerate(self.shape):
        if d not in dims:
            out.append(s)
        elif keepdim:
            out.append(1)
    return tuple(out)


# ---- views ----

def view_shape(op, self, size_):
    shape = list(size_)
    infer, known = None, 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                fail("RuntimeError", "%s: only one dimension can be inferred" % op)
            infer = i
        elif s < 0:
            fail("RuntimeError", "%s: invalid shape dimension %d" % (op, s))
        else:
            known *= s
    n = numel(self.shape)
    if infer is not None:
        if known == 0 or n % known != 0:
            fail("RuntimeError", "%s: shape '%s' is invalid for input of size %d"
                 % (op, shape_str(size_), n))
        shape[infer] = n // known
    elif known != n:
        fail("RuntimeError", "%s: shape '%s' is invalid for input of size %d" % (op, shape_str(size_), n))
    return tuple(shape)


def permute(op, self, dims):
    nd = len(self.shape)
    if len(dims) != nd:
        fail("RuntimeError", "%s: number of dims don't match in permute (input has %d, got %d)"
             % (op, nd, len(dims)))
    seen, out = set(), []
    for d in dims:
        w = wrap_dim(d, nd)
        if w in seen:
            fail("RuntimeError", "%s: repeated dim in permute" % op)
        seen.add(w)
        out.append(self.shape[w])
    return tuple(out)


def transpose(op, self, dim0, dim1):
    nd = len(self.shape)
    out = list(self.shape)
    a, b = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    if nd == 0:
        return ()
    out[a], out[b] = out[b], out[a]
    return tuple(out)


def expand(op, self, size_):
    nd = len(self.shape)
    if len(size_) < nd:
        fail("RuntimeError", "%s: the number of sizes provided (%d) must be greater or equal to the "
             "number of dimensions in the tensor (%d)" % (op, len(size_), nd))
    lead = len(size_) - nd
    out = []
    for i, want in enumerate(size_):
        if i < lead:
            if want < 0:
                fail("RuntimeError", "%s: the expanded size of the tensor (%d) isn't allowed in a "
                     "leading, non-existing dimension %d" % (op, want, i))
            out.append(want)
            continue
        have = self.shape[i - lead]
        w = have if want == -1 else want
        if not (have == w or have == 1):
            fail("RuntimeError", "%s: the expanded size of the tensor (%d) must match the existing "
                 "size (%d) at non-singleton dimension %d.  Target sizes: %s.  Tensor sizes: %s"
                 % (op, w, have, i, shape_str(size_), shape_str(self.shape)))
        out.append(w)
    return tuple(out)


# ---- creation and random ----
# (end)


# ---- unary ----
# (end)


# ---- binary ----

_LIMITS = {"uint8": (0, 255), "int8": (-128, 127), "int32": (-2 ** 31, 2 ** 31 - 1),
           "float16": (-65504.0, 65504.0), "bfloat16": (-3.3895313892515355e38, 3.3895313892515355e38),
           "float32": (-3.4028234663852886e38, 3.4028234663852886e38)}
_TORCH_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
                "bool": "Bool", "uint8": "Byte", "int8": "Char", "int32": "Int", "int64": "Long"}


def check_scalar_fits(op, s, dtype):
    if isinstance(s, bool) or dtype in ("bool", "float64"):
        return
    lo, hi = _LIMITS.get(dtype, (-2 ** 63, 2 ** 63 - 1))
    if isinstance(s, int):
        if dtype == "int64":
            return
        # Negative numbers may wrap into uint8 (a - b is a + 255 * b), as in PyTorch.
        bad = (s > 255 or s < -255) if dtype == "uint8" else (s < lo or s > hi)
    elif s != s:
        bad = dtype not in FLOATING
    elif s in (float("inf"), float("-inf")) and dtype in FLOATING:
        bad = False
    else:
        bad = s < lo or s > hi
    if bad:
        fail("RuntimeError", "%s: value cannot be converted to type %s without overflow" % (op, dtype))


def promote_alpha(op, a, b, alpha):
    r = promote(op, a, b)
    if r not in FLOATING and isinstance(alpha, float):
        fail("RuntimeError", "%s: For integral input tensors, argument alpha must not be a floating point "
             "number." % op)
    if r != "bool" and isinstance(alpha, bool):
        fail("RuntimeError", "%s: Boolean alpha only supported for Boolean results." % op)
    check_scalar_fits(op, alpha, r)
    return r


def div_mode_dtype(op, a, b, rounding_mode):
    if rounding_mode not in (None, "trunc", "floor"):
        fail("ValueError", "%s: expected rounding_mode to be one of None, 'trunc', or 'floor' but found '%s'"
             % (op, rounding_mode))
    return div_dtype(op, a, b, rounding_mode)


def promote_sub(op, a, b, alpha):
    ba, bb = a.dtype == "bool", b.dtype == "bool"
    if ba and bb:
        fail("RuntimeError", "%s: Subtraction, the `-` operator, with two bool tensors is not supported. "
             "Use the `^` or `logical_xor()` operator instead." % op)
    if ba or bb:
        fail("RuntimeError", "%s: Subtraction, the `-` operator, with a bool tensor is not supported. "
             "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead." % op)
    return promote_alpha(op, a, b, alpha)


def _number_dtype(s):
    if isinstance(s, bool):
        return "bool"
    return "int64" if isinstance(s, int) else default_dtype[0]


def promote_scalar(op, t, s):
    sd = _number_dtype(s)
    if t.wrapped:
        return promote_types(default_dtype[0] if t.dtype in FLOATING else t.dtype, sd)
    return promote_types(t.dtype, sd) if _category(sd) > _category(t.dtype) else t.dtype


def pow_scalar_dtype(op, self, exponent):
    r = promote_scalar(op, self, exponent)
    if r not in FLOATING and isinstance(exponent, int) and not isinstance(exponent, bool) and exponent < 0:
        fail("RuntimeError", "%s: Integers to negative integer powers are not allowed." % op)
    if r != "float32":
        check_scalar_fits(op, exponent, r)
    return r


def promote_integral(op, a, b, kernel, allow_bool):
    r = promote(op, a, b)
    if r in FLOATING or (r == "bool" and not allow_bool):
        raise NotImplementedError("%s: \"%s\" not implemented for '%s'" % (op, kernel, _TORCH_NAMES[r]))
    return r


def where_dtype(op, condition, self, other):
    if condition.dtype not in ("bool", "uint8"):
        fail("RuntimeError", "%s: expected condition to be a boolean tensor, but got a tensor with dtype %s"
             % (op, condition.dtype))
    r = promote(op, self, other)
    for t in (self, other):
        # A Python number must fit the result (where(c, uint8_tensor, 300) is an error).
        if t.wrapped is not None and not isinstance(t.wrapped, bool):
            check_scalar_fits(op, t.wrapped, r)
    return r


def lerp_dtype(op, self, end, weight):
    if end.dtype != self.dtype:
        fail("RuntimeError", "%s: expected dtype %s for `end` but got dtype %s" % (op, self.dtype, end.dtype))
    if hasattr(weight, "dtype"):
        if weight.dtype != self.dtype:
            fail("RuntimeError", "%s: expected dtype %s for `weight` but got dtype %s"
                 % (op, self.dtype, weight.dtype))
    elif self.dtype in FLOATING:
        check_scalar_fits(op, weight, "float64" if self.dtype == "float64" else "float32")
    return self.dtype


def _integral(d):
    return d not in FLOATING


def addc_dtype(op, self, tensor1, tensor2, value, is_div):
    if is_div and _integral(tensor1.dtype) and _integral(tensor2.dtype):
        fail("RuntimeError", "%s: Integer division with addcdiv is no longer supported, and in a future  "
             "release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
             "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
             ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float "
             "inputs. The future addcdiv behavior is just the latter implementation: (input + value * "
             "tensor1 / tensor2), for all dtypes." % op)
    r = promote(op, self, tensor1, tensor2)
    check_scalar_fits(op, value, r)
    return r
# (end)


# ---- reductions, sort, scan ----
# (end)


# ---- linear algebra ----
# (end)


# ---- indexing and shape ----
# (end)


# ---- nn ----
# (end)


# ---- optim ----

def clip_norm_dtype(op, grads):
    for i, g in enumerate(grads):
        if g is None:
            fail("TypeError", "%s: grads[%d] must be a Tensor, not None" % (op, i))
        if g.dtype not in FLOATING:
            fail("TypeError", "%s: expected floating point gradients, but grads[%d] is %s" % (op, i, g.dtype))
    if len(grads) == 0:
        return default_dtype[0]
    return promote(op, *grads)
# (end)

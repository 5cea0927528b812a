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
           "ValueError": ValueError, "NotImplementedError": NotImplementedError}[kind](msg)


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
        if t.wrapped is not None:
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

def square_dtype(op, self):
    return "int64" if self.dtype == "bool" else self.dtype


def clamp_dtype(op, self, min, max):
    if min is None and max is None:
        fail("RuntimeError", "%s: At least one of 'min' or 'max' must not be None" % op)
    bounds = [b for b in (min, max) if b is not None]
    if any(not isinstance(b, (bool, int, float)) for b in bounds):
        return promote(op, self, *bounds)
    r = self.dtype
    for b in bounds:
        r = promote_scalar(op, _Meta(r, self.shape, self.wrapped), b)
    return r


class _Meta:
    def __init__(self, dtype, shape, wrapped):
        self.dtype, self.shape, self.wrapped = dtype, shape, wrapped


def clamp_shape(op, self, min, max):
    s = tuple(self.shape)
    for b in (min, max):
        if b is not None:
            s = broadcast_shapes(op, s, b.shape)
    return s


def gelu_dtype(op, self, approximate):
    if approximate not in ("none", "tanh"):
        fail("RuntimeError", "%s: approximate argument must be either none or tanh." % op)
    return self.dtype
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
    if t.wrapped is not None:
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

def mean_dtype(op, self, dtype):
    if dtype is not None:
        if not is_floating(dtype):
            fail("RuntimeError", "%s(): could not infer output dtype. Optional dtype must be either "
                 "a floating point or complex dtype. Got: %s" % (op, torch_type_name(dtype)))
        return dtype
    if not is_floating(self.dtype):
        fail("RuntimeError", "%s(): could not infer output dtype. Input dtype must be either a "
             "floating point or complex dtype. Got: %s" % (op, torch_type_name(self.dtype)))
    return self.dtype


def var_dtype(op, self):
    if not is_floating(self.dtype):
        fail("RuntimeError", "%s: std and var only support floating point and complex dtypes" % op)
    return self.dtype


def norm_dtype(op, self, dtype):
    if not is_floating(self.dtype):
        fail("RuntimeError", "%s(): input dtype should be either floating point or complex. Got %s "
             "instead." % (op, torch_type_name(self.dtype)))
    if dtype is not None and not is_floating(dtype):
        fail("RuntimeError", "%s(): the desired output dtype should be either floating point or "
             "complex. Got %s instead." % (op, torch_type_name(dtype)))
    return dtype if dtype is not None else self.dtype


def all_dtype(op, self):
    return "uint8" if self.dtype == "uint8" else "bool"


def _no_identity_all(op, self):
    if numel(self.shape) == 0:
        fail("IndexError", "%s(): Expected reduction dim to be specified for input.numel() == 0. "
             "Specify the reduction dim with the 'dim' argument." % op)


def reduce_all_nonempty(op, self):
    _no_identity_all(op, self)
    return ()


def reduce_nonempty(op, self, dim, keepdim):
    if dim is None or (not isinstance(dim, int) and len(dim) == 0):
        _no_identity_all(op, self)
    else:
        for d in reduce_dims(op, len(self.shape), dim):
            if len(self.shape) and self.shape[d] == 0:
                fail("IndexError", "%s(): Expected reduction dim %d to have non-zero size." % (op, d))
    return reduce(op, self, dim, keepdim)


def scan(op, self, dim):
    wrap_dim(dim, len(self.shape))
    return tuple(self.shape)


def topk(op, self, k, dim):
    d = wrap_dim(dim, len(self.shape))
    size = self.shape[d] if len(self.shape) else 1
    if not 0 <= k <= size:
        fail("RuntimeError", "%s: selected index k out of range" % op)
    if not len(self.shape):
        return ()
    out = list(self.shape)
    out[d] = k
    return tuple(out)
# (end)


# ---- linear algebra ----
# Twins of engine/ops/rules_linalg.cc (same checks, same messages).

def same_dtype(op, a, b):
    if a.dtype != b.dtype:
        fail("RuntimeError", "%s: expected scalar type %s but found %s"
             % (op, torch_type_name(a.dtype), torch_type_name(b.dtype)))
    return a.dtype


def addmm_dtype(op, self, mat1, mat2):
    if self.dtype != mat2.dtype:
        fail("RuntimeError", "%s: self and mat2 must have the same dtype" % op)
    if mat1.dtype != mat2.dtype:
        fail("RuntimeError", "%s: mat1 and mat2 must have the same dtype" % op)
    return mat2.dtype


def dot_dtype(op, a, b):
    if a.dtype != b.dtype:
        fail("RuntimeError", "%s: expected both vectors to have same dtype, but found %s and %s"
             % (op, torch_type_name(a.dtype), torch_type_name(b.dtype)))
    return a.dtype


def matmul_dtype(op, a, b):
    if len(a.shape) == 1 and len(b.shape) == 1:
        return dot_dtype(op, a, b)
    return same_dtype(op, a, b)


def einsum_dtype(op, tensors):
    if not tensors:
        fail("RuntimeError", "%s(): must provide at least one operand" % op)
    for x in tensors:
        same_dtype(op, tensors[0], x)
    return tensors[0].dtype


def _check_multipliable(op, n, m, k, p):
    if m != k:
        fail("RuntimeError", "%s: mat1 and mat2 shapes cannot be multiplied (%dx%d and %dx%d)"
             % (op, n, m, k, p))


def _check_mv(op, self_dim, self_n, mat, vec):
    if not (len(mat.shape) == 2 and len(vec.shape) == 1 and self_dim <= 1):
        fail("RuntimeError", "%s: vector + matrix @ vector expected, got %d, %d, %d"
             % (op, self_dim, len(mat.shape), len(vec.shape)))
    if not (mat.shape[1] == vec.shape[0] and (self_n == mat.shape[0] or self_n == 1)):
        fail("RuntimeError", "%s: size mismatch, got %d, %dx%d,%d"
             % (op, self_n, mat.shape[0], mat.shape[1], vec.shape[0]))


def mm(op, self, mat2):
    for x, what in ((self, "self"), (mat2, "mat2")):
        if len(x.shape) != 2:
            fail("RuntimeError", "%s: %s must be a matrix" % (op, what))
    _check_multipliable(op, self.shape[0], self.shape[1], mat2.shape[0], mat2.shape[1])
    return (self.shape[0], mat2.shape[1])


def bmm(op, self, mat2):
    for x, what in ((self, "batch1"), (mat2, "batch2")):
        if len(x.shape) != 3:
            fail("RuntimeError", "%s: %s must be a 3D tensor" % (op, what))
    a, b = self.shape, mat2.shape
    if not (b[0] == a[0] and b[1] == a[2]):
        fail("RuntimeError", "%s: Expected size for first two dimensions of batch2 tensor to be: "
             "[%d, %d] but got: [%d, %d]." % (op, a[0], a[2], b[0], b[1]))
    return (a[0], a[1], b[2])



def addmm(op, self, mat1, mat2):
    for x, what in ((mat1, "mat1"), (mat2, "mat2")):
        if len(x.shape) != 2:
            fail("RuntimeError", "%s: %s must be a matrix, got %d-D tensor" % (op, what, len(x.shape)))
    _check_multipliable(op, mat1.shape[0], mat1.shape[1], mat2.shape[0], mat2.shape[1])
    return expand(op, self, (mat1.shape[0], mat2.shape[1]))


def baddbmm(op, self, batch1, batch2):
    return expand(op, self, bmm(op, batch1, batch2))


def mv(op, self, vec):
    _check_mv(op, 1, self.shape[0] if len(self.shape) == 2 else 1, self, vec)
    return (self.shape[0],)


def addmv(op, self, mat, vec):
    n = self.shape[0] if len(self.shape) == 1 else 1
    _check_mv(op, len(self.shape), n if len(mat.shape) == 2 else 1, mat, vec)
    return (mat.shape[0],)


def dot(op, self, tensor):
    if not (len(self.shape) == 1 and len(tensor.shape) == 1):
        fail("RuntimeError", "%s: 1D tensors expected, but got %dD and %dD tensors"
             % (op, len(self.shape), len(tensor.shape)))
    a, b = self.shape[0], tensor.shape[0]
    if a != b:
        fail("RuntimeError", "%s: inconsistent tensor size, expected tensor [%d] and src [%d] to "
             "have the same number of elements, but got %d and %d elements respectively"
             % (op, a, b, a, b))
    return ()


def outer(op, self, vec2):
    for x, what in ((self, "self"), (vec2, "vec2")):
        if len(x.shape) != 1:
            fail("RuntimeError", "%s: Expected 1-D argument %s, but got %d-D" % (op, what, len(x.shape)))
    return (self.shape[0], vec2.shape[0])


def matmul(op, self, other):
    da, db = len(self.shape), len(other.shape)
    if da < 1 or db < 1:
        fail("RuntimeError", "%s: both arguments to matmul need to be at least 1D, but they are "
             "%dD and %dD" % (op, da, db))
    a, b = self.shape, other.shape
    if da == 1 and db == 1:
        return dot(op, self, other)
    if db == 1:
        rows = numel(a[:-1])
        if a[-1] != b[0]:
            fail("RuntimeError", "%s: size mismatch, got %d, %dx%d,%d" % (op, rows, rows, a[-1], b[0]))
        return tuple(a[:-1])
    if db == 2 and da not in (1, 2):
        _check_multipliable(op, numel(a[:-1]), a[-1], b[0], b[1])
        return tuple(a[:-1]) + (b[1],)
    if db == 2:
        _check_multipliable(op, a[0] if da == 2 else 1, a[-1], b[0], b[1])
        return (a[0], b[1]) if da == 2 else (b[1],)
    ba = tuple(a[:-2]) if da > 2 else ()
    bb = tuple(b[:-2])
    nb = max(len(ba), len(bb))
    out = []
    for i in range(nb):
        x = 1 if i + len(ba) < nb else ba[i + len(ba) - nb]
        y = 1 if i + len(bb) < nb else bb[i + len(bb) - nb]
        if not (x == y or x == 1 or y == 1):
            fail("RuntimeError", "%s: The size of tensor a (%d) must match the size of tensor b (%d) "
                 "at non-singleton dimension %d" % (op, x, y, i))
        out.append(y if x == 1 else x)
    m, k = a[-1], b[db - 2]
    if m != k:
        fail("RuntimeError", "%s: Expected size for first two dimensions of batch2 tensor to be: "
             "[%d, %d] but got: [%d, %d]." % (op, numel(out), m, numel(out), k))
    if da > 1:
        out.append(a[da - 2])
    out.append(b[db - 1])
    return tuple(out)


EINSUM_LETTERS = 52


def _einsum_label(c):
    return ord(c) - ord("A") if "A" <= c <= "Z" else ord(c) - ord("a") + 26


def _einsum_char(label):
    return chr(ord("A") + label) if label < 26 else chr(ord("a") + label - 26)


def _is_subscript(c):
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def einsum_spec(op, equation, tensors):
    """(inputs, output, sizes): each operand's labels, the output's, each label's size."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    terms = [[]]
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ",":
            terms.append([])
        elif c == ".":
            if lhs[i:i + 3] != "...":
                fail("RuntimeError", "%s(): found '.' for operand %d that is not part of any ellipsis"
                     % (op, len(terms) - 1))
            if -1 in terms[-1]:
                fail("RuntimeError", "%s(): found more than one ellipsis for operand %d"
                     % (op, len(terms) - 1))
            terms[-1].append(-1)
            i += 2
        else:
            if not _is_subscript(c):
                fail("RuntimeError", "%s(): invalid subscript given at index %d in the equation "
                     "string, subscripts must be in [a-zA-Z]" % (op, i))
            terms[-1].append(_einsum_label(c))
        i += 1
    if len(terms) > len(tensors):
        fail("RuntimeError", "%s(): fewer operands were provided than specified in the equation" % op)
    if len(terms) < len(tensors):
        fail("RuntimeError", "%s(): more operands were provided than specified in the equation" % op)
    ell = 0
    for k, term in enumerate(terms):
        nd, nl = len(tensors[k].shape), len(term)
        if -1 in term:
            if nl - 1 > nd:
                fail("RuntimeError", "%s(): the number of subscripts in the equation (%d) is more "
                     "than the number of dimensions (%d) for operand %d" % (op, nl - 1, nd, k))
            ell = max(ell, nd - (nl - 1))
        elif nl != nd:
            fail("RuntimeError", "%s(): the number of subscripts in the equation (%d) does not match "
                 "the number of dimensions (%d) for operand %d and no ellipsis was given"
                 % (op, nl, nd, k))
    sizes = [-1] * (EINSUM_LETTERS + ell)
    count = [0] * EINSUM_LETTERS
    inputs = []
    for k, term in enumerate(terms):
        shape = tensors[k].shape
        labels = []
        for lab in term:
            if lab >= 0:
                if lab in labels:
                    fail("RuntimeError", "%s(): subscript %s is repeated for operand %d (diagonals "
                         "and traces are not supported)" % (op, _einsum_char(lab), k))
                labels.append(lab)
                count[lab] += 1
                continue
            e = len(shape) - (len(term) - 1)
            labels.extend(EINSUM_LETTERS + ell - e + j for j in range(e))
        for d, lab in enumerate(labels):
            s, seen = shape[d], sizes[lab]
            if not (seen in (-1, 1) or s == 1 or s == seen):
                if lab < EINSUM_LETTERS:
                    fail("RuntimeError", "%s(): subscript %s has size %d for operand %d which does not "
                         "broadcast with previously seen size %d" % (op, _einsum_char(lab), s, k, seen))
                fail("RuntimeError", "%s(): dimension %d covered by ellipsis in operand %d has size %d "
                     "which does not broadcast with previously seen ellipsis with size %d for the "
                     "respective dimension" % (op, lab - EINSUM_LETTERS, k, s, seen))
            if seen in (-1, 1):
                sizes[lab] = s
        inputs.append(labels)
    if arrow < 0:
        output = [EINSUM_LETTERS + j for j in range(ell)]
        output += [lab for lab in range(EINSUM_LETTERS) if count[lab] == 1]
        return inputs, output, sizes
    rhs = equation[arrow + 2:]
    output = []
    out_ell = False
    i = 0
    while i < len(rhs):
        c = rhs[i]
        if c == " ":
            i += 1
            continue
        if c == ".":
            if rhs[i:i + 3] != "..." or out_ell:
                fail("RuntimeError", "%s(): found '.' for output that is not part of any ellipsis" % op)
            output += [EINSUM_LETTERS + j for j in range(ell)]
            out_ell = True
            i += 3
            continue
        if not _is_subscript(c):
            fail("RuntimeError", "%s(): invalid subscript given at index %d in the equation string, "
                 "subscripts must be in [a-zA-Z]" % (op, arrow + 2 + i))
        lab = _einsum_label(c)
        if lab in output:
            fail("RuntimeError", "%s(): output subscript %s appears more than once in the output" % (op, c))
        if count[lab] == 0:
            fail("RuntimeError", "%s(): output subscript %s does not appear in the equation for any "
                 "input operand" % (op, c))
        output.append(lab)
        i += 1
    return inputs, output, sizes


def einsum(op, equation, tensors):
    einsum_dtype(op, tensors)
    _, output, sizes = einsum_spec(op, equation, tensors)
    return tuple(sizes[lab] for lab in output)
# (end)


# ---- indexing and shape (and the views of table/view.yaml) ----
# A bool mask's entry count depends on its values, which the client does not have: `index`
# reports that dim as None (the client asks the daemon), and checks what it can.

_TORCH_TYPE = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int32": "Int", "int64": "Long",
               "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}


def torch_type_name(d):
    return _TORCH_TYPE[d]


def _ndim(t):
    return len(t.shape)


def _nonempty_dim(t):
    return max(len(t.shape), 1)


def _size_or_one(t, d):
    return 1 if len(t.shape) == 0 else t.shape[d]


def _is_mask(t):
    return t.dtype in ("bool", "uint8")


def narrow(op, self, dim, start, length):
    if _ndim(self) == 0:
        fail("RuntimeError", "narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, _ndim(self))
    size = self.shape[d]
    if not -size <= start <= size:
        fail("IndexError", "%s: start out of range (expected to be in range of [%d, %d], but got %d)"
             % (op, -size, size, start))
    if start < 0:
        start += size
    if length < 0 or start > size - length:
        fail("RuntimeError", "%s: start (%d) + length (%d) exceeds dimension size (%d)."
             % (op, start, length, size))
    out = list(self.shape)
    out[d] = length
    return tuple(out)


def select(op, self, dim, index):
    if _ndim(self) == 0:
        fail("IndexError", "select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, _ndim(self))
    size = self.shape[d]
    if not -size <= index < size:
        fail("IndexError", "select(): index %d out of range for tensor of size %s at dimension %d"
             % (index, shape_str(self.shape), d))
    return tuple(self.shape[:d]) + tuple(self.shape[d + 1:])


def slice_range(size, start, end, step):
    s = 0 if start is None else start
    e = 2 ** 63 - 1 if end is None else end
    if s < 0:
        s += size
    if e < 0:
        e += size
    s = min(max(s, 0), size)
    e = min(max(e, s), size)
    return s, (e - s + step - 1) // step


def slice_shape(op, self, dim, start, end, step):
    if _ndim(self) == 0:
        fail("IndexError", "slice() cannot be applied to a 0-dim tensor.")
    if step <= 0:
        fail("ValueError", "%s: slice step must be positive" % op)
    d = wrap_dim(dim, _ndim(self))
    out = list(self.shape)
    out[d] = slice_range(out[d], start, end, step)[1]
    return tuple(out)


def unbind(op, self, dim):
    if _ndim(self) == 0:
        fail("IndexError", "%s: Dimension specified as %d but tensor has no dimensions" % (op, dim))
    d = wrap_dim(dim, _ndim(self))
    piece = tuple(self.shape[:d]) + tuple(self.shape[d + 1:])
    return [piece] * self.shape[d]


def squeeze(op, self, dim=None):
    if dim is None:
        return tuple(s for s in self.shape if s != 1)
    if isinstance(dim, int):
        d = wrap_dim(dim, _ndim(self))
        if _ndim(self) > 0 and self.shape[d] == 1:
            return tuple(self.shape[:d]) + tuple(self.shape[d + 1:])
        return tuple(self.shape)
    dims = set(reduce_dims(op, _ndim(self), list(dim))) if len(dim) else set()
    return tuple(s for k, s in enumerate(self.shape) if not (k in dims and s == 1))


def unsqueeze(op, self, dim):
    d = wrap_dim(dim, _ndim(self) + 1)
    out = list(self.shape)
    out.insert(d, 1)
    return tuple(out)


def flatten(op, self, start_dim, end_dim):
    s, e = wrap_dim(start_dim, _ndim(self)), wrap_dim(end_dim, _ndim(self))
    if s > e:
        fail("RuntimeError", "flatten() has invalid args: start_dim cannot come after end_dim")
    if _ndim(self) == 0:
        return (1,)
    return tuple(self.shape[:s]) + (numel(self.shape[s:e + 1]),) + tuple(self.shape[e + 1:])


def unflatten(op, self, dim, sizes):
    if _ndim(self) == 0:
        fail("IndexError", "%s: Dimension specified as %d but tensor has no dimensions" % (op, dim))
    d = wrap_dim(dim, _ndim(self))
    if len(sizes) == 0:
        fail("RuntimeError", "%s: sizes must be non-empty" % op)
    size = self.shape[d]
    piece = list(sizes)
    infer, known = None, 1
    for i, s in enumerate(piece):
        if s == -1:
            if infer is not None:
                fail("RuntimeError", "%s: only one dimension can be inferred" % op)
            infer = i
        elif s < 0:
            fail("RuntimeError", "%s: invalid size %d in %s" % (op, s, shape_str(sizes)))
        else:
            known *= s
    if infer is not None and known != 0 and size % known == 0:
        piece[infer] = size // known
    if numel(piece) != size or (infer is not None and known == 0):
        fail("RuntimeError", "%s: Provided sizes %s don't multiply up to the size of dim %d (%d) in "
             "the input tensor" % (op, shape_str(sizes), dim, size))
    return tuple(self.shape[:d]) + tuple(piece) + tuple(self.shape[d + 1:])


def t(op, self):
    if _ndim(self) > 2:
        fail("RuntimeError", "t() expects a tensor with <= 2 dimensions, but self is %dD" % _ndim(self))
    return tuple(reversed(self.shape))


def split_sizes(op, self, split_size, dim):
    if _ndim(self) == 0:
        fail("RuntimeError", "split expects at least a 1-dimensional tensor")
    if split_size < 0:
        fail("RuntimeError", "split expects split_size be non-negative, but got split_size=%d"
             % split_size)
    size = self.shape[wrap_dim(dim, _ndim(self))]
    if split_size == 0 and size != 0:
        fail("RuntimeError", "%s: split_size can only be 0 if dimension size is 0, but got dimension "
             "size of %d" % (op, size))
    n = 1 if split_size == 0 else max((size + split_size - 1) // split_size, 1)
    return [split_size] * (n - 1) + [size - split_size * (n - 1)]


def split_with_sizes_check(op, self, split_sizes, dim):
    if _ndim(self) == 0:
        fail("RuntimeError", "split expects at least a 1-dimensional tensor")
    size = self.shape[wrap_dim(dim, _ndim(self))]
    if any(s < 0 for s in split_sizes):
        fail("RuntimeError", "split_with_sizes expects split_sizes have only non-negative entries, "
             "but got split_sizes=%s" % shape_str(split_sizes))
    if sum(split_sizes) != size:
        fail("RuntimeError", "split_with_sizes expects split_sizes to sum exactly to %d (input "
             "tensor's size at dimension %d), but got split_sizes=%s"
             % (size, dim, shape_str(split_sizes)))
    return list(split_sizes)


def chunk_sizes(op, self, chunks, dim):
    if _ndim(self) == 0:
        fail("RuntimeError", "chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        fail("RuntimeError", "chunk expects `chunks` to be greater than 0, got: %d" % chunks)
    size = self.shape[wrap_dim(dim, _ndim(self))]
    if size == 0:
        return [0] * chunks
    return split_sizes(op, self, (size + chunks - 1) // chunks, dim)


def _pieces(self, dim, sizes):
    d = wrap_dim(dim, _ndim(self))
    return [tuple(self.shape[:d]) + (s,) + tuple(self.shape[d + 1:]) for s in sizes]


def split(op, self, split_size, dim):
    return _pieces(self, dim, split_sizes(op, self, split_size, dim))


def split_with_sizes(op, self, split_sizes_, dim):
    return _pieces(self, dim, split_with_sizes_check(op, self, split_sizes_, dim))


def chunk(op, self, chunks, dim):
    return _pieces(self, dim, chunk_sizes(op, self, chunks, dim))


def movedim_perm(op, self, source, destination):
    if len(source) != len(destination):
        fail("RuntimeError", "%s: Invalid source or destination dims: source (%s dims) should contain "
             "the same number of dims as destination (%s dims)"
             % (op, shape_str(source), shape_str(destination)))
    nd = _ndim(self)
    perm = [None] * max(nd, 1)
    src_used, dst_used = set(), set()
    for s, t_ in zip(source, destination):
        s, t_ = wrap_dim(s, nd), wrap_dim(t_, nd)
        if s in src_used:
            fail("RuntimeError", "%s: repeated dim in `source` (%s)" % (op, shape_str(source)))
        if t_ in dst_used:
            fail("RuntimeError", "%s: repeated dim in `destination` (%s)" % (op, shape_str(destination)))
        src_used.add(s)
        dst_used.add(t_)
        perm[t_] = s
    rest = iter(k for k in range(nd) if k not in src_used)
    return [p if p is not None else next(rest) for p in perm[:nd]]


def movedim(op, self, source, destination):
    return tuple(self.shape[p] for p in movedim_perm(op, self, source, destination))


def _legacy_empty(t_):
    return tuple(t_.shape) == (0,)


def cat(op, tensors, dim):
    if len(tensors) == 0:
        fail("ValueError", "%s: expected a non-empty list of Tensors" % op)
    ref = None
    for i, t_ in enumerate(tensors):
        if _ndim(t_) == 0:
            fail("RuntimeError", "%s: zero-dimensional tensor (at position %d) cannot be concatenated"
                 % (op, i))
        if ref is None and not _legacy_empty(t_):
            ref = t_
    if ref is None:
        return (0,)
    d = wrap_dim(dim, _ndim(ref))
    out = list(ref.shape)
    out[d] = 0
    for i, t_ in enumerate(tensors):
        if _legacy_empty(t_):
            continue
        if _ndim(t_) != _ndim(ref):
            fail("RuntimeError", "%s: Tensors must have same number of dimensions: got %d and %d"
                 % (op, _ndim(ref), _ndim(t_)))
        for k in range(_ndim(t_)):
            if k != d and t_.shape[k] != ref.shape[k]:
                fail("RuntimeError", "%s: Sizes of tensors must match except in dimension %d. Expected "
                     "size %d but got size %d for tensor number %d in the list."
                     % (op, d, ref.shape[k], t_.shape[k], i))
        out[d] += t_.shape[d]
    return tuple(out)


def stack(op, tensors, dim):
    if len(tensors) == 0:
        fail("ValueError", "%s: stack expects a non-empty TensorList" % op)
    for i, t_ in enumerate(tensors):
        if tuple(t_.shape) != tuple(tensors[0].shape):
            fail("RuntimeError", "%s: stack expects each tensor to be equal size, but got %s at entry 0 "
                 "and %s at entry %d" % (op, shape_str(tensors[0].shape), shape_str(t_.shape), i))
    out = list(tensors[0].shape)
    out.insert(wrap_dim(dim, len(out) + 1), len(tensors))
    return tuple(out)


def index_select(op, self, dim, index):
    if _ndim(index) > 1:
        fail("IndexError", "index_select(): Index is supposed to be a vector")
    if index.dtype not in ("int32", "int64"):
        fail("RuntimeError", "index_select(): Expected dtype int32 or int64 for index")
    d = wrap_dim(dim, _ndim(self))
    if _ndim(self) == 0:
        if numel(index.shape) != 1:
            fail("IndexError", "index_select(): Index to scalar can have only 1 value, got %d value(s)"
                 % numel(index.shape))
        return ()
    out = list(self.shape)
    out[d] = numel(index.shape)
    return tuple(out)


def gather(op, self, dim, index):
    if index.dtype != "int64":
        fail("RuntimeError", "%s(): Expected dtype int64 for index" % op)
    d = wrap_dim(dim, _ndim(self))
    if _nonempty_dim(index) != _nonempty_dim(self):
        fail("RuntimeError", "%s: Index tensor must have the same number of dimensions as input tensor"
             % op)
    for k in range(_nonempty_dim(self)):
        if k != d and _size_or_one(index, k) > _size_or_one(self, k):
            fail("RuntimeError", "%s: Size does not match at dimension %d expected index %s to be smaller "
                 "than self %s apart from dimension %d"
                 % (op, k, shape_str(index.shape), shape_str(self.shape), d))
    return tuple(index.shape)


def _scatter_check(op, self, dim, index, src):
    if index.dtype != "int64":
        fail("RuntimeError", "%s(): Expected dtype int64 for index" % op)
    if src is not None and src.dtype != self.dtype:
        fail("RuntimeError", "%s(): Expected self.dtype to be equal to src.dtype" % op)
    d = wrap_dim(dim, _ndim(self))
    if _nonempty_dim(index) != _nonempty_dim(self):
        fail("RuntimeError", "%s: Index tensor must have the same number of dimensions as self tensor"
             % op)
    if src is not None and _nonempty_dim(src) != _nonempty_dim(self):
        fail("RuntimeError", "%s: Index tensor must have the same number of dimensions as src tensor"
             % op)
    for k in range(_nonempty_dim(self)):
        n = _size_or_one(index, k)
        ok = (k == d or n <= _size_or_one(self, k)) and (src is None or n <= _size_or_one(src, k))
        if not ok:
            fail("RuntimeError", "%s: Expected index %s to be smaller than self %s apart from dimension "
                 "%d%s" % (op, shape_str(index.shape), shape_str(self.shape), d,
                           "" if src is None else " and to be smaller size than src %s"
                           % shape_str(src.shape)))


def _reduce_check(op, reduce_):
    if reduce_ not in ("add", "multiply"):
        fail("RuntimeError", "%s: reduce argument must be either add or multiply." % op)


def scatter(op, self, dim, index, src=None, reduce_=None):
    if reduce_ is not None:
        _reduce_check(op, reduce_)
    _scatter_check(op, self, dim, index, src)
    return tuple(self.shape)


def scatter_value_reduce(op, self, dim, index, reduce_):
    _reduce_check(op, reduce_)
    _scatter_check(op, self, dim, index, None)
    return tuple(self.shape)


def scatter_add(op, self, dim, index, src):
    return scatter(op, self, dim, index, src)


def index_add(op, self, dim, index, source):
    if _ndim(index) > 1:
        fail("IndexError", "%s_(): Index is supposed to be a vector, but got dim: %d with type: %s and "
             "size: %s" % (op, _ndim(index), torch_type_name(index.dtype), shape_str(index.shape)))
    if index.dtype not in ("int32", "int64"):
        fail("RuntimeError", "%s_(): Expected dtype int32/int64 for index" % op)
    if self.dtype != source.dtype:
        fail("RuntimeError", "%s_(): self (%s) and source (%s) must have the same scalar type"
             % (op, torch_type_name(self.dtype), torch_type_name(source.dtype)))
    d = wrap_dim(dim, _ndim(self))
    if _nonempty_dim(source) != _nonempty_dim(self):
        fail("RuntimeError", "%s_(): self and source must have the same number of dimensions, but got "
             "%d and %d" % (op, _ndim(self), _ndim(source)))
    if numel(index.shape) != _size_or_one(source, d):
        fail("RuntimeError", "%s_(): Number of indices (%d) should be equal to source.size(dim): (%d), "
             "for dim: %d" % (op, numel(index.shape), _size_or_one(source, d), dim))
    for k in range(_nonempty_dim(self)):
        if k != d and _size_or_one(self, k) != _size_or_one(source, k):
            fail("RuntimeError", "%s_(): Source/destination tensor must have same slice shapes. "
                 "Destination slice shape: %d at dimension %d and source slice shape: %d at "
                 "dimension %d." % (op, _size_or_one(self, k), k, _size_or_one(source, k), k))
    return tuple(self.shape)


def _broadcast_known(a, b):
    """Broadcasts shapes whose entries may be None (unknown): None against n gives n when n is
    not 1, else None. Returns None when two known sizes clash."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x is None or y is None:
            k = y if x is None else x
            out.append(None if k in (None, 1) else k)
        elif x == y or x == 1 or y == 1:
            out.append(y if x == 1 else x)
        else:
            return None
    return tuple(out)


def index(op, self, indices):
    consumed = sum(_ndim(t_) if t_ is not None and _is_mask(t_) else 1 for t_ in indices)
    if consumed > _ndim(self):
        fail("IndexError", "%s: too many indices for tensor of dimension %d (got %d)"
             % (op, _ndim(self), consumed))
    sizes = list(self.shape)
    indexed, shapes, d = [], [], 0
    for t_ in indices:
        if t_ is None:
            indexed.append(False)
            d += 1
            continue
        if _is_mask(t_):
            if _ndim(t_) == 0:
                sizes.insert(d, 1)
            for k in range(_ndim(t_)):
                if t_.shape[k] != sizes[d + k]:
                    fail("IndexError", "%s: The shape of the mask %s at index %d does not match the shape "
                         "of the indexed tensor %s at index %d"
                         % (op, shape_str(t_.shape), k, shape_str(self.shape), d + k))
            for _ in range(max(_ndim(t_), 1)):
                indexed.append(True)
                shapes.append((None,))
            d += max(_ndim(t_), 1)
            continue
        if t_.dtype != "int64":
            fail("IndexError", "%s: tensors used as indices must be long, byte or bool tensors" % op)
        indexed.append(True)
        shapes.append(tuple(t_.shape))
        d += 1
    indexed += [False] * (len(sizes) - len(indexed))
    if not shapes:
        return tuple(sizes)
    b = shapes[0]
    for s in shapes:
        b = None if b is None else _broadcast_known(b, s)
    if b is None:
        fail("IndexError", "%s: shape mismatch: indexing tensors could not be broadcast together with "
             "shapes %s" % (op, ", ".join(shape_str(["?" if x is None else x for x in s])
                                          for s in shapes)))
    pos = [k for k, on in enumerate(indexed) if on]
    if pos[-1] - pos[0] + 1 == len(pos):
        return tuple(sizes[:pos[0]]) + b + tuple(sizes[pos[-1] + 1:])
    return b + tuple(s for k, s in enumerate(sizes) if not indexed[k])


def index_put(op, self, indices, values):
    if values.dtype != self.dtype:
        fail("RuntimeError", "%s: Index put requires the source and destination dtypes match, got %s "
             "for the destination and %s for the source."
             % (op, torch_type_name(self.dtype), torch_type_name(values.dtype)))
    result = index(op, self, indices)
    v = tuple(values.shape)
    ok = len(v) <= len(result) and all(
        x == 1 or y is None or x == y for x, y in zip(reversed(v), reversed(result)))
    if not ok:
        fail("RuntimeError", "%s: shape mismatch: value tensor of shape %s cannot be broadcast to "
             "indexing result of shape %s"
             % (op, shape_str(v), shape_str(["?" if x is None else x for x in result])))
    return tuple(self.shape)


def masked_fill(op, self, mask, value=None):
    if value is not None and _ndim(value) != 0:
        fail("RuntimeError", "masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
             "with %d dimension(s)." % _ndim(value))
    if not _is_mask(mask):
        fail("RuntimeError", "masked_fill_ only supports boolean masks, but got mask with dtype %s"
             % mask.dtype)
    return broadcast_shapes(op, self.shape, mask.shape)


def repeat(op, self, repeats):
    if len(repeats) < _ndim(self):
        fail("RuntimeError", "%s: Number of dimensions of repeat dims can not be smaller than number of "
             "dimensions of tensor" % op)
    lead = len(repeats) - _ndim(self)
    out = [r * (1 if i < lead else self.shape[i - lead]) for i, r in enumerate(repeats)]
    for i, r in enumerate(repeats):
        if r < 0:
            fail("RuntimeError", "%s: Trying to create tensor with negative dimension %d: %s"
                 % (op, out[i], shape_str(out)))
    return size(op, out)


def tile(op, self, dims):
    return repeat(op, self, (1,) * max(_ndim(self) - len(dims), 0) + tuple(dims))


def repeat_interleave(op, self, repeats, dim):
    if repeats < 0:
        fail("RuntimeError", "%s: repeats can not be negative" % op)
    if dim is not None and _ndim(self) == 0:
        fail("IndexError", "%s: Dimension specified as %d but tensor has no dimensions" % (op, dim))
    if dim is None:
        return (numel(self.shape) * repeats,)
    out = list(self.shape)
    out[wrap_dim(dim, _ndim(self))] *= repeats
    return tuple(out)


def flip(op, self, dims):
    if len(dims):
        reduce_dims(op, _ndim(self), list(dims))
    return tuple(self.shape)


def roll(op, self, shifts, dims):
    if len(shifts) == 0:
        fail("RuntimeError", "%s: `shifts` required" % op)
    if not (len(shifts) == len(dims) or (len(dims) == 0 and len(shifts) == 1)):
        fail("RuntimeError", "%s: shifts and dimensions must align. shifts: %d, dims:%d"
             % (op, len(shifts), len(dims)))
    for d in dims:
        if _ndim(self) == 0:
            fail("IndexError", "Dimension specified as %d but tensor has no dimensions" % d)
        wrap_dim(d, _ndim(self))
    return tuple(self.shape)


def triangle(op, self, diagonal):
    if _ndim(self) < 2:
        fail("RuntimeError", "%s: input tensor must have at least 2 dimensions" % op)
    return tuple(self.shape)


def _padded(op, self, pad_, k):
    out = list(self.shape)
    for i in range(k):
        d = _ndim(self) - 1 - i
        n = out[d] + pad_[2 * i] + pad_[2 * i + 1]
        if n < 0:
            fail("RuntimeError", "%s: The input size %d, plus negative padding %d and %d resulted in a "
                 "negative output size, which is invalid. Check dimension %d of your input."
                 % (op, out[d], pad_[2 * i], pad_[2 * i + 1], d))
        out[d] = n
    return tuple(out)


def constant_pad_nd(op, self, pad_):
    if len(pad_) % 2:
        fail("RuntimeError", "%s: Length of pad must be even but instead it equals %d" % (op, len(pad_)))
    k = len(pad_) // 2
    if k > _ndim(self):
        fail("RuntimeError", "%s: Length of pad should be no more than twice the number of dimensions "
             "of the input. Pad length is %d while the input has %d dimensions."
             % (op, len(pad_), _ndim(self)))
    return _padded(op, self, pad_, k)


def pad(op, self, pad_, mode, value):
    if mode == "constant":
        return constant_pad_nd(op, self, pad_)
    if mode not in ("reflect", "replicate", "circular"):
        fail("NotImplementedError", "%s: Unrecognised padding mode %s" % (op, mode))
    if value is not None:
        fail("RuntimeError", '%s: Padding mode "%s" doesn\'t take in value argument' % (op, mode))
    if len(pad_) % 2:
        fail("RuntimeError", "%s: Padding length must be divisible by 2" % op)
    k, nd = len(pad_) // 2, _ndim(self)
    if k > nd:
        fail("RuntimeError", "%s: Padding length too large" % op)
    if not (1 <= k <= 3 and nd in (k + 1, k + 2)):
        fail("NotImplementedError", "%s: Only 2D, 3D, 4D, 5D padding with non-constant padding are "
             "supported for now" % op)
    if mode == "circular" and nd != k + 2:
        fail("RuntimeError", "%s: Invalid padding size, expected %d but got %d"
             % (op, 2 * (nd - 2), len(pad_)))
    for d in range(1 if nd == k + 2 else 0, nd):
        if self.shape[d] == 0:
            fail("RuntimeError", "%s: expected %dD or %dD (batch mode) tensor with possibly 0 batch size "
                 "and other non-zero dimensions for input, but got: %s"
                 % (op, k + 1, k + 2, shape_str(self.shape)))
    for i in range(k):
        d, l, r = nd - 1 - i, pad_[2 * i], pad_[2 * i + 1]
        n = self.shape[d]
        if mode == "reflect" and not (l < n and r < n):
            fail("RuntimeError", "%s: Argument #4: Padding size should be less than the corresponding "
                 "input dimension, but got: padding (%d, %d) at dimension %d of input %s"
                 % (op, l, r, d, shape_str(self.shape)))
        if mode == "circular" and not (l <= n and r <= n):
            fail("RuntimeError", "%s: Padding value causes wrapping around more than once." % op)
        if mode == "circular" and n + min(l, 0) + min(r, 0) <= 0 and n + l + r != 0:
            fail("RuntimeError", "%s: circular padding of dimension %d has nothing left to repeat after "
                 "cropping by (%d, %d)" % (op, d, l, r))
    return _padded(op, self, pad_, k)


def _check_input_sizes(op, input_sizes):
    size(op, input_sizes)
    if len(input_sizes) == 0:
        fail("RuntimeError", "%s: input_sizes must have at least one dim" % op)


def slice_backward(op, grad_output, input_sizes, dim, start, end, step):
    _check_input_sizes(op, input_sizes)
    if step <= 0:
        fail("ValueError", "%s: slice step must be positive" % op)
    d = wrap_dim(dim, len(input_sizes))
    expected = list(input_sizes)
    expected[d] = slice_range(expected[d], start, end, step)[1]
    if tuple(grad_output.shape) != tuple(expected):
        fail("RuntimeError", "%s: grad_output of shape %s does not match the slice's shape %s"
             % (op, shape_str(grad_output.shape), shape_str(expected)))
    return tuple(input_sizes)


def select_backward(op, grad_output, input_sizes, dim, index_):
    _check_input_sizes(op, input_sizes)
    d = wrap_dim(dim, len(input_sizes))
    if not -input_sizes[d] <= index_ < input_sizes[d]:
        fail("IndexError", "%s: index %d out of range for size %d at dimension %d"
             % (op, index_, input_sizes[d], d))
    expected = tuple(input_sizes[:d]) + tuple(input_sizes[d + 1:])
    if tuple(grad_output.shape) != expected:
        fail("RuntimeError", "%s: grad_output of shape %s does not match the selection's shape %s"
             % (op, shape_str(grad_output.shape), shape_str(expected)))
    return tuple(input_sizes)
# (end)


# ---- nn ----
# (end)


# ---- nn_conv: convolution and pooling ----

def _per_dim(op, name, v, k):
    v = tuple(v)
    if len(v) not in (1, k):
        fail("RuntimeError", "%s: expected %s to be a single integer value or a list of %d values to match "
             "the convolution dimensions, but got %s=%s" % (op, name, k, name, shape_str(v)))
    return v * k if len(v) == 1 else v


def _x_join(v):
    return " x ".join(str(x) for x in v)


def _conv_check(op, inp, w, bias, stride, padding, dilation, transposed, output_padding, groups):
    nd = len(inp)
    if nd not in (3, 4):
        fail("RuntimeError", "%s: expected a batched input with 1 or 2 spatial dims, but got input of size: %s"
             % (op, shape_str(inp)))
    if len(w) != nd:
        fail("RuntimeError", "%s: Expected %d-dimensional input for %d-dimensional weight %s, but got "
             "%d-dimensional weight instead" % (op, nd, nd, shape_str(w), len(w)))
    k = nd - 2
    stride = _per_dim(op, "stride", stride, k)
    padding = _per_dim(op, "padding", padding, k)
    dilation = _per_dim(op, "dilation", dilation, k)
    output_padding = _per_dim(op, "output_padding", output_padding, k)
    if any(s < 1 for s in stride):
        fail("RuntimeError", "%s: non-positive stride is not supported" % op)
    if any(p < 0 for p in padding):
        fail("RuntimeError", "%s: negative padding is not supported" % op)
    if any(p < 0 for p in output_padding):
        fail("RuntimeError", "%s: negative output_padding is not supported" % op)
    if any(d < 1 for d in dilation):
        fail("RuntimeError", "%s: non-positive dilation is not supported" % op)
    if groups <= 0:
        fail("RuntimeError", "%s: non-positive groups is not supported" % op)
    if w[0] <= 0:
        fail("RuntimeError", "%s: Given groups=%d, expected weight to be at least 1 at dimension 0, but got "
             "weight of size %s instead" % (op, groups, shape_str(w)))
    if w[0] % groups:
        fail("RuntimeError", "%s: Given groups=%d, expected weight to be divisible by %d at dimension 0, but "
             "got weight of size [%s] instead" % (op, groups, groups, shape_str(w)))
    c_out = w[1] * groups if transposed else w[0]
    if not transposed and inp[1] != w[1] * groups:
        fail("RuntimeError", "%s: Given groups=%d, weight of size %s, expected input%s to have %d channels, "
             "but got %d channels instead" % (op, groups, shape_str(w), shape_str(inp), w[1] * groups, inp[1]))
    if transposed and inp[1] != w[0]:
        fail("RuntimeError", "%s: Given transposed=1, weight of size %s, expected input%s to have %d channels, "
             "but got %d channels instead" % (op, shape_str(w), shape_str(inp), w[0], inp[1]))
    if bias is not None and (len(bias.shape) != 1 or bias.shape[0] != c_out):
        fail("RuntimeError", "%s: Given %sweight of size %s, expected bias to be 1-dimensional with %d "
             "elements, but got bias of size %s instead"
             % (op, "transposed=1, " if transposed else "", shape_str(w), c_out, shape_str(bias.shape)))
    kernel = [dilation[d] * (w[2 + d] - 1) + 1 for d in range(k)]
    if not transposed:
        padded = [inp[2 + d] + 2 * padding[d] for d in range(k)]
        if any(padded[d] < kernel[d] for d in range(k)):
            fail("RuntimeError", "%s: Calculated padded input size per channel: (%s). Kernel size: (%s). "
                 "Kernel size can't be greater than actual input size" % (op, _x_join(padded), _x_join(kernel)))
        outs = [(padded[d] - kernel[d]) // stride[d] + 1 for d in range(k)]
    else:
        outs = []
        for d in range(k):
            if not (output_padding[d] < stride[d] or output_padding[d] < dilation[d]):
                fail("RuntimeError", "%s: output padding must be smaller than either stride or dilation, but got "
                     "output_padding=%d stride=%d dilation=%d" % (op, output_padding[d], stride[d], dilation[d]))
            outs.append((inp[2 + d] - 1) * stride[d] - 2 * padding[d] + kernel[d] + output_padding[d])
        if any(o < 1 for o in outs):
            fail("RuntimeError", "%s: Given input size per channel: (%s). Calculated output size per channel: "
                 "(%s). Output size is too small" % (op, _x_join(inp[2:]), _x_join(outs)))
    return (inp[0], c_out) + tuple(outs)


def conv_dtype(op, input, weight, bias):
    for t in (weight, bias):
        if t is not None and t.dtype != input.dtype:
            fail("RuntimeError", "%s: expected scalar type %s but found %s"
                 % (op, torch_type_name(input.dtype), torch_type_name(t.dtype)))
    return input.dtype


def conv_shape(op, input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    return _conv_check(op, tuple(input.shape), tuple(weight.shape), bias, stride, padding, dilation,
                       transposed, output_padding, groups)


def _with_batch(op, input, weight, k):
    if len(input.shape) not in (k + 1, k + 2):
        fail("RuntimeError", "%s: Expected %dD (unbatched) or %dD (batched) input to %s, but got input of "
             "size: %s" % (op, k + 1, k + 2, op, shape_str(input.shape)))
    if len(weight.shape) != k + 2:
        fail("RuntimeError", "%s: Expected %d-dimensional weight, but got weight of size %s"
             % (op, k + 2, shape_str(weight.shape)))
    return ((1,) if len(input.shape) == k + 1 else ()) + tuple(input.shape)


def _drop_batch(input, k, out):
    return tuple(out[1:]) if len(input.shape) == k + 1 else tuple(out)


def conv_nd_shape(op, input, weight, bias, stride, padding, dilation, groups, k):
    inp = _with_batch(op, input, weight, k)
    return _drop_batch(input, k, _conv_check(op, inp, tuple(weight.shape), bias, stride, padding, dilation,
                                             False, (0,), groups))


def same_padding(op, weight, stride, padding, dilation, k):
    if padding not in ("valid", "same"):
        fail("RuntimeError", "%s: Invalid padding string: '%s'" % (op, padding))
    if padding == "valid":
        return [0] * k
    s = _per_dim(op, "stride", stride, k)
    d = _per_dim(op, "dilation", dilation, k)
    if any(x < 1 for x in s):
        fail("RuntimeError", "%s: non-positive stride is not supported" % op)
    total = []
    for i in range(k):
        if s[i] != 1:
            fail("RuntimeError", "%s: padding='same' is not supported for strided convolutions" % op)
        total.append(d[i] * (weight.shape[2 + i] - 1 if len(weight.shape) == k + 2 else 0))
    return total


def conv_nd_str_shape(op, input, weight, bias, stride, padding, dilation, groups, k):
    inp = _with_batch(op, input, weight, k)
    total = same_padding(op, weight, stride, padding, dilation, k)
    out = list(_conv_check(op, inp, tuple(weight.shape), bias, stride, [(t + 1) // 2 for t in total],
                           dilation, False, (0,), groups))
    if padding == "same":
        out[2:] = inp[2:]
    return _drop_batch(input, k, out)


def conv_transpose_nd_shape(op, input, weight, bias, stride, padding, output_padding, groups, dilation, k):
    inp = _with_batch(op, input, weight, k)
    return _drop_batch(input, k, _conv_check(op, inp, tuple(weight.shape), bias, stride, padding, dilation,
                                             True, output_padding, groups))


def conv_backward_input_shape(op, grad_output, input, weight, stride, padding, dilation, transposed,
                              output_padding, groups, output_mask):
    if len(output_mask) != 3:
        fail("RuntimeError", "%s: output_mask must have 3 entries, but got %d" % (op, len(output_mask)))
    out = _conv_check(op, tuple(input.shape), tuple(weight.shape), None, stride, padding, dilation,
                      transposed, output_padding, groups)
    if tuple(grad_output.shape) != out:
        fail("RuntimeError", "%s: expected grad_output of size %s, but got %s"
             % (op, shape_str(out), shape_str(grad_output.shape)))
    return tuple(input.shape) if output_mask[0] else (0,)


def conv_backward_weight_shape(op, weight, output_mask):
    return tuple(weight.shape) if output_mask[1] else (0,)


def conv_backward_bias_shape(op, weight, bias_sizes, transposed, groups, output_mask):
    if not output_mask[2]:
        return (0,)
    return (weight.shape[1] * groups if transposed else weight.shape[0],)


def _pool_args(op, kernel_size, stride, padding, dilation):
    if len(kernel_size) not in (1, 2):
        fail("RuntimeError", "%s: kernel_size must either be a single int, or a tuple of two ints" % op)
    if len(stride) > 2:
        fail("RuntimeError", "%s: stride must either be omitted, a single int, or a tuple of two ints" % op)
    if len(padding) not in (1, 2):
        fail("RuntimeError", "%s: padding must either be a single int, or a tuple of two ints" % op)
    if len(dilation) not in (1, 2):
        fail("RuntimeError", "%s: dilation must be either a single int, or a tuple of two ints" % op)
    kh = kernel_size[0]
    kw = kernel_size[-1]
    sh = stride[0] if stride else kh
    sw = (stride[-1] if stride else kw)
    ph, pw = padding[0], padding[-1]
    dh, dw = dilation[0], dilation[-1]
    if kh <= 0 or kw <= 0:
        fail("RuntimeError", "%s: kernel size should be greater than zero, but got kH: %d kW: %d" % (op, kh, kw))
    if sh <= 0 or sw <= 0:
        fail("RuntimeError", "%s: stride should be greater than zero, but got dH: %d dW: %d" % (op, sh, sw))
    if dh <= 0 or dw <= 0:
        fail("RuntimeError", "%s: dilation should be greater than zero, but got dilationH: %d dilationW: %d"
             % (op, dh, dw))
    if ph < 0 or pw < 0:
        fail("RuntimeError", "%s: pad must be non-negative, but got padH: %d padW: %d" % (op, ph, pw))
    if ph > kh // 2 or pw > kw // 2:
        bad_h = ph > kh // 2
        fail("RuntimeError", "%s: pad should be at most half of kernel size, but got pad=%d and kernel_size=%d"
             % (op, ph if bad_h else pw, kh if bad_h else kw))
    return kh, kw, sh, sw, ph, pw, dh, dw


def _check_pool_input(op, self):
    n = len(self.shape)
    ok = n in (3, 4) and all(self.shape[d] > 0 for d in range(n - 3, n))
    if not ok:
        fail("RuntimeError", "%s: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
             "input, but got:%s" % (op, shape_str(self.shape)))


def _pool_size(inp, k, pad, s, d, ceil_mode):
    o = (inp + 2 * pad - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= inp + pad:
        o -= 1
    return o


def _pool_out(op, self, p, ceil_mode):
    kh, kw, sh, sw, ph, pw, dh, dw = p
    c, h, w = self.shape[-3:]
    oh, ow = _pool_size(h, kh, ph, sh, dh, ceil_mode), _pool_size(w, kw, pw, sw, dw, ceil_mode)
    if oh < 1 or ow < 1:
        fail("RuntimeError", "%s: Given input size: (%dx%dx%d). Calculated output size: (%dx%dx%d). Output size "
             "is too small" % (op, c, h, w, c, oh, ow))
    return tuple(self.shape[:-2]) + (oh, ow)


def pool2d_shape(op, self, kernel_size, stride, padding, dilation, ceil_mode):
    p = _pool_args(op, kernel_size, stride, padding, dilation)
    _check_pool_input(op, self)
    return _pool_out(op, self, p, ceil_mode)


def pool2d_backward_shape(op, grad_output, self, kernel_size, stride, padding, dilation, ceil_mode, indices):
    out = pool2d_shape(op, self, kernel_size, stride, padding, dilation, ceil_mode)
    if tuple(grad_output.shape) != out or tuple(indices.shape) != out:
        fail("RuntimeError", "%s: expected grad_output and indices of size %s, but got %s and %s"
             % (op, shape_str(out), shape_str(grad_output.shape), shape_str(indices.shape)))
    if indices.dtype != "int64":
        fail("RuntimeError", "%s: expected indices of dtype int64" % op)
    return tuple(self.shape)


def avg_pool2d_shape(op, self, kernel_size, stride, padding, ceil_mode, divisor_override):
    p = _pool_args(op, kernel_size, stride, padding, (1,))
    if divisor_override is not None and divisor_override == 0:
        fail("RuntimeError", "%s: divisor must be not zero" % op)
    _check_pool_input(op, self)
    return _pool_out(op, self, p, ceil_mode)


def avg_pool2d_backward_shape(op, grad_output, self, kernel_size, stride, padding, ceil_mode, divisor_override):
    out = avg_pool2d_shape(op, self, kernel_size, stride, padding, ceil_mode, divisor_override)
    if tuple(grad_output.shape) != out:
        fail("RuntimeError", "%s: expected grad_output of size %s, but got %s"
             % (op, shape_str(out), shape_str(grad_output.shape)))
    return tuple(self.shape)


def adaptive_pool2d_shape(op, self, output_size):
    if len(output_size) != 2:
        fail("RuntimeError", "%s: output_size must be 2" % op)
    if output_size[0] < 0 or output_size[1] < 0:
        fail("RuntimeError", "%s: elements of output_size must be greater than or equal to 0 but received "
             "{%d, %d}" % (op, output_size[0], output_size[1]))
    n = len(self.shape)
    if n not in (3, 4):
        fail("RuntimeError", "%s: Expected 3D or 4D tensor, but got %s" % (op, shape_str(self.shape)))
    for d in range(n - 3, n):
        if self.shape[d] <= 0:
            fail("RuntimeError", "%s: Expected input to have non-zero size for non-batch dimensions, but input "
                 "has sizes %s with dimension %d being empty" % (op, shape_str(self.shape), d))
    return tuple(self.shape[:-2]) + tuple(output_size)


def adaptive_pool2d_backward_shape(op, grad_output, self):
    n = len(self.shape)
    ok = len(grad_output.shape) == n and n in (3, 4) and tuple(grad_output.shape[:-2]) == tuple(self.shape[:-2])
    if not ok:
        fail("RuntimeError", "%s: grad_output of size %s does not match input of size %s"
             % (op, shape_str(grad_output.shape), shape_str(self.shape)))
    return tuple(self.shape)
# (end)


# ---- nn_norm: norms, softmax, embedding, dropout, losses (rules_nn_norm.cc) ----

def _torch_size(s):
    return "torch.Size([%s])" % ", ".join(str(x) for x in s)


def _check_reduction(op, reduction, batchmean=False):
    if reduction not in ("none", "mean", "sum") and not (batchmean and reduction == "batchmean"):
        fail("ValueError", "%s: %s is not a valid value for reduction" % (op, reduction))


def _check_per_channel(op, t, name, c):
    if t is not None and numel(t.shape) != c:
        fail("RuntimeError", "%s: %s should contain %d elements not %d" % (op, name, c, numel(t.shape)))


def softmax(op, self, dim):
    wrap_dim(dim, len(self.shape))
    return tuple(self.shape)


def softmax_backward(op, grad_output, output, dim):
    if tuple(grad_output.shape) != tuple(output.shape):
        fail("RuntimeError", "%s: grad_output of shape %s does not match output of shape %s"
             % (op, shape_str(grad_output.shape), shape_str(output.shape)))
    wrap_dim(dim, len(output.shape))
    return tuple(output.shape)


def layer_norm(op, input, normalized_shape, weight, bias):
    ns = tuple(normalized_shape)
    if not ns:
        fail("RuntimeError", "%s: Expected normalized_shape to be at least 1-dimensional, i.e., "
             "containing at least one element, but got normalized_shape = %s" % (op, shape_str(ns)))
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != ns:
            fail("RuntimeError", "%s: Expected %s to be of same shape as normalized_shape, but got "
                 "%s of shape %s and normalized_shape = %s"
                 % (op, name, name, shape_str(t.shape), shape_str(ns)))
    shape = tuple(input.shape)
    if len(shape) < len(ns) or shape[len(shape) - len(ns):] != ns:
        fail("RuntimeError", "%s: Given normalized_shape=%s, expected input with shape [*%s], but "
             "got input of size%s" % (op, shape_str(ns), "".join(", %d" % s for s in ns),
                                      shape_str(shape)))
    return shape


def layer_norm_stats(op, input, normalized_shape):
    s = list(input.shape)
    k = min(len(normalized_shape), len(s))
    for i in range(len(s) - k, len(s)):
        s[i] = 1
    return tuple(s)


def shape_or_empty(op, t):
    return (0,) if t is None else tuple(t.shape)


def batch_norm(op, input, weight, bias, running_mean, running_var, training):
    shape = tuple(input.shape)
    if len(shape) < 2:
        fail("RuntimeError", "%s: expected an input of at least 2 dims (N, C, ...), got %d-d input "
             "of size %s" % (op, len(shape), shape_str(shape)))
    c = shape[1]
    for t, name in ((weight, "weight"), (bias, "bias"), (running_mean, "running_mean"),
                    (running_var, "running_var")):
        _check_per_channel(op, t, name, c)
    if not training and (running_mean is None or running_var is None):
        fail("RuntimeError", "%s: running_mean and running_var must be defined in evaluation mode" % op)
    for t in (running_mean, running_var):
        if t is not None and t.dtype not in FLOATING:
            fail("TypeError", "%s: running statistics must be floating point, got %s" % (op, t.dtype))
    if training and numel(shape) // max(c, 1) == 1:
        fail("ValueError", "%s: Expected more than 1 value per channel when training, got input size %s"
             % (op, _torch_size(shape)))
    return shape


def batch_norm_stats(op, input, training):
    return (input.shape[1] if training else 0,)


def channels(op, input):
    if len(input.shape) < 2:
        fail("RuntimeError", "%s: expected an input of at least 2 dims (N, C, ...)" % op)
    return (input.shape[1],)


def group_norm_native(op, input, weight, bias, N, C, HxW, group):
    if not (N >= 0 and C >= 0 and HxW >= 0 and group > 0 and numel(input.shape) == N * C * HxW):
        fail("RuntimeError", "%s: input of size %s is not N=%d x C=%d x HxW=%d"
             % (op, shape_str(input.shape), N, C, HxW))
    if C % group != 0:
        fail("RuntimeError", "%s: Expected number of channels in input to be divisible by num_groups, "
             "but got input of shape %s and num_groups=%d" % (op, shape_str(input.shape), group))
    _check_per_channel(op, weight, "weight", C)
    _check_per_channel(op, bias, "bias", C)
    return tuple(input.shape)


def group_norm(op, input, num_groups, weight, bias):
    shape = tuple(input.shape)
    if len(shape) < 2:
        fail("RuntimeError", "%s: Expected at least 2 dimensions for input tensor but received %d"
             % (op, len(shape)))
    c = shape[1]
    if num_groups <= 0 or c % num_groups != 0:
        fail("RuntimeError", "%s: Expected number of channels in input to be divisible by num_groups, "
             "but got input of shape %s and num_groups=%d" % (op, shape_str(shape), num_groups))
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and (len(t.shape) != 1 or numel(t.shape) != c):
            fail("RuntimeError", "%s: Expected %s to be a vector of size equal to the number of "
                 "channels in input, but got %s of shape %s and input of shape %s"
                 % (op, name, name, shape_str(t.shape), shape_str(shape)))
    return shape


def embedding(op, weight, indices, padding_idx, sparse):
    if len(weight.shape) != 2:
        fail("RuntimeError", "%s: 'weight' must be 2-D" % op)
    if indices.dtype not in ("int64", "int32"):
        fail("TypeError", "%s: Expected tensor for argument #1 'indices' to have one of the following "
             "scalar types: Long, Int; but got %s instead" % (op, torch_type_name(indices.dtype)))
    if sparse:
        fail("NotImplementedError", "%s: sparse gradients are not supported" % op)
    return tuple(indices.shape) + (weight.shape[1],)


def embedding_backward(op, grad_output, indices, num_weights):
    if indices.dtype not in ("int64", "int32"):
        fail("TypeError", "%s: indices must be Long or Int, got %s" % (op, torch_type_name(indices.dtype)))
    if num_weights < 0:
        fail("RuntimeError", "%s: num_weights must be non-negative, got %d" % (op, num_weights))
    g, i = tuple(grad_output.shape), tuple(indices.shape)
    if len(g) != len(i) + 1 or g[:len(i)] != i:
        fail("RuntimeError", "%s: grad_output of size %s does not match indices of size %s plus an "
             "embedding dim" % (op, shape_str(g), shape_str(i)))
    return (num_weights, g[-1])


def dropout(op, input, p):
    if not 0 <= p <= 1:
        fail("ValueError", "%s: dropout probability has to be between 0 and 1, but got %s" % (op, p))
    return tuple(input.shape)


def dropout_backward(op, grad_output, mask):
    if mask.dtype != "bool":
        fail("TypeError", "%s: Mask should be Bool Scalar Type %s" % (op, mask.dtype))
    if tuple(grad_output.shape) != tuple(mask.shape):
        fail("RuntimeError", "%s: grad_output of size %s does not match mask of size %s"
             % (op, shape_str(grad_output.shape), shape_str(mask.shape)))
    return tuple(grad_output.shape)


def nll_loss(op, input, target, weight, reduction):
    _check_reduction(op, reduction)
    x, t = tuple(input.shape), tuple(target.shape)
    if len(x) < 1:
        fail("RuntimeError", "%s: input tensor should be 1D or more, got 0D" % op)
    if target.dtype != "int64":
        fail("TypeError", "%s: expected scalar type Long but found %s" % (op, torch_type_name(target.dtype)))
    if len(x) == 1 and len(t) != 0:
        fail("RuntimeError", "%s: 0D target tensor expected for a 1D input, got %dD" % (op, len(t)))
    if len(x) == 2 and len(t) > 1:
        fail("RuntimeError", "%s: 0D or 1D target tensor expected, multi-target not supported" % op)
    if len(x) >= 2:
        if len(t) < 1 or x[0] != t[0]:
            fail("RuntimeError", "%s: Expected input batch_size (%d) to match target batch_size (%d)."
                 % (op, x[0], t[0] if t else 0))
        want = x[:1] + x[2:]
        if t != want:
            fail("RuntimeError", "%s: Expected target size %s, got %s" % (op, shape_str(want), shape_str(t)))
    c = x[0] if len(x) == 1 else x[1]
    if weight is not None and numel(weight.shape) != c:
        fail("RuntimeError", "%s: weight tensor should be defined either for all %d classes or no "
             "classes but got weight tensor of shape: %s" % (op, c, shape_str(weight.shape)))
    return t if reduction == "none" else ()


def cross_entropy(op, input, target, weight, reduction, label_smoothing):
    if not 0 <= label_smoothing <= 1:
        fail("RuntimeError", "%s: label_smoothing must be between 0.0 and 1.0. Got: %s"
             % (op, label_smoothing))
    x = tuple(input.shape)
    if target.dtype in FLOATING and tuple(target.shape) == x:
        _check_reduction(op, reduction)
        if len(x) < 1:
            fail("RuntimeError", "%s: input tensor should be 1D or more, got 0D" % op)
        c = x[0] if len(x) == 1 else x[1]
        if weight is not None and numel(weight.shape) != c:
            fail("RuntimeError", "%s: weight tensor should be defined either for all %d classes or no "
                 "classes but got weight tensor of shape: %s" % (op, c, shape_str(weight.shape)))
        if reduction != "none":
            return ()
        return x[1:] if len(x) == 1 else x[:1] + x[2:]
    return nll_loss(op, input, target, weight, reduction)


def loss_dtype(op, input, target):
    d = promote(op, input, target)
    if d not in FLOATING:
        fail("TypeError", "%s: expected floating point input and target, got %s and %s"
             % (op, input.dtype, target.dtype))
    return d


def pointwise_loss(op, input, target, reduction):
    _check_reduction(op, reduction)
    s = broadcast(op, input, target)
    return s if reduction == "none" else ()


def smooth_l1_loss(op, input, target, reduction, beta):
    if beta < 0:
        fail("RuntimeError", "%s: smooth_l1_loss does not support negative values for beta." % op)
    return pointwise_loss(op, input, target, reduction)


def huber_loss(op, input, target, reduction, delta):
    if delta <= 0:
        fail("RuntimeError", "%s: huber_loss does not support non-positive values for delta." % op)
    return pointwise_loss(op, input, target, reduction)


def binary_cross_entropy(op, input, target, weight, reduction):
    if tuple(target.shape) != tuple(input.shape):
        fail("ValueError", "%s: Using a target size (%s) that is different to the input size (%s) is "
             "deprecated. Please ensure they have the same size."
             % (op, _torch_size(target.shape), _torch_size(input.shape)))
    if weight is not None and broadcast(op, input, weight) != tuple(input.shape):
        fail("RuntimeError", "%s: weight of size %s does not broadcast to the input size %s"
             % (op, shape_str(weight.shape), shape_str(input.shape)))
    return pointwise_loss(op, input, target, reduction)


def binary_cross_entropy_with_logits(op, input, target, weight, reduction, pos_weight):
    if tuple(target.shape) != tuple(input.shape):
        fail("ValueError", "%s: Target size (%s) must be the same as input size (%s)"
             % (op, _torch_size(target.shape), _torch_size(input.shape)))
    for t, name in ((weight, "weight"), (pos_weight, "pos_weight")):
        if t is not None and broadcast(op, input, t) != tuple(input.shape):
            fail("RuntimeError", "%s: %s of size %s does not broadcast to the input size %s"
                 % (op, name, shape_str(t.shape), shape_str(input.shape)))
    return pointwise_loss(op, input, target, reduction)


def kl_div(op, input, target, reduction):
    _check_reduction(op, reduction, True)
    s = broadcast(op, input, target)
    return s if reduction == "none" else ()
# (end of nn_norm)


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


# ---- nn_seq: linear, bilinear, attention, RNN cells ----

def _same_dtype(op, *ts):
    first = None
    for t in ts:
        if t is None:
            continue
        if first is None:
            first = t
        elif t.dtype != first.dtype:
            fail("RuntimeError", "%s: expected scalar type %s but found %s"
                 % (op, torch_type_name(first.dtype), torch_type_name(t.dtype)))
    return first.dtype


def seq_dtype(op, *ts):
    return _same_dtype(op, *ts)


def _check_expands(op, t, target):
    n, m = len(target), len(t.shape)
    if m > n:
        fail("RuntimeError", "%s: the number of sizes provided (%d) must be greater or equal to the "
             "number of dimensions in the tensor (%d)" % (op, n, m))
    for i in range(m):
        s, d = t.shape[m - 1 - i], target[n - 1 - i]
        if s != d and s != 1:
            fail("RuntimeError", "%s: The expanded size of the tensor (%d) must match the existing size "
                 "(%d) at non-singleton dimension %d.  Target sizes: %s.  Tensor sizes: %s"
                 % (op, d, s, n - 1 - i, shape_str(target), shape_str(t.shape)))


def linear(op, input, weight, bias):
    if len(input.shape) < 1:
        fail("RuntimeError", "%s: both arguments to matmul need to be at least 1D, but they are 0D and %dD"
             % (op, len(weight.shape)))
    if len(weight.shape) != 2:
        fail("RuntimeError", "%s: weight must be 2-D, got %d-D" % (op, len(weight.shape)))
    k = input.shape[-1]
    if k != weight.shape[1]:
        fail("RuntimeError", "%s: mat1 and mat2 shapes cannot be multiplied (%dx%d and %dx%d)"
             % (op, numel(input.shape) // (k or 1), k, weight.shape[1], weight.shape[0]))
    out = tuple(input.shape[:-1]) + (weight.shape[0],)
    if bias is not None:
        _check_expands(op, bias, out)
    return out


def linear_bias_grad(op, self, grad_output, weight):
    fwd = linear(op, self, weight, None)
    if tuple(grad_output.shape) != fwd:
        fail("RuntimeError", "%s: grad_output has shape %s, expected %s"
             % (op, shape_str(grad_output.shape), shape_str(fwd)))
    return (weight.shape[0],)


def bilinear(op, input1, input2, weight, bias):
    a, b = input1.shape, input2.shape
    if len(a) != len(b):
        fail("RuntimeError", "%s: bilinear(): input dimensions do not match: got %d and %d" % (op, len(a), len(b)))
    if len(a) < 1:
        fail("RuntimeError", "%s: bilinear(): inputs must be at least 1-D" % op)
    for i in range(len(a) - 1):
        if a[i] != b[i]:
            fail("RuntimeError", "%s: bilinear(): input batch dimensions do not match at dim %d: got %d and %d"
                 % (op, i, a[i], b[i]))
    w = weight.shape
    if len(w) != 3:
        fail("RuntimeError", "%s: bilinear(): weight must be 3-D, got %d-D" % (op, len(w)))
    if a[-1] != w[1]:
        fail("RuntimeError", "%s: bilinear(): input1 size does not match weight size: got %d but expected %d"
             % (op, a[-1], w[1]))
    if b[-1] != w[2]:
        fail("RuntimeError", "%s: bilinear(): input2 size does not match weight size: got %d but expected %d"
             % (op, b[-1], w[2]))
    if bias is not None and (len(bias.shape) != 1 or bias.shape[0] != w[0]):
        fail("RuntimeError", "%s: bilinear(): bias size does not match weight size: got %d but expected %d"
             % (op, bias.shape[-1] if bias.shape else 1, w[0]))
    return tuple(a[:-1]) + (w[0],)


def sdpa_dtype(op, query, key, value, attn_mask, is_causal):
    if not (query.dtype == key.dtype == value.dtype):
        fail("RuntimeError", "%s: Expected query, key, and value to have the same dtype, but got "
             "query.dtype: %s key.dtype: %s and value.dtype: %s instead."
             % (op, torch_type_name(query.dtype), torch_type_name(key.dtype), torch_type_name(value.dtype)))
    if attn_mask is not None:
        if attn_mask.dtype not in ("bool", query.dtype):
            fail("RuntimeError", "%s: Expected attn_mask dtype to be bool or to match query dtype, but got %s"
                 % (op, torch_type_name(attn_mask.dtype)))
        if is_causal:
            fail("RuntimeError", "%s: Explicit attn_mask should not be set when is_causal=True" % op)
    return query.dtype


def sdpa_attn(op, query, key, value, attn_mask):
    q, k, v = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    if len(q) < 2 or len(k) < 2 or len(v) < 2:
        fail("RuntimeError", "%s: query, key and value must be at least 2-D, got %d-D, %d-D and %d-D"
             % (op, len(q), len(k), len(v)))
    if q[-1] != k[-1]:
        fail("RuntimeError", "%s: query and key must have the same embedding size, got %d and %d"
             % (op, q[-1], k[-1]))
    if k[-2] != v[-2]:
        fail("RuntimeError", "%s: key and value must have the same sequence length, got %d and %d"
             % (op, k[-2], v[-2]))
    s = broadcast_shapes(op, broadcast_shapes(op, q[:-2], k[:-2]), v[:-2]) + (q[-2], k[-2])
    if attn_mask is not None:
        m = broadcast_shapes(op, s, tuple(attn_mask.shape))
        if m[-2:] != s[-2:]:
            fail("RuntimeError", "%s: attn_mask of shape %s does not broadcast to (L, S) = (%d, %d)"
                 % (op, shape_str(attn_mask.shape), s[-2], s[-1]))
        s = m
    return s


def sdpa(op, query, key, value, attn_mask, dropout_p):
    if not (0 <= dropout_p <= 1):
        fail("RuntimeError", "%s: dropout probability has to be between 0 and 1, but got %g" % (op, dropout_p))
    return sdpa_attn(op, query, key, value, attn_mask)[:-1] + (value.shape[-1],)


def sdpa_grad(op, grad_output, t):
    if len(grad_output.shape) < 2 or len(t.shape) < 2:
        fail("RuntimeError", "%s: expected at least 2-D tensors" % op)
    return tuple(grad_output.shape[:-2]) + tuple(t.shape[-2:])


def rnn_cell_dtype(op, input, hx, w_ih, w_hh, b_ih, b_hh):
    if isinstance(hx, (list, tuple)):
        if len(hx) != 2:
            fail("RuntimeError", "%s: lstm_cell expects two hidden states" % op)
        return _same_dtype(op, input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh)
    return _same_dtype(op, input, hx, w_ih, w_hh, b_ih, b_hh)


def _check_rnn(op, cell, gates, input, hidden, w_ih, w_hh, b_ih, b_hh):
    nd = len(input.shape)
    if nd not in (1, 2):
        fail("RuntimeError", "%s: %s: Expected input to be 1-D or 2-D but received %d-D tensor" % (op, cell, nd))
    if len(w_ih.shape) != 2 or len(w_hh.shape) != 2:
        fail("RuntimeError", "%s: w_ih and w_hh must be 2-D, got %d-D and %d-D" % (op, len(w_ih.shape), len(w_hh.shape)))
    if input.shape[-1] != w_ih.shape[1]:
        fail("RuntimeError", "%s: input has inconsistent input_size: got %d expected %d"
             % (op, input.shape[-1], w_ih.shape[1]))
    h = w_hh.shape[1]
    for i, hx in enumerate(hidden):
        if len(hx.shape) != nd:
            fail("RuntimeError", "%s: %s: Expected hidden[%d] to be %d-D for a %d-D input, but got %d-D"
                 % (op, cell, i, nd, nd, len(hx.shape)))
        if nd == 2 and input.shape[0] != hx.shape[0]:
            fail("RuntimeError", "%s: Input batch size %d doesn't match hidden%d batch size %d"
                 % (op, input.shape[0], i, hx.shape[0]))
        if hx.shape[-1] != h:
            fail("RuntimeError", "%s: hidden%d has inconsistent hidden_size: got %d, expected %d"
                 % (op, i, hx.shape[-1], h))
    if w_ih.shape[0] != gates * h or w_hh.shape[0] != gates * h:
        fail("RuntimeError", "%s: w_ih and w_hh must have %d * hidden_size = %d rows, got %d and %d"
             % (op, gates, gates * h, w_ih.shape[0], w_hh.shape[0]))
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and (len(b.shape) != 1 or b.shape[0] != gates * h):
            fail("RuntimeError", "%s: %s must have shape [%d], got %s" % (op, name, gates * h, shape_str(b.shape)))


def lstm_cell(op, input, hx, w_ih, w_hh, b_ih, b_hh):
    if len(hx) != 2:
        fail("RuntimeError", "%s: lstm_cell expects two hidden states" % op)
    _check_rnn(op, "LSTMCell", 4, input, hx, w_ih, w_hh, b_ih, b_hh)
    return tuple(hx[0].shape)


def gru_cell(op, input, hx, w_ih, w_hh, b_ih, b_hh):
    _check_rnn(op, "GRUCell", 3, input, [hx], w_ih, w_hh, b_ih, b_hh)
    return tuple(hx.shape)


def lstm_gates(op, gates, cx):
    g, c = tuple(gates.shape), tuple(cx.shape)
    if not (len(g) == 2 and len(c) == 2 and g[0] == c[0] and g[1] == 4 * c[1]):
        fail("RuntimeError", "%s: expected gates (B, 4H) and cx (B, H), got %s and %s"
             % (op, shape_str(g), shape_str(c)))
    return c


def gru_gates(op, igates, hgates, hx):
    i, g, h = tuple(igates.shape), tuple(hgates.shape), tuple(hx.shape)
    if not (len(i) == 2 and len(h) == 2 and i == g and i[0] == h[0] and i[1] == 3 * h[1]):
        fail("RuntimeError", "%s: expected igates and hgates (B, 3H) and hx (B, H), got %s, %s and %s"
             % (op, shape_str(i), shape_str(g), shape_str(h)))
    return h
# (end)

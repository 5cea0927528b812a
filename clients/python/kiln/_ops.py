"""Table-driven dispatch: binds a Python call to an op of the table (overloads, defaults,
varargs sizes), infers the outputs' shapes and dtypes with the table's rules, encodes the op
and returns Tensors at once. Nothing here names a specific op."""

import ast
import struct

from kiln import _rules
from kiln import _runtime as rt
from kiln import _wire as wire
from kiln._dtypes import Size, device_str, dtype, dtype_name, device
from kiln._ops_table import OPS

_REQUIRED = object()
_FLOATING = _rules.FLOATING


class Meta:
    """What the rules see of a tensor: shape (None while a dynamic op's is unknown), dtype name,
    device, and `wrapped` (the Python number a scalar argument came from, else None)."""
    __slots__ = ("shape", "dtype", "device", "wrapped", "memo_key")

    def __init__(self, shape, dtype_, device_, wrapped=None):
        self.shape = shape
        self.dtype = dtype_
        self.device = device_
        self.wrapped = wrapped
        # (shape, dtype, device) for the dispatch memo, made once: op outputs share their
        # memo entry's Meta, so a tight loop never rebuilds it.
        self.memo_key = None if shape is None else (shape, dtype_, device_)


def _number_meta(v):
    d = "bool" if isinstance(v, bool) else ("int64" if isinstance(v, int) else "float64")
    return Meta((), d, "cpu", v)


def _is_number(v):
    return isinstance(v, (int, float, bool)) and not hasattr(v, "_h")


def _parse_default(text):
    if text == "<required>":
        return _REQUIRED
    if text in ("None", "'None'"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


# ---- argument acceptance (score 2: exact, 1: converted, 0: refused) and conversion ----

def _is_tensor(v):
    return type(v).__name__ == "Tensor" and hasattr(v, "_h")


def _int_like(v):
    return isinstance(v, int) and not isinstance(v, bool) or (hasattr(v, "__index__") and not _is_tensor(v)
                                                              and not isinstance(v, float))


def _accept(typ, v):
    if typ.endswith("?") and v is None:
        return 2
    base = typ.rstrip("?") if not typ.endswith("?[]") else typ
    if base == "Tensor":
        return 2 if _is_tensor(v) else (1 if _is_number(v) else 0)
    if base == "Scalar":
        return 2 if _is_number(v) else 0
    if base == "int":
        return 2 if _int_like(v) else (1 if isinstance(v, bool) else 0)
    if base == "int[]":
        if isinstance(v, (tuple, list)):
            return 2 if all(_int_like(x) for x in v) else 0
        return 1 if _int_like(v) else 0
    if base == "float":
        return 2 if isinstance(v, float) else (1 if _is_number(v) else 0)
    if base == "bool":
        return 2 if isinstance(v, bool) else 0
    if base == "str":
        return 2 if isinstance(v, str) else 0
    if base == "ScalarType":
        return 2 if isinstance(v, dtype) else (1 if _dtype_like(v) else 0)
    if base == "Device":
        return 2 if isinstance(v, (str, device, int)) else 0
    if base == "Tensor[]":
        return 2 if isinstance(v, (tuple, list)) and all(_is_tensor(x) for x in v) else 0
    if typ == "Tensor?[]":
        return 2 if isinstance(v, (tuple, list)) and all(x is None or _is_tensor(x) for x in v) else 0
    return 0


def _dtype_like(v):
    try:
        dtype_name(v)
        return True
    except TypeError:
        return False


def _convert(typ, v):
    """The value the rules see (metas for tensors come later)."""
    if v is None:
        return None
    base = typ.rstrip("?")
    if base == "int[]":
        return tuple(int(x) for x in v) if isinstance(v, (tuple, list)) else (int(v),)
    if base == "int":
        return int(v)
    if base == "float":
        return float(v)
    if base == "ScalarType":
        return dtype_name(v)
    if base == "Device":
        return device_str(v)
    if base in ("Tensor[]", "Tensor?[]"):
        return list(v)
    return v


def _encode(typ, v):
    if v is None:
        return b"\x00"
    base = typ.rstrip("?")
    if base == "Tensor":
        return wire.handle(v._h) if _is_tensor(v) else wire.number(v)
    if base == "Scalar":
        return wire.number(v)
    if base == "int":
        return wire.int_(v)
    if base == "int[]":
        return wire.ints(v)
    if base == "float":
        return wire.float_(v)
    if base == "bool":
        return wire.bool_(v)
    if base == "str":
        return wire.str_(v)
    if base == "ScalarType":
        return wire.dtype(v)
    if base == "Device":
        return wire.device(v)
    if base == "Tensor[]":
        return wire.handles([t._h for t in v])
    if base == "Tensor?[]" or typ == "Tensor?[]":
        return wire.handles([0 if t is None else t._h for t in v])
    raise TypeError("kiln: cannot encode a %s argument" % typ)


class Overload:
    def __init__(self, entry):
        self.e = entry
        self.key = entry["name"] if entry["overload"] is None else "%s.%s" % (entry["name"], entry["overload"])
        self.name = entry["name"]
        self.id = entry["id"]
        self.params = [(n, t, _parse_default(d), kw) for n, t, d, kw in entry["args"]]
        self.names = [p[0] for p in self.params]
        self.types = [p[1] for p in self.params]
        self.n_positional = sum(1 for p in self.params if not p[3])
        self.infer = entry["infer"]
        self.dynamic = entry["dynamic"]
        self.n_rets = len(entry["rets"])
        self.returns_list = bool(entry["rets"]) and entry["rets"][0][0] == "Tensor[]"
        # torch accepts x.view(2, 3) for a lone int[] positional parameter.
        pos = [i for i, p in enumerate(self.params) if not p[3]]
        rest = pos[1:] if pos and self.types[pos[0]].startswith("Tensor") else pos
        self.varargs = rest[0] if len(rest) == 1 and self.types[rest[0]].startswith("int[]") else None
        self.diff = [self.names.index(n) for n in entry["differentiable"] if n in self.names]
        # fill_-style ops write their first argument and return it.
        self.writes_self = self.name.endswith("_") and self.types and self.types[0] == "Tensor"
        self.inplace_name = self.name + "_"

    def bind(self, args, kwargs):
        """(values, score) or raises TypeError."""
        if self.varargs is not None and len(args) > self.varargs + 1 and \
                all(_int_like(a) for a in args[self.varargs:]):
            args = tuple(args[:self.varargs]) + (tuple(args[self.varargs:]),)
        if len(args) > self.n_positional:
            raise TypeError("%s() takes %d positional arguments but %d were given"
                            % (self.name, self.n_positional, len(args)))
        vals = list(args) + [_REQUIRED] * (len(self.params) - len(args))
        given = len(args)
        for k, v in kwargs.items():
            try:
                i = self.names.index(k)
            except ValueError:
                raise TypeError("%s() got an unexpected keyword argument '%s'" % (self.name, k)) from None
            if i < len(args):
                raise TypeError("%s() got multiple values for argument '%s'" % (self.name, k))
            vals[i] = v
            given = max(given, i + 1)
        score = 0
        for i, (n, t, d, _) in enumerate(self.params):
            v = vals[i]
            if v is _REQUIRED:
                if d is _REQUIRED:
                    raise TypeError("%s() missing required argument '%s'" % (self.name, n))
                vals[i] = d
                continue
            s = _accept(t, v)
            if s == 0:
                raise TypeError("%s(): argument '%s' must be %s, not %s"
                                % (self.name, n, t, type(v).__name__))
            score += s
        return vals, given, score


GROUPS = {}
BY_KEY = {}  # "scatter_src" -> its Overload: lets tests name one overload exactly
for _k, _e in OPS.items():
    BY_KEY[_k] = Overload(_e)
    GROUPS.setdefault(_e["name"], []).append(BY_KEY[_k])


def resolve(name, args, kwargs):
    overloads = GROUPS[name] if name in GROUPS else [BY_KEY[name]]
    if len(overloads) == 1:
        vals, given, _ = overloads[0].bind(args, kwargs)
        return overloads[0], vals, given
    best, err = None, None
    for o in overloads:
        try:
            vals, given, score = o.bind(args, kwargs)
        except TypeError as e:
            err = err or e
            continue
        if best is None or score > best[3]:
            best = (o, vals, given, score)
    if best is None:
        raise TypeError("%s() received an invalid combination of arguments: %s" % (name, err))
    return best[:3]


def _can_cast(src, dst):
    cat = {"bool": 0}
    a = 2 if src in _FLOATING else cat.get(src, 1)
    b = 2 if dst in _FLOATING else cat.get(dst, 1)
    return a <= b


# Memo of (op, variant, argument metas and values) -> what the slow path worked out: the
# overload, the outputs' metas and every non-tensor argument already encoded. A hit skips
# binding, overload resolution and the rules, which dominate a tiny op's client-side cost.
_MEMO = {}
_MEMO_MAX = 4096
_T_HANDLE = wire.T_HANDLE
_Tensor = None


def _memo_key(name, variant, args):
    key = [name, variant, _rules.default_dtype[0]]
    for a in args:
        if a.__class__ is _Tensor:
            k = a._m.memo_key
            if k is None:
                return None
            key.append(k)
        elif a is None or a.__class__ in (int, float, bool, str):
            key.append((a.__class__, a))
        elif a.__class__ is tuple and all(x.__class__ is int for x in a):
            key.append(a)
        else:
            return None
    return tuple(key)


def _packer(o, template, tpos, nouts, variant, inplace):
    """One struct for a memoized op's whole command (wire.op's layout): the head, the output
    handles, then each argument, a tensor's as (T_HANDLE, handle) and the rest as the encoded
    constants. One pack per op instead of one per field (wire.op's cost halves)."""
    fmt = ["<BHBIB", "Q" * nouts, "B"]
    for i, e in enumerate(template):
        fmt.append("BQ" if i in tpos else "%ds" % len(e))
    return (struct.Struct("".join(fmt)).pack, wire.OP, o.id, variant, nouts, len(template),
            inplace)


def _memo_call(hit, args, variant):
    o, template, tpos, metas, diff, packer = hit
    pack, kind, op_id, var, n, nvals, inplace = packer
    c = args[tpos[0]]._c if tpos else rt.client()
    rg = False
    fields = []
    for i, e in enumerate(template):
        if e is None:
            t = args[i]
            if t._c is not c:
                raise RuntimeError("%s: tensors of different kiln sessions" % o.name)
            if t._rg and i in diff:
                rg = True
            fields += (_T_HANDLE, t._h)
        else:
            fields.append(e)
    grad_on = rt.grad_enabled
    rg = rg and grad_on
    mode = c.mode
    if mode[0] != grad_on or mode[1] != _rules.default_dtype[0]:
        rt.catch_up(c)
    cs = c.callsite(3)  # skips _memo_call and call: the frame that called call() is next
    buf = c.buf
    h0 = c.next_handle
    c.next_handle = h0 + n
    buf += pack(kind, op_id, var, cs, n, *range(h0, h0 + n), nvals, *fields)
    if inplace:
        self = args[0]
        if rg and self._m.dtype in _FLOATING:
            self._rg = True
            self._leaf = False
        if len(buf) > 65536:
            c.flush()
        return self
    T = _Tensor
    if n == 1:
        m = metas[0]
        out = T(c, h0, m, rg and m.dtype in _FLOATING, not rg)
        if len(buf) > 65536:
            c.flush()
        return (out,) if o.returns_list else out
    outs = [T(c, h0 + k, m, rg and m.dtype in _FLOATING, not rg) for k, m in enumerate(metas)]
    if len(buf) > 65536:
        c.flush()
    if o.returns_list:
        return tuple(outs)
    if not outs:
        return None
    return outs[0] if len(outs) == 1 else tuple(outs)


def call(name, args, kwargs, variant=0, out=None):
    """Runs op `name` (0 functional, 1 in-place on args[0], 2 out=) and returns its result."""
    global _Tensor
    key = None
    if not kwargs and out is None and _Tensor is not None:
        key = _memo_key(name, variant, args)
        if key is not None:
            hit = _MEMO.get(key)
            if hit is not None:
                return _memo_call(hit, args, variant)
    from kiln._tensor import Tensor, resolve_meta
    _Tensor = Tensor
    o, vals, given = resolve(name, args, kwargs)
    c = None
    rule_args = []
    any_rg = False
    for i, t in enumerate(o.types):
        v = vals[i]
        if t[0] == "T":  # Tensor, Tensor?, Tensor[], Tensor?[]
            if v is None:
                rule_args.append(None)
            elif t.endswith("]"):
                v = vals[i] = list(v)
                ms = []
                for x in v:
                    if x is None:
                        ms.append(None)
                        continue
                    c = c or x._c
                    if x._c is not c:
                        raise RuntimeError("%s: tensors of different kiln sessions" % name)
                    ms.append(x._m if x._m.shape is not None else resolve_meta(x))
                    if i in o.diff and x._rg:
                        any_rg = True
                rule_args.append(ms)
            elif v.__class__ is Tensor:
                if c is None:
                    c = v._c
                elif v._c is not c:
                    raise RuntimeError("%s: tensors of different kiln sessions" % name)
                rule_args.append(v._m if v._m.shape is not None else resolve_meta(v))
                if v._rg and i in o.diff:
                    any_rg = True
            else:
                rule_args.append(_number_meta(v))
        else:
            v = vals[i] = _convert(t, v)
            rule_args.append(v)
    if out is not None:
        c = c or out._c
    if c is None:
        c = rt.client()
    res = o.infer(o.name if variant != 1 else o.inplace_name, *rule_args)
    grad_on = rt.grad_enabled
    rg = any_rg and grad_on
    if c.mode != (grad_on, _rules.default_dtype[0]):
        rt.catch_up(c)
    cs = c.callsite()
    n_send = len(vals) if variant == 2 else given  # out= comes after every argument
    enc = [_encode(o.types[i], vals[i]) for i in range(n_send)]
    buf = c.buf
    if variant == 1 or o.writes_self:
        self = vals[0]
        if res is not None and variant == 1:
            shape, dt = res[0]
            if shape is not None and None not in shape and tuple(shape) != self._m.shape:
                raise RuntimeError("%s: output with shape %s doesn't match the broadcast shape %s"
                                   % (o.inplace_name, _rules.shape_str(self._m.shape),
                                      _rules.shape_str(shape)))
            if not _can_cast(dt, self._m.dtype):
                raise RuntimeError("%s: result type %s can't be cast to the desired output type %s"
                                   % (o.inplace_name, _rules.torch_type_name(dt),
                                      _rules.torch_type_name(self._m.dtype)))
        wire.op(buf, o.id, variant, cs, (), enc)
        if rg and self._m.dtype in _FLOATING:
            self._rg = True
            self._leaf = False
        if key is not None and given == len(args):
            _remember(key, o, enc, args, [])
        if len(buf) > 65536:
            c.flush()
        return self
    if variant == 2:
        if not _is_tensor(out):
            raise TypeError("%s(): argument 'out' must be Tensor" % name)
        shape, dt = res[0]
        if not _can_cast(dt, out._m.dtype):
            raise RuntimeError("%s: result type %s can't be cast to the desired output type %s"
                               % (name, _rules.torch_type_name(dt), _rules.torch_type_name(out._m.dtype)))
        enc.append(wire.handle(out._h))
        wire.op(buf, o.id, 2, cs, (), enc)
        out._m = Meta(tuple(shape) if shape is not None and None not in shape else None,
                      out._m.dtype, out._m.device)
        if len(buf) > 65536:
            c.flush()
        return out
    dev = _out_device(vals, o, rule_args)
    if res is None:
        metas = [Meta(None, None, dev) for _ in range(o.n_rets)]
    else:
        metas = [Meta(tuple(s) if s is not None and None not in s else None, d, dev) for s, d in res]
    if key is not None and given == len(args) and all(m.shape is not None for m in metas):
        _remember(key, o, enc, args, metas)
    hs = [c.handle() for _ in metas]
    wire.op(buf, o.id, 0, cs, hs, enc)
    outs = [Tensor(c, h, m, rg and (m.dtype is None or m.dtype in _FLOATING), not rg)
            for h, m in zip(hs, metas)]
    if len(buf) > 65536:
        c.flush()
    if o.returns_list:
        return tuple(outs)
    if not outs:
        return None
    return outs[0] if len(outs) == 1 else tuple(outs)


def _remember(key, o, enc, args, metas):
    tpos = tuple(i for i, a in enumerate(args) if a.__class__ is _Tensor)
    template = [None if i in tpos else e for i, e in enumerate(enc)]
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    inplace = key[1] == 1 or o.writes_self
    packer = _packer(o, template, tpos, 0 if inplace else len(metas), key[1] if inplace else 0,
                     inplace)
    # Outputs share the memo's Meta objects: metas are never mutated, only replaced.
    _MEMO[key] = (o, template, tpos, metas, frozenset(o.diff), packer)


def _out_device(vals, o, rule_args):
    for i, t in enumerate(o.types):
        if t.startswith("Device") and vals[i] is not None:
            return vals[i]
    for m in rule_args:
        if isinstance(m, Meta) and m.wrapped is None:
            return m.device
        if isinstance(m, list):
            for x in m:
                if x is not None:
                    return x.device
    return "cpu"


def names():
    return sorted(GROUPS)


__all__ = ["call", "GROUPS", "Meta", "Size"]

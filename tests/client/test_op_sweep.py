"""Every sample of every op (tests/ops/samples) through the Python client and a real kilnd,
compared with PyTorch run on the same inputs; and for every output the client's inferred shape
and dtype must equal the daemon's (META)."""

import types

import numpy as np
import pytest
import torch

import gen_reference as ref
from samples import all_samples
from samples.spec import T

import kiln as kiln_mod
from kiln import _ops, _wire
from kiln._ops_table import OPS
from kiln._tensor import Tensor, from_array

SAMPLES = all_samples()
CASES = [(op, i) for op in sorted(SAMPLES) for i in range(len(SAMPLES[op]))]
TOL = {"float64": (1e-7, 1e-7), "float32": (1e-4, 1e-5), "float16": (1e-2, 1e-2),
       "bfloat16": (3e-2, 3e-2)}
NAMES = {v: k for k, v in ref.TORCH_DTYPES.items()}


class _Op:
    """The table entry as gen_reference's helpers expect it."""

    def __init__(self, key):
        e = OPS[key]
        self.name, self.full_name = e["name"], key
        self.args = [types.SimpleNamespace(name=a[0]) for a in e["args"]]


def to_kiln(t):
    if t.dtype == torch.bfloat16:
        return from_array(t.float().numpy(), "bfloat16")
    return kiln_mod.from_numpy(t.numpy())


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        x = x.detach()
        return x.float().numpy() if x.dtype == torch.bfloat16 else x.numpy()
    return x.detach().numpy()


def build(op, si, s, dtype):
    """Positional and keyword arguments, as torch tensors."""
    names = [a.name for a in op.args]
    pos, kw = [], {}
    for i, v in enumerate(list(s.args) + list(s.kwargs.values())):
        slot = i if i < len(s.args) else names.index(list(s.kwargs)[i - len(s.args)])
        if isinstance(v, T):
            v = ref.make_tensor(v, ref.seed_for(op.full_name, si, slot), dtype)
        elif isinstance(v, list) and any(isinstance(x, T) for x in v):
            v = [None if x is None else ref.make_tensor(x, ref.seed_for(op.full_name, si, slot, j), dtype)
                 for j, x in enumerate(v)]
        else:
            v = ref.torch_value(v)
        if i < len(s.args):
            pos.append(v)
        else:
            kw[names[slot]] = v
    return pos, kw


def convert(v):
    if isinstance(v, torch.Tensor):
        return to_kiln(v)
    if isinstance(v, list) and any(isinstance(x, torch.Tensor) for x in v):
        return [None if x is None else to_kiln(x) for x in v]
    if isinstance(v, torch.dtype):
        return NAMES[v]
    return v


def clone(v):
    if isinstance(v, torch.Tensor):
        return v.clone()
    if isinstance(v, list):
        return [clone(x) for x in v]
    return v


def torch_run(op, s, pos, kw, dtype):
    call = s.torch or ref.default_torch_call(op, s.variant)
    if s.variant == "out":
        functional = s.torch or ref.default_torch_call(op, "functional")
        r = ref.as_outputs(functional(*clone(pos), **clone(kw)))
        o = torch.empty(0, dtype=ref.TORCH_DTYPES[s.out_dtype] if s.out_dtype else r[0].dtype)
        call(*clone(pos), out=o, **clone(kw))
        return [o]
    return ref.as_outputs(call(*clone(pos), **clone(kw)))


def reference(op, s, pos, kw, dtype):
    """PyTorch's outputs, or None when PyTorch refuses the call. Floating dtypes are computed
    in float64 from the dtype-rounded inputs and rounded once at the end, as
    tests/ops/gen_reference.py does: PyTorch's own low-precision arithmetic differs from the
    exact result by more than any fixed tolerance (bfloat16 accumulation in dot/baddbmm,
    float16 logsumexp underflowing to -inf), and its bfloat16 conv gives wrong shapes."""
    try:
        native = torch_run(op, s, pos, kw, dtype)
    except Exception:  # noqa: BLE001
        if dtype not in ("float16", "bfloat16"):
            return None
        native = None  # a half type PyTorch lacks on CPU: compare with the float64 result
    if dtype not in ("float16", "bfloat16", "float32"):
        return native
    low = ref.TORCH_DTYPES[dtype]
    up = lambda v: v.double() if isinstance(v, torch.Tensor) and v.dtype == low else v  # noqa: E731
    try:
        exact = torch_run(op, s, [[up(x) for x in p] if isinstance(p, list) else up(p) for p in pos],
                          {k: up(v) for k, v in kw.items()}, "float64")
    except Exception:  # noqa: BLE001
        return native
    if native is None:
        return [o.to(low) if o.dtype == torch.float64 else o for o in exact]
    if len(exact) != len(native):
        return native
    return [e.to(n.dtype) if e.is_floating_point() else e for e, n in zip(exact, native)]


def kiln_run(key, s, pos, kw):
    args = [convert(p) for p in pos]
    kwargs = {k: convert(v) for k, v in kw.items()}
    if s.variant == "inplace":
        return [_ops.call(key, args, kwargs, 1)]
    if s.variant == "out":
        ofn = _ops.call(key, [convert(clone(p)) for p in pos], {k: convert(clone(v)) for k, v in kw.items()})
        first = ofn[0] if isinstance(ofn, tuple) else ofn
        out = kiln_mod.empty(0, dtype=s.out_dtype or first.dtype)
        return [_ops.call(key, args, kwargs, 2, out)]
    r = _ops.call(key, args, kwargs)
    if r is None:
        return [a for a in args[:1] if isinstance(a, Tensor)]
    return list(r) if isinstance(r, tuple) else [r]


def daemon_meta(t):
    r = t._c.ask(_wire.META, t._h)
    assert not r.HasField("error"), r.error.message
    return tuple(r.shape), _wire.DTYPES[r.dtype]


@pytest.mark.parametrize("key,si", CASES, ids=["%s-%d" % c for c in CASES])
def test_sample(kiln, key, si):
    s = SAMPLES[key][si]
    op = _Op(key)
    swept = any(isinstance(v, T) and not v.fixed for v in list(s.args) + list(s.kwargs.values())) or \
        any(isinstance(v, list) and any(isinstance(x, T) and not x.fixed for x in v if x is not None)
            for v in list(s.args) + list(s.kwargs.values()))
    dtypes = s.dtypes or (_cpu_dtypes(key) if swept else [None])
    for dtype in dtypes:
        pos, kw = build(op, si, s, dtype)
        expect = reference(op, s, pos, kw, dtype)
        where = "%s sample %d (%s)" % (key, si, dtype)
        if expect is None:
            with pytest.raises(Exception):  # noqa: B017  (any error: at the call or the next sync)
                outs = kiln_run(key, s, pos, kw)
                for o in outs:
                    o.detach().numpy()
                kiln.synchronize()
            continue
        outs = kiln_run(key, s, pos, kw)
        inferred = [(o._m.shape, o._m.dtype) for o in outs]
        assert len(outs) == len(expect), where
        compare = s.compare or ["close"] * len(expect)
        for k, (o, e) in enumerate(zip(outs, expect)):
            shape, dt = daemon_meta(o)
            if inferred[k][0] is not None:
                assert inferred[k] == (shape, dt), "%s: client inferred %s, daemon has %s" % (
                    where, inferred[k], (shape, dt))
            assert shape == tuple(e.shape), "%s: shape %s, torch %s" % (where, shape, tuple(e.shape))
            assert dt == NAMES[e.dtype], "%s: dtype %s, torch %s" % (where, dt, NAMES[e.dtype])
            if compare[k] == "skip":
                continue
            got, want = to_numpy(o), to_numpy(e)
            rtol, atol = TOL.get(dt, (0, 0))
            rtol, atol = s.rtol or rtol, s.atol or atol
            if dt in TOL:
                np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                                           rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
            else:
                np.testing.assert_array_equal(got, want, err_msg=where)


_CPU = {}


def _cpu_dtypes(key):
    if not _CPU:
        import model
        import os
        ops, _ = model.load(os.path.join(ref.ROOT, "engine", "ops", "table"))
        for o in ops:
            _CPU[o.full_name] = o.backends.get("cpu") or model.DTYPES
    return _CPU[key]

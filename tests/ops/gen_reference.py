#!/usr/bin/python3
"""Runs every op sample through PyTorch and writes the reference Kiln's sweeps compare with.

    tools/regen.sh            (calls this; or directly:)
    /usr/bin/python3 tests/ops/gen_reference.py [--out tests/ops/reference.json] [--ops add,mul]

For each sample and each dtype it sweeps: the inputs (seeded, so every run writes the same
file), PyTorch's outputs (in float64 from the dtype-rounded inputs for floating dtypes, so the
reference carries no low-precision error; in the dtype itself for integers and bool), and for
differentiable ops in float64 the gradients for a seeded upstream gradient. A call PyTorch
rejects is recorded as an expected error.
"""

import argparse
import json
import math
import os
import sys
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "engine", "ops", "gen"))

import model  # noqa: E402  (the op table)
from samples import all_samples  # noqa: E402
from samples.spec import T  # noqa: E402

TORCH_DTYPES = {
    "bool": torch.bool, "uint8": torch.uint8, "int8": torch.int8, "int32": torch.int32,
    "int64": torch.int64, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "float32": torch.float32, "float64": torch.float64,
}
NAMES = {v: k for k, v in TORCH_DTYPES.items()}
FLOATING = ("float16", "bfloat16", "float32", "float64")
INT_RANGE = {"uint8": (0, 255), "int8": (-128, 127), "int32": (-2**31, 2**31 - 1),
             "int64": (-2**63, 2**63 - 1), "bool": (0, 1)}


def base_values(t, seed):
    rng = np.random.RandomState(seed)
    shape = t.shape
    if t.kind == "values":
        return np.array(t.values, dtype=np.float64).reshape(shape) if shape else np.array(t.values, dtype=np.float64)
    if t.kind == "randn":
        return rng.randn(*shape) if shape else np.array(rng.randn())
    if t.kind == "uniform":
        return rng.uniform(t.low if t.low is not None else -1, t.high if t.high is not None else 1, size=shape)
    if t.kind == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    if t.kind == "int":
        return rng.randint(t.low if t.low is not None else -5, t.high if t.high is not None else 6,
                           size=shape).astype(np.float64)
    if t.kind == "bool":
        return (rng.rand(*shape) > 0.5).astype(np.float64) if shape else np.array(float(rng.rand() > 0.5))
    if t.kind == "perm":
        n = shape[-1]
        flat = [rng.permutation(n) for _ in range(int(np.prod(shape[:-1])) if len(shape) > 1 else 1)]
        return np.array(flat, dtype=np.float64).reshape(shape)
    raise ValueError("unknown tensor kind %r" % t.kind)


def make_tensor(t, seed, dtype):
    v = base_values(t, seed)
    d = t.fixed or dtype
    if d in FLOATING:
        return torch.tensor(v, dtype=torch.float64).to(TORCH_DTYPES[d])
    if d == "bool":
        return torch.from_numpy(np.asarray(v > 0 if t.kind not in ("int", "values", "perm") else v != 0))
    lo, hi = INT_RANGE[d]
    if t.kind in ("int", "values", "perm"):
        iv = v
    else:
        iv = np.round(3 * v)
    if d == "uint8" and t.kind not in ("int", "values", "perm"):
        iv = np.abs(iv)
    return torch.tensor(np.clip(iv, lo, hi).astype(np.int64)).to(TORCH_DTYPES[d])


def enc_float(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def enc_tensor(t):
    t = t.detach()
    name = NAMES[t.dtype]
    flat = t.reshape(-1)
    if name in FLOATING:
        data = [enc_float(float(x)) for x in flat.double().tolist()]
    elif name == "bool":
        data = [bool(x) for x in flat.tolist()]
    else:
        data = [int(x) for x in flat.tolist()]
    return {"shape": list(t.shape), "dtype": name, "data": data}


def enc_arg(a, ttensor):
    if ttensor is not None:
        if isinstance(ttensor, list):
            return {"tl": [None if x is None else enc_tensor(x) for x in ttensor]}
        return {"t": enc_tensor(ttensor)}
    if a is None:
        return {"none": True}
    if isinstance(a, bool):
        return {"b": a}
    if isinstance(a, int):
        return {"i": a}
    if isinstance(a, float):
        return {"f": enc_float(a)}
    if isinstance(a, str):
        if a in TORCH_DTYPES:
            return {"dt": a}
        return {"s": a}
    if isinstance(a, (tuple, list)):
        if all(isinstance(x, int) for x in a):
            return {"il": list(a)}
        return {"fl": [float(x) for x in a]}
    raise TypeError("cannot encode argument %r" % (a,))


def torch_value(a):
    if isinstance(a, str) and a in TORCH_DTYPES:
        return TORCH_DTYPES[a]
    return a


def default_torch_call(op, variant):
    name = op.name

    def call(*args, **kwargs):
        if variant == "inplace":
            return getattr(args[0], name + "_")(*args[1:], **kwargs)
        if hasattr(torch, name) and not name.endswith("_"):
            return getattr(torch, name)(*args, **kwargs)
        return getattr(args[0], name)(*args[1:], **kwargs)
    return call


def seed_for(*parts):
    return zlib.crc32("/".join(str(p) for p in parts).encode()) & 0x7fffffff


def as_outputs(r):
    if isinstance(r, torch.Tensor):
        return [r]
    if isinstance(r, (tuple, list)):
        return list(r)
    if hasattr(r, "_fields"):
        return list(r)
    raise TypeError("unexpected result %r" % (r,))


def run_sample(op, si, s, dtype):
    """One (sample, dtype): inputs, expected outputs or error, gradients."""
    arg_names = [a.name for a in op.args]
    # Positional slots for every argument the sample gives.
    slots = list(s.args) + [None] * (len(arg_names) - len(s.args))
    given = [i < len(s.args) for i in range(len(arg_names))]
    for k, v in s.kwargs.items():
        if k not in arg_names:
            raise ValueError("%s sample %d: no argument %r" % (op.full_name, si, k))
        i = arg_names.index(k)
        slots[i] = v
        given[i] = True
    tensors = {}  # slot -> torch tensor(s) in the swept dtype
    for i, v in enumerate(slots):
        if isinstance(v, T):
            tensors[i] = make_tensor(v, seed_for(op.full_name, si, i), dtype)
        elif isinstance(v, list) and v and all(x is None or isinstance(x, T) for x in v) \
                and any(isinstance(x, T) for x in v):
            tensors[i] = [None if x is None else make_tensor(x, seed_for(op.full_name, si, i, j), dtype)
                          for j, x in enumerate(v)]
    last = max([i for i in range(len(arg_names)) if given[i]], default=-1)
    enc_args = []
    for i in range(last + 1):
        if not given[i]:
            enc_args.append({"default": True})
        else:
            enc_args.append(enc_arg(slots[i], tensors.get(i)))
    entry = {"op": op.full_name, "sample": si, "name": s.name, "variant": s.variant,
             "dtype": dtype, "args": enc_args}
    if s.atol is not None:
        entry["atol"] = s.atol
    if s.rtol is not None:
        entry["rtol"] = s.rtol
    if s.compare:
        entry["compare"] = s.compare
    if s.out_dtype:
        entry["out_dtype"] = s.out_dtype

    call = s.torch or default_torch_call(op, s.variant)

    def invoke(ts, out_dtype=None):
        pos, kw = [], {}
        for i in range(len(arg_names)):
            if not given[i]:
                continue
            v = ts[i] if i in ts else torch_value(slots[i])
            if i < len(s.args):
                pos.append(v)
            else:
                kw[arg_names[i]] = v
        if s.variant == "out":
            # out= takes the dtype the functional call produces.
            functional = s.torch or default_torch_call(op, "functional")
            r = as_outputs(functional(*[p.clone() if isinstance(p, torch.Tensor) else p for p in pos], **kw))
            o = torch.empty(0, dtype=out_dtype or (TORCH_DTYPES[s.out_dtype] if s.out_dtype else r[0].dtype))
            call(*pos, out=o, **kw)
            return [o]
        return as_outputs(call(*pos, **kw))

    def clone_ts(ts, conv=None):
        out = {}
        for i, v in ts.items():
            if isinstance(v, list):
                out[i] = [None if x is None else (conv(x) if conv else x.clone()) for x in v]
            else:
                out[i] = conv(v) if conv else v.clone()
        return out

    # Output dtypes from a run in the dtype itself (when PyTorch supports it on CPU).
    native = None
    try:
        native = invoke(clone_ts(tensors))
    except Exception as ex:  # noqa: BLE001
        native_err = str(ex).split("\n")[0]
    if native is None and (dtype not in FLOATING or dtype is None):
        entry["error"] = native_err
        return entry
    spec_ts = [v for v in slots if isinstance(v, T)] + [x for v in slots if isinstance(v, list)
                                                        for x in v if isinstance(x, T)]
    if dtype in FLOATING and not all(v.fixed for v in spec_ts):
        # Values from float64 arithmetic on the dtype-rounded inputs.
        up = clone_ts(tensors, lambda x: x.double() if x.is_floating_point() else x.clone())
        try:
            ref = invoke(up, torch.float64)
        except Exception as ex:  # noqa: BLE001
            entry["error"] = str(ex).split("\n")[0]
            return entry
        if native is None:
            # PyTorch lacks this dtype on CPU: the output dtype follows the input dtype.
            try:
                f32 = invoke(clone_ts(tensors, lambda x: x.float() if x.is_floating_point() else x.clone()))
                dts = [NAMES[o.dtype] if NAMES[o.dtype] != "float32" else dtype for o in f32]
            except Exception as ex:  # noqa: BLE001
                entry["error"] = str(ex).split("\n")[0]
                return entry
        else:
            dts = [NAMES[o.dtype] for o in native]
        outs = []
        for r, d in zip(ref, dts):
            e = enc_tensor(r)
            e["dtype"] = d
            outs.append(e)
        entry["out"] = outs
    else:
        entry["out"] = [enc_tensor(o) for o in native]

    differentiable = op.differentiable or op.impl == "composite"
    if s.grad and differentiable and dtype == "float64" and s.variant == "functional":
        entry["grad"] = grads(op, si, slots, tensors, invoke)
    return entry


def grads(op, si, slots, tensors, invoke):
    leaves, where = [], []
    ts = {}
    for i, v in tensors.items():
        spec = slots[i]
        if isinstance(v, list):
            ts[i] = []
            for j, x in enumerate(v):
                if x is None:
                    ts[i].append(None)
                    continue
                x = x.clone()
                if x.is_floating_point() and spec[j].grad:
                    x.requires_grad_(True)
                    leaves.append(x)
                    where.append([i, j])
                ts[i].append(x)
        else:
            x = v.clone()
            if x.is_floating_point() and spec.grad:
                x.requires_grad_(True)
                leaves.append(x)
                where.append([i, -1])
                if i == 0 and op.writes_self:
                    x = x.clone()  # fill_/copy_ write self: give them a non-leaf
            ts[i] = x
    if not leaves:
        return None
    outs = invoke(ts)
    douts, ups = [], []
    for k, o in enumerate(outs):
        if o.is_floating_point() and o.requires_grad:
            g = torch.tensor(np.random.RandomState(seed_for(op.full_name, si, "up", k)).randn(*o.shape),
                             dtype=o.dtype)
            douts.append(o)
            ups.append(g)
            continue
        ups.append(None)
    if not douts:
        return None
    gs = torch.autograd.grad(douts, leaves, [u for u in ups if u is not None], allow_unused=True)
    return {
        "upstream": [enc_tensor(u) if u is not None else None for u in ups],
        "inputs": where,
        "expected": [enc_tensor(g) if g is not None else None for g in gs],
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(HERE, "reference.json"))
    p.add_argument("--ops", default="")
    args = p.parse_args()
    torch.set_num_threads(1)
    ops, _ = model.load(os.path.join(ROOT, "engine", "ops", "table"))
    by_name = {o.full_name: o for o in ops}
    samples = all_samples()
    unknown = sorted(set(samples) - set(by_name))
    if unknown:
        sys.exit("samples for ops not in the table: %s" % ", ".join(unknown))
    only = set(args.ops.split(",")) if args.ops else None
    entries = []
    for name in sorted(samples):
        if only and name not in only:
            continue
        op = by_name[name]
        cpu = op.backends.get("cpu") or model.DTYPES
        for si, s in enumerate(samples[name]):
            swept = any(isinstance(v, T) and not v.fixed for v in list(s.args) + list(s.kwargs.values())) or \
                any(isinstance(v, list) and any(isinstance(x, T) and not x.fixed for x in v if x is not None)
                    for v in list(s.args) + list(s.kwargs.values()))
            dtypes = s.dtypes or (cpu if swept else [None])
            for d in dtypes:
                entries.append(run_sample(op, si, s, d))
    with open(args.out, "w") as f:
        json.dump({"torch": torch.__version__, "entries": entries}, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %d entries for %d ops to %s" % (len(entries), len({e["op"] for e in entries}), args.out))


if __name__ == "__main__":
    main()

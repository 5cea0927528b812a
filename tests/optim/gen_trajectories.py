#!/usr/bin/python3
"""Runs torch.optim on a fixed problem and writes what Kiln's optimizers must reproduce.

    tools/regen.sh            (calls this; or directly:)
    /usr/bin/python3 tests/optim/gen_trajectories.py [--out tests/optim/trajectories.json]

The problem: three float64 parameters (or float32 for the *_f32 cases) and a fixed loss

    0.5 * sum(a0 * (p0 - c0)^2) + 0.5 * sum(a1 * (p1 - c1)^2) + k * sum(p0) * sum(p1)
        + 0.5 * sum(a2 * (p2 - c2)^2)          (only at the steps where p2 takes part)

so gradients depend on the parameters (and couple p0 with p1). p2 has no gradient for the
first steps and every 7th step after (zero_grad(set_to_none=True) each step): it must be
skipped, and its state starts late (Adam's per-parameter step counts then differ).

For each case (optimizer, hyperparameters, parameter groups) it records the parameters after
every one of STEPS steps and the final state_dict; then gradient clipping results
(clip_grad_norm_ / clip_grad_value_) and the errors bad hyperparameters raise.
"""

import argparse
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 50
SHAPES = [(5, 3), (4,), (2, 3)]
COUPLING = 0.05


def p2_has_grad(step):
    return step >= 5 and step % 7 != 3


def enc_float(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def enc_tensor(t):
    t = t.detach()
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
            "data": [enc_float(float(x)) for x in t.reshape(-1).double().tolist()]}


def enc_value(v):
    if v is None:
        return {"none": True}
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int": v}
    if isinstance(v, float):
        return {"float": enc_float(v)}
    if isinstance(v, (tuple, list)):
        return {"tuple": [enc_float(float(x)) for x in v]}
    if isinstance(v, torch.Tensor):
        return {"tensor": enc_tensor(v)}
    raise TypeError("cannot encode %r" % (v,))


def enc_kwargs(kw):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}


def problem():
    g = torch.Generator().manual_seed(1234)
    init = [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]
    a = [torch.rand(s, generator=g, dtype=torch.float64) * 1.5 + 0.5 for s in SHAPES]
    c = [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]
    return init, a, c


def loss_fn(ps, a, c, step):
    loss = 0.5 * (a[0] * (ps[0] - c[0]) * (ps[0] - c[0])).sum()
    loss = loss + 0.5 * (a[1] * (ps[1] - c[1]) * (ps[1] - c[1])).sum()
    loss = loss + COUPLING * ps[0].sum() * ps[1].sum()
    if p2_has_grad(step):
        loss = loss + 0.5 * (a[2] * (ps[2] - c[2]) * (ps[2] - c[2])).sum()
    return loss


# name, optimizer, constructor kwargs, groups (None: one group of every param; else a list of
# (param indices, group options)), dtype.
CASES = [
    ("sgd", "SGD", dict(lr=0.1), None),
    ("sgd_momentum", "SGD", dict(lr=0.05, momentum=0.9), None),
    ("sgd_dampening_wd", "SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01), None),
    ("sgd_nesterov", "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02), None),
    ("sgd_maximize", "SGD", dict(lr=0.01, momentum=0.5, maximize=True), None),
    ("sgd_groups", "SGD", dict(lr=0.1, momentum=0.9),
     [([0, 2], {}), ([1], {"lr": 0.02, "momentum": 0.0})]),
    ("adam", "Adam", dict(lr=0.05), None),
    ("adam_amsgrad", "Adam", dict(lr=0.05, amsgrad=True), None),
    ("adam_wd_betas_eps", "Adam", dict(lr=0.05, weight_decay=0.1, betas=(0.8, 0.95), eps=1e-3), None),
    ("adam_maximize_amsgrad", "Adam", dict(lr=0.01, amsgrad=True, maximize=True, weight_decay=0.05), None),
    ("adam_groups", "Adam", dict(lr=0.05),
     [([0], {"lr": 0.1}), ([1, 2], {"lr": 0.01, "amsgrad": True, "betas": (0.5, 0.9)})]),
    ("adamw", "AdamW", dict(lr=0.05), None),
    ("adamw_amsgrad_wd", "AdamW", dict(lr=0.05, amsgrad=True, weight_decay=0.1), None),
    ("adamw_maximize", "AdamW", dict(lr=0.01, maximize=True, weight_decay=0.2), None),
    ("adamw_groups", "AdamW", dict(lr=0.05),
     [([2, 0], {"weight_decay": 0.5}), ([1], {"lr": 0.2, "weight_decay": 0.0})]),
    ("rmsprop", "RMSprop", dict(lr=0.01), None),
    ("rmsprop_centered", "RMSprop", dict(lr=0.01, centered=True), None),
    ("rmsprop_momentum", "RMSprop", dict(lr=0.01, momentum=0.9), None),
    ("rmsprop_centered_momentum_wd", "RMSprop",
     dict(lr=0.005, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1), None),
    ("rmsprop_maximize", "RMSprop", dict(lr=0.001, maximize=True, eps=1e-4), None),
    ("rmsprop_groups", "RMSprop", dict(lr=0.01),
     [([0], {"lr": 0.03, "centered": True}), ([1, 2], {"momentum": 0.7})]),
    ("adagrad", "Adagrad", dict(lr=0.1), None),
    ("adagrad_lr_decay", "Adagrad", dict(lr=0.1, lr_decay=0.01), None),
    ("adagrad_init_acc_eps", "Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-3), None),
    ("adagrad_wd_maximize", "Adagrad", dict(lr=0.05, weight_decay=0.1, maximize=True), None),
    ("adagrad_groups", "Adagrad", dict(lr=0.1),
     [([1], {"lr": 0.3, "lr_decay": 0.05}), ([0, 2], {"weight_decay": 0.01})]),
    ("sgd_nesterov_f32", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True), None, "float32"),
    ("adamw_amsgrad_f32", "AdamW", dict(lr=0.05, amsgrad=True), None, "float32"),
]


def run_case(case, init, a, c):
    name, opt_name, kwargs, groups = case[:4]
    dtype = getattr(torch, case[4]) if len(case) > 4 else torch.float64
    ps = [t.clone().to(dtype).requires_grad_(True) for t in init]
    aa = [t.to(dtype) for t in a]
    cc = [t.to(dtype) for t in c]
    cls = getattr(torch.optim, opt_name)
    if groups is None:
        opt = cls(ps, **kwargs)
    else:
        opt = cls([dict(params=[ps[i] for i in idx], **opts) for idx, opts in groups], **kwargs)
    trajectory = []
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss_fn(ps, aa, cc, step).backward()
        assert (ps[2].grad is not None) == p2_has_grad(step)
        opt.step()
        trajectory.append([enc_float(x) for p in ps for x in p.detach().reshape(-1).double().tolist()])
    sd = opt.state_dict()
    state_dict = {
        "state": {str(k): [[key, enc_value(v)] for key, v in st.items()] for k, st in sd["state"].items()},
        "param_groups": [{"params": g["params"],
                          "options": [[k, enc_value(v)] for k, v in g.items() if k != "params"]}
                         for g in sd["param_groups"]],
    }
    out = {"name": name, "optimizer": opt_name, "dtype": str(dtype).replace("torch.", ""),
           "kwargs": enc_kwargs(kwargs),
           # Group options as [key, value] pairs: their order is the state_dict's key order.
           "groups": None if groups is None else
           [{"params": idx, "options": [[k, v] for k, v in enc_kwargs(opts).items()]}
            for idx, opts in groups],
           "trajectory": trajectory, "state_dict": state_dict}
    return out


def clip_cases():
    g = torch.Generator().manual_seed(99)
    out = []

    def grads_of(shapes, dtypes, scale=1.0, special=None):
        gs = []
        for s, d in zip(shapes, dtypes):
            gs.append((torch.randn(s, generator=g, dtype=torch.float64) * scale).to(d))
        if special is not None:
            gs[0].reshape(-1)[0] = special
        return gs

    f32, f64 = torch.float32, torch.float64
    settings = [
        (grads_of([(3, 4), (5,), ()], [f64] * 3), 1.0, 2.0, False),
        (grads_of([(3, 4), (5,)], [f64] * 2, 0.01), 1.0, 2.0, False),   # below max_norm: unchanged
        (grads_of([(3, 4), (5,)], [f64] * 2), 0.5, float("inf"), False),
        (grads_of([(6,)], [f64]), 0.5, float("inf"), False),
        (grads_of([(3, 4), (5,)], [f64] * 2), 0.5, float("-inf"), False),
        (grads_of([(3, 4), (5,)], [f64] * 2), 2.0, 1.0, False),
        (grads_of([(3, 4), (5,)], [f64] * 2), 2.0, 0.0, False),
        (grads_of([(3, 4), (5,)], [f64] * 2), 1.5, 3.5, False),
        (grads_of([(3, 4), (5,)], [f64] * 2), 1.5, 0.5, False),
        (grads_of([(40, 30), (7,)], [f32] * 2), 3.0, 2.0, False),
        (grads_of([(4, 3), (5,)], [f32, f64]), 1.0, 2.0, False),     # mixed: the norm is float64
        (grads_of([(0,), (4,)], [f64] * 2), 1.0, 2.0, False),        # an empty gradient
        (grads_of([(0,)], [f64]), 1.0, float("inf"), False),          # PyTorch's max() error
        (grads_of([(3,), (2,)], [f64] * 2, special=float("nan")), 1.0, 2.0, False),
        (grads_of([(3,), (2,)], [f64] * 2, special=float("nan")), 1.0, 2.0, True),
        (grads_of([(3,), (2,)], [f64] * 2, special=float("inf")), 1.0, float("inf"), True),
        ([], 1.0, 2.0, False),
    ]
    for grads, max_norm, norm_type, err in settings:
        params = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for p, x in zip(params, grads):
            p.grad = x.clone()
        case = {"grads": [enc_tensor(x) for x in grads], "max_norm": max_norm,
                "norm_type": enc_float(norm_type), "error_if_nonfinite": err}
        try:
            total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type, err)
            case["total_norm"] = enc_tensor(total)
            case["clipped"] = [enc_tensor(p.grad) for p in params]
        except RuntimeError as ex:
            case["error"] = str(ex)
        out.append(case)
    return out


def clip_value_cases():
    g = torch.Generator().manual_seed(7)
    out = []
    for shapes, dtype, value in [([(3, 4), (5,)], torch.float64, 0.5), ([(6,)], torch.float32, 0.1),
                                 ([(2, 2)], torch.float64, -0.3)]:
        grads = [torch.randn(s, generator=g, dtype=torch.float64).to(dtype) for s in shapes]
        grads[0].reshape(-1)[0] = float("nan")
        params = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for p, x in zip(params, grads):
            p.grad = x.clone()
        torch.nn.utils.clip_grad_value_(params, value)
        out.append({"grads": [enc_tensor(x) for x in grads], "clip_value": value,
                    "clipped": [enc_tensor(p.grad) for p in params]})
    return out


ERROR_CASES = [
    ("SGD", dict(lr=-1.0)),
    ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-0.1)),
    ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-0.001)),
    ("Adam", dict(eps=-1e-8)),
    ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(weight_decay=-1e-5)),
    ("AdamW", dict(lr=-1.0)),
    ("AdamW", dict(betas=(-0.5, 0.999))),
    ("RMSprop", dict(lr=-0.01)),
    ("RMSprop", dict(alpha=-0.9)),
    ("RMSprop", dict(momentum=-1.0)),
    ("RMSprop", dict(eps=-1.0)),
    ("Adagrad", dict(lr_decay=-0.5)),
    ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1e-10)),
    ("Adagrad", dict(weight_decay=-2.5)),
]


def error_cases():
    out = []
    p = torch.zeros(2, requires_grad=True)
    for opt_name, kwargs in ERROR_CASES:
        try:
            getattr(torch.optim, opt_name)([p], **kwargs)
            raise AssertionError("%s(%r) did not raise" % (opt_name, kwargs))
        except ValueError as ex:
            out.append({"optimizer": opt_name, "kwargs": enc_kwargs(kwargs), "error": str(ex)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "trajectories.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    init, a, c = problem()
    data = {
        "torch_version": torch.__version__.split("+")[0],
        "steps": STEPS,
        "problem": {"init": [enc_tensor(t) for t in init], "a": [enc_tensor(t) for t in a],
                    "c": [enc_tensor(t) for t in c], "coupling": COUPLING,
                    "p2_has_grad": [p2_has_grad(s) for s in range(STEPS)]},
        "cases": [run_case(case, init, a, c) for case in CASES],
        "clip_grad_norm": clip_cases(),
        "clip_grad_value": clip_value_cases(),
        "errors": error_cases(),
    }
    with open(args.out, "w") as f:
        json.dump(data, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()

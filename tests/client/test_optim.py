"""kiln.optim's steps vs torch.optim's on the same parameters and gradients, and the
Optimizer base: groups, state_dict (its format, round trips, torch's own), errors, repr."""

import warnings

import numpy as np
import pytest
import torch


@pytest.mark.parametrize("make", [
    lambda m, ps: m.optim.SGD(ps, lr=0.1),
    lambda m, ps: m.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda m, ps: m.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda m, ps: m.optim.Adam(ps, lr=0.05),
    lambda m, ps: m.optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.1),
    lambda m, ps: m.optim.AdamW(ps, lr=0.05),
], ids=["sgd", "sgd-momentum", "sgd-nesterov", "adam", "adam-amsgrad", "adamw"])
def test_steps_match_torch(kiln, make):
    rng = np.random.default_rng(0)
    w0, x0 = rng.standard_normal((3, 4)), rng.standard_normal((5, 3))
    sides = []
    for m in (torch, kiln):
        w = m.tensor(w0, dtype=m.float64, requires_grad=True)
        b = m.zeros(4, dtype=m.float64, requires_grad=True)
        x = m.tensor(x0, dtype=m.float64)
        opt = make(m, [w, b])
        for _ in range(4):
            opt.zero_grad()
            loss = (((x.unsqueeze(-1) * w).sum(1) + b) ** 2).sum()
            loss.backward()
            opt.step()
        sides.append((w.detach().numpy(), b.detach().numpy()))
    np.testing.assert_allclose(sides[1][0], sides[0][0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sides[1][1], sides[0][1], rtol=1e-9, atol=1e-12)


# ---- every optimizer and option, over several steps, with two groups ----

_RNG = np.random.default_rng(1)
W0, B0, X0 = _RNG.standard_normal((3, 4)), _RNG.standard_normal(4), _RNG.standard_normal((5, 3))

OPTIMIZERS = {
    "sgd": lambda o, g: o.SGD(g, lr=0.1),
    "sgd-dampening": lambda o, g: o.SGD(g, lr=0.05, momentum=0.8, dampening=0.3),
    "sgd-nesterov-wd": lambda o, g: o.SGD(g, lr=0.05, momentum=0.9, nesterov=True,
                                          weight_decay=0.1),
    "sgd-maximize": lambda o, g: o.SGD(g, lr=0.01, momentum=0.5, maximize=True),
    "adam": lambda o, g: o.Adam(g),
    "adam-betas-eps": lambda o, g: o.Adam(g, lr=0.02, betas=(0.8, 0.95), eps=1e-6),
    "adam-amsgrad-wd": lambda o, g: o.Adam(g, lr=0.05, amsgrad=True, weight_decay=0.1),
    "adam-maximize": lambda o, g: o.Adam(g, lr=0.05, maximize=True),
    "adamw": lambda o, g: o.AdamW(g, lr=0.05),
    "adamw-amsgrad": lambda o, g: o.AdamW(g, lr=0.05, weight_decay=0.3, amsgrad=True),
    "adamw-maximize": lambda o, g: o.AdamW(g, lr=0.05, maximize=True),
    "rmsprop": lambda o, g: o.RMSprop(g),
    "rmsprop-momentum": lambda o, g: o.RMSprop(g, lr=0.01, momentum=0.9, alpha=0.9),
    "rmsprop-centered": lambda o, g: o.RMSprop(g, lr=0.01, centered=True, weight_decay=0.1),
    "rmsprop-all": lambda o, g: o.RMSprop(g, lr=0.01, momentum=0.5, centered=True, eps=1e-4,
                                          weight_decay=0.05, maximize=True),
    "adagrad": lambda o, g: o.Adagrad(g),
    "adagrad-lr-decay": lambda o, g: o.Adagrad(g, lr=0.1, lr_decay=0.05, weight_decay=0.1),
    "adagrad-init": lambda o, g: o.Adagrad(g, lr=0.1, initial_accumulator_value=0.5, eps=1e-6),
    "adagrad-maximize": lambda o, g: o.Adagrad(g, lr=0.1, maximize=True),
}


def _model(m, dtype="float64"):
    dt = getattr(m, dtype)
    w = m.tensor(W0, dtype=dt, requires_grad=True)
    b = m.tensor(B0, dtype=dt, requires_grad=True)
    return w, b, m.tensor(X0, dtype=dt)


def _loss(m, w, b, x):
    return (((x.unsqueeze(-1) * w).sum(1) + b).tanh() ** 2).sum() + (w * w).mean()


def _groups(w, b):
    return [{"params": [w]}, {"params": [b], "lr": 0.003}]


def _train(m, opt, w, b, x, steps):
    for _ in range(steps):
        opt.zero_grad()
        _loss(m, w, b, x).backward()
        opt.step()
    return w.detach().numpy().copy(), b.detach().numpy().copy()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_trajectory_matches_torch(kiln, name):
    got, want = [], []
    for m, out in ((torch, want), (kiln, got)):
        w, b, x = _model(m)
        opt = OPTIMIZERS[name](m.optim, _groups(w, b))
        for _ in range(3):
            out.append(_train(m, opt, w, b, x, 2))
    for (gw, gb), (tw, tb) in zip(got, want):
        np.testing.assert_allclose(gw, tw, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gb, tb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["sgd-nesterov-wd", "adam", "adamw-amsgrad", "rmsprop-all",
                                  "adagrad-lr-decay"])
def test_float32_trajectory(kiln, name):
    res = []
    for m in (torch, kiln):
        w, b, x = _model(m, "float32")
        res.append(_train(m, OPTIMIZERS[name](m.optim, _groups(w, b)), w, b, x, 5))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-5, atol=1e-6)


def test_param_without_grad_is_skipped(kiln):
    res = []
    for m in (torch, kiln):
        w, b, x = _model(m)
        unused = m.ones(2, dtype=m.float64, requires_grad=True)
        opt = m.optim.Adam([w, b, unused], lr=0.1)
        _train(m, opt, w, b, x, 3)
        res.append((w.detach().numpy(), unused.detach().numpy(), sorted(opt.state_dict()["state"])))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-10)
    np.testing.assert_array_equal(res[1][1], [1.0, 1.0])
    assert res[1][2] == res[0][2] == [0, 1]


def test_step_runs_the_closure(kiln):
    losses = []
    for m in (torch, kiln):
        w, b, x = _model(m)
        opt = m.optim.SGD([w, b], lr=0.1, momentum=0.9)

        def closure():
            opt.zero_grad()
            loss = _loss(m, w, b, x)
            loss.backward()
            return loss
        losses.append([float(opt.step(closure)) for _ in range(4)])
        assert opt.step() is None
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-12)


def test_zero_grad(kiln):
    w, b, x = _model(kiln)
    opt = kiln.optim.SGD([w, b], lr=0.1)
    _loss(kiln, w, b, x).backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((3, 4)))
    assert not w.grad.requires_grad
    opt.zero_grad()
    assert w.grad is None and b.grad is None


# ---- state_dict ----

@pytest.mark.parametrize("name", ["sgd", "sgd-nesterov-wd", "adam-amsgrad-wd", "adamw",
                                  "rmsprop-all", "rmsprop-momentum", "adagrad-lr-decay"])
def test_state_dict_round_trip(kiln, name):
    """Saved after 3 steps and loaded into a fresh optimizer (over fresh parameters holding the
    same values), 4 more steps give exactly what 7 uninterrupted steps give."""
    make = OPTIMIZERS[name]
    w, b, x = _model(kiln)
    full = _train(kiln, make(kiln.optim, _groups(w, b)), w, b, x, 7)

    w, b, x = _model(kiln)
    opt = make(kiln.optim, _groups(w, b))
    _train(kiln, opt, w, b, x, 3)
    sd = opt.state_dict()
    w2 = kiln.tensor(w.detach().numpy(), requires_grad=True)
    b2 = kiln.tensor(b.detach().numpy(), requires_grad=True)
    opt2 = make(kiln.optim, [{"params": [w2]}, {"params": [b2]}])
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.003
    _train(kiln, opt, w, b, x, 2)  # the original goes on without disturbing the copy
    resumed = _train(kiln, opt2, w2, b2, x, 4)
    np.testing.assert_array_equal(resumed[0], full[0])
    np.testing.assert_array_equal(resumed[1], full[1])


def _structure(sd):
    def leaf(v):
        if hasattr(v, "shape") and hasattr(v, "dtype"):
            return ("tensor", tuple(v.shape), str(v.dtype).split(".")[-1])
        return v
    return ({k: {n: leaf(v) for n, v in st.items()} for k, st in sd["state"].items()},
            sd["param_groups"])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dict_format_is_torchs(kiln, name):
    sds = []
    for m in (torch, kiln):
        w, b, x = _model(m)
        opt = OPTIMIZERS[name](m.optim, _groups(w, b))
        _train(m, opt, w, b, x, 2)
        sds.append(_structure(opt.state_dict()))
    assert sds[1] == sds[0]


@pytest.mark.parametrize("name", ["sgd-dampening", "adam-amsgrad-wd", "adamw-maximize",
                                  "rmsprop-centered", "adagrad-init"])
def test_load_torch_state_dict(kiln, name):
    """A state_dict torch.optim wrote (torch tensors in it) loads; the next steps are torch's."""
    make = OPTIMIZERS[name]
    w, b, x = _model(torch)
    topt = make(torch.optim, _groups(w, b))
    _train(torch, topt, w, b, x, 3)
    kw = kiln.tensor(w.detach().numpy(), requires_grad=True)
    kb = kiln.tensor(b.detach().numpy(), requires_grad=True)
    kopt = make(kiln.optim, _groups(kw, kb))
    kopt.load_state_dict(topt.state_dict())
    want = _train(torch, topt, w, b, x, 3)
    got = _train(kiln, kopt, kw, kb, kiln.tensor(X0), 3)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-12)


def test_load_casts_state_to_the_params_dtype(kiln):
    w, b, x = _model(kiln)
    opt = kiln.optim.Adam([w, b], lr=0.1)
    _train(kiln, opt, w, b, x, 2)
    w32 = kiln.tensor(W0, dtype=kiln.float32, requires_grad=True)
    b32 = kiln.tensor(B0, dtype=kiln.float32, requires_grad=True)
    opt32 = kiln.optim.Adam([w32, b32], lr=0.1)
    opt32.load_state_dict(opt.state_dict())
    st = opt32.state[w32]
    assert st["exp_avg"].dtype == kiln.float32 and st["step"].dtype == kiln.float32
    assert float(st["step"]) == 2.0
    assert opt.state[w]["exp_avg"].dtype == kiln.float64


def test_load_state_dict_errors(kiln):
    for m in (torch, kiln):
        w, b, x = _model(m)
        opt = m.optim.SGD(_groups(w, b), lr=0.1)
        one_group = m.optim.SGD([w, b], lr=0.1)
        with pytest.raises(ValueError) as e:
            opt.load_state_dict(one_group.state_dict())
        assert str(e.value) == "loaded state dict has a different number of parameter groups"
        sd = opt.state_dict()
        sd["param_groups"][1]["params"] = [1, 2]
        with pytest.raises(ValueError) as e:
            opt.load_state_dict(sd)
        assert str(e.value) == ("loaded state dict contains a parameter group that doesn't "
                                "match the size of optimizer's group")


# ---- groups, errors, repr ----

def _error(m, make):
    w, b, x = _model(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            make(m, w, b)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("make", [
    lambda m, w, b: m.optim.SGD([w], lr=-0.1),
    lambda m, w, b: m.optim.SGD([w], lr=0.1, momentum=-1),
    lambda m, w, b: m.optim.SGD([w], lr=0.1, weight_decay=-1),
    lambda m, w, b: m.optim.SGD([w], lr=0.1, nesterov=True),
    lambda m, w, b: m.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    lambda m, w, b: m.optim.SGD([w]),
    lambda m, w, b: m.optim.SGD([{"params": [w], "lr": 0.1}, {"params": [b]}]),
    lambda m, w, b: m.optim.Adam([w], lr=-1e-3),
    lambda m, w, b: m.optim.Adam([w], eps=-1.0),
    lambda m, w, b: m.optim.Adam([w], betas=(1.0, 0.999)),
    lambda m, w, b: m.optim.Adam([w], betas=(0.9, -0.1)),
    lambda m, w, b: m.optim.Adam([w], weight_decay=-0.1),
    lambda m, w, b: m.optim.AdamW([w], lr=-1e-3),
    lambda m, w, b: m.optim.AdamW([w], betas=(0.9, 1.5)),
    lambda m, w, b: m.optim.RMSprop([w], lr=-1.0),
    lambda m, w, b: m.optim.RMSprop([w], alpha=-0.5),
    lambda m, w, b: m.optim.RMSprop([w], eps=-1.0),
    lambda m, w, b: m.optim.RMSprop([w], momentum=-1.0),
    lambda m, w, b: m.optim.RMSprop([w], weight_decay=-1.0),
    lambda m, w, b: m.optim.Adagrad([w], lr=-1.0),
    lambda m, w, b: m.optim.Adagrad([w], lr_decay=-1.0),
    lambda m, w, b: m.optim.Adagrad([w], weight_decay=-1.0),
    lambda m, w, b: m.optim.Adagrad([w], initial_accumulator_value=-1.0),
    lambda m, w, b: m.optim.Adagrad([w], eps=-1.0),
    lambda m, w, b: m.optim.SGD([], lr=0.1),
    lambda m, w, b: m.optim.SGD(w, lr=0.1),
    lambda m, w, b: m.optim.SGD([w, 3.0], lr=0.1),
    lambda m, w, b: m.optim.SGD([w * 2], lr=0.1),
    lambda m, w, b: m.optim.SGD({w}, lr=0.1).add_param_group({"params": {b}}),
    lambda m, w, b: m.optim.SGD([w], lr=0.1).add_param_group({"params": [b, w]}),
    lambda m, w, b: m.optim.SGD([{"params": [w, b]}, {"params": b}], lr=0.1),
])
def test_errors_match_torch(kiln, make):
    want = _error(torch, make)
    assert want is not None
    got = _error(kiln, make)
    if want[1].startswith("params argument") or "one of the params" in want[1]:
        want = (want[0], want[1].replace("torch.", "kiln.").replace("builtins.", ""))
        got = (got[0], got[1].replace("builtins.", ""))
    assert got == want


def test_add_param_group(kiln):
    res = []
    for m in (torch, kiln):
        w, b, x = _model(m)
        opt = m.optim.SGD([w], lr=0.1, momentum=0.9)
        _train(m, opt, w, b, x, 2)
        opt.add_param_group({"params": b, "lr": 0.01})
        assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.01
        res.append(_train(m, opt, w, b, x, 3))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-10)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-10)


def test_duplicate_params_warn(kiln):
    for m in (torch, kiln):
        w, b, x = _model(m)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            m.optim.SGD([w, w], lr=0.1)


@pytest.mark.parametrize("name", ["sgd-nesterov-wd", "adam-amsgrad-wd", "adamw", "rmsprop-all",
                                  "adagrad-init"])
def test_repr_and_defaults_match_torch(kiln, name):
    out = []
    for m in (torch, kiln):
        w, b, x = _model(m)
        opt = OPTIMIZERS[name](m.optim, _groups(w, b))
        out.append((repr(opt), opt.defaults))
    assert out[1] == out[0]


def test_changing_lr_between_steps(kiln):
    """The next fused step sends the group's current lr (what the schedulers rely on)."""
    res = []
    for m in (torch, kiln):
        w, b, x = _model(m)
        opt = m.optim.AdamW(_groups(w, b), lr=0.1)
        for i in range(4):
            for g in opt.param_groups:
                g["lr"] *= 0.5
            _train(m, opt, w, b, x, 1)
        res.append(w.detach().numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-10)


def test_adagrad_group_added_later(kiln):
    """Kiln gives a group added after construction state from its initial_accumulator_value
    (torch fails at its first step): the same trajectory as a group given at construction."""
    res = []
    for m, late in ((torch, False), (kiln, True)):
        w, b, x = _model(m)
        opt = m.optim.Adagrad([w] if late else _groups(w, b), lr=0.1,
                              initial_accumulator_value=0.2)
        if late:
            opt.add_param_group({"params": [b], "lr": 0.003})
        res.append(_train(m, opt, w, b, x, 4))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-10)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-10)

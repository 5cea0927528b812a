"""kiln.optim.lr_scheduler vs torch.optim.lr_scheduler (1.13): the same schedules over the same
settings, step by step (lrs, and momentum/betas where a scheduler cycles them)."""

import math
import warnings

import pytest
import torch


def _optimizer(m, kind="sgd"):
    a = m.zeros(2, dtype=m.float64, requires_grad=True)
    b = m.zeros(3, dtype=m.float64, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if kind == "adam":
        return m.optim.Adam(groups, lr=0.1)
    return m.optim.SGD(groups, lr=0.1, momentum=0.9)


def _record(opt):
    row = []
    for g in opt.param_groups:
        row.append(g["lr"])
        if "momentum" in g:
            row.append(g["momentum"])
        if "betas" in g:
            row.extend(g["betas"])
    return row


def _run(m, make, n, kind="sgd", metrics=None, epochs=None):
    """The groups' lrs (and momenta) after construction and after each of n steps, and
    get_last_lr() after each."""
    opt = _optimizer(m, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = make(m.optim.lr_scheduler, opt)
        rows, last = [_record(opt)], []
        for i in range(n):
            opt.step()
            if metrics is not None:
                s.step(metrics[i])
            elif epochs is not None:
                s.step(epochs[i])
            else:
                s.step()
            rows.append(_record(opt))
            last.append(list(s._last_lr))  # torch 1.13: no get_last_lr on ReduceLROnPlateau
    return rows, last


def _close(a, b):
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        assert len(x) == len(y), i
        for u, v in zip(x, y):
            assert abs(u - v) <= 1e-12 * max(1.0, abs(v)), (i, x, y)


CASES = {
    "step": (lambda s, o: s.StepLR(o, step_size=7, gamma=0.5), 40),
    "multistep": (lambda s, o: s.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3), 40),
    "constant": (lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=8), 30),
    "constant-default": (lambda s, o: s.ConstantLR(o), 30),
    "linear": (lambda s, o: s.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=20), 40),
    "linear-down": (lambda s, o: s.LinearLR(o, start_factor=1.0, end_factor=0.2,
                                            total_iters=13), 30),
    "exponential": (lambda s, o: s.ExponentialLR(o, gamma=0.93), 60),
    "cosine": (lambda s, o: s.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 65),
    "cosine-zero": (lambda s, o: s.CosineAnnealingLR(o, T_max=17), 100),
    "lambda": (lambda s, o: s.LambdaLR(o, lambda e: 0.95 ** e), 50),
    "lambda-per-group": (lambda s, o: s.LambdaLR(o, [lambda e: 1 / (1 + e),
                                                     lambda e: (e % 5) * 0.2 + 0.1]), 50),
    "multiplicative": (lambda s, o: s.MultiplicativeLR(o, lambda e: 0.97), 50),
    "polynomial": (lambda s, o: s.PolynomialLR(o, total_iters=25, power=2.0), 40),
    "polynomial-default": (lambda s, o: s.PolynomialLR(o), 10),
    "cyclic": (lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5), 60),
    "cyclic-triangular2": (lambda s, o: s.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1,
                                                   step_size_up=4, step_size_down=3,
                                                   mode="triangular2"), 60),
    "cyclic-exp-range": (lambda s, o: s.CyclicLR(o, 0.001, 0.05, step_size_up=6,
                                                 mode="exp_range", gamma=0.97,
                                                 cycle_momentum=False), 60),
    "cyclic-scale-fn": (lambda s, o: s.CyclicLR(o, 0.001, 0.05, step_size_up=3,
                                                scale_fn=lambda x: 1 / (1 + x),
                                                scale_mode="iterations"), 40),
    "onecycle": (lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=60), 60),
    "onecycle-three-phase": (lambda s, o: s.OneCycleLR(o, max_lr=[0.1, 0.3], epochs=5,
                                                       steps_per_epoch=12, three_phase=True,
                                                       anneal_strategy="linear"), 60),
    "onecycle-pct": (lambda s, o: s.OneCycleLR(o, max_lr=0.2, total_steps=37, pct_start=0.45,
                                               div_factor=10., final_div_factor=100.), 37),
    "warm-restarts": (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2,
                                                                  eta_min=1e-3), 70),
    "warm-restarts-1": (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=5), 40),
    "sequential": (lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, start_factor=0.1, total_iters=5), s.ExponentialLR(o, gamma=0.9),
            s.StepLR(o, step_size=4, gamma=0.5)], milestones=[5, 20]), 40),
    "sequential-cosine": (lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.5, total_iters=3), s.CosineAnnealingLR(o, T_max=12)],
        milestones=[6]), 40),
    "chained": (lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.5, total_iters=4), s.ExponentialLR(o, gamma=0.95)]), 40),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_matches_torch(kiln, name):
    make, n = CASES[name]
    want = _run(torch, make, n)
    got = _run(kiln, make, n)
    _close(got[0], want[0])
    _close(got[1], want[1])


@pytest.mark.parametrize("make", [
    lambda s, o: s.OneCycleLR(o, max_lr=0.01, total_steps=50),
    lambda s, o: s.OneCycleLR(o, max_lr=0.01, total_steps=50, three_phase=True,
                              base_momentum=0.8, max_momentum=0.9),
], ids=["onecycle", "onecycle-three-phase"])
def test_onecycle_cycles_adams_beta1(kiln, make):
    _close(_run(kiln, make, 50, kind="adam")[0], _run(torch, make, 50, kind="adam")[0])


PLATEAU = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.89, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.5,
           0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49999, 0.3, 0.3, 0.3, 0.3,
           0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]


@pytest.mark.parametrize("make,metrics", [
    (lambda s, o: s.ReduceLROnPlateau(o, patience=2), PLATEAU),
    (lambda s, o: s.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=2,
                                      min_lr=[0.02, 0.001]), PLATEAU),
    (lambda s, o: s.ReduceLROnPlateau(o, mode="max", threshold=0.05, threshold_mode="abs",
                                      patience=0), [-x for x in PLATEAU]),
    (lambda s, o: s.ReduceLROnPlateau(o, mode="max", patience=3, eps=0.01),
     [math.sin(i / 3) for i in range(60)]),
], ids=["default", "cooldown-min-lr", "max-abs", "max-eps"])
def test_reduce_on_plateau_matches_torch(kiln, make, metrics):
    n = len(metrics)
    _close(_run(kiln, make, n, metrics=metrics)[0], _run(torch, make, n, metrics=metrics)[0])


def test_reduce_on_plateau_takes_a_tensor_metric(kiln):
    opt = _optimizer(kiln)
    s = kiln.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    s.step(kiln.tensor(1.0))
    s.step(kiln.tensor(2.0))
    assert s.get_last_lr() == [0.1 * 0.1, 0.05 * 0.1]


@pytest.mark.parametrize("make,epochs", [
    (lambda s, o: s.StepLR(o, step_size=3, gamma=0.5), [1, 2, 5, 3, 10, 11, 0, 7]),
    (lambda s, o: s.MultiStepLR(o, milestones=[2, 4, 4], gamma=0.5), [1, 3, 4, 2, 9, 0]),
    (lambda s, o: s.ExponentialLR(o, gamma=0.9), [3, 1, 8, 2]),
    (lambda s, o: s.CosineAnnealingLR(o, T_max=6), [1, 2, 9, 4, 13, 0]),
    (lambda s, o: s.LinearLR(o, total_iters=4), [1, 2, 7, 3]),
    (lambda s, o: s.ConstantLR(o, total_iters=4), [1, 5, 3]),
    (lambda s, o: s.PolynomialLR(o, total_iters=6, power=0.5), [1, 4, 8, 2]),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2), [0.5, 1, 2.25, 9, 30.5, 4]),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=4), [0.5, 5, 9.75, 2]),
    (lambda s, o: s.LambdaLR(o, lambda e: 1 / (e + 1)), [4, 2, 6]),
], ids=["step", "multistep", "exponential", "cosine", "linear", "constant", "polynomial",
        "warm-restarts", "warm-restarts-1", "lambda"])
def test_step_with_epoch_uses_the_closed_form(kiln, make, epochs):
    n = len(epochs)
    _close(_run(kiln, make, n, epochs=epochs)[0], _run(torch, make, n, epochs=epochs)[0])


@pytest.mark.parametrize("name", ["step", "cosine", "lambda", "cyclic", "onecycle",
                                  "warm-restarts", "sequential", "chained", "linear"])
def test_state_dict_round_trip(kiln, name):
    """Save the optimizer and scheduler after k steps, load both into fresh ones, go on: the
    same lrs as a run never interrupted (and as torch's)."""
    make, n = CASES[name]
    k = n // 3
    s = kiln.optim.lr_scheduler
    full = _run(kiln, make, n)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = _optimizer(kiln)
        sched = make(s, opt)
        for _ in range(k):
            opt.step()
            sched.step()
        osd, ssd = opt.state_dict(), sched.state_dict()
        opt2 = _optimizer(kiln)
        sched2 = make(s, opt2)
        opt2.load_state_dict(osd)
        sched2.load_state_dict(ssd)
        rows = [_record(opt2)]
        for _ in range(n - k):
            opt2.step()
            sched2.step()
            rows.append(_record(opt2))
    _close(rows, full[k:])
    _close(rows, _run(torch, make, n)[0][k:])


def test_state_dict_contents(kiln):
    opt = _optimizer(kiln)
    sd = kiln.optim.lr_scheduler.StepLR(opt, step_size=3).state_dict()
    topt = _optimizer(torch)
    tsd = torch.optim.lr_scheduler.StepLR(topt, step_size=3).state_dict()
    assert sd == tsd
    lam = kiln.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0).state_dict()
    assert lam["lr_lambdas"] == [None, None]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]


def test_resume_needs_initial_lr(kiln):
    for m in (torch, kiln):
        with pytest.raises(KeyError) as e:
            m.optim.lr_scheduler.StepLR(_optimizer(m), 3, last_epoch=4)
        assert e.value.args[0] == ("param 'initial_lr' is not specified in param_groups[0] "
                                   "when resuming an optimizer")


def test_resume_with_last_epoch(kiln):
    def make(s, o):
        s.CosineAnnealingLR(o, T_max=9)  # sets initial_lr in the groups
        for g in o.param_groups:
            g["lr"] = g["initial_lr"]
        return s.CosineAnnealingLR(o, T_max=9, last_epoch=4)
    _close(_run(kiln, make, 20)[0], _run(torch, make, 20)[0])


def _error(m, make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            make(m.optim.lr_scheduler, _optimizer(m), _optimizer(m, "adam"))
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("make", [
    lambda s, o, a: s.StepLR(object(), 3),
    lambda s, o, a: s.ConstantLR(o, factor=1.5),
    lambda s, o, a: s.LinearLR(o, start_factor=-0.1),
    lambda s, o, a: s.LinearLR(o, end_factor=2.0),
    lambda s, o, a: s.LambdaLR(o, [lambda e: 1.0]),
    lambda s, o, a: s.MultiplicativeLR(o, [lambda e: 1.0] * 3),
    lambda s, o, a: s.ReduceLROnPlateau(o, factor=1.0),
    lambda s, o, a: s.ReduceLROnPlateau(o, mode="mean"),
    lambda s, o, a: s.ReduceLROnPlateau(o, threshold_mode="relative"),
    lambda s, o, a: s.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda s, o, a: s.CyclicLR(a, 0.01, 0.1),
    lambda s, o, a: s.CyclicLR(o, 0.01, 0.1, mode="sawtooth"),
    lambda s, o, a: s.CyclicLR(o, [0.01], 0.1),
    lambda s, o, a: s.OneCycleLR(o, max_lr=0.1),
    lambda s, o, a: s.OneCycleLR(o, max_lr=0.1, total_steps=0),
    lambda s, o, a: s.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=2.5),
    lambda s, o, a: s.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1),
    lambda s, o, a: s.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
    lambda s, o, a: s.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda s, o, a: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5),
    lambda s, o, a: s.SequentialLR(o, [s.StepLR(o, 2), s.StepLR(o, 3)], milestones=[1, 2]),
    lambda s, o, a: s.SequentialLR(o, [s.StepLR(o, 2), s.StepLR(a, 3)], milestones=[1]),
    lambda s, o, a: s.ChainedScheduler([s.StepLR(o, 2), s.StepLR(a, 3)]),
])
def test_errors_match_torch(kiln, make):
    want = _error(torch, make)
    assert want is not None
    assert _error(kiln, make) == want


@pytest.mark.filterwarnings("ignore:Detected call")
def test_onecycle_past_the_end(kiln):
    for m in (torch, kiln):
        opt = _optimizer(m)
        s = m.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(3):
            s.step()
        with pytest.raises(ValueError, match="Tried to step 5 times. The specified number of "
                                             "total steps is 3"):
            s.step()


def test_warnings(kiln):
    opt = _optimizer(kiln)
    s = kiln.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        s.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr"):
        s.get_lr()
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
    assert s.get_last_lr() == [0.1 * 0.25, 0.05 * 0.25]
    assert opt._step_count == 1


@pytest.mark.parametrize("make", [
    lambda s, o: s.OneCycleLR(o, max_lr=0.2, total_steps=12),
    lambda s, o: s.SequentialLR(o, [s.LinearLR(o, start_factor=0.2, total_iters=3),
                                    s.CosineAnnealingLR(o, T_max=9)], milestones=[3]),
], ids=["onecycle", "sequential"])
def test_training_with_a_schedule_matches_torch(kiln, make):
    """The scheduled lrs (and OneCycleLR's momentum) reach the fused steps."""
    res = []
    for m in (torch, kiln):
        w = m.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=m.float64, requires_grad=True)
        x = m.tensor([[1.0, 2.0], [-0.5, 0.3], [0.7, -1.2]], dtype=m.float64)
        opt = m.optim.SGD([w], lr=0.1, momentum=0.9)
        sched = make(m.optim.lr_scheduler, opt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(12):
                opt.zero_grad()
                ((x @ w).sin() ** 2).sum().backward()
                opt.step()
                sched.step()
        res.append(w.detach().numpy())
    assert abs(res[1] - res[0]).max() <= 1e-12

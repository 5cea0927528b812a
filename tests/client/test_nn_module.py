"""kiln.nn's Module API against torch.nn's: names, repr, state_dict strictness, modes, hooks,
conversions, containers, deepcopy; kiln.nn.init's distributions; kiln.nn.utils."""

import numpy as np
import pytest
import torch


def _t(m, a, rg=False):
    return m.tensor(a, dtype=m.float64, requires_grad=bool(rg))


# ---- the Module API ----
class _Net:
    """The same small model on either side: a submodule, a ModuleList, a ModuleDict, buffers."""

    @staticmethod
    def make(nn, m):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4),
                                              nn.ReLU(inplace=True))
                self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 3)])
                self.extra = nn.ModuleDict({"emb": nn.Embedding(5, 4, padding_idx=0),
                                            "ln": nn.LayerNorm(4)})
                self.scale = nn.Parameter(m.ones(1))
                self.register_buffer("steps", m.zeros(1))
                self.register_buffer("cache", m.zeros(2), persistent=False)

            def forward(self, x):
                h = self.features(x).mean((2, 3))
                return [head(h) for head in self.heads]
        return Net()


def test_names_and_repr_match_torch(kiln):
    tn, kn = _Net.make(torch.nn, torch), _Net.make(kiln.nn, kiln)
    assert repr(kn) == repr(tn)
    assert list(kn.state_dict()) == list(tn.state_dict())
    assert [k for k, _ in kn.named_parameters()] == [k for k, _ in tn.named_parameters()]
    assert [k for k, _ in kn.named_buffers()] == [k for k, _ in tn.named_buffers()]
    assert [k for k, _ in kn.named_modules()] == [k for k, _ in tn.named_modules()]
    assert [k for k, _ in kn.named_children()] == [k for k, _ in tn.named_children()]
    assert [k for k, _ in kn.heads.named_parameters(prefix="h")] == \
        [k for k, _ in tn.heads.named_parameters(prefix="h")]
    assert [tuple(p.shape) for p in kn.parameters()] == [tuple(p.shape) for p in tn.parameters()]
    assert len(list(kn.parameters(recurse=False))) == 1
    assert isinstance(kn.scale, kiln.nn.Parameter) and not isinstance(kn.steps, kiln.nn.Parameter)
    assert isinstance(kn.scale, kiln.Tensor) and kn.scale.requires_grad
    assert kn.get_parameter("heads.1.bias") is kn.heads[1].bias
    assert kn.get_submodule("extra.ln") is kn.extra["ln"]


def test_state_dict_round_trip_and_strict_errors(kiln):
    tn, kn = _Net.make(torch.nn, torch), _Net.make(kiln.nn, kiln)
    sd = {k: v.numpy() for k, v in tn.state_dict().items()}
    assert kn.load_state_dict(sd) == ([], [])
    for k, v in kn.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k])
    # torch's tensors load directly too
    kn.load_state_dict(tn.state_dict())
    bad = dict(sd)
    del bad["heads.0.bias"]
    bad["nope"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "heads.0.bias"'):
        kn.load_state_dict(bad)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "nope"'):
        kn.load_state_dict(bad)
    missing, unexpected = kn.load_state_dict(bad, strict=False)
    assert missing == ["heads.0.bias"] and unexpected == ["nope"]
    bad = dict(sd, **{"heads.0.weight": np.zeros((3, 4))})
    with pytest.raises(RuntimeError, match="size mismatch for heads.0.weight"):
        kn.load_state_dict(bad, strict=False)
    assert "cache" not in kn.state_dict() and "steps" in kn.state_dict()


def test_train_eval_requires_grad_zero_grad_apply(kiln):
    nn = kiln.nn
    net = _Net.make(nn, kiln)
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert net.features[1].training
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_(True)
    outs = net(kiln.randn(2, 3, 5, 5))
    (outs[0].sum() + outs[1].sum()).backward()
    assert net.heads[0].weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert np.all(net.heads[0].weight.grad.numpy() == 0)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Conv2d"
    net.apply(lambda m: kiln.nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert np.all(net.heads[1].weight.detach().numpy() == 0)


def test_setattr_rules_and_hooks(kiln):
    nn = kiln.nn
    m = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="cannot assign"):
        m.weight = kiln.zeros(2, 3)
    m.bias = None
    assert m.bias is None and "bias" not in m.state_dict()
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        m.register_buffer("in_features", kiln.zeros(1))
    with pytest.raises(KeyError, match=r'contain "\."'):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        m.nope  # noqa: B018
    del m.weight
    assert "weight" not in dict(m.named_parameters())
    m = nn.Linear(3, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out * 0)
    x = kiln.randn(4, 3)
    assert np.all(m(x).detach().numpy() == 0) and calls == [kiln.Size([4, 2])]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(m(x).detach().numpy(), F_linear(x, m), rtol=1e-6)


def F_linear(x, m):
    return x.numpy() @ m.weight.detach().numpy().T + m.bias.detach().numpy()


def test_to_dtype_keeps_integer_buffers(kiln):
    net = _Net.make(kiln.nn, kiln)
    w = net.heads[0].weight
    before = w.detach().numpy()
    opt = kiln.optim.SGD(net.parameters(), lr=0.1)
    assert net.to(kiln.float64) is net
    assert net.heads[0].weight is w and w.dtype == kiln.float64  # the same object, as in torch
    np.testing.assert_array_equal(w.detach().numpy(), before)
    net(kiln.randn(2, 3, 5, 5, dtype=kiln.float64))[0].sum().backward()
    opt.step()  # an optimizer made before .to() still steps the converted parameters
    assert w.grad.dtype == kiln.float64 and not np.array_equal(w.detach().numpy(), before)
    assert all(p.dtype == kiln.float64 for p in net.parameters())
    assert all(p.requires_grad and isinstance(p, kiln.nn.Parameter) for p in net.parameters())
    assert net.features[1].num_batches_tracked.dtype == kiln.int64
    assert net.features[1].running_mean.dtype == kiln.float64
    assert net.float().heads[0].weight.dtype == kiln.float32
    net.to("cpu", kiln.float64)
    assert w.dtype == kiln.float64 and w.device == kiln.device("cpu")
    net.to(kiln.zeros(1))  # a tensor's dtype and device
    assert w.dtype == kiln.float32 and net.features[1].num_batches_tracked.dtype == kiln.int64
    with pytest.raises(TypeError, match="only accepts floating point dtypes"):
        net.to(kiln.int32)


def test_containers(kiln):
    nn = kiln.nn
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[-1], nn.Linear) and len(s[:2]) == 2
    del s[1]
    assert list(s._modules) == ["0", "1"]
    s.append(nn.Sigmoid())
    assert s(kiln.randn(5, 2)).shape == kiln.Size([5, 1])
    ml = nn.ModuleList([nn.ReLU()])
    ml += [nn.Tanh()]
    ml.insert(0, nn.Identity())
    assert [type(x).__name__ for x in ml] == ["Identity", "ReLU", "Tanh"]
    with pytest.raises(IndexError):
        ml[3]  # noqa: B018
    md = nn.ModuleDict({"a": nn.ReLU()})
    md["b"] = nn.Tanh()
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    md.pop("a")
    assert list(md) == ["b"]


def test_init_distributions(kiln):
    kiln.manual_seed(0)
    init = kiln.nn.init
    w = kiln.empty(400, 300)
    cases = [
        (lambda: init.uniform_(w, -2, 3), 0.5, 5 / 12 ** 0.5),
        (lambda: init.normal_(w, 1, 2), 1.0, 2.0),
        (lambda: init.xavier_uniform_(w), 0.0, (2 / 700) ** 0.5),
        (lambda: init.xavier_normal_(w, gain=2), 0.0, 2 * (2 / 700) ** 0.5),
        (lambda: init.kaiming_uniform_(w, nonlinearity="relu"), 0.0, (2 / 300) ** 0.5),
        (lambda: init.kaiming_normal_(w, mode="fan_out"), 0.0, (2 / 400) ** 0.5),
    ]
    for fill, mean, std in cases:
        a = fill().numpy()
        assert abs(a.mean() - mean) < 0.02 * max(std, 1) and abs(a.std() / std - 1) < 0.02
    a = init.trunc_normal_(w, std=1.0, a=-1.0, b=1.5).numpy()
    assert a.min() >= -1.0 and a.max() <= 1.5 and a.std() > 0.5
    assert np.all(init.constant_(w, 0.25).numpy() == 0.25)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(kiln.empty(3))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
def test_init_orthogonal(kiln, shape):
    kiln.manual_seed(0)
    w = kiln.nn.init.orthogonal_(kiln.empty(*shape), gain=2.0)
    a = w.numpy().reshape(shape[0], -1)
    small = a @ a.T if a.shape[0] <= a.shape[1] else a.T @ a
    np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        kiln.nn.init.orthogonal_(kiln.empty(3))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_and_vectors_match_torch(kiln, norm_type):
    res = []
    for m in (torch, kiln):
        lin = m.nn.Linear(4, 3).double()
        lin.load_state_dict({"weight": _t(m, np.arange(12.0).reshape(3, 4) / 7),
                             "bias": _t(m, np.ones(3))})
        lin(_t(m, np.ones((2, 4)))).pow(2).sum().backward()
        total = m.nn.utils.clip_grad_norm_(lin.parameters(), 1.5, norm_type=norm_type)
        gn = [p.grad.numpy().copy() for p in lin.parameters()]
        m.nn.utils.clip_grad_value_(lin.parameters(), 0.1)
        gv = [p.grad.numpy() for p in lin.parameters()]
        vec = m.nn.utils.parameters_to_vector(lin.parameters()).detach().numpy()
        res.append((float(total), gn, gv, vec))
    assert res[1][0] == pytest.approx(res[0][0], rel=1e-12)
    for a, b in zip(res[1][1] + res[1][2], res[0][1] + res[0][2]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_array_equal(res[1][3], res[0][3])


def test_functional_errors(kiln):
    F = kiln.nn.functional
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout(kiln.randn(3), p=1.5)
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.mse_loss(kiln.randn(3), kiln.randn(3), reduction="avg")
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        kiln.nn.BatchNorm2d(3)(kiln.randn(2, 3))


def test_deepcopy_clones_parameters(kiln):
    import copy
    net = _Net.make(kiln.nn, kiln)
    twin = copy.deepcopy(net)
    assert list(twin.state_dict()) == list(net.state_dict())
    assert twin.heads[0].weight is not net.heads[0].weight
    assert isinstance(twin.heads[0].weight, kiln.nn.Parameter)
    np.testing.assert_array_equal(twin.heads[0].weight.detach().numpy(),
                                  net.heads[0].weight.detach().numpy())
    kiln.nn.init.zeros_(twin.heads[0].weight)
    assert np.any(net.heads[0].weight.detach().numpy() != 0)


def test_parameter_containers_and_from_pretrained(kiln):
    nn = kiln.nn
    pl = nn.ParameterList([nn.Parameter(kiln.zeros(2)), kiln.ones(3)])
    pl.append(kiln.ones(1))
    assert len(pl) == 3 and all(isinstance(p, nn.Parameter) for p in pl)
    assert [k for k, _ in pl.named_parameters()] == ["0", "1", "2"]
    pd = nn.ParameterDict({"a": kiln.zeros(2)})
    pd["b"] = kiln.ones(2)
    assert list(pd.keys()) == ["a", "b"] and "a" in pd and pd["b"].requires_grad

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = pl
            self.pd = pd
    assert list(Holder().state_dict()) == ["ps.0", "ps.1", "ps.2", "pd.a", "pd.b"]
    w = np.arange(12.0).reshape(4, 3)
    emb = nn.Embedding.from_pretrained(kiln.tensor(w))
    assert not emb.weight.requires_grad and emb.num_embeddings == 4
    np.testing.assert_array_equal(emb(kiln.tensor([3, 1])).numpy(), w[[3, 1]])
    assert repr(emb) == repr(torch.nn.Embedding.from_pretrained(torch.tensor(w)))

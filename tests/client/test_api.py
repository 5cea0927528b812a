"""The torch-shaped surface: factories, operators, indexing, autograd, conversions — each
compared with torch on the same values."""

import numpy as np
import pytest
import torch


def same(k, t, tol=1e-6):
    a = k.detach().numpy() if hasattr(k, "detach") else np.asarray(k)
    b = t.detach().numpy()
    assert tuple(k.shape) == tuple(t.shape)
    assert str(k.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=tol, atol=tol)


def test_metadata_without_round_trip(kiln):
    x = kiln.zeros(2, 3, dtype=kiln.float64)
    c = x._c
    sent = c.batch
    y = (x + 1).sum(1, keepdim=True).expand(2, 5)
    assert y.shape == (2, 5) and y.dtype == kiln.float64 and y.ndim == 2 and y.numel() == 10
    assert y.size(-1) == 5 and str(y.device) == "cpu" and y.size() == kiln.Size([2, 5])
    assert c.batch == sent  # nothing was sent: every answer came from the client's rules


def test_factories_and_conversions(kiln):
    same(kiln.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 4]]))
    same(kiln.tensor([1.5, 2.0]), torch.tensor([1.5, 2.0]))
    same(kiln.tensor(True), torch.tensor(True))
    same(kiln.from_numpy(np.arange(6.0).reshape(2, 3)), torch.from_numpy(np.arange(6.0).reshape(2, 3)))
    same(kiln.ones(2, 3), torch.ones(2, 3))
    same(kiln.full((2,), 7), torch.full((2,), 7))
    same(kiln.arange(5), torch.arange(5))
    same(kiln.arange(0, 1, 0.25), torch.arange(0, 1, 0.25))
    same(kiln.linspace(0, 1, 5), torch.linspace(0, 1, 5))
    same(kiln.eye(3), torch.eye(3))
    x = kiln.tensor([1.7, -2.2])
    same(x.to(kiln.int64), torch.tensor([1.7, -2.2]).to(torch.int64))
    same(x.double(), torch.tensor([1.7, -2.2]).double())
    assert x.to("cpu") is x and x.to(kiln.float32) is x
    assert kiln.tensor(3.5).item() == 3.5 and kiln.tensor([[1, 2]]).tolist() == [[1, 2]]
    same(kiln.zeros_like(x), torch.zeros_like(torch.tensor([1.7, -2.2])))
    kiln.manual_seed(0)
    a = kiln.randn(3, 4).tolist()
    kiln.manual_seed(0)
    assert kiln.randn(3, 4).tolist() == a
    r = kiln.rand(1000)
    assert 0 <= r.min().item() if hasattr(r, "min") else True
    assert kiln.bfloat16 is not None
    same(kiln.tensor([1.0, 2.5], dtype=kiln.bfloat16).float(), torch.tensor([1.0, 2.5]))


def test_operators(kiln):
    a_, b_ = torch.tensor([[1.0, -2.0, 3.0]]), torch.tensor([[0.5], [2.0]])
    a, b = kiln.tensor(a_.tolist()), kiln.tensor(b_.tolist())
    for f in (lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y,
              lambda x, y: x ** 2, lambda x, y: 2 ** y, lambda x, y: 1 - x, lambda x, y: -x,
              lambda x, y: x > y, lambda x, y: x == 3, lambda x, y: x % 2, lambda x, y: x // y,
              lambda x, y: 3 / y, lambda x, y: (x > 0) & (y > 1)):
        same(f(a, b), f(a_, b_))
    c_ = torch.tensor([1, 2, 3])
    c = kiln.tensor([1, 2, 3])
    c += 2
    c_ += 2
    same(c, c_)
    same(kiln.add(a, b, alpha=2), torch.add(a_, b_, alpha=2))
    o = kiln.empty(0)
    kiln.mul(a, b, out=o)
    same(o, torch.mul(a_, b_))
    same(kiln.where(a > 0, a, b), torch.where(a_ > 0, a_, b_))
    same(kiln.cat([a, a], 1), torch.cat([a_, a_], 1))
    same(kiln.stack([a, a]), torch.stack([a_, a_]))
    assert [t.tolist() for t in a.split(1, 1)] == [t.tolist() for t in a_.split(1, 1)]
    with pytest.raises(RuntimeError, match="broadcast"):
        kiln.tensor([1.0, 2.0]) + kiln.tensor([1.0, 2.0, 3.0])  # raised at the call: client rules


def test_indexing(kiln):
    t_ = torch.arange(24.0).reshape(2, 3, 4)
    t = kiln.arange(24.0).reshape(2, 3, 4)
    for idx in [1, -1, (0, 2), (slice(1, None), slice(None, None, 2)), (None, Ellipsis, 0),
                (Ellipsis, 1), (slice(None), [0, 2]), ([1, 0], slice(None), [3, 3]),
                (0, slice(None), 1), (slice(None, None, 2), None, 1)]:
        same(t[idx], t_[idx])
    m_ = t_ > 10
    m = t > 10
    same(t[m], t_[m_])
    same(t[t[:, 0, 0] > 5], t_[t_[:, 0, 0] > 5])
    idx_, idx = torch.tensor([2, 0]), kiln.tensor([2, 0])
    same(t[:, idx], t_[:, idx_])
    for setter in [lambda x, i: x.__setitem__((0, 1), 100.0),
                   lambda x, i: x.__setitem__((slice(None), 0), -1.0),
                   lambda x, i: x.__setitem__(i, 0.5)]:
        u_, u = t_.clone(), t.clone()
        setter(u_, m_)
        setter(u, m)
        same(u, u_)
    u_, u = t_.clone(), t.clone()
    u_[1, :, 2] = torch.tensor([7.0, 8.0, 9.0])
    u[1, :, 2] = kiln.tensor([7.0, 8.0, 9.0])
    same(u, u_)
    u_[:, idx_] = 3.0
    u[:, idx] = 3.0
    same(u, u_)
    with pytest.raises(IndexError):
        t[5]


def test_autograd(kiln):
    w_ = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    w = kiln.tensor([1.0, -2.0, 0.5], requires_grad=True)
    x_, x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), kiln.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    loss_ = ((x_ * w_).sum(1) ** 2).sum()
    loss = ((x * w).sum(1) ** 2).sum()
    assert loss.requires_grad and not loss.is_leaf and w.is_leaf and w.grad is None
    loss_.backward()
    loss.backward()
    same(w.grad, w_.grad)
    (g_,) = torch.autograd.grad((x_ * w_).sum() * 3, w_)
    (g,) = kiln.autograd.grad((x * w).sum() * 3, w)
    same(g, g_)
    with kiln.no_grad():
        y = x * w
        assert not y.requires_grad
        w -= 0.1 * w.grad
    w.grad = None
    assert w.grad is None
    assert (x * w).requires_grad
    d = (x * w).detach()
    assert not d.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        kiln.tensor([1.0]).sum().backward()


def test_repr_like_torch(kiln):
    assert repr(kiln.tensor([1.0, 2.0])) == repr(torch.tensor([1.0, 2.0]))
    assert repr(kiln.tensor([[1, 2], [3, 4]])) == repr(torch.tensor([[1, 2], [3, 4]]))
    assert repr(kiln.tensor(True)) == repr(torch.tensor(True))
    assert "requires_grad=True" in repr(kiln.ones(2, requires_grad=True))


def test_dynamic_shape_asks_the_daemon(kiln):
    x = kiln.tensor([0.0, 1.0, 0.0, 2.0])
    nz = x.nonzero()
    assert nz._m.shape is None  # not known yet
    assert nz.shape == (2, 1) and nz.dtype == kiln.int64


def test_handles_are_freed(kiln, kilnd):
    from conftest import metric, scrape
    kiln.synchronize()
    before = metric(scrape(kilnd.metrics), "kiln_live_bytes", {"device": "cpu"})
    for _ in range(50):
        y = kiln.zeros(1 << 18)  # 1 MiB each, dropped at once
        y = y + 1
    del y
    kiln.synchronize()
    kiln.synchronize()
    after = metric(scrape(kilnd.metrics), "kiln_live_bytes", {"device": "cpu"})
    assert after - before < 4 << 20, (before, after)

"""kiln.optim's steps vs torch.optim's on the same parameters and gradients."""

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

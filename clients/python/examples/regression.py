#!/usr/bin/python3
"""A tiny MLP (2 -> 16 -> 1, ReLU) fit to y = 3*x0 - 2*x1 + 1 with plain SGD, written as
PyTorch code: only the import differs. The tensors, the tape and the gradients live in kilnd.

    KILN_ADDRESS=127.0.0.1:7878 clients/python/examples/regression.py   (or no address: a
    private kilnd is started and stopped)

Kiln's matmul arrives with the linalg family; until then a linear layer is a broadcast
multiply and a sum: (N, in, 1) * (in, out) summed over `in`."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import kiln as torch  # noqa: E402  (the one changed line)


def linear(x, w, b):
    return (x.unsqueeze(-1) * w).sum(1) + b


def main(steps=200, lr=0.05):
    torch.manual_seed(0)
    n = 256
    x = torch.rand(n, 2) * 2 - 1
    y = (3 * x[:, 0] - 2 * x[:, 1] + 1).unsqueeze(1)
    w1 = (torch.randn(2, 16) * 0.5).requires_grad_()
    b1 = torch.zeros(16, requires_grad=True)
    w2 = (torch.randn(16, 1) * 0.25).requires_grad_()
    b2 = torch.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    first = last = None
    for step in range(steps + 1):
        h = linear(x, w1, b1)
        h = h * (h > 0)  # ReLU
        pred = linear(h, w2, b2)
        loss = ((pred - y) ** 2).sum() / n
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
        if step % 20 == 0:
            last = loss.item()
            first = last if first is None else first
            print("step %3d  loss %.5f" % (step, last), flush=True)
    s = torch.session()
    metrics = os.environ.get("KILN_METRICS") or (s.daemon.metrics if s.daemon else None)
    print("trained on kilnd at %s%s" % (s.address, "; metrics at " + metrics if metrics else ""))
    return first, last


if __name__ == "__main__":
    first, last = main()
    sys.exit(0 if last < first * 0.1 else 1)

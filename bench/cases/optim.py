import torch

from cases.util import data

N = 1000 * 1000
TENSORS = 10


def _params():
    ps = []
    for _ in range(TENSORS):
        p = data(1000, 1000).requires_grad_()
        p.grad = data(1000, 1000)
        ps.append(p)
    return ps


# PyTorch 1.13's fastest CPU path: the multi-tensor (foreach) implementation.
def _adamw():
    opt = torch.optim.AdamW(_params(), foreach=True)
    opt.step()
    return opt.step


def _sgd_momentum():
    opt = torch.optim.SGD(_params(), lr=0.01, momentum=0.9, foreach=True)
    opt.step()
    return opt.step


CASES = {
    # Bytes moved: AdamW reads param, grad, exp_avg, exp_avg_sq and writes three of them; SGD
    # reads param, grad, buffer and writes two.
    "adamw_step_10M": (_adamw, 7 * 4 * N * TENSORS, "GB/s"),
    "sgd_momentum_step_10M": (_sgd_momentum, 5 * 4 * N * TENSORS, "GB/s"),
}

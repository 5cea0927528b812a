import torch

from cases.util import data

N = 1 << 24


def _add():
    a, b = data(N), data(N)
    return lambda: torch.add(a, b)


def _mul():
    a, b = data(N), data(N)
    return lambda: torch.mul(a, b)


CASES = {
    "add_16M_f32": (_add, 3 * 4 * N, "GB/s"),
    "mul_16M_f32": (_mul, 3 * 4 * N, "GB/s"),
}

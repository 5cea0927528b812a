import torch

from cases.util import data

N = 1 << 24


def _add():
    a, b = data(N), data(N)
    return lambda: torch.add(a, b)


def _mul():
    a, b = data(N), data(N)
    return lambda: torch.mul(a, b)


def _lt():
    a, b = data(N), data(N)
    return lambda: torch.lt(a, b)


def _where():
    a = data(N)
    b = -a
    c = a > b
    return lambda: torch.where(c, a, b)


def _maximum():
    a = data(N)
    b = -a
    return lambda: torch.maximum(a, b)


def _pow2():
    a = data(N)
    return lambda: torch.pow(a, 2)


CASES = {
    "add_16M_f32": (_add, 3 * 4 * N, "GB/s"),
    "mul_16M_f32": (_mul, 3 * 4 * N, "GB/s"),
    "lt_16M_f32": (_lt, (4 + 4 + 1) * N, "GB/s"),
    "where_16M_f32": (_where, (1 + 4 + 4 + 4) * N, "GB/s"),
    "maximum_16M_f32": (_maximum, 3 * 4 * N, "GB/s"),
    "pow2_16M_f32": (_pow2, 2 * 4 * N, "GB/s"),
}


# ---- unary family ----
def _unary(fn):
    def make():
        a = data(N)
        return lambda: fn(a)
    return make


CASES.update({
    "exp_16M_f32": (_unary(torch.exp), 2 * 4 * N, "GB/s"),
    "tanh_16M_f32": (_unary(torch.tanh), 2 * 4 * N, "GB/s"),
    "sigmoid_16M_f32": (_unary(torch.sigmoid), 2 * 4 * N, "GB/s"),
    "relu_16M_f32": (_unary(torch.relu), 2 * 4 * N, "GB/s"),
    "gelu_16M_f32": (_unary(torch.nn.functional.gelu), 2 * 4 * N, "GB/s"),
    "gelu_tanh_16M_f32": (_unary(lambda a: torch.nn.functional.gelu(a, approximate="tanh")),
                          2 * 4 * N, "GB/s"),
})
# (end of unary)

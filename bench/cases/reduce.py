import torch

from cases.util import data


def _sum():
    a = data(1 << 24)
    return lambda: torch.sum(a)


def _rows():
    a = data(4096, 4096)
    return lambda: torch.sum(a, 1)


def _cols():
    a = data(4096, 4096)
    return lambda: torch.sum(a, 0)


CASES = {
    "sum_16M_f32": (_sum, 4 << 24, "GB/s"),
    "sum_rows_4096x4096_f32": (_rows, 4 * 4096 * 4096, "GB/s"),
    "sum_cols_4096x4096_f32": (_cols, 4 * 4096 * 4096, "GB/s"),
}

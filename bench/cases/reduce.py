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


# ---- reduce family (mean, max, var, logsumexp, sort, cumsum) ----

def _mean():
    a = data(1 << 24)
    return lambda: torch.mean(a)


def _mean_rows():
    a = data(4096, 4096)
    return lambda: torch.mean(a, 1)


def _max():
    a = data(1 << 24)
    return lambda: torch.max(a)


def _max_dim_rows():
    a = data(4096, 4096)
    return lambda: torch.max(a, 1)


def _var():
    a = data(1 << 24)
    return lambda: torch.var(a)


def _var_rows():
    a = data(4096, 4096)
    return lambda: torch.var(a, 1)


def _logsumexp_rows():
    a = data(4096, 1024)
    return lambda: torch.logsumexp(a, 1)


def _sort():
    a = data(1 << 20)
    return lambda: torch.sort(a)


def _cumsum():
    a = data(1 << 24)
    return lambda: torch.cumsum(a, 0)


CASES.update({
    "mean_16M_f32": (_mean, 4 << 24, "GB/s"),
    "mean_rows_4096x4096_f32": (_mean_rows, 4 * 4096 * 4096, "GB/s"),
    "max_16M_f32": (_max, 4 << 24, "GB/s"),
    "max_dim_rows_4096x4096_f32": (_max_dim_rows, 4 * 4096 * 4096, "GB/s"),
    "var_16M_f32": (_var, 4 << 24, "GB/s"),
    "var_rows_4096x4096_f32": (_var_rows, 4 * 4096 * 4096, "GB/s"),
    "logsumexp_rows_4096x1024_f32": (_logsumexp_rows, 4 * 4096 * 1024, "GB/s"),
    "sort_1M_f32": (_sort, 4 << 20, "GB/s"),
    "cumsum_16M_f32": (_cumsum, 8 << 24, "GB/s"),
})

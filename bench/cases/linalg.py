import torch

from cases.util import data


def _matmul(n, dtype):
    def setup():
        a, b = data(n, n, dtype=dtype), data(n, n, dtype=dtype)
        return lambda: torch.matmul(a, b)
    return setup


def _bmm(b, n):
    def setup():
        x, y = data(b, n, n), data(b, n, n)
        return lambda: torch.bmm(x, y)
    return setup


def _mm():
    a, b = data(1024, 1024), data(1024, 1024)
    return lambda: torch.mm(a, b)


def _mm_tn():
    a, b = data(1024, 1024), data(1024, 1024)
    return lambda: torch.mm(a.t(), b)


CASES = {
    "matmul_256_f32": (_matmul(256, torch.float32), 2 * 256 ** 3, "GFLOP/s"),
    "matmul_512_f32": (_matmul(512, torch.float32), 2 * 512 ** 3, "GFLOP/s"),
    "matmul_1024_f32": (_matmul(1024, torch.float32), 2 * 1024 ** 3, "GFLOP/s"),
    "matmul_2048_f32": (_matmul(2048, torch.float32), 2 * 2048 ** 3, "GFLOP/s"),
    "matmul_1024_f64": (_matmul(1024, torch.float64), 2 * 1024 ** 3, "GFLOP/s"),
    "bmm_16384x4x4_f32": (_bmm(16384, 4), 2 * 16384 * 4 ** 3, "GFLOP/s"),
    "bmm_64x128x128_f32": (_bmm(64, 128), 2 * 64 * 128 ** 3, "GFLOP/s"),
    "mm_1024_f32": (_mm, 2 * 1024 ** 3, "GFLOP/s"),
    "mm_tn_1024_f32": (_mm_tn, 2 * 1024 ** 3, "GFLOP/s"),
}

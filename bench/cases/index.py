import torch

from cases.util import data

ROWS, WIDTH, PICKS = 1 << 20, 64, 100000


def _rows():
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, ROWS, (PICKS,), generator=g)


def _cat():
    ts = [data(1 << 20) for _ in range(16)]
    return lambda: torch.cat(ts, 0)


def _cat_dim1():
    ts = [data(4096, 256) for _ in range(16)]
    return lambda: torch.cat(ts, 1)


def _index_select():
    table, idx = data(ROWS, WIDTH), _rows()
    return lambda: torch.index_select(table, 0, idx)


def _index():
    table, idx = data(ROWS, WIDTH), _rows()
    return lambda: table[idx]


def _index_add():
    table, idx, src = data(ROWS, WIDTH), _rows(), data(PICKS, WIDTH)
    return lambda: table.index_add_(0, idx, src)


PICKED = 4 * PICKS * WIDTH  # bytes of the picked rows
CASES = {
    "cat_16x1M_f32": (_cat, 2 * 4 * 16 * (1 << 20), "GB/s"),
    "cat_dim1_16x4096x256_f32": (_cat_dim1, 2 * 4 * 16 * 4096 * 256, "GB/s"),
    "index_select_1Mx64_100K_f32": (_index_select, 2 * PICKED + 8 * PICKS, "GB/s"),
    "index_1Mx64_100K_f32": (_index, 2 * PICKED + 8 * PICKS, "GB/s"),
    "index_add_1Mx64_100K_f32": (_index_add, 3 * PICKED + 8 * PICKS, "GB/s"),
}

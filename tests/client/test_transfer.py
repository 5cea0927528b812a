"""Upload / Download in ~1 MiB chunks: a 1 GiB round trip by default
(KILN_TRANSFER_GIB=5 for 5 GiB), byte-exact, with the rate printed."""

import os
import time

import numpy as np

from kiln._tensor import from_array

GIB = float(os.environ.get("KILN_TRANSFER_GIB", "1"))


def test_round_trip(kiln, capsys):
    n = int(GIB * (1 << 30)) // 8
    a = np.arange(n, dtype=np.int64)
    a[::4097] *= -3  # not just a ramp
    t0 = time.time()
    t = from_array(a)
    kiln.synchronize()
    up = time.time() - t0
    assert t.shape == (n,) and t.dtype == kiln.int64
    t0 = time.time()
    b = t.numpy()
    down = time.time() - t0
    assert np.array_equal(a, b)
    with capsys.disabled():
        print("\n%.2f GiB: upload %.2f GB/s, download %.2f GB/s"
              % (GIB, a.nbytes / up / 1e9, a.nbytes / down / 1e9))
    del t, b


def test_sizes_around_the_chunk_and_inline_limits(kiln):
    for n in (0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20):
        a = (np.arange(n) % 251).astype(np.uint8)
        t = from_array(a)
        assert np.array_equal(t.numpy(), a), n
        assert np.array_equal((t + 0).numpy(), a), n  # via an op: FETCH then Download

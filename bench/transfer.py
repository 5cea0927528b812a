#!/usr/bin/python3
"""Upload / Download GB/s over loopback (Python client -> kilnd, ~1 MiB chunks, crc32 both
ways) vs a local memcpy (numpy copy) of the same bytes.

    /usr/bin/python3 bench/transfer.py [--mib 64,256,1024] [--address host:port]"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "clients", "python"))

import kiln  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mib", default="64,256,1024")
    p.add_argument("--address", default=None)
    a = p.parse_args()
    kiln.connect(a.address)
    print("| size | upload GB/s | download GB/s | memcpy GB/s (fresh / warm pages) | upload/memcpy | download/memcpy |")
    print("|---|---|---|---|---|---|")
    for mib in (int(m) for m in a.mib.split(",")):
        src = np.arange(mib << 17, dtype=np.int64)
        n = src.nbytes
        dst = np.empty_like(src)
        t0 = time.perf_counter()
        np.copyto(dst, src)
        mc = n / (time.perf_counter() - t0) / 1e9  # into fresh pages, as a transfer lands
        t0 = time.perf_counter()
        np.copyto(dst, src)
        warm = n / (time.perf_counter() - t0) / 1e9  # into pages already mapped
        t0 = time.perf_counter()
        t = kiln.from_numpy(src)
        kiln.synchronize()
        up = n / (time.perf_counter() - t0) / 1e9
        t0 = time.perf_counter()
        back = t.numpy()
        down = n / (time.perf_counter() - t0) / 1e9
        assert np.array_equal(back, src)
        del t, back
        print("| %d MiB | %.2f | %.2f | %.2f / %.2f | %.3f | %.3f |"
              % (mib, up, down, mc, warm, up / mc, down / mc))


if __name__ == "__main__":
    main()

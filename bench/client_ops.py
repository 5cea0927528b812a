#!/usr/bin/python3
"""Tiny-op throughput streamed from the Python client to kilnd vs PyTorch eager on the same
ops, same process, one after the other. The Kiln time includes the final synchronize (every
op has run on the daemon).

    /usr/bin/python3 bench/client_ops.py [--ops 20000] [--address host:port]

With no address a private kilnd (bazel-bin/server/kilnd) is started on loopback."""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "clients", "python"))

import kiln  # noqa: E402
import torch  # noqa: E402


def cases(lib):
    x = lib.ones(4)
    y = lib.ones(4) * 2

    def add():
        return x + y

    def add_scalar():
        return x + 1.5

    def mul_inplace():
        x.mul_(1.0)

    def chain():
        return ((x * y) - 1).neg()  # 3 ops

    return [("add", add, 1), ("add_scalar", add_scalar, 1), ("mul_", mul_inplace, 1),
            ("mul-sub-neg", chain, 3)]


def run(lib, fn, n, sync):
    fn()
    sync()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    sync()
    return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ops", type=int, default=20000)
    p.add_argument("--address", default=None)
    p.add_argument("--repeat", type=int, default=5, help="alternating rounds per case (best counts)")
    a = p.parse_args()
    torch.set_num_threads(1)
    kiln.connect(a.address)
    print("| case | kiln ops/s | torch ops/s | kiln/torch |")
    print("|---|---|---|---|")
    for (name, kf, k), (_, tf, _) in zip(cases(kiln), cases(torch)):
        # Alternate the two sides and keep each one's best round: the box is shared and noisy.
        rk = rt = 0.0
        for _ in range(a.repeat):
            rk = max(rk, a.ops * k / run(kiln, kf, a.ops, kiln.synchronize))
            rt = max(rt, a.ops * k / run(torch, tf, a.ops, lambda: None))
        print("| %s | %.0f | %.0f | %.2f |" % (name, rk, rt, rk / rt))

if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Tiny-op throughput streamed from the Python client to kilnd vs PyTorch eager on the same
ops, same process, one after the other. The Kiln time includes the final synchronize (every
op has run on the daemon).

    /usr/bin/python3 bench/client_ops.py [--ops 20000] [--address host:port]

With no address a private kilnd (bazel-bin/server/kilnd) is started on loopback.

On a shared box the wall-clock rates say mostly how much CPU each process got, so the CPU time
per op is printed too (client: this process, its gRPC threads included; daemon: from /proc,
private daemon only; torch: this process). Client and daemon work in a pipeline, so with a
core each the rate is bounded by the larger of the two: the last column is torch's CPU per
op over that."""

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


def cpu_seconds(pid):
    if pid is None:
        return 0.0
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(lib, fn, n, sync, pid=None):
    """(wall s, this process's CPU s, the daemon's CPU s)."""
    fn()
    sync()
    c0, s0, t0 = time.process_time(), cpu_seconds(pid), time.perf_counter()
    for _ in range(n):
        fn()
    sync()
    return time.perf_counter() - t0, time.process_time() - c0, cpu_seconds(pid) - s0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ops", type=int, default=20000)
    p.add_argument("--address", default=None)
    p.add_argument("--repeat", type=int, default=5, help="alternating rounds per case (best counts)")
    a = p.parse_args()
    torch.set_num_threads(1)
    c = kiln.connect(a.address)
    pid = c.daemon.proc.pid if c.daemon is not None else None
    print("| case | kiln ops/s | torch ops/s | kiln/torch | CPU us/op: client / daemon / torch "
          "| kiln/torch by CPU |")
    print("|---|---|---|---|---|---|")
    for (name, kf, k), (_, tf, _) in zip(cases(kiln), cases(torch)):
        # Alternate the two sides and keep each one's best round: the box is shared and noisy.
        rk = rt = 0.0
        ck = sk = ct = 1e9
        n = a.ops * k
        for _ in range(a.repeat):
            w, cc, sc = run(kiln, kf, a.ops, kiln.synchronize, pid)
            rk, ck, sk = max(rk, n / w), min(ck, cc / n * 1e6), min(sk, sc / n * 1e6)
            w, cc, _ = run(torch, tf, a.ops, lambda: None)
            rt, ct = max(rt, n / w), min(ct, cc / n * 1e6)
        daemon = "%.2f" % sk if pid else "-"
        print("| %s | %.0f | %.0f | %.2f | %.2f / %s / %.2f | %.2f |"
              % (name, rk, rt, rk / rt, ck, daemon, ct, ct / max(ck, sk if pid else 0)))

if __name__ == "__main__":
    main()

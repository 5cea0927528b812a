#!/usr/bin/python3
"""Kiln vs PyTorch, side by side in one run, as ratios.

    bench/compare.py [--filter add] [--threads N] [--markdown]

Runs PyTorch's version of every case in this process and Kiln's through the bench binary
(bazel-bin/bench/ops_bench, built first), with the same thread count on both sides, and
prints time per case, throughput and Kiln/PyTorch (time ratio: below 1 means Kiln is faster).
Each case is `name: (torch setup returning the timed callable, work, unit)`; work is bytes
moved for GB/s rows and flops for GFLOP/s rows. Every case must exist on both sides.
"""

import argparse
import os
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from cases import CASES  # noqa: E402


def time_torch(fn):
    fn()
    times, total = [], 0.0
    while len(times) < 5 or (total < 0.3 and len(times) < 1000):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        times.append(dt)
        total += dt
    times.sort()
    return times[len(times) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--filter", default="")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--binary", default=os.path.join(ROOT, "bazel-bin", "bench", "ops_bench"))
    args = p.parse_args()
    if not os.environ.get("KILN_BENCH_NO_BUILD"):
        subprocess.run(["bazel", "build", "//bench:ops_bench"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    torch.set_num_threads(args.threads)
    env = dict(os.environ, KILN_NUM_THREADS=str(args.threads))
    listed = subprocess.run([args.binary, "--list"], env=env, capture_output=True, text=True,
                            check=True).stdout.split()
    missing = sorted(set(CASES) ^ set(listed))
    if missing:
        sys.exit("cases on one side only: %s" % ", ".join(missing))
    names = [n for n in listed if args.filter in n]
    rows = []
    for name in names:
        setup, work, unit = CASES[name]
        t_torch = time_torch(setup())
        out = subprocess.run([args.binary, "--filter", name, "--threads", str(args.threads)], env=env,
                             capture_output=True, text=True, check=True).stdout
        t_kiln = float([l for l in out.splitlines() if l.split("\t")[0] == name][0].split("\t")[1])
        scale = 1e9
        rows.append((name, t_kiln, t_torch, work / t_kiln / scale, work / t_torch / scale, unit))
    head = ("case", "kiln ms", "torch ms", "kiln %s" % "rate", "torch rate", "unit", "kiln/torch")
    fmt = "| %s | %s | %s | %s | %s | %s | %s |" if args.markdown else "%-28s %10s %10s %11s %11s %8s %10s"
    print("threads: %d (both sides), torch %s" % (args.threads, torch.__version__))
    print(fmt % head)
    if args.markdown:
        print("|---|---|---|---|---|---|---|")
    for name, tk, tt, rk, rt, unit in rows:
        print(fmt % (name, "%.3f" % (tk * 1e3), "%.3f" % (tt * 1e3), "%.2f" % rk, "%.2f" % rt, unit,
                     "%.2f" % (tk / tt)))


if __name__ == "__main__":
    main()

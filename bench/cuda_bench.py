#!/usr/bin/env python3
"""Kiln's CUDA kernels against the PyTorch on the same GPU, in one run, as ratios.

    bazel build --disk_cache=/work/.bazel-disk-cache //bench/cuda_bench
    python3 bench/cuda_bench.py [--filter NAME] [--bin PATH] [--markdown]

Kiln's side is bazel-bin/bench/cuda_bench/cuda_bench (median ms of each case after a
warm-up, synchronized); PyTorch's side is timed here the same way (CUDA events, median).
The issue's targets: matmul >= 0.9x cuBLAS-through-PyTorch, elementwise >= 0.85x of the
measured device-to-device copy bandwidth, attention within 1.2x of PyTorch's SDPA.
"""
import argparse
import os
import statistics
import subprocess
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.join(HERE, "..", "bazel-bin", "bench", "cuda_bench", "cuda_bench")


def median_ms(fn, min_runs=10, max_runs=200, budget_ms=1000.0):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    total = 0.0
    while len(times) < min_runs or (len(times) < max_runs and total < budget_ms):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        t = start.elapsed_time(end)
        times.append(t)
        total += t
    return statistics.median(times)


def data(*shape, dtype=torch.float32):
    return torch.rand(*shape, device="cuda").to(dtype)


def torch_cases():
    """name -> (setup returning the timed callable)."""
    n = 4096
    m = 1 << 26

    def mm(dtype, tf32):
        def setup():
            torch.backends.cuda.matmul.allow_tf32 = tf32
            a, b = data(n, n, dtype=dtype), data(n, n, dtype=dtype)
            return lambda: torch.mm(a, b)
        return setup

    def copy():
        a = data(m)
        b = torch.empty_like(a)
        return lambda: b.copy_(a)

    def add():
        a, b = data(m), data(m)
        return lambda: torch.add(a, b)

    def softmax():
        x = data(8192, 4096)
        return lambda: torch.softmax(x, -1)

    def layer_norm():
        x, w, b = data(8192, 4096), data(4096), data(4096)
        return lambda: F.layer_norm(x, (4096,), w, b, 1e-5)

    def cross_entropy():
        x = data(4096, 32000)
        t = (torch.arange(4096, device="cuda") * 7919) % 32000
        return lambda: F.cross_entropy(x, t)

    def attention():
        q, k, v = (data(8, 16, 2048, 64, dtype=torch.bfloat16) for _ in range(3))
        return lambda: F.scaled_dot_product_attention(q, k, v)

    def adamw():
        params = [torch.nn.Parameter(data(10_000_000)) for _ in range(10)]
        for p in params:
            p.grad = data(10_000_000)
        opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01, fused=True)
        return lambda: opt.step()

    return {
        "matmul_4096_bf16": mm(torch.bfloat16, False),
        "matmul_4096_fp32": mm(torch.float32, False),
        "matmul_4096_tf32": mm(torch.float32, True),
        "copy_256MiB": copy,
        "add_64M_f32": add,
        "softmax_8192x4096_f32": softmax,
        "layer_norm_8192x4096_f32": layer_norm,
        "cross_entropy_4096x32000_f32": cross_entropy,
        "attention_8x16x2048x64_bf16": attention,
        "adamw_100M_f32": adamw,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--filter", default="")
    ap.add_argument("--bin", default=DEFAULT_BIN)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("cuda_bench: PyTorch sees no GPU")
    out = subprocess.run([args.bin, args.filter], check=True, capture_output=True, text=True).stdout
    kiln = {}
    for line in out.splitlines():
        name, ms, work = line.split("\t")
        kiln[name] = (float(ms), float(work))
    rows = []
    cases = torch_cases()
    torch_copy_gbs = None
    for name, setup in cases.items():
        if args.filter not in name or name not in kiln:
            continue
        t_ms = median_ms(setup())
        torch.backends.cuda.matmul.allow_tf32 = False
        k_ms, work = kiln[name]
        if name == "copy_256MiB":
            torch_copy_gbs = work / t_ms / 1e6
        rows.append((name, k_ms, t_ms, work))
    dev = torch.cuda.get_device_name(0)
    print(f"device: {dev}; torch {torch.__version__}, CUDA {torch.version.cuda}")
    head = ["case", "kiln ms", "torch ms", "torch/kiln", "kiln rate"]
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
    else:
        print("%-30s %10s %10s %10s %s" % tuple(head))
    for name, k_ms, t_ms, work in rows:
        flops = name.startswith(("matmul", "attention"))
        rate = f"{work / k_ms / 1e9:.1f} TFLOP/s" if flops else f"{work / k_ms / 1e6:.0f} GB/s"
        if torch_copy_gbs and not flops and not name.startswith(("copy", "adamw")):
            rate += f" ({work / k_ms / 1e6 / torch_copy_gbs:.2f} of torch copy)"
        cells = [name, f"{k_ms:.3f}", f"{t_ms:.3f}", f"{t_ms / k_ms:.2f}", rate]
        if args.markdown:
            print("| " + " | ".join(cells) + " |")
        else:
            print("%-30s %10s %10s %10s %s" % tuple(cells))


if __name__ == "__main__":
    main()

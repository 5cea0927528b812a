#!/usr/bin/python3
"""Upload / Download GB/s over loopback (Python client -> kilnd, chunked, crc32 both ways) vs a
local memcpy (numpy copy) of the same bytes.

    /usr/bin/python3 bench/transfer.py [--mib 64,256,1024] [--repeat 3] [--chunk-mib 4]
                                       [--address host:port]

Each row is the best of --repeat rounds. On a shared box the wall-clock rate mostly says how
much CPU the two processes got, so the CPU seconds both spent per GB moved (client + daemon,
read from /proc; only with the private daemon, i.e. without --address) are printed too:
1 / (CPU s per GB) is the rate the transfer would reach with a core to itself per process
pair, roughly."""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "clients", "python"))

import kiln  # noqa: E402


def cpu_seconds(pid):
    if pid is None:
        return 0.0
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn, pid):
    c0, s0, t0 = time.process_time(), cpu_seconds(pid), time.perf_counter()
    r = fn()
    wall = time.perf_counter() - t0
    return r, wall, time.process_time() - c0 + cpu_seconds(pid) - s0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mib", default="64,256,1024")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--address", default=None)
    p.add_argument("--chunk-mib", type=float, default=None,
                   help="chunk size both ways (the private daemon's --chunk_bytes)")
    a = p.parse_args()
    pid = None
    if a.chunk_mib:
        from kiln import _client
        from kiln._daemon import Daemon
        _client.CHUNK = int(a.chunk_mib * (1 << 20))
        if a.address is None:
            d = Daemon(args=["--chunk_bytes=%d" % _client.CHUNK])
            a.address, pid = d.address, d.proc.pid
    c = kiln.connect(a.address)
    if c.daemon is not None:
        pid = c.daemon.proc.pid
    print("| size | upload GB/s | download GB/s | memcpy GB/s (fresh / warm pages) "
          "| upload/memcpy | download/memcpy | CPU s/GB up / down |")
    print("|---|---|---|---|---|---|---|")
    for mib in (int(m) for m in a.mib.split(",")):
        src = np.arange(mib << 17, dtype=np.int64)
        n = src.nbytes
        best = [0.0, 0.0, 0.0, 0.0, 1e9, 1e9]  # up, down, memcpy fresh, warm, cpu up, down
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            dst = src.copy()  # into fresh pages, as a transfer lands
            best[2] = max(best[2], n / (time.perf_counter() - t0) / 1e9)
            t0 = time.perf_counter()
            np.copyto(dst, src)  # into pages already mapped
            best[3] = max(best[3], n / (time.perf_counter() - t0) / 1e9)
            del dst

            def up():
                t = kiln.from_numpy(src)
                kiln.synchronize()
                return t
            t, wall, cpu = timed(up, pid)
            best[0], best[4] = max(best[0], n / wall / 1e9), min(best[4], cpu / (n / 1e9))
            back, wall, cpu = timed(t.numpy, pid)
            best[1], best[5] = max(best[1], n / wall / 1e9), min(best[5], cpu / (n / 1e9))
            assert np.array_equal(back, src)
            del t, back
        cpu = ("%.2f / %.2f" % (best[4], best[5])) if pid else "-"
        print("| %d MiB | %.2f | %.2f | %.2f / %.2f | %.2f | %.2f | %s |"
              % (mib, best[0], best[1], best[2], best[3], best[0] / best[2], best[1] / best[2], cpu))


if __name__ == "__main__":
    main()

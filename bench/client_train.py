#!/usr/bin/python3
"""One training step (zero_grad, forward, cross-entropy, backward, AdamW step, loss.item() as
the sync) of four models, Kiln (the Python client over loopback to kilnd) vs PyTorch eager
in this process, same sizes and thread counts: the median step of each, and where Kiln's
time goes.

    /usr/bin/python3 bench/client_train.py [--threads 2] [--steps 30] [--rounds 3]
        [--models mlp,cnn,lstm,transformer] [--address host:port] [--markdown]
    /usr/bin/python3 bench/client_train.py --threads 1 --cnn-layers   # the CNN layer by layer

With no --address (nor $KILN_ADDRESS) it starts a private kilnd ($KILN_KILND, else
bazel-bin/server/kilnd) with KILN_NUM_THREADS=--threads, so both sides use the same intra-op
thread count; against a remote daemon its thread count is whatever that daemon has.

Kiln's breakdown per step (medians): `issue` is the wall time from zero_grad to the optimizer
step returning (ops are sent without waiting, but a round trip inside the step, such as the
optimizer asking which parameters got a gradient, waits there), `wait` is the time blocked in
loss.item() for the daemon to finish; `client cpu` is this process's CPU time per step (its
Python, encoding and gRPC threads: what the client costs); `kilnd cpu` is kilnd's CPU time
per step (all its threads, from /proc; local daemon only); `torch cpu` is this process's CPU
time per torch step, and `kiln/torch cpu` compares (client + kilnd) CPU with it: on a loaded
box the CPU a step costs moves less than its wall time. `ops` and `round trips` are
/metrics' kiln_ops_total and kiln_batches_total per step
(a batch is answered when it ends in a sync)."""

import argparse
import os
import re
import statistics
import sys
import time
import urllib.request

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "clients", "python"))

CLASSES = 10
# name: (batch input shape or (batch, seq) of token ids, description)
SIZES = {
    "mlp": ((64, 784), "784-256-256-10, batch 64"),
    "cnn": ((64, 1, 28, 28), "2x(conv3x3-BN-ReLU-pool) + linear, 1x28x28, batch 64"),
    "lstm": ((32, 32), "emb 64, 2-layer LSTM 128, seq 32, batch 32"),
    "transformer": ((32, 32), "emb 64, 2 layers, 4 heads, ff 128, seq 32, batch 32"),
}
VOCAB = 1000


def build(m, name):
    """The same model over `m` (torch or kiln)."""
    nn = m.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            if name == "mlp":
                self.body = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256),
                                          nn.ReLU(), nn.Linear(256, CLASSES))
            elif name == "cnn":
                self.body = nn.Sequential(
                    nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                    nn.MaxPool2d(2),
                    nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                    nn.AvgPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, CLASSES))
            elif name == "lstm":
                self.emb = nn.Embedding(VOCAB, 64)
                self.rnn = nn.LSTM(64, 128, num_layers=2, batch_first=True)
                self.head = nn.Linear(128, CLASSES)
            else:
                self.emb = nn.Embedding(VOCAB, 64)
                layer = nn.TransformerEncoderLayer(64, nhead=4, dim_feedforward=128,
                                                   dropout=0.0, batch_first=True)
                self.enc = nn.TransformerEncoder(layer, num_layers=2)
                self.head = nn.Linear(64, CLASSES)

        def forward(self, x):
            if name in ("mlp", "cnn"):
                return self.body(x)
            if name == "lstm":
                return self.head(self.rnn(self.emb(x))[0][:, -1])
            return self.head(self.enc(self.emb(x)).mean(1))
    return Net()


def data(name):
    rng = np.random.default_rng(0)
    shape = SIZES[name][0]
    if name in ("mlp", "cnn"):
        x = rng.standard_normal(shape).astype(np.float32)
    else:
        x = rng.integers(0, VOCAB, shape)
    return x, rng.integers(0, CLASSES, shape[0])


class Side:
    """One library's model, optimizer and batch; step() returns (total, issue, wait) seconds."""

    def __init__(self, m, name, state=None):
        self.m = m
        self.model = build(m, name)
        if state is not None:
            self.model.load_state_dict({k: m.tensor(v) for k, v in state.items()})
        self.opt = m.optim.AdamW(self.model.parameters(), lr=1e-3)
        self.crit = m.nn.CrossEntropyLoss()
        x, y = data(name)
        self.x, self.y = m.tensor(x), m.tensor(y)

    def step(self):
        c0 = time.process_time()
        t0 = time.perf_counter()
        self.opt.zero_grad()
        loss = self.crit(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        t1 = time.perf_counter()
        loss.item()
        t2 = time.perf_counter()
        return t2 - t0, t1 - t0, t2 - t1, time.process_time() - c0


def scrape(url):
    if not url:
        return {}
    with urllib.request.urlopen(url, timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        mt = re.match(r"^(kiln_ops_total|kiln_batches_total)(\{[^}]*\})?\s+(\S+)", line)
        if mt:
            out[mt.group(1)] = out.get(mt.group(1), 0.0) + float(mt.group(3))
    return out


def cpu_seconds(pid):
    if pid is None:
        return 0.0
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


HEAD = ["model", "sizes", "kiln steps/s", "torch steps/s", "kiln/torch time",
        "kiln issue ms", "kiln wait ms", "client cpu ms", "kilnd cpu ms", "torch cpu ms",
        "kiln/torch cpu", "ops/step", "round trips/step"]


def cells(r):
    """A row's cells for HEAD: times are per-step medians, CPU kilnd's mean over its steps."""
    opt = (lambda v, f: "-" if v is None else f % v)
    kcpu = None if r["dcpu"] is None else (r["ccpu"] + r["dcpu"]) / r["tcpu"]
    return [r["model"], r["desc"], "%.1f" % (1 / r["kiln"]), "%.1f" % (1 / r["torch"]),
            "%.2f" % (r["kiln"] / r["torch"]), "%.2f" % (r["issue"] * 1e3),
            "%.2f" % (r["wait"] * 1e3), "%.2f" % (r["ccpu"] * 1e3),
            opt(r["dcpu"] and r["dcpu"] * 1e3, "%.1f"), "%.1f" % (r["tcpu"] * 1e3),
            opt(kcpu, "%.2f"), opt(r["ops"], "%.0f"), opt(r["batches"], "%.1f")]


# the CNN's layers alone (fwd + bwd of .sum()), at its shapes: where its kilnd time goes
CNN_LAYERS = [
    ("conv 1->16 28x28", lambda nn: nn.Conv2d(1, 16, 3, padding=1, bias=False), (64, 1, 28, 28)),
    ("batchnorm 16x28x28", lambda nn: nn.BatchNorm2d(16), (64, 16, 28, 28)),
    ("relu 16x28x28", lambda nn: nn.ReLU(), (64, 16, 28, 28)),
    ("max_pool 16x28x28", lambda nn: nn.MaxPool2d(2), (64, 16, 28, 28)),
    ("conv 16->32 14x14", lambda nn: nn.Conv2d(16, 32, 3, padding=1, bias=False),
     (64, 16, 14, 14)),
    ("batchnorm 32x14x14", lambda nn: nn.BatchNorm2d(32), (64, 32, 14, 14)),
    ("avg_pool 32x14x14", lambda nn: nn.AvgPool2d(2), (64, 32, 14, 14)),
    ("linear 1568->10", lambda nn: nn.Linear(1568, 10), (64, 1568)),
]


def cnn_layers(torch, kiln, pid, n=40):
    """CPU per fwd+bwd of each CNN layer: kilnd's (from /proc) vs this process's for torch."""
    rng = np.random.default_rng(0)
    print("| layer (batch 64) | kilnd cpu ms | torch cpu ms | kiln/torch |")
    print("|---|---|---|---|")
    for name, make, shape in CNN_LAYERS:
        x0 = rng.standard_normal(shape).astype(np.float32)
        cpu = []
        for m in (kiln, torch):
            layer, x = make(m.nn), m.tensor(x0, requires_grad=True)
            for i in range(n + 2):
                if i == 2:
                    kiln.synchronize()
                    c0, p0 = cpu_seconds(pid), time.process_time()
                layer(x).sum().backward()
            kiln.synchronize()
            cpu.append((cpu_seconds(pid) - c0 if m is kiln else time.process_time() - p0) / n)
        print("| %s | %.1f | %.1f | %.2f |" % (name, cpu[0] * 1e3, cpu[1] * 1e3, cpu[0] / cpu[1]),
              flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=os.cpu_count(),
                   help="intra-op threads on both sides (default: all cores)")
    p.add_argument("--steps", type=int, default=30, help="timed steps per side and round")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per model")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--models", default="mlp,cnn,lstm,transformer")
    p.add_argument("--address", default=os.environ.get("KILN_ADDRESS"))
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--cnn-layers", action="store_true",
                   help="instead: the CNN's layers one by one, kilnd vs torch CPU (local kilnd)")
    a = p.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    daemon = None
    if not a.address:
        os.environ["KILN_NUM_THREADS"] = str(a.threads)  # read by the kilnd we start
        from kiln._daemon import Daemon
        daemon = Daemon(args=["--log_level=warning"])
        a.address = daemon.address
    import kiln
    kiln.connect(a.address)
    pid = daemon.proc.pid if daemon else None
    metrics = daemon.metrics if daemon else None
    if a.cnn_layers:
        if pid is None:
            raise SystemExit("--cnn-layers reads kilnd's CPU time: run without --address")
        cnn_layers(torch, kiln, pid)
        daemon.stop()
        return

    rows = []
    for name in a.models.split(","):
        torch.manual_seed(0)
        ts = Side(torch, name)
        ks = Side(kiln, name, {k: v.detach().numpy() for k, v in ts.model.state_dict().items()})
        for _ in range(a.warmup):
            ts.step()
            ks.step()
        tt, kt, issue, wait, ccpu, tcpu = [], [], [], [], [], []
        m0, dcpu, n = scrape(metrics), 0.0, 0
        for _ in range(a.rounds):  # alternate: the box is shared and its load moves
            c0 = cpu_seconds(pid)
            for _ in range(a.steps):
                tot, i, w, c = ks.step()
                kt.append(tot)
                ccpu.append(c)
                issue.append(i)
                wait.append(w)
                n += 1
            dcpu += cpu_seconds(pid) - c0
            for _ in range(a.steps):
                tot, _, _, c = ts.step()
                tt.append(tot)
                tcpu.append(c)
        m1 = scrape(metrics)
        med = statistics.median

        def per_step(key):
            return (m1.get(key, 0) - m0.get(key, 0)) / n if metrics else None
        row = dict(model=name, desc=SIZES[name][1], kiln=med(kt), torch=med(tt),
                   issue=med(issue), wait=med(wait), ccpu=med(ccpu), tcpu=med(tcpu),
                   dcpu=dcpu / n if pid else None, ops=per_step("kiln_ops_total"),
                   batches=per_step("kiln_batches_total"))
        rows.append(row)
        if not a.markdown:
            print("  ".join("%s %s" % (k, v) for k, v in zip(HEAD, cells(row))), flush=True)
    if a.markdown:
        print("| " + " | ".join(HEAD) + " |")
        print("|" + "---|" * len(HEAD))
        for r in rows:
            print("| " + " | ".join(cells(r)) + " |")
    if daemon:
        daemon.stop()


if __name__ == "__main__":
    main()

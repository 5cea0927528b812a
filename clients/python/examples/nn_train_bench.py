#!/usr/bin/python3
"""ms per training step (forward, cross-entropy, backward, AdamW, loss.item()) of an MLP and a
small CNN built with torch.nn and with kiln.nn on the same batch: the same script for both.

    KILN_KILND=bazel-bin/server/kilnd clients/python/examples/nn_train_bench.py"""

import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import kiln  # noqa: E402


def mlp(nn):
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def main(warmup=5, steps=20):
    rng = np.random.default_rng(0)
    for name, make, shape in (("mlp 784-256-256-10", mlp, (64, 784)),
                              ("cnn 1x28x28", cnn, (64, 1, 28, 28))):
        x0 = rng.standard_normal(shape).astype(np.float32)
        y0 = rng.integers(0, 10, 64)
        for m in (torch, kiln):
            model = make(m.nn)
            opt = m.optim.AdamW(model.parameters(), lr=1e-3)
            crit = m.nn.CrossEntropyLoss()
            x, y = m.tensor(x0), m.tensor(y0)
            for i in range(warmup + steps):
                if i == warmup:
                    t = time.perf_counter()
                opt.zero_grad()
                loss = crit(model(x), y)
                loss.backward()
                opt.step()
                loss.item()
            ms = (time.perf_counter() - t) / steps * 1e3
            print("%-20s %-5s %8.2f ms/step" % (name, m.__name__, ms))


if __name__ == "__main__":
    main()

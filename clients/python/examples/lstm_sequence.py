#!/usr/bin/python3
"""An LSTM sequence model trained as a PyTorch user writes it: next-value prediction on
generated waves (each a sum of two sines of random frequency, phase and amplitude). A 2-layer
LSTM (batch_first) reads the wave and a Linear predicts every next value; MSELoss, Adam,
gradient clipping. Only the imports are Kiln's.

    clients/python/examples/lstm_sequence.py [--epochs 8] [--n 1024]
    KILN_EXAMPLE_TORCH=1 clients/python/examples/lstm_sequence.py   # the same with torch

Runs against $KILN_ADDRESS, or a private kilnd started on loopback."""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# ---- the imports: PyTorch's, or Kiln's under the same names (KILN_EXAMPLE_TORCH=1: torch) ----
if os.environ.get("KILN_EXAMPLE_TORCH") == "1":
    import torch
    import torch.nn as nn
else:
    import kiln as torch
    import kiln.nn as nn
# ---- from here on, plain PyTorch ----


def make_waves(n, length):
    """(inputs, targets): (n, length, 1) each, the target one step ahead of the input."""
    t = torch.arange(length + 1).float()
    waves = torch.zeros(n, length + 1)
    for _ in range(2):
        freq = 0.1 + 0.4 * torch.rand(n, 1)
        phase = 2 * math.pi * torch.rand(n, 1)
        amp = 0.3 + 0.7 * torch.rand(n, 1)
        waves = waves + amp * torch.sin(freq * t + phase)
    return waves[:, :-1].unsqueeze(-1), waves[:, 1:].unsqueeze(-1)


class Forecaster(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, num_layers=2, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.out(h)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--n", type=int, default=1024, help="training sequences")
    p.add_argument("--length", type=int, default=24)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-2)
    args = p.parse_args()

    torch.manual_seed(0)
    x_train, y_train = make_waves(args.n, args.length)
    x_test, y_test = make_waves(256, args.length)
    model = Forecaster()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.MSELoss()
    with torch.no_grad():
        baseline = criterion(x_test, y_test).item()  # "the next value is the current one"
    print("repeat-last-value baseline: test mse %.4f" % baseline)

    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(args.n)
        total, batches = 0.0, 0
        for i in range(0, args.n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x_train[idx]), y_train[idx])
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            total += loss.item()
            batches += 1
        model.eval()
        with torch.no_grad():
            test = criterion(model(x_test), y_test).item()
        print("epoch %2d  loss %.4f  test mse %.4f" % (epoch, total / batches, test), flush=True)


if __name__ == "__main__":
    main()

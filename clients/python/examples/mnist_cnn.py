#!/usr/bin/python3
"""An MNIST-style CNN trained as a PyTorch user writes it, on generated 28x28 "digits": each
class is a fixed pattern of strokes, drawn shifted by up to 2 pixels, at a random contrast,
under Gaussian noise. Conv-BatchNorm-ReLU-MaxPool twice, then Linear; SGD with momentum; the
data is in memory and batched by slicing a random permutation. Only the imports are Kiln's.

    clients/python/examples/mnist_cnn.py [--epochs 3] [--n 4096]
    KILN_EXAMPLE_TORCH=1 clients/python/examples/mnist_cnn.py   # the same with torch

Runs against $KILN_ADDRESS, or a private kilnd started on loopback."""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# ---- the imports: PyTorch's, or Kiln's under the same names (KILN_EXAMPLE_TORCH=1: torch) ----
if os.environ.get("KILN_EXAMPLE_TORCH") == "1":
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
else:
    import kiln as torch
    import kiln.nn as nn
    import kiln.nn.functional as F
# ---- from here on, plain PyTorch ----


def digit_patterns(classes=10, size=28):
    """One pattern per class: a few random horizontal and vertical bars (a crude "glyph")."""
    g = torch.zeros(classes, 1, size, size)
    for c in range(classes):
        for _ in range(3):
            a, b = torch.randint(4, size - 4, (2,)).tolist()
            length = torch.randint(8, 16, ()).item()
            if torch.rand(()).item() < 0.5:
                g[c, 0, a, max(0, b - length // 2):b + length // 2] = 1.0
            else:
                g[c, 0, max(0, a - length // 2):a + length // 2, b] = 1.0
    # thicker strokes: a 3x3 box blur
    return F.avg_pool2d(g, 3, stride=1, padding=1) * 2.0


def make_images(patterns, n):
    labels = torch.randint(0, patterns.shape[0], (n,))
    x = patterns[labels]
    dx, dy = torch.randint(-2, 3, (2,)).tolist()  # one shift per chunk keeps this cheap
    x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    x = x * (0.5 + torch.rand(n, 1, 1, 1)) + 0.5 * torch.randn(n, 1, 28, 28)
    return x, labels


def make_dataset(patterns, n, chunk=256):
    parts = [make_images(patterns, min(chunk, n - i)) for i in range(0, n, chunk)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),                                        # 16 x 14 x 14
            nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),                                        # 32 x 7 x 7
        )
        self.classifier = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--n", type=int, default=4096, help="training images")
    p.add_argument("--n-test", type=int, default=1024, help="held-out images")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    args = p.parse_args()

    torch.manual_seed(0)
    patterns = digit_patterns()
    x_train, y_train = make_dataset(patterns, args.n)
    x_test, y_test = make_dataset(patterns, args.n_test)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(args.n)
        total, batches = 0.0, 0
        for i in range(0, args.n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        print("epoch %2d  loss %.4f  test accuracy %.3f" % (epoch, total / batches, accuracy),
              flush=True)


if __name__ == "__main__":
    main()

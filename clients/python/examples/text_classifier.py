#!/usr/bin/python3
"""A text classifier trained as a PyTorch user writes it: Embedding -> TransformerEncoder
(nhead=4, num_layers=2) -> mean over time -> Linear, AdamW, CrossEntropyLoss, a DataLoader
over a generated token dataset, 10 epochs, the model saved at the end. The only Kiln lines are
the imports: the model, the optimizer state and every tensor live in kilnd.

The task: each sequence is random "filler" tokens with a few keywords of its class mixed in;
the model has to find them wherever they are.

    clients/python/examples/text_classifier.py [--epochs 10] [--n 2048] [--out model.pt]
    KILN_EXAMPLE_TORCH=1 clients/python/examples/text_classifier.py   # the same with torch

Runs against $KILN_ADDRESS, or a private kilnd started on loopback."""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# ---- the imports: PyTorch's, or Kiln's under the same names (KILN_EXAMPLE_TORCH=1: torch) ----
if os.environ.get("KILN_EXAMPLE_TORCH") == "1":
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset
else:
    import kiln as torch
    import kiln.nn as nn
    from kiln.utils.data import DataLoader, TensorDataset
# ---- from here on, plain PyTorch ----

VOCAB, CLASSES, KEYWORDS = 96, 4, 4  # tokens [0, 16) are keywords: 4 per class


def make_dataset(n, seq_len):
    labels = torch.randint(0, CLASSES, (n,))
    filler = torch.randint(CLASSES * KEYWORDS, VOCAB, (n, seq_len))
    keywords = labels[:, None] * KEYWORDS + torch.randint(0, KEYWORDS, (n, seq_len))
    tokens = torch.where(torch.rand(n, seq_len) < 0.25, keywords, filler)
    return TensorDataset(tokens, labels)


class TextClassifier(nn.Module):
    def __init__(self, vocab, d_model, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=2 * d_model,
                                           dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(d_model, classes)

    def forward(self, tokens):
        x = self.encoder(self.embedding(tokens))
        return self.head(x.mean(dim=1))


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for tokens, labels in loader:
            correct += (model(tokens).argmax(dim=1) == labels).sum().item()
            total += labels.size(0)
    model.train()
    return correct / total


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--n", type=int, default=1024, help="training sequences")
    p.add_argument("--seq-len", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--out", default="text_classifier.pt")
    args = p.parse_args()

    torch.manual_seed(0)
    train = DataLoader(make_dataset(args.n, args.seq_len), batch_size=args.batch_size,
                       shuffle=True)
    test = DataLoader(make_dataset(512, args.seq_len), batch_size=256)
    model = TextClassifier(VOCAB, 32, CLASSES)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(1, args.epochs + 1):
        total, batches = 0.0, 0
        for tokens, labels in train:
            optimizer.zero_grad()
            loss = criterion(model(tokens), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        print("epoch %2d  loss %.4f  test accuracy %.3f"
              % (epoch, total / batches, evaluate(model, test)), flush=True)

    torch.save(model.state_dict(), args.out)
    print("saved", args.out)


if __name__ == "__main__":
    main()

"""Training parity with python3-torch, the promise of `import kiln as torch`: four models (an MLP,
a CNN with BatchNorm and pooling, an LSTM classifier, a TransformerEncoder classifier) built
the same way in both, weights copied torch -> kiln through state_dict, dropout off, the same
batches; 20 steps of SGD(momentum) and of AdamW in float32. Every step's loss and the final
state_dict (parameters and BatchNorm's running statistics) must match."""

import numpy as np
import pytest
import torch

VOCAB, CLASSES, BATCH, SEQ = 40, 5, 8, 6


def _model(m, name):
    """The same architecture over `m` (torch or kiln): the module class is built per side so
    that its forward uses that side's functions."""
    nn = m.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            if name == "mlp":
                self.body = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 32),
                                          nn.ReLU(), nn.Linear(32, CLASSES))
            elif name == "cnn":
                # no conv bias before BatchNorm: its true gradient is 0, so what each side
                # computes is rounding noise, which AdamW's normalisation turns into full steps
                self.body = nn.Sequential(
                    nn.Conv2d(1, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
                    nn.MaxPool2d(2),
                    nn.Conv2d(6, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                    nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8 * 2 * 2, CLASSES))
            elif name == "lstm":
                self.emb = nn.Embedding(VOCAB, 12)
                self.rnn = nn.LSTM(12, 16, num_layers=2, batch_first=True)
                self.head = nn.Linear(16, CLASSES)
            else:
                self.emb = nn.Embedding(VOCAB, 16)
                layer = nn.TransformerEncoderLayer(16, nhead=4, dim_feedforward=32, dropout=0.0,
                                                   batch_first=True)
                self.enc = nn.TransformerEncoder(layer, num_layers=2)
                self.head = nn.Linear(16, CLASSES)

        def forward(self, x):
            if name in ("mlp", "cnn"):
                return self.body(x)
            if name == "lstm":
                out, _ = self.rnn(self.emb(x))
                return self.head(out[:, -1])
            return self.head(self.enc(self.emb(x)).mean(1))
    return Net()


def _batches(name, n=4):
    rng = np.random.default_rng(11)
    out = []
    for _ in range(n):
        if name == "mlp":
            x = rng.standard_normal((BATCH, 12)).astype(np.float32)
        elif name == "cnn":
            x = rng.standard_normal((BATCH, 1, 8, 8)).astype(np.float32)
        else:
            x = rng.integers(0, VOCAB, (BATCH, SEQ))
        out.append((x, rng.integers(0, CLASSES, BATCH)))
    return out


def _optimizer(m, opt, params):
    if opt == "sgd":
        return m.optim.SGD(params, lr=0.05, momentum=0.9)
    # eps=1e-5, not 1e-8: attention's key bias has a true gradient of 0 (it adds one number to
    # every score of a query, which softmax ignores), so each side's gradient there is its own
    # rounding noise (~1e-9), which AdamW normalises into full lr-sized steps of random sign.
    # Measured: torch against torch with its weights perturbed by 1e-7 relative then ends 5e-3
    # apart with eps=1e-8 and within 3e-6 with eps=1e-5.
    return m.optim.AdamW(params, lr=0.01, eps=1e-5, weight_decay=0.05)


def _train(m, model, opt, batches, steps=20):
    o = _optimizer(m, opt, model.parameters())
    crit = m.nn.CrossEntropyLoss()
    model.train()
    losses = []
    for step in range(steps):
        x, y = batches[step % len(batches)]
        o.zero_grad()
        loss = crit(model(m.tensor(x)), m.tensor(y))
        loss.backward()
        o.step()
        losses.append(loss.item())
    return losses


def _state(model):
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("opt", ["sgd", "adamw"])
@pytest.mark.parametrize("name", ["mlp", "cnn", "lstm", "transformer"])
def test_training_parity(kiln, name, opt):
    torch.manual_seed(0)  # the same initial weights every run; kiln's are overwritten by them
    tm, km = _model(torch, name), _model(kiln, name)
    assert list(km.state_dict()) == list(tm.state_dict())
    km.load_state_dict(_state(tm))
    batches = _batches(name)
    lt = _train(torch, tm, opt, batches)
    lk = _train(kiln, km, opt, batches)
    np.testing.assert_allclose(lk, lt, rtol=1e-4, atol=0)
    assert lt[-1] < lt[0]  # the run learned something, so the comparison means something
    st, sk = _state(tm), _state(km)
    assert list(sk) == list(st)
    for k in st:
        assert sk[k].dtype == st[k].dtype, k
        # a parameter that trained to near 0 has no relative precision left: atol covers it
        np.testing.assert_allclose(sk[k], st[k], rtol=1e-4, atol=1e-5, err_msg=k)

"""kiln.nn vs torch.nn: functional ops, layers (weights copied through state_dict), attention
and transformer layers, and 20-step training runs (per-step losses)."""

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _seeded():
    """torch's layers draw their initial weights (copied into kiln's) from its global
    generator: seed it so every run checks the same numbers."""
    torch.manual_seed(0)


def _t(m, a, rg=False, dtype="float64"):
    return m.tensor(a, dtype=getattr(m, dtype), requires_grad=bool(rg))


def _both(kiln, fn, arrays, rg, tol=1e-9):
    """fn(module, *tensors) on both sides: compares outputs and the gradients of rg inputs."""
    outs, grads = [], []
    for m in (torch, kiln):
        ts = [_t(m, a, r) if a.dtype.kind == "f" else m.tensor(a) for a, r in zip(arrays, rg)]
        y = fn(m, *ts)
        (y * _t(m, np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)))).sum().backward()
        outs.append(y.detach().numpy())
        grads.append([t.grad.numpy() for t, r in zip(ts, rg) if r])
    np.testing.assert_allclose(outs[1], outs[0], rtol=tol, atol=tol)
    for gk, gt in zip(grads[1], grads[0]):
        np.testing.assert_allclose(gk, gt, rtol=tol, atol=tol)


R = np.random.default_rng(0)
X = R.standard_normal((4, 6))
IMG = R.standard_normal((2, 3, 7, 7))
LBL = np.array([0, 5, 2, 1])
P = 1 / (1 + np.exp(-R.standard_normal((4, 6))))
LOGP = np.log(np.exp(X) / np.exp(X).sum(1, keepdims=True))

FUNCTIONAL = {
    "linear": (lambda m, x, w, b: m.nn.functional.linear(x, w, b),
               [X, R.standard_normal((5, 6)), R.standard_normal(5)], [1, 1, 1]),
    "conv1d": (lambda m, x, w: m.nn.functional.conv1d(x, w, stride=2, padding=1),
               [R.standard_normal((2, 3, 9)), R.standard_normal((4, 3, 3))], [1, 1]),
    "conv2d": (lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, stride=2, padding=1,
                                                         dilation=1),
               [IMG, R.standard_normal((4, 3, 3, 3)), R.standard_normal(4)], [1, 1, 1]),
    "conv2d-groups": (lambda m, x, w: m.nn.functional.conv2d(x, w, groups=3, padding="same"),
                      [IMG, R.standard_normal((6, 1, 3, 3))], [1, 1]),
    "conv_transpose2d": (lambda m, x, w: m.nn.functional.conv_transpose2d(
        x, w, stride=2, padding=1, output_padding=1),
        [IMG, R.standard_normal((3, 2, 3, 3))], [1, 1]),
    "max_pool2d": (lambda m, x: m.nn.functional.max_pool2d(x, 3, stride=2, padding=1), [IMG], [1]),
    "avg_pool2d": (lambda m, x: m.nn.functional.avg_pool2d(x, 2, ceil_mode=True), [IMG], [1]),
    "adaptive_avg_pool2d": (lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (3, None)),
                            [IMG], [1]),
    "relu": (lambda m, x: m.nn.functional.relu(x), [X], [1]),
    "gelu-tanh": (lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), [X], [1]),
    "silu": (lambda m, x: m.nn.functional.silu(x), [X], [1]),
    "leaky_relu": (lambda m, x: m.nn.functional.leaky_relu(x, 0.2), [X], [1]),
    "elu": (lambda m, x: m.nn.functional.elu(x, alpha=0.5), [X], [1]),
    "softplus": (lambda m, x: m.nn.functional.softplus(x, beta=2), [X], [1]),
    "hardtanh": (lambda m, x: m.nn.functional.hardtanh(x, -0.5, 0.5), [X], [1]),
    "softmax": (lambda m, x: m.nn.functional.softmax(x, dim=-1), [X], [1]),
    "log_softmax": (lambda m, x: m.nn.functional.log_softmax(x, 0), [X], [1]),
    "layer_norm": (lambda m, x, w, b: m.nn.functional.layer_norm(x, (6,), w, b),
                   [X, R.standard_normal(6), R.standard_normal(6)], [1, 1, 1]),
    "batch_norm": (lambda m, x, w, b: m.nn.functional.batch_norm(x, None, None, w, b, True),
                   [X, R.standard_normal(6), R.standard_normal(6)], [1, 1, 1]),
    "group_norm": (lambda m, x: m.nn.functional.group_norm(x, 3), [IMG], [1]),
    "embedding": (lambda m, i, w: m.nn.functional.embedding(i, w, padding_idx=-1),
                  [np.array([[0, 2], [4, 2]]), R.standard_normal((5, 3))], [0, 1]),
    "dropout-eval": (lambda m, x: m.nn.functional.dropout(x, 0.3, training=False), [X], [1]),
    "cross_entropy": (lambda m, x, t: m.nn.functional.cross_entropy(x, t, label_smoothing=0.1),
                      [X, LBL], [1, 0]),
    "nll_loss": (lambda m, x, t: m.nn.functional.nll_loss(x, t, reduction="sum"),
                 [LOGP, LBL], [1, 0]),
    "mse_loss": (lambda m, x, y: m.nn.functional.mse_loss(x, y), [X, P], [1, 1]),
    "l1_loss": (lambda m, x, y: m.nn.functional.l1_loss(x, y, reduction="none"), [X, P], [1, 1]),
    "smooth_l1_loss": (lambda m, x, y: m.nn.functional.smooth_l1_loss(x, y, beta=0.5),
                       [X, P], [1, 0]),
    "huber_loss": (lambda m, x, y: m.nn.functional.huber_loss(x, y, delta=0.5), [X, P], [1, 0]),
    "bce": (lambda m, p, y: m.nn.functional.binary_cross_entropy(p, y), [P, P[::-1].copy()],
            [1, 0]),
    "bce_logits": (lambda m, x, y, w: m.nn.functional.binary_cross_entropy_with_logits(
        x, y, pos_weight=w), [X, P, R.random(6) + 0.5], [1, 0, 0]),
    "kl_div-batchmean": (lambda m, x, y: m.nn.functional.kl_div(x, y, reduction="batchmean"),
                         [LOGP, P], [1, 0]),
    "bilinear": (lambda m, a, b, w, c: m.nn.functional.bilinear(a, b, w, c),
                 [X, R.standard_normal((4, 3)), R.standard_normal((2, 6, 3)),
                  R.standard_normal(2)], [1, 1, 1, 1]),
    "normalize": (lambda m, x: m.nn.functional.normalize(x, p=3, dim=0), [X], [1]),
    "cosine_similarity": (lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=-1),
                          [X, P], [1, 1]),
    "sdpa": (lambda m, q, k, v: _sdpa(m, q, k, v),
             [R.standard_normal((2, 4, 3)), R.standard_normal((2, 4, 3)),
              R.standard_normal((2, 4, 3))], [1, 1, 1]),
}


def _sdpa(m, q, k, v):
    if m is not torch:
        return m.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    # torch 1.13 has no scaled_dot_product_attention: its definition, spelled out
    s = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    s = s.masked_fill(torch.ones(4, 4, dtype=torch.bool).triu(1), float("-inf"))
    return s.softmax(-1) @ v


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_matches_torch(kiln, name):
    fn, arrays, rg = FUNCTIONAL[name]
    _both(kiln, fn, arrays, rg)


def test_one_hot(kiln):
    idx = np.array([[0, 3], [2, 1]])
    for n in (-1, 6):
        np.testing.assert_array_equal(kiln.nn.functional.one_hot(kiln.tensor(idx), n).numpy(),
                                      torch.nn.functional.one_hot(torch.tensor(idx), n).numpy())
    with pytest.raises(RuntimeError, match="only applicable to index tensor"):
        kiln.nn.functional.one_hot(kiln.tensor([1.0]))


def test_pad_sequence(kiln):
    seqs = [np.arange(6.0).reshape(3, 2), np.ones((1, 2)), np.zeros((4, 2))]
    for bf in (False, True):
        a = kiln.nn.utils.rnn.pad_sequence([kiln.tensor(s) for s in seqs], bf, -1.0).numpy()
        b = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], bf, -1.0).numpy()
        np.testing.assert_array_equal(a, b)


def test_dropout_training(kiln):
    kiln.manual_seed(0)
    x = kiln.ones(200, 500)
    d = kiln.nn.Dropout(0.3)
    y = d(x).numpy()
    kept = np.unique(y[y != 0])
    assert kept.size == 1 and kept[0] == pytest.approx(1 / 0.7, rel=1e-6)
    assert abs((y == 0).mean() - 0.3) < 0.01
    assert np.all(d.eval()(x).numpy() == 1)
    assert np.all(kiln.nn.functional.dropout(x, 0.0).numpy() == 1)


@pytest.mark.parametrize("cell", ["LSTMCell", "GRUCell", "RNNCell"])
def test_rnn_cells_match_torch(kiln, cell):
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((3, 4, 5))
    kw = dict(nonlinearity="relu") if cell == "RNNCell" else {}
    tm, km = (getattr(m.nn, cell)(5, 6, **kw).double() for m in (torch, kiln))
    assert repr(km) == repr(tm)
    _copy(tm, km)
    res = []
    for m, mod in ((torch, tm), (kiln, km)):
        hx = None
        for x in xs:
            hx = mod(_t(m, x), hx)
        h = hx[0] if cell == "LSTMCell" else hx
        h.pow(2).sum().backward()
        res.append([h.detach().numpy()] + [p.grad.numpy() for p in mod.parameters()])
        unbatched = mod(_t(m, xs[0, 0]))
        res[-1].append((unbatched[0] if cell == "LSTMCell" else unbatched).detach().numpy())
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


# ---- layers: the same weights (through state_dict), the same batch ----
LAYERS = {
    "linear": (lambda nn: nn.Linear(6, 5), (4, 6)),
    "linear-nobias": (lambda nn: nn.Linear(6, 5, bias=False), (2, 3, 6)),
    "conv1d": (lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    "conv2d": (lambda nn: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=1, dilation=1),
               (2, 3, 7, 7)),
    "conv_transpose2d": (lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1), (2, 3, 5, 5)),
    "maxpool": (lambda nn: nn.MaxPool2d(2), (2, 3, 7, 7)),
    "maxpool1d": (lambda nn: nn.MaxPool1d(3, stride=2, padding=1), (2, 3, 9)),
    "avgpool1d": (lambda nn: nn.AvgPool1d(2, ceil_mode=True), (2, 3, 9)),
    "adaptive1d": (lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
    "batchnorm-untracked": (lambda nn: nn.BatchNorm1d(6, affine=False, track_running_stats=False),
                            (4, 6)),
    "avgpool": (lambda nn: nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    "adaptive": (lambda nn: nn.AdaptiveAvgPool2d(2), (2, 3, 7, 7)),
    "batchnorm1d": (lambda nn: nn.BatchNorm1d(6), (4, 6)),
    "batchnorm1d-3d": (lambda nn: nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    "batchnorm2d": (lambda nn: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    "layernorm": (lambda nn: nn.LayerNorm((3, 4)), (2, 3, 4)),
    "groupnorm": (lambda nn: nn.GroupNorm(3, 6), (2, 6, 3, 3)),
    "embedding": (lambda nn: nn.Embedding(7, 3, padding_idx=2), None),
    "mlp": (lambda nn: nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Dropout(0.0),
                                     nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2), nn.Softmax(-1)),
            (4, 6)),
    "acts": (lambda nn: nn.Sequential(nn.SiLU(), nn.LeakyReLU(0.1), nn.Sigmoid(), nn.LogSoftmax(1)),
             (4, 6)),
    "zeropad": (lambda nn: nn.ZeroPad2d((1, 2, 0, 3)), (2, 3, 4, 4)),
    "constpad1d": (lambda nn: nn.ConstantPad1d(2, 0.5), (2, 3, 4)),
    "pixelshuffle": (lambda nn: nn.Sequential(nn.PixelShuffle(2), nn.PixelUnshuffle(3)),
                     (2, 36, 3, 3)),
    "flatten": (lambda nn: nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 49))), (2, 3, 7, 7)),
}


def _copy(tm, km):
    km.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch(kiln, name):
    make, shape = LAYERS[name]
    tm, km = make(torch.nn).double(), make(kiln.nn).double()
    assert repr(km) == repr(tm)
    _copy(tm, km)
    if shape is None:
        x0 = np.array([[0, 2, 6], [2, 1, 1]])
        xs = [torch.tensor(x0), kiln.tensor(x0)]
    else:
        x0 = np.random.default_rng(1).standard_normal(shape)
        xs = [_t(torch, x0, True), _t(kiln, x0, True)]
    res = []
    for m, mod, x in zip((torch, kiln), (tm, km), xs):
        y = mod(x)
        w = _t(m, np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        res.append((y.detach().numpy(), [p.grad.numpy() for p in mod.parameters()],
                    None if shape is None else x.grad.numpy(),
                    [b.numpy() for b in mod.buffers()]))
    (yt, gt, xt, bt), (yk, gk, xk, bk) = res
    np.testing.assert_allclose(yk, yt, rtol=1e-9, atol=1e-10)
    assert len(gk) == len(gt)
    for a, b in zip(gk, gt):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)
    if xt is not None:
        np.testing.assert_allclose(xk, xt, rtol=1e-9, atol=1e-10)
    for a, b in zip(bk, bt):  # running statistics and num_batches_tracked
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name,args", [
    ("CrossEntropyLoss", dict(label_smoothing=0.05)), ("NLLLoss", dict(ignore_index=1)),
    ("MSELoss", {}), ("L1Loss", dict(reduction="sum")), ("SmoothL1Loss", dict(beta=0.3)),
    ("HuberLoss", dict(delta=0.3)), ("BCELoss", {}), ("BCEWithLogitsLoss", {}),
    ("KLDivLoss", dict(reduction="batchmean", log_target=False))])
def test_loss_modules_match_torch(kiln, name, args):
    cls_target = name in ("CrossEntropyLoss", "NLLLoss")
    x0 = LOGP if name in ("NLLLoss", "KLDivLoss") else (P if name == "BCELoss" else X)
    y0 = LBL if cls_target else P[::-1].copy()
    _both(kiln, lambda m, x, y: getattr(m.nn, name)(**args)(x, y), [x0, y0], [1, 0])


# ---- training: 20 steps, per-step losses vs torch's ----
def _mlp(nn):
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, 4))


def _cnn(nn):
    # no conv bias before BatchNorm: its gradient is rounding noise, which Adam would amplify
    # into steps that differ between any two implementations
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 4))


@pytest.mark.parametrize("net", ["mlp", "cnn"])
@pytest.mark.parametrize("opt", ["sgd", "adamw"])
def test_training_matches_torch(kiln, net, opt):
    rng = np.random.default_rng(2)
    shape = (16, 10) if net == "mlp" else (16, 1, 8, 8)
    batches = [(rng.standard_normal(shape).astype(np.float32), rng.integers(0, 4, 16))
               for _ in range(4)]
    make = _mlp if net == "mlp" else _cnn
    losses = []
    torch.manual_seed(3)  # the same initial weights every run (copied into kiln's model)
    tm, km = make(torch.nn), make(kiln.nn)
    _copy(tm, km)
    for m, mod in ((torch, tm), (kiln, km)):
        if opt == "sgd":
            o = m.optim.SGD(mod.parameters(), lr=0.05, momentum=0.9)
        else:
            o = m.optim.AdamW(mod.parameters(), lr=0.01, weight_decay=0.05)
        crit = m.nn.CrossEntropyLoss()
        mod.train()
        run = []
        for step in range(20):
            x, y = batches[step % len(batches)]
            o.zero_grad()
            loss = crit(mod(m.tensor(x)), m.tensor(y))
            loss.backward()
            o.step()
            run.append(loss.item())
        losses.append(run)
        mod.eval()
        losses[-1].append(mod(m.tensor(batches[0][0])).sum().item())  # eval mode: running stats
    np.testing.assert_allclose(losses[1][:-1], losses[0][:-1], rtol=1e-4, atol=1e-6)
    # the eval-mode check sums 64 float32 logits: it can land near 0, so its error is absolute
    np.testing.assert_allclose(losses[1][-1], losses[0][-1], rtol=1e-4, atol=1e-4)
    assert losses[0][-2] < losses[0][0]  # it learned something


@pytest.mark.parametrize("case", ["plain", "masks", "batch_first", "unbatched"])
def test_multihead_attention_matches_torch(kiln, case):
    rng = np.random.default_rng(4)
    bf = case == "batch_first"
    shape = (3, 5, 8) if case != "unbatched" else (5, 8)
    if bf:
        shape = (5, 3, 8)
    q0, k0 = rng.standard_normal(shape), rng.standard_normal(shape)
    mods = [m.nn.MultiheadAttention(8, 2, batch_first=bf).double() for m in (torch, kiln)]
    assert repr(mods[1]) == repr(mods[0])
    _copy(*mods)
    res = []
    for m, mod in zip((torch, kiln), mods):
        q, k = _t(m, q0, True), _t(m, k0, True)
        kw = {}
        if case == "masks":
            kw = dict(attn_mask=m.tensor(np.triu(np.ones((3, 3), bool), 1)),
                      key_padding_mask=m.tensor(np.array([[False, False, True]] * 5)))
        out, w = mod(q, k, k, **kw)
        (out * _t(m, np.linspace(-1, 1, out.numel()).reshape(shape))).sum().backward()
        res.append([out.detach().numpy(), w.detach().numpy(), q.grad.numpy(), k.grad.numpy()]
                   + [p.grad.numpy() for p in mod.parameters()])
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_matches_torch(kiln, norm_first):
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal((2, 5, 8))
    mask0 = np.array([[False] * 4 + [True], [False] * 5])
    mods = []
    for m in (torch, kiln):
        layer = m.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                             activation="gelu", batch_first=True,
                                             norm_first=norm_first)
        mods.append(m.nn.TransformerEncoder(layer, 2, norm=m.nn.LayerNorm(8)).double())
    assert list(mods[1].state_dict()) == list(mods[0].state_dict())
    assert repr(mods[1]) == repr(mods[0])
    _copy(*mods)
    # the layers are independent copies
    assert mods[1].layers[0].linear1.weight is not mods[1].layers[1].linear1.weight
    res = []
    for m, mod in zip((torch, kiln), mods):
        x = _t(m, x0, True)
        mod.eval()  # torch's fast path and the slow path agree; dropout is 0 anyway
        y = mod(x, src_key_padding_mask=m.tensor(mask0))
        (y * _t(m, np.linspace(-1, 1, y.numel()).reshape(y.shape))).sum().backward()
        res.append([y.detach().numpy(), x.grad.numpy()]
                   + [p.grad.numpy() for p in mod.parameters()])
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("kind,kw", [
    ("LSTM", dict(num_layers=2)), ("LSTM", dict(bidirectional=True, batch_first=True)),
    ("GRU", dict(num_layers=2, bidirectional=True)), ("GRU", dict(bias=False, batch_first=True)),
    ("LSTM", dict(unbatched=True)), ("RNN", dict(num_layers=2, nonlinearity="relu")),
    ("RNN", dict(bidirectional=True))],
    ids=["lstm2", "lstm-bi-bf", "gru2-bi", "gru-nobias-bf", "lstm-unbatched", "rnn2-relu",
         "rnn-bi"])
def test_rnn_matches_torch(kiln, kind, kw):
    kw = dict(kw)
    unbatched = kw.pop("unbatched", False)
    rng = np.random.default_rng(6)
    shape = (4, 5) if unbatched else (3, 4, 5)
    x0 = rng.standard_normal(shape)
    mods = [getattr(m.nn, kind)(5, 6, **kw).double() for m in (torch, kiln)]
    assert repr(mods[1]) == repr(mods[0])
    assert list(mods[1].state_dict()) == list(mods[0].state_dict())
    _copy(*mods)
    res = []
    for m, mod in zip((torch, kiln), mods):
        x = _t(m, x0, True)
        y, hidden = mod(x)
        h = hidden[0] if kind == "LSTM" else hidden
        ((y * _t(m, np.linspace(-1, 1, y.numel()).reshape(y.shape))).sum() + h.sum()).backward()
        res.append([y.detach().numpy(), h.detach().numpy(), x.grad.numpy()]
                   + [p.grad.numpy() for p in mod.parameters()])
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_transformer_matches_torch(kiln):
    rng = np.random.default_rng(7)
    src0, tgt0 = rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 4, 8))
    mods = [m.nn.Transformer(8, 2, 1, 2, dim_feedforward=16, dropout=0.0, batch_first=True,
                             norm_first=True).double() for m in (torch, kiln)]
    assert repr(mods[1]) == repr(mods[0])
    assert list(mods[1].state_dict()) == list(mods[0].state_dict())
    _copy(*mods)
    res = []
    for m, mod in zip((torch, kiln), mods):
        src, tgt = _t(m, src0, True), _t(m, tgt0, True)
        mask = m.nn.Transformer.generate_square_subsequent_mask(4).double()
        y = mod(src, tgt, tgt_mask=mask,
                src_key_padding_mask=m.tensor(np.array([[False] * 4 + [True], [False] * 5])))
        (y * _t(m, np.linspace(-1, 1, y.numel()).reshape(y.shape))).sum().backward()
        res.append([y.detach().numpy(), src.grad.numpy(), tgt.grad.numpy()]
                   + [p.grad.numpy() for p in mod.parameters()])
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-9)

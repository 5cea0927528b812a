import torch
import torch.nn.functional as F

from cases.util import data


def _leaf(*shape):
    return data(*shape).requires_grad_(True)


def _layer_norm():
    x, w, b = _leaf(8192, 1024), _leaf(1024), _leaf(1024)
    up = data(8192, 1024)
    return lambda: torch.autograd.grad(F.layer_norm(x, (1024,), w, b, 1e-5), (x, w, b), up)


def _softmax():
    x = _leaf(8192, 1024)
    up = data(8192, 1024)
    return lambda: torch.autograd.grad(torch.softmax(x, -1), (x,), up)


def _cross_entropy():
    x = _leaf(8192, 1000)
    t = torch.arange(8192) * 7919 % 1000
    return lambda: torch.autograd.grad(F.cross_entropy(x, t), (x,))


def _batch_norm():
    x, w, b = _leaf(32, 64, 56, 56), _leaf(64), _leaf(64)
    rm, rv = torch.zeros(64), torch.ones(64)
    up = data(32, 64, 56, 56)
    return lambda: torch.autograd.grad(F.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5), (x, w, b), up)


# Work: bytes of the tensors read and written once per direction (forward reads x and writes y,
# backward reads the upstream gradient and x and writes the input gradient).
CASES = {
    "layer_norm_fwd_bwd_8192x1024_f32": (_layer_norm, 5 * 4 * 8192 * 1024, "GB/s"),
    "softmax_fwd_bwd_8192x1024_f32": (_softmax, 5 * 4 * 8192 * 1024, "GB/s"),
    "cross_entropy_fwd_bwd_8192x1000_f32": (_cross_entropy, 3 * 4 * 8192 * 1000, "GB/s"),
    "batch_norm_train_fwd_bwd_32x64x56x56_f32": (_batch_norm, 5 * 4 * 32 * 64 * 56 * 56, "GB/s"),
}

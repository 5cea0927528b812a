import math

import torch
import torch.nn.functional as F

from cases.util import data

# Attention: B=8, T=256, C=256 split into H=4 heads of 64. torch 1.13 has no fused
# scaled_dot_product_attention: the explicit matmul / softmax / matmul is what a model runs.
B, T, C, H = 8, 256, 256, 4
D = C // H


def _attention():
    q, k, v = (data(B, H, T, D).requires_grad_() for _ in range(3))
    g = data(B, H, T, D)

    def step():
        p = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(D), dim=-1)
        torch.autograd.grad(p @ v, (q, k, v), g)
    return step


def _linear():
    x, w, b = data(4096, 1024).requires_grad_(), data(1024, 1024).requires_grad_(), data(1024).requires_grad_()
    g = data(4096, 1024)

    def step():
        torch.autograd.grad(F.linear(x, w, b), (x, w, b), g)
    return step


def _lstm_cell():
    n, hid = 64, 512
    x, h, c = (data(n, hid).requires_grad_() for _ in range(3))
    wi, wh = data(4 * hid, hid).requires_grad_(), data(4 * hid, hid).requires_grad_()
    bi, bh = data(4 * hid).requires_grad_(), data(4 * hid).requires_grad_()
    gh, gc = data(n, hid), data(n, hid)
    leaves = (x, h, c, wi, wh, bi, bh)

    def step():
        hy, cy = torch.lstm_cell(x, (h, c), wi, wh, bi, bh)
        torch.autograd.grad((hy, cy), leaves, (gh, gc))
    return step


CASES = {
    # FLOPs of the GEMMs: 2 forward and 4 backward for attention and the cell, 1 + 2 for linear.
    "attention_fwd_bwd_b8_t256_c256_h4": (_attention, 6 * 2 * B * H * T * T * D, "GFLOP/s"),
    "linear_fwd_bwd_4096x1024x1024": (_linear, 3 * 2 * 4096 * 1024 * 1024, "GFLOP/s"),
    "lstm_cell_fwd_bwd_b64_h512": (_lstm_cell, 6 * 2 * 64 * 512 * 2048, "GFLOP/s"),
}

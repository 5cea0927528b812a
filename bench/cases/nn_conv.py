import torch
import torch.nn.functional as F

from cases.util import data


def _conv_fb(n, c, hw, co, k, stride, groups):
    def setup():
        x = data(n, c, hw, hw).requires_grad_(True)
        w = data(co, c // groups, k, k).requires_grad_(True)
        pad = k // 2
        out = (hw + 2 * pad - k) // stride + 1
        gy = data(n, co, out, out)

        def run():
            y = F.conv2d(x, w, None, stride, pad, 1, groups)
            torch.autograd.grad(y, (x, w), gy)
        return run
    out = (hw + 2 * (k // 2) - k) // stride + 1
    flops = 3 * 2 * n * co * out * out * (c // groups) * k * k  # forward, input grad, weight grad
    return setup, flops, "GFLOP/s"


def _conv_fwd():
    x, w = data(8, 64, 56, 56), data(64, 64, 3, 3)
    return lambda: F.conv2d(x, w, None, 1, 1)


def _max_pool_fb():
    x = data(8, 64, 112, 112).requires_grad_(True)
    gy = data(8, 64, 56, 56)

    def run():
        y = F.max_pool2d(x, 3, 2, 1)
        torch.autograd.grad(y, (x,), gy)
    return run


CASES = {
    "conv2d_fwd_8x64x56x56_k3_f32": (_conv_fwd, 2 * 8 * 64 * 56 * 56 * 64 * 9, "GFLOP/s"),
    "conv2d_fb_8x64x56x56_k3_f32": _conv_fb(8, 64, 56, 64, 3, 1, 1),
    "conv2d_fb_8x128x28x28_k3_f32": _conv_fb(8, 128, 28, 128, 3, 1, 1),
    "conv2d_fb_8x256x14x14_k3_f32": _conv_fb(8, 256, 14, 256, 3, 1, 1),
    "conv2d_fb_8x64x56x56_1x1to256_f32": _conv_fb(8, 64, 56, 256, 1, 1, 1),
    "conv2d_fb_2x3x224x224_k7s2_f32": _conv_fb(2, 3, 224, 64, 7, 2, 1),
    "conv2d_fb_8x64x56x56_dw3_f32": _conv_fb(8, 64, 56, 64, 3, 1, 64),
    # bytes: x read, y written, then gy read and the input gradient written
    "max_pool2d_fb_8x64x112x112_k3s2_f32": (_max_pool_fb, 4 * (2 * 8 * 64 * 112 * 112 + 2 * 8 * 64 * 56 * 56),
                                            "GB/s"),
}

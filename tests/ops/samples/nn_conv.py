"""Samples of the nn_conv family: convolutions and pooling (engine/ops/table/nn_conv.yaml)."""

import torch
import torch.nn.functional as F

from samples.spec import S, T

aten = torch.ops.aten


def NG(*shape):  # an input that only gives its shape (no gradient is checked for it)
    return T(*shape, grad=False)


def IDX(shape, values):  # fixed int64 indices
    return T(*shape, kind="values", values=values, fixed="int64")


def _conv_backward(go, x, w, bias_sizes, stride, padding, dilation, transposed, output_padding, groups, mask):
    r = aten.convolution_backward(go, x, w, bias_sizes, stride, padding, dilation, transposed,
                                  output_padding, groups, [bool(m) for m in mask])
    # Kiln gives a masked-off gradient as an empty tensor where PyTorch gives None.
    return tuple(torch.empty(0, dtype=go.dtype) if t is None else t for t in r)


def _max_pool(x, k, s=(), p=(0,), d=(1,), ceil=False):
    return aten.max_pool2d_with_indices(x, k, s, p, d, ceil)


def _avg_pool(x, k, s=(), p=(0,), ceil=False, cip=True, div=None):
    return aten.avg_pool2d(x, k, s, p, ceil, cip, div)


P1, P0, D1 = [1, 1], [0, 0], [1, 1]

SAMPLES = {
    "convolution": [
        S(T(2, 3, 6, 6), T(4, 3, 3, 3), T(4), P1, P0, D1, False, P0, 1),
        S(T(1, 4, 7, 6), T(6, 2, 3, 2), None, [2, 1], [1, 2], [2, 1], False, P0, 2),  # groups, dilation
        S(T(2, 3, 9), T(5, 3, 3), T(5), [2], [1], [1], False, [0], 1),                 # 1-d
        S(T(2, 6, 4, 4), T(3, 6, 1, 1), T(3), P1, P0, D1, False, P0, 1),              # 1x1, no im2col
        S(T(2, 4, 5, 5), T(4, 1, 3, 3), T(4), P1, P1, D1, False, P0, 4),              # depthwise
        S(T(1, 3, 6, 7), T(3, 1, 3, 3), None, [2, 2], P1, [1, 2], False, P0, 3),      # depthwise, strided
        S(T(1, 4, 6, 6), T(8, 1, 3, 3), None, P1, P1, D1, False, P0, 4),              # channel multiplier 2
        S(T(2, 4, 4, 5), T(4, 3, 3, 3), T(3), [2, 2], P1, D1, True, P1, 1),           # transposed
        S(T(1, 4, 3, 4), T(4, 2, 2, 3), None, [2, 1], [0, 1], [2, 1], True, [1, 0], 2),
        S(T(1, 3, 4, 4), T(3, 1, 3, 3), T(3), [2, 2], P1, D1, True, P0, 3),           # transposed depthwise
        S(T(2, 3, 7), T(3, 2, 3), T(2), [3], [1], [1], True, [2], 1),                 # transposed 1-d
        S(T(0, 3, 5, 5), T(4, 3, 3, 3), T(4), P1, P0, D1, False, P0, 1),              # empty batch
        S(T(1, 4, 5, 5), T(8, 3, 3, 3), None, P1, P0, D1, False, P0, 1),              # channels
        S(T(1, 3, 2, 2), T(8, 3, 3, 3), None, P1, P0, D1, False, P0, 1),              # kernel too big
        S(T(1, 3, 5, 5), T(8, 3, 3, 3), T(3), P1, P0, D1, False, P0, 1),              # bias size
        S(T(1, 3, 5, 5), T(8, 3, 3, 3), None, [0, 1], P0, D1, False, P0, 1),          # stride 0
        S(T(1, 3, 5, 5), T(8, 3, 3, 3), None, P1, P0, D1, False, P0, 0),              # groups 0
    ],
    "convolution_backward": [
        S(T(2, 4, 4, 4), T(2, 3, 6, 6), T(4, 3, 3, 3), [4], P1, P0, D1, False, P0, 1, [1, 1, 1],
          torch=_conv_backward),
        S(T(1, 6, 3, 9), T(1, 4, 7, 6), T(6, 2, 3, 2), None, [2, 1], [1, 2], [2, 1], False, P0, 2, [1, 1, 0],
          torch=_conv_backward),
        S(T(2, 4, 3, 3), T(2, 4, 5, 5), T(4, 1, 3, 3), [4], [2, 2], P1, D1, False, P0, 4, [1, 1, 1],
          torch=_conv_backward),                                                       # depthwise
        S(T(2, 3, 8, 10), T(2, 4, 4, 5), T(4, 3, 3, 3), [3], [2, 2], P1, D1, True, P1, 1, [1, 1, 1],
          torch=_conv_backward),                                                       # transposed
        S(T(2, 5, 5), T(2, 3, 9), T(5, 3, 3), [5], [2], [1], [1], False, [0], 1, [1, 0, 1],
          torch=_conv_backward),                                                       # 1-d, mask
        S(T(2, 3, 3, 3), T(2, 6, 3, 3), T(3, 6, 1, 1), [3], P1, P0, D1, False, P0, 1, [0, 1, 1],
          torch=_conv_backward, grad=False),                                           # 1x1
        S(T(2, 4, 3, 3), T(2, 3, 6, 6), T(4, 3, 3, 3), [4], P1, P0, D1, False, P0, 1, [1, 1, 1],
          torch=_conv_backward),                                                       # wrong grad size
    ],
    "conv1d": [
        S(T(2, 3, 9), T(4, 3, 3), T(4), [2], [1]),
        S(T(3, 9), T(4, 3, 3)),                                                         # unbatched
        S(T(1, 4, 8), T(4, 2, 3), None, [1], [2], [2], 2),                              # groups, dilation
        S(T(1, 3, 5), T(4, 3, 7)),                                                      # kernel too big
        S(T(1, 3, 5), T(4, 3, 3), None, [1, 1]),                                        # stride length
    ],
    "conv1d_padding": [
        S(T(2, 3, 9), T(4, 3, 4), T(4), [1], "same"),                                # odd total padding
        S(T(3, 9), T(4, 3, 3), None, [1], "same", [3]),
        S(T(2, 3, 9), T(4, 3, 3), None, [1], "valid"),
        S(T(2, 3, 9), T(4, 3, 3), None, [2], "same"),                                   # strided 'same'
    ],
    "conv2d": [
        S(T(2, 3, 6, 6), T(4, 3, 3, 3)),
        S(T(2, 3, 6, 6), T(4, 3, 3, 3), T(4), stride=[2, 2], padding=[1, 1]),
        S(T(1, 4, 8, 8), T(6, 2, 3, 3), T(6), [1, 1], [2, 2], [2, 2], 2),                # groups, dilation
        S(T(3, 5, 5), T(2, 3, 3, 3), T(2)),                                             # unbatched
        S(T(1, 2, 5, 5), T(2, 2, 2, 2), None, [2], [1]),                                # one value for both dims
        S(T(1, 3, 5, 5), T(8, 3, 3, 3), None, [1, 1], [0, 0], [1, 1], 2),               # groups vs channels
        S(T(1, 3, 5, 5), T(8, 3, 3, 3), T(3)),                                          # bias size
        S(T(2, 1, 3, 5, 5), T(8, 3, 3, 3)),                                             # 5-d input
        S(T(1, 3, 5, 5), T(8, 3, 3, 3), None, [1, 1], [-1, 0]),                         # negative padding
        S(T(1, 3, 2, 2), T(8, 3, 3, 3)),                                                # kernel too big
        S(T(1, 3, 5, 5), T(8, 3, 3, 3), None, [1, 1, 1]),                               # stride length
    ],
    "conv2d_padding": [
        S(T(1, 2, 5, 6), T(3, 2, 3, 4), T(3), [1, 1], "same"),                          # odd total on W
        S(T(1, 2, 5, 6), T(3, 2, 3, 3), None, [1, 1], "same", [2, 2]),
        S(T(2, 2, 5, 5), T(3, 2, 3, 3), None, [1, 1], "valid"),
        S(T(2, 5, 5), T(4, 2, 3, 3), None, [1, 1], "same", [1, 1], 1),                   # unbatched
        S(T(1, 4, 5, 5), T(4, 2, 2, 2), None, [1, 1], "same", [1, 1], 2),               # groups
        S(T(1, 2, 5, 5), T(3, 2, 3, 3), None, [2, 2], "same"),                           # strided 'same'
        S(T(1, 2, 5, 5), T(3, 2, 3, 3), None, [1, 1], "full"),                           # bad string
    ],
    "conv_transpose2d": [
        S(T(2, 4, 3, 3), T(4, 3, 3, 3), T(3), [2, 2], [1, 1], [1, 1]),                   # output_padding
        S(T(1, 4, 3, 4), T(4, 2, 2, 3), None, [2, 1], [0, 1], [1, 0], 2, [2, 1]),         # groups, dilation
        S(T(4, 3, 3), T(4, 2, 3, 3)),                                                    # unbatched
        S(T(1, 2, 4, 4), T(2, 3, 1, 1), T(3)),                                           # 1x1
        S(T(1, 4, 5, 5), T(4, 2, 3, 3), None, [2, 2], [0, 0], [2, 2]),                   # output_padding too big
        S(T(1, 4, 5, 5), T(3, 2, 3, 3)),                                                 # channels
        S(T(1, 4, 2, 2), T(4, 2, 3, 3), None, [1, 1], [3, 3]),                           # output too small
    ],
    "max_pool2d_with_indices": [
        S(T(2, 3, 6, 6), [2, 2], torch=_max_pool),
        S(T(1, 2, 7, 7), [3, 3], [2, 2], [1, 1], torch=_max_pool),
        S(T(1, 2, 6, 6), [3, 3], [2, 2], [0, 0], [1, 1], True, torch=_max_pool),          # ceil_mode
        S(T(1, 2, 6, 6), [3, 3], [2, 2], [1, 1], [1, 1], True, torch=_max_pool),          # ceil_mode, padded
        S(T(1, 2, 7, 8), [2, 3], [1, 2], [1, 1], [2, 2], torch=_max_pool),                # dilation
        S(T(3, 5, 5), [2], torch=_max_pool),                                              # unbatched
        S(T(0, 2, 4, 4), [2], torch=_max_pool),                                           # empty batch
        S(T(1, 2, 1, 4, kind="values", values=[1, float("nan"), 2, 3, 4, 4, 0, -1]), [1, 2],
          torch=_max_pool, grad=False),                                                   # NaN, ties
        S(T(1, 2, 5, 5), [3, 3], [1, 1], [2, 2], torch=_max_pool),                        # pad > k/2
        S(T(1, 2, 2, 2), [3, 3], torch=_max_pool),                                        # output too small
        S(T(4, 4), [2, 2], torch=_max_pool),                                              # 2-d input
        S(T(1, 2, 4, 4), [2, 2, 2], torch=_max_pool),                                     # kernel_size length
    ],
    "max_pool2d_with_indices_backward": [
        S(T(1, 2, 2, 2), NG(1, 2, 4, 4), [2, 2], [2, 2], [0, 0], [1, 1], False,
          IDX((1, 2, 2, 2), [0, 3, 9, 14, 5, 2, 15, 10]), torch=aten.max_pool2d_with_indices_backward),
        S(T(2, 2, 2), NG(2, 3, 3), [2, 2], [1, 1], [0, 0], [1, 1], False,
          IDX((2, 2, 2), [0, 0, 4, 4, 8, 5, 5, 8]), torch=aten.max_pool2d_with_indices_backward),
    ],
    "max_pool2d": [
        S(T(2, 3, 6, 6), [3, 3], [2, 2], [1, 1]),
        S(T(1, 2, 7, 7), [3, 3], [2, 2], [0, 0], [1, 1], True),
        S(T(3, 5, 5), [2, 2]),
    ],
    "avg_pool2d": [
        S(T(2, 3, 6, 6), [2, 2], torch=_avg_pool),
        S(T(1, 2, 5, 5), [3, 3], [2, 2], [1, 1], torch=_avg_pool),                         # padding counted
        S(T(1, 2, 5, 5), [3, 3], [2, 2], [1, 1], False, False, torch=_avg_pool),           # count_include_pad
        S(T(1, 2, 6, 6), [3, 3], [2, 2], [1, 1], True, False, torch=_avg_pool),            # ceil_mode
        S(T(1, 2, 6, 6), [3, 3], [2, 2], [1, 1], True, True, torch=_avg_pool),
        S(T(1, 2, 5, 5), [2, 2], [1, 1], [0, 0], False, True, 3, torch=_avg_pool),         # divisor_override
        S(T(3, 5, 4), [2, 3], torch=_avg_pool),                                            # unbatched
        S(T(1, 2, 5, 5), [2, 2], [1, 1], [0, 0], False, True, 0, torch=_avg_pool),         # divisor 0
        S(T(1, 2, 5, 5), [2, 2], [1, 1], [2, 2], torch=_avg_pool),                         # pad > k/2
    ],
    "avg_pool2d_backward": [
        S(T(1, 2, 3, 3), NG(1, 2, 5, 5), [3, 3], [2, 2], [1, 1], False, True, None,
          torch=aten.avg_pool2d_backward),
        S(T(1, 2, 4, 4), NG(1, 2, 6, 6), [3, 3], [2, 2], [1, 1], True, False, None,
          torch=aten.avg_pool2d_backward),
        S(T(2, 4, 4), NG(2, 5, 5), [2, 2], [1, 1], [0, 0], False, True, 3, torch=aten.avg_pool2d_backward),
    ],
    "adaptive_avg_pool2d": [
        S(T(2, 3, 7, 5), [3, 2], torch=F.adaptive_avg_pool2d),
        S(T(3, 6, 6), [1, 1], torch=F.adaptive_avg_pool2d),                                # unbatched, global
        S(T(1, 2, 4, 4), [6, 5], torch=F.adaptive_avg_pool2d),                             # larger than input
        S(T(1, 2, 5, 5), [0, 2], torch=F.adaptive_avg_pool2d, grad=False),                           # empty output
        S(T(1, 2, 5, 5), [3, 2, 1], torch=aten.adaptive_avg_pool2d),                       # output_size length
        S(T(1, 2, 0, 5), [3, 2], torch=F.adaptive_avg_pool2d),                             # empty plane
    ],
    "adaptive_avg_pool2d_backward": [
        S(T(2, 3, 3, 2), NG(2, 3, 7, 5), torch=aten._adaptive_avg_pool2d_backward),
        S(T(2, 2, 2), NG(2, 4, 4), torch=aten._adaptive_avg_pool2d_backward),
    ],
}

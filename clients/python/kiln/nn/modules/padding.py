"""Constant and zero padding layers (F.pad's constant mode), and PixelShuffle/PixelUnshuffle
(pure reshapes)."""

from kiln.nn import functional as F
from kiln.nn.modules.module import Module


class _ConstantPadNd(Module):
    _n = 2

    def __init__(self, padding, value):
        super().__init__()
        self.padding = (padding,) * (2 * self._n) if isinstance(padding, int) else tuple(padding)
        self.value = value

    def forward(self, input):  # noqa: A002
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return "padding={}, value={}".format(self.padding, self.value)


class ConstantPad1d(_ConstantPadNd):
    _n = 1


class ConstantPad2d(_ConstantPadNd):
    pass


class ConstantPad3d(_ConstantPadNd):
    _n = 3


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return "{}".format(self.padding)


class PixelShuffle(Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):  # noqa: A002
        r = self.upscale_factor
        *lead, c, h, w = input.shape
        if c % (r * r) != 0:
            raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                               "divisible by the square of upscale_factor, but input.size(-3)="
                               "%d is not divisible by %d" % (c, r * r))
        oc = c // (r * r)
        n = len(lead)
        x = input.reshape(*lead, oc, r, r, h, w)
        x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
        return x.reshape(*lead, oc, h * r, w * r)

    def extra_repr(self):
        return "upscale_factor={}".format(self.upscale_factor)


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):  # noqa: A002
        r = self.downscale_factor
        *lead, c, h, w = input.shape
        if h % r or w % r:
            raise RuntimeError("pixel_unshuffle expects height and width to be divisible by "
                               "downscale_factor, got %dx%d and %d" % (h, w, r))
        n = len(lead)
        x = input.reshape(*lead, c, h // r, r, w // r, r)
        x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
        return x.reshape(*lead, c * r * r, h // r, w // r)

    def extra_repr(self):
        return "downscale_factor={}".format(self.downscale_factor)

"""LSTMCell and GRUCell over the table's fused cells."""

import math

from kiln import _factories as f
from kiln._ops import call
from kiln.nn import init
from kiln.nn.modules._util import param
from kiln.nn.modules.module import Module


class _CellBase(Module):
    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        g = self._gates * hidden_size
        self.weight_ih = param(g, input_size, dtype=dtype, device=device)
        self.weight_hh = param(g, hidden_size, dtype=dtype, device=device)
        if bias:
            self.bias_ih = param(g, dtype=dtype, device=device)
            self.bias_hh = param(g, dtype=dtype, device=device)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -bound, bound)

    def _batched(self, input, hx):  # noqa: A002
        if input.ndim not in (1, 2):
            raise ValueError("%s: Expected input to be 1D or 2D, got %dD input instead"
                             % (type(self).__name__, input.ndim))
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)  # noqa: A001
        zeros = f.zeros(input.shape[0], self.hidden_size, dtype=input.dtype,
                        device=input._m.device)
        return batched, input, zeros

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if not self.bias:
            s += ", bias={bias}"
        return s.format(**self.__dict__)


class LSTMCell(_CellBase):
    _gates = 4

    def forward(self, input, hx=None):  # noqa: A002
        batched, input, zeros = self._batched(input, hx)  # noqa: A001
        if hx is None:
            hx = (zeros, zeros)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = call("lstm_cell", (input, list(hx), self.weight_ih, self.weight_hh, self.bias_ih,
                                  self.bias_hh), {})
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    _gates = 3

    def forward(self, input, hx=None):  # noqa: A002
        batched, input, zeros = self._batched(input, hx)  # noqa: A001
        if hx is None:
            hx = zeros
        elif not batched:
            hx = hx.unsqueeze(0)
        h = call("gru_cell", (input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                              self.bias_hh), {})
        return h if batched else h.squeeze(0)

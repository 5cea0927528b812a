"""RNN, LSTM and GRU and their cells (LSTM and GRU over the table's fused cells)."""

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


class _RNNBase(Module):
    """Multi-layer (bi)directional recurrences: a Python loop over time of the fused cell ops,
    with torch's parameter names (weight_ih_l0, ..., *_reverse) so state_dicts load across."""
    _gates = 1
    _cell = None

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if proj_size:
            raise NotImplementedError("kiln: LSTM(proj_size=...) is not supported")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        g = self._gates * hidden_size
        dirs = 2 if bidirectional else 1
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = "_l%d%s" % (layer, "_reverse" if d else "")
                n_in = input_size if layer == 0 else hidden_size * dirs
                setattr(self, "weight_ih" + sfx, param(g, n_in, dtype=dtype, device=device))
                setattr(self, "weight_hh" + sfx, param(g, hidden_size, dtype=dtype, device=device))
                if bias:
                    setattr(self, "bias_ih" + sfx, param(g, dtype=dtype, device=device))
                    setattr(self, "bias_hh" + sfx, param(g, dtype=dtype, device=device))
        self.reset_parameters()

    reset_parameters = _CellBase.reset_parameters

    def _weights(self, layer, d):
        sfx = "_l%d%s" % (layer, "_reverse" if d else "")
        return [getattr(self, n + sfx, None) for n in ("weight_ih", "weight_hh", "bias_ih",
                                                        "bias_hh")]

    def forward(self, input, hx=None):  # noqa: A002
        batched = input.ndim == 3
        if input.ndim not in (2, 3):
            raise ValueError("%s: Expected input to be 2D or 3D, got %dD instead"
                             % (type(self).__name__, input.ndim))
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        steps, n = x.shape[0], x.shape[1]
        dirs = 2 if self.bidirectional else 1
        lstm = self._gates == 4
        if hx is None:
            z = f.zeros(self.num_layers * dirs, n, self.hidden_size, dtype=x.dtype,
                        device=x._m.device)
            hx = (z, z) if lstm else z
        elif not batched:
            hx = tuple(h.unsqueeze(1) for h in hx) if lstm else hx.unsqueeze(1)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                i = layer * dirs + d
                h = hx[0][i] if lstm else hx[i]
                c = hx[1][i] if lstm else None
                w = self._weights(layer, d)
                order = range(steps - 1, -1, -1) if d else range(steps)
                if self._gates == 1:
                    seq = [None] * steps
                    for t in order:
                        h = seq[t] = _rnn_step(self.nonlinearity, x[t], h, *w)
                else:
                    h, c, seq = _gated_layer(lstm, x, h, c, w, order)
                outs.append(call("stack", (seq, 0), {}))
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if dirs == 1 else call("cat", (outs, -1), {})
            if self.dropout and self.training and layer < self.num_layers - 1:
                from kiln.nn import functional as F
                x = F.dropout(x, self.dropout)
        h_n = call("stack", (h_n, 0), {})
        hidden = (h_n, call("stack", (c_n, 0), {})) if lstm else h_n
        if not batched:
            x = x.squeeze(1)
            hidden = tuple(h.squeeze(1) for h in hidden) if lstm else hidden.squeeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, hidden

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


def _gated_layer(lstm, x, h, c, w, order):
    """One direction of one LSTM/GRU layer over x (T, B, in), split as torch's CPU kernel does:
    the input projection of every step as one GEMM over (T * B) rows, then per step only the
    hidden GEMM and the fused gate arithmetic. T small input GEMMs (and T more in backward)
    cost the daemon more than one big one, and the steps' slices come from one unbind."""
    w_ih, w_hh, b_ih, b_hh = w
    xp = call("linear", (x, w_ih, b_ih), {})
    if lstm:
        # b_hh joins the input part once, so each step is one addmm: x W_ih^T + b_ih + b_hh
        # + h W_hh^T (torch adds the same four terms in another order: ~1 ulp apart)
        if b_hh is not None:
            xp = call("add", (xp, b_hh), {})
        xs = call("unbind", (xp, 0), {})
        seq = [None] * len(xs)
        w_hh_t = call("t", (w_hh,), {})
        for t in order:
            h, c = call("_lstm_cell_gates", (call("addmm", (xs[t], h, w_hh_t), {}), c), {})
            seq[t] = h
    else:
        xs = call("unbind", (xp, 0), {})
        seq = [None] * len(xs)
        for t in order:
            h = seq[t] = call("_gru_cell_gates", (xs[t], call("linear", (h, w_hh, b_hh), {}), h),
                              {})
    return h, c, seq


def _rnn_step(nonlinearity, x, h, w_ih, w_hh, b_ih, b_hh):
    from kiln.nn import functional as F
    pre = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
    return F.tanh(pre) if nonlinearity == "tanh" else F.relu(pre)


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError("Unknown nonlinearity '{}'. Select from 'tanh' or 'relu'.".format(
            nonlinearity))
    return nonlinearity


class RNNCell(_CellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        self.__dict__["nonlinearity"] = _check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):  # noqa: A002
        batched, input, zeros = self._batched(input, hx)  # noqa: A001
        hx = zeros if hx is None else (hx if batched else hx.unsqueeze(0))
        h = _rnn_step(self.nonlinearity, input, hx, self.weight_ih, self.weight_hh,
                      self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)

    def extra_repr(self):
        s = super().extra_repr()
        return s + (", nonlinearity={}".format(self.nonlinearity)
                    if self.nonlinearity != "tanh" else "")


class RNN(_RNNBase):
    def __init__(self, *args, nonlinearity="tanh", **kwargs):
        self.__dict__["nonlinearity"] = _check_nonlinearity(nonlinearity)
        super().__init__(*args, **kwargs)


class LSTM(_RNNBase):
    _gates = 4


class GRU(_RNNBase):
    _gates = 3

"""Samples of the nn_seq family: linear, bilinear, attention, LSTM/GRU cells."""

import math

import torch
import torch.nn.functional as F

from samples.spec import S, T


def B(*shape):  # a bool mask: never differentiated
    return T(*shape, kind="bool", fixed="bool", grad=False)


def attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False):
    """torch 1.13 has no F.scaled_dot_product_attention (2.0 has): its math written out, with
    2.0's argument checks."""
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype")
    if attn_mask is not None:
        if attn_mask.dtype not in (torch.bool, query.dtype):
            raise RuntimeError("Expected attn_mask dtype to be bool or to match query dtype")
        if is_causal:
            raise RuntimeError("Explicit attn_mask should not be set when is_causal=True")
    if not 0 <= dropout_p <= 1:
        raise RuntimeError("dropout probability has to be between 0 and 1")
    if query.size(-1) != key.size(-1) or key.size(-2) != value.size(-2):
        raise RuntimeError("query/key/value sizes do not match")
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.size(-1))
    if is_causal:
        attn_mask = torch.ones(query.size(-2), key.size(-2), dtype=torch.bool).tril()
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = torch.where(attn_mask, scores, torch.tensor(float("-inf"), dtype=scores.dtype))
        else:
            scores = scores + attn_mask
    return torch.softmax(scores, dim=-1) @ value


def _unbatched(cell):
    """torch.lstm_cell / gru_cell take batches; nn.LSTMCell / GRUCell also take one (in,) input."""
    def call(input, hx, *args, **kwargs):
        if input.dim() != 1:
            return cell(input, hx, *args, **kwargs)
        if isinstance(hx, (list, tuple)):
            r = cell(input.unsqueeze(0), [h.unsqueeze(0) for h in hx], *args, **kwargs)
            return tuple(x.squeeze(0) for x in r)
        return cell(input.unsqueeze(0), hx.unsqueeze(0), *args, **kwargs).squeeze(0)
    return call


def _lstm_check(input, hx, *args, **kwargs):
    if input.dim() not in (1, 2):
        raise RuntimeError("LSTMCell: Expected input to be 1-D or 2-D")
    return _unbatched(torch.lstm_cell)(input, hx, *args, **kwargs)


def _gru_check(input, hx, *args, **kwargs):
    if input.dim() not in (1, 2):
        raise RuntimeError("GRUCell: Expected input to be 1-D or 2-D")
    return _unbatched(torch.gru_cell)(input, hx, *args, **kwargs)


def lstm_args(b, i, h, bias=True):
    hx = [T(b, h), T(b, h)] if b else [T(h), T(h)]
    x = T(b, i) if b else T(i)
    args = [x, hx, T(4 * h, i), T(4 * h, h)]
    return args + ([T(4 * h), T(4 * h)] if bias else [])


def gru_args(b, i, h, bias=True):
    x, hx = (T(b, i), T(b, h)) if b else (T(i), T(h))
    args = [x, hx, T(3 * h, i), T(3 * h, h)]
    return args + ([T(3 * h), T(3 * h)] if bias else [])


FLOATS = ["float16", "bfloat16", "float32", "float64"]


def floats(samples, dtypes=FLOATS):
    """Composites have no dtype list of their own: sweep the floating types their kernels take
    (PyTorch runs integer matmuls, which Kiln's GEMM-backed ops do not)."""
    for s in samples:
        ts = [a for a in list(s.args) + list(s.kwargs.values()) if isinstance(a, T)]
        ts += [x for a in s.args if isinstance(a, list) for x in a]
        if s.dtypes is None and any(not t.fixed for t in ts):
            s.dtypes = dtypes
    return samples


SAMPLES = {
    "linear": [
        S(T(3, 4), T(5, 4), T(5), torch=F.linear),                 # with bias
        S(T(3, 4), T(5, 4), torch=F.linear),                       # no bias
        S(T(2, 3, 4), T(5, 4), T(5), torch=F.linear),              # batch dims
        S(T(4), T(5, 4), T(5), torch=F.linear),                    # 1-d input
        S(T(3, 4), T(5, 4), T(1), torch=F.linear),                 # bias broadcast
        S(T(3, 4), T(5, 4), bias=T(()), torch=F.linear),           # 0-dim bias
        S(T(0, 4), T(5, 4), T(5), torch=F.linear),                 # empty batch
        S(T(3, 0), T(5, 0), T(5), torch=F.linear),                 # empty reduction: bias only
        S(T(3, 4), T(5, 3), torch=F.linear),                       # in sizes differ: error
        S(T(()), T(5, 4), torch=F.linear),                         # 0-dim input: error
        S(T(3, 4), T(5, 4), T(6), torch=F.linear),                 # bias does not broadcast
        S(T(3, 4, fixed="float32"), T(5, 4, fixed="float64"), torch=F.linear),  # dtypes differ
    ],
    # The composite rounds its (rows, out * in2) intermediate to the half type: half types get
    # their own sample with a looser tolerance.
    "bilinear": floats([
        S(T(3, 4), T(3, 2), T(5, 4, 2), T(5), torch=F.bilinear, dtypes=["float16", "bfloat16"],
          atol=3e-2, rtol=3e-2),
        S(T(3, 4), T(3, 2), T(5, 4, 2), T(5), torch=F.bilinear),
        S(T(3, 4), T(3, 2), T(5, 4, 2), torch=F.bilinear),         # no bias
        S(T(2, 3, 4), T(2, 3, 2), T(5, 4, 2), T(5), torch=F.bilinear),  # batch dims
        S(T(4), T(2), T(5, 4, 2), T(5), torch=F.bilinear),         # unbatched
        S(T(0, 4), T(0, 2), T(5, 4, 2), T(5), torch=F.bilinear),   # empty
        S(T(3, 4), T(2, 2), T(5, 4, 2), torch=F.bilinear),         # batch mismatch: error
        S(T(3, 4), T(3, 2), T(5, 3, 2), torch=F.bilinear),         # in1 mismatch: error
        S(T(3, 4), T(3, 2), T(5, 4, 2), T(4), torch=F.bilinear),   # bias mismatch: error
    ], ["float32", "float64"]),
    "scaled_dot_product_attention": floats([
        S(T(2, 3, 4), T(2, 5, 4), T(2, 5, 6), torch=attention),
        S(T(3, 4), T(5, 4), T(5, 2), torch=attention),                       # no batch
        S(T(2, 2, 3, 4), T(2, 1, 5, 4), T(1, 2, 5, 4), torch=attention),     # batch broadcast
        S(T(2, 3, 4), T(2, 5, 4), T(2, 5, 4), B(3, 5), torch=attention),     # bool mask
        S(T(2, 3, 4), T(2, 5, 4), T(2, 5, 4), B(2, 1, 5), torch=attention),  # broadcast mask
        S(T(2, 3, 4), T(2, 5, 4), T(2, 5, 4), T(3, 5, grad=False), torch=attention),  # float mask
        S(T(2, 3, 4), T(2, 5, 4), T(2, 5, 4), attn_mask=T(5, grad=False), torch=attention),
        S(T(3, 2, 4), T(3, 4, 4), T(3, 4, 2), T(4, 3, 1, 4, grad=False),
          torch=attention),                                                  # mask adds a batch dim
        S(T(2, 4, 3), T(2, 4, 3), T(2, 4, 3), is_causal=True, torch=attention),  # causal
        S(T(2, 3, 3), T(2, 5, 3), T(2, 5, 3), is_causal=True, torch=attention),  # causal, L < S
        S(T(2, 3, 4), T(2, 5, 4), T(2, 5, 4), None, 0.0, False, torch=attention),  # positional
        S(T(2, 0, 4), T(2, 5, 4), T(2, 5, 4), torch=attention),              # empty L
        S(T(2, 3, 4), T(2, 5, 4), T(2, 5, 4), B(3, 5), is_causal=True, torch=attention),  # error
        S(T(2, 3, 4), T(2, 5, 3), T(2, 5, 4), torch=attention),              # E differs: error
        S(T(2, 3, 4, fixed="float32"), T(2, 5, 4, fixed="float64"), T(2, 5, 4, fixed="float32"),
          torch=attention),                                                  # dtypes differ: error
        S(T(2, 3, 4), T(2, 5, 4), T(2, 5, 4), dropout_p=1.5, torch=attention),  # error
    ]),
    "lstm_cell": floats([
        S(*lstm_args(3, 4, 5), torch=_lstm_check),
        S(*lstm_args(3, 4, 5, bias=False), torch=_lstm_check),                # no bias
        S(*lstm_args(0, 4, 5), torch=_lstm_check),                            # unbatched
        S(*lstm_args(3, 4, 5)[:4], b_hh=T(20), torch=_lstm_check),           # one bias
        S(T(0, 4), [T(0, 5), T(0, 5)], T(20, 4), T(20, 5), torch=_lstm_check),  # empty batch
        S(T(3, 4), [T(2, 5), T(3, 5)], T(20, 4), T(20, 5), torch=_lstm_check),  # batch: error
        S(T(3, 4), [T(3, 5), T(3, 5)], T(20, 3), T(20, 5), torch=_lstm_check),  # input size: error
        S(T(3, 4), [T(3, 5)], T(20, 4), T(20, 5), torch=_lstm_check),         # one state: error
        S(T(2, 3, 4), [T(2, 3, 5), T(2, 3, 5)], T(20, 4), T(20, 5), torch=_lstm_check),  # 3-d: error
    ]),
    "gru_cell": floats([
        S(*gru_args(3, 4, 5), torch=_gru_check),
        S(*gru_args(3, 4, 5, bias=False), torch=_gru_check),
        S(*gru_args(0, 4, 5), torch=_gru_check),                              # unbatched
        S(T(0, 4), T(0, 5), T(15, 4), T(15, 5), torch=_gru_check),           # empty batch
        S(T(3, 4), T(3, 6), T(15, 4), T(15, 5), torch=_gru_check),           # hidden size: error
        S(T(3, 4), T(3, 5), T(15, 4), T(15, 5), T(14), torch=_gru_check),    # bias size: error
    ]),
}

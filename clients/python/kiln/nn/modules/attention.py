"""MultiheadAttention: torch's parameters (in_proj_weight/bias, out_proj) and its arithmetic,
composed from the table's linear, matmul, softmax and dropout."""

import math

from kiln import _factories as f
from kiln._ops import call
from kiln.nn import functional as F
from kiln.nn import init
from kiln.nn.modules._util import param
from kiln.nn.modules.linear import Linear
from kiln.nn.modules.module import Module


class NonDynamicallyQuantizableLinear(Linear):
    """torch's name for MultiheadAttention's out_proj (kept so that repr matches)."""


def _additive(mask, like):
    """A bool mask (True: not allowed) as -inf/0; a float mask as it is."""
    if mask.dtype.is_floating_point:
        return mask
    return call("where", (mask, f.full((), float("-inf"), dtype=like.dtype), 0.0), {})


class MultiheadAttention(Module):
    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError("embed_dim and num_heads must be greater than 0, got embed_dim=%s "
                             "and num_heads=%s instead" % (embed_dim, num_heads))
        if embed_dim % num_heads != 0:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if add_bias_kv or add_zero_attn or (kdim or embed_dim) != embed_dim or \
                (vdim or embed_dim) != embed_dim:
            raise NotImplementedError("kiln: MultiheadAttention with add_bias_kv, add_zero_attn "
                                      "or kdim/vdim other than embed_dim is not supported")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = self.vdim = embed_dim
        self._qkv_same_embed_dim = True
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = param(3 * embed_dim, embed_dim, dtype=dtype, device=device)
        if bias:
            self.in_proj_bias = param(3 * embed_dim, dtype=dtype, device=device)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        tgt, n, e = query.shape
        src = key.shape[0]
        h, d = self.num_heads, self.head_dim
        ws = self.in_proj_weight.chunk(3)
        bs = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)

        def heads(x, w, b, length):  # (length, n, e) -> (n * h, length, d)
            return F.linear(x, w, b).reshape(length, n * h, d).transpose(0, 1)
        q = heads(query, ws[0], bs[0], tgt)
        k = heads(key, ws[1], bs[1], src)
        v = heads(value, ws[2], bs[2], src)
        scores = (q / math.sqrt(d)) @ k.transpose(-2, -1)  # (n * h, tgt, src)
        if is_causal and attn_mask is None:
            attn_mask = f.ones(tgt, src, dtype="bool").triu(1)
        if attn_mask is not None:
            scores = scores + _additive(attn_mask, scores)
        if key_padding_mask is not None:
            pad = _additive(key_padding_mask, scores).reshape(n, 1, 1, src)
            scores = (scores.reshape(n, h, tgt, src) + pad).reshape(n * h, tgt, src)
        weights = F.softmax(scores, -1)
        if self.training and self.dropout > 0:
            weights = F.dropout(weights, self.dropout)
        out = (weights @ v).transpose(0, 1).reshape(tgt * n, e)
        out = self.out_proj(out).reshape(tgt, n, e)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.reshape(n, h, tgt, src)
        if average_attn_weights:
            weights = weights.mean(1)
        return out, (weights if batched else weights.squeeze(0))

"""kiln.nn.functional: torch.nn.functional's signatures over the op table's functions.

Each wrapper only adapts arguments (single ints to the int[] the table takes, torch's
Optional conventions to the table's sentinels); the computation is one table op on the daemon."""

from kiln._ops import call

_REDUCTIONS = ("none", "mean", "sum")


def _pair(v, n=2):
    if isinstance(v, int):
        return [v] * n
    return [int(x) for x in v]


def _reduction(name, size_average, reduce, reduction):
    """torch's deprecated size_average/reduce flags folded into reduction."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in _REDUCTIONS:
        raise ValueError("%s: %s is not a valid value for reduction" % (name, reduction))
    return reduction


# ---- linear, convolution, pooling ----
def linear(input, weight, bias=None):  # noqa: A002
    return call("linear", (input, weight, bias), {})


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    if isinstance(padding, str):
        return call("conv1d_padding", (input, weight, bias, _pair(stride, 1), padding,
                                       _pair(dilation, 1), groups), {})
    return call("conv1d", (input, weight, bias, _pair(stride, 1), _pair(padding, 1),
                           _pair(dilation, 1), groups), {})


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    if isinstance(padding, str):
        return call("conv2d_padding", (input, weight, bias, _pair(stride), padding,
                                       _pair(dilation), groups), {})
    return call("conv2d", (input, weight, bias, _pair(stride), _pair(padding), _pair(dilation),
                           groups), {})


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1):
    return call("conv_transpose2d", (input, weight, bias, _pair(stride), _pair(padding),
                                     _pair(output_padding), groups, _pair(dilation)), {})


def _as_2d(fn, input, *args):  # noqa: A002
    """A 1-d pooling as the 2-d one over a height of 1 (flat indices are then the same)."""
    out = fn(input.unsqueeze(-2), *args)
    if isinstance(out, tuple):
        return tuple(o.squeeze(-2) for o in out)
    return out.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    k = _pair(kernel_size, 1)[0]
    s = k if stride is None or stride == [] else _pair(stride, 1)[0]
    return _as_2d(max_pool2d, input, [1, k], [1, s], [0, _pair(padding, 1)[0]],
                  [1, _pair(dilation, 1)[0]], ceil_mode, return_indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True):
    k = _pair(kernel_size, 1)[0]
    s = k if stride is None or stride == [] else _pair(stride, 1)[0]
    return _as_2d(avg_pool2d, input, [1, k], [1, s], [0, _pair(padding, 1)[0]], ceil_mode,
                  count_include_pad)


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    return _as_2d(adaptive_avg_pool2d, input, [1, _pair(output_size, 1)[0]])


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    args = (input, _pair(kernel_size), [] if stride is None else _pair(stride), _pair(padding),
            _pair(dilation), ceil_mode)
    if return_indices:
        return call("max_pool2d_with_indices", args, {})
    return call("max_pool2d", args, {})


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    return call("avg_pool2d", (input, _pair(kernel_size), [] if stride is None else _pair(stride),
                               _pair(padding), ceil_mode, count_include_pad, divisor_override), {})


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    if isinstance(output_size, int):
        output_size = [output_size, output_size]
    # None keeps that dimension's input size, as in torch
    output_size = [input.shape[-2 + i] if s is None else int(s) for i, s in enumerate(output_size)]
    return call("adaptive_avg_pool2d", (input, output_size), {})


def bilinear(input1, input2, weight, bias=None):
    return call("bilinear", (input1, input2, weight, bias), {})


# ---- activations ----
def _inplace(name, input, inplace, *args):  # noqa: A002
    if inplace:
        return call(name, (input,) + args, {}, 1)
    return call(name, (input,) + args, {})


def relu(input, inplace=False):  # noqa: A002
    return _inplace("relu", input, inplace)


def relu6(input, inplace=False):  # noqa: A002
    return call("relu6", (input,), {})


def gelu(input, approximate="none"):  # noqa: A002
    return call("gelu", (input,), {"approximate": approximate})


def silu(input, inplace=False):  # noqa: A002
    return call("silu", (input,), {})


def mish(input, inplace=False):  # noqa: A002
    return call("mish", (input,), {})


def hardswish(input, inplace=False):  # noqa: A002
    return call("hardswish", (input,), {})


def hardsigmoid(input, inplace=False):  # noqa: A002
    return call("hardsigmoid", (input,), {})


def logsigmoid(input):  # noqa: A002
    return call("log_sigmoid", (input,), {})


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    return call("leaky_relu", (input, negative_slope), {})


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    return call("elu", (input, alpha), {})


def softplus(input, beta=1, threshold=20):  # noqa: A002
    return call("softplus", (input, beta, threshold), {})


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    return call("hardtanh", (input, min_val, max_val), {})


def sigmoid(input):  # noqa: A002
    return call("sigmoid", (input,), {})


def tanh(input):  # noqa: A002
    return call("tanh", (input,), {})


def _softmax_dim(ndim):
    # torch's legacy choice when dim is omitted
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return call("softmax", (input, dim, dtype), {})


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return call("log_softmax", (input, dim, dtype), {})


# ---- normalization, embedding, dropout ----
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    return call("layer_norm", (input, _pair(normalized_shape, 1), weight, bias, float(eps)), {})


def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training=False, momentum=0.1, eps=1e-5):
    return call("batch_norm", (input, running_mean, running_var, weight, bias, bool(training),
                               float(momentum), float(eps)), {})


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002
    return call("group_norm", (input, int(num_groups), weight, bias, float(eps)), {})


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False, sparse=False):
    if max_norm is not None:
        raise NotImplementedError("kiln: embedding(max_norm=...) is not supported")
    if padding_idx is None:
        padding_idx = -1
    else:
        n = weight.shape[0]
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n  # the table's -1 means "none"
    return call("embedding", (weight, input, padding_idx, scale_grad_by_freq, sparse), {})


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    if p < 0.0 or p > 1.0:
        raise ValueError("dropout probability has to be between 0 and 1, but got %s" % p)
    return call("dropout", (input, float(p), bool(training), bool(inplace)), {})


# ---- losses ----
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
                  reduce=None, reduction="mean", label_smoothing=0.0):
    reduction = _reduction("cross_entropy", size_average, reduce, reduction)
    return call("cross_entropy", (input, target, weight, ignore_index, reduction,
                                  float(label_smoothing)), {})


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
             reduce=None, reduction="mean"):
    reduction = _reduction("nll_loss", size_average, reduce, reduction)
    return call("nll_loss", (input, target, weight, ignore_index, reduction), {})


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    return call("mse_loss", (input, target,
                             _reduction("mse_loss", size_average, reduce, reduction)), {})


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    return call("l1_loss", (input, target,
                            _reduction("l1_loss", size_average, reduce, reduction)), {})


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
                   beta=1.0):
    return call("smooth_l1_loss", (input, target, _reduction("smooth_l1_loss", size_average,
                                                             reduce, reduction), float(beta)), {})


def huber_loss(input, target, reduction="mean", delta=1.0):  # noqa: A002
    return call("huber_loss", (input, target, _reduction("huber_loss", None, None, reduction),
                               float(delta)), {})


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    reduction = _reduction("binary_cross_entropy", size_average, reduce, reduction)
    return call("binary_cross_entropy", (input, target, weight, reduction), {})


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,  # noqa: A002
                                     reduce=None, reduction="mean", pos_weight=None):
    reduction = _reduction("binary_cross_entropy_with_logits", size_average, reduce, reduction)
    return call("binary_cross_entropy_with_logits", (input, target, weight, reduction,
                                                     pos_weight), {})


def kl_div(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
           log_target=False):
    if reduction == "batchmean":
        # the sum over the batch's size: the table reduces only by "mean" (over elements)
        out = call("kl_div", (input, target, "sum", bool(log_target)), {})
        return out / input.shape[0] if input.ndim else out
    reduction = _reduction("kl_div", size_average, reduce, reduction)
    return call("kl_div", (input, target, reduction, bool(log_target)), {})


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False):
    return call("scaled_dot_product_attention", (query, key, value, attn_mask, float(dropout_p),
                                                 bool(is_causal)), {})


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002
    if out is not None:
        raise NotImplementedError("kiln: normalize(out=...) is not supported")
    n = call("norm", (input, p, [dim], True), {})
    return input / n.clamp_min(eps).expand_as(input)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    # torch's formula: the product of the squared norms is clamped, not each norm
    w12 = (x1 * x2).sum(dim)
    w = ((x1 * x1).sum(dim) * (x2 * x2).sum(dim)).clamp_min(eps * eps)
    return w12 / w.sqrt()


# ---- shape helpers ----
def pad(input, pad, mode="constant", value=None):  # noqa: A002
    if mode != "constant":
        raise NotImplementedError("kiln: pad(mode=%r) is not supported" % mode)
    return call("constant_pad_nd", (input, list(pad), 0.0 if value is None else value), {})


def one_hot(tensor, num_classes=-1):
    if tensor._m.dtype != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor.")
    if num_classes == -1:
        num_classes = int(tensor.max().item()) + 1  # a sync, as torch reads the data too
    from kiln import _factories as f
    out = f.zeros(tuple(tensor.shape) + (num_classes,), dtype="int64", device=tensor._m.device)
    return call("scatter_value", (out, -1, tensor.unsqueeze(-1), 1), {})

import torch
import torch.nn.functional as F

from samples.spec import S, T


def I(*shape, low=0, high=3):  # noqa: E743  class / embedding indices
    return T(*shape, kind="int", low=low, high=high, fixed="int64")


def V(values, dtype="int64"):
    return T(len(values), kind="values", values=values, fixed=dtype)


def P(*shape):  # positive statistics (running_var), never differentiated
    return T(*shape, kind="positive", grad=False)


def R(*shape):  # running_mean: not differentiable, updated in place
    return T(*shape, grad=False)


F2 = ["float32", "float64"]


def _softmax_bwd(g, out, dim, input_dtype):
    return torch.ops.aten._softmax_backward_data(g, out, dim, g.dtype)


def _log_softmax_bwd(g, out, dim, input_dtype):
    return torch.ops.aten._log_softmax_backward_data(g, out, dim, g.dtype)


def _embedding_bwd(g, indices, num_weights, padding_idx, scale_grad_by_freq):
    return torch.ops.aten.embedding_dense_backward(g, indices, num_weights, padding_idx,
                                                   scale_grad_by_freq)


def _dropout_bwd(g, mask, scale):
    return torch.ops.aten.native_dropout_backward(g, mask, scale)


def _first_differentiable(fn):
    # The statistics outputs feed no gradient (PyTorch's formula ignores theirs too): detach
    # them so the finite-difference objective is the first output's alone.
    def call(*args, **kwargs):
        out, a, b = fn(*args, **kwargs)
        return out, a.detach(), b.detach()
    return call


_native_layer_norm = _first_differentiable(torch.native_layer_norm)
_native_batch_norm = _first_differentiable(torch.native_batch_norm)
_native_group_norm = _first_differentiable(torch.native_group_norm)


SAMPLES = {
    "softmax": [
        S(T(3, 5), 1), S(T(3, 5), 0), S(T(2, 3, 4), -1), S(T(2, 3, 4), 1), S(T(4, 40), -1),
        S(T(3, 37), 1, atol=1e-6), S(T(()), 0), S(T(0, 3), 1), S(T(3, 0), 1),
        S(T(3, 5), 1, dtype="float64"),
        S(T(3, 5, kind="int", fixed="int64"), 1, dtype="float32", grad=False),
        S(T(2, 3), 2), S(T(2, 3, kind="int", fixed="int64"), 1),
    ],
    "log_softmax": [
        S(T(3, 5), 1), S(T(3, 5), 0), S(T(2, 3, 4), -1), S(T(2, 3, 4), 1),
        S(T(3, 37), 1), S(T(()), 0), S(T(0, 3), 1),
        S(T(3, 5), -1, dtype="float64"),
        S(T(2, 3), -3), S(T(2, 3, kind="int", fixed="int64"), 1),
    ],
    "_softmax_backward_data": [
        S(T(3, 5), T(3, 5, kind="uniform", low=0, high=1), 1, "float32", torch=_softmax_bwd),
        S(T(2, 3, 4), T(2, 3, 4, kind="uniform", low=0, high=1), 1, "float32", torch=_softmax_bwd),
        S(T(0, 4), T(0, 4), 1, "float32", torch=_softmax_bwd),
        S(T(3, 5), T(3, 4), 1, "float32", torch=_softmax_bwd),
    ],
    "_log_softmax_backward_data": [
        S(T(3, 5), T(3, 5, kind="uniform", low=-3, high=0), 1, "float32", torch=_log_softmax_bwd),
        S(T(2, 3, 4), T(2, 3, 4, kind="uniform", low=-3, high=0), 0, "float32", torch=_log_softmax_bwd),
        S(T(3, 5), T(3, 5), 2, "float32", torch=_log_softmax_bwd),
    ],
    "native_layer_norm": [
        S(T(4, 6), [6], T(6), T(6), 1e-5), S(T(2, 3, 4), [3, 4], T(3, 4), None, 1e-5),
        S(T(2, 3, 4), [4], None, None, 1e-3), S(T(5, 40), [40], T(40), T(40), 1e-5),
        S(T(0, 4), [4], T(4), T(4), 1e-5, grad=False),
        S(T(2, 3), [4], None, None, 1e-5),
    ],
    "layer_norm": [
        S(T(4, 6), [6]), S(T(4, 6), [6], T(6), T(6)), S(T(2, 3, 4), [3, 4], T(3, 4), T(3, 4), 1e-3),
        S(T(2, 3, 4), (4,), None, T(4)), S(T(6), [6], T(6)), S(T(3, 0), [0], grad=False),
        S(T(0, 5), [5], T(5), T(5), grad=False),
        S(T(2, 3), [4]), S(T(2, 3), [3], T(4)), S(T(2, 3), []), S(T(2, 3, kind="int", fixed="int64"), [3]),
    ],
    "native_batch_norm": [
        S(T(4, 3), T(3), T(3), R(3), P(3), True, 0.1, 1e-5),
        S(T(2, 3, 5), T(3), None, R(3), P(3), True, 0.2, 1e-5),
        S(T(2, 3, 2, 2), None, None, None, None, True, 0.1, 1e-5),
        S(T(2, 3, 5), T(3), T(3), R(3), P(3), False, 0.1, 1e-5),
    ],
    "batch_norm": [
        S(T(4, 3), R(3), P(3), T(3), T(3), True), S(T(2, 3, 5), R(3), P(3), training=True),
        S(T(2, 3, 2, 2), None, None, T(3), T(3), True, 0.3, 1e-3),
        S(T(2, 3, 5), R(3), P(3), T(3), T(3)), S(T(2, 3, 5), R(3), P(3), T(3), None, False),
        S(T(0, 3, 2), R(3), P(3), T(3), T(3), grad=False),
        S(T(2, 3, 5), R(3), P(3), T(3), T(3), True, 0.1, 1e-5, dtypes=F2),
        S(T(1, 3), R(3), P(3), training=True), S(T(2, 3), R(4), P(4)),
        S(T(4, 3), R(3), P(3), T(2), T(3), True),
    ],
    "native_group_norm": [
        S(T(2, 6, 4), T(6), T(6), 2, 6, 4, 3, 1e-5),
        S(T(3, 4, 2, 2), None, None, 3, 4, 4, 2, 1e-5),
        S(T(2, 4), T(4), None, 2, 4, 1, 4, 1e-5),
        S(T(2, 6, 4), T(6), T(6), 2, 6, 4, 4, 1e-5),
    ],
    "group_norm": [
        S(T(2, 6, 4), 3), S(T(2, 6, 4), 2, T(6), T(6)), S(T(3, 4, 2, 2), 4, T(4), None, 1e-3),
        S(T(2, 4), 1, None, T(4), grad=False), S(T(0, 4, 3), 2, T(4), T(4), grad=False),
        S(T(2, 6, 4), 4), S(T(6), 2), S(T(2, 6, 4), 3, T(5)),
    ],
    "embedding": [
        S(T(5, 3), I(4, high=5)), S(T(5, 3), I(2, 3, high=5)), S(T(5, 3), I(4, high=5), 1),
        # padding_idx and scale_grad_by_freq are not the true derivative: PyTorch's gradient is
        # checked by embedding_dense_backward's samples and nn_norm_test, not finite differences.
        S(T(5, 3), V([1, 1, 4, 0]), -1, True, grad=False),
        S(T(5, 3), V([2, 0, 2], "int32"), 2, True, grad=False),
        S(T(5, 3), T((), kind="values", values=3, fixed="int64")), S(T(5, 3), I(0)),
        S(T(5, 0), I(3, high=5), grad=False),
        S(T(5, 3), V([0, 5])), S(T(5, 3), V([-1])), S(T(5, 3), T(2, fixed="float32")), S(T(5), V([0])),
    ],
    "embedding_dense_backward": [
        S(T(4, 3), I(4, high=5), 5, -1, False, torch=_embedding_bwd),
        S(T(2, 3, 2), I(2, 3, high=4), 4, 1, False, torch=_embedding_bwd),
        S(T(6, 2), V([1, 1, 3, 0, 1, 3]), 4, 0, True, torch=_embedding_bwd),
        S(T(0, 2), I(0), 3, -1, False, torch=_embedding_bwd),
    ],
    "native_dropout_backward": [
        S(T(3, 4), T(3, 4, kind="bool", fixed="bool"), 2.0, torch=_dropout_bwd),
        S(T(5), T(5, kind="bool", fixed="bool"), 1.25, torch=_dropout_bwd),
        S(T(0, 2), T(0, 2, kind="bool", fixed="bool"), 2.0, torch=_dropout_bwd),
    ],
}

# The composites have no kernel dtype list: sweep them over the floating types.
for _op in ("layer_norm", "batch_norm", "group_norm"):
    for _s in SAMPLES[_op]:
        _swept = [a for a in list(_s.args) + list(_s.kwargs.values()) if isinstance(a, T) and not a.fixed]
        if _s.dtypes is None and _swept:
            _s.dtypes = ["float16", "bfloat16", "float32", "float64"]
for _op, _fn in (("native_layer_norm", _native_layer_norm), ("native_batch_norm", _native_batch_norm),
                 ("native_group_norm", _native_group_norm)):
    for _s in SAMPLES[_op]:
        _s.torch = _fn
for _s in SAMPLES["batch_norm"]:
    _s.torch = F.batch_norm  # torch.batch_norm orders its arguments differently

import torch.nn.functional as F

from samples.spec import S, T


def I(*shape, low=0, high=3):  # noqa: E743  class indices
    return T(*shape, kind="int", low=low, high=high, fixed="int64")


def V(values, dtype="int64"):
    return T(len(values), kind="values", values=values, fixed=dtype)


def W(*shape):  # class weights: positive, not differentiable in PyTorch
    return T(*shape, kind="positive", grad=False)


def Pr(*shape):  # unnormalized class probabilities / binary targets
    return T(*shape, kind="uniform", low=0, high=1)


def Pin(*shape):  # binary_cross_entropy inputs, inside (0, 1)
    return T(*shape, kind="uniform", low=0.05, high=0.95)


F2 = ["float32", "float64"]


def _ce(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    return F.cross_entropy(input, target, weight=weight, ignore_index=ignore_index,
                           reduction=reduction, label_smoothing=label_smoothing)


def _nll(input, target, weight=None, ignore_index=-100, reduction="mean"):
    return F.nll_loss(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)


def _reduced(fn):
    def call(input, target, reduction="mean", **kw):
        return fn(input, target, reduction=reduction, **kw)
    return call


def _bce(input, target, weight=None, reduction="mean"):
    return F.binary_cross_entropy(input, target, weight=weight, reduction=reduction)


def _bcel(input, target, weight=None, reduction="mean", pos_weight=None):
    return F.binary_cross_entropy_with_logits(input, target, weight=weight, reduction=reduction,
                                              pos_weight=pos_weight)


def _kl(input, target, reduction="mean", log_target=False):
    return F.kl_div(input, target, reduction=reduction, log_target=log_target)


SAMPLES = {
    "cross_entropy": [
        S(T(4, 5), I(4, high=5), torch=_ce), S(T(4, 5), I(4, high=5), reduction="sum", torch=_ce),
        S(T(4, 5), I(4, high=5), reduction="none", torch=_ce),
        S(T(4, 5), I(4, high=5), W(5), torch=_ce),
        S(T(6, 3), I(6), W(3), ignore_index=1, torch=_ce),
        S(T(6, 3), I(6), ignore_index=1, reduction="none", torch=_ce),
        S(T(4, 5), V([0, -100, 4, 2]), torch=_ce),
        S(T(4, 5), I(4, high=5), label_smoothing=0.1, torch=_ce),
        S(T(6, 3), I(6), W(3), ignore_index=0, label_smoothing=0.2, torch=_ce),
        S(T(6, 3), I(6), W(3), ignore_index=0, label_smoothing=0.2, reduction="sum", torch=_ce),
        S(T(6, 3), I(6), W(3), label_smoothing=0.3, reduction="none", torch=_ce),
        S(T(2, 4, 3), I(2, 3, high=4), torch=_ce), S(T(2, 4, 3, 2), I(2, 3, 2, high=4), W(4), torch=_ce),
        S(T(2, 4, 3), I(2, 3, high=4), reduction="none", label_smoothing=0.1, torch=_ce),
        S(T(5), T((), kind="values", values=2, fixed="int64"), torch=_ce),
        S(T(4, 5), Pr(4, 5), torch=_ce), S(T(4, 5), Pr(4, 5), W(5), reduction="sum", torch=_ce),
        S(T(4, 5), Pr(4, 5), label_smoothing=0.2, reduction="none", torch=_ce),
        S(T(2, 4, 3), Pr(2, 4, 3), W(4), label_smoothing=0.1, torch=_ce),
        S(T(0, 3), I(0), reduction="sum", torch=_ce), S(T(0, 3), I(0), reduction="none", torch=_ce),
        S(T(4, 5), I(4, high=5), torch=_ce, dtypes=["float32"], atol=1e-6),
        S(T(4, 5), V([0, 5, 1, 1]), torch=_ce), S(T(4, 5), I(3, high=5), torch=_ce),
        S(T(4, 5), I(4, high=5), W(4), torch=_ce), S(T(4, 5), I(4, high=5), reduction="avg", torch=_ce),
        S(T(4, 5), I(4, high=5), label_smoothing=1.5, torch=_ce),
        S(T(2, 4, 3), I(2, 2, high=4), torch=_ce),
    ],
    "nll_loss": [
        S(T(4, 5), I(4, high=5), torch=_nll), S(T(4, 5), I(4, high=5), reduction="sum", torch=_nll),
        S(T(4, 5), I(4, high=5), reduction="none", torch=_nll),
        S(T(6, 3), I(6), W(3), ignore_index=2, torch=_nll),
        S(T(6, 3), I(6), W(3), ignore_index=2, reduction="none", torch=_nll),
        S(T(2, 4, 3), I(2, 3, high=4), W(4), torch=_nll), S(T(5), T((), kind="values", values=1, fixed="int64"), torch=_nll),
        S(T(0, 3), I(0), reduction="sum", torch=_nll),
        S(T(4, 5), V([0, 7, 1, 1]), torch=_nll), S(T(4, 5), I(5, high=5), torch=_nll),
        S(T(4, 5), T(4, fixed="float32"), torch=_nll),
    ],
    "mse_loss": [
        S(T(3, 4), T(3, 4), torch=_reduced(F.mse_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "sum", torch=_reduced(F.mse_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "none", torch=_reduced(F.mse_loss), dtypes=F2),
        S(T(()), T(()), torch=_reduced(F.mse_loss), dtypes=F2),
        S(T(0, 2), T(0, 2), "sum", torch=_reduced(F.mse_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "bad", torch=_reduced(F.mse_loss), dtypes=F2),
        S(T(3, 4), T(2, 4), torch=_reduced(F.mse_loss), dtypes=F2),
    ],
    "l1_loss": [
        S(T(3, 4), T(3, 4), torch=_reduced(F.l1_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "none", torch=_reduced(F.l1_loss), dtypes=F2),
        S(T(5), T(5), "sum", torch=_reduced(F.l1_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "bad", torch=_reduced(F.l1_loss), dtypes=F2),
    ],
    "smooth_l1_loss": [
        S(T(3, 4), T(3, 4), torch=_reduced(F.smooth_l1_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "none", beta=0.5, torch=_reduced(F.smooth_l1_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "sum", beta=2.0, torch=_reduced(F.smooth_l1_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "mean", beta=0.0, torch=_reduced(F.smooth_l1_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "mean", beta=-1.0, torch=_reduced(F.smooth_l1_loss), dtypes=F2),
    ],
    "huber_loss": [
        S(T(3, 4), T(3, 4), torch=_reduced(F.huber_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "none", delta=0.5, torch=_reduced(F.huber_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "sum", delta=2.0, torch=_reduced(F.huber_loss), dtypes=F2),
        S(T(3, 4), T(3, 4), "mean", delta=0.0, torch=_reduced(F.huber_loss), dtypes=F2),
    ],
    "binary_cross_entropy": [
        S(Pin(3, 4), Pr(3, 4), torch=_bce, dtypes=F2),
        S(Pin(3, 4), Pr(3, 4), W(3, 4), reduction="none", torch=_bce, dtypes=F2),
        S(Pin(3, 4), Pr(3, 4), W(4), reduction="sum", torch=_bce, dtypes=F2),
        S(Pin(5), T(5, kind="values", values=[0, 1, 1, 0, 1]), torch=_bce, dtypes=F2),
        S(Pin(3, 4), Pr(4), torch=_bce, dtypes=F2),
        S(T(3, 4, kind="uniform", low=1.5, high=2), Pr(3, 4), torch=_bce, dtypes=F2),
    ],
    "binary_cross_entropy_with_logits": [
        S(T(3, 4), Pr(3, 4), torch=_bcel, dtypes=F2),
        S(T(3, 4), Pr(3, 4), W(3, 4), reduction="none", torch=_bcel, dtypes=F2),
        S(T(3, 4), Pr(3, 4), W(4), reduction="sum", pos_weight=W(4), torch=_bcel, dtypes=F2),
        S(T(3, 4, kind="uniform", low=-30, high=30), Pr(3, 4), pos_weight=W(4), torch=_bcel, dtypes=F2),
        S(T(3, 4), Pr(4), torch=_bcel, dtypes=F2),
    ],
    "kl_div": [
        S(T(3, 4), Pr(3, 4), torch=_kl, dtypes=F2),
        S(T(3, 4), Pr(3, 4), "batchmean", torch=_kl, dtypes=F2),
        S(T(3, 4), T(3, 4), "sum", log_target=True, torch=_kl, dtypes=F2),
        S(T(3, 4), T(3, 4), "none", log_target=True, torch=_kl, dtypes=F2),
        S(T(3, 4), Pr(3, 4), "bad", torch=_kl, dtypes=F2),
    ],
}

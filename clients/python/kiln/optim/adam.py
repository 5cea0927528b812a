"""kiln.optim.Adam: torch.optim.Adam (L2 weight decay, AMSGrad, maximize)."""

from kiln._ops import call
from kiln._tensor import Tensor
from kiln.optim.optimizer import Optimizer, _check_not_differentiable


def _check_adam_args(lr, betas, eps, weight_decay):
    if not 0.0 <= lr:
        raise ValueError("Invalid learning rate: {}".format(lr))
    if not 0.0 <= eps:
        raise ValueError("Invalid epsilon value: {}".format(eps))
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError("Invalid beta parameter at index 0: {}".format(betas[0]))
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError("Invalid beta parameter at index 1: {}".format(betas[1]))
    if not 0.0 <= weight_decay:
        raise ValueError("Invalid weight_decay value: {}".format(weight_decay))


class _AdamBase(Optimizer):
    _op = None

    def __setstate__(self, state):
        super().__setstate__(state)
        # a state_dict from torch < 1.12 counts steps in a Python number
        for st in self.state.values():
            if "step" in st and not isinstance(st["step"], Tensor):
                from kiln._factories import tensor
                st["step"] = tensor(float(st["step"]), dtype="float32")

    def step(self, closure=None):
        """One fused Adam(W) call per group; the op bumps each parameter's `step` first."""
        loss = self._closure_loss(closure)
        for g in self.param_groups:
            params, grads = self._grads(g["params"])
            if not params:
                continue
            amsgrad = bool(g["amsgrad"])
            exp_avgs, exp_avg_sqs, maxes, steps = [], [], [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = self._step_counter(p)
                    st["exp_avg"] = self._zeros(p)
                    st["exp_avg_sq"] = self._zeros(p)
                    if amsgrad:
                        st["max_exp_avg_sq"] = self._zeros(p)
                exp_avgs.append(st["exp_avg"])
                exp_avg_sqs.append(st["exp_avg_sq"])
                if amsgrad:
                    maxes.append(st["max_exp_avg_sq"])
                steps.append(st["step"])
            beta1, beta2 = g["betas"]
            call(self._op, (params, grads, exp_avgs, exp_avg_sqs, maxes, steps),
                 dict(lr=float(g["lr"]), beta1=float(beta1), beta2=float(beta2),
                      weight_decay=float(g["weight_decay"]), eps=float(g["eps"]),
                      amsgrad=amsgrad, maximize=bool(g["maximize"])))
        return loss


class Adam(_AdamBase):
    _op = "_fused_adam_"
    _setstate_defaults = dict(amsgrad=False, maximize=False, foreach=None, capturable=False,
                              differentiable=False, fused=False)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_not_differentiable("Adam", differentiable)
        # foreach / capturable / fused pick CUDA code paths in torch; kilnd always runs the
        # fused op, so they are recorded (for state_dict and repr) and change nothing
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused))

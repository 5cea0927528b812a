"""kiln.optim.RMSprop: torch.optim.RMSprop (momentum, centered, weight decay, maximize)."""

from kiln._ops import call
from kiln.optim.optimizer import Optimizer, _check_not_differentiable


class RMSprop(Optimizer):
    _setstate_defaults = dict(momentum=0, centered=False, foreach=None, maximize=False,
                              differentiable=False)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if not 0.0 <= eps:
            raise ValueError("Invalid epsilon value: {}".format(eps))
        if not 0.0 <= momentum:
            raise ValueError("Invalid momentum value: {}".format(momentum))
        if not 0.0 <= weight_decay:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        if not 0.0 <= alpha:
            raise ValueError("Invalid alpha value: {}".format(alpha))
        _check_not_differentiable("RMSprop", differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def step(self, closure=None):
        """One fused call per group. `step` is a Python count, as in torch; the state a group
        needs (momentum_buffer, grad_avg) is created with the parameter's first step, so turning
        momentum or centered on later fails with a KeyError, as torch does."""
        loss = self._closure_loss(closure)
        for g in self.param_groups:
            params, grads = self._grads(g["params"])
            if not params:
                continue
            momentum, centered = g["momentum"], bool(g["centered"])
            square_avgs, grad_avgs, bufs = [], [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = 0
                    st["square_avg"] = self._zeros(p)
                    if momentum > 0:
                        st["momentum_buffer"] = self._zeros(p)
                    if centered:
                        st["grad_avg"] = self._zeros(p)
                square_avgs.append(st["square_avg"])
                if momentum > 0:
                    bufs.append(st["momentum_buffer"])
                if centered:
                    grad_avgs.append(st["grad_avg"])
                st["step"] += 1
            call("_fused_rmsprop_", (params, grads, square_avgs, grad_avgs, bufs),
                 dict(lr=float(g["lr"]), alpha=float(g["alpha"]), eps=float(g["eps"]),
                      weight_decay=float(g["weight_decay"]), momentum=float(momentum),
                      centered=centered, maximize=bool(g["maximize"])))
        return loss

"""kiln.optim.SGD: torch.optim.SGD (momentum, dampening, Nesterov, weight decay, maximize)."""

from kiln._ops import call
from kiln.optim.optimizer import Optimizer, _check_not_differentiable, required


class SGD(Optimizer):
    _setstate_defaults = dict(nesterov=False, maximize=False, foreach=None, differentiable=False)

    def __init__(self, params, lr=required, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False):
        if lr is not required and lr < 0.0:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if momentum < 0.0:
            raise ValueError("Invalid momentum value: {}".format(momentum))
        if weight_decay < 0.0:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_not_differentiable("SGD", differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable))

    def step(self, closure=None):
        """One SGD step per group. A parameter's first step with momentum writes its buffer
        from the update itself (torch's clone of the gradient), so the group is sent as up to
        two fused calls: parameters with a buffer, then those without."""
        loss = self._closure_loss(closure)
        for g in self.param_groups:
            params, grads = self._grads(g["params"])
            if not params:
                continue
            momentum = g["momentum"]
            opts = dict(lr=float(g["lr"]), momentum=float(momentum),
                        dampening=float(g["dampening"]), weight_decay=float(g["weight_decay"]),
                        nesterov=bool(g["nesterov"]), maximize=bool(g["maximize"]))
            states = [self.state[p] for p in params]
            if momentum == 0:
                call("_fused_sgd_", (params, grads, []), dict(opts, is_first_step=False))
                for st in states:  # torch records the (absent) buffer as None
                    st["momentum_buffer"] = None
                continue
            fresh = [st.get("momentum_buffer") is None for st in states]
            for first in (False, True):
                idx = [i for i, f in enumerate(fresh) if f == first]
                if not idx:
                    continue
                if first:
                    for i in idx:
                        states[i]["momentum_buffer"] = call("empty_like", (params[i],), {})
                call("_fused_sgd_", ([params[i] for i in idx], [grads[i] for i in idx],
                                     [states[i]["momentum_buffer"] for i in idx]),
                     dict(opts, is_first_step=first))
        return loss

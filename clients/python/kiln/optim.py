"""kiln.optim: SGD, Adam and AdamW as torch.optim's, stepping on the daemon with the engine's
fused optimizer ops (one op per step and group; the state tensors live in kilnd)."""

from kiln import _wire as wire
from kiln._ops import call
from kiln._tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        for g in groups:
            g = dict(g)
            g["params"] = list(g["params"])
            for k, v in self.defaults.items():
                g.setdefault(k, v)
            self.param_groups.append(g)

    def zero_grad(self, set_to_none=True):
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p._gdef:
                    p.grad.zero_()

    def _grads(self, params):
        """(params that have a gradient, their gradients): one round trip for the whole group
        unless every gradient is already known to exist."""
        unknown = [p for p in params if not p._gdef]
        if unknown:
            c = unknown[0]._c
            req = c.next_request
            c.next_request += 1
            wire.grad_state(c.buf, req, [p._h for p in unknown])
            c.flush()
            for p, d in zip(unknown, c.wait(req).defined):
                p._gdef = bool(d)
        have = [p for p in params if p._gdef]
        return have, [p.grad for p in have]


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False):
        if lr < 0:
            raise ValueError("Invalid learning rate: %s" % lr)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def step(self):
        for g in self.param_groups:
            params, grads = self._grads(g["params"])
            first = [i for i, p in enumerate(params) if "momentum_buffer" not in self.state.get(p, {})]
            for is_first, idx in ((False, [i for i in range(len(params)) if i not in first]),
                                  (True, first)):
                if not idx:
                    continue
                ps = [params[i] for i in idx]
                bufs = []
                if g["momentum"] != 0:
                    for p in ps:
                        st = self.state.setdefault(p, {})
                        if is_first:
                            st["momentum_buffer"] = call("empty_like", (p,), {})
                        bufs.append(st["momentum_buffer"])
                call("_fused_sgd_", (ps, [grads[i] for i in idx], bufs),
                     dict(lr=float(g["lr"]), momentum=float(g["momentum"]),
                          dampening=float(g["dampening"]), weight_decay=float(g["weight_decay"]),
                          nesterov=bool(g["nesterov"]), maximize=bool(g["maximize"]),
                          is_first_step=is_first and g["momentum"] != 0))


class Adam(Optimizer):
    _op = "_fused_adam_"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def step(self):
        from kiln._factories import full
        for g in self.param_groups:
            params, grads = self._grads(g["params"])
            if not params:
                continue
            lists = ([], [], [], [])
            for p in params:
                st = self.state.setdefault(p, {})
                if not st:
                    st["step"] = full((), 0.0, dtype="float32", device=p._m.device)
                    st["exp_avg"] = call("zeros_like", (p,), {})
                    st["exp_avg_sq"] = call("zeros_like", (p,), {})
                    if g["amsgrad"]:
                        st["max_exp_avg_sq"] = call("zeros_like", (p,), {})
                lists[0].append(st["exp_avg"])
                lists[1].append(st["exp_avg_sq"])
                if g["amsgrad"]:
                    lists[2].append(st["max_exp_avg_sq"])
                lists[3].append(st["step"])
            call(self._op, (params, grads) + lists,
                 dict(lr=float(g["lr"]), beta1=float(g["betas"][0]), beta2=float(g["betas"][1]),
                      weight_decay=float(g["weight_decay"]), eps=float(g["eps"]),
                      amsgrad=bool(g["amsgrad"]), maximize=bool(g["maximize"])))


class AdamW(Adam):
    _op = "_fused_adamw_"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Tensor"]

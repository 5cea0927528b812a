"""kiln.optim.Adagrad: torch.optim.Adagrad (lr_decay, weight decay, initial accumulator,
maximize)."""

from kiln._ops import call
from kiln._tensor import Tensor
from kiln.optim.optimizer import Optimizer


class Adagrad(Optimizer):
    _setstate_defaults = dict(foreach=None, maximize=False)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False):
        if not 0.0 <= lr:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if not 0.0 <= lr_decay:
            raise ValueError("Invalid lr_decay value: {}".format(lr_decay))
        if not 0.0 <= weight_decay:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: {}".format(
                initial_accumulator_value))
        if not 0.0 <= eps:
            raise ValueError("Invalid epsilon value: {}".format(eps))
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize))
        # torch fills the state of the constructor's parameters at once, from the
        # constructor's initial_accumulator_value (not a group's own)
        for g in self.param_groups:
            for p in g["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, init):
        st = self.state[p]
        st["step"] = self._step_counter(p)
        st["sum"] = call("full_like", (p, float(init)), {})

    def __setstate__(self, state):
        super().__setstate__(state)
        for st in self.state.values():
            if "step" in st and not isinstance(st["step"], Tensor):
                from kiln._factories import tensor
                st["step"] = tensor(float(st["step"]), dtype="float32")

    def step(self, closure=None):
        """One fused call per group; the op bumps each `step` first. Parameters of a group
        added after construction start from the group's initial_accumulator_value (torch gives
        them no state, so their first step fails there)."""
        loss = self._closure_loss(closure)
        for g in self.param_groups:
            params, grads = self._grads(g["params"])
            if not params:
                continue
            sums, steps = [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    self._init_state(p, g["initial_accumulator_value"])
                sums.append(st["sum"])
                steps.append(st["step"])
            call("_fused_adagrad_", (params, grads, sums, steps),
                 dict(lr=float(g["lr"]), lr_decay=float(g["lr_decay"]),
                      weight_decay=float(g["weight_decay"]), eps=float(g["eps"]),
                      maximize=bool(g["maximize"])))
        return loss

"""kiln.optim.Optimizer: torch.optim.Optimizer's parameter groups, state and state_dict format.

Parameters and every state tensor live in kilnd; a subclass's step() sends one fused op per
parameter group (engine/ops/table/optim.yaml), so the client holds only handles and numbers."""

import copy
import warnings
from collections import defaultdict
from itertools import chain

from kiln import _wire as wire
from kiln._autograd import enable_grad
from kiln._ops import call
from kiln._tensor import Tensor


class _RequiredParameter:
    """The default of an option a group must give (torch.optim.optimizer.required)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(x):
    return x.type() if isinstance(x, Tensor) else type(x).__module__ + "." + type(x).__name__


def _to_kiln(value):
    """A tensor from another library (a torch.Tensor, a numpy array) uploaded as a kiln Tensor;
    anything else unchanged. Lets a state_dict that torch.optim wrote load here."""
    if isinstance(value, Tensor):
        return value
    mod = type(value).__module__ or ""
    if mod.startswith("torch") and hasattr(value, "detach"):
        from kiln._factories import tensor
        v = value.detach().cpu()
        name = str(v.dtype).replace("torch.", "")
        if name == "bfloat16":
            return tensor(v.float().numpy(), dtype="bfloat16")
        return tensor(v.numpy(), dtype=name)
    if mod == "numpy" and hasattr(value, "dtype") and hasattr(value, "shape"):
        from kiln._factories import tensor
        return tensor(value)
    return value


def _cast(param, value, key=None):
    """A private copy of a loaded state value, its tensors cast to the parameter's dtype (when
    the parameter is floating) and moved to its device, as torch's load_state_dict does. The
    `step` counter keeps its dtype; it is moved too, because the fused ops read it next to the
    parameter."""
    value = _to_kiln(value)
    if isinstance(value, Tensor):
        dt = param.dtype if key != "step" and param.is_floating_point() else None
        return value.to(dtype=dt, device=param.device, copy=True)
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return copy.deepcopy(value)


class Optimizer:
    """Base class of the optimizers: `param_groups` (dicts holding a "params" list and the
    group's options, defaults filled in) and per-parameter `state`."""

    # options a state_dict written by an older torch may lack, filled in when it is loaded
    _setstate_defaults = {}

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for g in self.param_groups:
            for k, v in self._setstate_defaults.items():
                g.setdefault(k, v)

    def __repr__(self):
        # torch's layout: each group opens with a newline and ends its lines with one, so
        # groups are separated by an empty line
        out = type(self).__name__ + " ("
        for i, g in enumerate(self.param_groups):
            out += "\nParameter Group %d\n" % i
            out += "".join("    %s: %s\n" % (k, g[k]) for k in sorted(g) if k != "params")
        return out + ")"

    def add_param_group(self, param_group):
        """Appends a group (a dict with "params" and any options); options it leaves out take
        the optimizer's defaults."""
        assert isinstance(param_group, dict), "param group must be a dict"
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 "optimization parameter " + name)
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for g in self.param_groups:
            seen.update(g["params"])
        if not seen.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Drops every parameter's gradient (set_to_none) or zeroes it in place."""
        for g in self.param_groups:
            if set_to_none:
                for p in g["params"]:
                    p.grad = None  # no round trip to ask which ones have one
            else:
                for grad in self._grads(g["params"])[1]:
                    grad.requires_grad_(False)
                    grad.zero_()

    def step(self, closure=None):
        raise NotImplementedError

    @staticmethod
    def _closure_loss(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

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

    @staticmethod
    def _zeros(p):
        return call("zeros_like", (p,), {})

    @staticmethod
    def _step_counter(p):
        """torch's `step` state: a float32 0-dim tensor (here next to the parameter)."""
        from kiln._factories import full
        return full((), 0.0, dtype="float32", device=p.device)

    # ---- state_dict ----
    def state_dict(self):
        """{"state": {index: per-parameter state}, "param_groups": [options + "params": indices]}
        with parameters numbered in group order, as torch.optim writes it. The state tensors are
        the optimizer's own (not copies)."""
        index = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            for p in g["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in g["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Loads what state_dict() (here or in torch.optim) wrote: the groups' options replace
        the current ones, and each state tensor is copied, cast to its parameter's dtype and
        moved to its device."""
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = _cast(id_map[k], v)
            else:
                state[k] = copy.deepcopy(v)
        new_groups = []
        for g, s in zip(groups, saved_groups):
            new_groups.append({k: g["params"] if k == "params" else copy.deepcopy(v)
                               for k, v in s.items()})
        self.__setstate__({"state": state, "param_groups": new_groups})


def _check_not_differentiable(name, differentiable):
    # the fused step runs under no_grad on the daemon: no graph through it
    if differentiable:
        raise ValueError("%s: differentiable=True is not supported (the step is one fused, "
                         "non-differentiable op in kilnd)" % name)

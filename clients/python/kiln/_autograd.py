"""Autograd from the client: backward, .grad, kiln.autograd.grad and the grad-mode scopes.

The tape lives on the daemon. backward() is sent like any op (its errors surface at the next
sync point); .grad asks the daemon once whether a gradient exists (GRAD_STATE), then aliases
it with GET_GRAD without waiting."""

import functools

from kiln import _runtime as rt
from kiln import _wire as wire
from kiln._ops import Meta


def _tensor_cls():
    from kiln._tensor import Tensor
    return Tensor


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _grad_tensors(c, tensors, grads, what):
    Tensor = _tensor_cls()
    out = []
    for i, t in enumerate(tensors):
        g = grads[i] if grads is not None and i < len(grads) else None
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            out.append(0)
            continue
        if not isinstance(g, Tensor):
            from kiln._factories import full
            g = full(t.shape, g, dtype=t.dtype)
        out.append(g._h)
    return out


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    tensors = _as_list(tensors)
    grads = _as_list(grad_tensors)
    for i, t in enumerate(tensors):
        if not t._rg:
            raise RuntimeError("element %d of tensors does not require grad and does not have a "
                               "grad_fn" % i)
    c = tensors[0]._c
    gh = _grad_tensors(c, tensors, grads, "backward")
    rt.catch_up(c)
    cs = c.callsite()
    retain = 2 if retain_graph is None else int(bool(retain_graph))
    wire.backward(c.buf, cs, [t._h for t in tensors], gh, retain, create_graph)
    c.maybe_flush()


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=False, is_grads_batched=False):
    Tensor = _tensor_cls()
    outputs = _as_list(outputs)
    inputs_l = _as_list(inputs)
    for t in outputs:
        if not t._rg:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
    for t in inputs_l:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    c = outputs[0]._c
    gh = _grad_tensors(c, outputs, _as_list(grad_outputs), "grad")
    rt.catch_up(c)
    cs = c.callsite()
    results = [c.handle() for _ in inputs_l]
    req = c.next_request
    c.next_request += 1
    retain = 2 if retain_graph is None else int(bool(retain_graph))
    wire.grad(c.buf, req, cs, [t._h for t in outputs], gh, [t._h for t in inputs_l], results,
              retain, create_graph, allow_unused)
    c.flush()
    r = c.wait(req)
    out = []
    for t, h, d in zip(inputs_l, results, r.defined):
        if d:
            m = t._meta()
            out.append(Tensor(c, h, Meta(m.shape, m.dtype, m.device), bool(create_graph),
                              not create_graph))
        else:
            c.frees.append(h)
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                                   "in the graph. Set allow_unused=True if this is the desired "
                                   "behavior.")
            out.append(None)
    return tuple(out)


def get_grad(t):
    Tensor = _tensor_cls()
    c = t._c
    if not t._gdef:
        req = c.next_request
        c.next_request += 1
        wire.grad_state(c.buf, req, [t._h])
        c.flush()
        r = c.wait(req)
        if not r.defined[0]:
            return None
        t._gdef = True
    h = c.handle()
    wire.get_grad(c.buf, t._h, h)
    m = t._meta()
    return Tensor(c, h, Meta(m.shape, m.dtype, m.device), False, True)


class _Mode:
    """A grad-mode scope usable as `with` and as a decorator."""
    enabled = None

    def __enter__(self):
        self.prev = rt.grad_enabled
        rt.grad_enabled = self.enabled

    def __exit__(self, *exc):
        rt.grad_enabled = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*a, **k):
            with self.__class__():
                return fn(*a, **k)
        return wrapped


class no_grad(_Mode):  # noqa: N801
    enabled = False


class enable_grad(_Mode):  # noqa: N801
    enabled = True


class inference_mode(_Mode):  # noqa: N801
    enabled = False

    def __init__(self, mode=True):
        self.enabled = not mode


class set_grad_enabled(_Mode):  # noqa: N801
    def __init__(self, mode):
        self.prev = rt.grad_enabled
        self.enabled = bool(mode)
        rt.grad_enabled = self.enabled

    def __enter__(self):
        rt.grad_enabled = self.enabled

    def __call__(self, fn):
        rt.grad_enabled = self.prev
        return super().__call__(fn)


def is_grad_enabled():
    return rt.grad_enabled

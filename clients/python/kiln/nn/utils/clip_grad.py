"""clip_grad_norm_ and clip_grad_value_: one fused op over every gradient."""

from kiln import _wire as wire
from kiln._ops import call
from kiln._tensor import Tensor


def _grads(parameters):
    """The gradients that exist (one round trip for those whose existence is unknown)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    unknown = [p for p in params if not p._gdef]
    if unknown:
        c = unknown[0]._c
        req = c.next_request
        c.next_request += 1
        wire.grad_state(c.buf, req, [p._h for p in unknown])
        c.flush()
        for p, d in zip(unknown, c.wait(req).defined):
            p._gdef = bool(d)
    return [p.grad for p in params if p._gdef]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    grads = _grads(parameters)
    if not grads:
        from kiln._factories import tensor
        return tensor(0.0)
    return call("clip_grad_norm_", (grads, float(max_norm), float(norm_type),
                                    bool(error_if_nonfinite)), {})


def clip_grad_value_(parameters, clip_value):
    grads = _grads(parameters)
    if grads:
        call("clip_grad_value_", (grads, float(clip_value)), {})

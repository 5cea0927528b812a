"""parameters_to_vector and vector_to_parameters."""

from kiln._autograd import no_grad
from kiln._ops import call
from kiln._tensor import Tensor


def parameters_to_vector(parameters):
    return call("cat", ([p.reshape(-1) for p in parameters], 0), {})


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, Tensor):
        raise TypeError("expected kiln.Tensor, but got: {}".format(type(vec).__name__))
    at = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[at:at + n].view_as(p))
            at += n
